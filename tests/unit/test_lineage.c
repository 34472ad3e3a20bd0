/* test_lineage.c — Y-STR and mtDNA lineage evidence (issue 3), hand-derived.
 *
 * Every expected number is written out from the definitions of issue 3 in a comment next
 * to its check; the code only evaluates that arithmetic.  P_k(d) is evaluated by the
 * closed form (multinomial over up/down/no steps), independent of the convolution in
 * lin_y.c.  Inputs go through the real loaders from in-memory TSV; the lineage files
 * (--y-db, --mtdna, --mt-db) are written to a private temporary directory.
 * Prints "ok ..." / "FAIL ..." per check; exits non-zero if anything failed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include "kmpriv.h"
#include "check.h"
#include "lineage.h"
#include "rcrs.h"




/* log10 values agree to 1e-9, or are both -inf */
static void check_lr(const char *what, double got, double want)
{
	int good = (isinf(want) && isinf(got) && (want < 0) == (got < 0)) || fabs(got - want) < 1e-9;
	check(good, what);
	if (!good) printf("  got %.12f want %.12f\n", got, want);
}

static const char *tmp_file(const char *name, const char *text)
{
	static char buf[8][256];
	static int k;
	FILE *fp;
	k = (k + 1) & 7;
	snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
	fp = fopen(buf[k], "w");
	if (fp == NULL || fputs(text, fp) < 0 || fclose(fp) != 0) {
		printf("FAIL cannot write %s\n", buf[k]);
		exit(1);
	}
	return buf[k];
}

/* P_k(d) of issue 3 in closed form: u up-steps and v down-steps with u - v = d and
 * u + v <= k; multinomial k! / (u! v! (k-u-v)!) (mu/2)^(u+v) (1-mu)^(k-u-v). */
static double pk(double mu, int k, int d)
{
	double s = 0.0;
	int u, v;
	for (u = 0; u <= k; ++u)
		for (v = 0; u + v <= k; ++v)
			if (u - v == d)
				s += exp(lgamma(k + 1.0) - lgamma(u + 1.0) - lgamma(v + 1.0) - lgamma(k - u - v + 1.0)) *
				     pow(mu / 2, u + v) * pow(1 - mu, k - u - v);
	return s;
}

/* ---- the test world ----------------------------------------------------------------- */

static const char *PANEL =
	"marker\ttype\tchrom\tmutation_rate\tfemale_rate\tmale_rate\n"
	"D1\tSTR\t1\t0.001\t\t\n"
	"DYS19\tY-STR\tY\t0.002\t\t0.0025\n" /* male_rate wins: mu = 0.0025 */
	"DYS385\tY-STR\tY\t0.002\t\t\n"
	"DYS570\tY-STR\tY\t0.0134\t\t\n"     /* a rapidly mutating locus */
	"DYS389I\tY-STR\tY\t0.003\t\t\n";
#define MU19 0.0025
#define MU385 0.002
#define MU570 0.0134
#define MU389 0.003

static const char *FREQS = "marker\tallele\tfrequency\nD1\t10\t0.5\nD1\t11\t0.5\n";

/* R0 is first so that DYS385 allele 14 gets a smaller allele index than 11: R1's and
 * R3's (11,14) then arrive in index order (14, 11) and must be sorted by value. */
static const char *REMAINS =
	"sample\tmarker\tallele1\tallele2\n"
	"R0\tDYS19\t14\t.\nR0\tDYS385\t14\t15\n"
	"R1\tD1\t10\t10\nR1\tDYS19\t14\t.\nR1\tDYS385\t11\t14\nR1\tDYS570\t17\t.\nR1\tDYS389I\t13\t.\n"
	"R2\tDYS19\t14\t.\nR2\tDYS385\t11\t14\nR2\tDYS570\t17\t.\n"
	"R3\tDYS385\t14\t11\nR3\tDYS389I\t13\t\nR3\tDYS570\t17\t.\nR3\tDYS19\t14\t.\n"
	"R4\tDYS19\t14\t.\nR4\tDYS385\t11\t14\nR4\tDYS570\t17.2\t.\nR4\tDYS389I\t13\t.\n"
	"R5\tDYS19\t14\t.\nR5\tDYS385\t11\t.\nR5\tDYS570\t17\t.\nR5\tDYS389I\t13\t.\n"
	"R6\tD1\t10\t11\n"
	"RM1\tD1\t10\t11\nRM2\tD1\t10\t11\nRM3\tD1\t10\t11\nRM4\tD1\t10\t11\nRM5\tD1\t10\t11\n"
	"RM5b\tD1\t10\t11\nRM6\tD1\t10\t11\nRM7\tD1\t10\t11\n";

#define YHAP(s) s "\tDYS19\t14\t.\n" s "\tDYS385\t11\t14\n" s "\tDYS570\t17\t.\n" s "\tDYS389I\t13\t.\n"
static const char *REFS =
	"sample\tmarker\tallele1\tallele2\n"
	YHAP("B") YHAP("SS") YHAP("Z1") YHAP("A0")
	"GN\tDYS19\t14\t.\nGN\tDYS385\t14\t11\nGN\tDYS570\t18\t.\nGN\tDYS389I\t13\t.\n"
	"SN\tDYS19\t14\t.\nSN\tDYS385\t11\t14\nSN\tDYS570\t17\t.\nSN\tDYS389I\t14\t.\n"
	"C1\tDYS19\t14\t.\nC1\tDYS385\t11\t14\nC1\tDYS570\t17\t.\nC1\tDYS389I\t14\t.\n"
	"HS\tD1\t10\t11\nHR\tD1\t10\t11\nMMR\tD1\t10\t11\n";

static const char *PEDS =
	"family\tperson\tfather\tmother\tsex\trole\n"
	/* Y1: brothers, M -> GF -> B, k = 2 */
	"Y1\tGF\t0\t0\t1\tuntyped\nY1\tGM\t0\t0\t2\tuntyped\nY1\tM\tGF\tGM\t1\tmissing\nY1\tB\tGF\tGM\t1\treference\n"
	/* Y2: paternal grand-nephew, M -> GF -> BR -> BS -> GN, k = 4 */
	"Y2\tGF\t0\t0\t1\tuntyped\nY2\tGM\t0\t0\t2\tuntyped\nY2\tM\tGF\tGM\t1\tmissing\nY2\tBR\tGF\tGM\t1\tuntyped\n"
	"Y2\tBW\t0\t0\t2\tuntyped\nY2\tBS\tBR\tBW\t1\tuntyped\nY2\tBSW\t0\t0\t2\tuntyped\nY2\tGN\tBS\tBSW\t1\treference\n"
	/* Y3: a sister's son (Y-typed but not on the male line; maternal line k = 3) and a
	 * missing sister W */
	"Y3\tGF\t0\t0\t1\tuntyped\nY3\tGM\t0\t0\t2\tuntyped\nY3\tM\tGF\tGM\t1\tmissing\nY3\tS\tGF\tGM\t2\tuntyped\n"
	"Y3\tSH\t0\t0\t1\tuntyped\nY3\tSS\tSH\tS\t1\treference\nY3\tW\tGF\tGM\t2\tmissing\n"
	/* Y5: the missing man's son, k = 1 */
	"Y5\tM\t0\t0\t1\tmissing\nY5\tMW\t0\t0\t2\tuntyped\nY5\tSN\tM\tMW\t1\treference\n"
	/* Y6: brothers Z1 and C1 (k = 2, C1 < Z1 in byte order), nephew A0 (k = 3) */
	"Y6\tGF\t0\t0\t1\tuntyped\nY6\tGM\t0\t0\t2\tuntyped\nY6\tM\tGF\tGM\t1\tmissing\nY6\tZ1\tGF\tGM\t1\treference\n"
	"Y6\tZW\t0\t0\t2\tuntyped\nY6\tA0\tZ1\tZW\t1\treference\nY6\tC1\tGF\tGM\t1\treference\n"
	/* MT1: maternal half-sister, M -> MO -> HS, k = 2 */
	"MT1\tF1\t0\t0\t1\tuntyped\nMT1\tF2\t0\t0\t1\tuntyped\nMT1\tMO\t0\t0\t2\tuntyped\n"
	"MT1\tM\tF1\tMO\t1\tmissing\nMT1\tHS\tF2\tMO\t2\treference\n"
	/* MT3: maternal half-brother HR with 16093C, k = 2 */
	"MT3\tF1\t0\t0\t1\tuntyped\nMT3\tF2\t0\t0\t1\tuntyped\nMT3\tMO\t0\t0\t2\tuntyped\n"
	"MT3\tM\tF1\tMO\t1\tmissing\nMT3\tHR\tF2\tMO\t1\treference\n"
	/* MT4: the missing woman's mother MMR (heteroplasmic 16093Y), k = 1 */
	"MT4\tMF\t0\t0\t1\tuntyped\nMT4\tMMR\t0\t0\t2\treference\nMT4\tM\tMF\tMMR\t2\tmissing\n";

