/*
 * Fuzz target: MediaFire answers, through jansson and the decoder of
 * backend/mediafire/mf_reply.c, then the field readers the backend applies
 * to listings, upload checks (unit layout and bitmap), polls and errors.
 * Whoever answers on the network (or in the middle) writes these bytes.
 *
 * Input: one option byte (low 3 bits: the action the answer is for), then
 * the HTTP body.
 *
 * Properties: an accepted answer has a response object and, for an error,
 * a code and a printable message; a decoded unit layout covers the file
 * exactly; a bitmap never marks more units than the layout has.
 */
#include "fuzz.h"

#include <string.h>

#include "backend/mediafire/mf_internal.h"
#include "util/err.h"
#include "util/log.h"

static const char *const actions[] = {
	NULL,
	"folder/get_content",
	"upload/check",
	"upload/poll_upload",
	"user/get_session_token",
	"file/get_links",
	"folder/get_info",
	"upload/instant",
};

static void
listing(const struct mf_reply *r)
{
	const struct json_t *fc = mf_json_obj(r->resp, "folder_content");
	const struct json_t *files = mf_json_arr(fc, "files");
	const struct json_t *folders = mf_json_arr(fc, "folders");
	size_t i;
	uint64_t u;

	for (i = 0; i < mf_json_size(files); i++) {
		const struct json_t *it = mf_json_at(files, i);

		(void)mf_valid_key(mf_json_str(it, "quickkey"), 11,
		    MF_QUICKKEY_MAX);
		(void)mf_valid_sha256(mf_json_str(it, "hash"));
		(void)mf_json_u64(it, "size", &u);
		(void)mf_json_str(it, "filename");
	}
	for (i = 0; i < mf_json_size(folders); i++)
		(void)mf_valid_key(
		    mf_json_str(mf_json_at(folders, i), "folderkey"), 13,
		    MF_FOLDERKEY_MAX);
	(void)mf_json_yes(fc, "more_chunks");
	(void)mf_json_u64(fc, "chunk_size", &u);
}

static void
units(const struct mf_reply *r)
{
	const struct json_t *ru = mf_json_obj(r->resp, "resumable_upload");
	struct mf_units l;
	struct dupc_err err;
	uint64_t size = 0, count, unit_size;
	bool *have;
	long n;
	uint32_t i;

	err_clear(&err);
	(void)mf_json_u64(r->resp, "size", &size);
	if (mf_json_u64(ru, "number_of_units", &count) < 0 ||
	    mf_json_u64(ru, "unit_size", &unit_size) < 0 ||
	    mf_units_layout(&l, size, unit_size, count, &err) < 0)
		return;
	FUZZ_ASSERT(l.count <= MF_UNITS_MAX);
	if (l.count > 0) {
		uint64_t last = l.count - 1;

		FUZZ_ASSERT(mf_unit_offset(&l, (uint32_t)last) +
				mf_unit_len(&l, (uint32_t)last) ==
			    l.size);
		for (i = 0; i < l.count; i++)
			FUZZ_ASSERT(mf_unit_len(&l, i) > 0);
	}
	have = calloc(l.count ? l.count : 1, sizeof(*have));
	if (have == NULL)
		return;
	n = mf_bitmap_from_json(mf_json_obj(ru, "bitmap"), l.count, have, &err);
	FUZZ_ASSERT(n <= (long)l.count);
	free(have);
	(void)mf_valid_key(mf_json_str(ru, "upload_key"), 8, MF_UPLOADKEY_MAX);
}

static void
poll(const struct mf_reply *r)
{
	const struct json_t *d = mf_json_obj(r->resp, "doupload");
	int64_t result, fileerror;
	uint64_t status;
	bool retry;

	if (mf_json_i64(d, "result", &result) < 0 ||
	    mf_json_i64(d, "fileerror", &fileerror) < 0 ||
	    mf_json_u64(d, "status", &status) < 0)
		return;
	(void)mf_fileerror_class((long)fileerror, &retry);
	FUZZ_ASSERT(mf_fileerror_text((long)fileerror) != NULL);
}

static void
login(const struct mf_reply *r)
{
	uint64_t key;
	const char *t = mf_json_str(r->resp, "time");
	const char *tok = mf_json_str(r->resp, "session_token");

	(void)mf_json_u64(r->resp, "secret_key", &key);
	if (t != NULL)
		(void)strlen(t);
	(void)mf_valid_key(tok, 1, MF_TOKEN_MAX);
}

static void
error(const struct mf_reply *r)
{
	struct mf_errinfo info;
	struct dupc_err err;
	size_t i;

	FUZZ_ASSERT(r->error >= 0);
	for (i = 0; r->message[i] != '\0'; i++)
		FUZZ_ASSERT(r->message[i] >= 0x20 && r->message[i] < 0x7f);
	mf_error_info(r->error, &info);
	err_clear(&err);
	FUZZ_ASSERT(mf_error_set(&err, "fuzz", r->error, r->message) == -1);
	FUZZ_ASSERT(strlen(err.msg) < sizeof(err.msg));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned opt = fuzz_take(&data, &size);
	struct mf_reply r;
	struct dupc_err err;

	log_set_verbosity(-1);

	if (size > MF_BODY_MAX)
		return 0;
	err_clear(&err);
	(void)mf_json_depth_ok((const char *)data, size, MF_JSON_DEPTH_MAX);
	if (mf_reply_parse(&r, (const char *)data, size, actions[opt & 7],
		&err) < 0) {
		FUZZ_ASSERT(r.root == NULL);
		FUZZ_ASSERT(err.cls == ERR_TRANSIENT);
		return 0;
	}
	FUZZ_ASSERT(r.resp != NULL);
	if (!r.ok)
		error(&r);
	listing(&r);
	units(&r);
	poll(&r);
	login(&r);
	mf_reply_release(&r);
	return 0;
}
