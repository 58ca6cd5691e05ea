/*
 * Streaming librsync.  Every job is driven by job_pump(): input comes in
 * through sink writes, output is drained in 64 KiB blocks to the next
 * sink.  Nothing here holds a whole file; a loaded signature is the one
 * structure whose size follows the file's (as in duplicity).
 */
#define _DEFAULT_SOURCE
#include "delta/rsync.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librsync.h>

#include "util/err.h"
#include "util/log.h"
#include "util/stream.h"

#define JOB_BUF 65536

struct delta_sig {
	rs_signature_t *sig;
};

static void
trace_to_log(rs_loglevel level, const char *msg)
{
	(void)level;
	log_debug("librsync: %s", msg);
}

void
delta_init(void)
{
	rs_trace_to(trace_to_log);
	rs_trace_set_level(RS_LOG_ERR);
}

unsigned
delta_block_len(uint64_t size, unsigned max)
{
	uint64_t len;

	if (max == 0)
		max = 2048;
	if (size < 1024000)
		return 512;
	len = size / 1024000 * 512;
	return len < max ? (unsigned)len : max;
}

uint64_t
delta_sig_size(uint64_t size, unsigned block_len)
{
	uint64_t blocks = (size + block_len - 1) / block_len;

	return 12 + blocks * 12;
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* librsync's signature layout: magic, block length and strong sum length
 * (4 bytes each, big-endian), then per block a 4-byte weak sum and the
 * strong sum (doc/format.md). */
int
delta_sig_file_size(const void *hdr, size_t n, uint64_t siglen, uint64_t *lo,
    uint64_t *hi)
{
	const unsigned char *p = hdr;
	uint32_t magic, block_len, strong_len, strong_max;
	uint64_t blocks, top;

	if (n < 12 || siglen < 12)
		return -1;
	magic = be32(p);
	block_len = be32(p + 4);
	strong_len = be32(p + 8);
	if (magic == RS_MD4_SIG_MAGIC || magic == RS_RK_MD4_SIG_MAGIC)
		strong_max = 16;
	else if (magic == RS_BLAKE2_SIG_MAGIC ||
		 magic == RS_RK_BLAKE2_SIG_MAGIC)
		strong_max = RS_MAX_STRONG_SUM_LENGTH;
	else
		return -1;
	if (block_len == 0 || strong_len == 0 || strong_len > strong_max ||
	    (siglen - 12) % (4 + strong_len) != 0)
		return -1;
	blocks = (siglen - 12) / (4 + strong_len);
	if (blocks == 0) {
		*lo = *hi = 0;
		return 0;
	}
	if (__builtin_mul_overflow(blocks, (uint64_t)block_len, &top))
		return -1;
	*lo = top - block_len + 1;
	*hi = top;
	return 0;
}

struct job_sink {
	struct sink base;
	rs_job_t *job;
	struct sink *out; /* NULL for the signature loader */
	const char *what;
	int done;
	/* loader */
	rs_signature_t *loaded;
	struct delta_sig **sigp;
	uint64_t in, max_in; /* signature bytes taken, and the cap */
	/* patch */
	int basis_fd;
	unsigned char *copybuf;
	size_t copycap;
	uint64_t out_done; /* output bytes drained so far */
	/* scan and in-place patch (see delta_patch_scan_new) */
	struct delta_plan *plan;
	uint64_t basis_len;
	int inplace_fd;
	struct copy_run *runs; /* copies in the output block being made */
	size_t nruns, capruns;
	unsigned char obuf[JOB_BUF];
};

/* A COPY's place in the output, in-place mode. */
struct copy_run {
	uint64_t off, len;
};

/*
 * In-place mode: of the ${n} bytes just made in obuf, write those that do
 * not come from a COPY (whose bytes are already in the file, at the same
 * offset) to the file, at their offsets.
 */
static int
write_literals(struct job_sink *js, size_t n, struct dupc_err *err)
{
	uint64_t at = js->out_done, end = js->out_done + n;
	size_t i = 0;

	while (at < end) {
		uint64_t stop = end;

		if (i < js->nruns && js->runs[i].off <= at) {
			at = js->runs[i].off + js->runs[i].len;
			i++;
			continue;
		}
		if (i < js->nruns && js->runs[i].off < stop)
			stop = js->runs[i].off;
		while (at < stop) {
			ssize_t w = pwrite(js->inplace_fd,
			    js->obuf + (at - js->out_done), (size_t)(stop - at),
			    (off_t)at);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return err_errno(err, E_GENERIC,
				    "%s: writing the patched file", js->what);
			at += (uint64_t)w;
		}
	}
	return 0;
}

/* Run the job over ${n} input bytes (eof when ${eof}), draining output. */
static int
job_pump(struct job_sink *js, const void *p, size_t n, int eof,
    struct dupc_err *err)
{
	rs_buffers_t b;
	rs_result r;

	b.next_in = (char *)(uintptr_t)p;
	b.avail_in = n;
	b.eof_in = eof;
	for (;;) {
		size_t in_before = b.avail_in, produced;

		b.next_out = (char *)js->obuf;
		b.avail_out = JOB_BUF;
		r = rs_job_iter(js->job, &b);
		if (r != RS_DONE && r != RS_BLOCKED)
			return err_set(err, E_GENERIC, "%s failed: %s",
			    js->what, rs_strerror(r));
		produced = JOB_BUF - b.avail_out;
		if (produced > 0 && js->plan != NULL) {
			/* scanning: the output is not wanted */
		} else if (produced > 0 && js->inplace_fd >= 0) {
			if (write_literals(js, produced, err) < 0)
				return -1;
		} else if (produced > 0) {
			if (js->out == NULL)
				return err_set(err, E_GENERIC,
				    "%s produced unexpected output", js->what);
			if (sink_write(js->out, js->obuf, produced, err) < 0)
				return -1;
		}
		js->out_done += produced;
		js->nruns = 0;
		if (r == RS_DONE) {
			js->done = 1;
			if (b.avail_in > 0)
				return err_set(err, E_GENERIC,
				    "%s: trailing data after the end",
				    js->what);
			return 0;
		}
		/* blocked for input: give it more (or report truncation) */
		if (b.avail_in == 0 && produced < JOB_BUF) {
			if (!eof)
				return 0;
			if (produced == 0 && in_before == 0)
				return err_set(err, E_GENERIC,
				    "%s: truncated input", js->what);
		}
		/* no progress at all would loop for ever */
		if (produced == 0 && b.avail_in == in_before && in_before > 0)
			return err_set(err, E_GENERIC, "%s: stalled", js->what);
	}
}

static int
job_write(struct sink *s, const void *p, size_t n, struct dupc_err *err)
{
	struct job_sink *js = (struct job_sink *)s;

	if (js->done)
		return n == 0
			   ? 0
			   : err_set(err, E_GENERIC,
				 "%s: trailing data after the end", js->what);
	js->in += n;
	if (js->sigp != NULL && js->in > js->max_in)
		return err_set(err, E_GENERIC,
		    "%s: more than %llu bytes, too large for the file",
		    js->what, (unsigned long long)js->max_in);
	return job_pump(js, p, n, 0, err);
}

static int
job_finish(struct sink *s, struct dupc_err *err)
{
	struct job_sink *js = (struct job_sink *)s;

	if (!js->done && job_pump(js, NULL, 0, 1, err) < 0)
		return -1;
	if (!js->done)
		return err_set(err, E_GENERIC, "%s: incomplete", js->what);
	if (js->plan != NULL) {
		js->plan->out_len = js->out_done;
		return 0;
	}
	if (js->inplace_fd >= 0) {
		if (ftruncate(js->inplace_fd, (off_t)js->out_done) < 0)
			return err_errno(err, E_GENERIC,
			    "%s: setting the patched file's length", js->what);
		return 0;
	}
	if (js->sigp != NULL) {
		rs_result r = rs_build_hash_table(js->loaded);

		if (r != RS_DONE)
			return err_set(err, E_GENERIC, "bad signature: %s",
			    rs_strerror(r));
		*js->sigp = calloc(1, sizeof(**js->sigp));
		if (*js->sigp == NULL)
			return err_set(err, E_GENERIC, "out of memory");
		(*js->sigp)->sig = js->loaded;
		js->loaded = NULL;
		return 0;
	}
	return js->out ? sink_finish(js->out, err) : 0;
}

static void
job_free(struct sink *s)
{
	struct job_sink *js = (struct job_sink *)s;

	if (js->job != NULL)
		rs_job_free(js->job);
	if (js->loaded != NULL)
		rs_free_sumset(js->loaded);
	free(js->copybuf);
	free(js->runs);
	free(js);
}

static const struct sink_ops job_ops = {
	.write = job_write,
	.finish = job_finish,
	.free = job_free,
};

static struct job_sink *
job_alloc(struct sink *out, const char *what, struct dupc_err *err)
{
	struct job_sink *js = calloc(1, sizeof(*js));

	if (js == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		return NULL;
	}
	js->base.ops = &job_ops;
	js->out = out;
	js->what = what;
	js->basis_fd = -1;
	js->inplace_fd = -1;
	return js;
}

struct sink *
delta_signature_sink_new(unsigned block_len, struct sink *out,
    struct dupc_err *err)
{
	struct job_sink *js = job_alloc(out, "rsync signature", err);

	if (js == NULL)
		return NULL;
	js->job = rs_sig_begin(block_len, 8, RS_MD4_SIG_MAGIC);
	if (js->job == NULL) {
		job_free(&js->base);
		err_set(err, E_GENERIC, "cannot start an rsync signature");
		return NULL;
	}
	return &js->base;
}

uint64_t
delta_sig_max(uint64_t size, unsigned max_block)
{
	unsigned block = max_block > 0 && max_block < 512 ? max_block : 512;
	uint64_t twice;

	if (size > UINT64_MAX / 4)
		return UINT64_MAX;
	twice = 2 * size + (64u << 20);
	return delta_sig_size(twice, block);
}

struct sink *
delta_sig_loader_new(struct delta_sig **sigp, uint64_t max,
    struct dupc_err *err)
{
	struct job_sink *js = job_alloc(NULL, "loading rsync signature", err);

	if (js == NULL)
		return NULL;
	js->sigp = sigp;
	js->max_in = max;
	js->job = rs_loadsig_begin(&js->loaded);
	if (js->job == NULL) {
		job_free(&js->base);
		err_set(err, E_GENERIC, "cannot load an rsync signature");
		return NULL;
	}
	return &js->base;
}

void
delta_sig_free(struct delta_sig *sig)
{
	if (sig == NULL)
		return;
	rs_free_sumset(sig->sig);
	free(sig);
}

struct sink *
delta_delta_sink_new(struct delta_sig *sig, struct sink *out,
    struct dupc_err *err)
{
	struct job_sink *js = job_alloc(out, "rsync delta", err);

	if (js == NULL)
		return NULL;
	js->job = rs_delta_begin(sig->sig);
	if (js->job == NULL) {
		job_free(&js->base);
		err_set(err, E_GENERIC, "cannot start an rsync delta");
		return NULL;
	}
	return &js->base;
}

/* rs_copy_cb over pread: the basis offset is never moved. */
static rs_result
copy_cb(void *opaque, rs_long_t pos, size_t *len, void **buf)
{
	struct job_sink *js = opaque;
	size_t want = *len, done = 0;

	if (pos < 0)
		return RS_IO_ERROR;
	/* librsync asks for at most the room left in the output block; a
	 * shorter answer is allowed, so the buffer never passes that even
	 * if a delta's COPY claims gigabytes */
	if (want > JOB_BUF)
		want = JOB_BUF;
	if (want > js->copycap) {
		unsigned char *p = realloc(js->copybuf, want);

		if (p == NULL)
			return RS_MEM_ERROR;
		js->copybuf = p;
		js->copycap = want;
	}
	while (done < want) {
		ssize_t r = pread(js->basis_fd, js->copybuf + done, want - done,
		    (off_t)pos + (off_t)done);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return RS_IO_ERROR;
		}
		if (r == 0)
			break;
		done += (size_t)r;
	}
	/* a copy past the end of the basis is a corrupt delta */
	if (done == 0 && want > 0)
		return RS_INPUT_ENDED;
	*len = done;
	*buf = js->copybuf;
	return RS_DONE;
}

