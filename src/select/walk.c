/*
 * Tree walk.  Directories are opened with openat(O_NOFOLLOW) relative to
 * their parent, so a directory swapped for a symlink during the walk is
 * never followed, and paths longer than PATH_MAX work: no full path is
 * ever handed to the kernel.
 *
 * What cannot be backed up is reported as duplicity's selection.py and
 * robust.py report it, naming the full path (the canonical source path
 * joined with the index): a socket is skipped (INFO 15), an object that
 * cannot be examined (WARNING 9) or a file or directory that cannot be
 * read (WARNING 10) is left out and counted, a directory that cannot be
 * listed is kept empty and counted.
 */
#define _GNU_SOURCE
#include "select/walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "select/select.h"
#include "select/select_internal.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/faultpoint.h"
#include "util/log.h"
#include "util/owner.h"

#define MAX_DEPTH 4096
#define MAX_INDEX (1u << 20)

struct frame {
	int fd;
	char **names;
	size_t n, next;
	char *index;  /* this directory's index */
	bool pending; /* not yet emitted (SEL_SCAN) */
	struct obj_meta meta;
	uint64_t dev;
	int parent_fd;
	char *name;
};

struct walker {
	const struct selection *sel;
	struct frame *frames;
	size_t depth, cap;
	bool started;
	uint64_t errors;
	char *root;
	char *croot;        /* canonical root, for messages */
	struct buf msgpath; /* scratch: a full path for a message */
	char quoted[1024];  /* scratch: its --log-fd form */
	/* the entry handed out */
	struct walk_entry cur;
	struct buf index;
	/* an entry found below pending directories, emitted after them */
	bool stashed;
	struct walk_entry stash;
	struct buf stash_index;
	char *stash_name;
};

static int
name_cmp(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;

	return strcmp(x, y); /* strcmp compares as unsigned char */
}

static void
free_names(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The full path of ${index} as duplicity names it in messages:
 * os.path.join(canonical root, index).  Borrowed until the next call. */
static const char *
full_path(struct walker *w, const char *index)
{
	bool sep = *index != '\0' && strcmp(w->croot, "/") != 0;

	buf_reset(&w->msgpath);
	if (buf_addstr(&w->msgpath, w->croot) < 0 ||
	    (sep && buf_addch(&w->msgpath, '/') < 0) ||
	    buf_addstr(&w->msgpath, index) < 0)
		return index; /* too long to join: the index says enough */
	return buf_str(&w->msgpath);
}

/* Log "${what} <full path>" about the object at ${index}, with the
 * quoted full path as the --log-fd extra when ${extra}. */
static void
report(struct walker *w, int level, int code, bool extra, const char *what,
    const char *index)
{
	const char *path = full_path(w, index);

	log_msg(level, code,
	    extra ? log_quote_path(path, w->quoted, sizeof(w->quoted)) : NULL,
	    "%s %s", what, path);
}

/* Read and sort the names in directory ${fd} (which is consumed into a
 * DIR stream on a dup, so ${fd} stays usable for openat). */
static int
list_dir(int fd, char ***namesp, size_t *np)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int dfd = dup(fd);
	DIR *d;

	if (dfd < 0)
		return -1;
	d = fdopendir(dfd);
	if (d == NULL) {
		close(dfd);
		return -1;
	}
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			char **p = realloc(names,
			    (cap ? cap * 2 : 64) * sizeof(*names));

			if (p == NULL)
				goto fail;
			names = p;
			cap = cap ? cap * 2 : 64;
		}
		if ((names[n] = strdup(de->d_name)) == NULL)
			goto fail;
		n++;
		errno = 0;
	}
	if (errno != 0)
		goto fail;
	closedir(d);
	/* an empty directory leaves names NULL, which qsort may not get */
	if (n > 1)
		qsort(names, n, sizeof(*names), name_cmp);
	*namesp = names;
	*np = n;
	return 0;
fail : {
	int e = errno ? errno : ENOMEM;

	closedir(d);
	free_names(names, n);
	errno = e;
}
	return -1;
}

/* The target of symlink ${name}, whole even if it grew since its lstat
 * (${hint} bytes then); a string the caller frees, or NULL with errno. */
