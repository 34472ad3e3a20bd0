/* cmd_history.c — `kinmatch history`: what changed from one run of the store to the next
 * (new candidates, rank changes, candidates gone, new identifications) and the reviews,
 * in time order, as one tab-separated table on stdout. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>
#include "kmpriv.h"
#include "pipe.h"
#include "store.h"

int km_cmd_history(int argc, char *argv[]);

enum { H_STORE = 256, H_REMAIN, H_HELP };

static const struct option history_opts[] = {
	{ "store", required_argument, 0, H_STORE },
	{ "remain", required_argument, 0, H_REMAIN },
	{ "help", no_argument, 0, H_HELP },
	{ 0, 0, 0, 0 }
};

static void history_usage(FILE *fp)
{
	fprintf(fp,
	        "Usage: kinmatch history --store FILE [--remain R]\n"
	        "\nPrints, run by run, what changed since the run before and every review, in time order:\n"
	        "columns  time event run remain family missing detail, where event is\n"
	        "  run         a run (detail: full|incremental, its rows, its --out directory)\n"
	        "  new         a candidate the run before did not list (detail: rank and log10 LR)\n"
	        "  rank        a candidate whose rank changed (detail: old -> new rank)\n"
	        "  gone        a candidate the run before listed and this one does not\n"
	        "  identified  a new identification (undisputed, joint, confirmed) or a changed one\n"
	        "  review      an analyst's review (detail: status, by whom, note)\n"
	        "The first run's candidates are listed only with --remain.\n"
	        "  --store FILE     the results store (must exist)\n"
	        "  --remain R       only this remain\n");
}

static const char *txt(sqlite3_stmt *q, int i)
{
	const unsigned char *t = sqlite3_column_text(q, i);
	return t ? (const char *)t : "";
}

static void print_lr(FILE *fp, sqlite3_stmt *q, int i)
{
	char b[32];
	km_fmt_lr(b, sizeof b, sqlite3_column_type(q, i) == SQLITE_NULL ? (double)NAN : sqlite3_column_double(q, i));
	fputs(b, fp);
}

/* the changes of run cur against run prev (prev = 0: the first run) */
static int run_changes(sqlite3 *db, long prev, long cur, const char *remain, const char *when, FILE *fp)
{
	static const char *sql =
		"SELECT * FROM (SELECT 'new' AS ev, c.remain AS remain, c.family AS family, c.missing AS missing, c.rank AS rank, NULL AS prank, c.log10_lr AS lr, '' AS detail FROM matches c WHERE c.run = ?2"
		"   AND (?3 IS NULL OR c.remain = ?3) AND (?1 > 0 OR ?3 IS NOT NULL)"
		"   AND NOT EXISTS (SELECT 1 FROM matches p WHERE p.run = ?1 AND p.remain = c.remain AND p.family = c.family AND p.missing = c.missing)"
		" UNION ALL SELECT 'rank', c.remain, c.family, c.missing, c.rank, p.rank, c.log10_lr, '' FROM matches c JOIN matches p"
		"   ON p.run = ?1 AND p.remain = c.remain AND p.family = c.family AND p.missing = c.missing"
		"   WHERE c.run = ?2 AND p.rank <> c.rank AND (?3 IS NULL OR c.remain = ?3)"
		" UNION ALL SELECT 'gone', p.remain, p.family, p.missing, NULL, p.rank, p.log10_lr, '' FROM matches p WHERE p.run = ?1"
		"   AND (?3 IS NULL OR p.remain = ?3)"
		"   AND NOT EXISTS (SELECT 1 FROM matches c WHERE c.run = ?2 AND c.remain = p.remain AND c.family = p.family AND c.missing = p.missing)"
		" UNION ALL SELECT 'identified', c.remain, c.family, c.missing, NULL, NULL, c.log10_lr,"
		"   c.conclusion || coalesce(' (was ' || (SELECT p.conclusion || ' ' || p.family || '/' || p.missing FROM identifications p"
		"     WHERE p.run = ?1 AND p.remain = c.remain) || ')', '') FROM identifications c"
		"   WHERE c.run = ?2 AND c.conclusion IN ('undisputed', 'joint', 'confirmed') AND (?3 IS NULL OR c.remain = ?3)"
		"   AND NOT EXISTS (SELECT 1 FROM identifications p WHERE p.run = ?1 AND p.remain = c.remain AND p.family = c.family"
		"     AND p.missing = c.missing AND p.conclusion = c.conclusion)"
		") ORDER BY remain, ev = 'identified', coalesce(rank, prank), family, missing";
	sqlite3_stmt *q = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) return -1;
	sqlite3_bind_int64(q, 1, prev);
	sqlite3_bind_int64(q, 2, cur);
	if (remain) sqlite3_bind_text(q, 3, remain, -1, SQLITE_TRANSIENT);
	else sqlite3_bind_null(q, 3);
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *ev = txt(q, 0);
		fprintf(fp, "%s\t%s\t%ld\t%s\t%s\t%s\t", when, ev, cur, txt(q, 1), txt(q, 2), txt(q, 3));
		if (strcmp(ev, "new") == 0) { fprintf(fp, "rank %d, log10 LR ", sqlite3_column_int(q, 4)); print_lr(fp, q, 6); }
		else if (strcmp(ev, "rank") == 0) { fprintf(fp, "rank %d -> %d, log10 LR ", sqlite3_column_int(q, 5), sqlite3_column_int(q, 4)); print_lr(fp, q, 6); }
		else if (strcmp(ev, "gone") == 0) fprintf(fp, "was rank %d", sqlite3_column_int(q, 5));
		else { fprintf(fp, "%s, log10 LR ", txt(q, 7)); print_lr(fp, q, 6); }
		fputc('\n', fp);
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : -1;
}

