/*
 * check: is every file of every backup set on the target, whole and
 * unaltered?  It needs no passphrase and no secret key: the manifests it
 * reads are the archive dir's plain copies (or the target's, when they
 * are not encrypted), and a volume is checked as it is stored, against
 * the manifest's hash of the stored (encrypted) file.  It takes no lock
 * and writes nothing on the target, so it never stops a backup.
 *
 * Every set's manifest, volumes and signature file must be listed, not
 * empty, and of the size recorded when they were stored (the archive
 * dir's record of stored files, format/checksums.h).  --read-data reads
 * every volume, --read-data-subset a share of them (N% at random, or the
 * K-th of M groups, as restic's check does): each is downloaded and
 * hashed, or, on a backend that reports content hashes, its hash there is
 * compared with the one recorded when it was stored.  Each file found
 * missing or damaged is named with the sets it breaks: its own and every
 * later set of its chain.
 */
#define _DEFAULT_SOURCE
#include "engine/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "backend/backend.h"
#include "cache/cache.h"
#include "engine/session.h"
#include "format/checksums.h"
#include "format/collection.h"
#include "format/dtime.h"
#include "format/manifest.h"
#include "format/names.h"
#include "util/buf.h"
#include "util/digest.h"
#include "util/err.h"
#include "util/interrupt.h"
#include "util/log.h"

#define BROKEN_SHOWN 4 /* set times named per problem, then "and N more" */

/* One backup set, from the target's listing or the archive dir. */
struct item {
	enum name_type type;
	int64_t time, start, end;
	const struct cset *remote; /* its files on the target, or NULL */
	const char *local;         /* the archive dir's manifest, or NULL */
	int chain;                 /* chain number, -1 when in none */
};

/* What the record of stored files says of one listed file. */
struct rec {
	const char *name;
	uint64_t size;
	char sha256[DIGEST_HEX_MAX];
	bool have;
};

/* A volume to read: its name, its set and the manifest's hash. */
struct vol {
	const char *name;
	size_t item;
	char hash_type[8];
	char hash[136];
};

struct check {
	struct session *s;
	struct item *items;
	size_t nitems;
	struct rec *recs; /* one per listed file, sorted by name */
	size_t nrecs;
	struct vol *vols;
	size_t nvols;
	uint64_t files, problems, read, unread;
};

static int
nomem(struct dupc_err *err)
{
	return err_set(err, E_GENERIC, "out of memory");
}

static int64_t
item_time(const struct item *it)
{
	return it->type == NAME_FULL ? it->time : it->end;
}

static int
cmp_item(const void *a, const void *b)
{
	int64_t x = item_time(a), y = item_time(b);

	return x < y ? -1 : x > y;
}

static bool
same_set(const struct item *it, const struct name_info *ni)
{
	if (it->type != ni->type)
		return false;
	return it->type == NAME_FULL
		   ? it->time == ni->time
		   : it->start == ni->start && it->end == ni->end;
}

static int
add_item(struct check *ck, const struct name_info *ni, struct item **out,
    struct dupc_err *err)
{
	struct item *p = realloc(ck->items, (ck->nitems + 1) * sizeof(*p));

	if (p == NULL)
		return nomem(err);
	ck->items = p;
	p += ck->nitems++;
	memset(p, 0, sizeof(*p));
	p->type = ni->type;
	p->time = ni->time;
	p->start = ni->start;
	p->end = ni->end;
	p->chain = -1;
	*out = p;
	return 0;
}

/*
 * The sets to check: every set the collection knows (but an interrupted
 * one, which the next backup resumes), and every set of which the archive
 * dir keeps a manifest and the target still holds something.
 */
