/* compile.c — (pedigree x locus) -> tables of log10 LR over the remains' observations.
 *
 * The only stage that knows pedigrees and models.  For candidate c = (family F, missing
 * person M) and scan locus l it computes, for every observation column of l,
 *     T_c,l(g) = log10 [ P(refs_F, G_M = g) / ( P(refs_F) P(g) ) ]           (DESIGN.md §3)
 * (MODELS.md §1: H1 puts the remain's genotype on M, H2 takes the family with M untyped
 * times the remain as an unrelated person).  With theta = 0, one elimination pass gives
 * P(refs_F, G_M = g) for every g at once (lik.c, km_lik_query).  With theta > 0 the
 * founders share the Balding–Nichols urn, and under H2 the remain is one more founder
 * drawn from it (MODELS.md §4): theta.c gives P(refs_F, G_M = g) and P(refs_F, remain = g)
 * for every ordered g in one pass each (km_theta_query; the derivation is in its head);
 * beyond its limits the enumeration of lik.c (km_lik_theta) per column, with the alleles
 * that play no part lumped into one.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "kmpriv.h"
#include "lik.h"
#include "pipe.h"
#include "lineage.h"
#include "obs.h"
#include "tcache.h"
#include "compile_int.h"


/* ---- candidates ----------------------------------------------------------------------- */

/* qsort_r order of candidates: family id, then missing person id (byte order) */
static int cmp_cand(const void *x, const void *y, void *arg)
{
	const km_peds_t *peds = arg;
	const km_cand_t *a = x, *b = y;
	const km_family_t *fa = &peds->fam[a->fam], *fb = &peds->fam[b->fam];
	int c = strcmp(fa->id, fb->id);
	if (c) return c;
	return strcmp(fa->person[a->person].id, fb->person[b->person].id);
}

/* ---- per-marker models ----------------------------------------------------------------- */


static void mmat_free(mmat_t *mm, int n)
{
	if (!mm) return;
	for (int i = 0; i < n; ++i) {
		if (mm[i].Mm != mm[i].Mf) free(mm[i].Mm);
		if (mm[i].K0 != mm[i].Km) free(mm[i].K0);
		free(mm[i].Mf); free(mm[i].Km); free(mm[i].lpg);
	}
	free(mm);
}

static double log10_pg(const double *p, int32_t a, int32_t b, int male_x)
{
	if (male_x || b == KM_HEMI) return log10(p[a]);
	return a == b ? 2.0 * log10(p[a]) : log10(2.0 * p[a] * p[b]);
}

static int mmat_build(mmat_t **out, const km_index_t *ix, const km_panel_t *p, const km_freqs_t *f,
                      const km_copt_t *o, km_err_t *e)
{
	mmat_t *mm = calloc((size_t)ix->n_loc + 1, sizeof(mmat_t));
	if (!mm) return km_err_set(e, KM_ENOMEM, "out of memory");
	for (int l = 0; l < ix->n_loc; ++l) {
		if (ix->marker[l] < 0) continue;
		const km_marker_t *mk = &p->marker[ix->marker[l]];
		const km_alleles_t *al = &f->loc[ix->marker[l]];
		size_t n = (size_t)al->n_allele;
		/* log10 P(g) of every observation column, once per locus instead of per table */
		if (!(mm[l].lpg = malloc(sizeof(double) * 2 * (size_t)ix->n_col[l] + 1))) { mmat_free(mm, ix->n_loc); return km_err_set(e, KM_ENOMEM, "out of memory"); }
		for (int k = 1; k < ix->n_col[l]; ++k)
			for (int m = 0; m < 2; ++m)
				mm[l].lpg[2 * k + m] = log10_pg(al->p, ix->col_a[ix->col_off[l] + k], ix->col_b[ix->col_off[l] + k], m);
		if (o->mutation == KM_MUT_NONE || mk->type == KM_SYS_SNP) goto kern;
		if (mk->rate_f == 0.0 && mk->rate_m == 0.0) goto kern;  /* MODELS.md §3: rate 0, no model */
		int ret;
		if (!(mm[l].Mf = malloc(sizeof(double) * n * n + 1))) { mmat_free(mm, ix->n_loc); return km_err_set(e, KM_ENOMEM, "out of memory"); }
		if ((ret = km_mut_matrix(o->mutation, al, mk->name, mk->rate_f, o->range, o->rate2, mm[l].Mf, e)) < 0) { mmat_free(mm, ix->n_loc); return ret; }
		if (mk->rate_m == mk->rate_f) { mm[l].Mm = mm[l].Mf; goto kern; }
		if (!(mm[l].Mm = malloc(sizeof(double) * n * n + 1))) { mmat_free(mm, ix->n_loc); return km_err_set(e, KM_ENOMEM, "out of memory"); }
		if ((ret = km_mut_matrix(o->mutation, al, mk->name, mk->rate_m, o->range, o->rate2, mm[l].Mm, e)) < 0) { mmat_free(mm, ix->n_loc); return ret; }
	kern:
		if (mk->type == KM_SYS_X) continue;
		if (!(mm[l].Km = malloc(sizeof(double) * 2 * (n * n + n)))) { mmat_free(mm, ix->n_loc); return km_err_set(e, KM_ENOMEM, "out of memory"); }
		mm[l].Kf = mm[l].Km + n * n + n;
		km_peel_sib_kernel(al->p, mm[l].Mm, (int)n, mm[l].Km);
		km_peel_sib_kernel(al->p, mm[l].Mf, (int)n, mm[l].Kf);
		/* the `inconsistent` column's queries (no mutation) need the plain kernel: built once
		 * here, not n^3 in each of their queries */
		if (o->typing_error > 0.0 || ix->max_e > 0.0) {
			if (!mm[l].Mf && !mm[l].Mm) mm[l].K0 = mm[l].Km;
			else if (!(mm[l].K0 = malloc(sizeof(double) * (n * n + n)))) { mmat_free(mm, ix->n_loc); return km_err_set(e, KM_ENOMEM, "out of memory"); }
			else km_peel_sib_kernel(al->p, NULL, (int)n, mm[l].K0);
		}
	}
	*out = mm;
	return 0;
}

/* ---- one candidate ---------------------------------------------------------------------- */


/* Lumps every allele that is not marked in use[] into one allele O (the last), with
 * p_O = sum of their frequencies and p-weighted transition rows.  Exact for the
 * strongly lumpable models (none, equal, proportional: Kemeny & Snell 1960, thm 6.3.2)
 * and, under theta, by the aggregation property of the Dirichlet behind the
 * Balding–Nichols urn.  Returns the working allele count; wmap[a] = working index. */
