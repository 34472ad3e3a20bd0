/* fuzz_rinfo.c — libFuzzer target for the --remain-info reader (rinfo.c) against fixed
 * remains a, b, c.  On success every remain's value is in [0,1), and a remain named on a
 * row got exactly the value of its text: the cell, found again at its line and column in
 * the raw input, parses to the stored double (no cut, no other row's value). */
#include <stdint.h>
#include <stdlib.h>
#include "common.h"
#include "pipe.h"

static const char FUZZ_REMAINS[] =
	"sample\tmarker\tallele1\tallele2\n"
	"a\tD3\t14\t15\nb\tD3\t16\t16\nc\tVWA\t17\t9.3\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	km_panel_t p;
	km_freqs_t f;
	km_prof_t rem;
	km_err_t e;
	char fn[64];
	double rd[3] = { -1, -1, -1 };
	int n_other;
	if (size > FUZZ_MAX_LEN) return 0;
	km_verbose = 0;
	if (fuzz_panel(&p) < 0 || fuzz_freqs(&f, &p) < 0 || fuzz_file(data, size, fn, sizeof fn) < 0) __builtin_trap();
	if (km_prof_load_mem(&rem, &p, &f, "remains", FUZZ_REMAINS, sizeof FUZZ_REMAINS - 1, &e) < 0 || rem.n_sample != 3)
		__builtin_trap();
	if (km_rinfo_load(rd, NULL, &rem, fn, &n_other, &e) == 0) {   /* re NULL: typing_error not read */
		km_tsv_t *r;
		int cs, cd, seen[3] = { 0, 0, 0 };
		if (km_tsv_open_mem(&r, "mem", (const char *)data, size, &e) < 0 || km_tsv_header(r, &e) < 0 ||
		    km_tsv_need(r, "sample", &cs, &e) < 0)
			__builtin_trap();
		/* a file with only `sex` (or other columns) is valid and leaves every dropout as it was */
		cd = km_tsv_col(r, "dropout");
		while (cd >= 0 && km_tsv_next(r, &e) > 0) {
			const char *id = km_tsv_field(r, cs), *v = km_tsv_field(r, cd);
			int s = km_prof_find(&rem, id);
			double d;
			if (!fuzz_cell_at(data, size, km_tsv_line(r), km_tsv_fcol(r, cd), v)) __builtin_trap();
			if (id[0] && !fuzz_cell_at(data, size, km_tsv_line(r), km_tsv_fcol(r, cs), id)) __builtin_trap();
			if (s < 0) continue;
			if (km_parse_double(v, &d) < 0 || d != rd[s]) __builtin_trap();
			seen[s] = 1;
		}
		km_tsv_close(r);
		for (int s = 0; s < 3; ++s)
			if (seen[s] ? !(rd[s] >= 0.0 && rd[s] < 1.0) : rd[s] != -1) __builtin_trap();
	}
	km_prof_destroy(&rem);
	km_freqs_destroy(&f);
	km_panel_destroy(&p);
	return 0;
}
