/*
 * The PROPFIND answer parser (backend/webdav/dav_propfind.c) on good
 * answers as servers write them (Apache, Nextcloud's prefixes, absolute
 * hrefs, 404 propstats), fed whole and byte by byte, and on bad ones:
 * not XML, not a multistatus, a DTD or an entity, hrefs and sizes too
 * long or not numbers, documents cut short.  And --webdav-headers.
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/webdav/dav_internal.h"
#include "unit.h"
#include "util/err.h"

struct collect {
	char out[2048];
	unsigned stop_at; /* stop after this many (0: never) */
	unsigned n;
};

static int
collect(const struct dav_entry *e, void *arg, struct dupc_err *err)
{
	struct collect *c = arg;
	size_t l = strlen(c->out);

	snprintf(c->out + l, sizeof(c->out) - l, "%s%s%s:%llu;", e->href,
	    e->collection ? "/D" : "", e->has_size ? "" : "?",
	    (unsigned long long)e->size);
	if (c->stop_at != 0 && ++c->n == c->stop_at)
		return err_set(err, E_GENERIC, "stopped");
	return 0;
}

/* Parse ${doc} in pieces of ${step} bytes (0: whole). */
static int
parse(const char *doc, size_t step, struct collect *c, struct dupc_err *err)
{
	struct dav_propfind *p = dav_propfind_new(collect, c);
	size_t n = strlen(doc), off = 0;
	int rc = 0;

	assert_non_null(p);
	err_clear(err);
	while (rc == 0 && off < n) {
		size_t k = step == 0 || step > n - off ? n - off : step;

		rc = dav_propfind_feed(p, doc + off, k, err);
		off += k;
	}
	if (rc == 0)
		rc = dav_propfind_finish(p, err);
	dav_propfind_free(p);
	return rc;
}

static const char apache[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
    "<D:multistatus xmlns:D=\"DAV:\" xmlns:ns0=\"DAV:\">\n"
    "<D:response xmlns:lp1=\"DAV:\">\n"
    "<D:href>/dav/x/</D:href>\n"
    "<D:propstat><D:prop><lp1:resourcetype><D:collection/></lp1:resourcetype>\n"
    "</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>\n"
    "<D:propstat><D:prop><D:getcontentlength/></D:prop>"
    "<D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>\n"
    "</D:response>\n"
    "<D:response xmlns:lp1=\"DAV:\">\n"
    "<D:href>/dav/x/a%20b</D:href>\n"
    "<D:propstat><D:prop><lp1:resourcetype/>"
    "<lp1:getcontentlength>12345</lp1:getcontentlength>\n"
    "</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>\n"
    "</D:response>\n"
    "</D:multistatus>\n";

static const char nextcloud[] =
    "<?xml version=\"1.0\"?>\n"
    "<d:multistatus xmlns:d=\"DAV:\" xmlns:s=\"http://sabredav.org/ns\">"
    "<d:response><d:href>https://h.example/remote.php/dav/files/u/b/</d:href>"
    "<d:propstat><d:prop><d:resourcetype><d:collection/></d:resourcetype>"
    "</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>"
    "<d:response><d:href>https://h.example/remote.php/dav/files/u/b/f.gpg</d:href>"
    "<d:propstat><d:prop><d:resourcetype/><d:getcontentlength> 7 </d:getcontentlength>"
    "</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>"
    "<d:propstat><d:prop><x:other xmlns:x=\"urn:x\">9</x:other></d:prop>"
    "<d:status>HTTP/1.1 404 Not Found</d:status></d:propstat></d:response>"
    "<d:response><d:href>/b/big</d:href><d:propstat><d:prop>"
    "<d:getcontentlength>18446744073709551615</d:getcontentlength>"
    "</d:prop></d:propstat></d:response>"
    "</d:multistatus>";

static void
test_good(void **state)
{
	static const size_t steps[] = { 0, 1, 7, 64 };
	struct collect c;
	struct dupc_err err;
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		memset(&c, 0, sizeof(c));
		CHECK_INT(parse(apache, steps[i], &c, &err), 0, "apache");
		CHECK_STR(c.out, "/dav/x//D?:0;/dav/x/a%20b:12345;", "apache");
		memset(&c, 0, sizeof(c));
		CHECK_INT(parse(nextcloud, steps[i], &c, &err), 0, "nextcloud");
		CHECK_STR(c.out,
		    "https://h.example/remote.php/dav/files/u/b//D?:0;"
		    "https://h.example/remote.php/dav/files/u/b/f.gpg:7;"
		    "/b/big:18446744073709551615;",
		    "nextcloud");
	}
	memset(&c, 0, sizeof(c));
	CHECK_INT(parse("<multistatus xmlns=\"DAV:\"/>", 0, &c, &err), 0,
	    "empty");
	CHECK_STR(c.out, "", "empty");
	UNIT_DONE();
}

/* The entry callback stops the parse with its own error. */
static void
test_stop(void **state)
{
	struct collect c;
	struct dupc_err err;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.stop_at = 1;
	assert_int_equal(parse(apache, 0, &c, &err), -1);
	assert_string_equal(err.msg, "stopped");
}

