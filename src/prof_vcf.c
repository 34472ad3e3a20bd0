/* prof_vcf.c — DNA profiles from VCF/BCF (htslib).
 *
 * Each record is matched to a panel marker by its ID column (the first of a ';' list
 * that is in the panel); records with another ID are skipped and counted.  The sample
 * columns are the samples.
 * - SNP markers: FORMAT/GT indexes REF/ALT, which must be single bases A/C/G/T.
 * - STR / X-STR / Y-STR markers: FORMAT/REPCN, repeat copy numbers, either Integer with
 *   one or two values (GangSTR) or String "12/14" (ExpansionHunter).  One value (or the
 *   second missing) is a hemizygous call.
 * A missing call ("./.", ".") leaves the sample untyped at that marker.
 *
 * By position (issue 12 part 5): most callers write `.` in the ID column.  With
 * --snp-positions (snppos.c), a record whose ID names no panel marker is matched to the
 * panel SNP at its CHROM/POS (a leading "chr" ignored), provided its REF and every
 * non-symbolic ALT are among that SNP's two alleles (REF/ALT swapped is fine: GT indexes
 * the record's own alleles); a record at a panel position with other alleles is skipped
 * and counted.  Records matching nothing are skipped with a count (a VCF holds more than
 * the panel).  But a VCF in which no record matches a panel marker, or a sample left with
 * no call at any panel marker, is an error: it is the wrong file, or positions are needed.
 *
 * Positions in messages: text VCF has physical lines (header lines + record number),
 * so errors read "FN:LINE:1: ..."; BCF has none, so they read "FN: record N: ...".
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <htslib/bgzf.h>
#include <htslib/tbx.h>   /* hts_get_bgzfp */
#include <htslib/vcf.h>
#include <htslib/khash_str2int.h>
#include "kmpriv.h"

typedef struct {
	const char *fn;
	int is_bcf;
	int n_hdr_line;   /* header lines of a text VCF: record i (1-based) is on line n_hdr_line + i */
	int rec;          /* current record, 1-based */
	const km_panel_t *p;
	km_freqs_t *f;
	km_prof_t *pr;
	int32_t *ibuf;    /* bcf_get_* buffers, grown by htslib */
	int m_ibuf;
	char **sbuf;
	int m_sbuf;
	int *mrec;        /* per marker: record that set it, 0 = none yet */
} pv_ctx_t;

static int pv_line(const pv_ctx_t *x, int rec) { return x->is_bcf ? 0 : x->n_hdr_line + rec; }

/* Error at record rec of the current file. */
static int pv_fail(const pv_ctx_t *x, km_err_t *e, int code, const char *fmt, ...) KM_PRINTF(4, 5);
static int pv_fail(const pv_ctx_t *x, km_err_t *e, int code, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (x->is_bcf) km_err_at(e, x->fn, 0, 0, "record %d: %s", x->rec, msg);
	else km_err_at(e, x->fn, pv_line(x, x->rec), 1, "%s", msg);
	return code;
}

/* Counts the '#' lines at the top of a text VCF (htslib does not report them) and checks
 * the whole text as tsv.c checks every other input (issue 15): no NUL byte (htslib would
 * end a field there), no carriage return but before a newline (CR-only line endings), no
 * gzip stream cut short.  One pass over the decompressed text, read in blocks. */
