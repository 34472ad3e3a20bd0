/* rpcomp.c — the remain pairs' tables (identification, issue 11 part 6; rpairs.c runs
 * them through the scan): remain A as the one typed person of a relationship with M. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "compile_int.h"
#include "obs.h"

/* A candidate (A, rel) is remain A as the one typed person of a two-person relationship
 * with M, and its table is built like a family's: phi(g) = P(obs_A, G_M = g | rel), then
 * km_comp_phi_cols.  The scan streams every other remain B through it, so the value of (A, B) is
 *     LR = P(obs_A, obs_B | rel) / (P(obs_A) P(obs_B))
 * at every autosomal STR and SNP locus typed in both (X, Y and mtDNA are left out: README,
 * "Direct matches among the remains").  A's observation is the remains' model: dropout d_A
 * through the observation model (km_lped_t.obs, obs.h), typing error E_A as
 *     P(o | g) = (1 - E) P_drop(o | g) + E c(o),  c(o) = sum_g P(g) P_drop(o | g),
 * the form the scan gives B (compile_cand's column error term), so the pair's value is
 * symmetric in the model.  rel:
 *   KM_RP_SAME  identity (one body): phi(g) = P(o_A | g) P(g), no mutation;
 *   KM_RP_PO    A the parent of M (A's own sex where known, else a man: the records are
 *               soldiers), the other parent untyped: the engine of lik.h, with mutation;
 *   KM_RP_FS    A and M children of two untyped founders: the engine, with mutation.
 * Without mutation and error the three are the IBD formulas (k0, k1, k2) = (0, 0, 1),
 * (0, 1, 0), (1/4, 1/2, 1/4) (Weir et al. 2006, eq. 5), which tests/unit/test_rpairs.c
 * checks. */
/* An engine run P(data, G_M = .) * 10^lu into u, memoised in the shared cache under key
 * (kn ints; a key of another length than a table's 8 never meets one). */
static int rp_query_cached(work_t *w, int l, const int32_t *key, int kn, const km_locus_t *L, const km_lped_t *P, int q,
                           double *u, double *lu, km_err_t *e)
{
	size_t nn = (size_t)L->n * L->n;
	uint64_t h = km_tc_hash(l, key, kn);
	km_tshard_t *s = km_tc_shard(w->cache, h);
	km_tc_lock(s);
	const double *v = km_tc_get(&s->c, l, key, kn, h);
	if (v) *lu = v[0], memcpy(u, v + 1, sizeof(double) * nn);
	km_tc_unlock(s);
	if (v) return 0;
	int ret = km_lik_query_ws(L, P, q, u, lu, w->lws, e);
	if (ret < 0) return ret;
	double *val = w->ephi;
	val[0] = *lu;
	memcpy(val + 1, u, sizeof(double) * nn);
	km_tc_store(w->cache, l, key, kn, h, val, nn + 1);
	return 0;
}

/* P(G_M = g | the relationship, A untyped): the basis of A's typing-error term, the same
 * for every remain A, so computed once per (locus, relationship, sex): key rel, -1, -1,
 * zeros, sex (a table's key has an allele >= 0 there). */
static int rp_untyped(work_t *w, int l, int rel, int sexk, const km_locus_t *L, km_lped_t *P, int q, double *u, double *lu,
                      km_err_t *e)
{
	int32_t key[8] = { rel, -1, -1, 0, 0, 0, 0, sexk };
	return rp_query_cached(w, l, key, 8, L, P, q, u, lu, e);
}

/* The two bases of an apparent homozygote {a} of A under dropout (obs.h, km_obsp_t.basis):
 * kind 0, U = P(A's call is exactly aa, G_M = .), kind 1, V = sum over x != a of
 * P(A is ax or xa, G_M = .); then for any d
 *     P(o_A, G_M = .) = (1 - d^2) U + d (1 - d) V,
 * so a remain's own d costs no engine run.  Cached per (locus, relationship, a, sex) under
 * a key of 9 ints. */
static int rp_basis(work_t *w, int l, int rel, int sexk, int kind, int32_t a, const km_locus_t *L, km_lped_t *P, int q,
                    int ia, double *u, double *lu, km_err_t *e)
{
	int32_t key[9] = { rel, a, a, kind, 0, 0, 0, sexk, 9 };
	km_obsp_t ob[4];
	memset(ob, 0, sizeof ob);
	ob[ia].basis = kind;
	km_lped_t Q = *P;
	Q.obs = ob;
	return rp_query_cached(w, l, key, 9, L, &Q, q, u, lu, e);
}

