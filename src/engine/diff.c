/*
 * diff TIME_A TIME_B: what changed between two backup times, read from
 * the signature files alone (no volume is downloaded).  The state of the
 * tree at each time is a signature chain read up to that time
 * (sigread.c); the two ordered streams are merged by path.  Content is
 * compared through the rsync signatures, which are a function of the
 * content: different signatures mean different data, and the same
 * entry of the same signature file means the same object.
 *
 * Kinds, one letter each: '+' new, '-' deleted, 'T' type changed, 'M'
 * content changed (a file's data, a symlink's target, a device's
 * numbers), 'U' metadata only (mode, owner, mtime; a symlink's mtime is
 * left out, as a restore does not set it).
 */
#define _DEFAULT_SOURCE
#include "engine/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/session.h"
#include "engine/sigread.h"
#include "format/collection.h"
#include "format/dtime.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"
#include "util/path.h"

#define CMP_BLOCK 65536

enum change {
	CH_NEW,
	CH_DELETED,
	CH_MODIFIED,
	CH_TYPE,
	CH_META,
	CH_NONE,
};

static const struct {
	char letter;
	const char *text; /* in the summary line */
	const char *key;  /* in the JSON summary */
} changes[] = {
	{ '+', "new", "new" },
	{ '-', "deleted", "deleted" },
	{ 'M', "modified", "modified" },
	{ 'T', "type changed", "type_changed" },
	{ 'U', "metadata only", "metadata_only" },
};

struct side {
	const struct sigchain *sc;
	int64_t t;
	struct sigmerge *m;
	struct sig_entry e;
	int have; /* 1 when e holds an entry that exists at t */
};

struct diffrun {
	const struct dupc_opts *o;
	struct side a, b;
	unsigned char *ba, *bb;
	uint64_t count[CH_NONE];
	struct json_out *jo;
};

/* The next entry of a side that exists at its time (deletions skipped). */
static int
side_peek(struct side *sd, struct dupc_err *err)
{
	for (;;) {
		int r = sigmerge_peek(sd->m, &sd->e, err);

		if (r <= 0) {
			sd->have = 0;
			return r;
		}
		if (sd->e.kind != EK_DELETED && sd->e.meta->type != OBJ_NONE) {
			sd->have = 1;
			return 1;
		}
		if (sigmerge_next(sd->m, err) < 0)
			return -1;
	}
}

static int
read_block(struct sigmerge *m, unsigned char *p, size_t *got,
    struct dupc_err *err)
{
	size_t n;

	*got = 0;
	do {
		if (sigmerge_read(m, p + *got, CMP_BLOCK - *got, &n, err) < 0)
			return -1;
		*got += n;
	} while (n > 0 && *got < CMP_BLOCK);
	return 0;
}

/* Do the two current entries' signatures hold the same bytes? */
static int
same_signature(struct diffrun *d, bool *same, struct dupc_err *err)
{
	*same = d->a.e.meta->size == d->b.e.meta->size;
	while (*same) {
		size_t na, nb;

		if (read_block(d->a.m, d->ba, &na, err) < 0 ||
		    read_block(d->b.m, d->bb, &nb, err) < 0)
			return -1;
		if (na != nb || memcmp(d->ba, d->bb, na) != 0)
			*same = false;
		if (na == 0 || nb == 0)
			break;
	}
	return 0;
}

/* How the object present at both times changed. */
static int
compare(struct diffrun *d, enum change *ch, struct dupc_err *err)
{
	const struct sig_entry *x = &d->a.e, *y = &d->b.e;
	const struct obj_meta *p = x->meta, *q = y->meta;
	bool same = true;

	*ch = CH_NONE;
	/* the same entry of the same signature file: nothing changed */
	if (d->a.sc == d->b.sc && x->time == y->time)
		return 0;
	if (p->type != q->type) {
		*ch = CH_TYPE;
		return 0;
	}
	if (p->type == OBJ_REG && x->kind == EK_SIGNATURE &&
	    y->kind == EK_SIGNATURE) {
		if (same_signature(d, &same, err) < 0)
			return -1;
	} else if (p->type == OBJ_SYMLINK) {
		same = strcmp(p->linkname ? p->linkname : "",
			   q->linkname ? q->linkname : "") == 0;
	} else if (p->type == OBJ_CHR || p->type == OBJ_BLK) {
		same = p->devmajor == q->devmajor && p->devminor == q->devminor;
	}
	if (!same)
		*ch = CH_MODIFIED;
	else if (p->mode != q->mode || x->uid != y->uid || x->gid != y->gid ||
		 (p->type != OBJ_SYMLINK && p->mtime != q->mtime))
		*ch = CH_META;
	return 0;
}

static void
report(struct diffrun *d, enum change ch, const char *index,
    const struct obj_meta *from, const struct obj_meta *to)
{
	const char *path = *index ? index : ".";

	d->count[ch]++;
	if (d->jo == NULL) {
		printf("%c %s\n", changes[ch].letter, path);
		return;
	}
	jout_object_begin(d->jo, NULL);
	jout_path(d->jo, "path", path);
	jout_string(d->jo, "change", (char[]){ changes[ch].letter, '\0' });
	if (from != NULL)
		jout_string(d->jo, "type_a", meta_type_name(from->type));
	else
		jout_null(d->jo, "type_a");
	if (to != NULL)
		jout_string(d->jo, "type_b", meta_type_name(to->type));
	else
		jout_null(d->jo, "type_b");
	jout_object_end(d->jo);
}

