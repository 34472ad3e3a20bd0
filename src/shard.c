/* shard.c — sharded runs (issue 17; shard.h has the file layout).
 *
 * Why the merge is exact: a remain's top K + 1 over all candidates is contained in the
 * union of its top K + 1 in each shard (every candidate is in exactly one shard), and the
 * total order (log10 LR as a double, then candidate index) is the one of a single run
 * once the shard's candidates are mapped back to the single run's indices.  The values
 * travel as C99 hex floats, so the merge ranks and prints the very doubles a single run
 * computed: each (remain, candidate) value is computed by the same code on the same
 * index of the remains (the index does not depend on the families), the tables' cache
 * gives the same bits whichever problem filled it (compile.c), and the screen never
 * changes a reported value (scan.c).  The identification runs at the merge on the
 * shards' sparse pairs (its conditioning recomputes the families that received a
 * remain), as do explain, the report's files, the store's entries and the manifest.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <htslib/khash.h>
#include <htslib/khash_str2int.h>
#include <htslib/kstring.h>
#include "kmpriv.h"
#include "pipe.h"
#include "rank.h"
#include "sha256.h"
#include "shard.h"

const km_merge_in_t *km_merge_in;

KHASH_MAP_INIT_INT64(pinc, int)

int km_shard_parse(const char *s, int *k, int *n, km_err_t *e)
{
	char *end;
	long a, b;
	errno = 0;
	a = strtol(s, &end, 10);
	if (end == s || *end != '/' || errno) goto bad;
	const char *t = end + 1;
	b = strtol(t, &end, 10);
	if (end == t || *end || errno) goto bad;
	if (b < 1 || b > 100000 || a < 0 || a >= b) goto bad;
	*k = (int)a, *n = (int)b;
	return 0;
bad:
	return km_err_set(e, KM_EUSAGE, "--shard: expected K/N with 0 <= K < N (e.g. 0/4 for the first of 4 shards), got '%s'", s);
}

/* The compile cost of a family, as a proxy: every missing person is a candidate, each
 * compiled at every locus with the pedigree peeled once per typed-reference pattern, so
 * candidates x persons x (1 + typed references). */
double km_shard_cost(const km_family_t *F)
{
	int nm = 0, nr = 0;
	for (int i = 0; i < F->n_person; ++i) {
		nm += F->person[i].role == KM_ROLE_MISSING;
		nr += F->person[i].role == KM_ROLE_REFERENCE;
	}
	return (double)nm * F->n_person * (1.0 + nr);
}

/* A family's shape: per person in file order its sex, role and parents' indices.  Two
 * families of one shape have the same pruned pedigrees at every locus (compile.c's
 * prune_key), so their tables are shared wherever their references' genotypes agree;
 * families of one shape kept in one shard keep that sharing (issue 17: spreading them
 * over the shards computed a third more tables at N = 4). */
typedef struct { double cost; const char *id; const int *sig; int nsig, f; } fshape_t;

static int cmp_fshape(const void *x, const void *y)
{
	const fshape_t *a = x, *b = y;
	if (a->nsig != b->nsig) return a->nsig < b->nsig ? -1 : 1;
	int c = memcmp(a->sig, b->sig, sizeof(int) * (size_t)a->nsig);
	if (c) return c;
	return strcmp(a->id, b->id);
}

