#ifndef DUPC_FORMAT_TAR_H
#define DUPC_FORMAT_TAR_H

/*
 * Tar streams as duplicity writes and reads them, through libarchive (the
 * only place that includes it).  The writer produces POSIX pax with plain
 * ustar headers and extended records only when needed, as Python's tarfile
 * does; non-UTF-8 names get hdrcharset=BINARY.  The reader accepts what any
 * duplicity wrote: pax, GNU long names, base-256 numbers, streams ending
 * with or without end-of-archive blocks.
 *
 * Both work on streams (util/stream.h) and never hold more than one block.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dupc_err;
struct obj_meta;
struct sink;
struct source;
struct tar_reader;
struct tar_writer;

#define TAR_NAME_MAX 65536 /* longest entry name accepted or written */

/* tar_init_locale(): make libarchive pass UTF-8 names through unchanged
 * and mark other bytes as binary (call once at start-up). */
void tar_init_locale(void);

/* tarw_new(out, err): a writer into ${out} (borrowed). */
struct tar_writer *tarw_new(struct sink *, struct dupc_err *);

/*
 * tarw_header(tw, name, meta, size, err):
 * Start an entry called ${name} (the full entry name, e.g.
 * "snapshot/dir/"), typed and stamped from ${meta}; a meta of type OBJ_NONE
 * writes a duplicity "deleted" entry (regular, mode 0, no owner names).
 * ${size} bytes of data must follow for regular entries.
 */
int tarw_header(struct tar_writer *, const char *, const struct obj_meta *,
    uint64_t, struct dupc_err *);

/* tarw_data(tw, p, n, err): entry data. */
int tarw_data(struct tar_writer *, const void *, size_t, struct dupc_err *);

/*
 * tarw_end_entry(tw, err): complete the current entry (its padding), so
 * the stream ends cleanly here if nothing more is ever written.
 */
int tarw_end_entry(struct tar_writer *, struct dupc_err *);

/* tarw_finish(tw, err): write the end-of-archive blocks and flush. */
int tarw_finish(struct tar_writer *, struct dupc_err *);

/* tarw_bytes(tw): tar bytes produced so far. */
uint64_t tarw_bytes(const struct tar_writer *);

/* tarw_free(tw): release (NULL is fine). */
void tarw_free(struct tar_writer *);

struct tar_entry {
	const char *name; /* borrowed until the next tarr_next */
	uint64_t size;    /* data bytes that follow */
	bool hardlink;    /* a hard-link entry (duplicity rejects these) */
};

/*
 * tarr_new(in, what, err):
 * A reader over ${in} (borrowed); ${what} names the stream in errors.
 */
struct tar_reader *tarr_new(struct source *, const char *, struct dupc_err *);

/*
 * tarr_next(tr, e, meta, err):
 * Advance to the next entry (skipping unread data of the current one).
 * Returns 1 with ${e} and ${meta} (released and refilled) set, 0 at the
 * end of the archive, -1 on error.
 */
int tarr_next(struct tar_reader *, struct tar_entry *, struct obj_meta *,
    struct dupc_err *);

/* tarr_read(tr, p, cap, got, err): the current entry's data; *got 0 at end. */
int tarr_read(struct tar_reader *, void *, size_t, size_t *, struct dupc_err *);

/* tarr_free(tr): release (NULL is fine). */
void tarr_free(struct tar_reader *);

#endif
