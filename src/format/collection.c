/*
 * Collection analysis, following dup_collections.py step by step (see
 * duplicity-format.md section 2): sets from names, chains from sets, the
 * signature chains of each side, then the matched pair.
 */
#include "format/collection.h"

#include <stdlib.h>
#include <string.h>

#include "util/err.h"

static void
cset_free(struct cset *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nvols; i++)
		free(s->vols[i].name);
	free(s->vols);
	free(s->manifest);
	free(s);
}

static void
sigchain_release(struct sigchain *sc)
{
	size_t i;

	free(sc->fullsig);
	for (i = 0; i < sc->ninc; i++)
		free(sc->incs[i]);
	free(sc->incs);
	free(sc->inc_end);
}

static void
free_names(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
collection_release(struct collection *c)
{
	size_t i;

	for (i = 0; i < c->nsets; i++)
		cset_free(c->sets[i]);
	free(c->sets);
	for (i = 0; i < c->nchains; i++)
		free(c->chains[i].incs);
	free(c->chains);
	free(c->orphaned);
	free(c->incomplete);
	for (i = 0; i < c->nsigchains; i++)
		sigchain_release(&c->sigchains[i]);
	free(c->sigchains);
	free_names(c->local_orphan_sigs, c->nlocal_orphan_sigs);
	free_names(c->remote_orphan_sigs, c->nremote_orphan_sigs);
	memset(c, 0, sizeof(*c));
	c->matched_chain = c->matched_sig = -1;
}

/*
 * Room for one more of ${n} elements of ${size} bytes in an array that
 * only ever grows by one: its capacity is the next power of two (at
 * least 8), so appending n elements costs O(n).  -1 on ENOMEM.
 */
static int
grow(void *arrp, size_t n, size_t size)
{
	void **arr = arrp;
	void *a;

	if (n > 0 && (n < 8 || (n & (n - 1)) != 0))
		return 0;
	a = realloc(*arr, (n < 8 ? 8 : 2 * n) * size);
	if (a == NULL)
		return -1;
	*arr = a;
	return 0;
}

/* Append ${p} to a pointer array; -1 on ENOMEM. */
static int
push_ptr(void ***arr, size_t *n, void *p)
{
	if (grow(arr, *n, sizeof(**arr)) < 0)
		return -1;
	(*arr)[(*n)++] = p;
	return 0;
}

static bool
set_matches(const struct cset *s, const struct name_info *ni)
{
	if (s->type != ni->type)
		return false;
	if (s->type == NAME_FULL)
		return s->time == ni->time;
	return s->start == ni->start && s->end == ni->end;
}

static int
set_add_name(struct cset *s, const char *name, const struct name_info *ni,
    struct dupc_err *err)
{
	struct cset_volume *v;

	if (ni->encrypted && !s->encrypted && s->partial)
		s->encrypted = true;
	if (ni->manifest) {
		/* a second manifest for one set: keep the first, as a
		 * duplicate .part and remote name both describe it */
		if (s->manifest != NULL)
			return 0;
		s->manifest = strdup(name);
		return s->manifest ? 0
				   : err_set(err, E_GENERIC, "out of memory");
	}
	/* in listing order; sort_volumes() orders them once all are in */
	if (grow(&s->vols, s->nvols, sizeof(*s->vols)) < 0)
		return err_set(err, E_GENERIC, "out of memory");
	v = &s->vols[s->nvols];
	v->number = ni->volume;
	v->name = strdup(name);
	if (v->name == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	s->nvols++;
	return 0;
}

struct vol_ref {
	struct cset_volume v;
	size_t pos; /* listing order */
};

static int
cmp_vol_ref(const void *a, const void *b)
{
	const struct vol_ref *x = a, *y = b;

	if (x->v.number != y->v.number)
		return x->v.number < y->v.number ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Sort a set's volumes by number; a number listed twice is an error. */
static int
sort_volumes(struct cset *s, struct dupc_err *err)
{
	struct vol_ref *r;
	size_t i;
	int rc = 0;

	if (s->nvols < 2)
		return 0;
	r = malloc(s->nvols * sizeof(*r));
	if (r == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	for (i = 0; i < s->nvols; i++) {
		r[i].v = s->vols[i];
		r[i].pos = i;
	}
	qsort(r, s->nvols, sizeof(*r), cmp_vol_ref);
	for (i = 0; i < s->nvols; i++) {
		s->vols[i] = r[i].v;
		if (rc == 0 && i > 0 && r[i].v.number == r[i - 1].v.number)
			rc = err_set(err, E_GENERIC,
			    "volume %u is listed twice, as %s and %s; remove one of them",
			    r[i].v.number, r[i - 1].v.name, r[i].v.name);
	}
	free(r);
	return rc;
}

/*
 * The sets seen so far by (type, times), so that grouping n names costs
 * O(n) rather than a scan of every set per name.  ${slot} holds an index
 * into c->sets plus one (0: empty); ${cap} is a power of two, kept over
 * twice the number of sets.
 */
struct set_index {
	size_t *slot;
	size_t cap;
};

static size_t
set_hash(const struct name_info *ni)
{
	uint64_t h = (uint64_t)ni->type * 0x9e3779b97f4a7c15u;

	if (ni->type == NAME_FULL)
		h ^= (uint64_t)ni->time * 0xbf58476d1ce4e5b9u;
	else
		h ^= (uint64_t)ni->start * 0xbf58476d1ce4e5b9u ^
		     (uint64_t)ni->end * 0x94d049bb133111ebu;
	return (size_t)(h ^ h >> 31);
}

/* The set ${ni} belongs to, or NULL with *${at} its free slot. */
static struct cset *
set_find(const struct collection *c, const struct set_index *ix,
    const struct name_info *ni, size_t *at)
{
	size_t i = set_hash(ni) & (ix->cap - 1);

	for (; ix->slot[i] != 0; i = (i + 1) & (ix->cap - 1))
		if (set_matches(c->sets[ix->slot[i] - 1], ni))
			return c->sets[ix->slot[i] - 1];
	*at = i;
	return NULL;
}

/* Make room for one more set (rehashing into a table twice as big). */
static int
set_index_grow(const struct collection *c, struct set_index *ix)
{
	struct set_index big;
	size_t i;

	if (ix->cap > 2 * (c->nsets + 1))
		return 0;
	big.cap = ix->cap ? 2 * ix->cap : 64;
	big.slot = calloc(big.cap, sizeof(*big.slot));
	if (big.slot == NULL)
		return -1;
	for (i = 0; i < c->nsets; i++) {
		const struct cset *s = c->sets[i];
		struct name_info ni;
		size_t at;

		memset(&ni, 0, sizeof(ni));
		ni.type = s->type;
		ni.time = s->time;
		ni.start = s->start;
		ni.end = s->end;
		if (set_find(c, &big, &ni, &at) == NULL)
			big.slot[at] = i + 1;
	}
	free(ix->slot);
	*ix = big;
	return 0;
}

static int
add_to_sets(struct collection *c, struct set_index *ix, const char *name,
    const struct name_prefixes *pfx, struct dupc_err *err)
{
	struct name_info ni;
	struct cset *s;
	size_t at;

	if (!names_parse(name, pfx, &ni) ||
	    (ni.type != NAME_FULL && ni.type != NAME_INC))
		return 0;
	if (set_index_grow(c, ix) < 0)
		return err_set(err, E_GENERIC, "out of memory");
	s = set_find(c, ix, &ni, &at);
	if (s != NULL)
		return set_add_name(s, name, &ni, err);
	if (c->nsets >= COLLECTION_MAX_SETS)
		return err_set(err, E_GENERIC,
		    "the target holds more than %u backup sets; refusing to read it (remove old sets with remove-older-than)",
		    COLLECTION_MAX_SETS);
	s = calloc(1, sizeof(*s));
	if (s == NULL || push_ptr((void ***)&c->sets, &c->nsets, s) < 0) {
		free(s);
		return err_set(err, E_GENERIC, "out of memory");
	}
	ix->slot[at] = c->nsets;
	s->type = ni.type;
	s->time = ni.time;
	s->start = ni.start;
	s->end = ni.end;
	s->partial = ni.partial;
	s->encrypted = ni.encrypted;
	return set_add_name(s, name, &ni, err);
}

/* Group names into sets: local partial sets first, as duplicity lists
 * them first, then the target's. */
static int
build_sets(struct collection *c, const char *const *remote, size_t nremote,
    const char *const *local, size_t nlocal, const struct name_prefixes *pfx,
    struct dupc_err *err)
{
	struct set_index ix = { NULL, 0 };
	size_t i;
	int rc = -1;

	for (i = 0; i < nlocal; i++) {
		struct name_info ni;

		if (names_parse(local[i], pfx, &ni) && ni.partial &&
		    add_to_sets(c, &ix, local[i], pfx, err) < 0)
			goto out;
	}
	for (i = 0; i < nremote; i++)
		if (add_to_sets(c, &ix, remote[i], pfx, err) < 0)
			goto out;
	for (i = 0; i < c->nsets; i++)
		if (sort_volumes(c->sets[i], err) < 0)
			goto out;
	rc = 0;
out:
	free(ix.slot);
	return rc;
}

static int
cmp_set_time(const void *a, const void *b)
{
	int64_t x = cset_time(*(struct cset *const *)a);
	int64_t y = cset_time(*(struct cset *const *)b);

	return x < y ? -1 : x > y;
}

/* BackupChain.add_inc */
static bool
chain_add_inc(struct chain *ch, struct cset *s)
{
	if (ch->end == s->start) {
		struct cset **p =
		    realloc(ch->incs, (ch->ninc + 1) * sizeof(*p));

		if (p == NULL)
			return false;
		ch->incs = p;
		p[ch->ninc++] = s;
	} else if (ch->ninc > 0 && s->start == ch->incs[ch->ninc - 1]->start &&
		   s->end > ch->incs[ch->ninc - 1]->end) {
		/* "Preferring Backupset over previous one!" */
		ch->incs[ch->ninc - 1] = s;
	} else {
		return false;
	}
	ch->end = s->end;
	return true;
}

static int
build_chains(struct collection *c, struct dupc_err *err)
{
	struct cset **sorted = NULL;
	size_t n = 0, i, j;
	int rc = -1;

	for (i = 0; i < c->nsets; i++) {
		struct cset *s = c->sets[i];

		if (s->manifest == NULL) {
			if (push_ptr((void ***)&c->incomplete, &c->nincomplete,
				s) < 0)
				goto nomem;
		} else if (push_ptr((void ***)&sorted, &n, s) < 0) {
			goto nomem;
		}
	}
	if (n > 0)
		qsort(sorted, n, sizeof(*sorted), cmp_set_time);
	for (i = 0; i < n; i++) {
		struct cset *s = sorted[i];

		if (s->type == NAME_FULL) {
			struct chain *ch =
			    realloc(c->chains, (c->nchains + 1) * sizeof(*ch));

			if (ch == NULL)
				goto nomem;
			c->chains = ch;
			ch = &c->chains[c->nchains++];
			memset(ch, 0, sizeof(*ch));
			ch->full = s;
			ch->start = ch->end = s->time;
			continue;
		}
		for (j = 0; j < c->nchains; j++)
			if (chain_add_inc(&c->chains[j], s))
				break;
		if (j == c->nchains &&
		    push_ptr((void ***)&c->orphaned, &c->norphaned, s) < 0)
			goto nomem;
	}
	rc = 0;
	goto out;
nomem:
	err_set(err, E_GENERIC, "out of memory");
out:
	free(sorted);
	return rc;
}

static int
cmp_chain_end(const void *a, const void *b)
{
	const struct chain *x = a, *y = b;

	return x->end < y->end ? -1 : x->end > y->end;
}

struct signame {
	const char *name;
	struct name_info ni;
	size_t pos; /* listing order */
};

/* By start time; listing order among equal start times. */
static int
cmp_sig_start(const void *a, const void *b)
{
	const struct signame *x = a, *y = b;

	if (x->ni.start != y->ni.start)
		return x->ni.start < y->ni.start ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int
sigchain_add_inc(struct sigchain *sc, const struct signame *sn)
{
	char **p;
	int64_t *e;

	if (sn->ni.start != sc->end)
		return 0;
	p = realloc(sc->incs, (sc->ninc + 1) * sizeof(*p));
	if (p == NULL)
		return -1;
	sc->incs = p;
	e = realloc(sc->inc_end, (sc->ninc + 1) * sizeof(*e));
	if (e == NULL)
		return -1;
	sc->inc_end = e;
	p[sc->ninc] = strdup(sn->name);
	if (p[sc->ninc] == NULL)
		return -1;
	e[sc->ninc++] = sn->ni.end;
	sc->end = sn->ni.end;
	return 1;
}

/* get_signature_chains(local) */
static int
build_sigchains(struct collection *c, const char *const *names, size_t n,
    bool local, const struct name_prefixes *pfx, struct dupc_err *err)
{
	struct signame *news = calloc(n ? n : 1, sizeof(*news));
	size_t nnew = 0, nsig = 0, i, j, first = c->nsigchains;
	char ***orph = local ? &c->local_orphan_sigs : &c->remote_orphan_sigs;
	size_t *norph =
	    local ? &c->nlocal_orphan_sigs : &c->nremote_orphan_sigs;

	if (news == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	for (i = 0; i < n; i++) {
		struct name_info ni;

		if (!names_parse(names[i], pfx, &ni) ||
		    (ni.type != NAME_FULL_SIG && ni.type != NAME_NEW_SIG))
			continue;
		if (++nsig > COLLECTION_MAX_SETS) {
			free(news);
			return err_set(err, E_GENERIC,
			    "the %s holds more than %u signature files; refusing to read it",
			    local ? "archive dir" : "target",
			    COLLECTION_MAX_SETS);
		}
		if (ni.type == NAME_FULL_SIG) {
			struct sigchain *sc = realloc(c->sigchains,
			    (c->nsigchains + 1) * sizeof(*sc));

			if (sc == NULL)
				goto fail;
			c->sigchains = sc;
			sc = &c->sigchains[c->nsigchains];
			memset(sc, 0, sizeof(*sc));
			sc->local = local;
			sc->fullsig = strdup(names[i]);
			if (sc->fullsig == NULL)
				goto fail;
			sc->start = sc->end = ni.time;
			c->nsigchains++;
		} else {
			news[nnew].name = names[i];
			news[nnew].pos = nnew;
			news[nnew++].ni = ni;
		}
	}
	if (nnew > 1)
		qsort(news, nnew, sizeof(*news), cmp_sig_start);
	for (i = 0; i < nnew; i++) {
		int added = 0;

		for (j = first; j < c->nsigchains && !added; j++) {
			added = sigchain_add_inc(&c->sigchains[j], &news[i]);
			if (added < 0)
				goto fail;
		}
		if (!added) {
			char *dup = strdup(news[i].name);

			if (dup == NULL ||
			    push_ptr((void ***)orph, norph, dup) < 0) {
				free(dup);
				goto fail;
			}
		}
	}
	free(news);
	return 0;
fail:
	free(news);
	return err_set(err, E_GENERIC, "out of memory");
}

static int
cmp_sigchain(const void *a, const void *b)
{
	const struct sigchain *x = a, *y = b;

	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	/* on a tie the remote chain goes first, the local one last */
	return (int)x->local - (int)y->local;
}

/* set_matched_chain_pair */
static void
match(struct collection *c)
{
	struct chain *last;
	size_t i;

	c->matched_chain = c->matched_sig = -1;
	if (c->nsigchains == 0 || c->nchains == 0)
		return;
	last = &c->chains[c->nchains - 1];
	for (i = c->nsigchains; i-- > 0;) {
		struct sigchain *sc = &c->sigchains[i];

		if (sc->end == last->end) {
			/* matches */
		} else if (last->ninc >= 2 &&
			   sc->end == last->incs[last->ninc - 2]->end) {
			/* (duplicity compares with the second-to-last set's
			 * end_time, which a full set does not have, so a
			 * chain of one inc is never trimmed) */
			/* "Warning, discarding last backup set, because of
			 * missing signature file." */
			push_ptr((void ***)&c->incomplete, &c->nincomplete,
			    last->incs[last->ninc - 1]);
			last->ninc--;
			last->end = last->ninc ? last->incs[last->ninc - 1]->end
					       : last->full->time;
			c->discarded_last = true;
		} else {
			continue;
		}
		c->matched_chain = (int)(c->nchains - 1);
		c->matched_sig = (int)i;
		break;
	}
}

int
collection_build(struct collection *c, const char *const *remote,
    size_t nremote, const char *const *local, size_t nlocal,
    const struct name_prefixes *pfx, struct dupc_err *err)
{
	memset(c, 0, sizeof(*c));
	c->matched_chain = c->matched_sig = -1;
	if (build_sets(c, remote, nremote, local, nlocal, pfx, err) < 0 ||
	    build_chains(c, err) < 0)
		goto fail;
	if (c->nchains > 1)
		qsort(c->chains, c->nchains, sizeof(*c->chains), cmp_chain_end);
	if (build_sigchains(c, local, nlocal, true, pfx, err) < 0 ||
	    build_sigchains(c, remote, nremote, false, pfx, err) < 0)
		goto fail;
	if (c->nsigchains > 1)
		qsort(c->sigchains, c->nsigchains, sizeof(*c->sigchains),
		    cmp_sigchain);
	match(c);
	return 0;
fail:
	collection_release(c);
	return -1;
}

const struct chain *
collection_primary(const struct collection *c)
{
	return c->matched_chain >= 0 ? &c->chains[c->matched_chain] : NULL;
}

const struct chain *
collection_chain_at(const struct collection *c, int64_t t, bool *ambiguous)
{
	const struct chain *cover = NULL, *old = NULL;
	size_t i, ncover = 0;

	*ambiguous = false;
	if (c->nchains == 0)
		return NULL;
	for (i = 0; i < c->nchains; i++) {
		if (c->chains[i].start <= t && t <= c->chains[i].end) {
			cover = &c->chains[i];
			ncover++;
		}
		if (c->chains[i].end < t)
			old = &c->chains[i];
	}
	if (ncover > 1)
		*ambiguous = true;
	if (ncover >= 1)
		return cover;
	return old ? old : &c->chains[0];
}

const struct sigchain *
collection_sigchain_at(const struct collection *c, int64_t t)
{
	const struct sigchain *cover = NULL, *old = NULL;
	size_t i;

	if (c->nsigchains == 0)
		return NULL;
	for (i = 0; i < c->nsigchains; i++) {
		if (c->sigchains[i].start <= t && t <= c->sigchains[i].end)
			cover = &c->sigchains[i];
		if (c->sigchains[i].end < t)
			old = &c->sigchains[i];
	}
	if (cover != NULL)
		return cover;
	return old ? old : &c->sigchains[0];
}

static int
cmp_time_desc(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x > y ? -1 : x < y;
}

int64_t
collection_nth_full_time(const struct collection *c, size_t n)
{
	int64_t *times;
	size_t i, k = c->nchains;
	int64_t t;

	if (n == 0 || k < n)
		return 0;
	times = malloc(k * sizeof(*times));
	if (times == NULL)
		return 0;
	for (i = 0; i < k; i++)
		times[i] = c->chains[i].full->time;
	qsort(times, k, sizeof(*times), cmp_time_desc);
	t = times[n - 1];
	free(times);
	return t;
}

int64_t
collection_last_complete_full(const struct collection *c)
{
	int64_t t = 0;
	size_t i;

	for (i = 0; i < c->nchains; i++)
		if (!c->chains[i].full->partial && c->chains[i].full->time > t)
			t = c->chains[i].full->time;
	return t;
}

const struct cset *
chain_last(const struct chain *ch)
{
	return ch->ninc ? ch->incs[ch->ninc - 1] : ch->full;
}

size_t
chain_nvolumes(const struct chain *ch)
{
	size_t n = ch->full->nvols, i;

	for (i = 0; i < ch->ninc; i++)
		n += ch->incs[i]->nvols;
	return n;
}

const char *
cset_find_volume(const struct cset *s, unsigned n)
{
	size_t i;

	for (i = 0; i < s->nvols; i++)
		if (s->vols[i].number == n)
			return s->vols[i].name;
	return NULL;
}
