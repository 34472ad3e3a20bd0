/* store.c — the results store: opening, the versioned schema and its migrations, a run's
 * transaction, and reading the files a run committed into its tables.
 *
 * Layout (README.md, "Running it every night", has the table-by-table description):
 *   meta(key, value)              schema_version
 *   runs                          one row per run: started, finished, out_dir, manifest JSON
 *   matches                       the run's matches.tsv rows (contract columns typed + row)
 *   undisputed, joint, identifications, remain_pairs   what --dvi wrote, same form
 *   reviews                       append-only (triggers refuse UPDATE and DELETE)
 *   remain_state, family_state, cache_rows   the last run's content hashes and ranked
 *                                 rows per remain, for --incremental (store_incr.c)
 * Journal: rollback journal (journal_mode=DELETE) with synchronous=FULL — one file plus a
 * transient journal, safe on any local file system; a crash mid-transaction leaves a hot
 * journal that the next open rolls back, so the store is as before the run.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>
#include "kmpriv.h"
#include "store.h"

struct km_store_s {
	sqlite3 *db;
	char *fn;
	int in_run;             /* a run's transaction is open */
};

/* ---- schema ---------------------------------------------------------------------- */
/* migrations[v - 1] takes a store from version v - 1 to v (v = 1: from nothing).  Never
 * edit a released step: add a new one and raise KM_STORE_SCHEMA. */
static const char *const migrations[KM_STORE_SCHEMA] = {
	/* 1: runs, their matches, reviews */
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);\n"
	"INSERT INTO meta VALUES('schema_version', '1');\n"
	"CREATE TABLE runs(id INTEGER PRIMARY KEY, started TEXT NOT NULL, finished TEXT, out_dir TEXT,\n"
	"  manifest TEXT);\n"
	"CREATE TABLE matches(run INTEGER NOT NULL REFERENCES runs(id), remain TEXT NOT NULL,\n"
	"  family TEXT NOT NULL, missing TEXT NOT NULL, rank INTEGER NOT NULL, log10_lr REAL,\n"
	"  log10_lr_str REAL, log10_lr_snp REAL, log10_lr_x REAL, log10_lr_y REAL, log10_lr_mt REAL,\n"
	"  loci INTEGER, row TEXT NOT NULL, PRIMARY KEY (run, remain, family, missing));\n"
	"CREATE INDEX matches_pair ON matches(remain, family, missing);\n"
	"CREATE TABLE reviews(id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL,\n"
	"  remain TEXT NOT NULL, family TEXT NOT NULL, missing TEXT NOT NULL,\n"
	"  status TEXT NOT NULL CHECK (status IN ('confirmed', 'rejected', 'pending')),\n"
	"  by TEXT NOT NULL, note TEXT NOT NULL DEFAULT '');\n"
	"CREATE INDEX reviews_pair ON reviews(remain, family, missing, id);\n"
	"CREATE TRIGGER reviews_no_update BEFORE UPDATE ON reviews\n"
	"  BEGIN SELECT RAISE(ABORT, 'reviews are append-only: add a new review instead'); END;\n"
	"CREATE TRIGGER reviews_no_delete BEFORE DELETE ON reviews\n"
	"  BEGIN SELECT RAISE(ABORT, 'reviews are append-only: add a new review instead'); END;\n",
	/* 2: identification files, the crash check, and the incremental state */
	"ALTER TABLE runs ADD COLUMN incremental INTEGER NOT NULL DEFAULT 0;\n"
	"ALTER TABLE runs ADD COLUMN model_key TEXT;\n"
	"ALTER TABLE runs ADD COLUMN matches_hash TEXT;\n"
	"ALTER TABLE runs ADD COLUMN matches_header TEXT;\n"
	"CREATE TABLE undisputed(run INTEGER NOT NULL REFERENCES runs(id), step INTEGER,\n"
	"  remain TEXT NOT NULL, family TEXT, missing TEXT, log10_lr REAL, log10_lr_rival REAL,\n"
	"  row TEXT NOT NULL);\n"
	"CREATE INDEX undisputed_run ON undisputed(run, remain);\n"
	"CREATE TABLE joint(run INTEGER NOT NULL REFERENCES runs(id), component INTEGER,\n"
	"  rank INTEGER, log10_lr REAL, posterior REAL, assignment TEXT, row TEXT NOT NULL);\n"
	"CREATE INDEX joint_run ON joint(run, component, rank);\n"
	"CREATE TABLE identifications(run INTEGER NOT NULL REFERENCES runs(id), remain TEXT NOT NULL,\n"
	"  family TEXT, missing TEXT, conclusion TEXT, log10_lr REAL, posterior REAL,\n"
	"  row TEXT NOT NULL);\n"
	"CREATE INDEX identifications_run ON identifications(run, remain);\n"
	"CREATE TABLE remain_state(run INTEGER NOT NULL, remain TEXT NOT NULL, hash TEXT NOT NULL,\n"
	"  n_rows INTEGER NOT NULL, complete INTEGER NOT NULL, PRIMARY KEY (run, remain));\n"
	"CREATE TABLE family_state(run INTEGER NOT NULL, family TEXT NOT NULL, hash TEXT NOT NULL,\n"
	"  PRIMARY KEY (run, family));\n"
	"CREATE TABLE cache_rows(run INTEGER NOT NULL, remain TEXT NOT NULL, ord INTEGER NOT NULL,\n"
	"  family TEXT NOT NULL, missing TEXT NOT NULL, log10_lr REAL, hit BLOB NOT NULL,\n"
	"  PRIMARY KEY (run, remain, ord));\n"
	"UPDATE meta SET value = '2' WHERE key = 'schema_version';\n",
	/* 3: direct matches among the remains (--dvi, remain-pairs.tsv; issue 11 part 6) */
	"CREATE TABLE remain_pairs(run INTEGER NOT NULL REFERENCES runs(id), remain1 TEXT NOT NULL,\n"
	"  remain2 TEXT NOT NULL, relationship TEXT NOT NULL, log10_lr REAL, loci INTEGER,\n"
	"  row TEXT NOT NULL);\n"
	"CREATE INDEX remain_pairs_run ON remain_pairs(run, remain1, remain2);\n"
	"UPDATE meta SET value = '3' WHERE key = 'schema_version';\n",
};

