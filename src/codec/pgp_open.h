#ifndef DUPC_CODEC_PGP_OPEN_H
#define DUPC_CODEC_PGP_OPEN_H

/*
 * Reading the messages pgp_seal.c writes, on libgcrypt: the session key
 * from its encrypted form, AES-256 CFB, the SHA-1 modification detection
 * code, zlib's inflate for the compressed packet and the literal packet's
 * framing.  Every other message (gpg's, duplicity's, public keys) is read
 * by RNP or gpg as before; this one shape is common enough (every volume
 * and signature file of an encrypted dupc backup) to be worth reading
 * without RNP's per-block overhead and with one key derivation per run
 * instead of one per message.
 */

#include <stdbool.h>
#include <stddef.h>

struct dupc_err;
struct source;

/*
 * pgp_open_matches(head, n):
 * Whether the first ${n} bytes of a message are what pgp_seal.c writes:
 * one version 4 session key packet for AES-256 with S2K type 3, SHA-256,
 * count octet 0xFF and a 33-byte encrypted session key, then the start of
 * a new-format SEIPD packet.
 */
bool pgp_open_matches(const unsigned char *, size_t);

/*
 * pgp_open_source_new(passphrase, head, nhead, inner, what, err):
 * The literal data of the message whose first ${nhead} bytes (matched by
 * pgp_open_matches) are ${head} (copied) and whose rest is read from
 * ${inner} (borrowed).  As with every decrypting source, data comes out
 * before the MDC is checked: the end of stream is returned only after
 * it, and a damaged, cut or wrongly keyed message fails with one line
 * naming ${what} (E_GPG_FAILED).  NULL with E_GPG_FAILED.
 */
struct source *pgp_open_source_new(const char *, const unsigned char *, size_t,
    struct source *, const char *, struct dupc_err *);

#endif