static int pv_scan_text(const char *fn, int *n, km_err_t *e)
{
	gzFile gz = gzopen(fn, "rb");
	unsigned char *buf;
	int bol = 1, in_hdr = 1, line = 1, col = 0, prev_cr = 0, ret = 0, k, zerr;
	int is_chrom = 0, fld = 0, flen = 0;   /* the #CHROM line: its field and the field's length */
	*n = 0;
	if (gz == NULL) return km_err_set(e, KM_EOPEN, "%s: cannot open: %s", fn, strerror(errno ? errno : ENOMEM));
	if ((buf = malloc(65536)) == NULL) { gzclose(gz); return km_err_set(e, KM_ENOMEM, "out of memory"); }
	while ((k = gzread(gz, buf, 65536)) > 0) {
		for (int i = 0; i < k; ++i) {
			int c = buf[i];
			if (prev_cr && c != '\n') {
				ret = km_err_at(e, fn, line, col, "carriage return inside the line: CR-only line endings are not supported; save the file with \\n or \\r\\n line endings");
				goto out;
			}
			prev_cr = 0;
			if (bol && in_hdr) {
				if (c == '#') ++*n;
				else in_hdr = 0;
			}
			if (bol) is_chrom = in_hdr ? -1 : 0, fld = 0, flen = 0;
			++col;
			if (is_chrom < 0 && col <= 6 && c != "#CHROM"[col - 1]) is_chrom = 0;
			else if (is_chrom < 0 && col == 6) is_chrom = 1;
			/* an empty sample name ("FORMAT<TAB><TAB>R2", a trailing tab) would be a remain
			 * without an id; htslib refuses it with a message of its own, without a place */
			if (is_chrom > 0) {
				if ((c == '\t' || c == '\n' || c == '\r') && fld >= 9 && flen == 0) {
					ret = km_err_at(e, fn, line, col, "sample column %d of the #CHROM line has an empty name (a doubled or trailing tab?)", fld - 8);
					goto out;
				}
				if (c == '\t') ++fld, flen = 0;
				else ++flen;
			}
			if (c == 0) {
				ret = km_err_at(e, fn, line, col, "NUL byte in the line (a binary, UTF-16 or damaged file?)");
				goto out;
			}
			if (c == '\r') prev_cr = 1;
			bol = c == '\n';
			if (bol) ++line, col = 0;
		}
	}
	if (prev_cr) ret = km_err_at(e, fn, line, col, "carriage return inside the line: CR-only line endings are not supported; save the file with \\n or \\r\\n line endings");
	else if (k < 0) ret = km_err_set(e, KM_EIO, "%s: read error: %s", fn, gzerror(gz, &zerr));
	else {
		gzerror(gz, &zerr);   /* zlib reports a gzip stream cut short as Z_BUF_ERROR at the end */
		if (zerr == Z_BUF_ERROR) ret = km_err_set(e, KM_EINPUT, "%s: unexpected end of compressed data after line %d", fn, line - bol);
	}
out:
	free(buf);
	gzclose(gz);
	return ret;
}

/* Stores one call; labels were checked.  k = 0 untyped, 1 hemizygous, 2 diploid. */
static int pv_store(pv_ctx_t *x, int s, int m, int k, const char *l0, const char *l1, km_err_t *e)
{
	int32_t a0, a1;
	if (k == 0) return 0;
	if ((a0 = km_freqs_allele(x->f, x->p, m, l0, 1)) < 0) return km_err_set(e, KM_ENOMEM, "out of memory");
	if (k == 1) a1 = KM_HEMI;
	else if ((a1 = km_freqs_allele(x->f, x->p, m, l1, 1)) < 0) return km_err_set(e, KM_ENOMEM, "out of memory");
	km_prof_set_gt(x->pr, s, m, a0, a1);
	return 0;
}

/* Sample s's GT of this record as allele strings of REF/ALT: *k = 0 (untyped: any
 * allele missing), 1 or 2 into lab; more than two is an error naming the marker. */
static int pv_gt(pv_ctx_t *x, bcf_hdr_t *h, bcf1_t *rec, int s, int per, const char *what, const char *name,
                 const char **lab, int *kp, km_err_t *e)
{
	const int32_t *g = x->ibuf + (size_t)s * per;
	int k, j;
	*kp = 0;
	for (k = 0; k < per && g[k] != bcf_int32_vector_end; ++k) {}
	for (j = 0; j < k; ++j)
		if (bcf_gt_is_missing(g[j])) return 0;
	if (k > 2) return pv_fail(x, e, KM_EINPUT, "sample '%s' has %d alleles at %s marker '%s'", h->samples[s], k, what, name);
	for (j = 0; j < k; ++j) {
		int ai = bcf_gt_allele(g[j]);
		if (ai < 0 || ai >= rec->n_allele)
			return pv_fail(x, e, KM_EINPUT, "sample '%s': GT allele index %d out of range", h->samples[s], ai);
		lab[j] = rec->d.allele[ai];
	}
	*kp = k;
	return 0;
}

