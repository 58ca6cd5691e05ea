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
struct rlock;

/* What a manifest says of a volume about to be fetched. */
struct expected {
	char *name;
	char sha1[41];
};

/*
 * A keeper of downloaded files that outlive one read (the mount's volume
 * cache).  When a session has one, a download asks it first and offers
 * it every completed download.  Both calls may come from any thread.
 */
struct session_store {
	/* a new read-only fd (offset 0) on a kept copy of ${name}, or -1 */
	int (*find)(struct session_store *, const char *);
	/* ${fd} (the caller's, offset 0) holds all of ${name}: keep a copy
	 * if wanted, without moving its offset */
	void (*keep)(struct session_store *, const char *, int);
};

struct session {
	const struct dupc_opts *o;
	struct session_store *store; /* optional, borrowed; NULL: none */
	struct backend *be;
	struct rlock *rlock;     /* the lock on the target, when taken */
	struct backend *lock_be; /* the lock's own connection */
	/* o->be with the expect hook; every backend of the session (the
	 * fetch workers' too) is opened with it */
	struct backend_options beo;
	pthread_mutex_t ex_mu;
	struct expected *ex; /* what session_expect was told */
	size_t nex;
	/* the backend is used by one thread at a time (be_mu); a restore's
	 * volumes are fetched on backends of their own (fetchq.c) */
	pthread_mutex_t be_mu;
	struct cache cache;
	char **remote;
	uint64_t *remote_size;
	size_t nremote;
	char **local;
	size_t nlocal;
	struct collection col;
};

/* How a command holds the archive dir's lock (session_open's ${lock}). */
enum session_lock {
	SESSION_NO_LOCK = 0,
	SESSION_LOCK = 1,        /* alone: every other run is refused */
	SESSION_LOCK_SHARED = 2, /* with other readers, never a writer */
};

/*
 * session_open(s, o, lock, err):
 * Open the backend of o->url and the archive dir (locked as ${lock}, an
 * enum session_lock; true is SESSION_LOCK), take the lock on the target
 * when ${lock} is SESSION_LOCK and o->remote_lock, then list both sides
 * and build the collection.
 */
int session_open(struct session *, const struct dupc_opts *, int,
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
 * Tell the backends what volume ${name}'s manifest says of it before it is
 * fetched, so wrappers holding several copies (multi://) or recovery
 * files (par2+) can pick or repair an intact one.  Only SHA-1 is passed
 * on (duplicity's manifests carry it).
 */
void session_expect(struct session *, const char *, const char *, const char *);

/*
 * session_download(s, name, err):
 * Fetch remote ${name} into a private temporary file; returns its fd
 * (positioned at 0) or -1.
 */
int session_download(struct session *, const char *, struct dupc_err *);

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

/*
 * session_record_stored(s, name, size, fd):
 * Note in the archive dir's record of stored files (format/checksums.h)
 * that ${name} was stored with ${size} bytes, and its SHA-256 read from
 * ${fd} (not moved) when the backend reports content hashes and ${fd} is
 * not -1, so `check` can find it truncated or altered without a
 * download.  Best effort: a failure is only logged.
 */
void session_record_stored(struct session *, const char *, uint64_t, int);

/* session_log_last_full(s): "Last full backup date: ..." */
void session_log_last_full(const struct session *);

#endif
