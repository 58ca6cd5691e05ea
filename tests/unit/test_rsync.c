/*
 * delta/rsync: librsync signature, delta and patch jobs
 * (duplicity-format.md 5.2).
 */
#define _DEFAULT_SOURCE
#include "unit.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librsync.h>

#include "delta/rsync.h"
#include "format/tar.h"
#include "util/digest.h"
#include "util/err.h"
#include "util/meta.h"
#include "util/stream.h"

static void
test_block_len(void **state)
{
	static const struct {
		uint64_t size;
		unsigned max, want;
	} cases[] = {
		{ 0, 2048, 512 },
		{ 1, 2048, 512 },
		{ 1023999, 2048, 512 },
		{ 1024000, 2048, 512 },
		{ 2047999, 2048, 512 },
		{ 2048000, 2048, 1024 },
		{ 2600000, 2048, 1024 }, /* the vectors' big-text.txt */
		{ 3071999, 2048, 1024 },
		{ 3072000, 2048, 1536 },
		{ 4095999, 2048, 1536 },
		{ 4096000, 2048, 2048 },
		{ 5120000, 2048, 2048 }, /* 2560 capped */
		{ 1000000000000ull, 2048, 2048 },
		{ UINT64_MAX, 2048, 2048 },
		/* max 0 means duplicity's default, 2048 */
		{ 4096000, 0, 2048 },
		{ 1023999, 0, 512 },
		/* --max-blocksize */
		{ 4096000, 1024, 1024 },
		{ 2048000, 512, 512 },
		{ 1000000000, 4096, 4096 },
		{ 1000000000, 8192, 8192 },
		{ 6144000, 8192, 3072 },
		{ 1023999, 100, 512 }, /* small files: always 512 */
		{ 1024000, 100, 100 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[96];

		snprintf(name, sizeof(name), "size %llu, max %u",
		    (unsigned long long)cases[i].size, cases[i].max);
		CHECK_INT(delta_block_len(cases[i].size, cases[i].max),
		    cases[i].want, name);
	}
	UNIT_DONE();
}

static void
test_sig_size_formula(void **state)
{
	static const struct {
		uint64_t size;
		unsigned block;
		uint64_t want;
	} cases[] = {
		{ 0, 512, 12 },
		{ 1, 512, 24 },
		{ 511, 512, 24 },
		{ 512, 512, 24 },
		{ 513, 512, 36 },
		{ 65536, 512, 1548 },     /* exact64k.bin in the vectors */
		{ 100000, 512, 2364 },    /* medium-100k.bin */
		{ 2600000, 1024, 30492 }, /* big-text.txt */
		{ 2621440, 1024, 30732 }, /* multivol.bin */
		{ 70000, 512, 1656 },     /* added-in-inc2.bin */
		{ 10000000000ull, 2048, 12 + 4882813ull * 12 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[96];

		snprintf(name, sizeof(name), "%llu bytes / %u",
		    (unsigned long long)cases[i].size, cases[i].block);
		CHECK_U64(delta_sig_size(cases[i].size, cases[i].block),
		    cases[i].want, name);
	}
	UNIT_DONE();
}

/* A signature header: magic, block length, strong sum length. */
static void
sig_header(unsigned char *p, uint32_t magic, uint32_t block, uint32_t strong)
{
	uint32_t v[3] = { magic, block, strong };
	int i;

	for (i = 0; i < 12; i++)
		p[i] = (unsigned char)(v[i / 4] >> (24 - 8 * (i % 4)));
}

static void
test_sig_file_size_table(void **state)
{
	static const struct {
		const char *name;
		uint32_t magic, block, strong;
		size_t n; /* header bytes given */
		uint64_t siglen;
		int rc;
		uint64_t lo, hi;
	} cases[] = {
		{ "md4, no block", RS_MD4_SIG_MAGIC, 512, 8, 12, 12, 0, 0, 0 },
		{ "md4, one block", RS_MD4_SIG_MAGIC, 512, 8, 12, 24, 0, 1,
		    512 },
		{ "md4, 2540 blocks of 1024", RS_MD4_SIG_MAGIC, 1024, 8, 12,
		    30492, 0, 2539 * 1024 + 1, 2540 * 1024 },
		{ "md4, full strong sum", RS_MD4_SIG_MAGIC, 2048, 16, 12,
		    12 + 3 * 20, 0, 4097, 6144 },
		{ "blake2, 32-byte sums", RS_BLAKE2_SIG_MAGIC, 512, 32, 12,
		    12 + 36, 0, 1, 512 },
		{ "rabinkarp md4", RS_RK_MD4_SIG_MAGIC, 512, 8, 12, 36, 0, 513,
		    1024 },
		{ "rabinkarp blake2", RS_RK_BLAKE2_SIG_MAGIC, 512, 8, 12, 12, 0,
		    0, 0 },
		{ "a delta's magic", RS_DELTA_MAGIC, 512, 8, 12, 24, -1, 0, 0 },
		{ "zero magic", 0, 512, 8, 12, 24, -1, 0, 0 },
		{ "block length 0", RS_MD4_SIG_MAGIC, 0, 8, 12, 24, -1, 0, 0 },
		{ "strong length 0", RS_MD4_SIG_MAGIC, 512, 0, 12, 16, -1, 0,
		    0 },
		{ "md4 strong length 17", RS_MD4_SIG_MAGIC, 512, 17, 12, 33, -1,
		    0, 0 },
		{ "blake2 strong length 33", RS_BLAKE2_SIG_MAGIC, 512, 33, 12,
		    49, -1, 0, 0 },
		{ "length not whole blocks", RS_MD4_SIG_MAGIC, 512, 8, 12, 25,
		    -1, 0, 0 },
		{ "shorter than a header", RS_MD4_SIG_MAGIC, 512, 8, 12, 11, -1,
		    0, 0 },
		{ "header cut", RS_MD4_SIG_MAGIC, 512, 8, 11, 24, -1, 0, 0 },
		{ "no header at all", RS_MD4_SIG_MAGIC, 512, 8, 0, 0, -1, 0,
		    0 },
		{ "size past 2^64", RS_MD4_SIG_MAGIC, 0xffffffffu, 1, 12,
		    12 + 5 * ((UINT64_MAX - 12) / 5 / 5), -1, 0, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned char hdr[12];
		uint64_t lo = 77, hi = 77;
		int rc;

		sig_header(hdr, cases[i].magic, cases[i].block,
		    cases[i].strong);
		rc = delta_sig_file_size(hdr, cases[i].n, cases[i].siglen, &lo,
		    &hi);
		CHECK_INT(rc, cases[i].rc, cases[i].name);
		if (cases[i].rc == 0) {
			CHECK_U64(lo, cases[i].lo, cases[i].name);
			CHECK_U64(hi, cases[i].hi, cases[i].name);
		} else {
			/* nothing written on failure */
			CHECK_U64(lo, 77, cases[i].name);
			CHECK_U64(hi, 77, cases[i].name);
		}
	}
	UNIT_DONE();
}

static int make_signature(const unsigned char *, size_t, unsigned,
    struct unit_sink *, struct dupc_err *);

/* What real signatures say bounds the size they were made from. */
static void
test_sig_file_size_real(void **state)
{
	static const size_t sizes[] = { 0, 1, 511, 512, 513, 65536, 100000,
		2600000 };
	unsigned char *data = malloc(2600000);
	uint64_t seed = 7;
	size_t i;

	(void)state;
	assert_non_null(data);
	unit_fill_random(data, 2600000, &seed);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned block = delta_block_len(sizes[i], 2048);
		struct unit_sink sig;
		struct dupc_err err;
		uint64_t lo, hi;
		char name[64];

		snprintf(name, sizeof(name), "%zu bytes", sizes[i]);
		unit_sink_init(&sig);
		CHECK_INT(make_signature(data, sizes[i], block, &sig, &err), 0,
		    name);
		CHECK_INT(
		    delta_sig_file_size(sig.data, sig.len, sig.len, &lo, &hi),
		    0, name);
		CHECK(lo <= sizes[i] && sizes[i] <= hi, name);
		CHECK(hi - lo < block, name);
		CHECK(sizes[i] != 0 || (lo == 0 && hi == 0), name);
		unit_sink_release(&sig);
	}
	free(data);
	UNIT_DONE();
}

/* --- helpers --- */

/* Push ${n} bytes through ${s} in pieces of ${step}, then finish it. */
static int
pump(struct sink *s, const unsigned char *p, size_t n, size_t step,
    struct dupc_err *err)
{
	size_t off = 0;

	while (off < n) {
		size_t k = n - off < step ? n - off : step;

		if (sink_write(s, p + off, k, err) < 0)
			return -1;
		off += k;
	}
	return sink_finish(s, err);
}

static int
make_signature(const unsigned char *p, size_t n, unsigned block,
    struct unit_sink *out, struct dupc_err *err)
{
	struct sink *s = delta_signature_sink_new(block, &out->base, err);
	int rc;

	if (s == NULL)
		return -1;
	rc = pump(s, p, n, 65536, err);
	sink_free(s);
	return rc;
}

static int
load_signature(const unsigned char *p, size_t n, size_t step,
    struct delta_sig **sig, struct dupc_err *err)
{
	struct sink *s = delta_sig_loader_new(sig, UINT64_MAX, err);
	int rc;

	*sig = NULL;
	if (s == NULL)
		return -1;
	rc = pump(s, p, n, step, err);
	sink_free(s);
	return rc;
}

static int
make_delta(struct delta_sig *sig, const unsigned char *p, size_t n, size_t step,
    struct unit_sink *out, struct dupc_err *err)
{
	struct sink *s = delta_delta_sink_new(sig, &out->base, err);
	int rc;

	if (s == NULL)
		return -1;
	rc = pump(s, p, n, step, err);
	sink_free(s);
	return rc;
}

/* A basis file in the test directory, open for reading. */
static int
basis_file(const unsigned char *p, size_t n)
{
	int fd;

	if (unit_write_file("basis", p, n) < 0)
		return -1;
	fd = open("basis", O_RDONLY);
	return fd;
}

static int
apply_patch(const unsigned char *basis, size_t bn, const unsigned char *delta,
    size_t dn, size_t step, struct unit_sink *out, struct dupc_err *err)
{
	int fd = basis_file(basis, bn);
	struct sink *s;
	int rc;

	if (fd < 0)
		return err_set(err, E_GENERIC, "cannot write the basis");
	s = delta_patch_sink_new(fd, &out->base, err);
	if (s == NULL) {
		close(fd);
		return -1;
	}
	rc = pump(s, delta, dn, step, err);
	sink_free(s);
	/* the basis offset is never moved (pread) */
	if (lseek(fd, 0, SEEK_CUR) != 0)
		rc = err_set(err, E_GENERIC, "basis offset moved");
	close(fd);
	return rc;
}

/* Apply random edits to a copy of ${p}. */
static unsigned char *
edit(const unsigned char *p, size_t n, size_t *outn, uint64_t *rs)
{
	size_t cap = n + 70000, len = n, k, edits = 1 + unit_rand(rs) % 6;
	unsigned char *q = malloc(cap);

	memcpy(q, p, n);
	for (k = 0; k < edits; k++) {
		size_t pos = len ? unit_rand(rs) % (len + 1) : 0;
		size_t span = 1 + unit_rand(rs) % 3000;

		switch (unit_rand(rs) % 3) {
		case 0: /* overwrite */
			if (pos + span > len)
				span = len - pos;
			unit_fill_random(q + pos, span, rs);
			break;
		case 1: /* insert */
			if (len + span > cap)
				break;
			memmove(q + pos + span, q + pos, len - pos);
			unit_fill_random(q + pos, span, rs);
			len += span;
			break;
		default: /* delete */
			if (pos + span > len)
				span = len - pos;
			memmove(q + pos, q + pos + span, len - pos - span);
			len -= span;
			break;
		}
	}
	*outn = len;
	return q;
}

/* signature -> load -> delta -> patch must rebuild ${new}. */
static void
round_trip(const unsigned char *basis, size_t bn, const unsigned char *nw,
    size_t nn, size_t step, const char *name, size_t *delta_len)
{
	struct unit_sink sig, delta, out;
	struct delta_sig *loaded = NULL;
	struct dupc_err err;
	unsigned block = delta_block_len(bn, 2048);

	unit_sink_init(&sig);
	unit_sink_init(&delta);
	unit_sink_init(&out);
	err_clear(&err);
	if (make_signature(basis, bn, block, &sig, &err) < 0) {
		unit_case_fail(__FILE__, __LINE__, name, "signature: %s",
		    err.msg);
		goto out;
	}
	CHECK_U64(sig.len, delta_sig_size(bn, block), name);
	CHECK_INT(sig.finished, 1, name);
	if (load_signature(sig.data, sig.len, step, &loaded, &err) < 0) {
		unit_case_fail(__FILE__, __LINE__, name, "load: %s", err.msg);
		goto out;
	}
	CHECK(loaded != NULL, name);
	if (make_delta(loaded, nw, nn, step, &delta, &err) < 0) {
		unit_case_fail(__FILE__, __LINE__, name, "delta: %s", err.msg);
		goto out;
	}
	CHECK_INT(delta.finished, 1, name);
	if (delta_len != NULL)
		*delta_len = delta.len;
	if (apply_patch(basis, bn, delta.data, delta.len, step, &out, &err) <
	    0) {
		unit_case_fail(__FILE__, __LINE__, name, "patch: %s", err.msg);
		goto out;
	}
	CHECK_INT(out.finished, 1, name);
	CHECK_MEM(out.data, out.len, nw, nn, name);
out:
	delta_sig_free(loaded);
	unit_sink_release(&sig);
	unit_sink_release(&delta);
	unit_sink_release(&out);
}

static void
test_round_trips(void **state)
{
	static const size_t sizes[] = { 0, 1, 65535, 65536, 65537, 1048576 };
	size_t i;
	uint64_t rs = 12345;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i], en, dl = 0;
		unsigned char *basis = malloc(n + 1);
		unsigned char *edited;
		char name[96];
		int k;

		unit_fill_random(basis, n, &rs);
		/* identical: the delta is tiny */
		snprintf(name, sizeof(name), "%zu bytes, unchanged", n);
		round_trip(basis, n, basis, n, 65536, name, &dl);
		if (n >= 65536)
			CHECK(dl < n / 50, name);
		/* random edits, fed in odd-sized pieces */
		for (k = 0; k < 3; k++) {
			edited = edit(basis, n, &en, &rs);
			snprintf(name, sizeof(name), "%zu bytes, edits %d", n,
			    k);
			round_trip(basis, n, edited, en,
			    k == 0 ? 1 + n / 7 : 4099, name, NULL);
			free(edited);
		}
		/* from nothing, and to nothing */
		snprintf(name, sizeof(name), "%zu bytes from empty", n);
		round_trip((const unsigned char *)"", 0, basis, n, 65536, name,
		    NULL);
		snprintf(name, sizeof(name), "%zu bytes to empty", n);
		round_trip(basis, n, (const unsigned char *)"", 0, 65536, name,
		    NULL);
		free(basis);
	}
	UNIT_DONE();
}