int km_shard_families(const km_peds_t *peds, int n, int *fshard, km_err_t *e)
{
	int nf = peds->n_family;
	size_t ns = 0;
	for (int f = 0; f < nf; ++f) ns += 4 * (size_t)peds->fam[f].n_person;
	fshape_t *v = malloc(sizeof(fshape_t) * ((size_t)nf + 1));
	int *sig = malloc(sizeof(int) * (ns + 1));
	if (!v || !sig) { free(v); free(sig); return km_err_set(e, KM_ENOMEM, "out of memory"); }
	double total = 0.0;
	for (int f = 0, k = 0; f < nf; ++f) {
		const km_family_t *F = &peds->fam[f];
		v[f] = (fshape_t){ km_shard_cost(F), F->id, sig + k, 4 * F->n_person, f };
		for (int i = 0; i < F->n_person; ++i) {
			const km_person_t *P = &F->person[i];
			sig[k++] = P->sex, sig[k++] = P->role, sig[k++] = P->father, sig[k++] = P->mother;
		}
		total += v[f].cost;
	}
	qsort(v, (size_t)nf, sizeof(fshape_t), cmp_fshape);
	/* cut the families, in (shape, id) order, at equal shares of the summed cost: shard k
	 * takes the families whose cost midpoint falls in [k T, (k + 1) T), T = total / n, so
	 * a shape spans two shards only where a cut falls inside it */
	double cum = 0.0, T = total / n;
	for (int i = 0; i < nf; ++i) {
		double mid = cum + 0.5 * v[i].cost;
		int k = T > 0.0 ? (int)(mid / T) : 0;
		fshard[v[i].f] = k < n ? k : n - 1;
		cum += v[i].cost;
	}
	free(v); free(sig);
	return 0;
}

void km_shard_filter(km_tabs_t *t, const int *fshard, int k)
{
	int m = 0;
	for (int c = 0; c < t->n_cand; ++c) {
		if (fshard[t->cand[c].fam] != k) continue;
		t->cand[m] = t->cand[c];
		if (t->csex) t->csex[m] = t->csex[c];
		++m;
	}
	t->n_cand = m;
}

int km_shard_key(char hex[65], const char *text, const char *const *files, int n_files, km_err_t *e)
{
	km_sha256_t c;
	uint8_t d[32];
	km_sha256_init(&c);
	km_sha256_update(&c, "kinmatch-shard-key 1\n", 21);
	km_sha256_update(&c, text, strlen(text));
	for (int i = 0; i < n_files; ++i) {
		char fh[65];
		uint64_t bytes;
		int ret;
		if (!files[i]) { km_sha256_update(&c, "-\n", 2); continue; }
		if ((ret = km_sha256_file(files[i], fh, &bytes, e)) < 0) return ret;
		km_sha256_update(&c, fh, 64);
		km_sha256_update(&c, "\n", 1);
	}
	km_sha256_final(&c, d);
	km_sha256_hex(d, hex);
	return 0;
}

/* a double as it travels: C99 hex float (exact), inf, -inf, nan */
static void put_d(FILE *fp, double x)
{
	if (isnan(x)) fputs("nan", fp);
	else if (isinf(x)) fputs(x < 0 ? "-inf" : "inf", fp);
	else fprintf(fp, "%a", x);
}

int km_shard_write(FILE *info, FILE *rows, FILE *sparse, FILE *incon, const km_shard_out_t *so,
                   const km_hits_t *hits, const km_tabs_t *t, const km_peds_t *peds, const km_prof_t *rem,
                   const km_incon_t *inc, size_t n_inc, km_err_t *e)
{
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof cwd)) return km_err_set(e, KM_EIO, "--shard: cannot read the working directory: %s", strerror(errno));
	fprintf(info, "field\tvalue\tvalue2\nkinmatch-shard\t2\t\nversion\t%s\t\nshard\t%d\t%d\nkey\t%s\t\ncwd\t%s\t\ncandidates\t%d\t\ninconsistent\t%ld\t\n%s",
	        KM_VERSION, so->k, so->n, so->key, cwd, t->n_cand, so->n_inconsistent, so->opts);
	fputs("remain\tfamily\tmissing\tloci\tlr\tstr\tsnp\tx\ty\tmt\ty_ref\ty_k\tmt_ref\tmt_k\tincon\n", rows);
	for (size_t i = 0; i < hits->n; ++i) {
		const km_hit_t *h = &hits->h[i];
		const km_family_t *F = &peds->fam[t->cand[h->cand].fam];
		fprintf(rows, "%s\t%s\t%s\t%d\t", rem->sample[h->remain], F->id, F->person[t->cand[h->cand].person].id, h->loci);
		put_d(rows, h->lr);
		for (int s = 0; s < KM_N_SYS; ++s) fputc('\t', rows), put_d(rows, h->sys[s]);
		fprintf(rows, "\t%d\t%d\t%d\t%d\t%d\n", h->lin_ref[0], h->lin_k[0], h->lin_ref[1], h->lin_k[1],
		        hits->incon ? hits->incon[i] : -1);
	}
	if (sparse) {
		fputs("remain\tfamily\tmissing\tlr\n", sparse);
		for (size_t i = 0; i < hits->n_sp; ++i) {
			const km_family_t *F = &peds->fam[t->cand[hits->sp[i].cand].fam];
			fprintf(sparse, "%s\t%s\t%s\t", rem->sample[hits->sp[i].remain], F->id, F->person[t->cand[hits->sp[i].cand].person].id);
			put_d(sparse, hits->sp[i].lr);
			fputc('\n', sparse);
		}
	}
	fputs("family\tmissing\tlocus\n", incon);
	for (size_t i = 0; i < n_inc; ++i) {
		const km_family_t *F = &peds->fam[inc[i].fam];
		fprintf(incon, "%s\t%s\t%d\n", F->id, F->person[inc[i].person].id, inc[i].l);
	}
	if (ferror(info) || ferror(rows) || (sparse && ferror(sparse)) || ferror(incon)) return km_err_set(e, KM_EIO, "--shard: write error");
	return 0;
}

