/* test_sim.c — `kinmatch simulate` (sim.c).
 *
 * - byte-stable: the same seed gives identical files at --threads 1 and 2 (plain and
 *   .gz), and another seed gives other files;
 * - founders' allele frequencies match --freqs (chi-square through GSL, p > 1e-3);
 * - gene dropping: autosomal alleles come one from each parent; X: males hemizygous,
 *   a father's X goes to his daughters only, sons get their mother's;
 * - every written file reads back through the project's readers (km_prof_load,
 *   km_peds_load, km_peds_link, km_mt_load), truth.tsv agrees with them, and the
 *   lineages work: a grand-nephew through brothers shares the missing man's Y
 *   haplotype, one through sisters his mtDNA (up to rare mutations).
 * Prints "ok <what>" or "FAIL <what>"; exits non-zero if anything failed.  Files go to
 * a private temporary directory that is removed at the end.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <gsl/gsl_cdf.h>
#include <htslib/khash_str2int.h>
#include <htslib/kstring.h>
#include "kmpriv.h"
#include "check.h"
#include "lik.h"
#include "lineage.h"
#include "sim.h"



static char *tmp_path(const char *name)
{
	static char buf[8][256];
	static int k;
	k = (k + 1) & 7;
	snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
	return buf[k];
}

static void write_file(const char *name, const char *text)
{
	FILE *fp = fopen(tmp_path(name), "w");
	if (fp == NULL || fputs(text, fp) < 0 || fclose(fp) != 0) {
		printf("FAIL cannot write %s\n", name);
		exit(1);
	}
}

/* Whole file (decompressed if gzip) into a malloc'd buffer. */
static char *slurp(const char *fn, size_t *len)
{
	gzFile fp = gzopen(fn, "rb");
	size_t n = 0, m = 1 << 16;
	char *s = malloc(m);
	int k;
	if (fp == NULL || s == NULL) { free(s); if (fp) gzclose(fp); return NULL; }
	while ((k = gzread(fp, s + n, (unsigned)(m - n))) > 0) {
		n += (size_t)k;
		if (n == m && (s = realloc(s, m *= 2)) == NULL) break;
	}
	gzclose(fp);
	if (s) s[n < m ? n : m - 1] = 0;
	*len = n;
	return s;
}

/* 1 if two files have the same bytes (compressed files compared as stored) */
static int same_bytes(const char *a, const char *b)
{
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	int same = fa && fb;
	while (same) {
		int ca = getc(fa), cb = getc(fb);
		same = ca == cb;
		if (ca == EOF || cb == EOF) break;
	}
	if (fa) fclose(fa);
	if (fb) fclose(fb);
	return same;
}

static const char *panel_tsv =
	"marker\ttype\tchrom\tmutation_rate\tfemale_rate\tmale_rate\tmotif_len\tamplicon_len\n"
	"D3S1358\tSTR\t3\t0.0013\t\t\t4\t120\n"
	"vWA\tSTR\t12\t0.0017\t\t\t4\t160\n"
	"FGA\tSTR\t4\t0.0028\t0.001\t0.004\t4\t300\n"
	"rs1\tSNP\t1\t0\t\t\t\t70\n"
	"DXS8378\tX-STR\tX\t0.002\t\t\t4\t110\n"
	"HPRTB\tX-STR\tX\t0.002\t\t\t4\t280\n"
	"DYS19\tY-STR\tY\t0.003\t\t0.003\t4\t200\n"
	"DYS385ab\tY-STR\tY\t0.003\t\t0.003\t4\t260\n"
	"DYS392\tY-STR\tY\t0.003\t\t0.003\t3\t\n";

