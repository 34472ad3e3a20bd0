/* freqs.c — allele frequency tables, one per panel marker.
 *
 * Two layouts are read: long form (marker allele frequency, one allele a row) and the
 * Familias/forrel "ladder" (first column `Allele`, then one column per marker, empty or
 * NA where the allele does not occur).  Frequencies are kept as given; a marker whose
 * sum is more than 0.01 away from 1 is an error.
 *
 * f->loc[m] is the allele table of panel marker m: labels as written (SNP bases upper-
 * cased), frequencies, and a label -> index hash whose keys are the label strings the
 * table owns.  Profiles map their alleles through km_freqs_allele(), which finds STR
 * alleles by numeric value too ("09" and "9.0" are allele 9) and appends alleles the
 * table lacks at f->min_freq, so an allele index is stable once handed out.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <htslib/khash_str2int.h>
#include "kmpriv.h"

#define KM_SUM_TOL 0.01

int km_allele_ok(int type, const char *s)
{
	double v;
	if (type == KM_SYS_SNP) return s[0] && s[1] == 0 && strchr("ACGT", toupper((unsigned char)s[0]));
	if (type == KM_TYPE_AMEL) return (s[0] == 'X' || s[0] == 'Y') && s[1] == 0;   /* amelogenin (amel.c) */
	return km_parse_double(s, &v) == 0 && v >= 0.0;
}


/* Index of label in a, or -1.  SNP labels are compared upper-cased, STR labels by value
 * when the exact string is absent. */
/* The fast key of a label (kmpriv.h) */
static int fast_key(int type, const char *s)
{
	return km_allele_fast_key(type, s, strlen(s));
}

static int alleles_find(const km_alleles_t *a, int type, const char *label)
{
	int idx, i;
	double v, w;
	char up[2];
	if (a->hash == NULL) return -1;
	/* equal keys mean equal values, and a table never holds two labels of one value
	 * (duplicates are refused), so a hit here is the allele the lookups below find */
	if (a->fast && (i = fast_key(type, label)) >= 0 && a->fast[i] >= 0) return a->fast[i];
	if (type == KM_SYS_SNP && label[0] && label[1] == 0) {
		up[0] = (char)toupper((unsigned char)label[0]), up[1] = 0;
		label = up;
	}
	if (khash_str2int_get(a->hash, label, &idx) == 0) return idx;
	if (type == KM_SYS_SNP || km_parse_double(label, &v) < 0) return -1;
	for (i = 0; i < a->n_allele; ++i)
		if (km_parse_double(a->label[i], &w) == 0 && w == v) return i;
	return -1;
}

/* Appends an allele (label copied; SNP upper-cased).  Returns its index or -1 (memory). */
static int alleles_add(km_alleles_t *a, int type, const char *label, double p, int in_table)
{
	char *s;
	if (a->hash == NULL && (a->hash = khash_str2int_init()) == NULL) return -1;
	if (a->n_allele == a->m_allele) {
		int m = a->m_allele ? a->m_allele * 2 : 8;
		char **l = realloc(a->label, m * sizeof *l);
		double *q;
		uint8_t *t;
		if (l == NULL) return -1;
		a->label = l;
		if ((q = realloc(a->p, m * sizeof *q)) == NULL) return -1;
		a->p = q;
		if ((t = realloc(a->in_table, m)) == NULL) return -1;
		a->in_table = t;
		a->m_allele = m;
	}
	if ((s = strdup(label)) == NULL) return -1;
	if (type == KM_SYS_SNP) s[0] = (char)toupper((unsigned char)s[0]);
	a->label[a->n_allele] = s;
	a->p[a->n_allele] = p;
	a->in_table[a->n_allele] = (uint8_t)in_table;
	if (khash_str2int_set(a->hash, s, a->n_allele) < 0) {
		free(s);
		return -1;
	}
	if (a->fast == NULL && a->n_allele < 32767) {
		if ((a->fast = malloc(sizeof(int16_t) * 1024)) == NULL) return -1;
		for (int i = 0; i < 1024; ++i) a->fast[i] = -1;
	}
	int k = fast_key(type, s);
	if (a->fast && k >= 0 && a->fast[k] < 0 && a->n_allele < 32767) a->fast[k] = (int16_t)a->n_allele;
	return a->n_allele++;
}

int km_freqs_allele(km_freqs_t *f, const km_panel_t *p, int m, const char *label, int add)
{
	km_alleles_t *a;
	int type, idx;
	if (m < 0 || m >= f->n_marker || m >= p->n_marker) return -1;
	a = &f->loc[m];
	type = p->marker[m].type;
	if ((idx = alleles_find(a, type, label)) >= 0 || !add) return idx;
	if (!km_allele_ok(type, label)) return -1;
	if (type == KM_SYS_Y || type == KM_TYPE_AMEL) /* Y-STRs are weighed by haplotype (--y-db), AMEL only sexes */
		return alleles_add(a, type, label, 0.0, 0);
	idx = alleles_add(a, type, label, f->min_freq, 0);
	if (idx >= 0) {
		++f->n_warn;
		km_warn("marker %s: allele '%s' is not in %s; using --min-freq %g", p->marker[m].name, a->label[idx],
		        f->fn ? f->fn : "the frequency table", f->min_freq);
	}
	return idx;
}

