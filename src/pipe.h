/* pipe.h — the match pipeline after loading: index -> compile -> scan -> rank -> write. */
#ifndef KM_PIPE_H
#define KM_PIPE_H

#include <stdint.h>
#include <stdio.h>
#include "kinmatch.h"

/* Candidates compared on fewer loci than this are not ranked (README, "--min-loci"). */
#define KM_DEFAULT_MIN_LOCI 10

/* Options of `kinmatch match` (cmd_match.c fills them, km_opt_check validates). */
typedef struct km_opt_s {
	const char *panel, *freqs, *remains, *references, *pedigrees, *out;
	const char *mtdna, *mt_db, *y_db, *remain_info;
	int mutation;           /* KM_MUT_* */
	double range;           /* stepwise: relative probability of n+1 vs n steps */
	double rate2;           /* stepwise: integer <-> microvariant rate */
	double theta;           /* Balding–Nichols coancestry, 0 = none */
	double min_freq;        /* for alleles absent from the table; < 0 = default */
	long freq_n;            /* --freq-sample-size, 0 = unknown */
	double dropout;         /* global allelic dropout probability */
	double typing_error;    /* models (issue 12 part 1): global typing-error rate E, 0 = none */
	double mt_rate;         /* mtDNA mutation rate per meiosis, compared region */
	int lineage_freq;       /* 0 count, 1 upper95 */
	int min_loci;           /* drop candidates compared on fewer loci */
	int threads;
	int top;                /* rows kept per remain */
	double min_lr;          /* keep rows with log10 LR >= this */
	int all;                /* keep every row */
	int keep_going;         /* ops (issue 15 part 4): a family the engine refuses is left out, not fatal */
	int quiet;
	const char *snp_positions;  /* models (issue 12 part 5): --snp-positions, VCF SNPs by position */
	int explain_top;        /* explain (issue 13): DIR/explain.tsv for each remain's best N rows, 0 = none */
	int bench;              /* also time a plain table-sum kernel over the same tables; print one line */
	int sparse;             /* identification (--dvi): the scan also keeps every pair with log10 LR >= sparse_lr */
	double sparse_lr;
	/* ---- results store (store) */
	const char *store;      /* --store FILE: SQLite results store, NULL = none */
	int incremental;        /* --incremental: reuse the store's last run where nothing changed */
	/* ---- end results store */
	int shard_k, shard_n;   /* --shard K/N (issue 17, shard.h); shard_n 0 = a whole run */
} km_opt_t;

/* Remains indexed for the scan.  Scan loci are the panel markers typed in at least one
 * remain, sorted by system (STR, SNP, X, Y, mt) then panel order, so each system is one
 * contiguous range [sys_start[s], sys_start[s+1]).  At locus l the remains' distinct
 * observations are columns 1..n_col[l]-1; column 0 is "untyped" and scores 0. */
typedef struct km_index_s {
	int n_loc;
	int *marker;            /* panel marker of each scan locus */
	int sys_start[KM_N_SYS + 1];
	int *n_col;             /* columns per locus, column 0 included */
	size_t *col_off;        /* first column of locus l in a candidate's table */
	size_t n_totcol;
	int32_t *col_a, *col_b; /* [col_off[l] + k]: observed alleles of column k (b may be KM_HEMI) */
	int n_remain;
	uint16_t *gidx;         /* [r * n_loc + l]: column of remain r at locus l */
	uint8_t *rsys;          /* per remain: bit s set if any locus of system s is typed */
	/* allelic dropout (d > 0): a remain's apparent homozygote {a} cannot be a plain table
	 * lookup, since its LR depends on the remain's d.  Such loci are listed per remain
	 * (their gidx is 0, so the table sum skips them) and scored from three per-candidate
	 * numbers of the column: LR = (P + wQ) / (1 + wR), w = d / (1 + d) (obs.h). */
	double *rd;             /* per remain: dropout probability d */
	size_t *drop_start;     /* [n_remain + 1]: remain r's entries are drop[drop_start[r] .. drop_start[r+1]) */
	struct km_drop_s { int l; int col; double w; } *drop;
	int *hom_slot;          /* [n_totcol]: slot of a homozygous column in the P,Q,R arrays, -1 = none */
	int *hom_first, *hom_n; /* [n_loc]: locus l's slots are hom_first[l] .. + hom_n[l], in column order */
	int n_hom;              /* homozygous columns that need P,Q,R (obs.h: the mixture terms) */
	double *col_e;          /* [n_totcol]: typing-error rate of the column's remains (issue 12); NULL = all 0 */
	double max_e;           /* the largest rate of any remain */
} km_index_t;

