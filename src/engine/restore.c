/*
 * Restore (duplicity's restore via patchdir.py).  The sets of the chain up
 * to the requested time are read side by side, each as an ordered entry
 * stream; for every path the newest snapshot (or deletion) wins and the
 * deltas after it are applied in one streaming pass, written through the
 * confined writer.  Memory holds one entry per set, whatever the tree.
 */
#define _DEFAULT_SOURCE
#include "engine/engine.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "delta/rsync.h"
#include "engine/fetchq.h"
#include "engine/progress.h"
#include "engine/rtarget.h"
#include "engine/rwrite.h"
#include "engine/session.h"
#include "engine/setread.h"
#include "engine/status.h"
#include "format/collection.h"
#include "format/dtime.h"
#include "format/manifest.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/interrupt.h"
#include "util/log.h"
#include "util/path.h"
#include "util/stream.h"
#include "util/tempfile.h"

#define IO_BLOCK 65536

struct rpass {
	struct session *s;
	const struct dupc_opts *o;
	const char *prefix;
	size_t nsets;
	struct manifest *mans;
	struct setreader **rd;
	struct fetchq *q;
	struct rtarget *t;
	unsigned char *io;
	uint64_t restored;
	uint64_t errors;
	struct buf renamed; /* an index after --rename */
	char qbuf[8192];    /* a quoted path for the machine log */
};

/*
 * --rename FROM TO, as duplicity's path.py rename_index: the longest of
 * ${out} and its parents that is a FROM is replaced by its TO.  NULL when
 * the new name does not fit.
 */
static const char *
rename_index(struct rpass *rp, const char *out)
{
	const struct dupc_opts *o = rp->o;
	size_t len = strlen(out), i;

	while (o->nrenames > 0 && len > 0) {
		for (i = 0; i < o->nrenames; i++) {
			if (strlen(o->rename_from[i]) != len ||
			    strncmp(o->rename_from[i], out, len) != 0)
				continue;
			buf_reset(&rp->renamed);
			if (buf_addstr(&rp->renamed, o->rename_to[i]) < 0)
				return NULL;
			if (out[len] != '\0' && rp->renamed.len > 0 &&
			    buf_addch(&rp->renamed, '/') < 0)
				return NULL;
			if (out[len] != '\0' &&
			    buf_addstr(&rp->renamed, out + len + 1) < 0)
				return NULL;
			return buf_str(&rp->renamed);
		}
		while (len > 0 && out[len - 1] != '/')
			len--;
		if (len > 0)
			len--;
	}
	return out;
}

static const char *
quoted(struct rpass *rp, const char *index)
{
	return log_quote_path(*index ? index : ".", rp->qbuf, sizeof(rp->qbuf));
}

/* patchdir.py's extra for "Writing X of type T": "'X' T". */
static const char *
writing_extra(struct rpass *rp, const char *out, enum obj_type type)
{
	size_t n;

	quoted(rp, out);
	n = strlen(rp->qbuf);
	snprintf(rp->qbuf + n, sizeof(rp->qbuf) - n, " %s",
	    meta_type_name(type));
	return rp->qbuf;
}

/* The restore destination must be new or empty unless --force. */
static int
check_dest(const struct dupc_opts *o, struct dupc_err *err)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	bool empty = true;

	if (lstat(o->local, &st) < 0)
		return 0;
	if (o->force)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return err_set(err, E_RESTORE_DIR_EXISTS,
		    "Restore destination %s already exists. Will not overwrite (use --force)",
		    o->local);
	d = opendir(o->local);
	if (d == NULL)
		return err_errno(err, E_RESTORE_DIR_EXISTS, "cannot read %s",
		    o->local);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			empty = false;
	closedir(d);
	if (!empty)
		return err_set(err, E_RESTORE_DIR_EXISTS,
		    "Restore destination directory %s already exists. Will not overwrite (use --force)",
		    o->local);
	return 0;
}

static int
copy_entry(struct rpass *rp, struct setreader *r, struct sink *out,
    struct dupc_err *err)
{
	for (;;) {
		size_t got;

		if (setreader_read(r, rp->io, IO_BLOCK, &got, err) < 0)
			return -1;
		if (got == 0)
			return 0;
		if (sink_write(out, rp->io, got, err) < 0)
			return -1;
	}
}

