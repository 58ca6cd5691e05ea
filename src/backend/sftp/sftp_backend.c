/*
 * The sftp:// backend (scp://, paramiko+sftp://, paramiko+scp://,
 * pexpect+sftp://, pexpect+scp://): a folder on an SSH server, through
 * libssh2.  Open resolves the URL, --ssh-options and ~/.ssh/config into
 * one struct sftp_backend and connects nowhere; the first operation
 * connects (sftp_conn.c), so every connection, the first included, is
 * made inside the retry layer.
 *
 * Why libssh2 and not libssh 0.10 (both Debian 12): libssh2 1.10's
 * libssh2_sftp_write sends a whole buffer as many SFTP writes before it
 * waits for the first acknowledgement, so an upload over a 20 ms link
 * keeps megabytes in flight; libssh 0.10's sftp_write waits for each
 * write's answer (its asynchronous writes arrived in 0.11), one request
 * per round trip.  The price: no rsa-sha2 signatures (see sftp_auth.c),
 * and the ssh_config subset and host key ordering are dupc's own.
 *
 * Puts are atomic: the volume is written under a hidden temporary name
 * in the target folder, flushed (fsync@openssh.com where the server has
 * it) and renamed into place.  SFTP version 3's rename does not replace
 * (OpenSSH answers FAILURE), and libssh2 1.10 cannot send
 * posix-rename@openssh.com, so an existing object is first renamed
 * aside, then replaced, then the aside copy removed: a reader sees the
 * old object, then briefly none, then the new one, never a partial one.
 */
#define _GNU_SOURCE
#include "backend/sftp/sftp_internal.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "util/err.h"
#include "util/log.h"
#include "util/ratelimit.h"
#include "util/secret.h"
#include "util/stream.h"
#include "util/url.h"

extern const struct backend_ops sftp_backend_ops;

/* Upload window: unacknowledged bytes handed to libssh2 at once. */
#define PUT_BUF (4u << 20)
/* Download buffer (libssh2 reads ahead four times this). */
#define GET_BUF (1u << 20)
/* Temporaries and aside copies start with this; listings skip them. */
#define TMP_PREFIX ".dupc-"

/* ---- paths ------------------------------------------------------------- */

/* The remote path of ${name}: "dir/name", or "name" in the home folder. */
static char *
path_of(const struct sftp_backend *be, const char *name)
{
	char *p;

	if (strcmp(be->dir, ".") == 0)
		return strdup(name);
	if (asprintf(&p, "%s%s%s", be->dir,
		be->dir[strlen(be->dir) - 1] == '/' ? "" : "/", name) < 0)
		return NULL;
	return p;
}

/* A fresh hidden name in the folder, ending with ${suffix}. */
static char *
temp_path(struct sftp_backend *be, const char *suffix)
{
	unsigned char r[6];
	char name[64];

	if (getrandom(r, sizeof(r), 0) != sizeof(r))
		memset(r, 0, sizeof(r));
	snprintf(name, sizeof(name),
	    TMP_PREFIX "%ld-%u-%02x%02x%02x%02x%02x%02x%s", (long)getpid(),
	    ++be->serial, r[0], r[1], r[2], r[3], r[4], r[5], suffix);
	return path_of(be, name);
}

static int
nomem(struct dupc_err *err)
{
	return err_set(err, E_GENERIC, "out of memory");
}

/* ---- small SFTP operations ---------------------------------------------- */

static int
do_stat(struct sftp_backend *be, const char *path, bool follow,
    LIBSSH2_SFTP_ATTRIBUTES *a, struct dupc_err *err)
{
	int rc;

	while (
	    (rc = libssh2_sftp_stat_ex(be->c.sftp, path, (unsigned)strlen(path),
		 follow ? LIBSSH2_SFTP_STAT : LIBSSH2_SFTP_LSTAT, a)) ==
	    LIBSSH2_ERROR_EAGAIN)
		if (sftp_wait(be, err) < 0)
			return SFTP_GAVE_UP;
	return rc;
}

static int
do_unlink(struct sftp_backend *be, const char *path, struct dupc_err *err)
{
	int rc;

	while ((rc = libssh2_sftp_unlink_ex(be->c.sftp, path,
		    (unsigned)strlen(path))) == LIBSSH2_ERROR_EAGAIN)
		if (sftp_wait(be, err) < 0)
			return SFTP_GAVE_UP;
	return rc;
}

