/*
 * format/dtime: time strings (duplicity-format.md 1.1, 9.2, 10).
 */
#define _DEFAULT_SOURCE
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format/dtime.h"
#include "util/err.h"

#define T0 1700000000 /* 20231114T221320Z */
#define NOW 1700000000

/* A zone with a standard offset of -5h and summer time (US rules), in
 * POSIX form so no tz database is needed. */
#define TZ_US "EST5EDT,M3.2.0,M11.1.0"

static void
set_tz(const char *tz)
{
	if (tz == NULL)
		unsetenv("TZ");
	else
		setenv("TZ", tz, 1);
	tzset();
}

static int
reset_tz(void **state)
{
	set_tz("UTC0");
	return unit_teardown(state);
}

static void
test_to_string(void **state)
{
	static const struct {
		int64_t t;
		const char *want;
	} cases[] = {
		{ 1700000000, "20231114T221320Z" },
		{ 1700000100, "20231114T221500Z" },
		{ 1700000200, "20231114T221640Z" },
		{ 0, "19700101T000000Z" },
		{ 951782400, "20000229T000000Z" },
		{ 4102444799, "20991231T235959Z" },
	};
	size_t i;

	(void)state;
	set_tz(TZ_US); /* file-name times are UTC whatever the zone */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[DTIME_STR_MAX];
		int64_t back = -1;

		CHECK_STR(dtime_to_string(cases[i].t, out), cases[i].want,
		    cases[i].want);
		CHECK_INT(dtime_from_string(out, &back), 0, cases[i].want);
		CHECK_INT(back, cases[i].t, cases[i].want);
	}
	UNIT_DONE();
}

static void
test_from_string_good(void **state)
{
	static const struct {
		const char *s;
		int64_t want;
	} cases[] = {
		{ "20231114T221320Z", T0 },
		{ "2023-11-14T22:13:20Z", T0 },
		{ "2023-11-14T23:13:20+01:00", T0 },
		{ "2023-11-14T17:13:20-05:00", T0 },
		{ "2023-11-15T03:43:20+05:30", T0 },
		{ "2023-11-14T22:13:20+00:00", T0 },
		{ "19700101T000000Z", 0 },
		{ "20231114T221360Z", T0 + 40 }, /* leap seconds allowed */
		{ "20231114T221361Z", T0 + 41 },
		{ "19010101T000000Z", -2177452800 },
		{ "20991231T235959Z", 4102444799 },
	};
	size_t i;

	(void)state;
	set_tz(TZ_US); /* a zone in the string overrides the local one */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t t = -1;

		CHECK_INT(dtime_from_string(cases[i].s, &t), 0, cases[i].s);
		CHECK_INT(t, cases[i].want, cases[i].s);
	}
	UNIT_DONE();
}

static void
test_from_string_bad(void **state)
{
	static const char *const cases[] = {
		"",
		"20231114T221320",   /* truncated */
		"20231114T221320ZZ", /* overlong */
		"20231114t221320Z",  /* lower-case separator */
		"20231114T221320z",
		"20231114X221320Z",
		"2023111 T221320Z",
		"2023-11-14T22:13:20", /* W3C needs a zone here */
		"2023-11-14T22:13:20+0100",
		"2023-11-14T22:13:20+1:00",
		"2023-11-14T22:13:20+01:00x",
		"2023-11-14T22:13:20+01-00",
		"2023-11-14T22:13:20 +01:00",
		"2023-11-14 22:13:20Z",
		"2023-1-14T22:13:20Z",
		"2023-11-14T22.13.20Z",
		"20231314T221320Z",    /* month 13 */
		"20230014T221320Z",    /* month 0 */
		"20231100T221320Z",    /* day 0 */
		"20231132T221320Z",    /* day 32 */
		"20231114T241320Z",    /* hour 24 */
		"20231114T226020Z",    /* minute 60 */
		"20231114T221362Z",    /* second 62 */
		"19001231T235959Z",    /* year 1900 */
		"21000101T000000Z",    /* year 2100 */
		"2023111\xffT221320Z", /* non-UTF-8 */
		"+2023114T221320Z",
		"-2023114T221320Z",
		"1700000000", /* epoch seconds are not a file time */
		"now",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t t = 12345;
		char name[80];

		unit_escape(cases[i], strlen(cases[i]), name, sizeof(name));
		CHECK_INT(dtime_from_string(cases[i], &t), -1, name);
		CHECK_INT(t, 12345, name);
	}
	UNIT_DONE();
}

struct parse_case {
	const char *s;
	const char *tz;
	int64_t want;
};

