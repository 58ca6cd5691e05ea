/*
 * The archive dir.  Naming and the lock follow duplicity, so dupc and
 * duplicity can share one archive dir (and refuse to run at the same time).
 */
#define _DEFAULT_SOURCE
#include "cache/cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/checksums.h"
#include "util/buf.h"
#include "util/digest.h"
#include "util/err.h"
#include "util/stream.h"

static int
mkdir_p(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];
	size_t i, n = strlen(path);

	if (n == 0 || n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(tmp, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return -1;
		tmp[i] = i < n ? '/' : '\0';
	}
	return 0;
}

/* Expand a leading ~ as duplicity does for --archive-dir. */
static char *
expand_home(const char *p)
{
	const char *home = getenv("HOME");
	size_t n;
	char *out;

	if (p[0] != '~' || (p[1] != '/' && p[1] != '\0') || home == NULL)
		return strdup(p);
	n = strlen(home) + strlen(p);
	out = malloc(n);
	if (out != NULL)
		snprintf(out, n, "%s%s", home, p + 1);
	return out;
}

static char *
default_base(void)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	char buf[PATH_MAX];

	if (xdg != NULL && *xdg != '\0')
		snprintf(buf, sizeof(buf), "%s/duplicity", xdg);
	else
		snprintf(buf, sizeof(buf), "%s/.cache/duplicity",
		    home ? home : "/root");
	return strdup(buf);
}

int
cache_open(struct cache *c, const char *archive_dir, const char *name,
    const char *url, struct dupc_err *err)
{
	char md5[DIGEST_HEX_MAX];
	char *base;
	size_t n;

	c->dir = NULL;
	c->lock_fd = -1;
	base = archive_dir ? expand_home(archive_dir) : default_base();
	if (base == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	if (name == NULL) {
		digest_hex(DIGEST_MD5, url, strlen(url), md5);
		name = md5;
	}
	if (*name == '\0' || strchr(name, '/') != NULL ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		free(base);
		return err_set(err, E_BAD_ARCHIVE_DIR,
		    "invalid --name '%s': use a plain name without '/'", name);
	}
	n = strlen(base) + strlen(name) + 2;
	c->dir = malloc(n);
	if (c->dir == NULL) {
		free(base);
		return err_set(err, E_GENERIC, "out of memory");
	}
	snprintf(c->dir, n, "%s/%s", base, name);
	free(base);
	if (mkdir_p(c->dir, 0700) < 0) {
		err_errno(err, E_BAD_ARCHIVE_DIR,
		    "cannot create archive directory %s (check --archive-dir)",
		    c->dir);
		free(c->dir);
		c->dir = NULL;
		return -1;
	}
	return 0;
}

/*
 * Lock the open "lockfile" at ${fd} as ${type} (F_WRLCK or F_RDLCK): 0 when
 * held, 1 when another run holds it, -1 on another error (errno set).
 */
static int
lock_fd(int fd, short type)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	/* the lock dies with the process, so a crashed run leaves no stale
	 * lock behind */
	if (fcntl(fd, F_SETLK, &fl) == 0)
		return 0;
	return errno == EACCES || errno == EAGAIN ? 1 : -1;
}

