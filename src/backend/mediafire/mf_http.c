/*
 * The transport: one libcurl easy handle per backend, reset before each
 * request and reused so that keep-alive connections survive.  Answers to
 * API calls are buffered with a hard cap; request bodies and downloads are
 * streamed in libcurl's own blocks, so memory does not grow with the size
 * of a volume.  TLS peers are always verified, only http and https are
 * spoken, a stall longer than the per-attempt timeout aborts the transfer,
 * and an interrupt (SIGINT/SIGTERM) aborts it at once.  This layer knows
 * nothing of MediaFire: it reports what came back and how a failure should
 * be classed.
 */
#include "backend/mediafire/mf_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "util/digest.h"
#include "util/err.h"
#include "util/interrupt.h"
#include "util/secret.h"
#include "util/stream.h"

static int curl_users;

int
mf_http_init(struct mf_http *h, unsigned timeout, struct dupc_err *err)
{
	memset(h, 0, sizeof(*h));
	if (curl_users == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return err_set(err, E_BACKEND_ERROR,
		    "cannot initialise libcurl");
	curl_users++;
	h->curl = curl_easy_init();
	if (h->curl == NULL) {
		if (--curl_users == 0)
			curl_global_cleanup();
		return err_set(err, E_BACKEND_ERROR,
		    "cannot initialise libcurl");
	}
	h->timeout = timeout ? (long)timeout : 30;
	h->ready = true;
	return 0;
}

void
mf_http_release(struct mf_http *h)
{
	if (!h->ready)
		return;
	curl_easy_cleanup(h->curl);
	if (--curl_users == 0)
		curl_global_cleanup();
	memset(h, 0, sizeof(*h));
}

void
mf_http_resp_init(struct mf_http_resp *r)
{
	memset(r, 0, sizeof(*r));
}

void
mf_http_resp_release(struct mf_http_resp *r, bool wipe)
{
	if (wipe && r->body != NULL)
		secret_wipe(r->body, r->cap);
	free(r->body);
	mf_http_resp_init(r);
}

/* Stall detection: no byte moved either way for h->timeout seconds. */
struct watch {
	long timeout;
	curl_off_t dn, up;
	struct timespec last;
	bool stalled;
};

/* State shared with the callbacks of one transfer. */
struct xfer {
	struct watch w;
	struct mf_body *body;
	struct mf_http_resp *resp;
	const struct mf_dl *dl;
	bool overflow;
	bool aborted; /* a download callback said stop */
	bool head_done;
	char crange[128];
};

static size_t
read_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	struct mf_body *b = x->body;
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
			mf_copy(b->src_msg, sizeof(b->src_msg),
			    got == 0 && e.code == 0
				? "the file to upload is shorter than its size"
				: e.msg);
			return CURL_READFUNC_ABORT;
		}
		if (b->tee != NULL)
			digest_update(b->tee, p, got);
	}
	b->sent += got;
	return got;
}

static size_t
buffer_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	struct mf_http_resp *r = x->resp;
	size_t n = size * nmemb;

	if (n > MF_BODY_MAX - r->len) {
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
		/* copy rather than realloc: the old block is wiped (answers
		 * to login carry the session token) */
		if (r->len > 0)
			memcpy(q, r->body, r->len);
		if (r->body != NULL)
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

/* Hand the status line and headers to the download callback. */
static int
dl_head(struct xfer *x, CURL *c)
{
	long status = 0;
	char *ct = NULL;
	curl_off_t cl = -1;

	if (x->head_done)
		return 0;
	x->head_done = true;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
	curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
	if (x->dl->head(x->dl->arg, status, ct ? ct : "", (int64_t)cl,
		x->crange) < 0) {
		x->aborted = true;
		return -1;
	}
	return 0;
}

struct dl_ctx {
	struct xfer x;
	CURL *c;
};

static size_t
dl_write_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct dl_ctx *d = arg;
	size_t n = size * nmemb;

	if (dl_head(&d->x, d->c) < 0)
		return 0;
	if (d->x.dl->data(d->x.dl->arg, p, n) < 0) {
		d->x.aborted = true;
		return 0;
	}
	return n;
}

/* Keep Content-Range of the last response (redirects come first). */
static size_t
header_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb;
	static const char name[] = "content-range:";

	if (n >= 5 && strncmp(p, "HTTP/", 5) == 0)
		x->crange[0] = '\0';
	if (n > sizeof(name) - 1 &&
	    strncasecmp(p, name, sizeof(name) - 1) == 0) {
		const char *v = p + sizeof(name) - 1;
		size_t l = n - (sizeof(name) - 1);

		while (l > 0 && (*v == ' ' || *v == '\t')) {
			v++;
			l--;
		}
		while (l > 0 && (v[l - 1] == '\r' || v[l - 1] == '\n' ||
				    v[l - 1] == ' '))
			l--;
		if (l >= sizeof(x->crange))
			l = sizeof(x->crange) - 1;
		memcpy(x->crange, v, l);
		x->crange[l] = '\0';
	}
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
	if (interrupted())
		return 1;
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

