/* test_ident.c — dvir's rules (ident.c) on synthetic matrices against brute force.
 *
 *  - undisputed: the definition applied pair by pair (lr >= t and lr >= t + every other
 *    lr of the row and the column);
 *  - joint: every assignment listed by a plain recursion, LR(a) = sum of family terms
 *    (pairwise for one remain, a synthetic non-additive term for two or more), sorted by
 *    lr then assignment string; the best K, posteriors and marginals compared (1e-9);
 *    a component's posteriors and each remain's marginals sum to 1;
 *  - branch and bound (max_assign below the count): the same best K exactly, and the
 *    bounded posteriors bracket the exact ones. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kmpriv.h"
#include "ident.h"
#include "check.h"

static unsigned long long rs = 0x2545F4914F6CDD1DULL;
static double urand(void) { rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17; return (double)(rs >> 11) / 9007199254740992.0; }
static int irand(int n) { return (int)(urand() * n); }

#define MAXR 7
#define MAXO 32

typedef struct {
	int nr;
	int rem[MAXR];
	size_t os[MAXR + 1];
	int oc[MAXO];
	double ol[MAXO];
	int cfam[16];
	double inter[MAXR][MAXR];
	long n_calls;
} syn_t;

/* a non-additive family term: pairwise sum plus a pair interaction (may be -inf) */
static int syn_fam(void *ctx, int fam, int n, const int *rem, const int *cand, double *lr, km_err_t *e)
{
	syn_t *S = ctx;
	double t = 0.0;
	++S->n_calls;
	for (int i = 0; i < n; ++i) {
		int r = rem[i];
		double x = KM_NEG_INF;
		for (size_t o = S->os[r]; o < S->os[r + 1]; ++o) if (S->oc[o] == cand[i]) x = S->ol[o];
		t += x;
		if (S->cfam[cand[i]] != fam) return km_err_set(e, KM_EINPUT, "wrong family");
		for (int j = 0; j < i; ++j) t += S->inter[rem[i]][rem[j]];
	}
	*lr = t;
	return 0;
}

static void syn_name(void *ctx, int n_rem, const int *rem, const int *pick_cand, char **buf, size_t *m)
{
	(void)ctx;
	if (*m < 256) { *buf = realloc(*buf, 256); *m = 256; }
	size_t len = 0;
	for (int i = 0; i < n_rem; ++i) {
		if (pick_cand[i] < 0) len += (size_t)sprintf(*buf + len, "%sR%d=*", i ? ";" : "", rem[i]);
		else len += (size_t)sprintf(*buf + len, "%sR%d=F%02d/M%02d", i ? ";" : "", rem[i], pick_cand[i] / 3, pick_cand[i]);
	}
	(*buf)[len] = 0;
}

/* brute force: every assignment */
typedef struct { double lr; int pick[MAXR]; char s[256]; } ba_t;
static ba_t all[200000];
static int n_all;

static void brute_rec(syn_t *S, int i, int *pick, int *used)
{
	if (i == S->nr) {
		/* value: per family */
		double v = 0.0;
		for (int f = 0; f < 16; ++f) {
			int rr[MAXR], cc[MAXR], n = 0;
			for (int k = 0; k < S->nr; ++k) if (pick[k] >= 0 && S->cfam[S->oc[pick[k]]] == f) rr[n] = S->rem[k], cc[n++] = S->oc[pick[k]];
			if (n == 1) { for (int k = 0; k < S->nr; ++k) if (pick[k] >= 0 && S->cfam[S->oc[pick[k]]] == f) v += S->ol[pick[k]]; }
			else if (n > 1) { double t; km_err_t e; syn_fam(S, f, n, rr, cc, &t, &e); v += t; }
		}
		ba_t *a = &all[n_all++];
		a->lr = v;
		memcpy(a->pick, pick, sizeof(int) * MAXR);
		int pc[MAXR];
		for (int k = 0; k < S->nr; ++k) pc[k] = pick[k] < 0 ? -1 : S->oc[pick[k]];
		char *b = malloc(256); size_t m = 256;
		syn_name(NULL, S->nr, S->rem, pc, &b, &m);
		strcpy(a->s, b);
		free(b);
		return;
	}
	pick[i] = -1;
	brute_rec(S, i + 1, pick, used);
	for (size_t o = S->os[i]; o < S->os[i + 1]; ++o) {
		if (used[S->oc[o]]) continue;
		used[S->oc[o]] = 1;
		pick[i] = (int)o;
		brute_rec(S, i + 1, pick, used);
		used[S->oc[o]] = 0;
	}
}

