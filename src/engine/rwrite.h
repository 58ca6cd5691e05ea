#ifndef DUPC_ENGINE_RWRITE_H
#define DUPC_ENGINE_RWRITE_H

/*
 * Confined restore writes.  Every object is created relative to an open
 * directory fd with O_NOFOLLOW/O_EXCL semantics (openat, mkdirat,
 * symlinkat, mknodat), walking down from the destination one component at
 * a time, so nothing is ever created, followed or truncated outside the
 * destination — whatever names and symlinks an archive holds
 * (libarchive's SECURE_NODOTDOT/SYMLINKS/NOABSOLUTEPATHS, done by
 * construction).  Directory metadata is applied when the walk leaves the
 * directory, after its contents, as duplicity does.
 */

#include <stdbool.h>
#include <stdint.h>

#include "util/meta.h"

struct dupc_err;
struct rwriter;
struct sink;

struct rwrite_opts {
	bool restore_owner; /* chown (only effective as root) */
	bool numeric_owner;
	bool force; /* replace what is in the way */
};

/*
 * rwriter_new(dest, opts, err):
 * Restore into ${dest} (created if missing).
 */
struct rwriter *rwriter_new(const char *, const struct rwrite_opts *,
    struct dupc_err *);

/*
 * rwriter_object(w, index, meta, err):
 * Create the non-regular object ${index} ("" is ${dest} itself).
 */
int rwriter_object(struct rwriter *, const char *, const struct obj_meta *,
    struct dupc_err *);

/*
 * rwriter_file_begin(w, index, err):
 * Start writing regular file ${index}; returns a sink for its content.
 */
struct sink *rwriter_file_begin(struct rwriter *, const char *,
    struct dupc_err *);

/*
 * rwriter_patch_begin(w, err):
 * Start replacing the file just written by a patched version: returns
 * the fd of the current content (read-only, for librsync) and a sink for
 * the new content, which replaces the old at rwriter_file_end.
 */
struct sink *rwriter_patch_begin(struct rwriter *, int *, struct dupc_err *);

/*
 * rwriter_patch_inplace(w, fd, err):
 * The file being written, complete, on *fd (borrowed), to be patched in
 * place; rwriter_patch_inplace_end(w, len) gives its new length, so the
 * rest of the file's life (more patches, file_end) sees it.
 */
int rwriter_patch_inplace(struct rwriter *, int *, struct dupc_err *);
void rwriter_patch_inplace_end(struct rwriter *, uint64_t);

/* rwriter_file_end(w, meta, err): finish the file and set its metadata. */
int rwriter_file_end(struct rwriter *, const struct obj_meta *,
    struct dupc_err *);

/* rwriter_file_abort(w): drop a file being written. */
void rwriter_file_abort(struct rwriter *);

/* rwriter_finish(w, err): apply pending directory metadata. */
int rwriter_finish(struct rwriter *, struct dupc_err *);

/* rwriter_count(w): objects written. */
uint64_t rwriter_count(const struct rwriter *);

/* rwriter_free(w) */
void rwriter_free(struct rwriter *);

#endif
