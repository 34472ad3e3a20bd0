/* identrun.c — the identify stage of `kinmatch match --dvi` (CONTRACT.md, Identification).
 *
 * 1. The matrix: every sex-consistent (remain, candidate) pair with log10 LR >=
 *    min(0, --dvi-min-log10-lr), computed exactly from the candidates' compiled tables
 *    (the numbers of matches.tsv, before --top / --min-log10-lr / --min-loci), kept per
 *    candidate column.  Pairs below min(0, ..) can never block an undisputed pair (t > 0).
 * 2. Undisputed, iterated: the pairs undisputed at the step are accepted together; each
 *    remain is placed in its family as a typed member (famlik.c), and the columns of that
 *    family's other missing persons are computed again with all of the family's placed
 *    remains as typed members; repeat until a step finds none.
 * 3. Joint, per component of the reduced problem (ident.c), with the last step's LRs;
 *    a family holding several remains gets its joint term from famlik.c.
 * 4. One conclusion per remain.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "kmpriv.h"
#include "pipe.h"
#include "ident.h"
#include "lineage.h"
#include "store.h"   /* results store (store): reviews */

typedef struct {
	int r;
	double lr;
} cell_t;

typedef struct {
	int n, m;
	cell_t *v;              /* sorted by remain index */
} col_t;

typedef struct {
	const km_iin_t *in;
	int nr, nc, nf;
	int *cfam;              /* family of each candidate */
	col_t *col;             /* per candidate */
	uint8_t *ract, *cact;   /* still in the problem */
	int *ord, *rpos;        /* remains in byte order of ids; position of each remain */
	km_place_t **base; int *n_base, *m_base;   /* per family: placed remains */
	km_famlik_t *fl;
	km_linj_t *lj;          /* joint lineage terms (linjoint.c), NULL without lineage data */
	double thr;             /* storage threshold */
	/* results */
	int *und_step; int *und_c; double *und_lr;  /* per remain: step (0 none), candidate, lr */
	long lin_left;          /* families where a joint term left a lineage line out */
	uint8_t *lin_fam;       /* per family: counted in lin_left */
	km_err_t *e;
	/* results store (store): remains placed by a confirmed review; rejected (r, c) pairs */
	uint8_t *conf;
	int n_rej, *rej;
} run_t;

static int sex_ok(const run_t *R, int r, int c)
{
	const km_tabs_t *t = R->in->tabs;
	int s = R->in->rsex ? R->in->rsex[r] : 0;
	return s == 0 || R->in->peds->fam[t->cand[c].fam].person[t->cand[c].person].sex == s;
}

static int col_push(col_t *c, int r, double lr)
{
	if (c->n == c->m) {
		int m = c->m ? 2 * c->m : 8;
		cell_t *t = realloc(c->v, sizeof(cell_t) * m);
		if (!t) return KM_ENOMEM;
		c->v = t, c->m = m;
	}
	c->v[c->n].r = r, c->v[c->n++].lr = lr;
	return 0;
}

/* 1 if column c holds remain r with the printed value want (b: scratch) */
static int cell_fmt(const col_t *c, int r, char *b, const char *want)
{
	int lo = 0, hi = c->n - 1;   /* cells are in remain order */
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		if (c->v[mid].r < r) lo = mid + 1;
		else if (c->v[mid].r > r) hi = mid - 1;
		else { km_fmt_lr(b, 32, c->v[mid].lr); return strcmp(b, want) == 0; }
	}
	return 0;
}

/* exact log10 LR of remain r from a compiled candidate, as scan.c's exact sums: per
 * system the table entries in locus order, then the log10 of the product of its dropout
 * mixtures (km_drop_log10), the systems added in order — the value matches.tsv prints */
static double exact_lr(const km_index_t *ix, const km_ctab_t *ct, int r)
{
	const uint16_t *g = ix->gidx + (size_t)r * ix->n_loc;
	size_t q = ix->drop_start[r], q1 = ix->drop_start[r + 1];
	double tot = 0.0;
	for (int sy = 0; sy < KM_N_SYS; ++sy) {
		double a = 0.0;
		for (int l = ix->sys_start[sy]; l < ix->sys_start[sy + 1]; ++l)
			if (g[l]) a += ct->lr[ix->col_off[l] + g[l]];
		size_t q0 = q;
		while (q < q1 && ix->drop[q].l < ix->sys_start[sy + 1]) ++q;
		if (q > q0) a += km_drop_log10(ix, ct->hom, q0, q);
		tot += a;
	}
	return tot;
}

/* step 1 of the stage: the matrix, candidate by candidate (threads over candidates).
 * From the scan's pairs when it kept them (the values matches.tsv prints, computed
 * once), else by compiling every candidate again */
static int fill_matrix(run_t *R)
{
	const km_iin_t *in = R->in;
	/* every pair of consistent sex, whatever --top, --min-log10-lr and --min-loci say
	 * (CONTRACT.md: those filter matches.tsv only) */
	if (in->sparse_on) {
		for (size_t i = 0; i < in->n_sp; ++i) {
			const km_sent_t *x = &in->sp[i];
			if (x->lr < R->thr || !sex_ok(R, x->remain, x->cand)) continue;
			if (col_push(&R->col[x->cand], x->remain, x->lr) < 0) return km_err_set(R->e, KM_ENOMEM, "out of memory");
		}
		return 0;
	}
	const km_index_t *ix = in->ix;
	int nthr = in->o->threads > 0 ? in->o->threads : 1, ret = 0, bad = -1;
	km_err_t *errs = calloc((size_t)nthr, sizeof(km_err_t));
	int *rets = calloc((size_t)nthr, sizeof(int));
	if (!errs || !rets) { free(errs); free(rets); return km_err_set(R->e, KM_ENOMEM, "out of memory"); }
	size_t per_c = ix->n_totcol + (size_t)ix->n_hom * 3;
	#pragma omp parallel num_threads(nthr)
	{
		int tid = 0;
#ifdef _OPENMP
		tid = omp_get_thread_num();
#endif
		km_cwork_t *w = km_cwork_new(in->comp);
		double *buf = malloc(sizeof(double) * (per_c + 1));
		uint8_t *typ = malloc((size_t)ix->n_loc + 1);
		if (!w || !buf || !typ) rets[tid] = km_err_set(&errs[tid], KM_ENOMEM, "out of memory");
		#pragma omp for schedule(dynamic, 4)
		for (int c = 0; c < R->nc; ++c) {
			if (rets[tid] < 0) continue;
			km_ctab_t ct = { 0 };
			ct.lr = buf, ct.hom = buf + ix->n_totcol, ct.typed = typ;
			int r2 = km_comp_cand(in->comp, w, &in->tabs->cand[c], &ct, &errs[tid]);
			if (r2 < 0) { rets[tid] = r2; continue; }
			for (int r = 0; r < R->nr && rets[tid] == 0; ++r) {
				if (!sex_ok(R, r, c)) continue;
				double x = exact_lr(ix, &ct, r);
				if (x > KM_NEG_INF && x >= R->thr && col_push(&R->col[c], r, x) < 0)
					rets[tid] = km_err_set(&errs[tid], KM_ENOMEM, "out of memory");
			}
		}
		km_cwork_free(w, NULL);
		free(buf); free(typ);
	}
	for (int i = 0; i < nthr; ++i) if (rets[i] < 0 && bad < 0) bad = i;
	if (bad >= 0) { *R->e = errs[bad]; ret = rets[bad]; }
	free(errs); free(rets);
	return ret;
}

