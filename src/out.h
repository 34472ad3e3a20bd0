/* out.h — the output layer: every file a run writes is a sink of one km_out_t, and the
 * run's files are committed together or not at all.
 *
 *   km_out_open()    before any loading: mkdir -p DIR, check that a file can be created
 *                    there, take an exclusive lock on DIR (flock on the directory's fd; a
 *                    second job into the same DIR is refused at once with KM_EBUSY),
 *                    finish a commit a dead run had started, remove its temp files.
 *   km_out_add()     a sink for DIR/NAME: a temp file DIR/.kinmatch-tmp.NAME.XXXXXX made
 *                    by mkostemp (O_CREAT|O_EXCL: a unique new file, never a symlink
 *                    followed).  The stream belongs to the layer: write, never fclose.
 *   km_out_commit()  flush, check and fsync every sink, write the commit journal, rename
 *                    every temp onto its name (a symlink there is replaced by the regular
 *                    file, never written through), fsync DIR, drop the journal, unlock,
 *                    free.  On error nothing is renamed and km_out_abort() has run.
 *   km_out_abort()   unlink every temp, remove the directories km_out_open() created if
 *                    they are empty, unlock, free.  Files of earlier runs stay as they were.
 *
 * All or nothing across a crash: the temps are complete and on disk before the journal
 * DIR/.kinmatch-commit (temp -> name, one pair a line) is renamed into place; a kill
 * between the journal and the last rename is rolled forward by the next km_out_open()
 * into DIR, a kill before the journal leaves DIR as it was (the temps are removed).
 *
 * Copyright (C) 2026 the kinmatch authors.  GPL-3.0-or-later.
 */
#ifndef KM_OUT_H
#define KM_OUT_H

#include <stdio.h>
#include "kinmatch.h"
#include "kmpriv.h"

typedef struct km_out_s km_out_t;

/* Prefix of every temp file and name of the commit journal (tests look for them). */
#define KM_OUT_TMP_PREFIX ".kinmatch-tmp."
#define KM_OUT_JOURNAL    ".kinmatch-commit"

/* Opens DIR for one run.  0, or KM_ECREATE (cannot create or write DIR), KM_EBUSY
 * (another job holds DIR), KM_ENOMEM; *o is NULL on error. */
int km_out_open(km_out_t **o, const char *dir, km_err_t *e);

/* A sink for DIR/name (name: a plain file name, no '/', each name once).  NULL on error
 * (e set; the run should km_out_abort()). */
FILE *km_out_add(km_out_t *o, const char *name, km_err_t *e);

/* The same for writers that want a file descriptor (BGZF): returns a descriptor the caller
 * owns and must close before km_out_commit() (bgzf_dopen + bgzf_close do); the layer keeps
 * its own descriptor of the same file to fsync it.  < 0 (a KM_E* code) on error. */
int km_out_add_fd(km_out_t *o, const char *name, km_err_t *e);

/* Commits every sink; frees o whatever happens.  0, KM_EIO (a write, fsync or rename
 * failed: nothing was renamed unless the failure came mid-rename, which the journal
 * rolls forward on the next open), KM_ENOMEM. */
int km_out_commit(km_out_t *o, km_err_t *e);

/* Drops every sink and frees o (NULL is a no-op). */
void km_out_abort(km_out_t *o);

/* The directory as given to km_out_open(). */
const char *km_out_dir(const km_out_t *o);

/* ---- provenance: DIR/manifest.json and DIR/warnings.tsv -------------------------------
 * After km_out_manifest(), km_out_commit() also writes, as the run's last two sinks:
 *   warnings.tsv   `kind  id  message`, one row per km_out_warn() and per km_warn()
 *                  message of the run (kind "warning", id NA), in the order they came;
 *                  the header alone when there was none;
 *   manifest.json  kinmatch_version, command, argv, started, finished (ISO 8601 UTC),
 *                  threads, options (name -> value as it would be typed; true/false for
 *                  flags; null for a file option not given), inputs (option, path,
 *                  realpath, sha256, bytes), outputs (every other file of the run, path
 *                  relative to DIR, sha256, bytes), counts (name -> number), warnings
 *                  (every warnings.tsv row as "kind id: message").
 * The calls below never fail: an allocation failure is remembered and km_out_commit()
 * returns KM_ENOMEM.  Registering a name again replaces its value (options, counts).
 * For a new output, a new count or a new option nothing else is needed: km_out_add(),
 * km_out_count(), km_out_option(). */
void km_out_manifest(km_out_t *o, const char *command, int argc, char *const argv[]);
void km_out_option(km_out_t *o, const char *name, const char *fmt, ...) KM_PRINTF(3, 4);
void km_out_option_bool(km_out_t *o, const char *name, int on);
/* A number, shortest text that reads back to the same double ("0.5", "-inf"). */
void km_out_option_num(km_out_t *o, const char *name, double x);
void km_out_option_null(km_out_t *o, const char *name);
int km_out_has_option(const km_out_t *o, const char *name);   /* 1 if registered */
/* An input file; its digest and size are taken at commit. */
void km_out_input(km_out_t *o, const char *option, const char *path);
void km_out_count(km_out_t *o, const char *name, double value);
void km_out_threads(km_out_t *o, int n);
/* A named finding (a remain left out, an unused reference, an omitted family): a row of
 * warnings.tsv and an entry of the manifest's warnings.  Not printed: the command's
 * summary prints the counts. */
void km_out_warn(km_out_t *o, const char *kind, const char *id, const char *fmt, ...) KM_PRINTF(4, 5);
/* Rows km_out_warn() recorded under kind so far. */
long km_out_nwarn(const km_out_t *o, const char *kind);

#endif
