/* cmd_check.c — `kinmatch check-reference`: validates a panel / frequency / lineage
 * database set before it is used for matching, and summarises it per marker system.
 *
 * Errors are what `kinmatch match` would stop on, found by the same readers, so the
 * message is the same "FILE:LINE:COL: cause" (exit 1): malformed numbers, rates outside
 * [0,1), unknown markers, frequency sums off 1 by more than 0.01, STR alleles that are not
 * repeat numbers, SNP alleles that are not bases, panel STR/X-STR/SNP markers without
 * frequencies, bad y-db cells, bad mtDNA notation.
 *
 * Warnings are findings that load but are probably wrong (exit 0):
 * - panel: an STR, X-STR or Y-STR with rate 0 (any mismatch then excludes); a rate above
 *   0.05 per meiosis (above every published STR rate); an STR typed `STR` on chromosome
 *   X or Y, a Y-STR not on Y;
 * - frequencies: a sum off 1 by more than 0.001 (used as given); a SNP with other than 2
 *   alleles; an STR allele above 99 (a fragment length in bp, not a repeat number) or
 *   with a microvariant fraction the repeat unit cannot have (.4 at a 4-bp repeat);
 *   frequencies for Y-STR markers (unused: Y-STRs are weighed by haplotype);
 * - y-db: panel Y-STR markers that are no column of it (the reader warns about columns
 *   that are no panel marker), markers untyped in every haplotype.
 * The summary goes to stdout, one line per marker system present.  An optional panel
 * column `rate_source` whose value starts with "default" marks rates that are a default
 * rather than a published per-locus value; the summary counts them.
 *
 * Copyright (C) 2026 the kinmatch authors.  GPL-3.0-or-later.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "kmpriv.h"
#include "lineage.h"

#define CHK_SUM_WARN 0.001   /* the readers reject |sum - 1| > 0.01; warn from here */
#define CHK_RATE_HIGH 0.05   /* above every published per-meiosis STR rate (RM Y-STRs ~0.02) */
#define CHK_BP_ALLELE 99.0   /* repeat numbers stay below this; bp fragment lengths do not */

typedef struct {
	const char *panel, *freqs, *y_db, *mt_db;
	int quiet;
} chk_opt_t;

enum { C_PANEL = 256, C_FREQS, C_YDB, C_MTDB, C_QUIET, C_HELP };

static const struct option chk_opts[] = {
	{ "panel", required_argument, 0, C_PANEL },
	{ "freqs", required_argument, 0, C_FREQS },
	{ "y-db", required_argument, 0, C_YDB },
	{ "mt-db", required_argument, 0, C_MTDB },
	{ "quiet", no_argument, 0, C_QUIET },
	{ "help", no_argument, 0, C_HELP },
	{ 0, 0, 0, 0 }
};

static void chk_usage(FILE *fp)
{
	fprintf(fp,
	        "Usage: kinmatch check-reference --panel P [--freqs F] [--y-db Y] [--mt-db D]\n"
	        "\nValidates a panel and its frequency / lineage databases the way `kinmatch match` reads\n"
	        "them, warns about what loads but looks wrong, and prints a summary per marker system.\n"
	        "Exit 0: no errors (warnings may be printed); 1: an input error; 2: a usage error.\n"
	        "\n  --panel FILE    markers: marker type chrom mutation_rate [female_rate male_rate motif_len]\n"
	        "                  (a column rate_source starting with 'default' marks default rates)\n"
	        "  --freqs FILE    allele frequencies, long (marker allele frequency) or ladder form\n"
	        "  --y-db FILE     Y-STR haplotypes: a name column, then one column per Y-STR marker\n"
	        "  --mt-db FILE    mtDNA haplotypes: sample range haplotype (EMPOP notation)\n"
	        "  --quiet         no warnings\n");
}

/* "1,234,567" into buf */
static const char *chk_thou(long v, char *buf, size_t len)
{
	char t[32];
	int n = snprintf(t, sizeof t, "%ld", v < 0 ? -v : v), i, j = 0, lead = n % 3;
	if (v < 0 && (size_t)j + 1 < len) buf[j++] = '-';
	for (i = 0; i < n && (size_t)j + 2 < len; ++i) {
		if (i > 0 && (i - lead) % 3 == 0) buf[j++] = ',';
		buf[j++] = t[i];
	}
	buf[j] = 0;
	return buf;
}

