/*
 * verify (dup_main.py verify): replay the archive at the requested time
 * and collate it with the local tree.  Without --compare-data duplicity
 * 0.8 compares nothing but still reads and hash-checks every volume and
 * counts the union of both sides; with it, type, permissions, owner,
 * mtime, content and link targets are compared (path.py compare_verbose).
 */
#define _DEFAULT_SOURCE
#include "engine/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/rtarget.h"
#include "engine/session.h"
#include "engine/status.h"
#include "format/dtime.h"
#include "select/walk.h"
#include "util/err.h"
#include "util/log.h"
#include "util/owner.h"
#include "util/path.h"
#include "util/stream.h"
#include "util/tempfile.h"

struct vtarget {
	struct rtarget base;
	const struct dupc_opts *o;
	struct walker *w;
	const struct walk_entry *le; /* the local entry ahead, or NULL */
	bool local_done;
	uint64_t compared, diffs;
	/* the restored file being built (compare-data) */
	char *index;
	int fd, basis;
	struct sink *sink;
};

static void difference(struct vtarget *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
difference(struct vtarget *v, const char *fmt, ...)
{
	char msg[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_notice("Difference found: %s", msg);
	v->diffs++;
}

static const char *
show(const char *index)
{
	return *index ? index : ".";
}

static int
local_advance(struct vtarget *v, struct dupc_err *err)
{
	int r;

	if (v->local_done)
		return 0;
	r = walk_next(v->w, &v->le, err);
	if (r < 0)
		return -1;
	if (r == 0) {
		v->local_done = true;
		v->le = NULL;
	}
	return 0;
}

/* Local objects before ${index} are not in the backup: "New file". */
static int
catch_up(struct vtarget *v, const char *index, struct dupc_err *err)
{
	while (v->le != NULL &&
	       (index == NULL || index_cmp(v->le->index, index) < 0)) {
		v->compared++;
		if (v->o->compare_data)
			difference(v, "New file %s", show(v->le->index));
		if (local_advance(v, err) < 0)
			return -1;
	}
	return 0;
}

static void
perms_string(char *out, size_t n, int64_t uid, int64_t gid, uint32_t mode)
{
	snprintf(out, n, "%lld:%lld %o", (long long)uid, (long long)gid, mode);
}

static bool
same_content(struct vtarget *v, int restored, struct dupc_err *err)
{
	unsigned char a[65536], b[65536];
	int local = walk_open(v->w, v->le, err);
	bool same = true;

	if (local < 0)
		return false;
	if (lseek(restored, 0, SEEK_SET) < 0)
		same = false;
	while (same) {
		size_t na, nb;

		if (read_full(restored, a, sizeof(a), &na) < 0 ||
		    read_full(local, b, sizeof(b), &nb) < 0 || na != nb ||
		    memcmp(a, b, na) != 0) {
			same = false;
			break;
		}
		if (na < sizeof(a))
			break;
	}
	close(local);
	return same;
}

/* Compare one backup object with the local object at the same index. */
static void
compare(struct vtarget *v, const char *index, const struct obj_meta *m,
    int content)
{
	const struct obj_meta *l = &v->le->meta;
	char p1[64], p2[64], t1[DTIME_STR_MAX], t2[DTIME_STR_MAX];
	int64_t uid, gid;
	struct dupc_err e;

	if (!v->o->compare_data)
		return;
	if (m->type != l->type) {
		difference(v, "File %s has type %s, expected %s", show(index),
		    meta_type_name(l->type), meta_type_name(m->type));
		return;
	}
	owner_resolve(m->uname, m->uid, m->gname, m->gid, v->o->numeric_owner,
	    &uid, &gid);
	if (m->type == OBJ_SYMLINK) {
		if (strcmp(m->linkname ? m->linkname : "",
			l->linkname ? l->linkname : "") != 0)
			difference(v, "Symlink %s points to %s, expected %s",
			    show(index), l->linkname ? l->linkname : "",
			    m->linkname ? m->linkname : "");
		return;
	}
	if (m->mode != l->mode || uid != l->uid || gid != l->gid) {
		perms_string(p1, sizeof(p1), l->uid, l->gid, l->mode);
		perms_string(p2, sizeof(p2), uid, gid, m->mode);
		difference(v, "File %s has permissions %s, expected %s",
		    show(index), p1, p2);
		return;
	}
	if ((m->type == OBJ_CHR || m->type == OBJ_BLK)) {
		if (m->devmajor != l->devmajor || m->devminor != l->devminor)
			difference(v,
			    "Device file %s has numbers (%u, %u), expected (%u, %u)",
			    show(index), l->devmajor, l->devminor, m->devmajor,
			    m->devminor);
		return;
	}
	if (m->mtime != l->mtime && (m->mtime > 0 || l->mtime > 0)) {
		difference(v, "File %s has mtime %s, expected %s", show(index),
		    dtime_pretty(l->mtime, t1), dtime_pretty(m->mtime, t2));
		return;
	}
	if (m->type == OBJ_REG && content >= 0 && !same_content(v, content, &e))
		difference(v, "Data for file %s is different", show(index));
}

/* The backup has ${index}; collate it with the local side. */
static int
seen(struct vtarget *v, const char *index, const struct obj_meta *m,
    int content, struct dupc_err *err)
{
	if (catch_up(v, index, err) < 0)
		return -1;
	v->compared++;
	if (v->le != NULL && strcmp(v->le->index, index) == 0) {
		compare(v, index, m, content);
		return local_advance(v, err);
	}
	if (v->o->compare_data)
		difference(v, "File %s is missing", show(index));
	return 0;
}

static int
v_object(struct rtarget *t, const char *index, const struct obj_meta *m,
    struct dupc_err *err)
{
	return seen((struct vtarget *)t, index, m, -1, err);
}

static void
v_abort(struct rtarget *t)
{
	struct vtarget *v = (struct vtarget *)t;

	sink_free(v->sink);
	v->sink = NULL;
	if (v->fd >= 0)
		close(v->fd);
	if (v->basis >= 0)
		close(v->basis);
	v->fd = v->basis = -1;
	free(v->index);
	v->index = NULL;
}

static struct sink *
new_content(struct vtarget *v, struct dupc_err *err)
{
	v->fd = tempfile_open("verify", NULL, err);
	if (v->fd < 0)
		return NULL;
	sink_free(v->sink);
	v->sink = fd_sink_new(v->fd, "verify file");
	if (v->sink == NULL)
		err_set(err, E_GENERIC, "out of memory");
	return v->sink;
}

static struct sink *
v_file_begin(struct rtarget *t, const char *index, struct dupc_err *err)
{
	struct vtarget *v = (struct vtarget *)t;

	v_abort(t);
	v->index = strdup(index);
	if (v->index == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		return NULL;
	}
	if (!t->need_data) {
		v->sink = null_sink_new();
		return v->sink;
	}
	return new_content(v, err);
}

static struct sink *
v_patch_begin(struct rtarget *t, int *basis, struct dupc_err *err)
{
	struct vtarget *v = (struct vtarget *)t;

	if (v->basis >= 0)
		close(v->basis);
	v->basis = v->fd;
	v->fd = -1;
	*basis = v->basis;
	return new_content(v, err);
}

static int
v_file_end(struct rtarget *t, const struct obj_meta *m, struct dupc_err *err)
{
	struct vtarget *v = (struct vtarget *)t;
	int rc = seen(v, v->index, m, v->fd, err);

	v_abort(t);
	return rc;
}

static const struct rtarget_ops v_ops = {
	v_object,
	v_file_begin,
	v_patch_begin,
	v_file_end,
	v_abort,
	NULL, /* compares a copy: nothing to patch in place */
	NULL,
};

int
engine_verify(const struct dupc_opts *o, uint64_t *diffs, struct dupc_err *err)
{
	struct vtarget v;
	struct session s;
	int64_t t = o->have_time ? o->time : o->now;
	uint64_t restored = 0, errors = 0;
	int rc = -1;

	memset(&v, 0, sizeof(v));
	v.base.ops = &v_ops;
	v.base.need_data = o->compare_data;
	v.o = o;
	v.fd = v.basis = -1;
	v.w = walk_new(o->local, o->sel, err);
	if (v.w == NULL) {
		err->code = E_VERIFY_DIR_DOESNT_EXIST;
		return -1;
	}
	if (session_open(&s, o, SESSION_LOCK_SHARED, err) < 0) {
		walk_free(v.w);
		return -1;
	}
	if (session_sync(&s, t, err) < 0)
		goto out;
	session_log_last_full(&s);
	if (local_advance(&v, err) < 0 ||
	    restore_run(&s, t, o->file_to_restore ? o->file_to_restore : "",
		&v.base, &restored, &errors, err) < 0 ||
	    catch_up(&v, NULL, err) < 0)
		goto out;
	log_notice(
	    "Verify complete: %llu file%s compared, %llu difference%s found.",
	    (unsigned long long)v.compared, v.compared == 1 ? "" : "s",
	    (unsigned long long)v.diffs, v.diffs == 1 ? "" : "s");
	*diffs = v.diffs;
	rc = 0;
out:
	v_abort(&v.base);
	walk_free(v.w);
	session_close(&s);
	return rc;
}
