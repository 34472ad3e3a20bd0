/* lineage.c — Y-STR and mtDNA lineage evidence: one "locus" per system for the scan.
 *
 * The model is that of the lineage issue (issue 3); every formula below names it.
 *
 * Y-STR.  Male line of the missing person M: up from M through fathers, then down
 * through sons to a reference R, all male; k = meioses on that path.  The reference with
 * Y data and the smallest k is used (ties: sample id in byte order).  Per compared locus
 * (typed in the remain and in R; multi-copy values sorted and paired in order, copy
 * counts must agree) the stepwise single-step model: each meiosis changes the repeat
 * number by +1 or -1 with probability mu/2 each (mu = male_rate, else mutation_rate,
 * i.e. km_marker_t.rate_m) and keeps it with 1 - mu; P_k is the k-fold convolution, and a
 * non-integral difference has probability 0.  Numerator prod P_k(a_R - a_remain);
 * denominator f = (x + 1)/(N + 1) (issue 3; the database count augmented by the observed
 * haplotype): N = database haplotypes typed at every compared locus (a row with a
 * `count` stands for that many), x = those equal to R at all of them.
 *
 * mtDNA.  Maternal line: up from M through mothers, then down through mothers to R (R may
 * be male); k meioses.  Compared positions: intersection of the two ranges.  A position's
 * state is the rCRS base unless a variant gives another (a base, an IUPAC set or a
 * deletion); two states match when their base sets intersect.  Inserted bases count,
 * one difference each, when present in one haplotype only (or with disjoint bases) and
 * anchored in the compared region, except in the C-stretches 303-315 and 16184-16193
 * (length heteroplasmy: ignored).  Numerator: Poisson probability of d differences in k
 * meioses at u per meiosis, e^(-ku) (ku)^d / d!.  Denominator as for Y over database
 * entries whose range covers the compared region; x = those with d = 0 against R.
 *
 * --lineage-freq upper95: f is the one-sided 95% Clopper-Pearson upper bound of x/N,
 * the Beta(0.95; x + 1, N - x) quantile (Clopper & Pearson 1934, Biometrika 26:404),
 * 1 when x = N (or N = 0).  For x = 0 it is 1 - 0.05^(1/N).  This is the conservative
 * practice of the SWGDAM Interpretation Guidelines for Y-Chromosome STR Typing (2014):
 * the counting method with the upper 95% confidence limit of the haplotype frequency.
 *
 * Speed.  The chosen reference of every person is found once here.  f depends on the
 * reference and on which loci (Y) / which positions (mt) are compared, i.e. on the
 * remain's typed-loci mask / range set and not on its values, so it is computed here for
 * every (chosen reference, remain mask) pair, grouping the pairs by compared mask so
 * the database is scanned once per distinct mask (hash of projected haplotypes).
 * km_lin_cand() then only adds numbers: O(columns x loci) per candidate, no locks.
 *
 * Files (issue 10).  This file builds the two systems and answers for them: build,
 * queries, the results store's subset, explain and the joint terms' views.
 * lin_paths.c finds every person's chosen reference, lin_y.c and lin_mt.c hold the Y-STR
 * and mtDNA systems (columns, database index, a candidate's column), lin_int.h what
 * they share.
 *
 * Copyright (C) 2026 the kinmatch authors.  GPL-3.0-or-later.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <htslib/khash_str2int.h>
#include <htslib/kstring.h>
#include <gsl/gsl_errno.h>
#include "lin_int.h"

/* ---- destroy ------------------------------------------------------------------------ */

static void lin_sys_free(lin_sys_t *s)
{
	free(s->slot_of);
	free(s->k);
	free(s->ref);
	free(s->slot_sample);
	free(s->logf);
	free(s->rcol);
	free(s->col_rm);
}

void km_lin_destroy(km_lin_t *L)
{
	if (L == NULL) return;
	lin_sys_free(&L->y);
	lin_sys_free(&L->m);
	free(L->pbase);
	free(L->ymk);
	free(L->ymu);
	free(L->ycol);
	free(L->yslot);
	free(L->yw); free(L->yf);
	free(L->yr_left); free(L->yslot_left);
	free(L->yh_typed); free(L->yh_code); free(L->yh_id); free(L->yl_codes); free(L->yl_cstart); free(L->yh_count); free(L->rm_bits); free(L->rm_n);
	km_mt_destroy(&L->mt);
	km_mt_destroy(&L->mtdb);
	free(L->mcol_hap);
	free(L);
}