/* Per-marker flag: 1 if the panel's rate_source column says "default...".  The panel has
 * loaded already, so this second pass only looks the column up. */
static int chk_default_rates(const km_panel_t *p, const char *fn, uint8_t *is_def, km_err_t *e)
{
	km_tsv_t *r;
	int ret, c_src, c_marker;
	if ((ret = km_tsv_open(&r, fn, e)) < 0) return ret;
	if ((ret = km_tsv_header(r, e)) < 0) goto end;
	c_marker = km_tsv_col(r, "marker");
	if ((c_src = km_tsv_col(r, "rate_source")) < 0 || c_marker < 0) goto end;
	while ((ret = km_tsv_next(r, e)) > 0) {
		int m = km_panel_find(p, km_tsv_field(r, c_marker));
		if (m >= 0) is_def[m] = strncasecmp(km_tsv_field(r, c_src), "default", 7) == 0;
	}
end:
	km_tsv_close(r);
	return ret < 0 ? ret : 0;
}

static const char *const sys_name[KM_N_SYS] = { "STR", "SNP", "X-STR", "Y-STR", "mtDNA" };

static void chk_panel(const km_panel_t *p)
{
	for (int m = 0; m < p->n_marker; ++m) {
		const km_marker_t *mk = &p->marker[m];
		const char *c = mk->chrom;
		if (mk->type == KM_TYPE_AMEL) continue;   /* amelogenin: sex only (amel.c) */
		double hi = mk->rate > mk->rate_f ? mk->rate : mk->rate_f;
		if (mk->rate_m > hi) hi = mk->rate_m;
		if (strncasecmp(c, "chr", 3) == 0) c += 3;
		if (mk->type != KM_SYS_SNP && mk->rate == 0.0 && mk->rate_f == 0.0 && mk->rate_m == 0.0)
			km_warn("%s:%d:1: %s marker '%s' has mutation rate 0: any mismatch excludes", p->fn, mk->line,
			        sys_name[mk->type], mk->name);
		if (hi > CHK_RATE_HIGH)
			km_warn("%s:%d:1: marker '%s' has mutation rate %g, above %g per meiosis (a percentage?)", p->fn,
			        mk->line, mk->name, hi, CHK_RATE_HIGH);
		if (mk->type == KM_SYS_STR && (km_is_xchrom(c) || strcasecmp(c, "Y") == 0 || strcmp(c, "24") == 0))
			km_warn("%s:%d:1: marker '%s' is type STR (autosomal) but on chromosome '%s'; X-STR or Y-STR?", p->fn,
			        mk->line, mk->name, mk->chrom);
		if (mk->type == KM_SYS_Y && !(strcasecmp(c, "Y") == 0 || strcmp(c, "24") == 0))
			km_warn("%s:%d:1: Y-STR marker '%s' on chromosome '%s' (expected Y)", p->fn, mk->line, mk->name, mk->chrom);
	}
}

/* Warnings about allele tables that loaded; counts alleles per system into n_al. */
static void chk_freqs(const km_panel_t *p, const km_freqs_t *f, long *n_al)
{
	for (int m = 0; m < p->n_marker; ++m) {
		const km_marker_t *mk = &p->marker[m];
		const km_alleles_t *a = &f->loc[m];
		double sum = 0.0;
		if (a->n_allele == 0 || mk->type == KM_TYPE_AMEL) continue;   /* AMEL: sex only */
		n_al[mk->type] += a->n_allele;
		for (int i = 0; i < a->n_allele; ++i) sum += a->p[i];
		if (mk->type == KM_SYS_Y) {
			km_warn("%s: marker '%s' is a Y-STR; its %d frequency rows are not used (Y-STRs are weighed by haplotype, --y-db)",
			        f->fn, mk->name, a->n_allele);
			continue;
		}
		if (fabs(sum - 1.0) > CHK_SUM_WARN)
			km_warn("%s: allele frequencies of marker '%s' sum to %.6g; used as given", f->fn, mk->name, sum);
		if (mk->type == KM_SYS_SNP) {
			if (a->n_allele != 2)
				km_warn("%s: SNP '%s' has %d allele%s, not 2%s", f->fn, mk->name, a->n_allele, a->n_allele == 1 ? "" : "s",
				        a->n_allele == 1 ? " (monomorphic: uninformative)" : " (the panel's SNPs are biallelic)");
			continue;
		}
		for (int i = 0; i < a->n_allele; ++i) {
			const char *s = a->label[i], *dot = strchr(s, '.');
			double v = 0.0;
			km_parse_double(s, &v);
			if (v > CHK_BP_ALLELE) {
				km_warn("%s: marker '%s': allele '%s' looks like a fragment length in bp, not a repeat number", f->fn,
				        mk->name, s);
				break; /* one per marker */
			}
			if (dot && mk->motif_len > 0 && (dot[1] == 0 || dot[2] != 0 || dot[1] - '0' >= mk->motif_len)) {
				km_warn("%s: marker '%s': allele '%s' is not a repeat number for a %d-bp repeat (microvariants are .1 to .%d)",
				        f->fn, mk->name, s, mk->motif_len, mk->motif_len - 1);
				break;
			}
		}
	}
}

