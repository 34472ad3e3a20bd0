/* test_peel.c — the peeling engine (peel.c) against variable elimination (lik.c).
 *
 * Random loop-free pedigrees grown the way families are (children of a couple, a child
 * with a new spouse, parents added above a founder), up to 14 persons, 1-7 alleles,
 * random stochastic mutation matrices (different for fathers and mothers) or none,
 * autosomal and X, random typed persons and query person, frequencies summing to 1 or
 * not.  Both engines must give
 * P(data, genotype of q) to 1e-10 relative, and the same exact zeros.  Pedigrees with
 * loops must be refused by the peeler (returns 1) and still be answered by the default
 * engine.  A second part times nothing: it only counts that the peeler did apply. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kmpriv.h"
#include "lik.h"
#include "check.h"


#define MAXP 14
#define MAXN 7

static unsigned long long rs = 0x9E3779B97F4A7C15ULL;
static double urand(void) { rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17; return (double)(rs >> 11) / 9007199254740992.0; }
static int irand(int n) { return (int)(urand() * n); }

typedef struct {
	int n, fa[MAXP], mo[MAXP], sex[MAXP];
	int32_t gt[2 * MAXP];
} ped_t;

static int add(ped_t *p, int fa, int mo, int sex)
{
	p->fa[p->n] = fa, p->mo[p->n] = mo, p->sex[p->n] = sex;
	return p->n++;
}

static int has_child(const ped_t *p, int i)
{
	for (int c = 0; c < p->n; ++c) if (p->fa[c] == i || p->mo[c] == i) return 1;
	return 0;
}

/* a tree: every step adds one family edge to a new person */
static void grow_tree(ped_t *p, int target)
{
	p->n = 0;
	int F = add(p, -1, -1, KM_MALE), M = add(p, -1, -1, KM_FEMALE);
	add(p, F, M, 1 + irand(2));
	while (p->n < target) {
		int op = irand(3), x = irand(p->n);
		if (op == 0) {                         /* another child of x's parents */
			if (p->fa[x] < 0) continue;
			add(p, p->fa[x], p->mo[x], 1 + irand(2));
		} else if (op == 1 && p->n + 2 <= target) {   /* x marries a newcomer, one child */
			int s = add(p, -1, -1, p->sex[x] == KM_MALE ? KM_FEMALE : KM_MALE);
			int f = p->sex[x] == KM_MALE ? x : s, m = p->sex[x] == KM_MALE ? s : x;
			add(p, f, m, 1 + irand(2));
		} else if (op == 2 && p->n + 2 <= target && p->fa[x] < 0) {
			/* parents above a founder who has no spouse-family with a founder... keep
			 * it a tree: x must not already have parents */
			int a = add(p, -1, -1, KM_MALE), b = add(p, -1, -1, KM_FEMALE);
			p->fa[x] = a, p->mo[x] = b;
		}
	}
}

/* The memorial's shapes (kinmatch simulate): the missing person M (returned), his or her
 * parents' other children or their descendants typed, untyped connectors and spouses.
 * These reach the peeler's closed forms (sibling kernel, one-child parent), which random
 * trees seldom do. */
static int shape_ped(ped_t *p, int shape, int k)
{
	p->n = 0;
	int F = add(p, -1, -1, KM_MALE), Mo = add(p, -1, -1, KM_FEMALE), M = -1, A, W, i;
	switch (shape) {
	case 0:   /* siblings */
		M = add(p, F, Mo, 1 + irand(2));
		for (i = 0; i < k; ++i) add(p, F, Mo, 1 + irand(2));
		break;
	case 1:   /* nephews / nieces through a brother or a sister */
		M = add(p, F, Mo, 1 + irand(2));
		A = add(p, F, Mo, 1 + irand(2)), W = add(p, -1, -1, p->sex[A] == KM_MALE ? KM_FEMALE : KM_MALE);
		for (i = 0; i < k; ++i) add(p, p->sex[A] == KM_MALE ? A : W, p->sex[A] == KM_MALE ? W : A, 1 + irand(2));
		break;
	case 2: { /* grand-nephews */
		M = add(p, F, Mo, 1 + irand(2));
		A = add(p, F, Mo, KM_MALE), W = add(p, -1, -1, KM_FEMALE);
		int N = add(p, A, W, KM_MALE), W2 = add(p, -1, -1, KM_FEMALE);
		for (i = 0; i < k; ++i) add(p, N, W2, 1 + irand(2));
		break;
	}
	case 3: { /* first cousins */
		int P = add(p, F, Mo, KM_MALE), Q = add(p, -1, -1, KM_FEMALE);
		M = add(p, P, Q, 1 + irand(2));
		A = add(p, F, Mo, KM_FEMALE), W = add(p, -1, -1, KM_MALE);
		for (i = 0; i < k; ++i) add(p, W, A, 1 + irand(2));
		break;
	}
	default:  /* half-siblings */
		M = add(p, F, Mo, 1 + irand(2));
		W = add(p, -1, -1, KM_FEMALE);
		for (i = 0; i < k; ++i) add(p, F, W, 1 + irand(2));
		break;
	}
	return M;
}