/* Apply the delta coming from ${src} to a new copy of the current file. */
static int
patch_copy(struct rpass *rp, struct source *src, struct setreader *r,
    struct dupc_err *err)
{
	struct sink *s, *ps;
	int basis, rc = -1;

	s = rp->t->ops->patch_begin(rp->t, &basis, err);
	if (s == NULL)
		return -1;
	if ((ps = delta_patch_sink_new(basis, s, err)) == NULL)
		return -1;
	if (src != NULL ? source_copy(src, ps, NULL, err) < 0
			: copy_entry(rp, r, ps, err) < 0)
		goto out;
	rc = sink_finish(ps, err);
out:
	sink_free(ps);
	return rc;
}

/* Keep the delta in ${spill} while scanning it against ${basis_len}. */
static int
spill_and_scan(struct rpass *rp, struct setreader *r, int spill,
    uint64_t basis_len, struct delta_plan *plan, struct dupc_err *err)
{
	struct sink *keep = fd_sink_new(spill, "a temporary file");
	struct sink *scan = delta_patch_scan_new(basis_len, plan, err);
	size_t got;
	int rc = -1;

	if (keep == NULL || scan == NULL) {
		if (keep == NULL)
			err_set(err, E_GENERIC, "out of memory");
		goto out;
	}
	for (;;) {
		if (setreader_read(r, rp->io, IO_BLOCK, &got, err) < 0)
			goto out;
		if (got == 0)
			break;
		if (sink_write(keep, rp->io, got, err) < 0 ||
		    sink_write(scan, rp->io, got, err) < 0)
			goto out;
	}
	if (sink_finish(scan, err) < 0)
		goto out;
	if (lseek(spill, 0, SEEK_SET) < 0) {
		err_errno(err, E_GENERIC, "rewinding a temporary file");
		goto out;
	}
	rc = 0;
out:
	sink_free(scan);
	sink_free(keep);
	return rc;
}

/*
 * The next delta.  Applied to a copy of the file, it costs a read and a
 * write of the whole file, once per set of a chain: a log appended to in
 * thirty incrementals is copied thirty times.  So the delta is kept in a
 * temporary file and scanned first; one whose copies all stay in place
 * (appends, overwrites) only writes its new bytes into the file itself.
 */
