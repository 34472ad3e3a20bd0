/* test_obs.c — the observation model (obs.c) and the engines that ask it.
 *
 * 1. The model's weights against its definition (per-allele dropout d; DESIGN.md §3):
 *    P({a,b}|ab) = (1-d)^2, P({a}|ab) = d(1-d), P({a}|aa) = 1-d^2, P({}|g) = d^2, so the
 *    calls of one genotype sum to 1.
 * 2. P(data) of random small pedigrees whose typed persons carry dropout (any person:
 *    a remain placed in a family as a typed member) by brute force over every ordered
 *    genotype of every person,
 *        sum prod_founders p p * prod_children T * prod_typed P(call | genotype),
 *    against variable elimination (lik.c), peeling (peel.c) and the theta path at
 *    theta = 0 (km_lik_theta), autosomal and X, with and without mutation.
 * 3. The scan's mixture for a remain's apparent homozygote, (P + wQ)/(1 + wR) with
 *    w = d/(1+d) from km_obs_hom_pqr, against the LR with the remain placed in the family
 *    as M with dropout: P(refs, call_M) / (P(refs) sum_g P(g) P(call | g)).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kmpriv.h"
#include "lik.h"
#include "obs.h"
#include "check.h"

#define MAXP 5
#define MAXK 4

static unsigned long long rs = 0x9E3779B97F4A7C15ULL;
static double urand(void) { rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17; return (double)(rs >> 11) / 9007199254740992.0; }
static int irand(int n) { return (int)(urand() * n); }

typedef struct {
	int n, K, xl;
	int fa[MAXP], mo[MAXP], sex[MAXP];
	int32_t gt[2 * MAXP];
	km_obsp_t obs[MAXP];
	double p[MAXK], Mf[MAXK * MAXK], Mm[MAXK * MAXK];
} case_t;

static int hemi(const case_t *c, int i) { return c->xl && c->sex[i] == KM_MALE; }

/* the call's weight; with typing error written out here from its definition (obs.h),
 * (1 - te) w_exact + te tc, not through km_obs_at's */
static double w_call(const case_t *c, int i, int x, int y)
{
	km_obs_t o;
	km_obsp_t ex = c->obs[i];
	ex.te = ex.tc = 0.0;
	if (!km_obs_call(&o, &ex, c->gt[2 * i], c->gt[2 * i + 1], hemi(c, i))) return 1.0;
	double w = km_obs_at(&o, x, y);
	return c->obs[i].te > 0.0 ? (1.0 - c->obs[i].te) * w + c->obs[i].te * c->obs[i].tc : w;
}

/* brute force: g[2i] paternal, g[2i+1] maternal (a man at X: only g[2i+1]) */
static double brute(const case_t *c)
{
	int nv = 2 * c->n, g[2 * MAXP];
	double tot = 0.0;
	for (int i = 0; i < nv; ++i) g[i] = 0;
	for (;;) {
		double pr = 1.0;
		for (int i = 0; i < c->n && pr != 0.0; ++i) {
			int h = hemi(c, i), x = g[2 * i], y = g[2 * i + 1];
			if (h && x != 0) { pr = 0.0; break; }     /* the unused variable is fixed at 0 */
			if (c->fa[i] < 0) pr *= h ? c->p[y] : c->p[x] * c->p[y];
			else {
				int f = c->fa[i], m = c->mo[i];
				if (!h) {
					if (c->xl) pr *= c->Mm[g[2 * f + 1] * c->K + x];                 /* father's only X */
					else pr *= 0.5 * (c->Mm[g[2 * f] * c->K + x] + c->Mm[g[2 * f + 1] * c->K + x]);
				}
				pr *= 0.5 * (c->Mf[g[2 * m] * c->K + y] + c->Mf[g[2 * m + 1] * c->K + y]);
			}
			pr *= h ? w_call(c, i, y, 0) : w_call(c, i, x, y);
		}
		tot += pr;
		int k;
		for (k = 0; k < nv; ++k) { if (++g[k] < c->K) break; g[k] = 0; }
		if (k == nv) break;
	}
	return tot;
}

static void rand_matrix(double *M, int K, double mu)
{
	for (int a = 0; a < K; ++a)
		for (int b = 0; b < K; ++b) M[a * K + b] = a == b ? 1.0 - mu : mu / (K - 1);
}

