/*
 * The sftp:// backend's reading of what the user typed: the host part of
 * the URL and the words of --ssh-options (as ssh(1) reads its own command
 * line), the % tokens of ssh_config values, and base64 for fingerprints.
 * No network and no SSH library here; sftp_config.c reads ~/.ssh/config.
 */
#include "backend/sftp/sftp_parse.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"
#include "util/parse.h"

/* The longest list of ignored words kept for the warning. */
#define IGNORED_MAX 400

int
sftp_files_add(struct sftp_files *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 0;
	if (l->n == SFTP_FILES_MAX)
		return -1;
	l->v[l->n] = strdup(s);
	if (l->v[l->n] == NULL)
		return -1;
	l->n++;
	return 0;
}

void
sftp_files_release(struct sftp_files *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	l->n = 0;
}

static int
parse_port(const char *s, int *port)
{
	long v;

	if (parse_int_range(s, 1, 65535, &v) < 0)
		return -1;
	*port = (int)v;
	return 0;
}

int
sftp_split_host(const char *s, char **host, int *port, struct dupc_err *err)
{
	const char *end, *colon = NULL;
	char *h;
	int p = 0;

	if (s[0] == '[') {
		end = strchr(s, ']');
		if (end == NULL || end == s + 1 ||
		    (end[1] != '\0' && end[1] != ':'))
			return err_set(err, E_BAD_URL,
			    "bad host '%s' in the URL: expected [address] or [address]:port",
			    s);
		if (end[1] == ':')
			colon = end + 1;
		h = strndup(s + 1, (size_t)(end - s - 1));
	} else {
		colon = strrchr(s, ':');
		if (colon != NULL && strchr(s, ':') != colon)
			return err_set(err, E_BAD_URL,
			    "bad host '%s' in the URL: write an IPv6 address in brackets, [address]:port",
			    s);
		end = colon != NULL ? colon : s + strlen(s);
		if (end == s || memchr(s, ']', (size_t)(end - s)) != NULL)
			return err_set(err, E_BAD_URL,
			    "bad URL: no host name before the path (sftp://[user@]host[:port]/path)");
		h = strndup(s, (size_t)(end - s));
	}
	if (h == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	if (colon != NULL && parse_port(colon + 1, &p) < 0) {
		free(h);
		return err_set(err, E_BAD_URL,
		    "bad port '%s' in the URL: expected a number from 1 to 65535",
		    colon + 1);
	}
	*host = h;
	*port = p;
	return 0;
}

/* ---- words ------------------------------------------------------------ */

int
sftp_word(const char **sp, char *out)
{
	const char *s = *sp;
	size_t o = 0;
	char q = 0;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (*s == '\0') {
		*sp = s;
		return 0;
	}
	for (; *s != '\0'; s++) {
		if (q == 0 &&
		    (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
			break;
		if (q == 0 && (*s == '\'' || *s == '"')) {
			q = *s;
		} else if (q != 0 && *s == q) {
			q = 0;
		} else if (*s == '\\' && q != '\'' && s[1] != '\0' &&
			   (q == 0 || strchr("\"\\$`", s[1]) != NULL)) {
			out[o++] = *++s;
		} else {
			out[o++] = *s;
		}
	}
	out[o] = '\0';
	*sp = s;
	return q != 0 ? -1 : 1;
}

/* ---- --ssh-options ---------------------------------------------------- */

void
sftp_sshopts_init(struct sftp_sshopts *o)
{
	memset(o, 0, sizeof(*o));
	o->compression = -1;
	o->identities_only = -1;
	o->batch_mode = -1;
}

void
sftp_sshopts_release(struct sftp_sshopts *o)
{
	sftp_files_release(&o->identity);
	sftp_files_release(&o->user_known);
	sftp_files_release(&o->global_known);
	free(o->user);
	free(o->hostname);
	free(o->config_file);
	free(o->ignored);
	sftp_sshopts_init(o);
}

/* Remember ${a} (and ${b}) as words dupc does not use. */
static int
ignore(struct sftp_sshopts *o, const char *a, const char *b)
{
	size_t have = o->ignored ? strlen(o->ignored) : 0;
	size_t need = strlen(a) + (b ? strlen(b) + 1 : 0) + 1;
	char *p;

	if (have + need > IGNORED_MAX)
		return 0; /* the warning names the first ones */
	p = realloc(o->ignored, have + need + 1);
	if (p == NULL)
		return -1;
	snprintf(p + have, need + 1, "%s%s%s%s", have ? " " : "", a,
	    b ? " " : "", b ? b : "");
	o->ignored = p;
	return 0;
}

static int
bad_opt(struct dupc_err *err, const char *what, const char *val,
    const char *want)
{
	return err_set(err, E_COMMAND_LINE,
	    "bad --ssh-options value '%s' for %s: expected %s", val, what,
	    want);
}

static int
yes_no(const char *v, int *out)
{
	if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0)
		*out = 1;
	else if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

static int
set_str(char **dst, const char *v)
{
	char *p = strdup(v);

	if (p == NULL)
		return -1;
	free(*dst);
	*dst = p;
	return 0;
}

/*
 * UserKnownHostsFile and GlobalKnownHostsFile: one file per option, as
 * duplicity reads them (a quoted path may hold blanks); repeated options
 * add files, the first being where new keys go; "none" is no file.
 */
static int
known_file(struct sftp_files *l, bool *set, const char *key, const char *v,
    struct dupc_err *err)
{
	*set = true;
	if (strcasecmp(v, "none") == 0)
		return 0;
	if (sftp_files_add(l, v) < 0)
		return bad_opt(err, key, v, "at most 16 files");
	return 0;
}

static int
seconds(const char *key, const char *v, int *out, struct dupc_err *err)
{
	long n;

	if (parse_int_range(v, 0, 86400, &n) < 0)
		return bad_opt(err, key, v, "a number of seconds");
	*out = (int)n;
	return 0;
}

static int
flag(const char *key, const char *v, int *out, struct dupc_err *err)
{
	if (yes_no(v, out) < 0)
		return bad_opt(err, key, v, "yes or no");
	return 0;
}

static int
strict_value(const char *v, enum sftp_strict *out)
{
	if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "ask") == 0 ||
	    strcasecmp(v, "true") == 0)
		*out = SFTP_STRICT_YES;
	else if (strcasecmp(v, "accept-new") == 0)
		*out = SFTP_STRICT_ACCEPT_NEW;
	else if (strcasecmp(v, "no") == 0 || strcasecmp(v, "off") == 0 ||
		 strcasecmp(v, "false") == 0)
		*out = SFTP_STRICT_NO;
	else
		return -1;
	return 0;
}

/* One -o option, "Key=Value" or "Key Value"; ${wa} and ${wb} (may be
 * NULL) as given, for the warning. */
static int
dash_o(struct sftp_sshopts *o, const char *opt, const char *wa, const char *wb,
    struct dupc_err *err)
{
	char key[64];
	const char *v;
	size_t k = strcspn(opt, "= \t");

	if (k == 0 || k >= sizeof(key))
		return ignore(o, wa, wb) < 0
			   ? err_set(err, E_GENERIC, "out of memory")
			   : 0;
	memcpy(key, opt, k);
	key[k] = '\0';
	v = opt + k;
	while (*v == ' ' || *v == '\t')
		v++;
	if (*v == '=')
		v++;
	while (*v == ' ' || *v == '\t')
		v++;
	if (*v == '\0')
		return err_set(err, E_COMMAND_LINE,
		    "bad --ssh-options: -o%s has no value (write -o%s=VALUE)",
		    key, key);
	if (strcasecmp(key, "IdentityFile") == 0) {
		if (sftp_files_add(&o->identity, v) < 0)
			return bad_opt(err, key, v,
			    "at most 16 identity files");
	} else if (strcasecmp(key, "UserKnownHostsFile") == 0) {
		return known_file(&o->user_known, &o->user_known_set, key, v,
		    err);
	} else if (strcasecmp(key, "GlobalKnownHostsFile") == 0) {
		return known_file(&o->global_known, &o->global_known_set, key,
		    v, err);
	} else if (strcasecmp(key, "StrictHostKeyChecking") == 0) {
		if (strict_value(v, &o->strict) < 0)
			return bad_opt(err, key, v, "yes, accept-new or no");
	} else if (strcasecmp(key, "Port") == 0) {
		if (parse_port(v, &o->port) < 0)
			return bad_opt(err, key, v, "a port from 1 to 65535");
	} else if (strcasecmp(key, "User") == 0) {
		if (set_str(&o->user, v) < 0)
			return err_set(err, E_GENERIC, "out of memory");
	} else if (strcasecmp(key, "HostName") == 0) {
		if (set_str(&o->hostname, v) < 0)
			return err_set(err, E_GENERIC, "out of memory");
	} else if (strcasecmp(key, "ConnectTimeout") == 0) {
		return seconds(key, v, &o->connect_timeout, err);
	} else if (strcasecmp(key, "Compression") == 0) {
		return flag(key, v, &o->compression, err);
	} else if (strcasecmp(key, "IdentitiesOnly") == 0) {
		return flag(key, v, &o->identities_only, err);
	} else if (strcasecmp(key, "BatchMode") == 0) {
		return flag(key, v, &o->batch_mode, err);
	} else if (ignore(o, wa, wb) < 0) {
		return err_set(err, E_GENERIC, "out of memory");
	}
	return 0;
}

/* ssh(1)'s options that take a value, and those that do not. */
static const char with_arg[] = "BbcDEeFIiJLlmOoPpQRSWw";
static const char no_arg[] = "46AaCfGgKkMNnqsTtVvXxYy";

/* The value of option ${c} in word ${w}: the rest of it, or the next word
 * (read into ${next}).  NULL when there is none. */
static const char *
option_value(const char *w, const char **sp, char *next)
{
	if (w[2] != '\0')
		return w + 2;
	return sftp_word(sp, next) == 1 ? next : NULL;
}

/* One word starting with '-': an option with a value, or flags. */
static int
dash_word(struct sftp_sshopts *o, const char *w, const char **sp, char *next,
    struct dupc_err *err)
{
	const char *v;
	char opt[3] = { '-', w[1], '\0' };
	size_t i;

	if (w[1] != '\0' && strchr(with_arg, w[1]) != NULL) {
		v = option_value(w, sp, next);
		if (v == NULL)
			return err_set(err, E_COMMAND_LINE,
			    "bad --ssh-options: %s needs a value", opt);
		switch (w[1]) {
		case 'o':
			return dash_o(o, v, w[2] ? w : opt, w[2] ? NULL : v,
			    err);
		case 'i':
			if (sftp_files_add(&o->identity, v) < 0)
				return bad_opt(err, "-i", v,
				    "at most 16 identity files");
			return 0;
		case 'p':
		case 'P':
			if (parse_port(v, &o->port) < 0)
				return bad_opt(err, opt, v,
				    "a port from 1 to 65535");
			return 0;
		case 'l':
			return set_str(&o->user, v) < 0
				   ? err_set(err, E_GENERIC, "out of memory")
				   : 0;
		case 'F':
			return set_str(&o->config_file, v) < 0
				   ? err_set(err, E_GENERIC, "out of memory")
				   : 0;
		default:
			return ignore(o, opt, v) < 0
				   ? err_set(err, E_GENERIC, "out of memory")
				   : 0;
		}
	}
	for (i = 1; w[i] != '\0'; i++)
		if (strchr(no_arg, w[i]) == NULL)
			break;
	if (i == 1 || w[i] != '\0')
		return ignore(o, w, NULL) < 0
			   ? err_set(err, E_GENERIC, "out of memory")
			   : 0;
	if (strchr(w, 'C') != NULL)
		o->compression = 1;
	/* any other flag is one dupc has no use for */
	if (strspn(w + 1, "C") != strlen(w + 1) && ignore(o, w, NULL) < 0)
		return err_set(err, E_GENERIC, "out of memory");
	return 0;
}

int
sftp_sshopts_parse(struct sftp_sshopts *o, const char *text,
    struct dupc_err *err)
{
	size_t n = strlen(text) + 1;
	char *w = malloc(n), *next = malloc(n);
	const char *s = text;
	int r, rc = 0;

	if (w == NULL || next == NULL) {
		rc = err_set(err, E_GENERIC, "out of memory");
		goto out;
	}
	while ((r = sftp_word(&s, w)) == 1) {
		if (w[0] == '-' && w[1] != '\0')
			rc = dash_word(o, w, &s, next, err);
		else if (ignore(o, w, NULL) < 0)
			rc = err_set(err, E_GENERIC, "out of memory");
		if (rc < 0)
			goto out;
	}
	if (r < 0)
		rc = err_set(err, E_COMMAND_LINE,
		    "bad --ssh-options: a quote is not closed in '%s'", text);
out:
	free(w);
	free(next);
	return rc;
}

/* ---- % tokens --------------------------------------------------------- */

/* Append ${n} bytes of ${s} to the growing string *${p}. */
static int
append(char **p, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t c = (*len + n + 1) * 2;
		char *q = realloc(*p, c);

		if (q == NULL)
			return -1;
		*p = q;
		*cap = c;
	}
	memcpy(*p + *len, s, n);
	*len += n;
	(*p)[*len] = '\0';
	return 0;
}

