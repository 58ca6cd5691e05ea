/*
 * The AWS shared files, ~/.aws/credentials and ~/.aws/config, as the AWS
 * tools read them: "[section]" lines, "key = value" lines, comments
 * starting with '#' or ';', and a nested block ("s3 =" followed by
 * indented "key = value" lines) for per-service settings.  Only the keys
 * dupc uses are kept; others are passed over, and a profile that gets
 * its keys some other way (a credential process, SSO, an assumed role)
 * is marked so the error can say dupc does not follow it.  The files are
 * the user's own, but a parser is a parser: lines are bounded, the file
 * is capped at S3_INI_MAX, and the text, which holds secrets, is wiped.
 */
#define _DEFAULT_SOURCE
#include "backend/s3/s3_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/err.h"
#include "util/secret.h"
#include "util/stream.h"

#define LINE_MAX_LEN 4096

static bool
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* ${p}..${e} without surrounding blanks. */
static void
trim(const char **p, const char **e)
{
	while (*p < *e && is_space((unsigned char)**p))
		(*p)++;
	while (*e > *p && is_space((unsigned char)(*e)[-1]))
		(*e)--;
}

static bool
word_is(const char *p, const char *e, const char *w)
{
	size_t n = strlen(w);

	return (size_t)(e - p) == n && strncasecmp(p, w, n) == 0;
}

/* Keep the first value seen of a key. */
static int
keep(char **dst, const char *p, const char *e, bool secret)
{
	char *v;

	if (*dst != NULL)
		return 0;
	v = strndup(p, (size_t)(e - p));
	if (v == NULL)
		return -1;
	if (secret) {
		*dst = secret_dup(v);
		secret_free(v);
		return *dst != NULL ? 0 : -1;
	}
	*dst = v;
	return 0;
}

/* A key of the section (top level, or in the nested block ${nest}). */
static int
take(struct s3_profile *pr, const char *nest, const char *k, const char *ke,
    const char *v, const char *ve)
{
	if (nest != NULL) {
		if (strcasecmp(nest, "s3") != 0)
			return 0;
		if (word_is(k, ke, "endpoint_url"))
			return keep(&pr->endpoint_url, v, ve, false);
		if (word_is(k, ke, "addressing_style"))
			return keep(&pr->addressing, v, ve, false);
		return 0;
	}
	if (word_is(k, ke, "aws_access_key_id"))
		return keep(&pr->access_key, v, ve, false);
	if (word_is(k, ke, "aws_secret_access_key"))
		return keep(&pr->secret_key, v, ve, true);
	if (word_is(k, ke, "aws_session_token"))
		return keep(&pr->session_token, v, ve, true);
	if (word_is(k, ke, "region"))
		return keep(&pr->region, v, ve, false);
	if (word_is(k, ke, "endpoint_url"))
		return keep(&pr->endpoint_url, v, ve, false);
	if (word_is(k, ke, "credential_process") ||
	    word_is(k, ke, "role_arn") || word_is(k, ke, "sso_session") ||
	    word_is(k, ke, "sso_start_url") ||
	    word_is(k, ke, "web_identity_token_file"))
		pr->other_source = true;
	return 0;
}

/* The state of a parse: which section and nested block we are in. */
struct ini_state {
	bool in_section; /* the wanted one */
	char nest[32];   /* the open nested block, or "" */
	unsigned lineno;
};

static int
bad_line(struct dupc_err *err, unsigned lineno, const char *why)
{
	return err_set(err, E_USER_ERROR, "line %u: %s", lineno, why);
}

static int
one_line(struct ini_state *st, const char *p, const char *e,
    const char *section, struct s3_profile *pr, struct dupc_err *err)
{
	bool indented = p < e && is_space((unsigned char)*p);
	const char *eq, *k, *ke, *v, *ve;

	trim(&p, &e);
	if (p == e || *p == '#' || *p == ';')
		return 0;
	if (*p == '[') {
		if (e[-1] != ']' || e - p < 3)
			return bad_line(err, st->lineno,
			    "a section without ']'");
		p++;
		e--;
		trim(&p, &e);
		st->in_section = (size_t)(e - p) == strlen(section) &&
				 memcmp(p, section, (size_t)(e - p)) == 0;
		if (st->in_section)
			pr->found = true;
		st->nest[0] = '\0';
		return 0;
	}
	eq = memchr(p, '=', (size_t)(e - p));
	if (eq == NULL)
		return bad_line(err, st->lineno,
		    "neither 'key = value' nor '[section]'");
	k = p;
	ke = eq;
	v = eq + 1;
	ve = e;
	trim(&k, &ke);
	trim(&v, &ve);
	if (k == ke)
		return bad_line(err, st->lineno, "a value without a key");
	if (!indented)
		st->nest[0] = '\0';
	if (!st->in_section)
		goto nested;
	if (v == ve && !indented) {
		/* "s3 =": the block of indented lines that follows */
		snprintf(st->nest, sizeof(st->nest), "%.*s",
		    (int)(ke - k < 31 ? ke - k : 31), k);
		return 0;
	}
	if (take(pr, indented && st->nest[0] ? st->nest : NULL, k, ke, v, ve) <
	    0)
		return err_set(err, E_GENERIC, "out of memory");
	return 0;
nested:
	if (v == ve && !indented)
		snprintf(st->nest, sizeof(st->nest), "%.*s",
		    (int)(ke - k < 31 ? ke - k : 31), k);
	return 0;
}

int
s3_ini_parse(const char *text, size_t len, const char *section,
    struct s3_profile *pr, struct dupc_err *err)
{
	struct ini_state st;
	const char *p = text, *end = text + len;

	memset(&st, 0, sizeof(st));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl != NULL ? nl : end;

		st.lineno++;
		if (e - p > LINE_MAX_LEN)
			return bad_line(err, st.lineno, "line too long");
		if (memchr(p, '\0', (size_t)(e - p)) != NULL)
			return bad_line(err, st.lineno, "a NUL byte");
		if (one_line(&st, p, e, section, pr, err) < 0)
			return -1;
		p = nl != NULL ? nl + 1 : end;
	}
	return 0;
}

int
s3_ini_read(const char *path, const char *section, struct s3_profile *pr,
    struct dupc_err *err)
{
	struct stat sb;
	char *text = NULL;
	size_t got = 0;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return err_errno(err, E_USER_ERROR, "cannot read %s", path);
	}
	if (fstat(fd, &sb) < 0) {
		err_errno(err, E_USER_ERROR, "cannot read %s", path);
		goto out;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size > (off_t)S3_INI_MAX) {
		err_set(err, E_USER_ERROR,
		    "%s is not a regular file of at most %u bytes", path,
		    S3_INI_MAX);
		goto out;
	}
	text = malloc((size_t)sb.st_size + 1);
	if (text == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		goto out;
	}
	if (read_full(fd, text, (size_t)sb.st_size, &got) < 0) {
		err_errno(err, E_USER_ERROR, "cannot read %s", path);
		goto out;
	}
	if (s3_ini_parse(text, got, section, pr, err) < 0) {
		err_prefix(err, "%s", path);
		goto out;
	}
	rc = 0;
out:
	if (text != NULL) {
		secret_wipe(text, (size_t)sb.st_size + 1);
		free(text);
	}
	close(fd);
	return rc;
}

void
s3_profile_release(struct s3_profile *pr)
{
	free(pr->access_key);
	secret_free(pr->secret_key);
	secret_free(pr->session_token);
	free(pr->region);
	free(pr->endpoint_url);
	free(pr->addressing);
	memset(pr, 0, sizeof(*pr));
}
