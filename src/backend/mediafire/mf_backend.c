/*
 * The mf:// backend: duplicity's MediaFire backend, in C.  The URL is
 * mf://EMAIL@HOST/path/to/folder, the e-mail percent-encoded (%40); the
 * host is ignored, as duplicity ignores it.  The password comes from the
 * URL, else FTP_PASSWORD, else the cli's prompt (backend_ask).  Opening does no
 * network traffic: the first operation logs in, and a missing folder lists
 * as empty until a put creates it.
 *
 * Settings from the environment (all optional):
 *   DUPC_MF_API_ROOT      API root (https://www.mediafire.com)
 *   DUPC_MF_API_VERSION   path version (1.3; "none" for unversioned)
 *   DUPC_MF_APP_ID        application id (45593, duplicity's)
 *   DUPC_MF_API_KEY       API key of the application (none)
 *   DUPC_MF_SIMPLE_MAX    largest upload/simple body in bytes (4 MiB);
 *                         larger files go by upload/resumable
 *   DUPC_MF_CHUNK_SIZE    listing page size (1000, the largest allowed)
 *   DUPC_MF_POLL_INTERVAL seconds between upload polls (1)
 *   DUPC_MF_POLL_MAX      polls before an upload counts as stuck (120)
 *   DUPC_MF_CALL_TRIES    attempts per API call (6)
 *
 * The service breaks its own protocol state often enough (a key chain
 * lost after an answer that never arrived, error 127, stuck polls, lost
 * upload units) that repairing it is part of one operation, as backend.h
 * allows: a call gets DUPC_MF_CALL_TRIES attempts, a put 4 upload/check
 * restarts, a resumable unit 5 sends, a download 6 requests without
 * progress.  Everything else returns to the retry layer.
 */
#define _DEFAULT_SOURCE
#include "backend/mediafire/mf_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend_internal.h"
#include "util/err.h"
#include "util/log.h"
#include "util/parse.h"
#include "util/secret.h"
#include "util/url.h"

extern const struct backend_ops mf_backend_ops;

#define DEFAULT_ROOT "https://www.mediafire.com"
#define DEFAULT_VERSION "1.3"
#define DEFAULT_APP_ID "45593"

static int
nomem(struct dupc_err *err)
{
	return err_set(err, E_GENERIC, "out of memory");
}

/* An unsigned environment setting within [lo, hi], or ${def}. */
static int
env_u64(const struct backend_options *opts, const char *name, uint64_t def,
    uint64_t lo, uint64_t hi, uint64_t *out, struct dupc_err *err)
{
	const char *s = backend_env(opts, name);
	uint64_t v;

	if (s == NULL || *s == '\0') {
		*out = def;
		return 0;
	}
	if (parse_u64(s, &v) < 0 || v < lo || v > hi)
		return err_set(err, E_USER_ERROR,
		    "%s must be a number from %llu to %llu", name,
		    (unsigned long long)lo, (unsigned long long)hi);
	*out = v;
	return 0;
}

/* Seconds as a decimal ("0.05"), within [0, 3600]. */
static int
env_seconds(const struct backend_options *opts, const char *name, double def,
    double *out, struct dupc_err *err)
{
	const char *s = backend_env(opts, name);
	char *end;
	double v;

	if (s == NULL || *s == '\0') {
		*out = def;
		return 0;
	}
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || end == s || !(v >= 0 && v <= 3600))
		return err_set(err, E_USER_ERROR,
		    "%s must be a number of seconds from 0 to 3600", name);
	*out = v;
	return 0;
}

static int
read_config(struct mf_backend *be, const struct backend_options *opts,
    struct dupc_err *err)
{
	struct mf_config *c = &be->cfg;
	uint64_t v;

