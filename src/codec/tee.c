/*
 * Counting and hashing tee.
 */
#include "codec/tee.h"

#include <stdlib.h>

#include "util/err.h"
#include "util/stream.h"

struct tee_sink {
	struct sink base;
	struct sink *next;
	struct digest *d;
	uint64_t bytes;
};

static int
tee_write(struct sink *s, const void *p, size_t n, struct dupc_err *err)
{
	struct tee_sink *t = (struct tee_sink *)s;

	digest_update(t->d, p, n);
	t->bytes += n;
	return sink_write(t->next, p, n, err);
}

static int
tee_finish(struct sink *s, struct dupc_err *err)
{
	return sink_finish(((struct tee_sink *)s)->next, err);
}

static void
tee_free(struct sink *s)
{
	struct tee_sink *t = (struct tee_sink *)s;

	digest_free(t->d);
	free(t);
}

static const struct sink_ops tee_ops = {
	.write = tee_write,
	.finish = tee_finish,
	.free = tee_free,
};

struct sink *
tee_sink_new(struct sink *next, enum digest_kind kind, struct dupc_err *err)
{
	struct tee_sink *t = calloc(1, sizeof(*t));

	if (t == NULL || (t->d = digest_new(kind)) == NULL) {
		free(t);
		err_set(err, E_GENERIC, "out of memory");
		return NULL;
	}
	t->base.ops = &tee_ops;
	t->next = next;
	return &t->base;
}

uint64_t
tee_bytes(const struct sink *s)
{
	return ((const struct tee_sink *)s)->bytes;
}

void
tee_hex(struct sink *s, char *hex)
{
	digest_final_hex(((struct tee_sink *)s)->d, hex);
}
