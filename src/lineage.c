/* lineage.c — Y-STR and mtDNA lineage evidence: one "locus" per system for the scan.
 *
 * The model is that of the lineage issue (issue 3); every formula below names it.
 *
 * Y-STR.  Male line of the missing person M: up from M through fathers, then down
 * through sons to a reference R, all male; k = meioses on that path.  The reference with
 * Y data and the smallest k is used (ties: sample id in byte order).  Per compared locus
 * (typed in the remain and in R; multi-copy values sorted and paired in order, copy
 * counts must agree) the stepwise single-step model: each meiosis changes the repeat
 * number by +1 or -1 with probability mu/2 each (mu = male_rate, else mutation_rate,
 * i.e. km_marker_t.rate_m) and keeps it with 1 - mu; P_k is the k-fold convolution, and a
 * non-integral difference has probability 0.  Numerator prod P_k(a_R - a_remain);
 * denominator f = (x + 1)/(N + 1) (issue 3; the database count augmented by the observed
 * haplotype): N = database haplotypes typed at every compared locus (a row with a
 * `count` stands for that many), x = those equal to R at all of them.
 *
 * mtDNA.  Maternal line: up from M through mothers, then down through mothers to R (R may
 * be male); k meioses.  Compared positions: intersection of the two ranges.  A position's
 * state is the rCRS base unless a variant gives another (a base, an IUPAC set or a
 * deletion); two states match when their base sets intersect.  Inserted bases count,
 * one difference each, when present in one haplotype only (or with disjoint bases) and
 * anchored in the compared region, except in the C-stretches 303-315 and 16184-16193
 * (length heteroplasmy: ignored).  Numerator: Poisson probability of d differences in k
 * meioses at u per meiosis, e^(-ku) (ku)^d / d!.  Denominator as for Y over database
 * entries whose range covers the compared region; x = those with d = 0 against R.
 *
 * --lineage-freq upper95: f is the one-sided 95% Clopper-Pearson upper bound of x/N,
 * the Beta(0.95; x + 1, N - x) quantile (Clopper & Pearson 1934, Biometrika 26:404),
 * 1 when x = N (or N = 0).  For x = 0 it is 1 - 0.05^(1/N).  This is the conservative
 * practice of the SWGDAM Interpretation Guidelines for Y-Chromosome STR Typing (2014):
 * the counting method with the upper 95% confidence limit of the haplotype frequency.
 *
 * Speed.  The chosen reference of every person is found once here.  f depends on the
 * reference and on which loci (Y) / which positions (mt) are compared, i.e. on the
 * remain's typed-loci mask / range set and not on its values, so it is computed here for
 * every (chosen reference, remain mask) pair, grouping the pairs by compared mask so
 * the database is scanned once per distinct mask (hash of projected haplotypes).
 * km_lin_cand() then only adds numbers: O(columns x loci) per candidate, no locks.
 *
 * Copyright (C) 2026 the kinmatch authors.  GPL-3.0-or-later.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <htslib/khash_str2int.h>
#include <htslib/kstring.h>
#include <gsl/gsl_cdf.h>
#include "kmpriv.h"
#include "lineage.h"
#include "rcrs.h"

#define LN10 2.30258509299404568402

typedef struct {
	int n_slot;                 /* chosen references */
	int *slot_of;               /* per person (pbase[f] + i): slot of its chosen reference, -1 none */
	int *k;                     /* per person: meioses to it */
	int *ref;                   /* per person: chosen reference (person index in the family) */
	int *slot_sample;           /* per slot: refs sample (Y) or mtDNA set index (mt) */
	double *logf;               /* [slot * n_rm + rm]: log10 f */
	int ncol;                   /* columns, column 0 included */
	int *rcol;                  /* per remain: column */
	int *col_rm;                /* per column: remain mask (Y) / range set (mt) id */
	int n_rm;
} lin_sys_t;

struct km_lin_s {
	int n_remain, n_fam;
	int *pbase;                 /* first per-person slot of each family */
	int y_on, mt_on;
	lin_sys_t y, m;
	/* Y */
	int n_yl;                   /* Y-STR loci: the panel's Y-STR markers, panel order */
	int *ymk;                   /* panel marker of each */
	double *ymu;                /* male mutation rate of each */
	double *ycol;               /* [(c * n_yl + l) * 2 + k]: column values, NAN untyped (c >= 1) */
	double *yslot;              /* [(slot * n_yl + l) * 2 + k]: chosen references' values */
	int16_t *yw;                /* [(2 l + k) * ncol + c]: whole part of 100 x value (INT16_MIN untyped), */
	int8_t *yf;                 /* and its hundredths: the column screen of y_cand; NULL if off grid */
	/* the Y database, as bit masks and exact value codes, for the denominators */
	int n_yh;                   /* database haplotypes */
	uint64_t *yh_typed;         /* per haplotype: loci typed (bit l) */
	uint64_t *yh_code;          /* [h * n_yl + l]: exact code of the (sorted) values */
	uint16_t *yh_id;            /* [l * n_yh + h]: 1 + rank of that code among locus l's, 0 untyped */
	uint64_t *yl_codes;         /* locus l's distinct codes, sorted: yl_codes[yl_cstart[l] ..] */
	int *yl_cstart;             /* [n_yl + 1] */
	long *yh_count;             /* per haplotype: weight (the count column, else 1) */
	uint64_t yl_indb;           /* loci that are columns of the database */
	uint64_t *yr_left;          /* per remain: typed loci the database lacks (left out, issue 12 part 3) */
	uint64_t *yslot_left;       /* per Y slot: the chosen reference's typed loci the database lacks */
	int n_yleft;                /* loci left out for some remain (0: no y_left_out column) */
	uint64_t *rm_bits;          /* per remain mask: loci typed */
	long *rm_n;                 /* per remain mask: N for a reference typed at all its loci */
	int y_upper95;
	/* mt */
	km_mtset_t mt, mtdb;
	int *mcol_hap;              /* per column (c >= 1): index in mt of a remain showing it */
	double mt_rate;
};

/* ---- small helpers ----------------------------------------------------------------- */

static double lin_logf(long x, long n, int upper95)
{
	if (n <= 0 || x >= n) return upper95 || n <= 0 ? 0.0 : log10((x + 1.0) / (n + 1.0));
	if (upper95) return log10(gsl_cdf_beta_Pinv(0.95, x + 1.0, (double)(n - x)));
	return log10((x + 1.0) / (n + 1.0));
}

static void *lin_calloc(size_t n, size_t sz, int *fail)
{
	void *p = calloc(n ? n : 1, sz);
	if (p == NULL) *fail = 1;
	return p;
}

/* Chains items with equal keys: head[i] = 1 for the first item of each key, next[i] = the
 * next item with the same key or -1.  key[] must stay valid during the call. */
static int lin_chain(int n, char *const *key, uint8_t *head, int *next, km_err_t *e)
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

static void lin_sys_free(lin_sys_t *s)
{
	free(s->slot_of);
	free(s->k);
	free(s->ref);
	free(s->slot_sample);
	free(s->logf);
	free(s->rcol);
	free(s->col_rm);
}

