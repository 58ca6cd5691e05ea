/*
 * GnuPG passphrases, found as duplicity finds them (dup_main.py
 * get_passphrase): PASSPHRASE / SIGN_PASSPHRASE from the environment, the
 * one standing in for the other when the signing key is also a recipient,
 * else a prompt on the terminal (with confirmation for backups with
 * symmetric encryption), else a clear error before the target is touched.
 * Passphrases never reach argv or a child's environment: they go to gpgme's
 * passphrase callback, and are wiped when released.
 */
#define _DEFAULT_SOURCE
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "util/err.h"
#include "util/log.h"
#include "util/secret.h"

#define PASS_MAX 1024

/* Secrets taken from the environment at start-up (see cli_take_secrets). */
static char *env_passphrase, *env_sign_passphrase, *env_ftp_password;

static char *
take(const char *name)
{
	const char *v = getenv(name);
	char *copy = v ? secret_dup(v) : NULL;

	/* gone from the environment, so no child (gpg, gpg-agent) inherits
	 * it; the value in the environ block is wiped as well */
	if (v != NULL) {
		secret_wipe((char *)(uintptr_t)v, strlen(v));
		unsetenv(name);
	}
	return copy;
}

void
cli_take_secrets(void)
{
	env_passphrase = take("PASSPHRASE");
	env_sign_passphrase = take("SIGN_PASSPHRASE");
	env_ftp_password = take("FTP_PASSWORD");
}

const char *
cli_ftp_password(void)
{
	return env_ftp_password;
}

void
cli_drop_secrets(void)
{
	secret_free(env_passphrase);
	secret_free(env_sign_passphrase);
	secret_free(env_ftp_password);
	env_passphrase = env_sign_passphrase = env_ftp_password = NULL;
}

/* Read one line from the terminal without echo; NULL on error/EOF. */
static char *
prompt(const char *question)
{
	struct termios old, noecho;
	char line[PASS_MAX];
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	size_t n = 0;
	char *out = NULL;
	bool restore = false;

	if (fd < 0)
		return NULL;
	if (tcgetattr(fd, &old) == 0) {
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)ECHO;
		restore = tcsetattr(fd, TCSANOW, &noecho) == 0;
	}
	if (write(fd, question, strlen(question)) < 0)
		goto out;
	while (n < sizeof(line) - 1) {
		char ch;
		ssize_t r = read(fd, &ch, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			goto out;
		if (ch == '\n' || ch == '\r')
			break;
		line[n++] = ch;
	}
	line[n] = '\0';
	out = secret_dup(line);
out:
	if (restore)
		tcsetattr(fd, TCSANOW, &old);
	if (write(fd, "\n", 1) < 0) {
		/* nothing to do: the prompt line is cosmetic */
	}
	close(fd);
	secret_wipe(line, sizeof(line));
	return out;
}

static bool
is_recipient(const struct cli *c, const char *key)
{
	size_t i;

	for (i = 0; key != NULL && i < c->o.nencrypt_keys; i++)
		if (strcmp(c->o.encrypt_keys[i], key) == 0)
			return true;
	for (i = 0; key != NULL && i < c->o.nhidden_keys; i++)
		if (strcmp(c->o.hidden_keys[i], key) == 0)
			return true;
	return false;
}

/* Ask (twice when ${confirm}) until two answers match. */
static char *
ask(const char *what, bool confirm, struct dupc_err *err)
{
	char q1[128], q2[128];

	snprintf(q1, sizeof(q1), "GnuPG passphrase for %s: ", what);
	snprintf(q2, sizeof(q2), "Retype passphrase for %s to confirm: ", what);
	for (int tries = 0; tries < 3; tries++) {
		char *a = prompt(q1), *b;

		if (a == NULL)
			break;
		if (!confirm)
			return a;
		b = prompt(q2);
		if (b != NULL && strcmp(a, b) == 0) {
			secret_free(b);
			return a;
		}
		secret_free(a);
		secret_free(b);
		log_warn(
		    "First and second passphrases do not match!  Please try again.");
	}
	err_set(err, E_GPG_FAILED,
	    "no passphrase was entered; set PASSPHRASE in the environment");
	return NULL;
}

int
cli_passphrases(struct cli *c, enum cmd_id cmd, struct dupc_err *err)
{
	struct dupc_opts *o = &c->o;
	const char *p = env_passphrase, *sp = env_sign_passphrase;
	bool backup = cmd == CMD_FULL || cmd == CMD_INC || cmd == CMD_BACKUP;
	bool symmetric = o->nencrypt_keys == 0 && o->nhidden_keys == 0;
	bool tty = isatty(STDIN_FILENO);

	if (p != NULL && (o->passphrase = secret_dup(p)) == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	if (sp != NULL && (o->sign_passphrase = secret_dup(sp)) == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	/* a signing key that is also a recipient has one passphrase */
	if (is_recipient(c, o->sign_key)) {
		if (o->sign_passphrase == NULL && p != NULL) {
			log_notice(
			    "Reuse configured PASSPHRASE as SIGN_PASSPHRASE");
			o->sign_passphrase = secret_dup(p);
		} else if (o->passphrase == NULL && sp != NULL) {
			log_notice(
			    "Reuse configured SIGN_PASSPHRASE as PASSPHRASE");
			o->passphrase = secret_dup(sp);
		}
	}
	if (!o->encrypt || o->use_agent)
		return 0;
	/* these read only what the archive dir has, or ask gpg when a
	 * metadata sync must decrypt (duplicity asks nothing for them) */
	if (cmd == CMD_COLLECTION_STATUS || cmd == CMD_REMOVE_OLDER_THAN ||
	    cmd == CMD_REMOVE_ALL_BUT_N_FULL ||
	    cmd == CMD_REMOVE_ALL_INC_OF_BUT_N_FULL ||
	    (o->passphrase == NULL && !tty &&
		(cmd == CMD_LIST_CURRENT_FILES || cmd == CMD_CLEANUP ||
		    cmd == CMD_DIFF)))
		return 0;
	if (o->passphrase == NULL && (!backup || symmetric)) {
		if (!backup && !symmetric)
			return 0; /* gpg asks its agent for the secret key */
		if (!tty || (o->passphrase = ask("decryption",
				 backup && symmetric, err)) == NULL)
			return err->code
				   ? -1
				   : err_set(err, E_GPG_FAILED,
					 "no passphrase: set PASSPHRASE in the environment (or use --no-encryption or --encrypt-key)");
	}
	if (backup && o->sign_key != NULL && o->sign_passphrase == NULL) {
		if (symmetric && o->passphrase != NULL) {
			o->sign_passphrase = secret_dup(o->passphrase);
		} else if (tty) {
			o->sign_passphrase = ask("signing key", true, err);
			if (o->sign_passphrase == NULL)
				return -1;
		}
	}
	if (backup && symmetric && o->passphrase != NULL &&
	    *o->passphrase == '\0')
		return err_set(err, E_GPG_FAILED,
		    "cannot use an empty passphrase with symmetric encryption; set PASSPHRASE");
	if (symmetric && o->sign_passphrase != NULL && o->passphrase != NULL &&
	    strcmp(o->sign_passphrase, o->passphrase) != 0)
		return err_set(err, E_USER_ERROR,
		    "When using symmetric encryption, the signing passphrase must equal the encryption passphrase.");
	return 0;
}
