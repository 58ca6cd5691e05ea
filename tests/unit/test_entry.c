/*
 * format/entry: entry names inside difftars and sigtars
 * (duplicity-format.md 4.2, 5.1).
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/entry.h"
#include "util/buf.h"
#include "util/err.h"

struct good_case {
	const char *name;
	enum entry_kind kind;
	bool multivol;
	long chunk;
	const char *index;
};

static void
test_parse_good(void **state)
{
	static const struct good_case cases[] = {
		/* the root, every spelling */
		{ "snapshot/", EK_SNAPSHOT, false, 0, "" },
		{ "snapshot/.", EK_SNAPSHOT, false, 0, "" },
		{ "snapshot/./", EK_SNAPSHOT, false, 0, "" },
		{ "diff/.", EK_DIFF, false, 0, "" },
		/* plain entries; one trailing slash for directories */
		{ "snapshot/a", EK_SNAPSHOT, false, 0, "a" },
		{ "snapshot/deep/", EK_SNAPSHOT, false, 0, "deep" },
		{ "snapshot/a/b/c.txt", EK_SNAPSHOT, false, 0, "a/b/c.txt" },
		{ "diff/big-text.txt", EK_DIFF, false, 0, "big-text.txt" },
		{ "deleted/dir with spaces", EK_DELETED, false, 0,
		    "dir with spaces" },
		{ "deleted/dir with spaces/na\xc3\xafve caf\xc3\xa9 \xe2\x98\x95.txt",
		    EK_DELETED, false, 0,
		    "dir with spaces/na\xc3\xafve caf\xc3\xa9 \xe2\x98\x95.txt" },
		{ "signature/big-text.txt", EK_SIGNATURE, false, 0,
		    "big-text.txt" },
		{ "signature/latin1-\xe9.txt", EK_SIGNATURE, false, 0,
		    "latin1-\xe9.txt" },
		{ "snapshot/weird \"quote\" 'apos' back\\slash.txt",
		    EK_SNAPSHOT, false, 0,
		    "weird \"quote\" 'apos' back\\slash.txt" },
		{ "snapshot/.hidden", EK_SNAPSHOT, false, 0, ".hidden" },
		{ "snapshot/...", EK_SNAPSHOT, false, 0, "..." },
		{ "snapshot/..a/b..", EK_SNAPSHOT, false, 0, "..a/b.." },
		{ "snapshot/new\nline", EK_SNAPSHOT, false, 0, "new\nline" },
		/* multivol chunks */
		{ "multivol_snapshot/big-text.txt/1", EK_SNAPSHOT, true, 1,
		    "big-text.txt" },
		{ "multivol_snapshot/big-text.txt/40", EK_SNAPSHOT, true, 40,
		    "big-text.txt" },
		{ "multivol_diff/a/b/7", EK_DIFF, true, 7, "a/b" },
		{ "multivol_snapshot/newdir/added-in-inc2.bin/2", EK_SNAPSHOT,
		    true, 2, "newdir/added-in-inc2.bin" },
		{ "multivol_snapshot/a/007", EK_SNAPSHOT, true, 7, "a" },
		{ "multivol_snapshot/123/4", EK_SNAPSHOT, true, 4, "123" },
		{ "multivol_snapshot/a/1073741824", EK_SNAPSHOT, true,
		    1073741824, "a" },
		/* the chunks of a root that is a file (diffdir.py's ".") */
		{ "multivol_snapshot/./1", EK_SNAPSHOT, true, 1, "" },
		{ "multivol_diff/./12", EK_DIFF, true, 12, "" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct entry_name en;
		struct buf idx;
		struct dupc_err err;
		char name[160];

		unit_escape(cases[i].name, strlen(cases[i].name), name,
		    sizeof(name));
		buf_init(&idx, 1 << 16);
		err_clear(&err);
		memset(&en, 0x5a, sizeof(en));
		CHECK_INT(entry_name_parse(cases[i].name, &en, &idx, &err), 0,
		    name);
		CHECK_INT(en.kind, cases[i].kind, name);
		CHECK_INT(en.multivol, cases[i].multivol, name);
		if (cases[i].multivol)
			CHECK_INT(en.chunk, cases[i].chunk, name);
		CHECK_STR(buf_str(&idx), cases[i].index, name);
		buf_release(&idx);
	}
	UNIT_DONE();
}

