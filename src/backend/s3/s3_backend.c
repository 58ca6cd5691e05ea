/*
 * The s3:// backend: one bucket and key prefix of an S3 service (AWS,
 * Ceph's RADOS Gateway, MinIO, Wasabi, Backblaze B2, GCS interop ...),
 * under every URL spelling duplicity has used (s3_location.c has the
 * rule), with duplicity's --s3-* options.
 *
 * Objects: the name's key is PREFIX + name.  A listing is ListObjectsV2
 * with "/" as delimiter, paged past 1000 keys, so keys under a deeper
 * prefix (another host's backups in the same bucket) are never listed,
 * removed or counted.  A put of up to --s3-multipart-chunk-size bytes is
 * one PUT, carrying the body's Content-MD5 for the server to check;
 * larger ones go as multipart uploads (s3_multipart.c).  Both replace
 * atomically.  A missing bucket is created on the first put that finds
 * it missing (with the region), once per put; listings treat it as an
 * empty folder, as the backend contract says.
 *
 * Threads: every call takes its own libcurl handle from a pool, so the
 * backend is BACKEND_CONCURRENT; the multipart upload's parts take more
 * handles.  The only shared state, the table of unfinished multipart
 * uploads, has its own lock.
 */
#define _DEFAULT_SOURCE
#include "backend/s3/s3_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/digest.h"
#include "util/err.h"
#include "util/interrupt.h"
#include "util/log.h"
#include "util/parse.h"
#include "util/stream.h"
#include "util/url.h"

extern const struct backend_ops s3_backend_ops;

#define DEFAULT_CHUNK_MIB 25 /* duplicity's --s3-multipart-chunk-size */
#define DEFAULT_PROCS 4
#define LIST_PAGE "1000"

static int
nomem(struct dupc_err *err)
{
	return err_set(err, E_GENERIC, "out of memory");
}

/* ------------------------------------------------------------------ */
/* options */

static const struct {
	const char *opt;
	enum s3_class cls;
} class_opts[] = {
	{ "s3-use-rrs", S3_RRS },
	{ "s3-use-ia", S3_IA },
	{ "s3-use-onezone-ia", S3_ONEZONE_IA },
	{ "s3-use-glacier", S3_GLACIER },
	{ "s3-use-glacier-ir", S3_GLACIER_IR },
	{ "s3-use-deep-archive", S3_DEEP_ARCHIVE },
};

const char *
s3_class_name(enum s3_class c)
{
	static const char *const names[] = { "STANDARD", "REDUCED_REDUNDANCY",
		"STANDARD_IA", "ONEZONE_IA", "GLACIER", "GLACIER_IR",
		"DEEP_ARCHIVE" };

	return names[c];
}

static int
num_opt(const struct backend_options *opts, const char *name, uint64_t def,
    uint64_t lo, uint64_t hi, uint64_t *out, struct dupc_err *err)
{
	const char *v = backend_opt_get(opts, name);

	if (v == NULL) {
		*out = def;
		return 0;
	}
	if (parse_u64(v, out) < 0 || *out < lo || *out > hi)
		return err_set(err, E_COMMAND_LINE,
		    "bad value '%s' for --%s: expected a whole number from %" PRIu64
		    " to %" PRIu64,
		    v, name, lo, hi);
	return 0;
}

static int
read_options(struct s3_backend *be, const struct backend_options *opts,
    struct dupc_err *err)
{
	const char *first = NULL, *v;
	uint64_t n;
	size_t i;