/* frequencies deliberately not summing to exactly 1 (allowed within 0.01) */
static const char *freqs_tsv =
	"marker\tallele\tfrequency\n"
	"D3S1358\t14\t0.15\nD3S1358\t15\t0.30\nD3S1358\t16\t0.25\nD3S1358\t17\t0.20\nD3S1358\t18\t0.105\n"
	"vWA\t14\t0.20\nvWA\t16\t0.20\nvWA\t17\t0.25\nvWA\t18\t0.20\nvWA\t19\t0.10\nvWA\t20\t0.05\n"
	"FGA\t19\t0.06\nFGA\t20\t0.12\nFGA\t21\t0.17\nFGA\t22\t0.20\nFGA\t22.2\t0.02\nFGA\t23\t0.15\nFGA\t24\t0.14\nFGA\t25\t0.10\nFGA\t26\t0.04\n"
	"rs1\tA\t0.3\nrs1\tG\t0.7\n"
	"DXS8378\t10\t0.30\nDXS8378\t11\t0.35\nDXS8378\t12\t0.30\nDXS8378\t13\t0.05\n"
	"HPRTB\t11\t0.10\nHPRTB\t12\t0.30\nHPRTB\t13\t0.35\nHPRTB\t14\t0.25\n";

static void make_lineage_dbs(void)
{
	kstring_t y = { 0, 0, NULL }, mt = { 0, 0, NULL };
	static const char *vars[] = { "16093C", "16129A", "16189C", "16223T", "16362C", "73G", "150T", "263G", "310.1C", "489C" };
	kputs("id\tDYS19\tDYS385ab\tDYS392\tcount\n", &y);
	for (int h = 0; h < 40; ++h)
		ksprintf(&y, "H%d\t%d\t%d,%d\t%d\t%d\n", h, 13 + h % 4, 11 + h % 3, 14 + h % 5, 10 + (h * 7) % 6, 1 + h % 3);
	kputs("sample\trange\thaplotype\n", &mt);
	for (int h = 0; h < 30; ++h) {
		ksprintf(&mt, "M%d\t16024-16569 1-576\t", h);
		for (int j = 0, first = 1; j < 10; ++j)
			if ((h >> (j % 5)) & 1 && (j < 5) == (h % 2)) { ksprintf(&mt, "%s%s", first ? "" : " ", vars[j]); first = 0; }
		kputc('\n', &mt);
	}
	write_file("ydb.tsv", y.s);
	write_file("mtdb.tsv", mt.s);
	free(y.s), free(mt.s);
}

static void base_opts(km_simopt_t *o, const char *out)
{
	km_simopt_init(o);
	o->panel = strdup(tmp_path("panel.tsv"));
	o->freqs = strdup(tmp_path("freqs.tsv"));
	o->y_db = strdup(tmp_path("ydb.tsv"));
	o->mt_db = strdup(tmp_path("mtdb.tsv"));
	o->out = strdup(tmp_path(out));
	o->n_family = 400;
	o->remain_frac = 0.5;
	o->seed = 42;
	o->quiet = 1;
}

static void free_opts(km_simopt_t *o)
{
	free((char *)o->panel), free((char *)o->freqs), free((char *)o->y_db), free((char *)o->mt_db), free((char *)o->out);
}

static const char *const files[] = { "pedigrees", "references", "remains", "remain-info", "truth", "mtdna" };

/* ---- byte stability ----------------------------------------------------------------- */
static void test_stable(void)
{
	km_simopt_t o[4];
	km_simstat_t st;
	km_err_t e = { "" };
	char what[256];
	const char *dirs[4] = { "s_t1", "s_t2", "s_t2gz", "s_seed" };
	for (int k = 0; k < 4; ++k) {
		base_opts(&o[k], dirs[k]);
		o[k].threads = k == 0 ? 1 : 2;
		o[k].gz = k == 2;
		if (k == 3) o[k].seed = 43;
		int ret = km_sim_run(&o[k], &st, &e);
		snprintf(what, sizeof what, "simulate run %s", dirs[k]);
		check(ret == 0, what);
		if (ret) printf("  %s\n", e.msg);
	}
	for (size_t f = 0; f < sizeof files / sizeof *files; ++f) {
		char a[256], b[256], c[256];
		snprintf(a, sizeof a, "%s/%s/%s.tsv", tmpdir, dirs[0], files[f]);
		snprintf(b, sizeof b, "%s/%s/%s.tsv", tmpdir, dirs[1], files[f]);
		snprintf(what, sizeof what, "%s.tsv identical at --threads 1 and 2", files[f]);
		check(same_bytes(a, b), what);
		snprintf(c, sizeof c, "%s/%s/%s.tsv", tmpdir, dirs[3], files[f]);
		snprintf(what, sizeof what, "%s.tsv differs with another seed", files[f]);
		check(!same_bytes(a, c), what);
		/* the .gz output holds the same text */
		size_t la, lb;
		snprintf(b, sizeof b, "%s/%s/%s.tsv.gz", tmpdir, dirs[2], files[f]);
		char *ta = slurp(a, &la), *tb = slurp(b, &lb);
		snprintf(what, sizeof what, "%s.tsv.gz decompresses to %s.tsv", files[f], files[f]);
		check(ta && tb && la == lb && memcmp(ta, tb, la) == 0, what);
		free(ta), free(tb);
	}
	for (int k = 0; k < 4; ++k) free_opts(&o[k]);
}

