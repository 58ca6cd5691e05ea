/*
 * Set reader.  Holds one volume file and one tar block at a time.  The
 * volumes come from the restore's queue (fetchq.c), which has checked
 * each against the manifest hash (and decrypted and checked an encrypted
 * one whole) before any of its bytes are interpreted.
 */
#define _DEFAULT_SOURCE
#include "engine/setread.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/fetchq.h"
#include "engine/pipe.h"
#include "engine/progress.h"
#include "engine/session.h"
#include "format/collection.h"
#include "format/manifest.h"
#include "format/tar.h"
#include "util/buf.h"
#include "util/digest.h"
#include "util/err.h"
#include "util/faultpoint.h"
#include "util/log.h"
#include "util/path.h"
#include "util/stream.h"

struct setreader {
	struct session *s;
	const struct cset *set;
	const struct manifest *m;
	const char *prefix;
	size_t vi; /* next manifest volume to consider */
	struct fetchq *q;
	/* the open volume */
	int fd;
	int handle;           /* fetchq_take's */
	struct source *plain; /* the decrypted volume, or NULL */
	struct rpipe rp;
	struct tar_reader *tr;
	const char *volname;
	/* the current logical entry */
	bool have;
	bool done;
	struct entry_name en;
	struct buf index;
	struct obj_meta meta;
	long last_chunk;
	bool data_done;
	/* the index before the current one: entries must ascend */
	bool have_prev;
	struct buf prev;
	/* one tar entry read ahead while joining chunks */
	bool pending;
	struct entry_name pen;
	struct buf pindex;
	struct obj_meta pmeta;
};

static void
close_volume(struct setreader *r)
{
	tarr_free(r->tr);
	r->tr = NULL;
	source_free(r->plain);
	r->plain = NULL;
	rpipe_release(&r->rp);
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	if (r->handle >= 0)
		fetchq_done(r->q, r->handle);
	r->handle = -1;
}

/* Read the volume on r->fd: decrypted already, or through its codec. */
static int
open_reader(struct setreader *r, const char *name, bool decoded,
    struct dupc_err *err)
{
	struct source *src;

	if (decoded) {
		if ((r->plain = fd_source_new(r->fd, name)) == NULL)
			return err_set(err, E_GENERIC, "out of memory");
		src = r->plain;
	} else {
		if (rpipe_open(&r->rp, r->s->o, name, r->fd, err) < 0)
			return -1;
		src = r->rp.head;
	}
	r->tr = tarr_new(src, name, err);
	return r->tr != NULL ? 0 : -1;
}

/* Open the next wanted volume; 0 with r->tr NULL when none is left. */
static int
open_next_volume(struct setreader *r, struct dupc_err *err)
{
	while (r->vi < r->m->nvols) {
		const struct manifest_volume *mv = &r->m->vols[r->vi++];
		const char *name;
		bool decoded;

		if (*r->prefix && !manifest_volume_may_contain(mv, r->prefix))
			continue;
		name = cset_find_volume(r->set, mv->number);
		if (name == NULL) {
			/* name the set by its manifest, which says the volume
			 * exists */
			const char *man =
			    r->set->manifest ? r->set->manifest : "?";
			const char *dot = strstr(man, ".manifest");
			int mlen = dot ? (int)(dot - man) : (int)strlen(man);

			return err_set(err, E_BACKEND_NOT_FOUND,
			    "volume %u of backup set %.*s is listed in its "
			    "manifest but missing on the target; restore other "
			    "paths with --file-to-restore, or start a new chain "
			    "with a full backup",
			    mv->number, mlen, man);
		}
		progress_download_begin(name);
		faultpoint("volume-download");
		r->handle = fetchq_take(r->q, name, &r->fd, &decoded, err);
		if (r->handle < 0)
			return -1;
		if (open_reader(r, name, decoded, err) < 0) {
			close_volume(r);
			return -1;
		}
		r->volname = name;
		log_msg(LOG_INFO, 1, NULL, "Processing volume %s", name);
		return 0;
	}
	return 0;
}

/*
 * The next raw tar entry across volume boundaries: 1 with its parsed name
 * in (en, index, meta), 0 at the end of the set.
 */
static int
next_raw(struct setreader *r, struct entry_name *en, struct buf *index,
    struct obj_meta *meta, struct dupc_err *err)
{
	struct tar_entry te;

	for (;;) {
		int rc;

		if (r->tr == NULL) {
			if (open_next_volume(r, err) < 0)
				return -1;
			if (r->tr == NULL)
				return 0;
		}
		rc = tarr_next(r->tr, &te, meta, err);
		if (rc < 0) {
			err_prefix(err, "%s", r->volname);
			return -1;
		}
		if (rc == 0) {
			close_volume(r);
			progress_volume_read();
			continue;
		}
		if (te.hardlink)
			return err_set(err, E_GENERIC,
			    "%s: hard link entry '%.200s' (duplicity archives never hold these)",
			    r->volname, te.name);
		if (entry_name_parse(te.name, en, index, err) < 0) {
			err_prefix(err, "%s", r->volname);
			return -1;
		}
		if (en->kind == EK_SIGNATURE)
			return err_set(err, E_GENERIC,
			    "%s: signature entry in a data volume", r->volname);
		if (en->kind == EK_DELETED)
			meta->type = OBJ_NONE;
		else if (meta->type == OBJ_NONE)
			return err_set(err, E_GENERIC,
			    "%s: entry '%.200s' has an unsupported type",
			    r->volname, te.name);
		if (en->kind == EK_DIFF && meta->type != OBJ_REG)
			return err_set(err, E_GENERIC,
			    "%s: delta entry '%.200s' is not a regular file",
			    r->volname, te.name);
		return 1;
	}
}

