/* test_rpairs.c — direct matches among the remains (issue 11 part 6, rpairs.c and
 * compile.c's rp_cand) against brute force.
 *
 * The brute force is the definition, written independently of the engine:
 *     LR = prod_l P(o_A, o_B | rel) / (P(o_A) P(o_B))
 * over the autosomal STR and SNP loci typed in both, where every sum runs over ordered
 * genotypes and the observation weights are the remains' model (dropout d: (1-d)^2 for
 * {a,b} at ab, 1-d^2 for {a} at aa, d(1-d) at ax; typing error E: (1-E) w + E c(o),
 * c(o) = sum_g P(g) w(o | g)):
 *   same person    sum_g P(g) w_A(g) w_B(g)
 *   parent-child   sum_{gA} P(gA) w_A(gA) sum_{x,y} T_A(x) q(y) w_B(x, y): A's transmitted
 *                  allele through A's sex's mutation matrix, the other parent's from
 *                  q = p M_other (an untyped founder's allele, mutated)
 *   full siblings  sum over both parents' ordered genotypes of P * [sum T_f T_m w_A] *
 *                  [sum T_f T_m w_B]
 * Also: the same with no mutation equals the IBD form k0 + k1 LR1 + k2 LR2 (checked through
 * the brute force itself at rate 0), X loci are left out, remains of known different sex
 * are never the same person, the threshold, loci counts, one row per unordered pair in
 * byte order, and the same rows at 1 and 2 threads.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kmpriv.h"
#include "check.h"
#include "lik.h"
#include "pipe.h"
#include "ident.h"

/* D3's rates differ by sex, so the parent's sex matters; DX is X-linked (left out) */
static const char *PANEL =
	"marker\ttype\tchrom\tmutation_rate\tfemale_rate\tmale_rate\n"
	"D1\tSTR\t1\t0.01\t\t\n"
	"D2\tSTR\t2\t0.02\t\t\n"
	"D3\tSTR\t3\t0.01\t0.005\t0.03\n"
	"rs1\tSNP\t4\t0\t\t\n"
	"DX\tX-STR\tX\t0.01\t\t\n";
static const char *FREQS =
	"marker\tallele\tfrequency\n"
	"D1\t10\t0.1\nD1\t11\t0.2\nD1\t12\t0.3\nD1\t13\t0.4\n"
	"D2\t8\t0.25\nD2\t9\t0.5\nD2\t10\t0.25\n"
	"D3\t14\t0.6\nD3\t15\t0.3\nD3\t16\t0.1\n"
	"rs1\tA\t0.7\nrs1\tG\t0.3\n"
	"DX\t5\t0.5\nDX\t6\t0.5\n";
/* R2 = R1 (a second fragment); R3 R1's brother-like; R4 shares little; R5 one allele
 * mismatch with R1 everywhere it is typed; R6 female, R1 male: never the same person */
static const char *REMAINS =
	"sample\tmarker\tallele1\tallele2\n"
	"R1\tD1\t10\t12\nR1\tD2\t9\t9\nR1\tD3\t14\t15\nR1\trs1\tA\tG\nR1\tDX\t5\t.\n"
	"R2\tD1\t10\t12\nR2\tD2\t9\t9\nR2\tD3\t14\t15\nR2\trs1\tA\tG\nR2\tDX\t6\t6\n"
	"R3\tD1\t10\t13\nR3\tD2\t9\t10\nR3\tD3\t15\t15\nR3\trs1\tA\tA\n"
	"R4\tD1\t11\t13\nR4\tD2\t8\t10\nR4\tD3\t16\t16\n"
	"R5\tD1\t11\t12\nR5\tD3\t14\t16\nR5\trs1\tG\tG\n"
	"R6\tD1\t10\t12\nR6\tD2\t9\t9\nR6\tD3\t14\t15\n";

typedef struct {
	km_panel_t p;
	km_freqs_t f;
	km_prof_t rem;
	double rd[8], re[8];
	int rsex[8];
} world_t;

/* observation weights of remain r at marker m over ordered (x, y), into w[n * n] */
static void weights(const world_t *W, int r, int m, double *w)
{
	const km_alleles_t *al = &W->f.loc[m];
	int n = al->n_allele;
	const int32_t *g = km_prof_gt(&W->rem, r, m);
	double d = W->rd[r], E = W->re[r], c = 0.0;
	for (int x = 0; x < n; ++x)
		for (int y = 0; y < n; ++y) {
			double v;
			if (g[0] != g[1]) v = (x == g[0] && y == g[1]) || (x == g[1] && y == g[0]) ? (1 - d) * (1 - d) : 0.0;
			else v = x == g[0] && y == g[0] ? 1 - d * d : (x == g[0] || y == g[0]) ? d * (1 - d) : 0.0;
			w[x * n + y] = v;
			c += al->p[x] * al->p[y] * v;
		}
	for (int i = 0; i < n * n; ++i) w[i] = (1 - E) * w[i] + E * c;
}

