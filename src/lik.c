/* lik.c — exact likelihood of a pedigree at one locus, by variable elimination.
 *
 * Model (Elston & Stewart 1971; Lange & Elston 1975; MODELS.md §2): the probability of
 * the data is the sum over all unobserved genotypes of
 *     prod_founders P(g_founder) * prod_non-founders T(g_child | g_father, g_mother).
 * Each person contributes two allele variables, the paternal and the maternal allele
 * (a male at an X locus only the maternal one), so every factor has at most three
 * variables:
 *   founder prior          p[a]                                       (HW, one per allele)
 *   autosomal transmission (M^s[g1, c] + M^s[g2, c]) / 2, s = sex of the parent
 *   X, father -> daughter  M^m[h, c] (his only X);  father -> son: no factor
 *   typed person           indicator of {pat, mat} = observed unordered genotype
 * The sum is done by variable elimination, which is exact for any pedigree, marriage
 * loops and inbreeding included (the loop breakers of Lange–Elston peeling are implicit
 * in the elimination order).  Two kinds of step, whichever makes the smaller table:
 *   - one variable summed out of the product of its factors (greedy smallest table);
 *   - a person's two alleles summed out together when they meet only in the
 *     transmissions to the person's children (an untyped founder, or an untyped person
 *     who is not inbred).  With F_x, F_y the products of the other factors of each allele,
 *         sum_{x,y} F_x F_y prod_k (M[x,c_k] + M[y,c_k])/2
 *           = 2^-K sum_{S subset of children} [sum_x F_x prod_{k in S} M[x,c_k]]
 *                                             [sum_y F_y prod_{k not in S} M[y,c_k]]
 *     (which parental allele each child received; the segregation indicators of
 *     Lander & Green 1987 summed in closed form), so no table ever holds both alleles
 *     and all the children at once.  This is what makes siblings, nephews and cousins
 *     cost n^2..n^3 instead of n^4..n^5 for n alleles.
 * A typed person's variables range only over the observed alleles, so tables stay
 * small.  Every new table is divided by its largest entry and the log10 of that is
 * carried in a scale, so a long pedigree cannot underflow.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kmpriv.h"
#include "lik.h"
#include "obs.h"

#define VE_MAXU 40                    /* variables in one intermediate table */
#define VE_MAXCELLS ((size_t)1 << 27)  /* 1 GiB of doubles: beyond, refuse */
#define VE_MAXKIDS 8                  /* children handled by one pair step */
#ifndef KM_PAIR_BIAS
#define KM_PAIR_BIAS 4.0              /* a pair step may cost this much more than a single one */
#endif

typedef struct {
	int nv;
	int v[VE_MAXU], d[VE_MAXU];   /* variables and their domain sizes, any order */
	size_t n;
	double *x;                    /* row-major over v[] */
	int alive;
	int trans;                    /* 1: still the pure transmission (M[v0,v2] + M[v1,v2]) / 2 */
	const double *M;              /* its matrix (NULL = identity) */
} fac_t;

typedef struct {
	const km_locus_t *L;
	int nvar;                     /* 2 per person: 2i paternal, 2i+1 maternal */
	int *dn;                      /* domain size per variable (0 = variable unused) */
	int **dom;                    /* domain values (allele indices) */
	int *dombuf;                  /* KM_OBS_MAXE slots per variable for restricted domains */
	int *all;                     /* 0..n-1 */
	int nfac, mfac;
	fac_t *fac;
	double lg;                    /* log10 scale of the product of live factors */
	int zero;                     /* the likelihood is exactly 0 */
} ve_t;

static void ve_free(ve_t *ve)
{
	for (int i = 0; i < ve->nfac; ++i) free(ve->fac[i].x);
	free(ve->fac); free(ve->dn); free(ve->dom); free(ve->dombuf); free(ve->all);
	memset(ve, 0, sizeof(*ve));
}

static int ve_grow(ve_t *ve, km_err_t *e)
{
	if (ve->nfac < ve->mfac) return 0;
	int m = ve->mfac ? ve->mfac * 2 : 64;
	fac_t *t = realloc(ve->fac, sizeof(fac_t) * m);
	if (!t) return km_err_set(e, KM_ENOMEM, "out of memory");
	ve->fac = t, ve->mfac = m;
	return 0;
}

static fac_t *ve_newfac(ve_t *ve, int nv, const int *v, km_err_t *e)
{
	if (ve_grow(ve, e) < 0) return NULL;
	fac_t *f = &ve->fac[ve->nfac];
	memset(f, 0, sizeof(*f));
	f->nv = nv, f->n = 1, f->alive = 1;
	for (int k = 0; k < nv; ++k) f->v[k] = v[k], f->d[k] = ve->dn[v[k]], f->n *= (size_t)f->d[k];
	if (!(f->x = calloc(f->n, sizeof(double)))) { km_err_set(e, KM_ENOMEM, "out of memory"); return NULL; }
	++ve->nfac;
	return f;
}

/* transmission probability of allele g as allele c through matrix M (NULL = identity) */
static inline double trans1(const km_locus_t *L, const double *M, int g, int c)
{
	return M ? M[(size_t)g * L->n + c] : (double)(g == c);
}

/* A transmission factor (M[g1,c] + M[g2,c]) / 2 over vv = {g1, g2, c}.  Its table is
 * filled only when a single-variable step needs it (fac_fill); a pair step reads M. */
