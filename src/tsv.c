/* tsv.c — tab-separated line reader shared by every text input.
 *
 * Input comes from a file (plain, gzip or bgzip: zlib's gzread passes plain files through)
 * or from a memory buffer (fuzzers, unit tests).  Lines end in \n or \r\n and have no
 * length limit (the line buffer grows).  '#' lines are comments, blank lines (only spaces
 * and tabs) are skipped, and the first other line is the header naming the columns.
 *
 * Layout: the current physical line lives in `ln`; km_tsv_next() splits it in place at
 * the tabs, so field[i] points into ln.s and fcol[i] is the 1-based byte column where the
 * (space-trimmed) field starts.  The header is copied to `hdr` once, so column names stay
 * valid while data lines replace `ln`.  After km_tsv_header() the header itself is the
 * current line, which lets callers report header problems with km_tsv_fail().
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <htslib/bgzf.h>
#include <htslib/kstring.h>
#include "kmpriv.h"

#define KM_TSV_BUF 65536

struct km_tsv_s {
	gzFile gz;             /* NULL when reading from memory or BGZF */
	BGZF *bg;              /* BGZF input (bgzip, kinmatch simulate --gz): inflated by threads */
	const char *mem;       /* memory input, not owned */
	size_t mem_len, mem_pos;
	char *ibuf;            /* gz read buffer, KM_TSV_BUF bytes */
	int ilen, ipos;        /* bytes in ibuf, next unread byte */
	int eof;
	char *name;            /* file name used in messages */
	kstring_t ln;          /* current physical line, split in place */
	int lineno;            /* 1-based physical line number of ln */
	int n_field, m_field;
	char **field;          /* into ln.s */
	int *fcol;             /* 1-based byte column of each field */
	int ln_len;            /* bytes of the line before splitting (for end-of-line columns) */
	kstring_t hdr;         /* copy of the header line, split at tabs */
	int n_col;             /* header columns */
	int n_need;            /* columns up to the last non-empty header name */
	char **col;            /* into hdr.s */
	int hdr_line;
	const char *raw; size_t raw_l;   /* km_tsv_raw's line when it is still in ibuf / mem (not in ln) */
};

static int tsv_new(km_tsv_t **r, const char *name, km_err_t *e)
{
	km_tsv_t *t = calloc(1, sizeof *t);
	if (t == NULL || (t->name = strdup(name ? name : "(input)")) == NULL) {
		free(t);
		return km_err_set(e, KM_ENOMEM, "out of memory");
	}
	*r = t;
	return 0;
}

static int g_tsv_threads = 1;

void km_tsv_set_threads(int n)
{
	g_tsv_threads = n > 1 ? n : 1;
}

/* BGZF: a gzip member with the "BC" extra subfield (SAM/BAM specification §4.1) */
static int is_bgzf(const char *fn)
{
	unsigned char h[16];
	FILE *f = fopen(fn, "rb");
	if (!f) return 0;
	size_t n = fread(h, 1, sizeof h, f);
	fclose(f);
	return n == sizeof h && h[0] == 0x1f && h[1] == 0x8b && h[2] == 8 && (h[3] & 4) && h[12] == 'B' && h[13] == 'C';
}

/* Walks the BGZF block headers of a regular file before htslib reads it.  htslib locates
 * each block by its BSIZE field and inflates from byte 18, reading no FNAME, FCOMMENT or
 * FHCRC field and ignoring reserved flag bits; zlib (and gunzip) read those fields, so a
 * member with any flag but FEXTRA would decode to different text in the two.  A BGZF
 * block has FLG = 4 exactly (SAM/BAM specification §4.1), and RFC 1952 §2.3.1.2 says a
 * reader must refuse reserved bits: every block must have that header and the blocks
 * must tile the file.  A pipe or other unseekable input is left to htslib (0), and so is a
 * file that does not start as BGZF.  The VCF reader (prof_vcf.c) walks its files the same
 * way, before htslib sees them. */
