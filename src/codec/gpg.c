/*
 * OpenPGP codec (replaced by the gpgme implementation).
 */
#include "codec/gpg.h"

#include "util/err.h"

int
gpg_options_check(const struct gpg_options *o, struct dupc_err *err)
{
	(void)o;
	return err_set(err, E_GPG_FAILED,
	    "encryption is not available in this build; use --no-encryption");
}

struct sink *
gpg_encrypt_sink_new(const struct gpg_options *o, struct sink *next,
    struct dupc_err *err)
{
	(void)next;
	gpg_options_check(o, err);
	return NULL;
}

struct source *
gpg_decrypt_source_new(const struct gpg_options *o, struct source *inner,
    const char *what, struct dupc_err *err)
{
	(void)inner;
	(void)what;
	gpg_options_check(o, err);
	return NULL;
}
