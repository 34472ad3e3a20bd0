/* ident.c — dvir's identification rules on a matrix of pairwise log10 LRs (ident.h).
 *
 * Undisputed (Vigeland & Egeland 2021, "Undisputed identifications"; dvir 3.4.2
 * findUndisputed with relax = TRUE): a pair is undisputed at threshold T when LR >= T and
 * LR >= T x every other LR of its row and column.  In log10: lr >= t and lr >= t + rival.
 *
 * Joint (dvir dviJoint): an assignment gives each remain of a component one of its
 * candidates or '*', no candidate twice;  log10 LR(a) = sum over families of the family's
 * term: 0 with no remain placed, the pairwise log10 LR with one, the joint term (callback)
 * with two or more.  Posteriors under a flat prior over the assignments (dvir Bmarginal):
 * posterior(a) = LR(a) / sum_b LR(b); the marginal P(R = M) sums the posteriors of the
 * assignments giving R to M.
 *
 * Search: depth first over the remains in output order.  With at most max_assign
 * assignments every leaf is visited (exact).  Beyond, branch and bound: the bound of a node
 * is the value of the decided remains' family terms plus, per undecided remain u,
 *     b_u = max(0, max over u's options o of (lr_o, or gain_ub_u if o's family has another
 *                                              missing person among the component's options))
 * which is admissible: adding u to a family that already holds decided remains changes its
 * term by log10 P(u | refs, others) / P(u) <= -log10 P(u) <= gain_ub_u (a probability is
 * at most 1), and a family with one missing person in play takes at most one remain, whose
 * term is its pairwise lr.  A node whose bound is below the current keep-th best cannot
 * hold a row of the best keep, so its subtree is skipped; its mass is at most
 * (its number of leaves) x 10^bound, and the leaves are at most prod_u (options_u + 1).
 * The posteriors are then bounded: the enumerated mass S and the bound R of the rest give
 * LR(a)/(S + R) <= posterior(a) <= LR(a)/S.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kmpriv.h"
#include "ident.h"

void km_dviopt_init(km_dviopt_t *o)
{
	memset(o, 0, sizeof(*o));
	o->log10_t = 4.0;        /* 1e4, CONTRACT.md */
	o->min_lr = 0.0;
	o->keep = 10;
	o->max_assign = 1e6;
	o->min_post = 0.99;
}

/* ---- undisputed --------------------------------------------------------------------- */

int km_ident_undisputed(const km_ient_t *ent, size_t n, int n_rem, int n_cand, double t, size_t *out,
                        double *rival)
{
	/* best and second best of every row and column, with the entry of the best */
	double *rb = malloc(sizeof(double) * 2 * ((size_t)n_rem + 1)), *cb = malloc(sizeof(double) * 2 * ((size_t)n_cand + 1));
	size_t *ri = malloc(sizeof(size_t) * ((size_t)n_rem + 1)), *ci = malloc(sizeof(size_t) * ((size_t)n_cand + 1));
	int n_out = 0;
	if (!rb || !cb || !ri || !ci) { free(rb); free(cb); free(ri); free(ci); return KM_ENOMEM; }
	for (int r = 0; r < n_rem; ++r) rb[2 * r] = rb[2 * r + 1] = KM_NEG_INF, ri[r] = (size_t)-1;
	for (int c = 0; c < n_cand; ++c) cb[2 * c] = cb[2 * c + 1] = KM_NEG_INF, ci[c] = (size_t)-1;
	for (size_t i = 0; i < n; ++i) {
		double x = ent[i].lr;
		double *b = rb + 2 * ent[i].r;
		if (ri[ent[i].r] == (size_t)-1 || x > b[0]) { b[1] = b[0]; b[0] = x; ri[ent[i].r] = i; }
		else if (x > b[1]) b[1] = x;
		b = cb + 2 * ent[i].c;
		if (ci[ent[i].c] == (size_t)-1 || x > b[0]) { b[1] = b[0]; b[0] = x; ci[ent[i].c] = i; }
		else if (x > b[1]) b[1] = x;
	}
	for (size_t i = 0; i < n; ++i) {
		double x = ent[i].lr;
		if (!(x >= t)) continue;
		/* the largest other value: the second best where this entry is the best */
		double rr = ri[ent[i].r] == i ? rb[2 * ent[i].r + 1] : rb[2 * ent[i].r];
		double cr = ci[ent[i].c] == i ? cb[2 * ent[i].c + 1] : cb[2 * ent[i].c];
		double rv = rr > cr ? rr : cr;
		if (rv == KM_NEG_INF || x >= t + rv) { out[n_out] = i; rival[n_out++] = rv; }
	}
	free(rb); free(cb); free(ri); free(ci);
	/* ent is sorted by (r, c) by the caller's convention; keep that order */
	return n_out;
}

