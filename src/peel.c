/* peel.c — exact likelihood at one locus by peeling, for pedigrees without loops.
 *
 * The same quantity as the variable elimination of lik.c — P(data, ordered genotype of
 * q) — computed the way Elston & Stewart (1971) and Cannings, Thompson & Skolnick (1978)
 * peel a pedigree whose marriage graph is a tree: one message per (nuclear family,
 * member), each a function of that member's ordered genotype (pat, mat), or of his one
 * allele for a man at an X locus.  The message of a person X towards a family N is
 *     W_X = prior(X) or alpha(parents' family -> X)        (founder / not)
 *         * [typed: indicator of the observed unordered genotype]
 *         * prod over X's other families S of beta(S -> X)
 * and a family sends to one of its members t
 *     sum over the other members' genotypes of prod W * prod_children T(child | parents),
 * with T(c | f1, f2) = (M[f1, c] + M[f2, c]) / 2 (autosomal, and from a mother at X),
 * M[h, c] from a man's one X to a daughter, nothing from a father to a son at X
 * (MODELS.md §2; the mutation matrices M of mut.c).
 *
 * Why it is fast: given the children's transmitted alleles, the father's side and the
 * mother's side of a family are independent.  So each child other than t is expanded
 * into a few "choices" of (paternal allele or weight vector, maternal allele or weight
 * vector): a typed child's one or two phases, a separable message as it is, a dense
 * message row by row.  For each combination, each parent's sum is done on its own:
 *   - a typed parent: over its one or two phases;
 *   - a parent with a separable message u(f1) v(f2) (founders: u = v = p): the product
 *     over its children of (h_k(f1) + h_k(f2)) / 2 is expanded over which allele each
 *     child received (2^K subsets, the segregation indicators of Lander & Green 1987
 *     summed in closed form), so f1 and f2 are summed separately;
 *   - a parent with a dense message: directly over its n^2 genotypes.
 * A nephew's or cousin's table then costs O(n^3) in a few dense loops instead of the
 * general elimination's bookkeeping, and a typed sibship O(2^K K n^2).
 *
 * Not handled here (the caller falls back to lik.c's elimination, which is exact for any
 * pedigree): marriage or inbreeding loops, typed persons not connected to q, q < 0,
 * more than PEEL_MAXK informative children in one family, too many combinations.
 * Every message is divided by its largest entry and the log10 of that is carried, so
 * long pedigrees cannot underflow.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kmpriv.h"
#include "lik.h"
#include "obs.h"

/* The dense loops are cloned for AVX2: the same element-wise products and sums in the
 * same order (no FMA contraction, no reordered reductions), only wider; every clone gives
 * the same bits. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define KM_PEEL_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define KM_PEEL_CLONES
#endif

#define PEEL_MAXK 10          /* informative children of one parent (2^K subsets) */
#define PEEL_MAXCOMB 65536.0  /* combinations of children's choices in one family */

/* ---- workspace: a bump allocator over chunks, reset per query ------------------------ */

typedef struct chunk_s {
	struct chunk_s *next;
	size_t cap, used;
	double x[];
} chunk_t;

struct km_lws_s {
	chunk_t *head;
	int *keep, m_keep;         /* km_lik_query_ws's pruning, kept across calls */
};

int *km_lws_keep(km_lws_t *ws, int n)
{
	if (n + 1 > ws->m_keep) {
		int *k = realloc(ws->keep, sizeof(int) * (size_t)(n + 1));
		if (!k) return NULL;
		ws->keep = k, ws->m_keep = n + 1;
	}
	return ws->keep;
}

km_lws_t *km_lws_new(void)
{
	return calloc(1, sizeof(km_lws_t));
}

void km_lws_free(km_lws_t *ws)
{
	if (!ws) return;
	for (chunk_t *c = ws->head, *nx; c; c = nx) nx = c->next, free(c);
	free(ws->keep);
	free(ws);
}

/* keeps one chunk as large as everything the last query used */
static int ws_reset(km_lws_t *ws)
{
	chunk_t *c = ws->head;
	if (!c) return 0;
	if (!c->next) { c->used = 0; return 0; }
	size_t tot = 0;
	for (chunk_t *x = c, *nx; x; x = nx) nx = x->next, tot += x->cap, free(x);
	ws->head = malloc(sizeof(chunk_t) + sizeof(double) * tot);
	if (!ws->head) return -1;
	ws->head->next = NULL, ws->head->cap = tot, ws->head->used = 0;
	return 0;
}

static void *ws_get(km_lws_t *ws, size_t nd)
{
	chunk_t *c = ws->head;
	nd = (nd + 7) & ~(size_t)7;            /* 64-byte multiples keep vectors aligned */
	if (!c || c->used + nd > c->cap) {
		size_t cap = (size_t)1 << 15;
		if (c && cap < 2 * c->cap) cap = 2 * c->cap;
		if (cap < nd) cap = nd;
		chunk_t *n = malloc(sizeof(chunk_t) + sizeof(double) * cap);
		if (!n) return NULL;
		n->next = c, n->cap = cap, n->used = 0;
		ws->head = c = n;
	}
	void *p = c->x + c->used;
	c->used += nd;
	return p;
}

/* ---- genotype functions ------------------------------------------------------------- */

enum { GF_ONE, GF_SPARSE, GF_PROD, GF_DENSE, GF_HALF };
#define GF_MAXE 4

/* f over a person's ordered genotype (nd = 2: f(pat, mat)) or a man's X allele (nd = 1) */
typedef struct {
	int kind, nd;
	int ne, ea[GF_MAXE], eb[GF_MAXE];   /* GF_SPARSE: f = sum of ew at (ea, eb), plus c everywhere */
	double ew[GF_MAXE], c;               /* c != 0 only for a typed leaf's call with typing error
	                                        (evidence(); obs.h), consumed by fam_msg as a choice */
	const double *u, *v;                 /* GF_PROD: f(a, b) = u[a] v[b]; nd 1: u[a] */
	const double *d;                     /* GF_DENSE: d[a * n + b]; nd 1: d[a] */
	                                     /* GF_HALF (nd 2): f(a, b) = (d[a] + d[b]) / 2 */
} gf_t;

typedef struct {
	const km_locus_t *L;
	const km_lped_t *P;
	const int *keep;
	km_lws_t *ws;
	int n;
	const double *Mm, *Mf;   /* row-major transmission matrices (identity materialised) */
	const double *MmT, *MfT; /* their transposes: column c of M is row c of MT */
	const double *Km, *Kf;   /* sibling kernels (km_peel_sib_kernel), when needed */
	int nfam;
	int *ffa, *fmo;          /* family f's father and mother */
	int *kid, *kid_start;    /* family f's children kid[kid_start[f] .. kid_start[f+1]) */
	int *up;                 /* person i's parents' family, -1 for a founder */
	int *sp, *sp_start;      /* person i's families as a parent */
	gf_t *pm;                /* person i's message towards its parent node (peel_tree) */
	gf_t *fm;                /* family f's message towards its parent person */
	int *stk;                /* peel_tree's stack: 3 ints an entry */
	double lg;
	long e2;                 /* messages were scaled by 2^-e2 in all */
	int zero;
	km_err_t *e;
} pl_t;

