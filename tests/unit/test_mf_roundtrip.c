/*
 * The mf:// backend against the emulator, without faults: a long chain of
 * signed calls, and put/list/get/size/sha256/remove round trips through
 * upload/simple, upload/resumable (with the request log showing which)
 * and upload/instant.
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
#include "util/stream.h"

static struct mfemu emu;

static int
setup(void **state)
{
	(void)state;
	setenv("DUPC_MF_POLL_INTERVAL", "0.01", 1);
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
open_raw(const char *folder)
{
	static const struct backend_options opts = { .num_retries = 3,
		.retry_delay = 0.01,
		.timeout = 10 };
	struct backend *be = NULL;
	struct dupc_err err;
	char url[256];

	err_clear(&err);
	if (backend_open_raw(mfemu_url(&emu, folder, url, sizeof(url)), &opts,
		&be, &err) != 0)
		fail_msg("open: %s", err.msg);
	return be;
}

static void
fill(char *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (char)(seed >> 16);
	}
}

static void
put_bytes(struct backend *be, const char *name, const char *p, size_t n)
{
	struct source *src = mem_source_new(p, n);
	struct dupc_err err;

	err_clear(&err);
	if (backend_put(be, name, src, n, &err) != 0)
		fail_msg("put %s: %s", name, err.msg);
	source_free(src);
}

static void
expect_bytes(struct backend *be, const char *name, const char *p, size_t n)
{
	char path[] = "/tmp/dupc-mf-get.XXXXXX";
	struct dupc_err err;
	char *got = malloc(n + 1);
	size_t len;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	/* junk first: get must truncate */
	assert_int_equal(write(fd, "junkjunkjunk", 12), 12);
	err_clear(&err);
	if (backend_get(be, name, fd, &err) != 0)
		fail_msg("get %s: %s", name, err.msg);
	assert_int_equal(lseek(fd, 0, SEEK_END), (off_t)n);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(read_full(fd, got, n + 1, &len), 0);
	assert_int_equal(len, n);
	assert_memory_equal(got, p, n);
	free(got);
	close(fd);
}

struct names {
	char buf[4096];
	unsigned n;
};

static int
collect(const char *name, uint64_t size, void *arg, struct dupc_err *err)
{
	struct names *nm = arg;
	size_t l = strlen(nm->buf);

	(void)err;
	snprintf(nm->buf + l, sizeof(nm->buf) - l, "%s:%llu;", name,
	    (unsigned long long)size);
	nm->n++;
	return 0;
}

static void
test_chain_1000(void **state)
{
	struct backend *be;
	struct mf_backend *mb;
	struct mf_params p;
	struct mf_reply r;
	struct dupc_err err;
	uint32_t k0;
	int i;

	(void)state;
	be = open_raw("chain");
	mb = (struct mf_backend *)be;
	mf_params_init(&p);
	err_clear(&err);
	assert_int_equal(mf_login(&mb->s, &err), 0);
	k0 = mb->s.key;
	for (i = 0; i < 1000; i++) {
		if (mf_call(&mb->s, "user/get_info", &p, &r, &err) != 0)
			fail_msg("call %d: %s", i, err.msg);
		assert_true(r.new_key);
		assert_null(mf_json_str(r.resp, "session_token"));
		mf_reply_release(&r);
		k0 = mf_key_next(k0);
		assert_int_equal(mb->s.key, k0);
	}
	/* one login, every call signed correctly the first time */
	assert_int_equal(mb->s.n_logins, 1);
	assert_int_equal(mb->s.n_calls, 1001);
	assert_int_equal(mfemu_count(&emu, "user/get_info", NULL), 1000);
	backend_close(be);
}

static void
test_small_roundtrip(void **state)
{
	struct backend *be;
	struct names nm;
	struct dupc_err err;
	char data[3000], hex[DIGEST_HEX_MAX], want[DIGEST_HEX_MAX];
	uint64_t size;

	(void)state;
	be = open_raw("backups/host1");
	assert_true(backend_flags(be) & BACKEND_HASHES);
	assert_true(backend_flags(be) & BACKEND_FLAKY);
	memset(&nm, 0, sizeof(nm));
	err_clear(&err);
	/* a missing folder lists as empty and is not created */
	assert_int_equal(backend_list(be, collect, &nm, &err), 0);
	assert_int_equal(nm.n, 0);
	assert_int_equal(mfemu_count(&emu, "folder/create", NULL), 0);
	fill(data, sizeof(data), 1);
	put_bytes(be, "duplicity-full.20240101T000000Z.vol1.difftar.gpg", data,
	    sizeof(data));
	assert_int_equal(mfemu_count(&emu, "folder/create", NULL), 2);
	assert_true(mfemu_count(&emu, "upload/simple", NULL) >= 1);
	expect_bytes(be, "duplicity-full.20240101T000000Z.vol1.difftar.gpg",
	    data, sizeof(data));
	assert_int_equal(backend_size(be,
			     "duplicity-full.20240101T000000Z.vol1.difftar.gpg",
			     &size, &err),
	    0);
	assert_int_equal(size, sizeof(data));
	assert_int_equal(be->ops->sha256(be,
			     "duplicity-full.20240101T000000Z.vol1.difftar.gpg",
			     hex, &err),
	    0);
	digest_hex(DIGEST_SHA256, data, sizeof(data), want);
	assert_string_equal(hex, want);
	/* replace: new content under the same name */
	fill(data, 1500, 2);
	put_bytes(be, "duplicity-full.20240101T000000Z.vol1.difftar.gpg", data,
	    1500);
	expect_bytes(be, "duplicity-full.20240101T000000Z.vol1.difftar.gpg",
	    data, 1500);
	/* a name with a space goes through the signed calls too */
	put_bytes(be, "with space.txt", "hello", 5);
	memset(&nm, 0, sizeof(nm));
	assert_int_equal(backend_list(be, collect, &nm, &err), 0);
	assert_string_equal(nm.buf,
	    "duplicity-full.20240101T000000Z.vol1.difftar.gpg:1500;"
	    "with space.txt:5;");
	backend_close(be);
	/* a second instance sees the same */
	be = open_raw("/backups//host1/");
	expect_bytes(be, "with space.txt", "hello", 5);
	assert_int_equal(backend_remove(be, "with space.txt", &err), 0);
	assert_int_equal(backend_remove(be, "with space.txt", &err), -1);
	assert_int_equal(err.cls, ERR_NOT_FOUND);
	assert_int_equal(backend_size(be, "with space.txt", &size, &err), -1);
	assert_int_equal(err.cls, ERR_NOT_FOUND);
	backend_close(be);
}

