/* test_brute.c — kinmatch match against brute-force enumeration on random small cases.
 *
 * For random pedigrees (founders and children of earlier persons, so marriage loops and
 * inbreeding occur), random allele sets, mutation models, theta and per-remain dropout,
 * the likelihood ratio is computed by the definitions alone:
 *   L1(g) = sum over every ordered genotype of every person, with M's genotype g, of
 *           urn(founder alleles) * prod transmissions * [references match]
 *   L2(g) = the same sum with M free, the remain an extra founder with genotype g
 *           (theta = 0: L(refs) * P(g))
 *   LR    = sum_g P(obs | g) L1(g) / sum_g P(obs | g) L2(g),
 *           P({a,b}|ab) = (1-d)^2, P({a}|ab) = d(1-d), P({a}|aa) = 1-d^2
 * and compared with `kinmatch match` run on the same case written as files.
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
static double P[MAXK], MF[MAXK * MAXK], MM[MAXK * MAXK], THETA;

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
			if (pd->typed[i]) {              /* unordered match with the observed genotype */
				if (h) w *= gp[i][1] == pd->g[i][0];
				else w *= (gp[i][0] == pd->g[i][0] && gp[i][1] == pd->g[i][1]) || (gp[i][0] == pd->g[i][1] && gp[i][1] == pd->g[i][0]);
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

/* LR of an observation {a,b} (b = -1: hemizygous call) of a remain with dropout d */
static double brute_lr(const ped_t *pd, double L1[MAXK][MAXK], double L2[MAXK][MAXK], int a, int b, double d)
{
	double num = 0, den = 0;
	if (hemi(pd, pd->M)) {                      /* a man: {a,a} or 'a' is his allele */
		if (b >= 0 && b != a) return (-(double)INFINITY);
		return L1[a][a] > 0 ? log10(L1[a][a] / L2[a][a]) : (-(double)INFINITY);
	}
	if (XL && b < 0) return (-(double)INFINITY);          /* a hemizygous remain is not a woman */
	for (int x = 0; x < K; ++x)
		for (int y = x; y < K; ++y) {
			double po;
			if (a != b) po = (x == a && y == b) ? (1 - d) * (1 - d) : 0;
			else if (x == a && y == a) po = 1 - d * d;
			else if (x == a || y == a) po = d * (1 - d);
			else po = 0;
			num += po * L1[x][y]; den += po * L2[x][y];
		}
	return num > 0 ? log10(num / den) : (-(double)INFINITY);
}

static void drop_gene(ped_t *pd, int i)
{
	int h = hemi(pd, i);
	double u;
	if (pd->fa[i] < 0) {
		for (int k = h ? 1 : 0; k < 2; ++k) {
			u = urand(); int a = 0; double c = P[0];
			while (u > c && a < K - 1) c += P[++a];
			pd->g[i][k] = a;
		}
	} else {
		for (int k = h ? 1 : 0; k < 2; ++k) {
			int par = k ? pd->mo[i] : pd->fa[i];
			const double *M = k ? MF : MM;
			int src = hemi(pd, par) ? pd->g[par][1] : pd->g[par][irand(2)];
			u = urand(); int a = 0; double c = M[src * K];
			while (u > c && a < K - 1) c += M[src * K + ++a];
			pd->g[i][k] = a;
		}
	}
	if (h) pd->g[i][0] = pd->g[i][1];
}

