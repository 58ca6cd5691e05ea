/*
 * util/json: the streaming JSON writer of the --json reports.
 */
#define _GNU_SOURCE
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/json.h"

/* Run ${fn} on a writer into memory; the document and finish's result. */
static int
render(void (*fn)(struct json_out *), int indent, char **out,
    struct dupc_err *err)
{
	size_t len = 0;
	FILE *f = open_memstream(out, &len);
	struct json_out *jo;
	int rc;

	assert_non_null(f);
	jo = jout_new(f, indent);
	assert_non_null(jo);
	fn(jo);
	err_clear(err);
	rc = jout_finish(jo, err);
	jout_free(jo);
	fclose(f);
	return rc;
}

static void
doc_nested(struct json_out *jo)
{
	jout_object_begin(jo, NULL);
	jout_string(jo, "s", "a \"q\" \\ \n\t\x01");
	jout_int(jo, "i", -42);
	jout_int(jo, "big", INT64_MAX);
	jout_real(jo, "r", 0.5);
	jout_bool(jo, "t", true);
	jout_null(jo, "n");
	jout_array_begin(jo, "a");
	jout_int(jo, NULL, 1);
	jout_object_begin(jo, NULL);
	jout_object_end(jo);
	jout_array_begin(jo, NULL);
	jout_array_end(jo);
	jout_array_end(jo);
	jout_object_end(jo);
}

static void
doc_paths(struct json_out *jo)
{
	jout_object_begin(jo, NULL);
	jout_path(jo, "ok", "caf\xc3\xa9 \xe2\x98\x95");
	jout_path(jo, "latin1", "latin1-\xe9.txt");
	jout_string(jo, "cut", "x\xe2\x98");
	jout_string(jo, "overlong", "\xc0\xaf");
	jout_string(jo, "surrogate", "\xed\xa0\x80");
	jout_string(jo, "too_high", "\xf4\x90\x80\x80");
	jout_object_end(jo);
}

static void
test_layout(void **state)
{
	struct dupc_err err;
	char *out = NULL;

	(void)state;
	CHECK_INT(render(doc_nested, 0, &out, &err), 0, "compact");
	CHECK(strcmp(out, "{\"s\":\"a \\\"q\\\" \\\\ \\n\\t\\u0001\",\"i\":-42,"
			  "\"big\":9223372036854775807,\"r\":0.5,\"t\":true,"
			  "\"n\":null,\"a\":[1,{},[]]}\n") == 0,
	    "compact");
	free(out);
	CHECK_INT(render(doc_nested, 2, &out, &err), 0, "indented");
	CHECK(strstr(out, "{\n  \"s\": ") == out, "indented: first member");
	CHECK(strstr(out, "\n  \"a\": [\n    1,\n    {},\n    []\n  ]\n}\n") !=
		  NULL,
	    "indented: the array");
	free(out);
	UNIT_DONE();
}

static void
test_text_and_paths(void **state)
{
	struct dupc_err err;
	char *out = NULL;

	(void)state;
	CHECK_INT(render(doc_paths, 0, &out, &err), 0, "paths");
	CHECK(strstr(out, "\"ok\":\"caf\xc3\xa9 \xe2\x98\x95\",\"latin1\"") !=
		  NULL,
	    "UTF-8 kept, no hex");
	CHECK(strstr(out,
		  "\"latin1\":\"latin1-\xef\xbf\xbd.txt\","
		  "\"latin1_hex\":\"6c6174696e312de92e747874\"") != NULL,
	    "not UTF-8: U+FFFD and the exact bytes");
	CHECK(strstr(out, "\"cut\":\"x\xef\xbf\xbd\xef\xbf\xbd\"") != NULL,
	    "a cut sequence");
	CHECK(strstr(out, "\"overlong\":\"\xef\xbf\xbd\xef\xbf\xbd\"") != NULL,
	    "an overlong form");
	CHECK(strstr(out,
		  "\"surrogate\":\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"") !=
		  NULL,
	    "a surrogate");
	CHECK(strstr(out, "\"too_high\":\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
			  "\xef\xbf\xbd\"") != NULL,
	    "past U+10FFFF");
	CHECK(json_utf8_valid("caf\xc3\xa9", 5), "valid");
	CHECK(!json_utf8_valid("a\0b", 3), "NUL");
	CHECK(!json_utf8_valid("\xff", 1), "0xff");
	free(out);
	UNIT_DONE();
}

static void
bad_no_key(struct json_out *jo)
{
	jout_object_begin(jo, NULL);
	jout_int(jo, NULL, 1);
	jout_object_end(jo);
}

static void
bad_key_in_array(struct json_out *jo)
{
	jout_array_begin(jo, NULL);
	jout_int(jo, "k", 1);
	jout_array_end(jo);
}

static void
bad_unclosed(struct json_out *jo)
{
	jout_object_begin(jo, NULL);
	jout_array_begin(jo, "a");
	jout_array_end(jo);
}

static void
bad_two_docs(struct json_out *jo)
{
	jout_int(jo, NULL, 1);
	jout_int(jo, NULL, 2);
}

static void
bad_wrong_close(struct json_out *jo)
{
	jout_object_begin(jo, NULL);
	jout_array_end(jo);
}

static void
bad_too_deep(struct json_out *jo)
{
	int i;

	for (i = 0; i <= JSON_OUT_DEPTH; i++)
		jout_array_begin(jo, NULL);
	for (i = 0; i <= JSON_OUT_DEPTH; i++)
		jout_array_end(jo);
}

static void
bad_nan(struct json_out *jo)
{
	jout_array_begin(jo, NULL);
	jout_real(jo, NULL, 0.0 / 0.0);
	jout_array_end(jo);
}

static void
bad_empty(struct json_out *jo)
{
	(void)jo;
}

static void
test_misuse(void **state)
{
	static const struct {
		const char *name;
		void (*fn)(struct json_out *);
		const char *msg;
	} cases[] = {
		{ "member without a name", bad_no_key, "member name" },
		{ "a name inside an array", bad_key_in_array, "member name" },
		{ "an object left open", bad_unclosed, "unfinished" },
		{ "two documents", bad_two_docs, "second top-level" },
		{ "closing the wrong thing", bad_wrong_close, "not open" },
		{ "nesting too deep", bad_too_deep, "too deep" },
		{ "NaN", bad_nan, "not finite" },
		{ "nothing at all", bad_empty, "unfinished" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dupc_err err;
		char *out = NULL;

		CHECK_INT(render(cases[i].fn, 2, &out, &err), -1,
		    cases[i].name);
		CHECK_INT(err.code, E_GENERIC, cases[i].name);
		CHECK(strstr(err.msg, cases[i].msg) != NULL, cases[i].name);
		free(out);
	}
	UNIT_DONE();
}

/* A full disk: the write error is reported by jout_finish. */
static void
test_write_error(void **state)
{
	FILE *f = fopen("/dev/full", "w");
	struct json_out *jo;
	struct dupc_err err;

	(void)state;
	if (f == NULL)
		skip();
	jo = jout_new(f, 2);
	assert_non_null(jo);
	doc_nested(jo);
	err_clear(&err);
	CHECK_INT(jout_finish(jo, &err), -1, "/dev/full");
	CHECK_INT(err.errnum, ENOSPC, "/dev/full");
	jout_free(jo);
	fclose(f);
	UNIT_DONE();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_layout),
		UNIT_TEST(test_text_and_paths),
		UNIT_TEST(test_misuse),
		UNIT_TEST(test_write_error),
	};

	unit_init();
	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