/* One step of the merge: the smaller path, or the path both hold. */
static int
step(struct diffrun *d, struct dupc_err *err)
{
	int c;
	enum change ch;

	if (!d->b.have)
		c = -1;
	else if (!d->a.have)
		c = 1;
	else
		c = index_cmp(d->a.e.index, d->b.e.index);
	if (c < 0) {
		report(d, CH_DELETED, d->a.e.index, d->a.e.meta, NULL);
		return sigmerge_next(d->a.m, err);
	}
	if (c > 0) {
		report(d, CH_NEW, d->b.e.index, NULL, d->b.e.meta);
		return sigmerge_next(d->b.m, err);
	}
	if (compare(d, &ch, err) < 0)
		return -1;
	if (ch != CH_NONE)
		report(d, ch, d->a.e.index, d->a.e.meta, d->b.e.meta);
	if (sigmerge_next(d->a.m, err) < 0)
		return -1;
	return sigmerge_next(d->b.m, err);
}

static int
run_merge(struct diffrun *d, struct dupc_err *err)
{
	for (;;) {
		if (side_peek(&d->a, err) < 0 || side_peek(&d->b, err) < 0)
			return -1;
		if (!d->a.have && !d->b.have)
			return 0;
		if (step(d, err) < 0)
			return -1;
	}
}

/* The signature chain that tells the state at ${t}, as list-current-files
 * picks it. */
static int
open_side(struct session *s, struct side *sd, int64_t t, struct dupc_err *err)
{
	char pretty[DTIME_STR_MAX];

	sd->t = t;
	sd->sc = collection_sigchain_at(&s->col, t);
	if (sd->sc == NULL)
		return err_set(err, E_NO_MANIFESTS,
		    "no signature chains found on %s; nothing to compare",
		    s->o->url);
	if (t < sd->sc->start)
		log_msg(LOG_WARNING, WARN_NO_SIG_FOR_TIME, NULL,
		    "No signature chain for the requested time. Using oldest available chain, starting at time %s.",
		    dtime_pretty(sd->sc->start, pretty));
	sd->m = sigmerge_open(s, sd->sc, t, err);
	return sd->m == NULL ? -1 : 0;
}

static void
json_time(struct json_out *jo, const char *key, int64_t t)
{
	char name[32], iso[DTIME_STR_MAX];

	jout_int(jo, key, t);
	snprintf(name, sizeof(name), "%s_str", key);
	jout_string(jo, name, dtime_to_iso(t, iso));
}

static void
report_begin(struct diffrun *d)
{
	if (d->jo == NULL)
		return;
	jout_object_begin(d->jo, NULL);
	jout_string(d->jo, "command", "diff");
	jout_int(d->jo, "version", 1);
	json_time(d->jo, "time_a", d->a.t);
	json_time(d->jo, "time_b", d->b.t);
	json_time(d->jo, "chain_a", d->a.sc->start);
	json_time(d->jo, "chain_b", d->b.sc->start);
	jout_array_begin(d->jo, "changes");
}

static int
report_end(struct diffrun *d, struct dupc_err *err)
{
	size_t i;

	if (d->jo == NULL) {
		for (i = 0; i < CH_NONE; i++)
			printf("%s%llu %s", i ? ", " : "",
			    (unsigned long long)d->count[i], changes[i].text);
		printf("\n");
		if (fflush(stdout) != 0)
			return err_errno(err, E_GENERIC, "writing the listing");
		return 0;
	}
	jout_array_end(d->jo);
	jout_object_begin(d->jo, "summary");
	for (i = 0; i < CH_NONE; i++)
		jout_int(d->jo, changes[i].key, (int64_t)d->count[i]);
	jout_object_end(d->jo);
	jout_object_end(d->jo);
	return jout_finish(d->jo, err);
}

int
engine_diff(const struct dupc_opts *o, struct dupc_err *err)
{
	struct diffrun d;
	struct session s;
	int rc = -1;

	memset(&d, 0, sizeof(d));
	d.o = o;
	if (session_open(&s, o, SESSION_LOCK_SHARED, err) < 0)
		return -1;
	d.ba = malloc(CMP_BLOCK);
	d.bb = malloc(CMP_BLOCK);
	if (d.ba == NULL || d.bb == NULL ||
	    (o->json && (d.jo = jout_new(stdout, 2)) == NULL)) {
		err_set(err, E_GENERIC, "out of memory");
		goto out;
	}
	if (session_sync(&s, o->diff_to, err) < 0 ||
	    open_side(&s, &d.a, o->diff_from, err) < 0 ||
	    open_side(&s, &d.b, o->diff_to, err) < 0)
		goto out;
	report_begin(&d);
	if (run_merge(&d, err) < 0 || report_end(&d, err) < 0)
		goto out;
	rc = 0;
out:
	jout_free(d.jo);
	sigmerge_free(d.a.m);
	sigmerge_free(d.b.m);
	free(d.ba);
	free(d.bb);
	session_close(&s);
	return rc;
}
