/*
 * Volume cutting and upload.  The cut rule is duplicity's: before adding
 * an entry, stop when fewer than 64 KiB remain below --volsize in the
 * stored (compressed/encrypted) file.  Cuts fall only between entries, so
 * between chunks of a big file.
 */
#define _DEFAULT_SOURCE
#include "engine/volume.h"

#include <pthread.h>
#include <stdio.h>
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
#include "util/digest.h"
#include "util/err.h"
#include "util/faultpoint.h"
#include "util/interrupt.h"
#include "util/log.h"
#include "util/stream.h"
#include "util/tempfile.h"

#define VOL_MIN_ROOM 65536

/* A finished volume waiting for, or in, its upload. */
struct vol_job {
	int fd;
	unsigned number;
	uint64_t size;
	char sha1[DIGEST_HEX_MAX];
	struct buf start, end;
	long start_block, end_block;
};

struct volwriter {
	struct session *s;
	struct name_info set;
	unsigned first_number;
	unsigned next_number;
	volwriter_done_fn *done;
	void *done_arg;
	volwriter_gate_fn *gate; /* called before the first upload */
	void *gate_arg;
	/* the open volume */
	bool open;
	bool any;
	unsigned number;
	int fd;
	struct wpipe wp;
	struct tar_writer *tw;
	struct buf start, end;
	long start_block, end_block;
	/* the uploader: one volume uploads while the next one is built */
	pthread_t tid;
	bool thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool busy; /* job holds a volume being uploaded */
	bool stop;
	struct vol_job job;
	bool failed;
	struct dupc_err upload_err;
	/* totals (written by the uploader, read after it is idle) */
	uint64_t stored;
	unsigned count;
};

static void
job_release(struct vol_job *j)
{
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
	buf_release(&j->start);
	buf_release(&j->end);
}

/* Upload a finished volume and hand its manifest block on.  Runs on the
 * uploader thread (or inline when there is none). */
static int
upload_volume(struct volwriter *vw, struct vol_job *j, struct dupc_err *err)
{
	struct manifest_volume mv;
	struct buf name, block;
	struct source *src = NULL;
	struct name_info set = vw->set;
	int rc = -1, put;

	buf_init(&name, 4096);
	buf_init(&block, 1 << 22);
	set.volume = j->number;
	if (names_build(&name, &vw->s->o->pfx, &set,
		pipe_suffix(vw->s->o, RK_VOLUME)) < 0) {
		err_set(err, E_GENERIC, "volume name too long");
		goto out;
	}
	if (lseek(j->fd, 0, SEEK_SET) < 0 ||
	    (src = fd_source_new(j->fd, buf_str(&name))) == NULL) {
		err_errno(err, E_GENERIC, "preparing %s", buf_str(&name));
		goto out;
	}
	faultpoint("volume-upload");
	put = backend_put(vw->s->be, buf_str(&name),
	    progress_upload_begin(buf_str(&name), j->number, j->size, src),
	    j->size, err);
	progress_upload_end(put == 0);
	if (put < 0) {
		err_prefix(err, "uploading %s", buf_str(&name));
		goto out;
	}
	session_record_stored(vw->s, buf_str(&name), j->size, j->fd);
	faultpoint("volume-uploaded");
	memset(&mv, 0, sizeof(mv));
	mv.number = j->number;
	mv.start_index = (char *)(uintptr_t)buf_str(&j->start);
	mv.start_block = j->start_block;
	mv.end_index = (char *)(uintptr_t)buf_str(&j->end);
	mv.end_block = j->end_block;
	memcpy(mv.hash_type, "SHA1", 5);
	snprintf(mv.hash, sizeof(mv.hash), "%s", j->sha1);
	if (manifest_write_volume(&block, &mv) < 0) {
		err_set(err, E_GENERIC, "manifest entry too long");
		goto out;
	}
	if (vw->done != NULL &&
	    vw->done(vw->done_arg, buf_str(&block), err) < 0)
		goto out;
	vw->stored += j->size;
	vw->count++;
	progress_volume_done(j->number);
	rc = 0;
out:
	source_free(src);
	buf_release(&name);
	buf_release(&block);
	return rc;
}

static void *
uploader(void *arg)
{
	struct volwriter *vw = arg;

	pthread_mutex_lock(&vw->mu);
	for (;;) {
		struct dupc_err e;
		int rc;

		while (!vw->busy && !vw->stop)
			pthread_cond_wait(&vw->cv, &vw->mu);
		if (!vw->busy)
			break;
		pthread_mutex_unlock(&vw->mu);
		err_clear(&e);
		rc = upload_volume(vw, &vw->job, &e);
		job_release(&vw->job);
		pthread_mutex_lock(&vw->mu);
		if (rc < 0 && !vw->failed) {
			vw->failed = true;
			vw->upload_err = e;
		}
		vw->busy = false;
		pthread_cond_broadcast(&vw->cv);
	}
	pthread_mutex_unlock(&vw->mu);
	return NULL;
}

