/*
 * The ftp:// backend: a folder on an FTP server, over the shared libcurl
 * client, in the URL forms duplicity's lftp backend (lftpbackend.py)
 * takes: ftp:// (plain), ftpes:// (explicit TLS: AUTH TLS on the FTP
 * port, data protected too), ftps:// (implicit TLS), each also with the
 * lftp+ prefix (duplicity 0.8.22 sends lftp+ftpes:// to lftp as an
 * unknown protocol; here it is explicit TLS, as ftpes://).  The path is
 * relative to the login folder (ftp://host/dir); a path that starts with
 * a slash (ftp://host//srv/dir) is absolute, as lftp reads it.  The user
 * and password come from the URL, else FTP_PASSWORD, else the terminal;
 * without a user the login is anonymous.  Passive mode unless
 * --ftp-regular asks for active mode (duplicity's ftp:passive-mode).
 *
 * Operations: list is one LIST of the folder, read line by line as it
 * arrives (ftp_list.c); get is a RETR resumed with REST after a cut
 * (http_fetch); remove is DELE; size is SIZE.  put is atomic: STOR under a
 * temporary name, then RNFR/RNTO over the real name on the same connection, so
 * a cut upload never leaves a partial volume under its name; missing folders
 * are made (MKD) on the way.
 */
#define _DEFAULT_SOURCE
#include "backend/ftp/ftp_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "backend/backend.h"
#include "backend/http.h"
#include "util/buf.h"
#include "util/digest.h"
#include "util/err.h"
#include "util/log.h"
#include "util/parse.h"
#include "util/secret.h"
#include "util/stream.h"
#include "util/url.h"

extern const struct backend_ops ftp_backend_ops;

#define TEMP_PREFIX ".dupc-part."

struct ftp_backend {
	struct backend base;
	struct http h;
	char *origin;  /* "ftp://host:port" or "ftps://..." */
	char *dir_enc; /* "/dir/" for curl ("/%2Fabs/" when absolute) */
	char *user;    /* NULL: anonymous */
	char *password;
	bool tls;    /* ftpes:// and ftps:// */
	bool active; /* --ftp-regular */
};

/* What one request adds to libcurl's FTP options. */
struct ftp_call {
	const struct ftp_backend *be;
	struct curl_slist *postquote; /* commands after the transfer */
	bool create_dirs;
};

static int
nomem(struct dupc_err *err)
{
	return err_set(err, E_GENERIC, "out of memory");
}

/* ${s} percent-encoded for an FTP URL path ('/' kept when ${keep_slash}).
 * The caller frees the result. */
static char *
enc(const char *s, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b;

	buf_init(&b, 3 * strlen(s) + 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		int rc;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c) != NULL ||
		    (keep_slash && c == '/'))
			rc = buf_addch(&b, c);
		else
			rc = buf_addf(&b, "%%%c%c", hex[c >> 4], hex[c & 15]);
		if (rc < 0) {
			buf_release(&b);
			return NULL;
		}
	}
	return buf_detach(&b);
}

/* The URL of ${name} in the folder ("" for the folder itself). */
static char *
url_of(const struct ftp_backend *be, const char *name)
{
	char *e = enc(name, false);
	struct buf b;

	if (e == NULL)
		return NULL;
	buf_init(&b, strlen(be->origin) + strlen(be->dir_enc) + strlen(e) + 1);
	if (buf_addf(&b, "%s%s%s", be->origin, be->dir_enc, e) < 0) {
		free(e);
		buf_release(&b);
		return NULL;
	}
	free(e);
	return buf_detach(&b);
}

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

