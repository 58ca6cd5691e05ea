/*
 * format/collection: sets, chains and signature chains from file names
 * (duplicity-format.md 2).
 */
#define _GNU_SOURCE
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/collection.h"
#include "format/dtime.h"
#include "util/err.h"

#define T(i) ((int64_t)1700000000 + 100 * (i)) /* T(0) = 20231114T221320Z */

/* A pool of names made for one test; freed by names_free(). */
struct names {
	char *v[64];
	size_t n;
};

static const char *add(struct names *ns, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static const char *
add(struct names *ns, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	assert_true(ns->n < sizeof(ns->v) / sizeof(ns->v[0]));
	ns->v[ns->n] = strdup(buf);
	assert_non_null(ns->v[ns->n]);
	return ns->v[ns->n++];
}

static const char *
ts(int i)
{
	static char pool[8][DTIME_STR_MAX];
	static int k;

	k = (k + 1) % 8;
	return dtime_to_string(T(i), pool[k]);
}

/* Names for set kinds; ${sfx} is the suffix (".gz", ".gpg", ""). */
static const char *
full_vol(struct names *ns, int t, unsigned v, const char *sfx)
{
	return add(ns, "duplicity-full.%s.vol%u.difftar%s", ts(t), v, sfx);
}

static const char *
full_man(struct names *ns, int t, const char *sfx)
{
	return add(ns, "duplicity-full.%s.manifest%s", ts(t), sfx);
}

static const char *
inc_vol(struct names *ns, int a, int b, unsigned v, const char *sfx)
{
	return add(ns, "duplicity-inc.%s.to.%s.vol%u.difftar%s", ts(a), ts(b),
	    v, sfx);
}

static const char *
inc_man(struct names *ns, int a, int b, const char *sfx)
{
	return add(ns, "duplicity-inc.%s.to.%s.manifest%s", ts(a), ts(b), sfx);
}

static const char *
full_sig(struct names *ns, int t, const char *sfx)
{
	return add(ns, "duplicity-full-signatures.%s.sigtar%s", ts(t), sfx);
}

static const char *
new_sig(struct names *ns, int a, int b, const char *sfx)
{
	return add(ns, "duplicity-new-signatures.%s.to.%s.sigtar%s", ts(a),
	    ts(b), sfx);
}

/* A complete full set: volumes 1..nv and the manifest. */
static void
full_set(struct names *ns, int t, unsigned nv)
{
	unsigned v;

	for (v = 1; v <= nv; v++)
		full_vol(ns, t, v, ".gz");
	full_man(ns, t, "");
}

static void
inc_set(struct names *ns, int a, int b, unsigned nv)
{
	unsigned v;

	for (v = 1; v <= nv; v++)
		inc_vol(ns, a, b, v, ".gz");
	inc_man(ns, a, b, "");
}

static void
names_free(struct names *ns)
{
	size_t i;

	for (i = 0; i < ns->n; i++)
		free(ns->v[i]);
	ns->n = 0;
}

static int
build(struct collection *c, struct names *remote, struct names *local,
    struct dupc_err *err)
{
	err_clear(err);
	return collection_build(c, (const char *const *)remote->v, remote->n,
	    (const char *const *)local->v, local->n, NULL, err);
}

static void
check_chain(const struct chain *ch, int full, int ninc, int end,
    const char *name)
{
	CHECK(ch != NULL, name);
	if (ch == NULL)
		return;
	CHECK_INT(ch->full->time, T(full), name);
	CHECK_INT(ch->start, T(full), name);
	CHECK_INT(ch->ninc, ninc, name);
	CHECK_INT(ch->end, T(end), name);
	CHECK_INT(cset_time(chain_last(ch)), T(end), name);
}

static void
test_vectors(void **state)
{
	static const struct {
		const char *dir;
		size_t ninc, nvol;
		int end;
	} cases[] = {
		{ "a-plain/remote", 2, 3, 2 },
		{ "b-gpg/remote", 2, 3, 2 },
		{ "c-multivol/remote", 0, 3, 0 },
	};
	size_t i;

	UNIT_VECTORS(vec);
	(void)vec;
	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct collection c;
		struct dupc_err err;
		char **names;
		size_t n;
		const struct chain *p;

		unit_list_dir(unit_vector_path(cases[i].dir), &names, &n);
		err_clear(&err);
		CHECK_INT(collection_build(&c, (const char *const *)names, n,
			      NULL, 0, NULL, &err),
		    0, cases[i].dir);
		CHECK_INT(c.nchains, 1, cases[i].dir);
		p = collection_primary(&c);
		check_chain(p, 0, (int)cases[i].ninc, cases[i].end,
		    cases[i].dir);
		if (p != NULL) {
			CHECK_INT(chain_nvolumes(p), cases[i].nvol,
			    cases[i].dir);
			CHECK_INT(p->full->encrypted, i == 1, cases[i].dir);
			CHECK(p->full->manifest != NULL, cases[i].dir);
		}
		CHECK_INT(c.nsigchains, 1, cases[i].dir);
		CHECK_INT(c.matched_sig, 0, cases[i].dir);
		if (c.nsigchains == 1) {
			CHECK(!c.sigchains[0].local, cases[i].dir);
			CHECK_INT(c.sigchains[0].ninc, cases[i].ninc,
			    cases[i].dir);
		}
		CHECK_INT(c.norphaned, 0, cases[i].dir);
		CHECK_INT(c.nincomplete, 0, cases[i].dir);
		CHECK_INT(c.nremote_orphan_sigs, 0, cases[i].dir);
		CHECK(!c.discarded_last, cases[i].dir);
		if (i == 2 && p != NULL) {
			CHECK_STR(cset_find_volume(p->full, 2),
			    "duplicity-full.20231114T221320Z.vol2.difftar.gz",
			    "c-multivol volume 2");
			CHECK(cset_find_volume(p->full, 4) == NULL,
			    "c-multivol has no volume 4");
			CHECK_INT(p->full->nvols, 3, "c-multivol volumes");
		}
		collection_release(&c);
		unit_free_names(names, n);
	}
	UNIT_DONE();
}

