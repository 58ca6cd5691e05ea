/*
 * The restore's volume queue (fetchq.h).  A chain of many incrementals is
 * read side by side: the merge wants the first volume of every set at
 * once, then each set's next volume as the paths advance.  Fetching those
 * one after another costs a round trip each on a slow backend; here up to
 * FQ_WORKERS downloads run at once, in the order the merge will want the
 * volumes, each on a backend instance of its own (backend.h allows one
 * caller per instance).
 *
 * Encrypted volumes are decrypted by the worker too, into a private
 * temporary file, on as many workers at once as there are CPUs: the next
 * volumes decrypt while the restore applies this one, and a volume is
 * handed over only after the whole message has been checked (MDC, and
 * the signature with --sign-key), so a damaged or cut volume fails before
 * anything from it is written.  Gzip volumes are handed over as stored:
 * the reader decodes them on the fly, as before.
 *
 * Space: each volume a worker holds (downloaded, decrypted, or handed
 * over and not yet done) counts against a budget of the temporary
 * directory (half its free space, at most FQ_BUDGET_MAX); a worker starts
 * a volume only when it fits, except the one the restore waits for.
 */
#define _DEFAULT_SOURCE
#include "engine/fetchq.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "backend/backend.h"
#include "engine/engine.h"
#include "engine/pipe.h"
#include "engine/session.h"
#include "format/manifest.h"
#include "format/names.h"
#include "util/digest.h"
#include "util/err.h"
#include "util/interrupt.h"
#include "util/log.h"
#include "util/path.h"
#include "util/stream.h"
#include "util/tempfile.h"

#define FQ_WORKERS 4
#define FQ_BUDGET_MAX (1ull << 30)
#define FQ_BUDGET_MIN (64ull << 20)

enum fq_state { FQ_QUEUED, FQ_RUNNING, FQ_READY, FQ_FAILED, FQ_TAKEN, FQ_DONE };

struct fq_item {
	char *name;
	size_t set;
	const struct manifest_volume *mv;
	uint64_t size; /* as listed */
	bool gpg;
	enum fq_state state;
	bool wanted; /* the restore waits for it */
	int fd;
	bool decoded;
	uint64_t held; /* temporary bytes counted against the budget */
	struct dupc_err err;
};

struct fq_worker {
	struct fetchq *q;
	pthread_t tid;
	struct backend *be;
};

/*
 * Invariants: items are in the order of need once started; everything
 * below is guarded by mu; held is the sum of the items' held.
 */
struct fetchq {
	struct session *s;
	struct fq_item *it;
	size_t n, cap;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct fq_worker w[FQ_WORKERS];
	size_t nworkers;
	bool stop;
	uint64_t budget, held;
	int decoding, max_decoding;
};

struct fetchq *
fetchq_new(struct session *s, struct dupc_err *err)
{
	struct fetchq *q = calloc(1, sizeof(*q));
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	struct statvfs vfs;
	uint64_t avail;

	if (q == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		return NULL;
	}
	q->s = s;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	q->max_decoding = ncpu > 0 ? (int)ncpu : 1;
	q->budget = FQ_BUDGET_MAX;
	if (tempdir_path() != NULL && statvfs(tempdir_path(), &vfs) == 0) {
		avail = (uint64_t)vfs.f_bavail * vfs.f_frsize / 2;
		if (avail < q->budget)
			q->budget =
			    avail > FQ_BUDGET_MIN ? avail : FQ_BUDGET_MIN;
	}
	return q;
}

int
fetchq_add(struct fetchq *q, const char *name, size_t set,
    const struct manifest_volume *mv, struct dupc_err *err)
{
	struct name_info ni;
	struct fq_item *it;

	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 16;
		struct fq_item *p = realloc(q->it, cap * sizeof(*p));

		if (p == NULL)
			return err_set(err, E_GENERIC, "out of memory");
		q->it = p;
		q->cap = cap;
	}
	it = &q->it[q->n];
	memset(it, 0, sizeof(*it));
	if ((it->name = strdup(name)) == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	it->set = set;
	it->mv = mv;
	it->fd = -1;
	session_expect(q->s, name, mv->hash_type, mv->hash);
	if (session_remote_size(q->s, name, &it->size) < 0)
		it->size = q->s->o->volsize;
	it->gpg = names_parse(name, &q->s->o->pfx, &ni) == 1 && ni.encrypted;
	q->n++;
	return 0;
}

