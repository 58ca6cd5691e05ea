/*
 * The encrypting sink: what duplicity's GPGWriteFile gets from
 * "gpg --symmetric" or "gpg --encrypt [--sign]" (duplicity/gpg.py), made
 * by gpgme_op_encrypt_ext() on a worker thread (gpg_job.c).  sink_write
 * hands the caller's bytes to gpg and passes whatever ciphertext gpg has
 * ready to the next stage, both from the caller's thread; sink_finish sends
 * end of data and drains the rest.  Recipients and the signing key are
 * resolved before the worker starts, so a missing key fails early.
 *
 * dupc's own packets (conf.wrap) with a passphrase are encrypted by
 * pgp_seal.c (libgcrypt), and what else RNP can write
 * (gpg_rnp_can_encrypt: symmetric, or to public keys, unsigned) by RNP,
 * both in the process on an async worker: the caller's bytes go into the
 * job's ring and sink_write returns, and the worker passes the ciphertext
 * to the next stage itself (async_out), so encryption runs beside
 * whatever produces the data instead of taking turns with it.  The rest
 * is written by gpg.
 */
#include "codec/gpg.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "codec/gpg_internal.h"
#include "codec/pgp_seal.h"
#include "util/err.h"
#include "util/stream.h"

enum gpg_sink_state {
	GS_OPEN = 0,
	GS_DONE,
	GS_FAILED,
};

/*
 * Invariants: ctx uses conf and pass, so both live as long as it; job is
 * running exactly while state is GS_OPEN; next is only used from the
 * caller's thread.
 */
struct gpg_sink {
	struct sink base;
	struct sink *next;
	enum gpg_sink_state state;
	struct gpg_conf conf;
	struct gpg_pass pass;
	gpgme_ctx_t ctx;      /* NULL when RNP or pgp_seal encrypts */
	struct gpg_rnp *rnp;  /* NULL when gpg or pgp_seal encrypts */
	bool seal;            /* pgp_seal.c encrypts, on the worker */
	struct dupc_err serr; /* why it failed (the worker's, until joined) */
	struct gpg_job job;
	struct gpg_packet_guard guard;
	/* bytes written in (caller's thread), and ciphertext passed to next
	 * (by the worker when async) */
	uint64_t bytes_in;
	_Atomic uint64_t bytes_out;
	/*
	 * Async (pgp_seal, RNP): next and guard belong to the worker until
	 * the job is joined; a failure of next is kept in werr, read after
	 * the join.
	 */
	bool async;
	bool wfailed;
	struct dupc_err werr;
};

/* Runs on the worker thread. */
static gpgme_error_t
enc_run(gpgme_ctx_t ctx, gpgme_data_t in, gpgme_data_t out, void *arg)
{
	const struct gpg_conf *c = arg;
	gpgme_encrypt_flags_t flags = c->flags;

	if (c->symmetric)
		flags |= GPGME_ENCRYPT_SYMMETRIC;
	if (c->sign_key != NULL)
		return gpgme_op_encrypt_sign_ext(ctx, NULL, c->recpstring,
		    flags, in, out);
	return gpgme_op_encrypt_ext(ctx, NULL, c->recpstring, flags, in, out);
}

/* Stop for good: the worker is aborted and joined, gpg left to exit. */
static int
sink_fail(struct gpg_sink *g)
{
	g->state = GS_FAILED;
	gpg_job_release(&g->job);
	return -1;
}

static int
guard_error(enum gpg_packet_verdict v, struct dupc_err *err)
{
	return err_set(err, E_GPG_FAILED,
	    "gpg: gpg wrote %s, which duplicity and GnuPG 2.2 cannot read or trust (use a GnuPG 2.2 via --gpg-binary, or check gpg.conf)",
	    gpg_packet_verdict_text(v));
}