/* The Y database.  `population` is metadata, DYS999 is not in the panel (ignored with a
 * warning, CONTRACT.md), h2 writes DYS385 in the other order, h5 is untyped at DYS389I,
 * h6 has a single DYS385 copy. */
static const char *YDB =
	"haplotype\tpopulation\tDYS19\tDYS385\tDYS570\tDYS389I\tDYS999\n"
	"h1\tX\t14\t11,14\t17\t13\t1\n"
	"h2\tX\t14\t14,11\t17\t13\t1\n"
	"h3\tX\t15\t11,14\t17\t13\t1\n"
	"h4\tX\t14\t11,14\t18\t13\t1\n"
	"h5\tX\t14\t11,14\t17\tNA\t1\n"
	"h6\tX\t14\t11\t17\t13\t1\n"
	"h7\tX\t13\t12,15\t16\t12\t1\n";

/* rCRS: 16093 T, 16223 C, 16311 T, 249 A, 16166 A, 73 A, 263 A */
static const char *MTDNA =
	"sample\trange\thaplotype\n"
	"RM1\t16024-16365 73-340\t16223T 73G 263G 315.1C\n"
	"RM2\t16024-16365;73-340\t16223T 16311C 73G 263G 315.1C\n"
	"RM3\t16024-16365 73-340\t16093Y 16223T 73G 263G 315.1C\n"
	"RM4\t16024-16365 73-340\t16223T 73G 200.1A 263G 315.1C\n"
	"RM5\t16024-16365 73-340\t16223T 73G 249del 263G 315.1C\n"
	"RM5b\t73-340 16024-16365\t16223T 73G 249- 263G 315.1C\n"
	"RM6\t16024-16365\t16223T\n"
	"RM7\t16024-16365 73-340\t16189.1C 16223T 73G 263G 315.1C 315.2C\n"
	"HS\t16024-16365 73-340\t16223T 73G 263G 315.1C 315.2C\n"
	"SS\t16024-16365 73-340\t16223T 73G 263G 315.1C\n"
	"HR\t16024-16365 73-340\t16093C 16223T 73G 263G 315.1C\n"
	"MMR\t16024-16365 73-340\t16093Y 16223T 73G 263G 315.1C\n";

static const char *MTDB =
	"sample\trange\thaplotype\n"
	"D1\t16024-16569;1-576\t16223T 73G 263G 315.1C\n"
	"D2\t16024-576\t16223T 73G 263G 309.1C 315.1C\n"
	"D3\t16024-16365 73-340\t16093C 16223T 73G 263G 315.1C\n"
	"D4\t16024-16365\t16223T\n"
	"D5\t16024-16569;1-576\t16093Y 16223T 73G 263G 315.1C\n"
	"D6\t16024-16569;1-576\t73G 263G 315.1C\n"
	"D7\t16024-16569;1-576\t16166del 16223T 73G 263G 315.1C\n";

typedef struct {
	km_panel_t p;
	km_freqs_t f;
	km_prof_t rem, refs;
	km_peds_t peds;
} world_t;

static void world_free(world_t *w)
{
	km_peds_destroy(&w->peds);
	km_prof_destroy(&w->refs);
	km_prof_destroy(&w->rem);
	km_freqs_destroy(&w->f);
	km_panel_destroy(&w->p);
}

static int world_load(world_t *w, const char *rem, const char *refs, const char *peds, int link)
{
	km_err_t e;
	int f, i;
	memset(w, 0, sizeof *w);
	if (km_panel_load_mem(&w->p, "panel.tsv", PANEL, strlen(PANEL), &e) < 0 ||
	    km_freqs_load_mem(&w->f, &w->p, "freqs.tsv", FREQS, strlen(FREQS), 0.001, &e) < 0 ||
	    km_prof_load_mem(&w->rem, &w->p, &w->f, "remains.tsv", rem, strlen(rem), &e) < 0 ||
	    km_prof_load_mem(&w->refs, &w->p, &w->f, "references.tsv", refs, strlen(refs), &e) < 0 ||
	    km_peds_load_mem(&w->peds, "pedigrees.tsv", peds, strlen(peds), &e) < 0 ||
	    (link && km_peds_link(&w->peds, &w->refs, &w->p, &e) < 0)) {
		printf("FAIL world: %s\n", e.msg);
		++n_fail;
		world_free(w);
		return -1;
	}
	if (!link) /* what km_peds_link does, minus its sex checks (lineage.c has its own) */
		for (f = 0; f < w->peds.n_family; ++f)
			for (i = 0; i < w->peds.fam[f].n_person; ++i) {
				km_person_t *q = &w->peds.fam[f].person[i];
				q->sample = q->role == KM_ROLE_REFERENCE ? km_prof_find(&w->refs, q->id) : -1;
			}
	return 0;
}

/* family index and person index of (family id, person id) */
static int who(const km_peds_t *d, const char *fam, const char *id, int *f)
{
	int i;
	for (*f = 0; *f < d->n_family; ++*f)
		if (strcmp(d->fam[*f].id, fam) == 0)
			for (i = 0; i < d->fam[*f].n_person; ++i)
				if (strcmp(d->fam[*f].person[i].id, id) == 0) return i;
	printf("FAIL no person %s/%s\n", fam, id);
	exit(1);
}

typedef struct {
	double *tab;
	int ref, k, ret;
	const char *ref_id;
} cand_t;

static cand_t cand(const km_lin_t *L, const world_t *w, int sys, const char *fam, const char *q)
{
	cand_t c;
	km_err_t e;
	int f, i = who(&w->peds, fam, q, &f);
	c.tab = calloc(km_lin_ncol(L, sys), sizeof *c.tab);
	c.ret = km_lin_cand(L, sys, &w->peds, f, i, c.tab, &c.ref, &c.k, &e);
	if (c.ret < 0) printf("  km_lin_cand: %s\n", e.msg);
	c.ref_id = c.ref >= 0 ? w->peds.fam[f].person[c.ref].id : "(none)";
	return c;
}

