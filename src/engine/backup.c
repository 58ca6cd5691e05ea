/*
 * Full and incremental backups (duplicity's dup_main.py full_backup /
 * incremental_backup with diffdir.py's delta iteration).
 *
 * One pass merges the source tree walk with the combined signature chain,
 * both in duplicity's path order.  For each object it decides new /
 * changed / deleted / unchanged as duplicity does (path.py ROPath.__eq__),
 * and writes: difftar entries (snapshot, rsync delta, or deleted marker;
 * data in 64 KiB multivol chunks) through the volume writer, and the new
 * signature entries into the set's sigtar.  File contents are read once,
 * feeding the snapshot or delta and the new signature at the same time.
 * Unchanged objects are decided from metadata alone: their contents are
 * never read.
 */
#define _DEFAULT_SOURCE
#include "engine/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend/backend.h"
#include "delta/rsync.h"
#include "engine/pipe.h"
#include "engine/progress.h"
#include "engine/restart.h"
#include "engine/session.h"
#include "engine/sigread.h"
#include "engine/stats.h"
#include "engine/status.h"
#include "engine/volume.h"
#include "format/dtime.h"
#include "format/entry.h"
#include "format/manifest.h"
#include "format/tar.h"
#include "select/walk.h"
#include "util/asink.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/faultpoint.h"
#include "util/interrupt.h"
#include "util/log.h"
#include "util/path.h"
#include "util/sparse.h"
#include "util/spill.h"
#include "util/stream.h"
#include "util/tempfile.h"

#define IO_BLOCK 65536
#define SIG_SPILL (4u << 20)
/* files from this size on get their signature made by the sig worker */
#define ASYNC_SIG_MIN (1u << 20)

/* The set's metadata files in the archive dir while it is written. */
struct setfiles {
	struct buf man_part; /* "duplicity-full.T.manifest.part" */
	struct buf sig_part; /* "duplicity-full-signatures.T.sigtar.part" */
	char *man_path;
	char *sig_path;
	char *sig_tmp_path; /* hidden name until volume 1 is uploaded */
	int sig_fd;
	struct sink *sig_file;
	struct tar_writer *sig_tw;
	bool man_created;
};

struct bpass {
	struct session *s;
	const struct dupc_opts *o;
	struct name_info set;
	struct walker *w;
	struct sigmerge *sm;
	struct volwriter *vw;
	struct setfiles f;
	struct spill filelist;
	uint64_t filelist_count;
	struct stats st;
	unsigned char *io;
	struct spill sigbuf;
	/* the new signature of a large file is made on a second CPU while
	 * this thread computes the delta; NULL until the first such file */
	struct asink *sigworker;
	struct buf ename;
	/* resuming an interrupted set: paths before the resume point are
	 * decided and counted ("ghost") but not written again */
	const struct restart *rs;
	bool ghost;
	long skip_chunks; /* chunks of the split file already stored */
	bool redo;        /* resuming turned out unsafe */
	char qbuf[8192];
};

/* --- small sinks --- */

/* Writes into the current tar entry of a tar writer. */
struct tar_data_sink {
	struct sink base;
	struct tar_writer *tw;
};

static int
tds_write(struct sink *s, const void *p, size_t n, struct dupc_err *err)
{
	return tarw_data(((struct tar_data_sink *)s)->tw, p, n, err);
}

static const struct sink_ops tds_ops = { tds_write, NULL, NULL };

/*
 * The multivol chunker: the data of a snapshot or delta arrives as a
 * stream and leaves as difftar entries of 64 KiB (multivol_snapshot or
 * multivol_diff, path, chunk number) or, when the whole stream is shorter than
 * 64 KiB, as one entry (duplicity-format.md 4.3).
 */
struct chunker {
	struct sink base;
	struct bpass *bp;
	enum entry_kind kind;
	const char *index;
	const struct obj_meta *meta;
	size_t len;
	long chunks;
	unsigned char buf[IO_BLOCK];
};

static int
emit_entry(struct bpass *bp, enum entry_kind kind, const char *index,
    const struct obj_meta *meta, bool dir, long chunk, long block,
    const void *data, size_t len, struct dupc_err *err)
{
	struct tar_writer *tw;

	buf_reset(&bp->ename);
	if (entry_name_build(&bp->ename, kind, index, dir, false, chunk) < 0)
		return err_set(err, E_GENERIC, "path too long: %s", index);
	if (volwriter_begin(bp->vw, index, block, err) < 0)
		return -1;
	tw = volwriter_tar(bp->vw);
	if (tarw_header(tw, buf_str(&bp->ename), meta, len, err) < 0 ||
	    (len > 0 && tarw_data(tw, data, len, err) < 0))
		return -1;
	return volwriter_end(bp->vw, index, block, err);
}

static int
chunker_emit(struct chunker *c, bool final, struct dupc_err *err)
{
	long chunk = 0, block = -1;

	if (!final || c->chunks > 0) {
		chunk = ++c->chunks;
		block = final ? -1 : chunk;
	}
	if (chunk > 0 && chunk <= c->bp->skip_chunks) {
		/* already in a volume the interrupted run uploaded */
		c->len = 0;
		return 0;
	}
	c->bp->st.raw_delta_size += c->len;
	if (emit_entry(c->bp, c->kind, c->index, c->meta, false, chunk, block,
		c->buf, c->len, err) < 0)
		return -1;
	c->len = 0;
	return 0;
}

static int
chunker_write(struct sink *s, const void *p, size_t n, struct dupc_err *err)
{
	struct chunker *c = (struct chunker *)s;
	const unsigned char *b = p;

	while (n > 0) {
		size_t k = IO_BLOCK - c->len;

		if (k > n)
			k = n;
		memcpy(c->buf + c->len, b, k);
		c->len += k;
		b += k;
		n -= k;
		/* a full 64 KiB read means more may follow: a multivol
		 * chunk, never the final one */
		if (c->len == IO_BLOCK && chunker_emit(c, false, err) < 0)
			return -1;
	}
	return 0;
}

static int
chunker_finish(struct sink *s, struct dupc_err *err)
{
	return chunker_emit((struct chunker *)s, true, err);
}

