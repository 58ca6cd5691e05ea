/*
 * format/tar: duplicity's tar dialect through libarchive
 * (duplicity-format.md 4.6, 5.1).
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/entry.h"
#include "format/tar.h"
#include "util/buf.h"
#include "util/digest.h"
#include "util/err.h"
#include "util/meta.h"
#include "util/stream.h"

#define LONG_COMPONENT                                                           \
	"long-name-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" \
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.txt"

/* One entry to write and to expect back. */
struct tcase {
	const char *name;
	enum obj_type type; /* OBJ_NONE: a deleted entry */
	uint32_t mode;
	int64_t uid, gid;
	const char *uname, *gname;
	int64_t mtime;
	const char *link;
	size_t size; /* data bytes (regular files) */
	uint32_t major, minor;
};

static char long_link[301];
static char long_name[400];
static char uname40[41];

static const struct tcase entries[] = {
	{ "snapshot/./", OBJ_DIR, 0755, 0, 0, "root", "root", 1690000000, NULL,
	    0, 0, 0 },
	{ "snapshot/small.txt", OBJ_REG, 0644, 0, 0, "root", "root", 1690000001,
	    NULL, 18, 0, 0 },
	{ "snapshot/empty", OBJ_REG, 0600, 1000, 1000, "", "", 1690000000, NULL,
	    0, 0, 0 },
	{ "snapshot/deep/", OBJ_DIR, 0700, 0, 0, "root", "root", 1690000000,
	    NULL, 0, 0, 0 },
	{ "snapshot/link-to-small", OBJ_SYMLINK, 0777, 0, 0, "root", "root",
	    1690000000, "small.txt", 0, 0, 0 },
	{ "snapshot/fifo", OBJ_FIFO, 0644, 0, 0, "root", "root", 1690000000,
	    NULL, 0, 0, 0 },
	{ "snapshot/null", OBJ_CHR, 0666, 0, 0, "root", "root", 1690000000,
	    NULL, 0, 1, 3 },
	{ "snapshot/sda", OBJ_BLK, 0660, 0, 6, "root", "disk", 1690000000, NULL,
	    0, 8, 0 },
	{ "deleted/medium-100k.bin", OBJ_NONE, 0, 0, 0, "", "", 0, NULL, 0, 0,
	    0 },
	{ "snapshot/latin1-\xe9.txt", OBJ_REG, 0644, 0, 0, "root", "root",
	    1690000000, NULL, 7, 0, 0 },
	{ "snapshot/dir with spaces/na\xc3\xafve caf\xc3\xa9 \xe2\x98\x95.txt",
	    OBJ_REG, 0644, 0, 0, "root", "root", 1690000000, NULL, 6, 0, 0 },
	{ "snapshot/deep/" LONG_COMPONENT, OBJ_REG, 04755, 0, 0, "root", "root",
	    1690000000, NULL, 5, 0, 0 },
	{ "multivol_snapshot/big.bin/1", OBJ_REG, 0644, 5000000, 4000000,
	    "root", "root", 1690000002, NULL, 200000, 0, 0 },
	{ "snapshot/long-link", OBJ_SYMLINK, 0777, 0, 0, "root", "root",
	    1690000000, long_link, 0, 0, 0 },
	{ long_name, OBJ_REG, 0644, 0, 0, "root", "root", 1690000000, NULL, 3,
	    0, 0 },
	{ "snapshot/owner", OBJ_REG, 0644, 1, 1, uname40, "g", 1690000000, NULL,
	    1, 0, 0 },
	{ "snapshot/old", OBJ_REG, 0644, 0, 0, "", "", -5, NULL, 1, 0, 0 },
	{ "snapshot/weird \"quote\" 'apos' back\\slash.txt", OBJ_REG, 0644, 0,
	    0, "root", "root", 1690000000, NULL, 7, 0, 0 },
};
#define NENTRIES (sizeof(entries) / sizeof(entries[0]))

static void
init_long_strings(void)
{
	size_t i;

	for (i = 0; i < sizeof(long_link) - 1; i++)
		long_link[i] = (char)('a' + i % 26);
	long_link[sizeof(long_link) - 1] = '\0';
	snprintf(long_name, sizeof(long_name), "snapshot/");
	for (i = strlen(long_name); i < sizeof(long_name) - 1; i++)
		long_name[i] = (i % 50 == 0) ? '/' : (char)('A' + i % 26);
	long_name[sizeof(long_name) - 1] = '\0';
	memset(uname40, 'u', 40);
	uname40[40] = '\0';
}

/* Deterministic data for entry ${i}. */
static void
entry_data(size_t i, unsigned char *p, size_t n)
{
	uint64_t s = 1000 + i;

	unit_fill_random(p, n, &s);
}

static void
meta_of(const struct tcase *t, struct obj_meta *m)
{
	meta_init(m);
	m->type = t->type;
	m->mode = t->mode;
	m->uid = t->uid;
	m->gid = t->gid;
	snprintf(m->uname, sizeof(m->uname), "%s", t->uname);
	snprintf(m->gname, sizeof(m->gname), "%s", t->gname);
	m->mtime = t->mtime;
	m->size = t->size;
	m->linkname = (char *)(uintptr_t)t->link;
	m->devmajor = t->major;
	m->devminor = t->minor;
}

