/*
 * gzip.  The encoder writes a series of gzip members made on all CPUs by
 * libdeflate (pdeflate.c, members mode), each with the header Python's
 * gzip module writes to a file object (no name, OS 255); gzip readers,
 * duplicity's included, read concatenated members as one stream.  The
 * decoder (zlib) accepts any gzip, single or multi-member.
 */
#include "codec/gzip.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>
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

/*
 * The decoder first takes whole members through libdeflate, about twice
 * as fast as zlib's inflate: it works when each member fits the buffers,
 * as the members dupc writes do (256 KiB of input each).  The first member
 * that does not (duplicity writes one member for the whole volume), and
 * any damage, hand the stream from that member on to zlib, which streams
 * anything and words the errors.
 */
#define FAST_IN (1u << 20)
#define FAST_OUT (512u * 1024)

struct gunzip_source {
	struct source base;
	struct source *inner;
	bool fast; /* still taking whole members */
	struct libdeflate_decompressor *ld;
	unsigned char *fin, *fout;
	size_t fin_len, fin_off, fout_len, fout_off;
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

/* Read the inner source until the fast input buffer is full or it ends. */
static int
fast_fill(struct gunzip_source *g, struct dupc_err *err)
{
	if (g->fin_off > 0) {
		memmove(g->fin, g->fin + g->fin_off, g->fin_len - g->fin_off);
		g->fin_len -= g->fin_off;
		g->fin_off = 0;
	}
	while (g->fin_len < FAST_IN && !g->eof_in) {
		size_t got;

		if (source_read(g->inner, g->fin + g->fin_len,
			FAST_IN - g->fin_len, &got, err) < 0)
			return -1;
		if (got == 0)
			g->eof_in = 1;
		g->fin_len += got;
	}
	return 0;
}

/* Decode the next whole member into fout; 1 if it needs zlib instead. */
static int
fast_member(struct gunzip_source *g, struct dupc_err *err)
{
	size_t in_used = 0, out_len = 0;
	int tries;

	for (tries = 0; tries < 2; tries++) {
		enum libdeflate_result r;

		if (g->fin_len - g->fin_off < FAST_IN && !g->eof_in &&
		    fast_fill(g, err) < 0)
			return -1;
		if (g->fin_len == g->fin_off) {
			g->fout_len = g->fout_off = 0; /* the end */
			return 0;
		}
		r = libdeflate_gzip_decompress_ex(g->ld, g->fin + g->fin_off,
		    g->fin_len - g->fin_off, g->fout, FAST_OUT, &in_used,
		    &out_len);
		if (r == LIBDEFLATE_SUCCESS) {
			g->fin_off += in_used;
			g->fout_len = out_len;
			g->fout_off = 0;
			return 0;
		}
		/* a member cut by the buffer's end: move it up, read more */
		if (g->fin_off == 0 || g->eof_in)
			break;
	}
	return 1;
}

static int
gunzip_read(struct source *s, void *p, size_t cap, size_t *got,
    struct dupc_err *err)
{
	struct gunzip_source *g = (struct gunzip_source *)s;

	*got = 0;
	if (cap > (1u << 30))
		cap = 1u << 30;
	while (g->fast && !g->done && *got == 0) {
		int r;

		if (g->fout_off < g->fout_len) {
			size_t k = g->fout_len - g->fout_off;

			if (k > cap)
				k = cap;
			memcpy(p, g->fout + g->fout_off, k);
			g->fout_off += k;
			*got = k;
			return 0;
		}
		r = fast_member(g, err);
		if (r < 0)
			return -1;
		if (r == 0 && g->fout_len == 0 && g->fin_off == g->fin_len &&
		    g->eof_in) {
			/* the last member gave nothing more: the end */
			g->done = 1;
			return 0;
		}
		if (r == 1) {
			/* zlib takes over at this member's first byte */
			g->fast = false;
			g->zs.next_in = g->fin + g->fin_off;
			g->zs.avail_in = (uInt)(g->fin_len - g->fin_off);
		}
	}
	while (!g->done && *got == 0) {
		int zr;

		if (g->zs.avail_in == 0) {
			if (gunzip_fill(g, err) < 0)
				return -1;
			if (g->zs.avail_in == 0 && g->eof_in) {
				if (g->in_member)
					return err_set(err, E_GENERIC,
					    "%s: truncated gzip data", g->what);
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
	if (g->ld != NULL)
		libdeflate_free_decompressor(g->ld);
	free(g->fin);
	free(g->fout);
	free(g);
}

static const struct source_ops gunzip_source_ops = {
	.read = gunzip_read,
	.rewind = NULL,
	.free = gunzip_free,
};

struct source *
gunzip_source_new(struct source *inner, const char *what, struct dupc_err *err)
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
	g->ld = libdeflate_alloc_decompressor();
	g->fin = malloc(FAST_IN);
	g->fout = malloc(FAST_OUT);
	/* without the fast path's memory, zlib does it all */
	g->fast = g->ld != NULL && g->fin != NULL && g->fout != NULL;
	strncpy(g->what, what, sizeof(g->what) - 1);
	return &g->base;
}
