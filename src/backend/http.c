/*
 * The shared libcurl transport (see http.h).  One easy handle per struct
 * http, reset before each request and reused so that keep-alive
 * connections survive.  Buffered answers are capped; request bodies and
 * streamed answers move in libcurl's own blocks, so memory does not grow
 * with the size of a volume.  TLS peers are verified unless the user said
 * --ssl-no-check-certificate, only the protocols the backend chose are
 * spoken (redirects included), a stall longer than the per-attempt timeout
 * aborts the transfer, and an interrupt (SIGINT/SIGTERM) aborts it at once.
 */
#define _DEFAULT_SOURCE
#include "backend/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <pthread.h>

#include "backend/backend.h"
#include "util/digest.h"
#include "util/err.h"
#include "util/interrupt.h"
#include "util/ratelimit.h"
#include "util/secret.h"
#include "util/stream.h"

static const struct backend_option_spec tls_specs[] = {
	{ "ssl-cacert-file", true,
	    "trust the CA certificates in FILE (PEM) for TLS connections" },
	{ "ssl-cacert-path", true,
	    "trust the CA certificates in DIR (hashed, as c_rehash makes)" },
	{ "ssl-no-check-certificate", false,
	    "do not verify the server's TLS certificate (dangerous)" },
	{ NULL, false, NULL },
};

const struct backend_option_group http_option_group = {
	"TLS (mf://, s3://, webdavs://, ftps://)", tls_specs
};

/* curl_global_init is not thread-safe in libcurl 7.88: once, locked. */
static pthread_mutex_t global_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned users;

