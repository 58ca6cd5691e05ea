/*
 * backend/sftp's readers of what the user wrote: the URL's host part,
 * --ssh-options, the ssh_config subset, % tokens, key file headers and
 * base64.  Good cases and bad ones (no SSH server needed).
 */
#define _GNU_SOURCE
#include "unit.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/sftp/sftp_parse.h"
#include "util/err.h"

static void
test_split_host(void **state)
{
	static const struct {
		const char *in, *host;
		int port;
	} good[] = {
		{ "h", "h", 0 },
		{ "host.example.com:2222", "host.example.com", 2222 },
		{ "127.0.0.1:22", "127.0.0.1", 22 },
		{ "h:65535", "h", 65535 },
		{ "h:1", "h", 1 },
		{ "[::1]", "::1", 0 },
		{ "[fe80::1%eth0]:2200", "fe80::1%eth0", 2200 },
	};
	static const char *const bad[] = { "", ":22", "h:0", "h:65536", "h:abc",
		"h:", "h:-1", "h:+22", "h: 22", "[::1", "[]", "[::1]x",
		"[::1]:", "::1", "a:b:c", "h:99999999999999999999", "x]:22",
		"[::1]:0" };
	struct dupc_err err;
	char *h;
	int port;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		h = NULL;
		CHECK_INT(sftp_split_host(good[i].in, &h, &port, NULL), 0,
		    good[i].in);
		CHECK_STR(h, good[i].host, good[i].in);
		CHECK_INT(port, good[i].port, good[i].in);
		free(h);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&err);
		h = NULL;
		CHECK_INT(sftp_split_host(bad[i], &h, &port, &err), -1, bad[i]);
		CHECK_INT(err.code, E_BAD_URL, bad[i]);
		CHECK(h == NULL, bad[i]);
	}
	UNIT_DONE();
}

static void
test_words(void **state)
{
	static const struct {
		const char *in;
		const char *words[4];
	} cases[] = {
		{ "", { NULL } },
		{ "  a  b\tc ", { "a", "b", "c", NULL } },
		{ "'a b' \"c d\"", { "a b", "c d", NULL } },
		{ "x'y z'w", { "xy zw", NULL } },
		{ "a\\ b", { "a b", NULL } },
		{ "'a\\b'", { "a\\b", NULL } },
		{ "\"a\\\"b\\x\"", { "a\"b\\x", NULL } },
		{ "''", { "", NULL } },
	};
	char out[64];
	const char *s;
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = cases[i].in;
		for (k = 0; cases[i].words[k] != NULL; k++) {
			CHECK_INT(sftp_word(&s, out), 1, cases[i].in);
			CHECK_STR(out, cases[i].words[k], cases[i].in);
		}
		CHECK_INT(sftp_word(&s, out), 0, cases[i].in);
	}
	s = "ok 'open";
	CHECK_INT(sftp_word(&s, out), 1, "unterminated");
	CHECK_INT(sftp_word(&s, out), -1, "unterminated");
	s = "\"open";
	CHECK_INT(sftp_word(&s, out), -1, "unterminated double");
	UNIT_DONE();
}

static void
parse_ok(struct sftp_sshopts *o, const char *text)
{
	struct dupc_err err;

	sftp_sshopts_init(o);
	err_clear(&err);
	if (sftp_sshopts_parse(o, text, &err) != 0)
		fail_msg("'%s': %s", text, err.msg);
}

