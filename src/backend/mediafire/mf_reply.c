/*
 * Decoding MediaFire's answers (mediafire-api.md section 2).  Every answer
 * is {"response":{...}}; the HTTP status means little, so the body decides.
 * A body that is not a well-formed envelope (HTML from a proxy, a cut
 * stream, junk) tells the client nothing about what the server did, and is
 * reported as transient so the session layer can treat the key state as
 * unknown.  Numbers inside objects come as strings or as JSON numbers, so
 * the field readers take both.  Nesting is bounded before jansson sees the
 * text.
 */
#include "backend/mediafire/mf_internal.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "util/err.h"
#include "util/parse.h"

void
mf_reply_init(struct mf_reply *r)
{
	r->root = NULL;
	r->resp = NULL;
	r->ok = false;
	r->new_key = false;
	r->error = 0;
	r->message[0] = '\0';
}

void
mf_reply_release(struct mf_reply *r)
{
	json_decref(r->root);
	mf_reply_init(r);
}

bool
mf_json_depth_ok(const char *p, size_t len, unsigned max)
{
	unsigned depth = 0;
	bool in_str = false;
	size_t i;

	for (i = 0; i < len; i++) {
		char c = p[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"') {
			in_str = true;
		} else if (c == '{' || c == '[') {
			if (++depth > max)
				return false;
		} else if ((c == '}' || c == ']') && depth > 0) {
			depth--;
		}
	}
	return true;
}

char *
mf_escape(const char *in, char *out, size_t outsz)
{
	size_t o = 0;

	if (outsz == 0)
		return out;
	for (; in != NULL && *in != '\0'; in++) {
		unsigned char c = (unsigned char)*in;

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			if (o + 1 >= outsz)
				break;
			out[o++] = (char)c;
		} else {
			if (o + 4 >= outsz)
				break;
			snprintf(out + o, outsz - o, "\\x%02x", c);
			o += 4;
		}
	}
	out[o] = '\0';
	return out;
}

static int
code_of(const json_t *v, long *out)
{
	uint64_t u;

	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		if (i < 0 || i > 1000000)
			return -1;
		*out = (long)i;
		return 0;
	}
	if (json_is_string(v) && parse_u64(json_string_value(v), &u) == 0 &&
	    u <= 1000000) {
		*out = (long)u;
		return 0;
	}
	return -1;
}

/* Note why a body is not an envelope, with a short escaped sample. */
static int
malformed(struct dupc_err *err, const char *why, const char *body, size_t len)
{
	char sample[64], esc[140];
	size_t n = len < sizeof(sample) - 1 ? len : sizeof(sample) - 1;

	memcpy(sample, body, n);
	sample[n] = '\0';
	return err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
	    "MediaFire answer is not an API envelope (%s): \"%s\"", why,
	    mf_escape(sample, esc, sizeof(esc)));
}

int
mf_reply_parse(struct mf_reply *r, const char *body, size_t len,
    const char *action, struct dupc_err *err)
{
	json_error_t jerr;
	json_t *root, *resp, *v;
	const char *result, *act;

	mf_reply_init(r);
	if (len == 0)
		return malformed(err, "empty body", body, len);
	if (!mf_json_depth_ok(body, len, MF_JSON_DEPTH_MAX))
		return malformed(err, "nested too deeply", body, len);
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return malformed(err, "not JSON", body, len);
	resp = json_object_get(root, "response");
	if (!json_is_object(root) || !json_is_object(resp)) {
		json_decref(root);
		return malformed(err, "no response object", body, len);
	}
	result = mf_json_str(resp, "result");
	act = mf_json_str(resp, "action");
	if (result == NULL ||
	    (strcmp(result, "Success") != 0 && strcmp(result, "Error") != 0)) {
		json_decref(root);
		return malformed(err, "no result", body, len);
	}
	/* an answer for another call is not an answer for this one */
	if (action != NULL && act != NULL && strcmp(act, action) != 0) {
		json_decref(root);
		return malformed(err, "answer to another call", body, len);
	}
	r->root = root;
	r->resp = resp;
	r->ok = strcmp(result, "Success") == 0;
	r->new_key = mf_json_yes(resp, "new_key") == 1;
	if (!r->ok) {
		v = json_object_get(resp, "error");
		if (code_of(v, &r->error) < 0) {
			mf_reply_release(r);
			return malformed(err, "error without a code", body,
			    len);
		}
		mf_escape(mf_json_str(resp, "message"), r->message,
		    sizeof(r->message));
	}
	return 0;
}

struct json_t *
mf_json_obj(const struct json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	return json_is_object(v) ? v : NULL;
}

struct json_t *
mf_json_arr(const struct json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	return json_is_array(v) ? v : NULL;
}

const char *
mf_json_str(const struct json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	return json_is_string(v) ? json_string_value(v) : NULL;
}

int
mf_json_u64(const struct json_t *obj, const char *key, uint64_t *out)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0)
			return -1;
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (json_is_string(v))
		return parse_u64(json_string_value(v), out);
	return -1;
}

int
mf_json_i64(const struct json_t *obj, const char *key, int64_t *out)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	if (json_is_integer(v)) {
		*out = (int64_t)json_integer_value(v);
		return 0;
	}
	if (json_is_string(v))
		return parse_i64(json_string_value(v), out);
	return -1;
}

int
mf_json_yes(const struct json_t *obj, const char *key)
{
	const char *s = mf_json_str(obj, key);

	if (s == NULL)
		return -1;
	if (strcmp(s, "yes") == 0)
		return 1;
	if (strcmp(s, "no") == 0)
		return 0;
	return -1;
}

size_t
mf_json_size(const struct json_t *arr)
{
	return json_is_array(arr) ? json_array_size(arr) : 0;
}

struct json_t *
mf_json_at(const struct json_t *arr, size_t i)
{
	return json_is_array(arr) ? json_array_get(arr, i) : NULL;
}

void
mf_copy(char *dst, size_t dstsz, const char *src)
{
	size_t n = strlen(src);

	if (dstsz == 0)
		return;
	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

bool
mf_valid_key(const char *s, size_t min, size_t max)
{
	size_t n = 0;

	if (s == NULL)
		return false;
	for (; s[n] != '\0'; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') ||
			(s[n] >= '0' && s[n] <= '9')) ||
		    n >= max)
			return false;
	return n >= min;
}

bool
mf_valid_sha256(const char *s)
{
	size_t n;

	if (s == NULL)
		return false;
	for (n = 0; s[n] != '\0'; n++)
		if (n >= MF_SHA256_HEX || !((s[n] >= '0' && s[n] <= '9') ||
					      (s[n] >= 'a' && s[n] <= 'f') ||
					      (s[n] >= 'A' && s[n] <= 'F')))
			return false;
	return n == MF_SHA256_HEX;
}