/* ---- build -------------------------------------------------------------------------- */

/* Partial databases (issue 12 part 3): the compared Y loci are those typed in the remain,
 * in the reference and in the database.  A locus the database lacks is therefore taken
 * out of every profile here, before the columns are formed, so that the numerator (the
 * mutation probabilities) and the denominator (x and N) run over the same loci; without
 * this a Yfiler-era database used with Y23 profiles gave N = 0 and wiped out the Y
 * evidence.  What was taken out is kept per remain (L->yr_left) and per reference
 * sample (fleft), so each row can count its loci left out (km_lin_y_left_out), and one
 * warning names the loci.  A profile typed only at such loci has no Y data left. */
static void y_left_out(km_lin_t *L, const km_ydb_t *db, const km_panel_t *p, double *rv, uint8_t *rhas, double *fv,
                       uint8_t *fhas, int n_ref, uint64_t *fleft)
{
	int rw = L->n_yl * 2, nr = L->n_remain, n_name = 0;
	uint64_t indb = 0;
	kstring_t ks = { 0, 0, NULL };
	for (int l = 0; l < L->n_yl; ++l)
		for (int j = 0; j < db->n_col; ++j)
			if (db->marker[j] == L->ymk[l]) indb |= 1ULL << l;
	for (int l = 0; l < L->n_yl; ++l) {
		int n_rem = 0, n_refs = 0;
		if (indb >> l & 1) continue;
		for (int i = 0; i < nr; ++i) {
			double *x = rv + (size_t)i * rw + 2 * l;
			if (isnan(x[0])) continue;
			x[0] = x[1] = (double)NAN, L->yr_left[i] |= 1ULL << l, ++n_rem;
		}
		for (int i = 0; i < n_ref; ++i) {
			double *x = fv + (size_t)i * rw + 2 * l;
			if (isnan(x[0])) continue;
			x[0] = x[1] = (double)NAN, fleft[i] |= 1ULL << l, ++n_refs;
		}
		if (n_rem == 0) continue;   /* compared nowhere: nothing is lost */
		++L->n_yleft;
		if (n_name++ < 8)
			ksprintf(&ks, "%s%s (typed in %d remain%s, %d reference%s)", n_name > 1 ? ", " : "", p->marker[L->ymk[l]].name,
			         n_rem, n_rem == 1 ? "" : "s", n_refs, n_refs == 1 ? "" : "s");
	}
	for (int i = 0; i < nr; ++i) {
		int any = 0;
		for (int l = 0; l < L->n_yl && !any; ++l) any = !isnan(rv[(size_t)i * rw + 2 * l]);
		rhas[i] = (uint8_t)any;
	}
	for (int i = 0; i < n_ref; ++i) {
		int any = 0;
		for (int l = 0; l < L->n_yl && !any; ++l) any = !isnan(fv[(size_t)i * rw + 2 * l]);
		fhas[i] = (uint8_t)any;
	}
	if (n_name > 0)
		km_warn("%s: the Y database has no column for %d Y-STR marker%s typed in the remains: %s%s; %s left out of the Y "
		        "comparison (numerator and denominator), counted per row in matches.tsv column y_left_out",
		        db->fn, n_name, n_name == 1 ? "" : "s", ks.s, n_name > 8 ? ", ..." : "", n_name == 1 ? "it is" : "they are");
	free(ks.s);
}

