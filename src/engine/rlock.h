#ifndef DUPC_ENGINE_RLOCK_H
#define DUPC_ENGINE_RLOCK_H

/*
 * The lock on the target.  Every command that writes or deletes on the
 * target holds it while it runs, so two hosts (or a cron job and a
 * manual run) never write one chain at once; the archive dir's lockfile
 * only guards one host.  The lock is one small object on the target
 * (RLOCK_NAME, after the --file-prefix), a format/lockrec record naming
 * its holder, rewritten by a thread every interval while the run lasts
 * and removed at its end.  A record not rewritten for the timeout (or
 * three of its holder's intervals, if longer) is stale: the holder died,
 * and the next run breaks it with a warning.
 *
 * Taking it is atomic where the backend can create an object only when
 * its name is free (BACKEND_PUT_NEW: file://, S3 with If-None-Match).
 * Elsewhere the record is written, left to settle, and read back: a run
 * that reads another's record lost the race and refuses.  What is left
 * (docs/backends.md): two runs whose check and write straddle the other's
 * settle time, or that break one stale lock at the same instant, may both
 * start; the first refresh of the one that lost finds the other's record
 * and stops that run at its next safe point.
 */

#include <stdbool.h>

struct backend;
struct dupc_err;

#define RLOCK_NAME "dupc.lock"
#define RLOCK_TIMEOUT_DEFAULT 900 /* seconds: --lock-timeout's default */

struct rlock_opts {
	const char *prefix;  /* --file-prefix, or NULL */
	const char *host;    /* this run's, for the record */
	const char *command; /* "backup", "cleanup", ... */
	unsigned timeout;    /* seconds (0: RLOCK_TIMEOUT_DEFAULT) */
	bool break_lock;     /* --break-lock: break any lock found */
	double settle;       /* seconds between write and read-back where
			      * taking is not atomic (0: RLOCK_SETTLE) */
};

#define RLOCK_SETTLE 2.0

struct rlock;

/*
 * rlock_take(lp, be, o, err):
 * Take the target's lock through ${be} (borrowed: it must outlive the
 * lock) and start refreshing it; ${be} is best a backend of its own, as
 * a refresh must not wait behind a long upload.  E_USER_ERROR with one line
 * naming the holder and how to break the lock when another run holds it; a
 * backend error when the target cannot be read or written.
 */
int rlock_take(struct rlock **, struct backend *, const struct rlock_opts *,
    struct dupc_err *);

/*
 * rlock_release(l):
 * Stop refreshing and remove the lock when it is still this run's (also
 * after SIGINT or SIGTERM: the removal is not cut short by the first
 * signal).  A failure to remove is a warning: the lock goes stale.
 * NULL is fine.
 */
void rlock_release(struct rlock *);

/*
 * rlock_interval(timeout):
 * Seconds between refreshes for a lock timeout of ${timeout} seconds: a
 * fifth of it, from 1 to 60.
 */
unsigned rlock_interval(unsigned);

#endif
