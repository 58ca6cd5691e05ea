/*
 * --webdav-headers: extra request headers, written as duplicity 0.8.23
 * reads them (its csv_args_to_dict): one CSV line of fields taken in
 * pairs, name then value ("Cookie,a=b,X-Token,\"x,y\"").  A field may be
 * double-quoted, with "" for a quote inside.  Names must be HTTP tokens
 * and no field may hold a control byte, so nothing can smuggle a second
 * header line into a request.
 */
#include "backend/webdav/dav_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"

/* Read one field at *${sp} into ${out}; *${sp} ends after its comma, or
 * at the end (NULL after the last field). */
static int
next_field(const char **sp, struct buf *out, struct dupc_err *err)
{
	const char *s = *sp;
	int rc = 0;

	buf_reset(out);
	if (*s == '"') {
		for (s++;; s++) {
			if (*s == '\0')
				return err_set(err, E_COMMAND_LINE,
				    "--webdav-headers: a quote is not closed");
			if (*s == '"' && s[1] == '"') {
				rc |= buf_addch(out, '"');
				s++;
			} else if (*s == '"') {
				s++;
				break;
			} else {
				rc |= buf_addch(out, *s);
			}
		}
		if (*s != ',' && *s != '\0')
			return err_set(err, E_COMMAND_LINE,
			    "--webdav-headers: text after a closing quote");
	} else {
		size_t n = strcspn(s, ",");

		rc |= buf_add(out, s, n);
		s += n;
	}
	if (rc != 0)
		return err_set(err, E_GENERIC, "out of memory");
	*sp = *s == ',' ? s + 1 : NULL;
	return 0;
}

static bool
token_ok(const char *s)
{
	static const char extra[] = "!#$%&'*+-.^_`|~";

	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			(*s >= '0' && *s <= '9') || strchr(extra, *s) != NULL))
			return false;
	return true;
}

static bool
value_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

void
dav_headers_free(char **h)
{
	size_t i;

	if (h == NULL)
		return;
	for (i = 0; h[i] != NULL; i++)
		free(h[i]);
	free(h);
}

/* Append "Name: value" to the NULL-terminated array *${hp} of ${n}. */
static int
add_header(char ***hp, size_t *n, const char *name, const char *value,
    struct dupc_err *err)
{
	char **h = realloc(*hp, (*n + 2) * sizeof(*h));
	size_t len = strlen(name) + strlen(value) + 3;

	if (h == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	*hp = h;
	if ((h[*n] = malloc(len)) == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	snprintf(h[*n], len, "%s: %s", name, value);
	h[++*n] = NULL;
	return 0;
}

int
dav_headers_parse(const char *spec, char ***out, struct dupc_err *err)
{
	struct buf name, value;
	char **h = NULL;
	const char *s = spec;
	size_t n = 0;
	int rc = -1;

	buf_init(&name, 8192);
	buf_init(&value, 8192);
	while (s != NULL) {
		if (next_field(&s, &name, err) < 0)
			goto out;
		if (s == NULL) {
			err_set(err, E_COMMAND_LINE,
			    "--webdav-headers: '%.60s' has no value (write name,value pairs)",
			    buf_str(&name));
			goto out;
		}
		if (next_field(&s, &value, err) < 0)
			goto out;
		if (!token_ok(buf_str(&name)) || !value_ok(buf_str(&value))) {
			err_set(err, E_COMMAND_LINE,
			    "--webdav-headers: '%.60s' is not a header name with a one-line value",
			    buf_str(&name));
			goto out;
		}
		if (add_header(&h, &n, buf_str(&name), buf_str(&value), err) <
		    0)
			goto out;
	}
	*out = h;
	h = NULL;
	rc = 0;
out:
	dav_headers_free(h);
	buf_release(&name);
	buf_release(&value);
	return rc;
}