/* ---- the merge ------------------------------------------------------------------------ */

static int get_d(km_tsv_t *r, int col, double *x, km_err_t *e)
{
	const char *s = km_tsv_field(r, col);
	char *end;
	if (strcmp(s, "nan") == 0) { *x = NAN; return 0; }
	*x = strtod(s, &end);
	if (end == s || *end) return km_tsv_fail(r, col, e, "not a number: '%s' (a damaged shard result?)", s);
	return 0;
}

static int get_i(km_tsv_t *r, int col, int *x, km_err_t *e)
{
	const char *s = km_tsv_field(r, col);
	char *end;
	long v = strtol(s, &end, 10);
	if (end == s || *end || v < INT_MIN || v > INT_MAX) return km_tsv_fail(r, col, e, "not an integer: '%s' (a damaged shard result?)", s);
	*x = (int)v;
	return 0;
}

typedef struct {
	void *cand;             /* "family\tmissing" -> candidate index */
	const km_prof_t *rem;
	const km_peds_t *peds;
	char *kbuf;
	size_t m_kbuf;
} maps_t;

/* the candidate of a shard line's family and missing columns (f0, f0 + 1) */
static int find_cand(maps_t *M, km_tsv_t *r, int f0, int *ci, km_err_t *e)
{
	const char *fam = km_tsv_field(r, f0), *mis = km_tsv_field(r, f0 + 1);
	size_t need = strlen(fam) + strlen(mis) + 2;
	if (need > M->m_kbuf) {
		char *t = realloc(M->kbuf, need * 2);
		if (!t) return km_err_set(e, KM_ENOMEM, "out of memory");
		M->kbuf = t, M->m_kbuf = need * 2;
	}
	snprintf(M->kbuf, M->m_kbuf, "%s\t%s", fam, mis);
	if (khash_str2int_get(M->cand, M->kbuf, ci) != 0)
		return km_tsv_fail(r, f0, e, "no missing person '%s' in family '%s': the shard was run on other inputs", mis, fam);
	return 0;
}

/* the remain and candidate of a shard line (columns 0, 1, 2) */
static int find_pair(maps_t *M, km_tsv_t *r, int *ri, int *ci, km_err_t *e)
{
	const char *rid = km_tsv_field(r, 0);
	if ((*ri = km_prof_find(M->rem, rid)) < 0) return km_tsv_fail(r, 0, e, "remain '%s' is not among the remains: the shard was run on other inputs", rid);
	return find_cand(M, r, 1, ci, e);
}

