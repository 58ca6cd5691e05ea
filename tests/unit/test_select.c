/*
 * Unit tests for src/select/ selection: tables of rule sets and paths with
 * the answer duplicity 0.8.22 gives (include, exclude, scan), rule sets it
 * refuses and their exit codes, filelist parsing edge cases, --files-from,
 * --exclude-if-present on real directories, and a walk.  Each test runs in
 * a fresh temporary directory.
 */
#define _XOPEN_SOURCE 700 /* nftw() */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "select/select.h"
#include "select/walk.h"
#include "util/err.h"
#include "util/log.h"
#include "util/meta.h"

#define MAX_RULES 12
#define MAX_CHECKS 10

/* A rule is "option=argument" or a bare "option" (a switch). */
struct check {
	const char *index;
	enum obj_type type;
	enum select_result want;
	int64_t mtime;
	uint64_t dev;
};

struct sel_case {
	const char *name;
	const char *root;
	const char *rules[MAX_RULES];
	struct check checks[MAX_CHECKS];
};

#define D OBJ_DIR
#define F OBJ_REG
#define INC SEL_INCLUDE
#define EXC SEL_EXCLUDE
#define SCAN SEL_SCAN
#define C(i, t, w)            \
	{                     \
		i, t, w, 0, 0 \
	}
#define CM(i, t, w, mtime)        \
	{                         \
		i, t, w, mtime, 0 \
	}
#define CD(i, t, w, dev)        \
	{                       \
		i, t, w, 0, dev \
	}

