#ifndef DUPC_TESTS_UNIT_H
#define DUPC_TESTS_UNIT_H

/*
 * Shared helpers for the cmocka unit tests (linked into every test binary).
 *
 * Table-driven tests check each case with the CHECK* macros, which record a
 * failure under the case's name and carry on; UNIT_DONE() then fails the
 * test once, listing every failed case (cmocka prints the list after the
 * "not ok" line).  Every test registered with UNIT_TEST runs in a fresh
 * temporary directory (the current directory during the test), removed
 * afterwards.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* after the four above, which cmocka.h needs */
#include <cmocka.h>

#include <stdbool.h>

#include "util/stream.h"

/* UNIT_TEST(fn): a test run in its own temporary directory. */
#define UNIT_TEST(fn) \
	cmocka_unit_test_setup_teardown(fn, unit_setup, unit_teardown)

int unit_setup(void **);
int unit_teardown(void **);

/* unit_init(): call first in main (stdout line-buffered, quiet log). */
void unit_init(void);

/* --- per-case failures --- */

void unit_case_fail(const char *, int, const char *, const char *, ...)
    __attribute__((format(printf, 4, 5)));
void unit_done(const char *, int);
unsigned unit_case_failures(void);

#define UNIT_DONE() unit_done(__FILE__, __LINE__)

#define CHECK(cond, name)                                                \
	do {                                                             \
		if (!(cond))                                             \
			unit_case_fail(__FILE__, __LINE__, (name), "%s", \
			    #cond);                                      \
	} while (0)

#define CHECK_INT(got, want, name)                                       \
	do {                                                             \
		long long g_ = (long long)(got), w_ = (long long)(want); \
		if (g_ != w_)                                            \
			unit_case_fail(__FILE__, __LINE__, (name),       \
			    "%s is %lld, expected %lld", #got, g_, w_);  \
	} while (0)

#define CHECK_U64(got, want, name)                                      \
	do {                                                            \
		unsigned long long g_ = (unsigned long long)(got);      \
		unsigned long long w_ = (unsigned long long)(want);     \
		if (g_ != w_)                                           \
			unit_case_fail(__FILE__, __LINE__, (name),      \
			    "%s is %llu, expected %llu", #got, g_, w_); \
	} while (0)

#define CHECK_STR(got, want, name) \
	unit_check_str(__FILE__, __LINE__, (name), #got, (got), (want))

#define CHECK_MEM(got, glen, want, wlen, name)                          \
	unit_check_mem(__FILE__, __LINE__, (name), #got, (got), (glen), \
	    (want), (wlen))

void unit_check_str(const char *, int, const char *, const char *, const char *,
    const char *);
void unit_check_mem(const char *, int, const char *, const char *, const void *,
    size_t, const void *, size_t);

/* unit_escape(p, n, out, outsz): printable form of bytes (\xHH). */
char *unit_escape(const void *, size_t, char *, size_t);

/* --- interop vectors --- */

/*
 * unit_vectors(): the duplicity-0.8.22 vector directory, found through
 * $DUPC_SHARED, <repo>/../shared or /work/shared; NULL when absent.
 */
const char *unit_vectors(void);

/* UNIT_VECTORS(var): declare ${var} = unit_vectors() or skip the test. */
#define UNIT_VECTORS(var)                                                   \
	const char *var = unit_vectors();                                   \
	if (var == NULL) {                                                  \
		print_message("# duplicity vectors not found; skipping\n"); \
		skip();                                                     \
		return;                                                     \
	}

/* unit_vector_path(rel): "<vectors>/<rel>" (static buffer, one at a time). */
const char *unit_vector_path(const char *);

/* --- files --- */

/* unit_slurp(path, len): whole file, malloc'd (+ NUL), or NULL. */
unsigned char *unit_slurp(const char *, size_t *);

/* unit_gunzip_file(path, len): a whole .gz file decompressed by zlib
 * (independently of dupc's codec), malloc'd, or NULL. */
unsigned char *unit_gunzip_file(const char *, size_t *);

/* unit_write_file(path, p, n): create/replace; 0 or -1. */
int unit_write_file(const char *, const void *, size_t);

/* unit_list_dir(dir, names, n): sorted regular file names (malloc'd). */
int unit_list_dir(const char *, char ***, size_t *);
void unit_free_names(char **, size_t);

/* --- a sink that keeps everything in memory --- */

struct unit_sink {
	struct sink base;
	unsigned char *data;
	size_t len, cap;
	int finished;    /* times finish was called */
	long fail_after; /* fail writes once len would pass this (-1: never) */
};

void unit_sink_init(struct unit_sink *);
void unit_sink_release(struct unit_sink *);

/* A source whose reads always fail (after ${ok} bytes of zeros). */
struct source *unit_failing_source_new(size_t);

/* --- deterministic random data --- */

uint64_t unit_rand(uint64_t *);
void unit_fill_random(void *, size_t, uint64_t *);

/*
 * unit_stderr_begin(c) sends standard error to a temporary file until
 * unit_stderr_end(c), which puts it back and returns how many bytes were
 * written to it meanwhile: for code that must print nothing.  The
 * cmocka messages of a failing check in between land in the file too.
 */
struct unit_stderr {
	FILE *cap;
	int saved;
};
void unit_stderr_begin(struct unit_stderr *);
long unit_stderr_end(struct unit_stderr *);

/* unit_have_python(): python3 can be run. */
bool unit_have_python(void);

#endif
