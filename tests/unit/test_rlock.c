/*
 * engine/rlock: the lock on the target, on mem:// stores behind the lock
 * and retry layers: taken and removed, refused while live, broken when
 * stale, when its process is gone or when asked, refused when the object
 * is not a lock; taken without put_new by writing and reading back; one
 * winner of a race either way; refreshed while held; and a run whose
 * lock was taken over is told to stop.
 */
#define _DEFAULT_SOURCE
#include "unit.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/mem/mem.h"
#include "engine/rlock.h"
#include "format/lockrec.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/interrupt.h"
#include "util/log.h"
#include "util/stream.h"
#include "util/tempfile.h"

static const struct backend_options bopts = { .num_retries = 2,
	.retry_delay = 0.01,
	.timeout = 5 };

static unsigned serial;
static char store[64];

/* A fresh store and a backend on it. */
static struct backend *
fresh(enum mem_put_new mode)
{
	struct backend *be = NULL;
	struct dupc_err err;
	char url[96];

	snprintf(store, sizeof(store), "rlock%u", ++serial);
	mem_backend_put_new(store, mode);
	snprintf(url, sizeof(url), "mem://%s", store);
	err_clear(&err);
	if (backend_open(url, &bopts, &be, &err) < 0)
		fail_msg("open %s: %s", url, err.msg);
	return be;
}

static struct rlock_opts
opts(unsigned timeout)
{
	struct rlock_opts o;

	memset(&o, 0, sizeof(o));
	o.host = "here.example";
	o.command = "backup";
	o.timeout = timeout;
	o.settle = 0.05;
	return o;
}

static int
is_lock(const char *name, uint64_t size, void *arg, struct dupc_err *err)
{
	(void)size;
	(void)err;
	if (strcmp(name, RLOCK_NAME) == 0)
		(*(int *)arg)++;
	return 0;
}

static bool
lock_present(struct backend *be)
{
	struct dupc_err err;
	int n = 0;

	assert_int_equal(backend_list(be, is_lock, &n, &err), 0);
	return n == 1;
}

/* The record on the target. */
static void
read_record(struct backend *be, struct lockrec *r)
{
	char text[LOCKREC_MAX + 1];
	struct dupc_err err;
	ssize_t n;
	int fd;

	err_clear(&err);
	fd = tempfile_open("t", NULL, &err);
	assert_true(fd >= 0);
	assert_int_equal(backend_get(be, RLOCK_NAME, fd, &err), 0);
	n = pread(fd, text, sizeof(text) - 1, 0);
	close(fd);
	assert_true(n > 0);
	assert_int_equal(lockrec_parse(r, text, (size_t)n, &err), 0);
}

/* Put a record (or any bytes) where the lock goes. */
static void
plant(struct backend *be, const char *text)
{
	struct source *src = mem_source_new(text, strlen(text));
	struct dupc_err err;

	err_clear(&err);
	assert_int_equal(backend_put(be, RLOCK_NAME, src, strlen(text), &err),
	    0);
	source_free(src);
}

/* Another run's record, refreshed ${ago} seconds ago. */
static void
plant_record(struct backend *be, const char *host, const char *instance,
    uint64_t pid, int64_t ago, unsigned interval)
{
	struct lockrec r;
	struct buf b;

	memset(&r, 0, sizeof(r));
	snprintf(r.host, sizeof(r.host), "%s", host);
	snprintf(r.user, sizeof(r.user), "someone");
	snprintf(r.command, sizeof(r.command), "backup");
	snprintf(r.instance, sizeof(r.instance), "%s", instance);
	r.pid = pid;
	r.refreshed = (int64_t)time(NULL) - ago;
	r.started = r.refreshed - 100;
	r.interval = interval;
	snprintf(r.token, sizeof(r.token), "%s",
	    "00000000000000000000000000000000");
	buf_init(&b, LOCKREC_MAX);
	assert_int_equal(lockrec_format(&r, &b), 0);
	plant(be, buf_str(&b));
	buf_release(&b);
}

static void
test_take_and_release(void **state)
{
	struct rlock_opts o = opts(60);
	struct backend *be = fresh(MEM_PUT_NEW);
	struct rlock *l = NULL;
	struct dupc_err err;
	struct lockrec r;

	(void)state;
	err_clear(&err);
	assert_int_equal(rlock_take(&l, be, &o, &err), 0);
	read_record(be, &r);
	assert_string_equal(r.host, "here.example");
	assert_string_equal(r.command, "backup");
	assert_int_equal(r.pid, (uint64_t)getpid());
	assert_int_equal(r.interval, rlock_interval(60));
	assert_true(r.refreshed >= r.started);
	rlock_release(l);
	assert_false(lock_present(be));
	backend_close(be);
}

