/*
 * util/path: index order and validity (duplicity-format.md 4.5).
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/path.h"

static int
sign(int v)
{
	return (v > 0) - (v < 0);
}

/* Reference order: split into components, compare the lists as Python
 * compares tuples of byte strings. */
static int
ref_cmp(const char *a, const char *b)
{
	for (;;) {
		size_t la, lb, n;
		int c;

		if (*a == '\0' && *b == '\0')
			return 0;
		if (*a == '\0')
			return -1;
		if (*b == '\0')
			return 1;
		la = strcspn(a, "/");
		lb = strcspn(b, "/");
		n = la < lb ? la : lb;
		c = memcmp(a, b, n);
		if (c != 0)
			return sign(c);
		if (la != lb)
			return la < lb ? -1 : 1;
		a += la;
		b += lb;
		if (*a == '/')
			a++;
		if (*b == '/')
			b++;
	}
}

static void
test_cmp_table(void **state)
{
	static const struct {
		const char *a, *b;
		int want;
	} cases[] = {
		{ "a/b", "a-b", -1 }, /* the spec's example */
		{ "a-b", "a/b", 1 },
		{ "", "", 0 },
		{ "", "a", -1 }, /* root first */
		{ "a", "", 1 },
		{ "a", "a", 0 },
		{ "a", "a/b", -1 }, /* a directory before its contents */
		{ "a/b", "a", 1 },
		{ "a", "ab", -1 },   /* shorter prefix first */
		{ "a/z", "ab", -1 }, /* ("a","z") < ("ab",) */
		{ "ab", "a/b", 1 },
		{ "a/b", "a/c", -1 },
		{ "a/b/c", "a/b0", -1 },
		{ "a.txt", "a/x", 1 }, /* '.' (0x2e) vs separator */
		{ "a\x01", "a/b", 1 }, /* separator ranks below 0x01 */
		{ "z", "\xe9", -1 },   /* bytes compare unsigned */
		{ "\xe9", "z", 1 },
		{ "dir with spaces", "dir with spaces/plain.txt", -1 },
		{ "deep/x", "deep-x", -1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[64];

		snprintf(name, sizeof(name), "%zu: %s <=> %s", i, cases[i].a,
		    cases[i].b);
		CHECK_INT(sign(index_cmp(cases[i].a, cases[i].b)),
		    cases[i].want, name);
		CHECK_INT(sign(ref_cmp(cases[i].a, cases[i].b)), cases[i].want,
		    name);
	}
	UNIT_DONE();
}

/* Every pair of a set of tricky indexes agrees with the reference. */
static void
test_cmp_against_reference(void **state)
{
	static const char *const idx[] = {
		"",
		"a",
		"a/b",
		"a-b",
		"a/b/c",
		"a/b-c",
		"a/bc",
		"ab",
		"a.b",
		"a b",
		"a\x01",
		"a\x7f",
		"a\xff",
		"a/\xff",
		"b",
		"\xc3\xa9",
		"0",
		"a/a/a",
		"a/a",
		"aa/a",
		"a/aa",
		"A",
		"a~",
		"a/~",
	};
	size_t n = sizeof(idx) / sizeof(idx[0]), i, j;

	(void)state;
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++) {
			char name[64], e1[24], e2[24];
			int c = sign(index_cmp(idx[i], idx[j]));

			snprintf(name, sizeof(name), "%s <=> %s",
			    unit_escape(idx[i], strlen(idx[i]), e1, sizeof(e1)),
			    unit_escape(idx[j], strlen(idx[j]), e2,
				sizeof(e2)));
			CHECK_INT(c, ref_cmp(idx[i], idx[j]), name);
			CHECK_INT(c, -sign(index_cmp(idx[j], idx[i])), name);
			CHECK_INT(c == 0, i == j, name);
		}
	UNIT_DONE();
}

