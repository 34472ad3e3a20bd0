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

#define KM_TILE 16

/* the screen and the exact value differ only where dropout bounds stand in; the margin
 * keeps a pair whose bound equals the K-th best up to rounding */
#define SCREEN_MARGIN 1e-6

/* a before b in the ranking? */
static inline int better(double la, int ca, double lb, int cb)
{
	return la > lb || (la == lb && ca < cb);
}

/* An apparent homozygote of a remain with dropout: LR = (P + wQ) / (1 + wR), from the
 * candidate's P, Q, R of the column (compile.c) and the remain's w = d/(1+d). */
static inline double drop_ratio(const km_index_t *ix, const double *hom, const struct km_drop_s *d)
{
	const double *H = hom + (size_t)ix->hom_slot[ix->col_off[d->l] + d->col] * 3;
	return (H[0] + d->w * H[1]) / (1.0 + d->w * H[2]);
}

/* log10 of the product of a system's dropout LRs, in locus order: one logarithm per
 * system instead of one per locus (the product is kept in range with frexp, so it cannot
 * overflow or underflow); 0 -> -inf. */
static double drop_log10(const km_index_t *ix, const double *hom, const struct km_drop_s *dr, size_t n)
{
	double prod = 1.0;
	long e2 = 0;
	for (size_t i = 0; i < n; ++i) {
		prod *= drop_ratio(ix, hom, &dr[i]);
		if (prod == 0.0) return KM_NEG_INF;
		int e;
		prod = frexp(prod, &e);
		e2 += e;
	}
	return log10(prod) + (double)e2 * 0.30102999566398119521;   /* log10(2) */
}


void km_hits_destroy(km_hits_t *h)
{
	free(h->h); free(h->rank);
	memset(h, 0, sizeof(*h));
}

static const km_prof_t *g_sort_rem;
static int cmp_remain(const void *x, const void *y)
{
	return strcmp(g_sort_rem->sample[*(const int *)x], g_sort_rem->sample[*(const int *)y]);
}

static int cmp_hit(const void *x, const void *y)
{
	const km_hit_t *a = x, *b = y;
	return better(a->lr, a->cand, b->lr, b->cand) ? -1 : better(b->lr, b->cand, a->lr, a->cand) ? 1 : 0;
}

/* Screen layout shared by all threads: per locus, the table's columns then one twin
 * column per homozygous column that some remain shows under dropout. */
#define TWIN_BINS 16   /* dropout weights w in (0, 1/2) are bounded per bin of width 1/32 */

typedef struct {
	size_t *soff;          /* [n_loc] first screen column of locus l */
	size_t n_scol;
	int *n_twin;           /* [n_loc] twin columns after the table's columns */
	int *twin_col;         /* [sum n_twin] the homozygous column a twin bounds ... */
	double *twin_w;        /* ... at this w, the upper edge of its bin */
	size_t *twin_off;      /* [n_loc] first twin of locus l in twin_col / twin_w */
	uint16_t *sidx;        /* [r * n_loc + l] screen column (relative to soff[l]) of remain r */
	uint64_t *rmask;       /* [r * n_word]: loci typed in remain r (for --min-loci) */
	int n_word;
} layout_t;

static void layout_free(layout_t *L)
{
	free(L->soff); free(L->sidx); free(L->rmask);
	free(L->n_twin); free(L->twin_col); free(L->twin_w); free(L->twin_off);
	memset(L, 0, sizeof(*L));
}

static int layout_build(layout_t *L, const km_index_t *ix, km_err_t *e)
{
	int nl = ix->n_loc, nr = ix->n_remain;
	memset(L, 0, sizeof(*L));
	L->n_word = (nl + 63) / 64 + 1;
	L->soff = malloc(sizeof(size_t) * (nl + 1));
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
	return 0;
}

