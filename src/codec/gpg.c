/*
 * The parts of the gpg codec that do not move data: turning duplicity's
 * gpg options into gpgme settings, making gpgme contexts, answering gpg's
 * passphrase requests, and wording gpg's failures.
 *
 * duplicity builds a gpg command line (duplicity/gpg.py, section 6.2 of
 * docs/duplicity-format.md).  dupc reaches gpg only through gpgme, so
 * every duplicity argument needs a gpgme equivalent:
 *
 *   --passphrase-fd, --pinentry-mode=loopback  passphrase callback with
 *                                              GPGME_PINENTRY_MODE_LOOPBACK
 *   --batch --no-tty                           always passed by gpgme
 *   --recipient R, --hidden-recipient H        gpgme_op_encrypt_ext() lines
 *                                              "R" and "--hidden" "H"
 *   --default-key K --sign                     gpgme_signers_add(),
 *                                              gpgme_op_encrypt_sign_ext()
 *   --symmetric                                GPGME_ENCRYPT_SYMMETRIC
 *   --force-mdc                                gpg >= 2.2 always writes MDC;
 *                                              gpg_packet.c checks it
 *   --ignore-mdc-error                         not passed: corrupt volumes
 *                                              must fail (available as a
 *                                              --gpg-options word)
 *   --status-fd, GOODSIG                       gpgme_op_verify_result()
 *   --gpg-binary, GNUPGHOME                    gpgme_ctx_set_engine_info()
 *
 * --gpg-options words are accepted only when gpgme has a flag for them
 * (table below); anything else is refused with a pointer to gpg.conf,
 * which gpg still reads when gpgme runs it.  gpgme also runs gpg with
 * --no-symkey-cache, so a wrong PASSPHRASE is never rescued by gpg-agent's
 * cache of an earlier right one.
 */
#include "codec/gpg.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "codec/gpg_internal.h"
#include "util/err.h"
#include "util/log.h"
#include "util/secret.h"

/* gpgme 1.14 brought the no-symkey-cache flag and "--hidden" lines. */
#define GPG_GPGME_MIN "1.14.0"

/* gpg asks once per key (symmetric and signing); more is a retry loop. */
#define GPG_PASS_MAX_ASKS 4

/* gpg_log_diag() limits. */
#define GPG_DIAG_MAX 8192
#define GPG_DIAG_LINES 20

/* --- --gpg-options --- */

enum word_kind {
	W_IGNORE, /* gpgme already does it, or it only changes messages */
	W_ARMOR,
	W_ALWAYS_TRUST,
	W_TRUST_MODEL,
	W_THROW_KEYIDS,
	W_NO_ENCRYPT_TO,
	W_COMPRESS_ALGO,
	W_COMPRESS_LEVEL,
	W_USE_AGENT,
	W_AUTO_KEY_LOCATE,
	W_AUTO_KEY_RETRIEVE,
	W_IGNORE_MDC_ERROR,
	W_HOMEDIR,
};

struct gpg_word {
	const char *name;
	enum word_kind kind;
	bool value; /* takes a value, as "--x=v" or "--x v" */
};

static const struct gpg_word gpg_words[] = {
	{ "--batch", W_IGNORE, false },
	{ "--no-tty", W_IGNORE, false },
	{ "--yes", W_IGNORE, false },
	{ "--quiet", W_IGNORE, false },
	{ "-q", W_IGNORE, false },
	{ "--verbose", W_IGNORE, false },
	{ "-v", W_IGNORE, false },
	{ "--no-verbose", W_IGNORE, false },
	{ "--no-greeting", W_IGNORE, false },
	{ "--no-secmem-warning", W_IGNORE, false },
	{ "--no-permission-warning", W_IGNORE, false },
	{ "--force-mdc", W_IGNORE, false },
	{ "--armor", W_ARMOR, false },
	{ "-a", W_ARMOR, false },
	{ "--always-trust", W_ALWAYS_TRUST, false },
	{ "--trust-model", W_TRUST_MODEL, true },
	{ "--throw-keyids", W_THROW_KEYIDS, false },
	{ "--no-encrypt-to", W_NO_ENCRYPT_TO, false },
	{ "--compress-algo", W_COMPRESS_ALGO, true },
	{ "--compress-level", W_COMPRESS_LEVEL, true },
	{ "-z", W_COMPRESS_LEVEL, true },
	{ "--use-agent", W_USE_AGENT, false },
	{ "--auto-key-locate", W_AUTO_KEY_LOCATE, true },
	{ "--auto-key-retrieve", W_AUTO_KEY_RETRIEVE, false },
	{ "--ignore-mdc-error", W_IGNORE_MDC_ERROR, false },
	{ "--homedir", W_HOMEDIR, true },
};

