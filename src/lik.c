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
 * The sum is done by variable elimination with a greedy smallest-table order, which is
 * exact for any pedigree, marriage loops and inbreeding included (the loop breakers of
 * Lange–Elston peeling are implicit in the elimination order).  A typed person's
 * variables range only over the observed alleles, so tables stay small.  Every new
 * table is divided by its largest entry and the log10 of that is carried in a scale,
 * so a long pedigree cannot underflow.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kmpriv.h"
#include "lik.h"

#define VE_MAXU 40                    /* variables in one intermediate table */
#define VE_MAXCELLS ((size_t)1 << 27)  /* 1 GiB of doubles: beyond, refuse */

typedef struct {
	int nv;
	int v[VE_MAXU], d[VE_MAXU];   /* variables and their domain sizes, any order */
	size_t n;
	double *x;                    /* row-major over v[] */
	int alive;
} fac_t;

typedef struct {
	const km_locus_t *L;
	int nvar;                     /* 2 per person: 2i paternal, 2i+1 maternal */
	int *dn;                      /* domain size per variable (0 = variable unused) */
	int **dom;                    /* domain values (allele indices) */
	int *dombuf;                  /* 2 slots per variable for restricted domains */
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

static fac_t *ve_newfac(ve_t *ve, int nv, const int *v, km_err_t *e)
{
	if (ve->nfac == ve->mfac) {
		int m = ve->mfac ? ve->mfac * 2 : 64;
		fac_t *t = realloc(ve->fac, sizeof(fac_t) * m);
		if (!t) { km_err_set(e, KM_ENOMEM, "out of memory"); return NULL; }
		ve->fac = t, ve->mfac = m;
	}
	fac_t *f = &ve->fac[ve->nfac];
	memset(f, 0, sizeof(*f));
	f->nv = nv, f->n = 1, f->alive = 1;
	for (int k = 0; k < nv; ++k) f->v[k] = v[k], f->d[k] = ve->dn[v[k]], f->n *= (size_t)f->d[k];
	if (!(f->x = calloc(f->n, sizeof(double)))) { km_err_set(e, KM_ENOMEM, "out of memory"); return NULL; }
	++ve->nfac;
	return f;
}

/* transmission probability of child allele c from a parent with alleles g1, g2 (g2 < 0:
 * a hemizygous father at X) through matrix M (NULL = identity) */
static inline double trans1(const km_locus_t *L, const double *M, int g, int c)
{
	return M ? M[(size_t)g * L->n + c] : (double)(g == c);
}

/* Combines the live factors fi[0..nf) into a new factor with variable z summed out
 * (z = -1: nothing summed).  The new factor is normalised to max 1, its log10 added to
 * ve->lg; an all-zero result sets ve->zero. */
static int ve_combine(ve_t *ve, const int *fi, int nf, int z, km_err_t *e)
{
	int nu = 0, u[VE_MAXU], du[VE_MAXU];
	for (int i = 0; i < nf; ++i) {
		const fac_t *f = &ve->fac[fi[i]];
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
	int ov[VE_MAXU], no = 0;
	for (int k = 0; k < nu; ++k) if (u[k] != z) ov[no++] = u[k];
	/* strides: sf[i*nu + k] is factor i's stride for union variable k, so[k] the output's */
	size_t *sf = calloc((size_t)(nf + 1) * nu + 1, sizeof(size_t)), *so, *off;
	int *dig = calloc((size_t)nu + 1, sizeof(int));
	const double **fx = malloc(sizeof(double *) * (nf + 1));
	off = calloc((size_t)nf + 1, sizeof(size_t));
	if (!sf || !dig || !fx || !off) { free(sf); free(dig); free(fx); free(off); return km_err_set(e, KM_ENOMEM, "out of memory"); }
	so = sf + (size_t)nf * nu;
	for (int i = 0; i < nf; ++i) {
		const fac_t *f = &ve->fac[fi[i]];
		size_t s = 1;
		for (int k = f->nv - 1; k >= 0; --k) {
			for (int j = 0; j < nu; ++j) if (u[j] == f->v[k]) sf[(size_t)i * nu + j] = s;
			s *= (size_t)f->d[k];
		}
		fx[i] = f->x;
	}
	fac_t *o = ve_newfac(ve, no, ov, e);   /* may move ve->fac: read factors through fx */
	if (!o) { free(sf); free(dig); free(fx); free(off); return KM_ENOMEM; }
	{
		size_t s = 1;
		for (int k = nu - 1; k >= 0; --k) if (u[k] != z) so[k] = s, s *= (size_t)du[k];
	}
	size_t oo = 0;
	double *ox = o->x;
	for (size_t it = 0; it < N; ++it) {
		double prod = 1.0;
		for (int i = 0; i < nf && prod != 0.0; ++i) prod *= fx[i][off[i]];
		ox[oo] += prod;
		for (int k = nu - 1; k >= 0; --k) {
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
	free(sf); free(dig); free(fx); free(off);
	for (int i = 0; i < nf; ++i) {
		fac_t *f = &ve->fac[fi[i]];
		f->alive = 0; free(f->x); f->x = NULL;
	}
	double mx = 0.0;
	for (size_t i = 0; i < o->n; ++i) if (ox[i] > mx) mx = ox[i];
	if (mx == 0.0) { ve->zero = 1; return 0; }
	for (size_t i = 0; i < o->n; ++i) ox[i] /= mx;
	ve->lg += log10(mx);
	return 0;
}

/* Which persons matter: drop untyped non-query persons without kept children (exact
 * for any model: their sums are 1), repeatedly. */
void km_lik_prune(const km_lped_t *P, int q, int *keep)
{
	int n = P->n, changed = 1;
	for (int i = 0; i < n; ++i) keep[i] = 1;
	while (changed) {
		changed = 0;
		for (int i = 0; i < n; ++i) {
			if (!keep[i] || i == q || P->gt[2 * i] != KM_NOALLELE) continue;
			int has_child = 0;
			for (int c = 0; c < n && !has_child; ++c)
				if (keep[c] && (P->father[c] == i || P->mother[c] == i)) has_child = 1;
			if (!has_child) keep[i] = 0, changed = 1;
		}
	}
}

static inline int hemi(const km_locus_t *L, const km_lped_t *P, int i)
{
	return L->xlinked && P->sex[i] == KM_MALE;
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
	ve->dombuf = calloc((size_t)ve->nvar * 2, sizeof(int));
	ve->all = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
	if (!ve->dn || !ve->dom || !ve->dombuf || !ve->all) return km_err_set(e, KM_ENOMEM, "out of memory");
	for (int a = 0; a < n; ++a) ve->all[a] = a;
	/* domains */
	for (int i = 0; i < np; ++i) {
		if (!keep[i]) continue;
		int h = hemi(L, P, i), a = P->gt[2 * i], b = P->gt[2 * i + 1];
		for (int k = h ? 1 : 0; k < 2; ++k) {
			int v = 2 * i + k;
			if (clamp && clamp[v] >= 0) {
				ve->dombuf[2 * v] = clamp[v]; ve->dom[v] = &ve->dombuf[2 * v]; ve->dn[v] = 1;
			} else if (a == KM_NOALLELE) {
				ve->dom[v] = ve->all; ve->dn[v] = n;
			} else if (h || b < 0 || a == b) {
				ve->dombuf[2 * v] = a; ve->dom[v] = &ve->dombuf[2 * v]; ve->dn[v] = 1;
			} else {
				ve->dombuf[2 * v] = a; ve->dombuf[2 * v + 1] = b; ve->dom[v] = &ve->dombuf[2 * v]; ve->dn[v] = 2;
			}
		}
	}
	/* factors */
	for (int i = 0; i < np; ++i) {
		if (!keep[i]) continue;
		int h = hemi(L, P, i), a = P->gt[2 * i], b = P->gt[2 * i + 1];
		int vp = 2 * i, vm = 2 * i + 1;
		if (!h && a != KM_NOALLELE && b >= 0 && a != b) {         /* {pat, mat} = {a, b} */
			int vv[2] = { vp, vm };
			fac_t *f = ve_newfac(ve, 2, vv, e);
			if (!f) return KM_ENOMEM;
			for (int x = 0; x < ve->dn[vp]; ++x)
				for (int y = 0; y < ve->dn[vm]; ++y)
					f->x[x * ve->dn[vm] + y] = ve->dom[vp][x] != ve->dom[vm][y];
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
				fac_t *f = ve_newfac(ve, 3, vv, e);
				if (!f) return KM_ENOMEM;
				int d1 = ve->dn[vv[0]], d2 = ve->dn[vv[1]], d3 = ve->dn[vp];
				for (int x = 0; x < d1; ++x)
					for (int y = 0; y < d2; ++y)
						for (int c = 0; c < d3; ++c) {
							int cc = ve->dom[vp][c];
							f->x[((size_t)x * d2 + y) * d3 + c] =
								0.5 * (trans1(L, L->Mm, ve->dom[vv[0]][x], cc) + trans1(L, L->Mm, ve->dom[vv[1]][y], cc));
						}
			}
		}
		{                                                         /* maternal allele */
			int vv[3] = { 2 * mo, 2 * mo + 1, vm };
			fac_t *f = ve_newfac(ve, 3, vv, e);
			if (!f) return KM_ENOMEM;
			int d1 = ve->dn[vv[0]], d2 = ve->dn[vv[1]], d3 = ve->dn[vm];
			for (int x = 0; x < d1; ++x)
				for (int y = 0; y < d2; ++y)
					for (int c = 0; c < d3; ++c) {
						int cc = ve->dom[vm][c];
						f->x[((size_t)x * d2 + y) * d3 + c] =
							0.5 * (trans1(L, L->Mf, ve->dom[vv[0]][x], cc) + trans1(L, L->Mf, ve->dom[vv[1]][y], cc));
					}
		}
	}
	return 0;
}

/* Eliminates every variable except those of person q (q < 0: all). */
static int ve_run(ve_t *ve, int q, km_err_t *e)
{
	int *fi = malloc(sizeof(int) * (size_t)(ve->nfac + 1) * 2), ret = 0;
	if (!fi) return km_err_set(e, KM_ENOMEM, "out of memory");
	int m_fi = (ve->nfac + 1) * 2;
	for (;;) {
		if (ve->zero) break;
		/* choose the variable whose elimination makes the smallest table */
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
		int nf = 0;
		for (int i = 0; i < ve->nfac; ++i) {
			const fac_t *f = &ve->fac[i];
			if (!f->alive) continue;
			for (int k = 0; k < f->nv; ++k) if (f->v[k] == best) { fi[nf++] = i; break; }
		}
		if ((ret = ve_combine(ve, fi, nf, best, e)) < 0) goto done;
		ve->dn[best] = 0;
		if (ve->nfac + 1 > m_fi) {
			m_fi = (ve->nfac + 1) * 2;
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

int km_lik_query(const km_locus_t *L, const km_lped_t *P, int q, double *phi, double *lg, km_err_t *e)
{
	int *keep = malloc(sizeof(int) * (size_t)(P->n + 1)), ret;
	ve_t ve;
	if (!keep) return km_err_set(e, KM_ENOMEM, "out of memory");
	km_lik_prune(P, q, keep);
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
	free(keep);
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
	int *edom = malloc(sizeof(int) * (size_t)(4 * np + 2));        /* up to 2 values, or all */
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
		int h = hemi(L, P, i), a = P->gt[2 * i], b = P->gt[2 * i + 1];
		for (int k = h ? 1 : 0; k < 2; ++k) {
			ev[ne] = 2 * i + k;
			if (a == KM_NOALLELE) edn[ne] = n;
			else if (h || b < 0 || a == b) edn[ne] = 1, edom[2 * ne] = a;
			else edn[ne] = 2, edom[2 * ne] = a, edom[2 * ne + 1] = b;
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
			int a = k < ne ? (edn[k] == n ? dig[k] : edom[2 * k + dig[k]]) : extra[k - ne];
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
