/*
 * --use-scp: volumes move over the scp protocol (the server runs
 * "scp -t" and "scp -f", as duplicity 0.8's paramiko backend does for
 * scp:// URLs) on the same SSH connection; listings, renames and deletes
 * stay on SFTP, so the server needs both.  scp sends the size before the
 * data, so a source that yields another size is an error.
 */
#define _GNU_SOURCE
#include "backend/sftp/sftp_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/err.h"
#include "util/ratelimit.h"
#include "util/stream.h"

#define SCP_BUF (256u * 1024)

/* A channel call that returns an int, its EAGAIN waited out. */
static int
chan_wait(struct sftp_backend *be, LIBSSH2_CHANNEL *ch,
    int (*fn)(LIBSSH2_CHANNEL *), struct dupc_err *err)
{
	int rc;

	while ((rc = fn(ch)) == LIBSSH2_ERROR_EAGAIN)
		if (sftp_wait(be, err) < 0)
			return SFTP_GAVE_UP;
	return rc;
}

/* What the remote scp wrote on its standard error (the first line), for
 * the message; "" when nothing. */
static void
scp_said(LIBSSH2_CHANNEL *ch, char *out, size_t size)
{
	ssize_t n = libssh2_channel_read_stderr(ch, out, size - 1);
	size_t i;

	out[n > 0 ? n : 0] = '\0';
	for (i = 0; out[i] != '\0'; i++)
		if (out[i] == '\n' || out[i] == '\r') {
			out[i] = '\0';
			break;
		} else if ((unsigned char)out[i] < 0x20) {
			out[i] = '?';
		}
}

/* The end of a channel: EOF sent and seen and the channel closed (when
 * ${sending}), then freed.  0, 1 when the remote scp failed (what it said
 * in ${said}), or a libssh2 error (a broken channel is freed with its
 * session). */
static int
finish(struct sftp_backend *be, LIBSSH2_CHANNEL *ch, bool sending, char *said,
    size_t saidsz, struct dupc_err *err)
{
	int rc = 0, status = 0;

	if (sending) {
		rc = chan_wait(be, ch, libssh2_channel_send_eof, err);
		if (rc == 0)
			rc = chan_wait(be, ch, libssh2_channel_wait_eof, err);
		if (rc == 0)
			rc =
			    chan_wait(be, ch, libssh2_channel_wait_closed, err);
		if (rc == 0)
			status = libssh2_channel_get_exit_status(ch);
		if (status != 0)
			scp_said(ch, said, saidsz);
	}
	if (rc == 0)
		rc = chan_wait(be, ch, libssh2_channel_free, err);
	if (rc < 0)
		return rc;
	return status != 0 ? 1 : 0;
}

/*
 * The scp protocol's end of a file: a zero byte after the data, answered
 * by the sink with a zero byte (or 1 or 2 and a line saying what went
 * wrong, such as a full disk).
 */
static int
end_of_file(struct sftp_backend *be, LIBSSH2_CHANNEL *ch, struct dupc_err *err)
{
	char said[256];
	ssize_t n;
	size_t got = 0;

	while ((n = libssh2_channel_write(ch, "", 1)) == LIBSSH2_ERROR_EAGAIN)
		if (sftp_wait(be, err) < 0)
			return -1;
	if (n < 0)
		return sftp_fail(be, (int)n, err, "scp upload to %s",
		    be->where);
	for (;;) {
		n = libssh2_channel_read(ch, said + got, 1);
		if (n == LIBSSH2_ERROR_EAGAIN) {
			if (sftp_wait(be, err) < 0)
				return -1;
			continue;
		}
		if (n <= 0)
			return sftp_fail(be,
			    n < 0 ? (int)n : LIBSSH2_ERROR_CHANNEL_CLOSED, err,
			    "scp upload to %s", be->where);
		if (got == 0 && said[0] == '\0')
			return 0;
		if (said[got] == '\n' || got + 2 == sizeof(said))
			break;
		got++;
	}
	said[got] = '\0';
	for (n = 0; (size_t)n < got; n++)
		if ((unsigned char)said[n] < 0x20)
			said[n] = '?';
	be->c.broken = true; /* the channel's state is the sink's */
	return err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
	    "scp to %s failed on the server: %s", be->where,
	    got > 1 ? said + 1 : "no reason given");
}

