/*
 * util/stream: sinks, sources and their helpers.
 */
#define _DEFAULT_SOURCE
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/err.h"
#include "util/stream.h"

static void
test_mem_source(void **state)
{
	static const char text[] = "0123456789abcdef";
	struct source *s = mem_source_new(text, 16);
	struct dupc_err err;
	char buf[32];
	size_t got;

	(void)state;
	assert_non_null(s);
	CHECK_INT(source_read(s, buf, 5, &got, &err), 0, "read 5");
	CHECK_MEM(buf, got, "01234", 5, "read 5");
	CHECK_INT(source_read_full(s, buf, 32, &got, &err), 0, "read the rest");
	CHECK_MEM(buf, got, "56789abcdef", 11, "short count at the end");
	CHECK_INT(source_read(s, buf, 32, &got, &err), 0, "read at the end");
	CHECK_INT(got, 0, "end of stream");
	CHECK_INT(source_rewind(s, &err), 0, "rewind");
	CHECK_INT(source_read_full(s, buf, 16, &got, &err), 0, "read again");
	CHECK_MEM(buf, got, text, 16, "same bytes after rewind");
	CHECK_INT(source_read(s, buf, 0, &got, &err), 0, "zero-byte read");
	source_free(s);
	source_free(NULL);
	/* an empty source */
	s = mem_source_new("", 0);
	CHECK_INT(source_read(s, buf, 8, &got, &err), 0, "empty");
	CHECK_INT(got, 0, "empty: end at once");
	source_free(s);
	UNIT_DONE();
}

static void
test_limit_source(void **state)
{
	static const char text[] = "0123456789";
	struct source *m = mem_source_new(text, 10);
	struct source *l = limit_source_new(m, 4);
	struct dupc_err err;
	char buf[16];
	size_t got;

	(void)state;
	CHECK_INT(source_read_full(l, buf, 16, &got, &err), 0, "limited read");
	CHECK_MEM(buf, got, "0123", 4, "limit of 4");
	CHECK_INT(source_read(l, buf, 16, &got, &err), 0, "after the limit");
	CHECK_INT(got, 0, "nothing after the limit");
	/* the inner source continues where the limit stopped */
	CHECK_INT(source_read_full(m, buf, 16, &got, &err), 0, "inner");
	CHECK_MEM(buf, got, "456789", 6, "inner continues");
	err_clear(&err);
	CHECK_INT(source_rewind(l, &err), -1, "a limit cannot rewind");
	CHECK(strstr(err.msg, "rewound") != NULL, "rewind message");
	source_free(l);
	/* a limit past the end */
	source_rewind(m, &err);
	l = limit_source_new(m, 1000);
	CHECK_INT(source_read_full(l, buf, 16, &got, &err), 0, "long limit");
	CHECK_INT(got, 10, "long limit stops at the inner end");
	source_free(l);
	/* limit 0 */
	source_rewind(m, &err);
	l = limit_source_new(m, 0);
	CHECK_INT(source_read(l, buf, 16, &got, &err), 0, "limit 0");
	CHECK_INT(got, 0, "limit 0 gives nothing");
	source_free(l);
	source_free(m);
	/* errors from the inner source come through */
	m = unit_failing_source_new(3);
	l = limit_source_new(m, 100);
	CHECK_INT(source_read_full(l, buf, 16, &got, &err), -1,
	    "inner failure");
	source_free(l);
	source_free(m);
	UNIT_DONE();
}

static void
test_copy(void **state)
{
	unsigned char *data = malloc(300000);
	struct source *s;
	struct unit_sink out;
	struct dupc_err err;
	uint64_t n = 0, rs = 11;

	(void)state;
	unit_fill_random(data, 300000, &rs);
	s = mem_source_new(data, 300000);
	unit_sink_init(&out);
	CHECK_INT(source_copy(s, &out.base, &n, &err), 0, "copy");
	CHECK_U64(n, 300000, "count");
	CHECK_MEM(out.data, out.len, data, 300000, "bytes");
	CHECK_INT(out.finished, 0, "copy does not finish the sink");
	CHECK_INT(source_copy(s, &out.base, NULL, &err), 0, "copy at the end");
	unit_sink_release(&out);
	/* a failing sink */
	source_rewind(s, &err);
	unit_sink_init(&out);
	out.fail_after = 70000;
	err_clear(&err);
	CHECK_INT(source_copy(s, &out.base, &n, &err), -1, "sink failure");
	CHECK(strstr(err.msg, "injected") != NULL, "sink message kept");
	unit_sink_release(&out);
	source_free(s);
	/* a failing source */
	s = unit_failing_source_new(100);
	unit_sink_init(&out);
	CHECK_INT(source_copy(s, &out.base, &n, &err), -1, "source failure");
	unit_sink_release(&out);
	source_free(s);
	free(data);
	UNIT_DONE();
}

