/*
 * sftp:// against the backend conformance suite (backend_suite.h), on the
 * test sshd (tests/servers/sshd, OpenSSH on 127.0.0.1), then what is the
 * scheme's own: reconnecting after a reset, refused logins and host keys,
 * passphrases, ~/.ssh/config.  Every case runs with a HOME of its own.
 *
 * needs-server: sshd
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/sftp/sftp_internal.h"
#include "backend_suite.h"
#include "bt_server.h"
#include "bt_util.h"
#include "unit.h"
#include "util/err.h"
#include "util/secret.h"
#include "util/stream.h"

/* The server's env file, as tests/servers/sshd writes it. */
static struct {
	char port[16], user[64], password[128], home[1024], key[1024],
	    key_protected[1024], passphrase[256], known[1024];
} sv;

static char home[1024]; /* the tests' HOME */
static char keyopts[4096], pwopts[4096];
static struct backend_opt key_opt[1], pw_opt[2];
static struct backend_options key_opts = { .num_retries = 3,
	.retry_delay = 0.01,
	.timeout = 20 };
static struct backend_options pw_opts = { .num_retries = 3,
	.retry_delay = 0.01,
	.timeout = 20 };

/* ${key} of the server's env file into ${out}; false when missing. */
static bool
env_value(const char *key, char *out, size_t size)
{
	const char *v = bt_server_env("sshd", key);

	if (v == NULL || strlen(v) >= size)
		return false;
	snprintf(out, size, "%s", v);
	return true;
}

/* What the tests need of tests/servers/sshd (bt_server_need first). */
static bool
load_env(void)
{
	char path[1024], *pp;
	size_t n;

	if (!env_value("DUPC_SSHD_PORT", sv.port, sizeof(sv.port)) ||
	    !env_value("DUPC_SSHD_USER", sv.user, sizeof(sv.user)) ||
	    !env_value("DUPC_SSHD_PASSWORD", sv.password,
		sizeof(sv.password)) ||
	    !env_value("DUPC_SSHD_HOME", sv.home, sizeof(sv.home)) ||
	    !env_value("DUPC_SSHD_KEY", sv.key, sizeof(sv.key)) ||
	    !env_value("DUPC_SSHD_KNOWN_HOSTS", sv.known, sizeof(sv.known)))
		return false;
	env_value("DUPC_SSHD_KEY_PROTECTED", sv.key_protected,
	    sizeof(sv.key_protected));
	if (!env_value("DUPC_SSHD_KEY_PASSPHRASE_FILE", path, sizeof(path)))
		return true;
	pp = (char *)unit_slurp(path, &n);
	if (pp != NULL) {
		snprintf(sv.passphrase, sizeof(sv.passphrase), "%.*s",
		    (int)strcspn(pp, "\n"), pp);
		secret_wipe(pp, n);
		free(pp);
	}
	return true;
}

static void
key_url(char *buf, size_t size, unsigned serial, void *arg)
{
	(void)arg;
	snprintf(buf, size, "sftp://%s@127.0.0.1:%s/suite/%ld/t%u/a", sv.user,
	    sv.port, (long)getpid(), serial);
}

/* A folder of its own for one case of this run. */
static void
place(char *buf, size_t size, const char *what)
{
	snprintf(buf, size, "sftp://%s@127.0.0.1:%s/%s-%ld", sv.user, sv.port,
	    what, (long)getpid());
}

/* scp:// with an absolute path, a password and --use-scp. */
static void
pw_url(char *buf, size_t size, unsigned serial, void *arg)
{
	(void)arg;
	snprintf(buf, size, "scp://%s@127.0.0.1:%s/%s/abs/%ld/t%u/a", sv.user,
	    sv.port, sv.home, (long)getpid(), serial);
}

/* The server's files are on this machine: the subfolder is made there. */
static void
subfolder(const char *url, void *arg)
{
	const char *p = strstr(url, "/suite/");
	char path[2048];

	(void)arg;
	if (p == NULL)
		p = strstr(url, "/abs/");
	assert_non_null(p);
	snprintf(path, sizeof(path), "%s%s/subdir", sv.home, p);
	assert_int_equal(mkdir(path, 0777), 0);
}

