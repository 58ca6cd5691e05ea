/*
 * One request to an S3 service: its URL (path style or virtual host), its
 * signature, and what a refusal means.
 *
 * Requests are signed with AWS Signature Version 4 (s3_sign.c): every
 * header dupc sends is signed, the Host header among them (sent as
 * signed, so libcurl does not make its own), the date, the session token
 * (x-amz-security-token) and x-amz-content-sha256, which is
 * UNSIGNED-PAYLOAD: bodies are streamed, and their integrity is checked
 * by the server through Content-MD5 instead (s3_backend.c,
 * s3_multipart.c).  Every query here is already canonical (parameters
 * sorted, each name and value encoded as SigV4 encodes them, "name=" for
 * an empty value), so it is signed as it is sent.
 *
 * Error replies carry an S3 code (<Error><Code>); s3_fail classes it for
 * the retry layer (SlowDown, InternalError, RequestTimeout: transient;
 * refused credentials, a missing bucket: permanent, with the fix) and
 * writes one line that never holds a secret.
 */
#define _DEFAULT_SOURCE
#include "backend/s3/s3_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/err.h"
#include "util/log.h"
#include "util/secret.h"

int
s3_encode(const char *s, bool keep_slash, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~' || (c == '/' && keep_slash)) {
			if (o + 1 >= size)
				return -1;
			out[o++] = (char)c;
		} else {
			if (o + 3 >= size)
				return -1;
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (o >= size)
		return -1;
	out[o] = '\0';
	return 0;
}

void
s3_md5_base64(const char *hexs, char *out)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char raw[18] = { 0 };
	size_t i, o = 0;

	for (i = 0; i < 16; i++) {
		unsigned hi = (unsigned)(hexs[2 * i] <= '9'
					     ? hexs[2 * i] - '0'
					     : (hexs[2 * i] | 32) - 'a' + 10);
		unsigned lo =
		    (unsigned)(hexs[2 * i + 1] <= '9'
				   ? hexs[2 * i + 1] - '0'
				   : (hexs[2 * i + 1] | 32) - 'a' + 10);

		raw[i] = (unsigned char)(hi << 4 | lo);
	}
	for (i = 0; i < 18; i += 3) {
		unsigned v = (unsigned)raw[i] << 16 |
			     (unsigned)raw[i + 1] << 8 | raw[i + 2];

		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = b64[v >> 6 & 63];
		out[o++] = b64[v & 63];
	}
	/* 16 bytes: 22 characters and "==" */
	out[22] = '=';
	out[23] = '=';
	out[24] = '\0';
}

int
s3_url(const struct s3_backend *be, const char *key, const char *query,
    char *out, size_t size)
{
	const struct s3_location *l = &be->loc;
	const char *auth = strstr(l->endpoint, "://") + 3;
	char ekey[S3_URL_MAX];
	size_t slen = (size_t)(auth - l->endpoint);
	int n;

	if (key != NULL && s3_encode(key, true, ekey, sizeof(ekey)) < 0)
		return -1;
	if (key == NULL)
		ekey[0] = '\0';
	/* endpoint "scheme://host[:port][/base]" */
	if (l->vhost)
		n = snprintf(out, size, "%.*s%s.%s/%s%s%s", (int)slen,
		    l->endpoint, l->bucket, auth, ekey, query ? "?" : "",
		    query ? query : "");
	else
		n = snprintf(out, size, "%s/%s/%s%s%s", l->endpoint, l->bucket,
		    ekey, query ? "?" : "", query ? query : "");
	return n > 0 && (size_t)n < size ? 0 : -1;
}

/* The authority ("host[:port]") and the path of ${url} (made by s3_url). */
static void
url_parts(const char *url, char *host, size_t hsize, const char **path)
{
	const char *a = strstr(url, "://") + 3;
	size_t n = strcspn(a, "/");

	snprintf(host, hsize, "%.*s", (int)n, a);
	*path = a + n;
}

int
s3_prepare(struct s3_backend *be, const struct s3_call *c, struct s3_reqbuf *rb,
    struct http_req *req, struct dupc_err *err)
{
	struct s3_sign_in in;
	char uri[S3_URL_MAX], authority[300];
	const char *path, *q;
	size_t n = 0, i;
	struct tm tm;
	time_t now;

