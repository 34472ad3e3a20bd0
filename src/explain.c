/* explain.c — why a candidate scores what it scores: one row per compared locus.
 *
 * For the pairs asked for (the top N rows of every remain in matches.tsv, and later the
 * identifications), each candidate is compiled again with km_comp_cand — the same
 * tables the scan summed, through the same shared cache, so the same bits — and every
 * locus typed in the remain and by some reference of the family becomes a row:
 *   - a plain table entry lr[col_off[l] + gidx[r, l]]                       (via genotype)
 *   - an apparent homozygote of a remain with dropout d: log10 (P + wQ)/(1 + wR),
 *     w = d/(1+d), from the candidate's P, Q, R of the column (compile.c, issue 4;
 *     Buckleton et al. 2016 ch. 8)                                          (via dropout)
 *   - with a typing-error rate E > 0, a locus incompatible without error and mutation
 *     that E keeps finite                     (via typing error; with a mutation model
 *                                              via mutation or typing error)
 *   - a locus whose references contradict the pedigree: left out, LR 1     (via left out)
 *   - the Y-STR haplotype and the mtDNA, one row each (lineage.c)          (via haplotype)
 * Per system the rows add up to the system's column of matches.tsv: the scan adds the
 * same numbers (table entries first, the dropout product after, so the last digits may
 * differ by rounding; tests/cases/explain.sh checks them at 1e-6).  The scan itself is
 * not touched: this file only reads what compile.c and the index give.
 *
 * Also here: DIR/families.tsv (the pedigrees of the explained families, for the report
 * years later without the inputs) and DIR/inconsistent.tsv (which family and marker the
 * references contradict).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <htslib/kstring.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "kmpriv.h"
#include "pipe.h"
#include "lineage.h"
#include "lik.h"
#include "explain.h"

static const char *sys_name[KM_N_SYS] = { "str", "snp", "x", "y", "mt" };

static int cmp_rid(const void *a, const void *b, void *rem)
{
	const km_prof_t *r = rem;
	return strcmp(r->sample[*(const int *)a], r->sample[*(const int *)b]);
}

int km_explain_select(km_xpair_t **v, size_t *n, const km_hits_t *hits, int top_n, const int *concl_cand,
                      const km_prof_t *rem, km_err_t *e)
{
	size_t k = 0, i = 0;
	int nr = rem->n_sample, *ord = malloc(sizeof(int) * ((size_t)nr + 1));
	*v = NULL, *n = 0;
	if (!ord || !(*v = malloc(sizeof(km_xpair_t) * (hits->n + (size_t)nr + 1)))) { free(ord); return km_err_set(e, KM_ENOMEM, "out of memory"); }
	for (int r = 0; r < nr; ++r) ord[r] = r;
	qsort_r(ord, (size_t)nr, sizeof(int), cmp_rid, (void *)rem);
	/* remains in byte order (as hits are): each remain's rows of rank <= top_n, then its
	 * identification's candidate if that is not among them (its rank in matches.tsv, or
	 * 0 when matches.tsv does not hold it) */
	for (int j = 0; j < nr; ++j) {
		int r = ord[j], want = concl_cand ? concl_cand[r] : -1, have = 0;
		const km_hit_t *wh = NULL;
		int wrank = 0;
		for (; i < hits->n && hits->h[i].remain == r; ++i) {
			const km_hit_t *h = &hits->h[i];
			if (h->cand == want) wh = h, wrank = hits->rank[i];
			if (hits->rank[i] > top_n) continue;
			km_xpair_t *x = &(*v)[k++];
			x->remain = r, x->cand = h->cand, x->rank = hits->rank[i], x->hit = h, x->order = k;
			have |= h->cand == want;
		}
		if (want >= 0 && !have) {
			km_xpair_t *x = &(*v)[k++];
			x->remain = r, x->cand = want, x->rank = wrank, x->hit = wh, x->order = k;
		}
	}
	free(ord);
	*n = k;
	return 0;
}

/* "a/b", "a" (hemizygous) */
static void fmt_call(kstring_t *s, const km_alleles_t *al, const int32_t *g)
{
	kputs(g[0] >= 0 && g[0] < al->n_allele ? al->label[g[0]] : "?", s);
	if (g[1] >= 0) { kputc('/', s); kputs(g[1] < al->n_allele ? al->label[g[1]] : "?", s); }
}

