#ifndef DUPC_BACKEND_FTP_FTP_INTERNAL_H
#define DUPC_BACKEND_FTP_FTP_INTERNAL_H

/*
 * Shared between the files of the ftp:// backend: the reader of LIST
 * answers (ftp_list.c).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dupc_err;

#define FTP_LINE_MAX 8192 /* longest LIST line kept */

/* What one LIST line says. */
enum ftp_kind {
	FTP_SKIP,  /* not an entry ("total 12", a blank line) */
	FTP_FILE,  /* a regular file: ${name} and ${size} are set */
	FTP_OTHER, /* a folder, a link, a device: passed over */
};

/*
 * ftp_list_line(line, len, name, size):
 * Read one line of a LIST answer (without its line end) in the Unix
 * form ("-rw-r--r-- 1 owner group SIZE Mon DD HH:MM NAME") or the DOS
 * form of IIS ("MM-DD-YY HH:MMPM SIZE NAME", "<DIR>" for folders).
 * For FTP_FILE, *${name} points into ${line} (NUL-terminated there: the
 * line is changed, and must have room for a NUL after its ${len} bytes)
 * and *${size} is set.  -1 for a line that is neither
 * form, a size that is not a number, an empty name, a NUL byte.
 */
int ftp_list_line(char *, size_t, const char **, uint64_t *, enum ftp_kind *);

/* Called once per regular file listed; non-zero stops with ${err} set. */
typedef int ftp_file_fn(const char *, uint64_t, void *, struct dupc_err *);

struct ftp_list;

/*
 * ftp_list_new(fn, arg):
 * A reader of one LIST answer fed in pieces of any size: complete lines
 * are read as they arrive (ftp_list_line) and each regular file goes to
 * ${fn}, so memory stays within FTP_LINE_MAX whatever the listing's
 * length.  NULL when out of memory.
 */
struct ftp_list *ftp_list_new(ftp_file_fn *, void *);

/*
 * ftp_list_feed(l, data, n, err):
 * -1 (permanent, E_BACKEND_ERROR) on a line longer than FTP_LINE_MAX or
 * one ftp_list_line refuses, or with ${fn}'s error.
 */
int ftp_list_feed(struct ftp_list *, const char *, size_t, struct dupc_err *);

/* ftp_list_finish(l, err): the last line, when it has no line end. */
int ftp_list_finish(struct ftp_list *, struct dupc_err *);

/* ftp_list_free(l): NULL is fine. */
void ftp_list_free(struct ftp_list *);

#endif
