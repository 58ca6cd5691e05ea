/*
 * util/child: programs started without a shell, fed from a source, their
 * output copied, their standard error kept, their environment as asked,
 * and stopped when they stall.
 */
#define _GNU_SOURCE
#include "unit.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/child.h"
#include "util/err.h"
#include "util/ratelimit.h"

static size_t
read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, cap - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	return (size_t)n;
}

/* A megabyte through `cat`: what goes in comes out, in order. */
static void
test_pipe_through(void **state)
{
	static char in[1 << 20], got[(1 << 20) + 1];
	const char *argv[] = { "cat", NULL };
	struct child_spec spec = { argv, NULL, NULL, CHILD_PIPE, CHILD_PIPE,
		NULL };
	struct ratelimit *up = ratelimit_new(UINT64_C(1) << 40);
	struct ratelimit *down = ratelimit_new(UINT64_C(1) << 40);
	struct source *src;
	struct child c;
	struct dupc_err err;
	int out, status;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (char)(i * 7 + i / 251);
	src = mem_source_new(in, sizeof(in));
	out = open("out", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(out >= 0);
	assert_int_equal(child_start(&c, &spec, &err), 0);
	/* both pipes count against the transfer limits */
	child_set_limits(&c, up, down);
	assert_int_equal(child_pump(&c, src, out, 10, &err), 0);
	assert_int_equal(child_wait(&c, &status), 0);
	assert_int_equal(status, 0);
	child_release(&c);
	close(out);
	source_free(src);
	assert_int_equal(ratelimit_total(up), sizeof(in));
	assert_int_equal(ratelimit_total(down), sizeof(in));
	ratelimit_free(up);
	ratelimit_free(down);
	assert_int_equal(read_file("out", got, sizeof(got)), sizeof(in));
	assert_memory_equal(got, in, sizeof(in));
}

/* The environment: additions replace, unset names are gone, the rest
 * stays; argv reaches the program word for word. */
static void
test_env_and_argv(void **state)
{
	const char *argv[] = { "sh", "-c",
		"printf '%s|%s|%s|%s' \"$A\" \"${B-unset}\" \"$KEEP\" \"$1\"",
		"sh", "two words; $x", NULL };
	const char *add[] = { "A=from the caller", NULL };
	const char *unset[] = { "B", NULL };
	struct child_spec spec = { argv, add, unset, CHILD_NULL, 0, NULL };
	struct dupc_err err;
	char got[256];
	int status;

	(void)state;
	setenv("A", "old", 1);
	setenv("B", "secret", 1);
	setenv("KEEP", "kept", 1);
	spec.out = open("out", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(spec.out >= 0);
	assert_int_equal(child_run(&spec, 10, &status, &err), 0);
	close(spec.out);
	assert_int_equal(status, 0);
	read_file("out", got, sizeof(got));
	assert_string_equal(got, "from the caller|unset|kept|two words; $x");
	unsetenv("A");
	unsetenv("B");
	unsetenv("KEEP");
}

/* Exit codes and signals come back; the last line of standard error is
 * kept, escaped. */
static void
test_status_and_stderr(void **state)
{
	const char *argv[] = { "sh", "-c",
		"echo first >&2; printf 'last \\033 line\\n' >&2; exit 3",
		NULL };
	const char *killed[] = { "sh", "-c", "kill -9 $$", NULL };
	struct child_spec spec = { argv, NULL, NULL, CHILD_NULL, CHILD_NULL,
		NULL };
	struct dupc_err err;
	struct child c;
	char line[128];
	int status;

	(void)state;
	assert_int_equal(child_start(&c, &spec, &err), 0);
	assert_int_equal(child_pump(&c, NULL, -1, 10, &err), 0);
	assert_int_equal(child_wait(&c, &status), 0);
	assert_int_equal(status, 3);
	assert_string_equal(child_err_line(&c, line, sizeof(line)),
	    "last \\x1b line");
	child_release(&c);
	spec.argv = killed;
	assert_int_equal(child_run(&spec, 10, &status, &err), 0);
	assert_int_equal(status, 128 + SIGKILL);
}

/* A program that hangs is stopped after the stall time, as a transient
 * failure; one that does not exist is a permanent one naming it. */
static void
test_stall_and_missing(void **state)
{
	const char *argv[] = { "sleep", "30", NULL };
	const char *missing[] = { "dupc-no-such-program", NULL };
	struct child_spec spec = { argv, NULL, NULL, CHILD_NULL, CHILD_NULL,
		NULL };
	struct dupc_err err;
	int status;

	(void)state;
	err_clear(&err);
	assert_int_equal(child_run(&spec, 1, &status, &err), -1);
	assert_int_equal(err.cls, ERR_TRANSIENT);
	assert_non_null(strstr(err.msg, "did nothing for 1 seconds"));
	spec.argv = missing;
	err_clear(&err);
	assert_int_equal(child_run(&spec, 1, &status, &err), -1);
	assert_int_equal(err.cls, ERR_PERMANENT);
	assert_int_equal(err.code, E_BACKEND_COMMAND_ERROR);
	assert_non_null(strstr(err.msg, "dupc-no-such-program"));
}

/* A child gets no descriptor of ours beyond its three. */
static void
test_no_leaked_fds(void **state)
{
	const char *argv[] = { "sh", "-c", "ls /proc/self/fd | wc -l", NULL };
	struct child_spec spec = { argv, NULL, NULL, CHILD_NULL, 0, NULL };
	struct dupc_err err;
	char got[64];
	int status, leak;

	(void)state;
	leak = open("leak", O_WRONLY | O_CREAT, 0600); /* no O_CLOEXEC */
	assert_true(leak >= 0);
	spec.out = open("out", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(child_run(&spec, 10, &status, &err), 0);
	close(spec.out);
	close(leak);
	read_file("out", got, sizeof(got));
	/* 0, 1, 2 and the one ls opens to read the directory */
	assert_int_equal(strtol(got, NULL, 10), 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_pipe_through),
		UNIT_TEST(test_env_and_argv),
		UNIT_TEST(test_status_and_stderr),
		UNIT_TEST(test_stall_and_missing),
		UNIT_TEST(test_no_leaked_fds),
	};

	unit_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
