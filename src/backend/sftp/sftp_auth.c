/*
 * Logging in, in the order duplicity's backend tries (paramiko's
 * SSHClient): the ssh-agent's keys (SSH_AUTH_SOCK), the identity files
 * (--ssh-options -i and -oIdentityFile=, ~/.ssh/config's IdentityFile,
 * then ~/.ssh/id_ed25519, id_ecdsa, id_rsa), then the password, answering
 * keyboard-interactive with it where the server asks that way.  A key's
 * passphrase and the password are the same secret, as in duplicity: the
 * URL's password or FTP_PASSWORD, else one typed on the terminal
 * (backend_ask), asked once and kept for the connections to come.
 *
 * libssh2 1.10 signs with RSA keys only as "ssh-rsa" (SHA-1), which
 * OpenSSH 8.8 and later refuse by default; RSA keys are therefore tried
 * after the others, and a refusal says so.
 */
#define _GNU_SOURCE
#include "backend/sftp/sftp_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/err.h"
#include "util/log.h"
#include "util/secret.h"

/* A key file's first bytes read to tell its type and cipher. */
#define KEY_HEAD 16384

/* What was tried, for the refusal line. */
struct tried {
	char text[600];
	bool rsa;       /* an RSA key was refused */
	bool no_secret; /* a key or the password needed one */
};