/* The kernel: the screen sums of one remain for a tile's KM_TILE candidates, one
 * contiguous KM_TILE-wide load and add per locus.  Each lane adds its own candidate's
 * values in locus order, so every instruction set gives the same sums; the clones only
 * widen the vectors (SSE2 adds 2 lanes at once, AVX2 4, AVX-512 8). */
__attribute__((target_clones("avx512f", "avx2", "default")))
static void tile_sums(const double *S, const size_t *soff, const uint16_t *si, const int *sys_start,
                      double out[KM_N_SYS][KM_TILE])
{
	for (int s = 0; s < KM_N_SYS; ++s) {     /* system by system: the reported order */
		double acc[KM_TILE] __attribute__((aligned(64)));
		for (int j = 0; j < KM_TILE; ++j) acc[j] = 0.0;
		for (int l = sys_start[s]; l < sys_start[s + 1]; ++l) {
			const double *v = S + (soff[l] + si[l]) * KM_TILE;
			for (int j = 0; j < KM_TILE; ++j) acc[j] += v[j];
		}
		for (int j = 0; j < KM_TILE; ++j) out[s][j] = acc[j];
	}
}

/* the total: the systems in order */
static inline double sys_total(double v[KM_N_SYS][KM_TILE], int j)
{
	double tot = 0.0;
	for (int s = 0; s < KM_N_SYS; ++s) tot += v[s][j];
	return tot;
}

/* Per-thread state: a tile's compiled tables and its screen. */
typedef struct {
	km_cwork_t *cw;
	km_ctab_t ct[KM_TILE];
	double *ctbuf;          /* backing store of ct[] */
	uint8_t *typbuf;
	uint64_t *cmask;        /* [KM_TILE * n_word] */
	double *S;              /* [n_scol * KM_TILE], 64-byte aligned */
	km_hit_t *top;          /* [n_remain * K] this thread's rankings */
	int *n_top;
	double t_compile, t_scan, pairs, exact, t_kernel, sink;
	long computed, shared;
	int n_inc;
	int ret;
	km_err_t err;
	int err_cand;
} thr_t;

/* Fills the tile's screen: S[(soff[l] + k) * KM_TILE + j] = candidate j's value at column k;
 * a twin holds the largest LR of the dropout mixture (P + wQ)/(1 + wR) over w up to its
 * bin's upper edge: the mixture is monotone in w, so the larger end point.  Unused lanes
 * get -inf. */
static void screen_fill(thr_t *T, const km_index_t *ix, const layout_t *L, int nt)
{
	for (int l = 0; l < ix->n_loc; ++l) {
		int nc = ix->n_col[l];
		double *S = T->S + L->soff[l] * KM_TILE;
		for (int k = 0; k < nc; ++k) {
			size_t c = ix->col_off[l] + k;
			for (int j = 0; j < KM_TILE; ++j) S[(size_t)k * KM_TILE + j] = j < nt ? T->ct[j].lr[c] : KM_NEG_INF;
		}
		for (int t = 0; t < L->n_twin[l]; ++t) {
			size_t tt = L->twin_off[l] + t;
			int slot = ix->hom_slot[ix->col_off[l] + L->twin_col[tt]];
			double w = L->twin_w[tt];
			double *St = S + (size_t)(nc + t) * KM_TILE;
			for (int j = 0; j < KM_TILE; ++j) {
				if (j >= nt) { St[j] = KM_NEG_INF; continue; }
				const double *H = T->ct[j].hom + (size_t)slot * 3;
				double a = H[0], b = (H[0] + w * H[1]) / (1.0 + w * H[2]);
				double m = a > b ? a : b;
				St[j] = m > 0.0 ? log10(m) : KM_NEG_INF;
			}
		}
	}
}

/* Keeps (r, c) with exact log10 LR s and per-system sums v in the sorted top-K of one
 * remain. */
