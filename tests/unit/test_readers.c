/* test_readers.c — the input readers (tsv, panel, freqs, profiles TSV/VCF/BCF, pedigrees).
 *
 * Table-driven: every bad input is paired with the exact message it must give, position
 * included, so a change of wording or of line/column counting shows up here first.
 * Prints "ok <what>" or "FAIL <what>" per check; exits non-zero if anything failed.
 * Files (gzip, VCF, BCF) go to a private temporary directory that is removed at the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <htslib/bgzf.h>
#include <htslib/khash_str2int.h>
#include <htslib/vcf.h>
#include "kmpriv.h"
#include "check.h"




static char *tmp_path(const char *name)
{
	static char buf[4][256];
	static int k;
	k = (k + 1) & 3;
	snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
	return buf[k];
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	if (fp == NULL || fputs(text, fp) < 0 || fclose(fp) != 0) {
		printf("FAIL cannot write %s\n", path);
		exit(1);
	}
}

static void write_gz(const char *path, const char *text)
{
	gzFile gz = gzopen(path, "wb");
	if (gz == NULL || gzwrite(gz, text, (unsigned)strlen(text)) != (int)strlen(text) || gzclose(gz) != Z_OK) {
		printf("FAIL cannot write %s\n", path);
		exit(1);
	}
}

static void write_bgzf(const char *path, const char *text)
{
	BGZF *fp = bgzf_open(path, "w");
	if (fp == NULL || bgzf_write(fp, text, strlen(text)) < 0 || bgzf_close(fp) < 0) {
		printf("FAIL cannot write %s\n", path);
		exit(1);
	}
}

/* ---- shared inputs ------------------------------------------------------------- */

static const char *PANEL =
	"marker\ttype\tchrom\tmutation_rate\tfemale_rate\tmale_rate\tmotif_len\n"
	"D3\tSTR\t3\t0.001\t\t\t4\n"
	"VWA\tSTR\t12\t0.002\t0.001\t0.003\t4\n"
	"SNP1\tSNP\t2\t0\t\t\t\n"
	"DX1\tX-STR\tX\t0.002\t\t\t4\n"
	"DY1\tY-STR\tY\t0.003\t\t\t4\n";
enum { M_D3, M_VWA, M_SNP1, M_DX1, M_DY1 };

static const char *FREQS =
	"marker\tallele\tfrequency\n"
	"D3\t14\t0.2\n"
	"D3\t15\t0.3\n"
	"D3\t16\t0.5\n"
	"VWA\t9.3\t0.4\n"
	"VWA\t17\t0.6\n"
	"SNP1\tA\t0.7\n"
	"SNP1\tg\t0.3\n"
	"DX1\t10\t0.5\n"
	"DX1\t11\t0.5\n";

static const char *LADDER =
	"Allele\tD3\tVWA\tSNP1\tDX1\n"
	"14\t0.2\tNA\t\tNA\n"
	"15\t0.3\t\t\t\n"
	"16\t0.5\tNA\tNA\tNA\n"
	"9.3\t\t0.4\t\t\n"
	"17\t\t0.6\t\t\n"
	"A\tNA\tNA\t0.7\tNA\n"
	"g\t\t\t0.3\t\n"
	"10\t\t\t\t0.5\n"
	"11\t\t\t\t0.5\n";

static int load_panel(km_panel_t *p)
{
	km_err_t e;
	int ret = km_panel_load_mem(p, "p.tsv", PANEL, strlen(PANEL), &e);
	if (ret < 0) printf("FAIL base panel: %s\n", e.msg), ++n_fail;
	return ret;
}

static int load_freqs(km_freqs_t *f, const km_panel_t *p)
{
	km_err_t e;
	int ret = km_freqs_load_mem(f, p, "f.tsv", FREQS, strlen(FREQS), 0.001, &e);
	if (ret < 0) printf("FAIL base freqs: %s\n", e.msg), ++n_fail;
	return ret;
}

static int zeroed(const void *obj, size_t n)
{
	const unsigned char *c = obj;
	size_t i;
	for (i = 0; i < n; ++i)
		if (c[i]) return 0;
	return 1;
}

/* ---- tsv ------------------------------------------------------------------------ */

static void test_tsv(void)
{
	static const char txt[] = "\xEF\xBB\xBF# comment\r\n"
	                          "a\t b \tc\r\n"
	                          "\r\n"
	                          "   \t \n"
	                          "# another\n"
	                          "1\t  22\t333";
	km_tsv_t *r;
	km_err_t e;
	double x;
	long l;
	int ret = km_tsv_open_mem(&r, "t.tsv", txt, strlen(txt), &e);
	check(ret == 0 && km_tsv_header(r, &e) == 0, "tsv: header after BOM, comment and CRLF");
	check(km_tsv_ncol(r) == 3 && km_tsv_col(r, "b") == 1 && km_tsv_col(r, "z") == -1, "tsv: column map, spaces trimmed");
	check(km_tsv_line(r) == 2 && km_tsv_fcol(r, 1) == 4, "tsv: header line 2, column of ' b ' is 4");
	check(km_tsv_next(r, &e) == 1 && km_tsv_line(r) == 6, "tsv: blank and comment lines skipped, physical line 6");
	check(strcmp(km_tsv_field(r, 1), "22") == 0 && km_tsv_fcol(r, 1) == 5 && km_tsv_fcol(r, 2) == 8,
	      "tsv: field text and byte columns");
	check(strcmp(km_tsv_field(r, 7), "") == 0, "tsv: out-of-range field is empty");
	ret = km_tsv_fail(r, 2, &e, "bad '%s'", km_tsv_field(r, 2));
	check_err("tsv: km_tsv_fail format", ret, &e, "t.tsv:6:8: bad '333' (column 'c')");
	check(km_tsv_next(r, &e) == 0, "tsv: end of input");
	km_tsv_close(r);

	/* short and long lines */
	{
		static const char t2[] = "a\tb\tc\n1\t2\n";
		static const char t3[] = "a\tb\n1\t2\t\n1\t2\tx\n";
		km_tsv_open_mem(&r, "t.tsv", t2, strlen(t2), &e);
		km_tsv_header(r, &e);
		check_err("tsv: short line", km_tsv_next(r, &e), &e, "t.tsv:2:4: line has 2 fields, the header has 3");
		km_tsv_close(r);
		km_tsv_open_mem(&r, "t.tsv", t3, strlen(t3), &e);
		km_tsv_header(r, &e);
		check(km_tsv_next(r, &e) == 1, "tsv: trailing empty cell tolerated");
		check_err("tsv: long line", km_tsv_next(r, &e), &e, "t.tsv:3:5: line has 3 fields, the header has 2");
		km_tsv_close(r);
	}
	km_tsv_open_mem(&r, "t.tsv", "# only\n\n", 8, &e);
	check_err("tsv: empty file", km_tsv_header(r, &e), &e, "t.tsv: no header line (empty file)");
	km_tsv_close(r);
	km_tsv_open_mem(&r, "t.tsv", "a\tb\ta\n", 6, &e);
	check_err("tsv: duplicate header column", km_tsv_header(r, &e), &e,
	          "t.tsv:1:5: duplicate column 'a' (first at column 1)");
	km_tsv_close(r);
	{
		char want[512];
		snprintf(want, sizeof want, "%s: cannot open: No such file or directory", tmp_path("nope.tsv"));
		check_err("tsv: cannot open message", km_tsv_open(&r, tmp_path("nope.tsv"), &e), &e, want);
		check(km_tsv_open(&r, tmp_path("nope.tsv"), &e) == KM_EOPEN && r == NULL, "tsv: cannot open is KM_EOPEN (exit 66)");
	}
	/* a long line (beyond the 64 KiB read buffer) read from a gzip file */
	{
		size_t n = 200000, i;
		char *big = malloc(n + 64);
		memcpy(big, "a\tb\n", 4);
		for (i = 4; i < n; ++i) big[i] = 'x';
		memcpy(big + n, "\t1\n", 4);
		write_gz(tmp_path("big.tsv.gz"), big);
		ret = km_tsv_open(&r, tmp_path("big.tsv.gz"), &e);
		check(ret == 0 && km_tsv_header(r, &e) == 0 && km_tsv_next(r, &e) == 1 &&
		          strlen(km_tsv_field(r, 0)) == n - 4 && strcmp(km_tsv_field(r, 1), "1") == 0,
		      "tsv: 200 kB line through gzip");
		km_tsv_close(r);
		free(big);
	}
	check(km_parse_double("0.25", &x) == 0 && x == 0.25, "parse: double");
	check(km_parse_double("", &x) < 0 && km_parse_double("1.2x", &x) < 0 && km_parse_double("nan", &x) < 0 &&
	          km_parse_double("inf", &x) < 0 && km_parse_double("1e999", &x) < 0 && km_parse_double(" 1", &x) < 0 &&
	          km_parse_double("0x10", &x) < 0,
	      "parse: bad doubles rejected");
	check(km_parse_int("-12", &l) == 0 && l == -12 && km_parse_int("1.5", &l) < 0 && km_parse_int("", &l) < 0 &&
	          km_parse_int("99999999999999999999", &l) < 0,
	      "parse: int");
}

