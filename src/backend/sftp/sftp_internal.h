#ifndef DUPC_BACKEND_SFTP_SFTP_INTERNAL_H
#define DUPC_BACKEND_SFTP_SFTP_INTERNAL_H

/*
 * Shared by the files of the sftp:// backend only (src/backend/sftp/, the
 * one home of libssh2's headers).  One struct sftp_backend per open URL
 * holds what was resolved from the URL, --ssh-options and ~/.ssh/config,
 * and at most one SSH connection (struct sftp_conn), opened on the first
 * call that needs it and opened again after it broke.  The connection is
 * driven in libssh2's non-blocking mode: every call that would block
 * returns LIBSSH2_ERROR_EAGAIN and sftp_wait() polls the socket, so
 * interruption and --timeout are checked while waiting.
 */

#include <stdbool.h>
#include <stdint.h>

#include <libssh2.h>
#include <libssh2_sftp.h>

#include "backend/backend_internal.h"
#include "backend/sftp/sftp_parse.h"

/* What a wrapped libssh2 call returns when sftp_wait gave up (the error
 * is then set); sftp_fail passes it through. */
#define SFTP_GAVE_UP (-10000)

/* Temporaries whose removal a broken connection prevented, kept for the
 * next connection. */
#define SFTP_STALE_MAX 8

/* The one SSH connection of a backend (fd -1 and NULLs when closed). */
struct sftp_conn {
	int fd;
	LIBSSH2_SESSION *ssh;
	LIBSSH2_SFTP *sftp;
	bool broken; /* a call failed half-way: reopen before the next */
};

struct sftp_backend {
	struct backend base;
	/* resolved at open */
	char *where; /* "sftp://user@host:port/dir" for messages */
	char *host;  /* what is connected to (HostName) */
	int port;
	char *user;
	char *dir;        /* the remote folder: "." "rel/dir" or "/abs/dir" */
	char *home;       /* $HOME, for ~ and the default files */
	char *agent_sock; /* $SSH_AUTH_SOCK, or NULL */
	struct sftp_files ids;    /* identity files to try, in order */
	struct sftp_files known;  /* user known-hosts files (first: added to) */
	struct sftp_files gknown; /* global known-hosts files */
	enum sftp_strict strict;
	bool identities_only;
	bool batch; /* never ask (BatchMode=yes) */
	bool compression;
	bool use_scp;             /* --use-scp: volumes over the scp protocol */
	struct ratelimit *up;     /* --limit-upload, --limit-download */
	struct ratelimit *down;   /* (borrowed from the options) */
	unsigned timeout;         /* seconds without progress */
	unsigned connect_timeout; /* seconds */
	/* secrets (secret_free): the URL's password or FTP_PASSWORD, or the
	 * one typed; the passphrase typed for key ${key_pass_for} */
	char *secret;
	bool secret_asked;
	char *key_pass;
	char *key_pass_for;
	/* who answers backend_ask: the cli's callback, copied at open */
	struct backend_options asker;
	/* state */
	struct sftp_conn c;
	/* the host key seen first when the host is known by other types */
	int seen_type; /* index in sftp_hostkey.c's table */
	char seen_fp[80];
	void *blocks; /* what libssh2 holds (sftp_conn.c's allocator) */
	bool dir_ok;  /* the folder is known to exist */
	char *stale[SFTP_STALE_MAX];
	unsigned serial; /* for temporary names */
};

/* ---- sftp_setup.c ------------------------------------------------------- */

/* sftp_open(bep, url, opts, err): the backend for ${url}, resolved from
 * the URL, --ssh-options and ssh_config; nothing is connected yet. */
int sftp_open(struct backend **, const struct url *,
    const struct backend_options *, struct dupc_err *);

/* ---- sftp_conn.c -------------------------------------------------------- */

/*
 * sftp_connect(be, err):
 * Make sure ${be} has a working connection: nothing when it has one,
 * else (after closing a broken one) connect, check the host key, log in
 * and start SFTP, and remove the temporaries left by a broken one.
 */
int sftp_connect(struct sftp_backend *, struct dupc_err *);

/* sftp_disconnect(be, polite): close the connection; ${polite} says
 * goodbye to the server first (bounded by a few seconds). */
void sftp_disconnect(struct sftp_backend *, bool);

/*
 * sftp_wait(be, err):
 * Wait until the socket is ready the way libssh2 needs; -1 (the
 * connection then broken) when interrupted (ERR_PERMANENT) or when
 * nothing came for --timeout seconds (ERR_TRANSIENT).
 */
int sftp_wait(struct sftp_backend *, struct dupc_err *);

/*
 * sftp_fail(be, rc, err, fmt, ...):
 * Record the failure of a libssh2 call (${rc}, a LIBSSH2_ERROR_*) with
 * the context ${fmt}: the class and duplicity's code from the SFTP status
 * or the transport error, the connection marked broken when its state is
 * unknown.  ${rc} SFTP_GAVE_UP leaves the error sftp_wait set.
 * Returns -1.
 */
int sftp_fail(struct sftp_backend *, int, struct dupc_err *, const char *, ...)
    __attribute__((format(printf, 4, 5)));

/* sftp_mem_alloc(be, n): memory libssh2 may free (and will wipe), as for
 * keyboard-interactive answers; NULL when out of memory. */
void *sftp_mem_alloc(struct sftp_backend *, size_t);

/* sftp_status(be, rc): the SFTP status code of the last failure (LIBSSH2_FX_*),
 * or 0 when it was not an SFTP status. */
unsigned long sftp_status(const struct sftp_backend *, int);

/* ---- sftp_hostkey.c ----------------------------------------------------- */

/* The host key types libssh2 1.10 can check, in ssh(1)'s order. */
#define SFTP_HOSTKEY_TYPES 5

/*
 * sftp_hostkey_prefs(tried, buf, size):
 * The host key algorithms to offer, leaving out the types in the bit set
 * ${tried}; NULL when none is left.
 */
const char *sftp_hostkey_prefs(unsigned, char *, size_t);

/*
 * sftp_hostkey_check(be, tried, err):
 * Hold the server's host key to the known-hosts files.  0: known, or
 * unknown and added under accept-new; 1: the host is known by other key
 * types only (the type offered is added to *${tried}: connect again
 * offering the others); -1: refused (E_USER_ERROR, permanent: unknown
 * host, changed or revoked key).
 */
int sftp_hostkey_check(struct sftp_backend *, unsigned *, struct dupc_err *);

/*
 * sftp_hostkey_unverifiable(be, err):
 * The refusal when the host is known by key types the server would not
 * negotiate after all: names the key first seen and the command that
 * adds it.  Returns -1.
 */
int sftp_hostkey_unverifiable(struct sftp_backend *, struct dupc_err *);

/* ---- sftp_auth.c -------------------------------------------------------- */

/*
 * sftp_auth(be, err):
 * Log in: the agent's keys, then the identity files (RSA ones last), then
 * the password (or keyboard-interactive with it).  Refusal is permanent
 * with duplicity's code for it (E_USER_ERROR) and a line naming what was
 * tried.
 */
int sftp_auth(struct sftp_backend *, struct dupc_err *);

/* ---- sftp_scp.c --------------------------------------------------------- */

/* sftp_scp_put(be, path, src, size, err): store ${path} (a remote path)
 * over the scp protocol. */
int sftp_scp_put(struct sftp_backend *, const char *, struct source *, uint64_t,
    struct dupc_err *);

/* sftp_scp_get(be, path, fd, err): fetch ${path} over scp into ${fd}. */
int sftp_scp_get(struct sftp_backend *, const char *, int, struct dupc_err *);

#endif
