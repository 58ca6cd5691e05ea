/*
 * The reader of `rclone lsjson` output (backend/rclone/rc_lsjson.c) on
 * listings as rclone writes them, fed whole and byte by byte, on bad
 * ones (not an array, junk, cut short, an entry without a Name, an entry
 * past the cap), a long listing in bounded memory; and the classing of
 * rclone's failures (rc_errors.c).
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/rclone/rc_internal.h"
#include "unit.h"
#include "util/err.h"

struct collect {
	char out[1024];
	unsigned n;
};

static int
collect(const char *name, uint64_t size, bool is_dir, void *arg,
    struct dupc_err *err)
{
	struct collect *c = arg;
	size_t l = strlen(c->out);

	(void)err;
	c->n++;
	if (l < sizeof(c->out) - 300)
		snprintf(c->out + l, sizeof(c->out) - l, "%s%s:%llu;", name,
		    is_dir ? "/" : "", (unsigned long long)size);
	return 0;
}

static int
parse(const char *doc, size_t n, size_t step, struct collect *c,
    struct dupc_err *err)
{
	struct rc_lsjson *p = rc_lsjson_new(collect, c);
	size_t off = 0;
	int rc = 0;

	assert_non_null(p);
	err_clear(err);
	while (rc == 0 && off < n) {
		size_t k = step == 0 || step > n - off ? n - off : step;

		rc = rc_lsjson_feed(p, doc + off, k, err);
		off += k;
	}
	if (rc == 0)
		rc = rc_lsjson_finish(p, err);
	rc_lsjson_free(p);
	return rc;
}

static void
test_good(void **state)
{
	static const char real[] =
	    "[\n"
	    "{\"Path\":\"a\",\"Name\":\"a\",\"Size\":3,\"MimeType\":\"x/y\","
	    "\"ModTime\":\"2024-01-01T00:00:00Z\",\"IsDir\":false},\n"
	    "{\"Path\":\"d\",\"Name\":\"d\",\"Size\":-1,\"IsDir\":true,"
	    "\"Hashes\":{\"md5\":\"x}\"}},\n"
	    "{\"Name\":\"br{ace\\\"q}\",\"Size\":0,\"IsDir\":false},\n"
	    "{\"Name\":\"caf\\u00e9\",\"Size\":9007199254740993}\n"
	    "]\n";
	static const size_t steps[] = { 0, 1, 5 };
	struct collect c;
	struct dupc_err err;
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		memset(&c, 0, sizeof(c));
		CHECK_INT(parse(real, strlen(real), steps[i], &c, &err), 0,
		    "real");
		CHECK_STR(c.out,
		    "a:3;d/:0;br{ace\"q}:0;caf\xc3\xa9:9007199254740993;",
		    "real");
	}
	memset(&c, 0, sizeof(c));
	CHECK_INT(parse("[]", 2, 0, &c, &err), 0, "empty");
	CHECK_INT(parse(" [\n]\n", 5, 1, &c, &err), 0, "empty spaced");
	CHECK_INT(c.n, 0, "empty");
	UNIT_DONE();
}

static void
test_bad(void **state)
{
	static const char *const bad[] = { "", "[", "{}", "[{\"Name\":\"a\"}",
		"[{\"Name\":\"a\"},]", "[{\"Name\":\"a\"}]x", "[1]",
		"[{\"Size\":1}]", "[{\"Name\":3}]",
		"[{\"Name\":\"a\",\"Size\":\"1\"}]",
		"[{\"Name\":\"a\",\"IsDir\":1}]", "[{\"Name\":\"a\\u0000b\"}]",
		"[{\"Name\":\"a\",\"Name\":\"b\"}]", "[{\"Name\":\"a\"} {}]",
		"[{\"Name\":\"a]", "nope" };
	struct collect c;
	struct dupc_err err;
	size_t i;
	char *big;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&c, 0, sizeof(c));
		CHECK_INT(parse(bad[i], strlen(bad[i]), 0, &c, &err), -1,
		    bad[i]);
		CHECK_INT(err.cls, ERR_PERMANENT, bad[i]);
	}
	/* one entry past the cap */
	big = malloc(RC_ITEM_MAX + 64);
	assert_non_null(big);
	strcpy(big, "[{\"Name\":\"");
	memset(big + 10, 'n', RC_ITEM_MAX);
	strcpy(big + 10 + RC_ITEM_MAX, "\"}]");
	memset(&c, 0, sizeof(c));
	CHECK_INT(parse(big, strlen(big), 4096, &c, &err), -1, "too long");
	CHECK(strstr(err.msg, "64 KiB") != NULL, "too long");
	free(big);
	UNIT_DONE();
}