static int cmp_ba(const void *x, const void *y)
{
	const ba_t *a = x, *b = y;
	if (a->lr != b->lr) return a->lr > b->lr ? -1 : 1;
	return strcmp(a->s, b->s);
}

static void test_undisputed(void)
{
	for (int it = 0; it < 300; ++it) {
		int nr = 1 + irand(8), nc = 1 + irand(8);
		km_ient_t ent[64];
		size_t n = 0;
		for (int r = 0; r < nr; ++r)
			for (int c = 0; c < nc; ++c) {
				if (irand(3) == 0) continue;
				double x = irand(10) == 0 ? KM_NEG_INF : irand(4) == 0 ? 6.0 + irand(3) : -2.0 + 12.0 * urand();
				ent[n].r = r, ent[n].c = c, ent[n++].lr = x;
			}
		double t = 1.0 + 4.0 * urand();
		size_t out[64];
		double rv[64];
		int nu = km_ident_undisputed(ent, n, nr, nc, t, out, rv);
		int k = 0, good = nu >= 0;
		for (size_t i = 0; i < n && good; ++i) {
			double riv = KM_NEG_INF;
			for (size_t j = 0; j < n; ++j)
				if (j != i && (ent[j].r == ent[i].r || ent[j].c == ent[i].c) && ent[j].lr > riv) riv = ent[j].lr;
			int und = ent[i].lr >= t && (riv == KM_NEG_INF || ent[i].lr >= t + riv);
			if (und) {
				if (k >= nu || out[k] != i || rv[k] != riv) good = 0;
				++k;
			}
		}
		if (k != nu) good = 0;
		char what[64];
		snprintf(what, sizeof what, "undisputed rule, random matrix %d", it);
		check(good, what);
	}
}