/* ---- founders' frequencies and the inheritance rules -------------------------------- */
static void test_drop(void)
{
	km_panel_t p;
	km_freqs_t f;
	km_simopt_t o;
	km_sim_t *S = NULL;
	km_err_t e = { "" };
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	int ret;
	char what[256];
	km_simopt_init(&o);
	o.mutation = KM_MUT_NONE;
	ret = km_panel_load(&p, tmp_path("panel.tsv"), &e);
	if (ret == 0) ret = km_freqs_load(&f, &p, tmp_path("freqs.tsv"), 0.001, &e);
	if (ret == 0) ret = km_sim_init(&S, &o, &p, &f, NULL, NULL, NULL, &e);
	check(ret == 0, "km_sim_init");
	if (ret) { printf("  %s\n", e.msg); exit(1); }
	int nm = p.n_marker;

	/* founders: 20000 unrelated people (10000 men, 10000 women) */
	enum { NF = 20000 };
	int *fa = malloc(sizeof(int) * NF), *mo = malloc(sizeof(int) * NF), *sex = malloc(sizeof(int) * NF);
	int32_t *g = malloc(sizeof(int32_t) * NF * nm * 2);
	for (int i = 0; i < NF; ++i) fa[i] = mo[i] = -1, sex[i] = i % 2 ? KM_FEMALE : KM_MALE;
	gsl_rng_set(r, 12345);
	km_sim_drop(S, r, NF, fa, mo, sex, g);
	for (int m = 0; m < nm; ++m) {
		const km_alleles_t *al = &f.loc[m];
		int type = p.marker[m].type;
		if (type == KM_SYS_Y) continue;
		double cnt[64] = { 0 }, sum = 0.0, n = 0.0, chi = 0.0;
		for (int i = 0; i < NF; ++i)
			for (int k = 0; k < 2; ++k) {
				int32_t a = g[((size_t)i * nm + m) * 2 + k];
				if (a >= 0) cnt[a] += 1.0, n += 1.0;
			}
		for (int a = 0; a < al->n_allele; ++a) sum += al->p[a];
		/* pool cells expected below 5 into one, as usual for the chi-square approximation */
		double po = 0.0, pe = 0.0;
		int df = -1;
		for (int a = 0; a < al->n_allele; ++a) {
			double ex = n * al->p[a] / sum;
			if (ex < 5.0) { po += cnt[a], pe += ex; continue; }
			chi += (cnt[a] - ex) * (cnt[a] - ex) / ex, ++df;
		}
		if (pe > 0.0) chi += (po - pe) * (po - pe) / pe, ++df;
		double pv = gsl_cdf_chisq_Q(chi, df);
		snprintf(what, sizeof what, "founder alleles at %s match the frequencies (chi2 %.2f, df %d, p %.3g, %g alleles)",
		         p.marker[m].name, chi, df, pv, n);
		check(pv > 1e-3 && n == (type == KM_SYS_X ? 1.5 * NF : 2.0 * NF), what);
	}

	/* a trio and a son, 5000 times: 0 father, 1 mother, 2 daughter, 3 son */
	int tfa[4] = { -1, -1, 0, 0 }, tmo[4] = { -1, -1, 1, 1 }, tsex[4] = { KM_MALE, KM_FEMALE, KM_FEMALE, KM_MALE };
	int bad_auto = 0, bad_xd = 0, bad_xs = 0, bad_hemi = 0, n_x_het_father_diff = 0;
	for (int it = 0; it < 5000; ++it) {
		km_sim_drop(S, r, 4, tfa, tmo, tsex, g);
		for (int m = 0; m < nm; ++m) {
			const int32_t *F = g + (size_t)(0 * nm + m) * 2, *M = g + (size_t)(1 * nm + m) * 2;
			const int32_t *D = g + (size_t)(2 * nm + m) * 2, *Sn = g + (size_t)(3 * nm + m) * 2;
			int type = p.marker[m].type;
			if (type == KM_SYS_STR || type == KM_SYS_SNP) {
				bad_auto += (D[0] != F[0] && D[0] != F[1]) || (D[1] != M[0] && D[1] != M[1]);
				bad_auto += (Sn[0] != F[0] && Sn[0] != F[1]) || (Sn[1] != M[0] && Sn[1] != M[1]);
			} else if (type == KM_SYS_X) {
				bad_hemi += F[1] != KM_HEMI || Sn[1] != KM_HEMI || M[1] < 0 || D[1] < 0;
				bad_xd += D[0] != F[0] || (D[1] != M[0] && D[1] != M[1]); /* father's only X to his daughter */
				bad_xs += Sn[0] != M[0] && Sn[0] != M[1];                  /* a son's X is his mother's */
				n_x_het_father_diff += F[0] != M[0] && F[0] != M[1];
			}
		}
	}
	check(bad_auto == 0, "autosomal: one allele from each parent");
	check(bad_hemi == 0, "X: men hemizygous, women diploid");
	check(bad_xd == 0, "X: a daughter has her father's X and one of her mother's");
	check(bad_xs == 0 && n_x_het_father_diff > 1000, "X: a son's X is his mother's, never his father's");

	free(fa), free(mo), free(sex), free(g);
	km_sim_destroy(S);
	km_freqs_destroy(&f);
	km_panel_destroy(&p);
	gsl_rng_free(r);
}