static double lr(const km_lin_t *L, const world_t *w, const cand_t *c, int sys, const char *remain)
{
	return c->tab[km_lin_col(L, sys, km_prof_find(&w->rem, remain))];
}

/* The run's lineage options by file name, as km_opt_t has them: the files read by the
 * load phase (linfiles.c), then km_lin_build, as cmd_match.c does. */
typedef struct { const char *y_db, *mtdna, *mt_db; double mt_rate; int upper95; } lopt_t;
static int lin_build(km_lin_t **L, const lopt_t *o, world_t *w, km_err_t *e)
{
	km_linfiles_t F;
	km_linopt_t lo;
	*L = NULL;
	int ret = km_linfiles_load(&F, &w->p, o->y_db, o->mtdna, o->mt_db, e);
	if (ret < 0) return ret;
	km_linfiles_opt(&F, &lo, o->mt_rate, o->upper95);
	ret = km_lin_build(L, &lo, &w->p, &w->f, &w->rem, &w->refs, &w->peds, e);
	km_linfiles_destroy(&F);
	return ret;
}

/* ---- Y-STR and mtDNA likelihood ratios ----------------------------------------------- */

static void test_lineage_lr(int upper95)
{
	world_t w;
	lopt_t o;
	km_lin_t *L = NULL;
	km_err_t e;
	cand_t c;
	char what[128];
	int ret, i;
	const char *tag = upper95 ? "upper95" : "count";
	if (world_load(&w, REMAINS, REFS, PEDS, 1) < 0) return;
	memset(&o, 0, sizeof o);
	o.y_db = tmp_file("ydb.tsv", YDB);
	o.mtdna = tmp_file("mtdna.tsv", MTDNA);
	o.mt_db = tmp_file("mtdb.tsv", MTDB);
	o.mt_rate = 0.01;
	o.upper95 = upper95;
	ret = lin_build(&L, &o, &w, &e);
	snprintf(what, sizeof what, "[%s] km_lin_build", tag);
	check(ret == 0 && L != NULL, what);
	if (ret < 0) {
		printf("  %s\n", e.msg);
		world_free(&w);
		return;
	}

	/* columns: R1 and R3 (same values, DYS385 given 11 14 and 14 11, allele indices in
	 * the other order) share one; R0 R1 R2 R4 R5 are distinct: 5 + column 0 = 6; R6
	 * (no Y data) is column 0. */
	snprintf(what, sizeof what, "[%s] Y columns: DYS385 order does not matter", tag);
	check(km_lin_col(L, KM_SYS_Y, km_prof_find(&w.rem, "R1")) == km_lin_col(L, KM_SYS_Y, km_prof_find(&w.rem, "R3")) &&
	      km_lin_col(L, KM_SYS_Y, km_prof_find(&w.rem, "R1")) > 0, what);
	snprintf(what, sizeof what, "[%s] Y: 6 columns, no-data remain in column 0", tag);
	check(km_lin_ncol(L, KM_SYS_Y) == 6 && km_lin_col(L, KM_SYS_Y, km_prof_find(&w.rem, "R6")) == 0, what);
	/* mt columns: RM1..RM7 and RM5b; RM5b ("249-", ranges in the other order) = RM5 */
	snprintf(what, sizeof what, "[%s] mt columns: 249- = 249del, range order free", tag);
	check(km_lin_ncol(L, KM_SYS_MT) == 8 &&
	      km_lin_col(L, KM_SYS_MT, km_prof_find(&w.rem, "RM5")) == km_lin_col(L, KM_SYS_MT, km_prof_find(&w.rem, "RM5b")) &&
	      km_lin_col(L, KM_SYS_MT, km_prof_find(&w.rem, "R1")) == 0, what);

	/* Y1, brothers with identical haplotypes, k = 2 (M -> GF -> B).
	 * P_2(0) = (1-mu)^2 + 2 (mu/2)^2 per copy (stay-stay, up-down, down-up).
	 * R1: compared loci DYS19 DYS385(2 copies) DYS570 DYS389I:
	 *   num = P_2(0; .0025) * P_2(0; .002)^2 * P_2(0; .0134) * P_2(0; .003)
	 *   N = database haplotypes typed at all four = h1 h2 h3 h4 h6 h7 = 6 (h5 lacks DYS389I)
	 *   x = equal to B (14, 11/14, 17, 13) = h1, h2 = 2   -> f = (2+1)/(6+1) = 3/7
	 *   upper95: f = Beta^-1(0.95; 3, 4)
	 * R2 (untyped at DYS389I): compared DYS19 DYS385 DYS570;
	 *   num = P_2(0; .0025) * P_2(0; .002)^2 * P_2(0; .0134)
	 *   N = h1..h7 = 7, x = h1 h2 h5 = 3 -> f = 4/8; upper95 Beta^-1(0.95; 4, 4)
	 * R4: DYS570 17.2 vs 17: non-integral difference -> -inf.
	 * R5: DYS385 one copy vs two -> -inf.
	 * R0: DYS385 (14,15) vs (11,14): differences -3 and -1; |-3| > k = 2 -> -inf. */
	c = cand(L, &w, KM_SYS_Y, "Y1", "M");
	snprintf(what, sizeof what, "[%s] Y brothers: reference B, k = 2", tag);
	check(c.ret == 0 && strcmp(c.ref_id, "B") == 0 && c.k == 2, what);
	{
		double p2 = pk(MU19, 2, 0) * pow(pk(MU385, 2, 0), 2) * pk(MU570, 2, 0);
		double want1 = log10(p2 * pk(MU389, 2, 0)) -
		               (upper95 ? log10(gsl_cdf_beta_Pinv(0.95, 3, 4)) : log10(3.0 / 7.0));
		double want2 = log10(p2) - (upper95 ? log10(gsl_cdf_beta_Pinv(0.95, 4, 4)) : log10(4.0 / 8.0));
		/* the closed form, spelled out once: P_2(0; mu) = (1-mu)^2 + mu^2/2 */
		check(fabs(pk(MU570, 2, 0) - (pow(1 - MU570, 2) + MU570 * MU570 / 2)) < 1e-15, "P_2(0) closed form");
		snprintf(what, sizeof what, "[%s] Y brothers identical (R1)", tag);
		check_lr(what, lr(L, &w, &c, KM_SYS_Y, "R1"), want1);
		snprintf(what, sizeof what, "[%s] Y brothers, DYS385 given in the other order (R3)", tag);
		check_lr(what, lr(L, &w, &c, KM_SYS_Y, "R3"), want1);
		snprintf(what, sizeof what, "[%s] Y brothers, remain untyped at one locus (R2)", tag);
		check_lr(what, lr(L, &w, &c, KM_SYS_Y, "R2"), want2);
		snprintf(what, sizeof what, "[%s] Y non-integral difference 17.2 vs 17 (R4)", tag);
		check_lr(what, lr(L, &w, &c, KM_SYS_Y, "R4"), KM_NEG_INF);
		snprintf(what, sizeof what, "[%s] Y copy counts differ (R5)", tag);
		check_lr(what, lr(L, &w, &c, KM_SYS_Y, "R5"), KM_NEG_INF);
		snprintf(what, sizeof what, "[%s] Y more steps than meioses (R0)", tag);
		check_lr(what, lr(L, &w, &c, KM_SYS_Y, "R0"), KM_NEG_INF);
		snprintf(what, sizeof what, "[%s] Y column 0 is 0", tag);
		check(c.tab[0] == 0.0, what);
	}
	free(c.tab);
	/* mt for Y1: M's maternal line (GM) has no mtDNA reference: NA */
	c = cand(L, &w, KM_SYS_MT, "Y1", "M");
	snprintf(what, sizeof what, "[%s] mt NA without maternal-line reference", tag);
	check(c.ret == 0 && c.ref == -1 && c.tab[1] == 0.0, what);
	free(c.tab);

	/* Y2, paternal grand-nephew GN, k = 4 (M -> GF -> BR -> BS -> GN); GN has DYS570 18.
	 * P_4(0) = (1-mu)^4 + 12 (mu/2)^2 (1-mu)^2 + 6 (mu/2)^4
	 * P_4(1) = 4 (mu/2) (1-mu)^3 + 12 (mu/2)^3 (1-mu)
	 * R2 (DYS19 14, DYS385 11/14, DYS570 17): Delta = a_GN - a_remain = 0, 0/0, +1
	 *   num = P_4(0; .0025) * P_4(0; .002)^2 * P_4(1; .0134)
	 *   N = 7 (typed at the three loci), x = h4 = 1 -> f = 2/8; upper95 Beta^-1(.95; 2, 6)
	 * R1 (also DYS389I 13 = 13): num * P_4(0; .003); N = 6, x = h4 -> f = 2/7; Beta(2, 5) */
	c = cand(L, &w, KM_SYS_Y, "Y2", "M");
	snprintf(what, sizeof what, "[%s] Y grand-nephew: reference GN, k = 4", tag);
	check(c.ret == 0 && strcmp(c.ref_id, "GN") == 0 && c.k == 4, what);
	{
		double m = MU570, p41 = 4 * (m / 2) * pow(1 - m, 3) + 12 * pow(m / 2, 3) * (1 - m);
		double m2 = MU19, p40 = pow(1 - m2, 4) + 12 * pow(m2 / 2, 2) * pow(1 - m2, 2) + 6 * pow(m2 / 2, 4);
		double num = p40 * pow(pk(MU385, 4, 0), 2) * p41;
		check(fabs(pk(MU570, 4, 1) - p41) < 1e-15 && fabs(pk(MU19, 4, 0) - p40) < 1e-15, "P_4 closed forms");
		snprintf(what, sizeof what, "[%s] Y grand-nephew, one step at DYS570 (R2)", tag);
		check_lr(what, lr(L, &w, &c, KM_SYS_Y, "R2"),
		         log10(num) - (upper95 ? log10(gsl_cdf_beta_Pinv(0.95, 2, 6)) : log10(2.0 / 8.0)));
		snprintf(what, sizeof what, "[%s] Y grand-nephew, four loci (R1)", tag);
		check_lr(what, lr(L, &w, &c, KM_SYS_Y, "R1"),
		         log10(num * pk(MU389, 4, 0)) - (upper95 ? log10(gsl_cdf_beta_Pinv(0.95, 2, 5)) : log10(2.0 / 7.0)));
	}
	free(c.tab);

	/* Y3: the sister's son SS is Y-typed but on no male line of M: NA (ref -1, tab 0);
	 * a missing woman (W) has no Y line: NA. */
	c = cand(L, &w, KM_SYS_Y, "Y3", "M");
	snprintf(what, sizeof what, "[%s] Y non-male-line reference gives NA", tag);
	check(c.ret == 0 && c.ref == -1 && c.tab[km_lin_col(L, KM_SYS_Y, km_prof_find(&w.rem, "R1"))] == 0.0, what);
	free(c.tab);
	c = cand(L, &w, KM_SYS_Y, "Y3", "W");
	snprintf(what, sizeof what, "[%s] Y missing woman gives NA", tag);
	check(c.ret == 0 && c.ref == -1, what);
	free(c.tab);

	/* Y5: son SN, k = 1; SN = (14, 11/14, 17, 14).  R1: Delta 0, 0/0, 0, +1:
	 *   num = (1-.0025) (1-.002)^2 (1-.0134) (.003/2)
	 *   N = 6, x = 0 (no DYS389I 14) -> f = 1/7; upper95: 1 - 0.05^(1/6) (x = 0) */
	c = cand(L, &w, KM_SYS_Y, "Y5", "M");
	snprintf(what, sizeof what, "[%s] Y father-son, unseen haplotype (R1)", tag);
	check(c.ret == 0 && strcmp(c.ref_id, "SN") == 0 && c.k == 1, what);
	check_lr(what, lr(L, &w, &c, KM_SYS_Y, "R1"),
	         log10((1 - MU19) * pow(1 - MU385, 2) * (1 - MU570) * (MU389 / 2)) -
	             (upper95 ? log10(1 - pow(0.05, 1.0 / 6)) : log10(1.0 / 7.0)));
	free(c.tab);

	/* Y6: brothers Z1 and C1 (k = 2) beat the nephew A0 (k = 3) despite A0 < C1; the tie
	 * between the brothers goes to C1 (byte order) */
	c = cand(L, &w, KM_SYS_Y, "Y6", "M");
	snprintf(what, sizeof what, "[%s] Y: smallest k, then smallest id", tag);
	check(c.ret == 0 && strcmp(c.ref_id, "C1") == 0 && c.k == 2, what);
	free(c.tab);

	/* mtDNA, u = 0.01.  Database coverage: D4 (16024-16365 only) does not cover 73-340.
	 * MT1: maternal half-sister HS, k = 2 (M -> MO -> HS); HS = 16223T 73G 263G 315.1C
	 * 315.2C (315.2C is in the C-stretch 303-315: ignored).
	 * Full region (16024-16365, 73-340): N = D1 D2 D3 D5 D6 D7 = 6; x (d = 0 against HS)
	 *   = D1, D2 (309.1C ignored), D5 (16093Y contains rCRS T) = 3 -> f = 4/7
	 *   (D3 16093C, D6 lacks 16223T, D7 16166del differ); upper95 Beta^-1(.95; x+1, N-x)
	 *   = Beta^-1(.95; 4, 3)
	 * RM1 d = 0: e^-0.02 / f
	 * RM3 16093Y vs rCRS T: d = 0 (heteroplasmy matches)
	 * RM7 16189.1C and 315.2C: C-stretch insertions ignored: d = 0
	 * RM2 16311C: d = 1: e^-0.02 * 0.02 / f
	 * RM4 200.1A: an insertion outside the C-stretches: d = 1
	 * RM5 249del: d = 1
	 * RM6, range 16024-16365 only: compared region 16024-16365, d = 0;
	 *   N = 7 (D4 covers it), x = D1 D2 D4 D5 = 4 -> f = 5/8; upper95 Beta^-1(.95; 5, 3) */
	c = cand(L, &w, KM_SYS_MT, "MT1", "M");
	snprintf(what, sizeof what, "[%s] mt maternal half-sister: reference HS, k = 2", tag);
	check(c.ret == 0 && strcmp(c.ref_id, "HS") == 0 && c.k == 2, what);
	{
		double f = upper95 ? gsl_cdf_beta_Pinv(0.95, 4, 3) : 4.0 / 7.0;
		double f6 = upper95 ? gsl_cdf_beta_Pinv(0.95, 5, 3) : 5.0 / 8.0;
		double d0 = log10(exp(-0.02) / f), d1 = log10(exp(-0.02) * 0.02 / f);
		static const char *const same[] = { "RM1", "RM3", "RM7" }, *const one[] = { "RM2", "RM4", "RM5", "RM5b" };
		static const char *const why0[] = { "identical", "heteroplasmy 16093Y vs rCRS T", "C-stretch insertions ignored" };
		static const char *const why1[] = { "one substitution", "insertion 200.1A counted", "deletion 249del", "deletion 249-" };
		for (i = 0; i < 3; ++i) {
			snprintf(what, sizeof what, "[%s] mt half-sister, %s (%s)", tag, why0[i], same[i]);
			check_lr(what, lr(L, &w, &c, KM_SYS_MT, same[i]), d0);
		}
		for (i = 0; i < 4; ++i) {
			snprintf(what, sizeof what, "[%s] mt half-sister, %s (%s)", tag, why1[i], one[i]);
			check_lr(what, lr(L, &w, &c, KM_SYS_MT, one[i]), d1);
		}
		snprintf(what, sizeof what, "[%s] mt half-sister, partial range overlap (RM6)", tag);
		check_lr(what, lr(L, &w, &c, KM_SYS_MT, "RM6"), log10(exp(-0.02) / f6));
	}
	free(c.tab);

	/* Y3: sister's son SS, k = 3 (M -> GM -> S -> SS); SS's haplotype equals HS's over the
	 * compared region -> f = 4/7 (upper95 Beta^-1(.95; 4, 3)).  RM2 (16311C): d = 1: e^-0.03 * 0.03 / f.  RM1: d = 0.
	 * The sister W has the same maternal line and the same k. */
	c = cand(L, &w, KM_SYS_MT, "Y3", "M");
	snprintf(what, sizeof what, "[%s] mt sister's son: reference SS, k = 3", tag);
	check(c.ret == 0 && strcmp(c.ref_id, "SS") == 0 && c.k == 3, what);
	{
		double f = upper95 ? gsl_cdf_beta_Pinv(0.95, 4, 3) : 4.0 / 7.0;
		snprintf(what, sizeof what, "[%s] mt sister's son, one difference (RM2)", tag);
		check_lr(what, lr(L, &w, &c, KM_SYS_MT, "RM2"), log10(exp(-0.03) * 0.03 / f));
		snprintf(what, sizeof what, "[%s] mt sister's son, no difference (RM1)", tag);
		check_lr(what, lr(L, &w, &c, KM_SYS_MT, "RM1"), log10(exp(-0.03) / f));
	}
	free(c.tab);
	c = cand(L, &w, KM_SYS_MT, "Y3", "W");
	snprintf(what, sizeof what, "[%s] mt missing sister: SS, k = 3", tag);
	check(c.ret == 0 && strcmp(c.ref_id, "SS") == 0 && c.k == 3, what);
	free(c.tab);

	/* MT3: half-brother HR with 16093C, k = 2.  N = 6; x = D3 (16093C), D5 (16093Y
	 * contains C) = 2 -> f = 3/7; upper95 Beta^-1(.95; 3, 4).
	 * RM3 16093Y vs C: d = 0.  RM1 rCRS T vs C: d = 1. */
	c = cand(L, &w, KM_SYS_MT, "MT3", "M");
	{
		double f = upper95 ? gsl_cdf_beta_Pinv(0.95, 3, 4) : 3.0 / 7.0;
		snprintf(what, sizeof what, "[%s] mt heteroplasmy 16093Y vs 16093C (RM3)", tag);
		check_lr(what, lr(L, &w, &c, KM_SYS_MT, "RM3"), log10(exp(-0.02) / f));
		snprintf(what, sizeof what, "[%s] mt 16093T vs 16093C (RM1)", tag);
		check_lr(what, lr(L, &w, &c, KM_SYS_MT, "RM1"), log10(exp(-0.02) * 0.02 / f));
	}
	free(c.tab);

	/* MT4: mother MMR with 16093Y, k = 1 (a heteroplasmic reference).  Full region: N = 6,
	 * x = D1 D2 D3 D5 (T, T, C, Y all meet Y) = 4 -> f = 5/7; upper95 Beta^-1(.95; 5, 2).
	 * RM6 (16024-16365): N = 7, x = D1..D5 = 5 -> f = 6/8; upper95 Beta^-1(.95; 6, 2). */
	c = cand(L, &w, KM_SYS_MT, "MT4", "M");
	snprintf(what, sizeof what, "[%s] mt mother: reference MMR, k = 1", tag);
	check(c.ret == 0 && strcmp(c.ref_id, "MMR") == 0 && c.k == 1, what);
	{
		double f = upper95 ? gsl_cdf_beta_Pinv(0.95, 5, 2) : 5.0 / 7.0;
		double f6 = upper95 ? gsl_cdf_beta_Pinv(0.95, 6, 2) : 6.0 / 8.0;
		snprintf(what, sizeof what, "[%s] mt heteroplasmic reference (RM1)", tag);
		check_lr(what, lr(L, &w, &c, KM_SYS_MT, "RM1"), log10(exp(-0.01) / f));
		snprintf(what, sizeof what, "[%s] mt heteroplasmic reference, partial range (RM6)", tag);
		check_lr(what, lr(L, &w, &c, KM_SYS_MT, "RM6"), log10(exp(-0.01) / f6));
	}
	free(c.tab);

	km_lin_destroy(L);
	world_free(&w);
}

