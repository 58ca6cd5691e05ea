/*
 * The SSH connection of the sftp:// backend: TCP, libssh2's session in
 * non-blocking mode, the host key check, the login and the SFTP channel;
 * the wait loop every call goes through; and the classing of libssh2's
 * failures for the retry layer.  A connection is opened on the first call
 * that needs one and again after one broke (the retry layer retries
 * transient failures; a reset connection is one), never in open, so a
 * server that is away is retried like any other transient failure.
 *
 * libssh2 allocates through functions given here that track and wipe
 * every block (see struct blk).
 */
#define _GNU_SOURCE
#include "backend/sftp/sftp_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/err.h"
#include "util/interrupt.h"
#include "util/log.h"
#include "util/secret.h"

/* Poll slice: how often interruption is checked while waiting. */
#define WAIT_SLICE_MS 200
/* A polite goodbye waits no longer than this. */
#define BYE_SECONDS 3

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- allocation: tracked, wiped on release ------------------------------ */

/*
 * Every block libssh2 allocates for a session carries this header and sits
 * on the backend's list: a block is wiped when freed (it may have held the
 * password or a decrypted key), and what libssh2 leaves behind when a
 * connection breaks (1.10 keeps an SFTP handle whose close could not be
 * sent) is freed with the session in drop().
 */
struct blk {
	struct blk *prev, *next;
	size_t size;
};

#define BLK_HDR ((sizeof(struct blk) + 15) & ~(size_t)15)

static void *
blk_alloc(size_t n, void **abstract)
{
	struct sftp_backend *be = *abstract;
	struct blk *b;

	if (n > SIZE_MAX - BLK_HDR)
		return NULL;
	b = malloc(BLK_HDR + n);
	if (b == NULL)
		return NULL;
	b->size = n;
	b->prev = NULL;
	b->next = be->blocks;
	if (b->next != NULL)
		b->next->prev = b;
	be->blocks = b;
	return (char *)b + BLK_HDR;
}

static void
blk_free(void *p, void **abstract)
{
	struct sftp_backend *be = *abstract;
	struct blk *b;

	if (p == NULL)
		return;
	b = (struct blk *)(void *)((char *)p - BLK_HDR);
	if (b->prev != NULL)
		b->prev->next = b->next;
	else
		be->blocks = b->next;
	if (b->next != NULL)
		b->next->prev = b->prev;
	secret_wipe(b, BLK_HDR + b->size);
	free(b);
}

static void *
blk_realloc(void *p, size_t n, void **abstract)
{
	struct blk *b;
	void *q;

	if (p == NULL)
		return blk_alloc(n, abstract);
	b = (struct blk *)(void *)((char *)p - BLK_HDR);
	q = blk_alloc(n, abstract);
	if (q == NULL)
		return NULL;
	memcpy(q, p, b->size < n ? b->size : n);
	blk_free(p, abstract);
	return q;
}

void *
sftp_mem_alloc(struct sftp_backend *be, size_t n)
{
	void *abstract = be;

	return blk_alloc(n, &abstract);
}

/* Free what libssh2 did not. */
static void
blk_free_all(struct sftp_backend *be)
{
	void *abstract = be;

	while (be->blocks != NULL)
		blk_free((char *)be->blocks + BLK_HDR, &abstract);
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc;

static void
init_library(void)
{
	init_rc = libssh2_init(0);
}

/* ---- waiting and failing ----------------------------------------------- */

int
sftp_wait(struct sftp_backend *be, struct dupc_err *err)
{
	struct pollfd p = { be->c.fd, 0, 0 };
	int dir = libssh2_session_block_directions(be->c.ssh), r;
	/* each wait follows a call that took what the socket had: no byte
	 * for --timeout seconds is a stall, however long the link was
	 * idle before */
	double end = now() + be->timeout;

	if (dir & LIBSSH2_SESSION_BLOCK_INBOUND)
		p.events |= POLLIN;
	if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
		p.events |= POLLOUT;
	if (p.events == 0)
		p.events = POLLIN;
	for (;;) {
		if (interrupted()) {
			be->c.broken = true;
			return err_class_set(err, ERR_PERMANENT,
			    E_BACKEND_ERROR, "interrupted while talking to %s",
			    be->where);
		}
		r = poll(&p, 1, WAIT_SLICE_MS);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR) {
			be->c.broken = true;
			return err_class_set(err, ERR_TRANSIENT,
			    E_CONNECTION_FAILED, "connection to %s: poll: %s",
			    be->where, strerror(errno));
		}
		if (now() > end) {
			be->c.broken = true;
			return err_class_set(err, ERR_TRANSIENT,
			    E_CONNECTION_FAILED,
			    "%s did not answer for %u seconds (--timeout)",
			    be->where, be->timeout);
		}
	}
}

