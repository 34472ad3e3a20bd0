/* lik.h — exact pedigree likelihoods at one locus (variable elimination). */
#ifndef KM_LIK_H
#define KM_LIK_H

#include "kinmatch.h"

enum { KM_MUT_NONE = 0, KM_MUT_EQUAL = 1, KM_MUT_PROPORTIONAL = 2, KM_MUT_STEPWISE = 3 };

/* mut.c */
int km_mut_matrix(int model, const km_alleles_t *al, const char *marker, double r, double range,
                  double r2, double *M, km_err_t *e);
int km_mut_stepwise_values(const km_alleles_t *al, const char *marker, double *x, int *g, km_err_t *e);
const char *km_mut_name(int model);
int km_mut_parse(const char *s);

/* One locus as the engine sees it: n alleles with frequencies p and maternal / paternal
 * transmission matrices (row-major n x n; NULL = no mutation). */
typedef struct km_locus_s {
	int n;
	const double *p;
	const double *Mf, *Mm;
	int xlinked;       /* 1: X chromosome (males hemizygous) */
	const double *Km, *Kf;   /* optional: km_peel_sib_kernel of Mm and Mf (NULL: computed when needed) */
} km_locus_t;

/* One pedigree at one locus.  gt[2*i], gt[2*i+1]: person i's observed alleles (indices
 * into the locus), KM_NOALLELE if untyped; a male at an X locus uses gt[2*i] only.
 * What a call says about the genotype is the observation model's (obs.h): obs[i] are
 * person i's parameters (dropout d, ...), obs NULL = every call exact. */
struct km_obsp_s;
typedef struct km_lped_s {
	int n;
	const int *father, *mother;   /* -1 = founder */
	const int *sex;               /* KM_MALE / KM_FEMALE */
	const int32_t *gt;
	const struct km_obsp_s *obs;  /* [n] or NULL (obs.h) */
} km_lped_t;

/* keep[i] = 0 for persons that cannot matter: untyped, not q, no kept descendants
 * (exact for any model: their sums are 1). */
void km_lik_prune(const km_lped_t *P, int q, int *keep);

/* Likelihood of the pedigree data jointly with the genotype of the untyped person q:
 * on return phi[a*n + b] * 10^(*lg) = P(data, paternal allele of q = a, maternal = b)
 * (q autosomal or a female at X), or phi[a] * 10^(*lg) = P(data, X allele of q = a) for a
 * male at X.  q = -1: phi[0] * 10^(*lg) = P(data).  phi holds n*n doubles.
 * Exact for any pedigree, loops and inbreeding included.  Returns 0, or KM_EMODEL when the
 * pedigree is too large to peel exactly. */
int km_lik_query(const km_locus_t *L, const km_lped_t *P, int q, double *phi, double *lg, km_err_t *e);

/* The same with a caller's workspace (one per thread; reused across calls).  The type is
 * defined in peel.c, whose bump allocator it is; lik.c borrows its keep buffer. */
typedef struct km_lws_s km_lws_t;
km_lws_t *km_lws_new(void);
void km_lws_free(km_lws_t *ws);
int *km_lws_keep(km_lws_t *ws, int n);   /* a buffer of n + 1 ints owned by ws (NULL: memory) */
int km_lik_query_ws(const km_locus_t *L, const km_lped_t *P, int q, double *phi, double *lg, km_lws_t *ws,
                    km_err_t *e);

/* acc[0..n) * 10^(*lacc) += v[0..n) * 10^lv, kept on the larger term's scale so that
 * sums of likelihoods of very different size neither underflow nor overflow; start with
 * acc = 0 and *lacc = -inf (the sums over subsets of persons in error, lik.c, famlik.c). */
void km_lacc_add(double *acc, double *lacc, const double *v, double lv, size_t n);

/* peel.c: the loop-free case by peeling; returns 1 (nothing done) where it does not
 * apply, so the caller eliminates instead.  keep[] from km_lik_prune. */
int km_peel_query(const km_locus_t *L, const km_lped_t *P, const int *keep, int q, double *phi, double *lg,
                  km_lws_t *ws, km_err_t *e);

/* K = (S_p M^T diag(p) M + pi pi^T) / 2, pi = M^T p: the joint law of the alleles two
 * children receive from one founder (M NULL = identity).  K holds n^2 + n doubles. */
void km_peel_sib_kernel(const double *p, const double *M, int n, double *K);

/* For the tests that compare the two engines: 0 (default) peel where it applies, else
 * eliminate; 1 eliminate only; 2 peel only (KM_EMODEL where it does not apply). */
extern int km_lik_engine;

/* log10 P(data) with founder alleles drawn by the Balding–Nichols urn with
 * coancestry theta (MODELS.md §4; Balding & Nichols 1994; NRC II eq. 4.10), extra
 * founder alleles extra[0..n_extra) appended to the urn in that order.  -inf if 0. */
int km_lik_theta(const km_locus_t *L, const km_lped_t *P, double theta, const int *extra, int n_extra,
                 double *log10_l, km_err_t *e);

/* theta.c: the exact θ engine (Balding–Nichols urn over the founder alleles, every
 * mutation model, X-linked loci).  One workspace per thread; it caches the inheritance
 * patterns of the last pedigrees it saw.
 *   extra = 0 (H1): phi[a*n + b] = P(data, q's paternal allele a, maternal b), q's own
 *                   typing ignored; a man at X: phi[a] = P(data, q's allele a).
 *   extra = 1 (H2): q untyped, and one more founder drawn from the same urn with ordered
 *                   alleles (a, b): phi[a*n + b]; if q is a man at X, that founder is a
 *                   man: phi[a].
 * phi holds n*n doubles.  Returns 0, KM_ENOMEM, or KM_EMODEL when the pedigree is beyond
 * the engine's limits (e->msg says which). */
typedef struct km_theta_s km_theta_t;
km_theta_t *km_theta_new(void);
void km_theta_free(km_theta_t *t);
extern int km_theta_nofast;   /* tests: 1 = always the general query path */
int km_theta_query(km_theta_t *t, const km_locus_t *L, const km_lped_t *P, int q, int extra, double theta,
                   double *phi, km_err_t *e);

#endif
