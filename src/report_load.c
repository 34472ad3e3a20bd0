/* report_load.c — reads a run directory for the report (issue 13).
 *
 * matches.tsv is required; explain.tsv, families.tsv (both from `match --explain-top`),
 * identifications.tsv (`match --dvi`), inconsistent.tsv and manifest.json are used where
 * present.  The pedigrees come from DIR/families.tsv, which match writes next to
 * explain.tsv: the report then needs nothing outside the run directory, however long
 * after the run and wherever the inputs went (README, "The report").
 * Files are read whole and split in place; columns are found by name, so columns added
 * later (tie, inconsistent) do not disturb it.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <htslib/khash_str2int.h>
#include "kmpriv.h"
#include "report.h"

const char *const rp_conc_name[RP_N_CONC] = {
	"confirmed", "undisputed", "joint", "inconclusive", "no match",
	"strong candidate", "weak candidate", "no candidate"
};
const char *const rp_conc_help[RP_N_CONC] = {
	"an analyst's confirmed review of this match (kinmatch review)",
	"LR at least the --dvi-threshold and that many times every rival's, in its row and column",
	"the best joint assignment gives the remain to this missing person with posterior at least --dvi-min-posterior",
	"a candidate, but neither undisputed nor joint with enough posterior",
	"no candidate left, or the remain is most probably none of the missing",
	"best log10 LR at least 4 (LR 10,000); no identification stage was run",
	"best log10 LR above 0 but below 4; no identification stage was run",
	"no candidate with log10 LR above 0 (or none compared on enough loci)"
};

static int read_all(const char *fn, char **buf, size_t *len, km_err_t *e)
{
	FILE *fp = fopen(fn, "rb");
	*buf = NULL, *len = 0;
	if (!fp) return errno == ENOENT ? 1 : km_err_set(e, KM_EOPEN, "%s: cannot open: %s", fn, strerror(errno));
	size_t m = 1 << 16, n = 0;
	char *b = malloc(m + 1);
	while (b) {
		size_t k = fread(b + n, 1, m - n, fp);
		n += k;
		if (n < m) break;
		char *t = realloc(b, 2 * m + 1);
		if (!t) { free(b); b = NULL; break; }
		b = t, m *= 2;
	}
	int err = ferror(fp);
	fclose(fp);
	if (!b) return km_err_set(e, KM_ENOMEM, "out of memory");
	if (err) { free(b); return km_err_set(e, KM_EIO, "%s: read error", fn); }
	b[n] = 0;
	*buf = b, *len = n;
	return 0;
}

void rp_table_destroy(rp_table_t *t)
{
	free(t->buf); free(t->hdr); free(t->cell); free(t->line); free(t->fn);
	memset(t, 0, sizeof *t);
}

int rp_table_load(rp_table_t *t, const char *fn, int required, km_err_t *e)
{
	size_t len;
	memset(t, 0, sizeof *t);
	int ret = read_all(fn, &t->buf, &len, e);
	if (ret < 0) return ret;
	if (ret == 1) return required ? km_err_set(e, KM_EOPEN, "%s: no such file (is this a kinmatch match --out directory?)", fn) : 0;
	if (!(t->fn = strdup(fn))) goto oom;
	/* lines: split at \n (a \r before it dropped), '#' lines skipped, first is the header */
	size_t m_row = 1024, n_cell = 0, m_cell = 0;
	char *p = t->buf, *end = t->buf + len;
	int lineno = 0, hdr = 0;
	if (!(t->line = malloc(sizeof(int) * m_row))) goto oom;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *q = nl ? nl : end;
		++lineno;
		if (q > p && q[-1] == '\r') q[-1] = 0;
		*q = 0;
		char *ln = p;
		p = nl ? nl + 1 : end;
		if (*ln == '#' || *ln == 0) continue;
		int nf = 1;
		for (char *c = ln; *c; ++c) nf += *c == '\t';
		if (!hdr) {
			t->ncol = nf;
			if (!(t->hdr = malloc(sizeof(char *) * (size_t)nf))) goto oom;
			int i = 0;
			for (char *c = ln;; ++i) {
				char *tab = strchr(c, '\t');
				t->hdr[i] = c;
				if (!tab) break;
				*tab = 0, c = tab + 1;
			}
			hdr = 1;
			continue;
		}
		if (nf < t->ncol) return km_err_at(e, fn, lineno, 1, "%d fields, the header has %d", nf, t->ncol);
		if (n_cell + (size_t)t->ncol > m_cell) {
			m_cell = (n_cell + (size_t)t->ncol) * 2;
			char **c2 = realloc(t->cell, sizeof(char *) * m_cell);
			if (!c2) goto oom;
			t->cell = c2;
		}
		if (t->nrow == m_row) {
			m_row *= 2;
			int *l2 = realloc(t->line, sizeof(int) * m_row);
			if (!l2) goto oom;
			t->line = l2;
		}
		char *c = ln;
		for (int i = 0; i < t->ncol; ++i) {
			char *tab = strchr(c, '\t');
			t->cell[n_cell++] = c;
			if (tab) *tab = 0, c = tab + 1;
			else c = c + strlen(c);
		}
		t->line[t->nrow++] = lineno;
	}
	if (!hdr) return km_err_at(e, fn, 1, 1, "empty file (no header)");
	return 0;
