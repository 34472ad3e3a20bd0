/* cmd_report.c — `kinmatch report --run DIR`: a self-contained HTML report of a match run
 * in DIR/report (issue 13; report_load.c, report_html.c, report_svg.c). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kmpriv.h"
#include "report.h"

static void report_usage(FILE *fp)
{
	fprintf(fp,
	        "Usage: kinmatch report --run DIR [--out DIR2] [--quiet]\n\n"
	        "Writes DIR/report/index.html (and DIR/report/r/*.html, report.css, report.js): the run, counts by\n"
	        "conclusion, plots, every remain, and a page per remain with a candidate: per-locus LRs and the\n"
	        "family's pedigree (from DIR/explain.tsv and DIR/families.tsv: run match with --explain-top N).\n"
	        "Self-contained: it opens offline, from any copy of the directory.\n\n"
	        "  --run DIR     a kinmatch match --out directory (matches.tsv; explain.tsv, families.tsv,\n"
	        "                identifications.tsv, manifest.json where present)\n"
	        "  --out DIR2    write the report there instead of DIR/report\n"
	        "  --quiet       no summary on stderr\n");
}

int km_cmd_report(int argc, char *argv[]);
int km_cmd_report(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "run", required_argument, 0, 'r' }, { "out", required_argument, 0, 'o' },
		{ "quiet", no_argument, 0, 'q' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 }
	};
	const char *run = NULL, *out = NULL;
	int c, quiet = 0, ret;
	km_err_t e = { "" };
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
		switch (c) {
		case 'r': run = optarg; break;
		case 'o': out = optarg; break;
		case 'q': quiet = 1; break;
		case 'h': report_usage(stdout); return 0;
		default: report_usage(stderr); return km_exit_code(KM_EUSAGE);
		}
	}
	if (optind < argc) { km_err_set(&e, KM_EUSAGE, "unexpected argument '%s'", argv[optind]); km_err_print(&e); return km_exit_code(KM_EUSAGE); }
	if (!run) { km_err_set(&e, KM_EUSAGE, "--run is required (see kinmatch report --help)"); km_err_print(&e); return km_exit_code(KM_EUSAGE); }
	kstring_t od = { 0, 0, NULL };
	if (out) kputs(out, &od); else ksprintf(&od, "%s/report", run);
	rp_run_t R;
	double t0 = km_now();
	if ((ret = rp_run_load(&R, run, &e)) < 0) { km_err_print(&e); free(od.s); return km_exit_code(ret); }
	if ((ret = rp_write(&R, od.s, &e)) < 0) km_err_print(&e);
	else if (!quiet) {
		int np = 0;
		for (int i = 0; i < R.n_remain; ++i) np += R.r[i].page != NULL;
		fprintf(stderr, "kinmatch: report of %d remains (%d detail pages) written in %.2f s%s\n", R.n_remain, np, km_now() - t0,
		        R.have_peds ? "" : "; no families.tsv/explain.tsv: run match with --explain-top N for per-locus tables and pedigrees");
		fprintf(stderr, "kinmatch: open %s/index.html in a web browser (self-contained: works offline, from a copy)\n", od.s);
	}
	rp_run_destroy(&R);
	free(od.s);
	return km_exit_code(ret);
}
