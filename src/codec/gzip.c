/*
 * gzip.  The encoder writes a series of gzip members made on all CPUs by
 * libdeflate (pdeflate.c, members mode), each with the header Python's
 * gzip module writes to a file object (no name, OS 255); gzip readers,
 * duplicity's included, read concatenated members as one stream.  The
 * decoder (zlib) accepts any gzip, single or multi-member.
 */
#include "codec/gzip.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "codec/pdeflate.h"
#include "util/err.h"
#include "util/stream.h"

#define GZ_BUF 65536

struct gzip_sink {
	struct sink base;
	struct sink *next;
	struct pdeflate *pd;
};

static int
gzip_write(struct sink *s, const void *p, size_t n, struct dupc_err *err)
{
	struct gzip_sink *g = (struct gzip_sink *)s;

	return pdeflate_write(g->pd, p, n, err);
}

static int
gzip_finish(struct sink *s, struct dupc_err *err)
{
	struct gzip_sink *g = (struct gzip_sink *)s;

	if (pdeflate_finish(g->pd, err) < 0)
		return -1;
	return sink_finish(g->next, err);
}

static void
gzip_free(struct sink *s)
{
	struct gzip_sink *g = (struct gzip_sink *)s;

	pdeflate_free(g->pd);
	free(g);
}

static const struct sink_ops gzip_sink_ops = {
	.write = gzip_write,
	.finish = gzip_finish,
	.free = gzip_free,
};

uint64_t
gzip_sink_pending(const struct sink *s)
{
	const struct gzip_sink *g = (const struct gzip_sink *)s;

	return pdeflate_pending(g->pd);
}

int
gzip_sink_sync(struct sink *s, struct dupc_err *err)
{
	struct gzip_sink *g = (struct gzip_sink *)s;

	return pdeflate_sync(g->pd, err);
}

struct sink *
gzip_sink_new(struct sink *next, int level, struct dupc_err *err)
{
	struct gzip_sink *g = calloc(1, sizeof(*g));

	if (g == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		return NULL;
	}
	g->base.ops = &gzip_sink_ops;
	g->next = next;
	g->pd = pdeflate_new_mode(level, next, true, err);
	if (g->pd == NULL) {
		free(g);
		return NULL;
	}
	return &g->base;
}

struct gunzip_source {
	struct source base;
	struct source *inner;
	z_stream zs;
	int in_member; /* inside a member (header seen) */
	int eof_in;
	int done;
	char what[256];
	unsigned char in[GZ_BUF];
};

static int
gunzip_fill(struct gunzip_source *g, struct dupc_err *err)
{
	size_t got;

	if (g->eof_in)
		return 0;
	if (source_read(g->inner, g->in, GZ_BUF, &got, err) < 0)
		return -1;
	if (got == 0)
		g->eof_in = 1;
	g->zs.next_in = g->in;
	g->zs.avail_in = (uInt)got;
	return 0;
}

static int
gunzip_read(struct source *s, void *p, size_t cap, size_t *got,
    struct dupc_err *err)
{
	struct gunzip_source *g = (struct gunzip_source *)s;

	*got = 0;
	if (cap > (1u << 30))
		cap = 1u << 30;
	while (!g->done && *got == 0) {
		int zr;

		if (g->zs.avail_in == 0) {
			if (gunzip_fill(g, err) < 0)
				return -1;
			if (g->zs.avail_in == 0 && g->eof_in) {
				if (g->in_member)
					return err_set(err, E_GENERIC,
					    "%s: truncated gzip data",
					    g->what);
				g->done = 1;
				break;
			}
		}
		g->in_member = 1;
		g->zs.next_out = p;
		g->zs.avail_out = (uInt)cap;
		zr = inflate(&g->zs, Z_NO_FLUSH);
		*got = cap - g->zs.avail_out;
		if (zr == Z_STREAM_END) {
			/* another member may follow */
			g->in_member = 0;
			inflateReset(&g->zs);
		} else if (zr != Z_OK && !(zr == Z_BUF_ERROR && *got > 0)) {
			return err_set(err, E_GENERIC,
			    "%s: corrupt gzip data (%s)", g->what,
			    g->zs.msg ? g->zs.msg : "inflate failed");
		}
	}
	return 0;
}

static void
gunzip_free(struct source *s)
{
	struct gunzip_source *g = (struct gunzip_source *)s;

	inflateEnd(&g->zs);
	free(g);
}

static const struct source_ops gunzip_source_ops = {
	.read = gunzip_read,
	.rewind = NULL,
	.free = gunzip_free,
};

struct source *
gunzip_source_new(struct source *inner, const char *what,
    struct dupc_err *err)
{
	struct gunzip_source *g = calloc(1, sizeof(*g));

	if (g == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		return NULL;
	}
	/* 15 + 16: gzip wrapper only */
	if (inflateInit2(&g->zs, 15 + 16) != Z_OK) {
		free(g);
		err_set(err, E_GENERIC, "gzip: cannot initialise zlib");
		return NULL;
	}
	g->base.ops = &gunzip_source_ops;
	g->inner = inner;
	strncpy(g->what, what, sizeof(g->what) - 1);
	return &g->base;
}