	if (env_u64(opts, "DUPC_MF_SIMPLE_MAX", 4u << 20, 1, 400u << 20,
		&c->simple_max, err) < 0 ||
	    env_u64(opts, "DUPC_MF_CHUNK_SIZE", 1000, 1, 1000, &v, err) < 0)
		return -1;
	c->chunk_size = (unsigned)v;
	if (env_seconds(opts, "DUPC_MF_POLL_INTERVAL", 1.0, &c->poll_interval,
		err) < 0 ||
	    env_u64(opts, "DUPC_MF_POLL_MAX", 120, 1, 100000, &v, err) < 0)
		return -1;
	c->poll_max = (unsigned)v;
	if (env_u64(opts, "DUPC_MF_CALL_TRIES", 6, 1, 100, &v, err) < 0)
		return -1;
	be->s.tries = (unsigned)v;
	c->put_tries = 4;
	c->unit_tries = 5;
	c->get_tries = 6;
	c->purge = backend_opt_flag(opts, "mf-purge");
	/* pauses between attempts inside a call follow --backend-retry-delay
	 * down, never up: the retry wrapper does the long waits */
	be->s.pause = 0.1;
	if (opts != NULL && opts->retry_delay > 0 && opts->retry_delay < 0.1)
		be->s.pause = opts->retry_delay;
	return 0;
}

/* Split "a/b//c/" into its names; be->where becomes "/a/b/c". */
static int
split_path(struct mf_backend *be, const char *path, struct dupc_err *err)
{
	const char *p = path;
	size_t n = 0, len, w = 0;

	be->where = malloc(strlen(path) + 2);
	be->parts = calloc(strlen(path) / 2 + 2, sizeof(*be->parts));
	if (be->where == NULL || be->parts == NULL)
		return nomem(err);
	while (*p != '\0') {
		len = strcspn(p, "/");
		if (len > 0) {
			if (len >= MF_NAME_MAX || (len == 1 && p[0] == '.') ||
			    (len == 2 && p[0] == '.' && p[1] == '.'))
				return err_set(err, E_BAD_URL,
				    "bad mf:// folder path: '.', '..' or a name too long");
			be->parts[n] = strndup(p, len);
			if (be->parts[n] == NULL)
				return nomem(err);
			be->where[w++] = '/';
			memcpy(be->where + w, p, len);
			w += len;
			n++;
		}
		p += len;
		if (*p == '/')
			p++;
	}
	if (w == 0)
		be->where[w++] = '/';
	be->where[w] = '\0';
	be->nparts = n;
	return 0;
}

static int
get_password(struct mf_backend *be, const struct url *u,
    const struct backend_options *opts, struct dupc_err *err)
{
	const char *env = opts && opts->password
			      ? opts->password
			      : backend_env(opts, "FTP_PASSWORD");

	if (u->password != NULL)
		be->s.password = secret_dup(u->password);
	else if (env != NULL && *env != '\0')
		be->s.password = secret_dup(env);
	else if (opts != NULL && opts->ask != NULL) {
		char prompt[300], esc[256];

		snprintf(prompt, sizeof(prompt), "MediaFire password for %s: ",
		    mf_escape(be->s.email, esc, sizeof(esc)));
		be->s.password = backend_ask(opts, prompt);
	} else
		return err_set(err, E_BACKEND_PERMISSION_DENIED,
		    "no MediaFire password: set FTP_PASSWORD");
	if (be->s.password == NULL || *be->s.password == '\0')
		return err_set(err, E_BACKEND_PERMISSION_DENIED,
		    "no MediaFire password given");
	return 0;
}

static char *
env_or(const struct backend_options *opts, const char *name, const char *def)
{
	const char *s = backend_env(opts, name);

	return strdup(s != NULL && *s != '\0' ? s : def);
}

static void mf_close(struct backend *);