static void rand_case(case_t *c)
{
	memset(c, 0, sizeof *c);
	c->K = 2 + irand(MAXK - 1);
	c->n = 2 + irand(MAXP - 1);
	c->xl = urand() < 0.3;
	double s = 0.0;
	for (int a = 0; a < c->K; ++a) s += c->p[a] = 0.1 + urand();
	for (int a = 0; a < c->K; ++a) c->p[a] /= s;
	rand_matrix(c->Mf, c->K, urand() < 0.5 ? 0.0 : 0.05 * urand());
	rand_matrix(c->Mm, c->K, urand() < 0.5 ? 0.0 : 0.05 * urand());
	/* founders 0 (man) and 1 (woman); later persons children of an earlier man and woman */
	for (int i = 0; i < c->n; ++i) {
		c->fa[i] = c->mo[i] = -1;
		c->sex[i] = i == 0 ? KM_MALE : i == 1 ? KM_FEMALE : 1 + irand(2);
		if (i >= 2 && urand() < 0.8) {
			int men[MAXP], women[MAXP], nm = 0, nw = 0;
			for (int j = 0; j < i; ++j) { if (c->sex[j] == KM_MALE) men[nm++] = j; else women[nw++] = j; }
			c->fa[i] = men[irand(nm)], c->mo[i] = women[irand(nw)];
		}
	}
	for (int i = 0; i < c->n; ++i) {
		int32_t a = KM_NOALLELE, b = KM_NOALLELE;
		if (urand() < 0.6) {
			a = irand(c->K);
			if (hemi(c, i)) b = KM_HEMI;
			else { b = irand(c->K); if (b < a) { int32_t t = a; a = b; b = t; } }
		}
		c->gt[2 * i] = a, c->gt[2 * i + 1] = b;
		c->obs[i].d = urand() < 0.5 ? 0.0 : 0.4 * urand();
	}
}

static void lped(const case_t *c, km_lped_t *P, km_locus_t *L)
{
	P->n = c->n, P->father = c->fa, P->mother = c->mo, P->sex = c->sex, P->gt = c->gt, P->obs = c->obs;
	L->n = c->K, L->p = c->p, L->Mf = c->Mf, L->Mm = c->Mm, L->xlinked = c->xl, L->Km = L->Kf = NULL;
}

static int close_rel(double got, double want)
{
	if (want == 0.0) return got == 0.0;
	return fabs(got - want) <= 1e-10 * want;
}

/* P(data) by elimination (q < 0) and by peeling (q = person 0, summed over its genotypes)
 * against want; counts into *bad_ve, *bad_peel, *n_peel (cases peeling applies to).
 * Leaves km_lik_engine at 0; returns -1 when the elimination failed. */
static int two_engines(const case_t *c, const km_lped_t *P, const km_locus_t *L, km_lws_t *ws, int t, const char *tag,
                       double want, int *bad_ve, int *bad_peel, int *n_peel)
{
	double phi[MAXK * MAXK], lg;
	km_err_t e;
	km_lik_engine = 1;
	if (km_lik_query(L, P, -1, phi, &lg, &e) < 0) { printf("VE error: %s\n", e.msg); ++*bad_ve; km_lik_engine = 0; return -1; }
	double ve = lg == KM_NEG_INF ? 0.0 : phi[0] * pow(10.0, lg);
	if (!close_rel(ve, want)) { ++*bad_ve; printf("  case %d: VE%s %.15g, brute %.15g\n", t, tag, ve, want); }
	km_lik_engine = 2;
	if (km_lik_query_ws(L, P, 0, phi, &lg, ws, &e) == 0) {
		double s = 0.0;
		int nq = hemi(c, 0) ? c->K : c->K * c->K;
		for (int i = 0; i < nq; ++i) s += phi[i];
		double pe = lg == KM_NEG_INF ? 0.0 : s * pow(10.0, lg);
		++*n_peel;
		if (!close_rel(pe, want)) { ++*bad_peel; printf("  case %d: peel%s %.15g, brute %.15g\n", t, tag, pe, want); }
	}
	km_lik_engine = 0;
	return 0;
}

