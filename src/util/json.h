#ifndef DUPC_UTIL_JSON_H
#define DUPC_UTIL_JSON_H

/*
 * One JSON document written to a stream while it is built (the --json
 * reports: collection-status, list-current-files, diff, statistics).
 * Objects and arrays are opened and closed around their members, so a
 * listing of any length costs no memory; every string and number is
 * encoded by jansson.  The layout is indented, one member per line.
 *
 * Strings must be text: bytes that are not UTF-8 become U+FFFD.  Paths
 * may hold any bytes, so jout_path() writes the text form and, when the
 * path is not UTF-8, its exact bytes in hex under "<key>_hex".
 *
 * Misuse (a member without a key inside an object, closing what is not
 * open, nesting deeper than JSON_OUT_DEPTH) and write errors are
 * remembered and reported by jout_finish(); later calls do nothing.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct dupc_err;
struct json_out;

#define JSON_OUT_DEPTH 32

/*
 * jout_new(f, indent):
 * A writer into ${f} (borrowed), indenting each level by ${indent}
 * spaces.  NULL on ENOMEM.
 */
struct json_out *jout_new(FILE *, int);

/* jout_free(jo): release (NULL is fine); the stream is left open. */
void jout_free(struct json_out *);

/*
 * ${key} below is the member name inside an object, and must be NULL at
 * the top level and inside an array.
 */
void jout_object_begin(struct json_out *, const char *);
void jout_object_end(struct json_out *);
void jout_array_begin(struct json_out *, const char *);
void jout_array_end(struct json_out *);
void jout_string(struct json_out *, const char *, const char *);
void jout_path(struct json_out *, const char *, const char *);
void jout_int(struct json_out *, const char *, int64_t);
void jout_real(struct json_out *, const char *, double);
void jout_bool(struct json_out *, const char *, bool);
void jout_null(struct json_out *, const char *);

/*
 * jout_finish(jo, err):
 * End the document (every object and array must be closed) with a
 * newline and flush the stream.  0, or -1 with E_GENERIC naming the
 * first misuse or write error.
 */
int jout_finish(struct json_out *, struct dupc_err *);

/* json_utf8_valid(s, n): the ${n} bytes at ${s} are UTF-8 (no NUL). */
bool json_utf8_valid(const char *, size_t);

#endif