static inline int pl_hemi(const pl_t *S, int i)
{
	return S->L->xlinked && S->P->sex[i] == KM_MALE;
}

static double gf_eval(const gf_t *g, int n, int a, int b)
{
	switch (g->kind) {
	case GF_ONE: return 1.0;
	case GF_SPARSE: {
		double s = g->c;
		for (int k = 0; k < g->ne; ++k) if (g->ea[k] == a && (g->nd == 1 || g->eb[k] == b)) s += g->ew[k];
		return s;
	}
	case GF_PROD: return g->nd == 1 ? g->u[a] : g->u[a] * g->v[b];
	case GF_HALF: return 0.5 * (g->d[a] + g->d[b]);
	default: return g->nd == 1 ? g->d[a] : g->d[(size_t)a * n + b];
	}
}

/* scales g by the power of two that brings its largest value into [1/2, 1): exact, and
 * the exponent goes to S->e2 (no logarithm per message); all zero sets S->zero */
static int gf_norm(pl_t *S, gf_t *g)
{
	int n = S->n, ex;
	double mx = 0.0;
	if (g->kind == GF_ONE) return 0;
	if (g->kind == GF_SPARSE) {
		for (int k = 0; k < g->ne; ++k) if (g->ew[k] + g->c > mx) mx = g->ew[k] + g->c;
		if (g->c > mx) mx = g->c;
		if (mx == 0.0) { S->zero = 1; return 0; }
		frexp(mx, &ex);
		double r = ldexp(1.0, -ex);
		for (int k = 0; k < g->ne; ++k) g->ew[k] *= r;
		g->c *= r;
		S->e2 += ex;
		return 0;
	}
	if (g->kind == GF_PROD) {
		double *u = ws_get(S->ws, (size_t)2 * n), *v = u + n, mu = 0.0, mv = 0.0;
		int eu, ev = 0;
		if (!u) return km_err_set(S->e, KM_ENOMEM, "out of memory");
		for (int a = 0; a < n; ++a) if (g->u[a] > mu) mu = g->u[a];
		if (g->nd == 2) for (int a = 0; a < n; ++a) if (g->v[a] > mv) mv = g->v[a];
		if (mu == 0.0 || (g->nd == 2 && mv == 0.0)) { S->zero = 1; return 0; }
		frexp(mu, &eu);
		double ru = ldexp(1.0, -eu);
		for (int a = 0; a < n; ++a) u[a] = g->u[a] * ru;
		if (g->nd == 2) {
			frexp(mv, &ev);
			double rv = ldexp(1.0, -ev);
			for (int a = 0; a < n; ++a) v[a] = g->v[a] * rv;
		}
		S->e2 += eu + ev;
		g->u = u, g->v = g->nd == 2 ? v : NULL;
		return 0;
	}
	size_t N = g->nd == 1 || g->kind == GF_HALF ? (size_t)n : (size_t)n * n;
	double *d = (double *)g->d;           /* dense values are always this step's own */
	for (size_t i = 0; i < N; ++i) if (d[i] > mx) mx = d[i];
	if (mx == 0.0) { S->zero = 1; return 0; }
	frexp(mx, &ex);
	double r = ldexp(1.0, -ex);
	for (size_t i = 0; i < N; ++i) d[i] *= r;
	S->e2 += ex;
	return 0;
}

static int gf_densify(pl_t *S, gf_t *g);

/* *o = a * b (pointwise) */
static int gf_mul(pl_t *S, const gf_t *a, const gf_t *b, gf_t *o)
{
	int n = S->n;
	if (a->kind == GF_ONE) { *o = *b; return 0; }
	if (b->kind == GF_ONE) { *o = *a; return 0; }
	gf_t ad, bd;   /* a sparse call plus a constant is not sparse in a product: dense */
	if (a->kind == GF_SPARSE && a->c != 0.0) { int r = gf_densify(S, (ad = *a, &ad)); if (r < 0) return r; a = &ad; }
	if (b->kind == GF_SPARSE && b->c != 0.0) { int r = gf_densify(S, (bd = *b, &bd)); if (r < 0) return r; b = &bd; }
	if (b->kind == GF_SPARSE && a->kind != GF_SPARSE) { const gf_t *t = a; a = b; b = t; }
	if (a->kind == GF_SPARSE) {
		gf_t r = *a;
		for (int k = 0; k < r.ne; ++k) r.ew[k] *= gf_eval(b, n, r.ea[k], r.eb[k]);
		*o = r;
		return 0;
	}
	gf_t r;
	memset(&r, 0, sizeof r);
	r.nd = a->nd;
	if (a->kind == GF_PROD && b->kind == GF_PROD) {
		double *u = ws_get(S->ws, (size_t)2 * n), *v = u + n;
		if (!u) return km_err_set(S->e, KM_ENOMEM, "out of memory");
		for (int x = 0; x < n; ++x) u[x] = a->u[x] * b->u[x];
		if (r.nd == 2) for (int x = 0; x < n; ++x) v[x] = a->v[x] * b->v[x];
		r.kind = GF_PROD, r.u = u, r.v = r.nd == 2 ? v : NULL;
		*o = r;
		return 0;
	}
	size_t N = r.nd == 1 ? (size_t)n : (size_t)n * n;
	double *d = ws_get(S->ws, N);
	if (!d) return km_err_set(S->e, KM_ENOMEM, "out of memory");
	if (r.nd == 1) {
		for (int x = 0; x < n; ++x) d[x] = gf_eval(a, n, x, 0) * gf_eval(b, n, x, 0);
	} else if (a->kind == GF_HALF || b->kind == GF_HALF) {
		for (int x = 0; x < n; ++x)
			for (int y = 0; y < n; ++y) d[(size_t)x * n + y] = gf_eval(a, n, x, y) * gf_eval(b, n, x, y);
	} else if (a->kind == GF_PROD || b->kind == GF_PROD) {
		const gf_t *p = a->kind == GF_PROD ? a : b, *q = a->kind == GF_PROD ? b : a;
		for (int x = 0; x < n; ++x)
			for (int y = 0; y < n; ++y) d[(size_t)x * n + y] = p->u[x] * p->v[y] * q->d[(size_t)x * n + y];
	} else {
		for (size_t i = 0; i < N; ++i) d[i] = a->d[i] * b->d[i];
	}
	r.kind = GF_DENSE, r.d = d;
	*o = r;
	return 0;
}

/* typed person i: P(call | genotype) from the observation model (obs.h; MODELS.md §2):
 * sparse (the indicator of an exact call) or dense (a dropout homozygote).  Returns 1 if
 * typed, 0 if not, < 0 on error. */
_Static_assert(GF_MAXE >= KM_OBS_MAXE, "a sparse call fits a sparse message");
/* leaf = 1: i is a child with no family of its own, asked for its message to its parents'
 * family; then an exact call with typing error is sparse + constant (obs.h): (1 - E) at
 * its phases plus E c everywhere, which fam_msg turns into one more choice.  Anywhere
 * else such a call is dense. */
