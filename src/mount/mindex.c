/*
 * The tree of one chain, as the mount shows it, from the chain's
 * signature files alone.  Each signature file lists, in duplicity's path
 * order, what changed in its set; merging them gives every path the
 * chain ever held, each with its versions (what it is from a set on).
 * That is written once, at mount time, into three private files in the
 * scratch dir:
 *
 *   nodes    fixed records, one per path in path order (so a directory's
 *            subtree is one run of records, and a lookup is a binary
 *            search), with the run's end and the parent directory;
 *   versions fixed records, each node's versions together, oldest first;
 *   strings  the paths and symlink targets they point into.
 *
 * Records are little-endian byte arrays.  A regular file's size is not
 * in a signature file, only its rsync signature: its block count gives
 * the size to within one block, an upper bound kept until the file is
 * read and its exact size recorded (mtree_set_size).
 */
#define _DEFAULT_SOURCE
#include "mount/mount_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "delta/rsync.h"
#include "engine/sigread.h"
#include "format/collection.h"
#include "format/tar.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/path.h"
#include "util/tempfile.h"

#define NODE_REC 48
#define VER_REC 64
#define WBUF 65536
#define VF_SIZE_EXACT 1

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static void
put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t
get64(const unsigned char *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* --- reading --- */

static int
pread_full(int fd, void *p, size_t n, uint64_t off)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r =
		    pread(fd, (char *)p + done, n - done, (off_t)(off + done));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			return -1;
		}
		done += (size_t)r;
	}
	return 0;
}

int
mtree_node(struct mtree *t, uint64_t id, struct mnode *n)
{
	unsigned char r[NODE_REC];

	if (id >= t->nnodes) {
		errno = ENOENT;
		return -1;
	}
	if (pread_full(t->nodes_fd, r, sizeof(r), id * NODE_REC) < 0)
		return -1;
	n->id = id;
	n->path_off = get64(r);
	n->path_len = get32(r + 8);
	n->nver = get32(r + 12);
	n->ver_first = get64(r + 16);
	n->subtree_end = get64(r + 24);
	n->parent = get64(r + 32);
	return 0;
}

static int
read_string(struct mtree *t, uint64_t off, uint32_t len, struct buf *out)
{
	char *tmp;
	int rc;

	buf_reset(out);
	if (len == 0)
		return 0;
	tmp = malloc(len);
	if (tmp == NULL)
		return -1;
	rc = pread_full(t->str_fd, tmp, len, off);
	if (rc == 0)
		rc = buf_add(out, tmp, len);
	free(tmp);
	return rc;
}

int
mtree_path(struct mtree *t, const struct mnode *n, struct buf *out)
{
	return read_string(t, n->path_off, n->path_len, out);
}

int
mtree_link(struct mtree *t, const struct mver *v, struct buf *out)
{
	return read_string(t, v->link_off, v->link_len, out);
}

static int
read_version(struct mtree *t, uint64_t index, struct mver *v)
{
	unsigned char r[VER_REC];

	if (pread_full(t->vers_fd, r, sizeof(r), index * VER_REC) < 0)
		return -1;
	v->index = index;
	v->set = get32(r);
	v->type = (enum obj_type)r[4];
	v->size_exact = (r[5] & VF_SIZE_EXACT) != 0;
	v->mode = get32(r + 8);
	v->devmajor = get32(r + 12);
	v->devminor = get32(r + 16);
	v->link_len = get32(r + 20);
	v->uid = (int64_t)get64(r + 24);
	v->gid = (int64_t)get64(r + 32);
	v->mtime = (int64_t)get64(r + 40);
	v->size = get64(r + 48);
	v->link_off = get64(r + 56);
	return 0;
}

int
mtree_version(struct mtree *t, const struct mnode *n, uint32_t set,
    struct mver *v)
{
	uint64_t lo = 0, hi = n->nver;
	int rc = 0;

	pthread_rwlock_rdlock(&t->lock);
	/* the last version from a set at or before ${set} */
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (read_version(t, n->ver_first + mid, v) < 0) {
			rc = -1;
			goto out;
		}
		if (v->set <= set)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		goto out;
	if (read_version(t, n->ver_first + lo - 1, v) < 0)
		rc = -1;
	else
		rc = v->type != OBJ_NONE;
out:
	pthread_rwlock_unlock(&t->lock);
	return rc;
}

