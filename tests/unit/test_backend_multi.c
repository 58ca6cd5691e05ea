/*
 * multi:// against the backend conformance suite (backend_suite.h), as a
 * mirror and as a stripe over file:// stores, and its own parsers (the
 * URL's query, the configuration file) on good and bad input.
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/multi/multi_internal.h"
#include "backend_suite.h"
#include "bt_util.h"
#include "unit.h"
#include "util/err.h"

static char scratch[256];

/* A configuration of three file:// stores for location ${serial}. */
static void
write_config(unsigned serial)
{
	char path[400];
	FILE *f;

	snprintf(path, sizeof(path), "%s/m%u.json", scratch, serial);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f,
	    "[{\"url\": \"file://%s/m%u/a\", \"description\": \"first\"},\n"
	    " {\"url\": \"file://%s/m%u/b\", \"env\": [{\"name\": \"X\", \"value\": \"1\"}]},\n"
	    " {\"url\": \"file://%s/m%u/c\"}]\n",
	    scratch, serial, scratch, serial, scratch, serial);
	fclose(f);
}

static void
mirror_url(char *buf, size_t size, unsigned serial, void *arg)
{
	(void)arg;
	write_config(serial);
	snprintf(buf, size, "multi://%s/m%u.json?mode=mirror", scratch, serial);
}

static void
stripe_url(char *buf, size_t size, unsigned serial, void *arg)
{
	(void)arg;
	write_config(serial);
	snprintf(buf, size, "multi://%s/m%u.json?mode=stripe&onfail=continue",
	    scratch, serial);
}

static int
setup(void **state)
{
	const char *t = getenv("TMPDIR");

	(void)state;
	snprintf(scratch, sizeof(scratch), "%s/dupc-multi-suite.XXXXXX",
	    t != NULL && *t ? t : "/tmp");
	return mkdtemp(scratch) != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
	if (strstr(scratch, "dupc-multi-suite.") != NULL)
		(void)!system(cmd);
	return 0;
}

static void
test_url_query(void **state)
{
	static const struct {
		const char *url;
		int ok;
		int mode, onfail;
		const char *path, *subpath;
	} cases[] = {
		{ "multi:///etc/m.json", 1, MULTI_STRIPE, MULTI_CONTINUE,
		    "/etc/m.json", "" },
		{ "multi:///etc/m.json?mode=mirror&onfail=abort", 1,
		    MULTI_MIRROR, MULTI_ABORT, "/etc/m.json", "" },
		{ "multi:///a%20b.json?subpath=%2Fhost1&mode=stripe", 1,
		    MULTI_STRIPE, MULTI_CONTINUE, "/a b.json", "/host1" },
		{ "multi://rel/m.json?onfail=continue", 1, MULTI_STRIPE,
		    MULTI_CONTINUE, "rel/m.json", "" },
		{ "multi://", 0, 0, 0, NULL, NULL },
		{ "multi:///m.json?mode=raid5", 0, 0, 0, NULL, NULL },
		{ "multi:///m.json?onfail=ignore", 0, 0, 0, NULL, NULL },
		{ "multi:///m.json?mode=mirror&mode=stripe", 0, 0, 0, NULL,
		    NULL },
		{ "multi:///m.json?colour=blue", 0, 0, 0, NULL, NULL },
		{ "multi:///m.json?mode", 0, 0, 0, NULL, NULL },
	};
	struct multi_url mu;
	struct dupc_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;

		err_clear(&err);
		rc = multi_url_parse(&mu, cases[i].url, &err);
		CHECK_INT(rc == 0, cases[i].ok, cases[i].url);
		if (rc == 0 && cases[i].ok) {
			CHECK_INT(mu.mode, cases[i].mode, cases[i].url);
			CHECK_INT(mu.onfail, cases[i].onfail, cases[i].url);
			CHECK(strcmp(mu.path, cases[i].path) == 0,
			    cases[i].url);
			CHECK(strcmp(mu.subpath, cases[i].subpath) == 0,
			    cases[i].url);
		}
		if (rc < 0)
			CHECK_INT(err.code, E_BAD_URL, cases[i].url);
		multi_url_release(&mu);
	}
	UNIT_DONE();
}

