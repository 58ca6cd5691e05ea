/*
 * Parallel DEFLATE (see pdeflate.h).
 *
 * Blocks live in a ring of RING slots.  The caller fills the slot at
 * ${fill}; a full slot is queued for the workers; the caller then waits for
 * the oldest slot (${emit}) when it needs a free one, and writes finished
 * blocks to the next sink in order.  Each slot is compressed on its own by
 * libdeflate, as gzip members or as a piece of one raw DEFLATE stream.
 */
#define _DEFAULT_SOURCE
#include "codec/pdeflate.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libdeflate.h>
#include <zlib.h>

#include "util/err.h"
#include "util/stream.h"

#define BLOCK (256u * 1024)
#define SCRATCH 65536u
#define RING 8
#define MAX_WORKERS 8
#define SAMPLE 4096u
#define PIECE 32768u

enum slot_state { SLOT_FREE, SLOT_FILLING, SLOT_QUEUED, SLOT_BUSY, SLOT_DONE };

struct slot {
	enum slot_state state;
	bool last;
	bool empty_member; /* members mode: the whole stream is empty */
	unsigned char *in;
	size_t inlen;
	unsigned char *out;
	size_t outlen, outcap;
	int failed;
};

/*
 * Per-thread state: the libdeflate compressor, and in raw mode a zlib
 * inflater that finds the block boundaries of libdeflate's output.
 */
struct zpair {
	struct libdeflate_compressor *ld;
	z_stream zs;
	bool ready;
	unsigned char *scratch; /* inflated bytes, thrown away */
};

struct pdeflate {
	struct sink *out;
	int level;
	struct slot slots[RING];
	unsigned fill; /* slot being filled by the caller */
	unsigned emit; /* oldest slot not yet written out */
	uint64_t isize;
	uint64_t in_pending; /* input in blocks not yet emitted */
	bool finished;
	/* workers */
	pthread_mutex_t mu;
	pthread_cond_t work; /* a slot was queued, or stop */
	pthread_cond_t done; /* a slot was compressed */
	pthread_t tid[MAX_WORKERS];
	int nworkers;
	bool stop;
	bool members; /* gzip members (pdeflate_new_mode), else raw DEFLATE */
	/* used inline when there are no workers */
	struct zpair z;
	bool sync_ready;
};

static int
zpair_init(struct zpair *z, int level, bool members)
{
	memset(z, 0, sizeof(*z));
	/* level 0 stores every piece and never calls libdeflate */
	z->ld = libdeflate_alloc_compressor(level > 0 ? level : 1);
	if (z->ld == NULL)
		return -1;
	if (members)
		return 0;
	z->scratch = malloc(SCRATCH);
	if (z->scratch == NULL || inflateInit2(&z->zs, -15) != Z_OK)
		return -1;
	z->ready = true;
	return 0;
}

static void
zpair_end(struct zpair *z)
{
	if (z->ld != NULL) {
		libdeflate_free_compressor(z->ld);
		z->ld = NULL;
	}
	free(z->scratch);
	z->scratch = NULL;
	if (!z->ready)
		return;
	inflateEnd(&z->zs);
	z->ready = false;
}

/*
 * Is this piece random (compressed or encrypted data)?  Such data has
 * every byte value about equally often; text, tar headers and most
 * binaries do not.  A histogram of 4 KiB is cheap enough to take for
 * every 32 KiB piece, so a block mixing a tar header and a photo is
 * judged piece by piece.
 */
static bool
looks_random(const unsigned char *p, size_t n)
{
	unsigned counts[256];
	const unsigned char *q;
	size_t k = n < SAMPLE ? n : SAMPLE, i;
	unsigned max = 0, seen = 0;

	if (k < SAMPLE)
		return false;
	q = p + (n - k) / 2;
	memset(counts, 0, sizeof(counts));
	for (i = 0; i < k; i++)
		counts[q[i]]++;
	for (i = 0; i < 256; i++) {
		if (counts[i] > 0)
			seen++;
		if (counts[i] > max)
			max = counts[i];
	}
	/* uniform 4 KiB: 16 per value, all 256 seen, the largest ~30 */
	return seen == 256 && max <= 48;
}

/* The end of the run of pieces of one kind (random or not) from ${off}. */
static size_t
run_end(const struct slot *s, size_t off, int level, bool *rnd)
{
	size_t end = off;

	*rnd =
	    level == 0 || looks_random(s->in + off,
			      s->inlen - off > PIECE ? PIECE : s->inlen - off);
	for (;;) {
		size_t k = s->inlen - end > PIECE ? PIECE : s->inlen - end;

		end += k;
		if (end == s->inlen)
			return end;
		k = s->inlen - end > PIECE ? PIECE : s->inlen - end;
		if (level > 0 && looks_random(s->in + end, k) != *rnd)
			return end;
	}
}

