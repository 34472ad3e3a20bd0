/* ped.c — pedigrees: parse, resolve parents, validate.
 *
 * Columns: family person father mother sex role.  Rows are read first (a parent may be
 * defined after its child), then each family is built with persons in row order, and
 * parents become indices within the family (-1 for a founder, written `0`).
 *
 * Checks, each naming the row at fault: duplicate person in a family, one parent only,
 * father == mother, unknown parent, parent of wrong sex, a person who is their own
 * ancestor.  Marriage loops and inbreeding are valid.  km_peds_link() then ties each
 * reference to its profile and checks sex against X-/Y-STR calls.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <htslib/khash_str2int.h>
#include "kmpriv.h"

typedef struct {
	int fam;                  /* family index */
	char *id, *fa, *mo;       /* owned until moved into the family */
	int sex, role, line;
	int c_person, c_fa, c_mo; /* byte columns, for messages */
} ped_row_t;

typedef struct {
	int n_row, m_row;
	ped_row_t *row;
	void **phash;             /* per family: person id -> row index */
	int m_fam;
	void *fhash;              /* family id -> family index */
	int c_person, c_fa, c_mo; /* column indices, for " (column 'x')" */
} ped_ctx_t;

void km_peds_destroy(km_peds_t *d)
{
	int i, j;
	if (d == NULL) return;
	for (i = 0; i < d->n_family; ++i) {
		km_family_t *fm = &d->fam[i];
		for (j = 0; j < fm->n_person && fm->person; ++j) free(fm->person[j].id);
		free(fm->person);
		free(fm->id);
	}
	free(d->fam);
	free(d->fn);
	memset(d, 0, sizeof *d);
}

static int ped_sex(const char *s)
{
	if (strcmp(s, "1") == 0 || strcasecmp(s, "male") == 0 || strcasecmp(s, "M") == 0) return KM_MALE;
	if (strcmp(s, "2") == 0 || strcasecmp(s, "female") == 0 || strcasecmp(s, "F") == 0) return KM_FEMALE;
	return -1;
}

static int ped_role(const char *s)
{
	if (strcasecmp(s, "missing") == 0) return KM_ROLE_MISSING;
	if (strcasecmp(s, "reference") == 0) return KM_ROLE_REFERENCE;
	if (strcasecmp(s, "untyped") == 0) return KM_ROLE_UNTYPED;
	return -1;
}

/* Family index of id, adding the family if new; < 0 on memory failure. */
static int ped_family(km_peds_t *d, ped_ctx_t *x, const char *id, int line)
{
	int f;
	if (khash_str2int_get(x->fhash, id, &f) == 0) return f;
	if (d->n_family == x->m_fam) {
		int m = x->m_fam ? x->m_fam * 2 : 8;
		km_family_t *t = realloc(d->fam, m * sizeof *t);
		void **h;
		if (t == NULL) return KM_ENOMEM;
		d->fam = t;
		if ((h = realloc(x->phash, m * sizeof *h)) == NULL) return KM_ENOMEM;
		x->phash = h;
		x->m_fam = m;
	}
	f = d->n_family;
	memset(&d->fam[f], 0, sizeof d->fam[f]);
	x->phash[f] = NULL;
	if ((d->fam[f].id = strdup(id)) == NULL) return KM_ENOMEM;
	d->fam[f].line = line;
	d->n_family = f + 1; /* owned from here on */
	if ((x->phash[f] = khash_str2int_init()) == NULL || khash_str2int_set(x->fhash, d->fam[f].id, f) < 0)
		return KM_ENOMEM;
	return f;
}

