/*
 * format/quote: manifest Quote/Unquote (duplicity-format.md 3.2).
 */
#include "unit.h"

#include <stdio.h>
#include <string.h>

#include "format/quote.h"
#include "util/buf.h"

static void
test_quote_table(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "", "" },
		{ "plain", "plain" },
		{ "dir/file.txt", "dir/file.txt" },
		{ "a b", "\"a\\x20b\"" },
		{ "\t", "\"\\x09\"" },
		{ "\n", "\"\\x0a\"" },
		{ "\r", "\"\\x0d\"" },
		{ "\f", "\"\\x0c\"" },
		{ "\v", "\"\\x0b\"" },
		{ "\\", "\"\\x5c\"" },
		{ "\"", "\"\\x22\"" },
		{ "'", "\"\\x27\"" },
		/* the vectors' file name */
		{ "weird \"quote\" 'apos' back\\slash.txt",
		    "\"weird\\x20\\x22quote\\x22\\x20\\x27apos\\x27\\x20back\\x5cslash.txt\"" },
		{ "dir with spaces/na\xc3\xafve caf\xc3\xa9 \xe2\x98\x95.txt",
		    "\"dir\\x20with\\x20spaces/na\xc3\xafve\\x20caf\xc3\xa9\\x20\xe2\x98\x95.txt\"" },
		/* non-ASCII, non-UTF-8 and other control bytes stay raw */
		{ "latin1-\xe9.txt", "latin1-\xe9.txt" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
		{ "ctl\x01\x1f\x7f", "ctl\x01\x1f\x7f" },
		{ "x\x01 y", "\"x\x01\\x20y\"" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b;
		char name[80];

		unit_escape(cases[i].in, strlen(cases[i].in), name,
		    sizeof(name));
		buf_init(&b, 1 << 16);
		CHECK_INT(quote_append(&b, cases[i].in), 0, name);
		CHECK_STR(buf_str(&b), cases[i].want, name);
		buf_release(&b);
	}
	UNIT_DONE();
}

static void
test_unquote_good(void **state)
{
	static const struct {
		const char *in;
		const char *want;
		size_t wlen;
	} cases[] = {
		{ "plain", "plain", 5 },
		{ "", "", 0 },
		{ "\"\"", "", 0 },
		{ "\"abc\"", "abc", 3 },
		{ "\"a\\x20b\"", "a b", 3 },
		{ "\"\\x4A\\x4a\"", "JJ", 2 }, /* either hex case */
		{ "\"\\xe9\\xff\"", "\xe9\xff", 2 },
		{ "\"raw \xe9 bytes\"", "raw \xe9 bytes", 11 },
		{ "'single'", "'single'", 8 },       /* only '"' quotes */
		{ "no\"quote\"", "no\"quote\"", 9 }, /* must start with '"' */
		/* an escaped NUL is returned; callers reject it */
		{ "\"a\\x00b\"", "a\0b", 3 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b;
		char name[80];

		unit_escape(cases[i].in, strlen(cases[i].in), name,
		    sizeof(name));
		buf_init(&b, 1 << 16);
		buf_addstr(&b, "old contents");
		CHECK_INT(unquote(cases[i].in, strlen(cases[i].in), &b), 0,
		    name);
		CHECK_MEM(b.data, b.len, cases[i].want, cases[i].wlen, name);
		buf_release(&b);
	}
	UNIT_DONE();
}

static void
test_unquote_bad(void **state)
{
	static const char *const cases[] = {
		"\"",         /* a lone quote */
		"\"abc",      /* unterminated */
		"\"abc\\x20", /* unterminated after an escape */
		"\"\\x4\"",   /* short escape */
		"\"\\x\"",
		"\"\\\"",
		"\"abc\\\"", /* backslash right before the end */
		"\"\\xZZ\"", /* not hex */
		"\"\\x4g\"",
		"\"\\y41\"", /* not \x */
		"\"\\X41\"",
		"\"a\\",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b;

		buf_init(&b, 1 << 16);
		CHECK_INT(unquote(cases[i], strlen(cases[i]), &b), -1,
		    cases[i]);
		buf_release(&b);
	}
	UNIT_DONE();
}

static void
test_unquote_bounds(void **state)
{
	struct buf b;
	const char *line = "\"a\\x20b\" 12";

	(void)state;
	buf_init(&b, 1 << 16);
	/* a token inside a longer line: only ${n} bytes are read */
	CHECK_INT(unquote(line, 8, &b), 0, "token in a line");
	CHECK_STR(buf_str(&b), "a b", "token in a line");
	CHECK_INT(unquote("abcdef", 3, &b), 0, "raw token prefix");
	CHECK_STR(buf_str(&b), "abc", "raw token prefix");
	buf_release(&b);
	/* the output cap is honoured */
	buf_init(&b, 3);
	CHECK_INT(unquote("abcdef", 6, &b), -1, "raw token over the cap");
	CHECK_INT(unquote("\"abcdef\"", 8, &b), -1,
	    "quoted token over the cap");
	CHECK_INT(unquote("\"abc\"", 5, &b), 0, "quoted token at the cap");
	buf_release(&b);
	/* overlong quoted input of escapes */
	{
		static char big[3 * 4096 + 3];
		size_t k;

		big[0] = '"';
		for (k = 0; k < 4096; k++)
			memcpy(big + 1 + 3 * k, "\\x4", 3);
		big[1 + 3 * 4096] = '"';
		buf_init(&b, 1 << 20);
		CHECK_INT(unquote(big, 2 + 3 * 4096, &b), -1,
		    "4096 truncated escapes");
		buf_release(&b);
	}
	UNIT_DONE();
}

/* Every byte but NUL survives Quote then Unquote. */
static void
test_round_trip(void **state)
{
	char s[256];
	struct buf q, u;
	int c;

	(void)state;
	buf_init(&q, 1 << 16);
	buf_init(&u, 1 << 16);
	for (c = 1; c < 256; c++) {
		char name[32];

		snprintf(name, sizeof(name), "byte 0x%02x", c);
		s[0] = 'x';
		s[1] = (char)c;
		s[2] = 'y';
		s[3] = '\0';
		buf_reset(&q);
		CHECK_INT(quote_append(&q, s), 0, name);
		CHECK(strchr(buf_str(&q) + 1, ' ') == NULL, name);
		CHECK(strchr(buf_str(&q), '\n') == NULL, name);
		CHECK_INT(unquote(q.data, q.len, &u), 0, name);
		CHECK_STR(buf_str(&u), s, name);
	}
	/* all 255 bytes at once */
	for (c = 1; c < 256; c++)
		s[c - 1] = (char)c;
	s[255] = '\0';
	buf_reset(&q);
	CHECK_INT(quote_append(&q, s), 0, "all bytes");
	CHECK_INT(unquote(q.data, q.len, &u), 0, "all bytes");
	CHECK_MEM(u.data, u.len, s, 255, "all bytes");
	buf_release(&q);
	buf_release(&u);
	/* a full output buffer fails cleanly */
	buf_init(&q, 4);
	CHECK_INT(quote_append(&q, "a b c"), -1, "quote over the cap");
	buf_release(&q);
	UNIT_DONE();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_quote_table),
		UNIT_TEST(test_unquote_good),
		UNIT_TEST(test_unquote_bad),
		UNIT_TEST(test_unquote_bounds),
		UNIT_TEST(test_round_trip),
	};

	unit_init();
	return cmocka_run_group_tests_name("quote", tests, NULL, NULL);
}
