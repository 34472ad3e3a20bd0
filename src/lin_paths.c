/* lin_paths.c — the lineage paths: for every person, the closest reference with data on
 * the male line (Y-STR) or the maternal line (mtDNA), the meioses k to it, and the slot
 * of that reference's data (lin_paths, linear in the family: issue 15).  Both systems ask
 * the same question of the pedigree, so it is answered once, here, apart from either;
 * with it are the small helpers the lineage files share (lin_calloc, lin_chain, and the
 * Clopper-Pearson bound of --lineage-freq upper95, lin_cp_upper95).
 * The models the paths serve are in lineage.c's head comment.
 *
 * Copyright (C) 2026 the kinmatch authors.  GPL-3.0-or-later.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <htslib/khash_str2int.h>
#include "lin_int.h"

/* ---- small helpers ----------------------------------------------------------------- */

void *lin_calloc(size_t n, size_t sz, int *fail)
{
	void *p = calloc(n ? n : 1, sz);
	if (p == NULL) *fail = 1;
	return p;
}

/* The one-sided 95% Clopper-Pearson upper bound of a frequency x/n (Clopper & Pearson
 * 1934, Biometrika 26:404): the q with I_q(x + 1, n - x) = 0.95, I the regularised
 * incomplete beta function, i.e. the 0.95 quantile of Beta(x + 1, n - x).  GSL 2.7's
 * quantile (gsl_cdf_beta_Pinv) fails to converge for some pairs — about 2,800 with
 * n <= 10^6, x < 3,000, e.g. x = 29 of n = 1,000 — and its default error handler aborts
 * the process (a real run with --lineage-freq upper95 did).  So its answer is used only
 * when I_q checks out at 0.95 to 1e-12, and otherwise q is found by bisection of I_q, which
 * is continuous and increasing in q, down to adjacent doubles: the smallest double found
 * with I_q >= 0.95.  GSL's error handler is off (km_lin_build), so a failure is a NaN here,
 * never an abort.  0 <= x < n. */
double lin_cp_upper95(long x, long n)
{
	double a = x + 1.0, b = (double)(n - x);
	double q = gsl_cdf_beta_Pinv(0.95, a, b);
	if (q > 0.0 && q <= 1.0 && fabs(gsl_cdf_beta_P(q, a, b) - 0.95) < 1e-12) return q;
	double lo = 0.0, hi = 1.0;
	for (;;) {
		double mid = lo + 0.5 * (hi - lo);
		if (mid <= lo || mid >= hi) break;
		if (gsl_cdf_beta_P(mid, a, b) < 0.95) lo = mid;
		else hi = mid;
	}
	return hi;
}

/* Chains items with equal keys: head[i] = 1 for the first item of each key, next[i] = the
 * next item with the same key or -1.  key[] must stay valid during the call. */
int lin_chain(int n, char *const *key, uint8_t *head, int *next, km_err_t *e)
{
	void *h = khash_str2int_init();
	int i, last;
	if (h == NULL) return km_err_set(e, KM_ENOMEM, "out of memory");
	for (i = 0; i < n; ++i) {
		next[i] = -1;
		head[i] = khash_str2int_get(h, key[i], &last) < 0;
		if (!head[i]) next[last] = i;
		if (khash_str2int_set(h, key[i], i) < 0) {
			khash_str2int_destroy(h);
			return km_err_set(e, KM_ENOMEM, "out of memory");
		}
	}
	khash_str2int_destroy(h);
	return 0;
}

/* ---- lineage paths ------------------------------------------------------------------- */