static int y_build(km_lin_t *L, const km_linopt_t *o, const km_panel_t *p, const km_freqs_t *f, const km_prof_t *rem,
                   const km_prof_t *refs, const km_peds_t *peds, km_err_t *e)
{
	int i, s, fam, ret = 0, fail = 0, n_tot = L->pbase[peds->n_family], any_rem = 0;
	int rw = L->n_yl * 2, first_pr = -1, first_s = -1;
	double *rv = NULL, *fv = NULL;
	uint8_t *rhas = NULL, *fhas = NULL, *phas = NULL, *rmask = NULL;
	int *pkey = NULL;
	uint64_t *fleft = NULL;
	if (L->n_yl == 0) return 0;
	rv = lin_calloc((size_t)L->n_remain * rw, sizeof *rv, &fail);
	rhas = lin_calloc(L->n_remain, 1, &fail);
	fv = lin_calloc((size_t)(refs ? refs->n_sample : 0) * rw, sizeof *fv, &fail);
	fhas = lin_calloc(refs ? refs->n_sample : 0, 1, &fail);
	phas = lin_calloc(n_tot, 1, &fail);
	pkey = lin_calloc(n_tot, sizeof *pkey, &fail);
	if (fail) goto oom;
	for (i = 0; i < L->n_remain; ++i) {
		if ((ret = lin_y_values(L, f, rem, i, rv + (size_t)i * rw, e)) < 0) goto end;
		rhas[i] = (uint8_t)ret;
		if (ret && first_pr < 0) first_pr = 0, first_s = i;
		any_rem |= ret;
	}
	for (i = 0; refs && i < refs->n_sample; ++i) {
		if ((ret = lin_y_values(L, f, refs, i, fv + (size_t)i * rw, e)) < 0) goto end;
		fhas[i] = (uint8_t)ret;
		if (ret && first_pr < 0) first_pr = 1, first_s = i;
	}
	ret = 0;
	/* Y data in a woman: an error (she has no Y chromosome) */
	for (fam = 0; fam < peds->n_family; ++fam)
		for (i = 0; i < peds->fam[fam].n_person; ++i) {
			const km_person_t *q = &peds->fam[fam].person[i];
			if (q->role != KM_ROLE_REFERENCE || q->sample < 0 || !refs || q->sample >= refs->n_sample) continue;
			if (fhas[q->sample] && q->sex == KM_FEMALE) {
				ret = km_err_at(e, refs->fn, refs->line[q->sample], 1, "female '%s' has Y-STR data", q->id);
				goto end;
			}
		}
	if (first_pr >= 0 && o->ydb == NULL) {
		const km_prof_t *pr = first_pr ? refs : rem;
		ret = km_err_at(e, pr->fn, pr->line[first_s], 1, "Y-STR data present but no --y-db given (sample '%s')",
		                pr->sample[first_s]);
		goto end;
	}
	if (!any_rem) goto end; /* nothing to score: the Y system is NA for every remain */
	if (L->n_yl > 64) { ret = km_err_set(e, KM_EINPUT, "more than 64 Y-STR markers in the panel (%d)", L->n_yl); goto end; }
	L->yr_left = lin_calloc((size_t)L->n_remain + 1, sizeof(uint64_t), &fail);
	fleft = lin_calloc((size_t)(refs ? refs->n_sample : 0) + 1, sizeof(uint64_t), &fail);
	if (fail) goto oom;
	y_left_out(L, o->ydb, p, rv, rhas, fv, fhas, refs ? refs->n_sample : 0, fleft);
	for (fam = 0; fam < peds->n_family; ++fam)   /* references with Y data at a compared-able locus */
		for (i = 0; i < peds->fam[fam].n_person; ++i) {
			const km_person_t *q = &peds->fam[fam].person[i];
			if (q->role != KM_ROLE_REFERENCE || q->sample < 0 || !refs || q->sample >= refs->n_sample) continue;
			phas[L->pbase[fam] + i] = fhas[q->sample];
			pkey[L->pbase[fam] + i] = q->sample;
		}
	if ((ret = lin_y_columns(L, rv, rhas, &rmask, e)) < 0) goto end;
	if ((ret = lin_paths(&L->y, peds, L->pbase, 1, phas, pkey, refs ? refs->n_sample : 1, e)) < 0) goto end;
	L->yslot = lin_calloc((size_t)L->y.n_slot * rw, sizeof *L->yslot, &fail);
	if (fail) goto oom;
	L->yslot_left = lin_calloc((size_t)L->y.n_slot + 1, sizeof(uint64_t), &fail);
	if (fail) goto oom;
	for (s = 0; s < L->y.n_slot; ++s) {
		memcpy(L->yslot + (size_t)s * rw, fv + (size_t)L->y.slot_sample[s] * rw, rw * sizeof(double));
		L->yslot_left[s] = fleft[L->y.slot_sample[s]];
	}
	L->y_upper95 = o->upper95;
	if ((ret = lin_y_dbindex(L, o->ydb, rmask, e)) < 0) goto end;
	L->y_on = 1;
	goto end;
oom:
	ret = km_err_set(e, KM_ENOMEM, "out of memory");
end:
	free(rv);
	free(rhas);
	free(fv);
	free(fhas);
	free(phas);
	free(pkey);
	free(rmask);
	free(fleft);
	return ret;
}

