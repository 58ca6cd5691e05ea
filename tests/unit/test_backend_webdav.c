/*
 * webdav:// against the backend conformance suite (backend_suite.h), on
 * the real Apache mod_dav of tests/servers/webdav: over plain HTTP, and
 * over TLS with the run's throwaway CA given by --ssl-cacert-file.  Then
 * what only this scheme does: refused credentials, an unknown CA, folders
 * made on the first upload, --webdav-headers.
 *
 * needs-server: webdav
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

static struct backend_opt tls_opt[1];
static struct backend_options plain_opts = { .num_retries = 3,
	.retry_delay = 0.01,
	.timeout = 10 };
static struct backend_options tls_opts = { .num_retries = 3,
	.retry_delay = 0.01,
	.timeout = 10,
	.opts = tls_opt,
	.nopts = 1 };

static char s_webdav[] = "webdav", s_webdavs[] = "webdavs";

static const char *
env(const char *key)
{
	const char *v = bt_server_env("webdav", key);

	if (v == NULL)
		fail_msg("the webdav server gave no %s", key);
	return v;
}

/* ${scheme}://dupc@127.0.0.1:PORT/dav/unit-PID/TAG/tN */
static void
dav_url(char *buf, size_t size, unsigned serial, void *arg)
{
	const char *scheme = arg;
	bool tls =
	    strcmp(scheme, "webdavs") == 0 || strcmp(scheme, "https") == 0;

	snprintf(buf, size, "%s://%s@%s:%s/dav/unit-%ld/%s/t%u", scheme,
	    env("DUPC_WEBDAV_USER"), env("DUPC_WEBDAV_HOST"),
	    env(tls ? "DUPC_WEBDAVS_PORT" : "DUPC_WEBDAV_PORT"), (long)getpid(),
	    scheme, serial);
}

/* A folder inside the location, made on the server's disk. */
static void
dav_subfolder(const char *url, void *arg)
{
	char path[1024];
	const char *p = strstr(url, "/dav/");

	(void)arg;
	assert_non_null(p);
	snprintf(path, sizeof(path), "%s/%s/subdir", env("DUPC_WEBDAV_ROOT"),
	    p + 5);
	assert_int_equal(mkdir(path, 0755), 0);
}

static int
setup(void **state)
{
	(void)state;
	plain_opts.password = env("DUPC_WEBDAV_PASSWORD");
	tls_opts.password = plain_opts.password;
	tls_opt[0].name = "ssl-cacert-file";
	tls_opt[0].value = env("DUPC_TEST_CA");
	return 0;
}

static struct backend *
open_url(const char *url, const struct backend_options *o, int want_rc,
    struct dupc_err *err)
{
	struct backend *be = NULL;

	err_clear(err);
	assert_int_equal(backend_open_raw(url, o, &be, err), want_rc);
	return be;
}

static int
list_one(const char *name, uint64_t size, void *arg, struct dupc_err *err)
{
	(void)name, (void)size, (void)err;
	++*(unsigned *)arg;
	return 0;
}

/* A wrong password: one permanent error, access denied (51). */
static void
test_wrong_password(void **state)
{
	struct backend_options o = plain_opts;
	struct dupc_err err;
	struct backend *be;
	char url[512];
	unsigned n = 0;

	(void)state;
	o.password = "not the password";
	dav_url(url, sizeof(url), 9001, s_webdav);
	be = open_url(url, &o, 0, &err);
	assert_int_equal(backend_list(be, list_one, &n, &err), -1);
	assert_int_equal(err.cls, ERR_PERMANENT);
	assert_int_equal(err.code, E_BACKEND_PERMISSION_DENIED);
	assert_non_null(strstr(err.msg, "401"));
	assert_null(strstr(err.msg, "not the password"));
	backend_close(be);
}

/* The TLS port without the CA: refused at once, naming the option. */
static void
test_unknown_ca(void **state)
{
	struct dupc_err err;
	struct backend *be;
	char url[512];
	unsigned n = 0;

	(void)state;
	dav_url(url, sizeof(url), 9002, s_webdavs);
	be = open_url(url, &plain_opts, 0, &err);
	assert_int_equal(backend_list(be, list_one, &n, &err), -1);
	assert_int_equal(err.cls, ERR_PERMANENT);
	assert_int_equal(err.code, E_CONNECTION_FAILED);
	assert_non_null(strstr(err.msg, "--ssl-cacert-file"));
	backend_close(be);
}

/* An upload into a folder three levels deep makes every level. */
static void
test_deep_folder(void **state)
{
	struct dupc_err err;
	struct backend *be;
	struct source *src;
	char url[512], path[1024];
	struct stat st;

	(void)state;
	dav_url(url, sizeof(url), 9003, s_webdav);
	snprintf(url + strlen(url), sizeof(url) - strlen(url), "/a b/c%%25d");
	be = open_url(url, &plain_opts, 0, &err);
	src = mem_source_new("abc", 3);
	if (backend_put(be, "x", src, 3, &err) != 0)
		fail_msg("put: %s", err.msg);
	source_free(src);
	snprintf(path, sizeof(path), "%s/unit-%ld/webdav/t9003/a b/c%%d/x",
	    env("DUPC_WEBDAV_ROOT"), (long)getpid());
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 3);
	backend_close(be);
}

/* --webdav-headers reach the server; a bad list is refused at open. */
static void
test_headers(void **state)
{
	struct backend_opt ho[2] = { { "webdav-headers",
					 "X-Dupc-Test,\"a,b\",Cookie,k=v" },
		{ NULL, NULL } };
	struct backend_options o = plain_opts;
	struct dupc_err err;
	struct backend *be;
	char url[512];
	unsigned n = 0;

	(void)state;
	o.opts = ho;
	o.nopts = 1;
	dav_url(url, sizeof(url), 9004, s_webdav);
	be = open_url(url, &o, 0, &err);
	if (backend_list(be, list_one, &n, &err) != 0)
		fail_msg("list: %s", err.msg);
	backend_close(be);
	ho[0].value = "X-Only-A-Name";
	open_url(url, &o, -1, &err);
	assert_int_equal(err.code, E_COMMAND_LINE);
	ho[0].value = "Bad Name,v";
	open_url(url, &o, -1, &err);
	assert_int_equal(err.code, E_COMMAND_LINE);
}

int
main(void)
{
	const struct suite_target t[] = {
		{ "webdav", dav_url, s_webdav, dav_subfolder, true, false, 0,
		    &plain_opts },
		{ "webdavs", dav_url, s_webdavs, dav_subfolder, true, false, 40,
		    &tls_opts },
	};
	static const struct CMUnitTest extra[] = {
		cmocka_unit_test(test_wrong_password),
		cmocka_unit_test(test_unknown_ca),
		cmocka_unit_test(test_deep_folder),
		cmocka_unit_test(test_headers),
	};

	unit_init();
	if (bt_server_need("webdav") < 0)
		return 1;
	return backend_suite_run("webdav backend", t, 2, extra,
	    sizeof(extra) / sizeof(extra[0]), setup, NULL);
}