static void test_joint(void)
{
	for (int it = 0; it < 120; ++it) {
		syn_t S;
		memset(&S, 0, sizeof(S));
		S.nr = 1 + irand(MAXR);
		int nc = 1 + irand(9);
		for (int c = 0; c < nc; ++c) S.cfam[c] = c / 3;   /* three missing persons a family */
		size_t o = 0;
		for (int r = 0; r < S.nr; ++r) {
			S.rem[r] = r;
			S.os[r] = o;
			for (int c = 0; c < nc && o < MAXO; ++c) {
				if (irand(2)) continue;
				S.oc[o] = c;
				/* ties now and then */
				S.ol[o++] = irand(5) == 0 ? 1.5 : irand(8) == 0 ? KM_NEG_INF : 4.0 * urand();
			}
		}
		S.os[S.nr] = o;
		for (int a = 0; a < S.nr; ++a)
			for (int b = 0; b < S.nr; ++b) S.inter[a][b] = S.inter[b][a] = a == b ? 0 : irand(12) == 0 ? KM_NEG_INF : -1.0 + 2.0 * urand();
		double gub[MAXR];
		for (int r = 0; r < S.nr; ++r) {
			gub[r] = 0.0;
			for (size_t k = S.os[r]; k < S.os[r + 1]; ++k) if (S.ol[k] > gub[r]) gub[r] = S.ol[k];
			gub[r] += S.nr;   /* the interaction adds at most 1 per other remain */
		}
		int pick[MAXR], used[16] = { 0 };
		n_all = 0;
		brute_rec(&S, 0, pick, used);
		qsort(all, (size_t)n_all, sizeof(ba_t), cmp_ba);
		double mx = all[0].lr, sum = 0.0;
		for (int i = 0; i < n_all; ++i) if (all[i].lr > KM_NEG_INF) sum += pow(10.0, all[i].lr - mx);
		km_icomp_t C = { S.nr, S.rem, S.os, S.oc, S.ol, S.cfam, gub, syn_fam, &S, NULL, NULL, 0, 0 };
		int keep = 1 + irand(6);
		for (int mode = 0; mode < 2; ++mode) {
			km_ijoint_t J;
			km_err_t e;
			double cap = mode ? (n_all > 2 ? n_all / 2 : 1) : 1e9;
			int ret = km_ident_joint(&C, keep, cap, syn_name, NULL, &J, &e);
			char what[160];
			snprintf(what, sizeof what, "joint %d (%s, %d assignments): runs", it, mode ? "branch and bound" : "enumeration", n_all);
			check(ret == 0, what);
			if (ret) continue;
			int good = J.n_top == (keep < n_all ? keep : n_all);
			for (int k = 0; k < J.n_top && good; ++k) {
				good = J.top[k].lr == all[k].lr || fabs(J.top[k].lr - all[k].lr) < 1e-12;
				for (int i = 0; i < S.nr && good; ++i) good = J.top[k].pick[i] == all[k].pick[i];
				if (!good) printf("  row %d: got %g, want %g %s\n", k, J.top[k].lr, all[k].lr, all[k].s);
			}
			snprintf(what, sizeof what, "joint %d (%s): best %d rows in order", it, mode ? "branch and bound" : "enumeration", keep);
			check(good, what);
			/* marginals: exact under enumeration, lower bounds under branch and bound */
			double tot = mx + log10(sum);
			good = 1;
			for (int i = 0; i < S.nr; ++i) {
				double msum = 0.0;
				for (int k = -1; k < (int)(S.os[i + 1] - S.os[i]); ++k) {
					double ex = 0.0;
					int opt = k < 0 ? -1 : (int)S.os[i] + k;
					for (int a = 0; a < n_all; ++a) if (all[a].pick[i] == opt && all[a].lr > KM_NEG_INF) ex += pow(10.0, all[a].lr - tot);
					double got = J.marg[S.os[i] + (size_t)i + (size_t)(k + 1)];
					msum += got;
					if (mode == 0 ? fabs(got - ex) > 1e-9 : got > ex + 1e-9) good = 0;
				}
				if (mode == 0 && fabs(msum - 1.0) > 1e-9) good = 0;
			}
			snprintf(what, sizeof what, "joint %d (%s): marginals %s", it, mode ? "branch and bound" : "enumeration", mode ? "bound the exact ones from below" : "exact, each remain's sum to 1");
			check(good, what);
			if (mode == 0) {
				double ps = 0.0;
				for (int a = 0; a < n_all; ++a) if (all[a].lr > KM_NEG_INF) ps += pow(10.0, all[a].lr - J.log10_sum);
				snprintf(what, sizeof what, "joint %d: posteriors sum to 1 (%.12f), %g assignments counted", it, ps, J.n_assign);
				check(fabs(ps - 1.0) < 1e-9 && J.n_assign == n_all && J.exact, what);
			} else {
				/* posterior bounds: LR/(S+R) <= exact <= LR/S */
				double lo = J.top[0].lr - log10(pow(10.0, J.log10_sum - tot) + (J.log10_rest == KM_NEG_INF ? 0.0 : pow(10.0, J.log10_rest - tot))) - tot;
				double hi = J.top[0].lr - J.log10_sum, ex = all[0].lr - tot;
				snprintf(what, sizeof what, "joint %d: bounded posterior of the best row brackets the exact one", it);
				check(lo <= ex + 1e-9 && ex <= hi + 1e-9, what);
			}
			km_ijoint_destroy(&J);
		}
	}
}

/* ---- the caller's D (fam_delta), in parallel with one context per thread ------------- */
/* one context for syn_fam (its first member) and syn_delta, as identrun.c's jctx_t serves
 * both callbacks */
typedef struct { syn_t S; long n_calls; int fail_fam; } dctx_t;

