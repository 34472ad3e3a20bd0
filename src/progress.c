/* progress.c — progress of a long job on a terminal (issue 14 part 3).
 *
 * Only when stderr is a terminal and not --quiet (km_prog_init): one line per phase,
 * "kinmatch: scan  45%  12 s left", redrawn in place (carriage return + erase to the end
 * of the line) at most five times a second, and replaced by the next phase or erased at
 * the end, so the summary that follows starts on a clean line.  Piped or quiet: nothing.
 *
 * The estimate is linear: time left = elapsed x (total - done) / done, once 2% is done.
 * km_prog_add() may be called from any thread (an atomic add; whichever thread finds the
 * redraw due and gets the try-lock draws).  The state is the third piece of process-wide
 * mutable state (with km_verbose and the warning hook): there is one stderr.
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include "kmpriv.h"
#include "progress.h"

static struct {
	int on;               /* stderr is a terminal and not --quiet */
	const char *phase;
	double total, t0, t_draw;
	double done;          /* units done (atomic adds) */
	int drawn;            /* a line is on the screen */
} P;
static pthread_mutex_t draw_lock = PTHREAD_MUTEX_INITIALIZER;

void km_prog_init(int quiet)
{
	P.on = !quiet && isatty(STDERR_FILENO);
	P.phase = NULL, P.drawn = 0;
}

int km_prog_on(void) { return P.on; }

static void draw(double now)
{
	double d, t = P.total;
	__atomic_load(&P.done, &d, __ATOMIC_RELAXED);
	if (t > 0 && d > t) d = t;
	fprintf(stderr, "\r\033[Kkinmatch: %s", P.phase);
	if (t > 0) {
		fprintf(stderr, " %3.0f%%", 100.0 * d / t);
		double el = now - P.t0;
		if (d >= 0.02 * t && d < t) {
			double left = el * (t - d) / d;
			if (left >= 90) fprintf(stderr, "  %.0f min left", left / 60.0);
			else fprintf(stderr, "  %.0f s left", left);
		}
	} else fprintf(stderr, "  %.0f s", now - P.t0);
	fflush(stderr);
	P.drawn = 1, P.t_draw = now;
}

void km_prog_phase(const char *name, double total)
{
	if (!P.on) return;
	pthread_mutex_lock(&draw_lock);
	P.phase = name, P.total = total, P.done = 0, P.t0 = km_now();
	draw(P.t0);
	pthread_mutex_unlock(&draw_lock);
}

void km_prog_add(double n)
{
	if (!P.on || !P.phase) return;
	/* a relaxed atomic add of a double: a compare-exchange loop */
	double old, nw;
	__atomic_load(&P.done, &old, __ATOMIC_RELAXED);
	do nw = old + n;
	while (!__atomic_compare_exchange(&P.done, &old, &nw, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	double now = km_now();
	if (now - P.t_draw < 0.2 || pthread_mutex_trylock(&draw_lock) != 0) return;
	if (P.phase) draw(now);
	pthread_mutex_unlock(&draw_lock);
}

void km_prog_end(void)
{
	if (!P.on) return;
	pthread_mutex_lock(&draw_lock);
	if (P.drawn) fputs("\r\033[K", stderr), fflush(stderr);
	P.phase = NULL, P.drawn = 0;
	pthread_mutex_unlock(&draw_lock);
}
