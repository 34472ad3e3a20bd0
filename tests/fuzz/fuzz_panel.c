/* fuzz_panel.c — libFuzzer target for the panel reader. */
#include <stdint.h>
#include "common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	km_panel_t p;
	km_err_t e;
	int i;
	if (size > FUZZ_MAX_LEN) return 0;
	km_verbose = 0;
	if (km_panel_load_mem(&p, "fuzz", (const char *)data, size, &e) == 0) {
		for (i = 0; i < p.n_marker; ++i)
			if (km_panel_find(&p, p.marker[i].name) != i) __builtin_trap(); /* names are unique */
	}
	km_panel_destroy(&p);
	return 0;
}