/* The output offset a COPY's bytes go to: librsync hands the callback
 * its output position (everything before it is already in obuf). */
static uint64_t
copy_out_offset(const struct job_sink *js, void *const *buf)
{
	return js->out_done +
	       (uint64_t)((const unsigned char *)*buf - js->obuf);
}

/*
 * Scanning: every COPY must take its bytes from the offset it puts them
 * at, inside the basis.  Nothing is read: the bytes left in obuf are
 * never used.
 */
static rs_result
scan_copy_cb(void *opaque, rs_long_t pos, size_t *len, void **buf)
{
	struct job_sink *js = opaque;
	uint64_t at = copy_out_offset(js, buf);

	if (pos < 0 || (uint64_t)pos != at ||
	    (uint64_t)pos + *len > js->basis_len)
		js->plan->in_place = false;
	return RS_DONE;
}

/* In place: the COPY's bytes are in the file already; note where. */
static rs_result
inplace_copy_cb(void *opaque, rs_long_t pos, size_t *len, void **buf)
{
	struct job_sink *js = opaque;
	uint64_t at = copy_out_offset(js, buf);

	if (pos < 0 || (uint64_t)pos != at)
		return RS_CORRUPT; /* the scan said otherwise */
	if (js->nruns == js->capruns) {
		size_t cap = js->capruns ? js->capruns * 2 : 64;
		struct copy_run *r = realloc(js->runs, cap * sizeof(*r));

		if (r == NULL)
			return RS_MEM_ERROR;
		js->runs = r;
		js->capruns = cap;
	}
	if (js->nruns > 0 &&
	    js->runs[js->nruns - 1].off + js->runs[js->nruns - 1].len == at)
		js->runs[js->nruns - 1].len += *len;
	else
		js->runs[js->nruns++] = (struct copy_run){ at, *len };
	return RS_DONE;
}

