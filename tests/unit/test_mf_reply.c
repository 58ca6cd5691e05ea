/*
 * MediaFire answers: envelope decoding (good and bad tables), the field
 * readers, and the classification of API error codes.
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

static const struct {
	const char *name;
	const char *body;
	const char *action;
	bool ok;
	bool new_key;
	long error;
} good[] = {
	{ "success with new_key",
	    "{\"response\":{\"action\":\"folder\\/get_info\",\"result\":"
	    "\"Success\",\"new_key\":\"yes\",\"current_api_version\":\"1.3\"}}",
	    "folder/get_info", true, true, 0 },
	{ "success without new_key", "{\"response\":{\"result\":\"Success\"}}",
	    "user/get_info", true, false, 0 },
	{ "new_key no",
	    "{\"response\":{\"result\":\"Success\",\"new_key\":"
	    "\"no\"}}",
	    NULL, true, false, 0 },
	{ "real 107 sample",
	    "{\"response\":{\"action\":\"user\\/get_session_token\",\"pkey\":"
	    "\"5734671125\",\"message\":\"The Credentials you entered are "
	    "invalid\",\"error\":107,\"result\":\"Error\","
	    "\"current_api_version\":\"1.3\"}}",
	    "user/get_session_token", false, false, 107 },
	{ "error code as string",
	    "{\"response\":{\"result\":\"Error\",\"error\":\"127\","
	    "\"message\":\"The signature you specified is invalid\"}}",
	    NULL, false, false, 127 },
	{ "error with new_key (key advanced before the method failed)",
	    "{\"response\":{\"result\":\"Error\",\"error\":100,\"new_key\":"
	    "\"yes\"}}",
	    NULL, false, true, 100 },
	{ "whitespace and unknown fields",
	    " \n{ \"response\" : { \"result\" : \"Success\", \"x\": [1,{\"y\":"
	    "null}] } }\n",
	    NULL, true, false, 0 },
};

static const struct {
	const char *name;
	const char *body;
	const char *action;
} bad[] = {
	{ "empty", "", NULL },
	{ "HTML 500 page",
	    "<html><body><h1>500 Internal Server Error</h1></body></html>",
	    NULL },
	{ "Cloudflare challenge",
	    "<!DOCTYPE html><title>Just a moment...</title>", NULL },
	{ "truncated", "{\"response\":{\"result\":\"Succ", NULL },
	{ "not an object", "[1,2,3]", NULL },
	{ "no response", "{\"result\":\"Success\"}", NULL },
	{ "response not an object", "{\"response\":\"Success\"}", NULL },
	{ "no result", "{\"response\":{\"new_key\":\"yes\"}}", NULL },
	{ "unknown result", "{\"response\":{\"result\":\"Maybe\"}}", NULL },
	{ "result not a string", "{\"response\":{\"result\":1}}", NULL },
	{ "error without code",
	    "{\"response\":{\"result\":\"Error\",\"message\":\"x\"}}", NULL },
	{ "error code junk",
	    "{\"response\":{\"result\":\"Error\",\"error\":\"12x\"}}", NULL },
	{ "error code negative",
	    "{\"response\":{\"result\":\"Error\",\"error\":-1}}", NULL },
	{ "error code float",
	    "{\"response\":{\"result\":\"Error\",\"error\":1.5}}", NULL },
	{ "answer to another call",
	    "{\"response\":{\"action\":\"file\\/delete\",\"result\":"
	    "\"Success\",\"new_key\":\"yes\"}}",
	    "file/purge" },
	{ "duplicate keys",
	    "{\"response\":{\"result\":\"Error\",\"result\":\"Success\"}}",
	    NULL },
	{ "trailing junk", "{\"response\":{\"result\":\"Success\"}} x", NULL },
	{ "NUL inside", "{\"response\":{\"result\":\"Success\"}}\0", NULL },
};

static void
test_good_envelopes(void **state)
{
	struct mf_reply r;
	struct dupc_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		err_clear(&err);
		if (mf_reply_parse(&r, good[i].body, strlen(good[i].body),
			good[i].action, &err) != 0)
			fail_msg("%s: rejected: %s", good[i].name, err.msg);
		if (r.ok != good[i].ok || r.new_key != good[i].new_key ||
		    r.error != good[i].error)
			fail_msg("%s: ok %d new_key %d error %ld", good[i].name,
			    r.ok, r.new_key, r.error);
		mf_reply_release(&r);
	}
}

static void
test_bad_envelopes(void **state)
{
	struct mf_reply r;
	struct dupc_err err;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&err);
		len = strlen(bad[i].body);
		if (strcmp(bad[i].name, "NUL inside") == 0)
			len++;
		if (mf_reply_parse(&r, bad[i].body, len, bad[i].action, &err) ==
		    0)
			fail_msg("%s: accepted", bad[i].name);
		/* a non-answer leaves the call's outcome unknown */
		if (err.cls != ERR_TRANSIENT || r.root != NULL || r.new_key)
			fail_msg("%s: class %d", bad[i].name, (int)err.cls);
		mf_reply_release(&r);
	}
}