static int mt_build(km_lin_t *L, const km_linopt_t *o, const km_prof_t *rem, const km_prof_t *refs,
                    const km_peds_t *peds, km_err_t *e)
{
	int i, fam, ret, fail = 0, n_tot = L->pbase[peds->n_family];
	uint8_t *phas = NULL;
	int *pkey = NULL;
	void *refids = NULL;
	if (o->mt == NULL && o->mtdb == NULL) return 0;
	if (o->mt == NULL) return km_err_set(e, KM_EUSAGE, "--mt-db given but no --mtdna (the mtDNA profiles)");
	if (o->mtdb == NULL) return km_err_set(e, KM_EUSAGE, "--mtdna given but no --mt-db (the mtDNA database)");
	L->mt = *o->mt, L->mtdb = *o->mtdb;   /* moved: L owns them now */
	memset(o->mt, 0, sizeof *o->mt), memset(o->mtdb, 0, sizeof *o->mtdb);
	if ((refids = khash_str2int_init()) == NULL) return km_err_set(e, KM_ENOMEM, "out of memory");
	for (fam = 0; fam < peds->n_family; ++fam)
		for (i = 0; i < peds->fam[fam].n_person; ++i)
			if (peds->fam[fam].person[i].role == KM_ROLE_REFERENCE &&
			    khash_str2int_set(refids, peds->fam[fam].person[i].id, 1) < 0)
				goto oom;
	for (i = 0; i < L->mt.n; ++i) { /* every profile belongs to a remain or a reference */
		const char *id = L->mt.hap[i].sample;
		if (km_prof_find(rem, id) < 0 && !km_prof_known(refs, id, NULL) && !khash_str2int_has_key(refids, id)) {
			ret = km_err_at(e, L->mt.fn, L->mt.hap[i].line, 1, "sample '%s' is neither a remain nor a reference", id);
			goto end;
		}
	}
	if ((ret = lin_mt_columns(L, rem, e)) < 0) goto end;
	phas = lin_calloc(n_tot, 1, &fail);
	pkey = lin_calloc(n_tot, sizeof *pkey, &fail);
	if (fail) goto oom;
	for (fam = 0; fam < peds->n_family; ++fam)
		for (i = 0; i < peds->fam[fam].n_person; ++i) {
			const km_person_t *q = &peds->fam[fam].person[i];
			int h = q->role == KM_ROLE_REFERENCE ? km_mt_find(&L->mt, q->id) : -1;
			phas[L->pbase[fam] + i] = h >= 0;
			pkey[L->pbase[fam] + i] = h >= 0 ? h : 0;
		}
	if ((ret = lin_paths(&L->m, peds, L->pbase, 0, phas, pkey, L->mt.n ? L->mt.n : 1, e)) < 0) goto end;
	if ((ret = lin_mt_freqs(L, o->upper95, e)) < 0) goto end;
	L->mt_rate = o->mt_rate >= 0.0 ? o->mt_rate : KM_MT_RATE_DEFAULT;
	L->mt_on = 1;
	goto end;
oom:
	ret = km_err_set(e, KM_ENOMEM, "out of memory");
end:
	if (refids) khash_str2int_destroy(refids); /* keys are the pedigree's ids */
	free(phas);
	free(pkey);
	return ret;
}