static const struct sink_ops chunker_ops = { chunker_write, chunker_finish,
	NULL };

/* --- the set's files in the archive dir --- */

/* Is ${index} before the resume point (already stored)?  A file split
 * across the point is not: it is regenerated, skipping stored chunks. */
static bool
before_resume(const struct bpass *bp, const char *index)
{
	int c;

	if (bp->rs == NULL)
		return false;
	c = index_cmp(index, buf_str(&bp->rs->index));
	return c < 0 || (c == 0 && bp->rs->block < 0);
}

/*
 * Continue the interrupted set's archive-dir files: the partial manifest
 * is rewritten with the volumes the target holds, and the partial sigtar
 * keeps the entries up to the resume point (written and fsynced before
 * that volume was recorded), copied into the new writer.
 */
static int
resume_setfiles(struct bpass *bp, struct dupc_err *err)
{
	struct setfiles *f = &bp->f;
	struct atomic_file af;
	struct tar_reader *tr = NULL;
	struct source *src = NULL;
	struct tar_entry te;
	struct entry_name en;
	struct obj_meta m;
	struct buf idx;
	int fd = -1, rc = -1, r;

	meta_init(&m);
	buf_init(&idx, TAR_NAME_MAX);
	if (atomic_file_open(&af, f->man_path, 0600, err) < 0)
		goto out;
	if (write_full(af.fd, bp->rs->manifest.data, bp->rs->manifest.len) <
	    0) {
		err_errno(err, E_GENERIC, "writing %s", f->man_path);
		atomic_file_abort(&af);
		goto out;
	}
	if (atomic_file_commit(&af, err) < 0)
		goto out;
	f->man_created = true;
	fd = open(f->sig_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (src = fd_source_new(fd, f->sig_path)) == NULL ||
	    (tr = tarr_new(src, buf_str(&f->sig_part), err)) == NULL) {
		log_notice(
		    "RESTART: the partial signatures are missing; starting the set again.");
		bp->redo = true;
		goto out;
	}
	while ((r = tarr_next(tr, &te, &m, err)) > 0) {
		struct tar_data_sink tds = { { &tds_ops }, f->sig_tw };
		char blk[65536];
		size_t got;

		if (entry_name_parse(te.name, &en, &idx, err) < 0)
			break;
		if (!before_resume(bp, buf_str(&idx)))
			break;
		if (tarw_header(f->sig_tw, te.name, &m, te.size, err) < 0)
			goto out;
		do {
			if (tarr_read(tr, blk, sizeof(blk), &got, err) < 0) {
				r = -1;
				break;
			}
			if (sink_write(&tds.base, blk, got, err) < 0)
				goto out;
		} while (got > 0);
		if (r < 0 || tarw_end_entry(f->sig_tw, err) < 0)
			break;
	}
	if (r < 0 || err->code != 0) {
		log_notice(
		    "RESTART: the partial signatures are damaged (%s); starting the set again.",
		    err->msg);
		err_clear(err);
		bp->redo = true;
		goto out;
	}
	/* the filtered copy becomes the set's partial sigtar */
	if (rename(f->sig_tmp_path, f->sig_path) < 0) {
		err_errno(err, E_GENERIC, "cannot rename %s", f->sig_tmp_path);
		goto out;
	}
	free(f->sig_tmp_path);
	f->sig_tmp_path = NULL;
	rc = 0;
out:
	tarr_free(tr);
	source_free(src);
	if (fd >= 0)
		close(fd);
	meta_release(&m);
	buf_release(&idx);
	return rc;
}