/* default mt rate (3/705, Sigurdardottir et al. 2000) and u = 0 */
static void test_mt_rate(void)
{
	world_t w;
	lopt_t o;
	km_lin_t *L = NULL;
	km_err_t e;
	cand_t c;
	if (world_load(&w, REMAINS, REFS, PEDS, 1) < 0) return;
	memset(&o, 0, sizeof o);
	o.y_db = tmp_file("ydb.tsv", YDB);
	o.mtdna = tmp_file("mtdna.tsv", MTDNA);
	o.mt_db = tmp_file("mtdb.tsv", MTDB);
	o.mt_rate = -1;
	if (lin_build(&L, &o, &w, &e) == 0 && L) {
		/* MT1, RM2: d = 1, k = 2, u = 3/705: e^-(2u) (2u) / (4/7) */
		double u = 3.0 / 705.0;
		c = cand(L, &w, KM_SYS_MT, "MT1", "M");
		check_lr("mt default rate 3/705", lr(L, &w, &c, KM_SYS_MT, "RM2"), log10(exp(-2 * u) * 2 * u / (4.0 / 7.0)));
		free(c.tab);
		km_lin_destroy(L);
	} else check(0, "mt default rate build");
	o.mt_rate = 0;
	if (lin_build(&L, &o, &w, &e) == 0 && L) {
		/* u = 0: a difference excludes (-inf); no difference: 1 / f */
		c = cand(L, &w, KM_SYS_MT, "MT1", "M");
		check_lr("mt rate 0, one difference", lr(L, &w, &c, KM_SYS_MT, "RM2"), KM_NEG_INF);
		check_lr("mt rate 0, no difference", lr(L, &w, &c, KM_SYS_MT, "RM1"), log10(7.0 / 4.0));
		free(c.tab);
		km_lin_destroy(L);
	} else check(0, "mt rate 0 build");
	world_free(&w);
}

