/* incon.c — the `inconsistent` column of matches.tsv (issue 12 part 1).
 *
 * With a typing-error rate E > 0 an incompatible locus is no longer an exclusion (-inf),
 * so each kept row says on how many loci the remain and the family's references are
 * incompatible without error and mutation (dvir's exclusion count, maxIncomp; Vigeland &
 * Egeland 2021, Sci Rep 11:13661).  Computed after the scan for the kept rows only: each
 * distinct candidate among them gets its per-column flags once (km_comp_incompat, one
 * exact query per locus with M = I and E = 0), then each row adds its remain's columns;
 * an apparent homozygote of a remain with dropout (a dropout-list entry) counts as
 * incompatible only if neither aa nor any ax fits.  Threads split the candidates; the
 * counts do not depend on their number. */
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "kmpriv.h"
#include "pipe.h"

static int cmp_hit_cand(const void *x, const void *y, void *hp)
{
	const km_hits_t *h = hp;
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	int ca = h->h[a].cand, cb = h->h[b].cand;
	if (ca != cb) return ca < cb ? -1 : 1;
	return (a > b) - (a < b);
}

int km_hits_incon(km_hits_t *hits, const km_tabs_t *t, const km_index_t *ix, const km_comp_t *C, int threads, km_err_t *e)
{
	size_t n = hits->n, *ord = malloc(sizeof(size_t) * (n + 1)), *start = malloc(sizeof(size_t) * (n + 2)), ng = 0;
	int ret = 0;
	free(hits->incon);
	hits->incon = calloc(n + 1, sizeof(int));
	if (!ord || !start || !hits->incon) { free(ord); free(start); return km_err_set(e, KM_ENOMEM, "out of memory"); }
	for (size_t i = 0; i < n; ++i) ord[i] = i;
	qsort_r(ord, n, sizeof(size_t), cmp_hit_cand, hits);
	for (size_t i = 0; i < n; ++i)
		if (i == 0 || hits->h[ord[i]].cand != hits->h[ord[i - 1]].cand) start[ng++] = i;
	start[ng] = n;
	if (threads < 1) threads = 1;
	km_cwork_t **W = calloc((size_t)threads, sizeof(*W));
	uint8_t **fl = calloc((size_t)threads, sizeof(*fl));
	km_err_t *te = calloc((size_t)threads, sizeof(*te));
	int *tret = calloc((size_t)threads, sizeof(int));
	int fail = !W || !fl || !te || !tret;
	for (int k = 0; !fail && k < threads; ++k)
		if (!(W[k] = km_cwork_new(C)) || !(fl[k] = malloc(ix->n_totcol + 1))) fail = 1;
	if (!fail) {
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
		for (size_t g = 0; g < ng; ++g) {
			int tid = 0;
#ifdef _OPENMP
			tid = omp_get_thread_num();
#endif
			if (tret[tid] < 0) continue;
			const km_cand_t *cand = &t->cand[hits->h[ord[start[g]]].cand];
			if ((tret[tid] = km_comp_incompat(C, W[tid], cand, fl[tid], &te[tid])) < 0) continue;
			for (size_t i = start[g]; i < start[g + 1]; ++i) {
				const km_hit_t *h = &hits->h[ord[i]];
				const uint16_t *gi = ix->gidx + (size_t)h->remain * ix->n_loc;
				int c = 0;
				for (int l = 0; l < ix->n_loc; ++l)
					if (gi[l] && ix->marker[l] >= 0) c += fl[tid][ix->col_off[l] + gi[l]] & 1;
				for (size_t j = ix->drop_start[h->remain]; j < ix->drop_start[h->remain + 1]; ++j)
					c += fl[tid][ix->col_off[ix->drop[j].l] + ix->drop[j].col] >> 1 & 1;
				hits->incon[ord[i]] = c;
			}
		}
		for (int k = 0; k < threads; ++k)
			if (tret[k] < 0 && ret == 0) ret = tret[k], *e = te[k];
	} else ret = km_err_set(e, KM_ENOMEM, "out of memory");
	for (int k = 0; W && k < threads; ++k) if (W[k]) km_cwork_free(W[k], NULL);
	for (int k = 0; fl && k < threads; ++k) free(fl[k]);
	free(W); free(fl); free(te); free(tret); free(ord); free(start);
	if (ret < 0) { free(hits->incon); hits->incon = NULL; }
	return ret;
}