static int
global_take(void)
{
	int rc = 0;

	pthread_mutex_lock(&global_mu);
	if (users == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		rc = -1;
	else
		users++;
	pthread_mutex_unlock(&global_mu);
	return rc;
}

static void
global_drop(void)
{
	pthread_mutex_lock(&global_mu);
	if (users > 0 && --users == 0)
		curl_global_cleanup();
	pthread_mutex_unlock(&global_mu);
}

static char *
opt_dup(const struct backend_options *opts, const char *name)
{
	const char *v = backend_opt_get(opts, name);

	return v != NULL && *v != '\0' ? strdup(v) : NULL;
}

int
http_init(struct http *h, const struct backend_options *opts,
    struct dupc_err *err)
{
	memset(h, 0, sizeof(*h));
	if (global_take() < 0)
		return err_set(err, E_BACKEND_ERROR,
		    "cannot initialise libcurl");
	h->curl = curl_easy_init();
	if (h->curl == NULL) {
		global_drop();
		return err_set(err, E_BACKEND_ERROR,
		    "cannot initialise libcurl");
	}
	h->timeout = opts != NULL && opts->timeout ? (long)opts->timeout : 30;
	h->ca_file = opt_dup(opts, "ssl-cacert-file");
	h->ca_path = opt_dup(opts, "ssl-cacert-path");
	h->insecure = backend_opt_flag(opts, "ssl-no-check-certificate");
	snprintf(h->protocols, sizeof(h->protocols), "http,https");
	h->pause = 0.1;
	if (opts != NULL && opts->retry_delay > 0 && opts->retry_delay < 0.1)
		h->pause = opts->retry_delay;
	h->tries = opts != NULL && opts->num_retries ? opts->num_retries : 5;
	h->limit_up = opts != NULL ? opts->limit_up : NULL;
	h->limit_down = opts != NULL ? opts->limit_down : NULL;
	h->ready = true;
	return 0;
}

void
http_release(struct http *h)
{
	if (!h->ready)
		return;
	curl_easy_cleanup(h->curl);
	global_drop();
	free(h->ca_file);
	free(h->ca_path);
	memset(h, 0, sizeof(*h));
}

int
http_clone(struct http *dst, const struct http *src, struct dupc_err *err)
{
	memset(dst, 0, sizeof(*dst));
	if (global_take() < 0)
		return err_set(err, E_BACKEND_ERROR,
		    "cannot initialise libcurl");
	dst->curl = curl_easy_init();
	dst->ca_file = src->ca_file ? strdup(src->ca_file) : NULL;
	dst->ca_path = src->ca_path ? strdup(src->ca_path) : NULL;
	if (dst->curl == NULL || (src->ca_file && !dst->ca_file) ||
	    (src->ca_path && !dst->ca_path)) {
		if (dst->curl != NULL)
			curl_easy_cleanup(dst->curl);
		free(dst->ca_file);
		free(dst->ca_path);
		global_drop();
		memset(dst, 0, sizeof(*dst));
		return err_set(err, E_BACKEND_ERROR,
		    "cannot initialise libcurl");
	}
	dst->timeout = src->timeout;
	dst->insecure = src->insecure;
	memcpy(dst->protocols, src->protocols, sizeof(dst->protocols));
	dst->pause = src->pause;
	dst->tries = src->tries;
	dst->limit_up = src->limit_up;
	dst->limit_down = src->limit_down;
	dst->ready = true;
	return 0;
}

int
http_pool_init(struct http_pool *p, const struct backend_options *opts,
    size_t max_idle, struct dupc_err *err)
{
	pthread_mutex_t *mu;

	memset(p, 0, sizeof(*p));
	mu = malloc(sizeof(*mu));
	p->idle = calloc(max_idle ? max_idle : 1, sizeof(*p->idle));
	if (mu == NULL || p->idle == NULL) {
		free(mu);
		free(p->idle);
		p->idle = NULL;
		return err_set(err, E_GENERIC, "out of memory");
	}
	if (http_init(&p->tmpl, opts, err) < 0) {
		free(mu);
		free(p->idle);
		p->idle = NULL;
		return -1;
	}
	pthread_mutex_init(mu, NULL);
	p->mu = mu;
	p->max_idle = max_idle ? max_idle : 1;
	return 0;
}

struct http *
http_pool_take(struct http_pool *p, struct dupc_err *err)
{
	struct http *h = NULL;

	pthread_mutex_lock(p->mu);
	if (p->nidle > 0)
		h = p->idle[--p->nidle];
	pthread_mutex_unlock(p->mu);
	if (h != NULL)
		return h;
	h = malloc(sizeof(*h));
	if (h == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		return NULL;
	}
	if (http_clone(h, &p->tmpl, err) < 0) {
		free(h);
		return NULL;
	}
	return h;
}

void
http_pool_give(struct http_pool *p, struct http *h)
{
	if (h == NULL)
		return;
	pthread_mutex_lock(p->mu);
	if (p->nidle < p->max_idle) {
		p->idle[p->nidle++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(p->mu);
	if (h != NULL) {
		http_release(h);
		free(h);
	}
}

void
http_pool_release(struct http_pool *p)
{
	size_t i;

	if (p->mu == NULL)
		return;
	for (i = 0; i < p->nidle; i++) {
		http_release(p->idle[i]);
		free(p->idle[i]);
	}
	free(p->idle);
	http_release(&p->tmpl);
	pthread_mutex_destroy(p->mu);
	free(p->mu);
	memset(p, 0, sizeof(*p));
}

void
http_set_protocols(struct http *h, const char *list)
{
	snprintf(h->protocols, sizeof(h->protocols), "%s", list);
}

const char *
http_url(struct http *h)
{
	char *u = NULL;

	curl_easy_getinfo(h->curl, CURLINFO_EFFECTIVE_URL, &u);
	return u != NULL ? u : "";
}

void
http_resp_init(struct http_resp *r)
{
	memset(r, 0, sizeof(*r));
}

void
http_resp_release(struct http_resp *r, bool wipe)
{
	const char *const *want = r->want;

	if (wipe && r->body != NULL)
		secret_wipe(r->body, r->cap);
	free(r->body);
	http_resp_init(r);
	r->want = want;
}

/* Stall detection: no byte moved either way for ${timeout} seconds. */
struct watch {
	long timeout;
	curl_off_t dn, up;
	struct timespec last;
	bool stalled;
	bool cancelled;
	bool after_interrupt;
	bool (*cancel)(void *);
	void *cancel_arg;
};

/* State shared with the callbacks of one transfer. */
struct xfer {
	struct watch w;
	CURL *c;
	const struct http_req *req;
	struct http_body *body;
	struct http_resp *resp;
	size_t answer_max;
	bool overflow;
	bool aborted; /* a sink callback said stop */
	bool head_done;
	char crange[128];
	struct ratelimit *limit_up; /* the handle's, borrowed */
	struct ratelimit *limit_down;
};

/*
 * Take ${n} bytes from ${rl}; the wait is the user's limit, not a silent
 * server, so the stall watch starts again after it.
 */
static void
throttle(struct xfer *x, struct ratelimit *rl, size_t n)
{
	if (rl == NULL)
		return;
	ratelimit_take(rl, n);
	clock_gettime(CLOCK_MONOTONIC, &x->w.last);
}

/* Copy ${src} (NULL: "") into ${dst}, cut to fit. */
static void
copy_str(char *dst, size_t size, const char *src)
{
	size_t n = src != NULL ? strlen(src) : 0;

	if (n >= size)
		n = size - 1;
	if (n > 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

static size_t
read_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	struct http_body *b = x->body;
	struct dupc_err e;
	uint64_t left = b->len - b->sent;
	size_t want = size * nmemb, got;

	if (want > left)
		want = (size_t)left;
	if (want == 0)
		return 0;
	if (b->src == NULL) {
		memcpy(p, b->mem + b->sent, want);
		got = want;
	} else {
		err_clear(&e);
		if (source_read(b->src, p, want, &got, &e) < 0 || got == 0) {
			b->src_failed = true;
			copy_str(b->src_msg, sizeof(b->src_msg),
			    got == 0 && e.code == 0
				? "the file to upload is shorter than its size"
				: e.msg);
			return CURL_READFUNC_ABORT;
		}
		if (b->tee != NULL)
			digest_update(b->tee, p, got);
		/* an object's bytes count against --limit-upload */
		throttle(x, x->limit_up, got);
	}
	b->sent += got;
	return got;
}

/* libcurl sends the body again (a redirect, an auth challenge): only
 * from the start, and only of a body that can start over. */
static int
seek_cb(void *arg, curl_off_t off, int origin)
{
	struct xfer *x = arg;
	struct http_body *b = x->body;
	struct dupc_err e;
	char junk[DIGEST_HEX_MAX];

	if (off != 0 || origin != SEEK_SET)
		return CURL_SEEKFUNC_CANTSEEK;
	if (b->src != NULL) {
		err_clear(&e);
		if (!b->whole || source_rewind(b->src, &e) < 0)
			return CURL_SEEKFUNC_CANTSEEK;
		if (b->tee != NULL)
			digest_final_hex(b->tee, junk); /* starts it over */
	}
	b->sent = 0;
	return CURL_SEEKFUNC_OK;
}

static size_t
buffer_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	struct http_resp *r = x->resp;
	size_t n = size * nmemb;

	if (n > x->answer_max - r->len) {
		x->overflow = true;
		return 0;
	}
	if (r->len + n + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		char *q;

		while (cap < r->len + n + 1)
			cap *= 2;
		q = malloc(cap);
		if (q == NULL) {
			x->overflow = true;
			return 0;
		}
		/* copy rather than realloc: the old block may be wiped
		 * (answers to a login carry a session token) */
		if (r->len > 0)
			memcpy(q, r->body, r->len);
		if (r->body != NULL && x->req->secret_answer)
			secret_wipe(r->body, r->cap);
		free(r->body);
		r->body = q;
		r->cap = cap;
	}
	memcpy(r->body + r->len, p, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

/* Hand the status line and headers to the sink, once. */
static int
sink_head(struct xfer *x)
{
	long status = 0;
	char *ct = NULL;
	curl_off_t cl = -1;

	if (x->head_done)
		return 0;
	x->head_done = true;
	curl_easy_getinfo(x->c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(x->c, CURLINFO_CONTENT_TYPE, &ct);
	curl_easy_getinfo(x->c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
	if (x->req->sink->head != NULL &&
	    x->req->sink->head(x->req->sink->arg, status, ct ? ct : "",
		(int64_t)cl, x->crange) < 0) {
		x->aborted = true;
		return -1;
	}
	return 0;
}

static size_t
sink_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb;

	if (sink_head(x) < 0)
		return 0;
	if (x->req->sink->data(x->req->sink->arg, p, n) < 0) {
		x->aborted = true;
		return 0;
	}
	throttle(x, x->limit_down, n);
	return n;
}

/* The value of header line ${p} (${n} bytes) if it is ${name}, trimmed. */
static bool
header_value(const char *p, size_t n, const char *name, char *out, size_t outsz)
{
	size_t k = strlen(name);
	const char *v;
	size_t l;

	if (n <= k || p[k] != ':' || strncasecmp(p, name, k) != 0)
		return false;
	v = p + k + 1;
	l = n - k - 1;
	while (l > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		l--;
	}
	while (
	    l > 0 && (v[l - 1] == '\r' || v[l - 1] == '\n' || v[l - 1] == ' '))
		l--;
	if (l >= outsz)
		l = outsz - 1;
	memcpy(out, v, l);
	out[l] = '\0';
	return true;
}

/* Keep Content-Range and the wanted headers of the last response
 * (redirects and 100 Continue come first). */
static size_t
header_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	struct http_resp *r = x->resp;
	size_t n = size * nmemb, i;

	if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		x->crange[0] = '\0';
		for (i = 0; i < HTTP_HEADERS_MAX; i++)
			r->hval[i][0] = '\0';
	}
	if (header_value(p, n, "content-range", x->crange, sizeof(x->crange)))
		return n;
	for (i = 0; r->want != NULL && i < HTTP_HEADERS_MAX && r->want[i]; i++)
		if (header_value(p, n, r->want[i], r->hval[i],
			sizeof(r->hval[i])))
			break;
	return n;
}

static int
progress_cb(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut,
    curl_off_t un)
{
	struct watch *w = arg;
	struct timespec now;

	(void)dt;
	(void)ut;
	if (interrupted() && !w->after_interrupt)
		return 1;
	if (w->cancel != NULL && w->cancel(w->cancel_arg)) {
		w->cancelled = true;
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (dn != w->dn || un != w->up || w->last.tv_sec == 0) {
		w->dn = dn;
		w->up = un;
		w->last = now;
		return 0;
	}
	/* libcurl's own low-speed check averages over seconds of history,
	 * so a request body sent at once would hide a silent server */
	if ((double)(now.tv_sec - w->last.tv_sec) +
		(double)(now.tv_nsec - w->last.tv_nsec) / 1e9 >=
	    (double)w->timeout) {
		w->stalled = true;
		return 1;
	}
	return 0;
}

static long
auth_mask(enum http_auth a)
{
	switch (a) {
	case HTTP_AUTH_BASIC:
		return (long)CURLAUTH_BASIC;
	case HTTP_AUTH_DIGEST:
		return (long)CURLAUTH_DIGEST;
	default:
		return (long)(CURLAUTH_BASIC | CURLAUTH_DIGEST);
	}
}

/* Options common to every request. */
static void
common_opts(struct http *h, const struct http_req *req, char *errbuf,
    struct xfer *x)
{
	CURL *c = h->curl;

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, h->protocols);
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, h->protocols);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, h->insecure ? 0L : 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, h->insecure ? 0L : 2L);
	if (h->ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_file);
	if (h->ca_path != NULL)
		curl_easy_setopt(c, CURLOPT_CAPATH, h->ca_path);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "dupc");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, h->timeout);
	/* a stall, not a slow transfer, is what ends an attempt */
	x->w.timeout = h->timeout;
	x->w.cancel = req->cancelled;
	x->w.cancel_arg = req->cancel_arg;
	x->w.after_interrupt = req->after_interrupt;
	if (req->max_time > 0)
		curl_easy_setopt(c, CURLOPT_TIMEOUT, req->max_time);
	else if (req->after_interrupt)
		curl_easy_setopt(c, CURLOPT_TIMEOUT, h->timeout);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress_cb);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, &x->w);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	if (req->user != NULL) {
		curl_easy_setopt(c, CURLOPT_USERNAME, req->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD,
		    req->password ? req->password : "");
		if (req->aws_sigv4 == NULL)
			curl_easy_setopt(c, CURLOPT_HTTPAUTH,
			    auth_mask(req->auth));
	}
	if (req->aws_sigv4 != NULL)
		curl_easy_setopt(c, CURLOPT_AWS_SIGV4, req->aws_sigv4);
	if (req->follow) {
		curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
		/* a redirected request keeps its method and body (PUT,
		 * PROPFIND) */
		curl_easy_setopt(c, CURLOPT_POSTREDIR,
		    (long)CURL_REDIR_POST_ALL);
		/* a redirect elsewhere must not carry the credentials */
		curl_easy_setopt(c, CURLOPT_UNRESTRICTED_AUTH, 0L);
	}
}