const char *km_store_migration(int v)
{
	return v >= 1 && v <= KM_STORE_SCHEMA ? migrations[v - 1] : NULL;
}

sqlite3 *km_store_db(km_store_t *s) { return s->db; }

static int sq_fail(km_store_t *s, km_err_t *e, int code, const char *what)
{
	return km_err_set(e, code, "--store %s: %s: %s", s->fn, what, sqlite3_errmsg(s->db));
}

/* the schema version: 0 for an empty database, -1 for a database that is not a store */
static int schema_version(km_store_t *s, km_err_t *e)
{
	sqlite3_stmt *q = NULL;
	int v = 0, n_tab = 0, has_meta = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT name FROM sqlite_master WHERE type = 'table'", -1, &q, NULL) != SQLITE_OK)
		return sq_fail(s, e, KM_EINPUT, "not a kinmatch store");
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		++n_tab;
		if (strcmp((const char *)sqlite3_column_text(q, 0), "meta") == 0) has_meta = 1;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE) return sq_fail(s, e, KM_EINPUT, "not a kinmatch store");
	if (n_tab == 0) return 0;
	if (!has_meta) return km_err_set(e, KM_EINPUT, "--store %s: not a kinmatch store (an SQLite database without table 'meta')", s->fn);
	if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &q, NULL) != SQLITE_OK)
		return sq_fail(s, e, KM_EINPUT, "not a kinmatch store");
	if (sqlite3_step(q) == SQLITE_ROW) {
		long x;
		if (km_parse_int((const char *)sqlite3_column_text(q, 0), &x) == 0 && x > 0 && x < 1000000) v = (int)x;
		else v = -1;
	} else v = -1;
	sqlite3_finalize(q);
	if (v < 0) return km_err_set(e, KM_EINPUT, "--store %s: not a kinmatch store (no valid meta.schema_version)", s->fn);
	return v;
}

int km_store_version(km_store_t *s)
{
	km_err_t e;
	return schema_version(s, &e);
}

