/* compile_int.h — what the compile stage's files share (compile.c: the families'
 * tables; rpcomp.c: the remain pairs' tables): the per-marker models, the per-thread
 * scratch and the compile context.  Not for other stages (pipe.h is their interface). */
#ifndef KM_COMPILE_INT_H
#define KM_COMPILE_INT_H

#include "kmpriv.h"
#include "lik.h"
#include "pipe.h"
#include "tcache.h"
#include "lineage.h"

/* ---- per-marker models ---- */
typedef struct {
	double *Mf, *Mm;        /* n x n, NULL = no mutation */
	double *Km, *Kf;        /* sibling kernels of Mm, Mf (autosomal loci; peel.c) */
	double *K0;             /* the sibling kernel without mutation (km_comp_incompat), = Km when the
	                           locus has no mutation model; NULL without typing error */
	double *lpg;            /* [2k + male]: log10 P(column k) as a woman's/man's genotype */
} mmat_t;

struct incl_s;
struct km_cwork_s {
	int *father, *mother, *sex;
	int32_t *gt;
	double *phi;            /* n*n of the largest locus */
	double *ephi;           /* 3 n*n + 1: scratch of the remain pairs (rpcomp.c) */
	struct km_obsp_s *eobs; /* [max_np]: the references' typing error (query_err; obs.h) */
	/* lumped locus (theta) */
	double *lp, *lMf, *lMm;
	int *wmap;
	int *keep, *cidx;       /* pruning; canonical index of each kept person */
	int32_t *key;           /* cache key */
	double *vbuf;           /* a table row and its homozygote numbers */
	double *lbuf;           /* 2 x columns: likelihoods and their log10 */
	/* per locus of the candidate at hand: genotypes, typed, cache key, its length and hash */
	int32_t *lgt, *lkey;
	uint8_t *ltyped, *lcache;
	int *lkn;
	uint64_t *lkh;
	size_t kstride;
	km_lws_t *lws;          /* the likelihood engine's scratch */
	km_theta_t *th;         /* theta.c's scratch and pattern cache */
	double *phi2;           /* n*n: H2 under theta */
	km_tshard_t *cache;         /* the shared table cache (km_comp_t's) */
	long hits, misses;
};
typedef km_cwork_t work_t;

struct km_comp_s {
	const km_index_t *ix;
	const km_panel_t *p;
	const km_freqs_t *f;
	const km_prof_t *refs;
	const km_peds_t *peds;
	km_copt_t co;           /* the model options (a copy: the caller's need not outlive C) */
	const km_lin_t *lin;
	mmat_t *mm;
	int max_np, max_n, max_col;
	km_tshard_t *cache;         /* the table cache, shared by the threads */
	km_tshard_t *icache;        /* km_comp_incompat's flags by the same keys (typing error only) */
	struct incl_s *incl;    /* explain (issue 13): the (candidate, locus) pairs left out as inconsistent */
	const km_rpin_t *rp;    /* remain pairs (km_comp_init_rpairs): candidates are (remain, relationship) */
};


/* A table row from phi (compile.c; the families' and the remain pairs' tables). */
int km_comp_phi_cols(const km_comp_t *C, int l, int male_q, double lg, double den, double *T, double *hom, work_t *w);
/* The remain pairs' compile of one candidate (rpcomp.c). */
int km_rp_cand(const km_comp_t *C, const km_cand_t *cand, km_ctab_t *out, work_t *w, km_err_t *e);

#endif
