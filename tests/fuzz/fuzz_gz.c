/* fuzz_gz.c — libFuzzer target for the file path of the TSV reader (tsv.c): plain,
 * gzip or BGZF bytes in a memory file.  When the reader accepts the file:
 * - a gzip/BGZF stream must be complete: inflated independently here, member by member
 *   (trailing bytes that are not a gzip member are ignored, as zlib does), every member
 *   reaches its end — a stream cut short must never read as a shorter good file;
 * - the cells must be those of the memory path over the independently decompressed
 *   bytes, line by line, and each cell must be the whole of its text at its reported
 *   line and column (no silent cut at a NUL). */
#include <stdint.h>
#include <stdlib.h>
#include <zlib.h>
#include "common.h"

/* inflates every gzip member of in[0..n) into *out; 0 = all complete, -1 = cut or bad */
static int gunzip_all(const uint8_t *in, size_t n, uint8_t **out, size_t *n_out)
{
	size_t cap = 4 * n + 1024, pos = 0, used = 0;
	uint8_t *o = malloc(cap);
	int ret = 0;
	if (!o) return -1;
	while (pos + 1 < n && in[pos] == 0x1f && in[pos + 1] == 0x8b) {
		z_stream z;
		memset(&z, 0, sizeof z);
		if (inflateInit2(&z, 15 + 16) != Z_OK) { ret = -1; break; }
		z.next_in = (Bytef *)in + pos, z.avail_in = (uInt)(n - pos);
		int r;
		do {
			if (cap - used < 4096) {
				uint8_t *t = realloc(o, cap *= 2);
				if (!t) { r = Z_MEM_ERROR; break; }
				o = t;
			}
			z.next_out = o + used, z.avail_out = (uInt)(cap - used);
			r = inflate(&z, Z_NO_FLUSH);
			used = cap - z.avail_out;
		} while (r == Z_OK && used < (size_t)1 << 24);
		pos = n - z.avail_in;
		/* htslib's BGZF reader checks each block's CRC but not its length field (ISIZE):
		 * a block whose data and CRC are whole but whose ISIZE is off is no cut stream */
		int isize_only = r == Z_DATA_ERROR && z.msg && strcmp(z.msg, "incorrect length check") == 0;
		inflateEnd(&z);
		if (isize_only) continue;   /* zlib has read the length field */
		if (r != Z_STREAM_END) { ret = -1; break; }
	}
	*out = o, *n_out = used;
	return ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	km_tsv_t *r = NULL, *m = NULL;
	km_err_t e;
	char fn[64];
	uint8_t *plain = NULL;
	size_t n_plain = size;
	int ret, ret2;
	if (size > FUZZ_MAX_LEN) return 0;
	km_verbose = 0;
	if (fuzz_file(data, size, fn, sizeof fn) < 0) __builtin_trap();
	if (km_tsv_open(&r, fn, &e) < 0) return 0;
	if ((ret = km_tsv_header(r, &e)) < 0) goto out;
	while ((ret = km_tsv_next(r, &e)) > 0) {}
	if (ret < 0) goto out;
	/* accepted: the whole stream was there */
	if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
		if (gunzip_all(data, size, &plain, &n_plain) < 0) __builtin_trap();
	} else if ((plain = malloc(size + 1)) != NULL) memcpy(plain, data, size);
	if (!plain) goto out;
	/* the same cells, line by line, as the memory path over those bytes */
	km_tsv_close(r);
	if (km_tsv_open(&r, fn, &e) < 0 || km_tsv_open_mem(&m, "mem", (const char *)plain, n_plain, &e) < 0) __builtin_trap();
	ret = km_tsv_header(r, &e), ret2 = km_tsv_header(m, &e);
	while (ret >= 0) {
		if (ret2 != (ret < 0 ? -1 : ret) || km_tsv_line(r) != km_tsv_line(m) || km_tsv_ncol(r) != km_tsv_ncol(m)) __builtin_trap();
		for (int i = 0; i < km_tsv_ncol(r); ++i) {
			const char *a = km_tsv_field(r, i), *b = km_tsv_field(m, i);
			if (strcmp(a, b) != 0 || km_tsv_fcol(r, i) != km_tsv_fcol(m, i)) __builtin_trap();
			if (a[0] && !fuzz_cell_at(plain, n_plain, km_tsv_line(r), km_tsv_fcol(r, i), a)) __builtin_trap();
		}
		ret = km_tsv_next(r, &e), ret2 = km_tsv_next(m, &e);
		if (ret == 0) { if (ret2 != 0) __builtin_trap(); break; }
	}
	if (ret < 0) __builtin_trap();   /* the second read of an accepted file failed */
out:
	free(plain);
	km_tsv_close(r);
	km_tsv_close(m);
	return 0;
}
