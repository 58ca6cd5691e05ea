/*
 * format/checksums and the archive dir's record of stored files
 * (cache_checksum_add/scan): lines written and read back, every way a
 * line can be wrong, and a record cut short or holding a line too long.
 */
#define _DEFAULT_SOURCE
#include "unit.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache/cache.h"
#include "format/checksums.h"
#include "util/buf.h"
#include "util/err.h"

#define HASH "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void
test_round_trip(void **state)
{
	struct checksum_line l;
	struct buf b;

	(void)state;
	buf_init(&b, 4096);
	assert_int_equal(checksums_format_line(&b,
			     "duplicity-full.x.vol1.difftar.gpg", 1234, HASH),
	    0);
	assert_int_equal(checksums_format_line(&b, "a b", 0, NULL), 0);
	assert_string_equal(buf_str(&b),
	    "1234 " HASH " duplicity-full.x.vol1.difftar.gpg\n0 - a b\n");
	assert_int_equal(
	    checksums_parse_line(b.data, strcspn(b.data, "\n"), &l), 0);
	assert_int_equal(l.size, 1234);
	assert_string_equal(l.sha256, HASH);
	assert_int_equal(l.name_len,
	    strlen("duplicity-full.x.vol1.difftar.gpg"));
	assert_memory_equal(l.name, "duplicity-full.x.vol1.difftar.gpg",
	    l.name_len);
	assert_int_equal(checksums_parse_line("0 - a b", 7, &l), 0);
	assert_string_equal(l.sha256, "");
	assert_int_equal(l.name_len, 3);
	/* what could not be read back is not written */
	assert_int_equal(checksums_format_line(&b, "a/b", 1, NULL), -1);
	assert_int_equal(checksums_format_line(&b, "a\nb", 1, NULL), -1);
	assert_int_equal(checksums_format_line(&b, "x", 1, "ABC"), -1);
	buf_release(&b);
}

static void
test_bad_lines(void **state)
{
	static const char *const bad[] = {
		"",
		"12",
		"12 -",
		"12 - ",
		"-1 - x",
		"12  - x",
		"1x - x",
		"99999999999999999999999 - x",
		"12 abc x",
		"12 " HASH "0 x",
		"12 0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef x",
		"12 - a/b",
		"12 - .",
		"12 - ..",
		"12 - tab\there",
	};
	struct checksum_line l;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_INT(checksums_parse_line(bad[i], strlen(bad[i]), &l), -1,
		    bad[i]);
	{
		char name[300], line[400];

		memset(name, 'n', 256);
		name[256] = '\0';
		snprintf(line, sizeof(line), "1 - %s", name);
		CHECK_INT(checksums_parse_line(line, strlen(line), &l), -1,
		    "256-byte name");
		name[255] = '\0';
		snprintf(line, sizeof(line), "1 - %s", name);
		CHECK_INT(checksums_parse_line(line, strlen(line), &l), 0,
		    "255-byte name");
	}
	UNIT_DONE();
}

struct seen {
	char text[4096];
};

static int
collect(const struct checksum_line *l, void *arg)
{
	struct seen *s = arg;
	size_t n = strlen(s->text);

	snprintf(s->text + n, sizeof(s->text) - n, "%.*s=%llu%s;",
	    (int)l->name_len, l->name, (unsigned long long)l->size,
	    l->sha256[0] ? "+" : "");
	return 0;
}

static int
stop(const struct checksum_line *l, void *arg)
{
	(void)l;
	(*(int *)arg)++;
	return 7;
}

/* The record in a directory: appended, scanned, torn and long lines
 * passed over. */
static void
test_record(void **state)
{
	struct cache c;
	struct dupc_err err;
	struct seen s;
	char *path;
	int fd, calls = 0;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.lock_fd = -1;
	err_clear(&err);
	assert_int_equal(cache_open(&c, ".", "name", "file:///x", &err), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(cache_checksum_scan(&c, collect, &s, &err), 0);
	assert_string_equal(s.text, "");
	assert_int_equal(cache_checksum_add(&c, "v1", 10, HASH, &err), 0);
	assert_int_equal(cache_checksum_add(&c, "v2", 20, NULL, &err), 0);
	assert_int_equal(cache_checksum_add(&c, "bad/name", 20, NULL, &err),
	    -1);
	path = cache_path(&c, CHECKSUMS_FILE);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	{
		/* a line far too long, then a good one, then a torn one */
		static char junk[70000];

		memset(junk, 'j', sizeof(junk) - 1);
		junk[sizeof(junk) - 1] = '\n';
		assert_int_equal(write(fd, junk, sizeof(junk)),
		    (ssize_t)sizeof(junk));
		assert_int_equal(write(fd, "30 - v3\n40 - v", 14), 14);
	}
	close(fd);
	free(path);
	assert_int_equal(cache_checksum_scan(&c, collect, &s, &err), 0);
	assert_string_equal(s.text, "v1=10+;v2=20;v3=30;");
	assert_int_equal(cache_checksum_scan(&c, stop, &calls, &err), 7);
	assert_int_equal(calls, 1);
	cache_close(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_round_trip),
		UNIT_TEST(test_bad_lines),
		UNIT_TEST(test_record),
	};

	unit_init();
	return cmocka_run_group_tests_name("checksums", tests, NULL, NULL);
}
