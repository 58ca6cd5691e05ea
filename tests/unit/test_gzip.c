/*
 * codec/gzip and codec/tee: gzip as duplicity writes and reads it
 * (duplicity-format.md 6.1), and the counting SHA-1 tee.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zlib.h>

#include "codec/gzip.h"
#include "codec/tee.h"
#include "util/digest.h"
#include "util/err.h"
#include "util/stream.h"

/* Compress ${n} bytes written in pieces of ${step}. */
static int
gz(const unsigned char *p, size_t n, size_t step, struct unit_sink *out,
    struct dupc_err *err)
{
	struct sink *g = gzip_sink_new(&out->base, 6, err);
	size_t off = 0;
	int rc = 0;

	if (g == NULL)
		return -1;
	while (off < n && rc == 0) {
		size_t k = n - off < step ? n - off : step;

		rc = sink_write(g, p + off, k, err);
		off += k;
	}
	if (rc == 0)
		rc = sink_finish(g, err);
	sink_free(g);
	return rc;
}

/* Decompress with dupc's reader, ${cap} bytes per read. */
static int
gunzip(const unsigned char *p, size_t n, size_t cap, struct unit_sink *out,
    struct dupc_err *err)
{
	struct source *m = mem_source_new(p, n);
	struct source *g = gunzip_source_new(m, "test stream", err);
	unsigned char *buf = malloc(cap);
	int rc = -1;

	if (g == NULL)
		goto out;
	for (;;) {
		size_t got;

		if (source_read(g, buf, cap, &got, err) < 0)
			goto out;
		if (got == 0)
			break;
		if (sink_write(&out->base, buf, got, err) < 0)
			goto out;
	}
	rc = 0;
out:
	free(buf);
	source_free(g);
	source_free(m);
	return rc;
}

/* zlib's own one-shot decoder of a single gzip member. */
static int
zlib_gunzip(const unsigned char *p, size_t n, unsigned char *out, size_t *outn)
{
	z_stream zs;
	int r;

	size_t done = 0;

	/* member after member, as gzip(1) and Python's gzip module read */
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 16 + 15) != Z_OK)
		return -1;
	zs.next_in = (Bytef *)(uintptr_t)p;
	zs.avail_in = (uInt)n;
	zs.next_out = out;
	zs.avail_out = (uInt)*outn;
	do {
		r = inflate(&zs, Z_FINISH);
		done = zs.total_out;
		if (r == Z_STREAM_END && zs.avail_in > 0) {
			inflateReset(&zs);
			zs.total_out = done;
			continue;
		}
		break;
	} while (1);
	*outn = done;
	inflateEnd(&zs);
	return r == Z_STREAM_END ? 0 : -1;
}

static unsigned char *
test_data(size_t n, int kind, uint64_t *rs)
{
	unsigned char *p = malloc(n + 1);
	size_t i;

	if (kind == 0) {
		unit_fill_random(p, n, rs);
	} else {
		for (i = 0; i < n; i++)
			p[i] = (unsigned char)("duplicity dupc "[i % 15] +
					       (i / 997) % 3);
	}
	return p;
}