int km_bgzf_walk(const char *fn, km_err_t *e)
{
	if (!is_bgzf(fn)) return 0;
	int fd = open(fn, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0) return 0;   /* the open below reports it */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) { close(fd); return 0; }
	off_t off = 0, size = st.st_size;
	int ret = 0;
	while (off < size) {
		unsigned char h[18];
		ssize_t n = pread(fd, h, sizeof h, off);
		if (n < 0) { ret = km_err_set(e, KM_EIO, "%s: read error: %s", fn, strerror(errno)); break; }
		if (n < (ssize_t)sizeof h || h[0] != 0x1f || h[1] != 0x8b || h[2] != 8 || h[3] != 4 ||
		    h[10] != 6 || h[11] != 0 || h[12] != 'B' || h[13] != 'C' || h[14] != 2 || h[15] != 0) {
			ret = km_err_set(e, KM_EINPUT, "%s: byte %lld: %s", fn, (long long)off,
			                 n >= 4 && h[0] == 0x1f && h[1] == 0x8b && (h[3] & ~4)
			                     ? "gzip header flags other than FEXTRA in a BGZF file (a BGZF block header has FLG 4)"
			                     : "not a BGZF block header (corrupt, or not one BGZF stream: recompress with bgzip)");
			break;
		}
		off_t bsize = (off_t)(h[16] | h[17] << 8) + 1;
		if (off + bsize > size) {
			ret = km_err_set(e, KM_EINPUT, "%s: byte %lld: BGZF block runs past the end of the file (truncated)",
			                 fn, (long long)off);
			break;
		}
		off += bsize;
	}
	close(fd);
	return ret;
}

int km_tsv_open(km_tsv_t **r, const char *fn, km_err_t *e)
{
	int ret;
	*r = NULL;
	if ((ret = tsv_new(r, fn, e)) < 0) return ret;
	errno = 0;
	/* BGZF blocks inflate independently: with --threads > 1, one htslib thread inflates
	 * ahead while this thread parses (the references of a memorial-size run are
	 * gigabytes of text).  One is enough: inflating runs at several times the parser's
	 * speed, and with --threads inflaters on a 2-core machine three threads took turns on
	 * two cores (a shard at M: 0.45 CPU-s more and 0.15 s slower than with one) */
	if (is_bgzf(fn) && ((*r)->bg = bgzf_open(fn, "r")) != NULL) {
		/* every BGZF writer ends the file with an empty block: without it the file was
		 * cut short (0 = absent; 2 = cannot tell, e.g. a pipe) */
		if (bgzf_check_EOF((*r)->bg) == 0) {
			km_tsv_close(*r);
			*r = NULL;
			return km_err_set(e, KM_EINPUT, "%s: unexpected end of compressed data (no BGZF end-of-file block: the file is truncated)", fn);
		}
		if ((ret = km_bgzf_walk(fn, e)) < 0) {
			km_tsv_close(*r);
			*r = NULL;
			return ret;
		}
		if (g_tsv_threads > 1) bgzf_mt((*r)->bg, 1, 64);
	} else (*r)->gz = gzopen(fn, "rb");
	if ((*r)->gz == NULL && (*r)->bg == NULL) {
		int err = errno ? errno : ENOMEM;
		km_tsv_close(*r);
		*r = NULL;
		return km_err_set(e, KM_EOPEN, "%s: cannot open: %s", fn, strerror(err));
	}
	(*r)->ibuf = malloc(KM_TSV_BUF);
	if ((*r)->ibuf == NULL) {
		km_tsv_close(*r);
		*r = NULL;
		return km_err_set(e, KM_ENOMEM, "out of memory");
	}
	return 0;
}

int km_tsv_open_mem(km_tsv_t **r, const char *name, const char *buf, size_t len, km_err_t *e)
{
	int ret;
	*r = NULL;
	if ((ret = tsv_new(r, name, e)) < 0) return ret;
	(*r)->mem = buf;
	(*r)->mem_len = buf ? len : 0;
	return 0;
}

void km_tsv_close(km_tsv_t *r)
{
	if (r == NULL) return;
	if (r->gz) gzclose(r->gz);
	if (r->bg) bgzf_close(r->bg);
	free(r->ibuf);
	free(r->name);
	free(r->ln.s);
	free(r->field);
	free(r->fcol);
	free(r->hdr.s);
	free(r->col);
	free(r);
}

/* Appends the next physical line (without its \n) to r->ln.  1 = a line, 0 = end of
 * input, < 0 = error. */
