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
 * Search: depth first over the remains.  With at most max_assign assignments every leaf is
 * visited (exact).  Beyond, branch and bound for the exact best K: every option o gets an
 * additive weight W_o with term_F(S) <= sum_{o in S} W_o for every placement set S of its
 * family (W = lr in a family with one candidate in play; with several, W_o = lr_o +
 * D_o/2, D_o = max over the sets S of two or more that hold o of 2 gain(S)^+/|S|, gain =
 * term - the sum of the pairwise lrs, computed exactly, else a gain bound from -log10
 * P(remain data); then sum_{o in S} D_o/2 >= gain(S)).  The bound of a node = the decided
 * part (the pairwise lrs; W where a family may still grow; the exact term of a family that
 * can take no one more, "closed") + a feasible dual of the matching relaxation of the
 * undecided remains and the free candidates with the weights W (weak duality): the
 * Hungarian method's at the root, kept feasible and tightened as candidates are taken and
 * remains decided (take).  Remains are decided first where the root's matching puts a
 * pair into a family whose joint term is below its W (seq_build), and a node's children
 * are tried by their own bound (the matching's choice first, a pair the joint term
 * excludes last).  A node whose bound is below the current K-th best cannot hold a row of
 * the best K; its LR mass is at most min((its leaves) x 10^bound, 10^decided x
 * prod_u (1 + sum_o 10^W_o)), added to a bound R of the mass not enumerated, so that
 * LR(a)/(S + R) <= posterior(a) <= LR(a)/S.  The search stops after KM_IDENT_MAX_NODES
 * nodes (stopped: the rows are the best found, not proven; the caller says so, with the
 * root's bound, which no assignment exceeds).  None of this changes a proven row: the
 * bounds only decide how soon the search may stop looking.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif
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
	int *multi, n_multi;    /* those families */
	int *match;             /* per remain: its option in the relaxation's optimal matching, -1 = '*' */
	int *order;             /* [n_opt + n_rem]: remain i tries order[opt_start[i] + i ..] (option, or -1 = '*') */
	double *yc, *Zc;        /* the subproblem's dual (take): per remain, per local candidate */
	double *ysd, *zsd;      /* [n_rem + 1]: per depth, sum of yc over the undecided, of Zc over the free candidates */
	double *dy, *dz;        /* [n_rem]: what the take at depth i moved them by */
	struct { int kind, k; double v; } *ustk; size_t usp, ucap; size_t *umark;   /* undo stack; per depth its mark */
	int *clis, *clopt, *orem;   /* candidate c's options: clopt[clis[c] .. clis[c+1]); the remain of each option */
	int *chord; double *chub, *chlm;   /* [n_opt + n_rem]: a node's children in the order tried, and their bounds */
	int *seq, *dep;         /* [n_rem]: the remain decided at depth i, the depth of remain u (seq_build) */
	double nodes, max_nodes;/* search nodes visited; the budget */
	int stopped;            /* the budget ran out */
	int *fam_n;             /* placements per local family */
	int *fam_pl;            /* [n_lfam * n_rem] placements: option indices */
	double *W;              /* [n_opt]: additive upper bound of each option's share of its family term */
	double *y, *z;          /* a feasible dual of the matching relaxation: y per remain, z per local candidate */
	int *last;              /* per local candidate: the last remain (search order) that lists it */
	double *suffix_lm;      /* [n_rem + 1]: sum of log10(1 + sum_o 10^W_o) for u >= i (relaxed mass) */
	double *suffix_lc;      /* [n_rem + 1]: sum of log10(options_u + 1) for u >= i */
	/* the current path's decided part of node_bound, kept per depth (path_step) */
	double *decp;           /* [n_rem + 1] */
	int *lstart, *lcand;    /* the local candidates whose last remain is i: lcand[lstart[i] .. lstart[i+1]) */
	int *fcst, *fcl;        /* local family f's candidates: fcl[fcst[f] .. fcst[f+1]) */
	int *fclosed;           /* per local family: closed on the current path (path_step) */
	int *clst, cltop, *clsp;/* the closed families, a stack; those closed at depth i: clst[clsp[i] .. clsp[i+1]) */
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

/* value of a leaf: the pairwise lr of remains in families with one candidate in play,
 * the family term of the others */
static int partial_value(srch_t *s, double *v)
{
	double t = 0.0;
	for (int i = 0; i < s->n_rem; ++i) {
		int o = s->pick[i];
		if (o >= 0 && !s->lfam_multi[s->loc_fam[s->loc_cand[o]]]) t += s->C->opt_lr[o];
	}
	for (int k = 0; k < s->n_multi; ++k) {
		double x;
		int ret = fam_term(s, s->multi[k], &x);
		if (ret < 0) return ret;
		t += x;
	}
	*v = t;
	return 0;
}

/* An upper bound of every leaf below a node at depth i, and of their LR mass (log10):
 * the decided part (path_step: the picks' pairwise lrs, W in a family that may still
 * grow, the exact term of a closed family) plus a feasible dual of the matching
 * relaxation of what is left (weak duality: any matching of the undecided remains to the
 * free candidates with weights W is worth at most sum yc + sum Zc over them; see take). */
static void node_bound(const srch_t *s, int i, double *ub, double *lmass)
{
	double dec = s->decp[i];
	*ub = dec + s->ysd[i] + s->zsd[i];
	*lmass = dec + s->suffix_lm[i];
}

/* Family f with several candidates in play is closed at depth i + 1 when none of its
 * candidates can take a remain any more (each is used, or its last remain is <= i): its
 * placements are final on every leaf below, so the decided part counts its exact term
 * instead of the sum of their W (term <= sum W: the bound only gets tighter).  This is
 * what lets the bound see a pair that the pairwise lrs (and W >= lr) like but the joint
 * term excludes — two remains that cannot both be in the family. */
static int fam_closes(const srch_t *s, int f, int i)
{
	if (s->fclosed[f]) return 0;
	for (int k = s->fcst[f]; k < s->fcst[f + 1]; ++k) {
		int c = s->fcl[k];
		if (!s->cand_used[c] && s->last[c] > i) return 0;
	}
	return 1;
}

/* the exact term of family f's placements, less the W they are counted with */
static double fam_slack(srch_t *s, int f)
{
	double t, w = 0.0;
	const int *pl = s->fam_pl + (size_t)f * s->n_rem;
	if (s->fam_n[f] == 0) return 0.0;
	int ret = fam_term(s, f, &t);
	if (ret < 0) { s->ret = ret; return 0.0; }
	for (int j = 0; j < s->fam_n[f]; ++j) w += s->W[pl[j]];
	return t == KM_NEG_INF ? KM_NEG_INF : t - w;
}

static double fam_close(srch_t *s, int f)
{
	s->fclosed[f] = 1;
	s->clst[s->cltop++] = f;
	return fam_slack(s, f);
}

/* The bound at depth i + 1 from depth i's and the pick at i (take has run): the decided
 * part decp (the pick's lr, or W in a family with several candidates; families closed
 * here: their exact term less their W), and the dual sums ysd, zsd moved by what take
 * changed.  O(1) but for closures (a cached family term each). */
static void path_step(srch_t *s, int i)
{
	const km_icomp_t *C = s->C;
	int o = s->pick[s->seq[i]], lc = o >= 0 ? s->loc_cand[o] : -1;
	double dec = s->decp[i];
	/* what the previous option at this depth (and its subtree) closed is open again */
	while (s->cltop > s->clsp[i]) s->fclosed[s->clst[--s->cltop]] = 0;
	if (o >= 0) {
		int f = s->loc_fam[lc];
		dec += s->lfam_multi[f] ? s->W[o] : C->opt_lr[o];
		if (s->lfam_multi[f] && fam_closes(s, f, i)) dec += fam_close(s, f);
	}
	for (int k = s->lstart[i]; k < s->lstart[i + 1]; ++k) {   /* candidates that leave the search here */
		int f = s->loc_fam[s->lcand[k]];
		if (s->lfam_multi[f] && fam_closes(s, f, i)) dec += fam_close(s, f);
	}
	s->clsp[i + 1] = s->cltop;
	s->decp[i + 1] = dec;
	s->ysd[i + 1] = s->ysd[i] + s->dy[i];
	s->zsd[i + 1] = s->zsd[i] + s->dz[i];
}

/* The dual of a subproblem (the remains not yet decided, the candidates not yet taken).
 * The Hungarian method gives the root's (y, z); in a node it would go stale with every
 * deviation from the matching, and the search pays for stale bounds in nodes.  So the
 * dual is kept feasible and tight as the path grows:
 *   yc_v = max(0, max over v's options on free candidates of W_o - z_c)   (root z),
 *   Zc_c = max(0, max over the undecided remains v listing c of W_vc - yc_v),
 * which is feasible (yc_v + Zc_c >= W_vc for every undecided v and free c; both >= 0), so
 * any matching of what is left is worth at most sum yc + sum Zc (weak duality); Zc <= z
 * and yc <= y, so it is never looser than the root's.  Taking option o (candidate c) for
 * the remain u at depth i: c leaves (its Zc no longer counts); a remain whose yc was on c
 * gets its next best (and the Zc of its other candidates rise to match); u leaves, and a
 * candidate whose Zc was u's gets the max over the remains still listing it.  Each change
 * goes on an undo stack (untake); dy[i], dz[i] are what the sums moved. */
static double yc_of(const srch_t *s, int v)
{
	const km_icomp_t *C = s->C;
	double y = 0.0;
	for (size_t o = C->opt_start[v]; o < C->opt_start[v + 1]; ++o) {
		int c = s->loc_cand[o];
		if (s->cand_used[c]) continue;
		double x = s->W[o] - s->z[c];
		if (x > y) y = x;
	}
	return y;
}

static double zc_of(const srch_t *s, int c, int i)
{
	double z = 0.0;
	for (int k = s->clis[c]; k < s->clis[c + 1]; ++k) {
		int o = s->clopt[k], v = s->orem[o];
		if (s->dep[v] <= i) continue;
		double x = s->W[o] - s->yc[v];
		if (x > z) z = x;
	}
	return z;
}

static void undo_push(srch_t *s, int kind, int k, double old)
{
	if (s->usp == s->ucap) {
		size_t m = s->ucap ? 2 * s->ucap : 1024;
		void *t = realloc(s->ustk, sizeof(*s->ustk) * m);
		if (!t) { s->ret = km_err_set(s->e, KM_ENOMEM, "out of memory"); return; }
		s->ustk = t, s->ucap = m;
	}
	s->ustk[s->usp].kind = kind, s->ustk[s->usp].k = k, s->ustk[s->usp++].v = old;
}

static void take(srch_t *s, int i, int u, int o)
{
	const km_icomp_t *C = s->C;
	s->pick[u] = o;
	s->umark[i] = s->usp;
	int lc = -1;
	if (o >= 0) {
		lc = s->loc_cand[o];
		int f = s->loc_fam[lc];
		s->cand_used[lc] = 1;
		s->fam_pl[(size_t)f * s->n_rem + s->fam_n[f]++] = o;
	}
	if (!s->bnb) return;
	double dy = -s->yc[u], dz = 0.0;   /* u leaves the undecided */
	if (lc >= 0) {
		dz -= s->Zc[lc];
		for (int k = s->clis[lc]; k < s->clis[lc + 1]; ++k) {   /* remains whose best was c */
			int o2 = s->clopt[k], v = s->orem[o2];
			if (s->dep[v] <= i || s->W[o2] - s->z[lc] < s->yc[v]) continue;
			double y = yc_of(s, v);
			if (y == s->yc[v]) continue;
			undo_push(s, 0, v, s->yc[v]);
			if (s->ret < 0) return;
			dy += y - s->yc[v];
			s->yc[v] = y;
			for (size_t o3 = C->opt_start[v]; o3 < C->opt_start[v + 1]; ++o3) {
				int c3 = s->loc_cand[o3];
				double x = s->W[o3] - y;
				if (s->cand_used[c3] || !(x > s->Zc[c3])) continue;
				undo_push(s, 1, c3, s->Zc[c3]);
				if (s->ret < 0) return;
				dz += x - s->Zc[c3];
				s->Zc[c3] = x;
			}
		}
	}
	for (size_t o3 = C->opt_start[u]; o3 < C->opt_start[u + 1]; ++o3) {   /* candidates whose Zc was u's */
		int c3 = s->loc_cand[o3];
		if (s->cand_used[c3] || s->W[o3] - s->yc[u] < s->Zc[c3]) continue;
		double z = zc_of(s, c3, i);
		if (z == s->Zc[c3]) continue;
		undo_push(s, 1, c3, s->Zc[c3]);
		if (s->ret < 0) return;
		dz += z - s->Zc[c3];
		s->Zc[c3] = z;
	}
	s->dy[i] = dy, s->dz[i] = dz;
}

static void untake(srch_t *s, int i, int o)
{
	while (s->usp > s->umark[i]) {
		--s->usp;
		if (s->ustk[s->usp].kind == 0) s->yc[s->ustk[s->usp].k] = s->ustk[s->usp].v;
		else s->Zc[s->ustk[s->usp].k] = s->ustk[s->usp].v;
	}
	if (o < 0) return;
	int lc = s->loc_cand[o];
	--s->fam_n[s->loc_fam[lc]];
	s->cand_used[lc] = 0;
}

/* The pruning threshold: the K-th best less a margin.  A bound is an upper bound in exact
 * arithmetic; summed in another order than the leaf's value it may fall below a leaf it
 * bounds tightly by a few ulps, and a tie (two exchangeable brothers swapped: equal terms)
 * would then be cut before the assignment string breaks it.  1e-9 in log10 is far below
 * anything printed and far above the rounding of sums of a few thousand terms. */
static double prune_below(const srch_t *s)
{
	double k = s->top[s->K - 1].lr;
	return k - 1e-9 * (1.0 + fabs(k));
}

static void dfs(srch_t *s, int i)
{
	const km_icomp_t *C = s->C;
	if (s->ret < 0 || s->stopped) return;
	if (++s->nodes > s->max_nodes) { s->stopped = 1; return; }
	if (s->bnb && s->n_top == s->K && i < s->n_rem) {
		double ub, lm;
		node_bound(s, i, &ub, &lm);
		if (ub < prune_below(s)) {   /* no leaf below can enter the best K */
			double lc = ub + s->suffix_lc[i];
			s->rest = log10_add(s->rest, lc < lm ? lc : lm);
			return;
		}
	}
	if (i == s->n_rem) {
		double v;
		if ((s->ret = partial_value(s, &v)) < 0) return;
		leaf(s, v);
		return;
	}
	/* the options, '*' among them: in the order of their reduced value (branch and bound;
	 * the matching's choice first), then by the bound of the child itself, which also sees
	 * a family the option closes (path_step): a pair the joint term excludes is tried last
	 * instead of first, so that good leaves, and with them the pruning, come early.  The
	 * sort is stable, and the bounds are the same numbers whenever this node is reached,
	 * so the order is deterministic. */
	int u = s->seq[i];
	size_t k0 = C->opt_start[u] + (size_t)u, k1 = C->opt_start[u + 1] + (size_t)u + 1;
	int *ch = s->chord + k0, n = 0;
	double *cb = s->chub + k0, *cm = s->chlm + k0;
	for (size_t k = k0; k < k1; ++k) {
		int o = s->order[k];
		if (o >= 0 && s->cand_used[s->loc_cand[o]]) continue;
		ch[n] = o;
		if (s->bnb) {
			take(s, i, u, o);
			path_step(s, i);
			node_bound(s, i + 1, &cb[n], &cm[n]);
			untake(s, i, o);
			if (s->ret < 0) return;
			int j = n;
			for (; j > 0 && cb[j] > cb[j - 1]; --j) {
				double t = cb[j]; cb[j] = cb[j - 1]; cb[j - 1] = t;
				t = cm[j]; cm[j] = cm[j - 1]; cm[j - 1] = t;
				int q = ch[j]; ch[j] = ch[j - 1]; ch[j - 1] = q;
			}
		}
		++n;
	}
	for (int k = 0; k < n; ++k) {
		/* a child below the K-th best is not entered: it and, the bounds sorted, every child
		 * after it add their mass bound here, as dfs would, and count as the nodes they are */
		if (s->bnb && s->n_top == s->K && i + 1 < s->n_rem && cb[k] < prune_below(s)) {
			for (; k < n; ++k) {
				if (++s->nodes > s->max_nodes) { s->stopped = 1; return; }
				double lc = cb[k] + s->suffix_lc[i + 1];
				s->rest = log10_add(s->rest, lc < cm[k] ? lc : cm[k]);
			}
			break;
		}
		int o = ch[k];
		take(s, i, u, o);
		if (s->bnb) path_step(s, i);
		dfs(s, i + 1);
		untake(s, i, o);
		if (s->ret < 0 || s->stopped) return;
	}
}

/* A dual of the matching relaxation (remains to candidates, weights W^+, a remain may stay
 * unmatched): the Hungarian method (Kuhn 1955; the O(n^2 m) shortest-augmenting-path form
 * with potentials) on rows = remains, columns = candidates + one zero-cost dummy column
 * per remain, cost -W (no edge: a large cost).  From its potentials u, v:
 * z_c = max(0, c - v_c) with c the largest dummy potential, then
 * y_u = max(0, max_c W_uc - z_c), which makes (y, z) dual feasible whatever the numbers
 * (y_u + z_c >= W_uc, y, z >= 0), so the bound is valid, and it is the optimum when the
 * potentials are.  Dense: n_rem x (n_cand + n_rem) cells. */
static int matching_dual(srch_t *s)
{
	const km_icomp_t *C = s->C;
	int n = s->n_rem, nl = s->n_loc, m = nl + n;
	const double BIG = 1e12;
	double *a = malloc(sizeof(double) * (size_t)n * m + 1);
	double *u = calloc((size_t)n + 1, sizeof(double)), *v = calloc((size_t)m + 1, sizeof(double)), *minv = malloc(sizeof(double) * ((size_t)m + 1));
	int *p = calloc((size_t)m + 1, sizeof(int)), *way = calloc((size_t)m + 1, sizeof(int));
	char *used = malloc((size_t)m + 1);
	if (!a || !u || !v || !minv || !p || !way || !used) { free(a); free(u); free(v); free(minv); free(p); free(way); free(used); return KM_ENOMEM; }
	for (size_t k = 0; k < (size_t)n * m; ++k) a[k] = BIG;
	for (int i = 0; i < n; ++i) {
		for (int j = nl; j < m; ++j) a[(size_t)i * m + j] = 0.0;
		for (size_t o = C->opt_start[i]; o < C->opt_start[i + 1]; ++o) {
			double w = s->W[o] > 0.0 ? s->W[o] : 0.0, *x = &a[(size_t)i * m + s->loc_cand[o]];
			if (-w < *x) *x = -w;
		}
	}
	/* e-maxx.ru "Hungarian algorithm", 1-based rows and columns, p[j] = row of column j */
	for (int i = 1; i <= n; ++i) {
		p[0] = i;
		int j0 = 0;
		for (int j = 0; j <= m; ++j) minv[j] = HUGE_VAL, used[j] = 0;
		do {
			used[j0] = 1;
			int i0 = p[j0], j1 = 0;
			double delta = HUGE_VAL;
			for (int j = 1; j <= m; ++j) {
				if (used[j]) continue;
				double cur = a[(size_t)(i0 - 1) * m + (j - 1)] - u[i0] - v[j];
				if (cur < minv[j]) minv[j] = cur, way[j] = j0;
				if (minv[j] < delta) delta = minv[j], j1 = j;
			}
			for (int j = 0; j <= m; ++j) {
				if (used[j]) u[p[j]] += delta, v[j] -= delta;
				else minv[j] -= delta;
			}
			j0 = j1;
		} while (p[j0] != 0);
		do { int j1 = way[j0]; p[j0] = p[j1]; j0 = j1; } while (j0);
	}
	/* the optimal matching: each remain's option on its column, tried first by the search */
	for (int i = 0; i < n; ++i) s->match[i] = -1;
	for (int j = 1; j <= nl; ++j) {
		if (!p[j]) continue;
		int i = p[j] - 1;
		for (size_t o = C->opt_start[i]; o < C->opt_start[i + 1]; ++o)
			if (s->loc_cand[o] == j - 1 && s->W[o] > 0.0) { s->match[i] = (int)o; break; }
	}
	double cmax = -HUGE_VAL;
	for (int j = nl + 1; j <= m; ++j) if (v[j] > cmax) cmax = v[j];
	for (int c = 0; c < nl; ++c) { double z = cmax - v[c + 1]; s->z[c] = z > 0.0 ? z : 0.0; }
	for (int i = 0; i < n; ++i) {
		double y = 0.0;
		for (size_t o = C->opt_start[i]; o < C->opt_start[i + 1]; ++o) {
			double x = s->W[o] - s->z[s->loc_cand[o]];
			if (x > y) y = x;
		}
		s->y[i] = y;
	}
	free(a); free(u); free(v); free(minv); free(p); free(way); free(used);
	return 0;
}

/* the additive bounds W of a multi-candidate family: W_o = lr_o + D_o/2 with
 * D_o = max over its placement sets S of >= 2 remains that hold option o of
 * 2 (term(S) - sum_S lr)^+ / |S|, so that for every such S, sum_S W = sum_S lr +
 * sum_S D_o/2 >= sum_S lr + gain(S)^+ >= term(S).  Per option rather than one D per family: a weak
 * remain that gains nothing from any partner keeps W = lr, where one family-wide D (the
 * gain of its best pair, e.g. two true brothers) would inflate every option of the family
 * and with it every bound that passes through it.  Computed exactly when the family has
 * at most FAM_SETS_MAX such sets, else W_o = max(lr_o, gain_ub of the remain) (each
 * remain after the first adds at most -log10 P(its data) <= gain_ub). */
#define FAM_SETS_MAX 256
typedef struct { int n_fr; int *fr; double *Do; long n; int over; } fset_t;

static int fset_rec(srch_t *s, fset_t *F, int f, int k, int depth)
{
	const km_icomp_t *C = s->C;
	if (F->over) return 0;
	if (k == F->n_fr) {
		if (s->fam_n[f] < 2) return 0;
		if (++F->n > FAM_SETS_MAX) { F->over = 1; return 0; }
		double t, sum = 0.0;
		int ret = fam_term(s, f, &t);
		if (ret < 0) return ret;
		const int *pl = s->fam_pl + (size_t)f * s->n_rem;
		for (int j = 0; j < s->fam_n[f]; ++j) sum += C->opt_lr[pl[j]];
		/* 2 gain/|S|: then each o of S holds at least gain/|S| of it, sum_S D_o/2 >= gain */
		double g = 2.0 * (t - sum) / s->fam_n[f];
		for (int j = 0; j < s->fam_n[f]; ++j) if (g > F->Do[pl[j]]) F->Do[pl[j]] = g;
		return 0;
	}
	int u = F->fr[k], ret;
	if ((ret = fset_rec(s, F, f, k + 1, depth)) < 0) return ret;
	for (size_t o = C->opt_start[u]; o < C->opt_start[u + 1]; ++o) {
		int lc = s->loc_cand[o];
		if (s->loc_fam[lc] != f || s->cand_used[lc]) continue;
		s->cand_used[lc] = 1;
		s->fam_pl[(size_t)f * s->n_rem + s->fam_n[f]++] = (int)o;
		ret = fset_rec(s, F, f, k + 1, depth + 1);
		--s->fam_n[f];
		s->cand_used[lc] = 0;
		if (ret < 0) return ret;
	}
	return 0;
}

/* The search order.  The bound is loose where the matching of the relaxation puts
 * placements into a family with several candidates whose joint term is below the sum of
 * their W (a pair both remains of which the pairwise lrs like, but that the joint term
 * excludes or dislikes); it becomes exact once the family is closed (path_step), which
 * happens only when every remain that lists one of its candidates is decided.  So the
 * remains that list a candidate of such a family are decided first (families by their
 * slack, largest first; ties by family), then the others in output order.  Any order gives
 * the same rows: this only decides how soon the bound sees the joint terms. */
/* families by a value descending, then by index: qsort_r's comparator */
static int cmp_fam_desc(const void *x, const void *y, void *ctx)
{
	const double *v = ctx;
	int a = *(const int *)x, b = *(const int *)y;
	if (v[a] != v[b]) return v[a] > v[b] ? -1 : 1;
	return (a > b) - (a < b);
}

static int seq_build(srch_t *s)
{
	const km_icomp_t *C = s->C;
	int nr = s->n_rem, nf = s->n_lfam, ret = 0, n = 0;
	size_t no = C->opt_start[nr];
	double *sl = calloc((size_t)nf + 1, sizeof(double));
	int *fo = malloc(sizeof(int) * ((size_t)nf + 1)), *taken = calloc((size_t)nr + 1, sizeof(int));
	int *rank = malloc(sizeof(int) * ((size_t)nf + 1));
	size_t *ls = calloc((size_t)nf + 2, sizeof(size_t));   /* family f's remains: lr_[ls[f] .. ls[f+1]) */
	int *lr_ = malloc(sizeof(int) * (no + 1)), *lcur = malloc(sizeof(int) * ((size_t)nf + 1));
	if (!sl || !fo || !taken || !rank || !ls || !lr_ || !lcur) { ret = KM_ENOMEM; goto end; }
	for (int u = 0; u < nr; ++u) {   /* the matching's placements, in remain order */
		int o = s->match[u];
		if (o < 0) continue;
		int f = s->loc_fam[s->loc_cand[o]];
		if (s->lfam_multi[f]) s->fam_pl[(size_t)f * nr + s->fam_n[f]++] = o;
	}
	int nsl = 0;
	for (int k = 0; k < s->n_multi && ret == 0; ++k) {
		int f = s->multi[k];
		double t, w = 0.0;
		if (s->fam_n[f] == 0) continue;
		if ((ret = fam_term(s, f, &t)) < 0) break;
		for (int j = 0; j < s->fam_n[f]; ++j) w += s->W[s->fam_pl[(size_t)f * nr + j]];
		sl[f] = t == KM_NEG_INF ? HUGE_VAL : w - t;
		if (sl[f] > 1e-9) fo[nsl++] = f;
	}
	for (int k = 0; k < s->n_multi; ++k) s->fam_n[s->multi[k]] = 0;
	if (ret < 0) goto end;
	if (nsl > 1) qsort_r(fo, (size_t)nsl, sizeof(int), cmp_fam_desc, sl);   /* slack descending, then family */
	/* the matching's placements in those families first, by family, each in remain order:
	 * the pair that closes the family */
	for (int f = 0; f < nf; ++f) rank[f] = -1;
	for (int a = 0; a < nsl; ++a) rank[fo[a]] = a;
	for (int u = 0; u < nr; ++u)
		if (s->match[u] >= 0 && rank[s->loc_fam[s->loc_cand[s->match[u]]]] >= 0) ++ls[rank[s->loc_fam[s->loc_cand[s->match[u]]]] + 1];
	for (int a = 0; a < nsl; ++a) ls[a + 1] += ls[a];
	for (int a = 0; a < nsl; ++a) lcur[a] = (int)ls[a];
	for (int u = 0; u < nr; ++u)
		if (s->match[u] >= 0 && rank[s->loc_fam[s->loc_cand[s->match[u]]]] >= 0) lr_[lcur[rank[s->loc_fam[s->loc_cand[s->match[u]]]]]++] = u;
	for (size_t k = 0; k < ls[nsl]; ++k) taken[lr_[k]] = 1, s->seq[n++] = lr_[k];
	/* then every family with several candidates, by its largest W - lr (what an open family
	 * can still add to the bound) descending, the slack ones first: the remains that list
	 * it together, in remain order, so that it closes soon after its first placement */
	for (int f = 0; f < nf; ++f) sl[f] = rank[f] >= 0 ? HUGE_VAL : -1.0, ls[f] = 0;
	ls[nf] = ls[nf + 1] = 0;
	for (size_t o = 0; o < no; ++o) {
		int f = s->loc_fam[s->loc_cand[o]];
		if (s->lfam_multi[f] && rank[f] < 0 && s->W[o] - C->opt_lr[o] > sl[f]) sl[f] = s->W[o] - C->opt_lr[o];
	}
	nsl = 0;
	for (int k = 0; k < s->n_multi; ++k) fo[nsl++] = s->multi[k];
	if (nsl > 1) qsort_r(fo, (size_t)nsl, sizeof(int), cmp_fam_desc, sl);
	for (int f = 0; f < nf; ++f) lcur[f] = -1;   /* the last remain listed for f (a remain lists a family once) */
	for (int u = 0; u < nr; ++u)
		for (size_t o = C->opt_start[u]; o < C->opt_start[u + 1]; ++o) {
			int f = s->loc_fam[s->loc_cand[o]];
			if (s->lfam_multi[f] && lcur[f] != u) lcur[f] = u, ++ls[f + 1];
		}
	for (int f = 0; f < nf; ++f) ls[f + 1] += ls[f];
	for (int f = 0; f < nf; ++f) lcur[f] = -1;
	{
		size_t *fill = malloc(sizeof(size_t) * ((size_t)nf + 1));
		if (!fill) { ret = KM_ENOMEM; goto end; }
		memcpy(fill, ls, sizeof(size_t) * (size_t)nf);
		for (int u = 0; u < nr; ++u)
			for (size_t o = C->opt_start[u]; o < C->opt_start[u + 1]; ++o) {
				int f = s->loc_fam[s->loc_cand[o]];
				if (s->lfam_multi[f] && lcur[f] != u) lcur[f] = u, lr_[fill[f]++] = u;
			}
		free(fill);
	}
	for (int a = 0; a < nsl; ++a)
		for (size_t k = ls[fo[a]]; k < ls[fo[a] + 1]; ++k)
			if (!taken[lr_[k]]) taken[lr_[k]] = 1, s->seq[n++] = lr_[k];
	for (int u = 0; u < nr; ++u) if (!taken[u]) s->seq[n++] = u;
	for (int i = 0; i < nr; ++i) s->dep[s->seq[i]] = i;
end:
	free(sl); free(fo); free(taken); free(rank); free(ls); free(lr_); free(lcur);
	return ret;
}

/* The weights W.  D of every family with two or more candidates in play comes first, from
 * the caller's fam_delta where it can say, in parallel when the caller gave one context
 * per thread (C->tctx): the families are independent and each D is the same number
 * whichever thread computes it; the first error in family order is the one reported.
 * Then, one family at a time (they share the search state), the enumeration for the
 * families the caller could not bound, and the weights. */
static int bounds_build(srch_t *s)
{
	const km_icomp_t *C = s->C;
	int nr = s->n_rem, nf = s->n_lfam, ret = 0;
	size_t no = C->opt_start[nr];
	size_t *fst = calloc((size_t)nf + 2, sizeof(size_t));   /* family f's options: fopt[fst[f] .. fst[f+1]) */
	int *fopt = malloc(sizeof(int) * (no + 1));
	const int *orem = s->orem;   /* the remain of each option (km_ident_joint) */
	int *fr = malloc(sizeof(int) * ((size_t)nr + 1)), *ask = malloc(sizeof(int) * ((size_t)nf + 1));
	double *Dop = malloc(sizeof(double) * (no + 1));   /* D_o per option */
	if (!fst || !fopt || !fr || !ask || !Dop) { ret = KM_ENOMEM; goto end; }
	/* options by family, in option order (remain order, then the remain's order) */
	for (int u = 0; u < nr; ++u)
		for (size_t o = C->opt_start[u]; o < C->opt_start[u + 1]; ++o) ++fst[s->loc_fam[s->loc_cand[o]] + 1];
	for (int f = 0; f < nf; ++f) fst[f + 1] += fst[f];
	{
		size_t *fill = malloc(sizeof(size_t) * ((size_t)nf + 1));
		if (!fill) { ret = KM_ENOMEM; goto end; }
		memcpy(fill, fst, sizeof(size_t) * (size_t)nf);
		for (size_t o = 0; o < no; ++o) fopt[fill[s->loc_fam[s->loc_cand[o]]]++] = (int)o;
		free(fill);
	}
	for (size_t o = 0; o < no; ++o) s->W[o] = C->opt_lr[o];
	for (size_t o = 0; o < no; ++o) Dop[o] = 0.0;
	for (int f = 0; f < nf; ++f) ask[f] = 1;
	if (C->fam_delta && s->n_multi > 0) {   /* the caller's D (e.g. from conditioned scores) */
		int nth = C->n_tctx > 1 ? C->n_tctx : 1, bad = -1, bad_ret = 0;
		size_t mx = 1;
		for (int i = 0; i < s->n_multi; ++i) { size_t k = fst[s->multi[i] + 1] - fst[s->multi[i]]; if (k > mx) mx = k; }
		km_err_t *terr = calloc((size_t)nth, sizeof(km_err_t));
		int *tbad = malloc(sizeof(int) * (size_t)nth), *tret = calloc((size_t)nth, sizeof(int));
		if (!terr || !tbad || !tret) { free(terr); free(tbad); free(tret); ret = KM_ENOMEM; goto end; }
		for (int t = 0; t < nth; ++t) tbad[t] = -1;
		#pragma omp parallel num_threads(nth)
		{
			int tid = 0;
#ifdef _OPENMP
			tid = omp_get_thread_num();
#endif
			void *ctx = nth > 1 ? C->tctx[tid] : C->ctx;
			int *rr = malloc(sizeof(int) * 2 * (mx + 1)), *cc = rr ? rr + mx + 1 : NULL;
			double *ll = malloc(sizeof(double) * 2 * (mx + 1)), *dd = ll ? ll + mx + 1 : NULL;
			if (!rr || !ll) tbad[tid] = -2, tret[tid] = KM_ENOMEM;
			/* dynamic: iterations are handed out in order, so a thread that fails skips only
			 * families after its failure, and every earlier family is computed */
			#pragma omp for schedule(dynamic, 1)
			for (int i = 0; i < s->n_multi; ++i) {
				if (tbad[tid] != -1) continue;
				int f = s->multi[i], k = 0, fam = -1;
				for (size_t j = fst[f]; j < fst[f + 1]; ++j) {
					int o = fopt[j];
					rr[k] = C->rem[orem[o]], cc[k] = C->opt_cand[o], ll[k++] = C->opt_lr[o], fam = C->cfam[C->opt_cand[o]];
				}
				int r2 = C->fam_delta(ctx, fam, k, rr, cc, ll, dd, &terr[tid]);
				if (r2 < 0) { tbad[tid] = i, tret[tid] = r2; continue; }
				ask[f] = r2;
				/* the family's own options only: no other thread writes them */
				if (r2 == 0) for (size_t j = fst[f]; j < fst[f + 1]; ++j) Dop[fopt[j]] = dd[j - fst[f]];
			}
			free(rr); free(ll);
		}
		for (int t = 0; t < nth; ++t) {
			if (tbad[t] == -2) { bad = -2, bad_ret = KM_ENOMEM; break; }
			if (tbad[t] >= 0 && (bad < 0 || tbad[t] < bad)) bad = tbad[t], bad_ret = tret[t], *s->e = terr[t];
		}
		free(terr); free(tbad); free(tret);
		if (bad != -1) { ret = bad_ret; goto end; }
	}
	for (int i = 0; i < s->n_multi && ret == 0; ++i) {
		int f = s->multi[i];
		fset_t F = { 0, fr, Dop, 0, 0 };
		for (size_t j = fst[f]; j < fst[f + 1]; ++j) {   /* the family's remains, in order */
			int u = orem[fopt[j]];
			if (F.n_fr == 0 || fr[F.n_fr - 1] != u) fr[F.n_fr++] = u;
		}
		if (ask[f] && (ret = fset_rec(s, &F, f, 0, 0)) < 0) break;
		for (size_t j = fst[f]; j < fst[f + 1]; ++j) {
			int o = fopt[j], u = orem[o];
			if (!F.over) s->W[o] = C->opt_lr[o] + Dop[o] / 2.0;
			else s->W[o] = C->gain_ub && C->gain_ub[u] > C->opt_lr[o] ? C->gain_ub[u] : C->opt_lr[o];
		}
	}
end:
	free(fst); free(fopt); free(fr); free(ask); free(Dop);
	if (ret < 0) return ret;
	if (matching_dual(s) < 0) return KM_ENOMEM;
	if ((ret = seq_build(s)) < 0) return ret;
	for (int c = 0; c < s->n_loc; ++c) s->last[c] = -1;
	for (int u = 0; u < nr; ++u)
		for (size_t o = C->opt_start[u]; o < C->opt_start[u + 1]; ++o)
			if (s->dep[u] > s->last[s->loc_cand[o]]) s->last[s->loc_cand[o]] = s->dep[u];
	/* per depth, the candidates whose last remain it is (path_step) */
	for (int i = 0; i <= nr; ++i) s->lstart[i] = 0;
	for (int c = 0; c < s->n_loc; ++c) if (s->last[c] >= 0) ++s->lstart[s->last[c] + 1];
	for (int i = 0; i < nr; ++i) s->lstart[i + 1] += s->lstart[i];
	{
		int *fill = malloc(sizeof(int) * ((size_t)nr + 1));
		if (!fill) return KM_ENOMEM;
		memcpy(fill, s->lstart, sizeof(int) * (size_t)nr);
		for (int c = 0; c < s->n_loc; ++c) if (s->last[c] >= 0) s->lcand[fill[s->last[c]]++] = c;
		free(fill);
	}
	s->decp[0] = 0.0;
	s->suffix_lm[nr] = 0.0;
	for (int i = nr - 1; i >= 0; --i) {
		double m = 1.0;
		int u = s->seq[i];
		for (size_t o = C->opt_start[u]; o < C->opt_start[u + 1]; ++o) m += pow(10.0, s->W[o]);
		s->suffix_lm[i] = s->suffix_lm[i + 1] + log10(m);
	}
	return 0;
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
	s.W = malloc(sizeof(double) * (no + 1));
	s.y = malloc(sizeof(double) * ((size_t)nr + 1));
	s.z = malloc(sizeof(double) * ((size_t)s.n_loc + 1));
	s.last = malloc(sizeof(int) * ((size_t)s.n_loc + 1));
	s.suffix_lm = malloc(sizeof(double) * ((size_t)nr + 1));
	s.suffix_lc = malloc(sizeof(double) * ((size_t)nr + 1));
	s.decp = malloc(sizeof(double) * ((size_t)nr + 2));
	s.lstart = malloc(sizeof(int) * ((size_t)nr + 2));
	s.lcand = malloc(sizeof(int) * ((size_t)s.n_loc + 1));
	s.fcst = calloc((size_t)s.n_lfam + 2, sizeof(int));
	s.fcl = malloc(sizeof(int) * ((size_t)s.n_loc + 1));
	s.fclosed = calloc((size_t)s.n_lfam + 1, sizeof(int));
	s.clst = malloc(sizeof(int) * ((size_t)s.n_lfam + 1));
	s.clsp = calloc((size_t)nr + 2, sizeof(int));
	s.seq = malloc(sizeof(int) * ((size_t)nr + 1));
	s.dep = malloc(sizeof(int) * ((size_t)nr + 1));
	s.kbuf = malloc(sizeof(int) * ((size_t)nr + 2));
	s.rbuf = malloc(sizeof(int) * ((size_t)nr + 1));
	s.cbuf = malloc(sizeof(int) * ((size_t)nr + 1));
	s.ca = malloc(sizeof(int) * ((size_t)nr + 1));
	s.cb2 = malloc(sizeof(int) * ((size_t)nr + 1));
	s.marg = calloc(nm + 1, sizeof(double));
	s.top = calloc((size_t)s.K, sizeof(km_iasg_t));
	if (!s.pick || !s.cand_used || !s.fam_n || !s.fam_pl || !s.W || !s.y || !s.z || !s.last || !s.suffix_lm || !s.suffix_lc || !s.decp || !s.lstart || !s.lcand || !s.fcst || !s.fcl || !s.fclosed || !s.clst || !s.clsp || !s.seq || !s.dep || !s.kbuf ||
	    !s.rbuf || !s.cbuf || !s.ca || !s.cb2 || !s.marg || !s.top) goto oom;
	for (int k = 0; k < s.K; ++k) if (!(s.top[k].pick = malloc(sizeof(int) * ((size_t)nr + 1)))) goto oom;
	for (int i = 0; i < nr; ++i) s.seq[i] = s.dep[i] = i;   /* bounds_build may reorder */
	double na = km_ident_count(C, max_assign + 1.0);
	s.bnb = na > max_assign;
	s.max_nodes = C->max_nodes > 0 ? C->max_nodes : KM_IDENT_MAX_NODES;
	s.multi = malloc(sizeof(int) * ((size_t)s.n_lfam + 1));
	s.order = malloc(sizeof(int) * (nm + 1));
	s.chord = malloc(sizeof(int) * (nm + 1));
	s.chub = malloc(sizeof(double) * (nm + 1));
	s.chlm = malloc(sizeof(double) * (nm + 1));
	s.yc = malloc(sizeof(double) * ((size_t)nr + 1));
	s.Zc = calloc((size_t)s.n_loc + 1, sizeof(double));
	s.ysd = calloc((size_t)nr + 2, sizeof(double));
	s.zsd = calloc((size_t)nr + 2, sizeof(double));
	s.dy = calloc((size_t)nr + 1, sizeof(double));
	s.dz = calloc((size_t)nr + 1, sizeof(double));
	s.umark = calloc((size_t)nr + 1, sizeof(size_t));
	s.clis = calloc((size_t)s.n_loc + 2, sizeof(int));
	s.clopt = malloc(sizeof(int) * (no + 1));
	s.orem = malloc(sizeof(int) * (no + 1));
	s.match = malloc(sizeof(int) * ((size_t)nr + 1));
	if (!s.multi || !s.order || !s.chord || !s.chub || !s.chlm || !s.match || !s.yc || !s.Zc || !s.ysd || !s.zsd || !s.dy || !s.dz || !s.umark || !s.clis || !s.clopt || !s.orem) goto oom;
	for (int u = 0; u < nr; ++u)
		for (size_t o = C->opt_start[u]; o < C->opt_start[u + 1]; ++o) s.orem[o] = u, ++s.clis[s.loc_cand[o] + 1];
	for (int c = 0; c < s.n_loc; ++c) s.clis[c + 1] += s.clis[c];
	{
		int *fill = calloc((size_t)s.n_loc + 1, sizeof(int));
		if (!fill) goto oom;
		for (size_t o = 0; o < no; ++o) { int c = s.loc_cand[o]; s.clopt[s.clis[c] + fill[c]++] = (int)o; }
		free(fill);
	}
	for (int f = 0; f < s.n_lfam; ++f) if (s.lfam_multi[f]) s.multi[s.n_multi++] = f;
	for (int c = 0; c < s.n_loc; ++c) ++s.fcst[s.loc_fam[c] + 1];
	for (int f = 0; f < s.n_lfam; ++f) s.fcst[f + 1] += s.fcst[f];
	{
		int *fill = calloc((size_t)s.n_lfam + 1, sizeof(int));
		if (!fill) goto oom;
		for (int c = 0; c < s.n_loc; ++c) { int f = s.loc_fam[c]; s.fcl[s.fcst[f] + fill[f]++] = c; }
		free(fill);
	}
	double tb0 = km_now();
	if (s.bnb && (ret = bounds_build(&s)) < 0) { if (ret == KM_ENOMEM) goto oom; goto done; }
	J->t_bounds = km_now() - tb0;
	if (s.bnb) {   /* the root's subproblem dual (take): yc = y, Zc from it, and their sums */
		double ys = 0.0, zs = 0.0;
		for (int u = 0; u < nr; ++u) s.yc[u] = s.y[u], ys += s.y[u];
		for (int c = 0; c < s.n_loc; ++c) s.Zc[c] = zc_of(&s, c, -1), zs += s.Zc[c];
		s.ysd[0] = ys, s.zsd[0] = zs;
	}
	s.suffix_lc[nr] = 0.0;
	for (int i = nr - 1; i >= 0; --i)
		s.suffix_lc[i] = s.suffix_lc[i + 1] + log10((double)(C->opt_start[s.seq[i] + 1] - C->opt_start[s.seq[i]]) + 1.0);
	for (int i = 0; i < nr; ++i) {   /* options then '*'; by reduced value W - z under branch and bound */
		int *od = s.order + C->opt_start[i] + i, n = 0;
		for (size_t o = C->opt_start[i]; o < C->opt_start[i + 1]; ++o) od[n++] = (int)o;
		od[n++] = -1;
		if (!s.bnb) continue;
		for (int a = 1; a < n; ++a)
			for (int b = a; b > 0; --b) {
				double vb = od[b] < 0 ? 0.0 : s.W[od[b]] - s.z[s.loc_cand[od[b]]];
				double va = od[b - 1] < 0 ? 0.0 : s.W[od[b - 1]] - s.z[s.loc_cand[od[b - 1]]];
				if (!(vb > va)) break;
				int t = od[b]; od[b] = od[b - 1]; od[b - 1] = t;
			}
		for (int a = 0; a < n; ++a)   /* the matching's choice first: the first leaf is its assignment */
			if (od[a] == s.match[i]) { int t = od[a]; memmove(od + 1, od, sizeof(int) * (size_t)a); od[0] = t; break; }
	}
	double ub0 = NAN, lm0;
	if (s.bnb) node_bound(&s, 0, &ub0, &lm0);
	double ts0 = km_now();
	dfs(&s, 0);
	J->t_search = km_now() - ts0;
	if ((ret = s.ret) < 0) goto done;
	J->log10_ub = ub0;
	J->n_rem = nr;
	J->exact = !s.bnb || (s.rest == KM_NEG_INF && !s.stopped);
	J->stopped = s.stopped;
	J->n_nodes = s.nodes;
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
	free(s.multi); free(s.order); free(s.chord); free(s.chub); free(s.chlm); free(s.yc); free(s.Zc); free(s.ysd); free(s.zsd); free(s.dy); free(s.dz); free(s.ustk); free(s.umark); free(s.clis); free(s.clopt); free(s.orem); free(s.match); free(s.W); free(s.y); free(s.z); free(s.last); free(s.suffix_lm); free(s.suffix_lc); free(s.decp); free(s.lstart); free(s.lcand); free(s.fcst); free(s.fcl); free(s.fclosed); free(s.clst); free(s.clsp); free(s.seq); free(s.dep); free(s.kbuf); free(s.rbuf); free(s.cbuf); free(s.ca); free(s.cb2);
	free(s.fe); free(s.fkey); free(s.sa); free(s.sb);
	if (ret < 0) km_ijoint_destroy(J);
	return ret;
}