int km_store_open(km_store_t **sp, const char *fn, int create, km_err_t *e)
{
	km_store_t *s = calloc(1, sizeof(*s));
	int ret = 0;
	*sp = NULL;
	if (!s || !(s->fn = strdup(fn))) { free(s); return km_err_set(e, KM_ENOMEM, "out of memory"); }
	if (!create && access(fn, F_OK) != 0) {
		ret = km_err_set(e, KM_ST_EOPEN, "--store %s: cannot open: %s", fn, strerror(errno));
		goto fail;
	}
	int fl = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
	if (sqlite3_open_v2(fn, &s->db, fl, NULL) != SQLITE_OK) {
		ret = km_err_set(e, create ? KM_ST_ECREATE : KM_ST_EOPEN, "--store %s: cannot open: %s", fn, s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 60000);   /* a review waits for the night's commit, and back */
	sqlite3_extended_result_codes(s->db, 0);
	if (sqlite3_exec(s->db, "PRAGMA journal_mode = DELETE; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;", NULL, NULL, NULL) != SQLITE_OK) {
		ret = sq_fail(s, e, KM_EINPUT, "not a kinmatch store");
		goto fail;
	}
	/* migrate under the write lock, so two processes never both migrate */
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) { ret = sq_fail(s, e, KM_EIO, "cannot lock"); goto fail; }
	int v = schema_version(s, e);
	if (v < 0) { ret = v; sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL); goto fail; }
	if (v > KM_STORE_SCHEMA) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		ret = km_err_set(e, KM_EINPUT, "--store %s: schema version %d was written by a newer kinmatch (this one, %s, knows versions up to %d); use that kinmatch or a copy of the store",
		                 fn, v, KM_VERSION, KM_STORE_SCHEMA);
		goto fail;
	}
	for (int k = v + 1; k <= KM_STORE_SCHEMA; ++k) {
		char *msg = NULL;
		if (sqlite3_exec(s->db, migrations[k - 1], NULL, NULL, &msg) != SQLITE_OK) {
			ret = km_err_set(e, KM_EIO, "--store %s: migration to schema version %d failed: %s", fn, k, msg ? msg : "?");
			sqlite3_free(msg);
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			goto fail;
		}
	}
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) { ret = sq_fail(s, e, KM_EIO, "cannot commit"); sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL); goto fail; }
	if (v > 0 && v < KM_STORE_SCHEMA) km_warn("--store %s: migrated from schema version %d to %d", fn, v, KM_STORE_SCHEMA);
	*sp = s;
	return 0;
fail:
	km_store_close(s);
	return ret;
}

void km_store_close(km_store_t *s)
{
	if (!s) return;
	if (s->in_run) km_store_run_abort(s);
	sqlite3_close(s->db);
	free(s->fn);
	free(s);
}

void km_store_now(char buf[32])
{
	const char *env = getenv("KINMATCH_NOW");
	struct timespec ts;
	long x;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (env && km_parse_int(env, &x) == 0) ts.tv_sec = (time_t)x, ts.tv_nsec = 0;
	struct tm tm;
	char b[24];
	gmtime_r(&ts.tv_sec, &tm);
	strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &tm);
	/* milliseconds: runs and reviews of one second still come in order in `history` */
	snprintf(buf, 32, "%s.%03dZ", b, (int)(ts.tv_nsec / 1000000));
}