static int pv_snp(pv_ctx_t *x, bcf_hdr_t *h, bcf1_t *rec, int m, km_err_t *e)
{
	const char *name = x->p->marker[m].name;
	int ns = bcf_hdr_nsamples(h), n, per, s;
	n = bcf_get_genotypes(h, rec, &x->ibuf, &x->m_ibuf);
	if (n == -3 || ns == 0) return 0; /* no GT in this record: nobody typed */
	if (n < 0) return pv_fail(x, e, KM_EINPUT, "cannot read FORMAT/GT for SNP marker '%s'", name);
	per = n / ns;
	for (s = 0; s < ns; ++s) {
		const char *lab[2] = { NULL, NULL };
		int k, j, ret;
		if ((ret = pv_gt(x, h, rec, s, per, "SNP", name, lab, &k, e)) < 0) return ret;
		if (k == 0) continue; /* any missing allele: untyped */
		if (k == 1)
			return pv_fail(x, e, KM_EINPUT, "sample '%s': marker '%s' is autosomal: a diploid genotype is required",
			                h->samples[s], name);
		for (j = 0; j < k; ++j)
			if (!km_allele_ok(KM_SYS_SNP, lab[j]))
				return pv_fail(x, e, KM_EINPUT, "sample '%s': SNP allele '%s' is not A, C, G or T", h->samples[s], lab[j]);
		if ((ret = pv_store(x, s, m, k, lab[0], lab[1], e)) < 0) return ret;
	}
	return 0;
}

/* Amelogenin (issue 12 part 4; issue 15): a record whose ID is the panel's AMEL marker,
 * alleles X and Y (plain, or symbolic <X> <Y>) in REF/ALT, calls in FORMAT/GT: 0/0 = X X,
 * 0/1 = X Y; a haploid GT is a one-allele call, as a TSV row with an empty allele2.  Each
 * call is recorded for amel.c's messages (line, the sample's column). */
static int pv_amel(pv_ctx_t *x, bcf_hdr_t *h, bcf1_t *rec, int m, km_err_t *e)
{
	const char *name = x->p->marker[m].name;
	int ns = bcf_hdr_nsamples(h), n, per, s;
	n = bcf_get_genotypes(h, rec, &x->ibuf, &x->m_ibuf);
	if (n == -3 || ns == 0) return 0; /* no GT in this record: nobody typed */
	if (n < 0) return pv_fail(x, e, KM_EINPUT, "cannot read FORMAT/GT for amelogenin marker '%s'", name);
	per = n / ns;
	for (s = 0; s < ns; ++s) {
		const char *raw[2] = { NULL, NULL };
		char lab[2][8];
		int k, j, ret;
		if ((ret = pv_gt(x, h, rec, s, per, "amelogenin", name, raw, &k, e)) < 0) return ret;
		if (k == 0) continue; /* any missing allele: untyped */
		for (j = 0; j < k; ++j) {
			const char *a = raw[j];
			size_t la = strlen(a);
			if (la >= 3 && a[0] == '<' && a[la - 1] == '>') ++a, la -= 2;   /* symbolic <X> */
			if (la >= sizeof lab[j]) la = sizeof lab[j] - 1;
			memcpy(lab[j], a, la), lab[j][la] = 0;
			if (!km_allele_ok(KM_TYPE_AMEL, lab[j]))
				return pv_fail(x, e, KM_EINPUT, "sample '%s': amelogenin allele '%s' is not X or Y", h->samples[s], raw[j]);
		}
		if ((ret = pv_store(x, s, m, k, lab[0], lab[1], e)) < 0) return ret;
		if (km_prof_add_amel(x->pr, s, m, pv_line(x, x->rec), x->is_bcf ? 0 : 10 + s) < 0) return km_err_set(e, KM_ENOMEM, "out of memory");
	}
	return 0;
}

/* Splits a String REPCN ("12/14", "12,14", "12", ".") into at most two labels in place.
 * Returns the number of values, 0 if missing, -1 if more than two. */