/*
 * Scan ${delta} against ${basis}; when it is in place, apply it to a copy
 * of the basis in place, which must then hold ${nw}.  Returns the plan's
 * verdict (-1 on failure).
 */
static int
inplace_patch(const unsigned char *basis, size_t bn, const unsigned char *delta,
    size_t dn, const unsigned char *nw, size_t nn, size_t step,
    const char *name)
{
	struct delta_plan plan;
	struct dupc_err err;
	struct sink *s;
	unsigned char *got;
	int fd, rc;

	err_clear(&err);
	s = delta_patch_scan_new(bn, &plan, &err);
	assert_non_null(s);
	rc = pump(s, delta, dn, step, &err);
	sink_free(s);
	if (rc < 0) {
		unit_case_fail(__FILE__, __LINE__, name, "scan: %s", err.msg);
		return -1;
	}
	if (!plan.in_place)
		return 0;
	CHECK_U64(plan.out_len, nn, name);
	if (unit_write_file("inplace", basis, bn) < 0 ||
	    (fd = open("inplace", O_RDWR)) < 0)
		return -1;
	s = delta_patch_inplace_new(fd, &err);
	assert_non_null(s);
	rc = pump(s, delta, dn, step, &err);
	sink_free(s);
	if (rc < 0) {
		unit_case_fail(__FILE__, __LINE__, name, "in place: %s",
		    err.msg);
		close(fd);
		return -1;
	}
	got = malloc(nn + 1);
	assert_non_null(got);
	CHECK_U64((uint64_t)lseek(fd, 0, SEEK_END), nn, name);
	CHECK_INT((int)pread(fd, got, nn, 0), (int)nn, name);
	CHECK_MEM(got, nn, nw, nn, name);
	free(got);
	close(fd);
	return 1;
}

