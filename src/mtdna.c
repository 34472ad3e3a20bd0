/* mtdna.c — mtDNA haplotypes in EMPOP notation against rCRS (--mtdna, --mt-db).
 *
 * Columns `sample range haplotype` (the 1000 Genomes table in reference-data, whose
 * variant column is `variants_vs_rCRS`, is read too: `variants` and `variants_vs_rCRS`
 * are accepted when `haplotype` is absent).  Notation (Parson & Dür 2007, "EMPOP — a
 * forensic mtDNA database", FSI:Genetics 1:88; CONTRACT.md):
 * - range: intervals `START-END` (or a single position) separated by spaces or ';'.  An
 *   interval with START > END runs through the end of the circular genome (16569 -> 1),
 *   e.g. `16024-576` = 16024-16569 and 1-576.  Intervals are sorted and merged.
 * - haplotype: variants separated by spaces or ';':
 *     `16223T`          substitution (A C G T, or an IUPAC code for point heteroplasmy);
 *     `16166del` `16166-` deletion (`del` in any case);
 *     `315.1C`          first base inserted after 315; `315.1CC` = `315.1C 315.2C`.
 *   Bases are upper case ('d' is neither 'D' nor "del").  An empty cell or the single
 *   word `rCRS` means no difference from rCRS over the range.  A substitution to the
 *   rCRS base itself is accepted and dropped (a no-op).
 * Errors name file:line:col of the offending token: bad range, position outside
 * 1..16569, variant outside the sample's range (an insertion is inside when its anchor
 * position is), unknown base, duplicate variant, duplicate sample.
 *
 * Copyright (C) 2026 the kinmatch authors.  GPL-3.0-or-later.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <htslib/khash_str2int.h>
#include "kmpriv.h"
#include "lineage.h"
#include "rcrs.h"

void km_mt_destroy(km_mtset_t *s)
{
	int i;
	if (s == NULL) return;
	for (i = 0; i < s->n && s->hap; ++i) {
		free(s->hap[i].sample);
		free(s->hap[i].range);
		free(s->hap[i].var);
	}
	free(s->hap);
	if (s->hash) khash_str2int_destroy(s->hash);
	free(s->fn);
	memset(s, 0, sizeof *s);
}

int km_mt_find(const km_mtset_t *s, const char *sample)
{
	int idx;
	if (s == NULL || s->hash == NULL || khash_str2int_get(s->hash, sample, &idx) < 0) return -1;
	return idx;
}

/* "FN:LINE:COL: message (column 'NAME')" with COL = field start + off (1-based bytes). */
static int mt_fail(const km_tsv_t *r, int c, int off, km_err_t *e, const char *fmt, ...) KM_PRINTF(5, 6);
static int mt_fail(const km_tsv_t *r, int c, int off, km_err_t *e, const char *fmt, ...)
{
	char buf[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return km_err_at(e, km_tsv_name(r), km_tsv_line(r), km_tsv_fcol(r, c) + off, "%s (column '%s')", buf,
	                 km_tsv_colname(r, c));
}

static int is_sep(char c) { return c == ' ' || c == ';' || c == '\t'; }

/* Reads up to 9 digits at *p; -1 if none or more (the caller reports). */
static long mt_num(const char **p)
{
	long v = 0;
	int n = 0;
	while (**p >= '0' && **p <= '9') {
		if (++n > 9) return -1;
		v = v * 10 + (**p - '0');
		++*p;
	}
	return n ? v : -1;
}

static int cmp_iv(const void *a, const void *b)
{
	const int *x = a, *y = b;
	return x[0] != y[0] ? (x[0] < y[0] ? -1 : 1) : (x[1] < y[1] ? -1 : x[1] > y[1]);
}

/* Parses the range cell into h->range (sorted, merged). */
static int mt_range(km_tsv_t *r, int c, km_mthap_t *h, km_err_t *e)
{
	const char *s = km_tsv_field(r, c), *p = s;
	int n = 0, m = 0, (*iv)[2] = NULL, i, j;
	while (*p) {
		const char *t0, *q;
		long a, b;
		while (is_sep(*p)) ++p;
		if (*p == 0) break;
		t0 = q = p;
		while (*p && !is_sep(*p)) ++p;
		a = mt_num(&q);
		b = a;
		if (a >= 0 && *q == '-') ++q, b = mt_num(&q);
		if (a < 0 || b < 0 || q != p) {
			free(iv);
			return mt_fail(r, c, (int)(t0 - s), e, "bad range '%.*s' (expected START-END)", (int)(p - t0), t0);
		}
		if (a < 1 || a > KM_MT_LEN || b < 1 || b > KM_MT_LEN) {
			free(iv);
			return mt_fail(r, c, (int)(t0 - s), e, "position %ld outside 1..%d in range '%.*s'",
			               a < 1 || a > KM_MT_LEN ? a : b, KM_MT_LEN, (int)(p - t0), t0);
		}
		if (n + 2 > m) {
			int (*t)[2];
			m = m ? m * 2 : 4;
			if ((t = realloc(iv, m * sizeof *t)) == NULL) {
				free(iv);
				return km_err_set(e, KM_ENOMEM, "out of memory");
			}
			iv = t;
		}
		if (a <= b) iv[n][0] = (int)a, iv[n++][1] = (int)b;
		else { /* through the origin of the circular genome */
			iv[n][0] = (int)a, iv[n++][1] = KM_MT_LEN;
			iv[n][0] = 1, iv[n++][1] = (int)b;
		}
	}
	if (n == 0) {
		free(iv);
		return km_tsv_fail(r, c, e, "range is empty");
	}
	qsort(iv, n, sizeof *iv, cmp_iv);
	for (i = 1, j = 0; i < n; ++i) { /* merge overlapping or adjacent intervals */
		if (iv[i][0] <= iv[j][1] + 1) {
			if (iv[i][1] > iv[j][1]) iv[j][1] = iv[i][1];
		} else {
			++j;
			iv[j][0] = iv[i][0], iv[j][1] = iv[i][1];
		}
	}
	h->range = iv;
	h->n_range = j + 1;
	return 0;
}

static int in_range(const km_mthap_t *h, int pos)
{
	int i;
	for (i = 0; i < h->n_range; ++i)
		if (pos >= h->range[i][0] && pos <= h->range[i][1]) return 1;
	return 0;
}

typedef struct {
	km_mtvar_t v;
	int off, len; /* token position in the cell, for messages */
} mt_tok_t;

static int cmp_tok(const void *a, const void *b)
{
	const mt_tok_t *x = a, *y = b;
	if (x->v.pos != y->v.pos) return x->v.pos < y->v.pos ? -1 : 1;
	if (x->v.ins != y->v.ins) return x->v.ins < y->v.ins ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off; /* keeps file order: the later one is reported */
}

/* Parses the haplotype cell into h->var (sorted by (pos, ins), no-ops dropped). */
static int mt_vars(km_tsv_t *r, int c, km_mthap_t *h, km_err_t *e)
{
	const char *s = km_tsv_field(r, c), *p = s;
	int n = 0, m = 0, i, j, ret = 0;
	mt_tok_t *t = NULL;
	{ /* the single word rCRS */
		const char *a = s, *b;
		while (is_sep(*a)) ++a;
		for (b = a; *b && !is_sep(*b); ++b) {}
		if (b - a == 4 && strncasecmp(a, "rCRS", 4) == 0) {
			while (is_sep(*b)) ++b;
			if (*b == 0) return 0;
		}
	}
	while (*p) {
		const char *t0, *q;
		long pos, ins = 0;
		int len, k, nb;
		while (is_sep(*p)) ++p;
		if (*p == 0) break;
		t0 = q = p;
		while (*p && !is_sep(*p)) ++p;
		len = (int)(p - t0);
		pos = mt_num(&q);
		if (pos < 0) {
			ret = mt_fail(r, c, (int)(t0 - s), e, "bad variant '%.*s' (expected e.g. 16223T, 16166del, 315.1C)", len, t0);
			goto end;
		}
		if (pos < 1 || pos > KM_MT_LEN) {
			ret = mt_fail(r, c, (int)(t0 - s), e, "position %ld outside 1..%d in variant '%.*s'", pos, KM_MT_LEN, len, t0);
			goto end;
		}
		if (*q == '.') {
			++q;
			if ((ins = mt_num(&q)) < 1 || ins > 1000) {
				ret = mt_fail(r, c, (int)(t0 - s), e, "bad insertion '%.*s' (expected e.g. 315.1C)", len, t0);
				goto end;
			}
		}
		nb = (int)(p - q);
		if (ins == 0 && ((nb == 3 && strncasecmp(q, "del", 3) == 0) || (nb == 1 && *q == '-'))) {
			nb = 1;
			q = "-";
		} else if (nb == 0 || (ins == 0 && nb > 1)) {
			ret = mt_fail(r, c, (int)(t0 - s), e, "bad variant '%.*s' (expected e.g. 16223T, 16166del, 315.1C)", len, t0);
			goto end;
		} else {
			for (k = 0; k < nb; ++k)
				if (q[k] == '-' || km_mt_bases(q[k]) == 0) {
					ret = mt_fail(r, c, (int)(q + k - s), e, "unknown base '%c' in variant '%.*s'", q[k], len, t0);
					goto end;
				}
		}
		if (!in_range(h, (int)pos)) {
			ret = mt_fail(r, c, (int)(t0 - s), e, "variant '%.*s' is outside the sample's range", len, t0);
			goto end;
		}
		if (ins + nb - 1 > 1000) {
			ret = mt_fail(r, c, (int)(t0 - s), e, "bad insertion '%.*s' (expected e.g. 315.1C)", len, t0);
			goto end;
		}
		for (k = 0; k < nb; ++k) { /* a multi-base insertion is consecutive inserted bases */
			if (n == m) {
				mt_tok_t *nt;
				m = m ? m * 2 : 16;
				if ((nt = realloc(t, m * sizeof *nt)) == NULL) {
					ret = km_err_set(e, KM_ENOMEM, "out of memory");
					goto end;
				}
				t = nt;
			}
			t[n].v.pos = (int)pos;
			t[n].v.ins = ins ? (int)ins + k : 0;
			t[n].v.base = q[k];
			t[n].off = (int)(t0 - s);
			t[n++].len = len;
		}
	}
	if (n > 1) qsort(t, n, sizeof *t, cmp_tok);
	for (i = 1; i < n; ++i)
		if (t[i].v.pos == t[i - 1].v.pos && t[i].v.ins == t[i - 1].v.ins) {
			const mt_tok_t *a = &t[i - 1], *b = &t[i];
			if (a->off > b->off) a = &t[i], b = &t[i - 1];
			if (b->v.ins)
				ret = mt_fail(r, c, b->off, e, "duplicate variant '%.*s' (position %d.%d already has '%.*s')", b->len,
				              s + b->off, b->v.pos, b->v.ins, a->len, s + a->off);
			else
				ret = mt_fail(r, c, b->off, e, "duplicate variant '%.*s' (position %d already has '%.*s')", b->len,
				              s + b->off, b->v.pos, a->len, s + a->off);
			goto end;
		}
	if (n > 0 && (h->var = malloc(n * sizeof *h->var)) == NULL) {
		ret = km_err_set(e, KM_ENOMEM, "out of memory");
		goto end;
	}
	for (i = j = 0; i < n; ++i)
		if (t[i].v.ins > 0 || t[i].v.base != km_rcrs[t[i].v.pos - 1]) h->var[j++] = t[i].v;
	h->n_var = j;
end:
	free(t);
	return ret;
}

static int mt_read(km_mtset_t *st, km_tsv_t *r, km_err_t *e)
{
	int ret, c_sample, c_range, c_hap, m_hap = 0;
	if ((ret = km_tsv_header(r, e)) < 0) return ret;
	if ((ret = km_tsv_need(r, "sample", &c_sample, e)) < 0) return ret;
	if ((ret = km_tsv_need(r, "range", &c_range, e)) < 0) return ret;
	if ((c_hap = km_tsv_col(r, "haplotype")) < 0 && (c_hap = km_tsv_col(r, "variants")) < 0 &&
	    (c_hap = km_tsv_col(r, "variants_vs_rCRS")) < 0 && (ret = km_tsv_need(r, "haplotype", &c_hap, e)) < 0)
		return ret;
	if ((st->hash = khash_str2int_init()) == NULL) return km_err_set(e, KM_ENOMEM, "out of memory");
	while ((ret = km_tsv_next(r, e)) > 0) {
		const char *sample = km_tsv_field(r, c_sample);
		km_mthap_t *h;
		int prev;
		if (sample[0] == 0) return km_tsv_fail(r, c_sample, e, "sample is empty");
		if (khash_str2int_get(st->hash, sample, &prev) == 0)
			return km_tsv_fail(r, c_sample, e, "duplicate sample '%s' (first on line %d)", sample, st->hap[prev].line);
		if (st->n == m_hap) {
			int m = m_hap ? m_hap * 2 : 64;
			km_mthap_t *t = realloc(st->hap, m * sizeof *t);
			if (t == NULL) return km_err_set(e, KM_ENOMEM, "out of memory");
			st->hap = t;
			m_hap = m;
		}
		h = &st->hap[st->n];
		memset(h, 0, sizeof *h);
		h->line = km_tsv_line(r);
		if ((h->sample = strdup(sample)) == NULL) return km_err_set(e, KM_ENOMEM, "out of memory");
		++st->n; /* owned from here on, so destroy frees it */
		if ((ret = mt_range(r, c_range, h, e)) < 0 || (ret = mt_vars(r, c_hap, h, e)) < 0) return ret;
		if (khash_str2int_set(st->hash, h->sample, st->n - 1) < 0) return km_err_set(e, KM_ENOMEM, "out of memory");
	}
	return ret;
}

static int mt_load(km_mtset_t *st, km_tsv_t *r, km_err_t *e)
{
	int ret;
	if ((st->fn = strdup(km_tsv_name(r))) == NULL) ret = km_err_set(e, KM_ENOMEM, "out of memory");
	else ret = mt_read(st, r, e);
	km_tsv_close(r);
	if (ret < 0) km_mt_destroy(st);
	return ret < 0 ? ret : 0;
}

int km_mt_load(km_mtset_t *s, const char *fn, km_err_t *e)
{
	km_tsv_t *r;
	int ret;
	memset(s, 0, sizeof *s);
	if ((ret = km_tsv_open(&r, fn, e)) < 0) return ret;
	return mt_load(s, r, e);
}

int km_mt_load_mem(km_mtset_t *s, const char *name, const char *buf, size_t len, km_err_t *e)
{
	km_tsv_t *r;
	int ret;
	memset(s, 0, sizeof *s);
	if ((ret = km_tsv_open_mem(&r, name, buf, len, e)) < 0) return ret;
	return mt_load(s, r, e);
}
