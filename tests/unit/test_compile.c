/* test_compile.c — the compile step on its own (compile.c km_comp_cand, its table cache,
 * the dropout terms), against closed forms (issue 10: compile_cand's replacement gets
 * unit tests of its own; the engines underneath are checked by brute force in
 * test_brute.c and test_famlik.c).
 *
 * One reference R and one missing person M per family, every classic relationship,
 * no mutation, theta = 0.  With the IBD coefficients (k0, k1, k2) of (R, M) the LR of M's
 * genotype x given R's genotype r is (Thompson 1975; Evett & Weir 1998, eq. 7.6)
 *     LR(x | r) = k0 + k1 P1(x | r) / P(x) + k2 [x = r] / P(x),
 * with P1(x | r) the probability of x when one allele is a copy of a random allele of r and
 * the other a random population allele, and P(x) the Hardy–Weinberg genotype frequency.
 * A trio (both parents typed) is the Mendelian transmission over P(x).  Under dropout d
 * an apparent homozygote {a} has (obs.h)
 *     LR({a}) = (p_a^2 LR(aa) + w sum_{y != a} 2 p_a p_y LR(ay)) / (p_a^2 + w 2 p_a (1 - p_a)),
 * w = d / (1 + d).  Every column of every locus is checked to 1e-9 in log10; an allele
 * shared with no parent is -inf, never NaN; two families of the same shape and reference
 * genotypes share their tables (the cache), with the same numbers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kmpriv.h"
#include "pipe.h"
#include "obs.h"
#include "check.h"

#define NA 4
static const char *lab[NA] = { "10", "11", "12", "13" };
static const double pf[NA] = { 0.1, 0.2, 0.3, 0.4 };

/* families: id, k0, k1, k2 (k < 0: trio), the pedigree rows, R's genotype per marker */
typedef struct {
	const char *id;
	double k0, k1, k2;
	const char *rows;
	int r[2][2];            /* per marker R's alleles (index into lab); trio: the father's */
	int r2[2][2];           /* trio: the mother's */
} fam_t;

static const fam_t FAM[] = {
	{ "F_PO", 0, 1, 0, "F_PO\tR\t0\t0\t1\treference\nF_PO\tW\t0\t0\t2\tuntyped\nF_PO\tM\tR\tW\t1\tmissing\n",
	  { { 0, 1 }, { 2, 2 } }, { { 0 } } },
	{ "F_PO2", 0, 1, 0, "F_PO2\tR\t0\t0\t1\treference\nF_PO2\tW\t0\t0\t2\tuntyped\nF_PO2\tM\tR\tW\t1\tmissing\n",
	  { { 0, 1 }, { 2, 2 } }, { { 0 } } },
	{ "F_FS", 0.25, 0.5, 0.25, "F_FS\tA\t0\t0\t1\tuntyped\nF_FS\tB\t0\t0\t2\tuntyped\nF_FS\tR\tA\tB\t1\treference\nF_FS\tM\tA\tB\t1\tmissing\n",
	  { { 1, 3 }, { 0, 0 } }, { { 0 } } },
	{ "F_HS", 0.5, 0.5, 0, "F_HS\tA\t0\t0\t1\tuntyped\nF_HS\tB\t0\t0\t2\tuntyped\nF_HS\tC\t0\t0\t2\tuntyped\n"
	                       "F_HS\tR\tA\tB\t2\treference\nF_HS\tM\tA\tC\t1\tmissing\n",
	  { { 2, 3 }, { 1, 3 } }, { { 0 } } },
	{ "F_AV", 0.5, 0.5, 0, "F_AV\tA\t0\t0\t1\tuntyped\nF_AV\tB\t0\t0\t2\tuntyped\nF_AV\tR\tA\tB\t1\treference\n"
	                       "F_AV\tS\tA\tB\t1\tuntyped\nF_AV\tW\t0\t0\t2\tuntyped\nF_AV\tM\tS\tW\t1\tmissing\n",
	  { { 0, 3 }, { 1, 2 } }, { { 0 } } },
	{ "F_GP", 0.5, 0.5, 0, "F_GP\tR\t0\t0\t2\treference\nF_GP\tW\t0\t0\t1\tuntyped\nF_GP\tS\tW\tR\t1\tuntyped\n"
	                       "F_GP\tV\t0\t0\t2\tuntyped\nF_GP\tM\tS\tV\t1\tmissing\n",
	  { { 3, 3 }, { 0, 2 } }, { { 0 } } },
	{ "F_C1", 0.75, 0.25, 0, "F_C1\tA\t0\t0\t1\tuntyped\nF_C1\tB\t0\t0\t2\tuntyped\nF_C1\tS1\tA\tB\t1\tuntyped\n"
	                         "F_C1\tS2\tA\tB\t1\tuntyped\nF_C1\tW1\t0\t0\t2\tuntyped\nF_C1\tW2\t0\t0\t2\tuntyped\n"
	                         "F_C1\tR\tS1\tW1\t1\treference\nF_C1\tM\tS2\tW2\t1\tmissing\n",
	  { { 1, 2 }, { 0, 1 } }, { { 0 } } },
	/* the memorial's commonest shape: a grand-nephew of the missing (great-avuncular) */
	{ "F_GN", 0.75, 0.25, 0, "F_GN\tA\t0\t0\t1\tuntyped\nF_GN\tB\t0\t0\t2\tuntyped\nF_GN\tM\tA\tB\t1\tmissing\n"
	                         "F_GN\tS\tA\tB\t1\tuntyped\nF_GN\tW\t0\t0\t2\tuntyped\nF_GN\tT\tS\tW\t1\tuntyped\n"
	                         "F_GN\tV\t0\t0\t2\tuntyped\nF_GN\tR\tT\tV\t1\treference\n",
	  { { 2, 2 }, { 3, 0 } }, { { 0 } } },
	{ "F_TRIO", -1, 0, 0, "F_TRIO\tR\t0\t0\t1\treference\nF_TRIO\tR2\t0\t0\t2\treference\nF_TRIO\tM\tR\tR2\t2\tmissing\n",
	  { { 0, 1 }, { 2, 3 } }, { { 1, 2 }, { 2, 2 } } },
};
#define NF ((int)(sizeof FAM / sizeof FAM[0]))

