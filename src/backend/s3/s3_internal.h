#ifndef DUPC_BACKEND_S3_S3_INTERNAL_H
#define DUPC_BACKEND_S3_S3_INTERNAL_H

/*
 * The s3:// backend's own files only (src/backend/s3/).  Layout:
 *   s3_backend.c    the ops table, open/close, list, get, size, remove,
 *                   single PUTs, help and hints
 *   s3_location.c   URL forms, endpoint, region, addressing, options
 *   s3_creds.c      credentials and the profile (~/.aws/credentials,
 *                   ~/.aws/config)
 *   s3_ini.c        the reader of those two files
 *   s3_request.c    one signed request: URL, headers, error replies
 *   s3_xml.c        the service's XML replies, through libxml2 (SAX2)
 *   s3_multipart.c  multipart uploads: parts in parallel, resume, abort
 */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"
#include "backend/http.h"

struct dupc_err;
struct url;

/* ------------------------------------------------------------------ */
/* s3_ini.c: the AWS shared config and credentials files */

#define S3_INI_MAX (1u << 20) /* larger files are refused */

/* What dupc reads of one profile (every field NULL when absent). */
struct s3_profile {
	char *access_key;
	char *secret_key;    /* secret_dup */
	char *session_token; /* secret_dup */
	char *region;
	char *endpoint_url; /* endpoint_url, or "s3 = endpoint_url = ..." */
	char *addressing;   /* "s3 = addressing_style = ..." */
	bool found;         /* the section exists */
	bool other_source;  /* credential_process, sso_*, role_arn ... */
};

/*
 * s3_ini_parse(text, len, section, p, err):
 * Read the keys of [${section}] from the ${len} bytes of INI text at
 * ${text} into ${p} (a key already set in ${p} is kept: the first file
 * read wins).  Lines are "key = value", "[section]", comments (# ;),
 * and the nested form "s3 =" followed by indented "key = value" lines.
 * Returns 0; -1 (E_USER_ERROR) on a line that is none of those.
 */
int s3_ini_parse(const char *, size_t, const char *, struct s3_profile *,
    struct dupc_err *);

/*
 * s3_ini_read(path, section, p, err):
 * s3_ini_parse on the file at ${path}; a missing file is no error.
 * The text is wiped after parsing (it holds secrets).
 */
int s3_ini_read(const char *, const char *, struct s3_profile *,
    struct dupc_err *);

/* s3_profile_release(p): free and wipe. */
void s3_profile_release(struct s3_profile *);

/* ------------------------------------------------------------------ */
/* s3_location.c: where the objects are */

enum s3_class {
	S3_STANDARD = 0,
	S3_RRS,
	S3_IA,
	S3_ONEZONE_IA,
	S3_GLACIER,
	S3_GLACIER_IR,
	S3_DEEP_ARCHIVE,
};

enum s3_sse { S3_SSE_NONE = 0, S3_SSE_AES256, S3_SSE_KMS };

/* Where the location is and how to address it. */
struct s3_location {
	char *endpoint; /* "https://host[:port]", no path, no slash */
	char *bucket;
	char *prefix; /* "" or "a/b/" */
	char *region;
	bool vhost; /* bucket.host/key rather than host/bucket/key */
	bool gcs;   /* gs:// */
	const char *endpoint_from; /* "--s3-endpoint-url", "the URL", ... */
};

/* The URL spellings, as read (for tests and the help text). */
struct s3_url_parts {
	char *host; /* endpoint host[:port] named by the URL, or NULL */
	char *bucket;
	char *prefix; /* "" or "a/b/" */
};

/*
 * s3_split_url(scheme, first, path, endpoint_host, out, err):
 * Apply dupc's rule to a URL scheme://FIRST/PATH (FIRST may be empty):
 * for s3:// and boto+s3://, FIRST names the endpoint host (duplicity
 * 0.8) when it holds a port, is an IP address or "localhost", is the
 * host of ${endpoint_host} (the endpoint given otherwise, may be NULL),
 * or is a host name of a known S3 service; otherwise FIRST is the
 * bucket (duplicity 2.x/3.x).  s3+http://, boto3+s3:// and gs:// always
 * read FIRST as the bucket.  E_BAD_URL when there is no bucket or a
 * name is not one S3 allows.
 */
int s3_split_url(const char *, const char *, const char *, const char *,
    struct s3_url_parts *, struct dupc_err *);

