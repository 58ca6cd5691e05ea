#ifndef DUPC_UTIL_PATH_H
#define DUPC_UTIL_PATH_H

/*
 * Indexes: a path relative to the backup root, as duplicity names it.  dupc
 * keeps an index as a C string of its components joined with '/'; the root
 * is "".  A component is any bytes except '/' and NUL, never "" and never
 * "." or "..".
 *
 * Order: duplicity sorts by the list of components, compared as byte
 * strings (so "a/b" < "a-b"); index_cmp gives that order on the joined form
 * by ranking the separator below every other byte.
 */

#include <stdbool.h>
#include <stddef.h>

/* index_cmp(a, b): <0, 0, >0 in duplicity's path order. */
int index_cmp(const char *, const char *);

/* index_is_within(idx, prefix): ${idx} is ${prefix} or below it. */
bool index_is_within(const char *, const char *);

/*
 * index_valid(idx):
 * True when every component is non-empty and not "." or "..", and there is
 * no leading or trailing '/'.  The root "" is valid.
 */
bool index_valid(const char *);

/* index_depth(idx): number of components (root: 0). */
size_t index_depth(const char *);

/* index_basename(idx): the last component (borrowed, inside ${idx}). */
const char *index_basename(const char *);

/*
 * index_common_prefix_len(a, b):
 * Length in bytes of the longest common leading run of whole components
 * (0 for none; never ends inside a component).
 */
size_t index_common_prefix_len(const char *, const char *);

#endif
