/*
 * format/names: remote file names (duplicity-format.md 1).
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format/names.h"
#include "util/buf.h"

#define T0 1700000000 /* 20231114T221320Z, base 36 s44we8 */
#define T1 1700000100 /* 20231114T221500Z, base 36 s44wh0 */
#define T2 1700000200 /* 20231114T221640Z, base 36 s44wjs */

/* What a name is expected to mean; time fields by type. */
struct want {
	enum name_type type;
	bool manifest;
	unsigned volume;
	int64_t a, b; /* full: a = time; inc/new-sig: a = start, b = end */
	bool encrypted, compressed, partial;
};

struct good_case {
	const char *name;
	const struct name_prefixes *pfx;
	struct want w;
};

static void
check_info(const struct name_info *ni, const struct want *w, const char *name)
{
	CHECK_INT(ni->type, w->type, name);
	CHECK_INT(ni->manifest, w->manifest, name);
	CHECK_INT(ni->volume, w->volume, name);
	if (w->type == NAME_FULL || w->type == NAME_FULL_SIG) {
		CHECK_INT(ni->time, w->a, name);
	} else {
		CHECK_INT(ni->start, w->a, name);
		CHECK_INT(ni->end, w->b, name);
	}
	CHECK_INT(ni->encrypted, w->encrypted, name);
	CHECK_INT(ni->compressed, w->compressed, name);
	CHECK_INT(ni->partial, w->partial, name);
}

static const struct name_prefixes pfx_all = { .all = "pre_" };
static const struct name_prefixes pfx_kinds = { .all = "pre_",
	.manifest = "man_",
	.archive = "arch_",
	.signature = "sig_" };

