/*
 * Uploads (mediafire-api.md section 7).  Each attempt starts from
 * upload/check, which says whether the file is already stored under this
 * name (nothing to send), whether its content is known to MediaFire
 * (upload/instant: no body), or else which body upload to use:
 * upload/simple up to the configured size, upload/resumable above it, unit
 * by unit, sending only the units the server's bitmap lacks.  Body uploads
 * are authenticated with an action token, so a lost or failed body leaves
 * the session's key chain alone, and end with upload/poll_upload until the
 * server reports a quickkey.  Every attempt ends by reading the stored
 * file's size and SHA-256 back; anything unexpected (a stuck poll, units
 * the server forgot, a hash mismatch, fileerror 6/7/...) starts a new
 * attempt from upload/check, which is how the Python SDK recovers too.
 *
 * The file is never held in memory: it is read once for its SHA-256, once
 * more for the unit hashes of a resumable upload, and streamed from the
 * source for each body.
 */
#include "backend/mediafire/mf_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util/digest.h"
#include "util/err.h"
#include "util/interrupt.h"
#include "util/log.h"
#include "util/stream.h"

#define SCRATCH 65536
#define POS_UNKNOWN UINT64_MAX
#define MAX_ROUNDS 5 /* bitmap checks within one resumable attempt */

enum { POLL_WAIT, POLL_DONE, POLL_RECHECK };

struct up {
	struct mf_backend *be;
	const char *name;
	struct source *src;
	uint64_t size;
	char hash[DIGEST_HEX_MAX];
	char qk[MF_QUICKKEY_MAX + 1];
	char *scratch;
	uint64_t pos;          /* offset of the next byte of src */
	struct mf_units units; /* layout the unit hashes are for */
	char (*unit_hash)[DIGEST_HEX_MAX];
	bool *have;
	char upload_key[MF_UPLOADKEY_MAX + 1];
};

/* What upload/check said. */
struct check {
	struct mf_reply r;
	int hash_exists;
	int in_folder;
	int file_exists;
	int different_hash;
	int storage_exceeded;
	const char *dup_qk;
	const json_t *ru; /* resumable_upload, borrowed from r */
};

static int
nomem(struct dupc_err *err)
{
	return err_set(err, E_GENERIC, "out of memory");
}

/* --- reading the source --- */

static int
src_rewind(struct up *u, struct dupc_err *err)
{
	if (source_rewind(u->src, err) < 0)
		return -1;
	u->pos = 0;
	return 0;
}

/* Move the source to ${off}: forward by reading, backward by rewinding. */
static int
src_seek(struct up *u, uint64_t off, struct dupc_err *err)
{
	size_t got;

	if (u->pos == off)
		return 0;
	if ((u->pos == POS_UNKNOWN || u->pos > off) && src_rewind(u, err) < 0)
		return -1;
	while (u->pos < off) {
		uint64_t want = off - u->pos;

		if (want > SCRATCH)
			want = SCRATCH;
		if (source_read(u->src, u->scratch, (size_t)want, &got, err) <
		    0)
			return -1;
		if (got == 0)
			return err_set(err, E_BACKEND_ERROR,
			    "%s is shorter than its size", u->name);
		u->pos += got;
	}
	return 0;
}

/* SHA-256 of the whole source, checking its length. */
static int
hash_source(struct up *u, struct dupc_err *err)
{
	struct digest *d = digest_new(DIGEST_SHA256);
	uint64_t total = 0;
	size_t got;
	int rc = -1;

	if (d == NULL)
		return nomem(err);
	if (src_rewind(u, err) < 0)
		goto out;
	do {
		if (source_read(u->src, u->scratch, SCRATCH, &got, err) < 0)
			goto out;
		digest_update(d, u->scratch, got);
		total += got;
	} while (got > 0);
	u->pos = total;
	if (total != u->size) {
		err_set(err, E_BACKEND_ERROR,
		    "%s has %" PRIu64 " bytes, expected %" PRIu64, u->name,
		    total, u->size);
		goto out;
	}
	digest_final_hex(d, u->hash);
	rc = 0;
out:
	digest_free(d);
	return rc;
}