static int chk_mthap_cmp(const void *pa, const void *pb)
{
	const km_mthap_t *a = *(const km_mthap_t *const *)pa, *b = *(const km_mthap_t *const *)pb;
	int i;
	if (a->n_range != b->n_range) return a->n_range < b->n_range ? -1 : 1;
	for (i = 0; i < a->n_range; ++i) {
		if (a->range[i][0] != b->range[i][0]) return a->range[i][0] < b->range[i][0] ? -1 : 1;
		if (a->range[i][1] != b->range[i][1]) return a->range[i][1] < b->range[i][1] ? -1 : 1;
	}
	if (a->n_var != b->n_var) return a->n_var < b->n_var ? -1 : 1;
	for (i = 0; i < a->n_var; ++i) {
		const km_mtvar_t *x = &a->var[i], *y = &b->var[i];
		if (x->pos != y->pos) return x->pos < y->pos ? -1 : 1;
		if (x->ins != y->ins) return x->ins < y->ins ? -1 : 1;
		if (x->base != y->base) return x->base < y->base ? -1 : 1;
	}
	return 0;
}

static int chk_range_cmp(const km_mthap_t *a, const km_mthap_t *b)
{
	if (a->n_range != b->n_range) return a->n_range < b->n_range ? -1 : 1;
	return memcmp(a->range, b->range, sizeof *a->range * (size_t)a->n_range);
}

typedef struct { int first, n; } chk_group_t;

static int chk_group_cmp(const void *pa, const void *pb)
{
	const chk_group_t *a = pa, *b = pb;
	if (a->n != b->n) return a->n > b->n ? -1 : 1; /* most common first */
	return a->first < b->first ? -1 : a->first > b->first;
}

/* "mtDNA: N haplotypes (D distinct), R ranges: START-END ... (n); ..." with the three
 * most common ranges. */
static int chk_mt_summary(const km_mtset_t *s, km_err_t *e)
{
	const km_mthap_t **h = malloc(sizeof *h * (size_t)(s->n > 0 ? s->n : 1));
	chk_group_t *g = malloc(sizeof *g * (size_t)(s->n > 0 ? s->n : 1));
	int i, n_dist = 0, n_g = 0;
	char b1[32], b2[32];
	if (h == NULL || g == NULL) {
		free(h);
		free(g);
		return km_err_set(e, KM_ENOMEM, "out of memory");
	}
	for (i = 0; i < s->n; ++i) h[i] = &s->hap[i];
	qsort(h, (size_t)s->n, sizeof *h, chk_mthap_cmp); /* by range first, so equal ranges are adjacent */
	for (i = 0; i < s->n; ++i) {
		n_dist += i == 0 || chk_mthap_cmp(&h[i - 1], &h[i]) != 0;
		if (i == 0 || chk_range_cmp(h[i - 1], h[i]) != 0) g[n_g].first = i, g[n_g++].n = 0;
		++g[n_g - 1].n;
	}
	qsort(g, (size_t)n_g, sizeof *g, chk_group_cmp);
	printf("mtDNA: %s haplotypes (%s distinct)", chk_thou(s->n, b1, sizeof b1), chk_thou(n_dist, b2, sizeof b2));
	if (n_g > 0) printf(", %d range%s", n_g, n_g > 1 ? "s" : "");
	for (i = 0; i < n_g && i < 3; ++i) {
		const km_mthap_t *x = h[g[i].first];
		printf("%s", i == 0 ? ": " : "; ");
		for (int r = 0; r < x->n_range; ++r) printf("%s%d-%d", r ? " " : "", x->range[r][0], x->range[r][1]);
		printf(" (%s)", chk_thou(g[i].n, b1, sizeof b1));
	}
	if (n_g > 3) printf("; %d more", n_g - 3);
	printf("\n");
	free(g);
	free(h);
	return 0;
}

