#ifndef DUPC_BACKEND_HTTP_H
#define DUPC_BACKEND_HTTP_H

/*
 * One client over libcurl for every backend that speaks HTTP(S) or FTP(S)
 * (mf://, S3, WebDAV, FTP): a reused handle so connections stay open,
 * answers buffered with a hard cap or streamed to a callback, request
 * bodies streamed from a source with a digest tee, a stall watchdog,
 * interruption, TLS as the user configured it (--ssl-cacert-file,
 * --ssl-cacert-path, --ssl-no-check-certificate, declared here for every
 * TLS backend), and transport failures turned into retry classes.  It
 * knows nothing of any service: callers build the requests and read the
 * answers.  One struct http serves one thread at a time.
 *
 * http_fetch() is the download every backend wants: a whole object into a
 * file descriptor, resumed from the last byte written when the connection
 * is cut, checked for size and (optionally) a digest before it counts.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/digest.h"

struct backend_options;
struct dupc_err;
struct ratelimit;
struct source;

#define HTTP_ANSWER_MAX (16u << 20) /* default cap of a buffered answer */
#define HTTP_SIZE_UNKNOWN UINT64_MAX
#define HTTP_HEADERS_MAX 4  /* response headers a caller may ask for */
#define HTTP_HEADER_LEN 256 /* longest value kept of each */

/* One handle, reused; its TLS settings come from the backend options. */
struct http {
	void *curl;    /* CURL * */
	long timeout;  /* seconds: connect, and longest stall mid-transfer */
	char *ca_file; /* --ssl-cacert-file, or NULL */
	char *ca_path; /* --ssl-cacert-path, or NULL */
	bool insecure; /* --ssl-no-check-certificate */
	char protocols[32]; /* "http,https" unless http_set_protocols */
	double pause;       /* first pause between requests of http_fetch */
	unsigned tries;     /* requests without progress http_fetch allows */
	/* --limit-upload / --limit-download (borrowed from the options):
	 * request bodies read from a source and streamed answers */
	struct ratelimit *limit_up;
	struct ratelimit *limit_down;
	bool ready;
};

/*
 * A request body: ${len} bytes from ${mem}, or from ${src} (read from its
 * current position; the caller rewinds it for a new attempt).  When
 * libcurl must send the body again within one request (a redirect, an
 * authentication challenge), ${mem} starts over, and so does ${src} when
 * ${whole} says it is read from its first byte (it is rewound and ${tee}
 * started over); otherwise that request fails.  Each byte
 * read from ${src} also goes to ${tee} when set.  The rest is the
 * transfer's own bookkeeping.
 */
struct http_body {
	const char *mem;
	uint64_t len;
	struct source *src;
	struct digest *tee;
	bool whole;
	uint64_t sent;
	bool src_failed;
	char src_msg[256];
};

/*
 * An answer.  ${body} (NUL-terminated, capped) holds a buffered answer;
 * ${want} (NULL-terminated lower-case header names, at most
 * HTTP_HEADERS_MAX, may be NULL) asks for response headers, whose values
 * land in ${hval} (empty when absent; the last response's after
 * redirects).
 */
struct http_resp {
	long status;
	char ctype[128];
	char *body;
	size_t len;
	size_t cap;
	const char *const *want;
	char hval[HTTP_HEADERS_MAX][HTTP_HEADER_LEN];
	unsigned auth_offered; /* 1 << HTTP_AUTH_BASIC | 1 << HTTP_AUTH_DIGEST
				* as the server's 401 offered them */
	int curl_rc;           /* libcurl's CURLcode when http_perform
				* failed (status: the last reply code) */
};

/*
 * A streamed answer: ${head} sees the status line and headers before the
 * first byte (status, content type, Content-Length or -1, Content-Range or
 * ""), ${data} each block.  Either returns -1 to stop the transfer.
 */
struct http_sink {
	int (*head)(void *, long, const char *, int64_t, const char *);
	int (*data)(void *, const void *, size_t);
	void *arg;
};

/* How a request authenticates (the user and password of struct
 * http_req). */
enum http_auth {
	HTTP_AUTH_ANY = 0,    /* ask the server first, then Basic or Digest */
	HTTP_AUTH_BASIC = 1,  /* Basic at once, no round trip */
	HTTP_AUTH_DIGEST = 2, /* Digest only (never sends the password) */
};

/* What one request does. */
struct http_req {
	const char *method; /* NULL: GET, or POST with a body */
	const char *url;
	const char *what;           /* names the request in error messages */
	const char *const *headers; /* "Name: value", NULL-terminated */
	struct http_body *body;     /* NULL: none */
	uint64_t from;              /* ask for the bytes from here on (Range) */
	const struct http_sink *sink; /* NULL: buffer the answer in resp */
	size_t answer_max;  /* cap of a buffered answer (0: default) */
	bool secret_answer; /* wipe the buffered answer when growing it */
	const char *user;   /* HTTP Basic/Digest or FTP login */
	const char *password;
	enum http_auth auth;   /* with ${user}; HTTP_AUTH_ANY by default */
	const char *aws_sigv4; /* libcurl's AWS SigV4 provider string */
	bool follow;           /* follow redirects */
	/* protocol extras the caller sets on the CURL * (FTP commands) */
	void (*setup)(void *curl, void *arg);
	void *setup_arg;
	/* cancelled (optional): polled during the transfer; true stops it
	 * (a transient failure), as when a sibling transfer failed */
	bool (*cancelled)(void *arg);
	void *cancel_arg;
	/* a clean-up request (an abort of a multipart upload): it goes out
	 * even after an interrupt, bounded by the timeout */
	bool after_interrupt;
	long max_time; /* seconds the whole request may take (0: no cap) */
};