static int tsv_getline(km_tsv_t *r, km_err_t *e)
{
	int got = 0;
	r->ln.l = 0;
	if (r->gz == NULL && r->bg == NULL) {
		const char *p, *q;
		size_t n;
		if (r->mem_pos >= r->mem_len) return 0;
		p = r->mem + r->mem_pos;
		q = memchr(p, '\n', r->mem_len - r->mem_pos);
		n = q ? (size_t)(q - p) : r->mem_len - r->mem_pos;
		if (kputsn(p, n, &r->ln) < 0) return km_err_set(e, KM_ENOMEM, "out of memory");
		r->mem_pos += n + (q != NULL);
		return 1;
	}
	for (;;) {
		char *q;
		int n;
		if (r->ipos >= r->ilen) {
			if (r->eof) return got;
			if (r->bg) {
				ssize_t k = bgzf_read(r->bg, r->ibuf, KM_TSV_BUF);
				r->ipos = 0;
				if (k < 0) {
					r->ilen = 0;
					return km_err_set(e, KM_EINPUT, "%s: read error after line %d: corrupt or truncated BGZF data",
					                  r->name, r->lineno);
				}
				r->ilen = (int)k;
				if (k == 0) { r->eof = 1; return got; }
				goto have;
			}
			r->ilen = gzread(r->gz, r->ibuf, KM_TSV_BUF);
			r->ipos = 0;
			if (r->ilen < 0) {
				int zerr;
				const char *msg = gzerror(r->gz, &zerr);
				r->ilen = 0;
				return km_err_set(e, zerr == Z_ERRNO ? KM_EIO : KM_EINPUT, "%s: read error after line %d: %s", r->name,
				                  r->lineno, zerr == Z_ERRNO ? strerror(errno) : msg);
			}
			if (r->ilen == 0) {
				int zerr;
				gzerror(r->gz, &zerr);
				/* zlib reports a gzip stream cut short as Z_BUF_ERROR at the end */
				if (zerr == Z_BUF_ERROR)
					return km_err_set(e, KM_EINPUT, "%s: unexpected end of compressed data after line %d",
					                  r->name, r->lineno);
				r->eof = 1;
				return got;
			}
		}
	have:
		got = 1;
		q = memchr(r->ibuf + r->ipos, '\n', r->ilen - r->ipos);
		n = q ? (int)(q - (r->ibuf + r->ipos)) : r->ilen - r->ipos;
		if (kputsn(r->ibuf + r->ipos, n, &r->ln) < 0) return km_err_set(e, KM_ENOMEM, "out of memory");
		r->ipos += n;
		if (q) {
			++r->ipos;
			return 1;
		}
	}
}

/* Bytes that no UTF-8 text line holds (issue 15), comments included: a NUL (which would
 * end a cell early: `1\0 8` read as `1`), a UTF-16 file (a byte-order mark FF FE / FE FF,
 * or NULs between the characters), a carriage return inside a line (CR-only line endings:
 * the whole file would read as one line).  The column is the byte's, 1-based, after a
 * UTF-8 byte-order mark. */
static int tsv_bytes_ok(const km_tsv_t *r, int start, km_err_t *e)
{
	const unsigned char *s = (const unsigned char *)r->ln.s;
	size_t n = r->ln.l, nul = 0, i;
	const unsigned char *z, *cr;
	if (n == 0) return 0;
	if (r->lineno == 1 && n >= 2 && ((s[0] == 0xFF && s[1] == 0xFE) || (s[0] == 0xFE && s[1] == 0xFF)))
		return km_err_at(e, r->name, 1, 1, "the file is UTF-16 (byte-order mark %s): save it as UTF-8 text",
		                 s[0] == 0xFF ? "FF FE" : "FE FF");
	if ((z = memchr(s, 0, n)) != NULL) {
		for (i = 0; i < n; ++i) nul += s[i] == 0;
		if (nul * 3 >= n)   /* ASCII in UTF-16: every second byte */
			return km_err_at(e, r->name, r->lineno, (int)(z - s) - start + 1,
			                 "NUL bytes between the characters: the file looks like UTF-16; save it as UTF-8 text");
		return km_err_at(e, r->name, r->lineno, (int)(z - s) - start + 1, "NUL byte in the line (a binary or damaged file?)");
	}
	if ((cr = memchr(s, '\r', n)) != NULL)
		return km_err_at(e, r->name, r->lineno, (int)(cr - s) - start + 1,
		                 "carriage return inside the line: CR-only line endings are not supported; save the file with \\n or \\r\\n line endings");
	return 0;
}

/* Checks and splits the physical line in r->ln (already counted in r->lineno): 1 = a
 * data line, split; 0 = a comment or blank line (nothing to split); < 0 error. */
