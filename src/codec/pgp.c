/*
 * OpenPGP compressed literal packets (see pgp.h).
 *
 * The literal body is streamed as partial-length chunks of 64 KiB
 * (length octet 0xF0 = 2^16); the last chunk, held back until the end so
 * it is never empty, carries a regular length.  The body starts with the
 * literal header: format 'b', an empty file name and a zero date, as gpg
 * writes for data read from a pipe.
 */
#include "codec/pgp.h"

#include <stdlib.h>
#include <string.h>

#include "codec/pdeflate.h"
#include "util/err.h"
#include "util/stream.h"

#define CHUNK 65536u

struct pgp_sink {
	struct sink base;
	struct sink *next;
	struct pdeflate *pd;
	unsigned char buf[CHUNK + 1];
	size_t len;
	int started;
};

static int
start(struct pgp_sink *g, struct dupc_err *err)
{
	/* old-format Compressed Data packet, indeterminate length, ZIP */
	static const unsigned char hdr[2] = { 0xA3, 0x01 };
	/* inside: new-format Literal Data packet tag; header in the body */
	static const unsigned char lit[1] = { 0xCB };
	static const unsigned char body[6] = { 'b', 0, 0, 0, 0, 0 };

	g->started = 1;
	if (sink_write(g->next, hdr, sizeof(hdr), err) < 0 ||
	    pdeflate_write(g->pd, lit, sizeof(lit), err) < 0)
		return -1;
	memcpy(g->buf, body, sizeof(body));
	g->len = sizeof(body);
	return 0;
}

static int
pgp_write(struct sink *s, const void *p, size_t n, struct dupc_err *err)
{
	struct pgp_sink *g = (struct pgp_sink *)s;
	const unsigned char *c = p;

	if (!g->started && start(g, err) < 0)
		return -1;
	while (n > 0) {
		size_t k = CHUNK + 1 - g->len;

		if (k > n)
			k = n;
		memcpy(g->buf + g->len, c, k);
		g->len += k;
		c += k;
		n -= k;
		/* a full chunk plus one byte: the chunk is not the last */
		if (g->len == CHUNK + 1) {
			static const unsigned char partial = 0xF0; /* 2^16 */

			if (pdeflate_write(g->pd, &partial, 1, err) < 0 ||
			    pdeflate_write(g->pd, g->buf, CHUNK, err) < 0)
				return -1;
			g->buf[0] = g->buf[CHUNK];
			g->len = 1;
		}
	}
	return 0;
}

static int
pgp_finish(struct sink *s, struct dupc_err *err)
{
	struct pgp_sink *g = (struct pgp_sink *)s;
	unsigned char len[5];
	size_t n, k;

	if (!g->started && start(g, err) < 0)
		return -1;
	n = g->len;
	k = pgp_length_put(len, n);
	if (pdeflate_write(g->pd, len, k, err) < 0 ||
	    pdeflate_write(g->pd, g->buf, n, err) < 0 ||
	    pdeflate_finish(g->pd, err) < 0)
		return -1;
	return sink_finish(g->next, err);
}

size_t
pgp_length_put(unsigned char *b, size_t n)
{
	if (n < 192) {
		b[0] = (unsigned char)n;
		return 1;
	}
	if (n < 8384) {
		b[0] = (unsigned char)(((n - 192) >> 8) + 192);
		b[1] = (unsigned char)((n - 192) & 0xFF);
		return 2;
	}
	b[0] = 0xFF;
	b[1] = (unsigned char)(n >> 24);
	b[2] = (unsigned char)(n >> 16);
	b[3] = (unsigned char)(n >> 8);
	b[4] = (unsigned char)n;
	return 5;
}

size_t
pgp_length_size(unsigned char first)
{
	return first < 192 ? 1 : first < 224 ? 2 : first < 255 ? 1 : 5;
}

uint64_t
pgp_length_get(const unsigned char *b, bool *partial)
{
	*partial = false;
	if (b[0] < 192)
		return b[0];
	if (b[0] < 224)
		return ((uint64_t)(b[0] - 192) << 8) + b[1] + 192;
	if (b[0] < 255) {
		*partial = true;
		return (uint64_t)1 << (b[0] & 0x1F);
	}
	return (uint64_t)b[1] << 24 | (uint64_t)b[2] << 16 |
	       (uint64_t)b[3] << 8 | b[4];
}

static void
pgp_free(struct sink *s)
{
	struct pgp_sink *g = (struct pgp_sink *)s;

	pdeflate_free(g->pd);
	free(g);
}

static const struct sink_ops pgp_ops = { pgp_write, pgp_finish, pgp_free };

struct sink *
pgp_literal_sink_new(struct sink *next, int level, struct dupc_err *err)
{
	struct pgp_sink *g = calloc(1, sizeof(*g));

	if (g == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		return NULL;
	}
	g->base.ops = &pgp_ops;
	g->next = next;
	g->pd = pdeflate_new(level, next, err);
	if (g->pd == NULL) {
		free(g);
		return NULL;
	}
	return &g->base;
}

uint64_t
pgp_literal_sink_pending(const struct sink *s)
{
	const struct pgp_sink *g = (const struct pgp_sink *)s;

	return pdeflate_pending(g->pd) + g->len;
}

int
pgp_literal_sink_sync(struct sink *s, struct dupc_err *err)
{
	struct pgp_sink *g = (struct pgp_sink *)s;

	if (!g->started && start(g, err) < 0)
		return -1;
	return pdeflate_sync(g->pd, err);
}