/* The TLS options every TLS backend shares, for the registry. */
extern const struct backend_option_group http_option_group;

/*
 * http_init(h, opts, err):
 * A ready handle with ${opts}' timeout and TLS options (${opts} may be
 * NULL: defaults).  E_BACKEND_ERROR when libcurl cannot start.
 */
int http_init(struct http *, const struct backend_options *, struct dupc_err *);

/* http_release(h): close connections and free; safe on a zeroed ${h}. */
void http_release(struct http *);

/*
 * http_clone(dst, src, err):
 * A new handle with the settings of ${src} (timeout, TLS, protocols,
 * fetch pacing) and its own connections.
 */
int http_clone(struct http *, const struct http *, struct dupc_err *);

/*
 * A pool of handles for a backend whose calls overlap (BACKEND_CONCURRENT)
 * or whose one call runs transfers side by side (the parts of a multipart
 * upload): each transfer takes a handle, uses it alone and gives it back,
 * and the connections of idle handles stay open for the next.  At most
 * ${max_idle} idle handles are kept; more may be out at once.
 */
struct http_pool {
	struct http tmpl; /* the settings every handle copies */
	void *mu;         /* pthread_mutex_t * */
	struct http **idle;
	size_t nidle, max_idle;
};

/*
 * http_pool_init(p, opts, max_idle, err):
 * An empty pool whose handles have ${opts}' settings (see http_init).
 */
int http_pool_init(struct http_pool *, const struct backend_options *, size_t,
    struct dupc_err *);

/*
 * http_pool_take(p, err):
 * An idle handle, or a new one; NULL with ${err} set when none can be
 * made.  Give it back with http_pool_give.
 */
struct http *http_pool_take(struct http_pool *, struct dupc_err *);

/* http_pool_give(p, h): back to the pool (closed when the pool is full);
 * NULL is fine. */
void http_pool_give(struct http_pool *, struct http *);

/* http_pool_release(p): close every idle handle (none may be out). */
void http_pool_release(struct http_pool *);

/* http_set_protocols(h, list): the protocols requests and redirects may
 * use, as libcurl spells them ("ftp,ftps"); http and https by default. */
void http_set_protocols(struct http *, const char *);

/*
 * http_url(h):
 * The URL of the answer being received, or last received (after any
 * redirect); borrowed until the next request.  Callable from a sink.
 */
const char *http_url(struct http *);

/* http_resp_init(r) / http_resp_release(r): an empty answer; release
 * wipes the body when ${wipe}. */
void http_resp_init(struct http_resp *);
void http_resp_release(struct http_resp *, bool);

/*
 * http_perform(h, req, resp, err):
 * Send ${req} once.  0 when an answer came back, whatever its status (in
 * ${resp}, with the body buffered unless ${req} streams it); -1 on a
 * transport failure, classed: a refused TLS peer is permanent, a reset, a
 * stall or an unreachable host transient (E_CONNECTION_FAILED for the
 * last), an interrupt permanent.
 */
int http_perform(struct http *, const struct http_req *, struct http_resp *,
    struct dupc_err *);

/*
 * http_status_error(err, what, status):
 * Set ${err} for an HTTP failure ${status} and return -1: 404 and 410 are
 * ERR_NOT_FOUND, 408, 429 and 5xx (but 501 and 505) transient, 401 and
 * 403 permanent (E_BACKEND_PERMISSION_DENIED), 507 and 413 permanent
 * (E_BACKEND_NO_SPACE), every other status permanent.
 */
int http_status_error(struct dupc_err *, const char *, long);

/* What http_fetch fetches and how it checks it. */
struct http_fetch {
	const struct http_req *req; /* the GET; its url unless ${link} */
	int fd;                     /* written from offset 0, truncated */
	uint64_t size;              /* expected, or HTTP_SIZE_UNKNOWN */
	enum digest_kind kind;      /* of ${want}, when set */
	const char *want;           /* expected digest in hex, or NULL */
	bool refuse_html;           /* an HTML page is not the object */
	/*
	 * link (optional): the URL of the next request, in *${urlp} (the
	 * caller frees it): called first, and again when the last one
	 * served something other than the object (an expired link).
	 * Returns 0, 1 when the object is gone (the fetch ends with
	 * ERR_NOT_FOUND), or -1 with ${err} set.
	 */
	int (*link)(void *arg, char **urlp, struct dupc_err *);
	void *link_arg;
};

/*
 * http_fetch(h, f, err):
 * Download one object into ${f}->fd.  A cut transfer is resumed with Range
 * from the last byte written; a server that ignores Range starts it over;
 * an answer that is not the object (a wrong status, an HTML page when
 * refused, a wrong length or Content-Range) is not written.  At most
 * h->tries requests in a row without progress (pausing h->pause, doubled
 * each time up to 2 s), and a whole object that fails its size or digest
 * is fetched once more from byte 0 before the fetch fails (transient,
 * E_MISMATCHED_HASH).  404 is ERR_NOT_FOUND; statuses are classed as
 * http_status_error() does.
 */
int http_fetch(struct http *, const struct http_fetch *, struct dupc_err *);

#endif
