#ifndef DUPC_BACKEND_BACKEND_H
#define DUPC_BACKEND_BACKEND_H

/*
 * The storage boundary.  A backend moves named byte streams to and from one
 * remote folder and knows nothing of manifests or tars (restic's
 * backend.Backend is the model).  Each scheme supplies a constant ops table;
 * backend_open() picks it from the URL and wraps it in the retry layer.
 *
 * Contract for every implementation (tests/unit/test_backend_conformance.c
 * holds each one to it):
 * - list calls ${fn} once per object in the folder (any order), never for
 *   subfolders; a missing folder is an empty listing.
 * - put stores the whole of ${src} under ${name}, replacing any object of
 *   that name; on failure it may be retried with the source rewound, so a
 *   put must never leave a partial object readable under ${name} as
 *   complete where the backend can avoid it.
 * - get writes the object to ${fd} from offset 0 and truncates ${fd} to the
 *   object's size; a missing object fails with class ERR_NOT_FOUND.
 * - remove of a missing object fails with ERR_NOT_FOUND.
 * - size sets *size for an existing object (ERR_NOT_FOUND otherwise).
 * - open_read (optional, local backends) gives a read-only fd on the stored
 *   object itself, so reading it costs no copy; errors as get.
 * Failures set a class in the dupc_err: ERR_TRANSIENT when retrying may
 * help, ERR_PERMANENT when it cannot, ERR_NOT_FOUND.  The retry wrapper
 * reads only that class, never the message.
 */

#include <stdbool.h>
#include <stdint.h>

struct backend;
struct dupc_err;
struct source;
struct url;

/* Called once per listed object; return non-zero to stop with an error
 * already set in ${err}. */
typedef int backend_list_fn(const char *name, uint64_t size, void *arg,
    struct dupc_err *err);

enum backend_flags {
	BACKEND_ATOMIC_PUT = 1 << 0, /* put is all-or-nothing */
	BACKEND_FLAKY = 1 << 1,      /* expect transient failures */
	BACKEND_HASHES = 1 << 2,     /* the remote reports SHA-256 */
};

/* Options every backend may use; zero means the default. */
struct backend_options {
	unsigned num_retries; /* --num-retries (default 5) */
	double retry_delay;   /* --backend-retry-delay seconds (default 30) */
	unsigned timeout;     /* --timeout seconds per attempt (default 30) */
	bool mf_purge;        /* --mf-purge: delete for good */
	bool interactive;     /* a terminal may be asked for a password */
	const char *password; /* FTP_PASSWORD as read at start-up
			       * (borrowed; NULL: none given) */
};

struct backend_ops {
	const char *scheme;
	unsigned flags;
	/* open: parse ${url} (already split) and connect as needed */
	int (*open)(struct backend **, const struct url *,
	    const struct backend_options *, struct dupc_err *);
	int (*list)(struct backend *, backend_list_fn *, void *,
	    struct dupc_err *);
	int (*put)(struct backend *, const char *, struct source *, uint64_t,
	    struct dupc_err *);
	int (*get)(struct backend *, const char *, int, struct dupc_err *);
	int (*remove)(struct backend *, const char *, struct dupc_err *);
	int (*size)(struct backend *, const char *, uint64_t *,
	    struct dupc_err *);
	/* optional: a read-only fd on the stored object in place */
	int (*open_read)(struct backend *, const char *, int *,
	    struct dupc_err *);
	/* optional: SHA-256 hex of a stored object, when BACKEND_HASHES */
	int (
	    *sha256)(struct backend *, const char *, char *, struct dupc_err *);
	void (*close)(struct backend *);
};

/* Every backend instance starts with this header. */
struct backend {
	const struct backend_ops *ops;
};

/*
 * backend_open(url, opts, bep, err):
 * Open the backend for ${url} (a string as typed by the user), wrapped in
 * the retry layer.  E_BAD_URL for an unknown scheme.
 */
int backend_open(const char *, const struct backend_options *,
    struct backend **, struct dupc_err *);

/* backend_open_raw(...): the same without the retry layer (tests). */
int backend_open_raw(const char *, const struct backend_options *,
    struct backend **, struct dupc_err *);

/* backend_close(be): close and free; NULL is fine. */
void backend_close(struct backend *);

/* Thin wrappers, so callers never touch the ops table. */
int backend_list(struct backend *, backend_list_fn *, void *,
    struct dupc_err *);
int backend_put(struct backend *, const char *, struct source *, uint64_t,
    struct dupc_err *);
int backend_get(struct backend *, const char *, int, struct dupc_err *);
/* backend_open_read(be, name, fdp, err): 0 with *fdp open on the stored
 * object at offset 0; 1 when the backend cannot (use backend_get). */
int backend_open_read(struct backend *, const char *, int *, struct dupc_err *);
int backend_remove(struct backend *, const char *, struct dupc_err *);
int backend_size(struct backend *, const char *, uint64_t *, struct dupc_err *);
/* backend_sha256(be, name, hex, err): the stored object's SHA-256 in
 * lower-case hex (65 bytes); E_BACKEND_ERROR when the backend cannot
 * tell (no BACKEND_HASHES). */
int backend_sha256(struct backend *, const char *, char *, struct dupc_err *);
unsigned backend_flags(const struct backend *);

/* backend_register(ops): add a scheme (done by backend.c for built-ins). */
const struct backend_ops *backend_lookup(const char *);

#endif
