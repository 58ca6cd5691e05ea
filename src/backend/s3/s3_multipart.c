/*
 * Multipart uploads: an object larger than --s3-multipart-chunk-size goes
 * in parts, --s3-multipart-max-procs of them in flight at once, each on
 * its own libcurl handle from the backend's pool and streamed from its
 * range of the volume (range_source over the source's pread), so memory
 * does not grow with the part size or the number of parts.  Each part
 * carries its Content-MD5, computed in one pass over the volume before
 * the first part goes.
 *
 * An upload that does not finish must not stay behind: S3 keeps (and
 * bills) the parts of an upload until it is completed or aborted.  The
 * backend keeps a table of the unfinished uploads it knows of: those an
 * earlier run left (listed once, at the first put or remove: only the
 * keys directly under the prefix, never a deeper prefix's, which belong
 * to other hosts), and its own that failed.  A put of a key in the table
 * resumes that upload: the parts already stored with the right size and
 * MD5 are not sent again.  A failure that a retry may cure leaves the
 * upload in the table for the retry layer's next attempt; any other
 * failure (and an interrupt) aborts it at once; close aborts whatever is
 * left.  The requests of one attempt (start, parts, completion, the
 * bucket's creation) are one operation in the sense of backend.h: each
 * is sent once.
 */
#define _DEFAULT_SOURCE
#include "backend/s3/s3_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"
#include "util/digest.h"
#include "util/err.h"
#include "util/faultpoint.h"
#include "util/interrupt.h"
#include "util/log.h"
#include "util/stream.h"

#define BLOCK (1u << 16)
#define UPLOAD_ID_MAX 1024

static int
nomem(struct dupc_err *err)
{
	return err_set(err, E_GENERIC, "out of memory");
}

/* ------------------------------------------------------------------ */
/* the table of unfinished uploads (be->mu) */

static int
table_add(struct s3_backend *be, const char *key, const char *id, bool ours)
{
	struct s3_upload *u;
	int rc = -1;

	pthread_mutex_lock(&be->mu);
	u = realloc(be->ups, (be->nups + 1) * sizeof(*u));
	if (u != NULL) {
		be->ups = u;
		u += be->nups;
		u->key = strdup(key);
		u->id = strdup(id);
		u->ours = ours;
		if (u->key != NULL && u->id != NULL) {
			be->nups++;
			rc = 0;
		} else {
			free(u->key);
			free(u->id);
		}
	}
	pthread_mutex_unlock(&be->mu);
	return rc;
}

/* The id of an unfinished upload of ${key} into ${id}; false: none. */
static bool
table_find(struct s3_backend *be, const char *key, char *id, size_t size)
{
	bool found = false;
	size_t i;

	pthread_mutex_lock(&be->mu);
	for (i = be->nups; i-- > 0;)
		if (strcmp(be->ups[i].key, key) == 0 &&
		    strlen(be->ups[i].id) < size) {
			memcpy(id, be->ups[i].id, strlen(be->ups[i].id) + 1);
			be->ups[i].ours = true;
			found = true;
			break;
		}
	pthread_mutex_unlock(&be->mu);
	return found;
}

static void
table_drop(struct s3_backend *be, const char *id)
{
	size_t i;

	pthread_mutex_lock(&be->mu);
	for (i = 0; i < be->nups; i++)
		if (strcmp(be->ups[i].id, id) == 0) {
			free(be->ups[i].key);
			free(be->ups[i].id);
			be->ups[i] = be->ups[--be->nups];
			break;
		}
	pthread_mutex_unlock(&be->mu);
}

/* Forget the uploads a scan found that this process has not taken up. */
static void
table_forget_found(struct s3_backend *be)
{
	size_t i = 0;

	pthread_mutex_lock(&be->mu);
	while (i < be->nups) {
		if (be->ups[i].ours) {
			i++;
			continue;
		}
		free(be->ups[i].key);
		free(be->ups[i].id);
		be->ups[i] = be->ups[--be->nups];
	}
	pthread_mutex_unlock(&be->mu);
}

void
s3_uploads_release(struct s3_backend *be)
{
	size_t i;

	for (i = 0; i < be->nups; i++) {
		free(be->ups[i].key);
		free(be->ups[i].id);
	}
	free(be->ups);
	be->ups = NULL;
	be->nups = 0;
}