/* T(x) = 1/2 (M[a][x] + M[b][x]) */
static void transmit(const double *M, int n, int a, int b, double *T)
{
	for (int x = 0; x < n; ++x) T[x] = 0.5 * (M[a * n + x] + M[b * n + x]);
}

static double brute(const world_t *W, int rel, int A, int B, int mut)
{
	double tot = 0.0;
	for (int m = 0; m < W->p.n_marker; ++m) {
		int ty = W->p.marker[m].type;
		if (ty != KM_SYS_STR && ty != KM_SYS_SNP) continue;
		if (km_prof_gt(&W->rem, A, m)[0] == KM_NOALLELE || km_prof_gt(&W->rem, B, m)[0] == KM_NOALLELE) continue;
		const km_alleles_t *al = &W->f.loc[m];
		const double *p = al->p;
		int n = al->n_allele;
		double wA[64], wB[64], Mf[64], Mm[64], pA = 0, pB = 0, num = 0;
		km_err_t e;
		weights(W, A, m, wA), weights(W, B, m, wB);
		double rf = ty == KM_SYS_SNP || !mut ? 0.0 : W->p.marker[m].rate_f, rm = ty == KM_SYS_SNP || !mut ? 0.0 : W->p.marker[m].rate_m;
		if (km_mut_matrix(KM_MUT_EQUAL, al, "", rf, 0.5, 0, Mf, &e) < 0 || km_mut_matrix(KM_MUT_EQUAL, al, "", rm, 0.5, 0, Mm, &e) < 0) return NAN;
		for (int x = 0; x < n; ++x)
			for (int y = 0; y < n; ++y) pA += p[x] * p[y] * wA[x * n + y], pB += p[x] * p[y] * wB[x * n + y];
		if (rel == KM_RP_SAME) {
			for (int i = 0; i < n * n; ++i) num += p[i / n] * p[i % n] * wA[i] * wB[i];
		} else if (rel == KM_RP_PO) {
			int male = W->rsex[A] != KM_FEMALE;   /* unknown: a man */
			const double *MA = male ? Mm : Mf, *MO = male ? Mf : Mm;
			double q[8] = { 0 }, T[8];
			for (int z = 0; z < n; ++z) for (int y = 0; y < n; ++y) q[y] += p[z] * MO[z * n + y];
			for (int a = 0; a < n; ++a)
				for (int b = 0; b < n; ++b) {
					if (wA[a * n + b] == 0.0) continue;
					transmit(MA, n, a, b, T);
					double s = 0;
					for (int x = 0; x < n; ++x) for (int y = 0; y < n; ++y) s += T[x] * q[y] * wB[x * n + y];
					num += p[a] * p[b] * wA[a * n + b] * s;
				}
		} else {
			double Tf[8], Tm[8];
			for (int f1 = 0; f1 < n; ++f1) for (int f2 = 0; f2 < n; ++f2)
				for (int m1 = 0; m1 < n; ++m1) for (int m2 = 0; m2 < n; ++m2) {
					transmit(Mm, n, f1, f2, Tf), transmit(Mf, n, m1, m2, Tm);
					double sa = 0, sb = 0;
					for (int x = 0; x < n; ++x)
						for (int y = 0; y < n; ++y) sa += Tf[x] * Tm[y] * wA[x * n + y], sb += Tf[x] * Tm[y] * wB[x * n + y];
					num += p[f1] * p[f2] * p[m1] * p[m2] * sa * sb;
				}
		}
		if (num <= 0.0) return KM_NEG_INF;
		tot += log10(num) - log10(pA) - log10(pB);
	}
	return tot;
}

