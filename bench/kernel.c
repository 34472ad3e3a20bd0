/* bench/kernel.c — an independent pure table-scan kernel, for checking the scan rate
 * that `kinmatch match --bench` reports (issue 6: "an independent measurement by a pure
 * table-scan kernel written elsewhere confirms the ratio").
 *
 * It shares no code with kinmatch.  It builds random log10 LR tables with the shape of a
 * kinmatch run — R remains, C candidates, L loci with the given numbers of observation
 * columns — and times the bare all-against-all sum
 *     s(r, c) = sum_l T_c[l][g(r, l)]
 * keeping only the best s per remain (so the sums cannot be optimised away), with no
 * ranking, no I/O and no likelihood work.  Layout: candidates in groups of G = 16, the
 * G float values of one (locus, column) contiguous (one cache line), remains streamed
 * through each group (one vector load and add per locus for G pairs) — the textbook
 * layout for this loop, chosen here independently of kinmatch's.  OpenMP over candidate
 * groups; build with -O3 -march=native.
 *
 *   bench/kernel R C COLS_FILE [THREADS]
 * COLS_FILE: one integer per line, the number of columns of each locus (bench/run.sh
 * writes it from `kinmatch match --bench-cols`).  Prints "kernel_pairs_per_s=<x>".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define G 16          /* one 64-byte cache line of float values per (locus, column) */

typedef float vf __attribute__((vector_size(sizeof(float) * G)));

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static uint64_t rng = 0x2545F4914F6CDD1DULL;
static uint64_t next(void)
{
	rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
	return rng;
}

int main(int argc, char **argv)
{
	if (argc < 4) { fprintf(stderr, "usage: kernel R C COLS_FILE [THREADS]\n"); return 2; }
	long R = atol(argv[1]), C = atol(argv[2]);
	int threads = argc > 4 ? atoi(argv[4]) : 1;
	FILE *f = fopen(argv[3], "r");
	if (!f || R <= 0 || C <= 0) { fprintf(stderr, "kernel: bad arguments\n"); return 2; }
	int L = 0, cap = 1024, *cols = malloc(sizeof(int) * cap);
	while (cols && fscanf(f, "%d", &cols[L]) == 1) {
		if (cols[L] < 1) cols[L] = 1;
		if (++L == cap) cols = realloc(cols, sizeof(int) * (cap *= 2));
	}
	fclose(f);
	if (!cols || L == 0) { fprintf(stderr, "kernel: no loci in %s\n", argv[3]); return 2; }
	size_t *off = malloc(sizeof(size_t) * (L + 1)), ncol = 0;
	for (int l = 0; l < L; ++l) off[l] = ncol, ncol += (size_t)cols[l];
	/* remains: a column per locus; tables: one group of G candidates at a time per thread
	 * (a group's table is built once, like a compiled tile, and is not timed) */
	uint16_t *g = malloc(sizeof(uint16_t) * (size_t)R * L);
	for (long r = 0; r < R; ++r)
		for (int l = 0; l < L; ++l) g[(size_t)r * L + l] = (uint16_t)(next() % (uint64_t)cols[l]);
	long ngroup = (C + G - 1) / G;
	double *best = malloc(sizeof(double) * R), t_scan = 0.0;
	for (long r = 0; r < R; ++r) best[r] = -1e300;
	#pragma omp parallel num_threads(threads) reduction(+:t_scan)
	{
		float *T = aligned_alloc(64, ((sizeof(float) * ncol * G + 63) / 64) * 64);
		double *mybest = malloc(sizeof(double) * R);
		uint64_t s = 0x9E3779B97F4A7C15ULL;
#ifdef _OPENMP
		s ^= (uint64_t)omp_get_thread_num() * 0xBF58476D1CE4E5B9ULL;
#endif
		for (long r = 0; r < R; ++r) mybest[r] = -1e300;
		#pragma omp for schedule(dynamic, 1)
		for (long grp = 0; grp < ngroup; ++grp) {
			for (size_t i = 0; i < ncol * G; ++i) {
				s ^= s << 13; s ^= s >> 7; s ^= s << 17;
				T[i] = (float)(-3.0 + (double)(s >> 11) * (6.0 / 9007199254740992.0));
			}
			double t0 = now();
			/* four remains at a time (four independent add chains); a group's G values
			 * of a column are one vector (GCC/clang vector extension) */
			for (long r0 = 0; r0 < R; r0 += 4) {
				int nrr = R - r0 < 4 ? (int)(R - r0) : 4;
				const uint16_t *gr[4];
				for (int i = 0; i < 4; ++i) gr[i] = g + (size_t)(r0 + (i < nrr ? i : 0)) * L;
				vf a0 = { 0 }, a1 = { 0 }, a2 = { 0 }, a3 = { 0 };
				for (int l = 0; l < L; ++l) {
					const float *base = T + off[l] * G;
					a0 += *(const vf *)(base + (size_t)gr[0][l] * G);
					a1 += *(const vf *)(base + (size_t)gr[1][l] * G);
					a2 += *(const vf *)(base + (size_t)gr[2][l] * G);
					a3 += *(const vf *)(base + (size_t)gr[3][l] * G);
				}
				vf acc[4] = { a0, a1, a2, a3 };
				for (int i = 0; i < nrr; ++i) {
					double m = acc[i][0];
					for (int j = 1; j < G; ++j) if (acc[i][j] > m) m = acc[i][j];
					if (m > mybest[r0 + i]) mybest[r0 + i] = m;
				}
			}
			t_scan += now() - t0;
		}
		#pragma omp critical
		for (long r = 0; r < R; ++r) if (mybest[r] > best[r]) best[r] = mybest[r];
		free(T); free(mybest);
	}
	double chk = 0.0;
	for (long r = 0; r < R; ++r) chk += best[r];
	/* pairs per second of scan time, all threads together (thread-seconds / threads) */
	double wall = t_scan / threads;
	printf("kernel_pairs_per_s=%.4g loci=%d columns=%zu remains=%ld candidates=%ld threads=%d checksum=%.6g\n",
	       (double)R * (double)(ngroup * G) / wall, L, ncol, R, ngroup * G, threads, chk);
	free(cols); free(off); free(g); free(best);
	return 0;
}
