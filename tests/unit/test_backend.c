/*
 * backend: the file:// backend's contract and the retry layer over mem://.
 */
#define _DEFAULT_SOURCE
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/mem/mem.h"
#include "util/err.h"
#include "util/stream.h"

static int
reset_mem(void **state)
{
	mem_backend_reset();
	return unit_teardown(state);
}

/* Collects a listing as "name size\n" lines, sorted by the caller. */
struct listing {
	char names[32][128];
	uint64_t sizes[32];
	size_t n;
	int stop_after; /* >0: fail the callback after that many */
};

static int
list_cb(const char *name, uint64_t size, void *arg, struct dupc_err *err)
{
	struct listing *l = arg;

	if (l->stop_after > 0 && (int)l->n >= l->stop_after)
		return err_set(err, E_GENERIC, "stopped by the callback");
	if (l->n < 32) {
		snprintf(l->names[l->n], sizeof(l->names[0]), "%s", name);
		l->sizes[l->n] = size;
		l->n++;
	}
	return 0;
}

static ssize_t
listed(const struct listing *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->names[i], name) == 0)
			return (ssize_t)l->sizes[i];
	return -1;
}

static int
put_bytes(struct backend *be, const char *name, const void *p, size_t n,
    struct dupc_err *err)
{
	struct source *s = mem_source_new(p, n);
	int rc;

	err_clear(err);
	rc = backend_put(be, name, s, n, err);
	source_free(s);
	return rc;
}

/* Get ${name} into a fresh file pre-filled with junk; returns the data. */
static unsigned char *
get_bytes(struct backend *be, const char *name, size_t *len,
    struct dupc_err *err)
{
	int fd = open("download", O_RDWR | O_CREAT | O_TRUNC, 0600);
	unsigned char *p = NULL;

	if (fd < 0)
		return NULL;
	/* longer than anything stored: get must truncate */
	if (write(fd, "JUNK JUNK JUNK JUNK JUNK JUNK JUNK JUNK", 39) != 39) {
		close(fd);
		return NULL;
	}
	lseek(fd, 7, SEEK_SET);
	err_clear(err);
	if (backend_get(be, name, fd, err) == 0) {
		close(fd);
		fd = -1;
		p = unit_slurp("download", len);
	}
	if (fd >= 0)
		close(fd);
	return p;
}