/* Options common to every request. */
static void
common_opts(struct mf_http *h, const char *url, char *errbuf, struct watch *w)
{
	CURL *c = h->curl;

	memset(w, 0, sizeof(*w));
	w->timeout = h->timeout;
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "dupc");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, h->timeout);
	/* a stall, not a slow transfer, is what ends an attempt */
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress_cb);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, w);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
}

/* Turn a libcurl failure into a classed error. */
static int
transport_fail(struct dupc_err *err, const char *what, CURLcode rc,
    const char *errbuf, const struct watch *w)
{
	enum err_class cls = ERR_TRANSIENT;
	int code = E_BACKEND_ERROR;

	switch (rc) {
	case CURLE_ABORTED_BY_CALLBACK:
		if (interrupted())
			return err_class_set(err, ERR_PERMANENT, E_GENERIC,
			    "%s: interrupted", what);
		if (w->stalled)
			return err_class_set(err, ERR_TRANSIENT,
			    E_BACKEND_ERROR, "%s: no data for %ld seconds",
			    what, w->timeout);
		break;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_TOO_MANY_REDIRECTS:
		cls = ERR_PERMANENT;
		break;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		code = E_CONNECTION_FAILED;
		break;
	default:
		break;
	}
	return err_class_set(err, cls, code, "%s: %s", what,
	    errbuf[0] ? errbuf : curl_easy_strerror(rc));
}

int
mf_http_post(struct mf_http *h, const char *url, const char *what,
    const char *const *headers, struct mf_body *body, struct mf_http_resp *resp,
    struct dupc_err *err)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hl = NULL, *t;
	struct xfer x;
	char *ct = NULL;
	CURLcode rc;
	int ret = -1;

	memset(&x, 0, sizeof(x));
	x.body = body;
	x.resp = resp;
	body->sent = 0;
	body->src_failed = false;
	for (; headers != NULL && *headers != NULL; headers++) {
		t = curl_slist_append(hl, *headers);
		if (t == NULL)
			goto nomem;
		hl = t;
	}
	/* no 100-continue round trip; some proxies mishandle it */
	t = curl_slist_append(hl, "Expect:");
	if (t == NULL)
		goto nomem;
	hl = t;
	common_opts(h, url, errbuf, &x.w);
	curl_easy_setopt(h->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h->curl, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(h->curl, CURLOPT_READDATA, &x);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)body->len);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, buffer_cb);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &x);
	rc = curl_easy_perform(h->curl);
	if (body->src_failed) {
		err_set(err, E_BACKEND_ERROR, "%s: %s", what, body->src_msg);
		goto out;
	}
	if (x.overflow) {
		err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
		    "%s: answer larger than %u bytes", what, MF_BODY_MAX);
		goto out;
	}
	if (rc != CURLE_OK) {
		transport_fail(err, what, rc, errbuf, &x.w);
		goto out;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &resp->status);
	curl_easy_getinfo(h->curl, CURLINFO_CONTENT_TYPE, &ct);
	mf_copy(resp->ctype, sizeof(resp->ctype), ct ? ct : "");
	ret = 0;
out:
	curl_slist_free_all(hl);
	return ret;
nomem:
	curl_slist_free_all(hl);
	return err_set(err, E_GENERIC, "out of memory");
}

int
mf_http_get(struct mf_http *h, const char *url, const char *what, uint64_t from,
    const struct mf_dl *dl, struct dupc_err *err)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	char range[48];
	struct dl_ctx d;
	CURLcode rc;

	memset(&d, 0, sizeof(d));
	d.x.dl = dl;
	d.c = h->curl;
	common_opts(h, url, errbuf, &d.x.w);
	/* downloads are volumes: no content decoding, exact bytes */
	curl_easy_setopt(h->curl, CURLOPT_ACCEPT_ENCODING, NULL);
	curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(h->curl, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h->curl, CURLOPT_MAXREDIRS, 5L);
	if (from > 0) {
		snprintf(range, sizeof(range), "%llu-",
		    (unsigned long long)from);
		curl_easy_setopt(h->curl, CURLOPT_RANGE, range);
	}
	curl_easy_setopt(h->curl, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(h->curl, CURLOPT_HEADERDATA, &d.x);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, dl_write_cb);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &d);
	rc = curl_easy_perform(h->curl);
	if (d.x.aborted)
		return err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
		    "%s: download stopped", what);
	if (rc != CURLE_OK)
		return transport_fail(err, what, rc, errbuf, &d.x.w);
	/* a body-less answer still has a status the caller must see */
	if (!d.x.head_done && dl_head(&d.x, h->curl) < 0)
		return err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
		    "%s: download stopped", what);
	return 0;
}
