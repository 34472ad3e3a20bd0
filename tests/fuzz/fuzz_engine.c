/* fuzz_engine.c — a property test of the likelihood engine (lik.c, peel.c): the input
 * bytes describe a small pedigree (2-5 persons; founders or children of earlier persons,
 * so loops and inbreeding occur), 1-3 alleles with frequencies that need not sum to 1,
 * autosomal or X, mutation matrices or none, typed persons and an untyped query person q.
 * P(data, ordered genotype of q) from km_lik_query — by default (peel where it applies,
 * else elimination), by elimination only and by peeling only — must equal the brute-force
 * sum over every ordered genotype of every person (founder frequencies x transmissions x
 * [typed persons match]; MODELS.md §2, as tests/unit/test_brute.c) to 1e-9 of the largest
 * entry, with the same exact zeros. */
#include <math.h>
#include <stdint.h>
#include "common.h"
#include "lik.h"

#define EP 5
#define EK 3

typedef struct { const uint8_t *d; size_t n, i; } rd_t;
static int next(rd_t *r) { return r->i < r->n ? r->d[r->i++] : 0; }

typedef struct {
	int n, K, xl, q, fa[EP], mo[EP], sex[EP];
	int32_t gt[2 * EP];
	double p[EK], Mm[EK * EK], Mf[EK * EK];
	int mut;
} eng_t;

static int hemi(const eng_t *c, int i) { return c->xl && c->sex[i] == KM_MALE; }

/* brute force: out[a * K + b] (q autosomal or a woman at X), out[a] (a man at X) */
static void brute(const eng_t *c, double *out)
{
	int K = c->K, nv = 0, var[2 * EP], g[EP][2], dig[2 * EP] = { 0 };
	for (int i = 0; i < K * K; ++i) out[i] = 0.0;
	for (int i = 0; i < c->n; ++i) { if (!hemi(c, i)) var[nv++] = 2 * i; var[nv++] = 2 * i + 1; }
	for (;;) {
		for (int v = 0; v < nv; ++v) g[var[v] / 2][var[v] % 2] = dig[v];
		double w = 1.0;
		for (int i = 0; i < c->n && w > 0.0; ++i) {
			int h = hemi(c, i);
			int32_t o0 = c->gt[2 * i], o1 = c->gt[2 * i + 1];
			if (o0 != KM_NOALLELE) {          /* the observed unordered genotype */
				if (h) w *= g[i][1] == o0;
				else w *= (g[i][0] == o0 && g[i][1] == o1) || (g[i][0] == o1 && g[i][1] == o0);
			}
			if (c->fa[i] < 0) {
				if (!h) w *= c->p[g[i][0]];
				w *= c->p[g[i][1]];
				continue;
			}
			int f = c->fa[i], m = c->mo[i];
			const double *Mm = c->Mm, *Mf = c->Mf;
			if (!h) {                          /* the paternal allele */
				if (c->xl) w *= c->mut ? Mm[g[f][1] * K + g[i][0]] : (g[f][1] == g[i][0]);
				else w *= 0.5 * ((c->mut ? Mm[g[f][0] * K + g[i][0]] : (g[f][0] == g[i][0])) +
				                 (c->mut ? Mm[g[f][1] * K + g[i][0]] : (g[f][1] == g[i][0])));
			}
			w *= 0.5 * ((c->mut ? Mf[g[m][0] * K + g[i][1]] : (g[m][0] == g[i][1])) +
			            (c->mut ? Mf[g[m][1] * K + g[i][1]] : (g[m][1] == g[i][1])));
		}
		if (w > 0.0) out[hemi(c, c->q) ? g[c->q][1] : g[c->q][0] * K + g[c->q][1]] += w;
		int v;
		for (v = nv - 1; v >= 0; --v) { if (++dig[v] < K) break; dig[v] = 0; }
		if (v < 0) break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rd_t r = { data, size, 0 };
	eng_t c;
	km_err_t e;
	memset(&c, 0, sizeof c);
	km_verbose = 0;
	c.n = 2 + next(&r) % (EP - 1), c.K = 1 + next(&r) % EK, c.xl = next(&r) & 1, c.mut = next(&r) & 1;
	for (int i = 0; i < c.n; ++i) {
		int b = next(&r), f = -1, m = -1;
		c.sex[i] = 1 + (b & 1);
		if (b % 3) {                           /* a child of an earlier man and woman */
			for (int j = (b >> 2) % (i + 1), t = 0; t < i; ++t, j = (j + 1) % i) if (j < i && c.sex[j] == KM_MALE) { f = j; break; }
			for (int j = (b >> 4) % (i + 1), t = 0; t < i; ++t, j = (j + 1) % i) if (j < i && c.sex[j] == KM_FEMALE) { m = j; break; }
		}
		if (f < 0 || m < 0) f = m = -1;
		c.fa[i] = f, c.mo[i] = m;
	}
	/* frequencies summing to 1: then the persons the engine prunes (untyped, no typed
	 * descendant) sum to 1 and the brute force over everyone is the definition */
	double sp = 0.0;
	for (int a = 0; a < c.K; ++a) sp += (c.p[a] = 1 + next(&r));
	for (int a = 0; a < c.K; ++a) c.p[a] /= sp;
	for (int s = 0; s < 2; ++s) {
		double *M = s ? c.Mf : c.Mm;
		for (int a = 0; a < c.K; ++a) {
			double t = 0.0;
			for (int b = 0; b < c.K; ++b) t += (M[a * c.K + b] = (a == b ? 200 : 0) + next(&r));
			for (int b = 0; b < c.K; ++b) M[a * c.K + b] /= t;
		}
	}
	c.q = next(&r) % c.n;
	for (int i = 0; i < c.n; ++i) {
		int b = next(&r);
		c.gt[2 * i] = c.gt[2 * i + 1] = KM_NOALLELE;
		if (i == c.q || b % 3 == 0) continue;
		c.gt[2 * i] = (b >> 2) % c.K;
		c.gt[2 * i + 1] = hemi(&c, i) ? KM_HEMI : (b >> 4) % c.K;
	}
	double want[EK * EK], phi[EK * EK], mx = 0.0;
	int nq = hemi(&c, c.q) ? c.K : c.K * c.K;
	brute(&c, want);
	for (int i = 0; i < nq; ++i) if (want[i] > mx) mx = want[i];
	km_locus_t L = { c.K, c.p, c.mut ? c.Mf : NULL, c.mut ? c.Mm : NULL, c.xl, NULL, NULL };
	km_lped_t P = { c.n, c.fa, c.mo, c.sex, c.gt, NULL };
	for (int eng = 0; eng <= 2; ++eng) {
		double lg;
		km_lik_engine = eng;
		int ret = km_lik_query(&L, &P, c.q, phi, &lg, &e);
		km_lik_engine = 0;
		if (eng == 2 && ret == KM_EMODEL) continue;   /* peeling does not apply (a loop) */
		if (ret != 0) __builtin_trap();
		for (int i = 0; i < nq; ++i) {
			double got = lg == KM_NEG_INF ? 0.0 : phi[i] * pow(10.0, lg);
			if ((want[i] == 0.0) != (got == 0.0) || fabs(got - want[i]) > 1e-9 * mx) __builtin_trap();
		}
	}
	return 0;
}