static int cmp_sent2(const void *x, const void *y)   /* scan.c's order: candidate, then remain */
{
	const km_sent_t *a = x, *b = y;
	if (a->cand != b->cand) return a->cand < b->cand ? -1 : 1;
	return (a->remain > b->remain) - (a->remain < b->remain);
}

static void push_hit(km_hit_t *top, int *n, int K, const km_hit_t *h)
{
	if (*n == K && !km_rank_better(h->lr, h->cand, top[K - 1].lr, top[K - 1].cand)) return;
	int i = *n < K ? (*n)++ : K - 1;
	while (i > 0 && km_rank_better(h->lr, h->cand, top[i - 1].lr, top[i - 1].cand)) { top[i] = top[i - 1]; --i; }
	top[i] = *h;
}

static char *path2(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);
	if (p) snprintf(p, n, "%s/%s", dir, name);
	return p;
}

int km_shard_load(km_hits_t *hits, const km_merge_in_t *mi, const km_tabs_t *t, const km_peds_t *peds,
                  const km_prof_t *rem, const km_index_t *ix, km_comp_t *C, const km_sopt_t *o, km_err_t *e)
{
	int nr = rem->n_sample, nc = t->n_cand, ret = 0;
	int K = o->all ? nc : (o->top < nc ? o->top : nc), Kout = K;
	if (!o->all && K < nc) ++K;
	double min_lr = o->all ? KM_NEG_INF : o->min_lr;
	maps_t M = { NULL, rem, peds, NULL, 0 };
	km_hit_t *top = NULL, *all = NULL;
	int *n_top = NULL;
	km_sent_t *sp = NULL;
	size_t n_sp = 0, m_sp = 0;
	km_tsv_t *r = NULL;
	char *fn = NULL;
	khash_t(pinc) *pinc = kh_init(pinc);   /* (remain, candidate) -> the row's inconsistent count */
	memset(hits, 0, sizeof *hits);
	if (!pinc) return km_err_set(e, KM_ENOMEM, "out of memory");
	if (!(M.cand = khash_str2int_init())) { kh_destroy(pinc, pinc); return km_err_set(e, KM_ENOMEM, "out of memory"); }
	for (int c = 0; c < nc; ++c) {
		const km_family_t *F = &peds->fam[t->cand[c].fam];
		size_t n = strlen(F->id) + strlen(F->person[t->cand[c].person].id) + 2;
		char *k = malloc(n);
		if (!k) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto done; }
		snprintf(k, n, "%s\t%s", F->id, F->person[t->cand[c].person].id);
		if (khash_str2int_set(M.cand, k, c) < 0) { free(k); ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto done; }
	}
	if (o->all) {
		if (!(all = malloc(sizeof(km_hit_t) * ((size_t)nr * nc + 1)))) { ret = km_err_set(e, KM_ENOMEM, "out of memory: --all keeps %d x %d rows", nr, nc); goto done; }
		for (size_t i = 0; i < (size_t)nr * nc; ++i) all[i].cand = -1, all[i].lr = KM_NEG_INF;
	} else if (!(top = malloc(sizeof(km_hit_t) * ((size_t)nr * (K > 0 ? K : 1) + 1)))) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto done; }
	if (!(n_top = calloc((size_t)nr + 1, sizeof(int)))) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto done; }
	for (int s = 0; s < mi->n; ++s) {
		/* the rows */
		free(fn);
		if (!(fn = path2(mi->dir[s], "rows.tsv"))) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto done; }
		if ((ret = km_tsv_open(&r, fn, e)) < 0 || (ret = km_tsv_header(r, e)) < 0) goto done;
		if (km_tsv_ncol(r) != 15) { ret = km_err_at(e, fn, 1, 1, "not a kinmatch shard's rows.tsv (15 columns)"); goto done; }
		while ((ret = km_tsv_next(r, e)) > 0) {
			km_hit_t h;
			int ic;
			if ((ret = find_pair(&M, r, &h.remain, &h.cand, e)) < 0 || (ret = get_i(r, 3, &h.loci, e)) < 0 || (ret = get_d(r, 4, &h.lr, e)) < 0) goto done;
			for (int k = 0; k < KM_N_SYS; ++k) if ((ret = get_d(r, 5 + k, &h.sys[k], e)) < 0) goto done;
			if ((ret = get_i(r, 10, &h.lin_ref[0], e)) < 0 || (ret = get_i(r, 11, &h.lin_k[0], e)) < 0 ||
			    (ret = get_i(r, 12, &h.lin_ref[1], e)) < 0 || (ret = get_i(r, 13, &h.lin_k[1], e)) < 0 ||
			    (ret = get_i(r, 14, &ic, e)) < 0) goto done;
			if (ic >= 0) {   /* the row's `inconsistent` count, computed by its shard */
				int absent;
				khint_t it = kh_put(pinc, pinc, (uint64_t)h.remain * (uint64_t)nc + (uint64_t)h.cand, &absent);
				if (absent < 0) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto done; }
				kh_value(pinc, it) = ic;
			}
			if (o->all) all[(size_t)h.remain * nc + h.cand] = h;
			else push_hit(top + (size_t)h.remain * K, &n_top[h.remain], K, &h);
		}
		if (ret < 0) goto done;
		km_tsv_close(r), r = NULL;
		/* the identification's pairs */
		if (o->sparse) {
			free(fn);
			if (!(fn = path2(mi->dir[s], "sparse.tsv"))) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto done; }
			if ((ret = km_tsv_open(&r, fn, e)) < 0 || (ret = km_tsv_header(r, e)) < 0) goto done;
			while ((ret = km_tsv_next(r, e)) > 0) {
				km_sent_t x;
				if ((ret = find_pair(&M, r, &x.remain, &x.cand, e)) < 0 || (ret = get_d(r, 3, &x.lr, e)) < 0) goto done;
				if (n_sp == m_sp) {
					size_t m = m_sp ? 2 * m_sp : 4096;
					km_sent_t *y = realloc(sp, sizeof(km_sent_t) * m);
					if (!y) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto done; }
					sp = y, m_sp = m;
				}
				sp[n_sp++] = x;
			}
			if (ret < 0) goto done;
			km_tsv_close(r), r = NULL;
		}
		/* the inconsistent (candidate, locus) pairs */
		free(fn);
		if (!(fn = path2(mi->dir[s], "incon.tsv"))) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto done; }
		if ((ret = km_tsv_open(&r, fn, e)) < 0 || (ret = km_tsv_header(r, e)) < 0) goto done;
		while ((ret = km_tsv_next(r, e)) > 0) {
			int c, l;
			if ((ret = find_cand(&M, r, 0, &c, e)) < 0) goto done;
			if ((ret = get_i(r, 2, &l, e)) < 0) goto done;
			if (l < 0 || l >= ix->n_loc) { ret = km_tsv_fail(r, 2, e, "locus %d out of range: the shard was run on other inputs", l); goto done; }
			if ((ret = km_comp_incon_add(C, t->cand[c].fam, t->cand[c].person, l)) < 0) { ret = km_err_set(e, ret, "out of memory"); goto done; }
		}
		if (ret < 0) goto done;
		km_tsv_close(r), r = NULL;
	}
	if ((ret = km_rank_merge(hits, rem, nr, nc, K, Kout, min_lr, o->all, all, top, n_top, e)) < 0) goto done;
	if (kh_size(pinc) > 0) {   /* typing error: every kept row has its shard's count */
		if (!(hits->incon = calloc(hits->n + 1, sizeof(int)))) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto done; }
		for (size_t i = 0; i < hits->n; ++i) {
			khint_t it = kh_get(pinc, pinc, (uint64_t)hits->h[i].remain * (uint64_t)nc + (uint64_t)hits->h[i].cand);
			if (it == kh_end(pinc)) { ret = km_err_set(e, KM_EINPUT, "merge: a row without its inconsistent count: shards of different runs"); goto done; }
			hits->incon[i] = kh_value(pinc, it);
		}
	}
	if (o->sparse) {
		if (n_sp > 1) qsort(sp, n_sp, sizeof(km_sent_t), cmp_sent2);
		hits->sp = sp, hits->n_sp = n_sp, hits->sparse_on = 1, sp = NULL;
	}
	ret = 0;
