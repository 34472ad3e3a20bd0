/* incr.h — `match --store FILE [--incremental]`: recording a run in the store, and the
 * incremental night (only pairs with a new or changed remain or family are computed; the
 * rest comes from the store's previous run; the output is byte-identical to a full run).
 *
 * In cmd_match.c, in this order:
 *   km_incr_open()    after the options: opens (creates, migrates) the store, so a bad or
 *                     newer store fails before any work; notes the model key from argv
 *   km_incr_plan()    after loading: content hashes per remain and per family, the
 *                     previous run's state; decides full or incremental (says why on stderr)
 *   km_incr_scan()    instead of km_scan(): the same hits, ranked and cut at --top
 *   km_incr_begin()   before the output files are committed: the store transaction
 *   km_incr_commit()  after they are: reads them into the store, commits it
 *   km_incr_close()   always (rolls back an open transaction)
 */
#ifndef KM_INCR_H
#define KM_INCR_H

#include "kinmatch.h"
#include "pipe.h"

typedef struct km_incr_s km_incr_t;
struct km_lin_s;
struct option;

/* What km_incr_scan needs to build sub-problems (subsets of remains or candidates). */
typedef struct km_incr_ctx_s {
	const km_panel_t *panel;
	const km_freqs_t *freqs;
	const km_prof_t *rem, *refs;
	const km_peds_t *peds;
	const double *rd;             /* per remain dropout */
	const struct km_lin_s *lin;   /* the lineage evidence of all remains (NULL: none) */
	const km_opt_t *o;            /* the command's options (the compile's model: km_copt_of) */
	const km_sopt_t *so;          /* the scan's */
} km_incr_ctx_t;

/* opts: the command's option table (the model key is every option's value but those that
 * are content-hashed per remain/family or do not change a pair's numbers). *I is NULL and
 * 0 is returned when o->store is NULL. */
int km_incr_open(km_incr_t **I, const km_opt_t *o, const struct option *opts, int argc, char *argv[], km_err_t *e);
int km_incr_plan(km_incr_t *I, const km_incr_ctx_t *c, km_err_t *e);
/* After km_incr_plan, for a run whose rows do not come from km_incr_scan (a merge of
 * shard results): the store records the run, its rows and identification but no
 * incremental state, so the next --incremental night is a full one (it says so). */
void km_incr_no_state(km_incr_t *I);
/* Fills hits as km_scan(hits, t, ix, C, rem, o, st, e) would, and keeps the deeper ranked
 * rows per remain for the next night.  With I == NULL it is km_scan. */
int km_incr_scan(km_incr_t *I, const km_incr_ctx_t *c, km_hits_t *hits, km_tabs_t *t, const km_index_t *ix,
                 const km_comp_t *C, km_stats_t *st, km_err_t *e);
int km_incr_begin(km_incr_t *I, const km_tabs_t *t, km_err_t *e);
/* files: the names in DIR this run committed besides matches.tsv (NULL-terminated; may be NULL) */
int km_incr_commit(km_incr_t *I, const char *dir, const char *const *files, km_err_t *e);
void km_incr_close(km_incr_t *I);

#endif
