/*
 * util/sparse: reading holes without reading them, writing holes for zero
 * blocks; the bytes are always exactly those of a plain read or write.
 */
#define _GNU_SOURCE
#include "unit.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/sparse.h"

/* Can this directory hold holes?  (Some file systems have none.) */
static bool
holes_here(void)
{
	struct stat st;
	int fd = open("probe", O_RDWR | O_CREAT | O_TRUNC, 0600);
	bool ok;

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	ok = fstat(fd, &st) == 0 && st.st_blocks == 0;
	close(fd);
	unlink("probe");
	return ok;
}

/* A file of ${size} bytes holding ${n} pieces of data at ${offs}. */
static void
make_file(const char *path, uint64_t size, const uint64_t *offs, size_t n)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	size_t i;

	assert_true(fd >= 0);
	for (i = 0; i < n; i++) {
		char piece[100];
		int len = snprintf(piece, sizeof(piece), "piece %zu at %llu\n",
		    i, (unsigned long long)offs[i]);

		assert_int_equal(pwrite(fd, piece, (size_t)len, (off_t)offs[i]),
		    len);
	}
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	close(fd);
}

static unsigned char *
read_all_plain(const char *path, size_t *len)
{
	return unit_slurp(path, len);
}

static unsigned char *
read_all_sparse(const char *path, size_t cap, size_t *len, bool *plain)
{
	struct sparse_reader r;
	unsigned char *out = NULL, *buf = malloc(cap);
	size_t n = 0;
	int fd = open(path, O_RDONLY);
	ssize_t got;

	assert_true(fd >= 0 && buf != NULL);
	sparse_reader_init(&r, fd);
	*plain = r.plain;
	while ((got = sparse_read(&r, buf, cap)) > 0) {
		out = realloc(out, n + (size_t)got + 1);
		assert_non_null(out);
		memcpy(out + n, buf, (size_t)got);
		n += (size_t)got;
	}
	assert_int_equal(got, 0);
	close(fd);
	free(buf);
	*len = n;
	return out;
}

static void
test_is_zero(void **state)
{
	static unsigned char big[3 * SPARSE_BLOCK + 7];
	static const struct {
		size_t at; /* where a non-zero byte goes (SIZE_MAX: none) */
		size_t len;
		bool zero;
		const char *name;
	} cases[] = {
		{ SIZE_MAX, 0, true, "empty" },
		{ SIZE_MAX, 1, true, "one zero" },
		{ 0, 1, false, "one non-zero" },
		{ SIZE_MAX, sizeof(big), true, "several blocks of zeros" },
		{ sizeof(big) - 1, sizeof(big), false, "the last byte" },
		{ SPARSE_BLOCK, sizeof(big), false, "first byte of block 2" },
		{ SPARSE_BLOCK, SPARSE_BLOCK, true, "just before it" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(big, 0, sizeof(big));
		if (cases[i].at != SIZE_MAX)
			big[cases[i].at] = 0x80;
		CHECK(sparse_is_zero(big, cases[i].len) == cases[i].zero,
		    cases[i].name);
	}
	UNIT_DONE();
}

static void
test_reader(void **state)
{
	static const uint64_t none[1] = { 0 };
	static const uint64_t mid[] = { 0, 200000, 1048000 };
	static const uint64_t late[] = { 900000 };
	static const struct {
		const char *name;
		uint64_t size;
		const uint64_t *offs;
		size_t n;
		bool sparse;
	} files[] = {
		{ "empty", 0, none, 0, false },
		{ "all hole", 300000, none, 0, true },
		{ "data, holes, data at the end", 1048576 + 123, mid, 3, true },
		{ "a hole first", 1000000, late, 1, true },
		{ "dense", 25, none, 1, false },
	};
	static const size_t caps[] = { 65536, 4096, 1000, 1 };
	bool holes = holes_here();
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		size_t plen, slen;
		unsigned char *p;

		make_file("f", files[i].size, files[i].offs, files[i].n);
		p = read_all_plain("f", &plen);
		assert_non_null(p);
		for (j = 0; j < sizeof(caps) / sizeof(caps[0]); j++) {
			bool plain;
			unsigned char *s;

			if (caps[j] == 1 && files[i].size > 4096)
				continue; /* byte by byte: small files only */
			s = read_all_sparse("f", caps[j], &slen, &plain);
			CHECK_MEM(s, slen, p, plen, files[i].name);
			if (holes)
				CHECK(plain == !files[i].sparse, files[i].name);
			free(s);
		}
		free(p);
	}
	UNIT_DONE();
}

