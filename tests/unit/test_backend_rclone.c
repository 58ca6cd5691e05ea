/*
 * rclone:// against the backend conformance suite (backend_suite.h),
 * through Debian's rclone: a local remote (an alias of a folder of
 * tests/servers/rclone) and an sftp remote on the run's sshd, both
 * defined by RCLONE_CONFIG_* variables only.  Then what only this scheme
 * does: an unknown remote, a missing program, a path passed as written,
 * and no secret of dupc's in rclone's environment.
 *
 * needs-server: rclone
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

static char s_local[] = "local", s_sftp[] = "sftp";
static const struct backend_options opts = { .num_retries = 3,
	.retry_delay = 0.01,
	.timeout = 20 };

static const char *
env(const char *key)
{
	const char *v = bt_server_env("rclone", key);

	if (v == NULL)
		fail_msg("the rclone server gave no %s", key);
	return v;
}

/* rclone://REMOTE:unit-PID/KIND/tN */
static void
rc_url(char *buf, size_t size, unsigned serial, void *arg)
{
	const char *kind = arg;

	snprintf(buf, size, "rclone://%s:unit-%ld/%s/t%u",
	    env(strcmp(kind, "local") == 0 ? "DUPC_RCLONE_LOCAL_REMOTE"
					   : "DUPC_RCLONE_SFTP_REMOTE"),
	    (long)getpid(), kind, serial);
}

static void
rc_subfolder(const char *url, void *arg)
{
	const char *kind = arg;
	char path[1024];
	const char *p = strstr(url, ":unit-");

	assert_non_null(p);
	snprintf(path, sizeof(path), "%s/%s/subdir",
	    env(strcmp(kind, "local") == 0 ? "DUPC_RCLONE_LOCAL_DIR"
					   : "DUPC_RCLONE_SFTP_DIR"),
	    p + 1);
	assert_int_equal(mkdir(path, 0755), 0);
	if (strcmp(kind, "sftp") == 0)
		assert_int_equal(chmod(path, 0777), 0);
}

/* The remotes are rclone's configuration variables, as deja-dup and
 * scripts give them: into the environment rclone inherits. */
static int
setup(void **state)
{
	static const char *const keys[] = { "RCLONE_CONFIG",
		"RCLONE_CONFIG_DUPCLOCAL_TYPE",
		"RCLONE_CONFIG_DUPCLOCAL_REMOTE", "RCLONE_CONFIG_DUPCSFTP_TYPE",
		"RCLONE_CONFIG_DUPCSFTP_HOST", "RCLONE_CONFIG_DUPCSFTP_PORT",
		"RCLONE_CONFIG_DUPCSFTP_USER",
		"RCLONE_CONFIG_DUPCSFTP_KEY_FILE",
		"RCLONE_CONFIG_DUPCSFTP_KNOWN_HOSTS_FILE",
		"RCLONE_CONFIG_DUPCSFTP_SHELL_TYPE", NULL };
	size_t i;

	(void)state;
	for (i = 0; keys[i] != NULL; i++)
		setenv(keys[i], env(keys[i]), 1);
	return 0;
}

static int
count(const char *name, uint64_t size, void *arg, struct dupc_err *err)
{
	(void)name, (void)size, (void)err;
	++*(unsigned *)arg;
	return 0;
}

/* A remote rclone does not know: one permanent error, the URL's fault. */
static void
test_unknown_remote(void **state)
{
	struct backend *be = NULL;
	struct dupc_err err;
	unsigned n = 0;

	(void)state;
	assert_int_equal(
	    backend_open_raw("rclone://nosuchremote:x", &opts, &be, &err), 0);
	assert_int_equal(backend_list(be, count, &n, &err), -1);
	assert_int_equal(err.cls, ERR_PERMANENT);
	assert_int_equal(err.code, E_BAD_URL);
	backend_close(be);
	assert_int_equal(backend_open_raw("rclone://nocolon", &opts, &be, &err),
	    -1);
	assert_int_equal(err.code, E_BAD_URL);
}

