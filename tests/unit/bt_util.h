#ifndef DUPC_TESTS_UNIT_BT_UTIL_H
#define DUPC_TESTS_UNIT_BT_UTIL_H

/*
 * Helpers for backend tests (cmocka): deterministic data, puts and gets
 * that fail the test with the backend's message, and sorted listings.
 */

#include <stddef.h>
#include <stdint.h>

struct backend;

/* bt_fill(p, n, seed): ${n} pseudo-random bytes from ${seed}. */
void bt_fill(char *, size_t, unsigned);

/* bt_put(be, name, p, n): put ${n} bytes or fail the test. */
void bt_put(struct backend *, const char *, const char *, size_t);

/* bt_put_file(be, name, n, seed): put ${n} bytes of bt_fill(seed)
 * streamed from a temporary file (bounded memory). */
void bt_put_file(struct backend *, const char *, uint64_t, unsigned);

/* bt_expect(be, name, p, n): get must give exactly these bytes. */
void bt_expect(struct backend *, const char *, const char *, size_t);

/* bt_expect_file(be, name, n, seed): get must give bt_fill(seed). */
void bt_expect_file(struct backend *, const char *, uint64_t, unsigned);

/*
 * bt_list(be, out, n): the listing as "name:size;" items sorted by name
 * into ${out}; returns the count, or fails the test.  Names reported twice
 * fail the test.
 */
unsigned bt_list(struct backend *, char *, size_t);

#endif