/* The summary's conflicts from every pair (not only the rows --top keeps): remains with
 * LR >= 10^4 for two or more families; missing persons with LR >= 10^4 for two or more
 * remains, except exchangeable ones: every such remain has the same LR (to the printed
 * precision) for another missing person of the same family (two missing brothers with no
 * reference that tells them apart), counted apart. */
static int strong_stats(run_t *R, km_istat_t *st)
{
	int nr = R->nr, nc = R->nc;
	int *nfam = calloc((size_t)nr + 1, sizeof(int)), *lastf = malloc(sizeof(int) * ((size_t)nr + 1));
	if (!nfam || !lastf) { free(nfam); free(lastf); return km_err_set(R->e, KM_ENOMEM, "out of memory"); }
	for (int r = 0; r < nr; ++r) lastf[r] = -1;
	/* candidates are sorted by family: a remain's families counted in one pass */
	for (int c = 0; c < nc; ++c)
		for (int i = 0; i < R->col[c].n; ++i) {
			const cell_t *x = &R->col[c].v[i];
			if (x->lr < 4.0 || lastf[x->r] == R->cfam[c]) continue;
			lastf[x->r] = R->cfam[c], ++nfam[x->r];
		}
	for (int r = 0; r < nr; ++r) st->n_conf_rem += nfam[r] > 1;
	for (int c = 0; c < nc; ++c) {
		int n = 0, all_ex = 1;
		for (int i = 0; i < R->col[c].n; ++i) {
			const cell_t *x = &R->col[c].v[i];
			if (x->lr < 4.0) continue;
			++n;
			/* an equal printed LR of this remain for another missing person of the family */
			char a[32], b[32];
			int ex = 0;
			km_fmt_lr(a, sizeof a, x->lr);
			for (int c2 = c - 1; c2 >= 0 && R->cfam[c2] == R->cfam[c] && !ex; --c2) ex = cell_fmt(&R->col[c2], x->r, b, a);
			for (int c2 = c + 1; c2 < nc && R->cfam[c2] == R->cfam[c] && !ex; ++c2) ex = cell_fmt(&R->col[c2], x->r, b, a);
			if (!ex) all_ex = 0;
		}
		if (n > 1 && !all_ex) ++st->n_conf_miss;
		if (n > 0 && all_ex) ++st->n_exch;
	}
	free(nfam); free(lastf);
	return 0;
}

static int cmp_str_idx(const void *x, const void *y, void *ctx)
{
	char **s = ctx;
	return strcmp(s[*(const int *)x], s[*(const int *)y]);
}

/* the active entries, sorted by (remain position, candidate): remains are numbered by
 * their byte order so ident.c's conventions hold */
static int active_entries(const run_t *R, double min_lr, km_ient_t **out, size_t *n_out)
{
	size_t n = 0, m = 0;
	km_ient_t *v = NULL;
	for (int c = 0; c < R->nc; ++c) {
		if (!R->cact[c]) continue;
		for (int i = 0; i < R->col[c].n; ++i) {
			const cell_t *x = &R->col[c].v[i];
			if (!R->ract[x->r] || !(x->lr >= min_lr)) continue;
			if (n == m) {
				m = m ? 2 * m : 256;
				km_ient_t *t = realloc(v, sizeof(*t) * m);
				if (!t) { free(v); return KM_ENOMEM; }
				v = t;
			}
			v[n].r = R->rpos[x->r], v[n].c = c, v[n++].lr = x->lr;
		}
	}
	*out = v, *n_out = n;
	return 0;
}

static int cmp_ent(const void *x, const void *y)
{
	const km_ient_t *a = x, *b = y;
	return a->r != b->r ? (a->r < b->r ? -1 : 1) : a->c != b->c ? (a->c < b->c ? -1 : 1) : 0;
}

static int base_push(run_t *R, int fam, int person, int r)
{
	if (R->n_base[fam] == R->m_base[fam]) {
		int m = R->m_base[fam] ? 2 * R->m_base[fam] : 2;
		km_place_t *t = realloc(R->base[fam], sizeof(km_place_t) * m);
		if (!t) return KM_ENOMEM;
		R->base[fam] = t, R->m_base[fam] = m;
	}
	R->base[fam][R->n_base[fam]].person = person, R->base[fam][R->n_base[fam]++].r = r;
	return 0;
}

/* ---- results store (store): reviews ----------------------------------------------------- */
static int review_rejected(const run_t *R, int r, int c)
{
	for (int i = 0; i < R->n_rej; ++i) if (R->rej[2 * i] == r && R->rej[2 * i + 1] == c) return 1;
	return 0;
}