/* ---- mutation: transmissions follow the rows of km_mut_matrix ------------------------- */
static void test_mutation(void)
{
	km_panel_t p;
	km_freqs_t f;
	km_simopt_t o;
	km_sim_t *S = NULL;
	km_err_t e = { "" };
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	char what[256];
	int ret;
	/* high rates so that mutations are common: 0.2 paternal, 0.1 maternal */
	write_file("panel_mut.tsv", "marker\ttype\tchrom\tmutation_rate\tfemale_rate\tmale_rate\n"
	                            "D3S1358\tSTR\t3\t0.15\t0.1\t0.2\n");
	write_file("freqs_mut.tsv", "marker\tallele\tfrequency\nD3S1358\t14\t0.2\nD3S1358\t15\t0.2\nD3S1358\t16\t0.2\n"
	                            "D3S1358\t17\t0.2\nD3S1358\t18\t0.2\n");
	km_simopt_init(&o); /* stepwise, range 0.5 */
	ret = km_panel_load(&p, tmp_path("panel_mut.tsv"), &e);
	if (ret == 0) ret = km_freqs_load(&f, &p, tmp_path("freqs_mut.tsv"), 0.001, &e);
	if (ret == 0) ret = km_sim_init(&S, &o, &p, &f, NULL, NULL, NULL, &e);
	check(ret == 0, "km_sim_init, stepwise at high rates");
	if (ret) { printf("  %s\n", e.msg); exit(1); }
	int n = f.loc[0].n_allele;
	double Mm[25], Mf[25], cnt[2][25] = { { 0 } };
	km_mut_matrix(KM_MUT_STEPWISE, &f.loc[0], "D3S1358", 0.2, 0.5, 0.0, Mm, &e);
	km_mut_matrix(KM_MUT_STEPWISE, &f.loc[0], "D3S1358", 0.1, 0.5, 0.0, Mf, &e);
	/* father 0, mother 1, child 2: when a parent is homozygous for i, the child's allele
	 * from that parent is a draw from row i of the parent's matrix */
	int fa[3] = { -1, -1, 0 }, mo[3] = { -1, -1, 1 }, sex[3] = { KM_MALE, KM_FEMALE, KM_MALE };
	int32_t g[6];
	gsl_rng_set(r, 777);
	for (int it = 0; it < 200000; ++it) {
		km_sim_drop(S, r, 3, fa, mo, sex, g);
		if (g[0] == g[1]) cnt[1][g[0] * n + g[4]] += 1.0;
		if (g[2] == g[3]) cnt[0][g[2] * n + g[5]] += 1.0;
	}
	for (int k = 0; k < 2; ++k) {
		const double *M = k ? Mm : Mf;
		double chi = 0.0;
		int df = 0;
		for (int i = 0; i < n; ++i) {
			double tot = 0.0;
			for (int j = 0; j < n; ++j) tot += cnt[k][i * n + j];
			for (int j = 0; j < n; ++j) {
				double ex = tot * M[i * n + j];
				if (ex <= 0.0) { chi += cnt[k][i * n + j] > 0 ? 1e9 : 0.0; continue; }
				chi += (cnt[k][i * n + j] - ex) * (cnt[k][i * n + j] - ex) / ex, ++df;
			}
			--df;
		}
		double pv = gsl_cdf_chisq_Q(chi, df);
		snprintf(what, sizeof what, "%s transmissions follow km_mut_matrix (chi2 %.1f, df %d, p %.3g)",
		         k ? "paternal" : "maternal", chi, df, pv);
		check(pv > 1e-3, what);
	}
	km_sim_destroy(S);
	km_freqs_destroy(&f);
	km_panel_destroy(&p);
	gsl_rng_free(r);
}