/* ---- components --------------------------------------------------------------------- */

static int uf_find(int *p, int x)
{
	while (p[x] != x) { p[x] = p[p[x]]; x = p[x]; }
	return x;
}

int km_ident_components(const km_ient_t *ent, size_t n, int n_rem, int n_fam, const int *cfam, int *comp)
{
	int *p = malloc(sizeof(int) * ((size_t)n_rem + n_fam + 1)), *lab = malloc(sizeof(int) * ((size_t)n_rem + n_fam + 1));
	if (!p || !lab) { free(p); free(lab); return KM_ENOMEM; }
	for (int i = 0; i < n_rem + n_fam; ++i) p[i] = i, lab[i] = -1;
	for (size_t i = 0; i < n; ++i) {
		int a = uf_find(p, ent[i].r), b = uf_find(p, n_rem + cfam[ent[i].c]);
		if (a == b) continue;
		if (a < b) p[b] = a; else p[a] = b;
	}
	int nc = 0;
	for (int r = 0; r < n_rem; ++r) {   /* numbered by the smallest remain */
		int root = uf_find(p, r);
		if (lab[root] < 0) lab[root] = nc++;
		comp[r] = lab[root];
	}
	free(p); free(lab);
	return nc;
}

/* ---- joint ---------------------------------------------------------------------------- */

/* family-term cache: key = family, then (cand, rem) pairs sorted by cand */
typedef struct {
	uint64_t h;
	int len;
	size_t off;
	double v;
} fent_t;

typedef struct {
	const km_icomp_t *C;
	int keep, K;            /* rows wanted; search target max(keep, 1) */
	int bnb;                /* branch and bound */
	int n_rem;
	int *pick;              /* current option per remain, -1 = '*' */
	int *used;              /* per option: its candidate is taken (by option index via cand map) */
	int *cand_used;         /* per local candidate */
	int *loc_cand;          /* [n_opt]: local candidate index of each option */
	int n_loc;
	int *loc_fam;           /* local family of each local candidate */
	int n_lfam;
	uint8_t *lfam_multi;    /* local family has >= 2 candidates among the options */
	int *fam_n;             /* placements per local family */
	int *fam_pl;            /* [n_lfam * n_rem] placements: option indices */
	double *bound_u;        /* per remain, b_u */
	double *suffix_b;       /* [n_rem + 1]: sum of b_u for u >= i */
	double *suffix_lc;      /* [n_rem + 1]: sum of log10(options_u + 1) for u >= i */
	/* the cache of joint family terms */
	fent_t *fe; size_t n_fe, m_fe;
	int *fkey; size_t n_fkey, m_fkey;
	int *kbuf;
	int *rbuf, *cbuf;
	/* results */
	km_iasg_t *top; int n_top;
	double mx, S;           /* running max of lr, sum of 10^(lr - mx) */
	double *marg;           /* scaled like S */
	double rest;            /* log10 bound of skipped mass */
	double n_assign;
	km_iname_fn name; void *nctx;
	char *sa, *sb; size_t ma, mb;
	int *ca, *cb2;          /* candidate per remain for names */
	int ret;
	km_err_t *e;
} srch_t;

static uint64_t key_hash(const int *k, int n)
{
	uint64_t h = 1469598103934665603ULL;
	for (int i = 0; i < n; ++i) { h ^= (uint32_t)k[i]; h *= 1099511628211ULL; }
	return h;
}