static int lump(const km_alleles_t *al, const mmat_t *mm, const uint8_t *use, work_t *w)
{
	int n = al->n_allele, nw = 0;
	double pO = 0.0;
	for (int a = 0; a < n; ++a) if (use[a]) w->wmap[a] = nw++;
	int O = nw;
	for (int a = 0; a < n; ++a) if (!use[a]) w->wmap[a] = O, pO += al->p[a];
	int nn = pO > 0.0 ? nw + 1 : nw;
	for (int a = 0; a < n; ++a) if (use[a]) w->lp[w->wmap[a]] = al->p[a];
	if (nn > nw) w->lp[O] = pO;
	for (int s = 0; s < 2; ++s) {
		const double *M = s ? mm->Mm : mm->Mf;
		double *L = s ? w->lMm : w->lMf;
		if (!M) continue;
		memset(L, 0, sizeof(double) * (size_t)nn * nn);
		for (int i = 0; i < n; ++i) {
			int wi = w->wmap[i];
			double wt = use[i] ? 1.0 : al->p[i] / pO;
			for (int j = 0; j < n; ++j) L[(size_t)wi * nn + w->wmap[j]] += wt * M[(size_t)i * n + j];
		}
	}
	return nn;
}


/* Prefixes e's message with the family and marker; returns ret. */
static int cand_err(km_err_t *e, int ret, const km_family_t *F, const char *marker)
{
	return km_err_prefix(e, ret, "family '%s', marker '%s'", F->id, marker);
}

/* The old theta route (lik.c's enumeration of the untyped founders' alleles), column by
 * column with the alleles seen in neither lumped; kept for pedigrees beyond theta.c's
 * limits (it refuses those with too many combinations itself). */
static int theta_enum_cols(const km_comp_t *C, int l, km_lped_t *Pp, int q, double *T, double *hom, int *incp,
                           work_t *w, km_err_t *e)
{
	const km_index_t *ix = C->ix;
	const km_copt_t *o = &C->co;
	const mmat_t *mm = C->mm;
	const km_alleles_t *al = &C->f->loc[ix->marker[l]];
	const int32_t *ca = ix->col_a + ix->col_off[l], *cb = ix->col_b + ix->col_off[l];
	int nc = ix->n_col[l], np = Pp->n, xl = 0, ret = 0, inc = 0;
	km_lped_t P = *Pp;
	{
		uint8_t *use = (uint8_t *)w->wmap + sizeof(int) * (size_t)al->n_allele;  /* scratch after wmap */
		int32_t *gsave = w->gt + 2 * np;
		for (int k = 1; k < nc; ++k) {
			int32_t a = ca[k], b = cb[k];
			int n = al->n_allele, nn;
			for (int x = 0; x < n; ++x) use[x] = o->mutation == KM_MUT_STEPWISE && mm[l].Mf;
			for (int i = 0; i < np; ++i) if (w->gt[2 * i] >= 0) { use[w->gt[2 * i]] = 1; if (w->gt[2 * i + 1] >= 0) use[w->gt[2 * i + 1]] = 1; }
			use[a] = 1; if (b >= 0) use[b] = 1;
			nn = lump(al, &mm[l], use, w);
			km_locus_t L = { nn, w->lp, mm[l].Mf ? w->lMf : NULL, mm[l].Mm ? w->lMm : NULL, xl, NULL, NULL };
			for (int i = 0; i < 2 * np; ++i) gsave[i] = w->gt[i];
			for (int i = 0; i < 2 * np; ++i) if (w->gt[i] >= 0) w->gt[i] = w->wmap[w->gt[i]];
			int wa = w->wmap[a], wb = b >= 0 ? w->wmap[b] : b;
			double l1, l2;
			int extra[2] = { wa, wb };
			/* H2: family with M untyped, the remain an extra founder (ordered alleles;
			 * the urn is exchangeable, so a heterozygote counts twice) */
			ret = km_lik_theta(&L, &P, o->theta, extra, 2, &l2, e);
			if (ret == 0) {
				if (wa != wb) l2 += log10(2.0);
				w->gt[2 * q] = wa, w->gt[2 * q + 1] = wb;
				ret = km_lik_theta(&L, &P, o->theta, NULL, 0, &l1, e);
			}
			for (int i = 0; i < 2 * np; ++i) w->gt[i] = gsave[i];
			if (ret < 0) return ret;
			if (l2 == KM_NEG_INF) { inc = 1; T[k] = 0.0; continue; }
			T[k] = l1 - l2;
			int slot = ix->hom_slot[ix->col_off[l] + k];
			if (slot < 0) continue;
			/* dropout under theta: the same mixture, every L from the urn; the sums over
			 * the remain's unseen second allele x run over the working alleles, the lumped
			 * one standing exactly for all the others */
			double *H = hom + (size_t)slot * 3, q1 = 0.0, r2 = 0.0;
			H[0] = pow(10.0, l1 - l2);
			for (int x = 0; x < nn && ret == 0; ++x) {
				if (x == wa) continue;
				double m1, m2;
				for (int i = 0; i < 2 * np; ++i) if (w->gt[i] >= 0) w->gt[i] = w->wmap[w->gt[i]];
				int ex2[2] = { wa, x };
				ret = km_lik_theta(&L, &P, o->theta, ex2, 2, &m2, e);
				if (ret == 0) {
					w->gt[2 * q] = wa, w->gt[2 * q + 1] = x;
					ret = km_lik_theta(&L, &P, o->theta, NULL, 0, &m1, e);
				}
				for (int i = 0; i < 2 * np; ++i) w->gt[i] = gsave[i];
				q1 += pow(10.0, m1 - l2);
				r2 += pow(10.0, m2 + log10(2.0) - l2);
			}
			if (ret < 0) return ret;
			H[1] = q1, H[2] = r2;
		}
		}
	*incp = inc;
	return 0;
}

/* ---- explain (issue 13): which (candidate, locus) pairs contradict their pedigree --------
 * The count alone named neither family nor marker; every compile notes its pairs here
 * (under a spin lock: few pairs, rarely met), and km_comp_incon() returns them sorted
 * without repeats (explain.c recompiles some candidates, which notes them again). */
struct incl_s {
	km_incon_t *v;
	size_t n, m;
	int oom;
	unsigned char lock;     /* km_spin_lock */
};

