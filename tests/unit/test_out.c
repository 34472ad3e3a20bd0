/* test_out.c — the output layer (src/out.c): commit, abort, the lock, symlinks planted
 * under a result's or a temp's name, stale temps, a journal left by a killed commit, an
 * output directory that cannot be made. */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "check.h"
#include "kmpriv.h"
#include "out.h"



static void put(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	if (fp) fputs(text, fp), fclose(fp);
}

static int has(const char *path, const char *text)
{
	char buf[256] = { 0 };
	FILE *fp = fopen(path, "r");
	if (!fp) return 0;
	size_t n = fread(buf, 1, sizeof buf - 1, fp);
	fclose(fp);
	buf[n] = 0;
	return strcmp(buf, text) == 0;
}

/* the names in dir, sorted, joined by ' ' */
static void list(const char *dir, char *out, size_t n)
{
	struct dirent **de;
	int k = scandir(dir, &de, NULL, alphasort);
	out[0] = 0;
	for (int i = 0; i < k; ++i) {
		if (strcmp(de[i]->d_name, ".") && strcmp(de[i]->d_name, "..")) {
			if (out[0]) strncat(out, " ", n - strlen(out) - 1);
			strncat(out, de[i]->d_name, n - strlen(out) - 1);
		}
		free(de[i]);
	}
	if (k >= 0) free(de);
}

