/* cmd_match.c — `kinmatch match`: options, then load -> validate -> index -> compile ->
 * scan -> rank -> write.  Everything is loaded and validated before the output directory
 * is touched, so bad input leaves no output behind. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <htslib/khash_str2int.h>
#include <htslib/kstring.h>
#include "kmpriv.h"
#include "lik.h"
#include "pipe.h"
#include "lineage.h"
#include "incr.h"      /* results store (store) */
#include "store.h"
#include "rank.h"
#include "out.h"
#include "progress.h"
#include "explain.h"
#include "ident.h"
#include "sha256.h"
#include "shard.h"       /* sharded runs (issue 17) */

void km_opt_init(km_opt_t *o)
{
	memset(o, 0, sizeof(*o));
	o->mutation = KM_MUT_STEPWISE;   /* CONTRACT.md defaults */
	o->range = 0.5;
	o->rate2 = 0.0;
	o->theta = 0.0;
	o->min_freq = -1.0;
	o->dropout = 0.0;
	o->mt_rate = -1.0;
	o->lineage_freq = 0;
	o->min_loci = KM_DEFAULT_MIN_LOCI;
#ifdef _OPENMP
	o->threads = omp_get_num_procs();
#else
	o->threads = 1;
#endif
	o->top = 10;
	o->min_lr = KM_NEG_INF;
	o->all = 0;
}

enum {
	O_PANEL = 256, O_FREQS, O_REMAINS, O_REFS, O_PEDS, O_OUT, O_MTDNA, O_MTDB, O_MTRATE, O_YDB,
	O_LINFREQ, O_THETA, O_MUT, O_RANGE, O_RATE2, O_DROPOUT, O_RINFO, O_MINLOCI, O_THREADS,
	O_TOP, O_MINLR, O_ALL, O_MINFREQ, O_FREQN, O_QUIET, O_HELP, O_BENCH,
	O_STORE, O_INCR,   /* results store (store) */
	O_EXPLAIN,  /* explain (issue 13) */
	O_KEEPGOING,  /* ops (issue 15 part 4) */
	O_SNPPOS,   /* models (issue 12): --snp-positions */
	O_TYPERR,   /* models (issue 12): --typing-error */
	/* --dvi (identification, ident.h) */
	O_DVI, O_DVI_T, O_DVI_MINLR, O_DVI_KEEP, O_DVI_MAXA, O_DVI_MINPOST, O_DVI_NOUND,
	O_SHARD     /* sharded runs (issue 17) */
};

static const struct option match_opts[] = {
	{ "panel", required_argument, 0, O_PANEL },
	{ "freqs", required_argument, 0, O_FREQS },
	{ "remains", required_argument, 0, O_REMAINS },
	{ "references", required_argument, 0, O_REFS },
	{ "pedigrees", required_argument, 0, O_PEDS },
	{ "out", required_argument, 0, O_OUT },
	{ "mutation", required_argument, 0, O_MUT },
	{ "mutation-range", required_argument, 0, O_RANGE },
	{ "mutation-rate2", required_argument, 0, O_RATE2 },
	{ "theta", required_argument, 0, O_THETA },
	{ "min-freq", required_argument, 0, O_MINFREQ },
	{ "freq-sample-size", required_argument, 0, O_FREQN },
	{ "dropout", required_argument, 0, O_DROPOUT },
	{ "remain-info", required_argument, 0, O_RINFO },
	{ "min-loci", required_argument, 0, O_MINLOCI },
	{ "mtdna", required_argument, 0, O_MTDNA },
	{ "mt-db", required_argument, 0, O_MTDB },
	{ "mt-mutation-rate", required_argument, 0, O_MTRATE },
	{ "y-db", required_argument, 0, O_YDB },
	{ "lineage-freq", required_argument, 0, O_LINFREQ },
	{ "threads", required_argument, 0, O_THREADS },
	{ "top", required_argument, 0, O_TOP },
	{ "min-log10-lr", required_argument, 0, O_MINLR },
	{ "all", no_argument, 0, O_ALL },
	{ "quiet", no_argument, 0, O_QUIET },
	{ "bench", no_argument, 0, O_BENCH },
	/* ---- results store (store) */
	{ "store", required_argument, 0, O_STORE },
	{ "incremental", no_argument, 0, O_INCR },
	/* ---- end results store */
	{ "explain-top", required_argument, 0, O_EXPLAIN },   /* explain (issue 13) */
	{ "keep-going", no_argument, 0, O_KEEPGOING },        /* ops (issue 15 part 4) */
	{ "snp-positions", required_argument, 0, O_SNPPOS },  /* models (issue 12) */
	{ "typing-error", required_argument, 0, O_TYPERR },   /* models (issue 12) */
	{ "help", no_argument, 0, O_HELP },
	/* --dvi (identification) */
	{ "dvi", no_argument, 0, O_DVI },
	{ "dvi-threshold", required_argument, 0, O_DVI_T },
	{ "dvi-min-log10-lr", required_argument, 0, O_DVI_MINLR },
	{ "dvi-keep", required_argument, 0, O_DVI_KEEP },
	{ "dvi-max-assign", required_argument, 0, O_DVI_MAXA },
	{ "dvi-min-posterior", required_argument, 0, O_DVI_MINPOST },
	{ "dvi-no-undisputed", no_argument, 0, O_DVI_NOUND },
	{ "shard", required_argument, 0, O_SHARD },   /* sharded runs (issue 17) */
	{ 0, 0, 0, 0 }
};

