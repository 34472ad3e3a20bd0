/* common.h — fixed inputs the reader fuzzers build on (a panel covering every
 * marker type, its frequencies, and reference profiles), so each target varies one file. */
#ifndef KM_FUZZ_COMMON_H
#define KM_FUZZ_COMMON_H

#include <string.h>
#include "kmpriv.h"

/* inputs beyond this are skipped: the readers are linear, big inputs only slow the search */
#define FUZZ_MAX_LEN (1 << 16)

static const char FUZZ_PANEL[] =
	"marker\ttype\tchrom\tmutation_rate\tfemale_rate\tmale_rate\tmotif_len\n"
	"D3\tSTR\t3\t0.001\t\t\t4\n"
	"VWA\tSTR\t12\t0.002\t0.001\t0.003\t4\n"
	"SNP1\tSNP\t2\t0\t\t\t\n"
	"DX1\tX-STR\tX\t0.002\t\t\t4\n"
	"DY1\tY-STR\tY\t0.003\t\t\t4\n";

static const char FUZZ_FREQS[] =
	"marker\tallele\tfrequency\n"
	"D3\t14\t0.2\nD3\t15\t0.3\nD3\t16\t0.5\n"
	"VWA\t9.3\t0.4\nVWA\t17\t0.6\n"
	"SNP1\tA\t0.7\nSNP1\tG\t0.3\n"
	"DX1\t10\t0.5\nDX1\t11\t0.5\n";

static const char FUZZ_REFS[] =
	"sample\tmarker\tallele1\tallele2\n"
	"a\tD3\t14\t15\nb\tDX1\t10\t11\nc\tDX1\t10\t.\nd\tDY1\t14\t.\nF1\tSNP1\tA\tG\n";

static inline int fuzz_panel(km_panel_t *p)
{
	km_err_t e;
	return km_panel_load_mem(p, "panel", FUZZ_PANEL, sizeof FUZZ_PANEL - 1, &e);
}

static inline int fuzz_freqs(km_freqs_t *f, const km_panel_t *p)
{
	km_err_t e;
	return km_freqs_load_mem(f, p, "freqs", FUZZ_FREQS, sizeof FUZZ_FREQS - 1, 0.001, &e);
}

#endif