/* Write every entry of ${list} into ${out}; 0 or -1. */
static int
write_entries(struct sink *out, const struct tcase *list, size_t n,
    uint64_t *bytes)
{
	struct dupc_err err;
	struct tar_writer *tw = tarw_new(out, &err);
	size_t i;

	if (tw == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		struct obj_meta m;
		unsigned char *data = malloc(list[i].size + 1);
		int rc;

		meta_of(&list[i], &m);
		entry_data(i, data, list[i].size);
		rc = tarw_header(tw, list[i].name, &m, list[i].size, &err);
		/* write in uneven pieces */
		if (rc == 0 && list[i].size > 0) {
			size_t off = 0;

			while (off < list[i].size && rc == 0) {
				size_t k = list[i].size - off;

				if (k > 7919)
					k = 7919;
				rc = tarw_data(tw, data + off, k, &err);
				off += k;
			}
		}
		free(data);
		if (rc < 0) {
			print_message("# write %s: %s\n", list[i].name,
			    err.msg);
			tarw_free(tw);
			return -1;
		}
	}
	if (tarw_finish(tw, &err) < 0) {
		tarw_free(tw);
		return -1;
	}
	if (bytes != NULL)
		*bytes = tarw_bytes(tw);
	tarw_free(tw);
	return 0;
}

static void
test_round_trip(void **state)
{
	struct unit_sink out;
	struct source *src;
	struct tar_reader *tr;
	struct dupc_err err;
	struct tar_entry te;
	struct obj_meta m;
	uint64_t bytes = 0;
	size_t i;

	(void)state;
	unit_sink_init(&out);
	CHECK_INT(write_entries(&out.base, entries, NENTRIES, &bytes), 0,
	    "write");
	CHECK_U64(bytes, out.len, "tarw_bytes counts the output");
	CHECK_INT(out.len % 512, 0, "whole blocks");
	CHECK(out.len >= 1024, "has end blocks");
	if (out.len >= 1024) {
		static const unsigned char zero[1024];

		CHECK(memcmp(out.data + out.len - 1024, zero, 1024) == 0,
		    "ends with two zero blocks");
	}
	CHECK_INT(out.finished, 0, "the tar writer does not finish its sink");

	src = mem_source_new(out.data, out.len);
	tr = tarr_new(src, "round trip", &err);
	assert_non_null(tr);
	meta_init(&m);
	for (i = 0; i < NENTRIES; i++) {
		const struct tcase *t = &entries[i];
		char name[80];
		int rc;

		unit_escape(t->name, strlen(t->name), name, sizeof(name));
		rc = tarr_next(tr, &te, &m, &err);
		CHECK_INT(rc, 1, name);
		if (rc != 1) {
			print_message("# %s\n", err.msg);
			break;
		}
		CHECK_STR(te.name, t->name, name);
		CHECK(!te.hardlink, name);
		CHECK_INT(m.type, t->type == OBJ_NONE ? OBJ_REG : t->type,
		    name);
		CHECK_INT(m.mode, t->type == OBJ_SYMLINK ? 0777 : t->mode,
		    name);
		CHECK_INT(m.mtime, t->mtime < 0 ? 0 : t->mtime, name);
		if (t->type != OBJ_NONE) {
			CHECK_INT(m.uid, t->uid, name);
			CHECK_INT(m.gid, t->gid, name);
			CHECK_STR(m.uname, t->uname, name);
			CHECK_STR(m.gname, t->gname, name);
		} else {
			CHECK_INT(m.uid, 0, name);
			CHECK_STR(m.uname, "", name);
			CHECK_INT(te.size, 0, name);
		}
		if (t->type == OBJ_SYMLINK)
			CHECK_STR(m.linkname, t->link, name);
		else
			CHECK(m.linkname == NULL, name);
		if (t->type == OBJ_CHR || t->type == OBJ_BLK) {
			CHECK_INT(m.devmajor, t->major, name);
			CHECK_INT(m.devminor, t->minor, name);
		}
		CHECK_U64(te.size, t->type == OBJ_REG ? t->size : 0, name);
		/* read the data of every other entry, skip the rest */
		if (t->type == OBJ_REG && i % 2 == 1) {
			unsigned char *want = malloc(t->size + 1);
			unsigned char *got = malloc(t->size + 1);
			size_t have = 0, n = 1;

			entry_data(i, want, t->size);
			while (n > 0) {
				size_t cap = t->size + 1 - have;

				if (cap > 5000)
					cap = 5000;
				if (tarr_read(tr, got + have, cap, &n, &err) <
				    0) {
					CHECK(0, name);
					break;
				}
				have += n;
			}
			CHECK_MEM(got, have, want, t->size, name);
			free(want);
			free(got);
		}
	}
	CHECK_INT(tarr_next(tr, &te, &m, &err), 0, "end of archive");
	CHECK_INT(tarr_next(tr, &te, &m, &err), 0, "end of archive again");
	meta_release(&m);
	tarr_free(tr);
	source_free(src);
	unit_sink_release(&out);
	UNIT_DONE();
}