static void incl_note(const km_comp_t *C, const km_cand_t *cand, int l)
{
	struct incl_s *I = C->incl;
	km_spin_lock(&I->lock);
	if (I->n == I->m) {
		size_t m = I->m ? 2 * I->m : 64;
		km_incon_t *t = realloc(I->v, sizeof(*t) * m);
		if (t) I->v = t, I->m = m; else I->oom = 1;
	}
	if (I->n < I->m) I->v[I->n].fam = cand->fam, I->v[I->n].person = cand->person, I->v[I->n++].l = l;
	km_spin_unlock(&I->lock);
}

int km_comp_incon_add(km_comp_t *C, int fam, int person, int l)
{
	km_cand_t c = { fam, person };
	incl_note(C, &c, l);
	return C->incl->oom ? KM_ENOMEM : 0;
}

static int cmp_incon(const void *x, const void *y)
{
	const km_incon_t *a = x, *b = y;
	if (a->fam != b->fam) return a->fam < b->fam ? -1 : 1;
	if (a->person != b->person) return a->person < b->person ? -1 : 1;
	return (a->l > b->l) - (a->l < b->l);
}

int km_comp_incon(const km_comp_t *C, km_incon_t **v, size_t *n, km_err_t *e)
{
	struct incl_s *I = C->incl;
	*v = NULL, *n = 0;
	if (I->oom) return km_err_set(e, KM_ENOMEM, "out of memory");
	if (I->n > 1) qsort(I->v, I->n, sizeof(km_incon_t), cmp_incon);   /* I->v may be NULL when empty (UBSan) */
	size_t u = 0;
	for (size_t i = 0; i < I->n; ++i)
		if (u == 0 || cmp_incon(&I->v[u - 1], &I->v[i]) != 0) I->v[u++] = I->v[i];
	I->n = u;
	if (!(*v = malloc(sizeof(km_incon_t) * (u + 1)))) return km_err_set(e, KM_ENOMEM, "out of memory");
	if (u) memcpy(*v, I->v, sizeof(km_incon_t) * u);
	*n = u;
	return 0;
}

/* The table cache's key of a problem (tcache.h): the pedigree pruned for query q
 * (km_lik_prune), its persons in family order as (sex | 4 for q, father, mother, the two
 * alleles), father and mother as indices among the kept persons.  Fills key[0..*kn) and
 * returns the number of genotype combinations of its typed persons (what decides whether
 * a problem is worth caching: KM_CACHE_COMBOS). */
static double prune_key(const km_lped_t *P, int q, int n_allele, int32_t *key, int *kn, work_t *w)
{
	int nk = 0, k = 1;
	double combos = 1.0;
	km_lik_prune(P, q, w->keep);
	for (int i = 0; i < P->n; ++i) w->cidx[i] = w->keep[i] ? nk++ : -1;
	key[0] = nk;
	for (int i = 0; i < P->n; ++i) {
		if (!w->keep[i]) continue;
		int32_t *k6 = key + k;
		k6[0] = P->sex[i] | (i == q ? 4 : 0);
		k6[1] = P->father[i] >= 0 ? w->cidx[P->father[i]] : -1;
		k6[2] = P->mother[i] >= 0 ? w->cidx[P->mother[i]] : -1;
		k6[3] = P->gt[2 * i], k6[4] = P->gt[2 * i + 1];
		k += 5;
		if (P->gt[2 * i] != KM_NOALLELE) combos *= 0.5 * n_allele * (n_allele + 1);
	}
	*kn = k;
	return combos;
}

/* Typing error of the references (issue 12 part 1).  Each typed reference's evidence is
 * P(o_i | g) = (1 - E) [o_i = g] + E q(o_i), q the Hardy-Weinberg probability of the call
 * (p_a^2, 2 p_a p_b, p_a hemizygous): the observation model's te and tc (obs.h), so one
 * engine run gives P(refs, M = g) for every g under the error.  The peeler takes a
 * reference with no children (the memorial's nephews and cousins) as its exact message
 * times (1 - E) plus the constant E q(o) — one more choice in its parents' family, not a
 * dense person — and any other typed reference as dense weights; the elimination engine
 * takes them all dense.  Exact; this is the sum over the subsets S of the references in
 * error of prod_S E q(o_i) prod_rest (1 - E) P(refs not in S, M = g), computed inside the
 * one pass (that sum, 2^t runs, was the previous method: 3x the compile at M).  Same
 * scaling as km_lik_query_ws: phi * 10^lg.  E = 0 is the plain query. */
static int query_err(const km_locus_t *L, km_lped_t *P, int q, double E, const double *p, double *phi, double *lg,
                     work_t *w, km_err_t *e)
{
	if (E <= 0.0) return km_lik_query_ws(L, P, q, phi, lg, w->lws, e);
	const int32_t *gt = P->gt;
	km_obsp_t *ob = w->eobs;
	for (int i = 0; i < P->n; ++i) {
		int32_t a = gt[2 * i], b = gt[2 * i + 1];
		memset(&ob[i], 0, sizeof ob[i]);
		if (i == q || a < 0) continue;
		ob[i].te = E, ob[i].tc = km_obs_hwq(p, a, b);
	}
	P->obs = ob;
	int ret = km_lik_query_ws(L, P, q, phi, lg, w->lws, e);
	P->obs = NULL;
	return ret;
}

/* Typing error of the references under theta (issue 12 part 1): the likelihood is
 * multilinear in each reference's evidence whatever the joint law of the genotypes, so
 * with the founders' alleles from the Balding–Nichols urn too
 *     P_E(refs, G_M = g) = sum over subsets S of the typed references of
 *                          prod_{i in S} E q(o_i) prod_{i not in S} (1 - E) P(refs not in S, G_M = g),
 * each term a theta.c query with S's references untyped, for H1 (P1) and for H2 (the
 * remain an extra founder, P2) alike: 2^t pairs of queries for t references (the peeler's
 * one-pass form has no urn).  q(o) is the Hardy–Weinberg probability of the call, as
 * the issue defines it, whatever theta.  P1, P2 hold n^2 (a man at X: n) values. */