/* The SHA-256 of every unit of layout ${l} (read again from the source). */
static int
hash_units(struct up *u, const struct mf_units *l, struct dupc_err *err)
{
	struct digest *d;
	uint32_t i;
	int rc = -1;

	if (u->unit_hash != NULL && u->units.unit_size == l->unit_size &&
	    u->units.count == l->count)
		return 0;
	free(u->unit_hash);
	free(u->have);
	u->unit_hash = calloc(l->count, sizeof(*u->unit_hash));
	u->have = calloc(l->count, sizeof(*u->have));
	d = digest_new(DIGEST_SHA256);
	if (u->unit_hash == NULL || u->have == NULL || d == NULL) {
		nomem(err);
		goto out;
	}
	if (src_rewind(u, err) < 0)
		goto out;
	for (i = 0; i < l->count; i++) {
		uint64_t left = mf_unit_len(l, i);

		while (left > 0) {
			size_t got,
			    want = left > SCRATCH ? SCRATCH : (size_t)left;

			if (source_read(u->src, u->scratch, want, &got, err) <
			    0)
				goto out;
			if (got == 0) {
				err_set(err, E_BACKEND_ERROR,
				    "%s is shorter than its size", u->name);
				goto out;
			}
			digest_update(d, u->scratch, got);
			left -= got;
			u->pos += got;
		}
		digest_final_hex(d, u->unit_hash[i]);
	}
	u->units = *l;
	rc = 0;
out:
	if (rc < 0) {
		free(u->unit_hash);
		u->unit_hash = NULL;
	}
	digest_free(d);
	return rc;
}

/* --- upload/check and upload/instant --- */

static void
check_release(struct check *c)
{
	mf_reply_release(&c->r);
	c->ru = NULL;
	c->dup_qk = NULL;
}

static int
do_check(struct up *u, bool resumable, struct check *c, struct dupc_err *err)
{
	struct mf_backend *be = u->be;
	struct mf_params p;
	int rc = -1;

	mf_params_init(&p);
	if (mf_params_add(&p, "filename", u->name) < 0 ||
	    mf_params_add_u64(&p, "size", u->size) < 0 ||
	    mf_params_add(&p, "hash", u->hash) < 0 ||
	    (*be->folder_key &&
		mf_params_add(&p, "folder_key", be->folder_key) < 0) ||
	    mf_params_add(&p, "resumable", resumable ? "yes" : "no") < 0) {
		nomem(err);
		goto out;
	}
	if (mf_call(&be->s, "upload/check", &p, &c->r, err) < 0) {
		if (c->r.error == 112)
			mf_folder_lost(be);
		goto out;
	}
	c->hash_exists = mf_json_yes(c->r.resp, "hash_exists");
	c->in_folder = mf_json_yes(c->r.resp, "in_folder");
	c->file_exists = mf_json_yes(c->r.resp, "file_exists");
	c->different_hash = mf_json_yes(c->r.resp, "different_hash");
	c->storage_exceeded = mf_json_yes(c->r.resp, "storage_limit_exceeded");
	c->dup_qk = mf_json_str(c->r.resp, "duplicate_quickkey");
	c->ru = mf_json_obj(c->r.resp, "resumable_upload");
	rc = 0;
out:
	mf_params_release(&p);
	return rc;
}

/* Already stored under this name with this content?  Every flag must say
 * so explicitly: a missing different_hash is not a "no". */
static bool
already_there(const struct check *c)
{
	return c->hash_exists == 1 && c->in_folder == 1 &&
	       c->file_exists == 1 && c->different_hash == 0 &&
	       mf_valid_key(c->dup_qk, 11, MF_QUICKKEY_MAX);
}

