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
 * what a patch writes stays within what its commands can copy; a delta
 * the scan finds in place, applied in place to the basis, gives exactly
 * what the patch into a copy gave.
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

static int basis_fd = -1, inplace_fd = -1, out_fd = -1;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_verbosity(-1);
	delta_init();
	basis_fd = memfd_create("basis", MFD_CLOEXEC);
	inplace_fd = memfd_create("inplace", MFD_CLOEXEC);
	out_fd = memfd_create("out", MFD_CLOEXEC);
	if (basis_fd < 0 || inplace_fd < 0 || out_fd < 0)
		abort();
	return 0;
}

/* Counts what is written (and keeps it on fd, if >= 0); refuses more
 * than OUT_CAP. */
struct count_sink {
	struct sink base;
	uint64_t n;
	int fd;
};

static int
count_write(struct sink *s, const void *p, size_t n, struct dupc_err *err)
{
	struct count_sink *c = (struct count_sink *)s;

	if (c->n + n > OUT_CAP)
		return err_set(err, E_GENERIC, "output over the cap");
	if (c->fd >= 0 && n > 0 &&
	    pwrite(c->fd, p, n, (off_t)c->n) != (ssize_t)n)
		abort();
	c->n += n;
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

/* Both files hold the same ${n} bytes. */
static void
same_files(int a, int b, uint64_t n)
{
	uint8_t x[4096], y[4096];
	uint64_t off;

	FUZZ_ASSERT((uint64_t)lseek(b, 0, SEEK_END) == n);
	for (off = 0; off < n; off += sizeof(x)) {
		size_t k = n - off < sizeof(x) ? (size_t)(n - off) : sizeof(x);

		if (pread(a, x, k, (off_t)off) != (ssize_t)k ||
		    pread(b, y, k, (off_t)off) != (ssize_t)k)
			abort();
		FUZZ_ASSERT(memcmp(x, y, k) == 0);
	}
}

/*
 * The scan, and the patch in place when it says so: a delta the patch
 * refused must not pass the scan, and the result must be the patch's.
 */
static void
inplace(const uint8_t *basis, size_t blen, const uint8_t *d, size_t dn,
    size_t step, bool patched, uint64_t outlen)
{
	struct delta_plan plan;
	struct dupc_err err;
	struct sink *s;
	int rc;

	err_clear(&err);
	if ((s = delta_patch_scan_new(blen, &plan, &err)) == NULL)
		return;
	rc = feed(s, d, dn, step, &err);
	sink_free(s);
	if (rc < 0 || !plan.in_place || !patched)
		return;
	FUZZ_ASSERT(plan.out_len == outlen);
	if (ftruncate(inplace_fd, 0) < 0 ||
	    pwrite(inplace_fd, basis, blen, 0) != (ssize_t)blen)
		abort();
	if ((s = delta_patch_inplace_new(inplace_fd, &err)) == NULL)
		return;
	rc = feed(s, d, dn, step, &err);
	sink_free(s);
	FUZZ_ASSERT(rc == 0);
	same_files(out_fd, inplace_fd, outlen);
}

static void
patch(const uint8_t *data, size_t size, size_t step)
{
	struct count_sink out = { { &count_ops }, 0, -1 };
	struct dupc_err err;
	struct sink *ps;
	size_t blen;
	int rc;

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
	if (ftruncate(out_fd, 0) < 0)
		abort();
	out.fd = out_fd;
	err_clear(&err);
	ps = delta_patch_sink_new(basis_fd, &out.base, &err);
	if (ps == NULL)
		return;
	rc = feed(ps, data + blen, size - blen, step, &err);
	sink_free(ps);
	inplace(data, blen, data + blen, size - blen, step, rc == 0, out.n);
}

static void
signature(const uint8_t *data, size_t size, size_t step)
{
	static const char text[] = "a new version of the file, diffed "
				   "against the loaded signature\n";
	struct count_sink out = { { &count_ops }, 0, -1 };
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