static int evidence(const pl_t *S, int i, gf_t *g, int leaf)
{
	km_obs_t o;
	if (!km_obs_call(&o, S->P->obs ? &S->P->obs[i] : NULL, S->P->gt[2 * i], S->P->gt[2 * i + 1], pl_hemi(S, i)))
		return 0;
	memset(g, 0, sizeof *g);
	g->nd = o.nd;
	if (leaf && o.te > 0.0 && o.sp > 0) {
		g->kind = GF_SPARSE, g->ne = o.sp;
		for (int k = 0; k < o.sp; ++k) g->ea[k] = o.ea[k], g->eb[k] = o.eb[k], g->ew[k] = (1.0 - o.te) * o.ew[k];
		g->c = o.te * o.tc;
		return 1;
	}
	if (o.ne > 0) {
		g->kind = GF_SPARSE, g->ne = o.ne;
		for (int k = 0; k < o.ne; ++k) g->ea[k] = o.ea[k], g->eb[k] = o.eb[k], g->ew[k] = o.ew[k];
		return 1;
	}
	int n = S->n;
	double *d = ws_get(S->ws, o.nd == 1 ? (size_t)n : (size_t)n * n);
	if (!d) return km_err_set(S->e, KM_ENOMEM, "out of memory");
	if (o.nd == 1) for (int x = 0; x < n; ++x) d[x] = km_obs_at(&o, x, 0);
	else for (int x = 0; x < n; ++x) for (int y = 0; y < n; ++y) d[(size_t)x * n + y] = km_obs_at(&o, x, y);
	g->kind = GF_DENSE, g->d = d;
	return 1;
}

/* ---- one parent's side of a family ------------------------------------------------ */

enum { OUT_SCALAR, OUT_VEC, OUT_GENO };

/* Sum over the parent's genotype G of W(G) * prod_k T_k(G) [* T(x | G)], where
 * T_k(G) = (h_k(g1) + h_k(g2)) / 2 (nd 2) or h_k(g) (nd 1) for the K items h_k (functions
 * of the parent's allele: a column of M for a fixed child allele, M u for a weight vector),
 * and T(x | G) is the transmission to the target child's allele x through M (OUT_VEC:
 * out[x]).  W == NULL (OUT_GENO): the parent is the target: out = prod_k T_k as a function
 * of the parent's genotype (restricted to the entries of res when given: sparse out_g).
 * Returns the scalar (OUT_SCALAR). */
KM_PEEL_CLONES
static double side(pl_t *S, const gf_t *W, int nd, const double *M, const double *const *h, int K,
                   int mode, double *out, const gf_t *res, gf_t *out_g, double *scr)
{
	int n = S->n;
	size_t nn = (size_t)n * n;
	if (mode == OUT_GENO) {
		if (res) {            /* only at the target's observed phases */
			*out_g = *res;
			for (int k = 0; k < res->ne; ++k) {
				double pr = 1.0;
				int a = res->ea[k], b = res->eb[k];
				for (int j = 0; j < K; ++j) pr *= nd == 1 ? h[j][a] : 0.5 * (h[j][a] + h[j][b]);
				out_g->ew[k] = pr;
			}
			return 0.0;
		}
		if (nd == 1) {
			for (int a = 0; a < n; ++a) out[a] = 1.0;
			for (int j = 0; j < K; ++j) for (int a = 0; a < n; ++a) out[a] *= h[j][a];
			return 0.0;
		}
		/* symmetric in (g1, g2): the upper triangle only (b >= a); the caller mirrors */
		for (int a = 0; a < n; ++a) for (int b = a; b < n; ++b) out[(size_t)a * n + b] = 1.0;
		for (int j = 0; j < K; ++j) {
			const double *hj = h[j];
			for (int a = 0; a < n; ++a) {
				double *o = out + (size_t)a * n, ha = hj[a];
				for (int b = a; b < n; ++b) o[b] *= 0.5 * (ha + hj[b]);
			}
		}
		return 0.0;
	}
	if (mode == OUT_VEC) for (int x = 0; x < n; ++x) out[x] = 0.0;
	if (W->kind == GF_SPARSE) {
		double s = 0.0;
		for (int k = 0; k < W->ne; ++k) {
			int a = W->ea[k], b = W->eb[k];
			double pr = W->ew[k];
			for (int j = 0; j < K; ++j) pr *= nd == 1 ? h[j][a] : 0.5 * (h[j][a] + h[j][b]);
			if (mode == OUT_VEC && pr != 0.0) {
				const double *ra = M + (size_t)a * n, *rb = M + (size_t)b * n;
				if (nd == 1) for (int x = 0; x < n; ++x) out[x] += pr * ra[x];
				else for (int x = 0; x < n; ++x) out[x] += pr * 0.5 * (ra[x] + rb[x]);
			}
			s += pr;
		}
		return s;
	}
	if (nd == 1) {            /* a man at X: one allele, weight vector u */
		const double *u = W->kind == GF_DENSE ? W->d : W->u;
		double *g = scr, s = 0.0;
		for (int a = 0; a < n; ++a) {
			double pr = W->kind == GF_ONE ? 1.0 : u[a];
			for (int j = 0; j < K; ++j) pr *= h[j][a];
			g[a] = pr, s += pr;
		}
		if (mode == OUT_VEC)
			for (int a = 0; a < n; ++a) {
				if (g[a] == 0.0) continue;
				const double *ra = M + (size_t)a * n;
				for (int x = 0; x < n; ++x) out[x] += g[a] * ra[x];
			}
		return s;
	}
	if (W->kind == GF_DENSE) {
		/* Z = W * prod_k T_k over the n^2 genotypes; the target's allele comes from
		 * either: sum_G Z(G) (M[g1,x] + M[g2,x]) / 2 = sum_f M[f,x] (rowsum + colsum)(f) / 2 */
		double *Z = scr, *r = Z + nn, s = 0.0;
		memcpy(Z, W->d, sizeof(double) * nn);
		for (int j = 0; j < K; ++j) {
			const double *hj = h[j];
			for (int a = 0; a < n; ++a) {
				double *z = Z + (size_t)a * n, ha = hj[a];
				for (int b = 0; b < n; ++b) z[b] *= 0.5 * (ha + hj[b]);
			}
		}
		for (int a = 0; a < n; ++a) r[a] = 0.0;
		for (int a = 0; a < n; ++a) {
			const double *z = Z + (size_t)a * n;
			double rs = 0.0;
			for (int b = 0; b < n; ++b) rs += z[b], r[b] += z[b];
			r[a] += rs, s += rs;
		}
		if (mode == OUT_VEC)
			for (int a = 0; a < n; ++a) {
				if (r[a] == 0.0) continue;
				const double *ra = M + (size_t)a * n;
				double w = 0.5 * r[a];
				for (int x = 0; x < n; ++x) out[x] += w * ra[x];
			}
		return s;
	}
	/* separable W = u(g1) v(g2) (GF_ONE: u = v = 1): expand prod_k (h_k(g1) + h_k(g2)) / 2
	 * = 2^-K sum_A P_A(g1) P_{~A}(g2), P_A = prod_{k in A} h_k; then g1 and g2 are summed
	 * apart: c1_A = sum u P_A, c2_A = sum v P_A, and the target's allele from g1 or g2:
	 * out[x] = 2^-K / 2 sum_f M[f,x] [u(f) sum_A P_A(f) c2_~A + v(f) sum_A P_A(f) c1_~A] */
	int NA = 1 << K, full = NA - 1;
	double *PA = scr, *c1 = PA + (size_t)NA * n, *c2 = c1 + NA, *g = c2 + NA;
	for (int a = 0; a < n; ++a) PA[a] = 1.0;
	for (int A = 1; A < NA; ++A) {
		int k = 31 - __builtin_clz((unsigned)A);          /* highest member */
		const double *prev = PA + (size_t)(A & ~(1 << k)) * n, *hk = h[k];
		double *cur = PA + (size_t)A * n;
		for (int a = 0; a < n; ++a) cur[a] = prev[a] * hk[a];
	}
	for (int A = 0; A < NA; ++A) {
		const double *pa = PA + (size_t)A * n;
		double s1 = 0.0, s2 = 0.0;
		if (W->kind == GF_ONE) for (int a = 0; a < n; ++a) s1 += pa[a];
		else if (W->u == W->v) for (int a = 0; a < n; ++a) s1 += W->u[a] * pa[a];   /* a founder: u = v = p */
		else for (int a = 0; a < n; ++a) s1 += W->u[a] * pa[a], s2 += W->v[a] * pa[a];
		c1[A] = s1, c2[A] = W->kind == GF_ONE || W->u == W->v ? s1 : s2;
	}
	double s = 0.0, w = ldexp(1.0, -K);
	for (int A = 0; A < NA; ++A) s += c1[A] * c2[full ^ A];
	if (mode == OUT_VEC) {
		for (int a = 0; a < n; ++a) g[a] = 0.0;
		for (int A = 0; A < NA; ++A) {
			const double *pa = PA + (size_t)A * n;
			double k2 = c2[full ^ A], k1 = c1[full ^ A];
			if (W->kind == GF_ONE) for (int a = 0; a < n; ++a) g[a] += pa[a] * (k1 + k2);
			else for (int a = 0; a < n; ++a) g[a] += pa[a] * (W->u[a] * k2 + W->v[a] * k1);
		}
		for (int a = 0; a < n; ++a) {
			if (g[a] == 0.0) continue;
			const double *ra = M + (size_t)a * n;
			double wa = 0.5 * w * g[a];
			for (int x = 0; x < n; ++x) out[x] += wa * ra[x];
		}
	}
	return w * s;
}

