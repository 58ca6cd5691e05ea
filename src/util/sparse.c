/*
 * Sparse reads and writes (see sparse.h).  The reader asks the file system
 * where the data is only when the file has fewer blocks than bytes, so an
 * ordinary file costs one extra fstat.  The writer decides block by block,
 * on block-aligned file offsets, so the holes it leaves are real ones.
 */
#define _GNU_SOURCE
#include "util/sparse.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const unsigned char zeros[SPARSE_BLOCK];

bool
sparse_is_zero(const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n > 0) {
		size_t k = n < sizeof(zeros) ? n : sizeof(zeros);

		if (memcmp(c, zeros, k) != 0)
			return false;
		c += k;
		n -= k;
	}
	return true;
}

void
sparse_reader_init(struct sparse_reader *r, int fd)
{
	struct stat st;

	memset(r, 0, sizeof(*r));
	r->fd = fd;
	/* a file with a block for every byte has no hole worth seeking */
	r->plain = fstat(fd, &st) < 0 || st.st_size <= 0 ||
		   (uint64_t)st.st_blocks * 512 >= (uint64_t)st.st_size;
}

/* Find out what is at r->pos: a hole (hole_end), data (data_end), or
 * nothing known (the end of the file, or no hole information). */
static void
probe(struct sparse_reader *r)
{
	struct stat st;
	off_t d, h;

	d = lseek(r->fd, (off_t)r->pos, SEEK_DATA);
	if (d < 0) {
		if (errno != ENXIO) {
			r->plain = true;
			return;
		}
		/* no data from here on: a hole up to the end of the file */
		if (fstat(r->fd, &st) == 0 && (uint64_t)st.st_size > r->pos)
			r->hole_end = (uint64_t)st.st_size;
		return;
	}
	if ((uint64_t)d > r->pos) {
		r->hole_end = (uint64_t)d;
		return;
	}
	h = lseek(r->fd, (off_t)r->pos, SEEK_HOLE);
	if (h < 0)
		r->plain = true;
	else
		r->data_end = (uint64_t)h;
}

ssize_t
sparse_read(struct sparse_reader *r, void *buf, size_t cap)
{
	size_t want = cap;
	ssize_t got;

	if (cap == 0)
		return 0;
	if (!r->plain && r->pos >= r->data_end && r->pos >= r->hole_end)
		probe(r);
	if (r->pos < r->hole_end) {
		if ((uint64_t)want > r->hole_end - r->pos)
			want = (size_t)(r->hole_end - r->pos);
		memset(buf, 0, want);
		r->pos += want;
		return (ssize_t)want;
	}
	/* stop at the end of the data, not to read into the next hole */
	if (r->pos < r->data_end && (uint64_t)want > r->data_end - r->pos)
		want = (size_t)(r->data_end - r->pos);
	do
		got = pread(r->fd, buf, want, (off_t)r->pos);
	while (got < 0 && errno == EINTR);
	if (got > 0)
		r->pos += (uint64_t)got;
	return got;
}

void
sparse_writer_init(struct sparse_writer *w, int fd)
{
	memset(w, 0, sizeof(*w));
	w->fd = fd;
}

static int
pwrite_full(int fd, const unsigned char *p, size_t n, uint64_t off)
{
	while (n > 0) {
		ssize_t k = pwrite(fd, p, n, (off_t)off);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += k;
		n -= (size_t)k;
		off += (uint64_t)k;
	}
	return 0;
}

/* The length of the leading run of ${p} that is all zero or has data in
 * every block, cut at block boundaries of the file offset ${pos}. */
static size_t
same_run(const unsigned char *p, size_t n, uint64_t pos, bool *zero)
{
	size_t run = SPARSE_BLOCK - (size_t)(pos % SPARSE_BLOCK);

	if (run > n)
		run = n;
	*zero = sparse_is_zero(p, run);
	while (run < n) {
		size_t k = n - run < SPARSE_BLOCK ? n - run : SPARSE_BLOCK;

		if (sparse_is_zero(p + run, k) != *zero)
			break;
		run += k;
	}
	return run;
}

int
sparse_write(struct sparse_writer *w, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n > 0) {
		bool zero;
		size_t run = same_run(c, n, w->pos, &zero);

		/* the file is new: what is not written reads as zeros */
		if (!zero && pwrite_full(w->fd, c, run, w->pos) < 0)
			return -1;
		w->pos += run;
		if (!zero)
			w->written = w->pos;
		c += run;
		n -= run;
	}
	return 0;
}

int
sparse_writer_finish(struct sparse_writer *w)
{
	if (w->pos > w->written) {
		if (ftruncate(w->fd, (off_t)w->pos) < 0)
			return -1;
		w->written = w->pos;
	}
	return 0;
}
