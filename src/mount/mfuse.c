/*
 * The FUSE side of the mount (libfuse3's low-level API; the only file
 * that includes its headers).  Inode numbers are computed, not stored:
 * 1 is the mount's root, 2 the "latest" symlink, and a path of a time
 * folder is (folder + 1) << 40 | node, its node id in the chain's tree.
 * So the kernel may forget and ask again at will, and no request needs
 * memory that grows with the tree.
 *
 * Everything is read-only and immutable: names, directories and exact
 * attributes are given long timeouts.  A regular file's size is exact
 * once it has been read (until then it is the signature's upper bound,
 * given with no timeout, so the kernel asks again).  Opening a regular
 * file builds its content in the cache (mcache.c) before the open
 * returns; reads are served from it by the kernel's page cache.
 *
 * Nothing here follows a symlink or looks anything up outside the
 * trees: a symlink is shown as the link the archive holds, a name is a
 * component of an indexed path (never "", "." or ".."), and a path below
 * something that is not a directory at that time is not shown.
 */
#define _GNU_SOURCE
#define FUSE_USE_VERSION 35
#include "mount/mount_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fuse_lowlevel.h>

#include "engine/engine.h"
#include "format/collection.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/interrupt.h"
#include "util/log.h"
#include "util/url.h"

#define INO_ROOT FUSE_ROOT_ID
#define INO_LATEST 2
#define NODE_BITS 40
#define NODE_MASK ((UINT64_C(1) << NODE_BITS) - 1)
#define TIMEOUT 86400.0

extern char **environ;

struct handle {
	struct mentry *e;
	uint64_t size;
};

/* What an inode of a time folder names. */
struct place {
	struct mfolder *f;
	struct mtree *t;
	struct mnode n;
	struct mver v;
	bool exists;  /* v is valid */
	bool blocked; /* a folder whose root the archive made no directory:
		       * nothing is shown below it, as a restore refuses it */
};

static struct mount *
mount_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static fuse_ino_t
ino_of(size_t folder, uint64_t node)
{
	return (fuse_ino_t)(folder + 1) << NODE_BITS | node;
}

/* 0 and the place of ${ino}, or a negative errno. */
static int
locate(struct mount *m, fuse_ino_t ino, struct place *p)
{
	uint64_t f = ino >> NODE_BITS;
	int r;

	if (f == 0 || f > m->nfolders)
		return -ENOENT;
	p->f = &m->folders[f - 1];
	p->t = &m->trees[p->f->tree];
	if (mtree_node(p->t, ino & NODE_MASK, &p->n) < 0)
		return -ENOENT;
	r = mtree_version(p->t, &p->n, p->f->set, &p->v);
	if (r < 0)
		return -EIO;
	p->exists = r == 1;
	p->blocked = false;
	/* a folder is always a directory, whatever its root was */
	if (p->n.id == 0 && (!p->exists || p->v.type != OBJ_DIR)) {
		p->blocked = p->exists;
		p->exists = false;
	} else if (!p->exists) {
		return -ENOENT;
	}
	return 0;
}

static bool
is_dir(const struct place *p)
{
	return p->n.id == 0 || p->v.type == OBJ_DIR;
}

static mode_t
type_bits(enum obj_type t)
{
	switch (t) {
	case OBJ_REG:
		return S_IFREG;
	case OBJ_DIR:
		return S_IFDIR;
	case OBJ_SYMLINK:
		return S_IFLNK;
	case OBJ_FIFO:
		return S_IFIFO;
	case OBJ_CHR:
		return S_IFCHR;
	case OBJ_BLK:
		return S_IFBLK;
	case OBJ_SOCK:
		return S_IFSOCK;
	case OBJ_NONE:
		break;
	}
	return S_IFREG;
}

static void
set_time(struct stat *st, int64_t t)
{
	st->st_mtim.tv_sec = (time_t)t;
	st->st_atim = st->st_mtim;
	st->st_ctim = st->st_mtim;
}

/* A directory dupc makes up: the root, the folders, a missing root. */
static void
made_up_dir(struct stat *st, fuse_ino_t ino, int64_t t)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = S_IFDIR | 0555;
	st->st_nlink = 1; /* "unknown", so find does not count subdirs */
	st->st_uid = geteuid();
	st->st_gid = getegid();
	set_time(st, t);
}