static int fcache_get(srch_t *s, const int *k, int n, double *v)
{
	if (!s->m_fe) return 0;
	uint64_t h = key_hash(k, n);
	for (size_t i = h & (s->m_fe - 1); s->fe[i].len; i = (i + 1) & (s->m_fe - 1))
		if (s->fe[i].h == h && s->fe[i].len == n && memcmp(s->fkey + s->fe[i].off, k, sizeof(int) * n) == 0) { *v = s->fe[i].v; return 1; }
	return 0;
}

static int fcache_put(srch_t *s, const int *k, int n, double v)
{
	if (2 * (s->n_fe + 1) > s->m_fe) {
		size_t m = s->m_fe ? 2 * s->m_fe : 256;
		fent_t *t = calloc(m, sizeof(fent_t));
		if (!t) return KM_ENOMEM;
		for (size_t i = 0; i < s->m_fe; ++i) {
			if (!s->fe[i].len) continue;
			size_t j = s->fe[i].h & (m - 1);
			while (t[j].len) j = (j + 1) & (m - 1);
			t[j] = s->fe[i];
		}
		free(s->fe);
		s->fe = t, s->m_fe = m;
	}
	if (s->n_fkey + (size_t)n > s->m_fkey) {
		size_t m = (s->n_fkey + (size_t)n) * 2 + 64;
		int *t = realloc(s->fkey, sizeof(int) * m);
		if (!t) return KM_ENOMEM;
		s->fkey = t, s->m_fkey = m;
	}
	uint64_t h = key_hash(k, n);
	size_t i = h & (s->m_fe - 1);
	while (s->fe[i].len) i = (i + 1) & (s->m_fe - 1);
	s->fe[i].h = h, s->fe[i].len = n, s->fe[i].off = s->n_fkey, s->fe[i].v = v;
	memcpy(s->fkey + s->n_fkey, k, sizeof(int) * n);
	s->n_fkey += (size_t)n;
	++s->n_fe;
	return 0;
}

/* term of local family f with its current placements */
static int fam_term(srch_t *s, int f, double *v)
{
	const km_icomp_t *C = s->C;
	int n = s->fam_n[f];
	const int *pl = s->fam_pl + (size_t)f * s->n_rem;
	if (n == 0) { *v = 0.0; return 0; }
	if (n == 1) { *v = C->opt_lr[pl[0]]; return 0; }
	/* key: family, then options sorted by candidate (insertion order is remain order) */
	int *k = s->kbuf;
	k[0] = f;
	for (int i = 0; i < n; ++i) k[1 + i] = pl[i];
	for (int i = 2; i <= n; ++i)   /* insertion sort by candidate */
		for (int j = i; j > 1 && C->opt_cand[k[j]] < C->opt_cand[k[j - 1]]; --j) { int t = k[j]; k[j] = k[j - 1]; k[j - 1] = t; }
	if (fcache_get(s, k, n + 1, v)) return 0;
	for (int i = 0; i < n; ++i) {
		int o = k[1 + i];
		s->cbuf[i] = C->opt_cand[o];
		/* the remain of option o: find it by the option ranges */
		int lo = 0, hi = C->n_rem - 1;
		while (lo < hi) { int mid = (lo + hi + 1) / 2; if (C->opt_start[mid] <= (size_t)o) lo = mid; else hi = mid - 1; }
		s->rbuf[i] = C->rem[lo];
	}
	int ret = C->fam_lr(C->ctx, C->cfam[s->cbuf[0]], n, s->rbuf, s->cbuf, v, s->e);
	if (ret < 0) return ret;
	if (fcache_put(s, k, n + 1, *v) < 0) return km_err_set(s->e, KM_ENOMEM, "out of memory");
	return 0;
}

static double log10_add(double a, double b)
{
	if (a == KM_NEG_INF) return b;
	if (b == KM_NEG_INF) return a;
	if (a < b) { double t = a; a = b; b = t; }
	return a + log10(1.0 + pow(10.0, b - a));
}

