/* ident.h — the identify stage (`kinmatch match --dvi`): from pairwise LRs to
 * identifications, with dvir's rules (Vigeland & Egeland 2021, Sci Rep 11:13661;
 * dvir 3.4.2 `pairwiseLR`, `findUndisputed`, `dviJoint`, `Bmarginal`; CONTRACT.md,
 * "Identification").
 *
 * Two layers, so the rules can be tested on synthetic matrices:
 *   ident.c    the rules only: undisputed pairs of one step, components, the joint search
 *              (enumeration, or an exact best-K branch and bound), posteriors, marginals.
 *              It sees remains and candidates as ints and LRs as numbers; the joint
 *              likelihood of a family holding two or more remains comes from a callback.
 *   famlik.c   likelihoods: a family with remains placed as typed members (lik.h engine).
 *   identrun.c the stage: the LR matrix, the undisputed loop with conditioning, the joint
 *              step, conclusions and the three output files.
 * Every LR here is a log10; an exclusion is -inf.
 */
#ifndef KM_IDENT_H
#define KM_IDENT_H

#include <stddef.h>
#include <stdio.h>
#include "kinmatch.h"

/* --dvi options (cmd_match.c fills them) */
typedef struct km_dviopt_s {
	int on;                 /* --dvi */
	double log10_t;         /* log10 of --dvi-threshold (> 0) */
	double min_lr;          /* --dvi-min-log10-lr: candidates have log10 LR >= this (-inf: LR > 0) */
	int keep;               /* --dvi-keep: rows of joint.tsv per component */
	double max_assign;      /* --dvi-max-assign: enumerate up to this many assignments */
	double min_post;        /* --dvi-min-posterior, in (0, 1] */
	int no_undisputed;      /* --dvi-no-undisputed */
} km_dviopt_t;

void km_dviopt_init(km_dviopt_t *o);

/* One pair (remain r, candidate c) and its log10 LR. */
typedef struct km_ient_s {
	int r, c;
	double lr;
} km_ient_t;

/* ---- undisputed (one step) ----------------------------------------------------------
 * ent[0..n): the pairs of the current problem (sex-consistent; pairs not listed are rivals
 * of LR 0).  A pair is undisputed when lr >= t and lr >= t + every other lr in its row
 * (same r) and column (same c) (CONTRACT.md, Identification 1).  Writes the indices of
 * the undisputed entries to out (sorted by r, then c) and, per undisputed entry, the
 * largest other lr of its row or column (-inf if none) to rival.  Returns their number, or
 * KM_ENOMEM.  out and rival hold n entries. */
int km_ident_undisputed(const km_ient_t *ent, size_t n, int n_rem, int n_cand, double t, size_t *out,
                        double *rival);

/* ---- components ----------------------------------------------------------------------
 * Remains and families joined by candidate pairs.  comp[r] = component of remain r
 * (0-based, numbered by the smallest remain index, which callers make the byte order of
 * the ids); remains with no pair are components of their own.  Returns the number of
 * components, or KM_ENOMEM. */
int km_ident_components(const km_ient_t *ent, size_t n, int n_rem, int n_fam, const int *cfam, int *comp);

/* ---- joint -------------------------------------------------------------------------- */
/* log10 of the joint family term of a family holding n >= 2 of the component's remains:
 * rem[i] placed on candidate cand[i] (the pairs in candidate order).  Returns 0 or < 0. */
typedef int (*km_ifam_fn)(void *ctx, int fam, int n, const int *rem, const int *cand, double *lr, km_err_t *e);

/* One component's problem: its remains (in the order assignments are written), their
 * options, and the families. */
typedef struct km_icomp_s {
	int n_rem;
	const int *rem;         /* remain ids of the caller, in output order */
	const size_t *opt_start;/* [n_rem + 1]: remain i's options are opt[opt_start[i] .. opt_start[i+1]) */
	const int *opt_cand;    /* candidate (caller's id) of each option */
	const double *opt_lr;   /* its pairwise log10 LR */
	const int *cfam;        /* family of each candidate (caller's ids) */
	const double *gain_ub;  /* [n_rem]: an upper bound of what remain i can add to any family term
	                           when it is not the family's only remain (>= 0; famlik.c) */
	km_ifam_fn fam_lr;
	void *ctx;
	/* optional, for branch and bound: per given option i (rem[i] on cand[i], pairwise
	 * lr[i]), D[i] >= max(0, max over the family's placement sets S of two or more of the
	 * given options that hold option i of 2 (term(S) - sum_S lr) / |S|) (for a family with
	 * two candidates: the best gain of a pair holding i); returns 1 when it cannot say
	 * (then the sets are enumerated, or gain_ub used) */
	int (*fam_delta)(void *ctx, int fam, int n, const int *rem, const int *cand, const double *lr, double *D, km_err_t *e);
	/* optional: n_tctx > 1 contexts for fam_delta, one per thread, so that the families'
	 * D are computed in parallel (each call with its thread's context); NULL/0 = ctx, one
	 * thread */
	void **tctx;
	int n_tctx;
	double max_nodes;       /* the branch and bound's node budget; 0 = KM_IDENT_MAX_NODES */
} km_icomp_t;

