/* out.c — the output layer (see out.h for the contract).
 *
 * Layout: a km_out_t holds the directory's fd (flocked for the whole run), and one
 * km_sink_t per output: its final name, its temp name (both plain names in DIR) and
 * the layer's descriptor or stream.  Every directory operation after km_out_open() is
 * relative to that fd (openat/renameat/unlinkat), so a path swapped under a running job
 * cannot redirect it.
 *
 * Crash safety, in commit order:
 *   1. every sink flushed, checked (ferror), fsync'ed and closed;
 *   2. the journal written to a temp, fsync'ed, renamed to DIR/.kinmatch-commit, DIR
 *      fsync'ed — from here on the run counts as committed;
 *   3. every temp renamed onto its name; DIR fsync'ed; the journal removed.
 * km_out_open() under the lock: a journal present means a run died in step 3, so its
 * renames are redone (temps still there) before anything else; then every leftover temp
 * (ours: KM_OUT_TMP_PREFIX; the fixed names of kinmatch before this layer) is removed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "kmpriv.h"
#include "out.h"
#include "sha256.h"

typedef struct {
	char *name;   /* final name in DIR */
	char *tmp;    /* temp name in DIR */
	FILE *fp;     /* the layer's stream (km_out_add), else NULL */
	int fd;       /* the layer's descriptor, -1 once closed */
	char sha[65]; /* SHA-256 of the complete file (commit step 1) */
	uint64_t bytes;
} km_sink_t;

typedef struct { char *k, *v; } km_kv_t;
typedef struct { char *kind, *id, *msg; } km_warnrow_t;

struct km_out_s {
	char *dir;          /* as given */
	int dfd;            /* DIR, O_DIRECTORY, flocked */
	mode_t mode;        /* 0666 & ~umask: what fopen() would have made */
	int n_sink, m_sink;
	km_sink_t *sink;
	int n_made;         /* directories mkdir'ed by km_out_open, outermost first */
	char **made;
	/* provenance (km_out_manifest): manifest.json and warnings.tsv at commit */
	int manifest;       /* 1 once km_out_manifest() was called */
	int oom;            /* an allocation failed in a call that cannot fail */
	char *command;
	int argc;
	char **argv;
	time_t t_start;
	int threads;
	int n_opt, m_opt;
	km_kv_t *opt;       /* name -> JSON value, as encoded */
	int n_cnt, m_cnt;
	km_kv_t *cnt;       /* name -> number, as printed */
	int n_in, m_in;
	km_kv_t *in;        /* option -> path */
	long n_warn, m_warn;
	km_warnrow_t *warn;
};

/* ---- helpers ------------------------------------------------------------------------ */