int main(void)
{
	char what[256];
	km_err_t e;
	(void)tmpdir;

	/* 1. the weights */
	{
		double d = 0.23;
		km_obsp_t par = { .d = d };
		km_obs_t ab, a, aa0;
		check(km_obs_call(&ab, &par, 1, 2, 0) == 1 && ab.ne == 2, "{a,b}: two sparse entries");
		check(km_obs_at(&ab, 1, 2) == (1 - d) * (1 - d) && km_obs_at(&ab, 2, 1) == (1 - d) * (1 - d) && km_obs_at(&ab, 1, 1) == 0.0,
		      "{a,b}: (1-d)^2 at ab and ba, 0 elsewhere");
		check(km_obs_call(&a, &par, 1, 1, 0) == 1 && a.ne == 0, "{a} with dropout: dense");
		check(fabs(km_obs_at(&a, 1, 1) - (1 - d * d)) < 1e-15 && fabs(km_obs_at(&a, 1, 3) - d * (1 - d)) < 1e-15 &&
		      fabs(km_obs_at(&a, 3, 1) - d * (1 - d)) < 1e-15 && km_obs_at(&a, 2, 3) == 0.0,
		      "{a} with dropout: 1-d^2 at aa, d(1-d) at ax and xa");
		/* genotype (1,2): P({1,2}) + P({1}) + P({2}) + P({}) = 1; genotype (1,1): P({1}) + P({}) = 1 */
		km_obs_t b;
		km_obs_call(&b, &par, 2, 2, 0);
		double s12 = km_obs_at(&ab, 1, 2) + km_obs_at(&a, 1, 2) + km_obs_at(&b, 1, 2) + d * d;
		double s11 = km_obs_at(&a, 1, 1) + d * d;
		check(fabs(s12 - 1.0) < 1e-15 && fabs(s11 - 1.0) < 1e-15, "the calls of a genotype sum to 1");
		check(km_obs_call(&aa0, NULL, 1, 1, 0) == 1 && aa0.ne == 1 && aa0.ew[0] == 1.0, "exact {a}: one entry of weight 1");
		check(km_obs_call(&aa0, &par, KM_NOALLELE, KM_NOALLELE, 0) == 0, "untyped: no call");
		km_obs_t h;
		check(km_obs_call(&h, &par, 3, KM_HEMI, 1) == 1 && h.nd == 1 && km_obs_at(&h, 3, 0) == 1.0 && km_obs_at(&h, 2, 0) == 0.0,
		      "a man at X: one allele, no dropout model");
		check(km_obs_drop_w(d) == d / (1 + d), "w = d/(1+d)");
		/* the basis of an apparent homozygote (remain pairs, compile.c rp_basis): weights 0
		 * at aa, 1 at ax and xa, so (1-d^2) [exact aa] + d(1-d) [basis] = the dropout weights */
		km_obsp_t bas = { .basis = 1 };
		km_obs_t v, u;
		km_obs_call(&v, &bas, 1, 1, 0);
		km_obs_call(&u, NULL, 1, 1, 0);
		int same = 1;
		for (int x = 0; x < 4; ++x)
			for (int y = 0; y < 4; ++y)
				same &= fabs((1 - d * d) * km_obs_at(&u, x, y) + d * (1 - d) * km_obs_at(&v, x, y) - km_obs_at(&a, x, y)) < 1e-15;
		check(same && km_obs_at(&v, 1, 1) == 0.0 && km_obs_at(&v, 1, 2) == 1.0, "basis: (1-d^2) U + d(1-d) V is {a} under dropout");
		check(km_obs_call(&v, &bas, 1, 2, 0) == 1 && v.ne == 2 && km_obs_at(&v, 1, 2) == 1.0, "basis: a heterozygous call is unchanged (exact)");
	}

	/* 2. P(data) with dropout on any typed person, four engines */
	{
		int n_case = 0, n_peel = 0, bad_ve = 0, bad_peel = 0, bad_theta = 0;
		km_lws_t *ws = km_lws_new();
		for (int t = 0; t < 400; ++t) {
			case_t c;
			km_lped_t P;
			km_locus_t L;
			rand_case(&c);
			lped(&c, &P, &L);
			double want = brute(&c);
			++n_case;
			if (two_engines(&c, &P, &L, ws, t, "", want, &bad_ve, &bad_peel, &n_peel) < 0) continue;
			double lt;
			if (km_lik_theta(&L, &P, 0.0, NULL, 0, &lt, &e) < 0) { printf("theta error: %s\n", e.msg); ++bad_theta; continue; }
			double th = lt == KM_NEG_INF ? 0.0 : pow(10.0, lt);
			if (!close_rel(th, want)) { ++bad_theta; printf("  case %d: theta0 %.15g, brute %.15g\n", t, th, want); }
		}
		km_lws_free(ws);
		km_lik_engine = 0;
		snprintf(what, sizeof what, "elimination = brute force with dropout on typed persons (%d cases)", n_case);
		check(bad_ve == 0, what);
		snprintf(what, sizeof what, "peeling = brute force with dropout on typed persons (%d cases peeled)", n_peel);
		check(bad_peel == 0 && n_peel > 100, what);
		snprintf(what, sizeof what, "theta path at theta 0 = brute force with dropout (%d cases)", n_case);
		check(bad_theta == 0, what);
	}

	/* 2b. typing error (issue 12 part 1) on typed persons, with and without dropout: the
	 * elimination's sum over subsets (lik.c), the peeler's leaves as "sparse + constant"
	 * and its other persons dense (peel.c), against the brute force; also km_obs_at */
	{
		int n_case = 0, n_peel = 0, n_leaf = 0, bad_ve = 0, bad_peel = 0, bad_at = 0;
		km_lws_t *ws = km_lws_new();
		for (int t = 0; t < 600; ++t) {
			case_t c;
			km_lped_t P;
			km_locus_t L;
			rand_case(&c);
			for (int i = 0; i < c.n; ++i) {
				c.obs[i].te = urand() < 0.7 ? 0.01 + 0.3 * urand() : 0.0;
				c.obs[i].tc = 0.02 + 0.5 * urand();
				if (t % 2) c.obs[i].d = 0.0;   /* exact calls: the peeler's sparse + constant form */
			}
			if (t % 3 == 0) c.gt[0] = c.gt[1] = KM_NOALLELE;   /* q = 0 untyped, as compile asks */
			lped(&c, &P, &L);
			for (int i = 1; i < c.n; ++i) {   /* a typed leaf with parents: the new form */
				int kids = 0;
				for (int j = 0; j < c.n; ++j) kids += c.fa[j] == i || c.mo[j] == i;
				n_leaf += !kids && c.fa[i] >= 0 && c.gt[2 * i] != KM_NOALLELE && c.obs[i].te > 0.0;
			}
			for (int i = 0; i < c.n; ++i) {
				km_obs_t o;
				if (!km_obs_call(&o, &c.obs[i], c.gt[2 * i], c.gt[2 * i + 1], hemi(&c, i))) continue;
				for (int x = 0; x < c.K; ++x)
					for (int y = 0; y < c.K; ++y)
						if (fabs(km_obs_at(&o, x, y) - w_call(&c, i, x, y)) > 1e-15) ++bad_at;
			}
			double want = brute(&c);
			++n_case;
			two_engines(&c, &P, &L, ws, t, " with error", want, &bad_ve, &bad_peel, &n_peel);
		}
		km_lws_free(ws);
		km_lik_engine = 0;
		check(bad_at == 0, "typing error: km_obs_at = (1 - E) w + E c");
		snprintf(what, sizeof what, "elimination = brute force with typing error (%d cases)", n_case);
		check(bad_ve == 0, what);
		snprintf(what, sizeof what, "peeling = brute force with typing error (%d cases peeled, %d erroneous typed leaves)", n_peel, n_leaf);
		check(bad_peel == 0 && n_peel > 100 && n_leaf > 100, what);
	}

	/* 3. the scan's mixture = the remain placed as M with its dropout */
	{
		int bad = 0, n = 0;
		for (int t = 0; t < 200; ++t) {
			case_t c;
			km_lped_t P;
			km_locus_t L;
			rand_case(&c);
			c.xl = 0;
			int q = c.n - 1;
			for (int i = 0; i < c.n; ++i) c.obs[i].d = 0.0;   /* references exact */
			c.gt[2 * q] = c.gt[2 * q + 1] = KM_NOALLELE;
			lped(&c, &P, &L);
			double phi[MAXK * MAXK], lg, pref = 0.0, S = 0.0;
			if (km_lik_query(&L, &P, q, phi, &lg, &e) < 0 || lg == KM_NEG_INF) continue;
			for (int i = 0; i < c.K * c.K; ++i) pref += phi[i];
			for (int a = 0; a < c.K; ++a) S += c.p[a];
			int a = irand(c.K);
			double d = 0.05 + 0.4 * urand(), H[3];
			km_obs_hom_pqr(phi, c.K, c.p, S, pref, a, phi[a * c.K + a], 0, H);
			double mix = km_obs_mix(H, km_obs_drop_w(d));
			/* direct: M typed {a} with dropout d */
			c.gt[2 * q] = c.gt[2 * q + 1] = a, c.obs[q].d = d;
			double num = brute(&c), den0;
			c.gt[2 * q] = c.gt[2 * q + 1] = KM_NOALLELE;
			den0 = brute(&c);
			double pcall = (1 - d * d) * c.p[a] * c.p[a] + d * (1 - d) * 2 * c.p[a] * (S - c.p[a]);
			double direct = num / (den0 * pcall);
			++n;
			if (!(fabs(mix - direct) <= 1e-10 * direct)) { ++bad; printf("  case %d: mixture %.15g, direct %.15g\n", t, mix, direct); }
		}
		snprintf(what, sizeof what, "(P + wQ)/(1 + wR) = the remain placed as M with dropout (%d cases)", n);
		check(bad == 0 && n > 100, what);
	}
	printf("%d ok, %d failed\n", n_ok, n_fail);
	return n_fail != 0;
}