unsigned long
sftp_status(const struct sftp_backend *be, int rc)
{
	if (rc != LIBSSH2_ERROR_SFTP_PROTOCOL || be->c.sftp == NULL)
		return 0;
	return libssh2_sftp_last_error(be->c.sftp);
}

/* What an SFTP status means, for the message. */
static const char *
status_text(unsigned long st)
{
	switch (st) {
	case LIBSSH2_FX_EOF:
		return "unexpected end of file";
	case LIBSSH2_FX_NO_SUCH_FILE:
	case LIBSSH2_FX_NO_SUCH_PATH:
		return "no such file";
	case LIBSSH2_FX_PERMISSION_DENIED:
	case LIBSSH2_FX_WRITE_PROTECT:
		return "permission denied";
	case LIBSSH2_FX_NO_SPACE_ON_FILESYSTEM:
		return "no space left on the server";
	case LIBSSH2_FX_QUOTA_EXCEEDED:
		return "quota exceeded";
	case LIBSSH2_FX_OP_UNSUPPORTED:
		return "the server does not support this operation";
	case LIBSSH2_FX_FILE_ALREADY_EXISTS:
		return "already exists";
	case LIBSSH2_FX_NOT_A_DIRECTORY:
		return "not a directory";
	case LIBSSH2_FX_NO_CONNECTION:
	case LIBSSH2_FX_CONNECTION_LOST:
		return "connection lost";
	default:
		return "the server reports a failure";
	}
}

/* An SFTP status: the channel is fine, the operation failed. */
static int
fail_status(struct sftp_backend *be, unsigned long st, struct dupc_err *err,
    const char *what)
{
	enum err_class cls = ERR_PERMANENT;
	int code = E_BACKEND_ERROR;

	switch (st) {
	case LIBSSH2_FX_NO_SUCH_FILE:
	case LIBSSH2_FX_NO_SUCH_PATH:
		cls = ERR_NOT_FOUND;
		code = E_BACKEND_NOT_FOUND;
		break;
	case LIBSSH2_FX_PERMISSION_DENIED:
	case LIBSSH2_FX_WRITE_PROTECT:
		code = E_BACKEND_PERMISSION_DENIED;
		break;
	case LIBSSH2_FX_NO_SPACE_ON_FILESYSTEM:
	case LIBSSH2_FX_QUOTA_EXCEEDED:
		code = E_BACKEND_NO_SPACE;
		break;
	case LIBSSH2_FX_NO_CONNECTION:
	case LIBSSH2_FX_CONNECTION_LOST:
		be->c.broken = true;
		cls = ERR_TRANSIENT;
		code = E_CONNECTION_FAILED;
		break;
	case LIBSSH2_FX_FAILURE:
	case LIBSSH2_FX_EOF:
		/* OpenSSH answers FAILURE for most errno values (a full
		 * disk included: callers that can tell check statvfs) */
		cls = ERR_TRANSIENT;
		break;
	default:
		break;
	}
	return err_class_set(err, cls, code, "%s: %s (SFTP status %lu)", what,
	    status_text(st), st);
}

int
sftp_fail(struct sftp_backend *be, int rc, struct dupc_err *err,
    const char *fmt, ...)
{
	char what[600], *lib = NULL;
	va_list ap;

	if (rc == SFTP_GAVE_UP)
		return -1;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (rc == LIBSSH2_ERROR_SFTP_PROTOCOL && be->c.sftp != NULL)
		return fail_status(be, sftp_status(be, rc), err, what);
	if (rc == LIBSSH2_ERROR_ALLOC)
		return err_set(err, E_GENERIC, "%s: out of memory", what);
	if (be->c.ssh != NULL)
		libssh2_session_last_error(be->c.ssh, &lib, NULL, 0);
	/* anything else leaves the session in a state not worth trusting:
	 * the next attempt starts a new connection */
	be->c.broken = true;
	return err_class_set(err, ERR_TRANSIENT, E_CONNECTION_FAILED,
	    "%s: %s (libssh2 error %d)", what,
	    lib != NULL && *lib ? lib : "connection failed", rc);
}

