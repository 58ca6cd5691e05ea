#ifndef DUPC_BACKEND_BACKEND_H
#define DUPC_BACKEND_BACKEND_H

/*
 * The storage boundary.  A backend moves named byte streams to and from one
 * remote folder and knows nothing of manifests or tars (restic's
 * backend.Backend is the model).  Each scheme supplies a constant ops table
 * in its own folder, listed once in schemes.def; backend_open() picks it
 * from the URL and wraps it in the layers every backend gets: a lock
 * (unless the scheme is BACKEND_CONCURRENT) and the retry layer.
 *
 * The contract for every implementation (tests/unit/backend_suite.c holds
 * each one to it; each scheme's test file runs that suite):
 *
 * Operations
 * - list calls ${fn} once per object in the folder (any order), never for
 *   subfolders; a missing folder is an empty listing.  When ${fn} returns
 *   non-zero, list stops at once and returns -1 with ${fn}'s error.
 * - put stores the whole of ${src} (${size} bytes) under ${name},
 *   replacing any object of that name; a failed put never leaves a
 *   partial object readable under ${name} where the backend can avoid it
 *   (BACKEND_ATOMIC_PUT says it always can).  A missing remote folder is
 *   created by put.
 * - get writes the object to ${fd} from offset 0 and truncates ${fd} to the
 *   object's size; a missing object fails with class ERR_NOT_FOUND.
 * - remove of a missing object fails with ERR_NOT_FOUND.
 * - size sets *size for an existing object (ERR_NOT_FOUND otherwise); the
 *   retry layer checks every put with it.
 * Optional operations (NULL in the ops table; the wrappers below answer
 * for them): open_read (a read-only fd on the stored object itself, for
 * local backends), sha256 (BACKEND_HASHES: the remote reports a content
 * hash), put_new (BACKEND_PUT_NEW: see below).
 * - put_new stores a small object (a lock) under ${name} only when no
 *   object of that name exists, atomically: of several runs racing to
 *   create one name, exactly one succeeds.  It returns 1, storing
 *   nothing, when the name exists.  A server that turns out not to
 *   support conditional creation (an S3 store answering 501 to
 *   If-None-Match) fails with E_NOT_IMPLEMENTED, permanent, and the
 *   caller falls back to a plain put; a server that would silently
 *   ignore the condition must not be flagged BACKEND_PUT_NEW.  Wrappers
 *   pass it through: par2+ without recovery files, multi:// to its
 *   first store.
 *
 * Transfer limits
 * - When ${opts}->limit_up or ->limit_down is set (--limit-upload,
 *   --limit-download), every byte a backend sends or receives over the
 *   network for put and get is taken from that bucket
 *   (util/ratelimit.h) where it moves: http.c does it for every backend
 *   built on it, file:// in its copy loops, a backend driving a program
 *   through child_set_limits (util/child.h), any other in its transfer
 *   loop (ratelimit_take, or a put source read once wrapped with
 *   ratelimit_source_new); open_read declines (returns 1) when a
 *   download limit is set, so the engine downloads through get.  The
 *   conformance suite checks that every byte is counted.
 *
 * Names
 * - Every name is checked once, here, before any backend sees it
 *   (backend_name_ok): 1 to 255 bytes, no '/', no control byte, not "."
 *   or "..".  A refused name fails with ERR_PERMANENT.  Listed names that
 *   fail the check are passed over with a warning, so a hostile listing
 *   cannot make the engine ask for "../x".
 *
 * Failures
 * - Every failure sets a class in the dupc_err: ERR_TRANSIENT when a later
 *   attempt may help (a reset connection, a 5xx, a timeout), ERR_PERMANENT
 *   when it cannot (refused credentials, a bad URL, a full target),
 *   ERR_NOT_FOUND.  The retry layer reads only that class, never the
 *   message.
 * - A backend makes one attempt per call and does not repeat a failed
 *   operation itself: the retry layer alone decides to try again, and
 *   --num-retries bounds those attempts.  Inside one attempt a backend
 *   may send more than one request only where one operation needs it: a
 *   download resumed from the last byte after a cut (http_fetch: at most
 *   --num-retries requests in a row without progress), the parts of a
 *   multipart upload, or state the service itself breaks (MediaFire's key
 *   chain and stuck polls); each such loop has a fixed, documented bound.
 * - Interruption: a backend checks interrupted() (util/interrupt.h) while
 *   it waits or transfers (libcurl's progress callback in http.c, the
 *   child helper's poll loop, the SSH transfer loop) and fails with
 *   ERR_PERMANENT when it is set; the retry layer checks it between
 *   attempts.
 *
 * Threads
 * - A backend instance flagged BACKEND_CONCURRENT may be called from
 *   several threads at once.  Any other is wrapped in a lock (serial.c):
 *   callers may still call from several threads, and calls run one at a
 *   time.  An open and its close happen on one thread, with no call in
 *   flight.
 *
 * Options and secrets
 * - Options every backend shares are fields of struct backend_options.
 *   A scheme's own options (--mf-purge, --ssh-options, --s3-...) are
 *   declared by its folder (struct backend_option_spec) and reach it as
 *   name/value pairs (backend_opt_get).  Passwords come from the URL, from
 *   FTP_PASSWORD (backend_options.password), or from the ask callback
 *   that cli/ supplies; a backend never prompts by itself.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct backend;
struct dupc_err;
struct ratelimit;
struct source;
struct url;

/* Called once per listed object; return non-zero to stop with an error
 * already set in ${err}. */
