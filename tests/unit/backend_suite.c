/*
 * The backend conformance suite (see backend_suite.h).  Each case opens a
 * fresh location, holds the backend to one clause of the contract in
 * backend/backend.h, and closes it.  Data is deterministic (bt_fill), so a
 * failure names the case, the target and the object.
 */
#define _DEFAULT_SOURCE
#include "backend_suite.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <pthread.h>

#include "backend/backend.h"
#include "bt_util.h"
#include "util/digest.h"
#include "util/err.h"
#include "util/ratelimit.h"
#include "util/stream.h"

static const struct backend_options default_opts = { .num_retries = 3,
	.retry_delay = 0.01,
	.timeout = 10 };

/* What a case runs against: a target, raw or wrapped. */
struct variant {
	const struct suite_target *t;
	bool wrapped;
};

static unsigned serial;

/* A fresh location; its URL in ${url}. */
static struct backend *
fresh(void **state, char *url, size_t size)
{
	const struct variant *v = *state;
	const struct backend_options *o =
	    v->t->opts ? v->t->opts : &default_opts;
	struct backend *be = NULL;
	struct dupc_err err;

	v->t->url(url, size, ++serial, v->t->arg);
	err_clear(&err);
	if ((v->wrapped ? backend_open : backend_open_raw)(url, o, &be, &err) !=
	    0)
		fail_msg("%s: open %s: %s", v->t->name, url, err.msg);
	return be;
}

static const struct suite_target *
target(void **state)
{
	return ((const struct variant *)*state)->t;
}

static int
temp_fd(void)
{
	const char *t = getenv("TMPDIR");
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/dupc-suite.XXXXXX",
	    t != NULL && *t ? t : "/tmp");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	return fd;
}

static void
expect_not_found(const char *what, int rc, const struct dupc_err *err)
{
	if (rc != -1 || err->cls != ERR_NOT_FOUND)
		fail_msg("%s: rc %d class %d: %s", what, rc, (int)err->cls,
		    err->msg);
}

/* A location that does not exist yet lists as empty; nothing is found. */
static void
test_empty_location(void **state)
{
	char url[512], buf[64];
	struct backend *be = fresh(state, url, sizeof(url));
	struct dupc_err err;
	uint64_t size;
	int fd = temp_fd();

	assert_int_equal(bt_list(be, buf, sizeof(buf)), 0);
	err_clear(&err);
	expect_not_found("size", backend_size(be, "nothing", &size, &err),
	    &err);
	expect_not_found("remove", backend_remove(be, "nothing", &err), &err);
	expect_not_found("get", backend_get(be, "nothing", fd, &err), &err);
	close(fd);
	backend_close(be);
}

static void
test_put_list_get(void **state)
{
	static const size_t sizes[] = { 1, 1000, 70000, 300000 };
	char url[512], name[32], *data[4], want[256], got[256];
	struct backend *be = fresh(state, url, sizeof(url));
	struct dupc_err err;
	uint64_t size;
	size_t i;

	want[0] = '\0';
	for (i = 0; i < 4; i++) {
		data[i] = malloc(sizes[i]);
		assert_non_null(data[i]);
		bt_fill(data[i], sizes[i], (unsigned)(i + 100 * serial));
		snprintf(name, sizeof(name), "vol%zu.difftar.gpg", i);
		bt_put(be, name, data[i], sizes[i]);
		snprintf(want + strlen(want), sizeof(want) - strlen(want),
		    "%s:%zu;", name, sizes[i]);
	}
	assert_int_equal(bt_list(be, got, sizeof(got)), 4);
	assert_string_equal(got, want);
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "vol%zu.difftar.gpg", i);
		bt_expect(be, name, data[i], sizes[i]);
		err_clear(&err);
		assert_int_equal(backend_size(be, name, &size, &err), 0);
		assert_int_equal(size, sizes[i]);
		if (backend_flags(be) & BACKEND_HASHES) {
			char hex[DIGEST_HEX_MAX], w[DIGEST_HEX_MAX];

			assert_int_equal(backend_sha256(be, name, hex, &err),
			    0);
			digest_hex(DIGEST_SHA256, data[i], sizes[i], w);
			assert_string_equal(hex, w);
		}
		free(data[i]);
	}
	backend_close(be);
}