struct setreader *
setreader_new(struct session *s, struct fetchq *q, const struct cset *set,
    const struct manifest *m, const char *prefix, struct dupc_err *err)
{
	struct setreader *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		return NULL;
	}
	r->s = s;
	r->q = q;
	r->handle = -1;
	r->set = set;
	r->m = m;
	r->prefix = prefix;
	r->fd = -1;
	buf_init(&r->index, TAR_NAME_MAX);
	buf_init(&r->pindex, TAR_NAME_MAX);
	buf_init(&r->prev, TAR_NAME_MAX);
	meta_init(&r->meta);
	meta_init(&r->pmeta);
	return r;
}

/*
 * When only volumes that may hold the restored path are read, a volume
 * can begin with later chunks of a file outside that path, whose first
 * chunks are in a volume that was skipped: they are passed over.
 */
static bool
continues_outside(const struct setreader *r)
{
	return *r->prefix != '\0' && r->en.multivol && r->en.chunk != 1 &&
	       !index_is_within(buf_str(&r->index), r->prefix);
}

/*
 * duplicity writes a set's entries in path order, each path once; the
 * restore merge relies on it.  An archive that repeats or reorders paths
 * (to swap a directory for a symlink after its contents, say) is refused.
 */
static int
check_order(struct setreader *r, struct dupc_err *err)
{
	if (r->have_prev &&
	    index_cmp(buf_str(&r->prev), buf_str(&r->index)) >= 0)
		return err_set(err, E_GENERIC,
		    "%s: archive entries out of order ('%.200s' after '%.200s'); refusing the set",
		    r->volname ? r->volname : "volume", buf_str(&r->index),
		    buf_str(&r->prev));
	buf_reset(&r->prev);
	if (buf_add(&r->prev, r->index.data ? r->index.data : "",
		r->index.len) < 0)
		return err_set(err, E_GENERIC, "out of memory");
	r->have_prev = true;
	return 0;
}

static int
load_next(struct setreader *r, struct dupc_err *err)
{
	int rc;

	if (r->pending) {
		struct buf t = r->index;
		struct obj_meta tm = r->meta;

		r->index = r->pindex;
		r->pindex = t;
		r->meta = r->pmeta;
		r->pmeta = tm;
		r->en = r->pen;
		r->pending = false;
		rc = 1;
	} else {
		do {
			rc = next_raw(r, &r->en, &r->index, &r->meta, err);
			if (rc < 0)
				return -1;
		} while (rc > 0 && continues_outside(r));
	}
	if (rc == 0) {
		r->have = false;
		r->done = true;
		return 0;
	}
	if (r->en.multivol && r->en.chunk != 1)
		return err_set(err, E_GENERIC,
		    "%s: multivol chunk %ld of %s without its first chunk",
		    r->volname ? r->volname : "volume", r->en.chunk,
		    buf_str(&r->index));
	if (check_order(r, err) < 0)
		return -1;
	r->last_chunk = r->en.multivol ? 1 : 0;
	r->have = true;
	r->data_done = false;
	return 1;
}

int
setreader_peek(struct setreader *r, struct set_entry *e, struct dupc_err *err)
{
	if (!r->have && !r->done && load_next(r, err) < 0)
		return -1;
	if (!r->have)
		return 0;
	e->index = buf_str(&r->index);
	e->kind = r->en.kind;
	e->meta = &r->meta;
	return 1;
}

int
setreader_read(struct setreader *r, void *p, size_t cap, size_t *got,
    struct dupc_err *err)
{
	*got = 0;
	while (r->have && !r->data_done) {
		int rc;

		if (tarr_read(r->tr, p, cap, got, err) < 0)
			return -1;
		if (*got > 0)
			return 0;
		if (!r->en.multivol) {
			r->data_done = true;
			break;
		}
		/* the next chunk of the same file continues the data */
		rc = next_raw(r, &r->pen, &r->pindex, &r->pmeta, err);
		if (rc < 0)
			return -1;
		if (rc > 0 && r->pen.multivol && r->pen.kind == r->en.kind &&
		    r->pen.chunk == r->last_chunk + 1 &&
		    strcmp(buf_str(&r->pindex), buf_str(&r->index)) == 0) {
			r->last_chunk++;
			/* later chunks carry the same metadata */
			continue;
		}
		r->pending = rc > 0;
		r->data_done = true;
	}
	return 0;
}

int
setreader_next(struct setreader *r, struct dupc_err *err)
{
	unsigned char skip[65536];
	size_t got;

	if (!r->have)
		return 0;
	do {
		if (setreader_read(r, skip, sizeof(skip), &got, err) < 0)
			return -1;
	} while (got > 0);
	r->have = false;
	return 0;
}

void
setreader_free(struct setreader *r)
{
	if (r == NULL)
		return;
	close_volume(r);
	buf_release(&r->index);
	buf_release(&r->pindex);
	buf_release(&r->prev);
	meta_release(&r->meta);
	meta_release(&r->pmeta);
	free(r);
}