/* ---- build errors -------------------------------------------------------------------- */

static void test_build_errors(void)
{
	world_t w;
	lopt_t o;
	km_lin_t *L = (km_lin_t *)&o;
	km_err_t e;
	int ret;

	if (world_load(&w, REMAINS, REFS, PEDS, 1) == 0) {
		memset(&o, 0, sizeof o);
		ret = lin_build(&L, &o, &w, &e);
		check_err("Y data without --y-db", ret, &e,
		          "remains.tsv:2:1: Y-STR data present but no --y-db given (sample 'R0')");
		check(L == NULL, "failed build leaves NULL");
		o.y_db = tmp_file("ydb.tsv", YDB);
		o.mtdna = tmp_file("mtdna.tsv", MTDNA);
		ret = lin_build(&L, &o, &w, &e);
		check_err("--mtdna without --mt-db", ret, &e, "--mtdna given but no --mt-db (the mtDNA database)");
		o.mtdna = NULL;
		o.mt_db = tmp_file("mtdb.tsv", MTDB);
		ret = lin_build(&L, &o, &w, &e);
		check_err("--mt-db without --mtdna", ret, &e, "--mt-db given but no --mtdna (the mtDNA profiles)");
		o.mtdna = tmp_file("mtdna2.tsv", "sample\trange\thaplotype\nRM1\t1-10\t\nXX\t1-10\trCRS\n");
		ret = lin_build(&L, &o, &w, &e);
		{
			char want[512];
			snprintf(want, sizeof want, "%s/mtdna2.tsv:3:1: sample 'XX' is neither a remain nor a reference", tmpdir);
			check_err("mtDNA sample unknown", ret, &e, want);
		}
		o.y_db = tmp_file("ydb.tsv", "name\tDYS19\nh1\t1x\n");
		o.mtdna = o.mt_db = NULL;
		ret = lin_build(&L, &o, &w, &e);
		{
			char want[512];
			snprintf(want, sizeof want, "%s/ydb.tsv:2:4: repeat number '1x' is not a number >= 0 (column 'DYS19')", tmpdir);
			check_err("bad --y-db is reported by the load phase", ret, &e, want);
		}
		world_free(&w);
	}
	/* no lineage data at all: *L = NULL */
	if (world_load(&w, "sample\tmarker\tallele1\tallele2\nR\tD1\t10\t11\n", "sample\tmarker\tallele1\tallele2\nB\tD1\t10\t11\n",
	               "family\tperson\tfather\tmother\tsex\trole\nF\tM\t0\t0\t1\tmissing\nF\tB\t0\t0\t1\treference\n", 1) == 0) {
		double tab[1] = { 1.0 };
		int ref = 5, k = 5;
		memset(&o, 0, sizeof o);
		o.y_db = tmp_file("ydb.tsv", YDB); /* given but nothing to score: a no-op */
		L = (km_lin_t *)&o;
		ret = lin_build(&L, &o, &w, &e);
		check(ret == 0 && L == NULL, "no lineage data: NULL handle");
		check(km_lin_ncol(L, KM_SYS_Y) == 1 && km_lin_col(L, KM_SYS_MT, 0) == 0, "NULL handle: one column");
		ret = km_lin_cand(L, KM_SYS_Y, &w.peds, 0, 0, tab, &ref, &k, &e);
		check(ret == 0 && ref == -1 && tab[0] == 0.0, "NULL handle: NA");
		world_free(&w);
	}
	/* a woman with Y data (km_peds_link skipped: lineage.c checks it itself) */
	if (world_load(&w, REMAINS, REFS,
	               "family\tperson\tfather\tmother\tsex\trole\nF\tM\t0\t0\t1\tmissing\nF\tGN\t0\t0\t2\treference\n", 0) == 0) {
		memset(&o, 0, sizeof o);
		o.y_db = tmp_file("ydb.tsv", YDB);
		ret = lin_build(&L, &o, &w, &e);
		check_err("female with Y data", ret, &e, "references.tsv:18:1: female 'GN' has Y-STR data");
		world_free(&w);
	}
}