/* 0: stored; 1: refused, send the body instead. */
static int
instant(struct up *u, struct dupc_err *err)
{
	struct mf_backend *be = u->be;
	struct mf_params p;
	struct mf_reply r;
	const char *qk;
	int rc = -1;

	mf_params_init(&p);
	mf_reply_init(&r);
	if (mf_params_add(&p, "filename", u->name) < 0 ||
	    mf_params_add_u64(&p, "size", u->size) < 0 ||
	    mf_params_add(&p, "hash", u->hash) < 0 ||
	    (*be->folder_key &&
		mf_params_add(&p, "folder_key", be->folder_key) < 0) ||
	    mf_params_add(&p, "action_on_duplicate", "replace") < 0) {
		nomem(err);
		goto out;
	}
	if (mf_call(&be->s, "upload/instant", &p, &r, err) < 0) {
		/* refused (the content is not known after all, 110 or
		 * whatever code the server picks): send the body instead;
		 * but a full account stays full */
		if (r.error != 0 && r.error != 162)
			rc = 1;
		goto out;
	}
	qk = mf_json_str(r.resp, "quickkey");
	if (!mf_valid_key(qk, 11, MF_QUICKKEY_MAX)) {
		err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
		    "upload/instant: no quickkey in the answer");
		goto out;
	}
	mf_copy(u->qk, sizeof(u->qk), qk);
	rc = 0;
out:
	mf_reply_release(&r);
	mf_params_release(&p);
	return rc;
}

/* --- bodies --- */

/* The upload key from a doupload answer. */
static int
doupload_key(struct up *u, const struct mf_reply *r, const char *api,
    struct dupc_err *err)
{
	const json_t *d = mf_json_obj(r->resp, "doupload");
	const char *key = mf_json_str(d, "key");
	int64_t res = 0;

	if (d == NULL || mf_json_i64(d, "result", &res) < 0 || res != 0 ||
	    !mf_valid_key(key, 8, MF_UPLOADKEY_MAX))
		return err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
		    "%s: upload refused (result %" PRId64 ")", api, res);
	mf_copy(u->upload_key, sizeof(u->upload_key), key);
	return 0;
}

/*
 * POST ${len} bytes of the source from its current position as ${api},
 * checking on the way that they hash to ${want}.  Afterwards u->pos tells
 * how far the source was read.
 */
static int
send_body(struct up *u, const char *api, const char *const *headers,
    uint64_t len, const char *want, struct mf_reply *r, struct dupc_err *err)
{
	struct mf_backend *be = u->be;
	struct mf_params q;
	struct http_body b;
	char got[DIGEST_HEX_MAX];
	uint64_t start = u->pos;
	int rc = -1;

	mf_reply_init(r);
	mf_params_init(&q);
	memset(&b, 0, sizeof(b));
	b.src = u->src;
	b.len = len;
	b.tee = digest_new(DIGEST_SHA256);
	if (b.tee == NULL ||
	    (*be->folder_key &&
		mf_params_add(&q, "folder_key", be->folder_key) < 0) ||
	    mf_params_add(&q, "action_on_duplicate", "replace") < 0) {
		nomem(err);
		goto out;
	}
	rc = mf_upload_post(&be->s, api, &q, headers, &b, r, err);
	/* the body callback reads exactly what it sends */
	u->pos = b.src_failed ? POS_UNKNOWN : start + b.sent;
	if (b.sent == len) {
		digest_final_hex(b.tee, got);
		if (strcmp(got, want) != 0) {
			rc = err_set(err, E_BACKEND_ERROR,
			    "%s changed while it was uploaded", u->name);
			goto out;
		}
	}
	if (rc < 0 && r->error != 0) {
		struct mf_errinfo info;

		/* a refused token or a server fault: try again */
		mf_error_info(r->error, &info);
		if (info.action != MF_EA_FAIL && err != NULL)
			err->cls = ERR_TRANSIENT;
	}
out:
	digest_free(b.tee);
	mf_params_release(&q);
	return rc;
}

