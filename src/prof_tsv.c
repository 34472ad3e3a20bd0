/* prof_tsv.c — DNA profiles in long form (sample marker allele1 allele2), read into the
 * profile builder of prof.c.
 *
 * With a keep set (km_prof_load_keep: a shard's own references, issue 17) the rows of
 * other samples are read for their marker and alleles only: every check of a row's
 * cells is made and an allele the frequency table lacks is added in file order, as a
 * full read adds it — the allele table (and so every mutation matrix and table) is the
 * one a full read builds — but the sample is not stored (its genotypes, lines and the
 * duplicate-row check are left to whoever reads it fully: the merge).  With names set
 * (a merge that needs no reference's autosomal calls) the other samples are registered
 * — id, first line, the duplicate-row check — and their calls stored only at the markers
 * of gmask (X, Y, amelogenin: the checks of a pedigree against its profiles).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <htslib/khash_str2int.h>
#include <htslib/kstring.h>
#include "kmpriv.h"

/* "", "." and "NA" mean "no allele" in a profile cell */
static int cell_empty(const char *s)
{
	return s[0] == 0 || (s[0] == '.' && s[1] == 0) || ((s[0] | 32) == 'n' && (s[1] | 32) == 'a' && s[2] == 0);
}

/* a[0..n) == b[0..n), inline: the skim's two short compares per row were a tenth of a
 * shard's reading as libc calls */
static inline int same_bytes(const char *a, const char *b, size_t n)
{
	uint64_t x, y;
	for (; n >= 8; a += 8, b += 8, n -= 8) {
		memcpy(&x, a, 8), memcpy(&y, b, 8);
		if (x != y) return 0;
	}
	for (; n > 0; ++a, ++b, --n)
		if (*a != *b) return 0;
	return 1;
}

/* Another shard's row taken whole from the raw line (prof_read with a keep set), when it
 * is the plain case: the layout sample, marker, allele1, allele2 and nothing else, no
 * space or control byte, the sample the one whose rows are being skipped, the panel's
 * next marker, two alleles the table has.  Then the full path would check nothing that
 * fails and add nothing, so 1 (done); else 0 and the full path reads the line. */
static int skim(const char *s, size_t n, const kstring_t *kname, const km_panel_t *p, km_freqs_t *f,
                const size_t *mlen, int last_m, int *mp)
{
	size_t k = kname->l;
	const char *t[3];
	int nt = 0;
	if (n <= k || s[k] != '\t' || !same_bytes(s, kname->s, k)) return 0;
	t[0] = s + k;
	for (size_t i = k + 1; i < n; ++i)
		if ((unsigned char)s[i] <= ' ') {
			if (s[i] != '\t' || nt == 2) return 0;
			t[++nt] = s + i;
		}
	if (nt != 2) return 0;
	int m = last_m + 1;
	size_t ml = (size_t)(t[1] - t[0] - 1);
	if (m >= p->n_marker || ml != mlen[m] || !same_bytes(t[0] + 1, p->marker[m].name, ml)) return 0;
	const char *b[2] = { t[1] + 1, t[2] + 1 }, *x[2] = { t[2], s + n };
	const km_alleles_t *al = m < f->n_marker ? &f->loc[m] : NULL;
	for (int j = 0; j < 2; ++j) {
		char a[16];
		size_t l = (size_t)(x[j] - b[j]);
		int key;
		if (l == 0 || l >= sizeof a) return 0;
		/* the table's fast index first (a hit is the allele alleles_find gives) */
		if (al && al->fast && (key = km_allele_fast_key(p->marker[m].type, b[j], l)) >= 0 && al->fast[key] >= 0) continue;
		memcpy(a, b[j], l), a[l] = 0;
		if (cell_empty(a) || km_freqs_allele(f, p, m, a, 0) < 0) return 0;
	}
	*mp = m;
	return 1;
}

