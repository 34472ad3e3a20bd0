/* lineage.h — Y-STR haplotypes and mtDNA control-region haplotypes (lineage markers).
 *
 * These systems are linked within themselves (no product rule), so each is one "locus"
 * of the scan: the remains' distinct haplotypes are its columns, and a candidate's
 * table holds log10 LR_Y or log10 LR_mt for each of them.  The models are those of the
 * lineage issue (see README.md, "Lineage markers").
 */
#ifndef KM_LINEAGE_H
#define KM_LINEAGE_H

#include "kinmatch.h"

/* ---- Y-STR haplotype database (--y-db) ------------------------------------------- */
typedef struct km_ydb_s {
	int n_hap;
	int n_col;             /* Y-STR markers that are columns of the file */
	int *marker;           /* panel marker of each column */
	char **name;           /* haplotype names (first column) */
	double *v;             /* [(h * n_col + j) * 2 + k]: repeat numbers, sorted; NAN = absent;
	                          a single-copy value has v[..+1] = NAN; an untyped cell both NAN;
	                          more than two copies: both -1 (typed, equal to no profile) */
	int *count;            /* haplotypes each row stands for: column 'count' or 'n', else 1 */
	char *fn;
} km_ydb_t;

int km_ydb_load(km_ydb_t *db, const km_panel_t *p, const char *fn, km_err_t *e);
int km_ydb_load_mem(km_ydb_t *db, const km_panel_t *p, const char *name, const char *buf, size_t len, km_err_t *e);
void km_ydb_destroy(km_ydb_t *db);

/* ---- mtDNA haplotypes (--mtdna, --mt-db), EMPOP notation against rCRS ------------- */
typedef struct km_mtvar_s {
	int pos;               /* rCRS position 1..16569 */
	int ins;               /* 0: substitution or deletion at pos; k > 0: k-th inserted base after pos */
	char base;             /* A C G T, an IUPAC code, or '-' for a deletion */
} km_mtvar_t;

typedef struct km_mthap_s {
	char *sample;
	int n_range;
	int (*range)[2];       /* inclusive [start, end] intervals of sequenced positions, end >= start */
	int n_var;
	km_mtvar_t *var;       /* sorted by (pos, ins) */
	int line;
} km_mthap_t;

typedef struct km_mtset_s {
	int n;
	km_mthap_t *hap;
	void *hash;            /* sample -> index */
	char *fn;
} km_mtset_t;

int km_mt_load(km_mtset_t *s, const char *fn, km_err_t *e);
int km_mt_load_mem(km_mtset_t *s, const char *name, const char *buf, size_t len, km_err_t *e);
int km_mt_find(const km_mtset_t *s, const char *sample);
void km_mt_destroy(km_mtset_t *s);

/* ---- lineage evidence for the scan --------------------------------------------------- */
typedef struct km_lin_s km_lin_t;

/* Default --mt-mutation-rate, per meiosis: Sigurdardottir S, Helgason A, Gulcher JR,
 * Stefansson K, Donnelly P (2000) "The mutation rate in the human mtDNA control region",
 * Am J Hum Genet 66:1599-1609: 3 substitutions in 705 transmissions across HVS-I and
 * HVS-II in 26 Icelandic pedigrees, 3/705 = 0.0043 per generation (95% CI 0.00088-0.013),
 * the largest pedigree-based estimate for the region. */
#define KM_MT_RATE_DEFAULT (3.0 / 705.0)

/* What the lineage systems need (not km_opt_t, so lineage.c does not see it): the
 * lineage files as the load phase read them (issue 10: lineage.c opens no file), and two
 * options. */
typedef struct km_linopt_s {
	const km_ydb_t *ydb;   /* --y-db, read (NULL = not given); borrowed */
	km_mtset_t *mt, *mtdb; /* --mtdna, --mt-db, read (NULL = not given); km_lin_build moves
	                          them into its result and leaves the caller's empty */
	double mt_rate;        /* per meiosis over the compared region; < 0 = default */
	int upper95;           /* --lineage-freq upper95 */
} km_linopt_t;

/* linfiles.c, the load phase: the three files read (the mtDNA pair checked to come
 * together first); km_linfiles_opt points o at them.  Destroy F after km_lin_build (which
 * has moved the mtDNA sets into its result). */
typedef struct km_linfiles_s {
	km_ydb_t ydb;
	km_mtset_t mt, mtdb;
	int y_on, mt_on;       /* --y-db, --mtdna/--mt-db given */
} km_linfiles_t;
int km_linfiles_load(km_linfiles_t *F, const km_panel_t *p, const char *y_db, const char *mtdna, const char *mt_db,
                     km_err_t *e);
void km_linfiles_opt(km_linfiles_t *F, km_linopt_t *o, double mt_rate, int upper95);
void km_linfiles_destroy(km_linfiles_t *F);

/* Indexes the remains' haplotypes and the references' lineage paths.  Y data of the
 * remains and references comes from their ordinary profiles (panel type Y-STR); mtDNA
 * from --mtdna.  *L is NULL when no lineage data is present at all (nothing to do). */
