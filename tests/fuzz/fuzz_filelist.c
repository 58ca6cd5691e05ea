/*
 * Fuzz target: include/exclude filelists and --files-from lists
 * (select/filelist.c, filesfrom.c, and the globs, literals or regular
 * expressions each line becomes in select.c, glob.c and rx.c).
 *
 * Input: one option byte, then the list.  Bits 0-1: include-filelist,
 * exclude-filelist, files-from, or include-filelist then --exclude '**';
 * bit 2: --null-separator; bit 3: --filter-ignorecase; bits 4-5:
 * --filter-literal or --filter-regexp before the list.
 *
 * Properties: the list is read or refused cleanly; the root is always
 * included; a file is never SEL_SCAN.
 */
#define _GNU_SOURCE
#include "fuzz.h"

#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "select/select.h"
#include "util/err.h"
#include "util/log.h"
#include "util/meta.h"
#include "util/path.h"

#define PROBE_LINES 16

static int list_fd = -1;
static char list_path[64];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_verbosity(-1);
	list_fd = memfd_create("filelist", MFD_CLOEXEC);
	if (list_fd < 0)
		abort();
	snprintf(list_path, sizeof(list_path), "/proc/self/fd/%d", list_fd);
	return 0;
}

static void
probe(const struct selection *sel, const char *index, enum obj_type type)
{
	struct obj_meta m;
	enum select_result r;

	if (!index_valid(index))
		return;
	meta_init(&m);
	m.type = type;
	m.mode = type == OBJ_DIR ? 0755 : 0644;
	m.mtime = 1700000000;
	r = selection_check(sel, index, &m, 1, -1, index_basename(index));
	if (*index == '\0')
		FUZZ_ASSERT(r == SEL_INCLUDE);
	if (type != OBJ_DIR)
		FUZZ_ASSERT(r != SEL_SCAN);
}

/* Ask about fixed paths and about the first lines of the list itself. */
static void
probe_all(const struct selection *sel, const uint8_t *data, size_t size,
    int sep)
{
	static const char *const fixed[] = { "", "a", "a/b", "dir",
		"dir/file.txt", "x y", "\xc3\xa9t\xc3\xa9", "\xff" };
	char line[512];
	size_t i, start = 0, lines = 0;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		probe(sel, fixed[i], OBJ_DIR);
		probe(sel, fixed[i], OBJ_REG);
	}
	for (i = 0; i <= size && lines < PROBE_LINES; i++) {
		size_t n;

		if (i < size && data[i] != sep)
			continue;
		n = i - start;
		if (n > 0 && n < sizeof(line) &&
		    memchr(data + start, '\0', n) == NULL) {
			memcpy(line, data + start, n);
			line[n] = '\0';
			probe(sel, line, OBJ_REG);
			lines++;
		}
		start = i + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const kinds[] = { "include-filelist",
		"exclude-filelist", "files-from", "include-filelist" };
	unsigned opt = fuzz_take(&data, &size);
	struct selection *sel;
	struct dupc_err err;
	struct stat st;

	if (ftruncate(list_fd, 0) < 0 ||
	    pwrite(list_fd, data, size, 0) != (ssize_t)size ||
	    lseek(list_fd, 0, SEEK_SET) < 0)
		abort();
	err_clear(&err);
	sel = selection_new(&err);
	if (sel == NULL)
		return 0;
	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFDIR | 0755;
	st.st_dev = 1;
	if ((opt & 4 && selection_add(sel, "null-separator", NULL, &err) < 0) ||
	    (opt & 8 &&
		selection_add(sel, "filter-ignorecase", NULL, &err) < 0) ||
	    (opt & 16 &&
		selection_add(sel, "filter-literal", NULL, &err) < 0) ||
	    (opt & 32 && selection_add(sel, "filter-regexp", NULL, &err) < 0) ||
	    selection_add(sel, kinds[opt & 3], list_path, &err) < 0 ||
	    ((opt & 3) == 3 && selection_add(sel, "exclude", "**", &err) < 0))
		goto out;
	if (selection_set_root(sel, "/src", &st, &err) == 0)
		probe_all(sel, data, size, opt & 4 ? '\0' : '\n');
out:
	selection_free(sel);
	return 0;
}