/* The attributes of a place, and how long the kernel may keep them. */
static void
place_attr(const struct place *p, fuse_ino_t ino, struct stat *st,
    double *timeout)
{
	const struct mver *v = &p->v;

	*timeout = TIMEOUT;
	if (!p->exists) {
		made_up_dir(st, ino, p->f->time);
		return;
	}
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = type_bits(v->type) | (v->mode & 07777);
	st->st_nlink = 1;
	st->st_uid = (uid_t)v->uid;
	st->st_gid = (gid_t)v->gid;
	set_time(st, v->mtime);
	if (v->type == OBJ_REG) {
		st->st_size = (off_t)v->size;
		if (!v->size_exact)
			*timeout = 0;
	} else if (v->type == OBJ_SYMLINK) {
		st->st_size = (off_t)v->link_len;
	} else if (v->type == OBJ_CHR || v->type == OBJ_BLK) {
		st->st_rdev = makedev(v->devmajor, v->devminor);
	}
	st->st_blksize = 4096;
	st->st_blocks = (st->st_size + 511) / 512;
}

static void
root_attr(struct mount *m, fuse_ino_t ino, struct stat *st)
{
	made_up_dir(st, ino,
	    m->nfolders ? m->folders[m->nfolders - 1].time : 0);
	if (ino == INO_LATEST) {
		st->st_mode = S_IFLNK | 0777;
		st->st_size =
		    m->nfolders
			? (off_t)strlen(m->folders[m->nfolders - 1].name)
			: 0;
	}
}

static void
op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct mount *m = mount_of(req);
	struct place p;
	struct stat st;
	double timeout = TIMEOUT;
	int r;

	(void)fi;
	if (ino == INO_ROOT || ino == INO_LATEST) {
		root_attr(m, ino, &st);
	} else {
		if ((r = locate(m, ino, &p)) < 0) {
			fuse_reply_err(req, -r);
			return;
		}
		place_attr(&p, ino, &st, &timeout);
	}
	fuse_reply_attr(req, &st, timeout);
}

static void
reply_entry(fuse_req_t req, fuse_ino_t ino, const struct stat *st,
    double attr_timeout)
{
	struct fuse_entry_param e;

	memset(&e, 0, sizeof(e));
	e.ino = ino;
	e.attr = *st;
	e.attr_timeout = attr_timeout;
	e.entry_timeout = TIMEOUT;
	fuse_reply_entry(req, &e);
}

/* No such name, and the kernel may remember that. */
static void
reply_none(fuse_req_t req)
{
	struct fuse_entry_param e;

	memset(&e, 0, sizeof(e));
	e.entry_timeout = TIMEOUT;
	fuse_reply_entry(req, &e);
}

static void
lookup_root(fuse_req_t req, struct mount *m, const char *name)
{
	struct stat st;
	size_t i;

	if (strcmp(name, "latest") == 0 && m->nfolders > 0) {
		root_attr(m, INO_LATEST, &st);
		reply_entry(req, INO_LATEST, &st, TIMEOUT);
		return;
	}
	for (i = 0; i < m->nfolders; i++) {
		if (strcmp(name, m->folders[i].name) == 0) {
			fuse_ino_t ino = ino_of(i, 0);
			struct place p;
			double timeout;

			if (locate(m, ino, &p) < 0) {
				fuse_reply_err(req, EIO);
				return;
			}
			place_attr(&p, ino, &st, &timeout);
			reply_entry(req, ino, &st, timeout);
			return;
		}
	}
	reply_none(req);
}

static void
op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct mount *m = mount_of(req);
	struct place dir, p;
	struct stat st;
	uint64_t child;
	double timeout;
	int r;

	if (parent == INO_ROOT) {
		lookup_root(req, m, name);
		return;
	}
	if ((r = locate(m, parent, &dir)) < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	if (!is_dir(&dir)) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	if (dir.blocked) {
		reply_none(req);
		return;
	}
	r = mtree_lookup(dir.t, &dir.n, name, &child);
	if (r < 0) {
		fuse_reply_err(req, EIO);
		return;
	}
	if (r == 0 ||
	    locate(m, ino_of((size_t)(dir.f - m->folders), child), &p) < 0) {
		reply_none(req);
		return;
	}
	place_attr(&p, ino_of((size_t)(dir.f - m->folders), child), &st,
	    &timeout);
	reply_entry(req, ino_of((size_t)(dir.f - m->folders), child), &st,
	    timeout);
}

