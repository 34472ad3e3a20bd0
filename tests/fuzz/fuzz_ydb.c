/* fuzz_ydb.c — libFuzzer target for the Y-STR haplotype database reader (--y-db).
 * The panel is common.h's (one Y-STR DY1, autosomal STRs for the "not a Y-STR" path);
 * the input is the database file.  Needs ydb.o in the Makefile's READERS; seeds in
 * tests/lineage/seeds/ydb.
 */
#include <stdint.h>
#include "common.h"
#include "lineage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	km_panel_t p;
	km_ydb_t db;
	km_err_t e;
	if (size > FUZZ_MAX_LEN) return 0;
	km_verbose = 0;
	if (fuzz_panel(&p) < 0) __builtin_trap();
	if (km_ydb_load_mem(&db, &p, "ydb.tsv", (const char *)data, size, &e) == 0) {
		int h, j;
		for (h = 0; h < db.n_hap; ++h) /* invariants: sorted copies, counts >= 1 */
			for (j = 0; j < db.n_col; ++j) {
				const double *v = db.v + ((size_t)h * db.n_col + j) * 2;
				if (v[1] < v[0] || db.count[h] < 1 || db.name[h] == NULL) __builtin_trap();
			}
	} else if (db.n_hap != 0 || db.v != NULL || e.msg[0] == 0) {
		__builtin_trap(); /* a failed load leaves the object zeroed and says why */
	}
	km_ydb_destroy(&db);
	km_panel_destroy(&p);
	return 0;
}
