/*
 * Opening an sftp:// URL: the settings of one backend from the URL,
 * --ssh-options and ssh_config, in duplicity's order of precedence (the
 * URL's user and port over --ssh-options over ~/.ssh/config over the
 * defaults; the config's HostName names the machine connected to).
 * Nothing is connected here: sftp_connect does that on first use.
 */
#define _GNU_SOURCE
#include "backend/sftp/sftp_internal.h"

#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/err.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/url.h"

/* The default timeout when --timeout gives none (duplicity's). */
#define DEFAULT_TIMEOUT 30
#define SYSTEM_CONFIG "/etc/ssh/ssh_config"
#define SYSTEM_KNOWN_HOSTS "/etc/ssh/ssh_known_hosts"

extern const struct backend_ops sftp_backend_ops;

/* What open gathers before it settles the backend's fields. */
struct sources {
	struct sftp_sshopts o;
	struct sftp_hostcfg cfg;
	char *url_host;
	int url_port;
	const char *luser;
};

/* $HOME as duplicity reads it (os.path.expanduser), else the account's. */
static char *
home_dir(const struct backend_options *opts)
{
	const char *h = backend_env(opts, "HOME");
	struct passwd *pw;

	if (h == NULL || *h == '\0') {
		pw = getpwuid(getuid());
		h = pw != NULL ? pw->pw_dir : "/";
	}
	return strdup(h);
}

/* The local user name, as Python's getpass.getuser() finds it. */
static const char *
local_user(const struct backend_options *opts)
{
	static const char *const vars[] = { "LOGNAME", "USER", "LNAME",
		"USERNAME" };
	struct passwd *pw;
	const char *u;
	size_t i;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if ((u = backend_env(opts, vars[i])) != NULL && *u != '\0')
			return u;
	pw = getpwuid(getuid());
	return pw != NULL ? pw->pw_name : "root";
}

/* The warnings are said once per run, however many instances the
 * engine opens (a restore fetches with several). */
static pthread_mutex_t warned_mu = PTHREAD_MUTEX_INITIALIZER;
static bool warned;

/* Every --ssh-options value in order; one warning for what is unused. */
static int
read_sshopts(const struct backend_options *opts, struct sftp_sshopts *o,
    struct dupc_err *err)
{
	const char *v;
	size_t pos = 0;
	bool first;

	while ((v = backend_opt_next(opts, "ssh-options", &pos)) != NULL)
		if (sftp_sshopts_parse(o, v, err) < 0)
			return -1;
	pthread_mutex_lock(&warned_mu);
	first = !warned;
	warned = true;
	pthread_mutex_unlock(&warned_mu);
	if (!first)
		return 0;
	if (o->ignored != NULL)
		log_warn(
		    "Warning: --ssh-options: dupc does not use %s; ignored",
		    o->ignored);
	if (backend_opt_get(opts, "scp-command") != NULL ||
	    backend_opt_get(opts, "sftp-command") != NULL)
		log_warn(
		    "Warning: dupc talks SSH itself: --scp-command and --sftp-command are ignored");
	return 0;
}

/* ~/.ssh/config (or -F FILE), then the system's unless -F was given. */
static int
read_config(struct sftp_backend *be, struct sources *s, struct dupc_err *err)
{
	struct sftp_cfgctx ctx = { be->home, "/etc/ssh", false };
	struct sftp_tokens t = { be->home, s->luser, s->url_host, "", 0 };
	char *path = NULL;
	int rc;

	if (s->o.config_file != NULL) {
		if (sftp_expand(s->o.config_file, &t, true, &path, err) < 0)
			return -1;
		rc = sftp_config_read(path, s->url_host, false, &ctx, &s->cfg,
		    err);
		free(path);
		return rc;
	}
	if (asprintf(&path, "%s/.ssh/config", be->home) < 0)
		return err_set(err, E_GENERIC, "out of memory");
	rc = sftp_config_read(path, s->url_host, false, &ctx, &s->cfg, err);
	free(path);
	if (rc < 0)
		return -1;
	return sftp_config_read(SYSTEM_CONFIG, s->url_host, true, &ctx, &s->cfg,
	    err);
}

/* Add each of ${in}, expanded, to ${out}. */
static int
add_files(struct sftp_files *out, const struct sftp_files *in,
    const struct sftp_tokens *t, const char *what, struct dupc_err *err)
{
	char *p;
	size_t i;
	int rc;

	for (i = 0; i < in->n; i++) {
		if (sftp_expand(in->v[i], t, true, &p, err) < 0) {
			err_prefix(err, "%s", what);
			return -1;
		}
		rc = sftp_files_add(out, p);
		free(p);
		if (rc < 0)
			return err_set(err, E_USER_ERROR,
			    "%s: more than %d files", what, SFTP_FILES_MAX);
	}
	return 0;
}