static int
send_data(struct sftp_backend *be, LIBSSH2_CHANNEL *ch, struct source *src,
    uint64_t size, struct dupc_err *err)
{
	char *buf = malloc(SCP_BUF);
	uint64_t total = 0;
	size_t got, off;
	ssize_t w;
	int rc = -1;

	if (buf == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	for (;;) {
		if (source_read(src, buf, SCP_BUF, &got, err) < 0)
			goto out;
		if (got == 0)
			break;
		total += got;
		if (total > size)
			break;
		for (off = 0; off < got;) {
			w = libssh2_channel_write(ch, buf + off, got - off);
			if (w == LIBSSH2_ERROR_EAGAIN) {
				if (sftp_wait(be, err) < 0)
					goto out;
				continue;
			}
			if (w < 0) {
				sftp_fail(be, (int)w, err, "scp upload to %s",
				    be->where);
				goto out;
			}
			off += (size_t)w;
		}
	}
	if (total != size) {
		err_class_set(err, ERR_PERMANENT, E_BACKEND_ERROR,
		    "scp upload to %s: the volume changed size while sent",
		    be->where);
		goto out;
	}
	rc = end_of_file(be, ch, err);
out:
	free(buf);
	return rc;
}

int
sftp_scp_put(struct sftp_backend *be, const char *path, struct source *src,
    uint64_t size, struct dupc_err *err)
{
	LIBSSH2_CHANNEL *ch;
	char said[256] = "";
	int rc;

	while ((ch = libssh2_scp_send64(be->c.ssh, path, 0644,
		    (libssh2_int64_t)size, 0, 0)) == NULL) {
		rc = libssh2_session_last_errno(be->c.ssh);
		if (rc != LIBSSH2_ERROR_EAGAIN)
			return sftp_fail(be, rc, err,
			    "cannot start scp to %s (does the server have scp?)",
			    be->where);
		if (sftp_wait(be, err) < 0)
			return -1;
	}
	if (send_data(be, ch, src, size, err) < 0) {
		if (!be->c.broken)
			be->c.broken = true; /* the channel is mid-file */
		return -1;
	}
	rc = finish(be, ch, true, said, sizeof(said), err);
	if (rc == 1)
		return err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
		    "scp to %s failed on the server: %s", be->where,
		    said[0] ? said : "no reason given");
	return rc < 0 ? sftp_fail(be, rc, err, "scp upload to %s", be->where)
		      : 0;
}

static int
recv_data(struct sftp_backend *be, LIBSSH2_CHANNEL *ch, int fd, uint64_t size,
    struct dupc_err *err)
{
	char *buf = malloc(SCP_BUF);
	uint64_t total = 0;
	ssize_t n, w;
	size_t want, off;
	int rc = -1;

	if (buf == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	while (total < size) {
		want =
		    size - total < SCP_BUF ? (size_t)(size - total) : SCP_BUF;
		n = libssh2_channel_read(ch, buf, want);
		if (n == LIBSSH2_ERROR_EAGAIN) {
			if (sftp_wait(be, err) < 0)
				goto out;
			continue;
		}
		if (n <= 0) {
			sftp_fail(be,
			    n < 0 ? (int)n : LIBSSH2_ERROR_CHANNEL_CLOSED, err,
			    "scp download from %s", be->where);
			goto out;
		}
		ratelimit_take(be->down, (size_t)n);
		for (off = 0; off < (size_t)n; off += (size_t)w) {
			w = write(fd, buf + off, (size_t)n - off);
			if (w < 0 && errno == EINTR) {
				w = 0;
				continue;
			}
			if (w < 0) {
				err_errno(err, E_GENERIC,
				    "cannot write the download file");
				goto out;
			}
		}
		total += (uint64_t)n;
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

int
sftp_scp_get(struct sftp_backend *be, const char *path, int fd,
    struct dupc_err *err)
{
	LIBSSH2_SFTP_ATTRIBUTES a;
	LIBSSH2_CHANNEL *ch;
	libssh2_struct_stat sb;
	char said[256] = "";
	int rc;

	/* scp's own "no such file" is a bare protocol error: ask SFTP */
	while (
	    (rc = libssh2_sftp_stat_ex(be->c.sftp, path, (unsigned)strlen(path),
		 LIBSSH2_SFTP_STAT, &a)) == LIBSSH2_ERROR_EAGAIN)
		if (sftp_wait(be, err) < 0)
			return -1;
	if (rc < 0)
		return sftp_fail(be, rc, err, "cannot download %s", path);
	while ((ch = libssh2_scp_recv2(be->c.ssh, path, &sb)) == NULL) {
		rc = libssh2_session_last_errno(be->c.ssh);
		if (rc != LIBSSH2_ERROR_EAGAIN)
			return sftp_fail(be, rc, err,
			    "cannot start scp from %s (does the server have scp?)",
			    be->where);
		if (sftp_wait(be, err) < 0)
			return -1;
	}
	if (recv_data(be, ch, fd, (uint64_t)sb.st_size, err) < 0) {
		be->c.broken = true;
		return -1;
	}
	rc = finish(be, ch, false, said, sizeof(said), err);
	return rc < 0
		   ? sftp_fail(be, rc, err, "scp download from %s", be->where)
		   : 0;
}
