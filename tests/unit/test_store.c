/* test_store.c — the results store on a real SQLite file: creating, migrating an older
 * schema (built with the store's own migration steps), refusing a newer one and a file
 * that is not a store, one transaction per run (a run that dies before its commit leaves
 * the store as it was), append-only reviews and the latest review per pair. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sqlite3.h>
#include "check.h"
#include "kmpriv.h"
#include "store.h"

static long count(km_store_t *s, const char *sql)
{
	sqlite3_stmt *q = NULL;
	long n = -1;
	if (sqlite3_prepare_v2(km_store_db(s), sql, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW) n = (long)sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return n;
}

static int exec(const char *fn, const char *sql)
{
	sqlite3 *db = NULL;
	int ok = sqlite3_open(fn, &db) == SQLITE_OK && sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
	sqlite3_close(db);
	return ok;
}

/* a matches.tsv of one row in dir */
static void write_matches(const char *dir, const char *remain, const char *fam, const char *miss)
{
	char fn[256];
	snprintf(fn, sizeof fn, "%s/matches.tsv", dir);
	FILE *fp = fopen(fn, "w");
	fprintf(fp, "remain\tfamily\tmissing\trank\tlog10_lr\tlog10_lr_str\tlog10_lr_snp\tlog10_lr_x\tlog10_lr_y\tlog10_lr_mt\tloci\n");
	fprintf(fp, "%s\t%s\t%s\t1\t5.250000\t5.250000\tNA\tNA\tNA\t-inf\t20\n", remain, fam, miss);
	fclose(fp);
}

