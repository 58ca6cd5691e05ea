/*
 * util/url: backend URLs and password redaction.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/url.h"

struct good_case {
	const char *url;
	const char *scheme, *user, *password, *host, *path;
};

static void
check_url(const struct url *u, const struct good_case *c)
{
	CHECK_STR(u->scheme, c->scheme, c->url);
	CHECK_STR(u->user, c->user, c->url);
	CHECK_STR(u->password, c->password, c->url);
	CHECK_STR(u->host, c->host, c->url);
	CHECK_STR(u->path, c->path, c->url);
}

static void
test_parse_good(void **state)
{
	static const struct good_case cases[] = {
		/* file:// — everything after it is the path, as typed */
		{ "file:///backup/dupc", "file", NULL, NULL, "",
		    "/backup/dupc" },
		{ "file:///backup/dupc/", "file", NULL, NULL, "",
		    "/backup/dupc/" },
		{ "file://rel/path", "file", NULL, NULL, "", "rel/path" },
		{ "file://./rel", "file", NULL, NULL, "", "./rel" },
		{ "file:///", "file", NULL, NULL, "", "/" },
		{ "FILE:///x", "file", NULL, NULL, "", "/x" },
		{ "file:///dir with spaces/%20", "file", NULL, NULL, "",
		    "/dir with spaces/%20" },
		{ "file:///a@b:c/d", "file", NULL, NULL, "", "/a@b:c/d" },
		/* mf:// with an e-mail user written %40 */
		{ "mf://user%40example.com:secret@mediafire.com/backups/dupc",
		    "mf", "user@example.com", "secret", "mediafire.com",
		    "backups/dupc" },
		{ "mf://user%40example.com@mediafire.com/backups", "mf",
		    "user@example.com", NULL, "mediafire.com", "backups" },
		{ "mf://me@example.com:pw@host/p", "mf", "me@example.com", "pw",
		    "host", "p" },
		{ "mf://u:p%3Ass%40w0rd@h/", "mf", "u", "p:ss@w0rd", "h", "" },
		{ "mf://u:pa:ss@h/x", "mf", "u", "pa:ss", "h", "x" },
		{ "mf://u:@h/x", "mf", "u", "", "h", "x" },
		{ "mf://host", "mf", NULL, NULL, "host", "" },
		{ "mf://host/a%20b/c", "mf", NULL, NULL, "host", "a b/c" },
		{ "mf://host/p@x", "mf", NULL, NULL, "host", "p@x" },
		{ "mf://127.0.0.1:8080/dir", "mf", NULL, NULL, "127.0.0.1:8080",
		    "dir" },
		{ "Mem://store", "mem", NULL, NULL, "store", "" },
		{ "sftp+x.y-z://h/p", "sftp+x.y-z", NULL, NULL, "h", "p" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct url u;
		struct dupc_err err;

		err_clear(&err);
		CHECK_INT(url_parse(&u, cases[i].url, &err), 0, cases[i].url);
		check_url(&u, &cases[i]);
		url_release(&u);
		CHECK(u.scheme == NULL && u.password == NULL, cases[i].url);
	}
	UNIT_DONE();
}

static void
test_parse_bad(void **state)
{
	static const char *const cases[] = {
		"",
		"noscheme",
		"/abs/path",
		"://x",    /* empty scheme */
		"file://", /* no path */
		"FILE://",
		"ht tp://x", /* space in the scheme */
		"f/le://x",
		"\xff://x", /* non-UTF-8 scheme */
		"m\xc3\xa9://x",
		"../x://y",
		"mf:/host/path",
		"mf:host",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct url u;
		struct dupc_err err;
		char name[64];

		unit_escape(cases[i], strlen(cases[i]), name, sizeof(name));
		err_clear(&err);
		CHECK_INT(url_parse(&u, cases[i], &err), -1, name);
		CHECK_INT(err.code, E_BAD_URL, name);
		CHECK(u.scheme == NULL, name);
	}
	/* the message of a bad URL never shows its password */
	{
		struct url u;
		struct dupc_err err;

		err_clear(&err);
		CHECK_INT(url_parse(&u, "m f://user:hunter2@host/p", &err), -1,
		    "bad scheme with a password");
		CHECK(strstr(err.msg, "hunter2") == NULL, "password not shown");
		CHECK(strstr(err.msg, "***") != NULL, "password redacted");
	}
	UNIT_DONE();
}

static void
test_looks_like(void **state)
{
	(void)state;
	CHECK(url_looks_like("file:///x"), "file URL");
	CHECK(url_looks_like("a://"), "minimal");
	CHECK(url_looks_like("dir/with://inside"),
	    "duplicity's test is a substring");
	CHECK(!url_looks_like("/x"), "path");
	CHECK(!url_looks_like("file:/x"), "one slash");
	CHECK(!url_looks_like(""), "empty");
	UNIT_DONE();
}

static void
test_redact(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "mf://user%40example.com:secret@mediafire.com/backups",
		    "mf://user%40example.com:***@mediafire.com/backups" },
		{ "mf://u:pa:ss@h/x", "mf://u:***@h/x" },
		{ "mf://me@example.com:pw@host/p",
		    "mf://me@example.com:***@host/p" },
		{ "mf://u:p%40ss@h/", "mf://u:***@h/" },
		{ "mf://u:@h/", "mf://u:***@h/" },
		{ "mf://user@host/p", "mf://user@host/p" },
		{ "mf://host:8080/p", "mf://host:8080/p" },
		{ "mf://host/p:x@y", "mf://host/p:x@y" },
		{ "file:///backup/dupc", "file:///backup/dupc" },
		{ "not a url", "not a url" },
		{ "", "" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[256];

		CHECK_STR(url_redact(cases[i].in, out, sizeof(out)),
		    cases[i].want, cases[i].in);
	}
	/* short buffers: terminated, never a piece of the password */
	{
		const char *u = "mf://user:topsecretpassword@host/path";
		size_t n;

		for (n = 1; n < 60; n++) {
			char out[64];
			char name[32];

			memset(out, 'Z', sizeof(out));
			url_redact(u, out, n);
			snprintf(name, sizeof(name), "buffer of %zu", n);
			CHECK(strlen(out) < n, name);
			CHECK(strstr(out, "top") == NULL, name);
			CHECK(strstr(out, "secret") == NULL, name);
		}
		{
			char out[4] = "abc";

			url_redact(u, out, 0);
			CHECK_STR(out, "abc", "size 0 writes nothing");
		}
	}
	UNIT_DONE();
}

static void
test_percent_decode(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "%41%42", "AB" },
		{ "a%2Fb", "a/b" },
		{ "a%2fb", "a/b" },
		{ "%4", "%4" },
		{ "x%4", "x%4" },
		{ "%zz", "%zz" },
		{ "%%41", "%A" },
		{ "100%", "100%" },
		{ "%e9", "\xe9" },
		{ "", "" },
		{ "plain", "plain" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = url_percent_decode(cases[i].in);

		CHECK_STR(out, cases[i].want, cases[i].in);
		free(out);
	}
	UNIT_DONE();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_parse_good),
		UNIT_TEST(test_parse_bad),
		UNIT_TEST(test_looks_like),
		UNIT_TEST(test_redact),
		UNIT_TEST(test_percent_decode),
	};

	unit_init();
	return cmocka_run_group_tests_name("url", tests, NULL, NULL);
}
