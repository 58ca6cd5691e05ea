/*
 * The scratch directory and atomic files.  Temporary names are made with
 * mkdtemp/O_EXCL in a 0700 directory, so no other user can see or race
 * them.
 */
#define _GNU_SOURCE
#include "tempfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"

static char *scratch;
static pid_t scratch_owner;
static unsigned long counter;

int
rm_rf_at(int atfd, const char *name)
{
	struct stat st;
	int fd, rc = 0;
	DIR *d;
	struct dirent *de;

	if (fstatat(atfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(atfd, name, 0);
	fd = openat(atfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (rm_rf_at(dirfd(d), de->d_name) < 0)
			rc = -1;
	}
	closedir(d);
	if (unlinkat(atfd, name, AT_REMOVEDIR) < 0)
		rc = -1;
	return rc;
}

int
rm_rf(const char *path)
{
	return rm_rf_at(AT_FDCWD, path);
}

void
tempdir_cleanup(void)
{
	/* A forked child must not remove its parent's scratch space. */
	if (scratch == NULL || getpid() != scratch_owner)
		return;
	rm_rf(scratch);
	free(scratch);
	scratch = NULL;
}

/*
 * Remove scratch directories left by dupc runs that were killed (SIGKILL,
 * power loss): "dupc-<pid>-XXXXXX" owned by us whose process is gone.
 */
static void
reap_stale(const char *base)
{
	DIR *d = opendir(base);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		char *end;
		long pid;

		if (strncmp(de->d_name, "dupc-", 5) != 0)
			continue;
		pid = strtol(de->d_name + 5, &end, 10);
		if (end == de->d_name + 5 || *end != '-' || pid <= 0 ||
		    strlen(end) != 7 || pid == (long)getpid())
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) <
			0 ||
		    !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		rm_rf_at(dirfd(d), de->d_name);
	}
	closedir(d);
}

int
tempdir_init(const char *base, struct dupc_err *err)
{
	char tmpl[PATH_MAX];

	if (scratch != NULL)
		return 0;
	if (base == NULL)
		base = getenv("TMPDIR");
	if (base == NULL || *base == '\0')
		base = "/tmp";
	reap_stale(base);
	if ((size_t)snprintf(tmpl, sizeof(tmpl), "%s/dupc-%ld-XXXXXX", base,
		(long)getpid()) >= sizeof(tmpl))
		return err_set(err, E_GENERIC,
		    "temporary directory %s: path too long", base);
	if (mkdtemp(tmpl) == NULL)
		return err_errno(err, E_GENERIC,
		    "cannot create a temporary directory in %s (set --tempdir or TMPDIR)",
		    base);
	scratch = strdup(tmpl);
	if (scratch == NULL) {
		rmdir(tmpl);
		return err_set(err, E_GENERIC, "out of memory");
	}
	scratch_owner = getpid();
	atexit(tempdir_cleanup);
	return 0;
}

const char *
tempdir_path(void)
{
	return scratch;
}

int
tempfile_open(const char *prefix, char **pathp, struct dupc_err *err)
{
	char path[PATH_MAX];
	int fd;

	if (scratch == NULL && tempdir_init(NULL, err) < 0)
		return -1;
	for (;;) {
		snprintf(path, sizeof(path), "%s/%s.%lu", scratch, prefix,
		    __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0)
			break;
		if (errno != EEXIST)
			return err_errno(err, E_GENERIC,
			    "cannot create temporary file %s", path);
	}
	if (pathp == NULL) {
		unlink(path);
	} else {
		*pathp = strdup(path);
		if (*pathp == NULL) {
			close(fd);
			unlink(path);
			return err_set(err, E_GENERIC, "out of memory");
		}
	}
	return fd;
}

int
fsync_parent_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, rc;

	if (slash == NULL) {
		dir[0] = '.';
		dir[1] = '\0';
	} else if (slash == path) {
		dir[0] = '/';
		dir[1] = '\0';
	} else {
		size_t n = (size_t)(slash - path);

		if (n >= sizeof(dir))
			return -1;
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
atomic_file_open(struct atomic_file *af, const char *path, int mode,
    struct dupc_err *err)
{
	size_t n = strlen(path) + 32;

	af->fd = -1;
	af->path = strdup(path);
	af->tmp = malloc(n);
	if (af->path == NULL || af->tmp == NULL) {
		atomic_file_abort(af);
		return err_set(err, E_GENERIC, "out of memory");
	}
	snprintf(af->tmp, n, "%s.tmp%ld", path, (long)getpid());
	af->fd = open(af->tmp,
	    O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (af->fd < 0) {
		err_errno(err, E_GENERIC, "cannot create %s", af->tmp);
		atomic_file_abort(af);
		return -1;
	}
	return 0;
}

int
atomic_file_commit(struct atomic_file *af, struct dupc_err *err)
{
	int rc = -1;

	if (fsync(af->fd) < 0) {
		err_errno(err, E_GENERIC, "cannot write %s", af->tmp);
		goto out;
	}
	if (close(af->fd) < 0) {
		af->fd = -1;
		err_errno(err, E_GENERIC, "cannot write %s", af->tmp);
		goto out;
	}
	af->fd = -1;
	if (rename(af->tmp, af->path) < 0) {
		err_errno(err, E_GENERIC, "cannot rename %s to %s", af->tmp,
		    af->path);
		goto out;
	}
	free(af->tmp);
	af->tmp = NULL;
	fsync_parent_dir(af->path);
	rc = 0;
out:
	atomic_file_abort(af);
	return rc;
}

void
atomic_file_abort(struct atomic_file *af)
{
	if (af->fd >= 0)
		close(af->fd);
	af->fd = -1;
	if (af->tmp != NULL)
		unlink(af->tmp);
	free(af->tmp);
	free(af->path);
	af->tmp = NULL;
	af->path = NULL;
}