/* ------------------------------------------------------------------ */
/* requests about one upload */

static int
id_query(const char *fmt_before, const char *id, const char *after, char *q,
    size_t size)
{
	char eid[3 * UPLOAD_ID_MAX + 1];
	int n;

	if (s3_encode(id, false, eid, sizeof(eid)) < 0)
		return -1;
	n = snprintf(q, size, "%suploadId=%s%s", fmt_before, eid, after);
	return n > 0 && (size_t)n < size ? 0 : -1;
}

/* Abort upload ${id} of ${key}; 0, or -1 with ${err}. */
static int
abort_upload(struct s3_backend *be, struct http *h, const char *key,
    const char *id, struct dupc_err *err)
{
	char q[4 * UPLOAD_ID_MAX];
	struct http_resp resp;
	int rc = -1;

	if (id_query("", id, "", q, sizeof(q)) < 0)
		return err_set(err, E_BACKEND_ERROR, "upload id too long");
	http_resp_init(&resp);
	{
		struct s3_call c = { .method = "DELETE",
			.key = key,
			.query = q,
			.what = "AbortMultipartUpload",
			.after_interrupt = true };

		if (s3_perform(be, h, &c, &resp, err) < 0)
			goto out;
	}
	if (resp.status == 204 || resp.status == 200 || resp.status == 404)
		rc = 0;
	else
		s3_fail(be, err, "AbortMultipartUpload", &resp);
out:
	http_resp_release(&resp, false);
	return rc;
}

void
s3_uploads_abort_all(struct s3_backend *be)
{
	struct dupc_err e;
	struct http *h = NULL;
	size_t i;

	pthread_mutex_lock(&be->mu);
	for (i = 0; i < be->nups; i++) {
		const struct s3_upload *u = &be->ups[i];

		if (h == NULL && (h = http_pool_take(&be->pool, &e)) == NULL)
			break;
		err_clear(&e);
		if (abort_upload(be, h, u->key, u->id, &e) < 0)
			log_warn(
			    "the unfinished multipart upload of %s stays on the server (it keeps costing until aborted): %s",
			    u->key, e.msg);
		else
			log_info(
			    "Aborted the unfinished multipart upload of %s",
			    u->key);
	}
	pthread_mutex_unlock(&be->mu);
	http_pool_give(&be->pool, h);
	s3_uploads_release(be);
}

/* ------------------------------------------------------------------ */
/* the scan of an earlier run's uploads */

struct scan_ctx {
	struct s3_backend *be;
	size_t plen;
};

static int
scan_one(void *arg, const char *key, const char *id, struct dupc_err *err)
{
	struct scan_ctx *sc = arg;
	const char *name = key + sc->plen;

	if (strncmp(key, sc->be->loc.prefix, sc->plen) != 0 || *name == '\0' ||
	    strchr(name, '/') != NULL || strlen(id) >= UPLOAD_ID_MAX)
		return 0;
	log_info("Found an unfinished multipart upload of %s", key);
	if (table_add(sc->be, key, id, false) < 0)
		return nomem(err);
	return 0;
}

static int
uploads_query(const struct s3_backend *be, const char *kmark, const char *umark,
    char *q, size_t size)
{
	char epre[3 * 1024 + 1], ek[3 * S3_TOKEN_MAX + 1],
	    eu[3 * S3_TOKEN_MAX + 1];
	int n;

	if (s3_encode(be->loc.prefix, false, epre, sizeof(epre)) < 0 ||
	    s3_encode(kmark, false, ek, sizeof(ek)) < 0 ||
	    s3_encode(umark, false, eu, sizeof(eu)) < 0)
		return -1;
	n = snprintf(q, size,
	    "delimiter=%%2F&encoding-type=url%s%s&max-uploads=1000&prefix=%s%s%s&uploads=",
	    kmark[0] ? "&key-marker=" : "", kmark[0] ? ek : "", epre,
	    umark[0] ? "&upload-id-marker=" : "", umark[0] ? eu : "");
	return n > 0 && (size_t)n < size ? 0 : -1;
}