/* ---- panel ----------------------------------------------------------------------- */

typedef struct {
	const char *what, *text, *want;
} bad_t;

static void test_panel(void)
{
	km_panel_t p, q;
	km_err_t e;
	int ret;
	static const char crlf[] =
		"# kit: test\r\n"
		"\r\n"
		"note\tmutation_rate\tchrom\tmarker\ttype\r\n"
		"x\t0.001\t3\tD3\tstr\r\n"
		"# mid comment\r\n"
		"y\t0\tchrX\tDX1\tX-STR\r\n";
	static const bad_t bad[] = {
		{ "panel: unknown type", "marker\ttype\tchrom\tmutation_rate\nD3\tSTRR\t3\t0.001\n",
		  "p.tsv:2:4: unknown marker type 'STRR' (expected STR, X-STR, Y-STR or SNP) (column 'type')" },
		{ "panel: rate not a number", "marker\ttype\tchrom\tmutation_rate\nD3\tSTR\t3\tabc\n",
		  "p.tsv:2:10: mutation rate 'abc' is not a number (column 'mutation_rate')" },
		{ "panel: rate 1", "marker\ttype\tchrom\tmutation_rate\nD3\tSTR\t3\t1\n",
		  "p.tsv:2:10: mutation rate '1' outside [0,1) (column 'mutation_rate')" },
		{ "panel: rate negative", "marker\ttype\tchrom\tmutation_rate\nD3\tSTR\t3\t-0.1\n",
		  "p.tsv:2:10: mutation rate '-0.1' outside [0,1) (column 'mutation_rate')" },
		{ "panel: empty rate", "marker\ttype\tchrom\tmutation_rate\nD3\tSTR\t3\t\n",
		  "p.tsv:2:10: mutation rate '' is not a number (column 'mutation_rate')" },
		{ "panel: bad male_rate", "marker\ttype\tchrom\tmutation_rate\tmale_rate\nD3\tSTR\t3\t0\t0.x\n",
		  "p.tsv:2:12: mutation rate '0.x' is not a number (column 'male_rate')" },
		{ "panel: X-STR off X", "marker\ttype\tchrom\tmutation_rate\nDX\tX-STR\t7\t0\n",
		  "p.tsv:2:10: X-STR marker 'DX' on chromosome '7' (expected X or 23) (column 'chrom')" },
		{ "panel: duplicate marker", "marker\ttype\tchrom\tmutation_rate\n#c\nD3\tSTR\t3\t0\nD3\tSTR\t3\t0\n",
		  "p.tsv:4:1: duplicate marker 'D3' (first on line 3) (column 'marker')" },
		{ "panel: empty marker", "marker\ttype\tchrom\tmutation_rate\n\tSTR\t3\t0\n",
		  "p.tsv:2:1: marker name is empty (column 'marker')" },
		{ "panel: motif_len", "marker\ttype\tchrom\tmutation_rate\tmotif_len\nD3\tSTR\t3\t0\t4.5\n",
		  "p.tsv:2:12: motif length '4.5' is not a whole number in [0,1000] (column 'motif_len')" },
		{ "panel: missing column", "marker\ttype\tchrom\nD3\tSTR\t3\n", "p.tsv:1:1: missing column 'mutation_rate'" },
		{ "panel: duplicate header", "marker\ttype\tchrom\tmutation_rate\ttype\n",
		  "p.tsv:1:33: duplicate column 'type' (first at column 8)" },
		{ "panel: empty file", "", "p.tsv: no header line (empty file)" },
	};
	size_t i;

	if (load_panel(&p) < 0) return;
	check(p.n_marker == 5 && km_panel_find(&p, "DX1") == M_DX1 && km_panel_find(&p, "dx1") == -1,
	      "panel: markers and lookup");
	check(p.marker[M_VWA].rate == 0.002 && p.marker[M_VWA].rate_f == 0.001 && p.marker[M_VWA].rate_m == 0.003,
	      "panel: per-sex rates override");
	check(p.marker[M_D3].rate_f == 0.001 && p.marker[M_D3].rate_m == 0.001, "panel: empty per-sex rate = mutation_rate");
	check(p.marker[M_D3].motif_len == 4 && p.marker[M_SNP1].motif_len == 0, "panel: motif_len, empty = 0");
	check(p.marker[M_SNP1].type == KM_SYS_SNP && p.marker[M_DX1].type == KM_SYS_X && p.marker[M_DY1].type == KM_SYS_Y,
	      "panel: types");
	check(p.marker[M_DY1].line == 6 && strcmp(p.fn, "p.tsv") == 0, "panel: line and file name");

	ret = km_panel_load_mem(&q, "c.tsv", crlf, strlen(crlf), &e);
	check(ret == 0 && q.n_marker == 2 && q.marker[0].line == 4 && q.marker[1].line == 6 &&
	          q.marker[0].type == KM_SYS_STR && strcmp(q.marker[1].chrom, "chrX") == 0 &&
	          q.marker[0].rate_m == 0.001,
	      "panel: CRLF, comments, column order, extra column");
	km_panel_destroy(&q);

	write_gz(tmp_path("panel.tsv.gz"), PANEL);
	ret = km_panel_load(&q, tmp_path("panel.tsv.gz"), &e);
	check(ret == 0 && q.n_marker == p.n_marker && q.marker[M_VWA].rate_m == 0.003 &&
	          strcmp(q.marker[M_DY1].name, "DY1") == 0,
	      "panel: gzip file equals memory");
	km_panel_destroy(&q);
	km_panel_destroy(&q); /* destroy twice: the second is on a zeroed object */

	for (i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
		ret = km_panel_load_mem(&q, "p.tsv", bad[i].text, strlen(bad[i].text), &e);
		check_err(bad[i].what, ret, &e, bad[i].want);
		if (ret < 0) check(zeroed(&q, sizeof q), "panel: failed load leaves the object zeroed");
		km_panel_destroy(&q);
	}
	check(km_is_xchrom("X") && km_is_xchrom("23") && km_is_xchrom("chrX") && !km_is_xchrom("Y"), "panel: km_is_xchrom");
	km_panel_destroy(&p);
}