/* Python's tarfile (what duplicity reads with) must read what we write. */
static const char py_list[] =
    "import sys, tarfile, hashlib\n"
    "def h(s):\n"
    "    return s.encode('utf-8', 'surrogateescape').hex() or '-'\n"
    "with tarfile.open(sys.argv[1], encoding='utf-8', errors='surrogateescape') as t:\n"
    "    for m in t:\n"
    "        d = '-'\n"
    "        if m.isreg():\n"
    "            d = hashlib.sha1(t.extractfile(m).read()).hexdigest()\n"
    "        print(h(m.name), m.type.decode('latin-1') or '0', m.size,\n"
    "              '%o' % m.mode, m.uid, m.gid, m.mtime, h(m.uname),\n"
    "              h(m.gname), h(m.linkname), d, m.devmajor, m.devminor)\n";

static void
hex_of(const char *s, char *out, size_t outsz)
{
	size_t i, n = strlen(s);

	if (n == 0) {
		snprintf(out, outsz, "-");
		return;
	}
	for (i = 0; i < n && 2 * i + 2 < outsz; i++)
		snprintf(out + 2 * i, outsz - 2 * i, "%02x",
		    (unsigned char)s[i]);
}

static void
test_python_reads(void **state)
{
	struct unit_sink out;
	FILE *p;
	char line[4096];
	size_t i = 0;

	(void)state;
	if (!unit_have_python()) {
		print_message("# python3 not available; skipping\n");
		skip();
		return;
	}
	unit_sink_init(&out);
	assert_int_equal(write_entries(&out.base, entries, NENTRIES, NULL), 0);
	assert_int_equal(unit_write_file("out.tar", out.data, out.len), 0);
	assert_int_equal(unit_write_file("list.py", py_list, strlen(py_list)),
	    0);
	p = popen("python3 list.py out.tar 2>&1", "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p) != NULL) {
		const struct tcase *t;
		char name[80], want_name[1024], hexname[1024], type[8],
		    mode[16];
		char un[256], gn[256], ln[1024], sha[64], want_un[256];
		char want_link[1024];
		unsigned long long size, uid, gid;
		long long mtime, major, minor;
		char *trimmed;

		if (i >= NENTRIES) {
			CHECK(0, "python lists more entries than written");
			break;
		}
		t = &entries[i++];
		unit_escape(t->name, strlen(t->name), name, sizeof(name));
		if (sscanf(line,
			"%1023s %7s %llu %15s %llu %llu %lld %255s %255s %1023s %63s %lld %lld",
			hexname, type, &size, mode, &uid, &gid, &mtime, un, gn,
			ln, sha, &major, &minor) != 13) {
			unit_case_fail(__FILE__, __LINE__, name,
			    "python said: %s", line);
			continue;
		}
		/* tarfile drops a directory's trailing slash */
		trimmed = strdup(t->name);
		if (t->type == OBJ_DIR && trimmed[strlen(trimmed) - 1] == '/')
			trimmed[strlen(trimmed) - 1] = '\0';
		hex_of(trimmed, want_name, sizeof(want_name));
		free(trimmed);
		CHECK_STR(hexname, want_name, name);
		switch (t->type) {
		case OBJ_DIR:
			CHECK_STR(type, "5", name);
			break;
		case OBJ_SYMLINK:
			CHECK_STR(type, "2", name);
			hex_of(t->link, want_link, sizeof(want_link));
			CHECK_STR(ln, want_link, name);
			break;
		case OBJ_FIFO:
			CHECK_STR(type, "6", name);
			break;
		case OBJ_CHR:
			CHECK_STR(type, "3", name);
			CHECK_INT(major, t->major, name);
			CHECK_INT(minor, t->minor, name);
			break;
		case OBJ_BLK:
			CHECK_STR(type, "4", name);
			break;
		default:
			CHECK_STR(type, "0", name);
			break;
		}
		CHECK_U64(size, t->type == OBJ_REG ? t->size : 0, name);
		if (t->type != OBJ_SYMLINK) {
			char want_mode[16];

			snprintf(want_mode, sizeof(want_mode), "%o", t->mode);
			CHECK_STR(mode, want_mode, name);
		}
		CHECK_INT(mtime, t->mtime < 0 ? 0 : t->mtime, name);
		if (t->type != OBJ_NONE) {
			CHECK_U64(uid, (unsigned long long)t->uid, name);
			CHECK_U64(gid, (unsigned long long)t->gid, name);
			hex_of(t->uname, want_un, sizeof(want_un));
			CHECK_STR(un, want_un, name);
		}
		if (t->type == OBJ_REG) {
			unsigned char *d = malloc(t->size + 1);
			char want_sha[DIGEST_HEX_MAX];

			entry_data((size_t)(t - entries), d, t->size);
			digest_hex(DIGEST_SHA1, d, t->size, want_sha);
			CHECK_STR(sha, want_sha, name);
			free(d);
		}
	}
	CHECK_INT(pclose(p), 0, "python3 exit status");
	CHECK_INT(i, NENTRIES, "python lists every entry");
	unit_sink_release(&out);
	UNIT_DONE();
}