static void
test_bad(void **state)
{
	static const struct {
		const char *name, *doc;
	} bad[] = {
		{ "not XML", "HTTP 500 Internal error" },
		{ "html", "<html><body>login</body></html>" },
		{ "wrong namespace", "<multistatus xmlns=\"urn:x\"/>" },
		{ "cut short", "<D:multistatus xmlns:D=\"DAV:\"><D:response>" },
		{ "empty", "" },
		{ "dtd", "<!DOCTYPE m [<!ENTITY a \"aaaa\">]>"
			 "<D:multistatus xmlns:D=\"DAV:\"/>" },
		{ "entity",
		    "<D:multistatus xmlns:D=\"DAV:\"><D:response><D:href>&x;"
		    "</D:href></D:response></D:multistatus>" },
		{ "no href",
		    "<D:multistatus xmlns:D=\"DAV:\"><D:response/></D:multistatus>" },
		{ "two hrefs",
		    "<D:multistatus xmlns:D=\"DAV:\"><D:response><D:href>a</D:href>"
		    "<D:href>b</D:href></D:response></D:multistatus>" },
		{ "size not a number",
		    "<D:multistatus xmlns:D=\"DAV:\"><D:response><D:href>a</D:href>"
		    "<D:propstat><D:prop><D:getcontentlength>-1</D:getcontentlength>"
		    "</D:prop></D:propstat></D:response></D:multistatus>" },
		{ "size too big",
		    "<D:multistatus xmlns:D=\"DAV:\"><D:response><D:href>a</D:href>"
		    "<D:propstat><D:prop><D:getcontentlength>18446744073709551616"
		    "</D:getcontentlength></D:prop></D:propstat></D:response>"
		    "</D:multistatus>" },
		{ "junk after", "<multistatus xmlns=\"DAV:\"/><x/>" },
		{ "NUL in href",
		    "<D:multistatus xmlns:D=\"DAV:\"><D:response><D:href>a&#0;b"
		    "</D:href></D:response></D:multistatus>" },
	};
	struct collect c;
	struct dupc_err err;
	size_t i;
	char *big;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&c, 0, sizeof(c));
		CHECK_INT(parse(bad[i].doc, 0, &c, &err), -1, bad[i].name);
		CHECK_INT(err.cls, ERR_PERMANENT, bad[i].name);
		CHECK(strstr(err.msg, "PROPFIND") != NULL, bad[i].name);
	}
	/* an href longer than DAV_HREF_MAX */
	big = malloc(DAV_HREF_MAX + 200);
	assert_non_null(big);
	strcpy(big, "<D:multistatus xmlns:D=\"DAV:\"><D:response><D:href>");
	memset(big + strlen(big), 'h', DAV_HREF_MAX + 1);
	big[strlen("<D:multistatus xmlns:D=\"DAV:\"><D:response><D:href>") +
	    DAV_HREF_MAX + 1] = '\0';
	strcat(big, "</D:href></D:response></D:multistatus>");
	memset(&c, 0, sizeof(c));
	CHECK_INT(parse(big, 100, &c, &err), -1, "long href");
	free(big);
	UNIT_DONE();
}

static void
test_headers(void **state)
{
	static const struct {
		const char *spec, *want;
	} good[] = {
		{ "Cookie,a=b", "Cookie: a=b|" },
		{ "X-A,1,X-B,\"two, with comma\"",
		    "X-A: 1|X-B: two, with comma|" },
		{ "X-Q,\"say \"\"hi\"\"\"", "X-Q: say \"hi\"|" },
		{ "X-Empty,", "X-Empty: |" },
	};
	static const char *const bad[] = { "OnlyName", "A,1,B", "Bad Name,v",
		",v", "X,\"open", "X,\"a\"b", "X,line\nbreak", "X:Y,v" };
	struct dupc_err err;
	char **h, out[256];
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		out[0] = '\0';
		CHECK_INT(dav_headers_parse(good[i].spec, &h, &err), 0,
		    good[i].spec);
		for (j = 0; h != NULL && h[j] != NULL; j++)
			snprintf(out + strlen(out), sizeof(out) - strlen(out),
			    "%s|", h[j]);
		CHECK_STR(out, good[i].want, good[i].spec);
		dav_headers_free(h);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&err);
		CHECK_INT(dav_headers_parse(bad[i], &h, &err), -1, bad[i]);
		CHECK_INT(err.code, E_COMMAND_LINE, bad[i]);
	}
	UNIT_DONE();
}

/*
 * Nothing reaches stderr, whatever the answer (libxml2 reports a UTF-16
 * document's broken conversion outside the parser's context), and each
 * failure is one line.
 */
static void
test_quiet(void **state)
{
	static const char utf16[] =
	    "\xff\xfe<\0D\0:\0m\0u\0l\0t\0i\0s\0t\0a\0t\0u\0s\0>\0"
	    "\x00\xd8"
	    "<\0/\0D\0:\0m\0u\0l\0t\0i\0s\0t\0a\0t\0u\0s\0>\0";
	static const char *const bodies[] = {
		"<D:multistatus xmlns:D=\"DAV:\"><D:response></D:multistatus>",
		"<a:b/>",
		"\xff\xff",
	};
	struct dav_propfind *p;
	struct collect c;
	struct dupc_err err;
	struct unit_stderr quiet;
	size_t i;

	(void)state;
	unit_stderr_begin(&quiet);
	memset(&c, 0, sizeof(c));
	p = dav_propfind_new(collect, &c);
	assert_non_null(p);
	if (dav_propfind_feed(p, utf16, sizeof(utf16) - 1, &err) == 0)
		assert_int_equal(dav_propfind_finish(p, &err), -1);
	assert_null(strchr(err.msg, '\n'));
	dav_propfind_free(p);
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		memset(&c, 0, sizeof(c));
		assert_int_equal(parse(bodies[i], 0, &c, &err), -1);
		assert_null(strchr(err.msg, '\n'));
	}
	assert_int_equal(unit_stderr_end(&quiet), 0);
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		UNIT_TEST(test_good),
		UNIT_TEST(test_stop),
		UNIT_TEST(test_bad),
		UNIT_TEST(test_headers),
		UNIT_TEST(test_quiet),
	};

	unit_init();
	return cmocka_run_group_tests_name("dav_propfind", tests, NULL, NULL);
}