/* Add one entry to a readdir reply; false when it does not fit. */
static bool
add_entry(fuse_req_t req, char *buf, size_t size, size_t *used,
    const char *name, fuse_ino_t ino, mode_t mode, off_t next)
{
	struct stat st;
	size_t n;

	memset(&st, 0, sizeof(st));
	st.st_ino = ino;
	st.st_mode = mode;
	n = fuse_add_direntry(req, buf + *used, size - *used, name, &st, next);
	if (n > size - *used)
		return false;
	*used += n;
	return true;
}

static void
readdir_root(fuse_req_t req, struct mount *m, char *buf, size_t size, off_t off)
{
	size_t used = 0, i = (size_t)off;

	for (; i < m->nfolders + 3; i++) {
		bool ok;

		if (i == 0)
			ok = add_entry(req, buf, size, &used, ".", INO_ROOT,
			    S_IFDIR, 1);
		else if (i == 1)
			ok = add_entry(req, buf, size, &used, "..", INO_ROOT,
			    S_IFDIR, 2);
		else if (i < m->nfolders + 2)
			ok = add_entry(req, buf, size, &used,
			    m->folders[i - 2].name, ino_of(i - 2, 0), S_IFDIR,
			    (off_t)i + 1);
		else
			ok = m->nfolders == 0 ||
			     add_entry(req, buf, size, &used, "latest",
				 INO_LATEST, S_IFLNK, (off_t)i + 1);
		if (!ok)
			break;
	}
	fuse_reply_buf(req, buf, used);
}

/*
 * The children of a directory are the nodes of its subtree whose parent
 * it is, found by skipping each child's own subtree.  The offset of the
 * entry after a child is where that skip lands, plus 3 (0 to 2 are
 * ".", ".." and the first child).
 */
static int
readdir_node(fuse_req_t req, struct mount *m, struct place *dir, char *buf,
    size_t size, off_t off, size_t *used)
{
	size_t fi = (size_t)(dir->f - m->folders);
	uint64_t pos = off <= 2 ? dir->n.id + 1 : (uint64_t)off - 3;
	struct buf path;
	int rc = 0;

	buf_init(&path, (size_t)1 << 20);
	if (off == 0 && !add_entry(req, buf, size, used, ".",
			    ino_of(fi, dir->n.id), S_IFDIR, 1))
		goto out;
	if (off <= 1 && !add_entry(req, buf, size, used, "..",
			    dir->n.parent == MNODE_NONE || dir->n.id == 0
				? INO_ROOT
				: ino_of(fi, dir->n.parent),
			    S_IFDIR, (off_t)(dir->n.id + 1 + 3)))
		goto out;
	if (dir->blocked || pos <= dir->n.id || pos > dir->n.subtree_end)
		goto out;
	while (pos < dir->n.subtree_end) {
		struct mnode c;
		struct mver v;
		const char *name;
		int r;

		if (mtree_node(dir->t, pos, &c) < 0 ||
		    (r = mtree_version(dir->t, &c, dir->f->set, &v)) < 0 ||
		    mtree_path(dir->t, &c, &path) < 0) {
			rc = -EIO;
			goto out;
		}
		if (c.parent == dir->n.id && r == 1) {
			name = strrchr(buf_str(&path), '/');
			name = name ? name + 1 : buf_str(&path);
			if (!add_entry(req, buf, size, used, name,
				ino_of(fi, c.id), type_bits(v.type),
				(off_t)(c.subtree_end + 3)))
				goto out;
		}
		pos = c.subtree_end;
	}
out:
	buf_release(&path);
	return rc;
}

static void
op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	struct mount *m = mount_of(req);
	struct place dir;
	size_t used = 0;
	char *buf;
	int r;

	(void)fi;
	if (size > (size_t)1 << 20)
		size = (size_t)1 << 20;
	buf = malloc(size);
	if (buf == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (ino == INO_ROOT) {
		readdir_root(req, m, buf, size, off);
	} else if ((r = locate(m, ino, &dir)) < 0) {
		fuse_reply_err(req, -r);
	} else if (!is_dir(&dir)) {
		fuse_reply_err(req, ENOTDIR);
	} else if ((r = readdir_node(req, m, &dir, buf, size, off, &used)) <
		   0) {
		fuse_reply_err(req, -r);
	} else {
		fuse_reply_buf(req, buf, used);
	}
	free(buf);
}

