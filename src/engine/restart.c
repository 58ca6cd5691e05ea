/*
 * Restart planning (see restart.h).  duplicity assumes the last volume it
 * uploaded may be damaged and redoes it blindly; dupc checks it instead:
 * the volume is fetched and verified against the manifest's SHA-1 without
 * being decrypted, and the partial manifest gives the resume position.
 * When a file is split across it, the last tar entry gives the file's
 * metadata, where the volume can be decrypted.
 */
#define _DEFAULT_SOURCE
#include "engine/restart.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "engine/engine.h"
#include "engine/pipe.h"
#include "engine/session.h"
#include "format/collection.h"
#include "format/entry.h"
#include "format/manifest.h"
#include "format/tar.h"
#include "util/digest.h"
#include "util/err.h"
#include "util/log.h"
#include "util/stream.h"

void
restart_release(struct restart *r)
{
	buf_release(&r->index);
	buf_release(&r->manifest);
	meta_release(&r->span);
}

static int
read_local(struct session *s, const char *name, struct buf *out,
    struct dupc_err *err)
{
	char *path = cache_path(&s->cache, name);
	char chunk[65536];
	int fd, rc = 0;

	if (path == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = err_errno(err, E_GENERIC, "cannot read %s", path);
		free(path);
		return rc;
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = err_errno(err, E_GENERIC, "cannot read %s", path);
			break;
		}
		if (n == 0)
			break;
		if (buf_add(out, chunk, (size_t)n) < 0) {
			rc = err_set(err, E_UNREADABLE_MANIFESTS,
			    "%s is too large", path);
			break;
		}
	}
	close(fd);
	free(path);
	return rc;
}

/*
 * Download volume ${mv} and check it against the partial manifest's
 * SHA-1, which also proves its size, without decrypting it (a host that
 * writes to public keys has no secret key).  Returns 0 with the file open
 * in *${fdp} (positioned at 0) when it matches, 1 when it does not or
 * cannot be fetched.
 */
