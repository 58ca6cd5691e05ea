/*
 * Fuzz target: the reader of the AWS shared files (~/.aws/credentials,
 * ~/.aws/config) in backend/s3/s3_ini.c.  The files are the user's own,
 * but they are text a parser walks, with secrets in it.
 *
 * Input: one option byte (bit 0: look for "profile x" rather than
 * "default"), then the file's text.
 *
 * Properties: a parse either succeeds or fails with E_USER_ERROR and a
 * message naming the line; every value kept is a C string no longer than
 * the input; a failed parse never reports a secret in its message.
 */
#include "fuzz.h"

#include <string.h>

#include "backend/s3/s3_internal.h"
#include "util/err.h"
#include "util/log.h"

static void
value_ok(const char *v, size_t size)
{
	if (v != NULL)
		FUZZ_ASSERT(strlen(v) <= size);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned opt = fuzz_take(&data, &size);
	struct s3_profile p;
	struct dupc_err err;

	log_set_verbosity(-1);
	if (size > S3_INI_MAX)
		return 0;
	memset(&p, 0, sizeof(p));
	err_clear(&err);
	if (s3_ini_parse((const char *)data, size,
		(opt & 1) ? "profile x" : "default", &p, &err) < 0) {
		FUZZ_ASSERT(err.code == E_USER_ERROR || err.code == E_GENERIC);
		FUZZ_ASSERT(
		    strncmp(err.msg, "line ", 5) == 0 || err.code == E_GENERIC);
		if (p.secret_key != NULL && strlen(p.secret_key) > 3)
			FUZZ_ASSERT(strstr(err.msg, p.secret_key) == NULL);
	}
	value_ok(p.access_key, size);
	value_ok(p.secret_key, size);
	value_ok(p.session_token, size);
	value_ok(p.region, size);
	value_ok(p.endpoint_url, size);
	value_ok(p.addressing, size);
	s3_profile_release(&p);
	return 0;
}
