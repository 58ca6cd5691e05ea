/*
 * The retry layer, wrapped around every backend (after restic's
 * backend/retry).  Transient failures are retried with exponential backoff
 * and jitter, starting at --backend-retry-delay; permanent and not-found
 * failures return at once.  The class comes from the backend; the message
 * text is never inspected.  After a put, the stored size is checked
 * against what was sent, because a backend that reports success for a
 * short object would otherwise poison the chain.
 */
#define _DEFAULT_SOURCE
#include "backend/backend_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/err.h"
#include "util/interrupt.h"
#include "util/log.h"
#include "util/stream.h"

struct retry_backend {
	struct backend base;
	struct backend *inner;
	unsigned attempts;
	double delay;
	unsigned seed;
};

static const char *
class_name(enum err_class cls)
{
	switch (cls) {
	case ERR_TRANSIENT:
		return "TransientError";
	case ERR_NOT_FOUND:
		return "NotFoundError";
	case ERR_PERMANENT:
		break;
	}
	return "PermanentError";
}

/* Sleep before attempt ${n} (2, 3, ...): delay * 2^(n-2), +-25% jitter,
 * capped at 10 minutes; wakes early on SIGINT/SIGTERM. */
static void
backoff(struct retry_backend *rb, unsigned n)
{
	double d = rb->delay * pow(2.0, (double)(n - 2));
	double jitter = ((double)rand_r(&rb->seed) / RAND_MAX - 0.5) * 0.5;
	struct timespec ts;

	if (d > 600)
		d = 600;
	d *= 1.0 + jitter;
	while (d > 0 && !interrupted()) {
		double step = d > 0.2 ? 0.2 : d;

		ts.tv_sec = (time_t)step;
		ts.tv_nsec = (long)((step - (double)ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);
		d -= step;
	}
}

/*
 * The machine-log extra of a failed operation, as duplicity's retry
 * decorator writes it (backend.py): the operation and the quoted name.
 */
static void
set_extra(struct dupc_err *err, const char *what, const char *name)
{
	char q[ERR_EXTRA_MAX - 16];

	if (err == NULL || err->extra[0] != '\0')
		return;
	if (name != NULL)
		err_set_extra(err, "%s %s", what,
		    log_quote_path(name, q, sizeof(q)));
	else
		err_set_extra(err, "%s", what);
}

/*
 * A failed attempt: a warning in the machine log, on the console only
 * from -v info up (the final error repeats the cause), and a note on the
 * terminal's status line while waiting.
 */
static void
note_attempt(const struct retry_backend *rb, unsigned n,
    const struct dupc_err *e)
{
	char note[160];

	log_msgf(LOG_WARNING, WARN_GENERIC, NULL, LOG_F_QUIET_CONSOLE,
	    "Attempt %u failed. %s: %s", n, class_name(e->cls), e->msg);
	snprintf(note, sizeof(note),
	    "attempt %u of %u failed (%.80s); retrying", n, rb->attempts,
	    e->msg);
	log_status_note(note);
}

/*
 * One operation with retries.  ${op} runs one attempt; ${what} (and the
 * object ${name}, may be NULL) name it in the machine log.  The final
 * error keeps the last attempt's code and class.
 */
typedef int attempt_fn(struct retry_backend *, void *, struct dupc_err *);

static int
with_retries(struct retry_backend *rb, attempt_fn *op, void *arg,
    const char *what, const char *name, struct dupc_err *err)
{
	struct dupc_err e;
	unsigned n;

	for (n = 1;; n++) {
		err_clear(&e);
		if (op(rb, arg, &e) == 0) {
			if (n > 1)
				log_status_note(NULL);
			return 0;
		}
		if (e.cls != ERR_TRANSIENT || interrupted()) {
			if (err != NULL)
				*err = e;
			set_extra(err, what, name);
			log_status_note(NULL);
			return -1;
		}
		if (n >= rb->attempts)
			break;
		note_attempt(rb, n, &e);
		backoff(rb, n + 1);
		if (interrupted())
			break;
	}
	log_status_note(NULL);
	if (err != NULL) {
		*err = e;
		err_prefix(err, "Giving up after %u attempts. %s", n,
		    class_name(e.cls));
		set_extra(err, what, name);
	}
	return -1;
}

struct list_arg {
	backend_list_fn *fn;
	void *arg;
};

static int
list_once(struct retry_backend *rb, void *p, struct dupc_err *err)
{
	struct list_arg *la = p;

	return rb->inner->ops->list(rb->inner, la->fn, la->arg, err);
}

static int
retry_list(struct backend *be, backend_list_fn *fn, void *arg,
    struct dupc_err *err)
{
	struct list_arg la = { fn, arg };

	return with_retries((struct retry_backend *)be, list_once, &la, "list",
	    NULL, err);
}

struct put_arg {
	const char *name;
	struct source *src;
	uint64_t size;
	bool first;
};

static int
put_once(struct retry_backend *rb, void *p, struct dupc_err *err)
{
	struct put_arg *pa = p;
	uint64_t got;

	if (!pa->first && source_rewind(pa->src, err) < 0)
		return -1;
	pa->first = false;
	if (rb->inner->ops->put(rb->inner, pa->name, pa->src, pa->size, err) <
	    0)
		return -1;
	if (backend_size(rb->inner, pa->name, &got, err) < 0) {
		/* the object must exist right after a successful put */
		if (err->cls == ERR_NOT_FOUND)
			err->cls = ERR_TRANSIENT;
		return -1;
	}
	if (got != pa->size)
		return err_class_set(err, ERR_TRANSIENT, E_VOLUME_WRONG_SIZE,
		    "uploaded %s has %llu bytes, expected %llu", pa->name,
		    (unsigned long long)got, (unsigned long long)pa->size);
	return 0;
}

static int
retry_put(struct backend *be, const char *name, struct source *src,
    uint64_t size, struct dupc_err *err)
{
	struct put_arg pa = { name, src, size, true };

	return with_retries((struct retry_backend *)be, put_once, &pa, "put",
	    name, err);
}

struct put_new_arg {
	struct put_arg put;
	bool exists;
};

/*
 * One attempt of put_new.  An attempt after a transient failure may find
 * the object the failed one created after all: the caller tells its own
 * object by its content (put_new's contract).
 */
static int
put_new_once(struct retry_backend *rb, void *p, struct dupc_err *err)
{
	struct put_new_arg *pn = p;
	struct put_arg *pa = &pn->put;
	uint64_t got;
	int rc;

	if (!pa->first && source_rewind(pa->src, err) < 0)
		return -1;
	pa->first = false;
	rc = backend_put_new(rb->inner, pa->name, pa->src, pa->size, err);
	if (rc != 0) {
		pn->exists = rc == 1;
		return rc == 1 ? 0 : -1;
	}
	if (backend_size(rb->inner, pa->name, &got, err) < 0) {
		if (err->cls == ERR_NOT_FOUND)
			err->cls = ERR_TRANSIENT;
		return -1;
	}
	if (got != pa->size)
		return err_class_set(err, ERR_TRANSIENT, E_VOLUME_WRONG_SIZE,
		    "uploaded %s has %llu bytes, expected %llu", pa->name,
		    (unsigned long long)got, (unsigned long long)pa->size);
	return 0;
}

static int
retry_put_new(struct backend *be, const char *name, struct source *src,
    uint64_t size, struct dupc_err *err)
{
	struct put_new_arg pn = { { name, src, size, true }, false };

	if (with_retries((struct retry_backend *)be, put_new_once, &pn, "put",
		name, err) < 0)
		return -1;
	return pn.exists ? 1 : 0;
}

struct get_arg {
	const char *name;
	int fd;
};

static int
get_once(struct retry_backend *rb, void *p, struct dupc_err *err)
{
	struct get_arg *ga = p;

	return rb->inner->ops->get(rb->inner, ga->name, ga->fd, err);
}

static int
retry_get(struct backend *be, const char *name, int fd, struct dupc_err *err)
{
	struct get_arg ga = { name, fd };

	return with_retries((struct retry_backend *)be, get_once, &ga, "get",
	    name, err);
}

static int
remove_once(struct retry_backend *rb, void *p, struct dupc_err *err)
{
	return rb->inner->ops->remove(rb->inner, p, err);
}

static int
retry_remove(struct backend *be, const char *name, struct dupc_err *err)
{
	return with_retries((struct retry_backend *)be, remove_once,
	    (void *)(uintptr_t)name, "delete", name, err);
}

struct size_arg {
	const char *name;
	uint64_t *size;
};

static int
size_once(struct retry_backend *rb, void *p, struct dupc_err *err)
{
	struct size_arg *sa = p;

	return backend_size(rb->inner, sa->name, sa->size, err);
}

static int
retry_size(struct backend *be, const char *name, uint64_t *size,
    struct dupc_err *err)
{
	struct size_arg sa = { name, size };

	return with_retries((struct retry_backend *)be, size_once, &sa, "size",
	    name, err);
}

struct sha_arg {
	const char *name;
	char *hex;
};

static int
sha_once(struct retry_backend *rb, void *p, struct dupc_err *err)
{
	struct sha_arg *sa = p;

	return backend_sha256(rb->inner, sa->name, sa->hex, err);
}

static int
retry_sha256(struct backend *be, const char *name, char *hex,
    struct dupc_err *err)
{
	struct retry_backend *rb = (struct retry_backend *)be;
	struct sha_arg sa = { name, hex };

	if (!(be->flags & BACKEND_HASHES))
		return err_set(err, E_BACKEND_ERROR,
		    "backend cannot report object hashes");
	return with_retries(rb, sha_once, &sa, "sha256", name, err);
}

static void
retry_close(struct backend *be)
{
	struct retry_backend *rb = (struct retry_backend *)be;

	backend_close(rb->inner);
	free(rb);
}

/* Opening a local file is not worth retrying: passed straight through. */
static int
retry_open_read(struct backend *be, const char *name, int *fdp,
    struct dupc_err *err)
{
	return backend_open_read(((struct retry_backend *)be)->inner, name, fdp,
	    err);
}

static const char *const retry_schemes[] = { "retry", NULL };

static const struct backend_ops retry_ops = {
	.schemes = retry_schemes,
	.list = retry_list,
	.put = retry_put,
	.get = retry_get,
	.open_read = retry_open_read,
	.remove = retry_remove,
	.size = retry_size,
	.sha256 = retry_sha256,
	.put_new = retry_put_new,
	.close = retry_close,
};

int
retry_wrap(struct backend *inner, const struct backend_options *opts,
    struct backend **bep, struct dupc_err *err)
{
	struct retry_backend *rb = calloc(1, sizeof(*rb));

	if (rb == NULL) {
		backend_close(inner);
		return err_set(err, E_GENERIC, "out of memory");
	}
	rb->base.ops = &retry_ops;
	rb->base.flags = inner->flags;
	rb->inner = inner;
	rb->attempts = opts && opts->num_retries ? opts->num_retries : 5;
	rb->delay = opts && opts->retry_delay > 0 ? opts->retry_delay : 30;
	rb->seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	*bep = &rb->base;
	return 0;
}
