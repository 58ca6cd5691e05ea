/*
 * The test servers for cmocka tests (see bt_server.h).  The servers
 * themselves are started by the shell scripts of tests/servers/; this
 * reads what they publish (one "KEY='value'" line per setting in
 * ROOT/NAME/env) and, for a test run on its own, runs the scripts.
 */
#define _DEFAULT_SOURCE
#include "bt_server.h"

#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The private servers of a test run alone (empty: none). */
static char private_root[PATH_MAX];
static pid_t private_owner; /* forked children must not stop them */

/* Every value handed out, freed at exit. */
static char **values;
static size_t nvalues;

/* run(argv, log): run argv[0] with its output appended to ${log}; the
 * exit status, or -1. */
static int
run(char *const argv[], const char *log)
{
	pid_t pid;
	int st;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(log != NULL ? log : "/dev/null",
		    O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
script_path(char *buf, size_t n, const char *script)
{
	const char *top = getenv("TOP");

	snprintf(buf, n, "%s/tests/servers/%s",
	    top != NULL && *top != '\0' ? top : ".", script);
}

/* At exit: free the values; stop and remove the private servers. */
static void
stop_private(void)
{
	char down[PATH_MAX];
	size_t i;

	for (i = 0; i < nvalues; i++)
		free(values[i]);
	free(values);
	values = NULL;
	nvalues = 0;
	if (private_root[0] == '\0' || getpid() != private_owner)
		return;
	script_path(down, sizeof(down), "down");
	{
		char *argv[] = { down, private_root, NULL };

		run(argv, NULL);
	}
	{
		char *argv[] = { (char *)"/bin/rm", (char *)"-rf", private_root,
			NULL };

		run(argv, NULL);
	}
	private_root[0] = '\0';
}

static void
at_exit_once(void)
{
	static bool registered;

	if (!registered) {
		atexit(stop_private);
		registered = true;
	}
}

/* server_file(buf, root, name, leaf): "${root}/${name}/${leaf}" into
 * ${buf} (PATH_MAX bytes); -1 when it does not fit. */
static int
server_file(char *buf, const char *root, const char *name, const char *leaf)
{
	int n = snprintf(buf, PATH_MAX, "%s/%s/%s", root, name, leaf);

	return n < 0 || n >= PATH_MAX ? -1 : 0;
}

/* Print a file as TAP diagnostics ("#   " lines). */
static void
print_file(const char *path)
{
	char line[512];
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		printf("#   %s%s", line, strchr(line, '\n') ? "" : "\n");
	fclose(f);
}

static int
fail_all(const char *name, const char *why, const char *file)
{
	printf("not ok 1 - test server %s is not available: %s\n", name, why);
	if (file != NULL)
		print_file(file);
	printf("1..1\n");
	fflush(stdout);
	return -1;
}

/* Start server ${name} in the private root (made on first use). */
static int
start_private(const char *name)
{
	const char *tmp = getenv("TMPDIR");
	char up[PATH_MAX], log[PATH_MAX + 16];
	char *argv[4];

	script_path(up, sizeof(up), "up");
	if (access(up, X_OK) != 0)
		return fail_all(name, "tests/servers/up not found (set TOP)",
		    NULL);
	if (private_root[0] == '\0') {
		snprintf(private_root, sizeof(private_root),
		    "%s/dupc-servers.XXXXXX",
		    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
		if (mkdtemp(private_root) == NULL ||
		    chmod(private_root, 0755) != 0) {
			private_root[0] = '\0';
			return fail_all(name, "cannot make a directory", NULL);
		}
		private_owner = getpid();
		at_exit_once();
		setenv("DUPC_SERVERS_DIR", private_root, 1);
	}
	snprintf(log, sizeof(log), "%s/up.log", private_root);
	argv[0] = up;
	argv[1] = private_root;
	argv[2] = (char *)name;
	argv[3] = NULL;
	if (run(argv, log) != 0)
		return fail_all(name, "tests/servers/up failed", log);
	return 0;
}

int
bt_server_need(const char *name)
{
	const char *root = getenv("DUPC_SERVERS_DIR");
	char path[PATH_MAX];

	if (strchr(name, '/') != NULL || name[0] == '.')
		return fail_all(name, "bad server name", NULL);
	if (root == NULL || *root == '\0' ||
	    (private_root[0] != '\0' && strcmp(root, private_root) == 0)) {
		if (start_private(name) != 0)
			return -1;
		root = private_root;
	}
	if (server_file(path, root, name, "failed") != 0)
		return fail_all(name, "DUPC_SERVERS_DIR is too long", NULL);
	if (access(path, F_OK) == 0)
		return fail_all(name, "it did not start", path);
	if (server_file(path, root, name, "env") != 0 ||
	    access(path, R_OK) != 0)
		return fail_all(name,
		    "tests/run did not start it (declare it in the test's "
		    "source with a line \"needs-server: NAME\")",
		    NULL);
	return 0;
}

/* keep(s): remember ${s} (malloc'd) for freeing at exit; returns it. */
static const char *
keep(char *s)
{
	char **v;

	if (s == NULL)
		return NULL;
	v = realloc(values, (nvalues + 1) * sizeof(*values));
	if (v == NULL) {
		free(s);
		return NULL;
	}
	values = v;
	values[nvalues++] = s;
	at_exit_once();
	return s;
}

const char *
bt_server_env(const char *name, const char *key)
{
	const char *root = getenv("DUPC_SERVERS_DIR");
	char path[PATH_MAX], line[4096];
	size_t klen = strlen(key);
	char *found = NULL;
	FILE *f;

	if (root == NULL || *root == '\0')
		return NULL;
	if (server_file(path, root, name, "env") != 0)
		return NULL;
	f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	/* KEY='value': values never hold a quote or a newline */
	while (found == NULL && fgets(line, sizeof(line), f) != NULL) {
		size_t n = strlen(line);

		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n < klen + 3 || strncmp(line, key, klen) != 0 ||
		    line[klen] != '=' || line[klen + 1] != '\'' ||
		    line[n - 1] != '\'')
			continue;
		line[n - 1] = '\0';
		found = strdup(line + klen + 2);
	}
	fclose(f);
	return keep(found);
}
