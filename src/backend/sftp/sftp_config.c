/*
 * The part of ssh_config(5) the sftp:// backend honours, as duplicity's
 * backend takes it from paramiko: HostName, User, Port and IdentityFile of
 * the blocks that match the URL's host.  The file is the user's own (or
 * the system's), read line by line with a cap on the line length; the
 * rules for which value counts are ssh(1)'s (readconf.c): the first one
 * obtained wins, IdentityFile values add up, Include reads other files in
 * place, a Match block other than "Match all" is passed over since its
 * conditions (exec, user, ...) are beyond this subset.
 */
#define _DEFAULT_SOURCE
#include "backend/sftp/sftp_parse.h"

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"
#include "util/parse.h"

#define LINE_MAX_BYTES (16 * 1024)
#define INCLUDE_DEPTH_MAX 16

/* One file being read. */
struct cfgfile {
	FILE *f;
	const char *name;
	unsigned line;
	bool sys;
	unsigned depth;
};

static int parse_file(struct cfgfile *, const char *,
    const struct sftp_cfgctx *, struct sftp_hostcfg *, struct dupc_err *);

void
sftp_hostcfg_release(struct sftp_hostcfg *c)
{
	free(c->hostname);
	free(c->user);
	sftp_files_release(&c->identity);
	memset(c, 0, sizeof(*c));
}

static int cfg_error(const struct cfgfile *, struct dupc_err *, const char *,
    ...) __attribute__((format(printf, 3, 4)));

/* An error naming the file and the line being read. */
static int
cfg_error(const struct cfgfile *cf, struct dupc_err *err, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return err_set(err, E_USER_ERROR, "%s line %u: %s", cf->name, cf->line,
	    what);
}

/*
 * The next line into ${buf} (LINE_MAX_BYTES + 1), without its newline;
 * a NUL byte ends the line's text.  1 with a line, 0 at the end, -1 (an
 * error set) when the line is too long or the file cannot be read.
 */
static int
read_line(struct cfgfile *cf, char *buf, struct dupc_err *err)
{
	size_t n = 0;
	int c;

	while ((c = getc(cf->f)) != EOF && c != '\n') {
		if (n == LINE_MAX_BYTES) {
			cf->line++;
			return cfg_error(cf, err,
			    "line longer than 16 KiB (is this an ssh_config file?)");
		}
		buf[n++] = (char)c;
	}
	if (ferror(cf->f))
		return err_errno(err, E_USER_ERROR, "cannot read %s", cf->name);
	if (c == EOF && n == 0)
		return 0;
	buf[n] = '\0';
	cf->line++;
	return 1;
}

/* ssh's match_pattern: '*' any run, '?' one byte, case ignored. */
static bool
pattern_match(const char *s, const char *p)
{
	for (; *p != '\0'; p++, s++) {
		if (*p == '*') {
			while (p[1] == '*')
				p++;
			if (p[1] == '\0')
				return true;
			for (; *s != '\0'; s++)
				if (pattern_match(s, p + 1))
					return true;
			return false;
		}
		if (*s == '\0')
			return false;
		if (*p != '?' &&
		    tolower((unsigned char)*p) != tolower((unsigned char)*s))
			return false;
	}
	return *s == '\0';
}

/* The words of ${args} (a trailing # comment dropped) into ${av}; their
 * count, or -1 on an unterminated quote.  ${w} has room for ${args}. */
static int
split_args(const char *args, char *w, char **av, int max)
{
	const char *s = args;
	int n = 0, r;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '#' || *s == '\0')
			return n;
		r = sftp_word(&s, w);
		if (r < 0)
			return -1;
		if (r == 0)
			return n;
		if (n < max)
			av[n++] = w;
		w += strlen(w) + 1;
	}
}

