/* famlik.c — a family's likelihood with remains placed in it as typed members.
 *
 * For family F, placements S (missing person <- remain) and one locus, with the engine of
 * lik.h (exact for any pedigree):
 *     V(S) = sum over the true genotypes g_s of the placed remains of
 *            prod_s P(obs_s | g_s) * P(refs_F, G_s = g_s for s in S | pedigree)
 * where P(obs | g) is the dropout model of the pairwise tables (DESIGN.md §3, issue 4):
 * P({a,b}|ab) = (1-d)^2 ... and for an apparent homozygote {a}: (1-d^2) for aa, d(1-d)
 * for ax (the common factor (1-d)^2 of a heterozygote cancels in every ratio, as in
 * compile.c).  One dropout remain is the engine's query person (km_lik_query gives
 * P(data, G_q = g) for every g at once); further ones are enumerated over their n
 * possible true genotypes.  The joint term against no identification is
 *     term(S | B) = sum_l log10 V(B + S) - log10 V(B) - sum_{s in S} log10 P(obs_s)
 * with P(obs) = sum_g P(obs | g) P(g) (Hardy–Weinberg; a man at X: p_a).  With S one pair
 * and B empty this is the pairwise LR of compile.c: same numerator, same denominator.
 * A locus where the references alone contradict the pedigree is left out (LR 1), as the
 * pairwise tables do.  theta > 0 is not implemented here (KM_EMODEL).
 *
 * Typing error (issue 12 part 1; README "Typing error"): every typed person's call o_i
 * (the references at --typing-error E, a placed remain at its own rate E_r) has
 * P(o_i | g) = (1 - E_i) P_drop(o_i | g) + E_i c_i, c_i = sum_g' q(g') P_drop(o_i | g')
 * the population probability of the call (q(o) for a reference: p_a^2, 2 p_a p_b, p_a
 * hemizygous; P(obs) of the remain with its dropout), so V is multilinear in the persons'
 * evidence and, exactly as compile.c's query_err,
 *     V_E(typed) = sum over subsets T of the typed persons with E > 0 of
 *                  prod_{i in T} E_i c_i prod_{i not in T} (1 - E_i) * V(typed \ T);
 * the part of the references and of placed remains with exact calls is done inside the
 * engine (their te, tc in the observation model, obs.h: one run), that of placed
 * remains whose dropout genotypes are enumerated by locus_v over subsets.  A scored,
 * unplaced remain's own error enters as (1 - E_r) LR + E_r (score_locus), which is
 * compile.c's column rule; P(obs | H2) is unchanged by the error
 * because c is the founder law.  With one placement and no base, term = the pairwise LR
 * of matches.tsv with the error, as at E = 0.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kmpriv.h"
#include "lik.h"
#include "obs.h"
#include "pipe.h"
#include "ident.h"

#define FL_MAX_COMBOS 100000.0   /* dropout genotypes enumerated per locus */

typedef struct {
	double *Mf, *Mm;   /* NULL = no mutation */
	double *Km, *Kf;   /* their sibling kernels (peel.c), autosomal markers: made once, not per query */
	int built;
} fmut_t;

struct km_famlik_s {
	const km_panel_t *p;
	const km_freqs_t *f;
	const km_prof_t *refs, *rem;
	const km_peds_t *peds;
	const double *rd;
	const double *re;       /* per remain typing-error rate (NULL: co.typing_error) */
	km_copt_t co;           /* the model options (a copy) */
	fmut_t *mut;            /* per panel marker, built when first needed */
	int max_np, max_n;
	int *father, *mother, *sex;
	int32_t *gt;
	double *phi, *acc;
	double acc_lg;          /* acc's scale after query_locus: acc * 10^acc_lg */
	int *dper;              /* dropout persons of the current locus */
	double *dd;             /* their d */
	/* typing error (issue 12 part 1): the current locus's placed remains with a rate E > 0
	 * whose dropout genotypes are enumerated, E and log10 c, c the population probability
	 * of the call (locus_v sums over their subsets); dper0/dd0 save the dropout list there */
	int n_err, *eper, *dper0;
	double *ee, *elc, *eacc, *dd0;
	km_obsp_t *obsp;        /* [max_np]: the error of references and exact-call placed remains for the engine (obs.h) */
	km_lws_t *ws;
};

