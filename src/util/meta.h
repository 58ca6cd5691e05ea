#ifndef DUPC_UTIL_META_H
#define DUPC_UTIL_META_H

/*
 * What dupc knows about one file-system object: the metadata duplicity
 * stores in a tar header (duplicity-format.md 4.7).  The tree walk fills it
 * from lstat, the tar reader from a header, the restore writer applies it.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

enum obj_type {
	OBJ_NONE = 0, /* absent / deleted */
	OBJ_REG,
	OBJ_DIR,
	OBJ_SYMLINK,
	OBJ_FIFO,
	OBJ_CHR,
	OBJ_BLK,
	OBJ_SOCK,
};

#define META_NAME_MAX 256   /* user/group names */
#define META_LINK_MAX 65536 /* symlink targets */

struct obj_meta {
	enum obj_type type;
	uint32_t mode; /* permission bits, setuid/setgid/sticky included */
	int64_t uid, gid;
	char uname[META_NAME_MAX]; /* "" when unknown */
	char gname[META_NAME_MAX];
	int64_t mtime; /* whole seconds */
	uint64_t size; /* st_size (regular files; others as duplicity) */
	uint32_t devmajor, devminor;
	char *linkname; /* symlink target (owned), else NULL */
};

/* meta_init(m): an OBJ_NONE record (no allocation). */
void meta_init(struct obj_meta *);

/* meta_release(m): free the link name; ${m} is OBJ_NONE after. */
void meta_release(struct obj_meta *);

/* meta_copy(dst, src): deep copy into an initialised ${dst}; 0 or -1. */
int meta_copy(struct obj_meta *, const struct obj_meta *);

/* meta_type_of_mode(mode): the object type of an st_mode. */
enum obj_type meta_type_of_mode(mode_t);

/* meta_type_name(t): duplicity's type word ("reg", "dir", "sym", ...). */
const char *meta_type_name(enum obj_type);

/*
 * meta_from_stat(m, st, link, uname, gname):
 * Fill ${m} from lstat results; ${link} (copied, may be NULL) is the
 * symlink target.  Names are looked up by the caller (cached).
 */
int meta_from_stat(struct obj_meta *, const struct stat *, const char *,
    const char *, const char *);

#endif
