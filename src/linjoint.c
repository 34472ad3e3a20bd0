/* linjoint.c — Y-STR and mtDNA in a family holding placed remains (issue 11 part 7).
 *
 * The pairwise lineage LR (lineage.c, issue 3) of a remain V placed at missing person q is
 *     LR_1 = P_k(h_V - h_R) / f_V
 * with R the chosen reference (the closest typed person on q's line), k the meioses between
 * them, per compared Y locus and copy the symmetric single-step walk {-1: mu/2, 0: 1 - mu,
 * +1: mu/2} (Poisson differences for mtDNA), and f_V the database frequency of R's haplotype
 * where it is compared with V.  The identification (identrun.c) needs the term of a set S of
 * placements in one family against none placed.  Per lineage system it is a product over
 * the line components (trees of father links for Y, of mother links for mtDNA) that hold a
 * placed remain with data:
 *   - one such remain in a component: its pairwise LR — remains on different lines are
 *     independent given their references under the model, so this is exact;
 *   - Y, two or more, all with the same chosen reference R:
 *         LR_S = P(h_V1 .. h_Vm | h_R) / prod_i f_Vi,
 *     the numerator, per compared locus and copy, a sum over the repeat numbers x_u of the
 *     persons on the union T of the paths V_i — R (a tree: paths in a forest) of
 *         prod over the edges (u, v) of T of P_1(x_u - x_v),
 *     with x_R = h_R and x_Vi = h_Vi.  Founders need no repeat-number distribution: for a
 *     symmetric walk and a flat founder measure P(others | h_R) is this sum (P_1(d) = P_1(-d),
 *     and every factor off T sums to 1), computed by peeling T towards R: a node multiplies
 *     its children's messages, an edge convolves with P_1.  With one remain it is
 *     P_k(h_V - h_R), the pairwise numerator; f_Vi are the pairwise denominators, so one
 *     remain per family gives exactly the pairwise term (tests/unit/test_linjoint.c, with a
 *     brute-force sum over the untyped persons' repeat numbers).  A locus enters V_i's leaf
 *     where the pairwise LR compares it (typed in V_i, in R and in the database); a copy
 *     count that differs from R's, or a non-integral difference, is probability 0, as there;
 *   - otherwise — mtDNA with two or more remains on one maternal line (its model counts
 *     differences, not positions, and has no tree form), Y with two or more remains whose
 *     chosen references differ or that have none — not covered: that component's term of
 *     that system is left out (LR 1), counted in *n_uncov, and the run warns.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kmpriv.h"
#include "lineage.h"

#define LJ_NCACHE 16          /* candidate tables kept (the identification asks for few at a time) */
#define LJ_MAX_TREE 4096      /* persons on a tree: above, the component is not covered */

typedef struct { int sys, fam, q; double *tab; } lj_tab_t;

struct km_linj_s {
	const km_lin_t *L;
	const km_peds_t *peds;
	lj_tab_t c[LJ_NCACHE];
	int next;
	int max_np;
	int *pos, *tw, *idx, *dep, *ord, *chain;   /* per person of a family (max_np) */
	int *g;                                  /* placements with data, grouped */
	int m_g;
};

int km_linj_new(km_linj_t **Wp, const km_lin_t *L, const km_peds_t *peds, km_err_t *e)
{
	km_linj_t *W = calloc(1, sizeof *W);
	*Wp = NULL;
	if (!W) return km_err_set(e, KM_ENOMEM, "out of memory");
	W->L = L, W->peds = peds, W->max_np = 1;
	for (int f = 0; f < peds->n_family; ++f) if (peds->fam[f].n_person > W->max_np) W->max_np = peds->fam[f].n_person;
	size_t np = (size_t)W->max_np + 1;
	int *a = malloc(sizeof(int) * np * 6);
	if (!a) { free(W); return km_err_set(e, KM_ENOMEM, "out of memory"); }
	W->pos = a, W->tw = a + np, W->idx = a + 2 * np, W->dep = a + 3 * np, W->ord = a + 4 * np, W->chain = a + 5 * np;
	for (int i = 0; i < LJ_NCACHE; ++i) W->c[i].sys = -1;
	*Wp = W;
	return 0;
}

void km_linj_free(km_linj_t *W)
{
	if (!W) return;
	for (int i = 0; i < LJ_NCACHE; ++i) free(W->c[i].tab);
	free(W->pos);
	free(W->g);
	free(W);
}

