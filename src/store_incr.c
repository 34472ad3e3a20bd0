/* store_incr.c — `match --store FILE [--incremental]`: a run's record in the store, and
 * incremental nights.
 *
 * What a run keeps for the next night (tables remain_state, family_state, cache_rows; only
 * the latest run's are kept, older ones are deleted in the same transaction):
 *   - a content hash per remain (its profile, its --mtdna row, its --remain-info row) and
 *     per family (its pedigree rows, and each reference's profile and --mtdna row);
 *   - per remain its ranked rows to depth D = max(2K, K + 10) (K = --top), each row
 *     the scan's record (km_hit_t) as bytes, and whether the list is complete (every pair
 *     that passes --min-loci / --min-log10-lr is in it).
 * The model key: every option of the command line but those that are hashed per remain /
 * family or do not change a pair's numbers (--out, --threads, --top, --quiet, --bench,
 * --store, --incremental; --explain-top and --dvi*, whose files are computed from scratch
 * from every pair each night), the panel, frequency and database files by content, the
 * program's own bytes (another build = another model) and the kinmatch version.  An
 * incremental night whose key differs from the last run's is a full run (said on stderr).
 *
 * The incremental night.  Let a remain or family be *new* when the last run has no hash
 * for it or another one.  The rows of an unchanged remain r are the merge of
 *   P: its stored list without the rows of new or vanished families — still the exact
 *      best rows among the unchanged candidates down to the stored list's last row L_P
 *      (every unchanged candidate not in the list comes after L_P in the total order);
 *   N: a scan of the unchanged remains against the candidates of the new families, to
 *      depth D (exact down to its last row L_N, or complete).
 * The merged rows are proven down to min(L_P, L_N) (an incomplete list's last row bounds
 * what it did not see); when fewer than K rows are proven and the lists are not
 * complete, r is rescanned against every candidate.  New remains are scanned against
 * every candidate.  A pair's value does not depend on which other remains or candidates
 * share its scan (scan.c: one fixed summation order per pair), and the ranking is the
 * total order (log10 LR descending, family, missing in byte order), so the rows are those
 * of a full run, byte for byte.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>
#include <htslib/khash_str2int.h>
#include <htslib/kstring.h>
#include "kmpriv.h"
#include "pipe.h"
#include "lineage.h"
#include "store.h"
#include "incr.h"

typedef struct { char h[33]; } hash_t;

typedef struct {              /* a stored row of the last run */
	double lr;
	char *fam, *miss;
	km_hit_t hit;
} prow_t;

struct km_incr_s {
	km_store_t *s;
	const km_opt_t *o;
	char started[32];
	char *key;                /* model key: sorted "name=value\n" lines */
	char *argv_json;
	int want_incr;            /* --incremental */
	int incr;                 /* this run is incremental */
	int keep;                 /* this run writes the incremental state (not with --all) */
	long run;
	/* this run */
	int n_rem, n_fam;
	hash_t *rh, *fh;
	int D;                    /* depth of the lists */
	km_hit_t *lh;             /* per remain (global index) its list: lh[ls[r] .. ls[r] + ln[r]) */
	size_t *ls;
	int *ln;
	uint8_t *lc;              /* list complete */
	const km_incr_ctx_t *ctx;
	/* the last run */
	long prev;
	void *prem, *pfam;        /* name -> index */
	int n_prem, n_pfam;
	char **prem_name, **pfam_name;
	hash_t *prem_hash, *pfam_hash;
	uint8_t *prem_comp;
	size_t *prem_start;       /* rows of prev remain i: prow[prem_start[i] .. prem_start[i + 1]) */
	prow_t *prow;
	size_t n_prow, max_prow;  /* rows, the most of one remain */
};

/* ---- hashing ---------------------------------------------------------------------- */
typedef struct { uint64_t a, b; } hst_t;

static void hs_init(hst_t *h) { h->a = 1469598103934665603ULL, h->b = 0x9e3779b97f4a7c15ULL; }
static void hs_add(hst_t *h, const void *p, size_t n)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; ++i) {
		h->a = (h->a ^ c[i]) * 1099511628211ULL;
		h->b = (h->b ^ c[i]) * 0x100000001b3ULL + 0x632be59bd9b4e019ULL;
		h->b ^= h->b >> 29;
	}
}
static void hs_str(hst_t *h, const char *s) { hs_add(h, s, strlen(s) + 1); }
static uint64_t mix64(uint64_t x)   /* splitmix64's finaliser */
{
	x ^= x >> 30; x *= 0xbf58476d1ce4e5b9ULL; x ^= x >> 27; x *= 0x94d049bb133111ebULL; x ^= x >> 31;
	return x;
}
static void hs_hex(const hst_t *h, hash_t *o)
{
	snprintf(o->h, sizeof o->h, "%016llx%016llx", (unsigned long long)mix64(h->a), (unsigned long long)mix64(h->b ^ h->a));
}

static int file_content_hash(const char *fn, hash_t *o)
{
	FILE *fp = fopen(fn, "rb");
	unsigned char buf[65536];
	size_t n;
	hst_t h;
	hs_init(&h);
	if (!fp) return -1;
	while ((n = fread(buf, 1, sizeof buf, fp)) > 0) hs_add(&h, buf, n);
	int bad = ferror(fp);
	fclose(fp);
	hs_hex(&h, o);
	return bad ? -1 : 0;
}

/* ---- the model key ------------------------------------------------------------------ */
static int cmp_str(const void *x, const void *y) { return strcmp(*(char *const *)x, *(char *const *)y); }

/* options that are hashed per remain / family, or do not change a pair's numbers */
static const char *const key_skip[] = { "out", "threads", "top", "quiet", "bench", "store", "incremental", "help",
                                        "remains", "references", "pedigrees", "mtdna", "remain-info",
                                        /* computed from scratch every night, from every pair (explain.c, identrun.c) */
                                        "explain-top", "dvi", "dvi-threshold", "dvi-min-log10-lr", "dvi-keep", "dvi-max-assign",
                                        "dvi-min-posterior", "dvi-no-undisputed", NULL };