/* libcurl's FTP options for one request (http_req.setup). */
static void
ftp_setup(void *curl, void *arg)
{
	struct ftp_call *c = arg;
	CURL *h = curl;

	curl_easy_setopt(h, CURLOPT_USE_SSL,
	    (long)(c->be->tls ? CURLUSESSL_ALL : CURLUSESSL_NONE));
	/*
	 * TLS 1.2 at most: under TLS 1.3 the server sends session tickets
	 * after the handshake, libcurl 7.88 closes the data connection of
	 * an upload without reading them, the kernel answers with a reset,
	 * and the server (vsftpd) loses the end of the file ("426 Failure
	 * reading network stream").
	 */
	if (c->be->tls)
		curl_easy_setopt(h, CURLOPT_SSLVERSION,
		    (long)(CURL_SSLVERSION_TLSv1_2 |
			   CURL_SSLVERSION_MAX_TLSv1_2));
	if (c->be->active)
		curl_easy_setopt(h, CURLOPT_FTPPORT, "-");
	if (c->create_dirs)
		curl_easy_setopt(h, CURLOPT_FTP_CREATE_MISSING_DIRS,
		    (long)CURLFTP_CREATE_DIR_RETRY);
	if (c->postquote != NULL)
		curl_easy_setopt(h, CURLOPT_POSTQUOTE, c->postquote);
}

static void
req_init(struct ftp_backend *be, struct http_req *req, struct ftp_call *c,
    const char *method, const char *url, const char *what)
{
	memset(req, 0, sizeof(*req));
	memset(c, 0, sizeof(*c));
	c->be = be;
	req->method = method;
	req->url = url;
	req->what = what;
	req->user = be->user;
	req->password = be->password;
	req->setup = ftp_setup;
	req->setup_arg = c;
}

/* A request whose answer is a status only (a transfer is streamed to a
 * sink that wants no data). */
static int
discard(void *arg, const void *p, size_t n)
{
	(void)arg, (void)p, (void)n;
	return 0;
}

static int
perform(struct ftp_backend *be, struct http_req *req, int *curl_rc,
    struct dupc_err *err)
{
	struct http_resp resp;
	int rc;

	http_resp_init(&resp);
	rc = http_perform(&be->h, req, &resp, err);
	if (curl_rc != NULL)
		*curl_rc = rc < 0 ? resp.curl_rc : 0;
	http_resp_release(&resp, false);
	return rc;
}

/* A folder that cannot be entered (CWD refused) is taken as missing:
 * FTP servers answer 550 alike for both. */
static bool
no_folder(int curl_rc)
{
	return curl_rc == CURLE_REMOTE_ACCESS_DENIED;
}

/* The LIST answer as it streams in. */
struct listing {
	struct ftp_list *reader;
	bool failed;
	struct dupc_err err;
};

static int
list_data(void *arg, const void *p, size_t n)
{
	struct listing *l = arg;

	if (ftp_list_feed(l->reader, p, n, &l->err) < 0) {
		l->failed = true;
		return -1;
	}
	return 0;
}

static int
ftp_list(struct backend *b, backend_list_fn *fn, void *arg,
    struct dupc_err *err)
{
	struct ftp_backend *be = (struct ftp_backend *)b;
	struct listing l;
	struct http_sink sink = { NULL, list_data, &l };
	struct http_req req;
	struct ftp_call c;
	char *url = url_of(be, "");
	int rc, crc = 0;

	memset(&l, 0, sizeof(l));
	err_clear(&l.err);
	if (url == NULL || (l.reader = ftp_list_new(fn, arg)) == NULL) {
		free(url);
		return nomem(err);
	}
	/* a folder URL: libcurl enters it and sends LIST */
	req_init(be, &req, &c, "GET", url, "listing the folder");
	req.sink = &sink;
	rc = perform(be, &req, &crc, err);
	if (l.failed) {
		if (err != NULL)
			*err = l.err;
		rc = -1;
	} else if (rc < 0 && no_folder(crc)) {
		/* no folder yet: put makes it */
		err_clear(err);
		rc = 0;
	} else if (rc == 0) {
		rc = ftp_list_finish(l.reader, err);
	}
	ftp_list_free(l.reader);
	free(url);
	return rc;
}