static int
gather(struct check *ck, struct dupc_err *err)
{
	const struct session *s = ck->s;
	char when[DTIME_STR_MAX];
	struct name_info ni;
	struct item *it = NULL;
	size_t i, k;

	for (i = 0; i < s->col.nsets; i++) {
		const struct cset *set = s->col.sets[i];

		if (set->partial) {
			log_notice(
			    "The backup set of %s was interrupted; the next backup resumes it",
			    dtime_pretty(cset_time(set), when));
			continue;
		}
		memset(&ni, 0, sizeof(ni));
		ni.type = set->type;
		ni.time = set->time;
		ni.start = set->start;
		ni.end = set->end;
		if (add_item(ck, &ni, &it, err) < 0)
			return -1;
		it->remote = set;
	}
	for (i = 0; i < s->nlocal; i++) {
		if (!names_parse(s->local[i], &s->o->pfx, &ni) ||
		    !ni.manifest || ni.partial)
			continue;
		for (k = 0; k < ck->nitems && !same_set(&ck->items[k], &ni);
		     k++)
			;
		if (k < ck->nitems) {
			ck->items[k].local = s->local[i];
			continue;
		}
		/* nothing of it left on the target: removed, not damaged */
		log_info(
		    "%s is in the archive dir, but its set is no longer on the target",
		    s->local[i]);
	}
	qsort(ck->items, ck->nitems, sizeof(*ck->items), cmp_item);
	return 0;
}

/* Chains, as the collection builds them, over every gathered set. */
static void
assign_chains(struct check *ck)
{
	int64_t *end = calloc(ck->nitems + 1, sizeof(*end));
	int n = 0;
	size_t i;
	int c;

	if (end == NULL)
		return;
	for (i = 0; i < ck->nitems; i++) {
		struct item *it = &ck->items[i];

		if (it->type == NAME_FULL) {
			it->chain = n;
			end[n++] = it->time;
			continue;
		}
		for (c = n - 1; c >= 0 && end[c] != it->start; c--)
			;
		if (c >= 0) {
			it->chain = c;
			end[c] = it->end;
		}
	}
	free(end);
}

/* "the backups of <t1>, <t2> and 3 more" that a problem in ${i} breaks. */
static void
broken_sets(const struct check *ck, size_t i, struct buf *b)
{
	const struct item *at = &ck->items[i];
	size_t k, n = 0, shown = 0;
	char when[DTIME_STR_MAX];

	for (k = i; k < ck->nitems; k++)
		if (k == i ||
		    (at->chain >= 0 && ck->items[k].chain == at->chain))
			n++;
	buf_addstr(b, n == 1 ? "the backup of " : "the backups of ");
	for (k = i; k < ck->nitems && shown < BROKEN_SHOWN; k++) {
		if (k != i &&
		    (at->chain < 0 || ck->items[k].chain != at->chain))
			continue;
		buf_addf(b, "%s%s",
		    shown == 0       ? ""
		    : shown + 1 == n ? " and "
				     : ", ",
		    dtime_pretty(item_time(&ck->items[k]), when));
		shown++;
	}
	if (n > shown)
		buf_addf(b, " and %zu later ones", n - shown);
}

/* One missing or damaged file, named with the sets it breaks. */
static void
problem(struct check *ck, size_t i, const char *name, const char *what)
{
	struct buf b;

	buf_init(&b, 4096);
	broken_sets(ck, i, &b);
	log_warn("%s: %s; it breaks %s", name, what, buf_str(&b));
	buf_release(&b);
	ck->problems++;
}

static int
cmp_rec(const void *a, const void *b)
{
	return strcmp(((const struct rec *)a)->name,
	    ((const struct rec *)b)->name);
}

static struct rec *
find_rec(const struct check *ck, const char *name)
{
	struct rec key = { name, 0, "", false };

	return ck->nrecs == 0
		   ? NULL
		   : bsearch(&key, ck->recs, ck->nrecs, sizeof(key), cmp_rec);
}

