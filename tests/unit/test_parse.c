/*
 * util/parse: strict decimal numbers.
 */
#include "unit.h"

#include <stdint.h>
#include <string.h>

#include "util/parse.h"

static void
test_u64_good(void **state)
{
	static const struct {
		const char *s;
		uint64_t want;
	} cases[] = {
		{ "0", 0 },
		{ "1", 1 },
		{ "007", 7 },
		{ "4294967296", 4294967296ull },
		{ "9223372036854775808", 9223372036854775808ull }, /* 2^63 */
		{ "18446744073709551615", UINT64_MAX },
		{ "000000000000000000000000018446744073709551615", UINT64_MAX },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 12345;

		CHECK_INT(parse_u64(cases[i].s, &v), 0, cases[i].s);
		CHECK_U64(v, cases[i].want, cases[i].s);
	}
	UNIT_DONE();
}

static void
test_u64_bad(void **state)
{
	static const char *const cases[] = {
		"",                                          /* empty */
		"-1",                                        /* sign */
		"+1", " 1",                                  /* spaces */
		"1 ", "1\n", "0x10",                         /* hex */
		"1e3", "1.0", "12a", "18446744073709551616", /* 2^64 */
		"99999999999999999999999",
		"\xef\xbc\x91", /* fullwidth digit one (UTF-8) */
		"1\xff",        /* non-UTF-8 */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 777;

		CHECK_INT(parse_u64(cases[i], &v), -1, cases[i]);
		CHECK_U64(v, 777, cases[i]); /* untouched on failure */
	}
	UNIT_DONE();
}

static void
test_u64_n(void **state)
{
	uint64_t v = 0;

	(void)state;
	CHECK_INT(parse_u64_n("12345", 3, &v), 0, "prefix of 3 digits");
	CHECK_U64(v, 123, "prefix of 3 digits");
	CHECK_INT(parse_u64_n("12x45", 2, &v), 0, "stops before junk");
	CHECK_U64(v, 12, "stops before junk");
	CHECK_INT(parse_u64_n("1\0"
			      "2",
		      3, &v),
	    -1, "NUL inside the range");
	CHECK_INT(parse_u64_n("123", 0, &v), -1, "zero length");
	CHECK_INT(parse_u64_n("18446744073709551616", 20, &v), -1, "2^64");
	UNIT_DONE();
}

static void
test_i64(void **state)
{
	static const struct {
		const char *s;
		int ok;
		int64_t want;
	} cases[] = {
		{ "0", 1, 0 },
		{ "-0", 1, 0 },
		{ "42", 1, 42 },
		{ "-42", 1, -42 },
		{ "9223372036854775807", 1, INT64_MAX },
		{ "-9223372036854775808", 1, INT64_MIN },
		{ "9223372036854775808", 0, 0 }, /* 2^63 */
		{ "-9223372036854775809", 0, 0 },
		{ "18446744073709551615", 0, 0 },
		{ "-", 0, 0 },
		{ "--1", 0, 0 },
		{ "+5", 0, 0 },
		{ "- 5", 0, 0 },
		{ "", 0, 0 },
		{ "5-", 0, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t v = 99;
		int rc = parse_i64(cases[i].s, &v);

		CHECK_INT(rc, cases[i].ok ? 0 : -1, cases[i].s);
		if (cases[i].ok)
			CHECK_INT(v, cases[i].want, cases[i].s);
		else
			CHECK_INT(v, 99, cases[i].s);
	}
	UNIT_DONE();
}

static void
test_int_range(void **state)
{
	long v = 0;

	(void)state;
	CHECK_INT(parse_int_range("0", 0, 9, &v), 0, "low bound");
	CHECK_INT(v, 0, "low bound");
	CHECK_INT(parse_int_range("9", 0, 9, &v), 0, "high bound");
	CHECK_INT(v, 9, "high bound");
	CHECK_INT(parse_int_range("10", 0, 9, &v), -1, "above");
	CHECK_INT(parse_int_range("-1", 0, 9, &v), -1, "below");
	CHECK_INT(parse_int_range("-5", -10, -1, &v), 0, "negative range");
	CHECK_INT(v, -5, "negative range");
	CHECK_INT(parse_int_range("9223372036854775808", 0, 9, &v), -1, "2^63");
	CHECK_INT(parse_int_range("x", 0, 9, &v), -1, "not a number");
	UNIT_DONE();
}

static void
test_overflow_helpers(void **state)
{
	uint64_t v;

	(void)state;
	CHECK_INT(add_u64(1, 2, &v), 0, "1+2");
	CHECK_U64(v, 3, "1+2");
	CHECK_INT(add_u64(UINT64_MAX, 1, &v), -1, "max+1");
	CHECK_INT(add_u64(UINT64_MAX, 0, &v), 0, "max+0");
	CHECK_INT(mul_u64(1ull << 32, 1ull << 31, &v), 0, "2^63");
	CHECK_U64(v, 1ull << 63, "2^63");
	CHECK_INT(mul_u64(1ull << 32, 1ull << 32, &v), -1, "2^64");
	CHECK_INT(mul_u64(0, UINT64_MAX, &v), 0, "0*max");
	UNIT_DONE();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_u64_good),
		UNIT_TEST(test_u64_bad),
		UNIT_TEST(test_u64_n),
		UNIT_TEST(test_i64),
		UNIT_TEST(test_int_range),
		UNIT_TEST(test_overflow_helpers),
	};

	unit_init();
	return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
