/*
 * The mf:// backend against the real MediaFire service, only when
 * MEDIAFIRE_EMAIL and FTP_PASSWORD are set (and the network is there).
 * Works in folder dupc-live-test/<pid>, which it empties and deletes.
 */
#define _DEFAULT_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "backend/backend.h"
#include "backend/mediafire/mf_internal.h"
#include "bt_util.h"
#include "util/err.h"

static char url[512];

static void
test_live_roundtrip(void **state)
{
	static const struct backend_options opts = { .num_retries = 3,
		.retry_delay = 5,
		.timeout = 60 };
	struct backend *be, *raw;
	struct mf_backend *mb;
	struct mf_params p;
	struct mf_reply r;
	struct dupc_err err;
	char small[10000], got[256], want[256];

	(void)state;
	err_clear(&err);
	if (backend_open(url, &opts, &be, &err) != 0)
		fail_msg("open: %s", err.msg);
	bt_fill(small, sizeof(small), (unsigned)getpid());
	bt_put(be, "small.bin", small, sizeof(small));
	bt_put_file(be, "units.bin", 5u * 1024 * 1024 + 3, 42);
	snprintf(want, sizeof(want), "small.bin:%zu;units.bin:%u;",
	    sizeof(small), 5u * 1024 * 1024 + 3);
	bt_list(be, got, sizeof(got));
	assert_string_equal(got, want);
	bt_expect(be, "small.bin", small, sizeof(small));
	bt_expect_file(be, "units.bin", 5u * 1024 * 1024 + 3, 42);
	assert_int_equal(backend_remove(be, "small.bin", &err), 0);
	assert_int_equal(backend_remove(be, "units.bin", &err), 0);
	assert_int_equal(bt_list(be, got, sizeof(got)), 0);
	backend_close(be);
	/* leave nothing behind: the test folder goes to the Trash */
	assert_int_equal(backend_open_raw(url, &opts, &raw, &err), 0);
	mb = (struct mf_backend *)raw;
	if (mf_folder_find(mb, false, &err) == 0) {
		mf_params_init(&p);
		mf_params_add(&p, "folder_key", mb->folder_key);
		if (mf_call(&mb->s, "folder/delete", &p, &r, &err) != 0)
			print_message("# folder/delete: %s\n", err.msg);
		mf_reply_release(&r);
		mf_params_release(&p);
	}
	backend_close(raw);
}

int
main(void)
{
	const char *email = getenv("MEDIAFIRE_EMAIL");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live_roundtrip),
	};
	char enc[300];
	size_t i, o = 0;

	if (email == NULL || *email == '\0' || getenv("FTP_PASSWORD") == NULL) {
		printf("1..1\nok 1 # skip MEDIAFIRE_EMAIL and FTP_PASSWORD "
		       "not set\n");
		return 0;
	}
	for (i = 0; email[i] != '\0' && o + 4 < sizeof(enc); i++) {
		if (email[i] == '@') {
			memcpy(enc + o, "%40", 3);
			o += 3;
		} else {
			enc[o++] = email[i];
		}
	}
	enc[o] = '\0';
	unsetenv("DUPC_MF_API_ROOT");
	snprintf(url, sizeof(url), "mf://%s@mediafire.com/dupc-live-test/%ld",
	    enc, (long)getpid());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