	for (i = 0; i < sizeof(class_opts) / sizeof(class_opts[0]); i++) {
		if (!backend_opt_flag(opts, class_opts[i].opt))
			continue;
		if (first != NULL)
			return err_set(err, E_COMMAND_LINE,
			    "--%s and --%s both choose a storage class: give one",
			    first, class_opts[i].opt);
		first = class_opts[i].opt;
		be->sclass = class_opts[i].cls;
	}
	if (backend_opt_flag(opts, "s3-use-server-side-kms-encryption")) {
		be->sse = S3_SSE_KMS;
		v = backend_opt_get(opts, "s3-kms-key-id");
		if (v == NULL || *v == '\0')
			return err_set(err, E_S3_KMS_NO_ID,
			    "--s3-use-server-side-kms-encryption needs the key: give --s3-kms-key-id");
		if ((be->kms_key = strdup(v)) == NULL)
			return nomem(err);
		v = backend_opt_get(opts, "s3-kms-grant");
		if (v != NULL && *v != '\0' &&
		    (be->kms_grant = strdup(v)) == NULL)
			return nomem(err);
	} else if (backend_opt_flag(opts, "s3-use-server-side-encryption")) {
		be->sse = S3_SSE_AES256;
	}
	if (num_opt(opts, "s3-multipart-chunk-size", DEFAULT_CHUNK_MIB, 5, 5120,
		&n, err) < 0)
		return -1;
	be->chunk = n << 20;
	if (num_opt(opts, "s3-multipart-max-procs", DEFAULT_PROCS, 1, 64, &n,
		err) < 0)
		return -1;
	be->procs = (unsigned)n;
	if (num_opt(opts, "s3-multipart-max-timeout", 0, 0, 86400, &n, err) < 0)
		return -1;
	be->part_timeout = (long)n;
	return 0;
}

/* ------------------------------------------------------------------ */
/* open and close */

static void s3_close(struct backend *);

static int
s3_open(struct backend **bep, const struct url *u,
    const struct backend_options *opts, struct dupc_err *err)
{
	struct s3_profile prof;
	struct s3_backend *be;
	int rc;

	be = calloc(1, sizeof(*be));
	if (be == NULL)
		return nomem(err);
	be->base.ops = &s3_backend_ops;
	pthread_mutex_init(&be->mu, NULL);
	pthread_mutex_init(&be->scan_mu, NULL);
	if (s3_profile_load(&prof, opts, err) < 0) {
		s3_close(&be->base);
		return -1;
	}
	rc = s3_location_resolve(&be->loc, u, opts, &prof, err);
	if (rc == 0)
		rc = s3_creds_get(&be->creds, be->loc.gcs, &prof, opts, err);
	s3_profile_release(&prof);
	if (rc < 0 || read_options(be, opts, err) < 0 ||
	    http_pool_init(&be->pool, opts, be->procs + 2, err) < 0) {
		s3_close(&be->base);
		return -1;
	}
	log_debug(
	    "S3 bucket %s, prefix '%s', endpoint %s (from %s), region %s, %s addressing",
	    be->loc.bucket, be->loc.prefix, be->loc.endpoint,
	    be->loc.endpoint_from, be->loc.region,
	    be->loc.vhost ? "virtual-host" : "path-style");
	*bep = &be->base;
	return 0;
}

static void
s3_close(struct backend *b)
{
	struct s3_backend *be = (struct s3_backend *)b;

	if (be == NULL)
		return;
	if (be->pool.mu != NULL)
		s3_uploads_abort_all(be);
	s3_uploads_release(be);
	http_pool_release(&be->pool);
	s3_location_release(&be->loc);
	s3_creds_release(&be->creds);
	free(be->kms_key);
	free(be->kms_grant);
	pthread_mutex_destroy(&be->mu);
	pthread_mutex_destroy(&be->scan_mu);
	free(be);
}

/* ------------------------------------------------------------------ */
/* keys */

/* PREFIX + name into ${out}. */
static int
key_of(const struct s3_backend *be, const char *name, char *out, size_t size,
    struct dupc_err *err)
{
	if (snprintf(out, size, "%s%s", be->loc.prefix, name) >= (int)size)
		return err_set(err, E_BAD_URL, "S3 key too long for %s", name);
	return 0;
}

/* ------------------------------------------------------------------ */
/* list */

struct list_ctx {
	const struct s3_backend *be;
	backend_list_fn *fn;
	void *arg;
	size_t plen;
};

static int
list_key(void *arg, const char *key, uint64_t size, struct dupc_err *err)
{
	struct list_ctx *lc = arg;
	const char *name;

	if (strncmp(key, lc->be->loc.prefix, lc->plen) != 0)
		return 0;
	name = key + lc->plen;
	/* the prefix itself ("folder" markers) and deeper keys */
	if (*name == '\0' || strchr(name, '/') != NULL)
		return 0;
	return lc->fn(name, size, lc->arg, err);
}