static const struct gpg_word *
word_find(const char *w, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(gpg_words) / sizeof(gpg_words[0]); i++)
		if (strlen(gpg_words[i].name) == n &&
		    memcmp(gpg_words[i].name, w, n) == 0)
			return &gpg_words[i];
	return NULL;
}

static int
conf_strdup(char **dst, const char *s, struct dupc_err *err)
{
	free(*dst);
	if ((*dst = strdup(s)) == NULL)
		return err_errno(err, E_GENERIC, "gpg");
	return 0;
}

/* Apply one recognised word with its value (NULL if it takes none). */
static int
word_apply(struct gpg_conf *c, const struct gpg_word *w, const char *v,
    struct dupc_err *err)
{
	switch (w->kind) {
	case W_IGNORE:
		break;
	case W_ARMOR:
		c->armor = true;
		break;
	case W_ALWAYS_TRUST:
		c->flags |= GPGME_ENCRYPT_ALWAYS_TRUST;
		break;
	case W_TRUST_MODEL:
		if (strcmp(v, "always") == 0)
			c->flags |= GPGME_ENCRYPT_ALWAYS_TRUST;
		else
			return conf_strdup(&c->trust_model, v, err);
		break;
	case W_THROW_KEYIDS:
		c->flags |= GPGME_ENCRYPT_THROW_KEYIDS;
		break;
	case W_NO_ENCRYPT_TO:
		c->flags |= GPGME_ENCRYPT_NO_ENCRYPT_TO;
		break;
	case W_COMPRESS_ALGO:
	case W_COMPRESS_LEVEL:
		/* gpgme can only turn compression off. */
		if (strcmp(v, "0") != 0 && strcasecmp(v, "none") != 0 &&
		    strcasecmp(v, "uncompressed") != 0)
			return err_set(err, E_COMMAND_LINE,
			    "gpg: --gpg-options '%s %s' cannot be passed through gpgme (only 0/none can; put the option in gpg.conf instead)",
			    w->name, v);
		c->flags |= GPGME_ENCRYPT_NO_COMPRESS;
		break;
	case W_USE_AGENT:
		c->use_agent = true;
		break;
	case W_AUTO_KEY_LOCATE:
		return conf_strdup(&c->auto_key_locate, v, err);
	case W_AUTO_KEY_RETRIEVE:
		c->auto_key_retrieve = true;
		break;
	case W_IGNORE_MDC_ERROR:
		c->ignore_mdc_error = true;
		break;
	case W_HOMEDIR:
		return conf_strdup(&c->homedir, v, err);
	}
	return 0;
}

/* Parse --gpg-options words into ${c}. */
static int
conf_words(struct gpg_conf *c, const char *const *words, size_t n,
    struct dupc_err *err)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *w = words[i];
		const char *eq = strchr(w, '=');
		size_t len = eq ? (size_t)(eq - w) : strlen(w);
		const struct gpg_word *gw = word_find(w, len);
		const char *v = NULL;

		if (gw == NULL && w[0] == '-' && w[1] == 'z' && w[2] != '\0') {
			gw = word_find("-z", 2); /* -z0 */
			eq = w + 1;
		}
		if (gw == NULL)
			return err_set(err, E_COMMAND_LINE,
			    "gpg: --gpg-options '%.*s' cannot be passed through gpgme (put it in gpg.conf in the GnuPG home instead)",
			    (int)len, w);
		if (gw->value && eq != NULL)
			v = eq + 1;
		else if (gw->value && i + 1 < n)
			v = words[++i];
		else if (gw->value || eq != NULL)
			return err_set(err, E_COMMAND_LINE,
			    "gpg: --gpg-options '%s' %s", gw->name,
			    gw->value ? "needs a value" : "takes no value");
		if (word_apply(c, gw, v, err) < 0)
			return -1;
	}
	return 0;
}