static void
test_depth(void **state)
{
	struct mf_reply r;
	struct dupc_err err;
	char *deep;
	size_t i, n = 5000;

	(void)state;
	assert_true(mf_json_depth_ok("[[[]]]", 6, 3));
	assert_false(mf_json_depth_ok("[[[[]]]]", 8, 3));
	/* brackets inside strings do not count */
	assert_true(mf_json_depth_ok("[\"[[[[\\\"[[[\"]", 13, 1));
	deep = malloc(2 * n + 64);
	assert_non_null(deep);
	strcpy(deep, "{\"response\":{\"result\":\"Success\",\"x\":");
	for (i = 0; i < n; i++)
		strcat(deep, "[");
	for (i = 0; i < n; i++)
		strcat(deep, "]");
	strcat(deep, "}}");
	assert_int_equal(mf_reply_parse(&r, deep, strlen(deep), NULL, &err),
	    -1);
	assert_int_equal(err.cls, ERR_TRANSIENT);
	free(deep);
}

static void
test_fields(void **state)
{
	static const char body[] =
	    "{\"response\":{\"result\":\"Success\",\"o\":{\"s\":\"17\","
	    "\"n\":17,\"neg\":\"-80\",\"yes\":\"yes\",\"no\":\"no\","
	    "\"junk\":\"17a\",\"big\":\"18446744073709551616\","
	    "\"empty\":\"\",\"minus\":-3},\"a\":[1,2]}}";
	struct mf_reply r;
	struct dupc_err err;
	const struct json_t *o;
	uint64_t u;
	int64_t i;

	(void)state;
	assert_int_equal(mf_reply_parse(&r, body, strlen(body), NULL, &err), 0);
	o = mf_json_obj(r.resp, "o");
	assert_non_null(o);
	assert_null(mf_json_obj(r.resp, "a"));
	assert_int_equal(mf_json_size(mf_json_arr(r.resp, "a")), 2);
	assert_int_equal(mf_json_u64(o, "s", &u), 0);
	assert_int_equal(u, 17);
	assert_int_equal(mf_json_u64(o, "n", &u), 0);
	assert_int_equal(u, 17);
	assert_int_equal(mf_json_u64(o, "junk", &u), -1);
	assert_int_equal(mf_json_u64(o, "big", &u), -1);
	assert_int_equal(mf_json_u64(o, "empty", &u), -1);
	assert_int_equal(mf_json_u64(o, "minus", &u), -1);
	assert_int_equal(mf_json_u64(o, "missing", &u), -1);
	assert_int_equal(mf_json_i64(o, "neg", &i), 0);
	assert_int_equal(i, -80);
	assert_int_equal(mf_json_i64(o, "minus", &i), 0);
	assert_int_equal(i, -3);
	assert_int_equal(mf_json_yes(o, "yes"), 1);
	assert_int_equal(mf_json_yes(o, "no"), 0);
	assert_int_equal(mf_json_yes(o, "s"), -1);
	assert_int_equal(mf_json_yes(o, "missing"), -1);
	assert_string_equal(mf_json_str(o, "s"), "17");
	assert_null(mf_json_str(o, "n"));
	assert_null(mf_json_str(NULL, "n"));
	mf_reply_release(&r);
}

static void
test_message_escaped(void **state)
{
	static const char body[] =
	    "{\"response\":{\"result\":\"Error\",\"error\":100,\"message\":"
	    "\"bad\\n\\u001b[31mred\"}}";
	struct mf_reply r;
	struct dupc_err err;

	(void)state;
	assert_int_equal(mf_reply_parse(&r, body, strlen(body), NULL, &err), 0);
	assert_string_equal(r.message, "bad\\x0a\\x1b[31mred");
	mf_reply_release(&r);
}

