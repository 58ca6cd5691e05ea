/*
 * OpenPGP in the process, through RNP (librnp): symmetric encryption and
 * decryption, and encryption to public keys exported from the user's
 * GnuPG keyring through gpgme.  What only the user's gpg can do stays with
 * gpgme (gpg_encrypt.c, gpg_decrypt.c): secret keys held by gpg-agent
 * (decrypting public-key messages, signing, checking signatures against
 * the keyring's trust), gpg-agent's pinentry (--use-agent), armor and the
 * --gpg-options that change what gpg does.
 *
 * Why: a gpg run costs a process, a gpg-agent round trip and a key
 * derivation for each volume, signature file and manifest; here a
 * message costs one key derivation and no process.
 *
 * What RNP writes is what gpg 2.2 writes by default and reads: a version 4
 * passphrase session key packet (iterated and salted S2K) or version 3
 * public-key session key packets, then a version 1 SEIPD packet (CFB with
 * MDC), no AEAD.  The S2K is SHA-256 at the largest count RFC 4880 can
 * encode (65011712): gpg calibrates its count to 100 ms of its agent's
 * hashing and caps it at that same largest value, so a dupc message is
 * never cheaper to attack than gpg's (docs/gpg-codec.md).  Each message
 * gets its own salt and so its own key.
 *
 * RNP's operations are synchronous, pulling input and pushing output
 * through callbacks, so they run on a gpg_job worker exactly as gpgme's
 * do; the stream's thread serves the requests.
 */
#define _GNU_SOURCE
#include "codec/gpg.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rnp/rnp.h>
#include <rnp/rnp_err.h>

#include "codec/gpg_internal.h"
#include "util/err.h"

#define RNP_S2K_HASH "SHA256"
#define RNP_S2K_COUNT 65011712u
#define RNP_CIPHER "AES256"

/* Results of our own in the worker's return value (RNP's are 0x1xxxxxxx
 * and above, or small). */
#define RNP_DUPC_NO_MDC 0x7f000001u
#define RNP_DUPC_WRITE 0x7f000002u

/* --- RNP's traces --- */

/*
 * librnp as Debian builds it prints a trace line on stderr for every
 * failure it meets ("[func() file:line] mdc hash check failed"), while
 * dupc reports each failure in one line of its own.  stderr is therefore
 * replaced once (glibc lets a program assign it) by a stream that passes
 * everything through to the old one, except what RNP writes from the
 * threads running its operations, which is dropped.  Nothing else
 * changes: fd 2 stays where it was (sanitizer reports and children write
 * there directly), and every other thread's stderr output is unchanged.
 */
static _Thread_local bool rnp_thread;
static FILE *real_stderr;
static pthread_once_t quiet_once = PTHREAD_ONCE_INIT;

static ssize_t
quiet_write(void *cookie, const char *buf, size_t n)
{
	(void)cookie;
	if (rnp_thread)
		return (ssize_t)n;
	if (fwrite(buf, 1, n, real_stderr) != n)
		return -1;
	fflush(real_stderr);
	return (ssize_t)n;
}

static void
quiet_init(void)
{
	cookie_io_functions_t io = { NULL, quiet_write, NULL, NULL };
	FILE *f = fopencookie(NULL, "w", io);

	if (f == NULL)
		return;
	setvbuf(f, NULL, _IONBF, 0);
	fflush(stderr);
	real_stderr = stderr;
	stderr = f;
}

/* --- which engine --- */

bool
gpg_rnp_can_encrypt(const struct gpg_conf *c)
{
	if (c->sign_key != NULL || c->armor || c->auto_key_locate != NULL ||
	    c->auto_key_retrieve || c->trust_model != NULL)
		return false;
	if (c->symmetric)
		return c->passphrase != NULL && !c->use_agent;
	return c->recpstring != NULL;
}