/* A put replaces; a smaller object leaves nothing of the larger behind. */
static void
test_replace(void **state)
{
	char url[512], a[50000], b[7000], got[128];
	struct backend *be = fresh(state, url, sizeof(url));
	struct dupc_err err;
	uint64_t size;

	bt_fill(a, sizeof(a), 1 + serial);
	bt_fill(b, sizeof(b), 2 + serial);
	bt_put(be, "x", a, sizeof(a));
	bt_put(be, "x", b, sizeof(b));
	bt_expect(be, "x", b, sizeof(b));
	assert_int_equal(backend_size(be, "x", &size, &err), 0);
	assert_int_equal(size, sizeof(b));
	assert_int_equal(bt_list(be, got, sizeof(got)), 1);
	assert_string_equal(got, "x:7000;");
	bt_put(be, "x", a, sizeof(a));
	bt_expect(be, "x", a, sizeof(a));
	backend_close(be);
}

static void
test_remove(void **state)
{
	char url[512], got[128];
	struct backend *be = fresh(state, url, sizeof(url));
	struct dupc_err err;
	uint64_t size;
	int fd = temp_fd();

	bt_put(be, "keep", "kept", 4);
	bt_put(be, "drop", "dropped", 7);
	err_clear(&err);
	assert_int_equal(backend_remove(be, "drop", &err), 0);
	assert_int_equal(bt_list(be, got, sizeof(got)), 1);
	assert_string_equal(got, "keep:4;");
	expect_not_found("size", backend_size(be, "drop", &size, &err), &err);
	expect_not_found("remove twice", backend_remove(be, "drop", &err),
	    &err);
	expect_not_found("get", backend_get(be, "drop", fd, &err), &err);
	close(fd);
	bt_put(be, "drop", "again", 5);
	bt_expect(be, "drop", "again", 5);
	backend_close(be);
}

static void
test_subfolders_not_listed(void **state)
{
	char url[512], got[128];
	struct backend *be = fresh(state, url, sizeof(url));

	bt_put(be, "f", "1", 1);
	target(state)->make_subfolder(url, target(state)->arg);
	assert_int_equal(bt_list(be, got, sizeof(got)), 1);
	assert_string_equal(got, "f:1;");
	backend_close(be);
}

static void
test_odd_names(void **state)
{
	static const char *const names[] = {
		"with space", "plus+sign", "percent%41", "amp&eq=", "dots...",
		"caf\xc3\xa9", "quote'\"", "hash#question?", "back\\slash",
		"duplicity-new-signatures.20240101T000000Z.to.20240102T000000Z.sigtar.gpg"
	};
	char url[512], got[1024];
	struct backend *be = fresh(state, url, sizeof(url));
	size_t i, n = sizeof(names) / sizeof(names[0]);

	for (i = 0; i < n; i++)
		bt_put(be, names[i], names[i], strlen(names[i]));
	assert_int_equal(bt_list(be, got, sizeof(got)), n);
	for (i = 0; i < n; i++)
		bt_expect(be, names[i], names[i], strlen(names[i]));
	backend_close(be);
}

static void
test_empty_object(void **state)
{
	char url[512];
	struct backend *be = fresh(state, url, sizeof(url));
	struct source *src = mem_source_new("", 0);
	struct dupc_err err;
	int rc;

	err_clear(&err);
	rc = backend_put(be, "empty", src, 0, &err);
	source_free(src);
	if (target(state)->empty_ok) {
		if (rc != 0)
			fail_msg("put empty: %s", err.msg);
		bt_expect(be, "empty", "", 0);
	} else if (rc != 0 && err.cls != ERR_PERMANENT) {
		/* refusing is allowed; retrying for ever is not */
		fail_msg("put empty: class %d: %s", (int)err.cls, err.msg);
	}
	backend_close(be);
}

