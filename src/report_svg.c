/* report_svg.c — the report's drawings, as inline SVG written by kinmatch (issue 13).
 *
 * Plots: the distribution of each remain's best log10 LR, best log10 LR against the
 * margin to the second candidate, and the loci compared per remain.  Pedigrees in the
 * standard symbols (Bennett et al. 2008, "Standardized human pedigree nomenclature",
 * J Genet Couns 17:424; as pedtools and Familias draw them): squares men, circles women,
 * one row per generation, a horizontal line joining a couple, a vertical line down to
 * the sibship line over their children.  References are shaded and carry their sample
 * ids; untyped connectors are empty; the missing person is drawn with a thick red
 * outline and "?", and the candidate missing person carries the remain placed there.
 *
 * Layout of a pedigree: generation = 1 + the deeper parent's, founders who married in
 * moved down to their partner's row; within a row, persons in order of their parents'
 * position (left to right), a partner next to the person, then placed left to right at
 * their parents' midpoint where room allows.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kmpriv.h"
#include "report.h"

/* ---- plots ----------------------------------------------------------------------------- */

#define PW 460      /* plot width, height, margins */
#define PH 250
#define ML 48
#define MR 12
#define MT 28
#define MB 40

static void svg_open(kstring_t *s, const char *title, const char *label)
{
	ksprintf(s, "<svg class=\"plot\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"", PW, PH, PW, PH);
	rp_esc(s, label);
	ksprintf(s, "\">\n<text x=\"%d\" y=\"16\" class=\"pt\">", ML);
	rp_esc(s, title);
	kputs("</text>\n", s);
}

/* axes: x from x0 to x1, y from 0 to y1; ticks at "nice" steps */
static double nice_step(double span, int n)
{
	double raw = span / n, p = pow(10.0, floor(log10(raw))), f = raw / p;
	return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

static double sx(double x, double x0, double x1) { return ML + (x - x0) / (x1 - x0) * (PW - ML - MR); }
static double sy(double y, double y0, double y1) { return PH - MB - (y - y0) / (y1 - y0) * (PH - MT - MB); }

static void axes(kstring_t *s, double x0, double x1, double y0, double y1, const char *xl, const char *yl)
{
	ksprintf(s, "<line class=\"ax\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", ML, PH - MB, PW - MR, PH - MB);
	ksprintf(s, "<line class=\"ax\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n", ML, MT, ML, PH - MB);
	double st = nice_step(x1 - x0, 8);
	for (double v = ceil(x0 / st) * st; v <= x1 + 1e-9; v += st)
		ksprintf(s, "<line class=\"tk\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/><text class=\"tl\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g</text>",
		         sx(v, x0, x1), PH - MB, sx(v, x0, x1), PH - MB + 4, sx(v, x0, x1), PH - MB + 15, fabs(v) < 1e-9 ? 0.0 : v);
	st = nice_step(y1 - y0, 5);
	for (double v = ceil(y0 / st) * st; v <= y1 + 1e-9; v += st)
		ksprintf(s, "<line class=\"gr\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/><text class=\"tl\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>",
		         ML, sy(v, y0, y1), PW - MR, sy(v, y0, y1), ML - 4, sy(v, y0, y1) + 3, fabs(v) < 1e-9 ? 0.0 : v);
	kputc('\n', s);
	ksprintf(s, "<text class=\"al\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">", (ML + PW - MR) / 2, PH - 6);
	rp_esc(s, xl);
	ksprintf(s, "</text><text class=\"al\" transform=\"translate(12 %d) rotate(-90)\" text-anchor=\"middle\">", (MT + PH - MB) / 2);
	rp_esc(s, yl);
	kputs("</text>\n", s);
}

/* a histogram of v[0..n) (NAN skipped; -inf and values beyond [lo, hi] in the edge bins);
 * bins from `mark` up drawn as "strong" */
static void hist(kstring_t *s, const double *v, int n, double lo, double hi, double w, double mark,
                 const char *title, const char *xl)
{
	int nb = (int)ceil((hi - lo) / w), *cnt = calloc((size_t)nb + 1, sizeof(int)), mx = 1, nv = 0;
	if (!cnt) return;
	for (int i = 0; i < n; ++i) {
		if (isnan(v[i])) continue;
		int b = v[i] == KM_NEG_INF ? 0 : (int)floor((v[i] - lo) / w);
		if (b < 0) b = 0;
		if (b >= nb) b = nb - 1;
		if (++cnt[b] > mx) mx = cnt[b];
		++nv;
	}
	char label[256];
	snprintf(label, sizeof label, "%s: %d remains", title, nv);
	svg_open(s, title, label);
	double ymax = mx * 1.08;
	axes(s, lo, lo + nb * w, 0, ymax, xl, "remains");
	for (int b = 0; b < nb; ++b) {
		if (!cnt[b]) continue;
		double x0 = sx(lo + b * w, lo, lo + nb * w), x1 = sx(lo + (b + 1) * w, lo, lo + nb * w), y = sy(cnt[b], 0, ymax);
		ksprintf(s, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"><title>%g to %g: %d</title></rect>",
		         !isnan(mark) && lo + b * w >= mark ? "bs" : "bw", x0 + 0.5, y, x1 - x0 - 1, PH - MB - y, lo + b * w, lo + (b + 1) * w, cnt[b]);
	}
	if (!isnan(mark) && mark > lo && mark < lo + nb * w)
		ksprintf(s, "\n<line class=\"mk\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/><text class=\"tl\" x=\"%.1f\" y=\"%d\">LR 10^%g</text>",
		         sx(mark, lo, lo + nb * w), MT, sx(mark, lo, lo + nb * w), PH - MB, sx(mark, lo, lo + nb * w) + 3, MT + 8, mark);
	kputs("\n</svg>\n", s);
	free(cnt);
}

static void best_range(const rp_run_t *R, double *lo, double *hi)
{
	double a = 0, b = 4;
	for (int i = 0; i < R->n_remain; ++i) {
		double x = R->r[i].best;
		if (isnan(x) || isinf(x)) continue;
		if (x < a) a = x;
		if (x > b) b = x;
	}
	if (a < -20) a = -20;   /* the rest goes into the edge bin */
	if (b > 80) b = 80;
	*lo = 2 * floor(a / 2), *hi = 2 * ceil(b / 2 + 1e-9);
}

void rp_svg_best_hist(kstring_t *s, const rp_run_t *R)
{
	double *v = malloc(sizeof(double) * (R->n_remain + 1)), lo, hi;
	if (!v) return;
	for (int i = 0; i < R->n_remain; ++i) v[i] = R->r[i].best;
	best_range(R, &lo, &hi);
	hist(s, v, R->n_remain, lo, hi, 2.0, 4.0, "Best log10 LR per remain", "log10 LR of the rank-1 candidate (bins of 2)");
	free(v);
}

void rp_svg_loci(kstring_t *s, const rp_run_t *R)
{
	double *v = malloc(sizeof(double) * (R->n_remain + 1));
	int mx = 10;
	if (!v) return;
	for (int i = 0; i < R->n_remain; ++i) {
		v[i] = R->r[i].loci >= 0 ? R->r[i].loci : (double)NAN;
		if (R->r[i].loci > mx) mx = R->r[i].loci;
	}
	double w = mx > 100 ? 10 : 5;
	hist(s, v, R->n_remain, 0, w * ceil((mx + 1) / w), w, (double)NAN, "Loci compared per remain",
	     "loci typed in the remain and by the rank-1 family (degradation)");
	free(v);
}

void rp_svg_margin(kstring_t *s, const rp_run_t *R)
{
	double lo, hi, ym = 4;
	best_range(R, &lo, &hi);
	for (int i = 0; i < R->n_remain; ++i) {
		double m = R->r[i].best - R->r[i].second;
		if (isfinite(m) && m > ym) ym = m;
	}
	if (ym > 80) ym = 80;
	ym = 2 * ceil(ym / 2 + 1e-9);
	svg_open(s, "Best log10 LR and its margin over the second candidate",
	         "scatter plot: one dot per remain, best log10 LR against the margin to the rank-2 candidate");
	axes(s, lo, hi, 0, ym, "log10 LR of the rank-1 candidate", "rank 1 minus rank 2 (log10)");
	ksprintf(s, "<line class=\"mk\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>", sx(4, lo, hi), MT, sx(4, lo, hi), PH - MB);
	ksprintf(s, "<line class=\"mk\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>\n", ML, sy(4, 0, ym), PW - MR, sy(4, 0, ym));
	for (int i = 0; i < R->n_remain; ++i) {
		const rp_remain_t *r = &R->r[i];
		if (!isfinite(r->best)) continue;
		double m = isfinite(r->second) ? r->best - r->second : ym;   /* no rival (or excluded): at the top */
		double x = r->best < lo ? lo : r->best > hi ? hi : r->best;
		if (m > ym) m = ym;
		ksprintf(s, "<circle class=\"c%d\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.6\"><title>", r->conc, sx(x, lo, hi), sy(m, 0, ym));
		rp_esc(s, r->id);
		ksprintf(s, ": %.2f, margin %.2f</title></circle>", r->best, m);
	}
	kputs("\n</svg>\n", s);
}

/* ---- pedigree -------------------------------------------------------------------------- */

#define PSZ 30      /* symbol size */
#define PDX 84      /* horizontal slot */
#define PDY 96      /* generation rows */

typedef struct { int gen; double x, key; int order; } pnode_t;

static int cmp_node(const void *a, const void *b, void *ndp)
{
	const pnode_t *nd = ndp, *x = &nd[*(const int *)a], *y = &nd[*(const int *)b];
	if (x->gen != y->gen) return x->gen < y->gen ? -1 : 1;
	if (x->key != y->key) return x->key < y->key ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

void rp_svg_pedigree(kstring_t *s, const km_family_t *F, const char *missing, const char *remain)
{
	int n = F->n_person;
	pnode_t *nd = calloc((size_t)n + 1, sizeof *nd);
	int *ord = malloc(sizeof(int) * ((size_t)n + 1)), *partner = malloc(sizeof(int) * ((size_t)n + 1));
	if (!nd || !ord || !partner) { free(nd); free(ord); free(partner); return; }
	/* generations: children below the deeper parent; married-in founders at their
	 * partner's row (a few passes reach the fixed point of any valid pedigree) */
	for (int it = 0; it < 2 * n + 2; ++it) {
		int ch = 0;
		for (int i = 0; i < n; ++i) {
			const km_person_t *p = &F->person[i];
			int g = nd[i].gen;
			if (p->father >= 0) {
				int pg = nd[p->father].gen > nd[p->mother].gen ? nd[p->father].gen : nd[p->mother].gen;
				g = pg + 1;
			}
			if (g != nd[i].gen) nd[i].gen = g, ch = 1;
		}
		for (int i = 0; i < n; ++i) {   /* a founder parent goes down to one row above its shallowest child */
			const km_person_t *p = &F->person[i];
			if (p->father >= 0) continue;
			int best = -1;
			for (int c = 0; c < n; ++c)
				if (F->person[c].father == i || F->person[c].mother == i)
					if (best < 0 || nd[c].gen - 1 < best) best = nd[c].gen - 1;
			if (best > nd[i].gen) nd[i].gen = best, ch = 1;
		}
		if (!ch) break;
	}
	/* a partner: the other parent of the person's first child */
	for (int i = 0; i < n; ++i) {
		partner[i] = -1;
		for (int c = 0; c < n && partner[i] < 0; ++c) {
			if (F->person[c].father == i) partner[i] = F->person[c].mother;
			else if (F->person[c].mother == i) partner[i] = F->person[c].father;
		}
	}
	int maxg = 0;
	for (int i = 0; i < n; ++i) if (nd[i].gen > maxg) maxg = nd[i].gen;
	/* order within each row, row by row from the top: by the parents' midpoint, a
	 * married-in founder just after its partner; then x left to right */
	double width = 0;
	for (int g = 0; g <= maxg; ++g) {
		int k = 0;
		for (int i = 0; i < n; ++i) {
			nd[i].order = i;
			if (nd[i].gen != g) continue;
			const km_person_t *p = &F->person[i];
			if (p->father >= 0) nd[i].key = (nd[p->father].x + nd[p->mother].x) / 2 + 1e-6 * i;   /* siblings in file order */
			else nd[i].key = g == 0 ? i : 1e9 + i;   /* married in: placed by the partner below */
			ord[k++] = i;
		}
		for (int j = 0; j < k; ++j) {
			int i = ord[j], q = partner[i];
			if (F->person[i].father < 0 && g > 0 && q >= 0 && nd[q].gen == g && F->person[q].father >= 0)
				nd[i].key = nd[q].key + 1e-8 * (1 + i);   /* right after the partner, before the partner's next sibling */
		}
		qsort_r(ord, (size_t)k, sizeof(int), cmp_node, nd);
		/* founders of the top row: keep couples together */
		if (g == 0)
			for (int j = 0; j + 1 < k; ++j) {
				int q = partner[ord[j]];
				if (q < 0) continue;
				for (int t = j + 2; t < k; ++t)
					if (ord[t] == q) { memmove(ord + j + 2, ord + j + 1, sizeof(int) * (size_t)(t - j - 1)); ord[j + 1] = q; break; }
			}
		double prev = -1e9;
		for (int j = 0; j < k; ++j) {
			int i = ord[j];
			double want = prev + PDX;
			if (g > 0 && F->person[i].father >= 0) {   /* the sibship centred under its parents */
				int ns = 0, si = 0;
				for (int t = 0; t < k; ++t)
					if (F->person[ord[t]].father == F->person[i].father && F->person[ord[t]].mother == F->person[i].mother) {
						if (t < j) ++si;
						++ns;
					}
				want = nd[i].key + (si - (ns - 1) / 2.0) * PDX;
			}
			if (F->person[i].father < 0 && g > 0 && j > 0 && partner[i] == ord[j - 1]) want = prev + PDX;
			nd[i].x = want > prev + PDX ? want : prev + PDX;
			if (j == 0 && g == 0) nd[i].x = 0;
			prev = nd[i].x;
		}
	}
	double xmin = 1e18, xmax = -1e18;
	for (int i = 0; i < n; ++i) { if (nd[i].x < xmin) xmin = nd[i].x; if (nd[i].x > xmax) xmax = nd[i].x; }
	width = xmax - xmin + 2 * PDX;
	double H = (maxg + 1) * PDY + 40, off = PDX - xmin;
#define X(i) (nd[i].x + off)
#define Y(i) (nd[i].gen * PDY + 40.0)
	ksprintf(s, "<svg class=\"ped\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\" aria-label=\"pedigree of family ",
	         width, H, width, H);
	rp_esc(s, F->id);
	kputs("\">\n", s);
	/* lines first: couple, drop, sibship, children */
	for (int i = 0; i < n; ++i) {
		const km_person_t *p = &F->person[i];
		if (p->father < 0) continue;
		int fa = p->father, mo = p->mother, first = 1;
		for (int c = 0; c < i; ++c) if (F->person[c].father == fa && F->person[c].mother == mo) first = 0;
		if (!first) continue;   /* one set of lines per couple */
		double mx = (X(fa) + X(mo)) / 2, cy = (Y(fa) + Y(mo)) / 2, lo = 1e18, hi = -1e18;
		double sib = (nd[i].gen * PDY + 40.0) - PSZ / 2.0 - 18;
		ksprintf(s, "<line class=\"pl\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", X(fa), Y(fa), X(mo), Y(mo));
		for (int c = 0; c < n; ++c) {
			if (F->person[c].father != fa || F->person[c].mother != mo) continue;
			if (X(c) < lo) lo = X(c);
			if (X(c) > hi) hi = X(c);
			ksprintf(s, "<line class=\"pl\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", X(c), sib, X(c), Y(c) - PSZ / 2.0);
		}
		if (mx < lo) lo = mx;
		if (mx > hi) hi = mx;
		ksprintf(s, "<line class=\"pl\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", mx, cy, mx, sib);
		ksprintf(s, "<line class=\"pl\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", lo, sib, hi, sib);
	}
	for (int i = 0; i < n; ++i) {
		const km_person_t *p = &F->person[i];
		int cand = p->role == KM_ROLE_MISSING && missing && strcmp(p->id, missing) == 0;
		const char *cls = p->role == KM_ROLE_REFERENCE ? "ref" : p->role == KM_ROLE_MISSING ? (cand ? "mis cand" : "mis") : "unt";
		ksprintf(s, "<g class=\"person %s\" data-id=\"", cls);
		rp_esc(s, p->id);
		ksprintf(s, "\" data-role=\"%s\"><title>", p->role == KM_ROLE_REFERENCE ? "reference" : p->role == KM_ROLE_MISSING ? "missing" : "untyped");
		rp_esc(s, p->id);
		ksprintf(s, " (%s, %s)</title>", p->sex == KM_MALE ? "man" : "woman",
		         p->role == KM_ROLE_REFERENCE ? "reference, typed" : p->role == KM_ROLE_MISSING ? "missing" : "untyped");
		if (p->sex == KM_MALE)
			ksprintf(s, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%d\"/>", X(i) - PSZ / 2.0, Y(i) - PSZ / 2.0, PSZ, PSZ);
		else ksprintf(s, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\"/>", X(i), Y(i), PSZ / 2.0);
		if (p->role == KM_ROLE_MISSING) ksprintf(s, "<text class=\"q\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">?</text>", X(i), Y(i) + 6);
		ksprintf(s, "<text class=\"pid\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", X(i), Y(i) + PSZ / 2.0 + 13);
		rp_esc(s, p->id);
		kputs("</text>", s);
		if (cand && remain) {
			ksprintf(s, "<text class=\"rem\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">= ", X(i), Y(i) + PSZ / 2.0 + 26);
			rp_esc(s, remain);
			kputs("?</text>", s);
		}
		kputs("</g>\n", s);
	}
	kputs("</svg>\n", s);
#undef X
#undef Y
	free(nd); free(ord); free(partner);
}
