/*
 * The lock layer: a backend that cannot take overlapping calls (one SSH
 * session, MediaFire's signed key chain, one libcurl handle) is wrapped in
 * a mutex, so the engine may call any backend from several threads (the
 * uploader, a prefetch, a check) without knowing which can overlap.
 * Calls run one at a time, in the order they take the lock.
 */
#include "backend/backend_internal.h"

#include <pthread.h>
#include <stdlib.h>

#include "util/err.h"

struct serial_backend {
	struct backend base;
	struct backend *inner;
	pthread_mutex_t mu;
};

#define INNER(be) (((struct serial_backend *)(be))->inner)
#define MU(be) (&((struct serial_backend *)(be))->mu)

static int
serial_list(struct backend *be, backend_list_fn *fn, void *arg,
    struct dupc_err *err)
{
	int rc;

	pthread_mutex_lock(MU(be));
	rc = INNER(be)->ops->list(INNER(be), fn, arg, err);
	pthread_mutex_unlock(MU(be));
	return rc;
}

static int
serial_put(struct backend *be, const char *name, struct source *src,
    uint64_t size, struct dupc_err *err)
{
	int rc;

	pthread_mutex_lock(MU(be));
	rc = INNER(be)->ops->put(INNER(be), name, src, size, err);
	pthread_mutex_unlock(MU(be));
	return rc;
}

static int
serial_get(struct backend *be, const char *name, int fd, struct dupc_err *err)
{
	int rc;

	pthread_mutex_lock(MU(be));
	rc = INNER(be)->ops->get(INNER(be), name, fd, err);
	pthread_mutex_unlock(MU(be));
	return rc;
}

static int
serial_remove(struct backend *be, const char *name, struct dupc_err *err)
{
	int rc;

	pthread_mutex_lock(MU(be));
	rc = INNER(be)->ops->remove(INNER(be), name, err);
	pthread_mutex_unlock(MU(be));
	return rc;
}

static int
serial_size(struct backend *be, const char *name, uint64_t *size,
    struct dupc_err *err)
{
	int rc;

	pthread_mutex_lock(MU(be));
	rc = backend_size(INNER(be), name, size, err);
	pthread_mutex_unlock(MU(be));
	return rc;
}

static int
serial_open_read(struct backend *be, const char *name, int *fdp,
    struct dupc_err *err)
{
	int rc;

	pthread_mutex_lock(MU(be));
	rc = backend_open_read(INNER(be), name, fdp, err);
	pthread_mutex_unlock(MU(be));
	return rc;
}

static int
serial_sha256(struct backend *be, const char *name, char *hex,
    struct dupc_err *err)
{
	int rc;

	pthread_mutex_lock(MU(be));
	rc = backend_sha256(INNER(be), name, hex, err);
	pthread_mutex_unlock(MU(be));
	return rc;
}

static int
serial_put_new(struct backend *be, const char *name, struct source *src,
    uint64_t size, struct dupc_err *err)
{
	int rc;

	pthread_mutex_lock(MU(be));
	rc = backend_put_new(INNER(be), name, src, size, err);
	pthread_mutex_unlock(MU(be));
	return rc;
}

static void
serial_close(struct backend *be)
{
	struct serial_backend *sb = (struct serial_backend *)be;

	backend_close(sb->inner);
	pthread_mutex_destroy(&sb->mu);
	free(sb);
}

static const char *const serial_schemes[] = { "serial", NULL };

static const struct backend_ops serial_ops = {
	.schemes = serial_schemes,
	.list = serial_list,
	.put = serial_put,
	.get = serial_get,
	.remove = serial_remove,
	.size = serial_size,
	.open_read = serial_open_read,
	.sha256 = serial_sha256,
	.put_new = serial_put_new,
	.close = serial_close,
};

int
serial_wrap(struct backend *inner, struct backend **bep, struct dupc_err *err)
{
	struct serial_backend *sb = calloc(1, sizeof(*sb));

	if (sb == NULL || pthread_mutex_init(&sb->mu, NULL) != 0) {
		free(sb);
		backend_close(inner);
		return err_set(err, E_GENERIC, "out of memory");
	}
	sb->base.ops = &serial_ops;
	sb->base.flags = inner->flags;
	sb->inner = inner;
	*bep = &sb->base;
	return 0;
}