static int
simple(struct up *u, struct dupc_err *err)
{
	char hname[MF_NAME_MAX + 32], hsize[48], hhash[96];
	const char *const headers[] = { hname, hsize, hhash,
		"Content-Type: application/octet-stream", NULL };
	struct mf_reply r;
	int rc = -1;

	snprintf(hname, sizeof(hname), "X-Filename: %s", u->name);
	snprintf(hsize, sizeof(hsize), "X-Filesize: %" PRIu64, u->size);
	snprintf(hhash, sizeof(hhash), "X-Filehash: %s", u->hash);
	if (src_rewind(u, err) < 0)
		return -1;
	if (send_body(u, "upload/simple", headers, u->size, u->hash, &r, err) ==
	    0)
		rc = doupload_key(u, &r, "upload/simple", err);
	mf_reply_release(&r);
	return rc;
}

/* Send unit ${i}, a few times if need be. */
static int
send_unit(struct up *u, uint32_t i, struct dupc_err *err)
{
	const struct mf_units *l = &u->units;
	uint64_t off = mf_unit_offset(l, i), len = mf_unit_len(l, i);
	char hname[MF_NAME_MAX + 32], hsize[48], hhash[96];
	char hid[32], uhash[96], usize[48];
	const char *const headers[] = { hname, hsize, hhash, hid, uhash, usize,
		"Content-Type: application/octet-stream", NULL };
	struct mf_reply r;
	struct dupc_err e;
	unsigned t;

	snprintf(hname, sizeof(hname), "x-filename: %s", u->name);
	snprintf(hsize, sizeof(hsize), "x-filesize: %" PRIu64, u->size);
	snprintf(hhash, sizeof(hhash), "x-filehash: %s", u->hash);
	snprintf(hid, sizeof(hid), "x-unit-id: %" PRIu32, i);
	snprintf(uhash, sizeof(uhash), "x-unit-hash: %s", u->unit_hash[i]);
	snprintf(usize, sizeof(usize), "x-unit-size: %" PRIu64, len);
	err_clear(&e);
	for (t = 1; t <= u->be->cfg.unit_tries; t++) {
		if (t > 1) {
			log_debug("mediafire: unit %" PRIu32 " of %s: %s", i,
			    u->name, e.msg);
			interrupt_sleep(mf_backoff(&u->be->s, t));
		}
		if (src_seek(u, off, err) < 0)
			return -1;
		if (send_body(u, "upload/resumable", headers, len,
			u->unit_hash[i], &r, &e) == 0 &&
		    doupload_key(u, &r, "upload/resumable", &e) == 0) {
			mf_reply_release(&r);
			return 0;
		}
		mf_reply_release(&r);
		if (e.cls != ERR_TRANSIENT)
			break;
	}
	if (err != NULL)
		*err = e;
	return -1;
}

/* Read the unit layout and bitmap of a resumable_upload object. */
static int
read_units(struct up *u, const json_t *ru, bool *ready, struct dupc_err *err)
{
	struct mf_units l;
	uint64_t count, unit_size;
	const char *key;

	if (ru == NULL || mf_json_u64(ru, "number_of_units", &count) < 0 ||
	    mf_json_u64(ru, "unit_size", &unit_size) < 0)
		return err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
		    "upload/check: no resumable_upload layout in the answer");
	if (mf_units_layout(&l, u->size, unit_size, count, err) < 0 ||
	    hash_units(u, &l, err) < 0)
		return -1;
	if (mf_bitmap_from_json(mf_json_obj(ru, "bitmap"), l.count, u->have,
		err) < 0)
		return -1;
	*ready = mf_json_yes(ru, "all_units_ready") == 1;
	key = mf_json_str(ru, "upload_key");
	if (mf_valid_key(key, 8, MF_UPLOADKEY_MAX))
		mf_copy(u->upload_key, sizeof(u->upload_key), key);
	return 0;
}

/* --- upload/poll_upload --- */

/* A numeric field that may be absent (0), "" (0), a number or digits. */
static int
opt_num(const json_t *d, const char *key, int64_t *out)
{
	const char *str = mf_json_str(d, key);

	*out = 0;
	if (json_object_get(d, key) == NULL || (str != NULL && *str == '\0'))
		return 0;
	return mf_json_i64(d, key, out);
}

