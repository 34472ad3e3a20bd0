/* cmd_review.c — `kinmatch review`: append an analyst's review of a candidate pair to the
 * store (table `reviews`; append-only, a later review of the same pair supersedes it). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kmpriv.h"
#include "store.h"

int km_cmd_review(int argc, char *argv[]);

enum { R_STORE = 256, R_REMAIN, R_FAMILY, R_MISSING, R_STATUS, R_BY, R_NOTE, R_QUIET, R_HELP };

static const struct option review_opts[] = {
	{ "store", required_argument, 0, R_STORE },
	{ "remain", required_argument, 0, R_REMAIN },
	{ "family", required_argument, 0, R_FAMILY },
	{ "missing", required_argument, 0, R_MISSING },
	{ "status", required_argument, 0, R_STATUS },
	{ "by", required_argument, 0, R_BY },
	{ "note", required_argument, 0, R_NOTE },
	{ "quiet", no_argument, 0, R_QUIET },
	{ "help", no_argument, 0, R_HELP },
	{ 0, 0, 0, 0 }
};

static void review_usage(FILE *fp)
{
	fprintf(fp,
	        "Usage: kinmatch review --store FILE --remain R --family F --missing M --status STATUS --by NAME [--note TEXT]\n"
	        "\nRecords an analyst's review of the pair (remain R = missing person M of family F) in the store.\n"
	        "Reviews are never edited: a new review of the same pair supersedes the earlier one.\n"
	        "  --store FILE     the results store of `kinmatch match --store` (must exist)\n"
	        "  --remain R       the remain's sample id\n"
	        "  --family F       the family id\n"
	        "  --missing M      the missing person's id in the family\n"
	        "  --status S       confirmed | rejected | pending (pending withdraws an earlier review)\n"
	        "  --by NAME        who reviewed it\n"
	        "  --note TEXT      free text (why) [none]\n"
	        "  --quiet          print nothing on success\n"
	        "With `match --dvi --store FILE`, a confirmed pair is placed in its family before the undisputed\n"
	        "step (conclusion `confirmed`) and a rejected pair is no candidate any more.\n"
	        "Exit: 0 recorded; 64 usage; 65 the pair was never a candidate in any run; 66 no such store; 74 store I/O.\n");
}

/* sysexits.h classes of the KM_E* codes */
static int review_exit(int ret)
{
	if (ret >= 0) return 0;
	switch (ret) {
	case KM_EUSAGE: return 64;
	case KM_EINPUT: return 65;
	case KM_ENOMEM: return 71;
	case KM_EIO: return 74;
	case KM_EOPEN: return 66;
	case KM_ECREATE: return 73;
	default: return 70;
	}
}

int km_cmd_review(int argc, char *argv[])
{
	const char *store = NULL, *status = NULL;
	km_review_t r;
	km_err_t e = { "" };
	int c, quiet = 0, ret = 0;
	char now[32];
	memset(&r, 0, sizeof r);
	optind = 1;
	while ((c = getopt_long(argc, argv, "", review_opts, NULL)) >= 0) {
		switch (c) {
		case R_STORE: store = optarg; break;
		case R_REMAIN: r.remain = optarg; break;
		case R_FAMILY: r.family = optarg; break;
		case R_MISSING: r.missing = optarg; break;
		case R_STATUS: status = optarg; break;
		case R_BY: r.by = optarg; break;
		case R_NOTE: r.note = optarg; break;
		case R_QUIET: quiet = 1; break;
		case R_HELP: review_usage(stdout); return 0;
		default: fprintf(stderr, "kinmatch: see kinmatch review --help\n"); return 64;
		}
	}
	if (optind < argc) ret = km_err_set(&e, KM_EUSAGE, "unexpected argument '%s' (see kinmatch review --help)", argv[optind]);
	else if (!store) ret = km_err_set(&e, KM_EUSAGE, "--store is required (see kinmatch review --help)");
	else if (!r.remain || !*r.remain) ret = km_err_set(&e, KM_EUSAGE, "--remain is required (see kinmatch review --help)");
	else if (!r.family || !*r.family) ret = km_err_set(&e, KM_EUSAGE, "--family is required (see kinmatch review --help)");
	else if (!r.missing || !*r.missing) ret = km_err_set(&e, KM_EUSAGE, "--missing is required (see kinmatch review --help)");
	else if (!status) ret = km_err_set(&e, KM_EUSAGE, "--status is required (see kinmatch review --help)");
	else if ((r.status = km_review_status_parse(status)) < 0) ret = km_err_set(&e, KM_EUSAGE, "--status: expected confirmed, rejected or pending, got '%s'", status);
	else if (!r.by || !*r.by) ret = km_err_set(&e, KM_EUSAGE, "--by is required: a review names who made it");
	if (ret < 0) { km_err_print(&e); return review_exit(ret); }
	km_store_now(now);
	r.at = now;
	km_store_t *s = NULL;
	if (access(store, F_OK) != 0) {   /* 66 EX_NOINPUT: review needs a store that runs have filled */
		fprintf(stderr, "kinmatch: error: --store %s: cannot open: %s\n", store, strerror(errno));
		return 66;
	}
	if ((ret = km_store_open(&s, store, 0, &e)) < 0) { km_err_print(&e); return review_exit(ret); }
	ret = km_store_review_add(s, &r, &e);
	km_store_close(s);
	if (ret < 0) { km_err_print(&e); return review_exit(ret); }
	if (!quiet) fprintf(stderr, "kinmatch: review recorded: %s = %s/%s %s by %s at %s\n", r.remain, r.family, r.missing, status, r.by, now);
	return 0;
}