static void
test_round_trips(void **state)
{
	static const size_t sizes[] = { 0, 1, 100, 65535, 65536, 65537,
		1048576 };
	static const size_t steps[] = { 1, 4096, 65536, 1 << 20 };
	uint64_t rs = 1;
	size_t i, k;
	int kind;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (kind = 0; kind < 2; kind++) {
			size_t n = sizes[i];
			unsigned char *p = test_data(n, kind, &rs);

			for (k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
				struct unit_sink z, back;
				struct dupc_err err;
				char name[96];
				unsigned char *ref;
				size_t refn = n + 1;

				if (steps[k] == 1 && n > 65537)
					continue;
				snprintf(name, sizeof(name),
				    "%zu %s bytes in %zu-byte writes", n,
				    kind ? "text" : "random", steps[k]);
				unit_sink_init(&z);
				unit_sink_init(&back);
				CHECK_INT(gz(p, n, steps[k], &z, &err), 0,
				    name);
				CHECK_INT(z.finished, 1, name);
				/* header: deflate, no name, OS 255 */
				CHECK(z.len >= 18, name);
				if (z.len >= 18) {
					CHECK(memcmp(z.data, "\x1f\x8b\x08\x00",
						  4) == 0,
					    name);
					CHECK_INT(z.data[9], 255, name);
				}
				/* zlib reads it */
				ref = malloc(n + 1);
				CHECK_INT(
				    zlib_gunzip(z.data, z.len, ref, &refn), 0,
				    name);
				CHECK_MEM(ref, refn, p, n, name);
				free(ref);
				/* and so do we, with small and large reads */
				CHECK_INT(gunzip(z.data, z.len,
					      k % 2 ? 7 : 65536, &back, &err),
				    0, name);
				CHECK_MEM(back.data, back.len, p, n, name);
				unit_sink_release(&z);
				unit_sink_release(&back);
			}
			free(p);
		}
	UNIT_DONE();
}

/*
 * The output is a series of gzip members, each a header, one raw DEFLATE
 * stream and a trailer with the CRC32 and ISIZE of its own part; joined,
 * the parts are the input.  Compressible data comes within 1% of one zlib
 * level-6 stream (Python's GzipFile) plus a fixed cost per 256 KiB member
 * (header, trailer, its own Huffman tables, no shared dictionary: under
 * 96 bytes), random data within stored blocks' size.
 */