/* Un-escape a listing.py path (\xHH). */
static void
unescape_listing(const char *s, size_t n, char *out, size_t outsz)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 1 < outsz; i++) {
		if (s[i] == '\\' && i + 3 < n + 1 && s[i + 1] == 'x') {
			char hex[3] = { s[i + 2], s[i + 3], 0 };

			out[o++] = (char)strtol(hex, NULL, 16);
			i += 3;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
}

/* The expected listings are written in duplicity's path order. */
static void
test_vector_listing_order(void **state)
{
	static const char *const files[] = {
		"a-plain/expected/20231114T221320Z.txt",
		"a-plain/expected/20231114T221500Z.txt",
		"a-plain/expected/20231114T221640Z.txt",
		"c-multivol/expected/20231114T221320Z.txt",
	};
	size_t f;

	UNIT_VECTORS(vec);
	(void)vec;
	(void)state;
	for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		size_t len, count = 0;
		char *text =
		    (char *)unit_slurp(unit_vector_path(files[f]), &len);
		char prev[4096] = "", cur[4096];
		char *line, *save = NULL;
		int have_prev = 0;

		CHECK(text != NULL, files[f]);
		if (text == NULL)
			continue;
		for (line = strtok_r(text, "\n", &save); line != NULL;
		     line = strtok_r(NULL, "\n", &save)) {
			size_t plen = strcspn(line, "\t");

			if (line[0] == '#')
				continue;
			unescape_listing(line, plen, cur, sizeof(cur));
			if (strcmp(cur, ".") == 0)
				cur[0] = '\0';
			CHECK(index_valid(cur), cur);
			if (have_prev)
				CHECK(index_cmp(prev, cur) < 0, cur);
			memcpy(prev, cur, sizeof(cur));
			have_prev = 1;
			count++;
		}
		CHECK(count > 20, files[f]);
		free(text);
	}
	UNIT_DONE();
}

static void
test_within(void **state)
{
	static const struct {
		const char *idx, *prefix;
		bool want;
	} cases[] = {
		{ "a/b", "a", true },
		{ "a", "a", true },
		{ "a/b/c", "a/b", true },
		{ "anything", "", true },
		{ "", "", true },
		{ "ab", "a", false },
		{ "a-b", "a", false },
		{ "a/bc", "a/b", false },
		{ "", "a", false },
		{ "a", "a/b", false },
		{ "b/a", "a", false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[64];

		snprintf(name, sizeof(name), "'%s' within '%s'", cases[i].idx,
		    cases[i].prefix);
		CHECK_INT(index_is_within(cases[i].idx, cases[i].prefix),
		    cases[i].want, name);
	}
	UNIT_DONE();
}

static void
test_valid(void **state)
{
	static const struct {
		const char *idx;
		bool want;
	} cases[] = {
		{ "", true }, /* the root */
		{ "a", true },
		{ "a/b/c", true },
		{ "...", true },
		{ ".a", true },
		{ "a..", true },
		{ "..a/b", true },
		{ "a b/\xe9\xff", true }, /* any bytes but '/' and NUL */
		{ "a\n", true },
		{ ".", false },
		{ "..", false },
		{ "a/..", false },
		{ "../a", false },
		{ "a/../b", false },
		{ "a/.", false },
		{ "./a", false },
		{ "a/./b", false },
		{ "a//b", false }, /* empty component */
		{ "/", false },
		{ "/a", false }, /* absolute */
		{ "/etc/passwd", false },
		{ "a/", false }, /* trailing slash */
		{ "a/b/", false },
		{ "//", false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_INT(index_valid(cases[i].idx), cases[i].want,
		    cases[i].idx);
	UNIT_DONE();
}

static void
test_depth_basename_prefix(void **state)
{
	static const struct {
		const char *a, *b;
		size_t want;
	} cp[] = {
		{ "a/b/c", "a/b/d", 3 },
		{ "a/bc", "a/bd", 1 },
		{ "abc", "abd", 0 },
		{ "a", "a/b", 1 },
		{ "a/b", "a", 1 },
		{ "a", "a", 1 },
		{ "a/b", "a/b", 3 },
		{ "", "a", 0 },
		{ "", "", 0 },
		{ "x", "y", 0 },
		{ "ab/c", "a/c", 0 },
	};
	size_t i;

	(void)state;
	CHECK_INT(index_depth(""), 0, "depth of root");
	CHECK_INT(index_depth("a"), 1, "depth 1");
	CHECK_INT(index_depth("a/b/c"), 3, "depth 3");
	CHECK_STR(index_basename("a/b/c"), "c", "basename");
	CHECK_STR(index_basename("a"), "a", "basename of one component");
	CHECK_STR(index_basename(""), "", "basename of root");
	for (i = 0; i < sizeof(cp) / sizeof(cp[0]); i++) {
		char name[64];

		snprintf(name, sizeof(name), "common('%s','%s')", cp[i].a,
		    cp[i].b);
		CHECK_INT(index_common_prefix_len(cp[i].a, cp[i].b), cp[i].want,
		    name);
	}
	UNIT_DONE();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_cmp_table),
		UNIT_TEST(test_cmp_against_reference),
		UNIT_TEST(test_vector_listing_order),
		UNIT_TEST(test_within),
		UNIT_TEST(test_valid),
		UNIT_TEST(test_depth_basename_prefix),
	};

	unit_init();
	return cmocka_run_group_tests_name("path", tests, NULL, NULL);
}
