/*
 * The webdav:// backend: a folder on a WebDAV server (Nextcloud, ownCloud,
 * Apache mod_dav, a NAS), over the shared libcurl client.  URL forms as
 * duplicity reads them (webdavbackend.py): webdav:// and http:// speak
 * HTTP, webdavs:// and https:// speak TLS, and lftp+webdav:// (duplicity's
 * lftp backend over HTTP) is the same; the path is the folder, slashes
 * folded.  The user and password come from the URL, else FTP_PASSWORD,
 * else the terminal.  Basic or Digest: the first request lets libcurl ask
 * the server which, and every later one uses that method at once (a
 * Basic server gets the password without a round trip).
 *
 * Operations: list is one PROPFIND with Depth: 1, its answer parsed as it
 * arrives (dav_propfind.c); get is a GET resumed with Range (http_fetch);
 * remove is DELETE; size is HEAD.  put is atomic: the object is PUT under
 * a temporary name in the folder, then MOVEd over its name with
 * Overwrite: T, so no one ever reads half an object under the real name
 * (a server that deletes the old object before the move, as Apache does,
 * leaves a short moment where the name is absent, never one where it is
 * partial).  A PUT that finds no folder (404 or 409) makes it with MKCOL,
 * parent by parent, and is sent once more.  Redirects are followed with
 * the method and body kept, never carrying the password to another host.
 */
#define _DEFAULT_SOURCE
#include "backend/webdav/dav_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "backend/http.h"
#include "util/buf.h"
#include "util/digest.h"
#include "util/err.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/stream.h"
#include "util/url.h"

extern const struct backend_ops webdav_backend_ops;

#define TEMP_PREFIX ".dupc-part."
#define MKCOL_DEPTH_MAX 64

struct dav_backend {
	struct backend base;
	struct http h;
	char *origin;  /* "https://host:port" */
	char *dir;     /* decoded folder path, "/a/b/" ("/" at the root) */
	char *dir_enc; /* the same, percent-encoded */
	char *user;    /* NULL: no authentication */
	char *password;
	enum http_auth auth;
	bool auth_known;
	char **headers; /* --webdav-headers, then room for our own */
	size_t nheaders;
};

static int
nomem(struct dupc_err *err)
{
	return err_set(err, E_GENERIC, "out of memory");
}

/* ${s} percent-encoded for a URL path: unreserved bytes and (when
 * ${keep_slash}) '/' stay.  The caller frees the result. */
static char *
enc(const char *s, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b;

	buf_init(&b, 3 * strlen(s) + 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c) != NULL ||
		    (keep_slash && c == '/')) {
			if (buf_addch(&b, c) < 0)
				goto fail;
		} else if (buf_addch(&b, '%') < 0 ||
			   buf_addch(&b, hex[c >> 4]) < 0 ||
			   buf_addch(&b, hex[c & 15]) < 0) {
			goto fail;
		}
	}
	return buf_detach(&b);
fail:
	buf_release(&b);
	return NULL;
}

/* "/" + ${path} with runs of '/' folded and a final '/', as duplicity's
 * sanitize_path makes it.  The caller frees the result. */
static char *
fold_dir(const char *path)
{
	size_t n = strlen(path), o = 0, i;
	char *d = malloc(n + 3);

	if (d == NULL)
		return NULL;
	d[o++] = '/';
	for (i = 0; i < n; i++)
		if (path[i] != '/' || d[o - 1] != '/')
			d[o++] = path[i];
	if (d[o - 1] != '/')
		d[o++] = '/';
	d[o] = '\0';
	return d;
}