/* Read every entry of a tar held in memory; names into ${names} (one per
 * line), data bytes counted.  Returns the entry count or -1. */
static long
read_all(const void *p, size_t n, const char *what, struct buf *names,
    uint64_t *data_bytes, struct dupc_err *err)
{
	struct source *src = mem_source_new(p, n);
	struct tar_reader *tr;
	struct tar_entry te;
	struct obj_meta m;
	unsigned char block[65536];
	long count = 0;
	int rc;

	if (data_bytes != NULL)
		*data_bytes = 0;
	tr = tarr_new(src, what, err);
	if (tr == NULL) {
		source_free(src);
		return -1;
	}
	meta_init(&m);
	while ((rc = tarr_next(tr, &te, &m, err)) == 1) {
		size_t got = 1;

		count++;
		if (names != NULL) {
			buf_addstr(names, te.name);
			buf_addch(names, '\n');
		}
		while (got > 0) {
			if (tarr_read(tr, block, sizeof(block), &got, err) <
			    0) {
				rc = -1;
				break;
			}
			if (data_bytes != NULL)
				*data_bytes += got;
		}
		if (rc < 0)
			break;
	}
	meta_release(&m);
	tarr_free(tr);
	source_free(src);
	return rc < 0 ? -1 : count;
}

struct vector_tar {
	const char *file;
	long entries;
	const char *root;  /* the root entry's name */
	const char *probe; /* an entry that must be there */
	enum obj_type probe_type;
	const char *probe_link;
	uint64_t probe_size;
};

/* The vectors' signature and data tars: every entry is read and its name
 * is a valid duplicity entry name. */
static void
test_vectors(void **state)
{
	static const struct vector_tar cases[] = {
		{ "a-plain/remote/duplicity-full-signatures.20231114T221320Z.sigtar.gz",
		    28, "snapshot/", "signature/latin1-\xe9.txt", OBJ_REG, NULL,
		    24 },
		{ "a-plain/remote/duplicity-full.20231114T221320Z.vol1.difftar.gz",
		    69, "snapshot/./", "snapshot/dangling-link", OBJ_SYMLINK,
		    "does/not/exist", 0 },
		{ "a-plain/remote/duplicity-inc.20231114T221320Z.to.20231114T221500Z.vol1.difftar.gz",
		    12, "snapshot/./", "deleted/medium-100k.bin", OBJ_REG, NULL,
		    0 },
		{ "a-plain/remote/duplicity-inc.20231114T221500Z.to.20231114T221640Z.vol1.difftar.gz",
		    11, "snapshot/./",
		    "deleted/dir with spaces/na\xc3\xafve caf\xc3\xa9 \xe2\x98\x95.txt",
		    OBJ_REG, NULL, 0 },
		{ "a-plain/remote/duplicity-new-signatures.20231114T221500Z.to.20231114T221640Z.sigtar.gz",
		    10, "snapshot/", "signature/newdir/added-in-inc2.bin",
		    OBJ_REG, NULL, 1656 },
		{ "c-multivol/remote/duplicity-full.20231114T221320Z.vol2.difftar.gz",
		    15, NULL, "multivol_snapshot/multivol.bin/26", OBJ_REG,
		    NULL, 65536 },
		{ "c-multivol/remote/duplicity-full.20231114T221320Z.vol3.difftar.gz",
		    20, NULL, "multivol_snapshot/multivol.bin/41", OBJ_REG,
		    NULL, 0 },
	};
	size_t i;

	UNIT_VECTORS(vec);
	(void)vec;
	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *name = strrchr(cases[i].file, '/') + 1;
		size_t len;
		unsigned char *tar =
		    unit_gunzip_file(unit_vector_path(cases[i].file), &len);
		struct source *src;
		struct tar_reader *tr;
		struct tar_entry te;
		struct obj_meta m;
		struct dupc_err err;
		struct buf idx;
		long count = 0;
		int rc, seen_probe = 0;

		CHECK(tar != NULL, name);
		if (tar == NULL)
			continue;
		src = mem_source_new(tar, len);
		tr = tarr_new(src, name, &err);
		CHECK(tr != NULL, name);
		meta_init(&m);
		buf_init(&idx, 1 << 16);
		while (tr != NULL && (rc = tarr_next(tr, &te, &m, &err)) == 1) {
			struct entry_name en;
			struct dupc_err e2;
			char ename[200];

			unit_escape(te.name, strlen(te.name), ename,
			    sizeof(ename));
			if (count == 0 && cases[i].root != NULL)
				CHECK_STR(te.name, cases[i].root, name);
			count++;
			CHECK_INT(entry_name_parse(te.name, &en, &idx, &e2), 0,
			    ename);
			CHECK(!te.hardlink, ename);
			CHECK_INT(m.uid, 0, ename);
			if (strcmp(te.name, cases[i].probe) == 0) {
				seen_probe = 1;
				CHECK_INT(m.type, cases[i].probe_type, ename);
				CHECK_U64(te.size, cases[i].probe_size, ename);
				if (cases[i].probe_link != NULL)
					CHECK_STR(m.linkname,
					    cases[i].probe_link, ename);
				if (en.kind == EK_DELETED) {
					CHECK_INT(m.mode, 0, ename);
					CHECK_INT(m.mtime, 0, ename);
					CHECK_STR(m.uname, "", ename);
				} else {
					CHECK_STR(m.uname, "root", ename);
				}
			}
		}
		if (tr != NULL && rc < 0)
			unit_case_fail(__FILE__, __LINE__, name, "%s", err.msg);
		CHECK_INT(count, cases[i].entries, name);
		CHECK(seen_probe, name);
		buf_release(&idx);
		meta_release(&m);
		tarr_free(tr);
		source_free(src);
		free(tar);
	}
	UNIT_DONE();
}