/* Twenty thousand entries go through the 64 KiB frame one at a time. */
static void
test_long(void **state)
{
	struct rc_lsjson *p;
	struct collect c;
	struct dupc_err err;
	char item[128];
	unsigned i;

	(void)state;
	memset(&c, 0, sizeof(c));
	p = rc_lsjson_new(collect, &c);
	assert_non_null(p);
	assert_int_equal(rc_lsjson_feed(p, "[\n", 2, &err), 0);
	for (i = 0; i < 20000; i++) {
		int n = snprintf(item, sizeof(item),
		    "%s{\"Path\":\"f%u\",\"Name\":\"f%u\",\"Size\":%u,\"IsDir\":false}\n",
		    i ? "," : "", i, i, i);

		assert_int_equal(rc_lsjson_feed(p, item, (size_t)n, &err), 0);
	}
	assert_int_equal(rc_lsjson_feed(p, "]\n", 2, &err), 0);
	assert_int_equal(rc_lsjson_finish(p, &err), 0);
	rc_lsjson_free(p);
	assert_int_equal(c.n, 20000);
}

static void
test_fail(void **state)
{
	static const struct {
		int status;
		const char *line;
		enum err_class cls;
		int code;
	} cases[] = {
		{ 3, "Failed to lsjson: directory not found", ERR_NOT_FOUND,
		    E_BACKEND_NOT_FOUND },
		{ 1,
		    "Failed to deletefile: r:x is a directory or doesn't exist",
		    ERR_NOT_FOUND, E_BACKEND_NOT_FOUND },
		{ 4, "object not found", ERR_NOT_FOUND, E_BACKEND_NOT_FOUND },
		{ 1,
		    "Failed to create file system for \"x:\": didn't find section in config file",
		    ERR_PERMANENT, E_BAD_URL },
		{ 2,
		    "Get \"https://h/\": x509: certificate signed by unknown authority",
		    ERR_PERMANENT, E_CONNECTION_FAILED },
		{ 2, "ssh: handshake failed: ssh: unable to authenticate",
		    ERR_PERMANENT, E_BACKEND_PERMISSION_DENIED },
		{ 2,
		    "couldn't connect SSH: dial tcp 127.0.0.1:1: connect: connection refused",
		    ERR_TRANSIENT, E_CONNECTION_FAILED },
		{ 5, "something temporary", ERR_TRANSIENT, E_BACKEND_ERROR },
		{ 1,
		    "Failed to rcat with 2 errors: last error was: Update ReadFrom failed: connection lost",
		    ERR_TRANSIENT, E_CONNECTION_FAILED },
		{ 1, "unknown flag: --bogus", ERR_PERMANENT, E_BACKEND_ERROR },
		{ 2,
		    "googleapi: Error 403: The user's Drive storage quota has been exceeded., storageQuotaExceeded",
		    ERR_PERMANENT, E_BACKEND_NO_SPACE },
		{ 2, "HTTP error 401 (401 Unauthorized) returned body: x",
		    ERR_PERMANENT, E_BACKEND_PERMISSION_DENIED },
		{ 2, "", ERR_TRANSIENT, E_BACKEND_ERROR },
	};
	struct dupc_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err_clear(&err);
		CHECK_INT(rc_fail(&err, "op", cases[i].status, cases[i].line),
		    -1, cases[i].line);
		CHECK_INT(err.cls, cases[i].cls, cases[i].line);
		CHECK_INT(err.code, cases[i].code, cases[i].line);
		CHECK(strncmp(err.msg, "op: ", 4) == 0, cases[i].line);
	}
	UNIT_DONE();
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		UNIT_TEST(test_good),
		UNIT_TEST(test_bad),
		UNIT_TEST(test_long),
		UNIT_TEST(test_fail),
	};

	unit_init();
	return cmocka_run_group_tests_name("rc_lsjson", tests, NULL, NULL);
}