/* Does "Host ARGS" apply to ${host}?  A negated match wins. */
static bool
host_applies(char **av, int ac, const char *host)
{
	bool hit = false;
	int i;

	for (i = 0; i < ac; i++) {
		if (av[i][0] == '!') {
			if (pattern_match(host, av[i] + 1))
				return false;
		} else if (pattern_match(host, av[i])) {
			hit = true;
		}
	}
	return hit;
}

/* "Match all" (also with canonical or final) applies; any other does
 * not, since its conditions are not evaluated here. */
static bool
match_applies(char **av, int ac)
{
	bool all = false;
	int i;

	for (i = 0; i < ac; i++) {
		if (strcasecmp(av[i], "all") == 0)
			all = true;
		else if (strcasecmp(av[i], "canonical") != 0 &&
			 strcasecmp(av[i], "final") != 0)
			return false;
	}
	return all;
}

static int
include_one(struct cfgfile *cf, const char *path, const char *host,
    const struct sftp_cfgctx *ctx, struct sftp_hostcfg *c, struct dupc_err *err)
{
	struct cfgfile sub = { NULL, path, 0, cf->sys, cf->depth + 1 };
	int rc;

	sub.f = fopen(path, "re");
	if (sub.f == NULL) {
		if (errno == ENOENT || errno == EISDIR)
			return 0;
		return err_errno(err, E_USER_ERROR,
		    "%s line %u: cannot read %s", cf->name, cf->line, path);
	}
	rc = parse_file(&sub, host, ctx, c, err);
	fclose(sub.f);
	return rc;
}

/* Include PATTERN...: each file the glob finds, in its sorted order. */
static int
include(struct cfgfile *cf, char **av, int ac, const char *host,
    const struct sftp_cfgctx *ctx, struct sftp_hostcfg *c, struct dupc_err *err)
{
	char path[4096];
	glob_t g;
	size_t j;
	int i, rc = 0, gr;

	if (ctx->no_include)
		return cfg_error(cf, err, "Include is not allowed here");
	if (cf->depth >= INCLUDE_DEPTH_MAX)
		return cfg_error(cf, err, "Include nested more than 16 deep");
	for (i = 0; i < ac && rc == 0; i++) {
		if (av[i][0] == '~' && (av[i][1] == '/' || av[i][1] == '\0'))
			snprintf(path, sizeof(path), "%s%s", ctx->home,
			    av[i] + 1);
		else if (av[i][0] == '/')
			snprintf(path, sizeof(path), "%s", av[i]);
		else if (cf->sys)
			snprintf(path, sizeof(path), "%s/%s", ctx->sys_dir,
			    av[i]);
		else
			snprintf(path, sizeof(path), "%s/.ssh/%s", ctx->home,
			    av[i]);
		gr = glob(path, 0, NULL, &g);
		if (gr == GLOB_NOMATCH)
			continue;
		if (gr != 0)
			return cfg_error(cf, err, "cannot expand Include %s",
			    av[i]);
		for (j = 0; j < g.gl_pathc && rc == 0; j++)
			rc = include_one(cf, g.gl_pathv[j], host, ctx, c, err);
		globfree(&g);
	}
	return rc;
}

static int
keep_str(char **dst, const char *v)
{
	if (*dst != NULL)
		return 0; /* the first value wins */
	*dst = strdup(v);
	return *dst == NULL ? -1 : 0;
}

/* One keyword of an active block. */
static int
keyword(struct cfgfile *cf, const char *key, char **av, int ac,
    struct sftp_hostcfg *c, struct dupc_err *err)
{
	long port;
	bool one = strcasecmp(key, "HostName") == 0 ||
		   strcasecmp(key, "User") == 0 ||
		   strcasecmp(key, "Port") == 0 ||
		   strcasecmp(key, "IdentityFile") == 0;