/* The query of one listing page, canonical (sorted). */
static int
list_query(const struct s3_backend *be, const char *token, char *q, size_t size)
{
	char etok[3 * S3_TOKEN_MAX + 1], epre[3 * 1024 + 1];
	int n;

	if (s3_encode(be->loc.prefix, false, epre, sizeof(epre)) < 0 ||
	    s3_encode(token, false, etok, sizeof(etok)) < 0)
		return -1;
	n = snprintf(q, size,
	    "%s%s%sdelimiter=%%2F&encoding-type=url&list-type=2&max-keys=" LIST_PAGE
	    "&prefix=%s",
	    token[0] ? "continuation-token=" : "", token[0] ? etok : "",
	    token[0] ? "&" : "", epre);
	return n > 0 && (size_t)n < size ? 0 : -1;
}

/*
 * One page of the listing from continuation ${token} (updated to the
 * next one).  1: the last page was read; 2: the bucket does not exist.
 */
static int
list_page(struct s3_backend *be, struct http *h, struct list_ctx *lc,
    char *token, char *q, size_t qsize, struct dupc_err *err)
{
	struct s3_call c = { .method = "GET",
		.query = q,
		.what = "ListObjectsV2",
		.answer_max = 8u << 20 };
	struct http_resp resp;
	struct s3_page page;
	struct s3_error e;
	int rc = -1;

	if (list_query(be, token, q, qsize) < 0)
		return err_set(err, E_BAD_URL,
		    "ListObjectsV2: prefix too long");
	http_resp_init(&resp);
	if (s3_perform(be, h, &c, &resp, err) < 0)
		goto out;
	/* no bucket yet: an empty folder, as for a new backup; the first
	 * put creates it */
	if (resp.status == 404 && s3_xml_error(resp.body, resp.len, &e) == 0 &&
	    strcmp(e.code, "NoSuchBucket") == 0) {
		rc = 2;
		goto out;
	}
	if (resp.status != 200) {
		s3_fail(be, err, "ListObjectsV2", &resp);
		goto out;
	}
	if (s3_xml_list(resp.body, resp.len, list_key, lc, &page, err) < 0)
		goto out;
	if (page.truncated &&
	    (page.next[0] == '\0' || strcmp(page.next, token) == 0)) {
		err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
		    "ListObjectsV2: a page says more follow but gives no new continuation token");
		goto out;
	}
	memcpy(token, page.next, S3_TOKEN_MAX);
	rc = page.truncated ? 0 : 1;
out:
	http_resp_release(&resp, false);
	return rc;
}

static int
s3_list(struct backend *b, backend_list_fn *fn, void *arg, struct dupc_err *err)
{
	struct s3_backend *be = (struct s3_backend *)b;
	struct list_ctx lc = { be, fn, arg, strlen(be->loc.prefix) };
	struct http *h = http_pool_take(&be->pool, err);
	char token[S3_TOKEN_MAX] = "", *q = NULL;
	size_t qsize = 8 * S3_TOKEN_MAX;
	int rc = -1, r = 0;

	if (h == NULL)
		return -1;
	if ((q = malloc(qsize)) == NULL) {
		nomem(err);
		goto out;
	}
	while (r == 0) {
		if (interrupted()) {
			err_set(err, E_GENERIC, "ListObjectsV2: interrupted");
			goto out;
		}
		if ((r = list_page(be, h, &lc, token, q, qsize, err)) < 0)
			goto out;
	}
	if (r == 2)
		log_info("S3 bucket %s does not exist yet", be->loc.bucket);
	rc = 0;
out:
	free(q);
	http_pool_give(&be->pool, h);
	return rc;
}

/* ------------------------------------------------------------------ */
/* object headers: storage class and server-side encryption */

enum s3_class
s3_class_of(const struct s3_backend *be, const char *name)
{
	/* manifests and signatures are read by every collection-status
	 * and incremental: never in a class that needs a restore or
	 * costs a retrieval fee (duplicity 0.8.22's s3_boto3_backend.py
	 * exempts only manifests, and only from the Glacier classes) */
	if (strstr(name, ".manifest") != NULL ||
	    strstr(name, "-signatures.") != NULL)
		return S3_STANDARD;
	return be->sclass;
}