/* ---- freqs ----------------------------------------------------------------------- */

/* Same alleles with the same frequencies, whatever the order. */
static int same_tables(const km_freqs_t *a, const km_freqs_t *b, const km_panel_t *p)
{
	int m, i;
	for (m = 0; m < p->n_marker; ++m) {
		if (a->loc[m].n_allele != b->loc[m].n_allele) return 0;
		for (i = 0; i < a->loc[m].n_allele; ++i) {
			int j = km_freqs_allele((km_freqs_t *)b, p, m, a->loc[m].label[i], 0);
			if (j < 0 || a->loc[m].p[i] != b->loc[m].p[j] || strcmp(a->loc[m].label[i], b->loc[m].label[j]) != 0)
				return 0;
		}
	}
	return 1;
}

static void test_freqs(void)
{
	km_panel_t p;
	km_freqs_t f, g;
	km_err_t e;
	int ret, i, n;
	static const bad_t bad[] = {
		{ "freqs: unknown marker", "marker\tallele\tfrequency\nD3\t14\t1\nD9\t14\t1\n",
		  "f.tsv:3:1: unknown marker 'D9' (column 'marker')" },
		{ "freqs: frequency 1.2", "marker\tallele\tfrequency\nD3\t14\t1.2\n",
		  "f.tsv:2:7: frequency '1.2' outside (0,1] (column 'frequency')" },
		{ "freqs: frequency 0", "marker\tallele\tfrequency\nD3\t14\t0\n",
		  "f.tsv:2:7: frequency '0' outside (0,1] (column 'frequency')" },
		{ "freqs: frequency abc", "marker\tallele\tfrequency\nD3\t14\tabc\n",
		  "f.tsv:2:7: frequency 'abc' is not a number (column 'frequency')" },
		{ "freqs: duplicate allele", "marker\tallele\tfrequency\nD3\t14\t0.5\nD3\t15\t0.25\nD3\t14\t0.25\n",
		  "f.tsv:4:4: duplicate allele '14' for marker 'D3' (first on line 2) (column 'allele')" },
		{ "freqs: numeric duplicate", "marker\tallele\tfrequency\nD3\t14\t0.5\nD3\t14.0\t0.5\n",
		  "f.tsv:3:4: duplicate allele '14.0' for marker 'D3' (first on line 2) (column 'allele')" },
		{ "freqs: sum off", "marker\tallele\tfrequency\n# c\nD3\t14\t0.5\nD3\t15\t0.52\nVWA\t17\t1\n",
		  "f.tsv:3:1: allele frequencies of marker 'D3' sum to 1.02, not 1 (tolerance 0.01)" },
		{ "freqs: STR allele", "marker\tallele\tfrequency\nD3\t1x\t1\n",
		  "f.tsv:2:4: STR allele '1x' is not a repeat number (column 'allele')" },
		{ "freqs: SNP allele", "marker\tallele\tfrequency\nSNP1\tN\t1\n",
		  "f.tsv:2:6: SNP allele 'N' is not A, C, G or T (column 'allele')" },
		{ "freqs: empty allele", "marker\tallele\tfrequency\nD3\t\t1\n", "f.tsv:2:4: allele is empty (column 'allele')" },
		{ "freqs: missing column", "marker\tallele\tfreq\n", "f.tsv:1:1: missing column 'frequency'" },
		{ "freqs: ladder unknown marker", "Allele\tD3\tD9\n14\t1\t1\n",
		  "f.tsv:1:11: unknown marker 'D9' (column 'D9')" },
		{ "freqs: ladder bad frequency", "Allele\tD3\tVWA\n14\t1\tx\n",
		  "f.tsv:2:6: frequency 'x' is not a number (column 'VWA')" },
		{ "freqs: ladder sum", "Allele\tD3\tVWA\n14\t0.5\t1\n15\t0.4\t\n",
		  "f.tsv:1:8: allele frequencies of marker 'D3' sum to 0.9, not 1 (tolerance 0.01)" },
		{ "freqs: ladder bad allele", "Allele\tD3\n1x\t1\n",
		  "f.tsv:2:1: STR allele '1x' is not a repeat number (column 'Allele')" },
	};

	if (load_panel(&p) < 0) return;
	if (load_freqs(&f, &p) < 0) goto out;
	check(f.n_marker == 5 && f.loc[M_D3].n_allele == 3 && f.loc[M_DY1].n_allele == 0, "freqs: long form");
	i = km_freqs_allele(&f, &p, M_SNP1, "G", 0);
	check(i == 1 && strcmp(f.loc[M_SNP1].label[1], "G") == 0 && f.loc[M_SNP1].p[1] == 0.3,
	      "freqs: SNP label stored upper-case");
	check(km_freqs_allele(&f, &p, M_SNP1, "a", 0) == 0, "freqs: SNP lookup is case-insensitive");
	check(km_freqs_allele(&f, &p, M_D3, "14", 0) == 0 && km_freqs_allele(&f, &p, M_D3, "14.0", 0) == 0 &&
	          km_freqs_allele(&f, &p, M_D3, "014", 0) == 0 && km_freqs_allele(&f, &p, M_VWA, "9.30", 0) == 0,
	      "freqs: STR lookup by numeric value");
	check(km_freqs_allele(&f, &p, M_D3, "18", 0) == -1 && f.loc[M_D3].n_allele == 3, "freqs: add=0 does not add");
	km_verbose = 0;
	i = km_freqs_allele(&f, &p, M_D3, "18", 1);
	check(i == 3 && f.loc[M_D3].p[3] == 0.001 && f.loc[M_D3].in_table[3] == 0 && f.n_warn == 1,
	      "freqs: unseen allele added at min-freq with a warning");
	check(km_freqs_allele(&f, &p, M_D3, "18.0", 1) == 3 && f.n_warn == 1, "freqs: added allele found again, warned once");
	i = km_freqs_allele(&f, &p, M_DY1, "14", 1);
	check(i == 0 && f.loc[M_DY1].p[0] == 0.0 && f.n_warn == 1, "freqs: Y-STR allele added at p = 0, silently");
	check(km_freqs_allele(&f, &p, M_D3, "x", 1) == -1 && km_freqs_allele(&f, &p, M_SNP1, "N", 1) == -1,
	      "freqs: malformed labels are never added");
	check(km_freqs_check_panel(&f, &p, &e) == 0, "freqs: check_panel passes (Y-STR exempt)");
	km_verbose = 1;

	ret = km_freqs_load_mem(&g, &p, "l.tsv", LADDER, strlen(LADDER), 0.001, &e);
	check(ret == 0, "freqs: ladder form loads");
	if (ret == 0) {
		km_freqs_t h;
		load_freqs(&h, &p);
		check(same_tables(&h, &g, &p) && same_tables(&g, &h, &p), "freqs: ladder equals long form");
		km_freqs_destroy(&h);
	}
	km_freqs_destroy(&g);

	{
		static const char part[] = "marker\tallele\tfrequency\nD3\t14\t1\nSNP1\tA\t1\nDX1\t10\t1\n";
		ret = km_freqs_load_mem(&g, &p, "f.tsv", part, strlen(part), 0.001, &e);
		check(ret == 0, "freqs: partial table loads");
		check_err("freqs: marker without frequencies", km_freqs_check_panel(&g, &p, &e), &e,
		          "p.tsv:3:1: marker 'VWA' has no allele frequencies in f.tsv");
		km_freqs_destroy(&g);
	}
	{ /* a gzip file, CRLF, and frequencies inside the 0.01 tolerance */
		static const char t[] = "# src\r\nfrequency\tallele\tmarker\r\n0.5\t14\tD3\r\n0.505\t15\tD3\r\n";
		write_gz(tmp_path("f.tsv.gz"), t);
		ret = km_freqs_load(&g, &p, tmp_path("f.tsv.gz"), 0.001, &e);
		check(ret == 0 && g.loc[M_D3].n_allele == 2 && g.loc[M_D3].p[1] == 0.505, "freqs: gzip + CRLF + tolerance");
		km_freqs_destroy(&g);
	}
	for (n = 0; n < (int)(sizeof bad / sizeof bad[0]); ++n) {
		ret = km_freqs_load_mem(&g, &p, "f.tsv", bad[n].text, strlen(bad[n].text), 0.001, &e);
		check_err(bad[n].what, ret, &e, bad[n].want);
		if (ret < 0) check(zeroed(&g, sizeof g), "freqs: failed load leaves the object zeroed");
		km_freqs_destroy(&g);
	}
	km_freqs_destroy(&f);
out:
	km_panel_destroy(&p);
}

