/* test_theta.c — the θ engine (theta.c) against definitions and closed forms.
 *
 * 1. Brute force: random small pedigrees (founders and children of earlier persons, so
 *    marriage loops and inbreeding occur), random typed persons and query person, every
 *    mutation model (none, equal, proportional, stepwise with a microvariant and rate2,
 *    sex-specific rates), autosomal and X-linked, θ in {0.01, 0.05, 0.3}: every entry of
 *    the H1 and H2 tables against the sum over every ordered genotype of every person of
 *        urn(founder alleles in person order) * prod transmissions * [typed persons match]
 *    with the urn of MODELS.md §4 (a man at X draws one allele, a woman two), to 1e-10
 *    relative.  The sum is written from the definitions only (no code shared with theta.c).
 * 2. The enumeration of lik.c (km_lik_theta, the old route) on the memorial's shapes with
 *    several references and untyped connectors, every model, to 1e-10.
 * 3. Pairwise closed forms (NRC II 1996 eq. 4.10; Fung & Hu 2008 ch. 5): parent–child and
 *    full siblings from the IBD coefficients with θ-corrected conditional match
 *    probabilities, and θ = 0 against the θ = 0 engine (km_lik_query).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kmpriv.h"
#include "lik.h"

static int n_ok, n_fail;

static void check(const char *what, double got, double want, double rel)
{
	int good = got == want || fabs(got - want) <= rel * fabs(want);
	if (good) ++n_ok;
	else { ++n_fail; if (n_fail < 30) printf("FAIL %s: got %.15g, want %.15g\n", what, got, want); }
}

static unsigned long long rs = 0x9E3779B97F4A7C15ULL;
static double urand(void) { rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17; return (double)(rs >> 11) / 9007199254740992.0; }
static int irand(int n) { return (int)(urand() * n); }

#define MAXP 6
#define MAXK 5

/* ---- 1. brute force ------------------------------------------------------------------ */

typedef struct {
	int n, K, xl, q;
	int fa[MAXP], mo[MAXP], sx[MAXP], typed[MAXP], g[MAXP][2];
	double p[MAXK], Mf[MAXK * MAXK], Mm[MAXK * MAXK], th;
} bcase_t;

static int bhemi(const bcase_t *c, int i) { return c->xl && c->sx[i] == KM_MALE; }

static double burn(const bcase_t *c, const int *seq, int ns)
{
	int cnt[MAXK] = { 0 };
	double pr = 1.0;
	for (int j = 1; j <= ns; ++j) {
		int a = seq[j - 1];
		pr *= (cnt[a] * c->th + (1 - c->th) * c->p[a]) / (1 + (j - 2) * c->th);
		++cnt[a];
	}
	return pr;
}

static double btr(const double *M, int K, int g1, int g2, int a)
{
	return 0.5 * (M[g1 * K + a] + M[g2 * K + a]);
}

/* L1[a*K+b]: q ordered (pat a, mat b), man at X: L1[a]; L2 likewise for the extra founder */
static void brute(const bcase_t *c, double *L1, double *L2)
{
	int K = c->K, nv = 0, var[2 * MAXP], gp[MAXP][2], dig[2 * MAXP] = { 0 };
	memset(L1, 0, sizeof(double) * K * K); memset(L2, 0, sizeof(double) * K * K);
	for (int i = 0; i < c->n; ++i) { if (!bhemi(c, i)) var[nv++] = 2 * i; var[nv++] = 2 * i + 1; }
	for (;;) {
		for (int v = 0; v < nv; ++v) gp[var[v] / 2][var[v] % 2] = dig[v];
		double w = 1.0;
		int seq[2 * MAXP + 2], ns = 0;
		for (int i = 0; i < c->n && w > 0; ++i) {
			int h = bhemi(c, i);
			if (c->typed[i] && i != c->q) {
				if (h) w *= gp[i][1] == c->g[i][0];
				else w *= (gp[i][0] == c->g[i][0] && gp[i][1] == c->g[i][1]) || (gp[i][0] == c->g[i][1] && gp[i][1] == c->g[i][0]);
			}
			if (c->fa[i] < 0) {
				if (!h) seq[ns++] = gp[i][0];
				seq[ns++] = gp[i][1];
				continue;
			}
			int f = c->fa[i], m = c->mo[i];
			if (!h) w *= c->xl ? c->Mm[gp[f][1] * K + gp[i][0]] : btr(c->Mm, K, gp[f][0], gp[f][1], gp[i][0]);
			w *= btr(c->Mf, K, gp[m][0], gp[m][1], gp[i][1]);
		}
		if (w > 0) {
			int q = c->q, hq = bhemi(c, q);
			if (hq) L1[gp[q][1]] += w * burn(c, seq, ns);
			else L1[gp[q][0] * K + gp[q][1]] += w * burn(c, seq, ns);
			for (int x = 0; x < K; ++x)
				for (int y = 0; y < (hq ? 1 : K); ++y) {
					seq[ns] = x, seq[ns + 1] = y;
					if (hq) L2[x] += w * burn(c, seq, ns + 1);
					else L2[x * K + y] += w * burn(c, seq, ns + 2);
				}
		}
		int v;
		for (v = nv - 1; v >= 0; --v) { if (++dig[v] < K) break; dig[v] = 0; }
		if (v < 0) break;
	}
}