/* A line of the record: kept when it names a listed file. */
static int
take_line(const struct checksum_line *l, void *arg)
{
	struct check *ck = arg;
	char name[256];
	struct rec *r;

	memcpy(name, l->name, l->name_len);
	name[l->name_len] = '\0';
	if ((r = find_rec(ck, name)) == NULL)
		return 0;
	/* a line without the hash says nothing new of a file of that size */
	if (!r->have || r->size != l->size || l->sha256[0] != '\0')
		memcpy(r->sha256, l->sha256, sizeof(r->sha256));
	r->size = l->size;
	r->have = true;
	return 0;
}

static int
load_records(struct check *ck, struct dupc_err *err)
{
	const struct session *s = ck->s;
	size_t i;

	if (s->nremote == 0)
		return 0;
	ck->recs = calloc(s->nremote, sizeof(*ck->recs));
	if (ck->recs == NULL)
		return nomem(err);
	for (i = 0; i < s->nremote; i++)
		ck->recs[i].name = s->remote[i];
	ck->nrecs = s->nremote;
	qsort(ck->recs, ck->nrecs, sizeof(*ck->recs), cmp_rec);
	return cache_checksum_scan(&s->cache, take_line, ck, err);
}

/*
 * Is the listed file ${name} whole as far as its size tells?  True when
 * it is; a problem of set ${i} otherwise.
 */
static bool
check_size(struct check *ck, size_t i, const char *name)
{
	const struct rec *r = find_rec(ck, name);
	uint64_t size = 0;
	char what[128];

	if (session_remote_size(ck->s, name, &size) < 0) {
		problem(ck, i, name, "missing");
		return false;
	}
	ck->files++;
	if (r != NULL && r->have && r->size != size) {
		snprintf(what, sizeof(what), "%llu bytes, stored with %llu",
		    (unsigned long long)size, (unsigned long long)r->size);
		problem(ck, i, name, what);
		return false;
	}
	if (size == 0) {
		problem(ck, i, name, "empty");
		return false;
	}
	return true;
}

/* The signature file of the set: listed and of its size. */
static void
check_signature(struct check *ck, size_t i)
{
	const struct item *it = &ck->items[i];
	const struct session *s = ck->s;
	char what[128], when[DTIME_STR_MAX];
	struct name_info ni;
	size_t k;

	for (k = 0; k < s->nremote; k++) {
		if (!names_parse(s->remote[k], &s->o->pfx, &ni) ||
		    ni.type != (it->type == NAME_FULL ? NAME_FULL_SIG
						      : NAME_NEW_SIG) ||
		    (it->type == NAME_FULL
			    ? ni.time != it->time
			    : ni.start != it->start || ni.end != it->end))
			continue;
		check_size(ck, i, s->remote[k]);
		return;
	}
	snprintf(what, sizeof(what), "the signature file of the backup of %s",
	    dtime_pretty(item_time(it), when));
	problem(ck, i, what,
	    "missing from the target (the next backup will be a full one)");
}

/* Read a manifest of the archive dir (plain text, bounded). */
static int
load_local_manifest(struct check *ck, const char *name, struct manifest *m,
    struct dupc_err *err)
{
	char *path = cache_path(&ck->s->cache, name);
	struct buf text;
	char chunk[65536];
	ssize_t r;
	int fd, rc = -1;

	buf_init(&text, MANIFEST_MAX_BYTES);
	fd = path != NULL ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (fd < 0) {
		err_errno(err, E_UNREADABLE_MANIFESTS, "cannot read %s",
		    path != NULL ? path : name);
		goto out;
	}
	while ((r = read(fd, chunk, sizeof(chunk))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || buf_add(&text, chunk, (size_t)r) < 0) {
			err_set(err, E_UNREADABLE_MANIFESTS, "cannot read %s",
			    path);
			goto out;
		}
	}
	rc = manifest_parse(m, text.data ? text.data : "", text.len, err);
out:
	if (fd >= 0)
		close(fd);
	free(path);
	buf_release(&text);
	return rc;
}

/*
 * The set's manifest, without a key: the archive dir's, else the
 * target's when it is not encrypted.  0, 1 when none can be read
 * (noted), -1 on error.
 */