static int pv_repcn_split(char *s, char **lab)
{
	int k = 0;
	char *t = s;
	if (s == NULL) return 0;
	for (;;) {
		char *q = t + strcspn(t, "/|,");
		int last = *q == 0;
		*q = 0;
		if (*t == 0 || strcmp(t, ".") == 0) { /* a missing value ends the call */
			if (k == 0) return 0;
			break;
		}
		if (k == 2) return -1;
		lab[k++] = t;
		if (last) break;
		t = q + 1;
	}
	return k;
}

static int pv_str(pv_ctx_t *x, bcf_hdr_t *h, bcf1_t *rec, int m, km_err_t *e)
{
	const char *name = x->p->marker[m].name;
	int type = x->p->marker[m].type, ns = bcf_hdr_nsamples(h), id, is_str, n, per = 0, s;
	id = bcf_hdr_id2int(h, BCF_DT_ID, "REPCN");
	if (id < 0 || !bcf_hdr_idinfo_exists(h, BCF_HL_FMT, id))
		return pv_fail(x, e, KM_EINPUT, "STR marker '%s' needs FORMAT/REPCN, which the header does not define", name);
	is_str = bcf_hdr_id2type(h, BCF_HL_FMT, id) == BCF_HT_STR;
	if (is_str) n = bcf_get_format_string(h, rec, "REPCN", &x->sbuf, &x->m_sbuf);
	else n = bcf_get_format_int32(h, rec, "REPCN", &x->ibuf, &x->m_ibuf);
	if (ns == 0) return 0;
	/* the header defines REPCN but this record lacks it: every sample's call at this
	 * marker would silently vanish (issue 15), so it is an error naming the record */
	if (n == -3)
		return pv_fail(x, e, KM_EINPUT, "record for STR marker '%s' has no FORMAT/REPCN (the header defines it): give REPCN for every STR record ('.' for no call)", name);
	if (n < 0) return pv_fail(x, e, KM_EINPUT, "cannot read FORMAT/REPCN for STR marker '%s'", name);
	if (!is_str) per = n / ns;
	for (s = 0; s < ns; ++s) {
		char num[2][16], *lab[2] = { NULL, NULL };
		int k = 0, j, ret;
		if (is_str) {
			if ((k = pv_repcn_split(x->sbuf[s], lab)) < 0)
				return pv_fail(x, e, KM_EINPUT, "sample '%s': more than two repeat copy numbers at marker '%s'",
				                h->samples[s], name);
		} else {
			const int32_t *v = x->ibuf + (size_t)s * per;
			for (j = 0; j < per && j < 3; ++j) {
				if (v[j] == bcf_int32_vector_end || v[j] == bcf_int32_missing) break;
				if (j == 2)
					return pv_fail(x, e, KM_EINPUT, "sample '%s': more than two repeat copy numbers at marker '%s'",
					                h->samples[s], name);
				snprintf(num[j], sizeof num[j], "%d", (int)v[j]);
				lab[k++] = num[j];
			}
		}
		for (j = 0; j < k; ++j)
			if (!km_allele_ok(type, lab[j]))
				return pv_fail(x, e, KM_EINPUT, "sample '%s': STR allele '%s' is not a repeat number", h->samples[s], lab[j]);
		if (k == 1 && type == KM_SYS_STR)
			return pv_fail(x, e, KM_EINPUT, "sample '%s': marker '%s' is autosomal: two repeat copy numbers are required",
			                h->samples[s], name);
		if ((ret = pv_store(x, s, m, k, lab[0], lab[1], e)) < 0) return ret;
	}
	return 0;
}

/* Panel marker named by the record's ID column (first match in a ';' list), or -1. */
static int pv_marker(const km_panel_t *p, const char *id, kstring_t *tmp)
{
	const char *t = id;
	if (id == NULL || strcmp(id, ".") == 0) return -1;
	for (;;) {
		const char *q = strchr(t, ';');
		size_t n = q ? (size_t)(q - t) : strlen(t);
		int m;
		tmp->l = 0;
		if (kputsn(t, n, tmp) < 0) return -1;
		if ((m = km_panel_find(p, tmp->s)) >= 0) return m;
		if (q == NULL) return -1;
		t = q + 1;
	}
}

/* Panel SNP at the record's position whose alleles the record's are (see the head), or
 * -1 (*bad_al = 1 if a panel SNP is there but with other alleles). */
