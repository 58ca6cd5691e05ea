/*
 * Fuzz target: the reader of dupc's own encrypted messages
 * (codec/pgp_open.c), which a restore runs on whatever a target holds.
 *
 * Input: one option byte, then
 *   0: the plaintext of a message: it is sealed (pgp_seal.c, passphrase
 *      "fuzz", so the key is derived once) and read back, which puts any
 *      bytes where the compressed and literal packets belong;
 *   1: a whole message, read as it is (its session key packet, lengths
 *      and ciphertext as given).
 *
 * Properties: the bytes are read or refused cleanly, with a message, and
 * a source that failed keeps failing.
 */
#include "fuzz.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "codec/pgp_open.h"
#include "codec/pgp_seal.h"
#include "util/err.h"
#include "util/log.h"
#include "util/stream.h"

#define PASS "fuzz"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_verbosity(-1);
	return 0;
}

struct grow {
	struct sink base;
	unsigned char *p;
	size_t len, cap;
};

static int
grow_write(struct sink *s, const void *p, size_t n, struct dupc_err *err)
{
	struct grow *g = (struct grow *)s;

	(void)err;
	if (g->len + n > g->cap) {
		size_t cap = (g->len + n) * 2;
		unsigned char *q = realloc(g->p, cap);

		FUZZ_ASSERT(q != NULL);
		g->p = q;
		g->cap = cap;
	}
	memcpy(g->p + g->len, p, n);
	g->len += n;
	return 0;
}

static const struct sink_ops grow_ops = { grow_write, NULL, NULL };

/* Read the message ${p}[0..${n}) to its end or its first failure. */
static void
read_all(const unsigned char *p, size_t n)
{
	struct source *in, *s;
	struct dupc_err err;
	unsigned char buf[4096];
	size_t got;
	int rc;

	if (!pgp_open_matches(p, n))
		return;
	in = mem_source_new(p, n);
	FUZZ_ASSERT(in != NULL);
	err_clear(&err);
	s = pgp_open_source_new(PASS, p, n > 300 ? 300 : n, in, "fuzz", &err);
	FUZZ_ASSERT(s != NULL);
	/* the source reads from offset 300 on: skip what head[] holds */
	if (n > 300)
		FUZZ_ASSERT(source_read_full(in, buf, 300, &got, &err) == 0);
	else
		FUZZ_ASSERT(source_read_full(in, buf, n, &got, &err) == 0);
	do {
		rc = source_read(s, buf, sizeof(buf), &got, &err);
	} while (rc == 0 && got > 0);
	if (rc < 0) {
		FUZZ_ASSERT(err.msg[0] != '\0');
		FUZZ_ASSERT(source_read(s, buf, sizeof(buf), &got, &err) < 0);
	}
	source_free(s);
	source_free(in);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned mode = size > 0 ? data[0] % 2 : 0;
	struct grow g = { { &grow_ops }, NULL, 0, 0 };
	struct dupc_err err;
	struct sink *s;

	if (size > 0) {
		data++;
		size--;
	}
	if (mode == 1 || !pgp_seal_available()) {
		read_all(data, size);
		return 0;
	}
	err_clear(&err);
	s = pgp_seal_sink_new(PASS, &g.base, &err);
	FUZZ_ASSERT(s != NULL);
	FUZZ_ASSERT(sink_write(s, data, size, &err) == 0);
	FUZZ_ASSERT(sink_finish(s, &err) == 0);
	sink_free(s);
	read_all(g.p, g.len);
	free(g.p);
	return 0;
}
