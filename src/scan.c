/* scan.c — every remain against every candidate: the hot loop only adds numbers.
 *
 * Candidates are taken in tiles of KM_TILE.  A thread compiles a tile's tables
 * (compile.c), lays them out genotype-major and candidate-interleaved — the values of one
 * observation column for the KM_TILE candidates are contiguous, so one vector load serves
 * them all, without gathers (DESIGN.md §4) — and streams every remain through them:
 *     screen(r, c) = sum_l S[soff[l] + sidx[r, l]][c]
 * Column 0 (untyped) holds 0.  A remain's apparent homozygote under dropout points at a
 * "twin" column that holds an upper bound of its LR over the remain's possible w, so the
 * screen is an upper bound of the exact score.  A pair whose screen cannot reach the
 * remain's current K-th best (or --min-log10-lr) is dropped; every other pair is scored
 * exactly in double by score(), the one function that defines the reported numbers:
 * system by system in locus order, then the systems in order, so a pair's value is the
 * same for any --threads and any tiling.
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

/* the screen is computed in a different order than score(); this covers the rounding
 * difference of two double sums of a few hundred terms many times over */
#define SCREEN_MARGIN 1e-6

/* a before b in the ranking? */
static inline int better(double la, int ca, double lb, int cb)
{
	return la > lb || (la == lb && ca < cb);
}

/* An apparent homozygote of a remain with dropout: LR = (P + wQ) / (1 + wR), from the
 * candidate's P, Q, R of the column (compile.c) and the remain's w = d/(1+d). */
static inline double drop_lr(const km_index_t *ix, const double *hom, const struct km_drop_s *d)
{
	const double *H = hom + (size_t)ix->hom_slot[ix->col_off[d->l] + d->col] * 3;
	double num = H[0] + d->w * H[1];
	return num > 0.0 ? log10(num / (1.0 + d->w * H[2])) : KM_NEG_INF;
}

/* The exact log10 LR of one (remain, candidate): system by system in locus order; sys[]
 * (may be NULL) receives the per-system sums.  Preconditions: g[l] < n_col[l]; the
 * dropout entries dr[0..ndr) are sorted by locus. */
