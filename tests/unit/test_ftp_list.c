/*
 * The LIST reader of the ftp:// backend (backend/ftp/ftp_list.c): lines
 * as vsftpd, ProFTPD, Pure-FTPd, busybox and IIS print them, names with
 * blanks and odd bytes, folders and links passed over; bad lines (no
 * date, a size that is not a number, an empty name, a NUL byte, a line
 * past the cap); a listing fed in pieces of any size.
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/ftp/ftp_internal.h"
#include "unit.h"
#include "util/err.h"

/* One line through ftp_list_line: "name:size", "other", "skip" or
 * "bad". */
static void
one(const char *line, char *out, size_t size)
{
	char buf[512];
	const char *name = NULL;
	uint64_t sz = 0;
	enum ftp_kind kind;
	size_t n = strlen(line);

	memcpy(buf, line, n + 1);
	if (ftp_list_line(buf, n, &name, &sz, &kind) < 0)
		snprintf(out, size, "bad");
	else if (kind == FTP_FILE)
		snprintf(out, size, "%s:%llu", name, (unsigned long long)sz);
	else
		snprintf(out, size, kind == FTP_OTHER ? "other" : "skip");
}

static void
test_lines(void **state)
{
	static const struct {
		const char *line, *want;
	} cases[] = {
		/* vsftpd */
		{ "-rw-r--r--    1 30000    30000     3024293 Dec 06 14:12 duplicity-full.20261206T141202Z.vol1.difftar.gz",
		    "duplicity-full.20261206T141202Z.vol1.difftar.gz:3024293" },
		{ "-rw-r--r--    1 30000    30000     0 Jan 31  2023 with  two spaces",
		    "with  two spaces:0" },
		{ "-rw-r--r--    1 30000    30000     5 Jan 31  2023  leading blank",
		    " leading blank:5" },
		{ "drwxr-xr-x    2 30000    30000        4096 Dec 06 14:12 subdir",
		    "other" },
		{ "lrwxrwxrwx    1 0 0 7 Dec 06 14:12 link -> target",
		    "other" },
		/* ProFTPD, names for owner and group, CR at the end */
		{ "-rw-r--r--   1 backup   users    18446744073709551615 Feb  9 08:01 big\r",
		    "big:18446744073709551615" },
		/* Pure-FTPd, busybox: no group, a year */
		{ "-rw-r--r--    1 me  123 Nov 14  2023 caf\xc3\xa9",
		    "caf\xc3\xa9:123" },
		{ "-rw-------    1 user     7 Oct  1 09:00 a;b&c=d#e?f",
		    "a;b&c=d#e?f:7" },
		/* IIS */
		{ "12-06-26  02:12PM              3024293 vol1.difftar.gz",
		    "vol1.difftar.gz:3024293" },
		{ "12-06-2026  02:12PM       <DIR>          folder", "other" },
		{ "01-31-23  11:00AM                 12 two words",
		    "two words:12" },
		{ "total 12", "skip" },
		{ "", "skip" },
		{ "   ", "skip" },
		/* bad */
		{ "-rw-r--r--    1 a b 12 name-without-date", "bad" },
		{ "-rw-r--r--    1 a b 1x2 Dec 06 14:12 name", "bad" },
		{ "-rw-r--r--    1 a b -3 Dec 06 14:12 name", "bad" },
		{ "-rw-r--r--    1 a b 3 Dec 06 14:12", "bad" },
		{ "-rw-r--r--    1 a b 18446744073709551616 Dec 06 14:12 x",
		    "bad" },
		{ "-rw-r--r-- Dec 06 14:12 x", "bad" },
		{ "hello world", "bad" },
		{ "12-06-26  02:12PM  12", "bad" },
		{ "12-06-26  02:12PM  1a2 x", "bad" },
	};
	char got[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		one(cases[i].line, got, sizeof(got));
		CHECK_STR(got, cases[i].want, cases[i].line);
	}
	UNIT_DONE();
}

static void
test_nul(void **state)
{
	char line[] = "-rw-r--r-- 1 a b 3 Dec 06 14:12 a\0b";
	const char *name;
	uint64_t size;
	enum ftp_kind kind;

	(void)state;
	assert_int_equal(
	    ftp_list_line(line, sizeof(line) - 1, &name, &size, &kind), -1);
}

struct collect {
	char out[1024];
	unsigned n;
};

static int
collect(const char *name, uint64_t size, void *arg, struct dupc_err *err)
{
	struct collect *c = arg;
	size_t l = strlen(c->out);

	(void)err;
	c->n++;
	if (l < sizeof(c->out) - 300)
		snprintf(c->out + l, sizeof(c->out) - l, "%s:%llu;", name,
		    (unsigned long long)size);
	return 0;
}

static int
feed_all(const char *doc, size_t n, size_t step, struct collect *c,
    struct dupc_err *err)
{
	struct ftp_list *l = ftp_list_new(collect, c);
	size_t off = 0;
	int rc = 0;

	assert_non_null(l);
	err_clear(err);
	while (rc == 0 && off < n) {
		size_t k = step == 0 || step > n - off ? n - off : step;

		rc = ftp_list_feed(l, doc + off, k, err);
		off += k;
	}
	if (rc == 0)
		rc = ftp_list_finish(l, err);
	ftp_list_free(l);
	return rc;
}

static void
test_stream(void **state)
{
	static const char doc[] = "total 3\r\n"
				  "drwxr-xr-x 2 a b 4096 Dec 06 14:12 sub\r\n"
				  "-rw-r--r-- 1 a b 10 Dec 06 14:12 one\r\n"
				  "-rw-r--r-- 1 a b 20 Dec 06 14:12 two words";
	static const size_t steps[] = { 0, 1, 3, 17 };
	struct collect c;
	struct dupc_err err;
	size_t i;
	char *big;

	(void)state;
	for (i = 0; i < 4; i++) {
		memset(&c, 0, sizeof(c));
		CHECK_INT(feed_all(doc, strlen(doc), steps[i], &c, &err), 0,
		    "listing");
		CHECK_STR(c.out, "one:10;two words:20;", "listing");
	}
	memset(&c, 0, sizeof(c));
	CHECK_INT(feed_all("garbage line\n", 13, 0, &c, &err), -1, "garbage");
	CHECK_INT(err.cls, ERR_PERMANENT, "garbage");
	big = malloc(FTP_LINE_MAX + 10);
	assert_non_null(big);
	memset(big, 'x', FTP_LINE_MAX + 10);
	memset(&c, 0, sizeof(c));
	CHECK_INT(feed_all(big, FTP_LINE_MAX + 10, 1000, &c, &err), -1,
	    "long line");
	CHECK(strstr(err.msg, "8 KiB") != NULL, "long line");
	free(big);
	UNIT_DONE();
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		UNIT_TEST(test_lines),
		UNIT_TEST(test_nul),
		UNIT_TEST(test_stream),
	};

	unit_init();
	return cmocka_run_group_tests_name("ftp_list", tests, NULL, NULL);
}