static void
test_sshopts_good(void **state)
{
	struct sftp_sshopts o;
	struct dupc_err err;

	(void)state;
	parse_ok(&o, "-i /k1 -oIdentityFile=/k2 -o IdentityFile=/k3 -i/k1");
	assert_int_equal(o.identity.n, 3);
	assert_string_equal(o.identity.v[0], "/k1");
	assert_string_equal(o.identity.v[2], "/k3");
	assert_null(o.ignored);
	sftp_sshopts_release(&o);

	parse_ok(&o, "-i '/with space/k' -oUserKnownHostsFile=\"/a b\" "
		     "-oGlobalKnownHostsFile=none");
	assert_string_equal(o.identity.v[0], "/with space/k");
	assert_int_equal(o.user_known.n, 1);
	assert_string_equal(o.user_known.v[0], "/a b");
	assert_true(o.global_known_set);
	assert_int_equal(o.global_known.n, 0);
	sftp_sshopts_release(&o);

	parse_ok(&o, "-oStrictHostKeyChecking=accept-new -p 2222 -l bob");
	assert_int_equal(o.strict, SFTP_STRICT_ACCEPT_NEW);
	assert_int_equal(o.port, 2222);
	assert_string_equal(o.user, "bob");
	sftp_sshopts_release(&o);

	parse_ok(&o, "-o 'StrictHostKeyChecking no' -P2200 -oUser=al "
		     "-o 'Port = 2201'");
	assert_int_equal(o.strict, SFTP_STRICT_NO);
	assert_int_equal(o.port, 2201);
	assert_string_equal(o.user, "al");
	sftp_sshopts_release(&o);

	parse_ok(&o, "-ostricthostkeychecking=ask -oCompression=yes "
		     "-oIdentitiesOnly=true -oBatchMode=no -oConnectTimeout=7 "
		     "-F ~/cfg -oHostName=real.example");
	assert_int_equal(o.strict, SFTP_STRICT_YES);
	assert_int_equal(o.compression, 1);
	assert_int_equal(o.identities_only, 1);
	assert_int_equal(o.batch_mode, 0);
	assert_int_equal(o.connect_timeout, 7);
	assert_string_equal(o.config_file, "~/cfg");
	assert_string_equal(o.hostname, "real.example");
	sftp_sshopts_release(&o);

	/* what dupc does not use is named, values included */
	parse_ok(&o, "-4C -c aes128-ctr -oProxyCommand=nc -o 'Ciphers x' "
		     "stray -q -C");
	assert_int_equal(o.compression, 1);
	assert_non_null(o.ignored);
	assert_string_equal(o.ignored,
	    "-4C -c aes128-ctr -oProxyCommand=nc -o Ciphers x stray -q");
	sftp_sshopts_release(&o);

	/* several values add up */
	sftp_sshopts_init(&o);
	err_clear(&err);
	assert_int_equal(sftp_sshopts_parse(&o, "-i /a", &err), 0);
	assert_int_equal(sftp_sshopts_parse(&o, "-i /b -p 1", &err), 0);
	assert_int_equal(sftp_sshopts_parse(&o, "-p 2", &err), 0);
	assert_int_equal(o.identity.n, 2);
	assert_int_equal(o.port, 2);
	sftp_sshopts_release(&o);
}

static void
test_sshopts_bad(void **state)
{
	static const char *const bad[] = {
		"-i",
		"-o",
		"-p",
		"-i 'open",
		"-oPort=0",
		"-oPort=70000",
		"-p x",
		"-oStrictHostKeyChecking=maybe",
		"-oCompression=perhaps",
		"-oBatchMode=",
		"-oIdentityFile",
		"-oConnectTimeout=-1",
		"-oConnectTimeout=abc",
		"-i a -i b -i c -i d -i e -i f -i g -i h -i i -i j -i k -i l "
		"-i m -i n -i o -i p -i q",
	};
	struct sftp_sshopts o;
	struct dupc_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sftp_sshopts_init(&o);
		err_clear(&err);
		CHECK_INT(sftp_sshopts_parse(&o, bad[i], &err), -1, bad[i]);
		CHECK_INT(err.code, E_COMMAND_LINE, bad[i]);
		CHECK(strstr(err.msg, "--ssh-options") != NULL, bad[i]);
		sftp_sshopts_release(&o);
	}
	UNIT_DONE();
}

/* Parse the ${n} bytes at ${text} as a config file for ${host}. */
static int
cfgn(const char *text, size_t n, const char *host, struct sftp_hostcfg *c,
    struct dupc_err *err)
{
	static const struct sftp_cfgctx ctx = { "/home/u", "/etc/ssh", true };
	FILE *f = fmemopen((void *)(uintptr_t)text, n, "r");
	int rc;

