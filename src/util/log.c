/*
 * Logging.  Console records follow duplicity's streams (ERROR on stderr,
 * everything else on stdout); the machine log follows duplicity's log.py
 * format that deja-dup parses: a header "LEVEL code[ extra]", each message
 * line prefixed with ". ", and a blank line.  The machine log is UTF-8:
 * bytes of a message that are not (raw file names) become U+FFFD there,
 * while the extra carries the exact name, quoted.
 *
 * One lock serialises every record and the terminal status line, because
 * the progress reporter writes from its own thread.
 */
#define _DEFAULT_SOURCE
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"

#define MACHINE_FDS_MAX 4
#define STATUS_MAX 512
#define RECORD_MAX (1u << 24)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int verbosity = LOG_NOTICE;
static int machine_fds[MACHINE_FDS_MAX];
static int nmachine;
static int with_timestamp;
static int all_to_stderr;
static int muted;
/* the status line: its text, and whether it is on the screen now */
static char status_text[STATUS_MAX];
static char status_note[STATUS_MAX];
static bool status_drawn;
static int status_tty = -1; /* -1: not asked yet */

static size_t utf8_decode(const unsigned char *, size_t, uint32_t *);

void
log_set_verbosity(int level)
{
	pthread_mutex_lock(&lock);
	verbosity = level;
	pthread_mutex_unlock(&lock);
}

int
log_get_verbosity(void)
{
	int v;

	pthread_mutex_lock(&lock);
	v = verbosity;
	pthread_mutex_unlock(&lock);
	return v;
}

int
log_add_machine_fd(int fd)
{
	int rc = -1;

	pthread_mutex_lock(&lock);
	if (nmachine < MACHINE_FDS_MAX) {
		machine_fds[nmachine++] = fd;
		rc = 0;
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

void
log_set_machine_fd(int fd)
{
	pthread_mutex_lock(&lock);
	nmachine = 0;
	if (fd >= 0)
		machine_fds[nmachine++] = fd;
	pthread_mutex_unlock(&lock);
}

void
log_set_timestamp(int on)
{
	pthread_mutex_lock(&lock);
	with_timestamp = on;
	pthread_mutex_unlock(&lock);
}

void
log_console_stderr(int on)
{
	pthread_mutex_lock(&lock);
	all_to_stderr = on;
	pthread_mutex_unlock(&lock);
}

void
log_mute(int on)
{
	pthread_mutex_lock(&lock);
	muted += on ? 1 : -1;
	if (muted < 0)
		muted = 0;
	pthread_mutex_unlock(&lock);
}

int
log_parse_verbosity(const char *s, int *out)
{
	static const struct {
		const char *name;
		int level;
	} names[] = {
		{ "e", 0 },
		{ "error", 0 },
		{ "w", 2 },
		{ "warning", 2 },
		{ "n", 3 },
		{ "notice", 3 },
		{ "i", 5 },
		{ "info", 5 },
		{ "d", 9 },
		{ "debug", 9 },
	};
	size_t i;
	int v = 0;

	/* duplicity takes int(value): leading zeros are fine */
	if (*s >= '0' && *s <= '9') {
		for (; *s >= '0' && *s <= '9'; s++) {
			v = v * 10 + (*s - '0');
			if (v > 9)
				return -1;
		}
		if (*s != '\0')
			return -1;
		*out = v;
		return 0;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(s, names[i].name) == 0) {
			*out = names[i].level;
			return 0;
		}
	}
	return -1;
}

static const char *
level_name(int level)
{
	if (level >= 9)
		return "DEBUG";
	if (level >= 5)
		return "INFO";
	if (level >= 3)
		return "NOTICE";
	if (level >= 1)
		return "WARNING";
	return "ERROR";
}

/* Write all of ${len} bytes, retrying on EINTR; errors are dropped because
 * a broken log must not stop a backup. */
static void
write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		p += n;
		len -= (size_t)n;
	}
}

/* Append ${n} bytes of message text, valid UTF-8 kept and every other
 * byte replaced by U+FFFD. */
