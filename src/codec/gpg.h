#ifndef DUPC_CODEC_GPG_H
#define DUPC_CODEC_GPG_H

/*
 * OpenPGP encryption of volumes, manifests and signature files, through
 * gpgme, as duplicity's gpg runs produce and read them (duplicity/gpg.py):
 * binary output, compressed, symmetric (AES256 with MDC) or to public keys,
 * optionally signed; on reading, an optional check that the data carries a
 * good signature by --sign-key.  Both directions stream: memory stays
 * bounded whatever the size of the data.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dupc_err;
struct sink;
struct source;

/*
 * What duplicity's gpg options (--encrypt-key, --sign-key, PASSPHRASE...)
 * ask for.  Everything is borrowed for the duration of a call only: the
 * constructors copy what they keep (passphrases into memory that is wiped
 * when the stream is freed), so the caller may wipe its copies afterwards.
 */
struct gpg_options {
	bool symmetric;                /* passphrase only; no recipients */
	const char *const *recipients; /* --encrypt-key */
	size_t nrecipients;
	const char *const *hidden; /* --hidden-encrypt-key */
	size_t nhidden;
	const char *sign_key;        /* --sign-key / --encrypt-sign-key */
	const char *passphrase;      /* PASSPHRASE: symmetric or secret key */
	const char *sign_passphrase; /* SIGN_PASSPHRASE, or NULL */
	const char *gpg_binary;      /* --gpg-binary, or NULL */
	const char *homedir;         /* NULL: $GNUPGHOME or gpg's default */
	const char *const *gpg_options; /* --gpg-options, split into words */
	size_t ngpg_options;
	bool use_agent; /* --use-agent: gpg-agent's pinentry */
	bool wrap;      /* encryption input is already an OpenPGP packet
			 * stream (pgp_literal_sink_new): gpg only
			 * encrypts it, compressing nothing itself */
};

/*
 * gpg_options_check(opts, err):
 * Check ${opts} without running gpg: every --gpg-options word must have a
 * gpgme equivalent (see docs/gpg-codec.md for the list), the sign key must
 * be 8, 16 or 40 hex digits (optionally after "0x"), names must be single
 * lines, and exactly one of symmetric and recipients must be chosen.
 * Returns 0, or -1 with E_COMMAND_LINE (E_BAD_SIGN_KEY for the sign key).
 */
int gpg_options_check(const struct gpg_options *, struct dupc_err *);

/*
 * gpg_encrypt_sink_new(opts, next, err):
 * A sink that encrypts what is written to it (and signs it when
 * ${opts}->sign_key is set) into ${next} (borrowed; only ever called from
 * the caller's thread).  sink_finish ends the OpenPGP message, checks that
 * gpg wrote integrity-protected data an old gpg can read (SEIPD v1, not
 * AEAD) and finishes ${next}.  Recipients and the signing key are looked up
 * here, so a missing key fails before any data is written.  Freeing the
 * sink before sink_finish abandons the message (${next} then holds a
 * truncated one).  Errors: E_COMMAND_LINE and E_BAD_SIGN_KEY as
 * gpg_options_check(), E_GPG_FAILED for anything gpg reports; a failure
 * of ${next} is passed up unchanged.
 */
struct sink *gpg_encrypt_sink_new(const struct gpg_options *, struct sink *,
    struct dupc_err *);

/*
 * gpg_encrypt_sink_stored(s):
 * What the output of the encrypting sink ${s} will be at least: the bytes
 * written in or the ciphertext passed on, whichever is more (0 for any
 * other sink).  Encryption alone adds only a few header bytes, so data
 * still held by the worker, gpgme's pipes or gpg counts as what it will
 * add; when gpg also compresses (signed data) it is an upper bound.  The
 * volume writer counts it so that an encrypted volume is cut before it
 * outgrows --volsize.  Safe while the worker writes the next stage.
 */
uint64_t gpg_encrypt_sink_stored(const struct sink *);

/*
 * gpg_decrypt_source_new(opts, inner, what, err):
 * A source yielding the plaintext of the OpenPGP message read from
 * ${inner} (borrowed; only read from the caller's thread).  ${what} names
 * the data in errors (copied).  Only ${opts}' passphrase, sign key, engine
 * and agent fields matter.  End of stream is reported only after gpg has
 * checked the whole message: corruption or truncation makes the last read
 * fail, after earlier reads have returned unverified plaintext, so callers
 * must treat that failure as fatal.  When ${opts}->sign_key is set, the end
 * of stream also requires a good signature by that key, compared on the
 * shorter of the two key ids as duplicity compares GOODSIG.  Errors:
 * E_GPG_FAILED (bad passphrase, no secret key, not OpenPGP, corrupt or
 * truncated data), E_UNSIGNED_VOLUME (signature missing, bad or by
 * another key); a failure of ${inner} is passed up unchanged.
 */
struct source *gpg_decrypt_source_new(const struct gpg_options *,
    struct source *, const char *, struct dupc_err *);

#endif
