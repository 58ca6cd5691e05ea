/*
 * In-memory backend for tests.  Not thread-safe, not bounded: it holds
 * whole objects by design and is never reachable from a user's URL in a
 * way that matters (mem:// stores vanish with the process).
 */
#define _DEFAULT_SOURCE
#include "backend/mem/mem.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend_internal.h"
#include "util/ratelimit.h"
#include "util/stream.h"
#include "util/url.h"

extern const struct backend_ops mem_backend_ops;

struct mem_object {
	char *name;
	char *data;
	size_t len;
	struct mem_object *next;
};

struct mem_store {
	char *name;
	struct mem_object *objects;
	char fail_op[16];
	unsigned fail_count;
	enum err_class fail_cls;
	unsigned calls[5];
	uint64_t truncate_next;
	int truncate_armed;
	enum mem_put_new put_new;
	struct mem_store *next;
};

static struct mem_store *stores;

static const char *const op_names[] = { "list", "put", "get", "remove",
	"size" };

static struct mem_store *
store_get(const char *name, int create)
{
	struct mem_store *s;

	for (s = stores; s != NULL; s = s->next)
		if (strcmp(s->name, name) == 0)
			return s;
	if (!create)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->name = strdup(name);
	s->next = stores;
	stores = s;
	return s;
}

void
mem_backend_fail(const char *store, const char *op, unsigned count,
    enum err_class cls)
{
	struct mem_store *s = store_get(store, 1);

	if (s == NULL)
		return;
	strncpy(s->fail_op, op, sizeof(s->fail_op) - 1);
	s->fail_count = count;
	s->fail_cls = cls;
}

unsigned
mem_backend_calls(const char *store, const char *op)
{
	struct mem_store *s = store_get(store, 0);
	size_t i;

	for (i = 0; s != NULL && i < 5; i++)
		if (strcmp(op_names[i], op) == 0)
			return s->calls[i];
	return 0;
}

void
mem_backend_truncate_next_put(const char *store, uint64_t n)
{
	struct mem_store *s = store_get(store, 1);

	if (s != NULL) {
		s->truncate_next = n;
		s->truncate_armed = 1;
	}
}

void
mem_backend_put_new(const char *store, enum mem_put_new mode)
{
	struct mem_store *s = store_get(store, 1);

	if (s != NULL)
		s->put_new = mode;
}

void
mem_backend_reset(void)
{
	while (stores != NULL) {
		struct mem_store *s = stores;

		stores = s->next;
		while (s->objects != NULL) {
			struct mem_object *o = s->objects;

			s->objects = o->next;
			free(o->name);
			free(o->data);
			free(o);
		}
		free(s->name);
		free(s);
	}
}

struct mem_backend {
	struct backend base;
	char *store;
	struct ratelimit *up, *down; /* borrowed from the options */
};