int km_famlik_new(km_famlik_t **Fp, const km_panel_t *p, const km_freqs_t *f, const km_prof_t *refs,
                  const km_peds_t *peds, const km_prof_t *rem, const double *rd, const double *re, const km_copt_t *o,
                  km_err_t *e)
{
	km_famlik_t *F = calloc(1, sizeof(*F));
	*Fp = NULL;
	if (!F) return km_err_set(e, KM_ENOMEM, "out of memory");
	F->p = p, F->f = f, F->refs = refs, F->peds = peds, F->rem = rem, F->rd = rd, F->re = re, F->co = *o;
	F->max_np = 1, F->max_n = 1;
	for (int i = 0; i < peds->n_family; ++i) if (peds->fam[i].n_person > F->max_np) F->max_np = peds->fam[i].n_person;
	for (int m = 0; m < p->n_marker; ++m) if (f->loc[m].n_allele > F->max_n) F->max_n = f->loc[m].n_allele;
	size_t nn = (size_t)F->max_n * F->max_n + 1;
	F->mut = calloc((size_t)p->n_marker + 1, sizeof(fmut_t));
	F->father = malloc(sizeof(int) * F->max_np);
	F->mother = malloc(sizeof(int) * F->max_np);
	F->sex = malloc(sizeof(int) * F->max_np);
	F->gt = malloc(sizeof(int32_t) * 2 * F->max_np);
	F->phi = malloc(sizeof(double) * nn);
	F->acc = malloc(sizeof(double) * nn);
	F->dper = malloc(sizeof(int) * F->max_np);
	F->dd = malloc(sizeof(double) * F->max_np);
	F->eper = malloc(sizeof(int) * 2 * F->max_np), F->dper0 = F->eper ? F->eper + F->max_np : NULL;
	F->ee = malloc(sizeof(double) * 3 * F->max_np), F->elc = F->ee ? F->ee + F->max_np : NULL;
	F->dd0 = F->ee ? F->ee + 2 * F->max_np : NULL;
	F->eacc = malloc(sizeof(double) * nn);
	F->obsp = calloc((size_t)F->max_np + 1, sizeof(km_obsp_t));
	F->ws = km_lws_new();
	if (!F->mut || !F->father || !F->mother || !F->sex || !F->gt || !F->phi || !F->acc || !F->dper || !F->dd || !F->eper || !F->ee ||
	    !F->eacc || !F->obsp || !F->ws) {
		km_famlik_free(F);
		return km_err_set(e, KM_ENOMEM, "out of memory");
	}
	*Fp = F;
	return 0;
}

void km_famlik_free(km_famlik_t *F)
{
	if (!F) return;
	if (F->mut)
		for (int m = 0; m < F->p->n_marker; ++m) {
			if (F->mut[m].Mm != F->mut[m].Mf) free(F->mut[m].Mm);
			free(F->mut[m].Mf);
			free(F->mut[m].Km);
		}
	free(F->mut); free(F->father); free(F->mother); free(F->sex); free(F->gt); free(F->phi); free(F->acc);
	free(F->dper); free(F->dd); free(F->eper); free(F->ee); free(F->eacc); free(F->obsp);
	km_lws_free(F->ws);
	free(F);
}

/* the transmission matrices of marker m, as compile.c's mmat_build makes them */
static int mut_of(km_famlik_t *F, int m, km_locus_t *L, km_err_t *e)
{
	const km_marker_t *mk = &F->p->marker[m];
	const km_alleles_t *al = &F->f->loc[m];
	fmut_t *mu = &F->mut[m];
	size_t n = (size_t)al->n_allele;
	int ret;
	if (!mu->built) {
		mu->built = 1;
		if (F->co.mutation != KM_MUT_NONE && mk->type != KM_SYS_SNP && !(mk->rate_f == 0.0 && mk->rate_m == 0.0)) {
			if (!(mu->Mf = malloc(sizeof(double) * n * n + 1))) return km_err_set(e, KM_ENOMEM, "out of memory");
			if ((ret = km_mut_matrix(F->co.mutation, al, mk->name, mk->rate_f, F->co.range, F->co.rate2, mu->Mf, e)) < 0) return ret;
			if (mk->rate_m == mk->rate_f) mu->Mm = mu->Mf;
			else {
				if (!(mu->Mm = malloc(sizeof(double) * n * n + 1))) return km_err_set(e, KM_ENOMEM, "out of memory");
				if ((ret = km_mut_matrix(F->co.mutation, al, mk->name, mk->rate_m, F->co.range, F->co.rate2, mu->Mm, e)) < 0) return ret;
			}
		}
		/* the sibling kernels, as compile.c's mmat_build makes them: the peeler would
		 * otherwise build them (n^3) in every query (a fifth of the identification at L) */
		if (mk->type != KM_SYS_X) {
			if (!(mu->Km = malloc(sizeof(double) * 2 * (n * n + n)))) return km_err_set(e, KM_ENOMEM, "out of memory");
			mu->Kf = mu->Km + n * n + n;
			km_peel_sib_kernel(al->p, mu->Mm, (int)n, mu->Km);
			km_peel_sib_kernel(al->p, mu->Mf, (int)n, mu->Kf);
		}
	}
	L->n = al->n_allele, L->p = al->p, L->Mf = mu->Mf, L->Mm = mu->Mm;
	L->xlinked = mk->type == KM_SYS_X;
	L->Km = mu->Km, L->Kf = mu->Kf;
	return 0;
}

