/* test_linjoint.c — the Y-STR term of two or more remains placed in one family (issue 11
 * part 7, linjoint.c), against a brute-force sum.
 *
 * The brute force enumerates the repeat numbers (offsets from the reference's) of every
 * untyped person on the male-line tree joining the placed remains and the reference over
 * [-B, B], and adds prod over the tree's father-son edges of P_1(x_son - x_father), with
 * P_1 = {0: 1 - mu, +-1: mu/2}, per compared locus and copy — the definition, written
 * independently of the peeling in linjoint.c.  The denominators are taken from the
 * pairwise LR: log10 f_V = sum of log10 P_k(d) (closed form, multinomial) - pairwise LR, so
 * the joint term with one remain must be the pairwise one and with several the brute force
 * minus those f.  Also: order independence, exclusions (non-integral difference, copy
 * counts), remains on different lines (the sum of pairwise terms) and the cases not covered
 * (two remains on a line without a Y reference).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kmpriv.h"
#include "check.h"
#include "lineage.h"

static void check_lr(const char *what, double got, double want)
{
	int good = (isinf(want) && isinf(got) && (want < 0) == (got < 0)) || fabs(got - want) < 1e-10;
	check(good, what);
	if (!good) printf("  got %.12f want %.12f\n", got, want);
}

static const char *PANEL =
	"marker\ttype\tchrom\tmutation_rate\tfemale_rate\tmale_rate\n"
	"D1\tSTR\t1\t0.001\t\t\n"
	"DYS19\tY-STR\tY\t0.002\t\t0.0025\n"
	"DYS385\tY-STR\tY\t0.002\t\t\n"
	"DYS570\tY-STR\tY\t0.0134\t\t\n"
	"DYS389I\tY-STR\tY\t0.003\t\t\n";
static const double MU[4] = { 0.0025, 0.002, 0.0134, 0.003 };   /* DYS19, DYS385, DYS570, DYS389I */
static const char *FREQS = "marker\tallele\tfrequency\nD1\t10\t0.5\nD1\t11\t0.5\n";

/* the reference R: DYS19 14, DYS385 11/14, DYS570 17, DYS389I 13 */
#define YHAP(s, a, b, c, d, e) s "\tDYS19\t" a "\t.\n" s "\tDYS385\t" b "\t" c "\n" s "\tDYS570\t" d "\t.\n" s "\tDYS389I\t" e "\t.\n"
static const char *REMAINS =
	"sample\tmarker\tallele1\tallele2\n"
	YHAP("V1", "14", "11", "14", "17", "13")      /* as R */
	YHAP("V2", "14", "11", "14", "18", "13")      /* DYS570 +1 */
	YHAP("V3", "15", "11", "15", "16", "13")      /* DYS19 +1, DYS385 second copy +1, DYS570 -1 */
	YHAP("V4", "14", "11", "14", "17.2", "13")    /* DYS570 non-integral */
	"V5\tDYS19\t14\t.\nV5\tDYS385\t11\t.\nV5\tDYS570\t17\t.\n"   /* one DYS385 copy: differs from R */
	"V6\tDYS19\t13\t.\n"                          /* only DYS19, -1 */
	"V7\tD1\t10\t11\n";                          /* no Y data */
static const char *REFS =
	"sample\tmarker\tallele1\tallele2\n"
	YHAP("R", "14", "11", "14", "17", "13")
	YHAP("R2", "15", "12", "14", "17", "13");
/* J1: GF's sons A, M1, M2; A's son R (reference); M2's son M3.  M1, M2: k = 3; M3: k = 4.
 * J2: two missing brothers, no Y reference.  J3: M1 on R's line (k = 2: R is his brother),
 * M2 his maternal half-brother, on R2's line (R2 his son, k = 1). */
static const char *PEDS =
	"family\tperson\tfather\tmother\tsex\trole\n"
	"J1\tGF\t0\t0\t1\tuntyped\nJ1\tGM\t0\t0\t2\tuntyped\nJ1\tA\tGF\tGM\t1\tuntyped\nJ1\tAW\t0\t0\t2\tuntyped\n"
	"J1\tR\tA\tAW\t1\treference\nJ1\tM1\tGF\tGM\t1\tmissing\nJ1\tM2\tGF\tGM\t1\tmissing\nJ1\tM2W\t0\t0\t2\tuntyped\n"
	"J1\tM3\tM2\tM2W\t1\tmissing\n"
	"J2\tGF\t0\t0\t1\tuntyped\nJ2\tGM\t0\t0\t2\tuntyped\nJ2\tM1\tGF\tGM\t1\tmissing\nJ2\tM2\tGF\tGM\t1\tmissing\n"
	"J3\tF1\t0\t0\t1\tuntyped\nJ3\tF2\t0\t0\t1\tuntyped\nJ3\tMO\t0\t0\t2\tuntyped\nJ3\tM1\tF1\tMO\t1\tmissing\n"
	"J3\tR\tF1\tMO\t1\treference\nJ3\tM2\tF2\tMO\t1\tmissing\nJ3\tW2\t0\t0\t2\tuntyped\nJ3\tR2\tM2\tW2\t1\treference\n";