static char *
read_link(int dirfd, const char *name, size_t hint)
{
	size_t cap = hint < 255 ? 256 : hint + 1;

	for (;;) {
		char *link;
		ssize_t r;

		if (cap > META_LINK_MAX)
			cap = META_LINK_MAX;
		if ((link = malloc(cap)) == NULL)
			return NULL;
		r = readlinkat(dirfd, name, link, cap);
		if (r >= 0 && (size_t)r < cap) {
			link[r] = '\0';
			return link;
		}
		free(link);
		if (r < 0)
			return NULL;
		if (cap == META_LINK_MAX) {
			errno = ENAMETOOLONG;
			return NULL;
		}
		cap *= 2;
	}
}

static int
stat_meta(int dirfd, const char *name, struct obj_meta *m, uint64_t *dev)
{
	struct stat st;
	char uname[META_NAME_MAX], gname[META_NAME_MAX];
	char *link = NULL;
	int rc;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	if (S_ISLNK(st.st_mode) &&
	    (link = read_link(dirfd, name,
		 st.st_size > 0 ? (size_t)st.st_size : 0)) == NULL)
		return -1;
	owner_names(st.st_uid, st.st_gid, uname, gname);
	rc = meta_from_stat(m, &st, link, uname, gname);
	free(link);
	*dev = (uint64_t)st.st_dev;
	return rc;
}

struct walker *
walk_new(const char *root, const struct selection *sel, struct dupc_err *err)
{
	struct walker *w = calloc(1, sizeof(*w));
	struct stat st;

	if (w == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		return NULL;
	}
	w->sel = sel;
	buf_init(&w->index, MAX_INDEX);
	buf_init(&w->msgpath, MAX_INDEX + 4096);
	buf_init(&w->stash_index, MAX_INDEX);
	meta_init(&w->cur.meta);
	meta_init(&w->stash.meta);
	/* any object: a file, a link or a device is walked alone, as
	 * duplicity backs up and verifies a source that is no directory */
	if (lstat(root, &st) < 0) {
		err_set(err, E_BACKUP_DIR_DOESNT_EXIST,
		    "source %s does not exist", root);
		walk_free(w);
		return NULL;
	}
	w->root = strdup(root);
	w->croot = select_canonical_root(root);
	if (w->root == NULL || w->croot == NULL) {
		walk_free(w);
		err_set(err, E_GENERIC, "out of memory");
		return NULL;
	}
	return w;
}

static int
push_frame(struct walker *w, int fd, const char *index, bool pending,
    const struct obj_meta *meta, uint64_t dev, int parent_fd, const char *name)
{
	struct frame *f;

	if (w->depth == w->cap) {
		struct frame *p;

		if (w->cap >= MAX_DEPTH) {
			errno = ELOOP;
			return -1;
		}
		p = realloc(w->frames, (w->cap ? w->cap * 2 : 16) * sizeof(*p));
		if (p == NULL)
			return -1;
		w->frames = p;
		w->cap = w->cap ? w->cap * 2 : 16;
	}
	f = &w->frames[w->depth];
	memset(f, 0, sizeof(*f));
	meta_init(&f->meta);
	f->fd = fd;
	f->parent_fd = parent_fd;
	f->pending = pending;
	f->dev = dev;
	f->index = strdup(index);
	f->name = strdup(name);
	if (f->index == NULL || f->name == NULL ||
	    meta_copy(&f->meta, meta) < 0) {
		free(f->index);
		free(f->name);
		return -1;
	}
	if (list_dir(fd, &f->names, &f->n) < 0) {
		/* robust.listpath(): a warning, and the directory is empty */
		report(w, LOG_WARNING, WARN_GENERIC, false,
		    "Error listing directory", index);
		w->errors++;
		f->names = NULL;
		f->n = 0;
	}
	w->depth++;
	return 0;
}

static void
pop_frame(struct walker *w)
{
	struct frame *f = &w->frames[--w->depth];

	close(f->fd);
	free_names(f->names, f->n);
	free(f->index);
	free(f->name);
	meta_release(&f->meta);
}

/* Hand out ${meta} at ${index} as the current entry. */
static int
set_current(struct walker *w, const char *index, const struct obj_meta *meta,
    uint64_t dev, int parent_fd, const char *name)
{
	buf_reset(&w->index);
	if (buf_addstr(&w->index, index) < 0 ||
	    meta_copy(&w->cur.meta, meta) < 0)
		return -1;
	w->cur.index = buf_str(&w->index);
	w->cur.dev = dev;
	w->cur.parent_fd = parent_fd;
	w->cur.name = name;
	return 0;
}