static void
check_body(const unsigned char *p, size_t n, const char *name)
{
	struct unit_sink z;
	struct dupc_err err;
	z_stream zs;
	unsigned char *ref = malloc(n + 1024), *back = malloc(n + 1);
	size_t refn, off = 0, got = 0, members = 0;

	unit_sink_init(&z);
	assert_int_equal(gz(p, n, 8192, &z, &err), 0);
	memset(&zs, 0, sizeof(zs));
	assert_int_equal(
	    deflateInit2(&zs, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = (Bytef *)(uintptr_t)p;
	zs.avail_in = (uInt)n;
	zs.next_out = ref;
	zs.avail_out = (uInt)(n + 1024);
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	refn = zs.total_out;
	deflateEnd(&zs);
	while (off + 18 <= z.len) {
		size_t part;
		uint32_t crc, isize;

		CHECK(memcmp(z.data + off, "\x1f\x8b\x08\x00", 4) == 0, name);
		memset(&zs, 0, sizeof(zs));
		assert_int_equal(inflateInit2(&zs, -15), Z_OK);
		zs.next_in = z.data + off + 10;
		zs.avail_in = (uInt)(z.len - off - 10);
		zs.next_out = back + got;
		zs.avail_out = (uInt)(n + 1 - got);
		CHECK(inflate(&zs, Z_FINISH) == Z_STREAM_END, name);
		part = zs.total_out;
		off += 10 + zs.total_in;
		inflateEnd(&zs);
		CHECK(off + 8 <= z.len, name);
		if (off + 8 > z.len)
			break;
		crc = (uint32_t)z.data[off] | (uint32_t)z.data[off + 1] << 8 |
		      (uint32_t)z.data[off + 2] << 16 |
		      (uint32_t)z.data[off + 3] << 24;
		isize = (uint32_t)z.data[off + 4] |
			(uint32_t)z.data[off + 5] << 8 |
			(uint32_t)z.data[off + 6] << 16 |
			(uint32_t)z.data[off + 7] << 24;
		CHECK_INT(crc, (uint32_t)crc32(0, back + got, (uInt)part),
		    name);
		CHECK_INT(isize, (uint32_t)part, name);
		got += part;
		off += 8;
		members++;
	}
	CHECK_INT(off, z.len, name);
	CHECK_INT(got, n, name);
	CHECK(members >= 1, name);
	if (got == n)
		CHECK_MEM(back, n, p, n, name);
	CHECK(z.len <= refn + refn / 100 + 64 + 96 * members, name);
	CHECK(z.len <= n + n / 200 + 64 + 18 * members, name);
	free(ref);
	free(back);
	unit_sink_release(&z);
}

static void
test_parallel_body(void **state)
{
	uint64_t rs = 2;
	size_t sizes[] = { 0, 1, 300000, 262144, 262145, 3000000 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned char *text = test_data(sizes[i], 1, &rs);
		unsigned char *rnd = test_data(sizes[i], 0, &rs);

		check_body(text, sizes[i], "compressible");
		check_body(rnd, sizes[i], "random");
		free(text);
		free(rnd);
	}
	UNIT_DONE();
}

static void
test_multi_member(void **state)
{
	struct unit_sink a, b, e, all, back;
	struct dupc_err err;

	(void)state;
	unit_sink_init(&a);
	unit_sink_init(&b);
	unit_sink_init(&e);
	unit_sink_init(&all);
	unit_sink_init(&back);
	assert_int_equal(gz((const unsigned char *)"first ", 6, 6, &a, &err),
	    0);
	assert_int_equal(gz((const unsigned char *)"", 0, 1, &e, &err), 0);
	assert_int_equal(gz((const unsigned char *)"second", 6, 6, &b, &err),
	    0);
	CHECK_INT(e.len, 20, "an empty gzip file is 20 bytes");
	sink_write(&all.base, a.data, a.len, &err);
	sink_write(&all.base, e.data, e.len, &err);
	sink_write(&all.base, b.data, b.len, &err);
	sink_write(&all.base, e.data, e.len, &err);
	CHECK_INT(gunzip(all.data, all.len, 3, &back, &err), 0, "four members");
	CHECK_MEM(back.data, back.len, "first second", 12, "members joined");
	unit_sink_release(&back);
	CHECK_INT(gunzip(e.data, e.len, 100, &back, &err), 0, "empty member");
	CHECK_INT(back.len, 0, "empty member is empty");
	unit_sink_release(&back);
	CHECK_INT(gunzip((const unsigned char *)"", 0, 100, &back, &err), 0,
	    "no input at all");
	CHECK_INT(back.len, 0, "no input, no output");
	unit_sink_release(&a);
	unit_sink_release(&b);
	unit_sink_release(&e);
	unit_sink_release(&all);
	unit_sink_release(&back);
	UNIT_DONE();
}

static int
gunzip_fails(const unsigned char *p, size_t n, struct dupc_err *err)
{
	struct unit_sink back;
	int rc;

	unit_sink_init(&back);
	err_clear(err);
	rc = gunzip(p, n, 4096, &back, err);
	unit_sink_release(&back);
	return rc < 0 && strstr(err->msg, "test stream") != NULL;
}

static void
test_truncated_and_corrupt(void **state)
{
	uint64_t rs = 3;
	size_t n = 100000, cut;
	unsigned char *p = test_data(n, 1, &rs);
	unsigned char *c;
	struct unit_sink z, small;
	struct dupc_err err;

	(void)state;
	unit_sink_init(&z);
	unit_sink_init(&small);
	assert_int_equal(gz(p, n, 65536, &z, &err), 0);
	assert_int_equal(
	    gz((const unsigned char *)"hello, world", 12, 12, &small, &err), 0);
	/* every cut of a small stream, sampled cuts of a large one */
	for (cut = 1; cut < small.len; cut++) {
		char name[48];

		snprintf(name, sizeof(name), "small stream cut at %zu", cut);
		CHECK(gunzip_fails(small.data, cut, &err), name);
		CHECK(strstr(err.msg, "truncated") != NULL ||
			  strstr(err.msg, "corrupt") != NULL,
		    name);
	}
	for (cut = 1; cut < z.len; cut += 997) {
		char name[48];

		snprintf(name, sizeof(name), "stream cut at %zu", cut);
		CHECK(gunzip_fails(z.data, cut, &err), name);
	}
	CHECK(gunzip_fails(z.data, z.len - 1, &err), "last byte missing");
	CHECK(strstr(err.msg, "truncated") != NULL, "says truncated");

	c = malloc(z.len + 16);
	memcpy(c, z.data, z.len);
	c[0] = 0x1e;
	CHECK(gunzip_fails(c, z.len, &err), "bad magic");
	memcpy(c, z.data, z.len);
	c[2] = 7;
	CHECK(gunzip_fails(c, z.len, &err), "unknown method");
	memcpy(c, z.data, z.len);
	c[z.len - 8] ^= 1;
	CHECK(gunzip_fails(c, z.len, &err), "bad CRC");
	CHECK(strstr(err.msg, "corrupt") != NULL, "bad CRC: says corrupt");
	memcpy(c, z.data, z.len);
	c[z.len - 1] ^= 1;
	CHECK(gunzip_fails(c, z.len, &err), "bad ISIZE");
	memcpy(c, z.data, z.len);
	memcpy(c + z.len, "garbage!", 8);
	CHECK(gunzip_fails(c, z.len + 8, &err), "garbage after the member");
	unit_fill_random(c, z.len, &rs);
	CHECK(gunzip_fails(c, z.len, &err), "random bytes");
	CHECK(gunzip_fails((const unsigned char *)"not gzip at all", 15, &err),
	    "text");
	/* corrupt deflate data somewhere in the body */
	memcpy(c, z.data, z.len);
	c[z.len / 2] ^= 0xff;
	CHECK(gunzip_fails(c, z.len, &err), "flipped byte in the body");
	free(c);
	free(p);
	unit_sink_release(&z);
	unit_sink_release(&small);
	UNIT_DONE();
}

/* One gzip member of ${p} made by zlib, as Python's GzipFile writes it. */
static unsigned char *
zlib_member(const unsigned char *p, size_t n, size_t *outn)
{
	z_stream zs;
	size_t cap = n + n / 100 + 1024;
	unsigned char *o = malloc(cap);

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(
	    deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY),
	    Z_OK);
	zs.next_in = (Bytef *)(uintptr_t)p;
	zs.avail_in = (uInt)n;
	zs.next_out = o;
	zs.avail_out = (uInt)cap;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	*outn = zs.total_out;
	deflateEnd(&zs);
	return o;
}

/*
 * The decoder takes dupc's members whole, including members cut by the
 * end of its 1 MiB input buffer, and hands over to zlib at the first
 * member too big for that (duplicity's one member per volume), wherever
 * it comes: the output is the input, whatever the read sizes.
 */
static void
test_fast_path_and_handover(void **state)
{
	uint64_t rs = 4;
	size_t tn = 3000000, rn = 2500000, bigz, i;
	unsigned char *text = test_data(tn, 1, &rs);
	unsigned char *rnd = test_data(rn, 0, &rs);
	unsigned char *big = zlib_member(text, tn, &bigz);
	struct unit_sink ours, oursr, all, want, back;
	struct dupc_err err;
	static const size_t caps[] = { 1, 4099, 65536, 1 << 20 };

	(void)state;
	unit_sink_init(&ours);
	unit_sink_init(&oursr);
	unit_sink_init(&all);
	unit_sink_init(&want);
	assert_int_equal(gz(text, tn, 65536, &ours, &err), 0);
	assert_int_equal(gz(rnd, rn, 65536, &oursr, &err), 0);
	/* random data: stored members of 256 KiB, cut by the 1 MiB buffer */
	assert_true(oursr.len > (1u << 20));
	/* ours (text), ours (random), zlib's big one, ours (text) again */
	sink_write(&all.base, ours.data, ours.len, &err);
	sink_write(&all.base, oursr.data, oursr.len, &err);
	sink_write(&all.base, big, bigz, &err);
	sink_write(&all.base, ours.data, ours.len, &err);
	sink_write(&want.base, text, tn, &err);
	sink_write(&want.base, rnd, rn, &err);
	sink_write(&want.base, text, tn, &err);
	sink_write(&want.base, text, tn, &err);
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		char name[64];

		if (caps[i] == 1 && i > 0)
			continue;
		snprintf(name, sizeof(name), "mixed stream, %zu-byte reads",
		    caps[i]);
		unit_sink_init(&back);
		CHECK_INT(gunzip(all.data,
			      caps[i] == 1 ? ours.len + oursr.len : all.len,
			      caps[i], &back, &err),
		    0, name);
		if (caps[i] == 1)
			CHECK_MEM(back.data, back.len, want.data, tn + rn,
			    name);
		else
			CHECK_MEM(back.data, back.len, want.data, want.len,
			    name);
		unit_sink_release(&back);
	}
	/* damage in a member the fast path would take: zlib words it */
	all.data[ours.len / 2] ^= 0xff;
	CHECK(gunzip_fails(all.data, all.len, &err), "damage in a member");
	CHECK(strstr(err.msg, "corrupt") != NULL, "damage: says corrupt");
	free(text);
	free(rnd);
	free(big);
	unit_sink_release(&ours);
	unit_sink_release(&oursr);
	unit_sink_release(&all);
	unit_sink_release(&want);
	UNIT_DONE();
}

