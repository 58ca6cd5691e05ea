/*
 * The mount's cache, in the scratch dir (--tempdir): the content of the
 * files readers open, and the volumes downloaded to make them (so the
 * next file of the same volume needs no download).  Both are anonymous
 * files (unlinked at once, so nothing outlives the process), counted
 * against one budget (--mount-cache-mb) and dropped least recently used
 * first.  A file being built or open is never dropped, so a file bigger
 * than the whole budget is still read, and goes when it is closed.
 *
 * A file's content is made exactly as a restore makes it: restore_run()
 * replays the chain for that one path into a target that writes the
 * result here instead of into a directory.  Two readers of one file
 * share one build: the second waits for the first.
 */
#define _GNU_SOURCE
#include "mount/mount_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/rtarget.h"
#include "util/err.h"
#include "util/interrupt.h"
#include "util/sparse.h"
#include "util/stream.h"
#include "util/tempfile.h"

#define BUCKETS 4096
/* entries kept whatever their size, so a cache of tiny files stays
 * small in memory too */
#define MAX_ENTRIES 65536

enum mstate { ME_BUILDING, ME_READY, ME_FAILED };

struct mentry {
	bool volume;
	struct mfile_key key; /* files */
	char *name;           /* volumes */
	unsigned hash;
	enum mstate state;
	struct dupc_err err; /* ME_FAILED */
	int fd;
	uint64_t size;
	unsigned refs;
	bool hashed, listed;
	struct mentry *hnext;
	struct mentry *prev, *next; /* LRU list, newest at the head */
};

struct mcache {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t limit, used;
	size_t count;
	volatile bool stopping;
	struct mentry *buckets[BUCKETS];
	struct mentry *head, *tail;
	struct session_store store;
};

static struct mcache *
of_store(struct session_store *st)
{
	return (struct mcache *)((char *)st - offsetof(struct mcache, store));
}

static unsigned
hash_key(const struct mfile_key *k)
{
	uint64_t h = k->tree * 0x9e3779b97f4a7c15ull ^ k->node * 31 ^
		     k->version * 0x100000001b3ull;

	return (unsigned)(h ^ h >> 29);
}

static unsigned
hash_name(const char *s)
{
	unsigned h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static bool
same(const struct mentry *e, bool volume, const struct mfile_key *k,
    const char *name)
{
	if (e->volume != volume)
		return false;
	return volume ? strcmp(e->name, name) == 0
		      : e->key.tree == k->tree && e->key.node == k->node &&
			    e->key.version == k->version;
}

static struct mentry *
find(struct mcache *c, bool volume, const struct mfile_key *k, const char *name,
    unsigned h)
{
	struct mentry *e;

	for (e = c->buckets[h % BUCKETS]; e != NULL; e = e->hnext)
		if (e->hash == h && same(e, volume, k, name))
			return e;
	return NULL;
}

static void
hash_in(struct mcache *c, struct mentry *e)
{
	e->hnext = c->buckets[e->hash % BUCKETS];
	c->buckets[e->hash % BUCKETS] = e;
	e->hashed = true;
}

static void
hash_out(struct mcache *c, struct mentry *e)
{
	struct mentry **p = &c->buckets[e->hash % BUCKETS];

	while (*p != NULL && *p != e)
		p = &(*p)->hnext;
	if (*p == e)
		*p = e->hnext;
	e->hashed = false;
}

static void
lru_out(struct mcache *c, struct mentry *e)
{
	if (!e->listed)
		return;
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = e->next = NULL;
	e->listed = false;
}

static void
lru_in(struct mcache *c, struct mentry *e)
{
	e->prev = NULL;
	e->next = c->head;
	if (c->head != NULL)
		c->head->prev = e;
	c->head = e;
	if (c->tail == NULL)
		c->tail = e;
	e->listed = true;
}

static void
entry_free(struct mentry *e)
{
	if (e->fd >= 0)
		close(e->fd);
	free(e->name);
	free(e);
}

/* Drop a ready entry nobody holds: its bytes go with its fd. */
static void
drop(struct mcache *c, struct mentry *e)
{
	lru_out(c, e);
	if (e->hashed)
		hash_out(c, e);
	c->used -= e->size;
	c->count--;
	entry_free(e);
}

/* Only entries on the list can go: they are ready and unused. */
static void
evict(struct mcache *c)
{
	while (
	    c->tail != NULL && (c->used > c->limit || c->count > MAX_ENTRIES))
		drop(c, c->tail);
}

/* A second, independent open file description of ${fd}'s file. */
static int
reopen(int fd)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* --- the volume store --- */

static int
store_find(struct session_store *st, const char *name)
{
	struct mcache *c = of_store(st);
	unsigned h = hash_name(name);
	struct mentry *e;
	int fd = -1;

	pthread_mutex_lock(&c->mu);
	e = find(c, true, NULL, name, h);
	if (e != NULL) {
		lru_out(c, e);
		lru_in(c, e);
		fd = reopen(e->fd);
	}
	pthread_mutex_unlock(&c->mu);
	return fd;
}

static void
store_keep(struct session_store *st, const char *name, int fd)
{
	struct mcache *c = of_store(st);
	unsigned h = hash_name(name);
	struct mentry *e;
	struct stat sb;

	if (fstat(fd, &sb) < 0 || (uint64_t)sb.st_size > c->limit / 2)
		return;
	e = calloc(1, sizeof(*e));
	if (e == NULL || (e->name = strdup(name)) == NULL) {
		free(e);
		return;
	}
	e->volume = true;
	e->hash = h;
	e->state = ME_READY;
	e->size = (uint64_t)sb.st_size;
	pthread_mutex_lock(&c->mu);
	e->fd = find(c, true, NULL, name, h) ? -1 : reopen(fd);
	if (e->fd < 0) {
		pthread_mutex_unlock(&c->mu);
		entry_free(e);
		return;
	}
	hash_in(c, e);
	lru_in(c, e);
	c->used += e->size;
	c->count++;
	evict(c);
	pthread_mutex_unlock(&c->mu);
}

struct mcache *
mcache_new(uint64_t limit, struct dupc_err *err)
{
	struct mcache *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	c->limit = limit;
	c->store.find = store_find;
	c->store.keep = store_keep;
	return c;
}

struct session_store *
mcache_store(struct mcache *c)
{
	return &c->store;
}

void
mcache_stop(struct mcache *c)
{
	c->stopping = true;
}

void
mcache_free(struct mcache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < BUCKETS; i++) {
		while (c->buckets[i] != NULL) {
			struct mentry *e = c->buckets[i];

			c->buckets[i] = e->hnext;
			entry_free(e);
		}
	}
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c);
}

