#ifndef DUPC_UTIL_SECRET_H
#define DUPC_UTIL_SECRET_H

/*
 * Secrets (passphrases, FTP_PASSWORD, session tokens) live in buffers that
 * are wiped before they are freed.
 */

#include <stddef.h>

/* secret_wipe(p, n): overwrite ${n} bytes in a way the compiler keeps. */
void secret_wipe(void *, size_t);

/* secret_free(s): wipe a NUL-terminated secret and free it; NULL is fine. */
void secret_free(char *);

/*
 * secret_dup(s): a copy in pages of its own, locked in memory (best effort)
 * and kept out of core dumps; the caller releases it with secret_free.
 */
char *secret_dup(const char *);

#endif