/* ---- TCP --------------------------------------------------------------- */

/* Wait for a non-blocking connect on ${fd}; 0 when connected. */
static int
wait_connect(struct sftp_backend *be, int fd, struct dupc_err *err)
{
	struct pollfd p = { fd, POLLOUT, 0 };
	double end = now() + be->connect_timeout;
	socklen_t len = sizeof(int);
	int r, e = 0;

	for (;;) {
		if (interrupted())
			return err_class_set(err, ERR_PERMANENT,
			    E_BACKEND_ERROR,
			    "interrupted while connecting to %s", be->where);
		r = poll(&p, 1, WAIT_SLICE_MS);
		if (r > 0)
			break;
		if (r < 0 && errno != EINTR)
			return -1;
		if (now() > end) {
			errno = ETIMEDOUT;
			return -1;
		}
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
		return -1;
	errno = e;
	return e == 0 ? 0 : -1;
}

static int
tcp_connect(struct sftp_backend *be, struct dupc_err *err)
{
	struct addrinfo hints, *res = NULL, *ai;
	char port[16];
	int fd = -1, r, e = 0, one = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", be->port);
	r = getaddrinfo(be->host, port, &hints, &res);
	if (r != 0)
		return err_class_set(err,
		    r == EAI_AGAIN ? ERR_TRANSIENT : ERR_PERMANENT,
		    E_CONNECTION_FAILED, "cannot find the address of %s: %s",
		    be->host, gai_strerror(r));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family,
		    ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    ai->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    (errno == EINPROGRESS && wait_connect(be, fd, err) == 0))
			break;
		e = errno;
		close(fd);
		fd = -1;
		if (interrupted())
			break;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		if (interrupted())
			return -1;
		return err_class_set(err, ERR_TRANSIENT, E_CONNECTION_FAILED,
		    "cannot connect to %s port %d: %s", be->host, be->port,
		    strerror(e));
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	be->c.fd = fd;
	return 0;
}

/* ---- the session ------------------------------------------------------- */

/* Free the session without talking to the server again: the socket is
 * shut first, so whatever libssh2 still sends fails at once, and closed
 * last, so its number cannot be reused while libssh2 holds it. */
static void
drop(struct sftp_backend *be)
{
	if (be->c.fd >= 0)
		shutdown(be->c.fd, SHUT_RDWR);
	if (be->c.ssh != NULL) {
		libssh2_session_set_blocking(be->c.ssh, 1);
		if (be->c.sftp != NULL)
			libssh2_sftp_shutdown(be->c.sftp);
		libssh2_session_free(be->c.ssh);
	}
	blk_free_all(be);
	if (be->c.fd >= 0)
		close(be->c.fd);
	be->c.fd = -1;
	be->c.ssh = NULL;
	be->c.sftp = NULL;
	be->c.broken = false;
	be->dir_ok = false;
}

void
sftp_disconnect(struct sftp_backend *be, bool polite)
{
	unsigned saved = be->timeout;
	struct dupc_err e;
	int rc;

	if (be->c.ssh == NULL) {
		drop(be);
		return;
	}
	if (polite && !be->c.broken) {
		be->timeout = BYE_SECONDS;
		while (be->c.sftp != NULL &&
		       (rc = libssh2_sftp_shutdown(be->c.sftp)) ==
			   LIBSSH2_ERROR_EAGAIN)
			if (sftp_wait(be, &e) < 0)
				break;
		if (!be->c.broken)
			be->c.sftp = NULL;
		while (!be->c.broken &&
		       (rc = libssh2_session_disconnect(be->c.ssh,
			    "dupc is done")) == LIBSSH2_ERROR_EAGAIN)
			if (sftp_wait(be, &e) < 0)
				break;
		be->timeout = saved;
	}
	drop(be);
}

/* Start SFTP on the logged-in session. */
static int
start_sftp(struct sftp_backend *be, struct dupc_err *err)
{
	int rc;

	while ((be->c.sftp = libssh2_sftp_init(be->c.ssh)) == NULL) {
		rc = libssh2_session_last_errno(be->c.ssh);
		if (rc != LIBSSH2_ERROR_EAGAIN) {
			sftp_fail(be, rc, err, "cannot start SFTP on %s",
			    be->where);
			if (rc == LIBSSH2_ERROR_CHANNEL_FAILURE ||
			    rc == LIBSSH2_ERROR_CHANNEL_REQUEST_DENIED)
				err->cls = ERR_PERMANENT; /* no sftp server */
			return -1;
		}
		if (sftp_wait(be, err) < 0)
			return -1;
	}
	return 0;
}