	if (c->no_bucket) {
		if (snprintf(rb->url, sizeof(rb->url), "%s/",
			be->loc.endpoint) >= (int)sizeof(rb->url))
			return err_set(err, E_BAD_URL, "endpoint too long");
	} else if (s3_url(be, c->key, c->query, rb->url, sizeof(rb->url)) < 0) {
		return err_set(err, E_BAD_URL, "%s: URL too long", c->what);
	}
	url_parts(rb->url, authority, sizeof(authority), &path);
	q = strchr(path, '?');
	snprintf(uri, sizeof(uri), "%.*s",
	    (int)(q != NULL ? (size_t)(q - path) : strlen(path)), path);
	now = time(NULL);
	gmtime_r(&now, &tm);
	snprintf(rb->host, sizeof(rb->host), "Host: %s", authority);
	strftime(rb->date, sizeof(rb->date), "x-amz-date: %Y%m%dT%H%M%SZ", &tm);
	rb->hdr[n++] = rb->host;
	rb->hdr[n++] = "x-amz-content-sha256: UNSIGNED-PAYLOAD";
	rb->hdr[n++] = rb->date;
	if (be->creds.token != NULL) {
		if (snprintf(rb->tok, sizeof(rb->tok),
			"x-amz-security-token: %s",
			be->creds.token) >= (int)sizeof(rb->tok))
			return err_set(err, E_BACKEND_PERMISSION_DENIED,
			    "AWS_SESSION_TOKEN is too long");
		rb->hdr[n++] = rb->tok;
	}
	for (i = 0; c->headers != NULL && c->headers[i] != NULL; i++) {
		if (n + 2 >= sizeof(rb->hdr) / sizeof(rb->hdr[0]))
			return err_set(err, E_GENERIC, "too many headers");
		rb->hdr[n++] = c->headers[i];
	}
	rb->hdr[n] = NULL;
	memset(&in, 0, sizeof(in));
	in.access_key = be->creds.access_key;
	in.secret = be->creds.secret_key;
	in.region = be->loc.region;
	in.amzdate = rb->date + strlen("x-amz-date: ");
	in.method = c->method;
	in.uri = uri;
	in.query = q != NULL ? q + 1 : NULL;
	in.headers = rb->hdr;
	in.payload_hash = "UNSIGNED-PAYLOAD";
	memcpy(rb->auth, "Authorization: ", 15);
	if (s3_sign(&in, rb->auth + 15, sizeof(rb->auth) - 15, err) < 0)
		return -1;
	rb->hdr[n++] = rb->auth;
	rb->hdr[n] = NULL;
	memset(req, 0, sizeof(*req));
	req->method = c->method;
	req->url = rb->url;
	req->what = c->what;
	req->headers = rb->hdr;
	req->body = c->body;
	req->sink = c->sink;
	req->answer_max = c->answer_max ? c->answer_max : (4u << 20);
	req->after_interrupt = c->after_interrupt;
	req->cancelled = c->cancelled;
	req->cancel_arg = c->cancel_arg;
	req->max_time = c->max_time;
	return 0;
}

void
s3_reqbuf_wipe(struct s3_reqbuf *rb)
{
	secret_wipe(rb->tok, sizeof(rb->tok));
}

int
s3_perform(struct s3_backend *be, struct http *h, const struct s3_call *c,
    struct http_resp *resp, struct dupc_err *err)
{
	struct s3_reqbuf *rb = malloc(sizeof(*rb));
	struct http_req req;
	int rc = -1;