int
s3_uploads_scan(struct s3_backend *be, struct http *h, struct dupc_err *err)
{
	struct scan_ctx sc = { be, strlen(be->loc.prefix) };
	char kmark[S3_TOKEN_MAX] = "", umark[S3_TOKEN_MAX] = "";
	struct http_resp resp;
	struct s3_page page;
	struct s3_error e;
	size_t qsize = 12 * S3_TOKEN_MAX;
	char *q = malloc(qsize);
	bool done;
	int rc = -1;

	/* one scan at a time: the uploader and a removal may both ask */
	pthread_mutex_lock(&be->scan_mu);
	pthread_mutex_lock(&be->mu);
	done = be->scanned;
	pthread_mutex_unlock(&be->mu);
	http_resp_init(&resp);
	if (done) {
		rc = 0;
		goto out;
	}
	if (q == NULL) {
		nomem(err);
		goto out;
	}
	do {
		struct s3_call c = { .method = "GET",
			.query = q,
			.what = "ListMultipartUploads",
			.answer_max = 8u << 20 };

		if (uploads_query(be, kmark, umark, q, qsize) < 0) {
			err_set(err, E_BAD_URL, "prefix too long");
			goto out;
		}
		http_resp_release(&resp, false);
		if (s3_perform(be, h, &c, &resp, err) < 0)
			goto out;
		if (resp.status == 404 &&
		    s3_xml_error(resp.body, resp.len, &e) == 0 &&
		    strcmp(e.code, "NoSuchBucket") == 0)
			break; /* nothing left behind in a bucket to be */
		if (resp.status != 200) {
			s3_fail(be, err, c.what, &resp);
			goto out;
		}
		if (s3_xml_uploads(resp.body, resp.len, scan_one, &sc, &page,
			err) < 0)
			goto out;
		if (page.truncated && page.next[0] == '\0' &&
		    page.next2[0] == '\0') {
			err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
			    "ListMultipartUploads: a page says more follow but gives no marker");
			goto out;
		}
		memcpy(kmark, page.next, sizeof(kmark));
		memcpy(umark, page.next2, sizeof(umark));
	} while (page.truncated);
	pthread_mutex_lock(&be->mu);
	be->scanned = true;
	pthread_mutex_unlock(&be->mu);
	rc = 0;
out:
	if (rc < 0)
		table_forget_found(be); /* the next try lists them again */
	pthread_mutex_unlock(&be->scan_mu);
	http_resp_release(&resp, false);
	free(q);
	return rc;
}

/* ------------------------------------------------------------------ */
/* one multipart upload */

struct part {
	uint64_t off, len;
	char md5[DIGEST_HEX_MAX];
	char etag[80]; /* as the server gave it, quotes and all */
	bool stored;   /* by an earlier attempt, same size and MD5 */
};

struct mp {
	struct s3_backend *be;
	const char *key, *name;
	struct source *src;
	uint64_t size;
	struct part *parts;
	unsigned nparts;
	char id[UPLOAD_ID_MAX];
	pthread_mutex_t mu;
	unsigned next; /* the next part to send */
	bool failed;
	struct dupc_err err; /* the first failure */
	unsigned sent;       /* parts sent by this attempt */
	unsigned inflight;   /* parts being sent now */
	unsigned most;       /* the most that were sent at once */
};

/* Part boundaries: be->chunk bytes each, more when there would be more
 * than S3_MAX_PARTS (rounded up to a MiB). */
static int
plan_parts(struct mp *m, struct dupc_err *err)
{
	uint64_t psize = m->be->chunk, off = 0;
	unsigned i;

	if ((m->size + psize - 1) / psize > S3_MAX_PARTS) {
		psize = (m->size + S3_MAX_PARTS - 1) / S3_MAX_PARTS;
		psize = (psize + (1u << 20) - 1) & ~(uint64_t)((1u << 20) - 1);
	}
	m->nparts = (unsigned)((m->size + psize - 1) / psize);
	m->parts = calloc(m->nparts, sizeof(*m->parts));
	if (m->parts == NULL)
		return nomem(err);
	for (i = 0; i < m->nparts; i++) {
		m->parts[i].off = off;
		m->parts[i].len = m->size - off < psize ? m->size - off : psize;
		off += m->parts[i].len;
	}
	return 0;
}

