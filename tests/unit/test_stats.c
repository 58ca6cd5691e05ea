/*
 * engine/stats: byte summaries of the Backup Statistics block
 * (duplicity-format.md 10.1).
 */
#include "unit.h"

#include <stdio.h>
#include <string.h>

#include "engine/stats.h"

#define KiB 1024LL
#define MiB (1024LL * KiB)
#define GiB (1024LL * MiB)
#define TiB (1024LL * GiB)

static void
test_bytes(void **state)
{
	static const struct {
		int64_t n;
		const char *want;
	} cases[] = {
		/* the spec's examples */
		{ 2802544, "2.67 MB" },
		{ 2765657, "2.64 MB" },
		{ 303359, "296 KB" },
		{ 12288, "12.0 KB" },
		{ 1, "1 byte" },
		{ 0, "0 bytes" },
		{ 2, "2 bytes" },
		{ 1023, "1023 bytes" },
		/* unit boundaries and precision steps */
		{ KiB, "1.00 KB" },
		{ 10 * KiB, "10.0 KB" },
		{ 100 * KiB, "100 KB" },
		{ 102399, "100.0 KB" }, /* 99.999 KB: one decimal, rounded */
		{ MiB - 1, "1024 KB" }, /* 1023.999 KB */
		{ MiB, "1.00 MB" },
		{ 10 * MiB + MiB / 2, "10.5 MB" },
		{ GiB, "1.00 GB" },
		{ 150 * GiB, "150 GB" },
		{ TiB, "1.00 TB" },
		{ 5 * TiB + TiB / 4, "5.25 TB" },
		{ 1000 * TiB, "1000 TB" }, /* no unit above TB */
		{ INT64_MAX, "8388608 TB" },
		/* negatives (TotalDestinationSizeChange can shrink) */
		{ -1, "-1 byte" },
		{ -2, "-2 bytes" },
		{ -1023, "-1023 bytes" },
		{ -12288, "-12.0 KB" },
		{ -2802544, "-2.67 MB" },
		{ -TiB, "-1.00 TB" },
		{ INT64_MIN, "-8388608 TB" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[64], name[32];

		snprintf(name, sizeof(name), "%lld", (long long)cases[i].n);
		CHECK_STR(stats_bytes(cases[i].n, out, sizeof(out)),
		    cases[i].want, name);
	}
	UNIT_DONE();
}

static void
test_bytes_short_buffer(void **state)
{
	char out[4];

	(void)state;
	memset(out, 'x', sizeof(out));
	stats_bytes(2802544, out, sizeof(out));
	CHECK_STR(out, "2.6", "truncated and terminated");
	stats_bytes(-TiB, out, 1);
	CHECK_STR(out, "", "one byte: just the terminator");
	UNIT_DONE();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_bytes),
		UNIT_TEST(test_bytes_short_buffer),
	};

	unit_init();
	return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
