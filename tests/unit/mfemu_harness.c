/*
 * The emulator harness for tests (see mfemu_harness.h).  The control
 * requests use a plain socket so tests need no HTTP library of their own.
 */
#define _DEFAULT_SOURCE
#include "mfemu_harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Every emulator started and not yet stopped, killed at exit too, so a
 * test that dies early leaves no server behind. */
static pid_t live[8];
static pid_t owner; /* forked children must not kill their parent's */

static void
kill_live(void)
{
	size_t i;

	for (i = 0; i < sizeof(live) / sizeof(live[0]); i++) {
		if (live[i] > 0 && getpid() == owner) {
			kill(live[i], SIGKILL);
			waitpid(live[i], NULL, 0);
			live[i] = 0;
		}
	}
}

static void
track(pid_t pid, bool add)
{
	static bool registered;
	size_t i;

	if (!registered) {
		atexit(kill_live);
		registered = true;
	}
	owner = getpid();
	for (i = 0; i < sizeof(live) / sizeof(live[0]); i++) {
		if (add && live[i] == 0) {
			live[i] = pid;
			return;
		}
		if (!add && live[i] == pid) {
			live[i] = 0;
			return;
		}
	}
}

const char *
mfemu_path(void)
{
	static char path[1024];
	const char *e = getenv("MFEMU"), *top = getenv("TOP");

	if (e != NULL && *e != '\0')
		snprintf(path, sizeof(path), "%s", e);
	else
		snprintf(path, sizeof(path), "%s/tools/mf-emulator/mfemu.py",
		    top != NULL && *top != '\0' ? top : ".");
	return access(path, R_OK) == 0 ? path : NULL;
}

static int
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* Read the first line of the child's stdout, waiting at most 20 s. */
static int
read_banner(int fd, char *line, size_t n)
{
	size_t got = 0;
	struct pollfd p = { fd, POLLIN, 0 };

	while (got + 1 < n) {
		ssize_t r;

		if (poll(&p, 1, 20000) <= 0)
			return -1;
		r = read(fd, line + got, 1);
		if (r <= 0)
			return -1;
		if (line[got] == '\n')
			break;
		got++;
	}
	line[got] = '\0';
	return 0;
}

