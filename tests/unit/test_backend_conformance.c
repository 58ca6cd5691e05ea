/*
 * One conformance suite for every backend (after restic's
 * internal/backend/test): the contract written in backend/backend.h, run
 * against mem://, file:// and mf:// (on the emulator; skipped when it is
 * not there), each both raw and behind the retry wrapper.
 */
#define _DEFAULT_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "backend/backend.h"
#include "backend/mediafire/mf_internal.h"
#include "bt_util.h"
#include "mfemu_harness.h"
#include "util/digest.h"
#include "util/err.h"
#include "util/stream.h"

struct target {
	const char *name;
	bool wrapped;
	char url[512];
	bool empty_ok; /* can store a zero-byte object */
	void (*make_subfolder)(struct target *, struct backend *);
};

static struct mfemu emu;
static char scratch[256];
static unsigned serial;

static const struct backend_options opts = { .num_retries = 3,
	.retry_delay = 0.01,
	.timeout = 10 };

static void
file_subfolder(struct target *t, struct backend *be)
{
	char path[600];

	(void)be;
	snprintf(path, sizeof(path), "%s/subdir", t->url + strlen("file://"));
	assert_int_equal(mkdir(path, 0700), 0);
}

static void
mf_subfolder(struct target *t, struct backend *be)
{
	struct backend *raw;
	struct mf_backend *mb;
	struct mf_params p;
	struct mf_reply r;
	struct dupc_err err;

	(void)be;
	assert_int_equal(backend_open_raw(t->url, &opts, &raw, &err), 0);
	mb = (struct mf_backend *)raw;
	assert_int_equal(mf_folder_find(mb, true, &err), 0);
	mf_params_init(&p);
	mf_params_add(&p, "foldername", "subdir");
	mf_params_add(&p, "parent_key", mb->folder_key);
	if (mf_call(&mb->s, "folder/create", &p, &r, &err) != 0)
		fail_msg("folder/create: %s", err.msg);
	mf_reply_release(&r);
	mf_params_release(&p);
	backend_close(raw);
}

static int
group_setup(void **state)
{
	const char *t = getenv("TMPDIR");

	(void)state;
	snprintf(scratch, sizeof(scratch), "%s/dupc-conf.XXXXXX",
	    t != NULL && *t ? t : "/tmp");
	assert_non_null(mkdtemp(scratch));
	setenv("DUPC_MF_POLL_INTERVAL", "0.005", 1);
	setenv("DUPC_MF_SIMPLE_MAX", "65536", 1);
	if (mfemu_path() != NULL && mfemu_start(&emu, NULL, NULL) != 0)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	char cmd[300];

	(void)state;
	mfemu_stop(&emu);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
	if (strstr(scratch, "dupc-conf.") != NULL)
		(void)!system(cmd);
	return 0;
}

/* A fresh, empty location of the kind named by the test's state. */
static struct backend *
fresh(void **state, struct target *t)
{
	const struct target *proto = *state;
	struct backend *be = NULL;
	struct dupc_err err;

	*t = *proto;
	serial++;
	if (strcmp(t->name, "mem") == 0) {
		snprintf(t->url, sizeof(t->url), "mem://conf/%u", serial);
	} else if (strcmp(t->name, "file") == 0) {
		snprintf(t->url, sizeof(t->url), "file://%s/t%u/a/b", scratch,
		    serial);
		t->make_subfolder = file_subfolder;
	} else {
		mfemu_url(&emu, "", t->url, sizeof(t->url));
		snprintf(t->url + strlen(t->url),
		    sizeof(t->url) - strlen(t->url), "conf/t%u/a", serial);
		t->make_subfolder = mf_subfolder;
	}
	err_clear(&err);
	if ((t->wrapped ? backend_open : backend_open_raw)(t->url, &opts, &be,
		&err) != 0)
		fail_msg("%s: open %s: %s", t->name, t->url, err.msg);
	return be;
}

static void
expect_not_found(const char *what, int rc, const struct dupc_err *err)
{
	if (rc != -1 || err->cls != ERR_NOT_FOUND)
		fail_msg("%s: rc %d class %d: %s", what, rc, (int)err->cls,
		    err->msg);
}

static void
test_empty_location(void **state)
{
	struct target t;
	struct backend *be = fresh(state, &t);
	struct dupc_err err;
	uint64_t size;
	char buf[64];
	int fd;
	char path[] = "/tmp/dupc-conf-get.XXXXXX";

	/* a location that does not exist yet lists as empty */
	assert_int_equal(bt_list(be, buf, sizeof(buf)), 0);
	err_clear(&err);
	expect_not_found("size", backend_size(be, "nothing", &size, &err),
	    &err);
	expect_not_found("remove", backend_remove(be, "nothing", &err), &err);
	fd = mkstemp(path);
	unlink(path);
	expect_not_found("get", backend_get(be, "nothing", fd, &err), &err);
	close(fd);
	backend_close(be);
}