static void top_push(km_hit_t *top, int *n, int K, int r, int c, double s, const double *v, int loci,
                     const km_ctab_t *ct, const uint8_t *rsys)
{
	if (*n == K && !better(s, c, top[K - 1].lr, top[K - 1].cand)) return;
	int i = *n < K ? (*n)++ : K - 1;
	while (i > 0 && better(s, c, top[i - 1].lr, top[i - 1].cand)) { top[i] = top[i - 1]; --i; }
	km_hit_t *h = &top[i];
	h->remain = r, h->cand = c;
	h->lr = s;
	for (int sy = 0; sy < KM_N_SYS; ++sy)
		h->sys[sy] = ((rsys[r] >> sy & 1) && (ct->csys >> sy & 1)) ? v[sy] : (double)NAN;
	h->loci = loci;
	for (int k = 0; k < 2; ++k) h->lin_ref[k] = ct->lin_ref[k], h->lin_k[k] = ct->lin_k[k];
}

int km_scan(km_hits_t *hits, km_tabs_t *t, const km_index_t *ix, const km_comp_t *C,
            const km_prof_t *rem, const km_opt_t *o, km_scanstat_t *st, km_err_t *e)
{
	int nr = ix->n_remain, nc = t->n_cand, nl = ix->n_loc, ret = 0;
	int K = o->all ? nc : (o->top < nc ? o->top : nc);
	int nthr = o->threads > 0 ? o->threads : 1;
	int n_tile = (nc + KM_TILE - 1) / KM_TILE;
	int min_loci = o->all ? 0 : o->min_loci;
	double min_lr = o->all ? KM_NEG_INF : o->min_lr;
	layout_t L;
	memset(hits, 0, sizeof(*hits));
	memset(st, 0, sizeof(*st));
	if (K < 0) K = 0;
	if ((ret = layout_build(&L, ix, e)) < 0) return ret;
	thr_t *th = calloc((size_t)nthr, sizeof(thr_t));
	if (!th) { layout_free(&L); return km_err_set(e, KM_ENOMEM, "out of memory"); }
	/* --all keeps every pair: one shared array, each (r, c) written by the one thread that owns c's tile */
	km_hit_t *all = NULL;
	if (o->all && !(all = malloc(sizeof(km_hit_t) * ((size_t)nr * nc + 1)))) {
		free(th); layout_free(&L);
		return km_err_set(e, KM_ENOMEM, "out of memory: --all keeps %d x %d rows", nr, nc);
	}
	/* per remain, the best K-th best any thread has seen: pairs below it cannot be in
	 * the remain's top K, whichever thread meets them (the output does not depend on
	 * when a thread sees another's bar, only the amount of rescoring does) */
	double *gbar = malloc(sizeof(double) * ((size_t)nr + 1));
	if (!gbar) { free(th); free(all); layout_free(&L); return km_err_set(e, KM_ENOMEM, "out of memory"); }
	for (int r = 0; r < nr; ++r) gbar[r] = KM_NEG_INF;
	size_t per_c = ix->n_totcol + (size_t)ix->n_hom * 3;
	for (int i = 0; i < nthr; ++i) {
		thr_t *T = &th[i];
		T->cw = km_cwork_new(C);
		T->ctbuf = malloc(sizeof(double) * per_c * KM_TILE + 1);
		T->typbuf = malloc((size_t)(nl + 1) * KM_TILE);
		T->cmask = malloc(sizeof(uint64_t) * (size_t)L.n_word * KM_TILE);
		T->S = aligned_alloc(64, ((sizeof(double) * L.n_scol * KM_TILE + 63) / 64) * 64 + 64);
		T->top = o->all ? NULL : malloc(sizeof(km_hit_t) * ((size_t)nr * K + 1));
		T->n_top = calloc((size_t)nr + 1, sizeof(int));
		T->err_cand = -1;
		if (!T->cw || !T->ctbuf || !T->typbuf || !T->cmask || !T->S || (!o->all && !T->top) || !T->n_top) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto done; }
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
		for (int j = 0; j < nt; ++j) {
			int r2 = km_comp_cand(C, T->cw, &t->cand[c0 + j], &T->ct[j], &T->err);
			if (r2 < 0) { T->ret = r2, T->err_cand = c0 + j; break; }
			T->n_inc += T->ct[j].n_inc;
			uint64_t *cm = T->cmask + (size_t)j * L.n_word;
			memset(cm, 0, sizeof(uint64_t) * L.n_word);
			for (int l = 0; l < nl; ++l) if (T->ct[j].typed[l]) cm[l >> 6] |= 1ULL << (l & 63);
		}
		if (T->ret < 0) continue;
		screen_fill(T, ix, &L, nt);
		double t1 = km_now();
		for (int r = 0; r < nr; ++r) {
			/* screen: the exact table sums, with dropout homozygotes at their bounds */
			double sv[KM_N_SYS][KM_TILE] __attribute__((aligned(64)));
			double ev[KM_N_SYS][KM_TILE] __attribute__((aligned(64)));
			double bound[KM_TILE];
			tile_sums(T->S, L.soff, L.sidx + (size_t)r * nl, ix->sys_start, sv);
			for (int j = 0; j < KM_TILE; ++j) bound[j] = sys_total(sv, j);
			const uint16_t *g = ix->gidx + (size_t)r * nl;
			const struct km_drop_s *dr = ix->drop + ix->drop_start[r];
			size_t ndr = ix->drop_start[r + 1] - ix->drop_start[r];
			const uint64_t *rm = L.rmask + (size_t)r * L.n_word;
			int have_ev = 0;   /* remains with dropout: table part without the bounds, once per tile */
			for (int j = 0; j < nt; ++j) {
				int c = c0 + j, n = 0;
				km_hit_t *top = NULL;
				if (!o->all) {   /* the cheap tests first: most pairs stop here */
					if (bound[j] < min_lr - SCREEN_MARGIN) continue;
					top = T->top + (size_t)r * K;
					if (T->n_top[r] == K && bound[j] < top[K - 1].lr - SCREEN_MARGIN) continue;
					/* another thread's K-th best is a lower bound of the global one too */
					double gthr;
					__atomic_load(&gbar[r], &gthr, __ATOMIC_RELAXED);
					if (bound[j] < gthr - SCREEN_MARGIN) continue;
				}
				/* loci compared: typed in the remain and by the family (--min-loci) */
				const uint64_t *cm = T->cmask + (size_t)j * L.n_word;
				for (int w = 0; w < L.n_word; ++w) n += __builtin_popcountll(rm[w] & cm[w]);
				if (n < min_loci) continue;
				/* the exact value in the reported order: per system the table part in locus
				 * order, then the dropout entries; without dropout the screen is exact */
				double v[KM_N_SYS], tot = 0.0;
				if (ndr == 0) {
					for (int sy = 0; sy < KM_N_SYS; ++sy) v[sy] = sv[sy][j];
				} else {
					if (!have_ev) { tile_sums(T->S, L.soff, g, ix->sys_start, ev); have_ev = 1; }
					size_t q = 0;
					for (int sy = 0; sy < KM_N_SYS; ++sy) {
						size_t q0 = q;
						v[sy] = ev[sy][j];
						while (q < ndr && dr[q].l < ix->sys_start[sy + 1]) ++q;
						if (q > q0) v[sy] += drop_log10(ix, T->ct[j].hom, dr + q0, q - q0);
					}
				}
				for (int sy = 0; sy < KM_N_SYS; ++sy) tot += v[sy];
				T->exact += 1;
				if (o->all) {
					int n1 = 0;
					top_push(all + (size_t)r * nc + c, &n1, 1, r, c, tot, v, n, &T->ct[j], ix->rsys);
					continue;
				}
				top_push(top, &T->n_top[r], K, r, c, tot, v, n, &T->ct[j], ix->rsys);
				if (T->n_top[r] == K) {   /* raise the shared bar: atomic max */
					double want = top[K - 1].lr, cur;
					__atomic_load(&gbar[r], &cur, __ATOMIC_RELAXED);
					while (want > cur && !__atomic_compare_exchange(&gbar[r], &cur, &want, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {}
				}
			}
		}
		T->pairs += (double)nr * nt;
		T->t_compile += t1 - t0;
		double t2 = km_now();
		T->t_scan += t2 - t1;
		if (o->bench) {
			/* the reference kernel (issue: performance): the same table sum over the same
			 * tile and remains, with no screening, ranking or output; the ratio of the
			 * two rates says how close the scan runs to the memory system's limit */
			double sink = 0.0;
			for (int r = 0; r < nr; ++r) {
				double sv[KM_N_SYS][KM_TILE] __attribute__((aligned(64)));
				tile_sums(T->S, L.soff, L.sidx + (size_t)r * nl, ix->sys_start, sv);
				for (int j = 0; j < nt; ++j) sink += sys_total(sv, j) > 0.0 ? sv[0][j] : 0.0;
			}
			T->sink += sink;
			T->t_kernel += km_now() - t2;
		}
	}

	/* the first error in candidate order, whichever thread met it */
	{
		int bad = -1;
		for (int i = 0; i < nthr; ++i)
			if (th[i].ret < 0 && (bad < 0 || th[i].err_cand < th[bad].err_cand)) bad = i;
		if (bad >= 0) { *e = th[bad].err; ret = th[bad].ret; goto done; }
	}
	for (int i = 0; i < nthr; ++i) {
		st->t_compile += th[i].t_compile, st->t_scan += th[i].t_scan;
		st->pairs += th[i].pairs, st->exact += th[i].exact;
		st->t_kernel += th[i].t_kernel, st->kernel_sink += th[i].sink;
		t->n_inconsistent += th[i].n_inc;
	}
	/* merge: remains in byte order of their ids; per remain the union of the threads'
	 * rankings in the total order, cut at K, then --min-log10-lr */
	double t_merge = km_now();
	{
		int *ord = malloc(sizeof(int) * (size_t)(nr + 1));
		km_hit_t *buf = malloc(sizeof(km_hit_t) * ((size_t)K * nthr + 1));
		size_t cap = (size_t)nr * K + 1;
		hits->h = malloc(sizeof(km_hit_t) * cap);
		hits->rank = malloc(sizeof(int) * cap);
		if (!ord || !buf || !hits->h || !hits->rank) { free(ord); free(buf); ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto done; }
		for (int r = 0; r < nr; ++r) ord[r] = r;
		g_sort_rem = rem;
		qsort(ord, (size_t)nr, sizeof(int), cmp_remain);
		for (int i = 0; i < nr; ++i) {
			int r = ord[i], n = 0;
			if (o->all) {
				km_hit_t *row = all + (size_t)r * nc;
				qsort(row, (size_t)nc, sizeof(km_hit_t), cmp_hit);
				for (int k = 0; k < nc; ++k) { hits->h[hits->n] = row[k]; hits->rank[hits->n++] = k + 1; }
				continue;
			}
			for (int tt = 0; tt < nthr; ++tt)
				for (int k = 0; k < th[tt].n_top[r]; ++k) buf[n++] = th[tt].top[(size_t)r * K + k];
			qsort(buf, (size_t)n, sizeof(km_hit_t), cmp_hit);
			for (int k = 0; k < n && k < K; ++k) {
				if (buf[k].lr < min_lr) break;          /* sorted: the rest are lower */
				hits->h[hits->n] = buf[k];
				hits->rank[hits->n++] = k + 1;
			}
		}
		free(ord); free(buf);
	}
	st->t_rank = km_now() - t_merge;
done:
	for (int i = 0; i < nthr; ++i) {
		km_cwork_free(th[i].cw, &t->n_computed, &t->n_shared);
		free(th[i].ctbuf); free(th[i].typbuf); free(th[i].cmask); free(th[i].S); free(th[i].top); free(th[i].n_top);
	}
	free(th); free(all); free(gbar);
	layout_free(&L);
	if (ret < 0) km_hits_destroy(hits);
	return ret;
}
