/* ydb.c — the Y-STR haplotype database (--y-db).
 *
 * One haplotype a row: the first column names it (any header but a marker's), then one
 * column per Y-STR marker of the panel.  A cell holds a repeat number ("14", "11.2"),
 * or for a multi-copy locus (DYS385a/b) the copies comma-separated in any order
 * ("14,11"); they are stored sorted.  "", "NA" and "." are untyped.  A cell with more than two copies
 * (locus duplications, e.g. the 13 triplicated DYS385 rows of Purps et al. 2014) is
 * typed but can equal no profile, which holds at most two copies: it is stored as -1,-1.
 *
 * Other columns:
 * - a column whose header is a panel marker of another type (STR, X-STR, SNP) is an
 *   error: the file is not a Y-STR table or the panel is wrong;
 * - `count` or `n` (any case): how many haplotypes the row stands for, a whole number
 *   >= 1 (tables of distinct haplotypes with counts); default 1;
 * - metadata columns (population, pop, continent, ethnos, ethnicity, subpopulation,
 *   country, region, id, sample, name, haplotype; any case) are ignored silently;
 * - any other header is not a panel marker.  CONTRACT.md ("unknown extra columns are
 *   ignored") wins here over rejecting it: real databases carry loci a kit lacks, and
 *   derived columns (Purps 2014's DYS389II.I = DYS389II - DYS389I).  Such columns are
 *   ignored with one warning naming them, so a misspelt marker does not pass unnoticed.
 *
 * Names need not be unique (Purps 2014 repeats 762 IDs for distinct men); they are kept
 * for messages only.  Layout: v[(h * n_col + j) * 2 + k] (see lineage.h); rows in file
 * order.
 *
 * Copyright (C) 2026 the kinmatch authors.  GPL-3.0-or-later.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <htslib/kstring.h>
#include "kmpriv.h"
#include "lineage.h"

void km_ydb_destroy(km_ydb_t *db)
{
	int i;
	if (db == NULL) return;
	for (i = 0; i < db->n_hap && db->name; ++i) free(db->name[i]);
	free(db->name);
	free(db->marker);
	free(db->v);
	free(db->count);
	free(db->fn);
	memset(db, 0, sizeof *db);
}

static int ydb_is_meta(const char *s)
{
	static const char *const meta[] = { "population", "pop", "continent", "ethnos", "ethnicity", "subpopulation",
	                                    "country", "region", "id", "sample", "name", "haplotype" };
	size_t i;
	for (i = 0; i < sizeof meta / sizeof meta[0]; ++i)
		if (strcasecmp(s, meta[i]) == 0) return 1;
	return 0;
}

static int cell_empty(const char *s)
{
	return s[0] == 0 || strcmp(s, ".") == 0 || strcasecmp(s, "NA") == 0;
}

/* Parses one cell into v[0..1].  0 or the error code. */
static int ydb_cell(km_tsv_t *r, int c, double *v, km_err_t *e)
{
	const char *s = km_tsv_field(r, c), *p;
	int n = 0;
	v[0] = v[1] = (double)NAN;
	if (cell_empty(s)) return 0;
	for (p = s;; ++n) {
		const char *q = strchr(p, ',');
		size_t len = q ? (size_t)(q - p) : strlen(p);
		char tok[64];
		double x;
		if (len == 0 || len >= sizeof tok) return km_tsv_fail(r, c, e, "repeat number list '%s' is malformed", s);
		memcpy(tok, p, len);
		tok[len] = 0;
		if (km_parse_double(tok, &x) < 0 || !(x >= 0.0))
			return km_tsv_fail(r, c, e, "repeat number '%s' is not a number >= 0", tok);
		if (n < 2) v[n] = x;
		if (q == NULL) break;
		p = q + 1;
	}
	if (n >= 2) v[0] = v[1] = -1.0; /* three or more copies */
	else if (n == 1 && v[1] < v[0]) {
		double t = v[0];
		v[0] = v[1], v[1] = t;
	}
	return 0;
}