static const struct sel_case cases[] = {
	{ "no rules include everything", "/r", { NULL },
	    { C("a", F, INC), C("a/b", D, INC) } },
	{ "include a directory and all below it", "/r",
	    { "include=/r/a", "exclude=**" },
	    { C("a", D, INC), C("a/b", F, INC), C("a/b/c", D, INC),
		C("ab", F, EXC), C("b", D, EXC) } },
	{ "parents of an include are scanned", "/r",
	    { "include=/r/a/b/c", "exclude=**" },
	    { C("a", D, SCAN), C("a/b", D, SCAN), C("a/b/c", F, INC),
		C("a/b/d", F, EXC), C("a", F, EXC), C("x", D, EXC) } },
	{ "* stays within one component", "/r",
	    { "include=/r/*.py", "exclude=**" },
	    { C("x.py", F, INC), C("d", D, EXC), C("d/x.py", F, EXC),
		C("x.py/y", F, INC) } },
	{ "** crosses slashes and scans everything", "/r",
	    { "include=/r/**.py", "exclude=**" },
	    { C("d", D, SCAN), C("d/e/x.py", F, INC), C("d/x.c", F, EXC),
		C("x.py", F, INC) } },
	{ "? is one character, in UTF-8 or one stray byte", "/r",
	    { "include=/r/caf?", "exclude=**" },
	    { C("caf\xc3\xa9", F, INC), C("caf\xff", F, INC),
		C("cafe\xcc\x81", F, EXC), C("caf\xff\xfe", F, EXC),
		C("caf", F, EXC) } },
	{ "sets, negated sets and ranges", "/r",
	    { "include=/r/[!a]", "include=/r/x[0-9]", "include=/r/y[]]",
		"exclude=**" },
	    { C("b", F, INC), C("a", F, EXC), C("x5", F, INC), C("xa", F, EXC),
		C("y]", F, INC), C("bb", F, EXC) } },
	{ "an unclosed [ is literal", "/r", { "exclude=/r/x[" },
	    { C("x[", F, EXC), C("x", F, INC) } },
	{ "ignorecase: matches either case", "/r",
	    { "include=ignorecase:/r/ABC", "exclude=**" },
	    { C("abc", F, INC), C("ABC", F, INC), C("aBc/d", F, INC),
		C("abd", F, EXC) } },
	{ "a trailing slash needs a directory", "/r",
	    { "include=/r/d/", "exclude=**" },
	    { C("d", D, INC), C("d", F, EXC), C("d/x", F, INC) } },
	{ "$ also matches before a final newline", "/r", { "exclude=/r/x" },
	    { C("x\n", F, EXC), C("x\nx", F, INC), C("x", F, EXC) } },
	{ "regexps search and never scan", "/r",
	    { "include-regexp=b$", "exclude=**" },
	    { C("ab", F, INC), C("a", D, EXC), C("a/b", F, INC) } },
	{ "Python's \\Z is the very end", "/r", { "exclude-regexp=x\\Z" },
	    { C("x", F, EXC), C("x\n", F, INC) } },
	{ "a regexp sees the full path", "/r", { "exclude-regexp=^/r/a$" },
	    { C("a", F, EXC), C("b/a", F, INC) } },
	{ "a scan before an exclude wins", "/r",
	    { "include=/r/a/b", "exclude=/r/a" },
	    { C("a", D, SCAN), C("a/b", F, INC), C("a/c", F, EXC) } },
	{ "first match wins", "/r", { "include=/r/a", "exclude=/r/a/b" },
	    { C("a/b", F, INC), C("c", F, INC) } },
	{ "device files", "/r", { "exclude-device-files" },
	    { C("c", OBJ_CHR, EXC), C("b", OBJ_BLK, EXC), C("p", OBJ_FIFO, INC),
		C("f", F, INC) } },
	{ "older than", "/r", { "exclude-older-than=100" },
	    { CM("old", F, EXC, 99), CM("new", F, INC, 100),
		CM("olddir", D, INC, 1), CM("oldlink", OBJ_SYMLINK, INC, 1) } },
	{ "other filesystems", "/r", { "exclude-other-filesystems" },
	    { CD("same", D, INC, 1), CD("other", D, EXC, 2) } },
	{ "the glob / is everything", "/r", { "include=/", "exclude=**" },
	    { C("a", F, INC), C("a/b", D, INC) } },
	{ "the root / itself", "/", { "include=/etc", "exclude=**" },
	    { C("etc", D, INC), C("etc/x", F, INC), C("usr", D, EXC) } },
	{ "a relative root with ./ and //", "./r//",
	    { "include=r/a", "exclude=**" },
	    { C("a", F, INC), C("b", F, EXC) } },
	{ "filter-literal: * is a character", "/r",
	    { "filter-literal", "include=/r/a*", "filter-globbing",
		"exclude=**" },
	    { C("a*", F, INC), C("ab", F, EXC), C("a*/x", F, INC) } },
	{ "filter-literal scans parents, root / too", "/",
	    { "filter-literal", "include=/a/b/", "filter-globbing",
		"exclude=**" },
	    { C("a", D, SCAN), C("a/b", F, INC), C("a/c", F, EXC) } },
	{ "filter-regexp reads --include as a regexp", "/r",
	    { "filter-regexp", "include=a.c", "exclude=.q" },
	    { C("abc", F, INC), C("xq", F, EXC), C("x", F, INC) } },
	{ "filter-ignorecase for globs checks the root caselessly", "/r",
	    { "filter-ignorecase", "include=/R/A", "filter-strictcase",
		"exclude=**" },
	    { C("a", F, INC), C("A", F, INC), C("b", F, EXC) } },
	{ "filter-ignorecase literals", "/r",
	    { "filter-literal", "filter-ignorecase", "include=/R/A",
		"filter-globbing", "exclude=**" },
	    { C("a", F, INC), C("A/b", F, INC), C("b", F, EXC) } },
	{ "filter-ignorecase regexps", "/r",
	    { "filter-ignorecase", "exclude-regexp=X$" },
	    { C("ax", F, EXC), C("aX", F, EXC), C("ay", F, INC) } },
	{ NULL, NULL, { NULL }, { C(NULL, F, INC) } },
};

struct bad_case {
	const char *name;
	const char *root;
	const char *rules[MAX_RULES];
	int code;
};

static const struct bad_case bad_cases[] = {
	{ "a pattern outside the root", "/r",
	    { "include=/other", "exclude=**" }, E_FILE_PREFIX },
	{ "an absolute pattern under a relative root", "r", { "exclude=/r/a" },
	    E_FILE_PREFIX },
	{ "ignorecase: lowers the glob but checks the root with case", "/R",
	    { "include=ignorecase:/R/a", "exclude=**" }, E_FILE_PREFIX },
	{ "consecutive slashes", "/r", { "include=/r//a", "exclude=**" },
	    E_GLOBBING },
	{ "a last rule that only includes", "/r", { "include=/r/a" },
	    E_REDUNDANT_INCLUSION },
	{ "exclude-if-present goes first, so an include stays last", "/r",
	    { "include=/r/a", "exclude-if-present=.x" },
	    E_REDUNDANT_INCLUSION },
	{ "an include regexp last", "/r", { "include-regexp=a" },
	    E_REDUNDANT_INCLUSION },
	{ "an empty glob", "/r", { "exclude=" }, E_EXCEPTION },
	{ "a reversed range", "/r", { "exclude=/r/[z-a]" }, E_EXCEPTION },
	{ "an unbalanced regexp", "/r", { "exclude-regexp=(" }, E_EXCEPTION },
	{ "an empty literal", "/r", { "filter-literal", "exclude=" },
	    E_EXCEPTION },
	{ "a literal outside the root", "/r",
	    { "filter-literal", "exclude=/x" }, E_FILE_PREFIX },
	{ "a trailing filter switch", "/r",
	    { "exclude=/r/a", "filter-literal" }, E_TRAILING_FILTER },
	{ "only default filter switches", "/r",
	    { "filter-globbing", "filter-strictcase", "exclude=/r/a" },
	    E_REDUNDANT_FILTER },
	{ NULL, NULL, { NULL }, 0 },
};

