/* test_typing_error.c — typing error (issue 12 part 1) against brute-force enumeration.
 *
 * The definition, for every typed person (the references with the global rate E, the
 * remain with its own rate E_r from --remain-info, else E), at STR, SNP and X-STR loci:
 *   P(o | g) = (1 - E) [o = g] + E q(o),  q = Hardy-Weinberg probability of the observed
 *   genotype: p_a^2, 2 p_a p_b, p_a for a hemizygous call;
 * with dropout d for the remain, error first and dropout on the erroneous genotype:
 *   P(obs | g) = (1 - E_r) P_drop(obs | g) + E_r sum_g' q(g') P_drop(obs | g').
 * The LR is computed by enumeration alone, with no identity of the implementation
 * (kinmatch uses LR = (1 - E_r) LR_ref + E_r at theta = 0, which this does not assume):
 *   L1(g) = sum over every ordered genotype of every person, M's genotype g, of
 *           prod founders p * prod transmissions (mutation) * prod_refs P(o | g)
 *   L2(g) = the same with M free and the remain an extra founder of genotype g
 *   LR    = sum_g P(obs | g) L1(g) / sum_g P(obs | g) L2(g)
 * Families: a parent-child pair, full siblings and a random pedigree (loops, inbreeding),
 * references typed from the pedigree's genotypes and then miscalled at random (so there
 * are opposite homozygotes and incompatibilities), every possible remain observation with
 * random dropout and per-remain rates (empty cell = the global rate); STR, X-STR and SNP
 * loci; several families ranked at once.  `inconsistent` (matches.tsv, E > 0) is checked
 * too: 1 where the remain and the references are incompatible without error and
 * mutation, i.e. sum_g P_drop(obs | g) L1(g) = 0 with E = 0 and M = I.
 * Cases 30..44 draw theta in {0.01, 0.05, 0.2}: the founders' alleles (and, under H2,
 * the remain's) from the Balding–Nichols urn in the enumeration, q(o) still
 * Hardy–Weinberg (the definition), so --theta with --typing-error is checked
 * against the same definition.
 * Also the closed form of the issue: one reference, no mutation, theta 0:
 *   LR = 1 + (1 - E_r)(1 - E_m)(LR0 - 1).
 * Run from the project root (tests/run.sh does). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kmpriv.h"
#include "lik.h"

#define MAXP 6
#define MAXK 4

typedef struct {
	int n, fa[MAXP], mo[MAXP], sex[MAXP], typed[MAXP], g[MAXP][2];
	int M;
} ped_t;

static unsigned long long rs = 88172645463325252ULL;
static double urand(void) { rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17; return (double)(rs >> 11) / 9007199254740992.0; }
static int irand(int n) { return (int)(urand() * n); }

static int K, XL, MODEL;
static double P[MAXK], MF[MAXK * MAXK], MM[MAXK * MAXK], THETA, EREF;

static int hemi(const ped_t *pd, int i) { return XL && pd->sex[i] == KM_MALE; }

/* probability of the ordered founder-allele sequence seq[0..n) under the urn */
static double urn(const int *seq, int n)
{
	int cnt[MAXK] = { 0 };
	double pr = 1.0;
	for (int j = 1; j <= n; ++j) {
		int a = seq[j - 1];
		pr *= (cnt[a] * THETA + (1 - THETA) * P[a]) / (1 + (j - 2) * THETA);
		++cnt[a];
	}
	return pr;
}

static double tr(const double *M, int g1, int g2, int c)
{
	return g2 < 0 ? M[g1 * K + c] : 0.5 * (M[g1 * K + c] + M[g2 * K + c]);
}

/* brute-force L1[a][b] (M's unordered genotype, a <= b; male X: L1[a][a]) and
 * L2[a][b] = sum over families with the remain {a,b} an extra founder */