static int theta_err(work_t *w, const km_locus_t *L, km_lped_t *P, int q, double theta, double E, double *P1,
                     double *P2, km_err_t *e)
{
	int32_t *gt = w->gt;
	int t[24], nt = 0, n = L->n, ret = 0;
	size_t nphi = L->xlinked && P->sex[q] == KM_MALE ? (size_t)n : (size_t)n * n;
	for (int i = 0; i < P->n; ++i)
		if (i != q && gt[2 * i] >= 0) {
			if (nt == 24) return km_err_set(e, KM_EMODEL, "more than 24 typed references at one locus with --typing-error");
			t[nt++] = i;
		}
	int32_t save[48];
	double wq[24];
	for (int j = 0; j < nt; ++j) {
		int32_t a = gt[2 * t[j]], b = gt[2 * t[j] + 1];
		save[2 * j] = a, save[2 * j + 1] = b;
		wq[j] = E * km_obs_hwq(L->p, a, b);
	}
	double *A1 = w->ephi, *A2 = w->ephi + (size_t)n * n;
	for (size_t i = 0; i < nphi; ++i) A1[i] = A2[i] = 0.0;
	for (uint32_t S = 0; S < (1u << nt) && ret == 0; ++S) {
		double wt = 1.0;
		for (int j = 0; j < nt; ++j) {
			int in = S >> j & 1;
			wt *= in ? wq[j] : 1.0 - E;
			gt[2 * t[j]] = in ? KM_NOALLELE : save[2 * j], gt[2 * t[j] + 1] = in ? KM_NOALLELE : save[2 * j + 1];
		}
		if ((ret = km_theta_query(w->th, L, P, q, 0, theta, P1, e)) == 0) ret = km_theta_query(w->th, L, P, q, 1, theta, P2, e);
		for (size_t i = 0; i < nphi && ret == 0; ++i) A1[i] += wt * P1[i], A2[i] += wt * P2[i];
	}
	for (int j = 0; j < nt; ++j) gt[2 * t[j]] = save[2 * j], gt[2 * t[j] + 1] = save[2 * j + 1];
	if (ret < 0) return ret;
	memcpy(P1, A1, sizeof(double) * nphi), memcpy(P2, A2, sizeof(double) * nphi);
	return 0;
}

/* A table row from phi (theta = 0): phi[x * n + y] * 10^lg = P(refs, G_M = (x, y)) (a man
 * at X: phi[x]) gives every column's log10 LR into T[1..nc) and the P, Q, R of its
 * apparent homozygotes into hom; returns 1 when the references contradict the pedigree
 * (P(refs) = 0; T and hom untouched), else 0.  The LR's denominator is P(refs) P(column):
 * P(refs) = sum of phi for a family (the references are in the pedigree under both
 * hypotheses), or den (> 0, on phi's scale) where the caller knows it differs (rpcomp.c).
 * The families' tables (compile_cand) and the remain pairs' (rpcomp.c) both come from here. */
int km_comp_phi_cols(const km_comp_t *C, int l, int male_q, double lg, double den, double *T, double *hom, work_t *w)
{
	const km_index_t *ix = C->ix;
	const mmat_t *mm = C->mm;
	const km_alleles_t *al = &C->f->loc[ix->marker[l]];
	int n = al->n_allele, nc = ix->n_col[l];
	const int32_t *ca = ix->col_a + ix->col_off[l], *cb = ix->col_b + ix->col_off[l];
	double pref = 0.0;
	size_t nphi = male_q ? (size_t)n : (size_t)n * n;
	for (size_t i = 0; i < nphi; ++i) pref += w->phi[i];
	if (lg == KM_NEG_INF || pref <= 0.0) return 1;   /* the references contradict the pedigree */
	/* rho = (A's marginal in the pedigree) / (the denominator's P(refs)): 1 for a family;
	 * the remain's typing-error term below carries it (B's erroneous call is independent
	 * of its genotype, so its H1 term is E c(o) times the pedigree's P(refs)) */
	double rho = 1.0;
	if (den > 0.0) rho = pref / den, pref = den;
	double lpref = log10(pref), S = 0.0;
	for (int x = 0; x < n; ++x) S += al->p[x];
	/* P(refs, M = column) for every column, then their log10 in one vector pass */
	double *L1 = w->lbuf, *LG = w->lbuf + nc;
	for (int k = 1; k < nc; ++k) {
		int32_t a = ca[k], b = cb[k];
		if (male_q) L1[k] = b >= 0 && b != a ? 0.0 : w->phi[a];           /* a heterozygous remain is not a man */
		else if (b == KM_HEMI) L1[k] = 0.0;                                   /* a hemizygous remain is not a woman */
		else L1[k] = a == b ? w->phi[(size_t)a * n + a] : w->phi[(size_t)a * n + b] + w->phi[(size_t)b * n + a];
	}
	km_log10_vec(L1 + 1, LG + 1, (size_t)(nc - 1));
	const double *ce = ix->col_e ? ix->col_e + ix->col_off[l] : NULL;
	for (int k = 1; k < nc; ++k) {
		int32_t a = ca[k], b = cb[k];
		double l1 = L1[k], er = ce ? ce[k] : 0.0;
		T[k] = l1 > 0.0 ? LG[k] - lpref - mm[l].lpg[2 * k + male_q] : KM_NEG_INF;
		/* the remain's typing error (issue 12 part 1): with q = the founder law
		 * P(g), P(obs | H2) is unchanged and the LR becomes (1 - E_r) LR + E_r
		 * (H1 and H2 gain the same E_r c(obs) P(refs); c = sum_g q(g) P_drop(obs | g));
		 * with a denominator of its own (den), (1 - E_r) LR + E_r rho */
		if (er > 0.0 && !(male_q ? b >= 0 && b != a : b == KM_HEMI))
			T[k] = log10((1.0 - er) * (l1 > 0.0 ? pow(10.0, T[k]) : 0.0) + er * rho);
		if (male_q ? b >= 0 && b != a : b == KM_HEMI) continue;
		int slot = ix->hom_slot[ix->col_off[l] + k];
		if (slot < 0) continue;
		/* dropout, apparent homozygote {a} (issue 4; Buckleton et al. 2016 ch. 8):
		 * LR = [(1-d^2) L1(aa) + d(1-d) sum_{x!=a} L1(ax)] / [(1-d^2) L2(aa) + d(1-d) sum_{x!=a} L2(ax)]
		 * with L2(g) = P(refs) P(g): the observation model's mixture terms (obs.h). */
		km_obs_hom_pqr(w->phi, n, al->p, S, pref, a, l1, male_q, hom + (size_t)slot * 3);
		/* with the remain's error (issue 12 part 1): (1-E)(P + wQ)/(1 + wR) + E rho =
		 * (P' + wQ')/(1 + wR), P' = (1-E) P + E rho, Q' = (1-E) Q + E rho R */
		if (er > 0.0) {
			double *H = hom + (size_t)slot * 3;
			H[0] = (1.0 - er) * H[0] + er * rho, H[1] = (1.0 - er) * H[1] + er * rho * H[2];
		}
	}
	return 0;
}