static int is_plain_name(const char *s)
{
	return s[0] && strchr(s, '/') == NULL && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

/* fixed temp names of kinmatch before this layer: .matches.tsv.tmp, .remains.tsv.gz.tmp */
static int is_legacy_tmp(const char *s)
{
	size_t n = strlen(s);
	if (s[0] != '.' || n < 9) return 0;
	return (n > 9 && strcmp(s + n - 8, ".tsv.tmp") == 0) || (n > 12 && strcmp(s + n - 11, ".tsv.gz.tmp") == 0);
}

/* mkdir -p, remembering which components it created (so that an aborted run leaves no
 * empty directory behind). */
static int mkdir_p(km_out_t *o, const char *path, km_err_t *e)
{
	char *p = strdup(path);
	if (!p) return km_err_set(e, KM_ENOMEM, "out of memory");
	size_t n = strlen(p);
	while (n > 1 && p[n - 1] == '/') p[--n] = 0;
	for (char *s = p + 1; ; ++s) {
		if (*s != '/' && *s != 0) continue;
		char c = *s;
		*s = 0;
		if (mkdir(p, 0777) == 0) {
			char **t = realloc(o->made, sizeof *t * (o->n_made + 1));
			if (!t || !(t[o->n_made] = strdup(p))) {
				if (t) o->made = t;
				free(p);
				return km_err_set(e, KM_ENOMEM, "out of memory");
			}
			o->made = t, ++o->n_made;
		} else if (errno != EEXIST) {
			int ret = km_err_set(e, KM_ECREATE, "--out %s: cannot create directory %s: %s", path, p, strerror(errno));
			free(p);
			return ret;
		}
		*s = c;
		if (!c) break;
	}
	free(p);
	return 0;
}

static void rm_made(km_out_t *o)
{
	for (int i = o->n_made - 1; i >= 0; --i) {
		rmdir(o->made[i]);   /* fails, as it should, when something else is in it */
		free(o->made[i]);
	}
	free(o->made);
	o->made = NULL, o->n_made = 0;
}

/* A new file DIR/.kinmatch-tmp.<base>.XXXXXX: mkostemp's O_CREAT|O_EXCL makes a fresh
 * file or fails, and never follows a symlink planted under that name.  Returns the
 * descriptor and the name in DIR (malloc'ed) through *tmp. */
static int make_tmp(km_out_t *o, const char *base, char **tmp, km_err_t *e)
{
	size_t ld = strlen(o->dir), lb = strlen(base);
	size_t lp = sizeof(KM_OUT_TMP_PREFIX) - 1;
	char *path = malloc(ld + 1 + lp + lb + 8 + 1);
	if (!path) return km_err_set(e, KM_ENOMEM, "out of memory");
	sprintf(path, "%s/%s%s.XXXXXX", o->dir, KM_OUT_TMP_PREFIX, base);
	int fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		int ret = km_err_set(e, errno == ENOMEM ? KM_ENOMEM : KM_ECREATE, "--out %s: cannot create a file there: %s", o->dir, strerror(errno));
		free(path);
		return ret;
	}
	if (fchmod(fd, o->mode) != 0) { /* mkstemp makes 0600; results are read by others */ }
	*tmp = strdup(path + ld + 1);
	if (!*tmp) {
		unlink(path);
		close(fd);
		free(path);
		return km_err_set(e, KM_ENOMEM, "out of memory");
	}
	free(path);
	return fd;
}

/* Redoes the renames of a journal left by a run killed in mid-commit. */
static int roll_forward(km_out_t *o, km_err_t *e)
{
	int fd = openat(o->dfd, KM_OUT_JOURNAL, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) return 0;   /* the usual case: no journal */
	struct stat st;
	char *buf = NULL;
	int ret = 0;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (1 << 20) ||
	    !(buf = malloc((size_t)st.st_size + 1))) {
		close(fd);
		free(buf);
		/* not ours or unreadable: leave it for a person to look at */
		return km_err_set(e, KM_ECREATE, "--out %s: %s is not a kinmatch commit journal; remove it", o->dir, KM_OUT_JOURNAL);
	}
	ssize_t n = read(fd, buf, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size) { free(buf); return km_err_set(e, KM_EIO, "--out %s: cannot read %s", o->dir, KM_OUT_JOURNAL); }
	buf[n] = 0;
	for (char *line = buf, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next) *next++ = 0;
		char *tab = strchr(line, '\t');
		if (!tab) continue;
		*tab = 0;
		const char *tmp = line, *name = tab + 1;
		struct stat ts;
		if (strncmp(tmp, KM_OUT_TMP_PREFIX, sizeof(KM_OUT_TMP_PREFIX) - 1) != 0 || !is_plain_name(tmp) ||
		    !is_plain_name(name) || strncmp(name, KM_OUT_TMP_PREFIX, sizeof(KM_OUT_TMP_PREFIX) - 1) == 0)
			continue;
		if (fstatat(o->dfd, tmp, &ts, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(ts.st_mode)) continue;   /* done already */
		if (renameat(o->dfd, tmp, o->dfd, name) != 0) {
			ret = km_err_set(e, KM_EIO, "--out %s: cannot finish the interrupted commit (%s -> %s): %s", o->dir, tmp, name, strerror(errno));
			break;
		}
	}
	free(buf);
	if (ret == 0) {
		fsync(o->dfd);
		unlinkat(o->dfd, KM_OUT_JOURNAL, 0);
		fsync(o->dfd);
	}
	return ret;
}