int main(void)
{
	static const char *labels[] = { "10", "11", "12", "12.2" };
	int n_ok = 0, n_fail = 0;
	char dir[] = "/tmp/kmbruteXXXXXX";
	if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
	for (int it = 0; it < 60; ++it) {
		K = 3 + irand(2);
		XL = irand(4) == 0;
		THETA = irand(3) == 0 ? 0.05 : 0.0;   /* X too: the hemizygous urn (theta.c) */
		MODEL = irand(4);
		double s = 0, rate_f = irand(2) ? 0.01 : 0.0, rate_m = 0.02;
		for (int a = 0; a < K; ++a) s += (P[a] = 0.2 + urand());
		for (int a = 0; a < K; ++a) P[a] /= s;
		/* write frequencies with 6 decimals and read them back, so both sides use the same numbers */
		for (int a = 0; a < K; ++a) { char b[32]; snprintf(b, 32, "%.6f", P[a]); P[a] = atof(b); }
		km_alleles_t al = { 0 };
		al.n_allele = K, al.label = (char **)labels, al.p = P;
		km_err_t e;
		if (MODEL == KM_MUT_PROPORTIONAL) { rate_f = rate_f ? 0.005 : 0; rate_m = 0.008; }
		if (km_mut_matrix(MODEL, &al, "L", rate_f, 0.5, 0, MF, &e) < 0 || km_mut_matrix(MODEL, &al, "L", rate_m, 0.5, 0, MM, &e) < 0) {
			printf("FAIL matrix: %s\n", e.msg); return 1;
		}
		if (rate_f == 0 && MODEL != KM_MUT_NONE) km_mut_matrix(KM_MUT_NONE, &al, "L", 0, 0.5, 0, MF, &e);
		/* three random families */
		ped_t fam[3];
		for (int f = 0; f < 3; ++f) {
			ped_t *pd = &fam[f];
			memset(pd, 0, sizeof(*pd));
			pd->n = 4 + irand(THETA > 0 ? 1 : 3);
			for (int i = 0; i < pd->n; ++i) {
				pd->sex[i] = i < 2 ? i + 1 : 1 + irand(2);
				pd->fa[i] = pd->mo[i] = -1;
				int nm = 0, nf = 0, ms[MAXP], fs[MAXP];
				for (int j = 0; j < i; ++j) { if (pd->sex[j] == 1) ms[nm++] = j; else fs[nf++] = j; }
				if (i >= 2 && nm && nf && irand(10) < 7) pd->fa[i] = ms[irand(nm)], pd->mo[i] = fs[irand(nf)];
			}
			pd->M = pd->n - 1 - irand(2);
			for (int i = 0; i < pd->n; ++i) drop_gene(pd, i);
			int nt = 0;
			for (int i = 0; i < pd->n; ++i) if (i != pd->M && irand(2)) pd->typed[i] = 1, ++nt;
			if (!nt) pd->typed[pd->M == 0 ? 1 : 0] = 1;
		}
		/* files */
		char fn[256];
		FILE *fp;
		snprintf(fn, sizeof fn, "%s/panel.tsv", dir); fp = fopen(fn, "w");
		fprintf(fp, "marker\ttype\tchrom\tmutation_rate\tfemale_rate\tmale_rate\nL\t%s\t%s\t0.01\t%g\t%g\n",
		        XL ? "X-STR" : "STR", XL ? "X" : "1", rate_f, rate_m);
		fclose(fp);
		snprintf(fn, sizeof fn, "%s/freqs.tsv", dir); fp = fopen(fn, "w");
		fprintf(fp, "marker\tallele\tfrequency\n");
		double sum = 0;
		for (int a = 0; a < K; ++a) fprintf(fp, "L\t%s\t%.6f\n", labels[a], P[a]), sum += P[a];
		fclose(fp);
		snprintf(fn, sizeof fn, "%s/peds.tsv", dir); fp = fopen(fn, "w");
		FILE *fr; char fn2[256]; snprintf(fn2, sizeof fn2, "%s/refs.tsv", dir); fr = fopen(fn2, "w");
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
		/* remains: every diploid observation, and hemizygous ones at X, with random d */
		int na = 0, ra[32], rb[32];
		double rdd[32];
		snprintf(fn, sizeof fn, "%s/rem.tsv", dir); fp = fopen(fn, "w");
		snprintf(fn2, sizeof fn2, "%s/info.tsv", dir); fr = fopen(fn2, "w");
		fprintf(fp, "sample\tmarker\tallele1\tallele2\n");
		fprintf(fr, "sample\tdropout\n");
		for (int a = 0; a < K; ++a)
			for (int b = XL ? -1 : a; b < K; ++b) {
				if (b >= 0 && b < a) continue;
				ra[na] = a, rb[na] = b, rdd[na] = (double[]){ 0.0, 0.1, 0.4 }[irand(3)];
				if (THETA > 0 && rdd[na] > 0 && irand(2)) rdd[na] = 0;
				fprintf(fp, "R%02d\tL\t%s\t%s\n", na, labels[a], b < 0 ? "." : labels[b]);
				fprintf(fr, "R%02d\t%g\n", na, rdd[na]);
				++na;
			}
		fclose(fp); fclose(fr);
		char cmd[1024];
		snprintf(cmd, sizeof cmd, "./kinmatch match --panel %s/panel.tsv --freqs %s/freqs.tsv --remains %s/rem.tsv "
		         "--references %s/refs.tsv --pedigrees %s/peds.tsv --remain-info %s/info.tsv --mutation %s "
		         "--theta %g --all --quiet --threads 2 --out %s/out", dir, dir, dir, dir, dir, dir, km_mut_name(MODEL), THETA, dir);
		if (system(cmd) != 0) { printf("FAIL run %d: %s\n", it, cmd); ++n_fail; continue; }
		snprintf(fn, sizeof fn, "%s/out/matches.tsv", dir);
		fp = fopen(fn, "r");
		char line[1024];
		if (!fp || !fgets(line, sizeof line, fp)) { printf("FAIL run %d: no output\n", it); ++n_fail; continue; }
		double L1[3][MAXK][MAXK], L2[3][MAXK][MAXK];
		for (int f = 0; f < 3; ++f) brute(&fam[f], L1[f], L2[f]);
		while (fgets(line, sizeof line, fp)) {
			int r, f;
			char val[64];
			if (sscanf(line, "R%d\tF%d\tF%*dP%*d\t%*d\t%63s", &r, &f, val) != 3) { printf("FAIL parse %s", line); ++n_fail; continue; }
			double got = strcmp(val, "-inf") == 0 ? (-(double)INFINITY) : atof(val);
			double want = brute_lr(&fam[f], L1[f], L2[f], ra[r], rb[r], rdd[r]);
			int good = (isinf(want) && got == want) || (!isinf(want) && fabs(got - want) < 2e-6);
			if (good) ++n_ok;
			else {
				++n_fail;
				printf("FAIL case %d (model %s, theta %g, X %d, K %d) family F%d remain {%d,%d} d=%g: kinmatch %s, brute force %.8f\n",
				       it, km_mut_name(MODEL), THETA, XL, K, f, ra[r], rb[r], rdd[r], val, want);
			}
		}
		fclose(fp);
	}
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0) {}
	printf("%d ok, %d failed\n", n_ok, n_fail);
	return n_fail != 0 || n_ok < 500;
}