static int locus_used(const km_marker_t *mk)
{
	return mk->type == KM_SYS_STR || mk->type == KM_SYS_SNP || mk->type == KM_SYS_X;
}

/* remain r's call at marker m as a typed member of sex `sex`: 1 ok (a, b set; b = KM_HEMI
 * for a man at X), 0 untyped, -1 impossible (a heterozygous man at X, a hemizygous
 * call elsewhere); *drop = 1 for an apparent homozygote under dropout */
static int remain_call(const km_famlik_t *F, int r, int m, int sex, int32_t *a, int32_t *b, int *drop)
{
	const int32_t *g = km_prof_gt(F->rem, r, m);
	int xl = F->p->marker[m].type == KM_SYS_X;
	*drop = 0;
	if (g[0] == KM_NOALLELE) return 0;
	if (xl && sex == KM_MALE) {
		if (g[1] >= 0 && g[1] != g[0]) return -1;
		*a = g[0], *b = KM_HEMI;
		return 1;
	}
	if (g[1] < 0) return -1;
	*a = g[0], *b = g[1];
	*drop = g[0] == g[1] && F->rd && F->rd[r] > 0.0;
	return 1;
}

/* remain r's typing-error rate (issue 12 part 1) */
static double remain_e(const km_famlik_t *F, int r)
{
	return F->re ? F->re[r] : F->co.typing_error;
}

/* log10 P(obs) of remain r at marker m for an unrelated person of sex `sex` (0: the
 * smaller of the two, for bounds); -inf if impossible */
static double remain_lpobs(const km_famlik_t *F, int r, int m, int sex)
{
	const int32_t *g = km_prof_gt(F->rem, r, m);
	const double *p = F->f->loc[m].p;
	int xl = F->p->marker[m].type == KM_SYS_X, n = F->f->loc[m].n_allele;
	if (g[0] == KM_NOALLELE) return 0.0;
	if (xl && sex == 0) {
		double a = remain_lpobs(F, r, m, KM_MALE), b = remain_lpobs(F, r, m, KM_FEMALE);
		return a == KM_NEG_INF ? b : b == KM_NEG_INF ? a : a < b ? a : b;
	}
	if (xl && sex == KM_MALE) return g[1] >= 0 && g[1] != g[0] ? KM_NEG_INF : log10(p[g[0]]);
	if (g[1] < 0) return KM_NEG_INF;
	if (g[0] != g[1]) return log10(2.0 * p[g[0]] * p[g[1]]);
	double d = F->rd ? F->rd[r] : 0.0, pa = p[g[0]];
	if (d <= 0.0) return 2.0 * log10(pa);
	double S = 0.0;
	for (int x = 0; x < n; ++x) S += p[x];
	/* (1-d^2) p_a^2 + d(1-d) sum_{x != a} 2 p_a p_x */
	return log10((1.0 - d * d) * pa * pa + d * (1.0 - d) * 2.0 * pa * (S - pa));
}

/* V with no query and no dropout person: the engine peels only towards a query person,
 * and would otherwise eliminate (with a typing error, over the subsets of the persons in
 * error, lik.c), so the first typed person is the query instead and V = sum_g phi(g) w(g)
 * with w its call's weights (obs.h).  Returns 1 when nobody is typed (the caller goes on
 * as before), 0 with acc[0] * 10^lg = V, or < 0.  (At M: the identification 5.5 -> 4.3 s
 * at E = 0, 10 -> 5.4 s with E = 0.001.) */
