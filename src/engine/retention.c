/*
 * cleanup and the remove-* commands (dup_main.py cleanup / remove_old /
 * remove_all_but_n_full).  Whole chains only, never the primary one, and
 * exactly the files duplicity deletes, in its order: within a set the
 * manifest first, then volumes from the highest; a chain's newest set
 * first and its full set last; matching archive-dir files with them.
 * Without --force they only list.
 */
#define _DEFAULT_SOURCE
#include "engine/engine.h"

#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "engine/restart.h"
#include "engine/session.h"
#include "engine/status.h"
#include "format/collection.h"
#include "format/dtime.h"
#include "format/names.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

/* Delete one remote file; a file already gone is fine. */
static int
remote_delete(struct session *s, const char *name, struct dupc_err *err)
{
	struct dupc_err e;

	if (s->o->dry_run)
		return 0;
	if (backend_remove(s->be, name, &e) < 0) {
		if (e.cls == ERR_NOT_FOUND)
			return 0;
		*err = e;
		err_prefix(err, "deleting %s", name);
		return -1;
	}
	return 0;
}

/* Archive-dir files of the set with these times (BackupSet.delete). */
static void
local_delete_times(struct session *s, enum name_type type, int64_t time,
    int64_t start, int64_t end)
{
	size_t i;

	if (s->o->dry_run)
		return;
	for (i = 0; i < s->nlocal; i++) {
		struct name_info ni;
		struct dupc_err e;
		bool full = type == NAME_FULL;

		if (!names_parse(s->local[i], &s->o->pfx, &ni))
			continue;
		if (full
			? ((ni.type == NAME_FULL || ni.type == NAME_FULL_SIG) &&
			      ni.time == time)
			: ((ni.type == NAME_INC || ni.type == NAME_NEW_SIG) &&
			      ni.start == start && ni.end == end))
			cache_remove(&s->cache, s->local[i], &e);
	}
}

/* BackupSet.get_filenames reversed: manifest, then volumes high to low. */
static int
set_delete(struct session *s, const struct cset *set, struct dupc_err *err)
{
	size_t i;

	if (set->manifest != NULL && !set->partial &&
	    remote_delete(s, set->manifest, err) < 0)
		return -1;
	for (i = set->nvols; i-- > 0;)
		if (remote_delete(s, set->vols[i].name, err) < 0)
			return -1;
	local_delete_times(s, set->type, set->time, set->start, set->end);
	return 0;
}

static int
chain_delete(struct session *s, const struct chain *ch, bool keep_full,
    struct dupc_err *err)
{
	size_t i;

	for (i = ch->ninc; i-- > 0;)
		if (set_delete(s, ch->incs[i], err) < 0)
			return -1;
	if (!keep_full && set_delete(s, ch->full, err) < 0)
		return -1;
	return 0;
}

static int
sigchain_delete(struct session *s, const struct sigchain *sc, bool keep_full,
    struct dupc_err *err)
{
	struct dupc_err e;
	size_t i;

	for (i = sc->ninc; i-- > 0;) {
		if (sc->local) {
			if (!s->o->dry_run)
				cache_remove(&s->cache, sc->incs[i], &e);
		} else if (remote_delete(s, sc->incs[i], err) < 0) {
			return -1;
		}
	}
	if (keep_full)
		return 0;
	if (sc->local) {
		if (!s->o->dry_run)
			cache_remove(&s->cache, sc->fullsig, &e);
		return 0;
	}
	return remote_delete(s, sc->fullsig, err);
}

static void
push(char ***v, size_t *n, const char *s)
{
	char **p = realloc(*v, (*n + 1) * sizeof(*p));

	if (p == NULL)
		return;
	*v = p;
	p[(*n)++] = (char *)(uintptr_t)s;
}

/*
 * An interrupted set left as the last of the newest chain is dropped
 * first, its volumes on the target and its .part files in the archive
 * dir, as duplicity's cleanup does before it looks for extraneous files
 * (dup_main.py do_backup): a backup run resumes it, a cleanup says to
 * let it go.  Again while the new last set is one.
 */
static int
drop_partial_sets(struct session *s, struct dupc_err *err)
{
	for (;;) {
		const struct cset *last;

		if (s->col.nchains == 0)
			return 0;
		last = chain_last(&s->col.chains[s->col.nchains - 1]);
		if (!last->partial)
			return 0;
		/* duplicity names the action, not the set's type */
		log_notice(
		    "Cleaning up previous partial cleanup backup set, restarting.");
		if (s->o->dry_run)
			return 0;
		if (restart_discard(s, last, err) < 0 ||
		    session_scan(s, err) < 0)
			return -1;
	}
}