static int
mf_open(struct backend **bep, const struct url *u,
    const struct backend_options *opts, struct dupc_err *err)
{
	struct mf_backend *be;
	const char *key;
	size_t n;

	be = calloc(1, sizeof(*be));
	if (be == NULL)
		return nomem(err);
	be->base.ops = &mf_backend_ops;
	mf_session_init(&be->s);
	if (u->user == NULL || strchr(u->user, '@') == NULL) {
		err_set(err, E_BAD_URL,
		    "mf:// URL needs the account e-mail: mf://user%%40example.com@mediafire.com/folder");
		goto fail;
	}
	be->s.email = strdup(u->user);
	be->s.api_root = env_or(opts, "DUPC_MF_API_ROOT", DEFAULT_ROOT);
	be->s.version = env_or(opts, "DUPC_MF_API_VERSION", DEFAULT_VERSION);
	be->s.app_id = env_or(opts, "DUPC_MF_APP_ID", DEFAULT_APP_ID);
	key = backend_env(opts, "DUPC_MF_API_KEY");
	if (key != NULL && *key != '\0')
		be->s.api_key = secret_dup(key);
	if (be->s.email == NULL || be->s.api_root == NULL ||
	    be->s.version == NULL || be->s.app_id == NULL) {
		nomem(err);
		goto fail;
	}
	if (strcmp(be->s.version, "none") == 0)
		be->s.version[0] = '\0';
	n = strlen(be->s.api_root);
	while (n > 0 && be->s.api_root[n - 1] == '/')
		be->s.api_root[--n] = '\0';
	if (strncmp(be->s.api_root, "https://", 8) != 0 &&
	    strncmp(be->s.api_root, "http://", 7) != 0) {
		err_set(err, E_USER_ERROR,
		    "DUPC_MF_API_ROOT must be an http:// or https:// URL");
		goto fail;
	}
	if (split_path(be, u->path, err) < 0 ||
	    read_config(be, opts, err) < 0 ||
	    get_password(be, u, opts, err) < 0 ||
	    http_init(&be->s.http, opts, err) < 0)
		goto fail;
	be->s.http.tries = be->cfg.get_tries;
	be->s.http.pause = be->s.pause;
	*bep = &be->base;
	return 0;
fail:
	mf_close(&be->base);
	return -1;
}

static int
mf_list(struct backend *b, backend_list_fn *fn, void *arg, struct dupc_err *err)
{
	struct mf_backend *be = (struct mf_backend *)b;
	size_t i;

	if (mf_cache_load(be, err) < 0)
		return -1;
	for (i = 0; i < be->cache.n; i++)
		if (fn(be->cache.v[i].name, be->cache.v[i].size, arg, err) != 0)
			return -1;
	return 0;
}

static int
mf_put(struct backend *b, const char *name, struct source *src, uint64_t size,
    struct dupc_err *err)
{
	struct mf_backend *be = (struct mf_backend *)b;

	if (mf_upload(be, name, src, size, err) < 0) {
		err_prefix(err, "uploading %s", name);
		return -1;
	}
	return 0;
}

static int
mf_get(struct backend *b, const char *name, int fd, struct dupc_err *err)
{
	struct mf_backend *be = (struct mf_backend *)b;

	return mf_download(be, name, fd, err);
}

static int
not_found(struct mf_backend *be, const char *name, struct dupc_err *err)
{
	return err_class_set(err, ERR_NOT_FOUND, E_BACKEND_NOT_FOUND,
	    "%s not found in MediaFire folder %s", name, be->where);
}

/* One file/delete or file/purge.  1: the quickkey is unknown (110). */
static int
delete_qk(struct mf_backend *be, const char *qk, bool *unsure,
    struct dupc_err *err)
{
	struct mf_params p;
	struct mf_reply r;
	int rc = -1;

	mf_params_init(&p);
	if (mf_params_add(&p, "quick_key", qk) < 0) {
		mf_params_release(&p);
		return nomem(err);
	}
	rc = mf_call(&be->s, be->cfg.purge ? "file/purge" : "file/delete", &p,
	    &r, err);
	*unsure = r.ambiguous;
	if (rc < 0 && r.error == 110)
		rc = 1;
	mf_reply_release(&r);
	mf_params_release(&p);
	return rc;
}

