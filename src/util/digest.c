/*
 * Digests over libcrypto's EVP interface.  Contexts are reusable so the
 * volume writer can hash volume after volume without reallocating.
 */
#include "digest.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

struct digest {
	EVP_MD_CTX *ctx;
	const EVP_MD *md;
};

static const EVP_MD *
kind_md(enum digest_kind kind)
{
	switch (kind) {
	case DIGEST_SHA1:
		return EVP_sha1();
	case DIGEST_SHA256:
		return EVP_sha256();
	case DIGEST_MD5:
		return EVP_md5();
	}
	return NULL;
}

size_t
digest_hex_len(enum digest_kind kind)
{
	switch (kind) {
	case DIGEST_SHA1:
		return 40;
	case DIGEST_SHA256:
		return 64;
	case DIGEST_MD5:
		return 32;
	}
	return 0;
}

struct digest *
digest_new(enum digest_kind kind)
{
	struct digest *d = calloc(1, sizeof(*d));

	if (d == NULL)
		goto err0;
	d->md = kind_md(kind);
	d->ctx = EVP_MD_CTX_new();
	if (d->ctx == NULL)
		goto err1;
	if (EVP_DigestInit_ex(d->ctx, d->md, NULL) != 1)
		goto err2;
	return d;
err2:
	EVP_MD_CTX_free(d->ctx);
err1:
	free(d);
err0:
	return NULL;
}

void
digest_update(struct digest *d, const void *p, size_t n)
{
	EVP_DigestUpdate(d->ctx, p, n);
}

void
digest_final_hex(struct digest *d, char *hex)
{
	static const char xd[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;

	EVP_DigestFinal_ex(d->ctx, md, &len);
	for (i = 0; i < len; i++) {
		hex[2 * i] = xd[md[i] >> 4];
		hex[2 * i + 1] = xd[md[i] & 15];
	}
	hex[2 * len] = '\0';
	EVP_DigestInit_ex(d->ctx, d->md, NULL);
}

void
digest_free(struct digest *d)
{
	if (d == NULL)
		return;
	EVP_MD_CTX_free(d->ctx);
	free(d);
}

int
digest_hex(enum digest_kind kind, const void *p, size_t n, char *hex)
{
	struct digest *d = digest_new(kind);

	if (d == NULL)
		return -1;
	digest_update(d, p, n);
	digest_final_hex(d, hex);
	digest_free(d);
	return 0;
}

int
digest_fd(int fd, char *sha1, char *sha256, uint64_t *size)
{
	struct digest *a = sha1 ? digest_new(DIGEST_SHA1) : NULL;
	struct digest *b = sha256 ? digest_new(DIGEST_SHA256) : NULL;
	char *buf = malloc(1 << 17);
	uint64_t off = 0;
	int rc = -1;

	if ((sha1 && a == NULL) || (sha256 && b == NULL) || buf == NULL) {
		errno = ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t r = pread(fd, buf, 1 << 17, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto out;
		if (r == 0)
			break;
		if (a != NULL)
			digest_update(a, buf, (size_t)r);
		if (b != NULL)
			digest_update(b, buf, (size_t)r);
		off += (uint64_t)r;
	}
	if (a != NULL)
		digest_final_hex(a, sha1);
	if (b != NULL)
		digest_final_hex(b, sha256);
	if (size != NULL)
		*size = off;
	rc = 0;
out:
	free(buf);
	digest_free(a);
	digest_free(b);
	return rc;
}

int
digest_hmac_sha256(const void *key, size_t klen, const void *p, size_t n,
    unsigned char *mac)
{
	unsigned int len = 0;

	if (klen > INT32_MAX ||
	    HMAC(EVP_sha256(), key, (int)klen, p, n, mac, &len) == NULL ||
	    len != DIGEST_HMAC_LEN)
		return -1;
	return 0;
}
