/* prof.c — DNA profiles: the builder that both readers fill (prof_tsv.c, long-form TSV;
 * prof_vcf.c, VCF/BCF), the choice of reader by file name, and the checks across files.
 *
 * pr->a is a dense sample x marker x 2 matrix of allele indices into the frequency
 * table (km_freqs_t), KM_NOALLELE where untyped.  Samples are numbered in first-seen
 * order; pr->hash maps ids to numbers (keys are pr->sample[i], owned by pr).  The sample
 * arrays grow by doubling; their capacity is the next power of two >= n_sample, so it
 * need not be stored.  Neither reader includes the other: both see only this builder
 * (kmpriv.h), and only km_prof_load() here knows both.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <htslib/khash_str2int.h>
#include "kmpriv.h"

void km_prof_destroy(km_prof_t *pr)
{
	int i;
	if (pr == NULL) return;
	for (i = 0; i < pr->n_sample; ++i) free(pr->sample[i]);
	free(pr->sample);
	if (pr->hash) khash_str2int_destroy(pr->hash);
	free(pr->line);
	free(pr->a);
	free(pr->amel);
	free(pr->fn);
	if (pr->other) khash_str2int_destroy_free(pr->other);
	memset(pr, 0, sizeof *pr);
}

int km_prof_known(const km_prof_t *pr, const char *sample, int *line)
{
	int s = km_prof_find(pr, sample), l = 0;
	if (s >= 0) l = pr->line ? pr->line[s] : 0;
	else if (!pr || !pr->other || khash_str2int_get(pr->other, sample, &l) < 0) return 0;
	if (line) *line = l;
	return 1;
}

int km_prof_find(const km_prof_t *pr, const char *sample)
{
	int idx;
	if (pr == NULL || pr->hash == NULL || khash_str2int_get(pr->hash, sample, &idx) < 0) return -1;
	return idx;
}

int km_prof_init(km_prof_t *pr, const km_panel_t *p, const char *fn)
{
	memset(pr, 0, sizeof *pr);
	pr->n_marker = p->n_marker;
	pr->fn = strdup(fn ? fn : "(input)");
	pr->hash = khash_str2int_init();
	if (pr->fn == NULL || pr->hash == NULL) {
		km_prof_destroy(pr);
		return KM_ENOMEM;
	}
	return 0;
}

int km_prof_add_sample(km_prof_t *pr, const char *name, int line)
{
	int s = km_prof_find(pr, name);
	size_t per = (size_t)pr->n_marker * 2, i;
	if (s >= 0) return s;
	s = pr->n_sample;
	if ((s & (s - 1)) == 0) { /* s is 0 or a power of two: the arrays are full */
		size_t m = s ? (size_t)s * 2 : 1;
		char **ns = realloc(pr->sample, m * sizeof *ns);
		int *nl;
		int32_t *na;
		if (ns == NULL) return KM_ENOMEM;
		pr->sample = ns;
		if ((nl = realloc(pr->line, m * sizeof *nl)) == NULL) return KM_ENOMEM;
		pr->line = nl;
		if ((na = realloc(pr->a, (m * per > 0 ? m * per : 1) * sizeof *na)) == NULL) return KM_ENOMEM;
		pr->a = na;
	}
	if ((pr->sample[s] = strdup(name)) == NULL) return KM_ENOMEM;
	if (khash_str2int_set(pr->hash, pr->sample[s], s) < 0) {
		free(pr->sample[s]);
		return KM_ENOMEM;
	}
	pr->line[s] = line;
	for (i = 0; i < per; ++i) pr->a[(size_t)s * per + i] = KM_NOALLELE;
	pr->n_sample = s + 1;
	return s;
}

void km_prof_set_gt(km_prof_t *pr, int s, int m, int32_t a0, int32_t a1)
{
	int32_t *g = pr->a + ((size_t)s * pr->n_marker + m) * 2;
	if (a1 >= 0 && a1 < a0) { /* a diploid call is unordered: keep a[0] <= a[1] */
		int32_t t = a0;
		a0 = a1, a1 = t;
	}
	g[0] = a0, g[1] = a1;
}

int km_prof_add_amel(km_prof_t *pr, int s, int m, int line, int col)
{
	if (pr->n_amel == pr->m_amel) {
		int mm = pr->m_amel ? 2 * pr->m_amel : 16;
		struct km_amel_row_s *t = realloc(pr->amel, (size_t)mm * sizeof *t);
		if (t == NULL) return KM_ENOMEM;
		pr->amel = t, pr->m_amel = mm;
	}
	pr->amel[pr->n_amel].s = s, pr->amel[pr->n_amel].m = m;
	pr->amel[pr->n_amel].line = line, pr->amel[pr->n_amel++].col = col;
	return 0;
}

/* 1 if fn names a VCF/BCF file by its extension */
static int is_vcf_name(const char *fn)
{
	static const char *const ext[] = { ".vcf", ".vcf.gz", ".vcf.bgz", ".bcf" };
	size_t n = strlen(fn), i;
	for (i = 0; i < sizeof ext / sizeof ext[0]; ++i) {
		size_t k = strlen(ext[i]);
		if (n > k && strcasecmp(fn + n - k, ext[i]) == 0) return 1;
	}
	return 0;
}

int km_prof_load(km_prof_t *pr, const km_panel_t *p, km_freqs_t *f, const char *fn, km_err_t *e)
{
	memset(pr, 0, sizeof *pr);
	return is_vcf_name(fn) ? km_prof_load_vcf(pr, p, f, fn, e) : km_prof_load_tsv(pr, p, f, fn, e);
}

int km_prof_load_keep(km_prof_t *pr, const km_panel_t *p, km_freqs_t *f, const char *fn, const km_prof_keep_t *keep,
                      km_err_t *e)
{
	memset(pr, 0, sizeof *pr);
	/* a VCF's samples are columns of every record: it is read whole */
	return is_vcf_name(fn) ? km_prof_load_vcf(pr, p, f, fn, e) : km_prof_load_tsv_keep(pr, p, f, fn, keep, e);
}


/* A remain's id that is also a reference's (issue 15): one id for two samples is a
 * mix-up (and --mtdna, which holds both kinds, could not tell them apart), so it is an
 * error at the remain's first line, naming the reference's.  The first such remain in
 * the remains' order is reported. */
int km_prof_check_disjoint(const km_prof_t *rem, const km_prof_t *refs, km_err_t *e)
{
	for (int s = 0; s < rem->n_sample; ++s) {
		int line = 0;
		if (!km_prof_known(refs, rem->sample[s], &line)) continue;
		if (line > 0)
			return km_err_at(e, rem->fn, rem->line[s], 1,
			                 "sample '%s' is both a remain and a reference (%s:%d): one id cannot name two samples; rename one",
			                 rem->sample[s], refs->fn, line);
		return km_err_at(e, rem->fn, rem->line[s], 1,
		                 "sample '%s' is both a remain and a reference (%s): one id cannot name two samples; rename one",
		                 rem->sample[s], refs->fn);
	}
	return 0;
}