static int locus_v_noq(km_famlik_t *F, const km_locus_t *L, km_lped_t *P, double *lg, km_err_t *e)
{
	int32_t *gt = (int32_t *)P->gt;
	int i, n = L->n, ret;
	for (i = 0; i < P->n; ++i)
		if (gt[2 * i] != KM_NOALLELE) break;
	if (i == P->n) return 1;
	int32_t a = gt[2 * i], b = gt[2 * i + 1];
	int hemi = L->xlinked && P->sex[i] == KM_MALE;
	km_obs_t o;
	km_obs_call(&o, P->obs ? &P->obs[i] : NULL, a, b, hemi);
	gt[2 * i] = gt[2 * i + 1] = KM_NOALLELE;
	double l;
	ret = km_lik_query_ws(L, P, i, F->phi, &l, F->ws, e);
	gt[2 * i] = a, gt[2 * i + 1] = b;
	if (ret < 0) return ret;
	double V = 0.0;
	if (l > KM_NEG_INF && o.ne > 0)   /* an exact call: its phases */
		for (int k = 0; k < o.ne; ++k) V += o.ew[k] * F->phi[hemi ? (size_t)o.ea[k] : (size_t)o.ea[k] * n + o.eb[k]];
	else if (l > KM_NEG_INF) {   /* dense weights (typing error, dropout) */
		if (hemi) for (int x = 0; x < n; ++x) V += F->phi[x] * km_obs_at(&o, x, 0);
		else for (int x = 0; x < n; ++x) for (int y = 0; y < n; ++y) V += F->phi[(size_t)x * n + y] * km_obs_at(&o, x, y);
	}
	F->acc[0] = V;
	*lg = V > 0.0 ? l : KM_NEG_INF;
	return 0;
}

/* V at one locus: on return acc[] * 10^(*lg) = sum over the dropout genotypes of the
 * placed remains (weighted) of P(data, G_q = .) (q >= 0: n*n or n values as km_lik_query;
 * q < 0: acc[0] = V).  gt holds the family's calls with the placed remains; dropout
 * persons dper[0..nd) with dd[].  Returns 0, or < 0. */
static int locus_v0(km_famlik_t *F, const km_locus_t *L, km_lped_t *P, int q, int nd, double *lg, km_err_t *e)
{
	int n = L->n, ret;
	if (q < 0 && nd == 0 && (ret = locus_v_noq(F, L, P, lg, e)) <= 0) return ret;
	int qi = q, first = 0;   /* with no outer query, the first dropout person is the query */
	if (q < 0 && nd > 0) qi = F->dper[0], first = 1;
	int ne = nd - first;     /* enumerated persons */
	double combos = 1.0;
	for (int j = 0; j < ne; ++j) combos *= n;
	if (combos > FL_MAX_COMBOS)
		return km_err_set(e, KM_EMODEL, "%d remains with dropout placed in one family at one marker: %g genotype combinations, more than the %g enumerated exactly",
		                  nd, combos, FL_MAX_COMBOS);
	int male_q = qi >= 0 && L->xlinked && P->sex[qi] == KM_MALE;
	size_t nphi = qi < 0 ? 1 : male_q ? (size_t)n : (size_t)n * n;
	size_t nout = q < 0 ? 1 : nphi;
	double acc_lg = KM_NEG_INF;
	int dig[64] = { 0 };
	int32_t save[128];
	if (ne > 64) return km_err_set(e, KM_EMODEL, "too many remains with dropout in one family");
	for (int j = 0; j < nd && j < 64; ++j) save[2 * j] = P->gt[2 * F->dper[j]], save[2 * j + 1] = P->gt[2 * F->dper[j] + 1];
	int32_t *gt = (int32_t *)P->gt;
	if (first) gt[2 * qi] = gt[2 * qi + 1] = KM_NOALLELE;
	for (size_t i = 0; i < nout; ++i) F->acc[i] = 0.0;
	for (;;) {
		double w = 1.0;
		for (int j = 0; j < ne; ++j) {
			int pj = F->dper[first + j];
			int32_t a = save[2 * (first + j)], x = dig[j];
			double d = F->dd[first + j];
			gt[2 * pj] = a < x ? a : x, gt[2 * pj + 1] = a < x ? x : a;
			w *= x == a ? 1.0 - d * d : d * (1.0 - d);
		}
		double l;
		if ((ret = km_lik_query_ws(L, P, qi, F->phi, &l, F->ws, e)) < 0) goto out;
		if (l > KM_NEG_INF) {
			double v0 = 0.0;
			if (first) {   /* the query person's own dropout weights */
				int32_t a = save[0];
				double d = F->dd[0];
				v0 = F->phi[(size_t)a * n + a] * (1.0 - d * d);
				for (int x = 0; x < n; ++x)
					if (x != a) v0 += (F->phi[(size_t)a * n + x] + F->phi[(size_t)x * n + a]) * d * (1.0 - d);
			}
			if (l > acc_lg) {
				double sc = acc_lg == KM_NEG_INF ? 0.0 : pow(10.0, acc_lg - l);
				for (size_t i = 0; i < nout; ++i) F->acc[i] *= sc;
				acc_lg = l;
			}
			double sc = w * pow(10.0, l - acc_lg);
			if (q < 0) F->acc[0] += sc * (first ? v0 : F->phi[0]);
			else for (size_t i = 0; i < nout; ++i) F->acc[i] += sc * F->phi[i];
		}
		int j;
		for (j = 0; j < ne; ++j) { if (++dig[j] < n) break; dig[j] = 0; }
		if (j == ne) break;
	}
	ret = 0;
	*lg = acc_lg;
out:
	for (int j = 0; j < nd && j < 64; ++j) gt[2 * F->dper[j]] = save[2 * j], gt[2 * F->dper[j] + 1] = save[2 * j + 1];
	return ret;
}