static fac_t *ve_transfac(ve_t *ve, const int *vv, const double *M, km_err_t *e)
{
	if (ve_grow(ve, e) < 0) return NULL;
	fac_t *f = &ve->fac[ve->nfac++];
	memset(f, 0, sizeof(*f));
	f->nv = 3, f->n = 1, f->alive = 1, f->trans = 1, f->M = M;
	for (int k = 0; k < 3; ++k) f->v[k] = vv[k], f->d[k] = ve->dn[vv[k]], f->n *= (size_t)f->d[k];
	return f;
}

static int fac_fill(ve_t *ve, fac_t *f, km_err_t *e)
{
	if (f->x) return 0;
	if (!(f->x = malloc(sizeof(double) * f->n))) return km_err_set(e, KM_ENOMEM, "out of memory");
	const int *d0 = ve->dom[f->v[0]], *d1 = ve->dom[f->v[1]], *d2 = ve->dom[f->v[2]];
	for (int x = 0; x < f->d[0]; ++x)
		for (int y = 0; y < f->d[1]; ++y)
			for (int c = 0; c < f->d[2]; ++c)
				f->x[((size_t)x * f->d[1] + y) * f->d[2] + c] =
					0.5 * (trans1(ve->L, f->M, d0[x], d2[c]) + trans1(ve->L, f->M, d1[y], d2[c]));
	return 0;
}

/* o = sum over z of the product of fs[0..nf) (z = -1: nothing summed), over the sorted
 * union of their variables minus z.  o->x is allocated here; nothing else changes. */
static int fac_prodsum(const fac_t *const *fs, int nf, int z, fac_t *o, km_err_t *e)
{
	int nu = 0, u[VE_MAXU], du[VE_MAXU];
	memset(o, 0, sizeof(*o));
	for (int i = 0; i < nf; ++i) {
		const fac_t *f = fs[i];
		for (int k = 0; k < f->nv; ++k) {
			int j;
			for (j = 0; j < nu && u[j] != f->v[k]; ++j) {}
			if (j == nu) {
				if (nu == VE_MAXU) return km_err_set(e, KM_EMODEL, "pedigree too complex for exact peeling (more than %d linked allele variables)", VE_MAXU);
				u[nu] = f->v[k], du[nu++] = f->d[k];
			}
		}
	}
	/* sort the union so the result does not depend on factor order */
	for (int i = 1; i < nu; ++i)
		for (int j = i; j > 0 && u[j - 1] > u[j]; --j) {
			int t = u[j]; u[j] = u[j - 1]; u[j - 1] = t;
			t = du[j]; du[j] = du[j - 1]; du[j - 1] = t;
		}
	size_t N = 1;
	for (int k = 0; k < nu; ++k) {
		N *= (size_t)du[k];
		if (N > VE_MAXCELLS) return km_err_set(e, KM_EMODEL, "pedigree too complex for exact peeling (a table of more than %zu cells)", VE_MAXCELLS);
	}
	o->alive = 1, o->n = 1;
	for (int k = 0; k < nu; ++k) if (u[k] != z) o->v[o->nv] = u[k], o->d[o->nv++] = du[k], o->n *= (size_t)du[k];
	/* strides: sf[i*nu + k] is factor i's stride for union variable k, so[k] the output's;
	 * on the stack for the usual small steps (this runs millions of times) */
	enum { SMALL_NF = 24 };
	size_t sf_s[(SMALL_NF + 1) * VE_MAXU + 1], off_s[SMALL_NF + 1];
	int dig_s[VE_MAXU + 1];
	const double *fx_s[SMALL_NF + 1];
	int small = nf <= SMALL_NF;
	size_t *sf = small ? sf_s : calloc((size_t)(nf + 1) * nu + 1, sizeof(size_t)), *so, *off;
	int *dig = small ? dig_s : calloc((size_t)nu + 1, sizeof(int));
	const double **fx = small ? fx_s : malloc(sizeof(double *) * (nf + 1));
	off = small ? off_s : calloc((size_t)nf + 1, sizeof(size_t));
	o->x = calloc(o->n, sizeof(double));
	if (!sf || !dig || !fx || !off || !o->x) {
		if (!small) { free(sf); free(dig); free(fx); free(off); }
		free(o->x); o->x = NULL;
		return km_err_set(e, KM_ENOMEM, "out of memory");
	}
	if (small) {
		memset(sf, 0, sizeof(size_t) * ((size_t)(nf + 1) * nu + 1));
		memset(dig, 0, sizeof(int) * ((size_t)nu + 1));
		memset(off, 0, sizeof(size_t) * ((size_t)nf + 1));
	}
	so = sf + (size_t)nf * nu;
	for (int i = 0; i < nf; ++i) {
		const fac_t *f = fs[i];
		size_t s = 1;
		for (int k = f->nv - 1; k >= 0; --k) {
			for (int j = 0; j < nu; ++j) if (u[j] == f->v[k]) sf[(size_t)i * nu + j] = s;
			s *= (size_t)f->d[k];
		}
		fx[i] = f->x;
	}
	{
		size_t s = 1;
		for (int k = nu - 1; k >= 0; --k) if (u[k] != z) so[k] = s, s *= (size_t)du[k];
	}
	/* odometer over the union; the innermost variable runs as a plain strided loop */
	size_t oo = 0;
	double *ox = o->x;
	int last = nu - 1;
	if (nu == 0) {
		double prod = 1.0;
		for (int i = 0; i < nf; ++i) prod *= fx[i][0];
		ox[0] = prod;
	} else {
		size_t inner = (size_t)du[last], so_l = so[last];
		size_t s0 = nf > 0 ? sf[last] : 0, s1 = nf > 1 ? sf[(size_t)nu + last] : 0, s2 = nf > 2 ? sf[(size_t)2 * nu + last] : 0;
		for (size_t it = 0; it < N; it += inner) {
			/* the innermost variable as a plain strided loop; one, two and three factors
			 * (nearly every step) without the per-factor loop: the same products in the
			 * same order, (f0 * f1) * f2 */
			double *op = ox + oo;
			if (nf == 1) {
				const double *a = fx[0] + off[0];
				for (size_t t = 0; t < inner; ++t) op[t * so_l] += a[t * s0];
			} else if (nf == 2) {
				const double *a = fx[0] + off[0], *b = fx[1] + off[1];
				for (size_t t = 0; t < inner; ++t) op[t * so_l] += a[t * s0] * b[t * s1];
			} else if (nf == 3) {
				const double *a = fx[0] + off[0], *b = fx[1] + off[1], *c = fx[2] + off[2];
				for (size_t t = 0; t < inner; ++t) op[t * so_l] += a[t * s0] * b[t * s1] * c[t * s2];
			} else {
				for (size_t t = 0; t < inner; ++t) {
					double prod = 1.0;
					for (int i = 0; i < nf; ++i) prod *= fx[i][off[i] + t * sf[(size_t)i * nu + last]];
					op[t * so_l] += prod;
				}
			}
			for (int k = last - 1; k >= 0; --k) {
				if (++dig[k] < du[k]) {
					for (int i = 0; i < nf; ++i) off[i] += sf[(size_t)i * nu + k];
					oo += so[k];
					break;
				}
				dig[k] = 0;
				for (int i = 0; i < nf; ++i) off[i] -= sf[(size_t)i * nu + k] * (size_t)(du[k] - 1);
				oo -= so[k] * (size_t)(du[k] - 1);
			}
		}
	}
	if (!small) { free(sf); free(dig); free(fx); free(off); }
	return 0;
}