/* ---- readers ------------------------------------------------------------------------- */

static void test_ydb_reader(void)
{
	km_panel_t p;
	km_ydb_t db;
	km_err_t e;
	int ret;
	const char *ok = "id\tDYS385\tcount\tContinent\tDYS19\n"
	                 "a\t14,11\t3\tAsia\t15\n"
	                 "b\t11\t1\tAsia\t.\n"
	                 "c\t11,12,14\t2\t\tNA\n";
	if (km_panel_load_mem(&p, "panel.tsv", PANEL, strlen(PANEL), &e) < 0) {
		check(0, e.msg);
		return;
	}
	ret = km_ydb_load_mem(&db, &p, "y.tsv", ok, strlen(ok), &e);
	check(ret == 0 && db.n_hap == 3 && db.n_col == 2, "ydb: loads, count/metadata columns are not markers");
	if (ret == 0) {
		/* a: DYS385 sorted (11, 14), DYS19 single 15; b: single 11, DYS19 untyped;
		 * c: three copies -> (-1, -1); counts 3 1 2 */
		const double *v = db.v;
		check(v[0] == 11 && v[1] == 14 && v[2] == 15 && isnan(v[3]), "ydb: multi-copy sorted, single copy");
		check(v[4] == 11 && isnan(v[5]) && isnan(v[6]) && isnan(v[7]), "ydb: '.' is untyped");
		check(v[8] == -1 && v[9] == -1 && isnan(v[10]) && isnan(v[11]), "ydb: three copies, NA");
		check(db.count[0] == 3 && db.count[1] == 1 && db.count[2] == 2, "ydb: counts");
		check(strcmp(db.name[2], "c") == 0 && db.marker[0] == km_panel_find(&p, "DYS385"), "ydb: names, markers");
	}
	km_ydb_destroy(&db);
	km_ydb_destroy(&db); /* destroy of a zeroed object is a no-op */
#define YERR(what, text, want) \
	do { \
		ret = km_ydb_load_mem(&db, &p, "y.tsv", text, strlen(text), &e); \
		check_err(what, ret, &e, want); \
		check(db.n_hap == 0 && db.v == NULL, what " (zeroed)"); \
	} while (0)
	YERR("ydb: non-Y panel marker", "hap\tDYS19\tD1\nh\t1\t2\n",
	     "y.tsv:1:11: marker 'D1' is not a Y-STR in the panel (line 2) (column 'D1')");
	YERR("ydb: bad number", "hap\tDYS19\nh1\t14\nh2\t1a\n",
	     "y.tsv:3:4: repeat number '1a' is not a number >= 0 (column 'DYS19')");
	YERR("ydb: negative", "hap\tDYS19\nh1\t-1\n", "y.tsv:2:4: repeat number '-1' is not a number >= 0 (column 'DYS19')");
	YERR("ydb: bad list", "hap\tDYS385\nh1\t11,\n", "y.tsv:2:4: repeat number list '11,' is malformed (column 'DYS385')");
	YERR("ydb: bad count", "hap\tn\tDYS19\nh1\t0\t14\n", "y.tsv:2:4: count '0' is not a whole number >= 1 (column 'n')");
	YERR("ydb: first column is a marker", "DYS19\tDYS385\tn\n13\t11,14\t2\n",
	     "y.tsv:1:1: the first column names the haplotype; 'DYS19' is a marker (column 'DYS19')");
	YERR("ydb: empty name", "hap\tDYS19\n\t14\n", "y.tsv:2:1: haplotype name is empty (column 'hap')");
#undef YERR
	km_panel_destroy(&p);
}

