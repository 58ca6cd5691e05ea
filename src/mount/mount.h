#ifndef DUPC_MOUNT_MOUNT_H
#define DUPC_MOUNT_MOUNT_H

/*
 * dupc mount URL MOUNTPOINT: every backup time of every chain as a
 * read-only FUSE file system, through libfuse3 (whose headers live in
 * this folder only).  The tree comes from the signature files alone; a file's
 * content is made when it is opened, by the restore's machinery, into a
 * bounded cache.  See docs/mount.md.
 */

struct dupc_err;
struct dupc_opts;

/*
 * mount_run(o, err):
 * Serve o->url at the mount point o->local (an empty directory) until it
 * is unmounted (fusermount3 -u) or dupc gets SIGINT or SIGTERM, which
 * unmount it.  0 then; -1 with ${err} when it cannot be mounted.
 */
int mount_run(const struct dupc_opts *, struct dupc_err *);

#endif