static int
do_rename(struct sftp_backend *be, const char *from, const char *to,
    struct dupc_err *err)
{
	int rc;

	while ((rc = libssh2_sftp_rename_ex(be->c.sftp, from,
		    (unsigned)strlen(from), to, (unsigned)strlen(to),
		    LIBSSH2_SFTP_RENAME_OVERWRITE | LIBSSH2_SFTP_RENAME_ATOMIC |
			LIBSSH2_SFTP_RENAME_NATIVE)) == LIBSSH2_ERROR_EAGAIN)
		if (sftp_wait(be, err) < 0)
			return SFTP_GAVE_UP;
	return rc;
}

static int
close_handle(struct sftp_backend *be, LIBSSH2_SFTP_HANDLE *h,
    struct dupc_err *err)
{
	int rc;

	while ((rc = libssh2_sftp_close_handle(h)) == LIBSSH2_ERROR_EAGAIN)
		if (sftp_wait(be, err) < 0)
			return SFTP_GAVE_UP;
	return rc;
}

/* Open ${path}; NULL with *${rc} set on failure. */
static LIBSSH2_SFTP_HANDLE *
open_path(struct sftp_backend *be, const char *path, unsigned long flags,
    int type, int *rc, struct dupc_err *err)
{
	LIBSSH2_SFTP_HANDLE *h;

	for (;;) {
		h = libssh2_sftp_open_ex(be->c.sftp, path,
		    (unsigned)strlen(path), flags, 0666, type);
		if (h != NULL)
			return h;
		*rc = libssh2_session_last_errno(be->c.ssh);
		if (*rc != LIBSSH2_ERROR_EAGAIN)
			return NULL;
		if (sftp_wait(be, err) < 0) {
			*rc = SFTP_GAVE_UP;
			return NULL;
		}
	}
}

/* A status the caller may expect (not found) is not a failure yet. */
static bool
is_status(struct sftp_backend *be, int rc, unsigned long st)
{
	unsigned long got = sftp_status(be, rc);

	if (st == LIBSSH2_FX_NO_SUCH_FILE)
		return got == LIBSSH2_FX_NO_SUCH_FILE ||
		       got == LIBSSH2_FX_NO_SUCH_PATH;
	return got == st;
}

/* ---- the folder ---------------------------------------------------------- */

/* One folder of the path exists after this, as duplicity's backend makes
 * them (each missing component in turn). */
static int
make_one(struct sftp_backend *be, const char *path, struct dupc_err *err)
{
	LIBSSH2_SFTP_ATTRIBUTES a;
	int rc;

	rc = do_stat(be, path, true, &a, err);
	if (rc == 0 && LIBSSH2_SFTP_S_ISDIR(a.permissions))
		return 0;
	if (rc == 0)
		return err_class_set(err, ERR_PERMANENT, E_BACKEND_ERROR,
		    "cannot use %s: %s is not a folder", be->where, path);
	if (rc < 0 && !is_status(be, rc, LIBSSH2_FX_NO_SUCH_FILE))
		return sftp_fail(be, rc, err, "cannot look at %s on %s", path,
		    be->where);
	while ((rc = libssh2_sftp_mkdir_ex(be->c.sftp, path,
		    (unsigned)strlen(path), 0777)) == LIBSSH2_ERROR_EAGAIN)
		if (sftp_wait(be, err) < 0)
			return -1;
	if (rc == 0) {
		log_info("Created folder %s on %s", path, be->host);
		return 0;
	}
	/* made meanwhile by another run? */
	if (do_stat(be, path, true, &a, err) == 0 &&
	    LIBSSH2_SFTP_S_ISDIR(a.permissions))
		return 0;
	return sftp_fail(be, rc, err, "cannot create folder %s on %s", path,
	    be->where);
}

static int
ensure_dir(struct sftp_backend *be, struct dupc_err *err)
{
	char *p;
	size_t i, n;
	int rc = 0;

	if (be->dir_ok || strcmp(be->dir, ".") == 0 ||
	    strcmp(be->dir, "/") == 0)
		return 0;
	p = strdup(be->dir);
	if (p == NULL)
		return nomem(err);
	n = strlen(p);
	for (i = 1; i <= n && rc == 0; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		rc = make_one(be, p, err);
		if (i < n)
			p[i] = '/';
	}
	free(p);
	if (rc == 0)
		be->dir_ok = true;
	return rc;
}