bool
gpg_rnp_can_decrypt(const struct gpg_conf *c, const struct gpg_packet_guard *g)
{
	return c->passphrase != NULL && !c->use_agent && c->sign_key == NULL &&
	       g->verdict == GPG_PACKET_OK && g->npkesk == 0 && g->nskesk > 0;
}

/* --- public keys, exported from the GnuPG keyring once per run --- */

/*
 * The keys of one recipient string: fingerprints in the order RNP writes
 * their session key packets (named ones first), and the keys themselves
 * as gpg exports them.  Kept for the life of the process: they are
 * public, and every volume of a run encrypts to the same keys.
 */
struct rnp_keyset {
	char *id; /* recpstring plus flags */
	char **fpr;
	size_t nfpr;
	size_t nvisible; /* the first nvisible are named in the message */
	uint8_t *blob;
	size_t blen;
	struct rnp_keyset *next;
};

static pthread_mutex_t keys_mu = PTHREAD_MUTEX_INITIALIZER;
static struct rnp_keyset *keys_cache;

static void
keyset_free(struct rnp_keyset *k)
{
	size_t i;

	if (k == NULL)
		return;
	for (i = 0; i < k->nfpr; i++)
		free(k->fpr[i]);
	free(k->fpr);
	free(k->blob);
	free(k->id);
	free(k);
}

/* gpg's rule for --recipient in batch mode: marginal validity or more. */
static bool
key_trusted(gpgme_key_t key)
{
	gpgme_user_id_t u;

	if (key->owner_trust == GPGME_VALIDITY_ULTIMATE)
		return true;
	for (u = key->uids; u != NULL; u = u->next)
		if (!u->revoked && !u->invalid &&
		    u->validity >= GPGME_VALIDITY_MARGINAL)
			return true;
	return false;
}

/* Find the key gpg would use for ${name}; its fingerprint in *fpr. */
static int
resolve_one(gpgme_ctx_t ctx, const char *name, bool hidden, bool always,
    char **fpr, struct dupc_err *err)
{
	const char *opt = hidden ? "--hidden-encrypt-key" : "--encrypt-key";
	gpgme_key_t key, pick = NULL;
	bool found = false;
	gpgme_error_t ge;
	char msg[128];
	int rc = -1;

	if ((ge = gpgme_op_keylist_start(ctx, name, 0)) != 0)
		return err_set(err, E_GPG_FAILED,
		    "gpg: cannot look up public key '%s': %s", name,
		    gpg_errtext(ge, msg, sizeof(msg)));
	while ((ge = gpgme_op_keylist_next(ctx, &key)) == 0) {
		found = true;
		if (pick == NULL && key->can_encrypt && !key->revoked &&
		    !key->expired && !key->disabled && !key->invalid &&
		    key->fpr != NULL) {
			pick = key;
			continue;
		}
		gpgme_key_unref(key);
	}
	gpgme_op_keylist_end(ctx);
	if (!found && gpgme_err_code(ge) != GPG_ERR_EOF) {
		err_set(err, E_GPG_FAILED,
		    "gpg: cannot look up public key '%s': %s", name,
		    gpg_errtext(ge, msg, sizeof(msg)));
	} else if (!found) {
		err_set(err, E_GPG_FAILED,
		    "gpg: public key '%s' not found (import it or check %s)",
		    name, opt);
	} else if (pick == NULL) {
		err_set(err, E_GPG_FAILED,
		    "gpg: public key '%s' cannot encrypt (expired, revoked or disabled; check %s)",
		    name, opt);
	} else if (!always && !key_trusted(pick)) {
		err_set(err, E_GPG_FAILED,
		    "gpg: public key %s cannot be used: it is not certified as the owner's key (check --encrypt-key and the key's trust)",
		    pick->fpr);
	} else if ((*fpr = strdup(pick->fpr)) == NULL) {
		err_errno(err, E_GENERIC, "gpg");
	} else {
		rc = 0;
	}
	gpgme_key_unref(pick);
	return rc;
}

