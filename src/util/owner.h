#ifndef DUPC_UTIL_OWNER_H
#define DUPC_UTIL_OWNER_H

/*
 * User and group names, both ways, cached (a tree has few owners and the
 * lookups are slow).  duplicity stores both name and number and, when
 * reading, prefers the local id of the stored name (duplicity-format.md
 * 4.7); these helpers implement that rule.
 */

#include <stdbool.h>
#include <stdint.h>

/* owner_names(uid, gid, uname, gname): names ("" if unknown) into
 * META_NAME_MAX-byte buffers. */
void owner_names(int64_t, int64_t, char *, char *);

/*
 * owner_resolve(uname, uid, gname, gid, numeric, uidp, gidp):
 * The local ids for a stored owner: the id of the name when the name
 * exists here (and ${numeric} is false), else the stored number.
 */
void owner_resolve(const char *, int64_t, const char *, int64_t, bool,
    int64_t *, int64_t *);

#endif