void km_freqs_destroy(km_freqs_t *f)
{
	int m, i;
	if (f == NULL) return;
	for (m = 0; m < f->n_marker && f->loc; ++m) {
		km_alleles_t *a = &f->loc[m];
		for (i = 0; i < a->n_allele; ++i) free(a->label[i]);
		free(a->label);
		free(a->p);
		free(a->in_table);
		if (a->hash) khash_str2int_destroy(a->hash);
		free(a->fast);
	}
	free(f->loc);
	free(f->fn);
	memset(f, 0, sizeof *f);
}

int km_freqs_check_panel(const km_freqs_t *f, const km_panel_t *p, km_err_t *e)
{
	int m;
	for (m = 0; m < p->n_marker; ++m) {
		const km_marker_t *mk = &p->marker[m];
		int n = m < f->n_marker ? f->loc[m].n_allele : 0, i, n_tab = 0;
		if (mk->type == KM_SYS_Y || mk->type == KM_TYPE_AMEL) continue;
		for (i = 0; i < n; ++i) n_tab += f->loc[m].in_table[i];
		if (n_tab == 0)
			return km_err_at(e, p->fn, mk->line, 1, "marker '%s' has no allele frequencies in %s", mk->name,
			                 f->fn ? f->fn : "the frequency table");
	}
	return 0;
}

/* Loader state: where each marker and each allele was first seen, for messages. */
typedef struct {
	int *first_line, *first_col; /* per marker, 0 = not seen */
	int **aline;                 /* per marker, per allele: line of its row */
	int *m_aline;
} fq_ctx_t;

/* Adds one table entry after checking the label, the frequency and duplicates.
 * c_allele / c_freq are the columns to blame. */
static int fq_entry(km_freqs_t *f, const km_panel_t *p, km_tsv_t *r, fq_ctx_t *x, int m, int c_allele,
                    int c_freq, km_err_t *e)
{
	const char *label = km_tsv_field(r, c_allele), *fs = km_tsv_field(r, c_freq);
	int type = p->marker[m].type, idx;
	double v;
	if (label[0] == 0) return km_tsv_fail(r, c_allele, e, "allele is empty");
	if (!km_allele_ok(type, label)) return km_tsv_fail(r, c_allele, e, KM_ALLELE_BAD_FMT(type), label);
	if (km_parse_double(fs, &v) < 0) return km_tsv_fail(r, c_freq, e, "frequency '%s' is not a number", fs);
	if (!(v > 0.0 && v <= 1.0)) return km_tsv_fail(r, c_freq, e, "frequency '%s' outside (0,1]", fs);
	if ((idx = alleles_find(&f->loc[m], type, label)) >= 0)
		return km_tsv_fail(r, c_allele, e, "duplicate allele '%s' for marker '%s' (first on line %d)", label,
		                   p->marker[m].name, x->aline[m][idx]);
	if ((idx = alleles_add(&f->loc[m], type, label, v, 1)) < 0) return km_err_set(e, KM_ENOMEM, "out of memory");
	if (x->m_aline[m] <= idx) {
		int mm = f->loc[m].m_allele, *t = realloc(x->aline[m], mm * sizeof *t);
		if (t == NULL) return km_err_set(e, KM_ENOMEM, "out of memory");
		x->aline[m] = t;
		x->m_aline[m] = mm;
	}
	x->aline[m][idx] = km_tsv_line(r);
	return 0;
}

static int fq_marker(const km_panel_t *p, km_tsv_t *r, int c, km_err_t *e)
{
	int m = km_panel_find(p, km_tsv_field(r, c));
	if (m < 0) return km_tsv_fail(r, c, e, "unknown marker '%s'", km_tsv_field(r, c));
	return m;
}

static int fq_long(km_freqs_t *f, const km_panel_t *p, km_tsv_t *r, fq_ctx_t *x, km_err_t *e)
{
	int ret, c_marker, c_allele, c_freq;
	if ((ret = km_tsv_need(r, "marker", &c_marker, e)) < 0) return ret;
	if ((ret = km_tsv_need(r, "allele", &c_allele, e)) < 0) return ret;
	if ((ret = km_tsv_need(r, "frequency", &c_freq, e)) < 0) return ret;
	while ((ret = km_tsv_next(r, e)) > 0) {
		int m = fq_marker(p, r, c_marker, e);
		if (m < 0) return m;
		if (x->first_line[m] == 0) {
			x->first_line[m] = km_tsv_line(r);
			x->first_col[m] = km_tsv_fcol(r, c_marker);
		}
		if ((ret = fq_entry(f, p, r, x, m, c_allele, c_freq, e)) < 0) return ret;
	}
	return ret;
}

