/*
 * Sessions: backend + archive dir + collection, and metadata sync
 * (dup_main.py sync_archive).  The remote side is authoritative: local
 * metadata the target lost is deleted, metadata the archive dir lacks is
 * copied (manifests decrypted, signatures decrypted and gzipped).
 */
#define _DEFAULT_SOURCE
#include "engine/session.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "engine/engine.h"
#include "engine/pipe.h"
#include "engine/rlock.h"
#include "engine/status.h"
#include "format/dtime.h"
#include "format/manifest.h"
#include "format/names.h"
#include "util/buf.h"
#include "util/digest.h"
#include "util/err.h"
#include "util/log.h"
#include "util/stream.h"
#include "util/tempfile.h"
#include "util/url.h"

struct listing {
	char **names;
	uint64_t *sizes;
	size_t n;
	size_t par2; /* PAR2 recovery files passed over */
};

static int
collect_name(const char *name, uint64_t size, void *arg, struct dupc_err *err)
{
	struct listing *l = arg;
	size_t len = strlen(name);
	char **p;
	uint64_t *q;

	/* a par2+ target read without the wrapper (duplicity crashes) */
	if (len > 5 && strcmp(name + len - 5, ".par2") == 0) {
		l->par2++;
		return 0;
	}
	if (l->n >= 10000000)
		return err_set(err, E_BACKEND_ERROR,
		    "target lists too many files");
	p = realloc(l->names, (l->n + 1) * sizeof(*p));
	if (p == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	l->names = p;
	q = realloc(l->sizes, (l->n + 1) * sizeof(*q));
	if (q == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	l->sizes = q;
	p[l->n] = strdup(name);
	if (p[l->n] == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	q[l->n++] = size;
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
free_lists(struct session *s)
{
	cache_names_free(s->remote, s->nremote);
	free(s->remote_size);
	cache_names_free(s->local, s->nlocal);
	s->remote = s->local = NULL;
	s->remote_size = NULL;
	s->nremote = s->nlocal = 0;
	collection_release(&s->col);
}

int
session_scan(struct session *s, struct dupc_err *err)
{
	struct listing l = { NULL, NULL, 0, 0 };
	char red[512];

	free_lists(s);
	if (backend_list(s->be, collect_name, &l, err) < 0) {
		cache_names_free(l.names, l.n);
		free(l.sizes);
		err_prefix(err, "listing the target");
		return -1;
	}
	s->remote = l.names;
	s->remote_size = l.sizes;
	s->nremote = l.n;
	if (l.par2 > 0)
		log_warn(
		    "Warning: the target holds %zu PAR2 recovery files (.par2), which are passed over; to check and repair volumes with them use par2+%s",
		    l.par2, url_redact(s->o->url, red, sizeof(red)));
	if (cache_list(&s->cache, &s->local, &s->nlocal, err) < 0)
		return -1;
	/* a stable order makes set building and messages deterministic */
	if (s->nlocal > 1)
		qsort(s->local, s->nlocal, sizeof(*s->local), cmp_str);
	return collection_build(&s->col, (const char *const *)s->remote,
	    s->nremote, (const char *const *)s->local, s->nlocal, &s->o->pfx,
	    err);
}

void
session_expect(struct session *s, const char *name, const char *type,
    const char *hash)
{
	struct expected *p;
	size_t i;
	char *copy;

	if (strcmp(type, "SHA1") != 0 || strlen(hash) != 40)
		return;
	pthread_mutex_lock(&s->ex_mu);
	for (i = 0; i < s->nex; i++)
		if (strcmp(s->ex[i].name, name) == 0)
			goto out;
	/* best effort: without it a wrapper only loses a way to pick */
	if ((copy = strdup(name)) == NULL)
		goto out;
	p = realloc(s->ex, (s->nex + 1) * sizeof(*p));
	if (p == NULL) {
		free(copy);
		goto out;
	}
	s->ex = p;
	s->ex[s->nex].name = copy;
	memcpy(s->ex[s->nex].sha1, hash, 41);
	s->nex++;
out:
	pthread_mutex_unlock(&s->ex_mu);
}

/* The backend's question (backend_expect_fn): what is ${name}? */
static int
expect_cb(void *arg, const char *name, char *sha1, uint64_t *size)
{
	struct session *s = arg;
	size_t i;
	int rc = 1;

	pthread_mutex_lock(&s->ex_mu);
	for (i = 0; i < s->nex; i++)
		if (strcmp(s->ex[i].name, name) == 0) {
			memcpy(sha1, s->ex[i].sha1, 41);
			rc = 0;
			break;
		}
	pthread_mutex_unlock(&s->ex_mu);
	if (rc == 0 && session_remote_size(s, name, size) < 0)
		*size = UINT64_MAX;
	return rc;
}

/*
 * The lock on the target, named after the --file-prefix.  It has a
 * backend of its own: on a backend whose calls run one at a time, a
 * refresh would otherwise wait for a volume's whole upload, and a slow
 * line could let the lock go stale under a live run.
 */
static int
take_remote_lock(struct session *s, struct dupc_err *err)
{
	const struct dupc_opts *o = s->o;
	struct rlock_opts ro;

	if (backend_open(o->url, &o->be, &s->lock_be, err) < 0)
		return -1;
	memset(&ro, 0, sizeof(ro));
	ro.prefix = o->pfx.all;
	ro.host = o->hostname;
	ro.command = o->command;
	ro.timeout = o->lock_timeout;
	ro.break_lock = o->break_lock;
	return rlock_take(&s->rlock, s->lock_be, &ro, err);
}

int
session_open(struct session *s, const struct dupc_opts *o, int lock,
    struct dupc_err *err)
{
	memset(s, 0, sizeof(*s));
	s->o = o;
	s->cache.lock_fd = -1;
	pthread_mutex_init(&s->be_mu, NULL);
	pthread_mutex_init(&s->ex_mu, NULL);
	s->col.matched_chain = s->col.matched_sig = -1;
	s->beo = o->be;
	s->beo.expect = expect_cb;
	s->beo.expect_arg = s;
	if (tempdir_init(o->tempdir, err) < 0)
		return -1;
	if (backend_open(o->url, &s->beo, &s->be, err) < 0)
		return -1;
	if (cache_open(&s->cache, o->archive_dir, o->name, o->url, err) < 0)
		goto fail;
	if (lock == SESSION_LOCK_SHARED
		? cache_lock_shared(&s->cache, err) < 0
		: lock && cache_lock(&s->cache, err) < 0)
		goto fail;
	if (lock == SESSION_LOCK && o->remote_lock &&
	    take_remote_lock(s, err) < 0)
		goto fail;
	if (session_scan(s, err) < 0)
		goto fail;
	return 0;
fail:
	session_close(s);
	return -1;
}

void
session_close(struct session *s)
{
	size_t i;

	free_lists(s);
	rlock_release(s->rlock);
	s->rlock = NULL;
	backend_close(s->lock_be);
	s->lock_be = NULL;
	backend_close(s->be);
	s->be = NULL;
	cache_close(&s->cache);
	pthread_mutex_destroy(&s->be_mu);
	for (i = 0; i < s->nex; i++)
		free(s->ex[i].name);
	free(s->ex);
	s->ex = NULL;
	s->nex = 0;
	pthread_mutex_destroy(&s->ex_mu);
}

int
session_remote_size(const struct session *s, const char *name, uint64_t *size)
{
	size_t i;

	for (i = 0; i < s->nremote; i++) {
		if (strcmp(s->remote[i], name) == 0) {
			*size = s->remote_size[i];
			return 0;
		}
	}
	return -1;
}

bool
session_has_remote(const struct session *s, const char *name)
{
	uint64_t sz;

	return session_remote_size(s, name, &sz) == 0;
}

/*
 * Download into a private temporary file, the backend held.  A local
 * target (file://) is read in place instead: copying a volume to the
 * scratch dir would only cost time and disk.
 */
static int
fetch(struct session *s, const char *name, struct dupc_err *err)
{
	int fd = -1;
	int rc;

	pthread_mutex_lock(&s->be_mu);
	rc = backend_open_read(s->be, name, &fd, err);
	pthread_mutex_unlock(&s->be_mu);
	if (rc == 0)
		return fd;
	if (rc < 0) {
		err_prefix(err, "downloading %s", name);
		return -1;
	}
	if (s->store != NULL && (fd = s->store->find(s->store, name)) >= 0)
		return fd;
	fd = tempfile_open("download", NULL, err);
	if (fd < 0)
		return -1;
	pthread_mutex_lock(&s->be_mu);
	rc = backend_get(s->be, name, fd, err);
	pthread_mutex_unlock(&s->be_mu);
	if (rc < 0) {
		err_prefix(err, "downloading %s", name);
		close(fd);
		return -1;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		err_errno(err, E_GENERIC, "rewinding %s", name);
		close(fd);
		return -1;
	}
	if (s->store != NULL)
		s->store->keep(s->store, name, fd);
	return fd;
}

int
session_download(struct session *s, const char *name, struct dupc_err *err)
{
	return fetch(s, name, err);
}

void
session_record_stored(struct session *s, const char *name, uint64_t size,
    int fd)
{
	char sha256[DIGEST_HEX_MAX] = "";
	struct dupc_err e;

	if (s->o->dry_run)
		return;
	if (fd >= 0 && (backend_flags(s->be) & BACKEND_HASHES) &&
	    digest_fd(fd, NULL, sha256, NULL) < 0)
		sha256[0] = '\0';
	err_clear(&e);
	if (cache_checksum_add(&s->cache, name, size, sha256, &e) < 0)
		log_debug("not recording the size of %s: %s", name, e.msg);
}

void
session_log_last_full(const struct session *s)
{
	/* an interrupted full set is not a backup: nothing of it restores */
	int64_t t = collection_last_complete_full(&s->col);
	char pretty[DTIME_STR_MAX];

	if (t > 0)
		log_notice("Last full backup date: %s",
		    dtime_pretty(t, pretty));
	else
		log_notice("Last full backup date: none");
	/* dup_main.py main: the collection status follows, at level 8 */
	status_print(s, false);
}

/* --- metadata sync --- */

static bool
is_metadata(const struct session *s, const char *name, struct name_info *ni)
{
	return names_parse(name, &s->o->pfx, ni) &&
	       (ni->type == NAME_FULL_SIG || ni->type == NAME_NEW_SIG ||
		   ni->manifest);
}

int
session_local_name(const struct session *s, const char *remote, struct buf *out)
{
	struct name_info ni;

	if (!is_metadata(s, remote, &ni))
		return -1;
	buf_reset(out);
	if (buf_add(out, remote, names_base_len(remote)) < 0)
		return -1;
	/* dup_main.py resolve_basename: get_suffix(False, True) */
	if (!ni.manifest &&
	    buf_addstr(out,
		s->o->pfx.style == NAME_STYLE_SHORT ? ".z" : ".gz") < 0)
		return -1;
	return 0;
}

/* Does the base name appear among ${names} as metadata (partial or not)? */
static bool
has_base(const struct session *s, char **names, size_t n, const char *base,
    size_t blen, int want_partial)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct name_info ni;

		if (!is_metadata(s, names[i], &ni))
			continue;
		if (want_partial >= 0 && (int)ni.partial != want_partial)
			continue;
		if (names_base_len(names[i]) == blen &&
		    strncmp(names[i], base, blen) == 0)
			return true;
	}
	return false;
}

/* sync_archive's is_needed (partial mode). */
static bool
is_needed(const struct session *s, const char *name, int64_t t)
{
	struct name_info ni;
	const struct chain *ch;
	bool ambiguous;
	int64_t a, b;

	ch = collection_chain_at(&s->col, t, &ambiguous);
	if (ch == NULL || ambiguous || !names_parse(name, &s->o->pfx, &ni))
		return true;
	if (ni.type == NAME_FULL || ni.type == NAME_FULL_SIG)
		a = b = ni.time;
	else
		a = ni.start, b = ni.end;
	return b >= ch->start && a <= ch->end;
}

/* Copy one remote metadata file into the archive dir. */
static int
copy_to_local(struct session *s, const char *name, struct dupc_err *err)
{
	struct buf local;
	struct rpipe rp;
	struct wpipe wp;
	struct atomic_file af;
	struct name_info ni;
	int fd = -1, rc = -1;
	char *path = NULL;
	bool wp_open = false;

	buf_init(&local, 4096);
	memset(&rp, 0, sizeof(rp));
	af.fd = -1;
	af.tmp = af.path = NULL;
	log_notice("Copying %s to local cache.", name);
	if (session_local_name(s, name, &local) < 0 ||
	    !names_parse(name, &s->o->pfx, &ni)) {
		err_set(err, E_GENERIC, "cannot name local copy of %s", name);
		goto out;
	}
	fd = session_download(s, name, err);
	if (fd < 0)
		goto out;
	if (rpipe_open(&rp, s->o, name, fd, err) < 0)
		goto out;
	path = cache_path(&s->cache, buf_str(&local));
	if (path == NULL || atomic_file_open(&af, path, 0600, err) < 0)
		goto out;
	if (wpipe_open_suffix(&wp, s->o, ni.manifest ? SUFFIX_NONE : SUFFIX_GZ,
		af.fd, err) < 0)
		goto out;
	wp_open = true;
	if (source_copy(rp.head, wp.head, NULL, err) < 0 ||
	    wpipe_finish(&wp, NULL, NULL, err) < 0) {
		err_prefix(err, "copying %s to the archive dir", name);
		goto out;
	}
	if (atomic_file_commit(&af, err) < 0)
		goto out;
	rc = 0;
out:
	if (wp_open)
		wpipe_release(&wp);
	atomic_file_abort(&af);
	rpipe_release(&rp);
	if (fd >= 0)
		close(fd);
	free(path);
	buf_release(&local);
	return rc;
}

static int
push_name(char ***v, size_t *n, const char *name)
{
	char **p = realloc(*v, (*n + 1) * sizeof(*p));

	if (p == NULL)
		return -1;
	*v = p;
	p[*n] = strdup(name);
	if (p[*n] == NULL)
		return -1;
	(*n)++;
	return 0;
}

/* Does the target hold the manifest of the set ${ni} belongs to? */
static bool
remote_set_complete(const struct session *s, const struct name_info *ni)
{
	size_t i;

	for (i = 0; i < s->nremote; i++) {
		struct name_info r;

		if (!names_parse(s->remote[i], &s->o->pfx, &r) || !r.manifest ||
		    r.partial)
			continue;
		if ((ni->type == NAME_FULL || ni->type == NAME_FULL_SIG) &&
		    r.type == NAME_FULL && r.time == ni->time)
			return true;
		if ((ni->type == NAME_INC || ni->type == NAME_NEW_SIG) &&
		    r.type == NAME_INC && r.start == ni->start &&
		    r.end == ni->end)
			return true;
	}
	return false;
}

/*
 * A run killed after uploading a set's manifest but before renaming its
 * archive-dir files leaves .part files of a set that is complete on the
 * target: drop them, so the sync below copies the final ones.
 */
static int
drop_finished_partials(struct session *s, struct dupc_err *err)
{
	size_t i;
	bool any = false;

	for (i = 0; i < s->nlocal; i++) {
		struct name_info ni;
		struct dupc_err e;

		if (!names_parse(s->local[i], &s->o->pfx, &ni) || !ni.partial ||
		    !remote_set_complete(s, &ni))
			continue;
		log_info("Removing %s: the set is complete on the target",
		    s->local[i]);
		if (!s->o->dry_run &&
		    cache_remove(&s->cache, s->local[i], &e) == 0)
			any = true;
	}
	return any ? session_scan(s, err) : 0;
}

int
session_sync(struct session *s, int64_t t, struct dupc_err *err)
{
	char **missing = NULL, **spurious = NULL;
	size_t nmissing = 0, nspurious = 0, i;
	int rc = -1;

	/* duplicity warns about the collection as found, then syncs, then
	 * (if anything changed) warns about the result */
	status_warn(s);
	if (drop_finished_partials(s, err) < 0)
		return -1;

	for (i = 0; i < s->nremote; i++) {
		struct name_info ni;
		const char *r = s->remote[i];
		size_t blen = names_base_len(r);

		if (!is_metadata(s, r, &ni) || ni.partial)
			continue;
		if (!has_base(s, s->local, s->nlocal, r, blen, -1) &&
		    is_needed(s, r, t) && push_name(&missing, &nmissing, r) < 0)
			goto nomem;
	}
	for (i = 0; i < s->nlocal; i++) {
		struct name_info ni;
		const char *l = s->local[i];
		size_t blen = names_base_len(l);

		if (!is_metadata(s, l, &ni) || ni.partial)
			continue;
		if ((!has_base(s, s->remote, s->nremote, l, blen, 0) ||
			has_base(s, s->local, s->nlocal, l, blen, 1)) &&
		    push_name(&spurious, &nspurious, l) < 0)
			goto nomem;
	}
	if (nmissing == 0 && nspurious == 0) {
		log_notice(
		    "Local and Remote metadata are synchronized, no sync needed.");
		rc = 0;
		goto out;
	}
	if (nmissing > 1)
		qsort(missing, nmissing, sizeof(*missing), cmp_str);
	if (nspurious > 1)
		qsort(spurious, nspurious, sizeof(*spurious), cmp_str);
	if (s->o->dry_run) {
		struct buf b;

		buf_init(&b, 1 << 24);
		if (nmissing > 0) {
			buf_addstr(&b,
			    "Sync would copy the following from remote to local:");
			for (i = 0; i < nmissing; i++)
				buf_addf(&b, "\n%s", missing[i]);
			log_notice("%s", buf_str(&b));
		}
		buf_reset(&b);
		if (nspurious > 0) {
			buf_addstr(&b,
			    "Sync would remove the following spurious local files:");
			for (i = 0; i < nspurious; i++)
				buf_addf(&b, "\n%s", spurious[i]);
			log_notice("%s", buf_str(&b));
		}
		buf_release(&b);
		rc = 0;
		goto out;
	}
	log_notice("Synchronizing remote metadata to local cache...");
	for (i = 0; i < nspurious; i++) {
		struct dupc_err e;
		char *p = cache_path(&s->cache, spurious[i]);

		log_notice("Deleting local %s (not authoritative at backend).",
		    p ? p : spurious[i]);
		free(p);
		if (cache_remove(&s->cache, spurious[i], &e) < 0)
			log_warn("Unable to delete %s: %s", spurious[i], e.msg);
	}
	for (i = 0; i < nmissing; i++)
		if (copy_to_local(s, missing[i], err) < 0)
			goto out;
	rc = session_scan(s, err);
	if (rc == 0)
		status_warn(s);
	goto out;
nomem:
	err_set(err, E_GENERIC, "out of memory");
out:
	cache_names_free(missing, nmissing);
	cache_names_free(spurious, nspurious);
	return rc;
}

/* --- manifests --- */

static int
read_all(int fd, struct buf *b, struct dupc_err *err)
{
	char chunk[65536];

	for (;;) {
		ssize_t r = read(fd, chunk, sizeof(chunk));

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return err_errno(err, E_UNREADABLE_MANIFESTS,
			    "reading manifest");
		}
		if (r == 0)
			return 0;
		if (buf_add(b, chunk, (size_t)r) < 0)
			return err_set(err, E_UNREADABLE_MANIFESTS,
			    "manifest too large");
	}
}

static int
read_source_all(struct source *src, struct buf *b, struct dupc_err *err)
{
	char chunk[65536];

	for (;;) {
		size_t got;

		if (source_read(src, chunk, sizeof(chunk), &got, err) < 0)
			return -1;
		if (got == 0)
			return 0;
		if (buf_add(b, chunk, got) < 0)
			return err_set(err, E_UNREADABLE_MANIFESTS,
			    "manifest too large");
	}
}

int
session_manifest_from(struct session *s, const struct cset *set,
    enum manifest_source from, struct manifest *m, struct dupc_err *err)
{
	struct buf text, local;
	struct rpipe rp;
	int fd = -1, rc = -1;
	char *path = NULL;

	buf_init(&text, MANIFEST_MAX_BYTES);
	buf_init(&local, 4096);
	memset(&rp, 0, sizeof(rp));
	if (set->manifest == NULL) {
		err_set(err, E_NO_MANIFESTS, "backup set has no manifest");
		goto out;
	}
	/* the archive dir keeps manifests in plain text */
	if (from != MANIFEST_REMOTE &&
	    session_local_name(s, set->manifest, &local) == 0 &&
	    cache_exists(&s->cache, buf_str(&local))) {
		path = cache_path(&s->cache, buf_str(&local));
		fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
		if (fd >= 0 && read_all(fd, &text, err) < 0)
			goto out;
	}
	if (fd < 0 && from == MANIFEST_LOCAL) {
		rc = 1;
		goto out;
	}
	if (fd < 0) {
		fd = session_download(s, set->manifest, err);
		if (fd < 0)
			goto out;
		if (rpipe_open(&rp, s->o, set->manifest, fd, err) < 0 ||
		    read_source_all(rp.head, &text, err) < 0)
			goto out;
	}
	rc = manifest_parse(m, text.data ? text.data : "", text.len, err);
	if (rc < 0)
		err_prefix(err, "%s", set->manifest);
out:
	rpipe_release(&rp);
	if (fd >= 0)
		close(fd);
	free(path);
	buf_release(&text);
	buf_release(&local);
	return rc;
}

int
session_manifest(struct session *s, const struct cset *set, struct manifest *m,
    struct dupc_err *err)
{
	return session_manifest_from(s, set, MANIFEST_PREFER_LOCAL, m, err);
}
