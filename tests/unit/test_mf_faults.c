/*
 * The mf:// backend against the emulator's fault injection.  Each test
 * turns on one class of the service's known faults at a rate that breaks
 * a client without recovery (the first fault would desynchronise its key
 * chain, lose an upload or corrupt a download), runs the same workload
 * (a simple and a resumable upload, listing, downloads, size, deletes) on
 * the backend WITHOUT the retry wrapper, and checks every byte.  The
 * request log proves the fault fired.  The listing tests page 2500 files
 * at a forced chunk size of 2, and through a server that says more chunks
 * follow when none do.
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
#include "mfemu_harness.h"
#include "util/digest.h"
#include "util/err.h"

#define SMALL 20000u
#define BIG (5u * 1024 * 1024 + 4321) /* 6 units of 1 MiB */

static struct mfemu emu;

static int
setup(void **state)
{
	(void)state;
	setenv("DUPC_MF_POLL_INTERVAL", "0.005", 1);
	setenv("DUPC_MF_SIMPLE_MAX", "1048576", 1);
	return mfemu_start(&emu, NULL, NULL);
}

static int
teardown(void **state)
{
	(void)state;
	mfemu_stop(&emu);
	return 0;
}

static struct backend *
open_be(const char *folder, bool with_retry)
{
	static const struct backend_options opts = { .num_retries = 4,
		.retry_delay = 0.01,
		.timeout = 5 };
	struct backend *be = NULL;
	struct dupc_err err;
	char url[256];

	err_clear(&err);
	mfemu_url(&emu, folder, url, sizeof(url));
	if ((with_retry ? backend_open : backend_open_raw)(url, &opts, &be,
		&err) != 0)
		fail_msg("open: %s", err.msg);
	return be;
}

/* Turn on ${rules} (JSON list) after clearing earlier ones. */
static void
faults(const char *rules)
{
	assert_int_equal(mfemu_clear_faults(&emu), 0);
	if (rules != NULL && mfemu_add_faults(&emu, rules) != 0)
		fail_msg("emulator refused the rules %s", rules);
}

/*
 * The workload every fault test runs.  ${seed} makes the content new to
 * the server (known content would go by upload/instant, with no body).
 */
static void
workload(struct backend *be, unsigned seed, unsigned gets)
{
	char small[SMALL], want[200], got[400];
	struct dupc_err err;
	uint64_t size;
	unsigned i;

	bt_fill(small, sizeof(small), seed);
	bt_put(be, "a.vol1.difftar.gpg", small, sizeof(small));
	bt_put_file(be, "b.vol2.difftar.gpg", BIG, seed + 1);
	snprintf(want, sizeof(want),
	    "a.vol1.difftar.gpg:%u;b.vol2.difftar.gpg:%u;", SMALL, BIG);
	bt_list(be, got, sizeof(got));
	assert_string_equal(got, want);
	for (i = 0; i < gets; i++) {
		bt_expect(be, "a.vol1.difftar.gpg", small, sizeof(small));
		bt_expect_file(be, "b.vol2.difftar.gpg", BIG, seed + 1);
	}
	err_clear(&err);
	if (backend_size(be, "b.vol2.difftar.gpg", &size, &err) != 0)
		fail_msg("size: %s", err.msg);
	assert_int_equal(size, BIG);
	/* replace with new content */
	bt_fill(small, sizeof(small), seed + 2);
	bt_put(be, "a.vol1.difftar.gpg", small, sizeof(small));
	bt_expect(be, "a.vol1.difftar.gpg", small, sizeof(small));
	if (backend_remove(be, "a.vol1.difftar.gpg", &err) != 0)
		fail_msg("remove: %s", err.msg);
	snprintf(want, sizeof(want), "b.vol2.difftar.gpg:%u;", BIG);
	bt_list(be, got, sizeof(got));
	assert_string_equal(got, want);
	if (backend_remove(be, "b.vol2.difftar.gpg", &err) != 0)
		fail_msg("remove: %s", err.msg);
	assert_int_equal(bt_list(be, got, sizeof(got)), 0);
	if (backend_remove(be, "b.vol2.difftar.gpg", &err) == 0)
		fail_msg("removed a missing file");
	assert_int_equal(err.cls, ERR_NOT_FOUND);
}