/*
 * Normalise a --sign-key as duplicity's commandline.py checks it: 8, 16
 * or 40 hex digits after an optional "0x".
 */
static int
conf_sign_key(struct gpg_conf *c, const char *key, struct dupc_err *err)
{
	const char *h = key;
	size_t n, i;

	if (h[0] == '0' && (h[1] == 'x' || h[1] == 'X'))
		h += 2;
	n = strlen(h);
	for (i = 0; i < n && isxdigit((unsigned char)h[i]); i++)
		;
	if (i != n || (n != 8 && n != 16 && n != 40))
		return err_set(err, E_BAD_SIGN_KEY,
		    "gpg: bad key id for --sign-key (use 8, 16 or 40 hex digits of the key's fingerprint)");
	if (conf_strdup(&c->sign_key, h, err) < 0)
		return -1;
	for (i = 0; i < n; i++)
		c->sign_key[i] = (char)toupper((unsigned char)c->sign_key[i]);
	return 0;
}

/* Append recipient names as gpgme_op_encrypt_ext() lines. */
static int
conf_recipients(struct gpg_conf *c, const struct gpg_options *o,
    struct dupc_err *err)
{
	size_t i, len = sizeof("--hidden\n");
	char *p;

	for (i = 0; i < o->nrecipients + o->nhidden; i++) {
		const char *r = i < o->nrecipients
				    ? o->recipients[i]
				    : o->hidden[i - o->nrecipients];

		/* gpgme reads a line starting with "-" as an option */
		if (r == NULL || r[0] == '\0' || r[0] == '-' ||
		    strpbrk(r, "\r\n") != NULL)
			return err_set(err, E_COMMAND_LINE,
			    "gpg: bad key name for --%sencrypt-key (give a fingerprint, key id or address on one line)",
			    i < o->nrecipients ? "" : "hidden-");
		len += strlen(r) + 1;
	}
	if ((p = c->recpstring = malloc(len)) == NULL)
		return err_errno(err, E_GENERIC, "gpg");
	/* plain recipients first: "--hidden" stays on for the rest */
	for (i = 0; i < o->nrecipients + o->nhidden; i++) {
		const char *r = i < o->nrecipients
				    ? o->recipients[i]
				    : o->hidden[i - o->nrecipients];

		if (i == o->nrecipients) {
			memcpy(p, "--hidden\n", 9);
			p += 9;
		}
		memcpy(p, r, strlen(r));
		p += strlen(r);
		*p++ = '\n';
	}
	*p = '\0';
	return 0;
}

static int
conf_secret(char **dst, const char *s, struct dupc_err *err)
{
	if (s == NULL)
		return 0;
	if ((*dst = secret_dup(s)) == NULL)
		return err_errno(err, E_GENERIC, "gpg");
	return 0;
}

int
gpg_conf_init(struct gpg_conf *c, const struct gpg_options *o, bool encrypt,
    struct dupc_err *err)
{
	bool keys = o->nrecipients + o->nhidden > 0;

