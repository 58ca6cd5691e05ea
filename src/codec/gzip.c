/*
 * gzip over zlib.  The encoder writes the header and trailer itself around
 * a raw deflate stream, which keeps the header what duplicity writes (no
 * name, OS 255) and leaves room for block-parallel deflate.  The decoder
 * accepts any gzip, including concatenated members.
 */
#include "codec/gzip.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zlib.h>

#include "util/err.h"
#include "util/stream.h"

#define GZ_BUF 65536

struct gzip_sink {
	struct sink base;
	struct sink *next;
	z_stream zs;
	uLong crc;
	uint32_t isize;
	int header_done;
	unsigned char out[GZ_BUF];
};

static int
gz_write_header(struct gzip_sink *g, struct dupc_err *err)
{
	unsigned char h[10];
	uint32_t mt = (uint32_t)time(NULL);

	h[0] = 0x1f;
	h[1] = 0x8b;
	h[2] = 8; /* deflate */
	h[3] = 0; /* no flags: no name, as Python writes to a file object */
	h[4] = (unsigned char)mt;
	h[5] = (unsigned char)(mt >> 8);
	h[6] = (unsigned char)(mt >> 16);
	h[7] = (unsigned char)(mt >> 24);
	h[8] = 0;
	h[9] = 0xff;
	g->header_done = 1;
	return sink_write(g->next, h, sizeof(h), err);
}

static int
gz_deflate(struct gzip_sink *g, int flush, struct dupc_err *err)
{
	int zr;

	do {
		g->zs.next_out = g->out;
		g->zs.avail_out = GZ_BUF;
		zr = deflate(&g->zs, flush);
		if (zr == Z_STREAM_ERROR)
			return err_set(err, E_GENERIC, "gzip: deflate failed");
		if (GZ_BUF - g->zs.avail_out > 0 &&
		    sink_write(g->next, g->out, GZ_BUF - g->zs.avail_out,
			err) < 0)
			return -1;
	} while (g->zs.avail_out == 0 || (flush == Z_FINISH && zr != Z_STREAM_END));
	return 0;
}

static int
gzip_write(struct sink *s, const void *p, size_t n, struct dupc_err *err)
{
	struct gzip_sink *g = (struct gzip_sink *)s;
	const unsigned char *c = p;

	if (!g->header_done && gz_write_header(g, err) < 0)
		return -1;
	while (n > 0) {
		uInt chunk = n > (1u << 30) ? (1u << 30) : (uInt)n;

		g->crc = crc32(g->crc, c, chunk);
		g->isize += (uint32_t)chunk;
		g->zs.next_in = (Bytef *)(uintptr_t)c;
		g->zs.avail_in = chunk;
		if (gz_deflate(g, Z_NO_FLUSH, err) < 0)
			return -1;
		c += chunk;
		n -= chunk;
	}
	return 0;
}

static int
gzip_finish(struct sink *s, struct dupc_err *err)
{
	struct gzip_sink *g = (struct gzip_sink *)s;
	unsigned char t[8];
	int i;

	if (!g->header_done && gz_write_header(g, err) < 0)
		return -1;
	g->zs.next_in = NULL;
	g->zs.avail_in = 0;
	if (gz_deflate(g, Z_FINISH, err) < 0)
		return -1;
	for (i = 0; i < 4; i++) {
		t[i] = (unsigned char)(g->crc >> (8 * i));
		t[4 + i] = (unsigned char)(g->isize >> (8 * i));
	}
	if (sink_write(g->next, t, sizeof(t), err) < 0)
		return -1;
	return sink_finish(g->next, err);
}

static void
gzip_free(struct sink *s)
{
	struct gzip_sink *g = (struct gzip_sink *)s;

	deflateEnd(&g->zs);
	free(g);
}

static const struct sink_ops gzip_sink_ops = {
	.write = gzip_write,
	.finish = gzip_finish,
	.free = gzip_free,
};

struct sink *
gzip_sink_new(struct sink *next, int level, struct dupc_err *err)
{
	struct gzip_sink *g = calloc(1, sizeof(*g));

	if (g == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		return NULL;
	}
	if (deflateInit2(&g->zs, level, Z_DEFLATED, -15, 8,
		Z_DEFAULT_STRATEGY) != Z_OK) {
		free(g);
		err_set(err, E_GENERIC, "gzip: cannot initialise zlib");
		return NULL;
	}
	g->base.ops = &gzip_sink_ops;
	g->next = next;
	g->crc = crc32(0, NULL, 0);
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