/* A live lock of another run is refused with its holder and the fix. */
static void
test_refused_while_live(void **state)
{
	struct rlock_opts o = opts(60);
	struct backend *be = fresh(MEM_PUT_NEW);
	struct rlock *l = NULL, *m = NULL;
	struct dupc_err err;
	char want[128];

	(void)state;
	err_clear(&err);
	assert_int_equal(rlock_take(&l, be, &o, &err), 0);
	assert_int_equal(rlock_take(&m, be, &o, &err), -1);
	assert_int_equal(err.code, E_USER_ERROR);
	snprintf(want, sizeof(want), "@here.example (pid %ld, backup",
	    (long)getpid());
	assert_non_null(strstr(err.msg, want));
	assert_non_null(strstr(err.msg, "--break-lock"));
	/* another host's fresh lock likewise */
	rlock_release(l);
	plant_record(be, "elsewhere", "-", 4242, 0, 60);
	assert_int_equal(rlock_take(&m, be, &o, &err), -1);
	assert_non_null(strstr(err.msg, "someone@elsewhere (pid 4242"));
	backend_close(be);
}

/* Stale: older than the timeout and than three of its intervals. */
static void
test_stale_is_broken(void **state)
{
	struct rlock_opts o = opts(10);
	struct backend *be = fresh(MEM_PUT_NEW);
	struct rlock *l = NULL;
	struct dupc_err err;
	struct lockrec r;

	(void)state;
	/* 20 s old, but its holder refreshes every 60 s: live */
	plant_record(be, "elsewhere", "-", 4242, 20, 60);
	err_clear(&err);
	assert_int_equal(rlock_take(&l, be, &o, &err), -1);
	/* 200 s old: stale */
	plant_record(be, "elsewhere", "-", 4242, 200, 60);
	assert_int_equal(rlock_take(&l, be, &o, &err), 0);
	read_record(be, &r);
	assert_string_equal(r.host, "here.example");
	rlock_release(l);
	backend_close(be);
}

/* On this very system, a lock whose process is gone is broken at once;
 * the same pid seen from another system is not. */
static void
test_gone_process(void **state)
{
	struct rlock_opts o = opts(900);
	struct backend *be = fresh(MEM_PUT_NEW);
	struct rlock *l = NULL;
	struct dupc_err err;
	struct lockrec mine;
	pid_t dead = fork();

	(void)state;
	if (dead == 0)
		_exit(0);
	assert_true(dead > 0);
	waitpid(dead, NULL, 0);
	/* learn this system's instance from a record of our own */
	err_clear(&err);
	assert_int_equal(rlock_take(&l, be, &o, &err), 0);
	read_record(be, &mine);
	rlock_release(l);
	plant_record(be, "here.example", "another-boot pid:[1]", (uint64_t)dead,
	    0, 60);
	assert_int_equal(rlock_take(&l, be, &o, &err), -1);
	plant_record(be, "here.example", mine.instance, (uint64_t)getppid(), 0,
	    60);
	assert_int_equal(rlock_take(&l, be, &o, &err), -1);
	if (strcmp(mine.instance, "-") != 0) {
		plant_record(be, "here.example", mine.instance, (uint64_t)dead,
		    0, 60);
		assert_int_equal(rlock_take(&l, be, &o, &err), 0);
		rlock_release(l);
	}
	backend_close(be);
}

static void
test_break_lock(void **state)
{
	struct rlock_opts o = opts(60);
	struct backend *be = fresh(MEM_PUT_NEW);
	struct rlock *l = NULL;
	struct dupc_err err;
	struct lockrec r;

	(void)state;
	plant_record(be, "elsewhere", "-", 4242, 0, 60);
	o.break_lock = true;
	err_clear(&err);
	assert_int_equal(rlock_take(&l, be, &o, &err), 0);
	read_record(be, &r);
	assert_int_equal(r.pid, (uint64_t)getpid());
	rlock_release(l);
	backend_close(be);
}

/* An object under the lock's name that is not a lock: refused, and
 * removed with --break-lock. */
static void
test_not_a_lock(void **state)
{
	struct rlock_opts o = opts(60);
	struct backend *be = fresh(MEM_PUT_NEW);
	struct rlock *l = NULL;
	struct dupc_err err;
	char *big = malloc(LOCKREC_MAX + 10);

	(void)state;
	plant(be, "PK\003\004 not a lock\n");
	err_clear(&err);
	assert_int_equal(rlock_take(&l, be, &o, &err), -1);
	assert_int_equal(err.code, E_USER_ERROR);
	assert_non_null(strstr(err.msg, "not a dupc lock"));
	assert_non_null(big);
	memset(big, 'x', LOCKREC_MAX + 9);
	big[LOCKREC_MAX + 9] = '\0';
	plant(be, big);
	free(big);
	assert_int_equal(rlock_take(&l, be, &o, &err), -1);
	assert_non_null(strstr(err.msg, "more than a lock record"));
	o.break_lock = true;
	assert_int_equal(rlock_take(&l, be, &o, &err), 0);
	rlock_release(l);
	assert_false(lock_present(be));
	backend_close(be);
}