done:
	if (r) km_tsv_close(r);
	free(fn);
	free(top); free(all); free(n_top); free(sp);
	free(M.kbuf);
	kh_destroy(pinc, pinc);
	khash_str2int_destroy_free(M.cand);
	if (ret < 0) km_hits_destroy(hits);
	return ret;
}

/* ---- kinmatch merge ------------------------------------------------------------------- */
typedef struct {
	char *dir;              /* absolute */
	int k, n;
	char key[65];
	char *cwd;
	long incon;
	char *opts;             /* the (flag|opt) lines, for the argv of match */
	size_t n_opts;
} sinfo_t;

static void sinfo_free(sinfo_t *s)
{
	free(s->dir); free(s->cwd); free(s->opts);
}

/* a whole cell as a decimal integer: 0, else -1 */
static int parse_long(const char *s, long *x)
{
	char *end;
	errno = 0;
	*x = strtol(s, &end, 10);
	return end == s || *end || errno ? -1 : 0;
}

static int read_info(sinfo_t *si, const char *dir, km_err_t *e)
{
	char *fn = path2(dir, "shard.info");
	km_tsv_t *r = NULL;
	int ret, magic = 0;
	kstring_t opts = { 0, 0, NULL };
	memset(si, 0, sizeof *si);
	si->k = -1;
	if (!fn) return km_err_set(e, KM_ENOMEM, "out of memory");
	if (access(fn, R_OK) != 0) {
		ret = km_err_set(e, KM_EOPEN, "%s: not a kinmatch shard result (no readable shard.info: %s)", dir, strerror(errno));
		free(fn);
		return ret;
	}
	if ((ret = km_tsv_open(&r, fn, e)) < 0 || (ret = km_tsv_header(r, e)) < 0) goto done;
	while ((ret = km_tsv_next(r, e)) > 0) {
		const char *f = km_tsv_field(r, 0), *v = km_tsv_field(r, 1), *w = km_tsv_field(r, 2);
		if (strcmp(f, "kinmatch-shard") == 0) {
			if (strcmp(v, "2") != 0) { ret = km_tsv_fail(r, 1, e, "shard result format %s: this kinmatch reads format 2", v); goto done; }
			magic = 1;
		} else if (strcmp(f, "version") == 0) {
			if (strcmp(v, KM_VERSION) != 0) { ret = km_tsv_fail(r, 1, e, "made by kinmatch %s; merge shards with the kinmatch that made them (this is %s)", v, KM_VERSION); goto done; }
		} else if (strcmp(f, "shard") == 0) {
			long a, b;
			if (parse_long(v, &a) < 0 || parse_long(w, &b) < 0 || a < 0 || b < 1 || a >= b || b > 100000)
				{ ret = km_tsv_fail(r, 1, e, "shard '%s' '%s': expected K and N with 0 <= K < N", v, w); goto done; }
			si->k = (int)a, si->n = (int)b;
		} else if (strcmp(f, "key") == 0) {
			snprintf(si->key, sizeof si->key, "%s", v);
		} else if (strcmp(f, "cwd") == 0) {
			if (!(si->cwd = strdup(v))) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto done; }
		} else if (strcmp(f, "inconsistent") == 0) {
			if (parse_long(v, &si->incon) < 0 || si->incon < 0)
				{ ret = km_tsv_fail(r, 1, e, "inconsistent '%s': expected a count", v); goto done; }
		} else if (strcmp(f, "opt") == 0 || strcmp(f, "flag") == 0) {
			ksprintf(&opts, "%s\t%s\t%s\n", f, v, w);
			++si->n_opts;
		}
	}
	if (ret < 0) goto done;
	if (!magic || si->k < 0 || si->n < 1 || si->k >= si->n || !si->key[0] || !si->cwd) {
		ret = km_err_at(e, fn, 1, 1, "not a complete kinmatch shard result (format, shard, key or cwd missing)");
		goto done;
	}
	si->opts = opts.s ? opts.s : strdup(""), opts.s = NULL;
	ret = 0;
