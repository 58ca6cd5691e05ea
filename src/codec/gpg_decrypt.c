/*
 * The decrypting source: what duplicity's GPGFile reads from
 * "gpg --decrypt" (duplicity/gpg.py), made by gpgme on a worker thread
 * (gpg_job.c).  source_read serves gpg's requests from the caller's thread:
 * ciphertext is read from the inner source straight into gpgme's buffer,
 * and plaintext is copied from gpgme's buffer into the caller's.  End of
 * stream is returned only once gpg has finished and found the whole
 * message sound, and, with --sign-key, signed by that key: duplicity
 * checks the GOODSIG status line when the volume is closed
 * (dup_main.py restore_add_sig_check) and fails with unsigned_volume.
 *
 * The first packets are read before anything starts: a message with
 * passphrase session keys only, then integrity-protected data, is
 * decrypted by RNP in the process (gpg_rnp.c) when no signature is to be
 * checked; anything else (secret keys, signatures, old or odd formats)
 * by gpg.  Those first bytes are then fed to the chosen engine ahead of
 * the rest of the inner source.
 */
#include "codec/gpg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/gpg_internal.h"
#include "codec/pgp_open.h"
#include "codec/pgp_seal.h"
#include "util/err.h"
#include "util/stream.h"

enum gpg_source_state {
	GS_OPEN = 0,
	GS_DONE,
	GS_FAILED,
};

/*
 * Invariants: ctx uses conf and pass, so both live as long as it; job is
 * running exactly while state is GS_OPEN; when npend > 0, a WRITE request
 * of pend_len bytes is pending and its last npend bytes, at pend, are not
 * yet returned.
 */
/* Enough for the session key packets of any message dupc or gpg write. */
#define GPG_HEAD_MAX 8192

struct gpg_source {
	struct source base;
	struct source *inner;
	enum gpg_source_state state;
	struct gpg_conf conf;
	struct gpg_pass pass;
	gpgme_ctx_t ctx;     /* NULL when RNP or pgp_open decrypts */
	struct gpg_rnp *rnp; /* NULL when gpg or pgp_open decrypts */
	struct source *open; /* pgp_open.c's reader, for dupc's own messages */
	struct gpg_job job;
	/* the first bytes of the inner source, read to choose the engine */
	uint8_t head[GPG_HEAD_MAX];
	size_t nhead, head_off;
	const uint8_t *pend;
	size_t npend;
	size_t pend_len;
	char what[256];
};

/* Runs on the worker thread. */
static gpgme_error_t
dec_run(gpgme_ctx_t ctx, gpgme_data_t in, gpgme_data_t out, void *arg)
{
	const struct gpg_conf *c = arg;

	if (c->sign_key != NULL)
		return gpgme_op_decrypt_verify(ctx, in, out);
	return gpgme_op_decrypt(ctx, in, out);
}

static int
source_fail(struct gpg_source *g)
{
	g->state = GS_FAILED;
	g->npend = 0;
	gpg_job_release(&g->job);
	return -1;
}

/* True when every key the data is encrypted to lacks a secret key. */
static bool
no_secret_key(gpgme_decrypt_result_t dr, char *ids, size_t size)
{
	gpgme_recipient_t r;
	size_t used = 0;
	bool any = false;

	ids[0] = '\0';
	for (r = dr != NULL ? dr->recipients : NULL; r != NULL; r = r->next) {
		if (gpgme_err_code(r->status) != GPG_ERR_NO_SECKEY)
			return false;
		any = true;
		if (used < size)
			used +=
			    (size_t)snprintf(ids + used, size - used, "%s%s",
				used ? ", " : "", r->keyid ? r->keyid : "?");
	}
	return any;
}

