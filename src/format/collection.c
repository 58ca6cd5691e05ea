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

/* Append ${p} to a pointer array; -1 on ENOMEM. */
static int
push_ptr(void ***arr, size_t *n, void *p)
{
	void **a = realloc(*arr, (*n + 1) * sizeof(*a));

	if (a == NULL)
		return -1;
	a[(*n)++] = p;
	*arr = a;
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
	size_t i;
	struct cset_volume *v;

	if (ni->encrypted && !s->encrypted && s->partial)
		s->encrypted = true;
	if (ni->manifest) {
		/* a second manifest for one set: keep the first, as a
		 * duplicate .part and remote name both describe it */
		if (s->manifest != NULL)
			return 0;
		s->manifest = strdup(name);
		return s->manifest ? 0 : err_set(err, E_GENERIC, "out of memory");
	}
	for (i = 0; i < s->nvols; i++) {
		if (s->vols[i].number == ni->volume)
			return err_set(err, E_GENERIC,
			    "volume %u is listed twice, as %s and %s; remove one of them",
			    ni->volume, s->vols[i].name, name);
		if (s->vols[i].number > ni->volume)
			break;
	}
	v = realloc(s->vols, (s->nvols + 1) * sizeof(*v));
	if (v == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	s->vols = v;
	memmove(&v[i + 1], &v[i], (s->nvols - i) * sizeof(*v));
	v[i].number = ni->volume;
	v[i].name = strdup(name);
	s->nvols++;
	return v[i].name ? 0 : err_set(err, E_GENERIC, "out of memory");
}

static int
add_to_sets(struct collection *c, const char *name,
    const struct name_prefixes *pfx, struct dupc_err *err)
{
	struct name_info ni;
	struct cset *s;
	size_t i;

	if (!names_parse(name, pfx, &ni) ||
	    (ni.type != NAME_FULL && ni.type != NAME_INC))
		return 0;
	for (i = 0; i < c->nsets; i++)
		if (set_matches(c->sets[i], &ni))
			return set_add_name(c->sets[i], name, &ni, err);
	s = calloc(1, sizeof(*s));
	if (s == NULL || push_ptr((void ***)&c->sets, &c->nsets, s) < 0) {
		free(s);
		return err_set(err, E_GENERIC, "out of memory");
	}
	s->type = ni.type;
	s->time = ni.time;
	s->start = ni.start;
	s->end = ni.end;
	s->partial = ni.partial;
	s->encrypted = ni.encrypted;
	return set_add_name(s, name, &ni, err);
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
		struct cset **p = realloc(ch->incs, (ch->ninc + 1) * sizeof(*p));

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
			struct chain *ch = realloc(c->chains,
			    (c->nchains + 1) * sizeof(*ch));

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
};

static int
cmp_sig_start(const void *a, const void *b)
{
	const struct signame *x = a, *y = b;

	return x->ni.start < y->ni.start ? -1 : x->ni.start > y->ni.start;
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
    bool local, const struct name_prefixes *pfx)
{
	struct signame *news = calloc(n ? n : 1, sizeof(*news));
	size_t nnew = 0, i, j, first = c->nsigchains;
	char ***orph = local ? &c->local_orphan_sigs : &c->remote_orphan_sigs;
	size_t *norph = local ? &c->nlocal_orphan_sigs : &c->nremote_orphan_sigs;

	if (news == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		struct name_info ni;

		if (!names_parse(names[i], pfx, &ni))
			continue;
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
		} else if (ni.type == NAME_NEW_SIG) {
			news[nnew].name = names[i];
			news[nnew++].ni = ni;
		}
	}
	/* a stable sort keeps listing order among equal start times */
	for (i = 1; i < nnew; i++) {
		struct signame t = news[i];

		for (j = i; j > 0 && cmp_sig_start(&news[j - 1], &t) > 0; j--)
			news[j] = news[j - 1];
		news[j] = t;
	}
	for (i = 0; i < nnew; i++) {
		int added = 0;

		for (j = first; j < c->nsigchains && !added; j++) {
			added = sigchain_add_inc(&c->sigchains[j], &news[i]);
			if (added < 0)
				goto fail;
		}
		if (!added) {
			char *dup = strdup(news[i].name);

			if (dup == NULL || push_ptr((void ***)orph, norph, dup) < 0) {
				free(dup);
				goto fail;
			}
		}
	}
	free(news);
	return 0;
fail:
	free(news);
	return -1;
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
	size_t i;

	memset(c, 0, sizeof(*c));
	c->matched_chain = c->matched_sig = -1;
	/* partial local sets first, as duplicity lists them first */
	for (i = 0; i < nlocal; i++) {
		struct name_info ni;

		if (names_parse(local[i], pfx, &ni) && ni.partial &&
		    add_to_sets(c, local[i], pfx, err) < 0)
			goto fail;
	}
	for (i = 0; i < nremote; i++)
		if (add_to_sets(c, remote[i], pfx, err) < 0)
			goto fail;
	if (build_chains(c, err) < 0)
		goto fail;
	if (c->nchains > 1)
		qsort(c->chains, c->nchains, sizeof(*c->chains), cmp_chain_end);
	if (build_sigchains(c, local, nlocal, true, pfx) < 0 ||
	    build_sigchains(c, remote, nremote, false, pfx) < 0) {
		err_set(err, E_GENERIC, "out of memory");
		goto fail;
	}
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

int64_t
collection_nth_full_time(const struct collection *c, size_t n)
{
	int64_t *times;
	size_t i, j, k = c->nchains;
	int64_t t;

	if (n == 0 || k < n)
		return 0;
	times = malloc(k * sizeof(*times));
	if (times == NULL)
		return 0;
	for (i = 0; i < k; i++)
		times[i] = c->chains[i].full->time;
	/* selection of the n-th largest by partial insertion sort */
	for (i = 1; i < k; i++)
		for (j = i; j > 0 && times[j - 1] < times[j]; j--) {
			int64_t x = times[j];

			times[j] = times[j - 1];
			times[j - 1] = x;
		}
	t = times[n - 1];
	free(times);
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