/* Count the call and apply a scheduled fault. */
static int
enter(struct backend *be, int op, struct mem_store **sp, struct dupc_err *err)
{
	struct mem_backend *mb = (struct mem_backend *)be;
	struct mem_store *s = store_get(mb->store, 1);

	if (s == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	s->calls[op]++;
	if (s->fail_count > 0 && (strcmp(s->fail_op, "*") == 0 ||
				     strcmp(s->fail_op, op_names[op]) == 0)) {
		s->fail_count--;
		return err_class_set(err, s->fail_cls, E_BACKEND_ERROR,
		    "injected %s failure", op_names[op]);
	}
	*sp = s;
	return 0;
}

static struct mem_object **
find(struct mem_store *s, const char *name)
{
	struct mem_object **op;

	for (op = &s->objects; *op != NULL; op = &(*op)->next)
		if (strcmp((*op)->name, name) == 0)
			return op;
	return NULL;
}

static int
mem_open(struct backend **bep, const struct url *u,
    const struct backend_options *opts, struct dupc_err *err)
{
	struct mem_backend *mb = calloc(1, sizeof(*mb));

	if (mb == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	mb->base.ops = &mem_backend_ops;
	if (opts != NULL) {
		mb->up = opts->limit_up;
		mb->down = opts->limit_down;
	}
	mb->store = malloc(strlen(u->host) + strlen(u->path) + 2);
	if (mb->store == NULL) {
		free(mb);
		return err_set(err, E_GENERIC, "out of memory");
	}
	strncpy(mb->store, u->host, strlen(u->host) + 1);
	if (*u->path) {
		size_t n = strlen(mb->store);

		mb->store[n] = '/';
		memcpy(mb->store + n + 1, u->path, strlen(u->path) + 1);
	}
	{
		struct mem_store *s = store_get(mb->store, 0);

		if (s == NULL || s->put_new != MEM_PUT_NEW_ABSENT)
			mb->base.flags |= BACKEND_PUT_NEW;
	}
	*bep = &mb->base;
	return 0;
}

static int
mem_list(struct backend *be, backend_list_fn *fn, void *arg,
    struct dupc_err *err)
{
	struct mem_store *s;
	struct mem_object *o;

	if (enter(be, 0, &s, err) < 0)
		return -1;
	for (o = s->objects; o != NULL; o = o->next)
		if (fn(o->name, o->len, arg, err) != 0)
			return -1;
	return 0;
}

/* Read the whole of ${src} into a malloc'd block. */
static int
slurp(struct source *src, char **datap, size_t *lenp, struct dupc_err *err)
{
	char *data = NULL;
	size_t len = 0, cap = 0;

	for (;;) {
		size_t got;

		if (cap - len < 65536) {
			char *p = realloc(data, cap * 2 + 65536);

			if (p == NULL) {
				free(data);
				return err_set(err, E_GENERIC, "out of memory");
			}
			data = p;
			cap = cap * 2 + 65536;
		}
		if (source_read(src, data + len, cap - len, &got, err) < 0) {
			free(data);
			return -1;
		}
		if (got == 0)
			break;
		len += got;
	}
	*datap = data;
	*lenp = len;
	return 0;
}

/* Store ${src} as ${name}; with ${excl}, 1 when the name exists. */
static int
store(struct backend *be, const char *name, struct source *src, bool excl,
    struct dupc_err *err)
{
	struct mem_store *s;
	struct mem_object **op, *o;
	char *data = NULL;
	size_t len = 0;

	if (enter(be, 1, &s, err) < 0)
		return -1;
	op = find(s, name);
	if (excl && op != NULL)
		return 1;
	if (slurp(src, &data, &len, err) < 0)
		return -1;
	ratelimit_take(((struct mem_backend *)be)->up, len);
	if (s->truncate_armed) {
		s->truncate_armed = 0;
		if (s->truncate_next < len)
			len = (size_t)s->truncate_next;
	}
	if (op != NULL) {
		o = *op;
		free(o->data);
	} else {
		o = calloc(1, sizeof(*o));
		if (o == NULL || (o->name = strdup(name)) == NULL) {
			free(o);
			free(data);
			return err_set(err, E_GENERIC, "out of memory");
		}
		o->next = s->objects;
		s->objects = o;
	}
	o->data = data;
	o->len = len;
	return 0;
}

static int
mem_put(struct backend *be, const char *name, struct source *src, uint64_t size,
    struct dupc_err *err)
{
	(void)size;
	return store(be, name, src, false, err);
}

static int
mem_put_new(struct backend *be, const char *name, struct source *src,
    uint64_t size, struct dupc_err *err)
{
	struct mem_store *s = store_get(((struct mem_backend *)be)->store, 0);

	(void)size;
	if (s != NULL && s->put_new == MEM_PUT_NEW_UNSUPPORTED)
		return err_set(err, E_NOT_IMPLEMENTED,
		    "the store cannot create conditionally");
	return store(be, name, src, true, err);
}

static int
mem_get(struct backend *be, const char *name, int fd, struct dupc_err *err)
{
	struct mem_store *s;
	struct mem_object **op;

	if (enter(be, 2, &s, err) < 0)
		return -1;
	op = find(s, name);
	if (op == NULL)
		return err_class_set(err, ERR_NOT_FOUND, E_BACKEND_NOT_FOUND,
		    "%s not found", name);
	if (lseek(fd, 0, SEEK_SET) < 0 || ftruncate(fd, 0) < 0 ||
	    write_full(fd, (*op)->data, (*op)->len) < 0)
		return err_errno(err, E_GENERIC, "writing download file");
	ratelimit_take(((struct mem_backend *)be)->down, (*op)->len);
	return 0;
}

static int
mem_remove(struct backend *be, const char *name, struct dupc_err *err)
{
	struct mem_store *s;
	struct mem_object **op, *o;

	if (enter(be, 3, &s, err) < 0)
		return -1;
	op = find(s, name);
	if (op == NULL)
		return err_class_set(err, ERR_NOT_FOUND, E_BACKEND_NOT_FOUND,
		    "%s not found", name);
	o = *op;
	*op = o->next;
	free(o->name);
	free(o->data);
	free(o);
	return 0;
}

static int
mem_size(struct backend *be, const char *name, uint64_t *size,
    struct dupc_err *err)
{
	struct mem_store *s;
	struct mem_object **op;

	if (enter(be, 4, &s, err) < 0)
		return -1;
	op = find(s, name);
	if (op == NULL)
		return err_class_set(err, ERR_NOT_FOUND, E_BACKEND_NOT_FOUND,
		    "%s not found", name);
	*size = (*op)->len;
	return 0;
}

static void
mem_close(struct backend *be)
{
	struct mem_backend *mb = (struct mem_backend *)be;

	free(mb->store);
	free(mb);
}

static const char *const mem_schemes[] = { "mem", NULL };

/* No example: a test scheme, left out of help and listings. */
const struct backend_ops mem_backend_ops = {
	.schemes = mem_schemes,
	.flags = BACKEND_ATOMIC_PUT, /* BACKEND_PUT_NEW: see mem_open */
	.open = mem_open,
	.list = mem_list,
	.put = mem_put,
	.get = mem_get,
	.remove = mem_remove,
	.size = mem_size,
	.sha256 = NULL,
	.put_new = mem_put_new,
	.close = mem_close,
};
