#ifndef DUPC_SELECT_SELECT_H
#define DUPC_SELECT_SELECT_H

/*
 * File selection: duplicity's --include/--exclude family, applied in
 * command-line order, first match wins (duplicity/selection.py).  The tree
 * walk asks selection_check() about every object it finds.  See
 * docs/selection.md for the rule model.
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
 * Record one file selection option from the command line, in command-line
 * order.  ${option} is the long option name without dashes; ${arg} its
 * argument, NULL for switches:
 *
 *   include, exclude PATTERN       a glob (or, after filter-literal or
 *                                  filter-regexp, a literal or a regexp)
 *   include-regexp, exclude-regexp REGEXP (Python syntax, re.search)
 *   include-filelist, exclude-filelist FILE  (also include-globbing-
 *                                  filelist, exclude-globbing-filelist)
 *   include-filelist-stdin, exclude-filelist-stdin  (switches)
 *   exclude-if-present NAME
 *   exclude-device-files, exclude-other-filesystems  (switches)
 *   exclude-older-than EPOCH       the time already converted by the
 *                                  caller (dtime_parse()) to seconds
 *                                  since the epoch, as a decimal string
 *   files-from FILE
 *   filter-globbing, filter-literal, filter-regexp, filter-ignorecase,
 *   filter-strictcase               (switches: how later patterns read)
 *   null-separator                 (switch, wherever it is given)
 *
 * Arguments are used as given: duplicity's ~ and $VAR expansion of FILE
 * and NAME arguments is the caller's job.  Filelists are opened here:
 * E_CANT_OPEN_FILELIST.  E_COMMAND_LINE for an unknown option, a missing
 * or extra argument, or a bad EPOCH.  Patterns are compiled later, by
 * selection_set_root().
 */
int selection_add(struct selection *, const char *, const char *,
    struct dupc_err *);

/*
 * selection_set_root(sel, root, st, err):
 * Called once, after the last selection_add() and before the walk, with
 * the source directory as given on the command line and its lstat()
 * result (NULL: look it up).  Patterns match the full path of each file,
 * the root with "." and empty components dropped joined with its index,
 * so an absolute pattern needs an absolute root.  Builds the rules as
 * duplicity does, reading the filelists, and fails with duplicity's code:
 * E_FILE_PREFIX for a pattern that cannot match anything under the root,
 * E_GLOBBING for "//" in a glob, E_REDUNDANT_INCLUSION when the last rule
 * only includes, E_EXCEPTION where duplicity dies of a Python exception
 * (an empty glob, a reversed "[z-a]" range, a bad regular expression, a
 * filelist that is not UTF-8), E_CANT_OPEN_FILELIST for a filelist that
 * cannot be read or has a line over 64 KiB (or a NUL without
 * null-separator), and 3.x's E_REDUNDANT_FILTER, E_TRAILING_FILTER,
 * E_ABSOLUTE_FILES_FROM and E_EMPTY_FILES_FROM.  After a failure the
 * selection has no rules.
 */
int selection_set_root(struct selection *, const char *, const struct stat *,
    struct dupc_err *);

/*
 * selection_check(sel, index, meta, dev, dirfd, name):
 * Decide about the object at ${index} (relative to the root; "" = root,
 * always included) with metadata ${meta}, on device ${dev}.  ${dirfd} is
 * its parent directory and ${name} its name there (for
 * exclude-if-present, which looks inside directories; with ${dirfd} -1
 * the directory is opened by path).  SEL_SCAN only for directories.
 * Not thread-safe: it uses scratch space inside ${sel}.
 */
enum select_result selection_check(const struct selection *, const char *,
    const struct obj_meta *, uint64_t, int, const char *);

/* selection_free(sel): NULL is fine. */
void selection_free(struct selection *);

#endif