/* o = M v, from the transpose MT: o = sum_c v[c] MT[c, .] (rows added in a fixed order,
 * so the loop vectorises without reordering any sum) */
KM_PEEL_CLONES
static void mat_vec(const double *restrict MT, int n, const double *restrict v, double *restrict o)
{
	for (int g = 0; g < n; ++g) o[g] = 0.0;
	for (int c = 0; c < n; ++c) {
		double w = v[c];
		if (w == 0.0) continue;
		const double *restrict r = MT + (size_t)c * n;
		for (int g = 0; g < n; ++g) o[g] += w * r[g];
	}
}

/* ---- messages ------------------------------------------------------------------------ */

/* a founder's own prior, untouched (Hardy–Weinberg) */
static int is_founder(const pl_t *S, const gf_t *W)
{
	return W->kind == GF_PROD && W->u == S->L->p && W->v == S->L->p;
}

static int gf_densify(pl_t *S, gf_t *g)
{
	int n = S->n;
	double *d = ws_get(S->ws, (size_t)n * n);
	if (!d) return km_err_set(S->e, KM_ENOMEM, "out of memory");
	for (int a = 0; a < n; ++a)
		for (int b = 0; b < n; ++b) d[(size_t)a * n + b] = gf_eval(g, n, a, b);
	g->kind = GF_DENSE, g->d = d;
	return 0;
}

/* The sibling kernel of a locus, K(x, a) = sum_G P(G) T(x | G) T(a | G) over a founder's
 * genotype G: the joint law of the alleles two children receive from one founder,
 *     K = (S_p A + pi pi^T) / 2,  A = M^T diag(p) M,  pi = M^T p,  S_p = sum p
 * (S_p is kept: the tables' frequencies need not sum to exactly 1). */
void km_peel_sib_kernel(const double *p, const double *M, int n, double *K)
{
	double sp = 0.0;
	double *pi = K + (size_t)n * n;     /* caller gives n^2 + n */
	for (int a = 0; a < n; ++a) sp += p[a];
	for (int x = 0; x < n; ++x) {
		double s = 0.0;
		for (int f = 0; f < n; ++f) s += p[f] * (M ? M[(size_t)f * n + x] : (double)(f == x));
		pi[x] = s;
	}
	for (int x = 0; x < n; ++x)
		for (int a = 0; a < n; ++a) {
			double s = 0.0;
			for (int f = 0; f < n; ++f)
				s += p[f] * (M ? M[(size_t)f * n + x] * M[(size_t)f * n + a] : (double)(f == x && f == a));
			K[(size_t)x * n + a] = 0.5 * (sp * s + pi[x] * pi[a]);
		}
}

static int kernels(pl_t *S)
{
	int n = S->n;
	if (S->Km) return 0;
	if (S->L->Km && S->L->Kf) { S->Km = S->L->Km, S->Kf = S->L->Kf; return 0; }
	double *k = ws_get(S->ws, 2 * ((size_t)n * n + (size_t)n));
	if (!k) return km_err_set(S->e, KM_ENOMEM, "out of memory");
	km_peel_sib_kernel(S->L->p, S->L->Mm, n, k);
	km_peel_sib_kernel(S->L->p, S->L->Mf, n, k + (size_t)n * n + n);
	S->Km = k, S->Kf = k + (size_t)n * n + n;
	return 0;
}

/* o = A B for n x n row-major matrices: each o[x][y] the sum over a of A[x][a] B[a][y]
 * in increasing a (the same products and order as a plain triple loop), eight
 * columns y at a time held in registers while a runs */
typedef double v4d __attribute__((vector_size(32)));

KM_PEEL_CLONES
static void mat_mul(const double *restrict A, const double *restrict B, int n, double *restrict o)
{
	int y0 = 0;
	for (; y0 + 8 <= n; y0 += 8)
		for (int x = 0; x < n; ++x) {
			const double *ax = A + (size_t)x * n;
			v4d s0 = { 0.0, 0.0, 0.0, 0.0 }, s1 = s0;
			for (int a = 0; a < n; ++a) {
				v4d b0, b1, w = { ax[a], ax[a], ax[a], ax[a] };
				memcpy(&b0, B + (size_t)a * n + y0, sizeof b0);
				memcpy(&b1, B + (size_t)a * n + y0 + 4, sizeof b1);
				s0 += w * b0, s1 += w * b1;
			}
			memcpy(o + (size_t)x * n + y0, &s0, sizeof s0);
			memcpy(o + (size_t)x * n + y0 + 4, &s1, sizeof s1);
		}
	for (int x = 0; x < n; ++x)                /* the last n % 8 columns */
		for (int y = y0; y < n; ++y) {
			double s = 0.0;
			for (int a = 0; a < n; ++a) s += A[(size_t)x * n + a] * B[(size_t)a * n + y];
			o[(size_t)x * n + y] = s;
		}
}