static void
test_parse_bad(void **state)
{
	static const char *const cases[] = {
		/* garbage and unknown prefixes */
		"",
		"garbage",
		"snapshot", /* no separator */
		"snapshots/a",
		"Snapshot/a",
		"/snapshot/a",
		"./snapshot/a",
		"xsnapshot/a",
		"multivol/a/1",
		"multivol_deleted/a/1",
		"signatures/a",
		"\xffsnapshot/a",
		/* dot-dot anywhere */
		"snapshot/..",
		"snapshot/../etc/passwd",
		"snapshot/a/../../x",
		"snapshot/a/..",
		"diff/../x",
		"deleted/../x",
		"signature/a/../b",
		"multivol_snapshot/../x/1",
		"multivol_diff/a/../../b/2",
		"multivol_snapshot/../1",
		/* absolute paths, empty components */
		"snapshot//etc/passwd",
		"diff//a",
		"snapshot/a//b",
		"snapshot/a//",
		"snapshot/a/b//",
		"multivol_snapshot//a/1",
		"multivol_snapshot/a//1",
		/* "." components other than the root */
		"snapshot/./a",
		"snapshot/a/.",
		"snapshot/a/./b",
		"snapshot/.//",
		/* multivol chunk numbers */
		"multivol_snapshot/a",
		"multivol_snapshot/a/",
		"multivol_snapshot/a/0",
		"multivol_snapshot/a/00",
		"multivol_snapshot/a/-1",
		"multivol_snapshot/a/+1",
		"multivol_snapshot/a/1x",
		"multivol_snapshot/a/x",
		"multivol_snapshot/a/ 1",
		"multivol_snapshot/a/1073741825", /* 2^30 + 1 */
		"multivol_snapshot/a/4294967297",
		"multivol_snapshot/a/9223372036854775808", /* 2^63 */
		"multivol_snapshot/a/99999999999999999999999",
		"multivol_snapshot/1",
		"multivol_diff/",
		/* chunks of an empty or unsafe path */
		"multivol_diff//1",
		"multivol_snapshot/.//2",
		"multivol_snapshot/../1",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct entry_name en;
		struct buf idx;
		struct dupc_err err;
		char name[160];

		unit_escape(cases[i], strlen(cases[i]), name, sizeof(name));
		buf_init(&idx, 1 << 16);
		err_clear(&err);
		CHECK_INT(entry_name_parse(cases[i], &en, &idx, &err), -1,
		    name);
		CHECK_INT(err.code, E_GENERIC, name);
		CHECK(err.msg[0] != '\0', name);
		buf_release(&idx);
	}
	UNIT_DONE();
}

/* A name longer than the caller's index buffer fails cleanly, and
 * messages stay bounded whatever the name's length. */
static void
test_parse_overlong(void **state)
{
	struct entry_name en;
	struct buf idx;
	struct dupc_err err;
	char *name = malloc(100000);

	(void)state;
	assert_non_null(name);
	memcpy(name, "snapshot/", 9);
	memset(name + 9, 'a', 100000 - 10);
	name[100000 - 1] = '\0';
	buf_init(&idx, 1000);
	CHECK_INT(entry_name_parse(name, &en, &idx, &err), -1,
	    "index over the cap");
	buf_release(&idx);
	buf_init(&idx, 1 << 20);
	CHECK_INT(entry_name_parse(name, &en, &idx, &err), 0,
	    "long but allowed");
	CHECK_INT(idx.len, 100000 - 10, "long index kept whole");
	/* an unsafe long name: the message is truncated, not overflowed */
	memcpy(name + 50000, "/../", 4);
	CHECK_INT(entry_name_parse(name, &en, &idx, &err), -1, "long unsafe");
	CHECK(strlen(err.msg) < ERR_MSG_MAX, "message bounded");
	buf_release(&idx);
	free(name);
	UNIT_DONE();
}