/* A rate as a plain decimal ("0.00007", "0.0017"), %g below 1e-6. */
static const char *chk_rate_str(double r, char *buf, size_t len)
{
	size_t n;
	if (r != 0.0 && r < 1e-6) {
		snprintf(buf, len, "%g", r);
		return buf;
	}
	snprintf(buf, len, "%.6f", r);
	for (n = strlen(buf); n > 1 && buf[n - 1] == '0'; --n) buf[n - 1] = 0;
	if (n > 1 && buf[n - 1] == '.') buf[n - 1] = 0;
	return buf;
}

static void chk_rates(const km_panel_t *p, int sys, const uint8_t *is_def, char *buf, size_t len)
{
	double lo = INFINITY, hi = -INFINITY;
	int n = 0, n_def = 0;
	for (int m = 0; m < p->n_marker; ++m) {
		const km_marker_t *mk = &p->marker[m];
		double r = sys == KM_SYS_Y ? mk->rate_m : mk->rate;
		if (mk->type != sys) continue;
		++n;
		n_def += is_def[m];
		if (r < lo) lo = r;
		if (r > hi) hi = r;
	}
	if (n == 0) { buf[0] = 0; return; }
	char a[32], b[32];
	if (lo == hi) snprintf(buf, len, "mutation rate%s %s", n > 1 ? "s all" : "", chk_rate_str(lo, a, sizeof a));
	else snprintf(buf, len, "mutation rates %s-%s", chk_rate_str(lo, a, sizeof a), chk_rate_str(hi, b, sizeof b));
	if (n_def > 0) {
		size_t k = strlen(buf);
		snprintf(buf + k, len - k, " (%d at the default)", n_def);
	}
}