int
engine_cleanup(const struct dupc_opts *o, struct dupc_err *err)
{
	struct session s;
	char **loc = NULL, **rem = NULL;
	size_t nloc = 0, nrem = 0, i, j;
	struct buf list;
	int rc = -1;

	buf_init(&list, 1 << 26);
	if (session_open(&s, o, true, err) < 0)
		return -1;
	if (session_sync(&s, o->now, err) < 0 || drop_partial_sets(&s, err) < 0)
		goto out;
	session_log_last_full(&s);
	for (i = 0; i < s.col.nlocal_orphan_sigs; i++)
		push(&loc, &nloc, s.col.local_orphan_sigs[i]);
	for (j = 0; j < 2; j++) {
		struct cset **sets = j ? s.col.incomplete : s.col.orphaned;
		size_t n = j ? s.col.nincomplete : s.col.norphaned, k;

		for (i = 0; i < n; i++) {
			for (k = 0; k < sets[i]->nvols; k++)
				push(&rem, &nrem, sets[i]->vols[k].name);
			if (sets[i]->manifest != NULL && !sets[i]->partial)
				push(&rem, &nrem, sets[i]->manifest);
		}
	}
	for (i = 0; i < s.col.nremote_orphan_sigs; i++)
		push(&rem, &nrem, s.col.remote_orphan_sigs[i]);
	if (nloc + nrem == 0) {
		log_warn(
		    "No extraneous files found, nothing deleted in cleanup.");
		rc = 0;
		goto out;
	}
	for (i = 0; i < nloc; i++)
		buf_addf(&list, "\n%s", loc[i]);
	for (i = 0; i < nrem; i++)
		buf_addf(&list, "\n%s", rem[i]);
	if (!o->force) {
		log_notice(
		    "%s%s\nRun duplicity again with the --force option to actually delete.",
		    nloc + nrem == 1 ? "Found the following file to delete:"
				     : "Found the following files to delete:",
		    buf_str(&list));
		rc = 0;
		goto out;
	}
	log_notice("%s%s",
	    nloc + nrem == 1 ? "Deleting this file from backend:"
			     : "Deleting these files from backend:",
	    buf_str(&list));
	for (i = 0; i < nrem; i++)
		if (remote_delete(&s, rem[i], err) < 0)
			goto out;
	if (!o->dry_run)
		for (i = 0; i < nloc; i++) {
			struct dupc_err e;

			cache_remove(&s.cache, loc[i], &e);
		}
	rc = 0;
out:
	free(loc);
	free(rem);
	buf_release(&list);
	session_close(&s);
	return rc;
}

static int
remove_old(struct session *s, int64_t t, bool inc_only, struct dupc_err *err)
{
	const struct collection *c = &s->col;
	const struct chain *primary = collection_primary(c);
	struct buf b;
	size_t i, j, nold = 0;
	int rc = -1;

	buf_init(&b, 1 << 24);
	/* sets older than t that newer sets of a kept chain still need */
	for (i = 0; i < c->nchains; i++) {
		const struct chain *ch = &c->chains[i];

		if (ch->end < t)
			continue;
		for (j = 0; j <= ch->ninc; j++) {
			const struct cset *set = j ? ch->incs[j - 1] : ch->full;
			char p[DTIME_STR_MAX];

			if (cset_time(set) < t)
				buf_addf(&b, "\n%s",
				    dtime_pretty(cset_time(set), p));
		}
	}
	if (b.len > 0)
		log_warn(
		    "There are backup set(s) at time(s):%s\nWhich can't be deleted because newer sets depend on them.",
		    buf_str(&b));
	if (primary != NULL && primary->end < t)
		log_warn(
		    "Current active backup chain is older than specified time.  However, it will not be deleted.  To remove all your backups, manually purge the repository.");
	buf_reset(&b);
	for (i = 0; i < c->nchains; i++) {
		const struct chain *ch = &c->chains[i];
		char p[DTIME_STR_MAX];

		if (ch->end >= t || ch == primary ||
		    (inc_only && ch->ninc == 0))
			continue;
		nold++;
		buf_addf(&b, "\n%s", dtime_pretty(ch->end, p));
	}
	if (nold == 0) {
		log_notice("No old backup sets found, nothing deleted.");
		rc = 0;
		goto out;
	}
	if (!s->o->force) {
		log_notice(
		    "%s%s\nRerun command with --force option to actually delete.",
		    nold == 1
			? "Found old backup chain at the following time:"
			: "Found old backup chains at the following times:",
		    buf_str(&b));
		rc = 0;
		goto out;
	}
	log_notice("%s%s",
	    nold == 1 ? "Deleting backup chain at time:"
		      : "Deleting backup chains at times:",
	    buf_str(&b));
	/* signature chains first (newest first), then backup chains
	 * newest first, as duplicity's reversed list orders them */
	for (i = c->nsigchains; i-- > 0;) {
		const struct sigchain *sc = &c->sigchains[i];
		char p[DTIME_STR_MAX];

		/* (duplicity does not skip signature chains without
		 * incrementals here; keep_full leaves them intact) */
		if (sc->end >= t || (int)i == c->matched_sig)
			continue;
		log_notice(
		    inc_only
			? "Deleting any incremental signature chain rooted at %s"
			: "Deleting complete signature chain %s",
		    dtime_pretty(sc->end, p));
		if (sigchain_delete(s, sc, inc_only, err) < 0)
			goto out;
	}
	for (i = c->nchains; i-- > 0;) {
		const struct chain *ch = &c->chains[i];
		char p[DTIME_STR_MAX];

		if (ch->end >= t || ch == primary ||
		    (inc_only && ch->ninc == 0))
			continue;
		log_notice(
		    inc_only
			? "Deleting any incremental backup chain rooted at %s"
			: "Deleting complete backup chain %s",
		    dtime_pretty(ch->end, p));
		if (chain_delete(s, ch, inc_only, err) < 0)
			goto out;
	}
	rc = 0;
out:
	buf_release(&b);
	return rc;
}

int
engine_remove_older_than(const struct dupc_opts *o, struct dupc_err *err)
{
	struct session s;
	int rc;

	if (session_open(&s, o, true, err) < 0)
		return -1;
	status_warn(&s);
	session_log_last_full(&s);
	rc = remove_old(&s, o->remove_time, false, err);
	session_close(&s);
	return rc;
}

int
engine_remove_all_but_n_full(const struct dupc_opts *o, bool inc_only,
    struct dupc_err *err)
{
	struct session s;
	int rc;

	if (session_open(&s, o, true, err) < 0)
		return -1;
	status_warn(&s);
	session_log_last_full(&s);
	rc = remove_old(&s, collection_nth_full_time(&s.col, o->keep_n),
	    inc_only, err);
	session_close(&s);
	return rc;
}