int km_cmd_history(int argc, char *argv[])
{
	const char *store = NULL, *remain = NULL;
	km_err_t e = { "" };
	int c, ret = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", history_opts, NULL)) >= 0) {
		switch (c) {
		case H_STORE: store = optarg; break;
		case H_REMAIN: remain = optarg; break;
		case H_HELP: history_usage(stdout); return 0;
		default: fprintf(stderr, "kinmatch: see kinmatch history --help\n"); return 64;
		}
	}
	if (optind < argc) { fprintf(stderr, "kinmatch: error: unexpected argument '%s' (see kinmatch history --help)\n", argv[optind]); return 64; }
	if (!store) { fprintf(stderr, "kinmatch: error: --store is required (see kinmatch history --help)\n"); return 64; }
	if (access(store, F_OK) != 0) { fprintf(stderr, "kinmatch: error: --store %s: cannot open: %s\n", store, strerror(errno)); return 66; }
	km_store_t *s = NULL;
	if ((ret = km_store_open(&s, store, 0, &e)) < 0) { km_err_print(&e); return ret == KM_EINPUT ? 65 : 74; }
	sqlite3 *db = km_store_db(s);
	/* runs and reviews in time order (a run at its finish; a run before a review of the
	 * same second) */
	static const char *sql =
		"SELECT 0, id, finished, incremental, out_dir, (SELECT count(*) FROM matches m WHERE m.run = runs.id), NULL, NULL, NULL, NULL, NULL FROM runs"
		" UNION ALL SELECT 1, id, at, NULL, NULL, NULL, remain, family, missing, status || ' by ' || by || (CASE WHEN note <> '' THEN ': ' || note ELSE '' END), NULL"
		"   FROM reviews WHERE ?1 IS NULL OR remain = ?1"
		" ORDER BY 3, 1, 2";
	sqlite3_stmt *q = NULL;
	long prev = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) goto sqfail;
	if (remain) sqlite3_bind_text(q, 1, remain, -1, SQLITE_TRANSIENT);
	else sqlite3_bind_null(q, 1);
	printf("time\tevent\trun\tremain\tfamily\tmissing\tdetail\n");
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		long id = (long)sqlite3_column_int64(q, 1);
		char when[64];
		snprintf(when, sizeof when, "%s", txt(q, 2));
		if (sqlite3_column_int(q, 0) == 0) {
			printf("%s\trun\t%ld\t\t\t\t%s, %d rows, out %s\n", when, id, sqlite3_column_int(q, 3) ? "incremental" : "full",
			       sqlite3_column_int(q, 5), txt(q, 4));
			if (run_changes(db, prev, id, remain, when, stdout) < 0) goto sqfail;
			prev = id;
		} else
			printf("%s\treview\t\t%s\t%s\t%s\t%s\n", when, txt(q, 6), txt(q, 7), txt(q, 8), txt(q, 9));
	}
	if (rc != SQLITE_DONE) goto sqfail;
	sqlite3_finalize(q);
	km_store_close(s);
	if (fflush(stdout) != 0 || ferror(stdout)) { fprintf(stderr, "kinmatch: error: cannot write the history: %s\n", strerror(errno)); return 74; }
	return 0;
sqfail:
	fprintf(stderr, "kinmatch: error: --store %s: %s\n", store, sqlite3_errmsg(db));
	sqlite3_finalize(q);
	km_store_close(s);
	return 74;
}
