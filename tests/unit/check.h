/* check.h — the unit tests' shared reporting: one line per check, "ok ..." or
 * "FAIL ...", counted; main() returns n_fail != 0.  Also a scratch directory name. */
#ifndef KM_TEST_CHECK_H
#define KM_TEST_CHECK_H
#include <stdio.h>
#include <string.h>
#include "kinmatch.h"

static int n_fail, n_ok;
static char tmpdir[64];

static inline void check(int cond, const char *what)
{
	if (cond) ++n_ok, printf("ok %s\n", what);
	else ++n_fail, printf("FAIL %s\n", what);
}

/* An expected failure: code < 0 and the exact message. */
static inline void check_err(const char *what, int ret, const km_err_t *e, const char *want)
{
	int good = ret < 0 && strcmp(e->msg, want) == 0;
	check(good, what);
	if (!good) printf("  got  (%d) '%s'\n  want '%s'\n", ret, ret < 0 ? e->msg : "", want);
}
#endif
