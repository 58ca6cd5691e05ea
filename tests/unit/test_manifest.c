/*
 * format/manifest: reading and writing set manifests
 * (duplicity-format.md 3).
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/manifest.h"
#include "format/quote.h"
#include "format/tar.h"
#include "util/buf.h"
#include "util/digest.h"
#include "util/err.h"

#define WEIRD "weird \"quote\" 'apos' back\\slash.txt"

/* The example of duplicity-format.md 3.1, byte for byte. */
static const char spec_example[] =
    "Hostname dupc-vectors\n"
    "Localdir src\n"
    "Volume 1:\n"
    "    StartingPath   .  \n"
    "    EndingPath     multivol.bin 11\n"
    "    Hash SHA1 6183e5ad9b1f5870571d1e2d0c5dcb83d3dbef44\n"
    "Volume 2:\n"
    "    StartingPath   multivol.bin 12\n"
    "    EndingPath     multivol.bin 26\n"
    "    Hash SHA1 537526dd5203042b68efe41dfe413ac830fc9fe1\n"
    "Volume 3:\n"
    "    StartingPath   multivol.bin 27\n"
    "    EndingPath     \"weird\\x20\\x22quote\\x22\\x20\\x27apos\\x27\\x20back\\x5cslash.txt\"  \n"
    "    Hash SHA1 4a5fe57212f4d97ba65edfd8c31317116b383a18\n"
    "Filelist 17\n"
    "    new      big-text.txt\n"
    "    new      \"dir\\x20with\\x20spaces/plain.txt\"\n"
    "    changed  small.txt\n"
    "    deleted  medium-100k.bin\n";

static int
parse_str(struct manifest *m, const char *text, struct dupc_err *err)
{
	manifest_init(m);
	err_clear(err);
	return manifest_parse(m, text, strlen(text), err);
}

static void
check_vol(const struct manifest *m, unsigned num, const char *start,
    long sblock, const char *end, long eblock, const char *hash,
    const char *name)
{
	const struct manifest_volume *v = manifest_find(m, num);
	char what[128];

	snprintf(what, sizeof(what), "%s, volume %u", name, num);
	CHECK(v != NULL, what);
	if (v == NULL)
		return;
	CHECK_INT(v->number, num, what);
	CHECK_STR(v->start_index, start, what);
	CHECK_INT(v->start_block, sblock, what);
	CHECK_STR(v->end_index, end, what);
	CHECK_INT(v->end_block, eblock, what);
	if (hash != NULL) {
		CHECK_STR(v->hash_type, "SHA1", what);
		CHECK_STR(v->hash, hash, what);
	}
}

static void
test_parse_spec_example(void **state)
{
	struct manifest m;
	struct dupc_err err;

	(void)state;
	CHECK_INT(parse_str(&m, spec_example, &err), 0, "spec example");
	CHECK_STR(m.hostname, "dupc-vectors", "hostname");
	CHECK_STR(m.localdir, "src", "localdir");
	CHECK_INT(m.nvols, 3, "volumes");
	CHECK_INT(m.filelist_count, 17, "filelist count");
	check_vol(&m, 1, "", -1, "multivol.bin", 11,
	    "6183e5ad9b1f5870571d1e2d0c5dcb83d3dbef44", "spec");
	check_vol(&m, 2, "multivol.bin", 12, "multivol.bin", 26,
	    "537526dd5203042b68efe41dfe413ac830fc9fe1", "spec");
	check_vol(&m, 3, "multivol.bin", 27, WEIRD, -1,
	    "4a5fe57212f4d97ba65edfd8c31317116b383a18", "spec");
	CHECK(manifest_find(&m, 0) == NULL, "no volume 0");
	CHECK(manifest_find(&m, 4) == NULL, "no volume 4");
	manifest_release(&m);
	CHECK_INT(m.nvols, 0, "release empties");
	UNIT_DONE();
}

struct vector_manifest {
	const char *file;
	const char *volume; /* remote volume 1 file, for the hash */
	size_t nvols;
	long filelist;
	const char *end1;
};

/* The vectors' manifests, including each volume's SHA-1 against the
 * volume file itself. */
