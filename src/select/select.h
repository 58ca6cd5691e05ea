#ifndef DUPC_SELECT_SELECT_H
#define DUPC_SELECT_SELECT_H

/*
 * File selection: duplicity's --include/--exclude family, applied in
 * command-line order, first match wins (duplicity/selection.py).  The tree
 * walk asks select_check() about every object it finds.
 */

#include <stdbool.h>
#include <stdint.h>

struct dupc_err;
struct obj_meta;
struct selection;
struct stat;

enum select_result {
	SEL_EXCLUDE = 0, /* skip it (and, for a directory, all below) */
	SEL_INCLUDE = 1, /* back it up (a directory is entered) */
	SEL_SCAN = 2,    /* a directory not included itself, but entered:
			  * it is backed up only if something below is */
};

/* selection_new(err): a selection that includes everything. */
struct selection *selection_new(struct dupc_err *);

/*
 * selection_add(sel, option, arg, err):
 * Add one rule from the command line, in order: ${option} is the long
 * option name without dashes ("include", "exclude", "exclude-regexp",
 * "include-filelist", "exclude-if-present", ...); ${arg} its argument (NULL
 * for switches).  E_COMMAND_LINE / E_GLOBBING / E_CANT_OPEN_FILELIST on
 * bad rules.
 */
int selection_add(struct selection *, const char *, const char *,
    struct dupc_err *);

/*
 * selection_set_root(sel, root, st, err):
 * Called once with the source directory before the walk (rules are
 * relative to it; --exclude-other-filesystems needs its device).
 */
int selection_set_root(struct selection *, const char *, const struct stat *,
    struct dupc_err *);

/*
 * selection_check(sel, index, meta, dev, dirfd, name):
 * Decide about the object at ${index} (relative to the root; "" = root)
 * with metadata ${meta}, on device ${dev}.  ${dirfd} is its parent
 * directory and ${name} its name there (for --exclude-if-present, which
 * looks inside directories).
 */
enum select_result selection_check(const struct selection *, const char *,
    const struct obj_meta *, uint64_t, int, const char *);

/* selection_free(sel): NULL is fine. */
void selection_free(struct selection *);

#endif