size_t
s3_object_headers(const struct s3_backend *be, const char *name,
    const char **hdr, size_t n, char *store)
{
	enum s3_class c = s3_class_of(be, name);
	size_t k = 0;
	int o = 0;

	if (c != S3_STANDARD && k < n) {
		hdr[k++] = store + o;
		o += snprintf(store + o, 512 - (size_t)o,
			 "x-amz-storage-class: %s", s3_class_name(c)) +
		     1;
	}
	if (be->sse == S3_SSE_AES256 && k < n) {
		hdr[k++] = "x-amz-server-side-encryption: AES256";
	} else if (be->sse == S3_SSE_KMS && k + 1 < n) {
		hdr[k++] = "x-amz-server-side-encryption: aws:kms";
		hdr[k++] = store + o;
		o += snprintf(store + o, 512 - (size_t)o,
			 "x-amz-server-side-encryption-aws-kms-key-id: %.300s",
			 be->kms_key) +
		     1;
		if (be->kms_grant != NULL && k < n && o < 400) {
			hdr[k++] = store + o;
			snprintf(store + o, 512 - (size_t)o,
			    "x-amz-grant-full-control: %.100s", be->kms_grant);
		}
	}
	return k;
}

/* ------------------------------------------------------------------ */
/* the bucket */

int
s3_create_bucket(struct s3_backend *be, struct http *h, struct dupc_err *err)
{
	char body[300], w[300];
	struct http_body hb;
	struct http_resp resp;
	struct s3_error e;
	struct s3_call c = { .method = "PUT", .what = "CreateBucket" };
	bool located = strcmp(be->loc.region, "us-east-1") != 0 &&
		       strcmp(be->loc.region, "auto") != 0;
	int rc = -1;

	memset(&hb, 0, sizeof(hb));
	if (located) {
		snprintf(body, sizeof(body),
		    "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>%s</LocationConstraint></CreateBucketConfiguration>",
		    be->loc.region);
		hb.mem = body;
		hb.len = strlen(body);
	}
	/* an empty PUT still needs a body of 0 bytes */
	c.body = &hb;
	http_resp_init(&resp);
	if (s3_perform(be, h, &c, &resp, err) < 0)
		goto out;
	s3_xml_error(resp.body, resp.len, &e);
	if (resp.status == 200 ||
	    strcmp(e.code, "BucketAlreadyOwnedByYou") == 0) {
		log_info("Created S3 bucket %s in region %s", be->loc.bucket,
		    be->loc.region);
		rc = 0;
		goto out;
	}
	snprintf(w, sizeof(w), "S3 bucket '%s' does not exist at %s",
	    be->loc.bucket, be->loc.endpoint);
	if (strcmp(e.code, "BucketAlreadyExists") == 0)
		err_class_set(err, ERR_PERMANENT, E_BACKEND_PERMISSION_DENIED,
		    "%s for access key '%s': the name belongs to another account (BucketAlreadyExists); choose another bucket name",
		    w, be->creds.access_key);
	else if (resp.status == 403 || strcmp(e.code, "TooManyBuckets") == 0)
		err_class_set(err, ERR_PERMANENT, E_BACKEND_NOT_FOUND,
		    "%s and access key '%s' may not create it (%s): create the bucket, or check its name in the URL",
		    w, be->creds.access_key, e.code[0] ? e.code : "HTTP 403");
	else
		s3_fail(be, err, "CreateBucket", &resp);
out:
	http_resp_release(&resp, false);
	return rc;
}

/* ------------------------------------------------------------------ */
/* put */

/*
 * Read ${src} once for its MD5 (the Content-MD5 the server checks) and
 * rewind it.  The size must be what the engine said.
 */
