/*
 * The file:// backend: a local directory.  Puts write a hidden temporary
 * name in the target directory and rename it into place after fsync, so a
 * listing never shows a partial volume (BACKEND_ATOMIC_PUT); put_new
 * links it into place instead, which fails when the name exists.
 */
#define _GNU_SOURCE
#include "backend/backend_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/err.h"
#include "util/ratelimit.h"
#include "util/stream.h"
#include "util/url.h"

extern const struct backend_ops file_backend_ops;

static atomic_ulong temp_seq;

struct file_backend {
	struct backend base;
	char *dir;
	struct ratelimit *up, *down; /* borrowed from the options */
};

static int
classify_errno(int e)
{
	switch (e) {
	case ENOENT:
		return ERR_NOT_FOUND;
	case EINTR:
	case EAGAIN:
	case EIO:
		return ERR_TRANSIENT;
	default:
		return ERR_PERMANENT;
	}
}

static int file_fail(struct dupc_err *, int, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* Record the current errno with a backend class and duplicity code. */
static int
file_fail(struct dupc_err *err, int code, const char *fmt, ...)
{
	int e = errno;
	size_t len;
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	err_vset(err, code, fmt, ap);
	va_end(ap);
	len = strlen(err->msg);
	snprintf(err->msg + len, sizeof(err->msg) - len, ": %s", strerror(e));
	err->errnum = e;
	err->cls = classify_errno(e);
	if (e == ENOENT)
		err->code = E_BACKEND_NOT_FOUND;
	else if (e == EACCES || e == EPERM)
		err->code = E_BACKEND_PERMISSION_DENIED;
	else if (e == ENOSPC || e == EDQUOT)
		err->code = E_BACKEND_NO_SPACE;
	return -1;
}

static char *
join(const struct file_backend *fb, const char *name)
{
	size_t n = strlen(fb->dir) + strlen(name) + 2;
	char *p = malloc(n);

	if (p != NULL)
		snprintf(p, n, "%s/%s", fb->dir, name);
	return p;
}

static int
file_open(struct backend **bep, const struct url *u,
    const struct backend_options *opts, struct dupc_err *err)
{
	struct file_backend *fb;

	fb = calloc(1, sizeof(*fb));
	if (fb == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	fb->base.ops = &file_backend_ops;
	if (opts != NULL) {
		fb->up = opts->limit_up;
		fb->down = opts->limit_down;
	}
	fb->dir = strdup(u->path);
	if (fb->dir == NULL) {
		free(fb);
		return err_set(err, E_GENERIC, "out of memory");
	}
	/* strip trailing slashes (but keep "/") */
	for (size_t n = strlen(fb->dir); n > 1 && fb->dir[n - 1] == '/'; n--)
		fb->dir[n - 1] = '\0';
	*bep = &fb->base;
	return 0;
}

static int
file_list(struct backend *be, backend_list_fn *fn, void *arg,
    struct dupc_err *err)
{
	struct file_backend *fb = (struct file_backend *)be;
	DIR *d = opendir(fb->dir);
	struct dirent *de;
	int rc = 0;

	if (d == NULL) {
		if (errno == ENOENT)
			return 0;
		return file_fail(err, E_BACKEND_ERROR,
		    "cannot list target directory %s", fb->dir);
	}
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (de->d_name[0] == '.')
			continue; /* ., .., and our own temporaries */
		if (fstatat(dirfd(d), de->d_name, &st, 0) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (fn(de->d_name, (uint64_t)st.st_size, arg, err) != 0) {
			rc = -1;
			break;
		}
	}
	closedir(d);
	return rc;
}

/* mkdir -p for the target folder (duplicity creates it on first put). */
static int
make_dirs(const char *dir, struct dupc_err *err)
{
	char path[PATH_MAX];
	size_t i, n = strlen(dir);

	if (n >= sizeof(path))
		return err_set(err, E_BACKEND_ERROR, "target path too long: %s",
		    dir);
	memcpy(path, dir, n + 1);
	for (i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0777) < 0 && errno != EEXIST)
			return file_fail(err, E_BACKEND_ERROR,
			    "cannot create target directory %s", path);
		path[i] = i < n ? '/' : '\0';
	}
	return 0;
}