/* Make room for ${need} more output bytes in ${s}. */
static int
reserve_out(struct slot *s, size_t need)
{
	unsigned char *o;
	size_t cap;

	if (s->outcap - s->outlen >= need)
		return 0;
	cap = s->outlen + need;
	o = realloc(s->out, cap);
	if (o == NULL)
		return -1;
	s->out = o;
	s->outcap = cap;
	return 0;
}

static void
put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

/* Stored blocks, BFINAL on the last one only when ${final}. */
static int
stored_blocks(struct slot *s, const unsigned char *in, size_t n, bool final)
{
	unsigned char *o;
	size_t off = 0;

	if (reserve_out(s, n + 5 * (n / 65535 + 1)) < 0)
		return -1;
	o = s->out + s->outlen;
	while (off < n) {
		size_t k = n - off > 65535 ? 65535 : n - off;

		*o++ = final && off + k == n ? 1 : 0;
		*o++ = (unsigned char)k;
		*o++ = (unsigned char)(k >> 8);
		*o++ = (unsigned char)~k;
		*o++ = (unsigned char)(~k >> 8);
		memcpy(o, in + off, k);
		o += k;
		off += k;
	}
	s->outlen = (size_t)(o - s->out);
	return 0;
}

/* A gzip member of stored deflate blocks: random data costs a copy. */
static int
stored_member(struct slot *s, const unsigned char *in, size_t n)
{
	static const unsigned char head[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0,
		0xff };

	if (reserve_out(s, 10 + 2 + 8) < 0)
		return -1;
	memcpy(s->out + s->outlen, head, sizeof(head));
	s->outlen += sizeof(head);
	if (n == 0) {
		/* an empty final fixed-Huffman block, as gzip(1) writes */
		s->out[s->outlen++] = 0x03;
		s->out[s->outlen++] = 0x00;
	} else if (stored_blocks(s, in, n, true) < 0) {
		return -1;
	}
	if (reserve_out(s, 8) < 0)
		return -1;
	put_le32(s->out + s->outlen,
	    (uint32_t)crc32(crc32(0L, Z_NULL, 0), in, (uInt)n));
	put_le32(s->out + s->outlen + 4, (uint32_t)n);
	s->outlen += 8;
	return 0;
}

/*
 * Raw mode: one DEFLATE stream made of pieces compressed independently.
 * libdeflate has no flush, and ends each output with a final block
 * (BFINAL set) padded to a byte; zlib's inflate, stopping at each block
 * boundary (Z_BLOCK), tells where the last block starts and where it ends
 * to the bit.  Clearing that block's BFINAL bit and appending an empty
 * stored block (which aligns to a byte, as zlib's own sync flush does)
 * lets the next piece follow; only the stream's last piece keeps BFINAL.
 * The inflate pass costs far less than the compression saved against
 * zlib's deflate, and proves the piece decodes.
 */
static int
unfinal(struct slot *s, size_t start, struct zpair *z)
{
	z_stream *zs = &z->zs;
	size_t len = s->outlen - start;
	uint64_t hdr = 0, end = 0;
	bool found = false;

	if (inflateReset(zs) != Z_OK)
		return -1;
	zs->next_in = s->out + start;
	zs->avail_in = (uInt)len;
	while (!found) {
		int zr;

		zs->next_out = z->scratch;
		zs->avail_out = SCRATCH;
		zr = inflate(zs, Z_BLOCK);
		if (zr != Z_OK)
			return -1; /* a stream end before the boundary, or
				      damage */
		/* data_type: 128 at a block boundary, 64 once the block being
		 * read is the last, low bits unused in the last byte read */
		if (zs->data_type & 128) {
			uint64_t bit = (uint64_t)zs->total_in * 8 -
				       (unsigned)(zs->data_type & 7);

			if (zs->data_type & 64) {
				end = bit;
				found = true;
			} else {
				hdr = bit;
			}
		} else if (zs->avail_in == 0 && zs->avail_out != 0) {
			return -1; /* ran out of input inside a block */
		}
	}
	if ((end + 7) / 8 != len || reserve_out(s, 5) < 0)
		return -1;
	s->out[start + hdr / 8] &= (unsigned char)~(1u << (hdr % 8));
	/* the stored block's 3 header bits fit in the last byte's zero
	 * padding, or spill into one more byte; then LEN 0, NLEN 0xffff */
	if (len * 8 - end < 3)
		s->out[s->outlen++] = 0;
	memcpy(s->out + s->outlen, "\0\0\377\377", 4);
	s->outlen += 4;
	return 0;
}