/* One assignment: opt index per remain (-1 = '*'). */
typedef struct km_iasg_s {
	double lr;              /* log10 LR against no identification */
	int *pick;              /* [n_rem] */
} km_iasg_t;

typedef struct km_ijoint_s {
	int n_rem;
	int n_top;              /* rows kept (<= keep) */
	km_iasg_t *top;         /* best first: lr descending, then assignment string ascending */
	double log10_sum;       /* log10 of the sum of LR over the assignments counted */
	double log10_rest;      /* log10 of an upper bound of the LR mass not enumerated (-inf: exact) */
	double n_assign;        /* assignments enumerated (exact: all of them) */
	double log10_ub;        /* branch and bound: no assignment's log10 LR is above this (the
	                           root's bound); NaN under enumeration */
	int exact;              /* 1: every assignment enumerated; 0: branch and bound */
	int stopped;            /* 1: the search budget ran out: the rows are the best found, not proven */
	double n_nodes;         /* search nodes visited */
	double t_bounds, t_search;   /* seconds: the weights and the root's dual; the search */
	double *marg;           /* [n_opt + n_rem]: P(remain i = option k) at opt_start[i] + i + k + 1,
	                           P(remain i = *) at opt_start[i] + i (over the mass enumerated) */
} km_ijoint_t;

/* The assignment string of pick (CONTRACT: REMAIN=FAMILY/MISSING or REMAIN=*, joined by ';'),
 * built by the caller's name function into buf; used to break ties. */
typedef void (*km_iname_fn)(void *ctx, int n_rem, const int *rem, const int *pick_cand, char **buf, size_t *m);

/* Search nodes a branch and bound may visit before it stops (km_ijoint_t.stopped). */
#define KM_IDENT_MAX_NODES 2e6

/* Solves one component: every assignment (each remain one of its options or '*', no
 * candidate twice) when there are at most max_assign of them, else an exact best-keep by
 * branch and bound whose posteriors are bounded (km_ijoint_t).  name makes the
 * tie-breaking strings.  Returns 0 or < 0 with e set. */
int km_ident_joint(const km_icomp_t *C, int keep, double max_assign, km_iname_fn name, void *nctx,
                   km_ijoint_t *J, km_err_t *e);
void km_ijoint_destroy(km_ijoint_t *J);

/* Number of assignments of a component, counted up to cap (returns min(count, cap)). */
double km_ident_count(const km_icomp_t *C, double cap);

/* ---- the stage (identrun.c) ------------------------------------------------------------ */
struct km_opt_s;
struct km_index_s;
struct km_tabs_s;
struct km_comp_s;
struct km_lin_s;
struct km_famlik_s;

/* Summary counts of a run. */
typedef struct km_istat_s {
	int n_undisputed, n_joint, n_inconclusive, n_nomatch;
	int n_comp, max_comp_rem, max_comp_fam, n_comp_multi;   /* components; largest; with >= 2 remains */
	int n_bounded;          /* components solved by branch and bound */
	int n_stopped;          /* components whose search budget ran out */
	int n_steps;            /* undisputed steps that found something */
	int n_exch;             /* missing persons whose strong remains are exchangeable (equal LR, one family) */
	int n_conf_rem, n_conf_miss;   /* remains strong (LR >= 1e4) for >= 2 families; missing persons for >= 2 remains, not exchangeable */
	long n_lin_left_out;    /* families where a joint term left a lineage line out (linjoint.c) */
	int n_confirmed;        /* results store (store): remains placed by a confirmed review */
	double t_und, t_bounds, t_search;   /* seconds: the undisputed steps with their rescoring;
	                           the branch and bound's weights (D) and dual; its searches */
	int *concl_cand;        /* explain (issue 13): if the caller sets it, [n_remain]: the candidate of
	                           each remain's conclusion, -1 for `no match` */
} km_istat_t;

/* The inputs the stage needs (owned by cmd_match.c). */
typedef struct km_iin_s {
	const struct km_opt_s *o;
	const km_dviopt_t *dvi;
	const km_panel_t *panel;
	const km_freqs_t *freqs;
	const km_prof_t *rem, *refs;
	const km_peds_t *peds;
	const struct km_index_s *ix;
	const struct km_tabs_s *tabs;
	const struct km_comp_s *comp;
	const double *rd;       /* per remain dropout */
	const double *re;       /* per remain typing-error rate (issue 12 part 1) */
	const int *rsex;        /* per remain sex (0 unknown, KM_MALE, KM_FEMALE), NULL = all unknown */
	int has_lineage;        /* Y or mt data present */
	/* ---- results store (store): the latest confirmed / rejected review per pair
	 * (km_store_reviews, store.h); a confirmed pair is placed before step 1, a rejected one
	 * is no candidate.  NULL / 0: none. */
	const struct km_review_s *rv;
	int n_rv;
	/* ---- end results store */
	const struct km_lin_s *lin;   /* the lineage systems (NULL = none): joint terms (linjoint.c) */
	/* the scan's pairs >= the storage threshold (km_hits_t.sp, sorted by candidate then
	 * remain) when sparse_on; else the stage compiles every candidate again */
	const struct km_sent_s *sp;
	size_t n_sp;
	int sparse_on;
} km_iin_t;

