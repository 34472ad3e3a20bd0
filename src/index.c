/* index.c — the index stage: the remains' observations as columns of the scan loci
 * (km_index_t, pipe.h).  Scan loci are the panel markers typed in at least one remain,
 * sorted by system, each with the remains' distinct observations as columns (column 0 =
 * untyped); the Y-STR and mtDNA haplotypes come from lineage.c as one locus each.
 * Remains of different typing-error rates get different columns for the same observation
 * (col_e), and an apparent homozygote of a remain with dropout is listed per remain with
 * its dropout weight w = d/(1+d) (obs.h) instead of a plain column lookup.  Moved out of
 * compile.c (issue 10): the index knows remains only, never pedigrees or models.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kmpriv.h"
#include "pipe.h"
#include "lineage.h"
#include "obs.h"

static int sys_of_marker(const km_marker_t *m)
{
	return m->type;   /* km_sys_t values coincide with panel types */
}

/* ---- index: remains -> observation columns ---------------------------------------- */

static inline uint64_t obs_key(int32_t a, int32_t b)
{
	return ((uint64_t)(uint32_t)a << 32) | (uint32_t)(b + 2);
}

/* A column's key with the remain's typing-error class (issue 12 part 1): class-major, then
 * the alleles; class 0 is the plain obs_key (so E = 0 changes nothing). */
static inline uint64_t obs_key_e(int32_t a, int32_t b, int cls)
{
	return cls == 0 ? obs_key(a, b) : ((uint64_t)cls << 56) | ((uint64_t)(uint32_t)a << 24) | (uint32_t)(b + 2);
}

static inline void obs_unkey(uint64_t k, int32_t *a, int32_t *b, int *cls)
{
	*cls = (int)(k >> 56);
	if (*cls == 0) *a = (int32_t)(k >> 32), *b = (int32_t)(uint32_t)(k & 0xffffffffu) - 2;
	else *a = (int32_t)((k >> 24) & 0xffffffffu), *b = (int32_t)(uint32_t)(k & 0xffffffu) - 2;
}

static int index_dropout(km_index_t *ix, const double *rd, km_err_t *e);

void km_index_destroy(km_index_t *ix)
{
	free(ix->marker); free(ix->n_col); free(ix->col_off); free(ix->col_a); free(ix->col_b);
	free(ix->gidx); free(ix->rsys); free(ix->rd); free(ix->drop_start); free(ix->drop); free(ix->hom_slot);
	free(ix->col_e);
	free(ix->hom_first); free(ix->hom_n);
	memset(ix, 0, sizeof(*ix));
}

int km_index_build(km_index_t *ix, const km_panel_t *p, const km_prof_t *rem, const double *rd,
                   const km_lin_t *lin, km_err_t *e)
{
	return km_index_build_te(ix, p, rem, rd, NULL, lin, e);
}

