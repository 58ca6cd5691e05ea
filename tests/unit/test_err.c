/*
 * util/err: error records.
 */
#include "unit.h"

#include <errno.h>
#include <string.h>

#include "util/err.h"

static void
test_set_and_clear(void **state)
{
	struct dupc_err e;

	(void)state;
	err_clear(&e);
	CHECK_INT(e.code, 0, "clear: no code");
	CHECK_STR(e.msg, "", "clear: empty message");
	CHECK_INT(err_set(&e, E_BAD_URL, "bad %s %d", "thing", 7), -1,
	    "err_set returns -1");
	CHECK_INT(e.code, E_BAD_URL, "code kept");
	CHECK_INT(e.cls, ERR_PERMANENT, "err_set is permanent");
	CHECK_STR(e.msg, "bad thing 7", "message formatted");
	CHECK_INT(err_set(&e, 0, "x"), -1, "code 0");
	CHECK_INT(e.code, E_GENERIC,
	    "code 0 becomes generic (code 0 means no error)");
	err_clear(&e);
	CHECK_INT(e.code, 0, "cleared again");
	/* NULL is accepted everywhere */
	CHECK_INT(err_set(NULL, 1, "x"), -1, "NULL err_set");
	CHECK_INT(err_errno(NULL, 1, "x"), -1, "NULL err_errno");
	CHECK_INT(err_class_set(NULL, ERR_TRANSIENT, 1, "x"), -1,
	    "NULL err_class_set");
	err_prefix(NULL, "x");
	err_clear(NULL);
	UNIT_DONE();
}

static void
test_errno_and_class(void **state)
{
	struct dupc_err e;

	(void)state;
	errno = ENOENT;
	err_errno(&e, E_GENERIC, "opening %s", "f");
	CHECK_INT(e.errnum, ENOENT, "errno kept");
	CHECK_INT(errno, ENOENT, "errno preserved");
	CHECK_STR(e.msg, "opening f: No such file or directory",
	    "strerror appended");
	err_class_set(&e, ERR_TRANSIENT, E_BACKEND_ERROR, "try %d", 2);
	CHECK_INT(e.cls, ERR_TRANSIENT, "class set");
	CHECK_INT(e.code, E_BACKEND_ERROR, "class: code");
	CHECK_INT(e.errnum, 0, "class: errno reset");
	err_prefix(&e, "ctx %d", 1);
	CHECK_STR(e.msg, "ctx 1: try 2", "prefix");
	CHECK_INT(e.cls, ERR_TRANSIENT, "prefix keeps the class");
	CHECK_INT(e.code, E_BACKEND_ERROR, "prefix keeps the code");
	UNIT_DONE();
}

static void
test_truncation(void **state)
{
	struct dupc_err e;
	char big[3000];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	err_set(&e, 1, "%s", big);
	CHECK_INT(strlen(e.msg), ERR_MSG_MAX - 1, "long message truncated");
	err_prefix(&e, "%s", "start");
	CHECK_INT(strlen(e.msg), ERR_MSG_MAX - 1, "prefix on a full message");
	CHECK(strncmp(e.msg, "start: aaa", 10) == 0,
	    "prefix survives truncation");
	err_prefix(&e, "%s", big);
	CHECK_INT(strlen(e.msg), ERR_MSG_MAX - 1, "huge prefix truncated");
	errno = EACCES;
	err_errno(&e, 1, "%s", big);
	CHECK_INT(strlen(e.msg), ERR_MSG_MAX - 1,
	    "errno text on a full message");
	UNIT_DONE();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_set_and_clear),
		UNIT_TEST(test_errno_and_class),
		UNIT_TEST(test_truncation),
	};

	unit_init();
	return cmocka_run_group_tests_name("err", tests, NULL, NULL);
}
