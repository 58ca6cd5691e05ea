/*
 * The registry: which URL schemes dupc answers to and which backend
 * options exist.  It is built from schemes.def, so adding a scheme is one
 * line there and a folder of its own; nothing else in dupc names a
 * scheme.
 */
#include "backend/backend_internal.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "util/err.h"
#include "util/url.h"

#define SCHEME(ops) extern const struct backend_ops ops;
#define OPTIONS(group) extern const struct backend_option_group group;
#include "backend/schemes.def"
#undef SCHEME
#undef OPTIONS

static const struct backend_ops *const schemes[] = {
#define SCHEME(ops) &ops,
#define OPTIONS(group)
#include "backend/schemes.def"
#undef SCHEME
#undef OPTIONS
};

static const struct backend_option_group *const shared_groups[] = {
#define SCHEME(ops)
#define OPTIONS(group) &group,
#include "backend/schemes.def"
#undef SCHEME
#undef OPTIONS
};

#define NSCHEMES (sizeof(schemes) / sizeof(schemes[0]))
#define NSHARED (sizeof(shared_groups) / sizeof(shared_groups[0]))

const struct backend_ops *
backend_scheme_at(size_t i)
{
	return i < NSCHEMES ? schemes[i] : NULL;
}

/* A scheme ending in '+' is a prefix: "par2+" answers to "par2+sftp". */
static bool
answers_to(const char *pattern, const char *scheme)
{
	size_t n = strlen(pattern);

	if (n > 0 && pattern[n - 1] == '+')
		return strncmp(pattern, scheme, n) == 0 && scheme[n] != '\0';
	return strcmp(pattern, scheme) == 0;
}

const struct backend_ops *
backend_lookup(const char *scheme)
{
	const char *const *s;
	size_t i;

	for (i = 0; i < NSCHEMES; i++)
		for (s = schemes[i]->schemes; *s != NULL; s++)
			if (answers_to(*s, scheme))
				return schemes[i];
	return NULL;
}

const struct backend_option_group *
backend_option_group_at(size_t i)
{
	size_t k;

	for (k = 0; k < NSCHEMES; k++) {
		if (schemes[k]->options == NULL)
			continue;
		if (i == 0)
			return schemes[k]->options;
		i--;
	}
	return i < NSHARED ? shared_groups[i] : NULL;
}

const struct backend_option_spec *
backend_option_find(const char *name, size_t n)
{
	const struct backend_option_group *g;
	const struct backend_option_spec *s;
	size_t i;

	for (i = 0; (g = backend_option_group_at(i)) != NULL; i++)
		for (s = g->specs; s->name != NULL; s++)
			if (strlen(s->name) == n &&
			    strncmp(s->name, name, n) == 0)
				return s;
	return NULL;
}

char *
backend_schemes_line(char *buf, size_t size)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < NSCHEMES && used < size; i++) {
		if (schemes[i]->example == NULL)
			continue; /* test-only schemes */
		used += (size_t)snprintf(buf + used, size - used, "%s%s://",
		    used ? ", " : "", schemes[i]->schemes[0]);
	}
	return buf;
}

/* The ops answering to the scheme of ${url} ("sftp" in "sftp://h/p"). */
static const struct backend_ops *
url_ops(const char *url)
{
	const char *sep = strstr(url, "://");
	char scheme[64];
	size_t n, i;

	if (sep == NULL || (n = (size_t)(sep - url)) >= sizeof(scheme))
		return NULL;
	for (i = 0; i < n; i++)
		scheme[i] =
		    (char)(url[i] >= 'A' && url[i] <= 'Z' ? url[i] - 'A' + 'a'
							  : url[i]);
	scheme[n] = '\0';
	return backend_lookup(scheme);
}

const char *
backend_hint(const char *url, const struct dupc_err *err)
{
	const struct backend_ops *ops = url ? url_ops(url) : NULL;

	if (ops == NULL || ops->hint == NULL)
		return NULL;
	return ops->hint(err);
}

const char *
backend_help(const char *scheme)
{
	const struct backend_ops *ops = backend_lookup(scheme);

	return ops != NULL ? ops->help : NULL;
}
