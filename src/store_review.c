/* store_review.c — the analysts' reviews: append-only rows of table `reviews`; the latest
 * row of a (remain, family, missing) is its review (a new row supersedes, nothing is ever
 * edited: triggers refuse UPDATE and DELETE).  --dvi takes the confirmed and rejected
 * ones into the next night's identification (CONTRACT.md, "Identification", 3). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>
#include "kmpriv.h"
#include "store.h"

static const char *const status_name[] = { "pending", "confirmed", "rejected" };

const char *km_review_status_name(int st)
{
	return st >= 0 && st <= 2 ? status_name[st] : "?";
}

int km_review_status_parse(const char *s)
{
	for (int i = 0; i < 3; ++i) if (strcmp(s, status_name[i]) == 0) return i;
	return -1;
}

int km_store_review_add(km_store_t *s, const km_review_t *r, km_err_t *e)
{
	sqlite3 *db = km_store_db(s);
	sqlite3_stmt *q = NULL;
	int ret = 0;
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return km_err_set(e, KM_EIO, "--store: cannot lock: %s", sqlite3_errmsg(db));
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM matches WHERE remain = ? AND family = ? AND missing = ?", -1, &q, NULL) != SQLITE_OK) goto sqfail;
	sqlite3_bind_text(q, 1, r->remain, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, r->family, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 3, r->missing, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(q) != SQLITE_ROW) goto sqfail;
	if (sqlite3_column_int64(q, 0) == 0) {
		ret = km_err_set(e, KM_EINPUT, "remain %s, family %s, missing %s: never a candidate in any run of this store; nothing to review",
		                 r->remain, r->family, r->missing);
		goto done;
	}
	sqlite3_finalize(q);
	q = NULL;
	if (sqlite3_prepare_v2(db, "INSERT INTO reviews(at, remain, family, missing, status, by, note) VALUES (?, ?, ?, ?, ?, ?, ?)", -1, &q, NULL) != SQLITE_OK) goto sqfail;
	sqlite3_bind_text(q, 1, r->at, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, r->remain, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 3, r->family, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 4, r->missing, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 5, km_review_status_name(r->status), -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 6, r->by, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 7, r->note ? r->note : "", -1, SQLITE_TRANSIENT);
	if (sqlite3_step(q) != SQLITE_DONE) goto sqfail;
	sqlite3_finalize(q);
	q = NULL;
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) goto sqfail;
	return 0;
sqfail:
	ret = km_err_set(e, KM_EIO, "--store: cannot add the review: %s", sqlite3_errmsg(db));
done:
	sqlite3_finalize(q);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return ret;
}

static char *dup_col(sqlite3_stmt *q, int i)
{
	const unsigned char *t = sqlite3_column_text(q, i);
	return strdup(t ? (const char *)t : "");
}

void km_store_reviews_free(km_review_t *rv, int n)
{
	for (int i = 0; rv && i < n; ++i) {
		free(rv[i].remain); free(rv[i].family); free(rv[i].missing);
		free(rv[i].by); free(rv[i].note); free(rv[i].at);
	}
	free(rv);
}

int km_store_reviews(const char *fn, km_review_t **rvp, int *np, km_err_t *e)
{
	km_store_t *s = NULL;
	sqlite3_stmt *q = NULL;
	km_review_t *rv = NULL;
	int n = 0, m = 0, ret;
	*rvp = NULL, *np = 0;
	if (access(fn, F_OK) != 0) return 0;   /* the first night: no store, no reviews */
	if ((ret = km_store_open(&s, fn, 0, e)) < 0) return ret;
	sqlite3 *db = km_store_db(s);
	/* the latest row per pair (ids grow: a later review supersedes, whatever its clock says) */
	static const char *sql =
		"SELECT r.remain, r.family, r.missing, r.status, r.by, r.note, r.at, r.id FROM reviews r"
		" JOIN (SELECT max(id) AS id FROM reviews GROUP BY remain, family, missing) l ON r.id = l.id"
		" WHERE r.status IN ('confirmed', 'rejected') ORDER BY r.remain, r.family, r.missing";
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) { ret = km_err_set(e, KM_EIO, "--store %s: %s", fn, sqlite3_errmsg(db)); goto done; }
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (n == m) {
			m = m ? 2 * m : 16;
			km_review_t *t = realloc(rv, sizeof(*rv) * m);
			if (!t) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto done; }
			rv = t;
		}
		km_review_t *r = &rv[n++];
		memset(r, 0, sizeof(*r));
		r->remain = dup_col(q, 0), r->family = dup_col(q, 1), r->missing = dup_col(q, 2);
		r->status = km_review_status_parse((const char *)sqlite3_column_text(q, 3));
		r->by = dup_col(q, 4), r->note = dup_col(q, 5), r->at = dup_col(q, 6);
		r->id = (long)sqlite3_column_int64(q, 7);
		if (!r->remain || !r->family || !r->missing || !r->by || !r->note || !r->at) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto done; }
	}
	if (rc != SQLITE_DONE) { ret = km_err_set(e, KM_EIO, "--store %s: %s", fn, sqlite3_errmsg(db)); goto done; }
	ret = 0;
done:
	sqlite3_finalize(q);
	km_store_close(s);
	if (ret < 0) { km_store_reviews_free(rv, n); return ret; }
	*rvp = rv, *np = n;
	return 0;
}