static void match_usage(FILE *fp, const km_opt_t *d)
{
	fprintf(fp,
	        "Usage: kinmatch match --panel P --freqs F --remains R --references Q --pedigrees PED --out DIR [options]\n"
	        "\nInputs (TSV, .gz; profiles also VCF/BCF):\n"
	        "  --panel FILE            markers: marker type chrom mutation_rate [female_rate male_rate motif_len]\n"
	        "  --freqs FILE            allele frequencies, long (marker allele frequency) or ladder form\n"
	        "  --remains FILE          profiles of the remains\n"
	        "  --references FILE       profiles of the family references\n"
	        "  --snp-positions FILE    rsid chrom pos ref alt: VCF SNP records with ID '.' matched by position\n"
	        "  --pedigrees FILE        family person father mother sex role\n"
	        "\nModel:\n"
	        "  --mutation MODEL        none|equal|proportional|stepwise [%s]\n"
	        "  --mutation-range R      stepwise: P(n+1 steps)/P(n steps) [%g]\n"
	        "  --mutation-rate2 R2     stepwise: integer <-> microvariant rate [%g]\n"
	        "  --theta T               Balding-Nichols coancestry in [0,1) [%g]\n"
	        "  --min-freq F            frequency of alleles absent from --freqs [5/(2N), else 0.001]\n"
	        "  --freq-sample-size N    people behind --freqs (sets the --min-freq default)\n"
	        "  --dropout D             allelic dropout probability of every remain [%g]\n"
	        "  --remain-info FILE      per-remain `sample dropout typing_error`, overrides --dropout / --typing-error\n"
	        "  --typing-error E        typing-error (miscall) rate of every typed person, in [0,1) [0]\n"
	        "  --min-loci N            drop candidates compared on fewer loci [%d]\n"
	        "\nLineage markers (Y-STRs from the profiles, panel type Y-STR):\n"
	        "  --y-db FILE             Y-STR haplotype database (name + one column per marker)\n"
	        "  --mtdna FILE            mtDNA of remains and references: sample range haplotype (EMPOP)\n"
	        "  --mt-db FILE            mtDNA database, same format\n"
	        "  --mt-mutation-rate U    per meiosis over the compared region [3/705, Sigurdardottir et al. 2000]\n"
	        "  --lineage-freq MODE     count: (x+1)/(N+1); upper95: Clopper-Pearson 95%% upper bound [count]\n"
	        "\nOutput:\n"
	        "  --out DIR               writes DIR/matches.tsv, warnings.tsv, manifest.json (created if needed;\n"
	        "                          locked while the job runs: a second job into DIR exits 75)\n"
	        "  --top K                 rows kept per remain [%d]\n"
	        "  --min-log10-lr X        keep rows with log10 LR >= X [none]\n"
	        "  --all                   keep every row (overrides --top, --min-log10-lr, --min-loci)\n"
	        "  --explain-top N         DIR/explain.tsv: per-locus LRs of each remain's N best rows [0]\n"
	        "  --threads N             worker threads [%d]; the output is the same for any N\n"
	        "  --quiet                 no summary on stderr\n"
	        "  --keep-going            a family the engine refuses (a table too large, theta enumeration\n"
	        "                          beyond its limit) is left out and named; the job exits 3\n"
	        "  --bench                 print one line of timings, rates and a reference kernel's rate (bench/)\n"
	        "\nResults store (README.md, \"Running it every night\"):\n"
	        "  --store FILE            record the run in an SQLite store (created if needed; one transaction per run)\n"
	        "  --incremental           with --store: compute only pairs of new or changed remains and families,\n"
	        "                          the rest from the store's last run (the same output as a full run)\n",
	        km_mut_name(d->mutation), d->range, d->rate2, d->theta, d->dropout, d->min_loci, d->top, d->threads);
	/* --dvi (identification) */
	fprintf(fp,
	        "\nIdentification (dvir's rules; writes undisputed.tsv, joint.tsv, identifications.tsv):\n"
	        "  --dvi                   identify: undisputed matches with conditioning, then joint assignment\n"
	        "  --dvi-threshold T       undisputed: LR >= T and >= T x every rival (> 1) [1e4]\n"
	        "  --dvi-min-log10-lr X    candidates have log10 LR >= X; -inf: every LR > 0 (dvir) [0]\n"
	        "  --dvi-keep K            rows of joint.tsv per component [10]\n"
	        "  --dvi-max-assign N      enumerate components up to N assignments, else branch and bound [1e6]\n"
	        "  --dvi-min-posterior P   a joint identification needs P(R = M) >= P, in (0,1] [0.99]\n"
	        "  --dvi-no-undisputed     skip the undisputed step\n"
	        "\nSharded runs (README, Running on a cluster):\n"
	        "  --shard K/N             compute shard K of N of the families into DIR, for kinmatch merge\n");
	fputs(KM_EXIT_HELP, fp);   /* ops: exit codes */
}

/* Checks combinations and required options, naming the option. */
static int km_opt_check(const km_opt_t *o, km_err_t *e)
{
	static const struct { const char *name; size_t off; } req[] = {
		{ "panel", offsetof(km_opt_t, panel) }, { "freqs", offsetof(km_opt_t, freqs) },
		{ "remains", offsetof(km_opt_t, remains) }, { "references", offsetof(km_opt_t, references) },
		{ "pedigrees", offsetof(km_opt_t, pedigrees) }, { "out", offsetof(km_opt_t, out) },
	};
	for (size_t i = 0; i < sizeof(req) / sizeof(req[0]); ++i)
		if (!*(const char *const *)((const char *)o + req[i].off))
			return km_err_set(e, KM_EUSAGE, "--%s is required (see kinmatch match --help)", req[i].name);
	/* --all keeps every row whatever --top, --min-log10-lr and --min-loci say (CONTRACT.md) */
	if (o->incremental && !o->store) return km_err_set(e, KM_EUSAGE, "--incremental needs --store FILE (the store keeps the last run)");   /* results store (store) */
	if (!o->mtdna != !o->mt_db) return km_err_set(e, KM_EUSAGE, "--mtdna and --mt-db go together: the mtDNA LR needs the database for its denominator");
	return 0;
}

/* ---- progress (ops): the load phase counts input bytes */
static double file_bytes(const char *fn)
{
	struct stat sb;
	return fn && stat(fn, &sb) == 0 ? (double)sb.st_size : 0.0;
}
/* ---- end progress */


/* ---- manifest (ops): every option of match_opts with its resolved value, defaults
 * included.  An option added to match_opts without a line here still appears: as typed
 * when given (given[i], true for a flag), else null — add a line for its default. */
static void match_manifest(km_out_t *out, const km_opt_t *o, const km_dviopt_t *dvi, const char *const *given)
{
	km_out_option(out, "panel", "%s", o->panel);
	km_out_option(out, "freqs", "%s", o->freqs);
	km_out_option(out, "remains", "%s", o->remains);
	km_out_option(out, "references", "%s", o->references);
	km_out_option(out, "pedigrees", "%s", o->pedigrees);
	km_out_option(out, "out", "%s", o->out);
	km_out_option(out, "mutation", "%s", km_mut_name(o->mutation));
	km_out_option_num(out, "mutation-range", o->range);
	km_out_option_num(out, "mutation-rate2", o->rate2);
	km_out_option_num(out, "theta", o->theta);
	km_out_option_num(out, "min-freq", o->min_freq);
	if (o->freq_n > 0) km_out_option(out, "freq-sample-size", "%ld", o->freq_n);
	else km_out_option_null(out, "freq-sample-size");
	km_out_option_num(out, "dropout", o->dropout);
	if (o->remain_info) km_out_option(out, "remain-info", "%s", o->remain_info);
	else km_out_option_null(out, "remain-info");
	km_out_option(out, "min-loci", "%d", o->min_loci);
	if (o->mtdna) km_out_option(out, "mtdna", "%s", o->mtdna);
	else km_out_option_null(out, "mtdna");
	if (o->mt_db) km_out_option(out, "mt-db", "%s", o->mt_db);
	else km_out_option_null(out, "mt-db");
	km_out_option_num(out, "mt-mutation-rate", o->mt_rate >= 0 ? o->mt_rate : KM_MT_RATE_DEFAULT);
	if (o->y_db) km_out_option(out, "y-db", "%s", o->y_db);
	else km_out_option_null(out, "y-db");
	km_out_option(out, "lineage-freq", "%s", o->lineage_freq == 1 ? "upper95" : "count");
	km_out_option(out, "threads", "%d", o->threads);
	km_out_option(out, "top", "%d", o->top);
	km_out_option_num(out, "min-log10-lr", o->min_lr);
	km_out_option_bool(out, "all", o->all);
	km_out_option_bool(out, "quiet", o->quiet);
	km_out_option_bool(out, "bench", o->bench);
	km_out_option_bool(out, "keep-going", o->keep_going);
	km_out_option(out, "explain-top", "%d", o->explain_top);   /* explain (issue 13) */
	if (o->snp_positions) km_out_option(out, "snp-positions", "%s", o->snp_positions);   /* models */
	else km_out_option_null(out, "snp-positions");
	km_out_option_bool(out, "dvi", dvi->on);   /* dvi (issue 11) */
	km_out_option_num(out, "dvi-threshold", pow(10.0, dvi->log10_t));
	km_out_option_num(out, "dvi-min-log10-lr", dvi->min_lr);
	km_out_option(out, "dvi-keep", "%d", dvi->keep);
	km_out_option_num(out, "dvi-max-assign", dvi->max_assign);
	km_out_option_num(out, "dvi-min-posterior", dvi->min_post);
	km_out_option_bool(out, "dvi-no-undisputed", dvi->no_undisputed);
	/* the fallback for options without a line above */
	for (int i = 0; match_opts[i].name; ++i) {
		if (strcmp(match_opts[i].name, "help") == 0 || km_out_has_option(out, match_opts[i].name)) continue;
		if (!given[i]) km_out_option_null(out, match_opts[i].name);
		else if (match_opts[i].has_arg == no_argument) km_out_option_bool(out, match_opts[i].name, 1);
		else km_out_option(out, match_opts[i].name, "%s", given[i]);
	}
	/* the input files, digested at commit */
	km_out_input(out, "panel", o->panel);
	km_out_input(out, "freqs", o->freqs);
	km_out_input(out, "remains", o->remains);
	km_out_input(out, "references", o->references);
	km_out_input(out, "pedigrees", o->pedigrees);
	km_out_input(out, "remain-info", o->remain_info);
	km_out_input(out, "mtdna", o->mtdna);
	km_out_input(out, "mt-db", o->mt_db);
	km_out_input(out, "y-db", o->y_db);
	km_out_input(out, "snp-positions", o->snp_positions);
	km_out_threads(out, o->threads);
}
/* ---- end manifest */