/* A child t of two untouched founders whose only other informative child has message W:
 *     alpha(x, y) = sum_{a,b} K_m(x, a) K_f(y, b) W(a, b) = (K_m W K_f)(x, y)
 * (K symmetric), two matrix products; O(n^2) when W = (w(a) + w(b)) / 2. */
static int sib_kernel(pl_t *S, const gf_t *W, gf_t *out)
{
	int n = S->n, ret;
	size_t nn = (size_t)n * n;
	if ((ret = kernels(S)) < 0) return ret;
	double *o = ws_get(S->ws, 2 * nn + 4 * (size_t)n);
	if (!o) return km_err_set(S->e, KM_ENOMEM, "out of memory");
	if (W->kind == GF_HALF) {
		/* K W K = (K_m w)(K_f 1)^T / 2 + (K_m 1)(K_f w)^T / 2 */
		double *mw = o + nn, *m1 = mw + n, *fw = m1 + n, *f1 = fw + n;
		for (int x = 0; x < n; ++x) {
			const double *km = S->Km + (size_t)x * n, *kf = S->Kf + (size_t)x * n;
			double a = 0.0, b = 0.0, c = 0.0, d = 0.0;
			for (int j = 0; j < n; ++j) a += km[j] * W->d[j], b += km[j], c += kf[j] * W->d[j], d += kf[j];
			mw[x] = a, m1[x] = b, fw[x] = c, f1[x] = d;
		}
		for (int x = 0; x < n; ++x)
			for (int y = 0; y < n; ++y) o[(size_t)x * n + y] = 0.5 * (mw[x] * f1[y] + m1[x] * fw[y]);
	} else {
		double *t = o + nn;
		mat_mul(S->Km, W->d, n, t);
		mat_mul(t, S->Kf, n, o);
	}
	memset(out, 0, sizeof *out);
	out->kind = GF_DENSE, out->nd = 2, out->d = o;
	return gf_norm(S, out);
}

/* A parent t whose family has one informative child (message W) and a spouse with
 * message WS: the spouse's side gives the child's other allele the weights
 * s(c) = sum_G WS(G) T(c | G); then r(a) = sum_c W(a, c) s(c) over the allele a the child
 * had from t, and beta(t1, t2) = (v(t1) + v(t2)) / 2 with v = M_t r: separable. */
static int one_child(pl_t *S, int t_father, const gf_t *WS, const gf_t *W, const gf_t *res, gf_t *out)
{
	int n = S->n;
	double *sv = ws_get(S->ws, 3 * (size_t)n + (size_t)n * n + 2 * (size_t)n + (size_t)n);
	if (!sv) return km_err_set(S->e, KM_ENOMEM, "out of memory");
	double *r = sv + n, *v = r + n, *scr = v + n;
	gf_t ws = *WS;
	int ret;
	if (ws.kind == GF_HALF && (ret = gf_densify(S, &ws)) < 0) return ret;
	side(S, &ws, 2, t_father ? S->Mf : S->Mm, NULL, 0, OUT_VEC, sv, NULL, NULL, scr);
	for (int a = 0; a < n; ++a) r[a] = 0.0;
	if (W->kind == GF_HALF) {
		double ss = 0.0, ws2 = 0.0;
		for (int c = 0; c < n; ++c) ss += sv[c], ws2 += W->d[c] * sv[c];
		for (int a = 0; a < n; ++a) r[a] = 0.5 * (W->d[a] * ss + ws2);
	} else if (t_father) {
		for (int a = 0; a < n; ++a) {
			const double *row = W->d + (size_t)a * n;
			double x = 0.0;
			for (int c = 0; c < n; ++c) x += row[c] * sv[c];
			r[a] = x;
		}
	} else {
		for (int a = 0; a < n; ++a) {
			const double *row = W->d + (size_t)a * n;
			double w = sv[a];
			if (w == 0.0) continue;
			for (int c = 0; c < n; ++c) r[c] += w * row[c];
		}
	}
	mat_vec(t_father ? S->MmT : S->MfT, n, r, v);
	memset(out, 0, sizeof *out);
	if (res) {
		*out = *res;
		for (int k = 0; k < res->ne; ++k) out->ew[k] = 0.5 * (v[res->ea[k]] + v[res->eb[k]]);
	} else {
		out->kind = GF_HALF, out->nd = 2, out->d = v;
	}
	return gf_norm(S, out);
}

/* one child's choices: weight, paternal item, maternal item (an allele index >= 0, or
 * -1 with a weight vector, or none) */
typedef struct {
	double w;
	int fa, mo;               /* allele, -1 = vector, -2 = no item */
	const double *fv, *mv;    /* h over the parent's allele for that item */
} choice_t;

/* The message of family f to its member t (t's own message excluded): alpha if t is a
 * child, beta if a parent.  res: t's evidence, when t is typed (only those phases are
 * needed).  The other members' messages towards f are in S->pm (peel_tree). */