static int chk_run(const chk_opt_t *o, km_err_t *e)
{
	km_panel_t panel = { 0 };
	km_freqs_t freqs = { 0 };
	km_ydb_t ydb = { 0 };
	km_mtset_t mt = { 0 };
	uint8_t *is_def = NULL;
	long n_al[KM_N_SYS] = { 0 };
	int n_sys[KM_N_SYS] = { 0 }, ret;
	char b1[32], b2[32], rates[160];

	if ((ret = km_panel_load(&panel, o->panel, e)) < 0) goto end;
	if ((is_def = calloc((size_t)panel.n_marker + 1, 1)) == NULL) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto end; }
	if ((ret = chk_default_rates(&panel, o->panel, is_def, e)) < 0) goto end;
	for (int m = 0; m < panel.n_marker; ++m)
		if (panel.marker[m].type < KM_N_SYS) ++n_sys[panel.marker[m].type];   /* AMEL: sex only */
	if (panel.n_marker == 0) km_warn("%s: the panel has no markers", o->panel);
	chk_panel(&panel);
	if (o->freqs) {
		if ((ret = km_freqs_load(&freqs, &panel, o->freqs, 0.001, e)) < 0) goto end;
		if ((ret = km_freqs_check_panel(&freqs, &panel, e)) < 0) goto end;
		chk_freqs(&panel, &freqs, n_al);
	}
	if (o->y_db) {
		int *has = calloc((size_t)panel.n_marker + 1, sizeof *has);
		if (has == NULL) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto end; }
		if ((ret = km_ydb_load(&ydb, &panel, o->y_db, e)) < 0) { free(has); goto end; }
		for (int j = 0; j < ydb.n_col; ++j) {
			int typed = 0;
			has[ydb.marker[j]] = 1;
			for (int h = 0; h < ydb.n_hap && !typed; ++h) typed = !isnan(ydb.v[((size_t)h * ydb.n_col + j) * 2]);
			if (!typed && ydb.n_hap > 0)
				km_warn("%s: Y-STR marker '%s' is untyped in every haplotype", o->y_db, panel.marker[ydb.marker[j]].name);
		}
		for (int m = 0; m < panel.n_marker; ++m)
			if (panel.marker[m].type == KM_SYS_Y && !has[m])
				km_warn("%s:%d:1: Y-STR marker '%s' is not a column of %s; it cannot count in haplotype frequencies",
				        panel.fn, panel.marker[m].line, panel.marker[m].name, o->y_db);
		if (n_sys[KM_SYS_Y] == 0) km_warn("%s: the panel has no Y-STR markers, so the y-db is not used", o->y_db);
		free(has);
	}
	if (o->mt_db && (ret = km_mt_load(&mt, o->mt_db, e)) < 0) goto end;

	/* summary: STR, X-STR, Y-STR, SNP, then mtDNA */
	static const int order[] = { KM_SYS_STR, KM_SYS_X, KM_SYS_Y, KM_SYS_SNP };
	for (size_t k = 0; k < sizeof order / sizeof order[0]; ++k) {
		int s = order[k];
		if (n_sys[s] == 0) continue;
		printf("%s: %s marker%s", sys_name[s], chk_thou(n_sys[s], b1, sizeof b1), n_sys[s] > 1 ? "s" : "");
		if (s != KM_SYS_Y && o->freqs) printf(", %s alleles", chk_thou(n_al[s], b2, sizeof b2));
		chk_rates(&panel, s, is_def, rates, sizeof rates);
		if (s != KM_SYS_SNP || strcmp(rates + strlen(rates) - 2, " 0") != 0) /* SNP rate 0 is the norm */
			printf(", %s", rates);
		if (s == KM_SYS_Y) {
			if (o->y_db) {
				long n_h = 0;
				for (int h = 0; h < ydb.n_hap; ++h) n_h += ydb.count[h];
				printf("; y-db %s haplotypes, %d of %d markers", chk_thou(n_h, b2, sizeof b2), ydb.n_col, n_sys[s]);
			} else
				printf("; no --y-db");
		}
		printf("\n");
	}
	if (o->mt_db && (ret = chk_mt_summary(&mt, e)) < 0) goto end;
	if (!o->freqs) printf("frequencies: not checked (no --freqs)\n");
end:
	free(is_def);
	km_mt_destroy(&mt);
	km_ydb_destroy(&ydb);
	km_freqs_destroy(&freqs);
	km_panel_destroy(&panel);
	return ret;
}

int km_cmd_check(int argc, char *argv[]);
int km_cmd_check(int argc, char *argv[])
{
	chk_opt_t o = { 0 };
	km_err_t e = { "" };
	int c;
	optind = 1;
	opterr = 0;   /* one-line messages of our own (km_opt_unknown) */
	while ((c = getopt_long(argc, argv, ":", chk_opts, NULL)) >= 0) {
		switch (c) {
		case C_PANEL: o.panel = optarg; break;
		case C_FREQS: o.freqs = optarg; break;
		case C_YDB: o.y_db = optarg; break;
		case C_MTDB: o.mt_db = optarg; break;
		case C_QUIET: o.quiet = 1; break;
		case C_HELP: chk_usage(stdout); return 0;
		default: return km_opt_unknown("check-reference", c, argv, &e);
		}
	}
	if (optind < argc) {
		km_err_set(&e, KM_EUSAGE, "unexpected argument '%s' (see kinmatch check-reference --help)", argv[optind]);
		km_err_print(&e);
		return km_exit_code(KM_EUSAGE);
	}
	if (o.panel == NULL) {
		km_err_set(&e, KM_EUSAGE, "--panel is required (see kinmatch check-reference --help)");
		km_err_print(&e);
		return km_exit_code(KM_EUSAGE);
	}
	if (o.quiet) km_verbose = 0;
	int ret = chk_run(&o, &e);
	if (ret < 0) {
		km_err_print(&e);
		return km_exit_code(ret);
	}
	return 0;
}
