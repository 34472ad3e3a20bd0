/* lin_int.h — what the lineage files share: lineage.c (build, queries, explain, the joint
 * terms' views), lin_paths.c (the closest reference on a line), lin_y.c (Y-STR) and
 * lin_mt.c (mtDNA).  It holds the private struct km_lin_s and lin_sys_t, the prototypes
 * of the functions one of them calls in another, and, static inline, the small helpers
 * that a system's inner loops and explain's loops over the database both call (log10 f,
 * the Y value code, the mtDNA regions and difference count), so that every file can
 * still inline them.  The models are in lineage.c's head comment.  Not for other stages:
 * lineage.h is their interface.
 *
 * Copyright (C) 2026 the kinmatch authors.  GPL-3.0-or-later.
 */
#ifndef KM_LIN_INT_H
#define KM_LIN_INT_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <gsl/gsl_cdf.h>
#include "kmpriv.h"
#include "lineage.h"
#include "rcrs.h"

typedef struct {
	int n_slot;                 /* chosen references */
	int *slot_of;               /* per person (pbase[f] + i): slot of its chosen reference, -1 none */
	int *k;                     /* per person: meioses to it */
	int *ref;                   /* per person: chosen reference (person index in the family) */
	int *slot_sample;           /* per slot: refs sample (Y) or mtDNA set index (mt) */
	double *logf;               /* [slot * n_rm + rm]: log10 f */
	int ncol;                   /* columns, column 0 included */
	int *rcol;                  /* per remain: column */
	int *col_rm;                /* per column: remain mask (Y) / range set (mt) id */
	int n_rm;
} lin_sys_t;

struct km_lin_s {
	int n_remain, n_fam;
	int *pbase;                 /* first per-person slot of each family */
	int y_on, mt_on;
	lin_sys_t y, m;
	/* Y */
	int n_yl;                   /* Y-STR loci: the panel's Y-STR markers, panel order */
	int *ymk;                   /* panel marker of each */
	double *ymu;                /* male mutation rate of each */
	double *ycol;               /* [(c * n_yl + l) * 2 + k]: column values, NAN untyped (c >= 1) */
	double *yslot;              /* [(slot * n_yl + l) * 2 + k]: chosen references' values */
	int16_t *yw;                /* [(2 l + k) * ncol + c]: whole part of 100 x value (INT16_MIN untyped), */
	int8_t *yf;                 /* and its hundredths: the column screen of lin_y_cand; NULL if off grid */
	/* the Y database, as bit masks and exact value codes, for the denominators */
	int n_yh;                   /* database haplotypes */
	uint64_t *yh_typed;         /* per haplotype: loci typed (bit l) */
	uint64_t *yh_code;          /* [h * n_yl + l]: exact code of the (sorted) values */
	uint16_t *yh_id;            /* [l * n_yh + h]: 1 + rank of that code among locus l's, 0 untyped */
	uint64_t *yl_codes;         /* locus l's distinct codes, sorted: yl_codes[yl_cstart[l] ..] */
	int *yl_cstart;             /* [n_yl + 1] */
	long *yh_count;             /* per haplotype: weight (the count column, else 1) */
	uint64_t yl_indb;           /* loci that are columns of the database */
	uint64_t *yr_left;          /* per remain: typed loci the database lacks (left out, issue 12 part 3) */
	uint64_t *yslot_left;       /* per Y slot: the chosen reference's typed loci the database lacks */
	int n_yleft;                /* loci left out for some remain (0: no y_left_out column) */
	uint64_t *rm_bits;          /* per remain mask: loci typed */
	long *rm_n;                 /* per remain mask: N for a reference typed at all its loci */
	int y_upper95;
	/* mt */
	km_mtset_t mt, mtdb;
	int *mcol_hap;              /* per column (c >= 1): index in mt of a remain showing it */
	double mt_rate;
};

/* ---- lin_paths.c ------------------------------------------------------------------- */

/* calloc of at least one element; sets *fail on failure */
void *lin_calloc(size_t n, size_t sz, int *fail);
/* the one-sided 95% Clopper-Pearson upper bound of x/n, 0 <= x < n (lin_paths.c) */
double lin_cp_upper95(long x, long n);
/* items with equal keys chained: head[i], next[i] (see lin_paths.c) */
int lin_chain(int n, char *const *key, uint8_t *head, int *next, km_err_t *e);
/* the chosen reference, meioses and slot of every person on the male (male_line) or
 * maternal line (see lin_paths.c) */
int lin_paths(lin_sys_t *s, const km_peds_t *peds, const int *pbase, int male_line, const uint8_t *hasv,
              const int *key, int n_key, km_err_t *e);

/* ---- lin_y.c (Y-STR) --------------------------------------------------------------- */

int lin_y_values(const km_lin_t *L, const km_freqs_t *f, const km_prof_t *pr, int s, double *v, km_err_t *e);
int lin_y_columns(km_lin_t *L, const double *rv, const uint8_t *rhas, uint8_t **cmask_out, km_err_t *e);
int lin_y_dbindex(km_lin_t *L, const km_ydb_t *db, const uint8_t *rmask, km_err_t *e);
int lin_y_cand(const km_lin_t *L, int slot, int k, double *tab, km_err_t *e);

