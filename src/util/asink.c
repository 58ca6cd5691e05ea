/*
 * A sink served by a worker thread (see asink.h).
 */
#include "util/asink.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/stream.h"

#define SLOTS 8
#define SLOT_BYTES 65536u

struct asink {
	struct sink base;
	struct sink *inner;
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t work;  /* a block was queued, or stop */
	pthread_cond_t space; /* a block was written out */
	unsigned char *slot[SLOTS];
	size_t len[SLOTS];
	unsigned head, count; /* queue: slots head .. head+count-1 */
	bool stop;
	bool failed; /* the attached sink failed; err says why */
	struct dupc_err err;
};

static void *
worker(void *arg)
{
	struct asink *a = arg;

	pthread_mutex_lock(&a->mu);
	for (;;) {
		unsigned i;
		struct dupc_err e;
		struct sink *inner;
		bool skip;
		int rc;

		while (a->count == 0 && !a->stop)
			pthread_cond_wait(&a->work, &a->mu);
		if (a->count == 0)
			break;
		skip = a->failed;
		inner = a->inner;

		i = a->head;
		/* the slot stays queued, so the owner does not reuse it */
		pthread_mutex_unlock(&a->mu);
		err_clear(&e);
		rc = skip ? 0 : sink_write(inner, a->slot[i], a->len[i], &e);
		pthread_mutex_lock(&a->mu);
		if (rc < 0 && !a->failed) {
			a->failed = true;
			a->err = e;
		}
		a->head = (a->head + 1) % SLOTS;
		a->count--;
		pthread_cond_signal(&a->space);
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

static int
fail_from_worker(struct asink *a, struct dupc_err *err)
{
	if (err != NULL)
		*err = a->err;
	return -1;
}

static int
asink_write(struct sink *s, const void *p, size_t n, struct dupc_err *err)
{
	struct asink *a = (struct asink *)s;
	const unsigned char *c = p;

	while (n > 0) {
		size_t k = n > SLOT_BYTES ? SLOT_BYTES : n;
		unsigned i;

		pthread_mutex_lock(&a->mu);
		while (a->count == SLOTS && !a->failed)
			pthread_cond_wait(&a->space, &a->mu);
		if (a->failed) {
			pthread_mutex_unlock(&a->mu);
			return fail_from_worker(a, err);
		}
		i = (a->head + a->count) % SLOTS;
		pthread_mutex_unlock(&a->mu);
		/* a free slot is the owner's until it is queued */
		memcpy(a->slot[i], c, k);
		a->len[i] = k;
		pthread_mutex_lock(&a->mu);
		a->count++;
		pthread_cond_signal(&a->work);
		pthread_mutex_unlock(&a->mu);
		c += k;
		n -= k;
	}
	return 0;
}

void
asink_detach(struct asink *a)
{
	if (a == NULL)
		return;
	pthread_mutex_lock(&a->mu);
	while (a->count > 0)
		pthread_cond_wait(&a->space, &a->mu);
	a->inner = NULL;
	pthread_mutex_unlock(&a->mu);
}

static int
asink_finish(struct sink *s, struct dupc_err *err)
{
	struct asink *a = (struct asink *)s;
	struct sink *inner = a->inner;
	bool failed;

	asink_detach(a);
	pthread_mutex_lock(&a->mu);
	failed = a->failed;
	pthread_mutex_unlock(&a->mu);
	if (failed)
		return fail_from_worker(a, err);
	return sink_finish(inner, err);
}

static const struct sink_ops asink_ops = {
	.write = asink_write,
	.finish = asink_finish,
	.free = NULL,
};

struct sink *
asink_attach(struct asink *a, struct sink *inner)
{
	asink_detach(a);
	pthread_mutex_lock(&a->mu);
	a->inner = inner;
	a->failed = false;
	err_clear(&a->err);
	pthread_mutex_unlock(&a->mu);
	return &a->base;
}

/* Free everything but the thread (not running, or joined). */
static void
release(struct asink *a)
{
	int i;

	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->work);
	pthread_cond_destroy(&a->space);
	for (i = 0; i < SLOTS; i++)
		free(a->slot[i]);
	free(a);
}

struct asink *
asink_new(struct dupc_err *err)
{
	struct asink *a = calloc(1, sizeof(*a));
	int i;

	if (a == NULL)
		goto nomem;
	for (i = 0; i < SLOTS; i++) {
		a->slot[i] = malloc(SLOT_BYTES);
		if (a->slot[i] == NULL)
			goto nomem;
	}
	a->base.ops = &asink_ops;
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->work, NULL);
	pthread_cond_init(&a->space, NULL);
	if (pthread_create(&a->tid, NULL, worker, a) != 0) {
		release(a);
		err_set(err, E_GENERIC, "cannot start a worker thread");
		return NULL;
	}
	return a;
nomem:
	if (a != NULL)
		for (i = 0; i < SLOTS; i++)
			free(a->slot[i]);
	free(a);
	err_set(err, E_GENERIC, "out of memory");
	return NULL;
}

void
asink_free(struct asink *a)
{
	if (a == NULL)
		return;
	pthread_mutex_lock(&a->mu);
	a->stop = true;
	pthread_cond_signal(&a->work);
	pthread_mutex_unlock(&a->mu);
	pthread_join(a->tid, NULL);
	release(a);
}
