#ifndef DUPC_CODEC_PDEFLATE_H
#define DUPC_CODEC_PDEFLATE_H

/*
 * Parallel DEFLATE, in the manner of pigz: the input is cut into 256 KiB
 * blocks compressed by worker threads with libdeflate (about twice zlib's
 * speed at the same level and ratio) and emitted in order, either as gzip
 * members or as pieces of one raw DEFLATE stream.  No dictionary crosses
 * blocks: the loss is a few hundred bytes per block.  Blocks that do not
 * compress (random data: photos, videos, encrypted files) are stored instead,
 * found by a byte histogram of each 32 KiB piece, so they cost a copy rather
 * than a full deflate search.  Used by the gzip sink and by the OpenPGP
 * compressed-packet sink.
 *
 * Threads: the caller's thread writes and receives output (the next sink
 * is only ever called from it); workers only compress.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dupc_err;
struct pdeflate;
struct sink;

/*
 * pdeflate_new(level, out, err):
 * A compressor at ${level} (0-9, zlib's scale) writing one raw DEFLATE
 * stream to ${out} (borrowed).  Uses one worker per online CPU (none on
 * one CPU).
 */
struct pdeflate *pdeflate_new(int, struct sink *, struct dupc_err *);

/*
 * pdeflate_new_mode(level, out, members, err):
 * With ${members}, the output is a series of complete gzip members (header
 * and trailer included); without, the same as pdeflate_new.  A raw DEFLATE
 * stream (the OpenPGP packet) cannot be made of members, so only gzip uses
 * them.
 */
struct pdeflate *pdeflate_new_mode(int, struct sink *, bool, struct dupc_err *);

/* pdeflate_write(p, data, n, err) */
int pdeflate_write(struct pdeflate *, const void *, size_t, struct dupc_err *);

/* pdeflate_finish(p, err): the last block (BFINAL); ${out} not finished. */
int pdeflate_finish(struct pdeflate *, struct dupc_err *);

/*
 * pdeflate_pending(p):
 * An upper bound of the compressed size of the input not yet written out
 * (the input itself).  The volume writer adds it to what was written, and
 * flushes (pdeflate_sync) for the exact size only when the bound says the
 * volume may be full.
 */
uint64_t pdeflate_pending(const struct pdeflate *);

/*
 * pdeflate_sync(p, err):
 * Compress and write out everything given so far (a sync flush), so the
 * output size is exact; the stream goes on afterwards.
 */
int pdeflate_sync(struct pdeflate *, struct dupc_err *);

/* pdeflate_free(p): stops the workers; safe at any point. */
void pdeflate_free(struct pdeflate *);

#endif