int
mfemu_start(struct mfemu *emu, const char *faults, const char *const *args)
{
	const char *script = mfemu_path(), *tmp = getenv("TMPDIR");
	const char *argv[64];
	char data[300], ffile[300], errf[300], line[256];
	int pipefd[2], argc = 0, i;
	const char *p;

	memset(emu, 0, sizeof(*emu));
	if (script == NULL) {
		fprintf(stderr, "mfemu not found; set MFEMU\n");
		return -1;
	}
	snprintf(emu->dir, sizeof(emu->dir), "%s/dupc-mfemu.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(emu->dir) == NULL)
		return -1;
	snprintf(data, sizeof(data), "%s/data", emu->dir);
	snprintf(emu->log, sizeof(emu->log), "%s/log", emu->dir);
	snprintf(ffile, sizeof(ffile), "%s/faults.json", emu->dir);
	snprintf(errf, sizeof(errf), "%s/stderr", emu->dir);
	argv[argc++] = "python3";
	argv[argc++] = script;
	argv[argc++] = "--listen";
	argv[argc++] = "127.0.0.1:0";
	argv[argc++] = "--data";
	argv[argc++] = data;
	argv[argc++] = "--account";
	argv[argc++] = MFEMU_EMAIL ":" MFEMU_PASSWORD;
	argv[argc++] = "--seed";
	argv[argc++] = "7";
	argv[argc++] = "--log";
	argv[argc++] = emu->log;
	argv[argc++] = "--control";
	argv[argc++] = "--no-fsync";
	if (faults != NULL) {
		if (write_file(ffile, faults) < 0)
			return -1;
		argv[argc++] = "--faults";
		argv[argc++] = ffile;
	}
	for (i = 0; args != NULL && args[i] != NULL && argc < 62; i++)
		argv[argc++] = args[i];
	argv[argc] = NULL;
	if (pipe(pipefd) < 0)
		return -1;
	emu->pid = fork();
	if (emu->pid < 0)
		return -1;
	if (emu->pid == 0) {
		int efd = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		/* the server goes when the test process goes */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(pipefd[1], 1);
		if (efd >= 0)
			dup2(efd, 2);
		close(pipefd[0]);
		execvp("python3", (char *const *)argv);
		_exit(127);
	}
	track(emu->pid, true);
	close(pipefd[1]);
	if (read_banner(pipefd[0], line, sizeof(line)) < 0 ||
	    (p = strstr(line, "http://127.0.0.1:")) == NULL) {
		close(pipefd[0]);
		fprintf(stderr, "mfemu did not start; see %s\n", errf);
		mfemu_stop(emu);
		return -1;
	}
	close(pipefd[0]);
	emu->port = atoi(p + strlen("http://127.0.0.1:"));
	snprintf(emu->root, sizeof(emu->root), "http://127.0.0.1:%d",
	    emu->port);
	setenv("DUPC_MF_API_ROOT", emu->root, 1);
	setenv("FTP_PASSWORD", MFEMU_PASSWORD, 1);
	return 0;
}

static void
rm_tree(const char *dir)
{
	pid_t pid = fork();

	if (pid == 0) {
		execlp("rm", "rm", "-rf", dir, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

void
mfemu_stop(struct mfemu *emu)
{
	int i, st;

	if (emu->pid > 0) {
		kill(emu->pid, SIGTERM);
		for (i = 0; i < 100; i++) {
			if (waitpid(emu->pid, &st, WNOHANG) == emu->pid)
				break;
			usleep(50000);
		}
		if (i == 100) {
			kill(emu->pid, SIGKILL);
			waitpid(emu->pid, &st, 0);
		}
		track(emu->pid, false);
		emu->pid = 0;
	}
	if (emu->dir[0] != '\0' && getenv("MFEMU_KEEP") == NULL)
		rm_tree(emu->dir);
	emu->dir[0] = '\0';
}

int
mfemu_control(const struct mfemu *emu, const char *method, const char *path,
    const char *body)
{
	struct sockaddr_in sa;
	char req[8192], resp[512];
	size_t blen = body != NULL ? strlen(body) : 0, off = 0;
	int fd, n, status = -1;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)emu->port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto out;
	n = snprintf(req, sizeof(req),
	    "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
	    method, path, blen, body != NULL ? body : "");
	if (n < 0 || (size_t)n >= sizeof(req))
		goto out;
	if (write(fd, req, (size_t)n) != n)
		goto out;
	while (off + 1 < sizeof(resp)) {
		ssize_t r = read(fd, resp + off, sizeof(resp) - 1 - off);

		if (r <= 0)
			break;
		off += (size_t)r;
	}
	resp[off] = '\0';
	if (sscanf(resp, "HTTP/1.%*d %d", &status) != 1)
		status = -1;
out:
	close(fd);
	return status;
}

int
mfemu_add_faults(const struct mfemu *emu, const char *json)
{
	return mfemu_control(emu, "POST", "/_mfemu/faults", json) == 200 ? 0
									 : -1;
}

int
mfemu_clear_faults(const struct mfemu *emu)
{
	return mfemu_control(emu, "DELETE", "/_mfemu/faults", NULL) == 200 ? 0
									   : -1;
}

/* The string value of "key": "..." in one JSON line, or NULL for null. */
static const char *
field(const char *line, const char *key, char *out, size_t n)
{
	char pat[64];
	const char *p;
	size_t i = 0;

	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	p = strstr(line, pat);
	if (p == NULL)
		return NULL;
	p += strlen(pat);
	if (*p != '"')
		return NULL;
	for (p++; *p != '\0' && *p != '"' && i + 1 < n; p++)
		out[i++] = *p;
	out[i] = '\0';
	return out;
}

unsigned
mfemu_count(const struct mfemu *emu, const char *path, const char *fault)
{
	FILE *f = fopen(emu->log, "r");
	char *line = NULL, pv[256], fv[128];
	size_t cap = 0, plen = path != NULL ? strlen(path) : 0;
	unsigned n = 0;
	const char *pp, *fp;

	if (f == NULL)
		return 0;
	while (getline(&line, &cap, f) > 0) {
		pp = field(line, "path", pv, sizeof(pv));
		fp = field(line, "fault", fv, sizeof(fv));
		if (path != NULL) {
			if (pp == NULL)
				continue;
			if (plen > 0 && path[plen - 1] == '*'
				? strncmp(pp, path, plen - 1) != 0
				: strcmp(pp, path) != 0)
				continue;
		}
		if (fault != NULL) {
			if (strcmp(fault, "") == 0 && fp != NULL)
				continue;
			if (strcmp(fault, "*") == 0 && fp == NULL)
				continue;
			if (*fault != '\0' && strcmp(fault, "*") != 0 &&
			    (fp == NULL || strcmp(fp, fault) != 0))
				continue;
		}
		n++;
	}
	free(line);
	fclose(f);
	return n;
}

int
mfemu_skip_all(const char *why)
{
	printf("1..1\nok 1 # skip %s\n", why);
	return 0;
}

const char *
mfemu_url(const struct mfemu *emu, const char *folder, char *buf, size_t n)
{
	(void)emu;
	snprintf(buf, n, "mf://user%%40example.com@mediafire.com/%s", folder);
	return buf;
}
