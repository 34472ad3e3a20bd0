/* fuzz_mtdna.c — libFuzzer target for the EMPOP mtDNA reader (--mtdna, --mt-db).
 * Needs mtdna.o and rcrs.o in the Makefile's READERS; seeds in tests/lineage/seeds/mtdna.
 * Checks the reader's invariants on every accepted input: ranges sorted, disjoint and
 * within 1..16569; variants sorted by (pos, ins), unique, inside the range, no rCRS
 * no-op substitutions.
 */
#include <stdint.h>
#include "common.h"
#include "lineage.h"
#include "rcrs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int in_range(const km_mthap_t *h, int pos)
{
	int i;
	for (i = 0; i < h->n_range; ++i)
		if (pos >= h->range[i][0] && pos <= h->range[i][1]) return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	km_mtset_t s;
	km_err_t e;
	int i, j;
	if (size > FUZZ_MAX_LEN) return 0;
	if (km_mt_load_mem(&s, "mt.tsv", (const char *)data, size, &e) == 0) {
		for (i = 0; i < s.n; ++i) {
			const km_mthap_t *h = &s.hap[i];
			if (h->n_range < 1 || km_mt_find(&s, h->sample) != i) __builtin_trap();
			for (j = 0; j < h->n_range; ++j)
				if (h->range[j][0] < 1 || h->range[j][1] > KM_MT_LEN || h->range[j][0] > h->range[j][1] ||
				    (j > 0 && h->range[j][0] <= h->range[j - 1][1] + 1))
					__builtin_trap();
			for (j = 0; j < h->n_var; ++j) {
				const km_mtvar_t *v = &h->var[j];
				if (!in_range(h, v->pos) || km_mt_bases(v->base) == 0) __builtin_trap();
				if (v->ins == 0 && v->base == km_rcrs[v->pos - 1]) __builtin_trap();
				if (j > 0 && (v->pos < h->var[j - 1].pos || (v->pos == h->var[j - 1].pos && v->ins <= h->var[j - 1].ins)))
					__builtin_trap();
			}
		}
	} else if (s.n != 0 || s.hap != NULL || e.msg[0] == 0) {
		__builtin_trap(); /* a failed load leaves the object zeroed and says why */
	}
	km_mt_destroy(&s);
	return 0;
}