/* the pairwise table of candidate (fam, q) in system sys, cached */
static int lj_tab(km_linj_t *W, int sys, int fam, int q, const double **tab, km_err_t *e)
{
	for (int i = 0; i < LJ_NCACHE; ++i)
		if (W->c[i].sys == sys && W->c[i].fam == fam && W->c[i].q == q) { *tab = W->c[i].tab; return 0; }
	lj_tab_t *t = &W->c[W->next];
	W->next = (W->next + 1) % LJ_NCACHE;
	free(t->tab);
	t->sys = -1;
	if (!(t->tab = malloc(sizeof(double) * ((size_t)km_lin_ncol(W->L, sys) + 1)))) return km_err_set(e, KM_ENOMEM, "out of memory");
	int ref, k, ret = km_lin_cand(W->L, sys, W->peds, fam, q, t->tab, &ref, &k, e);
	if (ret < 0) return ret;
	t->sys = sys, t->fam = fam, t->q = q;
	*tab = t->tab;
	return 0;
}

/* the top of q's chain of single parents (father: Y; mother: mt) */
static int lj_root(const km_family_t *fm, int male_line, int q)
{
	for (;;) {
		int p = male_line ? fm->person[q].father : fm->person[q].mother;
		if (p < 0) return q;
		q = p;
	}
}

/* The Y numerator of m remains (persons vq, columns vcol) with one reference rho (slot),
 * log10, by peeling the tree of their paths to rho (see the top of the file).  1 = done,
 * 0 = the tree is too large (not covered). */
static int lj_ytree(km_linj_t *W, const km_family_t *fm, int rho, int slot, const int *vq, const int *vcol, int m,
                    double *num, km_err_t *e)
{
	const km_lin_t *L = W->L;
	int n = fm->n_person, *pos = W->pos, *tw = W->tw, *idx = W->idx, *dep = W->dep, *ord = W->ord, *chain = W->chain;
	for (int i = 0; i < n; ++i) pos[i] = -1, tw[i] = -2;
	int nc = 0;
	for (int u = rho; u >= 0; u = fm->person[u].father) pos[u] = nc, chain[nc++] = u;
	int top = 0;
	for (int i = 0; i < m; ++i) {
		int u = vq[i];
		while (u >= 0 && pos[u] < 0) { tw[u] = fm->person[u].father; u = tw[u]; }
		if (u < 0) return 0;   /* not on rho's line: cannot happen for a chosen reference */
		if (pos[u] > top) top = pos[u];
	}
	tw[rho] = -1;
	for (int j = 1; j <= top; ++j) tw[chain[j]] = chain[j - 1];
	/* the nodes of T, and their distance to rho along tw */
	int nn = 0;
	for (int i = 0; i < n; ++i) if (tw[i] != -2) idx[i] = nn, ord[nn++] = i, dep[i] = -1;
	if (nn > LJ_MAX_TREE) return 0;
	dep[rho] = 0;
	for (int a = 0; a < nn; ++a) {   /* steps to a node of known distance, then along the path */
		int u = ord[a], d = 0, v = u;
		while (dep[v] < 0) v = tw[v], ++d;
		d += dep[v];
		for (v = u; dep[v] < 0; v = tw[v]) dep[v] = d--;
	}
	/* deepest first: children before the node they send to (insertion-free counting sort) */
	{
		int *cnt = calloc((size_t)nn + 2, sizeof(int)), *o2 = malloc(sizeof(int) * ((size_t)nn + 1));
		if (!cnt || !o2) { free(cnt); free(o2); return km_err_set(e, KM_ENOMEM, "out of memory"); }
		for (int a = 0; a < nn; ++a) ++cnt[nn - 1 - dep[ord[a]] + 1];
		for (int d = 0; d < nn; ++d) cnt[d + 1] += cnt[d];
		for (int a = 0; a < nn; ++a) o2[cnt[nn - 1 - dep[ord[a]]]++] = ord[a];
		memcpy(ord, o2, sizeof(int) * (size_t)nn);
		free(cnt); free(o2);
	}
	int wd = nn + 1, w = 2 * wd + 1, nl = km_lin_y_nloc(L);
	double *msg = malloc(sizeof(double) * ((size_t)nn * w + w + 1)), *tmp = msg + (size_t)nn * w;
	if (!msg) return km_err_set(e, KM_ENOMEM, "out of memory");
	const double *rv = km_lin_y_ref(L, slot);
	double lsum = 0.0;
	for (int l = 0; l < nl && lsum > KM_NEG_INF; ++l) {
		if (isnan(rv[2 * l])) continue;   /* the reference is not typed: nothing compared */
		double mu = km_lin_y_mu(L, l);
		for (int j = 0; j < 2 && lsum > KM_NEG_INF; ++j) {
			if (isnan(rv[2 * l + j])) break;
			int any = 0;
			for (size_t a = 0; a < (size_t)nn * w; ++a) msg[a] = 1.0;
			for (int i = 0; i < m; ++i) {
				const double *cv = km_lin_y_col(L, vcol[i]);
				if (isnan(cv[2 * l])) continue;                              /* not compared with V_i */
				if (isnan(cv[2 * l + 1]) != isnan(rv[2 * l + 1])) { lsum = KM_NEG_INF; break; }   /* copy counts differ */
				double dlt = cv[2 * l + j] - rv[2 * l + j], dr = rint(dlt);
				if (fabs(dlt - dr) > 1e-6 || fabs(dr) >= wd) { lsum = KM_NEG_INF; break; }     /* non-integral, or out of reach */
				double *mv = msg + (size_t)idx[vq[i]] * w;
				for (int x = 0; x < w; ++x) if (x != (int)dr + wd) mv[x] = 0.0;
				any = 1;
			}
			if (lsum == KM_NEG_INF || !any) continue;
			for (int a = 0; a < nn; ++a) {
				int u = ord[a];
				if (u == rho) continue;
				const double *mu_ = msg + (size_t)idx[u] * w;
				double *mp = msg + (size_t)idx[tw[u]] * w;
				for (int x = 0; x < w; ++x) {   /* the edge: sum over x_u of P_1(x_u - x) m_u(x_u) */
					double t = (1.0 - mu) * mu_[x];
					if (x > 0) t += 0.5 * mu * mu_[x - 1];
					if (x + 1 < w) t += 0.5 * mu * mu_[x + 1];
					tmp[x] = t;
				}
				for (int x = 0; x < w; ++x) mp[x] *= tmp[x];
			}
			double v = msg[(size_t)idx[rho] * w + wd];   /* x_R = h_R: offset 0 */
			lsum = v > 0.0 ? lsum + log10(v) : KM_NEG_INF;
		}
	}
	free(msg);
	*num = lsum;
	return 1;
}

