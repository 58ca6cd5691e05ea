/*
 * util/buf: growable buffers with a hard maximum.
 */
#include "unit.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

/* The invariant every operation must keep. */
static void
check_invariant(const struct buf *b, const char *name)
{
	CHECK(b->len <= b->max, name);
	if (b->data != NULL) {
		CHECK(b->len < b->cap, name);
		CHECK(b->data[b->len] == '\0', name);
	} else {
		CHECK(b->len == 0, name);
	}
	CHECK(strlen(buf_str(b)) <= b->len, name);
}

static void
test_empty(void **state)
{
	struct buf b;
	char *p;

	(void)state;
	buf_init(&b, 100);
	CHECK_STR(buf_str(&b), "", "fresh buffer is \"\"");
	CHECK_INT(b.len, 0, "fresh buffer is empty");
	check_invariant(&b, "fresh");
	CHECK_INT(buf_add(&b, "", 0), 0, "adding nothing");
	check_invariant(&b, "add nothing");
	p = buf_detach(&b);
	CHECK(p != NULL, "detach of an empty buffer gives a string");
	if (p != NULL)
		CHECK_STR(p, "", "detach of an empty buffer gives \"\"");
	free(p);
	CHECK(b.data == NULL && b.len == 0, "detach leaves it empty");
	CHECK_INT(b.max, 100, "detach keeps the maximum");
	buf_release(&b);
	buf_release(&b); /* twice is fine */
	UNIT_DONE();
}

static void
test_appends(void **state)
{
	struct buf b;
	char *p;
	int i;

	(void)state;
	buf_init(&b, 1 << 20);
	CHECK_INT(buf_addstr(&b, "abc"), 0, "addstr");
	CHECK_INT(buf_addch(&b, 'd'), 0, "addch");
	CHECK_INT(buf_add(&b, "e\0f", 3), 0, "add with a NUL inside");
	CHECK_INT(b.len, 7, "length counts the NUL");
	CHECK_MEM(b.data, b.len, "abcde\0f", 7, "bytes kept");
	CHECK_INT(buf_addf(&b, "%d-%s", 42, "x"), 0, "addf");
	CHECK_MEM(b.data, b.len, "abcde\0f42-x", 11, "addf appends");
	check_invariant(&b, "after appends");
	buf_truncate(&b, 3);
	CHECK_STR(buf_str(&b), "abc", "truncate");
	buf_truncate(&b, 10);
	CHECK_STR(buf_str(&b), "abc", "truncate past the end is a no-op");
	check_invariant(&b, "after truncate");
	buf_reset(&b);
	CHECK_STR(buf_str(&b), "", "reset");
	CHECK(b.cap > 0, "reset keeps the storage");
	check_invariant(&b, "after reset");
	/* growth across many reallocations */
	for (i = 0; i < 10000; i++)
		if (buf_addch(&b, 'a' + i % 26) < 0)
			break;
	CHECK_INT(i, 10000, "10000 single-byte appends");
	CHECK_INT(b.len, 10000, "length after growth");
	CHECK(b.data[9999] == 'a' + 9999 % 26, "last byte after growth");
	check_invariant(&b, "after growth");
	/* large addf */
	buf_reset(&b);
	CHECK_INT(buf_addf(&b, "%5000s|", "z"), 0, "addf of 5001 bytes");
	CHECK_INT(b.len, 5001, "addf length");
	check_invariant(&b, "after large addf");
	p = buf_detach(&b);
	CHECK(p != NULL && strlen(p) == 5001, "detach hands over the text");
	free(p);
	buf_release(&b);
	UNIT_DONE();
}

static void
test_cap_enforced(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 10);
	CHECK_INT(buf_add(&b, "0123456789", 10), 0, "exactly max bytes fit");
	check_invariant(&b, "full");
	errno = 0;
	CHECK_INT(buf_addch(&b, 'x'), -1, "one byte past max fails");
	CHECK_INT(errno, E2BIG, "failure is E2BIG");
	CHECK_STR(buf_str(&b), "0123456789",
	    "failed append leaves it unchanged");
	CHECK_INT(buf_addf(&b, "%s", "y"), -1, "addf past max fails");
	CHECK_INT(buf_addstr(&b, "zz"), -1, "addstr past max fails");
	CHECK_INT(b.len, 10, "length unchanged after failures");
	CHECK_INT(buf_add(&b, "", 0), 0, "empty append on a full buffer");
	check_invariant(&b, "after failures");

	buf_reset(&b);
	CHECK_INT(buf_add(&b, "01234", 5), 0, "half");
	CHECK_INT(buf_add(&b, "0123456", 7), -1,
	    "an append crossing max fails whole");
	CHECK_STR(buf_str(&b), "01234", "nothing of the failed append is kept");
	CHECK_INT(buf_addf(&b, "%d", 123456), -1,
	    "addf crossing max fails whole");
	CHECK_STR(buf_str(&b), "01234", "nothing of the failed addf is kept");
	check_invariant(&b, "after crossing");
	/* the allocation never exceeds max + 1 */
	CHECK(b.cap <= 11, "capacity bounded by max + 1");
	buf_release(&b);

	/* a huge length must not overflow the check */
	buf_init(&b, 1000);
	errno = 0;
	CHECK_INT(buf_add(&b, "x", SIZE_MAX), -1, "SIZE_MAX append fails");
	CHECK_INT(errno, E2BIG, "SIZE_MAX append is E2BIG");
	CHECK_INT(buf_add(&b, "x", SIZE_MAX - 1), -1,
	    "SIZE_MAX-1 append fails");
	CHECK(b.data == NULL, "nothing allocated for impossible appends");
	buf_release(&b);

	/* max 0: nothing but empty appends */
	buf_init(&b, 0);
	CHECK_INT(buf_addch(&b, 'a'), -1, "max 0 rejects a byte");
	CHECK_INT(buf_add(&b, "", 0), 0, "max 0 accepts nothing");
	CHECK_STR(buf_str(&b), "", "max 0 stays empty");
	check_invariant(&b, "max 0");
	buf_release(&b);
	UNIT_DONE();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_empty),
		UNIT_TEST(test_appends),
		UNIT_TEST(test_cap_enforced),
	};

	unit_init();
	return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