static int
body_md5(struct source *src, uint64_t size, char *hex, struct dupc_err *err)
{
	struct digest *d = digest_new(DIGEST_MD5);
	char *block = malloc(1 << 16);
	uint64_t total = 0;
	int rc = -1;

	if (d == NULL || block == NULL) {
		nomem(err);
		goto out;
	}
	for (;;) {
		size_t got;

		if (source_read(src, block, 1 << 16, &got, err) < 0)
			goto out;
		if (got == 0)
			break;
		digest_update(d, block, got);
		total += got;
	}
	if (total != size) {
		err_set(err, E_BACKEND_ERROR,
		    "the file to upload has %" PRIu64 " bytes, not %" PRIu64,
		    total, size);
		goto out;
	}
	digest_final_hex(d, hex);
	rc = source_rewind(src, err);
out:
	digest_free(d);
	free(block);
	return rc;
}

/*
 * One PUT of the whole object.  1: the bucket does not exist; with
 * ${only_new} (If-None-Match: *), 2: an object has that key.
 */
static int
put_once(struct s3_backend *be, struct http *h, const char *key,
    const char *name, struct source *src, uint64_t size, const char *md5b64,
    bool only_new, struct dupc_err *err)
{
	const char *hdr[9];
	char md5h[64], store[512], what[300];
	struct http_body hb;
	struct http_resp resp;
	struct s3_error e;
	size_t n = 0;
	int rc = -1;

	snprintf(md5h, sizeof(md5h), "Content-MD5: %s", md5b64);
	hdr[n++] = md5h;
	if (only_new)
		hdr[n++] = "If-None-Match: *";
	n += s3_object_headers(be, name, hdr + n, 6, store);
	hdr[n] = NULL;
	memset(&hb, 0, sizeof(hb));
	hb.src = src;
	hb.len = size;
	snprintf(what, sizeof(what), "PutObject");
	{
		struct s3_call c = { .method = "PUT",
			.key = key,
			.headers = hdr,
			.body = &hb,
			.what = what };

		http_resp_init(&resp);
		if (s3_perform(be, h, &c, &resp, err) < 0)
			goto out;
	}
	if (resp.status == 200) {
		rc = 0;
	} else if (resp.status == 404 &&
		   s3_xml_error(resp.body, resp.len, &e) == 0 &&
		   strcmp(e.code, "NoSuchBucket") == 0) {
		rc = 1;
	} else if (only_new && (resp.status == 412 || resp.status == 409)) {
		/* 409: another conditional PUT of the key is under way */
		rc = 2;
	} else if (only_new && resp.status == 501) {
		err_class_set(err, ERR_PERMANENT, E_NOT_IMPLEMENTED,
		    "%s: the server has no conditional PUT", what);
	} else {
		s3_fail(be, err, what, &resp);
	}
out:
	http_resp_release(&resp, false);
	return rc;
}

/* A single PUT (the bucket made if missing); ${only_new} as put_once. */
static int
put_single(struct s3_backend *be, const char *key, const char *name,
    struct source *src, uint64_t size, bool only_new, struct dupc_err *err)
{
	char hex[DIGEST_HEX_MAX], b64[32];
	struct http *h = NULL;
	int rc = -1, r;

	if ((h = http_pool_take(&be->pool, err)) == NULL)
		return -1;
	if (s3_uploads_scan(be, h, err) < 0 ||
	    body_md5(src, size, hex, err) < 0)
		goto out;
	s3_md5_base64(hex, b64);
	r = put_once(be, h, key, name, src, size, b64, only_new, err);
	if (r == 1) {
		/* the bucket is missing: make it, then the one PUT again */
		if (s3_create_bucket(be, h, err) < 0 ||
		    source_rewind(src, err) < 0)
			goto out;
		r = put_once(be, h, key, name, src, size, b64, only_new, err);
		if (r == 1)
			err_class_set(err, ERR_TRANSIENT, E_BACKEND_NOT_FOUND,
			    "the bucket %s was created but is not there yet",
			    be->loc.bucket);
	}
	if (r == 0 || r == 2)
		rc = r == 2 ? 1 : 0;
out:
	http_pool_give(&be->pool, h);
	return rc;
}

static int
s3_put(struct backend *b, const char *name, struct source *src, uint64_t size,
    struct dupc_err *err)
{
	struct s3_backend *be = (struct s3_backend *)b;
	char key[2048];

	if (key_of(be, name, key, sizeof(key), err) < 0)
		return -1;
	if (size > be->chunk)
		return s3_multipart_put(be, key, name, src, size, err);
	return put_single(be, key, name, src, size, false, err);
}