/* The compile step's options (issue 10: compile sees these, never km_opt_t; the command
 * fills them with km_copt_of).  The family likelihoods of the identification (famlik.c)
 * take the same model. */
typedef struct km_copt_s {
	int mutation;           /* KM_MUT_* */
	double range, rate2;    /* stepwise model (km_opt_t) */
	double theta;           /* Balding–Nichols coancestry, 0 = none */
	double typing_error;    /* global typing-error rate E (the index holds per-remain rates) */
	int threads;            /* sizes the shared table cache */
} km_copt_t;

static inline km_copt_t km_copt_of(const km_opt_t *o)
{
	km_copt_t c = { o->mutation, o->range, o->rate2, o->theta, o->typing_error, o->threads };
	return c;
}

typedef struct km_comp_s km_comp_t;     /* models and inputs of the compile step */

typedef struct km_cand_s {
	int fam, person;        /* family index, missing person's index in the family */
} km_cand_t;

/* The candidates: every missing person of every family. */
typedef struct km_tabs_s {
	int n_cand;
	km_cand_t *cand;        /* sorted by family id, then missing person id (byte order) */
	/* remain sex (dvi, --remain-info `sex`): a remain of known sex is not compared with a
	 * missing person of the other sex */
	uint8_t *csex;          /* per candidate: the missing person's sex (km_cands_build) */
	const int *rsex;        /* per remain: 0 unknown, KM_MALE, KM_FEMALE; NULL = all unknown (not owned) */
	/* remain pairs (rpairs.c): per candidate, only remains r > r_after[c] are scored (each
	 * unordered pair once); NULL = every remain (not owned) */
	const int *r_after;
} km_tabs_t;

/* One candidate's compiled tables, in caller-owned buffers. */
typedef struct km_ctab_s {
	double *lr;             /* [n_totcol]: log10 LR for a remain showing column col; -inf =
	                           exclusion; 0 for column 0 (untyped) */
	double *hom;            /* [n_hom * 3]: P, Q, R of each homozygous column (see km_index_t) */
	uint8_t *typed;         /* [n_loc]: some reference of the family is typed at l */
	uint8_t csys;           /* bit s set if a reference is typed in system s */
	int n_inc;              /* loci whose references contradict the pedigree */
	int lin_ref[2], lin_k[2];   /* Y, mt: the lineage reference (person index, -1 none) and its meioses */
} km_ctab_t;

typedef struct km_cwork_s km_cwork_t;   /* per-thread scratch and table cache */

/* One output row. */
typedef struct km_hit_s {
	int remain, cand;
	int loci;
	double lr;              /* combined log10 LR */
	double sys[KM_N_SYS];   /* per system; NAN = NA */
	int lin_ref[2], lin_k[2];   /* Y, mt lineage reference of the candidate (person index, -1 none) */
} km_hit_t;

typedef struct km_hits_s {
	size_t n, m;
	km_hit_t *h;            /* sorted by remain id, then rank */
	int *rank;              /* per row */
	uint8_t *tie;           /* per row (dvi): 1 = the same printed log10 LR as the remain's next or previous candidate */
	int *incon;             /* models (issue 12 part 1): per row, loci incompatible without error and mutation; NULL = no column */
	/* with km_opt_t.sparse: every pair (remain, candidate) with log10 LR >= sparse_lr, the
	 * same value as its row would print, sorted by candidate then remain (the
	 * identification's matrix, without compiling every candidate again); sparse_on = 1 */
	struct km_sent_s { int remain, cand; double lr; } *sp;
	size_t n_sp;
	int sparse_on;
} km_hits_t;
typedef struct km_sent_s km_sent_t;

void km_opt_init(km_opt_t *o);

/* rd: per remain dropout probability (NULL = none); lin: the lineage systems (NULL = none) */
struct km_lin_s;
int km_index_build(km_index_t *ix, const km_panel_t *p, const km_prof_t *rem, const double *rd,
                   const struct km_lin_s *lin, km_err_t *e);
/* The same with per-remain typing-error rates re (NULL = 0; issue 12 part 1): remains of
 * different rates get different columns for the same observation (ix->col_e), so the
 * tables hold each column's LR with its remain error and the scan is unchanged. */
int km_index_build_te(km_index_t *ix, const km_panel_t *p, const km_prof_t *rem, const double *rd, const double *re,
                      const struct km_lin_s *lin, km_err_t *e);