/* Wait until no upload is in flight; the first failure is reported. */
static int
wait_idle(struct volwriter *vw, struct dupc_err *err)
{
	int rc = 0;

	if (!vw->thread)
		return 0;
	pthread_mutex_lock(&vw->mu);
	while (vw->busy)
		pthread_cond_wait(&vw->cv, &vw->mu);
	if (vw->failed) {
		if (err != NULL)
			*err = vw->upload_err;
		rc = -1;
	}
	pthread_mutex_unlock(&vw->mu);
	return rc;
}

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
	vw->job.fd = -1;
	buf_init(&vw->start, TAR_NAME_MAX);
	buf_init(&vw->end, TAR_NAME_MAX);
	pthread_mutex_init(&vw->mu, NULL);
	pthread_cond_init(&vw->cv, NULL);
	/* without a thread, volumes upload inline (still correct) */
	vw->thread = pthread_create(&vw->tid, NULL, uploader, vw) == 0;
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

/* Finish encoding the open volume and hand it to the uploader. */
static int
close_volume(struct volwriter *vw, struct dupc_err *err)
{
	struct vol_job j;
	int rc;

	memset(&j, 0, sizeof(j));
	j.fd = -1;
	if (tarw_finish(vw->tw, err) < 0 ||
	    wpipe_finish(&vw->wp, &j.size, j.sha1, err) < 0) {
		drop_volume(vw);
		return -1;
	}
	j.number = vw->number;
	j.start_block = vw->start_block;
	j.end_block = vw->end_block;
	buf_init(&j.start, TAR_NAME_MAX);
	buf_init(&j.end, TAR_NAME_MAX);
	if (buf_addstr(&j.start, buf_str(&vw->start)) < 0 ||
	    buf_addstr(&j.end, buf_str(&vw->end)) < 0) {
		job_release(&j);
		drop_volume(vw);
		return err_set(err, E_GENERIC, "out of memory");
	}
	/* the file moves to the job */
	j.fd = vw->fd;
	vw->fd = -1;
	drop_volume(vw);
	if (vw->gate != NULL) {
		volwriter_gate_fn *gate = vw->gate;

		vw->gate = NULL;
		if (gate(vw->gate_arg, err) < 0) {
			job_release(&j);
			return -1;
		}
	}
	if (!vw->thread) {
		rc = upload_volume(vw, &j, err);
		job_release(&j);
		return rc;
	}
	/* one upload at a time: wait for the previous one */
	if (wait_idle(vw, err) < 0) {
		job_release(&j);
		return -1;
	}
	pthread_mutex_lock(&vw->mu);
	vw->job = j;
	vw->busy = true;
	pthread_cond_broadcast(&vw->cv);
	pthread_mutex_unlock(&vw->mu);
	return 0;
}

void
volwriter_set_gate(struct volwriter *vw, volwriter_gate_fn *gate, void *arg)
{
	vw->gate = gate;
	vw->gate_arg = arg;
}

int
volwriter_begin(struct volwriter *vw, const char *index, long block,
    struct dupc_err *err)
{
	uint64_t volsize = vw->s->o->volsize;

	/* the estimate over-counts what the compressor still holds; only
	 * when it says "full" is the compressor flushed for the exact size */
	if (vw->open && vw->any &&
	    wpipe_stored(&vw->wp) + VOL_MIN_ROOM > volsize &&
	    wpipe_sync(&vw->wp, err) < 0)
		return -1;
	if (vw->open && vw->any &&
	    (wpipe_stored(&vw->wp) + VOL_MIN_ROOM > volsize)) {
		if (close_volume(vw, err) < 0)
			return -1;
		if (interrupted() && wait_idle(vw, err) == 0)
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
		return wait_idle(vw, err);
	if (!vw->any) {
		buf_reset(&vw->start);
		buf_reset(&vw->end);
	}
	if (close_volume(vw, err) < 0)
		return -1;
	return wait_idle(vw, err);
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
	if (vw->thread) {
		/* a running upload completes (it may be the volume a resume
		 * needs); then the thread ends */
		pthread_mutex_lock(&vw->mu);
		vw->stop = true;
		pthread_cond_broadcast(&vw->cv);
		pthread_mutex_unlock(&vw->mu);
		pthread_join(vw->tid, NULL);
	}
	job_release(&vw->job);
	pthread_mutex_destroy(&vw->mu);
	pthread_cond_destroy(&vw->cv);
	drop_volume(vw);
	buf_release(&vw->start);
	buf_release(&vw->end);
	free(vw);
}
