#ifndef DUPC_UTIL_BUF_H
#define DUPC_UTIL_BUF_H

/*
 * A growable byte buffer with a hard maximum, after curl's dynbuf.
 *
 * Invariants: data is NULL or points to cap bytes with len < cap and
 * data[len] == '\0' (so text can be used as a C string); len never exceeds
 * max; an append that would pass max fails and leaves the buffer unchanged.
 */

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
};

/* buf_init(b, max): empty buffer that may hold up to ${max} bytes. */
void buf_init(struct buf *, size_t);

/* buf_release(b): free the storage; ${b} is empty and reusable after. */
void buf_release(struct buf *);

/* buf_reset(b): make it empty, keeping the storage. */
void buf_reset(struct buf *);

/* buf_add(b, p, n): append ${n} bytes; -1 (errno ENOMEM/E2BIG) on failure. */
int buf_add(struct buf *, const void *, size_t);

/* buf_addstr(b, s): append a C string. */
int buf_addstr(struct buf *, const char *);

/* buf_addch(b, c): append one byte. */
int buf_addch(struct buf *, int);

/* buf_addf(b, fmt, ...): append formatted text. */
int buf_addf(struct buf *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* buf_str(b): the contents as a C string ("" when empty); borrowed. */
const char *buf_str(const struct buf *);

/*
 * buf_detach(b): hand the storage to the caller (who frees it) and leave
 * ${b} empty.  Never returns NULL (an empty buffer gives a fresh "").
 */
char *buf_detach(struct buf *);

/* buf_truncate(b, len): shorten to ${len} bytes (no-op if longer). */
void buf_truncate(struct buf *, size_t);

#endif
