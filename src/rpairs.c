/* rpairs.c — direct matches among the remains (identify stage, `--dvi`; issue 11 part 6).
 *
 * Bone fragments of one body, a commingled grave, brothers who fell together: the
 * remains are compared with each other as well as with the families.  Every remain A is
 * a candidate three times, (A, same person), (A, parent-child), (A, full siblings): its
 * tables come from rpcomp.c (A the one typed person, with its own dropout and
 * typing error), and scan.c streams every remain B through them — the same tiles, float
 * screen and exact rescoring as the families, so a pair's value is defined exactly as a
 * matches.tsv value is (per-locus table entries, then the dropout mixtures, in locus
 * order) and is the same for any --threads.  The scan keeps the pairs at or above the
 * threshold (its sparse list); a pair {A, B} is taken from the direction whose table is
 * the one of the remain first in byte order of the ids (for parent-child that remain is
 * the parent; without mutation both directions are the same number).
 *
 * Remains judged the same person are reported here, never merged: the identification
 * treats them as separate remains (README, "Direct matches among the remains").
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kmpriv.h"
#include "pipe.h"
#include "ident.h"
#include "progress.h"

const char *km_rp_name(int rel)
{
	static const char *const nm[KM_RP_N] = { "same-person", "parent-child", "full-siblings" };
	return rel >= 0 && rel < KM_RP_N ? nm[rel] : "?";
}

static int cmp_id(const void *x, const void *y, void *arg)   /* qsort_r: byte order of the ids */
{
	const km_prof_t *rem = arg;
	return strcmp(rem->sample[*(const int *)x], rem->sample[*(const int *)y]);
}

static int cmp_rpair(const void *x, const void *y)   /* on byte-order indices */
{
	const km_rpair_t *a = x, *b = y;
	if (a->r1 != b->r1) return (a->r1 > b->r1) - (a->r1 < b->r1);
	if (a->r2 != b->r2) return (a->r2 > b->r2) - (a->r2 < b->r2);
	return (a->rel > b->rel) - (a->rel < b->rel);
}

/* The remains are indexed again in byte order of their ids (a view of rem: the ids
 * borrowed, the calls copied, no lineage system), so "A before B" is index order and the
 * scan skips every remain up to A (km_tabs_t.r_after): each unordered pair is scored
 * once, and the result does not depend on the order of the remains file. */