/* Runs the identify stage and writes undisputed.tsv, joint.tsv and identifications.tsv to
 * the three streams.  Returns 0 or < 0 with e set. */
int km_ident_run(const km_iin_t *in, FILE *f_und, FILE *f_joint, FILE *f_id, km_istat_t *st, km_err_t *e);

/* ---- famlik.c: families with remains placed as typed members ------------------------- */
typedef struct km_famlik_s km_famlik_t;
struct km_copt_s;

/* Models as match uses them (mutation, X, dropout rd[r], typing error: the references at
 * o->typing_error, remain r at re[r] (NULL: o->typing_error); theta = 0 only, else
 * KM_EMODEL when a term is asked for). */
int km_famlik_new(km_famlik_t **F, const km_panel_t *p, const km_freqs_t *f, const km_prof_t *refs,
                  const km_peds_t *peds, const km_prof_t *rem, const double *rd, const double *re,
                  const struct km_copt_s *o, km_err_t *e);
void km_famlik_free(km_famlik_t *F);

/* A placement: remain r as person `person` of the family. */
typedef struct km_place_s {
	int person, r;
} km_place_t;

/* log10 [ P(refs, base, add | pedigree) / ( P(refs, base | pedigree) prod_{add} P(remain data) ) ]
 * summed over the autosomal and X loci (lineage systems are not in it: see README).
 * A locus where the references alone contradict the pedigree is left out, as in the
 * pairwise tables.  -inf when the placements are jointly impossible. */
int km_famlik_term(km_famlik_t *F, int fam, const km_place_t *base, int n_base, const km_place_t *add, int n_add,
                   double *lr, km_err_t *e);

/* Pairwise log10 LR of every remain in rs[0..n) for missing person q of family fam, with
 * the base placements as typed members (the conditioned problem): out[i]. */
int km_famlik_scores(km_famlik_t *F, int fam, const km_place_t *base, int n_base, int q, const int *rs, int n,
                     double *out, km_err_t *e);

/* Both of the above for one first placement, in one pass: *t1 = km_famlik_term(base,
 * {first}) and out[] = km_famlik_scores(base + {first}, q, rs), the same numbers up to
 * rounding (V(base + first) at a locus is the sum of the conditioned scores' vector, so the
 * engine runs once where both need it).  l0[] (one per panel marker, NAN on the first call
 * for a family and base) keeps log10 V(base) per marker between calls.  *t1 = -inf (out
 * undefined) when the first placement is impossible given the base. */
int km_famlik_cond(km_famlik_t *F, int fam, const km_place_t *base, int n_base, const km_place_t *first, int q,
                   const int *rs, int n, double *l0, double *t1, double *out, km_err_t *e);

/* Upper bound of what remain r can add to a family term in which it is not alone:
 * sum over its typed loci of -log10 P(remain data at the locus) (a conditional
 * probability is at most 1). */
double km_famlik_gain_ub(const km_famlik_t *F, int r);

/* ---- direct matches among the remains (rpairs.c; issue 11 part 6) -------------------
 * Every unordered pair of remains (r1 before r2 in byte order of the ids) and relationship
 * KM_RP_* (pipe.h) with log10 LR >= log10_t, from the table scan of scan.c over the
 * remains as candidates: r1's tables, r2's columns.  Sorted by r1, r2 (byte order), then
 * relationship.  A pair of remains of known, different sex is not the same person. */
struct km_opt_s;
struct km_rpin_s;
typedef struct km_rpair_s {
	int r1, r2, rel;
	int loci;               /* autosomal STR and SNP loci typed in both */
	double lr;
} km_rpair_t;
typedef struct km_rpstat_s {
	double pairs;           /* ordered (remain, remain) pairs screened per relationship x 3 */
	double t;               /* wall seconds */
	long n_rel[3];          /* rows per relationship */
	long n_computed, n_shared;   /* (remain, relationship, locus) tables computed / from the cache */
} km_rpstat_t;
int km_rpairs_find(km_rpair_t **v, size_t *n, const km_panel_t *p, const km_freqs_t *f,
                   const struct km_rpin_s *rp, double log10_t, const struct km_opt_s *o, km_rpstat_t *st, km_err_t *e);
/* remain-pairs.tsv: header `remain1 remain2 relationship log10_lr loci`, then v */
int km_rpairs_write(FILE *fp, const km_rpair_t *v, size_t n, const km_prof_t *rem, km_err_t *e);
/* "same-person", "parent-child", "full-siblings" */
const char *km_rp_name(int rel);

#endif
