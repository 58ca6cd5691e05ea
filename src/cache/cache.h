#ifndef DUPC_CACHE_CACHE_H
#define DUPC_CACHE_CACHE_H

/*
 * The local archive dir (duplicity's --archive-dir/--name): manifests and
 * signatures of one target, kept so incrementals and listings need not
 * fetch them (duplicity-format.md section 7).  The directory is private
 * (0700), files are written atomically, and a lock keeps two runs (of
 * dupc or of duplicity) apart.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct checksum_line;
struct dupc_err;

struct cache {
	char *dir;           /* <archive dir>/<name> */
	int lock_fd;         /* -1 when not locked */
	bool lock_exclusive; /* lock_fd holds the write lock */
};

/*
 * cache_open(c, archive_dir, name, url, err):
 * Use <archive_dir>/<name>, creating it 0700.  ${archive_dir} NULL means
 * $XDG_CACHE_HOME/duplicity (or ~/.cache/duplicity); ${name} NULL means the
 * MD5 of ${url} exactly as typed, as duplicity names it.  E_BAD_ARCHIVE_DIR
 * when it cannot be created.
 */
int cache_open(struct cache *, const char *, const char *, const char *,
    struct dupc_err *);

/*
 * cache_lock(c, err):
 * Take the archive dir's lock (fcntl on "lockfile", the lock duplicity
 * takes), opening the file again when its holder removed it meanwhile.
 * E_USER_ERROR with duplicity's message when another run holds it.
 */
int cache_lock(struct cache *, struct dupc_err *);

/*
 * cache_lock_shared(c, err):
 * The same lock taken for reading (fcntl F_RDLCK): any number of readers
 * hold it together, and none while a run holds cache_lock().
 */
int cache_lock_shared(struct cache *, struct dupc_err *);

/*
 * cache_close(c): remove "lockfile" when this run holds the lock (as
 * duplicity does at exit), unlock and free.
 */
void cache_close(struct cache *);

/*
 * cache_list(c, namesp, np, err):
 * The names of the regular files in the archive dir (lockfile and
 * temporaries excluded); the caller frees with cache_names_free.
 */
int cache_list(const struct cache *, char ***, size_t *, struct dupc_err *);
void cache_names_free(char **, size_t);

/* cache_path(c, name): "<dir>/<name>", newly allocated (NULL on ENOMEM). */
char *cache_path(const struct cache *, const char *);

/* cache_remove(c, name, err): delete a file; a missing file is fine. */
int cache_remove(const struct cache *, const char *, struct dupc_err *);

/* cache_exists(c, name): true when the file is there. */
bool cache_exists(const struct cache *, const char *);

/*
 * cache_checksum_add(c, name, size, sha256, err):
 * Append a line for the remote file ${name} to the record of stored
 * files (format/checksums.h); ${sha256} NULL or "" when unknown.  One
 * write of a whole line, so runs appending at once do not mix lines.
 */
int cache_checksum_add(const struct cache *, const char *, uint64_t,
    const char *, struct dupc_err *);

/*
 * cache_checksum_scan(c, fn, arg, err):
 * Call ${fn} for each valid line of the record in order (later lines of a
 * name replace earlier ones), reading a block at a time; a missing record
 * is empty.  Stops at and returns ${fn}'s first non-zero result.
 */
typedef int cache_checksum_fn(const struct checksum_line *, void *);
int cache_checksum_scan(const struct cache *, cache_checksum_fn *, void *,
    struct dupc_err *);

#endif
