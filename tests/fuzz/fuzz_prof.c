/* fuzz_prof.c — libFuzzer target for the long-form profile reader: stored alleles index
 * the table, and sample ids and added alleles are whole cells of the input. */
#include <stdint.h>
#include "common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	km_panel_t p;
	km_freqs_t f;
	km_prof_t pr;
	km_err_t e;
	if (size > FUZZ_MAX_LEN) return 0;
	km_verbose = 0;
	if (fuzz_panel(&p) < 0 || fuzz_freqs(&f, &p) < 0) __builtin_trap();
	if (km_prof_load_mem(&pr, &p, &f, "fuzz", (const char *)data, size, &e) == 0) {
		int s, m;
		for (s = 0; s < pr.n_sample; ++s)
			for (m = 0; m < pr.n_marker; ++m) { /* every stored allele indexes the table */
				const int32_t *g = km_prof_gt(&pr, s, m);
				if (g[0] >= f.loc[m].n_allele || g[1] >= f.loc[m].n_allele) __builtin_trap();
				if (g[1] >= 0 && g[0] > g[1]) __builtin_trap();
			}
		/* round trips: ids and alleles added from the file are whole cells (no cut at a NUL) */
		for (s = 0; s < pr.n_sample && s < 64; ++s)
			if (!fuzz_has_cell(data, size, pr.sample[s], NULL, 0)) __builtin_trap();
		for (m = 0; m < p.n_marker; ++m)
			for (int a = 0; a < f.loc[m].n_allele; ++a)
				if (!f.loc[m].in_table[a] && !fuzz_has_cell(data, size, f.loc[m].label[a], NULL, 1)) __builtin_trap();
	}
	km_prof_destroy(&pr);
	km_freqs_destroy(&f);
	km_panel_destroy(&p);
	return 0;
}