/* ---- read back ----------------------------------------------------------------------- */
static void test_readback(void)
{
	km_simopt_t o;
	km_simstat_t st;
	km_err_t e = { "" };
	km_panel_t p = { 0 };
	km_freqs_t f = { 0 };
	km_prof_t refs = { 0 }, rem = { 0 };
	km_peds_t peds = { 0 };
	km_mtset_t mt = { 0 };
	km_tsv_t *r = NULL;
	char fn[256], what[256];
	int ret;
	base_opts(&o, "rb");
	o.gz = 1;
	o.n_family = 600;
	o.mix[KM_SHAPE_GNEPHEW_B] = o.mix[KM_SHAPE_GNEPHEW_S] = 1.0; /* plenty of lineage cases */
	{
		/* many mtDNA mutations: every mutated haplotype must still be valid EMPOP */
		km_simopt_t o2;
		km_mtset_t m2 = { 0 };
		base_opts(&o2, "mt");
		o2.mt_rate = 0.9;
		ret = km_sim_run(&o2, &st, &e);
		if (ret == 0) {
			snprintf(fn, sizeof fn, "%s/mt/mtdna.tsv", tmpdir);
			ret = km_mt_load(&m2, fn, &e);
		}
		check(ret == 0, "mtDNA at --mt-mutation-rate 0.9 reads back");
		if (ret) printf("  %s\n", e.msg);
		km_mt_destroy(&m2);
		free_opts(&o2);
	}
	ret = km_sim_run(&o, &st, &e);
	check(ret == 0, "simulate --gz for read-back");
	if (ret) { printf("  %s\n", e.msg); free_opts(&o); return; }
	check(st.n_unrelated == lround(st.n_related / 9.0), "unrelated remains are 10% of all by default");
#define PATH(name) (snprintf(fn, sizeof fn, "%s/rb/%s.tsv.gz", tmpdir, name), fn)
	ret = km_panel_load(&p, tmp_path("panel.tsv"), &e);
	if (ret == 0) ret = km_freqs_load(&f, &p, tmp_path("freqs.tsv"), 0.001, &e);
	check(ret == 0, "panel and freqs load");
	ret = km_prof_load(&refs, &p, &f, PATH("references"), &e);
	check(ret == 0, "references.tsv.gz reads back (km_prof_load)");
	if (ret) printf("  %s\n", e.msg);
	ret = km_prof_load(&rem, &p, &f, PATH("remains"), &e);
	check(ret == 0, "remains.tsv.gz reads back (km_prof_load)");
	if (ret) printf("  %s\n", e.msg);
	ret = km_peds_load(&peds, PATH("pedigrees"), &e);
	check(ret == 0, "pedigrees.tsv.gz reads back (km_peds_load)");
	if (ret) printf("  %s\n", e.msg);
	ret = km_peds_link(&peds, &refs, &p, &e);
	check(ret == 0, "pedigrees link to references (km_peds_link)");
	if (ret) printf("  %s\n", e.msg);
	ret = km_mt_load(&mt, PATH("mtdna"), &e);
	check(ret == 0, "mtdna.tsv.gz reads back (km_mt_load)");
	if (ret) printf("  %s\n", e.msg);
	check(f.n_warn == 0, "no allele outside the frequency table (Y excepted)");
	check(peds.n_family == o.n_family && refs.n_sample == st.n_ref, "every family and every reference written");
	check(rem.n_sample == st.n_remain && mt.n == st.n_ref + st.n_remain, "every remain has a profile and an mtDNA row");

	/* remain-info: each remain once, d in [0, dropout_max] */
	int n_info = 0, bad_info = 0;
	if (km_tsv_open(&r, PATH("remain-info"), &e) == 0 && km_tsv_header(r, &e) == 0) {
		int cs = km_tsv_col(r, "sample"), cd = km_tsv_col(r, "dropout");
		while (km_tsv_next(r, &e) > 0) {
			double d;
			++n_info;
			bad_info += km_prof_find(&rem, km_tsv_field(r, cs)) < 0 || km_parse_double(km_tsv_field(r, cd), &d) < 0 ||
			            d < 0.0 || d > o.dropout_max;
		}
	}
	km_tsv_close(r), r = NULL;
	check(n_info == st.n_remain && bad_info == 0, "remain-info.tsv: each remain once, 0 <= d <= --dropout-max");

	/* truth: families and missing persons exist; lineage checks through the pedigree */
	int n_truth = 0, bad_truth = 0, n_yb = 0, y_same = 0, n_ms = 0, mt_same = 0, n_unrel = 0;
	void *fh = khash_str2int_init();
	for (int i = 0; i < peds.n_family; ++i) khash_str2int_set(fh, peds.fam[i].id, i);
	if (km_tsv_open(&r, PATH("truth"), &e) == 0 && km_tsv_header(r, &e) == 0) {
		int cr = km_tsv_col(r, "remain"), cf = km_tsv_col(r, "family"), cm = km_tsv_col(r, "missing"), cl = km_tsv_col(r, "relationship");
		while (km_tsv_next(r, &e) > 0) {
			int s = km_prof_find(&rem, km_tsv_field(r, cr)), fi, q = -1, ref = -1;
			++n_truth;
			if (strcmp(km_tsv_field(r, cl), "unrelated") == 0) {
				n_unrel++;
				bad_truth += s < 0 || strcmp(km_tsv_field(r, cf), "NA") || strcmp(km_tsv_field(r, cm), "NA");
				continue;
			}
			if (s < 0 || khash_str2int_get(fh, km_tsv_field(r, cf), &fi) < 0) { ++bad_truth; continue; }
			const km_family_t *fm = &peds.fam[fi];
			for (int i = 0; i < fm->n_person; ++i) {
				if (strcmp(fm->person[i].id, km_tsv_field(r, cm)) == 0) q = i;
				if (fm->person[i].role == KM_ROLE_REFERENCE && ref < 0) ref = i;
			}
			if (q < 0 || fm->person[q].role != KM_ROLE_MISSING) { ++bad_truth; continue; }
			/* lineage: the first reference of a grand-nephew family is male and on M's line */
			const char *rel = km_tsv_field(r, cl);
			int rs = fm->person[ref].sample;
			if (strcmp(rel, "gnephew_b") == 0 && fm->person[q].sex == KM_MALE) {
				int diff = 0, typed = 0;
				for (int m = 0; m < p.n_marker; ++m) {
					const int32_t *a = km_prof_gt(&rem, s, m), *b = km_prof_gt(&refs, rs, m);
					if (p.marker[m].type != KM_SYS_Y || a[0] < 0) continue;
					++typed;
					/* allele indices are per marker, so equal labels are equal indices */
					diff += a[0] != b[0] || a[1] != b[1];
				}
				if (typed) ++n_yb, y_same += diff == 0;
			}
			if (strcmp(rel, "gnephew_s") == 0) {
				char rid[64];
				snprintf(rid, sizeof rid, "%s", km_tsv_field(r, cr));
				int ha = km_mt_find(&mt, rid), hb = km_mt_find(&mt, fm->person[ref].id);
				if (ha >= 0 && hb >= 0) {
					const km_mthap_t *x = &mt.hap[ha], *y = &mt.hap[hb];
					int same = x->n_var == y->n_var;
					for (int j = 0; same && j < x->n_var; ++j)
						same = x->var[j].pos == y->var[j].pos && x->var[j].ins == y->var[j].ins && x->var[j].base == y->var[j].base;
					++n_ms, mt_same += same;
				}
			}
		}
	}
	km_tsv_close(r);
	khash_str2int_destroy(fh);
	snprintf(what, sizeof what, "truth.tsv: %d remains, all found in remains/pedigrees (%d bad), %d unrelated", n_truth, bad_truth, n_unrel);
	check(n_truth == st.n_remain && bad_truth == 0 && n_unrel == st.n_unrelated, what);
	snprintf(what, sizeof what, "Y: grand-nephew through brothers has the missing man's haplotype (%d of %d)", y_same, n_yb);
	check(n_yb >= 20 && y_same >= 0.85 * n_yb, what);
	snprintf(what, sizeof what, "mtDNA: grand-nephew through sisters has the missing person's haplotype (%d of %d)", mt_same, n_ms);
	check(n_ms >= 20 && mt_same >= 0.85 * n_ms, what);
#undef PATH
	km_mt_destroy(&mt);
	km_peds_destroy(&peds);
	km_prof_destroy(&rem);
	km_prof_destroy(&refs);
	km_freqs_destroy(&f);
	km_panel_destroy(&p);
	free_opts(&o);
}