/* Describe why gpg failed, from what gpgme and the callback recorded. */
static int
dec_error(struct gpg_source *g, gpgme_error_t ge, struct dupc_err *err)
{
	gpgme_decrypt_result_t dr;
	int code = gpgme_err_code(ge);
	char msg[128], ids[160];
	bool started;

	if (g->rnp != NULL)
		return gpg_rnp_dec_error(g->rnp, ge, g->what, err);
	dr = gpgme_op_decrypt_result(g->ctx);
	/* gpg got as far as the session key: the message itself is bad */
	started = g->pass.sym_asked || g->pass.key_asked ||
		  (dr != NULL && dr->recipients != NULL);
	gpg_log_diag(g->ctx);
	if (g->pass.missing)
		return err_set(err, E_GPG_FAILED,
		    "gpg: %s needs a passphrase (set PASSPHRASE)", g->what);
	if ((g->pass.bad || code == GPG_ERR_BAD_PASSPHRASE) &&
	    g->pass.key_asked)
		return err_set(err, E_GPG_FAILED,
		    "gpg: bad passphrase for secret key %s to decrypt %s (check PASSPHRASE)",
		    g->pass.keyid, g->what);
	if (g->pass.bad || code == GPG_ERR_BAD_PASSPHRASE)
		return err_set(err, E_GPG_FAILED,
		    "gpg: bad passphrase for %s (check PASSPHRASE)", g->what);
	if (code == GPG_ERR_NO_DATA && !started)
		return err_set(err, E_GPG_FAILED,
		    "gpg: %s is not valid OpenPGP data (corrupted volume?)",
		    g->what);
	if (no_secret_key(dr, ids, sizeof(ids)) || code == GPG_ERR_NO_SECKEY)
		return err_set(err, E_GPG_FAILED,
		    "gpg: no secret key to decrypt %s (encrypted to %s; import the secret key into the GnuPG home dupc uses, GNUPGHOME)",
		    g->what, ids[0] ? ids : "an unknown key");
	if (dr != NULL && dr->legacy_cipher_nomdc)
		return err_set(err, E_GPG_FAILED,
		    "gpg: %s has no integrity protection (MDC); to read it anyway, pass --gpg-options=--ignore-mdc-error",
		    g->what);
	if (dr != NULL && dr->unsupported_algorithm != NULL)
		return err_set(err, E_GPG_FAILED,
		    "gpg: %s uses algorithm %s, which this gpg cannot decrypt",
		    g->what, dr->unsupported_algorithm);
	if (code == GPG_ERR_NO_DATA)
		return err_set(err, E_GPG_FAILED,
		    "gpg: cannot decrypt %s: the encrypted data is damaged or cut short (corrupted or truncated volume?)",
		    g->what);
	return err_set(err, E_GPG_FAILED,
	    "gpg: cannot decrypt %s: %s (corrupted or truncated volume?)",
	    g->what, gpg_errtext(ge, msg, sizeof(msg)));
}

/*
 * Whether ${sig} was made by the wanted key: its own key id, as duplicity
 * compares, or the primary key owning the signing subkey.
 */
static bool
sig_by(gpgme_ctx_t ctx, gpgme_signature_t sig, const char *want)
{
	gpgme_key_t key = NULL;
	bool match;

	if (gpg_keyid_match(want, sig->fpr))
		return true;
	if (gpgme_get_key(ctx, sig->fpr, &key, 0) != 0)
		return false;
	match = key->fpr != NULL && gpg_keyid_match(want, key->fpr);
	gpgme_key_unref(key);
	return match;
}

static int
sig_error(struct gpg_source *g, gpgme_signature_t sig, struct dupc_err *err)
{
	char msg[128];

	switch (gpgme_err_code(sig->status)) {
	case GPG_ERR_NO_PUBKEY:
		return err_set(err, E_UNSIGNED_VOLUME,
		    "gpg: cannot check the signature on %s: no public key %s (import the signing key)",
		    g->what, sig->fpr);
	case GPG_ERR_BAD_SIGNATURE:
		return err_set(err, E_UNSIGNED_VOLUME,
		    "gpg: bad signature by key %s on %s (corrupted or tampered volume?)",
		    sig->fpr, g->what);
	default:
		return err_set(err, E_UNSIGNED_VOLUME,
		    "gpg: signature by key %s on %s is not good: %s", sig->fpr,
		    g->what, gpg_errtext(sig->status, msg, sizeof(msg)));
	}
}

static int
check_signature(struct gpg_source *g, struct dupc_err *err)
{
	gpgme_verify_result_t vr = gpgme_op_verify_result(g->ctx);
	const char *want = g->conf.sign_key;
	gpgme_signature_t sig, other = NULL;

	for (sig = vr != NULL ? vr->signatures : NULL; sig; sig = sig->next) {
		if (sig->fpr == NULL || !sig_by(g->ctx, sig, want)) {
			if (other == NULL && sig->fpr != NULL)
				other = sig;
			continue;
		}
		if (gpgme_err_code(sig->status) == GPG_ERR_NO_ERROR)
			return 0;
		return sig_error(g, sig, err);
	}
	if (other != NULL && gpgme_err_code(other->status) == GPG_ERR_NO_PUBKEY)
		return sig_error(g, other, err);
	if (other != NULL)
		return err_set(err, E_UNSIGNED_VOLUME,
		    "gpg: %s was signed by key %s, not %s (check --sign-key)",
		    g->what, other->fpr, want);
	return err_set(err, E_UNSIGNED_VOLUME,
	    "gpg: %s is not signed (expected a signature by key %s)", g->what,
	    want);
}

/* The worker ended: the end of stream, if all went well. */
static int
source_end(struct gpg_source *g, struct dupc_err *err)
{
	gpgme_error_t ge = gpg_job_join(&g->job);

	if (ge != 0) {
		dec_error(g, ge, err);
		return source_fail(g);
	}
	if (g->conf.sign_key != NULL && check_signature(g, err) < 0)
		return source_fail(g);
	g->state = GS_DONE;
	gpg_job_release(&g->job);
	return 0;
}