/* options naming a file that the whole run depends on: taken by content */
static const char *const key_file[] = { "panel", "freqs", "y-db", "mt-db", "snp-positions", NULL };

static int in_list(const char *const *l, const char *s)
{
	for (; *l; ++l) if (strcmp(*l, s) == 0) return 1;
	return 0;
}

static void json_str(kstring_t *k, const char *s)
{
	kputc('"', k);
	for (; *s; ++s) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') { kputc('\\', k); kputc(c, k); }
		else if (c < 0x20) ksprintf(k, "\\u%04x", c);
		else kputc(c, k);
	}
	kputc('"', k);
}

static int model_key(km_incr_t *I, const struct option *opts, int argc, char *argv[], km_err_t *e)
{
	char **av = malloc(sizeof(char *) * ((size_t)argc + 1)), **line = malloc(sizeof(char *) * ((size_t)argc + 4));
	int nl = 0, c, li, ret = 0;
	kstring_t k = { 0, 0, NULL };
	if (!av || !line) { free(av); free(line); return km_err_set(e, KM_ENOMEM, "out of memory"); }
	memcpy(av, argv, sizeof(char *) * (size_t)argc);
	av[argc] = NULL;
	int saved_opterr = opterr;
	opterr = 0;
	optind = 0;   /* GNU: full re-initialisation */
	while ((c = getopt_long(argc, av, "", opts, &li)) >= 0) {
		if (c == '?' || c == ':') continue;
		const char *name = opts[li].name;
		if (in_list(key_skip, name)) continue;
		kstring_t l = { 0, 0, NULL };
		if (in_list(key_file, name)) {
			hash_t h;
			if (file_content_hash(optarg, &h) < 0) { ret = km_err_set(e, KM_EIO, "--%s %s: cannot read: %s", name, optarg, strerror(errno)); free(l.s); break; }
			ksprintf(&l, "%s=file:%s", name, h.h);
		} else if (optarg) ksprintf(&l, "%s=%s", name, optarg);
		else kputs(name, &l);
		line[nl++] = l.s;
	}
	opterr = saved_opterr;
	optind = 1;
	if (ret == 0) {
		hash_t h;
		kstring_t l = { 0, 0, NULL };
		/* the program itself: another build may compute other numbers */
		if (file_content_hash("/proc/self/exe", &h) < 0) snprintf(h.h, sizeof h.h, "unknown");
		ksprintf(&l, "~program=%s %s hit%zu", KM_VERSION, h.h, sizeof(km_hit_t));
		line[nl++] = l.s;
		qsort(line, (size_t)nl, sizeof(char *), cmp_str);
		for (int i = 0; i < nl; ++i) { kputs(line[i], &k); kputc('\n', &k); }
		I->key = k.s ? k.s : strdup("");
		/* argv as JSON, for the manifest fallback */
		kstring_t j = { 0, 0, NULL };
		kputc('[', &j);
		for (int i = 0; i < argc; ++i) { if (i) kputs(", ", &j); json_str(&j, argv[i]); }
		kputc(']', &j);
		I->argv_json = j.s;
	}
	for (int i = 0; i < nl; ++i) free(line[i]);
	free(line); free(av);
	return ret;
}

/* what differs between two keys, for the message of a forced full run */
static void key_diff(const char *old, const char *cur, char *buf, size_t n)
{
	/* the first option (in key order) whose line differs */
	const char *a = old, *b = cur;
	while (*a || *b) {
		const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
		size_t la = ea ? (size_t)(ea - a) : strlen(a), lb = eb ? (size_t)(eb - b) : strlen(b);
		if (la != lb || strncmp(a, b, la) != 0) {
			/* name of the smaller line (the one missing from the other key) */
			const char *p = (!*b || (*a && strncmp(a, b, la < lb ? la : lb) < 0)) ? a : b;
			size_t lp = p == a ? la : lb, ln = strcspn(p, "=\n");
			if (ln > lp) ln = lp;
			if (strncmp(p, "~program", 8) == 0) snprintf(buf, n, "kinmatch itself is another build");
			else snprintf(buf, n, "--%.*s changed", (int)ln, p);
			return;
		}
		a += la + (ea != NULL), b += lb + (eb != NULL);
	}
	snprintf(buf, n, "the options changed");
}

int km_incr_open(km_incr_t **Ip, const km_opt_t *o, const struct option *opts, int argc, char *argv[], km_err_t *e)
{
	*Ip = NULL;
	if (!o->store) return 0;
	km_incr_t *I = calloc(1, sizeof(*I));
	int ret;
	if (!I) return km_err_set(e, KM_ENOMEM, "out of memory");
	I->o = o;
	I->want_incr = o->incremental;
	km_store_now(I->started);
	if ((ret = km_store_open(&I->s, o->store, 1, e)) < 0) goto fail;
	if ((ret = model_key(I, opts, argc, argv, e)) < 0) goto fail;
	*Ip = I;
	return 0;
fail:
	km_incr_close(I);
	return ret;
}

/* ---- content hashes -------------------------------------------------------------------- */
/* rows of a per-sample table (--mtdna, --remain-info) as text: column=value pairs in
 * column-name order (column order is free in the contract), rows of one sample joined */
typedef struct { void *h; char **name; kstring_t *txt; int n, m; } rows_t;

static void rows_free(rows_t *R)
{
	if (R->h) khash_str2int_destroy(R->h);
	for (int i = 0; i < R->n; ++i) { free(R->name[i]); free(R->txt[i].s); }
	free(R->name); free(R->txt);
	memset(R, 0, sizeof(*R));
}

