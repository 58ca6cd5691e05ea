#ifndef DUPC_CODEC_PGP_H
#define DUPC_CODEC_PGP_H

/*
 * The inside of an OpenPGP message, made by dupc so that compression runs
 * on every CPU: a Compressed Data packet (ZIP, i.e. raw DEFLATE, from
 * pdeflate) holding one binary Literal Data packet with partial body
 * lengths (RFC 4880 sections 5.6, 5.9, 4.2.2.4).  gpg, in gpgme's wrap
 * mode, then only encrypts these packets; what a reader decrypts is the
 * same packet structure gpg itself writes.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dupc_err;
struct sink;

/*
 * pgp_literal_sink_new(next, level, err):
 * Bytes written become the literal data; the packets go to ${next}
 * (borrowed), which sink_finish also finishes.
 */
struct sink *pgp_literal_sink_new(struct sink *, int, struct dupc_err *);

/*
 * New-format packet lengths (RFC 4880 4.2.2), shared by the packets dupc
 * writes and reads (pgp_seal.c, pgp_open.c):
 * pgp_length_put(out, n) writes the definite length ${n} (under 2^32)
 * into ${out} and returns its size (1, 2 or 5); pgp_length_size(first)
 * is the size of a length whose first byte is ${first}; pgp_length_get(b,
 * partial) decodes a whole one, setting ${*partial} for a partial body
 * length (a power of two, more chunks follow).
 */
size_t pgp_length_put(unsigned char *, size_t);
size_t pgp_length_size(unsigned char);
uint64_t pgp_length_get(const unsigned char *, bool *);

/* pgp_literal_sink_pending / _sync: as gzip_sink_pending / _sync. */
uint64_t pgp_literal_sink_pending(const struct sink *);
int pgp_literal_sink_sync(struct sink *, struct dupc_err *);

#endif