static int prof_read(km_prof_t *pr, const km_panel_t *p, km_freqs_t *f, km_tsv_t *r, int **rline,
                     const km_prof_keep_t *K, kstring_t *kname, const size_t *mlen, km_err_t *e)
{
	void *keep = K ? K->keep : NULL;
	const int names = K && K->names;
	const uint8_t *gmask = K ? K->gmask : NULL;
	int ret, c_sample, c_marker, c_a1, c_a2, kept = 1;
	size_t m_rline = 0;
	if ((ret = km_tsv_header(r, e)) < 0) return ret;
	if ((ret = km_tsv_need(r, "sample", &c_sample, e)) < 0) return ret;
	if ((ret = km_tsv_need(r, "marker", &c_marker, e)) < 0) return ret;
	if ((ret = km_tsv_need(r, "allele1", &c_a1, e)) < 0) return ret;
	if ((ret = km_tsv_need(r, "allele2", &c_a2, e)) < 0) return ret;
	/* a file lists a sample's markers together and usually in panel order: the last
	 * sample and the next marker are tried before the hash tables (same results) */
	int last_s = -1, last_m = -1;
	/* with a keep set, the plain rows of a skipped sample never reach the splitter */
	int canon = keep && mlen && km_tsv_ncol(r) == 4 && c_sample == 0 && c_marker == 1 && c_a1 == 2 && c_a2 == 3;
	for (;;) {
		if (canon) {
			const char *ln;
			size_t n;
			int m;
			if ((ret = km_tsv_raw(r, &ln, &n, e)) <= 0) break;
			if (!kept && skim(ln, n, kname, p, f, mlen, last_m, &m)) {
				if (!names) { last_m = m; continue; }
				/* registered, not stored: the duplicate-row check is all that is left */
				size_t k = (size_t)last_s * pr->n_marker + m;
				if (!(gmask && gmask[m]) && !(*rline)[k]) { (*rline)[k] = km_tsv_line(r), last_m = m; continue; }
			}
			if ((ret = km_tsv_split(r, e)) < 0) break;
			if (ret == 0) continue;   /* a comment or blank line */
		} else if ((ret = km_tsv_next(r, e)) <= 0) break;
		const char *sample = km_tsv_field(r, c_sample), *marker = km_tsv_field(r, c_marker);
		const char *a1 = km_tsv_field(r, c_a1), *a2 = km_tsv_field(r, c_a2);
		int m, s, type, hemi;
		int32_t i1, i2;
		size_t k;
		if (sample[0] == 0) return km_tsv_fail(r, c_sample, e, "sample is empty");
		if (keep && (kname->l == 0 || strcmp(kname->s, sample) != 0)) {   /* a sample's rows are together */
			kname->l = 0;
			if (kputs(sample, kname) < 0) return km_err_set(e, KM_ENOMEM, "out of memory");
			kept = khash_str2int_has_key(keep, sample);
			/* not stored: its id is still known (an --mtdna row or a remain may name it) */
			if (!kept && !names && !khash_str2int_has_key(pr->other, sample)) {
				char *id = strdup(sample);
				if (!id || khash_str2int_set(pr->other, id, km_tsv_line(r)) < 0) { free(id); return km_err_set(e, KM_ENOMEM, "out of memory"); }
			}
		}
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
		if (!kept && !names) {   /* another shard's sample: its alleles only (above) */
			if (i1 < 0 && km_freqs_allele(f, p, m, a1, 1) < 0) return km_err_set(e, KM_ENOMEM, "out of memory");
			if (!hemi && i2 < 0 && km_freqs_allele(f, p, m, a2, 1) < 0) return km_err_set(e, KM_ENOMEM, "out of memory");
			continue;
		}
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
		if (!kept && !(gmask && gmask[m])) continue;   /* names: registered and checked only */
		km_prof_set_gt(pr, s, m, i1, i2);
		/* amelogenin: keep the row for messages (amel.c) */
		if (type == KM_TYPE_AMEL && km_prof_add_amel(pr, s, m, km_tsv_line(r), km_tsv_fcol(r, c_a1)) < 0)
			return km_err_set(e, KM_ENOMEM, "out of memory");
	}
	return ret;
}

static int prof_load_tsv(km_prof_t *pr, const km_panel_t *p, km_freqs_t *f, km_tsv_t *r, const km_prof_keep_t *K,
                         km_err_t *e)
{
	void *keep = K ? K->keep : NULL;
	int ret, *rline = NULL;
	kstring_t kname = { 0, 0, NULL };
	size_t *mlen = keep ? malloc(sizeof(size_t) * ((size_t)p->n_marker + 1)) : NULL;   /* marker name lengths (skim) */
	for (int m = 0; mlen && m < p->n_marker; ++m) mlen[m] = strlen(p->marker[m].name);
	if (keep && !mlen) ret = km_err_set(e, KM_ENOMEM, "out of memory");
	else if ((ret = km_prof_init(pr, p, km_tsv_name(r))) < 0) ret = km_err_set(e, ret, "out of memory");
	else if (keep && !K->names && !(pr->other = khash_str2int_init())) ret = km_err_set(e, KM_ENOMEM, "out of memory");
	else ret = prof_read(pr, p, f, r, &rline, keep ? K : NULL, &kname, mlen, e);
	free(rline);
	free(kname.s);
	free(mlen);
	km_tsv_close(r);
	if (ret < 0) km_prof_destroy(pr);
	return ret < 0 ? ret : 0;
}

int km_prof_load_mem_keep(km_prof_t *pr, const km_panel_t *p, km_freqs_t *f, const char *name, const char *buf,
                          size_t len, const km_prof_keep_t *K, km_err_t *e)
{
	km_tsv_t *r;
	int ret;
	memset(pr, 0, sizeof *pr);
	if ((ret = km_tsv_open_mem(&r, name, buf, len, e)) < 0) return ret;
	return prof_load_tsv(pr, p, f, r, K, e);
}

int km_prof_load_tsv_keep(km_prof_t *pr, const km_panel_t *p, km_freqs_t *f, const char *fn, const km_prof_keep_t *keep,
                          km_err_t *e)
{
	km_tsv_t *r;
	int ret;
	memset(pr, 0, sizeof *pr);
	if ((ret = km_tsv_open(&r, fn, e)) < 0) return ret;
	return prof_load_tsv(pr, p, f, r, keep, e);
}

int km_prof_load_tsv(km_prof_t *pr, const km_panel_t *p, km_freqs_t *f, const char *fn, km_err_t *e)
{
	return km_prof_load_tsv_keep(pr, p, f, fn, NULL, e);
}

int km_prof_load_mem(km_prof_t *pr, const km_panel_t *p, km_freqs_t *f, const char *name, const char *buf,
                     size_t len, km_err_t *e)
{
	return km_prof_load_mem_keep(pr, p, f, name, buf, len, NULL, e);
}