static int is_symlink(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

int main(void)
{
	km_err_t e = { "" };
	km_out_t *o = NULL, *o2 = NULL;
	char d[512], p[600], q[600], ls[2048];
	snprintf(tmpdir, sizeof tmpdir, "/tmp/km_test_out.%d", (int)getpid());
	snprintf(d, sizeof d, "%s/a/b", tmpdir);

	/* 1. open makes the directories; two sinks commit together */
	int ret = km_out_open(&o, d, &e);
	check(ret == 0 && o, "open makes DIR (mkdir -p)");
	FILE *f1 = km_out_add(o, "one.tsv", &e), *f2 = km_out_add(o, "two.tsv", &e);
	check(f1 && f2, "two sinks");
	check(km_out_add(o, "one.tsv", &e) == NULL, "a name twice is refused");
	check(km_out_add(o, "x/y", &e) == NULL, "a name with '/' is refused");
	fputs("1\n", f1), fputs("2\n", f2);
	list(d, ls, sizeof ls);
	check(strncmp(ls, KM_OUT_TMP_PREFIX "one.tsv.", strlen(KM_OUT_TMP_PREFIX "one.tsv.")) == 0, "before commit: only temps");
	snprintf(p, sizeof p, "%s/one.tsv", d);
	check(access(p, F_OK) != 0, "before commit: no result yet");
	check(km_out_commit(o, &e) == 0, "commit");
	list(d, ls, sizeof ls);
	check(strcmp(ls, "one.tsv two.tsv") == 0, "after commit: the results, no temp, no journal");
	check(has(p, "1\n"), "content of one.tsv");
	struct stat st;
	mode_t um = umask(0);
	umask(um);
	check(stat(p, &st) == 0 && (st.st_mode & 0777) == (0666 & ~um), "mode as fopen would make it");

	/* 2. abort: earlier results stay, temps go */
	check(km_out_open(&o, d, &e) == 0, "reopen");
	f1 = km_out_add(o, "one.tsv", &e);
	fputs("new\n", f1);
	km_out_abort(o);
	list(d, ls, sizeof ls);
	check(strcmp(ls, "one.tsv two.tsv") == 0 && has(p, "1\n"), "abort keeps the earlier result and leaves no temp");

	/* 3. an aborted run into a new directory leaves no directory behind */
	snprintf(q, sizeof q, "%s/new/deeper", tmpdir);
	check(km_out_open(&o, q, &e) == 0, "open a new nested DIR");
	km_out_add(o, "m.tsv", &e);
	km_out_abort(o);
	snprintf(q, sizeof q, "%s/new", tmpdir);
	check(access(q, F_OK) != 0, "abort removes the directories it made");

	/* 4. the lock: a second open of the same DIR is refused at once */
	check(km_out_open(&o, d, &e) == 0, "first job locks DIR");
	char msg[1100];
	snprintf(msg, sizeof msg, "--out %s: another kinmatch job is writing to this directory; wait for it to finish or choose another --out", d);
	ret = km_out_open(&o2, d, &e);
	check(ret == KM_EBUSY && o2 == NULL, "second job refused with KM_EBUSY");
	check_err("second job's message", ret, &e, msg);
	km_out_abort(o);
	check(km_out_open(&o2, d, &e) == 0, "after the first job, DIR is free again");
	km_out_abort(o2);

	/* 5. a symlink planted as the result: replaced by a regular file, target untouched */
	snprintf(q, sizeof q, "%s/outside.tsv", tmpdir);
	put(q, "precious\n");
	unlink(p);
	check(symlink(q, p) == 0, "plant one.tsv -> outside.tsv");
	check(km_out_open(&o, d, &e) == 0, "open");
	f1 = km_out_add(o, "one.tsv", &e);
	fputs("fresh\n", f1);
	check(km_out_commit(o, &e) == 0, "commit over a symlink");
	check(!is_symlink(p) && has(p, "fresh\n"), "one.tsv is now a regular file with the new result");
	check(has(q, "precious\n"), "the symlink's target was not written through");

	/* 6. symlinks planted under temp names (ours and the old fixed one): removed, not followed */
	char t1[600], t2[600];
	snprintf(t1, sizeof t1, "%s/%sone.tsv.AAAAAA", d, KM_OUT_TMP_PREFIX);
	snprintf(t2, sizeof t2, "%s/.matches.tsv.tmp", d);
	check(symlink(q, t1) == 0 && symlink(q, t2) == 0, "plant temp-named symlinks");
	snprintf(msg, sizeof msg, "%s/%stwo.tsv.BBBBBB", d, KM_OUT_TMP_PREFIX);
	put(msg, "half a dead run's file");
	check(km_out_open(&o, d, &e) == 0, "open cleans");
	check(!is_symlink(t1) && !is_symlink(t2) && access(msg, F_OK) != 0, "stale temps and planted temp symlinks removed");
	f1 = km_out_add(o, "one.tsv", &e);
	fputs("again\n", f1);
	check(km_out_commit(o, &e) == 0 && has(p, "again\n") && has(q, "precious\n"), "commit: nothing written through");

	/* 7. a journal left by a commit killed after its journal: rolled forward on open */
	snprintf(t1, sizeof t1, "%s/%sone.tsv.CCCCCC", d, KM_OUT_TMP_PREFIX);
	snprintf(t2, sizeof t2, "%s/%stwo.tsv.DDDDDD", d, KM_OUT_TMP_PREFIX);
	put(t1, "committed 1\n");   /* one.tsv's rename had not happened yet */
	snprintf(msg, sizeof msg, "%s/two.tsv", d);
	put(msg, "committed 2\n");  /* two.tsv's rename had */
	snprintf(msg, sizeof msg, "%s/%s", d, KM_OUT_JOURNAL);
	put(msg, KM_OUT_TMP_PREFIX "one.tsv.CCCCCC\tone.tsv\n" KM_OUT_TMP_PREFIX "two.tsv.DDDDDD\ttwo.tsv\n"
	    KM_OUT_TMP_PREFIX "x.EEEEEE\t../escape\n");
	check(km_out_open(&o, d, &e) == 0, "open with a journal");
	km_out_abort(o);
	list(d, ls, sizeof ls);
	check(strcmp(ls, "one.tsv two.tsv") == 0, "journal done and removed, no temp left");
	check(has(p, "committed 1\n"), "the interrupted rename was finished");
	snprintf(msg, sizeof msg, "%s/two.tsv", d);
	check(has(msg, "committed 2\n"), "the finished rename kept");
	snprintf(msg, sizeof msg, "%s/escape", tmpdir);
	check(access(msg, F_OK) != 0, "a journal line naming a path outside DIR is ignored");

	/* 8. a temp killed before the journal: DIR as before, temps removed */
	put(t1, "never committed\n");
	check(km_out_open(&o, d, &e) == 0, "open after a kill before the journal");
	km_out_abort(o);
	check(has(p, "committed 1\n") && access(t1, F_OK) != 0, "earlier result intact, temp gone");

	/* 9. an output directory that cannot be made or is not a directory */
	ret = km_out_open(&o, "/proc/kinmatch-x", &e);
	check(ret == KM_ECREATE && o == NULL, "/proc/x: KM_ECREATE");
	printf("  (%s)\n", e.msg);
	ret = km_out_open(&o, p, &e);
	check(ret == KM_ECREATE && o == NULL, "a regular file as DIR: KM_ECREATE");
	check(has(p, "committed 1\n"), "and that file is untouched");

	/* 10. fd sinks (the simulator's BGZF writer) */
	check(km_out_open(&o, d, &e) == 0, "open");
	int fd = km_out_add_fd(o, "three.tsv", &e);
	check(fd >= 0 && write(fd, "3\n", 2) == 2 && close(fd) == 0, "fd sink written and closed by its owner");
	check(km_out_commit(o, &e) == 0, "commit the fd sink");
	snprintf(msg, sizeof msg, "%s/three.tsv", d);
	check(has(msg, "3\n"), "content of the fd sink");

	/* 11. a directory in the way of a result: refused before anything is renamed */
	check(km_out_open(&o, d, &e) == 0, "open");
	snprintf(msg, sizeof msg, "%s/four.tsv", d);
	mkdir(msg, 0777);
	f1 = km_out_add(o, "one.tsv", &e), f2 = km_out_add(o, "four.tsv", &e);
	fputs("x\n", f1), fputs("x\n", f2);
	check(km_out_commit(o, &e) == KM_ECREATE, "commit refused: four.tsv is a directory");
	check(has(p, "committed 1\n"), "one.tsv untouched (all or nothing)");
	rmdir(msg);
	list(d, ls, sizeof ls);
	check(strcmp(ls, "one.tsv three.tsv two.tsv") == 0, "no temp left");

	/* 12. the manifest: JSON escapes, counts, options, warnings (also from km_warn) */
	check(km_out_open(&o, d, &e) == 0, "open");
	char *av[] = { "kinmatch", "a\"b\\c", "tab\there", "bad\xff utf8", "caf\xc3\xa9" };
	km_out_manifest(o, "match", 5, av);
	km_out_option(o, "top", "%d", 10);
	km_out_option_num(o, "theta", 0.1);
	km_out_option_num(o, "min", KM_NEG_INF);
	km_out_option_bool(o, "all", 0);
	km_out_option_null(o, "y-db");
	km_out_option(o, "top", "%d", 3);   /* again: the last value */
	km_out_count(o, "rows", 12);
	km_out_count(o, "share", 0.25);
	km_out_warn(o, "remain_few_loci", "R7", "typed at 3 loci\twith a tab");
	int v = km_verbose;
	km_verbose = 0;
	km_warn("a warning from %s", "a parser");
	km_verbose = v;
	check(km_out_nwarn(o, "remain_few_loci") == 1 && km_out_nwarn(o, "warning") == 1, "warnings counted by kind");
	f1 = km_out_add(o, "m.tsv", &e);
	fputs("abc", f1);
	check(km_out_commit(o, &e) == 0, "commit with a manifest");
	{
		char buf[8192] = { 0 };
		snprintf(msg, sizeof msg, "%s/manifest.json", d);
		FILE *fp = fopen(msg, "r");
		size_t n = fp ? fread(buf, 1, sizeof buf - 1, fp) : 0;
		if (fp) fclose(fp);
		buf[n] = 0;
		check(strstr(buf, "\"argv\": [\"kinmatch\", \"a\\\"b\\\\c\", \"tab\\there\", \"bad\\u00ff utf8\", \"caf\xc3\xa9\"]") != NULL, "argv escaped as JSON (quote, backslash, tab, a bad UTF-8 byte; good UTF-8 kept)");
		check(strstr(buf, "\"top\": \"3\"") && strstr(buf, "\"theta\": \"0.1\"") && strstr(buf, "\"min\": \"-inf\"") &&
		      strstr(buf, "\"all\": false") && strstr(buf, "\"y-db\": null"), "options: strings, booleans, null, last value wins");
		check(strstr(buf, "\"rows\": 12") && strstr(buf, "\"share\": 0.25"), "counts are numbers");
		check(strstr(buf, "{\"path\": \"m.tsv\", \"sha256\": \"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\", \"bytes\": 3}") != NULL, "outputs: sha256 and size of m.tsv");
		check(strstr(buf, "{\"path\": \"warnings.tsv\"") != NULL && strstr(buf, "\"path\": \"manifest.json\"") == NULL, "warnings.tsv listed, the manifest not");
		check(strstr(buf, "\"remain_few_loci R7: typed at 3 loci with a tab\"") && strstr(buf, "\"warning NA: a warning from a parser\""), "warnings in the manifest");
		if (n == 0) printf("  (no manifest)\n");
	}
	snprintf(msg, sizeof msg, "%s/warnings.tsv", d);
	check(has(msg, "kind\tid\tmessage\nremain_few_loci\tR7\ttyped at 3 loci with a tab\nwarning\tNA\ta warning from a parser\n"), "warnings.tsv rows");

	snprintf(msg, sizeof msg, "rm -rf '%s'", tmpdir);
	if (system(msg) != 0) check(0, "cleanup");
	printf("%d ok, %d failed\n", n_ok, n_fail);
	return n_fail != 0;
}