int km_linj_term(km_linj_t *W, int sys, int fam, const int *q, const int *rem, int n, double *lr, int *n_uncov, km_err_t *e)
{
	const km_lin_t *L = W->L;
	*lr = 0.0, *n_uncov = 0;
	if (!L || km_lin_ncol(L, sys) <= 1 || n <= 0) return 0;
	const km_family_t *fm = &W->peds->fam[fam];
	int male = sys == KM_SYS_Y, ng = 0, ret;
	if (n * 2 > W->m_g) {
		int *t = realloc(W->g, sizeof(int) * 2 * (size_t)n);
		if (!t) return km_err_set(e, KM_ENOMEM, "out of memory");
		W->g = t, W->m_g = 2 * n;
	}
	/* placements whose remain has data in the system, as (root of its line, placement) */
	for (int i = 0; i < n; ++i) {
		if (km_lin_col(L, sys, rem[i]) == 0) continue;
		int r = lj_root(fm, male, q[i]), j = ng++;
		while (j > 0 && (W->g[2 * (j - 1)] > r || (W->g[2 * (j - 1)] == r && W->g[2 * (j - 1) + 1] > i))) {
			W->g[2 * j] = W->g[2 * (j - 1)], W->g[2 * j + 1] = W->g[2 * (j - 1) + 1];
			--j;
		}
		W->g[2 * j] = r, W->g[2 * j + 1] = i;
	}
	double acc = 0.0;
	for (int a = 0; a < ng && acc > KM_NEG_INF;) {
		int b = a;
		while (b < ng && W->g[2 * b] == W->g[2 * a]) ++b;
		int i0 = W->g[2 * a + 1], slot, ref, k;
		km_lin_person(L, sys, fam, q[i0], &slot, &ref, &k);
		if (b - a == 1) {   /* one remain on this line: the pairwise LR */
			if (slot >= 0) {
				const double *tab = NULL;
				if ((ret = lj_tab(W, sys, fam, q[i0], &tab, e)) < 0) return ret;
				double v = tab[km_lin_col(L, sys, rem[i0])];
				acc = v == KM_NEG_INF ? KM_NEG_INF : acc + v;
			}
			a = b;
			continue;
		}
		int ok = male && slot >= 0;
		for (int c = a + 1; c < b && ok; ++c) {
			int s2, r2, k2;
			km_lin_person(L, sys, fam, q[W->g[2 * c + 1]], &s2, &r2, &k2);
			ok = s2 == slot && r2 == ref;
		}
		int vq[64], vcol[64], m = b - a;
		if (ok && m <= 64) {
			for (int c = a; c < b; ++c) vq[c - a] = q[W->g[2 * c + 1]], vcol[c - a] = km_lin_col(L, sys, rem[W->g[2 * c + 1]]);
			double num = 0.0;
			if ((ret = lj_ytree(W, fm, ref, slot, vq, vcol, m, &num, e)) < 0) return ret;
			ok = ret == 1;
			if (ok && num == KM_NEG_INF) acc = KM_NEG_INF;
			else if (ok) {
				double den = 0.0, lf;
				for (int c = 0; c < m; ++c) {
					if ((ret = km_lin_y_logf(L, slot, vcol[c], &lf, e)) < 0) return ret;
					den += lf;
				}
				acc += num - den;
			}
		}
		if (!ok) ++*n_uncov;   /* left out: LR 1 for this line */
		a = b;
	}
	*lr = acc;
	return 0;
}