static void
test_put_list_get(void **state)
{
	static const size_t sizes[] = { 1, 1000, 70000, 300000 };
	struct target t;
	struct backend *be = fresh(state, &t);
	char name[32], *data[4], want[256], got[256];
	struct dupc_err err;
	uint64_t size;
	size_t i;

	want[0] = '\0';
	for (i = 0; i < 4; i++) {
		data[i] = malloc(sizes[i]);
		assert_non_null(data[i]);
		bt_fill(data[i], sizes[i], (unsigned)(i + 100 * serial));
		snprintf(name, sizeof(name), "vol%zu.difftar.gpg", i);
		bt_put(be, name, data[i], sizes[i]);
		snprintf(want + strlen(want), sizeof(want) - strlen(want),
		    "%s:%zu;", name, sizes[i]);
	}
	assert_int_equal(bt_list(be, got, sizeof(got)), 4);
	assert_string_equal(got, want);
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "vol%zu.difftar.gpg", i);
		bt_expect(be, name, data[i], sizes[i]);
		err_clear(&err);
		assert_int_equal(backend_size(be, name, &size, &err), 0);
		assert_int_equal(size, sizes[i]);
		if (backend_flags(be) & BACKEND_HASHES) {
			char hex[DIGEST_HEX_MAX], w[DIGEST_HEX_MAX];

			assert_int_equal(backend_sha256(be, name, hex, &err),
			    0);
			digest_hex(DIGEST_SHA256, data[i], sizes[i], w);
			assert_string_equal(hex, w);
		}
		free(data[i]);
	}
	backend_close(be);
}

static void
test_replace(void **state)
{
	struct target t;
	struct backend *be = fresh(state, &t);
	char a[50000], b[7000], got[128];
	struct dupc_err err;
	uint64_t size;

	bt_fill(a, sizeof(a), 1 + serial);
	bt_fill(b, sizeof(b), 2 + serial);
	bt_put(be, "x", a, sizeof(a));
	bt_put(be, "x", b, sizeof(b));
	bt_expect(be, "x", b, sizeof(b));
	assert_int_equal(backend_size(be, "x", &size, &err), 0);
	assert_int_equal(size, sizeof(b));
	assert_int_equal(bt_list(be, got, sizeof(got)), 1);
	assert_string_equal(got, "x:7000;");
	/* and back to a larger one */
	bt_put(be, "x", a, sizeof(a));
	bt_expect(be, "x", a, sizeof(a));
	backend_close(be);
}

static void
test_remove(void **state)
{
	struct target t;
	struct backend *be = fresh(state, &t);
	char got[128];
	struct dupc_err err;
	uint64_t size;
	int fd;
	char path[] = "/tmp/dupc-conf-get.XXXXXX";

	bt_put(be, "keep", "kept", 4);
	bt_put(be, "drop", "dropped", 7);
	err_clear(&err);
	assert_int_equal(backend_remove(be, "drop", &err), 0);
	assert_int_equal(bt_list(be, got, sizeof(got)), 1);
	assert_string_equal(got, "keep:4;");
	expect_not_found("size", backend_size(be, "drop", &size, &err), &err);
	expect_not_found("remove twice", backend_remove(be, "drop", &err),
	    &err);
	fd = mkstemp(path);
	unlink(path);
	expect_not_found("get", backend_get(be, "drop", fd, &err), &err);
	close(fd);
	/* put after remove works */
	bt_put(be, "drop", "again", 5);
	bt_expect(be, "drop", "again", 5);
	backend_close(be);
}

static void
test_subfolders_not_listed(void **state)
{
	struct target t;
	struct backend *be = fresh(state, &t);
	char got[128];

	bt_put(be, "f", "1", 1);
	assert_non_null(t.make_subfolder);
	t.make_subfolder(&t, be);
	assert_int_equal(bt_list(be, got, sizeof(got)), 1);
	assert_string_equal(got, "f:1;");
	backend_close(be);
}

static void
test_odd_names(void **state)
{
	static const char *const names[] = {
		"with space", "plus+sign", "percent%41", "amp&eq=", "dots...",
		"caf\xc3\xa9",
		"duplicity-new-signatures.20240101T000000Z.to.20240102T000000Z.sigtar.gpg"
	};
	struct target t;
	struct backend *be = fresh(state, &t);
	char got[512];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		bt_put(be, names[i], names[i], strlen(names[i]));
	assert_int_equal(bt_list(be, got, sizeof(got)),
	    sizeof(names) / sizeof(names[0]));
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		bt_expect(be, names[i], names[i], strlen(names[i]));
	backend_close(be);
}

