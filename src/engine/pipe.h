#ifndef DUPC_ENGINE_PIPE_H
#define DUPC_ENGINE_PIPE_H

/*
 * The codec chains between dupc's plain streams and the files stored on a
 * target: plain -> gzip or gpg -> counting SHA-1 tee -> file, and back.
 * Which codec applies follows duplicity: volumes and signatures are gzip
 * without encryption, gpg with it; manifests are plain or gpg, never gzip.
 */

#include <stdbool.h>
#include <stdint.h>

#include "format/names.h"
#include "util/digest.h"

struct dupc_err;
struct dupc_opts;
struct sink;
struct source;

enum remote_kind { RK_VOLUME, RK_SIGTAR, RK_MANIFEST };

/* pipe_suffix(o, kind): the name suffix for a file of that kind. */
enum name_suffix pipe_suffix(const struct dupc_opts *, enum remote_kind);

struct wpipe {
	struct sink *file;
	struct sink *tee;
	struct sink *codec; /* NULL when plain */
	struct sink *inner; /* dupc's own OpenPGP packets before gpg, or NULL */
	struct sink *head;  /* where plain bytes go */
	bool gz;            /* codec is gzip (holds blocks in flight) */
};

/*
 * wpipe_open(p, o, kind, fd, err):
 * Build the writing chain into ${fd} (borrowed).
 */
int wpipe_open(struct wpipe *, const struct dupc_opts *, enum remote_kind, int,
    struct dupc_err *);

/*
 * wpipe_open_suffix(p, o, suffix, fd, err): the same for an explicit
 * suffix (the local cache's .gz sigtars).
 */
int wpipe_open_suffix(struct wpipe *, const struct dupc_opts *,
    enum name_suffix, int, struct dupc_err *);

/* wpipe_finish(p, size, sha1, err): end the stream; stored size and
 * SHA-1 hex (DIGEST_HEX_MAX) of the file. */
int wpipe_finish(struct wpipe *, uint64_t *, char *, struct dupc_err *);

/* wpipe_stored(p): bytes written to the file so far, plus the estimated
 * size of what the codec still holds. */
uint64_t wpipe_stored(const struct wpipe *);

/* wpipe_sync(p, err): make wpipe_stored exact (flush the codec). */
int wpipe_sync(struct wpipe *, struct dupc_err *);

/* wpipe_release(p): free the stages. */
void wpipe_release(struct wpipe *);

struct rpipe {
	struct source *file;
	struct source *codec;
	struct source *head; /* plain bytes come out here */
};

/*
 * rpipe_open(p, o, name, fd, err):
 * Build the reading chain for the stored file ${name} (its suffix decides
 * the codec) open on ${fd} (borrowed).
 */
int rpipe_open(struct rpipe *, const struct dupc_opts *, const char *, int,
    struct dupc_err *);

/* rpipe_release(p) */
void rpipe_release(struct rpipe *);

#endif