#define FL_MAX_ERR 16   /* placed dropout remains with a typing-error rate, per family and marker */

/* locus_v0 with the typing error of the dropout remains F->eper[0..n_err) (see the head
 * of the file): the sum over the subsets T of them, each term locus_v0 with T's persons untyped
 * (and out of the dropout list), weighted prod_T E c prod_rest (1 - E), accumulated on
 * the largest term's scale as compile.c's query_err does. */
static int locus_v(km_famlik_t *F, const km_locus_t *L, km_lped_t *P, int q, int nd, double *lg, km_err_t *e)
{
	int32_t *gt = (int32_t *)P->gt;
	int t[FL_MAX_ERR], nt = 0, n = L->n, ret = 0, *dper0 = F->dper0;
	double lw1[FL_MAX_ERR], lwe[FL_MAX_ERR];
	for (int j = 0; j < F->n_err; ++j) {
		int i = F->eper[j];
		if (gt[2 * i] == KM_NOALLELE) continue;   /* the query person, set untyped after placing */
		if (nt == FL_MAX_ERR)
			return km_err_set(e, KM_EMODEL, "more than %d remains with dropout and a typing-error rate placed in one family at one marker (joint family likelihood)", FL_MAX_ERR);
		lw1[nt] = log10(1.0 - F->ee[j]), lwe[nt] = log10(F->ee[j]) + F->elc[j];
		t[nt++] = j;
	}
	if (nt == 0) return locus_v0(F, L, P, q, nd, lg, e);
	size_t nout = q < 0 ? 1 : L->xlinked && P->sex[q] == KM_MALE ? (size_t)n : (size_t)n * n;
	int32_t save[2 * FL_MAX_ERR];
	double *dd0 = F->dd0;
	memcpy(dper0, F->dper, sizeof(int) * (size_t)nd), memcpy(dd0, F->dd, sizeof(double) * (size_t)nd);
	for (int j = 0; j < nt; ++j) {
		int i = F->eper[t[j]];
		save[2 * j] = gt[2 * i], save[2 * j + 1] = gt[2 * i + 1];
	}
	double lacc = KM_NEG_INF, *acc = F->eacc;
	for (size_t i = 0; i < nout; ++i) acc[i] = 0.0;
	for (uint32_t S = 0; S < (1u << nt); ++S) {
		double lw = 0.0, lt;
		for (int j = 0; j < nt; ++j) {
			int i = F->eper[t[j]], in = S >> j & 1;
			lw += in ? lwe[j] : lw1[j];
			gt[2 * i] = in ? KM_NOALLELE : save[2 * j], gt[2 * i + 1] = in ? KM_NOALLELE : save[2 * j + 1];
		}
		int nd1 = 0;   /* the dropout persons still typed */
		for (int k = 0; k < nd; ++k)
			if (gt[2 * dper0[k]] != KM_NOALLELE) F->dper[nd1] = dper0[k], F->dd[nd1++] = dd0[k];
		if ((ret = locus_v0(F, L, P, q, nd1, &lt, e)) < 0) break;
		if (lt == KM_NEG_INF) continue;
		double v0 = 0.0;
		for (size_t i = 0; i < nout; ++i) v0 += F->acc[i];
		if (!(v0 > 0.0)) continue;
		km_lacc_add(acc, &lacc, F->acc, lt + lw, nout);
	}
	for (int j = 0; j < nt; ++j) {
		int i = F->eper[t[j]];
		gt[2 * i] = save[2 * j], gt[2 * i + 1] = save[2 * j + 1];
	}
	memcpy(F->dper, dper0, sizeof(int) * (size_t)nd), memcpy(F->dd, dd0, sizeof(double) * (size_t)nd);
	if (ret < 0) return ret;
	memcpy(F->acc, acc, sizeof(double) * nout);
	*lg = lacc;
	return 0;
}

