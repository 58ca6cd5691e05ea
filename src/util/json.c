/*
 * The JSON writer of the --json reports.  The structure (braces, commas,
 * indentation) is written here as the document goes; every string, key
 * and number is encoded by jansson, which does the escaping.  Text that
 * is not UTF-8 is repaired to U+FFFD first, because JSON strings are
 * Unicode; paths keep their exact bytes in a "_hex" sibling.
 */
#include "util/json.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util/buf.h"
#include "util/err.h"

struct level {
	char close; /* '}' or ']' */
	bool members;
};

struct json_out {
	FILE *f;
	int indent;
	size_t depth;
	struct level stack[JSON_OUT_DEPTH];
	bool started;
	char problem[160]; /* the first misuse or write error, "" if none */
	int errnum;
};

struct json_out *
jout_new(FILE *f, int indent)
{
	struct json_out *jo = calloc(1, sizeof(*jo));

	if (jo == NULL)
		return NULL;
	jo->f = f;
	jo->indent = indent < 0 ? 0 : indent > 8 ? 8 : indent;
	return jo;
}

void
jout_free(struct json_out *jo)
{
	free(jo);
}

static void
misuse(struct json_out *jo, const char *what)
{
	if (jo->problem[0] == '\0')
		snprintf(jo->problem, sizeof(jo->problem), "%s", what);
}

static void
check_write(struct json_out *jo, int rc)
{
	if (rc < 0 && jo->problem[0] == '\0') {
		jo->errnum = errno;
		misuse(jo, "writing the JSON document");
	}
}

/*
 * The length of the UTF-8 sequence at ${p} (${n} bytes left), or 0 when
 * it is not one: overlong forms, surrogates and code points above
 * U+10FFFF are refused, as RFC 3629 says.
 */
static size_t
utf8_seq(const unsigned char *p, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (p[0] < 0x80)
		return p[0] != 0;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

bool
json_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		size_t k = utf8_seq(p + i, n - i);

		if (k == 0)
			return false;
		i += k;
	}
	return true;
}

/* Write ${s} as a JSON string, bytes that are not UTF-8 as U+FFFD. */
static void
put_text(struct json_out *jo, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0;
	struct buf fixed;
	json_t *j;

	buf_init(&fixed, (size_t)-1);
	if (!json_utf8_valid(s, n)) {
		while (i < n) {
			size_t k = utf8_seq(p + i, n - i);
			int rc = k == 0 ? buf_add(&fixed, "\xef\xbf\xbd", 3)
					: buf_add(&fixed, p + i, k);

			if (rc < 0) {
				misuse(jo, "out of memory");
				buf_release(&fixed);
				return;
			}
			i += k == 0 ? 1 : k;
		}
		s = buf_str(&fixed);
		n = fixed.len;
	}
	j = json_stringn(s, n);
	if (j == NULL)
		misuse(jo, "out of memory");
	else
		check_write(jo, json_dumpf(j, jo->f, JSON_ENCODE_ANY));
	json_decref(j);
	buf_release(&fixed);
}

static void
newline(struct json_out *jo, size_t depth)
{
	size_t i;

	if (jo->indent == 0)
		return;
	check_write(jo, fputc('\n', jo->f) == EOF ? -1 : 0);
	for (i = 0; i < depth * (size_t)jo->indent; i++)
		check_write(jo, fputc(' ', jo->f) == EOF ? -1 : 0);
}

/* Everything before a value: the comma, the line, the member name. */
static bool
begin_value(struct json_out *jo, const char *key)
{
	struct level *top = jo->depth ? &jo->stack[jo->depth - 1] : NULL;

	if (jo->problem[0] != '\0')
		return false;
	if (top == NULL) {
		if (jo->started || key != NULL) {
			misuse(jo, "a second top-level value or a named one");
			return false;
		}
		jo->started = true;
		return true;
	}
	if ((top->close == '}') != (key != NULL)) {
		misuse(jo, "a member name missing or out of place");
		return false;
	}
	if (top->members)
		check_write(jo, fputc(',', jo->f) == EOF ? -1 : 0);
	top->members = true;
	newline(jo, jo->depth);
	if (key != NULL) {
		put_text(jo, key);
		check_write(jo,
		    fputs(jo->indent ? ": " : ":", jo->f) == EOF ? -1 : 0);
	}
	return jo->problem[0] == '\0';
}