/* the candidate (family id, missing id), or -1 */
static int find_cand(const run_t *R, const char *fam, const char *miss)
{
	const km_tabs_t *t = R->in->tabs;
	for (int c = 0; c < R->nc; ++c) {
		const km_family_t *F = &R->in->peds->fam[t->cand[c].fam];
		if (strcmp(F->id, fam) == 0 && strcmp(F->person[t->cand[c].person].id, miss) == 0) return c;
	}
	return -1;
}

/* the pairwise log10 LR of (r, c), as in matches.tsv (the compiled tables) */
static int pair_lr(run_t *R, int r, int c, double *x)
{
	const km_index_t *ix = R->in->ix;
	size_t per_c = ix->n_totcol + (size_t)ix->n_hom * 3;
	km_cwork_t *w = km_cwork_new(R->in->comp);
	double *buf = malloc(sizeof(double) * (per_c + 1));
	uint8_t *typ = malloc((size_t)ix->n_loc + 1);
	int ret = 0;
	if (!w || !buf || !typ) ret = km_err_set(R->e, KM_ENOMEM, "out of memory");
	else {
		km_ctab_t ct = { 0 };
		ct.lr = buf, ct.hom = buf + ix->n_totcol, ct.typed = typ;
		if ((ret = km_comp_cand(R->in->comp, w, &R->in->tabs->cand[c], &ct, R->e)) == 0) *x = exact_lr(ix, &ct, r);
	}
	if (w) km_cwork_free(w, NULL);
	free(buf); free(typ);
	return ret;
}

static int base_push(run_t *R, int fam, int person, int r);
static int rescore_family(run_t *R, int fam);

/* Before step 1: a rejected pair leaves the matrix (and stays out when its family is
 * rescored); a confirmed pair is placed in its family as a typed member, as an undisputed
 * match is, and its family's other columns are computed again (CONTRACT.md,
 * "Identification", 3).  Reviews of remains or candidates not in tonight's data are
 * ignored; a confirmed review that contradicts another (the remain or the missing person
 * already placed) or the remain's sex is ignored with a warning. */
static int apply_reviews(run_t *R, km_istat_t *st)
{
	const km_iin_t *in = R->in;
	const km_tabs_t *t = in->tabs;
	int ret = 0;
	uint8_t *touched = calloc((size_t)R->nf + 1, 1);
	R->conf = calloc((size_t)R->nr + 1, 1);
	R->rej = malloc(sizeof(int) * (2 * (size_t)in->n_rv + 1));
	if (!touched || !R->conf || !R->rej) { free(touched); return km_err_set(R->e, KM_ENOMEM, "out of memory"); }
	for (int i = 0; i < in->n_rv; ++i) {
		const km_review_t *v = &in->rv[i];
		int r = km_prof_find(in->rem, v->remain), c = find_cand(R, v->family, v->missing);
		if (r < 0 || c < 0 || v->status != KM_REV_REJECTED) continue;
		R->rej[2 * R->n_rej] = r, R->rej[2 * R->n_rej + 1] = c, ++R->n_rej;
		col_t *cl = &R->col[c];
		for (int k = 0; k < cl->n; ++k)
			if (cl->v[k].r == r) { memmove(cl->v + k, cl->v + k + 1, sizeof(cell_t) * (size_t)(cl->n - k - 1)); --cl->n; break; }
	}
	for (int i = 0; i < in->n_rv && ret == 0; ++i) {
		const km_review_t *v = &in->rv[i];
		int r = km_prof_find(in->rem, v->remain), c = find_cand(R, v->family, v->missing);
		if (r < 0 || c < 0 || v->status != KM_REV_CONFIRMED) continue;
		if (!R->ract[r] || !R->cact[c] || !sex_ok(R, r, c)) {
			km_warn("--store: the confirmed review of %s = %s/%s (review %ld) is ignored: %s", v->remain, v->family, v->missing, v->id,
			        !sex_ok(R, r, c) ? "the remain's sex is not the missing person's" : "another confirmed review already placed the remain or the missing person");
			continue;
		}
		double x = 0.0;
		if ((ret = pair_lr(R, r, c, &x)) < 0) break;
		R->conf[r] = 1, R->und_c[r] = c, R->und_lr[r] = x;
		R->ract[r] = 0, R->cact[c] = 0;
		if (base_push(R, t->cand[c].fam, t->cand[c].person, r) < 0) { ret = km_err_set(R->e, KM_ENOMEM, "out of memory"); break; }
		touched[t->cand[c].fam] = 1;
		++st->n_confirmed;
	}
	for (int f = 0; f < R->nf && ret == 0; ++f) if (touched[f]) ret = rescore_family(R, f);
	free(touched);
	return ret;
}
/* ---- end results store */

/* J(placements): the lineage systems' joint term of placements pl[0..n) in family fam
 * (linjoint.c), log10 against none placed; a line it cannot cover counts in lin_left */
static int lin_joint(run_t *R, km_linj_t *lj, int fam, const km_place_t *pl, int n, double *j, km_err_t *e)
{
	*j = 0.0;
	if (!lj || n == 0) return 0;
	int *q = malloc(sizeof(int) * 2 * ((size_t)n + 1)), *r = q ? q + n + 1 : NULL, ret = 0, unc = 0;
	if (!q) return km_err_set(e, KM_ENOMEM, "out of memory");
	for (int i = 0; i < n; ++i) q[i] = pl[i].person, r[i] = pl[i].r;
	static const int sys[2] = { KM_SYS_Y, KM_SYS_MT };
	for (int s = 0; s < 2 && ret == 0 && *j > KM_NEG_INF; ++s) {
		double x;
		int u;
		if ((ret = km_linj_term(lj, sys[s], fam, q, r, n, &x, &u, e)) < 0) break;
		*j = x == KM_NEG_INF ? KM_NEG_INF : *j + x;
		unc += u;
	}
	free(q);
	/* families, once each; a family is in one thread's hands at a time (ident.c's bounds) */
	if (unc && R->lin_fam && !R->lin_fam[fam]) R->lin_fam[fam] = 1, __atomic_fetch_add(&R->lin_left, 1, __ATOMIC_RELAXED);
	return ret;
}

