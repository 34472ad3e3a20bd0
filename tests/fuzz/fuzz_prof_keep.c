/* fuzz_prof_keep.c — libFuzzer target: the profile reader with a keep set (a shard's own
 * references) and in names mode (a merge) against a full read of the same input.  The
 * allele table must come out the same whenever the full read succeeds (a shard must
 * build the single run's table), kept samples' calls the same; names mode must agree with
 * the full read in everything but the calls it does not keep, errors included; and a keep
 * read may fail only where the full read fails. */
#include <stdint.h>
#include <htslib/khash_str2int.h>
#include "common.h"

static int same_tables(const km_freqs_t *a, const km_freqs_t *b)
{
	for (int m = 0; m < a->n_marker; ++m) {
		if (a->loc[m].n_allele != b->loc[m].n_allele) return 0;
		for (int i = 0; i < a->loc[m].n_allele; ++i)
			if (strcmp(a->loc[m].label[i], b->loc[m].label[i])) return 0;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	km_panel_t p;
	km_freqs_t f0, f1, f2;
	km_prof_t a, b, c;
	km_err_t e0, e1, e2;
	if (size > FUZZ_MAX_LEN) return 0;
	km_verbose = 0;
	if (fuzz_panel(&p) < 0 || fuzz_freqs(&f0, &p) < 0 || fuzz_freqs(&f1, &p) < 0 || fuzz_freqs(&f2, &p) < 0) __builtin_trap();
	int r0 = km_prof_load_mem(&a, &p, &f0, "fuzz", (const char *)data, size, &e0);
	/* keep every second sample of the full read (none if it failed) */
	void *keep = khash_str2int_init(), *none = khash_str2int_init();
	for (int s = 0; r0 == 0 && s < a.n_sample; s += 2) khash_str2int_set(keep, a.sample[s], 1);
	km_prof_keep_t K = { keep, 0, NULL };
	uint8_t *gm = calloc((size_t)p.n_marker + 1, 1);
	if (!gm) __builtin_trap();
	for (int m = 0; m < p.n_marker; ++m) gm[m] = m % 2;
	km_prof_keep_t N = { none, 1, gm };
	int r1 = km_prof_load_mem_keep(&b, &p, &f1, "fuzz", (const char *)data, size, &K, &e1);
	int r2 = km_prof_load_mem_keep(&c, &p, &f2, "fuzz", (const char *)data, size, &N, &e2);
	if (r1 < 0 && r0 == 0) __builtin_trap();                                  /* keep fails only where full fails */
	if (r2 != r0 || (r0 < 0 && strcmp(e0.msg, e2.msg) != 0)) __builtin_trap(); /* names: the same errors */
	if (r0 == 0) {
		if (!same_tables(&f0, &f1) || !same_tables(&f0, &f2)) __builtin_trap();
		for (int s = 0; s < b.n_sample; ++s) {
			int t = km_prof_find(&a, b.sample[s]);
			if (t < 0 || t % 2 != 0) __builtin_trap();
			for (int m = 0; m < p.n_marker; ++m)
				if (memcmp(km_prof_gt(&a, t, m), km_prof_gt(&b, s, m), 2 * sizeof(int32_t))) __builtin_trap();
		}
		if (b.n_sample != (a.n_sample + 1) / 2 || c.n_sample != a.n_sample) __builtin_trap();
		for (int s = 0; s < c.n_sample; ++s) {
			if (strcmp(a.sample[s], c.sample[s]) || a.line[s] != c.line[s]) __builtin_trap();
			for (int m = 0; m < p.n_marker; ++m) {
				const int32_t *x = km_prof_gt(&a, s, m), *y = km_prof_gt(&c, s, m);
				if (gm[m] ? memcmp(x, y, 2 * sizeof(int32_t)) != 0 : (y[0] != KM_NOALLELE || y[1] != KM_NOALLELE)) __builtin_trap();
			}
		}
	}
	if (r0 == 0) km_prof_destroy(&a);
	if (r1 == 0) km_prof_destroy(&b);
	if (r2 == 0) km_prof_destroy(&c);
	khash_str2int_destroy(keep), khash_str2int_destroy(none);
	free(gm);
	km_freqs_destroy(&f0), km_freqs_destroy(&f1), km_freqs_destroy(&f2);
	km_panel_destroy(&p);
	return 0;
}
