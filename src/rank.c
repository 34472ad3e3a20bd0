/* rank.c — the rank stage: each remain's best candidates in one total order, the rows
 * of matches.tsv, and the night's summary counts (issue 10 part 2).
 *
 * The order: log10 LR descending, then candidate index (candidates are sorted by family,
 * then missing person id), so a ranking does not depend on the order in which the scan's
 * threads offer pairs (scan.c keeps one ranking per remain, under a lock, with
 * km_rank_push) and the output is the same at any --threads.  Remains are written in byte
 * order of their ids.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kmpriv.h"
#include "pipe.h"
#include "rank.h"

/* qsort_r order of remain indices: byte order of their ids */
static int cmp_remain(const void *x, const void *y, void *arg)
{
	const km_prof_t *rem = arg;
	return strcmp(rem->sample[*(const int *)x], rem->sample[*(const int *)y]);
}

static int cmp_hit(const void *x, const void *y)
{
	const km_hit_t *a = x, *b = y;
	return km_rank_better(a->lr, a->cand, b->lr, b->cand) ? -1 : km_rank_better(b->lr, b->cand, a->lr, a->cand) ? 1 : 0;
}

void km_rank_push(km_hit_t *top, int *n, int K, int r, int c, double s, const double *v, int loci,
                  const km_ctab_t *ct, const uint8_t *rsys)
{
	if (*n == K && !km_rank_better(s, c, top[K - 1].lr, top[K - 1].cand)) return;
	int i = *n < K ? (*n)++ : K - 1;
	while (i > 0 && km_rank_better(s, c, top[i - 1].lr, top[i - 1].cand)) { top[i] = top[i - 1]; --i; }
	km_hit_t *h = &top[i];
	h->remain = r, h->cand = c;
	h->lr = s;
	for (int sy = 0; sy < KM_N_SYS; ++sy)
		h->sys[sy] = ((rsys[r] >> sy & 1) && (ct->csys >> sy & 1)) ? v[sy] : (double)NAN;
	h->loci = loci;
	for (int k = 0; k < 2; ++k) h->lin_ref[k] = ct->lin_ref[k], h->lin_k[k] = ct->lin_k[k];
}

int km_rank_merge(km_hits_t *hits, const km_prof_t *rem, int nr, int nc, int K, int Kout, double min_lr, int all_mode,
                  km_hit_t *all, const km_hit_t *top, const int *n_top, km_err_t *e)
{
	int *ord = malloc(sizeof(int) * (size_t)(nr + 1));
	size_t cap = (size_t)nr * K + 1;
	hits->h = malloc(sizeof(km_hit_t) * cap);
	hits->rank = malloc(sizeof(int) * cap);
	hits->tie = malloc(cap);   /* tie (dvi) */
	if (!ord || !hits->h || !hits->rank || !hits->tie) { free(ord); return km_err_set(e, KM_ENOMEM, "out of memory"); }
	for (int r = 0; r < nr; ++r) ord[r] = r;
	qsort_r(ord, (size_t)nr, sizeof(int), cmp_remain, (void *)rem);
	for (int i = 0; i < nr; ++i) {
		int r = ord[i];
		if (all_mode) {
			km_hit_t *row = all + (size_t)r * nc;
			qsort(row, (size_t)nc, sizeof(km_hit_t), cmp_hit);
			size_t h0 = hits->n;
			for (int k = 0, rk = 0; k < nc; ++k) {
				if (row[k].cand < 0) continue;   /* remain sex (dvi) */
				hits->h[hits->n] = row[k]; hits->rank[hits->n++] = ++rk;
			}
			for (size_t k = h0; k < hits->n; ++k)   /* tie (dvi) */
				hits->tie[k] = (k > h0 && km_lr_same_printed(hits->h[k].lr, hits->h[k - 1].lr)) ||
				               (k + 1 < hits->n && km_lr_same_printed(hits->h[k].lr, hits->h[k + 1].lr));
			continue;
		}
		const km_hit_t *tr = top + (size_t)r * K;
		for (int k = 0; k < n_top[r] && k < Kout; ++k) {
			if (tr[k].lr < min_lr) break;          /* sorted: the rest are lower */
			hits->h[hits->n] = tr[k];
			/* tie (dvi): the same printed log10 LR as the candidate ranked just above or
			 * just below (shown or not) */
			hits->tie[hits->n] = (k > 0 && km_lr_same_printed(tr[k].lr, tr[k - 1].lr)) ||
			                     (k + 1 < n_top[r] && km_lr_same_printed(tr[k].lr, tr[k + 1].lr));
			hits->rank[hits->n++] = k + 1;
		}
	}
	free(ord);
	return 0;
}

/* The night's summary: strong candidates, and the conflicts an analyst must look at
 * first (one remain strong for two families, one missing person strong for two
 * remains); LR >= 10^4 is "significant" in the field (DESIGN.md §3). */
void km_rank_summary(km_rank_sum_t *S, const km_hits_t *hits, const km_tabs_t *tabs)
{
	int prev = -1, nfam = 0, pfam = -1;
	int *ccount = calloc((size_t)tabs->n_cand + 1, sizeof(int));
	memset(S, 0, sizeof *S);
	for (size_t i = 0; i <= hits->n; ++i) {
		const km_hit_t *h = i < hits->n ? &hits->h[i] : NULL;
		if (!h || h->remain != prev) {   /* close the previous remain */
			if (nfam > 0) ++S->r4;
			if (nfam > 1) ++S->rconf;
			nfam = 0, pfam = -1;
			if (!h) break;
			prev = h->remain;
		}
		if (h->lr < 4.0) continue;
		++S->n4;
		if (ccount) ++ccount[h->cand];
		int fam = tabs->cand[h->cand].fam;
		if (fam != pfam) ++nfam, pfam = fam;
	}
	for (int ci = 0; ccount && ci < tabs->n_cand; ++ci) S->cconf += ccount[ci] > 1;
	free(ccount);
}
