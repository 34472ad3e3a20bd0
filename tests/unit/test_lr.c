/* test_lr.c — the likelihood engine against closed forms.
 * Each case prints its inputs on failure; the program exits non-zero if any fails.
 * References: Egeland, Kling & Mostad (2016) ch. 2-4; Fung & Hu (2008) ch. 5; MODELS.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kmpriv.h"
#include "lik.h"

static int n_fail, n_ok;

static void check(const char *what, double got, double want, double tol)
{
	int good = (isinf(want) && got == want) || fabs(got - want) <= tol * (1.0 + fabs(want));
	if (good) ++n_ok;
	else { ++n_fail; printf("FAIL %s: got %.12g, want %.12g\n", what, got, want); }
}

/* log10 LR of missing person q showing {a,b} (b = KM_HEMI for a man at X), like compile.c */
static double lr(const km_locus_t *L, const km_lped_t *P, int q, int a, int b)
{
	km_err_t e;
	int n = L->n;
	double *phi = malloc(sizeof(double) * n * n), lg, pref = 0.0;
	int male_x = L->xlinked && P->sex[q] == KM_MALE;
	if (km_lik_query(L, P, q, phi, &lg, &e) < 0) { printf("FAIL engine: %s\n", e.msg); exit(1); }
	for (int i = 0; i < (male_x ? n : n * n); ++i) pref += phi[i];
	double l1 = male_x ? phi[a] : a == b ? phi[a * n + a] : phi[a * n + b] + phi[b * n + a];
	double pg = male_x ? L->p[a] : a == b ? L->p[a] * L->p[a] : 2 * L->p[a] * L->p[b];
	free(phi);
	return l1 > 0 ? log10(l1 / pref / pg) : -(double)INFINITY;
}

/* P(g_M | one allele IBD with g_R) for unordered genotypes: the IBD allele is either of
 * R's with probability 1/2, the other of M's alleles is drawn from p. */
static double ibd1(const double *p, int a, int b, int c, int d)
{
	double s = 0.0;
	int x[2] = { c, d };
	for (int k = 0; k < 2; ++k) {
		if (a == b) s += 0.5 * (x[k] == a) * p[a];
		else s += 0.5 * ((x[k] == a) * p[b] + (x[k] == b) * p[a]);
	}
	return s;
}

/* kappa-weighted pairwise LR (Egeland et al. 2016, eq. 2.6; Thompson 1975) */
static double kappa_lr(const double *p, const double k[3], int a, int b, int c, int d)
{
	double pg = a == b ? p[a] * p[a] : 2 * p[a] * p[b];
	double same = (a == c && b == d) || (a == d && b == c);
	return k[0] + k[1] * ibd1(p, a, b, c, d) / pg + k[2] * same / pg;
}

