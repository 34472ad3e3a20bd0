/* main.c — kinmatch: DNA kinship likelihood ratios for identifying remains.
 * One subcommand table drives dispatch and usage. */
#include <stdio.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include "kmpriv.h"

int km_cmd_match(int argc, char *argv[]);
int km_cmd_simulate(int argc, char *argv[]);
int km_cmd_check(int argc, char *argv[]);
/* ---- results store (store) */
int km_cmd_review(int argc, char *argv[]);
int km_cmd_history(int argc, char *argv[]);
/* ---- end results store */
int km_cmd_report(int argc, char *argv[]);   /* report (issue 13) */
int km_cmd_merge(int argc, char *argv[]);    /* sharded runs (issue 17) */

static int cmd_version(int argc, char *argv[])
{
	(void)argc; (void)argv;
	printf("kinmatch %s\n", KM_VERSION);
	return 0;
}

static int cmd_help(int argc, char *argv[]);

static const struct {
	const char *name;
	int (*func)(int, char **);
	const char *help;
} cmds[] = {
	{ "match", km_cmd_match, "rank every family's missing persons for every remain by likelihood ratio" },
	{ "simulate", km_cmd_simulate, "write a simulated dataset with known truth: families, references, degraded remains" },
	{ "merge", km_cmd_merge, "merge the shard results of `match --shard K/N` into the outputs of a single run" },
	{ "report", km_cmd_report, "a self-contained HTML report of a match run: plots, per-locus LRs, pedigrees" },
	{ "check-reference", km_cmd_check, "validate a panel with its frequencies, --y-db and --mt-db; summary per marker system" },
	/* ---- results store (store) */
	{ "review", km_cmd_review, "record an analyst's review of a candidate pair in the results store (--store)" },
	{ "history", km_cmd_history, "what changed between the runs of a results store, and the reviews" },
	/* ---- end results store */
	{ "version", cmd_version, "print the version" },
	{ "help", cmd_help, "this help" },
};

static int cmd_help(int argc, char *argv[])
{
	(void)argc; (void)argv;
	printf("kinmatch %s — identify remains by DNA kinship likelihood ratios\n\nUsage: kinmatch <command> [options]\n\nCommands:\n", KM_VERSION);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); ++i) printf("  %-16s %s\n", cmds[i].name, cmds[i].help);
	printf("\n`kinmatch <command> --help` lists a command's options.\n");
	fputs(KM_EXIT_HELP, stdout);
	return 0;
}

int main(int argc, char *argv[])
{
	/* no library may abort the process: GSL's default error handler does, so it is off and
	 * every GSL result is checked where it is used (lin_paths.c lin_cp_upper95) */
	gsl_set_error_handler_off();
	if (argc < 2) { cmd_help(0, NULL); return km_exit_code(KM_EUSAGE); }
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); ++i)
		if (strcmp(argv[1], cmds[i].name) == 0) return cmds[i].func(argc - 1, argv + 1);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) return cmd_help(0, NULL);
	if (strcmp(argv[1], "--version") == 0) return cmd_version(0, NULL);
	fprintf(stderr, "kinmatch: error: unknown command '%s' (see kinmatch --help)\n", argv[1]);
	return km_exit_code(KM_EUSAGE);
}
