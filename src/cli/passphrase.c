/*
 * GnuPG passphrases, found as duplicity finds them (dup_main.py
 * get_passphrase): PASSPHRASE / SIGN_PASSPHRASE from the environment, the
 * one standing in for the other when the signing key is also a recipient,
 * else a prompt on the terminal (with confirmation for backups with
 * symmetric encryption; standard input when it is a pipe or a file, as
 * getpass falls back to), else a clear error before the target is touched.
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
#include <sys/stat.h>
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

/*
 * Where a prompt is answered: the terminal when standard input is one
 * (asked on /dev/tty, as getpass does), else standard input itself when it
 * is a pipe, a file or a socket, with the question on stderr (getpass's
 * fallback, which is how duplicity is driven without a terminal).  A
 * character device that is no terminal (/dev/null under cron) answers
 * nothing, so a run without one fails with a clear error instead.
 */
enum answer_from { ANSWER_NONE, ANSWER_TTY, ANSWER_STDIN };

static enum answer_from
answer_from(void)
{
	struct stat st;

	if (isatty(STDIN_FILENO))
		return ANSWER_TTY;
	if (fstat(STDIN_FILENO, &st) < 0 || S_ISCHR(st.st_mode))
		return ANSWER_NONE;
	return ANSWER_STDIN;
}

/* One line from ${fd}, read a byte at a time so that nothing past the
 * newline is consumed (the next prompt reads the next line). */
static char *
read_line(int fd)
{
	char line[PASS_MAX];
	size_t n = 0;
	char *out = NULL;

	while (n < sizeof(line) - 1) {
		char ch;
		ssize_t r = read(fd, &ch, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (n == 0)
				goto out;
			break;
		}
		if (ch == '\n' || ch == '\r')
			break;
		line[n++] = ch;
	}
	line[n] = '\0';
	out = secret_dup(line);
out:
	secret_wipe(line, sizeof(line));
	return out;
}

/* Ask ${question} and read the answer without echo; NULL on error/EOF. */
static char *
prompt(const char *question)
{
	struct termios old, noecho;
	enum answer_from from = answer_from();
	int in = STDIN_FILENO, out = STDERR_FILENO, tty = -1;
	char *answer = NULL;
	bool restore = false;

	if (from == ANSWER_NONE)
		return NULL;
	if (from == ANSWER_TTY) {
		tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (tty >= 0)
			in = out = tty;
	}
	if (isatty(in) && tcgetattr(in, &old) == 0) {
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)ECHO;
		restore = tcsetattr(in, TCSANOW, &noecho) == 0;
	}
	if (write(out, question, strlen(question)) >= 0)
		answer = read_line(in);
	if (restore)
		tcsetattr(in, TCSANOW, &old);
	if (write(out, "\n", 1) < 0) {
		/* nothing to do: the prompt line is cosmetic */
	}
	if (tty >= 0)
		close(tty);
	return answer;
}

char *
cli_ask_secret(void *arg, const char *question)
{
	(void)arg;
	return prompt(question);
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
	bool can_ask = answer_from() != ANSWER_NONE;

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
		(cmd == CMD_LIST_CURRENT_FILES || cmd == CMD_DIFF)) ||
	    (o->passphrase == NULL && !can_ask && cmd == CMD_CLEANUP))
		return 0;
	if (o->passphrase == NULL && (!backup || symmetric)) {
		if (!backup && !symmetric)
			return 0; /* gpg asks its agent for the secret key */
		if (!can_ask || (o->passphrase = ask("decryption",
				     backup && symmetric, err)) == NULL)
			return err->code
				   ? -1
				   : err_set(err, E_GPG_FAILED,
					 "no passphrase: set PASSPHRASE in the environment (or use --no-encryption or --encrypt-key)");
	}
	if (backup && o->sign_key != NULL && o->sign_passphrase == NULL) {
		if (symmetric && o->passphrase != NULL) {
			o->sign_passphrase = secret_dup(o->passphrase);
		} else if (can_ask) {
			/* dup_main.py: get_passphrase(1, action, True),
			 * asked once */
			o->sign_passphrase = ask("signing key", false, err);
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