/* ---- profiles ---------------------------------------------------------------------- */

static const char *PROF =
	"sample\tmarker\tallele1\tallele2\n"
	"S1\tSNP1\tG\tA\n"
	"S2\tSNP1\tG\tg\n"
	"S1\tD3\t15\t14\n"
	"S2\tD3\t16\t16\n"
	"S1\tDX1\t10\t.\n"
	"S2\tDX1\t11\t10\n"
	"S1\tDY1\t14\t\n"
	"S2\tVWA\t17\t9.3\n";

/* The same calls, as a profile would give them in either order. */
static int same_label(const km_freqs_t *f, int m, int32_t a, const km_freqs_t *g, int32_t b)
{
	if (a < 0 || b < 0) return a == b;
	return strcmp(f->loc[m].label[a], g->loc[m].label[b]) == 0;
}

static int same_profiles(const km_prof_t *a, const km_freqs_t *fa, const km_prof_t *b, const km_freqs_t *fb)
{
	int s, m;
	if (a->n_sample != b->n_sample || a->n_marker != b->n_marker) return 0;
	for (s = 0; s < a->n_sample; ++s) {
		int t = km_prof_find(b, a->sample[s]);
		if (t < 0) return 0;
		for (m = 0; m < a->n_marker; ++m) {
			const int32_t *x = km_prof_gt(a, s, m), *y = km_prof_gt(b, t, m);
			if (!((same_label(fa, m, x[0], fb, y[0]) && same_label(fa, m, x[1], fb, y[1])) ||
			      (same_label(fa, m, x[0], fb, y[1]) && same_label(fa, m, x[1], fb, y[0]))))
				return 0;
		}
	}
	return 1;
}

static const char *VCF_HEAD =
	"##fileformat=VCFv4.2\n"
	"##contig=<ID=2>\n"
	"##contig=<ID=3>\n"
	"##contig=<ID=12>\n"
	"##contig=<ID=X>\n"
	"##contig=<ID=Y>\n"
	"##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n"
	"##FORMAT=<ID=REPCN,Number=2,Type=Integer,Description=\"Repeat copies\">\n"
	"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\tS2\n";

static const char *VCF_BODY =
	"2\t100\tSNP1\tA\tG\t.\t.\t.\tGT\t0/1\t1|1\n"
	"2\t200\trs999\tA\tC\t.\t.\t.\tGT\t0/1\t1/1\n"
	"3\t100\tD3\tA\t.\t.\t.\t.\tREPCN\t15,14\t16,16\n"
	"12\t100\tVWA\tA\t.\t.\t.\t.\tREPCN\t.\t17,9\n"
	"X\t100\tDX1\tA\t.\t.\t.\t.\tREPCN\t10\t11,10\n"
	"Y\t100\tDY1\tA\t.\t.\t.\t.\tREPCN\t14\t.\n";

/* VCF -> BCF with htslib, as bcftools view -Ob would. */
static int vcf_to_bcf(const char *in, const char *out)
{
	htsFile *a = hts_open(in, "r"), *b = hts_open(out, "wb");
	bcf_hdr_t *h = a ? bcf_hdr_read(a) : NULL;
	bcf1_t *rec = bcf_init();
	int ret = -1;
	if (a && b && h && rec && bcf_hdr_write(b, h) == 0) {
		while ((ret = bcf_read(a, h, rec)) == 0)
			if (bcf_write(b, h, rec) < 0) break;
		ret = ret == -1 ? 0 : -1;
	}
	bcf_destroy(rec);
	if (h) bcf_hdr_destroy(h);
	if (a) hts_close(a);
	if (b && hts_close(b) < 0) ret = -1;
	return ret;
}