static int fam_msg(pl_t *S, int f, int t, const gf_t *res, gf_t *out)
{
	int n = S->n, ret;
	size_t nn = (size_t)n * n;
	int F = S->ffa[f], Mo = S->fmo[f];
	int ndF = pl_hemi(S, F) ? 1 : 2;
	int k0 = S->kid_start[f], k1 = S->kid_start[f + 1];
	gf_t WF, WM;
	memset(&WF, 0, sizeof WF); memset(&WM, 0, sizeof WM);
	if (t != F) WF = S->pm[F];
	if (t != Mo) WM = S->pm[Mo];
	int t_child = t != F && t != Mo;
	/* the other children's messages; a message that is 1 sums to 1 (M is stochastic) */
	int nk = 0;
	gf_t *WC = ws_get(S->ws, (sizeof(gf_t) / sizeof(double) + 1) * (size_t)(k1 - k0 + 1));
	if (!WC) return km_err_set(S->e, KM_ENOMEM, "out of memory");
	for (int k = k0; k < k1; ++k) {
		if (S->kid[k] == t) continue;
		WC[nk] = S->pm[S->kid[k]];
		if (WC[nk].kind != GF_ONE) ++nk;
	}
	/* closed forms for the two steps of every nephew, grand-nephew and cousin family */
	if (!S->L->xlinked && nk == 1 && (WC[0].kind == GF_DENSE || WC[0].kind == GF_HALF)) {
		if (t_child && is_founder(S, &WF) && is_founder(S, &WM)) return sib_kernel(S, &WC[0], out);
		if (!t_child) return one_child(S, t == F, t == F ? &WM : &WF, &WC[0], res, out);
	}
	if (WF.kind == GF_HALF && (ret = gf_densify(S, &WF)) < 0) return ret;
	if (WM.kind == GF_HALF && (ret = gf_densify(S, &WM)) < 0) return ret;
	/* children's choices */
	int nch = 0, *nc = ws_get(S->ws, (size_t)(k1 - k0) + 1);
	choice_t **ch = ws_get(S->ws, (size_t)(k1 - k0) + 1);
	if (!nc || !ch) return km_err_set(S->e, KM_ENOMEM, "out of memory");
	double comb = 1.0;
	for (int k = 0; k < nk; ++k) {
		gf_t W = WC[k];
		if (W.kind == GF_HALF && (ret = gf_densify(S, &W)) < 0) return ret;
		int son_x = W.nd == 1;                         /* a son at X: no paternal item */
		int m = W.kind == GF_SPARSE ? W.ne + 1 : (W.kind == GF_DENSE && !son_x) ? n : 1;
		choice_t *c = ws_get(S->ws, sizeof(choice_t) / sizeof(double) * (size_t)m + 1);
		if (!c) return km_err_set(S->e, KM_ENOMEM, "out of memory");
		int j = 0;
		if (W.kind == GF_SPARSE) {
			for (int e = 0; e < W.ne; ++e, ++j) {
				c[j].w = W.ew[e];
				c[j].fa = son_x ? -2 : W.ea[e], c[j].mo = son_x ? W.ea[e] : W.eb[e];
			}
			/* a leaf's typing error (evidence()): the constant c times sum_g T(g | parents)
			 * = c (the transmission rows sum to 1), a choice with no item on either side */
			if (W.c != 0.0) c[j].w = W.c, c[j].fa = c[j].mo = -2, ++j;
		} else if (son_x || W.kind == GF_PROD) {
			c[0].w = 1.0, c[0].fa = son_x ? -2 : -1, c[0].mo = -1, j = 1;
			const double *vm = son_x ? (W.kind == GF_DENSE ? W.d : W.u) : W.v;
			double *hv = ws_get(S->ws, (size_t)2 * n);
			if (!hv) return km_err_set(S->e, KM_ENOMEM, "out of memory");
			/* h(g) = sum_c M[g, c] w(c) */
			mat_vec(S->MfT, n, vm, hv + n);
			c[0].mv = hv + n;
			if (!son_x) {
				mat_vec(S->MmT, n, W.u, hv);
				c[0].fv = hv;
			}
		} else {                                       /* dense: row by row */
			double *hv = ws_get(S->ws, nn);
			if (!hv) return km_err_set(S->e, KM_ENOMEM, "out of memory");
			for (int a = 0; a < n; ++a) {
				const double *row = W.d + (size_t)a * n;
				double any = 0.0;
				for (int x = 0; x < n; ++x) any += row[x];
				if (any == 0.0) continue;
				double *h = hv + (size_t)j * n;
				mat_vec(S->MfT, n, row, h);
				c[j].w = 1.0, c[j].fa = a, c[j].mo = -1, c[j].mv = h;
				++j;
			}
			if (j == 0) { S->zero = 1; return 0; }
		}
		for (int i = 0; i < j; ++i) {
			if (c[i].fa >= 0) c[i].fv = S->MmT + (size_t)c[i].fa * n;
			if (c[i].mo >= 0) c[i].mv = S->MfT + (size_t)c[i].mo * n;
		}
		nc[nch] = j, ch[nch++] = c;
		comb *= j;
	}
	int nkF = 0, nkM = 0;
	for (int i = 0; i < nch; ++i) nkF += ch[i][0].fa != -2, ++nkM;
	if (comb > PEEL_MAXCOMB || nkF > PEEL_MAXK || nkM > PEEL_MAXK) return 1;
	/* the output */
	int ndT = pl_hemi(S, t) ? 1 : 2;
	size_t NT = ndT == 1 ? (size_t)n : nn;
	double *acc = NULL, *tmpF = NULL, *tmpM = NULL;
	gf_t ro;
	memset(&ro, 0, sizeof ro);
	if (res && !t_child) {
		ro = *res;
		for (int k = 0; k < ro.ne; ++k) ro.ew[k] = 0.0;
	} else if (!(acc = ws_get(S->ws, NT))) return km_err_set(S->e, KM_ENOMEM, "out of memory");
	else memset(acc, 0, sizeof(double) * NT);
	/* scratch of side(): the dense product (n^2 + n) or the subset products (2^K n + 2^(K+1) + n) */
	int maxK = nkF > nkM ? nkF : nkM;
	size_t nscr = nn + (size_t)n, nsub = ((size_t)1 << maxK) * (n + 2) + (size_t)n;
	double *scr = ws_get(S->ws, nscr > nsub ? nscr : nsub);
	if (!scr || !(tmpF = ws_get(S->ws, nn + (size_t)n)) || !(tmpM = ws_get(S->ws, nn + (size_t)n)))
		return km_err_set(S->e, KM_ENOMEM, "out of memory");
	const double *hF[PEEL_MAXK + 1], *hM[PEEL_MAXK + 1];
	int dig[64] = { 0 };
	if (nch > 64) return 1;
	for (;;) {
		double w = 1.0;
		int kF = 0, kM = 0;
		for (int i = 0; i < nch; ++i) {
			const choice_t *c = &ch[i][dig[i]];
			w *= c->w;
			if (c->fa != -2) hF[kF++] = c->fv;
			if (c->mo != -2) hM[kM++] = c->mv;
		}
		if (w != 0.0) {
			/* the mother's side, then the father's, then their product into the output */
			if (t == Mo) {
				double sF = side(S, &WF, ndF, S->Mm, hF, kF, OUT_SCALAR, NULL, NULL, NULL, scr);
				gf_t og;
				double wf = w * sF;
				if (wf != 0.0) {
					side(S, NULL, 2, S->Mf, hM, kM, OUT_GENO, tmpM, res, &og, scr);
					if (res) for (int k = 0; k < ro.ne; ++k) ro.ew[k] += wf * og.ew[k];
					else for (int a = 0; a < n; ++a) for (int b = a; b < n; ++b) acc[(size_t)a * n + b] += wf * tmpM[(size_t)a * n + b];
				}
			} else if (t == F) {
				double sM = side(S, &WM, 2, S->Mf, hM, kM, OUT_SCALAR, NULL, NULL, NULL, scr);
				gf_t og;
				double wm = w * sM;
				if (wm != 0.0) {
					side(S, NULL, ndF, S->Mm, hF, kF, OUT_GENO, tmpF, res, &og, scr);
					if (res) for (int k = 0; k < ro.ne; ++k) ro.ew[k] += wm * og.ew[k];
					else if (ndF == 1) for (int a = 0; a < n; ++a) acc[a] += wm * tmpF[a];
					else for (int a = 0; a < n; ++a) for (int b = a; b < n; ++b) acc[(size_t)a * n + b] += wm * tmpF[(size_t)a * n + b];
				}
			} else if (ndT == 1) {                     /* a son at X: nothing from the father */
				double sF = side(S, &WF, ndF, S->Mm, hF, kF, OUT_SCALAR, NULL, NULL, NULL, scr);
				if (sF != 0.0) {
					side(S, &WM, 2, S->Mf, hM, kM, OUT_VEC, tmpM, NULL, NULL, scr);
						double wf = w * sF;
					for (int y = 0; y < n; ++y) acc[y] += wf * tmpM[y];
				}
			} else {
				double sF = side(S, &WF, ndF, S->Mm, hF, kF, OUT_VEC, tmpF, NULL, NULL, scr);
				if (sF != 0.0) {
					double sM = side(S, &WM, 2, S->Mf, hM, kM, OUT_VEC, tmpM, NULL, NULL, scr);
						if (sM != 0.0)
						for (int x = 0; x < n; ++x) {
							double fx = w * tmpF[x];
							if (fx == 0.0) continue;
							double *o = acc + (size_t)x * n;
							for (int y = 0; y < n; ++y) o[y] += fx * tmpM[y];
						}
				}
			}
		}
		int i;
		for (i = 0; i < nch; ++i) {
			if (++dig[i] < nc[i]) break;
			dig[i] = 0;
		}
		if (i == nch) break;
	}
	if (res && !t_child) *out = ro;
	else {
		if (!t_child && ndT == 2)          /* a parent's message: mirror the upper triangle */
			for (int a = 0; a < n; ++a) for (int b = a + 1; b < n; ++b) acc[(size_t)b * n + a] = acc[(size_t)a * n + b];
		memset(out, 0, sizeof *out);
		out->kind = GF_DENSE, out->nd = ndT, out->d = acc;
	}
	return gf_norm(S, out);
}