/* Without put_new, or with a server that refuses it: written, read
 * back, and taken. */
static void
test_without_put_new(void **state)
{
	static const enum mem_put_new modes[] = { MEM_PUT_NEW_ABSENT,
		MEM_PUT_NEW_UNSUPPORTED };
	struct rlock_opts o = opts(60);
	struct rlock *l = NULL, *m = NULL;
	struct dupc_err err;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct backend *be = fresh(modes[i]);

		assert_int_equal((backend_flags(be) & BACKEND_PUT_NEW) != 0,
		    i == 1);
		err_clear(&err);
		assert_int_equal(rlock_take(&l, be, &o, &err), 0);
		assert_int_equal(rlock_take(&m, be, &o, &err), -1);
		assert_int_equal(err.code, E_USER_ERROR);
		rlock_release(l);
		assert_false(lock_present(be));
		backend_close(be);
	}
}

struct racer {
	struct backend *be;
	struct rlock *l;
	int rc;
};

static void *
race(void *arg)
{
	struct racer *r = arg;
	struct rlock_opts o = opts(60);
	struct dupc_err err;

	o.settle = 0.3;
	err_clear(&err);
	r->rc = rlock_take(&r->l, r->be, &o, &err);
	return NULL;
}

/* Runs taking the lock at once: exactly one wins, with put_new and
 * without it. */
static void
test_race(void **state)
{
	static const enum mem_put_new modes[] = { MEM_PUT_NEW,
		MEM_PUT_NEW_ABSENT };
	size_t i, k, won;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct backend *be = fresh(modes[i]);
		struct racer r[3];
		pthread_t th[3];

		for (k = 0; k < 3; k++) {
			r[k] = (struct racer){ be, NULL, -2 };
			assert_int_equal(
			    pthread_create(&th[k], NULL, race, &r[k]), 0);
		}
		for (k = 0, won = 0; k < 3; k++) {
			pthread_join(th[k], NULL);
			assert_true(r[k].rc == 0 || r[k].rc == -1);
			won += r[k].rc == 0;
		}
		assert_int_equal(won, 1);
		for (k = 0; k < 3; k++)
			rlock_release(r[k].l);
		assert_false(lock_present(be));
		backend_close(be);
	}
}

/* While held, the record's time moves on. */
static void
test_refreshed(void **state)
{
	struct rlock_opts o = opts(3); /* refreshed every second */
	struct backend *be = fresh(MEM_PUT_NEW);
	struct rlock *l = NULL;
	struct dupc_err err;
	struct lockrec a, b;

	(void)state;
	err_clear(&err);
	assert_int_equal(rlock_take(&l, be, &o, &err), 0);
	read_record(be, &a);
	assert_int_equal(a.interval, 1);
	usleep(2500000);
	read_record(be, &b);
	assert_true(b.refreshed > a.refreshed);
	assert_string_equal(a.token, b.token);
	rlock_release(l);
	backend_close(be);
}

/*
 * A lock taken over by another run: the refresh finds the other record
 * and asks this run to stop (in a child: the stop is process-wide).
 */
static void
test_taken_over(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlock_opts o = opts(3);
		struct backend *be = fresh(MEM_PUT_NEW);
		struct rlock *l = NULL;
		struct dupc_err err;
		int i;

		err_clear(&err);
		if (rlock_take(&l, be, &o, &err) < 0)
			_exit(2);
		plant_record(be, "elsewhere", "-", 4242, 0, 60);
		for (i = 0; i < 50 && !interrupted(); i++)
			usleep(100000);
		if (!interrupted() || interrupt_reason() == NULL ||
		    strstr(interrupt_reason(), "someone@elsewhere") == NULL)
			_exit(3);
		rlock_release(l);
		/* the other run's lock stays */
		if (!lock_present(be))
			_exit(4);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void
test_interval(void **state)
{
	(void)state;
	assert_int_equal(rlock_interval(1), 1);
	assert_int_equal(rlock_interval(3), 1);
	assert_int_equal(rlock_interval(50), 10);
	assert_int_equal(rlock_interval(RLOCK_TIMEOUT_DEFAULT), 60);
	assert_int_equal(rlock_interval(7 * 86400), 60);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_take_and_release),
		UNIT_TEST(test_refused_while_live),
		UNIT_TEST(test_stale_is_broken),
		UNIT_TEST(test_gone_process),
		UNIT_TEST(test_break_lock),
		UNIT_TEST(test_not_a_lock),
		UNIT_TEST(test_without_put_new),
		UNIT_TEST(test_race),
		UNIT_TEST(test_refreshed),
		UNIT_TEST(test_taken_over),
		UNIT_TEST(test_interval),
	};
	struct dupc_err err;
	int rc;

	unit_init();
	err_clear(&err);
	if (tempdir_init(NULL, &err) < 0)
		return 1;
	rc = cmocka_run_group_tests_name("rlock", tests, NULL, NULL);
	tempdir_cleanup();
	return rc;
}
