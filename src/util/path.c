/*
 * Index comparison and validation.  These are the primitives behind every
 * ordered merge in dupc (tree walk vs signatures, restore of several sets)
 * and behind the restore path checks.
 */
#include "path.h"

#include <string.h>

int
index_cmp(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a;
	const unsigned char *y = (const unsigned char *)b;

	for (;; x++, y++) {
		unsigned cx = *x, cy = *y;

		if (cx == cy) {
			if (cx == '\0')
				return 0;
			continue;
		}
		/* end of string < separator < any other byte */
		if (cx == '\0')
			return -1;
		if (cy == '\0')
			return 1;
		if (cx == '/')
			return -1;
		if (cy == '/')
			return 1;
		return cx < cy ? -1 : 1;
	}
}

bool
index_is_within(const char *idx, const char *prefix)
{
	size_t n = strlen(prefix);

	if (n == 0)
		return true;
	if (strncmp(idx, prefix, n) != 0)
		return false;
	return idx[n] == '\0' || idx[n] == '/';
}

bool
index_valid(const char *idx)
{
	const char *p = idx;

	if (*p == '\0')
		return true;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (n == 0)
			return false;
		if (n == 1 && p[0] == '.')
			return false;
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return false;
		if (slash == NULL)
			return true;
		p = slash + 1;
	}
}

size_t
index_depth(const char *idx)
{
	size_t n = 0;

	if (*idx == '\0')
		return 0;
	for (n = 1; *idx; idx++)
		if (*idx == '/')
			n++;
	return n;
}

const char *
index_basename(const char *idx)
{
	const char *slash = strrchr(idx, '/');

	return slash ? slash + 1 : idx;
}

size_t
index_common_prefix_len(const char *a, const char *b)
{
	size_t i = 0, last = 0;

	for (;; i++) {
		if (a[i] != b[i]) {
			if ((a[i] == '\0' && b[i] == '/') ||
			    (a[i] == '/' && b[i] == '\0'))
				return i;
			return last;
		}
		if (a[i] == '\0')
			return i;
		if (a[i] == '/')
			last = i;
	}
}