/* Export the keys in ${k} as gpg's minimal export (self-signatures). */
static int
export_keys(gpgme_ctx_t ctx, struct rnp_keyset *k, struct dupc_err *err)
{
	const char **pat = calloc(k->nfpr + 1, sizeof(*pat));
	gpgme_data_t d = NULL;
	gpgme_error_t ge;
	char msg[128];
	size_t i, len;
	char *p;
	int rc = -1;

	if (pat == NULL)
		return err_errno(err, E_GENERIC, "gpg");
	for (i = 0; i < k->nfpr; i++)
		pat[i] = k->fpr[i];
	if ((ge = gpgme_data_new(&d)) != 0 ||
	    (ge = gpgme_op_export_ext(ctx, pat, GPGME_EXPORT_MODE_MINIMAL,
		 d)) != 0) {
		err_set(err, E_GPG_FAILED, "gpg: cannot export public keys: %s",
		    gpg_errtext(ge, msg, sizeof(msg)));
		goto out;
	}
	p = gpgme_data_release_and_get_mem(d, &len);
	d = NULL;
	if (p == NULL || len == 0) {
		gpgme_free(p);
		err_set(err, E_GPG_FAILED,
		    "gpg: gpg exported no public key for --encrypt-key");
		goto out;
	}
	if ((k->blob = malloc(len)) != NULL)
		memcpy(k->blob, p, len);
	gpgme_free(p);
	if (k->blob == NULL) {
		err_errno(err, E_GENERIC, "gpg");
		goto out;
	}
	k->blen = len;
	rc = 0;
out:
	gpgme_data_release(d);
	free(pat);
	return rc;
}

/* Resolve and export the recipients of ${c} through gpgme. */
static struct rnp_keyset *
keyset_load(const struct gpg_conf *c, const char *id, struct dupc_err *err)
{
	bool always = (c->flags & GPGME_ENCRYPT_ALWAYS_TRUST) != 0;
	bool throw = (c->flags & GPGME_ENCRYPT_THROW_KEYIDS) != 0;
	struct rnp_keyset *k = calloc(1, sizeof(*k));
	struct gpg_pass pass = { 0 };
	gpgme_ctx_t ctx = NULL;
	const char *line, *end;
	bool hidden = false;
	size_t n = 0;

	if (k == NULL || (k->id = strdup(id)) == NULL)
		goto nomem;
	for (line = c->recpstring; *line; line = end + 1) {
		end = strchr(line, '\n');
		n++;
	}
	if ((k->fpr = calloc(n, sizeof(*k->fpr))) == NULL)
		goto nomem;
	if ((ctx = gpg_ctx_new(c, &pass, err)) == NULL)
		goto fail;
	for (line = c->recpstring; *line; line = end + 1) {
		char name[1024];

		end = strchr(line, '\n');
		snprintf(name, sizeof(name), "%.*s", (int)(end - line), line);
		if (strcmp(name, "--hidden") == 0) {
			hidden = true;
			continue;
		}
		if (resolve_one(ctx, name, hidden, always, &k->fpr[k->nfpr],
			err) < 0)
			goto fail;
		k->nfpr++;
		if (!hidden && !throw)
			k->nvisible = k->nfpr;
	}
	if (export_keys(ctx, k, err) < 0)
		goto fail;
	gpgme_release(ctx);
	return k;
nomem:
	err_errno(err, E_GENERIC, "gpg");
fail:
	gpgme_release(ctx);
	keyset_free(k);
	return NULL;
}

/* The keys for ${c}, from the cache or loaded now (borrowed). */
static const struct rnp_keyset *
keyset_get(const struct gpg_conf *c, struct dupc_err *err)
{
	/* the keyring is the one gpg would use: homedir, else $GNUPGHOME */
	const char *home = c->homedir ? c->homedir : getenv("GNUPGHOME");
	size_t n;
	struct rnp_keyset *k;
	char *id;

	home = home ? home : "";
	n = strlen(home) + strlen(c->recpstring) + 16;
	if ((id = malloc(n)) == NULL) {
		err_errno(err, E_GENERIC, "gpg");
		return NULL;
	}
	snprintf(id, n, "%x:%s:%s", (unsigned)c->flags & 0xffffu, home,
	    c->recpstring);
	pthread_mutex_lock(&keys_mu);
	for (k = keys_cache; k != NULL; k = k->next)
		if (strcmp(k->id, id) == 0)
			break;
	if (k == NULL && (k = keyset_load(c, id, err)) != NULL) {
		k->next = keys_cache;
		keys_cache = k;
	}
	pthread_mutex_unlock(&keys_mu);
	free(id);
	return k;
}