/* The method and the body. */
static void
method_opts(CURL *c, const struct http_req *req, struct xfer *x)
{
	const char *m = req->method;

	if (req->body != NULL) {
		curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
		curl_easy_setopt(c, CURLOPT_READDATA, x);
		/* reads of 64 KiB (the default) make many small TLS records
		 * and writes: a volume goes in 512 KiB pieces */
		curl_easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
		curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, seek_cb);
		curl_easy_setopt(c, CURLOPT_SEEKDATA, x);
		if (m != NULL && strcmp(m, "PUT") == 0) {
			/* PUT over HTTP, STOR over FTP */
			curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
			curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE,
			    (curl_off_t)req->body->len);
		} else {
			curl_easy_setopt(c, CURLOPT_POST, 1L);
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
			    (curl_off_t)req->body->len);
			if (m != NULL && strcmp(m, "POST") != 0)
				curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, m);
		}
	} else if (m != NULL && strcmp(m, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (m != NULL && strcmp(m, "GET") != 0) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, m);
	} else {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	}
}

/* An FTP command refused (${reply} the server's last reply code): 4xx
 * may pass, 5xx will not; 452 and 552 say the disk is full. */
static int
ftp_reply_fail(struct dupc_err *err, const char *what, long reply,
    const char *text)
{
	if (reply == 452 || reply == 552)
		return err_class_set(err, ERR_PERMANENT, E_BACKEND_NO_SPACE,
		    "%s: %s (no space on the server)", what, text);
	if (reply == 530)
		return err_class_set(err, ERR_PERMANENT,
		    E_BACKEND_PERMISSION_DENIED, "%s: %s (not logged in)", what,
		    text);
	if (reply >= 400 && reply < 500)
		return err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
		    "%s: %s", what, text);
	return err_class_set(err, ERR_PERMANENT, E_BACKEND_ERROR, "%s: %s",
	    what, text);
}