static int ydb_read(km_ydb_t *db, const km_panel_t *p, km_tsv_t *r, km_err_t *e)
{
	int ret, i, nc, c_count = -1, m_hap = 0, *col = NULL, n_unk = 0;
	kstring_t unk = { 0, 0, NULL };
	if ((ret = km_tsv_header(r, e)) < 0) return ret;
	nc = km_tsv_ncol(r);
	if ((db->marker = malloc(nc * sizeof *db->marker)) == NULL || (col = malloc(nc * sizeof *col)) == NULL) {
		ret = km_err_set(e, KM_ENOMEM, "out of memory");
		goto end;
	}
	if (km_panel_find(p, km_tsv_colname(r, 0)) >= 0) {
		ret = km_tsv_fail(r, 0, e, "the first column names the haplotype; '%s' is a marker", km_tsv_colname(r, 0));
		goto end;
	}
	for (i = 1; i < nc; ++i) {
		const char *h = km_tsv_colname(r, i);
		int m;
		if (h[0] == 0) continue;
		if ((m = km_panel_find(p, h)) >= 0) {
			if (p->marker[m].type != KM_SYS_Y) {
				ret = km_tsv_fail(r, i, e, "marker '%s' is not a Y-STR in the panel (line %d)", h, p->marker[m].line);
				goto end;
			}
			col[db->n_col] = i;
			db->marker[db->n_col++] = m;
		} else if (strcasecmp(h, "count") == 0 || strcasecmp(h, "n") == 0) {
			if (c_count >= 0) {
				ret = km_tsv_fail(r, i, e, "second count column (first '%s')", km_tsv_colname(r, c_count));
				goto end;
			}
			c_count = i;
		} else if (!ydb_is_meta(h)) {
			if (n_unk++ < 5) ksprintf(&unk, "%s'%s'", n_unk > 1 ? ", " : "", h);
		}
	}
	if (n_unk > 0)
		km_warn("%s: %d column%s not in the panel, ignored: %s%s", km_tsv_name(r), n_unk, n_unk > 1 ? "s" : "",
		        unk.s, n_unk > 5 ? ", ..." : "");
	while ((ret = km_tsv_next(r, e)) > 0) {
		const char *name = km_tsv_field(r, 0);
		int h = db->n_hap, j;
		if (name[0] == 0) {
			ret = km_tsv_fail(r, 0, e, "haplotype name is empty");
			goto end;
		}
		if (h == m_hap) {
			int m = m_hap ? m_hap * 2 : 64;
			char **nn = realloc(db->name, m * sizeof *nn);
			int *cn;
			double *nv;
			if (nn == NULL) goto oom;
			db->name = nn;
			if ((cn = realloc(db->count, m * sizeof *cn)) == NULL) goto oom;
			db->count = cn;
			if ((nv = realloc(db->v, ((size_t)m * db->n_col * 2 + 1) * sizeof *nv)) == NULL) goto oom;
			db->v = nv;
			m_hap = m;
		}
		db->count[h] = 1;
		if (c_count >= 0) {
			const char *s = km_tsv_field(r, c_count);
			long n;
			if (km_parse_int(s, &n) < 0 || n < 1 || n > 1000000000L) {
				ret = km_tsv_fail(r, c_count, e, "count '%s' is not a whole number >= 1", s);
				goto end;
			}
			db->count[h] = (int)n;
		}
		for (j = 0; j < db->n_col; ++j)
			if ((ret = ydb_cell(r, col[j], db->v + ((size_t)h * db->n_col + j) * 2, e)) < 0) goto end;
		if ((db->name[h] = strdup(name)) == NULL) goto oom;
		db->n_hap = h + 1; /* owned from here on */
	}
	goto end;
oom:
	ret = km_err_set(e, KM_ENOMEM, "out of memory");
end:
	free(col);
	free(unk.s);
	return ret;
}

static int ydb_load(km_ydb_t *db, const km_panel_t *p, km_tsv_t *r, km_err_t *e)
{
	int ret;
	if ((db->fn = strdup(km_tsv_name(r))) == NULL) ret = km_err_set(e, KM_ENOMEM, "out of memory");
	else ret = ydb_read(db, p, r, e);
	km_tsv_close(r);
	if (ret < 0) km_ydb_destroy(db);
	return ret < 0 ? ret : 0;
}

int km_ydb_load(km_ydb_t *db, const km_panel_t *p, const char *fn, km_err_t *e)
{
	km_tsv_t *r;
	int ret;
	memset(db, 0, sizeof *db);
	if ((ret = km_tsv_open(&r, fn, e)) < 0) return ret;
	return ydb_load(db, p, r, e);
}

int km_ydb_load_mem(km_ydb_t *db, const km_panel_t *p, const char *name, const char *buf, size_t len, km_err_t *e)
{
	km_tsv_t *r;
	int ret;
	memset(db, 0, sizeof *db);
	if ((ret = km_tsv_open_mem(&r, name, buf, len, e)) < 0) return ret;
	return ydb_load(db, p, r, e);
}