/* The group's HOME: unit_setup's fresh directory. */
static int
setup(void **state)
{
	char path[1100];

	if (unit_setup(state) < 0 || getcwd(home, sizeof(home)) == NULL)
		return -1;
	setenv("HOME", home, 1);
	unsetenv("SSH_AUTH_SOCK");
	snprintf(path, sizeof(path), "%s/.ssh", home);
	mkdir(path, 0700);
	snprintf(keyopts, sizeof(keyopts), "-i %s -oUserKnownHostsFile=%s",
	    sv.key, sv.known);
	key_opt[0] = (struct backend_opt){ "ssh-options", keyopts };
	key_opts.opts = key_opt;
	key_opts.nopts = 1;
	snprintf(pwopts, sizeof(pwopts), "-oUserKnownHostsFile=%s", sv.known);
	pw_opt[0] = (struct backend_opt){ "ssh-options", pwopts };
	pw_opt[1] = (struct backend_opt){ "use-scp", NULL };
	pw_opts.opts = pw_opt;
	pw_opts.nopts = 2;
	pw_opts.password = sv.password;
	return 0;
}

static int
teardown(void **state)
{
	return unit_teardown(state);
}

static int
count_fn(const char *name, uint64_t size, void *arg, struct dupc_err *err)
{
	(void)name;
	(void)size;
	(void)err;
	(*(unsigned *)arg)++;
	return 0;
}

/* ---- the scheme's own cases ------------------------------------------ */

static struct backend *
open_raw(const char *url, const struct backend_options *o)
{
	struct backend *be = NULL;
	struct dupc_err err;

	err_clear(&err);
	if (backend_open_raw(url, o, &be, &err) != 0)
		fail_msg("open %s: %s", url, err.msg);
	return be;
}

/* A connection reset between calls fails the next call as transient;
 * the one after connects again. */
static void
test_reconnect(void **state)
{
	char url[256], got[128];
	struct backend *be;
	struct sftp_backend *sb;
	struct dupc_err err;
	uint64_t size;

	(void)state;
	key_url(url, sizeof(url), 9001, NULL);
	be = open_raw(url, &key_opts);
	bt_put(be, "one", "1", 1);
	sb = (struct sftp_backend *)be;
	assert_true(sb->c.fd >= 0);
	shutdown(sb->c.fd, SHUT_RDWR);
	err_clear(&err);
	assert_int_equal(backend_size(be, "one", &size, &err), -1);
	assert_int_equal(err.cls, ERR_TRANSIENT);
	assert_int_equal(err.code, E_CONNECTION_FAILED);
	bt_put(be, "two", "22", 2);
	assert_int_equal(bt_list(be, got, sizeof(got)), 2);
	assert_string_equal(got, "one:1;two:2;");
	backend_close(be);
}

/* Through the retry layer the reset is invisible. */
static void
test_reconnect_wrapped(void **state)
{
	char url[256];
	struct backend *be = NULL, *raw;
	struct dupc_err err;
	uint64_t size;

	(void)state;
	key_url(url, sizeof(url), 9002, NULL);
	err_clear(&err);
	assert_int_equal(backend_open(url, &key_opts, &be, &err), 0);
	bt_put(be, "x", "xyz", 3);
	raw = open_raw(url, &key_opts); /* a second client does not matter */
	bt_expect(raw, "x", "xyz", 3);
	shutdown(((struct sftp_backend *)raw)->c.fd, SHUT_RDWR);
	assert_int_equal(backend_size(raw, "x", &size, &err), -1);
	backend_close(raw);
	assert_int_equal(backend_size(be, "x", &size, &err), 0);
	assert_int_equal(size, 3);
	backend_close(be);
}