/* Finds, for every person q of family fm, the closest reference on q's line through
 * `father` (male line) or `mother` (maternal line): up from q through that parent, then
 * down through the same kind of links to R, i.e. R's chain of such parents meets q's
 * chain.  has[i] != 0 marks the eligible references.  The first meeting point a of the
 * two single-parent chains gives the shortest path, k = (d_q - d_a) + (d_R - d_a) with d
 * the depth in the forest of such links.  Ties: smaller id (strcmp).  ref[q] = -1 when
 * there is none.
 * Linear in the family (issue 15: a 10,000-generation line): B(a) = the two best
 * references (d_R, id) below a, children before parents; then, parents before children,
 * U(q) = the two best distinct references (d_R - 2 d_a, id) over q's ancestors a
 * (q included) = merge(U(parent), B(q)); q's answer is U(q)'s best other than q.
 * w is scratch of 18 * fm->n_person + 2 ints, 8-byte aligned. */
typedef struct { int v, rk, r; } lin_best_t;   /* value, rank of the id, reference; r < 0 none */

static int lin_best_lt(const lin_best_t *x, const lin_best_t *y)
{
	return y->r < 0 || (x->r >= 0 && (x->v < y->v || (x->v == y->v && x->rk < y->rk)));
}

/* o[0..1] = the two best of x[0..nx) with distinct references (the smaller value kept) */
static void lin_best2(const lin_best_t *x, int nx, lin_best_t *o)
{
	lin_best_t b[2] = { { 0, 0, -1 }, { 0, 0, -1 } };
	for (int i = 0; i < nx; ++i) {
		lin_best_t c = x[i];
		if (c.r < 0) continue;
		if (b[0].r == c.r) { if (lin_best_lt(&c, &b[0])) b[0] = c; continue; }
		if (b[1].r == c.r) { if (lin_best_lt(&c, &b[1])) b[1] = c; }
		else if (lin_best_lt(&c, &b[1])) b[1] = c;
		if (lin_best_lt(&b[1], &b[0])) { lin_best_t t = b[0]; b[0] = b[1]; b[1] = t; }
	}
	o[0] = b[0], o[1] = b[1];
}

typedef struct { const char *id; int i; } lin_idx_t;
static int lin_idx_cmp(const void *x, const void *y)
{
	return strcmp(((const lin_idx_t *)x)->id, ((const lin_idx_t *)y)->id);
}

static void lin_family(const km_family_t *fm, int male_line, const uint8_t *has, int *w, int *ref, int *kk)
{
	int n = fm->n_person, i, head = 0, tail = 0, nr = 0;
	int *par = w, *off = par + n, *kid = off + n + 1, *ord = kid + n, *dep = ord + n, *rk = dep + n;
	lin_best_t *B = (lin_best_t *)(rk + n + 1), *U = B + 2 * (size_t)n;   /* 2n entries each */
	lin_idx_t *ix = (lin_idx_t *)U;                                    /* before U is used */
	for (i = 0; i < n; ++i) par[i] = male_line ? fm->person[i].father : fm->person[i].mother;
	for (i = 0; i <= n; ++i) off[i] = 0;
	for (i = 0; i < n; ++i) if (par[i] >= 0) ++off[par[i] + 1];
	for (i = 0; i < n; ++i) off[i + 1] += off[i];
	for (i = 0; i < n; ++i) if (par[i] >= 0) kid[off[par[i]]++] = i;   /* off[p] = end of p's */
	for (i = n; i > 0; --i) off[i] = off[i - 1];
	off[0] = 0;
	for (i = 0; i < n; ++i) if (par[i] < 0) ord[tail++] = i, dep[i] = 0;
	while (head < tail) {                        /* breadth first: parents before children */
		int u = ord[head++];
		for (int k = off[u]; k < off[u + 1]; ++k) dep[kid[k]] = dep[u] + 1, ord[tail++] = kid[k];
	}
	for (i = 0; i < n; ++i) if (has[i]) ix[nr].id = fm->person[i].id, ix[nr++].i = i;
	qsort(ix, nr, sizeof *ix, lin_idx_cmp);
	for (i = 0; i < nr; ++i) rk[ix[i].i] = i;
	for (i = 0; i < n; ++i) {
		B[2 * i].r = B[2 * i + 1].r = -1;
		if (has[i]) B[2 * i].v = dep[i], B[2 * i].rk = rk[i], B[2 * i].r = i;
	}
	for (i = tail - 1; i >= 0; --i) {            /* children before parents */
		int u = ord[i], p = par[u];
		lin_best_t x[4];
		if (p < 0) continue;
		x[0] = B[2 * p], x[1] = B[2 * p + 1], x[2] = B[2 * u], x[3] = B[2 * u + 1];
		lin_best2(x, 4, B + 2 * p);
	}
	for (i = 0; i < tail; ++i) {                 /* parents before children */
		int u = ord[i], p = par[u];
		lin_best_t x[4];
		x[0] = B[2 * u], x[1] = B[2 * u + 1];
		x[0].v -= 2 * dep[u], x[1].v -= 2 * dep[u];
		if (p >= 0) x[2] = U[2 * p], x[3] = U[2 * p + 1];
		lin_best2(x, p >= 0 ? 4 : 2, U + 2 * u);
		const lin_best_t *b = U[2 * u].r != u ? &U[2 * u] : &U[2 * u + 1];
		ref[u] = b->r, kk[u] = b->r >= 0 ? dep[u] + b->v : 0;
	}
}

