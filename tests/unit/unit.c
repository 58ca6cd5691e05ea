/*
 * Shared helpers for the unit tests: per-test temporary directories,
 * per-case failure lists, interop vector lookup and small I/O helpers.
 */
#define _DEFAULT_SOURCE
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "util/err.h"
#include "util/log.h"
#include "util/tempfile.h"

/* --- per-test directories --- */

static char orig_cwd[PATH_MAX];
static char test_dir[PATH_MAX];

static char vectors_dir[PATH_MAX];
static int vectors_state; /* 0 unknown, 1 found, -1 absent */

static void find_vectors(void);

void
unit_init(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	log_set_verbosity(LOG_ERROR);
	if (getcwd(orig_cwd, sizeof(orig_cwd)) == NULL)
		strcpy(orig_cwd, "/");
	/* resolve before any test changes directory */
	find_vectors();
}

static unsigned case_failures;
static char *case_log;
static size_t case_log_len;

int
unit_setup(void **state)
{
	const char *base = getenv("TMPDIR");

	(void)state;
	case_failures = 0;
	free(case_log);
	case_log = NULL;
	case_log_len = 0;
	if (base == NULL || *base == '\0')
		base = "/tmp";
	snprintf(test_dir, sizeof(test_dir), "%s/dupc-unit-XXXXXX", base);
	if (mkdtemp(test_dir) == NULL) {
		print_error("cannot create a test directory under %s: %s\n",
		    base, strerror(errno));
		return -1;
	}
	if (chdir(test_dir) < 0) {
		print_error("cannot enter %s: %s\n", test_dir, strerror(errno));
		return -1;
	}
	return 0;
}

int
unit_teardown(void **state)
{
	int rc = 0;

	(void)state;
	if (chdir(orig_cwd) < 0)
		rc = -1;
	if (test_dir[0] != '\0' && rm_rf(test_dir) < 0) {
		print_error("cannot remove %s\n", test_dir);
		rc = -1;
	}
	test_dir[0] = '\0';
	if (case_failures > 0) {
		/* a table test that forgot UNIT_DONE() still fails */
		print_error("%u case(s) failed without UNIT_DONE():\n%s",
		    case_failures, case_log ? case_log : "");
		rc = -1;
	}
	free(case_log);
	case_log = NULL;
	case_log_len = 0;
	case_failures = 0;
	return rc;
}

/* --- per-case failures --- */

#define CASE_LOG_MAX (16u * 1024)

void
unit_case_fail(const char *file, int line, const char *name, const char *fmt,
    ...)
{
	char msg[2048];
	int n;
	va_list ap;

	case_failures++;
	n = snprintf(msg, sizeof(msg), "%s:%d: case '%s': ", file, line,
	    name ? name : "?");
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	if (case_log_len < CASE_LOG_MAX) {
		size_t add = strlen(msg) + 1;
		char *p = realloc(case_log, case_log_len + add + 1);

		if (p != NULL) {
			case_log = p;
			memcpy(case_log + case_log_len, msg, add - 1);
			case_log[case_log_len + add - 1] = '\n';
			case_log_len += add;
			case_log[case_log_len] = '\0';
		}
	}
}

unsigned
unit_case_failures(void)
{
	return case_failures;
}

void
unit_done(const char *file, int line)
{
	/* cmocka copies the text, but _assert_true does not return, so
	 * the message lives in a static buffer rather than on the heap */
	static char msg[CASE_LOG_MAX + 256];
	size_t n;

	if (case_failures == 0)
		return;
	snprintf(msg, sizeof(msg), "%u case(s) failed:\n%s", case_failures,
	    case_log ? case_log : "");
	n = strlen(msg);
	if (n > 0 && msg[n - 1] == '\n')
		msg[n - 1] = '\0';
	case_failures = 0;
	free(case_log);
	case_log = NULL;
	case_log_len = 0;
	_assert_true(0, msg, file, line);
}