/*
 * Write ${src} to a hidden temporary name beside ${name}, flushed to
 * disk; *${tmpp} is its path (the caller frees it and removes the file
 * when it is not committed).
 */
static int
write_temp(struct file_backend *fb, const char *name, struct source *src,
    char **tmpp, struct dupc_err *err)
{
	struct source *in = NULL;
	struct sink *out = NULL;
	char *tmp;
	size_t tl;
	int fd = -1, rc = -1;

	if (make_dirs(fb->dir, err) < 0)
		return -1;
	tl = strlen(fb->dir) + strlen(name) + 32;
	if ((tmp = malloc(tl)) == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	*tmpp = tmp;
	/* unique within the process too: threads may write one name */
	snprintf(tmp, tl, "%s/.%s.%ld.%lu.tmp", fb->dir, name, (long)getpid(),
	    atomic_fetch_add(&temp_seq, 1));
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0666);
	if (fd < 0)
		return file_fail(err, E_BACKEND_ERROR, "cannot write %s", tmp);
	out = fd_sink_new(fd, tmp);
	in = fb->up != NULL ? ratelimit_source_new(fb->up, src) : src;
	if (out == NULL || in == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		goto out;
	}
	if (source_copy(in, out, NULL, err) < 0) {
		if (err != NULL && err->errnum == ENOSPC)
			err->code = E_BACKEND_NO_SPACE;
		goto out;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		file_fail(err, E_BACKEND_ERROR, "cannot write %s", tmp);
		goto out;
	}
	fd = -1;
	rc = 0;
out:
	if (in != src)
		source_free(in);
	sink_free(out);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Make a rename or link into the folder durable. */
static void
sync_dir(const struct file_backend *fb)
{
	int dfd = open(fb->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
}

static int
file_put(struct backend *be, const char *name, struct source *src,
    uint64_t size, struct dupc_err *err)
{
	struct file_backend *fb = (struct file_backend *)be;
	char *final = NULL, *tmp = NULL;
	int rc = -1;

	(void)size;
	if ((final = join(fb, name)) == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	if (write_temp(fb, name, src, &tmp, err) < 0)
		goto out;
	if (rename(tmp, final) < 0) {
		file_fail(err, E_BACKEND_ERROR, "cannot rename %s into %s", tmp,
		    fb->dir);
		goto out;
	}
	sync_dir(fb);
	rc = 0;
out:
	if (rc < 0 && tmp != NULL)
		unlink(tmp);
	free(final);
	free(tmp);
	return rc;
}

/*
 * put_new: the object is written under a temporary name and linked to
 * its own, which fails with EEXIST when the name is taken (atomic on
 * local file systems and over NFS, where O_EXCL was not always).
 */
static int
file_put_new(struct backend *be, const char *name, struct source *src,
    uint64_t size, struct dupc_err *err)
{
	struct file_backend *fb = (struct file_backend *)be;
	char *final = NULL, *tmp = NULL;
	int rc = -1;

	(void)size;
	if ((final = join(fb, name)) == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	if (write_temp(fb, name, src, &tmp, err) < 0)
		goto out;
	if (link(tmp, final) == 0) {
		sync_dir(fb);
		rc = 0;
	} else if (errno == EEXIST) {
		rc = 1;
	} else {
		file_fail(err, E_BACKEND_ERROR, "cannot link %s into %s", tmp,
		    fb->dir);
	}
out:
	if (tmp != NULL)
		unlink(tmp);
	free(final);
	free(tmp);
	return rc;
}

static int
file_get(struct backend *be, const char *name, int fd, struct dupc_err *err)
{
	struct file_backend *fb = (struct file_backend *)be;
	char *path = NULL;
	struct source *in = NULL, *lim = NULL;
	struct sink *out = NULL;
	int src = -1, rc = -1;
	uint64_t n = 0;

	path = join(fb, name);
	if (path == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	src = open(path, O_RDONLY | O_CLOEXEC);
	if (src < 0) {
		file_fail(err, E_BACKEND_ERROR, "cannot read %s", path);
		goto out;
	}
	if (lseek(fd, 0, SEEK_SET) < 0 || ftruncate(fd, 0) < 0) {
		err_errno(err, E_GENERIC, "cannot reset download file");
		goto out;
	}
	in = fd_source_new(src, path);
	out = fd_sink_new(fd, "download file");
	lim = in != NULL && fb->down != NULL
		  ? ratelimit_source_new(fb->down, in)
		  : in;
	if (in == NULL || out == NULL || lim == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		goto out;
	}
	if (source_copy(lim, out, &n, err) < 0)
		goto out;
	rc = 0;
out:
	if (lim != in)
		source_free(lim);
	source_free(in);
	sink_free(out);
	if (src >= 0)
		close(src);
	free(path);
	return rc;
}

/* Restores read volumes in place: no copy into a temp file. */
static int
file_open_read(struct backend *be, const char *name, int *fdp,
    struct dupc_err *err)
{
	struct file_backend *fb = (struct file_backend *)be;
	struct stat st;
	char *path;
	int fd;

	/* a download limit applies to reads in place too: copy instead */
	if (fb->down != NULL)
		return 1;
	path = join(fb, name);
	if (path == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	/* O_NONBLOCK: a FIFO planted under a volume's name must not hang */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		file_fail(err, E_BACKEND_ERROR, "cannot read %s", path);
		free(path);
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    fcntl(fd, F_SETFL, 0) < 0) {
		err_set(err, E_BACKEND_ERROR, "%s is not a regular file", path);
		err->cls = ERR_PERMANENT;
		close(fd);
		free(path);
		return -1;
	}
	free(path);
	*fdp = fd;
	return 0;
}

static int
file_remove(struct backend *be, const char *name, struct dupc_err *err)
{
	struct file_backend *fb = (struct file_backend *)be;
	char *path;
	int rc = 0;

	path = join(fb, name);
	if (path == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	if (unlink(path) < 0)
		rc = file_fail(err, E_BACKEND_ERROR, "cannot delete %s", path);
	free(path);
	return rc;
}

static int
file_size(struct backend *be, const char *name, uint64_t *size,
    struct dupc_err *err)
{
	struct file_backend *fb = (struct file_backend *)be;
	struct stat st;
	char *path;
	int rc = 0;

	path = join(fb, name);
	if (path == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	if (stat(path, &st) < 0)
		rc = file_fail(err, E_BACKEND_ERROR, "cannot stat %s", path);
	else
		*size = (uint64_t)st.st_size;
	free(path);
	return rc;
}

static void
file_close(struct backend *be)
{
	struct file_backend *fb = (struct file_backend *)be;

	free(fb->dir);
	free(fb);
}

static const char *const file_schemes[] = { "file", NULL };

static const char file_help[] =
    "file:///absolute/path, file://relative/path\n"
    "  A folder on a local or mounted file system.  Each object is written\n"
    "  under a hidden temporary name, flushed to disk and renamed into\n"
    "  place, so a listing never shows a partial volume.  A missing folder\n"
    "  is created.\n";

static const char *
file_hint(const struct dupc_err *err)
{
	if (err->code == E_BACKEND_PERMISSION_DENIED)
		return "check the permissions of the target folder and the user dupc runs as";
	return NULL;
}

const struct backend_ops file_backend_ops = {
	.schemes = file_schemes,
	.flags = BACKEND_ATOMIC_PUT | BACKEND_CONCURRENT | BACKEND_LOCAL |
		 BACKEND_PUT_NEW,
	.example = "file:///path",
	.help = file_help,
	.hint = file_hint,
	.open = file_open,
	.list = file_list,
	.put = file_put,
	.get = file_get,
	.open_read = file_open_read,
	.remove = file_remove,
	.size = file_size,
	.sha256 = NULL,
	.put_new = file_put_new,
	.close = file_close,
};
