/*
 * Codec chains for stored files.
 */
#include "engine/pipe.h"

#include <stdio.h>
#include <string.h>

#include "codec/gpg.h"
#include "codec/gzip.h"
#include "codec/pgp.h"
#include "codec/tee.h"
#include "engine/engine.h"
#include "util/err.h"
#include "util/stream.h"
#include "util/tempfile.h"

/*
 * The DEFLATE level of volumes and signature files without
 * --compress-level.  duplicity's gzip and gpg use zlib's level 6; dupc
 * compresses with libdeflate, whose level 3 comes within about 1 % of
 * zlib's level 6 on the benchmark's data (2 % on C headers and
 * documentation) for about two thirds of level 6's CPU: the archive stays
 * the size users know, and the backup is faster (bench/NOTES.md).
 */
#define DEFAULT_COMPRESS_LEVEL 3

static int
compress_level(const struct dupc_opts *o)
{
	return o->compress_level > 0 ? o->compress_level
				     : DEFAULT_COMPRESS_LEVEL;
}

enum name_suffix
pipe_suffix(const struct dupc_opts *o, enum remote_kind kind)
{
	if (o->encrypt)
		return SUFFIX_GPG;
	if (kind == RK_MANIFEST || !o->compress)
		return SUFFIX_NONE;
	return SUFFIX_GZ;
}

/* The GnuPG settings of a run, as the codec wants them. */
static void
gpg_opts(const struct dupc_opts *o, struct gpg_options *g)
{
	memset(g, 0, sizeof(*g));
	g->symmetric = o->nencrypt_keys == 0 && o->nhidden_keys == 0;
	g->recipients = o->encrypt_keys;
	g->nrecipients = o->nencrypt_keys;
	g->hidden = o->hidden_keys;
	g->nhidden = o->nhidden_keys;
	g->sign_key = o->sign_key;
	g->passphrase = o->passphrase;
	g->sign_passphrase = o->sign_passphrase;
	g->gpg_binary = o->gpg_binary;
	g->gpg_options = o->gpg_options;
	g->ngpg_options = o->ngpg_options;
	g->use_agent = o->use_agent;
}

static int
open_chain(struct wpipe *p, const struct dupc_opts *o, enum name_suffix suffix,
    int fd, struct dupc_err *err)
{
	char what[256];

	memset(p, 0, sizeof(*p));
	snprintf(what, sizeof(what), "a temporary file in %s",
	    tempdir_path() ? tempdir_path() : "the temporary directory");
	p->file = fd_sink_new(fd, what);
	if (p->file == NULL)
		goto nomem;
	p->tee = tee_sink_new(p->file, DIGEST_SHA1, err);
	if (p->tee == NULL)
		goto fail;
	p->head = p->tee;
	if (suffix == SUFFIX_GZ) {
		p->codec = gzip_sink_new(p->tee, compress_level(o), err);
		if (p->codec == NULL)
			goto fail;
		p->head = p->codec;
		p->gz = true;
	} else if (suffix == SUFFIX_GPG) {
		struct gpg_options g;

		gpg_opts(o, &g);
		/* unsigned data: dupc compresses on every CPU and the
		 * encryption only encrypts (manifests too: then with
		 * PASSPHRASE every file of a set shares one key derivation);
		 * signing needs gpg to see a literal packet */
		g.wrap = o->sign_key == NULL;
		p->codec = gpg_encrypt_sink_new(&g, p->tee, err);
		if (p->codec == NULL)
			goto fail;
		p->head = p->codec;
		if (g.wrap) {
			p->inner = pgp_literal_sink_new(p->codec,
			    compress_level(o), err);
			if (p->inner == NULL)
				goto fail;
			p->head = p->inner;
		}
	}
	return 0;
nomem:
	err_set(err, E_GENERIC, "out of memory");
fail:
	wpipe_release(p);
	return -1;
}

int
wpipe_open_suffix(struct wpipe *p, const struct dupc_opts *o,
    enum name_suffix suffix, int fd, struct dupc_err *err)
{
	return open_chain(p, o, suffix, fd, err);
}

int
wpipe_open(struct wpipe *p, const struct dupc_opts *o, enum remote_kind kind,
    int fd, struct dupc_err *err)
{
	return open_chain(p, o, pipe_suffix(o, kind), fd, err);
}

int
wpipe_finish(struct wpipe *p, uint64_t *size, char *sha1, struct dupc_err *err)
{
	if (sink_finish(p->head, err) < 0)
		return -1;
	if (size != NULL)
		*size = tee_bytes(p->tee);
	if (sha1 != NULL)
		tee_hex(p->tee, sha1);
	return 0;
}

uint64_t
wpipe_stored(const struct wpipe *p)
{
	/* what the encryption still holds counts too; the tee is not read
	 * here, as the encryption's worker may be writing through it */
	if (p->inner != NULL)
		return gpg_encrypt_sink_stored(p->codec) +
		       pgp_literal_sink_pending(p->inner);
	if (!p->gz)
		return p->codec != NULL ? gpg_encrypt_sink_stored(p->codec)
					: tee_bytes(p->tee);
	return tee_bytes(p->tee) + gzip_sink_pending(p->codec);
}

int
wpipe_sync(struct wpipe *p, struct dupc_err *err)
{
	if (p->inner != NULL)
		return pgp_literal_sink_sync(p->inner, err);
	return p->gz ? gzip_sink_sync(p->codec, err) : 0;
}

void
wpipe_release(struct wpipe *p)
{
	sink_free(p->inner);
	sink_free(p->codec);
	sink_free(p->tee);
	sink_free(p->file);
	memset(p, 0, sizeof(*p));
}

int
rpipe_open(struct rpipe *p, const struct dupc_opts *o, const char *name, int fd,
    struct dupc_err *err)
{
	struct name_info ni;
	size_t n = strlen(name);
	bool gpg, gz;

	memset(p, 0, sizeof(*p));
	if (names_parse(name, &o->pfx, &ni)) {
		gpg = ni.encrypted;
		gz = ni.compressed;
	} else {
		gpg = n > 4 && strcmp(name + n - 4, ".gpg") == 0;
		gz = n > 3 && strcmp(name + n - 3, ".gz") == 0;
	}
	p->file = fd_source_new(fd, name);
	if (p->file == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	p->head = p->file;
	if (gpg) {
		struct gpg_options g;

		gpg_opts(o, &g);
		p->codec = gpg_decrypt_source_new(&g, p->file, name, err);
	} else if (gz) {
		p->codec = gunzip_source_new(p->file, name, err);
	} else {
		return 0;
	}
	if (p->codec == NULL) {
		rpipe_release(p);
		return -1;
	}
	p->head = p->codec;
	return 0;
}

void
rpipe_release(struct rpipe *p)
{
	source_free(p->codec);
	source_free(p->file);
	memset(p, 0, sizeof(*p));
}