/*
 * Members mode: each run of compressible pieces becomes one gzip member
 * made by libdeflate (about twice zlib's speed at the same level and
 * ratio), each run of random pieces one member of stored blocks.  A gzip
 * file may hold any number of members; every reader (zlib, Python's gzip
 * module that duplicity uses, gzip(1)) reads them as one stream.  Raw
 * mode: the same runs as pieces of one DEFLATE stream (see unfinal).
 */
static int
compress_run(struct slot *s, struct zpair *z, bool members, size_t off,
    size_t end, bool rnd)
{
	size_t n = end - off, start = s->outlen, bound, got;
	bool final = s->last && end == s->inlen;

	if (rnd)
		return members ? stored_member(s, s->in + off, n)
			       : stored_blocks(s, s->in + off, n, final);
	bound = members ? libdeflate_gzip_compress_bound(z->ld, n)
			: libdeflate_deflate_compress_bound(z->ld, n);
	if (reserve_out(s, bound) < 0)
		return -1;
	if (members)
		got = libdeflate_gzip_compress(z->ld, s->in + off, n,
		    s->out + s->outlen, s->outcap - s->outlen);
	else
		got = libdeflate_deflate_compress(z->ld, s->in + off, n,
		    s->out + s->outlen, s->outcap - s->outlen);
	if (got == 0)
		return -1;
	s->outlen += got;
	return members || final ? 0 : unfinal(s, start, z);
}

/* Compress one slot, run by run of random or compressible pieces. */
static int
compress_slot(struct slot *s, struct zpair *z, int level, bool members)
{
	size_t off = 0;

	s->outlen = 0;
	if (s->inlen == 0 && members)
		/* an empty file is still one member; otherwise nothing */
		return s->empty_member ? stored_member(s, s->in, 0) : 0;
	if (s->inlen == 0) {
		if (!s->last)
			return 0;
		/* nothing more: an empty final fixed-Huffman block */
		if (reserve_out(s, 2) < 0)
			return -1;
		s->out[s->outlen++] = 0x03;
		s->out[s->outlen++] = 0x00;
		return 0;
	}
	while (off < s->inlen) {
		bool rnd;
		size_t end = run_end(s, off, level, &rnd);

		if (compress_run(s, z, members, off, end, rnd) < 0)
			return -1;
		off = end;
	}
	return 0;
}

static void *
worker(void *arg)
{
	struct pdeflate *p = arg;
	struct zpair z;
	bool ok = zpair_init(&z, p->level, p->members) == 0;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct slot *s = NULL;
		unsigned i;

		for (i = 0; i < RING && s == NULL; i++) {
			/* oldest first keeps the output flowing */
			struct slot *c = &p->slots[(p->emit + i) % RING];

			if (c->state == SLOT_QUEUED)
				s = c;
		}
		if (s == NULL) {
			if (p->stop)
				break;
			pthread_cond_wait(&p->work, &p->mu);
			continue;
		}
		s->state = SLOT_BUSY;
		pthread_mutex_unlock(&p->mu);
		s->failed =
		    !ok || compress_slot(s, &z, p->level, p->members) < 0;
		pthread_mutex_lock(&p->mu);
		s->state = SLOT_DONE;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	zpair_end(&z);
	return NULL;
}

static int
online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > MAX_WORKERS ? MAX_WORKERS : (int)n;
}

struct pdeflate *
pdeflate_new(int level, struct sink *out, struct dupc_err *err)
{
	return pdeflate_new_mode(level, out, false, err);
}

struct pdeflate *
pdeflate_new_mode(int level, struct sink *out, bool members,
    struct dupc_err *err)
{
	struct pdeflate *p = calloc(1, sizeof(*p));
	int i, n = online_cpus();

	if (p == NULL)
		goto nomem;
	p->out = out;
	p->members = members;
	p->level = level < 0 ? 6 : level > 9 ? 9 : level;
	for (i = 0; i < RING; i++) {
		p->slots[i].in = malloc(BLOCK);
		if (p->slots[i].in == NULL)
			goto nomem;
	}
	p->slots[0].state = SLOT_FILLING;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	p->sync_ready = true;
	/* one CPU: compress inline, threads would only add switching */
	for (i = 0; n > 1 && i < n; i++) {
		if (pthread_create(&p->tid[i], NULL, worker, p) != 0)
			break;
		p->nworkers++;
	}
	if (p->nworkers == 0 && zpair_init(&p->z, p->level, members) < 0)
		goto nomem;
	return p;
nomem:
	pdeflate_free(p);
	err_set(err, E_GENERIC, "out of memory starting the compressor");
	return NULL;
}

/* Slot states are shared with the workers: read and set them locked. */
static enum slot_state
state_of(struct pdeflate *p, const struct slot *s)
{
	enum slot_state st;

	pthread_mutex_lock(&p->mu);
	st = s->state;
	pthread_mutex_unlock(&p->mu);
	return st;
}