/* A full set and incrementals, listed in no particular order. */
static void
test_full_and_incs(void **state)
{
	struct names r = { 0 }, l = { 0 };
	struct collection c;
	struct dupc_err err;
	const struct chain *p;

	(void)state;
	inc_set(&r, 2, 3, 1);
	full_sig(&r, 0, ".gz");
	inc_set(&r, 0, 1, 2);
	new_sig(&r, 2, 3, ".gz");
	full_set(&r, 0, 3);
	new_sig(&r, 1, 2, ".gz");
	inc_set(&r, 1, 2, 1);
	new_sig(&r, 0, 1, ".gz");
	add(&r, "README");
	add(&r, "duplicity-full.%s.jsonstat.gz", ts(0));
	CHECK_INT(build(&c, &r, &l, &err), 0, "build");
	CHECK_INT(c.nchains, 1, "one chain");
	CHECK_INT(c.nsets, 4, "four sets");
	p = collection_primary(&c);
	check_chain(p, 0, 3, 3, "chain");
	if (p != NULL && p->ninc == 3) {
		CHECK_INT(p->incs[0]->start, T(0), "inc order");
		CHECK_INT(p->incs[1]->start, T(1), "inc order");
		CHECK_INT(p->incs[2]->start, T(2), "inc order");
		CHECK_INT(p->incs[0]->nvols, 2, "inc volumes");
		CHECK_INT(chain_nvolumes(p), 3 + 2 + 1 + 1, "chain volumes");
		CHECK_INT(p->full->vols[0].number, 1, "volumes sorted");
		CHECK_INT(p->full->vols[2].number, 3, "volumes sorted");
	}
	CHECK_INT(c.nsigchains, 1, "one sig chain");
	CHECK_INT(c.sigchains[0].ninc, 3, "sig chain incs");
	CHECK_INT(c.sigchains[0].end, T(3), "sig chain end");
	CHECK_INT(c.matched_chain, 0, "matched");
	CHECK_INT(collection_nth_full_time(&c, 1), T(0), "last full");
	collection_release(&c);
	names_free(&r);
	UNIT_DONE();
}

