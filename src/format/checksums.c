/*
 * Lines of the record of stored files (see checksums.h).  A line is
 * parsed by advancing over it one checked field at a time.
 */
#include "format/checksums.h"

#include <string.h>

#include "util/buf.h"
#include "util/parse.h"

static bool
name_ok(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || n > 255 || (n == 1 && p[0] == '.') ||
	    (n == 2 && p[0] == '.' && p[1] == '.'))
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f || p[i] == '/')
			return false;
	return true;
}

static bool
hex_ok(const char *p, size_t n)
{
	size_t i;

	if (n != 64)
		return false;
	for (i = 0; i < n; i++)
		if (!((p[i] >= '0' && p[i] <= '9') ||
			(p[i] >= 'a' && p[i] <= 'f')))
			return false;
	return true;
}

int
checksums_parse_line(const char *p, size_t n, struct checksum_line *out)
{
	const char *end = p + n, *sp;
	struct checksum_line l;

	memset(&l, 0, sizeof(l));
	if (n >= CHECKSUMS_LINE_MAX)
		return -1;
	/* size */
	sp = memchr(p, ' ', n);
	if (sp == NULL || parse_u64_n(p, (size_t)(sp - p), &l.size) < 0)
		return -1;
	p = sp + 1;
	/* hash */
	sp = memchr(p, ' ', (size_t)(end - p));
	if (sp == NULL)
		return -1;
	if (hex_ok(p, (size_t)(sp - p)))
		memcpy(l.sha256, p, 64);
	else if (sp - p != 1 || *p != '-')
		return -1;
	p = sp + 1;
	/* name: the rest */
	if (!name_ok(p, (size_t)(end - p)))
		return -1;
	l.name = p;
	l.name_len = (size_t)(end - p);
	*out = l;
	return 0;
}

int
checksums_format_line(struct buf *out, const char *name, uint64_t size,
    const char *sha256)
{
	bool known = sha256 != NULL && sha256[0] != '\0';

	if (!name_ok(name, strlen(name)) ||
	    (known && !hex_ok(sha256, strlen(sha256))))
		return -1;
	return buf_addf(out, "%llu %s %s\n", (unsigned long long)size,
	    known ? sha256 : "-", name);
}