/* The merge reaches a volume when it reaches the path the volume starts
 * at; the first volume of every set starts at the root. */
static int
need_cmp(const void *a, const void *b)
{
	const struct fq_item *x = a, *y = b;
	int c = index_cmp(x->mv->start_index ? x->mv->start_index : "",
	    y->mv->start_index ? y->mv->start_index : "");

	if (c != 0)
		return c;
	if (x->set != y->set)
		return x->set < y->set ? -1 : 1;
	return x->mv->number < y->mv->number ? -1
					     : x->mv->number > y->mv->number;
}

/* --- one volume, on a worker (unlocked) --- */

static int
check_hash(const struct manifest_volume *mv, int fd, const char *name,
    struct dupc_err *err)
{
	const char *type, *want;
	enum digest_kind kind;
	char got[DIGEST_HEX_MAX];
	unsigned char buf[65536];
	struct digest *d;
	off_t off = 0;

	if (manifest_best_hash(mv, &type, &want) < 0) {
		log_warn("No hash for volume %s in the manifest; not verified",
		    name);
		return 0;
	}
	if (strcmp(type, "SHA1") == 0)
		kind = DIGEST_SHA1;
	else if (strcmp(type, "MD5") == 0)
		kind = DIGEST_MD5;
	else
		return 0;
	if ((d = digest_new(kind)) == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	/* pread: the decryption may be reading the same file meanwhile */
	for (;;) {
		ssize_t n = pread(fd, buf, sizeof(buf), off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			digest_free(d);
			return err_errno(err, E_GENERIC, "reading %s", name);
		}
		if (n == 0)
			break;
		digest_update(d, buf, (size_t)n);
		off += n;
	}
	digest_final_hex(d, got);
	digest_free(d);
	if (strcasecmp(got, want) != 0)
		return err_set(err, E_MISMATCHED_HASH,
		    "Invalid data - %s hash mismatch for file: %s (calculated hash %s, manifest hash %s); the volume is damaged",
		    type, name, got, want);
	return 0;
}

/*
 * The hash of an encrypted volume is checked beside its decryption, on a
 * thread of its own with its own descriptor: both read the whole file,
 * and one after the other they would lengthen every restore by a pass.
 * The volume is handed over only when both have succeeded.
 */
struct hash_job {
	const struct manifest_volume *mv;
	const char *name;
	int fd;
	int rc;
	struct dupc_err err;
};

static void *
hash_main(void *arg)
{
	struct hash_job *h = arg;

	h->rc = check_hash(h->mv, h->fd, h->name, &h->err);
	return NULL;
}

/* The stored file: in place when the backend can, else downloaded. */
static int
fetch(struct fq_worker *w, const char *name, struct dupc_err *err)
{
	const struct dupc_opts *o = w->q->s->o;
	struct session_store *st = w->q->s->store;
	int fd = -1, rc;

	if (w->be == NULL &&
	    backend_open(o->url, &w->q->s->beo, &w->be, err) < 0)
		return -1;
	rc = backend_open_read(w->be, name, &fd, err);
	if (rc == 0)
		return fd;
	if (rc < 0)
		goto fail;
	/* a volume the mount already holds (session_store) */
	if (st != NULL && (fd = st->find(st, name)) >= 0)
		return fd;
	if ((fd = tempfile_open("download", NULL, err)) < 0)
		return -1;
	if (backend_get(w->be, name, fd, err) < 0)
		goto fail;
	if (lseek(fd, 0, SEEK_SET) < 0) {
		err_errno(err, E_GENERIC, "rewinding %s", name);
		goto fail;
	}
	if (st != NULL)
		st->keep(st, name, fd);
	return fd;
fail:
	err_prefix(err, "downloading %s", name);
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Decrypt ${*fd} whole into a temporary file, which replaces it. */
static int
decode(struct fetchq *q, const char *name, int *fd, struct dupc_err *err)
{
	struct rpipe rp;
	struct sink *out = NULL;
	int pfd, rc = -1;

	if ((pfd = tempfile_open("plain", NULL, err)) < 0)
		return -1;
	if (rpipe_open(&rp, q->s->o, name, *fd, err) < 0)
		goto out0;
	if ((out = fd_sink_new(pfd, "a temporary file")) == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		goto out1;
	}
	if (source_copy(rp.head, out, NULL, err) < 0 ||
	    sink_finish(out, err) < 0)
		goto out1;
	if (lseek(pfd, 0, SEEK_SET) < 0) {
		err_errno(err, E_GENERIC, "rewinding the decrypted %s", name);
		goto out1;
	}
	close(*fd);
	*fd = pfd;
	pfd = -1;
	rc = 0;
out1:
	sink_free(out);
	rpipe_release(&rp);
out0:
	if (pfd >= 0)
		close(pfd);
	return rc;
}

static uint64_t
file_bytes(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size
							  : 0;
}

/* Fetch, check and (when encrypted) decrypt one volume; locked on entry
 * and on return. */
static void
run_item(struct fq_worker *w, struct fq_item *it)
{
	struct fetchq *q = w->q;
	struct dupc_err e;
	bool decoded = false;
	int fd;

	pthread_mutex_unlock(&q->mu);
	err_clear(&e);
	fd = fetch(w, it->name, &e);
	if (fd >= 0 && !it->gpg && check_hash(it->mv, fd, it->name, &e) < 0) {
		close(fd);
		fd = -1;
	}
	pthread_mutex_lock(&q->mu);
	if (fd >= 0 && it->gpg) {
		struct hash_job h = { it->mv, it->name, -1, 0, { 0 } };
		pthread_t ht;
		bool hashing;

		while (q->decoding >= q->max_decoding && !q->stop)
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->stop) {
			close(fd);
			fd = -1;
			err_set(&e, E_GENERIC, "restore stopped");
			goto out;
		}
		q->decoding++;
		pthread_mutex_unlock(&q->mu);
		h.fd = dup(fd);
		hashing =
		    h.fd >= 0 && pthread_create(&ht, NULL, hash_main, &h) == 0;
		if (!hashing)
			h.rc = check_hash(it->mv, fd, it->name, &h.err);
		if (h.rc < 0 || decode(q, it->name, &fd, &e) < 0) {
			close(fd);
			fd = -1;
		}
		if (hashing)
			pthread_join(ht, NULL);
		if (h.fd >= 0)
			close(h.fd);
		if (h.rc < 0) {
			/* a damaged volume: say so, not how decryption failed
			 */
			if (fd >= 0)
				close(fd);
			fd = -1;
			e = h.err;
		}
		decoded = fd >= 0;
		pthread_mutex_lock(&q->mu);
		q->decoding--;
	}
out:
	q->held -= it->held;
	it->held = fd >= 0 ? file_bytes(fd) : 0;
	q->held += it->held;
	it->fd = fd;
	it->decoded = decoded;
	it->err = e;
	it->state = fd >= 0 ? FQ_READY : FQ_FAILED;
	pthread_cond_broadcast(&q->cv);
}

/*
 * The next volume to start, or NULL: the one waited for first, then the
 * first queued one if it fits the budget.  After a signal only what the
 * restore waits for is fetched (it then stops between volumes).
 */
static struct fq_item *
pick(struct fetchq *q)
{
	size_t i;

	for (i = 0; i < q->n; i++)
		if (q->it[i].state == FQ_QUEUED && q->it[i].wanted)
			return &q->it[i];
	if (interrupted())
		return NULL;
	for (i = 0; i < q->n; i++) {
		if (q->it[i].state != FQ_QUEUED)
			continue;
		if (q->held == 0 || q->held + q->it[i].size <= q->budget)
			return &q->it[i];
		return NULL;
	}
	return NULL;
}

static void *
worker(void *arg)
{
	struct fq_worker *w = arg;
	struct fetchq *q = w->q;
	struct fq_item *it;

	pthread_mutex_lock(&q->mu);
	while (!q->stop) {
		if ((it = pick(q)) == NULL) {
			pthread_cond_wait(&q->cv, &q->mu);
			continue;
		}
		it->state = FQ_RUNNING;
		it->held = it->size;
		q->held += it->held;
		run_item(w, it);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

void
fetchq_start(struct fetchq *q)
{
	size_t i, n = q->n < FQ_WORKERS ? q->n : FQ_WORKERS;

	if (q->n > 1)
		qsort(q->it, q->n, sizeof(*q->it), need_cmp);
	for (i = 0; i < n; i++) {
		q->w[i].q = q;
		if (pthread_create(&q->w[i].tid, NULL, worker, &q->w[i]) != 0)
			break;
		q->nworkers++;
	}
	if (q->nworkers > 0)
		log_debug(
		    "fetching %zu volumes with %zu workers, %llu MiB of temporary space",
		    q->n, q->nworkers, (unsigned long long)(q->budget >> 20));
}

static struct fq_item *
find(struct fetchq *q, const char *name)
{
	size_t i;

	for (i = 0; i < q->n; i++)
		if (strcmp(q->it[i].name, name) == 0)
			return &q->it[i];
	return NULL;
}

int
fetchq_take(struct fetchq *q, const char *name, int *fd, bool *decoded,
    struct dupc_err *err)
{
	struct fq_item *it;
	int h = -1;

	pthread_mutex_lock(&q->mu);
	if ((it = find(q, name)) == NULL) {
		err_set(err, E_GENERIC, "volume %s was not queued", name);
		goto out;
	}
	it->wanted = true;
	pthread_cond_broadcast(&q->cv);
	if (q->nworkers == 0 && it->state == FQ_QUEUED) {
		/* no worker could start: fetch it here */
		struct fq_worker self = { q, 0, NULL };

		it->state = FQ_RUNNING;
		run_item(&self, it);
		backend_close(self.be);
	}
	while (it->state == FQ_QUEUED || it->state == FQ_RUNNING)
		pthread_cond_wait(&q->cv, &q->mu);
	if (it->state != FQ_READY) {
		if (it->state == FQ_FAILED)
			*err = it->err;
		else
			err_set(err, E_GENERIC, "volume %s taken twice", name);
		goto out;
	}
	it->state = FQ_TAKEN;
	*fd = it->fd;
	*decoded = it->decoded;
	it->fd = -1;
	h = (int)(it - q->it);
out:
	pthread_mutex_unlock(&q->mu);
	return h;
}

void
fetchq_done(struct fetchq *q, int h)
{
	pthread_mutex_lock(&q->mu);
	if (h >= 0 && (size_t)h < q->n && q->it[h].state == FQ_TAKEN) {
		q->held -= q->it[h].held;
		q->it[h].held = 0;
		q->it[h].state = FQ_DONE;
		pthread_cond_broadcast(&q->cv);
	}
	pthread_mutex_unlock(&q->mu);
}

void
fetchq_free(struct fetchq *q)
{
	size_t i;

	if (q == NULL)
		return;
	pthread_mutex_lock(&q->mu);
	q->stop = true;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	for (i = 0; i < q->nworkers; i++) {
		pthread_join(q->w[i].tid, NULL);
		backend_close(q->w[i].be);
	}
	for (i = 0; i < q->n; i++) {
		if (q->it[i].fd >= 0)
			close(q->it[i].fd);
		free(q->it[i].name);
	}
	free(q->it);
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	free(q);
}