void km_lin_destroy(km_lin_t *L)
{
	if (L == NULL) return;
	lin_sys_free(&L->y);
	lin_sys_free(&L->m);
	free(L->pbase);
	free(L->ymk);
	free(L->ymu);
	free(L->ycol);
	free(L->yslot);
	free(L->yw); free(L->yf);
	free(L->yr_left); free(L->yslot_left);
	free(L->yh_typed); free(L->yh_code); free(L->yh_id); free(L->yl_codes); free(L->yl_cstart); free(L->yh_count); free(L->rm_bits); free(L->rm_n);
	km_mt_destroy(&L->mt);
	km_mt_destroy(&L->mtdb);
	free(L->mcol_hap);
	free(L);
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
static int lin_paths(lin_sys_t *s, const km_peds_t *peds, const int *pbase, int male_line, const uint8_t *hasv,
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

/* ---- Y-STR ------------------------------------------------------------------------------ */

static int cmp_dbl(double a, double b)
{
	int na = isnan(a), nb = isnan(b);
	if (na || nb) return na - nb; /* NAN (absent) after any value */
	return a < b ? -1 : a > b;
}

/* Y values of sample s of profile pr into v[n_yl * 2]: copies sorted, NAN absent.
 * Returns 1 if any locus is typed, 0 if none, < 0 on a label that is no number. */
static int y_values(const km_lin_t *L, const km_freqs_t *f, const km_prof_t *pr, int s, double *v, km_err_t *e)
{
	int l, any = 0;
	for (l = 0; l < L->n_yl; ++l) {
		const int32_t *g = km_prof_gt(pr, s, L->ymk[l]);
		double *x = v + (size_t)l * 2;
		int k;
		x[0] = x[1] = (double)NAN;
		if (g[0] < 0) continue;
		for (k = 0; k < 2; ++k) {
			const km_alleles_t *al = &f->loc[L->ymk[l]];
			if (g[k] < 0) continue; /* KM_HEMI: a single copy */
			if (g[k] >= al->n_allele || km_parse_double(al->label[g[k]], &x[k]) < 0)
				return km_err_at(e, pr->fn, pr->line[s], 1, "sample '%s': Y-STR allele '%s' is not a repeat number",
				                 pr->sample[s], g[k] < al->n_allele ? al->label[g[k]] : "?");
		}
		if (x[1] < x[0]) {
			double t = x[0];
			x[0] = x[1], x[1] = t;
		}
		any = 1;
	}
	return any;
}

typedef struct { const double *v; int n, idx; } yrow_t; /* a remain's values, for sorting */

static int cmp_yrow(const void *a, const void *b)
{
	const yrow_t *x = a, *y = b;
	int i, c;
	for (i = 0; i < x->n; ++i)
		if ((c = cmp_dbl(x->v[i], y->v[i])) != 0) return c;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

static int y_row_eq(const double *x, const double *y, int n)
{
	int i;
	for (i = 0; i < n; ++i)
		if (cmp_dbl(x[i], y[i]) != 0) return 0;
	return 1;
}

/* Columns of the Y system, and remain masks.  rv: n_remain rows of n_yl * 2 values. */
static int y_columns(km_lin_t *L, const double *rv, const uint8_t *rhas, uint8_t **cmask_out, km_err_t *e)
{
	int n = L->n_remain, rw = L->n_yl * 2, i, nr = 0, fail = 0, c, l;
	yrow_t *ord = lin_calloc(n, sizeof *ord, &fail);
	lin_sys_t *s = &L->y;
	uint8_t *cmask;
	s->rcol = lin_calloc(n, sizeof *s->rcol, &fail);
	if (fail) {
		free(ord);
		return km_err_set(e, KM_ENOMEM, "out of memory");
	}
	for (i = 0; i < n; ++i)
		if (rhas[i]) ord[nr].v = rv + (size_t)i * rw, ord[nr].n = rw, ord[nr++].idx = i;
	qsort(ord, nr, sizeof *ord, cmp_yrow);
	s->ncol = 1;
	for (i = 0; i < nr; ++i) {
		if (i == 0 || !y_row_eq(ord[i].v, ord[i - 1].v, rw)) ++s->ncol;
		s->rcol[ord[i].idx] = s->ncol - 1;
	}
	L->ycol = lin_calloc((size_t)s->ncol * rw, sizeof *L->ycol, &fail);
	s->col_rm = lin_calloc(s->ncol, sizeof *s->col_rm, &fail);
	cmask = lin_calloc((size_t)s->ncol * (L->n_yl + 1), 1, &fail); /* distinct masks, at most ncol */
	if (fail) {
		free(ord);
		free(cmask);
		return km_err_set(e, KM_ENOMEM, "out of memory");
	}
	for (i = 0; i < nr; ++i) memcpy(L->ycol + (size_t)s->rcol[ord[i].idx] * rw, ord[i].v, rw * sizeof(double));
	free(ord);
	/* distinct masks in order of first appearance, found through an open-addressing
	 * table of mask ids (hash of the row, rows compared in full) */
	s->n_rm = 0;
	size_t hm = 16;
	while (hm < 2 * (size_t)s->ncol) hm *= 2;
	int *slot = malloc(sizeof(int) * hm);
	if (!slot) { free(cmask); return km_err_set(e, KM_ENOMEM, "out of memory"); }
	for (size_t i2 = 0; i2 < hm; ++i2) slot[i2] = -1;
	for (c = 1; c < s->ncol; ++c) {
		uint8_t *mk = cmask + (size_t)s->n_rm * L->n_yl;
		uint64_t b = 1469598103934665603ULL;
		for (l = 0; l < L->n_yl; ++l) mk[l] = !isnan(L->ycol[((size_t)c * L->n_yl + l) * 2]), b = (b ^ mk[l]) * 1099511628211ULL;
		size_t h = (size_t)(b >> 17) & (hm - 1);
		while (slot[h] >= 0 && (L->n_yl > 0 && memcmp(cmask + (size_t)slot[h] * L->n_yl, mk, L->n_yl) != 0)) h = (h + 1) & (hm - 1);
		if (slot[h] < 0) slot[h] = s->n_rm++;
		s->col_rm[c] = slot[h];
	}
	free(slot);
	*cmask_out = cmask;
	/* integer codes, locus-major, for y_cand's screen; left out when a value is not a
	 * whole number of hundredths (the exact test then stands alone) */
	L->yw = malloc(sizeof(int16_t) * (size_t)rw * s->ncol + 1);
	L->yf = malloc((size_t)rw * s->ncol + 1);
	if (!L->yw || !L->yf) return km_err_set(e, KM_ENOMEM, "out of memory");
	for (c = 0; c < s->ncol; ++c)
		for (l = 0; l < rw; ++l) {
			double v = c == 0 ? (double)NAN : L->ycol[(size_t)c * rw + l];
			size_t at = (size_t)l * s->ncol + c;
			long v100 = isnan(v) ? 0 : lround(v * 100.0);
			if (isnan(v)) { L->yw[at] = INT16_MIN, L->yf[at] = 0; continue; }
			if (v100 < 0 || v100 / 100 > 32000 || fabs(v * 100.0 - v100) > 1e-6) {
				free(L->yw); free(L->yf); L->yw = NULL, L->yf = NULL;
				return 0;
			}
			L->yw[at] = (int16_t)(v100 / 100), L->yf[at] = (int8_t)(v100 % 100);
		}
	return 0;
}

/* index of code in the sorted c[0..n), -1 if absent */
static int code_rank(const uint64_t *c, int n, uint64_t code)
{
	int lo = 0, hi = n;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (c[mid] < code) lo = mid + 1;
		else hi = mid;
	}
	return lo < n && c[lo] == code ? lo : -1;
}

/* An exact code of a locus's sorted values (repeat numbers have at most two decimals). */
static uint64_t y_code(const double *v)
{
	uint64_t a = (uint64_t)(uint32_t)(lround(v[0] * 100.0) + 1000);
	uint64_t b = isnan(v[1]) ? 0xffffffffu : (uint64_t)(uint32_t)(lround(v[1] * 100.0) + 1000);
	return a << 32 | b;
}

/* The database as bit masks and codes, and N for each remain mask (issue 3: N counts the
 * database haplotypes typed at every compared locus).  x, the haplotypes equal to the
 * reference at every compared locus, is counted per candidate (y_logf): a remain mask m
 * counts haplotype h when m is inside agree(h), the loci where h is typed and equal to
 * the reference.  Nothing is stored per (reference, remain mask) pair, whose number
 * grows as families x remains. */
static int y_dbindex(km_lin_t *L, const km_ydb_t *db, const uint8_t *rmask, km_err_t *e)
{
	int n_yl = L->n_yl, fail = 0, *dbcol;
	if (n_yl > 64) return km_err_set(e, KM_EINPUT, "more than 64 Y-STR markers in the panel (%d)", n_yl);
	L->n_yh = db->n_hap;
	L->yh_typed = lin_calloc((size_t)db->n_hap + 1, sizeof(uint64_t), &fail);
	L->yh_code = lin_calloc((size_t)db->n_hap * n_yl + 1, sizeof(uint64_t), &fail);
	L->yh_count = lin_calloc((size_t)db->n_hap + 1, sizeof(long), &fail);
	L->rm_bits = lin_calloc((size_t)L->y.n_rm + 1, sizeof(uint64_t), &fail);
	L->rm_n = lin_calloc((size_t)L->y.n_rm + 1, sizeof(long), &fail);
	dbcol = lin_calloc((size_t)n_yl + 1, sizeof(int), &fail);
	if (fail) { free(dbcol); return km_err_set(e, KM_ENOMEM, "out of memory"); }
	L->yl_indb = 0;
	for (int l = 0; l < n_yl; ++l) {
		dbcol[l] = -1;
		for (int j = 0; j < db->n_col; ++j) if (db->marker[j] == L->ymk[l]) dbcol[l] = j;
		if (dbcol[l] >= 0) L->yl_indb |= 1ULL << l;
	}
	for (int h = 0; h < db->n_hap; ++h) {
		const double *v = db->v + (size_t)h * db->n_col * 2;
		L->yh_count[h] = db->count[h];
		for (int l = 0; l < n_yl; ++l) {
			if (dbcol[l] < 0 || isnan(v[(size_t)dbcol[l] * 2])) continue;
			L->yh_typed[h] |= 1ULL << l;
			L->yh_code[(size_t)h * n_yl + l] = y_code(v + (size_t)dbcol[l] * 2);
		}
	}
	/* per locus, the database's codes as small ids, locus-major, so a reference's
	 * agreement with every haplotype is a few wide compares per locus (y_logf) */
	L->yh_id = lin_calloc((size_t)db->n_hap * n_yl + 1, sizeof(uint16_t), &fail);
	L->yl_codes = lin_calloc((size_t)db->n_hap * n_yl + 1, sizeof(uint64_t), &fail);
	L->yl_cstart = lin_calloc((size_t)n_yl + 1, sizeof(int), &fail);
	if (fail) { free(dbcol); return km_err_set(e, KM_ENOMEM, "out of memory"); }
	{
		int nc = 0;
		for (int l = 0; l < n_yl; ++l) {
			uint64_t *c = L->yl_codes + nc;
			int k = 0;
			L->yl_cstart[l] = nc;
			for (int h = 0; h < db->n_hap; ++h) if (L->yh_typed[h] >> l & 1) c[k++] = L->yh_code[(size_t)h * n_yl + l];
			qsort(c, (size_t)k, sizeof(uint64_t), km_cmp_u64);
			int u = 0;
			for (int i = 0; i < k; ++i) if (u == 0 || c[i] != c[u - 1]) c[u++] = c[i];
			if (u > 65535) { free(dbcol); return km_err_set(e, KM_EINPUT, "Y database: more than 65535 distinct values at one locus"); }
			for (int h = 0; h < db->n_hap; ++h)
				if (L->yh_typed[h] >> l & 1) L->yh_id[(size_t)l * db->n_hap + h] = (uint16_t)(1 + code_rank(c, u, L->yh_code[(size_t)h * n_yl + l]));
			nc += u;
		}
		L->yl_cstart[n_yl] = nc;
	}
	for (int m = 0; m < L->y.n_rm; ++m) {
		uint64_t b = 0;
		for (int l = 0; l < n_yl; ++l) if (rmask[(size_t)m * n_yl + l]) b |= 1ULL << l;
		L->rm_bits[m] = b;
		for (int h = 0; h < db->n_hap; ++h) if ((L->yh_typed[h] & b) == b) L->rm_n[m] += L->yh_count[h];
	}
	free(dbcol);
	return 0;
}

/* agree[h] |= bit l where haplotype h has id `id` at locus l (ids > 0) */
KM_AVX2_CLONES
static void y_agree(const uint16_t *restrict col, int nh, uint16_t id, int l, uint64_t *restrict agree)
{
	for (int h = 0; h < nh; ++h) agree[h] |= (uint64_t)(col[h] == id) << l;
}

/* The database haplotypes' agreement with one reference, for log10 f of any remain mask
 * on demand (y_fone): agree[i] are the loci where haplotype hl[i] equals the reference,
 * in decreasing order of their number (pc[i]), so a mask of k compared loci stops at the
 * first haplotype agreeing on fewer than k.  Only masks of columns that the reference
 * does not exclude are ever asked for. */
typedef struct {
	uint64_t rtyped;
	int n;
	uint64_t *agree;
	int *hl, *pc;
} yagree_t;

static int y_agree_prep(const km_lin_t *L, const double *rv, yagree_t *A, km_err_t *e)
{
	int n_yl = L->n_yl, nh = L->n_yh;
	uint64_t rtyped = 0, rcode[64];
	for (int l = 0; l < n_yl; ++l)
		if (!isnan(rv[2 * l])) rtyped |= 1ULL << l, rcode[l] = y_code(rv + 2 * l);
	uint64_t *ag = calloc((size_t)nh + 1, sizeof(uint64_t));
	A->agree = malloc(sizeof(uint64_t) * ((size_t)nh + 1));
	A->hl = malloc(sizeof(int) * ((size_t)nh + 1));
	A->pc = malloc(sizeof(int) * ((size_t)nh + 1));
	if (!ag || !A->agree || !A->hl || !A->pc) { free(ag); return km_err_set(e, KM_ENOMEM, "out of memory"); }
	for (int l = 0; l < n_yl; ++l) {
		if (!(rtyped >> l & 1)) continue;
		int c0 = L->yl_cstart[l], nc = L->yl_cstart[l + 1] - c0;
		int r = code_rank(L->yl_codes + c0, nc, rcode[l]);
		if (r >= 0) y_agree(L->yh_id + (size_t)l * nh, nh, (uint16_t)(r + 1), l, ag);
	}
	/* counting sort by the number of agreeing loci, most first (stable: database order) */
	int cnt[66] = { 0 };
	for (int h = 0; h < nh; ++h) ++cnt[64 - __builtin_popcountll(ag[h])];
	for (int i = 1; i < 66; ++i) cnt[i] += cnt[i - 1];
	for (int h = nh - 1; h >= 0; --h) {
		int k = --cnt[64 - __builtin_popcountll(ag[h])];
		A->agree[k] = ag[h], A->hl[k] = h, A->pc[k] = __builtin_popcountll(ag[h]);
	}
	A->n = nh, A->rtyped = rtyped;
	free(ag);
	return 0;
}

static void y_agree_free(yagree_t *A)
{
	free(A->agree); free(A->hl); free(A->pc);
	memset(A, 0, sizeof *A);
}

/* log10 f of remain mask m (issue 3: x of N database haplotypes) */
static double y_fone(const km_lin_t *L, const yagree_t *A, int m, int upper95)
{
	uint64_t b = L->rm_bits[m] & A->rtyped;      /* the compared loci */
	long n = 0, x = 0;
	int kb = __builtin_popcountll(b);
	if (b == L->rm_bits[m]) n = L->rm_n[m];
	else for (int h = 0; h < L->n_yh; ++h) if ((L->yh_typed[h] & b) == b) n += L->yh_count[h];
	for (int i = 0; i < A->n && A->pc[i] >= kb; ++i) if ((A->agree[i] & b) == b) x += L->yh_count[A->hl[i]];
	return lin_logf(x, n, upper95);
}

/* One compared locus over all columns at once, on the integer codes of y_columns: a
 * column stays alive when it has the reference's number of copies, equal hundredths and
 * at most k whole steps from it at each copy, and its log10 numerator gains log10
 * P_k(d) per copy (Pl[d + k]), in copy order — per column the same additions in the
 * same order as the scalar test of y_cand.  Untyped columns are not compared. */
KM_AVX2_CLONES
static void y_accum(const int16_t *restrict w0, const int8_t *restrict f0, const int16_t *restrict w1,
                    const int8_t *restrict f1, int nc, int rw0, int rf0, int has2, int rw1, int rf1, int k,
                    const double *restrict Pl, double *restrict num, uint8_t *restrict alive)
{
	if (!has2) {                            /* one copy (all but a few loci): one lookup */
		for (int c = 0; c < nc; ++c) {      /* branch-free, so it vectorises */
			int untyped = w0[c] == INT16_MIN, c2 = w1[c] != INT16_MIN;
			int d0 = w0[c] - rw0;
			int ok0 = (f0[c] == rf0) & (d0 <= k) & (d0 >= -k);
			alive[c] &= (uint8_t)(untyped | ((c2 == 0) & ok0));
			int i0 = d0 < -k ? -k : d0;
			i0 = (i0 > k ? k : i0) + k;
			double a0 = Pl[i0];
			a0 = untyped ? 0.0 : a0;
			num[c] += a0;                       /* (+ 0.0 for the absent copy: no change) */
		}
		return;
	}
	for (int c = 0; c < nc; ++c) {
		int untyped = w0[c] == INT16_MIN, c2 = w1[c] != INT16_MIN;
		int d0 = w0[c] - rw0, d1 = w1[c] - rw1;
		int ok0 = (f0[c] == rf0) & (d0 <= k) & (d0 >= -k);
		int ok1 = (f1[c] == rf1) & (d1 <= k) & (d1 >= -k);
		alive[c] &= (uint8_t)(untyped | (c2 & ok0 & ok1));
		int i0 = d0 < -k ? -k : d0, i1 = d1 < -k ? -k : d1;
		i0 = (i0 > k ? k : i0) + k, i1 = (i1 > k ? k : i1) + k;
		double a0 = Pl[i0], a1 = Pl[i1];
		a0 = untyped ? 0.0 : a0;
		a1 = untyped ? 0.0 : a1;
		num[c] = (num[c] + a0) + a1;
	}
}

/* k-fold convolution of the single-step distribution {-1: mu/2, 0: 1 - mu, +1: mu/2}
 * (issue 3, "Mutation model"): P[d + k] = P_k(d), d = -k..k.  tmp: 2k + 1 doubles. */
static void y_pk(double mu, int k, double *P, double *tmp)
{
	int n, d, w = 2 * k + 1;
	for (d = 0; d < w; ++d) P[d] = 0.0;
	P[k] = 1.0;
	for (n = 1; n <= k; ++n) {
		/* after n steps only d = k-n..k+n can be non-zero: the same sums, half the work */
		for (d = k - n; d <= k + n; ++d) {
			double t = (1.0 - mu) * P[d];
			if (d > 0) t += 0.5 * mu * P[d - 1];
			if (d + 1 < w) t += 0.5 * mu * P[d + 1];
			tmp[d] = t;
		}
		memcpy(P + k - n, tmp + k - n, (2 * (size_t)n + 1) * sizeof *P);
	}
}

static int y_cand(const km_lin_t *L, int slot, int k, double *tab, km_err_t *e)
{
	const lin_sys_t *s = &L->y;
	int n_yl = L->n_yl, w = 2 * k + 1, c, l, ret = 0, nc = s->ncol;
	const double *rv = L->yslot + (size_t)slot * n_yl * 2;
	double *P = malloc(((size_t)n_yl * w + w + 1 + (size_t)s->n_rm) * sizeof *P), *tmp, *logf;
	uint8_t *alive = malloc((size_t)nc + 1);
	yagree_t A;
	memset(&A, 0, sizeof A);
	if (P == NULL || alive == NULL) { free(P); free(alive); return km_err_set(e, KM_ENOMEM, "out of memory"); }
	tmp = P + (size_t)n_yl * w;
	logf = tmp + w + 1;
	for (int m = 0; m < s->n_rm; ++m) logf[m] = NAN;          /* on demand */
	for (l = 0; l < n_yl; ++l) { /* log10 P_k, -inf where 0 (mu = 0) */
		double *pl = P + (size_t)l * w;
		int d;
		y_pk(L->ymu[l], k, pl, tmp);
		for (d = 0; d < w; ++d) pl[d] = pl[d] > 0.0 ? log10(pl[d]) : KM_NEG_INF;
	}
	/* every column at once on integer codes (y_accum) when the reference's values are
	 * on the hundredths grid; else column by column */
	int grid = L->yw != NULL;
	for (l = 0; l < n_yl && grid; ++l) {
		if (isnan(rv[2 * l])) continue;
		for (int j = 0; j < 2; ++j) {
			double v = rv[2 * l + j];
			if (isnan(v)) continue;
			long v100 = lround(v * 100.0);
			if (v100 < 0 || v100 / 100 > 32000 || fabs(v * 100.0 - v100) > 1e-6) grid = 0;
		}
	}
	tab[0] = 0.0;
	if (grid) {
		double *num = tab;                                /* the numerators, in place */
		memset(alive, 1, (size_t)nc);
		for (c = 0; c < nc; ++c) num[c] = 0.0;
		for (l = 0; l < n_yl; ++l) {
			if (isnan(rv[2 * l])) continue;                /* not compared */
			int has2 = !isnan(rv[2 * l + 1]);
			long v0 = lround(rv[2 * l] * 100.0), v1 = has2 ? lround(rv[2 * l + 1] * 100.0) : 0;
			y_accum(L->yw + (size_t)(2 * l) * nc, L->yf + (size_t)(2 * l) * nc, L->yw + (size_t)(2 * l + 1) * nc,
			        L->yf + (size_t)(2 * l + 1) * nc, nc, (int)(v0 / 100), (int)(v0 % 100), has2,
			        (int)(v1 / 100), (int)(v1 % 100), k, P + (size_t)l * w, num, alive);
		}
		tab[0] = 0.0;
		for (c = 1; c < nc; ++c) {
			if (!alive[c] || num[c] == KM_NEG_INF) { tab[c] = KM_NEG_INF; continue; }
			int m = s->col_rm[c];
			if (isnan(logf[m])) {
				if (!A.agree && (ret = y_agree_prep(L, rv, &A, e)) < 0) break;
				logf[m] = y_fone(L, &A, m, L->y_upper95);
			}
			tab[c] = num[c] - logf[m];
		}
	} else for (c = 1; c < nc; ++c) {
		const double *cv = L->ycol + (size_t)c * n_yl * 2;
		double num = 0.0; /* log10 of the numerator */
		for (l = 0; l < n_yl && num > KM_NEG_INF; ++l) {
			int j;
			if (isnan(cv[2 * l]) || isnan(rv[2 * l])) continue; /* not compared */
			if (isnan(cv[2 * l + 1]) != isnan(rv[2 * l + 1])) { /* copy counts differ */
				num = KM_NEG_INF;
				break;
			}
			for (j = 0; j < 2; ++j) {
				double dlt, dr;
				if (isnan(cv[2 * l + j])) break;
				dlt = rv[2 * l + j] - cv[2 * l + j];
				dr = rint(dlt);
				/* a non-integral difference (9.3 vs 10) or more steps than meioses: 0 */
				if (fabs(dlt - dr) > 1e-6 || fabs(dr) > k) {
					num = KM_NEG_INF;
					break;
				}
				num += P[(size_t)l * w + (int)dr + k];
			}
		}
		if (num == KM_NEG_INF) { tab[c] = KM_NEG_INF; continue; }
		int m = s->col_rm[c];
		if (isnan(logf[m])) {
			if (!A.agree && (ret = y_agree_prep(L, rv, &A, e)) < 0) break;
			logf[m] = y_fone(L, &A, m, L->y_upper95);
		}
		tab[c] = num - logf[m];
	}
	y_agree_free(&A);
	free(P);
	free(alive);
	return ret;
}

/* ---- mtDNA -------------------------------------------------------------------------- */

typedef struct { int n; int (*iv)[2]; } mt_reg_t; /* a set of positions as sorted disjoint intervals */

static int reg_has(const mt_reg_t *r, int pos)
{
	int i;
	for (i = 0; i < r->n; ++i) {
		if (pos < r->iv[i][0]) return 0;
		if (pos <= r->iv[i][1]) return 1;
	}
	return 0;
}

/* r = ranges(a) intersected with ranges(b); r->iv holds a->n_range + b->n_range entries. */
static void reg_isect(const km_mthap_t *a, const km_mthap_t *b, mt_reg_t *r)
{
	int i = 0, j = 0;
	r->n = 0;
	while (i < a->n_range && j < b->n_range) {
		int lo = a->range[i][0] > b->range[j][0] ? a->range[i][0] : b->range[j][0];
		int hi = a->range[i][1] < b->range[j][1] ? a->range[i][1] : b->range[j][1];
		if (lo <= hi) r->iv[r->n][0] = lo, r->iv[r->n++][1] = hi;
		if (a->range[i][1] < b->range[j][1]) ++i;
		else ++j;
	}
}

/* 1 if every position of r is in h's range */
static int reg_covered(const mt_reg_t *r, const km_mthap_t *h)
{
	int i, j = 0;
	for (i = 0; i < r->n; ++i) {
		while (j < h->n_range && h->range[j][1] < r->iv[i][0]) ++j;
		if (j == h->n_range || h->range[j][0] > r->iv[i][0] || h->range[j][1] < r->iv[i][1]) return 0;
	}
	return 1;
}

/* C-stretch length heteroplasmy (issue 3): insertions here are ignored */
static int mt_cstretch(int pos) { return (pos >= 303 && pos <= 315) || (pos >= 16184 && pos <= 16193); }

static int var_cmp(const km_mtvar_t *a, const km_mtvar_t *b)
{
	if (a->pos != b->pos) return a->pos < b->pos ? -1 : 1;
	return a->ins < b->ins ? -1 : a->ins > b->ins;
}

/* Differences between haplotypes a and b over region r (issue 3, "States",
 * "Insertions"); stops counting at `stop` (d >= stop is all the caller needs). */
static int mt_diff(const km_mthap_t *a, const km_mthap_t *b, const mt_reg_t *r, int stop)
{
	int i = 0, j = 0, d = 0;
	while ((i < a->n_var || j < b->n_var) && d < stop) {
		const km_mtvar_t *va = i < a->n_var ? &a->var[i] : NULL, *vb = j < b->n_var ? &b->var[j] : NULL, *v;
		int c = va && vb ? var_cmp(va, vb) : va ? -1 : 1;
		v = c <= 0 ? va : vb;
		if (reg_has(r, v->pos) && !(v->ins > 0 && mt_cstretch(v->pos))) {
			if (v->ins > 0) { /* an inserted base: in one only, or with disjoint bases */
				if (c != 0 || (km_mt_bases(va->base) & km_mt_bases(vb->base)) == 0) ++d;
			} else {
				char sa = c <= 0 ? va->base : km_rcrs[v->pos - 1];
				char sb = c >= 0 ? vb->base : km_rcrs[v->pos - 1];
				if ((km_mt_bases(sa) & km_mt_bases(sb)) == 0) ++d;
			}
		}
		if (c <= 0) ++i;
		if (c >= 0) ++j;
	}
	return d;
}

/* 1 if h's projection on r can be compared by exact key: no IUPAC base and no variant
 * at 3107 (rCRS 'N') in r; such haplotypes have d = 0 exactly when their keys agree. */
static int mt_clean(const km_mthap_t *h, const mt_reg_t *r)
{
	int i;
	for (i = 0; i < h->n_var; ++i) {
		const km_mtvar_t *v = &h->var[i];
		if (!reg_has(r, v->pos) || (v->ins > 0 && mt_cstretch(v->pos))) continue;
		if ((v->ins == 0 && v->pos == 3107) || (v->base != '-' && !strchr("ACGT", v->base))) return 0;
	}
	return 1;
}

static void mt_key(kstring_t *s, const km_mthap_t *h, const mt_reg_t *r)
{
	int i;
	s->l = 0;
	kputs("", s);
	for (i = 0; i < h->n_var; ++i) {
		const km_mtvar_t *v = &h->var[i];
		if (!reg_has(r, v->pos) || (v->ins > 0 && mt_cstretch(v->pos))) continue;
		ksprintf(s, "%d.%d%c;", v->pos, v->ins, v->base);
	}
}

static int cmp_hap(const km_mthap_t *a, const km_mthap_t *b)
{
	int i;
	if (a->n_range != b->n_range) return a->n_range < b->n_range ? -1 : 1;
	for (i = 0; i < a->n_range; ++i)
		if (a->range[i][0] != b->range[i][0] || a->range[i][1] != b->range[i][1])
			return a->range[i][0] != b->range[i][0] ? (a->range[i][0] < b->range[i][0] ? -1 : 1)
			                                        : (a->range[i][1] < b->range[i][1] ? -1 : 1);
	if (a->n_var != b->n_var) return a->n_var < b->n_var ? -1 : 1;
	for (i = 0; i < a->n_var; ++i) {
		int c = var_cmp(&a->var[i], &b->var[i]);
		if (c) return c;
		if (a->var[i].base != b->var[i].base) return a->var[i].base < b->var[i].base ? -1 : 1;
	}
	return 0;
}

typedef struct { const km_mthap_t *h; int idx; } mtrow_t; /* a remain's haplotype, for sorting */

static int cmp_mtrow(const void *a, const void *b)
{
	const mtrow_t *x = a, *y = b;
	int c = cmp_hap(x->h, y->h);
	return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

static int same_range(const km_mthap_t *a, const km_mthap_t *b)
{
	return a->n_range == b->n_range && memcmp(a->range, b->range, a->n_range * sizeof *a->range) == 0;
}

/* Columns of the mt system (remains' distinct haplotypes) and their range sets. */
static int mt_columns(km_lin_t *L, const km_prof_t *rem, km_err_t *e)
{
	lin_sys_t *s = &L->m;
	int n = L->n_remain, i, nr = 0, fail = 0, c, *rh;
	mtrow_t *ord = lin_calloc(n, sizeof *ord, &fail);
	rh = lin_calloc(n, sizeof *rh, &fail);
	s->rcol = lin_calloc(n, sizeof *s->rcol, &fail);
	if (fail) goto oom;
	for (i = 0; i < n; ++i)
		if ((rh[i] = km_mt_find(&L->mt, rem->sample[i])) >= 0) ord[nr].h = &L->mt.hap[rh[i]], ord[nr++].idx = rh[i];
	qsort(ord, nr, sizeof *ord, cmp_mtrow);
	L->mcol_hap = lin_calloc(nr + 1, sizeof *L->mcol_hap, &fail);
	s->col_rm = lin_calloc(nr + 1, sizeof *s->col_rm, &fail);
	if (fail) goto oom;
	s->ncol = 1;
	for (i = 0; i < nr; ++i)
		if (i == 0 || cmp_hap(ord[i].h, ord[i - 1].h) != 0) L->mcol_hap[s->ncol++] = ord[i].idx;
	for (i = 0; i < n; ++i) { /* columns are sorted: binary search */
		int lo = 1, hi = s->ncol - 1;
		if (rh[i] < 0) continue;
		while (lo < hi) {
			int mid = (lo + hi) / 2;
			if (cmp_hap(&L->mt.hap[L->mcol_hap[mid]], &L->mt.hap[rh[i]]) < 0) lo = mid + 1;
			else hi = mid;
		}
		s->rcol[i] = lo;
	}
	s->n_rm = 0;
	for (c = 1; c < s->ncol; ++c) {
		int j;
		for (j = 1; j < c; ++j)
			if (same_range(&L->mt.hap[L->mcol_hap[j]], &L->mt.hap[L->mcol_hap[c]])) break;
		s->col_rm[c] = j < c ? s->col_rm[j] : s->n_rm++;
	}
	free(ord);
	free(rh);
	return 0;
oom:
	free(ord);
	free(rh);
	return km_err_set(e, KM_ENOMEM, "out of memory");
}

/* log10 f for every (slot, remain range set), grouped by compared region: per distinct
 * region one pass over the database, exact-key counts for clean entries (mt_clean) and a
 * direct comparison for the few with IUPAC codes. */
static int mt_freqs(km_lin_t *L, int upper95, km_err_t *e)
{
	lin_sys_t *s = &L->m;
	const km_mtset_t *db = &L->mtdb;
	int np = s->n_slot * s->n_rm, fail = 0, i, j, ret = 0, *rmhap, *amb = NULL, maxr = 0;
	uint8_t *head = lin_calloc(np, 1, &fail);
	int *next = lin_calloc(np, sizeof *next, &fail);
	char **rkey = lin_calloc(np, sizeof *rkey, &fail);
	mt_reg_t *reg = lin_calloc(np, sizeof *reg, &fail);
	kstring_t key = { 0, 0, NULL };
	void *h = NULL;
	s->logf = lin_calloc(np, sizeof *s->logf, &fail);
	rmhap = lin_calloc(s->n_rm, sizeof *rmhap, &fail);
	amb = lin_calloc(db->n, sizeof *amb, &fail);
	if (fail) goto oom;
	for (i = 1; i < s->ncol; ++i) rmhap[s->col_rm[i]] = L->mcol_hap[i];
	for (i = 0; i < L->mt.n; ++i)
		if (L->mt.hap[i].n_range > maxr) maxr = L->mt.hap[i].n_range;
	for (i = 0; i < np; ++i) {
		const km_mthap_t *R = &L->mt.hap[s->slot_sample[i / s->n_rm]], *H = &L->mt.hap[rmhap[i % s->n_rm]];
		if ((reg[i].iv = malloc((size_t)(2 * maxr + 1) * sizeof *reg[i].iv)) == NULL) goto oom;
		reg_isect(H, R, &reg[i]);
		key.l = 0;
		kputs("", &key);
		for (j = 0; j < reg[i].n; ++j) ksprintf(&key, "%d-%d;", reg[i].iv[j][0], reg[i].iv[j][1]);
		if ((rkey[i] = strdup(key.s)) == NULL) goto oom;
	}
	if ((ret = lin_chain(np, rkey, head, next, e)) < 0) goto end;
	for (i = 0; i < np; ++i) {
		const mt_reg_t *r = &reg[i];
		long n_cov = 0;
		int n_amb = 0, d;
		if (!head[i]) continue;
		if ((h = khash_str2int_init()) == NULL) goto oom;
		for (d = 0; d < db->n; ++d) {
			int cnt;
			if (!reg_covered(r, &db->hap[d])) continue;
			++n_cov;
			if (!mt_clean(&db->hap[d], r)) {
				amb[n_amb++] = d;
				continue;
			}
			mt_key(&key, &db->hap[d], r);
			if (khash_str2int_get(h, key.s, &cnt) == 0) {
				if (khash_str2int_set(h, key.s, cnt + 1) < 0) goto oom;
			} else {
				char *k = strdup(key.s);
				if (k == NULL || khash_str2int_set(h, k, 1) < 0) {
					free(k);
					goto oom;
				}
			}
		}
		for (j = i; j >= 0; j = next[j]) { /* every pair with this region */
			const km_mthap_t *R = &L->mt.hap[s->slot_sample[j / s->n_rm]];
			long x = 0;
			int a;
			if (mt_clean(R, r)) {
				int cnt;
				mt_key(&key, R, r);
				if (khash_str2int_get(h, key.s, &cnt) == 0) x = cnt;
				for (a = 0; a < n_amb; ++a) x += mt_diff(&db->hap[amb[a]], R, r, 1) == 0;
			} else {
				for (d = 0; d < db->n; ++d)
					if (reg_covered(r, &db->hap[d])) x += mt_diff(&db->hap[d], R, r, 1) == 0;
			}
			s->logf[j] = lin_logf(x, n_cov, upper95);
		}
		khash_str2int_destroy_free(h);
		h = NULL;
	}
	goto end;
oom:
	ret = km_err_set(e, KM_ENOMEM, "out of memory");
end:
	if (h) khash_str2int_destroy_free(h);
	for (i = 0; reg && i < np; ++i) free(reg[i].iv);
	for (i = 0; rkey && i < np; ++i) free(rkey[i]);
	free(rkey);
	free(reg);
	free(head);
	free(next);
	free(rmhap);
	free(amb);
	free(key.s);
	return ret;
}

static int mt_cand(const km_lin_t *L, int slot, int k, double *tab, km_err_t *e)
{
	const lin_sys_t *s = &L->m;
	const km_mthap_t *R = &L->mt.hap[s->slot_sample[slot]];
	double ku = k * L->mt_rate, pois[64];
	mt_reg_t r;
	int c, maxr = R->n_range;
	/* Poisson numerator e^(-ku) (ku)^d / d! (issue 3), in log10, for d < 64 */
	for (c = 0; c < 64; ++c)
		pois[c] = c == 0 ? -ku / LN10 : ku <= 0.0 ? KM_NEG_INF : (-ku + c * log(ku) - lgamma(c + 1.0)) / LN10;
	for (c = 1; c < s->ncol; ++c)
		if (L->mt.hap[L->mcol_hap[c]].n_range > maxr) maxr = L->mt.hap[L->mcol_hap[c]].n_range;
	if ((r.iv = malloc((size_t)(R->n_range + maxr + 1) * sizeof *r.iv)) == NULL)
		return km_err_set(e, KM_ENOMEM, "out of memory");
	tab[0] = 0.0;
	for (c = 1; c < s->ncol; ++c) {
		int d;
		double num;
		reg_isect(&L->mt.hap[L->mcol_hap[c]], R, &r);
		d = mt_diff(&L->mt.hap[L->mcol_hap[c]], R, &r, 1 << 30);
		if (d < 64) num = pois[d];
		else if (ku <= 0.0) num = KM_NEG_INF;
		else num = (-ku + d * log(ku) - lgamma(d + 1.0)) / LN10;
		tab[c] = num == KM_NEG_INF ? KM_NEG_INF : num - s->logf[(size_t)slot * s->n_rm + s->col_rm[c]];
	}
	free(r.iv);
	return 0;
}

/* ---- build -------------------------------------------------------------------------- */

/* Partial databases (issue 12 part 3): the compared Y loci are those typed in the remain,
 * in the reference and in the database.  A locus the database lacks is therefore taken
 * out of every profile here, before the columns are formed, so that the numerator (the
 * mutation probabilities) and the denominator (x and N) run over the same loci; without
 * this a Yfiler-era database used with Y23 profiles gave N = 0 and wiped out the Y
 * evidence.  What was taken out is kept per remain (L->yr_left) and per reference
 * sample (fleft), so each row can count its loci left out (km_lin_y_left_out), and one
 * warning names the loci.  A profile typed only at such loci has no Y data left. */
static void y_left_out(km_lin_t *L, const km_ydb_t *db, const km_panel_t *p, double *rv, uint8_t *rhas, double *fv,
                       uint8_t *fhas, int n_ref, uint64_t *fleft)
{
	int rw = L->n_yl * 2, nr = L->n_remain, n_name = 0;
	uint64_t indb = 0;
	kstring_t ks = { 0, 0, NULL };
	for (int l = 0; l < L->n_yl; ++l)
		for (int j = 0; j < db->n_col; ++j)
			if (db->marker[j] == L->ymk[l]) indb |= 1ULL << l;
	for (int l = 0; l < L->n_yl; ++l) {
		int n_rem = 0, n_refs = 0;
		if (indb >> l & 1) continue;
		for (int i = 0; i < nr; ++i) {
			double *x = rv + (size_t)i * rw + 2 * l;
			if (isnan(x[0])) continue;
			x[0] = x[1] = (double)NAN, L->yr_left[i] |= 1ULL << l, ++n_rem;
		}
		for (int i = 0; i < n_ref; ++i) {
			double *x = fv + (size_t)i * rw + 2 * l;
			if (isnan(x[0])) continue;
			x[0] = x[1] = (double)NAN, fleft[i] |= 1ULL << l, ++n_refs;
		}
		if (n_rem == 0) continue;   /* compared nowhere: nothing is lost */
		++L->n_yleft;
		if (n_name++ < 8)
			ksprintf(&ks, "%s%s (typed in %d remain%s, %d reference%s)", n_name > 1 ? ", " : "", p->marker[L->ymk[l]].name,
			         n_rem, n_rem == 1 ? "" : "s", n_refs, n_refs == 1 ? "" : "s");
	}
	for (int i = 0; i < nr; ++i) {
		int any = 0;
		for (int l = 0; l < L->n_yl && !any; ++l) any = !isnan(rv[(size_t)i * rw + 2 * l]);
		rhas[i] = (uint8_t)any;
	}
	for (int i = 0; i < n_ref; ++i) {
		int any = 0;
		for (int l = 0; l < L->n_yl && !any; ++l) any = !isnan(fv[(size_t)i * rw + 2 * l]);
		fhas[i] = (uint8_t)any;
	}
	if (n_name > 0)
		km_warn("%s: the Y database has no column for %d Y-STR marker%s typed in the remains: %s%s; %s left out of the Y "
		        "comparison (numerator and denominator), counted per row in matches.tsv column y_left_out",
		        db->fn, n_name, n_name == 1 ? "" : "s", ks.s, n_name > 8 ? ", ..." : "", n_name == 1 ? "it is" : "they are");
	free(ks.s);
}

static int y_build(km_lin_t *L, const km_linopt_t *o, const km_panel_t *p, const km_freqs_t *f, const km_prof_t *rem,
                   const km_prof_t *refs, const km_peds_t *peds, km_err_t *e)
{
	int i, s, fam, ret = 0, fail = 0, n_tot = L->pbase[peds->n_family], any_rem = 0;
	int rw = L->n_yl * 2, first_pr = -1, first_s = -1;
	double *rv = NULL, *fv = NULL;
	uint8_t *rhas = NULL, *fhas = NULL, *phas = NULL, *rmask = NULL;
	int *pkey = NULL;
	uint64_t *fleft = NULL;
	if (L->n_yl == 0) return 0;
	rv = lin_calloc((size_t)L->n_remain * rw, sizeof *rv, &fail);
	rhas = lin_calloc(L->n_remain, 1, &fail);
	fv = lin_calloc((size_t)(refs ? refs->n_sample : 0) * rw, sizeof *fv, &fail);
	fhas = lin_calloc(refs ? refs->n_sample : 0, 1, &fail);
	phas = lin_calloc(n_tot, 1, &fail);
	pkey = lin_calloc(n_tot, sizeof *pkey, &fail);
	if (fail) goto oom;
	for (i = 0; i < L->n_remain; ++i) {
		if ((ret = y_values(L, f, rem, i, rv + (size_t)i * rw, e)) < 0) goto end;
		rhas[i] = (uint8_t)ret;
		if (ret && first_pr < 0) first_pr = 0, first_s = i;
		any_rem |= ret;
	}
	for (i = 0; refs && i < refs->n_sample; ++i) {
		if ((ret = y_values(L, f, refs, i, fv + (size_t)i * rw, e)) < 0) goto end;
		fhas[i] = (uint8_t)ret;
		if (ret && first_pr < 0) first_pr = 1, first_s = i;
	}
	ret = 0;
	/* Y data in a woman: an error (she has no Y chromosome) */
	for (fam = 0; fam < peds->n_family; ++fam)
		for (i = 0; i < peds->fam[fam].n_person; ++i) {
			const km_person_t *q = &peds->fam[fam].person[i];
			if (q->role != KM_ROLE_REFERENCE || q->sample < 0 || !refs || q->sample >= refs->n_sample) continue;
			if (fhas[q->sample] && q->sex == KM_FEMALE) {
				ret = km_err_at(e, refs->fn, refs->line[q->sample], 1, "female '%s' has Y-STR data", q->id);
				goto end;
			}
		}
	if (first_pr >= 0 && o->ydb == NULL) {
		const km_prof_t *pr = first_pr ? refs : rem;
		ret = km_err_at(e, pr->fn, pr->line[first_s], 1, "Y-STR data present but no --y-db given (sample '%s')",
		                pr->sample[first_s]);
		goto end;
	}
	if (!any_rem) goto end; /* nothing to score: the Y system is NA for every remain */
	if (L->n_yl > 64) { ret = km_err_set(e, KM_EINPUT, "more than 64 Y-STR markers in the panel (%d)", L->n_yl); goto end; }
	L->yr_left = lin_calloc((size_t)L->n_remain + 1, sizeof(uint64_t), &fail);
	fleft = lin_calloc((size_t)(refs ? refs->n_sample : 0) + 1, sizeof(uint64_t), &fail);
	if (fail) goto oom;
	y_left_out(L, o->ydb, p, rv, rhas, fv, fhas, refs ? refs->n_sample : 0, fleft);
	for (fam = 0; fam < peds->n_family; ++fam)   /* references with Y data at a compared-able locus */
		for (i = 0; i < peds->fam[fam].n_person; ++i) {
			const km_person_t *q = &peds->fam[fam].person[i];
			if (q->role != KM_ROLE_REFERENCE || q->sample < 0 || !refs || q->sample >= refs->n_sample) continue;
			phas[L->pbase[fam] + i] = fhas[q->sample];
			pkey[L->pbase[fam] + i] = q->sample;
		}
	if ((ret = y_columns(L, rv, rhas, &rmask, e)) < 0) goto end;
	if ((ret = lin_paths(&L->y, peds, L->pbase, 1, phas, pkey, refs ? refs->n_sample : 1, e)) < 0) goto end;
	L->yslot = lin_calloc((size_t)L->y.n_slot * rw, sizeof *L->yslot, &fail);
	if (fail) goto oom;
	L->yslot_left = lin_calloc((size_t)L->y.n_slot + 1, sizeof(uint64_t), &fail);
	if (fail) goto oom;
	for (s = 0; s < L->y.n_slot; ++s) {
		memcpy(L->yslot + (size_t)s * rw, fv + (size_t)L->y.slot_sample[s] * rw, rw * sizeof(double));
		L->yslot_left[s] = fleft[L->y.slot_sample[s]];
	}
	L->y_upper95 = o->upper95;
	if ((ret = y_dbindex(L, o->ydb, rmask, e)) < 0) goto end;
	L->y_on = 1;
	goto end;
oom:
	ret = km_err_set(e, KM_ENOMEM, "out of memory");
end:
	free(rv);
	free(rhas);
	free(fv);
	free(fhas);
	free(phas);
	free(pkey);
	free(rmask);
	free(fleft);
	return ret;
}

static int mt_build(km_lin_t *L, const km_linopt_t *o, const km_prof_t *rem, const km_prof_t *refs,
                    const km_peds_t *peds, km_err_t *e)
{
	int i, fam, ret, fail = 0, n_tot = L->pbase[peds->n_family];
	uint8_t *phas = NULL;
	int *pkey = NULL;
	void *refids = NULL;
	if (o->mt == NULL && o->mtdb == NULL) return 0;
	if (o->mt == NULL) return km_err_set(e, KM_EUSAGE, "--mt-db given but no --mtdna (the mtDNA profiles)");
	if (o->mtdb == NULL) return km_err_set(e, KM_EUSAGE, "--mtdna given but no --mt-db (the mtDNA database)");
	L->mt = *o->mt, L->mtdb = *o->mtdb;   /* moved: L owns them now */
	memset(o->mt, 0, sizeof *o->mt), memset(o->mtdb, 0, sizeof *o->mtdb);
	if ((refids = khash_str2int_init()) == NULL) return km_err_set(e, KM_ENOMEM, "out of memory");
	for (fam = 0; fam < peds->n_family; ++fam)
		for (i = 0; i < peds->fam[fam].n_person; ++i)
			if (peds->fam[fam].person[i].role == KM_ROLE_REFERENCE &&
			    khash_str2int_set(refids, peds->fam[fam].person[i].id, 1) < 0)
				goto oom;
	for (i = 0; i < L->mt.n; ++i) { /* every profile belongs to a remain or a reference */
		const char *id = L->mt.hap[i].sample;
		if (km_prof_find(rem, id) < 0 && km_prof_find(refs, id) < 0 && !khash_str2int_has_key(refids, id)) {
			ret = km_err_at(e, L->mt.fn, L->mt.hap[i].line, 1, "sample '%s' is neither a remain nor a reference", id);
			goto end;
		}
	}
	if ((ret = mt_columns(L, rem, e)) < 0) goto end;
	phas = lin_calloc(n_tot, 1, &fail);
	pkey = lin_calloc(n_tot, sizeof *pkey, &fail);
	if (fail) goto oom;
	for (fam = 0; fam < peds->n_family; ++fam)
		for (i = 0; i < peds->fam[fam].n_person; ++i) {
			const km_person_t *q = &peds->fam[fam].person[i];
			int h = q->role == KM_ROLE_REFERENCE ? km_mt_find(&L->mt, q->id) : -1;
			phas[L->pbase[fam] + i] = h >= 0;
			pkey[L->pbase[fam] + i] = h >= 0 ? h : 0;
		}
	if ((ret = lin_paths(&L->m, peds, L->pbase, 0, phas, pkey, L->mt.n ? L->mt.n : 1, e)) < 0) goto end;
	if ((ret = mt_freqs(L, o->upper95, e)) < 0) goto end;
	L->mt_rate = o->mt_rate >= 0.0 ? o->mt_rate : KM_MT_RATE_DEFAULT;
	L->mt_on = 1;
	goto end;
oom:
	ret = km_err_set(e, KM_ENOMEM, "out of memory");
end:
	if (refids) khash_str2int_destroy(refids); /* keys are the pedigree's ids */
	free(phas);
	free(pkey);
	return ret;
}

int km_lin_build(km_lin_t **Lp, const km_linopt_t *o, const km_panel_t *p, const km_freqs_t *f,
                 const km_prof_t *rem, const km_prof_t *refs, const km_peds_t *peds, km_err_t *e)
{
	km_lin_t *L;
	int ret, i, m, fail = 0;
	*Lp = NULL;
	if ((L = calloc(1, sizeof *L)) == NULL) return km_err_set(e, KM_ENOMEM, "out of memory");
	L->n_remain = rem ? rem->n_sample : 0;
	L->n_fam = peds->n_family;
	L->pbase = lin_calloc(peds->n_family + 1, sizeof *L->pbase, &fail);
	L->ymk = lin_calloc(p->n_marker, sizeof *L->ymk, &fail);
	L->ymu = lin_calloc(p->n_marker, sizeof *L->ymu, &fail);
	L->y.ncol = L->m.ncol = 1;
	if (fail) {
		km_lin_destroy(L);
		return km_err_set(e, KM_ENOMEM, "out of memory");
	}
	for (i = 0; i < peds->n_family; ++i) L->pbase[i + 1] = L->pbase[i] + peds->fam[i].n_person;
	for (m = 0; m < p->n_marker; ++m)
		if (p->marker[m].type == KM_SYS_Y) {
			L->ymk[L->n_yl] = m;
			L->ymu[L->n_yl++] = p->marker[m].rate_m; /* male_rate, else mutation_rate (panel.c) */
		}
	if ((ret = y_build(L, o, p, f, rem, refs, peds, e)) < 0 || (ret = mt_build(L, o, rem, refs, peds, e)) < 0) {
		km_lin_destroy(L);
		return ret;
	}
	if (!L->y_on && !L->mt_on) {
		km_lin_destroy(L);
		return 0;
	}
	*Lp = L;
	return 0;
}

/* ---- queries ------------------------------------------------------------------------ */

static const lin_sys_t *lin_sys(const km_lin_t *L, int sys)
{
	if (L == NULL) return NULL;
	if (sys == KM_SYS_Y) return L->y_on ? &L->y : NULL;
	if (sys == KM_SYS_MT) return L->mt_on ? &L->m : NULL;
	return NULL;
}

int km_lin_ncol(const km_lin_t *L, int sys)
{
	const lin_sys_t *s = lin_sys(L, sys);
	return s ? s->ncol : 1;
}

int km_lin_col(const km_lin_t *L, int sys, int remain)
{
	const lin_sys_t *s = lin_sys(L, sys);
	return s && remain >= 0 && remain < L->n_remain ? s->rcol[remain] : 0;
}

int km_lin_cand(const km_lin_t *L, int sys, const km_peds_t *peds, int fam, int q, double *tab, int *ref,
                int *k_meioses, km_err_t *e)
{
	const lin_sys_t *s = lin_sys(L, sys);
	int n = km_lin_ncol(L, sys), c, pi;
	*ref = -1;
	if (k_meioses) *k_meioses = 0;
	for (c = 0; c < n; ++c) tab[c] = 0.0;
	if (s == NULL) return 0;
	if (fam < 0 || fam >= L->n_fam || q < 0 || q >= L->pbase[fam + 1] - L->pbase[fam])
		return km_err_set(e, KM_EUSAGE, "km_lin_cand: no person %d in family %d", q, fam);
	pi = L->pbase[fam] + q;
	if (s->slot_of[pi] < 0) return 0; /* no lineage reference with data: NA */
	*ref = s->ref[pi];
	if (k_meioses) *k_meioses = s->k[pi];
	return sys == KM_SYS_Y ? y_cand(L, s->slot_of[pi], s->k[pi], tab, e) : mt_cand(L, s->slot_of[pi], s->k[pi], tab, e);
}

/* ---- results store (store): the lineage evidence of a subset of the remains --------- */
int km_lin_subset(km_lin_t **S, const km_lin_t *L, const int *rsel, int n)
{
	*S = NULL;
	if (!L) return 0;
	km_lin_t *V = malloc(sizeof(*V));
	if (!V) return KM_ENOMEM;
	*V = *L;   /* shares everything but the per-remain columns */
	V->n_remain = n;
	V->y.rcol = V->m.rcol = NULL;
	V->yr_left = NULL;
	if ((L->y.rcol && !(V->y.rcol = malloc(sizeof(int) * ((size_t)n + 1)))) ||
	    (L->m.rcol && !(V->m.rcol = malloc(sizeof(int) * ((size_t)n + 1)))) ||
	    (L->yr_left && !(V->yr_left = malloc(sizeof(uint64_t) * ((size_t)n + 1))))) {
		km_lin_subset_free(V);
		return KM_ENOMEM;
	}
	for (int i = 0; i < n; ++i) {
		if (V->y.rcol) V->y.rcol[i] = L->y.rcol[rsel[i]];
		if (V->m.rcol) V->m.rcol[i] = L->m.rcol[rsel[i]];
		if (V->yr_left) V->yr_left[i] = L->yr_left[rsel[i]];
	}
	*S = V;
	return 0;
}

void km_lin_subset_free(km_lin_t *S)
{
	if (!S) return;
	free(S->y.rcol);
	free(S->m.rcol);
	free(S->yr_left);
	free(S);
}
/* ---- end results store */
int km_lin_y_nleft(const km_lin_t *L)
{
	return L && L->y_on ? L->n_yleft : 0;
}

int km_lin_y_left_out(const km_lin_t *L, int remain, int fam, int q)
{
	const lin_sys_t *s = lin_sys(L, KM_SYS_Y);
	int pi;
	if (s == NULL || remain < 0 || remain >= L->n_remain || fam < 0 || fam >= L->n_fam ||
	    q < 0 || q >= L->pbase[fam + 1] - L->pbase[fam])
		return -1;
	pi = L->pbase[fam] + q;
	if (s->slot_of[pi] < 0 || (s->rcol[remain] == 0 && L->yr_left[remain] == 0)) return -1;   /* Y is NA */
	return __builtin_popcountll(L->yr_left[remain] & L->yslot_left[s->slot_of[pi]]);
}

/* ---- explain (issue 13) -----------------------------------------------------------------
 * The numbers behind one pair's lineage LR, recomputed the plain way (not the scan's
 * vector path): compared loci / positions, differences, and the database counts x of N of
 * the denominator (as y_fone and mt_freqs count them). */

void km_linx_free(km_linx_t *x)
{
	free(x->rcall); free(x->fcall); free(x->diff);
	x->rcall = x->fcall = x->diff = NULL;
}

static void y_fmt(kstring_t *s, const double *v)
{
	ksprintf(s, "%g", v[0]);
	if (!isnan(v[1])) ksprintf(s, ",%g", v[1]);
}

static void mt_fmt(kstring_t *s, const km_mthap_t *h, const mt_reg_t *r)
{
	int i;
	for (i = 0; i < r->n; ++i) ksprintf(s, "%s%d-%d", i ? " " : "", r->iv[i][0], r->iv[i][1]);
	kputc(':', s);
	for (i = 0; i < h->n_var; ++i) {
		const km_mtvar_t *v = &h->var[i];
		if (!reg_has(r, v->pos)) continue;
		if (v->ins > 0) ksprintf(s, " %d.%d%c", v->pos, v->ins, v->base);
		else if (v->base == '-') ksprintf(s, " %ddel", v->pos);
		else ksprintf(s, " %d%c", v->pos, v->base);
	}
}

int km_lin_explain(const km_lin_t *L, int sys, const km_panel_t *p, const km_peds_t *peds, int fam, int q, int r,
                   km_linx_t *x, km_err_t *e)
{
	const lin_sys_t *s = lin_sys(L, sys);
	kstring_t rc = { 0, 0, NULL }, fc = { 0, 0, NULL }, df = { 0, 0, NULL };
	memset(x, 0, sizeof *x);
	x->ref = -1;
	if (s == NULL || r < 0 || r >= L->n_remain || fam < 0 || fam >= L->n_fam) return 0;
	int pi = L->pbase[fam] + q, c = s->rcol[r];
	(void)peds;
	if (q < 0 || q >= L->pbase[fam + 1] - L->pbase[fam] || s->slot_of[pi] < 0 || c <= 0) return 0;
	int slot = s->slot_of[pi];
	x->ref = s->ref[pi], x->k = s->k[pi];
	kputs("", &rc); kputs("", &fc); kputs("", &df);
	if (sys == KM_SYS_Y) {
		const double *rv = L->yslot + (size_t)slot * L->n_yl * 2, *cv = L->ycol + (size_t)c * L->n_yl * 2;
		uint64_t b = 0;
		for (int l = 0; l < L->n_yl; ++l) {
			if (isnan(cv[2 * l]) || isnan(rv[2 * l])) continue;
			b |= 1ULL << l;
			++x->n_cmp;
			const char *nm = p->marker[L->ymk[l]].name;
			ksprintf(&rc, "%s%s=", rc.l ? " " : "", nm); y_fmt(&rc, cv + 2 * l);
			ksprintf(&fc, "%s%s=", fc.l ? " " : "", nm); y_fmt(&fc, rv + 2 * l);
			if (cmp_dbl(cv[2 * l], rv[2 * l]) != 0 || cmp_dbl(cv[2 * l + 1], rv[2 * l + 1]) != 0) {
				++x->n_diff;
				ksprintf(&df, "%s%s ", df.l ? " " : "", nm); y_fmt(&df, cv + 2 * l);
				kputc('/', &df); y_fmt(&df, rv + 2 * l);
			}
		}
		/* N: database haplotypes typed at every compared locus; x: equal to the reference there */
		if ((b & L->yl_indb) == b)
			for (int h = 0; h < L->n_yh; ++h) {
				if ((L->yh_typed[h] & b) != b) continue;
				x->n += L->yh_count[h];
				int eq = 1;
				for (int l = 0; l < L->n_yl && eq; ++l)
					if (b >> l & 1) eq = L->yh_code[(size_t)h * L->n_yl + l] == y_code(rv + 2 * l);
				if (eq) x->x += L->yh_count[h];
			}
		x->log10_f = lin_logf(x->x, x->n, L->y_upper95);
	} else {
		const km_mthap_t *R = &L->mt.hap[s->slot_sample[slot]], *H = &L->mt.hap[L->mcol_hap[c]];
		mt_reg_t reg;
		if ((reg.iv = malloc((size_t)(R->n_range + H->n_range + 1) * sizeof *reg.iv)) == NULL) goto oom;
		reg_isect(H, R, &reg);
		for (int i = 0; i < reg.n; ++i) x->n_cmp += reg.iv[i][1] - reg.iv[i][0] + 1;
		x->n_diff = mt_diff(H, R, &reg, 1 << 30);
		mt_fmt(&rc, H, &reg);
		mt_fmt(&fc, R, &reg);
		for (int d = 0; d < L->mtdb.n; ++d) {
			if (!reg_covered(&reg, &L->mtdb.hap[d])) continue;
			++x->n;
			x->x += mt_diff(&L->mtdb.hap[d], R, &reg, 1) == 0;
		}
		free(reg.iv);
		x->log10_f = s->logf[(size_t)slot * s->n_rm + s->col_rm[c]];
	}
	if (!rc.s || !fc.s || !df.s) goto oom;
	x->rcall = rc.s, x->fcall = fc.s, x->diff = df.s;
	return 0;
oom:
	free(rc.s); free(fc.s); free(df.s);
	x->ref = -1;
	return km_err_set(e, KM_ENOMEM, "out of memory");
}

/* ---- joint lineage terms (issue 11 part 7, linjoint.c): read-only views ----------------- */
int km_lin_person(const km_lin_t *L, int sys, int fam, int q, int *slot, int *ref, int *k)
{
	const lin_sys_t *s = lin_sys(L, sys);
	*slot = -1, *ref = -1, *k = 0;
	if (s == NULL || fam < 0 || fam >= L->n_fam || q < 0 || q >= L->pbase[fam + 1] - L->pbase[fam]) return 0;
	int pi = L->pbase[fam] + q;
	*slot = s->slot_of[pi], *ref = s->ref[pi], *k = s->k[pi];
	return s->slot_of[pi] >= 0;
}

int km_lin_y_nloc(const km_lin_t *L) { return L ? L->n_yl : 0; }
double km_lin_y_mu(const km_lin_t *L, int l) { return L->ymu[l]; }
const double *km_lin_y_col(const km_lin_t *L, int col) { return L->ycol + (size_t)col * L->n_yl * 2; }
const double *km_lin_y_ref(const km_lin_t *L, int slot) { return L->yslot + (size_t)slot * L->n_yl * 2; }

int km_lin_y_logf(const km_lin_t *L, int slot, int col, double *logf, km_err_t *e)
{
	yagree_t A;
	int ret;
	memset(&A, 0, sizeof A);
	if ((ret = y_agree_prep(L, km_lin_y_ref(L, slot), &A, e)) < 0) return ret;
	*logf = y_fone(L, &A, L->y.col_rm[col], L->y_upper95);
	y_agree_free(&A);
	return 0;
}

double km_lin_db_total(const km_lin_t *L, int sys)
{
	double n = 0.0;
	if (lin_sys(L, sys) == NULL) return 0.0;
	if (sys == KM_SYS_Y) for (int h = 0; h < L->n_yh; ++h) n += (double)L->yh_count[h];
	else n = L->mtdb.n;
	return n;
}