	assert_non_null(f);
	memset(c, 0, sizeof(*c));
	err_clear(err);
	rc = sftp_config_parse(f, "cfg", host, false, &ctx, c, err);
	fclose(f);
	return rc;
}

static int
cfg(const char *text, const char *host, struct sftp_hostcfg *c,
    struct dupc_err *err)
{
	return cfgn(text, strlen(text), host, c, err);
}

static void
test_config_good(void **state)
{
	static const char text[] = "# comment\n"
				   "\n"
				   "Host other\n"
				   "  Port 1\n"
				   "  User nobody\n"
				   "Host *.example.com !secret.example.com\n"
				   "  HostName %h.internal\n"
				   "  port=2222\n"
				   "  USER = alice # trailing comment\n"
				   "  IdentityFile \"~/.ssh/key one\"\n"
				   "  IdentityFile ~/.ssh/key2\n"
				   "Match host foo\n"
				   "  User matched\n"
				   "Match all\n"
				   "  IdentityFile ~/.ssh/all\n"
				   "Host b?ckup\n"
				   "  HostName backup.lan\n"
				   "Host *\n"
				   "  User fallback\n"
				   "  Port 22\n"
				   "  Ciphers aes128-ctr\n";
	struct sftp_hostcfg c;
	struct dupc_err err;

	(void)state;
	assert_int_equal(cfg(text, "www.example.com", &c, &err), 0);
	assert_string_equal(c.hostname, "%h.internal");
	assert_int_equal(c.port, 2222);
	assert_string_equal(c.user, "alice");
	assert_int_equal(c.identity.n, 3);
	assert_string_equal(c.identity.v[0], "~/.ssh/key one");
	assert_string_equal(c.identity.v[2], "~/.ssh/all");
	sftp_hostcfg_release(&c);

	assert_int_equal(cfg(text, "secret.example.com", &c, &err), 0);
	assert_null(c.hostname);
	assert_string_equal(c.user, "fallback");
	assert_int_equal(c.port, 22);
	sftp_hostcfg_release(&c);

	assert_int_equal(cfg(text, "BACKUP", &c, &err), 0);
	assert_string_equal(c.hostname, "backup.lan");
	sftp_hostcfg_release(&c);

	assert_int_equal(cfg(text, "other", &c, &err), 0);
	assert_int_equal(c.port, 1);
	assert_string_equal(c.user, "nobody");
	sftp_hostcfg_release(&c);

	/* options before any Host apply to every host; NUL ends a line */
	assert_int_equal(
	    cfg("User first\nHost x\nUser second\n", "x", &c, &err), 0);
	assert_string_equal(c.user, "first");
	sftp_hostcfg_release(&c);
	assert_int_equal(cfgn("Port 7\0junk\nUser u\n", 19, "x", &c, &err), 0);
	assert_int_equal(c.port, 7);
	assert_string_equal(c.user, "u");
	sftp_hostcfg_release(&c);
}

static void
test_config_bad(void **state)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "Port abc\n", "cfg line 1: bad port" },
		{ "\n\nPort 0\n", "cfg line 3: bad port" },
		{ "Port 65536\n", "bad port" },
		{ "Port\n", "Port has no value" },
		{ "HostName a b\n", "HostName takes one value" },
		{ "User \"open\n", "a quote is not closed" },
		{ "Host\n", "Host has no pattern" },
		{ "Include other\n", "Include is not allowed" },
		{ "Include\n", "Include has no file" },
	};
	struct sftp_hostcfg c;
	struct dupc_err err;
	char *big;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(cfg(bad[i].text, "h", &c, &err), -1, bad[i].text);
		CHECK_INT(err.code, E_USER_ERROR, bad[i].text);
		CHECK(strstr(err.msg, bad[i].want) != NULL, bad[i].text);
		sftp_hostcfg_release(&c);
	}
	/* a bad value in a block for another host is not this run's */
	CHECK_INT(cfg("Host other\nPort abc\n", "h", &c, &err), 0, "inactive");
	sftp_hostcfg_release(&c);
	big = malloc(20000);
	assert_non_null(big);
	memset(big, 'x', 19999);
	big[19999] = '\0';
	CHECK_INT(cfg(big, "h", &c, &err), -1, "long line");
	CHECK(strstr(err.msg, "longer than 16 KiB") != NULL, "long line");
	sftp_hostcfg_release(&c);
	free(big);
	UNIT_DONE();
}