static void
add_utf8(struct buf *b, const char *p, size_t n)
{
	while (n > 0) {
		uint32_t cp;
		size_t k = utf8_decode((const unsigned char *)p, n, &cp);

		if (k == 0) {
			buf_add(b, "\xef\xbf\xbd", 3);
			k = 1;
		} else {
			buf_add(b, p, k);
		}
		p += k;
		n -= k;
	}
}

/*
 * One machine record, written with one write() per fd so records from two
 * processes sharing a pipe do not interleave within a record.
 */
static void
machine_write(int level, int code, const char *extra, const char *msg)
{
	struct buf b;
	const char *line = msg;
	int i;

	buf_init(&b, RECORD_MAX);
	buf_addf(&b, "%s %d", level_name(level), code);
	if (extra != NULL) {
		buf_addch(&b, ' ');
		add_utf8(&b, extra, strlen(extra));
	}
	buf_addch(&b, '\n');
	/* log.py: ("\n" + message).replace("\n", "\n. ") when non-empty */
	while (*msg != '\0' && line != NULL) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);

		buf_add(&b, ". ", 2);
		add_utf8(&b, line, n);
		buf_addch(&b, '\n');
		line = nl ? nl + 1 : NULL;
	}
	buf_addch(&b, '\n');
	for (i = 0; i < nmachine; i++)
		write_all(machine_fds[i], b.data, b.len);
	buf_release(&b);
}

/* --- the status line (callers hold the lock) --- */

static bool
status_on_tty(void)
{
	if (status_tty < 0)
		status_tty = isatty(STDERR_FILENO) ? 1 : 0;
	return status_tty == 1;
}

static void
status_erase(void)
{
	if (!status_drawn)
		return;
	fflush(stdout);
	fputs("\r\033[K", stderr);
	fflush(stderr);
	status_drawn = false;
}

static void
status_draw(void)
{
	struct winsize ws;
	char line[2 * STATUS_MAX + 4];
	size_t width = 80, n;

	snprintf(line, sizeof(line), "%s%s%s", status_text,
	    status_text[0] && status_note[0] ? " | " : "", status_note);
	n = strlen(line);
	if (n == 0 || !status_on_tty())
		return;
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
		width = ws.ws_col;
	/* one column short of the edge: no terminal wraps the line */
	if (n > width - 1)
		n = width - 1;
	fflush(stdout);
	fputc('\r', stderr);
	fwrite(line, 1, n, stderr);
	fputs("\033[K", stderr);
	fflush(stderr);
	status_drawn = true;
}

int
log_status_available(void)
{
	int r;

	pthread_mutex_lock(&lock);
	r = status_on_tty();
	pthread_mutex_unlock(&lock);
	return r;
}

/* Set one part of the status line (lock held) and show the result. */
static void
status_set(char *part, size_t size, const char *text)
{
	snprintf(part, size, "%s", text != NULL ? text : "");
	if (status_text[0] == '\0' && status_note[0] == '\0')
		status_erase();
	else
		status_draw();
}

void
log_status(const char *line)
{
	pthread_mutex_lock(&lock);
	status_set(status_text, sizeof(status_text), line);
	pthread_mutex_unlock(&lock);
}

void
log_status_note(const char *note)
{
	pthread_mutex_lock(&lock);
	status_set(status_note, sizeof(status_note), note);
	pthread_mutex_unlock(&lock);
}

void
log_stderr_line(const char *line)
{
	pthread_mutex_lock(&lock);
	status_erase();
	fflush(stdout);
	fprintf(stderr, "%s\n", line);
	fflush(stderr);
	status_draw();
	pthread_mutex_unlock(&lock);
}

