#ifndef DUPC_CODEC_TEE_H
#define DUPC_CODEC_TEE_H

/*
 * A pass-through sink that counts and hashes what flows to the next stage:
 * the volume writer learns the stored size (for --volsize cuts) and the
 * SHA-1 the manifest records without reading the volume again.
 */

#include <stdint.h>

#include "util/digest.h"

struct dupc_err;
struct sink;

/* tee_sink_new(next, kind, err): ${next} borrowed; kind of digest. */
struct sink *tee_sink_new(struct sink *, enum digest_kind, struct dupc_err *);

/* tee_bytes(s): bytes passed so far. */
uint64_t tee_bytes(const struct sink *);

/* tee_hex(s, hex): the digest of everything passed (call after finish). */
void tee_hex(struct sink *, char *);

#endif