/* Removes temps of dead runs (we hold the lock, so no live run owns one). */
static void clean_stale(km_out_t *o)
{
	int fd = openat(o->dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) return;
	DIR *d = fdopendir(fd);
	if (!d) { close(fd); return; }
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		const char *s = de->d_name;
		if (strncmp(s, KM_OUT_TMP_PREFIX, sizeof(KM_OUT_TMP_PREFIX) - 1) == 0 || is_legacy_tmp(s)) {
			struct stat st;
			/* unlinkat never follows a symlink: a planted one is removed, its target kept */
			if (fstatat(o->dfd, s, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
				unlinkat(o->dfd, s, 0);
		}
	}
	closedir(d);
}

static void sink_close(km_sink_t *k)
{
	if (k->fp) fclose(k->fp);
	else if (k->fd >= 0) close(k->fd);
	k->fp = NULL, k->fd = -1;
}

static void kv_free(km_kv_t *v, int n)
{
	for (int i = 0; i < n; ++i) free(v[i].k), free(v[i].v);
	free(v);
}

static void out_free(km_out_t *o)
{
	if (o->manifest) km_warn_set_hook(NULL, NULL);
	kv_free(o->opt, o->n_opt), kv_free(o->cnt, o->n_cnt), kv_free(o->in, o->n_in);
	for (long i = 0; i < o->n_warn; ++i) free(o->warn[i].kind), free(o->warn[i].id), free(o->warn[i].msg);
	free(o->warn);
	for (int i = 0; i < o->argc; ++i) free(o->argv[i]);
	free(o->argv);
	free(o->command);
	for (int i = 0; i < o->n_sink; ++i) free(o->sink[i].name), free(o->sink[i].tmp);
	free(o->sink);
	for (int i = 0; i < o->n_made; ++i) free(o->made[i]);
	free(o->made);
	if (o->dfd >= 0) close(o->dfd);   /* releases the flock */
	free(o->dir);
	free(o);
}

/* ---- provenance: manifest.json and warnings.tsv ----------------------------------------- */

static char *xstrdup(km_out_t *o, const char *x)
{
	char *r = strdup(x ? x : "");
	if (!r) o->oom = 1;
	return r;
}

/* Sets key k to value v (owned: v is taken) in a list kept in first-registration order. */
static void kv_set(km_out_t *o, km_kv_t **v, int *n, int *m, const char *k, char *val)
{
	if (!val) { o->oom = 1; return; }
	for (int i = 0; i < *n; ++i)
		if (strcmp((*v)[i].k, k) == 0) { free((*v)[i].v); (*v)[i].v = val; return; }
	if (*n == *m) {
		int mm = *m ? 2 * *m : 16;
		km_kv_t *t = realloc(*v, sizeof *t * mm);
		if (!t) { free(val); o->oom = 1; return; }
		*v = t, *m = mm;
	}
	if (!((*v)[*n].k = strdup(k))) { free(val); o->oom = 1; return; }
	(*v)[(*n)++].v = val;
}

/* JSON string literal of s (RFC 8259 §7): quotes, backslashes and control bytes escaped;
 * a byte that is not part of valid UTF-8 is written as \u00XX so the file stays JSON. */
static void json_str(FILE *fp, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	fputc('"', fp);
	while (*p) {
		unsigned c = *p;
		int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
		int ok = len > 0;
		for (int i = 1; ok && i < len; ++i) ok = (p[i] & 0xc0) == 0x80;
		if (!ok) { fprintf(fp, "\\u%04x", c); ++p; continue; }
		if (len > 1) { fwrite(p, 1, (size_t)len, fp); p += len; continue; }
		if (c == '"' || c == '\\') fputc('\\', fp), fputc((int)c, fp);
		else if (c == '\n') fputs("\\n", fp);
		else if (c == '\t') fputs("\\t", fp);
		else if (c == '\r') fputs("\\r", fp);
		else if (c < 0x20 || c == 0x7f) fprintf(fp, "\\u%04x", c);
		else fputc((int)c, fp);
		++p;
	}
	fputc('"', fp);
}

static char *json_of(const char *s)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *fp = open_memstream(&buf, &n);
	if (!fp) return NULL;
	json_str(fp, s);
	if (fclose(fp) != 0) { free(buf); return NULL; }
	return buf;
}