static int compile_cand(const km_comp_t *C, const km_cand_t *cand, km_ctab_t *out, work_t *w, km_err_t *e)
{
	const km_index_t *ix = C->ix;
	const km_panel_t *p = C->p;
	const km_freqs_t *f = C->f;
	const km_prof_t *refs = C->refs;
	const km_copt_t *o = &C->co;
	const mmat_t *mm = C->mm;
	const km_family_t *F = &C->peds->fam[cand->fam];
	int q = cand->person, np = F->n_person, ret;
	int n_inc_[1] = { 0 }, *n_inc = n_inc_;
	double *row = out->lr;
	double *hom = out->hom;
	out->csys = 0;
	for (int i = 0; i < ix->n_hom; ++i) hom[3 * i] = 1.0, hom[3 * i + 1] = hom[3 * i + 2] = 0.0;   /* LR 1 */
	for (int i = 0; i < np; ++i) {
		w->father[i] = F->person[i].father;
		w->mother[i] = F->person[i].mother;
		w->sex[i] = F->person[i].sex;
	}
	out->lin_ref[0] = out->lin_ref[1] = -1;
	out->lin_k[0] = out->lin_k[1] = 0;
	/* first every locus's genotypes and cache key, with the key's hash slot prefetched:
	 * the lookups below then rarely wait on memory (the cache is hundreds of MB) */
	for (int l = 0; l < ix->n_loc; ++l) {
		int m = ix->marker[l], typed = 0;
		w->ltyped[l] = 0;
		if (m < 0) continue;
		int xl = p->marker[m].type == KM_SYS_X;
		int32_t *gt = w->lgt + (size_t)l * 2 * np;
		for (int i = 0; i < np; ++i) {
			int32_t a = KM_NOALLELE, b = KM_NOALLELE;
			const km_person_t *ps = &F->person[i];
			if (ps->role == KM_ROLE_REFERENCE && ps->sample >= 0) {
				const int32_t *g = km_prof_gt(refs, ps->sample, m);
				a = g[0], b = g[1];
				if (a != KM_NOALLELE && xl && ps->sex == KM_MALE) b = KM_HEMI;
			}
			gt[2 * i] = a, gt[2 * i + 1] = b;
			if (a != KM_NOALLELE) typed = 1;
		}
		w->ltyped[l] = (uint8_t)typed;
		if (!typed) continue;
		/* cache key: the pruned pedigree in family order, with genotypes and M */
		km_lped_t P = { np, w->father, w->mother, w->sex, gt, NULL };   /* references: exact calls */
		int32_t *key = w->lkey + (size_t)l * w->kstride;
		int kn;
		double combos = prune_key(&P, q, f->loc[m].n_allele, key, &kn, w);
		w->lkn[l] = kn;
		w->lkh[l] = km_tc_hash(l, key, kn);
		w->lcache[l] = combos <= KM_CACHE_COMBOS;
		if (l < 6) km_tc_prefetch(&km_tc_shard(w->cache, w->lkh[l])->c, w->lkh[l]);
	}
	for (int l = 0; l < ix->n_loc; ++l) {
		if (ix->marker[l] < 0) {   /* Y-STR or mtDNA haplotype: lineage.c */
			int sys = l >= ix->sys_start[KM_SYS_MT] ? KM_SYS_MT : KM_SYS_Y, li = sys == KM_SYS_MT, ref = -1, k = 0;
			if ((ret = km_lin_cand(C->lin, sys, C->peds, cand->fam, q, row + ix->col_off[l], &ref, &k, e)) < 0) return ret;
			out->typed[l] = ref >= 0;
			out->lin_ref[li] = ref, out->lin_k[li] = k;
			if (ref >= 0) out->csys |= (uint8_t)(1u << sys);
			continue;
		}
		int m = ix->marker[l], sys = p->marker[m].type;
		const km_alleles_t *al = &f->loc[m];
		int xl = sys == KM_SYS_X, nc = ix->n_col[l], male_q = xl && F->person[q].sex == KM_MALE;
		double *T = row + ix->col_off[l];
		const int32_t *ca = ix->col_a + ix->col_off[l], *cb = ix->col_b + ix->col_off[l];
		int typed = w->ltyped[l], inc = 0, kn = w->lkn[l], cacheable = w->lcache[l];
		uint64_t kh = w->lkh[l];
		for (int k = 0; k < nc; ++k) T[k] = 0.0;
		out->typed[l] = (uint8_t)typed;
		if (!typed) continue;                        /* MODELS.md §1: LR = 1 */
		out->csys |= (uint8_t)(1u << sys);
		memcpy(w->gt, w->lgt + (size_t)l * 2 * np, sizeof(int32_t) * 2 * (size_t)np);
		memcpy(w->key, w->lkey + (size_t)l * w->kstride, sizeof(int32_t) * (size_t)kn);
		km_lped_t P = { np, w->father, w->mother, w->sex, w->gt, NULL };   /* references: exact calls */
		if (l + 6 < ix->n_loc) km_tc_prefetch(&km_tc_shard(w->cache, w->lkh[l + 6])->c, w->lkh[l + 6]);
		/* a locus's homozygote slots are consecutive, in column order (km_index_t) */
		int hinc = 0;
		if (cacheable && km_tc_fetch(w->cache, l, w->key, kn, kh, T, (size_t)nc, hom + (size_t)ix->hom_first[l] * 3,
		                             3 * (size_t)ix->hom_n[l], &hinc)) {
			++w->hits;
			if (hinc) ++*n_inc, incl_note(C, cand, l);
			continue;
		}
		++w->misses;
		if (o->theta == 0.0) {
			km_locus_t L = { al->n_allele, al->p, mm[l].Mf, mm[l].Mm, xl, mm[l].Km, mm[l].Kf };
			double lg;
			if ((ret = query_err(&L, &P, q, o->typing_error, al->p, w->phi, &lg, w, e)) < 0)
				return cand_err(e, ret, F, p->marker[m].name);
			if (km_comp_phi_cols(C, l, male_q, lg, 0.0, T, hom, w)) inc = 1;
			goto store;
		} else {
			/* theta (theta.c): one pass for H1 (P(refs, G_M = g) for every ordered g) and
			 * one for H2 (the remain an extra founder of the same urn, ordered alleles) */
			int n = al->n_allele;
			km_locus_t L = { n, al->p, mm[l].Mf, mm[l].Mm, xl, NULL, NULL };
			double *P1 = w->phi, *P2 = w->phi2;
			if (o->typing_error > 0.0) ret = theta_err(w, &L, &P, q, o->theta, o->typing_error, P1, P2, e);
			else if ((ret = km_theta_query(w->th, &L, &P, q, 0, o->theta, P1, e)) == 0)
				ret = km_theta_query(w->th, &L, &P, q, 1, o->theta, P2, e);
			if (ret == KM_EMODEL && o->typing_error > 0.0)
				return cand_err(e, ret, F, p->marker[m].name);   /* the enumeration below has no error model */
			if (ret == KM_EMODEL && !xl) {   /* beyond theta.c's limits: the enumeration, column by column */
				if ((ret = theta_enum_cols(C, l, &P, q, T, hom, &inc, w, e)) < 0)
					return cand_err(e, ret, F, p->marker[m].name);
				goto store;
			}
			if (ret < 0) return cand_err(e, ret, F, p->marker[m].name);
			double pref = 0.0, s1 = 0.0, S = 0.0;
			size_t nphi = male_q ? (size_t)n : (size_t)n * n;
			for (size_t i = 0; i < nphi; ++i) pref += P2[i], s1 += P1[i];
			for (int x = 0; x < n; ++x) S += al->p[x];
			if (!(pref > 0.0)) { inc = 1; goto store; }   /* the references contradict the pedigree */
			const double *ce = ix->col_e ? ix->col_e + ix->col_off[l] : NULL;
			for (int k = 1; k < nc; ++k) {
				int32_t a = ca[k], b = cb[k];
				double l1, l2, er = ce ? ce[k] : 0.0;
				if (male_q) {
					if (b >= 0 && b != a) { T[k] = KM_NEG_INF; continue; }   /* a heterozygous remain is not a man */
					l1 = P1[a], l2 = P2[a];
				} else {
					if (b == KM_HEMI) { T[k] = KM_NEG_INF; continue; }      /* a hemizygous remain is not a woman */
					l1 = a == b ? P1[(size_t)a * n + a] : P1[(size_t)a * n + b] + P1[(size_t)b * n + a];
					l2 = a == b ? P2[(size_t)a * n + a] : P2[(size_t)a * n + b] + P2[(size_t)b * n + a];
				}
				/* the remain's own typing error (issue 12 part 1): P(o | g) = (1 - E) [o = g] +
				 * E q(o), q Hardy–Weinberg, so each hypothesis gains E q(o) times its total
				 * (s1 = P_H1(refs), pref = P_H2(refs)); under theta the two totals' columns
				 * differ, so the LR is the ratio, not (1 - E) LR + E */
				double qo = km_obs_hwq(al->p, a, male_q ? KM_HEMI : b);
				double e1 = (1.0 - er) * l1 + er * qo * s1, e2 = (1.0 - er) * l2 + er * qo * pref;
				T[k] = e1 > 0.0 ? log10(e1 / e2) : KM_NEG_INF;
				int slot = ix->hom_slot[ix->col_off[l] + k];
				if (slot < 0) continue;
				/* dropout under theta: the same mixture as at theta = 0 (issue 4), every L from
				 * the urn: H = (L1(aa), sum_{x!=a} L1(ax), sum_{x!=a} L2(ax)) / L2(aa); with the
				 * remain's error E each numerator and denominator term gains E times the
				 * hypothesis's total times the Hardy–Weinberg weight of the same genotypes,
				 * p_a^2 for aa and 2 p_a (S - p_a) for the ax, x != a (the error acts first,
				 * then dropout: c(obs) = sum_g q(g) P_drop(obs | g)) */
				double *H = hom + (size_t)slot * 3;
				H[0] = e1 / e2, H[1] = H[2] = 0.0;
				if (male_q) continue;
				double q1 = 0.0, r2 = 0.0;
				for (int x = 0; x < n; ++x) {
					if (x == a) continue;
					q1 += P1[(size_t)a * n + x] + P1[(size_t)x * n + a];
					r2 += P2[(size_t)a * n + x] + P2[(size_t)x * n + a];
				}
				double hx = 2.0 * al->p[a] * (S - al->p[a]);
				q1 = (1.0 - er) * q1 + er * hx * s1, r2 = (1.0 - er) * r2 + er * hx * pref;
				H[1] = q1 / e2, H[2] = r2 / e2;
			}
		}
store:
		if (inc) ++*n_inc, incl_note(C, cand, l);
		w->vbuf[0] = inc;
		if (cacheable) memcpy(w->vbuf + 1, T, sizeof(double) * nc);
		if (cacheable) {
			double *hv = w->vbuf + 1 + nc;
			if (ix->hom_n[l]) memcpy(hv, hom + (size_t)ix->hom_first[l] * 3, sizeof(double) * 3 * (size_t)ix->hom_n[l]);
			km_tc_store(w->cache, l, w->key, kn, kh, w->vbuf, (size_t)nc + 1 + 3 * (size_t)ix->hom_n[l]);
		}
	}
	out->n_inc = *n_inc;
	return 0;
}

