/*
 * Passphrase encryption of dupc's own packets on libgcrypt (pgp_seal.h).
 *
 * The message:
 *
 *   SKESK  0xC3 len | 4 | 9 (AES-256) | S2K: 3, 8 (SHA-256), salt[8], 0xFF
 *          | CFB(kek, IV 0) of (9 | session key[32])
 *   SEIPD  0xD2, partial body lengths of 64 KiB, then a definite one
 *          | 1 | CFB(session key, IV 0) of
 *            (prefix[16] | prefix[14..15] | packets | 0xD3 0x14 | SHA-1)
 *
 * where the SHA-1 covers everything before it in plaintext, 0xD3 0x14
 * included.  The count octet 0xFF is 65011712 bytes hashed, the largest
 * RFC 4880 can encode and what gpg's calibration reaches on any recent
 * machine (it caps at the same value).
 *
 * Body bytes are gathered in a buffer of one chunk and one byte: a full
 * chunk goes out as a partial length only when more follows, so the last
 * part, with its definite length, is never empty.
 */
#include "codec/pgp_seal.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>

#include "codec/pgp.h"
#include "util/err.h"
#include "util/stream.h"

#define CHUNK 65536u     /* partial body length 2^16 */
#define CHUNK_OCTET 0xF0 /* 0xE0 + 16 */
#define KEYLEN 32
#define BLOCK 16
#define SALTLEN 8
#define S2K_COUNT 65011712ul
#define S2K_COUNT_OCTET 0xFF
#define ALGO_AES256 9
#define HASH_SHA256 8

/* --- libgcrypt, once --- */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static bool gcrypt_ok;

static void
init_gcrypt(void)
{
	if (gcry_check_version("1.8.0") == NULL)
		return;
	/* keys live in libgcrypt's locked, wiped-on-free pool; where the
	 * memory lock limit refuses it, the pool is still wiped on free,
	 * and dupc's one-line errors are not mixed with libgcrypt's warning */
	gcry_control(GCRYCTL_DISABLE_SECMEM_WARN);
	if (gcry_control(GCRYCTL_INIT_SECMEM, 65536, 0) != 0)
		return;
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	gcrypt_ok = gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P) != 0;
}

bool
pgp_seal_available(void)
{
	pthread_once(&init_once, init_gcrypt);
	return gcrypt_ok;
}

/* --- the derived keys, kept for the process --- */

/*
 * One S2K derivation: ${pass} with ${salt}.  The writer's own is marked
 * (one per passphrase: every message it seals uses it); the reader adds
 * one per salt it meets, so a restore derives once per run it reads.
 */
struct seal_key {
	struct seal_key *next;
	bool own;
	char *pass; /* secure memory */
	unsigned char salt[SALTLEN];
	unsigned char *kek; /* secure memory, KEYLEN bytes */
};

static pthread_mutex_t keys_mu = PTHREAD_MUTEX_INITIALIZER;
static struct seal_key *keys;

static int
gcry_fail(struct dupc_err *err, const char *what, gcry_error_t ge)
{
	return err_set(err, E_GPG_FAILED, "gpg: encryption failed: %s: %s",
	    what, gcry_strerror(ge));
}

/*
 * The key of ${pass}: the writer's own when ${salt} is NULL (a fresh salt
 * the first time), else the one derived with ${salt}.  Derived under the
 * lock, so messages waiting for the same key derive it once.
 */
static const struct seal_key *
key_get(const char *pass, const unsigned char *salt, struct dupc_err *err)
{
	struct seal_key *k;
	size_t n = strlen(pass);
	gcry_error_t ge;

	pthread_mutex_lock(&keys_mu);
	for (k = keys; k != NULL; k = k->next)
		if (strcmp(k->pass, pass) == 0 &&
		    (salt == NULL ? k->own
				  : memcmp(k->salt, salt, SALTLEN) == 0))
			goto out;
	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		goto out;
	}
	k->pass = gcry_malloc_secure(n + 1);
	k->kek = gcry_malloc_secure(KEYLEN);
	if (k->pass == NULL || k->kek == NULL) {
		err_set(err, E_GPG_FAILED,
		    "gpg: no secure memory left for a key");
		goto fail;
	}
	memcpy(k->pass, pass, n + 1);
	k->own = salt == NULL;
	if (salt == NULL)
		gcry_randomize(k->salt, SALTLEN, GCRY_STRONG_RANDOM);
	else
		memcpy(k->salt, salt, SALTLEN);
	ge = gcry_kdf_derive(pass, n, GCRY_KDF_ITERSALTED_S2K, GCRY_MD_SHA256,
	    k->salt, SALTLEN, S2K_COUNT, KEYLEN, k->kek);
	if (ge != 0) {
		gcry_fail(err, "S2K", ge);
		goto fail;
	}
	k->next = keys;
	keys = k;
	goto out;
