/* scan.c — every remain against every candidate: the hot loop only adds numbers.
 *
 * Candidates are taken in tiles of KM_TILE.  A thread compiles a tile's tables
 * (compile.c), lays them out genotype-major and candidate-interleaved — the values of one
 * observation column for the KM_TILE candidates are contiguous, so one vector load serves
 * them all, without gathers (DESIGN.md §4) — and streams every remain through them:
 *     screen(r, c) = sum_l S[soff[l] + sidx[r, l]][c]
 * Column 0 (untyped) holds 0.  A remain's apparent homozygote under dropout points at a
 * "twin" column that holds an upper bound of its LR over its bin of dropout weights w, so
 * the screen is an upper bound of the exact value.  A pair whose screen cannot reach the
 * remain's current K-th best (or --min-log10-lr) is dropped.  The reported value is
 * defined as: per system, the table entries in locus order, plus (dropout) the log10 of
 * the product of the mixture LRs of the remain's apparent homozygotes in locus order;
 * then the systems added in order.  Every lane adds in exactly that order, so for a remain without dropout the
 * screen is the exact value, and a pair's value is the same for any --threads, tiling
 * or instruction set.
 * Rankings are per thread and per remain, merged after the loop in the total order
 * (log10 LR descending, then candidate index: candidates are sorted by family, then
 * missing id), so the output is identical for any --threads.
 * No allocation, string or hash in the loop.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "kmpriv.h"
#include "pipe.h"
#include "obs.h"
#include "progress.h"
#include "rank.h"

/* locus blocks of the screen: at most BLOCK_LOCI loci and BLOCK_COLS float columns
 * (128 KiB); remains go through them in chunks of at most RCHUNK, whose partial sums
 * (RCHUNK x 64 bytes) stay in L2 with the block (bench/README.md) */
#ifndef BLOCK_LOCI
#define BLOCK_LOCI 64
#endif
#ifndef BLOCK_COLS
#define BLOCK_COLS 2048
#endif
#define RCHUNK 2048

/* the screen and the exact value differ only where dropout bounds stand in; the margin
 * keeps a pair whose bound equals the K-th best up to rounding */
#define SCREEN_MARGIN 1e-6


/* log10 of the product of a system's dropout LRs, in locus order, one logarithm per
 * system instead of one per locus.  An apparent homozygote's LR is (P + wQ) / (1 + wR),
 * from the candidate's P, Q, R of the column (compile.c, obs.h; at hom + 3 hom_slot of the
 * column) and the remain's w = d/(1+d): drop entries [q0, q1) of the index.  The scan's
 * exact values and the identification's (identrun.c) both come from here, bit for bit.  The product is kept in range by powers of two (frexp),
 * which do not change its bits: scaling only when it leaves [2^-500, 2^500] gives the
 * same result as scaling after every factor, as long as each factor lies in that range
 * too; any other factor (0, or an extreme LR) takes the step-by-step path.  0 -> -inf. */
double km_drop_log10(const km_index_t *ix, const double *hom, size_t q0, size_t q1)
{
	const struct km_drop_s *dr = ix->drop;
	double prod = 1.0;
	long e2 = 0;
	int e;
	size_t i = q0;
#define KM_DROP_MIX(i) km_obs_mix(hom + (size_t)ix->hom_slot[ix->col_off[dr[i].l] + dr[i].col] * 3, dr[i].w)
	for (; i < q1; ++i) {
		double x = KM_DROP_MIX(i);
		if (!(x >= 0x1p-500 && x <= 0x1p500)) break;
		prod *= x;
		if (!(prod >= 0x1p-500 && prod <= 0x1p500)) { prod = frexp(prod, &e); e2 += e; }
	}
	prod = frexp(prod, &e); e2 += e;
	for (; i < q1; ++i) {   /* step by step: in [1/2, 1) after every factor */
		prod *= KM_DROP_MIX(i);
		if (prod == 0.0) return KM_NEG_INF;
		prod = frexp(prod, &e);
		e2 += e;
	}
#undef KM_DROP_MIX
	return log10(prod) + (double)e2 * 0.30102999566398119521;   /* log10(2) */
}


void km_hits_destroy(km_hits_t *h)
{
	free(h->h); free(h->rank); free(h->tie); free(h->incon); free(h->sp);
	memset(h, 0, sizeof(*h));
}



/* Screen layout shared by all threads: per locus, the table's columns then one twin
 * column per homozygous column that some remain shows under dropout. */
#define TWIN_BINS 8    /* dropout weights w in (0, 1/2) are bounded per bin of width 1/16 */

