/*
 * dupc mount: the target's collection, a tree per chain built from its
 * signature files, one folder per backup time, and the FUSE loop.  The
 * archive dir is locked for reading, shared with other readers (restore,
 * listings, other mounts) and never with a backup.
 */
#define _DEFAULT_SOURCE
#include "mount/mount.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/engine.h"
#include "engine/session.h"
#include "format/collection.h"
#include "format/dtime.h"
#include "mount/mount_internal.h"
#include "util/err.h"
#include "util/log.h"

/* How many of ${ch}'s sets the signature chain ${sc} covers. */
static size_t
sets_covered(const struct chain *ch, const struct sigchain *sc)
{
	size_t i, n = 1;

	if (sc->start != ch->full->time)
		return 0;
	for (i = 0; i < ch->ninc && i < sc->ninc; i++, n++)
		if (sc->inc_end[i] != ch->incs[i]->end)
			break;
	return n;
}

/* The signature chain that covers most of ${ch}, the local one on a
 * tie (it needs no download). */
static const struct sigchain *
sigchain_for(const struct collection *c, const struct chain *ch)
{
	const struct sigchain *best = NULL;
	size_t i, most = 0;

	for (i = 0; i < c->nsigchains; i++) {
		size_t n = sets_covered(ch, &c->sigchains[i]);

		if (n > most || (n == most && n > 0 && c->sigchains[i].local)) {
			best = &c->sigchains[i];
			most = n;
		}
	}
	return best;
}

static int
cmp_folder(const void *a, const void *b)
{
	const struct mfolder *x = a, *y = b;

	return x->time < y->time ? -1 : x->time > y->time;
}

static int
add_folders(struct mount *m, size_t ti, struct dupc_err *err)
{
	struct mtree *t = &m->trees[ti];
	struct mfolder *p;
	size_t j;

	p = realloc(m->folders, (m->nfolders + t->nsets) * sizeof(*p));
	if (p == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	m->folders = p;
	for (j = 0; j < t->nsets; j++) {
		struct mfolder *f = &m->folders[m->nfolders++];

		f->tree = ti;
		f->set = (uint32_t)j;
		f->time = t->times[j];
		dtime_to_iso(f->time, f->name);
	}
	return 0;
}

/* One tree per chain that has signature files. */
static int
build_trees(struct mount *m, struct dupc_err *err)
{
	const struct collection *c = &m->s->col;
	size_t i, k;
	char pretty[DTIME_STR_MAX];

	m->trees = calloc(c->nchains ? c->nchains : 1, sizeof(*m->trees));
	if (m->trees == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	for (i = 0; i < c->nchains; i++) {
		const struct chain *ch = &c->chains[i];
		const struct sigchain *sc = sigchain_for(c, ch);

		if (sc == NULL) {
			log_warn(
			    "No signature files for the chain starting at %s: its backups are not shown",
			    dtime_pretty(ch->start, pretty));
			continue;
		}
		if (mtree_build(&m->trees[m->ntrees], m->s, ch, sc, err) < 0) {
			mtree_release(&m->trees[m->ntrees]);
			return -1;
		}
		if (add_folders(m, m->ntrees++, err) < 0)
			return -1;
	}
	if (m->nfolders > 1)
		qsort(m->folders, m->nfolders, sizeof(*m->folders), cmp_folder);
	/* two chains never share a time, unless a listing is odd */
	for (i = k = 0; i < m->nfolders; i++)
		if (k == 0 || m->folders[i].time != m->folders[k - 1].time)
			m->folders[k++] = m->folders[i];
	m->nfolders = k;
	if (m->nfolders == 0)
		return err_set(err, E_NO_MANIFESTS,
		    "no backup chains with signature files found on %s; nothing to mount (collection-status lists what is there)",
		    m->o->url);
	return 0;
}

int
mount_run(const struct dupc_opts *o, struct dupc_err *err)
{
	struct session s;
	struct mount m;
	struct stat st;
	size_t i;
	int rc = -1;

	memset(&m, 0, sizeof(m));
	m.o = o;
	m.s = &s;
	/* FUSE would mount a file over a file: only directories here */
	if (stat(o->local, &st) < 0 || !S_ISDIR(st.st_mode))
		return err_set(err, E_GENERIC,
		    "cannot mount at %s: it must be an existing directory",
		    o->local);
	if (session_open(&s, o, SESSION_LOCK_SHARED, err) < 0)
		return -1;
	if (session_sync(&s, o->now, err) < 0)
		goto out;
	m.cache = mcache_new(o->mount_cache, err);
	if (m.cache == NULL)
		goto out;
	s.store = mcache_store(m.cache);
	if (build_trees(&m, err) < 0)
		goto out;
	log_info("%zu backup time%s of %zu chain%s", m.nfolders,
	    m.nfolders == 1 ? "" : "s", m.ntrees, m.ntrees == 1 ? "" : "s");
	if (mfuse_serve(&m, o->local, err) < 0)
		goto out;
	rc = 0;
out:
	/* builds are over (the loop has ended or never started); the
	 * session's prefetches may still use the cache until it closes */
	for (i = 0; i < m.ntrees; i++)
		mtree_release(&m.trees[i]);
	free(m.trees);
	free(m.folders);
	session_close(&s);
	mcache_free(m.cache);
	return rc;
}