/* A delta of ${nw} against ${basis}, then in place if it can be. */
static int
inplace_case(const unsigned char *basis, size_t bn, const unsigned char *nw,
    size_t nn, size_t step, const char *name)
{
	struct unit_sink sig, delta;
	struct delta_sig *loaded = NULL;
	struct dupc_err err;
	int rc = -1;

	unit_sink_init(&sig);
	unit_sink_init(&delta);
	err_clear(&err);
	if (make_signature(basis, bn, delta_block_len(bn, 2048), &sig, &err) <
		0 ||
	    load_signature(sig.data, sig.len, 65536, &loaded, &err) < 0 ||
	    make_delta(loaded, nw, nn, 65536, &delta, &err) < 0)
		unit_case_fail(__FILE__, __LINE__, name, "delta: %s", err.msg);
	else
		rc = inplace_patch(basis, bn, delta.data, delta.len, nw, nn,
		    step, name);
	delta_sig_free(loaded);
	unit_sink_release(&sig);
	unit_sink_release(&delta);
	return rc;
}

/*
 * Deltas whose copies stay in place (the file appended to, overwritten in
 * place, cut short, unchanged) are applied in the file itself with the
 * same result as a patch into a copy; one that moves data is not.
 */
static void
test_inplace(void **state)
{
	const size_t n = 1 << 20;
	unsigned char *basis = malloc(n), *nw = malloc(n + 300000);
	uint64_t rs = 777;
	size_t steps[] = { 65536, 4099, 1 + n / 7 };
	size_t i;

	(void)state;
	unit_fill_random(basis, n, &rs);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		char name[96];

		snprintf(name, sizeof(name), "unchanged, step %zu", steps[i]);
		CHECK_INT(inplace_case(basis, n, basis, n, steps[i], name), 1,
		    name);
		memcpy(nw, basis, n);
		unit_fill_random(nw + n, 300000, &rs);
		snprintf(name, sizeof(name), "appended, step %zu", steps[i]);
		CHECK_INT(
		    inplace_case(basis, n, nw, n + 300000, steps[i], name), 1,
		    name);
		memcpy(nw, basis, n);
		unit_fill_random(nw + 5000, 3000, &rs);
		unit_fill_random(nw + 400000, 70000, &rs);
		unit_fill_random(nw + n - 100, 100, &rs);
		snprintf(name, sizeof(name), "overwritten, step %zu", steps[i]);
		CHECK_INT(inplace_case(basis, n, nw, n, steps[i], name), 1,
		    name);
		snprintf(name, sizeof(name), "cut short, step %zu", steps[i]);
		CHECK_INT(inplace_case(basis, n, basis, n / 3, steps[i], name),
		    1, name);
		/* 1000 new bytes at the front move everything */
		unit_fill_random(nw, 1000, &rs);
		memcpy(nw + 1000, basis, n);
		snprintf(name, sizeof(name), "inserted, step %zu", steps[i]);
		CHECK_INT(inplace_case(basis, n, nw, n + 1000, steps[i], name),
		    0, name);
	}
	/* a COPY past the basis is no in-place patch (nor a good one) */
	{
		struct delta_plan plan;
		struct dupc_err err;
		/* magic, COPY(pos 1 byte, len 1 byte) 0 +10 , END */
		static const unsigned char d[] = { 0x72, 0x73, 0x02, 0x36, 0x45,
			0x00, 0x0a, 0x00 };
		struct sink *sc = delta_patch_scan_new(5, &plan, &err);

		assert_non_null(sc);
		CHECK_INT(pump(sc, d, sizeof(d), 8, &err), 0, "copy past end");
		CHECK_INT(plan.in_place, 0, "copy past end");
		sink_free(sc);
	}
	free(basis);
	free(nw);
	UNIT_DONE();
}