/* The data of the vectors' multivol file adds up across chunks. */
static void
test_vector_data(void **state)
{
	size_t len;
	unsigned char *tar;
	struct dupc_err err;
	uint64_t bytes = 0;
	long n;

	UNIT_VECTORS(vec);
	(void)vec;
	(void)state;
	tar = unit_gunzip_file(
	    unit_vector_path(
		"a-plain/remote/duplicity-full.20231114T221320Z.vol1.difftar.gz"),
	    &len);
	assert_non_null(tar);
	n = read_all(tar, len, "vol1", NULL, &bytes, &err);
	CHECK_INT(n, 69, "entries");
	/* big-text 2600000, deep files 5+5, naive 6, plain 6, exact64k 65536,
	 * hardlinks 11+11, latin1 7, medium 100000, run 18, secret 11,
	 * small 18, type-change 16, weird 7 */
	CHECK_U64(bytes,
	    2600000u + 5 + 5 + 6 + 6 + 65536 + 11 + 11 + 7 + 100000 + 18 + 11 +
		18 + 16 + 7,
	    "data bytes");
	free(tar);
	UNIT_DONE();
}

/* What older duplicity setups wrote (GNU format from Python 2 and
 * 3.6/3.7, typeflag NUL, global pax headers), made by Python's tarfile. */
static const char py_make[] =
    "import sys, tarfile, io\n"
    "def add(t, name, typ=tarfile.REGTYPE, data=b'', link='', uid=0, mtime=1690000000):\n"
    "    ti = tarfile.TarInfo(name)\n"
    "    ti.type = typ; ti.size = len(data); ti.linkname = link\n"
    "    ti.uid = uid; ti.mtime = mtime; ti.mode = 0o644; ti.uname = 'root'\n"
    "    t.addfile(ti, io.BytesIO(data) if data else None)\n"
    "for fmt, path in ((tarfile.GNU_FORMAT, 'gnu.tar'), (tarfile.PAX_FORMAT, 'pax.tar')):\n"
    "    kw = {'pax_headers': {'comment': 'global'}} if fmt == tarfile.PAX_FORMAT else {}\n"
    "    with tarfile.open(path, 'w', format=fmt, encoding='utf-8', errors='surrogateescape', **kw) as t:\n"
    "        add(t, 'snapshot/', tarfile.DIRTYPE)\n"
    "        add(t, 'snapshot/' + 'x' * 150, data=b'hello')\n"
    "        add(t, 'snapshot/latin1-\\udce9.txt', data=b'latin1')\n"
    "        add(t, 'snapshot/link', tarfile.SYMTYPE, link='t' * 200)\n"
    "        add(t, 'snapshot/big-uid', data=b'u', uid=3000000)\n"
    "        add(t, 'snapshot/old-regular', tarfile.AREGTYPE, data=b'old')\n"
    "        add(t, 'snapshot/hard', tarfile.LNKTYPE, link='snapshot/old-regular')\n";

static void
test_python_writes(void **state)
{
	static const char *const files[] = { "gnu.tar", "pax.tar" };
	size_t f;
	char long_x[160];

	(void)state;
	if (!unit_have_python()) {
		print_message("# python3 not available; skipping\n");
		skip();
		return;
	}
	snprintf(long_x, sizeof(long_x), "snapshot/%0150d", 0);
	memset(long_x + 9, 'x', 150);
	assert_int_equal(unit_write_file("make.py", py_make, strlen(py_make)),
	    0);
	assert_int_equal(system("python3 make.py"), 0);
	for (f = 0; f < 2; f++) {
		size_t len;
		unsigned char *tar = unit_slurp(files[f], &len);
		struct source *src;
		struct tar_reader *tr;
		struct tar_entry te;
		struct obj_meta m;
		struct dupc_err err;
		int k = 0;

		CHECK(tar != NULL, files[f]);
		if (tar == NULL)
			continue;
		src = mem_source_new(tar, len);
		tr = tarr_new(src, files[f], &err);
		CHECK(tr != NULL, files[f]);
		meta_init(&m);
		while (tr != NULL && tarr_next(tr, &te, &m, &err) == 1) {
			char name[64];

			snprintf(name, sizeof(name), "%s entry %d", files[f],
			    k);
			switch (k++) {
			case 0:
				CHECK_STR(te.name, "snapshot/", name);
				CHECK_INT(m.type, OBJ_DIR, name);
				break;
			case 1:
				CHECK_STR(te.name, long_x, name);
				CHECK_INT(te.size, 5, name);
				break;
			case 2:
				CHECK_STR(te.name, "snapshot/latin1-\xe9.txt",
				    name);
				break;
			case 3:
				CHECK_INT(m.type, OBJ_SYMLINK, name);
				CHECK_INT(m.linkname ? strlen(m.linkname) : 0,
				    200, name);
				break;
			case 4:
				CHECK_INT(m.uid, 3000000, name);
				break;
			case 5:
				CHECK_STR(te.name, "snapshot/old-regular",
				    name);
				CHECK_INT(m.type, OBJ_REG, name);
				CHECK_INT(te.size, 3, name);
				break;
			case 6:
				CHECK_STR(te.name, "snapshot/hard", name);
				CHECK(te.hardlink, name);
				CHECK_INT(te.size, 0, name);
				break;
			default:
				CHECK(0, name);
			}
		}
		CHECK_INT(k, 7, files[f]);
		meta_release(&m);
		tarr_free(tr);
		source_free(src);
		free(tar);
	}
	UNIT_DONE();
}

