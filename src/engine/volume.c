/*
 * Volume cutting and upload.  The cut rule is duplicity's: before adding
 * an entry, stop when fewer than 64 KiB remain below --volsize in the
 * stored (compressed/encrypted) file.  Cuts fall only between entries, so
 * between chunks of a big file.
 */
#define _DEFAULT_SOURCE
#include "engine/volume.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "engine/engine.h"
#include "engine/pipe.h"
#include "engine/progress.h"
#include "engine/session.h"
#include "format/manifest.h"
#include "format/tar.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/faultpoint.h"
#include "util/interrupt.h"
#include "util/log.h"
#include "util/stream.h"
#include "util/tempfile.h"

#define VOL_MIN_ROOM 65536

struct volwriter {
	struct session *s;
	struct name_info set;
	unsigned first_number;
	unsigned next_number;
	volwriter_done_fn *done;
	void *done_arg;
	/* the open volume */
	bool open;
	bool any;
	unsigned number;
	int fd;
	struct wpipe wp;
	struct tar_writer *tw;
	struct buf start, end;
	long start_block, end_block;
	/* totals */
	uint64_t stored;
	unsigned count;
};

struct volwriter *
volwriter_new(struct session *s, const struct name_info *set,
    unsigned first_volume, volwriter_done_fn *done, void *arg,
    struct dupc_err *err)
{
	struct volwriter *vw = calloc(1, sizeof(*vw));

	if (vw == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		return NULL;
	}
	vw->s = s;
	vw->set = *set;
	vw->set.manifest = false;
	vw->set.partial = false;
	vw->first_number = first_volume;
	vw->next_number = first_volume;
	vw->done = done;
	vw->done_arg = arg;
	vw->fd = -1;
	buf_init(&vw->start, TAR_NAME_MAX);
	buf_init(&vw->end, TAR_NAME_MAX);
	return vw;
}

static void
drop_volume(struct volwriter *vw)
{
	tarw_free(vw->tw);
	vw->tw = NULL;
	wpipe_release(&vw->wp);
	if (vw->fd >= 0)
		close(vw->fd);
	vw->fd = -1;
	vw->open = false;
}

static int
open_volume(struct volwriter *vw, struct dupc_err *err)
{
	vw->fd = tempfile_open("volume", NULL, err);
	if (vw->fd < 0)
		return -1;
	if (wpipe_open(&vw->wp, vw->s->o, RK_VOLUME, vw->fd, err) < 0) {
		close(vw->fd);
		vw->fd = -1;
		return -1;
	}
	vw->tw = tarw_new(vw->wp.head, err);
	if (vw->tw == NULL) {
		drop_volume(vw);
		return -1;
	}
	vw->number = vw->next_number++;
	progress_volume_begin(vw->number);
	vw->open = true;
	vw->any = false;
	buf_reset(&vw->start);
	buf_reset(&vw->end);
	vw->start_block = vw->end_block = -1;
	return 0;
}

/* Upload the finished volume file and hand its manifest block on. */
static int
upload_volume(struct volwriter *vw, uint64_t size, const char *sha1,
    struct dupc_err *err)
{
	struct manifest_volume mv;
	struct buf name, block;
	struct source *src = NULL;
	int rc = -1, put;

