/*
 * The unit layout of resumable uploads (mediafire-api.md 7.1).  The server
 * chooses the unit size; the client only checks that what it was told
 * describes the file it is sending (a local guess caused the Python SDK's
 * issue #30), and reads the bitmap of units already received.  Word i of
 * the bitmap covers units 16i..16i+15, bit 0 first (not the Python SDK's
 * 15-bit shift).
 */
#include "backend/mediafire/mf_internal.h"

#include <jansson.h>

#include "util/err.h"
#include "util/parse.h"

int
mf_units_layout(struct mf_units *u, uint64_t size, uint64_t unit_size,
    uint64_t count, struct dupc_err *err)
{
	uint64_t full;

	if (size == 0 || unit_size == 0 || count == 0 || count > MF_UNITS_MAX)
		goto bad;
	/* all units but the last are full; the last holds 1..unit_size */
	if (mul_u64(unit_size, count - 1, &full) < 0 || full >= size ||
	    size - full > unit_size)
		goto bad;
	u->size = size;
	u->unit_size = unit_size;
	u->count = (uint32_t)count;
	return 0;
bad:
	return err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
	    "MediaFire proposed %llu units of %llu bytes for a file of %llu bytes",
	    (unsigned long long)count, (unsigned long long)unit_size,
	    (unsigned long long)size);
}

uint64_t
mf_unit_offset(const struct mf_units *u, uint32_t i)
{
	return (uint64_t)i * u->unit_size;
}

uint64_t
mf_unit_len(const struct mf_units *u, uint32_t i)
{
	uint64_t off = mf_unit_offset(u, i);

	if (i >= u->count)
		return 0;
	return u->size - off < u->unit_size ? u->size - off : u->unit_size;
}

uint32_t
mf_bitmap_decode(const uint16_t *words, size_t nwords, uint32_t count,
    bool *have)
{
	uint32_t i, n = 0;

	for (i = 0; i < count; i++) {
		size_t w = i / 16;

		have[i] = w < nwords && (words[w] >> (i % 16) & 1u) != 0;
		n += have[i] ? 1 : 0;
	}
	return n;
}

static int
word_of(const json_t *v, uint16_t *out)
{
	uint64_t u;

	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0 || json_integer_value(v) > 65535)
			return -1;
		*out = (uint16_t)json_integer_value(v);
		return 0;
	}
	if (json_is_string(v) && parse_u64(json_string_value(v), &u) == 0 &&
	    u <= 65535) {
		*out = (uint16_t)u;
		return 0;
	}
	return -1;
}

long
mf_bitmap_from_json(const struct json_t *bitmap, uint32_t count, bool *have,
    struct dupc_err *err)
{
	uint16_t words[MF_UNITS_MAX / 16];
	const json_t *arr;
	size_t i, n;

	if (bitmap == NULL)
		return (long)mf_bitmap_decode(NULL, 0, count, have);
	arr = mf_json_arr(bitmap, "words");
	if (!json_is_object(bitmap) || arr == NULL)
		goto bad;
	n = json_array_size(arr);
	if (n > MF_UNITS_MAX / 16)
		goto bad;
	for (i = 0; i < n; i++)
		if (word_of(json_array_get(arr, i), &words[i]) < 0)
			goto bad;
	return (long)mf_bitmap_decode(words, n, count, have);
bad:
	return err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
	    "MediaFire sent a malformed resumable-upload bitmap");
}