static int
set_manifest(struct check *ck, size_t i, struct manifest *m,
    struct dupc_err *err)
{
	const struct item *it = &ck->items[i];
	struct name_info ni;
	char when[DTIME_STR_MAX];

	if (it->local != NULL)
		return load_local_manifest(ck, it->local, m, err);
	if (it->remote != NULL && it->remote->manifest != NULL &&
	    names_parse(it->remote->manifest, &ck->s->o->pfx, &ni) &&
	    !ni.encrypted)
		return session_manifest_from(ck->s, it->remote, MANIFEST_REMOTE,
		    m, err);
	log_warn(
	    "The manifest of the backup of %s is encrypted and not in the archive dir: its volumes are checked by name only (run a backup or collection-status with the key to copy it)",
	    dtime_pretty(item_time(it), when));
	return 1;
}

static int
add_vol(struct check *ck, const char *name, size_t i,
    const struct manifest_volume *mv, struct dupc_err *err)
{
	struct vol *p = realloc(ck->vols, (ck->nvols + 1) * sizeof(*p));
	const char *type, *hex;

	if (p == NULL)
		return nomem(err);
	ck->vols = p;
	p += ck->nvols;
	memset(p, 0, sizeof(*p));
	p->name = name;
	p->item = i;
	if (manifest_best_hash(mv, &type, &hex) == 0) {
		snprintf(p->hash_type, sizeof(p->hash_type), "%s", type);
		snprintf(p->hash, sizeof(p->hash), "%s", hex);
	}
	ck->nvols++;
	return 0;
}

/*
 * The name volume ${n} of set ${i} would have, its suffix that of the
 * set's other files on the target.
 */
static void
volume_name(const struct check *ck, size_t i, unsigned n, char *out,
    size_t size)
{
	const struct item *it = &ck->items[i];
	const struct cset *set = it->remote;
	enum name_suffix suffix = SUFFIX_GPG;
	struct name_info ni;
	struct buf b;

	if (set != NULL &&
	    names_parse(set->nvols > 0 ? set->vols[0].name : set->manifest,
		&ck->s->o->pfx, &ni))
		suffix = ni.encrypted                       ? SUFFIX_GPG
			 : set->nvols > 0 && !ni.compressed ? SUFFIX_NONE
							    : SUFFIX_GZ;
	memset(&ni, 0, sizeof(ni));
	ni.type = it->type;
	ni.time = it->time;
	ni.start = it->start;
	ni.end = it->end;
	ni.volume = n;
	buf_init(&b, 1024);
	if (names_build(&b, &ck->s->o->pfx, &ni, suffix) == 0)
		snprintf(out, size, "%s", buf_str(&b));
	else
		snprintf(out, size, "volume %u", n);
	buf_release(&b);
}

/* The volumes a manifest lists: each on the target, of its size. */
static int
check_volumes(struct check *ck, size_t i, const struct manifest *m,
    struct dupc_err *err)
{
	const struct cset *set = ck->items[i].remote;
	char missing[300];
	size_t k;

	for (k = 0; k < m->nvols; k++) {
		const char *name =
		    set != NULL ? cset_find_volume(set, m->vols[k].number)
				: NULL;

		if (name == NULL) {
			volume_name(ck, i, m->vols[k].number, missing,
			    sizeof(missing));
			problem(ck, i, missing, "missing from the target");
			continue;
		}
		if (check_size(ck, i, name) &&
		    add_vol(ck, name, i, &m->vols[k], err) < 0)
			return -1;
	}
	return 0;
}

/* Volumes without a readable manifest: present and not empty. */
static void
check_volumes_by_name(struct check *ck, size_t i)
{
	const struct cset *set = ck->items[i].remote;
	size_t k;

	for (k = 0; set != NULL && k < set->nvols; k++)
		check_size(ck, i, set->vols[k].name);
}

