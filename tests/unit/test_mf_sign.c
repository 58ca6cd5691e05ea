/*
 * MediaFire signatures and the secret-key chain: the vectors of
 * mediafire-api.md 3.3 and 3.4, and the login signature.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "backend/mediafire/mf_internal.h"

static const char *
token144(void)
{
	static char t[145];

	memset(t, 'a', 144);
	t[144] = '\0';
	return t;
}

static void
test_call_vectors(void **state)
{
	char query[200], sig[40];

	(void)state;
	snprintf(query, sizeof(query), "response_format=json&session_token=%s",
	    token144());
	assert_int_equal(mf_sign_call(1000000000u, "0.0",
			     "/api/1.3/user/get_info.php", query, sig),
	    0);
	assert_string_equal(sig, "e4136f4a1c006c3c561092737c9ccbb0");
	assert_int_equal(mf_sign_call(792978578u, "0.0",
			     "/api/1.3/user/get_info.php", query, sig),
	    0);
	assert_string_equal(sig, "d074bbf8ae3d1337b13289901fc6c2e6");
}

static void
test_key_chain(void **state)
{
	uint32_t k = 1000000000u;
	uint64_t ref = 1000000000u;
	int i;

	(void)state;
	assert_int_equal(mf_key_next(1000000000u), 792978578u);
	/* the product must not wrap in 32 bits */
	assert_int_equal(mf_key_next(2147483646u),
	    (uint32_t)((2147483646ull * 16807ull) % 2147483647ull));
	for (i = 0; i < 1000; i++) {
		k = mf_key_next(k);
		ref = ref * 16807u % 2147483647u;
		assert_int_equal(k, (uint32_t)ref);
		assert_true(k > 0 && k < 2147483647u);
	}
}

static void
test_login_signature(void **state)
{
	char sig[48];

	(void)state;
	assert_int_equal(
	    mf_sign_login("user@example.com", "secret", "45593", NULL, sig), 0);
	assert_string_equal(sig, "c7aed28f7fa8b527debdb0066d2333b91eb07ee9");
	/* an API key is appended; an empty one changes nothing */
	assert_int_equal(
	    mf_sign_login("user@example.com", "secret", "45593", "", sig), 0);
	assert_string_equal(sig, "c7aed28f7fa8b527debdb0066d2333b91eb07ee9");
	assert_int_equal(
	    mf_sign_login("user@example.com", "secret", "4559", "3", sig), 0);
	assert_string_equal(sig, "c7aed28f7fa8b527debdb0066d2333b91eb07ee9");
}

static void
test_low_byte(void **state)
{
	char a[40], b[40];

	(void)state;
	/* only key % 256 enters the hash */
	mf_sign_call(256u + 7u, "1.5", "/api/1.3/x.php", "a=b", a);
	mf_sign_call(7u, "1.5", "/api/1.3/x.php", "a=b", b);
	assert_string_equal(a, b);
	mf_sign_call(8u, "1.5", "/api/1.3/x.php", "a=b", b);
	assert_string_not_equal(a, b);
	/* the time string is used as is, never reformatted */
	mf_sign_call(7u, "1.50", "/api/1.3/x.php", "a=b", b);
	assert_string_not_equal(a, b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_call_vectors),
		cmocka_unit_test(test_key_chain),
		cmocka_unit_test(test_login_signature),
		cmocka_unit_test(test_low_byte),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
