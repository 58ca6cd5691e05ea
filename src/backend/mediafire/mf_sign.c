/*
 * MediaFire request signatures (mediafire-api.md section 3).  The login
 * call carries a SHA-1 over the credentials; every later call made with a
 * version-2 session token carries an MD5 over the low byte of the current
 * secret key, the login time and the exact path and query sent.  The key
 * chain itself is a Park-Miller generator that both sides advance in
 * lockstep; this file only computes, the session layer decides when.
 */
#include "backend/mediafire/mf_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/digest.h"
#include "util/secret.h"

uint32_t
mf_key_next(uint32_t key)
{
	/* 16807 * (2^31 - 2) does not fit in 32 bits */
	return (uint32_t)(((uint64_t)key * 16807u) % MF_KEY_MODULUS);
}

int
mf_sign_login(const char *email, const char *password, const char *app_id,
    const char *api_key, char *hex)
{
	size_t le = strlen(email), lp = strlen(password), la = strlen(app_id);
	size_t lk = api_key != NULL ? strlen(api_key) : 0;
	char *cat;
	int rc;

	cat = malloc(le + lp + la + lk + 1);
	if (cat == NULL)
		return -1;
	memcpy(cat, email, le);
	memcpy(cat + le, password, lp);
	memcpy(cat + le + lp, app_id, la);
	if (lk > 0)
		memcpy(cat + le + lp + la, api_key, lk);
	cat[le + lp + la + lk] = '\0';
	rc = digest_hex(DIGEST_SHA1, cat, le + lp + la + lk, hex);
	secret_wipe(cat, le + lp + la + lk);
	free(cat);
	return rc;
}

int
mf_sign_call(uint32_t key, const char *time, const char *path,
    const char *query, char *hex)
{
	struct digest *d = digest_new(DIGEST_MD5);
	char low[4];

	if (d == NULL)
		return -1;
	snprintf(low, sizeof(low), "%u", (unsigned)(key % 256));
	digest_update(d, low, strlen(low));
	digest_update(d, time, strlen(time));
	digest_update(d, path, strlen(path));
	digest_update(d, "?", 1);
	digest_update(d, query, strlen(query));
	digest_final_hex(d, hex);
	digest_free(d);
	return 0;
}
