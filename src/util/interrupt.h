#ifndef DUPC_UTIL_INTERRUPT_H
#define DUPC_UTIL_INTERRUPT_H

/*
 * SIGINT/SIGTERM handling.  The handler only records the signal; the engine
 * polls interrupted() at safe points (between files and volumes) and stops
 * there, leaving state a later run can resume from.
 */

/* interrupt_install(): install the handlers and ignore SIGPIPE. */
void interrupt_install(void);

/* interrupted(): the signal number received, or 0. */
int interrupted(void);

/*
 * interrupt_sleep(seconds):
 * Sleep ${seconds} (fractions allowed), waking early when a signal is
 * recorded.  Returns interrupted().
 */
int interrupt_sleep(double);

#endif
