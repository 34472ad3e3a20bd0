/* scanbench.c — the reference kernel of `--bench` (bench/README.md), outside the scan.
 *
 * The scan (scan.c) calls km_sopt_t.tile_hook after it has filled a tile's float screen;
 * with --bench the command sets it to km_bench_tile.  The kernel is the plain table sum
 * of every remain over that screen, all loci in order, one contiguous KM_TILE-wide load and add
 * per locus, with no blocking, screening, ranking or output: the ratio of its rate to the
 * scan's says how close the production scan runs to a plain scan of the same tables on
 * the same machine and SIMD path (the --bench line names it).  Nothing it computes
 * reaches an output; its sums go to km_stats_t.kernel_sink so the compiler keeps them.
 */
#include "kmpriv.h"
#include "pipe.h"

KM_SIMD_CLONES
static void tile_sum(const float *S, const size_t *soff, const uint16_t *si, int nl, float out[KM_TILE])
{
	float acc[KM_TILE] __attribute__((aligned(64)));
	for (int j = 0; j < KM_TILE; ++j) acc[j] = 0.0f;
	for (int l = 0; l < nl; ++l) {
		const float *v = S + (soff[l] + si[l]) * KM_TILE;
		for (int j = 0; j < KM_TILE; ++j) acc[j] += v[j];
	}
	for (int j = 0; j < KM_TILE; ++j) out[j] = acc[j];
}

void km_bench_tile(void *arg, const km_tile_t *T, km_stats_t *st)
{
	(void)arg;
	double t0 = km_now(), sink = 0.0;
	for (int r = 0; r < T->n_remain; ++r) {
		float sv[KM_TILE] __attribute__((aligned(64)));
		tile_sum(T->S, T->soff, T->sidx + (size_t)r * T->n_loc, T->n_loc, sv);
		for (int j = 0; j < T->nt; ++j) sink += sv[j] > 0.0f ? (double)sv[j] : 0.0;
	}
	st->kernel_sink += sink;
	st->t_kernel += km_now() - t0;
}