static int
gpg_source_read(struct source *s, void *p, size_t cap, size_t *got,
    struct dupc_err *err)
{
	struct gpg_source *g = (struct gpg_source *)s;
	struct gpg_req r;
	size_t n;

	*got = 0;
	if (g->state == GS_FAILED)
		return err_set(err, E_GPG_FAILED,
		    "gpg: %s: decrypted stream used after it failed", g->what);
	if (g->state == GS_DONE || cap == 0)
		return 0;
	if (g->open != NULL) {
		if (source_read(g->open, p, cap, got, err) < 0)
			g->state = GS_FAILED;
		else if (*got == 0)
			g->state = GS_DONE;
		return g->state == GS_FAILED ? -1 : 0;
	}
	while (g->npend == 0) {
		gpg_job_next(&g->job, &r);
		if (r.kind == GPG_REQ_DONE)
			return source_end(g, err);
		if (r.kind == GPG_REQ_WRITE) {
			g->pend = r.buf;
			g->npend = g->pend_len = r.len;
			continue;
		}
		if (g->head_off < g->nhead) {
			n = g->nhead - g->head_off;
			n = n < r.len ? n : r.len;
			memcpy(r.buf, g->head + g->head_off, n);
			g->head_off += n;
		} else if (source_read(g->inner, r.buf, r.len, &n, err) < 0) {
			return source_fail(g);
		}
		gpg_job_reply(&g->job, (ssize_t)n);
	}
	n = g->npend < cap ? g->npend : cap;
	memcpy(p, g->pend, n);
	g->pend += n;
	g->npend -= n;
	if (g->npend == 0)
		gpg_job_reply(&g->job, (ssize_t)g->pend_len);
	*got = n;
	return 0;
}

static void
gpg_source_free(struct source *s)
{
	struct gpg_source *g = (struct gpg_source *)s;

	source_free(g->open);
	gpg_job_release(&g->job);
	gpg_rnp_free(g->rnp);
	if (g->ctx != NULL)
		gpgme_release(g->ctx);
	gpg_conf_release(&g->conf);
	free(g);
}

/*
 * Read the first packets of the message into head[], until their kind is
 * known or the buffer is full; ${guard} says what they are.
 */
static int
read_head(struct gpg_source *g, struct gpg_packet_guard *guard,
    struct dupc_err *err)
{
	size_t n;

	gpg_packet_guard_init(guard);
	while (g->nhead < sizeof(g->head)) {
		if (source_read(g->inner, g->head + g->nhead,
			sizeof(g->head) - g->nhead, &n, err) < 0)
			return -1;
		if (n == 0)
			break;
		if (gpg_packet_guard_feed(guard, g->head + g->nhead, n) !=
		    GPG_PACKET_PENDING) {
			g->nhead += n;
			return 0;
		}
		g->nhead += n;
	}
	gpg_packet_guard_end(guard);
	return 0;
}

/* Start the engine that can read the message. */
static int
start_engine(struct gpg_source *g, struct dupc_err *err)
{
	struct gpg_packet_guard guard;

	if (read_head(g, &guard, err) < 0)
		return -1;
	if (gpg_rnp_can_decrypt(&g->conf, &guard) &&
	    pgp_open_matches(g->head, g->nhead) && pgp_seal_available()) {
		g->open = pgp_open_source_new(g->conf.passphrase, g->head,
		    g->nhead, g->inner, g->what, err);
		return g->open != NULL ? 0 : -1;
	}
	if (gpg_rnp_can_decrypt(&g->conf, &guard)) {
		if ((g->rnp = gpg_rnp_new(&g->conf, false, err)) == NULL)
			return -1;
		return gpg_rnp_start_decrypt(g->rnp, &g->job, err);
	}
	if ((g->ctx = gpg_ctx_new(&g->conf, &g->pass, err)) == NULL)
		return -1;
	return gpg_job_start(&g->job, g->ctx, dec_run, &g->conf, err);
}

static const struct source_ops gpg_source_ops = {
	.read = gpg_source_read,
	.rewind = NULL,
	.free = gpg_source_free,
};

struct source *
gpg_decrypt_source_new(const struct gpg_options *o, struct source *inner,
    const char *what, struct dupc_err *err)
{
	struct gpg_source *g;

	if ((g = calloc(1, sizeof(*g))) == NULL) {
		err_errno(err, E_GENERIC, "gpg");
		goto err0;
	}
	if (gpg_conf_init(&g->conf, o, false, err) < 0)
		goto err1;
	g->inner = inner;
	snprintf(g->what, sizeof(g->what), "%s", what);
	if (start_engine(g, err) < 0)
		goto err2;
	g->base.ops = &gpg_source_ops;
	g->state = GS_OPEN;
	return &g->base;

err2:
	gpg_rnp_free(g->rnp);
	if (g->ctx != NULL)
		gpgme_release(g->ctx);
	gpg_conf_release(&g->conf);
err1:
	free(g);
err0:
	return NULL;
}