static void
open_level(struct json_out *jo, const char *key, char open, char close)
{
	if (!begin_value(jo, key))
		return;
	if (jo->depth == JSON_OUT_DEPTH) {
		misuse(jo, "nesting too deep");
		return;
	}
	jo->stack[jo->depth].close = close;
	jo->stack[jo->depth++].members = false;
	check_write(jo, fputc(open, jo->f) == EOF ? -1 : 0);
}

static void
close_level(struct json_out *jo, char close)
{
	struct level *top;

	if (jo->problem[0] != '\0')
		return;
	if (jo->depth == 0 || jo->stack[jo->depth - 1].close != close) {
		misuse(jo, "closing what is not open");
		return;
	}
	top = &jo->stack[--jo->depth];
	if (top->members)
		newline(jo, jo->depth);
	check_write(jo, fputc(close, jo->f) == EOF ? -1 : 0);
}

void
jout_object_begin(struct json_out *jo, const char *key)
{
	open_level(jo, key, '{', '}');
}

void
jout_object_end(struct json_out *jo)
{
	close_level(jo, '}');
}

void
jout_array_begin(struct json_out *jo, const char *key)
{
	open_level(jo, key, '[', ']');
}

void
jout_array_end(struct json_out *jo)
{
	close_level(jo, ']');
}

void
jout_string(struct json_out *jo, const char *key, const char *s)
{
	if (begin_value(jo, key))
		put_text(jo, s);
}

void
jout_path(struct json_out *jo, const char *key, const char *s)
{
	size_t n = strlen(s), i;
	struct buf name, hex;
	bool ok;

	jout_string(jo, key, s);
	if (json_utf8_valid(s, n) || key == NULL)
		return;
	buf_init(&name, 1024);
	buf_init(&hex, (size_t)-1);
	ok = buf_addf(&name, "%s_hex", key) == 0;
	for (i = 0; ok && i < n; i++)
		ok = buf_addf(&hex, "%02x", (unsigned char)s[i]) == 0;
	if (ok)
		jout_string(jo, buf_str(&name), buf_str(&hex));
	else
		misuse(jo, "out of memory");
	buf_release(&name);
	buf_release(&hex);
}

static void
put_json(struct json_out *jo, const char *key, json_t *j)
{
	if (j == NULL) {
		misuse(jo, "out of memory");
		return;
	}
	if (begin_value(jo, key))
		check_write(jo, json_dumpf(j, jo->f, JSON_ENCODE_ANY));
	json_decref(j);
}

void
jout_int(struct json_out *jo, const char *key, int64_t v)
{
	put_json(jo, key, json_integer((json_int_t)v));
}

void
jout_real(struct json_out *jo, const char *key, double v)
{
	if (!isfinite(v))
		misuse(jo, "a number that is not finite");
	else
		put_json(jo, key, json_real(v));
}

void
jout_bool(struct json_out *jo, const char *key, bool v)
{
	put_json(jo, key, json_boolean(v));
}

void
jout_null(struct json_out *jo, const char *key)
{
	put_json(jo, key, json_null());
}

int
jout_finish(struct json_out *jo, struct dupc_err *err)
{
	if (jo->problem[0] == '\0' && (jo->depth != 0 || !jo->started))
		misuse(jo, "an unfinished document");
	if (jo->problem[0] == '\0') {
		check_write(jo, fputc('\n', jo->f) == EOF ? -1 : 0);
		check_write(jo, fflush(jo->f) == EOF ? -1 : 0);
	}
	if (jo->problem[0] == '\0')
		return 0;
	if (jo->errnum != 0) {
		errno = jo->errnum;
		return err_errno(err, E_GENERIC, "%s", jo->problem);
	}
	return err_set(err, E_GENERIC, "JSON output: %s", jo->problem);
}