/* Fills s->ref / s->k / s->slot_of for every person (index pbase[f] + i).  hasv[person]:
 * an eligible reference; key[person] in [0, n_key) identifies its data (refs sample for
 * Y, mtDNA set index for mt): persons whose chosen references share a key share a slot,
 * and s->slot_sample[slot] is that key. */
int lin_paths(lin_sys_t *s, const km_peds_t *peds, const int *pbase, int male_line, const uint8_t *hasv,
              const int *key, int n_key, km_err_t *e)
{
	int f, i, fail = 0, n_tot = pbase[peds->n_family], *upos = NULL, *kslot, mx = 1;
	s->ref = lin_calloc(n_tot, sizeof *s->ref, &fail);
	s->k = lin_calloc(n_tot, sizeof *s->k, &fail);
	s->slot_of = lin_calloc(n_tot, sizeof *s->slot_of, &fail);
	s->slot_sample = lin_calloc(n_tot, sizeof *s->slot_sample, &fail);
	kslot = lin_calloc(n_key, sizeof *kslot, &fail);
	if (!fail) {
		for (f = 0; f < peds->n_family; ++f)
			if (peds->fam[f].n_person > mx) mx = peds->fam[f].n_person;
		upos = lin_calloc(20 * (size_t)mx + 2, sizeof *upos, &fail);   /* lin_family's scratch, ref, k */
	}
	if (fail) {
		free(kslot);
		free(upos);
		return km_err_set(e, KM_ENOMEM, "out of memory");
	}
	for (i = 0; i < n_key; ++i) kslot[i] = -1;
	s->n_slot = 0;
	for (f = 0; f < peds->n_family; ++f) {
		const km_family_t *fm = &peds->fam[f];
		int *fref = upos + 18 * (size_t)mx + 2, *fk = fref + mx;
		lin_family(fm, male_line, hasv + pbase[f], upos, fref, fk);
		for (i = 0; i < fm->n_person; ++i) {
			int p = pbase[f] + i, r = fref[i], k = fk[i];
			s->slot_of[p] = -1, s->ref[p] = -1, s->k[p] = 0;
			if (male_line && fm->person[i].sex != KM_MALE) continue; /* a woman has no Y line */
			if (r < 0) continue;
			s->ref[p] = r, s->k[p] = k;
			if (kslot[key[pbase[f] + r]] < 0) {
				kslot[key[pbase[f] + r]] = s->n_slot;
				s->slot_sample[s->n_slot++] = key[pbase[f] + r];
			}
			s->slot_of[p] = kslot[key[pbase[f] + r]];
		}
	}
	free(kslot);
	free(upos);
	return 0;
}