/* A ustar header with a correct checksum, for hand-made streams. */
static void
ustar_header(unsigned char *h, const char *name, char type, size_t size,
    const char *link)
{
	unsigned sum = 0;
	size_t i;

	memset(h, 0, 512);
	memcpy(h, name, strlen(name));
	memcpy(h + 100, "0000644", 7);
	memcpy(h + 108, "0000000", 7);
	memcpy(h + 116, "0000000", 7);
	snprintf((char *)h + 124, 12, "%011o", (unsigned)size);
	memcpy(h + 136, "14456142200", 11);
	h[156] = (unsigned char)type;
	if (link != NULL)
		memcpy(h + 157, link, strlen(link));
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
}

static void
test_hardlink_flagged(void **state)
{
	unsigned char tar[512 * 5];
	struct dupc_err err;
	struct source *src;
	struct tar_reader *tr;
	struct tar_entry te;
	struct obj_meta m;

	(void)state;
	memset(tar, 0, sizeof(tar));
	ustar_header(tar, "snapshot/a", '0', 3, NULL);
	memcpy(tar + 512, "abc", 3);
	ustar_header(tar + 1024, "snapshot/b", '1', 0, "snapshot/a");
	src = mem_source_new(tar, sizeof(tar));
	tr = tarr_new(src, "hardlink", &err);
	assert_non_null(tr);
	meta_init(&m);
	CHECK_INT(tarr_next(tr, &te, &m, &err), 1, "regular entry");
	CHECK(!te.hardlink, "regular entry is not a hard link");
	CHECK_INT(tarr_next(tr, &te, &m, &err), 1, "hard-link entry");
	CHECK(te.hardlink, "hard-link entry flagged");
	CHECK_STR(te.name, "snapshot/b", "hard-link entry name");
	CHECK_INT(te.size, 0, "hard-link entry has no data");
	CHECK_INT(tarr_next(tr, &te, &m, &err), 0, "end");
	meta_release(&m);
	tarr_free(tr);
	source_free(src);
	UNIT_DONE();
}

/*
 * Streams that end early: an empty stream (an empty incremental's
 * volume), one zero block, no end blocks at all, and trailing garbage
 * after the end blocks (a decrypted gpg volume's top-off).
 */
static void
test_stream_ends(void **state)
{
	static const struct tcase one[] = {
		{ "snapshot/./", OBJ_DIR, 0755, 0, 0, "root", "root",
		    1690000000, NULL, 0, 0, 0 },
		{ "snapshot/a", OBJ_REG, 0644, 0, 0, "root", "root", 1690000000,
		    NULL, 700, 0, 0 },
	};
	struct unit_sink out;
	struct dupc_err err;
	unsigned char *buf;
	size_t body;
	uint64_t bytes;

	(void)state;
	err_clear(&err);
	CHECK_INT(read_all("", 0, "empty", NULL, NULL, &err), 0,
	    "an empty stream is an empty archive");
	if (err.msg[0])
		print_message("# empty: %s\n", err.msg);
	{
		static const unsigned char zero[10240];

		CHECK_INT(read_all(zero, 512, "z", NULL, NULL, &err), 0,
		    "one zero block");
		CHECK_INT(read_all(zero, 10240, "z", NULL, NULL, &err), 0,
		    "10240 zero bytes (an empty gpg volume)");
	}
	unit_sink_init(&out);
	assert_int_equal(write_entries(&out.base, one, 2, &bytes), 0);
	body = out.len - 1024; /* without the end blocks */
	CHECK_INT(read_all(out.data, body, "no end", NULL, NULL, &err), 2,
	    "no end-of-archive blocks");
	CHECK_INT(read_all(out.data, body + 512, "one end", NULL, NULL, &err),
	    2, "one end-of-archive block");
	buf = malloc(out.len + 4096);
	memcpy(buf, out.data, out.len);
	{
		uint64_t s = 7;

		unit_fill_random(buf + out.len, 4096, &s);
	}
	CHECK_INT(
	    read_all(buf, out.len + 4096, "garbage after", NULL, NULL, &err), 2,
	    "garbage after the end blocks is ignored");
	memcpy(buf, out.data, body + 512);
	{
		uint64_t s = 9;

		unit_fill_random(buf + body + 512, 4096, &s);
	}
	CHECK_INT(read_all(buf, body + 512 + 4096, "garbage after one", NULL,
		      NULL, &err),
	    2, "garbage after a single zero block is ignored");
	free(buf);
	unit_sink_release(&out);
	UNIT_DONE();
}

