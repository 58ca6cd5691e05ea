#ifndef DUPC_TESTS_UNIT_BT_SERVER_H
#define DUPC_TESTS_UNIT_BT_SERVER_H

/*
 * The real servers of tests/servers/ (sshd, ceph, webdav, ftp, rclone; see
 * tests/servers/README.md) for cmocka tests.  A test declares the servers
 * it talks to in a comment line of its source, tests/unit/test_NAME.c:
 *
 *	needs-server: sshd webdav
 *
 * and tests/run starts them once for the whole run, in $DUPC_SERVERS_DIR.
 * main() then calls bt_server_need() for each before running the tests,
 * and the tests read hosts, ports and accounts with bt_server_env().
 * Servers are shared by every test of the run: work under a unique path
 * (a bucket, folder or file name with the test's name and pid).
 */

/*
 * bt_server_need(name):
 * Make server ${name} available.  Under tests/run, read its env file in
 * $DUPC_SERVERS_DIR/${name}.  Run alone (no DUPC_SERVERS_DIR), start a
 * private instance with tests/servers/up (found through $TOP, else the
 * current directory) in a temporary directory, then set DUPC_SERVERS_DIR
 * to it; it is stopped and removed at exit.  Returns 0; or prints a TAP
 * failure with the reason ("not ok 1 - ...", "1..1") and returns -1, and
 * main() returns 1.
 */
int bt_server_need(const char *);

/*
 * bt_server_env(name, key):
 * The value of ${key} in the env file of server ${name} (after
 * bt_server_need(name) succeeded), or NULL when it has no such key.  The
 * string stays valid until exit.
 */
const char *bt_server_env(const char *, const char *);

#endif
