/*
 * replay: run a libFuzzer target over files, without libFuzzer.
 *
 *   replay_<target> PATH...
 *
 * Every regular file named, or found (sorted, dot files skipped) in a
 * directory named, is read into a buffer of exactly its size and handed to
 * LLVMFuzzerTestOneInput once.  Built with gcc (and ASan+UBSan in the
 * sanitizer build), this is how `make check` covers the fuzz targets and
 * their seed and regression corpora without clang.  Output is TAP: one
 * "ok N - file" per input and the plan at the end.  A crash aborts the run
 * (the sanitizer's report follows the "# running" line naming the input);
 * an input that runs longer than REPLAY_TIMEOUT seconds (default 60) is
 * reported "not ok" and ends the run, as libFuzzer's -timeout would.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int LLVMFuzzerInitialize(int *, char ***) __attribute__((weak));

static unsigned long count;
static const char *current;

static void
on_alarm(int sig)
{
	char line[600];
	int n;

	(void)sig;
	n = snprintf(line, sizeof(line), "not ok %lu - %s (timed out)\n", count,
	    current ? current : "?");
	if (n > 0 &&
	    write(STDOUT_FILENO, line,
		(size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1) < 0)
		_exit(2);
	_exit(1);
}

static unsigned char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *p = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		/* exactly n bytes (at least one for malloc), so a read past
		 * the input is an ASan error, as under libFuzzer */
		p = malloc(n > 0 ? (size_t)n : 1);
		if (p != NULL && fread(p, 1, (size_t)n, f) != (size_t)n) {
			free(p);
			p = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return p;
}

static int
run_one(const char *path, unsigned timeout)
{
	unsigned char *data;
	size_t len = 0;

	count++;
	current = path;
	data = slurp(path, &len);
	if (data == NULL) {
		printf("not ok %lu - %s (unreadable)\n", count, path);
		return -1;
	}
	printf("# running %s\n", path);
	fflush(stdout);
	alarm(timeout);
	LLVMFuzzerTestOneInput(data, len);
	alarm(0);
	free(data);
	printf("ok %lu - %s\n", count, path);
	fflush(stdout);
	return 0;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
run_dir(const char *dir, unsigned timeout)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	int rc = 0;

	if (d == NULL) {
		printf("not ok %lu - %s (cannot open)\n", ++count, dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		char *path;
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&path, "%s/%s", dir, de->d_name) < 0)
			abort();
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof(*names));
			if (names == NULL)
				abort();
		}
		names[n++] = path;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), by_name);
	for (i = 0; i < n; i++) {
		if (rc == 0 && run_one(names[i], timeout) < 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *t = getenv("REPLAY_TIMEOUT");
	unsigned long v = t != NULL ? strtoul(t, NULL, 10) : 0;
	unsigned timeout = v > 0 && v < 86400 ? (unsigned)v : 60;
	int i, rc = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_alarm);
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE-OR-DIR...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
			rc |= run_dir(argv[i], timeout);
		else
			rc |= run_one(argv[i], timeout);
	}
	if (count == 0)
		printf("not ok 1 - no input found\n");
	printf("1..%lu\n", count ? count : 1);
	return rc != 0 || count == 0;
}