static void
test_good_names(void **state)
{
	static const struct good_case cases[] = {
		/* the a-plain vectors */
		{ "duplicity-full.20231114T221320Z.vol1.difftar.gz", NULL,
		    { NAME_FULL, false, 1, T0, 0, false, true, false } },
		{ "duplicity-full.20231114T221320Z.manifest", NULL,
		    { NAME_FULL, true, 0, T0, 0, false, false, false } },
		{ "duplicity-full-signatures.20231114T221320Z.sigtar.gz", NULL,
		    { NAME_FULL_SIG, false, 0, T0, 0, false, true, false } },
		{ "duplicity-inc.20231114T221320Z.to.20231114T221500Z.vol1.difftar.gz",
		    NULL, { NAME_INC, false, 1, T0, T1, false, true, false } },
		{ "duplicity-inc.20231114T221320Z.to.20231114T221500Z.manifest",
		    NULL, { NAME_INC, true, 0, T0, T1, false, false, false } },
		{ "duplicity-new-signatures.20231114T221320Z.to.20231114T221500Z.sigtar.gz",
		    NULL,
		    { NAME_NEW_SIG, false, 0, T0, T1, false, true, false } },
		/* encrypted, plain, big volume numbers */
		{ "duplicity-full.20231114T221320Z.vol1.difftar.gpg", NULL,
		    { NAME_FULL, false, 1, T0, 0, true, false, false } },
		{ "duplicity-full.20231114T221320Z.manifest.gpg", NULL,
		    { NAME_FULL, true, 0, T0, 0, true, false, false } },
		{ "duplicity-new-signatures.20231114T221500Z.to.20231114T221640Z.sigtar.gpg",
		    NULL,
		    { NAME_NEW_SIG, false, 0, T1, T2, true, false, false } },
		{ "duplicity-full.20231114T221320Z.vol12.difftar", NULL,
		    { NAME_FULL, false, 12, T0, 0, false, false, false } },
		{ "duplicity-inc.20231114T221500Z.to.20231114T221640Z.vol999999999.difftar.gz",
		    NULL,
		    { NAME_INC, false, 999999999, T1, T2, false, true,
			false } },
		/* suffix flags: "gz" needs no dot; the last suffix counts */
		{ "duplicity-full.20231114T221320Z.vol1.difftar.tgz", NULL,
		    { NAME_FULL, false, 1, T0, 0, false, true, false } },
		{ "duplicity-full.20231114T221320Z.vol1.difftar.gz.gpg", NULL,
		    { NAME_FULL, false, 1, T0, 0, true, false, false } },
		{ "duplicity-full.20231114T221320Z.manifest.anything.else",
		    NULL, { NAME_FULL, true, 0, T0, 0, false, false, false } },
		/* partial names (local archive dir) */
		{ "duplicity-full.20231114T221320Z.manifest.part", NULL,
		    { NAME_FULL, true, 0, T0, 0, false, false, true } },
		{ "duplicity-full-signatures.20231114T221320Z.sigtar.part",
		    NULL,
		    { NAME_FULL_SIG, false, 0, T0, 0, false, false, true } },
		{ "duplicity-inc.20231114T221320Z.to.20231114T221500Z.manifest.part",
		    NULL, { NAME_INC, true, 0, T0, T1, false, false, true } },
		{ "duplicity-new-signatures.20231114T221320Z.to.20231114T221500Z.sigtar.part",
		    NULL,
		    { NAME_NEW_SIG, false, 0, T0, T1, false, false, true } },
		{ "duplicity-new-signatures.20231114T221320Z.to.20231114T221500Z.sigtar.part.gz",
		    NULL,
		    { NAME_NEW_SIG, false, 0, T0, T1, false, true, true } },
		/* .part on a full volume parses but the flag is ignored */
		{ "duplicity-full.20231114T221320Z.vol3.difftar.part", NULL,
		    { NAME_FULL, false, 3, T0, 0, false, false, false } },
		/* --old-filenames: W3C local times, any case */
		{ "duplicity-full.2023-11-14T22:13:20Z.vol1.difftar.gz", NULL,
		    { NAME_FULL, false, 1, T0, 0, false, true, false } },
		{ "duplicity-full.2023-11-14T23:13:20+01:00.manifest", NULL,
		    { NAME_FULL, true, 0, T0, 0, false, false, false } },
		{ "duplicity-inc.2023-11-14T17:13:20-05:00.to.2023-11-14T22:15:00Z.manifest",
		    NULL, { NAME_INC, true, 0, T0, T1, false, false, false } },
		{ "duplicity-full.20231114t221320z.manifest", NULL,
		    { NAME_FULL, true, 0, T0, 0, false, false, false } },
		/* short names (base 36) */
		{ "df.s44we8.1.dt.z", NULL,
		    { NAME_FULL, false, 1, T0, 0, false, true, false } },
		{ "df.s44we8.a.dt.g", NULL,
		    { NAME_FULL, false, 10, T0, 0, true, false, false } },
		{ "df.s44we8.m", NULL,
		    { NAME_FULL, true, 0, T0, 0, false, false, false } },
		{ "df.s44we8.2.dt.p", NULL,
		    { NAME_FULL, false, 2, T0, 0, false, false, false } },
		{ "df.s44we8.m.p", NULL,
		    { NAME_FULL, true, 0, T0, 0, false, false, true } },
		{ "di.s44we8.s44wh0.2.dt.z", NULL,
		    { NAME_INC, false, 2, T0, T1, false, true, false } },
		{ "di.s44we8.s44wh0.m.g", NULL,
		    { NAME_INC, true, 0, T0, T1, true, false, false } },
		{ "dfs.s44we8.st.z", NULL,
		    { NAME_FULL_SIG, false, 0, T0, 0, false, true, false } },
		{ "dfs.s44we8.st.p", NULL,
		    { NAME_FULL_SIG, false, 0, T0, 0, false, false, true } },
		{ "dns.s44we8.s44wh0.st.g", NULL,
		    { NAME_NEW_SIG, false, 0, T0, T1, true, false, false } },
		/* prefixes */
		{ "pre_duplicity-full.20231114T221320Z.manifest", &pfx_all,
		    { NAME_FULL, true, 0, T0, 0, false, false, false } },
		{ "pre_duplicity-full.20231114T221320Z.vol1.difftar.gz",
		    &pfx_all,
		    { NAME_FULL, false, 1, T0, 0, false, true, false } },
		{ "pre_man_duplicity-full.20231114T221320Z.manifest",
		    &pfx_kinds,
		    { NAME_FULL, true, 0, T0, 0, false, false, false } },
		{ "pre_arch_duplicity-full.20231114T221320Z.vol1.difftar.gz",
		    &pfx_kinds,
		    { NAME_FULL, false, 1, T0, 0, false, true, false } },
		{ "pre_arch_duplicity-inc.20231114T221320Z.to.20231114T221500Z.vol1.difftar.gz",
		    &pfx_kinds,
		    { NAME_INC, false, 1, T0, T1, false, true, false } },
		{ "pre_man_duplicity-inc.20231114T221320Z.to.20231114T221500Z.manifest",
		    &pfx_kinds,
		    { NAME_INC, true, 0, T0, T1, false, false, false } },
		{ "pre_sig_duplicity-full-signatures.20231114T221320Z.sigtar.gz",
		    &pfx_kinds,
		    { NAME_FULL_SIG, false, 0, T0, 0, false, true, false } },
		{ "pre_sig_duplicity-new-signatures.20231114T221320Z.to.20231114T221500Z.sigtar.gz",
		    &pfx_kinds,
		    { NAME_NEW_SIG, false, 0, T0, T1, false, true, false } },
		{ "pre_arch_df.s44we8.1.dt.z", &pfx_kinds,
		    { NAME_FULL, false, 1, T0, 0, false, true, false } },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct name_info ni;

		memset(&ni, 0xa5, sizeof(ni));
		CHECK_INT(names_parse(cases[i].name, cases[i].pfx, &ni), 1,
		    cases[i].name);
		check_info(&ni, &cases[i].w, cases[i].name);
	}
	UNIT_DONE();
}

