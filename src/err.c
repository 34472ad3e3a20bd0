/* err.c — the one place that formats error positions and prints diagnostics.
 *
 * Parsers never print errors: they fill a km_err_t ("file:line:col: cause") and return a
 * KM_E* code; main.c / cmd_*.c print it with km_err_print() and exit.  Warnings are the
 * exception: they are printed where they arise, gated by km_verbose, because they do not
 * stop the run.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "kmpriv.h"

int km_verbose = 1; /* the only mutable global: 0 quiet, 1 warnings, 2 chatty */

int km_err_set(km_err_t *e, int code, const char *fmt, ...)
{
	va_list ap;
	if (e == NULL) return code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return code;
}

/* core (issue 10): "<fmt>: <the message e held>".  The old message is copied out first:
 * formatting e->msg into itself through "%s" is undefined behaviour (it garbled
 * messages as "family 'F', marker 'M': family 'F', marker 'M': ounder alleles"). */
int km_err_prefix(km_err_t *e, int code, const char *fmt, ...)
{
	char why[sizeof e->msg];
	va_list ap;
	int n;
	if (e == NULL) return code;
	memcpy(why, e->msg, sizeof why);
	why[sizeof why - 1] = '\0';
	va_start(ap, fmt);
	n = vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	if (n < 0) n = 0;
	if ((size_t)n < sizeof e->msg) snprintf(e->msg + n, sizeof e->msg - n, ": %s", why);
	return code;
}

int km_err_at(km_err_t *e, const char *fn, int line, int col, const char *fmt, ...)
{
	va_list ap;
	int n;
	if (e == NULL) return KM_EINPUT;
	if (fn == NULL) fn = "(input)";
	/* line <= 0: the problem has no line (whole file, BCF record); col <= 0: no column */
	if (line > 0 && col > 0) n = snprintf(e->msg, sizeof e->msg, "%s:%d:%d: ", fn, line, col);
	else if (line > 0) n = snprintf(e->msg, sizeof e->msg, "%s:%d: ", fn, line);
	else n = snprintf(e->msg, sizeof e->msg, "%s: ", fn);
	if (n < 0) n = 0;
	if ((size_t)n >= sizeof e->msg) n = sizeof e->msg - 1; /* truncated prefix: keep what fits */
	va_start(ap, fmt);
	vsnprintf(e->msg + n, sizeof e->msg - n, fmt, ap);
	va_end(ap);
	return KM_EINPUT;
}

void km_warn(const char *fmt, ...)
{
	va_list ap;
	if (km_verbose < 1) return;
	fputs("kinmatch: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void km_err_print(const km_err_t *e)
{
	fprintf(stderr, "kinmatch: error: %s\n", e && e->msg[0] ? e->msg : "unknown error");
}

int km_exit_code(int ret)
{
	if (ret >= 0) return 0;
	switch (ret) {
	case KM_EUSAGE: return 2;
	case KM_ECREATE: return 73;   /* EX_CANTCREAT */
	case KM_EBUSY: return 75;     /* EX_TEMPFAIL */
	default: return 1;
	}
}