fail:
	gcry_free(k->pass);
	gcry_free(k->kek);
	free(k);
	k = NULL;
out:
	pthread_mutex_unlock(&keys_mu);
	return k;
}

const unsigned char *
pgp_seal_kek(const char *pass, const unsigned char *salt, struct dupc_err *err)
{
	const struct seal_key *k;

	if (!pgp_seal_available()) {
		err_set(err, E_GPG_FAILED,
		    "gpg: libgcrypt cannot be initialised");
		return NULL;
	}
	k = key_get(pass, salt, err);
	return k != NULL ? k->kek : NULL;
}

/* --- one message --- */

struct seal_sink {
	struct sink base;
	struct sink *next;
	char *pass; /* secure memory, until the key is got */
	gcry_cipher_hd_t cipher;
	gcry_md_hd_t md;
	bool started;
	bool failed;
	size_t len;
	unsigned char buf[CHUNK + 1];
};

static int
put_next(struct seal_sink *s, const void *p, size_t n, struct dupc_err *err)
{
	if (sink_write(s->next, p, n, err) < 0) {
		s->failed = true;
		return -1;
	}
	return 0;
}

/* Encrypt ${n} plaintext bytes into the body, sending full chunks on;
 * ${hash}: they count in the modification detection code. */
static int
body(struct seal_sink *s, const unsigned char *p, size_t n, bool hash,
    struct dupc_err *err)
{
	static const unsigned char partial = CHUNK_OCTET;
	gcry_error_t ge;

	if (hash)
		gcry_md_write(s->md, p, n);
	while (n > 0) {
		size_t k = CHUNK + 1 - s->len;

		if (k > n)
			k = n;
		ge = gcry_cipher_encrypt(s->cipher, s->buf + s->len, k, p, k);
		if (ge != 0) {
			s->failed = true;
			return gcry_fail(err, "AES-256 CFB", ge);
		}
		s->len += k;
		p += k;
		n -= k;
		if (s->len == CHUNK + 1) {
			if (put_next(s, &partial, 1, err) < 0 ||
			    put_next(s, s->buf, CHUNK, err) < 0)
				return -1;
			s->buf[0] = s->buf[CHUNK];
			s->len = 1;
		}
	}
	return 0;
}

