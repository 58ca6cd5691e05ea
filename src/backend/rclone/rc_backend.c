/*
 * The rclone:// backend: any of rclone's storage services (Google Drive,
 * OneDrive, S3, SFTP, ...), reached by running Debian's rclone as a child
 * (util/child.c), one command per operation.  The URL is
 * rclone://REMOTE:PATH, the remote defined in rclone's own configuration:
 * its config file (RCLONE_CONFIG, or rclone's default) or RCLONE_CONFIG_*
 * variables, all passed to rclone untouched.  deja-dup 46 and later send
 * rclone://dejadupdrive:FOLDER with the remote in such variables.  The
 * path is passed as written: rclone://r:/abs is r:/abs (duplicity 0.8.22
 * turns it into r:abs, which for a local remote is relative).  dupc's
 * own secrets (FTP_PASSWORD, PASSPHRASE, SIGN_PASSPHRASE) are kept out
 * of rclone's environment, and nothing secret is on its command line.
 *
 * Operations: list is `lsjson --files-only`, its output read as it comes
 * (rc_lsjson.c); get is `cat`; remove is `deletefile`; size is `lsjson`
 * of the object.  put is atomic: `rcat --size N` from a pipe to a
 * temporary name, then `moveto` over the real name (a rename where the
 * remote can move server-side: local, SFTP, Drive, OneDrive; a copy and
 * delete on the others), so a cut upload never leaves a partial object
 * under its name.  rclone's own retries are turned off (--retries 1):
 * the retry layer decides, and a refused certificate or login is one
 * error at once.
 */
#define _DEFAULT_SOURCE
#include "backend/rclone/rc_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "backend/backend.h"
#include "util/buf.h"
#include "util/child.h"
#include "util/digest.h"
#include "util/err.h"
#include "util/interrupt.h"
#include "util/log.h"
#include "util/stream.h"
#include "util/url.h"

extern const struct backend_ops rclone_backend_ops;

#define TEMP_PREFIX ".dupc-part."
#define ARGS_MAX 24

struct rc_backend {
	struct backend base;
	char *exe;    /* rclone, or --rclone-executable */
	char *remote; /* "remote:path", as written */
	unsigned stall;
	char contimeout[32];
	char timeout[32];
	char *ca_file; /* "--ca-cert=FILE", or NULL */
	bool insecure;
	char **env; /* this backend's own environment entries ("N=V"), for
		     * rclone (multi:// gives each store its own) */
	struct ratelimit *up, *down; /* --limit-upload/-download (borrowed) */
};

/* dupc's secrets, which rclone has no use for. */
static const char *const hidden_env[] = { "FTP_PASSWORD", "PASSPHRASE",
	"SIGN_PASSPHRASE", NULL };

static int
nomem(struct dupc_err *err)
{
	return err_set(err, E_GENERIC, "out of memory");
}

/* "remote:path/name"; the caller frees it. */
static char *
path_of(const struct rc_backend *be, const char *name)
{
	size_t n = strlen(be->remote);
	bool sep =
	    n > 0 && be->remote[n - 1] != ':' && be->remote[n - 1] != '/';
	struct buf b;

	buf_init(&b, n + strlen(name) + 2);
	if (buf_addf(&b, "%s%s%s", be->remote, sep ? "/" : "", name) < 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b);
}

/* One command line: rclone CMD ARGS... and the flags every command gets. */
struct cmd {
	const char *argv[ARGS_MAX];
	size_t n;
};

static void
cmd_init(const struct rc_backend *be, struct cmd *c, const char *verb)
{
	c->n = 0;
	c->argv[c->n++] = be->exe;
	c->argv[c->n++] = verb;
	c->argv[c->n++] = "--retries=1";
	c->argv[c->n++] = "--low-level-retries=3";
	c->argv[c->n++] = "--ask-password=false";
	c->argv[c->n++] = be->contimeout;
	c->argv[c->n++] = be->timeout;
	if (be->ca_file != NULL)
		c->argv[c->n++] = be->ca_file;
	if (be->insecure)
		c->argv[c->n++] = "--no-check-certificate";
	c->argv[c->n] = NULL;
}

static void
cmd_add(struct cmd *c, const char *arg)
{
	if (c->n + 1 < ARGS_MAX) {
		c->argv[c->n++] = arg;
		c->argv[c->n] = NULL;
	}
}

/*
 * Run ${c}: standard input from ${src} (NULL: nothing), standard output
 * to ${fn} or to descriptor ${out} (-1: discarded).  A failure is classed
 * from rclone's status and standard error (rc_fail), with ${what}.
 */