/* The vectors' gzip files decode to what zlib's gzread gives. */
static void
test_vectors(void **state)
{
	static const char *const dirs[] = { "a-plain/remote",
		"c-multivol/remote" };
	size_t d, done = 0;

	UNIT_VECTORS(vec);
	(void)vec;
	(void)state;
	for (d = 0; d < 2; d++) {
		char **names;
		size_t n, i;

		unit_list_dir(unit_vector_path(dirs[d]), &names, &n);
		for (i = 0; i < n; i++) {
			char rel[512];
			size_t zl, rl;
			unsigned char *z, *ref;
			struct unit_sink back;
			struct dupc_err err;

			if (strstr(names[i], ".gz") == NULL)
				continue;
			snprintf(rel, sizeof(rel), "%s/%s", dirs[d], names[i]);
			z = unit_slurp(unit_vector_path(rel), &zl);
			ref = unit_gunzip_file(unit_vector_path(rel), &rl);
			CHECK(z != NULL && ref != NULL, names[i]);
			if (z != NULL && zl >= 10) {
				CHECK(memcmp(z, "\x1f\x8b\x08\x00", 4) == 0,
				    names[i]);
				CHECK_INT(z[9], 255, names[i]);
			}
			unit_sink_init(&back);
			if (z != NULL && ref != NULL) {
				CHECK_INT(gunzip(z, zl, 65536, &back, &err), 0,
				    names[i]);
				CHECK_MEM(back.data, back.len, ref, rl,
				    names[i]);
				done++;
			}
			unit_sink_release(&back);
			free(z);
			free(ref);
		}
		unit_free_names(names, n);
	}
	CHECK_INT(done, 6 + 4, "vector files decoded");
	UNIT_DONE();
}

