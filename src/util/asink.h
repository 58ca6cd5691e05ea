#ifndef DUPC_UTIL_ASINK_H
#define DUPC_UTIL_ASINK_H

/*
 * A sink served by a worker thread, so that one stage of a stream runs on
 * a second CPU: the backup feeds each large file both to the rsync delta
 * (on its own thread) and, through an asink, to the new signature.  The
 * data is copied into a short queue of blocks; the worker writes them to
 * the attached sink in order.  One asink serves many streams in turn,
 * keeping one thread for the whole pass.
 *
 * Threads: asink_attach, writes, finish and asink_detach come from one
 * thread (the owner); the attached sink is written only by the worker
 * while attached, and finished by the owner after the queue has drained,
 * so it needs no locking of its own.
 */

#include <stddef.h>

struct asink;
struct dupc_err;
struct sink;

/* asink_new(err): start the worker; NULL with ${err} set on failure. */
struct asink *asink_new(struct dupc_err *);

/*
 * asink_attach(a, inner):
 * Direct the following writes to ${inner} (borrowed until detached) and
 * return the sink to write to.  Its finish drains the queue, then
 * finishes ${inner}; its free does nothing.  A write error of ${inner}
 * is returned by a later write or by finish.
 */
struct sink *asink_attach(struct asink *, struct sink *);

/* asink_detach(a): wait until the queue is empty; ${inner} is free again. */
void asink_detach(struct asink *);

/* asink_free(a): stop and join the worker.  NULL is fine. */
void asink_free(struct asink *);

#endif
