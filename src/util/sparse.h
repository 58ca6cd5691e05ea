#ifndef DUPC_UTIL_SPARSE_H
#define DUPC_UTIL_SPARSE_H

/*
 * Sparse files, both ways, without changing a single byte of content.
 *
 * A sparse reader returns exactly the bytes read(2) would return from the
 * start of a file, but takes the file's holes (lseek SEEK_DATA/SEEK_HOLE)
 * as zeros instead of reading them, so a mostly empty 5 GiB file costs no
 * page-cache pages for its holes.  Where the file system has no hole
 * information, or the file has as many blocks as bytes, it simply reads.
 *
 * A sparse writer fills a new, empty file: every all-zero block at a
 * block-aligned offset is skipped (a hole where the file system allows it,
 * zeros everywhere else), and sparse_writer_finish() sets the length when
 * the file ends in a hole.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SPARSE_BLOCK 4096

struct sparse_reader {
	int fd;            /* borrowed */
	uint64_t pos;      /* offset of the next byte returned */
	uint64_t data_end; /* [pos, data_end) is data: read it */
	uint64_t hole_end; /* [pos, hole_end) is a hole: zeros */
	bool plain;        /* no hole information: read(2) only */
};

/*
 * sparse_reader_init(r, fd):
 * Read ${fd} (borrowed, a regular file) from offset 0.  Never fails: when
 * the file cannot be a sparse one, the reader only reads.
 */
void sparse_reader_init(struct sparse_reader *, int);

/*
 * sparse_read(r, buf, cap):
 * Up to ${cap} bytes of the file into ${buf}, as read(2): the count, 0 at
 * the end of the file, -1 with errno (EINTR is retried).
 */
ssize_t sparse_read(struct sparse_reader *, void *, size_t);

struct sparse_writer {
	int fd;           /* borrowed */
	uint64_t pos;     /* logical length written so far */
	uint64_t written; /* end of the last block really written */
};

/*
 * sparse_writer_init(w, fd):
 * Write a new file through ${fd} (borrowed, empty, opened for writing)
 * from offset 0.  The fd's own offset is not used.
 */
void sparse_writer_init(struct sparse_writer *, int);

/* sparse_write(w, p, n): append ${n} bytes; 0, or -1 with errno. */
int sparse_write(struct sparse_writer *, const void *, size_t);

/*
 * sparse_writer_finish(w):
 * Give the file its full length when it ends in a hole; 0, or -1 with
 * errno.  More writes may follow (the length is set again at the end).
 */
int sparse_writer_finish(struct sparse_writer *);

/* sparse_is_zero(p, n): all ${n} bytes at ${p} are zero. */
bool sparse_is_zero(const void *, size_t);

#endif