static void
test_fd_streams(void **state)
{
	struct dupc_err err;
	struct sink *k;
	struct source *s;
	char buf[64];
	size_t got;
	int fd;

	(void)state;
	fd = open("file", O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	k = fd_sink_new(fd, "the test file");
	CHECK_INT(sink_write(k, "hello ", 6, &err), 0, "write");
	CHECK_INT(sink_write(k, "world", 5, &err), 0, "write");
	CHECK_INT(sink_finish(k, &err), 0, "finish without an op");
	sink_free(k);
	/* a source created at offset 6 rewinds to 6 */
	lseek(fd, 6, SEEK_SET);
	s = fd_source_new(fd, "the test file");
	CHECK_INT(source_read_full(s, buf, sizeof(buf), &got, &err), 0, "read");
	CHECK_MEM(buf, got, "world", 5, "read from the creation offset");
	CHECK_INT(source_rewind(s, &err), 0, "rewind");
	CHECK_INT(source_read_full(s, buf, sizeof(buf), &got, &err), 0,
	    "reread");
	CHECK_MEM(buf, got, "world", 5, "rewind goes to the creation offset");
	source_free(s);
	/* write_full / read_full */
	lseek(fd, 0, SEEK_SET);
	CHECK_INT(read_full(fd, buf, 64, &got), 0, "read_full");
	CHECK_MEM(buf, got, "hello world", 11, "read_full short at EOF");
	CHECK_INT(write_full(fd, "!", 1), 0, "write_full");
	close(fd);
	/* errors name the stream */
	k = fd_sink_new(fd, "a closed descriptor");
	err_clear(&err);
	CHECK_INT(sink_write(k, "x", 1, &err), -1, "write to a closed fd");
	CHECK(strstr(err.msg, "a closed descriptor") != NULL,
	    "sink error names it");
	CHECK_INT(err.errnum, EBADF, "errno kept");
	sink_free(k);
	s = fd_source_new(fd, "another closed one");
	err_clear(&err);
	CHECK_INT(source_read(s, buf, 1, &got, &err), -1,
	    "read from a closed fd");
	CHECK(strstr(err.msg, "another closed one") != NULL,
	    "source error names it");
	source_free(s);
	errno = 0;
	CHECK_INT(write_full(-1, "x", 1), -1, "write_full on a bad fd");
	CHECK_INT(read_full(-1, buf, 1, &got), -1, "read_full on a bad fd");
	/* a pipe delivers in pieces; read_full collects them */
	{
		int p[2];
		char big[100000];

		pid_t pid;
		int status;

		memset(big, 'p', sizeof(big));
		assert_int_equal(pipe(p), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			size_t i;

			close(p[0]);
			for (i = 0; i < 100; i++)
				if (write_full(p[1], big, 1000) < 0)
					_exit(1);
			_exit(0);
		}
		close(p[1]);
		CHECK_INT(read_full(p[0], big, sizeof(big), &got), 0,
		    "pipe read");
		CHECK_INT(got, 100000, "pipe read collects every piece");
		close(p[0]);
		CHECK_INT(waitpid(pid, &status, 0), pid, "child");
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child");
	}
	UNIT_DONE();
}

static void
test_null_sink(void **state)
{
	struct sink *n = null_sink_new();
	struct dupc_err err;

	(void)state;
	assert_non_null(n);
	CHECK_INT(sink_write(n, "abc", 3, &err), 0, "write");
	CHECK_INT(sink_finish(n, &err), 0, "finish");
	sink_free(n);
	sink_free(NULL);
	UNIT_DONE();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_mem_source),
		UNIT_TEST(test_limit_source),
		UNIT_TEST(test_copy),
		UNIT_TEST(test_fd_streams),
		UNIT_TEST(test_null_sink),
	};

	unit_init();
	return cmocka_run_group_tests_name("stream", tests, NULL, NULL);
}