/* term_lin(add | base) = J(base + add) - J(base): what the famlik terms leave to lineage */
static int lin_delta(run_t *R, km_linj_t *lj, int fam, const km_place_t *base, int nb, const km_place_t *add, int na, double *d,
                     km_err_t *e)
{
	*d = 0.0;
	if (!lj || na == 0) return 0;
	km_place_t *all = malloc(sizeof(km_place_t) * ((size_t)nb + na + 1));
	if (!all) return km_err_set(e, KM_ENOMEM, "out of memory");
	if (nb) memcpy(all, base, sizeof(km_place_t) * (size_t)nb);
	memcpy(all + nb, add, sizeof(km_place_t) * (size_t)na);
	double j0 = 0.0, j1;
	int ret = lin_joint(R, lj, fam, base, nb, &j0, e);
	if (ret == 0) ret = lin_joint(R, lj, fam, all, nb + na, &j1, e);
	free(all);
	if (ret < 0) return ret;
	/* J(base) is finite: a placement set with an excluded line is never kept */
	*d = j1 == KM_NEG_INF || j0 == KM_NEG_INF ? KM_NEG_INF : j1 - j0;
	return 0;
}

/* the columns of family fam's active candidates, computed again with its placed remains */
static int rescore_family(run_t *R, int fam)
{
	const km_tabs_t *t = R->in->tabs;
	int *rs = malloc(sizeof(int) * ((size_t)R->nr + 1));
	double *v = malloc(sizeof(double) * ((size_t)R->nr + 1));
	int ret = 0;
	if (!rs || !v) { free(rs); free(v); return km_err_set(R->e, KM_ENOMEM, "out of memory"); }
	for (int c = 0; c < R->nc; ++c) {
		if (R->cfam[c] != fam || !R->cact[c]) continue;
		int n = 0;
		for (int r = 0; r < R->nr; ++r) if (R->ract[r] && sex_ok(R, r, c) && !review_rejected(R, r, c)) rs[n++] = r;
		if ((ret = km_famlik_scores(R->fl, fam, R->base[fam], R->n_base[fam], t->cand[c].person, rs, n, v, R->e)) < 0) break;
		for (int i = 0; i < n && R->lj; ++i) {   /* the lineage systems, given the placed remains */
			km_place_t one = { t->cand[c].person, rs[i] };
			double d;
			if (v[i] == KM_NEG_INF) continue;
			if ((ret = lin_delta(R, R->lj, fam, R->base[fam], R->n_base[fam], &one, 1, &d, R->e)) < 0) break;
			v[i] = d == KM_NEG_INF ? KM_NEG_INF : v[i] + d;
		}
		if (ret < 0) break;
		R->col[c].n = 0;
		for (int i = 0; i < n; ++i)
			if (v[i] > KM_NEG_INF && v[i] >= R->thr && col_push(&R->col[c], rs[i], v[i]) < 0) { ret = km_err_set(R->e, KM_ENOMEM, "out of memory"); break; }
		if (ret < 0) break;
	}
	free(rs); free(v);
	return ret;
}

static void put_lr(FILE *fp, double x)
{
	char b[32];
	km_fmt_lr(b, sizeof(b), x);
	fputs(b, fp);
}

/* ---- joint: the callback and the assignment strings ----------------------------------- */
typedef struct {
	run_t *R;
	km_place_t *pl;
	km_famlik_t *fl;        /* R->fl, or a thread's own (the bounds' fam_delta in parallel) */
	km_linj_t *lj;          /* likewise R->lj */
} jctx_t;

static int joint_fam(void *ctx, int fam, int n, const int *rem, const int *cand, double *lr, km_err_t *e)
{
	jctx_t *J = ctx;
	run_t *R = J->R;
	for (int i = 0; i < n; ++i) J->pl[i].person = R->in->tabs->cand[cand[i]].person, J->pl[i].r = rem[i];
	int ret = km_famlik_term(J->fl, fam, R->base[fam], R->n_base[fam], J->pl, n, lr, e);
	double d;
	if (ret < 0 || *lr == KM_NEG_INF || !J->lj) return ret;
	if ((ret = lin_delta(R, J->lj, fam, R->base[fam], R->n_base[fam], J->pl, n, &d, e)) < 0) return ret;
	*lr = d == KM_NEG_INF ? KM_NEG_INF : *lr + d;
	return 0;
}

/* D per option for a family with two candidates in play: the largest gain of a pair of
 * placements that holds the option over their pairwise lrs (ident.h; at least 0),
 * term({u1 on c1, u2 on c2}) - lr1 - lr2, by the chain rule
 * term(u1 on c1) + score(u2 on c2 | u1 placed) - lr1 - lr2: one conditioned scoring pass
 * per first placement.  Every pair has one placement on each candidate, so the first
 * placements need only range over one of them: the one with fewer options (c1 on a tie),
 * which halves the work where, as with brothers, both list the same remains. */
