#ifndef DUPC_FORMAT_ENTRY_H
#define DUPC_FORMAT_ENTRY_H

/*
 * Entry names inside difftars and sigtars (duplicity-format.md 4.2, 5.1):
 * "snapshot/<index>", "diff/<index>", "deleted/<index>",
 * "signature/<index>", "multivol_snapshot/<index>/<k>",
 * "multivol_diff/<index>/<k>".  Parsing is where untrusted names first
 * become indexes, so it rejects "..", empty components and NUL bytes.
 */

#include <stdbool.h>

struct buf;
struct dupc_err;

enum entry_kind {
	EK_SNAPSHOT,
	EK_DIFF,
	EK_DELETED,
	EK_SIGNATURE,
};

struct entry_name {
	enum entry_kind kind;
	bool multivol; /* a multivol_* chunk */
	long chunk;    /* chunk number (>= 1) when multivol */
};

/*
 * entry_name_parse(name, out, index, err):
 * Split ${name}; the index goes to ${index} ("" for the root, accepting
 * "snapshot/", "snapshot/." and "snapshot/./").  E_GENERIC with a message
 * naming the entry for anything malformed or unsafe.
 */
int entry_name_parse(const char *, struct entry_name *, struct buf *,
    struct dupc_err *);

/*
 * entry_name_build(out, kind, index, dir, in_sigtar, chunk):
 * Append an entry name: directories get a trailing '/', the root is
 * "snapshot/./" in difftars and "snapshot/" in sigtars; ${chunk} > 0
 * makes a multivol chunk name.
 */
int entry_name_build(struct buf *, enum entry_kind, const char *, bool, bool,
    long);

#endif