/* the assignment string of a pick vector (via the caller's names) */
static void asg_name(srch_t *s, const int *pick, int *cands, char **buf, size_t *m)
{
	for (int i = 0; i < s->n_rem; ++i) cands[i] = pick[i] < 0 ? -1 : s->C->opt_cand[pick[i]];
	s->name(s->nctx, s->n_rem, s->C->rem, cands, buf, m);
}

/* a before b: lr descending, then the assignment string ascending */
static int asg_better(srch_t *s, double la, const int *pa, double lb, const int *pb)
{
	if (la != lb) return la > lb;
	asg_name(s, pa, s->ca, &s->sa, &s->ma);
	asg_name(s, pb, s->cb2, &s->sb, &s->mb);
	return strcmp(s->sa, s->sb) < 0;
}

static void top_offer(srch_t *s, double v)
{
	int K = s->K, n = s->n_top;
	if (n == K && !asg_better(s, v, s->pick, s->top[K - 1].lr, s->top[K - 1].pick)) return;
	int i = n < K ? s->n_top++ : K - 1;
	int *slot = s->top[i].pick;   /* reuse the dropped row's buffer */
	while (i > 0 && asg_better(s, v, s->pick, s->top[i - 1].lr, s->top[i - 1].pick)) { s->top[i] = s->top[i - 1]; --i; }
	s->top[i].pick = slot;
	s->top[i].lr = v;
	memcpy(slot, s->pick, sizeof(int) * (size_t)s->n_rem);
}

static void leaf(srch_t *s, double v)
{
	const km_icomp_t *C = s->C;
	s->n_assign += 1.0;
	if (v > KM_NEG_INF) {
		if (v > s->mx) {
			double sc = s->mx == KM_NEG_INF ? 0.0 : pow(10.0, s->mx - v);
			s->S *= sc;
			for (size_t k = 0; k < C->opt_start[s->n_rem] + (size_t)s->n_rem; ++k) s->marg[k] *= sc;
			s->mx = v;
		}
		double w = pow(10.0, v - s->mx);
		s->S += w;
		for (int i = 0; i < s->n_rem; ++i)
			s->marg[s->pick[i] < 0 ? C->opt_start[i] + (size_t)i : (size_t)s->pick[i] + (size_t)i + 1] += w;
	}
	top_offer(s, v);
}

/* value of the decided families */
static int partial_value(srch_t *s, double *v)
{
	double t = 0.0;
	for (int f = 0; f < s->n_lfam; ++f) {
		double x;
		int ret = fam_term(s, f, &x);
		if (ret < 0) return ret;
		t += x;
	}
	*v = t;
	return 0;
}

static void dfs(srch_t *s, int i)
{
	const km_icomp_t *C = s->C;
	if (s->ret < 0) return;
	if (s->bnb && s->n_top == s->K && i < s->n_rem) {
		double v;
		if ((s->ret = partial_value(s, &v)) < 0) return;
		double ub = v + s->suffix_b[i];
		if (ub < s->top[s->K - 1].lr) {   /* no leaf below can enter the best K */
			s->rest = log10_add(s->rest, ub + s->suffix_lc[i]);
			return;
		}
	}
	if (i == s->n_rem) {
		double v;
		if ((s->ret = partial_value(s, &v)) < 0) return;
		leaf(s, v);
		return;
	}
	/* options: the candidates (best pairwise first helps the bound), then '*' */
	for (size_t o = C->opt_start[i]; o < C->opt_start[i + 1]; ++o) {
		int lc = s->loc_cand[o];
		if (s->cand_used[lc]) continue;
		int f = s->loc_fam[lc];
		s->cand_used[lc] = 1;
		s->fam_pl[(size_t)f * s->n_rem + s->fam_n[f]++] = (int)o;
		s->pick[i] = (int)o;
		dfs(s, i + 1);
		--s->fam_n[f];
		s->cand_used[lc] = 0;
		if (s->ret < 0) return;
	}
	s->pick[i] = -1;
	dfs(s, i + 1);
}

