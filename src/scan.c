/* scan.c — every remain against every candidate: the hot loop only adds numbers.
 *
 * score(r, c) = sum_l T_c[col_off[l] + gidx[r, l]]   (column 0 = untyped = 0.0)
 * Each (r, c) is summed by one thread in a fixed locus order, system by system, and the
 * system sums are added in system order, so the double is the same for any --threads.
 * Remains are distributed over threads; each remain's ranking lives in its own slot, so
 * no cross-thread merge is needed and ties are broken in a total order: log10 LR
 * descending, then candidate index (candidates are sorted by family, then missing id).
 * No allocation, string or hash in the loop.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "kmpriv.h"
#include "pipe.h"

/* a before b in the ranking? */
static inline int better(double la, int ca, double lb, int cb)
{
	return la > lb || (la == lb && ca < cb);
}

/* An apparent homozygote of a remain with dropout: LR = (P + wQ) / (1 + wR), from the
 * candidate's P, Q, R of the column (compile.c) and the remain's w = d/(1+d). */
static inline double drop_lr(const km_index_t *ix, const double *hom, const struct km_drop_s *d)
{
	const double *H = hom + (size_t)ix->hom_slot[ix->col_off[d->l] + d->col] * 3;
	double num = H[0] + d->w * H[1];
	return num > 0.0 ? log10(num / (1.0 + d->w * H[2])) : KM_NEG_INF;
}

/* The sum for one (remain, candidate), system by system in locus order; sys[] (may be
 * NULL) receives the per-system sums.  Preconditions: g[l] < n_col[l]; the dropout
 * entries dr[0..ndr) are sorted by locus. */
static inline double score(const double *row, const double *hom, const km_index_t *ix, const uint16_t *g,
                           const struct km_drop_s *dr, size_t ndr, double *sys)
{
	double tot = 0.0;
	size_t j = 0;
	for (int s = 0; s < KM_N_SYS; ++s) {
		double v = 0.0;
		for (int l = ix->sys_start[s]; l < ix->sys_start[s + 1]; ++l) v += row[ix->col_off[l] + g[l]];
		for (; j < ndr && dr[j].l < ix->sys_start[s + 1]; ++j) v += drop_lr(ix, hom, &dr[j]);
		if (sys) sys[s] = v;
		tot += v;
	}
	return tot;
}

static inline int count_loci(const km_index_t *ix, const uint8_t *typed, const uint16_t *g,
                             const struct km_drop_s *dr, size_t ndr)
{
	int n = 0;
	for (int l = 0; l < ix->n_loc; ++l) n += g[l] != 0 && typed[l];
	for (size_t j = 0; j < ndr; ++j) n += typed[dr[j].l];
	return n;
}

void km_hits_destroy(km_hits_t *h)
{
	free(h->h); free(h->rank);
	memset(h, 0, sizeof(*h));
}

static const km_prof_t *g_sort_rem;
static int cmp_remain(const void *x, const void *y)
{
	return strcmp(g_sort_rem->sample[*(const int *)x], g_sort_rem->sample[*(const int *)y]);
}

/* the per-system breakdown of a kept row; NA where the remain or the family lacks the system */
static void fill_row(km_hit_t *h, const km_index_t *ix, const km_tabs_t *t)
{
	const double *row = t->lr + (size_t)h->cand * ix->n_totcol;
	const double *hom = t->hom ? t->hom + (size_t)h->cand * ix->n_hom * 3 : NULL;
	const uint16_t *g = ix->gidx + (size_t)h->remain * ix->n_loc;
	const struct km_drop_s *dr = ix->drop + ix->drop_start[h->remain];
	size_t ndr = ix->drop_start[h->remain + 1] - ix->drop_start[h->remain];
	double v[KM_N_SYS];
	h->lr = score(row, hom, ix, g, dr, ndr, v);
	for (int s = 0; s < KM_N_SYS; ++s) {
		int have = (ix->rsys[h->remain] >> s & 1) && (t->csys[h->cand] >> s & 1);
		h->sys[s] = have ? v[s] : (double)NAN;
	}
	h->loci = count_loci(ix, t->typed + (size_t)h->cand * ix->n_loc, g, dr, ndr);
}