static void warn_hook(void *ud, const char *msg)
{
	km_out_warn((km_out_t *)ud, "warning", "NA", "%s", msg);
}

void km_out_manifest(km_out_t *o, const char *command, int argc, char *const argv[])
{
	o->manifest = 1;
	o->command = xstrdup(o, command);
	if ((o->argv = calloc((size_t)argc + 1, sizeof *o->argv)) == NULL) o->oom = 1;
	else
		for (o->argc = 0; o->argc < argc; ++o->argc) o->argv[o->argc] = xstrdup(o, argv[o->argc]);
	km_warn_set_hook(warn_hook, o);
}

void km_out_option(km_out_t *o, const char *name, const char *fmt, ...)
{
	char *v = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&v, fmt, ap);
	va_end(ap);
	if (n < 0) { o->oom = 1; return; }
	char *j = json_of(v);
	free(v);
	kv_set(o, &o->opt, &o->n_opt, &o->m_opt, name, j);
}

void km_out_option_bool(km_out_t *o, const char *name, int on)
{
	kv_set(o, &o->opt, &o->n_opt, &o->m_opt, name, strdup(on ? "true" : "false"));
}

void km_out_option_num(km_out_t *o, const char *name, double x)
{
	char buf[40];
	if (isnan(x)) snprintf(buf, sizeof buf, "NA");
	else if (isinf(x)) snprintf(buf, sizeof buf, x < 0 ? "-inf" : "inf");
	else {
		double y;
		snprintf(buf, sizeof buf, "%.15g", x);
		if (sscanf(buf, "%lf", &y) != 1 || y != x) snprintf(buf, sizeof buf, "%.17g", x);
	}
	km_out_option(o, name, "%s", buf);
}

int km_out_has_option(const km_out_t *o, const char *name)
{
	for (int i = 0; i < o->n_opt; ++i)
		if (strcmp(o->opt[i].k, name) == 0) return 1;
	return 0;
}

void km_out_option_null(km_out_t *o, const char *name)
{
	kv_set(o, &o->opt, &o->n_opt, &o->m_opt, name, strdup("null"));
}

void km_out_input(km_out_t *o, const char *option, const char *path)
{
	if (!path) return;
	/* an option may name several files; keep each (option, path) once */
	for (int i = 0; i < o->n_in; ++i)
		if (strcmp(o->in[i].k, option) == 0 && strcmp(o->in[i].v, path) == 0) return;
	if (o->n_in == o->m_in) {
		int m = o->m_in ? 2 * o->m_in : 16;
		km_kv_t *t = realloc(o->in, sizeof *t * m);
		if (!t) { o->oom = 1; return; }
		o->in = t, o->m_in = m;
	}
	char *k = strdup(option), *v = strdup(path);
	if (!k || !v) { free(k), free(v); o->oom = 1; return; }
	o->in[o->n_in].k = k, o->in[o->n_in++].v = v;
}

void km_out_count(km_out_t *o, const char *name, double value)
{
	char *v = NULL;
	/* integers exactly, other values with 17 significant digits (round-trip) */
	int n = value == (double)(long long)value && fabs(value) < 9e15 ? asprintf(&v, "%lld", (long long)value)
	        : isfinite(value) ? asprintf(&v, "%.17g", value) : asprintf(&v, "null");
	if (n < 0) { o->oom = 1; return; }
	kv_set(o, &o->cnt, &o->n_cnt, &o->m_cnt, name, v);
}