static void fmt_lr(kstring_t *s, double x)
{
	char b[32];
	km_fmt_lr(b, sizeof b, x);
	kputs(b, s);
}

/* Is (cand, l) among the inconsistent pairs (sorted by fam, person, l)? */
static int is_incon(const km_incon_t *v, size_t n, const km_cand_t *c, int l)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const km_incon_t *x = &v[mid];
		int lt = x->fam < c->fam || (x->fam == c->fam && (x->person < c->person || (x->person == c->person && x->l < l)));
		if (lt) lo = mid + 1; else hi = mid;
	}
	return lo < n && v[lo].fam == c->fam && v[lo].person == c->person && v[lo].l == l;
}

/* The rows of one pair into s, from candidate table ct. */
static int explain_pair(kstring_t *s, const km_xctx_t *X, const km_xpair_t *pr, const km_ctab_t *ct,
                        const uint8_t *incomp, const km_incon_t *inc, size_t n_inc, km_err_t *e)
{
	const km_index_t *ix = X->ix;
	const km_cand_t *cd = &X->t->cand[pr->cand];
	const km_family_t *F = &X->peds->fam[cd->fam];
	int r = pr->remain, nl = ix->n_loc;
	const uint16_t *g = ix->gidx + (size_t)r * nl;
	size_t q = ix->drop_start[r], q1 = ix->drop_start[r + 1];
	for (int l = 0; l < nl; ++l) {
		int col = g[l], drop = 0;
		double w = 0.0;
		while (q < q1 && ix->drop[q].l < l) ++q;
		if (q < q1 && ix->drop[q].l == l) col = ix->drop[q].col, w = ix->drop[q].w, drop = 1;
		if (col == 0 || !ct->typed[l]) continue;   /* not compared */
		int sys = 0;
		while (sys + 1 < KM_N_SYS && l >= ix->sys_start[sys + 1]) ++sys;
		int m = ix->marker[l];
		double v;
		if (drop) {
			const double *H = ct->hom + (size_t)ix->hom_slot[ix->col_off[l] + col] * 3;
			double x = (H[0] + w * H[1]) / (1.0 + w * H[2]);
			v = x > 0.0 ? log10(x) : KM_NEG_INF;
		} else v = ct->lr[ix->col_off[l] + col];
		ksprintf(s, "%s\t%s\t%s\t%s\t%s\t", X->rem->sample[r], F->id, F->person[cd->person].id, sys_name[sys],
		         m >= 0 ? X->p->marker[m].name : sys == KM_SYS_Y ? "Y-STR haplotype" : "mtDNA");
		fmt_lr(s, v);
		if (pr->rank > 0) ksprintf(s, "\t%d\t", pr->rank);
		else kputs("\tNA\t", s);   /* an identification's candidate that matches.tsv does not hold */
		if (m >= 0) {
			const km_alleles_t *al = &X->f->loc[m];
			int xl = X->p->marker[m].type == KM_SYS_X, nref = 0;
			fmt_call(s, al, km_prof_gt(X->rem, r, m));
			kputc('\t', s);
			for (int i = 0; i < F->n_person; ++i) {
				const km_person_t *ps = &F->person[i];
				if (ps->role != KM_ROLE_REFERENCE || ps->sample < 0) continue;
				int32_t gg[2] = { km_prof_gt(X->refs, ps->sample, m)[0], km_prof_gt(X->refs, ps->sample, m)[1] };
				if (gg[0] == KM_NOALLELE) continue;
				if (xl && ps->sex == KM_MALE) gg[1] = KM_HEMI;
				ksprintf(s, "%s%s=", nref++ ? "," : "", ps->id);
				fmt_call(s, al, gg);
			}
			/* with a typing-error rate a locus incompatible without error and mutation
			 * (incon.c's flags: bit 0 as a plain call, bit 1 as an apparent homozygote
			 * under dropout) keeps a finite LR: error carried it, or with a mutation model
			 * error or mutation — these are the loci the `inconsistent` column counts */
			int carried = incomp && v != KM_NEG_INF && (incomp[ix->col_off[l] + col] & (drop ? 2 : 1));
			const char *via = is_incon(inc, n_inc, cd, l) ? "left out"
			                  : carried ? (X->o->mutation == KM_MUT_NONE ? "typing error" : "mutation or typing error")
			                  : drop ? "dropout" : "genotype";
			ksprintf(s, "\t%s\t", via);
			if (drop) ksprintf(s, "%.4g", w / (1.0 - w));   /* d from w = d/(1+d) */
			else kputs("NA", s);
			kputs("\tNA\tNA\tNA\tNA\tNA\tNA\tNA\tNA\n", s);
		} else {
			km_linx_t lx;
			int ret = km_lin_explain(X->lin, sys, X->p, X->peds, cd->fam, cd->person, r, &lx, e);
			if (ret < 0) return ret;
			if (lx.ref < 0) {   /* cannot happen when the table says typed */
				kputs("NA\tNA\thaplotype\tNA\tNA\tNA\tNA\tNA\tNA\tNA\tNA\tNA\n", s);
				continue;
			}
			ksprintf(s, "%s\t%s=%s\thaplotype\tNA\t%s\t%d\t%d\t%d\t%s\t%ld\t%ld\t", lx.rcall, F->person[lx.ref].id, lx.fcall,
			         F->person[lx.ref].id, lx.k, lx.n_cmp, lx.n_diff, *lx.diff ? lx.diff : ".", lx.x, lx.n);
			/* Y loci typed in both that the database lacks: left out of the comparison (lineage.c) */
			int left = sys == KM_SYS_Y ? km_lin_y_left_out(X->lin, r, cd->fam, cd->person) : -1;
			if (left >= 0) ksprintf(s, "%d\n", left); else kputs("NA\n", s);
			km_linx_free(&lx);
		}
	}
	return 0;
}