static void
op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct mount *m = mount_of(req);
	struct place p;
	struct buf target;
	int r;

	if (ino == INO_LATEST && m->nfolders > 0) {
		fuse_reply_readlink(req, m->folders[m->nfolders - 1].name);
		return;
	}
	if ((r = locate(m, ino, &p)) < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	if (!p.exists || p.v.type != OBJ_SYMLINK) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	buf_init(&target, (size_t)1 << 20);
	if (mtree_link(p.t, &p.v, &target) < 0)
		fuse_reply_err(req, EIO);
	else
		fuse_reply_readlink(req, buf_str(&target));
	buf_release(&target);
}

/* Build (or find) the content of the file at ${p}. */
static int
open_content(struct mount *m, struct place *p, struct handle *h)
{
	struct mfile_key key;
	struct dupc_err err;
	struct buf path;
	int rc = 0;

	err_clear(&err);
	buf_init(&path, (size_t)1 << 20);
	key.tree = (uint32_t)(p->t - m->trees);
	key.node = p->n.id;
	key.version = p->v.index;
	if (mtree_path(p->t, &p->n, &path) < 0) {
		rc = -EIO;
		goto out;
	}
	if (mcache_open(m->cache, m->s, &key, buf_str(&path),
		p->t->times[p->v.set], &h->e, &h->size, &err) < 0) {
		log_warn("Cannot read %s/%s: %s", p->f->name, buf_str(&path),
		    err.msg);
		rc = -EIO;
		goto out;
	}
	if (!p->v.size_exact || p->v.size != h->size)
		mtree_set_size(p->t, &p->v, h->size);
out:
	buf_release(&path);
	return rc;
}

static void
op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct mount *m = mount_of(req);
	struct handle *h;
	struct place p;
	int r;

	if ((fi->flags & O_ACCMODE) != O_RDONLY) {
		fuse_reply_err(req, EROFS);
		return;
	}
	if (ino == INO_ROOT || ino == INO_LATEST) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if ((r = locate(m, ino, &p)) < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	if (!p.exists || p.v.type != OBJ_REG) {
		fuse_reply_err(req, is_dir(&p) ? EISDIR : EINVAL);
		return;
	}
	h = calloc(1, sizeof(*h));
	if (h == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if ((r = open_content(m, &p, h)) < 0) {
		free(h);
		fuse_reply_err(req, -r);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)h;
	/* the content of a backup never changes */
	fi->keep_cache = 1;
	if (fuse_reply_open(req, fi) != 0) {
		mcache_close(m->cache, h->e);
		free(h);
	}
}

static void
op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	struct fuse_bufvec bv = FUSE_BUFVEC_INIT(0);

	(void)ino;
	if (off < 0 || (uint64_t)off >= h->size) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	if ((uint64_t)off + size > h->size)
		size = (size_t)(h->size - (uint64_t)off);
	bv.buf[0].size = size;
	bv.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	bv.buf[0].fd = mcache_fd(h->e);
	bv.buf[0].pos = off;
	fuse_reply_data(req, &bv, 0);
}

static void
op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct mount *m = mount_of(req);
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;

	(void)ino;
	mcache_close(m->cache, h->e);
	free(h);
	fuse_reply_err(req, 0);
}

static void
op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct mount *m = mount_of(req);
	struct statvfs sv;
	size_t i;

	(void)ino;
	memset(&sv, 0, sizeof(sv));
	sv.f_bsize = sv.f_frsize = 4096;
	sv.f_namemax = 255;
	for (i = 0; i < m->ntrees; i++)
		sv.f_files += m->trees[i].nnodes;
	fuse_reply_statfs(req, &sv);
}

static const struct fuse_lowlevel_ops ops = {
	.lookup = op_lookup,
	.getattr = op_getattr,
	.readlink = op_readlink,
	.open = op_open,
	.read = op_read,
	.release = op_release,
	.readdir = op_readdir,
	.statfs = op_statfs,
};

/* --- serving --- */

struct watch {
	struct mount *m;
	struct fuse_session *se;
	const char *mountpoint;
	struct stat under; /* the mount point before mounting */
	pthread_t loop_thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;
};

