#ifndef DUPC_UTIL_DIGEST_H
#define DUPC_UTIL_DIGEST_H

/*
 * Message digests through OpenSSL's libcrypto (the only place that includes
 * it): SHA-1 for manifest volume hashes, SHA-256 for MediaFire, MD5 for the
 * archive-dir name and MediaFire call signatures, S3's Content-MD5;
 * HMAC-SHA-256 for S3's request signatures.
 */

#include <stddef.h>
#include <stdint.h>

enum digest_kind { DIGEST_SHA1, DIGEST_SHA256, DIGEST_MD5 };

#define DIGEST_HEX_MAX 65 /* SHA-256 hex + NUL */

struct digest;

/* digest_new(kind): a fresh context, or NULL on ENOMEM. */
struct digest *digest_new(enum digest_kind);

/* digest_update(d, p, n): feed bytes. */
void digest_update(struct digest *, const void *, size_t);

/*
 * digest_final_hex(d, hex):
 * Write the lower-case hex digest to ${hex} (DIGEST_HEX_MAX bytes) and
 * reset ${d} for reuse.
 */
void digest_final_hex(struct digest *, char *);

/* digest_free(d): release; NULL is fine. */
void digest_free(struct digest *);

/* digest_hex(kind, p, n, hex): one-shot digest of a buffer. */
int digest_hex(enum digest_kind, const void *, size_t, char *);

/*
 * digest_fd(fd, sha1, sha256, size):
 * Read ${fd} from offset 0 to its end (with pread: its offset does not
 * move) and write the SHA-1 and SHA-256 of its bytes, each where not
 * NULL (DIGEST_HEX_MAX bytes), and their count to *${size} (may be
 * NULL).  Returns 0, or -1 with errno.
 */
int digest_fd(int, char *, char *, uint64_t *);

/* digest_hex_len(kind): hex length (40, 64 or 32). */
size_t digest_hex_len(enum digest_kind);

#define DIGEST_HMAC_LEN 32

/*
 * digest_hmac_sha256(key, klen, p, n, mac):
 * HMAC-SHA-256 of the ${n} bytes at ${p} under the ${klen}-byte ${key}
 * into ${mac} (DIGEST_HMAC_LEN bytes), for request signatures (S3's
 * Signature Version 4).  0, or -1 when libcrypto fails.
 */
int digest_hmac_sha256(const void *, size_t, const void *, size_t,
    unsigned char *);

#endif