/* Appends o (taking its storage), divided by its largest entry; log10 of that goes to
 * ve->lg.  An all-zero o sets ve->zero. */
static int ve_append(ve_t *ve, fac_t *o, km_err_t *e)
{
	double mx = 0.0;
	for (size_t i = 0; i < o->n; ++i) if (o->x[i] > mx) mx = o->x[i];
	if (mx == 0.0) { ve->zero = 1; free(o->x); o->x = NULL; return 0; }
	for (size_t i = 0; i < o->n; ++i) o->x[i] /= mx;
	ve->lg += log10(mx);
	if (ve_grow(ve, e) < 0) { free(o->x); o->x = NULL; return KM_ENOMEM; }
	ve->fac[ve->nfac++] = *o;
	return 0;
}

static void ve_kill(ve_t *ve, int i)
{
	fac_t *f = &ve->fac[i];
	f->alive = 0; free(f->x); f->x = NULL;
}

/* Combines the live factors fi[0..nf) into a new one with variable z summed out. */
static int ve_combine(ve_t *ve, const int *fi, int nf, int z, km_err_t *e)
{
	const fac_t *fs[VE_MAXU * 4] = { 0 };
	const fac_t **fp = nf <= VE_MAXU * 4 ? fs : malloc(sizeof(fac_t *) * nf);
	fac_t o;
	if (!fp) return km_err_set(e, KM_ENOMEM, "out of memory");
	for (int i = 0; i < nf; ++i) {
		int r = ve->fac[fi[i]].trans ? fac_fill(ve, &ve->fac[fi[i]], e) : 0;
		if (r < 0) { if (fp != fs) free(fp); return r; }
		fp[i] = &ve->fac[fi[i]];
	}
	int ret = fac_prodsum(fp, nf, z, &o, e);
	if (fp != fs) free(fp);
	if (ret < 0) return ret;
	for (int i = 0; i < nf; ++i) ve_kill(ve, fi[i]);
	return ve_append(ve, &o, e);
}

/* cells of the union of the variables seen so far (product c) with f's, not counting
 * repeats (an upper bound is enough for choosing) */
static size_t fx_cells(const ve_t *ve, size_t c, const fac_t *f, int self)
{
	(void)ve;
	for (int k = 0; k < f->nv; ++k) if (f->v[k] != self) c *= (size_t)f->d[k];
	return c;
}

/* The pair step for person i (see the head comment).  Returns 1 if it does not apply
 * (another factor couples the two alleles, no child, too many children), 0 when done. */