static void
test_sink_errors(void **state)
{
	struct unit_sink out;
	struct dupc_err err;
	uint64_t rs = 4;
	unsigned char *p = test_data(200000, 0, &rs);

	(void)state;
	unit_sink_init(&out);
	out.fail_after = 100;
	CHECK_INT(gz(p, 200000, 65536, &out, &err), -1,
	    "a failing next stage fails the encoder");
	CHECK(strstr(err.msg, "injected") != NULL, "its message is kept");
	unit_sink_release(&out);
	free(p);
	/* the decoder reports a failing source */
	{
		struct source *bad = unit_failing_source_new(0);
		struct source *g = gunzip_source_new(bad, "x", &err);
		unsigned char buf[16];
		size_t got;

		CHECK(g != NULL, "decoder made");
		if (g != NULL) {
			err_clear(&err);
			CHECK_INT(source_read(g, buf, sizeof(buf), &got, &err),
			    -1, "failing source");
			CHECK(strstr(err.msg, "injected") != NULL,
			    "source message");
			CHECK_INT(source_rewind(g, &err), -1, "not rewindable");
		}
		source_free(g);
		source_free(bad);
	}
	UNIT_DONE();
}

static void
test_tee(void **state)
{
	struct unit_sink out;
	struct dupc_err err;
	struct sink *t;
	char hex[DIGEST_HEX_MAX], want[DIGEST_HEX_MAX];
	uint64_t rs = 6;
	unsigned char *p = test_data(150000, 0, &rs);
	size_t off;

	(void)state;
	unit_sink_init(&out);
	t = tee_sink_new(&out.base, DIGEST_SHA1, &err);
	assert_non_null(t);
	CHECK_INT(tee_bytes(t), 0, "nothing yet");
	for (off = 0; off < 150000; off += 10000)
		sink_write(t, p + off, 10000, &err);
	CHECK_U64(tee_bytes(t), 150000, "counted");
	CHECK_INT(sink_finish(t, &err), 0, "finish");
	CHECK_INT(out.finished, 1, "finish passed on");
	tee_hex(t, hex);
	digest_hex(DIGEST_SHA1, p, 150000, want);
	CHECK_STR(hex, want, "SHA-1 of what passed");
	CHECK_MEM(out.data, out.len, p, 150000, "bytes passed through");
	sink_free(t);
	unit_sink_release(&out);
	/* a failing next stage is reported */
	unit_sink_init(&out);
	out.fail_after = 5;
	t = tee_sink_new(&out.base, DIGEST_SHA256, &err);
	CHECK_INT(sink_write(t, p, 10, &err), -1, "failure passed back");
	sink_free(t);
	unit_sink_release(&out);
	/* empty input */
	unit_sink_init(&out);
	t = tee_sink_new(&out.base, DIGEST_SHA1, &err);
	sink_finish(t, &err);
	tee_hex(t, hex);
	CHECK_STR(hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709",
	    "SHA-1 of nothing");
	sink_free(t);
	unit_sink_release(&out);
	free(p);
	UNIT_DONE();
}

