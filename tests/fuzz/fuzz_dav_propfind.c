/*
 * Fuzz target: WebDAV PROPFIND answers, through libxml2's push parser and
 * backend/webdav/dav_propfind.c.  Whoever answers on the network (or in
 * the middle) writes these bytes.
 *
 * Input: one option byte (the size of the pieces the answer is fed in,
 * 1 to 256; 0: whole), then the answer.
 *
 * Properties: every entry handed over has a non-empty href without a NUL
 * byte and no longer than DAV_HREF_MAX; the parse ends in 0 or -1, and a
 * failure is permanent with a message.
 */
#include "fuzz.h"

#include <string.h>

#include "backend/webdav/dav_internal.h"
#include "util/err.h"

static int
entry(const struct dav_entry *e, void *arg, struct dupc_err *err)
{
	size_t n = strlen(e->href);

	(void)arg, (void)err;
	FUZZ_ASSERT(n > 0 && n <= DAV_HREF_MAX);
	FUZZ_ASSERT(e->has_size || e->size == 0);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned step = fuzz_take(&data, &size);
	struct dav_propfind *p = dav_propfind_new(entry, NULL);
	struct dupc_err err;
	size_t off = 0;
	int rc = 0;

	if (p == NULL)
		return 0;
	err_clear(&err);
	while (rc == 0 && off < size) {
		size_t k = step == 0 || step > size - off ? size - off : step;

		rc = dav_propfind_feed(p, (const char *)data + off, k, &err);
		off += k;
	}
	if (rc == 0)
		rc = dav_propfind_finish(p, &err);
	FUZZ_ASSERT(rc == 0 || (err.cls == ERR_PERMANENT && err.msg[0]));
	dav_propfind_free(p);
	return 0;
}
