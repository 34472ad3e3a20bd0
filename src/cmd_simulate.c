/* cmd_simulate.c — `kinmatch simulate`: options, then km_sim_run() (sim.c).
 * The loop only stores values; km_simopt_check() and the per-option parsers name the
 * option at fault. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "kmpriv.h"
#include "lik.h"
#include "sim.h"

int km_cmd_simulate(int argc, char *argv[]);

enum {
	O_PANEL = 256, O_FREQS, O_YDB, O_MTDB, O_MUT, O_RANGE, O_RATE2, O_MTRATE, O_FAMILIES, O_RFRAC,
	O_UNREL, O_MIX, O_FEMALE, O_TWO, O_DMEAN, O_DMAX, O_LFAIL, O_TYPERR, O_SEED, O_THREADS, O_OUT, O_GZ,
	O_QUIET, O_HELP
};

static const struct option sim_opts[] = {
	{ "panel", required_argument, 0, O_PANEL },
	{ "freqs", required_argument, 0, O_FREQS },
	{ "y-db", required_argument, 0, O_YDB },
	{ "mt-db", required_argument, 0, O_MTDB },
	{ "mutation", required_argument, 0, O_MUT },
	{ "mutation-range", required_argument, 0, O_RANGE },
	{ "mutation-rate2", required_argument, 0, O_RATE2 },
	{ "mt-mutation-rate", required_argument, 0, O_MTRATE },
	{ "families", required_argument, 0, O_FAMILIES },
	{ "remain-frac", required_argument, 0, O_RFRAC },
	{ "unrelated", required_argument, 0, O_UNREL },
	{ "mix", required_argument, 0, O_MIX },
	{ "female-frac", required_argument, 0, O_FEMALE },
	{ "two-missing", required_argument, 0, O_TWO },
	{ "dropout-mean", required_argument, 0, O_DMEAN },
	{ "dropout-max", required_argument, 0, O_DMAX },
	{ "locus-fail", required_argument, 0, O_LFAIL },
	{ "typing-error", required_argument, 0, O_TYPERR },   /* models (issue 12) */
	{ "seed", required_argument, 0, O_SEED },
	{ "threads", required_argument, 0, O_THREADS },
	{ "out", required_argument, 0, O_OUT },
	{ "gz", no_argument, 0, O_GZ },
	{ "quiet", no_argument, 0, O_QUIET },
	{ "help", no_argument, 0, O_HELP },
	{ 0, 0, 0, 0 }
};

static void sim_usage(FILE *fp, const km_simopt_t *d)
{
	fprintf(fp,
	        "Usage: kinmatch simulate --panel P --freqs F --families N --out DIR [options]\n"
	        "\nWrites DIR/pedigrees.tsv, references.tsv, remains.tsv, remain-info.tsv, truth.tsv\n"
	        "(truth: remain family missing relationship) and, with --mt-db, mtdna.tsv.\n"
	        "\nInputs (TSV, .gz):\n"
	        "  --panel FILE            markers, as for match; an amplicon_len column (bp) makes\n"
	        "                          long amplicons fail more often in remains\n"
	        "  --freqs FILE            allele frequencies of the founders, as for match\n"
	        "  --y-db FILE             Y-STR haplotypes of founders (without it: no Y-STRs)\n"
	        "  --mt-db FILE            mtDNA haplotypes of founders (without it: no mtdna.tsv)\n"
	        "\nInheritance (the models of match):\n"
	        "  --mutation MODEL        none|equal|proportional|stepwise [%s]\n"
	        "  --mutation-range R      stepwise: P(n+1 steps)/P(n steps) [%g]\n"
	        "  --mutation-rate2 R2     stepwise: integer <-> microvariant rate [%g]\n"
	        "  --mt-mutation-rate U    mtDNA substitutions per meiosis over the range [%g]\n"
	        "                          (Y-STRs: single steps at the panel's male rate)\n"
	        "\nSize and families:\n"
	        "  --families N            families, one or two missing persons each (required)\n"
	        "  --remain-frac F         share of missing persons whose remains are found [%g]\n"
	        "  --unrelated M           extra remains unrelated to every family [10%% of all remains]\n"
	        "  --mix LIST              shape weights, e.g. \"sib:0.15,nephew_b:0.2\"; shapes: sib\n"
	        "                          nephew_b nephew_s gnephew_b gnephew_s cousin parent child\n"
	        "                          halfsib [sib:%g,nephew_b:%g,nephew_s:%g,gnephew_b:%g,\n"
	        "                          gnephew_s:%g,cousin:%g,parent:%g,child:%g,halfsib:%g]\n"
	        "  --female-frac F         share of missing persons who are women [%g]\n"
	        "  --two-missing F         share of families with a second missing sibling [%g]\n"
	        "\nDegradation of remains (references are complete):\n"
	        "  --dropout-mean D        mean allelic dropout probability d of a remain [%g]\n"
	        "  --dropout-max D         d = max * Beta(4 mu, 4 (1 - mu)), mu = mean / max [%g];\n"
	        "                          --dropout-mean = --dropout-max gives every remain that d\n"
	        "  --locus-fail X          locus failure probability X * d (capped at %g), rising\n"
	        "                          as (1 - (1 - X d)^(L / mean L)) with amplicon_len L [%g]\n"
	        "  --typing-error E        miscall rate: a call replaced by a Hardy-Weinberg genotype [0]\n"
	        "\nRun:\n"
	        "  --seed S                random seed; output is byte-identical for a seed [%lu]\n"
	        "  --threads N             worker threads [%d]; the output is the same for any N\n"
	        "  --out DIR               output directory (created if needed)\n"
	        "  --gz                    write .tsv.gz (BGZF, readable by gzip)\n"
	        "  --quiet                 no summary on stderr\n",
	        km_mut_name(d->mutation), d->range, d->rate2, d->mt_rate, d->remain_frac,
	        d->mix[0], d->mix[1], d->mix[2], d->mix[3], d->mix[4], d->mix[5], d->mix[6], d->mix[7], d->mix[8],
	        d->female_frac, d->two_missing, d->dropout_mean, d->dropout_max, KM_SIM_FAIL_MAX, d->locus_fail,
	        d->seed, d->threads);
}