static int
check_set(struct check *ck, size_t i, struct dupc_err *err)
{
	const struct item *it = &ck->items[i];
	char when[DTIME_STR_MAX];
	struct manifest m;
	int rc;

	if (it->remote == NULL || it->remote->manifest == NULL) {
		if (it->local == NULL) {
			log_notice(
			    "The backup set of %s has no manifest: a backup in progress, or one interrupted elsewhere (cleanup removes it)",
			    dtime_pretty(item_time(it), when));
			return 0;
		}
		problem(ck, i, it->local, "its copy on the target is missing");
	} else {
		check_size(ck, i, it->remote->manifest);
	}
	manifest_init(&m);
	rc = set_manifest(ck, i, &m, err);
	if (rc == 0)
		rc = check_volumes(ck, i, &m, err);
	else if (rc == 1)
		check_volumes_by_name(ck, i);
	manifest_release(&m);
	if (rc < 0)
		return -1;
	check_signature(ck, i);
	return 0;
}

/* The group (0 .. m-1) of a volume, from its name: stable across runs. */
static unsigned
group_of(const char *name, unsigned m)
{
	char hex[DIGEST_HEX_MAX];
	unsigned long v;

	digest_hex(DIGEST_SHA1, name, strlen(name), hex);
	hex[8] = '\0';
	v = strtoul(hex, NULL, 16);
	return (unsigned)(v % m);
}

/* Choose what to read: ${pick}[k] set for each volume read. */
static size_t
select_volumes(const struct check *ck, bool *pick)
{
	const struct dupc_opts *o = ck->s->o;
	size_t k, n = 0, want;
	unsigned seed = 0;

	for (k = 0; k < ck->nvols; k++) {
		pick[k] = o->check.read_all ||
			  (o->check.group_m > 0 &&
			      group_of(ck->vols[k].name, o->check.group_m) ==
				  o->check.group_k - 1);
		n += pick[k];
	}
	if (o->check.read_all || o->check.fraction <= 0)
		return n;
	want = (size_t)ceil(o->check.fraction * (double)ck->nvols);
	if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
		seed = (unsigned)getpid() ^ (unsigned)time(NULL);
	/* the first ${want} of a random permutation (Knuth's S) */
	for (k = 0; k < ck->nvols && n < want; k++) {
		if ((size_t)(rand_r(&seed) % (ck->nvols - k)) < want - n) {
			pick[k] = true;
			n++;
		}
	}
	return n;
}

/* Compare a backend's content hash with the one recorded: 0 intact, 1
 * damaged, 2 not possible here. */
static int
remote_hash(struct check *ck, const struct vol *v)
{
	const struct rec *r = find_rec(ck, v->name);
	char hex[DIGEST_HEX_MAX];
	struct dupc_err e;

	if (!(backend_flags(ck->s->be) & BACKEND_HASHES) || r == NULL ||
	    !r->have || r->sha256[0] == '\0')
		return 2;
	err_clear(&e);
	if (backend_sha256(ck->s->be, v->name, hex, &e) < 0)
		return 2;
	return strcmp(hex, r->sha256) == 0 ? 0 : 1;
}

/* Download and hash one volume: 0 intact, 1 damaged, -1 error. */
static int
read_volume(struct check *ck, const struct vol *v, struct dupc_err *err)
{
	char sha1[DIGEST_HEX_MAX], sha256[DIGEST_HEX_MAX];
	const struct rec *r;
	uint64_t size;
	int fd, rc;

	fd = session_download(ck->s, v->name, err);
	if (fd < 0)
		return -1;
	/* the SHA-256 is worth recording only where the backend reports
	 * one to compare it with later */
	sha256[0] = '\0';
	rc = digest_fd(fd, sha1,
	    backend_flags(ck->s->be) & BACKEND_HASHES ? sha256 : NULL, &size);
	if (rc < 0) {
		err_errno(err, E_GENERIC, "reading %s", v->name);
		close(fd);
		return -1;
	}
	close(fd);
	if (strcmp(v->hash, sha1) != 0)
		return 1;
	/* intact: remember it, so the next check need not download it */
	r = find_rec(ck, v->name);
	if (r == NULL || !r->have || r->size != size || r->sha256[0] == '\0')
		cache_checksum_add(&ck->s->cache, v->name, size, sha256, NULL);
	return 0;
}