/* the IBD form at one locus without mutation, dropout or error (Weir et al. 2006) */
static double ibd(const world_t *W, int A, int B, double k0, double k1, double k2)
{
	double tot = 0.0;
	for (int m = 0; m < W->p.n_marker; ++m) {
		int ty = W->p.marker[m].type;
		if (ty != KM_SYS_STR && ty != KM_SYS_SNP) continue;
		const int32_t *a = km_prof_gt(&W->rem, A, m), *b = km_prof_gt(&W->rem, B, m);
		if (a[0] == KM_NOALLELE || b[0] == KM_NOALLELE) continue;
		const double *p = W->f.loc[m].p;
		double pb = b[0] == b[1] ? p[b[0]] * p[b[0]] : 2 * p[b[0]] * p[b[1]];
		/* P(gB | gA, IBD 1): one of A's alleles (1/2 each) and one from the population */
		double c1 = 0.0;
		for (int t = 0; t < 2; ++t) {
			int s = a[t];
			if (b[0] == b[1]) c1 += 0.5 * (s == b[0] ? p[b[0]] : 0.0);
			else c1 += 0.5 * ((s == b[0] ? p[b[1]] : 0.0) + (s == b[1] ? p[b[0]] : 0.0));
		}
		int same = (a[0] == b[0] && a[1] == b[1]) || (a[0] == b[1] && a[1] == b[0]);
		double lr = k0 + k1 * c1 / pb + k2 * (same ? 1.0 / pb : 0.0);
		if (lr <= 0.0) return KM_NEG_INF;
		tot += log10(lr);
	}
	return tot;
}

static int run(world_t *W, int mut, int threads, double log10_t, km_rpair_t **v, size_t *n)
{
	km_opt_t o;
	km_opt_init(&o);
	o.mutation = mut ? KM_MUT_EQUAL : KM_MUT_NONE, o.threads = threads, o.quiet = 1;
	km_rpin_t in = { &W->rem, W->rd, W->re, W->rsex };
	km_rpstat_t st;
	km_err_t e;
	int ret = km_rpairs_find(v, n, &W->p, &W->f, &in, log10_t, &o, &st, &e);
	if (ret < 0) printf("FAIL km_rpairs_find: %s\n", e.msg);
	return ret;
}

static const km_rpair_t *find(const km_rpair_t *v, size_t n, const world_t *W, const char *a, const char *b, int rel)
{
	for (size_t i = 0; i < n; ++i)
		if (strcmp(W->rem.sample[v[i].r1], a) == 0 && strcmp(W->rem.sample[v[i].r2], b) == 0 && v[i].rel == rel) return &v[i];
	return NULL;
}

/* every pair and relationship against the brute force (all pairs: threshold far below) */
static void against_brute(world_t *W, int mut, const char *what)
{
	km_rpair_t *v = NULL;
	size_t n = 0;
	char msg[200];
	if (run(W, mut, 2, -1e300, &v, &n) < 0) { check(0, what); return; }
	int nr = W->rem.n_sample, bad = 0, n_want = 0;
	for (int a = 0; a < nr; ++a)
		for (int b = 0; b < nr; ++b) {
			if (a == b || strcmp(W->rem.sample[a], W->rem.sample[b]) >= 0) continue;
			for (int rel = 0; rel < KM_RP_N; ++rel) {
				double want = brute(W, rel, a, b, mut);
				int diff_sex = W->rsex[a] && W->rsex[b] && W->rsex[a] != W->rsex[b];
				const km_rpair_t *g = find(v, n, W, W->rem.sample[a], W->rem.sample[b], rel);
				if (want == KM_NEG_INF || (rel == KM_RP_SAME && diff_sex)) {
					if (g) { ++bad; printf("  %s %s %s: a row (%g), want none\n", W->rem.sample[a], W->rem.sample[b], km_rp_name(rel), g->lr); }
					continue;
				}
				++n_want;
				if (!g || fabs(g->lr - want) > 1e-9) {
					++bad;
					printf("  %s %s %s: got %.12f want %.12f\n", W->rem.sample[a], W->rem.sample[b], km_rp_name(rel), g ? g->lr : (double)NAN, want);
				}
			}
		}
	snprintf(msg, sizeof msg, "%s: %d rows equal the brute force to 1e-9, no row where it excludes (%zu rows)", what, n_want, n);
	check(bad == 0 && (size_t)n_want == n, msg);
	free(v);
}