static int rows_load(rows_t *R, const char *fn, km_err_t *e)
{
	km_tsv_t *r = NULL;
	int ret, cs, ord[256];
	memset(R, 0, sizeof(*R));
	if (!fn) return 0;
	if (!(R->h = khash_str2int_init())) return km_err_set(e, KM_ENOMEM, "out of memory");
	if ((ret = km_tsv_open(&r, fn, e)) < 0) return ret;
	if ((ret = km_tsv_header(r, e)) < 0 || (ret = km_tsv_need(r, "sample", &cs, e)) < 0) { km_tsv_close(r); return ret; }
	int nc = km_tsv_ncol(r) < 256 ? km_tsv_ncol(r) : 256;
	for (int i = 0; i < nc; ++i) ord[i] = i;
	for (int i = 1; i < nc; ++i)   /* insertion sort of the columns by name */
		for (int j = i; j > 0 && strcmp(km_tsv_colname(r, ord[j - 1]), km_tsv_colname(r, ord[j])) > 0; --j) {
			int t = ord[j]; ord[j] = ord[j - 1]; ord[j - 1] = t;
		}
	while ((ret = km_tsv_next(r, e)) > 0) {
		const char *s = km_tsv_field(r, cs);
		int idx;
		if (khash_str2int_get(R->h, s, &idx) < 0) {
			if (R->n == R->m) {
				R->m = R->m ? 2 * R->m : 256;
				char **nn = realloc(R->name, sizeof(char *) * R->m);
				if (nn) R->name = nn;
				kstring_t *nt = nn ? realloc(R->txt, sizeof(kstring_t) * R->m) : NULL;
				if (!nn || !nt) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); break; }
				R->txt = nt;
			}
			idx = R->n;
			R->name[idx] = strdup(s);
			memset(&R->txt[idx], 0, sizeof(kstring_t));
			if (!R->name[idx]) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); break; }
			++R->n;
			khash_str2int_set(R->h, R->name[idx], idx);
		}
		kstring_t *t = &R->txt[idx];
		for (int i = 0; i < nc; ++i) ksprintf(t, "%s=%s\x1f", km_tsv_colname(r, ord[i]), km_tsv_field(r, ord[i]));
		kputc('\n', t);
	}
	km_tsv_close(r);
	return ret < 0 ? ret : 0;
}

static const char *rows_get(const rows_t *R, const char *s)
{
	int idx;
	if (!R->h || khash_str2int_get(R->h, s, &idx) < 0) return "";
	return R->txt[idx].s ? R->txt[idx].s : "";
}

static void hash_profile(hst_t *h, const km_prof_t *pr, int s, const km_panel_t *p, const km_freqs_t *f)
{
	char b[32];
	for (int m = 0; m < pr->n_marker; ++m) {
		const int32_t *g = km_prof_gt(pr, s, m);
		if (g[0] == KM_NOALLELE) continue;
		hs_str(h, p->marker[m].name);
		for (int k = 0; k < 2; ++k) {
			if (g[k] == KM_HEMI) hs_str(h, ".");
			else if (g[k] >= 0 && g[k] < f->loc[m].n_allele) hs_str(h, f->loc[m].label[g[k]]);
			else { snprintf(b, sizeof b, "#%d", (int)g[k]); hs_str(h, b); }
		}
	}
}

/* ---- the last run's state ---------------------------------------------------------------- */
static void prev_free(km_incr_t *I)
{
	if (I->prem) khash_str2int_destroy(I->prem);
	if (I->pfam) khash_str2int_destroy(I->pfam);
	for (int i = 0; i < I->n_prem; ++i) free(I->prem_name[i]);
	for (int i = 0; i < I->n_pfam; ++i) free(I->pfam_name[i]);
	for (size_t i = 0; i < I->n_prow; ++i) { free(I->prow[i].fam); free(I->prow[i].miss); }
	free(I->prem_name); free(I->pfam_name); free(I->prem_hash); free(I->pfam_hash);
	free(I->prem_comp); free(I->prem_start); free(I->prow);
	I->prem = I->pfam = NULL;
	I->n_prem = I->n_pfam = 0, I->n_prow = 0;
	I->prem_name = I->pfam_name = NULL; I->prem_hash = I->pfam_hash = NULL;
	I->prem_comp = NULL; I->prem_start = NULL; I->prow = NULL;
}

static int count_rows(sqlite3 *db, const char *sql, long run, long *n)
{
	sqlite3_stmt *q = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) return -1;
	sqlite3_bind_int64(q, 1, run);
	int ok = sqlite3_step(q) == SQLITE_ROW;
	*n = ok ? (long)sqlite3_column_int64(q, 0) : 0;
	sqlite3_finalize(q);
	return ok ? 0 : -1;
}

/* Loads the last run's state; *why says why it cannot be used (then 0 is returned and
 * the run is full). */