static int ve_pair(ve_t *ve, int i, size_t *cost_only, size_t *out_size, km_err_t *e)
{
	int x = 2 * i, y = 2 * i + 1, K = 0, nfx = 0, nfy = 0;
	int kid[VE_MAXKIDS], ktf[VE_MAXKIDS], fxi[VE_MAXU * 2], fyi[VE_MAXU * 2];
	if (ve->dn[x] == 0 || ve->dn[y] == 0) return 1;
	for (int j = 0; j < ve->nfac; ++j) {
		const fac_t *f = &ve->fac[j];
		if (!f->alive) continue;
		int hx = 0, hy = 0;
		for (int k = 0; k < f->nv; ++k) hx |= f->v[k] == x, hy |= f->v[k] == y;
		if (hx && hy) {
			if (!f->trans || f->v[0] != x || f->v[1] != y || K == VE_MAXKIDS) return 1;
			ktf[K] = j, kid[K++] = f->v[2];
		} else if (hx) {
			if (nfx == VE_MAXU * 2) return 1;
			fxi[nfx++] = j;
		} else if (hy) {
			if (nfy == VE_MAXU * 2) return 1;
			fyi[nfy++] = j;
		}
	}
	if (K == 0) return 1;
	/* output variables: those of F_x and F_y but x, y, and the children */
	int ov[VE_MAXU], no = 0;
	size_t osz = 1;
	for (int pass = 0; pass < 3; ++pass) {
		int n = pass == 0 ? nfx : pass == 1 ? nfy : 1;
		for (int j = 0; j < n; ++j) {
			int nv = pass == 2 ? K : ve->fac[pass == 0 ? fxi[j] : fyi[j]].nv;
			for (int k = 0; k < nv; ++k) {
				int v = pass == 2 ? kid[k] : ve->fac[pass == 0 ? fxi[j] : fyi[j]].v[k];
				if (v == x || v == y) continue;
				int m;
				for (m = 0; m < no && ov[m] != v; ++m) {}
				if (m < no) continue;
				if (no == VE_MAXU) return 1;
				ov[no++] = v, osz *= (size_t)ve->dn[v];
			}
		}
	}
	if (cost_only) {   /* cells visited: per subset, the two one-allele sums and their product */
		size_t vx = (size_t)ve->dn[x], vy = (size_t)ve->dn[y], tot = 0;
		for (int j = 0; j < nfx; ++j) vx = fx_cells(ve, vx, &ve->fac[fxi[j]], x);
		for (int j = 0; j < nfy; ++j) vy = fx_cells(ve, vy, &ve->fac[fyi[j]], y);
		for (unsigned S = 0; S < (1u << K); ++S) {
			size_t cx = vx, cy = vy;
			for (int k = 0; k < K; ++k) {
				if (S >> k & 1) cx *= (size_t)ve->dn[kid[k]];
				else cy *= (size_t)ve->dn[kid[k]];
			}
			tot += cx + cy + osz;
		}
		*cost_only = tot;
		*out_size = osz;
		return 0;
	}
	/* the matrix factors M(x, c_k) and M(y, c_k) */
	fac_t mx[VE_MAXKIDS], my[VE_MAXKIDS], acc;
	int ret = 0;
	for (int j = 0; j < nfx && ret == 0; ++j) if (ve->fac[fxi[j]].trans) ret = fac_fill(ve, &ve->fac[fxi[j]], e);
	for (int j = 0; j < nfy && ret == 0; ++j) if (ve->fac[fyi[j]].trans) ret = fac_fill(ve, &ve->fac[fyi[j]], e);
	if (ret < 0) return ret;
	memset(mx, 0, sizeof(mx)); memset(my, 0, sizeof(my)); memset(&acc, 0, sizeof(acc));
	for (int k = 0; k < K && ret == 0; ++k) {
		const double *M = ve->fac[ktf[k]].M;
		for (int s = 0; s < 2; ++s) {
			fac_t *f = s ? &my[k] : &mx[k];
			int v = s ? y : x, c = kid[k];
			f->nv = 2, f->v[0] = v, f->v[1] = c, f->d[0] = ve->dn[v], f->d[1] = ve->dn[c];
			f->n = (size_t)f->d[0] * f->d[1];
			if (!(f->x = malloc(sizeof(double) * f->n))) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); break; }
			for (int a = 0; a < f->d[0]; ++a)
				for (int b = 0; b < f->d[1]; ++b)
					f->x[(size_t)a * f->d[1] + b] = trans1(ve->L, M, ve->dom[v][a], ve->dom[c][b]);
		}
	}
	/* F_x and F_y multiplied out once (they are the same for every subset) */
	const fac_t *lst[VE_MAXU * 2 + VE_MAXKIDS];
	fac_t FX, FY;
	memset(&FX, 0, sizeof FX); memset(&FY, 0, sizeof FY);
	for (int s2 = 0; s2 < 2 && ret == 0; ++s2) {
		int nf = s2 ? nfy : nfx, *ix = s2 ? fyi : fxi;
		if (nf < 2) continue;
		for (int j = 0; j < nf; ++j) lst[j] = &ve->fac[ix[j]];
		ret = fac_prodsum(lst, nf, -1, s2 ? &FY : &FX, e);
	}
	for (unsigned S = 0; ret == 0 && S < (1u << K); ++S) {
		fac_t tx, ty, t2;
		int n = 0;
		if (FX.x) lst[n++] = &FX;
		else for (int j = 0; j < nfx; ++j) lst[n++] = &ve->fac[fxi[j]];
		for (int k = 0; k < K; ++k) if (S >> k & 1) lst[n++] = &mx[k];
		if ((ret = fac_prodsum(lst, n, x, &tx, e)) < 0) break;
		n = 0;
		if (FY.x) lst[n++] = &FY;
		else for (int j = 0; j < nfy; ++j) lst[n++] = &ve->fac[fyi[j]];
		for (int k = 0; k < K; ++k) if (!(S >> k & 1)) lst[n++] = &my[k];
		if ((ret = fac_prodsum(lst, n, y, &ty, e)) < 0) { free(tx.x); break; }
		const fac_t *two[2] = { &tx, &ty };
		ret = fac_prodsum(two, 2, -1, &t2, e);
		free(tx.x); free(ty.x);
		if (ret < 0) break;
		if (S == 0) acc = t2;
		else { for (size_t c = 0; c < acc.n; ++c) acc.x[c] += t2.x[c]; free(t2.x); }
	}
	for (int k = 0; k < K; ++k) { free(mx[k].x); free(my[k].x); }
	free(FX.x); free(FY.x);
	if (ret < 0) { free(acc.x); return ret; }
	double w = ldexp(1.0, -K);
	for (size_t c = 0; c < acc.n; ++c) acc.x[c] *= w;
	for (int j = 0; j < nfx; ++j) ve_kill(ve, fxi[j]);
	for (int j = 0; j < nfy; ++j) ve_kill(ve, fyi[j]);
	for (int k = 0; k < K; ++k) ve_kill(ve, ktf[k]);
	ve->dn[x] = ve->dn[y] = 0;
	return ve_append(ve, &acc, e);
}

