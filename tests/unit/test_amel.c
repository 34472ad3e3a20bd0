/* test_amel.c — sex from amelogenin (issue 12 part 4): the calls, the dropout rule for
 * remains, the given sex winning over amelogenin, the reference check with its position,
 * and bad AMEL alleles.  Inputs through the real loaders from memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kmpriv.h"
#include "check.h"

static const char *PANEL = "marker\ttype\tchrom\tmutation_rate\nD1\tSTR\t1\t0\nAMEL\tAMEL\tX\t0\n";
static const char *FREQS = "marker\tallele\tfrequency\nD1\t10\t0.5\nD1\t11\t0.5\n";
/* RM: X/Y man; RF: X/X; RF1: X alone; RY: Y alone (AMELX dropout); RN: no AMEL row */
static const char *REM = "sample\tmarker\tallele1\tallele2\n"
                         "RM\tD1\t10\t11\nRM\tAMEL\tY\tX\n"
                         "RF\tD1\t10\t11\nRF\tAMEL\tX\tX\n"
                         "RF1\tD1\t10\t10\nRF1\tAMEL\tX\t.\n"
                         "RY\tD1\t10\t10\nRY\tAMEL\tY\t\n"
                         "RN\tD1\t10\t10\n";
static const char *PEDS = "family\tperson\tfather\tmother\tsex\trole\n"
                          "F\tDAD\t0\t0\t1\treference\nF\tMUM\t0\t0\t2\treference\nF\tM\tDAD\tMUM\t1\tmissing\n";

int main(void)
{
	km_panel_t p = { 0 };
	km_freqs_t f = { 0 };
	km_prof_t rem = { 0 }, refs = { 0 };
	km_peds_t peds = { 0 };
	km_err_t e;
	int row, rsex[5], given[5] = { 0, KM_MALE, 0, 0, KM_FEMALE };
	double rd0[5] = { 0 }, rd1[5] = { 0.1, 0.1, 0.1, 0.1, 0.1 };
	km_verbose = 0;
	(void)tmpdir;
	if (km_panel_load_mem(&p, "panel.tsv", PANEL, strlen(PANEL), &e) < 0 ||
	    km_freqs_load_mem(&f, &p, "freqs.tsv", FREQS, strlen(FREQS), 0.001, &e) < 0 ||
	    km_freqs_check_panel(&f, &p, &e) < 0 || km_prof_load_mem(&rem, &p, &f, "remains.tsv", REM, strlen(REM), &e) < 0) {
		printf("FAIL load: %s\n", e.msg);
		return 1;
	}
	check(p.marker[1].type == KM_TYPE_AMEL, "panel type AMEL, no frequencies needed");
	check(km_amel_call(&p, &f, &rem, km_prof_find(&rem, "RM"), &row) == KM_MALE && rem.amel[row].line == 3 &&
	          rem.amel[row].col == 9, "X/Y is male; its row and column are kept");
	check(km_amel_call(&p, &f, &rem, km_prof_find(&rem, "RF"), &row) == KM_FEMALE, "X/X is female");
	check(km_amel_call(&p, &f, &rem, km_prof_find(&rem, "RF1"), &row) == KM_FEMALE, "X alone is female");
	check(km_amel_call(&p, &f, &rem, km_prof_find(&rem, "RY"), &row) == KM_MALE, "Y alone is male");
	check(km_amel_call(&p, &f, &rem, km_prof_find(&rem, "RN"), &row) == 0 && row == -1, "no AMEL row: unknown");
	check(f.n_warn == 0, "X and Y are not 'alleles absent from the table' (no min-freq warning)");
	km_amel_remains(rsex, &p, &f, &rem, rd0, NULL, NULL);
	check(rsex[0] == KM_MALE && rsex[1] == KM_FEMALE && rsex[2] == KM_FEMALE && rsex[3] == KM_MALE && rsex[4] == 0,
	      "d = 0: remains' sex from amelogenin");
	km_amel_remains(rsex, &p, &f, &rem, rd1, NULL, NULL);
	check(rsex[0] == KM_MALE && rsex[1] == 0 && rsex[2] == 0 && rsex[3] == KM_MALE && rsex[4] == 0,
	      "d > 0: an X-only call is unknown (the Y may have dropped out), a Y still male");
	check(km_amel_remains(rsex, &p, &f, &rem, rd0, given, "ri.tsv") == 1 && rsex[1] == KM_MALE && rsex[4] == KM_FEMALE &&
	          rsex[0] == KM_MALE,
	      "given sex wins; RF given male contradicts amelogenin (one warning), RN given female");
	/* references */
	static const char *REFS_OK = "sample\tmarker\tallele1\tallele2\nDAD\tD1\t10\t10\nDAD\tAMEL\tX\tY\nMUM\tD1\t10\t11\nMUM\tAMEL\tX\tX\n";
	static const char *REFS_BAD = "sample\tmarker\tallele1\tallele2\nDAD\tD1\t10\t10\nDAD\tAMEL\tX\tY\nMUM\tD1\t10\t11\nMUM\tAMEL\tX\tY\n";
	if (km_peds_load_mem(&peds, "pedigrees.tsv", PEDS, strlen(PEDS), &e) < 0 ||
	    km_prof_load_mem(&refs, &p, &f, "references.tsv", REFS_OK, strlen(REFS_OK), &e) < 0 ||
	    km_peds_link(&peds, &refs, &p, &e) < 0) {
		printf("FAIL load refs: %s\n", e.msg);
		return 1;
	}
	check(km_amel_check_refs(&peds, &refs, &p, &f, &e) == 0, "references whose amelogenin fits the pedigree");
	km_prof_destroy(&refs);
	km_peds_destroy(&peds);
	km_peds_load_mem(&peds, "pedigrees.tsv", PEDS, strlen(PEDS), &e);
	km_prof_load_mem(&refs, &p, &f, "references.tsv", REFS_BAD, strlen(REFS_BAD), &e);
	km_peds_link(&peds, &refs, &p, &e);
	check_err("a female reference typed X/Y", km_amel_check_refs(&peds, &refs, &p, &f, &e), &e,
	          "references.tsv:5:10: reference 'MUM': amelogenin says male, but family 'F' has them female (pedigrees.tsv line 3)");
	km_prof_destroy(&refs);
	{
		static const char *BAD = "sample\tmarker\tallele1\tallele2\nDAD\tAMEL\tX\tZ\n";
		km_prof_t b;
		int ret = km_prof_load_mem(&b, &p, &f, "references.tsv", BAD, strlen(BAD), &e);
		check_err("AMEL allele not X or Y", ret, &e, "references.tsv:2:12: amelogenin allele 'Z' is not X or Y (column 'allele2')");
		km_prof_destroy(&b);
	}
	km_peds_destroy(&peds);
	km_prof_destroy(&rem);
	km_freqs_destroy(&f);
	km_panel_destroy(&p);
	printf("%d ok, %d failed\n", n_ok, n_fail);
	return n_fail ? 1 : 0;
}