/* The identity files to try, and the known-hosts files. */
static int
settle_files(struct sftp_backend *be, struct sources *s, struct dupc_err *err)
{
	static const char *const defaults[] = { "id_ed25519", "id_ecdsa",
		"id_rsa" };
	struct sftp_tokens t = { be->home, s->luser, be->host, be->user,
		be->port };
	char *p;
	size_t i;

	if (add_files(&be->ids, &s->o.identity, &t, "--ssh-options", err) < 0 ||
	    add_files(&be->ids, &s->cfg.identity, &t, "IdentityFile", err) < 0)
		return -1;
	for (i = 0; i < 3 && !(be->identities_only && be->ids.n > 0); i++) {
		if (asprintf(&p, "%s/.ssh/%s", be->home, defaults[i]) < 0)
			return err_set(err, E_GENERIC, "out of memory");
		sftp_files_add(&be->ids, p);
		free(p);
	}
	if (s->o.user_known_set) {
		if (add_files(&be->known, &s->o.user_known, &t,
			"UserKnownHostsFile", err) < 0)
			return -1;
	} else {
		if (asprintf(&p, "%s/.ssh/known_hosts", be->home) < 0)
			return err_set(err, E_GENERIC, "out of memory");
		sftp_files_add(&be->known, p);
		free(p);
	}
	if (s->o.global_known_set)
		return add_files(&be->gknown, &s->o.global_known, &t,
		    "GlobalKnownHostsFile", err);
	sftp_files_add(&be->gknown, SYSTEM_KNOWN_HOSTS);
	return 0;
}

/* The host connected to: -oHostName=, the config's HostName (%h is the
 * URL's host), or the URL's host. */
static int
settle_host(struct sftp_backend *be, struct sources *s, struct dupc_err *err)
{
	struct sftp_tokens t = { be->home, s->luser, s->url_host, "", 0 };
	const char *h = s->o.hostname ? s->o.hostname : s->cfg.hostname;

	if (h == NULL) {
		be->host = strdup(s->url_host);
		return be->host == NULL
			   ? err_set(err, E_GENERIC, "out of memory")
			   : 0;
	}
	if (sftp_expand(h, &t, false, &be->host, err) < 0) {
		err_prefix(err, "HostName");
		return -1;
	}
	return 0;
}

/* The remote folder: the URL's path without trailing slashes; "" is the
 * login's home folder. */
static char *
folder(const char *path)
{
	size_t n = strlen(path);

	while (n > 1 && path[n - 1] == '/')
		n--;
	if (n == 0)
		return strdup(".");
	return strndup(path, n);
}

static int
settle(struct sftp_backend *be, const struct url *u,
    const struct backend_options *opts, struct sources *s, struct dupc_err *err)
{
	const char *user;

	if (settle_host(be, s, err) < 0)
		return -1;
	be->port = s->url_port   ? s->url_port
		   : s->o.port   ? s->o.port
		   : s->cfg.port ? s->cfg.port
				 : 22;
	user = u->user && *u->user ? u->user
	       : s->o.user         ? s->o.user
	       : s->cfg.user       ? s->cfg.user
				   : s->luser;
	be->user = strdup(user);
	be->dir = folder(u->path);
	if (be->user == NULL || be->dir == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	be->identities_only = s->o.identities_only == 1;
	be->batch = s->o.batch_mode == 1;
	be->compression = s->o.compression == 1;
	be->strict = s->o.strict ? s->o.strict : SFTP_STRICT_YES;
	be->timeout = opts->timeout ? opts->timeout : DEFAULT_TIMEOUT;
	be->connect_timeout =
	    s->o.connect_timeout ? (unsigned)s->o.connect_timeout : be->timeout;
	be->use_scp = backend_opt_flag(opts, "use-scp");
	be->up = opts->limit_up;
	be->down = opts->limit_down;
	be->asker.ask = opts->ask;
	be->asker.ask_arg = opts->ask_arg;
	if (u->password != NULL && *u->password != '\0')
		be->secret = secret_dup(u->password);
	else if (opts->password != NULL)
		be->secret = secret_dup(opts->password);
	else if (backend_env(opts, "FTP_PASSWORD") != NULL)
		be->secret = secret_dup(backend_env(opts, "FTP_PASSWORD"));
	if (settle_files(be, s, err) < 0)
		return -1;
	if (asprintf(&be->where, "%s://%s@%s%s%s:%d/%s", u->scheme, be->user,
		strchr(be->host, ':') ? "[" : "", be->host,
		strchr(be->host, ':') ? "]" : "", be->port,
		strcmp(be->dir, ".") == 0 ? "" : be->dir) < 0) {
		be->where = NULL;
		return err_set(err, E_GENERIC, "out of memory");
	}
	return 0;
}

int
sftp_open(struct backend **bep, const struct url *u,
    const struct backend_options *opts, struct dupc_err *err)
{
	struct sftp_backend *be = calloc(1, sizeof(*be));
	struct sources s;
	int rc = -1;

	memset(&s, 0, sizeof(s));
	sftp_sshopts_init(&s.o);
	if (be == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	be->base.ops = &sftp_backend_ops;
	be->c.fd = -1;
	s.luser = local_user(opts);
	be->home = home_dir(opts);
	if (backend_env(opts, "SSH_AUTH_SOCK") != NULL)
		be->agent_sock = strdup(backend_env(opts, "SSH_AUTH_SOCK"));
	if (be->home == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		goto out;
	}
	if (sftp_split_host(u->host, &s.url_host, &s.url_port, err) < 0 ||
	    read_sshopts(opts, &s.o, err) < 0 || read_config(be, &s, err) < 0 ||
	    settle(be, u, opts, &s, err) < 0)
		goto out;
	rc = 0;
out:
	sftp_sshopts_release(&s.o);
	sftp_hostcfg_release(&s.cfg);
	free(s.url_host);
	if (rc < 0) {
		be->base.ops->close(&be->base);
		return -1;
	}
	*bep = &be->base;
	return 0;
}