static void
test_digests(void **state)
{
	static const struct {
		enum digest_kind kind;
		const char *in, *want;
	} cases[] = {
		{ DIGEST_SHA1, "abc",
		    "a9993e364706816aba3e25717850c26c9cd0d89d" },
		{ DIGEST_SHA1, "", "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
		{ DIGEST_SHA256, "abc",
		    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ DIGEST_SHA256, "",
		    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ DIGEST_MD5, "abc", "900150983cd24fb0d6963f7d28e17f72" },
		/* the archive-dir names of duplicity-format.md 7 */
		{ DIGEST_MD5, "file:///backup/dupc",
		    "346388c4f8dd3faa2b9febbf06787a9c" },
		{ DIGEST_MD5, "file:///backup/dupc/",
		    "4b723d3a0448e68ee8a936d5241b22c4" },
	};
	size_t i;
	struct digest *d;
	char hex[DIGEST_HEX_MAX];

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_INT(digest_hex(cases[i].kind, cases[i].in,
			      strlen(cases[i].in), hex),
		    0, cases[i].want);
		CHECK_STR(hex, cases[i].want, cases[i].want);
		CHECK_INT(strlen(hex), digest_hex_len(cases[i].kind),
		    cases[i].want);
	}
	/* incremental use, and reuse after final */
	d = digest_new(DIGEST_SHA1);
	assert_non_null(d);
	digest_update(d, "a", 1);
	digest_update(d, "bc", 2);
	digest_final_hex(d, hex);
	CHECK_STR(hex, "a9993e364706816aba3e25717850c26c9cd0d89d", "in pieces");
	digest_update(d, "abc", 3);
	digest_final_hex(d, hex);
	CHECK_STR(hex, "a9993e364706816aba3e25717850c26c9cd0d89d", "reused");
	digest_free(d);
	digest_free(NULL);
	UNIT_DONE();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_round_trips),
		UNIT_TEST(test_parallel_body),
		UNIT_TEST(test_multi_member),
		UNIT_TEST(test_truncated_and_corrupt),
		UNIT_TEST(test_fast_path_and_handover),
		UNIT_TEST(test_vectors),
		UNIT_TEST(test_sink_errors),
		UNIT_TEST(test_tee),
		UNIT_TEST(test_digests),
	};

	unit_init();
	return cmocka_run_group_tests_name("gzip", tests, NULL, NULL);
}