typedef struct {
	size_t *soff;          /* [n_loc] first screen column of locus l */
	size_t n_scol;
	int *n_twin;           /* [n_loc] twin columns after the table's columns */
	int max_twin;          /* the most twins of one locus */
	int *twin_col;         /* [sum n_twin] the homozygous column a twin bounds ... */
	double *twin_w;        /* ... at this w, the upper edge of its bin */
	size_t *twin_off;      /* [n_loc] first twin of locus l in twin_col / twin_w */
	uint16_t *sidx;        /* [r * n_loc + l] screen column (relative to soff[l]) of remain r */
	uint64_t *rmask;       /* [r * n_word]: loci typed in remain r (for --min-loci) */
	int n_word;
	uint32_t *tcol;        /* per remain, the table columns col_off[l] + gidx[l] of its loci with gidx > 0 ... */
	size_t *tend;          /* ... in locus order: [r * KM_N_SYS + s] ends system s (remain r starts where r-1's mt ends) */
	int n_blk;
	int *blk_start;        /* [n_blk + 1] locus blocks: [blk_start[b], blk_start[b+1]) */
	uint16_t *sidxb;       /* block-major screen columns relative to the block's first column,
	                          soff[blk_start[b]]: block b's (r, i) at blk_start[b] * n_remain + r * len_b + i */
} layout_t;

static void layout_free(layout_t *L)
{
	free(L->soff); free(L->sidx); free(L->rmask); free(L->blk_start); free(L->sidxb);
	free(L->tcol); free(L->tend);
	free(L->n_twin); free(L->twin_col); free(L->twin_w); free(L->twin_off);
	memset(L, 0, sizeof(*L));
}

