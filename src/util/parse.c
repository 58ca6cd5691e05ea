/*
 * Strict decimal parsing (after Tarsnap's parsenum).  strtoull accepts
 * leading spaces, signs and "0x"; none of those is valid in a manifest, a
 * tar header or a command-line count, so this parser rejects them.
 */
#include "parse.h"

#include <string.h>

int
parse_u64_n(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (mul_u64(v, 10, &v) < 0 || add_u64(v, d, &v) < 0)
			return -1;
	}
	*out = v;
	return 0;
}

int
parse_u64(const char *s, uint64_t *out)
{
	return parse_u64_n(s, strlen(s), out);
}

int
parse_i64(const char *s, int64_t *out)
{
	uint64_t v;

	if (s[0] == '-') {
		if (parse_u64(s + 1, &v) < 0 || v > (uint64_t)INT64_MAX + 1)
			return -1;
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
		return 0;
	}
	if (parse_u64(s, &v) < 0 || v > (uint64_t)INT64_MAX)
		return -1;
	*out = (int64_t)v;
	return 0;
}

int
parse_int_range(const char *s, long lo, long hi, long *out)
{
	int64_t v;

	if (parse_i64(s, &v) < 0 || v < lo || v > hi)
		return -1;
	*out = (long)v;
	return 0;
}

int
parse_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