static int fq_ladder(km_freqs_t *f, const km_panel_t *p, km_tsv_t *r, fq_ctx_t *x, km_err_t *e)
{
	int ret = 0, n_col = km_tsv_ncol(r), i, *cm;
	if ((cm = malloc(n_col * sizeof *cm)) == NULL) return km_err_set(e, KM_ENOMEM, "out of memory");
	/* the header is still the current line: map each marker column, blaming its cell */
	for (i = 1; i < n_col; ++i) {
		cm[i] = -1;
		if (km_tsv_colname(r, i)[0] == 0) continue; /* unnamed trailing column */
		if ((cm[i] = fq_marker(p, r, i, e)) < 0) {
			ret = cm[i];
			goto out;
		}
		x->first_line[cm[i]] = km_tsv_line(r);
		x->first_col[cm[i]] = km_tsv_fcol(r, i);
	}
	while ((ret = km_tsv_next(r, e)) > 0) {
		for (i = 1; i < n_col; ++i) {
			const char *s = km_tsv_field(r, i);
			if (cm[i] < 0 || s[0] == 0 || strcasecmp(s, "NA") == 0) continue;
			if ((ret = fq_entry(f, p, r, x, cm[i], 0, i, e)) < 0) goto out;
		}
	}
out:
	free(cm);
	return ret;
}

static int fq_read(km_freqs_t *f, const km_panel_t *p, km_tsv_t *r, fq_ctx_t *x, km_err_t *e)
{
	int ret, m;
	if ((ret = km_tsv_header(r, e)) < 0) return ret;
	if (km_tsv_col(r, "marker") < 0 && strcasecmp(km_tsv_colname(r, 0), "allele") == 0)
		ret = fq_ladder(f, p, r, x, e);
	else
		ret = fq_long(f, p, r, x, e);
	if (ret < 0) return ret;
	for (m = 0; m < f->n_marker; ++m) {
		const km_alleles_t *a = &f->loc[m];
		double sum = 0.0;
		int i;
		if (a->n_allele == 0) continue;
		for (i = 0; i < a->n_allele; ++i) sum += a->p[i];
		if (fabs(sum - 1.0) > KM_SUM_TOL + 1e-9) /* slack for decimal rounding at the boundary */
			return km_err_at(e, f->fn, x->first_line[m], x->first_col[m],
			                 "allele frequencies of marker '%s' sum to %.6g, not 1 (tolerance %g)",
			                 p->marker[m].name, sum, KM_SUM_TOL);
	}
	return 0;
}

static int fq_load(km_freqs_t *f, const km_panel_t *p, km_tsv_t *r, double min_freq, km_err_t *e)
{
	fq_ctx_t x = {0};
	int ret = 0, m, n = p->n_marker > 0 ? p->n_marker : 1;
	f->n_marker = p->n_marker;
	f->min_freq = min_freq;
	f->fn = strdup(km_tsv_name(r));
	f->loc = calloc(n, sizeof *f->loc);
	x.first_line = calloc(n, sizeof *x.first_line);
	x.first_col = calloc(n, sizeof *x.first_col);
	x.aline = calloc(n, sizeof *x.aline);
	x.m_aline = calloc(n, sizeof *x.m_aline);
	if (!f->fn || !f->loc || !x.first_line || !x.first_col || !x.aline || !x.m_aline)
		ret = km_err_set(e, KM_ENOMEM, "out of memory");
	else
		ret = fq_read(f, p, r, &x, e);
	for (m = 0; m < p->n_marker && x.aline; ++m) free(x.aline[m]);
	free(x.aline);
	free(x.m_aline);
	free(x.first_line);
	free(x.first_col);
	km_tsv_close(r);
	if (ret < 0) km_freqs_destroy(f);
	return ret < 0 ? ret : 0;
}

int km_freqs_load(km_freqs_t *f, const km_panel_t *p, const char *fn, double min_freq, km_err_t *e)
{
	km_tsv_t *r;
	int ret;
	memset(f, 0, sizeof *f);
	if ((ret = km_tsv_open(&r, fn, e)) < 0) return ret;
	return fq_load(f, p, r, min_freq, e);
}

int km_freqs_load_mem(km_freqs_t *f, const km_panel_t *p, const char *name, const char *buf, size_t len,
                      double min_freq, km_err_t *e)
{
	km_tsv_t *r;
	int ret;
	memset(f, 0, sizeof *f);
	if ((ret = km_tsv_open_mem(&r, name, buf, len, e)) < 0) return ret;
	return fq_load(f, p, r, min_freq, e);
}