static void
test_orphans_and_incomplete(void **state)
{
	struct names r = { 0 }, l = { 0 };
	struct collection c;
	struct dupc_err err;

	(void)state;
	/* chain T0 -> T1; an inc T5 -> T6 fits nowhere; a full T7 has no
	 * manifest; an inc T1 -> T2 has volumes but no manifest */
	full_set(&r, 0, 1);
	inc_set(&r, 0, 1, 1);
	inc_set(&r, 5, 6, 2);
	full_vol(&r, 7, 1, ".gz");
	full_vol(&r, 7, 2, ".gz");
	inc_vol(&r, 1, 2, 1, ".gz");
	full_sig(&r, 0, ".gz");
	new_sig(&r, 0, 1, ".gz");
	new_sig(&r, 5, 6, ".gz"); /* an orphaned signature */
	CHECK_INT(build(&c, &r, &l, &err), 0, "build");
	CHECK_INT(c.nchains, 1, "one chain");
	check_chain(collection_primary(&c), 0, 1, 1, "primary");
	CHECK_INT(c.norphaned, 1, "one orphaned set");
	if (c.norphaned == 1) {
		CHECK_INT(c.orphaned[0]->start, T(5), "orphan start");
		CHECK_INT(c.orphaned[0]->end, T(6), "orphan end");
		CHECK_INT(c.orphaned[0]->nvols, 2, "orphan volumes");
	}
	CHECK_INT(c.nincomplete, 2, "two incomplete sets");
	if (c.nincomplete == 2) {
		size_t i;
		int seen_full = 0, seen_inc = 0;

		for (i = 0; i < 2; i++) {
			CHECK(c.incomplete[i]->manifest == NULL, "no manifest");
			if (c.incomplete[i]->type == NAME_FULL &&
			    c.incomplete[i]->time == T(7))
				seen_full = c.incomplete[i]->nvols == 2;
			if (c.incomplete[i]->type == NAME_INC &&
			    c.incomplete[i]->end == T(2))
				seen_inc = 1;
		}
		CHECK(seen_full, "incomplete full set T7 with 2 volumes");
		CHECK(seen_inc, "incomplete inc set T1->T2");
	}
	CHECK_INT(c.nremote_orphan_sigs, 1, "orphaned signature");
	if (c.nremote_orphan_sigs == 1)
		CHECK_STR(c.remote_orphan_sigs[0],
		    "duplicity-new-signatures.20231114T222140Z.to.20231114T222320Z.sigtar.gz",
		    "orphaned signature name");
	CHECK_INT(c.nlocal_orphan_sigs, 0, "no local orphans");
	collection_release(&c);
	names_free(&r);
	UNIT_DONE();
}

/* An inc with the same start as the chain's last inc and a later end
 * replaces it ("Preferring Backupset over previous one!"). */
static void
test_preferring(void **state)
{
	struct names r = { 0 }, l = { 0 };
	struct collection c;
	struct dupc_err err;
	const struct chain *p;

	(void)state;
	full_set(&r, 0, 1);
	inc_set(&r, 0, 1, 1);
	inc_set(&r, 1, 2, 1);
	inc_set(&r, 1, 4, 1); /* same start as the last inc, later end */
	inc_set(&r, 1, 3, 1); /* sorted before T1->T4: replaced by it */
	full_sig(&r, 0, ".gz");
	CHECK_INT(build(&c, &r, &l, &err), 0, "build");
	p = &c.chains[0];
	check_chain(c.nchains == 1 ? p : NULL, 0, 2, 4, "preferring");
	if (c.nchains == 1 && p->ninc == 2) {
		CHECK_INT(p->incs[1]->start, T(1), "replacement start");
		CHECK_INT(p->incs[1]->end, T(4), "replacement end");
	}
	CHECK_INT(c.norphaned, 0, "replaced sets are not orphans");
	CHECK_INT(c.nincomplete, 0, "nor incomplete");
	collection_release(&c);
	names_free(&r);

	/* sets are taken in order of end time, so T0->T1 is chained first
	 * and then replaced by T0->T2, which T2->T3 continues */
	full_set(&r, 0, 1);
	inc_set(&r, 0, 2, 1);
	inc_set(&r, 2, 3, 1);
	inc_set(&r, 0, 1, 1);
	CHECK_INT(build(&c, &r, &l, &err), 0, "build 2");
	check_chain(c.nchains == 1 ? &c.chains[0] : NULL, 0, 2, 3,
	    "replaced then continued");
	if (c.nchains == 1 && c.chains[0].ninc == 2)
		CHECK_INT(c.chains[0].incs[0]->end, T(2), "T0->T2 kept");
	CHECK_INT(c.norphaned, 0, "replaced then continued: no orphan");
	collection_release(&c);
	names_free(&r);
	UNIT_DONE();
}