oom:
	return km_err_set(e, KM_ENOMEM, "out of memory");
}

int rp_table_col(const rp_table_t *t, const char *name)
{
	for (int i = 0; i < t->ncol; ++i) if (strcmp(t->hdr[i], name) == 0) return i;
	return -1;
}

static int need_cols(const rp_table_t *t, const char *const *names, int n, int n_req, int *col, km_err_t *e)
{
	for (int i = 0; i < n; ++i) {
		col[i] = rp_table_col(t, names[i]);
		if (col[i] < 0 && i < n_req) return km_err_at(e, t->fn, 1, 1, "no column '%s'", names[i]);
	}
	return 0;
}

static const char *const m_cols[] = { "remain", "family", "missing", "rank", "log10_lr", "log10_lr_str", "log10_lr_snp",
	"log10_lr_x", "log10_lr_y", "log10_lr_mt", "loci", "y_ref", "y_meioses", "mt_ref", "mt_meioses", "tie" };
static const char *const x_cols[] = { "remain", "family", "missing", "system", "marker", "log10_lr", "rank", "remain_call",
	"references", "via", "dropout", "lineage_ref", "meioses", "compared", "differences", "differing", "db_count", "db_total", "left_out" };
static const char *const i_cols[] = { "remain", "family", "missing", "conclusion", "log10_lr", "posterior" };
static const char *const p_cols[] = { "remain1", "remain2", "relationship", "log10_lr", "loci" };

static double num(const char *s)
{
	double x;
	if (strcmp(s, "-inf") == 0) return KM_NEG_INF;
	if (strcmp(s, "inf") == 0) return (double)INFINITY;
	return km_parse_double(s, &x) == 0 ? x : (double)NAN;
}

static int cmp_id(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static char *key3(const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = c ? strlen(c) : 0;
	char *k = malloc(la + lb + lc + 3);
	if (!k) return NULL;
	memcpy(k, a, la); k[la] = '\t';
	memcpy(k + la + 1, b, lb);
	if (c) { k[la + 1 + lb] = '\t'; memcpy(k + la + lb + 2, c, lc); k[la + lb + 2 + lc] = 0; }
	else k[la + 1 + lb] = 0;
	return k;
}

int rp_family(const rp_run_t *R, const char *family)
{
	int f;
	if (!R->famidx || khash_str2int_get(R->famidx, family, &f) < 0) return -1;
	return f;
}

long rp_explain_rows(const rp_run_t *R, const char *remain, const char *family, const char *missing, size_t *n)
{
	int i;
	*n = 0;
	if (!R->xidx) return -1;
	char *k = key3(remain, family, missing);
	if (!k) return -1;
	int ok = khash_str2int_get(R->xidx, k, &i) == 0;
	free(k);
	if (!ok) return -1;
	*n = R->xn[i];
	return i;
}

static void safe_name(kstring_t *s, const char *id)
{
	for (const unsigned char *c = (const unsigned char *)id; *c; ++c) {
		if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '.')
			kputc(*c, s);
		else ksprintf(s, "_%02X", *c);   /* '_' itself too, so names stay distinct */
	}
}

static int conc_of(const char *s)
{
	for (int i = 0; i < RP_N_CONC; ++i) if (strcmp(s, rp_conc_name[i]) == 0) return i;
	return -1;
}