static int prev_load(km_incr_t *I, char *why, size_t n_why, km_err_t *e)
{
	sqlite3 *db = km_store_db(I->s);
	sqlite3_stmt *q = NULL;
	long nr = 0, nf = 0, nrow = 0;
	int ret = 0;
	why[0] = 0;
	if (sqlite3_prepare_v2(db, "SELECT id, model_key FROM runs ORDER BY id DESC LIMIT 1", -1, &q, NULL) != SQLITE_OK) goto sqfail;
	if (sqlite3_step(q) != SQLITE_ROW) { snprintf(why, n_why, "the store has no earlier run"); sqlite3_finalize(q); return 0; }
	I->prev = (long)sqlite3_column_int64(q, 0);
	const char *k = (const char *)sqlite3_column_text(q, 1);
	if (!k) snprintf(why, n_why, "run %ld kept no incremental state (a merge of shards, or a run with --all)", I->prev);
	else if (strcmp(k, I->key) != 0) {
		char d[256];
		key_diff(k, I->key, d, sizeof d);
		snprintf(why, n_why, "%s since run %ld", d, I->prev);
	}
	sqlite3_finalize(q);
	q = NULL;
	if (why[0]) return 0;
	if (count_rows(db, "SELECT count(*) FROM remain_state WHERE run = ?", I->prev, &nr) < 0 ||
	    count_rows(db, "SELECT count(*) FROM family_state WHERE run = ?", I->prev, &nf) < 0 ||
	    count_rows(db, "SELECT count(*) FROM cache_rows WHERE run = ?", I->prev, &nrow) < 0) goto sqfail;
	if (nr == 0 && nf == 0) { snprintf(why, n_why, "run %ld kept no incremental state (--all, or no remains)", I->prev); return 0; }
	I->prem = khash_str2int_init();
	I->pfam = khash_str2int_init();
	I->prem_name = calloc((size_t)nr + 1, sizeof(char *));
	I->prem_hash = calloc((size_t)nr + 1, sizeof(hash_t));
	I->prem_comp = calloc((size_t)nr + 1, 1);
	I->prem_start = calloc((size_t)nr + 2, sizeof(size_t));
	I->pfam_name = calloc((size_t)nf + 1, sizeof(char *));
	I->pfam_hash = calloc((size_t)nf + 1, sizeof(hash_t));
	I->prow = calloc((size_t)nrow + 1, sizeof(prow_t));
	if (!I->prem || !I->pfam || !I->prem_name || !I->prem_hash || !I->prem_comp || !I->prem_start || !I->pfam_name || !I->pfam_hash || !I->prow)
		return km_err_set(e, KM_ENOMEM, "out of memory");
	/* remains, in the order of their rows */
	if (sqlite3_prepare_v2(db, "SELECT remain, hash, complete FROM remain_state WHERE run = ? ORDER BY remain", -1, &q, NULL) != SQLITE_OK) goto sqfail;
	sqlite3_bind_int64(q, 1, I->prev);
	while (sqlite3_step(q) == SQLITE_ROW && I->n_prem < nr) {
		int i = I->n_prem++;
		if (!(I->prem_name[i] = strdup((const char *)sqlite3_column_text(q, 0)))) { sqlite3_finalize(q); return km_err_set(e, KM_ENOMEM, "out of memory"); }
		snprintf(I->prem_hash[i].h, sizeof(hash_t), "%s", (const char *)sqlite3_column_text(q, 1));
		I->prem_comp[i] = (uint8_t)sqlite3_column_int(q, 2);
		khash_str2int_set(I->prem, I->prem_name[i], i);
	}
	sqlite3_finalize(q);
	if (sqlite3_prepare_v2(db, "SELECT family, hash FROM family_state WHERE run = ?", -1, &q, NULL) != SQLITE_OK) goto sqfail;
	sqlite3_bind_int64(q, 1, I->prev);
	while (sqlite3_step(q) == SQLITE_ROW && I->n_pfam < nf) {
		int i = I->n_pfam++;
		if (!(I->pfam_name[i] = strdup((const char *)sqlite3_column_text(q, 0)))) { sqlite3_finalize(q); return km_err_set(e, KM_ENOMEM, "out of memory"); }
		snprintf(I->pfam_hash[i].h, sizeof(hash_t), "%s", (const char *)sqlite3_column_text(q, 1));
		khash_str2int_set(I->pfam, I->pfam_name[i], i);
	}
	sqlite3_finalize(q);
	/* rows, grouped by remain in the same (byte) order, each group by ord */
	if (sqlite3_prepare_v2(db, "SELECT remain, family, missing, hit FROM cache_rows WHERE run = ? ORDER BY remain, ord", -1, &q, NULL) != SQLITE_OK) goto sqfail;
	sqlite3_bind_int64(q, 1, I->prev);
	int cur = -1;
	while (sqlite3_step(q) == SQLITE_ROW && I->n_prow < (size_t)nrow) {
		int idx;
		if (khash_str2int_get(I->prem, (const char *)sqlite3_column_text(q, 0), &idx) < 0) continue;   /* no state: ignored */
		if (sqlite3_column_bytes(q, 3) != (int)sizeof(km_hit_t)) { sqlite3_finalize(q); snprintf(why, n_why, "run %ld's rows are from another build", I->prev); prev_free(I); return 0; }
		while (cur < idx) I->prem_start[++cur] = I->n_prow;
		prow_t *p = &I->prow[I->n_prow++];
		memcpy(&p->hit, sqlite3_column_blob(q, 3), sizeof(km_hit_t));
		p->lr = p->hit.lr;
		p->fam = strdup((const char *)sqlite3_column_text(q, 1));
		p->miss = strdup((const char *)sqlite3_column_text(q, 2));
		if (!p->fam || !p->miss) { sqlite3_finalize(q); return km_err_set(e, KM_ENOMEM, "out of memory"); }
	}
	sqlite3_finalize(q);
	while (cur < I->n_prem) I->prem_start[++cur] = I->n_prow;
	for (int i = 0; i < I->n_prem; ++i)
		if (I->prem_start[i + 1] - I->prem_start[i] > I->max_prow) I->max_prow = I->prem_start[i + 1] - I->prem_start[i];
	return 0;
sqfail:
	ret = km_err_set(e, KM_EIO, "--store %s: cannot read the last run: %s", I->o->store, sqlite3_errmsg(db));
	sqlite3_finalize(q);
	return ret;
}