static const struct {
	long code;
	enum mf_err_action action;
	enum err_class cls;
} classes[] = {
	{ 100, MF_EA_RETRY, ERR_TRANSIENT },
	{ 104, MF_EA_RELOGIN, ERR_TRANSIENT },
	{ 105, MF_EA_RELOGIN, ERR_TRANSIENT },
	{ 127, MF_EA_RELOGIN, ERR_TRANSIENT },
	{ 188, MF_EA_RELOGIN, ERR_TRANSIENT },
	{ 163, MF_EA_BACKOFF, ERR_TRANSIENT },
	{ 169, MF_EA_RETRY, ERR_TRANSIENT },
	{ 206, MF_EA_RETRY, ERR_TRANSIENT },
	{ 208, MF_EA_RETRY, ERR_TRANSIENT },
	{ 225, MF_EA_RETRY, ERR_TRANSIENT },
	{ 107, MF_EA_FAIL, ERR_PERMANENT },
	{ 109, MF_EA_FAIL, ERR_PERMANENT },
	{ 125, MF_EA_FAIL, ERR_PERMANENT },
	{ 126, MF_EA_FAIL, ERR_PERMANENT },
	{ 130, MF_EA_FAIL, ERR_PERMANENT },
	{ 145, MF_EA_FAIL, ERR_PERMANENT },
	{ 146, MF_EA_FAIL, ERR_PERMANENT },
	{ 162, MF_EA_FAIL, ERR_PERMANENT },
	{ 232, MF_EA_FAIL, ERR_PERMANENT },
	{ 243, MF_EA_FAIL, ERR_PERMANENT },
	{ 110, MF_EA_FAIL, ERR_NOT_FOUND },
	{ 112, MF_EA_FAIL, ERR_NOT_FOUND },
	{ 999, MF_EA_FAIL, ERR_PERMANENT },
};

static void
test_error_classes(void **state)
{
	struct mf_errinfo info;
	struct dupc_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		mf_error_info(classes[i].code, &info);
		if (info.action != classes[i].action ||
		    info.cls != (int)classes[i].cls)
			fail_msg("code %ld: action %d class %d",
			    classes[i].code, (int)info.action, info.cls);
		err_clear(&err);
		assert_int_equal(
		    mf_error_set(&err, "x/y", classes[i].code, "msg"), -1);
		assert_int_equal(err.cls, classes[i].cls);
	}
	mf_error_info(162, &info);
	assert_int_equal(info.code, E_BACKEND_NO_SPACE);
	mf_error_info(107, &info);
	assert_int_equal(info.code, E_BACKEND_PERMISSION_DENIED);
	err_clear(&err);
	mf_error_set(&err, "file/delete", 110, "Unknown\x01");
	assert_string_equal(err.msg,
	    "file/delete: MediaFire error 110 (quickkey invalid): Unknown\\x01");
}

static void
test_fileerrors(void **state)
{
	static const long retry[] = { 6, 7, 8, 10, 12, 16 };
	static const long stop[] = { 1, 2, 5, 13, 15, 18, 77 };
	bool r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(retry) / sizeof(retry[0]); i++) {
		assert_int_equal(mf_fileerror_class(retry[i], &r),
		    ERR_TRANSIENT);
		assert_true(r);
	}
	for (i = 0; i < sizeof(stop) / sizeof(stop[0]); i++) {
		assert_int_equal(mf_fileerror_class(stop[i], &r),
		    ERR_PERMANENT);
		assert_false(r);
	}
}

static void
test_keys(void **state)
{
	(void)state;
	assert_true(mf_valid_key("abcdefghijklmno", 11, 15));
	assert_true(mf_valid_key("abc0123456z", 11, 15));
	assert_false(mf_valid_key("abcdefghijklmnop", 11, 15));
	assert_false(mf_valid_key("abcdefghij", 11, 15));
	assert_false(mf_valid_key("abcdefghijK", 11, 15));
	assert_false(mf_valid_key("abcdefghij/", 11, 15));
	assert_false(mf_valid_key(NULL, 11, 15));
	assert_true(mf_valid_sha256(
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
	assert_true(mf_valid_sha256(
	    "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"));
	assert_false(mf_valid_sha256(
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85"));
	assert_false(mf_valid_sha256(
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555"));
	assert_false(mf_valid_sha256(
	    "g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_envelopes),
		cmocka_unit_test(test_bad_envelopes),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_message_escaped),
		cmocka_unit_test(test_error_classes),
		cmocka_unit_test(test_fileerrors),
		cmocka_unit_test(test_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