/* Byte-at-a-time streaming through every job. */
static void
test_tiny_writes(void **state)
{
	unsigned char basis[3000], nw[3100];
	uint64_t rs = 99;

	(void)state;
	unit_fill_random(basis, sizeof(basis), &rs);
	memcpy(nw, basis, 1000);
	unit_fill_random(nw + 1000, 100, &rs);
	memcpy(nw + 1100, basis + 1000, 2000);
	round_trip(basis, sizeof(basis), nw, sizeof(nw), 1, "1-byte writes",
	    NULL);
	round_trip(basis, sizeof(basis), nw, sizeof(nw), 3, "3-byte writes",
	    NULL);
	UNIT_DONE();
}

static int
try_patch(const unsigned char *basis, size_t bn, const unsigned char *delta,
    size_t dn, struct dupc_err *err)
{
	struct unit_sink out;
	int rc;

	unit_sink_init(&out);
	err_clear(err);
	rc = apply_patch(basis, bn, delta, dn, 4096, &out, err);
	unit_sink_release(&out);
	return rc;
}

static void
test_bad_deltas(void **state)
{
	unsigned char basis[20000], nw[20000];
	struct unit_sink sig, delta;
	struct delta_sig *loaded = NULL;
	struct dupc_err err;
	uint64_t rs = 7;
	size_t cut, pos;
	unsigned char *d;

	(void)state;
	unit_fill_random(basis, sizeof(basis), &rs);
	memcpy(nw, basis, sizeof(nw));
	unit_fill_random(nw + 5000, 300, &rs);
	unit_sink_init(&sig);
	unit_sink_init(&delta);
	assert_int_equal(make_signature(basis, sizeof(basis), 512, &sig, &err),
	    0);
	assert_int_equal(
	    load_signature(sig.data, sig.len, 65536, &loaded, &err), 0);
	assert_int_equal(
	    make_delta(loaded, nw, sizeof(nw), 65536, &delta, &err), 0);
	CHECK_INT(try_patch(basis, sizeof(basis), delta.data, delta.len, &err),
	    0, "the intact delta applies");

	/* every truncation fails cleanly with a message */
	for (cut = 0; cut < delta.len; cut += (cut < 64 ? 1 : 17)) {
		char name[96];

		snprintf(name, sizeof(name), "delta cut at %zu of %zu", cut,
		    delta.len);
		CHECK_INT(
		    try_patch(basis, sizeof(basis), delta.data, cut, &err), -1,
		    name);
		CHECK(err.msg[0] != '\0', name);
	}
	/* a wrong magic */
	d = malloc(delta.len + 16);
	memcpy(d, delta.data, delta.len);
	d[3] ^= 0xff;
	CHECK_INT(try_patch(basis, sizeof(basis), d, delta.len, &err), -1,
	    "bad delta magic");
	/* a signature is not a delta */
	CHECK_INT(try_patch(basis, sizeof(basis), sig.data, sig.len, &err), -1,
	    "signature given as a delta");
	/* garbage */
	unit_fill_random(d, delta.len, &rs);
	CHECK_INT(try_patch(basis, sizeof(basis), d, delta.len, &err), -1,
	    "random bytes");
	/* trailing bytes after the end command */
	memcpy(d, delta.data, delta.len);
	memcpy(d + delta.len, "trailing", 8);
	CHECK_INT(try_patch(basis, sizeof(basis), d, delta.len + 8, &err), -1,
	    "data after the end of the delta");
	/* the right delta against a shorter basis: copies past its end */
	CHECK_INT(try_patch(basis, 100, delta.data, delta.len, &err), -1,
	    "basis too short");
	CHECK_INT(try_patch(basis, 0, delta.data, delta.len, &err), -1,
	    "empty basis");
	/* single-byte corruptions must never crash; most are caught */
	for (pos = 4; pos < delta.len; pos += 3) {
		struct unit_sink out;

		memcpy(d, delta.data, delta.len);
		d[pos] ^= 0x5a;
		unit_sink_init(&out);
		err_clear(&err);
		(void)apply_patch(basis, sizeof(basis), d, delta.len, 4096,
		    &out, &err);
		unit_sink_release(&out);
	}
	free(d);
	delta_sig_free(loaded);
	unit_sink_release(&sig);
	unit_sink_release(&delta);
	UNIT_DONE();
}

