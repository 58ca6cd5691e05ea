#ifndef DUPC_TESTS_BACKEND_SUITE_H
#define DUPC_TESTS_BACKEND_SUITE_H

/*
 * The conformance suite every backend passes (after restic's
 * internal/backend/test Suite): the contract written in backend/backend.h,
 * case by case.  Each scheme's own test file (test_backend_<scheme>.c)
 * describes how to make a fresh, empty location of its kind and calls
 * backend_suite_run(); every case then runs twice, on the raw backend and
 * behind the layers backend_open adds (lock and retry).
 */

#include <stdbool.h>
#include <stddef.h>

struct backend_options;

struct suite_target {
	const char *name; /* "sftp", shown in each case's name */
	/* the URL of a fresh, empty location, unique for ${serial} */
	void (*url)(char *, size_t, unsigned serial, void *arg);
	void *arg;
	/* make a subfolder inside the location at ${url} (NULL: the scheme
	 * has no subfolders, the case is left out) */
	void (*make_subfolder)(const char *url, void *arg);
	bool empty_ok; /* a zero-byte object can be stored */
	bool in_place; /* backend_open_read gives the stored file */
	unsigned many; /* objects of the long listing case (0: 120) */
	/* options for every open (NULL: 3 retries 0.01 s apart, 10 s
	 * timeout) */
	const struct backend_options *opts;
};

struct CMUnitTest;

/*
 * backend_suite_run(group, targets, n, extra, nextra, setup, teardown):
 * Run every case against each of the ${n} ${targets}, then the scheme's
 * own ${nextra} ${extra} tests (may be NULL), as one cmocka group named
 * ${group}, with the group's ${setup} and ${teardown} (may be NULL: start
 * and stop a server there).  Returns cmocka's result, for main().
 */
int backend_suite_run(const char *, const struct suite_target *, size_t,
    const struct CMUnitTest *, size_t, int (*)(void **), int (*)(void **));

/* backend_suite_skip(group, why): the whole group skipped, with a reason
 * (a server that is not there); returns 0. */
int backend_suite_skip(const char *, const char *);

#endif
