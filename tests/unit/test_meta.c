/*
 * util/meta and util/owner: object metadata and owner names.
 */
#define _DEFAULT_SOURCE
#include "unit.h"

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/meta.h"
#include "util/owner.h"

static void
test_types(void **state)
{
	static const struct {
		mode_t mode;
		enum obj_type type;
		const char *name;
	} cases[] = {
		{ S_IFREG | 0644, OBJ_REG, "reg" },
		{ S_IFDIR | 0755, OBJ_DIR, "dir" },
		{ S_IFLNK | 0777, OBJ_SYMLINK, "sym" },
		{ S_IFIFO | 0600, OBJ_FIFO, "fifo" },
		{ S_IFCHR | 0666, OBJ_CHR, "chr" },
		{ S_IFBLK | 0660, OBJ_BLK, "blk" },
		{ S_IFSOCK | 0755, OBJ_SOCK, "sock" },
		{ 0, OBJ_NONE, "None" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_INT(meta_type_of_mode(cases[i].mode), cases[i].type,
		    cases[i].name);
		CHECK_STR(meta_type_name(cases[i].type), cases[i].name,
		    cases[i].name);
	}
	UNIT_DONE();
}

static void
test_from_stat(void **state)
{
	struct obj_meta m, copy;
	struct stat st;

	(void)state;
	assert_int_equal(unit_write_file("f", "12345", 5), 0);
	assert_int_equal(chmod("f", 04751), 0);
	assert_int_equal(mkdir("d", 0700), 0);
	assert_int_equal(symlink("target/of/link", "l"), 0);
	assert_int_equal(mkfifo("p", 0640), 0);
	meta_init(&m);
	CHECK_INT(m.type, OBJ_NONE, "init");
	CHECK(m.linkname == NULL, "init");

	assert_int_equal(lstat("f", &st), 0);
	CHECK_INT(meta_from_stat(&m, &st, NULL, "someone", "somegroup"), 0,
	    "file");
	CHECK_INT(m.type, OBJ_REG, "file type");
	CHECK_INT(m.mode, 04751, "permission bits with setuid");
	CHECK_INT(m.size, 5, "size");
	CHECK_INT(m.mtime, st.st_mtime, "whole-second mtime");
	CHECK_INT(m.uid, st.st_uid, "uid");
	CHECK_STR(m.uname, "someone", "uname copied");
	CHECK_STR(m.gname, "somegroup", "gname copied");

	assert_int_equal(lstat("l", &st), 0);
	CHECK_INT(meta_from_stat(&m, &st, "target/of/link", NULL, NULL), 0,
	    "link");
	CHECK_INT(m.type, OBJ_SYMLINK, "link type");
	CHECK_STR(m.linkname, "target/of/link", "link target");
	CHECK_STR(m.uname, "", "no names given");

	/* a deep copy */
	meta_init(&copy);
	CHECK_INT(meta_copy(&copy, &m), 0, "copy");
	CHECK(copy.linkname != m.linkname, "copy owns its link name");
	CHECK_STR(copy.linkname, "target/of/link", "copied link");
	meta_release(&m);
	CHECK_STR(copy.linkname, "target/of/link",
	    "copy survives the original");
	CHECK_INT(m.type, OBJ_NONE, "released");
	CHECK(m.linkname == NULL, "released");

	/* refilling releases the old link name */
	assert_int_equal(lstat("d", &st), 0);
	CHECK_INT(meta_from_stat(&copy, &st, NULL, NULL, NULL), 0, "dir");
	CHECK_INT(copy.type, OBJ_DIR, "dir type");
	CHECK(copy.linkname == NULL, "no link for a dir");
	assert_int_equal(lstat("p", &st), 0);
	CHECK_INT(meta_from_stat(&copy, &st, NULL, NULL, NULL), 0, "fifo");
	CHECK_INT(copy.type, OBJ_FIFO, "fifo type");
	CHECK_INT(copy.mode, 0640, "fifo mode");
	meta_release(&copy);

	/* over-long names are cut, never overflowed */
	{
		char big[META_NAME_MAX * 2];

		memset(big, 'n', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		assert_int_equal(lstat("f", &st), 0);
		meta_from_stat(&m, &st, NULL, big, big);
		CHECK_INT(strlen(m.uname), META_NAME_MAX - 1, "long uname cut");
		CHECK_INT(strlen(m.gname), META_NAME_MAX - 1, "long gname cut");
		meta_release(&m);
	}
	UNIT_DONE();
}

static void
test_owners(void **state)
{
	char un[META_NAME_MAX], gn[META_NAME_MAX];
	struct passwd *pw = getpwuid(0);
	struct group *gr = getgrgid(0);
	int64_t uid = -1, gid = -1;

	(void)state;
	owner_names(0, 0, un, gn);
	CHECK_STR(un, pw ? pw->pw_name : "", "name of uid 0");
	CHECK_STR(gn, gr ? gr->gr_name : "", "name of gid 0");
	owner_names(0, 0, un, gn); /* cached */
	CHECK_STR(un, pw ? pw->pw_name : "", "cached name of uid 0");
	owner_names(2147483000, 2147483000, un, gn);
	CHECK_STR(un, "", "unknown uid");
	CHECK_STR(gn, "", "unknown gid");

	/* the stored name wins when it exists here */
	if (pw != NULL && gr != NULL) {
		owner_resolve(pw->pw_name, 1234, gr->gr_name, 5678, false, &uid,
		    &gid);
		CHECK_INT(uid, 0, "uid of the stored name");
		CHECK_INT(gid, 0, "gid of the stored name");
		owner_resolve(pw->pw_name, 1234, gr->gr_name, 5678, true, &uid,
		    &gid);
		CHECK_INT(uid, 1234, "--numeric-owner: stored uid");
		CHECK_INT(gid, 5678, "--numeric-owner: stored gid");
	}
	owner_resolve("no-such-user-dupc", 1234, "no-such-group-dupc", 5678,
	    false, &uid, &gid);
	CHECK_INT(uid, 1234, "unknown name: stored uid");
	CHECK_INT(gid, 5678, "unknown name: stored gid");
	owner_resolve("", 42, "", 43, false, &uid, &gid);
	CHECK_INT(uid, 42, "no name: stored uid");
	CHECK_INT(gid, 43, "no name: stored gid");
	UNIT_DONE();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_types),
		UNIT_TEST(test_from_stat),
		UNIT_TEST(test_owners),
	};

	unit_init();
	return cmocka_run_group_tests_name("meta", tests, NULL, NULL);
}