done:
	if (r) km_tsv_close(r);
	free(opts.s);
	free(fn);
	return ret;
}

static void merge_usage(FILE *fp)
{
	fputs("Usage: kinmatch merge --out DIR [--store FILE] [--threads N] [--quiet] SHARD_DIR...\n"
	      "\nMerges the results of `kinmatch match ... --shard K/N --out SHARD_DIR` for K = 0..N-1 into\n"
	      "exactly the files a single `kinmatch match` would write in DIR (matches.tsv, and with --dvi\n"
	      "the identification), running the identification, explain and the manifest here.  Every\n"
	      "shard must be given once, all made with the same inputs and options (their key).\n"
	      "  --out DIR       the merged run's directory\n"
	      "  --store FILE    record the merged run in the results store (as match --store does;\n"
	      "                  with --dvi its confirmed and rejected reviews apply); it keeps no\n"
	      "                  incremental state, so a later --incremental night runs in full\n"
	      "  --threads N     threads of the merge's own work (identification, explain) [all]\n"
	      "  --quiet         no summary on stderr\n", fp);
	fputs(KM_EXIT_HELP, fp);
}

int km_cmd_match(int argc, char *argv[]);

int km_cmd_merge(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "out", required_argument, 0, 'o' }, { "threads", required_argument, 0, 't' },
		{ "quiet", no_argument, 0, 'q' }, { "help", no_argument, 0, 'h' }, { "store", required_argument, 0, 's' },
		{ 0, 0, 0, 0 } };
	const char *out = NULL, *threads = NULL, *store = NULL;
	int quiet = 0, c, ret = 0, ns = 0;
	km_err_t e = { "" };
	sinfo_t *si = NULL;
	km_merge_in_t mi = { 0 };
	char **av = NULL;
	char *outabs = NULL;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) >= 0) {
		switch (c) {
		case 'o': out = optarg; break;
		case 't': { int n; if ((ret = km_opt_int("threads", optarg, 1, 1024, &n, &e)) < 0) goto fail; threads = optarg; break; }
		case 'q': quiet = 1; break;
		case 's': store = optarg; break;
		case 'h': merge_usage(stdout); return 0;
		default: return km_opt_unknown("merge", c, argv, &e);
		}
	}
	if (!out) { ret = km_err_set(&e, KM_EUSAGE, "merge: --out DIR is required (see kinmatch merge --help)"); goto fail; }
	ns = argc - optind;
	if (ns < 1) { ret = km_err_set(&e, KM_EUSAGE, "merge: no shard directories given (see kinmatch merge --help)"); goto fail; }
	if (!(si = calloc((size_t)ns, sizeof *si))) { ret = km_err_set(&e, KM_ENOMEM, "out of memory"); goto fail; }
	for (int i = 0; i < ns; ++i) {
		const char *d = argv[optind + i];
		if ((ret = read_info(&si[i], d, &e)) < 0) goto fail;
		if (!(si[i].dir = realpath(d, NULL))) { ret = km_err_set(&e, KM_EOPEN, "%s: %s", d, strerror(errno)); goto fail; }
	}
	/* one set of shards: the same N and key, every K once */
	for (int i = 1; i < ns; ++i) {
		if (si[i].n != si[0].n)
			{ ret = km_err_set(&e, KM_EINPUT, "merge: %s is shard %d/%d but %s is shard %d/%d: shards of different splits", argv[optind + i], si[i].k, si[i].n, argv[optind], si[0].k, si[0].n); goto fail; }
		if (strcmp(si[i].key, si[0].key) != 0)
			{ ret = km_err_set(&e, KM_EINPUT, "merge: %s was made with other inputs or options than %s (their keys differ: a file changed, or another command line)", argv[optind + i], argv[optind]); goto fail; }
	}
	{
		int n = si[0].n;
		int *seen = malloc(sizeof(int) * (size_t)n);
		if (!seen) { ret = km_err_set(&e, KM_ENOMEM, "out of memory"); goto fail; }
		for (int k = 0; k < n; ++k) seen[k] = -1;
		for (int i = 0; i < ns; ++i) {
			if (seen[si[i].k] >= 0) {
				ret = km_err_set(&e, KM_EINPUT, "merge: %s and %s are both shard %d/%d", argv[optind + seen[si[i].k]], argv[optind + i], si[i].k, n);
				free(seen);
				goto fail;
			}
			seen[si[i].k] = i;
		}
		for (int k = 0; k < n; ++k)
			if (seen[k] < 0) {
				ret = km_err_set(&e, KM_EINPUT, "merge: shard %d/%d is missing (%d of %d shards given)", k, n, ns, n);
				free(seen);
				goto fail;
			}
		free(seen);
	}
	/* --out as an absolute path, then the shards' working directory (their relative input paths) */
	if (out[0] == '/') outabs = strdup(out);
	else {
		char cwd[PATH_MAX];
		if (!getcwd(cwd, sizeof cwd)) { ret = km_err_set(&e, KM_EIO, "merge: cannot read the working directory: %s", strerror(errno)); goto fail; }
		outabs = path2(cwd, out);
	}
	if (!outabs) { ret = km_err_set(&e, KM_ENOMEM, "out of memory"); goto fail; }
	if (chdir(si[0].cwd) != 0) { ret = km_err_set(&e, KM_EOPEN, "merge: the shards ran in %s, which cannot be entered here: %s", si[0].cwd, strerror(errno)); goto fail; }
	/* the argv of `match`: the shards' options, --out, and the merge's own --threads / --quiet */
	size_t m = 10 + 2 * si[0].n_opts;
	if (!(av = calloc(m, sizeof(char *)))) { ret = km_err_set(&e, KM_ENOMEM, "out of memory"); goto fail; }
	int na = 0;
	av[na++] = strdup("kinmatch"), av[na++] = strdup("match");
	for (char *line = si[0].opts, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		*nl = 0;
		char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		if (!t1 || !t2) break;
		*t1 = 0, *t2 = 0;
		size_t ln = strlen(t1 + 1) + 3;
		char *o2 = malloc(ln);
		if (o2) snprintf(o2, ln, "--%s", t1 + 1);
		av[na++] = o2;
		if (strcmp(line, "opt") == 0) av[na++] = strdup(t2 + 1);
	}
	av[na++] = strdup("--out"), av[na++] = strdup(outabs);
	if (threads) av[na++] = strdup("--threads"), av[na++] = strdup(threads);
	if (quiet) av[na++] = strdup("--quiet");
	if (store) av[na++] = strdup("--store"), av[na++] = strdup(store);
	for (int i = 0; i < na; ++i) if (!av[i]) { ret = km_err_set(&e, KM_ENOMEM, "out of memory"); goto fail; }
	mi.n = ns;
	if (!(mi.dir = calloc((size_t)ns, sizeof(char *)))) { ret = km_err_set(&e, KM_ENOMEM, "out of memory"); goto fail; }
	for (int i = 0; i < ns; ++i) mi.dir[si[i].k] = si[i].dir, mi.n_inconsistent += si[i].incon;   /* in shard order */
	snprintf(mi.key, sizeof mi.key, "%s", si[0].key);
	km_merge_in = &mi;
	ret = km_cmd_match(na - 1, av + 1);
	km_merge_in = NULL;
	for (int i = 0; i < na; ++i) free(av[i]);
	free(av);
	free(mi.dir);
	for (int i = 0; i < ns; ++i) sinfo_free(&si[i]);
	free(si);
	free(outabs);
	return ret;
fail:
	km_err_print(&e);
	if (av) for (size_t i = 0; i < m; ++i) free(av[i]);
	free(av);
	free(mi.dir);
	for (int i = 0; si && i < ns; ++i) sinfo_free(&si[i]);
	free(si);
	free(outabs);
	return km_exit_code(ret);
}
