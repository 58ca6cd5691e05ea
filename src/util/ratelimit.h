#ifndef DUPC_UTIL_RATELIMIT_H
#define DUPC_UTIL_RATELIMIT_H

/*
 * A token bucket shared by every transfer in one direction
 * (--limit-upload, --limit-download), after restic's limiter: each
 * transfer path takes tokens for the bytes it moves over the network and
 * sleeps when the bucket is in debt, so all transfers together stay under
 * the rate whatever their number.  Thread-safe; the sleep wakes early on
 * SIGINT/SIGTERM.
 */

#include <stddef.h>
#include <stdint.h>

struct ratelimit;
struct source;

/*
 * ratelimit_new(rate):
 * A bucket of ${rate} bytes per second (at least 1), holding at most an
 * eighth of a second's worth (but 16 KiB at least), so a transfer never
 * runs ahead by more than that.  NULL on ENOMEM.
 */
struct ratelimit *ratelimit_new(uint64_t);

/* ratelimit_free(rl): NULL is fine. */
void ratelimit_free(struct ratelimit *);

/*
 * ratelimit_take(rl, n):
 * Account ${n} bytes moved, sleeping as long as the rate asks.  A NULL
 * ${rl} does nothing.  Returns early (without error) when interrupted.
 */
void ratelimit_take(struct ratelimit *, size_t);

/* ratelimit_total(rl): the bytes taken so far (0 for NULL). */
uint64_t ratelimit_total(struct ratelimit *);

/* ratelimit_rate(rl): the rate in bytes per second (0 for NULL). */
uint64_t ratelimit_rate(const struct ratelimit *);

/*
 * ratelimit_source_new(rl, inner):
 * A source reading ${inner} (borrowed) that takes tokens of ${rl}
 * (borrowed) for every byte read; it rewinds when ${inner} does.  For a
 * transfer that reads its source once, as it sends it.  NULL on ENOMEM.
 */
struct source *ratelimit_source_new(struct ratelimit *, struct source *);

#endif
