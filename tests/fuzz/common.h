/* common.h — fixed inputs the reader fuzzers build on (a panel covering every
 * marker type, its frequencies, and reference profiles), so each target varies one file. */
#ifndef KM_FUZZ_COMMON_H
#define KM_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>
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

/* ---- round trips (issue 15): a value a reader kept must be the whole of its text ---- */

static inline int fuzz_delim(int c) { return c == '\t' || c == '\n' || c == '\r' || c == ' '; }

/* 1 if text occurs in data[0..size) as a whole cell: preceded and followed by a tab,
 * newline, CR, space or the buffer's edge (extra: more delimiters, e.g. "/,|" for REPCN).
 * Case-insensitive when nocase (SNP bases).  A value cut at a NUL fails this. */
static inline int fuzz_has_cell(const uint8_t *data, size_t size, const char *text, const char *extra, int nocase)
{
	size_t n = strlen(text);
	if (n == 0 || n > size) return n == 0;
	for (size_t i = 0; i + n <= size; ++i) {
		if (nocase ? strncasecmp((const char *)data + i, text, n) != 0 : memcmp(data + i, text, n) != 0) continue;
		int bom = i == 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0;   /* a UTF-8 BOM starts line 1 */
		int l = i == 0 || bom ? '\n' : data[i - 1], r = i + n == size ? '\n' : data[i + n];
		if ((fuzz_delim(l) || (extra && l && strchr(extra, l))) && (fuzz_delim(r) || (extra && r && strchr(extra, r))))
			return 1;
	}
	return 0;
}

/* The 1-based (line, col) of a TSV cell in raw text: the cell's bytes are there and end at
 * a delimiter (the tsv.c reader trims spaces, splits at tabs, ends lines at \n / \r\n). */
static inline int fuzz_cell_at(const uint8_t *data, size_t size, int line, int col, const char *text)
{
	size_t i = 0, n = strlen(text);
	for (int l = 1; l < line; ++l) {
		const uint8_t *q = memchr(data + i, '\n', size - i);
		if (!q) return 0;
		i = (size_t)(q - data) + 1;
	}
	if (line == 1 && size - i >= 3 && memcmp(data + i, "\xEF\xBB\xBF", 3) == 0) i += 3;   /* UTF-8 BOM */
	i += (size_t)col - 1;
	if (i + n > size || memcmp(data + i, text, n) != 0) return 0;
	return i + n == size || fuzz_delim(data[i + n]);
}

/* A file holding data (readers that take a file name: VCF/BCF, gzip, --remain-info): one
 * memory file per process, rewritten per input; path gets "/proc/self/fd/N". */
static inline int fuzz_file(const uint8_t *data, size_t size, char *path, size_t m)
{
	static int fd = -1;
	if (fd < 0 && (fd = memfd_create("fuzz", 0)) < 0) return -1;
	if (ftruncate(fd, 0) != 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size)) return -1;
	snprintf(path, m, "/proc/self/fd/%d", fd);
	return 0;
}

#endif