static void
test_file_backend(void **state)
{
	struct backend *be = NULL;
	struct dupc_err err;
	struct listing l;
	char url[PATH_MAX + 64], cwd[PATH_MAX];
	unsigned char *p;
	size_t len;
	uint64_t size = 0;
	struct stat st;

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(url, sizeof(url), "file://%s/target/sub///", cwd);
	err_clear(&err);
	assert_int_equal(backend_open_raw(url, NULL, &be, &err), 0);
	CHECK(backend_flags(be) & BACKEND_ATOMIC_PUT, "file puts are atomic");

	/* a missing folder lists as empty */
	memset(&l, 0, sizeof(l));
	CHECK_INT(backend_list(be, list_cb, &l, &err), 0,
	    "list missing folder");
	CHECK_INT(l.n, 0, "missing folder is empty");

	/* put creates the folder */
	CHECK_INT(put_bytes(be, "a.vol1", "hello world", 11, &err), 0, "put");
	CHECK_INT(stat("target/sub/a.vol1", &st), 0,
	    "stored where the URL says");
	CHECK_INT(put_bytes(be, "empty", "", 0, &err), 0, "put empty");
	CHECK_INT(backend_size(be, "a.vol1", &size, &err), 0, "size");
	CHECK_U64(size, 11, "size");
	CHECK_INT(backend_size(be, "empty", &size, &err), 0, "size of empty");
	CHECK_U64(size, 0, "size of empty");

	/* get truncates the destination and writes from offset 0 */
	p = get_bytes(be, "a.vol1", &len, &err);
	CHECK_MEM(p, p ? len : 0, "hello world", 11, "get");
	free(p);
	p = get_bytes(be, "empty", &len, &err);
	CHECK(p != NULL && len == 0, "get of an empty object");
	free(p);

	/* put replaces */
	CHECK_INT(put_bytes(be, "a.vol1", "short", 5, &err), 0, "replace");
	p = get_bytes(be, "a.vol1", &len, &err);
	CHECK_MEM(p, p ? len : 0, "short", 5, "replaced content");
	free(p);

	/* list: objects only, not hidden files or subfolders */
	assert_int_equal(mkdir("target/sub/subdir", 0700), 0);
	assert_int_equal(unit_write_file("target/sub/.hidden", "h", 1), 0);
	memset(&l, 0, sizeof(l));
	CHECK_INT(backend_list(be, list_cb, &l, &err), 0, "list");
	CHECK_INT(l.n, 2, "two objects");
	CHECK_INT(listed(&l, "a.vol1"), 5, "listed with its size");
	CHECK_INT(listed(&l, "empty"), 0, "empty listed");
	CHECK_INT(listed(&l, "subdir"), -1, "subfolders not listed");
	/* no temporary files were left by the puts */
	{
		char **names;
		size_t n;

		unit_list_dir("target/sub", &names, &n);
		CHECK_INT(n, 4, "a.vol1, empty, .hidden and subdir only");
		unit_free_names(names, n);
	}
	/* a callback error stops the listing */
	memset(&l, 0, sizeof(l));
	l.stop_after = 1;
	CHECK_INT(backend_list(be, list_cb, &l, &err), -1, "callback stops");
	CHECK(strstr(err.msg, "stopped") != NULL, "callback's error kept");

	/* not found: class and code */
	p = get_bytes(be, "missing", &len, &err);
	CHECK(p == NULL, "get missing");
	CHECK_INT(err.cls, ERR_NOT_FOUND, "get missing: class");
	CHECK_INT(err.code, E_BACKEND_NOT_FOUND, "get missing: code");
	err_clear(&err);
	CHECK_INT(backend_size(be, "missing", &size, &err), -1, "size missing");
	CHECK_INT(err.cls, ERR_NOT_FOUND, "size missing: class");
	err_clear(&err);
	CHECK_INT(backend_remove(be, "missing", &err), -1, "remove missing");
	CHECK_INT(err.cls, ERR_NOT_FOUND, "remove missing: class");
	CHECK_INT(err.code, E_BACKEND_NOT_FOUND, "remove missing: code");

	/* remove */
	CHECK_INT(backend_remove(be, "a.vol1", &err), 0, "remove");
	CHECK(access("target/sub/a.vol1", F_OK) < 0, "removed");
	err_clear(&err);
	CHECK_INT(backend_remove(be, "a.vol1", &err), -1, "remove twice");
	CHECK_INT(err.cls, ERR_NOT_FOUND, "remove twice: not found");

	/* names that are not one object in the folder */
	{
		static const char *const bad[] = { "", "a/b", ".", "..", "../x",
			"/etc/passwd" };
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			err_clear(&err);
			CHECK_INT(put_bytes(be, bad[i], "x", 1, &err), -1,
			    bad[i]);
			CHECK(err.cls != ERR_TRANSIENT, bad[i]);
			p = get_bytes(be, bad[i], &len, &err);
			CHECK(p == NULL, bad[i]);
			CHECK_INT(backend_remove(be, bad[i], &err), -1, bad[i]);
			CHECK_INT(backend_size(be, bad[i], &size, &err), -1,
			    bad[i]);
		}
		CHECK(access("x", F_OK) < 0 && access("target/x", F_OK) < 0,
		    "nothing written outside the folder");
	}

	/* a failing source leaves no object and no temporary file */
	{
		struct source *s = unit_failing_source_new(70000);
		char **names;
		size_t n;

		err_clear(&err);
		CHECK_INT(backend_put(be, "partial", s, 100000, &err), -1,
		    "failing source");
		source_free(s);
		CHECK(access("target/sub/partial", F_OK) < 0,
		    "no partial object");
		unit_list_dir("target/sub", &names, &n);
		CHECK_INT(n, 3, "no temporary file left");
		unit_free_names(names, n);
	}
	backend_close(be);
	backend_close(NULL);
	UNIT_DONE();
}