static void
run_gets(const char *folder, const char *rules, const char *fault,
    unsigned at_least, unsigned gets)
{
	struct backend *be;
	unsigned before, fired, seed = 0;
	const char *c;

	for (c = folder; *c != '\0'; c++)
		seed = seed * 31u + (unsigned char)*c;
	faults(rules);
	before = mfemu_count(&emu, NULL, fault);
	be = open_be(folder, false);
	workload(be, seed, gets);
	backend_close(be);
	fired = mfemu_count(&emu, NULL, fault) - before;
	print_message("# %s: %u faults survived\n", fault, fired);
	if (fired < at_least)
		fail_msg("%s fired %u times, expected at least %u", fault,
		    fired, at_least);
	faults(NULL);
}

static void
run(const char *folder, const char *rules, const char *fault, unsigned at_least)
{
	run_gets(folder, rules, fault, at_least, 1);
}

static void
test_500_after_advance(void **state)
{
	(void)state;
	/* the server advances its key, then answers an HTML 500: the
	 * client's key is one step behind from there on */
	run("f/http500",
	    "[{\"match\":{\"probability\":0.15},\"action\":"
	    "\"http500_after_advance\",\"times\":-1},"
	    "{\"match\":{\"probability\":0.15},\"action\":"
	    "\"http500_after_advance\",\"execute\":true,\"times\":-1}]",
	    "http500_after_advance", 8);
}

static void
test_drop_after(void **state)
{
	(void)state;
	/* processed, key advanced, side effects done, no answer */
	run("f/drop",
	    "[{\"match\":{\"probability\":0.2},\"action\":\"drop_after\","
	    "\"times\":-1}]",
	    "drop_after", 8);
}

static void
test_error_127(void **state)
{
	(void)state;
	run("f/e127",
	    "[{\"match\":{\"probability\":0.3},\"action\":\"error\","
	    "\"code\":127,\"times\":-1}]",
	    "error", 10);
}

static void
test_error_after_advance(void **state)
{
	(void)state;
	/* an error envelope without new_key after the key moved, and
	 * transient server errors that did advance it */
	run("f/jsonerr",
	    "[{\"match\":{\"probability\":0.15},\"action\":"
	    "\"json_error_after_advance\",\"code\":100,\"times\":-1},"
	    "{\"match\":{\"probability\":0.1},\"action\":\"error\","
	    "\"code\":208,\"times\":-1}]",
	    "*", 8);
}

static void
test_sessions_lost(void **state)
{
	(void)state;
	run("f/sessions",
	    "[{\"match\":{\"probability\":0.1},\"action\":\"expire_session\","
	    "\"times\":-1},"
	    "{\"match\":{\"probability\":0.05},\"action\":"
	    "\"invalidate_all_sessions\",\"times\":-1}]",
	    "*", 4);
}

static void
test_transport(void **state)
{
	(void)state;
	/* cut answers, proxy pages, refused connections, odd labels */
	run("f/transport",
	    "[{\"match\":{\"probability\":0.06},\"action\":"
	    "\"reset_mid_response\",\"times\":-1},"
	    "{\"match\":{\"probability\":0.06},\"action\":"
	    "\"cloudflare_html\",\"times\":-1},"
	    "{\"match\":{\"probability\":0.06},\"action\":"
	    "\"http500_before_advance\",\"times\":-1},"
	    "{\"match\":{\"probability\":0.06},\"action\":\"drop_before\","
	    "\"times\":-1},"
	    "{\"match\":{\"probability\":0.2},\"action\":"
	    "\"wrong_content_type\",\"times\":-1}]",
	    "*", 10);
}

static void
test_downloads(void **state)
{
	(void)state;
	/* every download request meets a fault half the time */
	run_gets("f/dl",
	    "[{\"match\":{\"probability\":0.2},\"action\":\"truncate\","
	    "\"times\":-1},"
	    "{\"match\":{\"probability\":0.1},\"action\":\"corrupt\","
	    "\"times\":-1},"
	    "{\"match\":{\"probability\":0.1},\"action\":\"html_instead\","
	    "\"times\":-1},"
	    "{\"match\":{\"probability\":0.1},\"action\":\"expired_link\","
	    "\"times\":-1},"
	    "{\"match\":{\"probability\":0.05},\"action\":\"http429\","
	    "\"times\":-1},"
	    "{\"match\":{\"probability\":0.05},\"action\":\"http500\","
	    "\"times\":-1}]",
	    "*", 10, 8);
}