/* TCP, a session and its handshake, offering the host key types not in
 * ${tried}. */
static int
handshake(struct sftp_backend *be, unsigned tried, struct dupc_err *err)
{
	char prefs[256];
	int rc;

	if (tcp_connect(be, err) < 0)
		return -1;
	be->c.ssh =
	    libssh2_session_init_ex(blk_alloc, blk_free, blk_realloc, be);
	if (be->c.ssh == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	libssh2_session_set_blocking(be->c.ssh, 0);
	if (be->compression)
		libssh2_session_flag(be->c.ssh, LIBSSH2_FLAG_COMPRESS, 1);
	if (sftp_hostkey_prefs(tried, prefs, sizeof(prefs)) == NULL ||
	    libssh2_session_method_pref(be->c.ssh, LIBSSH2_METHOD_HOSTKEY,
		prefs) < 0)
		return err_set(err, E_GENERIC,
		    "cannot set the host key algorithms for %s", be->where);
	while ((rc = libssh2_session_handshake(be->c.ssh, be->c.fd)) ==
	       LIBSSH2_ERROR_EAGAIN)
		if (sftp_wait(be, err) < 0)
			return -1;
	if (rc == 0)
		return 0;
	/* libssh2 reports "no algorithm in common" and a connection cut
	 * during the key exchange alike (KEX_FAILURE): transient, so a
	 * reset is retried; sftp_connect tells them apart where it can */
	return sftp_fail(be, rc, err, "SSH handshake with %s failed",
	    be->where);
}

/* Remove the temporaries an earlier connection could not. */
static void
remove_stale(struct sftp_backend *be)
{
	struct dupc_err e;
	size_t i;
	int rc;

	for (i = 0; i < SFTP_STALE_MAX; i++) {
		if (be->stale[i] == NULL)
			continue;
		while ((rc = libssh2_sftp_unlink(be->c.sftp, be->stale[i])) ==
		       LIBSSH2_ERROR_EAGAIN)
			if (sftp_wait(be, &e) < 0)
				return;
		if (rc == 0)
			log_debug(
			    "sftp: removed %s, left by a broken connection",
			    be->stale[i]);
		free(be->stale[i]);
		be->stale[i] = NULL;
	}
}

int
sftp_connect(struct sftp_backend *be, struct dupc_err *err)
{
	unsigned tried = 0;
	int n, rc;

	if (be->c.ssh != NULL && !be->c.broken)
		return 0;
	if (be->c.ssh != NULL || be->c.fd >= 0)
		drop(be);
	pthread_once(&init_once, init_library);
	if (init_rc != 0)
		return err_set(err, E_GENERIC, "cannot start libssh2");
	for (n = 0; n < SFTP_HOSTKEY_TYPES; n++) {
		rc = handshake(be, tried, err);
		if (rc < 0 && tried != 0 && be->c.ssh != NULL &&
		    libssh2_session_last_errno(be->c.ssh) ==
			LIBSSH2_ERROR_KEX_FAILURE)
			/* the key types the host is known by were offered
			 * alone, and the server has none of them */
			sftp_hostkey_unverifiable(be, err);
		if (rc < 0)
			goto fail;
		rc = sftp_hostkey_check(be, &tried, err);
		if (rc < 0)
			goto fail;
		if (rc == 0)
			break;
		/* known by another key type: offer the others */
		drop(be);
	}
	if (n == SFTP_HOSTKEY_TYPES) {
		err_set(err, E_USER_ERROR,
		    "the host key of %s matches none of its known keys",
		    be->where);
		goto fail;
	}
	if (sftp_auth(be, err) < 0 || start_sftp(be, err) < 0)
		goto fail;
	log_debug("sftp: connected to %s (%s, %s)", be->where,
	    libssh2_session_methods(be->c.ssh, LIBSSH2_METHOD_CRYPT_CS),
	    libssh2_session_methods(be->c.ssh, LIBSSH2_METHOD_HOSTKEY));
	remove_stale(be);
	return 0;
fail:
	drop(be);
	return -1;
}