int km_cmd_match(int argc, char *argv[]);
/* The references and the pedigrees (load stage), linked.  Three ways (issue 17):
 *  - a shard (--shard K/N) reads the pedigrees first, for the split (fsh), and stores only
 *    its own families' references; the others' rows are read for their alleles, as the
 *    allele table must be the single run's (prof_tsv.c);
 *  - a merge that needs no reference's autosomal calls (names: its rows are the shards';
 *    no identification, explain or store reads them) registers every reference — ids,
 *    lines, duplicate rows, the allele table — and keeps the calls of X, Y and amelogenin,
 *    for the checks of the pedigrees against their profiles;
 *  - any other run reads both whole.
 * The checks that only a whole read makes (another shard's references) are the merge's. */
static int load_refs_peds(const km_opt_t *o, int names, const km_panel_t *panel, km_freqs_t *freqs, const km_prof_t *rem,
                          km_prof_t *refs, km_peds_t *peds, int **fsh, km_err_t *e)
{
	int ret = 0;
	void *keep = NULL;
	uint8_t *gm = NULL;
	km_prof_keep_t K = { NULL, names, NULL };
	if (o->shard_n > 0) {
		if ((ret = km_peds_load(peds, o->pedigrees, e)) < 0) return ret;
		km_prog_add(file_bytes(o->pedigrees));
		if (!(*fsh = malloc(sizeof(int) * ((size_t)peds->n_family + 1)))) return km_err_set(e, KM_ENOMEM, "out of memory");
		if ((ret = km_shard_families(peds, o->shard_n, *fsh, e)) < 0) return ret;
	}
	if (o->shard_n > 0 || names) {
		if (!(K.keep = keep = khash_str2int_init())) return km_err_set(e, KM_ENOMEM, "out of memory");
		for (int f = 0; o->shard_n > 0 && f < peds->n_family; ++f)   /* keys are the pedigrees' ids */
			for (int i = 0; (*fsh)[f] == o->shard_k && i < peds->fam[f].n_person; ++i)
				if (peds->fam[f].person[i].role == KM_ROLE_REFERENCE && khash_str2int_set(keep, peds->fam[f].person[i].id, 1) < 0)
					{ ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto end; }
		if (names) {
			if (!(K.gmask = gm = calloc((size_t)panel->n_marker + 1, 1))) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto end; }
			for (int m = 0; m < panel->n_marker; ++m)
				gm[m] = panel->marker[m].type == KM_SYS_X || panel->marker[m].type == KM_SYS_Y || panel->marker[m].type == KM_TYPE_AMEL;
		}
		ret = km_prof_load_keep(refs, panel, freqs, o->references, &K, e);
	} else ret = km_prof_load(refs, panel, freqs, o->references, e);
	if (ret < 0) goto end;
	km_prog_add(file_bytes(o->references));
	/* issue 15 (harden): a remain id that is also a reference id is a sample mix-up */
	if ((ret = km_prof_check_disjoint(rem, refs, e)) < 0) goto end;
	if (o->shard_n == 0) {
		if ((ret = km_peds_load(peds, o->pedigrees, e)) < 0) goto end;
		km_prog_add(file_bytes(o->pedigrees));
	}
	ret = km_peds_link_sel(peds, refs, panel, o->shard_n > 0 ? *fsh : NULL, o->shard_k, e);
end:
	if (keep) khash_str2int_destroy(keep);
	free(gm);
	return ret;
}