/* --remain-info: fills rd[n_sample] (pre-set by the caller to --dropout) and re[n_sample]
 * (pre-set to --typing-error; NULL = not read) from the `sample dropout typing_error`
 * table; rows for samples that are not remains are counted in *n_other. */
int km_rinfo_load(double *rd, double *re, const km_prof_t *rem, const char *fn, int *n_other, km_err_t *e);
/* --remain-info `sex` column (optional): rsex[n_sample] = 0 unknown (empty, 0, unknown),
 * KM_MALE (1, male) or KM_FEMALE (2, female); *any = 1 if some remain has a known sex.
 * An unknown value is an input error naming file:line:col. */
int km_rinfo_sex(int *rsex, const km_prof_t *rem, const char *fn, int *any, km_err_t *e);
void km_index_destroy(km_index_t *ix);

int km_cands_build(km_tabs_t *t, const km_peds_t *peds, km_err_t *e);
void km_tabs_destroy(km_tabs_t *t);

/* remain pairs (identification, issue 11 part 6; rpairs.c): a compile whose candidates
 * are (remain A, relationship): km_cand_t.fam = A, .person = KM_RP_*; A's table holds, for
 * every column, log10 P(obs_A, column | rel) / (P(obs_A) P(column)) at the autosomal STR
 * and SNP loci (rpcomp.c, km_rp_cand).  theta > 0 is refused (KM_EMODEL). */
enum { KM_RP_SAME = 0, KM_RP_PO = 1, KM_RP_FS = 2, KM_RP_N = 3 };
typedef struct km_rpin_s {
	const km_prof_t *rem;
	const double *rd, *re;  /* per remain dropout and typing-error rate (NULL = 0) */
	const int *rsex;        /* per remain: 0 unknown, KM_MALE, KM_FEMALE (NULL = all unknown) */
} km_rpin_t;
int km_comp_init_rpairs(km_comp_t **C, const km_index_t *ix, const km_panel_t *p, const km_freqs_t *f,
                        const km_rpin_t *rp, const km_copt_t *co, km_err_t *e);

int km_comp_init(km_comp_t **C, const km_index_t *ix, const km_panel_t *p, const km_freqs_t *f,
                 const km_prof_t *refs, const km_peds_t *peds, const struct km_lin_s *lin,
                 const km_copt_t *co, km_err_t *e);
void km_comp_destroy(km_comp_t *C);
km_cwork_t *km_cwork_new(const km_comp_t *C);
struct km_stats_s;
/* Frees w; its table counts are added to st (NULL: dropped). */
void km_cwork_free(km_cwork_t *w, struct km_stats_s *st);
/* Compiles one candidate into out (buffers sized by the index). Thread-safe with
 * one km_cwork_t per thread. */
int km_comp_cand(const km_comp_t *C, km_cwork_t *w, const km_cand_t *cand, km_ctab_t *out, km_err_t *e);

/* explain (issue 13): the (candidate, locus) pairs compiled so far whose references
 * contradict their pedigree (left out, LR 1), sorted by family index, missing person
 * index, locus, without repeats.  *v is the caller's to free. */
typedef struct km_incon_s { int fam, person, l; } km_incon_t;
int km_comp_incon(const km_comp_t *C, km_incon_t **v, size_t *n, km_err_t *e);
/* sharded runs (issue 17): a pair a shard recorded, into C's record (0 or KM_ENOMEM) */
int km_comp_incon_add(km_comp_t *C, int fam, int person, int l);

/* models (issue 12 part 1): per-column incompatibility flags of one candidate without
 * error and mutation (bit 0 plain call, bit 1 apparent homozygote under dropout), and
 * the per-row counts of the `inconsistent` column into hits->incon. */
int km_comp_incompat(const km_comp_t *C, km_cwork_t *w, const km_cand_t *cand, uint8_t *flag, km_err_t *e);
int km_hits_incon(km_hits_t *hits, const km_tabs_t *t, const km_index_t *ix, const km_comp_t *C, int threads, km_err_t *e);

/* Every timing and count of a run's compile, scan and rank, in one place: each thread
 * keeps its own and they are added after the loop (km_stats_add), for the summary and
 * `bench/`. */