/* --rclone-executable names the program; a missing one is permanent. */
static void
test_executable(void **state)
{
	struct backend_opt o1[1] = { { "rclone-executable",
	    "/nonexistent/rclone" } };
	struct backend_options o = opts;
	struct backend *be = NULL;
	struct dupc_err err;
	char url[512];
	unsigned n = 0;

	(void)state;
	o.opts = o1;
	o.nopts = 1;
	rc_url(url, sizeof(url), 9001, s_local);
	assert_int_equal(backend_open_raw(url, &o, &be, &err), 0);
	assert_int_equal(backend_list(be, count, &n, &err), -1);
	assert_int_equal(err.cls, ERR_PERMANENT);
	assert_int_equal(err.code, E_BACKEND_COMMAND_ERROR);
	assert_non_null(strstr(err.msg, "/nonexistent/rclone"));
	backend_close(be);
}

/*
 * A fake rclone that writes its argv and environment: dupc's secrets are
 * not there, the remote's variables are, and the path is as written
 * (rclone://r:/abs stays r:/abs).
 */
static void
test_argv_and_env(void **state)
{
	struct backend_opt o1[1] = { { "rclone-executable", NULL } };
	struct backend_options o = opts;
	struct backend *be = NULL;
	struct dupc_err err;
	char exe[512], line[4096], *cwd = getcwd(NULL, 0);
	unsigned n = 0;
	FILE *f;
	bool saw_path = false, saw_cfg = false;

	(void)state;
	assert_non_null(cwd);
	snprintf(exe, sizeof(exe), "%s/fake-rclone", cwd);
	f = fopen(exe, "w");
	assert_non_null(f);
	fprintf(f,
	    "#!/bin/sh\nprintf '%%s\\n' \"$@\" >%s/argv\nenv >%s/env\necho '[]'\n",
	    cwd, cwd);
	fclose(f);
	assert_int_equal(chmod(exe, 0755), 0);
	o1[0].value = exe;
	o.opts = o1;
	o.nopts = 1;
	o.password = "ftp-secret";
	setenv("FTP_PASSWORD", "ftp-secret", 1);
	setenv("PASSPHRASE", "gpg-secret", 1);
	setenv("RCLONE_CONFIG_FAKE_TYPE", "local", 1);
	assert_int_equal(
	    backend_open_raw("rclone://fake:/abs/dir", &o, &be, &err), 0);
	if (backend_list(be, count, &n, &err) != 0)
		fail_msg("list: %s", err.msg);
	backend_close(be);
	unsetenv("FTP_PASSWORD");
	unsetenv("PASSPHRASE");
	unsetenv("RCLONE_CONFIG_FAKE_TYPE");
	f = fopen("argv", "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		assert_null(strstr(line, "secret"));
		if (strcmp(line, "fake:/abs/dir\n") == 0)
			saw_path = true;
	}
	fclose(f);
	f = fopen("env", "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		assert_null(strstr(line, "secret"));
		if (strcmp(line, "RCLONE_CONFIG_FAKE_TYPE=local\n") == 0)
			saw_cfg = true;
	}
	fclose(f);
	assert_true(saw_path);
	assert_true(saw_cfg);
	free(cwd);
}

int
main(void)
{
	const struct suite_target t[] = {
		{ "rclone local", rc_url, s_local, rc_subfolder, true, false,
		    10, &opts },
		{ "rclone sftp", rc_url, s_sftp, rc_subfolder, true, false, 5,
		    &opts },
	};
	/* every rclone call is a new process: under ASan, where dupc's own
	 * code is what is checked, the local remote is enough */
#ifdef __SANITIZE_ADDRESS__
	size_t nt = 1;
#else
	size_t nt = 2;
#endif
	static const struct CMUnitTest extra[] = {
		cmocka_unit_test(test_unknown_remote),
		cmocka_unit_test(test_executable),
		UNIT_TEST(test_argv_and_env),
	};

	unit_init();
	if (bt_server_need("rclone") < 0)
		return 1;
	return backend_suite_run("rclone backend", t, nt, extra,
	    sizeof(extra) / sizeof(extra[0]), setup, NULL);
}