static int
patch_file(struct rpass *rp, struct setreader *r, struct dupc_err *err)
{
	struct delta_plan plan;
	struct source *src = NULL;
	struct sink *ip = NULL;
	struct stat st;
	int fd, spill, rc = -1;

	if (rp->t->ops->patch_inplace == NULL)
		return patch_copy(rp, NULL, r, err);
	if (rp->t->ops->patch_inplace(rp->t, &fd, err) < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		return err_errno(err, E_GENERIC, "reading the file to patch");
	if ((spill = tempfile_open("delta", NULL, err)) < 0)
		return -1;
	if (spill_and_scan(rp, r, spill, (uint64_t)st.st_size, &plan, err) < 0)
		goto out;
	if ((src = fd_source_new(spill, "a temporary file")) == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		goto out;
	}
	if (!plan.in_place) {
		rc = patch_copy(rp, src, r, err);
		goto out;
	}
	if ((ip = delta_patch_inplace_new(fd, err)) == NULL ||
	    source_copy(src, ip, NULL, err) < 0 || sink_finish(ip, err) < 0)
		goto out;
	rp->t->ops->patch_inplace_end(rp->t, plan.out_len);
	rc = 0;
out:
	sink_free(ip);
	source_free(src);
	close(spill);
	return rc;
}

/* Write a regular file: snapshot data, then each delta in order. */
static int
restore_file(struct rpass *rp, const char *out, struct setreader **seq,
    size_t n, const struct obj_meta *final, struct dupc_err *err)
{
	struct sink *s;
	size_t i;

	s = rp->t->ops->file_begin(rp->t, out, err);
	if (s == NULL)
		return -1;
	if (copy_entry(rp, seq[0], s, err) < 0)
		goto fail;
	for (i = 1; i < n; i++) {
		log_msg(LOG_INFO, INFO_PATCH_FILE_PATCHING, quoted(rp, out),
		    "Patching %s", *out ? out : ".");
		if (patch_file(rp, seq[i], err) < 0)
			goto fail;
	}
	return rp->t->ops->file_end(rp->t, final, err);
fail:
	rp->t->ops->file_abort(rp->t);
	return -1;
}

/* Decide and write one path; ${at} lists the readers holding it. */
static int
restore_path(struct rpass *rp, const char *index, struct setreader **at,
    struct set_entry *ents, size_t n, struct dupc_err *err)
{
	const char *out;
	size_t base = n, i;
	int rc;

	for (i = n; i-- > 0;)
		if (ents[i].kind != EK_DIFF) {
			base = i;
			break;
		}
	if (base == n) {
		log_msg(LOG_WARNING, WARN_CANNOT_PROCESS, quoted(rp, index),
		    "Error 'no snapshot before the delta' patching %s", index);
		rp->errors++;
		return 0;
	}
	if (ents[base].kind == EK_DELETED) {
		if (base + 1 < n) {
			log_msg(LOG_WARNING, WARN_CANNOT_PROCESS,
			    quoted(rp, index),
			    "Error 'delta after deletion' patching %s", index);
			rp->errors++;
		}
		return 0;
	}
	out = *rp->prefix == '\0' ? index
	      : index[strlen(rp->prefix)] == '\0'
		  ? ""
		  : index + strlen(rp->prefix) + 1;
	out = rename_index(rp, out);
	if (out == NULL)
		return err_set(err, E_GENERIC,
		    "--rename: the new name of %.200s is too long", index);
	if (ents[base].meta->type != OBJ_REG) {
		if (base + 1 < n) {
			log_msg(LOG_WARNING, WARN_CANNOT_PROCESS,
			    quoted(rp, index),
			    "Error 'delta over a non-regular file' patching %s",
			    index);
			rp->errors++;
			return 0;
		}
		log_msg(LOG_INFO, INFO_PATCH_FILE_WRITING,
		    writing_extra(rp, out, ents[base].meta->type),
		    "Writing %s of type %s", *out ? out : ".",
		    meta_type_name(ents[base].meta->type));
		rc = rp->t->ops->object(rp->t, out, ents[base].meta, err);
	} else {
		struct obj_meta final;

		meta_init(&final);
		if (meta_copy(&final, ents[n - 1].meta) < 0)
			return err_set(err, E_GENERIC, "out of memory");
		log_msg(LOG_INFO, INFO_PATCH_FILE_WRITING,
		    writing_extra(rp, out, OBJ_REG), "Writing %s of type reg",
		    *out ? out : ".");
		if (rp->t->need_data)
			rc = restore_file(rp, out, at + base, n - base, &final,
			    err);
		else if (rp->t->ops->file_begin(rp->t, out, err) == NULL)
			rc = -1;
		else
			rc = rp->t->ops->file_end(rp->t, &final, err);
		meta_release(&final);
		if (rc < 0 && err->code == E_GENERIC && base + 1 < n) {
			/* a bad delta spoils one file, as in duplicity */
			log_msg(LOG_WARNING, WARN_CANNOT_PROCESS,
			    quoted(rp, index), "Error '%s' patching %s",
			    err->msg, index);
			err_clear(err);
			rp->errors++;
			return 0;
		}
	}
	if (rc == 0)
		rp->restored++;
	return rc;
}

static int
run_merge(struct rpass *rp, struct dupc_err *err)
{
	struct set_entry *ents = calloc(rp->nsets, sizeof(*ents));
	struct setreader **at = calloc(rp->nsets, sizeof(*at));
	struct set_entry *cur = calloc(rp->nsets, sizeof(*cur));
	int *have = calloc(rp->nsets, sizeof(*have));
	char *index = NULL;
	int rc = -1;
	size_t i;

	if (ents == NULL || at == NULL || cur == NULL || have == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		goto out;
	}
	for (;;) {
		const char *min = NULL;
		size_t n = 0;

		if (interrupted()) {
			err_set(err, E_NO_MANIFESTS,
			    "interrupted by signal %d; what is restored is incomplete: run the command again (with --force to overwrite)",
			    interrupted());
			goto out;
		}
		for (i = 0; i < rp->nsets; i++) {
			have[i] = setreader_peek(rp->rd[i], &cur[i], err);
			if (have[i] < 0)
				goto out;
			if (have[i] &&
			    (min == NULL || index_cmp(cur[i].index, min) < 0))
				min = cur[i].index;
		}
		if (min == NULL)
			break;
		free(index);
		index = strdup(min);
		if (index == NULL) {
			err_set(err, E_GENERIC, "out of memory");
			goto out;
		}
		for (i = 0; i < rp->nsets; i++) {
			if (have[i] && strcmp(cur[i].index, index) == 0) {
				at[n] = rp->rd[i];
				ents[n++] = cur[i];
			}
		}
		if (index_is_within(index, rp->prefix) &&
		    restore_path(rp, index, at, ents, n, err) < 0)
			goto out;
		for (i = 0; i < n; i++)
			if (setreader_next(at[i], err) < 0)
				goto out;
	}
	rc = 0;
out:
	free(index);
	free(ents);
	free(at);
	free(cur);
	free(have);
	return rc;
}

static void
rpass_release(struct rpass *rp)
{
	size_t i;

	for (i = 0; rp->rd != NULL && i < rp->nsets; i++)
		setreader_free(rp->rd[i]);
	/* The queue's fetchers check volumes against the manifests: they
	 * stop before the manifests go, on every way out. */
	fetchq_free(rp->q);
	for (i = 0; rp->mans != NULL && i < rp->nsets; i++)
		manifest_release(&rp->mans[i]);
	free(rp->rd);
	free(rp->mans);
	free(rp->io);
	buf_release(&rp->renamed);
}

/* The volumes the restore will read, for "Processed volume N of M". */
static unsigned
count_volumes(const struct rpass *rp)
{
	unsigned n = 0;
	size_t i, v;

	for (i = 0; i < rp->nsets; i++)
		for (v = 0; v < rp->mans[i].nvols; v++)
			if (*rp->prefix == '\0' ||
			    manifest_volume_may_contain(&rp->mans[i].vols[v],
				rp->prefix))
				n++;
	return n;
}

/*
 * Queue the volumes of the ${i}th set that the set reader will want: those
 * that may hold the restored path.  A volume missing from the target is
 * left out; the set reader reports it when it gets there.
 */
static int
queue_volumes(struct rpass *rp, const struct cset *set, size_t i,
    struct dupc_err *err)
{
	const struct manifest *m = &rp->mans[i];
	const char *name;
	size_t v;

	for (v = 0; v < m->nvols; v++) {
		if (*rp->prefix &&
		    !manifest_volume_may_contain(&m->vols[v], rp->prefix))
			continue;
		name = cset_find_volume(set, m->vols[v].number);
		if (name != NULL &&
		    fetchq_add(rp->q, name, i, &m->vols[v], err) < 0)
			return -1;
	}
	return 0;
}

/* The sets to read: the chain's full and every inc up to ${t}. */
static int
open_sets(struct rpass *rp, const struct chain *ch, int64_t t,
    struct dupc_err *err)
{
	size_t i, n = 1;

	for (i = 0; i < ch->ninc; i++)
		if (ch->incs[i]->end <= t)
			n = i + 2;
	rp->mans = calloc(n, sizeof(*rp->mans));
	rp->rd = calloc(n, sizeof(*rp->rd));
	if (rp->mans == NULL || rp->rd == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	rp->nsets = n;
	if ((rp->q = fetchq_new(rp->s, err)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		const struct cset *set = i == 0 ? ch->full : ch->incs[i - 1];

		manifest_init(&rp->mans[i]);
		if (session_manifest(rp->s, set, &rp->mans[i], err) < 0 ||
		    queue_volumes(rp, set, i, err) < 0)
			return -1;
		rp->rd[i] = setreader_new(rp->s, rp->q, set, &rp->mans[i],
		    rp->prefix, err);
		if (rp->rd[i] == NULL)
			return -1;
	}
	fetchq_start(rp->q);
	return 0;
}

int
restore_run(struct session *s, int64_t t, const char *prefix,
    struct rtarget *target, uint64_t *restored, uint64_t *errors,
    struct dupc_err *err)
{
	struct rpass rp;
	const struct chain *ch;
	bool ambiguous;
	int rc = -1;

	memset(&rp, 0, sizeof(rp));
	rp.s = s;
	rp.o = s->o;
	rp.prefix = prefix;
	rp.t = target;
	buf_init(&rp.renamed, 1 << 16);
	ch = collection_chain_at(&s->col, t, &ambiguous);
	if (ch == NULL) {
		err_set(err, E_NO_MANIFESTS,
		    "no backup chains found on %s; check the URL (collection-status lists what is there)",
		    s->o->url);
		goto out;
	}
	if (ambiguous) {
		err_set(err, E_GENERIC,
		    "two backup chains cover the given time");
		goto out;
	}
	rp.io = malloc(IO_BLOCK);
	if (rp.io == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		goto out;
	}
	if (open_sets(&rp, ch, t, err) < 0)
		goto out;
	progress_restore_begin(count_volumes(&rp));
	if (run_merge(&rp, err) < 0)
		goto out;
	*restored = rp.restored;
	*errors = rp.errors;
	rc = 0;
out:
	progress_stop();
	rpass_release(&rp);
	return rc;
}

/* The confined disk writer as a restore target. */
struct disk_target {
	struct rtarget base;
	struct rwriter *w;
};

static int
disk_object(struct rtarget *t, const char *index, const struct obj_meta *m,
    struct dupc_err *err)
{
	return rwriter_object(((struct disk_target *)t)->w, index, m, err);
}

static struct sink *
disk_file_begin(struct rtarget *t, const char *index, struct dupc_err *err)
{
	return rwriter_file_begin(((struct disk_target *)t)->w, index, err);
}

static struct sink *
disk_patch_begin(struct rtarget *t, int *basis, struct dupc_err *err)
{
	return rwriter_patch_begin(((struct disk_target *)t)->w, basis, err);
}

static int
disk_file_end(struct rtarget *t, const struct obj_meta *m, struct dupc_err *err)
{
	return rwriter_file_end(((struct disk_target *)t)->w, m, err);
}

static void
disk_file_abort(struct rtarget *t)
{
	rwriter_file_abort(((struct disk_target *)t)->w);
}

static int
disk_patch_inplace(struct rtarget *t, int *fd, struct dupc_err *err)
{
	return rwriter_patch_inplace(((struct disk_target *)t)->w, fd, err);
}

static void
disk_patch_inplace_end(struct rtarget *t, uint64_t len)
{
	rwriter_patch_inplace_end(((struct disk_target *)t)->w, len);
}

static const struct rtarget_ops disk_ops = {
	disk_object,
	disk_file_begin,
	disk_patch_begin,
	disk_file_end,
	disk_file_abort,
	disk_patch_inplace,
	disk_patch_inplace_end,
};

int
engine_restore(const struct dupc_opts *o, struct dupc_err *err)
{
	struct rwrite_opts wo = { o->restore_ownership, o->numeric_owner,
		o->force };
	struct disk_target dt = { { &disk_ops, true }, NULL };
	struct session s;
	int64_t t = o->have_time ? o->time : o->now;
	const char *prefix = o->file_to_restore ? o->file_to_restore : "";
	uint64_t restored = 0, errors = 0;
	int rc = -1;

	if (check_dest(o, err) < 0)
		return -1;
	if (session_open(&s, o, SESSION_LOCK_SHARED, err) < 0)
		return -1;
	if (session_sync(&s, t, err) < 0)
		goto out;
	session_log_last_full(&s);
	dt.w = rwriter_new(o->local, &wo, err);
	if (dt.w == NULL)
		goto out;
	if (restore_run(&s, t, prefix, &dt.base, &restored, &errors, err) < 0 ||
	    rwriter_finish(dt.w, err) < 0)
		goto out;
	if (restored == 0) {
		if (*prefix)
			err_set(err, E_RESTORE_DIR_NOT_FOUND,
			    "%s not found in archive - no files restored.",
			    prefix);
		else
			err_set(err, E_NO_RESTORE_FILES,
			    "No files found in archive - nothing restored.");
		goto out;
	}
	rc = 0;
out:
	rwriter_free(dt.w);
	session_close(&s);
	return rc;
}
