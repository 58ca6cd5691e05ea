#ifndef DUPC_ENGINE_SESSION_H
#define DUPC_ENGINE_SESSION_H

/*
 * What every command starts with: the backend, the archive dir (locked),
 * both listings and the collection built from them, and duplicity's
 * metadata sync between the two.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pthread.h>

#include "backend/backend.h"
#include "cache/cache.h"
#include "format/collection.h"
#include "util/err.h"

struct backend;
struct dupc_err;
struct dupc_opts;
struct manifest;

#define PREFETCH_MAX 4

/* A download started ahead of need (restore reads volumes in order). */
struct prefetch {
	char *name;
	int fd;
	int state; /* 0 queued, 1 running, 2 done, 3 failed */
	struct dupc_err err;
};

/* What a manifest says of a volume about to be fetched. */
struct expected {
	char *name;
	char sha1[41];
};

#define EXPECTED_MAX 16

struct session {
	const struct dupc_opts *o;
	struct backend *be;
	struct backend_options beo; /* o->be, with the expect hook */
	pthread_mutex_t ex_mu;
	struct expected ex[EXPECTED_MAX]; /* a ring, newest last */
	size_t nex;
	/* downloads ahead of need; the backend is used by one thread at a
	 * time (be_mu) */
	pthread_mutex_t be_mu;
	pthread_mutex_t pf_mu;
	pthread_cond_t pf_cv;
	pthread_t pf_tid;
	bool pf_thread, pf_stop;
	struct prefetch pf[PREFETCH_MAX];
	size_t npf;
	struct cache cache;
	char **remote;
	uint64_t *remote_size;
	size_t nremote;
	char **local;
	size_t nlocal;
	struct collection col;
};

/*
 * session_open(s, o, lock, err):
 * Open the backend of o->url and the archive dir (locked when ${lock}),
 * then list both sides and build the collection.
 */
int session_open(struct session *, const struct dupc_opts *, bool,
    struct dupc_err *);

/* session_scan(s, err): list both sides again and rebuild the collection. */
int session_scan(struct session *, struct dupc_err *);

/*
 * session_sync(s, t, err):
 * duplicity's sync_archive: copy metadata missing from the archive dir
 * (for the chain at time ${t} in partial mode) and delete local files the
 * target does not have; then rescan.
 */
int session_sync(struct session *, int64_t, struct dupc_err *);

/* session_close(s) */
void session_close(struct session *);

/*
 * session_expect(s, name, hash_type, hash):
 * Tell the backend what volume ${name}'s manifest says of it before it is
 * fetched, so wrappers holding several copies (multi://) or recovery
 * files (par2+) can pick or repair an intact one.  Only SHA-1 is passed
 * on; the last EXPECTED_MAX names are kept.
 */
void session_expect(struct session *, const char *, const char *, const char *);

/*
 * session_download(s, name, err):
 * Fetch remote ${name} into a private temporary file; returns its fd
 * (positioned at 0) or -1.
 */
int session_download(struct session *, const char *, struct dupc_err *);

/*
 * session_prefetch(s, name):
 * Start downloading remote ${name} in the background (a later
 * session_download of it waits for and takes that file).  Best effort:
 * ignored when too many are pending.
 */
void session_prefetch(struct session *, const char *);

/*
 * session_manifest(s, set, m, err):
 * Load the manifest of ${set}: the archive dir's copy when there is one,
 * else the remote file (decrypted).  ${m} must be initialised.
 */
int session_manifest(struct session *, const struct cset *, struct manifest *,
    struct dupc_err *);

enum manifest_source {
	MANIFEST_PREFER_LOCAL, /* the archive dir's copy, else the target's */
	MANIFEST_LOCAL,        /* the archive dir's copy only */
	MANIFEST_REMOTE,       /* the target's copy only */
};

/*
 * session_manifest_from(s, set, from, m, err):
 * Load the manifest of ${set} from where ${from} says.  Returns 0, 1 when
 * MANIFEST_LOCAL finds no local copy, or -1.
 */
int session_manifest_from(struct session *, const struct cset *,
    enum manifest_source, struct manifest *, struct dupc_err *);

/*
 * session_local_name(s, remote_name, out):
 * The archive dir name duplicity keeps for a remote metadata file (base
 * name, plus .gz for signatures); -1 if it is not metadata.
 */
int session_local_name(const struct session *, const char *, struct buf *);

/* session_remote_size(s, name, size): 0 and the listed size, or -1. */
int session_remote_size(const struct session *, const char *, uint64_t *);

/* session_has_remote(s, name) */
bool session_has_remote(const struct session *, const char *);

/* session_log_last_full(s): "Last full backup date: ..." */
void session_log_last_full(const struct session *);

#endif
