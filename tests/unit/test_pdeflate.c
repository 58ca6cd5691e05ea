/*
 * codec/pdeflate in raw mode: the one DEFLATE stream of an OpenPGP
 * compressed packet, made of pieces that libdeflate compresses on their
 * own.  Every output must be one valid stream that zlib inflates back to
 * the input and that ends exactly at its last byte; after a sync, what
 * was written so far must inflate to everything given so far.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "codec/pdeflate.h"
#include "util/err.h"
#include "util/stream.h"

/*
 * Inflate ${n} bytes of raw DEFLATE.  ${*outn} gets the inflated size;
 * returns 1 when the stream ended exactly at the last byte, 0 when it is
 * valid so far but not ended, -1 on damage or bytes after the end.
 */
static int
inflate_raw(const unsigned char *in, size_t n, unsigned char *out, size_t cap,
    size_t *outn)
{
	z_stream zs;
	int r;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, -15) != Z_OK)
		return -1;
	zs.next_in = (unsigned char *)in;
	zs.avail_in = (uInt)n;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	r = inflate(&zs, Z_SYNC_FLUSH);
	*outn = zs.total_out;
	inflateEnd(&zs);
	if (r == Z_STREAM_END)
		return zs.avail_in == 0 ? 1 : -1;
	if (r == Z_OK || r == Z_BUF_ERROR)
		return zs.avail_in == 0 ? 0 : -1;
	return -1;
}

enum kind { TEXT, RANDOM, MIXED, WORDS, ZEROS };

/* Test data: each kind makes libdeflate cut blocks differently. */
static unsigned char *
make_data(size_t n, enum kind kind, uint64_t *rs)
{
	static const char *words[] = { "backup ", "volume ", "signature ",
		"delta ", "manifest ", "\n", "0123456789 ", "duplicity " };
	unsigned char *p = malloc(n + 1);
	size_t i;

	if (p == NULL)
		return NULL;
	switch (kind) {
	case TEXT:
		for (i = 0; i < n; i++)
			p[i] = (unsigned char)("dupc makes backups "[i % 19] +
					       (i / 997) % 3);
		break;
	case RANDOM:
		unit_fill_random(p, n, rs);
		break;
	case MIXED:
		/* 32 KiB pieces, random or text at random: runs of both
		 * kinds inside one block */
		for (i = 0; i < n; i += 32768) {
			size_t k = n - i > 32768 ? 32768 : n - i, j;

			if (unit_rand(rs) & 1)
				unit_fill_random(p + i, k, rs);
			else
				for (j = 0; j < k; j++)
					p[i + j] = (unsigned char)('a' + j % 7);
		}
		break;
	case WORDS:
		/* statistics that change along the way: several blocks per
		 * piece, the last one of any type */
		for (i = 0; i < n;) {
			const char *w =
			    words[unit_rand(rs) % ((i / 50000) % 8 + 1)];
			size_t k = strlen(w);

			if (k > n - i)
				k = n - i;
			memcpy(p + i, w, k);
			i += k;
		}
		break;
	case ZEROS:
		memset(p, 0, n);
		break;
	}
	return p;
}

/*
 * Compress ${data} at ${level}, written in random steps, with a sync after
 * about every ${sync_every} bytes (0: never); check each sync's output.
 */