static void
test_bad_signatures(void **state)
{
	unsigned char basis[5000];
	struct unit_sink sig;
	struct delta_sig *loaded;
	struct dupc_err err;
	unsigned char *s;
	uint64_t rs = 3;
	size_t cut;

	(void)state;
	unit_fill_random(basis, sizeof(basis), &rs);
	unit_sink_init(&sig);
	assert_int_equal(make_signature(basis, sizeof(basis), 512, &sig, &err),
	    0);
	/* the header: MD4 magic, block length, strong sum length 8 */
	CHECK_INT(sig.len, 12 + 10 * 12, "signature length");
	CHECK(memcmp(sig.data, "rs\x01\x36\0\0\x02\0\0\0\0\x08", 12) == 0,
	    "MD4 magic, block 512, 8-byte strong sums");
	s = malloc(sig.len);
	memcpy(s, sig.data, sig.len);
	s[0] = 'X';
	CHECK_INT(load_signature(s, sig.len, 65536, &loaded, &err), -1,
	    "bad magic");
	CHECK(loaded == NULL, "nothing loaded");
	CHECK(err.msg[0] != '\0', "bad magic: message");
	/* a delta magic is not a signature */
	memcpy(s, "rs\x02\x36", 4);
	CHECK_INT(load_signature(s, sig.len, 65536, &loaded, &err), -1,
	    "delta magic");
	/* truncated inside the header */
	for (cut = 0; cut < 12; cut++) {
		char name[96];

		snprintf(name, sizeof(name), "header cut at %zu", cut);
		CHECK_INT(load_signature(sig.data, cut, 65536, &loaded, &err),
		    -1, name);
		delta_sig_free(loaded);
	}
	/* a strong sum length over the maximum */
	memcpy(s, sig.data, sig.len);
	s[11] = 64;
	CHECK_INT(load_signature(s, sig.len, 65536, &loaded, &err), -1,
	    "strong sum of 64 bytes");
	delta_sig_free(loaded);
	free(s);
	unit_sink_release(&sig);
	UNIT_DONE();
}

