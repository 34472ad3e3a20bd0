/* shard.h — sharded runs beyond one machine (issue 17; shard.c): `match --shard K/N`
 * computes the candidates of one shard of the families and writes a shard result;
 * `kinmatch merge --out DIR SHARD...` turns the shard results into exactly the outputs of
 * a single run (README, "Running on a cluster").
 *
 * A shard result is a directory written through the output layer (all or nothing):
 *   shard.info   kinmatch-shard 2; version; shard K N; key (sha256 of the options that
 *                shape the result and of every input file's bytes); cwd; the counts the
 *                merge adds up; opt NAME VALUE for each option as given (the merge runs
 *                `match` again with them)
 *   rows.tsv     each remain's best --top + 1 rows among the shard's candidates (one more
 *                than shown, so the merged ranking and its `tie` column are exact), every
 *                number as a C99 hex float (the merge ranks by the double, not its print);
 *                with a typing error each row's `inconsistent` count (-1 without), so the
 *                merge needs no reference's calls for it (format 2)
 *   sparse.tsv   (--dvi) every pair at or above the identification's storage threshold
 *   incon.tsv    the (candidate, locus) pairs whose references contradict the pedigree
 *   manifest.json, warnings.tsv   as for any run
 */
#ifndef KM_SHARD_H
#define KM_SHARD_H

#include <stdio.h>
#include "kinmatch.h"
#include "pipe.h"

/* "K/N" with 0 <= K < N, 1 <= N <= 100000: 0, else KM_EUSAGE */
int km_shard_parse(const char *s, int *k, int *n, km_err_t *e);

/* The stable split of the families over n shards, balanced by compile cost: every
 * family gets a cost (km_shard_cost); the families sorted by shape (sex, role, parents of
 * every person in file order), then id (byte order), are cut into n runs of equal summed
 * cost (a family goes where the midpoint of its cost falls), so families that share
 * tables stay together.  fshard[n_family].  Depends only on the pedigree file and n. */
double km_shard_cost(const km_family_t *F);
int km_shard_families(const km_peds_t *peds, int n, int *fshard, km_err_t *e);
/* Keeps the candidates (and their csex) of families in shard k. */
void km_shard_filter(km_tabs_t *t, const int *fshard, int k);

/* sha256 of the key material: text (the options) and the input files' bytes. */
int km_shard_key(char hex[65], const char *text, const char *const *files, int n_files, km_err_t *e);

/* What a shard writes (cmd_match.c calls it instead of the identification and
 * matches.tsv).  The hits are the shard's (candidate indices of t). */
typedef struct km_shard_out_s {
	int k, n;
	const char *key;
	const char *opts;       /* "opt\tNAME\tVALUE\n" lines */
	long n_inconsistent;
} km_shard_out_t;
int km_shard_write(FILE *info, FILE *rows, FILE *sparse, FILE *incon, const km_shard_out_t *so,
                   const km_hits_t *hits, const km_tabs_t *t, const km_peds_t *peds, const km_prof_t *rem,
                   const km_incon_t *inc, size_t n_inc, km_err_t *e);

/* ---- the merge ------------------------------------------------------------------------ */
/* Set by `kinmatch merge` before it runs match: the shard directories (absolute), their
 * key; NULL in a plain run. */
typedef struct km_merge_in_s {
	int n;
	char **dir;
	char key[65];
	long n_inconsistent;    /* the sum of the shards' */
} km_merge_in_t;
extern const km_merge_in_t *km_merge_in;

/* The merged hits (and, with o->sparse, the identification's pairs) from the shard
 * results, exactly as km_scan would give them over all candidates; the inconsistent
 * pairs into C's record (km_comp_incon_add). */
int km_shard_load(km_hits_t *hits, const km_merge_in_t *mi, const km_tabs_t *t, const km_peds_t *peds,
                  const km_prof_t *rem, const km_index_t *ix, km_comp_t *C, const km_sopt_t *o, km_err_t *e);

int km_cmd_merge(int argc, char *argv[]);

#endif