static void random_case(bcase_t *c, int it)
{
	static const char *labels[] = { "10", "11", "12", "12.2", "13" };
	memset(c, 0, sizeof(*c));
	c->xl = irand(3) == 0;
	c->n = 3 + irand(3);
	c->K = c->n == 5 ? 2 + irand(2) : 2 + irand(3);
	c->th = (double[]){ 0.01, 0.05, 0.3 }[irand(3)];
	double s = 0;
	for (int a = 0; a < c->K; ++a) s += (c->p[a] = 0.2 + urand());
	for (int a = 0; a < c->K; ++a) c->p[a] /= s;
	int model = it % 4;
	km_alleles_t al = { 0 };
	al.n_allele = c->K, al.label = (char **)labels, al.p = c->p;
	km_err_t e;
	double rf = irand(3) ? 0.02 : 0.0, rm = 0.05, r2 = irand(2) ? 0.01 : 0.0;
	if (model == KM_MUT_PROPORTIONAL) rf = rf ? 0.01 : 0, rm = 0.02;
	if (km_mut_matrix(model, &al, "L", rf, 0.5, r2, c->Mf, &e) < 0 || km_mut_matrix(model, &al, "L", rm, 0.5, r2, c->Mm, &e) < 0) {
		printf("FAIL matrix: %s\n", e.msg);
		exit(1);
	}
	for (int i = 0; i < c->n; ++i) {
		c->sx[i] = i < 2 ? i + 1 : 1 + irand(2);
		c->fa[i] = c->mo[i] = -1;
		int nm = 0, nf = 0, ms[MAXP], fs[MAXP];
		for (int j = 0; j < i; ++j) { if (c->sx[j] == 1) ms[nm++] = j; else fs[nf++] = j; }
		if (i >= 2 && nm && nf && irand(10) < 8) c->fa[i] = ms[irand(nm)], c->mo[i] = fs[irand(nf)];
	}
	c->q = irand(c->n);
	for (int i = 0; i < c->n; ++i) {
		c->typed[i] = i != c->q && irand(2);
		int a = irand(c->K), b = bhemi(c, i) ? a : irand(c->K);
		c->g[i][0] = a < b ? a : b, c->g[i][1] = a < b ? b : a;
	}
}

static void run_brute(int n_case)
{
	for (int it = 0; it < n_case; ++it) {
		bcase_t c;
		random_case(&c, it);
		int K = c.K, hq = bhemi(&c, c.q);
		double L1[MAXK * MAXK], L2[MAXK * MAXK], phi[MAXK * MAXK];
		brute(&c, L1, L2);
		int32_t gt[2 * MAXP];
		for (int i = 0; i < c.n; ++i) {
			gt[2 * i] = gt[2 * i + 1] = KM_NOALLELE;
			if (!c.typed[i]) continue;
			gt[2 * i] = c.g[i][0];
			gt[2 * i + 1] = bhemi(&c, i) ? KM_HEMI : c.g[i][1];
		}
		int model = it % 4;
		km_locus_t L = { K, c.p, model ? c.Mf : NULL, model ? c.Mm : NULL, c.xl, NULL, NULL };
		km_lped_t P = { c.n, c.fa, c.mo, c.sx, gt, NULL };
		km_theta_t *t = km_theta_new();
		km_err_t e;
		for (int h = 0; h < 2; ++h) {
			if (km_theta_query(t, &L, &P, c.q, h, c.th, phi, &e) < 0) { ++n_fail; printf("FAIL case %d: %s\n", it, e.msg); continue; }
			const double *want = h ? L2 : L1;
			for (int a = 0; a < K; ++a)
				for (int b = 0; b < (hq ? 1 : K); ++b) {
					char what[160];
					snprintf(what, sizeof what, "brute case %d (%s, X %d, theta %g, n %d, K %d, q %d) H%d [%d,%d]",
					         it, km_mut_name(model), c.xl, c.th, c.n, K, c.q, h + 1, a, b);
					check(what, phi[hq ? a : a * K + b], want[hq ? a : a * K + b], 1e-10);
				}
		}
		km_theta_free(t);
	}
}

