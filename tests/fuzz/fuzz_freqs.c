/* fuzz_freqs.c — libFuzzer target for the frequency reader (long and ladder form) and the
 * allele lookup that profiles use afterwards. */
#include <stdint.h>
#include "common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const probe[] = { "14", "14.0", "9.3", "A", "g", "x", "", "1e3", "-1" };
	km_panel_t p;
	km_freqs_t f;
	km_err_t e;
	int m, i;
	if (size > FUZZ_MAX_LEN) return 0;
	km_verbose = 0;
	if (fuzz_panel(&p) < 0) __builtin_trap();
	if (km_freqs_load_mem(&f, &p, "fuzz", (const char *)data, size, 0.001, &e) == 0) {
		km_freqs_check_panel(&f, &p, &e);
		for (m = 0; m < p.n_marker; ++m)
			for (i = 0; i < (int)(sizeof probe / sizeof probe[0]); ++i) {
				int a = km_freqs_allele(&f, &p, m, probe[i], 1);
				if (a >= f.loc[m].n_allele) __builtin_trap();
			}
	}
	km_freqs_destroy(&f);
	km_panel_destroy(&p);
	return 0;
}
