#ifndef DUPC_UTIL_LOG_H
#define DUPC_UTIL_LOG_H

/*
 * One logging entry point with duplicity's verbosity levels.  Records go to
 * the console (ERROR on stderr, the rest on stdout, as duplicity does) when
 * they pass the verbosity filter, and to the machine-readable log
 * (--log-fd / --log-file) in duplicity's "LEVEL code [extra]" format.
 */

#include <stdarg.h>
#include <stdio.h>

enum log_level {
	LOG_ERROR = 0,
	LOG_WARNING = 2,
	LOG_NOTICE = 3,
	LOG_INFO = 5,
	LOG_DEBUG = 9,
};

/* duplicity's InfoCode values used by dupc (log.py). */
enum log_info_code {
	INFO_GENERIC = 1,
	INFO_PROGRESS = 2,
	INFO_COLLECTION_STATUS = 3,
	INFO_DIFF_FILE_NEW = 4,
	INFO_DIFF_FILE_CHANGED = 5,
	INFO_DIFF_FILE_DELETED = 6,
	INFO_PATCH_FILE_WRITING = 7,
	INFO_PATCH_FILE_PATCHING = 8,
	INFO_FILE_LIST = 10,
	INFO_SYNC_UPLOAD_BEGIN = 11,
	INFO_ASYNC_UPLOAD_BEGIN = 12,
	INFO_SYNC_UPLOAD_DONE = 13,
	INFO_ASYNC_UPLOAD_DONE = 14,
	INFO_SKIPPING_SOCKET = 15,
	INFO_UPLOAD_PROGRESS = 16,
};

/* duplicity's WarningCode values (log.py). */
enum log_warn_code {
	WARN_GENERIC = 1,
	WARN_ORPHANED_SIG = 2,
	WARN_UNNECESSARY_SIG = 3,
	WARN_UNMATCHED_SIG = 4,
	WARN_INCOMPLETE_BACKUP = 5,
	WARN_ORPHANED_BACKUP = 6,
	WARN_CANNOT_ITERATE = 8,
	WARN_CANNOT_STAT = 9,
	WARN_CANNOT_READ = 10,
	WARN_NO_SIG_FOR_TIME = 11,
	WARN_CANNOT_PROCESS = 12,
	WARN_PROCESS_SKIPPED = 13,
	WARN_RESTART_FILE_NOT_FOUND = 39,
};

/* log_set_verbosity(level): show records with level <= ${level}. */
void log_set_verbosity(int);

/* log_get_verbosity(): the current console verbosity. */
int log_get_verbosity(void);

/*
 * log_parse_verbosity(s, out):
 * Parse duplicity's -v argument (0-9 or e/w/n/i/d or their long names).
 * Returns 0 and sets *out, or -1 when ${s} is not a verbosity.
 */
int log_parse_verbosity(const char *, int *);

/*
 * log_set_machine_fd(fd):
 * Also write every record to ${fd} in duplicity's machine format.  The fd
 * is borrowed.  Pass -1 to stop.
 */
void log_set_machine_fd(int);

/* log_set_timestamp(on): prefix console lines as --log-timestamp does. */
void log_set_timestamp(int);

/*
 * log_msg(level, code, extra, fmt, ...):
 * Emit one record.  ${extra} (may be NULL) goes only to the machine log,
 * after the code.  ${level} is a numeric duplicity verbosity (0-9).
 */
void log_msg(int, int, const char *, const char *, ...)
    __attribute__((format(printf, 4, 5)));
void log_vmsg(int, int, const char *, const char *, va_list);

#define log_error(...) log_msg(LOG_ERROR, 1, NULL, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, 1, NULL, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, 1, NULL, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, 1, NULL, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, 1, NULL, __VA_ARGS__)

/*
 * log_quote_path(path, len, out, outsz):
 * Quote a file name as duplicity quotes paths in --log-fd extras: wrapped
 * in single quotes, printable ASCII kept, other bytes escaped the way
 * Python's unicode-escape writes them.  Returns ${out}.
 */
char *log_quote_path(const char *, char *, size_t);

/* log_flush(): flush console streams (before a child writes, or exit). */
void log_flush(void);

/*
 * log_set_console_hook(fn):
 * ${fn} is called before each console line is written (the progress meter
 * uses it to clear its line).  NULL removes it.
 */
void log_set_console_hook(void (*)(void));

#endif
