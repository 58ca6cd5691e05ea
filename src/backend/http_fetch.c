/*
 * The download every HTTP(S)/FTP(S) backend wants (see http.h): one object
 * streamed into a file descriptor and hashed on the way.  What a response
 * serves is checked before a byte is written: the status, an HTML page
 * where the object should be (an expired link or a proxy's challenge), the
 * length, the Content-Range of a resumed request.  A cut transfer is
 * resumed with Range from the last byte written; a response that serves
 * something else gets a fresh link when the caller can make one.  The
 * object counts as downloaded only when its size (and digest, when the
 * caller knows it) match; a mismatch starts once more from byte 0.
 */
#define _DEFAULT_SOURCE
#include "backend/http.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "util/digest.h"
#include "util/err.h"
#include "util/interrupt.h"
#include "util/log.h"

/* One download in progress. */
struct dl {
	const struct http_fetch *f;
	uint64_t size;     /* expected, or HTTP_SIZE_UNKNOWN until known */
	struct digest *dg; /* over bytes [0, off), or NULL */
	uint64_t off;
	/* the current response */
	long status;
	bool bad;       /* it does not serve the object */
	bool throttled; /* 429 */
	bool write_failed;
	int write_errno;
	bool ftp; /* an FTP transfer: no HTTP status, no Content-Range */
	char why[160];
};

static void
restart(struct dl *d)
{
	char junk[DIGEST_HEX_MAX];

	if (d->dg != NULL)
		digest_final_hex(d->dg, junk); /* resets the context */
	d->off = 0;
}

/* "bytes A-B/T": A must be where we are, T the size we expect. */
static bool
range_ok(struct dl *d, const char *cr)
{
	unsigned long long a, b;
	char total[32];

	if (sscanf(cr, "bytes %llu-%llu/%31s", &a, &b, total) != 3)
		return false;
	if (a != d->off || b < a)
		return false;
	if (strcmp(total, "*") != 0) {
		uint64_t t = strtoull(total, NULL, 10);

		if (d->size == HTTP_SIZE_UNKNOWN)
			d->size = t;
		if (t != d->size)
			return false;
	}
	return d->size == HTTP_SIZE_UNKNOWN || b + 1 == d->size;
}

static int
on_head(void *arg, long status, const char *ctype, int64_t clen,
    const char *crange)
{
	struct dl *d = arg;

	d->bad = true;
	d->status = status;
	if (d->ftp) {
		/* the reply to RETR (150, 125) or none yet; after REST the
		 * data starts where we asked, and the length is what is
		 * left */
		if (status >= 400) {
			snprintf(d->why, sizeof(d->why), "FTP reply %ld",
			    status);
			return -1;
		}
		if (clen >= 0 && d->size == HTTP_SIZE_UNKNOWN && d->off == 0)
			d->size = (uint64_t)clen;
	} else if (status == 200 || (status == 226 || status == 0)) {
		/* the whole object, whatever we asked for (FTP says 226
		 * or nothing at all) */
		if (d->off > 0)
			restart(d);
		if (clen >= 0 && d->size == HTTP_SIZE_UNKNOWN)
			d->size = (uint64_t)clen;
	} else if (status == 206) {
		if (!range_ok(d, crange)) {
			snprintf(d->why, sizeof(d->why),
			    "unexpected Content-Range '%.60s'", crange);
			return -1;
		}
	} else {
		d->throttled = status == 429;
		snprintf(d->why, sizeof(d->why), "HTTP %ld", status);
		return -1;
	}
	if (d->f->refuse_html && strncasecmp(ctype, "text/html", 9) == 0) {
		snprintf(d->why, sizeof(d->why),
		    "an HTML page instead of the object (expired link?)");
		return -1;
	}
	if (clen >= 0 && d->size != HTTP_SIZE_UNKNOWN &&
	    (uint64_t)clen != d->size - d->off) {
		snprintf(d->why, sizeof(d->why),
		    "%" PRId64 " bytes offered, %" PRIu64 " expected", clen,
		    d->size - d->off);
		return -1;
	}
	d->bad = false;
	return 0;
}

static int
on_data(void *arg, const void *p, size_t n)
{
	struct dl *d = arg;
	const char *c = p;
	size_t done = 0;

	if (d->size != HTTP_SIZE_UNKNOWN && n > d->size - d->off) {
		d->bad = true;
		snprintf(d->why, sizeof(d->why),
		    "longer than %" PRIu64 " bytes", d->size);
		return -1;
	}
	while (done < n) {
		ssize_t w = pwrite(d->f->fd, c + done, n - done,
		    (off_t)(d->off + done));

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			d->write_failed = true;
			d->write_errno = w < 0 ? errno : EIO;
			return -1;
		}
		done += (size_t)w;
	}
	if (d->dg != NULL)
		digest_update(d->dg, p, n);
	d->off += n;
	return 0;
}

/* The whole object is here: does it check out?  1 yes, 0 no (why set). */
static int
complete_ok(struct dl *d)
{
	char got[DIGEST_HEX_MAX];

	if (d->size != HTTP_SIZE_UNKNOWN && d->off != d->size)
		return 0;
	if (d->dg == NULL)
		return 1;
	digest_final_hex(d->dg, got);
	if (strcasecmp(got, d->f->want) == 0)
		return 1;
	snprintf(d->why, sizeof(d->why), "digest %.12s... instead of %.12s...",
	    got, d->f->want);
	return 0;
}