static void
test_file_relative_and_wrapped(void **state)
{
	struct backend *be = NULL;
	struct dupc_err err;
	unsigned char *p;
	size_t len;

	(void)state;
	/* a relative path is relative to the current directory */
	assert_int_equal(backend_open("file://rel/dir", NULL, &be, &err), 0);
	CHECK(backend_flags(be) & BACKEND_ATOMIC_PUT,
	    "the retry layer reports the inner flags");
	CHECK_INT(put_bytes(be, "obj", "data", 4, &err), 0,
	    "put through retry");
	CHECK(access("rel/dir/obj", F_OK) == 0, "relative target");
	p = get_bytes(be, "obj", &len, &err);
	CHECK_MEM(p, p ? len : 0, "data", 4, "get through retry");
	free(p);
	/* not found passes through the retry layer unchanged, at once */
	p = get_bytes(be, "nope", &len, &err);
	CHECK(p == NULL, "missing through retry");
	CHECK_INT(err.cls, ERR_NOT_FOUND, "class kept by the retry layer");
	CHECK(strstr(err.msg, "Giving up") == NULL, "not retried");
	backend_close(be);

	/* unknown schemes and bad URLs */
	err_clear(&err);
	CHECK_INT(backend_open("gopher://user:hunter2@host/p", NULL, &be, &err),
	    -1, "unknown scheme");
	CHECK_INT(err.code, E_BAD_URL, "unknown scheme: code");
	CHECK(strstr(err.msg, "gopher") != NULL, "names the scheme");
	CHECK(strstr(err.msg, "hunter2") == NULL, "password redacted");
	err_clear(&err);
	CHECK_INT(backend_open("/plain/path", NULL, &be, &err), -1,
	    "not a URL");
	CHECK_INT(err.code, E_BAD_URL, "not a URL: code");
	UNIT_DONE();
}

static struct backend *
open_mem(const char *store, unsigned retries)
{
	struct backend_options o;
	struct backend *be = NULL;
	struct dupc_err err;
	char url[64];

	memset(&o, 0, sizeof(o));
	o.num_retries = retries;
	o.retry_delay = 0.001;
	snprintf(url, sizeof(url), "mem://%s", store);
	if (backend_open(url, &o, &be, &err) < 0)
		return NULL;
	return be;
}

static void
test_retry_transient(void **state)
{
	struct backend *be = open_mem("r1", 3);
	struct dupc_err err;
	unsigned char *p;
	size_t len;
	uint64_t size = 0;
	struct listing l;

	(void)state;
	assert_non_null(be);
	/* two transient failures, then success within three attempts */
	mem_backend_fail("r1", "put", 2, ERR_TRANSIENT);
	CHECK_INT(put_bytes(be, "vol1", "0123456789", 10, &err), 0,
	    "put succeeds on the third attempt");
	CHECK_INT(mem_backend_calls("r1", "put"), 3, "three put attempts");
	p = get_bytes(be, "vol1", &len, &err);
	CHECK_MEM(p, p ? len : 0, "0123456789", 10,
	    "the source was rewound for each attempt");
	free(p);

	mem_backend_fail("r1", "get", 1, ERR_TRANSIENT);
	p = get_bytes(be, "vol1", &len, &err);
	CHECK_MEM(p, p ? len : 0, "0123456789", 10, "get after one failure");
	free(p);

	mem_backend_fail("r1", "list", 2, ERR_TRANSIENT);
	memset(&l, 0, sizeof(l));
	CHECK_INT(backend_list(be, list_cb, &l, &err), 0,
	    "list after failures");
	CHECK_INT(listed(&l, "vol1"), 10, "listed");

	mem_backend_fail("r1", "size", 1, ERR_TRANSIENT);
	CHECK_INT(backend_size(be, "vol1", &size, &err), 0,
	    "size after a failure");
	CHECK_U64(size, 10, "size");

	mem_backend_fail("r1", "remove", 2, ERR_TRANSIENT);
	CHECK_INT(backend_remove(be, "vol1", &err), 0, "remove after failures");
	CHECK_INT(backend_size(be, "vol1", &size, &err), -1, "removed");
	backend_close(be);
	UNIT_DONE();
}