/* Several blocks of the source, several requests or units remotely. */
static void
test_streamed_from_file(void **state)
{
	char url[512];
	struct backend *be = fresh(state, url, sizeof(url));

	bt_put_file(be, "big", 5u * 1024 * 1024 + 1, 9 + serial);
	bt_expect_file(be, "big", 5u * 1024 * 1024 + 1, 9 + serial);
	backend_close(be);
}

/* open_read, where a backend has it, reads exactly what get would. */
static void
test_open_read(void **state)
{
	char url[512], data[70000], got[70001];
	struct backend *be = fresh(state, url, sizeof(url));
	struct dupc_err err;
	ssize_t n;
	int fd = -1, rc;

	bt_fill(data, sizeof(data), 7 + serial);
	bt_put(be, "vol1.difftar.gz", data, sizeof(data));
	err_clear(&err);
	rc = backend_open_read(be, "vol1.difftar.gz", &fd, &err);
	if (!target(state)->in_place) {
		assert_int_equal(rc, 1); /* remote backends download */
		backend_close(be);
		return;
	}
	assert_int_equal(rc, 0);
	n = read(fd, got, sizeof(got));
	assert_int_equal(n, (ssize_t)sizeof(data));
	assert_memory_equal(got, data, sizeof(data));
	close(fd);
	expect_not_found("open_read",
	    backend_open_read(be, "nothing", &fd, &err), &err);
	backend_close(be);
}

/* A source that fails after ${left} bytes, as a disk error would. */
struct failing {
	struct source base;
	uint64_t left;
	unsigned seed;
};

static int
failing_read(struct source *s, void *p, size_t cap, size_t *got,
    struct dupc_err *err)
{
	struct failing *f = (struct failing *)s;

	if (f->left == 0)
		return err_set(err, E_GENERIC, "simulated read error");
	if (cap > f->left)
		cap = (size_t)f->left;
	bt_fill(p, cap, f->seed++);
	f->left -= cap;
	*got = cap;
	return 0;
}

static int
failing_rewind(struct source *s, struct dupc_err *err)
{
	(void)s;
	(void)err;
	return 0;
}

static const struct source_ops failing_ops = { failing_read, failing_rewind,
	NULL, NULL };

/*
 * A put whose source fails half-way fails, and leaves nothing readable
 * as the object: a new name is not there, a replaced one keeps its old
 * content (where the backend promises atomic puts).
 */
static void
test_failed_put(void **state)
{
	char url[512], old[3000], got[256];
	struct backend *be = fresh(state, url, sizeof(url));
	struct failing f = { { &failing_ops }, 200000, 1 };
	struct dupc_err err;
	uint64_t size;

	bt_fill(old, sizeof(old), 3 + serial);
	bt_put(be, "kept", old, sizeof(old));
	err_clear(&err);
	assert_int_equal(backend_put(be, "new", &f.base, 400000, &err), -1);
	f.left = 200000;
	err_clear(&err);
	assert_int_equal(backend_put(be, "kept", &f.base, 400000, &err), -1);
	if (backend_flags(be) & BACKEND_ATOMIC_PUT) {
		assert_int_equal(bt_list(be, got, sizeof(got)), 1);
		assert_string_equal(got, "kept:3000;");
		bt_expect(be, "kept", old, sizeof(old));
	} else {
		/* at least nothing claims to be the whole object */
		err_clear(&err);
		if (backend_size(be, "new", &size, &err) == 0)
			assert_true(size != 400000);
	}
	backend_close(be);
}

/* Names that could escape the folder or break a protocol are refused,
 * permanently, before anything is stored. */