static void brute(const ped_t *pd, double L1[MAXK][MAXK], double L2[MAXK][MAXK])
{
	int nv = 0, var[2 * MAXP], gp[MAXP][2];
	memset(L1, 0, sizeof(double) * MAXK * MAXK); memset(L2, 0, sizeof(double) * MAXK * MAXK);
	for (int i = 0; i < pd->n; ++i) { if (!hemi(pd, i)) var[nv++] = 2 * i; var[nv++] = 2 * i + 1; }
	int dig[2 * MAXP] = { 0 };
	for (;;) {
		for (int i = 0; i < pd->n; ++i) gp[i][0] = -1;
		for (int v = 0; v < nv; ++v) gp[var[v] / 2][var[v] % 2] = dig[v];
		double w = 1.0;
		int seq[2 * MAXP + 2], ns = 0;
		for (int i = 0; i < pd->n && w > 0; ++i) {
			int h = hemi(pd, i);
			if (pd->typed[i]) {              /* P(o | g) = (1 - E) [o = g] + E q(o) */
				int eq;
				double qo;
				if (h) eq = gp[i][1] == pd->g[i][1], qo = P[pd->g[i][1]];
				else {
					eq = (gp[i][0] == pd->g[i][0] && gp[i][1] == pd->g[i][1]) || (gp[i][0] == pd->g[i][1] && gp[i][1] == pd->g[i][0]);
					qo = pd->g[i][0] == pd->g[i][1] ? P[pd->g[i][0]] * P[pd->g[i][0]] : 2 * P[pd->g[i][0]] * P[pd->g[i][1]];
				}
				w *= (1 - EREF) * eq + EREF * qo;
			}
			if (pd->fa[i] < 0) {
				if (!h) seq[ns++] = gp[i][0];
				seq[ns++] = gp[i][1];
				continue;
			}
			int f = pd->fa[i], m = pd->mo[i];
			if (!h) w *= XL ? MM[gp[f][1] * K + gp[i][0]] : tr(MM, gp[f][0], gp[f][1], gp[i][0]);
			w *= tr(MF, gp[m][0], gp[m][1], gp[i][1]);
		}
		if (w > 0) {
			int q = pd->M;
			int a = hemi(pd, q) ? gp[q][1] : gp[q][0], b = gp[q][1];
			if (a > b) { int t = a; a = b; b = t; }
			L1[a][b] += w * urn(seq, ns);
			for (int x = 0; x < K; ++x)
				for (int y = x; y < K; ++y) {
					if (hemi(pd, q) && x != y) continue;
					int s2[2 * MAXP + 2];
					memcpy(s2, seq, sizeof(int) * ns);
					s2[ns] = x;
					if (hemi(pd, q)) { L2[x][x] += w * urn(s2, ns + 1); continue; }
					s2[ns + 1] = y;
					L2[x][y] += w * urn(s2, ns + 2) * (x == y ? 1 : 2);
				}
		}
		int v;
		for (v = nv - 1; v >= 0; --v) { if (++dig[v] < K) break; dig[v] = 0; }
		if (v < 0) break;
	}
}

static double hwq(int a, int b) { return b < 0 ? P[a] : a == b ? P[a] * P[a] : 2 * P[a] * P[b]; }

/* P_drop(obs {a,b} | g {x,y}), x <= y; obs b = a: an apparent homozygote */
static double pdrop(int a, int b, int x, int y, double d)
{
	if (a != b) return ((x == a && y == b) || (x == b && y == a)) ? (1 - d) * (1 - d) : 0;
	if (x == a && y == a) return 1 - d * d;
	if (x == a || y == a) return d * (1 - d);
	return 0;
}

/* log10 LR of observation {a,b} (b = -1 hemizygous) of a remain with dropout d and rate
 * er; *inc: incompatible without error and mutation (L1nm: enumeration with E = 0, M = I) */
static double brute_lr(const ped_t *pd, double L1[MAXK][MAXK], double L2[MAXK][MAXK], double L1nm[MAXK][MAXK], int a,
                       int b, double d, double er, int *inc)
{
	double num = 0, den = 0, nm = 0;
	*inc = 0;
	if (hemi(pd, pd->M)) {                      /* a man: {a,a} or 'a' is his allele; no dropout model */
		if (b >= 0 && b != a) { *inc = 1; return -(double)INFINITY; }
		for (int x = 0; x < K; ++x) {
			double po = (1 - er) * (x == a) + er * P[a];
			num += po * L1[x][x], den += po * L2[x][x], nm += (x == a) * L1nm[x][x];
		}
	} else {
		if (XL && b < 0) { *inc = 1; return -(double)INFINITY; }   /* a hemizygous remain is not a woman */
		double c = 0;
		for (int x = 0; x < K; ++x)
			for (int y = x; y < K; ++y) c += hwq(x, y) * pdrop(a, b, x, y, d);
		for (int x = 0; x < K; ++x)
			for (int y = x; y < K; ++y) {
				double po = (1 - er) * pdrop(a, b, x, y, d) + er * c;
				num += po * L1[x][y], den += po * L2[x][y], nm += pdrop(a, b, x, y, d) * L1nm[x][y];
			}
	}
	*inc = !(nm > 0);
	if (!(den > 0)) return 0.0;                 /* the references contradict the pedigree: left out (LR 1) */
	return num > 0 ? log10(num / den) : -(double)INFINITY;
}