/* The session key packet, the data packet's start and the prefix. */
static int
start(struct seal_sink *s, struct dupc_err *err)
{
	unsigned char *sk = NULL, *plain = NULL;
	unsigned char pkt[2 + 13 + 1 + KEYLEN], prefix[BLOCK + 2];
	const struct seal_key *k;
	gcry_cipher_hd_t esk = NULL;
	gcry_error_t ge;
	int rc = -1;

	s->started = true;
	if ((k = key_get(s->pass, NULL, err)) == NULL)
		goto out;
	gcry_free(s->pass);
	s->pass = NULL;
	sk = gcry_malloc_secure(KEYLEN);
	plain = gcry_malloc_secure(1 + KEYLEN);
	if (sk == NULL || plain == NULL) {
		err_set(err, E_GPG_FAILED,
		    "gpg: encryption failed: no secure memory for the key");
		goto out;
	}
	gcry_randomize(sk, KEYLEN, GCRY_STRONG_RANDOM);
	plain[0] = ALGO_AES256;
	memcpy(plain + 1, sk, KEYLEN);
	pkt[0] = 0xC3; /* new format, tag 3 */
	pkt[1] = (unsigned char)(sizeof(pkt) - 2);
	pkt[2] = 4;
	pkt[3] = ALGO_AES256;
	pkt[4] = 3; /* iterated and salted */
	pkt[5] = HASH_SHA256;
	memcpy(pkt + 6, k->salt, SALTLEN);
	pkt[14] = S2K_COUNT_OCTET;
	if ((ge = gcry_cipher_open(&esk, GCRY_CIPHER_AES256,
		 GCRY_CIPHER_MODE_CFB, GCRY_CIPHER_SECURE)) != 0 ||
	    (ge = gcry_cipher_setkey(esk, k->kek, KEYLEN)) != 0 ||
	    (ge = gcry_cipher_setiv(esk, NULL, 0)) != 0 ||
	    (ge = gcry_cipher_encrypt(esk, pkt + 15, 1 + KEYLEN, plain,
		 1 + KEYLEN)) != 0) {
		gcry_fail(err, "session key", ge);
		goto out;
	}
	if ((ge = gcry_cipher_open(&s->cipher, GCRY_CIPHER_AES256,
		 GCRY_CIPHER_MODE_CFB, GCRY_CIPHER_SECURE)) != 0 ||
	    (ge = gcry_cipher_setkey(s->cipher, sk, KEYLEN)) != 0 ||
	    (ge = gcry_cipher_setiv(s->cipher, NULL, 0)) != 0 ||
	    (ge = gcry_md_open(&s->md, GCRY_MD_SHA1, 0)) != 0) {
		gcry_fail(err, "AES-256 CFB", ge);
		goto out;
	}
	if (put_next(s, pkt, sizeof(pkt), err) < 0 ||
	    put_next(s, "\xD2", 1, err) < 0)
		goto out;
	/* the body: version 1, then the encrypted prefix */
	s->buf[0] = 1;
	s->len = 1;
	gcry_randomize(prefix, BLOCK, GCRY_STRONG_RANDOM);
	prefix[BLOCK] = prefix[BLOCK - 2];
	prefix[BLOCK + 1] = prefix[BLOCK - 1];
	rc = body(s, prefix, sizeof(prefix), true, err);
out:
	if (rc < 0)
		s->failed = true;
	gcry_cipher_close(esk);
	gcry_free(sk);
	gcry_free(plain);
	return rc;
}

static int
seal_write(struct sink *base, const void *p, size_t n, struct dupc_err *err)
{
	struct seal_sink *s = (struct seal_sink *)base;

	if (s->failed)
		return err_set(err, E_GPG_FAILED,
		    "gpg: encrypted stream used after it failed");
	if (!s->started && start(s, err) < 0)
		return -1;
	return body(s, p, n, true, err);
}

static int
seal_finish(struct sink *base, struct dupc_err *err)
{
	struct seal_sink *s = (struct seal_sink *)base;
	unsigned char mdc[2 + 20] = { 0xD3, 0x14 }, len[5];
	size_t n, k;

	if (s->failed)
		return err_set(err, E_GPG_FAILED,
		    "gpg: encrypted stream used after it failed");
	if (!s->started && start(s, err) < 0)
		return -1;
	gcry_md_write(s->md, mdc, 2);
	memcpy(mdc + 2, gcry_md_read(s->md, GCRY_MD_SHA1), 20);
	if (body(s, mdc, sizeof(mdc), false, err) < 0)
		return -1;
	n = s->len;
	k = pgp_length_put(len, n);
	if (put_next(s, len, k, err) < 0 || put_next(s, s->buf, n, err) < 0)
		return -1;
	s->failed = true; /* finished: no more writes */
	return sink_finish(s->next, err);
}

static void
seal_free(struct sink *base)
{
	struct seal_sink *s = (struct seal_sink *)base;

	gcry_cipher_close(s->cipher);
	gcry_md_close(s->md);
	gcry_free(s->pass);
	free(s);
}

static const struct sink_ops seal_ops = { seal_write, seal_finish, seal_free };

struct sink *
pgp_seal_sink_new(const char *pass, struct sink *next, struct dupc_err *err)
{
	struct seal_sink *s;
	size_t n = strlen(pass);

	if (!pgp_seal_available()) {
		err_set(err, E_GPG_FAILED,
		    "gpg: encryption failed: libgcrypt cannot be initialised");
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->pass = gcry_malloc_secure(n + 1)) == NULL) {
		free(s);
		err_set(err, E_GENERIC, "out of memory");
		return NULL;
	}
	memcpy(s->pass, pass, n + 1);
	s->base.ops = &seal_ops;
	s->next = next;
	return &s->base;
}
