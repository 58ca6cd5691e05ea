/*
 * Quote/Unquote for manifest paths, byte-exact with duplicity's.
 */
#include "format/quote.h"

#include <string.h>

#include "util/buf.h"
#include "util/parse.h"

static int
needs_escape(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	       c == '\v' || c == '\\' || c == '"' || c == '\'';
}

int
quote_append(struct buf *out, const char *s)
{
	const unsigned char *p;
	int any = 0;

	for (p = (const unsigned char *)s; *p; p++)
		if (needs_escape(*p))
			any = 1;
	if (!any)
		return buf_addstr(out, s);
	if (buf_addch(out, '"') < 0)
		return -1;
	for (p = (const unsigned char *)s; *p; p++) {
		if (needs_escape(*p)) {
			if (buf_addf(out, "\\x%02x", *p) < 0)
				return -1;
		} else if (buf_addch(out, *p) < 0) {
			return -1;
		}
	}
	return buf_addch(out, '"');
}

int
unquote(const char *s, size_t n, struct buf *out)
{
	size_t i;

	buf_reset(out);
	if (n == 0 || s[0] != '"')
		return buf_add(out, s, n);
	if (n < 2 || s[n - 1] != '"')
		return -1;
	for (i = 1; i < n - 1;) {
		if (s[i] == '\\') {
			int hi, lo;

			if (i + 3 >= n || s[i + 1] != 'x')
				return -1;
			hi = parse_hex_digit(s[i + 2]);
			lo = parse_hex_digit(s[i + 3]);
			if (hi < 0 || lo < 0)
				return -1;
			if (buf_addch(out, hi * 16 + lo) < 0)
				return -1;
			i += 4;
		} else {
			if (buf_addch(out, s[i]) < 0)
				return -1;
			i++;
		}
	}
	return 0;
}