/* Include, from files: relative to ~/.ssh, globbed, nested, bounded. */
static void
test_config_include(void **state)
{
	struct sftp_cfgctx ctx = { NULL, "/etc/ssh", false };
	struct sftp_hostcfg c;
	struct dupc_err err;
	char home[1024], path[1200];

	(void)state;
	assert_non_null(getcwd(home, sizeof(home)));
	ctx.home = home;
	assert_int_equal(mkdir(".ssh", 0700), 0);
	assert_int_equal(mkdir(".ssh/conf.d", 0700), 0);
	assert_int_equal(unit_write_file(".ssh/config",
			     "Include conf.d/*.conf\nHost *\nUser last\n", 40),
	    0);
	assert_int_equal(
	    unit_write_file(".ssh/conf.d/a.conf", "Host h\nPort 2022\n", 17),
	    0);
	assert_int_equal(unit_write_file(".ssh/conf.d/b.conf",
			     "Host *\nUser fromb\nPort 1\n", 25),
	    0);
	snprintf(path, sizeof(path), "%s/.ssh/config", home);
	memset(&c, 0, sizeof(c));
	assert_int_equal(sftp_config_read(path, "h", false, &ctx, &c, &err), 0);
	assert_int_equal(c.port, 2022);
	assert_string_equal(c.user, "fromb");
	sftp_hostcfg_release(&c);

	/* a missing file is no error; a file including itself is */
	assert_int_equal(
	    sftp_config_read("/nonexistent/cfg", "h", false, &ctx, &c, &err),
	    0);
	assert_int_equal(
	    unit_write_file(".ssh/loop", "Include ~/.ssh/loop\n", 20), 0);
	snprintf(path, sizeof(path), "%s/.ssh/loop", home);
	err_clear(&err);
	assert_int_equal(sftp_config_read(path, "h", false, &ctx, &c, &err),
	    -1);
	assert_non_null(strstr(err.msg, "nested more than 16 deep"));
	sftp_hostcfg_release(&c);
}

static void
test_expand(void **state)
{
	static const struct sftp_tokens t = { "/home/u", "me", "srv", "bob",
		2222 };
	static const struct {
		const char *in, *out;
	} good[] = {
		{ "~", "/home/u" },
		{ "~/.ssh/id", "/home/u/.ssh/id" },
		{ "%d/%u/%h/%r/%p/%%", "/home/u/me/srv/bob/2222/%" },
		{ "/abs/~/x", "/abs/~/x" },
		{ "", "" },
	};
	static const char *const bad[] = { "%x", "a%", "~bob/x", "%C" };
	struct dupc_err err;
	char *out;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		out = NULL;
		CHECK_INT(sftp_expand(good[i].in, &t, true, &out, NULL), 0,
		    good[i].in);
		CHECK_STR(out, good[i].out, good[i].in);
		free(out);
	}
	out = NULL;
	CHECK_INT(sftp_expand("~/x", &t, false, &out, NULL), 0, "no tilde");
	CHECK_STR(out, "~/x", "no tilde");
	free(out);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&err);
		out = NULL;
		CHECK_INT(sftp_expand(bad[i], &t, true, &out, &err), -1,
		    bad[i]);
		CHECK_INT(err.code, E_USER_ERROR, bad[i]);
		CHECK(out == NULL, bad[i]);
	}
	UNIT_DONE();
}