static int
poll_once(struct up *u, bool resum, int *state, struct dupc_err *err)
{
	struct mf_params p;
	struct mf_reply r;
	const json_t *d;
	const char *qk;
	int64_t result, fileerror;
	uint64_t status;
	bool retry;
	int rc = -1;

	*state = POLL_WAIT;
	mf_params_init(&p);
	mf_reply_init(&r);
	if (mf_params_add(&p, "key", u->upload_key) < 0 ||
	    (resum && mf_params_add(&p, "resumable", "yes") < 0)) {
		nomem(err);
		goto out;
	}
	if (mf_call(&u->be->s, "upload/poll_upload", &p, &r, err) < 0)
		goto out;
	d = mf_json_obj(r.resp, "doupload");
	qk = mf_json_str(d, "quickkey");
	if (d == NULL || opt_num(d, "result", &result) < 0 ||
	    opt_num(d, "fileerror", &fileerror) < 0 ||
	    mf_json_u64(d, "status", &status) < 0) {
		err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
		    "upload/poll_upload: malformed answer");
		goto out;
	}
	if (result < 0) {
		err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
		    "upload/poll_upload: upload key unknown (result %" PRId64
		    ")",
		    result);
		goto out;
	}
	if (fileerror != 0) {
		err_class_set(err,
		    (enum err_class)mf_fileerror_class((long)fileerror, &retry),
		    fileerror == 15 ? E_BACKEND_NO_SPACE : E_BACKEND_ERROR,
		    "upload of %s failed: %s (fileerror %" PRId64 ")", u->name,
		    mf_fileerror_text((long)fileerror), fileerror);
		if (fileerror == 14)
			mf_folder_lost(u->be);
		goto out;
	}
	if ((status == 99 || status == 98) &&
	    mf_valid_key(qk, 11, MF_QUICKKEY_MAX)) {
		mf_copy(u->qk, sizeof(u->qk), qk);
		*state = POLL_DONE;
	} else if (status == 99) {
		/* finished without a file: start over */
		err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
		    "upload/poll_upload: finished without a file for %s",
		    u->name);
		goto out;
	} else if (status == 17 && resum) {
		/* units missing (or an invalid state, as the Python SDK
		 * calls it): the bitmap says which */
		*state = POLL_RECHECK;
	}
	rc = 0;
out:
	mf_reply_release(&r);
	mf_params_release(&p);
	return rc;
}

/*
 * Poll until the server has a quickkey: 0 with u->qk set, 1 when units
 * must be checked again (resumable only), -1 on error.
 */
static int
poll(struct up *u, bool resum, struct dupc_err *err)
{
	const struct mf_config *cfg = &u->be->cfg;
	unsigned n;
	int state;

	for (n = 0; n < cfg->poll_max; n++) {
		if (n > 0)
			interrupt_sleep(cfg->poll_interval);
		if (poll_once(u, resum, &state, err) < 0)
			return -1;
		if (state == POLL_DONE)
			return 0;
		if (state == POLL_RECHECK)
			return 1;
	}
	return err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
	    "upload of %s still unfinished after %u polls", u->name,
	    cfg->poll_max);
}

/*
 * The resumable path: send the units the server lacks, check again, and
 * poll once the server has them all; a poll that reports units missing
 * (status 17) goes back to the bitmap.  0: stored, u->qk set.
 */
static int
resumable(struct up *u, struct check *c, struct dupc_err *err)
{
	unsigned round;
	bool ready = false;
	uint32_t i;
	int rc;

	u->upload_key[0] = '\0';
	for (round = 0;; round++) {
		if (read_units(u, c->ru, &ready, err) < 0)
			return -1;
		/* all units in but no key said: a unit sent again is
		 * harmless and its answer carries the key */
		if (ready && u->upload_key[0] == '\0' &&
		    send_unit(u, 0, err) < 0)
			return -1;
		if (ready) {
			rc = poll(u, true, err);
			if (rc <= 0)
				return rc;
		}
		if (round >= MAX_ROUNDS)
			return err_class_set(err, ERR_TRANSIENT,
			    E_BACKEND_ERROR,
			    "upload/resumable: MediaFire keeps losing units of %s",
			    u->name);
		for (i = 0; !ready && i < u->units.count; i++)
			if (!u->have[i] && send_unit(u, i, err) < 0)
				return -1;
		check_release(c);
		if (do_check(u, true, c, err) < 0)
			return -1;
		if (already_there(c)) {
			mf_copy(u->qk, sizeof(u->qk), c->dup_qk);
			return 0;
		}
	}
}