/* The message of person X towards its family `from` (-1: X is the root): the families'
 * messages towards X are in S->fm (peel_tree). */
static int msg_person(pl_t *S, int X, int from, gf_t *out)
{
	int ret, nd = pl_hemi(S, X) ? 1 : 2;
	gf_t G, ev;
	int typed = evidence(S, X, &ev, from >= 0 && S->up[X] == from && S->sp_start[X] == S->sp_start[X + 1]);
	if (typed < 0) return typed;
	memset(&G, 0, sizeof G);
	G.nd = nd;
	if (S->up[X] < 0) {                               /* founder: Hardy–Weinberg */
		G.kind = GF_PROD, G.u = S->L->p, G.v = nd == 2 ? S->L->p : NULL;
	} else if (S->up[X] == from) {
		G.kind = GF_ONE;
	} else {
		G = S->fm[S->up[X]];
	}
	if (typed && (ret = gf_mul(S, &G, &ev, &G)) < 0) return ret;
	for (int k = S->sp_start[X]; k < S->sp_start[X + 1]; ++k) {
		int f = S->sp[k];
		if (f == from) continue;
		if ((ret = gf_mul(S, &G, &S->fm[f], &G)) < 0) return ret;
	}
	*out = G;
	return 0;
}

/* The message of the root person r of a component, by a depth-first walk over the tree of
 * persons and families (no recursion: a pedigree may be thousands of generations deep).
 * Each node's message towards its parent is computed after its children's, in the order
 * the recursive definition (msg_person <-> fam_msg) would compute them, so the sums and
 * products are the same.  Stack entries (node, parent, expanded): node < np a person
 * whose parent is a family, else family node - np whose parent is a person. */
static int peel_tree(pl_t *S, int r, gf_t *out)
{
	int np = S->P->n, sn = 0, ret, *st = S->stk;
	st[0] = r, st[1] = -1, st[2] = 0, sn = 1;
	while (sn > 0) {
		int *top = st + 3 * (sn - 1), node = top[0], par = top[1];
		if (top[2]) {                                  /* children done: this node's message */
			--sn;
			if (node < np) {
				ret = msg_person(S, node, par, &S->pm[node]);
			} else {
				gf_t ev;
				int typed = evidence(S, par, &ev, 0);
				if (typed < 0) return typed;
				/* the target's observed phases restrict the message only when sparse */
				ret = fam_msg(S, node - np, par, typed && ev.kind == GF_SPARSE ? &ev : NULL, &S->fm[node - np]);
			}
			if (ret != 0) return ret;
			if (S->zero) return 0;
			continue;
		}
		top[2] = 1;
		/* the children, pushed last first so that the first is done first */
		int base = sn;
		if (node < np) {
			int X = node;
			if (S->up[X] >= 0 && S->up[X] != par) st[3 * sn] = np + S->up[X], st[3 * sn + 1] = X, st[3 * sn + 2] = 0, ++sn;
			for (int k = S->sp_start[X]; k < S->sp_start[X + 1]; ++k)
				if (S->sp[k] != par) st[3 * sn] = np + S->sp[k], st[3 * sn + 1] = X, st[3 * sn + 2] = 0, ++sn;
		} else {
			int f = node - np, F = S->ffa[f], Mo = S->fmo[f];
			if (F != par) st[3 * sn] = F, st[3 * sn + 1] = f, st[3 * sn + 2] = 0, ++sn;
			if (Mo != par) st[3 * sn] = Mo, st[3 * sn + 1] = f, st[3 * sn + 2] = 0, ++sn;
			for (int k = S->kid_start[f]; k < S->kid_start[f + 1]; ++k)
				if (S->kid[k] != par) st[3 * sn] = S->kid[k], st[3 * sn + 1] = f, st[3 * sn + 2] = 0, ++sn;
		}
		for (int i = base, j = sn - 1; i < j; ++i, --j)
			for (int c = 0; c < 3; ++c) { int t = st[3 * i + c]; st[3 * i + c] = st[3 * j + c]; st[3 * j + c] = t; }
	}
	*out = S->pm[r];
	return 0;
}

/* ---- the query ----------------------------------------------------------------------- */