/* Per-test temporary directory (libarchive-style fresh directory). */
static char tmpdir[64];
static char oldcwd[4096];

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(path);
}

static int
setup_dir(void **state)
{
	(void)state;
	if (getcwd(oldcwd, sizeof(oldcwd)) == NULL)
		return -1;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/dupc-test-select.XXXXXX");
	if (mkdtemp(tmpdir) == NULL || chdir(tmpdir) < 0)
		return -1;
	log_set_verbosity(LOG_ERROR);
	return 0;
}

static int
teardown_dir(void **state)
{
	(void)state;
	if (chdir(oldcwd) < 0)
		return -1;
	return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void
write_file(const char *path, const void *data, size_t n)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, n, fp), n);
	assert_int_equal(fclose(fp), 0);
}

/* Add "option=arg" or "option" to ${sel}. */
static int
add_rule(struct selection *sel, const char *rule, struct dupc_err *err)
{
	char opt[64];
	const char *eq = strchr(rule, '=');

	if (eq == NULL)
		return selection_add(sel, rule, NULL, err);
	snprintf(opt, sizeof(opt), "%.*s", (int)(eq - rule), rule);
	return selection_add(sel, opt, eq + 1, err);
}

/* A selection of ${rules} under ${root} (a directory on device 1). */
static struct selection *
make_sel(const char *root, const char *const *rules, struct dupc_err *err)
{
	struct selection *sel = selection_new(err);
	struct stat st;
	size_t i;

	assert_non_null(sel);
	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFDIR | 0755;
	st.st_dev = 1;
	for (i = 0; i < MAX_RULES && rules[i] != NULL; i++) {
		if (add_rule(sel, rules[i], err) < 0)
			goto fail;
	}
	if (selection_set_root(sel, root, &st, err) < 0)
		goto fail;
	return sel;
fail:
	selection_free(sel);
	return NULL;
}

static const char *
result_name(enum select_result r)
{
	return r == SEL_INCLUDE ? "include"
	       : r == SEL_SCAN  ? "scan"
				: "exclude";
}

static void
test_rule_table(void **state)
{
	const struct sel_case *c;
	int failed = 0;

	(void)state;
	for (c = cases; c->name != NULL; c++) {
		struct dupc_err err;
		struct selection *sel;
		size_t i;

		err_clear(&err);
		sel = make_sel(c->root, c->rules, &err);
		if (sel == NULL) {
			print_error("case '%s': setup failed: %s\n", c->name,
			    err.msg);
			failed++;
			continue;
		}
		for (i = 0; i < MAX_CHECKS && c->checks[i].index; i++) {
			const struct check *k = &c->checks[i];
			struct obj_meta m;
			enum select_result got;

			meta_init(&m);
			m.type = k->type;
			m.mtime = k->mtime;
			got = selection_check(sel, k->index, &m,
			    k->dev ? k->dev : 1, -1, k->index);
			if (got != k->want) {
				print_error("case '%s': %s gives %s, want %s\n",
				    c->name, k->index, result_name(got),
				    result_name(k->want));
				failed++;
			}
		}
		selection_free(sel);
	}
	assert_int_equal(failed, 0);
}

static void
test_bad_rules(void **state)
{
	const struct bad_case *c;
	int failed = 0;

	(void)state;
	for (c = bad_cases; c->name != NULL; c++) {
		struct dupc_err err;
		struct selection *sel;

		err_clear(&err);
		sel = make_sel(c->root, c->rules, &err);
		if (sel != NULL || err.code != c->code) {
			print_error("case '%s': code %d (%s), want %d\n",
			    c->name, sel ? 0 : err.code, err.msg, c->code);
			failed++;
		}
		selection_free(sel);
	}
	assert_int_equal(failed, 0);
}