/* ---- 2. against the enumeration of lik.c on the memorial's shapes ---------------------- */

static void run_shapes(void)
{
	/* persons: 0,1 grandparents (untyped); 2 = M (missing, their son); 3 their daughter
	 * (untyped); 4 her husband; 5 her son (reference); 6 her daughter (reference);
	 * 7 a brother of M (reference) */
	static const int fa[8] = { -1, -1, 0, 0, -1, 4, 4, 0 }, mo[8] = { -1, -1, 1, 1, -1, 3, 3, 1 };
	static const int sx[8] = { 1, 2, 1, 2, 1, 1, 2, 1 };
	static const char *labels[] = { "10", "11", "11.3" };
	double p[3] = { 0.35, 0.45, 0.2 }, Mf[9], Mm[9];
	km_alleles_t al = { 0 };
	al.n_allele = 3, al.label = (char **)labels, al.p = p;
	km_err_t e;
	static const int typed_sets[][4] = { { 5, -1 }, { 7, -1 }, { 5, 6, -1 }, { 5, 7, -1 }, { 5, 6, 7, -1 } };
	for (int xl = 0; xl < 2; ++xl)
		for (int model = 0; model < 4; ++model) {
			km_mut_matrix(model, &al, "L", 0.01, 0.5, 0.002, Mf, &e);
			km_mut_matrix(model, &al, "L", 0.03, 0.5, 0.002, Mm, &e);
			km_locus_t L = { 3, p, model ? Mf : NULL, model ? Mm : NULL, xl, NULL, NULL };
			for (size_t ts = 0; ts < sizeof typed_sets / sizeof typed_sets[0]; ++ts) {
				int32_t gt[16];
				for (int i = 0; i < 16; ++i) gt[i] = KM_NOALLELE;
				for (int k = 0; k < 4 && typed_sets[ts][k] >= 0; ++k) {
					int i = typed_sets[ts][k], a = irand(3), b = irand(3);
					if (xl && sx[i] == KM_MALE) gt[2 * i] = a, gt[2 * i + 1] = KM_HEMI;
					else gt[2 * i] = a < b ? a : b, gt[2 * i + 1] = a < b ? b : a;
				}
				km_lped_t P = { 8, fa, mo, sx, gt, NULL };
				km_theta_t *t = km_theta_new();
				double phi1[9], phi2[9];
				double th = 0.02;
				if (km_theta_query(t, &L, &P, 2, 0, th, phi1, &e) < 0 || km_theta_query(t, &L, &P, 2, 1, th, phi2, &e) < 0) {
					++n_fail; printf("FAIL shapes: %s\n", e.msg); km_theta_free(t); continue;
				}
				int hq = xl;   /* M is a man */
				for (int a = 0; a < 3; ++a)
					for (int b = a; b < (hq ? a + 1 : 3); ++b) {
						double l1, l2;
						int32_t g2[16];
						memcpy(g2, gt, sizeof g2);
						g2[4] = a, g2[5] = hq ? KM_HEMI : b;
						km_lped_t P1 = { 8, fa, mo, sx, g2, NULL };
						int extra[2] = { a, b };
						if (km_lik_theta(&L, &P1, th, NULL, 0, &l1, &e) < 0 || km_lik_theta(&L, &P, th, extra, hq ? 1 : 2, &l2, &e) < 0) {
							++n_fail; printf("FAIL enumeration: %s\n", e.msg); continue;
						}
						double m1 = hq ? phi1[a] : a == b ? phi1[a * 3 + a] : phi1[a * 3 + b] + phi1[b * 3 + a];
						double m2 = hq ? phi2[a] : a == b ? phi2[a * 3 + a] : phi2[a * 3 + b] + phi2[b * 3 + a];
						if (!hq && a != b) l2 += log10(2.0);
						char what[160];
						snprintf(what, sizeof what, "shape %zu %s X %d M={%d,%d} H1", ts, km_mut_name(model), xl, a, b);
						check(what, m1, pow(10.0, l1), 1e-10);
						snprintf(what, sizeof what, "shape %zu %s X %d M={%d,%d} H2", ts, km_mut_name(model), xl, a, b);
						check(what, m2, pow(10.0, l2), 1e-10);
					}
				km_theta_free(t);
			}
		}
}