/* Append ${cmd} ${arg} to the command list *${l}. */
static int
add_cmd(struct curl_slist **l, const char *cmd, const char *arg)
{
	size_t n = strlen(cmd) + strlen(arg) + 2;
	char *s = malloc(n);
	struct curl_slist *t;

	if (s == NULL)
		return -1;
	snprintf(s, n, "%s %s", cmd, arg);
	t = curl_slist_append(*l, s);
	free(s);
	if (t == NULL)
		return -1;
	*l = t;
	return 0;
}

/* DELE ${name} in the folder, after the folder is entered. */
static int
dele(struct ftp_backend *be, const char *name, int *curl_rc,
    struct dupc_err *err)
{
	struct http_sink sink = { NULL, discard, NULL };
	struct http_req req;
	struct ftp_call c;
	char *url = url_of(be, "");
	int rc = -1;

	if (url == NULL)
		return nomem(err);
	req_init(be, &req, &c, "HEAD", url, "deleting");
	req.sink = &sink;
	if (add_cmd(&c.postquote, "DELE", name) < 0)
		nomem(err);
	else
		rc = perform(be, &req, curl_rc, err);
	curl_slist_free_all(c.postquote);
	free(url);
	return rc;
}

static int
ftp_put(struct backend *b, const char *name, struct source *src, uint64_t size,
    struct dupc_err *err)
{
	struct ftp_backend *be = (struct ftp_backend *)b;
	struct http_body body;
	struct http_sink sink = { NULL, discard, NULL };
	struct http_req req;
	struct ftp_call c;
	struct dupc_err ignored;
	char tmp[300], *url;
	int rc = -1, crc = 0;

	temp_name(name, tmp, sizeof(tmp));
	if ((url = url_of(be, tmp)) == NULL)
		return nomem(err);
	if (source_rewind(src, err) < 0)
		goto out;
	req_init(be, &req, &c, "PUT", url, "uploading");
	memset(&body, 0, sizeof(body));
	body.src = src;
	body.len = size;
	body.whole = true;
	req.body = &body;
	req.sink = &sink;
	c.create_dirs = true;
	if (add_cmd(&c.postquote, "RNFR", tmp) < 0 ||
	    add_cmd(&c.postquote, "RNTO", name) < 0) {
		nomem(err);
		goto out;
	}
	rc = perform(be, &req, &crc, err);
	if (rc < 0 && err != NULL && err->code != E_CONNECTION_FAILED &&
	    err->cls == ERR_PERMANENT) {
		/* the server keeps what it got under the temporary name */
		err_clear(&ignored);
		dele(be, tmp, NULL, &ignored);
	}
out:
	curl_slist_free_all(c.postquote);
	free(url);
	return rc;
}

static int ftp_size(struct backend *, const char *, uint64_t *,
    struct dupc_err *);

static int
ftp_get(struct backend *b, const char *name, int fd, struct dupc_err *err)
{
	struct ftp_backend *be = (struct ftp_backend *)b;
	struct http_req req;
	struct http_fetch f;
	struct ftp_call c;
	char *url = url_of(be, name);
	int rc;

	if (url == NULL)
		return nomem(err);
	req_init(be, &req, &c, "GET", url, "downloading");
	memset(&f, 0, sizeof(f));
	f.req = &req;
	f.fd = fd;
	f.size = HTTP_SIZE_UNKNOWN;
	rc = http_fetch(&be->h, &f, err);
	if (rc < 0 && err != NULL && err->code == E_BACKEND_PERMISSION_DENIED) {
		/* a folder that cannot be entered: is it there at all? */
		struct dupc_err e2;
		uint64_t size;

		err_clear(&e2);
		if (ftp_size(b, name, &size, &e2) < 0 &&
		    e2.cls == ERR_NOT_FOUND)
			*err = e2;
	}
	free(url);
	return rc;
}