static const char *x_header = "remain\tfamily\tmissing\tsystem\tmarker\tlog10_lr\trank\tremain_call\treferences\tvia\tdropout"
                              "\tlineage_ref\tmeioses\tcompared\tdifferences\tdiffering\tdb_count\tdb_total\tleft_out\n";

int km_explain_write(FILE *fp, const km_xctx_t *X, const km_xpair_t *pv, size_t n, km_err_t *e)
{
	const km_index_t *ix = X->ix;
	int ret = 0, nthr = X->threads > 0 ? X->threads : 1, any_e = X->o->typing_error > 0.0 || ix->max_e > 0.0;
	size_t per_c = ix->n_totcol + (size_t)ix->n_hom * 3;
	km_incon_t *inc = NULL;
	size_t n_inc = 0, *ord = malloc(sizeof(size_t) * (n + 1)), n_grp = 0, *grp = malloc(sizeof(size_t) * (n + 2));
	kstring_t *out = calloc(n + 1, sizeof(kstring_t));
	if (!ord || !grp || !out) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto end; }
	if ((ret = km_comp_incon(X->C, &inc, &n_inc, e)) < 0) goto end;
	/* pairs grouped by candidate, so each is compiled once */
	{	/* a counting sort by candidate, stable: pair order within a candidate */
		int nc = X->t->n_cand;
		size_t *cnt = calloc((size_t)nc + 2, sizeof(size_t));
		if (!cnt) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto end; }
		for (size_t i = 0; i < n; ++i) ++cnt[pv[i].cand + 1];
		for (int c = 0; c < nc; ++c) cnt[c + 1] += cnt[c];
		for (size_t i = 0; i < n; ++i) ord[cnt[pv[i].cand]++] = i;
		free(cnt);
	}
	for (size_t i = 0; i < n; ++i)
		if (i == 0 || pv[ord[i]].cand != pv[ord[i - 1]].cand) grp[n_grp++] = i;
	grp[n_grp] = n;
	int failed = 0;
	km_err_t terr = { "" };
	#pragma omp parallel num_threads(nthr)
	{
		km_cwork_t *cw = km_cwork_new(X->C);
		km_ctab_t ct;
		double *buf = malloc(sizeof(double) * (per_c + 1));
		uint8_t *typ = malloc((size_t)ix->n_loc + 1);
		/* the loci typing error carried (only with a rate E > 0: without one they are -inf) */
		uint8_t *incomp = any_e ? malloc(ix->n_totcol + 1) : NULL;
		km_err_t le = { "" };
		int bad = !cw || !buf || !typ || (any_e && !incomp);
		if (bad) km_err_set(&le, KM_ENOMEM, "out of memory");
		memset(&ct, 0, sizeof ct);
		ct.lr = buf, ct.hom = buf ? buf + ix->n_totcol : NULL, ct.typed = typ;
		#pragma omp for schedule(dynamic, 1)
		for (size_t gi = 0; gi < n_grp; ++gi) {
			if (bad) continue;
			const km_xpair_t *p0 = &pv[ord[grp[gi]]];
			int r2 = km_comp_cand(X->C, cw, &X->t->cand[p0->cand], &ct, &le);
			if (r2 == 0 && incomp) r2 = km_comp_incompat(X->C, cw, &X->t->cand[p0->cand], incomp, &le);
			for (size_t k = grp[gi]; k < grp[gi + 1] && r2 == 0; ++k)
				r2 = explain_pair(&out[ord[k]], X, &pv[ord[k]], &ct, incomp, inc, n_inc, &le);
			if (r2 < 0) bad = r2;
		}
		#pragma omp critical
		if (bad && !failed) failed = bad < 0 ? bad : KM_ENOMEM, terr = le;
		km_cwork_free(cw, NULL);
		free(buf); free(typ); free(incomp);
	}
	if (failed) { *e = terr; ret = failed; goto end; }
	/* in the order of matches.tsv: remain, then rank */
	int bad = fputs(x_header, fp) < 0;
	for (size_t i = 0; i < n && !bad; ++i) if (out[i].l) bad = fwrite(out[i].s, 1, out[i].l, fp) != out[i].l;
	if (bad) ret = km_err_set(e, KM_EIO, "explain.tsv: write error");
