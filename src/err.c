/* err.c — the one place that formats error positions and prints diagnostics.
 *
 * Parsers never print errors: they fill a km_err_t ("file:line:col: cause") and return a
 * KM_E* code; main.c / cmd_*.c print it with km_err_print() and exit.  Warnings are the
 * exception: they are printed where they arise, gated by km_verbose, because they do not
 * stop the run.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "kmpriv.h"
#include "progress.h"

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

/* Where warnings are also recorded (the output layer's warnings.tsv and manifest): the
 * second piece of mutable state, set by km_out_manifest() for the length of one run. */
static km_warn_hook_f warn_hook;
static void *warn_hook_ud;
static pthread_mutex_t warn_lock = PTHREAD_MUTEX_INITIALIZER;

void km_warn_set_hook(km_warn_hook_f f, void *ud)
{
	pthread_mutex_lock(&warn_lock);
	warn_hook = f, warn_hook_ud = ud;
	pthread_mutex_unlock(&warn_lock);
}

void km_warn(const char *fmt, ...)
{
	va_list ap;
	char buf[4096];
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&warn_lock);
	if (warn_hook) warn_hook(warn_hook_ud, buf);   /* recorded whatever --quiet says */
	if (km_verbose >= 1) fprintf(stderr, "%skinmatch: warning: %s\n", km_prog_on() ? "\r\033[K" : "", buf);
	pthread_mutex_unlock(&warn_lock);
}

void km_err_print(const km_err_t *e)
{
	fprintf(stderr, "kinmatch: error: %s\n", e && e->msg[0] ? e->msg : "unknown error");
}

/* sysexits.h codes (README, "Exit codes") */
int km_exit_code(int ret)
{
	if (ret >= 0) return 0;
	switch (ret) {
	case KM_EUSAGE: return 64;    /* EX_USAGE */
	case KM_EINPUT: return 65;    /* EX_DATAERR */
	case KM_EMODEL: return 65;    /* EX_DATAERR: the data ask for what the model cannot do */
	case KM_EOPEN: return 66;     /* EX_NOINPUT */
	case KM_ENOMEM: return 71;    /* EX_OSERR */
	case KM_ECREATE: return 73;   /* EX_CANTCREAT */
	case KM_EIO: return 74;       /* EX_IOERR */
	case KM_EBUSY: return 75;     /* EX_TEMPFAIL */
	default: return 70;           /* EX_SOFTWARE: KM_EINTERNAL and any unknown code */
	}
}