/* A BLAKE2 signature (which duplicity never writes, but a librsync it
 * was built with may read) is accepted. */
static void
test_blake2_signature(void **state)
{
	unsigned char basis[10000], nw[10000];
	unsigned char sigbuf[4096];
	struct unit_sink delta, out;
	struct delta_sig *loaded = NULL;
	struct dupc_err err;
	rs_buffers_t b;
	rs_job_t *job;
	rs_result r;
	uint64_t rs = 5;

	(void)state;
	unit_fill_random(basis, sizeof(basis), &rs);
	memcpy(nw, basis, sizeof(nw));
	nw[5000] ^= 1;
	job = rs_sig_begin(512, 32, RS_BLAKE2_SIG_MAGIC);
	assert_non_null(job);
	b.next_in = (char *)basis;
	b.avail_in = sizeof(basis);
	b.eof_in = 1;
	b.next_out = (char *)sigbuf;
	b.avail_out = sizeof(sigbuf);
	r = rs_job_iter(job, &b);
	rs_job_free(job);
	assert_int_equal(r, RS_DONE);
	CHECK_INT(load_signature(sigbuf, sizeof(sigbuf) - b.avail_out, 100,
		      &loaded, &err),
	    0, "BLAKE2 signature loads");
	unit_sink_init(&delta);
	unit_sink_init(&out);
	if (loaded != NULL) {
		CHECK_INT(
		    make_delta(loaded, nw, sizeof(nw), 65536, &delta, &err), 0,
		    "delta against BLAKE2");
		CHECK_INT(apply_patch(basis, sizeof(basis), delta.data,
			      delta.len, 65536, &out, &err),
		    0, "patch");
		CHECK_MEM(out.data, out.len, nw, sizeof(nw),
		    "BLAKE2 round trip");
	}
	delta_sig_free(loaded);
	delta_sig_free(NULL);
	unit_sink_release(&delta);
	unit_sink_release(&out);
	UNIT_DONE();
}

/* --- interop with the vectors --- */

struct vfile {
	char *name;
	unsigned char *data;
	size_t len;
};

struct vset {
	struct vfile f[128];
	size_t n;
};

static struct vfile *
vfind(struct vset *v, const char *name)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (strcmp(v->f[i].name, name) == 0)
			return &v->f[i];
	return NULL;
}

/* Load a vector tar (gzip) as name -> data, joining multivol chunks
 * under "snapshot/<path>" and keeping other names as they are. */