static void d_rec(const syn_t *S, int n, const int *rem, const int *cand, int i, int *ur, int *uc, int *sel, int ns, double *best)
{
	if (i == n) {
		if (ns < 2) return;
		double t = 0.0;
		for (int a = 0; a < ns; ++a) for (int b = 0; b < a; ++b) t += S->inter[rem[sel[a]]][rem[sel[b]]];
		for (int a = 0; a < ns; ++a) if (t > best[sel[a]]) best[sel[a]] = t;
		return;
	}
	d_rec(S, n, rem, cand, i + 1, ur, uc, sel, ns, best);
	if (ur[rem[i]] || uc[cand[i]]) return;
	ur[rem[i]] = uc[cand[i]] = 1, sel[ns] = i;
	d_rec(S, n, rem, cand, i + 1, ur, uc, sel, ns + 1, best);
	ur[rem[i]] = uc[cand[i]] = 0;
}

/* D exactly: syn_fam's term minus the pairwise lrs is the sum of the interactions of the
 * set, so D[i] = the largest such sum over sets of two or more of the options that hold
 * option i (>= 0) */
static int syn_delta(void *ctx, int fam, int n, const int *rem, const int *cand, const double *lr, double *D, km_err_t *e)
{
	dctx_t *X = ctx;
	int ur[MAXR] = { 0 }, uc[16] = { 0 }, sel[MAXR];
	(void)lr;
	++X->n_calls;
	if (fam == X->fail_fam) return km_err_set(e, KM_EINPUT, "family %d refused", fam);
	for (int i = 0; i < n; ++i) D[i] = 0.0;
	d_rec(&X->S, n, rem, cand, 0, ur, uc, sel, 0, D);
	return 0;
}

static void test_joint_delta(void)
{
	int n_cases = 0;
	long n_t1 = 0;
	for (int it = 0; it < 80; ++it) {
		syn_t S;
		memset(&S, 0, sizeof(S));
		S.nr = 3 + irand(MAXR - 2);
		int nc = 4 + irand(9);
		for (int c = 0; c < nc; ++c) S.cfam[c] = c / 3;
		size_t o = 0;
		for (int r = 0; r < S.nr; ++r) {
			S.rem[r] = r, S.os[r] = o;
			for (int c = 0; c < nc && o < MAXO; ++c) {
				if (irand(3) == 0) continue;
				S.oc[o] = c, S.ol[o++] = 4.0 * urand();
			}
		}
		S.os[S.nr] = o;
		for (int a = 0; a < S.nr; ++a)
			for (int b = 0; b < S.nr; ++b) S.inter[a][b] = S.inter[b][a] = a == b ? 0 : -1.0 + 2.0 * urand();
		double gub[MAXR];
		for (int r = 0; r < S.nr; ++r) {
			gub[r] = 0.0;
			for (size_t k = S.os[r]; k < S.os[r + 1]; ++k) if (S.ol[k] > gub[r]) gub[r] = S.ol[k];
			gub[r] += S.nr;
		}
		int pick[MAXR], used[16] = { 0 };
		n_all = 0;
		brute_rec(&S, 0, pick, used);
		qsort(all, (size_t)n_all, sizeof(ba_t), cmp_ba);
		if (n_all < 4) continue;
		++n_cases;
		int keep = 1 + irand(4);
		double cap = n_all / 3 > 1 ? n_all / 3 : 1;   /* branch and bound */
		for (int fail = 0; fail < 2; ++fail) {
			dctx_t d0 = { S, 0, fail ? S.cfam[S.oc[0]] : -1 }, d1 = d0, s0 = d0;
			void *tc[2] = { &d0, &d1 };
			/* one thread: fam_delta gets ctx; two: tctx[thread] */
			km_icomp_t C1 = { S.nr, S.rem, S.os, S.oc, S.ol, S.cfam, gub, syn_fam, &s0, syn_delta, NULL, 0, 0 };
			km_icomp_t C2 = { S.nr, S.rem, S.os, S.oc, S.ol, S.cfam, gub, syn_fam, &d0, syn_delta, tc, 2, 0 };
			km_ijoint_t J1, J2;
			km_err_t e1 = { "" }, e2 = { "" };
			int r1 = km_ident_joint(&C1, keep, cap, syn_name, NULL, &J1, &e1);
			int r2 = km_ident_joint(&C2, keep, cap, syn_name, NULL, &J2, &e2);
			n_t1 += d1.n_calls;
			char what[200];
			if (fail) {   /* only when the family has two or more candidates in play is fam_delta asked */
				int asked = s0.n_calls > 0;
				snprintf(what, sizeof what, "fam_delta %d: a refusal is the stage's error, the same with per-thread contexts ('%s')", it, e2.msg);
				check(asked ? r1 == KM_EINPUT && r2 == KM_EINPUT && !strcmp(e1.msg, e2.msg) : r1 == r2, what);
				if (r1 == 0) km_ijoint_destroy(&J1);
				if (r2 == 0) km_ijoint_destroy(&J2);
				continue;
			}
			snprintf(what, sizeof what, "fam_delta %d (%d assignments): runs", it, n_all);
			check(r1 == 0 && r2 == 0, what);
			if (r1 || r2) continue;
			int good = J2.n_top == (keep < n_all ? keep : n_all);
			for (int k = 0; k < J2.n_top && good; ++k) {
				good = fabs(J2.top[k].lr - all[k].lr) < 1e-12;
				for (int i = 0; i < S.nr && good; ++i) good = J2.top[k].pick[i] == all[k].pick[i];
			}
			snprintf(what, sizeof what, "fam_delta %d: branch and bound with the caller's exact D finds the best %d rows", it, keep);
			check(good, what);
			good = J1.n_top == J2.n_top && J1.n_nodes == J2.n_nodes && J1.log10_rest == J2.log10_rest && J1.log10_sum == J2.log10_sum;
			for (int k = 0; k < J2.n_top && good; ++k) good = J1.top[k].lr == J2.top[k].lr && !memcmp(J1.top[k].pick, J2.top[k].pick, sizeof(int) * (size_t)S.nr);
			for (size_t k = 0; k < S.os[S.nr] + (size_t)S.nr && good; ++k) good = J1.marg[k] == J2.marg[k];
			snprintf(what, sizeof what, "fam_delta %d: one thread and two threads' contexts give the same bits (%.0f nodes)", it, J2.n_nodes);
			check(good, what);
			km_ijoint_destroy(&J1);
			km_ijoint_destroy(&J2);
		}
	}
	char what[128];
	snprintf(what, sizeof what, "fam_delta: %d cases; the second thread's context answered %ld calls", n_cases, n_t1);
	check(n_cases > 20 && n_t1 > 0, what);
}