typedef int backend_list_fn(const char *name, uint64_t size, void *arg,
    struct dupc_err *err);

/*
 * Asks the user for a secret (a password, a key's passphrase) with
 * ${prompt}; returns a string from secret_dup() that the caller releases
 * with secret_free(), or NULL when there is no one to ask or nothing was
 * given.
 */
typedef char *backend_ask_fn(void *arg, const char *prompt);

enum backend_flags {
	BACKEND_ATOMIC_PUT = 1 << 0, /* put is all-or-nothing */
	BACKEND_FLAKY = 1 << 1,      /* expect transient failures */
	BACKEND_HASHES = 1 << 2,     /* the remote reports SHA-256 */
	BACKEND_CONCURRENT = 1 << 3, /* calls may overlap (no lock needed) */
	BACKEND_LOCAL = 1 << 4,      /* the objects are local files */
	BACKEND_NO_RETRY = 1 << 5,   /* a wrapper of backends that retry
				      * themselves: no retry layer of its own */
	BACKEND_PUT_NEW = 1 << 6,    /* put_new creates atomically */
};

/* One scheme option as given on the command line (--name or --name=value). */
struct backend_opt {
	const char *name;  /* without "--" */
	const char *value; /* NULL for a flag */
};

/*
 * What the engine knows of an object before it is fetched: a volume's
 * SHA-1 and size from its manifest.  Wrappers that can choose between
 * copies or repair one (multi://, par2+) ask through this; 0 with
 * ${sha1} (41 bytes, lower-case hex) and *${size} set, 1 when nothing is
 * known of ${name}.
 */
typedef int backend_expect_fn(void *arg, const char *name, char *sha1,
    uint64_t *size);

/* Options every backend may use; zero means the default. */
struct backend_options {
	unsigned num_retries; /* --num-retries (default 5) */
	double retry_delay;   /* --backend-retry-delay seconds (default 30) */
	unsigned timeout;     /* --timeout seconds per attempt (default 30) */
	const char *password; /* FTP_PASSWORD as read at start-up
			       * (borrowed; NULL: none given) */
	backend_ask_fn *ask;  /* NULL: nobody to ask */
	void *ask_arg;
	/* scheme options in command-line order (borrowed) */
	const struct backend_opt *opts;
	size_t nopts;
	/* environment entries for this backend alone, before the process's
	 * ("NAME", "VALUE" pairs; multi:// gives each store its own) */
	const struct backend_opt *env;
	size_t nenv;
	bool writes; /* the command writes or deletes on the target */
	backend_expect_fn *expect; /* NULL: nothing is known */
	void *expect_arg;
	/* --limit-upload / --limit-download buckets shared by every
	 * transfer (borrowed; NULL: no limit) */
	struct ratelimit *limit_up;
	struct ratelimit *limit_down;
};

/*
 * An option a scheme (or a shared layer such as http.c) declares; the
 * command line accepts it for every URL and dupc.1 documents it.
 */
struct backend_option_spec {
	const char *name; /* without "--" */
	bool takes_value;
	const char *help; /* one line for `dupc help SCHEME` */
};

/* A group of option specs: a scheme's own, or a shared layer's. */
struct backend_option_group {
	const char *title;                       /* "SSH", "TLS", ... */
	const struct backend_option_spec *specs; /* ends with a NULL name */
};

struct backend_ops {
	/* the URL schemes it answers to, the first being its own name;
	 * NULL-terminated ("sftp", "scp", "paramiko+sftp", ...) */
	const char *const *schemes;
	unsigned flags;
	const char *example; /* a URL for --help: "sftp://user@host/path" */
	const char *help;    /* `dupc help SCHEME`: URL forms, options,
			      * environment; may be NULL */
	const struct backend_option_group *options; /* may be NULL */
	/*
	 * hint (optional): the fix to add to error ${err} (its code and
	 * class are set) when the user can do something about it, e.g.
	 * "check FTP_PASSWORD and the account in the URL"; NULL for none.
	 */
	const char *(*hint)(const struct dupc_err *);
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
	/* optional: put only when absent (1: it exists), BACKEND_PUT_NEW */
	int (*put_new)(struct backend *, const char *, struct source *,
	    uint64_t, struct dupc_err *);
	void (*close)(struct backend *);
};