/* counts assignments up to cap */
static double count_rec(const km_icomp_t *C, int *used, const int *loc_cand, int i, double cap)
{
	if (i == C->n_rem) return 1.0;
	double n = count_rec(C, used, loc_cand, i + 1, cap);
	for (size_t o = C->opt_start[i]; o < C->opt_start[i + 1] && n < cap; ++o) {
		if (used[loc_cand[o]]) continue;
		used[loc_cand[o]] = 1;
		n += count_rec(C, used, loc_cand, i + 1, cap - n);
		used[loc_cand[o]] = 0;
	}
	return n < cap ? n : cap;
}

/* local candidate and family numbering of a component's options */
static int local_ids(const km_icomp_t *C, int *loc_cand, int **loc_fam, int *n_loc, int *n_lfam, uint8_t **multi)
{
	size_t no = C->opt_start[C->n_rem];
	int *cs = malloc(sizeof(int) * (no + 1)), *fs = malloc(sizeof(int) * (no + 1));
	int nl = 0, nf = 0;
	if (!cs || !fs) { free(cs); free(fs); return KM_ENOMEM; }
	for (size_t o = 0; o < no; ++o) {   /* small components: linear search is enough */
		int k;
		for (k = 0; k < nl && cs[k] != C->opt_cand[o]; ++k) {}
		if (k == nl) cs[nl++] = C->opt_cand[o];
		loc_cand[o] = k;
	}
	int *lf = malloc(sizeof(int) * ((size_t)nl + 1));
	uint8_t *mu = calloc((size_t)nl + 1, 1);
	int *fcnt = calloc((size_t)nl + 1, sizeof(int));
	if (!lf || !mu || !fcnt) { free(cs); free(fs); free(lf); free(mu); free(fcnt); return KM_ENOMEM; }
	for (int k = 0; k < nl; ++k) {
		int fam = C->cfam[cs[k]], j;
		for (j = 0; j < nf && fs[j] != fam; ++j) {}
		if (j == nf) fs[nf++] = fam;
		lf[k] = j;
		++fcnt[j];
	}
	for (int j = 0; j < nf; ++j) mu[j] = fcnt[j] > 1;
	free(cs); free(fs); free(fcnt);
	*loc_fam = lf, *n_loc = nl, *n_lfam = nf, *multi = mu;
	return 0;
}

double km_ident_count(const km_icomp_t *C, double cap)
{
	size_t no = C->opt_start[C->n_rem];
	int *lc = malloc(sizeof(int) * (no + 1)), *lf = NULL, nl, nf;
	uint8_t *mu = NULL;
	if (!lc || local_ids(C, lc, &lf, &nl, &nf, &mu) < 0) { free(lc); return cap; }
	int *used = calloc((size_t)nl + 1, sizeof(int));
	double n = used ? count_rec(C, used, lc, 0, cap) : cap;
	free(used); free(lc); free(lf); free(mu);
	return n;
}

void km_ijoint_destroy(km_ijoint_t *J)
{
	if (J->top) for (int i = 0; i < J->n_top; ++i) free(J->top[i].pick);
	free(J->top); free(J->marg);
	memset(J, 0, sizeof(*J));
}

