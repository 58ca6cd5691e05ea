/*
 * Fuzz target: the record of a target's lock object (format/lockrec.c),
 * which any run on any host may have written, or anything else that took
 * its name.
 *
 * Input: the object's bytes.
 *
 * Properties: the bytes are parsed or refused cleanly; an accepted record
 * is written back and parses to the same record.
 */
#include "fuzz.h"

#include <string.h>

#include "format/lockrec.h"
#include "util/buf.h"
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lockrec r, back;
	struct dupc_err err;
	struct buf b;
	char holder[1024];

	err_clear(&err);
	if (lockrec_parse(&r, (const char *)data, size, &err) < 0) {
		FUZZ_ASSERT(err.msg[0] != '\0');
		return 0;
	}
	lockrec_holder(&r, holder, sizeof(holder));
	buf_init(&b, LOCKREC_MAX);
	FUZZ_ASSERT(lockrec_format(&r, &b) == 0);
	FUZZ_ASSERT(lockrec_parse(&back, b.data, b.len, &err) == 0);
	FUZZ_ASSERT(strcmp(r.host, back.host) == 0);
	FUZZ_ASSERT(strcmp(r.user, back.user) == 0);
	FUZZ_ASSERT(strcmp(r.command, back.command) == 0);
	FUZZ_ASSERT(strcmp(r.instance, back.instance) == 0);
	FUZZ_ASSERT(strcmp(r.token, back.token) == 0);
	FUZZ_ASSERT(r.pid == back.pid && r.interval == back.interval);
	FUZZ_ASSERT(r.started == back.started && r.refreshed == back.refreshed);
	buf_release(&b);
	return 0;
}
