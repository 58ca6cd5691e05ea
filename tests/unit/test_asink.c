/*
 * util/asink: a sink written by a worker thread.  The bytes must reach
 * the attached sink complete and in order, stream after stream, and a
 * failure of the attached sink must reach the owner.
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "util/asink.h"
#include "util/err.h"
#include "util/stream.h"

/* Write ${n} bytes of ${data} in pieces of varying size. */
static int
write_pieces(struct sink *s, const unsigned char *data, size_t n,
    uint64_t *seed, struct dupc_err *err)
{
	size_t off = 0;

	while (off < n) {
		/* 0 .. 200 KiB: below, at and above one queue block */
		size_t k = (size_t)(unit_rand(seed) % (200u * 1024 + 1));

		if (k > n - off)
			k = n - off;
		if (sink_write(s, data + off, k, err) < 0)
			return -1;
		off += k;
	}
	return 0;
}

static void
test_order_across_streams(void **state)
{
	struct dupc_err err;
	struct asink *a;
	uint64_t seed = 42;
	int round;

	(void)state;
	err_clear(&err);
	a = asink_new(&err);
	assert_non_null(a);
	for (round = 0; round < 20; round++) {
		/* sizes from empty to several times the whole queue */
		size_t n = round == 0
			       ? 0
			       : (size_t)(unit_rand(&seed) % (3u << 20)) + 1;
		unsigned char *data = malloc(n + 1);
		struct unit_sink out;
		struct sink *s;

		assert_non_null(data);
		unit_fill_random(data, n, &seed);
		unit_sink_init(&out);
		s = asink_attach(a, &out.base);
		CHECK_INT(write_pieces(s, data, n, &seed, &err), 0,
		    "writes succeed");
		CHECK_INT(sink_finish(s, &err), 0, "finish succeeds");
		CHECK_INT(out.finished, 1, "inner sink finished once");
		CHECK_MEM(out.data, out.len, data, n, "bytes in order");
		sink_free(s); /* does nothing: the asink lives on */
		unit_sink_release(&out);
		free(data);
	}
	asink_free(a);
	UNIT_DONE();
}

static void
test_detach_without_finish(void **state)
{
	struct dupc_err err;
	struct asink *a;
	struct unit_sink first, second;
	unsigned char block[100000];
	uint64_t seed = 7;
	struct sink *s;

	(void)state;
	err_clear(&err);
	a = asink_new(&err);
	assert_non_null(a);
	unit_fill_random(block, sizeof(block), &seed);

	/* a stream abandoned half way: detach drains it, no finish */
	unit_sink_init(&first);
	s = asink_attach(a, &first.base);
	CHECK_INT(sink_write(s, block, sizeof(block), &err), 0, "write");
	asink_detach(a);
	CHECK_MEM(first.data, first.len, block, sizeof(block),
	    "detach waits until every byte is written");
	CHECK_INT(first.finished, 0, "detach does not finish the sink");

	/* the next stream starts clean */
	unit_sink_init(&second);
	s = asink_attach(a, &second.base);
	CHECK_INT(sink_write(s, block, 10, &err), 0, "write to the next");
	CHECK_INT(sink_finish(s, &err), 0, "finish the next");
	CHECK_MEM(second.data, second.len, block, 10, "next stream alone");
	CHECK_INT(first.len, sizeof(block), "first stream untouched");

	asink_detach(a); /* detaching twice is harmless */
	unit_sink_release(&first);
	unit_sink_release(&second);
	asink_free(a);
	asink_free(NULL);
	UNIT_DONE();
}

static void
test_inner_failure(void **state)
{
	struct dupc_err err;
	struct asink *a;
	struct unit_sink bad, good;
	size_t n = 4u << 20;
	unsigned char *data = malloc(n);
	uint64_t seed = 3;
	struct sink *s;
	int rc;

	(void)state;
	assert_non_null(data);
	unit_fill_random(data, n, &seed);
	err_clear(&err);
	a = asink_new(&err);
	assert_non_null(a);

	/* fails after 1 MiB: a later write or the finish reports it */
	unit_sink_init(&bad);
	bad.fail_after = 1 << 20;
	s = asink_attach(a, &bad.base);
	err_clear(&err);
	rc = write_pieces(s, data, n, &seed, &err);
	if (rc == 0)
		rc = sink_finish(s, &err);
	CHECK_INT(rc, -1, "the inner failure reaches the owner");
	CHECK(err.code != 0, "with the inner sink's error");
	CHECK(bad.len <= (size_t)(1 << 20), "nothing past the failure");
	CHECK_INT(bad.finished, 0, "a failed sink is not finished");

	/* failing on the very last block: only finish can say so */
	unit_sink_release(&bad);
	unit_sink_init(&bad);
	bad.fail_after = 100;
	s = asink_attach(a, &bad.base);
	err_clear(&err);
	CHECK_INT(sink_write(s, data, 101, &err), 0,
	    "a queued write returns before the worker writes it");
	CHECK_INT(sink_finish(s, &err), -1, "finish reports the failure");
	CHECK(err.code != 0, "finish sets the error");

	/* the failure belongs to that stream only */
	unit_sink_init(&good);
	s = asink_attach(a, &good.base);
	err_clear(&err);
	CHECK_INT(write_pieces(s, data, n, &seed, &err), 0,
	    "the next stream writes");
	CHECK_INT(sink_finish(s, &err), 0, "and finishes");
	CHECK_MEM(good.data, good.len, data, n, "whole and in order");

	unit_sink_release(&bad);
	unit_sink_release(&good);
	asink_free(a);
	free(data);
	UNIT_DONE();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_order_across_streams),
		UNIT_TEST(test_detach_without_finish),
		UNIT_TEST(test_inner_failure),
	};

	unit_init();
	return cmocka_run_group_tests_name("asink", tests, NULL, NULL);
}