end:
	for (size_t i = 0; out && i < n; ++i) free(out[i].s);
	free(out); free(ord); free(grp); free(inc);
	return ret;
}

static const char *role_name(int r)
{
	return r == KM_ROLE_MISSING ? "missing" : r == KM_ROLE_REFERENCE ? "reference" : "untyped";
}

int km_explain_families(FILE *fp, const km_xctx_t *X, const km_xpair_t *pv, size_t n, km_err_t *e)
{
	const km_peds_t *d = X->peds;
	uint8_t *want = calloc((size_t)d->n_family + 1, 1);
	if (!want) return km_err_set(e, KM_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; ++i) want[X->t->cand[pv[i].cand].fam] = 1;
	int bad = fputs("family\tperson\tfather\tmother\tsex\trole\n", fp) < 0;
	for (int f = 0; f < d->n_family && !bad; ++f) {
		if (!want[f]) continue;
		const km_family_t *F = &d->fam[f];
		for (int i = 0; i < F->n_person && !bad; ++i) {
			const km_person_t *ps = &F->person[i];
			bad = fprintf(fp, "%s\t%s\t%s\t%s\t%d\t%s\n", F->id, ps->id, ps->father >= 0 ? F->person[ps->father].id : "0",
			              ps->mother >= 0 ? F->person[ps->mother].id : "0", ps->sex, role_name(ps->role)) < 0;
		}
	}
	free(want);
	return bad ? km_err_set(e, KM_EIO, "families.tsv: write error") : 0;
}

int km_explain_incon(FILE *fp, const km_xctx_t *X, int max_warn, const char *dir, km_err_t *e)
{
	km_incon_t *v = NULL;
	size_t n = 0;
	int ret;
	if ((ret = km_comp_incon(X->C, &v, &n, e)) < 0) return ret;
	int bad = fp && fputs("family\tmissing\tmarker\n", fp) < 0;
	kstring_t s = { 0, 0, NULL };
	for (size_t i = 0; i < n; ++i) {
		const km_family_t *F = &X->peds->fam[v[i].fam];
		int m = X->ix->marker[v[i].l];
		const char *mk = m >= 0 ? X->p->marker[m].name : "haplotype";
		if (fp && !bad) bad = fprintf(fp, "%s\t%s\t%s\n", F->id, F->person[v[i].person].id, mk) < 0;
		if ((int)i < max_warn) ksprintf(&s, "%s family %s (missing %s) at %s", i ? ";" : "", F->id, F->person[v[i].person].id, mk);
	}
	if (n > 0) {
		km_warn("%zu (candidate, marker) pairs: the references contradict their pedigree under --mutation %s; those markers were left out (LR 1) for those candidates:%s%s%s%s",
		        n, km_mut_name(X->o->mutation), s.s ? s.s : "", (int)n > max_warn ? "; ..." : "",
		        fp ? "; all in " : "", fp ? dir : "");
	}
	free(s.s);
	free(v);
	return bad ? km_err_set(e, KM_EIO, "inconsistent.tsv: write error") : 0;
}