static int
mf_remove(struct backend *b, const char *name, struct dupc_err *err)
{
	struct mf_backend *be = (struct mf_backend *)b;
	struct mf_entry e;
	bool unsure = false, was_unsure;
	int pass, rc;

	/* an earlier attempt that may have deleted it already */
	was_unsure =
	    be->unsure_delete != NULL && strcmp(be->unsure_delete, name) == 0;
	free(be->unsure_delete);
	be->unsure_delete = NULL;
	for (pass = 0; pass < 2; pass++) {
		rc = mf_lookup(be, name, &e, err);
		if (rc < 0)
			return -1;
		if (rc == 1)
			return was_unsure ? 0 : not_found(be, name, err);
		rc = delete_qk(be, e.quickkey, &unsure, err);
		if (rc == 0 || (rc == 1 && (unsure || was_unsure))) {
			/* 110 after a try whose answer was lost: done */
			mf_cache_del(&be->cache, name);
			return 0;
		}
		if (rc < 0) {
			if (unsure || err == NULL || err->cls == ERR_TRANSIENT)
				be->unsure_delete = strdup(name);
			return -1;
		}
		be->cache.valid = false;
	}
	return not_found(be, name, err);
}

static int
mf_size(struct backend *b, const char *name, uint64_t *size,
    struct dupc_err *err)
{
	struct mf_backend *be = (struct mf_backend *)b;
	struct mf_entry e;
	int rc;

	rc = mf_stat(be, name, &e, err);
	if (rc < 0)
		return -1;
	if (rc == 1)
		return not_found(be, name, err);
	*size = e.size;
	return 0;
}

static int
mf_sha256(struct backend *b, const char *name, char *hex, struct dupc_err *err)
{
	struct mf_backend *be = (struct mf_backend *)b;
	struct mf_entry e;
	int rc;

	rc = mf_stat(be, name, &e, err);
	if (rc < 0)
		return -1;
	if (rc == 1)
		return not_found(be, name, err);
	memcpy(hex, e.hash, MF_SHA256_HEX + 1);
	return 0;
}

static void
mf_close(struct backend *b)
{
	struct mf_backend *be = (struct mf_backend *)b;
	size_t i;

	if (be == NULL)
		return;
	mf_session_release(&be->s);
	mf_cache_release(&be->cache);
	for (i = 0; be->parts != NULL && be->parts[i] != NULL; i++)
		free(be->parts[i]);
	free(be->parts);
	free(be->where);
	free(be->unsure_delete);
	free(be);
}

static const char *const mf_schemes[] = { "mf", NULL };

static const struct backend_option_spec mf_specs[] = {
	{ "mf-purge", false,
	    "delete files for good instead of moving them to the Trash" },
	{ NULL, false, NULL },
};

static const struct backend_option_group mf_options = { "MediaFire", mf_specs };

static const char mf_help[] =
    "mf://EMAIL@mediafire.com/path/to/folder\n"
    "  A folder of a MediaFire account, as duplicity's mf:// backend names\n"
    "  it: the e-mail address percent-encoded (user%40example.com), the\n"
    "  host ignored.  The password comes from the URL, FTP_PASSWORD, or a\n"
    "  prompt on the terminal.  Uploads are checked by SHA-256, large ones\n"
    "  go in resumable units, downloads are verified and resumed; the\n"
    "  service's known faults (lost answers, broken key chains, stuck\n"
    "  polls) are retried.  Deleted files go to the Trash unless\n"
    "  --mf-purge is given.\n"
    "  Environment: DUPC_MF_API_ROOT (https://www.mediafire.com),\n"
    "  DUPC_MF_APP_ID (45593), DUPC_MF_API_KEY, DUPC_MF_API_VERSION (1.3).\n";

static const char *
mf_hint(const struct dupc_err *err)
{
	switch (err->code) {
	case E_CONNECTION_FAILED:
		return getenv("DUPC_MF_API_ROOT") != NULL
			   ? "check the network connection and DUPC_MF_API_ROOT"
			   : NULL;
	case E_BACKEND_PERMISSION_DENIED:
		return "check FTP_PASSWORD and the account in the URL";
	default:
		return NULL;
	}
}

const struct backend_ops mf_backend_ops = {
	.schemes = mf_schemes,
	.flags = BACKEND_FLAKY | BACKEND_HASHES,
	.example = "mf://user%40example.com@mediafire.com/folder",
	.help = mf_help,
	.options = &mf_options,
	.hint = mf_hint,
	.open = mf_open,
	.list = mf_list,
	.put = mf_put,
	.get = mf_get,
	.remove = mf_remove,
	.size = mf_size,
	.sha256 = mf_sha256,
	.close = mf_close,
};
