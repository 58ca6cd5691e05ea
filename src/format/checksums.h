#ifndef DUPC_FORMAT_CHECKSUMS_H
#define DUPC_FORMAT_CHECKSUMS_H

/*
 * The lines of the archive dir's record of stored files (CHECKSUMS_FILE):
 * for each file a backup stored on the target (and each volume `check`
 * found intact), its size and, where the backend reports content hashes,
 * its SHA-256, so `check` can tell a truncated or altered file without
 * downloading it.  One line a file, appended, the last line of a name
 * winning:
 *
 *   <size> <sha256 in lower-case hex, or "-"> <remote name>
 *
 * The file lives in a directory other programs write too, and a killed
 * run may leave half a line: a line that does not parse is passed over.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

#define CHECKSUMS_FILE ".dupc-checksums"
#define CHECKSUMS_LINE_MAX 400 /* longest valid line, newline included */

struct checksum_line {
	uint64_t size;
	char sha256[65];  /* "" when not known */
	const char *name; /* into the parsed text (not NUL-terminated) */
	size_t name_len;
};

/*
 * checksums_parse_line(line, n, out):
 * Parse one line of ${n} bytes (without its newline).  Returns 0, or -1
 * when it is not a valid line (a name of 1 to 255 bytes without '/' or
 * control bytes, a decimal size, 64 hex digits or "-").
 */
int checksums_parse_line(const char *, size_t, struct checksum_line *);

/*
 * checksums_format_line(out, name, size, sha256):
 * Append the line (newline included) for ${name}; ${sha256} NULL or ""
 * when unknown.  -1 when ${name} or ${sha256} could not be read back, or
 * ${out} is full.
 */
int checksums_format_line(struct buf *, const char *, uint64_t, const char *);

#endif