	memset(c, 0, sizeof(*c));
	c->symmetric = encrypt && o->symmetric;
	c->use_agent = o->use_agent;
	if (!encrypt) {
		/* decryption finds out from the data what it needs */
	} else if (o->symmetric == keys) {
		err_set(err, E_COMMAND_LINE,
		    keys
			? "gpg: symmetric encryption and --encrypt-key are exclusive (drop one)"
			: "gpg: nothing to encrypt to (give --encrypt-key or use a passphrase)");
		goto err0;
	}
	if (encrypt && keys && conf_recipients(c, o, err) < 0)
		goto err0;
	if (o->sign_key != NULL && conf_sign_key(c, o->sign_key, err) < 0)
		goto err0;
	if (conf_words(c, o->gpg_options, o->ngpg_options, err) < 0)
		goto err0;
	/* gpgme's wrap mode: "-z 0 --no-literal", the packets are ours */
	if (encrypt && o->wrap) {
		c->wrap = true;
		c->flags |= GPGME_ENCRYPT_WRAP | GPGME_ENCRYPT_NO_COMPRESS;
	}
	if (o->homedir != NULL && conf_strdup(&c->homedir, o->homedir, err) < 0)
		goto err0;
	if (o->gpg_binary != NULL &&
	    conf_strdup(&c->gpg_binary, o->gpg_binary, err) < 0)
		goto err0;
	if (conf_secret(&c->passphrase, o->passphrase, err) < 0 ||
	    conf_secret(&c->sign_passphrase, o->sign_passphrase, err) < 0)
		goto err0;
	return 0;

err0:
	gpg_conf_release(c);
	return -1;
}

void
gpg_conf_release(struct gpg_conf *c)
{
	secret_free(c->passphrase);
	secret_free(c->sign_passphrase);
	free(c->recpstring);
	free(c->sign_key);
	free(c->gpg_binary);
	free(c->homedir);
	free(c->trust_model);
	free(c->auto_key_locate);
	memset(c, 0, sizeof(*c));
}

int
gpg_options_check(const struct gpg_options *o, struct dupc_err *err)
{
	struct gpg_conf c;

	if (gpg_conf_init(&c, o, true, err) < 0)
		return -1;
	gpg_conf_release(&c);
	return 0;
}

/* --- contexts and passphrases --- */

const char *
gpg_errtext(gpgme_error_t gerr, char *buf, size_t size)
{
	if (gpgme_strerror_r(gerr, buf, size) != 0 && size > 0)
		snprintf(buf, size, "error %u", (unsigned)gpgme_err_code(gerr));
	return buf;
}

/*
 * NEED_PASSPHRASE (a secret key) starts with the 16-digit key id;
 * NEED_PASSPHRASE_SYM starts with a cipher number.
 */
static bool
info_keyid(const char *info, char keyid[17])
{
	size_t n = 0;

	while (info != NULL && n < 16 && isxdigit((unsigned char)info[n]))
		n++;
	if (n != 16 || (info[n] != ' ' && info[n] != '\0'))
		return false;
	memcpy(keyid, info, 16);
	keyid[16] = '\0';
	return true;
}

/*
 * The passphrase for a secret key: signing uses SIGN_PASSPHRASE when given
 * (duplicity/gpg.py writes it for --sign), decryption PASSPHRASE, and when
 * only one of them is set it serves for both.
 */
static const char *
key_passphrase(const struct gpg_pass *ps)
{
	const struct gpg_conf *c = ps->conf;

	if (ps->signing && c->sign_passphrase != NULL)
		return c->sign_passphrase;
	if (c->passphrase != NULL)
		return c->passphrase;
	return c->sign_passphrase;
}

/*
 * Runs on the worker thread.  Answers each question once: a retry after a
 * bad passphrase is refused, so gpg fails instead of asking forever.
 */
static gpgme_error_t
pass_cb(void *hook, const char *uid_hint, const char *info, int prev_was_bad,
    int fd)
{
	struct gpg_pass *ps = hook;
	const char *pw;

	(void)uid_hint;
	if (prev_was_bad) {
		ps->bad = true;
		return gpgme_error(GPG_ERR_CANCELED);
	}
	if (++ps->asked > GPG_PASS_MAX_ASKS)
		return gpgme_error(GPG_ERR_CANCELED);
	if (info_keyid(info, ps->keyid)) {
		ps->key_asked = true;
		pw = key_passphrase(ps);
	} else {
		ps->sym_asked = true;
		pw = ps->conf->passphrase;
	}
	if (pw == NULL) {
		ps->missing = true;
		return gpgme_error(GPG_ERR_CANCELED);
	}
	/* straight from the wiped copy: no other buffer holds it */
	if (gpgme_io_writen(fd, pw, strlen(pw)) != 0 ||
	    gpgme_io_writen(fd, "\n", 1) != 0)
		return gpgme_error_from_syserror();
	return 0;
}