/*
 * Turn a libcurl failure into a classed error; ${reply} is the last
 * status or FTP reply code.  A failure before the connection was ready to
 * carry the request (TCP and TLS set up) is a connection failure, whatever
 * libcurl calls it: a TLS handshake with a port that speaks plain HTTP, a
 * handshake that never ends.
 */
static int
transport_fail(struct dupc_err *err, const char *what, CURLcode rc,
    const char *errbuf, const struct watch *w, long reply, bool connected)
{
	enum err_class cls = ERR_TRANSIENT;
	int code = connected ? E_BACKEND_ERROR : E_CONNECTION_FAILED;
	const char *text = errbuf[0] ? errbuf : curl_easy_strerror(rc);

	switch (rc) {
	case CURLE_ABORTED_BY_CALLBACK:
		if (w->cancelled)
			return err_class_set(err, ERR_TRANSIENT,
			    E_BACKEND_ERROR, "%s: cancelled", what);
		if (interrupted() && !w->after_interrupt)
			return err_class_set(err, ERR_PERMANENT, E_GENERIC,
			    "%s: interrupted", what);
		if (w->stalled)
			return err_class_set(err, ERR_TRANSIENT,
			    E_BACKEND_ERROR, "%s: no data for %ld seconds",
			    what, w->timeout);
		break;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_TOO_MANY_REDIRECTS:
	case CURLE_LOGIN_DENIED:
		cls = ERR_PERMANENT;
		code = rc == CURLE_LOGIN_DENIED ? E_BACKEND_PERMISSION_DENIED
						: E_BACKEND_ERROR;
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_ISSUER_ERROR:
		return err_class_set(err, ERR_PERMANENT, E_CONNECTION_FAILED,
		    "%s: %s; if the server's certificate comes from a private CA, give it with --ssl-cacert-file",
		    what, text);
	case CURLE_USE_SSL_FAILED:
		return err_class_set(err, ERR_PERMANENT, E_CONNECTION_FAILED,
		    "%s: %s (the server offers no TLS)", what, text);
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		code = E_CONNECTION_FAILED;
		break;
	/* FTP: the server answered, and said no */
	case CURLE_REMOTE_FILE_NOT_FOUND:
		return err_class_set(err, ERR_NOT_FOUND, E_BACKEND_NOT_FOUND,
		    "%s: not found", what);
	case CURLE_REMOTE_ACCESS_DENIED:
		return err_class_set(err, ERR_PERMANENT,
		    E_BACKEND_PERMISSION_DENIED, "%s: %s", what, text);
	case CURLE_REMOTE_DISK_FULL:
		return err_class_set(err, ERR_PERMANENT, E_BACKEND_NO_SPACE,
		    "%s: %s", what, text);
	case CURLE_FTP_PORT_FAILED:
	case CURLE_FTP_ACCEPT_FAILED:
	case CURLE_FTP_ACCEPT_TIMEOUT:
		return err_class_set(err, ERR_PERMANENT, E_CONNECTION_FAILED,
		    "%s: %s (active mode, --ftp-regular, failed: leave it out for passive mode)",
		    what, text);
	case CURLE_QUOTE_ERROR:
	case CURLE_UPLOAD_FAILED:
	case CURLE_FTP_COULDNT_RETR_FILE:
		return ftp_reply_fail(err, what, reply, text);
	default:
		break;
	}
	return err_class_set(err, cls, code, "%s: %s", what, text);
}