/* A wrong password: permanent, duplicity's code (23), not in the line. */
static void
test_wrong_password(void **state)
{
	struct backend_options o = pw_opts;
	char url[256];
	struct backend *be;
	struct dupc_err err;
	unsigned count = 0;

	(void)state;
	o.password = "not-the-password-7731";
	place(url, sizeof(url), "wrong");
	be = open_raw(url, &o);
	err_clear(&err);
	assert_int_equal(backend_list(be, count_fn, &count, &err), -1);
	assert_int_equal(err.cls, ERR_PERMANENT);
	assert_int_equal(err.code, E_USER_ERROR);
	assert_non_null(strstr(err.msg, "cannot log in"));
	assert_non_null(strstr(err.msg, "the password: refused"));
	assert_null(strstr(err.msg, "not-the-password-7731"));
	assert_null(strchr(err.msg, '\n'));
	backend_close(be);
}

/* The password in the URL (percent-decoded) logs in. */
static void
test_password_in_url(void **state)
{
	struct backend_options o = pw_opts;
	char url[1024], enc[400], got[64];
	struct backend *be;
	size_t i, n = 0;

	(void)state;
	for (i = 0; sv.password[i] && n + 4 < sizeof(enc); i++)
		n += (size_t)snprintf(enc + n, sizeof(enc) - n, "%%%02X",
		    (unsigned char)sv.password[i]);
	o.password = NULL;
	o.nopts = 1; /* SFTP, not scp */
	snprintf(url, sizeof(url), "sftp://%s:%s@127.0.0.1:%s/urlpw-%ld",
	    sv.user, enc, sv.port, (long)getpid());
	be = open_raw(url, &o);
	bt_put(be, "p", "pw", 2);
	assert_int_equal(bt_list(be, got, sizeof(got)), 1);
	backend_close(be);
}

static struct backend_options *
options_with(const char *ssh_options, struct backend_opt *slot,
    struct backend_options *o)
{
	*o = key_opts;
	slot[0] = (struct backend_opt){ "ssh-options", ssh_options };
	o->opts = slot;
	o->nopts = 1;
	return o;
}

/* An unknown host: refused with the one-line fix; accept-new adds it;
 * a changed key is refused even then. */
static void
test_host_keys(void **state)
{
	char url[256], opts[4096], kh[1200], want[2048];
	struct backend_opt slot[1];
	struct backend_options o;
	struct backend *be;
	struct dupc_err err;
	unsigned char *text;
	unsigned count = 0;
	size_t n;
	FILE *f;

	(void)state;
	snprintf(kh, sizeof(kh), "%s/kh-test", home);
	unlink(kh);
	place(url, sizeof(url), "hk");
	snprintf(opts, sizeof(opts), "-i %s -oUserKnownHostsFile=%s", sv.key,
	    kh);
	be = open_raw(url, options_with(opts, slot, &o));
	err_clear(&err);
	assert_int_equal(backend_list(be, count_fn, &count, &err), -1);
	backend_close(be);
	assert_int_equal(err.code, E_USER_ERROR);
	assert_int_equal(err.cls, ERR_PERMANENT);
	snprintf(want, sizeof(want), "ssh-keyscan -p %s 127.0.0.1 >> ~/kh-test",
	    sv.port);
	if (strstr(err.msg, want) == NULL || strstr(err.msg, "SHA256:") == NULL)
		fail_msg("no fix in: %s", err.msg);
	assert_int_equal(access(kh, F_OK), -1);

	snprintf(opts, sizeof(opts),
	    "-i %s -oUserKnownHostsFile=%s -oStrictHostKeyChecking=accept-new",
	    sv.key, kh);
	be = open_raw(url, options_with(opts, slot, &o));
	bt_put(be, "k", "k", 1);
	backend_close(be);
	text = unit_slurp(kh, &n);
	assert_non_null(text);
	snprintf(want, sizeof(want), "[127.0.0.1]:%s ssh-ed25519 ", sv.port);
	assert_non_null(strstr((char *)text, want));
	free(text);

	/* the same host now answering with another key: refused */
	f = fopen(kh, "w");
	assert_non_null(f);
	fprintf(f,
	    "[127.0.0.1]:%s ssh-ed25519 "
	    "AAAAC3NzaC1lZDI1NTE5AAAAIOvZ8tqP7ad0yVYKRvCvL+dVv8x5uFlUNCAUhd/E6z3p\n",
	    sv.port);
	fclose(f);
	be = open_raw(url, options_with(opts, slot, &o));
	err_clear(&err);
	assert_int_equal(backend_list(be, count_fn, &count, &err), -1);
	backend_close(be);
	assert_int_equal(err.code, E_USER_ERROR);
	if (strstr(err.msg, "has changed") == NULL ||
	    strstr(err.msg, "ssh-keygen -R") == NULL)
		fail_msg("not a changed-key refusal: %s", err.msg);
}