/* ---- the bound sees a pair the joint term excludes ---------------------------------------
 * Two remains that each match one of two brothers well (lr 5) but cannot both be in the
 * family (joint term -inf: e.g. inconsistent with each other), 2 + NW weak remains with one
 * candidate of their own each (lr x_r in [0.3, 0.7]) or none.  The best rows: one of the
 * two in the family and the other on its own candidate (lr 1), a tie; then the same with
 * the weak remain of the smallest x left out.  The pairwise lrs (and W >= lr) like the
 * excluded pair by 4 over the best, so a bound that sees the family's joint term only at
 * the leaves explores every set of weak remains whose x sum to less than 4 below it:
 * about C(NW, 7) nodes.  Closed as soon as both brothers are taken, the family counts
 * -inf and that subtree is cut at once: a budget of 1e5 nodes proves the best rows. */
#define NW 28
typedef struct { double x[NW + 2]; } ex_t;
static int ex_fam(void *ctx, int fam, int n, const int *rem, const int *cand, double *lr, km_err_t *e)
{
	(void)ctx; (void)rem; (void)cand; (void)e;
	*lr = fam == 0 && n == 2 ? KM_NEG_INF : 5.0 * n;
	return 0;
}

static void ex_name(void *ctx, int n_rem, const int *rem, const int *pick_cand, char **buf, size_t *m)
{
	(void)ctx;
	size_t need = (size_t)n_rem * 16 + 1, len = 0;
	if (*m < need) { *buf = realloc(*buf, need); *m = need; }
	for (int i = 0; i < n_rem; ++i) len += (size_t)sprintf(*buf + len, "%sR%02d=%d", i ? ";" : "", rem[i], pick_cand[i]);
	(*buf)[len] = 0;
}

