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

/*
 * How a record travels, beyond its level (log_msgf):
 * LOG_F_MACHINE_ONLY   only the machine log (the console shows the same
 *                      thing another way, e.g. the progress line);
 * LOG_F_QUIET_CONSOLE  on the console only from -v info up: retry notes,
 *                      whose cause the final error line repeats;
 * LOG_F_FORCE          shown whatever the verbosity (duplicity's
 *                      force_print, used for the statistics block).
 */
enum log_flags {
	LOG_F_MACHINE_ONLY = 1 << 0,
	LOG_F_QUIET_CONSOLE = 1 << 1,
	LOG_F_FORCE = 1 << 2,
};

/* log_set_verbosity(level): show records with level <= ${level}. */
void log_set_verbosity(int);

/* log_get_verbosity(): the current console verbosity. */
int log_get_verbosity(void);

/*
 * log_parse_verbosity(s, out):
 * Parse duplicity's -v argument (0-9 or e/w/n/i/d or their long names,
 * any case).  Returns 0 and sets *out, or -1 when ${s} is not a verbosity.
 */
int log_parse_verbosity(const char *, int *);

/*
 * log_add_machine_fd(fd):
 * Also write every record that passes the verbosity filter to ${fd} in
 * duplicity's machine format (--log-fd and --log-file may both be given).
 * The fd is borrowed.  Returns -1 when too many are registered.
 */
int log_add_machine_fd(int);

/* log_set_machine_fd(fd): the machine log goes to ${fd} only; -1 stops it. */
void log_set_machine_fd(int);

/* log_set_timestamp(on): prefix console lines as --log-timestamp does. */
void log_set_timestamp(int);

/*
 * log_console_stderr(on):
 * Send every console record to stderr, so that stdout carries only the
 * document a command prints (--json).
 */
void log_console_stderr(int);

/*
 * log_mute(on):
 * While on, every record is dropped (a second pass over the tree must not
 * repeat the first pass's warnings).  Calls nest.
 */
void log_mute(int);

/*
 * log_msg(level, code, extra, fmt, ...):
 * Emit one record.  ${extra} (may be NULL) goes only to the machine log,
 * after the code.  ${level} is a numeric duplicity verbosity (0-9).  An
 * empty message reaches the machine log only, as in duplicity.
 */
void log_msg(int, int, const char *, const char *, ...)
    __attribute__((format(printf, 4, 5)));
void log_vmsg(int, int, const char *, const char *, va_list);

/* log_msgf(level, code, extra, flags, fmt, ...): log_msg with log_flags. */
void log_msgf(int, int, const char *, unsigned, const char *, ...)
    __attribute__((format(printf, 5, 6)));
void log_vmsgf(int, int, const char *, unsigned, const char *, va_list);

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
 * The terminal status line.  When stderr is a terminal, log_status(line)
 * shows ${line} on the last line of stderr, rewritten in place; any
 * console record first erases it and then draws it again below itself,
 * so records and the status line never mix.  NULL or "" removes it.
 * Lines longer than the terminal is wide are cut.  Thread-safe, like
 * every function here.
 */
int log_status_available(void);
void log_status(const char *);

/*
 * log_status_note(note):
 * A passing remark shown after the status line (or alone) on a terminal,
 * such as a retry being waited for; NULL removes it.
 */
void log_status_note(const char *);

/*
 * log_stderr_line(line):
 * Write ${line} and a newline to stderr between records (plain progress
 * lines when stderr is not a terminal).
 */
void log_stderr_line(const char *);

#endif