/*
 * A host known by its RSA key only: the Ed25519 key it offers first is
 * not that, so only RSA is offered next, which the server (OpenSSH 9)
 * signs with SHA-2 alone and libssh2 1.10 cannot check: refused, with
 * the command that adds the Ed25519 key.
 */
static void
test_other_key_type(void **state)
{
	char url[256], opts[4096], kh[1200], line[4096];
	struct backend_opt slot[1];
	struct backend_options o;
	struct backend *be;
	struct dupc_err err;
	unsigned count = 0;
	FILE *in, *out;

	(void)state;
	snprintf(kh, sizeof(kh), "%s/kh-rsa", home);
	in = fopen(sv.known, "r");
	out = fopen(kh, "w");
	assert_non_null(in);
	assert_non_null(out);
	while (fgets(line, sizeof(line), in) != NULL)
		if (strstr(line, " ssh-rsa ") != NULL)
			fputs(line, out);
	fclose(in);
	fclose(out);
	place(url, sizeof(url), "rsa");
	snprintf(opts, sizeof(opts), "-i %s -oUserKnownHostsFile=%s", sv.key,
	    kh);
	be = open_raw(url, options_with(opts, slot, &o));
	err_clear(&err);
	assert_int_equal(backend_list(be, count_fn, &count, &err), -1);
	backend_close(be);
	assert_int_equal(err.code, E_USER_ERROR);
	assert_int_equal(err.cls, ERR_PERMANENT);
	if (strstr(err.msg, "known only in a form") == NULL ||
	    strstr(err.msg, "ssh-keyscan -t ed25519") == NULL)
		fail_msg("%s", err.msg);
}

static char *
ask_passphrase(void *arg, const char *prompt)
{
	unsigned *calls = arg;

	(*calls)++;
	assert_non_null(strstr(prompt, "passphrase"));
	return secret_dup(sv.passphrase);
}

/* A key with a passphrase: from FTP_PASSWORD, or asked (once, also
 * across reconnections and instances); with BatchMode=yes nothing is
 * asked. */
static void
test_passphrase(void **state)
{
	char url[256], opts[4096];
	struct backend_opt slot[1];
	struct backend_options o;
	struct backend *be;
	struct dupc_err err;
	unsigned calls = 0, count = 0;

	(void)state;
	if (sv.key_protected[0] == '\0' || sv.passphrase[0] == '\0')
		skip();
	place(url, sizeof(url), "pp");
	snprintf(opts, sizeof(opts),
	    "-oIdentitiesOnly=yes -i %s -oUserKnownHostsFile=%s",
	    sv.key_protected, sv.known);
	options_with(opts, slot, &o);
	o.password = sv.passphrase;
	be = open_raw(url, &o);
	bt_put(be, "a", "a", 1);
	backend_close(be);

	o.password = NULL;
	o.ask = ask_passphrase;
	o.ask_arg = &calls;
	be = open_raw(url, &o);
	bt_put(be, "b", "b", 1);
	shutdown(((struct sftp_backend *)be)->c.fd, SHUT_RDWR);
	err_clear(&err);
	backend_list(be, count_fn, &count, &err); /* fails: the reset */
	bt_put(be, "c", "c", 1);
	backend_close(be);
	assert_int_equal(calls, 1);
	/* another instance of the run (as a restore's fetchers are) is not
	 * asked again */
	be = open_raw(url, &o);
	bt_expect(be, "c", "c", 1);
	backend_close(be);
	assert_int_equal(calls, 1);

	snprintf(opts, sizeof(opts),
	    "-oBatchMode=yes -oIdentitiesOnly=yes -i %s -oUserKnownHostsFile=%s",
	    sv.key_protected, sv.known);
	options_with(opts, slot, &o);
	o.ask = ask_passphrase;
	be = open_raw(url, &o);
	err_clear(&err);
	assert_int_equal(backend_list(be, count_fn, &count, &err), -1);
	backend_close(be);
	assert_int_equal(calls, 1);
	assert_int_equal(err.code, E_USER_ERROR);
	if (strstr(err.msg, "needs its passphrase") == NULL)
		fail_msg("%s", err.msg);
}