int main(void)
{
	double p[5] = { 0.1, 0.2, 0.3, 0.15, 0.25 };
	km_locus_t L = { 5, p, NULL, NULL, 0, NULL, NULL };
	char what[256];

	/* ---- parent-child: father typed, son missing, mother untyped founder */
	{
		int fa[3] = { -1, -1, 0 }, mo[3] = { -1, -1, 1 }, sx[3] = { 1, 2, 1 };
		int32_t gt[6] = { 0, 1, KM_NOALLELE, KM_NOALLELE, KM_NOALLELE, KM_NOALLELE };
		km_lped_t P = { 3, fa, mo, sx, gt, NULL };
		check("parent-child ab/ac = 1/(4 p_a)", lr(&L, &P, 2, 0, 2), log10(1 / (4 * p[0])), 1e-12);
		check("parent-child ab/ab = (pa+pb)/(4 pa pb)", lr(&L, &P, 2, 0, 1), log10((p[0] + p[1]) / (4 * p[0] * p[1])), 1e-12);
		check("parent-child ab/aa = 1/(2 p_a)", lr(&L, &P, 2, 0, 0), log10(1 / (2 * p[0])), 1e-12);
		check("parent-child ab/cd = exclusion", lr(&L, &P, 2, 2, 3), -INFINITY, 0);
	}
	/* ---- kappa-weighted relatives: every genotype pair at once */
	{
		static const struct { const char *name; double k[3]; int n; int fa[9], mo[9], sx[9]; int r, m; } rel[] = {
			/* full sibs: parents 0,1; R = 2, M = 3 */
			{ "full sibs", { .25, .5, .25 }, 4, { -1, -1, 0, 0 }, { -1, -1, 1, 1 }, { 1, 2, 1, 1 }, 2, 3 },
			/* paternal half sibs: father 0, mothers 1, 2; R = 3, M = 4 */
			{ "half sibs", { .5, .5, 0 }, 5, { -1, -1, -1, 0, 0 }, { -1, -1, -1, 1, 2 }, { 1, 2, 2, 1, 1 }, 3, 4 },
			/* first cousins: grandparents 0,1; their sons 2,3; wives 4,5; R = 6, M = 7 */
			{ "first cousins", { .75, .25, 0 }, 8, { -1, -1, 0, 0, -1, -1, 2, 3 }, { -1, -1, 1, 1, -1, -1, 4, 5 },
			  { 1, 2, 1, 1, 2, 2, 1, 1 }, 6, 7 },
			/* avuncular: grandparents 0,1; uncle 2 (R), father 3, mother 4; M = 5 */
			{ "uncle", { .5, .5, 0 }, 6, { -1, -1, 0, 0, -1, 3 }, { -1, -1, 1, 1, -1, 4 }, { 1, 2, 1, 1, 2, 1 }, 2, 5 },
		};
		for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); ++i) {
			int32_t gt[18];
			for (int c = 0; c < 5; ++c)
				for (int d = c; d < 5; ++d) {
					for (int k = 0; k < 18; ++k) gt[k] = KM_NOALLELE;
					gt[2 * rel[i].r] = c, gt[2 * rel[i].r + 1] = d;
					km_lped_t P = { rel[i].n, rel[i].fa, rel[i].mo, rel[i].sx, gt, NULL };
					for (int a = 0; a < 5; ++a)
						for (int b = a; b < 5; ++b) {
							snprintf(what, sizeof what, "%s R=%d/%d M=%d/%d", rel[i].name, c, d, a, b);
							check(what, lr(&L, &P, rel[i].m, a, b), log10(kappa_lr(p, rel[i].k, a, b, c, d)), 1e-10);
						}
				}
		}
	}
	/* ---- X rules (MODELS.md §2) */
	{
		km_locus_t X = { 5, p, NULL, NULL, 1, NULL, NULL };
		int fa[3] = { -1, -1, 0 }, mo[3] = { -1, -1, 1 };
		int sxd[3] = { 1, 2, 2 }, sxs[3] = { 1, 2, 1 };
		int32_t gf[6] = { 0, KM_HEMI, KM_NOALLELE, KM_NOALLELE, KM_NOALLELE, KM_NOALLELE };
		km_lped_t Pd = { 3, fa, mo, sxd, gf, NULL }, Ps = { 3, fa, mo, sxs, gf, NULL };
		check("X father a -> daughter ab = 1/(2 p_a)", lr(&X, &Pd, 2, 0, 1), log10(1 / (2 * p[0])), 1e-12);
		check("X father a -> daughter aa = 1/p_a", lr(&X, &Pd, 2, 0, 0), log10(1 / p[0]), 1e-12);
		check("X father a -> daughter bc: exclusion", lr(&X, &Pd, 2, 1, 2), -INFINITY, 0);
		check("X father -> son: LR 1", lr(&X, &Ps, 2, 3, KM_HEMI), 0.0, 1e-12);
		int32_t gm[6] = { KM_NOALLELE, KM_NOALLELE, 0, 1, KM_NOALLELE, KM_NOALLELE };
		km_lped_t Pm = { 3, fa, mo, sxs, gm, NULL };
		check("X mother ab -> son a = 1/(2 p_a)", lr(&X, &Pm, 2, 0, KM_HEMI), log10(1 / (2 * p[0])), 1e-12);
		check("X mother ab -> son c: exclusion", lr(&X, &Pm, 2, 2, KM_HEMI), -INFINITY, 0);
		/* paternal half sisters share their father's X: kappa (0, 1, 0) on the paternal allele */
		int fh[5] = { -1, -1, -1, 0, 0 }, mh[5] = { -1, -1, -1, 1, 2 }, sh[5] = { 1, 2, 2, 2, 2 };
		int32_t gh[10] = { KM_NOALLELE, KM_NOALLELE, KM_NOALLELE, KM_NOALLELE, KM_NOALLELE, KM_NOALLELE, 0, 1, KM_NOALLELE, KM_NOALLELE };
		km_lped_t Ph = { 5, fh, mh, sh, gh, NULL };
		/* R = a/b, M = a/c: M's paternal allele is R's paternal one (a or b, 1/2 each) */
		check("X paternal half sisters ab/ac", lr(&X, &Ph, 4, 0, 2), log10(0.5 * p[2] / (2 * p[0] * p[2])), 1e-12);
	}
	/* ---- mutation matrices */
	{
		km_alleles_t al = { 0 };
		char *lab[7] = { "9", "10", "11", "12", "10.3", "11.3", "13.2" };
		double pp[7] = { .1, .2, .2, .2, .1, .1, .1 };
		al.n_allele = 7, al.label = lab, al.p = pp;
		double M[49];
		km_err_t e;
		if (km_mut_matrix(KM_MUT_STEPWISE, &al, "T", 0.01, 0.5, 0.001, M, &e) < 0) { printf("FAIL %s\n", e.msg); return 1; }
		/* MODELS.md worked example (r = 0.01, r2 = 0.001, R = 0.5) */
		double row9[7] = { 0.989, 0.01 * 0.5 / 0.875, 0.01 * 0.25 / 0.875, 0.01 * 0.125 / 0.875, 0.001 / 3, 0.001 / 3, 0.001 / 3 };
		double row103[7] = { 0.0002, 0.0002, 0.0002, 0.0002, 0.989, 0.01, 0.0002 };
		double row132[7] = { 0.001 / 6, 0.001 / 6, 0.001 / 6, 0.001 / 6, 0.001 / 6, 0.001 / 6, 0.999 };
		for (int j = 0; j < 7; ++j) {
			snprintf(what, sizeof what, "stepwise row 9 col %d", j); check(what, M[0 * 7 + j], row9[j], 1e-12);
			snprintf(what, sizeof what, "stepwise row 10.3 col %d", j); check(what, M[4 * 7 + j], row103[j], 1e-12);
			snprintf(what, sizeof what, "stepwise row 13.2 col %d", j); check(what, M[6 * 7 + j], row132[j], 1e-12);
		}
		check("stepwise row 9 rounds as MODELS.md", M[1], 0.0057143, 1e-4);
		if (km_mut_matrix(KM_MUT_EQUAL, &al, "T", 0.006, 0.5, 0, M, &e) < 0) return 1;
		check("equal diagonal", M[3 * 7 + 3], 0.994, 1e-15);
		check("equal off-diagonal", M[3 * 7 + 5], 0.001, 1e-15);
		if (km_mut_matrix(KM_MUT_PROPORTIONAL, &al, "T", 0.006, 0.5, 0, M, &e) < 0) return 1;
		double rate = 0.0, st = 0.0;
		for (int i = 0; i < 7; ++i) rate += pp[i] * (1 - M[i * 7 + i]);
		for (int i = 0; i < 7; ++i) st += pp[i] * M[i * 7 + 2];
		check("proportional: expected rate = r", rate, 0.006, 1e-12);
		check("proportional: stationary (p M = p)", st, pp[2], 1e-12);
		/* microvariant class by round-half-even: 9.5 and 10.5 fall into different classes */
		char *lab5[3] = { "9.5", "10.5", "11.5" };
		double x[3]; int g[3];
		km_alleles_t a5 = { 0 };
		a5.n_allele = 3, a5.label = lab5, a5.p = pp;
		km_mut_stepwise_values(&a5, "T", x, g, &e);
		check("rint class of 9.5", g[0], -5, 0); check("rint class of 10.5", g[1], 5, 0);
		/* parent-child with mutation: father aa, child bc: P = M[a,b] p_c + M[a,c] p_b */
		double p5[5] = { 0.1, 0.2, 0.3, 0.15, 0.25 }, M5[25];
		char *l5[5] = { "10", "11", "12", "13", "14" };
		km_alleles_t al5 = { 0 };
		al5.n_allele = 5, al5.label = l5, al5.p = p5;
		km_mut_matrix(KM_MUT_STEPWISE, &al5, "T", 0.002, 0.5, 0, M5, &e);
		km_locus_t Lm = { 5, p5, M5, M5, 0, NULL, NULL };
		int fa[3] = { -1, -1, 0 }, mo[3] = { -1, -1, 1 }, sx[3] = { 1, 2, 1 };
		int32_t gt[6] = { 0, 0, KM_NOALLELE, KM_NOALLELE, KM_NOALLELE, KM_NOALLELE };
		km_lped_t P = { 3, fa, mo, sx, gt, NULL };
		/* the untyped mother passes p M, not p (MODELS.md §2, pruning) */
		double pm[5] = { 0 };
		for (int i = 0; i < 5; ++i) for (int j = 0; j < 5; ++j) pm[j] += p5[i] * M5[i * 5 + j];
		double want = (M5[0 * 5 + 1] * pm[2] + M5[0 * 5 + 2] * pm[1]) / (2 * p5[1] * p5[2]);
		check("stepwise father 10/10 -> son 11/12", lr(&Lm, &P, 2, 1, 2), log10(want), 1e-12);
	}
	/* ---- theta: father a/c typed, son a/b, mother untyped (MODELS.md §4 example) */
	{
		double th = 0.03;
		int fa[3] = { -1, -1, 0 }, mo[3] = { -1, -1, 1 }, sx[3] = { 1, 2, 1 };
		int32_t g1[6] = { 0, 2, KM_NOALLELE, KM_NOALLELE, 0, 1 }, g2[6] = { 0, 2, KM_NOALLELE, KM_NOALLELE, KM_NOALLELE, KM_NOALLELE };
		km_lped_t P1 = { 3, fa, mo, sx, g1, NULL }, P2 = { 3, fa, mo, sx, g2, NULL };
		km_err_t e;
		double l1, l2;
		int extra[2] = { 0, 1 };
		km_lik_theta(&L, &P1, th, NULL, 0, &l1, &e);
		km_lik_theta(&L, &P2, th, extra, 2, &l2, &e);
		l2 += log10(2.0);
		check("theta parent-child (1+2t)/(4(t+(1-t)pa))", l1 - l2, log10((1 + 2 * th) / (4 * (th + (1 - th) * p[0]))), 1e-12);
		double l0;
		int32_t gs[2] = { 0, 0 };
		int f1[1] = { -1 }, m1[1] = { -1 }, s1[1] = { 1 };
		km_lped_t Ps = { 1, f1, m1, s1, gs, NULL };
		km_lik_theta(&L, &Ps, th, NULL, 0, &l0, &e);
		check("theta singleton homozygote p(t+(1-t)p)", l0, log10(p[0] * (th + (1 - th) * p[0])), 1e-12);
	}
	/* ---- a long pedigree does not underflow: 500 generations of fathers, every one typed
	 * a/b, missing at the bottom -> a finite log10 P(data) */
	{
		enum { G = 500 };
		int *fa = malloc(sizeof(int) * 2 * G), *mo = malloc(sizeof(int) * 2 * G), *sx = malloc(sizeof(int) * 2 * G);
		int32_t *gt = malloc(sizeof(int32_t) * 4 * G);
		for (int i = 0; i < G; ++i) {            /* 2i: man of generation i, 2i+1: his wife */
			fa[2 * i] = i ? 2 * (i - 1) : -1; mo[2 * i] = i ? 2 * (i - 1) + 1 : -1; sx[2 * i] = 1;
			fa[2 * i + 1] = mo[2 * i + 1] = -1; sx[2 * i + 1] = 2;
			gt[4 * i] = 0, gt[4 * i + 1] = 1;
			gt[4 * i + 2] = gt[4 * i + 3] = KM_NOALLELE;
		}
		gt[4 * (G - 1)] = gt[4 * (G - 1) + 1] = KM_NOALLELE;
		km_lped_t P = { 2 * G, fa, mo, sx, gt, NULL };
		double phi[25], lg;
		km_err_t e;
		km_lik_query(&L, &P, -1, phi, &lg, &e);
		double v = lg + log10(phi[0]);
		if (isfinite(v) && v < -320) ++n_ok; else { ++n_fail; printf("FAIL long pedigree: log10 P = %g\n", v); }
		free(fa); free(mo); free(sx); free(gt);
	}
	printf("%d ok, %d failed\n", n_ok, n_fail);
	return n_fail != 0;
}