static void gen_gene(ped_t *pd, int i)
{
	int h = hemi(pd, i);
	double u;
	for (int k = h ? 1 : 0; k < 2; ++k) {
		int a = 0;
		if (pd->fa[i] < 0) {
			u = urand(); double c = P[0];
			while (u > c && a < K - 1) c += P[++a];
		} else {
			int par = k ? pd->mo[i] : pd->fa[i];
			const double *M = k ? MF : MM;
			int src = hemi(pd, par) ? pd->g[par][1] : pd->g[par][irand(2)];
			u = urand(); double c = M[src * K];
			while (u > c && a < K - 1) c += M[src * K + ++a];
		}
		pd->g[i][k] = a;
	}
	if (h) pd->g[i][0] = pd->g[i][1];
}

static void person(ped_t *pd, int i, int sex, int fa, int mo) { pd->sex[i] = sex, pd->fa[i] = fa, pd->mo[i] = mo; }

static void make_family(ped_t *pd, int shape)
{
	memset(pd, 0, sizeof(*pd));
	if (shape == 0) {          /* parent-child: father (or mother) and child, one of them missing */
		pd->n = 3;
		person(pd, 0, 1, -1, -1), person(pd, 1, 2, -1, -1), person(pd, 2, 1 + irand(2), 0, 1);
		int par = irand(2);
		if (irand(2)) pd->M = 2, pd->typed[par] = 1;
		else pd->M = par, pd->typed[2] = 1;
	} else if (shape == 1) {   /* full siblings, one or two typed */
		pd->n = 5;
		person(pd, 0, 1, -1, -1), person(pd, 1, 2, -1, -1);
		for (int i = 2; i < 5; ++i) person(pd, i, 1 + irand(2), 0, 1);
		pd->M = 4, pd->typed[2] = 1, pd->typed[3] = irand(2);
	} else {                   /* random: founders and children of earlier persons */
		pd->n = 4 + irand(3);
		for (int i = 0; i < pd->n; ++i) {
			pd->sex[i] = i < 2 ? i + 1 : 1 + irand(2);
			pd->fa[i] = pd->mo[i] = -1;
			int nm = 0, nf = 0, ms[MAXP], fs[MAXP];
			for (int j = 0; j < i; ++j) { if (pd->sex[j] == 1) ms[nm++] = j; else fs[nf++] = j; }
			if (i >= 2 && nm && nf && irand(10) < 7) pd->fa[i] = ms[irand(nm)], pd->mo[i] = fs[irand(nf)];
		}
		pd->M = pd->n - 1 - irand(2);
		int nt = 0;
		for (int i = 0; i < pd->n; ++i) if (i != pd->M && irand(2)) pd->typed[i] = 1, ++nt;
		if (!nt) pd->typed[pd->M == 0 ? 1 : 0] = 1;
	}
	for (int i = 0; i < pd->n; ++i) pd->fa[i] = pd->fa[i], gen_gene(pd, i);
	for (int i = 0; i < pd->n; ++i)       /* miscalls: a random genotype instead */
		if (pd->typed[i] && irand(4) == 0) {
			pd->g[i][1] = irand(K);
			pd->g[i][0] = hemi(pd, i) ? pd->g[i][1] : irand(K);
		}
}

