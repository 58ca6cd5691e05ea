/*
 * Fuzz target: the S3 service's XML replies, through libxml2 and the
 * readers of backend/s3/s3_xml.c: listing pages (ListObjectsV2), lists
 * of parts and of unfinished uploads, a multipart upload's start and
 * completion, and error documents.  Whoever answers on the network (or
 * in the middle) writes these bytes.
 *
 * Input: one option byte (low 3 bits: which reader), then the body.
 *
 * Properties: a reader either accepts or fails with a transient error
 * (a reply it cannot read is the network's fault, never the user's);
 * every key handed on is a non-empty C string shorter than S3_TEXT_MAX;
 * part numbers are 1 to S3_MAX_PARTS; a continuation token fits its
 * buffer; an error document's fields are NUL-terminated.
 */
#include "fuzz.h"

#include <string.h>

#include "backend/s3/s3_internal.h"
#include "util/err.h"
#include "util/log.h"

static int
on_key(void *arg, const char *key, uint64_t size, struct dupc_err *err)
{
	(void)arg;
	(void)size;
	(void)err;
	FUZZ_ASSERT(strlen(key) < S3_TEXT_MAX);
	return 0;
}

static int
on_part(void *arg, unsigned number, const char *etag, uint64_t size,
    struct dupc_err *err)
{
	(void)arg;
	(void)size;
	(void)err;
	FUZZ_ASSERT(number >= 1 && number <= S3_MAX_PARTS);
	FUZZ_ASSERT(strlen(etag) < S3_TEXT_MAX);
	return 0;
}

static int
on_upload(void *arg, const char *key, const char *id, struct dupc_err *err)
{
	(void)arg;
	(void)err;
	FUZZ_ASSERT(strlen(key) < S3_TEXT_MAX);
	FUZZ_ASSERT(id[0] != '\0' && strlen(id) < S3_TEXT_MAX);
	return 0;
}

static void
page_ok(const struct s3_page *p)
{
	FUZZ_ASSERT(strlen(p->next) < sizeof(p->next));
	FUZZ_ASSERT(strlen(p->next2) < sizeof(p->next2));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned opt = fuzz_take(&data, &size);
	const char *body = (const char *)data;
	struct s3_page page;
	struct s3_error e;
	struct dupc_err err;
	char id[256];
	int rc = 0;

	log_set_verbosity(-1);
	if (size > (8u << 20))
		return 0;
	err_clear(&err);
	switch (opt & 7) {
	case 0:
		rc = s3_xml_list(body, size, on_key, NULL, &page, &err);
		if (rc == 0)
			page_ok(&page);
		break;
	case 1:
		rc = s3_xml_parts(body, size, on_part, NULL, &page, &err);
		if (rc == 0)
			page_ok(&page);
		break;
	case 2:
		rc = s3_xml_uploads(body, size, on_upload, NULL, &page, &err);
		if (rc == 0)
			page_ok(&page);
		break;
	case 3:
		rc = s3_xml_initiate(body, size, id, sizeof(id), &err);
		if (rc == 0)
			FUZZ_ASSERT(id[0] != '\0' && strlen(id) < sizeof(id));
		break;
	case 4:
		rc = s3_xml_complete(body, size, &e, &err);
		FUZZ_ASSERT(rc >= -1 && rc <= 1);
		if (rc == 1)
			FUZZ_ASSERT(e.code[0] != '\0');
		rc = rc < 0 ? -1 : 0;
		break;
	default:
		if (s3_xml_error(body, size, &e) == 0) {
			FUZZ_ASSERT(e.code[0] != '\0');
			FUZZ_ASSERT(strlen(e.code) < sizeof(e.code));
			FUZZ_ASSERT(strlen(e.message) < sizeof(e.message));
			FUZZ_ASSERT(strlen(e.region) < sizeof(e.region));
		}
		break;
	}
	if (rc < 0)
		FUZZ_ASSERT(err.cls == ERR_TRANSIENT && err.code != 0);
	return 0;
}