/* One pass over the source: each part's MD5; the source is rewound. */
static int
hash_parts(struct mp *m, struct dupc_err *err)
{
	struct digest *d = digest_new(DIGEST_MD5);
	char *block = malloc(BLOCK);
	uint64_t total = 0;
	size_t extra = 0;
	unsigned i = 0;
	int rc = -1;

	if (d == NULL || block == NULL) {
		nomem(err);
		goto out;
	}
	while (i < m->nparts) {
		const struct part *p = &m->parts[i];
		uint64_t want = p->off + p->len - total;
		size_t got;

		if (source_read(m->src, block,
			want < BLOCK ? (size_t)want : BLOCK, &got, err) < 0)
			goto out;
		if (got == 0)
			break;
		digest_update(d, block, got);
		total += got;
		if (total == p->off + p->len)
			digest_final_hex(d, m->parts[i++].md5);
	}
	if (total == m->size && source_read(m->src, block, 1, &extra, err) < 0)
		goto out;
	if (total != m->size || extra != 0) {
		if (err == NULL || err->code == 0)
			err_set(err, E_BACKEND_ERROR,
			    "the file to upload does not have its %" PRIu64
			    " bytes",
			    m->size);
		goto out;
	}
	rc = source_rewind(m->src, err);
out:
	digest_free(d);
	free(block);
	return rc;
}

/* Start the upload (with the object's class and encryption).  1: the
 * bucket does not exist. */
static int
initiate(struct mp *m, struct http *h, struct dupc_err *err)
{
	const char *hdr[8];
	char store[512];
	struct http_resp resp;
	struct s3_error e;
	size_t n;
	int rc = -1;

	n = s3_object_headers(m->be, m->name, hdr, 7, store);
	hdr[n] = NULL;
	http_resp_init(&resp);
	{
		struct http_body hb = { 0 };
		struct s3_call c = { .method = "POST",
			.key = m->key,
			.query = "uploads=",
			.headers = hdr,
			.body = &hb,
			.what = "CreateMultipartUpload" };

		if (s3_perform(m->be, h, &c, &resp, err) < 0)
			goto out;
	}
	if (resp.status == 404 && s3_xml_error(resp.body, resp.len, &e) == 0 &&
	    strcmp(e.code, "NoSuchBucket") == 0)
		rc = 1;
	else if (resp.status != 200)
		s3_fail(m->be, err, "CreateMultipartUpload", &resp);
	else if (s3_xml_initiate(resp.body, resp.len, m->id, sizeof(m->id),
		     err) == 0)
		rc = 0;
out:
	http_resp_release(&resp, false);
	return rc;
}

/* A stored part of the upload being resumed. */
static int
stored_part(void *arg, unsigned number, const char *etag, uint64_t size,
    struct dupc_err *err)
{
	struct mp *m = arg;
	struct part *p;
	size_t n = strlen(etag);

	(void)err;
	if (number == 0 || number > m->nparts)
		return 0;
	p = &m->parts[number - 1];
	if (n >= 2 && etag[0] == '"' && etag[n - 1] == '"') {
		etag++;
		n -= 2;
	}
	if (size == p->len && n == 32 && strncasecmp(etag, p->md5, 32) == 0 &&
	    n + 2 < sizeof(p->etag)) {
		snprintf(p->etag, sizeof(p->etag), "\"%.32s\"", p->md5);
		p->stored = true;
	}
	return 0;
}

/* The parts the upload already has.  1: the upload is gone. */
static int
list_parts(struct mp *m, struct http *h, struct dupc_err *err)
{
	char q[4 * UPLOAD_ID_MAX], before[64];
	struct http_resp resp;
	struct s3_page page;
	unsigned marker = 0;
	int rc = -1;

	http_resp_init(&resp);
	do {
		struct s3_call c = { .method = "GET",
			.key = m->key,
			.query = q,
			.what = "ListParts",
			.answer_max = 8u << 20 };

		if (marker > 0)
			snprintf(before, sizeof(before),
			    "max-parts=1000&part-number-marker=%u&", marker);
		else
			snprintf(before, sizeof(before), "max-parts=1000&");
		if (id_query(before, m->id, "", q, sizeof(q)) < 0) {
			err_set(err, E_BACKEND_ERROR, "upload id too long");
			goto out;
		}
		http_resp_release(&resp, false);
		if (s3_perform(m->be, h, &c, &resp, err) < 0)
			goto out;
		if (resp.status == 404) {
			rc = 1;
			goto out;
		}
		if (resp.status != 200) {
			s3_fail(m->be, err, c.what, &resp);
			goto out;
		}
		if (s3_xml_parts(resp.body, resp.len, stored_part, m, &page,
			err) < 0)
			goto out;
		if (page.truncated) {
			unsigned long v = strtoul(page.next, NULL, 10);

			if (v <= marker || v > S3_MAX_PARTS) {
				err_class_set(err, ERR_TRANSIENT,
				    E_BACKEND_ERROR,
				    "ListParts: a page says more follow but gives no new marker");
				goto out;
			}
			marker = (unsigned)v;
		}
	} while (page.truncated);
	rc = 0;
out:
	http_resp_release(&resp, false);
	return rc;
}