static int layout_build(layout_t *L, const km_index_t *ix, km_err_t *e)
{
	int nl = ix->n_loc, nr = ix->n_remain;
	memset(L, 0, sizeof(*L));
	L->n_word = (nl + 63) / 64 + 1;
	L->soff = malloc(sizeof(size_t) * (nl + 1));   /* soff[nl] = n_scol */
	L->sidx = malloc(sizeof(uint16_t) * ((size_t)nr * nl + 1));
	L->rmask = calloc((size_t)nr * L->n_word + 1, sizeof(uint64_t));
	if (!L->soff || !L->sidx || !L->rmask) { layout_free(L); return km_err_set(e, KM_ENOMEM, "out of memory"); }
	/* twins: one per (locus, homozygous column, bin of w) that some remain shows */
	L->n_twin = calloc((size_t)nl + 1, sizeof(int));
	L->twin_off = calloc((size_t)nl + 1, sizeof(size_t));
	int *tmap = malloc(sizeof(int) * (ix->n_totcol * TWIN_BINS + 1));
	size_t ntw_all = 0, m_tw = 0;
	if (!L->n_twin || !L->twin_off || !tmap) { free(tmap); layout_free(L); return km_err_set(e, KM_ENOMEM, "out of memory"); }
	for (size_t i = 0; i < ix->n_totcol * TWIN_BINS; ++i) tmap[i] = -1;
	for (int r = 0; r < nr; ++r)
		for (size_t j = ix->drop_start[r]; j < ix->drop_start[r + 1]; ++j) {
			const struct km_drop_s *d = &ix->drop[j];
			int b = (int)ceil(d->w * 2.0 * TWIN_BINS) - 1;
			if (b < 0) b = 0;
			if (b >= TWIN_BINS) b = TWIN_BINS - 1;
			tmap[(ix->col_off[d->l] + d->col) * TWIN_BINS + b] = 0;   /* used */
		}
	for (int l = 0; l < nl; ++l) {
		L->twin_off[l] = ntw_all;
		for (int k = 1; k < ix->n_col[l]; ++k)
			for (int b = 0; b < TWIN_BINS; ++b) {
				int *t = &tmap[(ix->col_off[l] + k) * TWIN_BINS + b];
				if (*t < 0) continue;
				if (ntw_all == m_tw) {
					m_tw = m_tw ? 2 * m_tw : 256;
					int *tc = realloc(L->twin_col, sizeof(int) * m_tw);
					double *tw = tc ? realloc(L->twin_w, sizeof(double) * m_tw) : NULL;
					if (tc) L->twin_col = tc;
					if (!tc || !tw) { free(tmap); layout_free(L); return km_err_set(e, KM_ENOMEM, "out of memory"); }
					L->twin_w = tw;
				}
				*t = L->n_twin[l]++;
				if (L->n_twin[l] > L->max_twin) L->max_twin = L->n_twin[l];
				L->twin_col[ntw_all] = k;
				L->twin_w[ntw_all++] = 0.5 * (b + 1) / TWIN_BINS;
			}
	}
	size_t off = 0;
	for (int l = 0; l < nl; ++l) {
		L->soff[l] = off;
		off += (size_t)ix->n_col[l] + L->n_twin[l];
		if (ix->n_col[l] + L->n_twin[l] > 65535) { free(tmap); layout_free(L); return km_err_set(e, KM_EINPUT, "too many distinct observations at one locus (%d)", ix->n_col[l] + L->n_twin[l]); }
	}
	L->n_scol = off;
	L->soff[nl] = off;
	for (int r = 0; r < nr; ++r) {
		const uint16_t *g = ix->gidx + (size_t)r * nl;
		uint16_t *si = L->sidx + (size_t)r * nl;
		uint64_t *mk = L->rmask + (size_t)r * L->n_word;
		for (int l = 0; l < nl; ++l) {
			si[l] = g[l];
			if (g[l]) mk[l >> 6] |= 1ULL << (l & 63);
		}
		for (size_t j = ix->drop_start[r]; j < ix->drop_start[r + 1]; ++j) {
			const struct km_drop_s *d = &ix->drop[j];
			int b = (int)ceil(d->w * 2.0 * TWIN_BINS) - 1;
			if (b < 0) b = 0;
			if (b >= TWIN_BINS) b = TWIN_BINS - 1;
			si[d->l] = (uint16_t)(ix->n_col[d->l] + tmap[(ix->col_off[d->l] + d->col) * TWIN_BINS + b]);
			mk[d->l >> 6] |= 1ULL << (d->l & 63);
		}
	}
	free(tmap);
	/* exact scoring lists */
	size_t nt = 0;
	for (size_t i = 0; i < (size_t)nr * nl; ++i) nt += ix->gidx[i] != 0;
	L->tcol = malloc(sizeof(uint32_t) * (nt + 1));
	L->tend = malloc(sizeof(size_t) * ((size_t)nr * KM_N_SYS + 1));
	if (!L->tcol || !L->tend) { layout_free(L); return km_err_set(e, KM_ENOMEM, "out of memory"); }
	if (ix->n_totcol > UINT32_MAX || (size_t)ix->n_hom * 3 > UINT32_MAX) { layout_free(L); return km_err_set(e, KM_EINPUT, "too many distinct observations (%zu)", ix->n_totcol); }
	nt = 0;
	for (int r = 0; r < nr; ++r) {
		const uint16_t *g = ix->gidx + (size_t)r * nl;
		for (int sy = 0; sy < KM_N_SYS; ++sy) {
			for (int l = ix->sys_start[sy]; l < ix->sys_start[sy + 1]; ++l)
				if (g[l]) L->tcol[nt++] = (uint32_t)(ix->col_off[l] + g[l]);
			L->tend[(size_t)r * KM_N_SYS + sy] = nt;
		}
	}
	/* locus blocks: consecutive loci whose float screen columns fit in BLOCK_COLS
	 * (a locus with more is a block of its own, at most 65535), at most BLOCK_LOCI loci */
	L->blk_start = malloc(sizeof(int) * ((size_t)nl + 2));
	L->sidxb = malloc(sizeof(uint16_t) * ((size_t)nr * nl + 1));
	if (!L->blk_start || !L->sidxb) { layout_free(L); return km_err_set(e, KM_ENOMEM, "out of memory"); }
	L->n_blk = 0;
	for (int l = 0; l < nl;) {
		int l1 = l;
		size_t cols = 0;
		while (l1 < nl && l1 - l < BLOCK_LOCI && (l1 == l || cols + (L->soff[l1 + 1] - L->soff[l1]) <= BLOCK_COLS))
			cols += L->soff[l1 + 1] - L->soff[l1], ++l1;
		L->blk_start[L->n_blk++] = l;
		l = l1;
	}
	L->blk_start[L->n_blk] = nl;
	for (int b = 0; b < L->n_blk; ++b) {
		int l0 = L->blk_start[b], len = L->blk_start[b + 1] - l0;
		uint16_t *o = L->sidxb + (size_t)l0 * nr;
		for (int r = 0; r < nr; ++r)
			for (int i = 0; i < len; ++i)
				o[(size_t)r * len + i] = (uint16_t)(L->soff[l0 + i] - L->soff[l0] + L->sidx[(size_t)r * nl + l0 + i]);
	}
	return 0;
}

/* The screen kernel: one locus block of the float screen for remains [0, n) of a chunk.
 * acc[r * KM_TILE + j] (first: set, else added to) gets, per lane j, the block's values
 * in locus order; idx[r * len + i] is remain r's screen column at the block's i-th locus,
 * counted from the block's first column S.  The block's columns stay in L2, so each
 * remain costs len one-line loads and one load and store of its row of partial sums.
 * Lanes are independent, so every instruction set gives the same sums; the clones only
 * widen the vectors. */