int km_cmd_simulate(int argc, char *argv[])
{
	km_simopt_t o, d;
	km_simstat_t st;
	km_err_t e = { "" };
	int c, ret = 0;
	long v = 0;
	double t0;
	km_simopt_init(&o);
	d = o;
	optind = 1;
	opterr = 0;   /* one-line messages of our own (km_opt_unknown) */
	while ((c = getopt_long(argc, argv, ":", sim_opts, NULL)) >= 0) {
		switch (c) {
		case O_PANEL: o.panel = optarg; break;
		case O_FREQS: o.freqs = optarg; break;
		case O_YDB: o.y_db = optarg; break;
		case O_MTDB: o.mt_db = optarg; break;
		case O_OUT: o.out = optarg; break;
		case O_MUT:
			if ((o.mutation = km_mut_parse(optarg)) < 0)
				ret = km_err_set(&e, KM_EUSAGE, "--mutation: expected none, equal, proportional or stepwise, got '%s'", optarg);
			break;
		case O_RANGE: ret = km_opt_double("mutation-range", optarg, 0, 1, 1, 0, &o.range, &e); break;
		case O_RATE2: ret = km_opt_double("mutation-rate2", optarg, 0, 1, 0, 1, &o.rate2, &e); break;
		case O_MTRATE: ret = km_opt_double("mt-mutation-rate", optarg, 0, 1, 0, 1, &o.mt_rate, &e); break;
		case O_FAMILIES: ret = km_opt_long("families", optarg, 1, 100000000, &o.n_family, &e); break;
		case O_RFRAC: ret = km_opt_double("remain-frac", optarg, 0, 1, 0, 0, &o.remain_frac, &e); break;
		case O_UNREL: ret = km_opt_long("unrelated", optarg, 0, 100000000, &o.n_unrelated, &e); break;
		case O_MIX: ret = km_sim_mix_parse(optarg, o.mix, &e); break;
		case O_FEMALE: ret = km_opt_double("female-frac", optarg, 0, 1, 0, 0, &o.female_frac, &e); break;
		case O_TWO: ret = km_opt_double("two-missing", optarg, 0, 1, 0, 0, &o.two_missing, &e); break;
		case O_DMEAN: ret = km_opt_double("dropout-mean", optarg, 0, 1, 0, 1, &o.dropout_mean, &e); break;
		case O_DMAX: ret = km_opt_double("dropout-max", optarg, 0, 1, 0, 1, &o.dropout_max, &e); break;
		case O_LFAIL: ret = km_opt_double("locus-fail", optarg, 0, 100, 0, 0, &o.locus_fail, &e); break;
		case O_TYPERR: ret = km_opt_double("typing-error", optarg, 0, 1, 0, 1, &o.typing_error, &e); break;   /* models (issue 12) */
		case O_SEED:
			if ((ret = km_opt_long("seed", optarg, 0, 2147483647L, &v, &e)) == 0) o.seed = (unsigned long)v;
			break;
		case O_THREADS:
			if ((ret = km_opt_long("threads", optarg, 1, 1024, &v, &e)) == 0) o.threads = (int)v;
			break;
		case O_GZ: o.gz = 1; break;
		case O_QUIET: o.quiet = 1; break;
		case O_HELP: sim_usage(stdout, &d); return 0;
		default: return km_opt_unknown("simulate", c, argv, &e);
		}
		if (ret < 0) { km_err_print(&e); return km_exit_code(ret); }
	}
	if (optind < argc) { km_err_set(&e, KM_EUSAGE, "unexpected argument '%s' (see kinmatch simulate --help)", argv[optind]); km_err_print(&e); return km_exit_code(KM_EUSAGE); }
	if ((ret = km_simopt_check(&o, &e)) < 0) { km_err_print(&e); return km_exit_code(ret); }
	if (o.quiet) km_verbose = 0;
	t0 = km_now();
	if ((ret = km_sim_run(&o, &st, &e)) < 0) {
		km_err_print(&e);
		return km_exit_code(ret);
	}
	if (st.n_empty > 0)
		km_warn("%ld remains lost every locus to degradation and were left out", st.n_empty);
	if (!o.quiet) {
		fprintf(stderr, "kinmatch: %ld families (%ld persons, %ld references, %ld missing); %ld remains (%ld related, %ld unrelated)\n",
		        st.n_family, st.n_person, st.n_ref, st.n_missing, st.n_remain, st.n_related, st.n_unrelated);
		fprintf(stderr, "kinmatch: shapes:");
		for (int k = 0; k < KM_N_SHAPE; ++k) fprintf(stderr, " %s %ld", km_sim_shape_name(k), st.shape[k]);
		fprintf(stderr, "\nkinmatch: %.2f s, %d threads; results in %s/\n", km_now() - t0, o.threads, o.out);
	}
	return 0;
}