static void
test_bad_names(void **state)
{
	static const char *const bad[] = { "", ".", "..", "a/b", "../up",
		"/abs", "line\nbreak", "tab\tchar", "nul\x7f" };
	char url[512], got[64], name[300];
	struct backend *be = fresh(state, url, sizeof(url));
	struct source *src;
	struct dupc_err err;
	size_t i;
	int fd = temp_fd();

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		src = mem_source_new("x", 1);
		err_clear(&err);
		if (backend_put(be, bad[i], src, 1, &err) != -1 ||
		    err.cls != ERR_PERMANENT)
			fail_msg("put '%s' was not refused", bad[i]);
		source_free(src);
		err_clear(&err);
		assert_int_equal(backend_get(be, bad[i], fd, &err), -1);
		assert_int_equal(err.cls, ERR_PERMANENT);
	}
	memset(name, 'n', 256);
	name[256] = '\0';
	src = mem_source_new("x", 1);
	assert_int_equal(backend_put(be, name, src, 1, &err), -1);
	source_free(src);
	close(fd);
	assert_int_equal(bt_list(be, got, sizeof(got)), 0);
	backend_close(be);
}

struct stopper {
	unsigned calls;
};

static int
stop_at_first(const char *name, uint64_t size, void *arg, struct dupc_err *err)
{
	struct stopper *s = arg;

	(void)name;
	(void)size;
	s->calls++;
	return err_set(err, E_GENERIC, "stopped by the caller");
}

/* A listing stops when its callback says so, with the callback's error,
 * and the listing of many objects is whole. */
static void
test_listing(void **state)
{
	unsigned many = target(state)->many ? target(state)->many : 120, i;
	char url[512], name[64], *got;
	struct backend *be = fresh(state, url, sizeof(url));
	struct stopper s = { 0 };
	struct dupc_err err;

	for (i = 0; i < many; i++) {
		snprintf(name, sizeof(name), "obj-%05u", i);
		bt_put(be, name, name, strlen(name));
	}
	got = malloc((size_t)many * 24 + 1);
	assert_non_null(got);
	assert_int_equal(bt_list(be, got, (size_t)many * 24 + 1), many);
	free(got);
	err_clear(&err);
	assert_int_equal(backend_list(be, stop_at_first, &s, &err), -1);
	assert_int_equal(s.calls, 1);
	assert_non_null(strstr(err.msg, "stopped by the caller"));
	backend_close(be);
}

struct worker {
	struct backend *be;
	unsigned id;
	int failed;
	char msg[256];
};

static void *
work(void *arg)
{
	struct worker *w = arg;
	char name[32], data[20000], back[20000];
	struct dupc_err err;
	struct source *src;
	unsigned i;
	int fd = temp_fd();

	for (i = 0; i < 4 && !w->failed; i++) {
		snprintf(name, sizeof(name), "t%u-%u", w->id, i);
		bt_fill(data, sizeof(data), w->id * 100 + i);
		src = mem_source_new(data, sizeof(data));
		err_clear(&err);
		if (backend_put(w->be, name, src, sizeof(data), &err) != 0 ||
		    backend_get(w->be, name, fd, &err) != 0 ||
		    pread(fd, back, sizeof(back), 0) != sizeof(back) ||
		    memcmp(back, data, sizeof(data)) != 0) {
			w->failed = 1;
			snprintf(w->msg, sizeof(w->msg), "%s: %.200s", name,
			    err.msg);
		}
		source_free(src);
	}
	close(fd);
	return NULL;
}

/* backend_open's instance may be called from several threads at once. */
static void
test_threads(void **state)
{
	const struct variant *v = *state;
	char url[512], got[512];
	struct backend *be;
	struct worker w[3];
	pthread_t th[3];
	unsigned i;

	be = fresh(state, url, sizeof(url));
	if (!v->wrapped && !(backend_flags(be) & BACKEND_CONCURRENT)) {
		/* a raw instance promises it only when it says so */
		backend_close(be);
		skip();
	}
	for (i = 0; i < 3; i++) {
		w[i] = (struct worker){ be, i, 0, "" };
		assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
	}
	for (i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		if (w[i].failed)
			fail_msg("thread %u: %s", i, w[i].msg);
	}
	assert_int_equal(bt_list(be, got, sizeof(got)), 12);
	backend_close(be);
}