static int
load_vector_tar(const char *rel, struct vset *v)
{
	size_t len;
	unsigned char *tar = unit_gunzip_file(unit_vector_path(rel), &len);
	struct source *src;
	struct tar_reader *tr;
	struct tar_entry te;
	struct obj_meta m;
	struct dupc_err err;
	int rc;

	if (tar == NULL)
		return -1;
	src = mem_source_new(tar, len);
	tr = tarr_new(src, rel, &err);
	if (tr == NULL) {
		source_free(src);
		free(tar);
		return -1;
	}
	meta_init(&m);
	while ((rc = tarr_next(tr, &te, &m, &err)) == 1) {
		char name[4096];
		struct vfile *f;
		size_t got = 1;

		if (strncmp(te.name, "multivol_snapshot/", 18) == 0) {
			snprintf(name, sizeof(name), "snapshot/%s",
			    te.name + 18);
			*strrchr(name, '/') = '\0';
		} else {
			snprintf(name, sizeof(name), "%s", te.name);
		}
		f = vfind(v, name);
		if (f == NULL) {
			if (v->n == sizeof(v->f) / sizeof(v->f[0]))
				break;
			f = &v->f[v->n++];
			f->name = strdup(name);
			f->data = NULL;
			f->len = 0;
		}
		{
			size_t end = f->len + te.size;

			f->data = realloc(f->data, end + 1);
			while (
			    got > 0 && tarr_read(tr, f->data + f->len,
					   end + 1 - f->len, &got, &err) == 0)
				f->len += got;
		}
	}
	meta_release(&m);
	tarr_free(tr);
	source_free(src);
	free(tar);
	return rc < 0 ? -1 : 0;
}

static void
vset_free(struct vset *v)
{
	size_t i;

	for (i = 0; i < v->n; i++) {
		free(v->f[i].name);
		free(v->f[i].data);
	}
	v->n = 0;
}

/* Our signature of every file of the full backup is duplicity's, byte
 * for byte, with the block length the file size gives. */
static void
test_vector_signatures(void **state)
{
	static struct vset vol, sig;
	size_t i, checked = 0;

	UNIT_VECTORS(vec);
	(void)vec;
	(void)state;
	assert_int_equal(
	    load_vector_tar(
		"a-plain/remote/duplicity-full.20231114T221320Z.vol1.difftar.gz",
		&vol),
	    0);
	assert_int_equal(
	    load_vector_tar(
		"a-plain/remote/duplicity-full-signatures.20231114T221320Z.sigtar.gz",
		&sig),
	    0);
	for (i = 0; i < sig.n; i++) {
		struct vfile *s = &sig.f[i], *f;
		char path[4096];
		struct unit_sink mine;
		struct dupc_err err;
		unsigned block;

		if (strncmp(s->name, "signature/", 10) != 0)
			continue;
		snprintf(path, sizeof(path), "snapshot/%s", s->name + 10);
		f = vfind(&vol, path);
		CHECK(f != NULL, s->name);
		if (f == NULL)
			continue;
		block = delta_block_len(f->len, 2048);
		CHECK_U64(s->len, delta_sig_size(f->len, block), s->name);
		CHECK(s->len >= 12 &&
			  ((unsigned)s->data[4] << 24 |
			      (unsigned)s->data[5] << 16 |
			      (unsigned)s->data[6] << 8 | s->data[7]) == block,
		    s->name);
		unit_sink_init(&mine);
		CHECK_INT(make_signature(f->data, f->len, block, &mine, &err),
		    0, s->name);
		CHECK_MEM(mine.data, mine.len, s->data, s->len, s->name);
		unit_sink_release(&mine);
		checked++;
	}
	CHECK_INT(checked, 16, "signatures compared");
	vset_free(&vol);
	vset_free(&sig);
	UNIT_DONE();
}

/* Look up a file's SHA-256 in an expected listing. */
static int
expected_sha(const char *listing, const char *path, char *out)
{
	size_t len;
	char *text = (char *)unit_slurp(unit_vector_path(listing), &len);
	char *line, *save = NULL;
	int found = -1;

	if (text == NULL)
		return -1;
	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		size_t n = strlen(path);
		char *last;

		if (strncmp(line, path, n) != 0 || line[n] != '\t')
			continue;
		last = strrchr(line, '\t');
		snprintf(out, 65, "%s", last + 1);
		found = 0;
		break;
	}
	free(text);
	return found;
}