int rp_run_load(rp_run_t *R, const char *dir, km_err_t *e)
{
	int ret;
	kstring_t fn = { 0, 0, NULL };
	memset(R, 0, sizeof *R);
	R->dir = dir;
#define PATH(name) (fn.l = 0, ksprintf(&fn, "%s/%s", dir, name), fn.s)
	if ((ret = rp_table_load(&R->m, PATH("matches.tsv"), 1, e)) < 0) goto end;
	if ((ret = need_cols(&R->m, m_cols, 16, 11, R->mc, e)) < 0) goto end;
	if ((ret = rp_table_load(&R->x, PATH("explain.tsv"), 0, e)) < 0) goto end;
	if (R->x.buf && (ret = need_cols(&R->x, x_cols, 19, 18, R->xc, e)) < 0) goto end;
	if ((ret = rp_table_load(&R->id, PATH("identifications.tsv"), 0, e)) < 0) goto end;
	if (R->id.buf && (ret = need_cols(&R->id, i_cols, 6, 6, R->ic, e)) < 0) goto end;
	if ((ret = rp_table_load(&R->pairs, PATH("remain-pairs.tsv"), 0, e)) < 0) goto end;
	if (R->pairs.buf && (ret = need_cols(&R->pairs, p_cols, 5, 5, R->pc, e)) < 0) goto end;
	if ((ret = rp_table_load(&R->inc, PATH("inconsistent.tsv"), 0, e)) < 0) goto end;
	if ((ret = rp_table_load(&R->warn, PATH("warnings.tsv"), 0, e)) < 0) goto end;   /* the output layer's, any columns */
	{
		size_t len;
		if ((ret = read_all(PATH("manifest.json"), &R->manifest, &len, e)) < 0) goto end;
		R->manifest_len = ret == 1 ? 0 : len;
		ret = 0;
	}
	{	/* families.tsv through the contract's pedigree parser (validated as an input would be) */
		FILE *fp = fopen(PATH("families.tsv"), "r");
		if (fp) {
			fclose(fp);
			if ((ret = km_peds_load(&R->peds, fn.s, e)) < 0) goto end;
			R->have_peds = 1;
			if (!(R->famidx = khash_str2int_init())) goto oom;
			for (int f = 0; f < R->peds.n_family; ++f)
				if (khash_str2int_set(R->famidx, R->peds.fam[f].id, f) < 0) goto oom;
		}
	}
	/* explain: pairs of consecutive rows */
	if (R->x.buf) {
		if (!(R->xidx = khash_str2int_init()) || !(R->xn = calloc(R->x.nrow + 1, sizeof(size_t)))) goto oom;
		size_t start = 0;
		for (size_t i = 0; i <= R->x.nrow; ++i) {
			int same = i < R->x.nrow && i > start;
			for (int c = 0; c < 3 && same; ++c) same = strcmp(rp_cell(&R->x, i, R->xc[c]), rp_cell(&R->x, start, R->xc[c])) == 0;
			if (i > start && !same) {
				char *k = key3(rp_cell(&R->x, start, R->xc[0]), rp_cell(&R->x, start, R->xc[1]), rp_cell(&R->x, start, R->xc[2]));
				if (!k) goto oom;
				if (khash_str2int_has_key(R->xidx, k)) free(k);   /* a pair again (identification): the first stands */
				else if (khash_str2int_set(R->xidx, k, (int)start) < 0) goto oom;
				else R->xn[start] = i - start;
				int rk = atoi(rp_cell(&R->x, start, R->xc[6]));
				if (rk > R->top_explained) R->top_explained = rk;
				start = i;
			}
		}
	}
	/* the rows of each candidate, for conflicts: "family\tmissing" -> first row, then mnext */
	if (!(R->midx = khash_str2int_init()) || !(R->mnext = malloc(sizeof(long) * (R->m.nrow + 1)))) goto oom;
	for (size_t i = R->m.nrow; i-- > 0;) {
		char *k = key3(rp_cell(&R->m, i, R->mc[1]), rp_cell(&R->m, i, R->mc[2]), NULL);
		int h;
		if (!k) goto oom;
		R->mnext[i] = -1;
		int had = khash_str2int_get(R->midx, k, &h) == 0;
		if (had) R->mnext[i] = h;
		if (khash_str2int_set(R->midx, k, (int)i) < 0) { free(k); goto oom; }
		if (had) free(k);   /* the table keeps its first copy of the key */
	}
	/* the remains: those of matches.tsv and of identifications.tsv, in byte order */
	{
		size_t n = 0, m = R->m.nrow + R->id.nrow + 1;
		const char **ids = malloc(sizeof(char *) * m);
		if (!ids) goto oom;
		for (size_t i = 0; i < R->m.nrow; ++i)
			if (i == 0 || strcmp(rp_cell(&R->m, i, R->mc[0]), rp_cell(&R->m, i - 1, R->mc[0])) != 0) ids[n++] = rp_cell(&R->m, i, R->mc[0]);
		for (size_t i = 0; i < R->id.nrow; ++i) ids[n++] = rp_cell(&R->id, i, R->ic[0]);
		qsort(ids, n, sizeof(char *), cmp_id);
		size_t u = 0;
		for (size_t i = 0; i < n; ++i) if (u == 0 || strcmp(ids[u - 1], ids[i]) != 0) ids[u++] = ids[i];
		if (!(R->r = calloc(u + 1, sizeof(rp_remain_t)))) { free(ids); goto oom; }
		R->n_remain = (int)u;
		void *h = khash_str2int_init();
		if (!h) { free(ids); goto oom; }
		for (size_t i = 0; i < u; ++i) {
			R->r[i].id = ids[i], R->r[i].ident = -1, R->r[i].best = R->r[i].second = NAN, R->r[i].loci = -1;
			khash_str2int_set(h, ids[i], (int)i);
		}
		free(ids);
		for (size_t i = 0; i < R->m.nrow; ++i) {
			int ri = 0;
			khash_str2int_get(h, rp_cell(&R->m, i, R->mc[0]), &ri);
			rp_remain_t *r = &R->r[ri];
			if (r->nm == 0) r->m0 = i;
			if (r->m0 + r->nm != i) { khash_str2int_destroy(h); ret = km_err_at(e, R->m.fn, R->m.line[i], 1, "rows of remain '%s' are not together (matches.tsv is sorted by remain)", r->id); goto end; }
			double v = num(rp_cell(&R->m, i, R->mc[4]));
			if (r->nm == 0) r->best = v, r->loci = atoi(rp_cell(&R->m, i, R->mc[10]));
			else if (r->nm == 1) r->second = v;
			r->n_strong += v >= 4.0;
			++r->nm;
		}
		for (size_t i = 0; i < R->id.nrow; ++i) {
			int ri = 0;
			khash_str2int_get(h, rp_cell(&R->id, i, R->ic[0]), &ri);
			R->r[ri].ident = (long)i;
		}
		khash_str2int_destroy(h);
	}
	for (int i = 0; i < R->n_remain; ++i) {
		rp_remain_t *r = &R->r[i];
		if (r->ident >= 0) {
			const char *c = rp_cell(&R->id, (size_t)r->ident, R->ic[3]);
			if ((r->conc = conc_of(c)) < 0 || r->conc > RP_NOMATCH) { ret = km_err_at(e, R->id.fn, R->id.line[r->ident], 1, "unknown conclusion '%s'", c); goto end; }
			r->family = rp_cell(&R->id, (size_t)r->ident, R->ic[1]), r->missing = rp_cell(&R->id, (size_t)r->ident, R->ic[2]);
		} else {
			r->conc = r->nm == 0 || !(r->best > 0.0) ? RP_NONE : r->best >= 4.0 ? RP_STRONG : RP_WEAK;
			if (r->nm) r->family = rp_cell(&R->m, r->m0, R->mc[1]), r->missing = rp_cell(&R->m, r->m0, R->mc[2]);
		}
		if (r->conc != RP_NOMATCH && (r->nm > 0 || r->ident >= 0)) {
			kstring_t s = { 0, 0, NULL };
			kputs("r/", &s);
			safe_name(&s, r->id);
			kputs(".html", &s);
			if (!s.s) goto oom;
			r->page = s.s;
		}
	}
	goto end;
oom:
	ret = km_err_set(e, KM_ENOMEM, "out of memory");
end:
#undef PATH
	free(fn.s);
	if (ret < 0) rp_run_destroy(R);
	return ret < 0 ? ret : 0;
}

void rp_run_destroy(rp_run_t *R)
{
	if (R->xidx) khash_str2int_destroy_free(R->xidx);
	if (R->midx) khash_str2int_destroy_free(R->midx);
	if (R->famidx) khash_str2int_destroy(R->famidx);
	for (int i = 0; R->r && i < R->n_remain; ++i) free(R->r[i].page);
	free(R->r); free(R->xn); free(R->mnext); free(R->manifest);
	rp_table_destroy(&R->m); rp_table_destroy(&R->x); rp_table_destroy(&R->id); rp_table_destroy(&R->inc); rp_table_destroy(&R->fam); rp_table_destroy(&R->warn);
	rp_table_destroy(&R->pairs);
	km_peds_destroy(&R->peds);
	memset(R, 0, sizeof *R);
}
