/*
 * The confined restore writer.
 */
#define _GNU_SOURCE
#include "engine/rwrite.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "util/err.h"
#include "util/log.h"
#include "util/owner.h"
#include "util/path.h"
#include "util/sparse.h"
#include "util/stream.h"
#include "util/tempfile.h"

#define MAX_DEPTH 4096

struct dir_frame {
	int fd;
	char *index;
	bool have_meta;
	struct obj_meta meta;
};

struct rwriter {
	char *dest;
	struct rwrite_opts o;
	bool root; /* running as root: ownership and devices */
	struct dir_frame *stack;
	size_t depth, cap;
	/* the regular file being written */
	int parent_fd; /* borrowed from the stack or dest_parent */
	char *name;
	char *index;
	int fd; /* current content being written */
	/* writes to fd, leaving holes for zero blocks */
	struct sparse_writer sw;
	char *tmp;    /* its temporary name when patching */
	int basis_fd; /* previous content, while patching */
	struct sink *sink;
	int dest_parent;    /* parent of dest, when dest is a file */
	bool dest_replaced; /* dest itself was restored as a non-directory */
	uint64_t count;
};

struct rwriter *
rwriter_new(const char *dest, const struct rwrite_opts *o, struct dupc_err *err)
{
	struct rwriter *w = calloc(1, sizeof(*w));

	if (w == NULL || (w->dest = strdup(dest)) == NULL) {
		free(w);
		err_set(err, E_GENERIC, "out of memory");
		return NULL;
	}
	w->o = *o;
	w->root = geteuid() == 0;
	w->fd = w->basis_fd = w->dest_parent = -1;
	return w;
}

/*
 * Give a restored object its owner: by ${fd}, or by ${name} in ${dirfd}
 * when ${fd} is -1.  Returns true when the object now has the owner the
 * archive names, or owners are not restored at all.  Only root can
 * chown; a non-root restore owns what it writes, which is right only for
 * the restoring user's own files.
 */
static bool
apply_owner(struct rwriter *w, int fd, int dirfd, const char *name,
    const struct obj_meta *m, const char *index)
{
	int64_t uid, gid;
	int rc;

	/* not restoring owners, the bits go on as given, as in duplicity */
	if (!w->o.restore_owner)
		return true;
	owner_resolve(m->uname, m->uid, m->gname, m->gid, w->o.numeric_owner,
	    &uid, &gid);
	if (!w->root)
		return uid == (int64_t)geteuid() && gid == (int64_t)getegid();
	rc = fd >= 0 ? fchown(fd, (uid_t)uid, (gid_t)gid)
		     : fchownat(dirfd, name, (uid_t)uid, (gid_t)gid,
			   AT_SYMLINK_NOFOLLOW);
	if (rc < 0) {
		log_warn("Cannot set the owner of %s: %s", index,
		    strerror(errno));
		return false;
	}
	return true;
}

/*
 * The permission bits to set.  duplicity chowns, then chmods; its chown
 * fails first in a non-root restore of another user's file, so setuid
 * and setgid bits only come back on a file whose owner came back too
 * (path.py copy_attribs).  dupc keeps that rule.  With
 * --do-not-restore-ownership duplicity chmods without chowning, so the
 * bits stay, on a file owned by whoever restores; so do they here.
 */
static mode_t
restore_mode(const struct obj_meta *m, bool owned)
{
	mode_t mode = (mode_t)(m->mode & 07777);

	return owned ? mode : mode & ~(mode_t)(S_ISUID | S_ISGID);
}

/* Apply ownership, mode and mtime to an open object. */
static void
set_meta_fd(struct rwriter *w, int fd, const struct obj_meta *m,
    const char *index)
{
	struct timespec ts[2];
	bool owned = apply_owner(w, fd, -1, NULL, m, *index ? index : ".");

	/* after chown, which clears setuid/setgid */
	if (fchmod(fd, restore_mode(m, owned)) < 0)
		log_warn("Cannot set the mode of %s: %s", *index ? index : ".",
		    strerror(errno));
	ts[0].tv_sec = 0;
	ts[0].tv_nsec = UTIME_NOW;
	ts[1].tv_sec = (time_t)m->mtime;
	ts[1].tv_nsec = 0;
	if (futimens(fd, ts) < 0)
		log_warn("Cannot set the time of %s: %s", *index ? index : ".",
		    strerror(errno));
}

