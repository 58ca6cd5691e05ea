#ifndef DUPC_ENGINE_SETREAD_H
#define DUPC_ENGINE_SETREAD_H

/*
 * Reading one backup set's data as a stream of logical entries: the set's
 * volumes (only those the manifest says may hold the wanted path) are
 * fetched one at a time, checked against the manifest's SHA-1, decoded,
 * and their tar entries turned into snapshot / diff / deleted entries with
 * multivol chunks joined back together (duplicity-format.md 4.2-4.3).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/entry.h"
#include "util/meta.h"

struct dupc_err;
struct fetchq;
struct manifest;
struct session;
struct cset;
struct setreader;

struct set_entry {
	const char *index;
	enum entry_kind kind;        /* EK_SNAPSHOT, EK_DIFF or EK_DELETED */
	const struct obj_meta *meta; /* OBJ_NONE for deleted */
};

/*
 * setreader_new(s, q, set, m, prefix, err):
 * Read ${set} (its manifest ${m}, borrowed) keeping only volumes that may
 * hold indexes under ${prefix} ("" for everything); the volumes are taken
 * from ${q} (borrowed), where the caller queued them.
 */
struct setreader *setreader_new(struct session *, struct fetchq *,
    const struct cset *, const struct manifest *, const char *,
    struct dupc_err *);

/* setreader_peek(r, e, err): 1 and the current entry, 0 at end, -1. */
int setreader_peek(struct setreader *, struct set_entry *, struct dupc_err *);

/* setreader_read(r, p, cap, got, err): the current entry's data, with
 * chunks joined; *got 0 at its end. */
int setreader_read(struct setreader *, void *, size_t, size_t *,
    struct dupc_err *);

/* setreader_next(r, err): skip to the next entry. */
int setreader_next(struct setreader *, struct dupc_err *);

/* setreader_free(r) */
void setreader_free(struct setreader *);

#endif
