#ifndef DUPC_UTIL_CHILD_H
#define DUPC_UTIL_CHILD_H

/*
 * Child processes, for the backends that drive a program (rclone, par2).
 * A child is started without a shell, in a process group of its own (so a
 * Ctrl-C reaches dupc, which stops it), with the signal dispositions a
 * program expects, no descriptor of dupc's but the three it is given, and
 * an environment built from dupc's plus the caller's additions.  Nothing
 * secret belongs in argv: a backend hands secrets over in an environment
 * entry or through standard input.  Its standard error is kept (the last
 * CHILD_ERR_MAX bytes) for the error line; it is stopped (SIGTERM, then
 * SIGKILL) when dupc is interrupted or the child moves no byte for the
 * stall timeout.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct dupc_err;
struct ratelimit;
struct source;

#define CHILD_ERR_MAX 4096

/* What a child's standard input or output is connected to. */
enum child_io {
	CHILD_NULL = -1, /* /dev/null */
	CHILD_PIPE = -2, /* a pipe child_pump() serves */
};

struct child_spec {
	const char *const *argv;  /* argv[0] is looked up in PATH */
	const char *const *env;   /* "NAME=VALUE" added or replacing; NULL */
	const char *const *unset; /* names left out of the environment; NULL */
	int in;          /* CHILD_NULL, CHILD_PIPE or a descriptor to give it */
	int out;         /* likewise */
	const char *dir; /* working directory, or NULL */
};

/*
 * A running child.  ${in_fd} and ${out_fd} are dupc's ends of the pipes
 * (-1 when not piped); ${err} holds the tail of its standard error,
 * NUL-terminated.
 */
struct child {
	pid_t pid;
	int in_fd;
	int out_fd;
	int err_fd;
	char err[CHILD_ERR_MAX];
	size_t errlen;
	bool reaped;
	int status;
	struct ratelimit *in_limit; /* child_set_limits */
	struct ratelimit *out_limit;
};

/*
 * child_start(c, spec, err):
 * Start the program.  E_BACKEND_COMMAND_ERROR (permanent) when it cannot
 * be started, naming the program.
 */
int child_start(struct child *, const struct child_spec *, struct dupc_err *);

/*
 * child_pump(c, src, out, stall, err):
 * Serve the child until its standard output and error end: feed ${src}
 * (may be NULL) into its piped standard input and close it at the end of
 * the source, copy its piped standard output to descriptor ${out} (-1:
 * discard it), keep its standard error.  Stops the child and fails
 * (permanent) on an interrupt, and (transient) when nothing moves for
 * ${stall} seconds (0: no limit); a failing source or write fails the
 * same way as it failed.
 */
int child_pump(struct child *, struct source *, int, unsigned,
    struct dupc_err *);

/*
 * child_set_limits(c, in, out):
 * Between child_start and child_pump: take what child_pump feeds to the
 * child's standard input from bucket ${in}, and what it copies from its
 * standard output from ${out} (util/ratelimit.h; borrowed, NULL: no
 * limit), for a program that moves a backend's data (--limit-upload,
 * --limit-download).
 */
void child_set_limits(struct child *, struct ratelimit *, struct ratelimit *);

/*
 * Called with each block the child writes on its piped standard output;
 * returns -1 with ${err} set to stop it (child_pump_to then fails the
 * same way).
 */
typedef int child_out_fn(void *arg, const char *, size_t, struct dupc_err *);

/*
 * child_pump_to(c, src, fn, arg, stall, err):
 * child_pump(), with the child's standard output handed to ${fn} instead
 * of a descriptor, for output read as it comes (a listing).
 */
int child_pump_to(struct child *, struct source *, child_out_fn *, void *,
    unsigned, struct dupc_err *);

/*
 * child_wait(c, statusp):
 * Reap the child; *${statusp} is its exit code, or 128 + the signal that
 * ended it.  Returns 0, or -1 when it cannot be waited for.
 */
int child_wait(struct child *, int *);

/* child_kill(c): stop the child (SIGTERM, SIGKILL after 2 s) and reap it;
 * closes dupc's pipe ends.  Safe to call twice. */
void child_kill(struct child *);

/* child_release(c): close what is left open; kills a child still running. */
void child_release(struct child *);

/*
 * child_run(spec, stall, statusp, err):
 * Start ${spec} (with nothing piped), serve it and wait: 0 with its exit
 * status in *${statusp}, or -1 with ${err} set.
 */
int child_run(const struct child_spec *, unsigned, int *, struct dupc_err *);

/*
 * child_err_line(c, out, size):
 * The last non-empty line of the child's standard error, with control
 * bytes escaped, for an error message.
 */
char *child_err_line(const struct child *, char *, size_t);

#endif
