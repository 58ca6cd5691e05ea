/*
 * collection-status and list-current-files, with duplicity's text
 * (dup_collections.py __str__ / to_log_info, dup_main.py list_current),
 * and the collection warnings every command prints.
 */
#define _DEFAULT_SOURCE
#include "engine/engine.h"

#include <stdlib.h>
#include <string.h>

#include "engine/session.h"
#include "engine/sigread.h"
#include "engine/status.h"
#include "format/collection.h"
#include "format/dtime.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"

static void
chain_text(struct buf *b, const struct chain *ch)
{
	char t1[DTIME_STR_MAX];
	size_t i;

	buf_addstr(b, "-------------------------\n");
	buf_addf(b, "Chain start time: %s\n", dtime_pretty(ch->start, t1));
	buf_addf(b, "Chain end time: %s\n", dtime_pretty(ch->end, t1));
	buf_addf(b, "Number of contained backup sets: %zu\n", ch->ninc + 1);
	buf_addf(b, "Total number of contained volumes: %zu\n",
	    chain_nvolumes(ch));
	buf_addf(b, "%20s   %30s   %15s\n",
	    "Type of backup set:", "Time:", "Num volumes:");
	for (i = 0; i <= ch->ninc; i++) {
		const struct cset *s = i == 0 ? ch->full : ch->incs[i - 1];

		buf_addf(b, "%20s   %30s   %15zu\n",
		    i == 0 ? "Full" : "Incremental",
		    dtime_pretty(cset_time(s), t1), s->nvols);
	}
	buf_addstr(b, "-------------------------");
}

static void
chain_log_info(struct buf *b, const struct chain *ch)
{
	char t[DTIME_STR_MAX];
	size_t i;

	for (i = 0; i <= ch->ninc; i++) {
		const struct cset *s = i == 0 ? ch->full : ch->incs[i - 1];

		buf_addf(b, "\n %s %s %zu %s", i == 0 ? "full" : "inc",
		    dtime_to_string(cset_time(s), t), s->nvols,
		    s->encrypted ? "enc" : "noenc");
	}
}

/* The collection-status record; ${flags} are log_flags. */
static void
status_emit(const struct session *s, unsigned flags)
{
	const struct collection *c = &s->col;
	struct buf text, extra;
	size_t i, nsec = c->nchains - (c->matched_chain >= 0 ? 1 : 0), k = 0;

	buf_init(&text, 1 << 24);
	buf_init(&extra, 1 << 24);
	buf_addstr(&text, "Collection Status\n-----------------\n");
	buf_addstr(&text, "Connecting with backend: BackendWrapper\n");
	buf_addf(&text, "Archive dir: %s\n", s->cache.dir);
	buf_addf(&text, "\nFound %zu secondary backup chain%s.", nsec,
	    nsec == 1 ? "" : "s");
	buf_addf(&extra, "\nbackend BackendWrapper\narchive-dir %s",
	    s->cache.dir);
	for (i = 0; i < c->nchains; i++) {
		if ((int)i == c->matched_chain)
			continue;
		buf_addf(&text, "\nSecondary chain %zu of %zu:\n", ++k, nsec);
		chain_text(&text, &c->chains[i]);
		buf_addstr(&text, "\n");
		buf_addf(&extra, "\nchain-no-sig %zu", k - 1);
		chain_log_info(&extra, &c->chains[i]);
	}
	if (c->matched_chain >= 0) {
		buf_addstr(&text,
		    "\n\nFound primary backup chain with matching signature chain:\n");
		chain_text(&text, &c->chains[c->matched_chain]);
		buf_addstr(&extra, "\nchain-complete");
		chain_log_info(&extra, &c->chains[c->matched_chain]);
	} else {
		buf_addstr(&text,
		    "\nNo backup chains with active signatures found");
	}
	if (c->norphaned > 0 || c->nincomplete > 0) {
		buf_addf(&text,
		    "\nAlso found %zu backup set%s not part of any chain,",
		    c->norphaned, c->norphaned == 1 ? "" : "s");
		buf_addf(&text, "\nand %zu incomplete backup set%s.",
		    c->nincomplete, c->nincomplete == 1 ? "" : "s");
		buf_addstr(&text,
		    "\nThese may be deleted by running duplicity with the \"cleanup\" command.");
	} else {
		buf_addstr(&text,
		    "\nNo orphaned or incomplete backup sets found.");
	}
	buf_addf(&extra, "\norphaned-sets-num %zu\nincomplete-sets-num %zu",
	    c->norphaned, c->nincomplete);
	/* log.py PrintCollectionStatus: level 8 (an INFO record, which is
	 * what deja-dup reads), shown whatever -v for collection-status */
	log_msgf(8, INFO_COLLECTION_STATUS, buf_str(&extra), flags, "%s",
	    buf_str(&text));
	buf_release(&text);
	buf_release(&extra);
}

void
status_print(const struct session *s, bool force)
{
	if (!force && log_get_verbosity() < 8)
		return;
	status_emit(s, force ? LOG_F_FORCE : 0);
}