/* The first lines of throwaway keys made with ssh-keygen for this test. */
static const char key_plain[] =
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "QyNTUxOQAAACC7AHttZg+RLmL3Uf+JNQqkZjKtYNMSXDwnY8w6GmOM9QAAAIjkGoam5BqG\n";
static const char key_crypted[] =
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0AAAAGAAAABCBveGYPG\n"
    "gWOftTdwWQF86mAAAAEAAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5AAAAICw815PAB1vV4ThK\n";
static const char key_rsa[] =
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAlwAAAAdzc2gtcn\n"
    "NhAAAAAwEAAQAAAIEAxxJ/tYbWvuocj0d45cw8mcecCYZdhNJ+IZXivlcBo482M76M4uyL\n";

static void
test_key_probe(void **state)
{
	static const struct {
		const char *name, *text, *type;
		bool known, encrypted;
	} cases[] = {
		{ "openssh ed25519", key_plain, "ssh-ed25519", true, false },
		{ "openssh ed25519, aes256-ctr", key_crypted, "ssh-ed25519",
		    true, true },
		{ "openssh rsa", key_rsa, "ssh-rsa", true, false },
		{ "pem rsa", "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n",
		    "ssh-rsa", true, false },
		{ "pem rsa, encrypted",
		    "-----BEGIN RSA PRIVATE KEY-----\n"
		    "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n",
		    "ssh-rsa", true, true },
		{ "pem ec", "-----BEGIN EC PRIVATE KEY-----\n", "ecdsa", true,
		    false },
		{ "pkcs8", "-----BEGIN PRIVATE KEY-----\n", "", true, false },
		{ "pkcs8, encrypted", "-----BEGIN ENCRYPTED PRIVATE KEY-----\n",
		    "", true, true },
		{ "not a key", "hello world\n", "", false, false },
		{ "empty", "", "", false, false },
		{ "openssh, no body", "-----BEGIN OPENSSH PRIVATE KEY-----\n",
		    "", false, false },
		{ "openssh, bad magic",
		    "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAAAAAAAAAAAAAAAAAAA\n",
		    "", false, false },
		{ "openssh, truncated in the cipher",
		    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
		    "b3BlbnNzaC1rZXktdjEAAAAACmFlcz\n",
		    "", false, false },
		{ "openssh, huge length",
		    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
		    "b3BlbnNzaC1rZXktdjEA/////w==\n",
		    "", false, false },
	};
	struct sftp_keyinfo ki;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sftp_key_probe(cases[i].text, strlen(cases[i].text), &ki);
		CHECK_STR(ki.type, cases[i].type, cases[i].name);
		CHECK_INT(ki.known, cases[i].known, cases[i].name);
		CHECK_INT(ki.encrypted, cases[i].encrypted, cases[i].name);
	}
	UNIT_DONE();
}

static void
test_base64(void **state)
{
	char out[64];
	unsigned char h[32];

	(void)state;
	assert_string_equal(sftp_base64_encode("", 0, out, sizeof(out)), "");
	assert_string_equal(sftp_base64_encode("f", 1, out, sizeof(out)), "Zg");
	assert_string_equal(sftp_base64_encode("fo", 2, out, sizeof(out)),
	    "Zm8");
	assert_string_equal(sftp_base64_encode("foo", 3, out, sizeof(out)),
	    "Zm9v");
	assert_string_equal(
	    sftp_base64_encode("\xff\xfe\xfd\xfc", 4, out, sizeof(out)),
	    "//79/A");
	memset(h, 0, sizeof(h));
	assert_int_equal(strlen(sftp_base64_encode(h, 32, out, sizeof(out))),
	    43);
	assert_null(sftp_base64_encode("foo", 3, out, 4));
	assert_non_null(sftp_base64_encode("foo", 3, out, 5));
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		UNIT_TEST(test_split_host),
		UNIT_TEST(test_words),
		UNIT_TEST(test_sshopts_good),
		UNIT_TEST(test_sshopts_bad),
		UNIT_TEST(test_config_good),
		UNIT_TEST(test_config_bad),
		UNIT_TEST(test_config_include),
		UNIT_TEST(test_expand),
		UNIT_TEST(test_key_probe),
		UNIT_TEST(test_base64),
	};

	unit_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