/* Describe why gpg failed, from what gpgme and the callback recorded. */
static int
enc_error(struct gpg_sink *g, gpgme_error_t ge, struct dupc_err *err)
{
	gpgme_encrypt_result_t er;
	gpgme_sign_result_t sr = NULL;
	const char *key = g->conf.sign_key;
	char msg[128];

	if (g->seal) {
		*err = g->serr;
		return -1;
	}
	if (g->rnp != NULL)
		return gpg_rnp_enc_error(g->rnp, ge, err);
	er = gpgme_op_encrypt_result(g->ctx);
	if (key != NULL)
		sr = gpgme_op_sign_result(g->ctx);
	gpg_log_diag(g->ctx);
	if (g->pass.missing && g->pass.key_asked)
		return err_set(err, E_GPG_FAILED,
		    "gpg: signing key %s needs a passphrase (set SIGN_PASSPHRASE or PASSPHRASE)",
		    key);
	if (g->pass.missing)
		return err_set(err, E_GPG_FAILED,
		    "gpg: symmetric encryption needs a passphrase (set PASSPHRASE)");
	if (key != NULL &&
	    (g->pass.bad || gpgme_err_code(ge) == GPG_ERR_BAD_PASSPHRASE))
		return err_set(err, E_GPG_FAILED,
		    "gpg: bad passphrase for signing key %s (check SIGN_PASSPHRASE)",
		    key);
	if (er != NULL && er->invalid_recipients != NULL)
		return err_set(err, E_GPG_FAILED,
		    "gpg: public key %s cannot be used: %s (check --encrypt-key and the key's trust)",
		    er->invalid_recipients->fpr,
		    gpg_errtext(er->invalid_recipients->reason, msg,
			sizeof(msg)));
	if (sr != NULL && sr->invalid_signers != NULL)
		return err_set(err, E_GPG_FAILED,
		    "gpg: cannot sign with key %s: %s (check --sign-key)", key,
		    gpg_errtext(sr->invalid_signers->reason, msg, sizeof(msg)));
	return err_set(err, E_GPG_FAILED, "gpg: encryption failed: %s",
	    gpg_errtext(ge, msg, sizeof(msg)));
}

/* The worker ended: report why (called when it ends too early). */
static int
sink_ended(struct gpg_sink *g, struct dupc_err *err)
{
	gpgme_error_t ge = gpg_job_join(&g->job);

	if (g->wfailed)
		*err = g->werr;
	else if (ge != 0)
		enc_error(g, ge, err);
	else
		err_set(err, E_GPG_FAILED,
		    "gpg: gpg stopped reading before the end of the data");
	return sink_fail(g);
}

/* Pass ciphertext on to the next stage. */
static int
pass_on(struct gpg_sink *g, const void *p, size_t n, struct dupc_err *err)
{
	enum gpg_packet_verdict v;

	if (!g->conf.armor) {
		v = gpg_packet_guard_feed(&g->guard, p, n);
		if (v != GPG_PACKET_PENDING && v != GPG_PACKET_OK)
			return guard_error(v, err);
	}
	if (sink_write(g->next, p, n, err) < 0)
		return -1;
	atomic_fetch_add(&g->bytes_out, n);
	return 0;
}

/* Pass ciphertext gpg wrote on, and tell the worker it was taken. */
static int
sink_forward(struct gpg_sink *g, const struct gpg_req *r, struct dupc_err *err)
{
	if (pass_on(g, r->buf, r->len, err) < 0)
		return -1;
	gpg_job_reply(&g->job, (ssize_t)r->len);
	return 0;
}

/* Async: runs on the worker with each piece of RNP's output. */
static int
async_out(void *arg, const void *p, size_t n)
{
	struct gpg_sink *g = arg;

	if (pass_on(g, p, n, &g->werr) < 0) {
		g->wfailed = true;
		return -1;
	}
	return 0;
}

/*
 * Passphrase encryption of dupc's own packets (conf.wrap) by pgp_seal.c
 * on the worker: the job's input through a seal sink whose output is
 * passed on as async_out passes RNP's, a failure of the next stage
 * reaching serr unchanged through the seal sink.
 */
struct seal_out {
	struct sink base;
	struct gpg_sink *g;
};

static int
seal_out_write(struct sink *s, const void *p, size_t n, struct dupc_err *err)
{
	return pass_on(((struct seal_out *)s)->g, p, n, err);
}

static const struct sink_ops seal_out_ops = { seal_out_write, NULL, NULL };

#define SEAL_READ (64u << 10)

static unsigned
seal_run(struct gpg_job *job, void *arg)
{
	struct gpg_sink *g = arg;
	struct seal_out out = { { &seal_out_ops }, g };
	unsigned char *buf = malloc(SEAL_READ);
	struct sink *s = NULL;
	unsigned rc = 1;
	ssize_t n;

	if (buf == NULL) {
		err_set(&g->serr, E_GENERIC, "out of memory");
		goto out;
	}
	s = pgp_seal_sink_new(g->conf.passphrase, &out.base, &g->serr);
	if (s == NULL)
		goto out;
	while ((n = gpg_job_read(job, buf, SEAL_READ)) > 0)
		if (sink_write(s, buf, (size_t)n, &g->serr) < 0)
			goto out;
	if (n < 0) {
		err_set(&g->serr, E_GPG_FAILED, "gpg: encryption stopped");
		goto out;
	}
	if (sink_finish(s, &g->serr) == 0)
		rc = 0;
out:
	sink_free(s);
	free(buf);
	return rc;
}

