/*
 * Opening a backend and the thin call wrappers every caller goes through.
 * What every backend would otherwise repeat is done here once: the URL is
 * split and its scheme looked up in the registry, the instance is wrapped
 * in the lock and retry layers, object names are checked before any
 * backend sees them, and listed names that could not have been stored are
 * passed over.  The scheme options given on the command line are read
 * through backend_opt_*.
 */
#include "backend/backend_internal.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/log.h"
#include "util/url.h"

extern char **environ;

bool
backend_name_ok(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t n = strlen(name);

	if (n == 0 || n > BACKEND_NAME_MAX || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return false;
	for (; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '/')
			return false;
	return true;
}

static int
bad_name(const char *name, struct dupc_err *err)
{
	char q[80];

	return err_class_set(err, ERR_PERMANENT, E_BACKEND_ERROR,
	    "refusing to store or fetch %s: a remote name must be 1 to %d bytes without '/' or control characters",
	    log_quote_path(name, q, sizeof(q)), BACKEND_NAME_MAX);
}

int
backend_open_raw(const char *s, const struct backend_options *opts,
    struct backend **bep, struct dupc_err *err)
{
	const struct backend_ops *ops;
	struct backend *be;
	struct url u;
	char red[512], list[256];
	int rc;

	if (url_parse(&u, s, err) < 0)
		return -1;
	ops = backend_lookup(u.scheme);
	if (ops == NULL) {
		rc = err_set(err, E_BAD_URL,
		    "unsupported backend scheme '%s' in '%s'; dupc supports %s",
		    u.scheme, url_redact(s, red, sizeof(red)),
		    backend_schemes_line(list, sizeof(list)));
		url_release(&u);
		return rc;
	}
	rc = ops->open(&be, &u, opts, err);
	url_release(&u);
	if (rc < 0)
		return -1;
	/* a wrapper sets the flags of what it wraps itself */
	be->flags |= ops->flags;
	*bep = be;
	return 0;
}

int
backend_open(const char *s, const struct backend_options *opts,
    struct backend **bep, struct dupc_err *err)
{
	struct backend *be;

	if (backend_open_raw(s, opts, &be, err) < 0)
		return -1;
	if (!(be->flags & BACKEND_CONCURRENT) && serial_wrap(be, &be, err) < 0)
		return -1;
	return retry_wrap(be, opts, bep, err);
}

void
backend_close(struct backend *be)
{
	if (be != NULL)
		be->ops->close(be);
}

struct list_filter {
	backend_list_fn *fn;
	void *arg;
	unsigned refused;
};

/* Pass each listed name on unless it could not have been stored. */
static int
list_filter(const char *name, uint64_t size, void *arg, struct dupc_err *err)
{
	struct list_filter *lf = arg;
	char q[80];

	if (!backend_name_ok(name)) {
		if (lf->refused++ == 0)
			log_warn(
			    "Warning: the target lists an object named %s, which dupc cannot use; it is passed over",
			    log_quote_path(name, q, sizeof(q)));
		return 0;
	}
	return lf->fn(name, size, lf->arg, err);
}

int
backend_list(struct backend *be, backend_list_fn *fn, void *arg,
    struct dupc_err *err)
{
	struct list_filter lf = { fn, arg, 0 };

	return be->ops->list(be, list_filter, &lf, err);
}

int
backend_put(struct backend *be, const char *name, struct source *src,
    uint64_t size, struct dupc_err *err)
{
	if (!backend_name_ok(name))
		return bad_name(name, err);
	return be->ops->put(be, name, src, size, err);
}

int
backend_get(struct backend *be, const char *name, int fd, struct dupc_err *err)
{
	if (!backend_name_ok(name))
		return bad_name(name, err);
	return be->ops->get(be, name, fd, err);
}

int
backend_open_read(struct backend *be, const char *name, int *fdp,
    struct dupc_err *err)
{
	if (!backend_name_ok(name))
		return bad_name(name, err);
	if (be->ops->open_read == NULL)
		return 1;
	return be->ops->open_read(be, name, fdp, err);
}

int
backend_remove(struct backend *be, const char *name, struct dupc_err *err)
{
	if (!backend_name_ok(name))
		return bad_name(name, err);
	return be->ops->remove(be, name, err);
}

int
backend_size(struct backend *be, const char *name, uint64_t *size,
    struct dupc_err *err)
{
	if (!backend_name_ok(name))
		return bad_name(name, err);
	if (be->ops->size == NULL)
		return err_set(err, E_BACKEND_ERROR,
		    "backend cannot report object sizes");
	return be->ops->size(be, name, size, err);
}

int
backend_sha256(struct backend *be, const char *name, char *hex,
    struct dupc_err *err)
{
	if (!backend_name_ok(name))
		return bad_name(name, err);
	if (be->ops->sha256 == NULL || !(be->flags & BACKEND_HASHES))
		return err_set(err, E_BACKEND_ERROR,
		    "backend cannot report object hashes");
	return be->ops->sha256(be, name, hex, err);
}

int
backend_put_new(struct backend *be, const char *name, struct source *src,
    uint64_t size, struct dupc_err *err)
{
	if (!backend_name_ok(name))
		return bad_name(name, err);
	if (be->ops->put_new == NULL || !(be->flags & BACKEND_PUT_NEW))
		return err_set(err, E_NOT_IMPLEMENTED,
		    "backend cannot create objects conditionally");
	return be->ops->put_new(be, name, src, size, err);
}

unsigned
backend_flags(const struct backend *be)
{
	return be->flags;
}

const char *
backend_opt_next(const struct backend_options *o, const char *name, size_t *pos)
{
	size_t i;

	if (o == NULL)
		return NULL;
	for (i = *pos; i < o->nopts; i++)
		if (strcmp(o->opts[i].name, name) == 0) {
			*pos = i + 1;
			return o->opts[i].value ? o->opts[i].value : "";
		}
	*pos = o->nopts;
	return NULL;
}

const char *
backend_opt_get(const struct backend_options *o, const char *name)
{
	const char *v, *last = NULL;
	size_t pos = 0;

	while ((v = backend_opt_next(o, name, &pos)) != NULL)
		last = v;
	return last;
}

bool
backend_opt_flag(const struct backend_options *o, const char *name)
{
	return backend_opt_get(o, name) != NULL;
}

const char *
backend_env(const struct backend_options *o, const char *name)
{
	size_t i;

	for (i = 0; o != NULL && i < o->nenv; i++)
		if (strcmp(o->env[i].name, name) == 0)
			return o->env[i].value;
	return getenv(name);
}

/* Is ${name} (${n} bytes) one of the backend's own entries? */
static bool
own_env(const struct backend_options *o, const char *name, size_t n)
{
	size_t i;

	for (i = 0; o != NULL && i < o->nenv; i++)
		if (strlen(o->env[i].name) == n &&
		    strncmp(o->env[i].name, name, n) == 0)
			return true;
	return false;
}

int
backend_env_list(const struct backend_options *o, const char *prefix,
    int (*fn)(void *, const char *, const char *), void *arg)
{
	size_t i, k = strlen(prefix);
	char name[256];
	int rc;

	for (i = 0; o != NULL && i < o->nenv; i++)
		if (strncmp(o->env[i].name, prefix, k) == 0 &&
		    (rc = fn(arg, o->env[i].name, o->env[i].value)) != 0)
			return rc;
	for (i = 0; environ[i] != NULL; i++) {
		const char *eq = strchr(environ[i], '=');
		size_t n = eq != NULL ? (size_t)(eq - environ[i]) : 0;

		if (eq == NULL || n >= sizeof(name) ||
		    strncmp(environ[i], prefix, k) != 0 ||
		    own_env(o, environ[i], n))
			continue;
		memcpy(name, environ[i], n);
		name[n] = '\0';
		if ((rc = fn(arg, name, eq + 1)) != 0)
			return rc;
	}
	return 0;
}

char *
backend_ask(const struct backend_options *o, const char *prompt)
{
	if (o == NULL || o->ask == NULL)
		return NULL;
	return o->ask(o->ask_arg, prompt);
}
