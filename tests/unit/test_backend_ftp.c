/*
 * ftp:// against the backend conformance suite (backend_suite.h), on the
 * real vsftpd of tests/servers/ftp: plain FTP, explicit TLS (ftpes://)
 * and implicit TLS (ftps://), the TLS ones with the run's throwaway CA
 * given by --ssl-cacert-file.  Then what only this scheme does: refused
 * credentials, an unknown CA, --ftp-regular (the server refuses active
 * mode, so the option is proved to be honoured), folders made on upload.
 *
 * needs-server: ftp
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend_suite.h"
#include "bt_server.h"
#include "unit.h"
#include "util/err.h"
#include "util/stream.h"

static char s_ftp[] = "ftp", s_ftpes[] = "ftpes", s_ftps[] = "ftps";
static struct backend_opt tls_opt[1];
static struct backend_options opts = { .num_retries = 3,
	.retry_delay = 0.01,
	.timeout = 10,
	.opts = tls_opt,
	.nopts = 1 };

static const char *
env(const char *key)
{
	const char *v = bt_server_env("ftp", key);

	if (v == NULL)
		fail_msg("the ftp server gave no %s", key);
	return v;
}

/* ${scheme}://dupctest@127.0.0.1:PORT/unit-PID/SCHEME/tN */
static void
ftp_url(char *buf, size_t size, unsigned serial, void *arg)
{
	const char *scheme = arg;

	snprintf(buf, size, "%s://%s@%s:%s/unit-%ld/%s/t%u", scheme,
	    env("DUPC_FTP_USER"), env("DUPC_FTP_HOST"),
	    env(strcmp(scheme, "ftps") == 0 ? "DUPC_FTPS_PORT"
					    : "DUPC_FTP_PORT"),
	    (long)getpid(), scheme, serial);
}

/* The folder of ${url} in the account's home. */
static void
home_path(const char *url, char *path, size_t size)
{
	const char *p = strstr(url, "/unit-");

	assert_non_null(p);
	snprintf(path, size, "%s%s", env("DUPC_FTP_HOME"), p);
}

static void
ftp_subfolder(const char *url, void *arg)
{
	char path[1024];

	(void)arg;
	home_path(url, path, sizeof(path));
	strcat(path, "/subdir");
	assert_int_equal(mkdir(path, 0755), 0);
}

static int
setup(void **state)
{
	(void)state;
	opts.password = env("DUPC_FTP_PASSWORD");
	tls_opt[0].name = "ssl-cacert-file";
	tls_opt[0].value = env("DUPC_TEST_CA");
	return 0;
}

static int
count(const char *name, uint64_t size, void *arg, struct dupc_err *err)
{
	(void)name, (void)size, (void)err;
	++*(unsigned *)arg;
	return 0;
}

/* Open ${url} with ${o} and list it: the failure it ends in. */
static void
list_fails(const char *url, const struct backend_options *o,
    struct dupc_err *err)
{
	struct backend *be = NULL;
	unsigned n = 0;

	err_clear(err);
	assert_int_equal(backend_open_raw(url, o, &be, err), 0);
	assert_int_equal(backend_list(be, count, &n, err), -1);
	backend_close(be);
}

static void
test_wrong_password(void **state)
{
	struct backend_options o = opts;
	struct dupc_err err;
	char url[512];

	(void)state;
	o.password = "not the password";
	ftp_url(url, sizeof(url), 9001, s_ftp);
	list_fails(url, &o, &err);
	assert_int_equal(err.cls, ERR_PERMANENT);
	assert_int_equal(err.code, E_BACKEND_PERMISSION_DENIED);
	assert_null(strstr(err.msg, "not the password"));
}

static void
test_unknown_ca(void **state)
{
	struct backend_options o = opts;
	struct dupc_err err;
	char url[512];

	(void)state;
	o.nopts = 0;
	ftp_url(url, sizeof(url), 9002, s_ftpes);
	list_fails(url, &o, &err);
	assert_int_equal(err.cls, ERR_PERMANENT);
	assert_non_null(strstr(err.msg, "--ssl-cacert-file"));
	ftp_url(url, sizeof(url), 9002, s_ftps);
	list_fails(url, &o, &err);
	assert_int_equal(err.cls, ERR_PERMANENT);
	assert_non_null(strstr(err.msg, "--ssl-cacert-file"));
}