static void
test_bad_names(void **state)
{
	static const struct {
		const char *name;
		const struct name_prefixes *pfx;
	} cases[] = {
		{ "", NULL },
		{ "duplicity-full", NULL },
		/* anything with a '/' (names become archive-dir paths) */
		{ "duplicity-full.20231114T221320Z.manifest/../../x", NULL },
		{ "duplicity-full.20231114T221320Z.manifest.gpg/x", NULL },
		{ "../duplicity-full.20231114T221320Z.manifest", NULL },
		{ "df.s44we8.m/", NULL },
		{ "duplicity-full.", NULL },
		{ "duplicity-full.20231114T221320Z", NULL }, /* truncated */
		{ "duplicity-full.20231114T221320Z.vol", NULL },
		{ "duplicity-full.20231114T221320Z.vol1", NULL },
		{ "duplicity-full.20231114T221320Z.vol1.difftarx",
		    NULL }, /* no boundary */
		{ "duplicity-full.20231114T221320Z.vol.difftar.gz", NULL },
		{ "duplicity-full.20231114T221320Z.vol0.difftar.gz",
		    NULL }, /* volume 0 */
		{ "duplicity-full.20231114T221320Z.vol-1.difftar.gz", NULL },
		{ "duplicity-full.20231114T221320Z.volx.difftar.gz", NULL },
		{ "duplicity-full.20231114T221320Z.vol9223372036854775808.difftar",
		    NULL },
		{ "duplicity-full.20231114T221320Z.vol99999999999999999999.difftar",
		    NULL },
		{ "duplicity-full.20231114T221320Z.vol4294967297.difftar",
		    NULL },
		{ "duplicity-full.20231114T221320Z.manifestx", NULL },
		{ "duplicity-full..manifest", NULL },        /* empty time */
		{ "duplicity-full.garbage.manifest", NULL }, /* bad time */
		{ "duplicity-full.20231314T221320Z.manifest",
		    NULL }, /* month 13 */
		{ "duplicity-full.20231114T221320Z/../x.manifest", NULL },
		{ "duplicity-full.2023111\xffT221320Z.manifest",
		    NULL }, /* non-UTF-8 */
		{ "duplicity-full.99999999999999999999.manifest", NULL },
		{ "duplicity-full.9223372036854775808.manifest", NULL },
		{ "xduplicity-full.20231114T221320Z.manifest",
		    NULL }, /* anchored */
		{ " duplicity-full.20231114T221320Z.manifest", NULL },
		{ "/duplicity-full.20231114T221320Z.manifest", NULL },
		{ "../duplicity-full.20231114T221320Z.manifest", NULL },
		{ "DUPLICITY-FULL.20231114T221320Z.manifest", NULL },
		{ "duplicity-full.20231114T221320Z.MANIFEST", NULL },
		{ "duplicity-inc.20231114T221320Z.vol1.difftar.gz",
		    NULL }, /* no .to. */
		{ "duplicity-inc.20231114T221320Z.to..manifest", NULL },
		{ "duplicity-inc.20231114T221320Z.to.bad.manifest", NULL },
		{ "duplicity-inc.20231114T221320Z.to.20231114T221500Z.vol0.difftar",
		    NULL },
		{ "duplicity-inc.20231114T221320Z.to.20231114T221500Z", NULL },
		{ "duplicity-full-signatures.20231114T221320Z", NULL },
		{ "duplicity-full-signatures.20231114T221320Z.sigtarx", NULL },
		{ "duplicity-new-signatures.20231114T221320Z.sigtar.gz", NULL },
		{ "duplicity-new-signatures.20231114T221320Z.to.20231114T221500Z.sig",
		    NULL },
		/* 3.x statistics files are not duplicity 0.8.22 names */
		{ "duplicity-full.20231114T221320Z.jsonstat.gz", NULL },
		{ "duplicity-inc.20231114T221320Z.to.20231114T221500Z.jsonstat",
		    NULL },
		/* short names */
		{ "df.s44we8.0.dt", NULL }, /* volume 0 */
		{ "df.S44WE8.1.dt", NULL }, /* base 36 is lower-case */
		{ "df..1.dt", NULL },
		{ "df.s44we8..dt", NULL },
		{ "df.s44we8.1.dtx", NULL },
		{ "df.zzzzzzzzzzzzzz.1.dt", NULL }, /* over 2^64 */
		{ "df.s44we8.zzzzzzzzzzzzzz.dt", NULL },
		{ "df.s44we8-1.dt", NULL },
		{ "di.s44we8.1.dt", NULL },
		{ "dfs.s44we8", NULL },
		{ "dns.s44we8.st", NULL },
		/* other files found in a target */
		{ "README", NULL },
		{ "foo.manifest", NULL },
		/* prefixes must be present when configured, and only there */
		{ "duplicity-full.20231114T221320Z.manifest", &pfx_all },
		{ "pre_duplicity-full.20231114T221320Z.manifest", NULL },
		{ "pre_duplicity-full.20231114T221320Z.manifest", &pfx_kinds },
		{ "pre_arch_duplicity-full.20231114T221320Z.manifest",
		    &pfx_kinds },
		{ "pre_man_duplicity-full.20231114T221320Z.vol1.difftar.gz",
		    &pfx_kinds },
		{ "pre_man_duplicity-full-signatures.20231114T221320Z.sigtar.gz",
		    &pfx_kinds },
		{ "man_duplicity-full.20231114T221320Z.manifest", &pfx_kinds },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct name_info ni;
		char name[160];

		unit_escape(cases[i].name, strlen(cases[i].name), name,
		    sizeof(name));
		CHECK_INT(names_parse(cases[i].name, cases[i].pfx, &ni), 0,
		    name);
	}
	/* the same bad name with a deliberately odd suffix is no better */
	{
		struct name_info ni;

		CHECK_INT(names_parse(
			      "duplicity-full.20231114T221320Z.vol1.difftar\n",
			      NULL, &ni),
		    0, "newline after difftar");
	}
	UNIT_DONE();
}

