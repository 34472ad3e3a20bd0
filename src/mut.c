/* mut.c — STR mutation models -> per-marker, per-sex transition matrices.
 *
 * M[i*n + j] = P(a parent's allele i is transmitted as allele j), rows sum to 1.
 * The allele list is the marker's full allele table (frequency rows, then any allele
 * a profile added at --min-freq), as pedmut builds its matrices over the frequency
 * table.  Definitions follow pedmut 0.9.1 R/mutationMatrix.R and Familias 2.6.4
 * R/FamiliasLocus.R, written out in shared/oracle-cases/MODELS.md section 3:
 *   equal         M_ii = 1-r, M_ij = r/(n-1)                      (Egeland et al. 2016, 4.3)
 *   proportional  M = (1-a) I + a 1 p^T,  a = r / sum_k p_k (1-p_k)  (stationary)
 *   stepwise      Familias' extended stepwise model: within a microvariant class
 *                 M_ij ∝ R^|x_i-x_j| with total r; r2 spread uniformly over other classes.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kmpriv.h"
#include "lik.h"

static void mut_identity(double *M, int n)
{
	memset(M, 0, sizeof(double) * (size_t)n * n);
	for (int i = 0; i < n; ++i) M[(size_t)i * n + i] = 1.0;
}

/* Parses allele labels as numbers the way pedmut does: x = round(as.numeric(l), 2),
 * at most one decimal.  Class g = round-half-even((x - round-half-even(x)) * 10):
 * R's round() is IEC 60559 round-half-to-even, so rint(), not round(). */
int km_mut_stepwise_values(const km_alleles_t *al, const char *marker, double *x, int *g, km_err_t *e)
{
	for (int i = 0; i < al->n_allele; ++i) {
		double v;
		if (km_parse_double(al->label[i], &v) < 0)
			return km_err_set(e, KM_EMODEL, "marker '%s': stepwise mutation needs numeric alleles, got '%s'",
			                  marker, al->label[i]);
		v = nearbyint(v * 100.0) / 100.0;
		if (fabs(nearbyint(v * 10.0) / 10.0 - v) > 1e-9)
			return km_err_set(e, KM_EMODEL, "marker '%s': microvariant '%s' must have one decimal for the stepwise model",
			                  marker, al->label[i]);
		x[i] = v;
		g[i] = (int)nearbyint((v - nearbyint(v)) * 10.0);
	}
	return 0;
}

int km_mut_matrix(int model, const km_alleles_t *al, const char *marker, double r, double range,
                  double r2, double *M, km_err_t *e)
{
	int n = al->n_allele;
	mut_identity(M, n);
	if (model == KM_MUT_NONE || n <= 1 || (r == 0.0 && (model != KM_MUT_STEPWISE || r2 == 0.0))) return 0;
	if (model == KM_MUT_EQUAL) {
		for (int i = 0; i < n; ++i)
			for (int j = 0; j < n; ++j)
				M[(size_t)i * n + j] = i == j ? 1.0 - r : r / (n - 1);
	} else if (model == KM_MUT_PROPORTIONAL) {
		double h = 0.0, s2 = 0.0, pmin = 1.0;
		for (int k = 0; k < n; ++k) {
			h += al->p[k] * (1.0 - al->p[k]);
			s2 += al->p[k] * al->p[k];
			if (al->p[k] < pmin) pmin = al->p[k];
		}
		/* pedmut .proportional: the matrix has no negative entries only if r is small enough */
		if (h <= 0.0 || r > (1.0 - s2) / (1.0 - pmin))
			return km_err_set(e, KM_EMODEL, "marker '%s': mutation rate %g too high for the proportional model (max %g)",
			                  marker, r, h <= 0.0 ? 0.0 : (1.0 - s2) / (1.0 - pmin));
		double a = r / h;
		for (int i = 0; i < n; ++i)
			for (int j = 0; j < n; ++j)
				M[(size_t)i * n + j] = a * al->p[j] + (i == j ? 1.0 - a : 0.0);
	} else if (model == KM_MUT_STEPWISE) {
		double *x = malloc(sizeof(double) * n);
		int *g = malloc(sizeof(int) * n), ret;
		if (!x || !g) { free(x); free(g); return km_err_set(e, KM_ENOMEM, "out of memory"); }
		if ((ret = km_mut_stepwise_values(al, marker, x, g, e)) < 0) { free(x); free(g); return ret; }
		for (int i = 0; i < n; ++i) {
			double *row = M + (size_t)i * n, wsum = 0.0;
			int n_same = 0;                       /* |S_i| */
			for (int j = 0; j < n; ++j)
				if (j != i && g[j] == g[i]) { ++n_same; wsum += pow(range, fabs(x[i] - x[j])); }
			int n_other = n - 1 - n_same;         /* |O_i| = n - c_i */
			for (int j = 0; j < n; ++j) {
				if (j == i) continue;
				if (g[j] == g[i]) row[j] = r * pow(range, fabs(x[i] - x[j])) / wsum;
				else row[j] = r2 / n_other;
			}
			row[i] = n_other == 0 ? 1.0 - r : n_same == 0 ? 1.0 - r2 : 1.0 - r - r2;
		}
		free(x); free(g);
	} else {
		return km_err_set(e, KM_EUSAGE, "unknown mutation model %d", model);
	}
	return 0;
}

const char *km_mut_name(int model)
{
	static const char *names[] = { "none", "equal", "proportional", "stepwise" };
	return model >= 0 && model < 4 ? names[model] : "?";
}

int km_mut_parse(const char *s)
{
	for (int i = 0; i < 4; ++i)
		if (strcmp(s, km_mut_name(i)) == 0) return i;
	return -1;
}