int km_lin_build(km_lin_t **Lp, const km_linopt_t *o, const km_panel_t *p, const km_freqs_t *f,
                 const km_prof_t *rem, const km_prof_t *refs, const km_peds_t *peds, km_err_t *e)
{
	km_lin_t *L;
	int ret, i, m, fail = 0;
	*Lp = NULL;
	/* GSL reports a failure through a handler that aborts by default; here every GSL result
	 * is checked where it is used (lin_cp_upper95), so the handler is off.  Set before any
	 * thread can call GSL (the scan's threads start after the build). */
	gsl_set_error_handler_off();
	if ((L = calloc(1, sizeof *L)) == NULL) return km_err_set(e, KM_ENOMEM, "out of memory");
	L->n_remain = rem ? rem->n_sample : 0;
	L->n_fam = peds->n_family;
	L->pbase = lin_calloc(peds->n_family + 1, sizeof *L->pbase, &fail);
	L->ymk = lin_calloc(p->n_marker, sizeof *L->ymk, &fail);
	L->ymu = lin_calloc(p->n_marker, sizeof *L->ymu, &fail);
	L->y.ncol = L->m.ncol = 1;
	if (fail) {
		km_lin_destroy(L);
		return km_err_set(e, KM_ENOMEM, "out of memory");
	}
	for (i = 0; i < peds->n_family; ++i) L->pbase[i + 1] = L->pbase[i] + peds->fam[i].n_person;
	for (m = 0; m < p->n_marker; ++m)
		if (p->marker[m].type == KM_SYS_Y) {
			L->ymk[L->n_yl] = m;
			L->ymu[L->n_yl++] = p->marker[m].rate_m; /* male_rate, else mutation_rate (panel.c) */
		}
	if ((ret = y_build(L, o, p, f, rem, refs, peds, e)) < 0 || (ret = mt_build(L, o, rem, refs, peds, e)) < 0) {
		km_lin_destroy(L);
		return ret;
	}
	if (!L->y_on && !L->mt_on) {
		km_lin_destroy(L);
		return 0;
	}
	*Lp = L;
	return 0;
}

/* ---- queries ------------------------------------------------------------------------ */

static const lin_sys_t *lin_sys(const km_lin_t *L, int sys)
{
	if (L == NULL) return NULL;
	if (sys == KM_SYS_Y) return L->y_on ? &L->y : NULL;
	if (sys == KM_SYS_MT) return L->mt_on ? &L->m : NULL;
	return NULL;
}

int km_lin_ncol(const km_lin_t *L, int sys)
{
	const lin_sys_t *s = lin_sys(L, sys);
	return s ? s->ncol : 1;
}

int km_lin_col(const km_lin_t *L, int sys, int remain)
{
	const lin_sys_t *s = lin_sys(L, sys);
	return s && remain >= 0 && remain < L->n_remain ? s->rcol[remain] : 0;
}

int km_lin_cand(const km_lin_t *L, int sys, const km_peds_t *peds, int fam, int q, double *tab, int *ref,
                int *k_meioses, km_err_t *e)
{
	const lin_sys_t *s = lin_sys(L, sys);
	int n = km_lin_ncol(L, sys), c, pi;
	*ref = -1;
	if (k_meioses) *k_meioses = 0;
	for (c = 0; c < n; ++c) tab[c] = 0.0;
	if (s == NULL) return 0;
	if (fam < 0 || fam >= L->n_fam || q < 0 || q >= L->pbase[fam + 1] - L->pbase[fam])
		return km_err_set(e, KM_EUSAGE, "km_lin_cand: no person %d in family %d", q, fam);
	pi = L->pbase[fam] + q;
	if (s->slot_of[pi] < 0) return 0; /* no lineage reference with data: NA */
	*ref = s->ref[pi];
	if (k_meioses) *k_meioses = s->k[pi];
	return sys == KM_SYS_Y ? lin_y_cand(L, s->slot_of[pi], s->k[pi], tab, e) : lin_mt_cand(L, s->slot_of[pi], s->k[pi], tab, e);
}

/* ---- results store (store): the lineage evidence of a subset of the remains --------- */
int km_lin_subset(km_lin_t **S, const km_lin_t *L, const int *rsel, int n)
{
	*S = NULL;
	if (!L) return 0;
	km_lin_t *V = malloc(sizeof(*V));
	if (!V) return KM_ENOMEM;
	*V = *L;   /* shares everything but the per-remain columns */
	V->n_remain = n;
	V->y.rcol = V->m.rcol = NULL;
	V->yr_left = NULL;
	if ((L->y.rcol && !(V->y.rcol = malloc(sizeof(int) * ((size_t)n + 1)))) ||
	    (L->m.rcol && !(V->m.rcol = malloc(sizeof(int) * ((size_t)n + 1)))) ||
	    (L->yr_left && !(V->yr_left = malloc(sizeof(uint64_t) * ((size_t)n + 1))))) {
		km_lin_subset_free(V);
		return KM_ENOMEM;
	}
	for (int i = 0; i < n; ++i) {
		if (V->y.rcol) V->y.rcol[i] = L->y.rcol[rsel[i]];
		if (V->m.rcol) V->m.rcol[i] = L->m.rcol[rsel[i]];
		if (V->yr_left) V->yr_left[i] = L->yr_left[rsel[i]];
	}
	*S = V;
	return 0;
}