/* Partial (.part) sets from the local archive dir take part; other
 * local files do not. */
static void
test_local_partial(void **state)
{
	struct names r = { 0 }, l = { 0 };
	struct collection c;
	struct dupc_err err;
	const struct chain *last;

	(void)state;
	full_set(&r, 0, 1);
	full_sig(&r, 0, ".gz");
	/* a full at T3 being uploaded: two volumes, manifest still local */
	full_vol(&r, 3, 1, ".gpg");
	full_vol(&r, 3, 2, ".gpg");
	full_man(&l, 3, ".part");
	add(&l, "duplicity-full-signatures.%s.sigtar.part", ts(3));
	/* final local copies of the T0 set are not set members */
	full_man(&l, 0, "");
	full_sig(&l, 0, ".gz");
	/* a local final manifest alone does not complete a remote set */
	full_vol(&r, 5, 1, ".gz");
	full_man(&l, 5, "");
	CHECK_INT(build(&c, &r, &l, &err), 0, "build");
	CHECK_INT(c.nchains, 2, "two chains");
	last = c.nchains ? &c.chains[c.nchains - 1] : NULL;
	check_chain(last, 3, 0, 3, "partial chain");
	if (last != NULL) {
		CHECK(last->full->partial, "set is partial");
		CHECK(last->full->encrypted, "encrypted from its volumes");
		CHECK_STR(last->full->manifest,
		    "duplicity-full.20231114T221820Z.manifest.part",
		    "manifest is the local .part");
		CHECK_INT(last->full->nvols, 2, "volumes");
	}
	CHECK_INT(c.nincomplete, 1, "T5 has no remote manifest");
	if (c.nincomplete == 1)
		CHECK_INT(c.incomplete[0]->time, T(5), "incomplete T5");
	/* signatures: local T0 and partial T3, remote T0 */
	CHECK_INT(c.nsigchains, 3, "three signature chains");
	CHECK_INT(c.matched_chain, 1, "the partial chain is primary");
	if (c.matched_sig >= 0) {
		CHECK(c.sigchains[c.matched_sig].local,
		    "matched local .part sigs");
		CHECK_INT(c.sigchains[c.matched_sig].end, T(3), "matched end");
	}
	collection_release(&c);
	names_free(&r);
	names_free(&l);
	UNIT_DONE();
}

