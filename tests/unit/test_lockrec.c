/*
 * format/lockrec: the lock object's record, written and read back, and
 * every way a record from the target can be wrong.
 */
#define _DEFAULT_SOURCE
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/lockrec.h"
#include "util/buf.h"
#include "util/err.h"

#define GOOD                                                              \
	"dupc lock 1\nhost: backup1.example.org\nuser: root\npid: 4242\n" \
	"command: backup\ninstance: 0f1e-2d3c pid:[4026531836]\n"         \
	"started: 20240101T020000Z\n"                                     \
	"refreshed: 20240101T021500Z\ninterval: 60\n"                     \
	"token: 0123456789abcdef0123456789abcdef\n"

static void
sample(struct lockrec *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->host, sizeof(r->host), "backup1.example.org");
	snprintf(r->user, sizeof(r->user), "root");
	snprintf(r->command, sizeof(r->command), "backup");
	snprintf(r->instance, sizeof(r->instance),
	    "0f1e-2d3c pid:[4026531836]");
	r->pid = 4242;
	r->started = 1704074400;   /* 20240101T020000Z */
	r->refreshed = 1704075300; /* 20240101T021500Z */
	r->interval = 60;
	snprintf(r->token, sizeof(r->token),
	    "0123456789abcdef0123456789abcdef");
}

static void
test_format_is_the_documented_text(void **state)
{
	struct lockrec r;
	struct buf b;

	(void)state;
	sample(&r);
	buf_init(&b, LOCKREC_MAX);
	assert_int_equal(lockrec_format(&r, &b), 0);
	assert_string_equal(buf_str(&b), GOOD);
	buf_release(&b);
}

static void
test_parse_good(void **state)
{
	struct lockrec r, want;
	struct dupc_err err;
	char holder[512];

	(void)state;
	sample(&want);
	err_clear(&err);
	assert_int_equal(lockrec_parse(&r, GOOD, strlen(GOOD), &err), 0);
	assert_memory_equal(&r, &want, sizeof(r));
	/* a later version's keys are passed over */
	{
		const char *t = GOOD "comment: made by a later dupc\n";

		assert_int_equal(lockrec_parse(&r, t, strlen(t), &err), 0);
		assert_memory_equal(&r, &want, sizeof(r));
	}
	lockrec_holder(&r, holder, sizeof(holder));
	assert_string_equal(holder,
	    "root@backup1.example.org (pid 4242, backup, started Mon Jan  1 02:00:00 2024)");
}

/* Control bytes in what the run writes cannot break the record. */
static void
test_format_escapes(void **state)
{
	struct lockrec r, back;
	struct dupc_err err;
	struct buf b;

	(void)state;
	sample(&r);
	snprintf(r.host, sizeof(r.host), "evil\nhost: other");
	r.user[0] = '\0';
	buf_init(&b, LOCKREC_MAX);
	assert_int_equal(lockrec_format(&r, &b), 0);
	err_clear(&err);
	assert_int_equal(lockrec_parse(&back, b.data, b.len, &err), 0);
	assert_string_equal(back.host, "evil?host: other");
	assert_string_equal(back.user, "?");
	buf_release(&b);
}

/* Replace the first ${from} of GOOD with ${to}. */
static char *
variant(const char *from, const char *to)
{
	const char *at = strstr(GOOD, from);
	size_t n = strlen(GOOD) - strlen(from) + strlen(to) + 1;
	char *s = malloc(n);

	assert_non_null(at);
	assert_non_null(s);
	snprintf(s, n, "%.*s%s%s", (int)(at - GOOD), GOOD, to,
	    at + strlen(from));
	return s;
}