/* The same by name, for objects that cannot be opened (fifo, devices,
 * symlinks: owner only). */
static void
set_meta_at(struct rwriter *w, int dirfd, const char *name,
    const struct obj_meta *m, const char *index)
{
	struct timespec ts[2];
	bool owned = apply_owner(w, -1, dirfd, name, m, index);

	if (m->type == OBJ_SYMLINK)
		return; /* duplicity restores neither mode nor time of links */
	if (fchmodat(dirfd, name, restore_mode(m, owned), 0) < 0)
		log_warn("Cannot set the mode of %s: %s", index,
		    strerror(errno));
	ts[0].tv_sec = 0;
	ts[0].tv_nsec = UTIME_NOW;
	ts[1].tv_sec = (time_t)m->mtime;
	ts[1].tv_nsec = 0;
	if (utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		log_warn("Cannot set the time of %s: %s", index,
		    strerror(errno));
}

static void
pop_frame(struct rwriter *w)
{
	struct dir_frame *f = &w->stack[--w->depth];

	if (f->have_meta)
		set_meta_fd(w, f->fd, &f->meta, f->index);
	close(f->fd);
	free(f->index);
	meta_release(&f->meta);
}

static int
push_frame(struct rwriter *w, int fd, const char *index, struct dupc_err *err)
{
	struct dir_frame *f;

	if (w->depth == w->cap) {
		struct dir_frame *p;

		if (w->cap >= MAX_DEPTH) {
			close(fd);
			return err_set(err, E_GENERIC,
			    "restore path too deep: %s", index);
		}
		p = realloc(w->stack, (w->cap ? w->cap * 2 : 16) * sizeof(*p));
		if (p == NULL) {
			close(fd);
			return err_set(err, E_GENERIC, "out of memory");
		}
		w->stack = p;
		w->cap = w->cap ? w->cap * 2 : 16;
	}
	f = &w->stack[w->depth];
	memset(f, 0, sizeof(*f));
	meta_init(&f->meta);
	f->fd = fd;
	f->index = strdup(index);
	if (f->index == NULL) {
		close(fd);
		return err_set(err, E_GENERIC, "out of memory");
	}
	w->depth++;
	return 0;
}

/* Open (creating if needed) the destination directory as frame 0. */
static int
open_root(struct rwriter *w, struct dupc_err *err)
{
	int fd;

	if (w->depth > 0)
		return 0;
	/* once dest is a symlink (or file) from the archive, opening it
	 * again would follow it out of the destination */
	if (w->dest_replaced)
		return err_set(err, E_GENERIC,
		    "refusing to restore inside %s: the archive made it a symlink or file",
		    w->dest);
	if (mkdir(w->dest, 0700) < 0 && errno != EEXIST)
		return err_errno(err, E_RESTORE_DIR_NOT_FOUND,
		    "cannot create restore directory %s", w->dest);
	fd = open(w->dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_errno(err, E_RESTORE_DIR_NOT_FOUND,
		    "cannot open restore directory %s", w->dest);
	return push_frame(w, fd, "", err);
}

/* Remove what is in the way of creating ${name} (with --force or when
 * restoring over an older object of another type). */
static int
clear_name(struct rwriter *w, int dirfd, const char *name, const char *index,
    struct dupc_err *err)
{
	(void)w;
	if (rm_rf_at(dirfd, name) < 0 && errno != ENOENT)
		return err_errno(err, E_GENERIC, "cannot replace %s", index);
	return 0;
}

/*
 * Make the stack hold exactly the directories above ${index}, creating
 * missing ones, and return the directory fd and the last component.
 */
static int
descend(struct rwriter *w, const char *index, int *dirfd, const char **name,
    struct dupc_err *err)
{
	const char *slash = strrchr(index, '/');
	size_t plen = slash ? (size_t)(slash - index) : 0;
	char *parent;

	if (open_root(w, err) < 0)
		return -1;
	parent = strndup(index, plen);
	if (parent == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	while (w->depth > 1 &&
	       !index_is_within(parent, w->stack[w->depth - 1].index))
		pop_frame(w);
	while (strcmp(w->stack[w->depth - 1].index, parent) != 0) {
		const char *top = w->stack[w->depth - 1].index;
		size_t tl = strlen(top);
		const char *comp = parent + (tl ? tl + 1 : 0);
		const char *end = strchr(comp, '/');
		size_t cl = end ? (size_t)(end - comp) : strlen(comp);
		char *cname = strndup(comp, cl);
		char *cindex = strndup(parent, (size_t)(comp - parent) + cl);
		int fd;

		if (cname == NULL || cindex == NULL) {
			free(cname);
			free(cindex);
			free(parent);
			return err_set(err, E_GENERIC, "out of memory");
		}
		if (mkdirat(w->stack[w->depth - 1].fd, cname, 0700) < 0 &&
		    errno != EEXIST) {
			err_errno(err, E_GENERIC, "cannot create directory %s",
			    cindex);
			goto fail;
		}
		fd = openat(w->stack[w->depth - 1].fd, cname,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ELOOP || errno == ENOTDIR)
				err_set(err, E_GENERIC,
				    "refusing to restore below %s: it is a symlink or not a directory in the restore target",
				    cindex);
			else
				err_errno(err, E_GENERIC,
				    "cannot open directory %s", cindex);
			goto fail;
		}
		free(cname);
		if (push_frame(w, fd, cindex, err) < 0) {
			free(cindex);
			free(parent);
			return -1;
		}
		free(cindex);
		continue;
	fail:
		free(cname);
		free(cindex);
		free(parent);
		return -1;
	}
	free(parent);
	*dirfd = w->stack[w->depth - 1].fd;
	*name = slash ? slash + 1 : index;
	return 0;
}

static int
make_dir(struct rwriter *w, const char *index, const struct obj_meta *m,
    struct dupc_err *err)
{
	struct dir_frame *f;
	const char *name;
	int dirfd, fd;

	if (*index == '\0') {
		if (open_root(w, err) < 0)
			return -1;
		while (w->depth > 1)
			pop_frame(w);
		f = &w->stack[0];
	} else {
		if (descend(w, index, &dirfd, &name, err) < 0)
			return -1;
		if (mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST)
			return err_errno(err, E_GENERIC,
			    "cannot create directory %s", index);
		fd = openat(dirfd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && (errno == ELOOP || errno == ENOTDIR)) {
			/* something else is in the way: replace it */
			if (clear_name(w, dirfd, name, index, err) < 0)
				return -1;
			if (mkdirat(dirfd, name, 0700) < 0)
				return err_errno(err, E_GENERIC,
				    "cannot create directory %s", index);
			fd = openat(dirfd, name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (fd < 0)
			return err_errno(err, E_GENERIC,
			    "cannot open directory %s", index);
		if (push_frame(w, fd, index, err) < 0)
			return -1;
		f = &w->stack[w->depth - 1];
	}
	if (meta_copy(&f->meta, m) < 0)
		return err_set(err, E_GENERIC, "out of memory");
	f->have_meta = true;
	return 0;
}

/* Where a non-directory object named ${index} goes. */
static int
place(struct rwriter *w, const char *index, int *dirfd, const char **name,
    struct dupc_err *err)
{
	if (*index != '\0')
		return descend(w, index, dirfd, name, err);
	/* the destination itself is a file (--file-to-restore of a file);
	 * directories opened inside the old one are dropped, and nothing
	 * is restored inside it any more */
	while (w->depth > 0)
		pop_frame(w);
	w->dest_replaced = true;
	if (w->dest_parent < 0) {
		char *d = strdup(w->dest), *slash;

		if (d == NULL)
			return err_set(err, E_GENERIC, "out of memory");
		slash = strrchr(d, '/');
		if (slash == d)
			slash[1] = '\0';
		else if (slash != NULL)
			*slash = '\0';
		w->dest_parent =
		    open(slash ? d : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		free(d);
		if (w->dest_parent < 0)
			return err_errno(err, E_RESTORE_DIR_NOT_FOUND,
			    "cannot open the directory of %s", w->dest);
	}
	*dirfd = w->dest_parent;
	*name = strrchr(w->dest, '/') ? strrchr(w->dest, '/') + 1 : w->dest;
	return 0;
}

int
rwriter_object(struct rwriter *w, const char *index, const struct obj_meta *m,
    struct dupc_err *err)
{
	const char *name;
	int dirfd, rc;

	if (m->type == OBJ_DIR)
		rc = make_dir(w, index, m, err);
	else {
		if (place(w, index, &dirfd, &name, err) < 0)
			return -1;
		if (clear_name(w, dirfd, name, index, err) < 0)
			return -1;
		switch (m->type) {
		case OBJ_SYMLINK:
			rc = symlinkat(m->linkname ? m->linkname : "", dirfd,
			    name);
			break;
		case OBJ_FIFO:
			rc = mkfifoat(dirfd, name, 0600);
			break;
		case OBJ_CHR:
		case OBJ_BLK:
			if (!w->root) {
				log_warn(
				    "Not restoring device %s: only root can create device nodes",
				    index);
				return 0;
			}
			rc = mknodat(dirfd, name,
			    (m->type == OBJ_CHR ? S_IFCHR : S_IFBLK) | 0600,
			    makedev(m->devmajor, m->devminor));
			break;
		default:
			return err_set(err, E_GENERIC,
			    "cannot restore %s: unsupported object type",
			    index);
		}
		if (rc < 0)
			return err_errno(err, E_GENERIC, "cannot create %s",
			    *index ? index : w->dest);
		set_meta_at(w, dirfd, name, m, *index ? index : ".");
	}
	if (rc == 0)
		w->count++;
	return rc;
}

/* File content goes through a sparse writer: a file restored from a
 * sparse one (or holding long runs of zeros) stays small on disk. */
struct file_sink {
	struct sink base;
	struct sparse_writer *sw;
	const char *what;
};

static int
file_sink_write(struct sink *s, const void *p, size_t n, struct dupc_err *err)
{
	struct file_sink *fs = (struct file_sink *)s;

	if (sparse_write(fs->sw, p, n) < 0)
		return err_errno(err, E_GENERIC, "writing %s", fs->what);
	return 0;
}

static void
file_sink_free(struct sink *s)
{
	free(s);
}

static const struct sink_ops file_sink_ops = { file_sink_write, NULL,
	file_sink_free };

static struct sink *
new_file_sink(struct rwriter *w, struct dupc_err *err)
{
	struct file_sink *fs = calloc(1, sizeof(*fs));

	if (fs == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		return NULL;
	}
	fs->base.ops = &file_sink_ops;
	sparse_writer_init(&w->sw, w->fd);
	fs->sw = &w->sw;
	fs->what = w->index;
	sink_free(w->sink);
	w->sink = &fs->base;
	return w->sink;
}

struct sink *
rwriter_file_begin(struct rwriter *w, const char *index, struct dupc_err *err)
{
	const char *name;
	int dirfd;

	rwriter_file_abort(w);
	if (place(w, index, &dirfd, &name, err) < 0)
		return NULL;
	if (clear_name(w, dirfd, name, index, err) < 0)
		return NULL;
	w->fd = openat(dirfd, name,
	    O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (w->fd < 0) {
		err_errno(err, E_GENERIC, "cannot create %s",
		    *index ? index : w->dest);
		return NULL;
	}
	w->parent_fd = dirfd;
	w->name = strdup(name);
	w->index = strdup(*index ? index : ".");
	if (w->name == NULL || w->index == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		rwriter_file_abort(w);
		return NULL;
	}
	return new_file_sink(w, err);
}

/* Put a patched temporary file in place of the file it was made from. */
static int
commit_tmp(struct rwriter *w, struct dupc_err *err)
{
	if (w->tmp == NULL)
		return 0;
	if (renameat(w->parent_fd, w->tmp, w->parent_fd, w->name) < 0)
		return err_errno(err, E_GENERIC, "cannot replace %s", w->index);
	free(w->tmp);
	w->tmp = NULL;
	if (w->basis_fd >= 0)
		close(w->basis_fd);
	w->basis_fd = -1;
	return 0;
}

struct sink *
rwriter_patch_begin(struct rwriter *w, int *basis, struct dupc_err *err)
{
	char tmp[64];
	static unsigned long seq;
	int fd;

	if (w->fd < 0) {
		err_set(err, E_GENERIC, "no file to patch");
		return NULL;
	}
	if (commit_tmp(w, err) < 0)
		return NULL;
	/* the basis must have its full length, trailing hole included */
	if (sparse_writer_finish(&w->sw) < 0) {
		err_errno(err, E_GENERIC, "writing %s", w->index);
		return NULL;
	}
	for (;;) {
		snprintf(tmp, sizeof(tmp), ".dupc-patch.%ld.%lu",
		    (long)getpid(), seq++);
		fd = openat(w->parent_fd, tmp,
		    O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0) {
		err_errno(err, E_GENERIC, "cannot create a file to patch %s",
		    w->index);
		return NULL;
	}
	w->basis_fd = w->fd;
	w->fd = fd;
	w->tmp = strdup(tmp);
	if (w->tmp == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		return NULL;
	}
	*basis = w->basis_fd;
	return new_file_sink(w, err);
}

int
rwriter_patch_inplace(struct rwriter *w, int *fd, struct dupc_err *err)
{
	if (w->fd < 0)
		return err_set(err, E_GENERIC, "no file to patch");
	if (commit_tmp(w, err) < 0)
		return -1;
	if (sparse_writer_finish(&w->sw) < 0)
		return err_errno(err, E_GENERIC, "writing %s", w->index);
	*fd = w->fd;
	return 0;
}

void
rwriter_patch_inplace_end(struct rwriter *w, uint64_t len)
{
	/* the file is whole at that length: nothing left to extend */
	w->sw.pos = len;
	w->sw.written = len;
}

int
rwriter_file_end(struct rwriter *w, const struct obj_meta *m,
    struct dupc_err *err)
{
	int rc;

	if (w->fd < 0)
		return err_set(err, E_GENERIC, "no file being written");
	/* the length first: a truncate would change the mtime set below */
	if (sparse_writer_finish(&w->sw) < 0) {
		err_errno(err, E_GENERIC, "writing %s", w->index);
		rwriter_file_abort(w);
		return -1;
	}
	if (commit_tmp(w, err) < 0) {
		rwriter_file_abort(w);
		return -1;
	}
	set_meta_fd(w, w->fd, m, w->index);
	rc = close(w->fd);
	w->fd = -1;
	if (rc < 0) {
		err_errno(err, E_GENERIC, "writing %s", w->index);
		rwriter_file_abort(w);
		return -1;
	}
	w->count++;
	rwriter_file_abort(w); /* releases the name, nothing on disk */
	return 0;
}

void
rwriter_file_abort(struct rwriter *w)
{
	if (w->tmp != NULL) {
		unlinkat(w->parent_fd, w->tmp, 0);
		free(w->tmp);
		w->tmp = NULL;
	}
	if (w->fd >= 0)
		close(w->fd);
	if (w->basis_fd >= 0)
		close(w->basis_fd);
	w->fd = w->basis_fd = -1;
	sink_free(w->sink);
	w->sink = NULL;
	free(w->name);
	free(w->index);
	w->name = w->index = NULL;
}

int
rwriter_finish(struct rwriter *w, struct dupc_err *err)
{
	(void)err;
	rwriter_file_abort(w);
	while (w->depth > 0)
		pop_frame(w);
	return 0;
}

uint64_t
rwriter_count(const struct rwriter *w)
{
	return w->count;
}

void
rwriter_free(struct rwriter *w)
{
	if (w == NULL)
		return;
	rwriter_file_abort(w);
	while (w->depth > 0) {
		struct dir_frame *f = &w->stack[--w->depth];

		close(f->fd);
		free(f->index);
		meta_release(&f->meta);
	}
	free(w->stack);
	if (w->dest_parent >= 0)
		close(w->dest_parent);
	free(w->dest);
	free(w);
}