static void
test_build(void **state)
{
	static const struct {
		enum entry_kind kind;
		const char *index;
		bool dir, sigtar;
		long chunk;
		const char *want;
	} cases[] = {
		{ EK_SNAPSHOT, "", true, false, 0, "snapshot/./" },
		{ EK_SNAPSHOT, "", true, true, 0, "snapshot/" },
		/* a root that is a file */
		{ EK_SNAPSHOT, "", false, false, 0, "snapshot/" },
		{ EK_DIFF, "", false, false, 0, "diff/" },
		{ EK_SIGNATURE, "", false, true, 0, "signature/" },
		{ EK_SNAPSHOT, "", false, false, 1, "multivol_snapshot/./1" },
		{ EK_DIFF, "", false, false, 2, "multivol_diff/./2" },
		{ EK_SNAPSHOT, "deep", true, false, 0, "snapshot/deep/" },
		{ EK_SNAPSHOT, "deep", true, true, 0, "snapshot/deep/" },
		{ EK_SNAPSHOT, "a/b.txt", false, false, 0, "snapshot/a/b.txt" },
		{ EK_SNAPSHOT, "big-text.txt", false, false, 1,
		    "multivol_snapshot/big-text.txt/1" },
		{ EK_SNAPSHOT, "big-text.txt", false, false, 40,
		    "multivol_snapshot/big-text.txt/40" },
		{ EK_DIFF, "small.txt", false, false, 0, "diff/small.txt" },
		{ EK_DIFF, "a/b", false, false, 3, "multivol_diff/a/b/3" },
		{ EK_DELETED, "dir with spaces", true, false, 0,
		    "deleted/dir with spaces" }, /* never a trailing slash */
		{ EK_DELETED, "x", false, true, 0, "deleted/x" },
		{ EK_SIGNATURE, "big-text.txt", false, true, 0,
		    "signature/big-text.txt" },
		{ EK_SNAPSHOT, "latin1-\xe9.txt", false, false, 0,
		    "snapshot/latin1-\xe9.txt" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b, idx;
		struct entry_name en;
		struct dupc_err err;

		buf_init(&b, 1 << 16);
		buf_init(&idx, 1 << 16);
		CHECK_INT(entry_name_build(&b, cases[i].kind, cases[i].index,
			      cases[i].dir, cases[i].sigtar, cases[i].chunk),
		    0, cases[i].want);
		CHECK_STR(buf_str(&b), cases[i].want, cases[i].want);
		/* and it parses back */
		CHECK_INT(entry_name_parse(buf_str(&b), &en, &idx, &err), 0,
		    cases[i].want);
		CHECK_INT(en.kind, cases[i].kind, cases[i].want);
		CHECK_INT(en.multivol, cases[i].chunk > 0, cases[i].want);
		if (cases[i].chunk > 0)
			CHECK_INT(en.chunk, cases[i].chunk, cases[i].want);
		CHECK_STR(buf_str(&idx), cases[i].index, cases[i].want);
		buf_release(&b);
		buf_release(&idx);
	}
	/* a full buffer fails */
	{
		struct buf b;

		buf_init(&b, 8);
		CHECK_INT(entry_name_build(&b, EK_SNAPSHOT, "abcdef", false,
			      false, 0),
		    -1, "name over the cap");
		buf_release(&b);
	}
	UNIT_DONE();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_parse_good),
		UNIT_TEST(test_parse_bad),
		UNIT_TEST(test_parse_overlong),
		UNIT_TEST(test_build),
	};

	unit_init();
	return cmocka_run_group_tests_name("entry", tests, NULL, NULL);
}
