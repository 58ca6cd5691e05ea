#ifndef DUPC_ENGINE_RESTART_H
#define DUPC_ENGINE_RESTART_H

/*
 * Resuming an interrupted set (duplicity's RESTART, made safe).  The
 * set's partial manifest in the archive dir lists the volumes on the
 * target and where each ends; the last one is fetched and checked against
 * its hash (not decrypted, so a host holding only the public key resumes
 * too).  The backup pass then regenerates the stream from the start,
 * writing nothing before that point, and checks that a file split across
 * the resume point has not changed: against the header of its last stored
 * chunk when the volume can be decrypted, else (as duplicity, which checks
 * nothing) by its mtime not being later than the interrupted set's time.
 * When resuming cannot be proven safe, the partial set is removed and the
 * backup starts over.
 */

#include <stdbool.h>

#include "format/names.h"
#include "util/buf.h"
#include "util/meta.h"

struct cset;
struct dupc_err;
struct session;

struct restart {
	struct name_info set; /* type and times of the interrupted set */
	unsigned done;        /* volumes 1..done are on the target */
	struct buf index;     /* where volume ${done} ended */
	long block;           /* its last chunk, or -1 (entry complete) */
	bool span_known;      /* span and span_diff were read */
	bool span_diff;       /* that chunk was of a delta */
	struct obj_meta span; /* header of that chunk (mtime, mode...) */
	struct buf manifest;  /* the partial manifest to continue */
};

/*
 * restart_plan(s, set, r, err):
 * Decide how to continue the partial ${set}.  Returns 0 with ${r} filled
 * when resuming is safe, 1 when the set must be redone (nothing is on the
 * target worth keeping, or it cannot be trusted), -1 on error
 * (E_ENCRYPTION_MISMATCH when the set was written with other encryption
 * settings).
 */
int restart_plan(struct session *, const struct cset *, struct restart *,
    struct dupc_err *);

/* restart_release(r) */
void restart_release(struct restart *);

/*
 * restart_discard(s, set, err):
 * Delete the partial set: its volumes on the target and its .part files
 * in the archive dir.
 */
int restart_discard(struct session *, const struct cset *, struct dupc_err *);

#endif