int main(void)
{
	km_err_t e = { "" };
	km_store_t *s = NULL;
	char fn[128], dir[128];
	snprintf(tmpdir, sizeof tmpdir, "/tmp/km_test_store.XXXXXX");
	if (!mkdtemp(tmpdir)) { perror("mkdtemp"); return 1; }
	snprintf(dir, sizeof dir, "%s", tmpdir);

	/* an old store: schema version 1 from the store's first migration step, with a run */
	snprintf(fn, sizeof fn, "%s/v1.db", tmpdir);
	check(exec(fn, km_store_migration(1)), "schema 1 built from migration step 1");
	check(exec(fn, "INSERT INTO runs(started, finished, out_dir, manifest) VALUES ('2026-01-01T00:00:00Z', '2026-01-01T00:01:00Z', '/x', '{}');"
	               "INSERT INTO matches VALUES (1, 'R1', 'F1', 'M1', 1, 5.25, 5.25, NULL, NULL, NULL, NULL, 20, 'row');"), "a v1 run");
	km_verbose = 0;
	int ret = km_store_open(&s, fn, 0, &e);
	check(ret == 0 && s && km_store_version(s) == KM_STORE_SCHEMA, "opening a v1 store migrates it to the current schema");
	if (s) {
		check(count(s, "SELECT count(*) FROM matches WHERE remain = 'R1'") == 1, "migration keeps the rows");
		check(count(s, "SELECT count(*) FROM identifications") == 0, "migration adds the identification tables");
		check(count(s, "SELECT incremental FROM runs WHERE id = 1") == 0, "migration adds runs.incremental with its default");
		km_store_close(s), s = NULL;
	}
	/* a newer store is refused, and left as it was */
	check(exec(fn, "UPDATE meta SET value = '99' WHERE key = 'schema_version'"), "make the store newer");
	ret = km_store_open(&s, fn, 0, &e);
	check(ret == KM_EINPUT && !s && strstr(e.msg, "schema version 99 was written by a newer kinmatch"), "a newer store is refused with a clear message");
	if (ret >= 0) printf("  got '%s'\n", e.msg);
	/* not a store */
	snprintf(fn, sizeof fn, "%s/junk.db", tmpdir);
	{ FILE *fp = fopen(fn, "w"); fputs("this is not a database, just text that is long enough to be checked by sqlite's header test\n", fp); fclose(fp); }
	ret = km_store_open(&s, fn, 0, &e);
	check(ret < 0 && !s && strstr(e.msg, "not a kinmatch store"), "a file that is not a store is refused");
	snprintf(fn, sizeof fn, "%s/other.db", tmpdir);
	check(exec(fn, "CREATE TABLE t(x)"), "an SQLite file of someone else");
	ret = km_store_open(&s, fn, 0, &e);
	check(ret < 0 && !s && strstr(e.msg, "without table 'meta'"), "an SQLite database that is not a store is refused");
	snprintf(fn, sizeof fn, "%s/none.db", tmpdir);
	ret = km_store_open(&s, fn, 0, &e);
	check(ret < 0 && !s && access(fn, F_OK) != 0, "a store that does not exist is not created without create");

	/* a new store, one run */
	snprintf(fn, sizeof fn, "%s/new.db", tmpdir);
	ret = km_store_open(&s, fn, 1, &e);
	check(ret == 0 && km_store_version(s) == KM_STORE_SCHEMA, "a new store has the current schema");
	long run = 0;
	write_matches(dir, "R1", "F1", "M1");
	ret = km_store_run_begin(s, "2026-01-01T00:00:00Z", dir, 0, "key", &run, &e);
	ret = ret < 0 ? ret : km_store_run_file(s, run, dir, "matches.tsv", &e);
	ret = ret < 0 ? ret : km_store_run_commit(s, run, "2026-01-01T00:01:00Z", "{\"a\": 1}", &e);
	check(ret == 0 && run == 1, "a run is recorded");
	check(count(s, "SELECT count(*) FROM matches WHERE run = 1 AND remain = 'R1' AND rank = 1 AND loci = 20 AND log10_lr = 5.25 AND log10_lr_snp IS NULL AND log10_lr_mt < -1e308") == 1,
	      "matches.tsv rows typed: NA is NULL, -inf is -Inf");
	km_store_close(s), s = NULL;

	/* a run that dies before its commit (a crash: the process exits, no rollback is run) */
	pid_t pid = fork();
	if (pid == 0) {
		km_store_t *c = NULL;
		long r2;
		km_err_t e2;
		if (km_store_open(&c, fn, 0, &e2) < 0) _exit(3);
		write_matches(dir, "R2", "F2", "M2");
		if (km_store_run_begin(c, "2026-01-02T00:00:00Z", dir, 0, "key", &r2, &e2) < 0) _exit(4);
		if (km_store_run_file(c, r2, dir, "matches.tsv", &e2) < 0) _exit(5);
		_exit(0);   /* dies mid-run: no commit, no close */
	}
	int st = 0;
	waitpid(pid, &st, 0);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the crashing run got as far as its rows");
	ret = km_store_open(&s, fn, 0, &e);
	check(ret == 0 && count(s, "SELECT count(*) FROM runs") == 1 && count(s, "SELECT count(*) FROM matches WHERE remain = 'R2'") == 0,
	      "a run that died before its commit left the store as before");

	/* reviews */
	km_review_t rv = { "R9", "F9", "M9", KM_REV_CONFIRMED, "ana", "", "2026-01-03T00:00:00Z", 0 };
	ret = km_store_review_add(s, &rv, &e);
	check(ret == KM_EINPUT && strstr(e.msg, "never a candidate"), "a pair that never was a candidate is refused");
	rv.remain = "R1", rv.family = "F1", rv.missing = "M1";
	check(km_store_review_add(s, &rv, &e) == 0, "a review of a candidate pair is recorded");
	check(sqlite3_exec(km_store_db(s), "UPDATE reviews SET status = 'rejected'", NULL, NULL, NULL) != SQLITE_OK, "reviews cannot be edited");
	check(sqlite3_exec(km_store_db(s), "DELETE FROM reviews", NULL, NULL, NULL) != SQLITE_OK, "reviews cannot be deleted");
	km_store_close(s), s = NULL;
	km_review_t *list = NULL;
	int n = 0;
	check(km_store_reviews(fn, &list, &n, &e) == 0 && n == 1 && list[0].status == KM_REV_CONFIRMED && strcmp(list[0].by, "ana") == 0,
	      "km_store_reviews: the confirmed review");
	km_store_reviews_free(list, n);
	km_store_open(&s, fn, 0, &e);
	rv.status = KM_REV_REJECTED, rv.by = "ben", rv.note = "wrong grave";
	km_store_review_add(s, &rv, &e);
	km_store_close(s), s = NULL;
	check(km_store_reviews(fn, &list, &n, &e) == 0 && n == 1 && list[0].status == KM_REV_REJECTED && strcmp(list[0].note, "wrong grave") == 0,
	      "a later review supersedes an earlier one");
	km_store_reviews_free(list, n);
	km_store_open(&s, fn, 0, &e);
	rv.status = KM_REV_PENDING, rv.by = "cy", rv.note = "";
	km_store_review_add(s, &rv, &e);
	check(count(s, "SELECT count(*) FROM reviews") == 3, "every review is kept");
	km_store_close(s), s = NULL;
	check(km_store_reviews(fn, &list, &n, &e) == 0 && n == 0, "a later pending review withdraws it");
	km_store_reviews_free(list, n);
	snprintf(fn, sizeof fn, "%s/none.db", tmpdir);
	check(km_store_reviews(fn, &list, &n, &e) == 0 && n == 0, "no store yet: no reviews");

	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	if (system(cmd) != 0) printf("(could not remove %s)\n", tmpdir);
	printf("%d ok, %d failed\n", n_ok, n_fail);
	return n_fail != 0;
}