/* --- hiding recipients --- */

/*
 * RNP names every recipient's key in its session key packet; gpg's
 * --hidden-recipient writes a zero key id instead (RFC 4880 5.1: "an
 * implementation MAY accept or use a Key ID of zero as a wild card").
 * The key id is not covered by any check, so the packets RNP writes are
 * patched on their way out: the body bytes 1-8 of every public-key
 * session key packet after the first nvisible.  Only the packets before
 * the encrypted data are looked at.
 */
struct hide_walk {
	size_t nvisible;
	size_t seen;    /* PKESK packets so far */
	bool done;      /* past the session key packets */
	uint8_t hdr[6]; /* the header being read */
	size_t nhdr;
	uint64_t left; /* body bytes of the current packet still to come */
	uint64_t pos;  /* offset in the current body */
	bool zero;     /* this body's key id is hidden */
};

/* Bytes a header needs, 0 if not known yet; its body length in *len. */
static size_t
hide_hdr_size(const struct hide_walk *w, uint64_t *len)
{
	const uint8_t *h = w->hdr;

	*len = UINT64_MAX;
	if (!(h[0] & 0x40)) {
		static const size_t old_len[4] = { 2, 3, 5, 1 };
		size_t need = old_len[h[0] & 3], i;

		if (w->nhdr < need || need == 1)
			return need;
		for (*len = 0, i = 1; i < need; i++)
			*len = (*len << 8) | h[i];
		return need;
	}
	if (w->nhdr < 2)
		return 0;
	if (h[1] < 192) {
		*len = h[1];
		return 2;
	}
	if (h[1] < 224) {
		if (w->nhdr >= 3)
			*len = (((uint64_t)h[1] - 192) << 8) + h[2] + 192;
		return 3;
	}
	if (h[1] == 255) {
		if (w->nhdr >= 6)
			*len = ((uint64_t)h[2] << 24) | ((uint64_t)h[3] << 16) |
			       ((uint64_t)h[4] << 8) | h[5];
		return 6;
	}
	return 2;
}

static void
hide_header_byte(struct hide_walk *w, uint8_t b)
{
	uint64_t len;
	size_t need;
	int tag;

	w->hdr[w->nhdr++] = b;
	need = hide_hdr_size(w, &len);
	if (need == 0 || w->nhdr < need)
		return;
	tag = (w->hdr[0] & 0x40) ? (w->hdr[0] & 0x3f) : ((w->hdr[0] >> 2) & 15);
	w->nhdr = 0;
	if ((tag != 1 && tag != 3 && tag != 10) || len == UINT64_MAX) {
		w->done = true;
		return;
	}
	w->left = len;
	w->pos = 0;
	w->zero = tag == 1 && w->seen++ >= w->nvisible;
}

/* Patch ${n} bytes of output in place. */
static void
hide_walk(struct hide_walk *w, uint8_t *p, size_t n)
{
	while (n > 0 && !w->done) {
		if (w->left == 0) {
			hide_header_byte(w, *p++);
			n--;
			continue;
		}
		if (w->zero && w->pos >= 1 && w->pos <= 8)
			*p = 0;
		p++;
		n--;
		w->pos++;
		w->left--;
	}
}

/* --- the operations, on the worker thread --- */

struct gpg_rnp {
	rnp_ffi_t ffi;
	const struct gpg_conf *conf;
	const struct rnp_keyset *keys; /* NULL when symmetric */
	struct hide_walk hide;
	bool asked; /* RNP asked for the passphrase */
	bool missing;
	char stage[48]; /* the RNP call that failed */
};

