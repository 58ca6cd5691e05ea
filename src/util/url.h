#ifndef DUPC_UTIL_URL_H
#define DUPC_UTIL_URL_H

/*
 * Backend URLs in duplicity's shape: scheme://[user[:password]@]host/path.
 * Nothing printed by dupc shows a password: every URL reaching a message
 * goes through url_redact().
 */

#include <stdbool.h>
#include <stddef.h>

struct dupc_err;

struct url {
	char *scheme;   /* lower-case, e.g. "file", "mf" */
	char *user;     /* percent-decoded, or NULL */
	char *password; /* percent-decoded, or NULL (wiped on release) */
	char *host;     /* or "" */
	char *path;     /* percent-decoded; for file:// the local path */
	char *raw;      /* the whole URL as given (wrappers such as par2+
			 * open the URL inside it; wiped on release) */
};

/* url_looks_like(s): true when ${s} contains "://" (duplicity's test). */
bool url_looks_like(const char *);

/*
 * url_parse(u, s, err):
 * Split ${s}.  For file://, everything after "file://" is the path
 * (file:///abs -> "/abs", file://rel -> "rel").  Code E_BAD_URL on error.
 */
int url_parse(struct url *, const char *, struct dupc_err *);

/* url_release(u): free the parts (wiping the password). */
void url_release(struct url *);

/*
 * url_redact(s, out, outsz):
 * Copy URL ${s} into ${out}, replacing any password with "***".
 */
char *url_redact(const char *, char *, size_t);

/* url_percent_decode(s): a newly allocated decoded copy, or NULL. */
char *url_percent_decode(const char *);

#endif