/* Leaves in the pedigree graph are pruned repeatedly: a person is kept iff typed, q, or
 * an ancestor of a kept person.  Linear in the persons (issue 15: no quadratic work in
 * pedigree depth): keep[i] holds 1 + i's kept children while it runs, and the persons
 * waiting for removal are a stack threaded through keep[] (keep[i] = -2 - next). */
void km_lik_prune(const km_lped_t *P, int q, int *keep)
{
	int n = P->n, head = -1;
	for (int i = 0; i < n; ++i) keep[i] = 1;
	for (int c = 0; c < n; ++c) {
		if (P->father[c] >= 0) ++keep[P->father[c]];
		if (P->mother[c] >= 0) ++keep[P->mother[c]];
	}
	for (int i = 0; i < n; ++i)
		if (keep[i] == 1 && i != q && P->gt[2 * i] == KM_NOALLELE) keep[i] = -2 - head, head = i;
	while (head >= 0) {
		int i = head, par[2] = { P->father[head], P->mother[head] };
		head = -2 - keep[i];
		keep[i] = 0;
		for (int j = 0; j < 2; ++j) {
			int a = par[j];
			if (a < 0 || --keep[a] != 1 || a == q || P->gt[2 * a] != KM_NOALLELE) continue;
			keep[a] = -2 - head, head = a;
		}
	}
	for (int i = 0; i < n; ++i) keep[i] = keep[i] > 0;
}

static inline int hemi(const km_locus_t *L, const km_lped_t *P, int i)
{
	return L->xlinked && P->sex[i] == KM_MALE;
}

/* Person i's call through the observation model (obs.h); 0 if untyped. */
static inline int person_obs(const km_locus_t *L, const km_lped_t *P, int i, km_obs_t *o)
{
	return km_obs_call(o, P->obs ? &P->obs[i] : NULL, P->gt[2 * i], P->gt[2 * i + 1], hemi(L, P, i));
}

/* The values allele variable k (0 paternal, 1 maternal; a man's one X allele is k = 1)
 * of a typed person can take under call o, sorted ascending into dom[0..KM_OBS_MAXE);
 * returns their number, or 0 for any allele (dense weights). */
static int obs_dom(const km_obs_t *o, int k, int *dom)
{
	int nv = 0;
	if (o->ne == 0) return 0;
	for (int j = 0; j < o->ne; ++j) {
		int x = o->nd == 1 || k == 0 ? o->ea[j] : o->eb[j], i, dup = 0;
		for (i = 0; i < nv; ++i) dup |= dom[i] == x;
		if (dup) continue;
		for (i = nv++; i > 0 && dom[i - 1] > x; --i) dom[i] = dom[i - 1];
		dom[i] = x;
	}
	return nv;
}

/* 1 if the call's weights are not all 1 on its domain, so they need a factor (an exact
 * {a} restricts the domain and nothing more) */
static inline int obs_factor(const km_obs_t *o)
{
	return !(o->ne == 1 && o->ew[0] == 1.0);
}

/* Sets up variables and factors.  clamp (may be NULL): per variable a fixed allele or -1;
 * clamped founders get no prior (their probability is the caller's). */
