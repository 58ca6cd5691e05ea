#ifndef DUPC_UTIL_STREAM_H
#define DUPC_UTIL_STREAM_H

/*
 * Byte streams, after redis's rio: a sink is something bytes are written to
 * (a file, a gzip encoder, a hashing tee), a source is something they are
 * read from (a file, a gzip decoder, a download).  Filters hold a borrowed
 * pointer to the next stage, so a pipeline is built front to back and freed
 * in any order.  Every stage works on caller-sized blocks: no stage ever
 * holds a whole file or volume.
 */

#include <stddef.h>
#include <stdint.h>

struct dupc_err;
struct sink;
struct source;

struct sink_ops {
	/* Write all ${len} bytes or fail. */
	int (*write)(struct sink *, const void *, size_t, struct dupc_err *);
	/* End of data: write trailers and finish the next stage too.
	 * May be NULL (nothing to finish). */
	int (*finish)(struct sink *, struct dupc_err *);
	/* Release this stage only (never the next one).  May be NULL. */
	void (*free)(struct sink *);
};

struct sink {
	const struct sink_ops *ops;
};

struct source_ops {
	/* Read up to ${cap} bytes; *got == 0 means end of stream. */
	int (*read)(struct source *, void *, size_t, size_t *,
	    struct dupc_err *);
	/* Start again from the first byte (NULL: not rewindable). */
	int (*rewind)(struct source *, struct dupc_err *);
	/* Release this stage only.  May be NULL. */
	void (*free)(struct source *);
	/*
	 * Read up to ${cap} bytes at offset ${off} from the first byte of
	 * the stream, without moving the position read() uses; *got == 0
	 * past the end.  May run in several threads at once (a multipart
	 * upload reads its parts so).  Wrappers that count what is read
	 * (progress) count these bytes too.  NULL: not supported.
	 */
	int (*pread)(struct source *, void *, size_t, uint64_t, size_t *,
	    struct dupc_err *);
};

struct source {
	const struct source_ops *ops;
};

static inline int
sink_write(struct sink *s, const void *p, size_t n, struct dupc_err *err)
{
	return s->ops->write(s, p, n, err);
}

static inline int
sink_finish(struct sink *s, struct dupc_err *err)
{
	return s->ops->finish ? s->ops->finish(s, err) : 0;
}

static inline void
sink_free(struct sink *s)
{
	if (s != NULL && s->ops->free != NULL)
		s->ops->free(s);
}

static inline int
source_read(struct source *s, void *p, size_t cap, size_t *got,
    struct dupc_err *err)
{
	return s->ops->read(s, p, cap, got, err);
}

static inline void
source_free(struct source *s)
{
	if (s != NULL && s->ops->free != NULL)
		s->ops->free(s);
}

/* source_rewind(s, err): -1 with an error when ${s} cannot rewind. */
int source_rewind(struct source *, struct dupc_err *);

/* source_can_pread(s): true when ${s} reads at any offset (pread). */
static inline int
source_can_pread(const struct source *s)
{
	return s->ops->pread != NULL;
}

/*
 * source_pread(s, p, cap, off, got, err):
 * Read up to ${cap} bytes at ${off} (see source_ops.pread); -1 with an
 * error when ${s} cannot.
 */
int source_pread(struct source *, void *, size_t, uint64_t, size_t *,
    struct dupc_err *);

/*
 * source_read_full(s, p, cap, got, err):
 * Read until ${cap} bytes or end of stream (a short count means the end).
 */
int source_read_full(struct source *, void *, size_t, size_t *,
    struct dupc_err *);

/*
 * source_copy(src, dst, err):
 * Pump ${src} into ${dst} until end of stream (does not finish ${dst}).
 * Sets *copied (may be NULL) to the byte count.
 */
int source_copy(struct source *, struct sink *, uint64_t *, struct dupc_err *);

/*
 * fd_sink_new(fd, what):
 * A sink writing to ${fd} (borrowed, not closed).  ${what} names the
 * destination in errors (copied).  Returns NULL on ENOMEM.
 */
struct sink *fd_sink_new(int, const char *);

/*
 * fd_source_new(fd, what):
 * A source reading ${fd} (borrowed) from its current offset; rewind seeks
 * to the offset it had at creation.
 */
struct source *fd_source_new(int, const char *);

/*
 * mem_source_new(p, len):
 * A rewindable source over ${len} bytes at ${p} (borrowed).
 */
struct source *mem_source_new(const void *, size_t);

/*
 * limit_source_new(inner, limit):
 * A source yielding at most ${limit} bytes of ${inner} (borrowed).
 */
struct source *limit_source_new(struct source *, uint64_t);

/*
 * range_source_new(inner, off, len):
 * A rewindable source over the ${len} bytes of ${inner} (borrowed; it must
 * support pread) from offset ${off}: each range reads independently of
 * the others and of ${inner}'s own position, so several ranges may be
 * read by several threads at once.  A range past the end of ${inner} is
 * short.  Returns NULL on ENOMEM.
 */
struct source *range_source_new(struct source *, uint64_t, uint64_t);

/*
 * null_sink_new(): a sink that drops everything.
 */
struct sink *null_sink_new(void);

/* write_full(fd, p, n): write all bytes (EINTR-safe); 0 or -1/errno. */
int write_full(int, const void *, size_t);

/* read_full(fd, p, n, got): read until ${n} bytes or EOF. */
int read_full(int, void *, size_t, size_t *);

#endif