/* Misuse of selection_add() is refused at once. */
static void
test_bad_options(void **state)
{
	static const struct {
		const char *opt, *arg;
		int code;
	} t[] = {
		{ "no-such-option", "x", E_COMMAND_LINE },
		{ "include", NULL, E_COMMAND_LINE },
		{ "exclude-device-files", "x", E_COMMAND_LINE },
		{ "exclude-older-than", "yesterday", E_COMMAND_LINE },
		{ "exclude-older-than", "", E_COMMAND_LINE },
		{ "include-filelist", "missing-file", E_CANT_OPEN_FILELIST },
		{ "files-from", "missing-file", E_CANT_OPEN_FILELIST },
		{ "null-separator", "x", E_COMMAND_LINE },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct dupc_err err;
		struct selection *sel = selection_new(&err);

		err_clear(&err);
		assert_non_null(sel);
		if (selection_add(sel, t[i].opt, t[i].arg, &err) != -1 ||
		    err.code != t[i].code)
			fail_msg("--%s %s: code %d, want %d", t[i].opt,
			    t[i].arg ? t[i].arg : "(none)", err.code,
			    t[i].code);
		selection_free(sel);
	}
}

/* The answer for ${index} (a regular file) under /r with ${rules}. */
static enum select_result
check_one(const struct selection *sel, const char *index, enum obj_type t)
{
	struct obj_meta m;

	meta_init(&m);
	m.type = t;
	return selection_check(sel, index, &m, 1, -1, index);
}

static void
test_filelist_lines(void **state)
{
	static const char list[] =
	    "  /r/a  \r\n"     /* stripped; CRLF */
	    "# /r/b\n"         /* a comment */
	    "\n \t \n"         /* blank lines */
	    "- /r/c\r"         /* a lone CR ends a line too */
	    "+ /r/d\n"         /* an include even in an exclude list */
	    "'/r/e f'\n"       /* quotes dropped */
	    "ignorecase:/r/I"; /* no final newline needed */
	const char *rules[] = { "exclude-filelist=list", NULL };
	struct dupc_err err;
	struct selection *sel;

	(void)state;
	write_file("list", list, sizeof(list) - 1);
	err_clear(&err);
	sel = make_sel("/r", rules, &err);
	assert_non_null(sel);
	assert_int_equal(check_one(sel, "a", F), EXC);
	assert_int_equal(check_one(sel, "b", F), INC);
	assert_int_equal(check_one(sel, "c", F), EXC);
	assert_int_equal(check_one(sel, "d", F), INC);
	assert_int_equal(check_one(sel, "e f", F), EXC);
	assert_int_equal(check_one(sel, "i", F), EXC);
	assert_int_equal(check_one(sel, "I", F), EXC);
	selection_free(sel);
}

static void
test_filelist_nul(void **state)
{
	static const char list[] = "/r/a\n\0- /r/b\r\n\0/r/c";
	const char *rules[] = { "include-filelist=list", "null-separator",
		"exclude=**", NULL };
	const char *rules_nl[] = { "include-filelist=list", "exclude=**",
		NULL };
	struct dupc_err err;
	struct selection *sel;

	(void)state;
	write_file("list", list, sizeof(list) - 1);
	err_clear(&err);
	sel = make_sel("/r", rules, &err);
	assert_non_null(sel);
	assert_int_equal(check_one(sel, "a", F), INC);
	assert_int_equal(check_one(sel, "b", F), EXC);
	assert_int_equal(check_one(sel, "c", F), INC);
	selection_free(sel);
	/* without the switch a NUL in a line is refused */
	err_clear(&err);
	assert_null(make_sel("/r", rules_nl, &err));
	assert_int_equal(err.code, E_CANT_OPEN_FILELIST);
}