/* --- the whole put --- */

/* One pass from upload/check to a quickkey. */
static int
attempt(struct up *u, struct dupc_err *err)
{
	struct mf_backend *be = u->be;
	bool resum = u->size > be->cfg.simple_max;
	struct check c;
	int rc = -1;

	memset(&c, 0, sizeof(c));
	mf_reply_init(&c.r);
	if (mf_folder_find(be, true, err) < 0)
		return -1;
	if (do_check(u, resum, &c, err) < 0)
		goto out;
	if (already_there(&c)) {
		log_debug("mediafire: %s is already stored", u->name);
		mf_copy(u->qk, sizeof(u->qk), c.dup_qk);
		rc = 0;
		goto out;
	}
	if (c.hash_exists == 1) {
		rc = instant(u, err);
		if (rc <= 0)
			goto out;
	}
	if (c.storage_exceeded == 1) {
		rc = err_set(err, E_BACKEND_NO_SPACE,
		    "MediaFire storage limit reached; cannot store %s",
		    u->name);
		goto out;
	}
	if (resum) {
		rc = resumable(u, &c, err);
	} else {
		rc = simple(u, err);
		if (rc == 0)
			rc = poll(u, false, err);
	}
out:
	check_release(&c);
	return rc;
}

/* Read the stored file back: size and SHA-256 must be what we sent. */
static int
verify(struct up *u, struct dupc_err *err)
{
	struct mf_entry e;
	char hash[DIGEST_HEX_MAX];
	uint64_t size;
	int rc;

	rc = mf_file_info(u->be, u->qk, &size, hash, err);
	if (rc == 1)
		return err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
		    "uploaded %s vanished (quickkey %s)", u->name, u->qk);
	if (rc < 0)
		return -1;
	if (size != u->size || strcmp(hash, u->hash) != 0)
		return err_class_set(err, ERR_TRANSIENT, E_MISMATCHED_HASH,
		    "uploaded %s is stored with %" PRIu64
		    " bytes and SHA-256 %.12s..., expected %" PRIu64
		    " bytes and %.12s...",
		    u->name, size, hash, u->size, u->hash);
	memset(&e, 0, sizeof(e));
	e.name = (char *)(uintptr_t)u->name;
	memcpy(e.quickkey, u->qk, sizeof(e.quickkey));
	memcpy(e.hash, u->hash, sizeof(e.hash));
	e.size = u->size;
	if (u->be->cache.valid && mf_cache_set(&u->be->cache, &e) < 0)
		return nomem(err);
	return 0;
}

int
mf_upload(struct mf_backend *be, const char *name, struct source *src,
    uint64_t size, struct dupc_err *err)
{
	struct up u;
	struct dupc_err e;
	unsigned n;
	int rc = -1;

	memset(&u, 0, sizeof(u));
	u.be = be;
	u.name = name;
	u.src = src;
	u.size = size;
	u.pos = POS_UNKNOWN;
	err_clear(&e);
	u.scratch = malloc(SCRATCH);
	if (u.scratch == NULL) {
		nomem(err);
		goto out;
	}
	if (hash_source(&u, err) < 0)
		goto out;
	for (n = 1; n <= be->cfg.put_tries; n++) {
		if (n > 1) {
			log_debug("mediafire: upload of %s, attempt %u: %s",
			    name, n - 1, e.msg);
			interrupt_sleep(mf_backoff(&be->s, n));
		}
		u.qk[0] = '\0';
		err_clear(&e);
		if (attempt(&u, &e) == 0 && verify(&u, &e) == 0) {
			rc = 0;
			goto out;
		}
		if (e.cls != ERR_TRANSIENT)
			break;
	}
	if (err != NULL)
		*err = e;
out:
	free(u.scratch);
	free(u.unit_hash);
	free(u.have);
	return rc;
}