/* The parts' state after a failure of the resumption: nothing stored. */
static void
forget_stored(struct mp *m)
{
	unsigned i;

	for (i = 0; i < m->nparts; i++) {
		m->parts[i].stored = false;
		m->parts[i].etag[0] = '\0';
	}
}

/* An upload to go on with (resumed) or a new one. */
static int
begin(struct mp *m, struct http *h, struct dupc_err *err)
{
	unsigned i, have = 0;
	int r;

	if (table_find(m->be, m->key, m->id, sizeof(m->id))) {
		r = list_parts(m, h, err);
		if (r < 0)
			return -1;
		if (r == 0) {
			for (i = 0; i < m->nparts; i++)
				have += m->parts[i].stored;
			log_info(
			    "Resuming the multipart upload of %s: %u of %u parts stored",
			    m->name, have, m->nparts);
			return 0;
		}
		/* aborted meanwhile: start over */
		table_drop(m->be, m->id);
		forget_stored(m);
	}
	r = initiate(m, h, err);
	if (r == 1) {
		if (s3_create_bucket(m->be, h, err) < 0)
			return -1;
		r = initiate(m, h, err);
		if (r == 1)
			return err_class_set(err, ERR_TRANSIENT,
			    E_BACKEND_NOT_FOUND,
			    "the bucket %s was created but is not there yet",
			    m->be->loc.bucket);
	}
	if (r < 0)
		return -1;
	if (table_add(m->be, m->key, m->id, true) < 0)
		return nomem(err);
	return 0;
}

/* ------------------------------------------------------------------ */
/* the parts */

static bool
mp_cancelled(void *arg)
{
	struct mp *m = arg;
	bool f;

	pthread_mutex_lock(&m->mu);
	f = m->failed;
	pthread_mutex_unlock(&m->mu);
	return f;
}

/* The index of the next part to send, or -1 when none is left. */
static int
take_part(struct mp *m)
{
	int i = -1;

	pthread_mutex_lock(&m->mu);
	while (!m->failed && m->next < m->nparts) {
		unsigned k = m->next++;

		if (!m->parts[k].stored) {
			i = (int)k;
			break;
		}
	}
	pthread_mutex_unlock(&m->mu);
	return i;
}

static void
mp_fail(struct mp *m, const struct dupc_err *e)
{
	pthread_mutex_lock(&m->mu);
	/* the first failure is the cause; a sibling's cancellation is not */
	if (!m->failed)
		m->err = *e;
	m->failed = true;
	pthread_mutex_unlock(&m->mu);
}

/* Send part ${i} from ${body} (positioned at its first byte). */
static int
send_part(struct mp *m, struct http *h, unsigned i, struct source *body,
    struct dupc_err *err)
{
	static const char *const want[] = { "etag", NULL };
	struct part *p = &m->parts[i];
	char q[4 * UPLOAD_ID_MAX], before[48], md5h[64], b64[32], what[300];
	const char *hdr[2] = { md5h, NULL };
	struct http_body hb;
	struct http_resp resp;
	int rc = -1;