/* ---- a run --------------------------------------------------------------------------- */
int km_store_run_begin(km_store_t *s, const char *started, const char *out_dir, int incremental,
                       const char *model_key, long *run_id, km_err_t *e)
{
	sqlite3_stmt *q = NULL;
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) return sq_fail(s, e, KM_EIO, "cannot lock");
	s->in_run = 1;
	if (sqlite3_prepare_v2(s->db, "INSERT INTO runs(started, out_dir, incremental, model_key) VALUES (?, ?, ?, ?)", -1, &q, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(q, 1, started, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, out_dir, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(q, 3, incremental);
	if (model_key) sqlite3_bind_text(q, 4, model_key, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(q) != SQLITE_DONE) goto fail;
	sqlite3_finalize(q);
	*run_id = (long)sqlite3_last_insert_rowid(s->db);
	return 0;
fail:;
	int ret = sq_fail(s, e, KM_EIO, "cannot record the run");
	sqlite3_finalize(q);
	km_store_run_abort(s);
	return ret;
}

void km_store_run_abort(km_store_t *s)
{
	if (!s || !s->in_run) return;
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_run = 0;
}

int km_store_run_commit(km_store_t *s, long run, const char *finished, const char *manifest, km_err_t *e)
{
	sqlite3_stmt *q = NULL;
	if (sqlite3_prepare_v2(s->db, "UPDATE runs SET finished = ?, manifest = ? WHERE id = ?", -1, &q, NULL) != SQLITE_OK) goto fail;
	sqlite3_bind_text(q, 1, finished, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, manifest ? manifest : "{}", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 3, run);
	if (sqlite3_step(q) != SQLITE_DONE) goto fail;
	sqlite3_finalize(q);
	q = NULL;
	if (getenv("KINMATCH_TEST_STORE_CRASH")) _exit(70);   /* tests: die between the file and store commits */
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) goto fail;
	s->in_run = 0;
	return 0;
fail:;
	int ret = sq_fail(s, e, KM_EIO, "cannot commit the run");
	sqlite3_finalize(q);
	km_store_run_abort(s);
	return ret;
}

/* ---- reading a committed TSV into its table ------------------------------------------ */
enum { C_TEXT, C_INT, C_REAL };
typedef struct { const char *name; int type; } col_t;
typedef struct { const char *file, *table; int n; col_t col[12]; } spec_t;

static const spec_t specs[] = {
	{ "matches.tsv", "matches", 11, { { "remain", C_TEXT }, { "family", C_TEXT }, { "missing", C_TEXT }, { "rank", C_INT },
	  { "log10_lr", C_REAL }, { "log10_lr_str", C_REAL }, { "log10_lr_snp", C_REAL }, { "log10_lr_x", C_REAL },
	  { "log10_lr_y", C_REAL }, { "log10_lr_mt", C_REAL }, { "loci", C_INT } } },
	{ "undisputed.tsv", "undisputed", 6, { { "step", C_INT }, { "remain", C_TEXT }, { "family", C_TEXT }, { "missing", C_TEXT },
	  { "log10_lr", C_REAL }, { "log10_lr_rival", C_REAL } } },
	{ "joint.tsv", "joint", 5, { { "component", C_INT }, { "rank", C_INT }, { "log10_lr", C_REAL }, { "posterior", C_REAL },
	  { "assignment", C_TEXT } } },
	{ "identifications.tsv", "identifications", 6, { { "remain", C_TEXT }, { "family", C_TEXT }, { "missing", C_TEXT },
	  { "conclusion", C_TEXT }, { "log10_lr", C_REAL }, { "posterior", C_REAL } } },
	{ "remain-pairs.tsv", "remain_pairs", 5, { { "remain1", C_TEXT }, { "remain2", C_TEXT }, { "relationship", C_TEXT },
	  { "log10_lr", C_REAL }, { "loci", C_INT } } },
};

/* FNV-1a, 64 bits, of a whole file (the crash check; not a security hash) */
static int file_hash(const char *fn, char hex[17])
{
	FILE *fp = fopen(fn, "rb");
	uint64_t h = 1469598103934665603ULL;
	unsigned char buf[65536];
	size_t n;
	if (!fp) return -1;
	while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
		for (size_t i = 0; i < n; ++i) h = (h ^ buf[i]) * 1099511628211ULL;
	int bad = ferror(fp);
	fclose(fp);
	snprintf(hex, 17, "%016llx", (unsigned long long)h);
	return bad ? -1 : 0;
}

static void bind_value(sqlite3_stmt *q, int i, int type, const char *v)
{
	double x;
	long n;
	if (type == C_TEXT) { sqlite3_bind_text(q, i, v, -1, SQLITE_TRANSIENT); return; }
	if (type == C_INT && km_parse_int(v, &n) == 0) { sqlite3_bind_int64(q, i, n); return; }
	if (type == C_REAL) {
		if (strcmp(v, "-inf") == 0) { sqlite3_bind_double(q, i, KM_NEG_INF); return; }
		if (strcmp(v, "inf") == 0) { sqlite3_bind_double(q, i, (double)INFINITY); return; }
		if (km_parse_double(v, &x) == 0) { sqlite3_bind_double(q, i, x); return; }
	}
	sqlite3_bind_null(q, i);   /* NA, empty */
}

int km_store_run_file(km_store_t *s, long run, const char *dir, const char *name, km_err_t *e)
{
	const spec_t *sp = NULL;
	for (size_t i = 0; i < sizeof specs / sizeof specs[0]; ++i) if (strcmp(specs[i].file, name) == 0) sp = &specs[i];
	if (!sp) return km_err_set(e, KM_ST_EINTERNAL, "internal: the store has no table for %s", name);
	size_t lf = strlen(dir) + strlen(name) + 2;
	char *fn = malloc(lf), sql[512], *row = NULL;
	km_tsv_t *r = NULL;
	sqlite3_stmt *q = NULL;
	int ret = 0, ci[12];
	size_t m_row = 0;
	if (!fn) return km_err_set(e, KM_ENOMEM, "out of memory");
	snprintf(fn, lf, "%s/%s", dir, name);
	if ((ret = km_tsv_open(&r, fn, e)) < 0) goto done;
	if ((ret = km_tsv_header(r, e)) < 0) goto done;
	int len = snprintf(sql, sizeof sql, "INSERT INTO %s(run", sp->table);
	for (int j = 0; j < sp->n; ++j) len += snprintf(sql + len, sizeof sql - len, ", %s", sp->col[j].name);
	len += snprintf(sql + len, sizeof sql - len, ", row) VALUES (?");
	for (int j = 0; j <= sp->n; ++j) len += snprintf(sql + len, sizeof sql - len, ", ?");
	snprintf(sql + len, sizeof sql - len, ")");
	for (int j = 0; j < sp->n; ++j) ci[j] = km_tsv_col(r, sp->col[j].name);
	if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK) { ret = sq_fail(s, e, KM_EIO, name); goto done; }
	while ((ret = km_tsv_next(r, e)) > 0) {
		sqlite3_bind_int64(q, 1, run);
		for (int j = 0; j < sp->n; ++j) {
			if (ci[j] < 0) sqlite3_bind_null(q, j + 2);
			else bind_value(q, j + 2, sp->col[j].type, km_tsv_field(r, ci[j]));
		}
		size_t need = 1;
		for (int k = 0; k < km_tsv_ncol(r); ++k) need += strlen(km_tsv_field(r, k)) + 1;
		if (need > m_row) {
			char *t = realloc(row, need * 2);
			if (!t) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto done; }
			row = t, m_row = need * 2;
		}
		size_t o = 0;
		for (int k = 0; k < km_tsv_ncol(r); ++k) {
			size_t l = strlen(km_tsv_field(r, k));
			if (k) row[o++] = '\t';
			memcpy(row + o, km_tsv_field(r, k), l);
			o += l;
		}
		row[o] = 0;
		sqlite3_bind_text(q, sp->n + 2, row, (int)o, SQLITE_TRANSIENT);
		if (sqlite3_step(q) != SQLITE_DONE) { ret = sq_fail(s, e, KM_EIO, name); goto done; }
		sqlite3_reset(q);
	}
	if (ret < 0) goto done;
	ret = 0;
	if (strcmp(name, "matches.tsv") == 0) {   /* the header and the file's hash, for km_store_check_dir */
		char hex[17], *hdr = NULL;
		size_t lh = 1;
		for (int k = 0; k < km_tsv_ncol(r); ++k) lh += strlen(km_tsv_colname(r, k)) + 1;
		if (!(hdr = malloc(lh))) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto done; }
		hdr[0] = 0;
		for (int k = 0; k < km_tsv_ncol(r); ++k) { if (k) strcat(hdr, "\t"); strcat(hdr, km_tsv_colname(r, k)); }
		sqlite3_finalize(q);
		q = NULL;
		if (file_hash(fn, hex) < 0) { free(hdr); ret = km_err_set(e, KM_EIO, "%s: cannot read back: %s", fn, strerror(errno)); goto done; }
		if (sqlite3_prepare_v2(s->db, "UPDATE runs SET matches_hash = ?, matches_header = ? WHERE id = ?", -1, &q, NULL) != SQLITE_OK) { free(hdr); ret = sq_fail(s, e, KM_EIO, name); goto done; }
		sqlite3_bind_text(q, 1, hex, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(q, 2, hdr, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(q, 3, run);
		free(hdr);
		if (sqlite3_step(q) != SQLITE_DONE) { ret = sq_fail(s, e, KM_EIO, name); goto done; }
	}
done:
	sqlite3_finalize(q);
	if (r) km_tsv_close(r);
	free(row);
	free(fn);
	return ret;
}

void km_store_check_dir(km_store_t *s, const char *out_dir)
{
	sqlite3_stmt *q = NULL;
	size_t lf = strlen(out_dir) + 16;
	char *fn = malloc(lf), hex[17];
	if (!fn) return;
	snprintf(fn, lf, "%s/matches.tsv", out_dir);
	if (access(fn, F_OK) == 0 &&
	    sqlite3_prepare_v2(s->db, "SELECT id, matches_hash FROM runs WHERE out_dir = ? ORDER BY id DESC LIMIT 1", -1, &q, NULL) == SQLITE_OK) {
		sqlite3_bind_text(q, 1, out_dir, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 1) == SQLITE_TEXT && file_hash(fn, hex) == 0 &&
		    strcmp(hex, (const char *)sqlite3_column_text(q, 1)) != 0)
			km_warn("%s is not the file the store recorded for its last run into %s (run %lld): the store did not record the run that wrote it (a crash between the file commit and the store commit?) or it was edited",
			        fn, out_dir, (long long)sqlite3_column_int64(q, 0));
	}
	sqlite3_finalize(q);
	free(fn);
}