static int ped_read_rows(km_peds_t *d, ped_ctx_t *x, km_tsv_t *r, km_err_t *e)
{
	int ret, c_fam, c_person, c_fa, c_mo, c_sex, c_role;
	if ((ret = km_tsv_header(r, e)) < 0) return ret;
	if ((ret = km_tsv_need(r, "family", &c_fam, e)) < 0) return ret;
	if ((ret = km_tsv_need(r, "person", &c_person, e)) < 0) return ret;
	if ((ret = km_tsv_need(r, "father", &c_fa, e)) < 0) return ret;
	if ((ret = km_tsv_need(r, "mother", &c_mo, e)) < 0) return ret;
	if ((ret = km_tsv_need(r, "sex", &c_sex, e)) < 0) return ret;
	if ((ret = km_tsv_need(r, "role", &c_role, e)) < 0) return ret;
	x->c_person = c_person, x->c_fa = c_fa, x->c_mo = c_mo;
	while ((ret = km_tsv_next(r, e)) > 0) {
		const char *fam = km_tsv_field(r, c_fam), *id = km_tsv_field(r, c_person);
		const char *fa = km_tsv_field(r, c_fa), *mo = km_tsv_field(r, c_mo);
		const char *sex = km_tsv_field(r, c_sex), *role = km_tsv_field(r, c_role);
		ped_row_t *w;
		int f, prev;
		if (fam[0] == 0) return km_tsv_fail(r, c_fam, e, "family is empty");
		if (id[0] == 0) return km_tsv_fail(r, c_person, e, "person is empty");
		if (strcmp(id, "0") == 0) return km_tsv_fail(r, c_person, e, "person id '0' is reserved for 'no parent'");
		if (fa[0] == 0) return km_tsv_fail(r, c_fa, e, "father is empty (write 0 for a founder)");
		if (mo[0] == 0) return km_tsv_fail(r, c_mo, e, "mother is empty (write 0 for a founder)");
		if (strcmp(fa, "0") != 0 && strcmp(mo, "0") == 0)
			return km_tsv_fail(r, c_mo, e, "person '%s' has a father but no mother: give both parents or neither", id);
		if (strcmp(fa, "0") == 0 && strcmp(mo, "0") != 0)
			return km_tsv_fail(r, c_fa, e, "person '%s' has a mother but no father: give both parents or neither", id);
		if (strcmp(fa, "0") != 0 && strcmp(fa, mo) == 0)
			return km_tsv_fail(r, c_mo, e, "father and mother are the same person '%s'", fa);
		if (ped_sex(sex) < 0) return km_tsv_fail(r, c_sex, e, "sex '%s' is not 1, 2, male or female", sex);
		if (ped_role(role) < 0)
			return km_tsv_fail(r, c_role, e, "role '%s' is not missing, reference or untyped", role);
		if ((f = ped_family(d, x, fam, km_tsv_line(r))) < 0) return km_err_set(e, KM_ENOMEM, "out of memory");
		if (khash_str2int_get(x->phash[f], id, &prev) == 0)
			return km_tsv_fail(r, c_person, e, "duplicate person '%s' in family '%s' (first on line %d)", id, fam,
			                   x->row[prev].line);
		if (x->n_row == x->m_row) {
			int m = x->m_row ? x->m_row * 2 : 32;
			ped_row_t *t = realloc(x->row, m * sizeof *t);
			if (t == NULL) return km_err_set(e, KM_ENOMEM, "out of memory");
			x->row = t;
			x->m_row = m;
		}
		w = &x->row[x->n_row];
		memset(w, 0, sizeof *w);
		w->fam = f, w->sex = ped_sex(sex), w->role = ped_role(role), w->line = km_tsv_line(r);
		w->c_person = km_tsv_fcol(r, c_person), w->c_fa = km_tsv_fcol(r, c_fa), w->c_mo = km_tsv_fcol(r, c_mo);
		++x->n_row; /* owned from here on: strings freed with the rows */
		if ((w->id = strdup(id)) == NULL || (w->fa = strdup(fa)) == NULL || (w->mo = strdup(mo)) == NULL)
			return km_err_set(e, KM_ENOMEM, "out of memory");
		if (khash_str2int_set(x->phash[f], w->id, x->n_row - 1) < 0) return km_err_set(e, KM_ENOMEM, "out of memory");
		++d->fam[f].n_person;
	}
	return ret;
}