/* ${key} as epoch seconds and, as "${key}_str", in RFC 3339 (UTC). */
static void
json_time(struct json_out *jo, const char *key, int64_t t)
{
	char name[64], iso[DTIME_STR_MAX];

	jout_int(jo, key, t);
	snprintf(name, sizeof(name), "%s_str", key);
	jout_string(jo, name, dtime_to_iso(t, iso));
}

static void
chain_json(struct json_out *jo, const char *key, const struct chain *ch)
{
	size_t i;

	jout_object_begin(jo, key);
	json_time(jo, "start_time", ch->start);
	json_time(jo, "end_time", ch->end);
	jout_int(jo, "volumes", (int64_t)chain_nvolumes(ch));
	jout_array_begin(jo, "sets");
	for (i = 0; i <= ch->ninc; i++) {
		const struct cset *set = i == 0 ? ch->full : ch->incs[i - 1];

		jout_object_begin(jo, NULL);
		jout_string(jo, "type", i == 0 ? "full" : "inc");
		json_time(jo, "time", cset_time(set));
		jout_int(jo, "volumes", (int64_t)set->nvols);
		jout_bool(jo, "encrypted", set->encrypted);
		jout_object_end(jo);
	}
	jout_array_end(jo);
	jout_object_end(jo);
}