static int joint_delta(void *ctx, int fam, int n, const int *rem, const int *cand, const double *lr, double *D, km_err_t *e)
{
	jctx_t *J = ctx;
	run_t *R = J->R;
	int c1 = -1, c2 = -1, ret = 0;
	for (int i = 0; i < n; ++i) {
		if (c1 < 0 || cand[i] == c1) c1 = cand[i];
		else if (c2 < 0 || cand[i] == c2) c2 = cand[i];
		else return 1;   /* three or more: the caller enumerates */
	}
	for (int i = 0; i < n; ++i) D[i] = 0.0;
	if (c2 < 0) return 0;
	int nb = R->n_base[fam];
	km_place_t *b = malloc(sizeof(km_place_t) * ((size_t)nb + 2));
	int *rs = malloc(sizeof(int) * ((size_t)n + 1));
	double *v = malloc(sizeof(double) * ((size_t)n + 1));
	int nmk = R->in->panel->n_marker;
	double *l0 = malloc(sizeof(double) * ((size_t)nmk + 1));   /* log10 V(base) per marker, filled once */
	if (!b || !rs || !v || !l0) { free(b); free(rs); free(v); free(l0); return km_err_set(e, KM_ENOMEM, "out of memory"); }
	for (int m = 0; m < nmk; ++m) l0[m] = NAN;
	if (nb) memcpy(b, R->base[fam], sizeof(km_place_t) * (size_t)nb);
	int n1 = 0;
	for (int i = 0; i < n; ++i) n1 += cand[i] == c1;
	int first = n1 <= n - n1 ? c1 : c2;
	for (int i = 0; i < n && ret == 0; ++i) {
		if (cand[i] != first) continue;
		int other = cand[i] == c1 ? c2 : c1, k = 0;
		for (int j = 0; j < n; ++j) if (cand[j] == other && rem[j] != rem[i]) rs[k++] = rem[j];
		if (!k) continue;
		b[nb].person = R->in->tabs->cand[cand[i]].person, b[nb].r = rem[i];
		/* the first placement's own term, engine and lineage (the same as its pairwise lr
		 * but for a lineage line the joint terms cannot cover), and the other candidate's
		 * scores given it, in one pass over the loci */
		double t1, d1 = 0.0;
		if ((ret = km_famlik_cond(J->fl, fam, R->base[fam], nb, b + nb, R->in->tabs->cand[other].person, rs, k, l0, &t1, v, e)) < 0) break;
		if (t1 == KM_NEG_INF) continue;   /* impossible given the base: no pair with it */
		if ((ret = lin_delta(R, J->lj, fam, R->base[fam], nb, b + nb, 1, &d1, e)) < 0) break;
		t1 = d1 == KM_NEG_INF ? KM_NEG_INF : t1 + d1;
		for (int j = 0; j < k && J->lj; ++j) {   /* the second placement's lineage, given the first */
			km_place_t two = { R->in->tabs->cand[other].person, rs[j] };
			double d2;
			if (v[j] == KM_NEG_INF) continue;
			if ((ret = lin_delta(R, J->lj, fam, b, nb + 1, &two, 1, &d2, e)) < 0) break;
			v[j] = d2 == KM_NEG_INF ? KM_NEG_INF : v[j] + d2;
		}
		if (ret < 0) break;
		for (int j = 0, kk = 0; j < n; ++j) {
			if (cand[j] != other || rem[j] == rem[i]) continue;
			double x = t1 - lr[i] + v[kk++] - lr[j];
			if (x > D[i]) D[i] = x;
			if (x > D[j]) D[j] = x;
		}
	}
	free(b); free(rs); free(v); free(l0);
	return ret;
}

static void asg_string(void *ctx, int n_rem, const int *rem, const int *pick_cand, char **buf, size_t *m)
{
	run_t *R = ctx;
	const km_tabs_t *t = R->in->tabs;
	const km_peds_t *peds = R->in->peds;
	size_t len = 0;
	for (int i = 0; i < n_rem; ++i) {
		const char *rn = R->in->rem->sample[rem[i]];
		const char *fn = "", *mn = "";
		if (pick_cand[i] >= 0) {
			const km_family_t *F = &peds->fam[t->cand[pick_cand[i]].fam];
			fn = F->id, mn = F->person[t->cand[pick_cand[i]].person].id;
		}
		size_t need = len + strlen(rn) + strlen(fn) + strlen(mn) + 5;
		if (need > *m) {
			size_t mm = need * 2;
			char *b = realloc(*buf, mm);
			if (!b) return;   /* a short string only changes a tie's order */
			*buf = b, *m = mm;
		}
		if (pick_cand[i] >= 0) len += (size_t)sprintf(*buf + len, "%s%s=%s/%s", i ? ";" : "", rn, fn, mn);
		else len += (size_t)sprintf(*buf + len, "%s%s=*", i ? ";" : "", rn);
	}
	if (*m == 0) { *buf = malloc(1); if (*buf) *m = 1; }
	if (*buf) (*buf)[len] = 0;
}

static void fmt_post(FILE *fp, double x)
{
	if (isnan(x)) fputs("NA", fp);
	else fprintf(fp, "%.8g", x);
}