static int
run(const struct rc_backend *be, const struct cmd *c, struct source *src,
    child_out_fn *fn, void *arg, int out, const char *what,
    struct dupc_err *err)
{
	struct child_spec spec;
	struct child ch;
	char line[300];
	int status = 0, rc = -1;

	memset(&spec, 0, sizeof(spec));
	spec.argv = c->argv;
	spec.env = (const char *const *)be->env;
	spec.unset = hidden_env;
	spec.in = src != NULL ? CHILD_PIPE : CHILD_NULL;
	spec.out = fn != NULL || out >= 0 ? CHILD_PIPE : CHILD_NULL;
	if (child_start(&ch, &spec, err) < 0) {
		err_prefix(err, "%s", what);
		return -1;
	}
	/* an object's bytes count against the limits, a listing's not */
	child_set_limits(&ch, src != NULL ? be->up : NULL,
	    out >= 0 ? be->down : NULL);
	if ((fn != NULL ? child_pump_to(&ch, src, fn, arg, be->stall, err)
			: child_pump(&ch, src, out, be->stall, err)) < 0) {
		err_prefix(err, "%s", what);
		goto out;
	}
	if (child_wait(&ch, &status) < 0) {
		err_set(err, E_BACKEND_COMMAND_ERROR,
		    "%s: cannot wait for rclone", what);
		goto out;
	}
	if (status != 0) {
		rc_fail(err, what, status,
		    child_err_line(&ch, line, sizeof(line)));
		goto out;
	}
	rc = 0;
out:
	child_release(&ch);
	return rc;
}

/* ------------------------------------------------------------------ */
/* list, size */

struct listing {
	struct rc_lsjson *p;
	backend_list_fn *fn;
	void *arg;
	const char *only; /* size: the one name wanted */
	bool found;
	uint64_t size;
};

static int
list_entry(const char *name, uint64_t size, bool is_dir, void *arg,
    struct dupc_err *err)
{
	struct listing *l = arg;

	if (is_dir)
		return 0;
	if (l->only != NULL) {
		if (strcmp(name, l->only) == 0) {
			l->found = true;
			l->size = size;
		}
		return 0;
	}
	return l->fn(name, size, l->arg, err);
}

static int
list_out(void *arg, const char *p, size_t n, struct dupc_err *err)
{
	struct listing *l = arg;

	return rc_lsjson_feed(l->p, p, n, err);
}

/* lsjson of ${path}, each file to ${l}. */
static int
lsjson(const struct rc_backend *be, const char *path, struct listing *l,
    const char *what, struct dupc_err *err)
{
	struct cmd c;
	int rc = -1;

	if ((l->p = rc_lsjson_new(list_entry, l)) == NULL)
		return nomem(err);
	cmd_init(be, &c, "lsjson");
	cmd_add(&c, "--files-only");
	cmd_add(&c, "--no-modtime");
	cmd_add(&c, "--no-mimetype");
	cmd_add(&c, "--");
	cmd_add(&c, path);
	if (run(be, &c, NULL, list_out, l, -1, what, err) == 0 &&
	    rc_lsjson_finish(l->p, err) == 0)
		rc = 0;
	rc_lsjson_free(l->p);
	l->p = NULL;
	return rc;
}

static int
rc_list(struct backend *b, backend_list_fn *fn, void *arg, struct dupc_err *err)
{
	struct rc_backend *be = (struct rc_backend *)b;
	struct listing l;

	memset(&l, 0, sizeof(l));
	l.fn = fn;
	l.arg = arg;
	if (lsjson(be, be->remote, &l, "listing the folder", err) == 0)
		return 0;
	if (err != NULL && err->cls == ERR_NOT_FOUND) {
		/* no folder yet: the first put makes it */
		err_clear(err);
		return 0;
	}
	return -1;
}

static int
rc_size(struct backend *b, const char *name, uint64_t *size,
    struct dupc_err *err)
{
	struct rc_backend *be = (struct rc_backend *)b;
	struct listing l;
	char *path = path_of(be, name);
	int rc;

	if (path == NULL)
		return nomem(err);
	memset(&l, 0, sizeof(l));
	l.only = name;
	rc = lsjson(be, path, &l, "asking for the size", err);
	free(path);
	if (rc == 0 && !l.found)
		return err_class_set(err, ERR_NOT_FOUND, E_BACKEND_NOT_FOUND,
		    "asking for the size: not found");
	if (rc == 0)
		*size = l.size;
	return rc;
}

/* ------------------------------------------------------------------ */
/* put, get, remove */

static void
temp_name(const char *name, char *out, size_t size)
{
	char hex[DIGEST_HEX_MAX];

	if (strlen(TEMP_PREFIX) + strlen(name) <= 255) {
		snprintf(out, size, "%s%s", TEMP_PREFIX, name);
		return;
	}
	digest_hex(DIGEST_SHA256, name, strlen(name), hex);
	snprintf(out, size, "%s%s", TEMP_PREFIX, hex);
}