void km_tabs_destroy(km_tabs_t *t)
{
	free(t->cand);
	free(t->csex);   /* remain sex (dvi) */
	memset(t, 0, sizeof(*t));
}

int km_cands_build(km_tabs_t *t, const km_peds_t *peds, km_err_t *e)
{
	int nc = 0;
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < peds->n_family; ++i)
		for (int j = 0; j < peds->fam[i].n_person; ++j) nc += peds->fam[i].person[j].role == KM_ROLE_MISSING;
	if (!(t->cand = malloc(sizeof(km_cand_t) * (size_t)(nc + 1)))) return km_err_set(e, KM_ENOMEM, "out of memory");
	for (int i = 0; i < peds->n_family; ++i)
		for (int j = 0; j < peds->fam[i].n_person; ++j)
			if (peds->fam[i].person[j].role == KM_ROLE_MISSING) t->cand[t->n_cand].fam = i, t->cand[t->n_cand++].person = j;
	qsort_r(t->cand, (size_t)t->n_cand, sizeof(km_cand_t), cmp_cand, (void *)peds);
	/* remain sex (dvi): each candidate's sex, for the scan's sex check */
	if (!(t->csex = malloc((size_t)t->n_cand + 1))) return km_err_set(e, KM_ENOMEM, "out of memory");
	for (int c = 0; c < t->n_cand; ++c) t->csex[c] = (uint8_t)peds->fam[t->cand[c].fam].person[t->cand[c].person].sex;
	return 0;
}