int km_incr_plan(km_incr_t *I, const km_incr_ctx_t *c, km_err_t *e)
{
	rows_t mt, info;
	int ret = 0;
	if (!I) return 0;
	I->ctx = c;
	{
		char od[4096];
		if (realpath(c->o->out, od)) km_store_check_dir(I->s, od);   /* no DIR yet: nothing to check */
	}
	I->n_rem = c->rem->n_sample, I->n_fam = c->peds->n_family;
	I->rh = calloc((size_t)I->n_rem + 1, sizeof(hash_t));
	I->fh = calloc((size_t)I->n_fam + 1, sizeof(hash_t));
	if (!I->rh || !I->fh) return km_err_set(e, KM_ENOMEM, "out of memory");
	I->keep = !c->o->all;
	if ((ret = rows_load(&mt, c->o->mtdna, e)) < 0) { rows_free(&mt); return ret; }
	if ((ret = rows_load(&info, c->o->remain_info, e)) < 0) { rows_free(&mt); rows_free(&info); return ret; }
	for (int r = 0; r < I->n_rem; ++r) {
		hst_t h;
		hs_init(&h);
		hs_str(&h, "remain");
		hash_profile(&h, c->rem, r, c->panel, c->freqs);
		hs_str(&h, rows_get(&mt, c->rem->sample[r]));
		hs_str(&h, rows_get(&info, c->rem->sample[r]));
		hs_hex(&h, &I->rh[r]);
	}
	for (int f = 0; f < I->n_fam; ++f) {
		const km_family_t *F = &c->peds->fam[f];
		hst_t h;
		char b[64];
		hs_init(&h);
		hs_str(&h, "family");
		for (int i = 0; i < F->n_person; ++i) {
			const km_person_t *P = &F->person[i];
			hs_str(&h, P->id);
			hs_str(&h, P->father >= 0 ? F->person[P->father].id : "0");
			hs_str(&h, P->mother >= 0 ? F->person[P->mother].id : "0");
			snprintf(b, sizeof b, "%d %d", P->sex, P->role);
			hs_str(&h, b);
			if (P->role == KM_ROLE_REFERENCE && P->sample >= 0) {
				hash_profile(&h, c->refs, P->sample, c->panel, c->freqs);
				hs_str(&h, rows_get(&mt, c->refs->sample[P->sample]));
			}
		}
		hs_hex(&h, &I->fh[f]);
	}
	rows_free(&mt);
	rows_free(&info);
	if (!I->want_incr) return 0;
	char why[512];
	if (c->o->all) snprintf(why, sizeof why, "--all keeps every row, so the store keeps no ranked lists to reuse");
	else if ((ret = prev_load(I, why, sizeof why, e)) < 0) return ret;
	if (why[0]) {
		km_warn("--incremental: a full run: %s", why);
		prev_free(I);
		return 0;
	}
	I->incr = 1;
	return 0;
}

void km_incr_no_state(km_incr_t *I)
{
	if (I) I->keep = 0, I->incr = 0;
}

/* ---- scanning a part of the problem ------------------------------------------------------ */
/* a before b in the total order: log10 LR descending, then family, then missing (byte
 * order; the candidates' index order is the same) */
static int row_before(double la, const char *fa, const char *ma, double lb, const char *fb, const char *mb)
{
	if (la != lb) return la > lb;
	int c = strcmp(fa, fb);
	return c ? c < 0 : strcmp(ma, mb) < 0;
}

typedef struct {              /* rows of one scan, per global remain */
	km_hit_t *h;              /* global remain and candidate indices */
	size_t *start;            /* [n_rem + 1] */
	uint8_t *comp;            /* list complete */
} part_t;

static void part_free(part_t *P) { free(P->h); free(P->start); free(P->comp); memset(P, 0, sizeof(*P)); }

/* Scans remains rsel[0..nrs) (NULL: all) against candidates csel[0..ncs) of t (NULL: all)
 * to depth D.  The main index and compile state serve when every remain is scanned. */
static int part_scan(km_incr_t *I, const int *rsel, int nrs, const int *csel, int ncs, km_tabs_t *t,
                     const km_index_t *ix_all, const km_comp_t *C_all, km_stats_t *st, part_t *P, km_err_t *e)
{
	const km_incr_ctx_t *c = I->ctx;
	km_sopt_t o2 = *c->so;
	km_prof_t sub = { 0 };
	km_index_t ix = { 0 };
	km_comp_t *C = NULL;
	km_lin_t *lin = NULL;
	km_hits_t h = { 0 };
	km_tabs_t t2 = *t;
	km_stats_t s2 = { 0 };
	double *rd = NULL;
	int ret = 0, nc = csel ? ncs : t->n_cand;
	if (csel) t2.cand = NULL;   /* our own array (freed at done) */
	memset(P, 0, sizeof(*P));
	P->start = calloc((size_t)I->n_rem + 2, sizeof(size_t));
	P->comp = calloc((size_t)I->n_rem + 1, 1);
	if (!P->start || !P->comp) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto done; }
	if ((rsel && nrs == 0) || nc == 0) {   /* nothing to scan: every list empty and complete */
		memset(P->comp, 1, (size_t)I->n_rem);
		goto done;
	}
	o2.top = I->D < nc ? I->D : nc;
	if (csel) {
		t2.n_cand = ncs;
		if (!(t2.cand = malloc(sizeof(km_cand_t) * (size_t)(ncs + 1)))) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto done; }
		for (int i = 0; i < ncs; ++i) t2.cand[i] = t->cand[csel[i]];
	}
	const km_index_t *ixp = ix_all;
	const km_comp_t *Cp = C_all;
	const km_prof_t *rp = c->rem;
	if (rsel) {   /* a sub-problem of the selected remains */
		if ((ret = km_prof_init(&sub, c->panel, c->rem->fn)) < 0) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto done; }
		if (!(rd = malloc(sizeof(double) * ((size_t)nrs + 1)))) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto done; }
		for (int i = 0; i < nrs; ++i) {
			int r = rsel[i], s = km_prof_add_sample(&sub, c->rem->sample[r], c->rem->line[r]);
			if (s < 0) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto done; }
			memcpy(sub.a + (size_t)s * sub.n_marker * 2, km_prof_gt(c->rem, r, 0), sizeof(int32_t) * 2 * (size_t)sub.n_marker);
			rd[s] = c->rd[r];
		}
		if (km_lin_subset(&lin, c->lin, rsel, nrs) < 0) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto done; }
		if ((ret = km_index_build(&ix, c->panel, &sub, rd, lin, e)) < 0) goto done;
		km_copt_t co = km_copt_of(c->o);
		if ((ret = km_comp_init(&C, &ix, c->panel, c->freqs, c->refs, c->peds, lin, &co, e)) < 0) goto done;
		ixp = &ix, Cp = C, rp = &sub;
	}
	if ((ret = km_scan(&h, &t2, ixp, Cp, rp, &o2, &s2, e)) < 0) goto done;
	km_stats_add(st, &s2);   /* core: every count is in km_stats_t now */
	/* back to global indices, grouped by global remain (each group stays in rank order) */
	if (!(P->h = malloc(sizeof(km_hit_t) * (h.n + 1)))) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto done; }
	for (size_t i = 0; i < h.n; ++i) {
		km_hit_t *x = &h.h[i];
		if (rsel) x->remain = rsel[x->remain];
		if (csel) x->cand = csel[x->cand];
		P->start[x->remain + 1]++;
	}
	for (int r = 0; r < I->n_rem; ++r) P->start[r + 1] += P->start[r];
	{
		size_t *fill = malloc(sizeof(size_t) * ((size_t)I->n_rem + 1));
		if (!fill) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto done; }
		memcpy(fill, P->start, sizeof(size_t) * (size_t)I->n_rem);
		for (size_t i = 0; i < h.n; ++i) P->h[fill[h.h[i].remain]++] = h.h[i];
		free(fill);
	}
	for (int r = 0; r < I->n_rem; ++r) P->comp[r] = P->start[r + 1] - P->start[r] < (size_t)o2.top || o2.top >= nc;
