/* rank.h — the rank stage (rank.c): top-K per remain in the total order, the rows of
 * matches.tsv, the summary counts. */
#ifndef KM_RANK_H
#define KM_RANK_H

#include "pipe.h"

/* a before b in the ranking: larger log10 LR, then smaller candidate index */
/* a before b in the ranking? */
static inline int km_rank_better(double la, int ca, double lb, int cb)
{
	return la > lb || (la == lb && ca < cb);
}

/* Keeps (r, c) with exact log10 LR s and per-system sums v (NA where the remain or the
 * candidate has no data in a system) in the sorted top-K top[0..*n) of one remain. */
void km_rank_push(km_hit_t *top, int *n, int K, int r, int c, double s, const double *v, int loci,
                  const km_ctab_t *ct, const uint8_t *rsys);

/* The rows of matches.tsv into hits (h, rank, tie): remains in byte order of their ids,
 * each with its ranking top[r * K ..] (n_top[r] rows, the first Kout shown, cut at
 * min_lr), or with all_mode every candidate of all[r * nc ..] sorted here. */
int km_rank_merge(km_hits_t *hits, const km_prof_t *rem, int nr, int nc, int K, int Kout, double min_lr, int all_mode,
                  km_hit_t *all, const km_hit_t *top, const int *n_top, km_err_t *e);

/* The night's summary (ops): strong candidates and the conflicts an analyst must look at
 * first; computed before the commit so the manifest has them. */
typedef struct {
	size_t n4;              /* rows with log10 LR >= 4 */
	int r4, rconf, cconf;   /* remains with one; remains strong for 2+ families; missing persons strong for 2+ remains */
} km_rank_sum_t;
void km_rank_summary(km_rank_sum_t *S, const km_hits_t *hits, const km_tabs_t *tabs);

#endif
