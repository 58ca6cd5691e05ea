/*
 * Memory-then-file byte collector.
 */
#define _DEFAULT_SOURCE
#include "util/spill.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/err.h"
#include "util/tempfile.h"

static int
spill_write_failed(struct dupc_err *err)
{
	return err_errno(err, E_GENERIC, "writing a temporary file in %s",
	    tempdir_path() ? tempdir_path() : "the temporary directory");
}

static int
spill_write(struct sink *sk, const void *p, size_t n, struct dupc_err *err)
{
	struct spill *s = (struct spill *)sk;

	/* nothing to do; and s->mem may still be NULL (memcpy(NULL, p, 0)
	 * is undefined) */
	if (n == 0)
		return 0;
	if (s->fd < 0 && s->len + n > s->threshold) {
		s->fd = tempfile_open("spill", NULL, err);
		if (s->fd < 0)
			return -1;
		if (s->len > 0 && write_full(s->fd, s->mem, s->len) < 0)
			return spill_write_failed(err);
		free(s->mem);
		s->mem = NULL;
		s->len = s->cap = 0;
	}
	if (s->fd >= 0) {
		if (write_full(s->fd, p, n) < 0)
			return spill_write_failed(err);
	} else {
		if (s->len + n > s->cap) {
			size_t cap = s->cap ? s->cap : 4096;
			unsigned char *m;

			while (cap < s->len + n)
				cap *= 2;
			m = realloc(s->mem, cap);
			if (m == NULL)
				return err_set(err, E_GENERIC, "out of memory");
			s->mem = m;
			s->cap = cap;
		}
		memcpy(s->mem + s->len, p, n);
		s->len += n;
	}
	s->total += n;
	return 0;
}

static const struct sink_ops spill_ops = {
	.write = spill_write,
	.finish = NULL,
	.free = NULL,
};

void
spill_init(struct spill *s, size_t threshold)
{
	memset(s, 0, sizeof(*s));
	s->base.ops = &spill_ops;
	s->threshold = threshold;
	s->fd = -1;
}

void
spill_release(struct spill *s)
{
	free(s->mem);
	if (s->fd >= 0)
		close(s->fd);
	spill_init(s, s->threshold);
}

void
spill_reset(struct spill *s)
{
	if (s->fd >= 0) {
		close(s->fd);
		s->fd = -1;
	}
	s->len = 0;
	s->total = 0;
}

int
spill_copy_to(struct spill *s, struct sink *out, struct dupc_err *err)
{
	unsigned char buf[65536];
	off_t off = 0;

	if (s->fd < 0)
		return s->len ? sink_write(out, s->mem, s->len, err) : 0;
	for (;;) {
		ssize_t r = pread(s->fd, buf, sizeof(buf), off);

		if (r < 0)
			return err_errno(err, E_GENERIC,
			    "reading temporary file");
		if (r == 0)
			return 0;
		if (sink_write(out, buf, (size_t)r, err) < 0)
			return -1;
		off += r;
	}
}