static double hw(int x, int y) { return x == y ? pf[x] * pf[x] : 2 * pf[x] * pf[y]; }

/* P1(x | r): one allele of x a copy of a random allele of r, the other from the population */
static double p1(int x, int y, const int r[2])
{
	double s = 0.0;
	for (int k = 0; k < 2; ++k) {
		if (x == y) s += 0.5 * (r[k] == x) * pf[x];
		else s += 0.5 * ((r[k] == x) * pf[y] + (r[k] == y) * pf[x]);
	}
	return s;
}

/* transmission of one parent's allele a */
static double tr(const int g[2], int a) { return 0.5 * ((g[0] == a) + (g[1] == a)); }

static double lr_closed(const fam_t *F, int m, int x, int y)
{
	if (F->k0 < 0) {   /* trio */
		const int *fa = F->r[m], *mo = F->r2[m];
		double t = x == y ? tr(fa, x) * tr(mo, x) : tr(fa, x) * tr(mo, y) + tr(fa, y) * tr(mo, x);
		return t / hw(x, y);
	}
	const int *r = F->r[m];
	int same = (x == r[0] && y == r[1]) || (x == r[1] && y == r[0]);
	return F->k0 + F->k1 * p1(x, y, r) / hw(x, y) + F->k2 * same / hw(x, y);
}

static int near(double got, double want)
{
	if (want == 0.0) return got == KM_NEG_INF;
	return isfinite(got) && fabs(got - log10(want)) < 1e-9;
}

