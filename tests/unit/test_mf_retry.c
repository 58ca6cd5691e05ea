/*
 * The mf:// backend under faults that do not clear, opened with
 * backend_open() as dupc opens it: the retry wrapper gives up with
 * "Giving up after N attempts" and the backend works again once the fault
 * is gone.  Permanent failures (wrong credentials, quota) are not retried
 * at all, a stalled answer ends at the timeout, an interrupt stops a
 * transfer, and no secret reaches a message or the debug log.
 */
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "backend/backend.h"
#include "backend/mediafire/mf_internal.h"
#include "bt_util.h"
#include "mfemu_harness.h"
#include "util/err.h"
#include "util/interrupt.h"
#include "util/log.h"
#include "util/stream.h"

static struct mfemu emu;

static const struct backend_options opts = { .num_retries = 3,
	.retry_delay = 0.01,
	.timeout = 1 };

static int
setup(void **state)
{
	(void)state;
	setenv("DUPC_MF_POLL_INTERVAL", "0.005", 1);
	setenv("DUPC_MF_SIMPLE_MAX", "1048576", 1);
	return mfemu_start(&emu, NULL, NULL);
}

static int
teardown(void **state)
{
	(void)state;
	mfemu_stop(&emu);
	return 0;
}

static void
faults(const char *rules)
{
	assert_int_equal(mfemu_clear_faults(&emu), 0);
	if (rules != NULL && mfemu_add_faults(&emu, rules) != 0)
		fail_msg("emulator refused the rules %s", rules);
	setenv("FTP_PASSWORD", MFEMU_PASSWORD, 1);
}

static struct backend *
open_wrapped(const char *folder)
{
	struct backend *be = NULL;
	struct dupc_err err;
	char url[256];

	err_clear(&err);
	if (backend_open(mfemu_url(&emu, folder, url, sizeof(url)), &opts, &be,
		&err) != 0)
		fail_msg("open: %s", err.msg);
	return be;
}

static int
count_cb(const char *name, uint64_t size, void *arg, struct dupc_err *err)
{
	(void)name;
	(void)size;
	(void)err;
	(*(unsigned *)arg)++;
	return 0;
}

static void
expect_giving_up(struct dupc_err *err, const char *what)
{
	if (strncmp(err->msg,
		"Giving up after 3 attempts. TransientError: ", 44) != 0)
		fail_msg("%s: %s", what, err->msg);
	assert_int_equal(err->cls, ERR_TRANSIENT);
	print_message("# %s\n", err->msg);
}

static void
test_give_up_then_recover(void **state)
{
	struct backend *be;
	struct dupc_err err;
	char data[5000];
	unsigned n = 0;
	int fd;
	char path[] = "/tmp/dupc-mf-retry.XXXXXX";

	(void)state;
	faults(NULL);
	be = open_wrapped("r/giveup");
	bt_fill(data, sizeof(data), 77);
	bt_put(be, "v1", data, sizeof(data));
	/* every listing desynchronises the key chain, for ever */
	faults("[{\"match\":{\"path\":\"folder/get_content\"},\"action\":"
	       "\"http500_after_advance\",\"times\":-1}]");
	err_clear(&err);
	assert_int_equal(backend_list(be, count_cb, &n, &err), -1);
	expect_giving_up(&err, "list");
	faults(NULL);
	assert_int_equal(backend_list(be, count_cb, &n, &err), 0);
	assert_int_equal(n, 1);
	/* every download corrupted */
	faults("[{\"action\":\"corrupt\",\"times\":-1}]");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(backend_get(be, "v1", fd, &err), -1);
	expect_giving_up(&err, "get");
	close(fd);
	faults(NULL);
	bt_expect(be, "v1", data, sizeof(data));
	/* every signed call refused with 127 */
	faults("[{\"action\":\"error\",\"code\":127,\"times\":-1}]");
	{
		struct source *src = mem_source_new(data, 100);

		assert_int_equal(backend_put(be, "v2", src, 100, &err), -1);
		source_free(src);
	}
	expect_giving_up(&err, "put");
	faults(NULL);
	bt_put(be, "v2", data, 100);
	bt_expect(be, "v2", data, 100);
	/* every upload stuck in assembly */
	faults("[{\"action\":\"poll_stuck\",\"status\":19,\"polls\":-1,"
	       "\"times\":-1}]");
	setenv("DUPC_MF_POLL_MAX", "5", 1);
	backend_close(be);
	be = open_wrapped("r/giveup");
	{
		struct source *src = mem_source_new(data + 1, 200);

		assert_int_equal(backend_put(be, "v3", src, 200, &err), -1);
		source_free(src);
	}
	expect_giving_up(&err, "stuck put");
	unsetenv("DUPC_MF_POLL_MAX");
	faults(NULL);
	backend_close(be);
	be = open_wrapped("r/giveup");
	bt_put(be, "v3", data + 1, 200);
	bt_expect(be, "v3", data + 1, 200);
	backend_close(be);
}