/* the family's pedigree and reference calls at marker m into F->gt */
static void fam_setup(km_famlik_t *F, const km_family_t *fa, int m, km_lped_t *P)
{
	int xl = F->p->marker[m].type == KM_SYS_X;
	F->n_err = 0;
	for (int i = 0; i < fa->n_person; ++i) {
		const km_person_t *ps = &fa->person[i];
		F->father[i] = ps->father, F->mother[i] = ps->mother, F->sex[i] = ps->sex;
		int32_t a = KM_NOALLELE, b = KM_NOALLELE;
		if (ps->role == KM_ROLE_REFERENCE && ps->sample >= 0) {
			const int32_t *g = km_prof_gt(F->refs, ps->sample, m);
			a = g[0], b = g[1];
			if (a != KM_NOALLELE && xl && ps->sex == KM_MALE) b = KM_HEMI;
		}
		F->gt[2 * i] = a, F->gt[2 * i + 1] = b;
		memset(&F->obsp[i], 0, sizeof F->obsp[i]);
		if (a != KM_NOALLELE && F->co.typing_error > 0.0) {   /* a reference's typing error: obs.h, c = q(o) */
			F->obsp[i].te = F->co.typing_error, F->obsp[i].tc = km_obs_hwq(F->f->loc[m].p, a, b);
		}
	}
	P->n = fa->n_person, P->father = F->father, P->mother = F->mother, P->sex = F->sex, P->gt = F->gt;
	/* the references' error is in the engine's observation model (one run, as compile.c's
	 * query_err), and so is a placed remain's with an exact call (place()); a dropout
	 * remain's genotypes are enumerated, its error summed over subsets (locus_v) */
	P->obs = F->obsp;   /* all zero (exact calls) without typing error */
}

/* places pl[0..n) into F->gt (after fam_setup); appends dropout persons from *nd.
 * Returns 0, or 1 when a placement is impossible at this marker. */
static int place(km_famlik_t *F, const km_family_t *fa, int m, const km_place_t *pl, int n, int *nd)
{
	for (int i = 0; i < n; ++i) {
		int32_t a, b;
		int drop, k = remain_call(F, pl[i].r, m, fa->person[pl[i].person].sex, &a, &b, &drop);
		if (k < 0) return 1;
		if (k == 0) continue;
		F->gt[2 * pl[i].person] = a, F->gt[2 * pl[i].person + 1] = b;
		if (drop) F->dper[*nd] = pl[i].person, F->dd[(*nd)++] = F->rd[pl[i].r];
		double E = remain_e(F, pl[i].r);
		if (E <= 0.0) continue;
		/* typing error, c = P(obs) (the call's population probability on the weights'
		 * scale): an exact call goes into the engine's observation model with the
		 * references; a dropout homozygote, whose genotypes are enumerated, into
		 * locus_v's subsets */
		double lc = remain_lpobs(F, pl[i].r, m, fa->person[pl[i].person].sex);
		if (!drop) F->obsp[pl[i].person].te = E, F->obsp[pl[i].person].tc = pow(10.0, lc);
		else F->eper[F->n_err] = pl[i].person, F->ee[F->n_err] = E, F->elc[F->n_err++] = lc;
	}
	return 0;
}

static int theta_check(const km_famlik_t *F, km_err_t *e)
{
	if (F->co.theta > 0.0)
		return km_err_set(e, KM_EMODEL, "--dvi with --theta %g: joint family likelihoods with several remains placed (and conditioning on an identified remain) are implemented for theta = 0 only; run --dvi with --theta 0",
		                  F->co.theta);
	return 0;
}

/* log10 V(placements) at marker m; *skip = 1 when the references alone contradict the pedigree */
static int fam_lv(km_famlik_t *F, int fam, int m, const km_place_t *b, int nb, const km_place_t *s, int ns,
                  double *lv, km_err_t *e)
{
	const km_family_t *fa = &F->peds->fam[fam];
	km_lped_t P;
	km_locus_t L;
	int ret, nd = 0;
	if ((ret = mut_of(F, m, &L, e)) < 0) return ret;
	fam_setup(F, fa, m, &P);
	if (place(F, fa, m, b, nb, &nd) || place(F, fa, m, s, ns, &nd)) { *lv = KM_NEG_INF; return 0; }
	double lg;
	if ((ret = locus_v(F, &L, &P, -1, nd, &lg, e)) < 0)
		return km_err_prefix(e, ret, "family '%s', marker '%s'", fa->id, F->p->marker[m].name);
	*lv = lg > KM_NEG_INF && F->acc[0] > 0.0 ? lg + log10(F->acc[0]) : KM_NEG_INF;
	return 0;
}