/* Unmount lazily, so the loop ends once no reader is left inside. */
static void
detach(const char *mountpoint)
{
	char *argv[] = { (char *)"fusermount3", (char *)"-u", (char *)"-z",
		(char *)mountpoint, NULL };
	pid_t pid;
	int st;

	if (geteuid() == 0) {
		umount2(mountpoint, MNT_DETACH);
		return;
	}
	if (posix_spawnp(&pid, "fusermount3", NULL, NULL, argv, environ) == 0)
		waitpid(pid, &st, 0);
}

/*
 * The mount point shows what it showed before mounting: unmounted here.
 * (Another mount namespace made while the mount was up keeps a copy of
 * it, and with it the FUSE connection, so the loop would not end.)
 */
static bool
unmounted(const struct watch *w)
{
	struct stat st;

	return stat(w->mountpoint, &st) == 0 && st.st_dev == w->under.st_dev &&
	       st.st_ino == w->under.st_ino;
}

/* An interrupted wait is all a wake-up needs. */
static void
on_wake(int sig)
{
	(void)sig;
}

/*
 * Signal handlers only set a flag (util/interrupt.c): this thread sees
 * it, or the mount point unmounted, and ends the loop: builds under way
 * are told to stop, the session is marked as ended, and the loop's
 * thread is woken from its wait (libfuse then cancels its idle workers).
 */
static void *
watcher(void *arg)
{
	struct watch *w = arg;

	pthread_mutex_lock(&w->mu);
	while (!w->done) {
		struct timespec ts;
		bool intr = interrupted() != 0;

		if (intr || unmounted(w)) {
			mcache_stop(w->m->cache);
			fuse_session_exit(w->se);
			pthread_mutex_unlock(&w->mu);
			if (intr)
				detach(w->mountpoint);
			pthread_kill(w->loop_thread, SIGUSR1);
			return NULL;
		}
		if (fuse_session_exited(w->se))
			mcache_stop(w->m->cache);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&w->cv, &w->mu, &ts);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static struct fuse_session *
new_session(struct mount *m, struct dupc_err *err)
{
	char prog[] = "dupc", dash_o[] = "-o";
	char opts[] = "ro,default_permissions,fsname=dupc,subtype=dupc";
	char *argv[] = { prog, dash_o, opts, NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	struct fuse_session *se;

	se = fuse_session_new(&args, &ops, sizeof(ops), m);
	fuse_opt_free_args(&args);
	if (se == NULL)
		err_set(err, E_GENERIC,
		    "cannot start a FUSE session (is libfuse3 working here?)");
	return se;
}

static void
stop_watcher(struct watch *w, pthread_t tid, bool started)
{
	pthread_mutex_lock(&w->mu);
	w->done = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	if (started)
		pthread_join(tid, NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
}

static void
serve(struct mount *m, struct fuse_session *se, struct watch *w)
{
	struct fuse_loop_config cfg;
	struct sigaction sa, old;
	bool started;
	pthread_t tid;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_wake;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, &old);
	w->loop_thread = pthread_self();
	started = pthread_create(&tid, NULL, watcher, w) == 0;
	memset(&cfg, 0, sizeof(cfg));
	cfg.clone_fd = 0;
	cfg.max_idle_threads = 10;
	fuse_session_loop_mt(se, &cfg);
	mcache_stop(m->cache);
	stop_watcher(w, tid, started);
	sigaction(SIGUSR1, &old, NULL);
}

int
mfuse_serve(struct mount *m, const char *mountpoint, struct dupc_err *err)
{
	struct fuse_session *se;
	struct watch w;
	char safe[4096];

	memset(&w, 0, sizeof(w));
	if (stat(mountpoint, &w.under) < 0)
		return err_errno(err, E_GENERIC, "cannot mount at %s",
		    mountpoint);
	se = new_session(m, err);
	if (se == NULL)
		return -1;
	if (fuse_session_mount(se, mountpoint) != 0) {
		fuse_session_destroy(se);
		return err_set(err, E_GENERIC,
		    "cannot mount at %s: FUSE must be usable here (/dev/fuse, fusermount3)",
		    mountpoint);
	}
	w.m = m;
	w.se = se;
	w.mountpoint = mountpoint;
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	log_notice("Serving %s at %s; stop with 'fusermount3 -u %s' or Ctrl-C",
	    url_redact(m->o->url, safe, sizeof(safe)), mountpoint, mountpoint);
	serve(m, se, &w);
	fuse_session_unmount(se);
	fuse_session_destroy(se);
	return 0;
}