void km_out_threads(km_out_t *o, int n) { o->threads = n; }

void km_out_warn(km_out_t *o, const char *kind, const char *id, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0) { o->oom = 1; return; }
	/* one line per row: a tab or newline inside the message would break the table */
	for (char *p = msg; *p; ++p)
		if (*p == '\t' || *p == '\n' || *p == '\r') *p = ' ';
	if (o->n_warn == o->m_warn) {
		long m = o->m_warn ? 2 * o->m_warn : 64;
		km_warnrow_t *t = realloc(o->warn, sizeof *t * m);
		if (!t) { free(msg); o->oom = 1; return; }
		o->warn = t, o->m_warn = m;
	}
	km_warnrow_t *w = &o->warn[o->n_warn];
	w->kind = xstrdup(o, kind), w->id = xstrdup(o, id), w->msg = msg;
	++o->n_warn;
}

long km_out_nwarn(const km_out_t *o, const char *kind)
{
	long n = 0;
	for (long i = 0; i < o->n_warn; ++i) n += strcmp(o->warn[i].kind, kind) == 0;
	return n;
}

static void iso_utc(time_t t, char buf[32])
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int write_warnings(km_out_t *o, km_err_t *e)
{
	FILE *fp = km_out_add(o, "warnings.tsv", e);
	if (!fp) return KM_ECREATE;
	fputs("kind\tid\tmessage\n", fp);
	for (long i = 0; i < o->n_warn; ++i)
		fprintf(fp, "%s\t%s\t%s\n", o->warn[i].kind, o->warn[i].id && o->warn[i].id[0] ? o->warn[i].id : "NA", o->warn[i].msg);
	return 0;   /* write errors surface at commit (ferror) */
}

/* manifest.json into fp; the sinks' digests are taken already. */
static int write_manifest(km_out_t *o, FILE *fp, int n_out, km_err_t *e)
{
	char t0[32], t1[32];
	iso_utc(o->t_start, t0);
	iso_utc(time(NULL), t1);
	fputs("{\n  \"kinmatch_version\": ", fp), json_str(fp, KM_VERSION);
	fputs(",\n  \"command\": ", fp), json_str(fp, o->command);
	fputs(",\n  \"argv\": [", fp);
	for (int i = 0; i < o->argc; ++i) fputs(i ? ", " : "", fp), json_str(fp, o->argv[i]);
	fprintf(fp, "],\n  \"started\": \"%s\",\n  \"finished\": \"%s\",\n  \"threads\": %d,\n  \"options\": {", t0, t1, o->threads);
	for (int i = 0; i < o->n_opt; ++i) fputs(i ? ",\n    " : "\n    ", fp), json_str(fp, o->opt[i].k), fprintf(fp, ": %s", o->opt[i].v);
	fputs(o->n_opt ? "\n  },\n  \"inputs\": [" : "},\n  \"inputs\": [", fp);
	for (int i = 0; i < o->n_in; ++i) {
		char hex[65], *rp = realpath(o->in[i].v, NULL);
		uint64_t bytes = 0;
		int ret = km_sha256_file(o->in[i].v, hex, &bytes, e);
		if (ret < 0) { free(rp); return ret == KM_EOPEN ? KM_EIO : ret; }
		fputs(i ? ",\n    {\"option\": " : "\n    {\"option\": ", fp), json_str(fp, o->in[i].k);
		fputs(", \"path\": ", fp), json_str(fp, o->in[i].v);
		fputs(", \"realpath\": ", fp), json_str(fp, rp ? rp : o->in[i].v);
		fprintf(fp, ", \"sha256\": \"%s\", \"bytes\": %llu}", hex, (unsigned long long)bytes);
		free(rp);
	}
	fputs(o->n_in ? "\n  ],\n  \"outputs\": [" : "],\n  \"outputs\": [", fp);
	for (int i = 0; i < n_out; ++i) {
		fputs(i ? ",\n    {\"path\": " : "\n    {\"path\": ", fp), json_str(fp, o->sink[i].name);
		fprintf(fp, ", \"sha256\": \"%s\", \"bytes\": %llu}", o->sink[i].sha, (unsigned long long)o->sink[i].bytes);
	}
	fputs(n_out ? "\n  ],\n  \"counts\": {" : "],\n  \"counts\": {", fp);
	for (int i = 0; i < o->n_cnt; ++i) fputs(i ? ",\n    " : "\n    ", fp), json_str(fp, o->cnt[i].k), fprintf(fp, ": %s", o->cnt[i].v);
	fputs(o->n_cnt ? "\n  },\n  \"warnings\": [" : "},\n  \"warnings\": [", fp);
	for (long i = 0; i < o->n_warn; ++i) {
		char *w = NULL;
		if (asprintf(&w, "%s %s: %s", o->warn[i].kind, o->warn[i].id, o->warn[i].msg) < 0) return km_err_set(e, KM_ENOMEM, "out of memory");
		fputs(i ? ",\n    " : "\n    ", fp), json_str(fp, w);
		free(w);
	}
	fputs(o->n_warn ? "\n  ]\n}\n" : "]\n}\n", fp);
	return 0;
}

