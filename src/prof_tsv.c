/* prof_tsv.c — DNA profiles in long form (sample marker allele1 allele2), read into the
 * profile builder of prof.c.
 */
#include <stdlib.h>
#include <string.h>
#include "kmpriv.h"

/* "", "." and "NA" mean "no allele" in a profile cell */
static int cell_empty(const char *s)
{
	return s[0] == 0 || (s[0] == '.' && s[1] == 0) || ((s[0] | 32) == 'n' && (s[1] | 32) == 'a' && s[2] == 0);
}

static int prof_read(km_prof_t *pr, const km_panel_t *p, km_freqs_t *f, km_tsv_t *r, int **rline, km_err_t *e)
{
	int ret, c_sample, c_marker, c_a1, c_a2;
	size_t m_rline = 0;
	if ((ret = km_tsv_header(r, e)) < 0) return ret;
	if ((ret = km_tsv_need(r, "sample", &c_sample, e)) < 0) return ret;
	if ((ret = km_tsv_need(r, "marker", &c_marker, e)) < 0) return ret;
	if ((ret = km_tsv_need(r, "allele1", &c_a1, e)) < 0) return ret;
	if ((ret = km_tsv_need(r, "allele2", &c_a2, e)) < 0) return ret;
	/* a file lists a sample's markers together and usually in panel order: the last
	 * sample and the next marker are tried before the hash tables (same results) */
	int last_s = -1, last_m = -1;
	while ((ret = km_tsv_next(r, e)) > 0) {
		const char *sample = km_tsv_field(r, c_sample), *marker = km_tsv_field(r, c_marker);
		const char *a1 = km_tsv_field(r, c_a1), *a2 = km_tsv_field(r, c_a2);
		int m, s, type, hemi;
		int32_t i1, i2;
		size_t k;
		if (sample[0] == 0) return km_tsv_fail(r, c_sample, e, "sample is empty");
		if (last_m + 1 < p->n_marker && strcmp(p->marker[last_m + 1].name, marker) == 0) m = last_m + 1;
		else if ((m = km_panel_find(p, marker)) < 0) return km_tsv_fail(r, c_marker, e, "unknown marker '%s'", marker);
		last_m = m;
		type = p->marker[m].type;
		if (cell_empty(a1)) return km_tsv_fail(r, c_a1, e, "allele1 is empty");
		/* an allele of the table was checked when the table was read: look it up first */
		if ((i1 = km_freqs_allele(f, p, m, a1, 0)) < 0 && !km_allele_ok(type, a1))
			return km_tsv_fail(r, c_a1, e, KM_ALLELE_BAD_FMT(type), a1);
		hemi = cell_empty(a2);
		if (hemi && (type == KM_SYS_STR || type == KM_SYS_SNP))
			return km_tsv_fail(r, c_a2, e, "marker '%s' is autosomal: allele2 is required", marker);
		i2 = hemi ? KM_HEMI : km_freqs_allele(f, p, m, a2, 0);
		if (!hemi && i2 < 0 && !km_allele_ok(type, a2)) return km_tsv_fail(r, c_a2, e, KM_ALLELE_BAD_FMT(type), a2);
		if (last_s >= 0 && strcmp(pr->sample[last_s], sample) == 0) s = last_s;
		else if ((s = km_prof_add_sample(pr, sample, km_tsv_line(r))) < 0) return km_err_set(e, KM_ENOMEM, "out of memory");
		last_s = s;
		if ((size_t)pr->n_sample * pr->n_marker > m_rline) { /* first line of each (sample, marker) row */
			size_t mm = m_rline ? m_rline : 64;
			int *t;
			while (mm < (size_t)pr->n_sample * pr->n_marker) mm *= 2;
			if ((t = realloc(*rline, mm * sizeof *t)) == NULL) return km_err_set(e, KM_ENOMEM, "out of memory");
			memset(t + m_rline, 0, (mm - m_rline) * sizeof *t);
			*rline = t;
			m_rline = mm;
		}
		k = (size_t)s * pr->n_marker + m;
		if ((*rline)[k])
			return km_tsv_fail(r, c_marker, e, "duplicate row for sample '%s' at marker '%s' (first on line %d)",
			                   sample, marker, (*rline)[k]);
		(*rline)[k] = km_tsv_line(r);
		/* alleles not in the table are added (with a warning) only now, after every check */
		if (i1 < 0 && (i1 = km_freqs_allele(f, p, m, a1, 1)) < 0) return km_err_set(e, KM_ENOMEM, "out of memory");
		if (!hemi && i2 < 0 && (i2 = km_freqs_allele(f, p, m, a2, 1)) < 0) return km_err_set(e, KM_ENOMEM, "out of memory");
		km_prof_set_gt(pr, s, m, i1, i2);
		/* amelogenin: keep the row for messages (amel.c) */
		if (type == KM_TYPE_AMEL && km_prof_add_amel(pr, s, m, km_tsv_line(r), km_tsv_fcol(r, c_a1)) < 0)
			return km_err_set(e, KM_ENOMEM, "out of memory");
	}
	return ret;
}

static int prof_load_tsv(km_prof_t *pr, const km_panel_t *p, km_freqs_t *f, km_tsv_t *r, km_err_t *e)
{
	int ret, *rline = NULL;
	if ((ret = km_prof_init(pr, p, km_tsv_name(r))) < 0) ret = km_err_set(e, ret, "out of memory");
	else ret = prof_read(pr, p, f, r, &rline, e);
	free(rline);
	km_tsv_close(r);
	if (ret < 0) km_prof_destroy(pr);
	return ret < 0 ? ret : 0;
}

int km_prof_load_mem(km_prof_t *pr, const km_panel_t *p, km_freqs_t *f, const char *name, const char *buf,
                     size_t len, km_err_t *e)
{
	km_tsv_t *r;
	int ret;
	memset(pr, 0, sizeof *pr);
	if ((ret = km_tsv_open_mem(&r, name, buf, len, e)) < 0) return ret;
	return prof_load_tsv(pr, p, f, r, e);
}

int km_prof_load_tsv(km_prof_t *pr, const km_panel_t *p, km_freqs_t *f, const char *fn, km_err_t *e)
{
	km_tsv_t *r;
	int ret;
	memset(pr, 0, sizeof *pr);
	if ((ret = km_tsv_open(&r, fn, e)) < 0) return ret;
	return prof_load_tsv(pr, p, f, r, e);
}