static void
test_config(void **state)
{
	static const struct {
		const char *json;
		int mode;
		int ok;
		size_t stores;
	} cases[] = {
		{ "[{\"url\": \"file:///a\"}]", MULTI_STRIPE, 1, 1 },
		{ "[{\"url\": \"file:///a\", \"description\": \"d\", \"env\": "
		  "[{\"name\": \"A\", \"value\": \"b\"}], \"prefixes\": "
		  "[\"duplicity-full\"], \"other\": 3}, {\"url\": \"mf://x\"}]",
		    MULTI_MIRROR, 1, 2 },
		{ "", MULTI_STRIPE, 0, 0 },
		{ "{}", MULTI_STRIPE, 0, 0 },
		{ "[]", MULTI_STRIPE, 0, 0 },
		{ "[1]", MULTI_STRIPE, 0, 0 },
		{ "[{}]", MULTI_STRIPE, 0, 0 },
		{ "[{\"url\": 5}]", MULTI_STRIPE, 0, 0 },
		{ "[{\"url\": \"\"}]", MULTI_STRIPE, 0, 0 },
		{ "[{\"url\": \"a\", \"url\": \"b\"}]", MULTI_STRIPE, 0, 0 },
		{ "[{\"url\": \"a\", \"description\": []}]", MULTI_STRIPE, 0,
		    0 },
		{ "[{\"url\": \"a\", \"env\": {}}]", MULTI_STRIPE, 0, 0 },
		{ "[{\"url\": \"a\", \"env\": [{\"name\": \"A\"}]}]",
		    MULTI_STRIPE, 0, 0 },
		{ "[{\"url\": \"a\", \"env\": [{\"name\": \"A=B\", \"value\": \"\"}]}]",
		    MULTI_STRIPE, 0, 0 },
		{ "[{\"url\": \"a\", \"prefixes\": [\"p\"]}]", MULTI_STRIPE, 0,
		    0 },
		{ "[{\"url\": \"a\", \"prefixes\": [7]}]", MULTI_MIRROR, 0, 0 },
		{ "[{\"url\": \"a\"}", MULTI_STRIPE, 0, 0 },
	};
	struct multi_config c;
	struct dupc_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;

		err_clear(&err);
		rc = multi_config_parse(&c, cases[i].json,
		    strlen(cases[i].json), cases[i].mode, &err);
		CHECK_INT(rc == 0, cases[i].ok, cases[i].json);
		if (rc == 0)
			CHECK_INT(c.n, cases[i].stores, cases[i].json);
		else
			CHECK(strstr(err.msg, "multi:// configuration") != NULL,
			    cases[i].json);
		multi_config_release(&c);
	}
	UNIT_DONE();
}

/* A store that fails (a file where its folder should be) is left out
 * with onfail=continue, and the next run that writes fills it in. */
static void
test_mirror_fill_in(void **state)
{
	static const struct backend_options w = { .num_retries = 1,
		.retry_delay = 0.01,
		.timeout = 5,
		.writes = true };
	char url[400], path[400], got[256];
	struct backend *be;
	struct dupc_err err;
	FILE *f;

	(void)state;
	write_config(900);
	snprintf(path, sizeof(path), "%s/m900", scratch);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/m900/b", scratch);
	f = fopen(path, "w"); /* store b cannot be a folder */
	assert_non_null(f);
	fclose(f);
	snprintf(url, sizeof(url), "multi://%s/m900.json?mode=mirror", scratch);
	err_clear(&err);
	assert_int_equal(backend_open(url, &w, &be, &err), 0);
	assert_int_equal(bt_list(be, got, sizeof(got)), 0);
	bt_put(be, "one", "1", 1);
	bt_put(be, "two", "22", 2);
	backend_close(be);
	unlink(path); /* store b comes back */
	assert_int_equal(backend_open(url, &w, &be, &err), 0);
	assert_int_equal(bt_list(be, got, sizeof(got)), 2);
	backend_close(be);
	snprintf(path, sizeof(path), "%s/m900/b/two", scratch);
	assert_int_equal(access(path, F_OK), 0);
	/* abort stops at the first failure */
	snprintf(url, sizeof(url),
	    "multi://%s/m900.json?mode=mirror&onfail=abort", scratch);
	snprintf(path, sizeof(path), "%s/m900/c", scratch);
	{
		char cmd[900];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s' && touch '%s'", path,
		    path);
		assert_int_equal(system(cmd), 0);
	}
	assert_int_equal(backend_open(url, &w, &be, &err), 0);
	err_clear(&err);
	{
		struct source *src = mem_source_new("3", 1);

		assert_int_equal(backend_put(be, "three", src, 1, &err), -1);
		source_free(src);
	}
	assert_non_null(strstr(err.msg, "onfail=abort"));
	backend_close(be);
	UNIT_DONE();
}

int
main(void)
{
	static const struct suite_target t[] = {
		{ "multi mirror", mirror_url, NULL, NULL, true, false, 60,
		    NULL },
		{ "multi stripe", stripe_url, NULL, NULL, true, false, 60,
		    NULL },
	};
	const struct CMUnitTest own[] = {
		cmocka_unit_test(test_url_query),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_mirror_fill_in),
	};

	unit_init();
	return backend_suite_run("multi backend", t, 2, own,
	    sizeof(own) / sizeof(own[0]), setup, teardown);
}
