#ifndef DUPC_UTIL_INTERRUPT_H
#define DUPC_UTIL_INTERRUPT_H

/*
 * SIGINT/SIGTERM handling.  The handler only records the signal; the engine
 * polls interrupted() at safe points (between files and volumes) and stops
 * there, leaving state a later run can resume from.
 */

#include <stdbool.h>

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

/*
 * interrupt_request(reason):
 * Stop the run at its next safe point as SIGTERM would, for ${reason}
 * (copied; the first request wins), such as the lock on the target taken
 * over by another run.  Safe from any thread, not from a signal handler.
 */
void interrupt_request(const char *);

/* interrupt_reason(): the reason of interrupt_request, or NULL. */
const char *interrupt_reason(void);

/*
 * interrupt_hold(on):
 * While on, interrupted() answers 0 in the calling thread unless a second
 * signal came after the first, so cleanup that needs the network (the
 * removal of the lock on the target) is not cut short by one Ctrl-C.
 */
void interrupt_hold(bool);

#endif