static void test_excluded_pair(void)
{
	int nr = NW + 2, rem[NW + 2], oc[2 * NW + 8], cfam[NW + 4];
	size_t os[NW + 3], o = 0;
	double ol[2 * NW + 8], gub[NW + 2], xmin = 1.0;
	/* candidates: 0, 1 the brothers (family 0); 2 + r remain r's own (family 1 + r) */
	cfam[0] = cfam[1] = 0;
	for (int r = 0; r < nr; ++r) cfam[2 + r] = 1 + r;
	for (int r = 0; r < nr; ++r) {
		rem[r] = r, os[r] = o;
		if (r < 2) oc[o] = r, ol[o++] = 5.0;
		double x = r < 2 ? 1.0 : 0.3 + 0.4 * urand();
		if (r >= 2 && x < xmin) xmin = x;
		oc[o] = 2 + r, ol[o++] = x;
		gub[r] = 10.0;
	}
	os[nr] = o;
	km_icomp_t C = { nr, rem, os, oc, ol, cfam, gub, ex_fam, NULL, NULL, NULL, 0, 1e5 };
	km_ijoint_t J;
	km_err_t e = { "" };
	int ret = km_ident_joint(&C, 3, 100.0, ex_name, NULL, &J, &e);
	check(ret == 0, "excluded pair: runs");
	if (ret) return;
	double best = 6.0;
	for (int r = 2; r < nr; ++r) best += ol[os[r]];
	char what[200];
	snprintf(what, sizeof what, "excluded pair: proven within 1e5 nodes (%.0f nodes, exact %d, stopped %d)", J.n_nodes, J.exact, J.stopped);
	check(!J.stopped && J.n_top == 3, what);
	int good = J.n_top == 3 && fabs(J.top[0].lr - best) < 1e-9 && fabs(J.top[1].lr - best) < 1e-9 && fabs(J.top[2].lr - (best - xmin)) < 1e-9;
	/* the tie, by the assignment string: R00 in the family and R01 on its own candidate 3,
	 * then R00 on its own candidate 2 and R01 in the family */
	good = good && J.top[0].pick[0] >= 0 && J.top[0].pick[1] >= 0 && J.top[1].pick[0] >= 0 && J.top[1].pick[1] >= 0
	       && oc[J.top[0].pick[0]] == 0 && oc[J.top[0].pick[1]] == 3 && oc[J.top[1].pick[0]] == 2 && oc[J.top[1].pick[1]] == 1;
	snprintf(what, sizeof what, "excluded pair: the best rows are the tie and then the smallest weak remain left out (%.6f %.6f %.6f, want %.6f, %.6f)",
	         J.n_top > 0 ? J.top[0].lr : 0.0, J.n_top > 1 ? J.top[1].lr : 0.0, J.n_top > 2 ? J.top[2].lr : 0.0, best, best - xmin);
	check(good, what);
	snprintf(what, sizeof what, "excluded pair: the bound of the search (%.6f) is at least the best row", J.log10_ub);
	check(J.log10_ub >= best - 1e-9, what);
	km_ijoint_destroy(&J);
}

/* ---- the branch and bound against enumeration on larger random components ---------------
 * Up to 10 remains and 12 candidates, two to five options each, families of one or two
 * candidates (two: a pair interaction in [-2, 1], now and then -inf), the best K of 1-3
 * (the search prunes from its first leaves): km_ident_joint with max_assign above the
 * count (every leaf, the reference) and with max_assign 1 (branch and bound) must give the
 * same rows, and its marginals must be at most the exact ones.  A bound that is not an
 * upper bound (e.g. a subproblem dual that take leaves infeasible) loses rows here. */