static void
test_filelist_bad(void **state)
{
	static const struct {
		const char *name;
		const char *data;
		size_t len;
		int code;
	} t[] = {
		{ "not UTF-8", "/r/a\n/r/\xff\n", 9, E_EXCEPTION },
		{ "a surrogate in UTF-8", "/r/\xed\xa0\x80\n", 7, E_EXCEPTION },
		{ "a line outside the root", "/r/a\n/x\n", 8, E_FILE_PREFIX },
		{ "\"+ \" alone is the glob \"+\"", "+ \n", 3, E_FILE_PREFIX },
		{ "a reversed range", "/r/[b-a]\n", 9, E_EXCEPTION },
		{ "consecutive slashes", "/r//a\n", 6, E_GLOBBING },
		/* these become relative globs, which cannot match */
		{ "an unmatched quote stays", "\"/r/a\n", 6, E_FILE_PREFIX },
		{ "\"+ \" takes one space", "+  /r/a\n", 8, E_FILE_PREFIX },
	};
	const char *rules[] = { "include-filelist=list", "exclude=**", NULL };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct dupc_err err;

		write_file("list", t[i].data, t[i].len);
		err_clear(&err);
		if (make_sel("/r", rules, &err) != NULL ||
		    err.code != t[i].code)
			fail_msg("%s: code %d (%s), want %d", t[i].name,
			    err.code, err.msg, t[i].code);
	}
}

static void
test_filelist_long_line(void **state)
{
	const char *rules[] = { "exclude-filelist=list", NULL };
	size_t n = (1u << 16) + 10, i;
	char *data = malloc(n);
	struct dupc_err err;
	struct selection *sel;

	(void)state;
	assert_non_null(data);
	memcpy(data, "/r/", 3);
	for (i = 3; i < n - 1; i++)
		data[i] = 'a';
	data[n - 1] = '\n';
	write_file("list", data, n);
	err_clear(&err);
	assert_null(make_sel("/r", rules, &err));
	assert_int_equal(err.code, E_CANT_OPEN_FILELIST);
	/* just under the limit is fine */
	data[(1u << 16) - 1] = '\n';
	write_file("list", data, 1u << 16);
	err_clear(&err);
	sel = make_sel("/r", rules, &err);
	assert_non_null(sel);
	selection_free(sel);
	free(data);
}

static void
test_filelist_empty(void **state)
{
	const char *rules[] = { "include-filelist=list", NULL };
	struct dupc_err err;
	struct selection *sel;

	(void)state;
	/* no lines, no rules: nothing to be redundant */
	write_file("list", "# only a comment\n\n", 18);
	err_clear(&err);
	sel = make_sel("/r", rules, &err);
	assert_non_null(sel);
	assert_int_equal(check_one(sel, "x", F), INC);
	selection_free(sel);
}

static void
test_files_from(void **state)
{
	static const char list[] = "a/b\nc//\n\nd/e/f\n";
	const char *rules[] = { "files-from=list", NULL };
	const char *rules_ex[] = { "files-from=list", "exclude=/r/d/e", NULL };
	struct dupc_err err;
	struct selection *sel;

	(void)state;
	write_file("list", list, sizeof(list) - 1);
	err_clear(&err);
	sel = make_sel("/r", rules, &err);
	assert_non_null(sel);
	assert_int_equal(check_one(sel, "a", D), INC);
	assert_int_equal(check_one(sel, "a/b", D), INC);
	assert_int_equal(check_one(sel, "a/b/x", F), EXC);
	assert_int_equal(check_one(sel, "a/c", F), EXC);
	assert_int_equal(check_one(sel, "a-b", F), EXC);
	assert_int_equal(check_one(sel, "c", F), INC);
	assert_int_equal(check_one(sel, "d/e", D), INC);
	assert_int_equal(check_one(sel, "d/e/f", F), INC);
	assert_int_equal(check_one(sel, "e", F), EXC);
	selection_free(sel);
	/* the rules still apply to what is listed */
	err_clear(&err);
	sel = make_sel("/r", rules_ex, &err);
	assert_non_null(sel);
	assert_int_equal(check_one(sel, "d", D), INC);
	assert_int_equal(check_one(sel, "d/e", D), EXC);
	assert_int_equal(check_one(sel, "a/b", F), INC);
	selection_free(sel);
}

static void
test_files_from_bad(void **state)
{
	static const struct {
		const char *data;
		int code;
	} t[] = {
		{ "a\n/etc/passwd\n", E_ABSOLUTE_FILES_FROM },
		{ "\n\n", E_EMPTY_FILES_FROM },
		{ "", E_EMPTY_FILES_FROM },
		{ "./a\n", E_COMMAND_LINE },
		{ "a/../b\n", E_COMMAND_LINE },
	};
	const char *rules[] = { "files-from=list", NULL };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct dupc_err err;

		write_file("list", t[i].data, strlen(t[i].data));
		err_clear(&err);
		if (make_sel("/r", rules, &err) != NULL ||
		    err.code != t[i].code)
			fail_msg("files-from %zu: code %d, want %d", i,
			    err.code, t[i].code);
	}
}