/*
 * Create ${name} only where no object has its key: a PUT with
 * If-None-Match: *, which AWS S3 and radosgw answer with 412 when the key
 * exists.  A server without conditional writes answers 501, and the lock
 * falls back to write and read back.
 */
static int
s3_put_new(struct backend *b, const char *name, struct source *src,
    uint64_t size, struct dupc_err *err)
{
	struct s3_backend *be = (struct s3_backend *)b;
	char key[2048];

	if (key_of(be, name, key, sizeof(key), err) < 0)
		return -1;
	return put_single(be, key, name, src, size, true, err);
}

/* ------------------------------------------------------------------ */
/* get, size, remove */

static int
s3_get(struct backend *b, const char *name, int fd, struct dupc_err *err)
{
	struct s3_backend *be = (struct s3_backend *)b;
	char key[2048], what[300];
	struct s3_reqbuf *rb = NULL;
	struct http_fetch f;
	struct http_req req;
	struct http *h = NULL;
	int rc = -1;

	snprintf(what, sizeof(what), "GetObject");
	if (key_of(be, name, key, sizeof(key), err) < 0)
		return -1;
	rb = malloc(sizeof(*rb));
	if (rb == NULL)
		return nomem(err);
	{
		struct s3_call c = { .method = "GET",
			.key = key,
			.what = what };

		if (s3_prepare(be, &c, rb, &req, err) < 0)
			goto out;
	}
	if ((h = http_pool_take(&be->pool, err)) == NULL)
		goto out;
	memset(&f, 0, sizeof(f));
	f.req = &req;
	f.fd = fd;
	f.size = HTTP_SIZE_UNKNOWN;
	rc = http_fetch(h, &f, err);
out:
	http_pool_give(&be->pool, h);
	if (rb != NULL)
		s3_reqbuf_wipe(rb);
	free(rb);
	return rc;
}

/*
 * A HEAD refused with 401 or 403 has no body, so no error code: which of
 * a wrong secret, an unknown key or a missing right it was is asked again
 * with a GET of the object's first byte, whose refusal says it.  Fails
 * with that answer's error, or with the HEAD's when the GET tells nothing
 * more.
 */
static int
head_refused(struct s3_backend *be, struct http *h, const char *key,
    const struct http_resp *first, struct dupc_err *err)
{
	static const char *const range[] = { "Range: bytes=0-0", NULL };
	struct s3_call c = { .method = "GET",
		.key = key,
		.headers = range,
		.what = "HeadObject" };
	struct http_resp resp;
	struct dupc_err e;

	http_resp_init(&resp);
	err_clear(&e);
	if (s3_perform(be, h, &c, &resp, &e) == 0 && resp.len > 0 &&
	    (resp.status == 401 || resp.status == 403))
		s3_fail(be, err, "HeadObject", &resp);
	else
		s3_fail(be, err, "HeadObject", first);
	http_resp_release(&resp, false);
	return -1;
}

/* HEAD of ${key}: 0 with *size, 1 when it does not exist. */
static int
head(struct s3_backend *be, struct http *h, const char *key, uint64_t *size,
    struct dupc_err *err)
{
	static const char *const want[] = { "content-length", NULL };
	struct http_resp resp;
	char what[300];
	int rc = -1;

	snprintf(what, sizeof(what), "HeadObject");
	{
		struct s3_call c = { .method = "HEAD",
			.key = key,
			.what = what,
			.want = want };

		http_resp_init(&resp);
		if (s3_perform(be, h, &c, &resp, err) < 0)
			goto out;
	}
	if (resp.status == 404) {
		rc = 1;
	} else if ((resp.status == 401 || resp.status == 403) &&
		   resp.len == 0) {
		head_refused(be, h, key, &resp, err);
	} else if (resp.status != 200) {
		s3_fail(be, err, what, &resp);
	} else if (parse_u64(resp.hval[0], size) < 0) {
		err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
		    "%s: no Content-Length in the answer", what);
	} else {
		rc = 0;
	}
out:
	http_resp_release(&resp, false);
	return rc;
}