static const char *
token_value(char c, const struct sftp_tokens *t, char *num, size_t numsz)
{
	switch (c) {
	case 'd':
		return t->home;
	case 'u':
		return t->luser;
	case 'h':
		return t->host;
	case 'r':
		return t->ruser;
	case 'p':
		snprintf(num, numsz, "%d", t->port);
		return num;
	case '%':
		return "%";
	default:
		return NULL;
	}
}

int
sftp_expand(const char *s, const struct sftp_tokens *t, bool tilde, char **out,
    struct dupc_err *err)
{
	char *p = NULL, num[16];
	size_t len = 0, cap = 0;
	const char *v, *orig = s;

	if (append(&p, &len, &cap, "", 0) < 0)
		goto nomem;
	if (tilde && s[0] == '~') {
		if (s[1] != '\0' && s[1] != '/') {
			free(p);
			return err_set(err, E_USER_ERROR,
			    "'%s': ~user is not supported, write the path in full",
			    orig);
		}
		if (t->home == NULL ||
		    append(&p, &len, &cap, t->home, strlen(t->home)) < 0)
			goto nomem;
		s++;
	}
	for (; *s != '\0'; s++) {
		if (*s != '%') {
			if (append(&p, &len, &cap, s, 1) < 0)
				goto nomem;
			continue;
		}
		v = s[1] != '\0' ? token_value(s[1], t, num, sizeof(num))
				 : NULL;
		if (v == NULL) {
			free(p);
			return err_set(err, E_USER_ERROR,
			    "'%s': unsupported token '%%%.1s' (dupc knows %%d %%u %%h %%r %%p %%%%)",
			    orig, s + 1);
		}
		if (append(&p, &len, &cap, v, strlen(v)) < 0)
			goto nomem;
		s++;
	}
	*out = p;
	return 0;
nomem:
	free(p);
	return err_set(err, E_GENERIC, "out of memory");
}

/* ---- base64 ----------------------------------------------------------- */

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
sftp_base64_encode(const void *in, size_t n, char *out, size_t outsz)
{
	const unsigned char *p = in;
	size_t i, o = 0;

	if (outsz < (n * 4 + 2) / 3 + 1)
		return NULL;
	for (i = 0; i + 2 < n; i += 3) {
		out[o++] = b64[p[i] >> 2];
		out[o++] = b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		out[o++] = b64[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		out[o++] = b64[p[i + 2] & 63];
	}
	if (i < n) {
		out[o++] = b64[p[i] >> 2];
		if (i + 1 < n) {
			out[o++] = b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
			out[o++] = b64[(p[i + 1] & 15) << 2];
		} else {
			out[o++] = b64[(p[i] & 3) << 4];
		}
	}
	out[o] = '\0';
	return out;
}