static double score(const double *row, const double *hom, const km_index_t *ix, const uint16_t *g,
                    const struct km_drop_s *dr, size_t ndr, double *sys)
{
	double tot = 0.0;
	size_t j = 0;
	for (int s = 0; s < KM_N_SYS; ++s) {
		double v = 0.0;
		for (int l = ix->sys_start[s]; l < ix->sys_start[s + 1]; ++l) v += row[ix->col_off[l] + g[l]];
		for (; j < ndr && dr[j].l < ix->sys_start[s + 1]; ++j) v += drop_lr(ix, hom, &dr[j]);
		if (sys) sys[s] = v;
		tot += v;
	}
	return tot;
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
typedef struct {
	size_t *soff;          /* [n_loc] first screen column of locus l */
	size_t n_scol;
	uint32_t *sidx;        /* [r * n_loc + l] screen column (relative to soff[l]) of remain r */
	uint64_t *rmask;       /* [r * n_word]: loci typed in remain r (for --min-loci) */
	int n_word;
} layout_t;

static void layout_free(layout_t *L)
{
	free(L->soff); free(L->sidx); free(L->rmask);
	memset(L, 0, sizeof(*L));
}

static int layout_build(layout_t *L, const km_index_t *ix, km_err_t *e)
{
	int nl = ix->n_loc, nr = ix->n_remain;
	memset(L, 0, sizeof(*L));
	L->n_word = (nl + 63) / 64 + 1;
	L->soff = malloc(sizeof(size_t) * (nl + 1));
	L->sidx = malloc(sizeof(uint32_t) * ((size_t)nr * nl + 1));
	L->rmask = calloc((size_t)nr * L->n_word + 1, sizeof(uint64_t));
	if (!L->soff || !L->sidx || !L->rmask) { layout_free(L); return km_err_set(e, KM_ENOMEM, "out of memory"); }
	size_t off = 0;
	for (int l = 0; l < nl; ++l) {
		int ntw = 0;   /* homozygous columns with a slot: their twins follow the table columns */
		for (int k = 1; k < ix->n_col[l]; ++k) ntw += ix->hom_slot[ix->col_off[l] + k] >= 0;
		L->soff[l] = off;
		off += (size_t)ix->n_col[l] + ntw;
	}
	L->n_scol = off;
	for (int r = 0; r < nr; ++r) {
		const uint16_t *g = ix->gidx + (size_t)r * nl;
		uint32_t *si = L->sidx + (size_t)r * nl;
		uint64_t *mk = L->rmask + (size_t)r * L->n_word;
		for (int l = 0; l < nl; ++l) {
			si[l] = g[l];
			if (g[l]) mk[l >> 6] |= 1ULL << (l & 63);
		}
		for (size_t j = ix->drop_start[r]; j < ix->drop_start[r + 1]; ++j) {
			const struct km_drop_s *d = &ix->drop[j];
			int first = -1;
			for (int k = 1; k < ix->n_col[d->l]; ++k) {
				int s = ix->hom_slot[ix->col_off[d->l] + k];
				if (s >= 0) { first = s; break; }
			}
			si[d->l] = (uint32_t)(ix->n_col[d->l] + (ix->hom_slot[ix->col_off[d->l] + d->col] - first));
			mk[d->l >> 6] |= 1ULL << (d->l & 63);
		}
	}
	return 0;
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
	double t_compile, t_scan, pairs, exact;
	long computed, shared;
	int n_inc;
	int ret;
	km_err_t err;
	int err_cand;
} thr_t;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Fills the tile's screen: S[(soff[l] + k) * KM_TILE + j] = candidate j's value at column k,
 * twins = the largest LR of the dropout mixture over w in [0, 1/2] (d in [0, 1)): the
 * mixture is monotone in w, so the larger end point.  Unused lanes get -inf. */
static void screen_fill(thr_t *T, const km_index_t *ix, const layout_t *L, int nt)
{
	for (int l = 0; l < ix->n_loc; ++l) {
		int nc = ix->n_col[l], tw = 0;
		double *S = T->S + L->soff[l] * KM_TILE;
		for (int k = 0; k < nc; ++k) {
			size_t c = ix->col_off[l] + k;
			for (int j = 0; j < KM_TILE; ++j) S[(size_t)k * KM_TILE + j] = j < nt ? T->ct[j].lr[c] : KM_NEG_INF;
			int slot = k ? ix->hom_slot[c] : -1;
			if (slot < 0) continue;
			double *St = S + (size_t)(nc + tw++) * KM_TILE;
			for (int j = 0; j < KM_TILE; ++j) {
				if (j >= nt) { St[j] = KM_NEG_INF; continue; }
				const double *H = T->ct[j].hom + (size_t)slot * 3;
				double a = H[0], b = (H[0] + 0.5 * H[1]) / (1.0 + 0.5 * H[2]);
				double m = a > b ? a : b;
				St[j] = m > 0.0 ? log10(m) : KM_NEG_INF;
			}
		}
	}
}

/* Keeps (r, c, s) in the sorted top-K of one remain; fills the row's breakdown. */
static void top_push(km_hit_t *top, int *n, int K, int r, int c, const km_ctab_t *ct,
                     const km_index_t *ix, const uint16_t *g, const struct km_drop_s *dr, size_t ndr,
                     const uint8_t *rsys)
{
	double v[KM_N_SYS], s = score(ct->lr, ct->hom, ix, g, dr, ndr, v);
	if (*n == K && !better(s, c, top[K - 1].lr, top[K - 1].cand)) return;
	int i = *n < K ? (*n)++ : K - 1;
	while (i > 0 && better(s, c, top[i - 1].lr, top[i - 1].cand)) { top[i] = top[i - 1]; --i; }
	km_hit_t *h = &top[i];
	h->remain = r, h->cand = c;
	h->lr = s;
	for (int sy = 0; sy < KM_N_SYS; ++sy)
		h->sys[sy] = ((rsys[r] >> sy & 1) && (ct->csys >> sy & 1)) ? v[sy] : (double)NAN;
	int nl = 0;
	for (int l = 0; l < ix->n_loc; ++l) nl += g[l] != 0 && ct->typed[l];
	for (size_t j = 0; j < ndr; ++j) nl += ct->typed[dr[j].l];
	h->loci = nl;
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
		double t0 = now_s();
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
		double t1 = now_s();
		for (int r = 0; r < nr; ++r) {
			const uint32_t *si = L.sidx + (size_t)r * nl;
			double acc[KM_TILE] __attribute__((aligned(64)));
			for (int j = 0; j < KM_TILE; ++j) acc[j] = 0.0;
			/* the kernel: one contiguous KM_TILE-wide load and add per locus */
			for (int l = 0; l < nl; ++l) {
				const double *v = T->S + (L.soff[l] + si[l]) * KM_TILE;
				for (int j = 0; j < KM_TILE; ++j) acc[j] += v[j];
			}
			const uint16_t *g = ix->gidx + (size_t)r * nl;
			const struct km_drop_s *dr = ix->drop + ix->drop_start[r];
			size_t ndr = ix->drop_start[r + 1] - ix->drop_start[r];
			const uint64_t *rm = L.rmask + (size_t)r * L.n_word;
			for (int j = 0; j < nt; ++j) {
				int c = c0 + j;
				if (min_loci > 0) {
					const uint64_t *cm = T->cmask + (size_t)j * L.n_word;
					int n = 0;
					for (int w = 0; w < L.n_word; ++w) n += __builtin_popcountll(rm[w] & cm[w]);
					if (n < min_loci) continue;
				}
				if (o->all) {
					int n1 = 0;
					top_push(all + (size_t)r * nc + c, &n1, 1, r, c, &T->ct[j], ix, g, dr, ndr, ix->rsys);
					T->exact += 1;
					continue;
				}
				if (acc[j] < min_lr - SCREEN_MARGIN) continue;
				km_hit_t *top = T->top + (size_t)r * K;
				if (T->n_top[r] == K && acc[j] < top[K - 1].lr - SCREEN_MARGIN) continue;
				top_push(top, &T->n_top[r], K, r, c, &T->ct[j], ix, g, dr, ndr, ix->rsys);
				T->exact += 1;
			}
		}
		T->pairs += (double)nr * nt;
		T->t_compile += t1 - t0;
		T->t_scan += now_s() - t1;
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
		t->n_inconsistent += th[i].n_inc;
	}
	/* merge: remains in byte order of their ids; per remain the union of the threads'
	 * rankings in the total order, cut at K, then --min-log10-lr */
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
done:
	for (int i = 0; i < nthr; ++i) {
		km_cwork_free(th[i].cw, &t->n_computed, &t->n_shared);
		free(th[i].ctbuf); free(th[i].typbuf); free(th[i].cmask); free(th[i].S); free(th[i].top); free(th[i].n_top);
	}
	free(th); free(all);
	layout_free(&L);
	if (ret < 0) km_hits_destroy(hits);
	return ret;
}