void km_lin_subset_free(km_lin_t *S)
{
	if (!S) return;
	free(S->y.rcol);
	free(S->m.rcol);
	free(S->yr_left);
	free(S);
}
/* ---- end results store */
int km_lin_y_nleft(const km_lin_t *L)
{
	return L && L->y_on ? L->n_yleft : 0;
}

int km_lin_y_left_out(const km_lin_t *L, int remain, int fam, int q)
{
	const lin_sys_t *s = lin_sys(L, KM_SYS_Y);
	int pi;
	if (s == NULL || remain < 0 || remain >= L->n_remain || fam < 0 || fam >= L->n_fam ||
	    q < 0 || q >= L->pbase[fam + 1] - L->pbase[fam])
		return -1;
	pi = L->pbase[fam] + q;
	if (s->slot_of[pi] < 0 || (s->rcol[remain] == 0 && L->yr_left[remain] == 0)) return -1;   /* Y is NA */
	return __builtin_popcountll(L->yr_left[remain] & L->yslot_left[s->slot_of[pi]]);
}

/* ---- explain (issue 13) -----------------------------------------------------------------
 * The numbers behind one pair's lineage LR, recomputed the plain way (not the scan's
 * vector path): compared loci / positions, differences, and the database counts x of N of
 * the denominator (as y_fone in lin_y.c and lin_mt_freqs count them). */

void km_linx_free(km_linx_t *x)
{
	free(x->rcall); free(x->fcall); free(x->diff);
	x->rcall = x->fcall = x->diff = NULL;
}

static void y_fmt(kstring_t *s, const double *v)
{
	ksprintf(s, "%g", v[0]);
	if (!isnan(v[1])) ksprintf(s, ",%g", v[1]);
}

static void mt_fmt(kstring_t *s, const km_mthap_t *h, const mt_reg_t *r)
{
	int i;
	for (i = 0; i < r->n; ++i) ksprintf(s, "%s%d-%d", i ? " " : "", r->iv[i][0], r->iv[i][1]);
	kputc(':', s);
	for (i = 0; i < h->n_var; ++i) {
		const km_mtvar_t *v = &h->var[i];
		if (!reg_has(r, v->pos)) continue;
		if (v->ins > 0) ksprintf(s, " %d.%d%c", v->pos, v->ins, v->base);
		else if (v->base == '-') ksprintf(s, " %ddel", v->pos);
		else ksprintf(s, " %d%c", v->pos, v->base);
	}
}