static void
test_parse_good(void **state)
{
	static const struct parse_case cases[] = {
		{ "now", "UTC0", NOW },
		/* epoch seconds */
		{ "0", "UTC0", 0 },
		{ "1700000000", TZ_US, 1700000000 },
		{ "0001700000000", "UTC0", 1700000000 },
		{ "9223372036854775807", "UTC0", INT64_MAX },
		/* W3C with a zone, and the 16-character UTC form */
		{ "2023-11-14T22:13:20Z", TZ_US, T0 },
		{ "2023-11-14T17:13:20-05:00", "UTC0", T0 },
		{ "20231114T221320Z", TZ_US, T0 },
		/* W3C without a zone: local *standard* time */
		{ "2023-11-14T22:13:20", "UTC0", T0 },
		{ "2023-11-14T17:13:20", TZ_US, T0 },
		{ "2023-07-01T00:00:00", TZ_US,
		    1688187600 }, /* -05:00 in July too */
		{ "2023-11-15T03:43:20", "IST-5:30", T0 },
		/* intervals back from now */
		{ "10s", "UTC0", NOW - 10 },
		{ "1m", "UTC0", NOW - 60 },
		{ "2h", "UTC0", NOW - 7200 },
		{ "3D", "UTC0", NOW - 3 * 86400 },
		{ "2W", "UTC0", NOW - 14 * 86400 },
		{ "1M", "UTC0", NOW - 30 * 86400 },
		{ "1Y", "UTC0", NOW - 365 * 86400 },
		{ "1h30m", "UTC0", NOW - 5400 },
		{ "1D2h3m4s", "UTC0", NOW - 93784 },
		{ "0s", "UTC0", NOW },
		{ "3D64s", "UTC0", NOW - 3 * 86400 - 64 },
		{ "2m2m", "UTC0", NOW - 240 },
		/* dates at local midnight (standard time) */
		{ "2023-11-14", "UTC0", 1699920000 },
		{ "2023/11/14", "UTC0", 1699920000 },
		{ "11/14/2023", "UTC0", 1699920000 },
		{ "11-14-2023", "UTC0", 1699920000 },
		{ "20231114Z", "UTC0", 1699920000 },
		{ "2023-1-2", "UTC0", 1672617600 },
		{ "1/2/2023", "UTC0", 1672617600 },
		{ "2023-07-01", TZ_US, 1688187600 },
		{ "2023-11-14", "IST-5:30", 1699920000 - 19800 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dupc_err err;
		int64_t t = -1;
		char name[80];

		snprintf(name, sizeof(name), "%s (TZ=%s)", cases[i].s,
		    cases[i].tz);
		set_tz(cases[i].tz);
		err_clear(&err);
		CHECK_INT(dtime_parse(cases[i].s, NOW, &t, &err), 0, name);
		CHECK_INT(t, cases[i].want, name);
		CHECK_INT(err.code, 0, name);
	}
	UNIT_DONE();
}

static void
test_parse_bad(void **state)
{
	static const char *const cases[] = {
		"",
		"yesterday",
		"NOW", /* case-sensitive */
		"now ",
		" now",
		"D", /* intervals: at least 2 characters */
		"s",
		"3d", /* units are case-sensitive */
		"3H",
		"3S",
		"3X",
		"h3",
		"1h30", /* trailing number without a unit */
		"-3D",
		"3 D",
		"1.5h",
		"9223372036854775807Y", /* overflow */
		"99999999999999999999s",
		"9223372036854775808", /* 2^63 seconds */
		"2023-13-01",
		"2023-11-32",
		"2023-00-10",
		"1899-01-01",
		"11/14/23", /* two-digit year */
		"2023/11/14/",
		"2023--11-14",
		"2023-11-14x",
		"20231114", /* digits only would be epoch... */
		"2023-11-14T22:13",
		"2023-11-14T22:13:20+0100",
		"2023-11-14T25:13:20Z",
		"2023111\xff",
		"3D\xff",
		"../3D",
		"/etc/passwd",
	};
	size_t i;

	(void)state;
	set_tz("UTC0");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dupc_err err;
		int64_t t = 4242;
		char name[80];
		int rc;

		unit_escape(cases[i], strlen(cases[i]), name, sizeof(name));
		/* "20231114" is 8 digits: epoch seconds, so it parses */
		if (strcmp(cases[i], "20231114") == 0) {
			CHECK_INT(dtime_parse(cases[i], NOW, &t, NULL), 0,
			    name);
			CHECK_INT(t, 20231114, name);
			continue;
		}
		err_clear(&err);
		rc = dtime_parse(cases[i], NOW, &t, &err);
		CHECK_INT(rc, -1, name);
		CHECK_INT(t, 4242, name);
		CHECK_INT(err.code, E_COMMAND_LINE, name);
		CHECK(strstr(err.msg, "bad time string") != NULL, name);
	}
	UNIT_DONE();
}

