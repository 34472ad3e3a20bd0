/* obs.c — the observation model of a typed person's call at one locus (obs.h).
 *
 * Per-allele dropout with probability d (DESIGN.md §3; Buckleton, Bright & Taylor,
 * Forensic DNA Evidence Interpretation, 2nd ed. 2016, ch. 8):
 *     P({a,b} | ab) = (1-d)^2,  P({a} | aa) = 1-d^2,  P({a} | ax) = d(1-d) (x != a).
 * The weights are over ordered genotypes (paternal, maternal).  With d = 0 they are the
 * indicator of the call, in the same entries and order the engines used before this
 * file existed (so no number changes): {a} -> (a, a); {a,b} -> (a, b), (b, a).
 */
#include "obs.h"

/* typing error (obs.h): the exact weights kept as sp entries (or hom / het), made dense */
static int with_error(km_obs_t *o, const km_obsp_t *par)
{
	o->te = o->tc = 0.0, o->sp = 0;
	if (par && par->te > 0.0) o->te = par->te, o->tc = par->tc, o->sp = o->ne, o->ne = 0;
	return 1;
}

int km_obs_call(km_obs_t *o, const km_obsp_t *par, int32_t a, int32_t b, int hemi)
{
	double d = par ? par->d : 0.0;
	if (a == KM_NOALLELE) return 0;
	o->a = a, o->b = b >= 0 ? b : a;
	o->hom = o->het = 0.0;
	if (hemi) {                                  /* a man at X: no dropout model */
		o->nd = 1, o->ne = 1;
		o->ea[0] = o->eb[0] = a, o->ew[0] = 1.0;
		return with_error(o, par);
	}
	o->nd = 2;
	if (b < 0 || a == b) {                       /* {a}: a homozygote, or a dropout */
		if (par && par->basis) {                 /* the basis V of obs.h */
			o->ne = 0, o->hom = 0.0, o->het = 1.0;
		} else if (d == 0.0) {
			o->ne = 1, o->ea[0] = o->eb[0] = a, o->ew[0] = 1.0;
		} else {
			o->ne = 0, o->hom = 1.0 - d * d, o->het = d * (1.0 - d);
		}
		return with_error(o, par);
	}
	o->ne = 2;                                   /* {a,b} */
	o->ea[0] = o->eb[1] = a, o->eb[0] = o->ea[1] = b;
	o->ew[0] = o->ew[1] = (1.0 - d) * (1.0 - d);
	return with_error(o, par);
}

static double exact_at(const km_obs_t *o, int ne, int x, int y)
{
	if (ne > 0) {
		double s = 0.0;
		for (int k = 0; k < ne; ++k)
			if (o->ea[k] == x && (o->nd == 1 || o->eb[k] == y)) s += o->ew[k];
		return s;
	}
	if (o->nd == 1) return x == o->a ? 1.0 : 0.0;
	if (x == o->a && y == o->a) return o->hom;
	return x == o->a || y == o->a ? o->het : 0.0;
}

double km_obs_at(const km_obs_t *o, int x, int y)
{
	if (o->te > 0.0) return (1.0 - o->te) * exact_at(o, o->sp, x, y) + o->te * o->tc;
	return exact_at(o, o->ne, x, y);
}
