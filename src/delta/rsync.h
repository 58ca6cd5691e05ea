#ifndef DUPC_DELTA_RSYNC_H
#define DUPC_DELTA_RSYNC_H

/*
 * librsync jobs as stream stages (the only place that includes
 * librsync.h).  A job is a sink: bytes written to it are its input, and its
 * output goes to the next sink (finished by sink_finish, as every filter
 * finishes the stage after it).  One driver pumps every kind of job, as
 * librsync's own rs_whole_run does, with fixed-size buffers.
 *
 * Parameters are duplicity's (duplicity-format.md 5.2): MD4 strong sums
 * truncated to 8 bytes, block length from the file size.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dupc_err;
struct sink;
struct delta_sig;

/* delta_block_len(size, max): duplicity's get_block_size rule. */
unsigned delta_block_len(uint64_t, unsigned);

/* delta_sig_size(size, block_len): the byte length of a signature of a
 * ${size}-byte file (12-byte header + 12 bytes per block). */
uint64_t delta_sig_size(uint64_t, unsigned);

/*
 * delta_sig_file_size(hdr, n, siglen, lo, hi):
 * What a signature says of the size of the file it was made from: its
 * first ${n} bytes at ${hdr} (the 12-byte header is enough) and its
 * whole length ${siglen} give the block count, so the size lies in
 * [*${lo}, *${hi}]: from (blocks - 1) x block length + 1 to blocks x
 * block length, and 0 for a signature of no block.  Returns 0, or -1
 * when ${hdr} is not a librsync signature header or ${siglen} does not
 * fit it (nothing is written then).
 */
int delta_sig_file_size(const void *, size_t, uint64_t, uint64_t *, uint64_t *);

/*
 * delta_signature_sink_new(block_len, out, err):
 * A sink computing the signature of what is written, into ${out}.
 */
struct sink *delta_signature_sink_new(unsigned, struct sink *,
    struct dupc_err *);

/*
 * delta_sig_max(size, max_block):
 * The largest old signature worth loading to diff a ${size}-byte file:
 * that of a file twice as big plus 64 MiB, at the smallest block length
 * dupc or duplicity would use (512, or a smaller --max-blocksize
 * ${max_block}).  A loaded signature takes about four times its size in
 * memory; a bigger one comes from a hostile target (or a file that shrank
 * by far, which is then better stored whole).
 */
uint64_t delta_sig_max(uint64_t, unsigned);

/*
 * delta_sig_loader_new(sigp, max, err):
 * A sink that loads a signature written to it; after sink_finish,
 * *${sigp} holds it (hash table built), owned by the caller.  More than
 * ${max} bytes fail the write (E_GENERIC), before they are held.
 */
struct sink *delta_sig_loader_new(struct delta_sig **, uint64_t,
    struct dupc_err *);

/* delta_sig_free(sig): release a loaded signature; NULL is fine. */
void delta_sig_free(struct delta_sig *);

/*
 * delta_delta_sink_new(sig, out, err):
 * A sink computing the delta of what is written (the new file) against
 * ${sig} (borrowed), into ${out}.
 */
struct sink *delta_delta_sink_new(struct delta_sig *, struct sink *,
    struct dupc_err *);

/*
 * delta_patch_sink_new(basis_fd, out, err):
 * A sink applying the delta written to it to the file open on ${basis_fd}
 * (borrowed; read with pread, so its offset is untouched), the result
 * going to ${out}.  Malformed deltas fail cleanly.
 */
struct sink *delta_patch_sink_new(int, struct sink *, struct dupc_err *);

/*
 * Patching in place.  A delta whose every COPY takes its bytes from the
 * very offset it puts them at (a file appended to, or overwritten in
 * place, as logs and databases are) can be applied by writing only its
 * literal bytes into the file itself: no copy of the file is made.  The
 * delta is scanned first (the caller keeps it, to apply it either way).
 */
struct delta_plan {
	bool in_place;    /* every COPY is in place, inside the basis */
	uint64_t out_len; /* the patched file's length */
};

/*
 * delta_patch_scan_new(basis_len, plan, err):
 * A sink reading a delta to a basis of ${basis_len} bytes without
 * applying it; sink_finish fills ${plan}.  A malformed delta fails as
 * delta_patch_sink_new's would.
 */
struct sink *delta_patch_scan_new(uint64_t, struct delta_plan *,
    struct dupc_err *);

/*
 * delta_patch_inplace_new(fd, err):
 * A sink applying a delta that delta_patch_scan_new found in place to the
 * file on ${fd} (borrowed), by pwrite of its literal bytes; sink_finish
 * gives the file its new length.
 */
struct sink *delta_patch_inplace_new(int, struct dupc_err *);

/* delta_init(): route librsync's messages to the debug log. */
void delta_init(void);

#endif
