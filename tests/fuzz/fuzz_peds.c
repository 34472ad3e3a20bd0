/* fuzz_peds.c — libFuzzer target for the pedigree reader and reference linking. */
#include <stdint.h>
#include "common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	km_panel_t p;
	km_freqs_t f;
	km_prof_t refs;
	km_peds_t d;
	km_err_t e;
	if (size > FUZZ_MAX_LEN) return 0;
	km_verbose = 0;
	if (km_peds_load_mem(&d, "fuzz", (const char *)data, size, &e) == 0) {
		int i, j;
		for (i = 0; i < d.n_family; ++i) /* parents index the family, never the person itself */
			for (j = 0; j < d.fam[i].n_person; ++j) {
				const km_person_t *q = &d.fam[i].person[j];
				if (q->father >= d.fam[i].n_person || q->mother >= d.fam[i].n_person || q->father == j ||
				    q->mother == j)
					__builtin_trap();
				/* round trip: the ids are whole cells of the input (no cut at a NUL) */
				if (j < 16 && !fuzz_has_cell(data, size, q->id, NULL, 0)) __builtin_trap();
			}
		if (fuzz_panel(&p) < 0 || fuzz_freqs(&f, &p) < 0) __builtin_trap();
		if (km_prof_load_mem(&refs, &p, &f, "refs", FUZZ_REFS, sizeof FUZZ_REFS - 1, &e) < 0) __builtin_trap();
		km_peds_link(&d, &refs, &p, &e);
		km_prof_destroy(&refs);
		km_freqs_destroy(&f);
		km_panel_destroy(&p);
	}
	km_peds_destroy(&d);
	return 0;
}
