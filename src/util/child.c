/*
 * Child processes (see child.h).  posix_spawnp does the work: file actions
 * put the pipes on 0, 1 and 2 and close every other descriptor, spawn
 * attributes restore default signal handling (dupc ignores SIGPIPE, and an
 * ignored signal survives exec) and start a process group of its own.
 * child_pump() is one poll() loop over the three pipes, waking every
 * 200 ms to look for an interrupt.
 */
#define _GNU_SOURCE
#include "util/child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/err.h"
#include "util/interrupt.h"
#include "util/ratelimit.h"
#include "util/stream.h"

extern char **environ;

#define BLOCK (64 * 1024)

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Does "NAME=..." ${entry} name one of ${names} (or the name of one of
 * the "NAME=VALUE" ${adds})? */
static bool
named(const char *entry, const char *const *names, bool values)
{
	size_t n = strcspn(entry, "=");

	for (; names != NULL && *names != NULL; names++) {
		size_t k = values ? strcspn(*names, "=") : strlen(*names);

		if (k == n && strncmp(entry, *names, n) == 0)
			return true;
	}
	return false;
}

/* dupc's environment without ${unset} and the names ${add} replaces,
 * then ${add}.  The array is freed by the caller (not the strings). */
static char **
make_env(const char *const *add, const char *const *unset)
{
	size_t n = 0, k = 0, i;
	char **env;

	for (i = 0; environ[i] != NULL; i++)
		n++;
	for (i = 0; add != NULL && add[i] != NULL; i++)
		n++;
	env = calloc(n + 1, sizeof(*env));
	if (env == NULL)
		return NULL;
	for (i = 0; environ[i] != NULL; i++)
		if (!named(environ[i], unset, false) &&
		    !named(environ[i], add, true))
			env[k++] = environ[i];
	for (i = 0; add != NULL && add[i] != NULL; i++)
		env[k++] = (char *)(uintptr_t)add[i];
	env[k] = NULL;
	return env;
}

/* Where one standard descriptor of the child comes from. */
static int
plan_io(posix_spawn_file_actions_t *fa, int how, int target, int *ours,
    int pipefd[2], bool child_reads)
{
	if (how == CHILD_NULL)
		return posix_spawn_file_actions_addopen(fa, target, "/dev/null",
		    child_reads ? O_RDONLY : O_WRONLY, 0);
	if (how == CHILD_PIPE) {
		if (pipe2(pipefd, O_CLOEXEC) < 0)
			return errno;
		*ours = child_reads ? pipefd[1] : pipefd[0];
		return posix_spawn_file_actions_adddup2(fa,
		    child_reads ? pipefd[0] : pipefd[1], target);
	}
	return posix_spawn_file_actions_adddup2(fa, how, target);
}

static int
spawn_attrs(posix_spawnattr_t *at)
{
	sigset_t def, none;

	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGQUIT);
	sigemptyset(&none);
	return posix_spawnattr_setflags(at, POSIX_SPAWN_SETSIGDEF |
						POSIX_SPAWN_SETSIGMASK |
						POSIX_SPAWN_SETPGROUP) ||
	       posix_spawnattr_setsigdefault(at, &def) ||
	       posix_spawnattr_setsigmask(at, &none) ||
	       posix_spawnattr_setpgroup(at, 0);
}