static void test_vcf(const km_panel_t *p)
{
	km_freqs_t ft, fv;
	km_prof_t pt, pv;
	km_err_t e;
	char vcf[4096], want[512];
	int ret;
	static const char tsv[] = "sample\tmarker\tallele1\tallele2\n"
	                          "S1\tSNP1\tA\tG\nS2\tSNP1\tG\tG\n"
	                          "S1\tD3\t14\t15\nS2\tD3\t16\t16\n"
	                          "S2\tVWA\t17\t9\n"
	                          "S1\tDX1\t10\t.\nS2\tDX1\t10\t11\n"
	                          "S1\tDY1\t14\t.\n";
	const char *ext[] = { "t.vcf", "t.vcf.gz", "t.bcf" };
	int k;

	km_verbose = 0;
	if (load_freqs(&ft, p) < 0) return;
	ret = km_prof_load_mem(&pt, p, &ft, "t.tsv", tsv, strlen(tsv), &e);
	check(ret == 0, "vcf: TSV twin loads");
	snprintf(vcf, sizeof vcf, "%s%s", VCF_HEAD, VCF_BODY);
	write_file(tmp_path("t.vcf"), vcf);
	write_bgzf(tmp_path("t.vcf.gz"), vcf);
	check(vcf_to_bcf(tmp_path("t.vcf"), tmp_path("t.bcf")) == 0, "vcf: BCF written");
	for (k = 0; k < 3; ++k) {
		char what[128];
		if (load_freqs(&fv, p) < 0) break;
		ret = km_prof_load(&pv, p, &fv, tmp_path(ext[k]), &e);
		snprintf(what, sizeof what, "vcf: %s loads", ext[k]);
		check(ret == 0, what);
		if (ret < 0) printf("  %s\n", e.msg);
		snprintf(what, sizeof what, "vcf: %s equals the TSV profile", ext[k]);
		check(ret == 0 && same_profiles(&pt, &ft, &pv, &fv) && same_profiles(&pv, &fv, &pt, &ft), what);
		snprintf(what, sizeof what, "vcf: %s hemizygous and untyped calls", ext[k]);
		check(ret == 0 && km_prof_gt(&pv, 0, M_DX1)[1] == KM_HEMI && km_prof_gt(&pv, 1, M_DY1)[0] == KM_NOALLELE &&
		          km_prof_gt(&pv, 0, M_VWA)[0] == KM_NOALLELE && fv.n_warn == 1,
		      what);
		km_prof_destroy(&pv);
		km_freqs_destroy(&fv);
	}

	/* String REPCN, as ExpansionHunter writes it */
	{
		static const char eh[] =
			"##fileformat=VCFv4.2\n##contig=<ID=3>\n"
			"##FORMAT=<ID=REPCN,Number=1,Type=String,Description=\"Repeat copies\">\n"
			"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n"
			"3\t100\tD3\tA\t.\t.\t.\t.\tREPCN\t15/14\n";
		write_file(tmp_path("eh.vcf"), eh);
		load_freqs(&fv, p);
		ret = km_prof_load(&pv, p, &fv, tmp_path("eh.vcf"), &e);
		check(ret == 0 && km_prof_gt(&pv, 0, M_D3)[0] == 0 && km_prof_gt(&pv, 0, M_D3)[1] == 1,
		      "vcf: String REPCN 15/14");
		km_prof_destroy(&pv);
		km_freqs_destroy(&fv);
	}

	/* errors: 9 header lines, so record i is on line 9 + i */
	{
		static const struct { const char *what, *body, *msg; } bad[] = {
			{ "vcf: duplicate record", "3\t100\tD3\tA\t.\t.\t.\t.\tREPCN\t15,14\t16,16\n"
			                           "2\t100\tSNP1\tA\tG\t.\t.\t.\tGT\t0/1\t1|1\n"
			                           "3\t101\tD3\tA\t.\t.\t.\t.\tREPCN\t15,14\t16,16\n",
			  "12:1: duplicate record for marker 'D3' (first on line 10)" },
			{ "vcf: autosomal hemizygous STR", "2\t100\tSNP1\tA\tG\t.\t.\t.\tGT\t0/1\t1|1\n"
			                                   "3\t100\tD3\tA\t.\t.\t.\t.\tREPCN\t15,14\t16\n",
			  "11:1: sample 'S2': marker 'D3' is autosomal: two repeat copy numbers are required" },
			{ "vcf: haploid SNP", "2\t100\tSNP1\tA\tG\t.\t.\t.\tGT\t0\t1|1\n",
			  "10:1: sample 'S1': marker 'SNP1' is autosomal: a diploid genotype is required" },
			{ "vcf: SNP that is not a base", "2\t100\tSNP1\tA\tAT\t.\t.\t.\tGT\t0/1\t1|1\n",
			  "10:1: sample 'S1': SNP allele 'AT' is not A, C, G or T" },
			{ "vcf: three copy numbers", "3\t100\tD3\tA\t.\t.\t.\t.\tREPCN\t15,14,13\t16,16\n", NULL },
		};
		size_t i;
		for (i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
			snprintf(vcf, sizeof vcf, "%s%s", VCF_HEAD, bad[i].body);
			write_file(tmp_path("bad.vcf"), vcf);
			load_freqs(&fv, p);
			ret = km_prof_load(&pv, p, &fv, tmp_path("bad.vcf"), &e);
			if (bad[i].msg) {
				snprintf(want, sizeof want, "%s:%s", tmp_path("bad.vcf"), bad[i].msg);
				check_err(bad[i].what, ret, &e, want);
			} else {
				check(ret < 0, bad[i].what); /* Number=2 makes htslib itself refuse a third value */
			}
			if (ret < 0) check(zeroed(&pv, sizeof pv), "vcf: failed load leaves the object zeroed");
			km_prof_destroy(&pv);
			km_freqs_destroy(&fv);
		}
		/* the same duplicate in BCF is named by record number */
		snprintf(vcf, sizeof vcf, "%s%s", VCF_HEAD, bad[0].body);
		write_file(tmp_path("bad.vcf"), vcf);
		vcf_to_bcf(tmp_path("bad.vcf"), tmp_path("bad.bcf"));
		load_freqs(&fv, p);
		ret = km_prof_load(&pv, p, &fv, tmp_path("bad.bcf"), &e);
		snprintf(want, sizeof want, "%s: record 3: duplicate record for marker 'D3' (first at record 1)", tmp_path("bad.bcf"));
		check_err("bcf: duplicate record", ret, &e, want);
		km_prof_destroy(&pv);
		km_freqs_destroy(&fv);
		ret = km_prof_load(&pv, p, &fv, tmp_path("none.vcf"), &e);
		check(ret == KM_EOPEN && strstr(e.msg, "cannot open") != NULL, "vcf: missing file is KM_EOPEN (exit 66)");
	}
	km_prof_destroy(&pt);
	km_freqs_destroy(&ft);
	km_verbose = 1;
}

static void test_prof(void)
{
	km_panel_t p;
	km_freqs_t f;
	km_prof_t pr;
	km_err_t e;
	int ret;
	size_t i;
	static const bad_t bad[] = {
		{ "prof: unknown marker", "sample\tmarker\tallele1\tallele2\nS1\tD9\t14\t15\n",
		  "r.tsv:2:4: unknown marker 'D9' (column 'marker')" },
		{ "prof: duplicate row", "sample\tmarker\tallele1\tallele2\nS1\tD3\t14\t15\nS2\tD3\t14\t15\nS1\tD3\t14\t16\n",
		  "r.tsv:4:4: duplicate row for sample 'S1' at marker 'D3' (first on line 2) (column 'marker')" },
		{ "prof: STR allele", "sample\tmarker\tallele1\tallele2\nS1\tD3\t14\t1S\n",
		  "r.tsv:2:10: STR allele '1S' is not a repeat number (column 'allele2')" },
		{ "prof: SNP allele", "sample\tmarker\tallele1\tallele2\nS1\tSNP1\tN\tA\n",
		  "r.tsv:2:9: SNP allele 'N' is not A, C, G or T (column 'allele1')" },
		{ "prof: empty allele1", "sample\tmarker\tallele1\tallele2\nS1\tD3\t\t15\n",
		  "r.tsv:2:7: allele1 is empty (column 'allele1')" },
		{ "prof: allele1 '.'", "sample\tmarker\tallele1\tallele2\nS1\tD3\t.\t15\n",
		  "r.tsv:2:7: allele1 is empty (column 'allele1')" },
		{ "prof: autosomal hemizygous STR", "sample\tmarker\tallele1\tallele2\nS1\tD3\t14\t.\n",
		  "r.tsv:2:10: marker 'D3' is autosomal: allele2 is required (column 'allele2')" },
		{ "prof: autosomal hemizygous SNP", "sample\tmarker\tallele1\tallele2\nS1\tSNP1\tA\t\n",
		  "r.tsv:2:11: marker 'SNP1' is autosomal: allele2 is required (column 'allele2')" },
		{ "prof: empty sample", "sample\tmarker\tallele1\tallele2\n\tD3\t14\t15\n",
		  "r.tsv:2:1: sample is empty (column 'sample')" },
		{ "prof: missing column", "sample\tmarker\tallele1\n", "r.tsv:1:1: missing column 'allele2'" },
	};

	if (load_panel(&p) < 0) return;
	if (load_freqs(&f, &p) < 0) goto out;
	ret = km_prof_load_mem(&pr, &p, &f, "r.tsv", PROF, strlen(PROF), &e);
	check(ret == 0 && pr.n_sample == 2 && strcmp(pr.sample[0], "S1") == 0 && pr.line[0] == 2 && pr.line[1] == 3 &&
	          km_prof_find(&pr, "S2") == 1 && km_prof_find(&pr, "S3") == -1,
	      "prof: samples in first-seen order with their first line");
	if (ret == 0) {
		const int32_t *g = km_prof_gt(&pr, 0, M_SNP1);
		check(g[0] == 0 && g[1] == 1, "prof: diploid call sorted by allele index");
		g = km_prof_gt(&pr, 1, M_SNP1);
		check(g[0] == 1 && g[1] == 1, "prof: lower-case SNP allele maps to the table's");
		g = km_prof_gt(&pr, 0, M_D3);
		check(g[0] == 0 && g[1] == 1, "prof: STR call sorted");
		g = km_prof_gt(&pr, 0, M_DX1);
		check(g[0] == 0 && g[1] == KM_HEMI, "prof: '.' is hemizygous");
		g = km_prof_gt(&pr, 0, M_DY1);
		check(g[0] == 0 && g[1] == KM_HEMI && f.loc[M_DY1].p[0] == 0.0 && f.n_warn == 0,
		      "prof: empty allele2 is hemizygous; Y-STR allele added silently");
		g = km_prof_gt(&pr, 0, M_VWA);
		check(g[0] == KM_NOALLELE && g[1] == KM_NOALLELE, "prof: untyped marker");
		g = km_prof_gt(&pr, 1, M_VWA);
		check(g[0] == 0 && g[1] == 1, "prof: VWA 17/9.3 sorted");
	}
	km_prof_destroy(&pr);
	{ /* min-freq through a profile, numeric equivalence "09"/"15.0" */
		static const char t[] = "allele2\tallele1\tmarker\tsample\r\n# x\r\n18\t15.0\tD3\tS9\r\n";
		km_verbose = 0;
		ret = km_prof_load_mem(&pr, &p, &f, "r.tsv", t, strlen(t), &e);
		check(ret == 0 && km_prof_gt(&pr, 0, M_D3)[0] == 1 && km_prof_gt(&pr, 0, M_D3)[1] == 3 &&
		          f.loc[M_D3].in_table[3] == 0 && f.n_warn == 1 && pr.line[0] == 3,
		      "prof: numeric match and allele added at min-freq");
		km_verbose = 1;
		km_prof_destroy(&pr);
	}
	{
		write_gz(tmp_path("r.tsv.gz"), PROF);
		ret = km_prof_load(&pr, &p, &f, tmp_path("r.tsv.gz"), &e);
		check(ret == 0 && pr.n_sample == 2 && km_prof_gt(&pr, 1, M_VWA)[1] == 1, "prof: gzip file");
		km_prof_destroy(&pr);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
		ret = km_prof_load_mem(&pr, &p, &f, "r.tsv", bad[i].text, strlen(bad[i].text), &e);
		check_err(bad[i].what, ret, &e, bad[i].want);
		if (ret < 0) check(zeroed(&pr, sizeof pr), "prof: failed load leaves the object zeroed");
		km_prof_destroy(&pr);
	}
	test_vcf(&p);
	km_freqs_destroy(&f);
out:
	km_panel_destroy(&p);
}

