/*
 * Text as duplicity's selection code sees it.  duplicity matches patterns
 * against Python str objects: file names and command-line arguments are
 * decoded from bytes with os.fsdecode() (UTF-8 with "surrogateescape", so
 * every byte that is not part of a valid UTF-8 sequence becomes one code
 * point of its own), filelists are decoded as strict UTF-8.  A glob's '?'
 * therefore matches "é" (one code point, two bytes) but not a stray 0xff
 * byte next to another one.
 *
 * dupc keeps such text as valid UTF-8 so that PCRE2 can match it in UTF
 * mode.  A byte that Python would escape to U+DC80+b (a lone surrogate,
 * which UTF-8 cannot carry) is written as the private-use code point
 * PYSTR_ESCAPE_BASE+b instead; it keeps the property that matters, one
 * byte = one code point that no other character equals.
 */
#include "select/select_internal.h"

#include <locale.h>
#include <stdbool.h>
#include <string.h>
#include <wctype.h>

#include "util/buf.h"

/*
 * utf8_seq_len(s, n): the length of the valid UTF-8 sequence at ${s}, or 0
 * when the first byte does not start one.  The ranges are those of Python's
 * strict decoder (no overlong forms, no surrogates, nothing past U+10FFFF).
 */
static size_t
utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

bool
pystr_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < n) {
		if ((k = utf8_seq_len(p + i, n - i)) == 0)
			return false;
		i += k;
	}
	return true;
}

int
pystr_put(struct buf *out, uint32_t cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return buf_add(out, b, n);
}

int
pystr_decode(struct buf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k, run = 0;

	/* Copy runs of valid UTF-8 in one go; escape the other bytes. */
	while (i < n) {
		k = utf8_seq_len(p + i, n - i);
		if (k > 0) {
			i += k;
			run += k;
			continue;
		}
		if (run > 0 && buf_add(out, s + i - run, run) < 0)
			return -1;
		run = 0;
		if (pystr_put(out, PYSTR_ESCAPE_BASE + p[i]) < 0)
			return -1;
		i++;
	}
	if (run > 0 && buf_add(out, s + n - run, run) < 0)
		return -1;
	return 0;
}

uint32_t
pystr_next(const char *s, size_t n, size_t *pos)
{
	const unsigned char *p = (const unsigned char *)s + *pos;
	size_t k = utf8_seq_len(p, n - *pos);
	uint32_t cp;

	/* Callers only hand in text made by pystr_decode() or checked by
	 * pystr_utf8_valid(); a stray byte is taken as itself. */
	switch (k) {
	case 2:
		cp = ((uint32_t)(p[0] & 0x1f) << 6) | (p[1] & 0x3f);
		break;
	case 3:
		cp = ((uint32_t)(p[0] & 0x0f) << 12) |
		     ((uint32_t)(p[1] & 0x3f) << 6) | (p[2] & 0x3f);
		break;
	case 4:
		cp = ((uint32_t)(p[0] & 0x07) << 18) |
		     ((uint32_t)(p[1] & 0x3f) << 12) |
		     ((uint32_t)(p[2] & 0x3f) << 6) | (p[3] & 0x3f);
		break;
	default:
		k = 1;
		cp = p[0];
		break;
	}
	*pos += k;
	return cp;
}

/* A locale whose towlower_l() knows Unicode, or 0 when none exists. */
static locale_t
utf8_locale(void)
{
	static locale_t loc;
	static bool tried;

	if (!tried) {
		tried = true;
		loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	}
	return loc;
}

static uint32_t
lower_cp(uint32_t cp)
{
	locale_t loc;

	if (cp < 0x80)
		return (cp >= 'A' && cp <= 'Z') ? cp + ('a' - 'A') : cp;
	if (cp >= PYSTR_ESCAPE_BASE)
		return cp;
	loc = utf8_locale();
	if (loc == (locale_t)0)
		return cp;
	return (uint32_t)towlower_l((wint_t)cp, loc);
}

int
pystr_lower(struct buf *out, const char *s, size_t n)
{
	size_t pos = 0;

	while (pos < n)
		if (pystr_put(out, lower_cp(pystr_next(s, n, &pos))) < 0)
			return -1;
	return 0;
}

/* Python's str.isspace() (Unicode White_Space plus the separators
 * U+001C..U+001F that Python also strips). */
static bool
py_isspace(uint32_t cp)
{
	if ((cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x20))
		return true;
	switch (cp) {
	case 0x85:
	case 0xa0:
	case 0x1680:
	case 0x2028:
	case 0x2029:
	case 0x202f:
	case 0x205f:
	case 0x3000:
		return true;
	default:
		return cp >= 0x2000 && cp <= 0x200a;
	}
}

void
pystr_strip(const char **sp, size_t *np)
{
	const char *s = *sp;
	size_t n = *np, pos, start = 0, end = 0;
	bool seen = false;

	for (pos = 0; pos < n;) {
		size_t at = pos;
		uint32_t cp = pystr_next(s, n, &pos);

		if (py_isspace(cp))
			continue;
		if (!seen)
			start = at;
		seen = true;
		end = pos;
	}
	*sp = s + start;
	*np = seen ? end - start : 0;
}