	snprintf(before, sizeof(before), "partNumber=%u&", i + 1);
	if (id_query(before, m->id, "", q, sizeof(q)) < 0)
		return err_set(err, E_BACKEND_ERROR, "upload id too long");
	s3_md5_base64(p->md5, b64);
	snprintf(md5h, sizeof(md5h), "Content-MD5: %s", b64);
	snprintf(what, sizeof(what), "UploadPart %u of %u", i + 1, m->nparts);
	memset(&hb, 0, sizeof(hb));
	hb.src = body;
	hb.len = p->len;
	http_resp_init(&resp);
	{
		struct s3_call c = { .method = "PUT",
			.key = m->key,
			.query = q,
			.headers = hdr,
			.body = &hb,
			.what = what,
			.want = want,
			.cancelled = mp_cancelled,
			.cancel_arg = m,
			.max_time = m->be->part_timeout };

		if (s3_perform(m->be, h, &c, &resp, err) < 0)
			goto out;
	}
	if (resp.status != 200) {
		s3_fail(m->be, err, what, &resp);
		/* the upload is gone (aborted elsewhere): a new attempt
		 * starts a new one */
		if (resp.status == 404) {
			err->cls = ERR_TRANSIENT;
			table_drop(m->be, m->id);
		}
		goto out;
	}
	/* the ETag goes back in the completion; the MD5 when none came */
	if (resp.hval[0][0] != '\0' && strlen(resp.hval[0]) < sizeof(p->etag))
		memcpy(p->etag, resp.hval[0], strlen(resp.hval[0]) + 1);
	else
		snprintf(p->etag, sizeof(p->etag), "\"%.32s\"", p->md5);
	rc = 0;
out:
	http_resp_release(&resp, false);
	return rc;
}

/* A worker: parts until none is left or one failed. */
static void *
worker(void *arg)
{
	struct mp *m = arg;
	struct dupc_err e;
	struct http *h;
	int i;

	err_clear(&e);
	h = http_pool_take(&m->be->pool, &e);
	if (h == NULL) {
		mp_fail(m, &e);
		return NULL;
	}
	while ((i = take_part(m)) >= 0) {
		struct part *p = &m->parts[i];
		struct source *body = range_source_new(m->src, p->off, p->len);

		err_clear(&e);
		pthread_mutex_lock(&m->mu);
		if (++m->inflight > m->most)
			m->most = m->inflight;
		pthread_mutex_unlock(&m->mu);
		if (body == NULL ||
		    send_part(m, h, (unsigned)i, body, &e) < 0) {
			if (body == NULL)
				nomem(&e);
			mp_fail(m, &e);
		} else {
			pthread_mutex_lock(&m->mu);
			m->sent++;
			pthread_mutex_unlock(&m->mu);
			faultpoint("s3-part-uploaded");
		}
		pthread_mutex_lock(&m->mu);
		m->inflight--;
		pthread_mutex_unlock(&m->mu);
		source_free(body);
	}
	http_pool_give(&m->be->pool, h);
	return NULL;
}

/* Parts side by side, when the source reads at offsets. */
static void
parallel(struct mp *m)
{
	unsigned todo = 0, n, i;
	pthread_t tid[64];
	bool started[64] = { false };

	for (i = 0; i < m->nparts; i++)
		todo += !m->parts[i].stored;
	n = m->be->procs < todo ? m->be->procs : todo;
	if (n > 64)
		n = 64;
	for (i = 1; i < n; i++)
		started[i] = pthread_create(&tid[i], NULL, worker, m) == 0;
	worker(m);
	for (i = 1; i < n; i++)
		if (started[i])
			pthread_join(tid[i], NULL);
}

/* Parts one after the other, read in order from the source. */
static void
sequential(struct mp *m)
{
	struct dupc_err e;
	struct http *h;
	char *junk = NULL;
	unsigned i;

	err_clear(&e);
	if ((h = http_pool_take(&m->be->pool, &e)) == NULL) {
		mp_fail(m, &e);
		return;
	}
	for (i = 0; i < m->nparts && !m->failed; i++) {
		struct part *p = &m->parts[i];
		struct source *body;
		uint64_t left = p->len;

		if (p->stored) {
			/* read past it: this source cannot seek */
			if (junk == NULL && (junk = malloc(BLOCK)) == NULL) {
				nomem(&e);
				mp_fail(m, &e);
				break;
			}
			while (left > 0) {
				size_t got;

				if (source_read(m->src, junk,
					left < BLOCK ? (size_t)left : BLOCK,
					&got, &e) < 0 ||
				    got == 0) {
					mp_fail(m, &e);
					break;
				}
				left -= got;
			}
			continue;
		}
		body = limit_source_new(m->src, p->len);
		err_clear(&e);
		m->most = 1;
		if (body == NULL || send_part(m, h, i, body, &e) < 0) {
			if (body == NULL)
				nomem(&e);
			mp_fail(m, &e);
		} else {
			m->sent++;
			faultpoint("s3-part-uploaded");
		}
		source_free(body);
	}
	free(junk);
	http_pool_give(&m->be->pool, h);
}

