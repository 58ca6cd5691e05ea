#ifndef DUPC_BACKEND_BACKEND_INTERNAL_H
#define DUPC_BACKEND_BACKEND_INTERNAL_H

/* Shared between the backend implementations under src/backend/ only. */

#include "backend/backend.h"

/* The longest object name any backend is asked to store. */
#define BACKEND_NAME_MAX 255

/*
 * retry_wrap(inner, opts, bep, err):
 * Wrap ${inner} (ownership taken, also on failure) in the retry layer.
 */
int retry_wrap(struct backend *, const struct backend_options *,
    struct backend **, struct dupc_err *);

/*
 * serial_wrap(inner, bep, err):
 * Wrap ${inner} (ownership taken, also on failure) in a lock, so its calls
 * run one at a time whatever thread makes them.
 */
int serial_wrap(struct backend *, struct backend **, struct dupc_err *);

#endif
