/*
 * Fuzz target: the size a librsync signature tells of its file
 * (delta_sig_file_size), which dupc mount shows for a file not yet read;
 * a hostile target supplies the signature files.
 *
 * Input: one option byte.  Bit 0 clear: the rest is a signature, its
 * length the signature's length.  Bit 0 set: the next four bytes give a
 * file length (little-endian, cut to 1 MiB) and the option's other bits
 * a block length (512 << (bits 1-2)); a real signature of that many
 * bytes of the rest (repeated) is made and read back.
 *
 * Properties: an accepted signature gives lo <= hi, within one block,
 * both 0 exactly when it has no block, and its length is a header and
 * whole blocks; a real signature is always accepted and bounds its
 * file's length.
 */
#include "fuzz.h"

#include <stdbool.h>
#include <string.h>

#include "delta/rsync.h"
#include "util/err.h"
#include "util/log.h"
#include "util/stream.h"

#define FILE_MAX (1u << 20)

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_verbosity(-1);
	delta_init();
	return 0;
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void
check_any(const uint8_t *data, size_t size)
{
	uint64_t lo = 0, hi = 0;

	if (delta_sig_file_size(data, size, size, &lo, &hi) < 0)
		return;
	FUZZ_ASSERT(size >= 12);
	FUZZ_ASSERT(lo <= hi);
	FUZZ_ASSERT((hi == 0) == (size == 12));
	FUZZ_ASSERT(hi - lo < be32(data + 4));
	FUZZ_ASSERT((size - 12) % (4 + be32(data + 8)) == 0);
}

/* A sink keeping what is written, up to a fixed cap. */
struct keep_sink {
	struct sink base;
	uint8_t *buf;
	size_t len, cap;
};

static int
keep_write(struct sink *s, const void *p, size_t n, struct dupc_err *err)
{
	struct keep_sink *k = (struct keep_sink *)s;

	if (n > k->cap - k->len)
		return err_set(err, E_GENERIC, "signature over the cap");
	memcpy(k->buf + k->len, p, n);
	k->len += n;
	return 0;
}

static const struct sink_ops keep_ops = { keep_write, NULL, NULL };

static void
check_real(unsigned opt, const uint8_t *data, size_t size)
{
	static uint8_t file[FILE_MAX];
	static uint8_t sigbuf[12 + (FILE_MAX / 512 + 1) * 12];
	struct keep_sink k = { { &keep_ops }, sigbuf, 0, sizeof(sigbuf) };
	unsigned block = 512u << ((opt >> 1) & 3);
	struct dupc_err err;
	struct sink *s;
	uint64_t len, lo, hi, i;

	if (size < 4)
		return;
	len = (data[0] | (uint64_t)data[1] << 8 | (uint64_t)data[2] << 16 |
		  (uint64_t)data[3] << 24) %
	      (FILE_MAX + 1);
	data += 4;
	size -= 4;
	for (i = 0; i < len; i++)
		file[i] = size ? data[i % size] : 0;
	err_clear(&err);
	s = delta_signature_sink_new(block, &k.base, &err);
	FUZZ_ASSERT(s != NULL);
	FUZZ_ASSERT(sink_write(s, file, len, &err) == 0);
	FUZZ_ASSERT(sink_finish(s, &err) == 0);
	sink_free(s);
	FUZZ_ASSERT(delta_sig_file_size(k.buf, k.len, k.len, &lo, &hi) == 0);
	FUZZ_ASSERT(lo <= len && len <= hi);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned opt = fuzz_take(&data, &size);

	if (opt & 1)
		check_real(opt, data, size);
	else
		check_any(data, size);
	return 0;
}