/* Store ${n} bytes of ${p} with put_new: its result, or fail the test. */
static int
put_new(struct backend *be, const char *name, const char *p, size_t n)
{
	struct source *src = mem_source_new(p, n);
	struct dupc_err err;
	int rc;

	err_clear(&err);
	rc = backend_put_new(be, name, src, n, &err);
	source_free(src);
	if (rc < 0)
		fail_msg("put_new %s: %s", name, err.msg);
	return rc;
}

/*
 * put_new creates once: a second put_new finds the name taken and leaves
 * the object as it was; after a remove it creates again.  A backend
 * without it says so with E_NOT_IMPLEMENTED.
 */
static void
test_put_new(void **state)
{
	char url[512], got[128];
	struct backend *be = fresh(state, url, sizeof(url));
	struct source *src;
	struct dupc_err err;

	if (!(backend_flags(be) & BACKEND_PUT_NEW)) {
		src = mem_source_new("x", 1);
		err_clear(&err);
		assert_int_equal(backend_put_new(be, "lock", src, 1, &err), -1);
		assert_int_equal(err.code, E_NOT_IMPLEMENTED);
		source_free(src);
		backend_close(be);
		return;
	}
	assert_int_equal(put_new(be, "lock", "first holder", 12), 0);
	assert_int_equal(put_new(be, "lock", "second", 6), 1);
	bt_expect(be, "lock", "first holder", 12);
	assert_int_equal(bt_list(be, got, sizeof(got)), 1);
	assert_string_equal(got, "lock:12;");
	err_clear(&err);
	assert_int_equal(backend_remove(be, "lock", &err), 0);
	assert_int_equal(put_new(be, "lock", "second", 6), 0);
	bt_expect(be, "lock", "second", 6);
	backend_close(be);
}

struct racer {
	struct backend *be;
	char data[32];
	int rc;
	char msg[256];
};

static void *
race(void *arg)
{
	struct racer *r = arg;
	struct source *src = mem_source_new(r->data, strlen(r->data));
	struct dupc_err err;

	err_clear(&err);
	r->rc = backend_put_new(r->be, "race", src, strlen(r->data), &err);
	snprintf(r->msg, sizeof(r->msg), "%.200s", err.msg);
	source_free(src);
	return NULL;
}

/* Of several threads creating one name at once, exactly one wins, and
 * the object is the winner's. */