static bool
rnp_pass_cb(rnp_ffi_t ffi, void *app_ctx, rnp_key_handle_t key,
    const char *pgp_context, char buf[], size_t buf_len)
{
	struct gpg_rnp *r = app_ctx;
	const char *pw = r->conf->passphrase;
	size_t n;

	(void)ffi;
	(void)key;
	(void)pgp_context;
	if (r->asked || pw == NULL) {
		/* answered once: a retry would only loop */
		r->missing = pw == NULL;
		return false;
	}
	r->asked = true;
	n = strlen(pw);
	if (n >= buf_len)
		return false;
	memcpy(buf, pw, n + 1);
	return true;
}

static bool
rnp_read_cb(void *app_ctx, void *buf, size_t len, size_t *got)
{
	ssize_t n = gpg_job_read(app_ctx, buf, len);

	if (n < 0)
		return false;
	*got = (size_t)n;
	return true;
}

struct rnp_out {
	struct gpg_job *job;
	struct gpg_rnp *r;
};

static bool
rnp_write_cb(void *app_ctx, const void *buf, size_t len)
{
	struct rnp_out *o = app_ctx;
	const uint8_t *c = buf;
	uint8_t tmp[4096];

	/* the session key packets come first, and are small */
	while (len > 0 && !o->r->hide.done) {
		size_t k = len < sizeof(tmp) ? len : sizeof(tmp);

		memcpy(tmp, c, k);
		hide_walk(&o->r->hide, tmp, k);
		if (gpg_job_write(o->job, tmp, k) != (ssize_t)k)
			return false;
		c += k;
		len -= k;
	}
	return len == 0 || gpg_job_write(o->job, c, len) == (ssize_t)len;
}

/* Note which call failed and pass its result on. */
static rnp_result_t
stage(struct gpg_rnp *r, const char *what, rnp_result_t rc)
{
	if (rc != RNP_SUCCESS && r->stage[0] == '\0')
		snprintf(r->stage, sizeof(r->stage), "%s", what);
	return rc;
}

/* Add the recipients, or the passphrase, to ${op}. */
static rnp_result_t
enc_keys(struct gpg_rnp *r, rnp_op_encrypt_t op)
{
	rnp_key_handle_t key;
	rnp_result_t rc = RNP_SUCCESS;
	rnp_input_t in = NULL;
	size_t i;

	if (r->keys == NULL)
		return stage(r, "add_password",
		    rnp_op_encrypt_add_password(op, r->conf->passphrase,
			RNP_S2K_HASH, RNP_S2K_COUNT, RNP_CIPHER));
	rc = rnp_input_from_memory(&in, r->keys->blob, r->keys->blen, false);
	if (rc == RNP_SUCCESS)
		rc = stage(r, "import_keys",
		    rnp_import_keys(r->ffi, in, RNP_LOAD_SAVE_PUBLIC_KEYS,
			NULL));
	rnp_input_destroy(in);
	for (i = 0; rc == RNP_SUCCESS && i < r->keys->nfpr; i++) {
		key = NULL;
		rc = stage(r, "locate_key",
		    rnp_locate_key(r->ffi, "fingerprint", r->keys->fpr[i],
			&key));
		if (rc == RNP_SUCCESS && key == NULL)
			rc = stage(r, "locate_key", RNP_ERROR_KEY_NOT_FOUND);
		if (rc == RNP_SUCCESS)
			rc = stage(r, "add_recipient",
			    rnp_op_encrypt_add_recipient(op, key));
		rnp_key_handle_destroy(key);
	}
	return rc;
}

