/*
 * backend-put: store one local file through a backend as dupc stores a
 * volume (backend_open's lock and retry layers, the size check after the
 * put), and print how long it took.  For benchmarks (bench/sftp) and
 * by-hand checks.
 *
 *   backend-put [--ssh-options OPTS]... [--use-scp] [--ssl-cacert-file F]
 *               URL FILE NAME
 *
 * Prints "BYTES bytes in SECONDS s (MB/s)" on stdout; on an error the
 * message goes to stderr and the exit status is duplicity's code.
 * FTP_PASSWORD is read as dupc reads it.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend/backend.h"
#include "util/err.h"
#include "util/stream.h"

#define MAX_OPTS 16

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
usage(void)
{
	fprintf(stderr, "usage: backend-put [--ssh-options OPTS]... "
			"[--use-scp] [--ssl-cacert-file F] URL FILE NAME\n");
	return E_COMMAND_LINE;
}

int
main(int argc, char **argv)
{
	struct backend_opt opt[MAX_OPTS];
	struct backend_options o = { .num_retries = 1,
		.retry_delay = 1,
		.timeout = 60 };
	struct backend *be = NULL;
	struct source *src = NULL;
	struct dupc_err err;
	struct stat st;
	size_t n = 0;
	double t0, t;
	int i, fd, rc = 0;

	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (n == MAX_OPTS)
			return usage();
		if (strcmp(argv[i], "--use-scp") == 0) {
			opt[n++] = (struct backend_opt){ "use-scp", NULL };
		} else if ((strcmp(argv[i], "--ssh-options") == 0 ||
			       strcmp(argv[i], "--ssl-cacert-file") == 0) &&
			   i + 1 < argc) {
			opt[n].name = argv[i] + 2;
			opt[n++].value = argv[++i];
		} else {
			return usage();
		}
	}
	if (argc - i != 3)
		return usage();
	o.opts = opt;
	o.nopts = n;
	o.password = getenv("FTP_PASSWORD");
	err_clear(&err);
	fd = open(argv[i + 1], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		perror(argv[i + 1]);
		return E_GENERIC;
	}
	src = fd_source_new(fd, argv[i + 1]);
	if (src == NULL || backend_open(argv[i], &o, &be, &err) < 0) {
		fprintf(stderr, "backend-put: %s\n", err.msg);
		return err.code ? err.code : E_GENERIC;
	}
	t0 = now();
	if (backend_put(be, argv[i + 2], src, (uint64_t)st.st_size, &err) < 0) {
		fprintf(stderr, "backend-put: %s\n", err.msg);
		rc = err.code;
	}
	t = now() - t0;
	backend_close(be);
	source_free(src);
	close(fd);
	if (rc == 0)
		printf("%lld bytes in %.3f s (%.1f MB/s)\n",
		    (long long)st.st_size, t, (double)st.st_size / t / 1e6);
	return rc;
}