static pthread_once_t gpg_once = PTHREAD_ONCE_INIT;
static const char *gpg_version;

static void
gpg_init_once(void)
{
	gpg_version = gpgme_check_version(GPG_GPGME_MIN);
}

/*
 * Find --gpg-binary as duplicity's subprocess call would: a name without a
 * slash is looked up in $PATH.  Returns a path the caller frees, or NULL.
 */
static char *
find_program(const char *name)
{
	const char *dirs = getenv("PATH"), *end;
	char *path;
	size_t n;

	if (strchr(name, '/') != NULL)
		return access(name, X_OK) == 0 ? strdup(name) : NULL;
	for (dirs = dirs ? dirs : "/usr/bin:/bin"; *dirs; dirs = end) {
		end = strchr(dirs, ':');
		n = end ? (size_t)(end - dirs) : strlen(dirs);
		if ((path = malloc(n + strlen(name) + 2)) == NULL)
			return NULL;
		snprintf(path, n + strlen(name) + 2, "%.*s/%s", (int)n,
		    n ? dirs : ".", name);
		if (access(path, X_OK) == 0)
			return path;
		free(path);
		end = end ? end + 1 : dirs + n;
	}
	return NULL;
}

/* Whether dotted version ${have} is at least ${need}. */
static bool
version_at_least(const char *have, const char *need)
{
	char *end;
	int i;

	for (i = 0; i < 3; i++) {
		unsigned long h = strtoul(have, &end, 10);
		unsigned long w;

		have = end + (*end == '.');
		w = strtoul(need, &end, 10);
		need = end + (*end == '.');
		if (h != w)
			return h > w;
	}
	return true;
}

/* Point ${ctx} at the engine and home, and check that gpg runs. */
static int
ctx_engine(gpgme_ctx_t ctx, const struct gpg_conf *c, struct dupc_err *err)
{
	gpgme_engine_info_t ei;
	char msg[128], *bin = NULL;
	gpgme_error_t ge;
	int rc = -1;

	if (c->gpg_binary != NULL &&
	    (bin = find_program(c->gpg_binary)) == NULL) {
		err_set(err, E_GPG_FAILED,
		    "gpg: cannot run %s (install GnuPG or check --gpg-binary)",
		    c->gpg_binary);
		goto out;
	}
	ge = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, bin,
	    c->homedir);
	if (ge != 0) {
		err_set(err, E_GPG_FAILED,
		    "gpg: cannot use the gpg engine: %s (check --gpg-binary)",
		    gpg_errtext(ge, msg, sizeof(msg)));
		goto out;
	}
	for (ei = gpgme_ctx_get_engine_info(ctx); ei != NULL; ei = ei->next)
		if (ei->protocol == GPGME_PROTOCOL_OpenPGP)
			break;
	/* gpgme reports a program it could not run as version 1.0.0 */
	if (ei == NULL || ei->version == NULL || ei->req_version == NULL ||
	    !version_at_least(ei->version, ei->req_version)) {
		err_set(err, E_GPG_FAILED,
		    "gpg: cannot run %s, or it is older than GnuPG %s (install GnuPG or check --gpg-binary)",
		    bin ? bin : "gpg",
		    ei && ei->req_version ? ei->req_version : "1.4");
		goto out;
	}
	rc = 0;
out:
	free(bin);
	return rc;
}

/* The flags gpgme passes on to gpg as options. */
static gpgme_error_t
ctx_flags(gpgme_ctx_t ctx, const struct gpg_conf *c)
{
	gpgme_error_t ge;

	ge = gpgme_set_ctx_flag(ctx, "no-symkey-cache", "1");
	if (ge == 0 && c->ignore_mdc_error)
		ge = gpgme_set_ctx_flag(ctx, "ignore-mdc-error", "1");
	if (ge == 0 && c->auto_key_retrieve)
		ge = gpgme_set_ctx_flag(ctx, "auto-key-retrieve", "1");
	if (ge == 0 && c->auto_key_locate)
		ge = gpgme_set_ctx_flag(ctx, "auto-key-locate",
		    c->auto_key_locate);
	if (ge == 0 && c->trust_model)
		ge = gpgme_set_ctx_flag(ctx, "trust-model", c->trust_model);
	return ge;
}