static void note(struct tried *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
note(struct tried *t, const char *fmt, ...)
{
	size_t n = strlen(t->text);
	va_list ap;

	if (n + 4 >= sizeof(t->text))
		return;
	if (n > 0)
		snprintf(t->text + n, sizeof(t->text) - n, ", ");
	n = strlen(t->text);
	va_start(ap, fmt);
	vsnprintf(t->text + n, sizeof(t->text) - n, fmt, ap);
	va_end(ap);
}

/* A refusal or a transport failure?  The latter ends the login. */
static bool
refused(int rc)
{
	return rc == LIBSSH2_ERROR_AUTHENTICATION_FAILED ||
	       rc == LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED ||
	       rc == LIBSSH2_ERROR_PUBLICKEY_PROTOCOL ||
	       rc == LIBSSH2_ERROR_METHOD_NOT_SUPPORTED ||
	       rc == LIBSSH2_ERROR_AGENT_PROTOCOL ||
	       rc == LIBSSH2_ERROR_PASSWORD_EXPIRED;
}

/*
 * A failure that is not a refusal.  A server that hangs up while keys
 * are offered (MaxAuthTries) refuses for good: the next attempt would
 * offer the same keys.
 */
static int
auth_fail(struct sftp_backend *be, int rc, struct dupc_err *err)
{
	sftp_fail(be, rc, err, "logging in to %s as %s", be->where, be->user);
	if (rc == LIBSSH2_ERROR_SOCKET_DISCONNECT)
		return err_set(err, E_USER_ERROR,
		    "%s closed the connection while dupc was logging in as %s (too many keys offered?); name the key: --ssh-options=\"-oIdentitiesOnly=yes -i FILE\"",
		    be->where, be->user);
	return -1;
}

/* The key type of an agent identity's blob (its first SSH string). */
static bool
blob_is_rsa(const unsigned char *b, size_t n)
{
	return n >= 11 && b[0] == 0 && b[1] == 0 && b[2] == 0 && b[3] == 7 &&
	       memcmp(b + 4, "ssh-rsa", 7) == 0;
}

/* The agent's keys, RSA ones in the second ${pass}.  0 logged in, 1 not,
 * -1 failed. */
static int
agent_pass(struct sftp_backend *be, LIBSSH2_AGENT *a, int pass, struct tried *t,
    unsigned *count, struct dupc_err *err)
{
	struct libssh2_agent_publickey *id = NULL, *prev = NULL;
	int rc;

	while (libssh2_agent_get_identity(a, &id, prev) == 0) {
		prev = id;
		if (blob_is_rsa(id->blob, id->blob_len) != (pass == 1))
			continue;
		while ((rc = libssh2_agent_userauth(a, be->user, id)) ==
		       LIBSSH2_ERROR_EAGAIN)
			if (sftp_wait(be, err) < 0)
				return -1;
		if (rc == 0)
			return 0;
		if (!refused(rc))
			return auth_fail(be, rc, err);
		(*count)++;
		if (pass == 1)
			t->rsa = true;
	}
	return 1;
}

static int
agent_auth(struct sftp_backend *be, struct tried *t, struct dupc_err *err)
{
	LIBSSH2_AGENT *a;
	unsigned count = 0;
	char num[16];
	int rc = 1, pass;

	if (be->agent_sock == NULL || be->identities_only)
		return 1;
	a = libssh2_agent_init(be->c.ssh);
	if (a == NULL)
		return 1;
	libssh2_agent_set_identity_path(a, be->agent_sock);
	if (libssh2_agent_connect(a) != 0 ||
	    libssh2_agent_list_identities(a) != 0) {
		note(t, "%s", "the agent: not reachable");
		libssh2_agent_free(a);
		return 1;
	}
	for (pass = 0; pass < 2 && rc == 1; pass++)
		rc = agent_pass(be, a, pass, t, &count, err);
	snprintf(num, sizeof(num), "%u", count);
	if (rc == 1)
		note(t, "the agent's %s keys: refused", num);
	libssh2_agent_disconnect(a);
	libssh2_agent_free(a);
	return rc;
}

/*
 * What was typed on the terminal, kept for the other instances of this
 * run (a restore fetches volumes with several, each logging in): the
 * password of USER@HOST:PORT or the passphrase of a key file, asked once.
 * Held in memory that is wiped when the program exits.
 */
#define TYPED_MAX 8

static pthread_mutex_t typed_mu = PTHREAD_MUTEX_INITIALIZER;
static struct typed {
	char *what; /* "password USER@HOST:PORT" or "key PATH" */
	char *secret;
} typed[TYPED_MAX];
static bool typed_hooked;

static void
typed_wipe(void)
{
	size_t i;

	pthread_mutex_lock(&typed_mu);
	for (i = 0; i < TYPED_MAX; i++) {
		free(typed[i].what);
		secret_free(typed[i].secret);
		typed[i].what = typed[i].secret = NULL;
	}
	pthread_mutex_unlock(&typed_mu);
}

/* The secret for ${what}: typed before in this run, else asked now (the
 * lock held, so two instances never ask at once).  A copy the caller
 * releases with secret_free, or NULL. */
static char *
typed_secret(struct sftp_backend *be, const char *what, const char *prompt)
{
	char *s = NULL;
	size_t i;

	pthread_mutex_lock(&typed_mu);
	for (i = 0; i < TYPED_MAX && typed[i].what != NULL; i++)
		if (strcmp(typed[i].what, what) == 0) {
			s = secret_dup(typed[i].secret);
			goto out;
		}
	s = backend_ask(&be->asker, prompt);
	if (s == NULL || i == TYPED_MAX)
		goto out;
	typed[i].what = strdup(what);
	typed[i].secret = secret_dup(s);
	if (typed[i].what == NULL || typed[i].secret == NULL) {
		free(typed[i].what);
		secret_free(typed[i].secret);
		typed[i].what = typed[i].secret = NULL;
	}
	if (!typed_hooked && atexit(typed_wipe) == 0)
		typed_hooked = true;
out:
	pthread_mutex_unlock(&typed_mu);
	return s;
}

/* The secret for a key or the password: the URL's or FTP_PASSWORD, or
 * one typed once.  NULL when there is none. */
static const char *
get_secret(struct sftp_backend *be, const char *prompt)
{
	char what[600];

	if (be->secret != NULL || be->secret_asked || be->batch ||
	    be->asker.ask == NULL)
		return be->secret;
	be->secret_asked = true;
	snprintf(what, sizeof(what), "password %s@%s:%d", be->user, be->host,
	    be->port);
	be->secret = typed_secret(be, what, prompt);
	return be->secret;
}

/* The passphrase for key ${path}: the one that worked before, the shared
 * secret, or one typed for this key. */
static const char *
key_secret(struct sftp_backend *be, const char *path, char *prompt, size_t size)
{
	char what[4200];

	if (be->key_pass != NULL && strcmp(be->key_pass_for, path) == 0)
		return be->key_pass;
	if (be->secret != NULL)
		return be->secret;
	if (be->batch || be->asker.ask == NULL || be->key_pass_for != NULL)
		return NULL;
	snprintf(prompt, size, "Enter passphrase for key '%s': ", path);
	snprintf(what, sizeof(what), "key %s", path);
	be->key_pass_for = strdup(path);
	be->key_pass = typed_secret(be, what, prompt);
	if (be->key_pass_for == NULL || be->key_pass == NULL)
		return NULL;
	return be->key_pass;
}

/* Read the head of key file ${path}: 0, or -1 when it cannot be read. */
static int
probe(const char *path, struct sftp_keyinfo *ki)
{
	char *head = malloc(KEY_HEAD);
	ssize_t n = -1;
	int fd;

	if (head == NULL)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, head, KEY_HEAD);
		close(fd);
	}
	if (n >= 0)
		sftp_key_probe(head, (size_t)n, ki);
	secret_wipe(head, KEY_HEAD);
	free(head);
	return n < 0 ? -1 : 0;
}