/* The full URL of ${name} in the folder (NULL: the folder itself). */
static char *
url_of(const struct dav_backend *be, const char *name)
{
	char *e = name != NULL ? enc(name, false) : strdup("");
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

/* The temporary name a put goes to before it is moved over ${name}. */
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

/* A request with the folder's credentials and headers; ${extra} are
 * this request's own headers (at most 3). */
static void
req_init(struct dav_backend *be, struct http_req *req, const char *method,
    const char *url, const char *what, const char *const *extra)
{
	size_t i = be->nheaders;

	memset(req, 0, sizeof(*req));
	req->method = method;
	req->url = url;
	req->what = what;
	req->user = be->user;
	req->password = be->password;
	req->auth = be->auth;
	req->follow = true;
	for (; extra != NULL && *extra != NULL; extra++)
		be->headers[i++] = (char *)*extra;
	be->headers[i] = NULL;
	req->headers = (const char *const *)be->headers;
}

/* After an answer: settle the authentication method for the next
 * requests, once the server has shown which it wants. */
static void
note_auth(struct dav_backend *be, const struct http_resp *r)
{
	if (be->auth_known || r->status == 401 || r->status == 0)
		return;
	if (r->auth_offered & (1u << HTTP_AUTH_DIGEST))
		be->auth = HTTP_AUTH_DIGEST;
	else if (r->auth_offered & (1u << HTTP_AUTH_BASIC))
		be->auth = HTTP_AUTH_BASIC;
	be->auth_known = true;
}

/* One request with a buffered (small) answer. */
static int
simple(struct dav_backend *be, const char *method, const char *url,
    const char *what, const char *const *extra, long *status,
    struct dupc_err *err)
{
	struct http_req req;
	struct http_resp resp;
	int rc;

	req_init(be, &req, method, url, what, extra);
	req.answer_max = 1u << 20;
	http_resp_init(&resp);
	rc = http_perform(&be->h, &req, &resp, err);
	if (rc == 0) {
		note_auth(be, &resp);
		*status = resp.status;
	}
	http_resp_release(&resp, false);
	return rc;
}

/* ------------------------------------------------------------------ */
/* list */

struct listing {
	struct dav_backend *be;
	backend_list_fn *fn;
	void *arg;
	struct dav_propfind *pf;
	const char *what;
	long status;
	char *dir;  /* the folder path the answer speaks of (decoded) */
	bool found; /* size: the object's size was given */
	uint64_t size;
	bool failed;
	struct dupc_err err;
};

/* The decoded path of ${href} (a path or an absolute URL), slashes
 * folded; NULL when it is not one (or out of memory). */
static char *
href_path(const char *href)
{
	const char *p = href, *sep = strstr(href, "://");
	char *dec, *out;
	size_t i, o = 0;

	if (sep != NULL && sep < href + strcspn(href, "/"))
		p = strchr(sep + 3, '/');
	if (p == NULL || *p != '/' || strstr(p, "%00") != NULL)
		return NULL;
	if ((dec = url_percent_decode(p)) == NULL)
		return NULL;
	out = dec;
	for (i = 0; dec[i]; i++)
		if (dec[i] != '/' || o == 0 || out[o - 1] != '/')
			out[o++] = dec[i];
	out[o] = '\0';
	return out;
}

/* The answer's status line: set up the parser for a 207. */
static int
list_head(void *arg, long status, const char *ctype, int64_t clen,
    const char *crange)
{
	struct listing *l = arg;
	char *p;

	(void)ctype, (void)clen, (void)crange;
	l->status = status;
	if (status != 207)
		return 0;
	/* hrefs speak of the URL that answered, after any redirect */
	p = href_path(http_url(&l->be->h));
	if (p == NULL) {
		l->failed = true;
		nomem(&l->err);
		return -1;
	}
	free(l->dir);
	l->dir = fold_dir(p);
	free(p);
	if (l->dir == NULL) {
		l->failed = true;
		nomem(&l->err);
		return -1;
	}
	return 0;
}

static int
list_data(void *arg, const void *data, size_t n)
{
	struct listing *l = arg;

	if (l->status != 207)
		return 0; /* an error page: only its status matters */
	if (dav_propfind_feed(l->pf, data, n, &l->err) < 0) {
		l->failed = true;
		return -1;
	}
	return 0;
}

/* One <response>: an object directly in the folder is listed. */
static int
list_entry(const struct dav_entry *e, void *arg, struct dupc_err *err)
{
	struct listing *l = arg;
	size_t dn = strlen(l->dir);
	char *p;
	int rc = 0;

	if (e->collection)
		return 0; /* the folder itself, or a subfolder */
	if ((p = href_path(e->href)) == NULL) {
		log_debug("webdav: listing: href '%.200s' passed over",
		    e->href);
		return 0;
	}
	if (strncmp(p, l->dir, dn) == 0 && p[dn] != '\0' &&
	    strchr(p + dn, '/') == NULL)
		rc = l->fn(p + dn, e->has_size ? e->size : 0, l->arg, err);
	else
		log_debug("webdav: listing: '%.200s' is not in %s", p, l->dir);
	free(p);
	return rc;
}

static const char list_body[] = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
				"<D:propfind xmlns:D=\"DAV:\"><D:prop>"
				"<D:resourcetype/><D:getcontentlength/>"
				"</D:prop></D:propfind>\n";

/*
 * One PROPFIND of ${url} with ${depth} ("1": the folder's members, "0":
 * the resource itself), each <response> to ${l}->entry.  0 with
 * *${missing} set for a 404.
 */
static int
propfind(struct dav_backend *be, const char *url, const char *depth,
    struct listing *l, dav_entry_fn *entry, bool *missing, struct dupc_err *err)
{
	const char *extra[] = { depth,
		"Content-Type: application/xml; charset=utf-8", NULL };
	struct http_body body;
	struct http_sink sink = { list_head, list_data, l };
	struct http_req req;
	struct http_resp resp;
	int rc = -1;

	memset(&body, 0, sizeof(body));
	http_resp_init(&resp);
	err_clear(&l->err);
	*missing = false;
	if ((l->pf = dav_propfind_new(entry, l)) == NULL)
		return nomem(err);
	body.mem = list_body;
	body.len = sizeof(list_body) - 1;
	req_init(be, &req, "PROPFIND", url, l->what, extra);
	req.body = &body;
	req.sink = &sink;
	rc = http_perform(&be->h, &req, &resp, err);
	if (l->failed) {
		if (err != NULL)
			*err = l->err;
		rc = -1;
		goto out;
	}
	if (rc < 0)
		goto out;
	note_auth(be, &resp);
	rc = -1;
	if (l->status == 404) {
		*missing = true;
		rc = 0;
	} else if (l->status != 207) {
		http_status_error(err, l->what, l->status);
	} else if (dav_propfind_finish(l->pf, err) == 0) {
		rc = 0;
	}
out:
	http_resp_release(&resp, false);
	dav_propfind_free(l->pf);
	l->pf = NULL;
	return rc;
}

static int
dav_list(struct backend *b, backend_list_fn *fn, void *arg,
    struct dupc_err *err)
{
	struct dav_backend *be = (struct dav_backend *)b;
	struct listing l;
	char *url = url_of(be, NULL);
	bool missing;
	int rc;

	if (url == NULL)
		return nomem(err);
	memset(&l, 0, sizeof(l));
	l.be = be;
	l.fn = fn;
	l.arg = arg;
	l.what = "listing the folder";
	/* a 404 is no folder yet: put makes it */
	rc = propfind(be, url, "Depth: 1", &l, list_entry, &missing, err);
	free(l.dir);
	free(url);
	return rc;
}

/* The one <response> of a Depth: 0 PROPFIND of an object. */
static int
size_entry(const struct dav_entry *e, void *arg, struct dupc_err *err)
{
	struct listing *l = arg;

	(void)err;
	if (!e->collection && e->has_size && !l->found) {
		l->found = true;
		l->size = e->size;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* put */

/* One MKCOL of ${path} (encoded, ending in '/'); *${status} its answer. */
static int
mkcol_one(struct dav_backend *be, const char *path, long *status,
    struct dupc_err *err)
{
	size_t n = strlen(be->origin) + strlen(path) + 1;
	char *url = malloc(n);
	int rc;

	if (url == NULL)
		return nomem(err);
	snprintf(url, n, "%s%s", be->origin, path);
	rc = simple(be, "MKCOL", url, "making the folder", NULL, status, err);
	free(url);
	return rc;
}

/* MKCOL the folder at ${path} (encoded, ending in '/'), making missing
 * parents first (409); ${depth} bounds the climb. */
static int
mkcol(struct dav_backend *be, const char *path, unsigned depth,
    struct dupc_err *err)
{
	size_t n = strlen(path);
	long status = 0;
	char *parent;
	int rc;

	if (n <= 1)
		return 0; /* the server's root */
	if (depth > MKCOL_DEPTH_MAX)
		return err_set(err, E_BACKEND_ERROR,
		    "making the folder: more than %d levels missing",
		    MKCOL_DEPTH_MAX);
	if (mkcol_one(be, path, &status, err) < 0)
		return -1;
	if (status == 409) {
		/* the parent is missing too: make it, then this one */
		n--;
		while (n > 0 && path[n - 1] != '/')
			n--;
		if ((parent = strndup(path, n)) == NULL)
			return nomem(err);
		rc = mkcol(be, parent, depth + 1, err);
		free(parent);
		if (rc < 0 || mkcol_one(be, path, &status, err) < 0)
			return -1;
	}
	/* 405: it is there already */
	if (status == 201 || status == 200 || status == 204 || status == 405)
		return 0;
	return http_status_error(err, "making the folder", status);
}

/* PUT the whole source to ${url}; *${status} is the answer's status. */
static int
put_once(struct dav_backend *be, const char *url, struct source *src,
    uint64_t size, long *status, struct dupc_err *err)
{
	struct http_body body;
	struct http_req req;
	struct http_resp resp;
	int rc;

	if (source_rewind(src, err) < 0)
		return -1;
	memset(&body, 0, sizeof(body));
	body.src = src;
	body.len = size;
	body.whole = true;
	req_init(be, &req, "PUT", url, "uploading", NULL);
	req.body = &body;
	req.answer_max = 1u << 20;
	http_resp_init(&resp);
	rc = http_perform(&be->h, &req, &resp, err);
	if (rc == 0) {
		note_auth(be, &resp);
		*status = resp.status;
	}
	http_resp_release(&resp, false);
	return rc;
}

static bool
put_ok(long status)
{
	return status == 200 || status == 201 || status == 204;
}

/*
 * Where the MOVE of an upload to ${url} (the temporary ${tmp}) over
 * ${name} goes: *${from} and *${dest}.  When the PUT was redirected, both
 * are in the folder it landed in, so the server resolves the Destination
 * in its own space (a Destination under the redirecting path would be
 * redirected in turn, which a MOVE cannot follow).
 */
static int
move_target(struct dav_backend *be, const char *url, const char *tmp,
    const char *name, char **from, char **dest)
{
	const char *eff = http_url(&be->h);
	char *etmp = enc(tmp, false), *ename = enc(name, false);
	size_t el = strlen(eff), tl = etmp != NULL ? strlen(etmp) : 0;
	int rc = -1;

	if (etmp == NULL || ename == NULL)
		goto out;
	if (strcmp(eff, url) != 0 && el > tl &&
	    strcmp(eff + el - tl, etmp) == 0 && eff[el - tl - 1] == '/') {
		*from = strdup(eff);
		*dest = malloc(el - tl + strlen(ename) + 1);
		if (*dest != NULL)
			snprintf(*dest, el - tl + strlen(ename) + 1, "%.*s%s",
			    (int)(el - tl), eff, ename);
	} else {
		*from = strdup(url);
		*dest = url_of(be, name);
	}
	rc = *from != NULL && *dest != NULL ? 0 : -1;
out:
	free(etmp);
	free(ename);
	return rc;
}

/* MOVE ${from} over ${dest} (URLs). */
static int
move_over(struct dav_backend *be, const char *from, const char *dest,
    struct dupc_err *err)
{
	const char *extra[3] = { NULL, "Overwrite: T", NULL };
	long status = 0;
	char *hdr;
	int rc = -1;

	if ((hdr = malloc(strlen(dest) + 14)) == NULL) {
		nomem(err);
		goto out;
	}
	snprintf(hdr, strlen(dest) + 14, "Destination: %s", dest);
	extra[0] = hdr;
	if (simple(be, "MOVE", from, "moving the upload in place", extra,
		&status, err) < 0)
		goto out;
	if (status != 201 && status != 204 && status != 200) {
		http_status_error(err, "moving the upload in place", status);
		goto out;
	}
	rc = 0;
out:
	free(hdr);
	return rc;
}

static int
dav_put(struct backend *b, const char *name, struct source *src, uint64_t size,
    struct dupc_err *err)
{
	struct dav_backend *be = (struct dav_backend *)b;
	char tmp[300], *url = NULL, *from = NULL, *dest = NULL;
	long status = 0, junk;
	struct dupc_err ignored;
	int rc = -1;

	temp_name(name, tmp, sizeof(tmp));
	if ((url = url_of(be, tmp)) == NULL)
		return nomem(err);
	if (put_once(be, url, src, size, &status, err) < 0)
		goto fail;
	if (status == 404 || status == 409) {
		/* no folder: make it, then send the object once more */
		if (mkcol(be, be->dir_enc, 0, err) < 0)
			goto out;
		if (put_once(be, url, src, size, &status, err) < 0)
			goto fail;
	}
	if (!put_ok(status)) {
		http_status_error(err, "uploading", status);
		goto fail;
	}
	if (move_target(be, url, tmp, name, &from, &dest) < 0) {
		nomem(err);
		goto fail;
	}
	rc = move_over(be, from, dest, err);
	goto out;
fail:
	/* the server may keep what it got under the temporary name: drop
	 * it, unless the connection itself is what failed */
	if (err == NULL || err->code != E_CONNECTION_FAILED) {
		err_clear(&ignored);
		simple(be, "DELETE", url, "removing a partial upload", NULL,
		    &junk, &ignored);
	}
out:
	free(url);
	free(from);
	free(dest);
	return rc;
}

/* ------------------------------------------------------------------ */
/* get, remove, size */

static int
dav_get(struct backend *b, const char *name, int fd, struct dupc_err *err)
{
	struct dav_backend *be = (struct dav_backend *)b;
	struct http_req req;
	struct http_fetch f;
	char *url = url_of(be, name);
	int rc;

	if (url == NULL)
		return nomem(err);
	req_init(be, &req, "GET", url, "downloading", NULL);
	memset(&f, 0, sizeof(f));
	f.req = &req;
	f.fd = fd;
	f.size = HTTP_SIZE_UNKNOWN;
	rc = http_fetch(&be->h, &f, err);
	free(url);
	return rc;
}

static int
dav_remove(struct backend *b, const char *name, struct dupc_err *err)
{
	struct dav_backend *be = (struct dav_backend *)b;
	char *url = url_of(be, name);
	long status = 0;
	int rc = -1;

	if (url == NULL)
		return nomem(err);
	if (simple(be, "DELETE", url, "deleting", NULL, &status, err) == 0) {
		if (status == 200 || status == 204 || status == 202)
			rc = 0;
		else
			http_status_error(err, "deleting", status);
	}
	free(url);
	return rc;
}

static int
dav_size(struct backend *b, const char *name, uint64_t *size,
    struct dupc_err *err)
{
	struct dav_backend *be = (struct dav_backend *)b;
	struct listing l;
	char *url = url_of(be, name);
	bool missing;
	int rc;

	if (url == NULL)
		return nomem(err);
	/* PROPFIND, not HEAD: servers leave Content-Length out of the HEAD
	 * of an empty file */
	memset(&l, 0, sizeof(l));
	l.be = be;
	l.what = "asking for the size";
	rc = propfind(be, url, "Depth: 0", &l, size_entry, &missing, err);
	free(l.dir);
	free(url);
	if (rc == 0 && (missing || !l.found))
		return err_class_set(err, ERR_NOT_FOUND, E_BACKEND_NOT_FOUND,
		    "asking for the size: %s",
		    missing ? "not found" : "the server did not say");
	if (rc == 0)
		*size = l.size;
	return rc;
}

/* ------------------------------------------------------------------ */
/* open, close */

static void
dav_close(struct backend *b)
{
	struct dav_backend *be = (struct dav_backend *)b;

	if (be == NULL)
		return;
	http_release(&be->h);
	free(be->origin);
	free(be->dir);
	free(be->dir_enc);
	free(be->user);
	secret_free(be->password);
	if (be->headers != NULL)
		be->headers[be->nheaders] =
		    NULL; /* a request's own are not ours */
	dav_headers_free(be->headers);
	free(be);
}

/* The password for ${u}: the URL's, FTP_PASSWORD, or the terminal's. */
static int
get_password(struct dav_backend *be, const struct url *u,
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

/* The headers of --webdav-headers, with room for 3 of a request's. */
static int
read_headers(struct dav_backend *be, const struct backend_options *opts,
    struct dupc_err *err)
{
	const char *spec = backend_opt_get(opts, "webdav-headers");
	char **h = NULL, **g;
	size_t n = 0;

	if (spec != NULL && *spec != '\0' &&
	    dav_headers_parse(spec, &h, err) < 0)
		return -1;
	while (h != NULL && h[n] != NULL)
		n++;
	if ((g = realloc(h, (n + 4) * sizeof(*g))) == NULL) {
		dav_headers_free(h);
		return nomem(err);
	}
	g[n] = NULL;
	be->headers = g;
	be->nheaders = n;
	return 0;
}

static int
dav_open(struct backend **bep, const struct url *u,
    const struct backend_options *opts, struct dupc_err *err)
{
	struct dav_backend *be;
	bool tls = strcmp(u->scheme, "webdavs") == 0 ||
		   strcmp(u->scheme, "https") == 0;

	if (u->host == NULL || u->host[0] == '\0')
		return err_set(err, E_BAD_URL,
		    "%s:// URL needs a host: %s://host/path/to/folder",
		    u->scheme, u->scheme);
	if (strpbrk(u->host, "/?#\\ ") != NULL)
		return err_set(err, E_BAD_URL, "bad host '%.100s' in the URL",
		    u->host);
	if ((be = calloc(1, sizeof(*be))) == NULL)
		return nomem(err);
	be->base.ops = &webdav_backend_ops;
	if (http_init(&be->h, opts, err) < 0) {
		free(be);
		return -1;
	}
	be->origin = malloc(strlen(u->host) + 9);
	be->dir = fold_dir(u->path);
	if (be->origin == NULL || be->dir == NULL ||
	    (be->dir_enc = enc(be->dir, true)) == NULL) {
		nomem(err);
		goto fail;
	}
	snprintf(be->origin, strlen(u->host) + 9, "%s://%s",
	    tls ? "https" : "http", u->host);
	if (u->user != NULL && u->user[0] != '\0') {
		if ((be->user = strdup(u->user)) == NULL) {
			nomem(err);
			goto fail;
		}
		if (get_password(be, u, opts, err) < 0)
			goto fail;
	}
	if (read_headers(be, opts, err) < 0)
		goto fail;
	*bep = &be->base;
	return 0;
fail:
	dav_close(&be->base);
	return -1;
}

static const char *const webdav_schemes[] = { "webdav", "webdavs", "http",
	"https", "lftp+webdav", NULL };

static const struct backend_option_spec webdav_specs[] = {
	{ "webdav-headers", true,
	    "extra request headers as comma-separated name,value pairs" },
	{ NULL, false, NULL },
};

static const struct backend_option_group webdav_options = { "WebDAV",
	webdav_specs };

static const char webdav_help[] =
    "webdav://[USER[:PASSWORD]@]HOST[:PORT]/path/to/folder\n"
    "webdavs://[USER[:PASSWORD]@]HOST[:PORT]/path/to/folder\n"
    "  A folder on a WebDAV server (Nextcloud, ownCloud, Apache mod_dav, a\n"
    "  NAS).  webdav:// and http:// speak plain HTTP, webdavs:// and\n"
    "  https:// TLS; lftp+webdav:// is taken as webdav://.  The password\n"
    "  comes from the URL, FTP_PASSWORD, or a prompt; the server chooses\n"
    "  Basic or Digest authentication.  A missing folder is made (MKCOL)\n"
    "  by the first upload.  Uploads go to a temporary name and are moved\n"
    "  in place (MOVE, Overwrite: T), so no partial volume ever carries\n"
    "  its real name; downloads resume after a cut.  Redirects are\n"
    "  followed.  A server with a private CA: --ssl-cacert-file FILE.\n"
    "  --webdav-headers 'Name,value,Name2,value2' adds request headers\n"
    "  (a field may be double-quoted to hold a comma).\n";

static const char *
webdav_hint(const struct dupc_err *err)
{
	if (err->code == E_BACKEND_PERMISSION_DENIED)
		return "check the user in the URL and the password (FTP_PASSWORD)";
	return NULL;
}

const struct backend_ops webdav_backend_ops = {
	.schemes = webdav_schemes,
	.flags = BACKEND_ATOMIC_PUT,
	.example = "webdavs://user@host/path",
	.help = webdav_help,
	.options = &webdav_options,
	.hint = webdav_hint,
	.open = dav_open,
	.list = dav_list,
	.put = dav_put,
	.get = dav_get,
	.remove = dav_remove,
	.size = dav_size,
	.close = dav_close,
};
