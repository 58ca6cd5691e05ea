#ifndef DUPC_BACKEND_MEM_MEM_H
#define DUPC_BACKEND_MEM_MEM_H

/*
 * The mem:// backend keeps objects in process memory, for engine and retry
 * tests.  mem://NAME opens store NAME (shared by every open in the
 * process).  Faults can be scheduled to exercise the retry layer.
 */

#include <stdint.h>

#include "util/err.h"

/*
 * mem_backend_fail(store, op, count, cls):
 * Make the next ${count} calls of ${op} ("list", "put", "get", "remove",
 * "size" or "*") on ${store} fail with class ${cls}.
 */
void mem_backend_fail(const char *, const char *, unsigned, enum err_class);

/* mem_backend_calls(store, op): how many calls ${op} has seen. */
unsigned mem_backend_calls(const char *, const char *);

/* mem_backend_truncate_puts(store, n): store only the first ${n} bytes
 * of the next put (simulates a remote that loses data). */
void mem_backend_truncate_next_put(const char *, uint64_t);

/* How a store answers put_new (for the tests of what falls back). */
enum mem_put_new {
	MEM_PUT_NEW,             /* atomic, flagged BACKEND_PUT_NEW */
	MEM_PUT_NEW_ABSENT,      /* not flagged: callers cannot use it */
	MEM_PUT_NEW_UNSUPPORTED, /* flagged, but fails E_NOT_IMPLEMENTED,
				  * as a server without the condition */
};

/* mem_backend_put_new(store, mode): from the next open of ${store}. */
void mem_backend_put_new(const char *, enum mem_put_new);

/* mem_backend_reset(): drop every store. */
void mem_backend_reset(void);

#endif