static int
deletefile(const struct rc_backend *be, const char *path, const char *what,
    struct dupc_err *err)
{
	struct cmd c;

	cmd_init(be, &c, "deletefile");
	cmd_add(&c, "--");
	cmd_add(&c, path);
	return run(be, &c, NULL, NULL, NULL, -1, what, err);
}

static int
rc_put(struct backend *b, const char *name, struct source *src, uint64_t size,
    struct dupc_err *err)
{
	struct rc_backend *be = (struct rc_backend *)b;
	char tmp[300], sz[40], *tpath = NULL, *path = NULL;
	struct dupc_err ignored;
	struct cmd c;
	int rc = -1;

	temp_name(name, tmp, sizeof(tmp));
	tpath = path_of(be, tmp);
	path = path_of(be, name);
	if (tpath == NULL || path == NULL) {
		nomem(err);
		goto out;
	}
	if (source_rewind(src, err) < 0)
		goto out;
	snprintf(sz, sizeof(sz), "--size=%llu", (unsigned long long)size);
	cmd_init(be, &c, "rcat");
	cmd_add(&c, sz);
	cmd_add(&c, "--");
	cmd_add(&c, tpath);
	if (run(be, &c, src, NULL, NULL, -1, "uploading", err) < 0) {
		/* what arrived stays under the temporary name */
		err_clear(&ignored);
		if (!interrupted())
			deletefile(be, tpath, "removing a partial upload",
			    &ignored);
		goto out;
	}
	cmd_init(be, &c, "moveto");
	cmd_add(&c, "--");
	cmd_add(&c, tpath);
	cmd_add(&c, path);
	rc = run(be, &c, NULL, NULL, NULL, -1, "moving the upload in place",
	    err);
out:
	free(tpath);
	free(path);
	return rc;
}

static int
rc_get(struct backend *b, const char *name, int fd, struct dupc_err *err)
{
	struct rc_backend *be = (struct rc_backend *)b;
	char *path = path_of(be, name);
	struct cmd c;
	int rc = -1;

	if (path == NULL)
		return nomem(err);
	if (lseek(fd, 0, SEEK_SET) < 0 || ftruncate(fd, 0) < 0) {
		err_errno(err, E_GENERIC, "downloading %s", name);
		goto out;
	}
	cmd_init(be, &c, "cat");
	cmd_add(&c, "--");
	cmd_add(&c, path);
	rc = run(be, &c, NULL, NULL, NULL, fd, "downloading", err);
out:
	free(path);
	return rc;
}

static int
rc_remove(struct backend *b, const char *name, struct dupc_err *err)
{
	struct rc_backend *be = (struct rc_backend *)b;
	char *path = path_of(be, name);
	int rc;

	if (path == NULL)
		return nomem(err);
	rc = deletefile(be, path, "deleting", err);
	free(path);
	return rc;
}

/* ------------------------------------------------------------------ */
/* open, close */

static void
rc_close(struct backend *b)
{
	struct rc_backend *be = (struct rc_backend *)b;

	if (be == NULL)
		return;
	free(be->exe);
	free(be->remote);
	free(be->ca_file);
	for (size_t i = 0; be->env != NULL && be->env[i] != NULL; i++)
		free(be->env[i]);
	free(be->env);
	free(be);
}