static void
check_stream(const unsigned char *data, size_t n, int level, size_t sync_every,
    uint64_t *rs, const char *name)
{
	struct dupc_err err;
	struct unit_sink out;
	struct pdeflate *pd;
	unsigned char *back = malloc(n + 1);
	size_t off = 0, got = 0, since = 0;
	char what[160];

	snprintf(what, sizeof(what), "%s, %zu bytes, level %d, sync %zu", name,
	    n, level, sync_every);
	err_clear(&err);
	unit_sink_init(&out);
	pd = pdeflate_new(level, &out.base, &err);
	CHECK(pd != NULL && back != NULL, what);
	if (pd == NULL || back == NULL)
		goto done;
	while (off < n) {
		size_t k = (size_t)(unit_rand(rs) % 300000) + 1;

		if (k > n - off)
			k = n - off;
		CHECK_INT(pdeflate_write(pd, data + off, k, &err), 0, what);
		off += k;
		since += k;
		if (sync_every > 0 && since >= sync_every) {
			since = 0;
			CHECK_INT(pdeflate_sync(pd, &err), 0, what);
			CHECK_INT(pdeflate_pending(pd), 0, what);
			CHECK_INT(
			    inflate_raw(out.data, out.len, back, n + 1, &got),
			    0, what);
			CHECK_MEM(back, got, data, off, what);
		}
	}
	CHECK_INT(pdeflate_finish(pd, &err), 0, what);
	CHECK_INT(inflate_raw(out.data, out.len, back, n + 1, &got), 1, what);
	CHECK_MEM(back, got, data, n, what);
	if (level > 0 && n >= 65536 && strcmp(name, "random") != 0)
		CHECK(out.len < n, what);
	if (strcmp(name, "random") == 0)
		/* stored: 5 bytes of header per 64 KiB at most, and the
		 * pieces' empty stored blocks */
		CHECK(out.len <= n + 5 * (n / 65535 + 2) + 5 * (n / 262144 + 1),
		    what);
done:
	pdeflate_free(pd);
	unit_sink_release(&out);
	free(back);
}

static void
test_raw_round_trips(void **state)
{
	static const size_t sizes[] = { 0, 1, 4095, 32768, 262143, 262144,
		262145, 1000000, 3 * 262144 + 17 };
	static const char *names[] = { "text", "random", "mixed", "words",
		"zeros" };
	uint64_t rs = 11;
	size_t i;
	int kind;

	(void)state;
	for (kind = TEXT; kind <= ZEROS; kind++) {
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			unsigned char *d = make_data(sizes[i], kind, &rs);

			assert_non_null(d);
			check_stream(d, sizes[i], 6, 0, &rs, names[kind]);
			free(d);
		}
	}
	UNIT_DONE();
}

static void
test_raw_levels_and_syncs(void **state)
{
	static const int levels[] = { 0, 1, 6, 9 };
	uint64_t rs = 5;
	size_t n = 5u << 20, i;
	unsigned char *words = make_data(n, WORDS, &rs);
	unsigned char *mixed = make_data(n, MIXED, &rs);

	(void)state;
	assert_non_null(words);
	assert_non_null(mixed);
	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		check_stream(words, n, levels[i], 0, &rs, "words");
		check_stream(mixed, n, levels[i], 0, &rs, "mixed");
	}
	/* syncs at odd places: every piece must end on a byte, non-final */
	check_stream(words, n, 6, 100000, &rs, "words");
	check_stream(mixed, n, 6, 777777, &rs, "mixed");
	check_stream(words, n, 6, 1, &rs, "words");
	free(words);
	free(mixed);
	UNIT_DONE();
}

/* A failing next sink is reported, and freeing mid-stream is safe. */
static void
test_raw_sink_failure(void **state)
{
	struct dupc_err err;
	struct unit_sink out;
	struct pdeflate *pd;
	uint64_t rs = 9;
	size_t n = 4u << 20;
	unsigned char *d = make_data(n, WORDS, &rs);
	int rc;

	(void)state;
	assert_non_null(d);
	err_clear(&err);
	unit_sink_init(&out);
	out.fail_after = 1000;
	pd = pdeflate_new(6, &out.base, &err);
	assert_non_null(pd);
	rc = pdeflate_write(pd, d, n, &err);
	if (rc == 0)
		rc = pdeflate_finish(pd, &err);
	CHECK_INT(rc, -1, "the next sink's failure comes back");
	CHECK(strstr(err.msg, "injected") != NULL, "with its message");
	pdeflate_free(pd);
	unit_sink_release(&out);

	unit_sink_init(&out);
	pd = pdeflate_new(6, &out.base, &err);
	assert_non_null(pd);
	CHECK_INT(pdeflate_write(pd, d, n, &err), 0, "write, then abandon");
	pdeflate_free(pd);
	unit_sink_release(&out);
	free(d);
	UNIT_DONE();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_raw_round_trips),
		UNIT_TEST(test_raw_levels_and_syncs),
		UNIT_TEST(test_raw_sink_failure),
	};

	unit_init();
	return cmocka_run_group_tests_name("pdeflate", tests, NULL, NULL);
}
