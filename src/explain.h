/* explain.h — per-locus explanation of chosen (remain, candidate) pairs (issue 13). */
#ifndef KM_EXPLAIN_H
#define KM_EXPLAIN_H

#include <stdio.h>
#include "pipe.h"

/* One pair to explain: remain index, candidate index, its rank in matches.tsv (0 = not
 * there), the row of matches.tsv (NULL = none) and an order key for the output. */
typedef struct km_xpair_s {
	int remain, cand, rank;
	const km_hit_t *hit;
	size_t order;
} km_xpair_t;

/* What explain reads: the match run's loaded inputs, index and compiler. */
typedef struct km_xctx_s {
	const km_index_t *ix;
	const km_comp_t *C;
	const km_tabs_t *t;
	const km_panel_t *p;
	const km_freqs_t *f;
	const km_prof_t *rem, *refs;
	const km_peds_t *peds;
	const struct km_lin_s *lin;
	const km_opt_t *o;
	int threads;
} km_xctx_t;

/* The rows of rank <= top_n of every remain, in the order of hits (remains in byte order),
 * and after a remain's rows the candidate of its identification (concl_cand[r], -1 none;
 * concl_cand may be NULL) if not among them.  *v: caller frees. */
int km_explain_select(km_xpair_t **v, size_t *n, const km_hits_t *hits, int top_n, const int *concl_cand,
                      const km_prof_t *rem, km_err_t *e);
/* DIR/explain.tsv: header, then for each pair in the order given one row per compared
 * locus (README, "Reading explain.tsv").  Compiles each candidate once (threads). */
int km_explain_write(FILE *fp, const km_xctx_t *X, const km_xpair_t *v, size_t n, km_err_t *e);
/* DIR/families.tsv: the pedigree rows (contract format) of the pairs' families. */
int km_explain_families(FILE *fp, const km_xctx_t *X, const km_xpair_t *v, size_t n, km_err_t *e);
/* The (candidate, marker) pairs whose references contradict their pedigree: a warning
 * naming the first max_warn, and every one into fp (family missing marker; fp may be
 * NULL); where names the file in the warning. */
int km_explain_incon(FILE *fp, const km_xctx_t *X, int max_warn, const char *where, km_err_t *e);

#endif