int km_lin_build(km_lin_t **L, const km_linopt_t *o, const km_panel_t *p, const km_freqs_t *f,
                 const km_prof_t *rem, const km_prof_t *refs, const km_peds_t *peds, km_err_t *e);
void km_lin_destroy(km_lin_t *L);

/* columns: 0 = no data; 1.. = distinct haplotypes among the remains.  L may be NULL (no
 * lineage data): one column, every remain in column 0, every candidate NA. */
int km_lin_ncol(const km_lin_t *L, int sys);                 /* sys = KM_SYS_Y or KM_SYS_MT */
int km_lin_col(const km_lin_t *L, int sys, int remain);

/* Fills tab[0..ncol) with log10 LR for candidate (family fam, missing person q) and
 * returns through *ref the chosen lineage reference (person index in the family, -1 =
 * none: the system is NA for this candidate, and tab is all 0).  tab[0] = 0.
 * Thread-safe for distinct tab. */
int km_lin_cand(const km_lin_t *L, int sys, const km_peds_t *peds, int fam, int q, double *tab,
                int *ref, int *k_meioses, km_err_t *e);

/* ---- results store (store): a view of L for remains rsel[0..n) (remain i of the view is
 * remain rsel[i] of L), sharing L's tables; free with km_lin_subset_free() before L.
 * L == NULL gives *S == NULL. */
int km_lin_subset(km_lin_t **S, const km_lin_t *L, const int *rsel, int n);
void km_lin_subset_free(km_lin_t *S);
/* ---- end results store */
/* Partial Y databases (issue 12 part 3): Y-STR loci typed in the remains that the --y-db
 * lacks are left out of the comparison.  km_lin_y_nleft: how many such loci (0 = none,
 * and no y_left_out column).  km_lin_y_left_out: for (remain, family fam, missing q),
 * the loci typed in the remain and in the chosen Y reference that were left out; -1 when
 * the candidate has no Y reference (NA). */
int km_lin_y_nleft(const km_lin_t *L);
int km_lin_y_left_out(const km_lin_t *L, int remain, int fam, int q);

/* ---- explain (issue 13): the comparison behind one lineage LR -------------------------- */
typedef struct km_linx_s {
	int ref, k;            /* lineage reference (person index in the family, -1 = none) and meioses */
	int n_cmp;             /* Y: loci compared; mt: positions compared */
	int n_diff;            /* Y: compared loci whose values differ; mt: differences (model count) */
	long x, n;             /* database: haplotypes equal to the reference where compared, and N */
	double log10_f;        /* log10 of the haplotype frequency in the denominator */
	char *rcall, *fcall;   /* the remain's and the reference's haplotype where compared (malloc) */
	char *diff;            /* Y: the differing loci, "DYS458 17/18"; mt: "" (malloc) */
} km_linx_t;

/* Fills *x for remain r (index in the remains' profile) against candidate (fam, q) in
 * system sys; p names the Y-STR loci.  x->ref = -1 (and nothing else set) when the
 * system is NA for the pair.  Free with km_linx_free. */
int km_lin_explain(const km_lin_t *L, int sys, const km_panel_t *p, const km_peds_t *peds, int fam, int q, int r,
                   km_linx_t *x, km_err_t *e);
void km_linx_free(km_linx_t *x);

/* ---- joint lineage terms (issue 11 part 7): views for linjoint.c ---------------------------
 * km_lin_person: the chosen reference slot (-1 none), person and meioses of (fam, q) in
 * sys; 1 when it has one.  The Y views: loci, male mutation rate of locus l, a column's
 * and a slot's values ([2 l + copy], NAN = not compared), and log10 f of (slot, column) as
 * the pairwise denominator.  km_lin_db_total: haplotypes in the system's database (0 off). */
int km_lin_person(const km_lin_t *L, int sys, int fam, int q, int *slot, int *ref, int *k);
int km_lin_y_nloc(const km_lin_t *L);
double km_lin_y_mu(const km_lin_t *L, int l);
const double *km_lin_y_col(const km_lin_t *L, int col);
const double *km_lin_y_ref(const km_lin_t *L, int slot);
int km_lin_y_logf(const km_lin_t *L, int slot, int col, double *logf, km_err_t *e);
double km_lin_db_total(const km_lin_t *L, int sys);

/* linjoint.c: the lineage term of placements q[i] <- remain rem[i] (i < n) in family fam,
 * log10 LR against none placed, for sys (KM_SYS_Y or KM_SYS_MT); *n_uncov = line components
 * whose term is left out (not covered; README, Identification).  Not thread-safe per W. */
typedef struct km_linj_s km_linj_t;
int km_linj_new(km_linj_t **W, const km_lin_t *L, const km_peds_t *peds, km_err_t *e);
void km_linj_free(km_linj_t *W);
int km_linj_term(km_linj_t *W, int sys, int fam, const int *q, const int *rem, int n, double *lr, int *n_uncov,
                 km_err_t *e);

#endif