static int
sink_state_error(const struct gpg_sink *g, struct dupc_err *err)
{
	return err_set(err, E_GPG_FAILED,
	    "gpg: encrypted stream used after it %s",
	    g->state == GS_DONE ? "was finished" : "failed");
}

static int
gpg_sink_write(struct sink *s, const void *p, size_t n, struct dupc_err *err)
{
	struct gpg_sink *g = (struct gpg_sink *)s;
	const uint8_t *c = p;
	struct gpg_req r;

	if (g->state != GS_OPEN)
		return sink_state_error(g, err);
	if (g->async) {
		if (gpg_job_put(&g->job, p, n) < 0)
			return sink_ended(g, err);
		g->bytes_in += n;
		return 0;
	}
	while (n > 0) {
		gpg_job_next(&g->job, &r);
		if (r.kind == GPG_REQ_READ) {
			size_t k = r.len < n ? r.len : n;

			memcpy(r.buf, c, k);
			g->bytes_in += k;
			gpg_job_reply(&g->job, (ssize_t)k);
			c += k;
			n -= k;
		} else if (r.kind == GPG_REQ_WRITE) {
			if (sink_forward(g, &r, err) < 0)
				return sink_fail(g);
		} else {
			return sink_ended(g, err);
		}
	}
	return 0;
}

static int
gpg_sink_finish(struct sink *s, struct dupc_err *err)
{
	struct gpg_sink *g = (struct gpg_sink *)s;
	enum gpg_packet_verdict v;
	struct gpg_req r;
	gpgme_error_t ge;

	if (g->state != GS_OPEN)
		return sink_state_error(g, err);
	if (g->async)
		gpg_job_end_input(&g->job);
	for (gpg_job_next(&g->job, &r); !g->async && r.kind != GPG_REQ_DONE;
	     gpg_job_next(&g->job, &r)) {
		if (r.kind == GPG_REQ_READ)
			gpg_job_reply(&g->job, 0); /* end of data */
		else if (sink_forward(g, &r, err) < 0)
			return sink_fail(g);
	}
	if ((ge = gpg_job_join(&g->job)) != 0 || g->wfailed) {
		if (g->wfailed)
			*err = g->werr;
		else
			enc_error(g, ge, err);
		return sink_fail(g);
	}
	if (!g->conf.armor &&
	    (v = gpg_packet_guard_end(&g->guard)) != GPG_PACKET_OK) {
		guard_error(v, err);
		return sink_fail(g);
	}
	g->state = GS_DONE;
	gpg_job_release(&g->job);
	return sink_finish(g->next, err);
}

static void
gpg_sink_free(struct sink *s)
{
	struct gpg_sink *g = (struct gpg_sink *)s;

	gpg_job_release(&g->job);
	gpg_rnp_free(g->rnp);
	if (g->ctx != NULL)
		gpgme_release(g->ctx);
	gpg_conf_release(&g->conf);
	free(g);
}

/* The sink's ops, named here so gpg_encrypt_sink_stored can check. */
static const struct sink_ops gpg_sink_ops;

uint64_t
gpg_encrypt_sink_stored(const struct sink *s)
{
	const struct gpg_sink *g = (const struct gpg_sink *)s;
	uint64_t out;

	if (s == NULL || s->ops != &gpg_sink_ops)
		return 0;
	out = atomic_load(&g->bytes_out);
	return g->bytes_in > out ? g->bytes_in : out;
}

static const struct sink_ops gpg_sink_ops = {
	.write = gpg_sink_write,
	.finish = gpg_sink_finish,
	.free = gpg_sink_free,
};

/* Fail now, with a clear message, if gpg would not find a recipient. */
static int
check_recipient(gpgme_ctx_t ctx, const char *name, bool hidden,
    struct dupc_err *err)
{
	const char *opt = hidden ? "--hidden-encrypt-key" : "--encrypt-key";
	bool found = false, usable = false;
	gpgme_error_t ge;
	gpgme_key_t key;
	char msg[128];

	if ((ge = gpgme_op_keylist_start(ctx, name, 0)) != 0)
		return err_set(err, E_GPG_FAILED,
		    "gpg: cannot look up public key '%s': %s", name,
		    gpg_errtext(ge, msg, sizeof(msg)));
	while (!usable && (ge = gpgme_op_keylist_next(ctx, &key)) == 0) {
		found = true;
		usable = key->can_encrypt && !key->revoked && !key->expired &&
			 !key->disabled && !key->invalid;
		gpgme_key_unref(key);
	}
	gpgme_op_keylist_end(ctx);
	if (!found && gpgme_err_code(ge) != GPG_ERR_EOF)
		return err_set(err, E_GPG_FAILED,
		    "gpg: cannot look up public key '%s': %s", name,
		    gpg_errtext(ge, msg, sizeof(msg)));
	if (!found)
		return err_set(err, E_GPG_FAILED,
		    "gpg: public key '%s' not found (import it or check %s)",
		    name, opt);
	if (!usable)
		return err_set(err, E_GPG_FAILED,
		    "gpg: public key '%s' cannot encrypt (expired, revoked or disabled; check %s)",
		    name, opt);
	return 0;
}

