/*
 * Downloads (mediafire-api.md section 8).  file/get_links gives a
 * temporary direct link on a download host; the file is streamed from it
 * to the caller's descriptor and hashed on the way.  What the link serves
 * is checked before a byte is written: the status, an HTML page where the
 * file should be (an expired link or a proxy challenge), the length.  A
 * cut transfer is resumed with Range from the last byte written; a link
 * that serves anything but the file is replaced by a fresh one.  The file
 * counts as downloaded only when its size and SHA-256 match what
 * file/get_info reported; a mismatch starts again from byte 0 with a new
 * link.  As the Python SDK does, links are moved to https when the API
 * itself is reached over https.
 */
#define _DEFAULT_SOURCE
#include "backend/mediafire/mf_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "util/digest.h"
#include "util/err.h"
#include "util/interrupt.h"
#include "util/log.h"
#include "util/secret.h"

#define LINK_MAX 4096

struct dl {
	struct mf_backend *be;
	const char *name;
	int fd;
	uint64_t size;
	const char *want;   /* expected SHA-256 */
	struct digest *sha; /* over bytes [0, off) */
	uint64_t off;
	/* the current response */
	bool bad;
	bool throttled;
	bool write_failed;
	int write_errno;
	char why[160];
};

static int
nomem(struct dupc_err *err)
{
	return err_set(err, E_GENERIC, "out of memory");
}

static void
restart(struct dl *d)
{
	char junk[DIGEST_HEX_MAX];

	digest_final_hex(d->sha, junk); /* resets the context */
	d->off = 0;
}

/* "bytes A-B/T": A must be where we are, T the size we expect. */
static bool
range_ok(const struct dl *d, const char *cr)
{
	unsigned long long a, b;
	char total[32];

	if (sscanf(cr, "bytes %llu-%llu/%31s", &a, &b, total) != 3)
		return false;
	if (a != d->off || b + 1 != d->size)
		return false;
	return strcmp(total, "*") == 0 || strtoull(total, NULL, 10) == d->size;
}

static int
on_head(void *arg, long status, const char *ctype, int64_t clen,
    const char *crange)
{
	struct dl *d = arg;

	d->bad = true;
	if (status == 200) {
		/* the whole file, whatever we asked for */
		if (d->off > 0)
			restart(d);
	} else if (status == 206) {
		if (!range_ok(d, crange)) {
			snprintf(d->why, sizeof(d->why),
			    "unexpected Content-Range");
			return -1;
		}
	} else {
		d->throttled = status == 429;
		snprintf(d->why, sizeof(d->why), "HTTP %ld", status);
		return -1;
	}
	if (strncasecmp(ctype, "text/html", 9) == 0) {
		snprintf(d->why, sizeof(d->why),
		    "an HTML page instead of the file (expired link?)");
		return -1;
	}
	if (clen >= 0 && (uint64_t)clen != d->size - d->off) {
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

	if (n > d->size - d->off) {
		d->bad = true;
		snprintf(d->why, sizeof(d->why),
		    "longer than %" PRIu64 " bytes", d->size);
		return -1;
	}
	while (done < n) {
		ssize_t w =
		    pwrite(d->fd, c + done, n - done, (off_t)(d->off + done));

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			d->write_failed = true;
			d->write_errno = w < 0 ? errno : EIO;
			return -1;
		}
		done += (size_t)w;
	}
	digest_update(d->sha, p, n);
	d->off += n;
	return 0;
}

/* A fresh direct link for ${qk}.  1: the quickkey is unknown (110). */
static int
get_link(struct mf_backend *be, const char *qk, char **linkp,
    struct dupc_err *err)
{
	struct mf_params p;
	struct mf_reply r;
	const json_t *links, *l = NULL;
	const char *url = NULL, *k;
	size_t i, n;
	char *link;
	int rc = -1;

	mf_params_init(&p);
	if (mf_params_add(&p, "quick_key", qk) < 0 ||
	    mf_params_add(&p, "link_type", "direct_download") < 0) {
		mf_params_release(&p);
		return nomem(err);
	}
	if (mf_call(&be->s, "file/get_links", &p, &r, err) < 0) {
		if (r.error == 110)
			rc = 1;
		goto out;
	}
	links = mf_json_arr(r.resp, "links");
	n = mf_json_size(links);
	for (i = 0; i < n && l == NULL; i++) {
		k = mf_json_str(mf_json_at(links, i), "quickkey");
		if (n == 1 || (k != NULL && strcmp(k, qk) == 0))
			l = mf_json_at(links, i);
	}
	url = mf_json_str(l, "direct_download");
	if (url == NULL || strlen(url) >= LINK_MAX ||
	    (strncmp(url, "http://", 7) != 0 &&
		strncmp(url, "https://", 8) != 0) ||
	    strpbrk(url, " \t\r\n") != NULL) {
		char esc[MF_MSG_MAX];

		mf_escape(mf_json_str(l, "direct_download_error_message"), esc,
		    sizeof(esc));
		err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
		    "file/get_links: no direct link%s%s", *esc ? ": " : "",
		    esc);
		goto out;
	}
	link = malloc(strlen(url) + 2);
	if (link == NULL) {
		nomem(err);
		goto out;
	}
	if (strncmp(url, "http://", 7) == 0 &&
	    strncmp(be->s.api_root, "https://", 8) == 0)
		snprintf(link, strlen(url) + 2, "https://%s", url + 7);
	else
		snprintf(link, strlen(url) + 2, "%s", url);
	*linkp = link;
	rc = 0;