/* The lowest directory still waiting to be emitted, or NULL. */
static struct frame *
first_pending(struct walker *w)
{
	size_t i;

	for (i = 0; i < w->depth; i++)
		if (w->frames[i].pending)
			return &w->frames[i];
	return NULL;
}

static int
start(struct walker *w, const struct walk_entry **ep, struct dupc_err *err)
{
	struct obj_meta m;
	uint64_t dev;
	int fd;

	w->started = true;
	meta_init(&m);
	if (stat_meta(AT_FDCWD, w->root, &m, &dev) == 0 && m.type != OBJ_DIR) {
		/* a root that is no directory is the whole walk, opened by
		 * its path (walk_open, O_NOFOLLOW) */
		if (set_current(w, "", &m, dev, AT_FDCWD, w->root) < 0) {
			meta_release(&m);
			return err_set(err, E_GENERIC, "out of memory");
		}
		meta_release(&m);
		*ep = &w->cur;
		return 1;
	}
	meta_release(&m);
	meta_init(&m);
	fd = open(w->root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || stat_meta(AT_FDCWD, w->root, &m, &dev) < 0) {
		if (fd >= 0)
			close(fd);
		meta_release(&m);
		return err_errno(err, E_BACKUP_DIR_DOESNT_EXIST,
		    "cannot read source directory %s", w->root);
	}
	if (push_frame(w, fd, "", false, &m, dev, -1, ".") < 0 ||
	    set_current(w, "", &m, dev, -1, ".") < 0) {
		close(fd);
		meta_release(&m);
		return err_set(err, E_GENERIC, "out of memory");
	}
	meta_release(&m);
	*ep = &w->cur;
	return 1;
}

/*
 * lstat, then what duplicity's selection.py decides before it yields a
 * path: sockets are skipped, the selection is asked, and a file or
 * directory that cannot be read is left out.  Returns 1 to keep ${m}
 * (*${selp} set), 0 to skip the object.
 */
static int
examine(struct walker *w, int dirfd, const char *name, const char *index,
    struct obj_meta *m, uint64_t *dev, enum select_result *selp)
{
	enum select_result sel;

	faultpoint("walk-lstat");
	if (stat_meta(dirfd, name, m, dev) < 0) {
		report(w, LOG_WARNING, WARN_CANNOT_STAT, true,
		    "Error accessing possibly locked file", index);
		w->errors++;
		return 0;
	}
	if (m->type == OBJ_SOCK) {
		/* before selection: duplicity's Path() refuses a socket */
		report(w, LOG_INFO, INFO_SKIPPING_SOCKET, true,
		    "Skipping socket", index);
		return 0;
	}
	sel = w->sel ? selection_check(w->sel, index, m, *dev, dirfd, name)
		     : SEL_INCLUDE;
	if (sel == SEL_EXCLUDE || (sel == SEL_SCAN && m->type != OBJ_DIR))
		return 0;
	if ((m->type == OBJ_REG || m->type == OBJ_DIR) &&
	    faccessat(dirfd, name, R_OK, 0) < 0) {
		/* os.access(R_OK) fails: left out, counted in Errors */
		report(w, LOG_WARNING, WARN_CANNOT_READ, true,
		    "Error accessing possibly locked file", index);
		w->errors++;
		return 0;
	}
	*selp = sel;
	return 1;
}

/* Open directory ${name} and push its frame.  Returns 1 when the
 * directory itself is to be emitted now, 0 when not (pending until
 * something below is included, or not listed), -1 fatal. */
static int
enter_dir(struct walker *w, int dirfd, const char *name, const char *index,
    const struct obj_meta *m, uint64_t dev, enum select_result sel,
    struct dupc_err *err)
{
	int fd = openat(dirfd, name,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		/* kept, empty, as robust.listpath() keeps it */
		report(w, LOG_WARNING, WARN_GENERIC, false,
		    "Error listing directory", index);
		w->errors++;
		return sel == SEL_SCAN ? 0 : 1;
	}
	if (push_frame(w, fd, index, sel == SEL_SCAN, m, dev, dirfd, name) <
	    0) {
		close(fd);
		return err_set(err, E_GENERIC,
		    "cannot descend into %s: out of memory or too deep", index);
	}
	return sel == SEL_SCAN ? 0 : 1;
}

/* Examine one name of the top frame.  Returns 1 with an entry to emit
 * (possibly stashed behind pending parents), 0 to go on, -1 fatal. */