static void
test_empty_object(void **state)
{
	struct target t;
	struct backend *be = fresh(state, &t);
	struct source *src = mem_source_new("", 0);
	struct dupc_err err;
	int rc;

	err_clear(&err);
	rc = backend_put(be, "empty", src, 0, &err);
	source_free(src);
	if (t.empty_ok) {
		if (rc != 0)
			fail_msg("put empty: %s", err.msg);
		bt_expect(be, "empty", "", 0);
	} else if (rc != 0 && err.cls != ERR_PERMANENT) {
		/* refusing is allowed; retrying for ever is not */
		fail_msg("put empty: class %d: %s", (int)err.cls, err.msg);
	}
	backend_close(be);
}

static void
test_streamed_from_file(void **state)
{
	struct target t;
	struct backend *be = fresh(state, &t);

	/* several blocks of the source, and (for mf) several units */
	bt_put_file(be, "big", 5u * 1024 * 1024 + 1, 9 + serial);
	bt_expect_file(be, "big", 5u * 1024 * 1024 + 1, 9 + serial);
	backend_close(be);
}

/* open_read, where a backend has it, reads exactly what get would. */
static void
test_open_read(void **state)
{
	struct target t;
	struct backend *be = fresh(state, &t);
	struct dupc_err err;
	char data[70000], got[70001], fifo[600];
	ssize_t n;
	int fd = -1, rc;

	bt_fill(data, sizeof(data), 7 + serial);
	bt_put(be, "vol1.difftar.gz", data, sizeof(data));
	err_clear(&err);
	rc = backend_open_read(be, "vol1.difftar.gz", &fd, &err);
	if (rc == 1) {
		/* remote backends download with get */
		assert_true(strcmp(t.name, "file") != 0);
		backend_close(be);
		return;
	}
	assert_int_equal(rc, 0);
	n = read(fd, got, sizeof(got));
	assert_int_equal(n, (ssize_t)sizeof(data));
	assert_memory_equal(got, data, sizeof(data));
	close(fd);
	expect_not_found("open_read",
	    backend_open_read(be, "nothing", &fd, &err), &err);
	/* a FIFO under a stored name is refused, not waited on */
	snprintf(fifo, sizeof(fifo), "%s/vol2.difftar.gz",
	    t.url + strlen("file://"));
	assert_int_equal(mkfifo(fifo, 0600), 0);
	err_clear(&err);
	assert_int_equal(backend_open_read(be, "vol2.difftar.gz", &fd, &err),
	    -1);
	assert_non_null(strstr(err.msg, "not a regular file"));
	assert_int_equal(backend_open_read(be, "../x", &fd, &err), -1);
	backend_close(be);
}

static void
skipped(void **state)
{
	(void)state;
}

static const struct {
	const char *name;
	CMUnitTestFunction fn;
	bool folders; /* needs a backend with subfolders */
} cases[] = {
	{ "empty location", test_empty_location, false },
	{ "put, list, get, size, sha256", test_put_list_get, false },
	{ "replace", test_replace, false },
	{ "remove", test_remove, false },
	{ "subfolders are not listed", test_subfolders_not_listed, true },
	{ "odd names", test_odd_names, false },
	{ "empty object", test_empty_object, false },
	{ "streamed from a file", test_streamed_from_file, false },
	{ "read in place", test_open_read, false },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static struct target targets[] = {
	{ "mem", false, "", true, NULL },
	{ "mem", true, "", true, NULL },
	{ "file", false, "", true, NULL },
	{ "file", true, "", true, NULL },
	{ "mf", false, "", false, NULL },
	{ "mf", true, "", false, NULL },
};

#define NTARGETS (sizeof(targets) / sizeof(targets[0]))

int
main(void)
{
	static struct CMUnitTest tests[NTARGETS * NCASES + 1];
	static char names[NTARGETS * NCASES + 1][96];
	size_t i, j, n = 0;
	bool have_emu = mfemu_path() != NULL;

	for (i = 0; i < NTARGETS; i++) {
		if (strcmp(targets[i].name, "mf") == 0 && !have_emu)
			continue;
		for (j = 0; j < NCASES; j++) {
			/* mem:// is flat: it has no subfolders to ignore */
			if (cases[j].folders &&
			    strcmp(targets[i].name, "mem") == 0)
				continue;
			snprintf(names[n], sizeof(names[n]), "%s%s: %s",
			    targets[i].name,
			    targets[i].wrapped ? " (retry wrapper)" : "",
			    cases[j].name);
			tests[n].name = names[n];
			tests[n].test_func = cases[j].fn;
			tests[n].initial_state = &targets[i];
			n++;
		}
	}
	if (!have_emu) {
		snprintf(names[n], sizeof(names[n]),
		    "mf: all # skip mfemu not found (set MFEMU)");
		tests[n].name = names[n];
		tests[n].test_func = skipped;
		n++;
	}
	return _cmocka_run_group_tests("backend conformance", tests, n,
	    group_setup, group_teardown);
}