/* True when ${path} still names the file open at ${fd}. */
static bool
same_file(const char *path, int fd)
{
	struct stat a, b;

	return stat(path, &a) == 0 && fstat(fd, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static int
lock_as(struct cache *c, short type, struct dupc_err *err)
{
	char *path = cache_path(c, "lockfile");
	int fd = -1, tries, rc = -1, held = -1;

	if (path == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	/*
	 * The run holding the lock removes the file when it is done (as
	 * duplicity's util.release_lockfile does), so a lock taken on a file
	 * that was removed meanwhile guards nothing: open it again.
	 */
	for (tries = 0; tries < 100; tries++) {
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0) {
			err_errno(err, E_BAD_ARCHIVE_DIR, "cannot open %s",
			    path);
			goto out;
		}
		held = lock_fd(fd, type);
		if (held != 0 || same_file(path, fd))
			break;
		close(fd);
		fd = -1;
	}
	if (held == 1) {
		err_set(err, E_USER_ERROR,
		    "Another duplicity instance is already running with this archive directory (%s); wait for it to finish",
		    c->dir);
		goto out;
	}
	if (held < 0 || fd < 0) {
		err_errno(err, E_BAD_ARCHIVE_DIR,
		    "cannot lock archive directory %s", c->dir);
		goto out;
	}
	c->lock_fd = fd;
	c->lock_exclusive = type == F_WRLCK;
	fd = -1;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

int
cache_lock(struct cache *c, struct dupc_err *err)
{
	return lock_as(c, F_WRLCK, err);
}

/* A read lock: other readers share it, duplicity's write lock (and a
 * backup's) cannot be had while it is held, nor it while they are. */
int
cache_lock_shared(struct cache *c, struct dupc_err *err)
{
	return lock_as(c, F_RDLCK, err);
}

void
cache_close(struct cache *c)
{
	char *path;

	/* removed while still held, so no other run can lock the file
	 * between its removal and the unlock (duplicity removes it too); a
	 * reader removes it only when it is the last one, which it knows
	 * when it can turn its shared lock into the exclusive one */
	if (c->lock_fd >= 0) {
		if (c->lock_exclusive || lock_fd(c->lock_fd, F_WRLCK) == 0) {
			path = cache_path(c, "lockfile");
			if (path != NULL)
				unlink(path);
			free(path);
		}
		close(c->lock_fd);
	}
	c->lock_fd = -1;
	free(c->dir);
	c->dir = NULL;
}

void
cache_names_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int
cache_list(const struct cache *c, char ***namesp, size_t *np,
    struct dupc_err *err)
{
	DIR *d = opendir(c->dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;

	if (d == NULL)
		return err_errno(err, E_BAD_ARCHIVE_DIR,
		    "cannot list archive directory %s", c->dir);
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		char **p;

		if (de->d_name[0] == '.' || strcmp(de->d_name, "lockfile") == 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) <
			0 ||
		    !S_ISREG(st.st_mode))
			continue;
		p = realloc(names, (n + 1) * sizeof(*p));
		if (p == NULL || (p[n] = strdup(de->d_name)) == NULL) {
			if (p != NULL)
				names = p;
			closedir(d);
			cache_names_free(names, n);
			return err_set(err, E_GENERIC, "out of memory");
		}
		names = p;
		n++;
	}
	closedir(d);
	*namesp = names;
	*np = n;
	return 0;
}

char *
cache_path(const struct cache *c, const char *name)
{
	size_t n = strlen(c->dir) + strlen(name) + 2;
	char *p = malloc(n);

	if (p != NULL)
		snprintf(p, n, "%s/%s", c->dir, name);
	return p;
}

int
cache_remove(const struct cache *c, const char *name, struct dupc_err *err)
{
	char *p = cache_path(c, name);
	int rc = 0;

	if (p == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	if (unlink(p) < 0 && errno != ENOENT)
		rc = err_errno(err, E_GENERIC, "cannot delete %s", p);
	free(p);
	return rc;
}

bool
cache_exists(const struct cache *c, const char *name)
{
	char *p = cache_path(c, name);
	struct stat st;
	bool ok;

	if (p == NULL)
		return false;
	ok = stat(p, &st) == 0;
	free(p);
	return ok;
}

int
cache_checksum_add(const struct cache *c, const char *name, uint64_t size,
    const char *sha256, struct dupc_err *err)
{
	struct buf line;
	char *p = cache_path(c, CHECKSUMS_FILE);
	int fd = -1, rc = -1;

	buf_init(&line, CHECKSUMS_LINE_MAX);
	if (p == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		goto out;
	}
	if (checksums_format_line(&line, name, size, sha256) < 0) {
		err_set(err, E_GENERIC, "cannot record the size of %s", name);
		goto out;
	}
	fd = open(p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd < 0 || write_full(fd, line.data, line.len) < 0) {
		err_errno(err, E_GENERIC, "cannot write %s", p);
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	buf_release(&line);
	free(p);
	return rc;
}

/* Where a scan of the record is. */
struct scan {
	cache_checksum_fn *fn;
	void *arg;
	bool skipping; /* inside a line too long to be one */
	int rc;
};

/* Hand each complete line of ${b}[0..${n}) to the scan's function;
 * returns the bytes used (a partial last line waits for more). */
static size_t
scan_lines(struct scan *sc, const char *b, size_t n, bool at_end)
{
	size_t used = 0;

	while (used < n && sc->rc == 0) {
		const char *nl = memchr(b + used, '\n', n - used);
		struct checksum_line l;
		size_t len;

		if (nl == NULL) {
			if (!at_end && n - used < CHECKSUMS_LINE_MAX)
				break;
			/* too long for a line (skip to its end), or torn */
			sc->skipping = !at_end;
			return n;
		}
		len = (size_t)(nl - (b + used));
		if (!sc->skipping &&
		    checksums_parse_line(b + used, len, &l) == 0)
			sc->rc = sc->fn(&l, sc->arg);
		sc->skipping = false;
		used += len + 1;
	}
	return used;
}

int
cache_checksum_scan(const struct cache *c, cache_checksum_fn *fn, void *arg,
    struct dupc_err *err)
{
	char *p = cache_path(c, CHECKSUMS_FILE), *b = NULL;
	struct scan sc = { fn, arg, false, 0 };
	size_t have = 0, cap = 65536;
	int fd, rc = 0;

	if (p == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		rc = errno == ENOENT
			 ? 0
			 : err_errno(err, E_GENERIC, "cannot read %s", p);
		free(p);
		return rc;
	}
	if ((b = malloc(cap)) == NULL) {
		rc = err_set(err, E_GENERIC, "out of memory");
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, b + have, cap - have);
		size_t used;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = err_errno(err, E_GENERIC, "cannot read %s", p);
			break;
		}
		have += (size_t)r;
		used = scan_lines(&sc, b, have, r == 0);
		memmove(b, b + used, have - used);
		have -= used;
		if (r == 0 || sc.rc != 0) {
			rc = sc.rc;
			break;
		}
	}
out:
	free(b);
	close(fd);
	free(p);
	return rc;
}