static const char *YDB =
	"haplotype\tDYS19\tDYS385\tDYS570\tDYS389I\n"
	"h1\t14\t11,14\t17\t13\nh2\t14\t11,14\t17\t13\nh3\t15\t11,14\t17\t13\nh4\t14\t11,14\t18\t13\n"
	"h5\t14\t11,14\t17\tNA\nh6\t15\t12,14\t17\t13\nh7\t13\t12,15\t16\t12\n";

/* the remains' offsets from R per (locus, copy), NAN = not compared */
#define NA NAN
static const double OFF[7][5] = {
	{ 0, 0, 0, 0, 0 }, { 0, 0, 0, 1, 0 }, { 1, 0, 1, -1, 0 }, { NA, NA, NA, NA, NA }, { NA, NA, NA, NA, NA },
	{ -1, NA, NA, NA, NA }, { NA, NA, NA, NA, NA } };
static const int COPY_LOCUS[5] = { 0, 1, 1, 2, 3 };

static double p1(double mu, int d) { return d == 0 ? 1.0 - mu : (d == 1 || d == -1) ? 0.5 * mu : 0.0; }

/* P_k(d) in closed form (multinomial over up, down and no steps) */
static double pk(double mu, int k, int d)
{
	double s = 0.0;
	for (int u = 0; u <= k; ++u)
		for (int v = 0; u + v <= k; ++v)
			if (u - v == d)
				s += exp(lgamma(k + 1.0) - lgamma(u + 1.0) - lgamma(v + 1.0) - lgamma(k - u - v + 1.0)) *
				     pow(mu / 2, u + v) * pow(1 - mu, k - u - v);
	return s;
}

/* J1's male-line tree: nodes GF A R M1 M2 M3, father of each (-1: GF) */
enum { GF, A, R, M1, M2, M3, NN };
static const int FATHER[NN] = { -1, GF, A, GF, GF, M2 };

/* brute force: sum over the unobserved nodes' offsets of prod over edges (node, father)
 * whose both ends lie on the tree joining the observed nodes; obs[node] NAN = unobserved.
 * Nodes off that tree sum to 1 and are left out, as are edges above it. */
static double brute(double mu, const double *obs, const int *on_tree)
{
	int un[NN], nu = 0, B = 8;
	double x[NN], s = 0.0;
	for (int i = 0; i < NN; ++i) if (on_tree[i] && isnan(obs[i])) un[nu++] = i;
	long total = 1;
	for (int i = 0; i < nu; ++i) total *= 2 * B + 1;
	for (long c = 0; c < total; ++c) {
		long t = c;
		for (int i = 0; i < NN; ++i) x[i] = obs[i];
		for (int i = 0; i < nu; ++i) x[un[i]] = (double)(t % (2 * B + 1) - B), t /= 2 * B + 1;
		double p = 1.0;
		for (int i = 0; i < NN && p > 0.0; ++i)
			if (on_tree[i] && FATHER[i] >= 0 && on_tree[FATHER[i]]) p *= p1(mu, (int)(x[i] - x[FATHER[i]]));
		s += p;
	}
	return s;
}

typedef struct { km_panel_t p; km_freqs_t f; km_prof_t rem, refs; km_peds_t peds; } world_t;

static int person(const km_peds_t *d, const char *fam, const char *id, int *f)
{
	for (*f = 0; *f < d->n_family; ++*f)
		if (strcmp(d->fam[*f].id, fam) == 0)
			for (int i = 0; i < d->fam[*f].n_person; ++i)
				if (strcmp(d->fam[*f].person[i].id, id) == 0) return i;
	printf("FAIL no person %s/%s\n", fam, id);
	exit(1);
}

static double pairwise(const km_lin_t *L, const world_t *w, const char *fam, const char *q, const char *v)
{
	int f, i = person(&w->peds, fam, q, &f), ref, k;
	double *tab = calloc((size_t)km_lin_ncol(L, KM_SYS_Y) + 1, sizeof(double));
	km_err_t e;
	if (!tab || km_lin_cand(L, KM_SYS_Y, &w->peds, f, i, tab, &ref, &k, &e) < 0) { printf("FAIL km_lin_cand\n"); exit(1); }
	double x = tab[km_lin_col(L, KM_SYS_Y, km_prof_find(&w->rem, v))];
	free(tab);
	return x;
}