int km_peel_query(const km_locus_t *L, const km_lped_t *P, const int *keep, int q, double *phi, double *lg,
                  km_lws_t *ws, km_err_t *e)
{
	int n = L->n, np = P->n, ret;
	if (q < 0 || q >= np || !keep[q] || n <= 0) return 1;
	if (ws_reset(ws) < 0) return km_err_set(e, KM_ENOMEM, "out of memory");
	pl_t S;
	memset(&S, 0, sizeof S);
	S.L = L, S.P = P, S.keep = keep, S.ws = ws, S.n = n, S.e = e;
	size_t nn = (size_t)n * n;
	/* transmission matrices and transposes (identity when there is no mutation) */
	double *m = ws_get(ws, 4 * nn);
	int *iw = ws_get(ws, (size_t)(8 * np + 8) / 2 + 1);
	if (!m || !iw) return km_err_set(e, KM_ENOMEM, "out of memory");
	for (int s = 0; s < 2; ++s) {
		const double *M = s ? L->Mf : L->Mm;
		double *D = m + (size_t)(2 * s) * nn, *T = D + nn;
		if (M) memcpy(D, M, sizeof(double) * nn);
		else { memset(D, 0, sizeof(double) * nn); for (int a = 0; a < n; ++a) D[(size_t)a * n + a] = 1.0; }
		for (int a = 0; a < n; ++a) for (int b = 0; b < n; ++b) T[(size_t)b * n + a] = D[(size_t)a * n + b];
	}
	S.Mm = m, S.MmT = m + nn, S.Mf = m + 2 * nn, S.MfT = m + 3 * nn;
	/* families of the kept persons: (father, mother) of each kept child */
	S.ffa = iw, S.fmo = iw + np, S.up = iw + 2 * np, S.kid_start = iw + 3 * np;   /* np + 1 */
	S.kid = iw + 4 * np + 1, S.sp_start = iw + 5 * np + 1, S.sp = iw + 6 * np + 2;
	int nf = 0, nkept = 0;
	/* (father, mother) -> family + 1, open addressing: families numbered in order of
	 * their first kept child, as a linear search would, in time linear in np */
	size_t nh = 16;
	while (nh < 2 * (size_t)np) nh <<= 1;
	int *fh = ws_get(ws, nh / 2 + 1);
	if (!fh) return km_err_set(e, KM_ENOMEM, "out of memory");
	memset(fh, 0, sizeof(int) * nh);
	for (int i = 0; i < np; ++i) {
		S.up[i] = -1;
		if (!keep[i]) continue;
		++nkept;
		int fa = P->father[i], mo = P->mother[i];
		if (fa < 0 && mo < 0) continue;
		if (fa < 0 || mo < 0 || !keep[fa] || !keep[mo]) return 1;
		size_t h = ((uint32_t)fa * 0x9E3779B1u ^ (uint32_t)mo * 0x85EBCA77u) & (nh - 1);
		while (fh[h] && !(S.ffa[fh[h] - 1] == fa && S.fmo[fh[h] - 1] == mo)) h = (h + 1) & (nh - 1);
		if (!fh[h]) S.ffa[nf] = fa, S.fmo[nf++] = mo, fh[h] = nf;
		S.up[i] = fh[h] - 1;
	}
	S.nfam = nf;
	/* children grouped by family (counting sort), families grouped by parent */
	for (int f = 0; f <= nf; ++f) S.kid_start[f] = 0;
	for (int i = 0; i < np; ++i) if (S.up[i] >= 0) ++S.kid_start[S.up[i] + 1];
	for (int f = 0; f < nf; ++f) S.kid_start[f + 1] += S.kid_start[f];
	{
		int *pos = S.sp;     /* scratch, overwritten below */
		for (int f = 0; f < nf; ++f) pos[f] = S.kid_start[f];
		for (int i = 0; i < np; ++i) if (S.up[i] >= 0) S.kid[pos[S.up[i]]++] = i;
	}
	for (int i = 0; i <= np; ++i) S.sp_start[i] = 0;
	for (int f = 0; f < nf; ++f) ++S.sp_start[S.ffa[f] + 1], ++S.sp_start[S.fmo[f] + 1];
	for (int i = 0; i < np; ++i) S.sp_start[i + 1] += S.sp_start[i];
	{
		int *fill = ws_get(ws, (size_t)np / 2 + 1);
		if (!fill) return km_err_set(e, KM_ENOMEM, "out of memory");
		for (int i = 0; i < np; ++i) fill[i] = S.sp_start[i];
		for (int f = 0; f < nf; ++f) S.sp[fill[S.ffa[f]]++] = f, S.sp[fill[S.fmo[f]]++] = f;
	}
	/* a forest: persons + families - (components) edges, counting 2 parents and the
	 * children of each family; comp[i] = first person of i's component */
	int *comp = ws_get(ws, (size_t)np / 2 + 1), *stack = ws_get(ws, (size_t)np / 2 + 1), ncomp = 0;
	if (!comp || !stack) return km_err_set(e, KM_ENOMEM, "out of memory");
	for (int i = 0; i < np; ++i) comp[i] = -1;
	for (int r0 = 0; r0 < np; ++r0) {
		int r = r0 == 0 ? q : r0 == q ? 0 : r0;         /* q's component first */
		if (!keep[r] || comp[r] >= 0) continue;
		int sn = 0;
		comp[r] = r, stack[sn++] = r, ++ncomp;
		while (sn) {
			int x = stack[--sn];
			for (int j = -1; j < S.sp_start[x + 1] - S.sp_start[x]; ++j) {
				int f = j < 0 ? S.up[x] : S.sp[S.sp_start[x] + j];
				if (f < 0) continue;
				if (comp[S.ffa[f]] < 0) comp[S.ffa[f]] = r, stack[sn++] = S.ffa[f];
				if (comp[S.fmo[f]] < 0) comp[S.fmo[f]] = r, stack[sn++] = S.fmo[f];
				for (int k = S.kid_start[f]; k < S.kid_start[f + 1]; ++k)
					if (comp[S.kid[k]] < 0) comp[S.kid[k]] = r, stack[sn++] = S.kid[k];
			}
		}
	}
	/* peel_tree's messages and stack */
	S.pm = ws_get(ws, (sizeof(gf_t) / sizeof(double) + 1) * ((size_t)np + 1));
	S.fm = ws_get(ws, (sizeof(gf_t) / sizeof(double) + 1) * ((size_t)nf + 1));
	S.stk = ws_get(ws, (3 * ((size_t)np + nf) + 3) / 2 + 1);
	if (!S.pm || !S.fm || !S.stk) return km_err_set(e, KM_ENOMEM, "out of memory");
	long edges = 0;
	for (int f = 0; f < nf; ++f) edges += 2 + (S.kid_start[f + 1] - S.kid_start[f]);
	if (edges != (long)nkept + nf - ncomp) return 1;
	/* the components without q: P(their data), a constant factor */
	for (int r = 0; r < np && !S.zero; ++r) {
		if (!keep[r] || comp[r] != r || r == q) continue;
		gf_t W;
		if ((ret = peel_tree(&S, r, &W)) != 0) return ret;
		if (S.zero) break;
		double tot = 0.0;
		int nd = pl_hemi(&S, r) ? 1 : 2;
		if (W.kind == GF_SPARSE) {
			for (int k = 0; k < W.ne; ++k) tot += W.ew[k];
			tot += W.c * (nd == 2 ? (double)nn : (double)n);   /* 0: a root's evidence has no constant */
		}
		else if (W.kind == GF_PROD) {
			double su = 0.0, sv = 0.0;
			for (int a = 0; a < n; ++a) su += W.u[a], sv += nd == 2 ? W.v[a] : 0.0;
			tot = nd == 2 ? su * sv : su;
		} else if (W.kind == GF_DENSE) {
			size_t N = nd == 2 ? nn : (size_t)n;
			for (size_t i = 0; i < N; ++i) tot += W.d[i];
		} else tot = 1.0;
		if (tot > 0.0) S.lg += log10(tot);
		else S.zero = 1;
	}
	gf_t W;
	if (!S.zero && (ret = peel_tree(&S, q, &W)) != 0) return ret;
	int hq = pl_hemi(&S, q);
	size_t NQ = hq ? (size_t)n : nn;
	memset(phi, 0, sizeof(double) * NQ);
	if (S.zero) { *lg = KM_NEG_INF; return 0; }
	double mx = 0.0;
	if (hq) for (int a = 0; a < n; ++a) phi[a] = gf_eval(&W, n, a, 0);
	else if (W.kind == GF_DENSE) memcpy(phi, W.d, sizeof(double) * nn);
	else for (int a = 0; a < n; ++a) for (int b = 0; b < n; ++b) phi[(size_t)a * n + b] = gf_eval(&W, n, a, b);
	for (size_t i = 0; i < NQ; ++i) if (phi[i] > mx) mx = phi[i];
	if (mx == 0.0) { *lg = KM_NEG_INF; return 0; }
	for (size_t i = 0; i < NQ; ++i) phi[i] /= mx;
	*lg = S.lg + (double)S.e2 * 0.30102999566398119521 + log10(mx);   /* log10 2 */
	return 0;
}