static int
setfiles_open(struct bpass *bp, struct dupc_err *err)
{
	struct setfiles *f = &bp->f;
	struct name_info ni = bp->set;
	struct buf tmp;
	int rc = -1;

	buf_init(&f->man_part, 4096);
	buf_init(&f->sig_part, 4096);
	buf_init(&tmp, 4096);
	f->sig_fd = -1;
	ni.manifest = true;
	ni.partial = true;
	ni.volume = 0;
	if (names_build(&f->man_part, &bp->o->pfx, &ni, SUFFIX_NONE) < 0)
		goto nomem;
	ni.manifest = false;
	ni.type = bp->set.type == NAME_FULL ? NAME_FULL_SIG : NAME_NEW_SIG;
	if (names_build(&f->sig_part, &bp->o->pfx, &ni, SUFFIX_NONE) < 0)
		goto nomem;
	f->man_path = cache_path(&bp->s->cache, buf_str(&f->man_part));
	f->sig_path = cache_path(&bp->s->cache, buf_str(&f->sig_part));
	if (buf_addf(&tmp, ".%s.%ld.tmp", buf_str(&f->sig_part),
		(long)getpid()) < 0)
		goto nomem;
	f->sig_tmp_path = cache_path(&bp->s->cache, buf_str(&tmp));
	if (f->man_path == NULL || f->sig_path == NULL ||
	    f->sig_tmp_path == NULL)
		goto nomem;
	if (bp->rs == NULL) {
		/* a stale partial of the same set is replaced */
		unlink(f->man_path);
		unlink(f->sig_path);
	}
	f->sig_fd = open(f->sig_tmp_path,
	    O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (f->sig_fd < 0) {
		err_errno(err, E_BAD_ARCHIVE_DIR, "cannot create %s",
		    f->sig_tmp_path);
		goto out;
	}
	f->sig_file = fd_sink_new(f->sig_fd, buf_str(&f->sig_part));
	if (f->sig_file == NULL)
		goto nomem;
	f->sig_tw = tarw_new(f->sig_file, err);
	if (f->sig_tw == NULL)
		goto out;
	if (bp->rs != NULL && resume_setfiles(bp, err) < 0)
		goto out;
	rc = 0;
	goto out;
nomem:
	err_set(err, E_GENERIC, "out of memory");
out:
	buf_release(&tmp);
	return rc;
}

static void
setfiles_close(struct setfiles *f, bool keep)
{
	tarw_free(f->sig_tw);
	sink_free(f->sig_file);
	if (f->sig_fd >= 0)
		close(f->sig_fd);
	if (!keep && f->sig_tmp_path != NULL)
		unlink(f->sig_tmp_path);
	free(f->man_path);
	free(f->sig_path);
	free(f->sig_tmp_path);
	buf_release(&f->man_part);
	buf_release(&f->sig_part);
	memset(f, 0, sizeof(*f));
	f->sig_fd = -1;
}

/* Append ${text} to the partial manifest, creating it with its header
 * the first time (after volume 1 is on the target, as duplicity does). */
static int
manifest_append(struct bpass *bp, const char *text, struct dupc_err *err)
{
	struct setfiles *f = &bp->f;
	int fd;

	if (!f->man_created) {
		struct atomic_file af;
		struct buf head;

		buf_init(&head, 1 << 20);
		if (manifest_write_header(&head, bp->o->hostname,
			bp->o->localdir) < 0 ||
		    buf_addstr(&head, text) < 0) {
			buf_release(&head);
			return err_set(err, E_GENERIC, "manifest too long");
		}
		if (atomic_file_open(&af, f->man_path, 0600, err) < 0) {
			buf_release(&head);
			return -1;
		}
		if (write_full(af.fd, head.data, head.len) < 0) {
			atomic_file_abort(&af);
			buf_release(&head);
			return err_errno(err, E_GENERIC, "writing %s",
			    f->man_path);
		}
		buf_release(&head);
		if (atomic_file_commit(&af, err) < 0)
			return -1;
		f->man_created = true;
		/* the signatures become a .part too, as in duplicity */
		if (rename(f->sig_tmp_path, f->sig_path) < 0)
			return err_errno(err, E_GENERIC, "cannot rename %s",
			    f->sig_tmp_path);
		free(f->sig_tmp_path);
		f->sig_tmp_path = NULL;
		return 0;
	}
	fd = open(f->man_path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return err_errno(err, E_GENERIC, "cannot open %s", f->man_path);
	if (write_full(fd, text, strlen(text)) < 0 || fsync(fd) < 0) {
		close(fd);
		return err_errno(err, E_GENERIC, "cannot write %s",
		    f->man_path);
	}
	close(fd);
	return 0;
}

static int
on_volume(void *arg, const char *block, struct dupc_err *err)
{
	struct bpass *bp = arg;

	/* the signatures of everything in the volume reach the disk before
	 * the volume is recorded: a resume relies on both */
	if (fsync(bp->f.sig_fd) < 0)
		return err_errno(err, E_GENERIC, "cannot write %s",
		    buf_str(&bp->f.sig_part));
	return manifest_append(bp, block, err);
}

/* --- signature entries --- */

static int
sig_entry(struct bpass *bp, enum entry_kind kind, const char *index,
    const struct obj_meta *meta, struct spill *data, struct dupc_err *err)
{
	struct tar_data_sink tds = { { &tds_ops }, bp->f.sig_tw };
	struct obj_meta none;

	buf_reset(&bp->ename);
	if (entry_name_build(&bp->ename, kind, index,
		meta != NULL && meta->type == OBJ_DIR, true, 0) < 0)
		return err_set(err, E_GENERIC, "path too long: %s", index);
	meta_init(&none);
	if (tarw_header(bp->f.sig_tw, buf_str(&bp->ename), meta ? meta : &none,
		data ? spill_size(data) : 0, err) < 0)
		return -1;
	if (data != NULL && spill_copy_to(data, &tds.base, err) < 0)
		return -1;
	/* padded now, so the partial sigtar always ends on an entry */
	return tarw_end_entry(bp->f.sig_tw, err);
}

/* --- the decisions --- */

static void
filelist_add(struct bpass *bp, const char *kind, const char *index)
{
	struct buf line;
	struct dupc_err e;

	if (bp->o->no_files_changed)
		return;
	buf_init(&line, TAR_NAME_MAX * 4 + 64);
	if (manifest_write_filelist_entry(&line, kind, index) == 0 &&
	    sink_write(&bp->filelist.base, line.data, line.len, &e) == 0)
		bp->filelist_count++;
	buf_release(&line);
}

static const char *
q(struct bpass *bp, const char *index)
{
	return log_quote_path(*index ? index : ".", bp->qbuf, sizeof(bp->qbuf));
}

/* duplicity's ROPath.__eq__ between the tree and the signatures. */
static bool
unchanged(const struct obj_meta *m, const struct sig_entry *se)
{
	const struct obj_meta *s = se->meta;
	bool perms;

	if (m->type != s->type)
		return false;
	perms = m->mode == s->mode && m->uid == se->uid && m->gid == se->gid;
	switch (m->type) {
	case OBJ_REG:
	case OBJ_DIR:
	case OBJ_FIFO:
		if (!perms)
			return false;
		return m->mtime == s->mtime || (m->mtime <= 0 && s->mtime <= 0);
	case OBJ_SYMLINK:
		return m->linkname && s->linkname &&
		       strcmp(m->linkname, s->linkname) == 0;
	case OBJ_CHR:
	case OBJ_BLK:
		return perms && m->devmajor == s->devmajor &&
		       m->devminor == s->devminor;
	default:
		return false;
	}
}

static int
load_old_signature(struct bpass *bp, uint64_t size, struct delta_sig **sigp,
    struct dupc_err *err)
{
	struct sink *loader = delta_sig_loader_new(sigp,
	    delta_sig_max(size, bp->o->max_blocksize), err);
	int rc = -1;

	if (loader == NULL)
		return -1;
	for (;;) {
		size_t got;

		if (sigmerge_read(bp->sm, bp->io, IO_BLOCK, &got, err) < 0)
			goto out;
		if (got == 0)
			break;
		if (sink_write(loader, bp->io, got, err) < 0)
			goto out;
	}
	rc = sink_finish(loader, err);
out:
	sink_free(loader);
	return rc;
}

/*
 * Read a regular file once into its snapshot or delta, and signature.
 * Holes are taken as zeros without reading them.  The file may change
 * while it is read: whatever the reads return is both stored and signed,
 * so the entries and the signature always agree.
 */
static int
pump_file(struct bpass *bp, const struct walk_entry *e, int fd,
    struct sink *data, struct sink *sig, struct dupc_err *err)
{
	struct sparse_reader sr;

	sparse_reader_init(&sr, fd);
	for (;;) {
		ssize_t r;

		faultpoint("file-read");
		r = sparse_read(&sr, bp->io, IO_BLOCK);
		if (r < 0) {
			/* as duplicity's FileWithReadCounter: warn, keep
			 * what was read */
			log_msg(LOG_WARNING, WARN_GENERIC, NULL,
			    "Error %s getting delta for %s", strerror(errno),
			    e->index);
			bp->st.errors++;
			break;
		}
		if (r == 0)
			break;
		bp->st.source_file_size += (uint64_t)r;
		progress_source_bytes(bp->st.source_file_size);
		if (sink_write(sig, bp->io, (size_t)r, err) < 0 ||
		    sink_write(data, bp->io, (size_t)r, err) < 0)
			return -1;
	}
	if (sink_finish(data, err) < 0 || sink_finish(sig, err) < 0)
		return -1;
	return 0;
}

static int
write_regular(struct bpass *bp, const struct walk_entry *e, bool *diffp,
    int *skipped, struct dupc_err *err)
{
	struct chunker *ch = NULL;
	struct sink *sig = NULL, *delta = NULL, *feed = NULL;
	struct delta_sig *old = NULL;
	struct dupc_err fe;
	bool as_diff = *diffp;
	int fd, rc = -1;

	*skipped = 0;
	fd = walk_open(bp->w, e, &fe);
	if (fd < 0) {
		/* diffdir.py delta_iter_error_handler: a plain warning */
		log_msg(LOG_WARNING, WARN_GENERIC, NULL,
		    "Error %s getting delta for %s", fe.msg, e->index);
		bp->st.errors++;
		*skipped = 1;
		return 0;
	}
	if (as_diff && load_old_signature(bp, e->meta.size, &old, err) < 0) {
		/* an unreadable old signature: store the file whole */
		log_warn(
		    "Error '%s' loading the signature of %s; storing it whole",
		    err->msg, e->index);
		err_clear(err);
		as_diff = false;
		*diffp = false;
	}
	ch = calloc(1, sizeof(*ch));
	if (ch == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		goto out;
	}
	ch->base.ops = &chunker_ops;
	ch->bp = bp;
	ch->kind = as_diff ? EK_DIFF : EK_SNAPSHOT;
	ch->index = e->index;
	ch->meta = &e->meta;
	spill_reset(&bp->sigbuf);
	sig = delta_signature_sink_new(
	    delta_block_len(e->meta.size, bp->o->max_blocksize),
	    &bp->sigbuf.base, err);
	if (sig == NULL)
		goto out;
	if (as_diff) {
		delta = delta_delta_sink_new(old, &ch->base, err);
		if (delta == NULL)
			goto out;
	}
	feed = sig;
	if (e->meta.size >= ASYNC_SIG_MIN) {
		if (bp->sigworker == NULL)
			bp->sigworker = asink_new(err);
		if (bp->sigworker != NULL)
			feed = asink_attach(bp->sigworker, sig);
		err_clear(err); /* without the worker: this thread does it */
	}
	if (pump_file(bp, e, fd, delta ? delta : &ch->base, feed, err) < 0) {
		/* a full disk or an interrupt is not about this file */
		if (err->code != E_NOT_ENOUGH_FREESPACE &&
		    err->code != E_NO_MANIFESTS)
			err_prefix(err, "%s", e->index);
		goto out;
	}
	rc = sig_entry(bp, EK_SIGNATURE, e->index, &e->meta, &bp->sigbuf, err);
out:
	if (feed != sig)
		asink_detach(bp->sigworker);
	sink_free(delta);
	sink_free(sig);
	delta_sig_free(old);
	free(ch);
	close(fd);
	return rc;
}

/* An object that is new, or changed (${se} its old signature entry). */
static int
write_changed(struct bpass *bp, const struct walk_entry *e,
    const struct sig_entry *se, struct dupc_err *err)
{
	bool diff = se != NULL && e->meta.type == OBJ_REG &&
		    se->kind == EK_SIGNATURE && se->meta->type == OBJ_REG;
	int skipped;

	if (bp->ghost) {
		/* stored by the interrupted run: count it, write nothing */
		bp->st.source_file_size += e->meta.size;
	} else if (e->meta.type == OBJ_REG) {
		if (write_regular(bp, e, &diff, &skipped, err) < 0)
			return -1;
		if (skipped)
			return 0;
	} else {
		bp->st.source_file_size += e->meta.size;
		if (emit_entry(bp, EK_SNAPSHOT, e->index, &e->meta,
			e->meta.type == OBJ_DIR, 0, -1, NULL, 0, err) < 0 ||
		    sig_entry(bp, EK_SNAPSHOT, e->index, &e->meta, NULL, err) <
			0)
			return -1;
	}
	bp->st.source_files++;
	bp->st.delta_entries++;
	if (diff) {
		bp->st.changed_files++;
		bp->st.changed_file_size += e->meta.size;
		log_msg(LOG_INFO, INFO_DIFF_FILE_CHANGED, q(bp, e->index),
		    "M %s", *e->index ? e->index : ".");
		filelist_add(bp, "changed", e->index);
	} else {
		bp->st.new_files++;
		bp->st.new_file_size += e->meta.size;
		log_msg(LOG_INFO, INFO_DIFF_FILE_NEW, q(bp, e->index), "A %s",
		    *e->index ? e->index : ".");
		if (e->meta.type == OBJ_REG)
			filelist_add(bp, "new", e->index);
	}
	return 0;
}

static int
write_deleted(struct bpass *bp, const struct sig_entry *se,
    struct dupc_err *err)
{
	struct obj_meta none;

	/* the root is never deleted (duplicity LP #929067) */
	if (se->meta->type == OBJ_NONE || *se->index == '\0')
		return 0;
	meta_init(&none);
	if (!bp->ghost &&
	    (emit_entry(bp, EK_DELETED, se->index, &none, false, 0, -1, NULL, 0,
		 err) < 0 ||
		sig_entry(bp, EK_DELETED, se->index, NULL, NULL, err) < 0))
		return -1;
	bp->st.deleted_files++;
	bp->st.delta_entries++;
	log_msg(LOG_INFO, INFO_DIFF_FILE_DELETED, q(bp, se->index), "D %s",
	    se->index);
	if (se->meta->type == OBJ_REG)
		filelist_add(bp, "deleted", se->index);
	return 0;
}

/*
 * The file split across the resume point: its first chunks are in the
 * stored volumes.  Regenerating the rest is sound only if the file is
 * what it was (same mtime, mode and kind of entry); otherwise the set is
 * redone.  Where the stored chunk could not be read (encrypted to a key
 * whose secret half is elsewhere), the file must not have been modified
 * after the interrupted set began.
 */
static int
resume_split_file(struct bpass *bp, const struct walk_entry *e,
    const struct sig_entry *se, struct dupc_err *err)
{
	const struct obj_meta *was = &bp->rs->span;
	bool diff = se != NULL && se->kind == EK_SIGNATURE &&
		    se->meta->type == OBJ_REG && e->meta.type == OBJ_REG;
	bool same = bp->rs->span_known
			? e->meta.mtime == was->mtime &&
			      e->meta.mode == was->mode &&
			      diff == bp->rs->span_diff
			: e->meta.mtime <= names_set_end(&bp->rs->set);

	if (e->meta.type != OBJ_REG || !same ||
	    (se != NULL && unchanged(&e->meta, se))) {
		log_notice(
		    "RESTART: %s changed since the interrupted run; starting the set again.",
		    e->index);
		bp->redo = true;
		return err_set(err, E_GENERIC, "restart is unsafe");
	}
	bp->skip_chunks = bp->rs->block;
	return 0;
}

/* The merge of tree and signatures. */
static int
run_pass(struct bpass *bp, struct dupc_err *err)
{
	const struct walk_entry *e = NULL;
	struct sig_entry se;
	int have_e, have_s = 0;

	have_e = walk_next(bp->w, &e, err);
	if (have_e < 0)
		return -1;
	if (bp->sm != NULL && (have_s = sigmerge_peek(bp->sm, &se, err)) < 0)
		return -1;
	while (have_e || have_s) {
		int c;

		if (interrupted())
			return err_set(err, E_NO_MANIFESTS,
			    "interrupted by signal %d; run the backup again to resume",
			    interrupted());
		progress_source_bytes(bp->st.source_file_size);
		if (!have_e)
			c = 1;
		else if (!have_s)
			c = -1;
		else
			c = index_cmp(e->index, se.index);
		bp->ghost = bp->o->dry_run ||
			    before_resume(bp, c <= 0 ? e->index : se.index);
		bp->skip_chunks = 0;
		if (bp->rs != NULL && !bp->ghost && bp->rs->block >= 0 &&
		    c <= 0 && strcmp(e->index, buf_str(&bp->rs->index)) == 0 &&
		    resume_split_file(bp, e, c == 0 ? &se : NULL, err) < 0)
			return -1;
		if (c < 0) {
			if (write_changed(bp, e, NULL, err) < 0)
				return -1;
		} else if (c > 0) {
			if (write_deleted(bp, &se, err) < 0)
				return -1;
		} else if (se.meta->type != OBJ_NONE &&
			   unchanged(&e->meta, &se)) {
			bp->st.source_files++;
			bp->st.source_file_size += e->meta.size;
		} else if (write_changed(bp, e,
			       se.meta->type == OBJ_NONE ? NULL : &se,
			       err) < 0) {
			return -1;
		}
		if (c <= 0 && (have_e = walk_next(bp->w, &e, err)) < 0)
			return -1;
		if (c >= 0) {
			if (sigmerge_next(bp->sm, err) < 0 ||
			    (have_s = sigmerge_peek(bp->sm, &se, err)) < 0)
				return -1;
		}
	}
	bp->st.errors += walk_errors(bp->w);
	return 0;
}

/* --- the end of a set: upload metadata, finalise the archive dir --- */

/*
 * The set's signatures and manifest, encoded for the target.  With gpg,
 * each encoding costs a key derivation (S2K, about 0.3 s of CPU) before
 * any data moves, so the two are encoded at once, the manifest on a
 * second thread, and uploaded in order afterwards.
 */
struct encoded {
	struct bpass *bp;
	const char *path; /* the plain file in the archive dir */
	enum remote_kind kind;
	int fd; /* the encoded temp file, or -1 */
	uint64_t size;
	int rc;
	struct dupc_err err;
};

/* Encode ${e->path} into a private temp file. */
static int
encode_to_temp(struct encoded *e)
{
	struct wpipe wp;
	struct source *src = NULL;
	int in, rc = -1;
	bool wp_open = false;

	e->fd = -1;
	in = open(e->path, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		err_errno(&e->err, E_GENERIC, "cannot read %s", e->path);
		goto out;
	}
	e->fd = tempfile_open("upload", NULL, &e->err);
	if (e->fd < 0 || wpipe_open(&wp, e->bp->o, e->kind, e->fd, &e->err) < 0)
		goto out;
	wp_open = true;
	src = fd_source_new(in, e->path);
	if (src == NULL) {
		err_set(&e->err, E_GENERIC, "out of memory");
		goto out;
	}
	if (source_copy(src, wp.head, NULL, &e->err) < 0 ||
	    wpipe_finish(&wp, &e->size, NULL, &e->err) < 0)
		goto out;
	if (lseek(e->fd, 0, SEEK_SET) < 0) {
		err_errno(&e->err, E_GENERIC, "cannot read back %s", e->path);
		goto out;
	}
	rc = 0;
out:
	if (wp_open)
		wpipe_release(&wp);
	source_free(src);
	if (in >= 0)
		close(in);
	if (rc < 0 && e->fd >= 0) {
		close(e->fd);
		e->fd = -1;
	}
	e->rc = rc;
	return rc;
}

static void *
encode_thread(void *arg)
{
	encode_to_temp(arg);
	return NULL;
}

/* Upload an encoded file under the name of ${ni}; the fd is closed. */
static int
upload_encoded(struct bpass *bp, struct encoded *e, const struct name_info *ni,
    struct dupc_err *err)
{
	struct buf name;
	struct source *enc = NULL;
	int rc = -1;

	buf_init(&name, 4096);
	if (names_build(&name, &bp->o->pfx, ni, pipe_suffix(bp->o, e->kind)) <
	    0) {
		err_set(err, E_GENERIC, "name too long");
		goto out;
	}
	enc = fd_source_new(e->fd, buf_str(&name));
	if (enc == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		goto out;
	}
	rc = backend_put(bp->s->be, buf_str(&name),
	    progress_upload_begin(buf_str(&name), 0, e->size, enc), e->size,
	    err);
	progress_upload_end(rc == 0);
	if (rc < 0)
		err_prefix(err, "uploading %s", buf_str(&name));
	else
		session_record_stored(bp->s, buf_str(&name), e->size, e->fd);
out:
	source_free(enc);
	close(e->fd);
	e->fd = -1;
	buf_release(&name);
	return rc;
}

/* Encode the sigtar and the manifest side by side (see struct encoded). */
static int
encode_set_files(struct bpass *bp, struct encoded *sig, struct encoded *man,
    struct dupc_err *err)
{
	pthread_t tid;
	bool threaded;

	memset(sig, 0, sizeof(*sig));
	memset(man, 0, sizeof(*man));
	sig->bp = man->bp = bp;
	sig->path = bp->f.sig_path;
	sig->kind = RK_SIGTAR;
	man->path = bp->f.man_path;
	man->kind = RK_MANIFEST;
	sig->fd = man->fd = -1;
	threaded = pthread_create(&tid, NULL, encode_thread, man) == 0;
	encode_to_temp(sig);
	if (threaded)
		pthread_join(tid, NULL);
	else
		encode_to_temp(man);
	if (sig->rc == 0 && man->rc == 0)
		return 0;
	*err = sig->rc < 0 ? sig->err : man->err;
	if (sig->fd >= 0)
		close(sig->fd);
	if (man->fd >= 0)
		close(man->fd);
	sig->fd = man->fd = -1;
	return -1;
}

/* The .part sigtar becomes the archive dir's gzipped final copy. */
static int
finalise_sigtar(struct bpass *bp, struct dupc_err *err)
{
	struct name_info ni = bp->set;
	struct atomic_file af;
	struct wpipe wp;
	struct buf name;
	struct source *src = NULL;
	char *path = NULL;
	int in = -1, rc = -1;
	bool wp_open = false;

	af.fd = -1;
	af.tmp = af.path = NULL;
	buf_init(&name, 4096);
	ni.type = bp->set.type == NAME_FULL ? NAME_FULL_SIG : NAME_NEW_SIG;
	ni.manifest = false;
	ni.volume = 0;
	if (names_build(&name, &bp->o->pfx, &ni, SUFFIX_GZ) < 0 ||
	    (path = cache_path(&bp->s->cache, buf_str(&name))) == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		goto out;
	}
	in = open(bp->f.sig_path, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		err_errno(err, E_GENERIC, "cannot read %s", bp->f.sig_path);
		goto out;
	}
	if (atomic_file_open(&af, path, 0600, err) < 0 ||
	    wpipe_open_suffix(&wp, bp->o, SUFFIX_GZ, af.fd, err) < 0)
		goto out;
	wp_open = true;
	src = fd_source_new(in, bp->f.sig_path);
	if (src == NULL || source_copy(src, wp.head, NULL, err) < 0 ||
	    wpipe_finish(&wp, NULL, NULL, err) < 0 ||
	    atomic_file_commit(&af, err) < 0)
		goto out;
	unlink(bp->f.sig_path);
	rc = 0;
out:
	if (wp_open)
		wpipe_release(&wp);
	atomic_file_abort(&af);
	source_free(src);
	if (in >= 0)
		close(in);
	free(path);
	buf_release(&name);
	return rc;
}

static int
finish_set(struct bpass *bp, struct dupc_err *err)
{
	struct name_info ni = bp->set;
	struct buf tail, final;
	struct encoded sig, man;
	char *final_path = NULL;
	int rc = -1;

	sig.fd = man.fd = -1;
	buf_init(&tail, 1 << 20);
	buf_init(&final, 4096);
	if (volwriter_finish(bp->vw, err) < 0)
		goto out;
	bp->st.total_dest_size_change = (int64_t)volwriter_stored(bp->vw);
	/* Filelist last, as duplicity writes it after the final volume */
	if (manifest_write_filelist_header(&tail, bp->filelist_count) < 0 ||
	    manifest_append(bp, buf_str(&tail), err) < 0)
		goto out;
	if (bp->filelist_count > 0) {
		int fd = open(bp->f.man_path,
		    O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
		struct sink *fs =
		    fd >= 0 ? fd_sink_new(fd, bp->f.man_path) : NULL;

		if (fs == NULL || spill_copy_to(&bp->filelist, fs, err) < 0 ||
		    fsync(fd) < 0) {
			if (fs == NULL || err->code == 0)
				err_errno(err, E_GENERIC, "writing %s",
				    bp->f.man_path);
			sink_free(fs);
			if (fd >= 0)
				close(fd);
			goto out;
		}
		sink_free(fs);
		close(fd);
	}
	if (tarw_finish(bp->f.sig_tw, err) < 0 || fsync(bp->f.sig_fd) < 0)
		goto out;
	/* signatures first, the manifest last: a set is complete on the
	 * target exactly when its manifest is there */
	ni.type = bp->set.type == NAME_FULL ? NAME_FULL_SIG : NAME_NEW_SIG;
	ni.volume = 0;
	ni.manifest = false;
	if (encode_set_files(bp, &sig, &man, err) < 0)
		goto out;
	faultpoint("sigtar-upload");
	if (upload_encoded(bp, &sig, &ni, err) < 0)
		goto out;
	faultpoint("manifest-upload");
	ni = bp->set;
	ni.manifest = true;
	ni.volume = 0;
	if (upload_encoded(bp, &man, &ni, err) < 0)
		goto out;
	if (names_build(&final, &bp->o->pfx, &ni, SUFFIX_NONE) < 0 ||
	    (final_path = cache_path(&bp->s->cache, buf_str(&final))) == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		goto out;
	}
	faultpoint("archive-dir-update");
	if (rename(bp->f.man_path, final_path) < 0) {
		err_errno(err, E_GENERIC, "cannot rename %s", bp->f.man_path);
		goto out;
	}
	fsync_parent_dir(final_path);
	faultpoint("archive-dir-sigtar");
	rc = finalise_sigtar(bp, err);
out:
	if (sig.fd >= 0)
		close(sig.fd);
	if (man.fd >= 0)
		close(man.fd);
	free(final_path);
	buf_release(&tail);
	buf_release(&final);
	return rc;
}

/* --- entry point --- */

static void
bpass_release(struct bpass *bp)
{
	walk_free(bp->w);
	sigmerge_free(bp->sm);
	volwriter_free(bp->vw);
	setfiles_close(&bp->f, false);
	asink_free(bp->sigworker);
	spill_release(&bp->filelist);
	spill_release(&bp->sigbuf);
	buf_release(&bp->ename);
	free(bp->io);
}

struct bgcheck;
static int bgcheck_wait(void *, struct dupc_err *);

/* The statistics, with what they say of the chain this set joins. */
static int
report_stats(const struct bpass *bp, struct dupc_err *err)
{
	const struct chain *ch = collection_primary(&bp->s->col);
	struct stats_chain sc;

	sc.full = bp->set.type == NAME_FULL;
	sc.dry_run = bp->o->dry_run;
	sc.full_time = sc.full ? bp->set.time : ch ? ch->start : bp->set.start;
	sc.ninc = sc.full ? 0 : ch ? ch->ninc + 1 : 1;
	return stats_report(bp->o, &bp->st, &sc, err);
}

static int
run_backup(struct session *s, const struct name_info *set,
    const struct sigchain *sc, const struct restart *rs, struct bgcheck *check,
    bool *redo, struct dupc_err *err)
{
	struct bpass bp;
	int rc = -1;

	memset(&bp, 0, sizeof(bp));
	bp.s = s;
	bp.o = s->o;
	bp.set = *set;
	bp.rs = rs;
	bp.f.sig_fd = -1;
	spill_init(&bp.filelist, 1u << 20);
	spill_init(&bp.sigbuf, SIG_SPILL);
	buf_init(&bp.ename, TAR_NAME_MAX + 64);
	bp.st.start_time = stats_now();
	bp.io = malloc(IO_BLOCK);
	if (bp.io == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		goto out;
	}
	bp.w = walk_new(s->o->local, s->o->sel, err);
	if (bp.w == NULL)
		goto out;
	/* an interrupted incremental diffs against the chain before it */
	if (sc != NULL && (bp.sm = sigmerge_open(s, sc,
			       rs ? set->start : INT64_MAX, err)) == NULL)
		goto out;
	progress_backup_begin(s->o);
	if (s->o->dry_run) {
		/* --dry-run: decide and count everything, write nothing */
		if (run_pass(&bp, err) < 0)
			goto out;
		bp.st.end_time = stats_now();
		progress_backup_end(bp.st.source_file_size);
		if (report_stats(&bp, err) < 0)
			goto out;
		rc = 0;
		goto out;
	}
	if (setfiles_open(&bp, err) < 0)
		goto out;
	if (rs != NULL) {
		char pretty[4096];

		snprintf(pretty, sizeof(pretty), "%s",
		    *buf_str(&rs->index) ? buf_str(&rs->index) : ".");
		log_notice("Restarting after volume %u, file %s, block %ld",
		    rs->done, pretty, rs->block >= 0 ? rs->block : 0);
	}
	bp.vw =
	    volwriter_new(s, set, rs ? rs->done + 1 : 1, on_volume, &bp, err);
	if (bp.vw == NULL)
		goto out;
	if (check != NULL)
		volwriter_set_gate(bp.vw, bgcheck_wait, check);
	if (run_pass(&bp, err) < 0)
		goto out;
	bp.st.end_time = stats_now();
	if (finish_set(&bp, err) < 0)
		goto out;
	progress_backup_end(bp.st.source_file_size);
	if (report_stats(&bp, err) < 0)
		goto out;
	rc = 0;
out:
	*redo = bp.redo;
	bpass_release(&bp);
	return rc;
}

/*
 * duplicity's check_last_manifest: the archive dir's copy of the last
 * manifest must equal the target's (when the target's can be decrypted:
 * with public-key encryption and no passphrase only the local copy is
 * read, as duplicity does), and its host and source must be this run's.
 */
static int
check_last_manifest(struct session *s, struct dupc_err *err)
{
	const struct chain *ch = &s->col.chains[s->col.nchains - 1];
	const struct cset *last = chain_last(ch);
	struct manifest local, remote;
	const struct manifest *m;
	bool can_decrypt = !s->o->encrypt || s->o->passphrase != NULL;
	int have_local, rc = -1;

	manifest_init(&local);
	manifest_init(&remote);
	have_local =
	    session_manifest_from(s, last, MANIFEST_LOCAL, &local, err);
	if (have_local < 0)
		goto out;
	if (can_decrypt || have_local != 0) {
		if (session_manifest_from(s, last, MANIFEST_REMOTE, &remote,
			err) < 0)
			goto out;
		if (have_local == 0 && !manifest_equal(&local, &remote)) {
			err_set(err, E_MISMATCHED_MANIFESTS,
			    "Fatal Error: Remote manifest does not match local one.  Either the remote backup set or the local archive directory has been corrupted.");
			goto out;
		}
	}
	m = have_local == 0 ? &local : &remote;
	if (s->o->allow_source_mismatch) {
		rc = 0;
		goto out;
	}
	if (m->hostname != NULL && *m->hostname &&
	    strcmp(m->hostname, s->o->hostname) != 0) {
		err_set(err, E_HOSTNAME_MISMATCH,
		    "Fatal Error: Backup source host has changed (current hostname: %s, previous hostname: %s); use --allow-source-mismatch if this is intended",
		    s->o->hostname, m->hostname);
		goto out;
	}
	if (m->localdir != NULL && *m->localdir &&
	    strcmp(m->localdir, s->o->localdir) != 0) {
		err_set(err, E_SOURCE_DIR_MISMATCH,
		    "Fatal Error: Backup source directory has changed (current directory: %s, previous directory: %s); use --allow-source-mismatch if this is intended",
		    s->o->localdir, m->localdir);
		goto out;
	}
	rc = 0;
out:
	manifest_release(&local);
	manifest_release(&remote);
	return rc;
}

/*
 * With gpg, reading the target's copy of the last manifest costs a key
 * derivation (about 0.3 s of CPU in gpg) and a download, so the check
 * runs on a thread beside the pass.  The volume writer waits for it
 * before the first volume is uploaded (volwriter_set_gate), and until
 * then the set exists only as a hidden temp file in the archive dir: a
 * failed check leaves the target and the archive dir as they were.
 */
struct bgcheck {
	struct session *s;
	pthread_t tid;
	bool running; /* started and not yet joined */
	int rc;
	struct dupc_err err;
};

static void *
bgcheck_main(void *arg)
{
	struct bgcheck *c = arg;

	c->rc = check_last_manifest(c->s, &c->err);
	return NULL;
}

static int
bgcheck_start(struct bgcheck *c, struct session *s, struct dupc_err *err)
{
	memset(c, 0, sizeof(*c));
	c->s = s;
	if (pthread_create(&c->tid, NULL, bgcheck_main, c) == 0) {
		c->running = true;
		return 0;
	}
	return check_last_manifest(s, err); /* no thread: check now */
}

/* The check's result, once it is done (may be called again). */
static int
bgcheck_wait(void *arg, struct dupc_err *err)
{
	struct bgcheck *c = arg;

	if (c->running) {
		pthread_join(c->tid, NULL);
		c->running = false;
	}
	if (c->rc < 0) {
		if (err != NULL)
			*err = c->err;
		return -1;
	}
	return 0;
}

/* The last set of the newest chain, when an interrupted run left it. */
static const struct cset *
partial_set(const struct session *s)
{
	const struct collection *c = &s->col;
	const struct cset *last;

	if (c->nchains == 0)
		return NULL;
	last = chain_last(&c->chains[c->nchains - 1]);
	return last->partial ? last : NULL;
}

static int
backup_once(struct session *s, enum backup_kind kind, bool *redo,
    struct dupc_err *err)
{
	const struct dupc_opts *o = s->o;
	const struct cset *partial = partial_set(s);
	const struct sigchain *sc = NULL;
	struct restart rs, *rsp = NULL;
	struct name_info set;
	struct bgcheck check, *checkp = NULL;
	int64_t last_full;
	int rc = -1;

	memset(&rs, 0, sizeof(rs));
	memset(&check, 0, sizeof(check));
	if (partial != NULL && !o->dry_run) {
		log_notice("Last %s backup left a partial set, restarting.",
		    partial->type == NAME_FULL ? "full" : "inc");
		rc = restart_plan(s, partial, &rs, err);
		if (rc < 0)
			goto out;
		if (rc == 1) {
			*redo = true;
			rc = restart_discard(s, partial, err);
			goto out;
		}
		rsp = &rs;
		kind = partial->type == NAME_FULL ? BACKUP_FULL : BACKUP_INC;
	}
	session_log_last_full(s);
	last_full = collection_nth_full_time(&s->col, 1);
	if (rsp == NULL && kind != BACKUP_FULL && o->full_if_older_than > 0 &&
	    last_full < o->now - o->full_if_older_than) {
		log_notice("Last full backup is too old, forcing full backup");
		kind = BACKUP_FULL;
	}
	if (kind != BACKUP_FULL) {
		if (s->col.matched_sig < 0) {
			if (kind == BACKUP_INC) {
				err_set(err, E_INC_WITHOUT_SIGS,
				    "Fatal Error: Unable to start incremental backup.  Old signatures not found and incremental specified");
				goto out;
			}
			log_warn(
			    "No signatures found, switching to full backup.");
			kind = BACKUP_FULL;
		} else {
			sc = &s->col.sigchains[s->col.matched_sig];
		}
	}
	memset(&set, 0, sizeof(set));
	if (rsp != NULL) {
		set = rs.set;
	} else if (kind == BACKUP_FULL) {
		set.type = NAME_FULL;
		set.time = o->now;
	} else {
		if (o->dry_run) {
			if (check_last_manifest(s, err) < 0)
				goto out;
		} else {
			if (bgcheck_start(&check, s, err) < 0)
				goto out;
			checkp = &check;
		}
		set.type = NAME_INC;
		set.start = sc->end;
		set.end = o->now;
		/* a set must end after the one before it: wait for the clock,
		 * as duplicity does (dup_main.py incremental_backup) */
		while (set.end <= set.start && !interrupted()) {
			if ((int64_t)time(NULL) > set.start) {
				set.end = (int64_t)time(NULL);
				break;
			}
			sleep(1);
		}
	}
	rc = run_backup(s, &set, sc, rsp, checkp, redo, err);
	/* a failed check explains any other failure: it wins */
	if (checkp != NULL && bgcheck_wait(checkp, err) < 0) {
		rc = -1;
		*redo = false;
	}
	if (rc < 0 && *redo) {
		/* resuming proved unsafe: drop the partial set, start over */
		err_clear(err);
		rc = restart_discard(s, partial, err);
	}
out:
	if (checkp != NULL)
		bgcheck_wait(checkp, NULL);
	restart_release(&rs);
	return rc;
}

int
engine_backup(const struct dupc_opts *o, enum backup_kind kind,
    struct dupc_err *err)
{
	struct session s;
	int rc = -1, round;

	if (session_open(&s, o, true, err) < 0)
		return -1;
	if (session_sync(&s, o->now, err) < 0)
		goto out;
	/* at most one redo: a discarded partial set, then a fresh run */
	for (round = 0; round < 2; round++) {
		bool redo = false;

		rc = backup_once(&s, kind, &redo, err);
		if (rc < 0 || !redo)
			break;
		if (session_scan(&s, err) < 0) {
			rc = -1;
			break;
		}
		rc = -1;
	}
out:
	session_close(&s);
	return rc;
}