/* ------------------------------------------------------------------ */
/* completion */

static int
complete(struct mp *m, struct http *h, struct dupc_err *err)
{
	char q[4 * UPLOAD_ID_MAX];
	struct http_body hb;
	struct http_resp resp;
	struct s3_error e;
	struct buf body;
	unsigned i;
	int rc = -1, r;

	buf_init(&body, (size_t)m->nparts * 160 + 256);
	if (buf_addstr(&body, "<CompleteMultipartUpload>") < 0)
		goto nomem;
	for (i = 0; i < m->nparts; i++)
		if (buf_addf(&body,
			"<Part><PartNumber>%u</PartNumber><ETag>%s</ETag></Part>",
			i + 1, m->parts[i].etag) < 0)
			goto nomem;
	if (buf_addstr(&body, "</CompleteMultipartUpload>") < 0)
		goto nomem;
	if (id_query("", m->id, "", q, sizeof(q)) < 0) {
		err_set(err, E_BACKEND_ERROR, "upload id too long");
		goto out;
	}
	memset(&hb, 0, sizeof(hb));
	hb.mem = buf_str(&body);
	hb.len = body.len;
	http_resp_init(&resp);
	{
		static const char *const hdr[] = {
			"Content-Type: application/xml", NULL
		};
		struct s3_call c = { .method = "POST",
			.key = m->key,
			.query = q,
			.headers = hdr,
			.body = &hb,
			.what = "CompleteMultipartUpload" };

		if (s3_perform(m->be, h, &c, &resp, err) < 0)
			goto out_resp;
	}
	if (resp.status != 200) {
		s3_fail(m->be, err, "CompleteMultipartUpload", &resp);
		/* the upload is gone: a new attempt starts a new one */
		if (resp.status == 404) {
			err->cls = ERR_TRANSIENT;
			table_drop(m->be, m->id);
		}
		goto out_resp;
	}
	/* a 200 may still carry an error, sent after a long wait */
	r = s3_xml_complete(resp.body, resp.len, &e, err);
	if (r == 1)
		s3_error_fail(m->be, err, "CompleteMultipartUpload", 200, &e);
	else if (r == 0)
		rc = 0;
out_resp:
	http_resp_release(&resp, false);
out:
	buf_release(&body);
	return rc;
nomem:
	nomem(err);
	goto out;
}

int
s3_multipart_put(struct s3_backend *be, const char *key, const char *name,
    struct source *src, uint64_t size, struct dupc_err *err)
{
	struct mp m;
	struct http *h;
	int rc = -1;

	memset(&m, 0, sizeof(m));
	m.be = be;
	m.key = key;
	m.name = name;
	m.src = src;
	m.size = size;
	pthread_mutex_init(&m.mu, NULL);
	if ((h = http_pool_take(&be->pool, err)) == NULL)
		goto out;
	if (plan_parts(&m, err) < 0 || hash_parts(&m, err) < 0 ||
	    s3_uploads_scan(be, h, err) < 0 || begin(&m, h, err) < 0)
		goto out;
	if (source_can_pread(src) && be->procs > 1)
		parallel(&m);
	else
		sequential(&m);
	log_debug("S3 multipart upload of %s: %u parts of at most %" PRIu64
		  " bytes, %u sent, at most %u in flight at once",
	    name, m.nparts, m.parts[0].len, m.sent, m.most);
	if (m.failed) {
		if (err != NULL)
			*err = m.err;
		goto failed;
	}
	if (complete(&m, h, err) < 0)
		goto failed;
	table_drop(be, m.id);
	rc = 0;
	goto out;
failed:
	/* a retry resumes a transient failure; anything else ends it */
	if (err != NULL && (err->cls != ERR_TRANSIENT || interrupted()) &&
	    m.id[0] != '\0') {
		struct dupc_err e;

		err_clear(&e);
		if (abort_upload(be, h, key, m.id, &e) == 0)
			table_drop(be, m.id);
	}
out:
	http_pool_give(&be->pool, h);
	free(m.parts);
	pthread_mutex_destroy(&m.mu);
	return rc;
}