KM_SIMD_CLONES
static void block_sums(float *restrict acc, const float *restrict S, const uint16_t *restrict idx,
                       int len, int n, int first)
{
	for (int r = 0; r < n; ++r, idx += len, acc += KM_TILE) {
		float a[KM_TILE] __attribute__((aligned(64)));
		for (int j = 0; j < KM_TILE; ++j) a[j] = first ? 0.0f : acc[j];
		for (int i = 0; i < len; ++i) {
			const float *v = S + (size_t)idx[i] * KM_TILE;
			for (int j = 0; j < KM_TILE; ++j) a[j] += v[j];
		}
		for (int j = 0; j < KM_TILE; ++j) acc[j] = a[j];
	}
}

/* The exact value of pair (r, candidate ct) in the reported order (head comment): per
 * system the candidate's table entries at the remain's columns in locus order, then the
 * log10 of the product of its dropout LRs.  Loci with column 0 (untyped, or a dropout
 * homozygote) are skipped: they add 0.0, which leaves any sum that starts at +0.0
 * unchanged (such a sum is never -0.0), so the bits are those of the full locus loop. */
static void exact_sums(const km_index_t *ix, const layout_t *L, const km_ctab_t *ct, int r, double v[KM_N_SYS])
{
	const double *lr = ct->lr;
	const uint32_t *tc = L->tcol;
	const size_t *te = L->tend + (size_t)r * KM_N_SYS;
	size_t i = r > 0 ? te[-1] : 0, q = ix->drop_start[r], q1 = ix->drop_start[r + 1];
	for (int sy = 0; sy < KM_N_SYS; ++sy) {
		double a = 0.0;
		for (; i < te[sy]; ++i) a += lr[tc[i]];
		size_t q0 = q;
		while (q < q1 && ix->drop[q].l < ix->sys_start[sy + 1]) ++q;
		if (q > q0) a += km_drop_log10(ix, ct->hom, q0, q);
		v[sy] = a;
	}
}

/* Per-thread state: a tile's compiled tables and its screen. */
typedef struct {
	km_cwork_t *cw;
	km_ctab_t ct[KM_TILE];
	double *ctbuf;          /* backing store of ct[] */
	uint8_t *typbuf;
	uint64_t *cmask;        /* [KM_TILE * n_word] */
	float *S;               /* [n_scol * KM_TILE] float screen, 64-byte aligned */
	double errb[KM_TILE];   /* per lane: bound of |float screen - exact value| (screen_fill) */
	float *acc;             /* [RCHUNK * KM_TILE] partial screen sums of a chunk of remains */
	double *tw;             /* [2 * max_twin * KM_TILE] twin bounds and their log10 */
	km_stats_t st;          /* this thread's timings and counts */
	int ret;
	km_err_t err;
	int err_cand;
	int n_ref, m_ref;       /* --keep-going: candidates refused by the engine in this thread */
	int *ref_cand;
	char **ref_msg;
	km_sent_t *sp;          /* km_sopt_t.sparse: this thread's pairs >= sparse_lr */
	size_t n_sp, m_sp;
} thr_t;

static int cmp_sent(const void *x, const void *y)
{
	const km_sent_t *a = x, *b = y;
	if (a->cand != b->cand) return a->cand < b->cand ? -1 : 1;
	return (a->remain > b->remain) - (a->remain < b->remain);
}

/* Fills the tile's float screen: S[(soff[l] + k) * KM_TILE + j] = candidate j's value at
 * column k, rounded to float; a twin holds the log10 of the largest LR of the dropout
 * mixture (P + wQ)/(1 + wR) over its bin of w: the mixture is monotone in w, so one of
 * the bin's end points (rounding of that choice is inside SCREEN_MARGIN).  Unused lanes
 * get -inf.
 * errb[j] bounds how far a lane's float screen can fall below the double sum of the same
 * entries.  With u = 2^-24 and A = sum over loci of the largest finite |entry| of the
 * locus: rounding each entry to float errs by <= u|x|, and adding n floats in order by
 * <= (n-1)u/(1-(n-1)u) * sum|f| (Higham, Accuracy and Stability, 2nd ed., eq. 4.4), so
 * in all < 1.01 (n+1)u/(1-(n+1)u) A; the reported double sum differs from the real sum
 * by ~1e-13 A, far inside that.  -inf entries are -inf in both sums. */
/* one screen column: the lanes' values rounded to float, and each lane's largest finite
 * |value| so far (branch-free, so the 16 lanes go in a few vector instructions) */
static inline void fill_lanes(float *restrict S, const double *restrict x, double *restrict mx)
{
	for (int j = 0; j < KM_TILE; ++j) {
		double a = fabs(x[j]);
		a = a < HUGE_VAL ? a : 0.0;             /* -inf (excluded) and +inf are not finite */
		S[j] = (float)x[j];
		mx[j] = a > mx[j] ? a : mx[j];
	}
}

