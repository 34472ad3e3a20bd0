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
#include <sys/stat.h>
#include <unistd.h>
#include "kmpriv.h"
#include "out.h"

typedef struct {
	char *name;   /* final name in DIR */
	char *tmp;    /* temp name in DIR */
	FILE *fp;     /* the layer's stream (km_out_add), else NULL */
	int fd;       /* the layer's descriptor, -1 once closed */
} km_sink_t;

struct km_out_s {
	char *dir;          /* as given */
	int dfd;            /* DIR, O_DIRECTORY, flocked */
	mode_t mode;        /* 0666 & ~umask: what fopen() would have made */
	int n_sink, m_sink;
	km_sink_t *sink;
	int n_made;         /* directories mkdir'ed by km_out_open, outermost first */
	char **made;
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

static void out_free(km_out_t *o)
{
	for (int i = 0; i < o->n_sink; ++i) free(o->sink[i].name), free(o->sink[i].tmp);
	free(o->sink);
	for (int i = 0; i < o->n_made; ++i) free(o->made[i]);
	free(o->made);
	if (o->dfd >= 0) close(o->dfd);   /* releases the flock */
	free(o->dir);
	free(o);
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

int km_out_commit(km_out_t *o, km_err_t *e)
{
	int ret = 0, jfd = -1;
	char *jtmp = NULL;
	FILE *jf = NULL;
	/* 1. every sink complete and on disk */
	for (int i = 0; i < o->n_sink && ret == 0; ++i) {
		km_sink_t *k = &o->sink[i];
		int bad = 0, err = 0;
		if (k->fp) {
			if (fflush(k->fp) != 0 || ferror(k->fp)) bad = 1, err = errno;
			if (!bad && fsync(fileno(k->fp)) != 0) bad = 1, err = errno;
			if (fclose(k->fp) != 0 && !bad) bad = 1, err = errno;
			k->fp = NULL, k->fd = -1;
		} else if (k->fd >= 0) {
			if (fsync(k->fd) != 0) bad = 1, err = errno;
			if (close(k->fd) != 0 && !bad) bad = 1, err = errno;
			k->fd = -1;
		}
		if (bad) ret = km_err_set(e, KM_EIO, "%s/%s: cannot write: %s", o->dir, k->name, strerror(err ? err : EIO));
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
