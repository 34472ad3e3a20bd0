/* lin_mt.c — the mtDNA system: the remains' distinct haplotypes (the columns) and their
 * range sets, log10 f for every (chosen reference, range set) pair with one database pass
 * per distinct compared region (lin_mt_freqs), and a candidate's column of log10 LR_mt
 * (lin_mt_cand).  The model (states, insertions, the C-stretches, the Poisson numerator)
 * is the "mtDNA" paragraph of lineage.c's head comment.  The region helpers (reg_*) and
 * the difference count mt_diff are static inline in lin_int.h, since explain (lineage.c)
 * runs them over the database too.
 *
 * Copyright (C) 2026 the kinmatch authors.  GPL-3.0-or-later.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <htslib/khash_str2int.h>
#include <htslib/kstring.h>
#include "lin_int.h"

#define LN10 2.30258509299404568402

/* ---- mtDNA -------------------------------------------------------------------------- */

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
int lin_mt_columns(km_lin_t *L, const km_prof_t *rem, km_err_t *e)
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
int lin_mt_freqs(km_lin_t *L, int upper95, km_err_t *e)
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

int lin_mt_cand(const km_lin_t *L, int slot, int k, double *tab, km_err_t *e)
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