static void
test_parse_vectors(void **state)
{
	static const struct vector_manifest cases[] = {
		{ "a-plain/remote/duplicity-full.20231114T221320Z.manifest",
		    "a-plain/remote/duplicity-full.20231114T221320Z.vol1.difftar.gz",
		    1, 16, WEIRD },
		{ "a-plain/remote/duplicity-inc.20231114T221320Z.to.20231114T221500Z.manifest",
		    "a-plain/remote/duplicity-inc.20231114T221320Z.to.20231114T221500Z.vol1.difftar.gz",
		    1, 8, "type-change/inside.txt" },
		{ "a-plain/remote/duplicity-inc.20231114T221500Z.to.20231114T221640Z.manifest",
		    "a-plain/remote/duplicity-inc.20231114T221500Z.to.20231114T221640Z.vol1.difftar.gz",
		    1, 7, "secret-0600.txt" },
		{ "c-multivol/remote/duplicity-full.20231114T221320Z.manifest",
		    "c-multivol/remote/duplicity-full.20231114T221320Z.vol1.difftar.gz",
		    3, 17, "multivol.bin" },
	};
	size_t i;

	UNIT_VECTORS(vec);
	(void)vec;
	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *name = strrchr(cases[i].file, '/') + 1;
		struct manifest m;
		struct dupc_err err;
		size_t len, vlen;
		unsigned char *text =
		    unit_slurp(unit_vector_path(cases[i].file), &len);
		unsigned char *vol;
		char hex[DIGEST_HEX_MAX];
		const char *type, *best;

		CHECK(text != NULL, name);
		if (text == NULL)
			continue;
		manifest_init(&m);
		err_clear(&err);
		CHECK_INT(manifest_parse(&m, (const char *)text, len, &err), 0,
		    name);
		CHECK_STR(m.hostname, "dupc-vectors", name);
		CHECK_STR(m.localdir, "src", name);
		CHECK_INT(m.nvols, cases[i].nvols, name);
		CHECK_INT(m.filelist_count, cases[i].filelist, name);
		if (m.nvols >= 1) {
			CHECK_STR(m.vols[0].start_index, "", name);
			CHECK_INT(m.vols[0].start_block, -1, name);
			CHECK_STR(m.vols[0].end_index, cases[i].end1, name);
		}
		vol = unit_slurp(unit_vector_path(cases[i].volume), &vlen);
		CHECK(vol != NULL, cases[i].volume);
		if (vol != NULL && m.nvols >= 1) {
			digest_hex(DIGEST_SHA1, vol, vlen, hex);
			CHECK_INT(manifest_best_hash(&m.vols[0], &type, &best),
			    0, name);
			CHECK_STR(type, "SHA1", name);
			CHECK_STR(best, hex, name);
		}
		free(vol);
		if (cases[i].nvols == 3) {
			check_vol(&m, 1, "", -1, "multivol.bin", 11, NULL,
			    name);
			check_vol(&m, 2, "multivol.bin", 12, "multivol.bin", 26,
			    NULL, name);
			check_vol(&m, 3, "multivol.bin", 27, WEIRD, -1, NULL,
			    name);
		}
		manifest_release(&m);
		free(text);
	}
	UNIT_DONE();
}

struct good_case {
	const char *name;
	const char *text;
	size_t nvols;
};