/* ~/.ssh/config gives HostName, Port, User and IdentityFile. */
static void
test_ssh_config(void **state)
{
	char path[1200], text[8192], opts[4096], url[128];
	struct backend_opt slot[1];
	struct backend_options o;
	struct backend *be;

	(void)state;
	snprintf(path, sizeof(path), "%s/.ssh/config", home);
	snprintf(text, sizeof(text),
	    "# test\nHost other\n  Port 1\n\nHost dupc-test-*\n"
	    "  HostName 127.0.0.1\n  Port=%s\n  User %s\n"
	    "  IdentityFile \"%s\"\nHost *\n  User nobody\n",
	    sv.port, sv.user, sv.key);
	assert_int_equal(unit_write_file(path, text, strlen(text)), 0);
	snprintf(opts, sizeof(opts), "-oUserKnownHostsFile=%s", sv.known);
	options_with(opts, slot, &o);
	snprintf(url, sizeof(url), "sftp://dupc-test-alias/cfg-%ld",
	    (long)getpid());
	be = open_raw(url, &o);
	bt_put(be, "c", "cfg", 3);
	bt_expect(be, "c", "cfg", 3);
	backend_close(be);
	unlink(path);
}

/* A failed put leaves no temporary behind on the server. */
static void
test_no_temporaries(void **state)
{
	char url[256], dir[2048];
	struct backend *be;
	struct source *src;
	struct dupc_err err;
	char **names = NULL;
	size_t n = 0, i;

	(void)state;
	key_url(url, sizeof(url), 9003, NULL);
	be = open_raw(url, &key_opts);
	bt_put(be, "a", "a", 1);
	src = unit_failing_source_new(100000);
	err_clear(&err);
	assert_int_equal(backend_put(be, "b", src, 200000, &err), -1);
	source_free(src);
	backend_close(be);
	snprintf(dir, sizeof(dir), "%s/suite/%ld/t9003/a", sv.home,
	    (long)getpid());
	assert_int_equal(unit_list_dir(dir, &names, &n), 0);
	for (i = 0; i < n; i++)
		if (strncmp(names[i], ".dupc-", 6) == 0)
			fail_msg("left behind: %s", names[i]);
	assert_int_equal(n, 1);
	unit_free_names(names, n);
}

int
main(void)
{
	static const struct suite_target t[] = {
		{ "sftp", key_url, NULL, subfolder, true, false, 40,
		    &key_opts },
		{ "scp --use-scp, password", pw_url, NULL, subfolder, true,
		    false, 40, &pw_opts },
	};
	static const struct CMUnitTest extra[] = {
		cmocka_unit_test(test_reconnect),
		cmocka_unit_test(test_reconnect_wrapped),
		cmocka_unit_test(test_wrong_password),
		cmocka_unit_test(test_password_in_url),
		cmocka_unit_test(test_host_keys),
		cmocka_unit_test(test_other_key_type),
		cmocka_unit_test(test_passphrase),
		cmocka_unit_test(test_ssh_config),
		cmocka_unit_test(test_no_temporaries),
	};

	unit_init();
	if (bt_server_need("sshd") != 0)
		return 1;
	if (!load_env()) {
		printf(
		    "not ok 1 - the sshd env file lacks a DUPC_SSHD_ key\n1..1\n");
		return 1;
	}
	return backend_suite_run("sftp backend", t, 2, extra,
	    sizeof(extra) / sizeof(extra[0]), setup, teardown);
}