/* collection-status --json: the facts of the text above, one document. */
static int
status_json(const struct session *s, struct dupc_err *err)
{
	const struct collection *c = &s->col;
	struct json_out *jo = jout_new(stdout, 2);
	int64_t last = collection_last_complete_full(c);
	size_t i;
	int rc;

	if (jo == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	jout_object_begin(jo, NULL);
	jout_string(jo, "command", "collection-status");
	jout_int(jo, "version", 1);
	jout_path(jo, "archive_dir", s->cache.dir);
	if (last > 0)
		json_time(jo, "last_full_time", last);
	else
		jout_null(jo, "last_full_time");
	if (c->matched_chain >= 0)
		chain_json(jo, "primary_chain", &c->chains[c->matched_chain]);
	else
		jout_null(jo, "primary_chain");
	jout_array_begin(jo, "secondary_chains");
	for (i = 0; i < c->nchains; i++)
		if ((int)i != c->matched_chain)
			chain_json(jo, NULL, &c->chains[i]);
	jout_array_end(jo);
	jout_int(jo, "orphaned_sets", (int64_t)c->norphaned);
	jout_int(jo, "incomplete_sets", (int64_t)c->nincomplete);
	jout_object_end(jo);
	rc = jout_finish(jo, err);
	jout_free(jo);
	return rc;
}

static void
warn_names(const char *one, const char *many, char **names, size_t n)
{
	struct buf b;
	size_t i;

	if (n == 0)
		return;
	buf_init(&b, 1 << 24);
	buf_addstr(&b, n == 1 ? one : many);
	for (i = 0; i < n; i++)
		buf_addf(&b, "\n%s", names[i]);
	log_msg(LOG_WARNING, WARN_ORPHANED_SIG, NULL, "%s", buf_str(&b));
	buf_release(&b);
}

void
status_warn(const struct session *s)
{
	const struct collection *c = &s->col;
	size_t i;

	warn_names(
	    "Warning, found the following local orphaned signature file:",
	    "Warning, found the following local orphaned signature files:",
	    c->local_orphan_sigs, c->nlocal_orphan_sigs);
	warn_names(
	    "Warning, found the following remote orphaned signature file:",
	    "Warning, found the following remote orphaned signature files:",
	    c->remote_orphan_sigs, c->nremote_orphan_sigs);
	if (c->nsigchains > 0 && c->matched_sig < 0)
		log_msg(LOG_WARNING, WARN_UNMATCHED_SIG, NULL,
		    "Warning, found signatures but no corresponding backup files");
	if (c->discarded_last)
		log_warn(
		    "Warning, discarding last backup set, because of missing signature file.");
	if (c->nincomplete > 0)
		log_msg(LOG_WARNING, WARN_INCOMPLETE_BACKUP, NULL,
		    "Warning, found incomplete backup sets, probably left from aborted session");
	if (c->norphaned > 0) {
		struct buf b;

		buf_init(&b, 1 << 24);
		buf_addstr(&b,
		    c->norphaned == 1
			? "Warning, found the following orphaned backup file:"
			: "Warning, found the following orphaned backup files:");
		for (i = 0; i < c->norphaned; i++) {
			const struct cset *set = c->orphaned[i];

			size_t k;

			/* BackupSet.__str__: "[manifest, volumes...]" */
			buf_addstr(&b, "\n[");
			if (set->manifest != NULL)
				buf_addstr(&b, set->manifest);
			for (k = 0; k < set->nvols; k++)
				buf_addf(&b, "%s%s",
				    k || set->manifest ? ", " : "",
				    set->vols[k].name);
			buf_addch(&b, ']');
		}
		log_msg(LOG_WARNING, WARN_ORPHANED_BACKUP, NULL, "%s",
		    buf_str(&b));
		buf_release(&b);
	}
}

int
engine_collection_status(const struct dupc_opts *o, struct dupc_err *err)
{
	struct session s;
	int rc = 0;

	if (session_open(&s, o, SESSION_LOCK_SHARED, err) < 0)
		return -1;
	status_warn(&s);
	session_log_last_full(&s);
	if (o->json) {
		/* the machine log keeps its record; the console gets JSON */
		status_emit(&s, LOG_F_FORCE | LOG_F_MACHINE_ONLY);
		rc = status_json(&s, err);
	} else {
		status_print(&s, true);
	}
	session_close(&s);
	return rc;
}

/* One line of list-current-files, as dup_main.py list_current logs it. */
static void
list_text(const struct sig_entry *e, unsigned flags)
{
	char pretty[DTIME_STR_MAX], ts[DTIME_STR_MAX];
	char q[8192];
	struct buf extra;
	int v = log_get_verbosity();

	buf_init(&extra, 16384);
	buf_addf(&extra, "%s %s %s", dtime_to_string(e->meta->mtime, ts),
	    log_quote_path(*e->index ? e->index : ".", q, sizeof(q)),
	    meta_type_name(e->meta->type));
	/* listings are shown whatever the verbosity */
	if (v < LOG_INFO)
		log_set_verbosity(LOG_INFO);
	log_msgf(LOG_INFO, INFO_FILE_LIST, buf_str(&extra), flags, "%s %s",
	    dtime_pretty(e->meta->mtime, pretty), *e->index ? e->index : ".");
	log_set_verbosity(v);
	buf_release(&extra);
}

static void
list_json(struct json_out *jo, const struct sig_entry *e)
{
	const struct obj_meta *m = e->meta;

	jout_object_begin(jo, NULL);
	jout_path(jo, "path", *e->index ? e->index : ".");
	jout_string(jo, "type", meta_type_name(m->type));
	json_time(jo, "mtime", m->mtime);
	jout_int(jo, "mode", m->mode);
	jout_int(jo, "uid", e->uid);
	jout_int(jo, "gid", e->gid);
	jout_path(jo, "uname", m->uname);
	jout_path(jo, "gname", m->gname);
	if (m->type == OBJ_SYMLINK)
		jout_path(jo, "target", m->linkname ? m->linkname : "");
	if (m->type == OBJ_CHR || m->type == OBJ_BLK) {
		jout_int(jo, "devmajor", m->devmajor);
		jout_int(jo, "devminor", m->devminor);
	}
	json_time(jo, "backup_time", e->time);
	jout_object_end(jo);
}

static void
list_json_begin(struct json_out *jo, int64_t t, const struct sigchain *sc)
{
	jout_object_begin(jo, NULL);
	jout_string(jo, "command", "list-current-files");
	jout_int(jo, "version", 1);
	json_time(jo, "time", t);
	json_time(jo, "chain_start", sc->start);
	jout_array_begin(jo, "files");
}

int
engine_list_current_files(const struct dupc_opts *o, struct dupc_err *err)
{
	int64_t t = o->have_time ? o->time : o->now;
	const struct sigchain *sc;
	struct sigmerge *m = NULL;
	struct json_out *jo = NULL;
	struct session s;
	struct sig_entry e;
	int rc = -1, r;

	if (session_open(&s, o, SESSION_LOCK_SHARED, err) < 0)
		return -1;
	if (session_sync(&s, t, err) < 0)
		goto out;
	session_log_last_full(&s);
	sc = collection_sigchain_at(&s.col, t);
	if (sc == NULL) {
		err_set(err, E_NO_MANIFESTS,
		    "no signature chains found on %s; nothing to list", o->url);
		goto out;
	}
	if (t < sc->start)
		log_msg(LOG_WARNING, WARN_NO_SIG_FOR_TIME, NULL,
		    "No signature chain for the requested time. Using oldest available chain, starting at time %s.",
		    dtime_pretty(sc->start, (char[DTIME_STR_MAX]){ 0 }));
	m = sigmerge_open(&s, sc, t, err);
	if (m == NULL)
		goto out;
	if (o->json) {
		jo = jout_new(stdout, 2);
		if (jo == NULL) {
			err_set(err, E_GENERIC, "out of memory");
			goto out;
		}
		list_json_begin(jo, t, sc);
	}
	while ((r = sigmerge_peek(m, &e, err)) > 0) {
		if (e.kind != EK_DELETED) {
			/* with --json the machine log keeps its records */
			list_text(&e, jo ? LOG_F_MACHINE_ONLY : 0);
			if (jo != NULL)
				list_json(jo, &e);
		}
		if (sigmerge_next(m, err) < 0)
			goto out;
	}
	if (r < 0)
		goto out;
	if (jo != NULL) {
		jout_array_end(jo);
		jout_object_end(jo);
		if (jout_finish(jo, err) < 0)
			goto out;
	}
	rc = 0;
out:
	jout_free(jo);
	sigmerge_free(m);
	session_close(&s);
	return rc;
}