/* ---- a shard's references: km_prof_load_keep ------------------------------------- */

/* The same allele tables: labels, order, frequencies, in_table, and the warnings */
static int same_alleles(const km_freqs_t *a, const km_freqs_t *b)
{
	if (a->n_marker != b->n_marker || a->n_warn != b->n_warn) return 0;
	for (int m = 0; m < a->n_marker; ++m) {
		const km_alleles_t *x = &a->loc[m], *y = &b->loc[m];
		if (x->n_allele != y->n_allele) return 0;
		for (int i = 0; i < x->n_allele; ++i)
			if (strcmp(x->label[i], y->label[i]) || x->p[i] != y->p[i] || x->in_table[i] != y->in_table[i]) return 0;
	}
	return 1;
}

/* Skipped samples' rows (S1, S3) are read for their alleles only, most of them without
 * being split (prof_tsv.c's skim): the allele table must come out as a full read's —
 * alleles new to it (D3 17, 21; VWA 9.3 written "9.30"; SNP1 lower case) added in file
 * order — the kept samples' calls the same, and a bad cell in a skipped row the same
 * error, position included. */
static void test_prof_keep(void)
{
	static const char head[] = "sample\tmarker\tallele1\tallele2\n";
	static const char body[] =
		"S1\tD3\t14\t15\n" "S1\tVWA\t17\t9.30\n" "S1\tSNP1\tA\tg\n" "S1\tDX1\t10\t.\n" "S1\tDY1\t14\t\n"
		"S2\tD3\t16\t17\n" "S2\tVWA\t17\t17\n" "S2\tSNP1\tG\tG\n"
		"# a comment between rows\n" "   \t \n"
		"S3\tD3\t21\t14\n" "S3\tVWA\t17\t9.3\n" "S3\tSNP1\ta\tA\n" "S3\tDX1\t11\t12\n"
		"S4\tD3\t17\t21\n" "S4\tDX1\t12\t.\n";
	km_panel_t p;
	km_freqs_t f1, f2;
	km_prof_t a, b;
	km_err_t e;
	char text[2048];
	void *keep = khash_str2int_init();
	km_prof_keep_t K = { keep, 0, NULL };
	if (load_panel(&p) < 0) return;
	khash_str2int_set(keep, "S2", 1), khash_str2int_set(keep, "S4", 1);
	km_verbose = 0;
	snprintf(text, sizeof text, "%s%s", head, body);
	write_file(tmp_path("keep.tsv"), text);
	if (load_freqs(&f1, &p) == 0 && load_freqs(&f2, &p) == 0) {
		int r1 = km_prof_load(&a, &p, &f1, tmp_path("keep.tsv"), &e);
		int r2 = km_prof_load_keep(&b, &p, &f2, tmp_path("keep.tsv"), &K, &e);
		check(r1 == 0 && r2 == 0 && a.n_sample == 4 && b.n_sample == 2 && km_prof_find(&b, "S1") < 0 &&
		          km_prof_find(&b, "S2") == 0 && b.line[0] == 7 && b.line[1] == 16,
		      "prof keep: only the kept samples, with their first lines");
		int l1 = 0, l3 = 0;
		check(r2 == 0 && km_prof_known(&b, "S1", &l1) && l1 == 2 && km_prof_known(&b, "S3", &l3) && l3 == 12 &&
		          km_prof_known(&b, "S4", NULL) && !km_prof_known(&b, "S9", NULL),
		      "prof keep: the samples not stored are still known, with their first lines");
		check(same_alleles(&f1, &f2) && f1.loc[M_D3].n_allele == 5 && strcmp(f1.loc[M_D3].label[4], "21") == 0,
		      "prof keep: the allele table of a full read (new alleles in file order)");
		int good = r1 == 0 && r2 == 0;
		for (int s = 0; good && s < b.n_sample; ++s) {
			int t = km_prof_find(&a, b.sample[s]);
			for (int m = 0; m < p.n_marker; ++m)
				good &= memcmp(km_prof_gt(&a, t, m), km_prof_gt(&b, s, m), 2 * sizeof(int32_t)) == 0;
		}
		check(good, "prof keep: the kept samples' calls are the full read's");
		km_prof_destroy(&a), km_prof_destroy(&b);
	}
	km_freqs_destroy(&f1), km_freqs_destroy(&f2);
	/* a bad row of a skipped sample (S3, after its first row): the full read's message */
	static const struct { const char *what, *row; } bad[] = {
		{ "STR allele", "S3\tVWA\t17\t1S\n" },        { "SNP allele", "S3\tSNP1\tN\tA\n" },
		{ "empty allele1", "S3\tVWA\t\t17\n" },       { "allele1 '.'", "S3\tVWA\t.\t17\n" },
		{ "hemizygous STR", "S3\tVWA\t17\t.\n" },     { "unknown marker", "S3\tD9\t14\t15\n" },
		{ "NUL byte", "S3\tVWA\t17\t1\0\n" },          { "inner CR", "S3\tVWA\t17\r\t17\n" },
		{ "short line", "S3\tVWA\t17\n" },            { "long line", "S3\tVWA\t17\t17\t9\n" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
		char w1[1100] = "", w2[1100] = "", what[128];
		size_t n = 0, k = strlen(bad[i].row);
		if (strcmp(bad[i].what, "NUL byte") == 0) k = 12;   /* the row holds a NUL */
		memcpy(text + n, head, strlen(head)), n += strlen(head);
		memcpy(text + n, "S3\tD3\t14\t15\n", 12), n += 12;
		memcpy(text + n, bad[i].row, k), n += k;
		memcpy(text + n, "S4\tD3\t14\t15\n", 12), n += 12;
		FILE *fp = fopen(tmp_path("keepbad.tsv"), "wb");
		fwrite(text, 1, n, fp), fclose(fp);
		load_freqs(&f1, &p), load_freqs(&f2, &p);
		int r1 = km_prof_load(&a, &p, &f1, tmp_path("keepbad.tsv"), &e);
		snprintf(w1, sizeof w1, "%s", e.msg);
		int r2 = km_prof_load_keep(&b, &p, &f2, tmp_path("keepbad.tsv"), &K, &e);
		snprintf(w2, sizeof w2, "%s", e.msg);
		snprintf(what, sizeof what, "prof keep: %s in a skipped row: the full read's error", bad[i].what);
		check(r1 < 0 && r2 == r1 && strcmp(w1, w2) == 0, what);
		if (strcmp(w1, w2) != 0) printf("  full: %s\n  keep: %s\n", w1, w2);
		if (r1 == 0) km_prof_destroy(&a);
		if (r2 == 0) km_prof_destroy(&b);
		km_freqs_destroy(&f1), km_freqs_destroy(&f2);
	}
	/* names mode (a merge): every sample registered with its first line, calls kept at the
	 * gmask markers only (here DX1, DY1), the same table, duplicate rows still refused */
	{
		void *none = khash_str2int_init();
		uint8_t gm[8] = { 0 };
		gm[M_DX1] = gm[M_DY1] = 1;
		km_prof_keep_t N = { none, 1, gm };
		snprintf(text, sizeof text, "%s%s", head, body);
		write_file(tmp_path("keep.tsv"), text);
		load_freqs(&f1, &p), load_freqs(&f2, &p);
		int r1 = km_prof_load(&a, &p, &f1, tmp_path("keep.tsv"), &e);
		int r2 = km_prof_load_keep(&b, &p, &f2, tmp_path("keep.tsv"), &N, &e);
		int good = r1 == 0 && r2 == 0 && a.n_sample == b.n_sample && same_alleles(&f1, &f2);
		for (int s = 0; good && s < a.n_sample; ++s) {
			good &= strcmp(a.sample[s], b.sample[s]) == 0 && a.line[s] == b.line[s];
			for (int m = 0; m < p.n_marker; ++m) {
				const int32_t *x = km_prof_gt(&a, s, m), *y = km_prof_gt(&b, s, m);
				good &= gm[m] ? memcmp(x, y, 2 * sizeof(int32_t)) == 0 : y[0] == KM_NOALLELE && y[1] == KM_NOALLELE;
			}
		}
		check(good, "prof names: every sample with its first line, calls at the gmask markers only, the same table");
		if (r1 == 0) km_prof_destroy(&a);
		if (r2 == 0) km_prof_destroy(&b);
		km_freqs_destroy(&f1), km_freqs_destroy(&f2);
		/* VWA again right after D3: the raw-line path sees the duplicate (its marker is the
		 * panel's next) and leaves the message to the full path */
		snprintf(text, sizeof text, "%sS3\tVWA\t17\t17\nS3\tD3\t14\t16\nS3\tVWA\t17\t17\nS4\tD3\t14\t15\n", head);
		write_file(tmp_path("keepdup.tsv"), text);
		load_freqs(&f1, &p), load_freqs(&f2, &p);
		char w1[1100];
		r1 = km_prof_load(&a, &p, &f1, tmp_path("keepdup.tsv"), &e);
		snprintf(w1, sizeof w1, "%s", e.msg);
		r2 = km_prof_load_keep(&b, &p, &f2, tmp_path("keepdup.tsv"), &N, &e);
		check(r1 < 0 && r2 == r1 && strcmp(w1, e.msg) == 0, "prof names: a duplicate row gives the full read's error");
		km_freqs_destroy(&f1), km_freqs_destroy(&f2);
		khash_str2int_destroy(none);
	}
	/* what only a full read checks: a skipped sample's duplicate row (the merge reads all) */
	snprintf(text, sizeof text, "%sS3\tD3\t14\t15\nS3\tD3\t14\t16\nS4\tD3\t14\t15\n", head);
	write_file(tmp_path("keepdup.tsv"), text);
	load_freqs(&f1, &p), load_freqs(&f2, &p);
	int r1 = km_prof_load(&a, &p, &f1, tmp_path("keepdup.tsv"), &e);
	int r2 = km_prof_load_keep(&b, &p, &f2, tmp_path("keepdup.tsv"), &K, &e);
	check(r1 < 0 && r2 == 0 && b.n_sample == 1, "prof keep: a skipped sample's duplicate row is left to the full read");
	if (r2 == 0) km_prof_destroy(&b);
	km_freqs_destroy(&f1), km_freqs_destroy(&f2);
	km_verbose = 1;
	khash_str2int_destroy(keep);
	km_panel_destroy(&p);
}

/* ---- pedigrees --------------------------------------------------------------------- */

#define PED_HDR "family\tperson\tfather\tmother\tsex\trole\n"

static void test_peds(void)
{
	km_peds_t d;
	km_err_t e;
	int ret;
	size_t i;
	static const char good[] =
		"# header below\n"
		"role\tsex\tmother\tfather\tperson\tfamily\textra\r\n"
		"missing\tM\tmo\tfa\tkid\tF1\tz\r\n"          /* parents defined later */
		"reference\tmale\t0\t0\tfa\tF1\t\r\n"
		"untyped\tFemale\t0\t0\tmo\tF1\t\r\n"
		"reference\t1\t0\t0\tfa\tF2\t\r\n"             /* same id in another family */
		"untyped\t2\t0\t0\tm1\tF2\t\r\n"
		"untyped\t2\t0\t0\tm2\tF2\t\r\n"
		"untyped\t1\tm1\tfa\th1\tF2\t\r\n"
		"untyped\t2\tm2\tfa\th2\tF2\t\r\n"
		"missing\t1\th2\th1\tinbred\tF2\t\r\n";    /* half-sibs' child: inbreeding is valid */
	static const bad_t bad[] = {
		{ "ped: unknown parent", PED_HDR "F\tkid\tfa\tmo\t1\tmissing\nF\tfa\t0\t0\t1\treference\n",
		  "d.tsv:2:10: mother 'mo' is not a person of family 'F' (column 'mother')" },
		{ "ped: parent in another family", PED_HDR "G\tmo\t0\t0\t2\tuntyped\nF\tfa\t0\t0\t1\tuntyped\n"
		                                           "F\tkid\tfa\tmo\t1\tmissing\n",
		  "d.tsv:4:10: mother 'mo' is not a person of family 'F' (column 'mother')" },
		{ "ped: father female", PED_HDR "F\tfa\t0\t0\t2\treference\nF\tmo\t0\t0\t2\tuntyped\n"
		                                "F\tkid\tfa\tmo\t1\tmissing\n",
		  "d.tsv:4:7: parent of wrong sex: father 'fa' is female (line 2) (column 'father')" },
		{ "ped: mother male", PED_HDR "F\tfa\t0\t0\t1\treference\nF\tmo\t0\t0\t1\tuntyped\n"
		                              "F\tkid\tfa\tmo\t1\tmissing\n",
		  "d.tsv:4:10: parent of wrong sex: mother 'mo' is male (line 3) (column 'mother')" },
		{ "ped: duplicate person", PED_HDR "F\tfa\t0\t0\t1\treference\nG\tfa\t0\t0\t1\tuntyped\n"
		                                   "F\tfa\t0\t0\t1\tmissing\n",
		  "d.tsv:4:3: duplicate person 'fa' in family 'F' (first on line 2) (column 'person')" },
		{ "ped: own ancestor", PED_HDR "F\tm\t0\t0\t2\tuntyped\n"
		                               "F\ta\tc\tm\t1\tuntyped\n"
		                               "F\tb\ta\tm\t1\tuntyped\n"
		                               "F\tc\tb\tm\t1\tmissing\n",
		  "d.tsv:3:3: person 'a' is their own ancestor (column 'person')" },
		{ "ped: own father", PED_HDR "F\tm\t0\t0\t2\tuntyped\nF\ta\ta\tm\t1\tmissing\n",
		  "d.tsv:3:3: person 'a' is their own ancestor (column 'person')" },
		{ "ped: father only", PED_HDR "F\tfa\t0\t0\t1\treference\nF\tkid\tfa\t0\t1\tmissing\n",
		  "d.tsv:3:10: person 'kid' has a father but no mother: give both parents or neither (column 'mother')" },
		{ "ped: mother only", PED_HDR "F\tmo\t0\t0\t2\treference\nF\tkid\t0\tmo\t1\tmissing\n",
		  "d.tsv:3:7: person 'kid' has a mother but no father: give both parents or neither (column 'father')" },
		{ "ped: same father and mother", PED_HDR "F\tkid\tx\tx\t1\tmissing\n",
		  "d.tsv:2:9: father and mother are the same person 'x' (column 'mother')" },
		{ "ped: bad sex", PED_HDR "F\tfa\t0\t0\t3\treference\n",
		  "d.tsv:2:10: sex '3' is not 1, 2, male or female (column 'sex')" },
		{ "ped: bad role", PED_HDR "F\tfa\t0\t0\t1\tref\n",
		  "d.tsv:2:12: role 'ref' is not missing, reference or untyped (column 'role')" },
		{ "ped: person 0", PED_HDR "F\t0\t0\t0\t1\tmissing\n",
		  "d.tsv:2:3: person id '0' is reserved for 'no parent' (column 'person')" },
		{ "ped: empty father", PED_HDR "F\tp\t\t0\t1\tmissing\n",
		  "d.tsv:2:5: father is empty (write 0 for a founder) (column 'father')" },
		{ "ped: missing column", "family\tperson\tfather\tmother\tsex\n", "d.tsv:1:1: missing column 'role'" },
	};

	km_verbose = 0;
	ret = km_peds_load_mem(&d, "d.tsv", good, strlen(good), &e);
	check(ret == 0, "ped: loads (CRLF, column order, extra column, parents after children, inbreeding)");
	if (ret < 0) printf("  %s\n", e.msg);
	if (ret == 0) {
		km_family_t *f1 = &d.fam[0], *f2 = &d.fam[1];
		check(d.n_family == 2 && strcmp(f1->id, "F1") == 0 && f1->n_person == 3 && f2->n_person == 6 && f1->line == 3 &&
		          f2->line == 6,
		      "ped: families in first-seen order");
		check(f1->person[0].father == 1 && f1->person[0].mother == 2 && f1->person[1].father == -1 &&
		          f1->person[0].sex == KM_MALE && f1->person[2].sex == KM_FEMALE && f1->person[0].role == KM_ROLE_MISSING &&
		          f1->person[1].role == KM_ROLE_REFERENCE && f1->person[0].line == 3 && f1->person[0].sample == -1,
		      "ped: parents resolved to indices, sex, role, line");
		check(f2->person[5].father == 3 && f2->person[5].mother == 4 && f2->person[4].father == 0, "ped: inbred child");
	}
	km_verbose = 1;
	for (i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
		km_peds_t q;
		km_verbose = 0;
		ret = km_peds_load_mem(&q, "d.tsv", bad[i].text, strlen(bad[i].text), &e);
		km_verbose = 1;
		check_err(bad[i].what, ret, &e, bad[i].want);
		if (ret < 0) check(zeroed(&q, sizeof q), "ped: failed load leaves the object zeroed");
		km_peds_destroy(&q);
	}

	/* linking references to profiles */
	{
		km_panel_t p;
		km_freqs_t f;
		km_prof_t refs;
		static const char prof[] = "sample\tmarker\tallele1\tallele2\n"
		                           "fa\tD3\t14\t15\n"
		                           "fa\tDX1\t10\t.\n"
		                           "mo\tDX1\t10\t11\n"
		                           "bro\tDX1\t10\t11\n"
		                           "sis\tDX1\t10\t.\n"
		                           "aunt\tDY1\t14\t.\n";
		static const struct { const char *what, *ped, *want; } link[] = {
			{ "link: reference without profile", PED_HDR "F\tfa\t0\t0\t1\treference\nF\tuncle\t0\t0\t1\treference\n",
			  "d.tsv:3:1: reference 'uncle' has no profile in q.tsv" },
			{ "link: heterozygous male at X-STR", PED_HDR "F\tfa\t0\t0\t1\treference\nF\tbro\t0\t0\t1\treference\n",
			  "q.tsv:5:1: heterozygous X-STR call for male 'bro' at marker DX1" },
			{ "link: hemizygous female at X-STR", PED_HDR "F\tsis\t0\t0\t2\treference\n",
			  "q.tsv:6:1: hemizygous X-STR call for female 'sis' at marker DX1" },
			{ "link: female with a Y-STR call", PED_HDR "F\taunt\t0\t0\t2\treference\n",
			  "q.tsv:7:1: Y-STR call for female 'aunt' at marker DY1" },
		};
		if (load_panel(&p) < 0) return;
		load_freqs(&f, &p);
		ret = km_prof_load_mem(&refs, &p, &f, "q.tsv", prof, strlen(prof), &e);
		check(ret == 0, "link: reference profiles load");
		if (d.n_family) {
			check(km_peds_link(&d, &refs, &p, &e) == 0 && d.fam[0].person[1].sample == 0 &&
			          d.fam[1].person[0].sample == 0 && d.fam[0].person[0].sample == -1,
			      "link: references get their sample, shared across families");
		}
		for (i = 0; i < sizeof link / sizeof link[0]; ++i) {
			km_peds_t q;
			km_verbose = 0;
			ret = km_peds_load_mem(&q, "d.tsv", link[i].ped, strlen(link[i].ped), &e);
			km_verbose = 1;
			if (ret == 0) ret = km_peds_link(&q, &refs, &p, &e);
			check_err(link[i].what, ret, &e, link[i].want);
			km_peds_destroy(&q);
		}
		km_prof_destroy(&refs);
		km_freqs_destroy(&f);
		km_panel_destroy(&p);
	}
	km_peds_destroy(&d);
}

static void cleanup(void)
{
	static const char *const files[] = { "big.tsv.gz", "panel.tsv.gz", "f.tsv.gz", "r.tsv.gz", "t.vcf", "t.vcf.gz",
		                                 "t.bcf", "eh.vcf", "bad.vcf", "bad.bcf", "keep.tsv", "keepbad.tsv", "keepdup.tsv" };
	size_t i;
	for (i = 0; i < sizeof files / sizeof files[0]; ++i) unlink(tmp_path(files[i]));
	rmdir(tmpdir);
}

int main(void)
{
	strcpy(tmpdir, "/tmp/km_readers_XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		printf("FAIL mkdtemp\n");
		return 1;
	}
	test_tsv();
	test_panel();
	test_freqs();
	test_prof();
	test_prof_keep();
	test_peds();
	cleanup();
	printf("%d ok, %d failed\n", n_ok, n_fail);
	return n_fail != 0;
}