static void
test_sig_chains(void **state)
{
	struct names r = { 0 }, l = { 0 };
	struct collection c;
	struct dupc_err err;
	size_t i;

	(void)state;
	full_set(&r, 0, 1);
	inc_set(&r, 0, 1, 1);
	full_sig(&r, 0, ".gpg");
	new_sig(&r, 0, 1, ".gpg");
	full_sig(&l, 0, ".gz");
	new_sig(&l, 0, 1, ".gz");
	new_sig(&l, 3, 4, ".gz");  /* local orphan */
	new_sig(&r, 1, 2, ".gpg"); /* extends the remote chain */
	CHECK_INT(build(&c, &r, &l, &err), 0, "build");
	CHECK_INT(c.nsigchains, 2, "two chains");
	/* sorted by end: local T1 then remote T2 */
	if (c.nsigchains == 2) {
		CHECK(c.sigchains[0].local, "local first (earlier end)");
		CHECK_INT(c.sigchains[0].end, T(1), "local end");
		CHECK(!c.sigchains[1].local, "remote second");
		CHECK_INT(c.sigchains[1].end, T(2), "remote end");
		CHECK_INT(c.sigchains[1].ninc, 2, "remote incs");
		CHECK_INT(c.sigchains[1].inc_end[1], T(2), "remote inc ends");
		CHECK_STR(c.sigchains[1].fullsig,
		    "duplicity-full-signatures.20231114T221320Z.sigtar.gpg",
		    "remote full sig");
	}
	/* the backup chain ends at T1: only the local chain matches */
	CHECK_INT(c.matched_chain, 0, "matched");
	CHECK(c.matched_sig >= 0 && c.sigchains[c.matched_sig].local,
	    "local signature chain matched");
	CHECK_INT(c.nlocal_orphan_sigs, 1, "local orphan");
	CHECK_INT(c.nremote_orphan_sigs, 0, "no remote orphan");
	collection_release(&c);
	names_free(&r);
	names_free(&l);

	/* equal ends: remote sorted first, local preferred for the match */
	full_set(&r, 0, 1);
	inc_set(&r, 0, 1, 1);
	new_sig(&r, 0, 1, ".gz");
	full_sig(&r, 0, ".gz");
	full_sig(&l, 0, ".gz");
	new_sig(&l, 0, 1, ".gz");
	CHECK_INT(build(&c, &r, &l, &err), 0, "build 2");
	CHECK_INT(c.nsigchains, 2, "two chains 2");
	if (c.nsigchains == 2) {
		CHECK(!c.sigchains[0].local, "tie: remote first");
		CHECK(c.sigchains[1].local, "tie: local last");
	}
	CHECK_INT(c.matched_sig, 1, "local matched on a tie");
	collection_release(&c);
	names_free(&r);
	names_free(&l);

	/* remote only, new-sigs listed in reverse order */
	full_set(&r, 0, 1);
	inc_set(&r, 0, 1, 1);
	inc_set(&r, 1, 2, 1);
	new_sig(&r, 1, 2, ".gz");
	new_sig(&r, 0, 1, ".gz");
	full_sig(&r, 0, ".gz");
	CHECK_INT(build(&c, &r, &l, &err), 0, "build 3");
	CHECK_INT(c.nsigchains, 1, "one chain 3");
	CHECK_INT(c.sigchains[0].ninc, 2, "sorted by start before chaining");
	CHECK_INT(c.matched_sig, 0, "remote matched");
	for (i = 0; i < c.sigchains[0].ninc; i++)
		CHECK_INT(c.sigchains[0].inc_end[i], T((int)i + 1), "inc ends");
	collection_release(&c);
	names_free(&r);

	/* no signatures at all: nothing matched */
	full_set(&r, 0, 1);
	CHECK_INT(build(&c, &r, &l, &err), 0, "build 4");
	CHECK_INT(c.matched_chain, -1, "no match without signatures");
	CHECK(collection_primary(&c) == NULL, "no primary");
	CHECK(collection_sigchain_at(&c, T(0)) == NULL, "no sig chain");
	collection_release(&c);
	names_free(&r);

	/* signatures but no backup chain */
	full_sig(&r, 0, ".gz");
	CHECK_INT(build(&c, &r, &l, &err), 0, "build 5");
	CHECK_INT(c.nsigchains, 1, "sigs only");
	CHECK_INT(c.matched_chain, -1, "nothing to match");
	collection_release(&c);
	names_free(&r);
	UNIT_DONE();
}

/* The last inc is discarded when the signatures end one set earlier, but
 * only when that earlier set is itself an inc (two or more incs). */