static rnp_result_t
enc_setup(struct gpg_rnp *r, rnp_op_encrypt_t op)
{
	const struct gpg_conf *c = r->conf;
	bool nozip = (c->flags & GPGME_ENCRYPT_NO_COMPRESS) != 0;
	rnp_result_t rc;

	rc = stage(r, "set_cipher", rnp_op_encrypt_set_cipher(op, RNP_CIPHER));
	if (rc == RNP_SUCCESS)
		rc = stage(r, "set_aead", rnp_op_encrypt_set_aead(op, "None"));
	if (rc == RNP_SUCCESS && c->wrap)
		/* the input is dupc's own compressed literal packets */
		rc = stage(r, "set_flags",
		    rnp_op_encrypt_set_flags(op, RNP_ENCRYPT_NOWRAP));
	if (rc == RNP_SUCCESS)
		rc = stage(r, "set_compression",
		    c->wrap || nozip
			? rnp_op_encrypt_set_compression(op, "Uncompressed", 0)
			: rnp_op_encrypt_set_compression(op, "ZIP", 6));
	if (rc == RNP_SUCCESS)
		rc = enc_keys(r, op);
	return rc;
}

static unsigned
rnp_encrypt_run(struct gpg_job *job, void *arg)
{
	struct gpg_rnp *r = arg;
	struct rnp_out o = { job, r };
	rnp_input_t in = NULL;
	rnp_output_t out = NULL;
	rnp_op_encrypt_t op = NULL;
	rnp_result_t rc;

	rnp_thread = true;
	rc = stage(r, "input",
	    rnp_input_from_callback(&in, rnp_read_cb, NULL, job));
	if (rc == RNP_SUCCESS)
		rc = stage(r, "output",
		    rnp_output_to_callback(&out, rnp_write_cb, NULL, &o));
	if (rc == RNP_SUCCESS)
		rc = stage(r, "encrypt_create",
		    rnp_op_encrypt_create(&op, r->ffi, in, out));
	if (rc == RNP_SUCCESS)
		rc = enc_setup(r, op);
	if (rc == RNP_SUCCESS)
		rc = stage(r, "encrypt", rnp_op_encrypt_execute(op));
	if (rc == RNP_SUCCESS)
		rc = stage(r, "output", rnp_output_finish(out));
	rnp_op_encrypt_destroy(op);
	rnp_output_destroy(out);
	rnp_input_destroy(in);
	return rc;
}

/* Only integrity-protected data is good (RNP would accept tag 9). */
static rnp_result_t
dec_check(rnp_op_verify_t op)
{
	char *mode = NULL;
	bool valid = false;
	rnp_result_t rc;

	rc = rnp_op_verify_get_protection_info(op, &mode, NULL, &valid);
	if (rc == RNP_SUCCESS &&
	    (mode == NULL || strcmp(mode, "cfb-mdc") != 0 || !valid))
		rc = RNP_DUPC_NO_MDC;
	rnp_buffer_destroy(mode);
	return rc;
}

static unsigned
rnp_decrypt_run(struct gpg_job *job, void *arg)
{
	struct gpg_rnp *r = arg;
	struct rnp_out o = { job, r };
	rnp_input_t in = NULL;
	rnp_output_t out = NULL;
	rnp_op_verify_t op = NULL;
	rnp_result_t rc;

	rnp_thread = true;
	r->hide.done = true;
	rc = stage(r, "input",
	    rnp_input_from_callback(&in, rnp_read_cb, NULL, job));
	if (rc == RNP_SUCCESS)
		rc = stage(r, "output",
		    rnp_output_to_callback(&out, rnp_write_cb, NULL, &o));
	if (rc == RNP_SUCCESS)
		rc = stage(r, "verify_create",
		    rnp_op_verify_create(&op, r->ffi, in, out));
	/* signatures are checked only with --sign-key, which gpg does */
	if (rc == RNP_SUCCESS)
		rc = stage(r, "verify_set_flags",
		    rnp_op_verify_set_flags(op,
			RNP_VERIFY_IGNORE_SIGS_ON_DECRYPT));
	if (rc == RNP_SUCCESS)
		rc = stage(r, "decrypt", rnp_op_verify_execute(op));
	if (rc == RNP_SUCCESS)
		rc = stage(r, "output", rnp_output_finish(out));
	if (rc == RNP_SUCCESS)
		rc = stage(r, "integrity", dec_check(op));
	rnp_op_verify_destroy(op);
	rnp_output_destroy(out);
	rnp_input_destroy(in);
	return rc;
}