/*
 * Every backend instance starts with this header.  ${flags} are the
 * innermost scheme's (wrappers copy them), set by backend_open.
 */
struct backend {
	const struct backend_ops *ops;
	unsigned flags;
};

/*
 * backend_open(url, opts, bep, err):
 * Open the backend for ${url} (a string as typed by the user), wrapped in
 * the lock (when needed) and retry layers.  E_BAD_URL for an unknown
 * scheme.
 */
int backend_open(const char *, const struct backend_options *,
    struct backend **, struct dupc_err *);

/* backend_open_raw(...): the same without the retry layer (tests). */
int backend_open_raw(const char *, const struct backend_options *,
    struct backend **, struct dupc_err *);

/* backend_close(be): close and free; NULL is fine. */
void backend_close(struct backend *);

/* Thin wrappers, so callers never touch the ops table.  Names are checked
 * with backend_name_ok first. */
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
/*
 * backend_put_new(be, name, src, size, err):
 * Store ${name} only when no object of that name exists (see put_new
 * above): 0 when stored, 1 when the name exists (nothing stored, ${err}
 * untouched), -1 on failure; E_NOT_IMPLEMENTED when the backend cannot
 * create conditionally (no BACKEND_PUT_NEW, or a server without it).
 */
int backend_put_new(struct backend *, const char *, struct source *, uint64_t,
    struct dupc_err *);
/* backend_flags(be): the scheme's BACKEND_* flags. */
unsigned backend_flags(const struct backend *);

/* backend_name_ok(name): true when ${name} may be stored (see above). */
bool backend_name_ok(const char *);

/* ------------------------------------------------------------------ */
/* The registry (registry.c): which schemes and options exist. */

/* backend_lookup(scheme): the ops answering to ${scheme}, or NULL. */
const struct backend_ops *backend_lookup(const char *);

/* backend_scheme_at(i): the i-th registered scheme's ops (NULL past the
 * end), for help and listings. */
const struct backend_ops *backend_scheme_at(size_t);

/* backend_option_group_at(i): the i-th option group of every scheme and
 * shared layer (NULL past the end). */
const struct backend_option_group *backend_option_group_at(size_t);

/*
 * backend_option_find(name, n): the spec of the backend option named by
 * the ${n} bytes at ${name} (exact match), or NULL.
 */
const struct backend_option_spec *backend_option_find(const char *, size_t);

/* backend_schemes_line(buf, size): "file://, mf://, sftp://, ..." */
char *backend_schemes_line(char *, size_t);

/*
 * backend_hint(url, err):
 * The fix the scheme of ${url} suggests for ${err}, or NULL.
 */
const char *backend_hint(const char *, const struct dupc_err *);

/*
 * backend_help(scheme):
 * The help text of the backend answering to ${scheme} (its URL forms,
 * options and environment), or NULL when no scheme answers.
 */
const char *backend_help(const char *);

/* ------------------------------------------------------------------ */
/* Scheme options, for backends. */

/*
 * backend_opt_get(opts, name):
 * The value of the last --${name} given (an empty string for a flag), or
 * NULL when it was not given.
 */
const char *backend_opt_get(const struct backend_options *, const char *);

/* backend_opt_flag(opts, name): true when --${name} was given. */
bool backend_opt_flag(const struct backend_options *, const char *);

/*
 * backend_opt_next(opts, name, pos):
 * Each value of a repeatable option in order: start with *${pos} = 0;
 * returns the next value, or NULL at the end.
 */
const char *backend_opt_next(const struct backend_options *, const char *,
    size_t *);

/*
 * backend_env(opts, name):
 * The environment variable ${name} as this backend sees it: its own entry
 * in ${opts}->env first, else the process's (NULL: unset).  Backends read
 * every variable through this (AWS_ACCESS_KEY_ID, HOME, RCLONE_CONFIG_*),
 * never with getenv(), so that each store of multi:// gets its own.
 */
const char *backend_env(const struct backend_options *, const char *);

/*
 * backend_env_list(opts, prefix, fn, arg):
 * Call ${fn}(arg, "NAME=VALUE") for each variable this backend sees whose
 * name starts with ${prefix} ("" for all): its own entries, then the
 * process's not shadowed by them.  Stops at and returns ${fn}'s first
 * non-zero result.
 */
int backend_env_list(const struct backend_options *, const char *,
    int (*)(void *, const char *, const char *), void *);

/*
 * backend_ask(opts, prompt):
 * Ask through the cli's callback (see backend_ask_fn); NULL when there is
 * none or nothing was given.
 */
char *backend_ask(const struct backend_options *, const char *);

#endif