/* ---- 3. closed forms ----------------------------------------------------------------- */

/* LR of M {a,b} against one reference {c,d} from the IBD coefficients k, with the urn's
 * conditional probabilities (NRC II eq. 4.10 generalised; Fung & Hu 2008 §5.2):
 * k0 P(M | R) + k1 P(M | R, one allele IBD) + k2 [M = R], all over P(M | R). */
static double urn_next(const double *p, double th, const int *seen, int ns, int a)
{
	int b = 0;
	for (int i = 0; i < ns; ++i) b += seen[i] == a;
	return (b * th + (1 - th) * p[a]) / (1 + (ns - 1) * th);
}

static double kappa_theta_lr(const double *p, double th, const double k[3], int a, int b, int c, int d)
{
	int s[4] = { c, d };
	/* P(M | R): M's alleles drawn after R's two (ordered, unordered genotype) */
	double p0;
	s[2] = a; double pa = urn_next(p, th, s, 2, a) * urn_next(p, th, s, 3, b);
	s[2] = b; double pb = urn_next(p, th, s, 2, b) * urn_next(p, th, s, 3, a);
	p0 = a == b ? pa : pa + pb;
	/* one IBD allele: M shares R's allele r (½ each), the other drawn after R's two */
	double p1 = 0.0;
	int r2[2] = { c, d };
	for (int k2 = 0; k2 < 2; ++k2) {
		int r = r2[k2];
		if (a == b) p1 += 0.5 * (r == a) * urn_next(p, th, s, 2, a);
		else p1 += 0.5 * ((r == a) * urn_next(p, th, s, 2, b) + (r == b) * urn_next(p, th, s, 2, a));
	}
	double same = (a == c && b == d) || (a == d && b == c);
	return (k[0] * p0 + k[1] * p1 + k[2] * same) / p0;
}