static void screen_fill(thr_t *T, const km_index_t *ix, const layout_t *L, int nt)
{
	double A[KM_TILE];
	for (int j = 0; j < KM_TILE; ++j) A[j] = 0.0;
	for (int l = 0; l < ix->n_loc; ++l) {
		int nc = ix->n_col[l];
		float *S = T->S + L->soff[l] * KM_TILE;
		double mx[KM_TILE];
		for (int j = 0; j < KM_TILE; ++j) mx[j] = 0.0;
		const double *row[KM_TILE];
		for (int j = 0; j < KM_TILE; ++j) row[j] = j < nt ? T->ct[j].lr + ix->col_off[l] : NULL;
		for (int k = 0; k < nc; ++k) {
			double x[KM_TILE];
			for (int j = 0; j < KM_TILE; ++j) x[j] = row[j] ? row[j][k] : KM_NEG_INF;
			fill_lanes(S + (size_t)k * KM_TILE, x, mx);
		}
		/* twins: the mixture's bound for every (twin, lane), then their log10 in one
		 * vector pass (a memorial-size tile has tens of thousands of twins) */
		int ntw = L->n_twin[l];
		double *tm = T->tw, *tl = T->tw + (size_t)L->max_twin * KM_TILE;
		/* a homozygous column's bins are consecutive twins: its P, Q, R are gathered
		 * once into lane-contiguous arrays, then every bin is a plain loop over lanes */
		double P[KM_TILE], Q[KM_TILE], R[KM_TILE];
		int last_slot = -1;
		for (int t = 0; t < ntw; ++t) {
			size_t tt = L->twin_off[l] + t;
			int slot = ix->hom_slot[ix->col_off[l] + L->twin_col[tt]];
			double w = L->twin_w[tt];
			if (slot != last_slot) {
				for (int j = 0; j < KM_TILE; ++j) {
					const double *H = j < nt ? T->ct[j].hom + (size_t)slot * 3 : NULL;
					P[j] = H ? H[0] : 0.0, Q[j] = H ? H[1] : 0.0, R[j] = H ? H[2] : 0.0;   /* unused lanes: m = 0 */
				}
				last_slot = slot;
			}
			double *mt = tm + (size_t)t * KM_TILE;
			for (int j = 0; j < KM_TILE; ++j) {
				/* d/dw has the sign of Q - PR: the bin's upper edge if it rises, else its
				 * lower edge (exact: multiples of 1/(2 TWIN_BINS)) */
				double we = Q[j] >= P[j] * R[j] ? w : w - 0.5 / TWIN_BINS;
				double m = km_obs_mix3(P[j], Q[j], R[j], we);
				mt[j] = m > 0.0 ? m : 0.0;          /* log10 0 = -inf */
			}
		}
		km_log10_vec(tm, tl, (size_t)ntw * KM_TILE);
		for (int t = 0; t < ntw; ++t) {
			fill_lanes(S + (size_t)(nc + t) * KM_TILE, tl + (size_t)t * KM_TILE, mx);
		}
		for (int j = 0; j < KM_TILE; ++j) A[j] += mx[j];
	}
	double g = (ix->n_loc + 1) * 0x1p-24;
	for (int j = 0; j < KM_TILE; ++j) T->errb[j] = 1.01 * g / (1.0 - g) * A[j];
}

void km_stats_add(km_stats_t *to, const km_stats_t *x)
{
	to->t_compile += x->t_compile, to->t_scan += x->t_scan, to->t_rank += x->t_rank;
	to->t_kernel += x->t_kernel, to->kernel_sink += x->kernel_sink;
	to->pairs += x->pairs, to->exact += x->exact;
	to->n_computed += x->n_computed, to->n_shared += x->n_shared;
	to->n_inconsistent += x->n_inconsistent;
}