static double joint(km_linj_t *W, const world_t *w, const char *fam, int n, const char *const *qs, const char *const *vs, int *unc)
{
	int q[8], r[8], f = 0;
	km_err_t e;
	double lr;
	for (int i = 0; i < n; ++i) q[i] = person(&w->peds, fam, qs[i], &f), r[i] = km_prof_find(&w->rem, vs[i]);
	if (km_linj_term(W, KM_SYS_Y, f, q, r, n, &lr, unc, &e) < 0) { printf("FAIL km_linj_term: %s\n", e.msg); exit(1); }
	return lr;
}

int main(void)
{
	km_verbose = 0;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/km_linjoint_XXXXXX");
	if (!mkdtemp(tmpdir)) { printf("FAIL mkdtemp\n"); return 1; }
	char ydb[128];
	snprintf(ydb, sizeof ydb, "%s/ydb.tsv", tmpdir);
	FILE *fp = fopen(ydb, "w");
	if (!fp || fputs(YDB, fp) < 0 || fclose(fp) != 0) { printf("FAIL write ydb\n"); return 1; }
	world_t w;
	km_err_t e;
	memset(&w, 0, sizeof w);
	if (km_panel_load_mem(&w.p, "panel.tsv", PANEL, strlen(PANEL), &e) < 0 ||
	    km_freqs_load_mem(&w.f, &w.p, "freqs.tsv", FREQS, strlen(FREQS), 0.001, &e) < 0 ||
	    km_prof_load_mem(&w.rem, &w.p, &w.f, "remains.tsv", REMAINS, strlen(REMAINS), &e) < 0 ||
	    km_prof_load_mem(&w.refs, &w.p, &w.f, "references.tsv", REFS, strlen(REFS), &e) < 0 ||
	    km_peds_load_mem(&w.peds, "pedigrees.tsv", PEDS, strlen(PEDS), &e) < 0 ||
	    km_peds_link(&w.peds, &w.refs, &w.p, &e) < 0) { printf("FAIL world: %s\n", e.msg); return 1; }
	km_linfiles_t F;
	km_linopt_t o;
	if (km_linfiles_load(&F, &w.p, ydb, NULL, NULL, &e) < 0) { printf("FAIL km_linfiles_load: %s\n", e.msg); return 1; }
	km_linfiles_opt(&F, &o, -1, 0);
	km_lin_t *L = NULL;
	km_linj_t *W = NULL;
	if (km_lin_build(&L, &o, &w.p, &w.f, &w.rem, &w.refs, &w.peds, &e) < 0 || !L) { printf("FAIL km_lin_build: %s\n", e.msg); return 1; }
	km_linfiles_destroy(&F);
	if (km_linj_new(&W, L, &w.peds, &e) < 0) { printf("FAIL km_linj_new\n"); return 1; }
	int unc;
	char what[160];

	/* one remain: exactly the pairwise term */
	static const char *const vv[] = { "V1", "V2", "V3", "V4", "V5", "V6", "V7" };
	static const char *const qq[] = { "M1", "M2", "M3" };
	for (int qi = 0; qi < 3; ++qi)
		for (int v = 0; v < 7; ++v) {
			double j = joint(W, &w, "J1", 1, &qq[qi], &vv[v], &unc), pw = pairwise(L, &w, "J1", qq[qi], vv[v]);
			snprintf(what, sizeof what, "one remain %s at J1/%s: the pairwise Y LR (%g)", vv[v], qq[qi], pw);
			check(unc == 0 && (j == pw || fabs(j - pw) < 1e-12), what);
		}

	/* log10 f of each remain from its pairwise LR at M1 (k = 3): sum log10 P_3(d) - LR */
	double logf[7];
	for (int v = 0; v < 3; ++v) {
		double num = 0.0;
		for (int c = 0; c < 5; ++c) if (!isnan(OFF[v][c])) num += log10(pk(MU[COPY_LOCUS[c]], 3, (int)OFF[v][c]));
		logf[v] = num - pairwise(L, &w, "J1", "M1", vv[v]);
	}
	logf[5] = log10(pk(MU[0], 3, -1)) - pairwise(L, &w, "J1", "M1", "V6");

	/* two and three remains on R's line: brute force over the untyped persons */
	static const struct { int n; int node[3]; int v[3]; } cases[] = {
		{ 2, { M1, M2 }, { 0, 1 } }, { 2, { M1, M2 }, { 1, 2 } }, { 2, { M2, M3 }, { 2, 1 } },
		{ 3, { M1, M2, M3 }, { 0, 1, 2 } }, { 3, { M1, M2, M3 }, { 2, 5, 1 } }, { 2, { M1, M3 }, { 5, 2 } },
	};
	static const char *const nodename[NN] = { "GF", "A", "R", "M1", "M2", "M3" };
	for (size_t t = 0; t < sizeof cases / sizeof cases[0]; ++t) {
		int n = cases[t].n, on[NN] = { 0 };
		const char *qs[3], *vs[3];
		for (int i = 0; i < n; ++i) qs[i] = nodename[cases[t].node[i]], vs[i] = vv[cases[t].v[i]];
		/* the tree joining R and the placed remains: their paths up to GF (all meet there or at A) */
		on[R] = on[A] = on[GF] = 1;
		for (int i = 0; i < n; ++i) for (int u = cases[t].node[i]; u >= 0; u = FATHER[u]) on[u] = 1;
		double want = 0.0;
		for (int c = 0; c < 5; ++c) {
			double obs[NN];
			int any = 0;
			for (int i = 0; i < NN; ++i) obs[i] = NAN;
			obs[R] = 0.0;
			for (int i = 0; i < n; ++i) {
				double x = OFF[cases[t].v[i]][c];
				if (!isnan(x)) obs[cases[t].node[i]] = x, any = 1;
			}
			if (!any) continue;
			/* a remain not compared at this copy leaves its node unobserved: it sums out,
			 * and so does the part of its path that joins nothing observed */
			int on_c[NN];
			memcpy(on_c, on, sizeof on);
			for (int pass = 0; pass < NN; ++pass)   /* prune unobserved leaves of the tree */
				for (int u = 0; u < NN; ++u) {
					if (!on_c[u] || !isnan(obs[u])) continue;
					int deg = FATHER[u] >= 0 && on_c[FATHER[u]];
					for (int ch = 0; ch < NN; ++ch) deg += on_c[ch] && FATHER[ch] == u;
					if (deg <= 1) on_c[u] = 0;
				}
			want += log10(brute(MU[COPY_LOCUS[c]], obs, on_c));
		}
		for (int i = 0; i < n; ++i) want -= logf[cases[t].v[i]];
		double got = joint(W, &w, "J1", n, qs, vs, &unc);
		double psum = 0.0;
		for (int i = 0; i < n; ++i) psum += pairwise(L, &w, "J1", qs[i], vs[i]);
		snprintf(what, sizeof what, "case %zu: %d remains on one line, brute force (joint %.6f, sum of pairwise %.6f)", t, n, want, psum);
		check_lr(what, got, want);
		check(unc == 0, "  covered");
		/* the same set in reverse order */
		const char *qr[3], *vr[3];
		for (int i = 0; i < n; ++i) qr[i] = qs[n - 1 - i], vr[i] = vs[n - 1 - i];
		snprintf(what, sizeof what, "case %zu: order of the placements does not matter", t);
		check_lr(what, joint(W, &w, "J1", n, qr, vr, &unc), got);
	}

	/* exclusions: a non-integral difference or another copy count beside a good remain */
	{
		const char *qs[2] = { "M1", "M2" }, *v4[2] = { "V1", "V4" }, *v5[2] = { "V5", "V2" };
		check_lr("non-integral difference: -inf", joint(W, &w, "J1", 2, qs, v4, &unc), -INFINITY);
		check_lr("DYS385 copy count differs from R's: -inf", joint(W, &w, "J1", 2, qs, v5, &unc), -INFINITY);
	}
	/* a remain without Y data changes nothing */
	{
		const char *qs[2] = { "M1", "M2" }, *vs[2] = { "V2", "V7" };
		check_lr("a remain without Y data: the other's pairwise term", joint(W, &w, "J1", 2, qs, vs, &unc), pairwise(L, &w, "J1", "M1", "V2"));
	}
	/* different lines: the sum of the pairwise terms */
	{
		const char *qs[2] = { "M1", "M2" }, *vs[2] = { "V2", "V3" };
		double want = pairwise(L, &w, "J3", "M1", "V2") + pairwise(L, &w, "J3", "M2", "V3");
		check_lr("two lines: the sum of the pairwise terms", joint(W, &w, "J3", 2, qs, vs, &unc), want);
		check(unc == 0, "  covered");
	}
	/* not covered: two brothers on a line without a Y reference */
	{
		const char *qs[2] = { "M1", "M2" }, *vs[2] = { "V1", "V2" };
		double x = joint(W, &w, "J2", 2, qs, vs, &unc);
		check(x == 0.0 && unc == 1, "two remains on a line without a Y reference: left out, counted");
	}
	km_linj_free(W);
	km_lin_destroy(L);
	km_peds_destroy(&w.peds);
	km_prof_destroy(&w.refs);
	km_prof_destroy(&w.rem);
	km_freqs_destroy(&w.f);
	km_panel_destroy(&w.p);
	unlink(ydb);
	rmdir(tmpdir);
	printf("%d ok, %d failed\n", n_ok, n_fail);
	return n_fail ? 1 : 0;
}