/* One identity file, in its ${pass} (RSA keys in the second).  0 logged
 * in, 1 not, -1 failed. */
static int
key_auth(struct sftp_backend *be, const char *path, int pass, struct tried *t,
    struct dupc_err *err)
{
	struct sftp_keyinfo ki;
	const char *pw = NULL;
	char prompt[600];
	int rc;

	if (probe(path, &ki) < 0) {
		if (pass == 0 && errno != ENOENT)
			note(t, "%s: unreadable", path);
		return 1;
	}
	if ((strcmp(ki.type, "ssh-rsa") == 0) != (pass == 1))
		return 1;
	if (ki.encrypted) {
		pw = key_secret(be, path, prompt, sizeof(prompt));
		if (pw == NULL) {
			note(t, "%s: needs its passphrase", path);
			t->no_secret = true;
			return 1;
		}
	}
	while ((rc = libssh2_userauth_publickey_fromfile_ex(be->c.ssh, be->user,
		    (unsigned)strlen(be->user), NULL, path, pw)) ==
	       LIBSSH2_ERROR_EAGAIN)
		if (sftp_wait(be, err) < 0)
			return -1;
	if (rc == 0)
		return 0;
	if (rc == LIBSSH2_ERROR_FILE) {
		note(t, "%s: %s", path,
		    ki.encrypted ? "wrong passphrase?"
				 : "not a key libssh2 can read");
		return 1;
	}
	if (!refused(rc))
		return auth_fail(be, rc, err);
	note(t, "%s: refused", path);
	if (pass == 1)
		t->rsa = true;
	return 1;
}

/* Keyboard-interactive: the password for a single hidden prompt. */
static void
kbd_answer(const char *name, int name_len, const char *instruction,
    int instruction_len, int num_prompts,
    const LIBSSH2_USERAUTH_KBDINT_PROMPT *prompts,
    LIBSSH2_USERAUTH_KBDINT_RESPONSE *responses, void **abstract)
{
	struct sftp_backend *be = *abstract;
	int i;

	(void)name;
	(void)name_len;
	(void)instruction;
	(void)instruction_len;
	for (i = 0; i < num_prompts; i++) {
		/* libssh2 frees the answers with the session's allocator,
		 * which wipes them */
		responses[i].text = NULL;
		responses[i].length = 0;
		if (num_prompts == 1 && !prompts[i].echo &&
		    be->secret != NULL) {
			size_t n = strlen(be->secret);

			responses[i].text = sftp_mem_alloc(be, n + 1);
			if (responses[i].text != NULL) {
				memcpy(responses[i].text, be->secret, n + 1);
				responses[i].length = (unsigned)n;
			}
		}
	}
}