int main(void)
{
	km_verbose = 0;
	(void)tmpdir;
	world_t W;
	km_err_t e;
	memset(&W, 0, sizeof W);
	if (km_panel_load_mem(&W.p, "panel.tsv", PANEL, strlen(PANEL), &e) < 0 ||
	    km_freqs_load_mem(&W.f, &W.p, "freqs.tsv", FREQS, strlen(FREQS), 0.001, &e) < 0 ||
	    km_prof_load_mem(&W.rem, &W.p, &W.f, "remains.tsv", REMAINS, strlen(REMAINS), &e) < 0) {
		printf("FAIL world: %s\n", e.msg);
		return 1;
	}
	int r1 = km_prof_find(&W.rem, "R1"), r6 = km_prof_find(&W.rem, "R6");

	/* exact calls, no mutation: the brute force, and the brute force is the IBD form */
	against_brute(&W, 0, "exact calls, no mutation");
	{
		int bad = 0;
		for (int a = 0; a < W.rem.n_sample; ++a)
			for (int b = 0; b < W.rem.n_sample; ++b) {
				if (a == b) continue;
				double x[3] = { ibd(&W, a, b, 0, 0, 1), ibd(&W, a, b, 0, 1, 0), ibd(&W, a, b, 0.25, 0.5, 0.25) };
				for (int rel = 0; rel < 3; ++rel) {
					double y = brute(&W, rel, a, b, 0);
					if (!((isinf(x[rel]) && isinf(y)) || fabs(x[rel] - y) < 1e-12)) ++bad;
				}
			}
		check(bad == 0, "the brute force without mutation is the IBD form k0 + k1 LR1 + k2 LR2 (same (0,0,1), PO (0,1,0), FS (1/4,1/2,1/4))");
	}
	/* a hand value: R1 and R2 the same person = 1 / P(R1's profile) on D1 D2 D3 rs1 */
	{
		km_rpair_t *v = NULL;
		size_t n = 0;
		run(&W, 0, 1, -1e300, &v, &n);
		const km_rpair_t *g = find(v, n, &W, "R1", "R2", KM_RP_SAME);
		double want = -log10(2 * 0.1 * 0.3) - log10(0.5 * 0.5) - log10(2 * 0.6 * 0.3) - log10(2 * 0.7 * 0.3);
		check(g && fabs(g->lr - want) < 1e-12 && g->loci == 4, "R1 = R2: 1 / P(profile) by hand, on 4 loci (the X locus left out)");
		free(v);
	}
	/* mutation (equal model; D3's rates differ by sex) */
	against_brute(&W, 1, "mutation (equal), parent of unknown sex a man");
	W.rsex[r1] = KM_FEMALE;
	against_brute(&W, 1, "mutation, R1 a woman: the mother's rate for her transmission");
	W.rsex[r1] = KM_MALE, W.rsex[r6] = KM_FEMALE;
	against_brute(&W, 1, "mutation, R1 a man and R6 a woman: never the same person");
	{
		km_rpair_t *v = NULL;
		size_t n = 0;
		run(&W, 1, 1, -1e300, &v, &n);
		check(!find(v, n, &W, "R1", "R6", KM_RP_SAME) && find(v, n, &W, "R1", "R6", KM_RP_FS), "R1 (man) and R6 (woman), equal profiles: siblings, not one person");
		free(v);
	}
	/* dropout and typing error, per remain */
	for (int r = 0; r < W.rem.n_sample; ++r) W.rd[r] = 0.05 * (r % 3), W.re[r] = r % 2 ? 0.002 : 0.0;
	against_brute(&W, 1, "dropout and typing error per remain, with mutation");
	against_brute(&W, 0, "dropout and typing error per remain, no mutation");
	km_lik_engine = 1;   /* the elimination engine instead of peeling: the same numbers */
	against_brute(&W, 1, "dropout, typing error and mutation, by elimination");
	km_lik_engine = 0;
	/* the threshold, the order, threads */
	{
		km_rpair_t *v1 = NULL, *v2 = NULL, *va = NULL;
		size_t n1 = 0, n2 = 0, na = 0;
		run(&W, 1, 1, 2.0, &v1, &n1);
		run(&W, 1, 2, 2.0, &v2, &n2);
		run(&W, 1, 2, -1e300, &va, &na);
		size_t want = 0;
		for (size_t i = 0; i < na; ++i) want += va[i].lr >= 2.0;
		int same = n1 == n2 && (n1 == 0 || memcmp(v1, v2, sizeof *v1 * n1) == 0);
		check(n1 == want && n1 > 0, "the threshold keeps exactly the rows with log10 LR >= 2");
		check(same, "the same rows, bit for bit, at 1 and 2 threads");
		int sorted = 1;
		for (size_t i = 0; i < n1; ++i) {
			if (strcmp(W.rem.sample[v1[i].r1], W.rem.sample[v1[i].r2]) >= 0) sorted = 0;
			if (i > 0) {
				int c = strcmp(W.rem.sample[v1[i - 1].r1], W.rem.sample[v1[i].r1]);
				if (!c) c = strcmp(W.rem.sample[v1[i - 1].r2], W.rem.sample[v1[i].r2]);
				if (!c) c = v1[i - 1].rel - v1[i].rel;
				if (c >= 0) sorted = 0;
			}
		}
		check(sorted, "one row per unordered pair (remain1 before remain2), sorted by remain1, remain2, relationship");
		free(v1); free(v2); free(va);
	}
	km_prof_destroy(&W.rem);
	km_freqs_destroy(&W.f);
	km_panel_destroy(&W.p);
	printf("%d passed, %d failed\n", n_ok, n_fail);
	return n_fail != 0;
}