static int ve_build(ve_t *ve, const km_locus_t *L, const km_lped_t *P, const int *keep,
                    const int *clamp, km_err_t *e)
{
	int n = L->n, np = P->n;
	memset(ve, 0, sizeof(*ve));
	ve->L = L;
	ve->nvar = 2 * np;
	ve->dn = calloc((size_t)ve->nvar, sizeof(int));
	ve->dom = calloc((size_t)ve->nvar, sizeof(int *));
	ve->dombuf = calloc((size_t)ve->nvar * KM_OBS_MAXE, sizeof(int));
	ve->all = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
	if (!ve->dn || !ve->dom || !ve->dombuf || !ve->all) return km_err_set(e, KM_ENOMEM, "out of memory");
	for (int a = 0; a < n; ++a) ve->all[a] = a;
	/* domains: a typed person's variables range over the values its call allows */
	for (int i = 0; i < np; ++i) {
		if (!keep[i]) continue;
		km_obs_t o;
		int h = hemi(L, P, i), typed = person_obs(L, P, i, &o);
		for (int k = h ? 1 : 0; k < 2; ++k) {
			int v = 2 * i + k, nv;
			int *db = &ve->dombuf[(size_t)KM_OBS_MAXE * v];
			if (clamp && clamp[v] >= 0) {
				db[0] = clamp[v]; ve->dom[v] = db; ve->dn[v] = 1;
			} else if (!typed || (nv = obs_dom(&o, k, db)) == 0) {
				ve->dom[v] = ve->all; ve->dn[v] = n;
			} else {
				ve->dom[v] = db; ve->dn[v] = nv;
			}
		}
	}
	/* factors */
	for (int i = 0; i < np; ++i) {
		if (!keep[i]) continue;
		km_obs_t o;
		int h = hemi(L, P, i), typed = person_obs(L, P, i, &o);
		int vp = 2 * i, vm = 2 * i + 1;
		if (typed && obs_factor(&o)) {                            /* P(call | pat, mat), obs.h */
			int vv[2] = { vp, vm };
			fac_t *f = h ? ve_newfac(ve, 1, &vm, e) : ve_newfac(ve, 2, vv, e);
			if (!f) return KM_ENOMEM;
			if (h)
				for (int x = 0; x < ve->dn[vm]; ++x) f->x[x] = km_obs_at(&o, ve->dom[vm][x], 0);
			else
				for (int x = 0; x < ve->dn[vp]; ++x)
					for (int y = 0; y < ve->dn[vm]; ++y)
						f->x[x * ve->dn[vm] + y] = km_obs_at(&o, ve->dom[vp][x], ve->dom[vm][y]);
		}
		if (P->father[i] < 0) {                                   /* founder */
			for (int k = h ? 1 : 0; k < 2; ++k) {
				int v = 2 * i + k;
				if (clamp && clamp[v] >= 0) continue;
				fac_t *f = ve_newfac(ve, 1, &v, e);
				if (!f) return KM_ENOMEM;
				for (int x = 0; x < ve->dn[v]; ++x) f->x[x] = L->p[ve->dom[v][x]];
			}
			continue;
		}
		int fa = P->father[i], mo = P->mother[i];
		if (!h) {                                                 /* paternal allele */
			if (L->xlinked) {                                     /* father's only X */
				int vv[2] = { 2 * fa + 1, vp };
				fac_t *f = ve_newfac(ve, 2, vv, e);
				if (!f) return KM_ENOMEM;
				for (int x = 0; x < ve->dn[vv[0]]; ++x)
					for (int c = 0; c < ve->dn[vp]; ++c)
						f->x[x * ve->dn[vp] + c] = trans1(L, L->Mm, ve->dom[vv[0]][x], ve->dom[vp][c]);
			} else {
				int vv[3] = { 2 * fa, 2 * fa + 1, vp };
				if (!ve_transfac(ve, vv, L->Mm, e)) return KM_ENOMEM;
			}
		}
		{                                                         /* maternal allele */
			int vv[3] = { 2 * mo, 2 * mo + 1, vm };
			if (!ve_transfac(ve, vv, L->Mf, e)) return KM_ENOMEM;
		}
	}
	return 0;
}

/* Eliminates every variable except those of person q (q < 0: all). */
/* Eliminates every variable except those of person q (q < 0: all). */
static int ve_run(ve_t *ve, int q, km_err_t *e)
{
	int *fi = malloc(sizeof(int) * (size_t)(ve->nfac + 1) * 4), ret = 0;
	if (!fi) return km_err_set(e, KM_ENOMEM, "out of memory");
	int m_fi = (ve->nfac + 1) * 4;
	for (;;) {
		if (ve->zero) break;
		/* the variable whose elimination makes the smallest table */
		int best = -1;
		double best_cost = 0.0;
		for (int v = 0; v < ve->nvar; ++v) {
			if (ve->dn[v] == 0 || (q >= 0 && v / 2 == q)) continue;
			int nu = 0, u[VE_MAXU * 2];
			int found = 0;
			double cost = 1.0;
			for (int i = 0; i < ve->nfac; ++i) {
				const fac_t *f = &ve->fac[i];
				if (!f->alive) continue;
				int has = 0;
				for (int k = 0; k < f->nv; ++k) if (f->v[k] == v) has = 1;
				if (!has) continue;
				found = 1;
				for (int k = 0; k < f->nv; ++k) {
					int j;
					for (j = 0; j < nu && u[j] != f->v[k]; ++j) {}
					if (j == nu && nu < VE_MAXU * 2) u[nu++] = f->v[k], cost *= f->d[k];
				}
			}
			if (!found) { ve->dn[v] = 0; continue; }   /* no factor left: nothing to sum */
			if (best < 0 || cost < best_cost) best = v, best_cost = cost;
		}
		if (best < 0) break;
		/* a pair step, if one is cheaper */
		int best_pair = -1;
		size_t pair_cost = 0, pair_size = 0;
		for (int p = 0; p < ve->nvar / 2; ++p) {
			size_t c, sz;
			if (p == q || ve->dn[2 * p] <= 1 || ve->dn[2 * p + 1] <= 1) continue;
			if (ve_pair(ve, p, &c, &sz, e) != 0) continue;
			if (best_pair < 0 || c < pair_cost) best_pair = p, pair_cost = c, pair_size = sz;
		}
		/* prefer it at equal size: summing a child's allele first would couple the
		 * parent's two alleles and rule the pair step out for good */
		/* a pair step that leaves a table no larger than the single step's, or costs at
		 * most a few times as much, wins: a single step on a child's allele first would
		 * couple the parent's two alleles and rule the pair step out for good */
		if (best_pair >= 0 && ((double)pair_size <= best_cost || (double)pair_cost <= KM_PAIR_BIAS * best_cost)) {
			if ((ret = ve_pair(ve, best_pair, NULL, NULL, e)) < 0) goto done;
		} else {
			int nf = 0;
			for (int i = 0; i < ve->nfac; ++i) {
				const fac_t *f = &ve->fac[i];
				if (!f->alive) continue;
				for (int k = 0; k < f->nv; ++k) if (f->v[k] == best) { fi[nf++] = i; break; }
			}
			if ((ret = ve_combine(ve, fi, nf, best, e)) < 0) goto done;
			ve->dn[best] = 0;
		}
		if (ve->nfac + 1 > m_fi) {
			m_fi = (ve->nfac + 1) * 4;
			int *t = realloc(fi, sizeof(int) * m_fi);
			if (!t) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto done; }
			fi = t;
		}
	}
	if (!ve->zero) {                /* multiply what is left into one factor */
		int nf = 0;
		for (int i = 0; i < ve->nfac; ++i) if (ve->fac[i].alive) fi[nf++] = i;
		if (nf > 0) ret = ve_combine(ve, fi, nf, -1, e);
	}