int km_rp_cand(const km_comp_t *C, const km_cand_t *cand, km_ctab_t *out, work_t *w, km_err_t *e)
{
	const km_index_t *ix = C->ix;
	const km_rpin_t *rp = C->rp;
	const mmat_t *mm = C->mm;
	int A = cand->fam, rel = cand->person, ret;
	double d = rp->rd ? rp->rd[A] : 0.0, E = rp->re ? rp->re[A] : 0.0;
	int sexA = rp->rsex && rp->rsex[A] ? rp->rsex[A] : KM_MALE;
	int np, q, ia;
	km_obsp_t ob[4];
	memset(ob, 0, sizeof ob);
	if (rel == KM_RP_PO) {   /* 0 = A, 1 = the other parent, 2 = M */
		np = 3, q = 2, ia = 0;
		w->sex[0] = sexA, w->sex[1] = sexA == KM_MALE ? KM_FEMALE : KM_MALE, w->sex[2] = KM_MALE;
		w->father[0] = w->mother[0] = w->father[1] = w->mother[1] = -1;
		w->father[2] = sexA == KM_MALE ? 0 : 1, w->mother[2] = sexA == KM_MALE ? 1 : 0;
	} else {                 /* FS: 0 father, 1 mother, 2 = A, 3 = M */
		np = 4, q = 3, ia = 2;
		w->sex[0] = KM_MALE, w->sex[1] = KM_FEMALE, w->sex[2] = sexA, w->sex[3] = KM_MALE;
		w->father[0] = w->mother[0] = w->father[1] = w->mother[1] = -1;
		w->father[2] = w->father[3] = 0, w->mother[2] = w->mother[3] = 1;
	}
	int sexk = rel == KM_RP_PO ? sexA : 0;   /* A's sex matters for the parent's mutation rate only */
	out->csys = 0, out->n_inc = 0;
	out->lin_ref[0] = out->lin_ref[1] = -1;
	out->lin_k[0] = out->lin_k[1] = 0;
	for (int i = 0; i < ix->n_hom; ++i) out->hom[3 * i] = 1.0, out->hom[3 * i + 1] = out->hom[3 * i + 2] = 0.0;
	for (int l = 0; l < ix->n_loc; ++l) {
		int m = ix->marker[l], nc = ix->n_col[l];
		double *T = out->lr + ix->col_off[l], *hom = out->hom;
		for (int k = 0; k < nc; ++k) T[k] = 0.0;
		out->typed[l] = 0;
		if (m < 0) continue;
		int sys = C->p->marker[m].type;
		if (sys != KM_SYS_STR && sys != KM_SYS_SNP) continue;
		const int32_t *g = km_prof_gt(rp->rem, A, m);
		if (g[0] == KM_NOALLELE) continue;
		out->typed[l] = 1;
		out->csys |= (uint8_t)(1u << sys);
		if (g[1] < 0) {   /* a one-allele call at an autosomal locus: impossible, as for B (km_comp_phi_cols) */
			for (int k = 1; k < nc; ++k) T[k] = KM_NEG_INF;
			continue;
		}
		int32_t a = g[0] < g[1] ? g[0] : g[1], b = g[0] < g[1] ? g[1] : g[0];
		/* dropout changes a heterozygous call's weights by the common factor (1-d)^2 only
		 * (obs.h), which cancels in the LR: such a table is computed with d = 0, so remains
		 * of different d share it */
		double dl = a != b ? 0.0 : d;
		ob[ia].d = dl;
		/* the key: relationship, A's call, parameters (bits of d and E) and, for a parent,
		 * sex (its mutation rate) */
		int32_t *key = w->key;
		key[0] = rel, key[1] = a, key[2] = b;
		memcpy(key + 3, &dl, sizeof dl);
		memcpy(key + 5, &E, sizeof E);
		key[7] = sexk;
		int kn = 8, hinc;
		uint64_t kh = km_tc_hash(l, key, kn);
		double *hb = hom + (size_t)ix->hom_first[l] * 3;
		size_t nh = 3 * (size_t)ix->hom_n[l];
		/* a table of an apparent homozygote under dropout belongs to its remain's d: not
		 * cached (its bases are), so the cache keeps what is shared */
		int cacheable = dl == 0.0;
		if (cacheable && km_tc_fetch(w->cache, l, key, kn, kh, T, (size_t)nc, hb, nh, &hinc)) { ++w->hits; continue; }
		++w->misses;
		const km_alleles_t *al = &C->f->loc[m];
		int n = al->n_allele;
		const double *p = al->p;
		km_obs_t oc;
		km_obs_call(&oc, &ob[ia], a, b, 0);
		double c = 0.0, lg = 0.0;   /* c(o_A) = sum_g P(g) P_drop(o_A | g), ordered g */
		for (int x = 0; x < n; ++x)
			for (int y = 0; y < n; ++y) c += p[x] * p[y] * km_obs_at(&oc, x, y);
		if (rel == KM_RP_SAME) {
			for (int x = 0; x < n; ++x)
				for (int y = 0; y < n; ++y)
					w->phi[(size_t)x * n + y] = ((1.0 - E) * km_obs_at(&oc, x, y) + E * c) * p[x] * p[y];
		} else {
			int32_t *gt = w->gt;
			for (int i = 0; i < 2 * np; ++i) gt[i] = KM_NOALLELE;
			gt[2 * ia] = a, gt[2 * ia + 1] = b;
			km_lped_t P = { np, w->father, w->mother, w->sex, gt, ob };
			km_locus_t L = { n, p, mm[l].Mf, mm[l].Mm, 0, mm[l].Km, mm[l].Kf };
			if (dl > 0.0) {   /* an apparent homozygote under dropout: from its two bases */
				double *U = w->phi, *V = w->ephi + 2 * (size_t)n * n, lu, lv;
				if ((ret = rp_basis(w, l, rel, sexk, 0, a, &L, &P, q, ia, U, &lu, e)) < 0 ||
				    (ret = rp_basis(w, l, rel, sexk, 1, a, &L, &P, q, ia, V, &lv, e)) < 0)
					return km_err_prefix(e, ret, "remain '%s', marker '%s'", rp->rem->sample[A], C->p->marker[m].name);
				lg = lu > lv ? lu : lv;
				double fu = lu == KM_NEG_INF ? 0.0 : (1.0 - dl * dl) * pow(10.0, lu - lg);
				double fv = lv == KM_NEG_INF ? 0.0 : dl * (1.0 - dl) * pow(10.0, lv - lg);
				for (size_t i = 0; i < (size_t)n * n; ++i) U[i] = fu * U[i] + fv * V[i];
			} else if ((ret = km_lik_query_ws(&L, &P, q, w->phi, &lg, w->lws, e)) < 0)
				return km_err_prefix(e, ret, "remain '%s', marker '%s'", rp->rem->sample[A], C->p->marker[m].name);
			if (E > 0.0) {   /* (1 - E) P(o_A, g) + E c(o_A) P(G_M = g | A untyped), on phi's scale 10^lg */
				double *u = w->phi2, lu;
				gt[2 * ia] = gt[2 * ia + 1] = KM_NOALLELE;
				if ((ret = rp_untyped(w, l, rel, sexk, &L, &P, q, u, &lu, e)) < 0)
					return km_err_prefix(e, ret, "remain '%s', marker '%s'", rp->rem->sample[A], C->p->marker[m].name);
				double f = lg == KM_NEG_INF ? 0.0 : 1.0 - E, s = E * c * pow(10.0, lu - (lg == KM_NEG_INF ? lu : lg));
				if (lg == KM_NEG_INF) lg = lu;
				for (size_t i = 0; i < (size_t)n * n; ++i) w->phi[i] = f * w->phi[i] + s * u[i];
			}
		}
		/* H2 is "A and B unrelated": P(o_A) from the population (c), not A's marginal in the
		 * pedigree, which differs where mutation is not stationary (A a sibling) */
		int inc = km_comp_phi_cols(C, l, 0, lg, c * pow(10.0, -lg), T, hom, w);
		if (inc) for (int k = 1; k < nc; ++k) T[k] = 0.0;   /* cannot happen: one typed person */
		if (!cacheable) continue;
		w->vbuf[0] = inc;
		memcpy(w->vbuf + 1, T, sizeof(double) * nc);
		if (nh) memcpy(w->vbuf + 1 + nc, hb, sizeof(double) * nh);
		km_tc_store(w->cache, l, key, kn, kh, w->vbuf, (size_t)nc + 1 + nh);
	}
	return 0;
}

int km_comp_init_rpairs(km_comp_t **Cp, const km_index_t *ix, const km_panel_t *p, const km_freqs_t *f,
                        const km_rpin_t *rp, const km_copt_t *o, km_err_t *e)
{
	static const km_peds_t none;   /* no family: the candidates are the remains */
	int ret;
	if (o->theta > 0.0)
		return km_err_set(e, KM_EMODEL, "--dvi with --theta %g: the remain pairs (remain-pairs.tsv) are implemented for theta = 0 only", o->theta);
	if ((ret = km_comp_init(Cp, ix, p, f, rp->rem, &none, NULL, o, e)) < 0) return ret;
	(*Cp)->rp = rp;
	if ((*Cp)->max_np < 4) (*Cp)->max_np = 4;
	return 0;
}