static int pv_bypos(const km_panel_t *p, const bcf_hdr_t *h, bcf1_t *rec, int *bad_al)
{
	char key[256];
	int m, i;
	*bad_al = 0;
	if (p->pos_hash == NULL) return -1;
	km_snppos_key(key, sizeof key, bcf_seqname(h, rec), (long)rec->pos + 1);
	if (khash_str2int_get(p->pos_hash, key, &m) < 0) return -1;
	for (i = 0; i < rec->n_allele; ++i) {
		const char *a = rec->d.allele[i];
		if (i > 0 && (a[0] == '<' || strcmp(a, "*") == 0 || strcmp(a, ".") == 0)) continue;   /* <NON_REF>, <*> */
		if (a[0] == 0 || a[1] != 0 || ((a[0] & ~32) != p->pos_al[m][0] && (a[0] & ~32) != p->pos_al[m][1])) {
			*bad_al = 1;
			return -1;
		}
	}
	return m;
}

/* After the records: a sample with no call at any panel marker is an error. */
static int pv_check_samples(const pv_ctx_t *x, const bcf_hdr_t *h, km_err_t *e)
{
	for (int s = 0; s < bcf_hdr_nsamples(h); ++s) {
		int m, n = x->p->n_marker;
		for (m = 0; m < n && km_prof_gt(x->pr, s, m)[0] == KM_NOALLELE; ++m) {}
		if (m == n) {
			if (x->is_bcf) return km_err_at(e, x->fn, 0, 0, "sample '%s' has no call at any panel marker", h->samples[s]);
			return km_err_at(e, x->fn, x->n_hdr_line, 1,
			                 "sample '%s' has no call at any panel marker (every record was skipped or missing)",
			                 h->samples[s]);
		}
	}
	return 0;
}

static int pv_read(pv_ctx_t *x, htsFile *fp, km_err_t *e)
{
	bcf_hdr_t *h = NULL;
	bcf1_t *rec = NULL;
	kstring_t tmp = { 0, 0, NULL };
	int ret = 0, s, n_skip = 0, n_bad_al = 0, n_pos = 0, n_match = 0;
	if ((h = bcf_hdr_read(fp)) == NULL) {
		ret = km_err_set(e, KM_EINPUT, "%s: cannot read the VCF header", x->fn);
		goto out;
	}
	for (s = 0; s < bcf_hdr_nsamples(h); ++s) {
		if (km_prof_add_sample(x->pr, h->samples[s], x->is_bcf ? 0 : x->n_hdr_line) != s) {
			ret = km_err_set(e, KM_ENOMEM, "out of memory"); /* htslib refuses duplicate sample names */
			goto out;
		}
	}
	if ((rec = bcf_init()) == NULL || (x->mrec = calloc(x->p->n_marker + 1, sizeof *x->mrec)) == NULL) {
		ret = km_err_set(e, KM_ENOMEM, "out of memory");
		goto out;
	}
	for (x->rec = 1;; ++x->rec) {
		int m, r = bcf_read(fp, h, rec);
		if (r == -1) break;
		if (r < -1) {
			ret = pv_fail(x, e, KM_EINPUT, "cannot parse the record");
			goto out;
		}
		if (bcf_unpack(rec, BCF_UN_ALL) < 0) {
			ret = pv_fail(x, e, KM_EINPUT, "cannot parse the record");
			goto out;
		}
		if ((m = pv_marker(x->p, rec->d.id, &tmp)) < 0) {
			int bad_al;
			if ((m = pv_bypos(x->p, h, rec, &bad_al)) < 0) {
				n_skip += !bad_al, n_bad_al += bad_al;
				continue;
			}
			++n_pos;
		}
		++n_match;
		if (x->mrec[m]) {
			if (x->is_bcf)
				ret = pv_fail(x, e, KM_EINPUT, "duplicate record for marker '%s' (first at record %d)",
				               x->p->marker[m].name, x->mrec[m]);
			else
				ret = pv_fail(x, e, KM_EINPUT, "duplicate record for marker '%s' (first on line %d)",
				               x->p->marker[m].name, pv_line(x, x->mrec[m]));
			goto out;
		}
		x->mrec[m] = x->rec;
		if (x->p->marker[m].type == KM_TYPE_AMEL) ret = pv_amel(x, h, rec, m, e);
		else if (x->p->marker[m].type == KM_SYS_SNP) ret = pv_snp(x, h, rec, m, e);
		else ret = pv_str(x, h, rec, m, e);
		if (ret < 0) goto out;
	}
	if (n_match == 0) {
		ret = km_err_at(e, x->fn, x->is_bcf ? 0 : x->n_hdr_line, x->is_bcf ? 0 : 1,
		                "no record matches a panel marker (%d record%s; by ID%s)", x->rec - 1, x->rec - 1 == 1 ? "" : "s",
		                x->p->pos_hash ? " or by --snp-positions" : "; records with ID '.' need --snp-positions");
		goto out;
	}
	if (n_skip > 0)
		km_warn("%s: skipped %d record%s whose ID is not a panel marker%s", x->fn, n_skip, n_skip > 1 ? "s" : "",
		        x->p->pos_hash ? " and whose position is not a panel SNP's" : "");
	if (n_bad_al > 0)
		km_warn("%s: skipped %d record%s at a panel SNP's position but with other alleles", x->fn, n_bad_al,
		        n_bad_al > 1 ? "s" : "");
	if (n_pos > 0 && km_verbose >= 2) km_warn("%s: %d SNP record%s matched by position", x->fn, n_pos, n_pos > 1 ? "s" : "");
	if ((ret = pv_check_samples(x, h, e)) < 0) goto out;
out:
	free(tmp.s);
	if (rec) bcf_destroy(rec);
	if (h) bcf_hdr_destroy(h);
	return ret;
}