gpgme_ctx_t
gpg_ctx_new(const struct gpg_conf *c, struct gpg_pass *ps, struct dupc_err *err)
{
	gpgme_ctx_t ctx;
	gpgme_error_t ge;
	char msg[128];

	pthread_once(&gpg_once, gpg_init_once);
	if (gpg_version == NULL) {
		err_set(err, E_GPG_FAILED, "gpg: gpgme %s is too old (need %s)",
		    gpgme_check_version(NULL), GPG_GPGME_MIN);
		goto err0;
	}
	if ((ge = gpgme_new(&ctx)) != 0) {
		err_set(err, E_GPG_FAILED, "gpg: cannot start gpgme: %s",
		    gpg_errtext(ge, msg, sizeof(msg)));
		goto err0;
	}
	if ((ge = gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP)) != 0 ||
	    (ge = ctx_flags(ctx, c)) != 0) {
		err_set(err, E_GPG_FAILED, "gpg: cannot set up gpgme: %s",
		    gpg_errtext(ge, msg, sizeof(msg)));
		goto err1;
	}
	if (ctx_engine(ctx, c, err) < 0)
		goto err1;
	gpgme_set_armor(ctx, c->armor);
	gpgme_set_textmode(ctx, 0);
	if (!c->use_agent) {
		ge = gpgme_set_pinentry_mode(ctx, GPGME_PINENTRY_MODE_LOOPBACK);
		if (ge != 0) {
			err_set(err, E_GPG_FAILED,
			    "gpg: cannot use loopback pinentry: %s (try --use-agent)",
			    gpg_errtext(ge, msg, sizeof(msg)));
			goto err1;
		}
		ps->conf = c;
		gpgme_set_passphrase_cb(ctx, pass_cb, ps);
	}
	return ctx;

err1:
	gpgme_release(ctx);
err0:
	return NULL;
}

/* --- messages --- */

/* Copy one diagnostic line, replacing what a terminal should not see. */
static void
diag_line(const char *p, size_t n)
{
	char line[256];
	size_t i;

	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	for (i = 0; i < n; i++)
		line[i] = (p[i] >= 0x20 && p[i] < 0x7f) ? p[i] : '?';
	line[n] = '\0';
	if (n > 0)
		log_info("gpg log: %s", line);
}

/* Read up to ${cap} bytes of gpg's diagnostics; returns the count. */
static size_t
diag_read(gpgme_ctx_t ctx, char *buf, size_t cap)
{
	gpgme_data_t d;
	size_t have = 0;
	ssize_t n;

	if (gpgme_data_new(&d) != 0)
		return 0;
	if (gpgme_op_getauditlog(ctx, d, GPGME_AUDITLOG_DIAG) == 0 &&
	    gpgme_data_seek(d, 0, SEEK_SET) == 0) {
		while (have < cap &&
		       (n = gpgme_data_read(d, buf + have, cap - have)) > 0)
			have += (size_t)n;
	}
	gpgme_data_release(d);
	return have;
}

void
gpg_log_diag(gpgme_ctx_t ctx)
{
	size_t have, start, i;
	int lines = 0;
	char *buf;

	if ((buf = malloc(GPG_DIAG_MAX)) == NULL)
		return;
	have = diag_read(ctx, buf, GPG_DIAG_MAX);
	for (start = i = 0; i < have && lines < GPG_DIAG_LINES; i++) {
		if (buf[i] == '\n') {
			diag_line(buf + start, i - start);
			start = i + 1;
			lines++;
		}
	}
	free(buf);
}

bool
gpg_keyid_match(const char *want, const char *have)
{
	size_t nw, nh, n;

	if (want[0] == '0' && (want[1] == 'x' || want[1] == 'X'))
		want += 2;
	nw = strlen(want);
	nh = strlen(have);
	n = nw < nh ? nw : nh;
	if (n == 0)
		return false;
	return strncasecmp(want + nw - n, have + nh - n, n) == 0;
}
