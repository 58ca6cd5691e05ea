#ifndef DUPC_ENGINE_FETCHQ_H
#define DUPC_ENGINE_FETCHQ_H

/*
 * The volumes a restore will read, fetched ahead of use from every set of
 * the chain at once: a few worker threads, each with a backend of its
 * own, download the volumes in the order the restore's merge will want
 * them, check each against its manifest hash, and decrypt an encrypted one
 * whole into a private temporary file, so its integrity (MDC) is known
 * before a byte of it is used.  What the workers hold on disk stays within
 * a budget; the volume the restore is waiting for is always fetched.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dupc_err;
struct fetchq;
struct manifest_volume;
struct session;

/*
 * fetchq_new(s, err):
 * An empty queue on ${s} (borrowed; outlives the queue).
 */
struct fetchq *fetchq_new(struct session *, struct dupc_err *);

/*
 * fetchq_add(q, name, set, mv, err):
 * Queue remote ${name}, volume ${mv} (borrowed until fetchq_free) of the
 * ${set}th set of the chain.  Only before fetchq_start.
 */
int fetchq_add(struct fetchq *, const char *, size_t,
    const struct manifest_volume *, struct dupc_err *);

/*
 * fetchq_start(q):
 * Order the volumes by when the merge needs them (the path each starts
 * at, then the set) and start the workers.  Workers that cannot start
 * leave the work to fetchq_take.
 */
void fetchq_start(struct fetchq *);

/*
 * fetchq_take(q, name, fd, decoded, err):
 * Wait for ${name} and take it: *fd is a file open at offset 0 (the
 * caller closes it), checked against the manifest hash; *decoded tells
 * whether it holds the decrypted plaintext (else the stored bytes, for
 * rpipe_open).  Returns a handle for fetchq_done, or -1 with the error
 * the fetch met.
 */
int fetchq_take(struct fetchq *, const char *, int *, bool *,
    struct dupc_err *);

/* fetchq_done(q, handle): the taken file is closed; its space is free. */
void fetchq_done(struct fetchq *, int);

/* fetchq_free(q): stop the workers (a running download completes) and
 * close what is left; NULL is fine. */
void fetchq_free(struct fetchq *);

#endif
