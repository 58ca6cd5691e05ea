#ifndef DUPC_CODEC_GPG_H
#define DUPC_CODEC_GPG_H

/*
 * OpenPGP encryption and decryption of streams through gpgme.
 */

#include <stdbool.h>
#include <stddef.h>

struct dupc_err;
struct sink;
struct source;

struct gpg_options {
	bool symmetric;
	const char *const *recipients;
	size_t nrecipients;
	const char *const *hidden;
	size_t nhidden;
	const char *sign_key;
	const char *passphrase;
	const char *sign_passphrase;
	const char *gpg_binary;
	const char *homedir;
	const char *const *gpg_options;
	size_t ngpg_options;
	bool use_agent;
};

int gpg_options_check(const struct gpg_options *, struct dupc_err *);
struct sink *gpg_encrypt_sink_new(const struct gpg_options *, struct sink *,
    struct dupc_err *);
struct source *gpg_decrypt_source_new(const struct gpg_options *,
    struct source *, const char *, struct dupc_err *);

#endif
