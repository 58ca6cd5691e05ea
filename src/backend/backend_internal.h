#ifndef DUPC_BACKEND_BACKEND_INTERNAL_H
#define DUPC_BACKEND_BACKEND_INTERNAL_H

/* Shared between the backend implementations in this folder only. */

#include "backend/backend.h"

extern const struct backend_ops file_backend_ops;
extern const struct backend_ops mem_backend_ops;
extern const struct backend_ops mf_backend_ops;

/*
 * retry_wrap(inner, opts, bep, err):
 * Wrap ${inner} (ownership taken) in the retry layer.
 */
int retry_wrap(struct backend *, const struct backend_options *,
    struct backend **, struct dupc_err *);

#endif