/* A file that grows after the reader has seen its holes: the new bytes
 * are read, as read(2) would read them. */
static void
test_reader_growing(void **state)
{
	static const uint64_t offs[] = { 0 };
	struct sparse_reader r;
	unsigned char buf[65536];
	uint64_t total = 0;
	ssize_t got;
	int fd, wfd;

	(void)state;
	make_file("g", 200000, offs, 1);
	fd = open("g", O_RDONLY);
	wfd = open("g", O_WRONLY | O_APPEND);
	assert_true(fd >= 0 && wfd >= 0);
	sparse_reader_init(&r, fd);
	while ((got = sparse_read(&r, buf, sizeof(buf))) > 0) {
		if (total == 0)
			assert_int_equal(write(wfd, "more", 4), 4);
		total += (uint64_t)got;
	}
	CHECK_INT(got, 0, "growing: clean end");
	CHECK_U64(total, 200004, "growing: the appended bytes are read");
	close(fd);
	close(wfd);
	UNIT_DONE();
}

/* Write ${n} bytes of ${p} in pieces of ${step}; return the file. */
static unsigned char *
write_sparse(const unsigned char *p, size_t n, size_t step, size_t *len,
    struct stat *st)
{
	struct sparse_writer w;
	int fd = open("w", O_RDWR | O_CREAT | O_TRUNC, 0600);
	size_t off;

	assert_true(fd >= 0);
	sparse_writer_init(&w, fd);
	for (off = 0; off < n; off += step) {
		size_t k = n - off < step ? n - off : step;

		assert_int_equal(sparse_write(&w, p + off, k), 0);
	}
	assert_int_equal(sparse_writer_finish(&w), 0);
	assert_int_equal(fstat(fd, st), 0);
	close(fd);
	return unit_slurp("w", len);
}

static void
test_writer(void **state)
{
	static const size_t steps[] = { 65536, 4096, 5000, 1 };
	const size_t n = 4u << 20;
	unsigned char *data = calloc(1, n);
	bool holes = holes_here();
	size_t i;

	(void)state;
	assert_non_null(data);
	/* data at the start, an odd place, across a block edge, near the
	 * end; zeros around, and at the very end */
	memset(data, 'a', 100);
	memset(data + 777777, 'b', 3);
	memset(data + 2 * SPARSE_BLOCK * 100 - 2, 'c', 4);
	data[n - 4097] = 'd';
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		char name[64];
		struct stat st;
		size_t len;
		unsigned char *got;

		if (steps[i] == 1) {
			/* byte by byte on a smaller file */
			got = write_sparse(data, 300000, 1, &len, &st);
			snprintf(name, sizeof(name), "byte by byte");
			CHECK_MEM(got, len, data, 300000, name);
			free(got);
			continue;
		}
		snprintf(name, sizeof(name), "pieces of %zu", steps[i]);
		got = write_sparse(data, n, steps[i], &len, &st);
		CHECK_MEM(got, len, data, n, name);
		CHECK_U64(st.st_size, n, name);
		if (holes)
			CHECK((uint64_t)st.st_blocks * 512 <= 64 * 1024, name);
		free(got);
	}
	/* all zeros: no block at all, the right length */
	memset(data, 0, n);
	{
		struct stat st;
		size_t len;
		unsigned char *got = write_sparse(data, n, 65536, &len, &st);

		CHECK_MEM(got, len, data, n, "all zeros");
		if (holes)
			CHECK_INT(st.st_blocks, 0, "all zeros: no blocks");
		free(got);
	}
	/* no zeros: every byte written */
	memset(data, 'x', n);
	{
		struct stat st;
		size_t len;
		unsigned char *got = write_sparse(data, 65536, 999, &len, &st);

		CHECK_MEM(got, len, data, 65536, "dense");
		free(got);
	}
	free(data);
	UNIT_DONE();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_is_zero),
		UNIT_TEST(test_reader),
		UNIT_TEST(test_reader_growing),
		UNIT_TEST(test_writer),
	};

	unit_init();
	return cmocka_run_group_tests_name("sparse", tests, NULL, NULL);
}