static int
ftp_size(struct backend *b, const char *name, uint64_t *size,
    struct dupc_err *err)
{
	static const char *const want[] = { "content-length", NULL };
	struct ftp_backend *be = (struct ftp_backend *)b;
	struct http_sink sink = { NULL, discard, NULL };
	struct http_req req;
	struct http_resp resp;
	struct ftp_call c;
	char *url = url_of(be, name);
	uint64_t v;
	int rc;

	if (url == NULL)
		return nomem(err);
	/* libcurl asks SIZE and hands the answer over as a header */
	req_init(be, &req, &c, "HEAD", url, "asking for the size");
	req.sink = &sink;
	http_resp_init(&resp);
	resp.want = want;
	rc = http_perform(&be->h, &req, &resp, err);
	if (rc < 0 && no_folder(resp.curl_rc))
		rc = err_class_set(err, ERR_NOT_FOUND, E_BACKEND_NOT_FOUND,
		    "asking for the size: no such folder");
	else if (rc == 0 && parse_u64(resp.hval[0], &v) < 0)
		rc = err_class_set(err, ERR_NOT_FOUND, E_BACKEND_NOT_FOUND,
		    "asking for the size: not found");
	else if (rc == 0)
		*size = v;
	http_resp_release(&resp, false);
	free(url);
	return rc;
}

static int
ftp_remove(struct backend *b, const char *name, struct dupc_err *err)
{
	struct ftp_backend *be = (struct ftp_backend *)b;
	struct dupc_err e2;
	uint64_t size;
	int crc = 0;

	if (dele(be, name, &crc, err) == 0)
		return 0;
	if (no_folder(crc))
		return err_class_set(err, ERR_NOT_FOUND, E_BACKEND_NOT_FOUND,
		    "deleting: no such folder");
	/* DELE said no: 550 means "not there" as often as "not allowed" */
	if (crc == CURLE_QUOTE_ERROR) {
		err_clear(&e2);
		if (ftp_size(b, name, &size, &e2) < 0 &&
		    e2.cls == ERR_NOT_FOUND)
			return err_class_set(err, ERR_NOT_FOUND,
			    E_BACKEND_NOT_FOUND, "deleting: not found");
	}
	return -1;
}

static void
ftp_close(struct backend *b)
{
	struct ftp_backend *be = (struct ftp_backend *)b;

	if (be == NULL)
		return;
	http_release(&be->h);
	free(be->origin);
	free(be->dir_enc);
	free(be->user);
	secret_free(be->password);
	free(be);
}

static int
get_password(struct ftp_backend *be, const struct url *u,
    const struct backend_options *opts, struct dupc_err *err)
{
	char prompt[300];

	if (u->password != NULL)
		be->password = secret_dup(u->password);
	else if (opts != NULL && opts->password != NULL)
		be->password = secret_dup(opts->password);
	else {
		snprintf(prompt, sizeof(prompt),
		    "Password for '%.100s@%.100s': ", u->user, u->host);
		be->password = backend_ask(opts, prompt);
		if (be->password == NULL)
			return err_set(err, E_BACKEND_PERMISSION_DENIED,
			    "no password for %s: set FTP_PASSWORD", u->user);
	}
	return be->password != NULL ? 0 : nomem(err);
}

/* The folder as libcurl wants it: "/a/b/" relative to the login folder,
 * "/%2Fsrv/b/" when ${path} is absolute; "/" for the login folder. */
static char *
folder_path(const char *path)
{
	bool abs = path[0] == '/';
	char *e, *out;
	size_t n;

	while (*path == '/')
		path++;
	if ((e = enc(path, true)) == NULL)
		return NULL;
	n = strlen(e) + 8;
	if ((out = malloc(n)) != NULL)
		snprintf(out, n, "/%s%s%s", abs ? "%2F" : "", e,
		    e[0] != '\0' && e[strlen(e) - 1] != '/' ? "/" : "");
	free(e);
	return out;
}

