/* store.h — the results store (`--store FILE`, SQLite): what every run wrote, the analysts'
 * reviews, and what an incremental night needs from the night before.
 *
 * One run = one transaction (rollback journal, synchronous=FULL): a crash or an error
 * mid-run leaves the store as it was before the run.  The schema is versioned (table
 * `meta`, key `schema_version`); opening an older store migrates it in one transaction,
 * a newer one is refused.  README.md, "Running it every night", documents the tables.
 *
 * Order of the two commits of a run (README.md): the store transaction is opened (BEGIN
 * IMMEDIATE: one writer at a time) and filled first, then the output files are committed
 * (renamed into DIR), then they are read back into the store and the store transaction
 * commits.  So the store never records files that were not delivered; the one window
 * left (files renamed, store commit lost) is found by the next --store run on the same
 * DIR, which compares DIR/matches.tsv with the hash the store recorded and says so.
 */
#ifndef KM_STORE_H
#define KM_STORE_H

#include "kinmatch.h"

/* exit-code classes of the store's errors (sysexits.h, km_exit_code) */
#define KM_ST_EOPEN KM_EOPEN          /* the store cannot be opened (66) */
#define KM_ST_ECREATE KM_ECREATE      /* the store cannot be created (73) */
#define KM_ST_EINTERNAL KM_EINTERNAL  /* a bug (70) */

#define KM_STORE_SCHEMA 3      /* the schema this build writes (README.md: history of versions) */

typedef struct km_store_s km_store_t;

/* Opens (create != 0: creates) the store at fn and brings it to KM_STORE_SCHEMA.  A store
 * of a newer schema is refused (KM_EINPUT, "written by a newer kinmatch").  *s is the
 * caller's: km_store_close().  NULL on failure. */
int km_store_open(km_store_t **s, const char *fn, int create, km_err_t *e);
void km_store_close(km_store_t *s);
/* The schema version of an open store (after migration: KM_STORE_SCHEMA). */
int km_store_version(km_store_t *s);
/* The SQL that creates schema version v from nothing (v = 1) or migrates v-1 to v; NULL
 * past KM_STORE_SCHEMA.  Exposed for the tests, which build old stores with it. */
const char *km_store_migration(int v);
/* The sqlite3 handle (store_*.c and the tests). */
struct sqlite3 *km_store_db(km_store_t *s);

/* ---- a run ------------------------------------------------------------------------ */
/* Begins the run's transaction (BEGIN IMMEDIATE) and inserts its `runs` row; *run_id. */
int km_store_run_begin(km_store_t *s, const char *started, const char *out_dir, int incremental,
                       const char *model_key, long *run_id, km_err_t *e);
/* Reads DIR/NAME (a TSV just committed by this run) into table `table` for the run:
 * matches (contract columns typed, the whole line in `row`), undisputed, joint,
 * identifications.  A missing file is an error (the run said it wrote it). */
int km_store_run_file(km_store_t *s, long run, const char *dir, const char *name, km_err_t *e);
/* Sets the run's finished time and manifest (JSON text) and commits the transaction. */
int km_store_run_commit(km_store_t *s, long run, const char *finished, const char *manifest, km_err_t *e);
/* Rolls the run's transaction back (the store is as it was); safe to call twice. */
void km_store_run_abort(km_store_t *s);
/* Warns when DIR/matches.tsv differs from what the store's last run into DIR recorded
 * (a crash between the file commit and the store commit, or a hand edit). */
void km_store_check_dir(km_store_t *s, const char *out_dir);

/* ---- reviews --------------------------------------------------------------------- */
enum { KM_REV_PENDING = 0, KM_REV_CONFIRMED = 1, KM_REV_REJECTED = 2 };

typedef struct km_review_s {
	char *remain, *family, *missing;
	int status;             /* KM_REV_CONFIRMED or KM_REV_REJECTED (km_store_reviews) */
	char *by, *note;        /* note: "" when none */
	char *at;               /* ISO 8601 UTC of the review */
	long id;                /* its row in `reviews` (later rows supersede earlier ones) */
} km_review_t;

/* The latest review of every (remain, family, missing) whose latest status is confirmed
 * or rejected (a later `pending` withdraws them), sorted by remain, family, missing (byte
 * order).  *rv is the caller's: km_store_reviews_free(*rv, *n).  A store that does not
 * exist yet has no reviews (0, *n = 0). */
int km_store_reviews(const char *db, km_review_t **rv, int *n, km_err_t *e);
void km_store_reviews_free(km_review_t *rv, int n);
/* Appends a review; a pair that was never a candidate (a row of `matches`) in any run is
 * refused with KM_EINPUT. */
int km_store_review_add(km_store_t *s, const km_review_t *r, km_err_t *e);
const char *km_review_status_name(int status);
int km_review_status_parse(const char *s);   /* KM_REV_* or -1 */

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC) of now (KINMATCH_NOW=epoch seconds overrides it, for tests) */
void km_store_now(char buf[32]);

#endif
