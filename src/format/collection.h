#ifndef DUPC_FORMAT_COLLECTION_H
#define DUPC_FORMAT_COLLECTION_H

/*
 * A collection: what a target (plus the local archive dir) holds, as
 * duplicity's dup_collections.py sees it — backup sets grouped into chains
 * (a full set and the incrementals that depend on it), signature chains,
 * and the leftovers (orphaned and incomplete sets, orphaned signatures).
 * Built from file names alone; nothing here does I/O.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/names.h"

struct dupc_err;

/*
 * Bound against hostile listings: backup sets in one collection, and
 * signature files on each side (50000 sets is 137 years of daily
 * backups).  Grouping costs O(n log n) in the names listed.
 */
#define COLLECTION_MAX_SETS 50000u

struct cset_volume {
	unsigned number;
	char *name;
};

struct cset {
	enum name_type type; /* NAME_FULL or NAME_INC */
	int64_t time;        /* full: set time */
	int64_t start, end;  /* inc: previous and this set's time */
	bool partial;        /* its manifest is a local .part */
	bool encrypted;
	char *manifest;           /* manifest file name, or NULL (incomplete) */
	struct cset_volume *vols; /* sorted by number */
	size_t nvols;
};

/* The time that orders sets: a full set's time or an inc's end time. */
static inline int64_t
cset_time(const struct cset *s)
{
	return s->type == NAME_FULL ? s->time : s->end;
}

struct chain {
	struct cset *full;
	struct cset **incs; /* in chain order */
	size_t ninc;
	int64_t start, end;
};

struct sigchain {
	bool local;
	char *fullsig;
	char **incs;
	int64_t *inc_end; /* end time of each inc */
	size_t ninc;
	int64_t start, end;
};

struct collection {
	struct cset **sets; /* every set (owner) */
	size_t nsets;
	struct chain *chains; /* complete chains, sorted by end time */
	size_t nchains;
	struct cset **orphaned; /* complete incs that fit no chain */
	size_t norphaned;
	struct cset **incomplete; /* sets without a manifest, and sets
				   * discarded for a missing signature */
	size_t nincomplete;
	struct sigchain *sigchains; /* sorted by end (remote before local) */
	size_t nsigchains;
	char **local_orphan_sigs;
	size_t nlocal_orphan_sigs;
	char **remote_orphan_sigs;
	size_t nremote_orphan_sigs;
	int matched_chain;   /* index in chains of the primary chain, or -1 */
	int matched_sig;     /* index in sigchains of its signatures, or -1 */
	bool discarded_last; /* "discarding last backup set" happened */
};

/*
 * collection_build(c, remote, nremote, local, nlocal, pfx, err):
 * Group the names listed on the target (${remote}) and in the archive dir
 * (${local}) as duplicity's CollectionsStatus.set_values does.  Only
 * partial (.part) names of ${local} take part in backup sets.  Returns -1
 * (E_GENERIC) when two volumes of one set have the same number, or when
 * either side holds more than COLLECTION_MAX_SETS sets or signature
 * files.
 */
int collection_build(struct collection *, const char *const *, size_t,
    const char *const *, size_t, const struct name_prefixes *,
    struct dupc_err *);

/* collection_release(c): free everything. */
void collection_release(struct collection *);

/* collection_primary(c): the matched (primary) chain, or NULL. */
const struct chain *collection_primary(const struct collection *);

/*
 * collection_chain_at(c, t):
 * duplicity's get_backup_chain_at_time: the chain covering ${t}, else the
 * newest ending before it, else the oldest.  NULL when there is none;
 * sets *ambiguous when two chains cover ${t}.
 */
const struct chain *collection_chain_at(const struct collection *, int64_t,
    bool *);

/* collection_sigchain_at(c, t): get_signature_chain_at_time, or NULL. */
const struct sigchain *collection_sigchain_at(const struct collection *,
    int64_t);

/* collection_last_full_time(c, n): time of the n-th newest full (1 =
 * newest), or 0. */
int64_t collection_nth_full_time(const struct collection *, size_t);

/*
 * collection_last_complete_full(c): the time of the newest full set that
 * is complete (not an interrupted set with a .part manifest, of which
 * nothing can be restored), or 0.
 */
int64_t collection_last_complete_full(const struct collection *);

/* chain_last(ch): the chain's last set. */
const struct cset *chain_last(const struct chain *);

/* chain_nvolumes(ch): volumes in every set of the chain. */
size_t chain_nvolumes(const struct chain *);

/* cset_find_volume(s, n): the name of volume ${n}, or NULL. */
const char *cset_find_volume(const struct cset *, unsigned);

#endif
