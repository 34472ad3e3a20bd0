/* snppos.c — SNP positions (--snp-positions), so that VCF records whose ID is `.` (as
 * most variant callers write them) are matched to the panel by position (issue 12 part 5).
 *
 * Columns (any order, extra columns ignored): `rsid` or `marker` (a panel SNP; rows of
 * other markers are skipped, since a position table may list more SNPs than the panel),
 * `chrom`, `pos` / `position` / `pos_grch38` (1-based, as in VCF), `ref`, `alt` (single
 * bases, forward strand).  reference/snp_positions.tsv (GRCh38, FORCE table S1) is such a
 * table.  Errors: a row naming a panel marker that is not a SNP, a marker or a position
 * given twice, a position that is not a whole number >= 1, REF/ALT that are not one of
 * A C G T or are equal.  The build (GRCh37/38) must be that of the VCF; nothing checks it
 * beyond the alleles (prof_vcf.c skips a record at a panel position whose alleles differ).
 *
 * Result: p->pos_hash maps "CHROM:POS" (CHROM without a leading "chr") to the marker;
 * p->pos_al[m] holds its REF and ALT.
 *
 * Copyright (C) 2026 the kinmatch authors.  GPL-3.0-or-later.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <htslib/khash_str2int.h>
#include "kmpriv.h"

void km_snppos_key(char *buf, size_t n, const char *chrom, long pos)
{
	if (strncasecmp(chrom, "chr", 3) == 0) chrom += 3;
	snprintf(buf, n, "%s:%ld", chrom, pos);
}

static int base_ok(const char *s)
{
	return s[0] && !s[1] && strchr("ACGTacgt", s[0]) != NULL;
}

static int snppos_read(km_panel_t *p, km_tsv_t *r, km_err_t *e)
{
	int ret, cm, cc, cp = -1, cr, ca, *mline = NULL;
	static const char *const pos_names[] = { "pos", "position", "pos_grch38" };
	char key[256];
	void *h = NULL;
	char (*al)[2] = NULL;
	if ((ret = km_tsv_header(r, e)) < 0) return ret;
	if ((cm = km_tsv_col(r, "rsid")) < 0 && (ret = km_tsv_need(r, "marker", &cm, e)) < 0) return ret;
	for (size_t i = 0; i < sizeof pos_names / sizeof pos_names[0] && cp < 0; ++i) cp = km_tsv_col(r, pos_names[i]);
	if (cp < 0 && (ret = km_tsv_need(r, "pos", &cp, e)) < 0) return ret;
	if ((ret = km_tsv_need(r, "chrom", &cc, e)) < 0 || (ret = km_tsv_need(r, "ref", &cr, e)) < 0 ||
	    (ret = km_tsv_need(r, "alt", &ca, e)) < 0)
		return ret;
	if ((h = khash_str2int_init()) == NULL || (al = calloc((size_t)p->n_marker + 1, sizeof *al)) == NULL ||
	    (mline = calloc((size_t)p->n_marker + 1, sizeof *mline)) == NULL)
		goto oom;
	while ((ret = km_tsv_next(r, e)) > 0) {
		const char *name = km_tsv_field(r, cm), *ps = km_tsv_field(r, cp);
		const char *ref = km_tsv_field(r, cr), *alt = km_tsv_field(r, ca);
		int m = km_panel_find(p, name), prev;
		long pos;
		if (m < 0) continue;
		if (p->marker[m].type != KM_SYS_SNP) {
			ret = km_tsv_fail(r, cm, e, "marker '%s' is not a SNP in the panel (line %d)", name, p->marker[m].line);
			goto end;
		}
		if (mline[m]) { ret = km_tsv_fail(r, cm, e, "second position for marker '%s' (first on line %d)", name, mline[m]); goto end; }
		if (km_parse_int(ps, &pos) < 0 || pos < 1) { ret = km_tsv_fail(r, cp, e, "position '%s' is not a whole number >= 1", ps); goto end; }
		if (!base_ok(ref)) { ret = km_tsv_fail(r, cr, e, "REF '%s' is not A, C, G or T", ref); goto end; }
		if (!base_ok(alt)) { ret = km_tsv_fail(r, ca, e, "ALT '%s' is not A, C, G or T", alt); goto end; }
		if ((ref[0] | 32) == (alt[0] | 32)) { ret = km_tsv_fail(r, ca, e, "ALT '%s' equals REF", alt); goto end; }
		km_snppos_key(key, sizeof key, km_tsv_field(r, cc), pos);
		if (khash_str2int_get(h, key, &prev) == 0) {
			ret = km_tsv_fail(r, cp, e, "position %s is also that of marker '%s'", key, p->marker[prev].name);
			goto end;
		}
		char *k = strdup(key);
		if (k == NULL || khash_str2int_set(h, k, m) < 0) { free(k); goto oom; }
		mline[m] = km_tsv_line(r);
		al[m][0] = (char)(ref[0] & ~32), al[m][1] = (char)(alt[0] & ~32);   /* upper case */
	}
	if (ret < 0) goto end;
	p->pos_hash = h, p->pos_al = al;
	h = NULL, al = NULL;
	ret = 0;
	goto end;
oom:
	ret = km_err_set(e, KM_ENOMEM, "out of memory");
end:
	if (h) khash_str2int_destroy_free(h);
	free(al);
	free(mline);
	return ret;
}

static int snppos_load(km_panel_t *p, km_tsv_t *r, km_err_t *e)
{
	int ret;
	if (p->pos_hash) khash_str2int_destroy_free(p->pos_hash);
	free(p->pos_al);
	p->pos_hash = NULL, p->pos_al = NULL;
	ret = snppos_read(p, r, e);
	km_tsv_close(r);
	return ret < 0 ? ret : 0;
}

int km_snppos_load(km_panel_t *p, const char *fn, km_err_t *e)
{
	km_tsv_t *r;
	int ret;
	if ((ret = km_tsv_open(&r, fn, e)) < 0) return ret;
	return snppos_load(p, r, e);
}

int km_snppos_load_mem(km_panel_t *p, const char *name, const char *buf, size_t len, km_err_t *e)
{
	km_tsv_t *r;
	int ret;
	if ((ret = km_tsv_open_mem(&r, name, buf, len, e)) < 0) return ret;
	return snppos_load(p, r, e);
}