static void
test_retry_gives_up(void **state)
{
	struct backend *be = open_mem("r2", 3);
	struct dupc_err err;
	unsigned char *p;
	size_t len;

	(void)state;
	assert_non_null(be);
	mem_backend_fail("r2", "put", 3, ERR_TRANSIENT);
	CHECK_INT(put_bytes(be, "vol1", "abc", 3, &err), -1,
	    "three failures with three attempts");
	CHECK_INT(mem_backend_calls("r2", "put"), 3, "exactly three attempts");
	CHECK(strncmp(err.msg, "Giving up after 3 attempts", 26) == 0,
	    "Giving up after 3 attempts");
	CHECK(strstr(err.msg, "injected put failure") != NULL,
	    "last attempt's message kept");
	CHECK_INT(err.cls, ERR_TRANSIENT, "class of the last attempt");
	CHECK_INT(err.code, E_BACKEND_ERROR, "code of the last attempt");

	/* permanent failures are not retried */
	mem_backend_fail("r2", "get", 5, ERR_PERMANENT);
	p = get_bytes(be, "vol1", &len, &err);
	CHECK(p == NULL, "permanent get failure");
	CHECK_INT(mem_backend_calls("r2", "get"), 1, "one get attempt");
	CHECK_INT(err.cls, ERR_PERMANENT, "permanent class");
	CHECK(strstr(err.msg, "Giving up") == NULL, "no giving-up text");
	mem_backend_fail("r2", "get", 0, ERR_PERMANENT);

	/* not found is not retried either */
	p = get_bytes(be, "nothing", &len, &err);
	CHECK(p == NULL, "missing object");
	CHECK_INT(mem_backend_calls("r2", "get"), 2, "one more get attempt");
	CHECK_INT(err.cls, ERR_NOT_FOUND, "not found class");

	/* a source that cannot rewind stops the retries */
	{
		struct source *m = mem_source_new("xyz", 3);
		struct source *l = limit_source_new(m, 3);

		mem_backend_fail("r2", "put", 1, ERR_TRANSIENT);
		err_clear(&err);
		CHECK_INT(backend_put(be, "vol2", l, 3, &err), -1,
		    "non-rewindable source");
		CHECK(strstr(err.msg, "rewound") != NULL, "says why");
		source_free(l);
		source_free(m);
	}
	backend_close(be);

	/* the default is five attempts */
	be = open_mem("r3", 0);
	mem_backend_fail("r3", "*", 4, ERR_TRANSIENT);
	CHECK_INT(put_bytes(be, "v", "1", 1, &err), 0, "default: 5 attempts");
	CHECK_INT(mem_backend_calls("r3", "put"), 5, "default: five calls");
	mem_backend_fail("r3", "*", 5, ERR_TRANSIENT);
	CHECK_INT(backend_remove(be, "v", &err), -1, "default: gives up");
	CHECK(strncmp(err.msg, "Giving up after 5 attempts", 26) == 0,
	    "Giving up after 5 attempts");
	backend_close(be);
	UNIT_DONE();
}

/* A put the remote reports as done but stores short is caught by the
 * size check and retried. */
static void
test_retry_size_check(void **state)
{
	struct backend *be = open_mem("r4", 3);
	struct dupc_err err;
	unsigned char data[100];
	unsigned char *p;
	size_t len;

	(void)state;
	assert_non_null(be);
	memset(data, 'd', sizeof(data));
	mem_backend_truncate_next_put("r4", 10);
	CHECK_INT(put_bytes(be, "vol1", data, sizeof(data), &err), 0,
	    "truncated put retried");
	CHECK_INT(mem_backend_calls("r4", "put"), 2, "two put attempts");
	p = get_bytes(be, "vol1", &len, &err);
	CHECK_MEM(p, p ? len : 0, data, sizeof(data), "whole object stored");
	free(p);
	backend_close(be);

	be = open_mem("r5", 1);
	assert_non_null(be);
	mem_backend_truncate_next_put("r5", 10);
	CHECK_INT(put_bytes(be, "vol1", data, sizeof(data), &err), -1,
	    "truncated put with one attempt");
	CHECK_INT(err.code, E_VOLUME_WRONG_SIZE, "volume_wrong_size code");
	CHECK(strncmp(err.msg, "Giving up after 1 attempts", 26) == 0,
	    "gives up");
	CHECK(strstr(err.msg, "has 10 bytes, expected 100") != NULL,
	    "says what was wrong");
	backend_close(be);

	/* the size call failing once after a put is retried too */
	be = open_mem("r6", 3);
	mem_backend_fail("r6", "size", 1, ERR_TRANSIENT);
	CHECK_INT(put_bytes(be, "v", data, 5, &err), 0, "size failure retried");
	CHECK_INT(mem_backend_calls("r6", "put"), 2, "put repeated");
	backend_close(be);
	UNIT_DONE();
}