int km_comp_init(km_comp_t **Cp, const km_index_t *ix, const km_panel_t *p, const km_freqs_t *f,
                 const km_prof_t *refs, const km_peds_t *peds, const km_lin_t *lin, const km_copt_t *o, km_err_t *e)
{
	int ret;
	km_comp_t *C = calloc(1, sizeof(km_comp_t));
	*Cp = NULL;
	if (!C) return km_err_set(e, KM_ENOMEM, "out of memory");
	C->ix = ix, C->p = p, C->f = f, C->refs = refs, C->peds = peds, C->co = *o, C->lin = lin;
	C->max_np = C->max_n = C->max_col = 1;
	for (int i = 0; i < peds->n_family; ++i) if (peds->fam[i].n_person > C->max_np) C->max_np = peds->fam[i].n_person;
	for (int l = 0; l < ix->n_loc; ++l) {
		if (ix->marker[l] >= 0 && f->loc[ix->marker[l]].n_allele > C->max_n) C->max_n = f->loc[ix->marker[l]].n_allele;
		if (ix->n_col[l] > C->max_col) C->max_col = ix->n_col[l];
	}
	if ((ret = mmat_build(&C->mm, ix, p, f, o, e)) < 0) { free(C); return ret; }
	C->cache = aligned_alloc(64, sizeof(km_tshard_t) * KM_CACHE_SHARDS);
	if (!C->cache) { km_comp_destroy(C); return km_err_set(e, KM_ENOMEM, "out of memory"); }
	memset(C->cache, 0, sizeof(km_tshard_t) * KM_CACHE_SHARDS);
	for (int i = 0; i < KM_CACHE_SHARDS; ++i)
		C->cache[i].c.budget = ((size_t)KM_CACHE_MB << 20) * (size_t)(o->threads > 0 ? o->threads : 1) / KM_CACHE_SHARDS;
	if (!(C->incl = calloc(1, sizeof(*C->incl)))) { km_comp_destroy(C); return km_err_set(e, KM_ENOMEM, "out of memory"); }
	if (o->typing_error > 0.0 || ix->max_e > 0.0) {   /* the `inconsistent` column's flags (km_comp_incompat) */
		if (!(C->icache = aligned_alloc(64, sizeof(km_tshard_t) * KM_CACHE_SHARDS))) { km_comp_destroy(C); return km_err_set(e, KM_ENOMEM, "out of memory"); }
		memset(C->icache, 0, sizeof(km_tshard_t) * KM_CACHE_SHARDS);
		for (int i = 0; i < KM_CACHE_SHARDS; ++i) C->icache[i].c.budget = ((size_t)KM_INCON_CACHE_MB << 20) / KM_CACHE_SHARDS;
	}
	*Cp = C;
	return 0;
}

void km_comp_destroy(km_comp_t *C)
{
	if (!C) return;
	mmat_free(C->mm, C->ix->n_loc);
	if (C->cache) for (int i = 0; i < KM_CACHE_SHARDS; ++i) km_tc_free(&C->cache[i].c);
	free(C->cache);
	if (C->icache) for (int i = 0; i < KM_CACHE_SHARDS; ++i) km_tc_free(&C->icache[i].c);
	free(C->icache);
	if (C->incl) free(C->incl->v);
	free(C->incl);
	free(C);
}

km_cwork_t *km_cwork_new(const km_comp_t *C)
{
	work_t *w = calloc(1, sizeof(work_t));
	if (!w) return NULL;
	int max_np = C->max_np, max_n = C->max_n;
	size_t nn = (size_t)(max_n + 1) * (max_n + 1);
	w->father = malloc(sizeof(int) * max_np);
	w->mother = malloc(sizeof(int) * max_np);
	w->sex = malloc(sizeof(int) * max_np);
	w->gt = malloc(sizeof(int32_t) * 4 * max_np);
	w->phi = malloc(sizeof(double) * nn);
	w->ephi = malloc(sizeof(double) * (3 * nn + 1));   /* query_err's sum and term, query_term's value */
	w->eobs = malloc(sizeof(km_obsp_t) * ((size_t)max_np + 1));
	w->lp = malloc(sizeof(double) * (max_n + 1));
	w->lMf = malloc(sizeof(double) * nn);
	w->lMm = malloc(sizeof(double) * nn);
	w->wmap = malloc(sizeof(int) * (max_n + 1) + (size_t)max_n + 1);
	w->keep = malloc(sizeof(int) * max_np);
	w->cidx = malloc(sizeof(int) * max_np);
	w->key = malloc(sizeof(int32_t) * (5 * (size_t)max_np + 1));
	w->vbuf = malloc(sizeof(double) * (1 + 4 * (size_t)C->max_col));
	w->lbuf = malloc(sizeof(double) * (2 + 2 * (size_t)C->max_col));
	size_t nl = (size_t)C->ix->n_loc + 1;
	w->kstride = 5 * (size_t)max_np + 1;
	w->lgt = malloc(sizeof(int32_t) * 2 * (size_t)max_np * nl);
	w->lkey = malloc(sizeof(int32_t) * w->kstride * nl);
	w->ltyped = malloc(nl), w->lcache = malloc(nl);
	w->lkn = malloc(sizeof(int) * nl);
	w->lkh = malloc(sizeof(uint64_t) * nl);
	w->lws = km_lws_new();
	w->th = km_theta_new();
	w->phi2 = malloc(sizeof(double) * nn);
	w->cache = C->cache;
	if (!(w->father && w->mother && w->sex && w->gt && w->phi && w->ephi && w->eobs && w->lp && w->lMf && w->lMm && w->wmap && w->keep && w->cidx && w->key && w->vbuf && w->lbuf && w->lws && w->th && w->phi2 &&
	      w->lgt && w->lkey && w->ltyped && w->lcache && w->lkn && w->lkh)) {
		km_cwork_free(w, NULL);
		return NULL;
	}
	return w;
}

void km_cwork_free(km_cwork_t *w, km_stats_t *st)
{
	if (!w) return;
	if (st) st->n_computed += w->misses, st->n_shared += w->hits;
	free(w->father); free(w->mother); free(w->sex); free(w->gt); free(w->phi); free(w->ephi); free(w->eobs);
	free(w->lp); free(w->lMf); free(w->lMm); free(w->wmap);
	free(w->keep); free(w->cidx); free(w->key); free(w->vbuf); free(w->lbuf);
	free(w->lgt); free(w->lkey); free(w->ltyped); free(w->lcache); free(w->lkn); free(w->lkh);
	km_lws_free(w->lws);
	km_theta_free(w->th);
	free(w->phi2);
	free(w);
}