/* s3_url_parts_release(p) */
void s3_url_parts_release(struct s3_url_parts *);

/*
 * s3_location_resolve(loc, u, opts, prof, err):
 * Everything about where: the URL ${u}, the options, the environment
 * and the profile ${prof} (its endpoint_url, region, addressing style).
 */
int s3_location_resolve(struct s3_location *, const struct url *,
    const struct backend_options *, const struct s3_profile *,
    struct dupc_err *);

/* s3_location_release(loc) */
void s3_location_release(struct s3_location *);

/* s3_known_host(host): ${host} (no port) is a known S3 service's. */
bool s3_known_host(const char *);

/* s3_bucket_name_ok(name): a bucket name S3 allows (3-63 of a-z0-9.-_,
 * letters or digits at both ends; upper case for old buckets). */
bool s3_bucket_name_ok(const char *);

/* ------------------------------------------------------------------ */
/* s3_creds.c */

struct s3_creds {
	char *access_key;
	char *secret_key; /* secret_dup */
	char *token;      /* secret_dup, or NULL */
	char *source;     /* "AWS_ACCESS_KEY_ID", "profile 'x'" */
};

/*
 * s3_profile_load(prof, opts, err):
 * Profile ${name} (NULL: AWS_PROFILE, AWS_DEFAULT_PROFILE or "default")
 * from AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials) then
 * AWS_CONFIG_FILE (~/.aws/config, "[profile NAME]" or "[default]").
 * A profile named in the environment that neither file has is an error
 * (E_USER_ERROR).
 */
int s3_profile_load(struct s3_profile *, const struct backend_options *,
    struct dupc_err *);

/*
 * s3_creds_get(c, gcs, prof, opts, err):
 * AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN (for gs://,
 * GS_ACCESS_KEY_ID/GS_SECRET_ACCESS_KEY first), else ${prof}'s keys.
 * E_BACKEND_PERMISSION_DENIED when there are none.
 */
int s3_creds_get(struct s3_creds *, bool, const struct s3_profile *,
    const struct backend_options *, struct dupc_err *);

/* s3_creds_release(c): wipe and free. */
void s3_creds_release(struct s3_creds *);

/* ------------------------------------------------------------------ */
/* s3_xml.c: replies */

#define S3_TEXT_MAX 4096  /* longest text of one element kept */
#define S3_TOKEN_MAX 1024 /* longest continuation token or marker */

/* An error reply: <Error><Code>...</Code><Message>...</Message>... */
struct s3_error {
	char code[64];
	char message[256];
	char region[64];    /* <Region>, for a wrong-region answer */
	char endpoint[128]; /* <Endpoint>, for PermanentRedirect */
};

/*
 * s3_xml_error(body, len, e):
 * 0 with ${e} filled when ${body} is an S3 error document with a Code;
 * -1 otherwise (${e} zeroed).
 */
int s3_xml_error(const char *, size_t, struct s3_error *);

/* Called for each object of a listing page (key as sent, decoded). */
typedef int s3_key_fn(void *, const char *, uint64_t, struct dupc_err *);

/* What a listing page says beyond its objects. */
struct s3_page {
	bool truncated;
	char next[S3_TOKEN_MAX];  /* NextContinuationToken, NextKeyMarker
				   * or NextPartNumberMarker */
	char next2[S3_TOKEN_MAX]; /* NextUploadIdMarker */
	size_t count;             /* records on the page */
};

/*
 * s3_xml_list(body, len, fn, arg, page, err):
 * A ListObjectsV2 page (ListBucketResult): ${fn} once per Contents with
 * its Key (percent-decoded when EncodingType is url) and Size.  -1 with
 * ${err} (transient: the answer is not a listing) on bad XML, or with
 * ${fn}'s error.  Memory: one page's keys.
 */
int s3_xml_list(const char *, size_t, s3_key_fn *, void *, struct s3_page *,
    struct dupc_err *);

/*
 * s3_xml_initiate(body, len, id, idsz, err):
 * The UploadId of an InitiateMultipartUploadResult.
 */
int s3_xml_initiate(const char *, size_t, char *, size_t, struct dupc_err *);

/* Called for each part of a ListParts page. */
typedef int s3_part_fn(void *, unsigned, const char *, uint64_t,
    struct dupc_err *);

/*
 * s3_xml_parts(body, len, fn, arg, page, err):
 * A ListPartsResult page: ${fn}(arg, number, etag, size) per Part.
 */
