/* test_famlik.c — joint family likelihoods with remains placed (famlik.c) against brute
 * force, and the invariant that one placement is the pairwise LR of matches.tsv.
 *
 * Random small pedigrees (founders, children of earlier persons, so loops occur), two
 * missing persons M1, M2, random references; three markers (two STRs, one X-STR), every
 * mutation model, per-remain dropout.  Brute force sums over every ordered genotype of
 * every person:
 *   J(obs1 on M1, obs2 on M2) = sum prior * transmissions * [refs match]
 *                                   * P(obs1 | g_M1) * P(obs2 | g_M2)
 *   term = log10 J - log10 P(refs) - log10 P(obs1) - log10 P(obs2)
 * with P({a,b}|ab) = 1 (the common (1-d)^2 cancels), P({a}|aa) = 1-d^2, P({a}|ax) = d(1-d).
 * Checks: famlik term with both placed = brute force (1e-9); with one placed = brute force
 * and = the compiled pairwise table's exact sum (what matches.tsv prints) to 1e-9;
 * conditioned scores = term(both) - term(first) (1e-9).  Two remains in one family are
 * not the product of the pairwise LRs: that is checked to differ on the sibling cases.
 * Cases 40..79 repeat all of it with typing error (issue 12 part 1): the references at a
 * global E, each remain at its own rate, the brute force weighting a reference's call by
 * (1 - E)[o = g] + E q(o) and a remain's by (1 - E_r) P_drop(o | g) + E_r P(o), so that
 * famlik's subset expansion, its scored remains' (1 - E_r) LR + E_r and compile.c's
 * query_err all meet the definition; one placement = the pairwise table with the error. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../src/identrun.c"
#include "check.h"
#include "lik.h"

#define MAXP 6
#define K 3

static unsigned long long rs = 0x9E3779B97F4A7C15ULL;
static double urand(void) { rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17; return (double)(rs >> 11) / 9007199254740992.0; }
static int irand(int n) { return (int)(urand() * n); }

typedef struct {
	int n, fa[MAXP], mo[MAXP], sex[MAXP], role[MAXP];   /* role: 0 untyped, 1 ref, 2 missing */
	int g[3][MAXP][2];      /* per marker, simulated genotypes (X male: [1] only, [0] = [1]) */
} ped_t;

static double P[3][K], MF[3][K * K], MM[3][K * K];
static int XL[3] = { 0, 0, 1 };
static double EREF;     /* the references' typing-error rate (0: exact calls) */

static int hemi(const ped_t *pd, int m, int i) { return XL[m] && pd->sex[i] == KM_MALE; }

static double tr(const double *M, int g1, int g2, int c) { return 0.5 * (M[g1 * K + c] + M[g2 * K + c]); }

/* P(obs | unordered g) without the common factor: obs (a,b), a == b apparent homozygote */
static double pobs(int oa, int ob, int x, int y, double d, int h)
{
	if (h) return ob >= 0 && ob != oa ? 0.0 : (x == oa);
	if (oa != ob) return (x == oa && y == ob) || (x == ob && y == oa);
	if (x == oa && y == oa) return 1 - d * d;
	if (x == oa || y == oa) return d * (1 - d);
	return 0.0;
}

/* brute force: sum over ordered genotypes with the references matched and the remains'
 * observation weights on persons q[0..nq) (obs o[k][0..1], dropout d[k]) */
static double pobs_pop(int m, int oa, int ob, double d, int h);