int km_rpairs_find(km_rpair_t **vp, size_t *np, const km_panel_t *p, const km_freqs_t *f,
                   const km_rpin_t *rp0, double log10_t, const km_opt_t *o, km_rpstat_t *rst, km_err_t *e)
{
	const km_prof_t *rem0 = rp0->rem;
	int nr = rem0->n_sample, ret, nm = rem0->n_marker;
	km_comp_t *C = NULL;
	km_tabs_t tabs = { 0 };
	km_hits_t hits = { 0 };
	km_stats_t st = { 0 };
	km_index_t ix = { 0 };
	km_prof_t srt = { 0 };
	km_rpair_t *v = NULL;
	int *ord = NULL, *rafter = NULL, *rsex = NULL;
	double *rd = NULL, *re = NULL;
	size_t n = 0;
	double t0 = km_now();
	*vp = NULL, *np = 0;
	memset(rst, 0, sizeof *rst);
	if (nr < 2) return 0;
	ord = malloc(sizeof(int) * (size_t)nr);
	srt.sample = malloc(sizeof(char *) * (size_t)nr);
	srt.a = malloc(sizeof(int32_t) * 2 * (size_t)nm * (size_t)nr);
	rd = malloc(sizeof(double) * (size_t)nr), re = malloc(sizeof(double) * (size_t)nr);
	rsex = malloc(sizeof(int) * (size_t)nr);
	if (!ord || !srt.sample || !srt.a || !rd || !re || !rsex) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto done; }
	for (int r = 0; r < nr; ++r) ord[r] = r;
	qsort_r(ord, (size_t)nr, sizeof(int), cmp_id, (void *)rem0);
	srt.n_sample = nr, srt.n_marker = nm, srt.fn = rem0->fn;
	for (int i = 0; i < nr; ++i) {
		int r = ord[i];
		srt.sample[i] = rem0->sample[r];
		memcpy(srt.a + 2 * (size_t)nm * i, rem0->a + 2 * (size_t)nm * r, sizeof(int32_t) * 2 * (size_t)nm);
		rd[i] = rp0->rd ? rp0->rd[r] : 0.0, re[i] = rp0->re ? rp0->re[r] : 0.0;
		rsex[i] = rp0->rsex ? rp0->rsex[r] : 0;
	}
	km_rpin_t rp = { &srt, rd, re, rsex };
	if ((ret = km_index_build_te(&ix, p, &srt, rd, re, NULL, e)) < 0) goto done;
	km_copt_t co = km_copt_of(o);
	if ((ret = km_comp_init_rpairs(&C, &ix, p, f, &rp, &co, e)) < 0) goto done;
	tabs.n_cand = KM_RP_N * nr;
	tabs.cand = malloc(sizeof(km_cand_t) * (size_t)tabs.n_cand);
	rafter = malloc(sizeof(int) * (size_t)tabs.n_cand);
	if (!tabs.cand || !rafter) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto done; }
	for (int a = 0; a < nr; ++a)
		for (int k = 0; k < KM_RP_N; ++k) {
			tabs.cand[KM_RP_N * a + k].fam = a, tabs.cand[KM_RP_N * a + k].person = k;
			rafter[KM_RP_N * a + k] = a;
		}
	tabs.r_after = rafter;
	/* the scan with no ranking (min_lr +inf keeps no row) and its sparse list at the
	 * threshold: every (B, (A, rel)), B after A, with log10 LR >= log10_t */
	km_sopt_t so = km_sopt_of(o);
	so.all = 0, so.top = 1, so.min_lr = INFINITY, so.min_loci = 0, so.keep_going = 0;
	so.sparse = 1, so.sparse_lr = log10_t;
	km_prog_phase("remain pairs", tabs.n_cand);
	if ((ret = km_scan(&hits, &tabs, &ix, C, &srt, &so, &st, e)) < 0) goto done;
	rst->pairs = st.pairs;
	if (!(v = malloc(sizeof(km_rpair_t) * (hits.n_sp + 1)))) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto done; }
	for (size_t i = 0; i < hits.n_sp; ++i) {
		int b = hits.sp[i].remain, a = tabs.cand[hits.sp[i].cand].fam, rel = tabs.cand[hits.sp[i].cand].person;
		if (b <= a) continue;   /* the scan skips them; kept for clarity */
		if (rel == KM_RP_SAME && rsex[a] && rsex[b] && rsex[a] != rsex[b]) continue;   /* not one person */
		int loci = 0;
		for (int l = 0; l < ix.n_loc; ++l) {
			int m = ix.marker[l];
			if (m < 0 || (p->marker[m].type != KM_SYS_STR && p->marker[m].type != KM_SYS_SNP)) continue;
			loci += km_prof_gt(&srt, a, m)[0] != KM_NOALLELE && km_prof_gt(&srt, b, m)[0] != KM_NOALLELE;
		}
		v[n].r1 = a, v[n].r2 = b, v[n].rel = rel, v[n].loci = loci, v[n].lr = hits.sp[i].lr;
		++rst->n_rel[rel];
		++n;
	}
	if (n > 1) qsort(v, n, sizeof *v, cmp_rpair);
	for (size_t i = 0; i < n; ++i) v[i].r1 = ord[v[i].r1], v[i].r2 = ord[v[i].r2];   /* back to rem's indices */
	*vp = v, *np = n, v = NULL;
	ret = 0;
done:
	rst->t = km_now() - t0;
	rst->n_computed = st.n_computed, rst->n_shared = st.n_shared;
	free(v);
	km_hits_destroy(&hits);
	km_scanstat_free(&st);
	free(tabs.cand);
	free(rafter);
	km_comp_destroy(C);
	km_index_destroy(&ix);
	free(srt.sample);
	free(srt.a);
	free(ord); free(rd); free(re); free(rsex);
	return ret;
}

int km_rpairs_write(FILE *fp, const km_rpair_t *v, size_t n, const km_prof_t *rem, km_err_t *e)
{
	fputs("remain1\tremain2\trelationship\tlog10_lr\tloci\n", fp);
	for (size_t i = 0; i < n; ++i) {
		char b[64];
		km_fmt_lr(b, sizeof b, v[i].lr);
		fprintf(fp, "%s\t%s\t%s\t%s\t%d\n", rem->sample[v[i].r1], rem->sample[v[i].r2], km_rp_name(v[i].rel), b, v[i].loci);
	}
	if (ferror(fp)) return km_err_set(e, KM_EIO, "remain-pairs.tsv: write error");
	return 0;
}