int km_index_build_te(km_index_t *ix, const km_panel_t *p, const km_prof_t *rem, const double *rd, const double *re,
                      const km_lin_t *lin, km_err_t *e)
{
	int ret = 0, nr = rem->n_sample;
	uint64_t *keys = malloc(sizeof(uint64_t) * (size_t)(nr + 1));
	/* typing-error classes (issue 12 part 1): class 0 is E = 0, then the distinct rates */
	int n_ecls = 1, *rcls = calloc((size_t)nr + 1, sizeof(int));
	double ecls[255] = { 0.0 };
	memset(ix, 0, sizeof(*ix));
	if (!rcls) { free(keys); return km_err_set(e, KM_ENOMEM, "out of memory"); }
	for (int r = 0; re && r < nr; ++r) {
		int c;
		if (re[r] <= 0.0) continue;
		for (c = 1; c < n_ecls && ecls[c] != re[r]; ++c) {}
		if (c == n_ecls) {
			if (n_ecls == 255) { free(keys); free(rcls); return km_err_set(e, KM_EINPUT, "more than 254 distinct typing-error rates among the remains"); }
			ecls[n_ecls++] = re[r];
		}
		rcls[r] = c;
		if (re[r] > ix->max_e) ix->max_e = re[r];
	}
	ix->marker = malloc(sizeof(int) * (size_t)(p->n_marker + 3));
	ix->n_col = calloc((size_t)p->n_marker + 3, sizeof(int));
	ix->col_off = calloc((size_t)p->n_marker + 3, sizeof(size_t));
	ix->rsys = calloc((size_t)nr + 1, 1);
	if (!keys || !ix->marker || !ix->n_col || !ix->col_off || !ix->rsys) goto oom;
	/* scan loci: typed in some remain; by system, then panel order.  The Y-STRs and the
	 * mtDNA are each one locus (marker -1) whose columns are the remains' distinct
	 * haplotypes (lineage.c): their loci are linked, so no product rule. */
	for (int s = 0; s < KM_N_SYS; ++s) {
		ix->sys_start[s] = ix->n_loc;
		if (s == KM_SYS_Y || s == KM_SYS_MT) {
			if (km_lin_ncol(lin, s) > 1) ix->marker[ix->n_loc++] = -1;
			continue;
		}
		for (int m = 0; m < p->n_marker; ++m) {
			if (sys_of_marker(&p->marker[m]) != s) continue;
			int typed = 0;
			for (int r = 0; r < nr && !typed; ++r) typed = km_prof_gt(rem, r, m)[0] != KM_NOALLELE;
			if (typed) ix->marker[ix->n_loc++] = m;
		}
	}
	ix->sys_start[KM_N_SYS] = ix->n_loc;
	ix->n_remain = nr;
	/* distinct observations per locus, sorted (so the layout does not depend on the
	 * order of the input rows) */
	size_t tot = 0, m_col = 0;
	for (int l = 0; l < ix->n_loc; ++l) {
		int m = ix->marker[l], nk = 0;
		if (m < 0) {   /* a lineage system: its columns come from lineage.c */
			int s = l >= ix->sys_start[KM_SYS_MT] ? KM_SYS_MT : KM_SYS_Y;
			nk = km_lin_ncol(lin, s);
			if (nk > 65535) { ret = km_err_set(e, KM_EINPUT, "more than 65534 distinct %s haplotypes among the remains", s == KM_SYS_Y ? "Y-STR" : "mtDNA"); goto fail; }
			if (tot + (size_t)nk > m_col) {
				m_col = (tot + (size_t)nk) * 2;
				int32_t *ta = realloc(ix->col_a, sizeof(int32_t) * m_col), *tb;
				if (!ta) goto oom;
				ix->col_a = ta;
				if (!(tb = realloc(ix->col_b, sizeof(int32_t) * m_col))) goto oom;
				ix->col_b = tb;
			}
			for (int k = 0; k < nk; ++k) ix->col_a[tot + k] = ix->col_b[tot + k] = KM_NOALLELE;
			ix->n_col[l] = nk, ix->col_off[l] = tot;
			tot += (size_t)nk;
			continue;
		}
		for (int r = 0; r < nr; ++r) {
			const int32_t *g = km_prof_gt(rem, r, m);
			if (g[0] != KM_NOALLELE) keys[nk++] = obs_key_e(g[0], g[1], rcls[r]);
		}
		qsort(keys, (size_t)nk, sizeof(uint64_t), km_cmp_u64);
		int nu = 0;
		for (int k = 0; k < nk; ++k) if (nu == 0 || keys[nu - 1] != keys[k]) keys[nu++] = keys[k];
		if (nu + 1 > 65535) { ret = km_err_set(e, KM_EINPUT, "marker '%s': more than 65534 distinct genotypes among the remains", p->marker[m].name); goto fail; }
		ix->n_col[l] = nu + 1;
		ix->col_off[l] = tot;
		if (tot + (size_t)nu + 1 > m_col) {
			m_col = (tot + (size_t)nu + 1) * 2;
			int32_t *ta = realloc(ix->col_a, sizeof(int32_t) * m_col), *tb;
			if (!ta) goto oom;
			ix->col_a = ta;
			if (!(tb = realloc(ix->col_b, sizeof(int32_t) * m_col))) goto oom;
			ix->col_b = tb;
		}
		ix->col_a[tot] = ix->col_b[tot] = KM_NOALLELE;
		if (n_ecls > 1) {   /* rates per column (issue 12 part 1) */
			double *te = realloc(ix->col_e, sizeof(double) * m_col);
			if (!te) goto oom;
			ix->col_e = te;
			ix->col_e[tot] = 0.0;
		}
		for (int k = 0; k < nu; ++k) {
			int cls;
			obs_unkey(keys[k], &ix->col_a[tot + 1 + k], &ix->col_b[tot + 1 + k], &cls);
			if (ix->col_e) ix->col_e[tot + 1 + k] = ecls[cls];
		}
		tot += (size_t)nu + 1;
	}
	ix->n_totcol = tot;
	ix->gidx = calloc((size_t)nr * (ix->n_loc > 0 ? ix->n_loc : 1), sizeof(uint16_t));
	if (!ix->gidx) goto oom;
	for (int l = 0; l < ix->n_loc; ++l) {
		int m = ix->marker[l], nc = ix->n_col[l];
		if (m < 0) {
			int s = l >= ix->sys_start[KM_SYS_MT] ? KM_SYS_MT : KM_SYS_Y;
			for (int r = 0; r < nr; ++r) {
				int c = km_lin_col(lin, s, r);
				ix->gidx[(size_t)r * ix->n_loc + l] = (uint16_t)c;
				if (c > 0) ix->rsys[r] |= (uint8_t)(1u << s);
			}
			continue;
		}
		int s = sys_of_marker(&p->marker[m]);
		const int32_t *ca = ix->col_a + ix->col_off[l], *cb = ix->col_b + ix->col_off[l];
		for (int r = 0; r < nr; ++r) {
			const int32_t *g = km_prof_gt(rem, r, m);
			if (g[0] == KM_NOALLELE) continue;
			int lo = 1, hi = nc - 1;          /* binary search over the sorted columns */
			const double *ce = ix->col_e ? ix->col_e + ix->col_off[l] : NULL;
			uint64_t key = obs_key_e(g[0], g[1], rcls[r]);
			while (lo < hi) {
				int mid = (lo + hi) / 2, mc = 0;
				if (ce) for (mc = 1; mc < n_ecls && ecls[mc] != ce[mid]; ++mc) {}
				if (ce && ce[mid] == 0.0) mc = 0;
				if (obs_key_e(ca[mid], cb[mid], mc) < key) lo = mid + 1; else hi = mid;
			}
			ix->gidx[(size_t)r * ix->n_loc + l] = (uint16_t)lo;
			ix->rsys[r] |= (uint8_t)(1u << s);
		}
	}
	if ((ret = index_dropout(ix, rd, e)) < 0) goto fail;
	free(keys);
	free(rcls);
	return 0;
oom:
	ret = km_err_set(e, KM_ENOMEM, "out of memory");
fail:
	free(keys);
	free(rcls);
	km_index_destroy(ix);
	return ret;
}