done:
	if (csel) free(t2.cand);
	km_hits_destroy(&h);
	km_comp_destroy(C);
	km_index_destroy(&ix);
	km_lin_subset_free(lin);
	km_prof_destroy(&sub);
	free(rd);
	if (ret < 0) part_free(P);
	return ret;
}

static int cmp_rem_id(const void *x, const void *y, void *rem)
{
	const km_prof_t *r = rem;
	return strcmp(r->sample[*(const int *)x], r->sample[*(const int *)y]);
}

static const char *cand_fam(const km_tabs_t *t, const km_peds_t *p, int c) { return p->fam[t->cand[c].fam].id; }
static const char *cand_miss(const km_tabs_t *t, const km_peds_t *p, int c) { return p->fam[t->cand[c].fam].person[t->cand[c].person].id; }

int km_incr_scan(km_incr_t *I, const km_incr_ctx_t *c, km_hits_t *hits, km_tabs_t *t, const km_index_t *ix,
                 const km_comp_t *C, km_stats_t *st, km_err_t *e)
{
	if (!I) return km_scan(hits, t, ix, C, c->rem, c->so, st, e);
	const km_opt_t *o = c->o;
	const km_peds_t *peds = c->peds;
	int nr = I->n_rem, nc = t->n_cand, ret = 0;
	int K = o->all ? nc : (o->top < nc ? o->top : nc);
	part_t A = { 0 }, B = { 0 };
	int *rsel = NULL, *csel = NULL, *ord = NULL;
	uint8_t *rnew = NULL;
	void *cmap = NULL;
	km_hit_t *merged = NULL, *pbuf = NULL;
	memset(hits, 0, sizeof(*hits));
	memset(st, 0, sizeof(*st));
	I->D = o->all ? nc : (2 * K > K + 10 ? 2 * K : K + 10);
	if (I->D > nc) I->D = nc;
	I->ls = calloc((size_t)nr + 2, sizeof(size_t));
	I->ln = calloc((size_t)nr + 1, sizeof(int));
	I->lc = calloc((size_t)nr + 1, 1);
	I->lh = malloc(sizeof(km_hit_t) * ((size_t)nr * (I->D > 0 ? I->D : 1) + 1));
	rnew = calloc((size_t)nr + 1, 1);
	rsel = calloc((size_t)nr + 1, sizeof(int));
	csel = calloc((size_t)nc + 1, sizeof(int));
	merged = malloc(sizeof(km_hit_t) * ((size_t)I->D + 1));
	pbuf = malloc(sizeof(km_hit_t) * (I->max_prow + 1));
	if (!pbuf || !I->ls || !I->ln || !I->lc || !I->lh || !rnew || !rsel || !csel || !merged) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto done; }
	int n_new_rem = 0, n_new_fam = 0, n_recomp = 0, ncs = 0, nrs = 0;
	if (I->incr) {
		uint8_t *fnew = calloc((size_t)I->n_fam + 1, 1);
		if (!fnew || !(cmap = khash_str2int_init())) { free(fnew); ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto done; }
		for (int f = 0; f < I->n_fam; ++f) {
			int i;
			fnew[f] = khash_str2int_get(I->pfam, peds->fam[f].id, &i) < 0 || strcmp(I->pfam_hash[i].h, I->fh[f].h) != 0;
			n_new_fam += fnew[f];
		}
		/* candidates of unchanged families, by "family\tmissing", for the stored rows */
		kstring_t key = { 0, 0, NULL };
		char **keys = calloc((size_t)nc + 1, sizeof(char *));
		if (!keys) { free(fnew); ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto done; }
		for (int ci = 0; ci < nc; ++ci) {
			if (fnew[t->cand[ci].fam]) { csel[ncs++] = ci; continue; }
			key.l = 0;
			ksprintf(&key, "%s\t%s", cand_fam(t, peds, ci), cand_miss(t, peds, ci));
			keys[ci] = strdup(key.s);
			if (keys[ci]) khash_str2int_set(cmap, keys[ci], ci);
		}
		free(key.s);
		free(fnew);
		for (int r = 0; r < nr; ++r) {
			int i;
			rnew[r] = khash_str2int_get(I->prem, c->rem->sample[r], &i) < 0 || strcmp(I->prem_hash[i].h, I->rh[r].h) != 0;
			n_new_rem += rnew[r];
			if (!rnew[r]) rsel[nrs++] = r;
		}
		/* N: the unchanged remains against the new families' candidates */
		if ((ret = part_scan(I, rsel, nrs, csel, ncs, t, ix, C, st, &B, e)) < 0) { for (int ci = 0; ci < nc; ++ci) free(keys[ci]); free(keys); goto done; }
		/* merge P and N per unchanged remain */
		kstring_t k2 = { 0, 0, NULL };
		for (int j = 0; j < nrs; ++j) {
			int r = rsel[j], pi = 0, nm = 0, np = 0;
			khash_str2int_get(I->prem, c->rem->sample[r], &pi);
			const prow_t *pr = I->prow + I->prem_start[pi];
			int npr = (int)(I->prem_start[pi + 1] - I->prem_start[pi]), pc = I->prem_comp[pi];
			/* P: stored rows of unchanged candidates, with this run's indices */
			km_hit_t *Pv = pbuf;
			for (int k = 0; k < npr; ++k) {
				int ci;
				k2.l = 0;
				ksprintf(&k2, "%s\t%s", pr[k].fam, pr[k].miss);
				if (khash_str2int_get(cmap, k2.s, &ci) < 0) continue;   /* a new or vanished family */
				Pv[np] = pr[k].hit;
				Pv[np].remain = r, Pv[np].cand = ci;
				++np;
			}
			const km_hit_t *Nv = B.h + B.start[r];
			int nn = (int)(B.start[r + 1] - B.start[r]), ncm = B.comp[r];
			/* merge in the total order (candidate index = family, missing order) */
			int a = 0, b = 0;
			while (a < np || b < nn) {
				int takeP = b >= nn || (a < np && (Pv[a].lr > Nv[b].lr || (Pv[a].lr == Nv[b].lr && Pv[a].cand < Nv[b].cand)));
				const km_hit_t *x = takeP ? &Pv[a++] : &Nv[b++];
				/* proven: ahead of everything either list did not see (an incomplete list's
				 * unseen rows all come after its last row) */
				if (!pc && npr > 0 && row_before(pr[npr - 1].lr, pr[npr - 1].fam, pr[npr - 1].miss,
				                                 x->lr, cand_fam(t, peds, x->cand), cand_miss(t, peds, x->cand))) break;
				if (!ncm && nn > 0 && (Nv[nn - 1].lr > x->lr || (Nv[nn - 1].lr == x->lr && Nv[nn - 1].cand < x->cand))) break;
				if (nm == I->D) break;
				merged[nm++] = *x;
			}
			int complete = pc && ncm && a == np && b == nn;
			if (nm < K && !complete) { rnew[r] = 2; ++n_recomp; continue; }   /* cannot prove the top K: rescan r */
			memcpy(I->lh + (size_t)r * I->D, merged, sizeof(km_hit_t) * (size_t)nm);
			I->ln[r] = nm, I->lc[r] = (uint8_t)complete;
		}
		free(k2.s);
		for (int ci = 0; ci < nc; ++ci) free(keys[ci]);
		free(keys);
		nrs = 0;
		for (int r = 0; r < nr; ++r) if (rnew[r]) rsel[nrs++] = r;
		if ((ret = part_scan(I, rsel, nrs, NULL, 0, t, ix, C, st, &A, e)) < 0) goto done;
		if (km_verbose >= 1)
			fprintf(stderr, "kinmatch: --incremental from run %ld: %d of %d remains and %d of %d families new or changed; %d unchanged remains rescanned (stored rows too few to prove the top %d)\n",
			        I->prev, n_new_rem, nr, n_new_fam, I->n_fam, n_recomp, K);
	} else {
		for (int r = 0; r < nr; ++r) rnew[r] = 1;
		if ((ret = part_scan(I, NULL, 0, NULL, 0, t, ix, C, st, &A, e)) < 0) goto done;
	}
	for (int r = 0; r < nr; ++r) {
		if (!rnew[r]) continue;
		int n = (int)(A.start[r + 1] - A.start[r]);
		if (n > I->D) n = I->D;
		memcpy(I->lh + (size_t)r * I->D, A.h + A.start[r], sizeof(km_hit_t) * (size_t)n);
		I->ln[r] = n, I->lc[r] = A.comp[r];
	}
	/* the hits: remains in byte order of their ids, each its first K rows */
	if (!(ord = malloc(sizeof(int) * ((size_t)nr + 1)))) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto done; }
	for (int r = 0; r < nr; ++r) ord[r] = r;
	qsort_r(ord, (size_t)nr, sizeof(int), cmp_rem_id, (void *)c->rem);
	hits->h = malloc(sizeof(km_hit_t) * ((size_t)nr * (K > 0 ? K : 1) + 1));
	hits->rank = malloc(sizeof(int) * ((size_t)nr * (K > 0 ? K : 1) + 1));
	hits->tie = malloc((size_t)nr * (K > 0 ? K : 1) + 1);   /* tie (dvi) */
	if (!hits->h || !hits->rank || !hits->tie) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto done; }
	for (int i = 0; i < nr; ++i) {
		int r = ord[i];
		const km_hit_t *lh = I->lh + (size_t)r * I->D;
		for (int k = 0; k < I->ln[r] && k < K; ++k) {
			hits->h[hits->n] = lh[k];
			/* tie (dvi): as the scan marks it, from the rows above and below (kept or not) */
			hits->tie[hits->n] = (k > 0 && km_lr_same_printed(lh[k].lr, lh[k - 1].lr)) ||
			                     (k + 1 < I->ln[r] && km_lr_same_printed(lh[k].lr, lh[k + 1].lr));
			hits->rank[hits->n++] = k + 1;
		}
	}
	hits->m = hits->n;
