/*
 * util/spill: a collector that moves from memory to a temporary file
 * past its threshold; util/tempfile: scratch space and atomic files.
 */
#define _DEFAULT_SOURCE
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/err.h"
#include "util/spill.h"
#include "util/tempfile.h"

static size_t
entries_in(const char *dir)
{
	char **names;
	size_t n;

	if (unit_list_dir(dir, &names, &n) < 0)
		return (size_t)-1;
	unit_free_names(names, n);
	return n;
}

static void
check_contents(struct spill *s, const unsigned char *want, size_t n,
    const char *name)
{
	struct unit_sink out;
	struct dupc_err err;

	unit_sink_init(&out);
	CHECK_U64(spill_size(s), n, name);
	CHECK_INT(spill_copy_to(s, &out.base, &err), 0, name);
	CHECK_MEM(out.data, out.len, want, n, name);
	/* copying does not consume */
	unit_sink_release(&out);
	unit_sink_init(&out);
	CHECK_INT(spill_copy_to(s, &out.base, &err), 0, name);
	CHECK_INT(out.len, n, name);
	unit_sink_release(&out);
}

static void
test_threshold(void **state)
{
	struct spill s;
	struct dupc_err err;
	unsigned char data[1000];
	uint64_t rs = 21;

	(void)state;
	unit_fill_random(data, sizeof(data), &rs);
	assert_int_equal(tempdir_init(NULL, &err), 0);
	spill_init(&s, 100);
	CHECK_INT(s.fd, -1, "starts in memory");
	CHECK(s.mem == NULL, "no allocation before data");
	check_contents(&s, data, 0, "empty");
	CHECK_INT(sink_write(&s.base, data, 60, &err), 0, "60 bytes");
	CHECK_INT(s.fd, -1, "60 of 100: memory");
	CHECK_INT(sink_write(&s.base, data + 60, 40, &err), 0, "40 more");
	CHECK_INT(s.fd, -1, "exactly the threshold: still memory");
	check_contents(&s, data, 100, "at the threshold");
	CHECK_INT(sink_write(&s.base, data + 100, 1, &err), 0, "one more byte");
	CHECK(s.fd >= 0, "past the threshold: a file");
	CHECK(s.mem == NULL, "memory released after the move");
	check_contents(&s, data, 101, "after crossing");
	CHECK_INT(sink_write(&s.base, data + 101, 899, &err), 0, "the rest");
	check_contents(&s, data, 1000, "all bytes, in order");
	/* the file has no name in the scratch directory */
	CHECK_INT(entries_in(tempdir_path()), 0, "anonymous temporary file");
	/* reset: back to memory, reusable */
	spill_reset(&s);
	CHECK_INT(s.fd, -1, "reset closes the file");
	check_contents(&s, data, 0, "reset empties");
	CHECK_INT(sink_write(&s.base, data, 50, &err), 0, "after reset");
	CHECK_INT(s.fd, -1, "small again: memory");
	check_contents(&s, data, 50, "after reset");
	CHECK_INT(sink_write(&s.base, data + 50, 500, &err), 0, "cross again");
	CHECK(s.fd >= 0, "crossed again");
	check_contents(&s, data, 550, "after crossing twice");
	spill_release(&s);
	CHECK_INT(s.fd, -1, "release closes");
	CHECK_U64(spill_size(&s), 0, "release empties");
	CHECK_INT(s.threshold, 100, "release keeps the threshold");
	spill_release(&s);
	UNIT_DONE();
}

/* One write larger than the threshold goes straight to the file. */
static void
test_big_writes(void **state)
{
	struct spill s;
	struct dupc_err err;
	size_t n = 3 * 65536 + 123, off = 0;
	unsigned char *data = malloc(n);
	uint64_t rs = 22;

	(void)state;
	unit_fill_random(data, n, &rs);
	spill_init(&s, 0);
	CHECK_INT(sink_write(&s.base, data, 0, &err), 0, "empty write");
	CHECK_INT(s.fd, -1, "threshold 0, nothing written: memory");
	CHECK_INT(sink_write(&s.base, data, 1, &err), 0, "one byte");
	CHECK(s.fd >= 0, "threshold 0: the first byte goes to a file");
	spill_release(&s);

	spill_init(&s, 65536);
	while (off < n) {
		size_t k = 1 + unit_rand(&rs) % 20000;

		if (k > n - off)
			k = n - off;
		if (sink_write(&s.base, data + off, k, &err) < 0)
			break;
		off += k;
	}
	CHECK_INT(off, n, "random-sized writes");
	CHECK(s.fd >= 0, "200 KiB spilled");
	check_contents(&s, data, n, "random-sized writes");
	spill_release(&s);

	spill_init(&s, 1000);
	CHECK_INT(sink_write(&s.base, data, n, &err), 0, "one huge write");
	CHECK(s.fd >= 0, "one huge write spills");
	check_contents(&s, data, n, "one huge write");
	spill_release(&s);
	free(data);
	UNIT_DONE();
}