/* Every file of the vectors parses, and rebuilding it gives its name. */
static void
test_vector_names(void **state)
{
	static const char *const dirs[] = { "a-plain/remote", "b-gpg/remote",
		"c-multivol/remote" };
	size_t d, total = 0;

	UNIT_VECTORS(vec);
	(void)vec;
	(void)state;
	for (d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
		char **names;
		size_t n, i;

		CHECK_INT(unit_list_dir(unit_vector_path(dirs[d]), &names, &n),
		    0, dirs[d]);
		for (i = 0; i < n; i++) {
			struct name_info ni;
			struct buf b;
			enum name_suffix suf;

			total++;
			if (names_parse(names[i], NULL, &ni) != 1) {
				CHECK(0, names[i]);
				continue;
			}
			CHECK(ni.time == T0 || (ni.start >= T0 && ni.end <= T2),
			    names[i]);
			CHECK_INT(ni.encrypted, d == 1, names[i]);
			CHECK_INT(ni.compressed, d != 1 && !ni.manifest,
			    names[i]);
			CHECK(!ni.partial, names[i]);
			suf = ni.encrypted    ? SUFFIX_GPG
			      : ni.compressed ? SUFFIX_GZ
					      : SUFFIX_NONE;
			buf_init(&b, 4096);
			CHECK_INT(names_build(&b, NULL, &ni, suf), 0, names[i]);
			CHECK_STR(buf_str(&b), names[i], names[i]);
			buf_release(&b);
		}
		unit_free_names(names, n);
	}
	CHECK_INT(total, 9 + 9 + 5, "number of vector files");
	UNIT_DONE();
}

