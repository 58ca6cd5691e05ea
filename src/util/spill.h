#ifndef DUPC_UTIL_SPILL_H
#define DUPC_UTIL_SPILL_H

/*
 * A byte collector that stays in memory while small and moves to a private
 * temporary file past a threshold.  Used where a length must be known
 * before the bytes can be written (a signature's tar header) without
 * letting one huge file's signature take unbounded memory.
 */

#include <stddef.h>
#include <stdint.h>

#include "util/stream.h"

struct dupc_err;

struct spill {
	struct sink base; /* write bytes into it as a sink */
	unsigned char *mem;
	size_t len, cap, threshold;
	int fd; /* -1 while in memory */
	uint64_t total;
};

/* spill_init(s, threshold): empty collector (no allocation). */
void spill_init(struct spill *, size_t);

/* spill_release(s): free memory and close the file. */
void spill_release(struct spill *);

/* spill_reset(s): empty it, keeping it usable. */
void spill_reset(struct spill *);

/* spill_size(s): bytes collected. */
static inline uint64_t
spill_size(const struct spill *s)
{
	return s->total;
}

/* spill_copy_to(s, out, err): write everything collected to ${out}. */
int spill_copy_to(struct spill *, struct sink *, struct dupc_err *);

#endif