/* "FN:LINE:COL: msg (column 'NAME')" for a row read earlier. */
static int ped_fail(const km_peds_t *d, const km_tsv_t *r, int line, int col, int ci, km_err_t *e, const char *msg)
{
	return km_err_at(e, d->fn, line, col, "%s (column '%s')", msg, km_tsv_colname(r, ci));
}

/* Parent index of row w (father if is_fa), checking that it exists and has the right sex. */
static int ped_parent(const km_peds_t *d, const ped_ctx_t *x, const km_tsv_t *r, const ped_row_t *w, int is_fa,
                      int *out, km_err_t *e)
{
	const char *pid = is_fa ? w->fa : w->mo, *what = is_fa ? "father" : "mother";
	int want = is_fa ? KM_MALE : KM_FEMALE, row;
	char msg[768];
	*out = -1;
	if (strcmp(pid, "0") == 0) return 0;
	if (khash_str2int_get(x->phash[w->fam], pid, &row) < 0) {
		snprintf(msg, sizeof msg, "%s '%s' is not a person of family '%s'", what, pid, d->fam[w->fam].id);
		return ped_fail(d, r, w->line, is_fa ? w->c_fa : w->c_mo, is_fa ? x->c_fa : x->c_mo, e, msg);
	}
	if (x->row[row].sex != want) {
		snprintf(msg, sizeof msg, "parent of wrong sex: %s '%s' is %s (line %d)", what, pid,
		         want == KM_MALE ? "female" : "male", x->row[row].line);
		return ped_fail(d, r, w->line, is_fa ? w->c_fa : w->c_mo, is_fa ? x->c_fa : x->c_mo, e, msg);
	}
	*out = row;
	return 0;
}

/* Finds a person who is their own ancestor in family f, if any (Kahn's order, so deep
 * pedigrees need no recursion).  pos[] maps rows to person indices; rows[] the reverse. */
static int ped_cycle(const km_peds_t *d, const ped_ctx_t *x, const km_tsv_t *r, int f, const int *rows, km_err_t *e)
{
	const km_family_t *fm = &d->fam[f];
	int n = fm->n_person, i, head = 0, tail = 0, ret = 0, *deg, *queue, *nkid, *kid, *off, *seen;
	char msg[768];
	deg = calloc(n + 1, sizeof *deg);
	queue = malloc((n + 1) * sizeof *queue);
	nkid = calloc(n + 1, sizeof *nkid);
	off = calloc(n + 2, sizeof *off);
	kid = malloc((2 * n + 1) * sizeof *kid);
	seen = calloc(n + 1, sizeof *seen);
	if (!deg || !queue || !nkid || !off || !kid || !seen) {
		ret = km_err_set(e, KM_ENOMEM, "out of memory");
		goto out;
	}
	/* children lists in one block (CSR): parents point to their children */
	for (i = 0; i < n; ++i) {
		const km_person_t *q = &fm->person[i];
		if (q->father >= 0) ++nkid[q->father], ++deg[i];
		if (q->mother >= 0) ++nkid[q->mother], ++deg[i];
	}
	for (i = 0; i < n; ++i) off[i + 1] = off[i] + nkid[i], nkid[i] = 0;
	for (i = 0; i < n; ++i) {
		const km_person_t *q = &fm->person[i];
		if (q->father >= 0) kid[off[q->father] + nkid[q->father]++] = i;
		if (q->mother >= 0) kid[off[q->mother] + nkid[q->mother]++] = i;
	}
	for (i = 0; i < n; ++i)
		if (deg[i] == 0) queue[tail++] = i;
	while (head < tail) {
		int u = queue[head++], k;
		for (k = off[u]; k < off[u + 1]; ++k)
			if (--deg[kid[k]] == 0) queue[tail++] = kid[k];
	}
	if (tail < n) {
		/* Every person left has a parent left: walking up from one must revisit someone,
		 * who is on a cycle.  Report the earliest line on that cycle. */
		int u, best;
		for (u = 0; deg[u] == 0; ++u) {}
		while (!seen[u]) {
			const km_person_t *q = &fm->person[u];
			seen[u] = 1;
			u = q->father >= 0 && deg[q->father] > 0 ? q->father : q->mother;
		}
		best = u;
		for (i = fm->person[u].father >= 0 && deg[fm->person[u].father] > 0 ? fm->person[u].father : fm->person[u].mother;
		     i != u;
		     i = fm->person[i].father >= 0 && deg[fm->person[i].father] > 0 ? fm->person[i].father : fm->person[i].mother)
			if (fm->person[i].line < fm->person[best].line) best = i;
		snprintf(msg, sizeof msg, "person '%s' is their own ancestor", fm->person[best].id);
		ret = ped_fail(d, r, fm->person[best].line, x->row[rows[best]].c_person, x->c_person, e, msg);
	}
out:
	free(deg), free(queue), free(nkid), free(off), free(kid), free(seen);
	return ret;
}