static void test_mt_reader(void)
{
	km_mtset_t s;
	km_err_t e;
	int ret, i;
	const char *ok = "sample\trange\thaplotype\textra\n"
	                 "A\t16024-576\t16519C 73G 315.1CC 16166- 150C 16093Y 263A\tx\n" /* 150C, 263A: rCRS, no-ops */
	                 "B\t1-10 5-20;30-40 21-25\trCRS\t\n"
	                 "C\t16000-16100\t\t\n"
	                 "D\t100-200\t150T 150.1A 151DEL\t\n";
	ret = km_mt_load_mem(&s, "mt.tsv", ok, strlen(ok), &e);
	check(ret == 0 && s.n == 4, "mt: loads");
	if (ret < 0) printf("  %s\n", e.msg);
	if (ret == 0) {
		const km_mthap_t *a = &s.hap[km_mt_find(&s, "A")], *b = &s.hap[km_mt_find(&s, "B")];
		/* A: 16024-576 wraps: [1,576] [16024,16569]; variants sorted by (pos, ins):
		 * 73G 315.1C 315.2C 16093Y 16166- 16519C */
		static const km_mtvar_t want[] = { { 73, 0, 'G' }, { 315, 1, 'C' }, { 315, 2, 'C' },
		                                   { 16093, 0, 'Y' }, { 16166, 0, '-' }, { 16519, 0, 'C' } };
		int good = a->n_range == 2 && a->range[0][0] == 1 && a->range[0][1] == 576 && a->range[1][0] == 16024 &&
		           a->range[1][1] == 16569 && a->n_var == 6;
		for (i = 0; good && i < 6; ++i)
			good = a->var[i].pos == want[i].pos && a->var[i].ins == want[i].ins && a->var[i].base == want[i].base;
		check(good, "mt: wrapped range, multi-base insertion, deletion '-', no-ops dropped, sorted");
		/* B: 1-10 5-20 21-25 30-40 -> [1,25] [30,40]; rCRS = no variants */
		check(b->n_range == 2 && b->range[0][0] == 1 && b->range[0][1] == 25 && b->range[1][0] == 30 &&
		          b->range[1][1] == 40 && b->n_var == 0 && b->line == 3,
		      "mt: ranges merged, 'rCRS'");
		check(s.hap[2].n_var == 0 && km_mt_find(&s, "E") < 0, "mt: empty haplotype");
		/* D: 150T, 150.1A, 151DEL (rCRS 150 is C) */
		check(s.hap[3].n_var == 3 && s.hap[3].var[0].base == 'T' && s.hap[3].var[1].ins == 1 &&
		          s.hap[3].var[2].base == '-',
		      "mt: 'DEL' in upper case");
		check(km_rcrs[16092] == 'T' && km_rcrs[3106] == 'N' && strlen(km_rcrs) == KM_MT_LEN, "rCRS sequence");
	}
	km_mt_destroy(&s);
	km_mt_destroy(&s);
#define MERR(what, text, want) \
	do { \
		ret = km_mt_load_mem(&s, "mt.tsv", text, strlen(text), &e); \
		check_err(what, ret, &e, want); \
		check(s.n == 0 && s.hap == NULL, what " (zeroed)"); \
	} while (0)
	MERR("mt: bad range", "sample\trange\thaplotype\nA\t16024-16365 73-\t\n",
	     "mt.tsv:2:15: bad range '73-' (expected START-END) (column 'range')");
	MERR("mt: range position", "sample\trange\thaplotype\nA\t16024-16600\t\n",
	     "mt.tsv:2:3: position 16600 outside 1..16569 in range '16024-16600' (column 'range')");
	MERR("mt: empty range", "sample\trange\thaplotype\nA\t\t16223T\n", "mt.tsv:2:3: range is empty (column 'range')");
	MERR("mt: variant position", "sample\trange\thaplotype\nA\t1-100\t73G 0A\n",
	     "mt.tsv:2:13: position 0 outside 1..16569 in variant '0A' (column 'haplotype')");
	MERR("mt: variant outside range", "sample\trange\thaplotype\nA\t16024-16365\t16223T 73G\n",
	     "mt.tsv:2:22: variant '73G' is outside the sample's range (column 'haplotype')");
	MERR("mt: unknown base", "sample\trange\thaplotype\nA\t1-400\t73G 263X\n",
	     "mt.tsv:2:16: unknown base 'X' in variant '263X' (column 'haplotype')");
	MERR("mt: lower-case base", "sample\trange\thaplotype\nA\t1-400\t73g\n",
	     "mt.tsv:2:11: unknown base 'g' in variant '73g' (column 'haplotype')");
	MERR("mt: bad variant", "sample\trange\thaplotype\nA\t1-400\t73GA\n",
	     "mt.tsv:2:9: bad variant '73GA' (expected e.g. 16223T, 16166del, 315.1C) (column 'haplotype')");
	MERR("mt: bad insertion", "sample\trange\thaplotype\nA\t1-400\t315.0C\n",
	     "mt.tsv:2:9: bad insertion '315.0C' (expected e.g. 315.1C) (column 'haplotype')");
	MERR("mt: no base", "sample\trange\thaplotype\nA\t1-400\t315.1\n",
	     "mt.tsv:2:9: bad variant '315.1' (expected e.g. 16223T, 16166del, 315.1C) (column 'haplotype')");
	MERR("mt: duplicate variant", "sample\trange\thaplotype\nA\t1-400\t73G 263G 73A\n",
	     "mt.tsv:2:18: duplicate variant '73A' (position 73 already has '73G') (column 'haplotype')");
	MERR("mt: duplicate insertion", "sample\trange\thaplotype\nA\t1-400\t315.1CC 315.2C\n",
	     "mt.tsv:2:17: duplicate variant '315.2C' (position 315.2 already has '315.1CC') (column 'haplotype')");
	MERR("mt: duplicate sample", "sample\trange\thaplotype\nA\t1-400\t\nB\t1-400\t\nA\t1-400\t\n",
	     "mt.tsv:4:1: duplicate sample 'A' (first on line 2) (column 'sample')");
	MERR("mt: missing column", "sample\trange\nA\t1-400\n", "mt.tsv:1:1: missing column 'haplotype'");
#undef MERR
}

/* The reference data: the Purps 2014 Y23 table and the 1000 Genomes control regions load. */
static void test_reference_data(void)
{
	static const char *yfn = "/work/shared/reference-data/y-str/purps2014_y23_haplotypes.tsv";
	static const char *mfn = "/work/shared/reference-data/mtdna/1kg_phase1_mtdna_control_region_haplotypes.tsv";
	km_panel_t p;
	km_ydb_t db;
	km_mtset_t s;
	km_err_t e;
	const char *panel = "marker\ttype\tchrom\tmutation_rate\nDYS19\tY-STR\tY\t0.002\nDYS385ab\tY-STR\tY\t0.002\n";
	if (access(yfn, R_OK) != 0 || access(mfn, R_OK) != 0) {
		printf("ok reference data (skipped: not found)\n");
		return;
	}
	if (km_panel_load_mem(&p, "panel.tsv", panel, strlen(panel), &e) == 0) {
		int ret = km_ydb_load(&db, &p, yfn, &e);
		check(ret == 0 && db.n_hap == 19630 && db.n_col == 2, "Purps 2014 Y23 table loads");
		if (ret < 0) printf("  %s\n", e.msg);
		km_ydb_destroy(&db);
		km_panel_destroy(&p);
	}
	{
		int ret = km_mt_load(&s, mfn, &e);
		check(ret == 0 && s.n == 1074, "1000 Genomes control regions load");
		if (ret < 0) printf("  %s\n", e.msg);
		km_mt_destroy(&s);
	}
}