int km_famlik_term(km_famlik_t *F, int fam, const km_place_t *base, int n_base, const km_place_t *add, int n_add,
                   double *lr, km_err_t *e)
{
	int ret;
	double tot = 0.0;
	if ((ret = theta_check(F, e)) < 0) return ret;
	for (int m = 0; m < F->p->n_marker; ++m) {
		if (!locus_used(&F->p->marker[m])) continue;
		int typed = 0;
		for (int i = 0; i < n_add; ++i) typed |= km_prof_gt(F->rem, add[i].r, m)[0] != KM_NOALLELE;
		if (!typed) continue;
		double l1, l0;
		if ((ret = fam_lv(F, fam, m, base, n_base, add, n_add, &l1, e)) < 0) return ret;
		if ((ret = fam_lv(F, fam, m, base, n_base, NULL, 0, &l0, e)) < 0) return ret;
		if (l0 == KM_NEG_INF) {
			double lr0;
			if ((ret = fam_lv(F, fam, m, NULL, 0, NULL, 0, &lr0, e)) < 0) return ret;
			if (lr0 == KM_NEG_INF) continue;   /* the references contradict the pedigree: left out */
			*lr = KM_NEG_INF;                  /* the base placements themselves are impossible */
			return 0;
		}
		if (l1 == KM_NEG_INF) { *lr = KM_NEG_INF; return 0; }
		double d = l1 - l0;
		for (int i = 0; i < n_add; ++i) d -= remain_lpobs(F, add[i].r, m, F->peds->fam[fam].person[add[i].person].sex);
		tot += d;
	}
	*lr = tot;
	return 0;
}

/* the query vector's sum at marker m: V(base) for the query untyped */
static double acc_sum(const km_famlik_t *F, int m, int male_q)
{
	int na = F->f->loc[m].n_allele;
	size_t nphi = male_q ? (size_t)na : (size_t)na * na;
	double V = 0.0;
	for (size_t i = 0; i < nphi; ++i) V += F->acc[i];
	return V;
}

/* the scoring at marker m from the query vector acc (V its sum, > 0): out[i] +=
 * log10 P(remain i's call on q) - log10 V - log10 P(call) */
static void score_locus(const km_famlik_t *F, int m, int qsex, int male_q, double V, const int *rs, int n, double *out)
{
	int na = F->f->loc[m].n_allele;
	const double *ph = F->acc;
	for (int i = 0; i < n; ++i) {
		if (out[i] == KM_NEG_INF) continue;
		int32_t a, b;
		int drop, k = remain_call(F, rs[i], m, qsex, &a, &b, &drop);
		if (k == 0) continue;
		if (k < 0) { out[i] = KM_NEG_INF; continue; }
		double num;
		if (male_q) num = ph[a];
		else if (a != b) num = ph[(size_t)a * na + b] + ph[(size_t)b * na + a];
		else if (!drop) num = ph[(size_t)a * na + a];
		else {
			double d = F->rd[rs[i]];
			num = ph[(size_t)a * na + a] * (1.0 - d * d);
			for (int x = 0; x < na; ++x)
				if (x != a) num += (ph[(size_t)a * na + x] + ph[(size_t)x * na + a]) * d * (1.0 - d);
		}
		double E = remain_e(F, rs[i]);
		if (E > 0.0) {   /* the remain's own typing error, compile.c's (1 - E) LR + E */
			double lr = num > 0.0 ? pow(10.0, log10(num) - log10(V) - remain_lpobs(F, rs[i], m, qsex)) : 0.0;
			out[i] += log10((1.0 - E) * lr + E);
			continue;
		}
		if (!(num > 0.0)) { out[i] = KM_NEG_INF; continue; }
		out[i] += log10(num) - log10(V) - remain_lpobs(F, rs[i], m, qsex);
	}
}

/* The query run of the scores at marker m: q untyped, the base (and first, if not NULL)
 * placed; on return acc holds P(data, G_q = .) up to 10^lg, *V its sum, *male_q set.
 * Returns QL_OK, QL_IMPOSSIBLE (a placement impossible at m: V = 0), QL_LEFT_OUT (the
 * references alone contradict the pedigree at m: the locus is left out), or < 0. */
enum { QL_OK = 0, QL_IMPOSSIBLE = 1, QL_LEFT_OUT = 2 };
static int query_locus(km_famlik_t *F, int fam, int m, const km_place_t *base, int n_base, const km_place_t *first,
                       int q, double *V, int *male_q, km_err_t *e)
{
	const km_family_t *fa = &F->peds->fam[fam];
	km_lped_t P;
	km_locus_t L;
	int nd = 0, ret;
	if ((ret = mut_of(F, m, &L, e)) < 0) return ret;
	fam_setup(F, fa, m, &P);
	if (place(F, fa, m, base, n_base, &nd) || (first && place(F, fa, m, first, 1, &nd))) return QL_IMPOSSIBLE;
	F->gt[2 * q] = F->gt[2 * q + 1] = KM_NOALLELE;
	double lg, lr0;
	if ((ret = locus_v(F, &L, &P, q, nd, &lg, e)) < 0)
		return km_err_prefix(e, ret, "family '%s', marker '%s'", fa->id, F->p->marker[m].name);
	*male_q = L.xlinked && fa->person[q].sex == KM_MALE;
	*V = acc_sum(F, m, *male_q);
	if (lg > KM_NEG_INF && *V > 0.0) { F->acc_lg = lg; return QL_OK; }
	if ((ret = fam_lv(F, fam, m, NULL, 0, NULL, 0, &lr0, e)) < 0) return ret;
	return lr0 == KM_NEG_INF ? QL_LEFT_OUT : QL_IMPOSSIBLE;
}