/* ---- the API ---------------------------------------------------------------------------- */

int km_out_open(km_out_t **op, const char *dir, km_err_t *e)
{
	km_out_t *o;
	int ret = 0;
	*op = NULL;
	if (!dir || !dir[0]) return km_err_set(e, KM_EUSAGE, "--out: expected a directory");
	if (!(o = calloc(1, sizeof *o)) || !(o->dir = strdup(dir))) {
		free(o);
		return km_err_set(e, KM_ENOMEM, "out of memory");
	}
	o->dfd = -1;
	o->t_start = time(NULL);
	mode_t um = umask(0);
	umask(um);
	o->mode = 0666 & ~um;
	for (int tries = 0; ; ++tries) {
		struct stat a, b;
		if ((ret = mkdir_p(o, dir, e)) < 0) goto fail;
		if ((o->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
			ret = km_err_set(e, KM_ECREATE, "--out %s: %s", dir, errno == ENOTDIR ? "not a directory" : strerror(errno));
			goto fail;
		}
		if (flock(o->dfd, LOCK_EX | LOCK_NB) != 0) {
			if (errno == EWOULDBLOCK)
				ret = km_err_set(e, KM_EBUSY, "--out %s: another kinmatch job is writing to this directory; wait for it to finish or choose another --out", dir);
			else ret = km_err_set(e, KM_ECREATE, "--out %s: cannot lock the directory: %s", dir, strerror(errno));
			/* the directory is the other job's now: never remove it */
			for (int i = 0; i < o->n_made; ++i) free(o->made[i]);
			o->n_made = 0;
			goto fail;
		}
		/* locked; but a job that gave up on DIR may have removed the (empty) directory it
		 * made between our open and our lock: then make it again */
		if (fstat(o->dfd, &a) == 0 && stat(dir, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) break;
		close(o->dfd), o->dfd = -1;
		if (tries == 10) { ret = km_err_set(e, KM_ECREATE, "--out %s: the directory keeps disappearing", dir); goto fail; }
	}
	if ((ret = roll_forward(o, e)) < 0) goto fail;
	clean_stale(o);
	{   /* can a file be made there?  (a read-only or full file system fails here, not
	     * after the whole job has run) */
		char *tmp = NULL;
		int fd = make_tmp(o, "probe", &tmp, e);
		if (fd < 0) { ret = fd; goto fail; }
		close(fd);
		unlinkat(o->dfd, tmp, 0);
		free(tmp);
	}
	*op = o;
	return 0;
fail:
	rm_made(o);
	if (o->dfd >= 0) close(o->dfd), o->dfd = -1;
	out_free(o);
	return ret;
}

/* Adds a sink and its temp file; 0 or a KM_E* code. */
static int sink_new(km_out_t *o, const char *name, km_sink_t **kp, km_err_t *e)
{
	*kp = NULL;
	if (!is_plain_name(name) || strncmp(name, KM_OUT_TMP_PREFIX, sizeof(KM_OUT_TMP_PREFIX) - 1) == 0 ||
	    strcmp(name, KM_OUT_JOURNAL) == 0)
		return km_err_set(e, KM_EINTERNAL, "output name '%s' is not a plain file name", name);
	for (int i = 0; i < o->n_sink; ++i)
		if (strcmp(o->sink[i].name, name) == 0) return km_err_set(e, KM_EINTERNAL, "output '%s' added twice", name);
	if (o->n_sink == o->m_sink) {
		int m = o->m_sink ? 2 * o->m_sink : 8;
		km_sink_t *t = realloc(o->sink, sizeof *t * m);
		if (!t) return km_err_set(e, KM_ENOMEM, "out of memory");
		o->sink = t, o->m_sink = m;
	}
	km_sink_t *k = &o->sink[o->n_sink];
	memset(k, 0, sizeof *k);
	k->fd = -1;
	if (!(k->name = strdup(name))) return km_err_set(e, KM_ENOMEM, "out of memory");
	int fd = make_tmp(o, name, &k->tmp, e);
	if (fd < 0) { free(k->name); return fd; }
	k->fd = fd;
	++o->n_sink;
	*kp = k;
	return 0;
}

FILE *km_out_add(km_out_t *o, const char *name, km_err_t *e)
{
	km_sink_t *k;
	if (sink_new(o, name, &k, e) < 0) return NULL;
	if (!(k->fp = fdopen(k->fd, "w"))) {
		km_err_set(e, KM_ENOMEM, "%s/%s: cannot open a stream: %s", o->dir, name, strerror(errno));
		return NULL;   /* the sink stays listed with its fd: abort removes it */
	}
	return k->fp;
}

int km_out_add_fd(km_out_t *o, const char *name, km_err_t *e)
{
	km_sink_t *k;
	int ret = sink_new(o, name, &k, e);
	if (ret < 0) return ret;
	int fd = fcntl(k->fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0) return km_err_set(e, errno == EMFILE ? KM_ECREATE : KM_EIO, "%s/%s: %s", o->dir, name, strerror(errno));
	return fd;
}

const char *km_out_dir(const km_out_t *o) { return o->dir; }

void km_out_abort(km_out_t *o)
{
	if (!o) return;
	for (int i = 0; i < o->n_sink; ++i) {
		sink_close(&o->sink[i]);
		if (o->sink[i].tmp) unlinkat(o->dfd, o->sink[i].tmp, 0);
	}
	rm_made(o);   /* while still locked: a job that locks DIR after us sees it gone and remakes it */
	close(o->dfd), o->dfd = -1;
	out_free(o);
}

/* Flushes, checks, fsyncs, digests and closes one sink. */
static int sink_finish(km_out_t *o, km_sink_t *k, km_err_t *e)
{
	int bad = 0, err = 0, fd = k->fp ? fileno(k->fp) : k->fd;
	if (fd < 0) return 0;
	if (k->fp && (fflush(k->fp) != 0 || ferror(k->fp))) bad = 1, err = errno;
	if (!bad && fsync(fd) != 0) bad = 1, err = errno;
	if (!bad && (lseek(fd, 0, SEEK_SET) != 0 || km_sha256_fd(fd, k->sha, &k->bytes) < 0)) bad = 1, err = errno;
	if (k->fp) {
		if (fclose(k->fp) != 0 && !bad) bad = 1, err = errno;
	} else if (close(k->fd) != 0 && !bad) bad = 1, err = errno;
	k->fp = NULL, k->fd = -1;
	if (bad) return km_err_set(e, KM_EIO, "%s/%s: cannot write: %s", o->dir, k->name, strerror(err ? err : EIO));
	return 0;
}

int km_out_commit(km_out_t *o, km_err_t *e)
{
	int ret = 0, jfd = -1;
	char *jtmp = NULL;
	FILE *jf = NULL;
	if (o->manifest) km_warn_set_hook(NULL, NULL);   /* what the run had to say is said */
	if (o->oom) ret = km_err_set(e, KM_ENOMEM, "out of memory");
	if (ret == 0 && o->manifest) ret = write_warnings(o, e);
	/* 1. every sink complete, on disk and digested */
	for (int i = 0; i < o->n_sink && ret == 0; ++i) ret = sink_finish(o, &o->sink[i], e);
	/* the manifest last, listing every other sink */
	if (ret == 0 && o->manifest) {
		int n_out = o->n_sink;
		FILE *fp = km_out_add(o, "manifest.json", e);
		if (!fp) ret = KM_ECREATE;
		else if ((ret = write_manifest(o, fp, n_out, e)) == 0) ret = sink_finish(o, &o->sink[o->n_sink - 1], e);
	}
	/* a directory in the way would fail mid-rename: refuse before anything moves */
	for (int i = 0; i < o->n_sink && ret == 0; ++i) {
		struct stat st;
		if (fstatat(o->dfd, o->sink[i].name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
			ret = km_err_set(e, KM_ECREATE, "%s/%s: is a directory", o->dir, o->sink[i].name);
	}
	/* 2. the journal: from its rename on, the run is committed */
	if (ret == 0 && o->n_sink > 1) {
		if ((jfd = make_tmp(o, "journal", &jtmp, e)) < 0) { ret = jfd; jfd = -1; }
		else if (!(jf = fdopen(jfd, "w"))) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); close(jfd); }
		for (int i = 0; ret == 0 && i < o->n_sink; ++i)
			if (fprintf(jf, "%s\t%s\n", o->sink[i].tmp, o->sink[i].name) < 0) ret = km_err_set(e, KM_EIO, "%s: cannot write the commit journal: %s", o->dir, strerror(errno));
		if (ret == 0 && (fflush(jf) != 0 || fsync(fileno(jf)) != 0))
			ret = km_err_set(e, KM_EIO, "%s: cannot write the commit journal: %s", o->dir, strerror(errno));
		if (jf && fclose(jf) != 0 && ret == 0) ret = km_err_set(e, KM_EIO, "%s: cannot write the commit journal: %s", o->dir, strerror(errno));
		if (ret == 0 && renameat(o->dfd, jtmp, o->dfd, KM_OUT_JOURNAL) != 0)
			ret = km_err_set(e, KM_EIO, "%s: cannot write the commit journal: %s", o->dir, strerror(errno));
		if (ret == 0 && fsync(o->dfd) != 0) ret = km_err_set(e, KM_EIO, "%s: fsync: %s", o->dir, strerror(errno));
		if (ret < 0 && jtmp) unlinkat(o->dfd, jtmp, 0), unlinkat(o->dfd, KM_OUT_JOURNAL, 0);
	}
	if (ret < 0) {
		free(jtmp);
		km_out_abort(o);
		return ret;
	}
	/* 3. the renames; rename() replaces a symlink under the name, never follows it */
	for (int i = 0; i < o->n_sink; ++i) {
		km_sink_t *k = &o->sink[i];
		if (renameat(o->dfd, k->tmp, o->dfd, k->name) != 0 && ret == 0)
			ret = km_err_set(e, KM_EIO, "%s/%s: cannot rename into place: %s", o->dir, k->name, strerror(errno));
	}
	if (fsync(o->dfd) != 0 && ret == 0) ret = km_err_set(e, KM_EIO, "%s: fsync: %s", o->dir, strerror(errno));
	if (ret == 0 && jtmp) unlinkat(o->dfd, KM_OUT_JOURNAL, 0), fsync(o->dfd);
	/* on a failed rename the journal stays: the next open into DIR finishes the commit */
	free(jtmp);
	out_free(o);   /* the directories it made hold the results now: kept */
	return ret;
}
