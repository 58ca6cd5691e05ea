#ifndef DUPC_ENGINE_RTARGET_H
#define DUPC_ENGINE_RTARGET_H

/*
 * Where restored objects go.  The restore merge (restore.c) decides what
 * each path is at the requested time and drives a target: the confined
 * disk writer for restore, a comparing target for verify.
 */

#include <stdbool.h>
#include <stdint.h>

#include "util/meta.h"

struct dupc_err;
struct rtarget;
struct session;
struct dupc_opts;
struct sink;

struct rtarget_ops {
	/* a non-regular object */
	int (*object)(struct rtarget *, const char *, const struct obj_meta *,
	    struct dupc_err *);
	/* a regular file: its snapshot content goes to the returned sink */
	struct sink *(
	    *file_begin)(struct rtarget *, const char *, struct dupc_err *);
	/* the next delta: current content on *basis, new content to sink */
	struct sink *(*patch_begin)(struct rtarget *, int *, struct dupc_err *);
	int (*file_end)(struct rtarget *, const struct obj_meta *,
	    struct dupc_err *);
	void (*file_abort)(struct rtarget *);
	/* optional: the current content on *fd, to be patched in place;
	 * patch_inplace_end(t, len) says it now has ${len} bytes */
	int (*patch_inplace)(struct rtarget *, int *, struct dupc_err *);
	void (*patch_inplace_end)(struct rtarget *, uint64_t);
};

struct rtarget {
	const struct rtarget_ops *ops;
	bool need_data; /* false: files are announced by file_end only */
};

/*
 * restore_run(s, t, prefix, target, restored, errors, err):
 * Replay the chain of ${s} at time ${t} into ${target}, for paths under
 * ${prefix} (stripped from the names the target sees).  Sets *restored to
 * the objects produced and *errors to per-file failures (warned).
 */
int restore_run(struct session *, int64_t, const char *, struct rtarget *,
    uint64_t *, uint64_t *, struct dupc_err *);

#endif
