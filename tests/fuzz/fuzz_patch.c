/*
 * Fuzz target: deltas fed to librsync's patch through delta/rsync.h, as
 * restore applies every diff/ entry of an incremental; and, selected by an
 * option bit, signatures loaded for a backup's delta (a hostile target
 * supplies both).
 *
 * Input: one option byte.  Bit 0 clear (patch): two bytes give the basis
 * length (little-endian, cut to what is left), then the basis, then the
 * delta.  Bit 0 set (signature): the rest is a signature; when it loads,
 * a fixed text is diffed against it.  Bits 1-2 choose how the stream is
 * cut into writes (whole, 4096, 7 or 1 bytes), so every parser state is
 * resumed mid-input.
 *
 * Properties: a malformed input fails cleanly (no crash, leak or hang);
 * what a patch writes stays within what its commands can copy.
 */
#define _GNU_SOURCE
#include "fuzz.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "delta/rsync.h"
#include "util/err.h"
#include "util/log.h"
#include "util/stream.h"

#define OUT_CAP (64u << 20)

static int basis_fd = -1;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_verbosity(-1);
	delta_init();
	basis_fd = memfd_create("basis", MFD_CLOEXEC);
	if (basis_fd < 0)
		abort();
	return 0;
}

/* Counts what is written; refuses more than OUT_CAP. */
struct count_sink {
	struct sink base;
	uint64_t n;
};

static int
count_write(struct sink *s, const void *p, size_t n, struct dupc_err *err)
{
	struct count_sink *c = (struct count_sink *)s;

	(void)p;
	c->n += n;
	if (c->n > OUT_CAP)
		return err_set(err, E_GENERIC, "output over the cap");
	return 0;
}

static const struct sink_ops count_ops = { count_write, NULL, NULL };

static int
feed(struct sink *s, const uint8_t *p, size_t n, size_t step,
    struct dupc_err *err)
{
	while (n > 0) {
		size_t k = n < step ? n : step;

		if (sink_write(s, p, k, err) < 0)
			return -1;
		p += k;
		n -= k;
	}
	return sink_finish(s, err);
}

static void
patch(const uint8_t *data, size_t size, size_t step)
{
	struct count_sink out = { { &count_ops }, 0 };
	struct dupc_err err;
	struct sink *ps;
	size_t blen;

	if (size < 2)
		return;
	blen = (size_t)data[0] | (size_t)data[1] << 8;
	data += 2;
	size -= 2;
	if (blen > size)
		blen = size;
	if (ftruncate(basis_fd, 0) < 0 ||
	    pwrite(basis_fd, data, blen, 0) != (ssize_t)blen)
		abort();
	err_clear(&err);
	ps = delta_patch_sink_new(basis_fd, &out.base, &err);
	if (ps == NULL)
		return;
	(void)feed(ps, data + blen, size - blen, step, &err);
	sink_free(ps);
}

static void
signature(const uint8_t *data, size_t size, size_t step)
{
	static const char text[] = "a new version of the file, diffed "
				   "against the loaded signature\n";
	struct count_sink out = { { &count_ops }, 0 };
	struct delta_sig *sig = NULL;
	struct dupc_err err;
	struct sink *s;

	err_clear(&err);
	s = delta_sig_loader_new(&sig, delta_sig_max(sizeof(text), 0), &err);
	if (s == NULL)
		return;
	if (feed(s, data, size, step, &err) < 0)
		FUZZ_ASSERT(sig == NULL);
	sink_free(s);
	if (sig == NULL)
		return;
	s = delta_delta_sink_new(sig, &out.base, &err);
	if (s != NULL) {
		(void)feed(s, (const uint8_t *)text, sizeof(text) - 1, step,
		    &err);
		sink_free(s);
	}
	delta_sig_free(sig);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t steps[] = { SIZE_MAX, 4096, 7, 1 };
	unsigned opt = fuzz_take(&data, &size);
	size_t step = steps[(opt >> 1) & 3];

	if (opt & 1)
		signature(data, size, step);
	else
		patch(data, size, step);
	return 0;
}