static int ped_build(km_peds_t *d, ped_ctx_t *x, const km_tsv_t *r, km_err_t *e)
{
	int i, f, ret = 0, *pos = NULL, *rows = NULL, *fill = NULL;
	pos = malloc((x->n_row + 1) * sizeof *pos);   /* row -> index within its family */
	rows = malloc((x->n_row + 1) * sizeof *rows); /* family offset + index -> row */
	fill = calloc(d->n_family + 1, sizeof *fill);
	if (!pos || !rows || !fill) {
		ret = km_err_set(e, KM_ENOMEM, "out of memory");
		goto out;
	}
	for (f = 0; f < d->n_family; ++f)
		if ((d->fam[f].person = calloc(d->fam[f].n_person, sizeof(km_person_t))) == NULL) {
			ret = km_err_set(e, KM_ENOMEM, "out of memory");
			goto out;
		}
	for (i = 0; i < x->n_row; ++i) {
		ped_row_t *w = &x->row[i];
		km_person_t *q = &d->fam[w->fam].person[fill[w->fam]];
		pos[i] = fill[w->fam]++;
		q->id = w->id, w->id = NULL; /* moved */
		q->sex = w->sex, q->role = w->role, q->line = w->line;
		q->father = q->mother = q->sample = -1;
	}
	/* resolve parents in file order, so the first bad row is the one reported */
	for (i = 0; i < x->n_row; ++i) {
		ped_row_t *w = &x->row[i];
		km_person_t *q = &d->fam[w->fam].person[pos[i]];
		int fr, mr;
		if ((ret = ped_parent(d, x, r, w, 1, &fr, e)) < 0) goto out;
		if ((ret = ped_parent(d, x, r, w, 0, &mr, e)) < 0) goto out;
		q->father = fr >= 0 ? pos[fr] : -1;
		q->mother = mr >= 0 ? pos[mr] : -1;
	}
	/* rows grouped by family in file order (a counting sort: one pass, not one per family,
	 * which at 100,000 families was most of the load time) */
	{
		int *start = fill;   /* reused: fill[f] == n_person of f here */
		int acc = 0;
		for (f = 0; f < d->n_family; ++f) { int n = start[f]; start[f] = acc; acc += n; }
		for (i = 0; i < x->n_row; ++i) rows[start[x->row[i].fam] + pos[i]] = i;
	}
	for (f = 0; f < d->n_family; ++f) {
		int n = d->fam[f].n_person, k;
		if ((ret = ped_cycle(d, x, r, f, rows + fill[f], e)) < 0) goto out;
		for (k = 0; k < n && d->fam[f].person[k].role != KM_ROLE_MISSING; ++k) {}
		if (k == n) km_warn("%s: family '%s' has no missing person", d->fn, d->fam[f].id);
	}
out:
	free(pos), free(rows), free(fill);
	return ret;
}