/* One request from d->off on.  Sets d->bad and friends; -1 with ${te}
 * on a transport failure. */
static int
one_request(struct http *h, struct dl *d, const char *url, const char *what,
    struct dupc_err *te)
{
	struct http_req req = *d->f->req;
	struct http_sink sink = { on_head, on_data, d };
	struct http_resp resp;
	int rc;

	req.url = url;
	req.what = what;
	d->ftp = strncasecmp(url, "ftp", 3) == 0;
	req.from = d->off;
	req.sink = &sink;
	req.body = NULL;
	http_resp_init(&resp);
	d->bad = d->throttled = false;
	d->status = 0;
	rc = http_perform(h, &req, &resp, te);
	http_resp_release(&resp, false);
	return rc;
}

static int
new_link(struct dl *d, char **urlp, struct dupc_err *err)
{
	free(*urlp);
	*urlp = NULL;
	if (d->f->link != NULL)
		return d->f->link(d->f->link_arg, urlp, err);
	*urlp = strdup(d->f->req->url);
	return *urlp != NULL ? 0 : err_set(err, E_GENERIC, "out of memory");
}

/* After a request: what the failure (if any) means for the next one.
 * 1: go on; 0: done; -1: fail with ${err}. */
static int
judge(struct dl *d, int lr, const struct dupc_err *te, const char *what,
    struct dupc_err *err)
{
	if (d->write_failed) {
		errno = d->write_errno;
		return err_errno(err, E_GENERIC, "writing the %s", what);
	}
	/* with links that expire, any refusal may be the link's: the next
	 * request gets a fresh one */
	if (d->f->link == NULL && d->bad && d->status >= 400 && !d->throttled &&
	    d->status != 408 && d->status < 500)
		return http_status_error(err, what, d->status);
	if (lr < 0 && !d->bad && te->cls != ERR_TRANSIENT) {
		if (err != NULL)
			*err = *te;
		return -1;
	}
	return 1;
}

int
http_fetch(struct http *h, const struct http_fetch *f, struct dupc_err *err)
{
	struct dl d;
	struct dupc_err te;
	const char *what = f->req->what ? f->req->what : "download";
	char *url = NULL;
	unsigned fruitless = 0;
	double pause = h->pause;
	uint64_t before;
	int rc = -1, lr;

	memset(&d, 0, sizeof(d));
	d.f = f;
	d.size = f->size;
	err_clear(&te);
	if (f->want != NULL && (d.dg = digest_new(f->kind)) == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	if (ftruncate(f->fd, 0) < 0) {
		err_errno(err, E_GENERIC, "preparing the %s", what);
		goto out;
	}
	for (;;) {
		if (interrupted()) {
			err_class_set(err, ERR_PERMANENT, E_GENERIC,
			    "%s: interrupted", what);
			goto out;
		}
		if (fruitless >= h->tries) {
			if (err != NULL)
				*err = te;
			goto out;
		}
		if (fruitless > 0 &&
		    interrupt_sleep(pause * (d.throttled ? 10 : 1)) != 0)
			continue;
		if (fruitless > 0 && pause < 2.0)
			pause = pause * 2 > 2.0 ? 2.0 : pause * 2;
		if (url == NULL) {
			lr = new_link(&d, &url, err);
			if (lr == 1)
				err_class_set(err, ERR_NOT_FOUND,
				    E_BACKEND_NOT_FOUND, "%s: not found", what);
			if (lr != 0)
				goto out;
		}
		before = d.off;
		err_clear(&te);
		lr = one_request(h, &d, url, what, &te);
		lr = judge(&d, lr, &te, what, err);
		if (lr < 0)
			goto out;
		if (d.bad)
			err_class_set(&te, ERR_TRANSIENT, E_BACKEND_ERROR,
			    "%s: %s", what, d.why);
		if (te.msg[0] != '\0')
			log_debug("%s", te.msg);
		if (d.bad && f->link != NULL) {
			/* this link serves something else: get another */
			free(url);
			url = NULL;
		}
		if (!d.bad && te.msg[0] == '\0') {
			/* the response ended cleanly: the whole object? */
			if (complete_ok(&d))
				break;
			err_class_set(&te, ERR_TRANSIENT, E_MISMATCHED_HASH,
			    "%s: %s", what, d.why[0] ? d.why : "short object");
			log_debug("%s", te.msg);
			restart(&d);
			d.size = f->size;
			fruitless++;
			if (f->link != NULL) {
				free(url);
				url = NULL;
			}
		} else if (d.off == before) {
			fruitless++;
		} else {
			fruitless = 0;
			pause = h->pause;
		}
	}
	if (ftruncate(f->fd, (off_t)d.off) < 0) {
		err_errno(err, E_GENERIC, "writing the %s", what);
		goto out;
	}
	rc = 0;
out:
	free(url);
	digest_free(d.dg);
	return rc;
}