	if (!one)
		return 0; /* ssh's business, not this subset's */
	if (ac == 0)
		return cfg_error(cf, err, "%s has no value", key);
	if (ac > 1)
		return cfg_error(cf, err, "%s takes one value", key);
	if (strcasecmp(key, "Port") == 0) {
		if (parse_int_range(av[0], 1, 65535, &port) < 0)
			return cfg_error(cf, err,
			    "bad port '%.64s' (1 to 65535)", av[0]);
		if (c->port == 0)
			c->port = (int)port;
		return 0;
	}
	if (strcasecmp(key, "IdentityFile") == 0) {
		/* ssh keeps up to 100; more than 16 are passed over */
		if (c->identity.n < SFTP_FILES_MAX &&
		    sftp_files_add(&c->identity, av[0]) < 0)
			return err_set(err, E_GENERIC, "out of memory");
		return 0;
	}
	if (keep_str(strcasecmp(key, "User") == 0 ? &c->user : &c->hostname,
		av[0]) < 0)
		return err_set(err, E_GENERIC, "out of memory");
	return 0;
}

/* "Key value", "Key=value" or "Key = value": the key into ${key}, and a
 * pointer to the arguments. */
static const char *
split_key(const char *s, char *key, size_t keysz)
{
	size_t k;

	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	k = strcspn(s, " \t\r=");
	if (k >= keysz)
		k = keysz - 1;
	memcpy(key, s, k);
	key[k] = '\0';
	s += strcspn(s, " \t\r=");
	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	if (*s == '=')
		s++;
	return s;
}

static int
parse_line(struct cfgfile *cf, const char *line, char *words, bool *active,
    const char *host, const struct sftp_cfgctx *ctx, struct sftp_hostcfg *c,
    struct dupc_err *err)
{
	char key[64], *av[64];
	const char *args = split_key(line, key, sizeof(key));
	int ac;

	if (key[0] == '\0' || key[0] == '#')
		return 0;
	ac = split_args(args, words, av, 64);
	if (ac < 0)
		return cfg_error(cf, err, "a quote is not closed");
	if (strcasecmp(key, "Host") == 0) {
		if (ac == 0)
			return cfg_error(cf, err, "Host has no pattern");
		*active = host_applies(av, ac, host);
		return 0;
	}
	if (strcasecmp(key, "Match") == 0) {
		*active = match_applies(av, ac);
		return 0;
	}
	if (!*active)
		return 0;
	if (strcasecmp(key, "Include") == 0) {
		if (ac == 0)
			return cfg_error(cf, err, "Include has no file");
		return include(cf, av, ac, host, ctx, c, err);
	}
	return keyword(cf, key, av, ac, c, err);
}

static int
parse_file(struct cfgfile *cf, const char *host, const struct sftp_cfgctx *ctx,
    struct sftp_hostcfg *c, struct dupc_err *err)
{
	char *line = malloc(LINE_MAX_BYTES + 1);
	char *words = malloc(LINE_MAX_BYTES + 1);
	bool active = true;
	int r = 0, rc = 0;

	if (line == NULL || words == NULL) {
		rc = err_set(err, E_GENERIC, "out of memory");
		goto out;
	}
	while (rc == 0 && (r = read_line(cf, line, err)) == 1)
		rc = parse_line(cf, line, words, &active, host, ctx, c, err);
	if (rc == 0 && r < 0)
		rc = -1;
out:
	free(line);
	free(words);
	return rc;
}

int
sftp_config_parse(FILE *f, const char *name, const char *host, bool sys,
    const struct sftp_cfgctx *ctx, struct sftp_hostcfg *c, struct dupc_err *err)
{
	struct cfgfile cf = { f, name, 0, sys, 0 };

	return parse_file(&cf, host, ctx, c, err);
}

int
sftp_config_read(const char *path, const char *host, bool sys,
    const struct sftp_cfgctx *ctx, struct sftp_hostcfg *c, struct dupc_err *err)
{
	FILE *f = fopen(path, "re");
	int rc;

	if (f == NULL) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return err_errno(err, E_USER_ERROR, "cannot read %s", path);
	}
	rc = sftp_config_parse(f, path, host, sys, ctx, c, err);
	fclose(f);
	return rc;
}
