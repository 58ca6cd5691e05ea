#ifndef DUPC_ENGINE_SIGREAD_H
#define DUPC_ENGINE_SIGREAD_H

/*
 * Reading a signature chain as one ordered stream of entries: each sigtar
 * is read sequentially once, and where several sigtars hold the same index
 * the newest wins (diffdir.py combine_path_iters).  A "deleted" winner
 * means the object is absent at that point in the chain.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/entry.h"
#include "util/buf.h"
#include "util/meta.h"

struct dupc_err;
struct session;
struct sigchain;
struct sigmerge;

struct sig_entry {
	const char *index;
	enum entry_kind kind; /* EK_SIGNATURE, EK_SNAPSHOT or EK_DELETED */
	const struct obj_meta *meta; /* type OBJ_NONE for deleted */
	int64_t uid, gid; /* owner resolved by name, as duplicity does */
	int64_t time;     /* end time of the set it comes from */
};

/*
 * sigmerge_open(s, sc, upto, err):
 * Open the sigtars of ${sc} (from the archive dir when the chain is local,
 * else downloaded) whose set ends at or before ${upto} (INT64_MAX: all).
 */
struct sigmerge *sigmerge_open(struct session *, const struct sigchain *,
    int64_t, struct dupc_err *);

/*
 * sigmerge_peek(m, ep, err):
 * 1 and the current winning entry (borrowed until sigmerge_next), 0 at the
 * end, -1 on error.
 */
int sigmerge_peek(struct sigmerge *, struct sig_entry *, struct dupc_err *);

/* sigmerge_read(m, p, cap, got, err): data of the current entry. */
int sigmerge_read(struct sigmerge *, void *, size_t, size_t *,
    struct dupc_err *);

/* sigmerge_next(m, err): move past the current index. */
int sigmerge_next(struct sigmerge *, struct dupc_err *);

/* sigmerge_free(m) */
void sigmerge_free(struct sigmerge *);

#endif
