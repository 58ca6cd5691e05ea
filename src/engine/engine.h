#ifndef DUPC_ENGINE_ENGINE_H
#define DUPC_ENGINE_ENGINE_H

/*
 * The operations dupc performs, one entry point per command, driven by a
 * struct dupc_opts that the command layer fills from the command line.
 * Each returns 0, or -1 with the error (and its duplicity exit code) in
 * ${err}; messages for the user are logged through util/log as duplicity
 * prints them.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"
#include "format/names.h"

struct dupc_err;
struct selection;

enum backup_kind {
	BACKUP_AUTO, /* incremental when possible, else full */
	BACKUP_FULL,
	BACKUP_INC,
};

struct dupc_opts {
	/* where */
	const char *url;     /* target/source URL as typed */
	const char *src_url; /* replicate: the URL copied from */
	const char *local;   /* source dir (backup) or restore target */
	const char *archive_dir;
	const char *name;
	const char *tempdir;
	struct name_prefixes pfx;
	struct backend_options be;

	/* what */
	bool encrypt;     /* false with --no-encryption */
	bool compress;    /* false with --no-compression */
	uint64_t volsize; /* bytes */
	unsigned max_blocksize;
	int compress_level;
	struct selection *sel; /* borrowed */
	bool no_files_changed;

	/* GnuPG */
	const char *const *encrypt_keys;
	size_t nencrypt_keys;
	const char *const *hidden_keys;
	size_t nhidden_keys;
	const char *sign_key;
	const char *const *gpg_options;
	size_t ngpg_options;
	const char *gpg_binary;
	bool use_agent;
	char *passphrase; /* owned by the command layer (wiped) */
	char *sign_passphrase;

	/* when */
	int64_t now; /* --current-time, or the clock */
	bool have_time;
	int64_t time;               /* -t / --time / --restore-time */
	int64_t full_if_older_than; /* seconds, 0 = never */

	/* how */
	bool force;
	bool dry_run;
	bool allow_source_mismatch;
	bool print_statistics;
	bool numeric_owner;
	bool restore_ownership;
	bool compare_data;
	bool ignore_errors;
	bool async_upload;
	const char *file_to_restore; /* index, or NULL */
	/* --rename FROM TO: restore the path FROM (and what is below it)
	 * as TO, as duplicity's path.py rename_index */
	const char *const *rename_from;
	const char *const *rename_to;
	size_t nrenames;
	const char *hostname;    /* for manifests and the source check */
	const char *localdir;    /* source as given, canonicalised */
	unsigned fail_on_volume; /* testing: stop after writing volume N */

	/* retention */
	int64_t remove_time;
	unsigned keep_n;

	/* the lock on the target (engine/rlock.h) */
	const char *command;   /* the command's name, for the lock record */
	bool remote_lock;      /* take it: the command writes or deletes */
	bool break_lock;       /* --break-lock */
	unsigned lock_timeout; /* --lock-timeout seconds (0: 15 minutes) */

	/* check: what share of the volumes to read (none by default) */
	struct {
		bool read_all;    /* --read-data */
		double fraction;  /* --read-data-subset N%: N/100 */
		unsigned group_k; /* --read-data-subset K/M */
		unsigned group_m; /* 0: no groups */
	} check;

	/* reports and inspection */
	bool json;         /* --json: one JSON document on stdout */
	bool jsonstat;     /* --jsonstat: duplicity 3's statistics */
	int64_t diff_from; /* diff TIME_A TIME_B */
	int64_t diff_to;
	uint64_t mount_cache; /* --mount-cache-mb, in bytes */
};

/* engine_backup(o, kind, err): a full or incremental backup. */
int engine_backup(const struct dupc_opts *, enum backup_kind,
    struct dupc_err *);

/* engine_restore(o, err): restore o->url at o->time into o->local. */
int engine_restore(const struct dupc_opts *, struct dupc_err *);

/* engine_verify(o, err): compare the archive with o->local; sets *diffs. */
int engine_verify(const struct dupc_opts *, uint64_t *, struct dupc_err *);

/* engine_collection_status(o, err) */
int engine_collection_status(const struct dupc_opts *, struct dupc_err *);

/* engine_list_current_files(o, err) */
int engine_list_current_files(const struct dupc_opts *, struct dupc_err *);

/*
 * engine_diff(o, err):
 * What changed between the backups at o->diff_from and o->diff_to, from
 * the signature files alone: one line per path, or a JSON document.
 */
int engine_diff(const struct dupc_opts *, struct dupc_err *);

/* engine_cleanup(o, err) */
int engine_cleanup(const struct dupc_opts *, struct dupc_err *);

/*
 * engine_replicate(o, err): copy the sets and signatures of o->src_url
 * older than o->time (or now) to o->url, encoded as ${o} asks.
 */
int engine_replicate(const struct dupc_opts *, struct dupc_err *);

/*
 * engine_check(o, problems, err):
 * Check o->url without any key (see engine/check.c): every file of every
 * chain is there, and what o->check asks is read and compared with the
 * manifests.  *${problems} is the number of damaged or missing files.
 */
int engine_check(const struct dupc_opts *, uint64_t *, struct dupc_err *);

/* Retention: delete whole chains older than a time, as duplicity does. */
int engine_remove_older_than(const struct dupc_opts *, struct dupc_err *);
int engine_remove_all_but_n_full(const struct dupc_opts *, bool,
    struct dupc_err *);

#endif