static int
ftp_open(struct backend **bep, const struct url *u,
    const struct backend_options *opts, struct dupc_err *err)
{
	const char *s = u->scheme;
	struct ftp_backend *be;
	bool implicit;

	if (strncmp(s, "lftp+", 5) == 0)
		s += 5;
	implicit = strcmp(s, "ftps") == 0;
	if (u->host == NULL || u->host[0] == '\0')
		return err_set(err, E_BAD_URL,
		    "%s:// URL needs a host: %s://user@host/path", u->scheme,
		    u->scheme);
	if (strpbrk(u->host, "/?#\\ ") != NULL ||
	    strpbrk(u->path, "\r\n") != NULL)
		return err_set(err, E_BAD_URL, "bad host or path in the URL");
	if ((be = calloc(1, sizeof(*be))) == NULL)
		return nomem(err);
	be->base.ops = &ftp_backend_ops;
	if (http_init(&be->h, opts, err) < 0) {
		free(be);
		return -1;
	}
	http_set_protocols(&be->h, "ftp,ftps");
	be->tls = implicit || strcmp(s, "ftpes") == 0;
	be->active = backend_opt_flag(opts, "ftp-regular") &&
		     !backend_opt_flag(opts, "ftp-passive");
	be->origin = malloc(strlen(u->host) + 8);
	be->dir_enc = folder_path(u->path);
	if (be->origin == NULL || be->dir_enc == NULL) {
		nomem(err);
		goto fail;
	}
	snprintf(be->origin, strlen(u->host) + 8, "%s://%s",
	    implicit ? "ftps" : "ftp", u->host);
	if (u->user != NULL && u->user[0] != '\0') {
		if ((be->user = strdup(u->user)) == NULL) {
			nomem(err);
			goto fail;
		}
		if (get_password(be, u, opts, err) < 0)
			goto fail;
	}
	*bep = &be->base;
	return 0;
fail:
	ftp_close(&be->base);
	return -1;
}

static const char *const ftp_schemes[] = { "ftp", "ftpes", "ftps", "lftp+ftp",
	"lftp+ftpes", "lftp+ftps", NULL };

static const struct backend_option_spec ftp_specs[] = {
	{ "ftp-passive", false,
	    "passive FTP: dupc connects for data (the default)" },
	{ "ftp-regular", false,
	    "active FTP: the server connects back for data" },
	{ NULL, false, NULL },
};

static const struct backend_option_group ftp_options = { "FTP", ftp_specs };

static const char ftp_help[] =
    "ftp://[USER[:PASSWORD]@]HOST[:PORT]/path/to/folder\n"
    "ftpes://...  ftps://...  (and lftp+ftp://, lftp+ftpes://, lftp+ftps://)\n"
    "  A folder on an FTP server.  ftp:// is plain FTP, ftpes:// explicit\n"
    "  TLS (AUTH TLS on the FTP port, data connections protected too),\n"
    "  ftps:// implicit TLS (port 990 by default).  The path is relative\n"
    "  to the login folder; ftp://host//srv/backup is absolute.  The\n"
    "  password comes from the URL, FTP_PASSWORD, or a prompt; without a\n"
    "  user the login is anonymous.  Passive mode unless --ftp-regular.\n"
    "  Uploads go to a temporary name and are renamed in place\n"
    "  (RNFR/RNTO), missing folders are made; downloads resume after a\n"
    "  cut (REST).  A server with a private CA: --ssl-cacert-file FILE.\n";

static const char *
ftp_hint(const struct dupc_err *err)
{
	if (err->code == E_BACKEND_PERMISSION_DENIED)
		return "check the user in the URL and the password (FTP_PASSWORD)";
	return NULL;
}

const struct backend_ops ftp_backend_ops = {
	.schemes = ftp_schemes,
	.flags = BACKEND_ATOMIC_PUT,
	.example = "ftpes://user@ftp.example.com/backup",
	.help = ftp_help,
	.options = &ftp_options,
	.hint = ftp_hint,
	.open = ftp_open,
	.list = ftp_list,
	.put = ftp_put,
	.get = ftp_get,
	.remove = ftp_remove,
	.size = ftp_size,
	.close = ftp_close,
};