/* ---- bad options ----------------------------------------------------------------------- */
static void test_options(void)
{
	km_simopt_t o;
	km_err_t e = { "" };
	double mix[KM_N_SHAPE];
	km_simopt_init(&o);
	check(km_simopt_check(&o, &e) == KM_EUSAGE && strstr(e.msg, "--panel"), "--panel required");
	check(km_sim_mix_parse("sib:1,cousin:0.5", mix, &e) == 0 && mix[KM_SHAPE_SIB] == 1.0 && mix[KM_SHAPE_COUSIN] == 0.5 &&
	      mix[KM_SHAPE_NEPHEW_B] == 0.0, "--mix parses");
	check(km_sim_mix_parse("sib:1,aunt:2", mix, &e) == KM_EUSAGE && strstr(e.msg, "unknown shape 'aunt'"), "--mix unknown shape");
	check(km_sim_mix_parse("sib:-1", mix, &e) == KM_EUSAGE && strstr(e.msg, "--mix"), "--mix negative weight");
	check(km_sim_seed(1, 0) != km_sim_seed(1, 1) && km_sim_seed(1, 0) != km_sim_seed(2, 0), "streams get distinct seeds");
}

static void rm_tree(const char *dir)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0) printf("warning: could not remove %s\n", dir);
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/km_test_sim.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) { perror("mkdtemp"); return 1; }
	km_verbose = 0;
	write_file("panel.tsv", panel_tsv);
	write_file("freqs.tsv", freqs_tsv);
	make_lineage_dbs();
	test_options();
	test_drop();
	test_mutation();
	test_stable();
	test_readback();
	rm_tree(tmpdir);
	printf("%d passed, %d failed\n", n_ok, n_fail);
	return n_fail != 0;
}