static int run_case(int it, const char *dir, int *n_ok, int *n_fail)
{
	static const char *str_labels[] = { "10", "11", "12", "12.2" }, *snp_labels[] = { "A", "G" };
	int snp = irand(4) == 0;
	const char **labels = snp ? snp_labels : str_labels;
	K = snp ? 2 : 3 + irand(2);
	XL = !snp && irand(3) == 0;
	THETA = it >= 30 ? (double[]){ 0.01, 0.05, 0.2 }[irand(3)] : 0.0;   /* cases 30..: theta with the error */
	MODEL = snp ? KM_MUT_NONE : irand(4);
	double EG = (double[]){ 0.001, 0.02, 0.1 }[irand(3)];
	double s = 0, rate_f = irand(2) ? 0.01 : 0.0, rate_m = 0.02;
	for (int a = 0; a < K; ++a) s += (P[a] = 0.2 + urand());
	for (int a = 0; a < K; ++a) { char b[32]; snprintf(b, 32, "%.6f", P[a] / s); P[a] = atof(b); }
	km_alleles_t al = { 0 };
	al.n_allele = K, al.label = (char **)labels, al.p = P;
	km_err_t e;
	double IMF[MAXK * MAXK], IMM[MAXK * MAXK];
	if (MODEL == KM_MUT_PROPORTIONAL) { rate_f = rate_f ? 0.005 : 0; rate_m = 0.008; }
	if (snp) rate_f = rate_m = 0;
	if (km_mut_matrix(MODEL, &al, "L", rate_f, 0.5, 0, MF, &e) < 0 || km_mut_matrix(MODEL, &al, "L", rate_m, 0.5, 0, MM, &e) < 0 ||
	    km_mut_matrix(KM_MUT_NONE, &al, "L", 0, 0.5, 0, IMF, &e) < 0 || km_mut_matrix(KM_MUT_NONE, &al, "L", 0, 0.5, 0, IMM, &e) < 0) {
		printf("FAIL matrix: %s\n", e.msg); return -1;
	}
	if (rate_f == 0) memcpy(MF, IMF, sizeof MF);
	if (rate_m == 0) memcpy(MM, IMM, sizeof MM);
	ped_t fam[3];
	for (int f = 0; f < 3; ++f) make_family(&fam[f], f);
	char fn[256], fn2[256];
	FILE *fp, *fr;
	snprintf(fn, sizeof fn, "%s/panel.tsv", dir); fp = fopen(fn, "w");
	fprintf(fp, "marker\ttype\tchrom\tmutation_rate\tfemale_rate\tmale_rate\nL\t%s\t%s\t%g\t%g\t%g\n",
	        snp ? "SNP" : XL ? "X-STR" : "STR", XL ? "X" : "1", snp ? 0.0 : 0.01, rate_f, rate_m);
	fclose(fp);
	snprintf(fn, sizeof fn, "%s/freqs.tsv", dir); fp = fopen(fn, "w");
	fprintf(fp, "marker\tallele\tfrequency\n");
	for (int a = 0; a < K; ++a) fprintf(fp, "L\t%s\t%.6f\n", labels[a], P[a]);
	fclose(fp);
	snprintf(fn, sizeof fn, "%s/peds.tsv", dir); fp = fopen(fn, "w");
	snprintf(fn2, sizeof fn2, "%s/refs.tsv", dir); fr = fopen(fn2, "w");
	fprintf(fp, "family\tperson\tfather\tmother\tsex\trole\n");
	fprintf(fr, "sample\tmarker\tallele1\tallele2\n");
	for (int f = 0; f < 3; ++f)
		for (int i = 0; i < fam[f].n; ++i) {
			ped_t *pd = &fam[f];
			char fa[16] = "0", mo[16] = "0";
			if (pd->fa[i] >= 0) snprintf(fa, 16, "F%dP%d", f, pd->fa[i]), snprintf(mo, 16, "F%dP%d", f, pd->mo[i]);
			fprintf(fp, "F%d\tF%dP%d\t%s\t%s\t%d\t%s\n", f, f, i, fa, mo, pd->sex[i],
			        i == pd->M ? "missing" : pd->typed[i] ? "reference" : "untyped");
			if (pd->typed[i]) {
				if (hemi(pd, i)) fprintf(fr, "F%dP%d\tL\t%s\t.\n", f, i, labels[pd->g[i][1]]);
				else fprintf(fr, "F%dP%d\tL\t%s\t%s\n", f, i, labels[pd->g[i][0]], labels[pd->g[i][1]]);
			}
		}
	fclose(fp); fclose(fr);
	int na = 0, ra[32], rb[32];
	double rdd[32], rer[32];
	snprintf(fn, sizeof fn, "%s/rem.tsv", dir); fp = fopen(fn, "w");
	snprintf(fn2, sizeof fn2, "%s/info.tsv", dir); fr = fopen(fn2, "w");
	fprintf(fp, "sample\tmarker\tallele1\tallele2\n");
	fprintf(fr, "sample\tdropout\ttyping_error\n");
	for (int a = 0; a < K; ++a)
		for (int b = XL ? -1 : a; b < K; ++b) {
			if (b >= 0 && b < a) continue;
			int ek = irand(4);
			ra[na] = a, rb[na] = b, rdd[na] = (double[]){ 0.0, 0.1, 0.4 }[irand(3)];
			rer[na] = ek == 0 ? EG : (double[]){ 0, 0, 0.01, 0.2 }[ek];
			fprintf(fp, "R%02d\tL\t%s\t%s\n", na, labels[a], b < 0 ? "." : labels[b]);
			if (ek == 0) fprintf(fr, "R%02d\t%g\t\n", na, rdd[na]);
			else fprintf(fr, "R%02d\t%g\t%g\n", na, rdd[na], rer[na]);
			++na;
		}
	fclose(fp); fclose(fr);
	char cmd[1200];
	snprintf(cmd, sizeof cmd, "./kinmatch match --panel %s/panel.tsv --freqs %s/freqs.tsv --remains %s/rem.tsv "
	         "--references %s/refs.tsv --pedigrees %s/peds.tsv --remain-info %s/info.tsv --mutation %s "
	         "--typing-error %g --theta %g --all --quiet --threads 2 --out %s/out", dir, dir, dir, dir, dir, dir, km_mut_name(MODEL), EG,
	         THETA, dir);
	if (system(cmd) != 0) { printf("FAIL run %d: %s\n", it, cmd); ++*n_fail; return 0; }
	snprintf(fn, sizeof fn, "%s/out/matches.tsv", dir);
	fp = fopen(fn, "r");
	char line[1024];
	if (!fp || !fgets(line, sizeof line, fp)) { printf("FAIL run %d: no output\n", it); ++*n_fail; return 0; }
	int c_inc = -1, c = 0;
	for (char *t = strtok(line, "\t\n"); t; t = strtok(NULL, "\t\n"), ++c) if (strcmp(t, "inconsistent") == 0) c_inc = c;
	if (c_inc < 0) { printf("FAIL run %d: no inconsistent column\n", it); ++*n_fail; }
	double L1[3][MAXK][MAXK], L2[3][MAXK][MAXK], L1nm[3][MAXK][MAXK], L2nm[MAXK][MAXK];
	double sMF[MAXK * MAXK], sMM[MAXK * MAXK];
	for (int f = 0; f < 3; ++f) {
		EREF = EG;
		brute(&fam[f], L1[f], L2[f]);
		memcpy(sMF, MF, sizeof MF), memcpy(sMM, MM, sizeof MM);
		memcpy(MF, IMF, sizeof MF), memcpy(MM, IMM, sizeof MM);
		EREF = 0;
		brute(&fam[f], L1nm[f], L2nm);
		memcpy(MF, sMF, sizeof MF), memcpy(MM, sMM, sizeof MM);
	}
	while (fgets(line, sizeof line, fp)) {
		int r, f, inc_want, inc_got = -1;
		char val[64];
		if (sscanf(line, "R%d\tF%d\tF%*dP%*d\t%*d\t%63s", &r, &f, val) != 3) { printf("FAIL parse %s", line); ++*n_fail; continue; }
		c = 0;
		for (char *t = strtok(line, "\t\n"); t; t = strtok(NULL, "\t\n"), ++c) if (c == c_inc) inc_got = atoi(t);
		double got = strcmp(val, "-inf") == 0 ? -(double)INFINITY : atof(val);
		double want = brute_lr(&fam[f], L1[f], L2[f], L1nm[f], ra[r], rb[r], rdd[r], rer[r], &inc_want);
		int good = ((isinf(want) && got == want) || (!isinf(want) && fabs(got - want) < 2e-6)) && inc_got == inc_want;
		if (good) ++*n_ok;
		else {
			++*n_fail;
			printf("FAIL case %d (%s, model %s, E %g, K %d) family F%d remain {%d,%d} d=%g E_r=%g: kinmatch %s inconsistent %d, "
			       "brute force %.8f inconsistent %d\n", it, snp ? "SNP" : XL ? "X-STR" : "STR", km_mut_name(MODEL), EG, K, f,
			       ra[r], rb[r], rdd[r], rer[r], val, inc_got, want, inc_want);
		}
	}
	fclose(fp);
	return 0;
}

