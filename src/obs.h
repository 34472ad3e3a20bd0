/* obs.h — the observation model: what a typed person's call at one locus says about
 * the person's genotype.  The one place where dropout (and, next, typing error) enters.
 *
 * Who asks:
 *   - the peeler (peel.c evidence()) and the elimination engine (lik.c ve_build), for
 *     every typed person of a pedigree: the weights P(call | ordered genotype) below;
 *   - the theta path (lik.c km_lik_theta): the same weights, through ve_build, and
 *     km_obs_t's entries as the values a typed founder's alleles can take;
 *   - compile (the missing person M's table for the scan) and the scan (the remains):
 *     a remain showing an apparent homozygote under dropout, the mixture terms below.
 *
 * The model (DESIGN.md §3; Buckleton, Bright & Taylor 2016, ch. 8; per-allele dropout
 * with probability d, independently for each allele copy):
 *     P({a,b} | ab) = (1-d)^2        P({a} | ab) = d(1-d)       P({a} | aa) = 1-d^2
 *     P({}    | g ) = d^2 (an empty call is "untyped": uninformative, never asked here)
 * so a call {a,b} (a != b) says "genotype ab" up to the constant (1-d)^2, and an apparent
 * homozygote {a} has weight 1-d^2 at aa and d(1-d) at every ax, x != a.  A man's call
 * at an X locus (hemizygous, one allele) has no dropout model: P({a} | a) = 1.
 * With d = 0 every weight is the indicator of the call, exactly 1.0 or 0.0, so the
 * engines' numbers do not change (their products with 1.0 are exact).
 *
 * Weights are over ORDERED genotypes (paternal, maternal), as the engines' variables are:
 * w(x, y) = P(call | {x, y}).  A call's weights are either sparse (at most KM_OBS_MAXE
 * nonzero entries, listed) or dense (km_obs_at for any (x, y)).
 *
 * Typing error (issue 12 part 1): P(o | g) = (1-E) w(o | g) + E c, with w the weights
 * above and c = sum_g q(g) w(o | g) the call's population probability on the same
 * scale (q(o) for an exact call: p_a^2, 2 p_a p_b, p_a hemizygous), is km_obsp_t's te
 * = E and tc = c (the caller knows the frequencies).  Its weights are dense (every
 * genotype can show any call); km_obs_at gives them, and every engine takes dense
 * weights.  The peeler (peel.c) uses the form "sparse + constant" of an exact call's
 * error for a typed leaf: a child with no children of its own adds (1-E) times its
 * exact message plus E c to its parents' family, so a reference's error costs one more
 * choice there instead of a dense person.  Person parameters that differ between
 * persons of one family must also be part of compile's table-cache key (compile.c,
 * "cache key"); compile gives every reference the same E.
 */
#ifndef KM_OBS_H
#define KM_OBS_H

#include <stdint.h>
#include "kinmatch.h"

#define KM_OBS_MAXE 4

/* One typed person's observation parameters at a locus (zeroed = exact calls). */
typedef struct km_obsp_s {
	double d;               /* allelic dropout probability per allele copy, in [0, 1); 0 = none */
	int basis;              /* 1: an apparent homozygote {a} weighs 0 at aa and 1 at ax, xa
	                           (x != a) — the dropout part of its weights without the factor
	                           d(1-d), so that P(call, .) = (1-d^2) U + d(1-d) V is two engine
	                           runs for every d (compile.c, rp_cand); 0: the model */
	double te, tc;          /* typing error: rate E (0 = none) and c, the call's population
	                           probability on the weights' scale (above) */
} km_obsp_t;

