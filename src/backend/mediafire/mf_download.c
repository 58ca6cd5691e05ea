/*
 * Downloads (mediafire-api.md section 8).  file/get_links gives a
 * temporary direct link on a download host; http_fetch (backend/http.h)
 * streams the file from it, resumes a cut transfer, refuses an HTML page
 * where the file should be (an expired link or a proxy challenge), and
 * asks next_link() for a fresh link whenever one serves anything but the
 * file.  The file counts as downloaded only when its size and SHA-256
 * match what file/get_info reported.  As the Python SDK does, links are
 * moved to https when the API itself is reached over https.
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

static int
nomem(struct dupc_err *err)
{
	return err_set(err, E_GENERIC, "out of memory");
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

/* http_fetch's link source: a fresh file/get_links answer each time. */
struct link_arg {
	struct mf_backend *be;
	const char *qk;
};

static int
next_link(void *arg, char **urlp, struct dupc_err *err)
{
	struct link_arg *la = arg;

	return get_link(la->be, la->qk, urlp, err);
}

/*
 * Fetch the file described by ${e}: its size and SHA-256 are what
 * file/get_info reported.  0: done and verified; 1: the quickkey went
 * away (stale listing); -1: error.
 */
static int
fetch(struct mf_backend *be, const struct mf_entry *e, int fd,
    struct dupc_err *err)
{
	struct link_arg la = { be, e->quickkey };
	char what[MF_NAME_MAX / 4 + 32];
	struct http_req req;
	struct http_fetch f;
	struct dupc_err fe;

	snprintf(what, sizeof(what), "download of %s", e->name);
	memset(&req, 0, sizeof(req));
	req.what = what;
	req.follow = true;
	memset(&f, 0, sizeof(f));
	f.req = &req;
	f.fd = fd;
	f.size = e->size;
	f.kind = DIGEST_SHA256;
	f.want = e->hash;
	f.refuse_html = true;
	f.link = next_link;
	f.link_arg = &la;
	err_clear(&fe);
	if (http_fetch(&be->s.http, &f, &fe) == 0)
		return 0;
	if (fe.cls == ERR_NOT_FOUND)
		return 1;
	if (err != NULL)
		*err = fe;
	return -1;
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