int s3_xml_parts(const char *, size_t, s3_part_fn *, void *, struct s3_page *,
    struct dupc_err *);

/* Called for each upload of a ListMultipartUploads page. */
typedef int s3_upload_fn(void *, const char *, const char *, struct dupc_err *);

/*
 * s3_xml_uploads(body, len, fn, arg, page, err):
 * A ListMultipartUploadsResult page: ${fn}(arg, key, upload id) per
 * Upload (key decoded as s3_xml_list does).
 */
int s3_xml_uploads(const char *, size_t, s3_upload_fn *, void *,
    struct s3_page *, struct dupc_err *);

/*
 * s3_xml_complete(body, len, e, err):
 * The answer to CompleteMultipartUpload, which may be an error document
 * even with status 200: 0 for CompleteMultipartUploadResult, 1 with
 * ${e} for an Error, -1 with ${err} (transient) for anything else.
 */
int s3_xml_complete(const char *, size_t, struct s3_error *, struct dupc_err *);

/* s3_key_decode(s, out, size): percent-decode (and '+' as space) a key
 * of a url-encoded listing; -1 when it does not fit or is malformed. */
int s3_key_decode(const char *, char *, size_t);

/* ------------------------------------------------------------------ */
/* s3_request.c */

struct s3_backend;

/* One request to the service. */
struct s3_call {
	const char *method; /* "GET", "PUT", "HEAD", "DELETE", "POST" */
	const char *key;    /* the whole object key, or NULL: the bucket */
	bool no_bucket;     /* the service itself (GET /) */
	const char *query;  /* canonical: sorted, encoded; or NULL */
	const char *const *headers; /* more "Name: value" lines */
	struct http_body *body;
	const struct http_sink *sink;
	const char *what; /* names it in messages */
	size_t answer_max;
	const char *const *want; /* response headers wanted */
	bool after_interrupt;
	bool (*cancelled)(void *);
	void *cancel_arg;
	long max_time; /* seconds for the whole request (0: none) */
};

#define S3_URL_MAX 4096

/* The storage of one prepared request. */
struct s3_reqbuf {
	char url[S3_URL_MAX];
	const char *hdr[24];
	char host[320];
	char date[48];
	char tok[4200];
	char auth[1024];
};

/*
 * s3_prepare(be, call, rb, req, err):
 * Fill ${req} for ${call} (its strings in ${rb}): URL, signature, the
 * headers every request carries.  Wipe ${rb} with s3_reqbuf_wipe after.
 */
int s3_prepare(struct s3_backend *, const struct s3_call *, struct s3_reqbuf *,
    struct http_req *, struct dupc_err *);

/* s3_reqbuf_wipe(rb): forget the session token copied into ${rb}. */
void s3_reqbuf_wipe(struct s3_reqbuf *);

/*
 * s3_url(be, key, query, out, size):
 * The request URL for ${key} (NULL: the bucket) and ${query} (NULL:
 * none), addressed as the location says.  -1 when it does not fit.
 */
int s3_url(const struct s3_backend *, const char *, const char *, char *,
    size_t);

/*
 * s3_perform(be, h, call, resp, err):
 * Send ${call} once, signed (SigV4), on handle ${h}.  0 with the answer
 * in ${resp} (any status; see s3_fail); -1 on a transport failure.
 */
int s3_perform(struct s3_backend *, struct http *, const struct s3_call *,
    struct http_resp *, struct dupc_err *);

/*
 * s3_fail(be, err, what, resp):
 * Set ${err} for a refused request (resp->status >= 300) from its status
 * and S3 error code, with the fix where the user can act; returns -1.
 */
int s3_fail(const struct s3_backend *, struct dupc_err *, const char *,
    const struct http_resp *);

/* s3_error_fail(be, err, what, status, e): the same from a parsed error
 * (a 200 answer that carries one). */
int s3_error_fail(const struct s3_backend *, struct dupc_err *, const char *,
    long, const struct s3_error *);

/*
 * s3_encode(s, keep_slash, out, size):
 * Percent-encode ${s} as SigV4 wants (unreserved bytes kept; '/' kept
 * when ${keep_slash}); -1 when it does not fit.
 */
int s3_encode(const char *, bool, char *, size_t);

/* ------------------------------------------------------------------ */
/* s3_sign.c */

#define S3_SIGN_HEADERS 24