/* Moves each apparent homozygote of a remain with d > 0 out of the table sum into the
 * remain's dropout list (see km_index_t).  Hemizygous calls have no dropout model. */
static int index_dropout(km_index_t *ix, const double *rd, km_err_t *e)
{
	int nr = ix->n_remain, any = 0;
	ix->rd = calloc((size_t)nr + 1, sizeof(double));
	ix->drop_start = calloc((size_t)nr + 1, sizeof(size_t));
	ix->hom_slot = malloc(sizeof(int) * (ix->n_totcol + 1));
	ix->drop = malloc(sizeof(*ix->drop));
	ix->hom_first = calloc((size_t)ix->n_loc + 1, sizeof(int));
	ix->hom_n = calloc((size_t)ix->n_loc + 1, sizeof(int));
	if (!ix->rd || !ix->drop_start || !ix->hom_slot || !ix->drop || !ix->hom_first || !ix->hom_n)
		return km_err_set(e, KM_ENOMEM, "out of memory");
	for (int r = 0; r < nr; ++r) if ((ix->rd[r] = rd ? rd[r] : 0.0) > 0.0) any = 1;
	for (size_t k = 0; k < ix->n_totcol; ++k) ix->hom_slot[k] = -1;
	ix->n_hom = 0;
	if (!any) return 0;
	/* a locus's slots are consecutive, in column order: [hom_first[l], + hom_n[l]) */
	for (int l = 0; l < ix->n_loc; ++l) {
		ix->hom_first[l] = ix->n_hom;
		for (int k = 1; k < ix->n_col[l]; ++k) {
			size_t c = ix->col_off[l] + k;
			if (ix->col_b[c] >= 0 && ix->col_a[c] == ix->col_b[c]) ix->hom_slot[c] = ix->n_hom++;
		}
		ix->hom_n[l] = ix->n_hom - ix->hom_first[l];
	}
	size_t n = 0, m = 0;
	for (int r = 0; r < nr; ++r) {
		ix->drop_start[r] = n;
		if (ix->rd[r] <= 0.0) continue;
		double w = km_obs_drop_w(ix->rd[r]);        /* obs.h */
		uint16_t *g = ix->gidx + (size_t)r * ix->n_loc;
		for (int l = 0; l < ix->n_loc; ++l) {
			if (!g[l] || ix->hom_slot[ix->col_off[l] + g[l]] < 0) continue;
			if (n == m) {
				m = m ? 2 * m : 1024;
				struct km_drop_s *t = realloc(ix->drop, sizeof(*t) * m);
				if (!t) return km_err_set(e, KM_ENOMEM, "out of memory");
				ix->drop = t;
			}
			ix->drop[n].l = l, ix->drop[n].col = g[l], ix->drop[n++].w = w;
			g[l] = 0;
		}
	}
	ix->drop_start[nr] = n;
	return 0;
}

