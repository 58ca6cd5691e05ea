#ifndef DUPC_FORMAT_LOCKREC_H
#define DUPC_FORMAT_LOCKREC_H

/*
 * The record in a target's lock object (dupc.lock): who holds the target,
 * since when, when it last said it was alive, and a token that tells the
 * holder's own record from another run's.  Plain text, one "key: value"
 * line each, so a user can read it with any tool:
 *
 *   dupc lock 1
 *   host: backup1.example.org
 *   user: root
 *   pid: 4242
 *   command: backup
 *   instance: 6a1f...-...-... pid:[4026531836]
 *   started: 20240101T020000Z
 *   refreshed: 20240101T021500Z
 *   interval: 60
 *   token: 3f0a...(32 hex digits)
 *
 * "instance" tells which running system the pid belongs to (the kernel's
 * boot id and the pid namespace, or "-" when unknown), so a run on the
 * same one can tell that the holder's process is gone.
 * The record comes from the target, written by any run of any version,
 * so parsing is strict and bounded: unknown keys are passed over (a later
 * version may add some), known keys must appear once with a valid value.
 */

#include <stddef.h>
#include <stdint.h>

struct buf;
struct dupc_err;

#define LOCKREC_MAX 4096 /* bytes of a record read at most */
#define LOCKREC_TOKEN_LEN 32
#define LOCKREC_TEXT_MAX 256 /* longest host, user or command, plus NUL */

struct lockrec {
	char host[LOCKREC_TEXT_MAX];
	char user[LOCKREC_TEXT_MAX];
	char command[LOCKREC_TEXT_MAX];
	char instance[LOCKREC_TEXT_MAX]; /* "-": unknown */
	uint64_t pid;
	int64_t started;   /* seconds since the epoch */
	int64_t refreshed; /* likewise */
	unsigned interval; /* seconds between refreshes */
	char token[LOCKREC_TOKEN_LEN + 1];
};

/*
 * lockrec_format(r, out):
 * Append the record's text to ${out}.  Bytes of host, user and command
 * that could break a line (control bytes) are written as '?'.  Returns 0,
 * or -1 when ${out} is full.
 */
int lockrec_format(const struct lockrec *, struct buf *);

/*
 * lockrec_parse(r, text, len, err):
 * Parse ${len} bytes of a lock object into ${r}.  E_BACKEND_ERROR naming
 * the line at fault when the text is not a lock record of version 1,
 * longer than LOCKREC_MAX, or lacks or repeats a key.
 */
int lockrec_parse(struct lockrec *, const char *, size_t, struct dupc_err *);

/*
 * lockrec_holder(r, out, size):
 * "user@host (pid N, backup, started <time>)" for messages, with times
 * in the local asctime form.  Returns ${out}.
 */
char *lockrec_holder(const struct lockrec *, char *, size_t);

#endif
