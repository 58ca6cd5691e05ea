/*
 * Logging.  Console records follow duplicity's streams (ERROR on stderr,
 * everything else on stdout); the machine log follows duplicity's log.py
 * format that deja-dup parses: a header "LEVEL code[ extra]", each message
 * line prefixed with ". ", and a blank line.
 */
#include "log.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int verbosity = LOG_NOTICE;
static int machine_fd = -1;
static int with_timestamp;
static void (*console_hook)(void);

void
log_set_verbosity(int level)
{
	verbosity = level;
}

int
log_get_verbosity(void)
{
	return verbosity;
}

void
log_set_machine_fd(int fd)
{
	machine_fd = fd;
}

void
log_set_timestamp(int on)
{
	with_timestamp = on;
}

void
log_set_console_hook(void (*fn)(void))
{
	console_hook = fn;
}

int
log_parse_verbosity(const char *s, int *out)
{
	static const struct {
		const char *name;
		int level;
	} names[] = {
		{ "e", 0 }, { "error", 0 }, { "w", 2 }, { "warning", 2 },
		{ "n", 3 }, { "notice", 3 }, { "i", 5 }, { "info", 5 },
		{ "d", 9 }, { "debug", 9 },
	};
	size_t i;

	if (s[0] >= '0' && s[0] <= '9' && s[1] == '\0') {
		*out = s[0] - '0';
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

static void
machine_write(int level, int code, const char *extra, const char *msg)
{
	char head[64];
	const char *line = msg;

	snprintf(head, sizeof(head), "%s %d", level_name(level), code);
	write_all(machine_fd, head, strlen(head));
	if (extra != NULL) {
		write_all(machine_fd, " ", 1);
		write_all(machine_fd, extra, strlen(extra));
	}
	write_all(machine_fd, "\n", 1);
	while (*msg != '\0' && line != NULL) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);

		write_all(machine_fd, ". ", 2);
		write_all(machine_fd, line, n);
		write_all(machine_fd, "\n", 1);
		line = nl ? nl + 1 : NULL;
	}
	write_all(machine_fd, "\n", 1);
}

static void
console_write(int level, const char *msg)
{
	FILE *f = level == LOG_ERROR ? stderr : stdout;

	if (console_hook != NULL)
		console_hook();
	if (with_timestamp) {
		struct timeval tv;
		struct tm tm;
		char stamp[64];

		gettimeofday(&tv, NULL);
		localtime_r(&tv.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(f, "%s.%03d %s ", stamp, (int)(tv.tv_usec / 1000),
		    level_name(level));
	}
	fputs(msg, f);
	fputc('\n', f);
	if (f == stderr)
		fflush(stdout);
	fflush(f);
}

void
log_vmsg(int level, int code, const char *extra, const char *fmt, va_list ap)
{
	char small[1024];
	char *msg = small;
	va_list ap2;
	int n;

	if (level > verbosity && machine_fd < 0)
		return;
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
	if (level <= verbosity)
		console_write(level, msg);
	if (machine_fd >= 0 && level <= verbosity)
		machine_write(level, code, extra, msg);
	if (msg != small)
		free(msg);
}

void
log_msg(int level, int code, const char *extra, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, code, extra, fmt, ap);
	va_end(ap);
}

void
log_flush(void)
{
	fflush(stdout);
	fflush(stderr);
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

#define PUT(...)                                                          \
	do {                                                              \
		int put_n = snprintf(out + o, outsz - o, __VA_ARGS__);    \
		if (put_n < 0 || (size_t)put_n >= outsz - o)              \
			goto full;                                        \
		o += (size_t)put_n;                                       \
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