void
mcache_stats(struct mcache *c, uint64_t *used, size_t *entries)
{
	pthread_mutex_lock(&c->mu);
	*used = c->used;
	*entries = c->count;
	pthread_mutex_unlock(&c->mu);
}

int
mcache_fd(const struct mentry *e)
{
	return e->fd;
}

/* --- building a file: a restore target writing into the cache --- */

struct btarget {
	struct rtarget base;
	struct mcache *c;
	struct sink sink;
	int fd;    /* the content written so far, or -1 */
	int basis; /* the content before the delta being applied, or -1 */
	struct sparse_writer sw;
	bool done;       /* the file is complete */
	bool not_a_file; /* the path is something else at that time */
};

static int
bsink_write(struct sink *s, const void *p, size_t n, struct dupc_err *err)
{
	struct btarget *t =
	    (struct btarget *)((char *)s - offsetof(struct btarget, sink));

	if (t->c->stopping || interrupted())
		return err_set(err, E_GENERIC, "the mount is ending");
	if (sparse_write(&t->sw, p, n) < 0)
		return err_errno(err, E_GENERIC,
		    "writing to the mount's cache in the temporary directory");
	return 0;
}

static const struct sink_ops bsink_ops = { bsink_write, NULL, NULL };

static void
bt_close(struct btarget *t)
{
	if (t->fd >= 0)
		close(t->fd);
	if (t->basis >= 0)
		close(t->basis);
	t->fd = t->basis = -1;
}

static int
bt_object(struct rtarget *rt, const char *index, const struct obj_meta *m,
    struct dupc_err *err)
{
	struct btarget *t = (struct btarget *)rt;

	(void)m;
	(void)err;
	if (*index == '\0')
		t->not_a_file = true;
	return 0;
}

/* A new scratch file for the content, written through the sink. */
static struct sink *
bt_new_file(struct btarget *t, struct dupc_err *err)
{
	t->fd = tempfile_open("mount-file", NULL, err);
	if (t->fd < 0)
		return NULL;
	sparse_writer_init(&t->sw, t->fd);
	t->sink.ops = &bsink_ops;
	return &t->sink;
}

static struct sink *
bt_file_begin(struct rtarget *rt, const char *index, struct dupc_err *err)
{
	struct btarget *t = (struct btarget *)rt;

	bt_close(t);
	t->done = false;
	/* only the path asked for is under the prefix, unless the archive
	 * puts something below a regular file */
	if (*index != '\0') {
		err_set(err, E_GENERIC,
		    "the archive holds '%.200s' below a regular file", index);
		return NULL;
	}
	return bt_new_file(t, err);
}