/* This backend's own environment entries as "NAME=VALUE" strings. */
static int
own_env(struct rc_backend *be, const struct backend_options *opts)
{
	size_t i, k = 0, n = opts != NULL ? opts->nenv : 0;

	if ((be->env = calloc(n + 1, sizeof(*be->env))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		const struct backend_opt *e = &opts->env[i];
		const char *v = e->value != NULL ? e->value : "";
		size_t len = strlen(e->name) + strlen(v) + 2, j;

		for (j = 0; hidden_env[j] != NULL; j++)
			if (strcmp(e->name, hidden_env[j]) == 0)
				break;
		if (hidden_env[j] != NULL)
			continue; /* dupc's secret, not rclone's */
		if ((be->env[k] = malloc(len)) == NULL)
			return -1;
		snprintf(be->env[k++], len, "%s=%s", e->name, v);
	}
	return 0;
}

/* The remote and path as written after "rclone://" (url.c has split
 * them at the first '/' and any '@'). */
static char *
remote_of(const struct url *u)
{
	struct buf b;
	int rc = 0;

	buf_init(&b, 8192);
	if (u->user != NULL) {
		rc |= buf_addstr(&b, u->user);
		if (u->password != NULL)
			rc |= buf_addf(&b, ":%s", u->password);
		rc |= buf_addch(&b, '@');
	}
	rc |= buf_addstr(&b, u->host);
	if (u->path[0] != '\0')
		rc |= buf_addf(&b, "/%s", u->path);
	if (rc != 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b);
}

static int
rc_open(struct backend **bep, const struct url *u,
    const struct backend_options *opts, struct dupc_err *err)
{
	struct rc_backend *be;
	const char *exe = backend_opt_get(opts, "rclone-executable");
	const char *ca = backend_opt_get(opts, "ssl-cacert-file");
	unsigned t = opts != NULL && opts->timeout ? opts->timeout : 30;
	size_t n;

	if (u->host == NULL || strchr(u->host, ':') == NULL ||
	    u->host[0] == ':')
		return err_set(err, E_BAD_URL,
		    "rclone:// URL needs a remote: rclone://REMOTE:path (a remote of rclone's configuration)");
	if ((be = calloc(1, sizeof(*be))) == NULL)
		return nomem(err);
	be->base.ops = &rclone_backend_ops;
	be->exe = strdup(exe != NULL && *exe != '\0' ? exe : "rclone");
	be->remote = remote_of(u);
	if (ca != NULL && *ca != '\0') {
		n = strlen(ca) + 12;
		if ((be->ca_file = malloc(n)) != NULL)
			snprintf(be->ca_file, n, "--ca-cert=%s", ca);
	}
	if (own_env(be, opts) < 0 || be->exe == NULL || be->remote == NULL ||
	    (ca != NULL && *ca != '\0' && be->ca_file == NULL)) {
		rc_close(&be->base);
		return nomem(err);
	}
	be->insecure = backend_opt_flag(opts, "ssl-no-check-certificate");
	if (opts != NULL) {
		be->up = opts->limit_up;
		be->down = opts->limit_down;
	}
	snprintf(be->contimeout, sizeof(be->contimeout), "--contimeout=%us", t);
	snprintf(be->timeout, sizeof(be->timeout), "--timeout=%us", t);
	/* rclone lists a big folder, or fills a chunk, before a byte
	 * moves: more room than a single transfer gets */
	be->stall = t * 4;
	*bep = &be->base;
	return 0;
}

static const char *const rclone_schemes[] = { "rclone", NULL };

static const struct backend_option_spec rclone_specs[] = {
	{ "rclone-executable", true,
	    "the rclone program to run (default: rclone from PATH)" },
	{ NULL, false, NULL },
};

static const struct backend_option_group rclone_options = { "rclone",
	rclone_specs };

static const char rclone_help[] =
    "rclone://REMOTE:path/to/folder\n"
    "  A folder on any storage rclone reaches (Google Drive, OneDrive, S3,\n"
    "  SFTP, ...), through the rclone program (Debian's rclone package, or\n"
    "  --rclone-executable).  REMOTE is a remote of rclone's configuration:\n"
    "  its config file (RCLONE_CONFIG, or rclone's default) or\n"
    "  RCLONE_CONFIG_<REMOTE>_TYPE and friends in the environment, all\n"
    "  passed to rclone untouched; deja-dup's rclone://dejadupdrive:FOLDER\n"
    "  is such a remote.  The path is passed as written:\n"
    "  rclone://r:/abs/dir is r:/abs/dir (duplicity 0.8.22 turns it into\n"
    "  r:abs/dir, relative to the remote's root or, for a local remote,\n"
    "  to the working directory).  Uploads go to a temporary name and are\n"
    "  moved in place (rclone moveto).  --ssl-cacert-file and\n"
    "  --ssl-no-check-certificate are handed to rclone (--ca-cert,\n"
    "  --no-check-certificate).\n";

static const char *
rclone_hint(const struct dupc_err *err)
{
	switch (err->code) {
	case E_BACKEND_COMMAND_ERROR:
		return "install rclone (Debian package rclone) or give its path with --rclone-executable";
	case E_BAD_URL:
		return "define the remote with `rclone config` or RCLONE_CONFIG_<REMOTE>_TYPE variables";
	case E_BACKEND_PERMISSION_DENIED:
		return "check the remote's credentials in rclone's configuration (rclone config reconnect REMOTE:)";
	default:
		return NULL;
	}
}

const struct backend_ops rclone_backend_ops = {
	.schemes = rclone_schemes,
	.flags = BACKEND_ATOMIC_PUT,
	.example = "rclone://gdrive:backup",
	.help = rclone_help,
	.options = &rclone_options,
	.hint = rclone_hint,
	.open = rc_open,
	.list = rc_list,
	.put = rc_put,
	.get = rc_get,
	.remove = rc_remove,
	.size = rc_size,
	.close = rc_close,
};