static void
test_exclude_if_present(void **state)
{
	const char *rules[] = { "exclude-if-present=.nobackup", NULL };
	const char *bad[] = { "exclude-if-present=.", NULL };
	struct dupc_err err;
	struct selection *sel;
	struct obj_meta m;
	int fd;

	(void)state;
	assert_int_equal(mkdir("t", 0755), 0);
	assert_int_equal(mkdir("t/yes", 0755), 0);
	assert_int_equal(mkdir("t/no", 0755), 0);
	assert_int_equal(mkdir("t/link", 0755), 0);
	write_file("t/yes/.nobackup", "", 0);
	write_file("t/no/.nobackupx", "", 0);
	assert_int_equal(symlink("nowhere", "t/link/.nobackup"), 0);
	err_clear(&err);
	sel = make_sel("t", rules, &err);
	assert_non_null(sel);
	fd = open("t", O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	meta_init(&m);
	m.type = OBJ_DIR;
	assert_int_equal(selection_check(sel, "yes", &m, 1, fd, "yes"), EXC);
	assert_int_equal(selection_check(sel, "no", &m, 1, fd, "no"), INC);
	/* a dangling symlink is still a name in the directory */
	assert_int_equal(selection_check(sel, "link", &m, 1, fd, "link"), EXC);
	/* without the parent's fd the directory is opened by path */
	assert_int_equal(selection_check(sel, "yes", &m, 1, -1, "yes"), EXC);
	/* only directories are looked into */
	m.type = OBJ_REG;
	assert_int_equal(selection_check(sel, "yes", &m, 1, fd, "yes"), INC);
	selection_free(sel);
	/* listdir() never returns "." */
	err_clear(&err);
	sel = make_sel("t", bad, &err);
	assert_non_null(sel);
	m.type = OBJ_DIR;
	assert_int_equal(selection_check(sel, "no", &m, 1, fd, "no"), INC);
	selection_free(sel);
	close(fd);
}

/* The walk with a selection: scanned directories appear only when
 * something below them is emitted, before it. */
static void
test_walk(void **state)
{
	const char *rules[] = { "include=t/a/**.py", "exclude=t/a/skip",
		"include=t/b", "exclude=**", NULL };
	/* a/skip is scanned before its exclude is seen, so s.py is in */
	static const char *const want[] = { "", "a", "a/skip", "a/skip/s.py",
		"a/sub", "a/sub/x.py", "a/y.py", "b", "b/z.c", NULL };
	struct dupc_err err;
	struct selection *sel;
	struct walker *w;
	const struct walk_entry *e;
	size_t i = 0;

	(void)state;
	assert_int_equal(mkdir("t", 0755), 0);
	assert_int_equal(mkdir("t/a", 0755), 0);
	assert_int_equal(mkdir("t/a/sub", 0755), 0);
	assert_int_equal(mkdir("t/a/empty", 0755), 0);
	assert_int_equal(mkdir("t/a/skip", 0755), 0);
	assert_int_equal(mkdir("t/b", 0755), 0);
	assert_int_equal(mkdir("t/c", 0755), 0);
	write_file("t/a/sub/x.py", "", 0);
	write_file("t/a/sub/x.c", "", 0);
	write_file("t/a/skip/s.py", "", 0);
	write_file("t/a/y.py", "", 0);
	write_file("t/b/z.c", "", 0);
	write_file("t/c/w.py", "", 0);
	err_clear(&err);
	sel = make_sel("t", rules, &err);
	assert_non_null(sel);
	w = walk_new("t", sel, &err);
	assert_non_null(w);
	while (walk_next(w, &e, &err) > 0) {
		if (want[i] == NULL || strcmp(want[i], e->index) != 0)
			fail_msg("entry %zu is '%s', want '%s'", i, e->index,
			    want[i] ? want[i] : "(end)");
		i++;
	}
	assert_null(want[i]);
	walk_free(w);
	selection_free(sel);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rule_table, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_bad_rules, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_bad_options, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_filelist_lines, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_filelist_nul, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_filelist_bad, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_filelist_long_line,
		    setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_filelist_empty, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_files_from, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_files_from_bad, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_exclude_if_present,
		    setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_walk, setup_dir,
		    teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