char *
unit_escape(const void *p, size_t n, char *out, size_t outsz)
{
	const unsigned char *c = p;
	size_t i, o = 0;

	if (outsz == 0)
		return out;
	if (p == NULL) {
		snprintf(out, outsz, "(null)");
		return out;
	}
	for (i = 0; i < n && o + 5 < outsz; i++) {
		if (c[i] >= 0x20 && c[i] < 0x7f && c[i] != '\\')
			out[o++] = (char)c[i];
		else
			o += (size_t)snprintf(out + o, outsz - o, "\\x%02x",
			    c[i]);
	}
	if (i < n && o + 4 < outsz) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

void
unit_check_str(const char *file, int line, const char *name, const char *expr,
    const char *got, const char *want)
{
	char g[600], w[600];

	if (got == NULL && want == NULL)
		return;
	if (got != NULL && want != NULL && strcmp(got, want) == 0)
		return;
	unit_case_fail(file, line, name, "%s is \"%s\", expected \"%s\"", expr,
	    unit_escape(got, got ? strlen(got) : 0, g, sizeof(g)),
	    unit_escape(want, want ? strlen(want) : 0, w, sizeof(w)));
}

void
unit_check_mem(const char *file, int line, const char *name, const char *expr,
    const void *got, size_t glen, const void *want, size_t wlen)
{
	const unsigned char *a = got, *b = want;
	size_t i;

	if (glen == wlen && (glen == 0 || memcmp(got, want, glen) == 0))
		return;
	for (i = 0; i < glen && i < wlen && a[i] == b[i]; i++)
		;
	unit_case_fail(file, line, name,
	    "%s differs: %zu bytes, expected %zu; first difference at byte %zu",
	    expr, glen, wlen, i);
}

/* --- vectors --- */

static int
is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int
try_shared(const char *shared)
{
	char p[PATH_MAX];

	if ((size_t)snprintf(p, sizeof(p), "%s/vectors/duplicity-0.8.22",
		shared) >= sizeof(p) ||
	    !is_dir(p))
		return 0;
	if (realpath(p, vectors_dir) == NULL)
		return 0;
	vectors_state = 1;
	return 1;
}

/* The repository holding this test binary: the first parent directory
 * of the executable that has src/format/names.h. */
static int
find_repo(char *out, size_t outsz)
{
	char exe[PATH_MAX], probe[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return 0;
	exe[n] = '\0';
	for (;;) {
		char *slash = strrchr(exe, '/');

		if (slash == NULL || slash == exe)
			return 0;
		*slash = '\0';
		snprintf(probe, sizeof(probe), "%s/src/format/names.h", exe);
		if (access(probe, F_OK) == 0) {
			snprintf(out, outsz, "%s", exe);
			return 1;
		}
	}
}

static void
find_vectors(void)
{
	const char *env = getenv("DUPC_SHARED");
	char repo[PATH_MAX], p[PATH_MAX + 16];

	if (vectors_state != 0)
		return;
	vectors_state = -1;
	if (env != NULL && *env != '\0') {
		/* an explicit location is the only one tried */
		try_shared(env);
		return;
	}
	if (find_repo(repo, sizeof(repo))) {
		snprintf(p, sizeof(p), "%s/../shared", repo);
		if (try_shared(p))
			return;
	}
	try_shared("/work/shared");
}

const char *
unit_vectors(void)
{
	find_vectors();
	return vectors_state > 0 ? vectors_dir : NULL;
}

const char *
unit_vector_path(const char *rel)
{
	static char p[PATH_MAX * 2];

	snprintf(p, sizeof(p), "%s/%s", vectors_dir, rel);
	return p;
}

/* --- files --- */

unsigned char *
unit_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *data = NULL;
	size_t n = 0, cap = 0;

	if (f == NULL)
		return NULL;
	for (;;) {
		size_t got;

		if (cap - n < 65536) {
			unsigned char *p = realloc(data, cap * 2 + 65536 + 1);

			if (p == NULL) {
				free(data);
				fclose(f);
				return NULL;
			}
			data = p;
			cap = cap * 2 + 65536;
		}
		got = fread(data + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	data[n] = '\0';
	*len = n;
	return data;
}

unsigned char *
unit_gunzip_file(const char *path, size_t *len)
{
	gzFile gz = gzopen(path, "rb");
	unsigned char *data = NULL;
	size_t n = 0, cap = 0;

	if (gz == NULL)
		return NULL;
	for (;;) {
		int got;

		if (cap - n < 65536) {
			unsigned char *p = realloc(data, cap * 2 + 65536 + 1);

			if (p == NULL) {
				free(data);
				gzclose(gz);
				return NULL;
			}
			data = p;
			cap = cap * 2 + 65536;
		}
		got = gzread(gz, data + n, (unsigned)(cap - n));
		if (got < 0) {
			free(data);
			gzclose(gz);
			return NULL;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	gzclose(gz);
	data[n] = '\0';
	*len = n;
	return data;
}

int
unit_write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL)
		return -1;
	if (n > 0 && fwrite(p, 1, n, f) != n) {
		fclose(f);
		return -1;
	}
	return fclose(f) == 0 ? 0 : -1;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
unit_list_dir(const char *dir, char ***names, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL;
	size_t k = 0;

	*names = NULL;
	*n = 0;
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		char **p;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		p = realloc(v, (k + 1) * sizeof(*v));
		if (p == NULL)
			break;
		v = p;
		v[k] = strdup(de->d_name);
		if (v[k] == NULL)
			break;
		k++;
	}
	closedir(d);
	if (k > 1)
		qsort(v, k, sizeof(*v), cmp_names);
	*names = v;
	*n = k;
	return 0;
}

void
unit_free_names(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* --- memory sink --- */

static int
us_write(struct sink *s, const void *p, size_t n, struct dupc_err *err)
{
	struct unit_sink *u = (struct unit_sink *)s;

	if (u->fail_after >= 0 && u->len + n > (size_t)u->fail_after)
		return err_set(err, E_GENERIC, "test sink: injected failure");
	if (u->len + n > u->cap) {
		size_t cap = u->cap ? u->cap : 4096;
		unsigned char *q;

		while (cap < u->len + n)
			cap *= 2;
		q = realloc(u->data, cap);
		if (q == NULL)
			return err_set(err, E_GENERIC, "out of memory");
		u->data = q;
		u->cap = cap;
	}
	if (n > 0)
		memcpy(u->data + u->len, p, n);
	u->len += n;
	return 0;
}

static int
us_finish(struct sink *s, struct dupc_err *err)
{
	(void)err;
	((struct unit_sink *)s)->finished++;
	return 0;
}

static const struct sink_ops unit_sink_ops = {
	.write = us_write,
	.finish = us_finish,
	.free = NULL,
};

void
unit_sink_init(struct unit_sink *u)
{
	memset(u, 0, sizeof(*u));
	u->base.ops = &unit_sink_ops;
	u->fail_after = -1;
}

void
unit_sink_release(struct unit_sink *u)
{
	free(u->data);
	unit_sink_init(u);
}

struct failing_source {
	struct source base;
	size_t ok;
};

static int
fs_read(struct source *s, void *p, size_t cap, size_t *got,
    struct dupc_err *err)
{
	struct failing_source *f = (struct failing_source *)s;

	if (f->ok == 0)
		return err_set(err, E_GENERIC, "test source: injected failure");
	if (cap > f->ok)
		cap = f->ok;
	memset(p, 0, cap);
	f->ok -= cap;
	*got = cap;
	return 0;
}

static void
fs_free(struct source *s)
{
	free(s);
}

static const struct source_ops failing_source_ops = {
	.read = fs_read,
	.rewind = NULL,
	.free = fs_free,
};

struct source *
unit_failing_source_new(size_t ok)
{
	struct failing_source *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->base.ops = &failing_source_ops;
	f->ok = ok;
	return &f->base;
}

/* --- random --- */

uint64_t
unit_rand(uint64_t *s)
{
	/* xorshift64* */
	uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ull;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

void
unit_fill_random(void *p, size_t n, uint64_t *s)
{
	unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i += 8) {
		uint64_t r = unit_rand(s);

		memcpy(c + i, &r, n - i < 8 ? n - i : 8);
	}
}

bool
unit_have_python(void)
{
	static int state;

	if (state == 0)
		state =
		    system("python3 -c 'import tarfile' >/dev/null 2>&1") == 0
			? 1
			: -1;
	return state > 0;
}

void
unit_stderr_begin(struct unit_stderr *c)
{
	fflush(stderr);
	c->cap = tmpfile();
	assert_non_null(c->cap);
	c->saved = dup(2);
	assert_true(c->saved >= 0);
	assert_int_equal(dup2(fileno(c->cap), 2), 2);
}

long
unit_stderr_end(struct unit_stderr *c)
{
	long n;

	fflush(stderr);
	assert_int_equal(dup2(c->saved, 2), 2);
	close(c->saved);
	assert_int_equal(fseek(c->cap, 0, SEEK_END), 0);
	n = ftell(c->cap);
	fclose(c->cap);
	return n;
}