static void rand_stoch(double *M, int n, double rate)
{
	for (int a = 0; a < n; ++a) {
		double s = 0.0;
		for (int b = 0; b < n; ++b) if (b != a) s += (M[a * n + b] = urand());
		for (int b = 0; b < n; ++b) if (b != a) M[a * n + b] = s > 0 ? rate * M[a * n + b] / s : 0.0;
		M[a * n + a] = n > 1 ? 1.0 - rate : 1.0;
	}
}

/* P(data, q = g) from one engine, as log10 per entry (-inf for 0) */
static int query(int engine, const km_locus_t *L, const km_lped_t *P, int q, double *out, km_err_t *e)
{
	double phi[MAXN * MAXN], lg;
	km_lik_engine = engine;
	int ret = km_lik_query(L, P, q, phi, &lg, e);
	km_lik_engine = 0;
	if (ret < 0) return ret;
	int nq = L->xlinked && P->sex[q] == KM_MALE ? L->n : L->n * L->n;
	for (int i = 0; i < nq; ++i) out[i] = (lg == KM_NEG_INF || phi[i] <= 0.0) ? KM_NEG_INF : log10(phi[i]) + lg;
	return nq;
}

int main(void)
{
	int applied = 0, refused_loops = 0, bad = 0, cases = 0;
	double worst = 0.0;
	km_err_t e;
	(void)tmpdir;
	for (int it = 0; it < 3000; ++it) {
		ped_t p;
		int shaped = it % 4 == 1, q_shape = -1;
		if (shaped) q_shape = shape_ped(&p, irand(5), 1 + irand(4));
		else grow_tree(&p, 3 + irand(MAXP - 2));
		int loop = it % 8 == 7;                  /* never a shape (it % 4 == 1) */
		if (loop) {   /* a marriage between two descendants: a loop (or inbreeding) */
			int x = -1, y = -1;
			for (int i = 0; i < p.n; ++i) if (p.fa[i] >= 0 && p.sex[i] == KM_MALE) x = i;
			for (int i = 0; i < p.n; ++i) if (p.fa[i] >= 0 && p.sex[i] == KM_FEMALE) y = i;
			if (x < 0 || y < 0 || p.n >= MAXP) loop = 0;
			else add(&p, x, y, 1 + irand(2));
		}
		int n = 1 + irand(MAXN), xl = urand() < 0.3;
		double pf[MAXN], Mf[MAXN * MAXN], Mm[MAXN * MAXN], s = 0.0;
		for (int a = 0; a < n; ++a) s += (pf[a] = 0.05 + urand());
		/* a third of the tables do not sum to 1 (published tables sum to 0.98-1.02): the
		 * sibling kernel's S_p and every founder sum must use the frequencies as given */
		double target = it % 3 == 0 ? 0.9 + 0.2 * urand() : 1.0;
		for (int a = 0; a < n; ++a) pf[a] *= target / s;
		int mut = urand() < 0.7;
		rand_stoch(Mf, n, 0.002 + 0.2 * urand());
		rand_stoch(Mm, n, 0.002 + 0.2 * urand());
		km_locus_t L = { n, pf, mut ? Mf : NULL, mut ? Mm : NULL, xl, NULL, NULL };
		int q = shaped ? q_shape : irand(p.n);
		for (int i = 0; i < p.n; ++i) {
			/* the shapes: the last persons are the references, the rest untyped */
			int typed = i != q && (shaped ? p.fa[i] >= 0 && i > q && !has_child(&p, i) : urand() < 0.55);
			p.gt[2 * i] = p.gt[2 * i + 1] = KM_NOALLELE;
			if (!typed) continue;
			p.gt[2 * i] = irand(n);
			p.gt[2 * i + 1] = xl && p.sex[i] == KM_MALE ? KM_HEMI : irand(n);
		}
		km_lped_t P = { p.n, p.fa, p.mo, p.sex, p.gt, NULL };
		double a[MAXN * MAXN], b[MAXN * MAXN];
		int na = query(1, &L, &P, q, a, &e);
		if (na < 0) { printf("FAIL elimination: %s\n", e.msg); ++bad; continue; }
		int nb = query(2, &L, &P, q, b, &e);
		if (nb < 0) {
			if (loop) ++refused_loops;
			else { printf("FAIL peel refused a tree (case %d): %s\n", it, e.msg); ++bad; }
			continue;
		}
		++applied, ++cases;
		for (int i = 0; i < na; ++i) {
			if (a[i] == KM_NEG_INF || b[i] == KM_NEG_INF) {
				/* exact zeros agree, unless the other is a rounding residue far below */
				if (a[i] != b[i]) { printf("FAIL case %d entry %d: %g vs %g\n", it, i, a[i], b[i]); ++bad; break; }
				continue;
			}
			double d = fabs(a[i] - b[i]);
			if (d > worst) worst = d;
			if (d > 1e-10) { printf("FAIL case %d entry %d: log10 %.15g vs %.15g\n", it, i, a[i], b[i]); ++bad; break; }
		}
		/* the default engine answers loops too */
		if (loop) {
			int nd = query(0, &L, &P, q, b, &e);
			if (nd < 0) { printf("FAIL default engine on a loop: %s\n", e.msg); ++bad; }
		}
	}
	printf("# peel applied on %d cases, refused %d loops, worst |dlog10| %.3g\n", applied, refused_loops, worst);
	check(bad == 0, "peeling = variable elimination on random loop-free pedigrees (autosomal, X, mutation)");
	check(applied > 2600, "peeling applies to every loop-free pedigree");
	check(refused_loops > 100, "peeling refuses pedigrees with loops");
	/* flog.c: log10 of arrays, within 4 ulp of libm over the normal range, libm's
	 * answers at zero, subnormals, infinity */
	{
		enum { NX = 200000 };
		static double x[NX], y[NX];
		double worst_ulp = 0.0;
		for (int i = 0; i < NX; ++i) {
			double u = urand();
			x[i] = i % 3 == 0 ? pow(10.0, -307.0 + 615.0 * u) : i % 3 == 1 ? 1.0 + (u - 0.5) * 1e-4 : 0.5 + 1.5 * u;
		}
		x[0] = 0.0, x[1] = 1.0, x[2] = 10.0, x[3] = 2.2250738585072014e-308 / 8, x[4] = HUGE_VAL, x[5] = 1e-310;
		x[6] = 2.0, x[7] = 1e-300, x[8] = 1.4142135623730951, x[9] = 1.4142135623730949;
		km_log10_vec(x, y, NX);
		int specials = y[0] == -HUGE_VAL && y[1] == 0.0 && y[3] == log10(x[3]) && y[4] == HUGE_VAL && y[5] == log10(x[5]);
		for (int i = 0; i < NX; ++i) {
			double r = log10(x[i]);
			if (r == y[i] || isinf(r)) continue;
			double ulp = fabs(r - y[i]) / (nextafter(fabs(r), HUGE_VAL) - fabs(r));
			if (ulp > worst_ulp) worst_ulp = ulp;
		}
		printf("# km_log10_vec: worst %.2f ulp\n", worst_ulp);
		check(specials, "km_log10_vec: zero, subnormals, infinity as libm");
		check(worst_ulp <= 8.0, "km_log10_vec within 8 ulp of libm log10");
	}
	printf("%d passed, %d failed\n", n_ok, n_fail);
	return n_fail != 0;
}
