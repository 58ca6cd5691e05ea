/*
 * MediaFire request parameters: the order and encoding that the v2
 * signature covers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "backend/mediafire/mf_internal.h"

static void
test_sorted_encoding(void **state)
{
	struct mf_params p;
	size_t len;
	char *s;

	(void)state;
	mf_params_init(&p);
	assert_int_equal(mf_params_add(&p, "session_token", "abc"), 0);
	assert_int_equal(mf_params_add(&p, "response_format", "json"), 0);
	assert_int_equal(mf_params_add(&p, "chunk", "1"), 0);
	assert_int_equal(mf_params_add_u64(&p, "chunk_size", 1000), 0);
	assert_int_equal(mf_params_add(&p, "content_type", "files"), 0);
	mf_params_sort(&p);
	s = mf_params_encode(&p, &len);
	assert_non_null(s);
	assert_string_equal(s, "chunk=1&chunk_size=1000&content_type=files&"
			       "response_format=json&session_token=abc");
	assert_int_equal(len, strlen(s));
	mf_wipe_free(s);
	mf_params_release(&p);
}

static const struct {
	const char *in;
	const char *out;
} quote_plus[] = {
	{ "duplicity-full.20240101T000000Z.vol1.difftar.gpg",
	    "duplicity-full.20240101T000000Z.vol1.difftar.gpg" },
	{ "a b", "a+b" },
	{ "a+b", "a%2Bb" },
	{ "x&y=z", "x%26y%3Dz" },
	{ "user@example.com", "user%40example.com" },
	{ "~_-.", "~_-." },
	{ "caf\xc3\xa9", "caf%C3%A9" },
	{ "/", "%2F" },
	{ "", "" },
};

static void
test_quote_plus(void **state)
{
	struct mf_params p;
	char want[200];
	char *s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(quote_plus) / sizeof(quote_plus[0]); i++) {
		mf_params_init(&p);
		assert_int_equal(mf_params_add(&p, "k", quote_plus[i].in), 0);
		s = mf_params_encode(&p, NULL);
		snprintf(want, sizeof(want), "k=%s", quote_plus[i].out);
		if (strcmp(s, want) != 0)
			fail_msg("case %zu: got %s want %s", i, s, want);
		mf_wipe_free(s);
		mf_params_release(&p);
	}
}

static void
test_stable_sort(void **state)
{
	struct mf_params p;
	char *s;

	(void)state;
	mf_params_init(&p);
	mf_params_add(&p, "b", "1");
	mf_params_add(&p, "a", "1");
	mf_params_add(&p, "b", "2");
	mf_params_add_secret(&p, "a", "2");
	mf_params_sort(&p);
	s = mf_params_encode(&p, NULL);
	assert_string_equal(s, "a=1&a=2&b=1&b=2");
	mf_wipe_free(s);
	mf_params_release(&p);
	/* an empty list encodes as "" */
	s = mf_params_encode(&p, NULL);
	assert_string_equal(s, "");
	mf_wipe_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sorted_encoding),
		cmocka_unit_test(test_quote_plus),
		cmocka_unit_test(test_stable_sort),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