out:
	mf_reply_release(&r);
	mf_params_release(&p);
	return rc;
}

static int
finish(struct dl *d, struct dupc_err *err)
{
	if (ftruncate(d->fd, (off_t)d->size) < 0)
		return err_errno(err, E_GENERIC, "writing the download of %s",
		    d->name);
	return 0;
}

/*
 * Fetch the file described by ${e}.  0: done and verified; 1: the
 * quickkey went away (stale listing); -1: error.
 */
static int
fetch(struct mf_backend *be, const struct mf_entry *e, int fd,
    struct dupc_err *err)
{
	struct dl d;
	struct dupc_err te;
	char got[DIGEST_HEX_MAX], what[MF_NAME_MAX / 4 + 32];
	char *link = NULL;
	unsigned fruitless = 0, requests = 0;
	uint64_t before;
	int rc = -1, lr;

	memset(&d, 0, sizeof(d));
	d.be = be;
	d.name = e->name;
	d.fd = fd;
	d.size = e->size;
	d.want = e->hash;
	err_clear(&te);
	d.sha = digest_new(DIGEST_SHA256);
	if (d.sha == NULL)
		return nomem(err);
	if (ftruncate(fd, 0) < 0) {
		err_errno(err, E_GENERIC, "preparing the download of %s",
		    e->name);
		goto out;
	}
	snprintf(what, sizeof(what), "download of %s", e->name);
	while (d.off < d.size || d.size == 0) {
		if (interrupted()) {
			err_set(err, E_GENERIC, "%s: interrupted", what);
			goto out;
		}
		if (fruitless >= be->cfg.get_tries ||
		    requests >= 4 * be->cfg.get_tries) {
			if (err != NULL)
				*err = te;
			goto out;
		}
		if (fruitless > 0)
			mf_sleep(mf_backoff(&be->s, fruitless + 1) *
				 (d.throttled ? 10 : 1));
		if (d.size == 0)
			break;
		if (link == NULL) {
			lr = get_link(be, e->quickkey, &link, err);
			if (lr != 0) {
				rc = lr;
				goto out;
			}
		}
		requests++;
		before = d.off;
		d.bad = d.throttled = false;
		err_clear(&te);
		lr = mf_http_get(&be->s.http, link, what, d.off,
		    &(struct mf_dl){ on_head, on_data, &d }, &te);
		if (d.write_failed) {
			errno = d.write_errno;
			err_errno(err, E_GENERIC, "writing the %s", what);
			goto out;
		}
		if (d.bad)
			err_class_set(&te, ERR_TRANSIENT, E_BACKEND_ERROR,
			    "%s: %s", what, d.why);
		else if (lr < 0 && te.cls != ERR_TRANSIENT) {
			if (err != NULL)
				*err = te;
			goto out;
		}
		if (lr < 0 || d.bad)
			log_debug("mediafire: %s", te.msg);
		if (d.bad || (lr < 0 && d.off == before)) {
			/* this link serves something else: get another */
			secret_free(link);
			link = NULL;
		}
		if (d.off == d.size) {
			digest_final_hex(d.sha, got);
			if (strcmp(got, d.want) == 0)
				break;
			err_class_set(&te, ERR_TRANSIENT, E_MISMATCHED_HASH,
			    "%s: SHA-256 %.12s... instead of %.12s...", what,
			    got, d.want);
			log_debug("mediafire: %s", te.msg);
			d.off = 0;
			secret_free(link);
			link = NULL;
			fruitless++;
		} else if (d.off == before) {
			fruitless++;
		}
	}
	if (d.size == 0) {
		digest_final_hex(d.sha, got);
		if (strcmp(got, d.want) != 0) {
			err_class_set(err, ERR_TRANSIENT, E_MISMATCHED_HASH,
			    "%s: empty file with SHA-256 %.12s...", what,
			    d.want);
			goto out;
		}
	}
	rc = finish(&d, err);
out:
	secret_free(link);
	digest_free(d.sha);
	return rc;
}

int
mf_download(struct mf_backend *be, const char *name, int fd,
    struct dupc_err *err)
{
	struct mf_entry e;
	int pass, rc;

	for (pass = 0; pass < 2; pass++) {
		rc = mf_stat(be, name, &e, err);
		if (rc < 0)
			return -1;
		if (rc == 1)
			break;
		rc = fetch(be, &e, fd, err);
		if (rc <= 0)
			return rc;
		be->cache.valid = false;
	}
	return err_class_set(err, ERR_NOT_FOUND, E_BACKEND_NOT_FOUND,
	    "%s not found in MediaFire folder %s", name, be->where);
}