static void run_closed(void)
{
	double p[4] = { 0.1, 0.2, 0.3, 0.4 };
	km_locus_t L = { 4, p, NULL, NULL, 0, NULL, NULL };
	km_err_t e;
	static const struct { const char *name; double k[3]; int n, fa[4], mo[4], sx[4], r, m; } rel[] = {
		{ "parent-child", { 0, 1, 0 }, 3, { -1, -1, 0 }, { -1, -1, 1 }, { 1, 2, 1 }, 0, 2 },
		{ "full sibs", { .25, .5, .25 }, 4, { -1, -1, 0, 0 }, { -1, -1, 1, 1 }, { 1, 2, 1, 1 }, 2, 3 },
	};
	for (size_t ri = 0; ri < 2; ++ri)
		for (int th10 = 0; th10 < 3; ++th10) {
			double th = (double[]){ 0.0, 0.01, 0.03 }[th10];
			for (int c = 0; c < 4; ++c) for (int d = c; d < 4; ++d) {
				int32_t gt[8];
				for (int i = 0; i < 8; ++i) gt[i] = KM_NOALLELE;
				gt[2 * rel[ri].r] = c, gt[2 * rel[ri].r + 1] = d;
				km_lped_t P = { rel[ri].n, rel[ri].fa, rel[ri].mo, rel[ri].sx, gt, NULL };
				double phi1[16], phi2[16], phi0[16], lg;
				km_theta_t *t = km_theta_new();
				if (km_theta_query(t, &L, &P, rel[ri].m, 0, th, phi1, &e) < 0 || km_theta_query(t, &L, &P, rel[ri].m, 1, th, phi2, &e) < 0 ||
				    km_lik_query(&L, &P, rel[ri].m, phi0, &lg, &e) < 0) { ++n_fail; printf("FAIL closed: %s\n", e.msg); km_theta_free(t); continue; }
				km_theta_free(t);
				double pref = 0;
				for (int i = 0; i < 16; ++i) pref += phi0[i];
				for (int a = 0; a < 4; ++a) for (int b = a; b < 4; ++b) {
					double m1 = a == b ? phi1[a * 4 + a] : phi1[a * 4 + b] + phi1[b * 4 + a];
					double m2 = a == b ? phi2[a * 4 + a] : phi2[a * 4 + b] + phi2[b * 4 + a];
					char what[160];
					snprintf(what, sizeof what, "%s theta %g R={%d,%d} M={%d,%d}", rel[ri].name, th, c, d, a, b);
					check(what, m1 / m2, kappa_theta_lr(p, th, rel[ri].k, a, b, c, d), 1e-12);
					if (th == 0.0) {
						double l0 = a == b ? phi0[a * 4 + a] : phi0[a * 4 + b] + phi0[b * 4 + a];
						double pg = a == b ? p[a] * p[a] : 2 * p[a] * p[b];
						snprintf(what, sizeof what, "%s theta 0 vs km_lik_query R={%d,%d} M={%d,%d}", rel[ri].name, c, d, a, b);
						check(what, m1 / m2, l0 / pref / pg, 1e-12);
					}
				}
			}
		}
	/* MODELS.md §4 example: father a/c, son a/b, mother untyped: (1+2t)/(4(t+(1-t)p_a)) */
	{
		double th = 0.03;
		int fa[3] = { -1, -1, 0 }, mo[3] = { -1, -1, 1 }, sx[3] = { 1, 2, 1 };
		int32_t gt[6] = { 0, 2, KM_NOALLELE, KM_NOALLELE, KM_NOALLELE, KM_NOALLELE };
		km_lped_t P = { 3, fa, mo, sx, gt, NULL };
		double phi1[16], phi2[16];
		km_theta_t *t = km_theta_new();
		km_theta_query(t, &L, &P, 2, 0, th, phi1, &e);
		km_theta_query(t, &L, &P, 2, 1, th, phi2, &e);
		km_theta_free(t);
		check("MODELS.md 4 parent-child", (phi1[1] + phi1[4]) / (phi2[1] + phi2[4]), (1 + 2 * th) / (4 * (th + (1 - th) * p[0])), 1e-12);
	}
	/* one workspace, two families of the same shape with the persons at other indices
	 * (an untyped unrelated person first, pruned away): the cached patterns must be read
	 * with this family's persons */
	{
		double th = 0.03;
		km_theta_t *t = km_theta_new();
		int fa[4] = { -1, -1, -1, 1 }, mo[4] = { -1, -1, -1, 2 }, sx[4] = { 2, 1, 2, 1 };
		int32_t gtA[6] = { 0, 2, KM_NOALLELE, KM_NOALLELE, KM_NOALLELE, KM_NOALLELE };
		int32_t gtB[8] = { KM_NOALLELE, KM_NOALLELE, 0, 2, KM_NOALLELE, KM_NOALLELE, KM_NOALLELE, KM_NOALLELE };
		int faA[3] = { -1, -1, 0 }, moA[3] = { -1, -1, 1 }, sxA[3] = { 1, 2, 1 };
		km_lped_t PA = { 3, faA, moA, sxA, gtA, NULL }, PB = { 4, fa, mo, sx, gtB, NULL };
		double a1[16], a2[16], b1[16], b2[16];
		km_theta_query(t, &L, &PA, 2, 0, th, a1, &e);
		km_theta_query(t, &L, &PA, 2, 1, th, a2, &e);
		km_theta_query(t, &L, &PB, 3, 0, th, b1, &e);
		km_theta_query(t, &L, &PB, 3, 1, th, b2, &e);
		km_theta_free(t);
		for (int i = 0; i < 16; ++i) {
			check("cached patterns, other person indices H1", b1[i], a1[i], 1e-14);
			check("cached patterns, other person indices H2", b2[i], a2[i], 1e-14);
		}
	}
	/* X: father 10 / daughter 10/12, mother untyped: P = p10 (1-θ) p12 (MODELS.md §4, not pedprobr) */
	{
		double px[3] = { 0.1, 0.3, 0.6 }, th = 0.01;
		km_locus_t LX = { 3, px, NULL, NULL, 1, NULL, NULL };
		int fa[3] = { -1, -1, 0 }, mo[3] = { -1, -1, 1 }, sx[3] = { 1, 2, 2 };
		int32_t gt[6] = { 0, KM_HEMI, KM_NOALLELE, KM_NOALLELE, KM_NOALLELE, KM_NOALLELE };
		km_lped_t P = { 3, fa, mo, sx, gt, NULL };
		double phi[9];
		km_theta_t *t = km_theta_new();
		km_theta_query(t, &LX, &P, 2, 0, th, phi, &e);
		km_theta_free(t);
		check("X father 10 / daughter 10/12: p10 (1-t) p12", phi[0 * 3 + 1] + phi[1 * 3 + 0], 0.1 * (1 - th) * 0.3, 1e-12);
	}
}

int main(void)
{
	run_closed();
	run_shapes();
	run_brute(400);
	km_theta_nofast = 1;       /* the general query path on the same cases */
	rs = 0x9E3779B97F4A7C15ULL;
	run_brute(400);
	km_theta_nofast = 0;
	printf("%d ok, %d failed\n", n_ok, n_fail);
	return n_fail != 0 || n_ok < 1000;
}