static void
test_resumable_and_instant(void **state)
{
	struct backend *be;
	size_t n = 9 * 1024 * 1024 + 12345; /* 10 units of 1 MiB */
	char *data = malloc(n);
	unsigned simple0, units0, instant0, units1;

	(void)state;
	assert_non_null(data);
	fill(data, n, 3);
	be = open_raw("big");
	simple0 = mfemu_count(&emu, "upload/simple", NULL);
	units0 = mfemu_count(&emu, "upload/resumable", NULL);
	put_bytes(be, "big.vol1", data, n);
	units1 = mfemu_count(&emu, "upload/resumable", NULL);
	assert_int_equal(units1 - units0, 10);
	assert_int_equal(mfemu_count(&emu, "upload/simple", NULL), simple0);
	expect_bytes(be, "big.vol1", data, n);
	/* the same again: nothing to send */
	put_bytes(be, "big.vol1", data, n);
	assert_int_equal(mfemu_count(&emu, "upload/resumable", NULL), units1);
	/* the same content under another name: instant, no body */
	instant0 = mfemu_count(&emu, "upload/instant", NULL);
	put_bytes(be, "big.copy", data, n);
	assert_int_equal(mfemu_count(&emu, "upload/instant", NULL),
	    instant0 + 1);
	assert_int_equal(mfemu_count(&emu, "upload/resumable", NULL), units1);
	expect_bytes(be, "big.copy", data, n);
	free(data);
	backend_close(be);
}

static void
test_resume_bitmap(void **state)
{
	struct backend *be = open_raw("bitmap");
	uint64_t n = 40ull * 1024 * 1024 + 1; /* 21 units of 2 MiB */
	unsigned units0 = mfemu_count(&emu, "upload/resumable", NULL);

	(void)state;
	/* units 3 and 17 answered OK but not kept: the bitmap (two words)
	 * shows them missing and only they are sent again */
	assert_int_equal(mfemu_add_faults(&emu,
			     "[{\"action\":\"unit_reject\",\"unit\":3},"
			     "{\"action\":\"unit_reject\",\"unit\":17}]"),
	    0);
	bt_put_file(be, "v.big", n, 17);
	assert_int_equal(mfemu_count(&emu, "upload/resumable", NULL) - units0,
	    21 + 2);
	assert_int_equal(mfemu_count(&emu, "upload/resumable", "unit_reject"),
	    2);
	bt_expect_file(be, "v.big", n, 17);
	assert_int_equal(mfemu_clear_faults(&emu), 0);
	backend_close(be);
}

static void
test_purge(void **state)
{
	static const struct backend_opt purge_opt[] = { { "mf-purge", NULL } };
	static const struct backend_options purge = { .num_retries = 3,
		.retry_delay = 0.01,
		.timeout = 10,
		.opts = purge_opt,
		.nopts = 1 };
	struct backend *be = open_raw("purge");
	struct dupc_err err;
	char url[256];
	unsigned deletes = mfemu_count(&emu, "file/delete", NULL);

	(void)state;
	put_bytes(be, "to-trash", "1", 1);
	put_bytes(be, "to-purge", "2", 1);
	assert_int_equal(backend_remove(be, "to-trash", &err), 0);
	assert_int_equal(mfemu_count(&emu, "file/delete", NULL), deletes + 1);
	backend_close(be);
	/* --mf-purge deletes for good */
	err_clear(&err);
	assert_int_equal(
	    backend_open_raw(mfemu_url(&emu, "purge", url, sizeof(url)), &purge,
		&be, &err),
	    0);
	assert_int_equal(backend_remove(be, "to-purge", &err), 0);
	assert_int_equal(mfemu_count(&emu, "file/purge", NULL), 1);
	assert_int_equal(mfemu_count(&emu, "file/delete", NULL), deletes + 1);
	backend_close(be);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_1000),
		cmocka_unit_test(test_small_roundtrip),
		cmocka_unit_test(test_resumable_and_instant),
		cmocka_unit_test(test_resume_bitmap),
		cmocka_unit_test(test_purge),
	};

	if (mfemu_path() == NULL)
		return mfemu_skip_all("mfemu not found (set MFEMU)");
	return cmocka_run_group_tests(tests, setup, teardown);
}
