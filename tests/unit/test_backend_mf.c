/*
 * mf:// against the backend conformance suite (backend_suite.h), on the
 * bundled MediaFire emulator.
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "backend/mediafire/mf_internal.h"
#include "backend_suite.h"
#include "mfemu_harness.h"
#include "unit.h"
#include "util/err.h"

static struct mfemu emu;

static const struct backend_options opts = { .num_retries = 3,
	.retry_delay = 0.01,
	.timeout = 10 };

static void
mf_url(char *buf, size_t size, unsigned serial, void *arg)
{
	(void)arg;
	mfemu_url(&emu, "", buf, size);
	snprintf(buf + strlen(buf), size - strlen(buf), "suite/t%u/a", serial);
}

/* A folder inside the location, made through the API itself. */
static void
mf_subfolder(const char *url, void *arg)
{
	struct backend *raw;
	struct mf_backend *mb;
	struct mf_params p;
	struct mf_reply r;
	struct dupc_err err;

	(void)arg;
	assert_int_equal(backend_open_raw(url, &opts, &raw, &err), 0);
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
setup(void **state)
{
	(void)state;
	setenv("DUPC_MF_POLL_INTERVAL", "0.005", 1);
	setenv("DUPC_MF_SIMPLE_MAX", "65536", 1);
	return mfemu_start(&emu, NULL, NULL) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	mfemu_stop(&emu);
	return 0;
}

int
main(void)
{
	static const struct suite_target t[] = {
		{ "mf", mf_url, NULL, mf_subfolder, false, false, 40, &opts },
	};

	unit_init();
	if (mfemu_path() == NULL)
		return backend_suite_skip("mf backend",
		    "mf: all # skip mfemu not found (set MFEMU)");
	return backend_suite_run("mf backend", t, 1, NULL, 0, setup, teardown);
}
