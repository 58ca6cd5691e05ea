/*
 * The transfer rate limiter.  A bucket fills at ${rate} bytes a second up
 * to its capacity; a transfer takes what it moved and, when that leaves
 * the bucket in debt, sleeps until the debt is paid.  Debt rather than a
 * wait for tokens keeps one call per block, whatever the block size, and
 * is fair between threads: each pays for its own bytes in turn.
 */
#define _DEFAULT_SOURCE
#include "util/ratelimit.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "util/interrupt.h"
#include "util/stream.h"

struct ratelimit {
	pthread_mutex_t mu;
	double rate;   /* bytes per second */
	double cap;    /* most tokens the bucket holds */
	double tokens; /* may be negative: debt */
	double last;   /* monotonic seconds of the last fill */
	uint64_t total;
};

static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct ratelimit *
ratelimit_new(uint64_t rate)
{
	struct ratelimit *rl = calloc(1, sizeof(*rl));

	if (rl == NULL)
		return NULL;
	if (pthread_mutex_init(&rl->mu, NULL) != 0) {
		free(rl);
		return NULL;
	}
	rl->rate = rate > 0 ? (double)rate : 1.0;
	rl->cap = rl->rate / 8 > 16384 ? rl->rate / 8 : 16384;
	rl->tokens = rl->cap;
	rl->last = now_mono();
	return rl;
}

void
ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	pthread_mutex_destroy(&rl->mu);
	free(rl);
}

void
ratelimit_take(struct ratelimit *rl, size_t n)
{
	double t, wait;

	if (rl == NULL || n == 0)
		return;
	pthread_mutex_lock(&rl->mu);
	t = now_mono();
	rl->tokens += (t - rl->last) * rl->rate;
	if (rl->tokens > rl->cap)
		rl->tokens = rl->cap;
	rl->last = t;
	rl->tokens -= (double)n;
	rl->total += n;
	wait = rl->tokens < 0 ? -rl->tokens / rl->rate : 0;
	pthread_mutex_unlock(&rl->mu);
	if (wait > 0)
		interrupt_sleep(wait);
}

uint64_t
ratelimit_total(struct ratelimit *rl)
{
	uint64_t n;

	if (rl == NULL)
		return 0;
	pthread_mutex_lock(&rl->mu);
	n = rl->total;
	pthread_mutex_unlock(&rl->mu);
	return n;
}

uint64_t
ratelimit_rate(const struct ratelimit *rl)
{
	return rl != NULL ? (uint64_t)rl->rate : 0;
}

struct rl_source {
	struct source base;
	struct source *inner;
	struct ratelimit *rl;
};

static int
rl_source_read(struct source *s, void *p, size_t cap, size_t *got,
    struct dupc_err *err)
{
	struct rl_source *r = (struct rl_source *)s;

	if (source_read(r->inner, p, cap, got, err) < 0)
		return -1;
	ratelimit_take(r->rl, *got);
	return 0;
}

static int
rl_source_rewind(struct source *s, struct dupc_err *err)
{
	return source_rewind(((struct rl_source *)s)->inner, err);
}

static void
rl_source_free(struct source *s)
{
	free(s);
}

static const struct source_ops rl_source_ops = {
	.read = rl_source_read,
	.rewind = rl_source_rewind,
	.free = rl_source_free,
};

struct source *
ratelimit_source_new(struct ratelimit *rl, struct source *inner)
{
	struct rl_source *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->base.ops = &rl_source_ops;
	r->inner = inner;
	r->rl = rl;
	return &r->base;
}