done:
	free(fi);
	return ret;
}

int km_lik_engine = 0;

int km_lik_query(const km_locus_t *L, const km_lped_t *P, int q, double *phi, double *lg, km_err_t *e)
{
	km_lws_t *ws = km_lws_new();
	if (!ws) return km_err_set(e, KM_ENOMEM, "out of memory");
	int ret = km_lik_query_ws(L, P, q, phi, lg, ws, e);
	km_lws_free(ws);
	return ret;
}

void km_lacc_add(double *acc, double *lacc, const double *v, double lv, size_t n)
{
	if (lv > *lacc) {   /* rescale the sum to the larger term */
		double f = *lacc == KM_NEG_INF ? 0.0 : pow(10.0, *lacc - lv);
		for (size_t i = 0; i < n; ++i) acc[i] *= f;
		*lacc = lv;
	}
	double f = pow(10.0, lv - *lacc);
	for (size_t i = 0; i < n; ++i) acc[i] += f * v[i];
}

/* Typing error where the peeler does not apply (loops, q < 0): a typed person's error
 * weights (1 - E) w + E c (obs.h) are dense, and dense persons can make the elimination's
 * tables explode, so the likelihood, multilinear in each person's weights, is summed
 * over the subsets S of the persons with an error rate:
 *     sum_S prod_{i in S} E_i c_i prod_{i not in S} (1 - E_i) * P(data without S's calls),
 * each term with exact calls (sparse) and S's persons untyped.  Same output as
 * km_lik_query_ws; t[0..nt) the persons with te > 0. */
static int query_err_subsets(const km_locus_t *L, const km_lped_t *P, int q, const int *t, int nt, double *phi,
                             double *lg, km_lws_t *ws, km_err_t *e)
{
	int np = P->n, n = L->n, ret = 0;
	if (nt > 24) return km_err_set(e, KM_EMODEL, "more than 24 typed persons with a typing-error rate in one pedigree without peeling (loops)");
	size_t nout = q < 0 ? 1 : hemi(L, P, q) ? (size_t)n : (size_t)n * n;
	int32_t *gt = malloc(sizeof(int32_t) * 2 * (size_t)np + 1);
	km_obsp_t *ob = malloc(sizeof(km_obsp_t) * (size_t)np + 1);
	double *acc = malloc(sizeof(double) * 2 * nout + 1), *tmp = acc ? acc + nout : NULL;
	if (!gt || !ob || !acc) { free(gt); free(ob); free(acc); return km_err_set(e, KM_ENOMEM, "out of memory"); }
	memcpy(gt, P->gt, sizeof(int32_t) * 2 * (size_t)np);
	memcpy(ob, P->obs, sizeof(km_obsp_t) * (size_t)np);
	for (int i = 0; i < np; ++i) ob[i].te = ob[i].tc = 0.0;
	km_lped_t Q = *P;
	Q.gt = gt, Q.obs = ob;
	double lacc = KM_NEG_INF;
	for (size_t i = 0; i < nout; ++i) acc[i] = 0.0;
	for (uint32_t S = 0; S < (1u << nt); ++S) {
		double lw = 0.0, lt;
		for (int j = 0; j < nt; ++j) {
			int i = t[j], in = S >> j & 1;
			lw += in ? log10(P->obs[i].te * P->obs[i].tc) : log10(1.0 - P->obs[i].te);
			gt[2 * i] = in ? KM_NOALLELE : P->gt[2 * i], gt[2 * i + 1] = in ? KM_NOALLELE : P->gt[2 * i + 1];
		}
		if ((ret = km_lik_query_ws(L, &Q, q, tmp, &lt, ws, e)) < 0) break;
		if (lt == KM_NEG_INF) continue;
		km_lacc_add(acc, &lacc, tmp, lt + lw, nout);
	}
	if (ret == 0) {
		memcpy(phi, acc, sizeof(double) * nout);
		*lg = lacc;
	}
	free(gt); free(ob); free(acc);
	return ret;
}