static int tsv_process(km_tsv_t *r, km_err_t *e)
{
	int ret, i, start, blank;
	char *s = r->ln.s;
	if (r->ln.l > 0 && s[r->ln.l - 1] == '\r') s[--r->ln.l] = 0;
	start = 0;
	/* a UTF-8 byte-order mark (spreadsheet exports) is not part of the first cell */
	if (r->lineno == 1 && r->ln.l >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) start = 3;
	if ((ret = tsv_bytes_ok(r, start, e)) < 0) return ret;
	if ((size_t)start < r->ln.l && s[start] == '#') return 0;
	for (blank = 1, i = start; (size_t)i < r->ln.l; ++i)
		if (s[i] != ' ' && s[i] != '\t') { blank = 0; break; }
	if (blank) return 0;
	r->ln_len = (int)r->ln.l - start;
	r->n_field = 0;
	for (i = start;; ++i) {
		int j = i, end;
		while ((size_t)j < r->ln.l && s[j] != '\t') ++j;
		end = j;
		/* trim spaces around the cell; the column points at its first character */
		while (i < end && s[i] == ' ') ++i;
		while (end > i && s[end - 1] == ' ') --end;
		if (r->n_field == r->m_field) {
			int m = r->m_field ? r->m_field * 2 : 16;
			char **f = realloc(r->field, m * sizeof *f);
			int *c;
			if (f == NULL) return km_err_set(e, KM_ENOMEM, "out of memory");
			r->field = f;
			if ((c = realloc(r->fcol, m * sizeof *c)) == NULL) return km_err_set(e, KM_ENOMEM, "out of memory");
			r->fcol = c;
			r->m_field = m;
		}
		r->field[r->n_field] = s + i;
		r->fcol[r->n_field++] = i - start + 1;
		s[end] = 0;
		if ((size_t)j >= r->ln.l) break;
		i = j;
	}
	return 1;
}

/* Reads physical lines until one that is neither a comment nor blank, then splits it.
 * 1 = a line, 0 = end, < 0 error. */
static int tsv_read(km_tsv_t *r, km_err_t *e)
{
	for (;;) {
		int ret;
		if ((ret = tsv_getline(r, e)) <= 0) return ret;
		++r->lineno;
		if ((ret = tsv_process(r, e)) != 0) return ret;
	}
}

int km_tsv_header(km_tsv_t *r, km_err_t *e)
{
	int ret, i, j;
	if ((ret = tsv_read(r, e)) < 0) return ret;
	if (ret == 0) return km_err_set(e, KM_EINPUT, "%s: no header line (empty file)", r->name);
	r->hdr_line = r->lineno;
	r->hdr.l = 0;
	free(r->col);
	r->col = malloc(r->n_field * sizeof *r->col);
	if (r->col == NULL) return km_err_set(e, KM_ENOMEM, "out of memory");
	for (i = 0; i < r->n_field; ++i) /* copy, keeping the NULs: names are offsets into hdr */
		if (kputsn(r->field[i], strlen(r->field[i]) + 1, &r->hdr) < 0)
			return km_err_set(e, KM_ENOMEM, "out of memory");
	for (i = 0, j = 0; i < r->n_field; ++i) {
		r->col[i] = r->hdr.s + j;
		j += strlen(r->col[i]) + 1;
	}
	r->n_col = r->n_field;
	r->n_need = 0;
	for (i = 0; i < r->n_col; ++i) {
		if (r->col[i][0] == 0) continue; /* unnamed (e.g. a trailing tab): ignored */
		r->n_need = i + 1;
		for (j = 0; j < i; ++j)
			if (strcmp(r->col[i], r->col[j]) == 0)
				return km_err_at(e, r->name, r->lineno, r->fcol[i], "duplicate column '%s' (first at column %d)",
				                 r->col[i], r->fcol[j]);
	}
	return 0;
}

int km_tsv_col(const km_tsv_t *r, const char *name)
{
	int i;
	for (i = 0; i < r->n_col; ++i)
		if (r->col[i][0] && strcmp(r->col[i], name) == 0) return i;
	return -1;
}

int km_tsv_need(km_tsv_t *r, const char *name, int *col, km_err_t *e)
{
	*col = km_tsv_col(r, name);
	if (*col < 0) return km_err_at(e, r->name, r->hdr_line, 1, "missing column '%s'", name);
	return 0;
}

/* A data line's field count against the header's */
static int tsv_fields_ok(const km_tsv_t *r, km_err_t *e)
{
	if (r->n_field < r->n_need)
		return km_err_at(e, r->name, r->lineno, r->ln_len + 1, "line has %d fields, the header has %d",
		                 r->n_field, r->n_need);
	/* cells past the header are tolerated only when empty (a trailing tab) */
	for (int i = r->n_col; i < r->n_field; ++i)
		if (r->field[i][0])
			return km_err_at(e, r->name, r->lineno, r->fcol[i], "line has %d fields, the header has %d",
			                 r->n_field, r->n_col);
	return 1;
}

