/*
 * The scheme registry and the thin call wrappers.  Adding a scheme: write
 * an ops table in this folder and list it in builtin[] below.
 */
#include "backend/backend_internal.h"

#include <stddef.h>
#include <string.h>

#include "util/err.h"
#include "util/url.h"

static const struct backend_ops *const builtin[] = {
	&file_backend_ops,
	&mem_backend_ops,
	&mf_backend_ops,
};

const struct backend_ops *
backend_lookup(const char *scheme)
{
	size_t i;

	for (i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
		if (strcmp(builtin[i]->scheme, scheme) == 0)
			return builtin[i];
	return NULL;
}

int
backend_open_raw(const char *s, const struct backend_options *opts,
    struct backend **bep, struct dupc_err *err)
{
	const struct backend_ops *ops;
	struct url u;
	char red[512];
	int rc;

	if (url_parse(&u, s, err) < 0)
		return -1;
	ops = backend_lookup(u.scheme);
	if (ops == NULL) {
		rc = err_set(err, E_BAD_URL,
		    "unsupported backend scheme '%s' in '%s'; dupc supports file:// and mf://",
		    u.scheme, url_redact(s, red, sizeof(red)));
		url_release(&u);
		return rc;
	}
	rc = ops->open(bep, &u, opts, err);
	url_release(&u);
	return rc;
}

int
backend_open(const char *s, const struct backend_options *opts,
    struct backend **bep, struct dupc_err *err)
{
	struct backend *inner;

	if (backend_open_raw(s, opts, &inner, err) < 0)
		return -1;
	return retry_wrap(inner, opts, bep, err);
}

void
backend_close(struct backend *be)
{
	if (be != NULL)
		be->ops->close(be);
}

int
backend_list(struct backend *be, backend_list_fn *fn, void *arg,
    struct dupc_err *err)
{
	return be->ops->list(be, fn, arg, err);
}

int
backend_put(struct backend *be, const char *name, struct source *src,
    uint64_t size, struct dupc_err *err)
{
	return be->ops->put(be, name, src, size, err);
}

int
backend_get(struct backend *be, const char *name, int fd, struct dupc_err *err)
{
	return be->ops->get(be, name, fd, err);
}

int
backend_open_read(struct backend *be, const char *name, int *fdp,
    struct dupc_err *err)
{
	if (be->ops->open_read == NULL)
		return 1;
	return be->ops->open_read(be, name, fdp, err);
}

int
backend_remove(struct backend *be, const char *name, struct dupc_err *err)
{
	return be->ops->remove(be, name, err);
}

int
backend_size(struct backend *be, const char *name, uint64_t *size,
    struct dupc_err *err)
{
	if (be->ops->size == NULL)
		return err_set(err, E_BACKEND_ERROR,
		    "backend cannot report object sizes");
	return be->ops->size(be, name, size, err);
}

int
backend_sha256(struct backend *be, const char *name, char *hex,
    struct dupc_err *err)
{
	if (be->ops->sha256 == NULL)
		return err_set(err, E_BACKEND_ERROR,
		    "backend cannot report object hashes");
	return be->ops->sha256(be, name, hex, err);
}
