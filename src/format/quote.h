#ifndef DUPC_FORMAT_QUOTE_H
#define DUPC_FORMAT_QUOTE_H

/*
 * Manifest quoting (duplicity/manifest.py Quote/Unquote): a string holding
 * whitespace, a backslash or a quote is written in double quotes with
 * those bytes as \xHH; every other byte, UTF-8 or not, is written raw.
 */

#include <stddef.h>

struct buf;

/* quote_append(out, s): append Quote(s) to ${out}; 0 or -1 (full). */
int quote_append(struct buf *, const char *);

/*
 * unquote(s, n, out):
 * Decode ${n} bytes of a possibly quoted token into ${out} (replacing its
 * contents).  Returns -1 for a malformed token (bad escape, unterminated
 * quote, an escaped NUL or '/'-free check is left to callers).
 */
int unquote(const char *, size_t, struct buf *);

#endif