static void
test_tempfiles(void **state)
{
	struct dupc_err err;
	struct stat st;
	char *path = NULL;
	int fd;

	(void)state;
	CHECK_INT(tempdir_init(NULL, &err), 0, "init");
	CHECK_INT(tempdir_init("/nonexistent", &err), 0, "idempotent");
	CHECK(tempdir_path() != NULL, "scratch exists");
	CHECK_INT(stat(tempdir_path(), &st), 0, "scratch exists");
	CHECK_INT(st.st_mode & 0777, 0700, "scratch is private");
	fd = tempfile_open("named", &path, &err);
	CHECK(fd >= 0 && path != NULL, "named temporary file");
	if (fd >= 0 && path != NULL) {
		CHECK_INT(stat(path, &st), 0, "named file exists");
		CHECK_INT(st.st_mode & 0777, 0600, "named file is private");
		CHECK(strncmp(path, tempdir_path(), strlen(tempdir_path())) ==
			  0,
		    "inside the scratch directory");
		CHECK_INT(write(fd, "x", 1), 1, "writable");
		close(fd);
		unlink(path);
	}
	free(path);
	fd = tempfile_open("anon", NULL, &err);
	CHECK(fd >= 0, "anonymous temporary file");
	CHECK_INT(entries_in(tempdir_path()), 0, "anonymous: no name left");
	if (fd >= 0)
		close(fd);
	UNIT_DONE();
}

static void
test_atomic_file(void **state)
{
	struct atomic_file af;
	struct dupc_err err;
	size_t len;
	unsigned char *p;

	(void)state;
	assert_int_equal(unit_write_file("target", "old", 3), 0);
	CHECK_INT(atomic_file_open(&af, "target", 0644, &err), 0, "open");
	CHECK_INT(write(af.fd, "new content", 11), 11, "write");
	p = unit_slurp("target", &len);
	CHECK_MEM(p, len, "old", 3, "old content until commit");
	free(p);
	CHECK_INT(atomic_file_commit(&af, &err), 0, "commit");
	p = unit_slurp("target", &len);
	CHECK_MEM(p, len, "new content", 11, "new content after commit");
	free(p);
	CHECK_INT(entries_in("."), 1, "no temporary left after commit");
	atomic_file_abort(&af); /* safe after commit */
	/* abort keeps the old content and leaves nothing behind */
	CHECK_INT(atomic_file_open(&af, "target", 0644, &err), 0, "open 2");
	CHECK_INT(write(af.fd, "discarded", 9), 9, "write 2");
	atomic_file_abort(&af);
	p = unit_slurp("target", &len);
	CHECK_MEM(p, len, "new content", 11, "abort keeps the old content");
	free(p);
	CHECK_INT(entries_in("."), 1, "no temporary left after abort");
	/* a directory that does not exist */
	err_clear(&err);
	CHECK_INT(atomic_file_open(&af, "no/such/dir/file", 0644, &err), -1,
	    "missing directory");
	CHECK(err.msg[0] != '\0', "missing directory: message");
	CHECK_INT(fsync_parent_dir("target"), 0, "fsync .");
	CHECK_INT(fsync_parent_dir("/target"), 0, "fsync /");
	CHECK_INT(fsync_parent_dir("no/such/target"), -1, "fsync missing");
	UNIT_DONE();
}

/* rm_rf never follows a symlink out of the tree it removes. */
static void
test_rm_rf(void **state)
{
	(void)state;
	assert_int_equal(mkdir("outside", 0700), 0);
	assert_int_equal(unit_write_file("outside/keep", "k", 1), 0);
	assert_int_equal(mkdir("tree", 0700), 0);
	assert_int_equal(mkdir("tree/sub", 0700), 0);
	assert_int_equal(unit_write_file("tree/sub/f", "f", 1), 0);
	assert_int_equal(symlink("../outside", "tree/link"), 0);
	assert_int_equal(symlink("../../outside", "tree/sub/link2"), 0);
	assert_int_equal(mkfifo("tree/fifo", 0600), 0);
	CHECK_INT(rm_rf("tree"), 0, "remove a tree");
	CHECK(access("tree", F_OK) < 0, "tree gone");
	CHECK(access("outside/keep", F_OK) == 0, "symlink targets untouched");
	CHECK_INT(rm_rf("tree"), 0, "removing nothing is fine");
	CHECK_INT(rm_rf("outside/keep"), 0, "remove a file");
	CHECK(access("outside/keep", F_OK) < 0, "file gone");
	UNIT_DONE();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_threshold),
		UNIT_TEST(test_big_writes),
		UNIT_TEST(test_tempfiles),
		UNIT_TEST(test_atomic_file),
		UNIT_TEST(test_rm_rf),
	};

	unit_init();
	return cmocka_run_group_tests_name("spill", tests, NULL, NULL);
}