int
mtree_lookup(struct mtree *t, const struct mnode *dir, const char *name,
    uint64_t *child)
{
	struct buf want, path;
	uint64_t lo = dir->id + 1, hi = dir->subtree_end;
	int rc = -1;

	buf_init(&want, (size_t)1 << 20);
	buf_init(&path, (size_t)1 << 20);
	if (mtree_path(t, dir, &want) < 0 ||
	    (want.len > 0 && buf_addch(&want, '/') < 0) ||
	    buf_addstr(&want, name) < 0)
		goto out;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		struct mnode n;
		int c;

		if (mtree_node(t, mid, &n) < 0 || mtree_path(t, &n, &path) < 0)
			goto out;
		c = index_cmp(buf_str(&want), buf_str(&path));
		if (c == 0) {
			*child = mid;
			rc = n.parent == dir->id;
			goto out;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	rc = 0;
out:
	buf_release(&want);
	buf_release(&path);
	return rc;
}

int
mtree_set_size(struct mtree *t, const struct mver *v, uint64_t size)
{
	unsigned char r[8];
	unsigned char flags = VF_SIZE_EXACT;
	int rc = 0;

	put64(r, size);
	pthread_rwlock_wrlock(&t->lock);
	if (pwrite(t->vers_fd, r, 8, (off_t)(v->index * VER_REC + 48)) != 8 ||
	    pwrite(t->vers_fd, &flags, 1, (off_t)(v->index * VER_REC + 5)) != 1)
		rc = -1;
	pthread_rwlock_unlock(&t->lock);
	return rc;
}

/* --- building --- */

/* An append-only file with a write buffer; records still in the buffer
 * can be patched there. */
struct wfile {
	int fd;
	uint64_t base; /* file offset of buf[0] */
	size_t len;
	unsigned char buf[WBUF];
};

static int
wflush(struct wfile *w)
{
	size_t done = 0;

	while (done < w->len) {
		ssize_t r = pwrite(w->fd, w->buf + done, w->len - done,
		    (off_t)(w->base + done));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		done += (size_t)r;
	}
	w->base += w->len;
	w->len = 0;
	return 0;
}

static int
wappend(struct wfile *w, const void *p, size_t n)
{
	const unsigned char *q = p;

	while (n > 0) {
		size_t k;

		if (w->len == WBUF && wflush(w) < 0)
			return -1;
		k = WBUF - w->len < n ? WBUF - w->len : n;
		memcpy(w->buf + w->len, q, k);
		w->len += k;
		q += k;
		n -= k;
	}
	return 0;
}

static int
wpatch(struct wfile *w, uint64_t off, const void *p, size_t n)
{
	if (off >= w->base) {
		memcpy(w->buf + (off - w->base), p, n);
		return 0;
	}
	return pwrite(w->fd, p, n, (off_t)off) == (ssize_t)n ? 0 : -1;
}

struct sstream {
	struct sigmerge *m;
	struct sig_entry e;
	int have;
};

struct ancestor {
	uint64_t id;
	size_t len; /* of its path, a prefix of the previous path */
};

struct builder {
	struct mtree *t;
	struct sstream *st;
	struct wfile nodes, vers, strs;
	uint64_t nvers;
	struct buf prev; /* the path of the last node */
	struct ancestor *stack;
	size_t depth, cap;
	unsigned char sig[12];
};

/* A node record; its subtree end is patched when it is left. */
static int
write_node(struct builder *b, uint64_t path_off, size_t path_len, uint32_t nver,
    uint64_t ver_first, uint64_t parent)
{
	unsigned char r[NODE_REC];

	memset(r, 0, sizeof(r));
	put64(r, path_off);
	put32(r + 8, (uint32_t)path_len);
	put32(r + 12, nver);
	put64(r + 16, ver_first);
	put64(r + 24, MNODE_NONE);
	put64(r + 32, parent);
	return wappend(&b->nodes, r, sizeof(r));
}

static int
pop_ancestor(struct builder *b, uint64_t end)
{
	unsigned char r[8];
	struct ancestor *a = &b->stack[--b->depth];

	put64(r, end);
	return wpatch(&b->nodes, a->id * NODE_REC + 24, r, 8);
}

/*
 * Leave the directories ${path} is not below; the parent of ${path} is
 * the one left on top when it is exactly one component up.
 */
static int
enter(struct builder *b, const char *path, uint64_t id, uint64_t *parent)
{
	size_t n = strlen(path);
	struct ancestor *top;

	while (b->depth > 0) {
		top = &b->stack[b->depth - 1];
		if (top->len == 0
			? n > 0
			: n > top->len && path[top->len] == '/' &&
			      memcmp(path, buf_str(&b->prev), top->len) == 0)
			break;
		if (pop_ancestor(b, id) < 0)
			return -1;
	}
	*parent = MNODE_NONE;
	if (b->depth > 0) {
		top = &b->stack[b->depth - 1];
		if (strchr(path + (top->len ? top->len + 1 : 0), '/') == NULL)
			*parent = top->id;
	}
	if (b->depth == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct ancestor *p = realloc(b->stack, cap * sizeof(*p));

		if (p == NULL)
			return -1;
		b->stack = p;
		b->cap = cap;
	}
	b->stack[b->depth].id = id;
	b->stack[b->depth++].len = n;
	buf_reset(&b->prev);
	return buf_addstr(&b->prev, path);
}

/* The size a signature entry's header gives its file. */
static void
sig_size(struct builder *b, struct sstream *ss, uint64_t *size, bool *exact,
    struct dupc_err *err)
{
	size_t got = 0, n;
	uint64_t lo, hi;

	*size = 0;
	*exact = false;
	while (got < sizeof(b->sig)) {
		if (sigmerge_read(ss->m, b->sig + got, sizeof(b->sig) - got, &n,
			err) < 0 ||
		    n == 0)
			break;
		got += n;
	}
	if (delta_sig_file_size(b->sig, got, ss->e.meta->size, &lo, &hi) < 0)
		return;
	*size = hi;
	*exact = lo == hi;
}

static int
write_version(struct builder *b, uint32_t set, struct sstream *ss,
    struct dupc_err *err)
{
	const struct obj_meta *m = ss->e.meta;
	unsigned char r[VER_REC];
	enum obj_type type = ss->e.kind == EK_DELETED ? OBJ_NONE : m->type;
	uint64_t size = 0;
	bool exact = type != OBJ_REG;
	size_t link_len = 0;

	memset(r, 0, sizeof(r));
	if (type == OBJ_REG && ss->e.kind == EK_SIGNATURE)
		sig_size(b, ss, &size, &exact, err);
	if (type == OBJ_SYMLINK && m->linkname != NULL) {
		link_len = strlen(m->linkname);
		put64(r + 56, b->strs.base + b->strs.len);
		if (wappend(&b->strs, m->linkname, link_len) < 0)
			return -1;
	}
	put32(r, set);
	r[4] = (unsigned char)type;
	r[5] = exact ? VF_SIZE_EXACT : 0;
	put32(r + 8, m->mode & 07777);
	put32(r + 12, m->devmajor);
	put32(r + 16, m->devminor);
	put32(r + 20, (uint32_t)link_len);
	put64(r + 24, (uint64_t)ss->e.uid);
	put64(r + 32, (uint64_t)ss->e.gid);
	put64(r + 40, (uint64_t)m->mtime);
	put64(r + 48, size);
	b->nvers++;
	return wappend(&b->vers, r, sizeof(r));
}

static int
io_error(struct dupc_err *err)
{
	return err_errno(err, E_GENERIC,
	    "writing the mount's index in the temporary directory");
}

/* The node for the smallest path the streams are at, and its versions. */
static int
add_node(struct builder *b, const char *path, struct dupc_err *err)
{
	struct mtree *t = b->t;
	uint64_t id = t->nnodes, parent, ver_first = b->nvers;
	uint64_t path_off = b->strs.base + b->strs.len;
	size_t j, n = strlen(path);
	uint32_t nver = 0;

	if (t->nnodes >= MNODE_MAX)
		return err_set(err, E_GENERIC,
		    "a chain names more than 2^40 paths; cannot mount it");
	if (t->nnodes > 0 && index_cmp(buf_str(&b->prev), path) >= 0)
		return err_set(err, E_GENERIC,
		    "a signature file lists '%.200s' out of order; cannot mount this chain",
		    path);
	if (enter(b, path, id, &parent) < 0 || wappend(&b->strs, path, n) < 0)
		return io_error(err);
	for (j = 0; j < t->nsets; j++) {
		struct sstream *ss = &b->st[j];

		if (!ss->have || strcmp(ss->e.index, path) != 0)
			continue;
		if (write_version(b, (uint32_t)j, ss, err) < 0)
			return io_error(err);
		nver++;
	}
	if (write_node(b, path_off, n, nver, ver_first, parent) < 0)
		return io_error(err);
	t->nnodes++;
	/* advance after the node is written: ${path} may point into an
	 * entry the advance replaces */
	for (j = 0; j < t->nsets; j++) {
		struct sstream *ss = &b->st[j];

		if (ss->have && strcmp(ss->e.index, buf_str(&b->prev)) == 0 &&
		    sigmerge_next(ss->m, err) < 0)
			return -1;
	}
	return 0;
}

static int
merge(struct builder *b, struct dupc_err *err)
{
	for (;;) {
		const char *min = NULL;
		size_t j;

		for (j = 0; j < b->t->nsets; j++) {
			struct sstream *ss = &b->st[j];

			ss->have = sigmerge_peek(ss->m, &ss->e, err);
			if (ss->have < 0)
				return -1;
			if (ss->have &&
			    (min == NULL || index_cmp(ss->e.index, min) < 0))
				min = ss->e.index;
		}
		if (min == NULL)
			break;
		/* every tree has a root, named or not */
		if (b->t->nnodes == 0 && *min != '\0' &&
		    add_node(b, "", err) < 0)
			return -1;
		if (add_node(b, min, err) < 0)
			return -1;
	}
	if (b->t->nnodes == 0 && add_node(b, "", err) < 0)
		return -1;
	while (b->depth > 0)
		if (pop_ancestor(b, b->t->nnodes) < 0)
			return io_error(err);
	if (wflush(&b->nodes) < 0 || wflush(&b->vers) < 0 ||
	    wflush(&b->strs) < 0)
		return io_error(err);
	return 0;
}

/* The sets of ${ch} whose signature files ${sc} holds, from the full on. */
static int
match_sets(struct mtree *t, const struct chain *ch, const struct sigchain *sc,
    struct dupc_err *err)
{
	size_t i;

	t->times = calloc(ch->ninc + 1, sizeof(*t->times));
	if (t->times == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	t->times[0] = ch->full->time;
	t->nsets = 1;
	for (i = 0; i < ch->ninc && i < sc->ninc; i++) {
		if (sc->inc_end[i] != ch->incs[i]->end)
			break;
		t->times[t->nsets++] = ch->incs[i]->end;
	}
	return 0;
}

/* One stream per signature file, each read on its own. */
static int
open_streams(struct builder *b, struct session *s, const struct sigchain *sc,
    struct dupc_err *err)
{
	size_t j;

	b->st = calloc(b->t->nsets, sizeof(*b->st));
	if (b->st == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	for (j = 0; j < b->t->nsets; j++) {
		struct sigchain one;

		memset(&one, 0, sizeof(one));
		one.local = sc->local;
		one.fullsig = j == 0 ? sc->fullsig : sc->incs[j - 1];
		one.start = one.end = b->t->times[j];
		b->st[j].m = sigmerge_open(s, &one, INT64_MAX, err);
		if (b->st[j].m == NULL)
			return -1;
	}
	return 0;
}

static int
open_files(struct mtree *t, struct builder *b, struct dupc_err *err)
{
	t->nodes_fd = tempfile_open("mount-nodes", NULL, err);
	if (t->nodes_fd < 0)
		return -1;
	t->vers_fd = tempfile_open("mount-versions", NULL, err);
	if (t->vers_fd < 0)
		return -1;
	t->str_fd = tempfile_open("mount-strings", NULL, err);
	if (t->str_fd < 0)
		return -1;
	b->nodes.fd = t->nodes_fd;
	b->vers.fd = t->vers_fd;
	b->strs.fd = t->str_fd;
	return 0;
}

int
mtree_build(struct mtree *t, struct session *s, const struct chain *ch,
    const struct sigchain *sc, struct dupc_err *err)
{
	struct builder *b = calloc(1, sizeof(*b));
	size_t j;
	int rc = -1;

	memset(t, 0, sizeof(*t));
	t->ch = ch;
	t->nodes_fd = t->vers_fd = t->str_fd = -1;
	pthread_rwlock_init(&t->lock, NULL);
	if (b == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	b->t = t;
	buf_init(&b->prev, TAR_NAME_MAX);
	if (match_sets(t, ch, sc, err) < 0 || open_files(t, b, err) < 0 ||
	    open_streams(b, s, sc, err) < 0 || merge(b, err) < 0)
		goto out;
	rc = 0;
out:
	for (j = 0; b->st != NULL && j < t->nsets; j++)
		sigmerge_free(b->st[j].m);
	free(b->st);
	free(b->stack);
	buf_release(&b->prev);
	free(b);
	return rc;
}

void
mtree_release(struct mtree *t)
{
	if (t->nodes_fd >= 0)
		close(t->nodes_fd);
	if (t->vers_fd >= 0)
		close(t->vers_fd);
	if (t->str_fd >= 0)
		close(t->str_fd);
	free(t->times);
	pthread_rwlock_destroy(&t->lock);
	memset(t, 0, sizeof(*t));
	t->nodes_fd = t->vers_fd = t->str_fd = -1;
}