static void
test_discard_last(void **state)
{
	struct names r = { 0 }, l = { 0 };
	struct collection c;
	struct dupc_err err;
	const struct chain *p;

	(void)state;
	full_set(&r, 0, 1);
	inc_set(&r, 0, 1, 1);
	inc_set(&r, 1, 2, 1);
	full_sig(&r, 0, ".gz");
	new_sig(&r, 0, 1, ".gz");
	CHECK_INT(build(&c, &r, &l, &err), 0, "two incs");
	CHECK(c.discarded_last, "two incs: discarded");
	p = collection_primary(&c);
	check_chain(p, 0, 1, 1, "two incs: chain trimmed");
	CHECK_INT(c.nincomplete, 1, "two incs: discarded set is incomplete");
	if (c.nincomplete == 1) {
		CHECK_INT(c.incomplete[0]->start, T(1), "discarded set");
		CHECK_INT(c.incomplete[0]->end, T(2), "discarded set");
		CHECK(c.incomplete[0]->manifest != NULL, "it had a manifest");
	}
	collection_release(&c);
	names_free(&r);

	/* one inc: signatures ending at the full do not trim it */
	full_set(&r, 0, 1);
	inc_set(&r, 0, 1, 1);
	full_sig(&r, 0, ".gz");
	CHECK_INT(build(&c, &r, &l, &err), 0, "one inc");
	CHECK(!c.discarded_last, "one inc: not discarded");
	CHECK_INT(c.matched_chain, -1, "one inc: no match");
	CHECK_INT(c.nchains, 1, "one inc: chain kept");
	if (c.nchains == 1)
		CHECK_INT(c.chains[0].ninc, 1, "one inc: inc kept");
	CHECK_INT(c.nincomplete, 0, "one inc: nothing incomplete");
	collection_release(&c);
	names_free(&r);

	/* signatures two sets behind: no match, nothing discarded */
	full_set(&r, 0, 1);
	inc_set(&r, 0, 1, 1);
	inc_set(&r, 1, 2, 1);
	inc_set(&r, 2, 3, 1);
	full_sig(&r, 0, ".gz");
	new_sig(&r, 0, 1, ".gz");
	CHECK_INT(build(&c, &r, &l, &err), 0, "two behind");
	CHECK(!c.discarded_last, "two behind: not discarded");
	CHECK_INT(c.matched_chain, -1, "two behind: no match");
	collection_release(&c);
	names_free(&r);
	UNIT_DONE();
}

static void
test_duplicate_volume(void **state)
{
	struct names r = { 0 }, l = { 0 };
	struct collection c;
	struct dupc_err err;

	(void)state;
	full_set(&r, 0, 2);
	full_vol(&r, 0, 2, ".gpg"); /* volume 2 again, other suffix */
	CHECK_INT(build(&c, &r, &l, &err), -1, "duplicate volume");
	CHECK_INT(err.code, E_GENERIC, "duplicate volume: code");
	CHECK(strstr(err.msg, "vol2.difftar.gz") != NULL &&
		  strstr(err.msg, "vol2.difftar.gpg") != NULL,
	    "duplicate volume: both names in the message");
	CHECK_INT(c.nsets, 0, "released on failure");
	collection_release(&c); /* safe after a failed build */
	names_free(&r);

	inc_set(&r, 0, 1, 1);
	inc_vol(&r, 0, 1, 1, "");
	CHECK_INT(build(&c, &r, &l, &err), -1, "duplicate inc volume");
	names_free(&r);
	UNIT_DONE();
}

/* A big listing, in any order: O(n log n), volumes sorted. */
static char **
big_listing(size_t nvols, size_t nfulls, size_t *n)
{
	char **v = malloc((nvols + nfulls + 1) * sizeof(*v));
	char t[DTIME_STR_MAX];
	uint64_t seed = 11;
	size_t i;

	assert_non_null(v);
	dtime_to_string(T(0), t);
	for (i = 0; i < nvols; i++)
		assert_true(
		    asprintf(&v[i], "duplicity-full.%s.vol%zu.difftar.gz", t,
			i + 1) > 0);
	for (i = 0; i < nfulls; i++) {
		dtime_to_string(T(1) + 60 * (int64_t)i, t);
		assert_true(asprintf(&v[nvols + i],
				"duplicity-full.%s.manifest", t) > 0);
	}
	dtime_to_string(T(0), t);
	assert_true(
	    asprintf(&v[nvols + nfulls], "duplicity-full.%s.manifest", t) > 0);
	*n = nvols + nfulls + 1;
	for (i = *n - 1; i > 0; i--) {
		size_t j = unit_rand(&seed) % (i + 1);
		char *x = v[i];

		v[i] = v[j];
		v[j] = x;
	}
	return v;
}

