/*
 * par2+file:// against the backend conformance suite (backend_suite.h),
 * and what only the wrapper does: recovery files beside each object,
 * hidden from listings, removed with it, and used to repair an object
 * that comes back damaged or cut short.
 */
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend_suite.h"
#include "bt_util.h"
#include "unit.h"
#include "util/err.h"

static char scratch[256];

static const struct backend_options opts = { .num_retries = 1,
	.retry_delay = 0.01,
	.timeout = 10 };

static void
par2_url(char *buf, size_t size, unsigned serial, void *arg)
{
	(void)arg;
	snprintf(buf, size, "par2+file://%s/t%u", scratch, serial);
}

static void
par2_subfolder(const char *url, void *arg)
{
	char path[600];

	(void)arg;
	snprintf(path, sizeof(path), "%s/subdir", url + strlen("par2+file://"));
	mkdir(url + strlen("par2+file://"), 0700);
	assert_int_equal(mkdir(path, 0700), 0);
}

static int
setup(void **state)
{
	const char *t = getenv("TMPDIR");

	(void)state;
	snprintf(scratch, sizeof(scratch), "%s/dupc-par2-suite.XXXXXX",
	    t != NULL && *t ? t : "/tmp");
	return mkdtemp(scratch) != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
	if (strstr(scratch, "dupc-par2-suite.") != NULL)
		(void)!system(cmd);
	return 0;
}

/* Count the files of ${dir} whose names start with ${prefix}. */
static unsigned
count_files(const char *dir, const char *prefix)
{
	char cmd[700], out[32] = "";
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ls '%s' | grep -c '^%s'", dir, prefix);
	p = popen(cmd, "r");
	assert_non_null(p);
	if (fgets(out, sizeof(out), p) == NULL)
		out[0] = '\0';
	pclose(p);
	return (unsigned)strtoul(out, NULL, 10);
}

static void
damage(const char *path, off_t at, size_t n)
{
	char junk[64];
	int fd = open(path, O_WRONLY);

	assert_true(fd >= 0 && n <= sizeof(junk));
	memset(junk, 0x5a, n);
	assert_int_equal(pwrite(fd, junk, n, at), (ssize_t)n);
	close(fd);
}

/* The layout duplicity's par2 backend uses, hidden and removed together;
 * damage and a cut tail are repaired, too much damage is named. */
static void
test_layout_and_repair(void **state)
{
	char url[700], dir[600], path[700], got[256];
	struct backend *be;
	struct dupc_err err;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/layout", scratch);
	snprintf(url, sizeof(url), "par2+file://%s", dir);
	err_clear(&err);
	assert_int_equal(backend_open(url, &opts, &be, &err), 0);
	bt_put_file(be, "vol1.difftar.gpg", 2000000, 42);
	assert_int_equal(count_files(dir, "vol1.difftar.gpg.par2$"), 1);
	assert_int_equal(count_files(dir, "vol1.difftar.gpg.vol[0-9+]*.par2$"),
	    1);
	assert_int_equal(bt_list(be, got, sizeof(got)), 1);
	assert_string_equal(got, "vol1.difftar.gpg:2000000;");
	snprintf(path, sizeof(path), "%s/vol1.difftar.gpg", dir);
	damage(path, 1000, 40);
	damage(path, 900000, 40);
	bt_expect_file(be, "vol1.difftar.gpg", 2000000, 42);
	assert_int_equal(truncate(path, 1950000), 0);
	bt_expect_file(be, "vol1.difftar.gpg", 2000000, 42);
	/* a third of it is more than 10% can rebuild */
	damage(path, 0, 64);
	assert_int_equal(truncate(path, 1300000), 0);
	err_clear(&err);
	{
		int fd = open("out", O_RDWR | O_CREAT | O_TRUNC, 0600);

		assert_int_equal(backend_get(be, "vol1.difftar.gpg", fd, &err),
		    -1);
		close(fd);
	}
	assert_non_null(strstr(err.msg, "vol1.difftar.gpg is damaged beyond"));
	assert_int_equal(err.code, E_MISMATCHED_HASH);
	err_clear(&err);
	assert_int_equal(backend_remove(be, "vol1.difftar.gpg", &err), 0);
	assert_int_equal(count_files(dir, "vol1"), 0);
	backend_close(be);
}

int
main(void)
{
	static const struct suite_target t[] = {
		{ "par2+file", par2_url, NULL, par2_subfolder, true, false, 30,
		    NULL },
	};
	const struct CMUnitTest own[] = {
		cmocka_unit_test(test_layout_and_repair),
	};

	unit_init();
	return backend_suite_run("par2 backend", t, 1, own,
	    sizeof(own) / sizeof(own[0]), setup, teardown);
}