static int
not_found(const struct s3_backend *be, const char *name, struct dupc_err *err)
{
	return err_class_set(err, ERR_NOT_FOUND, E_BACKEND_NOT_FOUND,
	    "%s not found in S3 bucket %s%s%s", name, be->loc.bucket,
	    be->loc.prefix[0] ? " under " : "", be->loc.prefix);
}

static int
s3_size(struct backend *b, const char *name, uint64_t *size,
    struct dupc_err *err)
{
	struct s3_backend *be = (struct s3_backend *)b;
	char key[2048];
	struct http *h;
	int rc = -1;

	if (key_of(be, name, key, sizeof(key), err) < 0 ||
	    (h = http_pool_take(&be->pool, err)) == NULL)
		return -1;
	switch (head(be, h, key, size, err)) {
	case 0:
		rc = 0;
		break;
	case 1:
		not_found(be, name, err);
		break;
	default:
		break;
	}
	http_pool_give(&be->pool, h);
	return rc;
}

static int
s3_remove(struct backend *b, const char *name, struct dupc_err *err)
{
	struct s3_backend *be = (struct s3_backend *)b;
	char key[2048], what[300];
	struct http_resp resp;
	struct http *h;
	uint64_t size;
	int rc = -1, r;

	if (key_of(be, name, key, sizeof(key), err) < 0 ||
	    (h = http_pool_take(&be->pool, err)) == NULL)
		return -1;
	http_resp_init(&resp);
	if (s3_uploads_scan(be, h, err) < 0)
		goto out;
	/* S3 answers 204 for a missing key: the contract wants to know */
	r = head(be, h, key, &size, err);
	if (r != 0) {
		if (r == 1)
			not_found(be, name, err);
		goto out;
	}
	snprintf(what, sizeof(what), "DeleteObject");
	{
		struct s3_call c = { .method = "DELETE",
			.key = key,
			.what = what };

		if (s3_perform(be, h, &c, &resp, err) < 0)
			goto out;
	}
	if (resp.status != 204 && resp.status != 200) {
		s3_fail(be, err, what, &resp);
		goto out;
	}
	rc = 0;
out:
	http_resp_release(&resp, false);
	http_pool_give(&be->pool, h);
	return rc;
}

/* ------------------------------------------------------------------ */
/* the registry's view */

static const char *const s3_schemes[] = { "s3", "s3+http", "boto3+s3",
	"boto+s3", "gs", NULL };

static const struct backend_option_spec s3_specs[] = {
	{ "s3-endpoint-url", true,
	    "the service's URL (https://host[:port]); every URL form" },
	{ "s3-region-name", true, "the region (default: us-east-1)" },
	{ "s3-multipart-chunk-size", true,
	    "MiB per part; larger files go multipart (default 25, at least 5)" },
	{ "s3-multipart-max-procs", true,
	    "parts uploaded at once (default 4)" },
	{ "s3-multipart-max-timeout", true,
	    "seconds one part may take (default: no limit)" },
	{ "s3-use-rrs", false, "store volumes as REDUCED_REDUNDANCY" },
	{ "s3-use-ia", false, "store volumes as STANDARD_IA" },
	{ "s3-use-onezone-ia", false, "store volumes as ONEZONE_IA" },
	{ "s3-use-glacier", false, "store volumes as GLACIER" },
	{ "s3-use-glacier-ir", false, "store volumes as GLACIER_IR" },
	{ "s3-use-deep-archive", false, "store volumes as DEEP_ARCHIVE" },
	{ "s3-use-server-side-encryption", false,
	    "ask the server to encrypt what it stores (AES256)" },
	{ "s3-use-server-side-kms-encryption", false,
	    "server-side encryption with a KMS key (--s3-kms-key-id)" },
	{ "s3-kms-key-id", true, "the KMS key of server-side encryption" },
	{ "s3-kms-grant", true,
	    "grant full control of new objects to this grantee (with KMS)" },
	{ "s3-unencrypted-connection", false,
	    "plain HTTP to a host in the URL or the default endpoint" },
	{ "s3-use-new-style", false,
	    "virtual-host addressing (bucket.host) instead of path style" },
	{ "s3-european-buckets", false,
	    "new buckets in eu-west-1 when no region is given" },
	{ "s3-use-multiprocessing", false,
	    "accepted (parts always go in parallel)" },
	{ NULL, false, NULL },
};