static void
test_big_listings(void **state)
{
	struct collection c;
	struct dupc_err err;
	char **v;
	size_t n, i;

	(void)state;
	/* 300000 volumes of one set and 20000 other sets, shuffled */
	v = big_listing(300000, 20000, &n);
	err_clear(&err);
	CHECK_INT(collection_build(&c, (const char *const *)v, n, NULL, 0, NULL,
		      &err),
	    0, "big listing");
	CHECK_U64(c.nsets, 20001, "sets");
	CHECK_U64(c.nchains, 20001, "chains");
	if (c.nchains > 0) {
		const struct cset *s = c.chains[0].full;

		CHECK_U64(s->nvols, 300000, "volumes");
		for (i = 0; i < s->nvols; i++)
			if (s->vols[i].number != i + 1) {
				CHECK_INT(s->vols[i].number, i + 1, "sorted");
				break;
			}
		CHECK(cset_find_volume(s, 123456) != NULL, "find");
	}
	collection_release(&c);
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	/* one set too many */
	v = big_listing(0, COLLECTION_MAX_SETS, &n);
	CHECK_INT(collection_build(&c, (const char *const *)v, n, NULL, 0, NULL,
		      &err),
	    -1, "too many sets");
	CHECK(strstr(err.msg, "backup sets") != NULL, "message");
	CHECK_INT(c.nsets, 0, "released");
	collection_release(&c);
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	UNIT_DONE();
}

static void
test_chain_at(void **state)
{
	struct names r = { 0 }, l = { 0 };
	struct collection c;
	struct dupc_err err;
	bool amb;
	const struct chain *ch;

	(void)state;
	/* chains [T0..T2] and [T5..T7] */
	full_set(&r, 5, 1);
	inc_set(&r, 5, 6, 1);
	inc_set(&r, 6, 7, 1);
	full_set(&r, 0, 1);
	inc_set(&r, 0, 1, 1);
	inc_set(&r, 1, 2, 1);
	full_sig(&r, 0, ".gz");
	new_sig(&r, 0, 1, ".gz");
	new_sig(&r, 1, 2, ".gz");
	full_sig(&r, 5, ".gz");
	new_sig(&r, 5, 6, ".gz");
	new_sig(&r, 6, 7, ".gz");
	CHECK_INT(build(&c, &r, &l, &err), 0, "build");
	CHECK_INT(c.nchains, 2, "two chains");
	check_chain(&c.chains[0], 0, 2, 2, "sorted: first");
	check_chain(&c.chains[1], 5, 2, 7, "sorted: second");
	CHECK_INT(c.matched_chain, 1, "primary is the newest");

	ch = collection_chain_at(&c, T(0), &amb);
	CHECK(ch == &c.chains[0] && !amb, "at T0: first chain");
	ch = collection_chain_at(&c, T(1) + 5, &amb);
	CHECK(ch == &c.chains[0], "inside the first chain");
	ch = collection_chain_at(&c, T(2), &amb);
	CHECK(ch == &c.chains[0], "at the first chain's end");
	ch = collection_chain_at(&c, T(3), &amb);
	CHECK(ch == &c.chains[0], "between chains: newest ending before");
	ch = collection_chain_at(&c, T(5), &amb);
	CHECK(ch == &c.chains[1], "at the second full");
	ch = collection_chain_at(&c, T(100), &amb);
	CHECK(ch == &c.chains[1], "after everything: the newest");
	ch = collection_chain_at(&c, T(-100), &amb);
	CHECK(ch == &c.chains[0], "before everything: the oldest");
	CHECK(!amb, "not ambiguous");

	CHECK(collection_sigchain_at(&c, T(1)) == &c.sigchains[0],
	    "sig chain covering T1");
	CHECK(collection_sigchain_at(&c, T(4)) == &c.sigchains[0],
	    "sig chain ending before T4");
	CHECK(collection_sigchain_at(&c, T(7)) == &c.sigchains[1],
	    "sig chain covering T7");
	CHECK(collection_sigchain_at(&c, T(-1)) == &c.sigchains[0],
	    "sig chain: the oldest when none is old enough");

	CHECK_INT(collection_nth_full_time(&c, 1), T(5), "newest full");
	CHECK_INT(collection_nth_full_time(&c, 2), T(0), "second newest full");
	CHECK_INT(collection_nth_full_time(&c, 3), 0, "no third full");
	CHECK_INT(collection_nth_full_time(&c, 0), 0, "n = 0");
	collection_release(&c);
	names_free(&r);

	/* overlapping chains: the chain [T0..T6] and the full at T3 */
	full_set(&r, 0, 1);
	inc_set(&r, 0, 6, 1);
	full_set(&r, 3, 1);
	CHECK_INT(build(&c, &r, &l, &err), 0, "overlap");
	ch = collection_chain_at(&c, T(3), &amb);
	CHECK(ch != NULL && amb, "two chains cover T3");
	ch = collection_chain_at(&c, T(4), &amb);
	CHECK(ch != NULL && ch->full->time == T(0) && !amb,
	    "only the long chain covers T4");
	collection_release(&c);
	names_free(&r);

	/* sig chain cover: the local one wins a tie */
	full_sig(&r, 0, ".gz");
	new_sig(&r, 0, 1, ".gz");
	full_sig(&l, 0, ".gz");
	new_sig(&l, 0, 1, ".gz");
	CHECK_INT(build(&c, &r, &l, &err), 0, "sig tie");
	CHECK(collection_sigchain_at(&c, T(1)) != NULL &&
		  collection_sigchain_at(&c, T(1))->local,
	    "local sig chain preferred");
	collection_release(&c);
	names_free(&r);
	names_free(&l);
	UNIT_DONE();
}