static int
check_last_volume(struct session *s, const struct manifest_volume *mv,
    const char *name, int *fdp, struct dupc_err *err)
{
	struct digest *d = NULL;
	char hex[DIGEST_HEX_MAX];
	unsigned char blk[65536];
	uint64_t size = 0;
	int fd, rc = 1;
	ssize_t n;

	fd = session_download(s, name, err);
	if (fd < 0) {
		err_clear(err);
		return 1; /* not fetchable: redo */
	}
	if ((d = digest_new(DIGEST_SHA1)) == NULL) {
		close(fd);
		return err_set(err, E_GENERIC, "out of memory");
	}
	while ((n = read(fd, blk, sizeof(blk))) > 0) {
		digest_update(d, blk, (size_t)n);
		size += (uint64_t)n;
	}
	digest_final_hex(d, hex);
	digest_free(d);
	if (n == 0 && size > 0 && strcmp(mv->hash_type, "SHA1") == 0 &&
	    strcasecmp(hex, mv->hash) == 0 && lseek(fd, 0, SEEK_SET) == 0) {
		*fdp = fd;
		fd = -1;
		rc = 0;
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

/*
 * The header of the chunk a volume ends with, when a file is split across
 * the resume point: decrypted from the checked volume open on ${fd}.
 * Returns 0 with r->span and r->span_diff set, 1 when the volume cannot be
 * decrypted here (no secret key: the backup then resumes as duplicity
 * does, with a weaker check, see restart.h), 2 when its last entry is not
 * where the manifest says (redo), -1 on other errors.
 */
static int
read_span(struct session *s, const struct manifest_volume *mv, const char *name,
    int fd, struct restart *r, struct dupc_err *err)
{
	struct rpipe rp;
	struct tar_reader *tr = NULL;
	struct tar_entry te;
	struct entry_name en;
	struct buf idx, lastname;
	int rc = 2, got;

	memset(&rp, 0, sizeof(rp));
	buf_init(&idx, TAR_NAME_MAX);
	buf_init(&lastname, TAR_NAME_MAX);
	if (rpipe_open(&rp, s->o, name, fd, err) < 0 ||
	    (tr = tarr_new(rp.head, name, err)) == NULL)
		goto unreadable;
	while ((got = tarr_next(tr, &te, &r->span, err)) > 0) {
		buf_reset(&lastname);
		if (buf_addstr(&lastname, te.name) < 0)
			goto out;
	}
	if (got < 0)
		goto unreadable;
	if (lastname.len == 0 ||
	    entry_name_parse(buf_str(&lastname), &en, &idx, err) < 0) {
		err_clear(err);
		goto out;
	}
	/* the last entry must be where the manifest says the volume ends */
	if (strcmp(buf_str(&idx), mv->end_index) != 0 ||
	    (mv->end_block >= 0 && (!en.multivol || en.chunk != mv->end_block)))
		goto out;
	r->span_diff = en.kind == EK_DIFF;
	rc = 0;
	goto out;
unreadable:
	if (err->code == E_GPG_FAILED) {
		log_notice(
		    "RESTART: volume %u cannot be decrypted here (%s); resuming from the archive dir's records.",
		    mv->number, err->msg);
		rc = 1;
	}
	err_clear(err);
out:
	tarr_free(tr);
	rpipe_release(&rp);
	buf_release(&idx);
	buf_release(&lastname);
	return rc;
}

int
restart_plan(struct session *s, const struct cset *set, struct restart *r,
    struct dupc_err *err)
{
	struct manifest m;
	struct buf text;
	const char *v1;
	unsigned k = 0;
	size_t i;
	int rc = 1;

	memset(r, 0, sizeof(*r));
	buf_init(&r->index, TAR_NAME_MAX);
	buf_init(&r->manifest, MANIFEST_MAX_BYTES);
	meta_init(&r->span);
	manifest_init(&m);
	buf_init(&text, MANIFEST_MAX_BYTES);
	r->set.type = set->type;
	r->set.time = set->time;
	r->set.start = set->start;
	r->set.end = set->end;
	/* volume 1 says how the set was encoded (duplicity's check) */
	v1 = cset_find_volume(set, 1);
	if (v1 != NULL) {
		struct name_info ni;

		if (names_parse(v1, &s->o->pfx, &ni) &&
		    (ni.encrypted != s->o->encrypt ||
			(!ni.encrypted && ni.compressed != s->o->compress))) {
			rc = err_set(err, E_ENCRYPTION_MISMATCH,
			    "the interrupted backup set was written %s; run again with the same encryption options or delete it with cleanup",
			    ni.encrypted ? "encrypted" : "without encryption");
			goto out;
		}
	}
	if (read_local(s, set->manifest, &text, err) < 0 ||
	    manifest_parse(&m, text.data ? text.data : "", text.len, err) < 0) {
		log_notice("RESTART: the partial manifest cannot be read (%s).",
		    err->msg);
		err_clear(err);
		goto out;
	}
	/* volumes 1..k listed in the manifest and present on the target */
	for (i = 0; i < m.nvols && m.vols[i].number == k + 1 &&
		    cset_find_volume(set, k + 1) != NULL;
	     i++)
		k++;
	while (k > 0) {
		const struct manifest_volume *mv = manifest_find(&m, k);
		const char *name = cset_find_volume(set, k);
		int fd = -1, c = check_last_volume(s, mv, name, &fd, err);

		/* the resume point is the manifest's; only a file split
		 * across it needs the chunk's header from the volume */
		if (c == 0 && mv->end_block >= 0) {
			c = read_span(s, mv, name, fd, r, err);
			r->span_known = c == 0;
			if (c == 1)
				c = 0;
		}
		if (fd >= 0)
			close(fd);
		if (c < 0)
			goto out_err;
		if (c == 0)
			break;
		log_notice(
		    "RESTART: volume %u is damaged on the target; restarting before it.",
		    k);
		k--;
	}
	if (k == 0) {
		log_notice(
		    "RESTART: The first volume failed to upload before termination.\n         Restart is impossible...starting backup from beginning.");
		goto out;
	}
	r->done = k;
	{
		const struct manifest_volume *mv = manifest_find(&m, k);

		if (buf_addstr(&r->index, mv->end_index) < 0)
			goto nomem;
		r->block = mv->end_block;
	}
	if (manifest_write_header(&r->manifest, m.hostname, m.localdir) < 0)
		goto nomem;
	for (i = 0; i < m.nvols && m.vols[i].number <= k; i++)
		if (manifest_write_volume(&r->manifest, &m.vols[i]) < 0)
			goto nomem;
	if (m.nvols > k)
		log_notice(
		    "RESTART: Volumes %u to %zu failed to upload before termination.\n         Restarting backup at volume %u.",
		    k + 1, m.nvols, k + 1);
	rc = 0;
	goto out;
nomem:
	rc = err_set(err, E_GENERIC, "out of memory");
	goto out;
out_err:
	rc = -1;
out:
	manifest_release(&m);
	buf_release(&text);
	return rc;
}

int
restart_discard(struct session *s, const struct cset *set, struct dupc_err *err)
{
	size_t i;

	for (i = set->nvols; i-- > 0;) {
		struct dupc_err e;

		if (backend_remove(s->be, set->vols[i].name, &e) < 0 &&
		    e.cls != ERR_NOT_FOUND) {
			*err = e;
			err_prefix(err, "deleting %s", set->vols[i].name);
			return -1;
		}
	}
	for (i = 0; i < s->nlocal; i++) {
		struct name_info ni;
		struct dupc_err e;

		if (!names_parse(s->local[i], &s->o->pfx, &ni) || !ni.partial)
			continue;
		if ((set->type == NAME_FULL &&
			(ni.type == NAME_FULL || ni.type == NAME_FULL_SIG) &&
			ni.time == set->time) ||
		    (set->type == NAME_INC &&
			(ni.type == NAME_INC || ni.type == NAME_NEW_SIG) &&
			ni.start == set->start && ni.end == set->end))
			cache_remove(&s->cache, s->local[i], &e);
	}
	return 0;
}