static void
test_build(void **state)
{
	static const struct {
		struct name_info ni;
		const struct name_prefixes *pfx;
		enum name_suffix suf;
		const char *want;
	} cases[] = {
		{ { NAME_FULL, false, 1, T0, 0, 0, false, false, false }, NULL,
		    SUFFIX_GZ,
		    "duplicity-full.20231114T221320Z.vol1.difftar.gz" },
		{ { NAME_FULL, true, 0, T0, 0, 0, false, false, false }, NULL,
		    SUFFIX_NONE, "duplicity-full.20231114T221320Z.manifest" },
		{ { NAME_FULL, true, 0, T0, 0, 0, false, false, false }, NULL,
		    SUFFIX_GPG,
		    "duplicity-full.20231114T221320Z.manifest.gpg" },
		{ { NAME_FULL, true, 0, T0, 0, 0, false, false, true }, NULL,
		    SUFFIX_NONE,
		    "duplicity-full.20231114T221320Z.manifest.part" },
		{ { NAME_FULL_SIG, false, 0, T0, 0, 0, false, false, false },
		    NULL, SUFFIX_GZ,
		    "duplicity-full-signatures.20231114T221320Z.sigtar.gz" },
		{ { NAME_FULL_SIG, false, 0, T0, 0, 0, false, false, true },
		    NULL, SUFFIX_NONE,
		    "duplicity-full-signatures.20231114T221320Z.sigtar.part" },
		{ { NAME_INC, false, 7, 0, T0, T1, false, false, false }, NULL,
		    SUFFIX_GPG,
		    "duplicity-inc.20231114T221320Z.to.20231114T221500Z.vol7.difftar.gpg" },
		{ { NAME_INC, true, 0, 0, T0, T1, false, false, false }, NULL,
		    SUFFIX_NONE,
		    "duplicity-inc.20231114T221320Z.to.20231114T221500Z.manifest" },
		{ { NAME_INC, true, 0, 0, T0, T1, false, false, true }, NULL,
		    SUFFIX_NONE,
		    "duplicity-inc.20231114T221320Z.to.20231114T221500Z.manifest.part" },
		{ { NAME_NEW_SIG, false, 0, 0, T1, T2, false, false, false },
		    NULL, SUFFIX_GZ,
		    "duplicity-new-signatures.20231114T221500Z.to.20231114T221640Z.sigtar.gz" },
		{ { NAME_FULL, false, 2, T0, 0, 0, false, false, false },
		    &pfx_kinds, SUFFIX_GZ,
		    "pre_arch_duplicity-full.20231114T221320Z.vol2.difftar.gz" },
		{ { NAME_FULL, true, 0, T0, 0, 0, false, false, false },
		    &pfx_kinds, SUFFIX_GPG,
		    "pre_man_duplicity-full.20231114T221320Z.manifest.gpg" },
		{ { NAME_NEW_SIG, false, 0, 0, T0, T1, false, false, false },
		    &pfx_kinds, SUFFIX_GZ,
		    "pre_sig_duplicity-new-signatures.20231114T221320Z.to.20231114T221500Z.sigtar.gz" },
		{ { NAME_FULL_SIG, false, 0, T0, 0, 0, false, false, false },
		    &pfx_all, SUFFIX_NONE,
		    "pre_duplicity-full-signatures.20231114T221320Z.sigtar" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b;
		struct name_info back;
		struct want w;

		buf_init(&b, 4096);
		CHECK_INT(
		    names_build(&b, cases[i].pfx, &cases[i].ni, cases[i].suf),
		    0, cases[i].want);
		CHECK_STR(buf_str(&b), cases[i].want, cases[i].want);
		/* and it parses back to the same thing */
		CHECK_INT(names_parse(buf_str(&b), cases[i].pfx, &back), 1,
		    cases[i].want);
		w.type = cases[i].ni.type;
		w.manifest = cases[i].ni.manifest;
		w.volume = cases[i].ni.volume;
		w.a = (w.type == NAME_FULL || w.type == NAME_FULL_SIG)
			  ? cases[i].ni.time
			  : cases[i].ni.start;
		w.b = cases[i].ni.end;
		w.encrypted = cases[i].suf == SUFFIX_GPG;
		w.compressed = cases[i].suf == SUFFIX_GZ;
		/* .part is ignored on volumes only */
		w.partial = cases[i].ni.partial;
		check_info(&back, &w, cases[i].want);
		buf_release(&b);
	}
	UNIT_DONE();
}

/* Every combination of type, suffix, partial flag and prefixes. */
static void
test_build_round_trip(void **state)
{
	static const enum name_type types[] = { NAME_FULL, NAME_INC,
		NAME_FULL_SIG, NAME_NEW_SIG };
	static const struct name_prefixes *const pfxs[] = { NULL, &pfx_all,
		&pfx_kinds };
	size_t t, p;
	int man, suf, part;

	(void)state;
	for (t = 0; t < 4; t++)
		for (man = 0; man < 2; man++)
			for (suf = 0; suf < 3; suf++)
				for (part = 0; part < 2; part++)
					for (p = 0; p < 3; p++) {
						struct name_info ni, back;
						struct buf b;
						bool sig =
						    types[t] == NAME_FULL_SIG ||
						    types[t] == NAME_NEW_SIG;

						if (sig && man)
							continue;
						memset(&ni, 0, sizeof(ni));
						ni.type = types[t];
						ni.manifest = man;
						ni.volume =
						    (man || sig) ? 0 : 42;
						ni.time = T1;
						ni.start = T0;
						ni.end = T2;
						if (types[t] == NAME_FULL ||
						    types[t] == NAME_FULL_SIG)
							ni.start = ni.end = 0;
						else
							ni.time = 0;
						ni.partial = part;
						buf_init(&b, 4096);
						CHECK_INT(
						    names_build(&b, pfxs[p],
							&ni,
							(enum name_suffix)suf),
						    0, "build");
						if (names_parse(buf_str(&b),
							pfxs[p], &back) != 1) {
							CHECK(0, buf_str(&b));
						} else {
							CHECK_INT(back.type,
							    ni.type,
							    buf_str(&b));
							CHECK_INT(back.manifest,
							    ni.manifest,
							    buf_str(&b));
							CHECK_INT(back.volume,
							    ni.volume,
							    buf_str(&b));
							CHECK_INT(back.time,
							    ni.time,
							    buf_str(&b));
							CHECK_INT(back.start,
							    ni.start,
							    buf_str(&b));
							CHECK_INT(back.end,
							    ni.end,
							    buf_str(&b));
							CHECK_INT(
							    back.encrypted,
							    suf == SUFFIX_GPG,
							    buf_str(&b));
							CHECK_INT(
							    back.compressed,
							    suf == SUFFIX_GZ,
							    buf_str(&b));
							/* inc volumes have no
							 * .part form; full
							 * volumes ignore it */
							if (ni.manifest || sig)
								CHECK_INT(
								    back.partial,
								    part,
								    buf_str(
									&b));
							CHECK_INT(names_set_end(
								      &back),
							    names_set_end(&ni),
							    buf_str(&b));
						}
						buf_release(&b);
					}
	UNIT_DONE();
}

static void
test_build_full_buffer(void **state)
{
	struct name_info ni;
	struct buf b;

	(void)state;
	memset(&ni, 0, sizeof(ni));
	ni.type = NAME_FULL;
	ni.volume = 1;
	ni.time = T0;
	buf_init(&b, 20);
	CHECK_INT(names_build(&b, NULL, &ni, SUFFIX_GZ), -1,
	    "name over the cap");
	CHECK_INT(b.len, 0, "nothing written");
	buf_release(&b);
	UNIT_DONE();
}

static void
test_base_len(void **state)
{
	static const struct {
		const char *name;
		size_t want;
	} cases[] = {
		{ "duplicity-full.20231114T221320Z.manifest.gpg", 40 },
		{ "duplicity-full.20231114T221320Z.manifest", 40 },
		{ "duplicity-full.20231114T221320Z.manifest.part", 40 },
		{ "duplicity-full-signatures.20231114T221320Z.sigtar.gz", 49 },
		{ "df.s44we8.m.g", 11 },
		{ "dfs.s44we8.st.z", 13 },
		{ "a.gz.gpg", 4 }, /* one suffix only */
		{ ".gz", 3 },      /* never the whole name */
		{ "x", 1 },
		{ "", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_INT(names_base_len(cases[i].name), cases[i].want,
		    cases[i].name);
	UNIT_DONE();
}

/* --short-filenames and --old-filenames: the names file_naming.py get()
 * writes (computed with duplicity 0.8.22, TZ=Europe/Berlin). */
static void
test_build_styles(void **state)
{
	static const struct name_prefixes sh = { .style = NAME_STYLE_SHORT };
	static const struct name_prefixes old = { .style = NAME_STYLE_OLD };
	static const struct {
		struct name_info ni;
		const struct name_prefixes *pfx;
		enum name_suffix suf;
		const char *want;
	} cases[] = {
		{ { .type = NAME_FULL, .volume = 1, .time = T0 }, &sh,
		    SUFFIX_GZ, "df.s44we8.1.dt.z" },
		{ { .type = NAME_FULL, .manifest = true, .time = T0 }, &sh,
		    SUFFIX_GPG, "df.s44we8.m.g" },
		{ { .type = NAME_FULL,
		      .manifest = true,
		      .time = T0,
		      .partial = true },
		    &sh, SUFFIX_NONE, "df.s44we8.m.p" },
		{ { .type = NAME_FULL_SIG, .time = T0 }, &sh, SUFFIX_GZ,
		    "dfs.s44we8.st.z" },
		{ { .type = NAME_INC, .volume = 37, .start = T0, .end = T1 },
		    &sh, SUFFIX_GPG, "di.s44we8.s44wh0.11.dt.g" },
		{ { .type = NAME_INC,
		      .manifest = true,
		      .start = T0,
		      .end = T1 },
		    &sh, SUFFIX_NONE, "di.s44we8.s44wh0.m" },
		{ { .type = NAME_NEW_SIG,
		      .start = T0,
		      .end = T1,
		      .partial = true },
		    &sh, SUFFIX_NONE, "dns.s44we8.s44wh0.st.p" },
		{ { .type = NAME_FULL, .volume = 1, .time = T0 }, &old,
		    SUFFIX_GZ,
		    "duplicity-full.2023-11-14T23:13:20+01:00.vol1.difftar.gz" },
		{ { .type = NAME_NEW_SIG, .start = T0, .end = 1689000000 },
		    &old, SUFFIX_GZ,
		    "duplicity-new-signatures.2023-11-14T23:13:20+01:00.to.2023-07-10T16:40:00+02:00.sigtar.gz" },
	};
	char *tz = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
	size_t i;

	(void)state;
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b;
		struct name_info back;

		buf_init(&b, 4096);
		CHECK_INT(
		    names_build(&b, cases[i].pfx, &cases[i].ni, cases[i].suf),
		    0, cases[i].want);
		CHECK_STR(buf_str(&b), cases[i].want, cases[i].want);
		/* every style is read back, whatever style is set */
		CHECK_INT(names_parse(buf_str(&b), NULL, &back), 1,
		    cases[i].want);
		CHECK_INT(back.type, cases[i].ni.type, cases[i].want);
		CHECK_INT(back.volume, cases[i].ni.volume, cases[i].want);
		CHECK_INT(names_set_end(&back), names_set_end(&cases[i].ni),
		    cases[i].want);
		CHECK_INT(back.encrypted, cases[i].suf == SUFFIX_GPG,
		    cases[i].want);
		CHECK_INT(back.compressed, cases[i].suf == SUFFIX_GZ,
		    cases[i].want);
		buf_release(&b);
	}
	if (tz != NULL)
		setenv("TZ", tz, 1);
	else
		unsetenv("TZ");
	free(tz);
	tzset();
	UNIT_DONE();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_good_names),
		UNIT_TEST(test_bad_names),
		UNIT_TEST(test_vector_names),
		UNIT_TEST(test_build),
		UNIT_TEST(test_build_round_trip),
		UNIT_TEST(test_build_full_buffer),
		UNIT_TEST(test_build_styles),
		UNIT_TEST(test_base_len),
	};

	unit_init();
	return cmocka_run_group_tests_name("names", tests, NULL, NULL);
}