static void
test_put_new_race(void **state)
{
	const struct variant *v = *state;
	char url[512];
	struct backend *be = fresh(state, url, sizeof(url));
	struct racer r[4];
	pthread_t th[4];
	unsigned i, won = 4;

	if (!(backend_flags(be) & BACKEND_PUT_NEW) ||
	    (!v->wrapped && !(backend_flags(be) & BACKEND_CONCURRENT))) {
		backend_close(be);
		skip();
	}
	for (i = 0; i < 4; i++) {
		r[i].be = be;
		snprintf(r[i].data, sizeof(r[i].data), "racer number %u", i);
		assert_int_equal(pthread_create(&th[i], NULL, race, &r[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		if (r[i].rc < 0)
			fail_msg("racer %u: %s", i, r[i].msg);
		if (r[i].rc == 0) {
			if (won != 4)
				fail_msg("racers %u and %u both created", won,
				    i);
			won = i;
		}
	}
	if (won == 4)
		fail_msg("no racer created the object");
	bt_expect(be, "race", r[won].data, strlen(r[won].data));
	backend_close(be);
}

/*
 * --limit-upload and --limit-download: every byte of a put and a get
 * goes through the buckets (with a rate too high to wait), and nothing
 * is read in place while downloads are limited.
 */
static void
test_limits(void **state)
{
	const struct variant *v = *state;
	struct backend_options o = v->t->opts ? *v->t->opts : default_opts;
	char url[512], data[300000];
	struct backend *be = NULL;
	struct dupc_err err;
	int fd = -1;

	o.limit_up = ratelimit_new(UINT64_C(1) << 40);
	o.limit_down = ratelimit_new(UINT64_C(1) << 40);
	assert_non_null(o.limit_up);
	assert_non_null(o.limit_down);
	v->t->url(url, sizeof(url), ++serial, v->t->arg);
	err_clear(&err);
	if ((v->wrapped ? backend_open : backend_open_raw)(url, &o, &be,
		&err) != 0)
		fail_msg("%s: open %s: %s", v->t->name, url, err.msg);
	bt_fill(data, sizeof(data), 11 + serial);
	bt_put(be, "vol1.difftar.gpg", data, sizeof(data));
	if (ratelimit_total(o.limit_up) < sizeof(data))
		fail_msg("put: %llu bytes through the upload limit, sent %zu",
		    (unsigned long long)ratelimit_total(o.limit_up),
		    sizeof(data));
	bt_expect(be, "vol1.difftar.gpg", data, sizeof(data));
	if (ratelimit_total(o.limit_down) < sizeof(data))
		fail_msg("get: %llu bytes through the download limit, got %zu",
		    (unsigned long long)ratelimit_total(o.limit_down),
		    sizeof(data));
	err_clear(&err);
	assert_int_equal(backend_open_read(be, "vol1.difftar.gpg", &fd, &err),
	    1);
	backend_close(be);
	ratelimit_free(o.limit_up);
	ratelimit_free(o.limit_down);
}

static const struct {
	const char *name;
	CMUnitTestFunction fn;
	bool folders; /* needs a backend with subfolders */
} cases[] = {
	{ "empty location", test_empty_location, false },
	{ "put, list, get, size, sha256", test_put_list_get, false },
	{ "replace", test_replace, false },
	{ "remove", test_remove, false },
	{ "subfolders are not listed", test_subfolders_not_listed, true },
	{ "odd names", test_odd_names, false },
	{ "empty object", test_empty_object, false },
	{ "streamed from a file", test_streamed_from_file, false },
	{ "read in place", test_open_read, false },
	{ "a failed put leaves nothing readable", test_failed_put, false },
	{ "bad names are refused", test_bad_names, false },
	{ "long and stopped listings", test_listing, false },
	{ "several threads", test_threads, false },
	{ "put_new creates once", test_put_new, false },
	{ "put_new races have one winner", test_put_new_race, false },
	{ "transfers go through the limits", test_limits, false },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

int
backend_suite_run(const char *group, const struct suite_target *targets,
    size_t n, const struct CMUnitTest *extra, size_t nextra,
    int (*setup)(void **), int (*teardown)(void **))
{
	struct CMUnitTest *tests =
	    calloc(n * 2 * NCASES + nextra, sizeof(*tests));
	struct variant *vars = calloc(n * 2, sizeof(*vars));
	char(*names)[128] = calloc(n * 2 * NCASES, sizeof(*names));
	size_t i, j, k = 0;
	int rc;

	assert_non_null(tests);
	assert_non_null(vars);
	assert_non_null(names);
	for (i = 0; i < n * 2; i++) {
		vars[i].t = &targets[i / 2];
		vars[i].wrapped = i % 2 == 1;
		for (j = 0; j < NCASES; j++) {
			if (cases[j].folders &&
			    vars[i].t->make_subfolder == NULL)
				continue;
			snprintf(names[k], sizeof(names[k]), "%s%s: %s",
			    vars[i].t->name,
			    vars[i].wrapped ? " (lock and retry)" : "",
			    cases[j].name);
			tests[k].name = names[k];
			tests[k].test_func = cases[j].fn;
			tests[k].initial_state = &vars[i];
			k++;
		}
	}
	for (j = 0; j < nextra; j++)
		tests[k++] = extra[j];
	rc = _cmocka_run_group_tests(group, tests, k, setup, teardown);
	free(tests);
	free(vars);
	free(names);
	return rc;
}

static void
skipped(void **state)
{
	(void)state;
	skip();
}

int
backend_suite_skip(const char *group, const char *why)
{
	struct CMUnitTest t = { why, skipped, NULL, NULL, NULL };

	return _cmocka_run_group_tests(group, &t, 1, NULL, NULL);
}
