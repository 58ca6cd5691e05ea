/*
 * Generic stream helpers and the leaf streams (file descriptors, memory).
 * Codecs and backends build on these; nothing here knows about formats.
 */
#include "stream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"

int
write_full(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int
read_full(int fd, void *p, size_t n, size_t *got)
{
	char *c = p;
	size_t done = 0;

	while (done < n) {
		ssize_t r = read(fd, c + done, n - done);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		done += (size_t)r;
	}
	*got = done;
	return 0;
}

int
source_rewind(struct source *s, struct dupc_err *err)
{
	if (s->ops->rewind == NULL)
		return err_set(err, E_GENERIC, "stream cannot be rewound");
	return s->ops->rewind(s, err);
}

int
source_pread(struct source *s, void *p, size_t cap, uint64_t off, size_t *got,
    struct dupc_err *err)
{
	if (s->ops->pread == NULL)
		return err_set(err, E_GENERIC,
		    "stream cannot be read at an offset");
	return s->ops->pread(s, p, cap, off, got, err);
}

int
source_read_full(struct source *s, void *p, size_t cap, size_t *got,
    struct dupc_err *err)
{
	char *c = p;
	size_t done = 0;

	while (done < cap) {
		size_t n;

		if (source_read(s, c + done, cap - done, &n, err) < 0)
			return -1;
		if (n == 0)
			break;
		done += n;
	}
	*got = done;
	return 0;
}

int
source_copy(struct source *src, struct sink *dst, uint64_t *copied,
    struct dupc_err *err)
{
	char *block;
	uint64_t total = 0;
	int rc = -1;

	block = malloc(65536);
	if (block == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	for (;;) {
		size_t n;

		if (source_read(src, block, 65536, &n, err) < 0)
			goto out;
		if (n == 0)
			break;
		if (sink_write(dst, block, n, err) < 0)
			goto out;
		total += n;
	}
	if (copied != NULL)
		*copied = total;
	rc = 0;
out:
	free(block);
	return rc;
}

/* --- file descriptors --- */

struct fd_sink {
	struct sink base;
	int fd;
	char what[256];
};

static int
fd_sink_write(struct sink *s, const void *p, size_t n, struct dupc_err *err)
{
	struct fd_sink *fs = (struct fd_sink *)s;

	if (write_full(fs->fd, p, n) < 0)
		return err_errno(err, E_GENERIC, "writing %s", fs->what);
	return 0;
}

static void
fd_sink_free(struct sink *s)
{
	free(s);
}

static const struct sink_ops fd_sink_ops = {
	.write = fd_sink_write,
	.finish = NULL,
	.free = fd_sink_free,
};

struct sink *
fd_sink_new(int fd, const char *what)
{
	struct fd_sink *fs = calloc(1, sizeof(*fs));

	if (fs == NULL)
		return NULL;
	fs->base.ops = &fd_sink_ops;
	fs->fd = fd;
	strncpy(fs->what, what, sizeof(fs->what) - 1);
	return &fs->base;
}

struct fd_source {
	struct source base;
	int fd;
	off_t start;
	char what[256];
};

static int
fd_source_read(struct source *s, void *p, size_t cap, size_t *got,
    struct dupc_err *err)
{
	struct fd_source *fs = (struct fd_source *)s;
	ssize_t r;

	do {
		r = read(fs->fd, p, cap);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return err_errno(err, E_GENERIC, "reading %s", fs->what);
	*got = (size_t)r;
	return 0;
}

static int
fd_source_rewind(struct source *s, struct dupc_err *err)
{
	struct fd_source *fs = (struct fd_source *)s;

	if (lseek(fs->fd, fs->start, SEEK_SET) < 0)
		return err_errno(err, E_GENERIC, "rewinding %s", fs->what);
	return 0;
}

static void
fd_source_free(struct source *s)
{
	free(s);
}

static int
fd_source_pread(struct source *s, void *p, size_t cap, uint64_t off,
    size_t *got, struct dupc_err *err)
{
	struct fd_source *fs = (struct fd_source *)s;
	ssize_t r;

	if (off > (uint64_t)INT64_MAX - (uint64_t)fs->start) {
		*got = 0;
		return 0;
	}
	do {
		r = pread(fs->fd, p, cap, fs->start + (off_t)off);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return err_errno(err, E_GENERIC, "reading %s", fs->what);
	*got = (size_t)r;
	return 0;
}

static const struct source_ops fd_source_ops = {
	.read = fd_source_read,
	.rewind = fd_source_rewind,
	.free = fd_source_free,
	.pread = fd_source_pread,
};

struct source *
fd_source_new(int fd, const char *what)
{
	struct fd_source *fs = calloc(1, sizeof(*fs));

	if (fs == NULL)
		return NULL;
	fs->base.ops = &fd_source_ops;
	fs->fd = fd;
	fs->start = lseek(fd, 0, SEEK_CUR);
	if (fs->start < 0)
		fs->start = 0;
	strncpy(fs->what, what, sizeof(fs->what) - 1);
	return &fs->base;
}

/* --- memory --- */

struct mem_source {
	struct source base;
	const char *p;
	size_t len, off;
};

static int
mem_source_read(struct source *s, void *p, size_t cap, size_t *got,
    struct dupc_err *err)
{
	struct mem_source *ms = (struct mem_source *)s;
	size_t n = ms->len - ms->off;

	(void)err;
	if (n > cap)
		n = cap;
	if (n > 0)
		memcpy(p, ms->p + ms->off, n);
	ms->off += n;
	*got = n;
	return 0;
}

static int
mem_source_rewind(struct source *s, struct dupc_err *err)
{
	(void)err;
	((struct mem_source *)s)->off = 0;
	return 0;
}

static void
mem_source_free(struct source *s)
{
	free(s);
}

static int
mem_source_pread(struct source *s, void *p, size_t cap, uint64_t off,
    size_t *got, struct dupc_err *err)
{
	struct mem_source *ms = (struct mem_source *)s;
	size_t n = off < ms->len ? ms->len - (size_t)off : 0;

	(void)err;
	if (n > cap)
		n = cap;
	if (n > 0)
		memcpy(p, ms->p + off, n);
	*got = n;
	return 0;
}

static const struct source_ops mem_source_ops = {
	.read = mem_source_read,
	.rewind = mem_source_rewind,
	.free = mem_source_free,
	.pread = mem_source_pread,
};

struct source *
mem_source_new(const void *p, size_t len)
{
	struct mem_source *ms = calloc(1, sizeof(*ms));

	if (ms == NULL)
		return NULL;
	ms->base.ops = &mem_source_ops;
	ms->p = p;
	ms->len = len;
	return &ms->base;
}

/* --- limit --- */

struct limit_source {
	struct source base;
	struct source *inner;
	uint64_t left;
};

static int
limit_source_read(struct source *s, void *p, size_t cap, size_t *got,
    struct dupc_err *err)
{
	struct limit_source *ls = (struct limit_source *)s;

	if (cap > ls->left)
		cap = (size_t)ls->left;
	if (cap == 0) {
		*got = 0;
		return 0;
	}
	if (source_read(ls->inner, p, cap, got, err) < 0)
		return -1;
	ls->left -= *got;
	return 0;
}

static void
limit_source_free(struct source *s)
{
	free(s);
}

static const struct source_ops limit_source_ops = {
	.read = limit_source_read,
	.rewind = NULL,
	.free = limit_source_free,
};

struct source *
limit_source_new(struct source *inner, uint64_t limit)
{
	struct limit_source *ls = calloc(1, sizeof(*ls));

	if (ls == NULL)
		return NULL;
	ls->base.ops = &limit_source_ops;
	ls->inner = inner;
	ls->left = limit;
	return &ls->base;
}

/* --- a range of a source that reads at offsets --- */

struct range_source {
	struct source base;
	struct source *inner;
	uint64_t off, len, pos;
};

static int
range_source_read(struct source *s, void *p, size_t cap, size_t *got,
    struct dupc_err *err)
{
	struct range_source *rs = (struct range_source *)s;

	if (cap > rs->len - rs->pos)
		cap = (size_t)(rs->len - rs->pos);
	if (cap == 0) {
		*got = 0;
		return 0;
	}
	if (source_pread(rs->inner, p, cap, rs->off + rs->pos, got, err) < 0)
		return -1;
	rs->pos += *got;
	return 0;
}

static int
range_source_rewind(struct source *s, struct dupc_err *err)
{
	(void)err;
	((struct range_source *)s)->pos = 0;
	return 0;
}

static int
range_source_pread(struct source *s, void *p, size_t cap, uint64_t off,
    size_t *got, struct dupc_err *err)
{
	struct range_source *rs = (struct range_source *)s;

	if (off >= rs->len) {
		*got = 0;
		return 0;
	}
	if (cap > rs->len - off)
		cap = (size_t)(rs->len - off);
	return source_pread(rs->inner, p, cap, rs->off + off, got, err);
}

static void
range_source_free(struct source *s)
{
	free(s);
}

static const struct source_ops range_source_ops = {
	.read = range_source_read,
	.rewind = range_source_rewind,
	.free = range_source_free,
	.pread = range_source_pread,
};

struct source *
range_source_new(struct source *inner, uint64_t off, uint64_t len)
{
	struct range_source *rs = calloc(1, sizeof(*rs));

	if (rs == NULL)
		return NULL;
	rs->base.ops = &range_source_ops;
	rs->inner = inner;
	rs->off = off;
	rs->len = len;
	return &rs->base;
}

/* --- null --- */

static int
null_sink_write(struct sink *s, const void *p, size_t n, struct dupc_err *err)
{
	(void)s;
	(void)p;
	(void)n;
	(void)err;
	return 0;
}

static void
null_sink_free(struct sink *s)
{
	free(s);
}

static const struct sink_ops null_sink_ops = {
	.write = null_sink_write,
	.finish = NULL,
	.free = null_sink_free,
};

struct sink *
null_sink_new(void)
{
	struct sink *s = calloc(1, sizeof(*s));

	if (s != NULL)
		s->ops = &null_sink_ops;
	return s;
}
