/* lin_y.c — the Y-STR system: each profile's Y values, the remains' distinct haplotypes
 * (the columns) and their typed-loci masks, the database as masks and value codes for
 * the denominators, and a candidate's column of log10 LR_Y (lin_y_cand); also
 * km_lin_y_logf, the joint terms' view of one denominator.  Its inner loops (y_accum,
 * y_agree) stay here with their callers.  The model (stepwise mutations, f = (x + 1) /
 * (N + 1) or its upper 95% bound) is the "Y-STR" paragraph of lineage.c's head comment;
 * build (lineage.c) calls this file's pieces in turn.  The value order cmp_dbl and the
 * exact code y_code are static inline in lin_int.h, since explain uses them too.
 *
 * Copyright (C) 2026 the kinmatch authors.  GPL-3.0-or-later.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lin_int.h"

/* ---- Y-STR ------------------------------------------------------------------------------ */

/* Y values of sample s of profile pr into v[n_yl * 2]: copies sorted, NAN absent.
 * Returns 1 if any locus is typed, 0 if none, < 0 on a label that is no number. */
int lin_y_values(const km_lin_t *L, const km_freqs_t *f, const km_prof_t *pr, int s, double *v, km_err_t *e)
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
int lin_y_columns(km_lin_t *L, const double *rv, const uint8_t *rhas, uint8_t **cmask_out, km_err_t *e)
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
	/* integer codes, locus-major, for lin_y_cand's screen; left out when a value is not a
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

/* The database as bit masks and codes, and N for each remain mask (issue 3: N counts the
 * database haplotypes typed at every compared locus).  x, the haplotypes equal to the
 * reference at every compared locus, is counted per candidate (y_logf): a remain mask m
 * counts haplotype h when m is inside agree(h), the loci where h is typed and equal to
 * the reference.  Nothing is stored per (reference, remain mask) pair, whose number
 * grows as families x remains. */
int lin_y_dbindex(km_lin_t *L, const km_ydb_t *db, const uint8_t *rmask, km_err_t *e)
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

/* One compared locus over all columns at once, on the integer codes of lin_y_columns: a
 * column stays alive when it has the reference's number of copies, equal hundredths and
 * at most k whole steps from it at each copy, and its log10 numerator gains log10
 * P_k(d) per copy (Pl[d + k]), in copy order — per column the same additions in the
 * same order as the scalar test of lin_y_cand.  Untyped columns are not compared. */
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

int lin_y_cand(const km_lin_t *L, int slot, int k, double *tab, km_err_t *e)
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

/* ---- joint lineage terms (linjoint.c): log10 f of one (reference, column) pair ---------- */
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