static int
nomem(struct dupc_err *err)
{
	return err_set(err, E_GENERIC, "out of memory");
}

/* What authentication the server offered. */
static void
answer_info(CURL *c, struct http_resp *resp)
{
	long avail = 0;

	curl_easy_getinfo(c, CURLINFO_HTTPAUTH_AVAIL, &avail);
	resp->auth_offered = 0;
	if (avail & (long)CURLAUTH_BASIC)
		resp->auth_offered |= 1u << HTTP_AUTH_BASIC;
	if (avail & (long)CURLAUTH_DIGEST)
		resp->auth_offered |= 1u << HTTP_AUTH_DIGEST;
}

int
http_perform(struct http *h, const struct http_req *req, struct http_resp *resp,
    struct dupc_err *err)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hl = NULL, *t;
	const char *const *hp;
	const char *what = req->what ? req->what : "request";
	char range[48];
	struct xfer x;
	char *ct = NULL;
	CURLcode rc;
	int ret = -1;

	memset(&x, 0, sizeof(x));
	x.c = h->curl;
	x.req = req;
	x.body = req->body;
	x.limit_up = h->limit_up;
	x.limit_down = h->limit_down;
	x.resp = resp;
	x.answer_max = req->answer_max ? req->answer_max : HTTP_ANSWER_MAX;
	if (req->body != NULL) {
		req->body->sent = 0;
		req->body->src_failed = false;
	}
	for (hp = req->headers; hp != NULL && *hp != NULL; hp++) {
		if ((t = curl_slist_append(hl, *hp)) == NULL)
			goto nomem;
		hl = t;
	}
	/* no 100-continue round trip: it doubles the latency of small
	 * uploads and some proxies mishandle it */
	if ((t = curl_slist_append(hl, "Expect:")) == NULL)
		goto nomem;
	hl = t;
	common_opts(h, req, errbuf, &x);
	method_opts(h->curl, req, &x);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hl);
	if (req->from > 0) {
		snprintf(range, sizeof(range), "%llu-",
		    (unsigned long long)req->from);
		curl_easy_setopt(h->curl, CURLOPT_RANGE, range);
	}
	if (req->sink != NULL) {
		curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, sink_cb);
	} else {
		/* a buffered answer is an API reply: let it be compressed */
		curl_easy_setopt(h->curl, CURLOPT_ACCEPT_ENCODING, "");
		curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, buffer_cb);
	}
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &x);
	if (req->setup != NULL)
		req->setup(h->curl, req->setup_arg);
	rc = curl_easy_perform(h->curl);
	if (req->body != NULL && req->body->src_failed) {
		err_set(err, E_BACKEND_ERROR, "%s: %s", what,
		    req->body->src_msg);
		goto out;
	}
	if (x.overflow) {
		err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
		    "%s: answer larger than %zu bytes", what, x.answer_max);
		goto out;
	}
	if (x.aborted) {
		err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
		    "%s: transfer stopped", what);
		goto out;
	}
	if (rc != CURLE_OK) {
		curl_off_t ready = 0;
		long reply = 0;

		curl_easy_getinfo(h->curl, CURLINFO_PRETRANSFER_TIME_T, &ready);
		curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &reply);
		resp->status = reply;
		resp->curl_rc = (int)rc;
		transport_fail(err, what, rc, errbuf, &x.w, reply, ready > 0);
		goto out;
	}
	/* a body-less answer still has a status the sink must see */
	if (req->sink != NULL && sink_head(&x) < 0) {
		err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
		    "%s: transfer stopped", what);
		goto out;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &resp->status);
	curl_easy_getinfo(h->curl, CURLINFO_CONTENT_TYPE, &ct);
	copy_str(resp->ctype, sizeof(resp->ctype), ct);
	answer_info(h->curl, resp);
	ret = 0;
out:
	curl_slist_free_all(hl);
	return ret;
nomem:
	curl_slist_free_all(hl);
	return nomem(err);
}

int
http_status_error(struct dupc_err *err, const char *what, long status)
{
	if (status == 404 || status == 410)
		return err_class_set(err, ERR_NOT_FOUND, E_BACKEND_NOT_FOUND,
		    "%s: HTTP %ld (not found)", what, status);
	if (status == 401 || status == 403)
		return err_class_set(err, ERR_PERMANENT,
		    E_BACKEND_PERMISSION_DENIED, "%s: HTTP %ld (access denied)",
		    what, status);
	if (status == 507 || status == 413)
		return err_class_set(err, ERR_PERMANENT, E_BACKEND_NO_SPACE,
		    "%s: HTTP %ld (no space on the server)", what, status);
	if (status == 408 || status == 429 ||
	    (status >= 500 && status != 501 && status != 505))
		return err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
		    "%s: HTTP %ld", what, status);
	return err_class_set(err, ERR_PERMANENT, E_BACKEND_ERROR,
	    "%s: HTTP %ld", what, status);
}