static int
visit(struct walker *w, struct frame *f, const char *name, struct dupc_err *err)
{
	struct obj_meta m;
	struct buf idx;
	uint64_t dev = 0;
	enum select_result sel = SEL_INCLUDE;
	int rc = 0, parent = f->fd;

	meta_init(&m);
	buf_init(&idx, MAX_INDEX);
	if ((*f->index &&
		(buf_addstr(&idx, f->index) < 0 || buf_addch(&idx, '/') < 0)) ||
	    buf_addstr(&idx, name) < 0) {
		rc =
		    err_set(err, E_GENERIC, "path too long under %s", f->index);
		goto out;
	}
	if (!examine(w, parent, name, buf_str(&idx), &m, &dev, &sel))
		goto out;
	/* ${f} may move with the frame stack: not used below */
	f = NULL;
	if (m.type == OBJ_DIR && (rc = enter_dir(w, parent, name, buf_str(&idx),
				      &m, dev, sel, err)) <= 0)
		goto out;
	/* stash it; the caller emits pending parents first */
	buf_reset(&w->stash_index);
	free(w->stash_name);
	w->stash_name = strdup(name);
	if (w->stash_name == NULL ||
	    buf_addstr(&w->stash_index, buf_str(&idx)) < 0 ||
	    meta_copy(&w->stash.meta, &m) < 0) {
		rc = err_set(err, E_GENERIC, "out of memory");
		goto out;
	}
	w->stash.dev = dev;
	w->stash.parent_fd = parent;
	w->stashed = true;
	rc = 1;
out:
	meta_release(&m);
	buf_release(&idx);
	return rc;
}

int
walk_next(struct walker *w, const struct walk_entry **ep, struct dupc_err *err)
{
	if (!w->started)
		return start(w, ep, err);
	for (;;) {
		struct frame *f, *p;
		int rc;

		if (w->stashed) {
			p = first_pending(w);
			if (p != NULL) {
				p->pending = false;
				if (set_current(w, p->index, &p->meta, p->dev,
					p->parent_fd, p->name) < 0)
					return err_set(err, E_GENERIC,
					    "out of memory");
				*ep = &w->cur;
				return 1;
			}
			w->stashed = false;
			if (set_current(w, buf_str(&w->stash_index),
				&w->stash.meta, w->stash.dev,
				w->stash.parent_fd, w->stash_name) < 0)
				return err_set(err, E_GENERIC, "out of memory");
			*ep = &w->cur;
			return 1;
		}
		if (w->depth == 0)
			return 0;
		f = &w->frames[w->depth - 1];
		if (f->next >= f->n) {
			pop_frame(w);
			continue;
		}
		rc = visit(w, f, f->names[f->next++], err);
		if (rc < 0)
			return -1;
	}
}

int
walk_open(struct walker *w, const struct walk_entry *e, struct dupc_err *err)
{
	const int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
	struct stat st;
	int fd;

	faultpoint("walk-open");
	fd = openat(e->parent_fd, e->name, flags | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = openat(e->parent_fd, e->name, flags);
	/* O_NONBLOCK: a file replaced by a fifo since its lstat must not
	 * block the backup; it is refused here, as anything not regular */
	if (fd >= 0 && fstat(fd, &st) < 0) {
		int en = errno;

		close(fd);
		fd = -1;
		errno = en;
	} else if (fd >= 0 && !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(err, E_GENERIC,
		    "'%s' is no longer a regular file", full_path(w, e->index));
	}
	if (fd < 0) {
		int en = errno;

		/* the text of duplicity's exception, for its "Error %s
		 * getting delta for %s" */
		err_set(err, E_GENERIC, "[Errno %d] %s: '%s'", en, strerror(en),
		    full_path(w, e->index));
		err->errnum = en;
		return -1;
	}
	return fd;
}

uint64_t
walk_errors(const struct walker *w)
{
	return w->errors;
}

void
walk_count_error(struct walker *w)
{
	w->errors++;
}

void
walk_free(struct walker *w)
{
	if (w == NULL)
		return;
	while (w->depth > 0)
		pop_frame(w);
	free(w->frames);
	free(w->root);
	free(w->croot);
	free(w->stash_name);
	buf_release(&w->index);
	buf_release(&w->msgpath);
	buf_release(&w->stash_index);
	meta_release(&w->cur.meta);
	meta_release(&w->stash.meta);
	free(w);
}
