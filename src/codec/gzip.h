#ifndef DUPC_CODEC_GZIP_H
#define DUPC_CODEC_GZIP_H

/*
 * gzip streams as duplicity writes them (Python GzipFile, level 6, no file
 * name) and reads them (any valid gzip, several members included).
 */

#include <stdint.h>

struct dupc_err;
struct sink;
struct source;

/*
 * gzip_sink_new(next, level, err):
 * A sink that compresses into ${next} (borrowed).  sink_finish writes the
 * trailer and finishes ${next}.
 */
struct sink *gzip_sink_new(struct sink *, int, struct dupc_err *);

/*
 * gzip_sink_pending(s): estimated bytes the gzip sink ${s} still holds
 * (compressed size of input not yet written to the next stage).
 */
uint64_t gzip_sink_pending(const struct sink *);

/* gzip_sink_sync(s, err): write out all it holds (see pdeflate_sync). */
int gzip_sink_sync(struct sink *, struct dupc_err *);

/*
 * gunzip_source_new(inner, what, err):
 * A source that decompresses ${inner} (borrowed).  A truncated or corrupt
 * stream fails with a message naming ${what}.
 */
struct source *gunzip_source_new(struct source *, const char *,
    struct dupc_err *);

#endif