int
child_start(struct child *c, const struct child_spec *spec,
    struct dupc_err *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, ep[2] = { -1, -1 };
	char **env = NULL;
	int rc;

	memset(c, 0, sizeof(*c));
	c->pid = -1;
	c->in_fd = c->out_fd = c->err_fd = -1;
	if (posix_spawn_file_actions_init(&fa) != 0)
		return err_set(err, E_GENERIC, "out of memory");
	if (posix_spawnattr_init(&at) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return err_set(err, E_GENERIC, "out of memory");
	}
	rc = spawn_attrs(&at);
	if (rc == 0)
		rc = plan_io(&fa, spec->in, 0, &c->in_fd, in, true);
	if (rc == 0)
		rc = plan_io(&fa, spec->out, 1, &c->out_fd, out, false);
	if (rc == 0)
		rc = plan_io(&fa, CHILD_PIPE, 2, &c->err_fd, ep, false);
	if (rc == 0 && spec->dir != NULL)
		rc = posix_spawn_file_actions_addchdir_np(&fa, spec->dir);
	if (rc == 0)
		rc = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	if (rc == 0 && (env = make_env(spec->env, spec->unset)) == NULL)
		rc = ENOMEM;
	if (rc == 0)
		rc = posix_spawnp(&c->pid, spec->argv[0], &fa, &at,
		    (char *const *)(uintptr_t)spec->argv, env);
	free(env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	/* the child's ends */
	if (in[0] >= 0)
		close(in[0]);
	if (out[1] >= 0)
		close(out[1]);
	if (ep[1] >= 0)
		close(ep[1]);
	if (rc != 0) {
		c->pid = -1;
		child_release(c);
		errno = rc;
		return err_class_set(err, ERR_PERMANENT,
		    E_BACKEND_COMMAND_ERROR, "cannot run %s: %s", spec->argv[0],
		    strerror(rc));
	}
	c->err[0] = '\0';
	return 0;
}

void
child_set_limits(struct child *c, struct ratelimit *in, struct ratelimit *out)
{
	c->in_limit = in;
	c->out_limit = out;
}

/* Keep the tail of the child's standard error. */
static void
keep_err(struct child *c, const char *p, size_t n)
{
	size_t room = sizeof(c->err) - 1;

	if (n >= room) {
		memcpy(c->err, p + n - room, room);
		c->errlen = room;
	} else {
		if (c->errlen + n > room) {
			size_t drop = c->errlen + n - room;

			memmove(c->err, c->err + drop, c->errlen - drop);
			c->errlen -= drop;
		}
		memcpy(c->err + c->errlen, p, n);
		c->errlen += n;
	}
	c->err[c->errlen] = '\0';
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The state of one pump: what is waiting to go into the child. */
struct pump {
	struct child *c;
	struct source *src;
	int out;
	child_out_fn *out_fn; /* or NULL: write to ${out} */
	void *out_arg;
	char *inbuf;
	size_t inlen, inoff;
	bool src_done;
	double last; /* when a byte last moved */
};

/* Feed the child's standard input once it can take more. */
static int
feed(struct pump *p, struct dupc_err *err)
{
	ssize_t w;

	if (p->inoff == p->inlen && !p->src_done) {
		size_t got = 0;

		if (source_read(p->src, p->inbuf, BLOCK, &got, err) < 0)
			return -1;
		p->inlen = got;
		p->inoff = 0;
		if (got == 0)
			p->src_done = true;
	}
	if (p->inoff < p->inlen) {
		w = write(p->c->in_fd, p->inbuf + p->inoff,
		    p->inlen - p->inoff);
		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (w < 0) {
			/* it stopped reading: its exit status says why */
			p->src_done = true;
			p->inoff = p->inlen;
		} else {
			p->inoff += (size_t)w;
			ratelimit_take(p->c->in_limit, (size_t)w);
			p->last = now();
		}
	}
	if (p->src_done && p->inoff == p->inlen)
		close_fd(&p->c->in_fd);
	return 0;
}

/* Read what the child wrote on ${fd}; 0 at its end. */
static ssize_t
drain(struct pump *p, int *fd, bool is_err, struct dupc_err *err)
{
	char buf[BLOCK];
	ssize_t r = read(*fd, buf, sizeof(buf));

	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (r <= 0) {
		close_fd(fd);
		return 0;
	}
	if (is_err)
		keep_err(p->c, buf, (size_t)r);
	else if (p->out_fn != NULL) {
		if (p->out_fn(p->out_arg, buf, (size_t)r, err) < 0)
			return -1;
	} else if (p->out >= 0 && write_all(p->out, buf, (size_t)r) < 0)
		return err_errno(err, E_GENERIC,
		    "writing the output of a program");
	if (!is_err)
		ratelimit_take(p->c->out_limit, (size_t)r);
	/* after any wait for the limit, which is not a stall */
	p->last = now();
	return r;
}

static int
pump_loop(struct pump *p, unsigned stall, struct dupc_err *err)
{
	struct child *c = p->c;

	while (c->out_fd >= 0 || c->err_fd >= 0 || c->in_fd >= 0) {
		struct pollfd pf[3];
		nfds_t n = 0;
		int i;

		if (interrupted())
			return err_class_set(err, ERR_PERMANENT, E_GENERIC,
			    "interrupted");
		if (stall > 0 && now() - p->last > (double)stall)
			return err_class_set(err, ERR_TRANSIENT,
			    E_BACKEND_ERROR,
			    "the program did nothing for %u seconds", stall);
		if (c->in_fd >= 0)
			pf[n++] = (struct pollfd){ c->in_fd, POLLOUT, 0 };
		if (c->out_fd >= 0)
			pf[n++] = (struct pollfd){ c->out_fd, POLLIN, 0 };
		if (c->err_fd >= 0)
			pf[n++] = (struct pollfd){ c->err_fd, POLLIN, 0 };
		if (poll(pf, n, 200) < 0 && errno != EINTR)
			return err_errno(err, E_GENERIC,
			    "waiting for a program");
		for (i = 0; i < (int)n; i++) {
			if (pf[i].revents == 0)
				continue;
			if (pf[i].fd == c->in_fd) {
				if (feed(p, err) < 0)
					return -1;
			} else if (pf[i].fd == c->out_fd) {
				if (drain(p, &c->out_fd, false, err) < 0)
					return -1;
			} else if (drain(p, &c->err_fd, true, err) < 0) {
				return -1;
			}
		}
	}
	return 0;
}

static int
pump(struct child *c, struct source *src, int out, child_out_fn *fn, void *arg,
    unsigned stall, struct dupc_err *err)
{
	struct pump p;
	int rc;

	memset(&p, 0, sizeof(p));
	p.c = c;
	p.src = src;
	p.out = out;
	p.out_fn = fn;
	p.out_arg = arg;
	p.last = now();
	p.src_done = src == NULL;
	if (c->in_fd >= 0) {
		if (src == NULL) {
			close_fd(&c->in_fd);
		} else {
			fcntl(c->in_fd, F_SETFL,
			    fcntl(c->in_fd, F_GETFL) | O_NONBLOCK);
			if ((p.inbuf = malloc(BLOCK)) == NULL)
				return err_set(err, E_GENERIC, "out of memory");
		}
	}
	rc = pump_loop(&p, stall, err);
	free(p.inbuf);
	if (rc < 0)
		child_kill(c);
	return rc;
}

int
child_pump(struct child *c, struct source *src, int out, unsigned stall,
    struct dupc_err *err)
{
	return pump(c, src, out, NULL, NULL, stall, err);
}

int
child_pump_to(struct child *c, struct source *src, child_out_fn *fn, void *arg,
    unsigned stall, struct dupc_err *err)
{
	return pump(c, src, -1, fn, arg, stall, err);
}

int
child_wait(struct child *c, int *statusp)
{
	int st;

	if (!c->reaped) {
		if (c->pid < 0)
			return -1;
		while (waitpid(c->pid, &st, 0) < 0)
			if (errno != EINTR)
				return -1;
		c->reaped = true;
		c->status = WIFEXITED(st)     ? WEXITSTATUS(st)
			    : WIFSIGNALED(st) ? 128 + WTERMSIG(st)
					      : 255;
	}
	*statusp = c->status;
	return 0;
}

void
child_kill(struct child *c)
{
	int st, i;

	close_fd(&c->in_fd);
	close_fd(&c->out_fd);
	close_fd(&c->err_fd);
	if (c->pid < 0 || c->reaped)
		return;
	kill(c->pid, SIGTERM);
	for (i = 0; i < 20; i++) {
		if (waitpid(c->pid, &st, WNOHANG) == c->pid)
			goto reaped;
		nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
	}
	kill(c->pid, SIGKILL);
	while (waitpid(c->pid, &st, 0) < 0 && errno == EINTR)
		;
reaped:
	c->reaped = true;
	c->status = 128 + SIGTERM;
}

void
child_release(struct child *c)
{
	if (c->pid >= 0 && !c->reaped)
		child_kill(c);
	close_fd(&c->in_fd);
	close_fd(&c->out_fd);
	close_fd(&c->err_fd);
}

int
child_run(const struct child_spec *spec, unsigned stall, int *statusp,
    struct dupc_err *err)
{
	struct child c;
	int rc = -1;

	if (child_start(&c, spec, err) < 0)
		return -1;
	if (child_pump(&c, NULL, -1, stall, err) == 0 &&
	    child_wait(&c, statusp) == 0)
		rc = 0;
	else if (err != NULL && err->code == 0)
		err_set(err, E_GENERIC, "cannot wait for %s", spec->argv[0]);
	child_release(&c);
	return rc;
}

char *
child_err_line(const struct child *c, char *out, size_t size)
{
	const char *end = c->err + c->errlen, *start;
	size_t k = 0;

	while (end > c->err &&
	       (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	start = end;
	while (start > c->err && start[-1] != '\n')
		start--;
	for (; start < end && k + 5 < size; start++) {
		unsigned char ch = (unsigned char)*start;

		if (ch < 0x20 || ch == 0x7f)
			k += (size_t)snprintf(out + k, size - k, "\\x%02x", ch);
		else
			out[k++] = (char)ch;
	}
	out[k] = '\0';
	return out;
}