static void
test_mem_stores(void **state)
{
	struct backend *a = open_mem("shared", 1), *b = open_mem("shared", 1);
	struct backend *c = open_mem("other", 1);
	struct dupc_err err;
	uint64_t size;

	(void)state;
	CHECK_INT(put_bytes(a, "x", "abc", 3, &err), 0, "put in a");
	CHECK_INT(backend_size(b, "x", &size, &err), 0, "visible in b");
	CHECK_INT(backend_size(c, "x", &size, &err), -1,
	    "not in another store");
	backend_close(a);
	backend_close(b);
	backend_close(c);
	UNIT_DONE();
}

/* The one name check every backend relies on. */
static void
test_name_check(void **state)
{
	static const char *const good[] = { "a", "duplicity-full.x.vol1",
		"with space", "caf\xc3\xa9", "...", ".hidden" };
	static const char *const bad[] = { "", ".", "..", "a/b", "/", "x\n",
		"\x01", "del\x7f" };
	char longest[300];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK(backend_name_ok(good[i]), good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(!backend_name_ok(bad[i]), bad[i]);
	memset(longest, 'x', 255);
	longest[255] = '\0';
	CHECK(backend_name_ok(longest), "255 bytes");
	longest[255] = 'x';
	longest[256] = '\0';
	CHECK(!backend_name_ok(longest), "256 bytes");
	UNIT_DONE();
}

static int
collect_env(void *arg, const char *name, const char *value)
{
	char *out = arg;

	snprintf(out + strlen(out), 256 - strlen(out), "%s=%s;", name, value);
	return 0;
}

/* Scheme options and a backend's own environment. */
static void
test_options_and_env(void **state)
{
	static const struct backend_opt o[] = { { "ssh-options", "-i a" },
		{ "flag", NULL }, { "ssh-options", "-i b" } };
	static const struct backend_opt e[] = { { "DUPCT_A", "own" },
		{ "DUPCT_C", "" } };
	struct backend_options bo = { .opts = o,
		.nopts = 3,
		.env = e,
		.nenv = 2 };
	char got[256] = "";
	size_t pos = 0;

	(void)state;
	CHECK(strcmp(backend_opt_get(&bo, "ssh-options"), "-i b") == 0,
	    "last value wins");
	CHECK(strcmp(backend_opt_next(&bo, "ssh-options", &pos), "-i a") == 0,
	    "first of a repeated option");
	CHECK(strcmp(backend_opt_next(&bo, "ssh-options", &pos), "-i b") == 0,
	    "second of a repeated option");
	CHECK(backend_opt_next(&bo, "ssh-options", &pos) == NULL, "then none");
	CHECK(backend_opt_flag(&bo, "flag"), "a flag");
	CHECK(!backend_opt_flag(&bo, "other"), "not given");
	setenv("DUPCT_A", "process", 1);
	setenv("DUPCT_B", "process", 1);
	CHECK(strcmp(backend_env(&bo, "DUPCT_A"), "own") == 0, "own first");
	CHECK(strcmp(backend_env(&bo, "DUPCT_B"), "process") == 0,
	    "then the process's");
	CHECK(strcmp(backend_env(NULL, "DUPCT_B"), "process") == 0,
	    "no options");
	backend_env_list(&bo, "DUPCT_", collect_env, got);
	CHECK(strcmp(got, "DUPCT_A=own;DUPCT_C=;DUPCT_B=process;") == 0, got);
	unsetenv("DUPCT_A");
	unsetenv("DUPCT_B");
	UNIT_DONE();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_name_check),
		UNIT_TEST(test_options_and_env),
		UNIT_TEST(test_file_backend),
		UNIT_TEST(test_file_relative_and_wrapped),
		cmocka_unit_test_setup_teardown(test_retry_transient,
		    unit_setup, reset_mem),
		cmocka_unit_test_setup_teardown(test_retry_gives_up, unit_setup,
		    reset_mem),
		cmocka_unit_test_setup_teardown(test_retry_size_check,
		    unit_setup, reset_mem),
		cmocka_unit_test_setup_teardown(test_mem_stores, unit_setup,
		    reset_mem),
	};

	unit_init();
	return cmocka_run_group_tests_name("backend", tests, NULL, NULL);
}
