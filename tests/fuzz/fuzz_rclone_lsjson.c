/*
 * Fuzz target: the output of `rclone lsjson`, through the framing of
 * backend/rclone/rc_lsjson.c and jansson.  rclone prints what the remote
 * lists: file names come from whoever fills the remote.
 *
 * Input: one option byte (the size of the pieces the output is fed in,
 * 1 to 256; 0: whole), then the output.
 *
 * Properties: every entry has a name without a NUL byte; the reader ends
 * in 0 or -1, and a failure is permanent with a message.
 */
#include "fuzz.h"

#include <string.h>

#include "backend/rclone/rc_internal.h"
#include "util/err.h"

static int
entry(const char *name, uint64_t size, bool is_dir, void *arg,
    struct dupc_err *err)
{
	(void)size, (void)is_dir, (void)arg, (void)err;
	FUZZ_ASSERT(name != NULL && strlen(name) < RC_ITEM_MAX);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned step = fuzz_take(&data, &size);
	struct rc_lsjson *p = rc_lsjson_new(entry, NULL);
	struct dupc_err err;
	size_t off = 0;
	int rc = 0;

	if (p == NULL)
		return 0;
	err_clear(&err);
	while (rc == 0 && off < size) {
		size_t k = step == 0 || step > size - off ? size - off : step;

		rc = rc_lsjson_feed(p, (const char *)data + off, k, &err);
		off += k;
	}
	if (rc == 0)
		rc = rc_lsjson_finish(p, &err);
	FUZZ_ASSERT(rc == 0 || (err.cls == ERR_PERMANENT && err.msg[0]));
	rc_lsjson_free(p);
	return 0;
}