int km_cmd_match(int argc, char *argv[])
{
	km_opt_t o, d;
	km_err_t e = { "" };
	km_dviopt_t dvi;   /* --dvi */
	km_dviopt_init(&dvi);
	int c, ret = 0;
	const char *given[sizeof match_opts / sizeof match_opts[0]] = { 0 };   /* manifest (ops): as typed */
	int li = -1;
	km_opt_init(&o);
	d = o;
	optind = 1;
	opterr = 0;   /* ops: our own one-line messages for unknown options and missing values */
	while ((c = getopt_long(argc, argv, ":", match_opts, &li)) >= 0) {
		if (li >= 0) given[li] = optarg ? optarg : "", li = -1;
		switch (c) {
		case O_PANEL: o.panel = optarg; break;
		case O_FREQS: o.freqs = optarg; break;
		case O_REMAINS: o.remains = optarg; break;
		case O_REFS: o.references = optarg; break;
		case O_PEDS: o.pedigrees = optarg; break;
		case O_OUT: o.out = optarg; break;
		case O_MTDNA: o.mtdna = optarg; break;
		case O_MTDB: o.mt_db = optarg; break;
		case O_YDB: o.y_db = optarg; break;
		case O_RINFO: o.remain_info = optarg; break;
		case O_MUT:
			if ((o.mutation = km_mut_parse(optarg)) < 0)
				ret = km_err_set(&e, KM_EUSAGE, "--mutation: expected none, equal, proportional or stepwise, got '%s'", optarg);
			break;
		case O_RANGE: ret = km_opt_double("mutation-range", optarg, 0, 1, 1, 0, &o.range, &e); break;
		case O_RATE2: ret = km_opt_double("mutation-rate2", optarg, 0, 1, 0, 1, &o.rate2, &e); break;
		case O_THETA: ret = km_opt_double("theta", optarg, 0, 1, 0, 1, &o.theta, &e); break;
		case O_MINFREQ: ret = km_opt_double("min-freq", optarg, 0, 1, 1, 0, &o.min_freq, &e); break;
		case O_FREQN: { int n = 0; ret = km_opt_int("freq-sample-size", optarg, 1, 1000000000, &n, &e); o.freq_n = n; break; }
		case O_DROPOUT: ret = km_opt_double("dropout", optarg, 0, 1, 0, 1, &o.dropout, &e); break;
		case O_MTRATE: ret = km_opt_double("mt-mutation-rate", optarg, 0, 1, 0, 1, &o.mt_rate, &e); break;
		case O_LINFREQ:
			if (strcmp(optarg, "count") == 0) o.lineage_freq = 0;
			else if (strcmp(optarg, "upper95") == 0) o.lineage_freq = 1;
			else ret = km_err_set(&e, KM_EUSAGE, "--lineage-freq: expected count or upper95, got '%s'", optarg);
			break;
		case O_MINLOCI: ret = km_opt_int("min-loci", optarg, 0, 100000, &o.min_loci, &e); break;
		case O_THREADS: ret = km_opt_int("threads", optarg, 1, 1024, &o.threads, &e); break;
		case O_TOP: ret = km_opt_int("top", optarg, 1, 1000000000, &o.top, &e); break;
		case O_MINLR: {
			double v;
			if (strcmp(optarg, "-inf") == 0) v = KM_NEG_INF;
			else if (km_parse_double(optarg, &v) < 0) { ret = km_err_set(&e, KM_EUSAGE, "--min-log10-lr: expected a number, got '%s'", optarg); break; }
			o.min_lr = v;
			break;
		}
		case O_ALL: o.all = 1; break;
		case O_QUIET: o.quiet = 1; break;
		case O_BENCH: o.bench = 1; break;
		case O_STORE: o.store = optarg; break;   /* results store (store) */
		case O_INCR: o.incremental = 1; break;
		case O_SNPPOS: o.snp_positions = optarg; break;   /* models (issue 12) */
		case O_TYPERR: ret = km_opt_double("typing-error", optarg, 0, 1, 0, 1, &o.typing_error, &e); break;   /* models (issue 12) */
		case O_EXPLAIN: ret = km_opt_int("explain-top", optarg, 0, 1000000, &o.explain_top, &e); break;
		case O_KEEPGOING: o.keep_going = 1; break;   /* ops */
		/* --dvi (identification) */
		case O_DVI: dvi.on = 1; break;
		case O_DVI_T: {
			double v;
			if ((ret = km_opt_double("dvi-threshold", optarg, 1, HUGE_VAL, 1, 1, &v, &e)) == 0) dvi.log10_t = log10(v);
			break;
		}
		case O_DVI_MINLR:
			if (strcmp(optarg, "-inf") == 0) dvi.min_lr = KM_NEG_INF;
			else if (km_parse_double(optarg, &dvi.min_lr) < 0 || isnan(dvi.min_lr) || isinf(dvi.min_lr))
				ret = km_err_set(&e, KM_EUSAGE, "--dvi-min-log10-lr: expected a number or -inf, got '%s'", optarg);
			break;
		case O_DVI_KEEP: ret = km_opt_int("dvi-keep", optarg, 0, 1000000000, &dvi.keep, &e); break;
		case O_DVI_MAXA: ret = km_opt_double("dvi-max-assign", optarg, 1, 1e15, 0, 0, &dvi.max_assign, &e); break;
		case O_DVI_MINPOST: ret = km_opt_double("dvi-min-posterior", optarg, 0, 1, 1, 0, &dvi.min_post, &e); break;
		case O_DVI_NOUND: dvi.no_undisputed = 1; break;
		case O_SHARD: ret = km_shard_parse(optarg, &o.shard_k, &o.shard_n, &e); break;   /* issue 17 */
		case O_HELP: match_usage(stdout, &d); return 0;
		default: return km_opt_unknown("match", c, argv, &e);   /* ops: one line, exit 64 */
		}
		if (ret < 0) { km_err_print(&e); return km_exit_code(ret); }
	}
	if (optind < argc) { km_err_set(&e, KM_EUSAGE, "unexpected argument '%s' (see kinmatch match --help)", argv[optind]); km_err_print(&e); return km_exit_code(KM_EUSAGE); }
	if ((ret = km_opt_check(&o, &e)) < 0) { km_err_print(&e); return km_exit_code(ret); }
	/* ---- sharded runs (issue 17, shard.h): a shard's result is for the merge, which runs
	 * what needs every family; both compute the key of the options and inputs, so the
	 * merge refuses shards of another night */
	char shard_key[65] = "";
	kstring_t shard_opts = { 0, 0, NULL };
	if (o.shard_n > 0 && (o.store || o.keep_going)) {
		km_err_set(&e, KM_EUSAGE, "--shard with %s is not implemented yet: run the shards and the merge without it (README, Running on a cluster)",
		           o.store ? "--store" : "--keep-going");
		km_err_print(&e);
		return km_exit_code(KM_EUSAGE);
	}
	if (o.shard_n > 0 || km_merge_in) {
		for (int i = 0; match_opts[i].name; ++i) {
			const char *nm = match_opts[i].name;
			if (!given[i] || !strcmp(nm, "out") || !strcmp(nm, "threads") || !strcmp(nm, "quiet") || !strcmp(nm, "shard") ||
			    !strcmp(nm, "help") || !strcmp(nm, "bench") || !strcmp(nm, "store"))   /* --store: the merge's own */
				continue;
			if (strpbrk(given[i], "\t\n")) {
				km_err_set(&e, KM_EUSAGE, "--shard: the value of --%s holds a tab or a newline", nm);
				km_err_print(&e);
				free(shard_opts.s);
				return km_exit_code(KM_EUSAGE);
			}
			ksprintf(&shard_opts, "%s\t%s\t%s\n", match_opts[i].has_arg == no_argument ? "flag" : "opt", nm,
			         match_opts[i].has_arg == no_argument ? "" : given[i]);
		}
		const char *files[] = { o.panel, o.freqs, o.remains, o.references, o.pedigrees, o.remain_info, o.mtdna, o.mt_db, o.y_db,
		                        o.snp_positions };
		if ((ret = km_shard_key(shard_key, shard_opts.s ? shard_opts.s : "", files, 10, &e)) < 0) {
			km_err_print(&e);
			free(shard_opts.s);
			return km_exit_code(ret);
		}
		if (km_merge_in && strcmp(shard_key, km_merge_in->key) != 0) {
			km_err_set(&e, KM_EINPUT, "merge: the input files differ from those the shards ran with (a file changed since; the shards' key %.12s, now %.12s)",
			           km_merge_in->key, shard_key);
			km_err_print(&e);
			free(shard_opts.s);
			return km_exit_code(KM_EINPUT);
		}
	}
	/* ---- end sharded runs */
	if (o.quiet) km_verbose = 0;
	km_tsv_set_threads(o.threads);
	if (o.min_freq < 0) o.min_freq = o.freq_n > 0 ? 5.0 / (2.0 * (double)o.freq_n) : 0.001;   /* ISFG: 5/2N */

	/* ---- output layer (ops): --out is created, locked and probed before any loading, so
	 * an unwritable or busy --out fails at once; every file of the run is a sink of `out`
	 * and they are committed together at the end (out.h) */
	km_out_t *out = NULL;
	if ((ret = km_out_open(&out, o.out, &e)) < 0) { km_err_print(&e); return km_exit_code(ret); }
	km_out_manifest(out, "match", argc + 1, argv - 1);   /* argv[-1]: main's argv[0] */
	match_manifest(out, &o, &dvi, given);
	if (o.shard_n > 0) km_out_option(out, "shard", "%d/%d", o.shard_k, o.shard_n);   /* issue 17 */
	if (km_merge_in) {   /* issue 17: the merge lists its shards' manifests (path, sha256) */
		km_out_count(out, "shards", km_merge_in->n);
		for (int i = 0; i < km_merge_in->n; ++i) {
			char *mf = malloc(strlen(km_merge_in->dir[i]) + 16);
			if (!mf) continue;
			sprintf(mf, "%s/manifest.json", km_merge_in->dir[i]);
			km_out_input(out, "shard", mf);
			free(mf);
		}
	}
	/* ---- end output layer */

	/* ---- results store (store): opened (created, migrated) before any loading, so a bad
	 * or newer store fails at once */
	km_incr_t *inc = NULL;
	if ((ret = km_incr_open(&inc, &o, match_opts, argc, argv, &e)) < 0) { km_err_print(&e); km_out_abort(out); return km_exit_code(ret); }
	/* ---- end results store */

	km_panel_t panel = { 0 };
	km_freqs_t freqs = { 0 };
	km_prof_t rem = { 0 }, refs = { 0 };
	km_peds_t peds = { 0 };
	km_index_t ix = { 0 };
	km_tabs_t tabs = { 0 };
	km_hits_t hits = { 0 };
	km_comp_t *comp = NULL;
	km_lin_t *lin = NULL;
	km_linfiles_t linf = { 0 };       /* --y-db, --mtdna, --mt-db as read in the load phase */
	km_stats_t st = { 0 };
	double *rd = NULL;
	int *rsex = NULL;   /* models: per remain sex (amel.c), 0 unknown */
	int *rsex_given = NULL;   /* remain sex (dvi): --remain-info `sex` */
	double *re = NULL;  /* models: per remain typing-error rate (issue 12 part 1) */
	km_istat_t ist = { 0 };   /* --dvi (declared before the first goto fail: explain frees its concl_cand) */
	km_rank_sum_t sum = { 0 };  /* ops: the summary's counts */
	int n_omitted = 0;        /* ops: families left out by --keep-going */
	km_xpair_t *xpairs = NULL;
	size_t n_xpair = 0;
	km_rpair_t *rpairs = NULL;   /* --dvi: the remains among themselves (rpairs.c) */
	size_t n_rpair = 0;
	km_rpstat_t rpst = { 0 };
	int *fsh = NULL;          /* --shard: each family's shard (shard.h) */
	double t0 = km_now(), t_load = 0, t_scan = 0, t_write = 0, t_dvi = 0, t_incon = 0;   /* t_incon: the `inconsistent` column */
	km_prog_init(o.quiet);   /* ops: progress on a terminal */
	km_prog_phase("load", file_bytes(o.panel) + file_bytes(o.freqs) + file_bytes(o.remains) + file_bytes(o.references) +
	              file_bytes(o.pedigrees) + file_bytes(o.remain_info) + file_bytes(o.y_db) + file_bytes(o.mtdna) + file_bytes(o.mt_db));
	if ((ret = km_panel_load(&panel, o.panel, &e)) < 0) goto fail;
	km_prog_add(file_bytes(o.panel));
	if (o.snp_positions && (ret = km_snppos_load(&panel, o.snp_positions, &e)) < 0) goto fail;   /* models (issue 12) */
	if ((ret = km_freqs_load(&freqs, &panel, o.freqs, o.min_freq, &e)) < 0) goto fail;
	if ((ret = km_freqs_check_panel(&freqs, &panel, &e)) < 0) goto fail;
	km_prog_add(file_bytes(o.freqs));
	if ((ret = km_prof_load(&rem, &panel, &freqs, o.remains, &e)) < 0) goto fail;
	km_prog_add(file_bytes(o.remains));
	if ((ret = load_refs_peds(&o, km_merge_in && !dvi.on && o.explain_top == 0 && !o.store, &panel, &freqs, &rem, &refs,
	                          &peds, &fsh, &e)) < 0)
		goto fail;
	/* the lineage files, read here with the others (issue 10: lineage.c opens no file) */
	if ((ret = km_linfiles_load(&linf, &panel, o.y_db, o.mtdna, o.mt_db, &e)) < 0) goto fail;
	km_prog_add(file_bytes(o.y_db) + file_bytes(o.mtdna) + file_bytes(o.mt_db));
	if (!(rd = malloc(sizeof(double) * ((size_t)rem.n_sample + 1)))) { ret = km_err_set(&e, KM_ENOMEM, "out of memory"); goto fail; }
	if (!(re = malloc(sizeof(double) * ((size_t)rem.n_sample + 1)))) { ret = km_err_set(&e, KM_ENOMEM, "out of memory"); goto fail; }
	for (int r = 0; r < rem.n_sample; ++r) rd[r] = o.dropout, re[r] = o.typing_error;
	if (o.remain_info) {
		int n_other;
		if ((ret = km_rinfo_load(rd, re, &rem, o.remain_info, &n_other, &e)) < 0) goto fail;
		if (n_other) km_warn("%s: %d rows name samples that are not among the remains; ignored", o.remain_info, n_other);
		/* remain sex (dvi): restricts candidates in matches.tsv and the identification;
		 * given where the file says, else amelogenin's */
		int any;
		if (!(rsex_given = malloc(sizeof(int) * ((size_t)rem.n_sample + 1)))) { ret = km_err_set(&e, KM_ENOMEM, "out of memory"); goto fail; }
		if ((ret = km_rinfo_sex(rsex_given, &rem, o.remain_info, &any, &e)) < 0) goto fail;
		if (!any) { free(rsex_given); rsex_given = NULL; }
	}
	/* models (issue 12 part 4): sex from amelogenin; a reference contradicting its
	 * pedigree is an input error, a remain's call feeds its sex */
	if ((ret = km_amel_check_refs(&peds, &refs, &panel, &freqs, &e)) < 0) goto fail;
	if (!(rsex = calloc((size_t)rem.n_sample + 1, sizeof *rsex))) { ret = km_err_set(&e, KM_ENOMEM, "out of memory"); goto fail; }
	km_amel_remains(rsex, &panel, &freqs, &rem, rd, rsex_given, o.remain_info);
	{
		km_linopt_t lo;
		km_linfiles_opt(&linf, &lo, o.mt_rate, o.lineage_freq == 1);
		if ((ret = km_lin_build(&lin, &lo, &panel, &freqs, &rem, &refs, &peds, &e)) < 0) goto fail;
		km_linfiles_destroy(&linf);   /* the index holds what it needs */
	}
	if ((ret = km_index_build_te(&ix, &panel, &rem, rd, re, lin, &e)) < 0) goto fail;
	if (!o.all && o.min_loci > 0) {   /* ops: every remain the threshold hides is named (warnings.tsv) */
		int n_few = 0;
		for (int r = 0; r < rem.n_sample; ++r) {
			int n = 0;
			for (int l = 0; l < ix.n_loc; ++l) n += ix.gidx[(size_t)r * ix.n_loc + l] != 0;
			n += (int)(ix.drop_start[r + 1] - ix.drop_start[r]);
			if (n >= o.min_loci) continue;
			++n_few;
			km_out_warn(out, "remain_few_loci", rem.sample[r], "typed at %d loci, fewer than --min-loci %d: no candidates (%s:%d)",
			            n, o.min_loci, rem.fn ? rem.fn : o.remains, rem.line ? rem.line[r] : 0);
		}
		if (n_few > 0)
			km_warn("%d of %d remains are typed at fewer than --min-loci %d loci and get no candidates; lower --min-loci to see them (each named in %s/warnings.tsv)",
			        n_few, rem.n_sample, o.min_loci, o.out);
		km_out_count(out, "remains_left_out", n_few);
	}
	{	/* ops: reference profiles no pedigree uses, or filed under a missing person's id */
		char *used = calloc((size_t)refs.n_sample + 1, 1);
		int n_unused = 0, n_mid = 0;
		if (!used) { ret = km_err_set(&e, KM_ENOMEM, "out of memory"); goto fail; }
		for (int f = 0; f < peds.n_family; ++f)
			for (int i = 0; i < peds.fam[f].n_person; ++i) {
				const km_person_t *P = &peds.fam[f].person[i];
				if (P->role == KM_ROLE_REFERENCE && P->sample >= 0) used[P->sample] = 1;
				int s2;
				if (P->role == KM_ROLE_MISSING && (s2 = km_prof_find(&refs, P->id)) >= 0) {
					++n_mid;
					km_out_warn(out, "reference_is_missing_id", refs.sample[s2], "a reference profile (%s:%d) has the id of missing person '%s' of family '%s' (%s:%d)",
					            o.references, refs.line ? refs.line[s2] : 0, P->id, peds.fam[f].id, o.pedigrees, P->line);
				}
			}
		for (int s2 = 0; s2 < refs.n_sample; ++s2)
			if (!used[s2]) {
				++n_unused;
				km_out_warn(out, "reference_unused", refs.sample[s2], "no pedigree names this reference profile (%s:%d)", o.references, refs.line ? refs.line[s2] : 0);
			}
		free(used);
		if (n_unused > 0) km_warn("%d reference profiles are named by no pedigree (listed in %s/warnings.tsv)", n_unused, o.out);
		if (n_mid > 0) km_warn("%d reference profiles have a missing person's id (listed in %s/warnings.tsv)", n_mid, o.out);
		km_out_count(out, "references_unused", n_unused);
		km_out_count(out, "references_with_missing_id", n_mid);
	}
	if ((ret = km_cands_build(&tabs, &peds, &e)) < 0) goto fail;
	tabs.rsex = rsex;   /* remain sex (dvi) */
	if (o.shard_n > 0) {   /* issue 17: this shard's families only (the stable split of shard.h) */
		int n_all = tabs.n_cand;
		km_shard_filter(&tabs, fsh, o.shard_k);
		km_out_count(out, "shard_candidates", tabs.n_cand);
		km_out_count(out, "all_candidates", n_all);
		/* one row more per remain than a single run ranks, so the merged ranking and its
		 * tie column are exact (shard.c) */
		if (!o.all) o.top += 1;
	}
	/* --dvi: the scan keeps every pair the identification stores (identrun.c's threshold,
	 * min(0, --dvi-min-log10-lr)), so the stage does not compile every candidate again;
	 * with --store the scan runs on sub-problems (store_incr.c) and the stage compiles
	 * (not in a merge: its pairs are the shards' sparse pairs) */
	if (dvi.on && (!o.store || km_merge_in)) o.sparse = 1, o.sparse_lr = dvi.min_lr < 0.0 ? dvi.min_lr : 0.0;
	km_prog_phase("compile and scan", tabs.n_cand);   /* ops: scan.c adds each tile's candidates */
	/* core (issue 10): compile and scan get their own options, not km_opt_t */
	km_copt_t copt = km_copt_of(&o);
	km_sopt_t sopt = km_sopt_of(&o);
	if (o.bench) sopt.tile_hook = km_bench_tile;   /* the reference kernel, a bench-only path */
	if ((ret = km_comp_init(&comp, &ix, &panel, &freqs, &refs, &peds, lin, &copt, &e)) < 0) goto fail;
	t_load = km_now();
	/* ---- results store (store): km_incr_scan is km_scan without --store; with it, it keeps
	 * the ranked rows for the next night, and with --incremental it reuses the last run's */
	km_incr_ctx_t ictx = { &panel, &freqs, &rem, &refs, &peds, rd, lin, &o, &sopt };
	if (km_merge_in) {   /* issue 17: the shards' rows instead of a scan; a store gets the
		                  * run without incremental state (the shards kept no deeper lists) */
		if ((ret = km_incr_plan(inc, &ictx, &e)) < 0) goto fail;
		km_incr_no_state(inc);
		ret = km_shard_load(&hits, km_merge_in, &tabs, &peds, &rem, &ix, comp, &sopt, &e);
		st.n_inconsistent = km_merge_in->n_inconsistent;
	} else {
		if ((ret = km_incr_plan(inc, &ictx, &e)) < 0) goto fail;
		ret = km_incr_scan(inc, &ictx, &hits, &tabs, &ix, comp, &st, &e);
	}
	/* ---- end results store */
	/* ---- keep-going (ops, issue 15 part 4): a family the engine refuses is named with its
	 * pedigree line; with --keep-going it is left out (warnings.tsv, the summary, exit 3)
	 * and the scan runs again over the other families, so their rows are exactly those of
	 * a run without the refused families.  With --store the scan runs on sub-problems
	 * whose candidate numbers are not ours: a refusal then stops the job with the
	 * engine's message (README) */
	for (int pass = 0; ret == KM_EMODEL && st.n_refused > 0 && !inc; ++pass) {
		const km_family_t *F = &peds.fam[tabs.cand[st.refused[0]].fam];
		if (!o.keep_going || pass == 2) {
			ret = km_err_set(&e, KM_EMODEL, "%s:%d: family '%s' cannot be computed: %s (--keep-going leaves such a family out and finishes the others)",
			                 o.pedigrees, F->line, F->id, st.refused_msg[0]);
			goto fail;
		}
		char *drop = calloc((size_t)peds.n_family + 1, 1);
		if (!drop) { ret = km_err_set(&e, KM_ENOMEM, "out of memory"); goto fail; }
		for (int k = 0; k < st.n_refused; ++k) {
			int f = tabs.cand[st.refused[k]].fam;
			if (drop[f]) continue;
			drop[f] = 1, ++n_omitted;
			km_out_warn(out, "family_omitted", peds.fam[f].id, "%s:%d: family '%s' left out (--keep-going): %s",
			            o.pedigrees, peds.fam[f].line, peds.fam[f].id, st.refused_msg[k]);
			if (km_verbose >= 1)   /* not km_warn: warnings.tsv has the row already */
				fprintf(stderr, "kinmatch: warning: %s:%d: family '%s' left out (--keep-going): %s\n", o.pedigrees, peds.fam[f].line, peds.fam[f].id, st.refused_msg[k]);
		}
		int nc = 0;
		for (int ci = 0; ci < tabs.n_cand; ++ci)
			if (!drop[tabs.cand[ci].fam]) tabs.cand[nc++] = tabs.cand[ci];
		tabs.n_cand = nc;
		free(drop);
		km_scanstat_free(&st);
		memset(&st, 0, sizeof st);
		/* the counts live in st, reset above (core: km_stats_t) */
		ret = km_incr_scan(inc, &ictx, &hits, &tabs, &ix, comp, &st, &e);
	}
	km_out_count(out, "families_omitted", n_omitted);
	/* ---- end keep-going */
	if (ret < 0) goto fail;
	/* models (issue 12 part 1): with typing error, count each row's incompatible loci */
	t_incon = km_now();
	/* a shard counts its own rows (they travel in rows.tsv), so the merge needs no reference */
	if (!km_merge_in && (o.typing_error > 0.0 || ix.max_e > 0.0) && (ret = km_hits_incon(&hits, &tabs, &ix, comp, o.threads, &e)) < 0) goto fail;
	t_incon = km_now() - t_incon;
	if (o.shard_n > 0) {   /* issue 17: the shard result; the merge does the rest */
		km_incon_t *iv = NULL;
		size_t n_iv = 0;
		if ((ret = km_comp_incon(comp, &iv, &n_iv, &e)) < 0) goto fail;
		FILE *fi = km_out_add(out, "shard.info", &e), *fr = fi ? km_out_add(out, "rows.tsv", &e) : NULL;
		FILE *fs = fr && dvi.on ? km_out_add(out, "sparse.tsv", &e) : NULL, *fc = fr && (fs || !dvi.on) ? km_out_add(out, "incon.tsv", &e) : NULL;
		if (!fc) { free(iv); ret = KM_ECREATE; goto fail; }
		km_shard_out_t so = { o.shard_k, o.shard_n, shard_key, shard_opts.s ? shard_opts.s : "", (long)st.n_inconsistent };
		ret = km_shard_write(fi, fr, fs, fc, &so, &hits, &tabs, &peds, &rem, iv, n_iv, &e);
		free(iv);
		if (ret < 0) goto fail;
		t_scan = km_now();
		goto commit;
	}
	/* the tie column is written with --dvi only (lead decision D1: without it matches.tsv stays
	 * byte-identical to 464ba7a); the scan marks ties either way, so rank and top-K are the same */
	if (!dvi.on) { free(hits.tie); hits.tie = NULL; }
	t_scan = km_now();
	/* ---- output layer (ops): every file of the run is a sink of `out`, committed together */
	/* --dvi: the identification's three files are sinks too, so they commit with
	 * matches.tsv or not at all */
	double t_dvi0 = km_now();
	if (dvi.on) {
		km_prog_phase("identify", 0);   /* ops */
		if (o.explain_top > 0 && !(ist.concl_cand = malloc(sizeof(int) * ((size_t)rem.n_sample + 1)))) {   /* explain (issue 13) */
			ret = km_err_set(&e, KM_ENOMEM, "out of memory");
			goto fail;
		}
		for (int r = 0; ist.concl_cand && r < rem.n_sample; ++r) ist.concl_cand[r] = -1;
		km_iin_t iin = { &o, &dvi, &panel, &freqs, &rem, &refs, &peds, &ix, &tabs, comp, rd, re, rsex,
		                 ix.sys_start[KM_SYS_Y] < ix.sys_start[KM_N_SYS], NULL, 0, lin, hits.sp, hits.n_sp, hits.sparse_on };
		FILE *f_und = km_out_add(out, "undisputed.tsv", &e), *f_joint = f_und ? km_out_add(out, "joint.tsv", &e) : NULL;
		FILE *f_id = f_joint ? km_out_add(out, "identifications.tsv", &e) : NULL;
		if (!f_id) { ret = KM_ECREATE; goto fail; }
		/* results store (store): the analysts' reviews carry into the identification */
		km_review_t *rv = NULL;
		int n_rv = 0;
		if (o.store && (ret = km_store_reviews(o.store, &rv, &n_rv, &e)) < 0) goto fail;
		iin.rv = rv, iin.n_rv = n_rv;
		ret = km_ident_run(&iin, f_und, f_joint, f_id, &ist, &e);
		km_store_reviews_free(rv, n_rv);
		if (ret < 0) goto fail;
		/* direct matches among the remains (issue 11 part 6): every pair of remains as the
		 * same person, parent and child, full siblings, at --dvi-threshold */
		km_rpin_t rpin = { &rem, rd, re, rsex };
		if (o.theta > 0.0) {   /* not implemented under theta: said, and no file rather than a wrong one */
			km_warn("--dvi with --theta %g: the direct matches among the remains (remain-pairs.tsv) are implemented for theta = 0 only and were not computed",
			        o.theta);
		} else {
			if ((ret = km_rpairs_find(&rpairs, &n_rpair, &panel, &freqs, &rpin, dvi.log10_t, &o, &rpst, &e)) < 0) goto fail;
			FILE *f_rp = km_out_add(out, "remain-pairs.tsv", &e);
			if (!f_rp) { ret = KM_ECREATE; goto fail; }
			if ((ret = km_rpairs_write(f_rp, rpairs, n_rpair, &rem, &e)) < 0) goto fail;
		}
		/* reported, never merged: each pair judged one person is named in warnings.tsv,
		 * since the identification above treated the two as separate remains */
		for (size_t i = 0; i < n_rpair; ++i)
			if (rpairs[i].rel == KM_RP_SAME)
				km_out_warn(out, "remains_same_person", rem.sample[rpairs[i].r1],
				            "remains '%s' and '%s' look like one person (log10 LR %.2f on %d loci, remain-pairs.tsv); the identification treats them as two remains",
				            rem.sample[rpairs[i].r1], rem.sample[rpairs[i].r2], rpairs[i].lr, rpairs[i].loci);
		if (rpst.n_rel[KM_RP_SAME] > 0)
			km_warn("--dvi: %ld pair%s of remains look like one person (bone fragments of one body?): listed in %s/remain-pairs.tsv and warnings.tsv; the identification treats them as separate remains",
			        rpst.n_rel[KM_RP_SAME], rpst.n_rel[KM_RP_SAME] == 1 ? "" : "s", o.out);
		t_dvi = km_now() - t_dvi0;
		if (ist.n_lin_left_out > 0)
			km_warn("--dvi: %ld famil%s: a joint term with two or more remains placed on one male or maternal line left "
			        "that line's Y-STR or mtDNA term out (covered: Y with one common reference; README, Identification)",
			        ist.n_lin_left_out, ist.n_lin_left_out == 1 ? "y" : "ies");
	}
	km_prog_phase(o.explain_top > 0 ? "explain" : "write", 0);   /* ops */
	{	/* explain (issue 13): the inconsistent pairs by name, explain.tsv and families.tsv */
		km_xctx_t X = { &ix, comp, &tabs, &panel, &freqs, &rem, &refs, &peds, lin, &o, o.threads };
		FILE *fp;
		char *where = malloc(strlen(o.out) + 32);
		if (!where) { ret = km_err_set(&e, KM_ENOMEM, "out of memory"); goto fail; }
		sprintf(where, "%s/inconsistent.tsv", o.out);
		if (!(fp = km_out_add(out, "inconsistent.tsv", &e))) { free(where); ret = KM_ECREATE; goto fail; }
		ret = km_explain_incon(fp, &X, 5, where, &e);
		free(where);
		if (ret < 0) goto fail;
		if (o.explain_top > 0) {
			if ((ret = km_explain_select(&xpairs, &n_xpair, &hits, o.explain_top, ist.concl_cand, &rem, &e)) < 0) goto fail;
			if (!(fp = km_out_add(out, "explain.tsv", &e))) { ret = KM_ECREATE; goto fail; }
			if ((ret = km_explain_write(fp, &X, xpairs, n_xpair, &e)) < 0) goto fail;
			if (!(fp = km_out_add(out, "families.tsv", &e))) { ret = KM_ECREATE; goto fail; }
			if ((ret = km_explain_families(fp, &X, xpairs, n_xpair, &e)) < 0) goto fail;
		}
	}
	{
		FILE *fp = km_out_add(out, "matches.tsv", &e);
		if (!fp) { ret = KM_ECREATE; goto fail; }
		if ((ret = km_out_matches(fp, &hits, &tabs, &peds, &rem, lin, &e)) < 0) goto fail;
	}
	/* the summary's counts, into the manifest (others add theirs with km_out_count) */
	km_rank_summary(&sum, &hits, &tabs);
	km_out_count(out, "remains", rem.n_sample);
	km_out_count(out, "missing_persons", tabs.n_cand);
	km_out_count(out, "families", peds.n_family);
	km_out_count(out, "loci", ix.n_loc);
	km_out_count(out, "rows", (double)hits.n);
	km_out_count(out, "rows_log10_lr_ge_4", (double)sum.n4);
	km_out_count(out, "remains_log10_lr_ge_4", sum.r4);
	km_out_count(out, "remains_strong_for_two_families", sum.rconf);
	km_out_count(out, "missing_strong_for_two_remains", sum.cconf);
	km_out_count(out, "inconsistent_pairs", (double)st.n_inconsistent);
	if (dvi.on) {
		km_out_count(out, "undisputed", ist.n_undisputed);
		km_out_count(out, "joint", ist.n_joint);
		km_out_count(out, "inconclusive", ist.n_inconclusive);
		km_out_count(out, "no_match", ist.n_nomatch);
		if (o.theta == 0.0) {   /* remain pairs (not computed under theta) */
			km_out_count(out, "remain_pairs_same_person", rpst.n_rel[KM_RP_SAME]);
			km_out_count(out, "remain_pairs_parent_child", rpst.n_rel[KM_RP_PO]);
			km_out_count(out, "remain_pairs_full_siblings", rpst.n_rel[KM_RP_FS]);
		}
	}
commit:
	if ((ret = km_incr_begin(inc, &tabs, &e)) < 0) goto fail;   /* results store: its transaction first (store.h) */
	km_prog_phase("write", 0);   /* ops */
	ret = km_out_commit(out, &e);
	km_prog_end();
	out = NULL;
	if (ret < 0) goto fail;
	/* ---- end output layer */
	{	/* results store: the committed files read back, then the store commits */
		static const char *const ident_files[] = { "undisputed.tsv", "joint.tsv", "identifications.tsv", "remain-pairs.tsv", NULL };
		static const char *const ident_files_theta[] = { "undisputed.tsv", "joint.tsv", "identifications.tsv", NULL };
		if ((ret = km_incr_commit(inc, o.out, dvi.on ? (o.theta > 0.0 ? ident_files_theta : ident_files) : NULL, &e)) < 0) goto fail;
	}
	t_write = km_now();
	if (o.bench) {
		/* one line for bench/: phases in wall seconds (compile and scan interleave per
		 * tile, so the tile loop's wall time is split by their thread-time shares) */
		struct rusage ru;
		getrusage(RUSAGE_SELF, &ru);
		/* the reference kernel runs inside the tile loop (per tile, after the scan) but is
		 * a measuring instrument, not part of the job: its wall share is taken out */
		double kern_w = st.t_kernel / o.threads;
		double busy = st.t_compile + st.t_scan, wall = t_scan - t_load - st.t_rank - kern_w - t_incon;
		double scan_w = busy > 0 ? wall * st.t_scan / busy : 0.0;
		double comp_w = busy > 0 ? wall * st.t_compile / busy : 0.0;
		double rate = st.t_scan > 0 ? st.pairs / st.t_scan * o.threads : 0.0;
		double krate = st.t_kernel > 0 ? st.pairs / st.t_kernel * o.threads : 0.0;
		printf("threads=%d remains=%d candidates=%d loci=%d load_s=%.3f compile_s=%.3f scan_s=%.3f rank_s=%.3f write_s=%.3f "
		       "total_s=%.3f kernel_s=%.3f "
		       "pairs_per_s=%.4g locus_evals_per_s=%.4g kernel_pairs_per_s=%.4g scan_over_kernel=%.3f exact_share=%.4f "
		       "tables_computed=%ld tables_shared=%ld incon_s=%.3f peak_rss_mb=%.0f simd=%s sha=%s\n",
		       o.threads, rem.n_sample, tabs.n_cand, ix.n_loc, t_load - t0, comp_w, scan_w,
		       st.t_rank, t_write - t_scan, (t_load - t0) + comp_w + scan_w + t_incon + st.t_rank + (t_write - t_scan), kern_w,
		       rate, rate * ix.n_loc, krate, krate > 0 ? rate / krate : 0.0,
		       st.pairs > 0 ? st.exact / st.pairs : 0.0, st.n_computed, st.n_shared, t_incon, (double)ru.ru_maxrss / 1024.0, km_simd_path(), km_sha256_path());
	}
	if (!o.quiet && o.shard_n > 0)   /* issue 17 */
		fprintf(stderr, "kinmatch: shard %d/%d: %d remains against %d of the missing persons (%zu rows kept, %.1f s); merge all %d shards with: kinmatch merge --out DIR SHARD_DIR...\n",
		        o.shard_k, o.shard_n, rem.n_sample, tabs.n_cand, hits.n, t_write - t0, o.shard_n);
	if (!o.quiet && !o.shard_n) {
		if (km_merge_in) fprintf(stderr, "kinmatch: merged %d shards\n", km_merge_in->n);
		fprintf(stderr, "kinmatch: %d remains searched against %d missing persons in %d families (%d loci)\n",
		        rem.n_sample, tabs.n_cand, peds.n_family, ix.n_loc);
		if (!dvi.on)
			fprintf(stderr, "kinmatch: %zu candidates with log10 LR >= 4, for %d remains; conflicts: %d remains strong for two or more families, %d missing persons strong for two or more remains\n",
			        sum.n4, sum.r4, sum.rconf, sum.cconf);
		else   /* --dvi: from every pair, so they do not depend on --top; exchangeable apart */
			fprintf(stderr, "kinmatch: conflicts (LR >= 1e4, every pair): %d remains strong for two or more families, %d missing persons strong for two or more remains; %d exchangeable missing persons (equal LR within one family)\n",
			        ist.n_conf_rem, ist.n_conf_miss, ist.n_exch);
		double busy = st.t_compile + st.t_scan, wall = t_scan - t_load;
		/* the identification runs between scan and write: its time is its own phase, not "write" */
		fprintf(stderr, "kinmatch: load %.2f s, compile %.2f s, scan %.2f s, %swrite %.2f s (%d threads; %ld tables computed, %ld shared)\n",
		        t_load - t0, busy > 0 ? wall * st.t_compile / busy : 0.0, busy > 0 ? wall * st.t_scan / busy : 0.0,
		        dvi.on ? "identify (below), " : "", t_write - t_scan - t_dvi, o.threads, st.n_computed, st.n_shared);
		/* --dvi: the night's result as identifications */
		if (dvi.on) {
			char conf_buf[64];   /* results store */
			fprintf(stderr, "kinmatch: identification: %s%d undisputed, %d joint, %d inconclusive, %d no match (%d undisputed steps, %.2f s)\n",
			        ist.n_confirmed ? (snprintf(conf_buf, sizeof conf_buf, "%d confirmed by review, ", ist.n_confirmed), conf_buf) : "",   /* results store */
			        ist.n_undisputed, ist.n_joint, ist.n_inconclusive, ist.n_nomatch, ist.n_steps, t_dvi);
			fprintf(stderr, "kinmatch: identification: %d components, %d with two or more remains; largest %d remains, %d families; %d searched by branch and bound, %d of them stopped at the search budget (best found, not proven); undisputed steps %.2f s, bounds %.2f s, search %.2f s\n",
			        ist.n_comp, ist.n_comp_multi, ist.max_comp_rem, ist.max_comp_fam, ist.n_bounded, ist.n_stopped, ist.t_und, ist.t_bounds, ist.t_search);
			if (o.theta == 0.0)   /* remain pairs: not computed under theta (warned above) */
				fprintf(stderr, "kinmatch: remains among themselves (LR >= %g): %ld pair%s the same person, %ld parent-child, %ld full siblings (%.0f pairs of remains, each as the 3, in %.2f s, %ld tables computed, %ld shared; %s/remain-pairs.tsv)\n",
				        pow(10.0, dvi.log10_t), rpst.n_rel[KM_RP_SAME], rpst.n_rel[KM_RP_SAME] == 1 ? "" : "s", rpst.n_rel[KM_RP_PO],
				        rpst.n_rel[KM_RP_FS], 0.5 * rem.n_sample * (rem.n_sample - 1.0), rpst.t, rpst.n_computed, rpst.n_shared, o.out);
			fprintf(stderr, "kinmatch: identification in %s/identifications.tsv (joint.tsv, undisputed.tsv)\n", o.out);
		}
		if (n_omitted > 0)   /* ops: --keep-going */
			fprintf(stderr, "kinmatch: %d families left out (--keep-going; named above and in %s/warnings.tsv): exit %d\n", n_omitted, o.out, KM_EXIT_OMITTED);
		fprintf(stderr, "kinmatch: results in %s/matches.tsv (%zu rows; best first per remain)\n", o.out, hits.n);
		if (o.explain_top > 0)   /* explain (issue 13) */
			fprintf(stderr, "kinmatch: per-locus LRs of the %d best rows of each remain in %s/explain.tsv; an HTML report: kinmatch report --run %s\n",
			        o.explain_top, o.out, o.out);
		fprintf(stderr, "kinmatch: open with: column -t -s \"$(printf '\\t')\" %s/matches.tsv | less -S   (or any spreadsheet: tab-separated)\n", o.out);
	}
fail:
	km_prog_end();   /* ops: a clean line for the error */
	if (ret < 0) km_err_print(&e);
	km_incr_close(inc);   /* results store: rolls back an open transaction */
	km_out_abort(out);   /* NULL once committed */
	free(xpairs);
	free(rpairs);
	free(ist.concl_cand);   /* explain (issue 13) */
	free(rd);
	free(rsex);
	free(rsex_given);   /* remain sex (dvi) */
	free(re);
	free(shard_opts.s);   /* issue 17 */
	free(fsh);
	km_hits_destroy(&hits);
	km_comp_destroy(comp);
	km_lin_destroy(lin);
	km_linfiles_destroy(&linf);
	km_tabs_destroy(&tabs);
	km_index_destroy(&ix);
	km_peds_destroy(&peds);
	km_prof_destroy(&refs);
	km_prof_destroy(&rem);
	km_freqs_destroy(&freqs);
	km_panel_destroy(&panel);
	km_scanstat_free(&st);
	/* ops: 3 = finished, but --keep-going left families out */
	return ret == 0 && n_omitted > 0 ? KM_EXIT_OMITTED : km_exit_code(ret);
}
