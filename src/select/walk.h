#ifndef DUPC_SELECT_WALK_H
#define DUPC_SELECT_WALK_H

/*
 * The source tree walk, in duplicity's order: pre-order depth first, the
 * entries of a directory sorted by the raw bytes of their names
 * (duplicity-format.md 4.5).  Only one directory listing per level is held,
 * so memory follows the depth and the widest directory, not the tree.
 *
 * Objects that cannot be examined are reported as warnings (duplicity's
 * wording and codes) and counted in walk_errors(); the walk goes on.
 * Sockets are skipped with duplicity's INFO notice; hard links are
 * separate names like any other.
 */

#include <stdint.h>

#include "util/meta.h"

struct dupc_err;
struct selection;
struct walker;

struct walk_entry {
	const char *index; /* "" for the root; borrowed until the next call */
	struct obj_meta meta;
	int parent_fd;    /* directory holding it (-1 for a directory root,
			     AT_FDCWD for a root that is no directory) */
	const char *name; /* its name in parent_fd */
	uint64_t dev;
};

/*
 * walk_new(root, sel, err):
 * Start a walk of the directory ${root}; ${sel} (borrowed, may be NULL)
 * decides what is included.  A ${root} that is no directory (not followed
 * when a symlink) is the walk's only entry, at index "".
 * E_BACKUP_DIR_DOESNT_EXIST when ${root} does not exist.
 */
struct walker *walk_new(const char *, const struct selection *,
    struct dupc_err *);

/*
 * walk_next(w, ep, err):
 * 1 and *${ep} (borrowed until the next call) for the next object, 0 at
 * the end, -1 on a fatal error (out of memory).
 */
int walk_next(struct walker *, const struct walk_entry **, struct dupc_err *);

/*
 * walk_open(w, e, err):
 * Open the regular file ${e} for reading without following symlinks;
 * returns an fd the caller closes, or -1 with a warning-level error
 * (the file vanished, cannot be read, or is no longer a regular file)
 * whose message reads as duplicity's exception text: "[Errno N] text:
 * 'full path'".
 */
int walk_open(struct walker *, const struct walk_entry *, struct dupc_err *);

/* walk_errors(w): objects that could not be examined so far. */
uint64_t walk_errors(const struct walker *);

/* walk_count_error(w): count a per-file error found by the caller. */
void walk_count_error(struct walker *);

/* walk_free(w): NULL is fine. */
void walk_free(struct walker *);

#endif