/* Partial Y database (issue 12 part 3): the database lacks DYS570.  The compared loci
 * are those typed in the remain, the reference and the database, the same loci in the
 * numerator and the denominator.  Y1 (brothers, k = 2, reference B = 14, 11/14, 17, 13):
 * R1 (typed at all four): compared DYS19 DYS385 DYS389I;
 *   num = P_2(0; .0025) * P_2(0; .002)^2 * P_2(0; .003)
 *   N = typed at the three = h1 h2 h3 h4 h6 h7 = 6 (h5 lacks DYS389I);
 *   x = equal to B there = h1 h2 h4 = 3 (h4 differs from B only at DYS570) -> f = 4/7;
 *   one locus left out.
 * R2 (DYS19 DYS385 DYS570): compared DYS19 DYS385; N = 7, x = h1 h2 h4 h5 = 4 -> f = 5/8.
 * R6 (no Y data): NA, no count.  Before the fix a compared locus the database lacked gave
 * N = 0 and f = 1 (log10 f = 0) whatever the haplotypes. */
static const char *YDB_NO570 =
	"haplotype\tpopulation\tDYS19\tDYS385\tDYS389I\n"
	"h1\tX\t14\t11,14\t13\n"
	"h2\tX\t14\t14,11\t13\n"
	"h3\tX\t15\t11,14\t13\n"
	"h4\tX\t14\t11,14\t13\n"
	"h5\tX\t14\t11,14\tNA\n"
	"h6\tX\t14\t11\t13\n"
	"h7\tX\t13\t12,15\t12\n";

static void test_ydb_partial(void)
{
	world_t w;
	lopt_t o;
	km_lin_t *L = NULL;
	km_err_t e;
	cand_t c;
	int f, q;
	if (world_load(&w, REMAINS, REFS, PEDS, 1) < 0) return;
	memset(&o, 0, sizeof o);
	o.y_db = tmp_file("ydb.tsv", YDB_NO570);
	int ret = lin_build(&L, &o, &w, &e);
	check(ret == 0 && L != NULL, "partial ydb: km_lin_build");
	if (ret < 0 || L == NULL) { printf("  %s\n", ret < 0 ? e.msg : "no lineage"); world_free(&w); return; }
	check(km_lin_y_nleft(L) == 1, "partial ydb: one locus left out");
	c = cand(L, &w, KM_SYS_Y, "Y1", "M");
	check(c.ret == 0 && strcmp(c.ref_id, "B") == 0 && c.k == 2, "partial ydb: reference B, k = 2");
	check_lr("partial ydb: R1 over DYS19 DYS385 DYS389I", lr(L, &w, &c, KM_SYS_Y, "R1"),
	         log10(pk(MU19, 2, 0) * pow(pk(MU385, 2, 0), 2) * pk(MU389, 2, 0)) - log10(4.0 / 7.0));
	check_lr("partial ydb: R2 over DYS19 DYS385", lr(L, &w, &c, KM_SYS_Y, "R2"),
	         log10(pk(MU19, 2, 0) * pow(pk(MU385, 2, 0), 2)) - log10(5.0 / 8.0));
	q = who(&w.peds, "Y1", "M", &f);
	check(km_lin_y_left_out(L, km_prof_find(&w.rem, "R1"), f, q) == 1, "partial ydb: R1 counts DYS570 left out");
	check(km_lin_y_left_out(L, km_prof_find(&w.rem, "R6"), f, q) == -1, "partial ydb: R6 (no Y) NA");
	q = who(&w.peds, "Y3", "W", &f);
	check(km_lin_y_left_out(L, km_prof_find(&w.rem, "R1"), f, q) == -1, "partial ydb: a woman has no Y reference: NA");
	free(c.tab);
	km_lin_destroy(L);
	/* the complete database: nothing left out */
	o.y_db = tmp_file("ydb.tsv", YDB);
	ret = lin_build(&L, &o, &w, &e);
	check(ret == 0 && L != NULL && km_lin_y_nleft(L) == 0, "complete ydb: nothing left out");
	q = who(&w.peds, "Y1", "M", &f);
	check(L && km_lin_y_left_out(L, km_prof_find(&w.rem, "R1"), f, q) == 0, "complete ydb: R1 count 0");
	km_lin_destroy(L);
	world_free(&w);
}

/* ---- the Clopper-Pearson bound (lin_paths.c) ----------------------------------------- */
double lin_cp_upper95(long x, long n);   /* lin_int.h, not an interface of the library */

static void test_cp_upper95(void)
{
	gsl_set_error_handler_off();   /* as main() and km_lin_build do */
	char what[160];
	/* x = 0: Beta(1, n) has the quantile 1 - 0.05^(1/n) in closed form */
	static const long ns[] = { 1, 2, 10, 97, 1000, 2000, 100000, 3000000 };
	for (size_t i = 0; i < sizeof ns / sizeof ns[0]; ++i) {
		double q = lin_cp_upper95(0, ns[i]), want = -expm1(log(0.05) / (double)ns[i]);
		snprintf(what, sizeof what, "Clopper-Pearson x = 0 of %ld: 1 - 0.05^(1/n) (%.15g vs %.15g)", ns[i], q, want);
		check(fabs(log10(q) - log10(want)) < 1e-9, what);
	}
	/* x = n - 1: Beta(n, 1), quantile 0.95^(1/n) */
	for (size_t i = 0; i < sizeof ns / sizeof ns[0]; ++i) {
		if (ns[i] < 2) continue;
		double q = lin_cp_upper95(ns[i] - 1, ns[i]), want = pow(0.95, 1.0 / (double)ns[i]);
		snprintf(what, sizeof what, "Clopper-Pearson x = n - 1 of %ld: 0.95^(1/n)", ns[i]);
		check(fabs(log10(q) - log10(want)) < 1e-9, what);
	}
	/* every x of n = 1000 and 2000 (GSL 2.7's quantile fails at x = 29 of 1000, x = 5 of
	 * 2000, ...): I_q = 0.95, increasing in x, above the mean (x + 1)/(n + 1) */
	int bad = 0, n_tot = 0;
	for (long n = 1000; n <= 2000; n += 1000) {
		double last = 0.0;
		for (long x = 0; x < n; ++x, ++n_tot) {
			double q = lin_cp_upper95(x, n), p = gsl_cdf_beta_P(q, x + 1.0, (double)(n - x));
			if (!(q > last && q <= 1.0 && fabs(p - 0.95) < 1e-9 && q > (x + 1.0) / (n + 1.0))) {
				if (bad++ < 5) printf("  x = %ld of %ld: q = %.17g, I_q = %.17g\n", x, n, q, p);
			}
			last = q;
		}
	}
	snprintf(what, sizeof what, "Clopper-Pearson: every x of 1000 and 2000 (%d of %d wrong)", bad, n_tot);
	check(bad == 0, what);
}

int main(void)
{
	km_verbose = 0; /* min-freq alleles and ignored y-db columns warn; not here */
	snprintf(tmpdir, sizeof tmpdir, "/tmp/km_lineage_XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		printf("FAIL mkdtemp\n");
		return 1;
	}
	test_ydb_reader();
	test_mt_reader();
	test_lineage_lr(0);
	test_lineage_lr(1);
	test_mt_rate();
	test_build_errors();
	test_reference_data();
	test_ydb_partial();
	test_cp_upper95();
	{
		static const char *const f[] = { "ydb.tsv", "mtdna.tsv", "mtdb.tsv", "mtdna2.tsv" };
		char path[256];
		size_t i;
		for (i = 0; i < sizeof f / sizeof f[0]; ++i) {
			snprintf(path, sizeof path, "%s/%s", tmpdir, f[i]);
			unlink(path);
		}
		rmdir(tmpdir);
	}
	printf("%d ok, %d failed\n", n_ok, n_fail);
	return n_fail ? 1 : 0;
}