int km_lin_explain(const km_lin_t *L, int sys, const km_panel_t *p, const km_peds_t *peds, int fam, int q, int r,
                   km_linx_t *x, km_err_t *e)
{
	const lin_sys_t *s = lin_sys(L, sys);
	kstring_t rc = { 0, 0, NULL }, fc = { 0, 0, NULL }, df = { 0, 0, NULL };
	memset(x, 0, sizeof *x);
	x->ref = -1;
	if (s == NULL || r < 0 || r >= L->n_remain || fam < 0 || fam >= L->n_fam) return 0;
	int pi = L->pbase[fam] + q, c = s->rcol[r];
	(void)peds;
	if (q < 0 || q >= L->pbase[fam + 1] - L->pbase[fam] || s->slot_of[pi] < 0 || c <= 0) return 0;
	int slot = s->slot_of[pi];
	x->ref = s->ref[pi], x->k = s->k[pi];
	kputs("", &rc); kputs("", &fc); kputs("", &df);
	if (sys == KM_SYS_Y) {
		const double *rv = L->yslot + (size_t)slot * L->n_yl * 2, *cv = L->ycol + (size_t)c * L->n_yl * 2;
		uint64_t b = 0;
		for (int l = 0; l < L->n_yl; ++l) {
			if (isnan(cv[2 * l]) || isnan(rv[2 * l])) continue;
			b |= 1ULL << l;
			++x->n_cmp;
			const char *nm = p->marker[L->ymk[l]].name;
			ksprintf(&rc, "%s%s=", rc.l ? " " : "", nm); y_fmt(&rc, cv + 2 * l);
			ksprintf(&fc, "%s%s=", fc.l ? " " : "", nm); y_fmt(&fc, rv + 2 * l);
			if (cmp_dbl(cv[2 * l], rv[2 * l]) != 0 || cmp_dbl(cv[2 * l + 1], rv[2 * l + 1]) != 0) {
				++x->n_diff;
				ksprintf(&df, "%s%s ", df.l ? " " : "", nm); y_fmt(&df, cv + 2 * l);
				kputc('/', &df); y_fmt(&df, rv + 2 * l);
			}
		}
		/* N: database haplotypes typed at every compared locus; x: equal to the reference there */
		if ((b & L->yl_indb) == b)
			for (int h = 0; h < L->n_yh; ++h) {
				if ((L->yh_typed[h] & b) != b) continue;
				x->n += L->yh_count[h];
				int eq = 1;
				for (int l = 0; l < L->n_yl && eq; ++l)
					if (b >> l & 1) eq = L->yh_code[(size_t)h * L->n_yl + l] == y_code(rv + 2 * l);
				if (eq) x->x += L->yh_count[h];
			}
		x->log10_f = lin_logf(x->x, x->n, L->y_upper95);
	} else {
		const km_mthap_t *R = &L->mt.hap[s->slot_sample[slot]], *H = &L->mt.hap[L->mcol_hap[c]];
		mt_reg_t reg;
		if ((reg.iv = malloc((size_t)(R->n_range + H->n_range + 1) * sizeof *reg.iv)) == NULL) goto oom;
		reg_isect(H, R, &reg);
		for (int i = 0; i < reg.n; ++i) x->n_cmp += reg.iv[i][1] - reg.iv[i][0] + 1;
		x->n_diff = mt_diff(H, R, &reg, 1 << 30);
		mt_fmt(&rc, H, &reg);
		mt_fmt(&fc, R, &reg);
		for (int d = 0; d < L->mtdb.n; ++d) {
			if (!reg_covered(&reg, &L->mtdb.hap[d])) continue;
			++x->n;
			x->x += mt_diff(&L->mtdb.hap[d], R, &reg, 1) == 0;
		}
		free(reg.iv);
		x->log10_f = s->logf[(size_t)slot * s->n_rm + s->col_rm[c]];
	}
	if (!rc.s || !fc.s || !df.s) goto oom;
	x->rcall = rc.s, x->fcall = fc.s, x->diff = df.s;
	return 0;
oom:
	free(rc.s); free(fc.s); free(df.s);
	x->ref = -1;
	return km_err_set(e, KM_ENOMEM, "out of memory");
}

/* ---- joint lineage terms (issue 11 part 7, linjoint.c): read-only views ----------------- */
int km_lin_person(const km_lin_t *L, int sys, int fam, int q, int *slot, int *ref, int *k)
{
	const lin_sys_t *s = lin_sys(L, sys);
	*slot = -1, *ref = -1, *k = 0;
	if (s == NULL || fam < 0 || fam >= L->n_fam || q < 0 || q >= L->pbase[fam + 1] - L->pbase[fam]) return 0;
	int pi = L->pbase[fam] + q;
	*slot = s->slot_of[pi], *ref = s->ref[pi], *k = s->k[pi];
	return s->slot_of[pi] >= 0;
}

int km_lin_y_nloc(const km_lin_t *L) { return L ? L->n_yl : 0; }
double km_lin_y_mu(const km_lin_t *L, int l) { return L->ymu[l]; }
const double *km_lin_y_col(const km_lin_t *L, int col) { return L->ycol + (size_t)col * L->n_yl * 2; }
const double *km_lin_y_ref(const km_lin_t *L, int slot) { return L->yslot + (size_t)slot * L->n_yl * 2; }

/* km_lin_y_logf: lin_y.c, next to the Y denominators */

double km_lin_db_total(const km_lin_t *L, int sys)
{
	double n = 0.0;
	if (lin_sys(L, sys) == NULL) return 0.0;
	if (sys == KM_SYS_Y) for (int h = 0; h < L->n_yh; ++h) n += (double)L->yh_count[h];
	else n = L->mtdb.n;
	return n;
}