/* ---- list ------------------------------------------------------------------
 */

/* Is the listed entry an object?  Regular files, and symbolic links to
 * them (one stat each). */
static int
is_object(struct sftp_backend *be, const char *name, LIBSSH2_SFTP_ATTRIBUTES *a,
    struct dupc_err *err)
{
	char *path;
	int rc;

	if (!(a->flags & LIBSSH2_SFTP_ATTR_PERMISSIONS))
		return 1;
	if (LIBSSH2_SFTP_S_ISREG(a->permissions))
		return 1;
	if (!LIBSSH2_SFTP_S_ISLNK(a->permissions))
		return 0;
	path = path_of(be, name);
	if (path == NULL)
		return nomem(err);
	rc = do_stat(be, path, true, a, err);
	free(path);
	if (rc == SFTP_GAVE_UP || (rc < 0 && be->c.broken))
		return sftp_fail(be, rc, err, "cannot list %s", be->where);
	return rc == 0 && LIBSSH2_SFTP_S_ISREG(a->permissions);
}

static int
list_entries(struct sftp_backend *be, LIBSSH2_SFTP_HANDLE *h,
    backend_list_fn *fn, void *arg, struct dupc_err *err)
{
	LIBSSH2_SFTP_ATTRIBUTES a;
	char name[1024];
	int rc, ok;

	for (;;) {
		rc =
		    libssh2_sftp_readdir_ex(h, name, sizeof(name), NULL, 0, &a);
		if (rc == LIBSSH2_ERROR_EAGAIN) {
			if (sftp_wait(be, err) < 0)
				return -1;
			continue;
		}
		if (rc == 0)
			return 0;
		if (rc < 0)
			return sftp_fail(be, rc, err, "cannot list %s",
			    be->where);
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
		    strncmp(name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0)
			continue;
		ok = is_object(be, name, &a, err);
		if (ok < 0)
			return -1;
		if (ok && fn(name,
			      (a.flags & LIBSSH2_SFTP_ATTR_SIZE)
				  ? (uint64_t)a.filesize
				  : 0,
			      arg, err) != 0)
			return -1;
	}
}

static int
sftp_list(struct backend *b, backend_list_fn *fn, void *arg,
    struct dupc_err *err)
{
	struct sftp_backend *be = (struct sftp_backend *)b;
	LIBSSH2_SFTP_HANDLE *h;
	struct dupc_err e;
	int rc = 0;

	if (sftp_connect(be, err) < 0)
		return -1;
	h = open_path(be, be->dir, 0, LIBSSH2_SFTP_OPENDIR, &rc, err);
	if (h == NULL) {
		if (is_status(be, rc, LIBSSH2_FX_NO_SUCH_FILE))
			return 0; /* a missing folder is empty */
		return sftp_fail(be, rc, err, "cannot list %s", be->where);
	}
	rc = list_entries(be, h, fn, arg, err);
	if (!be->c.broken)
		close_handle(be, h, &e);
	return rc;
}

/* ---- put -------------------------------------------------------------------
 */

/* After a write failed with a bare FAILURE: a full disk gets its code. */
static void
check_space(struct sftp_backend *be, struct dupc_err *err)
{
	LIBSSH2_SFTP_STATVFS st;
	struct dupc_err e;
	const char *d = be->dir;
	int rc;

	if (be->c.broken)
		return;
	while ((rc = libssh2_sftp_statvfs(be->c.sftp, d, strlen(d), &st)) ==
	       LIBSSH2_ERROR_EAGAIN)
		if (sftp_wait(be, &e) < 0)
			return;
	if (rc == 0 && st.f_bavail == 0) {
		err->code = E_BACKEND_NO_SPACE;
		err->cls = ERR_PERMANENT;
		snprintf(err->msg + strlen(err->msg),
		    sizeof(err->msg) - strlen(err->msg),
		    " (the server's disk is full)");
	}
}