	buf_init(&name, 4096);
	buf_init(&block, 1 << 22);
	vw->set.volume = vw->number;
	if (names_build(&name, &vw->s->o->pfx, &vw->set,
		pipe_suffix(vw->s->o, RK_VOLUME)) < 0) {
		err_set(err, E_GENERIC, "volume name too long");
		goto out;
	}
	if (lseek(vw->fd, 0, SEEK_SET) < 0 ||
	    (src = fd_source_new(vw->fd, buf_str(&name))) == NULL) {
		err_errno(err, E_GENERIC, "preparing %s", buf_str(&name));
		goto out;
	}
	faultpoint("volume-upload");
	put = backend_put(vw->s->be, buf_str(&name),
	    progress_upload_begin(buf_str(&name), vw->number, size, src), size,
	    err);
	progress_upload_end(put == 0);
	if (put < 0) {
		err_prefix(err, "uploading %s", buf_str(&name));
		goto out;
	}
	faultpoint("volume-uploaded");
	memset(&mv, 0, sizeof(mv));
	mv.number = vw->number;
	mv.start_index = (char *)(uintptr_t)buf_str(&vw->start);
	mv.start_block = vw->start_block;
	mv.end_index = (char *)(uintptr_t)buf_str(&vw->end);
	mv.end_block = vw->end_block;
	memcpy(mv.hash_type, "SHA1", 5);
	snprintf(mv.hash, sizeof(mv.hash), "%s", sha1);
	if (manifest_write_volume(&block, &mv) < 0) {
		err_set(err, E_GENERIC, "manifest entry too long");
		goto out;
	}
	if (vw->done != NULL && vw->done(vw->done_arg, buf_str(&block), err) < 0)
		goto out;
	vw->stored += size;
	vw->count++;
	progress_volume_done(vw->number);
	rc = 0;
out:
	source_free(src);
	buf_release(&name);
	buf_release(&block);
	return rc;
}

static int
close_volume(struct volwriter *vw, struct dupc_err *err)
{
	char sha1[DIGEST_HEX_MAX];
	uint64_t size;
	int rc;

	if (tarw_finish(vw->tw, err) < 0 ||
	    wpipe_finish(&vw->wp, &size, sha1, err) < 0) {
		drop_volume(vw);
		return -1;
	}
	rc = upload_volume(vw, size, sha1, err);
	drop_volume(vw);
	return rc;
}

int
volwriter_begin(struct volwriter *vw, const char *index, long block,
    struct dupc_err *err)
{
	uint64_t volsize = vw->s->o->volsize;

	if (vw->open && vw->any &&
	    (wpipe_stored(&vw->wp) + VOL_MIN_ROOM > volsize)) {
		if (close_volume(vw, err) < 0)
			return -1;
		if (interrupted())
			return err_set(err, E_NO_MANIFESTS,
			    "interrupted after volume %u; run the backup again to resume",
			    vw->count);
	}
	if (!vw->open && open_volume(vw, err) < 0)
		return -1;
	faultpoint("volume-entry");
	if (!vw->any) {
		buf_reset(&vw->start);
		if (buf_addstr(&vw->start, index) < 0)
			return err_set(err, E_GENERIC, "path too long");
		vw->start_block = block;
		vw->any = true;
	}
	return 0;
}

struct tar_writer *
volwriter_tar(struct volwriter *vw)
{
	return vw->tw;
}

int
volwriter_end(struct volwriter *vw, const char *index, long block,
    struct dupc_err *err)
{
	buf_reset(&vw->end);
	if (buf_addstr(&vw->end, index) < 0)
		return err_set(err, E_GENERIC, "path too long");
	vw->end_block = block;
	return 0;
}

int
volwriter_finish(struct volwriter *vw, struct dupc_err *err)
{
	if (!vw->open && vw->count == 0 && vw->first_number == 1) {
		/* an empty set still has volume 1: "StartingPath ." */
		if (open_volume(vw, err) < 0)
			return -1;
	}
	if (!vw->open)
		return 0;
	if (!vw->any) {
		buf_reset(&vw->start);
		buf_reset(&vw->end);
	}
	return close_volume(vw, err);
}

uint64_t
volwriter_stored(const struct volwriter *vw)
{
	return vw->stored;
}

unsigned
volwriter_count(const struct volwriter *vw)
{
	return vw->count;
}

void
volwriter_free(struct volwriter *vw)
{
	if (vw == NULL)
		return;
	drop_volume(vw);
	buf_release(&vw->start);
	buf_release(&vw->end);
	free(vw);
}