typedef struct km_stats_s {
	double t_compile, t_scan;   /* thread-seconds summed over threads */
	double t_rank;              /* wall seconds of the final merge */
	double t_kernel;            /* --bench: thread-seconds of the plain kernel over the same tiles */
	double kernel_sink;         /* its sums, so the compiler keeps it */
	double pairs;               /* remain x candidate pairs screened */
	double exact;               /* pairs rescored exactly */
	long n_computed, n_shared;  /* (candidate, locus) tables computed / taken from the cache */
	long n_inconsistent;        /* (candidate, locus) pairs whose references contradict the pedigree */
	/* ops (issue 15 part 4): candidates whose tables the engine refused (KM_EMODEL: a table
	 * too large, theta beyond its limits), in candidate order, each with the engine's
	 * message; every one with keep_going (the scan then returns KM_EMODEL after all
	 * tiles), else the first.  Only the caller's km_stats_t; freed by km_scanstat_free(). */
	int n_refused;
	int *refused;               /* candidate index */
	char **refused_msg;
} km_stats_t;
void km_stats_add(km_stats_t *to, const km_stats_t *x);
void km_scanstat_free(km_stats_t *st);

/* Candidates per tile of the scan: the lanes of its float screen (64 bytes a column). */
#define KM_TILE 16

/* One tile of the scan as a bench hook sees it (km_sopt_t.tile_hook): nt candidates'
 * float screen S[(soff[l] + k) * KM_TILE + j] (unused lanes -inf) and every remain's
 * screen column sidx[r * n_loc + l].  Read-only; valid during the call. */
typedef struct km_tile_s {
	const float *S;
	const size_t *soff;
	const uint16_t *sidx;
	int n_loc, n_remain, nt;
} km_tile_t;
/* Called by the scan's thread after a tile's screen is filled; st is that thread's
 * counters (t_kernel, kernel_sink).  Must be thread-safe. */
typedef void km_tile_hook_f(void *arg, const km_tile_t *tile, km_stats_t *st);

/* The scan's options (issue 10: the scan sees these, never km_opt_t; km_sopt_of), also
 * those of a merge's ranking of shard rows (shard.c). */
typedef struct km_sopt_s {
	int threads;
	int top;                /* rows kept per remain */
	double min_lr;          /* keep rows with log10 LR >= this */
	int all;                /* keep every row */
	int min_loci;           /* rank no candidate compared on fewer loci */
	int keep_going;         /* a candidate the engine refuses is noted, not fatal (km_stats_t.refused) */
	int sparse;             /* also keep every pair with log10 LR >= sparse_lr (km_hits_t.sp) */
	double sparse_lr;
	km_tile_hook_f *tile_hook;   /* NULL, or --bench's reference kernel (scanbench.c) */
	void *hook_arg;
} km_sopt_t;

static inline km_sopt_t km_sopt_of(const km_opt_t *o)
{
	km_sopt_t s = { o->threads, o->top, o->min_lr, o->all, o->min_loci, o->keep_going, o->sparse, o->sparse_lr, NULL, NULL };
	return s;
}

/* --bench (scanbench.c, a bench-only path outside the scan loop): the plain table sum of
 * every remain over the tile's screen, all loci in order, no blocking, screening or
 * ranking; its thread-seconds go to st->t_kernel.  arg is unused. */
void km_bench_tile(void *arg, const km_tile_t *tile, km_stats_t *st);

/* Compiles the candidates tile by tile and scans every remain through each tile; keeps
 * rows as so->top / so->min_lr / so->all say, ranked per remain in the total order
 * (log10 LR desc, family, missing).  Memory does not grow as remains x candidates
 * (except with --all, which keeps every row). */
int km_scan(km_hits_t *hits, const km_tabs_t *t, const km_index_t *ix, const km_comp_t *C,
            const km_prof_t *rem, const km_sopt_t *so, km_stats_t *st, km_err_t *e);
void km_hits_destroy(km_hits_t *h);
/* log10 of the product of the dropout LRs of drop entries [q0, q1) of ix for a candidate's
 * P, Q, R table hom (scan.c): the reported value's dropout part, one definition */
double km_drop_log10(const km_index_t *ix, const double *hom, size_t q0, size_t q1);

/* "%.6f", "-inf" or "NA" (never "-0.000000") */
void km_fmt_lr(char *buf, size_t n, double x);
/* 1 if a and b print the same in matches.tsv (the `tie` column; equal doubles included) */
int km_lr_same_printed(double a, double b);

/* Writes matches.tsv (header and rows) to fp, a sink of the output layer (out.h); ylin
 * (may be NULL) adds the y_left_out column where a Y locus lacks database columns. */
int km_out_matches(FILE *fp, const km_hits_t *hits, const km_tabs_t *t, const km_peds_t *peds,
                   const km_prof_t *rem, const struct km_lin_s *ylin, km_err_t *e);

#endif