int km_ident_run(const km_iin_t *in, FILE *f_und, FILE *f_joint, FILE *f_id, km_istat_t *st, km_err_t *e)
{
	run_t R;
	int ret = 0;
	const km_tabs_t *t = in->tabs;
	const km_peds_t *peds = in->peds;
	const km_dviopt_t *dv = in->dvi;
	km_ient_t *ent = NULL;
	size_t n_ent = 0, *uidx = NULL;
	double *urv = NULL;
	int *comp = NULL, *copt_n = NULL;
	memset(&R, 0, sizeof(R));
	int *concl_cand = st->concl_cand;   /* explain (issue 13): the caller's */
	memset(st, 0, sizeof(*st));
	st->concl_cand = concl_cand;
	R.in = in, R.e = e, R.nr = in->rem->n_sample, R.nc = t->n_cand, R.nf = peds->n_family;
	R.thr = dv->min_lr < 0.0 ? dv->min_lr : 0.0;
	R.cfam = malloc(sizeof(int) * ((size_t)R.nc + 1));
	R.col = calloc((size_t)R.nc + 1, sizeof(col_t));
	R.ract = malloc((size_t)R.nr + 1), R.cact = malloc((size_t)R.nc + 1);
	R.ord = malloc(sizeof(int) * ((size_t)R.nr + 1)), R.rpos = malloc(sizeof(int) * ((size_t)R.nr + 1));
	R.base = calloc((size_t)R.nf + 1, sizeof(km_place_t *));
	R.n_base = calloc((size_t)R.nf + 1, sizeof(int)), R.m_base = calloc((size_t)R.nf + 1, sizeof(int));
	R.und_step = calloc((size_t)R.nr + 1, sizeof(int)), R.und_c = malloc(sizeof(int) * ((size_t)R.nr + 1));
	R.und_lr = malloc(sizeof(double) * ((size_t)R.nr + 1));
	if (!R.cfam || !R.col || !R.ract || !R.cact || !R.ord || !R.rpos || !R.base || !R.n_base || !R.m_base || !R.und_step || !R.und_c || !R.und_lr) goto oom;
	for (int c = 0; c < R.nc; ++c) R.cfam[c] = t->cand[c].fam, R.cact[c] = 1;
	for (int r = 0; r < R.nr; ++r) R.ract[r] = 1, R.ord[r] = r;
	qsort_r(R.ord, (size_t)R.nr, sizeof(int), cmp_str_idx, in->rem->sample);
	for (int i = 0; i < R.nr; ++i) R.rpos[R.ord[i]] = i;
	km_copt_t co = km_copt_of(in->o);
	if ((ret = km_famlik_new(&R.fl, in->panel, in->freqs, in->refs, peds, in->rem, in->rd, in->re, &co, e)) < 0) goto done;
	if (in->lin && (ret = km_linj_new(&R.lj, in->lin, peds, e)) < 0) goto done;
	if (in->lin && !(R.lin_fam = calloc((size_t)peds->n_family + 1, 1))) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto done; }
	if ((ret = fill_matrix(&R)) < 0) goto done;
	if ((ret = strong_stats(&R, st)) < 0) goto done;
	/* results store (store): reviews carry into the night, before step 1 */
	if (in->n_rv > 0 && (ret = apply_reviews(&R, st)) < 0) goto done;

	/* ---- undisputed, with conditioning ---- */
	double t_und0 = km_now();
	fputs("step\tremain\tfamily\tmissing\tlog10_lr\tlog10_lr_rival\n", f_und);
	for (int step = 1; !dv->no_undisputed; ++step) {
		free(ent); ent = NULL;
		if (active_entries(&R, R.thr, &ent, &n_ent) < 0) goto oom;
		if (n_ent) qsort(ent, n_ent, sizeof(km_ient_t), cmp_ent);   /* ent may be NULL when empty (UBSan: qsort(NULL, 0)) */
		free(uidx); free(urv);
		uidx = malloc(sizeof(size_t) * (n_ent + 1)), urv = malloc(sizeof(double) * (n_ent + 1));
		if (!uidx || !urv) goto oom;
		int nu = km_ident_undisputed(ent, n_ent, R.nr, R.nc, dv->log10_t, uidx, urv);
		if (nu < 0) goto oom;
		if (nu == 0) break;
		st->n_steps = step;
		uint8_t *touched = calloc((size_t)R.nf + 1, 1);
		if (!touched) goto oom;
		for (int k = 0; k < nu; ++k) {   /* by remain (byte order): ent is sorted that way */
			const km_ient_t *x = &ent[uidx[k]];
			int r = R.ord[x->r], c = x->c;
			const km_family_t *F = &peds->fam[t->cand[c].fam];
			fprintf(f_und, "%d\t%s\t%s\t%s\t", step, in->rem->sample[r], F->id, F->person[t->cand[c].person].id);
			put_lr(f_und, x->lr); fputc('\t', f_und); put_lr(f_und, urv[k]); fputc('\n', f_und);
			R.und_step[r] = step, R.und_c[r] = c, R.und_lr[r] = x->lr;
			R.ract[r] = 0, R.cact[c] = 0;
			if (base_push(&R, t->cand[c].fam, t->cand[c].person, r) < 0) { free(touched); goto oom; }
			touched[t->cand[c].fam] = 1;
			++st->n_undisputed;
		}
		for (int f = 0; f < R.nf && ret == 0; ++f) if (touched[f]) ret = rescore_family(&R, f);
		free(touched);
		if (ret < 0) goto done;
	}

	st->t_und = km_now() - t_und0;

	/* ---- joint, per component ---- */
	free(ent); ent = NULL;
	if (active_entries(&R, dv->min_lr, &ent, &n_ent) < 0) goto oom;
	if (n_ent) qsort(ent, n_ent, sizeof(km_ient_t), cmp_ent);
	comp = malloc(sizeof(int) * ((size_t)R.nr + 1));
	if (!comp) goto oom;
	int ncomp = km_ident_components(ent, n_ent, R.nr, R.nf, R.cfam, comp);
	if (ncomp < 0) goto oom;
	/* components over the active remains only: renumber in byte order of their smallest remain */
	int *lab = malloc(sizeof(int) * ((size_t)ncomp + 1));
	if (!lab) goto oom;
	for (int i = 0; i < ncomp; ++i) lab[i] = -1;
	int n_lab = 0;
	for (int i = 0; i < R.nr; ++i) {
		if (!R.ract[R.ord[i]]) continue;
		if (lab[comp[i]] < 0) lab[comp[i]] = n_lab++;
	}
	/* members of each component: remains (positions), in byte order */
	int *cstart = calloc((size_t)n_lab + 2, sizeof(int)), *cmem = malloc(sizeof(int) * ((size_t)R.nr + 1));
	size_t *estart = malloc(sizeof(size_t) * ((size_t)R.nr + 2));
	if (!cstart || !cmem || !estart) { free(lab); free(cstart); free(cmem); free(estart); goto oom; }
	for (int i = 0; i < R.nr; ++i) if (R.ract[R.ord[i]]) ++cstart[lab[comp[i]] + 1];
	for (int k = 0; k < n_lab; ++k) cstart[k + 1] += cstart[k];
	{
		int *fill = calloc((size_t)n_lab + 1, sizeof(int));
		if (!fill) { free(lab); free(cstart); free(cmem); free(estart); goto oom; }
		for (int i = 0; i < R.nr; ++i) if (R.ract[R.ord[i]]) { int k = lab[comp[i]]; cmem[cstart[k] + fill[k]++] = i; }
		free(fill);
	}
	/* entries of position i: ent[estart[i] .. estart[i+1]) */
	{
		size_t j = 0;
		for (int i = 0; i <= R.nr; ++i) { while (j < n_ent && ent[j].r < i) ++j; estart[i] = j; }
	}
	/* per remain: the joint conclusion inputs */
	int *best_c = malloc(sizeof(int) * ((size_t)R.nr + 1));
	double *best_p = malloc(sizeof(double) * ((size_t)R.nr + 1)), *best_lr = malloc(sizeof(double) * ((size_t)R.nr + 1));
	int *top_c = malloc(sizeof(int) * ((size_t)R.nr + 1));
	double *p_star = malloc(sizeof(double) * ((size_t)R.nr + 1)), *p_top = malloc(sizeof(double) * ((size_t)R.nr + 1));
	double *top_lr = malloc(sizeof(double) * ((size_t)R.nr + 1));
	int *ncand = calloc((size_t)R.nr + 1, sizeof(int));
	jctx_t jc = { &R, malloc(sizeof(km_place_t) * ((size_t)R.nr + 1)), R.fl, R.lj };
	/* the bounds' D per family in parallel (ident.c): thread 0 works with jc, each other
	 * thread with its own family likelihoods and lineage terms (their caches are per
	 * context; every number is the same whichever context computes it) */
	int nthr = in->o->threads > 1 ? in->o->threads : 1;
	jctx_t *jt = calloc((size_t)nthr, sizeof(jctx_t));
	void **tctx = calloc((size_t)nthr, sizeof(void *));
	if (!best_c || !best_p || !best_lr || !top_c || !p_star || !p_top || !top_lr || !ncand || !jc.pl || !jt || !tctx) {
		free(lab); free(cstart); free(cmem); free(estart); free(best_c); free(best_p); free(best_lr); free(top_c); free(p_star); free(p_top); free(top_lr); free(ncand); free(jc.pl);
		free(jt); free(tctx);
		goto oom;
	}
	tctx[0] = &jc;
	for (int i = 1; i < nthr && ret == 0; ++i) {
		jt[i].R = &R, tctx[i] = &jt[i];
		if ((ret = km_famlik_new(&jt[i].fl, in->panel, in->freqs, in->refs, peds, in->rem, in->rd, in->re, &co, e)) == 0 && in->lin)
			ret = km_linj_new(&jt[i].lj, in->lin, peds, e);
	}
	fputs("component\trank\tlog10_lr\tposterior\tassignment\tposterior_max\n", f_joint);
	char *sbuf = NULL;
	size_t msbuf = 0;
	for (int k = 0; k < n_lab && ret == 0; ++k) {
		int nm = cstart[k + 1] - cstart[k];
		const int *mem = cmem + cstart[k];
		size_t no = 0;
		for (int i = 0; i < nm; ++i) no += estart[mem[i] + 1] - estart[mem[i]];
		int *crem = malloc(sizeof(int) * ((size_t)nm + 1));
		size_t *os = malloc(sizeof(size_t) * ((size_t)nm + 1));
		int *oc = malloc(sizeof(int) * (no + 1));
		double *ol = malloc(sizeof(double) * (no + 1)), *gub = malloc(sizeof(double) * ((size_t)nm + 1));
		if (!crem || !os || !oc || !ol || !gub) { free(crem); free(os); free(oc); free(ol); free(gub); ret = km_err_set(e, KM_ENOMEM, "out of memory"); break; }
		size_t o = 0;
		int nfam = 0;
		for (int i = 0; i < nm; ++i) {
			crem[i] = R.ord[mem[i]];
			os[i] = o;
			for (size_t j = estart[mem[i]]; j < estart[mem[i] + 1]; ++j) oc[o] = ent[j].c, ol[o++] = ent[j].lr;
			/* best pairwise first: the search finds good rows early */
			for (size_t a = os[i] + 1; a < o; ++a)
				for (size_t b = a; b > os[i] && (ol[b] > ol[b - 1] || (ol[b] == ol[b - 1] && oc[b] < oc[b - 1])); --b) {
					double tl = ol[b]; ol[b] = ol[b - 1]; ol[b - 1] = tl;
					int tc = oc[b]; oc[b] = oc[b - 1]; oc[b - 1] = tc;
				}
			gub[i] = km_famlik_gain_ub(R.fl, crem[i]);
			/* a lineage system adds at most -log10 f <= log10(N + 1) given the others
			 * (f >= 1/(N + 1) for both --lineage-freq estimates; linjoint.c) */
			for (int sy = KM_SYS_Y; sy <= KM_SYS_MT && R.lj; sy += KM_SYS_MT - KM_SYS_Y)
				if (km_lin_col(in->lin, sy, crem[i]) != 0) gub[i] += log10(km_lin_db_total(in->lin, sy) + 1.0);
			ncand[crem[i]] = (int)(o - os[i]);
		}
		os[nm] = o;
		{   /* families of the component */
			int *fs = malloc(sizeof(int) * (o + 1));
			if (fs) {
				for (size_t a = 0; a < o; ++a) {
					int f = R.cfam[oc[a]], j;
					for (j = 0; j < nfam && fs[j] != f; ++j) {}
					if (j == nfam) fs[nfam++] = f;
				}
				free(fs);
			}
		}
		km_icomp_t C = { nm, crem, os, oc, ol, R.cfam, gub, joint_fam, &jc, joint_delta, tctx, nthr, 0 };
		km_ijoint_t J;
		ret = km_ident_joint(&C, dv->keep, dv->max_assign, asg_string, &R, &J, e);
		if (ret == 0) {
			st->t_bounds += J.t_bounds, st->t_search += J.t_search;
			++st->n_comp;
			if (nm > st->max_comp_rem) st->max_comp_rem = nm;
			if (nfam > st->max_comp_fam) st->max_comp_fam = nfam;
			if (nm > 1) ++st->n_comp_multi;
			if (!J.exact) ++st->n_bounded;
			if (J.stopped) {
				++st->n_stopped;
				km_warn("--dvi: component %d (%d remains, %d families): the branch and bound stopped after %.0f nodes; its joint.tsv rows are the best found (log10 LR %.6f; no assignment is above %.6f), not proven, with posteriors NA, and its remains are inconclusive",
				        k + 1, nm, nfam, J.n_nodes, J.n_top > 0 ? J.top[0].lr : (double)NAN, J.log10_ub);
			}
			double tot = J.log10_rest == KM_NEG_INF ? J.log10_sum
			             : J.log10_sum > J.log10_rest ? J.log10_sum + log10(1.0 + pow(10.0, J.log10_rest - J.log10_sum))
			                                           : J.log10_rest + log10(1.0 + pow(10.0, J.log10_sum - J.log10_rest));
			int *pc = malloc(sizeof(int) * ((size_t)nm + 1));
			for (int rk = 0; pc && rk < J.n_top && rk < dv->keep; ++rk) {
				const km_iasg_t *a = &J.top[rk];
				for (int i = 0; i < nm; ++i) pc[i] = a->pick[i] < 0 ? -1 : oc[a->pick[i]];
				asg_string(&R, nm, crem, pc, &sbuf, &msbuf);
				fprintf(f_joint, "%d\t%d\t", k + 1, rk + 1);
				put_lr(f_joint, a->lr);
				fputc('\t', f_joint);
				if (J.stopped) fputs("NA", f_joint);   /* the search budget ran out: no bound */
				else fmt_post(f_joint, a->lr == KM_NEG_INF || tot == KM_NEG_INF ? 0.0 : pow(10.0, a->lr - tot));
				fprintf(f_joint, "\t%s\t", sbuf ? sbuf : "");
				if (J.stopped) fputs("NA", f_joint);
				else fmt_post(f_joint, a->lr == KM_NEG_INF || J.log10_sum == KM_NEG_INF ? 0.0 : pow(10.0, a->lr - J.log10_sum));
				fputc('\n', f_joint);
			}
			free(pc);
			for (int i = 0; i < nm; ++i) {
				int r = crem[i];
				const double *mg = J.marg + os[i] + (size_t)i;   /* [0] = '*', [1 + j] = option os[i] + j */
				p_star[r] = mg[0];
				best_c[r] = -1, best_p[r] = -1.0, best_lr[r] = NAN;
				for (size_t j = os[i]; j < os[i + 1]; ++j) {
					double pj = mg[1 + (j - os[i])];
					if (pj > best_p[r] || (pj == best_p[r] && oc[j] < best_c[r])) best_p[r] = pj, best_c[r] = oc[j], best_lr[r] = ol[j];
				}
				int pk = J.n_top > 0 ? J.top[0].pick[i] : -1;
				top_c[r] = pk < 0 ? -1 : oc[pk];
				p_top[r] = pk < 0 ? mg[0] : mg[1 + ((size_t)pk - os[i])];
				top_lr[r] = pk < 0 ? (double)NAN : ol[pk];
				if (J.stopped) {   /* nothing can be concluded: the best pairwise candidate, no posterior */
					p_top[r] = p_star[r] = best_p[r] = NAN;
					top_c[r] = -2;
					best_c[r] = ncand[r] > 0 ? oc[os[i]] : -1, best_lr[r] = ncand[r] > 0 ? ol[os[i]] : (double)NAN;
				}
			}
			km_ijoint_destroy(&J);
		}
		free(crem); free(os); free(oc); free(ol); free(gub);
	}
	free(sbuf);
	/* ---- conclusions ---- */
	if (ret == 0) {
		fputs("remain\tfamily\tmissing\tconclusion\tlog10_lr\tposterior\n", f_id);
		for (int i = 0; i < R.nr; ++i) {
			int r = R.ord[i];
			const char *rn = in->rem->sample[r];
			if (R.conf && R.conf[r]) {   /* results store (store): a confirmed review */
				int c = R.und_c[r];
				const km_family_t *F = &peds->fam[t->cand[c].fam];
				fprintf(f_id, "%s\t%s\t%s\tconfirmed\t", rn, F->id, F->person[t->cand[c].person].id);
				put_lr(f_id, R.und_lr[r]);
				fputs("\tNA\n", f_id);
				continue;
			}
			if (R.und_step[r]) {
				int c = R.und_c[r];
				const km_family_t *F = &peds->fam[t->cand[c].fam];
				if (st->concl_cand) st->concl_cand[r] = c;   /* explain (issue 13) */
				fprintf(f_id, "%s\t%s\t%s\tundisputed\t", rn, F->id, F->person[t->cand[c].person].id);
				put_lr(f_id, R.und_lr[r]);
				fputs("\tNA\n", f_id);
				continue;
			}
			int c = -1;
			const char *concl;
			double lr = NAN, post;
			if (ncand[r] == 0) concl = "no match", post = p_star[r];
			else if (top_c[r] == -2) concl = "inconclusive", c = best_c[r], lr = best_lr[r], post = NAN, ++st->n_inconclusive;
			else if (top_c[r] >= 0 && p_top[r] >= dv->min_post) concl = "joint", c = top_c[r], lr = top_lr[r], post = p_top[r], ++st->n_joint;
			else if (top_c[r] < 0 && p_star[r] >= dv->min_post) concl = "no match", post = p_star[r];
			else concl = "inconclusive", c = best_c[r], lr = best_lr[r], post = best_p[r], ++st->n_inconclusive;
			if (st->concl_cand) st->concl_cand[r] = c;   /* explain (issue 13) */
			if (c < 0) {
				++st->n_nomatch;
				fprintf(f_id, "%s\t*\t*\t%s\tNA\t", rn, concl);
			} else {
				const km_family_t *F = &peds->fam[t->cand[c].fam];
				fprintf(f_id, "%s\t%s\t%s\t%s\t", rn, F->id, F->person[t->cand[c].person].id, concl);
				put_lr(f_id, lr);
				fputc('\t', f_id);
			}
			fmt_post(f_id, post);
			fputc('\n', f_id);
		}
	}
	st->n_lin_left_out = R.lin_left;
	free(lab); free(cstart); free(cmem); free(estart); free(best_c); free(best_p); free(best_lr); free(top_c); free(p_star); free(p_top); free(top_lr); free(ncand); free(jc.pl);
	for (int i = 1; i < nthr; ++i) km_famlik_free(jt[i].fl), km_linj_free(jt[i].lj);
	free(jt); free(tctx);
	goto done;
oom:
	ret = km_err_set(e, KM_ENOMEM, "out of memory");
done:
	free(ent); free(uidx); free(urv); free(comp); free(copt_n);
	if (R.col) for (int c = 0; c < R.nc; ++c) free(R.col[c].v);
	if (R.base) for (int f = 0; f < R.nf; ++f) free(R.base[f]);
	free(R.cfam); free(R.col); free(R.ract); free(R.cact); free(R.ord); free(R.rpos); free(R.base); free(R.n_base); free(R.m_base);
	free(R.und_step); free(R.und_c); free(R.und_lr);
	free(R.conf); free(R.rej);   /* results store (store) */
	km_famlik_free(R.fl);
	km_linj_free(R.lj);
	free(R.lin_fam);
	return ret;
}