int km_famlik_scores(km_famlik_t *F, int fam, const km_place_t *base, int n_base, int q, const int *rs, int n,
                     double *out, km_err_t *e)
{
	const km_family_t *fa = &F->peds->fam[fam];
	int ret, qsex = fa->person[q].sex;
	if ((ret = theta_check(F, e)) < 0) return ret;
	for (int i = 0; i < n; ++i) out[i] = 0.0;
	for (int m = 0; m < F->p->n_marker; ++m) {
		if (!locus_used(&F->p->marker[m])) continue;
		int typed = 0;
		for (int i = 0; i < n && !typed; ++i) typed = km_prof_gt(F->rem, rs[i], m)[0] != KM_NOALLELE;
		if (!typed) continue;
		double V;
		int male_q, k = query_locus(F, fam, m, base, n_base, NULL, q, &V, &male_q, e);
		if (k < 0) return k;
		if (k == QL_LEFT_OUT) continue;   /* references contradict the pedigree: left out */
		if (k == QL_IMPOSSIBLE) {         /* the base impossible: cannot happen for accepted placements */
			for (int i = 0; i < n; ++i) out[i] = KM_NEG_INF;
			return 0;
		}
		score_locus(F, m, qsex, male_q, V, rs, n, out);
	}
	return 0;
}

int km_famlik_cond(km_famlik_t *F, int fam, const km_place_t *base, int n_base, const km_place_t *first, int q,
                   const int *rs, int n, double *l0, double *t1, double *out, km_err_t *e)
{
	const km_family_t *fa = &F->peds->fam[fam];
	int ret, qsex = fa->person[q].sex, fsex = fa->person[first->person].sex;
	double tot = 0.0;
	if ((ret = theta_check(F, e)) < 0) return ret;
	for (int i = 0; i < n; ++i) out[i] = 0.0;
	for (int m = 0; m < F->p->n_marker; ++m) {
		if (!locus_used(&F->p->marker[m])) continue;
		int typed1 = km_prof_gt(F->rem, first->r, m)[0] != KM_NOALLELE, typedr = 0;
		for (int i = 0; i < n && !typedr; ++i) typedr = km_prof_gt(F->rem, rs[i], m)[0] != KM_NOALLELE;
		if (!typed1 && !typedr) continue;
		double l1 = KM_NEG_INF;
		if (typedr) {   /* the conditioned scores; their vector's sum is V(base + first) */
			double V;
			int male_q, k = query_locus(F, fam, m, base, n_base, first, q, &V, &male_q, e);
			if (k < 0) return k;
			if (k == QL_LEFT_OUT) continue;   /* references contradict the pedigree: left out */
			if (k == QL_IMPOSSIBLE) { *t1 = KM_NEG_INF; return 0; }   /* base + first impossible here */
			score_locus(F, m, qsex, male_q, V, rs, n, out);
			l1 = F->acc_lg + log10(V);
		}
		if (!typed1) continue;
		/* the first placement's own term at m, as km_famlik_term */
		if (!typedr && (ret = fam_lv(F, fam, m, base, n_base, first, 1, &l1, e)) < 0) return ret;
		if (isnan(l0[m]) && (ret = fam_lv(F, fam, m, base, n_base, NULL, 0, &l0[m], e)) < 0) return ret;
		if (l0[m] == KM_NEG_INF) {
			double lr0;
			if ((ret = fam_lv(F, fam, m, NULL, 0, NULL, 0, &lr0, e)) < 0) return ret;
			if (lr0 == KM_NEG_INF) continue;
			*t1 = KM_NEG_INF;
			return 0;
		}
		if (l1 == KM_NEG_INF) { *t1 = KM_NEG_INF; return 0; }
		tot += l1 - l0[m] - remain_lpobs(F, first->r, m, fsex);
	}
	*t1 = tot;
	return 0;
}

double km_famlik_gain_ub(const km_famlik_t *F, int r)
{
	double s = 0.0;
	for (int m = 0; m < F->p->n_marker; ++m) {
		if (!locus_used(&F->p->marker[m])) continue;
		double l = remain_lpobs(F, r, m, 0);
		if (l > KM_NEG_INF) s -= l;
	}
	return s;
}