/* The whole of ${src} into ${h}, several writes in flight (see the top
 * of the file); ${name} for messages. */
static int
write_all(struct sftp_backend *be, LIBSSH2_SFTP_HANDLE *h, struct source *src,
    const char *name, struct dupc_err *err)
{
	char *buf = malloc(PUT_BUF);
	size_t off = 0, end = 0, got;
	bool eof = false;
	ssize_t w;
	int rc = -1;

	if (buf == NULL)
		return nomem(err);
	for (;;) {
		if (!eof && end < PUT_BUF) {
			if (source_read(src, buf + end, PUT_BUF - end, &got,
				err) < 0)
				goto out;
			eof = got == 0;
			end += got;
		}
		if (off == end) {
			if (eof)
				break;
			continue;
		}
		w = libssh2_sftp_write(h, buf + off, end - off);
		if (w == LIBSSH2_ERROR_EAGAIN) {
			if (sftp_wait(be, err) < 0)
				goto out;
			continue;
		}
		if (w < 0) {
			sftp_fail(be, (int)w, err, "cannot upload %s to %s",
			    name, be->where);
			if (sftp_status(be, (int)w) == LIBSSH2_FX_FAILURE)
				check_space(be, err);
			goto out;
		}
		off += (size_t)w;
		if (off == end) {
			off = end = 0;
		} else if (off >= PUT_BUF / 2) {
			memmove(buf, buf + off, end - off);
			end -= off;
			off = 0;
		}
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

/* fsync@openssh.com where the server has it. */
static int
flush(struct sftp_backend *be, LIBSSH2_SFTP_HANDLE *h, const char *name,
    struct dupc_err *err)
{
	int rc;

	while ((rc = libssh2_sftp_fsync(h)) == LIBSSH2_ERROR_EAGAIN)
		if (sftp_wait(be, err) < 0)
			return -1;
	if (rc == 0 || is_status(be, rc, LIBSSH2_FX_OP_UNSUPPORTED))
		return 0;
	return sftp_fail(be, rc, err, "cannot flush %s on %s", name, be->where);
}

/*
 * Upload ${src} over SFTP into ${path}, opened with ${flags}; ${name} for
 * messages.  *${opened} says whether the open succeeded, so put_new can
 * tell a name already taken from a failed upload.
 */
static int
put_sftp(struct sftp_backend *be, const char *path, unsigned long flags,
    const char *name, struct source *src, bool *opened, struct dupc_err *err)
{
	LIBSSH2_SFTP_HANDLE *h;
	struct dupc_err e;
	int rc = 0;

	h = open_path(be, path, LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | flags,
	    LIBSSH2_SFTP_OPENFILE, &rc, err);
	*opened = h != NULL;
	if (h == NULL)
		return sftp_fail(be, rc, err, "cannot create %s in %s", name,
		    be->where);
	if (write_all(be, h, src, name, err) < 0 ||
	    flush(be, h, name, err) < 0) {
		if (!be->c.broken)
			close_handle(be, h, &e);
		return -1;
	}
	rc = close_handle(be, h, err);
	if (rc < 0)
		return sftp_fail(be, rc, err, "cannot upload %s to %s", name,
		    be->where);
	return 0;
}

/* Rename ${tmp} to ${final}, replacing an existing object by way of an
 * aside copy (see the top of the file). */
static int
move_into_place(struct sftp_backend *be, const char *tmp, const char *final,
    const char *name, struct dupc_err *err)
{
	LIBSSH2_SFTP_ATTRIBUTES a;
	struct dupc_err e;
	char *aside;
	int rc;

	rc = do_rename(be, tmp, final, err);
	if (rc == 0)
		return 0;
	if (be->c.broken || do_stat(be, final, false, &a, err) != 0)
		return sftp_fail(be, be->c.broken ? SFTP_GAVE_UP : rc, err,
		    "cannot rename %s into place in %s", name, be->where);
	aside = temp_path(be, ".old");
	if (aside == NULL)
		return nomem(err);
	rc = do_rename(be, final, aside, err);
	if (rc == 0) {
		rc = do_rename(be, tmp, final, err);
		if (rc == 0)
			do_unlink(be, aside, &e);
		else if (!be->c.broken)
			do_rename(be, aside, final, &e); /* put it back */
	}
	free(aside);
	if (rc == 0)
		return 0;
	return sftp_fail(be, rc, err, "cannot replace %s in %s", name,
	    be->where);
}

/* A temporary that could not be removed now is removed on the next
 * connection. */
static void
forget_temp(struct sftp_backend *be, char *tmp)
{
	struct dupc_err e;
	size_t i;

	if (!be->c.broken && be->c.ssh != NULL &&
	    (do_unlink(be, tmp, &e) == 0 || !be->c.broken)) {
		free(tmp);
		return;
	}
	for (i = 0; i < SFTP_STALE_MAX; i++)
		if (be->stale[i] == NULL) {
			be->stale[i] = tmp;
			return;
		}
	free(tmp);
}

static int
sftp_put(struct backend *b, const char *name, struct source *src, uint64_t size,
    struct dupc_err *err)
{
	struct sftp_backend *be = (struct sftp_backend *)b;
	char *tmp = NULL, *final = NULL;
	struct source *in = NULL;
	bool opened;
	int rc = -1;

	if (sftp_connect(be, err) < 0 || ensure_dir(be, err) < 0)
		return -1;
	tmp = temp_path(be, ".tmp");
	final = path_of(be, name);
	in = be->up != NULL ? ratelimit_source_new(be->up, src) : src;
	if (tmp == NULL || final == NULL || in == NULL) {
		nomem(err);
		goto out;
	}
	if ((be->use_scp ? sftp_scp_put(be, tmp, in, size, err)
			 : put_sftp(be, tmp, LIBSSH2_FXF_TRUNC, name, in,
			       &opened, err)) < 0)
		goto out;
	rc = move_into_place(be, tmp, final, name, err);
out:
	if (rc < 0 && tmp != NULL)
		forget_temp(be, tmp);
	else
		free(tmp);
	if (in != src)
		source_free(in);
	free(final);
	return rc;
}

/*
 * Create ${name} only if no object has that name: an open with
 * SSH_FXF_EXCL, which the protocol says fails when the file exists
 * (OpenSSH opens with O_EXCL).  The record is written in place: a run
 * killed between the open and the write of its few bytes leaves a record
 * the next run cannot read, and that run names it and --break-lock.
 */
static int
sftp_put_new(struct backend *b, const char *name, struct source *src,
    uint64_t size, struct dupc_err *err)
{
	struct sftp_backend *be = (struct sftp_backend *)b;
	LIBSSH2_SFTP_ATTRIBUTES a;
	struct dupc_err e;
	bool opened;
	char *final;
	int rc;

	(void)size;
	if (sftp_connect(be, err) < 0 || ensure_dir(be, err) < 0)
		return -1;
	if ((final = path_of(be, name)) == NULL)
		return nomem(err);
	rc = put_sftp(be, final, LIBSSH2_FXF_EXCL, name, src, &opened, err);
	if (rc < 0 && !opened && !be->c.broken &&
	    do_stat(be, final, false, &a, &e) == 0)
		rc = 1; /* protocol 3 has no "exists" status: look */
	else if (rc < 0 && opened && !be->c.broken)
		do_unlink(be, final, &e);
	free(final);
	return rc;
}

/* ---- get -------------------------------------------------------------------
 */

static int
write_fd(int fd, const char *p, size_t n, struct dupc_err *err)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return err_errno(err, E_GENERIC,
			    "cannot write the download file");
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
read_all(struct sftp_backend *be, LIBSSH2_SFTP_HANDLE *h, int fd,
    uint64_t *total, const char *name, struct dupc_err *err)
{
	char *buf = malloc(GET_BUF);
	ssize_t n;
	int rc = -1;

	if (buf == NULL)
		return nomem(err);
	*total = 0;
	for (;;) {
		n = libssh2_sftp_read(h, buf, GET_BUF);
		if (n == LIBSSH2_ERROR_EAGAIN) {
			if (sftp_wait(be, err) < 0)
				goto out;
			continue;
		}
		if (n < 0) {
			sftp_fail(be, (int)n, err, "cannot download %s from %s",
			    name, be->where);
			goto out;
		}
		if (n == 0)
			break;
		ratelimit_take(be->down, (size_t)n);
		if (write_fd(fd, buf, (size_t)n, err) < 0)
			goto out;
		*total += (uint64_t)n;
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

static int
get_sftp(struct sftp_backend *be, const char *path, const char *name, int fd,
    struct dupc_err *err)
{
	LIBSSH2_SFTP_ATTRIBUTES a;
	LIBSSH2_SFTP_HANDLE *h;
	struct dupc_err e;
	uint64_t total = 0;
	int rc = 0;

	h = open_path(be, path, LIBSSH2_FXF_READ, LIBSSH2_SFTP_OPENFILE, &rc,
	    err);
	if (h == NULL)
		return sftp_fail(be, rc, err, "cannot download %s from %s",
		    name, be->where);
	while ((rc = libssh2_sftp_fstat_ex(h, &a, 0)) == LIBSSH2_ERROR_EAGAIN)
		if (sftp_wait(be, err) < 0) {
			rc = SFTP_GAVE_UP;
			break;
		}
	if (rc < 0) {
		sftp_fail(be, rc, err, "cannot download %s from %s", name,
		    be->where);
	} else if (read_all(be, h, fd, &total, name, err) == 0) {
		if (!(a.flags & LIBSSH2_SFTP_ATTR_SIZE) || total == a.filesize)
			rc = 1;
		else
			err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
			    "download of %s from %s stopped after %llu of %llu bytes",
			    name, be->where, (unsigned long long)total,
			    (unsigned long long)a.filesize);
	}
	if (!be->c.broken)
		close_handle(be, h, &e);
	return rc == 1 ? 0 : -1;
}

static int
sftp_get(struct backend *b, const char *name, int fd, struct dupc_err *err)
{
	struct sftp_backend *be = (struct sftp_backend *)b;
	char *path;
	int rc;

	if (sftp_connect(be, err) < 0)
		return -1;
	if (lseek(fd, 0, SEEK_SET) < 0 || ftruncate(fd, 0) < 0)
		return err_errno(err, E_GENERIC, "cannot reset download file");
	path = path_of(be, name);
	if (path == NULL)
		return nomem(err);
	rc = be->use_scp ? sftp_scp_get(be, path, fd, err)
			 : get_sftp(be, path, name, fd, err);
	free(path);
	return rc;
}

/* ---- remove, size
 * ------------------------------------------------------------ */

static int
sftp_remove(struct backend *b, const char *name, struct dupc_err *err)
{
	struct sftp_backend *be = (struct sftp_backend *)b;
	char *path;
	int rc;

	if (sftp_connect(be, err) < 0)
		return -1;
	path = path_of(be, name);
	if (path == NULL)
		return nomem(err);
	rc = do_unlink(be, path, err);
	free(path);
	if (rc == 0)
		return 0;
	return sftp_fail(be, rc, err, "cannot delete %s from %s", name,
	    be->where);
}

static int
sftp_size(struct backend *b, const char *name, uint64_t *size,
    struct dupc_err *err)
{
	struct sftp_backend *be = (struct sftp_backend *)b;
	LIBSSH2_SFTP_ATTRIBUTES a;
	char *path;
	int rc;

	if (sftp_connect(be, err) < 0)
		return -1;
	path = path_of(be, name);
	if (path == NULL)
		return nomem(err);
	rc = do_stat(be, path, true, &a, err);
	free(path);
	if (rc < 0)
		return sftp_fail(be, rc, err, "cannot look at %s in %s", name,
		    be->where);
	if (!(a.flags & LIBSSH2_SFTP_ATTR_SIZE))
		return err_class_set(err, ERR_PERMANENT, E_BACKEND_ERROR,
		    "%s in %s: the server does not tell its size", name,
		    be->where);
	*size = a.filesize;
	return 0;
}

static void
sftp_close(struct backend *b)
{
	struct sftp_backend *be = (struct sftp_backend *)b;
	size_t i;

	if (be == NULL)
		return;
	sftp_disconnect(be, true);
	free(be->where);
	free(be->host);
	free(be->user);
	free(be->dir);
	free(be->home);
	free(be->agent_sock);
	sftp_files_release(&be->ids);
	sftp_files_release(&be->known);
	sftp_files_release(&be->gknown);
	secret_free(be->secret);
	secret_free(be->key_pass);
	free(be->key_pass_for);
	for (i = 0; i < SFTP_STALE_MAX; i++)
		free(be->stale[i]);
	free(be);
}

/* ---- the scheme ------------------------------------------------------------
 */

static const char *const sftp_schemes[] = { "sftp", "scp", "paramiko+sftp",
	"paramiko+scp", "pexpect+sftp", "pexpect+scp", NULL };

static const struct backend_option_spec sftp_specs[] = {
	{ "ssh-options", true,
	    "ssh(1) options: -i FILE, -oUserKnownHostsFile=FILE, -oStrictHostKeyChecking=accept-new, ..." },
	{ "ssh-askpass", false,
	    "ask for a missing password on the terminal (dupc always does)" },
	{ "use-scp", false,
	    "move volumes with the scp protocol (listing and deleting stay on SFTP)" },
	{ "scp-command", true,
	    "accepted for duplicity's pexpect backend; unused" },
	{ "sftp-command", true,
	    "accepted for duplicity's pexpect backend; unused" },
	{ NULL, false, NULL },
};

static const struct backend_option_group sftp_options = { "SSH", sftp_specs };

static const char sftp_help[] =
    "sftp://[USER[:PASSWORD]@]HOST[:PORT]/relative/path\n"
    "sftp://[USER[:PASSWORD]@]HOST[:PORT]//absolute/path\n"
    "  A folder on an SSH server, over SFTP; scp://, paramiko+sftp://,\n"
    "  paramiko+scp://, pexpect+sftp:// and pexpect+scp:// are the same\n"
    "  (--use-scp moves volumes with the scp protocol).  A relative path\n"
    "  starts in the login's home folder.  A missing folder is created.\n"
    "  Volumes are written under a hidden temporary name and renamed into\n"
    "  place; a broken connection is opened again on the next attempt.\n"
    "  Login: the ssh-agent (SSH_AUTH_SOCK), the identity files of\n"
    "  --ssh-options (-i FILE, -oIdentityFile=FILE) and ~/.ssh/config, then\n"
    "  ~/.ssh/id_ed25519, id_ecdsa, id_rsa, then the password.  A key's\n"
    "  passphrase or the password comes from the URL or FTP_PASSWORD, else\n"
    "  from a prompt on a terminal.  RSA keys are signed with SHA-1 only\n"
    "  (libssh2 1.10), which OpenSSH 8.8 and later refuse: prefer Ed25519.\n"
    "  Host keys: ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts, or\n"
    "  -oUserKnownHostsFile= and -oGlobalKnownHostsFile=.  An unknown host\n"
    "  is refused with the command that adds it, unless\n"
    "  -oStrictHostKeyChecking=accept-new (or no) is given; a changed key\n"
    "  always is.  ~/.ssh/config gives HostName, User, Port, IdentityFile.\n"
    "  --ssh-options also takes -p PORT, -l USER, -F FILE, -C, -oPort=,\n"
    "  -oUser=, -oHostName=, -oConnectTimeout=, -oCompression=,\n"
    "  -oIdentitiesOnly=, -oBatchMode=; other words are ignored with a\n"
    "  warning.\n"
    "  Environment: FTP_PASSWORD, SSH_AUTH_SOCK, HOME.\n";

static const char *
sftp_hint(const struct dupc_err *err)
{
	switch (err->code) {
	case E_CONNECTION_FAILED:
		return "check the network, the host and port in the URL, and that sshd runs there";
	case E_BACKEND_PERMISSION_DENIED:
		return "check the permissions of the remote folder for the SSH user";
	case E_BACKEND_NO_SPACE:
		return "the server's disk is full: free space there or back up elsewhere";
	default:
		return NULL;
	}
}

const struct backend_ops sftp_backend_ops = {
	.schemes = sftp_schemes,
	.flags = BACKEND_ATOMIC_PUT | BACKEND_PUT_NEW,
	.example = "sftp://user@host/path",
	.help = sftp_help,
	.options = &sftp_options,
	.hint = sftp_hint,
	.open = sftp_open,
	.list = sftp_list,
	.put = sftp_put,
	.get = sftp_get,
	.put_new = sftp_put_new,
	.remove = sftp_remove,
	.size = sftp_size,
	.open_read = NULL,
	.sha256 = NULL,
	.close = sftp_close,
};