static int
password_auth(struct sftp_backend *be, const char *methods, struct tried *t,
    struct dupc_err *err)
{
	bool pw = strstr(methods, "password") != NULL;
	bool kbd = strstr(methods, "keyboard-interactive") != NULL;
	char prompt[600];
	const char *s;
	int rc;

	if (!pw && !kbd)
		return 1;
	snprintf(prompt, sizeof(prompt), "Password for '%s@%s': ", be->user,
	    be->host);
	s = get_secret(be, prompt);
	if (s == NULL) {
		note(t, "%s", "no password: none given");
		t->no_secret = true;
		return 1;
	}
	for (;;) {
		if (pw)
			rc = libssh2_userauth_password_ex(be->c.ssh, be->user,
			    (unsigned)strlen(be->user), s, (unsigned)strlen(s),
			    NULL);
		else
			rc = libssh2_userauth_keyboard_interactive_ex(be->c.ssh,
			    be->user, (unsigned)strlen(be->user), kbd_answer);
		if (rc != LIBSSH2_ERROR_EAGAIN)
			break;
		if (sftp_wait(be, err) < 0)
			return -1;
	}
	if (rc == 0)
		return 0;
	if (!refused(rc))
		return auth_fail(be, rc, err);
	note(t, "%s",
	    rc == LIBSSH2_ERROR_PASSWORD_EXPIRED ? "the password: expired"
						 : "the password: refused");
	return 1;
}

/* The methods the server allows (NULL and logged in: "none" sufficed). */
static int
methods_of(struct sftp_backend *be, const char **out, struct dupc_err *err)
{
	const char *m;
	int rc;

	for (;;) {
		m = libssh2_userauth_list(be->c.ssh, be->user,
		    (unsigned)strlen(be->user));
		if (m != NULL || libssh2_userauth_authenticated(be->c.ssh))
			break;
		rc = libssh2_session_last_errno(be->c.ssh);
		if (rc != LIBSSH2_ERROR_EAGAIN)
			return sftp_fail(be, rc, err, "logging in to %s",
			    be->where);
		if (sftp_wait(be, err) < 0)
			return -1;
	}
	*out = m;
	return 0;
}

static int
keys_auth(struct sftp_backend *be, struct tried *t, struct dupc_err *err)
{
	size_t i;
	int pass, rc = agent_auth(be, t, err);

	for (pass = 0; pass < 2 && rc == 1; pass++)
		for (i = 0; i < be->ids.n && rc == 1; i++)
			rc = key_auth(be, be->ids.v[i], pass, t, err);
	return rc;
}

int
sftp_auth(struct sftp_backend *be, struct dupc_err *err)
{
	struct tried t = { "", false, false };
	const char *methods = NULL;
	int rc = 1;

	if (methods_of(be, &methods, err) < 0)
		return -1;
	if (methods == NULL)
		return 0;
	if (strstr(methods, "publickey") != NULL)
		rc = keys_auth(be, &t, err);
	if (rc == 1)
		rc = password_auth(be, methods, &t, err);
	if (rc <= 0)
		return rc;
	return err_set(err, E_USER_ERROR,
	    "cannot log in to %s as %s (tried %s; the server allows %s)%s%s",
	    be->where, be->user, t.text[0] ? t.text : "nothing", methods,
	    t.rsa
		? "; libssh2 1.10 signs RSA keys with SHA-1 only, which OpenSSH 8.8 and later refuse: use an Ed25519 or ECDSA key"
		: "",
	    t.no_secret
		? "; give the password or passphrase in FTP_PASSWORD or the URL"
		: "");
}
