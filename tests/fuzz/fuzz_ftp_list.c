/*
 * Fuzz target: LIST answers of FTP servers, through the line reader of
 * backend/ftp/ftp_list.c.  The server (or whoever is in the middle of a
 * plain FTP data connection) writes these bytes.
 *
 * Input: one option byte (the size of the pieces the answer is fed in,
 * 1 to 255; 0: whole), then the answer.
 *
 * Properties: every file reported has a non-empty name without a NUL
 * byte or a line end, shorter than FTP_LINE_MAX; the reader ends in 0 or
 * -1, and a failure is permanent with a message.
 */
#include "fuzz.h"

#include <string.h>

#include "backend/ftp/ftp_internal.h"
#include "util/err.h"

static int
file(const char *name, uint64_t size, void *arg, struct dupc_err *err)
{
	size_t n = strlen(name);

	(void)size, (void)arg, (void)err;
	FUZZ_ASSERT(n > 0 && n < FTP_LINE_MAX);
	FUZZ_ASSERT(strchr(name, '\n') == NULL);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned step = fuzz_take(&data, &size);
	struct ftp_list *l = ftp_list_new(file, NULL);
	struct dupc_err err;
	size_t off = 0;
	int rc = 0;

	if (l == NULL)
		return 0;
	err_clear(&err);
	while (rc == 0 && off < size) {
		size_t k = step == 0 || step > size - off ? size - off : step;

		rc = ftp_list_feed(l, (const char *)data + off, k, &err);
		off += k;
	}
	if (rc == 0)
		rc = ftp_list_finish(l, &err);
	FUZZ_ASSERT(rc == 0 || (err.cls == ERR_PERMANENT && err.msg[0]));
	ftp_list_free(l);
	return 0;
}