static void
test_interval(void **state)
{
	int64_t t = 0;

	(void)state;
	CHECK_INT(dtime_interval("1h30m", &t), 0, "1h30m");
	CHECK_INT(t, 5400, "1h30m");
	CHECK_INT(dtime_interval("100Y", &t), 0, "100Y");
	CHECK_INT(t, 100LL * 365 * 86400, "100Y");
	CHECK_INT(dtime_interval("", &t), -1, "empty");
	CHECK_INT(dtime_interval("h", &t), -1, "unit only");
	CHECK_INT(dtime_interval("30", &t), -1, "number only");
	CHECK_INT(dtime_interval("1x", &t), -1, "bad unit");
	CHECK_INT(dtime_interval("1h 30m", &t), -1, "space");
	CHECK_INT(dtime_interval("300000000000000000Y", &t), -1, "overflow");
	UNIT_DONE();
}

static void
test_pretty(void **state)
{
	static const struct {
		const char *tz;
		int64_t t;
		const char *want;
	} cases[] = {
		{ "UTC0", T0, "Tue Nov 14 22:13:20 2023" },
		{ "UTC0", 1700000100, "Tue Nov 14 22:15:00 2023" },
		{ "UTC0", 1688184000,
		    "Sat Jul  1 04:00:00 2023" }, /* day padded */
		{ "UTC0", 1690000000, "Sat Jul 22 04:26:40 2023" },
		{ "UTC0", 0, "Thu Jan  1 00:00:00 1970" },
		{ TZ_US, T0, "Tue Nov 14 17:13:20 2023" },         /* EST */
		{ TZ_US, 1688184000, "Sat Jul  1 00:00:00 2023" }, /* EDT */
		{ "IST-5:30", T0, "Wed Nov 15 03:43:20 2023" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[DTIME_STR_MAX];
		char name[64];

		snprintf(name, sizeof(name), "%lld in %s",
		    (long long)cases[i].t, cases[i].tz);
		set_tz(cases[i].tz);
		CHECK_STR(dtime_pretty(cases[i].t, out), cases[i].want, name);
	}
	UNIT_DONE();
}

static void
test_elapsed_pretty(void **state)
{
	static const struct {
		double secs;
		const char *want;
	} cases[] = {
		{ 0, "0.00 seconds" },
		{ 0.5, "0.50 seconds" },
		{ 0.999, "1.00 seconds" },
		{ 1.0, "1 second" },
		{ 1.42, "1.42 seconds" },
		{ 59.5, "59.50 seconds" },
		{ 60, "1 minute" },
		{ 61, "1 minute 1 second" },
		{ 62.5, "1 minute 2.50 seconds" },
		{ 60.5, "1 minute" }, /* seconds <= 1 after a unit: dropped */
		{ 120, "2 minutes" },
		{ 3600, "1 hour" },
		{ 3600.5, "1 hour" },
		{ 3661, "1 hour 1 minute 1 second" },
		{ 3720, "1 hour 2 minutes" },
		{ 3602, "1 hour 2.00 seconds" },
		{ 7200, "2 hours" },
		{ 7322.4, "2 hours 2 minutes 2.40 seconds" },
		{ 90061, "25 hours 1 minute 1 second" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[128];
		char name[32];

		snprintf(name, sizeof(name), "%.3f s", cases[i].secs);
		CHECK_STR(dtime_elapsed_pretty(cases[i].secs, out, sizeof(out)),
		    cases[i].want, name);
	}
	UNIT_DONE();
}

/* Short output buffers: always a terminated prefix, never an overrun. */
static void
test_elapsed_pretty_truncated(void **state)
{
	static const double secs[] = { 7322.4, 3661, 62.5, 1.42, 7200 };
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
		char full[128];

		dtime_elapsed_pretty(secs[i], full, sizeof(full));
		for (n = 1; n <= strlen(full) + 1; n++) {
			char *out =
			    malloc(n); /* exact size, so ASan sees overruns */
			char name[48];

			snprintf(name, sizeof(name), "%.2f s into %zu bytes",
			    secs[i], n);
			if (out == NULL)
				continue;
			dtime_elapsed_pretty(secs[i], out, n);
			CHECK(strlen(out) < n, name);
			CHECK(strncmp(out, full, strlen(out)) == 0, name);
			free(out);
		}
	}
	UNIT_DONE();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_to_string, unit_setup,
		    reset_tz),
		cmocka_unit_test_setup_teardown(test_from_string_good,
		    unit_setup, reset_tz),
		cmocka_unit_test_setup_teardown(test_from_string_bad,
		    unit_setup, reset_tz),
		cmocka_unit_test_setup_teardown(test_parse_good, unit_setup,
		    reset_tz),
		cmocka_unit_test_setup_teardown(test_parse_bad, unit_setup,
		    reset_tz),
		cmocka_unit_test_setup_teardown(test_interval, unit_setup,
		    reset_tz),
		cmocka_unit_test_setup_teardown(test_pretty, unit_setup,
		    reset_tz),
		cmocka_unit_test_setup_teardown(test_elapsed_pretty, unit_setup,
		    reset_tz),
		cmocka_unit_test_setup_teardown(test_elapsed_pretty_truncated,
		    unit_setup, reset_tz),
	};

	unit_init();
	set_tz("UTC0");
	return cmocka_run_group_tests_name("dtime", tests, NULL, NULL);
}
