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

#endif