int km_tsv_next(km_tsv_t *r, km_err_t *e)
{
	int ret;
	if ((ret = tsv_read(r, e)) <= 0) return ret;
	return tsv_fields_ok(r, e);
}

int km_tsv_raw(km_tsv_t *r, const char **s, size_t *n, km_err_t *e)
{
	int ret;
	r->raw = NULL;
	/* the line whole in the read buffer (or the memory input): a pointer, no copy */
	const char *b = r->gz || r->bg ? r->ibuf + r->ipos : r->mem ? r->mem + r->mem_pos : NULL;
	size_t avail = r->gz || r->bg ? (size_t)(r->ilen > r->ipos ? r->ilen - r->ipos : 0) : r->mem_len - r->mem_pos;
	const char *q = b && avail ? memchr(b, '\n', avail) : NULL;
	if (q) {
		r->raw = b, r->raw_l = (size_t)(q - b);
		if (r->gz || r->bg) r->ipos += (int)(r->raw_l + 1);
		else r->mem_pos += r->raw_l + 1;
		++r->lineno;
		*s = r->raw, *n = r->raw_l;
		return 1;
	}
	if ((ret = tsv_getline(r, e)) <= 0) return ret;
	++r->lineno;
	*s = r->ln.s ? r->ln.s : "";
	*n = r->ln.l;
	return 1;
}

int km_tsv_split(km_tsv_t *r, km_err_t *e)
{
	int ret;
	if (r->raw) {   /* into ln, which the splitter cuts in place */
		r->ln.l = 0;
		if (kputsn(r->raw, r->raw_l, &r->ln) < 0) return km_err_set(e, KM_ENOMEM, "out of memory");
		r->raw = NULL;
	}
	if ((ret = tsv_process(r, e)) <= 0) return ret;
	return tsv_fields_ok(r, e);
}

const char *km_tsv_field(const km_tsv_t *r, int i)
{
	return i >= 0 && i < r->n_field ? r->field[i] : "";
}

int km_tsv_fcol(const km_tsv_t *r, int i)
{
	return i >= 0 && i < r->n_field ? r->fcol[i] : r->ln_len + 1;
}

int km_tsv_line(const km_tsv_t *r) { return r->lineno; }
const char *km_tsv_name(const km_tsv_t *r) { return r->name; }
int km_tsv_ncol(const km_tsv_t *r) { return r->n_col; }

const char *km_tsv_colname(const km_tsv_t *r, int i)
{
	return i >= 0 && i < r->n_col ? r->col[i] : "";
}

int km_tsv_fail(const km_tsv_t *r, int i, km_err_t *e, const char *fmt, ...)
{
	va_list ap;
	size_t n;
	int k;
	if (e == NULL) return KM_EINPUT;
	k = snprintf(e->msg, sizeof e->msg, "%s:%d:%d: ", r->name, r->lineno, km_tsv_fcol(r, i));
	n = k < 0 ? 0 : (size_t)k < sizeof e->msg ? (size_t)k : sizeof e->msg - 1;
	va_start(ap, fmt);
	k = vsnprintf(e->msg + n, sizeof e->msg - n, fmt, ap);
	va_end(ap);
	n += k < 0 ? 0 : (size_t)k;
	if (n < sizeof e->msg && i >= 0 && i < r->n_col && r->col[i][0])
		snprintf(e->msg + n, sizeof e->msg - n, " (column '%s')", r->col[i]);
	return KM_EINPUT;
}

/* Rejects what strtod would take but a table cell should not hold: leading space, hex. */
static int num_chars_ok(const char *s)
{
	if (*s == 0 || *s == ' ' || *s == '\t') return 0;
	for (; *s; ++s)
		if (*s == 'x' || *s == 'X') return 0;
	return 1;
}

int km_parse_double(const char *s, double *x)
{
	char *end;
	double v;
	if (!num_chars_ok(s)) return -1;
	errno = 0;
	v = strtod(s, &end);
	if (*end != 0 || !isfinite(v)) return -1;
	*x = v;
	return 0;
}

int km_parse_int(const char *s, long *x)
{
	char *end;
	long v;
	if (!num_chars_ok(s)) return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end != 0 || errno == ERANGE) return -1;
	*x = v;
	return 0;
}