static void
console_write(int level, const char *msg)
{
	FILE *f = level < LOG_WARNING || all_to_stderr ? stderr : stdout;

	status_erase();
	if (with_timestamp) {
		struct timeval tv;
		struct tm tm;
		char stamp[64];

		/* Python logging's asctime: "2023-11-14 22:13:20,123" */
		gettimeofday(&tv, NULL);
		localtime_r(&tv.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(f, "%s,%03d %s ", stamp, (int)(tv.tv_usec / 1000),
		    level_name(level));
	}
	fputs(msg, f);
	fputc('\n', f);
	if (f == stderr)
		fflush(stdout);
	fflush(f);
	status_draw();
}

void
log_vmsgf(int level, int code, const char *extra, unsigned flags,
    const char *fmt, va_list ap)
{
	char small[1024];
	char *msg = small;
	bool console, machine, pass;
	va_list ap2;
	int n;

	pthread_mutex_lock(&lock);
	pass = muted == 0 && (level <= verbosity || (flags & LOG_F_FORCE));
	console = pass && !(flags & LOG_F_MACHINE_ONLY) &&
		  (!(flags & LOG_F_QUIET_CONSOLE) || verbosity >= LOG_INFO);
	machine = pass && nmachine > 0;
	if (!console && !machine)
		goto out;
	va_copy(ap2, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	if (n >= (int)sizeof(small)) {
		msg = malloc((size_t)n + 1);
		if (msg != NULL)
			vsnprintf(msg, (size_t)n + 1, fmt, ap2);
		else
			msg = small;
	}
	va_end(ap2);
	/* duplicity's console filters drop empty messages */
	if (console && msg[0] != '\0')
		console_write(level, msg);
	if (machine)
		machine_write(level, code, extra, msg);
	if (msg != small)
		free(msg);
out:
	pthread_mutex_unlock(&lock);
}

void
log_vmsg(int level, int code, const char *extra, const char *fmt, va_list ap)
{
	log_vmsgf(level, code, extra, 0, fmt, ap);
}

void
log_msg(int level, int code, const char *extra, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsgf(level, code, extra, 0, fmt, ap);
	va_end(ap);
}

void
log_msgf(int level, int code, const char *extra, unsigned flags,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsgf(level, code, extra, flags, fmt, ap);
	va_end(ap);
}

void
log_flush(void)
{
	pthread_mutex_lock(&lock);
	status_erase();
	status_text[0] = status_note[0] = '\0';
	fflush(stdout);
	fflush(stderr);
	pthread_mutex_unlock(&lock);
}

/* Decode one UTF-8 sequence at ${s}; returns its length and sets *cp, or 0
 * when the bytes are not valid UTF-8. */
static size_t
utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp)
{
	size_t len, i;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		c = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > avail)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) ||
	    (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

char *
log_quote_path(const char *path, char *out, size_t outsz)
{
	const unsigned char *s = (const unsigned char *)path;
	size_t avail = strlen(path);
	size_t o = 0;

#define PUT(...)                                                       \
	do {                                                           \
		int put_n = snprintf(out + o, outsz - o, __VA_ARGS__); \
		if (put_n < 0 || (size_t)put_n >= outsz - o)           \
			goto full;                                     \
		o += (size_t)put_n;                                    \
	} while (0)

	if (outsz < 3) {
		if (outsz > 0)
			out[0] = '\0';
		return out;
	}
	PUT("'");
	while (avail > 0) {
		uint32_t cp;
		size_t n = utf8_decode(s, avail, &cp);

		if (n == 0) {
			/* surrogate-escaped byte, as Python shows it */
			PUT("\\udc%02x", *s);
			n = 1;
		} else if (cp == '\'') {
			PUT("\\x27");
		} else if (cp == '\\') {
			PUT("\\\\");
		} else if (cp == '\t') {
			PUT("\\t");
		} else if (cp == '\n') {
			PUT("\\n");
		} else if (cp == '\r') {
			PUT("\\r");
		} else if (cp >= 0x20 && cp < 0x7f) {
			PUT("%c", (int)cp);
		} else if (cp < 0x100) {
			PUT("\\x%02x", cp);
		} else if (cp < 0x10000) {
			PUT("\\u%04x", cp);
		} else {
			PUT("\\U%08x", cp);
		}
		s += n;
		avail -= n;
	}
	PUT("'");
	return out;
full:
	out[o] = '\0';
	return out;
#undef PUT
}