int km_ident_joint(const km_icomp_t *C, int keep, double max_assign, km_iname_fn name, void *nctx,
                   km_ijoint_t *J, km_err_t *e)
{
	srch_t s;
	int ret = 0, nr = C->n_rem;
	size_t no = C->opt_start[nr], nm = no + (size_t)nr;
	memset(&s, 0, sizeof(s));
	memset(J, 0, sizeof(*J));
	s.C = C, s.keep = keep, s.K = keep > 0 ? keep : 1, s.n_rem = nr, s.e = e, s.name = name, s.nctx = nctx;
	s.mx = KM_NEG_INF, s.rest = KM_NEG_INF;
	s.loc_cand = malloc(sizeof(int) * (no + 1));
	if (!s.loc_cand || local_ids(C, s.loc_cand, &s.loc_fam, &s.n_loc, &s.n_lfam, &s.lfam_multi) < 0) goto oom;
	s.pick = malloc(sizeof(int) * ((size_t)nr + 1));
	s.cand_used = calloc((size_t)s.n_loc + 1, sizeof(int));
	s.fam_n = calloc((size_t)s.n_lfam + 1, sizeof(int));
	s.fam_pl = malloc(sizeof(int) * ((size_t)s.n_lfam * nr + 1));
	s.bound_u = malloc(sizeof(double) * ((size_t)nr + 1));
	s.suffix_b = malloc(sizeof(double) * ((size_t)nr + 1));
	s.suffix_lc = malloc(sizeof(double) * ((size_t)nr + 1));
	s.kbuf = malloc(sizeof(int) * ((size_t)nr + 2));
	s.rbuf = malloc(sizeof(int) * ((size_t)nr + 1));
	s.cbuf = malloc(sizeof(int) * ((size_t)nr + 1));
	s.ca = malloc(sizeof(int) * ((size_t)nr + 1));
	s.cb2 = malloc(sizeof(int) * ((size_t)nr + 1));
	s.marg = calloc(nm + 1, sizeof(double));
	s.top = calloc((size_t)s.K, sizeof(km_iasg_t));
	if (!s.pick || !s.cand_used || !s.fam_n || !s.fam_pl || !s.bound_u || !s.suffix_b || !s.suffix_lc || !s.kbuf ||
	    !s.rbuf || !s.cbuf || !s.ca || !s.cb2 || !s.marg || !s.top) goto oom;
	for (int k = 0; k < s.K; ++k) if (!(s.top[k].pick = malloc(sizeof(int) * ((size_t)nr + 1)))) goto oom;
	for (int i = 0; i < nr; ++i) {
		double b = 0.0;
		for (size_t o = C->opt_start[i]; o < C->opt_start[i + 1]; ++o) {
			double x = C->opt_lr[o];
			if (s.lfam_multi[s.loc_fam[s.loc_cand[o]]] && C->gain_ub && C->gain_ub[i] > x) x = C->gain_ub[i];
			if (x > b) b = x;
		}
		s.bound_u[i] = b;
	}
	s.suffix_b[nr] = 0.0, s.suffix_lc[nr] = 0.0;
	for (int i = nr - 1; i >= 0; --i) {
		s.suffix_b[i] = s.suffix_b[i + 1] + s.bound_u[i];
		s.suffix_lc[i] = s.suffix_lc[i + 1] + log10((double)(C->opt_start[i + 1] - C->opt_start[i]) + 1.0);
	}
	double na = km_ident_count(C, max_assign + 1.0);
	s.bnb = na > max_assign;
	dfs(&s, 0);
	if ((ret = s.ret) < 0) goto done;
	J->n_rem = nr;
	J->exact = !s.bnb || s.rest == KM_NEG_INF;
	J->n_assign = s.n_assign;
	J->log10_sum = s.mx == KM_NEG_INF ? KM_NEG_INF : s.mx + log10(s.S);
	J->log10_rest = s.rest;
	/* marginals: over the enumerated mass plus the bound of the rest (lower bounds when
	 * bounded, exact otherwise) */
	double tot = log10_add(J->log10_sum, s.rest);
	for (size_t k = 0; k < nm; ++k)
		s.marg[k] = s.marg[k] > 0.0 ? pow(10.0, log10(s.marg[k]) + s.mx - tot) : 0.0;
	J->marg = s.marg, s.marg = NULL;
	J->n_top = s.n_top;   /* the caller writes at most keep of them; the best is kept even for keep 0 */
	J->top = s.top, s.top = NULL;
	for (int k = J->n_top; k < s.K; ++k) free(J->top[k].pick), J->top[k].pick = NULL;
	goto done;
oom:
	ret = km_err_set(e, KM_ENOMEM, "out of memory");
done:
	if (s.top) for (int k = 0; k < s.K; ++k) free(s.top[k].pick);
	free(s.top); free(s.marg);
	free(s.loc_cand); free(s.loc_fam); free(s.lfam_multi); free(s.pick); free(s.cand_used); free(s.fam_n); free(s.fam_pl);
	free(s.bound_u); free(s.suffix_b); free(s.suffix_lc); free(s.kbuf); free(s.rbuf); free(s.cbuf); free(s.ca); free(s.cb2);
	free(s.fe); free(s.fkey); free(s.sa); free(s.sb);
	if (ret < 0) km_ijoint_destroy(J);
	return ret;
}