	if (rb == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	if (s3_prepare(be, c, rb, &req, err) == 0) {
		resp->want = c->want;
		log_debug("S3 %s %s", c->method, rb->url);
		rc = http_perform(h, &req, resp, err);
	}
	s3_reqbuf_wipe(rb);
	free(rb);
	return rc;
}

/* ------------------------------------------------------------------ */
/* refusals */

/* Codes a later attempt may cure. */
static bool
transient_code(const char *code)
{
	static const char *const codes[] = { "SlowDown", "InternalError",
		"RequestTimeout", "ServiceUnavailable", "Throttling",
		"ThrottlingException", "OperationAborted", "BadDigest",
		"IncompleteBody", "RequestTimeoutException", NULL };
	size_t i;

	for (i = 0; codes[i] != NULL; i++)
		if (strcmp(code, codes[i]) == 0)
			return true;
	return false;
}

/* The bucket (and the prefix) as the user wrote it, for messages. */
static void
where(const struct s3_backend *be, char *out, size_t size)
{
	snprintf(out, size, "bucket '%s' at %s", be->loc.bucket,
	    be->loc.endpoint);
}

int
s3_error_fail(const struct s3_backend *be, struct dupc_err *err,
    const char *what, long status, const struct s3_error *e)
{
	char w[400];
	const char *code = e->code;

	where(be, w, sizeof(w));
	if (strcmp(code, "SignatureDoesNotMatch") == 0)
		return err_class_set(err, ERR_PERMANENT,
		    E_BACKEND_PERMISSION_DENIED,
		    "%s: the server refused the signature (SignatureDoesNotMatch): the secret key (from %s) does not belong to the access key",
		    what, be->creds.source);
	if (strcmp(code, "InvalidAccessKeyId") == 0)
		return err_class_set(err, ERR_PERMANENT,
		    E_BACKEND_PERMISSION_DENIED,
		    "%s: the server does not know the access key '%s' (InvalidAccessKeyId, from %s)",
		    what, be->creds.access_key, be->creds.source);
	if (strcmp(code, "AccessDenied") == 0 ||
	    strcmp(code, "AllAccessDisabled") == 0 ||
	    strcmp(code, "AccountProblem") == 0)
		return err_class_set(err, ERR_PERMANENT,
		    E_BACKEND_PERMISSION_DENIED,
		    "%s: access denied to %s (%s) for access key '%s'", what, w,
		    code, be->creds.access_key);
	if (strcmp(code, "ExpiredToken") == 0 ||
	    strcmp(code, "InvalidToken") == 0 ||
	    strcmp(code, "TokenRefreshRequired") == 0)
		return err_class_set(err, ERR_PERMANENT,
		    E_BACKEND_PERMISSION_DENIED,
		    "%s: the session token was refused (%s): get fresh credentials and set AWS_SESSION_TOKEN again",
		    what, code);
	if (strcmp(code, "RequestTimeTooSkewed") == 0)
		return err_class_set(err, ERR_PERMANENT, E_BACKEND_ERROR,
		    "%s: the server says this computer's clock is wrong (RequestTimeTooSkewed): set the clock",
		    what);
	if (strcmp(code, "NoSuchBucket") == 0)
		return err_class_set(err, ERR_PERMANENT, E_BACKEND_NOT_FOUND,
		    "%s: %s does not exist (NoSuchBucket)%s", what, w,
		    strchr(be->loc.bucket, '.') != NULL &&
			    strcmp(be->loc.endpoint_from, "the URL") != 0
			? "; if it is your server's host name (a duplicity 0.8 URL), give it with --s3-endpoint-url"
			: "");
	if (strcmp(code, "NoSuchUpload") == 0)
		return err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
		    "%s: the multipart upload is gone (NoSuchUpload); it starts over",
		    what);
	if (strcmp(code, "NoSuchKey") == 0 || status == 404)
		return err_class_set(err, ERR_NOT_FOUND, E_BACKEND_NOT_FOUND,
		    "%s: not found (%s)", what, code[0] ? code : "HTTP 404");
	if (strcmp(code, "PermanentRedirect") == 0 ||
	    strcmp(code, "AuthorizationHeaderMalformed") == 0 ||
	    strcmp(code, "IllegalLocationConstraintException") == 0 ||
	    (status == 301 && e->region[0] != '\0')) {
		if (e->region[0] != '\0')
			return err_class_set(err, ERR_PERMANENT,
			    E_BACKEND_ERROR,
			    "%s: %s is in region %s, not %s (%s): give --s3-region-name %s",
			    what, w, e->region, be->loc.region,
			    code[0] ? code : "HTTP 301", e->region);
		return err_class_set(err, ERR_PERMANENT, E_BACKEND_ERROR,
		    "%s: %s is not in region %s (%s): give its region with --s3-region-name",
		    what, w, be->loc.region, code[0] ? code : "HTTP 301");
	}
	if (strcmp(code, "QuotaExceeded") == 0 ||
	    strcmp(code, "EntityTooLarge") == 0 || status == 507)
		return err_class_set(err, ERR_PERMANENT, E_BACKEND_NO_SPACE,
		    "%s: no room in %s (%s)", what, w,
		    code[0] ? code : "HTTP 507");
	if (strcmp(code, "InvalidLocationConstraint") == 0)
		return err_class_set(err, ERR_PERMANENT, E_BACKEND_ERROR,
		    "%s: the server makes no bucket in region %s (InvalidLocationConstraint): give one of its regions with --s3-region-name, or create the bucket",
		    what, be->loc.region);
	if (strcmp(code, "InvalidStorageClass") == 0)
		return err_class_set(err, ERR_PERMANENT, E_BACKEND_ERROR,
		    "%s: the server does not offer this storage class (InvalidStorageClass): choose another --s3-use-... option or none",
		    what);
	if (strcmp(code, "InvalidBucketName") == 0)
		return err_class_set(err, ERR_PERMANENT, E_BAD_URL,
		    "%s: the server refuses the bucket name '%s' (InvalidBucketName)",
		    what, be->loc.bucket);
	if (transient_code(code) || status == 408 || status == 429 ||
	    (status >= 500 && status != 501 && status != 505))
		return err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
		    "%s: HTTP %ld%s%s%s%s", what, status, code[0] ? " " : "",
		    code, e->message[0] ? ": " : "", e->message);
	if (status == 403 || status == 401)
		return err_class_set(err, ERR_PERMANENT,
		    E_BACKEND_PERMISSION_DENIED,
		    "%s: access denied to %s (HTTP %ld%s%s)", what, w, status,
		    code[0] ? " " : "", code);
	return err_class_set(err, ERR_PERMANENT, E_BACKEND_ERROR,
	    "%s: HTTP %ld%s%s%s%s", what, status, code[0] ? " " : "", code,
	    e->message[0] ? ": " : "", e->message);
}

int
s3_fail(const struct s3_backend *be, struct dupc_err *err, const char *what,
    const struct http_resp *resp)
{
	struct s3_error e;

	s3_xml_error(resp->body, resp->len, &e);
	return s3_error_fail(be, err, what, resp->status, &e);
}