static double brute(const ped_t *pd, int m, const int *q, int nq, int o[][2], const double *d, const double *er)
{
	int nv = 0, var[2 * MAXP], gp[MAXP][2], dig[2 * MAXP] = { 0 };
	double tot = 0.0;
	for (int i = 0; i < pd->n; ++i) { if (!hemi(pd, m, i)) var[nv++] = 2 * i; var[nv++] = 2 * i + 1; }
	for (;;) {
		for (int v = 0; v < nv; ++v) gp[var[v] / 2][var[v] % 2] = dig[v];
		double w = 1.0;
		for (int i = 0; i < pd->n && w > 0; ++i) {
			int h = hemi(pd, m, i);
			if (h) gp[i][0] = gp[i][1];
			if (pd->role[i] == 1) {
				int a = pd->g[m][i][0], b = pd->g[m][i][1];
				double hit = h ? gp[i][1] == b : (gp[i][0] == a && gp[i][1] == b) || (gp[i][0] == b && gp[i][1] == a);
				double qo = h ? P[m][b] : a == b ? P[m][a] * P[m][a] : 2 * P[m][a] * P[m][b];
				w *= (1 - EREF) * hit + EREF * qo;
			}
			if (pd->fa[i] < 0) { if (!h) w *= P[m][gp[i][0]]; w *= P[m][gp[i][1]]; continue; }
			int f = pd->fa[i], mo = pd->mo[i];
			if (!h) w *= XL[m] ? MM[m][gp[f][1] * K + gp[i][0]] : tr(MM[m], gp[f][0], gp[f][1], gp[i][0]);
			w *= tr(MF[m], gp[mo][0], gp[mo][1], gp[i][1]);
		}
		for (int k = 0; k < nq && w > 0; ++k) {
			int h = hemi(pd, m, q[k]);
			w *= (1 - er[k]) * pobs(o[k][0], o[k][1], gp[q[k]][0], gp[q[k]][1], d[k], h) + er[k] * pobs_pop(m, o[k][0], o[k][1], d[k], h);
		}
		tot += w;
		int v;
		for (v = nv - 1; v >= 0; --v) { if (++dig[v] < K) break; dig[v] = 0; }
		if (v < 0) break;
	}
	return tot;
}

/* P(obs) of an unrelated person of sex `male` */
static double pobs_pop(int m, int oa, int ob, double d, int h)
{
	double s = 0.0;
	if (h) return ob >= 0 && ob != oa ? 0.0 : P[m][oa];
	for (int x = 0; x < K; ++x)
		for (int y = 0; y < K; ++y) s += P[m][x] * P[m][y] * pobs(oa, ob, x, y, d, 0);
	return s;
}

static void sim(ped_t *pd, int m, int i)
{
	int h = hemi(pd, m, i);
	for (int k = h ? 1 : 0; k < 2; ++k) {
		double u = urand(), c;
		int a = 0;
		if (pd->fa[i] < 0) { c = P[m][0]; while (u > c && a < K - 1) c += P[m][++a]; }
		else {
			int par = k ? pd->mo[i] : pd->fa[i];
			const double *M = k ? MF[m] : MM[m];
			int src = hemi(pd, m, par) ? pd->g[m][par][1] : pd->g[m][par][irand(2)];
			c = M[src * K]; while (u > c && a < K - 1) c += M[src * K + ++a];
		}
		pd->g[m][i][k] = a;
	}
	if (h) pd->g[m][i][0] = pd->g[m][i][1];
}

static const char *lab[K] = { "10", "11", "12" };
static const char *mk[3] = { "A1", "A2", "X1" };

