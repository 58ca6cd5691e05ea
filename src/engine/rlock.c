/*
 * The lock on the target (see rlock.h): taking it, breaking a stale one,
 * the thread that keeps it fresh, and its removal.  The record itself is
 * format/lockrec's; this module only reads and writes it through the
 * backend, which the engine's other threads use at the same time (the
 * backend is serialised where it must be, see backend.h).
 */
#define _GNU_SOURCE
#include "engine/rlock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "backend/backend.h"
#include "format/dtime.h"
#include "format/lockrec.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/interrupt.h"
#include "util/log.h"
#include "util/owner.h"
#include "util/stream.h"
#include "util/tempfile.h"

#define TAKE_TRIES 4 /* reads and writes while racing other runs */

struct rlock {
	struct backend *be;
	char name[300];
	struct lockrec rec; /* ours, as last written */
	unsigned timeout;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t tid;
	bool thread;
	bool stop;
	bool lost;
};

enum found { FOUND, ABSENT, UNREADABLE };

unsigned
rlock_interval(unsigned timeout)
{
	unsigned i = timeout / 5;

	return i < 1 ? 1 : i > 60 ? 60 : i;
}

/* A random token, so a run knows its own record from any other's. */
static void
make_token(char *out)
{
	unsigned char b[LOCKREC_TOKEN_LEN / 2];
	size_t i;

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		/* unique enough without the kernel's randomness */
		unsigned long long x = (unsigned long long)time(NULL) << 20 ^
				       (unsigned long long)getpid();

		for (i = 0; i < sizeof(b); i++,
		    x = x * 6364136223846793005ULL + 1442695040888963407ULL)
			b[i] = (unsigned char)(x >> 56);
	}
	for (i = 0; i < sizeof(b); i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* Read the whole (small) object at ${fd}. */
static int
read_small(int fd, struct buf *b, struct dupc_err *err)
{
	char chunk[LOCKREC_MAX + 1];
	ssize_t r;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return err_errno(err, E_GENERIC, "reading the lock");
	while ((r = read(fd, chunk, sizeof(chunk))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return err_errno(err, E_GENERIC, "reading the lock");
		if (buf_add(b, chunk, (size_t)r) < 0)
			return 1;
	}
	return 0;
}

/*
 * Read the lock object: FOUND with ${r} filled, ABSENT, UNREADABLE (not
 * a record; why in ${why}), or -1 with ${err} set.
 */
static int
read_lock(struct backend *be, const char *name, struct lockrec *r, char *why,
    size_t whysz, struct dupc_err *err)
{
	struct dupc_err e;
	struct buf b;
	uint64_t size;
	int fd, rc = -1;

	err_clear(&e);
	if (backend_size(be, name, &size, &e) < 0) {
		if (e.cls == ERR_NOT_FOUND)
			return ABSENT;
		if (err != NULL)
			*err = e;
		return -1;
	}
	if (size > LOCKREC_MAX) {
		snprintf(why, whysz, "%llu bytes, more than a lock record",
		    (unsigned long long)size);
		return UNREADABLE;
	}
	if ((fd = tempfile_open("lock", NULL, err)) < 0)
		return -1;
	buf_init(&b, LOCKREC_MAX);
	err_clear(&e);
	if (backend_get(be, name, fd, &e) < 0) {
		if (e.cls == ERR_NOT_FOUND)
			rc = ABSENT;
		else if (err != NULL)
			*err = e;
		goto out;
	}
	if ((rc = read_small(fd, &b, err)) < 0)
		goto out;
	err_clear(&e);
	if (rc == 1 || lockrec_parse(r, b.data ? b.data : "", b.len, &e) < 0) {
		snprintf(why, whysz, "%.200s",
		    rc == 1 ? "more than a lock record" : e.msg);
		rc = UNREADABLE;
		goto out;
	}
	rc = FOUND;
out:
	close(fd);
	buf_release(&b);
	return rc;
}

/* Write our record: with put_new when ${excl} (0, 1 taken, -1). */
static int
write_lock(struct rlock *l, bool excl, struct dupc_err *err)
{
	struct source *src;
	struct buf b;
	int rc = -1;

	buf_init(&b, LOCKREC_MAX);
	if (lockrec_format(&l->rec, &b) < 0) {
		buf_release(&b);
		return err_set(err, E_GENERIC, "lock record too long");
	}
	src = mem_source_new(b.data, b.len);
	if (src == NULL)
		err_set(err, E_GENERIC, "out of memory");
	else if (excl)
		rc = backend_put_new(l->be, l->name, src, b.len, err);
	else
		rc = backend_put(l->be, l->name, src, b.len, err);
	source_free(src);
	buf_release(&b);
	return rc;
}

/*
 * This running system, for the record: the kernel's boot id and the pid
 * namespace ("-" when either is unknown).  Two runs that see the same
 * instance see the same processes.
 */
static void
read_instance(char *out, size_t size)
{
	char boot[64] = "", ns[64];
	ssize_t n;
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);

	snprintf(out, size, "-");
	if (fd < 0)
		return;
	n = read(fd, boot, sizeof(boot) - 1);
	close(fd);
	if (n <= 0)
		return;
	boot[n] = '\0';
	boot[strcspn(boot, "\n")] = '\0';
	n = readlink("/proc/self/ns/pid", ns, sizeof(ns) - 1);
	if (n <= 0 || boot[0] == '\0')
		return;
	ns[n] = '\0';
	snprintf(out, size, "%s %s", boot, ns);
}

/*
 * Is the holder a process of this very system that is no longer
 * running?  Only then can a lock be known dead before it goes stale.
 */
static bool
holder_gone(const struct rlock *l, const struct lockrec *r)
{
	if (strcmp(r->instance, "-") == 0 ||
	    strcmp(r->instance, l->rec.instance) != 0 ||
	    strcmp(r->host, l->rec.host) != 0 || r->pid > INT_MAX ||
	    r->pid == (uint64_t)getpid())
		return false;
	return kill((pid_t)r->pid, 0) < 0 && errno == ESRCH;
}

/* Stale: not refreshed for the timeout, nor for three of its holder's
 * intervals (a holder with a longer timeout refreshes less often). */
static bool
stale(const struct lockrec *r, unsigned timeout, int64_t now)
{
	int64_t limit = timeout;

	if ((int64_t)r->interval * 3 > limit)
		limit = (int64_t)r->interval * 3;
	return now - r->refreshed > limit;
}

static int
refuse(const struct lockrec *r, unsigned timeout, int64_t now,
    struct dupc_err *err)
{
	char holder[1024], to[64];
	int64_t ago = now - r->refreshed;

	dtime_elapsed_pretty((double)timeout, to, sizeof(to));
	return err_set(err, E_USER_ERROR,
	    "the target is locked by %s, refreshed %lld s ago; wait for that run to end, or if it is gone, for its lock to go stale (%s without refresh), or run again with --break-lock",
	    lockrec_holder(r, holder, sizeof(holder)),
	    (long long)(ago > 0 ? ago : 0), to);
}

/*
 * A lock found while taking ours: refuse, or break it (stale, or
 * --break-lock) and return 0 so the caller creates ours.
 */
static int
break_or_refuse(struct rlock *l, int found, const struct lockrec *r,
    const char *why, bool *force, struct dupc_err *err)
{
	int64_t now = (int64_t)time(NULL);
	bool gone = found == FOUND && holder_gone(l, r);
	char holder[1024];
	struct dupc_err e;

	if (found == FOUND && !*force && !gone && !stale(r, l->timeout, now))
		return refuse(r, l->timeout, now, err);
	if (found == UNREADABLE && !*force)
		return err_set(err, E_USER_ERROR,
		    "the target holds a %s that is not a dupc lock (%s); if no other run is using the target, run again with --break-lock",
		    l->name, why);
	if (found == UNREADABLE)
		log_warn(
		    "Warning: removing %s, which is not a lock record (%s), as --break-lock asks",
		    l->name, why);
	else if (*force)
		log_warn(
		    "Warning: breaking the lock of %s as --break-lock asks",
		    lockrec_holder(r, holder, sizeof(holder)));
	else if (gone)
		log_warn(
		    "Warning: breaking the lock of %s: that process is gone",
		    lockrec_holder(r, holder, sizeof(holder)));
	else
		log_warn(
		    "Warning: breaking the stale lock of %s: not refreshed for %lld s",
		    lockrec_holder(r, holder, sizeof(holder)),
		    (long long)(now - r->refreshed));
	/* once: a lock that appears after this is a live run's */
	*force = false;
	err_clear(&e);
	if (backend_remove(l->be, l->name, &e) < 0 && e.cls != ERR_NOT_FOUND) {
		if (err != NULL)
			*err = e;
		err_prefix(err, "breaking the lock on the target");
		return -1;
	}
	return 0;
}

/*
 * Create our record: 0 when it is ours, 1 when another run got there
 * first (the caller reads again), -1 on failure.
 */
static int
create(struct rlock *l, bool *atomic, double settle, struct dupc_err *err)
{
	struct lockrec back;
	char why[256];
	int rc;

	if (*atomic) {
		rc = write_lock(l, true, err);
		if (rc >= 0)
			return rc;
		if (err == NULL || err->code != E_NOT_IMPLEMENTED)
			return -1;
		/* the server cannot create conditionally after all */
		*atomic = false;
		err_clear(err);
	}
	if (write_lock(l, false, err) < 0)
		return -1;
	/* let a concurrent writer's record land, then see who won */
	interrupt_sleep(settle);
	rc = read_lock(l->be, l->name, &back, why, sizeof(why), err);
	if (rc < 0)
		return -1;
	return rc == FOUND && strcmp(back.token, l->rec.token) == 0 ? 0 : 1;
}

/* Take the lock: read, break or refuse, create, and again on a race. */
static int
take(struct rlock *l, const struct rlock_opts *o, struct dupc_err *err)
{
	bool atomic = (backend_flags(l->be) & BACKEND_PUT_NEW) != 0;
	bool force = o->break_lock;
	struct lockrec r;
	char why[256];
	int tries, rc;

	for (tries = 0; tries < TAKE_TRIES; tries++) {
		rc = read_lock(l->be, l->name, &r, why, sizeof(why), err);
		if (rc < 0)
			return -1;
		/* ours: an attempt that failed had stored it after all */
		if (rc == FOUND && strcmp(r.token, l->rec.token) == 0)
			return 0;
		if (rc != ABSENT &&
		    break_or_refuse(l, rc, &r, why, &force, err) < 0)
			return -1;
		rc = create(l, &atomic,
		    o->settle > 0 ? o->settle : RLOCK_SETTLE, err);
		if (rc <= 0)
			return rc;
		if (interrupted())
			break;
	}
	return err_set(err, E_USER_ERROR,
	    "cannot take the lock on the target: other runs keep taking it; try again later");
}

/*
 * One refresh: our record rewritten with the time, unless another run's
 * record is there now (then the lock was broken: stop this run).
 */
static void
refresh(struct rlock *l)
{
	struct dupc_err e;
	struct lockrec r;
	char why[256], holder[1024], msg[1400];
	int rc;

	err_clear(&e);
	rc = read_lock(l->be, l->name, &r, why, sizeof(why), &e);
	if (rc == FOUND && strcmp(r.token, l->rec.token) == 0) {
		l->rec.refreshed = (int64_t)time(NULL);
		if (write_lock(l, false, &e) == 0)
			return;
	}
	/* a failure is not a loss: the next refresh tries again */
	if (rc < 0 || (rc == FOUND && strcmp(r.token, l->rec.token) == 0)) {
		log_warn("Warning: cannot refresh the lock on the target: %s",
		    e.msg);
		return;
	}
	l->lost = true;
	if (rc == FOUND)
		snprintf(msg, sizeof(msg),
		    "the lock on the target was broken and taken by %s",
		    lockrec_holder(&r, holder, sizeof(holder)));
	else
		snprintf(msg, sizeof(msg),
		    "the lock on the target was broken by another run");
	log_warn("Warning: %s; stopping", msg);
	interrupt_request(msg);
}

static void *
refresher(void *arg)
{
	struct rlock *l = arg;
	struct timespec at;

	pthread_mutex_lock(&l->mu);
	while (!l->stop && !l->lost) {
		clock_gettime(CLOCK_MONOTONIC, &at);
		at.tv_sec += (time_t)l->rec.interval;
		while (!l->stop &&
		       pthread_cond_timedwait(&l->cv, &l->mu, &at) != ETIMEDOUT)
			;
		if (l->stop)
			break;
		pthread_mutex_unlock(&l->mu);
		refresh(l);
		pthread_mutex_lock(&l->mu);
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

static int
start_refresher(struct rlock *l, struct dupc_err *err)
{
	pthread_condattr_t ca;
	int rc;

	if (pthread_condattr_init(&ca) != 0)
		return err_set(err, E_GENERIC, "out of memory");
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	rc = pthread_cond_init(&l->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (rc != 0)
		return err_set(err, E_GENERIC, "out of memory");
	if (pthread_create(&l->tid, NULL, refresher, l) != 0) {
		pthread_cond_destroy(&l->cv);
		return err_set(err, E_GENERIC,
		    "cannot start the thread that refreshes the lock");
	}
	l->thread = true;
	return 0;
}

static void
fill_record(struct rlock *l, const struct rlock_opts *o)
{
	char gname[256];
	int64_t now = (int64_t)time(NULL);

	snprintf(l->rec.host, sizeof(l->rec.host), "%s",
	    o->host != NULL && o->host[0] != '\0' ? o->host : "unknown");
	owner_names((int64_t)getuid(), (int64_t)getgid(), l->rec.user, gname);
	if (l->rec.user[0] == '\0')
		snprintf(l->rec.user, sizeof(l->rec.user), "%lu",
		    (unsigned long)getuid());
	snprintf(l->rec.command, sizeof(l->rec.command), "%s",
	    o->command != NULL ? o->command : "dupc");
	read_instance(l->rec.instance, sizeof(l->rec.instance));
	l->rec.pid = (uint64_t)getpid();
	l->rec.started = l->rec.refreshed = now;
	l->rec.interval = rlock_interval(l->timeout);
	make_token(l->rec.token);
}

int
rlock_take(struct rlock **lp, struct backend *be, const struct rlock_opts *o,
    struct dupc_err *err)
{
	struct rlock *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	l->be = be;
	l->timeout = o->timeout > 0 ? o->timeout : RLOCK_TIMEOUT_DEFAULT;
	snprintf(l->name, sizeof(l->name), "%s%s",
	    o->prefix != NULL ? o->prefix : "", RLOCK_NAME);
	fill_record(l, o);
	pthread_mutex_init(&l->mu, NULL);
	if (take(l, o, err) < 0)
		goto fail;
	log_info("Took the lock on the target (%s)", l->name);
	if (start_refresher(l, err) < 0) {
		rlock_release(l);
		return -1;
	}
	*lp = l;
	return 0;
fail:
	pthread_mutex_destroy(&l->mu);
	free(l);
	return -1;
}

/* Remove the lock if the record there is still ours. */
static void
remove_ours(struct rlock *l)
{
	struct dupc_err e;
	struct lockrec r;
	char why[256];
	int rc;

	err_clear(&e);
	rc = read_lock(l->be, l->name, &r, why, sizeof(why), &e);
	if (rc == ABSENT || (rc != FOUND && rc >= 0) ||
	    (rc == FOUND && strcmp(r.token, l->rec.token) != 0))
		return;
	if (rc == FOUND && backend_remove(l->be, l->name, &e) == 0) {
		log_info("Removed the lock on the target (%s)", l->name);
		return;
	}
	log_warn(
	    "Warning: cannot remove the lock on the target (%s): %s; other runs will break it when it goes stale",
	    l->name, e.msg);
}

void
rlock_release(struct rlock *l)
{
	if (l == NULL)
		return;
	if (l->thread) {
		pthread_mutex_lock(&l->mu);
		l->stop = true;
		pthread_cond_broadcast(&l->cv);
		pthread_mutex_unlock(&l->mu);
		pthread_join(l->tid, NULL);
		pthread_cond_destroy(&l->cv);
	}
	if (!l->lost) {
		interrupt_hold(true);
		remove_ours(l);
		interrupt_hold(false);
	}
	pthread_mutex_destroy(&l->mu);
	free(l);
}