static void
test_truncated_and_corrupt(void **state)
{
	(void)state;
	/* the first download of each file is cut, the second corrupted */
	run("f/cut",
	    "[{\"match\":{\"nth\":1},\"action\":\"truncate\",\"bytes\":1000,"
	    "\"times\":1},"
	    "{\"match\":{\"nth\":1},\"action\":\"corrupt\",\"times\":1},"
	    "{\"match\":{\"nth\":1},\"action\":\"truncate\",\"times\":1},"
	    "{\"match\":{\"nth\":1},\"action\":\"corrupt\",\"times\":1}]",
	    "*", 4);
	assert_true(mfemu_count(&emu, NULL, "truncate") >= 2);
	assert_true(mfemu_count(&emu, NULL, "corrupt") >= 2);
}

static void
test_stuck_polls(void **state)
{
	(void)state;
	run("f/poll",
	    "[{\"match\":{\"probability\":0.5},\"action\":\"poll_stuck\","
	    "\"status\":5,\"polls\":15,\"times\":-1},"
	    "{\"match\":{\"probability\":0.3},\"action\":\"poll_stuck\","
	    "\"status\":17,\"polls\":1,\"times\":-1},"
	    "{\"match\":{\"probability\":0.2},\"action\":\"poll_result\","
	    "\"result\":-80,\"times\":2}]",
	    "*", 3);
}

static void
test_lost_units(void **state)
{
	(void)state;
	/* units forgotten, refused or never marked, assemblies failing */
	run("f/units",
	    "[{\"match\":{\"path\":\"upload/resumable\",\"nth\":3},"
	    "\"action\":\"lose_units\",\"times\":1},"
	    "{\"match\":{\"path\":\"upload/resumable\",\"probability\":0.2},"
	    "\"action\":\"unit_reject\",\"times\":3},"
	    "{\"match\":{\"path\":\"upload/resumable\",\"probability\":0.1},"
	    "\"action\":\"unit_hash_mismatch\",\"times\":2},"
	    "{\"match\":{\"nth\":1},\"action\":\"assembly_hash_mismatch\","
	    "\"times\":1},"
	    "{\"match\":{\"nth\":2},\"action\":\"poll_fileerror\","
	    "\"code\":7,\"times\":1}]",
	    "*", 4);
	assert_int_equal(mfemu_count(&emu, NULL, "lose_units"), 1);
}

/* Store ${n} names through upload/instant, quickly. */
static void
many_files(struct backend *be, unsigned n)
{
	struct mf_backend *mb = (struct mf_backend *)be;
	char hash[DIGEST_HEX_MAX], name[64];
	struct mf_params p;
	struct mf_reply r;
	struct dupc_err err;
	unsigned i;

	bt_put(be, "seed", "0123456789", 10);
	digest_hex(DIGEST_SHA256, "0123456789", 10, hash);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name),
		    "duplicity-inc.%05u.vol1.difftar.gpg", i);
		mf_params_init(&p);
		mf_params_add(&p, "filename", name);
		mf_params_add(&p, "size", "10");
		mf_params_add(&p, "hash", hash);
		mf_params_add(&p, "folder_key", mb->folder_key);
		mf_params_add(&p, "action_on_duplicate", "replace");
		err_clear(&err);
		if (mf_call(&mb->s, "upload/instant", &p, &r, &err) != 0)
			fail_msg("instant %u: %s", i, err.msg);
		mf_reply_release(&r);
		mf_params_release(&p);
	}
}

static void
check_many(const char *listing, unsigned n)
{
	char want[64];
	const char *p = listing;
	unsigned i;

	for (i = 0; i < n; i++) {
		snprintf(want, sizeof(want),
		    "duplicity-inc.%05u.vol1.difftar.gpg:10;", i);
		if (strncmp(p, want, strlen(want)) != 0)
			fail_msg("listing lacks %s", want);
		p += strlen(want);
	}
	assert_string_equal(p, "seed:10;");
}

