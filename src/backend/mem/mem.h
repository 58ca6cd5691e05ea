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

/* mem_backend_reset(): drop every store. */
void mem_backend_reset(void);

#endif