static void
test_permanent_not_retried(void **state)
{
	struct backend *be;
	struct dupc_err err;
	unsigned n = 0, logins;
	struct source *src;

	(void)state;
	/* wrong credentials: one login, no retry (accounts get locked) */
	faults("[{\"action\":\"login_fail\",\"code\":107,\"times\":-1}]");
	logins = mfemu_count(&emu, "user/get_session_token", NULL);
	be = open_wrapped("r/perm");
	err_clear(&err);
	assert_int_equal(backend_list(be, count_cb, &n, &err), -1);
	assert_int_equal(err.cls, ERR_PERMANENT);
	assert_int_equal(err.code, E_BACKEND_PERMISSION_DENIED);
	assert_non_null(strstr(err.msg, "107"));
	assert_null(strstr(err.msg, MFEMU_PASSWORD));
	assert_int_equal(mfemu_count(&emu, "user/get_session_token", NULL),
	    logins + 1);
	print_message("# %s\n", err.msg);
	backend_close(be);
	/* storage full: no retry either */
	faults("[{\"action\":\"error\",\"code\":162,\"match\":{\"path\":"
	       "\"upload/check\"},\"times\":-1}]");
	be = open_wrapped("r/perm");
	src = mem_source_new("abc", 3);
	n = mfemu_count(&emu, "upload/check", "error");
	assert_int_equal(backend_put(be, "x", src, 3, &err), -1);
	source_free(src);
	assert_int_equal(err.cls, ERR_PERMANENT);
	assert_int_equal(err.code, E_BACKEND_NO_SPACE);
	assert_int_equal(mfemu_count(&emu, "upload/check", "error"), n + 1);
	backend_close(be);
	faults(NULL);
}

