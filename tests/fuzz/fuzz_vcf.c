/* fuzz_vcf.c — libFuzzer target for the VCF/BCF profile reader (htslib underneath): text
 * VCF, bgzipped VCF or BCF, written to a memory file.  On success every stored allele
 * indexes the table, diploid calls are sorted, and (text VCF) every sample name and every
 * SNP allele added from the file is the whole of a cell of the input (no silent cut). */
#include <stdint.h>
#include "common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	km_panel_t p;
	km_freqs_t f;
	km_prof_t pr;
	km_err_t e;
	char fn[64];
	if (size > FUZZ_MAX_LEN) return 0;
	km_verbose = 0;
	if (fuzz_panel(&p) < 0 || fuzz_freqs(&f, &p) < 0 || fuzz_file(data, size, fn, sizeof fn) < 0) __builtin_trap();
	if (km_prof_load_vcf(&pr, &p, &f, fn, &e) == 0) {
		int text = size < 2 || data[0] != 0x1f || data[1] != 0x8b;   /* not gzip / BGZF / BCF */
		for (int s = 0; s < pr.n_sample; ++s) {
			for (int m = 0; m < pr.n_marker; ++m) {
				const int32_t *g = km_prof_gt(&pr, s, m);
				if (g[0] >= f.loc[m].n_allele || g[1] >= f.loc[m].n_allele) __builtin_trap();
				if (g[1] >= 0 && g[0] > g[1]) __builtin_trap();
			}
			if (text && s < 64 && !fuzz_has_cell(data, size, pr.sample[s], NULL, 0)) __builtin_trap();
		}
		for (int m = 0; m < p.n_marker && text; ++m)
			if (p.marker[m].type == KM_SYS_SNP)
				for (int a = 0; a < f.loc[m].n_allele; ++a)
					if (!f.loc[m].in_table[a] && !fuzz_has_cell(data, size, f.loc[m].label[a], ",", 0)) __builtin_trap();
	}
	km_prof_destroy(&pr);
	km_freqs_destroy(&f);
	km_panel_destroy(&p);
	return 0;
}