typedef struct { double inter[12][12]; int n_calls; } rb_t;
static const size_t *rb_os; static const int *rb_oc; static const double *rb_ol;
static int rb_fam(void *ctx, int fam, int n, const int *rem, const int *cand, double *lr, km_err_t *e)
{
	rb_t *X = ctx;
	double t = 0.0;
	(void)fam; (void)e;
	++X->n_calls;
	for (int i = 0; i < n; ++i) {
		double x = KM_NEG_INF;
		for (size_t o = rb_os[rem[i]]; o < rb_os[rem[i] + 1]; ++o) if (rb_oc[o] == cand[i]) x = rb_ol[o];
		t += x;
		for (int j = 0; j < i; ++j) t += X->inter[rem[i]][rem[j]];
	}
	*lr = t;
	return 0;
}

static void test_bnb_random(void)
{
	int n_pruned = 0, n_cases = 0;
	for (int it = 0; it < 1000; ++it) {
		int nr = 6 + irand(5), nc = 5 + irand(8), rem[12], oc[64], cfam[16];
		size_t os[13], o = 0;
		double ol[64], gub[12];
		rb_t X = { { { 0 } }, 0 };
		for (int c = 0, f = 0; c < nc; ++f) {   /* families of one or two candidates */
			cfam[c++] = f;
			if (c < nc && irand(3) == 0) cfam[c++] = f;
		}
		for (int r = 0; r < nr; ++r) {
			rem[r] = r, os[r] = o;
			int k = 2 + irand(4);
			for (int c = irand(nc), j = 0; j < k && o < 64; ++j, c = (c + 1 + irand(3)) % nc) {
				int dup = 0;
				for (size_t q = os[r]; q < o; ++q) dup |= oc[q] == c;
				if (dup) continue;
				oc[o] = c, ol[o++] = irand(6) == 0 ? 0.02 * irand(5) : -1.0 + 5.0 * urand();
			}
			gub[r] = 12.0;
		}
		os[nr] = o;
		for (int a = 0; a < nr; ++a)
			for (int b = 0; b < a; ++b) X.inter[a][b] = X.inter[b][a] = irand(10) == 0 ? KM_NEG_INF : -2.0 + 3.0 * urand();
		rb_os = os, rb_oc = oc, rb_ol = ol;
		km_icomp_t C = { nr, rem, os, oc, ol, cfam, gub, rb_fam, &X, NULL, NULL, 0, 0 };
		double na = km_ident_count(&C, 3e6);
		if (na >= 3e6 || na < 8) continue;
		int keep = 1 + irand(3);
		km_ijoint_t E, B;
		km_err_t e = { "" };
		if (km_ident_joint(&C, keep, 1e9, syn_name, NULL, &E, &e) != 0) { check(0, "random bnb: enumeration runs"); continue; }
		if (km_ident_joint(&C, keep, 1.0, syn_name, NULL, &B, &e) != 0) { check(0, "random bnb: branch and bound runs"); km_ijoint_destroy(&E); continue; }
		++n_cases;
		n_pruned += B.n_assign < E.n_assign;
		int good = !B.stopped && B.n_top == E.n_top;
		for (int k = 0; k < B.n_top && good; ++k) {
			good = B.top[k].lr == E.top[k].lr || fabs(B.top[k].lr - E.top[k].lr) < 1e-9;
			for (int i = 0; i < nr && good; ++i) good = B.top[k].pick[i] == E.top[k].pick[i];
		}
		for (size_t k = 0; k < o + (size_t)nr && good; ++k) good = B.marg[k] <= E.marg[k] + 1e-9;
		char what[160];
		snprintf(what, sizeof what, "random bnb %d (%d remains, %.0f assignments, best %d): the enumeration's rows, marginals below", it, nr, na, keep);
		check(good, what);
		km_ijoint_destroy(&E);
		km_ijoint_destroy(&B);
	}
	char what[128];
	snprintf(what, sizeof what, "random bnb: %d cases, %d of them pruned", n_cases, n_pruned);
	check(n_cases > 500 && n_pruned > n_cases / 2, what);
}

int main(void)
{
	(void)tmpdir;
	test_undisputed();
	test_joint();
	test_joint_delta();
	test_excluded_pair();
	test_bnb_random();
	printf("%d ok, %d failed\n", n_ok, n_fail);
	return n_fail != 0;
}