int main(void)
{
	(void)tmpdir;
	static char panel[256], freqs[512], peds[8192], refs[4096], rem[8192];
	const char *mk[2] = { "D1", "D2" };
	int n;
	n = snprintf(panel, sizeof panel, "marker\ttype\tchrom\tmutation_rate\n");
	for (int m = 0; m < 2; ++m) n += snprintf(panel + n, sizeof panel - n, "%s\tSTR\t%d\t0\n", mk[m], m + 1);
	n = snprintf(freqs, sizeof freqs, "marker\tallele\tfrequency\n");
	for (int m = 0; m < 2; ++m)
		for (int a = 0; a < NA; ++a) n += snprintf(freqs + n, sizeof freqs - n, "%s\t%s\t%g\n", mk[m], lab[a], pf[a]);
	n = snprintf(peds, sizeof peds, "family\tperson\tfather\tmother\tsex\trole\n");
	for (int i = 0; i < NF; ++i) n += snprintf(peds + n, sizeof peds - n, "%s", FAM[i].rows);
	n = snprintf(refs, sizeof refs, "sample\tmarker\tallele1\tallele2\n");
	for (int i = 0; i < NF; ++i)
		for (int m = 0; m < 2; ++m) {
			n += snprintf(refs + n, sizeof refs - n, "%s-R\t%s\t%s\t%s\n", FAM[i].id, mk[m], lab[FAM[i].r[m][0]], lab[FAM[i].r[m][1]]);
			if (FAM[i].k0 < 0)
				n += snprintf(refs + n, sizeof refs - n, "%s-R2\t%s\t%s\t%s\n", FAM[i].id, mk[m], lab[FAM[i].r2[m][0]], lab[FAM[i].r2[m][1]]);
		}
	/* person ids are unique across the file: each prefixed with its family ("F_PO-R"),
	 * so a reference's sample id is its person id */
	{
		static char p2[8192];
		int k = snprintf(p2, sizeof p2, "family\tperson\tfather\tmother\tsex\trole\n");
		char *save = NULL, *line = strtok_r(peds, "\n", &save);
		for (line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char fam[32], per[32], fa[32], mo[32], sex[8], role[16], pf2[72] = "0", pm2[72] = "0";
			sscanf(line, "%31s %31s %31s %31s %7s %15s", fam, per, fa, mo, sex, role);
			if (strcmp(fa, "0")) snprintf(pf2, sizeof pf2, "%s-%s", fam, fa);
			if (strcmp(mo, "0")) snprintf(pm2, sizeof pm2, "%s-%s", fam, mo);
			k += snprintf(p2 + k, sizeof p2 - k, "%s\t%s-%s\t%s\t%s\t%s\t%s\n", fam, fam, per, pf2, pm2, sex, role);
		}
		memcpy(peds, p2, sizeof p2);
	}
	/* remains: every genotype at D1, paired with every genotype at D2 shifted, so each
	 * column of both loci appears */
	int gx[10][2], ng = 0;
	for (int a = 0; a < NA; ++a) for (int b = a; b < NA; ++b) gx[ng][0] = a, gx[ng++][1] = b;
	n = snprintf(rem, sizeof rem, "sample\tmarker\tallele1\tallele2\n");
	for (int i = 0; i < ng; ++i) {
		int j = (i + 3) % ng;
		n += snprintf(rem + n, sizeof rem - n, "X%02d\tD1\t%s\t%s\nX%02d\tD2\t%s\t%s\n", i, lab[gx[i][0]], lab[gx[i][1]], i, lab[gx[j][0]], lab[gx[j][1]]);
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
	if (ret) { printf("FAIL load: %s\n", e.msg); return 1; }
	int lab_of[2][NA];   /* the frequency table's allele index of each label */
	for (int m = 0; m < 2; ++m)
		for (int a = 0; a < NA; ++a) lab_of[m][a] = km_freqs_allele(&f, &p, km_panel_find(&p, mk[m]), lab[a], 0);

	for (int pass = 0; pass < 2; ++pass) {   /* 0: no dropout; 1: every remain d = 0.05 */
		double d = pass ? 0.05 : 0.0, w = km_obs_drop_w(d);
		double *rd = malloc(sizeof(double) * (size_t)rm.n_sample);
		for (int s = 0; s < rm.n_sample; ++s) rd[s] = d;
		km_index_t ix = { 0 };
		km_tabs_t tb = { 0 };
		km_comp_t *C = NULL;
		km_opt_t o;
		km_opt_init(&o);
		o.threads = 1;
		km_copt_t co = km_copt_of(&o);
		if ((ret = km_index_build(&ix, &p, &rm, pass ? rd : NULL, NULL, &e)) == 0 && (ret = km_cands_build(&tb, &pe, &e)) == 0)
			ret = km_comp_init(&C, &ix, &p, &f, &rf, &pe, NULL, &co, &e);
		if (ret) { printf("FAIL compile init: %s\n", e.msg); return 1; }
		km_cwork_t *cw = km_cwork_new(C);
		size_t per_c = ix.n_totcol + (size_t)ix.n_hom * 3;
		double *buf = malloc(sizeof(double) * (per_c + 1) * (size_t)tb.n_cand);
		uint8_t *typ = malloc(((size_t)ix.n_loc + 1) * (size_t)tb.n_cand);
		int bad_cols = 0, n_cols = 0, n_excl = 0, n_nan = 0, bad_hom = 0, n_hom = 0;
		char what[256];
		for (int c = 0; c < tb.n_cand; ++c) {
			km_ctab_t ct = { 0 };
			ct.lr = buf + (size_t)c * (per_c + 1), ct.hom = ct.lr + ix.n_totcol, ct.typed = typ + (size_t)c * (ix.n_loc + 1);
			if ((ret = km_comp_cand(C, cw, &tb.cand[c], &ct, &e)) < 0) { printf("FAIL cand: %s\n", e.msg); return 1; }
			const km_family_t *FF = &pe.fam[tb.cand[c].fam];
			const fam_t *F = NULL;
			for (int i = 0; i < NF; ++i) if (!strcmp(FAM[i].id, FF->id)) F = &FAM[i];
			if (!F) { printf("FAIL family %s not found\n", FF->id); return 1; }
			for (int l = 0; l < ix.n_loc; ++l) {
				int m = strcmp(p.marker[ix.marker[l]].name, "D1") == 0 ? 0 : 1;
				check(ct.typed[l] == 1, "the reference is typed at every locus");
				check(ct.lr[ix.col_off[l]] == 0.0, "column 0 (untyped) scores 0");
				for (int k = 1; k < ix.n_col[l]; ++k) {
					int32_t ca = ix.col_a[ix.col_off[l] + k], cb = ix.col_b[ix.col_off[l] + k];
					int x = -1, y = -1;
					for (int a = 0; a < NA; ++a) { if (lab_of[m][a] == ca) x = a; if (lab_of[m][a] == cb) y = a; }
					double want = lr_closed(F, m, x, y), got = ct.lr[ix.col_off[l] + k];
					int slot = ix.hom_slot[ix.col_off[l] + k];
					++n_cols;
					n_nan += isnan(got);
					if (want == 0.0) ++n_excl;
					if (x != y || slot < 0) {
						if (!near(got, want)) {
							++bad_cols;
							printf("  %s %s {%s,%s}: got %.12g want log10 %.12g\n", F->id, mk[m], lab[x], lab[y], got, want);
						}
						continue;
					}
					/* an apparent homozygote under dropout: the mixture from P, Q, R */
					double num = pf[x] * pf[x] * lr_closed(F, m, x, x), den = pf[x] * pf[x];
					for (int z = 0; z < NA; ++z)
						if (z != x) num += w * 2 * pf[x] * pf[z] * lr_closed(F, m, x, z), den += w * 2 * pf[x] * pf[z];
					double mix = km_obs_mix(ct.hom + (size_t)slot * 3, w);
					++n_hom;
					if (!(num == 0.0 ? mix == 0.0 : fabs(log10(mix) - log10(num / den)) < 1e-9)) {
						++bad_hom;
						printf("  %s %s {%s} under dropout: got %.12g want %.12g\n", F->id, mk[m], lab[x], mix, num / den);
					}
				}
			}
		}
		snprintf(what, sizeof what, "pass %d: every column of every candidate = the closed form (%d of %d differ)", pass, bad_cols, n_cols);
		check(bad_cols == 0 && n_cols > 0, what);
		snprintf(what, sizeof what, "pass %d: exclusions are -inf (%d columns), no NaN (%d)", pass, n_excl, n_nan);
		check(n_excl > 0 && n_nan == 0, what);
		if (pass) {
			snprintf(what, sizeof what, "dropout: every apparent homozygote's mixture (P + wQ)/(1 + wR) = the closed form (%d of %d differ)", bad_hom, n_hom);
			check(bad_hom == 0 && n_hom > 0, what);
		}
		/* F_PO and F_PO2: same shape, same reference genotypes: the same tables */
		{
			int c1 = -1, c2 = -1;
			for (int c = 0; c < tb.n_cand; ++c) {
				if (!strcmp(pe.fam[tb.cand[c].fam].id, "F_PO")) c1 = c;
				if (!strcmp(pe.fam[tb.cand[c].fam].id, "F_PO2")) c2 = c;
			}
			check(c1 >= 0 && c2 >= 0 && memcmp(buf + (size_t)c1 * (per_c + 1), buf + (size_t)c2 * (per_c + 1), sizeof(double) * per_c) == 0,
			      "two families of one shape and reference genotypes: identical tables");
		}
		km_stats_t st = { 0 };
		km_cwork_free(cw, &st);
		snprintf(what, sizeof what, "pass %d: the cache served the second family (%ld tables computed, %ld shared)", pass, st.n_computed, st.n_shared);
		check(st.n_shared >= ix.n_loc && st.n_computed + st.n_shared == (long)tb.n_cand * ix.n_loc, what);
		/* the same tables again from a fresh compile: compile is a function of its inputs */
		{
			km_cwork_t *cw2 = km_cwork_new(C);
			km_ctab_t ct = { 0 };
			double *b2 = malloc(sizeof(double) * (per_c + 1));
			uint8_t *t2 = malloc((size_t)ix.n_loc + 1);
			ct.lr = b2, ct.hom = b2 + ix.n_totcol, ct.typed = t2;
			int same = 1;
			for (int c = tb.n_cand - 1; c >= 0; --c) {   /* the other order */
				if (km_comp_cand(C, cw2, &tb.cand[c], &ct, &e) < 0) { same = 0; break; }
				if (memcmp(b2, buf + (size_t)c * (per_c + 1), sizeof(double) * per_c) != 0) same = 0;
			}
			check(same, "candidates compiled in the other order: the same bits");
			km_cwork_free(cw2, NULL);
			free(b2), free(t2);
		}
		free(buf), free(typ), free(rd);
		km_comp_destroy(C);
		km_tabs_destroy(&tb);
		km_index_destroy(&ix);
	}
	km_peds_destroy(&pe); km_prof_destroy(&rm); km_prof_destroy(&rf); km_freqs_destroy(&f); km_panel_destroy(&p);
	printf("%d ok, %d failed\n", n_ok, n_fail);
	return n_fail != 0;
}