/* the closed form: father a/b, child (the remain) a/c, no mutation, theta 0; with error
 * in the remain (E_r) and the reference (E_m) LR = 1 + (1 - E_r)(1 - E_m)(LR0 - 1),
 * LR0 = 1 / (4 p_a) */
static void closed_form(const char *dir, int *n_ok, int *n_fail)
{
	static const double er[] = { 0.0, 0.001, 0.03 }, em[] = { 0.001, 0.05 };
	const double pa = 0.1;
	char fn[256], cmd[1200];
	FILE *fp;
	snprintf(fn, sizeof fn, "%s/cpanel.tsv", dir); fp = fopen(fn, "w");
	fprintf(fp, "marker\ttype\tchrom\tmutation_rate\nL\tSTR\t1\t0\n"); fclose(fp);
	snprintf(fn, sizeof fn, "%s/cfreqs.tsv", dir); fp = fopen(fn, "w");
	fprintf(fp, "marker\tallele\tfrequency\nL\t10\t0.1\nL\t11\t0.3\nL\t12\t0.6\n"); fclose(fp);
	snprintf(fn, sizeof fn, "%s/cped.tsv", dir); fp = fopen(fn, "w");
	fprintf(fp, "family\tperson\tfather\tmother\tsex\trole\nF\tDAD\t0\t0\t1\treference\nF\tMUM\t0\t0\t2\tuntyped\nF\tC\tDAD\tMUM\t1\tmissing\n");
	fclose(fp);
	snprintf(fn, sizeof fn, "%s/crefs.tsv", dir); fp = fopen(fn, "w");
	fprintf(fp, "sample\tmarker\tallele1\tallele2\nDAD\tL\t10\t11\n"); fclose(fp);
	snprintf(fn, sizeof fn, "%s/crem.tsv", dir); fp = fopen(fn, "w");
	fprintf(fp, "sample\tmarker\tallele1\tallele2\nR0\tL\t10\t12\nR1\tL\t10\t12\nR2\tL\t10\t12\nX\tL\t12\t12\n"); fclose(fp);
	snprintf(fn, sizeof fn, "%s/cinfo.tsv", dir); fp = fopen(fn, "w");
	fprintf(fp, "sample\ttyping_error\nR0\t0\nR1\t0.001\nR2\t0.03\nX\t0.001\n"); fclose(fp);
	for (int j = 0; j < 2; ++j) {
		snprintf(cmd, sizeof cmd, "./kinmatch match --panel %s/cpanel.tsv --freqs %s/cfreqs.tsv --remains %s/crem.tsv "
		         "--references %s/crefs.tsv --pedigrees %s/cped.tsv --remain-info %s/cinfo.tsv --mutation none --typing-error %g "
		         "--all --quiet --threads 1 --out %s/cout", dir, dir, dir, dir, dir, dir, em[j], dir);
		if (system(cmd) != 0) { printf("FAIL closed form: %s\n", cmd); ++*n_fail; continue; }
		snprintf(fn, sizeof fn, "%s/cout/matches.tsv", dir);
		fp = fopen(fn, "r");
		char line[1024];
		if (!fp || !fgets(line, sizeof line, fp)) { printf("FAIL closed form: no output\n"); ++*n_fail; continue; }
		while (fgets(line, sizeof line, fp)) {
			char rem[16], val[64];
			if (sscanf(line, "%15s\t%*s\t%*s\t%*d\t%63s", rem, val) != 2) continue;
			double got = atof(val), want;
			if (rem[0] == 'X') want = log10(0.001 + 0.999 * 0.0);   /* opposite homozygote-like: LR0 = 0 */
			else {
				double e_r = er[rem[1] - '0'], lr0 = 1 / (4 * pa);
				want = log10(1 + (1 - e_r) * (1 - em[j]) * (lr0 - 1));
			}
			if (rem[0] == 'X') want = log10(1 + (1 - 0.001) * (1 - em[j]) * (0.0 - 1));
			if (fabs(got - want) < 1e-6) ++*n_ok;
			else { ++*n_fail; printf("FAIL closed form E_m %g remain %s: kinmatch %s, want %.8f\n", em[j], rem, val, want); }
		}
		fclose(fp);
	}
}

int main(void)
{
	int n_ok = 0, n_fail = 0;
	char dir[] = "/tmp/kmtypeerrXXXXXX";
	if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
	closed_form(dir, &n_ok, &n_fail);
	for (int it = 0; it < 45; ++it)
		if (run_case(it, dir, &n_ok, &n_fail) < 0) return 1;
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0) {}
	printf("%d ok, %d failed\n", n_ok, n_fail);
	return n_fail != 0 || n_ok < 300;
}