int km_lik_query_ws(const km_locus_t *L, const km_lped_t *P, int q, double *phi, double *lg, km_lws_t *ws,
                    km_err_t *e)
{
	int *keep = km_lws_keep(ws, P->n), ret;   /* no allocation per table */
	ve_t ve;
	if (!keep) return km_err_set(e, KM_ENOMEM, "out of memory");
	km_lik_prune(P, q, keep);
	/* loop-free pedigrees (nearly all) by peeling, the rest by elimination */
	if (km_lik_engine != 1) {
		ret = km_peel_query(L, P, keep, q, phi, lg, ws, e);
		if (ret != 1) return ret;
		if (km_lik_engine == 2) return km_err_set(e, KM_EMODEL, "peeling does not apply to this pedigree");
	}
	if (P->obs) {   /* typing error: the elimination sums over who is in error (above) */
		int t[25], nt = 0;
		for (int i = 0; i < P->n; ++i)
			if (keep[i] && P->obs[i].te > 0.0 && P->gt[2 * i] != KM_NOALLELE) {
				if (nt == 25) break;
				t[nt++] = i;
			}
		if (nt > 0) return query_err_subsets(L, P, q, t, nt, phi, lg, ws, e);
	}
	ret = ve_build(&ve, L, P, keep, NULL, e);
	if (ret == 0) ret = ve_run(&ve, q, e);
	if (ret == 0) {
		int n = L->n;
		size_t nout = q < 0 ? 1 : hemi(L, P, q) ? (size_t)n : (size_t)n * n;
		memset(phi, 0, sizeof(double) * nout);
		*lg = ve.zero ? KM_NEG_INF : ve.lg;
		if (!ve.zero) {
			const fac_t *f = NULL;
			for (int i = ve.nfac - 1; i >= 0; --i) if (ve.fac[i].alive) { f = &ve.fac[i]; break; }
			if (q < 0) {
				phi[0] = f ? f->x[0] : 1.0;
			} else {
				/* f's variables are a subset of q's (pat 2q, mat 2q+1), in sorted order */
				int h = hemi(L, P, q), vp = 2 * q, vm = 2 * q + 1;
				int sp = 0, sm = 0;            /* strides in f (0 = absent: constant) */
				if (f) {
					size_t s = 1;
					for (int k = f->nv - 1; k >= 0; --k) {
						if (f->v[k] == vp) sp = (int)s;
						if (f->v[k] == vm) sm = (int)s;
						s *= (size_t)f->d[k];
					}
				}
				if (h) {
					for (int a = 0; a < n; ++a) phi[a] = f ? f->x[(size_t)a * sm] : 1.0;
				} else {
					for (int a = 0; a < n; ++a)
						for (int b = 0; b < n; ++b)
							phi[(size_t)a * n + b] = f ? f->x[(size_t)a * sp + (size_t)b * sm] : 1.0;
				}
			}
		}
	}
	ve_free(&ve);
	return ret;
}

/* log10 (10^a + 10^b) without overflow */
static double log10_add(double a, double b)
{
	if (a == KM_NEG_INF) return b;
	if (b == KM_NEG_INF) return a;
	if (a < b) { double t = a; a = b; b = t; }
	return a + log10(1.0 + pow(10.0, b - a));
}

int km_lik_theta(const km_locus_t *L, const km_lped_t *P, double theta, const int *extra, int n_extra,
                 double *log10_l, km_err_t *e)
{
	int np = P->n, n = L->n, ret = 0;
	int *keep = malloc(sizeof(int) * (size_t)(np + 1));
	int *clamp = malloc(sizeof(int) * (size_t)(2 * np + 1));
	int *ev = malloc(sizeof(int) * (size_t)(2 * np + 1));          /* enumerated variables */
	int *edn = malloc(sizeof(int) * (size_t)(2 * np + 1));
	int *edom = malloc(sizeof(int) * KM_OBS_MAXE * (size_t)(2 * np + 1));   /* a call's values, or all */
	int *dig = calloc((size_t)(2 * np + 1), sizeof(int));
	int *cnt = calloc((size_t)(n + 1), sizeof(int));
	double acc = KM_NEG_INF;
	if (!keep || !clamp || !ev || !edn || !edom || !dig || !cnt) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto done; }
	km_lik_prune(P, -1, keep);
	int ne = 0;
	double total = 1.0;
	for (int i = 0; i < 2 * np; ++i) clamp[i] = -1;
	for (int i = 0; i < np; ++i) {
		if (!keep[i] || P->father[i] >= 0) continue;
		km_obs_t o;
		int h = hemi(L, P, i), typed = person_obs(L, P, i, &o);
		for (int k = h ? 1 : 0; k < 2; ++k) {
			int nv = typed ? obs_dom(&o, k, &edom[(size_t)KM_OBS_MAXE * ne]) : 0;
			ev[ne] = 2 * i + k;
			edn[ne] = nv > 0 ? nv : n;     /* sorted, so a domain of n values is 0..n-1 */
			total *= edn[ne];
			++ne;
		}
	}
	if (total > 2e6) { ret = km_err_set(e, KM_EMODEL, "theta correction: too many untyped founder alleles to enumerate exactly (%g combinations)", total); goto done; }
	for (;;) {
		/* the urn: j-th draw of allele a after b_a earlier a's:
		 * (b_a theta + (1-theta) p_a) / (1 + (j-2) theta)     (MODELS.md §4) */
		double lw = 0.0;
		memset(cnt, 0, sizeof(int) * (size_t)n);
		int j = 0;
		for (int k = 0; k < ne + n_extra; ++k) {
			int a = k < ne ? (edn[k] == n ? dig[k] : edom[(size_t)KM_OBS_MAXE * k + dig[k]]) : extra[k - ne];
			if (k < ne) clamp[ev[k]] = a;
			++j;
			double num = cnt[a] * theta + (1.0 - theta) * L->p[a];
			lw += log10(num / (1.0 + (j - 2) * theta));
			++cnt[a];
		}
		if (lw > KM_NEG_INF) {
			ve_t ve;
			ret = ve_build(&ve, L, P, keep, clamp, e);
			if (ret == 0) ret = ve_run(&ve, -1, e);
			if (ret == 0 && !ve.zero) {
				double x = 1.0;
				for (int i = ve.nfac - 1; i >= 0; --i) if (ve.fac[i].alive) { x = ve.fac[i].x[0]; break; }
				acc = log10_add(acc, lw + ve.lg + log10(x));
			}
			ve_free(&ve);
			if (ret < 0) goto done;
		}
		int k;
		for (k = ne - 1; k >= 0; --k) {
			if (++dig[k] < edn[k]) break;
			dig[k] = 0;
		}
		if (k < 0) break;
	}
	*log10_l = acc;
done:
	free(keep); free(clamp); free(ev); free(edn); free(edom); free(dig); free(cnt);
	return ret;
}