static void
test_bad_input(void **state)
{
	static const struct tcase two[] = {
		{ "snapshot/a", OBJ_REG, 0644, 0, 0, "root", "root", 1690000000,
		    NULL, 1000, 0, 0 },
		{ "snapshot/b", OBJ_REG, 0644, 0, 0, "root", "root", 1690000000,
		    NULL, 10, 0, 0 },
	};
	struct unit_sink out;
	struct dupc_err err;
	unsigned char garbage[4096];
	size_t cut;
	uint64_t s = 42;

	(void)state;
	unit_sink_init(&out);
	assert_int_equal(write_entries(&out.base, two, 2, NULL), 0);
	/* every cut inside a header or inside data fails; cuts at entry
	 * boundaries are a clean (short) end */
	for (cut = 1; cut < out.len - 1024; cut += 37) {
		char name[48];
		long n;
		bool boundary = cut == 0 || cut == 512 + 1024;

		snprintf(name, sizeof(name), "cut at %zu", cut);
		err_clear(&err);
		n = read_all(out.data, cut, name, NULL, NULL, &err);
		if (boundary)
			continue;
		CHECK_INT(n, -1, name);
		CHECK(err.msg[0] != '\0', name);
	}
	/* a damaged header checksum */
	{
		unsigned char *copy = malloc(out.len);

		memcpy(copy, out.data, out.len);
		copy[0] ^= 1;
		CHECK_INT(read_all(copy, out.len, "checksum", NULL, NULL, &err),
		    -1, "bad checksum in the first header");
		memcpy(copy, out.data, out.len);
		copy[512 + 1024 + 3] ^= 0x40;
		CHECK_INT(read_all(copy, out.len, "checksum", NULL, NULL, &err),
		    -1, "bad checksum in the second header");
		free(copy);
	}
	/* garbage */
	unit_fill_random(garbage, sizeof(garbage), &s);
	err_clear(&err);
	CHECK_INT(
	    read_all(garbage, sizeof(garbage), "garbage", NULL, NULL, &err), -1,
	    "random bytes");
	CHECK(err.msg[0] != '\0', "random bytes: message");
	CHECK(strstr(err.msg, "garbage") != NULL, "message names the stream");
	memset(garbage, 'A', sizeof(garbage));
	CHECK_INT(read_all(garbage, sizeof(garbage), "AAAA", NULL, NULL, &err),
	    -1, "text");
	CHECK_INT(read_all(garbage, 100, "short", NULL, NULL, &err), -1,
	    "100 bytes of text");
	unit_sink_release(&out);
	UNIT_DONE();
}

/* Names at and past the reader's limit. */
static void
test_name_limits(void **state)
{
	struct tcase big[1];
	struct unit_sink out;
	struct dupc_err err;
	char *name = malloc(TAR_NAME_MAX + 16);
	struct buf names;

	(void)state;
	assert_non_null(name);
	memcpy(name, "snapshot/", 9);
	memset(name + 9, 'n', TAR_NAME_MAX + 16 - 10);
	name[TAR_NAME_MAX + 16 - 1] = '\0';
	memset(big, 0, sizeof(big));
	big[0].type = OBJ_REG;
	big[0].mode = 0644;
	big[0].uname = big[0].gname = "";
	big[0].size = 1;
	/* just under the limit: read back whole */
	name[TAR_NAME_MAX - 1] = '\0';
	big[0].name = name;
	unit_sink_init(&out);
	assert_int_equal(write_entries(&out.base, big, 1, NULL), 0);
	buf_init(&names, 1 << 20);
	CHECK_INT(read_all(out.data, out.len, "long", &names, NULL, &err), 1,
	    "name of TAR_NAME_MAX - 1 bytes");
	CHECK_INT(names.len, TAR_NAME_MAX, "whole name");
	buf_release(&names);
	unit_sink_release(&out);
	/* over the limit: refused */
	name[TAR_NAME_MAX - 1] = 'n';
	unit_sink_init(&out);
	assert_int_equal(write_entries(&out.base, big, 1, NULL), 0);
	err_clear(&err);
	CHECK_INT(read_all(out.data, out.len, "too long", NULL, NULL, &err), -1,
	    "name over TAR_NAME_MAX");
	CHECK(strstr(err.msg, "oversized") != NULL, "message");
	unit_sink_release(&out);
	free(name);
	UNIT_DONE();
}