done:
	if (cmap) khash_str2int_destroy(cmap);
	part_free(&A); part_free(&B);
	free(rsel); free(csel); free(ord); free(rnew); free(merged); free(pbuf);
	if (ret < 0) km_hits_destroy(hits);
	return ret;
}

/* ---- the run's record ------------------------------------------------------------------- */
int km_incr_begin(km_incr_t *I, const km_tabs_t *t, km_err_t *e)
{
	if (!I) return 0;
	const km_incr_ctx_t *c = I->ctx;
	sqlite3 *db = km_store_db(I->s);
	sqlite3_stmt *q = NULL;
	int ret;
	char od[4096];
	if (!realpath(c->o->out, od)) snprintf(od, sizeof od, "%s", c->o->out);
	if ((ret = km_store_run_begin(I->s, I->started, od, I->incr, I->keep ? I->key : NULL, &I->run, e)) < 0) return ret;
	/* the incremental state: only the latest run's is kept */
	if (sqlite3_exec(db, "DELETE FROM cache_rows; DELETE FROM remain_state; DELETE FROM family_state;", NULL, NULL, NULL) != SQLITE_OK) goto sqfail;
	if (!I->keep || !I->lh) return 0;
	if (sqlite3_prepare_v2(db, "INSERT INTO family_state(run, family, hash) VALUES (?, ?, ?)", -1, &q, NULL) != SQLITE_OK) goto sqfail;
	for (int f = 0; f < I->n_fam; ++f) {
		sqlite3_bind_int64(q, 1, I->run);
		sqlite3_bind_text(q, 2, c->peds->fam[f].id, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, I->fh[f].h, -1, SQLITE_STATIC);
		if (sqlite3_step(q) != SQLITE_DONE) goto sqfail;
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
	if (sqlite3_prepare_v2(db, "INSERT INTO remain_state(run, remain, hash, n_rows, complete) VALUES (?, ?, ?, ?, ?)", -1, &q, NULL) != SQLITE_OK) goto sqfail;
	for (int r = 0; r < I->n_rem; ++r) {
		sqlite3_bind_int64(q, 1, I->run);
		sqlite3_bind_text(q, 2, c->rem->sample[r], -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, I->rh[r].h, -1, SQLITE_STATIC);
		sqlite3_bind_int(q, 4, I->ln[r]);
		sqlite3_bind_int(q, 5, I->lc[r]);
		if (sqlite3_step(q) != SQLITE_DONE) goto sqfail;
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
	if (sqlite3_prepare_v2(db, "INSERT INTO cache_rows(run, remain, ord, family, missing, log10_lr, hit) VALUES (?, ?, ?, ?, ?, ?, ?)", -1, &q, NULL) != SQLITE_OK) goto sqfail;
	for (int r = 0; r < I->n_rem; ++r)
		for (int k = 0; k < I->ln[r]; ++k) {
			km_hit_t h = I->lh[(size_t)r * I->D + k];
			int ci = h.cand;
			h.remain = -1, h.cand = -1;   /* indices of this run only */
			sqlite3_bind_int64(q, 1, I->run);
			sqlite3_bind_text(q, 2, c->rem->sample[r], -1, SQLITE_STATIC);
			sqlite3_bind_int(q, 3, k);
			sqlite3_bind_text(q, 4, cand_fam(t, c->peds, ci), -1, SQLITE_STATIC);
			sqlite3_bind_text(q, 5, cand_miss(t, c->peds, ci), -1, SQLITE_STATIC);
			if (isnan(h.lr)) sqlite3_bind_null(q, 6); else sqlite3_bind_double(q, 6, h.lr);
			sqlite3_bind_blob(q, 7, &h, (int)sizeof h, SQLITE_TRANSIENT);
			if (sqlite3_step(q) != SQLITE_DONE) goto sqfail;
			sqlite3_reset(q);
		}
	sqlite3_finalize(q);
	return 0;
sqfail:
	ret = km_err_set(e, KM_EIO, "--store %s: cannot record the run: %s", c->o->store, sqlite3_errmsg(db));
	sqlite3_finalize(q);
	km_store_run_abort(I->s);
	return ret;
}

/* DIR/manifest.json when the run wrote one, else what this run knows */
static char *manifest_text(km_incr_t *I, const char *dir, const char *finished)
{
	size_t lf = strlen(dir) + 32;
	char *fn = malloc(lf);
	kstring_t k = { 0, 0, NULL };
	if (!fn) return NULL;
	snprintf(fn, lf, "%s/manifest.json", dir);
	FILE *fp = fopen(fn, "rb");
	free(fn);
	if (fp) {
		char buf[65536];
		size_t n;
		while ((n = fread(buf, 1, sizeof buf, fp)) > 0) kputsn(buf, n, &k);
		fclose(fp);
		if (k.s) return k.s;
	}
	ksprintf(&k, "{\"kinmatch_version\": \"%s\", \"argv\": %s, \"started\": \"%s\", \"finished\": \"%s\", \"incremental\": %s, \"model_key\": ",
	         KM_VERSION, I->argv_json ? I->argv_json : "[]", I->started, finished, I->incr ? "true" : "false");
	json_str(&k, I->key ? I->key : "");
	kputc('}', &k);
	return k.s;
}

int km_incr_commit(km_incr_t *I, const char *dir, const char *const *files, km_err_t *e)
{
	if (!I) return 0;
	char fin[32];
	int ret;
	if ((ret = km_store_run_file(I->s, I->run, dir, "matches.tsv", e)) < 0) goto fail;
	for (int i = 0; files && files[i]; ++i)
		if ((ret = km_store_run_file(I->s, I->run, dir, files[i], e)) < 0) goto fail;
	km_store_now(fin);
	char *man = manifest_text(I, dir, fin);
	if (!man) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto fail; }
	ret = km_store_run_commit(I->s, I->run, fin, man, e);
	free(man);
	if (ret < 0) goto fail;
	return 0;
fail:
	km_store_run_abort(I->s);
	/* the files are in DIR, the store does not have them: say so (never silently) */
	{
		km_err_t e2;
		snprintf(e2.msg, sizeof e2.msg, "%.500s; the results in %.200s are complete but the store %.200s did not record this run (rerun with --store to record it)",
		         e->msg, dir, I->o->store);
		*e = e2;
	}
	return ret;
}

void km_incr_close(km_incr_t *I)
{
	if (!I) return;
	km_store_close(I->s);
	prev_free(I);
	free(I->key); free(I->argv_json);
	free(I->rh); free(I->fh);
	free(I->lh); free(I->ls); free(I->ln); free(I->lc);
	free(I);
}
