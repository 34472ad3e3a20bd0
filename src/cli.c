/* cli.c — what every subcommand's option parsing and output step shares. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "kmpriv.h"

int km_opt_double(const char *name, const char *arg, double lo, double hi, int lo_open, int hi_open, double *x, km_err_t *e)
{
	double v;
	if (km_parse_double(arg, &v) < 0 || (lo_open ? v <= lo : v < lo) || (hi_open ? v >= hi : v > hi))
		return km_err_set(e, KM_EUSAGE, "--%s: expected a number in %c%g,%g%c, got '%s'", name,
		                  lo_open ? '(' : '[', lo, hi, hi_open ? ')' : ']', arg);
	*x = v;
	return 0;
}

int km_opt_long(const char *name, const char *arg, long lo, long hi, long *x, km_err_t *e)
{
	long v;
	if (km_parse_int(arg, &v) < 0 || v < lo || v > hi)
		return km_err_set(e, KM_EUSAGE, "--%s: expected an integer in [%ld,%ld], got '%s'", name, lo, hi, arg);
	*x = v;
	return 0;
}

int km_opt_int(const char *name, const char *arg, long lo, long hi, int *x, km_err_t *e)
{
	long v = 0;
	int ret = km_opt_long(name, arg, lo, hi, &v, e);
	if (ret == 0) *x = (int)v;
	return ret;
}

int km_opt_unknown(const char *cmd, int c, char *const argv[], km_err_t *e)
{
	char arg[128];
	if (c == '?' && optopt > 0 && optopt < 256) snprintf(arg, sizeof arg, "-%c", optopt);   /* a short option */
	else {
		snprintf(arg, sizeof arg, "%s", optind > 0 ? argv[optind - 1] : "?");
		char *eq = strchr(arg, '=');
		if (eq) *eq = 0;
	}
	if (c == ':') km_err_set(e, KM_EUSAGE, "%s: expected a value (see kinmatch %s --help)", arg, cmd);
	else km_err_set(e, KM_EUSAGE, "unknown option '%s' (see kinmatch %s --help)", arg, cmd);
	km_err_print(e);
	return km_exit_code(KM_EUSAGE);
}

double km_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int km_cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}