int km_scan(km_hits_t *hits, const km_tabs_t *t, const km_index_t *ix, const km_comp_t *C,
            const km_prof_t *rem, const km_sopt_t *so, km_stats_t *st, km_err_t *e)
{
	int nr = ix->n_remain, nc = t->n_cand, nl = ix->n_loc, ret = 0;
	int K = so->all ? nc : (so->top < nc ? so->top : nc);
	/* tie (dvi): one row more than --top is ranked, so the last row shown knows whether
	 * the next candidate ties with it: the tie column does not depend on --top */
	int Kout = K;
	if (!so->all && K < nc) ++K;
	int nthr = so->threads > 0 ? so->threads : 1;
	int n_tile = (nc + KM_TILE - 1) / KM_TILE;
	int min_loci = so->all ? 0 : so->min_loci;
	double min_lr = so->all ? KM_NEG_INF : so->min_lr;
	int chunk = (nr + RCHUNK - 1) / RCHUNK;   /* remains per chunk: even chunks of <= RCHUNK */
	chunk = chunk > 0 ? (nr + chunk - 1) / chunk : 1;
	layout_t L;
	memset(hits, 0, sizeof(*hits));
	memset(st, 0, sizeof(*st));
	if (K < 0) K = 0;
	if ((ret = layout_build(&L, ix, e)) < 0) return ret;
	thr_t *th = calloc((size_t)nthr, sizeof(thr_t));
	if (!th) { layout_free(&L); return km_err_set(e, KM_ENOMEM, "out of memory"); }
	/* --all keeps every pair: one shared array, each (r, c) written by the one thread that owns c's tile */
	km_hit_t *all = NULL;
	if (so->all && !(all = malloc(sizeof(km_hit_t) * ((size_t)nr * nc + 1)))) {
		free(th); layout_free(&L);
		return km_err_set(e, KM_ENOMEM, "out of memory: --all keeps %d x %d rows", nr, nc);
	}
	/* per remain, one ranking shared by the threads (top[r * K ..], n_top[r], changed
	 * under lock[r]) and its K-th best value gbar[r] (-inf until K rows), read without
	 * the lock: a pair below it cannot be in the remain's top K.  The ranking holds the
	 * K best of the pairs offered in the total order, so it does not depend on the order
	 * in which the threads offer them; only the amount of exact scoring does. */
	double *gbar = malloc(sizeof(double) * ((size_t)nr + 1));
	km_hit_t *top = so->all ? NULL : malloc(sizeof(km_hit_t) * ((size_t)nr * K + 1));
	int *n_top = calloc((size_t)nr + 1, sizeof(int));
	unsigned char *lock = calloc((size_t)nr + 1, 1);
	if (!gbar || (!so->all && !top) || !n_top || !lock) {
		free(th); free(all); free(gbar); free(top); free(n_top); free(lock); layout_free(&L);
		return km_err_set(e, KM_ENOMEM, "out of memory");
	}
	for (int r = 0; r < nr; ++r) gbar[r] = KM_NEG_INF;
	size_t per_c = ix->n_totcol + (size_t)ix->n_hom * 3;
	for (int i = 0; i < nthr; ++i) {
		thr_t *T = &th[i];
		T->cw = km_cwork_new(C);
		T->ctbuf = malloc(sizeof(double) * per_c * KM_TILE + 1);
		T->typbuf = malloc((size_t)(nl + 1) * KM_TILE);
		T->cmask = malloc(sizeof(uint64_t) * (size_t)L.n_word * KM_TILE);
		T->S = aligned_alloc(64, ((sizeof(float) * L.n_scol * KM_TILE + 63) / 64) * 64 + 64);
		T->acc = aligned_alloc(64, sizeof(float) * KM_TILE * (size_t)chunk + 64);
		T->tw = malloc(sizeof(double) * 2 * ((size_t)L.max_twin * KM_TILE + 1));
		T->err_cand = -1;
		if (!T->cw || !T->ctbuf || !T->typbuf || !T->cmask || !T->S || !T->acc || !T->tw) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto done; }
		for (int j = 0; j < KM_TILE; ++j) {
			T->ct[j].lr = T->ctbuf + (size_t)j * per_c;
			T->ct[j].hom = T->ct[j].lr + ix->n_totcol;
			T->ct[j].typed = T->typbuf + (size_t)j * (nl + 1);
		}
	}

	#pragma omp parallel for schedule(dynamic, 1) num_threads(nthr)
	for (int tile = 0; tile < n_tile; ++tile) {
		int tid = 0;
#ifdef _OPENMP
		tid = omp_get_thread_num();
#endif
		thr_t *T = &th[tid];
		if (T->ret < 0) continue;
		int c0 = tile * KM_TILE, nt = nc - c0 < KM_TILE ? nc - c0 : KM_TILE;
		double t0 = km_now();
		int n_ref0 = T->n_ref;
		for (int j = 0; j < nt; ++j) {
			int r2 = km_comp_cand(C, T->cw, &t->cand[c0 + j], &T->ct[j], &T->err);
			if (r2 == KM_EMODEL && so->keep_going) {   /* ops (issue 15 part 4): note it, go on */
				if (T->n_ref == T->m_ref) {
					int m = T->m_ref ? 2 * T->m_ref : 8;
					int *rc = realloc(T->ref_cand, sizeof *rc * m);
					char **rm = rc ? realloc(T->ref_msg, sizeof *rm * m) : NULL;
					if (rc) T->ref_cand = rc;
					if (rm) T->ref_msg = rm, T->m_ref = m;
					if (!rc || !rm) { T->ret = km_err_set(&T->err, KM_ENOMEM, "out of memory"), T->err_cand = c0 + j; break; }
				}
				if (!(T->ref_msg[T->n_ref] = strdup(T->err.msg))) { T->ret = km_err_set(&T->err, KM_ENOMEM, "out of memory"), T->err_cand = c0 + j; break; }
				T->ref_cand[T->n_ref++] = c0 + j;
				continue;
			}
			if (r2 < 0) { T->ret = r2, T->err_cand = c0 + j; break; }
			T->st.n_inconsistent += T->ct[j].n_inc;
			uint64_t *cm = T->cmask + (size_t)j * L.n_word;
			memset(cm, 0, sizeof(uint64_t) * L.n_word);
			for (int l = 0; l < nl; ++l) if (T->ct[j].typed[l]) cm[l >> 6] |= 1ULL << (l & 63);
		}
		if (T->ret < 0) continue;
		if (T->n_ref > n_ref0) continue;   /* --keep-going: this run will be redone without the refused families */
		screen_fill(T, ix, &L, nt);
		double t1 = km_now();
		int rmin = -1;   /* remain pairs: remains <= every candidate's r_after are not scored */
		if (t->r_after) {
			rmin = t->r_after[c0];
			for (int j = 1; j < nt; ++j) if (t->r_after[c0 + j] < rmin) rmin = t->r_after[c0 + j];
		}
		for (int r0 = 0; r0 < nr; r0 += chunk) {
			int r1 = nr - r0 < chunk ? nr : r0 + chunk;
			if (r1 - 1 <= rmin) continue;
			/* screen: the float table sums of the chunk, locus block by locus block (the
			 * block's columns stay in L1 while every remain of the chunk goes through
			 * them), with dropout homozygotes at their bounds; --all needs no screen */
			if (!so->all)
				for (int b = 0; b < L.n_blk; ++b) {
					int l0 = L.blk_start[b], len = L.blk_start[b + 1] - l0;
					block_sums(T->acc, T->S + L.soff[l0] * KM_TILE, L.sidxb + (size_t)l0 * nr + (size_t)r0 * len, len, r1 - r0, b == 0);
				}
			for (int r = r0; r < r1; ++r) {
				const float *fs = T->acc + (size_t)(r - r0) * KM_TILE;
				const uint64_t *rm = L.rmask + (size_t)r * L.n_word;
				for (int j = 0; j < nt; ++j) {
					int c = c0 + j, n = 0;
					if (t->r_after && r <= t->r_after[c]) continue;
					if (t->rsex && t->rsex[r] && t->rsex[r] != t->csex[c]) {   /* remain sex (dvi): not a candidate */
						if (so->all) all[(size_t)r * nc + c].cand = -1, all[(size_t)r * nc + c].lr = KM_NEG_INF;
						continue;
					}
					int rank_it = 1, keep_sp = so->sparse;
					if (!so->all) {   /* the cheap tests first: most pairs stop here */
						/* an upper bound of the exact value (screen_fill; twins bound dropout
						 * homozygotes up to SCREEN_MARGIN) */
						double bound = (double)fs[j] + T->errb[j], bar;
						keep_sp = keep_sp && !(bound < so->sparse_lr - SCREEN_MARGIN);
						if (bound < min_lr - SCREEN_MARGIN) rank_it = 0;
						else {
							__atomic_load(&gbar[r], &bar, __ATOMIC_RELAXED);
							if (bound < bar - SCREEN_MARGIN) rank_it = 0;
						}
						if (!rank_it && !keep_sp) continue;
					}
					/* loci compared: typed in the remain and by the family (--min-loci) */
					const uint64_t *cm = T->cmask + (size_t)j * L.n_word;
					for (int w = 0; w < L.n_word; ++w) n += __builtin_popcountll(rm[w] & cm[w]);
					if (n < min_loci) {   /* not ranked; the identification's matrix ignores --min-loci (CONTRACT.md) */
						if (!keep_sp) continue;
						rank_it = 0;
					}
					double v[KM_N_SYS], tot = 0.0;
					exact_sums(ix, &L, &T->ct[j], r, v);
					for (int sy = 0; sy < KM_N_SYS; ++sy) tot += v[sy];
					T->st.exact += 1;
					if (keep_sp && tot > KM_NEG_INF && tot >= so->sparse_lr) {   /* identification's matrix */
						if (T->n_sp == T->m_sp) {   /* amortised: a few reallocations per thread */
							size_t m = T->m_sp ? 2 * T->m_sp : 4096;
							km_sent_t *x = realloc(T->sp, sizeof(km_sent_t) * m);
							if (!x) { T->ret = km_err_set(&T->err, KM_ENOMEM, "out of memory"), T->err_cand = c; break; }
							T->sp = x, T->m_sp = m;
						}
						T->sp[T->n_sp].remain = r, T->sp[T->n_sp].cand = c, T->sp[T->n_sp++].lr = tot;
					}
					if (!rank_it) continue;
					if (so->all) {
						int n1 = 0;
						km_rank_push(all + (size_t)r * nc + c, &n1, 1, r, c, tot, v, n, &T->ct[j], ix->rsys);
						continue;
					}
					km_hit_t *tr = top + (size_t)r * K;
					km_spin_lock(&lock[r]);
					km_rank_push(tr, &n_top[r], K, r, c, tot, v, n, &T->ct[j], ix->rsys);
					if (n_top[r] == K) __atomic_store(&gbar[r], &tr[K - 1].lr, __ATOMIC_RELAXED);
					km_spin_unlock(&lock[r]);
				}
			}
		}
		T->st.pairs += (double)nr * nt;
		km_prog_add(nt);   /* ops: progress on a terminal (progress.h) */
		T->st.t_compile += t1 - t0;
		double t2 = km_now();
		T->st.t_scan += t2 - t1;
		if (so->tile_hook) {   /* --bench: a bench-only path over the same tile (scanbench.c) */
			km_tile_t tv = { T->S, L.soff, L.sidx, nl, nr, nt };
			so->tile_hook(so->hook_arg, &tv, &T->st);
		}
	}

	/* the first error in candidate order, whichever thread met it */
	{
		int bad = -1;
		for (int i = 0; i < nthr; ++i)
			if (th[i].ret < 0 && (bad < 0 || th[i].err_cand < th[bad].err_cand)) bad = i;
		if (bad >= 0) {
			*e = th[bad].err;
			ret = th[bad].ret;
			if (ret == KM_EMODEL && (st->refused = malloc(sizeof(int))) && (st->refused_msg = malloc(sizeof(char *))) &&
			    (st->refused_msg[0] = strdup(e->msg)))
				st->refused[0] = th[bad].err_cand, st->n_refused = 1;
			goto done;
		}
	}
	{	/* ops (--keep-going): every refused candidate, in candidate order; the caller drops
		 * their families and scans again */
		int n = 0;
		for (int i = 0; i < nthr; ++i) n += th[i].n_ref;
		if (n > 0) {
			if (!(st->refused = malloc(sizeof(int) * n)) || !(st->refused_msg = calloc(n, sizeof(char *)))) {
				ret = km_err_set(e, KM_ENOMEM, "out of memory");
				goto done;
			}
			for (int i = 0; i < nthr; ++i)
				for (int k = 0; k < th[i].n_ref; ++k) {
					int c = th[i].ref_cand[k], at = st->n_refused++;
					while (at > 0 && st->refused[at - 1] > c) {   /* insertion: few refusals */
						st->refused[at] = st->refused[at - 1], st->refused_msg[at] = st->refused_msg[at - 1];
						--at;
					}
					st->refused[at] = c, st->refused_msg[at] = th[i].ref_msg[k];
					th[i].ref_msg[k] = NULL;
				}
			snprintf(e->msg, sizeof e->msg, "%s", st->refused_msg[0]);
			ret = KM_EMODEL;
			goto done;
		}
	}
	for (int i = 0; i < nthr; ++i) km_stats_add(st, &th[i].st);
	/* remains in byte order of their ids; per remain its ranking, cut (rank.c) */
	double t_merge = km_now();
	if ((ret = km_rank_merge(hits, rem, nr, nc, K, Kout, min_lr, so->all, all, top, n_top, e)) < 0) goto done;
	if (so->sparse) {   /* the pairs >= sparse_lr of every thread, in (candidate, remain) order */
		size_t n = 0;
		for (int i = 0; i < nthr; ++i) n += th[i].n_sp;
		if (!(hits->sp = malloc(sizeof(km_sent_t) * (n + 1)))) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto done; }
		for (int i = 0; i < nthr; ++i) {
			if (th[i].n_sp) memcpy(hits->sp + hits->n_sp, th[i].sp, sizeof(km_sent_t) * th[i].n_sp);
			hits->n_sp += th[i].n_sp;
		}
		if (hits->n_sp) qsort(hits->sp, hits->n_sp, sizeof(km_sent_t), cmp_sent);
		hits->sparse_on = 1;
	}
	st->t_rank = km_now() - t_merge;
done:
	for (int i = 0; i < nthr; ++i) {
		km_cwork_free(th[i].cw, st);
		free(th[i].ctbuf); free(th[i].typbuf); free(th[i].cmask); free(th[i].S); free(th[i].acc); free(th[i].tw);
		for (int k = 0; k < th[i].n_ref; ++k) free(th[i].ref_msg[k]);
		free(th[i].ref_cand); free(th[i].ref_msg);
		free(th[i].sp);
	}
	free(th); free(all); free(gbar); free(top); free(n_top); free(lock);
	layout_free(&L);
	if (ret < 0) km_hits_destroy(hits);
	return ret;
}

void km_scanstat_free(km_stats_t *st)
{
	for (int i = 0; i < st->n_refused; ++i) free(st->refused_msg[i]);
	free(st->refused), free(st->refused_msg);
	st->refused = NULL, st->refused_msg = NULL, st->n_refused = 0;
}
