/*
 * URL parsing for backend locations, and redaction for messages.
 */
#include "url.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "parse.h"
#include "secret.h"

bool
url_looks_like(const char *s)
{
	return strstr(s, "://") != NULL;
}

char *
url_percent_decode(const char *s)
{
	size_t n = strlen(s), i, o = 0;
	char *out = malloc(n + 1);

	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n &&
		    parse_hex_digit(s[i + 1]) >= 0 &&
		    parse_hex_digit(s[i + 2]) >= 0) {
			out[o++] = (char)(parse_hex_digit(s[i + 1]) * 16 +
					  parse_hex_digit(s[i + 2]));
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
}

static char *
dup_range(const char *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s != NULL) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

int
url_parse(struct url *u, const char *s, struct dupc_err *err)
{
	const char *sep = strstr(s, "://");
	const char *rest, *slash, *at;
	char *tmp;
	size_t i;
	char red[512];

	memset(u, 0, sizeof(*u));
	if (sep == NULL || sep == s)
		return err_set(err, E_BAD_URL,
		    "bad URL '%s': expected scheme://location, e.g. file:///path",
		    url_redact(s, red, sizeof(red)));
	u->scheme = dup_range(s, (size_t)(sep - s));
	u->raw = secret_dup(s);
	if (u->scheme == NULL || u->raw == NULL)
		goto nomem;
	for (i = 0; u->scheme[i]; i++) {
		if (!isalnum((unsigned char)u->scheme[i]) &&
		    strchr("+-.", u->scheme[i]) == NULL) {
			url_release(u);
			return err_set(err, E_BAD_URL,
			    "bad URL '%s': invalid scheme",
			    url_redact(s, red, sizeof(red)));
		}
		u->scheme[i] = (char)tolower((unsigned char)u->scheme[i]);
	}
	rest = sep + 3;
	if (strcmp(u->scheme, "file") == 0) {
		u->host = strdup("");
		u->path = strdup(rest);
		if (u->host == NULL || u->path == NULL)
			goto nomem;
		if (*u->path == '\0') {
			url_release(u);
			return err_set(err, E_BAD_URL,
			    "bad URL '%s': no path; use file:///absolute/path",
			    s);
		}
		return 0;
	}
	slash = strchr(rest, '/');
	if (slash == NULL)
		slash = rest + strlen(rest);
	/* the last '@' before the path separates the user part (e-mail
	 * addresses are written with %40, but be lenient) */
	at = NULL;
	for (const char *p = rest; p < slash; p++)
		if (*p == '@')
			at = p;
	if (at != NULL) {
		const char *colon = memchr(rest, ':', (size_t)(at - rest));

		tmp = dup_range(rest, (size_t)((colon ? colon : at) - rest));
		if (tmp == NULL)
			goto nomem;
		u->user = url_percent_decode(tmp);
		free(tmp);
		if (u->user == NULL)
			goto nomem;
		if (colon != NULL) {
			tmp = dup_range(colon + 1, (size_t)(at - colon - 1));
			if (tmp == NULL)
				goto nomem;
			u->password = url_percent_decode(tmp);
			secret_free(tmp);
			if (u->password == NULL)
				goto nomem;
		}
		rest = at + 1;
	}
	u->host = dup_range(rest, (size_t)(slash - rest));
	tmp = *slash ? strdup(slash + 1) : strdup("");
	if (u->host == NULL || tmp == NULL) {
		free(tmp);
		goto nomem;
	}
	u->path = url_percent_decode(tmp);
	free(tmp);
	if (u->path == NULL)
		goto nomem;
	return 0;
nomem:
	url_release(u);
	return err_set(err, E_GENERIC, "out of memory");
}

void
url_release(struct url *u)
{
	free(u->scheme);
	free(u->user);
	secret_free(u->password);
	free(u->host);
	free(u->path);
	secret_free(u->raw);
	memset(u, 0, sizeof(*u));
}

char *
url_redact(const char *s, char *out, size_t outsz)
{
	const char *sep = strstr(s, "://");
	const char *rest, *slash, *at = NULL, *colon;

	if (outsz == 0)
		return out;
	if (sep == NULL) {
		snprintf(out, outsz, "%s", s);
		return out;
	}
	rest = sep + 3;
	slash = strchr(rest, '/');
	if (slash == NULL)
		slash = rest + strlen(rest);
	for (const char *p = rest; p < slash; p++)
		if (*p == '@')
			at = p;
	colon = at ? memchr(rest, ':', (size_t)(at - rest)) : NULL;
	if (colon == NULL) {
		snprintf(out, outsz, "%s", s);
		return out;
	}
	snprintf(out, outsz, "%.*s:***%s", (int)(colon - s), s, at);
	return out;
}
