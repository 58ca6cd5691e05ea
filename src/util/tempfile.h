#ifndef DUPC_UTIL_TEMPFILE_H
#define DUPC_UTIL_TEMPFILE_H

/*
 * Private scratch space.  One directory per run (mode 0700) holds every
 * temporary file (mode 0600); it is removed at exit, after a handled
 * signal, and by the command layer on every error path.  Files that must
 * survive a crash (the partial manifest) live in the archive dir instead.
 */

struct dupc_err;

/*
 * tempdir_init(base, err):
 * Create the run's scratch directory under ${base} (NULL: $TMPDIR or
 * /tmp).  Idempotent.  Registers removal at exit.
 */
int tempdir_init(const char *, struct dupc_err *);

/* tempdir_path(): the scratch directory, or NULL before tempdir_init. */
const char *tempdir_path(void);

/*
 * tempfile_open(prefix, pathp, err):
 * Create a new private file in the scratch directory and return its fd
 * (O_RDWR).  If ${pathp} is not NULL, *pathp receives a path the caller
 * frees; otherwise the file is unlinked at once (anonymous).
 */
int tempfile_open(const char *, char **, struct dupc_err *);

/* tempdir_cleanup(): remove the scratch directory and its contents. */
void tempdir_cleanup(void);

/*
 * struct atomic_file: a file written under a temporary name and renamed
 * into place by atomic_file_commit, so readers see the old or the new
 * content, never a torn one (after git's lockfile).
 */
struct atomic_file {
	int fd;
	char *path;
	char *tmp;
};

/* atomic_file_open(af, path, mode, err): start writing ${path}. */
int atomic_file_open(struct atomic_file *, const char *, int,
    struct dupc_err *);

/* atomic_file_commit(af, err): fsync, rename into place, fsync the dir. */
int atomic_file_commit(struct atomic_file *, struct dupc_err *);

/* atomic_file_abort(af): drop the temporary file; safe after commit. */
void atomic_file_abort(struct atomic_file *);

/* rm_rf(path): remove a tree without following symlinks; 0 or -1. */
int rm_rf(const char *);

/* rm_rf_at(dirfd, name): the same relative to an open directory. */
int rm_rf_at(int, const char *);

/* fsync_dir(path): fsync the directory containing ${path}. */
int fsync_parent_dir(const char *);

#endif