/* One volume chosen for reading. */
static int
verify_volume(struct check *ck, const struct vol *v, struct dupc_err *err)
{
	struct dupc_err e;
	int rc = remote_hash(ck, v);

	if (rc == 1) {
		problem(ck, v->item, v->name,
		    "its content hash on the target differs from the one recorded when it was stored");
		return 0;
	}
	if (rc == 0) {
		ck->read++;
		return 0;
	}
	if (strcmp(v->hash_type, "SHA1") != 0) {
		ck->unread++;
		return 0;
	}
	err_clear(&e);
	rc = read_volume(ck, v, &e);
	if (rc < 0 && (e.cls != ERR_NOT_FOUND || interrupted())) {
		if (err != NULL)
			*err = e;
		return -1;
	}
	if (rc != 0)
		problem(ck, v->item, v->name,
		    rc == 1 ? "its SHA-1 differs from the manifest's (damaged)"
			    : "gone while being checked");
	else
		ck->read++;
	return 0;
}

static int
read_data(struct check *ck, struct dupc_err *err)
{
	bool *pick = calloc(ck->nvols + 1, sizeof(*pick));
	size_t k, n, done = 0;
	int rc = 0;

	if (pick == NULL)
		return nomem(err);
	n = select_volumes(ck, pick);
	log_notice("Reading %zu of %zu volumes", n, ck->nvols);
	for (k = 0; k < ck->nvols && rc == 0; k++) {
		if (!pick[k])
			continue;
		if (interrupted()) {
			rc = err_set(err, E_GENERIC, "interrupted");
			break;
		}
		log_info("Checking %s (%zu of %zu)", ck->vols[k].name, ++done,
		    n);
		rc = verify_volume(ck, &ck->vols[k], err);
	}
	free(pick);
	return rc;
}

static bool
wants_data(const struct dupc_opts *o)
{
	return o->check.read_all || o->check.fraction > 0 ||
	       o->check.group_m > 0;
}

static void
summary(const struct check *ck, const struct dupc_opts *o)
{
	if (ck->unread > 0)
		log_warn(
		    "%llu volumes have a hash other than SHA-1 in their manifest and were not read",
		    (unsigned long long)ck->unread);
	if (ck->problems == 0 && wants_data(o))
		log_notice(
		    "No errors were found: %llu files of %zu backup sets are on the target, %llu volumes read and intact",
		    (unsigned long long)ck->files, ck->nitems,
		    (unsigned long long)ck->read);
	else if (ck->problems == 0)
		log_notice(
		    "No errors were found: %llu files of %zu backup sets are on the target",
		    (unsigned long long)ck->files, ck->nitems);
	else
		log_notice("Found %llu missing or damaged files",
		    (unsigned long long)ck->problems);
}

int
engine_check(const struct dupc_opts *o, uint64_t *problems,
    struct dupc_err *err)
{
	struct check ck;
	struct session s;
	size_t i;
	int rc = -1;

	memset(&ck, 0, sizeof(ck));
	ck.s = &s;
	/* a reader: neither the archive dir's lock nor the target's */
	if (session_open(&s, o, false, err) < 0)
		return -1;
	if (gather(&ck, err) < 0 || load_records(&ck, err) < 0)
		goto out;
	assign_chains(&ck);
	for (i = 0; i < ck.nitems; i++)
		if (check_set(&ck, i, err) < 0)
			goto out;
	if (wants_data(o) && read_data(&ck, err) < 0)
		goto out;
	summary(&ck, o);
	*problems = ck.problems;
	rc = 0;
out:
	free(ck.items);
	free(ck.recs);
	free(ck.vols);
	session_close(&s);
	return rc;
}