static void
test_parse_bad(void **state)
{
	static const struct {
		const char *from, *to, *msg;
	} cases[] = {
		{ "dupc lock 1\n", "dupc lock 2\n", "version 1" },
		{ "dupc lock 1\n", "", "version 1" },
		{ "pid: 4242\n", "", "no 'pid' line" },
		{ "instance: 0f1e-2d3c pid:[4026531836]\n", "",
		    "no 'instance' line" },
		{ "pid: 4242\n", "pid: 4242\npid: 1\n", "given twice" },
		{ "pid: 4242", "pid: 0", "not valid" },
		{ "pid: 4242", "pid: -1", "not valid" },
		{ "pid: 4242", "pid: 99999999999999999999", "not valid" },
		{ "pid: 4242", "pid: 42 ", "not valid" },
		{ "pid: 4242", "pid:4242", "expected 'key: value'" },
		{ "pid: 4242", "PID: 4242", "lower-case" },
		{ "pid: 4242", ": 4242", "expected 'key: value'" },
		{ "interval: 60", "interval: 0", "not valid" },
		{ "interval: 60", "interval: 86401", "not valid" },
		{ "started: 20240101T020000Z", "started: 20241301T020000Z",
		    "not valid" },
		{ "started: 20240101T020000Z", "started: 2024-01-01",
		    "not valid" },
		{ "started: 20240101T020000Z", "started: 20240101T020000Zx",
		    "not valid" },
		{ "token: 0123456789abcdef0123456789abcdef",
		    "token: 0123456789ABCDEF0123456789abcdef", "not valid" },
		{ "token: 0123456789abcdef0123456789abcdef", "token: 01",
		    "not valid" },
		{ "host: backup1.example.org", "host: a\rb", "not valid" },
		{ "host: backup1.example.org", "host: ", "not valid" },
		{ "user: root", "user: ro\x1bot", "not valid" },
		{ "user: root\n", "user: root\n\n", "expected 'key: value'" },
		{ "interval: 60\n", "interval: 60\nnote: a\x7f\n",
		    "control characters" },
		{ "abcdef\n", "abcdef", "has no end" },
	};
	struct lockrec r;
	struct dupc_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *t = variant(cases[i].from, cases[i].to), name[64];

		snprintf(name, sizeof(name), "case %zu", i);
		err_clear(&err);
		CHECK_INT(lockrec_parse(&r, t, strlen(t), &err), -1, name);
		CHECK(strstr(err.msg, cases[i].msg) != NULL, name);
		free(t);
	}
	UNIT_DONE();
}

static void
test_parse_bounds(void **state)
{
	struct lockrec r;
	struct dupc_err err;
	char *big = malloc(LOCKREC_MAX + 2), host[300];
	size_t n;

	(void)state;
	assert_non_null(big);
	err_clear(&err);
	assert_int_equal(lockrec_parse(&r, "", 0, &err), -1);
	assert_non_null(strstr(err.msg, "empty"));
	/* longer than the cap, however well-formed */
	n = (size_t)snprintf(big, LOCKREC_MAX + 2, "%s", GOOD);
	while (n < LOCKREC_MAX + 1)
		n += (size_t)snprintf(big + n, LOCKREC_MAX + 2 - n, "x: y\n");
	assert_int_equal(lockrec_parse(&r, big, LOCKREC_MAX + 1, &err), -1);
	assert_non_null(strstr(err.msg, "longer than"));
	/* a host of 256 bytes does not fit */
	memset(host, 'h', 256);
	host[256] = '\0';
	{
		char *t = variant("backup1.example.org", host);

		assert_int_equal(lockrec_parse(&r, t, strlen(t), &err), -1);
		free(t);
	}
	/* not NUL-terminated: only ${len} bytes are read */
	memcpy(big, GOOD, strlen(GOOD));
	big[strlen(GOOD)] = 'Z';
	assert_int_equal(lockrec_parse(&r, big, strlen(GOOD), &err), 0);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_format_is_the_documented_text),
		UNIT_TEST(test_parse_good),
		UNIT_TEST(test_format_escapes),
		UNIT_TEST(test_parse_bad),
		UNIT_TEST(test_parse_bounds),
	};

	unit_init();
	setenv("TZ", "UTC0", 1);
	return cmocka_run_group_tests_name("lockrec", tests, NULL, NULL);
}
