#ifndef DUPC_FORMAT_MANIFEST_H
#define DUPC_FORMAT_MANIFEST_H

/*
 * Set manifests (duplicity/manifest.py): host, source directory, and per
 * volume the first and last index it holds and its hash.  Parsing is at
 * least as lenient as duplicity's and strictly bounded; writing is
 * byte-exact with duplicity's (see duplicity-format.md section 3).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct dupc_err;

/* Bounds against hostile manifests. */
#define MANIFEST_MAX_BYTES (64u * 1024 * 1024)
#define MANIFEST_MAX_VOLUMES 1000000u

struct manifest_volume {
	unsigned number;
	char *start_index; /* index string ("" = root) */
	long start_block;  /* chunk number, or -1 */
	char *end_index;
	long end_block;
	char hash_type[8]; /* "SHA1", "MD5", ... or "" */
	char hash[136];    /* lower-case hex as written, or "" */
};

struct manifest {
	char *hostname;               /* NULL when absent */
	char *localdir;               /* unquoted bytes, NULL when absent */
	struct manifest_volume *vols; /* sorted by number, unique */
	size_t nvols;
	long filelist_count; /* -1 when absent */
};

/* manifest_init(m): empty manifest (no allocation). */
void manifest_init(struct manifest *);

/* manifest_release(m): free everything; ${m} is empty after. */
void manifest_release(struct manifest *);

/*
 * manifest_parse(m, text, len, err):
 * Parse manifest bytes into ${m} (which must be empty).  Volume entries
 * repeated by a resumed backup: the last occurrence wins, and entries
 * numbered above the last parsed volume are dropped (as duplicity does).
 * E_UNREADABLE_MANIFESTS on malformed input.
 */
int manifest_parse(struct manifest *, const char *, size_t, struct dupc_err *);

/* manifest_find(m, number): the volume with that number, or NULL. */
const struct manifest_volume *manifest_find(const struct manifest *, unsigned);

/*
 * manifest_volume_may_contain(v, prefix):
 * duplicity's VolumeInfo.contains(prefix, recursive=1).
 */
bool manifest_volume_may_contain(const struct manifest_volume *, const char *);

/* manifest_write_header(out, hostname, localdir): the first lines. */
int manifest_write_header(struct buf *, const char *, const char *);

/* manifest_write_volume(out, v): one "Volume N:" block with newline. */
int manifest_write_volume(struct buf *, const struct manifest_volume *);

/*
 * manifest_write_filelist_entry(out, kind, index):
 * One filelist line ("    new      path").  Use manifest_write_filelist
 * for the "Filelist N" header.
 */
int manifest_write_filelist_entry(struct buf *, const char *, const char *);
int manifest_write_filelist_header(struct buf *, uint64_t);

/*
 * manifest_equal(a, b):
 * duplicity's Manifest.__eq__: same volume numbers, same start and end
 * indexes and hashes, same host and source directory.
 */
bool manifest_equal(const struct manifest *, const struct manifest *);

/* manifest_best_hash(v, type, hex): SHA1, else MD5, else any; 0 or -1. */
int manifest_best_hash(const struct manifest_volume *, const char **,
    const char **);

#endif