static void
test_listing_2500(void **state)
{
	struct backend *be;
	char *buf;
	size_t cap = 2600 * 48;
	unsigned before;

	(void)state;
	faults(NULL);
	buf = malloc(cap);
	assert_non_null(buf);
	be = open_be("f/many", false);
	many_files(be, 2500);
	backend_close(be);
	/* pages of 2 whatever we ask, with some failing on the way */
	faults("[{\"match\":{\"path\":\"folder/get_content\"},"
	       "\"action\":\"force_chunk_size\",\"size\":2,\"times\":-1}]");
	before = mfemu_count(&emu, "folder/get_content", NULL);
	be = open_be("f/many", false);
	assert_int_equal(bt_list(be, buf, cap), 2501);
	check_many(buf, 2500);
	backend_close(be);
	print_message("# 2501 files listed in %u chunks\n",
	    mfemu_count(&emu, "folder/get_content", NULL) - before);
	assert_true(
	    mfemu_count(&emu, "folder/get_content", NULL) - before >= 1251);
	/* a server that says "more" after the last chunk, with a page size
	 * that does not divide the count */
	setenv("DUPC_MF_CHUNK_SIZE", "7", 1);
	faults("[{\"match\":{\"path\":\"folder/get_content\"},"
	       "\"action\":\"more_chunks_lies\",\"times\":-1}]");
	be = open_be("f/many", false);
	assert_int_equal(bt_list(be, buf, cap), 2501);
	check_many(buf, 2500);
	backend_close(be);
	unsetenv("DUPC_MF_CHUNK_SIZE");
	assert_true(mfemu_count(&emu, NULL, "more_chunks_lies") >= 1);
	faults(NULL);
	free(buf);
}

static void
test_everything_with_retries(void **state)
{
	struct backend *be;
	unsigned before;

	(void)state;
	/* all of it at once, through backend_open as dupc uses it */
	faults("[{\"match\":{\"probability\":0.05},\"action\":"
	       "\"http500_after_advance\",\"times\":-1},"
	       "{\"match\":{\"probability\":0.05},\"action\":\"drop_after\","
	       "\"times\":-1},"
	       "{\"match\":{\"probability\":0.05},\"action\":\"error\","
	       "\"code\":127,\"times\":-1},"
	       "{\"match\":{\"probability\":0.05},\"action\":"
	       "\"reset_mid_response\",\"times\":-1},"
	       "{\"match\":{\"probability\":0.2},\"action\":\"truncate\","
	       "\"times\":-1},"
	       "{\"match\":{\"probability\":0.1},\"action\":\"corrupt\","
	       "\"times\":-1},"
	       "{\"match\":{\"probability\":0.2},\"action\":\"poll_stuck\","
	       "\"status\":19,\"polls\":5,\"times\":-1},"
	       "{\"match\":{\"path\":\"upload/resumable\",\"probability\":0.1},"
	       "\"action\":\"lose_units\",\"times\":-1}]");
	before = mfemu_count(&emu, NULL, "*");
	be = open_be("f/all", true);
	workload(be, 1000, 2);
	workload(be, 2000, 2);
	backend_close(be);
	print_message("# %u faults survived\n",
	    mfemu_count(&emu, NULL, "*") - before);
	assert_true(mfemu_count(&emu, NULL, "*") - before >= 10);
	faults(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_500_after_advance),
		cmocka_unit_test(test_drop_after),
		cmocka_unit_test(test_error_127),
		cmocka_unit_test(test_error_after_advance),
		cmocka_unit_test(test_sessions_lost),
		cmocka_unit_test(test_transport),
		cmocka_unit_test(test_downloads),
		cmocka_unit_test(test_truncated_and_corrupt),
		cmocka_unit_test(test_stuck_polls),
		cmocka_unit_test(test_lost_units),
		cmocka_unit_test(test_listing_2500),
		cmocka_unit_test(test_everything_with_retries),
	};

	if (mfemu_path() == NULL)
		return mfemu_skip_all("mfemu not found (set MFEMU)");
	return cmocka_run_group_tests(tests, setup, teardown);
}