/* ---- lin_mt.c (mtDNA) -------------------------------------------------------------- */

int lin_mt_columns(km_lin_t *L, const km_prof_t *rem, km_err_t *e);
int lin_mt_freqs(km_lin_t *L, int upper95, km_err_t *e);
int lin_mt_cand(const km_lin_t *L, int slot, int k, double *tab, km_err_t *e);

/* ---- shared inline helpers ----------------------------------------------------------- */

static inline double lin_logf(long x, long n, int upper95)
{
	if (n <= 0 || x >= n) return upper95 || n <= 0 ? 0.0 : log10((x + 1.0) / (n + 1.0));
	if (upper95) return log10(lin_cp_upper95(x, n));
	return log10((x + 1.0) / (n + 1.0));
}

static inline int cmp_dbl(double a, double b)
{
	int na = isnan(a), nb = isnan(b);
	if (na || nb) return na - nb; /* NAN (absent) after any value */
	return a < b ? -1 : a > b;
}

/* An exact code of a locus's sorted values (repeat numbers have at most two decimals). */
static inline uint64_t y_code(const double *v)
{
	uint64_t a = (uint64_t)(uint32_t)(lround(v[0] * 100.0) + 1000);
	uint64_t b = isnan(v[1]) ? 0xffffffffu : (uint64_t)(uint32_t)(lround(v[1] * 100.0) + 1000);
	return a << 32 | b;
}

/* mtDNA regions and differences (lin_mt.c; explain in lineage.c) */
typedef struct { int n; int (*iv)[2]; } mt_reg_t; /* a set of positions as sorted disjoint intervals */

static inline int reg_has(const mt_reg_t *r, int pos)
{
	int i;
	for (i = 0; i < r->n; ++i) {
		if (pos < r->iv[i][0]) return 0;
		if (pos <= r->iv[i][1]) return 1;
	}
	return 0;
}

/* r = ranges(a) intersected with ranges(b); r->iv holds a->n_range + b->n_range entries. */
static inline void reg_isect(const km_mthap_t *a, const km_mthap_t *b, mt_reg_t *r)
{
	int i = 0, j = 0;
	r->n = 0;
	while (i < a->n_range && j < b->n_range) {
		int lo = a->range[i][0] > b->range[j][0] ? a->range[i][0] : b->range[j][0];
		int hi = a->range[i][1] < b->range[j][1] ? a->range[i][1] : b->range[j][1];
		if (lo <= hi) r->iv[r->n][0] = lo, r->iv[r->n++][1] = hi;
		if (a->range[i][1] < b->range[j][1]) ++i;
		else ++j;
	}
}

/* 1 if every position of r is in h's range */
static inline int reg_covered(const mt_reg_t *r, const km_mthap_t *h)
{
	int i, j = 0;
	for (i = 0; i < r->n; ++i) {
		while (j < h->n_range && h->range[j][1] < r->iv[i][0]) ++j;
		if (j == h->n_range || h->range[j][0] > r->iv[i][0] || h->range[j][1] < r->iv[i][1]) return 0;
	}
	return 1;
}

/* C-stretch length heteroplasmy (issue 3): insertions here are ignored */
static inline int mt_cstretch(int pos) { return (pos >= 303 && pos <= 315) || (pos >= 16184 && pos <= 16193); }

static inline int var_cmp(const km_mtvar_t *a, const km_mtvar_t *b)
{
	if (a->pos != b->pos) return a->pos < b->pos ? -1 : 1;
	return a->ins < b->ins ? -1 : a->ins > b->ins;
}

/* Differences between haplotypes a and b over region r (issue 3, "States",
 * "Insertions"); stops counting at `stop` (d >= stop is all the caller needs). */
static inline int mt_diff(const km_mthap_t *a, const km_mthap_t *b, const mt_reg_t *r, int stop)
{
	int i = 0, j = 0, d = 0;
	while ((i < a->n_var || j < b->n_var) && d < stop) {
		const km_mtvar_t *va = i < a->n_var ? &a->var[i] : NULL, *vb = j < b->n_var ? &b->var[j] : NULL, *v;
		int c = va && vb ? var_cmp(va, vb) : va ? -1 : 1;
		v = c <= 0 ? va : vb;
		if (reg_has(r, v->pos) && !(v->ins > 0 && mt_cstretch(v->pos))) {
			if (v->ins > 0) { /* an inserted base: in one only, or with disjoint bases */
				if (c != 0 || (km_mt_bases(va->base) & km_mt_bases(vb->base)) == 0) ++d;
			} else {
				char sa = c <= 0 ? va->base : km_rcrs[v->pos - 1];
				char sb = c >= 0 ? vb->base : km_rcrs[v->pos - 1];
				if ((km_mt_bases(sa) & km_mt_bases(sb)) == 0) ++d;
			}
		}
		if (c <= 0) ++i;
		if (c >= 0) ++j;
	}
	return d;
}

#endif
