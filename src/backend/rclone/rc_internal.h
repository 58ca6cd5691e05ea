#ifndef DUPC_BACKEND_RCLONE_RC_INTERNAL_H
#define DUPC_BACKEND_RCLONE_RC_INTERNAL_H

/*
 * Shared between the files of the rclone:// backend: the reader of
 * `rclone lsjson` output (rc_lsjson.c) and the classing of rclone's
 * failures (rc_errors.c).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dupc_err;

#define RC_ITEM_MAX (64 * 1024) /* longest entry of a listing */

/* Called once per listed entry; returns non-zero to stop with ${err}
 * set. */
typedef int rc_entry_fn(const char *name, uint64_t size, bool is_dir, void *arg,
    struct dupc_err *err);

struct rc_lsjson;

/*
 * rc_lsjson_new(fn, arg):
 * A reader of one `rclone lsjson` output (a JSON array of objects with
 * Name, Size and IsDir), fed in pieces of any size: each object is framed
 * as it arrives, parsed by jansson and handed to ${fn}, so memory stays
 * within RC_ITEM_MAX whatever the length of the listing.  NULL when out
 * of memory.
 */
struct rc_lsjson *rc_lsjson_new(rc_entry_fn *, void *);

/*
 * rc_lsjson_feed(p, data, n, err):
 * Read the next ${n} bytes.  -1 (permanent, E_BACKEND_ERROR) when the
 * output is not such an array, an entry is longer than RC_ITEM_MAX or
 * lacks a Name; or with ${fn}'s error.
 */
int rc_lsjson_feed(struct rc_lsjson *, const char *, size_t, struct dupc_err *);

/* rc_lsjson_finish(p, err): the end of the output; -1 when the array is
 * not closed. */
int rc_lsjson_finish(struct rc_lsjson *, struct dupc_err *);

/* rc_lsjson_free(p): NULL is fine. */
void rc_lsjson_free(struct rc_lsjson *);

/*
 * rc_fail(err, what, status, line):
 * Set ${err} for an rclone command that exited with ${status}, its last
 * line of standard error being ${line} (escaped), and return -1.  rclone's
 * "directory not found", "object not found" and "doesn't exist" are
 * ERR_NOT_FOUND; refused logins and certificates, unknown remotes and
 * usage errors (status 1) are permanent; network failures, status 5
 * (temporary) and the rest transient.
 */
int rc_fail(struct dupc_err *, const char *, int, const char *);

#endif