int main(void)
{
	int n_prod_diff = 0, n_sib = 0;
	(void)tmpdir;
	for (int it = 0; it < 80; ++it) {
		int model = it % 4;
		EREF = it < 40 ? 0.0 : irand(3) ? 0.001 + 0.1 * urand() : 0.0;
		double rate_f = 0.004 + 0.01 * urand(), rate_m = 0.01 + 0.01 * urand();
		if (model == KM_MUT_NONE) rate_f = rate_m = 0.0;
		{ char b[32]; snprintf(b, 32, "%g", rate_f); rate_f = atof(b); snprintf(b, 32, "%g", rate_m); rate_m = atof(b); }
		for (int m = 0; m < 3; ++m) {
			double s = 0.0;
			for (int a = 0; a < K; ++a) s += (P[m][a] = 0.2 + urand());
			for (int a = 0; a < K; ++a) { char b[32]; snprintf(b, 32, "%.6f", P[m][a] / s); P[m][a] = atof(b); }
			s = 0.0;
			for (int a = 0; a < K - 1; ++a) s += P[m][a];
			{ char b[32]; snprintf(b, 32, "%.6f", 1.0 - s); P[m][K - 1] = atof(b); }
			km_alleles_t al = { 0 };
			al.n_allele = K, al.label = (char **)lab, al.p = P[m];
			km_err_t e;
			km_mut_matrix(model ? model : KM_MUT_NONE, &al, mk[m], model ? rate_f : 0, 0.5, 0, MF[m], &e);
			km_mut_matrix(model ? model : KM_MUT_NONE, &al, mk[m], model ? rate_m : 0, 0.5, 0, MM[m], &e);
		}
		/* pedigree */
		ped_t pd;
		memset(&pd, 0, sizeof(pd));
		pd.n = 4 + irand(3);
		for (int i = 0; i < pd.n; ++i) {
			pd.sex[i] = i < 2 ? i + 1 : 1 + irand(2);
			pd.fa[i] = pd.mo[i] = -1;
			int nm = 0, nf = 0, ms[MAXP], fs[MAXP];
			for (int j = 0; j < i; ++j) { if (pd.sex[j] == 1) ms[nm++] = j; else fs[nf++] = j; }
			if (i >= 2 && nm && nf && (i < 4 || irand(10) < 7)) {
				/* mostly children of the first couple: siblings */
				if (irand(3)) pd.fa[i] = 0, pd.mo[i] = 1;
				else pd.fa[i] = ms[irand(nm)], pd.mo[i] = fs[irand(nf)];
			}
		}
		int M1 = pd.n - 1, M2 = pd.n - 2;
		pd.role[M1] = pd.role[M2] = 2;
		int sibs = pd.fa[M1] >= 0 && pd.fa[M1] == pd.fa[M2] && pd.mo[M1] == pd.mo[M2];
		for (int m = 0; m < 3; ++m) for (int i = 0; i < pd.n; ++i) sim(&pd, m, i);
		int nt = 0;
		for (int i = 0; i < pd.n; ++i) if (pd.role[i] == 0 && irand(3)) pd.role[i] = 1, ++nt;
		if (!nt) pd.role[0] = 1;
		/* remains: R1 = M1, R2 = M2, apparent homozygotes under dropout now and then */
		double d[2] = { irand(2) ? 0.0 : 0.1 + 0.2 * urand(), irand(2) ? 0.0 : 0.1 + 0.2 * urand() };
		int obs[3][2][2];
		for (int m = 0; m < 3; ++m)
			for (int k = 0; k < 2; ++k) {
				int q = k ? M2 : M1;
				obs[m][k][0] = pd.g[m][q][0], obs[m][k][1] = pd.g[m][q][1];
				if (obs[m][k][0] > obs[m][k][1]) { int t = obs[m][k][0]; obs[m][k][0] = obs[m][k][1]; obs[m][k][1] = t; }
				if (!hemi(&pd, m, q) && d[k] > 0 && obs[m][k][0] != obs[m][k][1] && irand(2)) obs[m][k][1] = obs[m][k][0];
			}
		/* files in memory */
		char panel[512], freqs[1024], peds[1024], refs[2048], rem[1024];
		int n;
		n = snprintf(panel, sizeof panel, "marker\ttype\tchrom\tmutation_rate\tfemale_rate\tmale_rate\n");
		for (int m = 0; m < 3; ++m) n += snprintf(panel + n, sizeof panel - n, "%s\t%s\t%s\t%g\t%g\t%g\n", mk[m], XL[m] ? "X-STR" : "STR", XL[m] ? "X" : "1", rate_f, rate_f, rate_m);
		n = snprintf(freqs, sizeof freqs, "marker\tallele\tfrequency\n");
		for (int m = 0; m < 3; ++m) for (int a = 0; a < K; ++a) n += snprintf(freqs + n, sizeof freqs - n, "%s\t%s\t%.6f\n", mk[m], lab[a], P[m][a]);
		n = snprintf(peds, sizeof peds, "family\tperson\tfather\tmother\tsex\trole\n");
		for (int i = 0; i < pd.n; ++i) {
			char f[16] = "0", mo[16] = "0";
			if (pd.fa[i] >= 0) snprintf(f, 16, "P%d", pd.fa[i]), snprintf(mo, 16, "P%d", pd.mo[i]);
			n += snprintf(peds + n, sizeof peds - n, "F1\tP%d\t%s\t%s\t%d\t%s\n", i, f, mo, pd.sex[i], pd.role[i] == 1 ? "reference" : pd.role[i] == 2 ? "missing" : "untyped");
		}
		n = snprintf(refs, sizeof refs, "sample\tmarker\tallele1\tallele2\n");
		for (int i = 0; i < pd.n; ++i) {
			if (pd.role[i] != 1) continue;
			for (int m = 0; m < 3; ++m) {
				if (hemi(&pd, m, i)) n += snprintf(refs + n, sizeof refs - n, "P%d\t%s\t%s\t.\n", i, mk[m], lab[pd.g[m][i][1]]);
				else n += snprintf(refs + n, sizeof refs - n, "P%d\t%s\t%s\t%s\n", i, mk[m], lab[pd.g[m][i][0]], lab[pd.g[m][i][1]]);
			}
		}
		n = snprintf(rem, sizeof rem, "sample\tmarker\tallele1\tallele2\n");
		for (int k = 0; k < 2; ++k)
			for (int m = 0; m < 3; ++m) {
				int q = k ? M2 : M1;
				if (hemi(&pd, m, q)) n += snprintf(rem + n, sizeof rem - n, "R%d\t%s\t%s\t.\n", k + 1, mk[m], lab[obs[m][k][0]]);
				else n += snprintf(rem + n, sizeof rem - n, "R%d\t%s\t%s\t%s\n", k + 1, mk[m], lab[obs[m][k][0]], lab[obs[m][k][1]]);
			}
		km_panel_t p = { 0 };
		km_freqs_t f = { 0 };
		km_prof_t rf = { 0 }, rm = { 0 };
		km_peds_t pe = { 0 };
		km_err_t e = { "" };
		int ret = km_panel_load_mem(&p, "panel", panel, strlen(panel), &e);
		if (!ret) ret = km_freqs_load_mem(&f, &p, "freqs", freqs, strlen(freqs), 0.001, &e);
		if (!ret) ret = km_prof_load_mem(&rf, &p, &f, "refs", refs, strlen(refs), &e);
		if (!ret) ret = km_prof_load_mem(&rm, &p, &f, "rem", rem, strlen(rem), &e);
		if (!ret) ret = km_peds_load_mem(&pe, "peds", peds, strlen(peds), &e);
		if (!ret) ret = km_peds_link(&pe, &rf, &p, &e);
		if (ret) { printf("FAIL load: %s\n%s\n%s\n", e.msg, peds, refs); return 1; }
		int r1 = km_prof_find(&rm, "R1"), r2 = km_prof_find(&rm, "R2");
		double rd[2], re[2], er[2] = { 0.0, 0.0 };
		if (it >= 40) er[0] = irand(3) ? 0.001 + 0.2 * urand() : 0.0, er[1] = irand(3) ? 0.001 + 0.2 * urand() : 0.0;
		rd[r1] = d[0], rd[r2] = d[1];
		re[r1] = er[0], re[r2] = er[1];
		km_opt_t o;
		km_opt_init(&o);
		o.mutation = model, o.threads = 1, o.typing_error = EREF;
		km_copt_t co = km_copt_of(&o);
		/* persons: their index in the family is their line order */
		int q1 = -1, q2 = -1;
		for (int i = 0; i < pe.fam[0].n_person; ++i) {
			if (strcmp(pe.fam[0].person[i].id + 1, "") == 0) continue;
			int id = atoi(pe.fam[0].person[i].id + 1);
			if (id == M1) q1 = i;
			if (id == M2) q2 = i;
		}
		km_famlik_t *FL = NULL;
		if ((ret = km_famlik_new(&FL, &p, &f, &rf, &pe, &rm, rd, it < 40 ? NULL : re, &co, &e)) < 0) { printf("FAIL famlik: %s\n", e.msg); return 1; }
		/* brute force */
		double b2 = 0.0, b1 = 0.0, b1b = 0.0, ob = 0.0;
		for (int m = 0; m < 3; ++m) {
			int q[2] = { M1, M2 }, oo[2][2];
			memcpy(oo, obs[m], sizeof(oo));
			double pr = brute(&pd, m, q, 0, oo, d, er);
			double j2 = brute(&pd, m, q, 2, oo, d, er), j1 = brute(&pd, m, q, 1, oo, d, er);
			int q2v[1] = { M2 }, o2v[1][2] = { { oo[1][0], oo[1][1] } };
			double j1b = brute(&pd, m, q2v, 1, o2v, d + 1, er + 1);
			double p1 = pobs_pop(m, oo[0][0], oo[0][1], d[0], hemi(&pd, m, M1)), p2 = pobs_pop(m, oo[1][0], oo[1][1], d[1], hemi(&pd, m, M2));
			b2 += log10(j2) - log10(pr) - log10(p1) - log10(p2);
			b1 += log10(j1) - log10(pr) - log10(p1);
			b1b += log10(j1b) - log10(pr) - log10(p2);
			(void)ob;
		}
		km_place_t pl[2] = { { q1, r1 }, { q2, r2 } };
		double t2, t1, t1b, sc;
		int rr[1] = { r2 };
		ret = km_famlik_term(FL, 0, NULL, 0, pl, 2, &t2, &e);
		if (!ret) ret = km_famlik_term(FL, 0, NULL, 0, pl, 1, &t1, &e);
		if (!ret) ret = km_famlik_term(FL, 0, NULL, 0, pl + 1, 1, &t1b, &e);
		if (!ret) ret = km_famlik_scores(FL, 0, pl, 1, q2, rr, 1, &sc, &e);
		if (ret) { printf("FAIL term: %s\n", e.msg); return 1; }
		char what[256];
		int fin = isfinite(b2);
		snprintf(what, sizeof what, "case %d model %d E %g/%g/%g: two placed = brute force (%.12g vs %.12g)", it, model, EREF, er[0], er[1], t2, b2);
		check(fin ? fabs(t2 - b2) < 1e-9 : t2 == b2, what);
		snprintf(what, sizeof what, "case %d: one placed = brute force (%.12g vs %.12g)", it, t1, b1);
		check(isfinite(b1) ? fabs(t1 - b1) < 1e-9 : t1 == b1, what);
		snprintf(what, sizeof what, "case %d: conditioned score = term(both) - term(first) (%.12g vs %.12g)", it, sc, t2 - t1);
		check(isfinite(t2) && isfinite(t1) ? fabs(sc - (t2 - t1)) < 1e-9 : sc == KM_NEG_INF || !isfinite(t1), what);
		{   /* the one-pass form the branch and bound's D uses: the same two numbers */
			double l0[3] = { NAN, NAN, NAN }, t1c, scc = 0.0;
			if ((ret = km_famlik_cond(FL, 0, NULL, 0, pl, q2, rr, 1, l0, &t1c, &scc, &e)) < 0) { printf("FAIL cond: %s\n", e.msg); return 1; }
			snprintf(what, sizeof what, "case %d: one pass = term and conditioned score (%.12g, %.12g vs %.12g, %.12g)", it, t1c, scc, t1, sc);
			check(isfinite(t1) ? fabs(t1c - t1) < 1e-9 && (isfinite(sc) ? fabs(scc - sc) < 1e-9 : scc == sc) : t1c == KM_NEG_INF, what);
		}
		if (sibs && fin && isfinite(b1) && isfinite(b1b)) {
			++n_sib;
			if (fabs(b2 - (b1 + b1b)) > 1e-3) ++n_prod_diff;
		}
		/* the pairwise tables (what matches.tsv prints) for each remain and missing person */
		km_index_t ix = { 0 };
		km_tabs_t tb = { 0 };
		km_comp_t *C = NULL;
		if ((ret = km_index_build_te(&ix, &p, &rm, rd, it < 40 ? NULL : re, NULL, &e)) == 0 && (ret = km_cands_build(&tb, &pe, &e)) == 0)
			ret = km_comp_init(&C, &ix, &p, &f, &rf, &pe, NULL, &co, &e);
		if (ret) { printf("FAIL compile: %s\n", e.msg); return 1; }
		km_cwork_t *w = km_cwork_new(C);
		size_t per_c = ix.n_totcol + (size_t)ix.n_hom * 3;
		double *buf = malloc(sizeof(double) * (per_c + 1));
		uint8_t *typ = malloc((size_t)ix.n_loc + 1);
		for (int c = 0; c < tb.n_cand; ++c) {
			km_ctab_t ct = { 0 };
			ct.lr = buf, ct.hom = buf + ix.n_totcol, ct.typed = typ;
			if ((ret = km_comp_cand(C, w, &tb.cand[c], &ct, &e)) < 0) { printf("FAIL cand: %s\n", e.msg); return 1; }
			for (int r = 0; r < rm.n_sample; ++r) {
				double x = exact_lr(&ix, &ct, r), y;
				km_place_t one = { tb.cand[c].person, r };
				if ((ret = km_famlik_term(FL, 0, NULL, 0, &one, 1, &y, &e)) < 0) { printf("FAIL: %s\n", e.msg); return 1; }
				snprintf(what, sizeof what, "case %d model %d: one placement = pairwise table, %s on %s (%.12g vs %.12g)", it, model,
				         rm.sample[r], pe.fam[0].person[tb.cand[c].person].id, y, x);
				check(isfinite(x) ? fabs(x - y) < 1e-9 : x == y, what);
			}
		}
		free(buf); free(typ);
		km_cwork_free(w, NULL);
		km_comp_destroy(C);
		km_tabs_destroy(&tb);
		km_index_destroy(&ix);
		km_famlik_free(FL);
		km_peds_destroy(&pe); km_prof_destroy(&rm); km_prof_destroy(&rf); km_freqs_destroy(&f); km_panel_destroy(&p);
	}
	{
		char what[128];
		snprintf(what, sizeof what, "two remains in one sibship are not the product of pairwise LRs (%d of %d sibling cases differ)", n_prod_diff, n_sib);
		check(n_sib > 0 && n_prod_diff > 0, what);
	}
	printf("%d ok, %d failed\n", n_ok, n_fail);
	return n_fail != 0;
}
