/*
 * Resumable-upload units: the server's layout checked against the file,
 * and the bitmap of units received (mediafire-api.md 7.1).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "backend/mediafire/mf_internal.h"
#include "util/err.h"

#define MIB (1024u * 1024u)

static void
test_layouts(void **state)
{
	static const struct {
		uint64_t size, unit, count;
		int ok;
	} t[] = {
		{ 5 * MIB, MIB, 5, 1 }, { 5 * MIB + 1, MIB, 6, 1 },
		{ 1, 4 * MIB, 1, 1 }, { 4 * MIB, 4 * MIB, 1, 1 },
		{ 200 * MIB, 4 * MIB, 50, 1 },
		{ 5 * MIB, MIB, 4, 0 }, /* too few */
		{ 5 * MIB, MIB, 6, 0 }, /* an empty last unit */
		{ 5 * MIB, 0, 5, 0 }, { 5 * MIB, MIB, 0, 0 }, { 0, MIB, 1, 0 },
		{ 100ull << 30, 1, 100ull << 30, 0 }, /* too many units */
		{ UINT64_MAX, UINT64_MAX / 2, 3, 1 },
		{ UINT64_MAX, UINT64_MAX / 2, 4, 0 }, /* overflow */
	};
	struct mf_units u;
	struct dupc_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc =
		    mf_units_layout(&u, t[i].size, t[i].unit, t[i].count, &err);

		if ((rc == 0) != t[i].ok)
			fail_msg("case %zu: rc %d", i, rc);
		if (rc < 0)
			assert_int_equal(err.cls, ERR_TRANSIENT);
	}
	assert_int_equal(mf_units_layout(&u, 5 * MIB + 1, MIB, 6, &err), 0);
	assert_int_equal(mf_unit_offset(&u, 5), 5 * MIB);
	assert_int_equal(mf_unit_len(&u, 0), MIB);
	assert_int_equal(mf_unit_len(&u, 5), 1);
	assert_int_equal(mf_unit_len(&u, 6), 0);
}

static void
test_bitmap_words(void **state)
{
	uint16_t w[3] = { 0x0001 | 0x8000, 0x0004, 0xffff };
	bool have[40];
	uint32_t n;

	(void)state;
	n = mf_bitmap_decode(w, 3, 40, have);
	assert_true(have[0]);
	assert_false(have[1]);
	assert_true(have[15]);
	assert_false(have[16]);
	assert_true(have[18]); /* word 1, bit 2 */
	assert_true(have[32]);
	assert_true(have[39]);
	assert_int_equal(n, 3 + 8);
	/* missing words count as zero; bits past count are ignored */
	n = mf_bitmap_decode(w, 1, 33, have);
	assert_int_equal(n, 2);
	assert_false(have[32]);
	n = mf_bitmap_decode(w, 3, 1, have);
	assert_int_equal(n, 1);
}

static long
from_json(const char *bitmap, uint32_t count, bool *have, int *cls)
{
	char body[512];
	struct mf_reply r;
	struct dupc_err err;
	long n;

	snprintf(body, sizeof(body),
	    "{\"response\":{\"result\":\"Success\",\"b\":%s}}", bitmap);
	assert_int_equal(mf_reply_parse(&r, body, strlen(body), NULL, &err), 0);
	err_clear(&err);
	n = mf_bitmap_from_json(mf_json_obj(r.resp, "b"), count, have, &err);
	*cls = (int)err.cls;
	mf_reply_release(&r);
	return n;
}

static void
test_bitmap_json(void **state)
{
	bool have[33];
	int cls;

	(void)state;
	/* 33 units over three words, numbers and strings mixed */
	assert_int_equal(
	    from_json("{\"count\":\"3\",\"words\":[65535,\"65535\",1]}", 33,
		have, &cls),
	    33);
	assert_int_equal(from_json("{\"count\":3,\"words\":[\"0\",0,\"1\"]}",
			     33, have, &cls),
	    1);
	assert_true(have[32]);
	assert_int_equal(
	    from_json("{\"count\":0,\"words\":[]}", 33, have, &cls), 0);
	assert_int_equal(from_json("{\"words\":[65536]}", 33, have, &cls), -1);
	assert_int_equal(cls, ERR_TRANSIENT);
	assert_int_equal(from_json("{\"words\":[-1]}", 33, have, &cls), -1);
	assert_int_equal(from_json("{\"words\":[\"x\"]}", 33, have, &cls), -1);
	assert_int_equal(from_json("{\"words\":7}", 33, have, &cls), -1);
	assert_int_equal(from_json("{\"count\":1}", 33, have, &cls), -1);
	/* a bitmap that is not an object reads as absent: resend all */
	assert_int_equal(from_json("[1]", 33, have, &cls), 0);
	/* no bitmap at all: nothing received yet */
	assert_int_equal(mf_bitmap_from_json(NULL, 33, have, NULL), 0);
	assert_false(have[0]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layouts),
		cmocka_unit_test(test_bitmap_words),
		cmocka_unit_test(test_bitmap_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