static void
test_empty_and_prefixes(void **state)
{
	struct names r = { 0 }, l = { 0 };
	struct collection c;
	struct dupc_err err;
	bool amb = true;
	static const struct name_prefixes pfx = { .all = "p_" };
	size_t i;

	(void)state;
	CHECK_INT(build(&c, &r, &l, &err), 0, "empty");
	CHECK_INT(c.nchains + c.nsets + c.nsigchains, 0, "nothing");
	CHECK(collection_primary(&c) == NULL, "no primary");
	CHECK(collection_chain_at(&c, T(0), &amb) == NULL, "no chain at");
	CHECK(!amb, "not ambiguous");
	CHECK(collection_sigchain_at(&c, T(0)) == NULL, "no sig chain at");
	CHECK_INT(collection_nth_full_time(&c, 1), 0, "no full");
	collection_release(&c);

	/* with prefixes, only prefixed names count */
	full_set(&r, 0, 1);
	full_sig(&r, 0, ".gz");
	for (i = 0; i < r.n; i++) {
		char *p = malloc(strlen(r.v[i]) + 3);

		assert_non_null(p);
		sprintf(p, "p_%s", r.v[i]);
		free(r.v[i]);
		r.v[i] = p;
	}
	full_set(&r, 3, 1); /* unprefixed */
	err_clear(&err);
	CHECK_INT(collection_build(&c, (const char *const *)r.v, r.n, NULL, 0,
		      &pfx, &err),
	    0, "prefixed");
	CHECK_INT(c.nchains, 1, "prefixed: one chain");
	CHECK_INT(c.nsets, 1, "prefixed: unprefixed set ignored");
	CHECK_INT(c.matched_chain, 0, "prefixed: matched");
	if (c.nchains == 1)
		CHECK_STR(c.chains[0].full->manifest,
		    "p_duplicity-full.20231114T221320Z.manifest",
		    "prefixed: names kept whole");
	collection_release(&c);
	names_free(&r);
	UNIT_DONE();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_vectors),
		UNIT_TEST(test_full_and_incs),
		UNIT_TEST(test_orphans_and_incomplete),
		UNIT_TEST(test_preferring),
		UNIT_TEST(test_local_partial),
		UNIT_TEST(test_sig_chains),
		UNIT_TEST(test_big_listings),
		UNIT_TEST(test_discard_last),
		UNIT_TEST(test_duplicate_volume),
		UNIT_TEST(test_chain_at),
		UNIT_TEST(test_empty_and_prefixes),
	};

	unit_init();
	return cmocka_run_group_tests_name("collection", tests, NULL, NULL);
}