/* Lenient inputs duplicity accepts, each checked for one detail. */
static void
test_parse_lenient(void **state)
{
	static const struct good_case cases[] = {
		{ "empty", "", 0 },
		{ "no trailing newline",
		    "Volume 1:\n    StartingPath   .  \n    EndingPath     a  \n"
		    "    Hash SHA1 00",
		    1 },
		{ "filelist before volumes",
		    "Hostname h\nLocaldir src\nFilelist 2\n    new      a\n"
		    "    changed  b\nVolume 1:\n    StartingPath   .  \n"
		    "    EndingPath     b  \n",
		    1 },
		{ "case-insensitive field names",
		    "hostname h\nLOCALDIR src\nvolume 1:\n    startingpath . \n"
		    "    ENDINGPATH a \n    hash SHA1 ab\n",
		    1 },
		{ "tabs and extra spaces",
		    "Volume 1:\n\tStartingPath\t.\t\n\t EndingPath  a   3  \n",
		    1 },
		{ "unknown lines ignored",
		    "Whatever 1\nVolume 1:\n    Foo bar\n    StartingPath . \n"
		    "\n    EndingPath a \n    Bar\n",
		    1 },
		{ "no hash", "Volume 1:\n StartingPath a\n EndingPath b\n", 1 },
		{ "quoted and raw bytes",
		    "Hostname h\xe9\nLocaldir \"my\\x20src\"\nVolume 1:\n"
		    "    StartingPath   \"a\\x0ab\" 1\n    EndingPath     \xe9\xff  \n",
		    1 },
		{ "volumes out of order",
		    "Volume 2:\n StartingPath b\n EndingPath c\n"
		    "Volume 1:\n StartingPath . \n EndingPath a\n"
		    "Volume 3:\n StartingPath d\n EndingPath e\n",
		    3 },
		/* manifest indexes are only compared, never used as paths */
		{ "dot-dot and absolute indexes are opaque",
		    "Volume 1:\n StartingPath ../etc\n EndingPath /etc/passwd\n",
		    1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct manifest m;
		struct dupc_err err;

		CHECK_INT(parse_str(&m, cases[i].text, &err), 0, cases[i].name);
		CHECK_INT(m.nvols, cases[i].nvols, cases[i].name);
		manifest_release(&m);
	}
	UNIT_DONE();
}

static void
test_parse_details(void **state)
{
	struct manifest m;
	struct dupc_err err;
	const char *type, *hex;

	(void)state;
	/* absent fields */
	CHECK_INT(
	    parse_str(&m, "Volume 1:\n StartingPath a\n EndingPath b\n", &err),
	    0, "absent fields");
	CHECK(m.hostname == NULL, "absent hostname is NULL");
	CHECK(m.localdir == NULL, "absent localdir is NULL");
	CHECK_INT(m.filelist_count, -1, "absent filelist");
	CHECK_STR(m.vols[0].hash_type, "", "absent hash");
	CHECK_INT(manifest_best_hash(&m.vols[0], &type, &hex), -1,
	    "no best hash");
	manifest_release(&m);

	/* quoting in every field */
	CHECK_INT(parse_str(&m,
		      "Hostname h\xe9\nLocaldir \"my\\x20src\"\nVolume 1:\n"
		      "    StartingPath   \"a\\x0ab\" 1\n"
		      "    EndingPath     \xe9\xff  \n",
		      &err),
	    0, "quoting");
	CHECK_STR(m.hostname, "h\xe9", "raw hostname");
	CHECK_STR(m.localdir, "my src", "quoted localdir");
	CHECK_STR(m.vols[0].start_index, "a\nb", "escaped newline in a path");
	CHECK_INT(m.vols[0].start_block, 1, "block");
	CHECK_STR(m.vols[0].end_index, "\xe9\xff", "non-UTF-8 path");
	manifest_release(&m);

	/* hashes: SHA1 preferred, then MD5, then the first */
	CHECK_INT(parse_str(&m,
		      "Volume 1:\n StartingPath a\n EndingPath b\n"
		      " Hash MD5 11\n Hash SHA1 22\n Hash SHA256 33\n"
		      "Volume 2:\n StartingPath a\n EndingPath b\n"
		      " Hash SHA256 33\n Hash MD5 11\n"
		      "Volume 3:\n StartingPath a\n EndingPath b\n"
		      " Hash SHA256 33\n Hash XYZ 44\n",
		      &err),
	    0, "hashes");
	CHECK_INT(manifest_best_hash(&m.vols[0], &type, &hex), 0, "SHA1 wins");
	CHECK_STR(type, "SHA1", "SHA1 wins");
	CHECK_STR(hex, "22", "SHA1 wins");
	CHECK_INT(manifest_best_hash(&m.vols[1], &type, &hex), 0, "MD5 second");
	CHECK_STR(type, "MD5", "MD5 second");
	CHECK_STR(hex, "11", "MD5 second");
	CHECK_INT(manifest_best_hash(&m.vols[2], &type, &hex), 0,
	    "first other");
	CHECK_STR(type, "SHA256", "first other");
	manifest_release(&m);

	/* Filelist before volumes, then volumes */
	CHECK_INT(parse_str(&m,
		      "Hostname h\nFilelist 2\n    new      a\n    changed  b\n"
		      "Volume 1:\n StartingPath . \n EndingPath b\n",
		      &err),
	    0, "filelist first");
	CHECK_INT(m.filelist_count, 2, "filelist first: count");
	CHECK_INT(m.nvols, 1, "filelist first: volume");
	CHECK_STR(m.vols[0].end_index, "b", "filelist first: end");
	manifest_release(&m);

	/* a Filelist after the last volume does not disturb it */
	CHECK_INT(
	    parse_str(&m,
		"Volume 1:\n StartingPath . \n EndingPath b\n Hash SHA1 aa\n"
		"Filelist 1\n    deleted  \"Volume\\x202:\"\n",
		&err),
	    0, "filelist last");
	CHECK_INT(m.filelist_count, 1, "filelist last: count");
	CHECK_INT(m.nvols, 1, "filelist last: one volume");
	CHECK_STR(m.vols[0].hash, "aa", "filelist last: hash");
	manifest_release(&m);
	UNIT_DONE();
}

/* A resumed backup repeats volumes: the last occurrence wins and any
 * volume numbered above the last one parsed is dropped. */
static void
test_duplicate_volumes(void **state)
{
	struct manifest m;
	struct dupc_err err;

	(void)state;
	CHECK_INT(
	    parse_str(&m,
		"Volume 1:\n StartingPath . \n EndingPath a 3\n Hash SHA1 01\n"
		"Volume 2:\n StartingPath a 4\n EndingPath b\n Hash SHA1 02\n"
		"Volume 3:\n StartingPath c\n EndingPath d\n Hash SHA1 03\n"
		"Volume 2:\n StartingPath a 4\n EndingPath z\n Hash SHA1 22\n",
		&err),
	    0, "1 2 3 2");
	CHECK_INT(m.nvols, 2, "1 2 3 2: volume 3 dropped");
	check_vol(&m, 1, "", -1, "a", 3, "01", "1 2 3 2");
	check_vol(&m, 2, "a", 4, "z", -1, "22", "1 2 3 2");
	CHECK(manifest_find(&m, 3) == NULL, "1 2 3 2: no volume 3");
	manifest_release(&m);

	CHECK_INT(
	    parse_str(&m,
		"Volume 1:\n StartingPath . \n EndingPath a\n Hash SHA1 01\n"
		"Volume 2:\n StartingPath b\n EndingPath c\n Hash SHA1 02\n"
		"Volume 1:\n StartingPath . \n EndingPath q\n Hash SHA1 11\n",
		&err),
	    0, "1 2 1");
	CHECK_INT(m.nvols, 1, "1 2 1: only volume 1 left");
	check_vol(&m, 1, "", -1, "q", -1, "11", "1 2 1");
	manifest_release(&m);

	CHECK_INT(parse_str(&m,
		      "Volume 1:\n StartingPath . \n EndingPath a\n"
		      "Volume 1:\n StartingPath . \n EndingPath b\n"
		      "Volume 2:\n StartingPath c\n EndingPath d\n",
		      &err),
	    0, "1 1 2");
	CHECK_INT(m.nvols, 2, "1 1 2");
	check_vol(&m, 1, "", -1, "b", -1, NULL, "1 1 2");
	manifest_release(&m);
	UNIT_DONE();
}

/*
 * Many volumes in any order: sorted, the last of repeated numbers wins.
 * Parsing costs O(n log n): sorted insertion used to take minutes here.
 */
static void
test_parse_many_volumes(void **state)
{
	enum { N = 300000 };
	struct buf text;
	struct manifest m;
	struct dupc_err err;
	unsigned *order = malloc(N * sizeof(*order));
	uint64_t seed = 7;
	size_t i;

	(void)state;
	assert_non_null(order);
	/* 1..N-1 shuffled, then N, then N again with another path */
	for (i = 0; i < N - 1; i++)
		order[i] = (unsigned)i + 1;
	for (i = N - 2; i > 0; i--) {
		size_t j = unit_rand(&seed) % (i + 1);
		unsigned t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	buf_init(&text, MANIFEST_MAX_BYTES);
	for (i = 0; i < N - 1; i++)
		assert_int_equal(
		    buf_addf(&text,
			"Volume %u:\n StartingPath a\n EndingPath a%u\n",
			order[i], order[i]),
		    0);
	assert_int_equal(buf_addf(&text,
			     "Volume %u:\n StartingPath a\n EndingPath old\n"
			     "Volume %u:\n StartingPath a\n EndingPath new\n",
			     N, N),
	    0);
	manifest_init(&m);
	err_clear(&err);
	CHECK_INT(manifest_parse(&m, buf_str(&text), text.len, &err), 0,
	    "parse");
	CHECK_U64(m.nvols, N, "volume count");
	for (i = 0; i < m.nvols; i++)
		if (m.vols[i].number != i + 1) {
			CHECK_INT(m.vols[i].number, i + 1, "sorted");
			break;
		}
	if (m.nvols == N) {
		CHECK_STR(m.vols[N - 1].end_index, "new", "last one wins");
		CHECK_STR(manifest_find(&m, 4711)->end_index, "a4711", "find");
	}
	CHECK(manifest_find(&m, N + 1) == NULL, "find a missing one");
	manifest_release(&m);
	buf_release(&text);
	free(order);
	UNIT_DONE();
}

/* "Hostname", "Localdir" or "Filelist" alone on a line: an empty
 * value, read within the line (its length minus the blank used to wrap
 * around). */
static void
test_parse_bare_fields(void **state)
{
	static const char *const cases[] = {
		"Hostname\nLocaldir\n\":\" oV\ne",
		"Localdir\nVolume 1:\n StartingPath a\n EndingPath b\n",
		"Hostname\n",
		"filelist\n",
		"Volume 1:\n StartingPath a\n EndingPath b\nFilelist\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct manifest m;
		struct dupc_err err;
		size_t len = strlen(cases[i]);
		/* exactly the text, no NUL after it, so ASan sees any read
		 * past the end */
		char *copy = malloc(len);

		assert_non_null(copy);
		memcpy(copy, cases[i], len);
		manifest_init(&m);
		err_clear(&err);
		CHECK_INT(manifest_parse(&m, copy, len, &err), 0, cases[i]);
		CHECK(m.hostname == NULL || *m.hostname == '\0', cases[i]);
		CHECK(m.localdir == NULL || *m.localdir == '\0', cases[i]);
		CHECK_INT(m.filelist_count, -1, cases[i]);
		manifest_release(&m);
		free(copy);
	}
	UNIT_DONE();
}

/* A path longer than any tar entry name can hold is refused. */
static void
test_parse_path_limit(void **state)
{
	struct buf text;
	struct manifest m;
	struct dupc_err err;
	size_t n;

	(void)state;
	for (n = TAR_NAME_MAX - 1; n <= TAR_NAME_MAX + 1; n++) {
		char name[48];

		buf_init(&text, MANIFEST_MAX_BYTES);
		assert_int_equal(
		    buf_addstr(&text,
			"Volume 1:\n StartingPath a\n EndingPath "),
		    0);
		while (text.len < 38 + n)
			assert_int_equal(buf_addch(&text, 'p'), 0);
		assert_int_equal(buf_addch(&text, '\n'), 0);
		snprintf(name, sizeof(name), "path of %zu bytes", n);
		manifest_init(&m);
		err_clear(&err);
		CHECK_INT(manifest_parse(&m, buf_str(&text), text.len, &err),
		    n < TAR_NAME_MAX ? 0 : -1, name);
		manifest_release(&m);
		buf_release(&text);
	}
	UNIT_DONE();
}

/* NUL bytes in hash tokens: a hash cut to "" would go unverified. */
static void
test_parse_nul_in_hash(void **state)
{
	static const char nul_in_type[] = "Volume 1:\n StartingPath a\n"
					  " EndingPath b\n Hash \0HA1 ab\n";
	static const char nul_in_hash[] = "Volume 1:\n StartingPath a\n"
					  " EndingPath b\n Hash SHA1 a\0b\n";
	static const struct {
		const char *name;
		const char *text;
		size_t len;
	} cases[] = {
		{ "NUL in a hash type", nul_in_type, sizeof(nul_in_type) - 1 },
		{ "NUL in a hash", nul_in_hash, sizeof(nul_in_hash) - 1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct manifest m;
		struct dupc_err err;

		manifest_init(&m);
		err_clear(&err);
		CHECK_INT(manifest_parse(&m, cases[i].text, cases[i].len, &err),
		    -1, cases[i].name);
		CHECK_INT(err.code, E_UNREADABLE_MANIFESTS, cases[i].name);
		manifest_release(&m);
	}
	UNIT_DONE();
}

static void
test_parse_bad(void **state)
{
	static const struct {
		const char *name;
		const char *text;
	} cases[] = {
		{ "missing paths", "Volume 1:\n" },
		{ "missing ending path",
		    "Volume 1:\n    StartingPath   .  \n" },
		{ "missing starting path",
		    "Volume 1:\n    EndingPath   a  \n" },
		{ "second volume missing a path",
		    "Volume 1:\n StartingPath . \n EndingPath a\n"
		    "Volume 2:\n StartingPath a\n" },
		{ "path field without a path",
		    "Volume 1:\n StartingPath\n EndingPath a\n" },
		{ "path field with only spaces",
		    "Volume 1:\n StartingPath    \n EndingPath a\n" },
		{ "block not a number",
		    "Volume 1:\n StartingPath a x\n EndingPath b\n" },
		{ "negative block",
		    "Volume 1:\n StartingPath a -1\n EndingPath b\n" },
		{ "fractional block",
		    "Volume 1:\n StartingPath a 1.5\n EndingPath b\n" },
		{ "block 2^31",
		    "Volume 1:\n StartingPath a 2147483648\n EndingPath b\n" },
		{ "block 2^63",
		    "Volume 1:\n StartingPath a 9223372036854775808\n EndingPath b\n" },
		{ "block 2^64",
		    "Volume 1:\n StartingPath a 18446744073709551616\n EndingPath b\n" },
		{ "volume number missing",
		    "Volume :\n StartingPath a\n EndingPath b\n" },
		{ "volume number not a number",
		    "Volume x:\n StartingPath a\n EndingPath b\n" },
		{ "volume number negative",
		    "Volume -1:\n StartingPath a\n EndingPath b\n" },
		{ "volume without colon",
		    "Volume 1\n StartingPath a\n EndingPath b\n" },
		{ "volume space before colon",
		    "Volume 1 :\n StartingPath a\n EndingPath b\n" },
		{ "volume tab separator",
		    "Volume\t1:\n StartingPath a\n EndingPath b\n" },
		{ "volume number 2^31",
		    "Volume 2147483648:\n StartingPath a\n EndingPath b\n" },
		{ "volume number 2^63",
		    "Volume 9223372036854775808:\n StartingPath a\n EndingPath b\n" },
		{ "truncated quote",
		    "Volume 1:\n StartingPath \"abc\n EndingPath b\n" },
		{ "truncated quote at end",
		    "Volume 1:\n StartingPath a\n EndingPath \"b" },
		{ "quote split by a space",
		    "Volume 1:\n StartingPath \"a b\"\n EndingPath b\n" },
		{ "bad escape",
		    "Volume 1:\n StartingPath \"a\\x4g\"\n EndingPath b\n" },
		{ "short escape",
		    "Volume 1:\n StartingPath a\n EndingPath \"b\\x4\"\n" },
		{ "not an x escape",
		    "Volume 1:\n StartingPath \"a\\q41\"\n EndingPath b\n" },
		{ "escaped NUL in a path",
		    "Volume 1:\n StartingPath \"a\\x00b\"\n EndingPath b\n" },
		{ "hash without a value",
		    "Volume 1:\n StartingPath a\n EndingPath b\n Hash SHA1\n" },
		{ "hash without anything",
		    "Volume 1:\n StartingPath a\n EndingPath b\n Hash\n" },
		{ "hash type too long",
		    "Volume 1:\n StartingPath a\n EndingPath b\n Hash SHA1234567 ab\n" },
		{ "hostname with a bad quote",
		    "Hostname \"abc\nVolume 1:\n StartingPath a\n EndingPath b\n" },
		{ "localdir with a bad escape", "Localdir \"a\\x2\"\n" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct manifest m;
		struct dupc_err err;

		CHECK_INT(parse_str(&m, cases[i].text, &err), -1,
		    cases[i].name);
		CHECK_INT(err.code, E_UNREADABLE_MANIFESTS, cases[i].name);
		CHECK(err.msg[0] != '\0', cases[i].name);
		CHECK_INT(m.nvols, 0, cases[i].name);
		CHECK(m.hostname == NULL && m.localdir == NULL, cases[i].name);
		manifest_release(&m);
	}
	UNIT_DONE();
}

static void
test_parse_oversized(void **state)
{
	struct manifest m;
	struct dupc_err err;
	char *big;
	size_t n;

	(void)state;
	/* a hash value longer than the field */
	{
		char text[512];

		snprintf(text, sizeof(text),
		    "Volume 1:\n StartingPath a\n EndingPath b\n Hash SHA1 %0200d\n",
		    0);
		manifest_init(&m);
		CHECK_INT(manifest_parse(&m, text, strlen(text), &err), -1,
		    "hash value of 200 characters");
		manifest_release(&m);
	}
	/* a whole manifest over the limit is refused before reading it */
	n = (size_t)MANIFEST_MAX_BYTES + 1;
	big = calloc(1, n);
	CHECK(big != NULL, "allocate");
	if (big != NULL) {
		manifest_init(&m);
		err_clear(&err);
		CHECK_INT(manifest_parse(&m, big, n, &err), -1,
		    "over the limit");
		CHECK_INT(err.code, E_UNREADABLE_MANIFESTS, "over the limit");
		manifest_release(&m);
		free(big);
	}
	/* a path token over the 1 MiB token limit */
	n = (1u << 20) + 64;
	big = malloc(n + 64);
	CHECK(big != NULL, "allocate");
	if (big != NULL) {
		size_t o = (size_t)sprintf(big, "Volume 1:\n StartingPath ");

		memset(big + o, 'a', (1u << 20) + 1);
		o += (1u << 20) + 1;
		o += (size_t)sprintf(big + o, "\n EndingPath b\n");
		manifest_init(&m);
		CHECK_INT(manifest_parse(&m, big, o, &err), -1, "1 MiB path");
		manifest_release(&m);
		free(big);
	}
	UNIT_DONE();
}

/*
 * Every prefix of a manifest, in a buffer of exactly that size: each one
 * parses or fails cleanly, and nothing past the end is read.
 */
static void
test_parse_truncated(void **state)
{
	static const char filelist_first[] =
	    "Filelist 2\n    new      a\n    new      b\nVolume 1:\n"
	    "    StartingPath   .  \n    EndingPath     b  \n";
	static const char *const texts[] = { spec_example, filelist_first };
	size_t t, n, ok = 0;

	(void)state;
	for (t = 0; t < 2; t++)
		for (n = 0; n <= strlen(texts[t]); n++) {
			char *copy = malloc(n ? n : 1);
			struct manifest m;
			struct dupc_err err;
			char name[64];
			int rc;

			if (copy == NULL)
				continue;
			memcpy(copy, texts[t], n);
			snprintf(name, sizeof(name),
			    "text %zu, first %zu bytes", t, n);
			manifest_init(&m);
			err_clear(&err);
			rc = manifest_parse(&m, copy, n, &err);
			if (rc == 0) {
				size_t i;

				ok++;
				for (i = 0; i < m.nvols; i++)
					CHECK(m.vols[i].start_index != NULL &&
						  m.vols[i].end_index != NULL,
					    name);
			} else {
				CHECK_INT(err.code, E_UNREADABLE_MANIFESTS,
				    name);
			}
			manifest_release(&m);
			free(copy);
		}
	CHECK(ok > 0, "some prefixes parse");
	UNIT_DONE();
}

/* A NUL byte inside the text is just another byte of a line. */
static void
test_parse_nul_bytes(void **state)
{
	static const char text[] =
	    "Hostname h\0x\nVolume 1:\n StartingPath a\0b\n EndingPath c\n";
	struct manifest m;
	struct dupc_err err;
	int rc;

	(void)state;
	manifest_init(&m);
	err_clear(&err);
	rc = manifest_parse(&m, text, sizeof(text) - 1, &err);
	/* an index is a C string: a NUL inside a path must be refused,
	 * not silently cut ("a\0b" read as "a") */
	CHECK_INT(rc, -1, "NUL in a path token");
	manifest_release(&m);
	UNIT_DONE();
}

static void
test_may_contain(void **state)
{
	static const struct {
		const char *start, *end, *prefix;
		bool want;
	} cases[] = {
		{ "a/b", "c", "", true },
		{ "a/b", "c", "a", true },
		{ "a/b", "c", "a/b", true },
		{ "a/b", "c", "a/b/x", true },
		{ "a/b", "c", "a/a", false },
		{ "a/b", "c", "a/c", true },
		{ "a/b", "c", "b", true },
		{ "a/b", "c", "c", true },
		{ "a/b", "c", "c/x", false },
		{ "a/b", "c", "d", false },
		{ "a/b", "c", "a-b", true },
		{ "", "z", "m/n", true },
		{ "m", "m", "m", true },
		{ "m", "m", "n", false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct manifest_volume v;
		char name[80];

		memset(&v, 0, sizeof(v));
		v.start_index = (char *)(uintptr_t)cases[i].start;
		v.end_index = (char *)(uintptr_t)cases[i].end;
		snprintf(name, sizeof(name), "[%s, %s] may contain '%s'",
		    cases[i].start, cases[i].end, cases[i].prefix);
		CHECK_INT(manifest_volume_may_contain(&v, cases[i].prefix),
		    cases[i].want, name);
	}
	UNIT_DONE();
}

static struct manifest_volume
mkvol(unsigned n, const char *s, long sb, const char *e, long eb,
    const char *hash)
{
	struct manifest_volume v;

	memset(&v, 0, sizeof(v));
	v.number = n;
	v.start_index = (char *)(uintptr_t)s;
	v.start_block = sb;
	v.end_index = (char *)(uintptr_t)e;
	v.end_block = eb;
	if (hash != NULL) {
		strcpy(v.hash_type, "SHA1");
		snprintf(v.hash, sizeof(v.hash), "%s", hash);
	}
	return v;
}

/* The writer reproduces the spec's example exactly, trailing spaces
 * included. */
static void
test_write_spec_example(void **state)
{
	struct buf b;
	struct manifest_volume v;

	(void)state;
	buf_init(&b, 1 << 20);
	CHECK_INT(manifest_write_header(&b, "dupc-vectors", "src"), 0,
	    "header");
	v = mkvol(1, "", -1, "multivol.bin", 11,
	    "6183e5ad9b1f5870571d1e2d0c5dcb83d3dbef44");
	CHECK_INT(manifest_write_volume(&b, &v), 0, "volume 1");
	v = mkvol(2, "multivol.bin", 12, "multivol.bin", 26,
	    "537526dd5203042b68efe41dfe413ac830fc9fe1");
	CHECK_INT(manifest_write_volume(&b, &v), 0, "volume 2");
	v = mkvol(3, "multivol.bin", 27, WEIRD, -1,
	    "4a5fe57212f4d97ba65edfd8c31317116b383a18");
	CHECK_INT(manifest_write_volume(&b, &v), 0, "volume 3");
	CHECK_INT(manifest_write_filelist_header(&b, 17), 0, "filelist");
	CHECK_INT(manifest_write_filelist_entry(&b, "new", "big-text.txt"), 0,
	    "entry");
	CHECK_INT(manifest_write_filelist_entry(&b, "new",
		      "dir with spaces/plain.txt"),
	    0, "entry");
	CHECK_INT(manifest_write_filelist_entry(&b, "changed", "small.txt"), 0,
	    "entry");
	CHECK_INT(
	    manifest_write_filelist_entry(&b, "deleted", "medium-100k.bin"), 0,
	    "entry");
	CHECK_MEM(b.data, b.len, spec_example, sizeof(spec_example) - 1,
	    "spec example");
	buf_release(&b);
	UNIT_DONE();
}

static void
test_write_lines(void **state)
{
	static const struct {
		const char *name;
		struct manifest_volume v;
		const char *want;
	} vols[] = {
		{ "root to root, no hash",
		    { 1, (char *)"", -1, (char *)"", -1, "", "" },
		    "Volume 1:\n    StartingPath   .  \n    EndingPath     .  \n" },
		{ "blocks on both ends",
		    { 7, (char *)"a", 1, (char *)"a", 2, "", "" },
		    "Volume 7:\n    StartingPath   a 1\n    EndingPath     a 2\n" },
		{ "block 0 is written",
		    { 2, (char *)"a", 0, (char *)"b", -1, "", "" },
		    "Volume 2:\n    StartingPath   a 0\n    EndingPath     b  \n" },
		{ "quoted indexes",
		    { 3, (char *)"x y", -1, (char *)"tab\there", 5, "MD5",
			"ff" },
		    "Volume 3:\n    StartingPath   \"x\\x20y\"  \n"
		    "    EndingPath     \"tab\\x09here\" 5\n    Hash MD5 ff\n" },
	};
	struct buf b;
	size_t i;

	(void)state;
	buf_init(&b, 1 << 16);
	for (i = 0; i < sizeof(vols) / sizeof(vols[0]); i++) {
		buf_reset(&b);
		CHECK_INT(manifest_write_volume(&b, &vols[i].v), 0,
		    vols[i].name);
		CHECK_STR(buf_str(&b), vols[i].want, vols[i].name);
	}
	/* header variants */
	buf_reset(&b);
	manifest_write_header(&b, "", "src");
	CHECK_STR(buf_str(&b), "Localdir src\n", "empty hostname omitted");
	buf_reset(&b);
	manifest_write_header(&b, NULL, "my src/dir");
	CHECK_STR(buf_str(&b), "Localdir \"my\\x20src/dir\"\n",
	    "localdir quoted");
	buf_reset(&b);
	manifest_write_header(&b, "host", NULL);
	CHECK_STR(buf_str(&b), "Hostname host\n", "no localdir");
	/* filelist lines */
	buf_reset(&b);
	manifest_write_filelist_header(&b, 0);
	manifest_write_filelist_entry(&b, "new", "");
	manifest_write_filelist_entry(&b, "changed", "latin1-\xe9.txt");
	manifest_write_filelist_entry(&b, "deleted", WEIRD);
	CHECK_STR(buf_str(&b),
	    "Filelist 0\n"
	    "    new      .\n"
	    "    changed  latin1-\xe9.txt\n"
	    "    deleted  \"weird\\x20\\x22quote\\x22\\x20\\x27apos\\x27\\x20back\\x5cslash.txt\"\n",
	    "filelist lines");
	buf_release(&b);
	/* a full buffer fails */
	buf_init(&b, 16);
	CHECK_INT(manifest_write_volume(&b, &vols[0].v), -1,
	    "volume over the cap");
	CHECK_INT(manifest_write_header(&b, "a-very-long-hostname", "x"), -1,
	    "header over the cap");
	buf_release(&b);
	UNIT_DONE();
}

/*
 * Re-write each vector manifest from its parsed form plus its filelist:
 * the result must be the vector byte for byte.
 */
static void
test_write_vectors(void **state)
{
	static const char *const files[] = {
		"a-plain/remote/duplicity-full.20231114T221320Z.manifest",
		"a-plain/remote/duplicity-inc.20231114T221320Z.to.20231114T221500Z.manifest",
		"a-plain/remote/duplicity-inc.20231114T221500Z.to.20231114T221640Z.manifest",
		"c-multivol/remote/duplicity-full.20231114T221320Z.manifest",
	};
	size_t f;

	UNIT_VECTORS(vec);
	(void)vec;
	(void)state;
	for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		const char *name = strrchr(files[f], '/') + 1;
		size_t len, i;
		char *text =
		    (char *)unit_slurp(unit_vector_path(files[f]), &len);
		struct manifest m;
		struct dupc_err err;
		struct buf out, path;
		const char *fl;

		CHECK(text != NULL, name);
		if (text == NULL)
			continue;
		manifest_init(&m);
		CHECK_INT(manifest_parse(&m, text, len, &err), 0, name);
		buf_init(&out, 1 << 20);
		buf_init(&path, 1 << 16);
		manifest_write_header(&out, m.hostname, m.localdir);
		for (i = 0; i < m.nvols; i++)
			manifest_write_volume(&out, &m.vols[i]);
		manifest_write_filelist_header(&out,
		    (uint64_t)m.filelist_count);
		fl = strstr(text, "\nFilelist ");
		CHECK(fl != NULL, name);
		if (fl != NULL) {
			const char *line = strchr(fl + 1, '\n');

			while (line != NULL && line[1] != '\0') {
				const char *start = line + 1;
				const char *nl = strchr(start, '\n');
				size_t n =
				    nl ? (size_t)(nl - start) : strlen(start);
				char kind[8];

				CHECK(n > 13, name);
				if (n <= 13)
					break;
				memcpy(kind, start + 4, 7);
				kind[7] = '\0';
				kind[strcspn(kind, " ")] = '\0';
				CHECK_INT(unquote(start + 13, n - 13, &path), 0,
				    name);
				manifest_write_filelist_entry(&out, kind,
				    buf_str(&path));
				line = nl;
			}
		}
		CHECK_MEM(out.data, out.len, text, len, name);
		buf_release(&out);
		buf_release(&path);
		manifest_release(&m);
		free(text);
	}
	UNIT_DONE();
}

/* Write, parse, compare: indexes with every awkward byte survive. */
static void
test_round_trip(void **state)
{
	static const char *const idx[] = {
		"",
		"a",
		"dir with spaces/na\xc3\xafve caf\xc3\xa9 \xe2\x98\x95.txt",
		"latin1-\xe9.txt",
		WEIRD,
		"new\nline",
		"tab\tand\rcr\fff\vvt",
		"\"quoted\"",
		"back\\slash",
		"-",
		"Volume 2:",
		"  lead",
	};
	size_t n = sizeof(idx) / sizeof(idx[0]), i;
	struct buf b;
	struct manifest m, m2;
	struct dupc_err err;

	(void)state;
	buf_init(&b, 1 << 20);
	manifest_write_header(&b, "host name", "src dir/\xe9");
	for (i = 0; i < n; i++) {
		struct manifest_volume v =
		    mkvol((unsigned)i + 1, idx[i], i % 3 ? (long)i : -1,
			idx[(i + 1) % n], i % 2 ? (long)i * 7 : -1,
			"0123456789abcdef0123456789abcdef01234567");

		manifest_write_volume(&b, &v);
	}
	manifest_write_filelist_header(&b, 1);
	manifest_write_filelist_entry(&b, "new", "x");
	manifest_init(&m);
	CHECK_INT(manifest_parse(&m, b.data, b.len, &err), 0, "round trip");
	CHECK_INT(m.nvols, n, "round trip: volumes");
	CHECK_STR(m.hostname, "host name", "round trip: hostname as written");
	CHECK_STR(m.localdir, "src dir/\xe9", "round trip: localdir");
	for (i = 0; i < n && i < m.nvols; i++) {
		char name[64];

		snprintf(name, sizeof(name), "round trip volume %zu", i + 1);
		CHECK_INT(m.vols[i].number, i + 1, name);
		CHECK_STR(m.vols[i].start_index, idx[i], name);
		CHECK_INT(m.vols[i].start_block, i % 3 ? (long)i : -1, name);
		CHECK_STR(m.vols[i].end_index, idx[(i + 1) % n], name);
		CHECK_INT(m.vols[i].end_block, i % 2 ? (long)i * 7 : -1, name);
	}
	/* equality: blocks are not compared, hashes and names are */
	manifest_init(&m2);
	CHECK_INT(manifest_parse(&m2, b.data, b.len, &err), 0, "second parse");
	CHECK(manifest_equal(&m, &m2), "equal to itself");
	m2.vols[0].start_block = 99;
	CHECK(manifest_equal(&m, &m2), "block numbers are not compared");
	m2.vols[0].hash[0] = 'f';
	CHECK(!manifest_equal(&m, &m2), "hash differs");
	m2.vols[0].hash[0] = '0';
	free(m2.hostname);
	m2.hostname = NULL;
	CHECK(!manifest_equal(&m, &m2), "hostname missing");
	manifest_release(&m2);
	manifest_init(&m2);
	CHECK(!manifest_equal(&m, &m2), "volume count differs");
	manifest_release(&m2);
	manifest_release(&m);
	buf_release(&b);
	UNIT_DONE();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_parse_spec_example),
		UNIT_TEST(test_parse_vectors),
		UNIT_TEST(test_parse_lenient),
		UNIT_TEST(test_parse_details),
		UNIT_TEST(test_duplicate_volumes),
		UNIT_TEST(test_parse_bad),
		UNIT_TEST(test_parse_nul_in_hash),
		UNIT_TEST(test_parse_many_volumes),
		UNIT_TEST(test_parse_path_limit),
		UNIT_TEST(test_parse_bare_fields),
		UNIT_TEST(test_parse_oversized),
		UNIT_TEST(test_parse_truncated),
		UNIT_TEST(test_parse_nul_bytes),
		UNIT_TEST(test_may_contain),
		UNIT_TEST(test_write_spec_example),
		UNIT_TEST(test_write_lines),
		UNIT_TEST(test_write_vectors),
		UNIT_TEST(test_round_trip),
	};

	unit_init();
	return cmocka_run_group_tests_name("manifest", tests, NULL, NULL);
}
