/*
 * Fuzz target: multi://'s configuration file and URL query
 * (backend/multi/multi_config.c).  The file is the user's, but it is
 * often copied from elsewhere, and the query comes from a command line
 * a front-end builds.
 *
 * Input: one option byte (bit 0: mirror mode, bit 1: parse the rest as a
 * URL instead of a configuration), then the text.
 *
 * Properties: the text is parsed or refused cleanly; an accepted
 * configuration has 1 to MULTI_STORES_MAX stores, each with a non-empty
 * url, and prefixes only in mirror mode.
 */
#include "fuzz.h"

#include <string.h>

#include "backend/multi/multi_internal.h"
#include "util/err.h"
#include "util/log.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_verbosity(-1);
	return 0;
}

static void
one_url(const uint8_t *data, size_t size)
{
	struct multi_url mu;
	struct dupc_err err;
	char *s = malloc(size + 10);

	if (s == NULL)
		return;
	memcpy(s, "multi://", 8);
	memcpy(s + 8, data, size);
	s[size + 8] = '\0';
	err_clear(&err);
	if (multi_url_parse(&mu, s, &err) == 0) {
		FUZZ_ASSERT(mu.path != NULL && mu.path[0] != '\0');
		FUZZ_ASSERT(mu.subpath != NULL);
		multi_url_release(&mu);
	}
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum multi_mode mode;
	struct multi_config c;
	struct dupc_err err;
	uint8_t opt = fuzz_take(&data, &size);
	size_t i;

	if (opt & 2) {
		one_url(data, size);
		return 0;
	}
	mode = (opt & 1) ? MULTI_MIRROR : MULTI_STRIPE;
	err_clear(&err);
	if (multi_config_parse(&c, (const char *)data, size, mode, &err) < 0) {
		FUZZ_ASSERT(err.msg[0] != '\0');
		return 0;
	}
	FUZZ_ASSERT(c.n >= 1 && c.n <= MULTI_STORES_MAX);
	for (i = 0; i < c.n; i++) {
		FUZZ_ASSERT(c.stores[i].url != NULL && c.stores[i].url[0]);
		FUZZ_ASSERT(mode == MULTI_MIRROR || c.stores[i].nprefixes == 0);
	}
	multi_config_release(&c);
	return 0;
}
