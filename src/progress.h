/* progress.h — a phase's progress on a terminal (see progress.c).  Every call is a no-op
 * unless km_prog_init() found stderr a terminal and not --quiet. */
#ifndef KM_PROGRESS_H
#define KM_PROGRESS_H

void km_prog_init(int quiet);
int km_prog_on(void);
/* Starts a phase of total units (<= 0: no percentage, elapsed seconds instead). */
void km_prog_phase(const char *name, double total);
/* n more units done; any thread. */
void km_prog_add(double n);
/* Erases the progress line (before the summary or an error). */
void km_prog_end(void);

#endif