int km_comp_cand(const km_comp_t *C, km_cwork_t *w, const km_cand_t *cand, km_ctab_t *out, km_err_t *e)
{
	if (C->rp) return km_rp_cand(C, cand, out, w, e);
	return compile_cand(C, cand, out, w, e);
}

/* ---- the `inconsistent` column (issue 12 part 1) -----------------------------------------
 * With E > 0 an incompatibility is no longer -inf, so each row counts the loci where the
 * remain and the family's references are incompatible without typing error and without
 * mutation (dvir's exclusion count, maxIncomp: Vigeland & Egeland 2021): P(refs, M = obs)
 * = 0 with E = 0 and M = I.  flag[col] (n_totcol): bit 0 incompatible as a plain call,
 * bit 1 as an apparent homozygote under dropout (compatible if M can be aa or ax); 3
 * where the references alone are incompatible.  Lineage loci are not counted. */
int km_comp_incompat(const km_comp_t *C, km_cwork_t *w, const km_cand_t *cand, uint8_t *flag, km_err_t *e)
{
	const km_index_t *ix = C->ix;
	const km_family_t *F = &C->peds->fam[cand->fam];
	int q = cand->person, np = F->n_person, ret;
	memset(flag, 0, ix->n_totcol);
	for (int i = 0; i < np; ++i) w->father[i] = F->person[i].father, w->mother[i] = F->person[i].mother, w->sex[i] = F->person[i].sex;
	for (int l = 0; l < ix->n_loc; ++l) {
		int m = ix->marker[l], typed = 0;
		if (m < 0) continue;
		int xl = C->p->marker[m].type == KM_SYS_X, male_q = xl && F->person[q].sex == KM_MALE;
		const km_alleles_t *al = &C->f->loc[m];
		int n = al->n_allele, nc = ix->n_col[l];
		for (int i = 0; i < np; ++i) {
			int32_t a = KM_NOALLELE, b = KM_NOALLELE;
			const km_person_t *ps = &F->person[i];
			if (ps->role == KM_ROLE_REFERENCE && ps->sample >= 0) {
				const int32_t *g = km_prof_gt(C->refs, ps->sample, m);
				a = g[0], b = g[1];
				if (a != KM_NOALLELE && xl && ps->sex == KM_MALE) b = KM_HEMI;
			}
			w->gt[2 * i] = a, w->gt[2 * i + 1] = b;
			typed |= a != KM_NOALLELE;
		}
		if (!typed) continue;
		const mmat_t *mm = &C->mm[l];
		km_locus_t L = { n, al->p, NULL, NULL, xl, mm->K0, mm->K0 };
		km_lped_t P = { np, w->father, w->mother, w->sex, w->gt, NULL };
		uint8_t *fl = flag + ix->col_off[l];
		/* the flags depend on nothing but the pruned problem: cached by the tables' key */
		int kn;
		double combos = prune_key(&P, q, n, w->key, &kn, w);
		int cacheable = C->icache && combos <= KM_CACHE_COMBOS;
		uint64_t h = cacheable ? km_tc_hash(l, w->key, kn) : 0;
		size_t nv = ((size_t)nc + 7) / 8;   /* the nc flag bytes, in doubles */
		if (cacheable) {
			km_tshard_t *s = km_tc_shard(C->icache, h);
			km_tc_lock(s);
			const double *v = km_tc_get(&s->c, l, w->key, kn, h);
			if (v) memcpy(fl, v, (size_t)nc);
			km_tc_unlock(s);
			if (v) continue;
		}
		/* without mutation the alleles no reference shows are strongly lumpable into one
		 * (lump(); Kemeny & Snell 1960, thm 6.3.2), and a column's flag only asks whether
		 * its probability is 0: one query over the references' alleles plus "other" */
		uint8_t *use = (uint8_t *)w->wmap + sizeof(int) * (size_t)n;   /* scratch after wmap */
		int32_t *lgt = w->gt + 2 * np;
		memset(use, 0, (size_t)n);
		for (int i = 0; i < 2 * np; ++i) if (w->gt[i] >= 0) use[w->gt[i]] = 1;
		mmat_t none = { 0 };
		int nl = lump(al, &none, use, w);
		for (int i = 0; i < 2 * np; ++i) lgt[i] = w->gt[i] >= 0 ? w->wmap[w->gt[i]] : w->gt[i];
		L.n = nl, L.p = w->lp, L.Km = L.Kf = NULL;   /* the kernel of nl alleles: cheap per query */
		P.gt = lgt;
		double lg, pref = 0.0;
		if ((ret = km_lik_query_ws(&L, &P, q, w->phi, &lg, w->lws, e)) < 0) return ret;
		size_t nphi = male_q ? (size_t)nl : (size_t)nl * nl;
		for (size_t i = 0; i < nphi && lg != KM_NEG_INF; ++i) pref += w->phi[i];
		const int32_t *ca = ix->col_a + ix->col_off[l], *cb = ix->col_b + ix->col_off[l];
		n = nl;   /* the lumped locus from here */
		for (int k = 1; k < nc; ++k) {
			/* het / hom from the call itself: two alleles lumped into O stay a heterozygote */
			int het = cb[k] >= 0 && cb[k] != ca[k];
			int32_t a = w->wmap[ca[k]], b = cb[k] >= 0 ? w->wmap[cb[k]] : cb[k];
			const double *ph = w->phi;
			if (!(pref > 0.0)) { fl[k] = 3; continue; }
			if (male_q) { fl[k] = het || !(ph[a] > 0.0) ? 3 : 0; continue; }
			if (b == KM_HEMI) { fl[k] = 3; continue; }
			if (het) { fl[k] = ph[(size_t)a * n + b] + ph[(size_t)b * n + a] > 0.0 ? 0 : 3; continue; }
			double any = 0.0;
			for (int x = 0; x < n; ++x) any += ph[(size_t)a * n + x] + ph[(size_t)x * n + a];
			fl[k] = (uint8_t)((ph[(size_t)a * n + a] > 0.0 ? 0 : 1) | (any > 0.0 ? 0 : 2));
		}
		if (cacheable) {
			double *v = w->lbuf;   /* >= 2 max_col doubles: room for nv */
			memset(v, 0, sizeof(double) * nv);
			memcpy(v, fl, (size_t)nc);
			km_tc_store(C->icache, l, w->key, kn, h, v, nv);
		}
	}
	return 0;
}