static struct sink *
bt_patch_begin(struct rtarget *rt, int *basis, struct dupc_err *err)
{
	struct btarget *t = (struct btarget *)rt;

	if (t->fd < 0) {
		err_set(err, E_GENERIC, "no file to patch");
		return NULL;
	}
	/* the basis must have its full length, trailing hole included */
	if (sparse_writer_finish(&t->sw) < 0) {
		err_errno(err, E_GENERIC, "writing to the mount's cache");
		return NULL;
	}
	if (t->basis >= 0)
		close(t->basis);
	t->basis = t->fd;
	t->fd = -1;
	*basis = t->basis;
	return bt_new_file(t, err);
}

static int
bt_file_end(struct rtarget *rt, const struct obj_meta *m, struct dupc_err *err)
{
	struct btarget *t = (struct btarget *)rt;

	(void)m;
	if (t->fd < 0)
		return err_set(err, E_GENERIC, "no file being written");
	if (sparse_writer_finish(&t->sw) < 0)
		return err_errno(err, E_GENERIC,
		    "writing to the mount's cache");
	if (t->basis >= 0)
		close(t->basis);
	t->basis = -1;
	t->done = true;
	return 0;
}

static void
bt_file_abort(struct rtarget *rt)
{
	struct btarget *t = (struct btarget *)rt;

	bt_close(t);
	t->done = false;
}

static const struct rtarget_ops bt_ops = {
	bt_object,
	bt_file_begin,
	bt_patch_begin,
	bt_file_end,
	bt_file_abort,
	NULL, /* builds each version into a fresh file: no patch in place */
	NULL,
};

/* Restore ${path} at ${t} into a new scratch file: its fd and size. */
static int
build(struct mcache *c, struct session *s, const char *path, int64_t when,
    int *fd, uint64_t *size, struct dupc_err *err)
{
	struct btarget t;
	uint64_t restored = 0, errors = 0;

	memset(&t, 0, sizeof(t));
	t.base.ops = &bt_ops;
	t.base.need_data = true;
	t.c = c;
	t.fd = t.basis = -1;
	if (restore_run(s, when, path, &t.base, &restored, &errors, err) < 0) {
		bt_close(&t);
		return -1;
	}
	if (!t.done) {
		bt_close(&t);
		if (errors > 0)
			return err_set(err, E_GENERIC,
			    "its data could not be restored (see the warning above)");
		return err_set(err, E_GENERIC,
		    t.not_a_file
			? "the data volumes hold something else than a file there"
			: "the data volumes hold no data for it");
	}
	*fd = t.fd;
	*size = t.sw.pos;
	if (t.basis >= 0)
		close(t.basis);
	return 0;
}

/* Wait for another reader's build of ${e}; the caller holds a ref. */
static int
wait_built(struct mcache *c, struct mentry *e, struct dupc_err *err)
{
	while (e->state == ME_BUILDING)
		pthread_cond_wait(&c->cv, &c->mu);
	if (e->state == ME_READY)
		return 0;
	if (err != NULL)
		*err = e->err;
	if (--e->refs == 0)
		entry_free(e);
	return -1;
}

static struct mentry *
new_building(struct mcache *c, const struct mfile_key *k, unsigned h)
{
	struct mentry *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return NULL;
	e->key = *k;
	e->hash = h;
	e->state = ME_BUILDING;
	e->fd = -1;
	e->refs = 1;
	hash_in(c, e);
	return e;
}

int
mcache_open(struct mcache *c, struct session *s, const struct mfile_key *k,
    const char *path, int64_t when, struct mentry **ep, uint64_t *size,
    struct dupc_err *err)
{
	unsigned h = hash_key(k);
	struct mentry *e;
	int rc;

	pthread_mutex_lock(&c->mu);
	e = find(c, false, k, NULL, h);
	if (e != NULL) {
		e->refs++;
		lru_out(c, e);
		rc = wait_built(c, e, err);
		pthread_mutex_unlock(&c->mu);
		if (rc == 0) {
			*ep = e;
			*size = e->size;
		}
		return rc;
	}
	e = new_building(c, k, h);
	pthread_mutex_unlock(&c->mu);
	if (e == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	rc = build(c, s, path, when, &e->fd, &e->size, err);
	pthread_mutex_lock(&c->mu);
	if (rc == 0) {
		e->state = ME_READY;
		c->used += e->size;
		c->count++;
		*ep = e;
		*size = e->size;
	} else {
		/* waiting readers get the error; the next open tries again */
		e->state = ME_FAILED;
		e->err = *err;
		hash_out(c, e);
		if (--e->refs == 0)
			entry_free(e);
	}
	pthread_cond_broadcast(&c->cv);
	evict(c);
	pthread_mutex_unlock(&c->mu);
	return rc;
}

void
mcache_close(struct mcache *c, struct mentry *e)
{
	pthread_mutex_lock(&c->mu);
	if (--e->refs == 0) {
		lru_in(c, e);
		evict(c);
	}
	pthread_mutex_unlock(&c->mu);
}