int km_prof_load_vcf(km_prof_t *pr, const km_panel_t *p, km_freqs_t *f, const char *fn, km_err_t *e)
{
	pv_ctx_t x;
	htsFile *fp = NULL;
	int ret;
	memset(&x, 0, sizeof x);
	x.fn = fn, x.p = p, x.f = f, x.pr = pr;
	if ((ret = km_prof_init(pr, p, fn)) < 0) return km_err_set(e, ret, "out of memory");
	{ /* open once ourselves: htslib would also log its own message for a missing file */
		FILE *t = fopen(fn, "rb");
		if (t == NULL) {
			ret = km_err_set(e, KM_EOPEN, "%s: cannot open: %s", fn, strerror(errno));
			goto out;
		}
		fclose(t);
	}
	/* a BGZF file: every block header one that htslib and gunzip read alike (tsv.c) */
	if ((ret = km_bgzf_walk(fn, e)) < 0) goto out;
	errno = 0;
	if ((fp = hts_open(fn, "r")) == NULL) {
		ret = km_err_set(e, KM_EOPEN, "%s: cannot open: %s", fn, strerror(errno ? errno : EINVAL));
		goto out;
	}
	switch (hts_get_format(fp)->format) {
	case vcf: x.is_bcf = 0; break;
	case bcf: x.is_bcf = 1; break;
	default: ret = km_err_set(e, KM_EINPUT, "%s: not a VCF or BCF file", fn); goto out;
	}
	/* a BGZF file (bgzip, BCF) ends with an empty block: without it the file was cut short,
	 * and htslib would only warn (issue 15; tsv.c refuses the same) */
	if (hts_get_format(fp)->compression == bgzf && hts_get_bgzfp(fp) && bgzf_check_EOF(hts_get_bgzfp(fp)) == 0) {
		ret = km_err_set(e, KM_EINPUT, "%s: unexpected end of compressed data (no BGZF end-of-file block: the file is truncated)", fn);
		goto out;
	}
	if (!x.is_bcf && (ret = pv_scan_text(fn, &x.n_hdr_line, e)) < 0) goto out;
	ret = pv_read(&x, fp, e);
out:
	if (fp) hts_close(fp);
	free(x.ibuf);
	if (x.sbuf) free(x.sbuf[0]);
	free(x.sbuf);
	free(x.mrec);
	if (ret < 0) km_prof_destroy(pr);
	return ret < 0 ? ret : 0;
}
