/*
 * Lock records (see lockrec.h): written by this run, read from whatever
 * the target holds.  The parser walks the text one line at a time and
 * checks each known value as it goes; nothing is trusted before it is
 * checked, and nothing longer than LOCKREC_MAX is looked at.
 */
#include "format/lockrec.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "format/dtime.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/parse.h"

#define MAGIC "dupc lock 1"

enum key {
	K_HOST,
	K_USER,
	K_COMMAND,
	K_INSTANCE,
	K_PID,
	K_STARTED,
	K_REFRESHED,
	K_INTERVAL,
	K_TOKEN,
	K_N,
};

static const char *const key_names[K_N] = { "host", "user", "command",
	"instance", "pid", "started", "refreshed", "interval", "token" };

/* Copy ${s} to ${out} with control bytes made '?'. */
static int
add_text(struct buf *out, const char *key, const char *s)
{
	size_t i, n = strlen(s);

	if (buf_addf(out, "%s: ", key) < 0)
		return -1;
	for (i = 0; i < n && i < LOCKREC_TEXT_MAX - 1; i++) {
		unsigned char c = (unsigned char)s[i];

		if (buf_addch(out, c < 0x20 || c == 0x7f ? '?' : c) < 0)
			return -1;
	}
	if (n == 0 && buf_addch(out, '?') < 0)
		return -1;
	return buf_addch(out, '\n');
}

int
lockrec_format(const struct lockrec *r, struct buf *out)
{
	char started[DTIME_STR_MAX], refreshed[DTIME_STR_MAX];

	if (buf_addstr(out, MAGIC "\n") < 0 ||
	    add_text(out, "host", r->host) < 0 ||
	    add_text(out, "user", r->user) < 0 ||
	    buf_addf(out, "pid: %llu\n", (unsigned long long)r->pid) < 0 ||
	    add_text(out, "command", r->command) < 0 ||
	    add_text(out, "instance", r->instance[0] ? r->instance : "-") < 0)
		return -1;
	return buf_addf(out,
	    "started: %s\nrefreshed: %s\ninterval: %u\ntoken: %s\n",
	    dtime_to_string(r->started, started),
	    dtime_to_string(r->refreshed, refreshed), r->interval, r->token);
}

static int
bad(struct dupc_err *err, unsigned line, const char *why)
{
	return err_set(err, E_BACKEND_ERROR, "bad lock record, line %u: %s",
	    line, why);
}

/* A text value: 1 to LOCKREC_TEXT_MAX - 1 bytes, no control byte. */
static bool
text_ok(const char *v, size_t n)
{
	size_t i;

	if (n == 0 || n >= LOCKREC_TEXT_MAX)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return false;
	return true;
}

static bool
token_ok(const char *v, size_t n)
{
	size_t i;

	if (n != LOCKREC_TOKEN_LEN)
		return false;
	for (i = 0; i < n; i++)
		if (!((v[i] >= '0' && v[i] <= '9') ||
			(v[i] >= 'a' && v[i] <= 'f')))
			return false;
	return true;
}

/* A file-name time of exactly 16 characters. */
static bool
time_ok(const char *v, size_t n, int64_t *out)
{
	char s[17];

	if (n != 16)
		return false;
	memcpy(s, v, 16);
	s[16] = '\0';
	return dtime_from_string(s, out) == 0;
}

/* Check and store one known value. */
static bool
set_value(struct lockrec *r, enum key k, const char *v, size_t n)
{
	uint64_t u;

	switch (k) {
	case K_HOST:
	case K_USER:
	case K_COMMAND:
	case K_INSTANCE: {
		char *dst = k == K_HOST      ? r->host
			    : k == K_USER    ? r->user
			    : k == K_COMMAND ? r->command
					     : r->instance;

		if (!text_ok(v, n))
			return false;
		memcpy(dst, v, n);
		dst[n] = '\0';
		return true;
	}
	case K_PID:
		return parse_u64_n(v, n, &r->pid) == 0 && r->pid > 0;
	case K_STARTED:
		return time_ok(v, n, &r->started);
	case K_REFRESHED:
		return time_ok(v, n, &r->refreshed);
	case K_INTERVAL:
		if (parse_u64_n(v, n, &u) < 0 || u == 0 || u > 86400)
			return false;
		r->interval = (unsigned)u;
		return true;
	case K_TOKEN:
		if (!token_ok(v, n))
			return false;
		memcpy(r->token, v, n);
		r->token[n] = '\0';
		return true;
	case K_N:
		break;
	}
	return false;
}

/* One "key: value" line of ${n} bytes (no newline). */
static int
parse_line(struct lockrec *r, bool *seen, const char *p, size_t n,
    unsigned line, struct dupc_err *err)
{
	const char *colon = memchr(p, ':', n);
	size_t klen, i;

	if (colon == NULL || colon == p || (size_t)(colon - p) + 2 > n ||
	    colon[1] != ' ')
		return bad(err, line, "expected 'key: value'");
	klen = (size_t)(colon - p);
	for (i = 0; i < klen; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || p[i] == '-'))
			return bad(err, line, "a key is lower-case letters");
	for (i = 0; i < K_N; i++)
		if (strlen(key_names[i]) == klen &&
		    memcmp(key_names[i], p, klen) == 0)
			break;
	if (i == K_N)
		return text_ok(colon + 2, n - klen - 2)
			   ? 0
			   : bad(err, line, "a value has control characters");
	if (seen[i])
		return bad(err, line, "a key is given twice");
	seen[i] = true;
	if (!set_value(r, (enum key)i, colon + 2, n - klen - 2))
		return bad(err, line, "a value is not valid");
	return 0;
}

int
lockrec_parse(struct lockrec *r, const char *text, size_t len,
    struct dupc_err *err)
{
	bool seen[K_N] = { false };
	struct lockrec tmp;
	const char *p = text, *end = text + len;
	unsigned line = 0;
	size_t i;

	memset(&tmp, 0, sizeof(tmp));
	if (len > LOCKREC_MAX)
		return err_set(err, E_BACKEND_ERROR,
		    "bad lock record: longer than %d bytes", LOCKREC_MAX);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n;

		if (nl == NULL)
			return bad(err, line + 1, "the last line has no end");
		n = (size_t)(nl - p);
		line++;
		if (line == 1) {
			if (n != strlen(MAGIC) || memcmp(p, MAGIC, n) != 0)
				return bad(err, 1,
				    "not a dupc lock of version 1");
		} else if (parse_line(&tmp, seen, p, n, line, err) < 0) {
			return -1;
		}
		p = nl + 1;
	}
	if (line == 0)
		return bad(err, 1, "the record is empty");
	for (i = 0; i < K_N; i++)
		if (!seen[i])
			return err_set(err, E_BACKEND_ERROR,
			    "bad lock record: no '%s' line", key_names[i]);
	*r = tmp;
	return 0;
}

char *
lockrec_holder(const struct lockrec *r, char *out, size_t size)
{
	char when[DTIME_STR_MAX];

	snprintf(out, size, "%s@%s (pid %llu, %s, started %s)", r->user,
	    r->host, (unsigned long long)r->pid, r->command,
	    dtime_pretty(r->started, when));
	return out;
}