static const struct backend_option_group s3_options = { "S3", s3_specs };

static const char s3_help[] =
    "s3://BUCKET/PREFIX, s3:///BUCKET/PREFIX, boto3+s3://BUCKET/PREFIX\n"
    "s3://HOST[:PORT]/BUCKET/PREFIX, s3+http://BUCKET/PREFIX\n"
    "gs://BUCKET/PREFIX\n"
    "  A bucket and key prefix of an S3 service: AWS, Ceph RADOS Gateway,\n"
    "  MinIO, Wasabi, Backblaze B2, Google Cloud Storage (gs://, at\n"
    "  https://storage.googleapis.com) and others.\n"
    "  Which part is the bucket: in s3://X/..., X is the endpoint's host\n"
    "  (duplicity 0.8) when it has a :port, is an IP address or localhost,\n"
    "  is the host of the endpoint given otherwise, or ends in a known\n"
    "  service's domain (amazonaws.com, googleapis.com, wasabisys.com,\n"
    "  backblazeb2.com, digitaloceanspaces.com, ...); otherwise X is the\n"
    "  bucket (duplicity 2.x/3.x).  s3:///B/P, s3+http://B/P,\n"
    "  boto3+s3://B/P and gs://B/P always start with the bucket.  A 0.8\n"
    "  URL naming a private host without a port (s3://minio.lan/b/p)\n"
    "  needs --s3-endpoint-url https://minio.lan to be read as a host.\n"
    "  Endpoint: --s3-endpoint-url, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL,\n"
    "  the profile's endpoint_url, the URL's host (https, or http with\n"
    "  --s3-unencrypted-connection), else AWS (or Google for gs://).\n"
    "  Credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,\n"
    "  AWS_SESSION_TOKEN (gs://: GS_ACCESS_KEY_ID, GS_SECRET_ACCESS_KEY\n"
    "  first); else profile AWS_PROFILE (default \"default\") from\n"
    "  ~/.aws/credentials and ~/.aws/config (AWS_SHARED_CREDENTIALS_FILE,\n"
    "  AWS_CONFIG_FILE).  Region: --s3-region-name, AWS_REGION,\n"
    "  AWS_DEFAULT_REGION, the profile, an AWS endpoint's name, else\n"
    "  us-east-1.  Addressing: virtual-host on AWS, path style elsewhere;\n"
    "  --s3-use-new-style or the profile's s3 addressing_style = virtual\n"
    "  chooses virtual-host.\n"
    "  Files above --s3-multipart-chunk-size go as multipart uploads,\n"
    "  --s3-multipart-max-procs parts at once; an unfinished one is\n"
    "  resumed by the next put of the same file or aborted when dupc\n"
    "  ends.  Every body carries its Content-MD5.  The --s3-use-...\n"
    "  storage classes apply to volumes only: manifests and signatures\n"
    "  stay in STANDARD.  A missing bucket is created.\n";

static const char *
s3_hint(const struct dupc_err *err)
{
	switch (err->code) {
	case E_CONNECTION_FAILED:
		return "check the network and the S3 endpoint (--s3-endpoint-url, AWS_ENDPOINT_URL or the URL's host); an endpoint that speaks plain HTTP needs http:// or --s3-unencrypted-connection";
	case E_BACKEND_PERMISSION_DENIED:
		return "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the profile in ~/.aws/credentials) and the user's rights on the bucket";
	default:
		return NULL;
	}
}

const struct backend_ops s3_backend_ops = {
	.schemes = s3_schemes,
	.flags = BACKEND_ATOMIC_PUT | BACKEND_CONCURRENT | BACKEND_PUT_NEW,
	.example = "s3://bucket/prefix",
	.help = s3_help,
	.options = &s3_options,
	.hint = s3_hint,
	.open = s3_open,
	.list = s3_list,
	.put = s3_put,
	.put_new = s3_put_new,
	.get = s3_get,
	.remove = s3_remove,
	.size = s3_size,
	.close = s3_close,
};
