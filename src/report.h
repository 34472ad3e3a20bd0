/* report.h — `kinmatch report --run DIR`: the run's files -> a self-contained HTML report
 * under DIR/report (issue 13).
 *
 * report_load.c reads the run (matches.tsv; explain.tsv, families.tsv, identifications.tsv,
 * inconsistent.tsv, manifest.json where present) into rp_run_t; report_svg.c draws the
 * plots and pedigrees; report_html.c writes the pages.  Nothing is loaded from outside
 * DIR/report by the pages: one CSS and one JS file sit next to them.
 */
#ifndef KM_REPORT_H
#define KM_REPORT_H

#include <stdio.h>
#include <stddef.h>
#include <htslib/kstring.h>
#include "kinmatch.h"

/* A whole tab-separated file split in place: cell[r * ncol + c], header names hdr[c]. */
typedef struct rp_table_s {
	char *buf;
	int ncol;
	char **hdr;
	size_t nrow;
	char **cell;
	int *line;              /* physical line of each row */
	char *fn;
} rp_table_t;

int rp_table_load(rp_table_t *t, const char *fn, int required, km_err_t *e);   /* absent && !required: empty, 0 */
int rp_table_col(const rp_table_t *t, const char *name);                        /* -1 if absent */
void rp_table_destroy(rp_table_t *t);
static inline const char *rp_cell(const rp_table_t *t, size_t r, int c)
{
	return c >= 0 ? t->cell[r * t->ncol + c] : "";
}

/* conclusions, in the order the overview counts them */
enum { RP_CONFIRMED, RP_UNDISPUTED, RP_JOINT, RP_INCONCLUSIVE, RP_NOMATCH,   /* identifications.tsv */
       RP_STRONG, RP_WEAK, RP_NONE,                                           /* matches.tsv only */
       RP_N_CONC };
extern const char *const rp_conc_name[RP_N_CONC];
extern const char *const rp_conc_help[RP_N_CONC];

typedef struct rp_remain_s {
	const char *id;
	size_t m0, nm;          /* its rows of matches.tsv */
	long ident;             /* row of identifications.tsv, -1 none */
	int conc;               /* RP_* */
	const char *family, *missing;   /* the conclusion's candidate (identification), else rank 1 */
	double best, second;    /* log10 LR of ranks 1 and 2 (NAN if none) */
	int loci;               /* loci compared with the rank-1 candidate, -1 none */
	int n_strong;           /* candidates with log10 LR >= 4 */
	char *page;             /* "r/<id>.html" or NULL: no page */
} rp_remain_t;

typedef struct rp_run_s {
	const char *dir;
	rp_table_t m, x, id, inc, fam, warn;   /* matches, explain, identifications, inconsistent, families, warnings */
	int mc[16];             /* matches columns: see report_load.c */
	int xc[19];             /* explain columns */
	int ic[6];              /* identifications columns */
	rp_table_t pairs;       /* remain-pairs.tsv (--dvi; issue 11 part 6), or empty */
	int pc[5];              /* its columns: remain1 remain2 relationship log10_lr loci */
	int n_remain;
	rp_remain_t *r;         /* in byte order of ids */
	void *xidx;             /* "remain\tfamily\tmissing" -> first explain row; rows of a pair are consecutive */
	size_t *xn;             /* per explain row that starts a pair: its rows */
	void *midx;             /* "family\tmissing" -> list head in mnext (rows of matches with that candidate) */
	long *mnext;
	km_peds_t peds;         /* families.tsv */
	void *famidx;           /* family id -> index */
	int have_peds;
	char *manifest;         /* manifest.json, NUL-terminated, or NULL */
	size_t manifest_len;
	int top_explained;      /* the largest rank in explain.tsv */
} rp_run_t;

int rp_run_load(rp_run_t *R, const char *dir, km_err_t *e);
void rp_run_destroy(rp_run_t *R);
/* explain rows of a pair: *n rows from the returned row index, or -1 */
long rp_explain_rows(const rp_run_t *R, const char *remain, const char *family, const char *missing, size_t *n);
/* the family's index in R->peds, or -1 */
int rp_family(const rp_run_t *R, const char *family);

/* ---- report_svg.c ---------------------------------------------------------------------- */
void rp_svg_best_hist(kstring_t *s, const rp_run_t *R);
void rp_svg_margin(kstring_t *s, const rp_run_t *R);
void rp_svg_loci(kstring_t *s, const rp_run_t *R);
/* the pedigree of family F with missing person `missing` holding `remain`; the
 * references typed (ids) get their shading; a legend under it */
void rp_svg_pedigree(kstring_t *s, const km_family_t *F, const char *missing, const char *remain);

/* ---- report_html.c --------------------------------------------------------------------- */
void rp_esc(kstring_t *s, const char *x);        /* HTML text / attribute escaping */
int rp_write(const rp_run_t *R, const char *outdir, km_err_t *e);

#endif