static int peds_load(km_peds_t *d, km_tsv_t *r, km_err_t *e)
{
	ped_ctx_t x;
	int ret, i;
	memset(&x, 0, sizeof x);
	if ((d->fn = strdup(km_tsv_name(r))) == NULL || (x.fhash = khash_str2int_init()) == NULL)
		ret = km_err_set(e, KM_ENOMEM, "out of memory");
	else if ((ret = ped_read_rows(d, &x, r, e)) >= 0)
		ret = ped_build(d, &x, r, e);
	for (i = 0; i < x.n_row; ++i) free(x.row[i].id), free(x.row[i].fa), free(x.row[i].mo);
	free(x.row);
	for (i = 0; i < d->n_family; ++i)
		if (x.phash[i]) khash_str2int_destroy(x.phash[i]);
	free(x.phash);
	if (x.fhash) khash_str2int_destroy(x.fhash);
	km_tsv_close(r);
	if (ret < 0) km_peds_destroy(d);
	return ret < 0 ? ret : 0;
}

int km_peds_load(km_peds_t *d, const char *fn, km_err_t *e)
{
	km_tsv_t *r;
	int ret;
	memset(d, 0, sizeof *d);
	if ((ret = km_tsv_open(&r, fn, e)) < 0) return ret;
	return peds_load(d, r, e);
}

int km_peds_load_mem(km_peds_t *d, const char *name, const char *buf, size_t len, km_err_t *e)
{
	km_tsv_t *r;
	int ret;
	memset(d, 0, sizeof *d);
	if ((ret = km_tsv_open_mem(&r, name, buf, len, e)) < 0) return ret;
	return peds_load(d, r, e);
}

int km_peds_link(km_peds_t *d, const km_prof_t *refs, const km_panel_t *p, km_err_t *e)
{
	return km_peds_link_sel(d, refs, p, NULL, 0, e);
}

int km_peds_link_sel(km_peds_t *d, const km_prof_t *refs, const km_panel_t *p, const int *fsel, int k, km_err_t *e)
{
	int f, i, m;
	for (f = 0; f < d->n_family; ++f) {
		for (i = 0; i < d->fam[f].n_person; ++i) {
			km_person_t *q = &d->fam[f].person[i];
			int s;
			q->sample = -1;
			if (q->role != KM_ROLE_REFERENCE || (fsel && fsel[f] != k)) continue;
			if ((s = km_prof_find(refs, q->id)) < 0)
				return km_err_at(e, d->fn, q->line, 1, "reference '%s' has no profile in %s", q->id,
				                 refs && refs->fn ? refs->fn : "the references");
			q->sample = s;
			/* the line of the sample's first row: the call itself may be further down */
			for (m = 0; m < p->n_marker && m < refs->n_marker; ++m) {
				const int32_t *g = km_prof_gt(refs, s, m);
				int type = p->marker[m].type;
				if (g[0] < 0) continue;
				if (type == KM_SYS_X && q->sex == KM_MALE && g[1] >= 0 && g[1] != g[0])
					return km_err_at(e, refs->fn, refs->line[s], 1, "heterozygous X-STR call for male '%s' at marker %s",
					                 q->id, p->marker[m].name);
				if (type == KM_SYS_X && q->sex == KM_FEMALE && g[1] == KM_HEMI)
					return km_err_at(e, refs->fn, refs->line[s], 1, "hemizygous X-STR call for female '%s' at marker %s",
					                 q->id, p->marker[m].name);
				if (type == KM_SYS_Y && q->sex == KM_FEMALE)
					return km_err_at(e, refs->fn, refs->line[s], 1, "Y-STR call for female '%s' at marker %s", q->id,
					                 p->marker[m].name);
			}
		}
	}
	return 0;
}
