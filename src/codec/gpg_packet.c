/*
 * A check of the packets that start gpg's binary output (RFC 4880 section
 * 4.2 headers).  An encrypted message is zero or more session key packets
 * (tags 1 and 3, and the obsolete marker, tag 10) followed by one encrypted
 * data packet; only the kind and version of that packet matter here, so
 * the guard skips the session key packets and decides on the first byte
 * of the data packet's body.  It never buffers more than a header.
 */
#include "codec/gpg_internal.h"

enum {
	PG_HEADER = 0, /* collecting a packet header in hdr[] */
	PG_SKIP,       /* skipping the body of a session key packet */
	PG_VERSION,    /* waiting for the first body byte of tag 18 */
	PG_DECIDED,
};

#define TAG_PKESK 1
#define TAG_SKESK 3
#define TAG_SED 9
#define TAG_MARKER 10
#define TAG_SEIPD 18
#define TAG_AEAD 20

void
gpg_packet_guard_init(struct gpg_packet_guard *g)
{
	g->verdict = GPG_PACKET_PENDING;
	g->state = PG_HEADER;
	g->nhdr = 0;
	g->skip = 0;
	g->tag = -1;
	g->npkesk = 0;
	g->nskesk = 0;
}

static enum gpg_packet_verdict
decide(struct gpg_packet_guard *g, enum gpg_packet_verdict v)
{
	g->verdict = v;
	g->state = PG_DECIDED;
	return v;
}

/*
 * How many header bytes the header in hdr[] needs, 0 if not known yet;
 * sets *len (UINT64_MAX: indeterminate or partial length).
 */
static size_t
header_size(const struct gpg_packet_guard *g, uint64_t *len)
{
	const uint8_t *h = g->hdr;
	static const size_t old_len[4] = { 2, 3, 5, 1 };

	*len = UINT64_MAX;
	if (!(h[0] & 0x40)) {
		size_t need = old_len[h[0] & 3];

		if (g->nhdr < need)
			return need;
		if (need == 2)
			*len = h[1];
		else if (need == 3)
			*len = ((uint64_t)h[1] << 8) | h[2];
		else if (need == 5)
			*len = ((uint64_t)h[1] << 24) | ((uint64_t)h[2] << 16) |
			       ((uint64_t)h[3] << 8) | h[4];
		return need;
	}
	if (g->nhdr < 2)
		return 0;
	if (h[1] < 192) {
		*len = h[1];
		return 2;
	}
	if (h[1] < 224) {
		if (g->nhdr >= 3)
			*len = (((uint64_t)h[1] - 192) << 8) + h[2] + 192;
		return 3;
	}
	if (h[1] == 255) {
		if (g->nhdr >= 6)
			*len = ((uint64_t)h[2] << 24) | ((uint64_t)h[3] << 16) |
			       ((uint64_t)h[4] << 8) | h[5];
		return 6;
	}
	return 2; /* partial body length: only data packets use it */
}

/* A complete header is in hdr[]: decide what follows it. */
static void
header_done(struct gpg_packet_guard *g, uint64_t len)
{
	switch (g->tag) {
	case TAG_PKESK:
	case TAG_SKESK:
	case TAG_MARKER:
		g->npkesk += g->tag == TAG_PKESK;
		g->nskesk += g->tag == TAG_SKESK;
		if (len == UINT64_MAX) {
			decide(g, GPG_PACKET_NOT_OPENPGP);
			return;
		}
		g->skip = len;
		g->state = PG_SKIP;
		break;
	case TAG_SEIPD:
		g->state = PG_VERSION;
		break;
	case TAG_AEAD:
		decide(g, GPG_PACKET_AEAD);
		return;
	case TAG_SED:
		decide(g, GPG_PACKET_NO_MDC);
		return;
	default:
		decide(g, GPG_PACKET_UNEXPECTED);
		return;
	}
	g->nhdr = 0;
}

/* Feed one header byte. */
static void
header_byte(struct gpg_packet_guard *g, uint8_t b)
{
	uint64_t len;
	size_t need;

	if (g->nhdr == 0) {
		if (!(b & 0x80)) {
			decide(g, GPG_PACKET_NOT_OPENPGP);
			return;
		}
		g->tag = (b & 0x40) ? (b & 0x3f) : ((b >> 2) & 0x0f);
	}
	g->hdr[g->nhdr++] = b;
	need = header_size(g, &len);
	if (need != 0 && g->nhdr == need)
		header_done(g, len);
}

enum gpg_packet_verdict
gpg_packet_guard_feed(struct gpg_packet_guard *g, const void *p, size_t n)
{
	const uint8_t *c = p;

	while (n > 0 && g->state != PG_DECIDED) {
		if (g->state == PG_SKIP) {
			size_t k = g->skip < n ? (size_t)g->skip : n;

			g->skip -= k;
			c += k;
			n -= k;
			if (g->skip == 0)
				g->state = PG_HEADER;
		} else if (g->state == PG_VERSION) {
			decide(g, *c == 1 ? GPG_PACKET_OK : GPG_PACKET_AEAD);
		} else {
			header_byte(g, *c++);
			n--;
		}
	}
	return g->verdict;
}

enum gpg_packet_verdict
gpg_packet_guard_end(struct gpg_packet_guard *g)
{
	if (g->state != PG_DECIDED)
		decide(g, GPG_PACKET_TRUNCATED);
	return g->verdict;
}

const char *
gpg_packet_verdict_text(enum gpg_packet_verdict v)
{
	switch (v) {
	case GPG_PACKET_PENDING:
		return "not checked yet";
	case GPG_PACKET_OK:
		return "encrypted data with MDC";
	case GPG_PACKET_NOT_OPENPGP:
		return "output that is not OpenPGP";
	case GPG_PACKET_AEAD:
		return "AEAD-encrypted data";
	case GPG_PACKET_NO_MDC:
		return "encrypted data without MDC";
	case GPG_PACKET_UNEXPECTED:
		return "output that is not an encrypted message";
	case GPG_PACKET_TRUNCATED:
		return "no encrypted data";
	}
	return "unknown output";
}