int km_scan(km_hits_t *hits, const km_index_t *ix, const km_tabs_t *t, const km_peds_t *peds,
            const km_prof_t *rem, const km_opt_t *o, km_err_t *e)
{
	int nr = ix->n_remain, nc = t->n_cand;
	int K = o->all ? nc : (o->top < nc ? o->top : nc);
	memset(hits, 0, sizeof(*hits));
	if (K < 0) K = 0;
	km_hit_t *slot = malloc(sizeof(km_hit_t) * ((size_t)nr * K + 1));
	int *n_slot = calloc((size_t)nr + 1, sizeof(int));
	if (!slot || !n_slot) { free(slot); free(n_slot); return km_err_set(e, KM_ENOMEM, "out of memory (%d remains x %d rows)", nr, K); }
	int min_loci = o->all ? 0 : o->min_loci;
	int nthr = o->threads > 0 ? o->threads : 1;
	(void)nthr;
	#pragma omp parallel for schedule(dynamic, 16) num_threads(nthr)
	for (int r = 0; r < nr; ++r) {
		km_hit_t *top = slot + (size_t)r * K;
		int n = 0;
		const uint16_t *g = ix->gidx + (size_t)r * ix->n_loc;
		const struct km_drop_s *dr = ix->drop + ix->drop_start[r];
		size_t ndr = ix->drop_start[r + 1] - ix->drop_start[r];
		for (int c = 0; c < nc; ++c) {
			const double *row = t->lr + (size_t)c * ix->n_totcol;
			const double *hom = t->hom ? t->hom + (size_t)c * ix->n_hom * 3 : NULL;
			if (min_loci > 0 && count_loci(ix, t->typed + (size_t)c * ix->n_loc, g, dr, ndr) < min_loci) continue;
			double s = score(row, hom, ix, g, dr, ndr, NULL);
			if (n == K && !better(s, c, top[K - 1].lr, top[K - 1].cand)) continue;
			int i = n < K ? n++ : K - 1;          /* insertion into the sorted top-K */
			while (i > 0 && better(s, c, top[i - 1].lr, top[i - 1].cand)) { top[i] = top[i - 1]; --i; }
			top[i].remain = r, top[i].cand = c, top[i].lr = s;
		}
		n_slot[r] = n;
	}
	/* rows: remains in byte order of their ids, then rank */
	int *ord = malloc(sizeof(int) * (size_t)(nr + 1));
	size_t tot = 0;
	for (int r = 0; r < nr; ++r) tot += (size_t)n_slot[r];
	hits->h = malloc(sizeof(km_hit_t) * (tot + 1));
	hits->rank = malloc(sizeof(int) * (tot + 1));
	if (!ord || !hits->h || !hits->rank) { free(ord); free(slot); free(n_slot); km_hits_destroy(hits); return km_err_set(e, KM_ENOMEM, "out of memory"); }
	for (int r = 0; r < nr; ++r) ord[r] = r;
	g_sort_rem = rem;
	qsort(ord, (size_t)nr, sizeof(int), cmp_remain);
	for (int i = 0; i < nr; ++i) {
		int r = ord[i];
		for (int k = 0; k < n_slot[r]; ++k) {
			km_hit_t *h = &slot[(size_t)r * K + k];
			if (!o->all && h->lr < o->min_lr) break;   /* sorted: the rest are lower */
			hits->h[hits->n] = *h;
			fill_row(&hits->h[hits->n], ix, t);
			hits->rank[hits->n++] = k + 1;
		}
	}
	(void)peds;
	free(ord); free(slot); free(n_slot);
	return 0;
}