/* A failing sink fails the writer cleanly, and it stays failed. */
static void
test_writer_failure(void **state)
{
	struct unit_sink out;
	struct dupc_err err;
	struct tar_writer *tw;
	struct obj_meta m;
	static unsigned char data[100000];
	int rc;

	(void)state;
	unit_sink_init(&out);
	out.fail_after = 600;
	tw = tarw_new(&out.base, &err);
	assert_non_null(tw);
	meta_init(&m);
	m.type = OBJ_REG;
	m.mode = 0644;
	rc = tarw_header(tw, "snapshot/a", &m, sizeof(data), &err);
	if (rc == 0)
		rc = tarw_data(tw, data, sizeof(data), &err);
	if (rc == 0)
		rc = tarw_finish(tw, &err);
	CHECK_INT(rc, -1, "write into a failing sink");
	CHECK(strstr(err.msg, "injected") != NULL || err.msg[0] != '\0',
	    "failure described");
	err_clear(&err);
	CHECK_INT(tarw_header(tw, "snapshot/b", &m, 0, &err), -1,
	    "writer stays failed");
	tarw_free(tw);
	tarw_free(NULL);
	tarr_free(NULL);
	unit_sink_release(&out);
	UNIT_DONE();
}

/* A pax record can carry a NUL byte inside a path; the name handed out
 * must not hide what follows it, or it must be refused. */
static void
test_pax_nul_in_path(void **state)
{
	static const char value[] = "snapshot/a\0/../../x";
	unsigned char tar[512 * 6];
	char rec[128];
	size_t vlen = sizeof(value) - 1, rlen, digits;
	struct dupc_err err;
	struct source *src;
	struct tar_reader *tr;
	struct tar_entry te;
	struct obj_meta m;
	int rc;

	(void)state;
	/* "<len> path=<value>\n", len counting itself */
	for (digits = 1;; digits++) {
		rlen = digits + 1 + 5 + vlen + 1;
		if (snprintf(rec, sizeof(rec), "%zu", rlen) == (int)digits)
			break;
	}
	snprintf(rec, sizeof(rec), "%zu path=", rlen);
	memcpy(rec + digits + 6, value, vlen);
	rec[rlen - 1] = '\n';
	memset(tar, 0, sizeof(tar));
	ustar_header(tar, "././@PaxHeader", 'x', rlen, NULL);
	memcpy(tar + 512, rec, rlen);
	ustar_header(tar + 1024, "snapshot/placeholder", '0', 0, NULL);
	src = mem_source_new(tar, sizeof(tar));
	tr = tarr_new(src, "pax NUL", &err);
	assert_non_null(tr);
	meta_init(&m);
	rc = tarr_next(tr, &te, &m, &err);
	if (rc == 1) {
		struct entry_name en;
		struct buf idx;

		buf_init(&idx, 4096);
		CHECK(strstr(te.name, "..") == NULL,
		    "no hidden '..' in the name");
		if (entry_name_parse(te.name, &en, &idx, &err) == 0)
			CHECK(strstr(buf_str(&idx), "..") == NULL,
			    "index is safe");
		buf_release(&idx);
	} else {
		CHECK_INT(rc, -1, "refused");
	}
	meta_release(&m);
	tarr_free(tr);
	source_free(src);
	UNIT_DONE();
}

/*
 * A GNU sparse entry: one data byte standing for 8 GiB.  libarchive would
 * hand out the holes as zeros, so it is refused before any data is read.
 */
static void
test_sparse_refused(void **state)
{
	unsigned char tar[512 * 4];
	unsigned sum = 0;
	struct dupc_err err;
	struct source *src;
	struct tar_reader *tr;
	struct tar_entry te;
	struct obj_meta m;
	size_t i;

	(void)state;
	memset(tar, 0, sizeof(tar));
	ustar_header(tar, "snapshot/sparse", 'S', 1, NULL);
	memcpy(tar + 257, "ustar  ", 8);      /* old GNU magic */
	memcpy(tar + 386, "00000000000", 11); /* map: offset 0 */
	memcpy(tar + 398, "00000000001", 11); /* 1 byte */
	memcpy(tar + 483, "77777777777", 11); /* real size 8 GiB */
	memset(tar + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		sum += tar[i];
	snprintf((char *)tar + 148, 8, "%06o", sum);
	tar[155] = ' ';
	tar[512] = 'x';
	src = mem_source_new(tar, sizeof(tar));
	err_clear(&err);
	tr = tarr_new(src, "sparse", &err);
	assert_non_null(tr);
	meta_init(&m);
	CHECK_INT(tarr_next(tr, &te, &m, &err), -1, "sparse entry");
	CHECK(strstr(err.msg, "sparse") != NULL, "message says why");
	meta_release(&m);
	tarr_free(tr);
	source_free(src);
	UNIT_DONE();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_round_trip),
		UNIT_TEST(test_python_reads),
		UNIT_TEST(test_vectors),
		UNIT_TEST(test_vector_data),
		UNIT_TEST(test_python_writes),
		UNIT_TEST(test_hardlink_flagged),
		UNIT_TEST(test_stream_ends),
		UNIT_TEST(test_bad_input),
		UNIT_TEST(test_name_limits),
		UNIT_TEST(test_writer_failure),
		UNIT_TEST(test_pax_nul_in_path),
		UNIT_TEST(test_sparse_refused),
	};

	unit_init();
	tar_init_locale();
	init_long_strings();
	return cmocka_run_group_tests_name("tar", tests, NULL, NULL);
}