/* duplicity's deltas applied in chain order give the expected files. */
static void
test_vector_patches(void **state)
{
	static const char *const files[] = {
		"small.txt",
		"big-text.txt",
		"exact64k.bin",
		"run-0755.sh",
		"dir with spaces/plain.txt",
		"new-in-inc1.txt",
		"secret-0600.txt",
	};
	static const char *const sets[] = {
		"a-plain/remote/duplicity-full.20231114T221320Z.vol1.difftar.gz",
		"a-plain/remote/duplicity-inc.20231114T221320Z.to.20231114T221500Z.vol1.difftar.gz",
		"a-plain/remote/duplicity-inc.20231114T221500Z.to.20231114T221640Z.vol1.difftar.gz",
	};
	static const char *const listings[] = {
		"a-plain/expected/20231114T221320Z.txt",
		"a-plain/expected/20231114T221500Z.txt",
		"a-plain/expected/20231114T221640Z.txt",
	};
	static struct vset v[3];
	size_t f, s, patched = 0;

	UNIT_VECTORS(vec);
	(void)vec;
	(void)state;
	for (s = 0; s < 3; s++)
		assert_int_equal(load_vector_tar(sets[s], &v[s]), 0);
	for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		unsigned char *cur = NULL;
		size_t curlen = 0;
		bool have = false;

		for (s = 0; s < 3; s++) {
			char path[512], want[80], got[DIGEST_HEX_MAX],
			    name[600];
			struct vfile *e;

			snprintf(name, sizeof(name), "%s at set %zu", files[f],
			    s);
			snprintf(path, sizeof(path), "snapshot/%s", files[f]);
			if ((e = vfind(&v[s], path)) != NULL) {
				free(cur);
				cur = malloc(e->len + 1);
				memcpy(cur, e->data, e->len);
				curlen = e->len;
				have = true;
			}
			snprintf(path, sizeof(path), "diff/%s", files[f]);
			if ((e = vfind(&v[s], path)) != NULL) {
				struct unit_sink out;
				struct dupc_err err;

				CHECK(have, name);
				unit_sink_init(&out);
				if (apply_patch(cur ? cur : (unsigned char *)"",
					curlen, e->data, e->len, 65536, &out,
					&err) < 0) {
					unit_case_fail(__FILE__, __LINE__, name,
					    "%s", err.msg);
				} else {
					free(cur);
					cur = out.data;
					curlen = out.len;
					out.data = NULL;
					patched++;
				}
				unit_sink_release(&out);
			}
			snprintf(path, sizeof(path), "deleted/%s", files[f]);
			if (vfind(&v[s], path) != NULL)
				have = false;
			if (!have)
				continue;
			if (expected_sha(listings[s], files[f], want) < 0) {
				CHECK(0, name);
				continue;
			}
			digest_hex(DIGEST_SHA256,
			    cur ? cur : (unsigned char *)"", curlen, got);
			CHECK_STR(got, want, name);
		}
		free(cur);
	}
	CHECK_INT(patched, 8, "deltas applied");
	for (s = 0; s < 3; s++)
		vset_free(&v[s]);
	UNIT_DONE();
}

/* The cap on old signatures: never below what a same-size file needs,
 * proportional to the file, refused before it is held. */
static void
test_sig_cap(void **state)
{
	static const uint64_t sizes[] = { 0, 1, 65536, 1024000, 5000000,
		1ull << 30, 100ull << 30, 1ull << 40 };
	static unsigned char data[300000];
	struct unit_sink sig;
	struct delta_sig *loaded = NULL;
	struct dupc_err err;
	struct sink *s;
	uint64_t seed = 3;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char name[64];
		uint64_t z = sizes[i];

		snprintf(name, sizeof(name), "size %llu",
		    (unsigned long long)z);
		CHECK(delta_sig_max(z, 0) >=
			  delta_sig_size(z, delta_block_len(z, 0)),
		    name);
		CHECK(delta_sig_max(z, 100) >=
			  delta_sig_size(z, delta_block_len(z, 100)),
		    name);
		CHECK(delta_sig_max(z, 0) <= z / 20 + (2u << 20), name);
	}
	CHECK(delta_sig_max(UINT64_MAX, 0) == UINT64_MAX, "saturates");
	/* a 7 KB signature against a cap of 1000 bytes */
	unit_fill_random(data, sizeof(data), &seed);
	unit_sink_init(&sig);
	assert_int_equal(make_signature(data, sizeof(data), 512, &sig, &err),
	    0);
	s = delta_sig_loader_new(&loaded, 1000, &err);
	assert_non_null(s);
	err_clear(&err);
	CHECK_INT(pump(s, sig.data, sig.len, 4096, &err), -1, "over the cap");
	CHECK(strstr(err.msg, "too large") != NULL, "message");
	CHECK(loaded == NULL, "nothing loaded");
	sink_free(s);
	/* and under it */
	s = delta_sig_loader_new(&loaded, sig.len, &err);
	assert_non_null(s);
	CHECK_INT(pump(s, sig.data, sig.len, 4096, &err), 0, "at the cap");
	sink_free(s);
	delta_sig_free(loaded);
	unit_sink_release(&sig);
	UNIT_DONE();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_block_len),
		UNIT_TEST(test_sig_size_formula),
		UNIT_TEST(test_sig_file_size_table),
		UNIT_TEST(test_sig_file_size_real),
		UNIT_TEST(test_round_trips),
		UNIT_TEST(test_inplace),
		UNIT_TEST(test_tiny_writes),
		UNIT_TEST(test_bad_deltas),
		UNIT_TEST(test_bad_signatures),
		UNIT_TEST(test_sig_cap),
		UNIT_TEST(test_blake2_signature),
		UNIT_TEST(test_vector_signatures),
		UNIT_TEST(test_vector_patches),
	};

	unit_init();
	tar_init_locale();
	delta_init();
	return cmocka_run_group_tests_name("rsync", tests, NULL, NULL);
}