/* --- setting up --- */

struct gpg_rnp *
gpg_rnp_new(const struct gpg_conf *c, bool encrypt, struct dupc_err *err)
{
	struct gpg_rnp *r = calloc(1, sizeof(*r));

	pthread_once(&quiet_once, quiet_init);
	if (r == NULL) {
		err_errno(err, E_GENERIC, "gpg");
		goto err0;
	}
	r->conf = c;
	if (encrypt && !c->symmetric && (r->keys = keyset_get(c, err)) == NULL)
		goto err1;
	if (r->keys != NULL)
		r->hide.nvisible = r->keys->nvisible;
	else
		r->hide.done = true;
	if (rnp_ffi_create(&r->ffi, "GPG", "GPG") != RNP_SUCCESS) {
		err_set(err, E_GPG_FAILED, "gpg: cannot start RNP");
		goto err1;
	}
	if (rnp_ffi_set_pass_provider(r->ffi, rnp_pass_cb, r) != RNP_SUCCESS) {
		err_set(err, E_GPG_FAILED, "gpg: cannot set up RNP");
		goto err2;
	}
	return r;

err2:
	rnp_ffi_destroy(r->ffi);
err1:
	free(r);
err0:
	return NULL;
}

void
gpg_rnp_free(struct gpg_rnp *r)
{
	if (r == NULL)
		return;
	rnp_ffi_destroy(r->ffi);
	free(r);
}

int
gpg_rnp_start_decrypt(struct gpg_rnp *r, struct gpg_job *job,
    struct dupc_err *err)
{
	return gpg_job_start_raw(job, rnp_decrypt_run, r, err);
}

int
gpg_rnp_start_encrypt(struct gpg_rnp *r, struct gpg_job *job,
    gpg_job_out_fn *out_fn, void *out_arg, struct dupc_err *err)
{
	return gpg_job_start_async(job, rnp_encrypt_run, r, out_fn, out_arg,
	    err);
}

/* --- errors --- */

int
gpg_rnp_enc_error(const struct gpg_rnp *r, unsigned rc, struct dupc_err *err)
{
	return err_set(err, E_GPG_FAILED, "gpg: encryption failed: RNP %s: %s",
	    r->stage[0] ? r->stage : "?", rnp_result_to_string(rc));
}

int
gpg_rnp_dec_error(const struct gpg_rnp *r, unsigned rc, const char *what,
    struct dupc_err *err)
{
	if (r->missing)
		return err_set(err, E_GPG_FAILED,
		    "gpg: %s needs a passphrase (set PASSPHRASE)", what);
	if (rc == RNP_ERROR_BAD_PASSWORD)
		return err_set(err, E_GPG_FAILED,
		    "gpg: bad passphrase for %s (check PASSPHRASE)", what);
	if (rc == RNP_DUPC_NO_MDC)
		return err_set(err, E_GPG_FAILED,
		    "gpg: %s has no integrity protection (MDC); to read it anyway, pass --gpg-options=--ignore-mdc-error",
		    what);
	/* passphrase-only messages come here (gpg_rnp_can_decrypt): when the
	 * session key is encrypted, a wrong passphrase decrypts it to an
	 * algorithm that does not exist, as a damaged packet would */
	if (rc == RNP_ERROR_NOT_SUPPORTED)
		return err_set(err, E_GPG_FAILED,
		    "gpg: cannot decrypt %s: bad passphrase, or a damaged session key packet (check PASSPHRASE)",
		    what);
	return err_set(err, E_GPG_FAILED,
	    "gpg: cannot decrypt %s: the encrypted data is damaged or cut short (corrupted or truncated volume?)",
	    what);
}
