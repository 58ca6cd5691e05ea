/*
 * util/ratelimit: what the buckets count and the source that feeds them.
 * How fast they let bytes through is measured by bench/limit-rate, not
 * here (no timed tests).
 */
#define _DEFAULT_SOURCE
#include "unit.h"

#include <string.h>

#include "util/err.h"
#include "util/ratelimit.h"
#include "util/stream.h"

/* A bucket far above the bytes taken never waits and counts them all. */
static void
test_counts(void **state)
{
	struct ratelimit *rl = ratelimit_new(UINT64_C(1) << 40);

	(void)state;
	assert_non_null(rl);
	assert_int_equal(ratelimit_rate(rl), UINT64_C(1) << 40);
	ratelimit_take(rl, 1000);
	ratelimit_take(rl, 0);
	ratelimit_take(rl, 24);
	assert_int_equal(ratelimit_total(rl), 1024);
	ratelimit_free(rl);
	/* no bucket: nothing to do, nothing counted */
	ratelimit_take(NULL, 5);
	assert_int_equal(ratelimit_total(NULL), 0);
	assert_int_equal(ratelimit_rate(NULL), 0);
	ratelimit_free(NULL);
}

/* The source passes the bytes through unchanged, counts each one once,
 * and rewinds with the source it reads. */
static void
test_source(void **state)
{
	static char data[200000], got[200001];
	struct ratelimit *rl = ratelimit_new(UINT64_C(1) << 40);
	struct source *inner, *s;
	struct dupc_err err;
	size_t n, i;

	(void)state;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 13 + i / 7);
	inner = mem_source_new(data, sizeof(data));
	s = ratelimit_source_new(rl, inner);
	assert_non_null(s);
	err_clear(&err);
	assert_int_equal(source_read_full(s, got, sizeof(got), &n, &err), 0);
	assert_int_equal(n, sizeof(data));
	assert_memory_equal(got, data, sizeof(data));
	assert_int_equal(ratelimit_total(rl), sizeof(data));
	assert_int_equal(source_rewind(s, &err), 0);
	assert_int_equal(source_read_full(s, got, 100, &n, &err), 0);
	assert_int_equal(n, 100);
	assert_memory_equal(got, data, 100);
	assert_int_equal(ratelimit_total(rl), sizeof(data) + 100);
	source_free(s);
	source_free(inner);
	ratelimit_free(rl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_counts),
		UNIT_TEST(test_source),
	};

	unit_init();
	return cmocka_run_group_tests_name("ratelimit", tests, NULL, NULL);
}
