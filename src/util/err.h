#ifndef DUPC_UTIL_ERR_H
#define DUPC_UTIL_ERR_H

/*
 * Error details carried up from where a failure is detected to the one place
 * (cli/) that prints it.  A function that fails fills a caller-supplied
 * struct dupc_err and returns -1 (or NULL); callers on the way up may add
 * context with err_prefix().  The code is duplicity's ErrorCode, which
 * becomes the exit status and the --log-fd code.
 */

#include <stdarg.h>
#include <stdbool.h>

/* duplicity's error codes (duplicity/log.py ErrorCode). */
enum dupc_code {
	E_GENERIC = 1,
	E_COMMAND_LINE = 2,
	E_HOSTNAME_MISMATCH = 3,
	E_NO_MANIFESTS = 4,
	E_MISMATCHED_MANIFESTS = 5,
	E_UNREADABLE_MANIFESTS = 6,
	E_CANT_OPEN_FILELIST = 7,
	E_BAD_URL = 8,
	E_BAD_ARCHIVE_DIR = 9,
	E_BAD_SIGN_KEY = 10,
	E_RESTORE_DIR_EXISTS = 11,
	E_VERIFY_DIR_DOESNT_EXIST = 12,
	E_BACKUP_DIR_DOESNT_EXIST = 13,
	E_FILE_PREFIX = 14,
	E_GLOBBING = 15,
	E_REDUNDANT_INCLUSION = 16,
	E_INC_WITHOUT_SIGS = 17,
	E_RESTORE_DIR_NOT_FOUND = 19,
	E_NO_RESTORE_FILES = 20,
	E_MISMATCHED_HASH = 21,
	E_UNSIGNED_VOLUME = 22,
	E_USER_ERROR = 23,
	E_EXCEPTION = 30,
	E_GPG_FAILED = 31,
	E_NOT_IMPLEMENTED = 33,
	E_NOT_ENOUGH_FREESPACE = 35,
	E_CONNECTION_FAILED = 38,
	E_SOURCE_DIR_MISMATCH = 42,
	E_VOLUME_WRONG_SIZE = 44,
	E_ENCRYPTION_MISMATCH = 45,
	E_BAD_REQUEST = 48,
	E_S3_KMS_NO_ID = 49,
	E_BACKEND_ERROR = 50,
	E_BACKEND_PERMISSION_DENIED = 51,
	E_BACKEND_NOT_FOUND = 52,
	E_BACKEND_NO_SPACE = 53,
	E_BACKEND_COMMAND_ERROR = 54,
	E_BACKEND_CODE_ERROR = 55,
	/* duplicity 3.x file selection (--filter-*, --files-from) */
	E_REDUNDANT_FILTER = 70,
	E_TRAILING_FILTER = 71,
	E_ABSOLUTE_FILES_FROM = 72,
	E_EMPTY_FILES_FROM = 73,
};

/* How a backend failure should be treated by the retry wrapper. */
enum err_class {
	ERR_PERMANENT = 0, /* retrying will not help */
	ERR_TRANSIENT,     /* a later attempt may succeed */
	ERR_NOT_FOUND,     /* the object does not exist */
};

#define ERR_MSG_MAX 1024
#define ERR_EXTRA_MAX 512

/*
 * Invariant: msg and extra are always NUL-terminated; code is 0 exactly
 * when no error has been recorded.  extra is what duplicity puts after
 * the code of an ERROR record in the machine log ("put 'name'" for a
 * backend operation); it is cleared whenever a new error is set.
 */
struct dupc_err {
	int code;
	int errnum;
	enum err_class cls;
	char msg[ERR_MSG_MAX];
	char extra[ERR_EXTRA_MAX];
};

/* err_clear(err): forget any recorded error. */
void err_clear(struct dupc_err *);

/*
 * err_set(err, code, fmt, ...):
 * Record a permanent error with duplicity code ${code}; returns -1.
 * ${err} may be NULL, in which case nothing is recorded.
 */
int err_set(struct dupc_err *, int, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * err_errno(err, code, fmt, ...):
 * Like err_set(), then append ": strerror(errno)" and keep errno.
 */
int err_errno(struct dupc_err *, int, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * err_class_set(err, cls, code, fmt, ...):
 * Record an error with an explicit retry class (backends use this).
 */
int err_class_set(struct dupc_err *, enum err_class, int, const char *, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * err_prefix(err, fmt, ...):
 * Prepend "<context>: " to the recorded message.  Code, errno and class are
 * unchanged.
 */
void err_prefix(struct dupc_err *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * err_set_extra(err, fmt, ...):
 * Set the machine-log extra of the recorded error (see struct dupc_err).
 */
void err_set_extra(struct dupc_err *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* err_vset(err, code, fmt, ap): va_list form of err_set(). */
int err_vset(struct dupc_err *, int, const char *, va_list);

#endif
