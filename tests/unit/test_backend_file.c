/*
 * file:// against the backend conformance suite (backend_suite.h), plus
 * what only a local folder can show: a FIFO under a stored name is
 * refused by open_read rather than waited on.
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend_suite.h"
#include "unit.h"
#include "util/err.h"

static char scratch[256];

static void
file_url(char *buf, size_t size, unsigned serial, void *arg)
{
	(void)arg;
	snprintf(buf, size, "file://%s/t%u/a/b", scratch, serial);
}

static void
file_subfolder(const char *url, void *arg)
{
	char path[600];

	(void)arg;
	snprintf(path, sizeof(path), "%s/subdir", url + strlen("file://"));
	assert_int_equal(mkdir(path, 0700), 0);
}

static int
setup(void **state)
{
	const char *t = getenv("TMPDIR");

	(void)state;
	snprintf(scratch, sizeof(scratch), "%s/dupc-file-suite.XXXXXX",
	    t != NULL && *t ? t : "/tmp");
	return mkdtemp(scratch) != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
	if (strstr(scratch, "dupc-file-suite.") != NULL)
		(void)!system(cmd);
	return 0;
}

/* A FIFO where a volume should be is refused, not waited on. */
static void
test_fifo_refused(void **state)
{
	static const struct backend_options o = { .num_retries = 1 };
	char url[600], fifo[700];
	struct backend *be;
	struct dupc_err err;
	int fd = -1;

	(void)state;
	snprintf(url, sizeof(url), "file://%s/fifo", scratch);
	snprintf(fifo, sizeof(fifo), "%s/fifo", scratch);
	assert_int_equal(mkdir(fifo, 0700), 0);
	snprintf(fifo, sizeof(fifo), "%s/fifo/vol2.difftar.gz", scratch);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	err_clear(&err);
	assert_int_equal(backend_open(url, &o, &be, &err), 0);
	assert_int_equal(backend_open_read(be, "vol2.difftar.gz", &fd, &err),
	    -1);
	assert_non_null(strstr(err.msg, "not a regular file"));
	backend_close(be);
}

int
main(void)
{
	static const struct suite_target t[] = {
		{ "file", file_url, NULL, file_subfolder, true, true, 0, NULL },
	};
	const struct CMUnitTest local[] = {
		cmocka_unit_test(test_fifo_refused),
	};
	unit_init();
	return backend_suite_run("file backend", t, 1, local,
	    sizeof(local) / sizeof(local[0]), setup, teardown);
}