/* The weights of one call. */
typedef struct km_obs_s {
	int nd;                 /* 2: over ordered genotypes (x, y); 1: over a man's one X allele x */
	int ne;                 /* > 0: w is 0 except at entries (ea[k], eb[k]) with weight ew[k];
	                           0: dense, ask km_obs_at */
	int ea[KM_OBS_MAXE], eb[KM_OBS_MAXE];   /* nd 1: ea only */
	double ew[KM_OBS_MAXE];
	int32_t a, b;           /* the call: a <= b allele indices, or b = a for {a} (nd 1: a) */
	double hom, het;        /* dense {a}: w(a, a) = hom, w(a, x) = w(x, a) = het for x != a */
	double te, tc;          /* typing error (ne = 0): w = (1 - te) w_exact + te tc, w_exact
	                           the sp entries below if sp > 0, else hom / het */
	int sp;
} km_obs_t;

/* q(o), the Hardy–Weinberg probability of a call from the frequencies p, which typing
 * error draws a miscall from (issue 12 part 1): p_a^2 for {a, a}, 2 p_a p_b for {a, b},
 * p_a for a hemizygous call (b < 0: KM_HEMI). */
static inline double km_obs_hwq(const double *p, int32_t a, int32_t b)
{
	return b < 0 ? p[a] : a == b ? p[a] * p[a] : 2.0 * p[a] * p[b];
}

/* Fills *o with the weights of call (a, b) (KM_NOALLELE: untyped, returns 0 and leaves
 * *o unset; otherwise returns 1).  b is KM_HEMI or < 0 for a one-allele call; hemi = 1
 * for a man at an X locus.  par may be NULL (exact calls). */
int km_obs_call(km_obs_t *o, const km_obsp_t *par, int32_t a, int32_t b, int hemi);

/* w(x, y) of a call (nd 1: y ignored). */
double km_obs_at(const km_obs_t *o, int x, int y);

/* ---- a remain's apparent homozygote in the scan ---------------------------------------
 * For the missing person M and a remain showing {a} with dropout d, dividing the LR's
 * numerator and denominator by (1-d^2) P(refs) p_a^2 gives
 *     LR({a}) = (P + w Q) / (1 + w R),   w = d(1-d) / (1-d^2) = d / (1+d),
 *     P = L1(aa) / (P(refs) p_a^2),      Q = sum_{x != a} L1(ax) / (P(refs) p_a^2),
 *     R = sum_{x != a} P(ax) / p_a^2 = 2 p_a (S - p_a) / p_a^2,
 * with L1(g) = P(refs, G_M = g) and S the sum of the locus's frequencies.  compile.c
 * computes P, Q, R per candidate and column (km_obs_hom_pqr), the scan adds log10 of the
 * mixture per remain (km_obs_mix), the index gives each remain its w (km_obs_drop_w). */
static inline double km_obs_drop_w(double d)
{
	return d / (1.0 + d);   /* d(1-d) / (1-d^2) */
}

static inline double km_obs_mix3(double P, double Q, double R, double w)
{
	return (P + w * Q) / (1.0 + w * R);
}

static inline double km_obs_mix(const double *H, double w)   /* H = P, Q, R */
{
	return km_obs_mix3(H[0], H[1], H[2], w);
}

/* P, Q, R of column {a} from phi[x * n + y] = P(refs, G_M = (x, y)) (scaled as the
 * caller's pref, the sum of phi), p and S = sum of p: H[0..2].  For a man at X (male)
 * only P is defined: L1(a) / (P(refs) p_a), Q = R = 0. */
static inline void km_obs_hom_pqr(const double *phi, int n, const double *p, double S, double pref,
                                  int32_t a, double l1, int male, double *H)
{
	if (male) { H[0] = l1 / pref / p[a]; H[1] = H[2] = 0.0; return; }
	double rs = -2.0 * phi[(size_t)a * n + a];
	for (int x = 0; x < n; ++x) rs += phi[(size_t)a * n + x] + phi[(size_t)x * n + a];
	double a2 = p[a] * p[a];
	H[0] = l1 / pref / a2;
	H[1] = (rs > 0.0 ? rs : 0.0) / pref / a2;
	H[2] = 2.0 * p[a] * (S - p[a]) / a2;
}

#endif