static void
set_state(struct pdeflate *p, struct slot *s, enum slot_state st)
{
	pthread_mutex_lock(&p->mu);
	s->state = st;
	pthread_mutex_unlock(&p->mu);
}

/* Write out the oldest slot once it is compressed. */
static int
emit_one(struct pdeflate *p, struct dupc_err *err)
{
	struct slot *s = &p->slots[p->emit];
	int rc = 0;

	enum slot_state st;

	pthread_mutex_lock(&p->mu);
	while (s->state == SLOT_QUEUED || s->state == SLOT_BUSY)
		pthread_cond_wait(&p->done, &p->mu);
	st = s->state;
	pthread_mutex_unlock(&p->mu);
	if (st != SLOT_DONE)
		return 0;
	if (s->failed)
		return err_set(err, E_GENERIC, "compression failed");
	if (s->outlen > 0)
		rc = sink_write(p->out, s->out, s->outlen, err);
	p->in_pending -= s->inlen;
	set_state(p, s, SLOT_FREE);
	p->emit = (p->emit + 1) % RING;
	return rc;
}

/* Hand the filling slot to the workers and start the next one. */
static int
queue_slot(struct pdeflate *p, bool last, struct dupc_err *err)
{
	struct slot *s = &p->slots[p->fill];
	unsigned next = (p->fill + 1) % RING;
	struct slot *n = &p->slots[next];

	s->last = last;
	p->isize += s->inlen;
	s->empty_member = last && p->isize == 0;
	p->in_pending += s->inlen;
	if (!last) {
		while (state_of(p, n) != SLOT_FREE)
			if (emit_one(p, err) < 0)
				return -1;
		n->inlen = 0;
		set_state(p, n, SLOT_FILLING);
	}
	if (p->nworkers == 0) {
		s->failed = compress_slot(s, &p->z, p->level, p->members) < 0;
		set_state(p, s, SLOT_DONE);
	} else {
		pthread_mutex_lock(&p->mu);
		s->state = SLOT_QUEUED;
		pthread_cond_signal(&p->work);
		pthread_mutex_unlock(&p->mu);
	}
	if (!last)
		p->fill = next;
	return 0;
}

int
pdeflate_write(struct pdeflate *p, const void *data, size_t n,
    struct dupc_err *err)
{
	const unsigned char *c = data;

	while (n > 0) {
		struct slot *s = &p->slots[p->fill];
		size_t k = BLOCK - s->inlen;

		if (k > n)
			k = n;
		memcpy(s->in + s->inlen, c, k);
		s->inlen += k;
		c += k;
		n -= k;
		if (s->inlen == BLOCK && queue_slot(p, false, err) < 0)
			return -1;
	}
	return 0;
}

int
pdeflate_sync(struct pdeflate *p, struct dupc_err *err)
{
	if (p->finished)
		return 0;
	if (p->slots[p->fill].inlen > 0 && queue_slot(p, false, err) < 0)
		return -1;
	while (p->emit != p->fill)
		if (emit_one(p, err) < 0)
			return -1;
	return 0;
}

int
pdeflate_finish(struct pdeflate *p, struct dupc_err *err)
{
	if (p->finished)
		return 0;
	if (queue_slot(p, true, err) < 0)
		return -1;
	for (;;) {
		enum slot_state st = state_of(p, &p->slots[p->emit]);

		if (st == SLOT_FREE || st == SLOT_FILLING)
			break;
		if (emit_one(p, err) < 0)
			return -1;
	}
	p->finished = true;
	return 0;
}

uint64_t
pdeflate_pending(const struct pdeflate *p)
{
	uint64_t in = p->in_pending + p->slots[p->fill].inlen;

	/* counted 1:1: a ratio from earlier blocks would under-count a
	 * switch from text to random data by the whole ring */
	if (p->finished)
		return 0;
	return in;
}

void
pdeflate_free(struct pdeflate *p)
{
	int i;

	if (p == NULL)
		return;
	if (p->nworkers > 0) {
		pthread_mutex_lock(&p->mu);
		p->stop = true;
		/* abandon queued work: nobody will read it */
		for (i = 0; i < RING; i++)
			if (p->slots[i].state == SLOT_QUEUED)
				p->slots[i].state = SLOT_FREE;
		pthread_cond_broadcast(&p->work);
		pthread_mutex_unlock(&p->mu);
		for (i = 0; i < p->nworkers; i++)
			pthread_join(p->tid[i], NULL);
	}
	zpair_end(&p->z);
	if (p->sync_ready) {
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->work);
		pthread_cond_destroy(&p->done);
	}
	for (i = 0; i < RING; i++) {
		free(p->slots[i].in);
		free(p->slots[i].out);
	}
	free(p);
}
