#ifndef DUPC_MOUNT_MOUNT_INTERNAL_H
#define DUPC_MOUNT_MOUNT_INTERNAL_H

/*
 * The parts of the mount, for its own files only:
 * - mindex.c: the tree of one chain, built from its signature files into
 *   private files in the scratch dir (struct mtree), and its queries;
 * - mcache.c: the cache of built file contents and downloaded volumes,
 *   bounded by --mount-cache-mb, and the building of a file's content;
 * - mfuse.c: the FUSE operations over the trees and the cache;
 * - mount.c: mount_run(), which puts them together.
 *
 * Node ids number the distinct paths of a chain in duplicity's path
 * order, the root being node 0; a node's versions say what the path is
 * from each set of the chain on.  Memory holds none of this: every
 * query reads the index files (pread), so a tree of any size costs a
 * few KiB per chain.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/session.h"
#include "util/meta.h"

struct buf;
struct chain;
struct dupc_err;
struct dupc_opts;
struct mcache;
struct sigchain;

#define MNODE_NONE UINT64_MAX
/* node ids fit in the low 40 bits of an inode number (mfuse.c) */
#define MNODE_MAX (UINT64_C(1) << 40)

/* One path of a chain. */
struct mnode {
	uint64_t id;
	uint64_t path_off; /* in the strings file */
	uint32_t path_len;
	uint32_t nver;        /* versions, oldest set first */
	uint64_t ver_first;   /* index of the first in the versions file */
	uint64_t subtree_end; /* the node after the last below this one */
	uint64_t parent;      /* the directory above, or MNODE_NONE */
};

/* What a path is from set ${set} of the chain on (until its next
 * version). */
struct mver {
	uint64_t index; /* in the versions file */
	uint32_t set;
	enum obj_type type; /* OBJ_NONE: absent (deleted) */
	bool size_exact;    /* else size is an upper bound */
	uint32_t mode;
	int64_t uid, gid; /* resolved as a restore resolves them */
	int64_t mtime;
	uint64_t size;
	uint32_t devmajor, devminor;
	uint64_t link_off; /* symlink target, in the strings file */
	uint32_t link_len;
};

/* The tree of one chain. */
struct mtree {
	const struct chain *ch; /* the backup chain (borrowed) */
	size_t nsets;           /* sets with signatures, from the full on */
	int64_t *times;         /* each one's time */
	int nodes_fd, vers_fd, str_fd;
	uint64_t nnodes;
	pthread_rwlock_t lock; /* versions: read by all, sizes set later */
};

/*
 * mtree_build(t, s, ch, sc, err):
 * Read the signature files of ${sc} that match the sets of the backup
 * chain ${ch} and write the tree of every path they name.  E_GENERIC
 * when a signature file holds paths out of order.
 */
int mtree_build(struct mtree *, struct session *, const struct chain *,
    const struct sigchain *, struct dupc_err *);

/* mtree_release(t): close and free (the files vanish with their fds). */
void mtree_release(struct mtree *);

/* mtree_node(t, id, n): read node ${id}; 0, or -1 (errno) past the end. */
int mtree_node(struct mtree *, uint64_t, struct mnode *);

/* mtree_path(t, n, out): the node's path ("" for the root) into ${out}. */
int mtree_path(struct mtree *, const struct mnode *, struct buf *);

/* mtree_link(t, v, out): a symlink version's target into ${out}. */
int mtree_link(struct mtree *, const struct mver *, struct buf *);

/*
 * mtree_version(t, n, set, v):
 * What node ${n} is at set ${set}: 1 with *${v} when it exists there, 0
 * when it does not (never named yet, or deleted), -1 on a read error.
 */
int mtree_version(struct mtree *, const struct mnode *, uint32_t,
    struct mver *);

/*
 * mtree_lookup(t, dir, name, child):
 * The node named ${name} right below node ${dir}: 1 and its id, 0 when
 * there is none, -1 on a read error.
 */
int mtree_lookup(struct mtree *, const struct mnode *, const char *,
    uint64_t *);

/* mtree_set_size(t, v, size): record the exact size of version ${v}. */
int mtree_set_size(struct mtree *, const struct mver *, uint64_t);

/*
 * The content cache.  A file's content is keyed by its chain, node and
 * version: every time folder where the version is current shares it.
 */
struct mfile_key {
	uint32_t tree;
	uint64_t node;
	uint64_t version; /* index in the versions file */
};

struct mentry;

/*
 * mcache_new(limit, err): a cache of ${limit} bytes; its volume store
 * (mcache_store) is what a session keeps its downloads in.
 */
struct mcache *mcache_new(uint64_t, struct dupc_err *);
void mcache_free(struct mcache *);
struct session_store *mcache_store(struct mcache *);

/* mcache_stop(c): make builds under way fail soon (the mount ends). */
void mcache_stop(struct mcache *);

/*
 * mcache_open(c, s, key, path, t, e, size, err):
 * The content of the regular file ${path} as restored at time ${t},
 * built with session ${s} unless the cache has it or another reader is
 * building it (then this one waits for that build).  Returns 0 with a
 * pinned entry and its size, or -1.
 */
int mcache_open(struct mcache *, struct session *, const struct mfile_key *,
    const char *, int64_t, struct mentry **, uint64_t *, struct dupc_err *);

/* mcache_fd(e): the entry's content (pread only; borrowed while open). */
int mcache_fd(const struct mentry *);

/* mcache_close(c, e): unpin; the least recently used go when over. */
void mcache_close(struct mcache *, struct mentry *);

/* mcache_stats(c, used, entries): what the cache holds now. */
void mcache_stats(struct mcache *, uint64_t *, size_t *);

/* One folder of the mount: a backup time of one chain. */
struct mfolder {
	size_t tree;
	uint32_t set;
	int64_t time;
	char name[32]; /* "2023-11-14T22:15:00Z" */
};

struct mount {
	const struct dupc_opts *o;
	struct session *s;
	struct mtree *trees;
	size_t ntrees;
	struct mfolder *folders; /* oldest first */
	size_t nfolders;
	struct mcache *cache;
};

/*
 * mfuse_serve(m, mountpoint, err):
 * Mount ${m} and serve requests until unmounted or interrupted.
 */
int mfuse_serve(struct mount *, const char *, struct dupc_err *);

#endif
