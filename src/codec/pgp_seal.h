#ifndef DUPC_CODEC_PGP_SEAL_H
#define DUPC_CODEC_PGP_SEAL_H

/*
 * Passphrase encryption of dupc's own OpenPGP packets (pgp.c), as gpg 2.2
 * and duplicity read it: a version 4 Symmetric-Key Encrypted Session Key
 * packet (AES-256, iterated and salted S2K with SHA-256 at the largest
 * count, an encrypted session key) and a version 1 Symmetrically
 * Encrypted Integrity Protected Data packet (AES-256 in CFB mode, SHA-1
 * modification detection code) with partial body lengths (RFC 4880 5.3,
 * 5.13, 5.14, 3.7).  The cryptography is libgcrypt's, GnuPG's own
 * library: S2K, cipher, hash and random numbers; only the framing is
 * dupc's.
 *
 * The S2K derivation runs once per passphrase in the process, with a
 * fresh salt; every message gets its own random session key, encrypted
 * under the derived key in its session key packet, and its own random
 * CFB prefix (docs/gpg-codec.md says why that is sound).
 */

#include <stdbool.h>

struct dupc_err;
struct sink;

/*
 * pgp_seal_available():
 * Whether libgcrypt is usable here (initialised once, with its locked
 * secure memory for keys); when it is not, callers use another engine.
 */
bool pgp_seal_available(void);

/*
 * pgp_seal_sink_new(passphrase, next, err):
 * A sink encrypting the packets written to it into one message for
 * ${passphrase} (copied into secure memory; the caller's copy may be
 * wiped at once), written to ${next} (borrowed; finished by sink_finish).
 * The first write derives the key if this passphrase has none yet.
 * NULL with E_GPG_FAILED.
 */
struct sink *pgp_seal_sink_new(const char *, struct sink *, struct dupc_err *);

/*
 * pgp_seal_kek(passphrase, salt, err):
 * For pgp_open.c: the AES-256 key the S2K of a sealed message (SHA-256,
 * count 65011712, the 8-byte ${salt}) derives from ${passphrase}, kept in
 * secure memory for the life of the process (one derivation per
 * passphrase and salt).  NULL with E_GPG_FAILED.
 */
const unsigned char *pgp_seal_kek(const char *, const unsigned char *,
    struct dupc_err *);

#endif
