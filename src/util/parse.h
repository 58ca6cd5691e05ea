#ifndef DUPC_UTIL_PARSE_H
#define DUPC_UTIL_PARSE_H

/*
 * Strict number parsing: decimal digits only, no sign, no spaces, no junk,
 * no empty string, no overflow.  Everything numeric that comes from a file,
 * the network or the user goes through here.
 */

#include <stddef.h>
#include <stdint.h>

/* parse_u64(s, out): 0 and *out on success, -1 otherwise. */
int parse_u64(const char *, uint64_t *);

/* parse_u64_n(s, n, out): the same over ${n} bytes (no NUL needed). */
int parse_u64_n(const char *, size_t, uint64_t *);

/* parse_i64(s, out): like parse_u64 but an optional leading '-'. */
int parse_i64(const char *, int64_t *);

/* parse_hex_digit(c): the value of hex digit ${c} (either case), or -1. */
int parse_hex_digit(int);

/* parse_int_range(s, lo, hi, out): decimal int within [lo, hi]. */
int parse_int_range(const char *, long, long, long *);

/* add_u64(a, b, out) / mul_u64(a, b, out): -1 on overflow. */
static inline int
add_u64(uint64_t a, uint64_t b, uint64_t *out)
{
	return __builtin_add_overflow(a, b, out) ? -1 : 0;
}

static inline int
mul_u64(uint64_t a, uint64_t b, uint64_t *out)
{
	return __builtin_mul_overflow(a, b, out) ? -1 : 0;
}

#endif
