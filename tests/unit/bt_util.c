/*
 * Backend test helpers (see bt_util.h).
 */
#define _DEFAULT_SOURCE
#include "bt_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "backend/backend.h"
#include "util/err.h"
#include "util/stream.h"

void
bt_fill(char *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (char)(seed >> 16);
	}
}

void
bt_put(struct backend *be, const char *name, const char *p, size_t n)
{
	struct source *src = mem_source_new(p, n);
	struct dupc_err err;

	err_clear(&err);
	if (backend_put(be, name, src, n, &err) != 0)
		fail_msg("put %s: %s", name, err.msg);
	source_free(src);
}

static int
temp_fd(void)
{
	const char *t = getenv("TMPDIR");
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/dupc-bt.XXXXXX",
	    t != NULL && *t ? t : "/tmp");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	return fd;
}

/* Write bt_fill(seed) in blocks: the generator state carries over. */
static void
write_pattern(int fd, uint64_t n, unsigned seed)
{
	char *block = malloc(1 << 20);
	uint64_t done = 0;
	size_t i, m;

	assert_non_null(block);
	while (done < n) {
		m = n - done > (1 << 20) ? (1 << 20) : (size_t)(n - done);
		for (i = 0; i < m; i++) {
			seed = seed * 1103515245u + 12345u;
			block[i] = (char)(seed >> 16);
		}
		assert_int_equal(write_full(fd, block, m), 0);
		done += m;
	}
	free(block);
}

void
bt_put_file(struct backend *be, const char *name, uint64_t n, unsigned seed)
{
	struct source *src;
	struct dupc_err err;
	int fd = temp_fd();

	write_pattern(fd, n, seed);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	src = fd_source_new(fd, name);
	err_clear(&err);
	if (backend_put(be, name, src, n, &err) != 0)
		fail_msg("put %s: %s", name, err.msg);
	source_free(src);
	close(fd);
}

static int
get_fd(struct backend *be, const char *name)
{
	struct dupc_err err;
	int fd = temp_fd();

	/* junk first: get must truncate */
	assert_int_equal(write_full(fd, "junkjunkjunkjunk", 16), 0);
	err_clear(&err);
	if (backend_get(be, name, fd, &err) != 0)
		fail_msg("get %s: %s", name, err.msg);
	return fd;
}

void
bt_expect(struct backend *be, const char *name, const char *p, size_t n)
{
	char *got = malloc(n + 1);
	size_t len;
	int fd = get_fd(be, name);

	assert_non_null(got);
	assert_int_equal(lseek(fd, 0, SEEK_END), (off_t)n);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(read_full(fd, got, n + 1, &len), 0);
	if (len != n || memcmp(got, p, n) != 0)
		fail_msg("get %s: wrong content (%zu bytes)", name, len);
	free(got);
	close(fd);
}

void
bt_expect_file(struct backend *be, const char *name, uint64_t n, unsigned seed)
{
	char *block = malloc(1 << 20), *want = malloc(1 << 20);
	uint64_t done = 0;
	size_t i, m, len;
	int fd = get_fd(be, name);

	assert_non_null(block);
	assert_non_null(want);
	assert_int_equal(lseek(fd, 0, SEEK_END), (off_t)n);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	while (done < n) {
		m = n - done > (1 << 20) ? (1 << 20) : (size_t)(n - done);
		for (i = 0; i < m; i++) {
			seed = seed * 1103515245u + 12345u;
			want[i] = (char)(seed >> 16);
		}
		assert_int_equal(read_full(fd, block, m, &len), 0);
		if (len != m || memcmp(block, want, m) != 0)
			fail_msg("get %s: wrong content near byte %llu", name,
			    (unsigned long long)done);
		done += m;
	}
	free(block);
	free(want);
	close(fd);
}

struct item {
	char *name;
	uint64_t size;
};

struct items {
	struct item *v;
	size_t n, cap;
};

static int
collect(const char *name, uint64_t size, void *arg, struct dupc_err *err)
{
	struct items *it = arg;

	(void)err;
	if (it->n == it->cap) {
		it->cap = it->cap ? it->cap * 2 : 64;
		it->v = realloc(it->v, it->cap * sizeof(*it->v));
		assert_non_null(it->v);
	}
	it->v[it->n].name = strdup(name);
	it->v[it->n].size = size;
	it->n++;
	return 0;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct item *)a)->name,
	    ((const struct item *)b)->name);
}

unsigned
bt_list(struct backend *be, char *out, size_t n)
{
	struct items it = { NULL, 0, 0 };
	struct dupc_err err;
	size_t i, o = 0;

	err_clear(&err);
	if (backend_list(be, collect, &it, &err) != 0)
		fail_msg("list: %s", err.msg);
	if (it.n > 1)
		qsort(it.v, it.n, sizeof(*it.v), by_name);
	if (n > 0)
		out[0] = '\0';
	for (i = 0; i < it.n; i++) {
		if (i > 0 && strcmp(it.v[i].name, it.v[i - 1].name) == 0)
			fail_msg("list: %s reported twice", it.v[i].name);
		if (o < n)
			o += (size_t)snprintf(out + o, n - o, "%s:%llu;",
			    it.v[i].name, (unsigned long long)it.v[i].size);
	}
	for (i = 0; i < it.n; i++)
		free(it.v[i].name);
	free(it.v);
	return (unsigned)i;
}
