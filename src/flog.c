/* flog.c — log10 of an array, vectorisable, to a few ulp.
 *
 * Every table entry the compile phase writes is a log10 (hundreds per locus and family);
 * libm's log10 is a scalar call.  Here x = 2^e m with m in [sqrt(1/2), sqrt(2)), and
 *     ln m = 2 atanh(s) = 2 s (1 + s^2/3 + s^4/5 + ...),  s = (m - 1)/(m + 1),
 * |s| <= 0.1716, so the series to s^22/23 leaves a relative error below 1e-19 (the
 * identity and its use: Abramowitz & Stegun 4.1.27; Muller, "Elementary functions",
 * ch. 11).  ln x = e ln2 + ln m with ln2 split in a high and a low part, then times
 * log10(e): within a few ulp of the exact log10 (test_peel checks it against libm over
 * the whole normal range).  The exponent is read with the 2^52 "magic number" trick so
 * that the loop has no int-to-double conversion and vectorises; zeros, subnormals,
 * infinities and NaNs are finished by libm after the loop.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "kmpriv.h"

#define LN2_HI 6.93147180369123816490e-01   /* fdlibm's split of ln 2: the high part */
#define LN2_LO 1.90821492927058770002e-10   /* has trailing zeros, so e * LN2_HI is exact */
#define LOG10E 0.43429448190325182765

KM_AVX2_CLONES
void km_log10_vec(const double *restrict x, double *restrict y, size_t n)
{
	for (size_t i = 0; i < n; ++i) {
		uint64_t b, mb, eb, big;
		double m, ed, v = x[i];
		memcpy(&b, &v, sizeof b);
		mb = (b & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL;     /* m in [1, 2) */
		/* m > sqrt 2 (positive doubles order as their bits): halve m, e + 1 */
		big = mb > 0x3ff6a09e667f3bcdULL;
		mb -= big << 52;
		eb = (0x4330000000000000ULL | (b >> 52 & 0x7ff)) + big;        /* 2^52 + biased e */
		memcpy(&m, &mb, sizeof m);
		memcpy(&ed, &eb, sizeof ed);
		ed = ed - (4503599627370496.0 + 1023.0);
		double s = (m - 1.0) / (m + 1.0), z = s * s;
		double p = 1.0 / 23;
		p = p * z + 1.0 / 21; p = p * z + 1.0 / 19; p = p * z + 1.0 / 17; p = p * z + 1.0 / 15;
		p = p * z + 1.0 / 13; p = p * z + 1.0 / 11; p = p * z + 1.0 / 9;  p = p * z + 1.0 / 7;
		p = p * z + 1.0 / 5;  p = p * z + 1.0 / 3;
		double lnm = 2.0 * s + 2.0 * s * (z * p);
		y[i] = (ed * LN2_HI + (ed * LN2_LO + lnm)) * LOG10E;
	}
	for (size_t i = 0; i < n; ++i)       /* outside the normal positive range: libm */
		if (!(x[i] >= DBL_MIN && x[i] <= DBL_MAX)) y[i] = x[i] == 0.0 ? -HUGE_VAL : log10(x[i]);
}