static void
test_rate_limit_backs_off(void **state)
{
	struct backend *be;
	unsigned n = 0, before;
	struct dupc_err err;

	(void)state;
	/* 163 is left to the retry wrapper's (long) backoff */
	faults("[{\"match\":{\"path\":\"folder/get_content\"},\"action\":"
	       "\"error\",\"code\":163,\"times\":2}]");
	before = mfemu_count(&emu, "folder/get_content", "error");
	be = open_wrapped("r/rate");
	err_clear(&err);
	assert_int_equal(backend_list(be, count_cb, &n, &err), 0);
	/* one call each: the wrapper, not the session, retried them */
	assert_int_equal(mfemu_count(&emu, "folder/get_content", "error"),
	    before + 2);
	backend_close(be);
	faults(NULL);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
test_stall_times_out(void **state)
{
	struct backend *be;
	unsigned n = 0;
	struct dupc_err err;
	double t0;

	(void)state;
	/* an answer that never comes ends at --timeout (1 s here) */
	faults("[{\"match\":{\"path\":\"folder/get_content\"},\"action\":"
	       "\"delay\",\"ms\":4000,\"times\":1}]");
	be = open_wrapped("r/stall");
	t0 = now();
	err_clear(&err);
	if (backend_list(be, count_cb, &n, &err) != 0)
		fail_msg("list: %s", err.msg);
	assert_true(now() - t0 >= 0.9);
	assert_true(now() - t0 < 3.5);
	backend_close(be);
	faults(NULL);
}

static void
on_alarm(int sig)
{
	(void)sig;
	raise(SIGINT);
}

static void
test_interrupt(void **state)
{
	pid_t pid;
	int st;

	(void)state;
	faults("[{\"match\":{\"path\":\"folder/get_content\"},\"action\":"
	       "\"delay\",\"ms\":8000,\"times\":1}]");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		static const struct backend_options slow = { .num_retries = 3,
			.retry_delay = 0.01,
			.timeout = 30 };
		struct backend *be = NULL;
		struct dupc_err err;
		unsigned n = 0;
		char url[256];
		double t0 = now();
		int rc;

		interrupt_install();
		signal(SIGALRM, on_alarm);
		alarm(1);
		if (backend_open(mfemu_url(&emu, "r/int", url, sizeof(url)),
			&slow, &be, &err) != 0)
			_exit(2);
		rc = backend_list(be, count_cb, &n, &err);
		backend_close(be);
		/* stopped at once, not retried, not after the delay */
		_exit(rc == -1 && err.cls == ERR_PERMANENT &&
			      strstr(err.msg, "interrupted") != NULL &&
			      now() - t0 < 3
			  ? 0
			  : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	faults(NULL);
}

static void
test_config_errors(void **state)
{
	struct backend *be = NULL;
	struct dupc_err err;

	(void)state;
	faults(NULL);
	unsetenv("FTP_PASSWORD");
	err_clear(&err);
	assert_int_equal(backend_open("mf://user%40example.com@mediafire.com/x",
			     &opts, &be, &err),
	    -1);
	assert_string_equal(err.msg, "no MediaFire password: set FTP_PASSWORD");
	setenv("FTP_PASSWORD", MFEMU_PASSWORD, 1);
	assert_int_equal(backend_open("mf://mediafire.com/x", &opts, &be, &err),
	    -1);
	assert_int_equal(err.code, E_BAD_URL);
	assert_int_equal(
	    backend_open("mf://user%40example.com@mediafire.com/a/../b", &opts,
		&be, &err),
	    -1);
	assert_int_equal(err.code, E_BAD_URL);
	setenv("DUPC_MF_SIMPLE_MAX", "x", 1);
	assert_int_equal(backend_open("mf://user%40example.com@mediafire.com/x",
			     &opts, &be, &err),
	    -1);
	assert_non_null(strstr(err.msg, "DUPC_MF_SIMPLE_MAX"));
	setenv("DUPC_MF_SIMPLE_MAX", "1048576", 1);
	/* the password in the URL is used and never shown */
	assert_int_equal(
	    backend_open("mf://user%40example.com:wrong@mediafire.com/x", &opts,
		&be, &err),
	    0);
	{
		unsigned n = 0;

		assert_int_equal(backend_list(be, count_cb, &n, &err), -1);
		assert_int_equal(err.code, E_BACKEND_PERMISSION_DENIED);
		assert_null(strstr(err.msg, "wrong"));
	}
	backend_close(be);
}

static void
test_no_secret_in_log(void **state)
{
	struct backend *be, *raw;
	struct mf_backend *mb;
	struct dupc_err err;
	char path[] = "/tmp/dupc-mf-log.XXXXXX", *text;
	char data[3000];
	int fd, out, null;
	size_t len;

	(void)state;
	faults("[{\"match\":{\"probability\":0.2},\"action\":"
	       "\"http500_after_advance\",\"times\":-1}]");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	/* debug records go to the console too: keep TAP output clean */
	fflush(stdout);
	out = dup(1);
	null = open("/dev/null", O_WRONLY);
	assert_true(out >= 0 && null >= 0);
	dup2(null, 1);
	log_set_verbosity(LOG_DEBUG);
	log_set_machine_fd(fd);
	be = open_wrapped("r/secrets");
	bt_fill(data, sizeof(data), 5);
	bt_put(be, "s1", data, sizeof(data));
	bt_expect(be, "s1", data, sizeof(data));
	/* look at the live session while it is there */
	assert_int_equal(backend_open_raw("mf://user%40example.com@x/r/secrets",
			     &opts, &raw, &err),
	    0);
	mb = (struct mf_backend *)raw;
	bt_expect(raw, "s1", data, sizeof(data));
	assert_non_null(mb->s.token);
	log_set_machine_fd(-1);
	log_set_verbosity(LOG_NOTICE);
	log_flush();
	fflush(stdout);
	dup2(out, 1);
	close(out);
	close(null);
	text = malloc(1 << 20);
	assert_non_null(text);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(read_full(fd, text, (1 << 20) - 1, &len), 0);
	text[len] = '\0';
	assert_true(len > 0);
	assert_null(strstr(text, MFEMU_PASSWORD));
	assert_null(strstr(text, mb->s.token));
	if (mb->s.action_token != NULL)
		assert_null(strstr(text, mb->s.action_token));
	free(text);
	close(fd);
	backend_close(raw);
	backend_close(be);
	faults(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_give_up_then_recover),
		cmocka_unit_test(test_permanent_not_retried),
		cmocka_unit_test(test_rate_limit_backs_off),
		cmocka_unit_test(test_stall_times_out),
		cmocka_unit_test(test_interrupt),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_no_secret_in_log),
	};

	if (mfemu_path() == NULL)
		return mfemu_skip_all("mfemu not found (set MFEMU)");
	return cmocka_run_group_tests(tests, setup, teardown);
}