struct sink *
delta_patch_scan_new(uint64_t basis_len, struct delta_plan *plan,
    struct dupc_err *err)
{
	struct job_sink *js = job_alloc(NULL, "rsync patch", err);

	if (js == NULL)
		return NULL;
	plan->in_place = true;
	plan->out_len = 0;
	js->plan = plan;
	js->basis_len = basis_len;
	js->job = rs_patch_begin(scan_copy_cb, js);
	if (js->job == NULL) {
		job_free(&js->base);
		err_set(err, E_GENERIC, "cannot start an rsync patch");
		return NULL;
	}
	return &js->base;
}

struct sink *
delta_patch_inplace_new(int fd, struct dupc_err *err)
{
	struct job_sink *js = job_alloc(NULL, "rsync patch", err);

	if (js == NULL)
		return NULL;
	js->inplace_fd = fd;
	js->job = rs_patch_begin(inplace_copy_cb, js);
	if (js->job == NULL) {
		job_free(&js->base);
		err_set(err, E_GENERIC, "cannot start an rsync patch");
		return NULL;
	}
	return &js->base;
}

struct sink *
delta_patch_sink_new(int basis_fd, struct sink *out, struct dupc_err *err)
{
	struct job_sink *js = job_alloc(out, "rsync patch", err);

	if (js == NULL)
		return NULL;
	js->basis_fd = basis_fd;
	js->job = rs_patch_begin(copy_cb, js);
	if (js->job == NULL) {
		job_free(&js->base);
		err_set(err, E_GENERIC, "cannot start an rsync patch");
		return NULL;
	}
	return &js->base;
}