/* Open ${url} with ${o} and put a small object: 0, or -1 with ${err}. */
static int
put_small(const char *url, const struct backend_options *o,
    struct dupc_err *err)
{
	struct backend *be = NULL;
	struct source *src = mem_source_new("abc", 3);
	int rc;

	err_clear(err);
	assert_int_equal(backend_open_raw(url, o, &be, err), 0);
	rc = backend_put(be, "x", src, 3, err);
	source_free(src);
	backend_close(be);
	return rc;
}

/* The test server takes no PORT: --ftp-regular fails at once, naming
 * itself; --ftp-passive after it wins, as duplicity's last option does. */
static void
test_active_mode(void **state)
{
	struct backend_opt o2[3] = { { "ssl-cacert-file", NULL },
		{ "ftp-regular", NULL }, { "ftp-passive", NULL } };
	struct backend_options o = opts;
	struct dupc_err err;
	char url[512];

	(void)state;
	o2[0].value = env("DUPC_TEST_CA");
	o.opts = o2;
	o.nopts = 2;
	ftp_url(url, sizeof(url), 9003, s_ftp);
	assert_int_equal(put_small(url, &o, &err), -1);
	assert_int_equal(err.cls, ERR_PERMANENT);
	assert_non_null(strstr(err.msg, "--ftp-regular"));
	o.nopts = 3;
	if (put_small(url, &o, &err) != 0)
		fail_msg("put: %s", err.msg);
}

/* An upload into a folder three levels deep makes every level; an
 * absolute path (two slashes) lands there, not in the home. */
static void
test_folders(void **state)
{
	struct backend *be = NULL;
	struct dupc_err err;
	struct source *src;
	char url[512], path[1024];
	struct stat st;

	(void)state;
	ftp_url(url, sizeof(url), 9004, s_ftp);
	strcat(url, "/a b/c%25d");
	assert_int_equal(backend_open_raw(url, &opts, &be, &err), 0);
	src = mem_source_new("abc", 3);
	if (backend_put(be, "x", src, 3, &err) != 0)
		fail_msg("put: %s", err.msg);
	source_free(src);
	backend_close(be);
	home_path(url, path, sizeof(path));
	strcpy(strstr(path, "/a b/"), "/a b/c%d/x");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 3);

	snprintf(url, sizeof(url), "ftp://%s@%s:%s/%s/unit-%ld/abs",
	    env("DUPC_FTP_USER"), env("DUPC_FTP_HOST"), env("DUPC_FTP_PORT"),
	    env("DUPC_FTP_HOME"), (long)getpid());
	assert_int_equal(backend_open_raw(url, &opts, &be, &err), 0);
	src = mem_source_new("abcd", 4);
	if (backend_put(be, "y", src, 4, &err) != 0)
		fail_msg("put: %s", err.msg);
	source_free(src);
	backend_close(be);
	snprintf(path, sizeof(path), "%s/unit-%ld/abs/y", env("DUPC_FTP_HOME"),
	    (long)getpid());
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 4);
}

int
main(void)
{
	const struct suite_target t[] = {
		{ "ftp", ftp_url, s_ftp, ftp_subfolder, true, false, 0, &opts },
		{ "ftpes", ftp_url, s_ftpes, ftp_subfolder, true, false, 20,
		    &opts },
		{ "ftps", ftp_url, s_ftps, ftp_subfolder, true, false, 20,
		    &opts },
	};
	static const struct CMUnitTest extra[] = {
		cmocka_unit_test(test_wrong_password),
		cmocka_unit_test(test_unknown_ca),
		cmocka_unit_test(test_active_mode),
		cmocka_unit_test(test_folders),
	};

	unit_init();
	if (bt_server_need("ftp") < 0)
		return 1;
	return backend_suite_run("ftp backend", t, 3, extra,
	    sizeof(extra) / sizeof(extra[0]), setup, NULL);
}