static int
check_recipients(gpgme_ctx_t ctx, const struct gpg_options *o,
    struct dupc_err *err)
{
	size_t i;

	for (i = 0; i < o->nrecipients; i++)
		if (check_recipient(ctx, o->recipients[i], false, err) < 0)
			return -1;
	for (i = 0; i < o->nhidden; i++)
		if (check_recipient(ctx, o->hidden[i], true, err) < 0)
			return -1;
	return 0;
}

/* Sign with --sign-key, as duplicity's --default-key does. */
static int
add_signer(gpgme_ctx_t ctx, const char *keyid, struct dupc_err *err)
{
	gpgme_key_t key = NULL;
	gpgme_error_t ge;
	char msg[128];
	int rc = -1;

	ge = gpgme_get_key(ctx, keyid, &key, 1);
	if (gpgme_err_code(ge) == GPG_ERR_EOF) {
		err_set(err, E_GPG_FAILED,
		    "gpg: secret key %s not found (import it or check --sign-key)",
		    keyid);
		goto out;
	}
	if (gpgme_err_code(ge) == GPG_ERR_AMBIGUOUS_NAME) {
		err_set(err, E_GPG_FAILED,
		    "gpg: --sign-key %s matches several keys (give the whole fingerprint)",
		    keyid);
		goto out;
	}
	if (ge != 0) {
		err_set(err, E_GPG_FAILED, "gpg: cannot look up key %s: %s",
		    keyid, gpg_errtext(ge, msg, sizeof(msg)));
		goto out;
	}
	if (!key->can_sign || key->revoked || key->expired || key->disabled ||
	    key->invalid) {
		err_set(err, E_GPG_FAILED,
		    "gpg: key %s cannot sign (expired, revoked or without a signing subkey; check --sign-key)",
		    keyid);
		goto out;
	}
	if ((ge = gpgme_signers_add(ctx, key)) != 0) {
		err_set(err, E_GPG_FAILED, "gpg: cannot sign with key %s: %s",
		    keyid, gpg_errtext(ge, msg, sizeof(msg)));
		goto out;
	}
	rc = 0;
out:
	gpgme_key_unref(key);
	return rc;
}

struct sink *
gpg_encrypt_sink_new(const struct gpg_options *o, struct sink *next,
    struct dupc_err *err)
{
	struct gpg_sink *g;

	if ((g = calloc(1, sizeof(*g))) == NULL) {
		err_errno(err, E_GENERIC, "gpg");
		goto err0;
	}
	if (gpg_conf_init(&g->conf, o, true, err) < 0)
		goto err1;
	if (g->conf.symmetric && !g->conf.use_agent &&
	    g->conf.passphrase == NULL) {
		err_set(err, E_GPG_FAILED,
		    "gpg: symmetric encryption needs a passphrase (set PASSPHRASE)");
		goto err2;
	}
	gpg_packet_guard_init(&g->guard);
	if (g->conf.symmetric && g->conf.wrap &&
	    gpg_rnp_can_encrypt(&g->conf) && pgp_seal_available()) {
		g->async = g->seal = true;
		if (gpg_job_start_async(&g->job, seal_run, g, async_out, g,
			err) < 0)
			goto err2;
		goto done;
	}
	if (gpg_rnp_can_encrypt(&g->conf)) {
		if ((g->rnp = gpg_rnp_new(&g->conf, true, err)) == NULL)
			goto err2;
		g->async = true;
		if (gpg_rnp_start_encrypt(g->rnp, &g->job, async_out, g, err) <
		    0) {
			gpg_rnp_free(g->rnp);
			goto err2;
		}
		goto done;
	}
	g->pass.signing = true;
	if ((g->ctx = gpg_ctx_new(&g->conf, &g->pass, err)) == NULL)
		goto err2;
	if (check_recipients(g->ctx, o, err) < 0)
		goto err3;
	if (g->conf.sign_key && add_signer(g->ctx, g->conf.sign_key, err) < 0)
		goto err3;
	if (gpg_job_start(&g->job, g->ctx, enc_run, &g->conf, err) < 0)
		goto err3;
done:
	g->base.ops = &gpg_sink_ops;
	g->next = next;
	g->state = GS_OPEN;
	return &g->base;

err3:
	gpgme_release(g->ctx);
err2:
	gpg_conf_release(&g->conf);
err1:
	free(g);
err0:
	return NULL;
}