/* What a Signature Version 4 covers. */
struct s3_sign_in {
	const char *access_key;
	const char *secret;
	const char *region;
	const char *amzdate; /* YYYYMMDDTHHMMSSZ, also in the headers */
	const char *method;
	const char *uri;            /* the path as sent (encoded), "" for / */
	const char *query;          /* as sent (canonical), or NULL */
	const char *const *headers; /* "Name: value", NULL-terminated; all
				     * are signed (Host among them) */
	const char *payload_hash;   /* "UNSIGNED-PAYLOAD" or hex SHA-256 */
};

/*
 * s3_sign(in, auth, size, err):
 * The value of the Authorization header for ${in} into ${auth}.  -1 with
 * ${err} when a header is malformed or it does not fit.
 */
int s3_sign(const struct s3_sign_in *, char *, size_t, struct dupc_err *);

/* s3_md5_base64(hex, out): MD5 hex (32) to Content-MD5 base64 (25). */
void s3_md5_base64(const char *, char *);

/* ------------------------------------------------------------------ */
/* s3_backend.c / s3_multipart.c */

#define S3_MIN_PART (5u << 20) /* S3's smallest part but the last */
#define S3_MAX_PARTS 10000
#define S3_MAX_SINGLE (5ull << 30) /* largest single PUT */

/* An unfinished multipart upload this backend knows of. */
struct s3_upload {
	char *key;
	char *id;
	bool ours; /* started or resumed by this process */
};

struct s3_backend {
	struct backend base;
	struct s3_location loc;
	struct s3_creds creds;
	char sigv4[96]; /* "aws:amz:REGION:s3" */
	struct http_pool pool;
	/* options */
	enum s3_class sclass;
	enum s3_sse sse;
	char *kms_key;
	char *kms_grant;
	uint64_t chunk;        /* --s3-multipart-chunk-size in bytes */
	unsigned procs;        /* --s3-multipart-max-procs */
	long part_timeout;     /* --s3-multipart-max-timeout (0: none) */
	unsigned create_tries; /* bucket creations in one put: 1 */
	/* multipart uploads left unfinished, by this run or an earlier one */
	pthread_mutex_t mu;
	pthread_mutex_t scan_mu; /* held while the earlier ones are listed */
	bool scanned;            /* the earlier ones were listed */
	struct s3_upload *ups;
	size_t nups;
	bool bucket_ok; /* the bucket is known to exist */
};

/*
 * s3_object_headers(be, name, hdr, n, store):
 * Append to ${hdr} (room for ${n} more) the storage class and encryption
 * headers of a new object named ${name}, formatted into ${store} (at
 * least 512 bytes); returns how many were added.  Manifests and
 * signature files stay in STANDARD.
 */
size_t s3_object_headers(const struct s3_backend *, const char *, const char **,
    size_t, char *);

/* s3_class_of(be, name): the storage class ${name} is stored in. */
enum s3_class s3_class_of(const struct s3_backend *, const char *);

/* s3_class_name(c): "STANDARD_IA", ... */
const char *s3_class_name(enum s3_class);

/*
 * s3_create_bucket(be, h, err):
 * Make the bucket (in the location's region).  0 when it exists after;
 * -1 with ${err} naming the bucket when the credentials may not.
 */
int s3_create_bucket(struct s3_backend *, struct http *, struct dupc_err *);

/*
 * s3_multipart_put(be, key, name, src, size, err):
 * Store ${src} (${size} bytes) as ${key} in parts of be->chunk bytes (or
 * more, to stay within S3_MAX_PARTS), be->procs at once when ${src} reads
 * at offsets; resumes an unfinished upload of ${key}, skipping the parts
 * already stored with the same MD5; a failed attempt leaves the upload
 * for the next attempt (the retry layer's) and close aborts it.
 */
int s3_multipart_put(struct s3_backend *, const char *, const char *,
    struct source *, uint64_t, struct dupc_err *);

/*
 * s3_uploads_scan(be, h, err):
 * Once per backend: remember the unfinished multipart uploads of objects
 * directly in the location (not of deeper prefixes: other hosts' data),
 * so that a put of the same name resumes one and close aborts the rest.
 */
int s3_uploads_scan(struct s3_backend *, struct http *, struct dupc_err *);

/*
 * s3_uploads_abort_all(be):
 * Abort every multipart upload left in the table (at close), even after
 * an interrupt; failures are logged, not returned.
 */
void s3_uploads_abort_all(struct s3_backend *);

/* s3_uploads_release(be): free the table. */
void s3_uploads_release(struct s3_backend *);

#endif
