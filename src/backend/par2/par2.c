/*
 * par2+URL: PAR2 recovery files beside every object of any backend, laid
 * out as duplicity's par2 backend lays them out (par2backend.py), so
 * either tool reads what the other wrote.
 *
 * put NAME: the object goes to a private folder under its exact name
 * (par2 records the name it was made with), `par2 c -rR -nN OPTIONS -q -q
 * NAME` makes NAME.par2 and NAME.volA+B.par2 there, and NAME goes up
 * first, then its recovery files, flat beside it.  A retry of the same put
 * reuses the recovery files already made.
 *
 * get NAME: the object is fetched into a private folder.  When the
 * engine knows its SHA-1 (a volume, from the manifest) and it matches,
 * that is all.  Otherwise NAME.par2 is fetched and `par2 v` run; when it
 * finds damage (flipped bytes, a cut tail), the NAME.vol*.par2 files are
 * fetched and `par2 r` repairs the object, and the run says so in one
 * line.  An object beyond repair fails with one line naming it; a missing
 * object whose recovery files can rebuild it (redundancy of 100% or more)
 * is rebuilt.
 *
 * list hides the .par2 files; remove NAME removes them with it.  The
 * recovery work is Debian's par2 (par2cmdline) through util/child.
 */
#define _GNU_SOURCE
#include "backend/backend_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/child.h"
#include "util/digest.h"
#include "util/err.h"
#include "util/log.h"
#include "util/parse.h"
#include "util/stream.h"
#include "util/tempfile.h"
#include "util/url.h"

extern const struct backend_ops par2_backend_ops;

#define PAR2_ARGS_MAX 32 /* words of --par2-options */
#define PAR2_STALL 600   /* seconds par2 may think without output */

struct par2_backend {
	struct backend base;
	struct backend *inner;
	const struct backend_options *opts; /* borrowed for the open's life */
	char redundancy[12];
	char volumes[12];
	char *optwords; /* --par2-options, split in place */
	const char *extra[PAR2_ARGS_MAX];
	size_t nextra;
	/* recovery files of the last put, kept for its retries */
	char *made_name;
	char *made_dir;
	uint64_t made_size;
	/* the .par2 names of the inner listing, for remove */
	char **listed;
	size_t nlisted;
	bool have_listing;
};

static int
nomem(struct dupc_err *err)
{
	return err_set(err, E_GENERIC, "out of memory");
}

/* Does ${p} end with ${suffix}? */
static bool
ends_with(const char *p, const char *suffix)
{
	size_t n = strlen(p), k = strlen(suffix);

	return n >= k && strcmp(p + n - k, suffix) == 0;
}

/*
 * Is ${file} one of ${name}'s recovery files: NAME.par2 or
 * NAME.volA+B.par2 (duplicity's pattern: NAME(\.vol[\d+]*)?\.par2)?
 */
static bool
recovery_of(const char *file, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	if (strncmp(file, name, n) != 0)
		return false;
	p = file + n;
	if (strcmp(p, ".par2") == 0)
		return true;
	if (strncmp(p, ".vol", 4) != 0)
		return false;
	for (p += 4; (*p >= '0' && *p <= '9') || *p == '+'; p++)
		;
	return strcmp(p, ".par2") == 0;
}

/* A private folder for one object's files, under the run's scratch dir. */
static char *
make_dir(struct dupc_err *err)
{
	char *path;
	size_t n;

	if (tempdir_init(NULL, err) < 0)
		return NULL;
	n = strlen(tempdir_path()) + 16;
	path = malloc(n);
	if (path == NULL) {
		nomem(err);
		return NULL;
	}
	snprintf(path, n, "%s/par2.XXXXXX", tempdir_path());
	if (mkdtemp(path) == NULL) {
		err_errno(err, E_GENERIC, "creating a folder in %s",
		    tempdir_path());
		free(path);
		return NULL;
	}
	return path;
}

static char *
join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	if (p != NULL)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/*
 * Run par2 with ${verb} ("c", "v", "r") and ${args} in ${dir}.  Returns
 * its exit status, or -1 when it cannot run (${err} set).  ${line} gets
 * the last line par2 wrote on standard error.
 */
static int
run_par2(const struct par2_backend *pb, const char *dir, const char *verb,
    const char *const *args, char *line, size_t linesz, struct dupc_err *err)
{
	const char *argv[PAR2_ARGS_MAX + 16];
	struct child_spec spec;
	struct child c;
	size_t n = 0, i;
	int status = -1;

	argv[n++] = "par2";
	argv[n++] = verb;
	if (strcmp(verb, "c") == 0) {
		argv[n++] = pb->redundancy;
		argv[n++] = pb->volumes;
	}
	for (i = 0; i < pb->nextra; i++)
		argv[n++] = pb->extra[i];
	argv[n++] = "-q";
	argv[n++] = "-q";
	argv[n++] = "--";
	for (i = 0; args[i] != NULL && n < sizeof(argv) / sizeof(argv[0]) - 1;
	     i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	memset(&spec, 0, sizeof(spec));
	spec.argv = argv;
	spec.in = CHILD_NULL;
	spec.out = CHILD_NULL;
	spec.dir = dir;
	if (child_start(&c, &spec, err) < 0) {
		err_prefix(err, "PAR2 recovery files need Debian's par2");
		return -1;
	}
	if (child_pump(&c, NULL, -1, PAR2_STALL, err) < 0 ||
	    child_wait(&c, &status) < 0) {
		child_release(&c);
		return -1;
	}
	child_err_line(&c, line, linesz);
	child_release(&c);
	return status;
}

/* Copy ${src} into the new file ${path}. */
static int
copy_in(struct source *src, const char *path, struct dupc_err *err)
{
	struct sink *sk;
	uint64_t n;
	int fd, rc;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_errno(err, E_GENERIC, "creating %s", path);
	sk = fd_sink_new(fd, path);
	if (sk == NULL) {
		close(fd);
		return nomem(err);
	}
	rc = source_copy(src, sk, &n, err);
	sink_free(sk);
	if (close(fd) < 0 && rc == 0)
		rc = err_errno(err, E_GENERIC, "writing %s", path);
	return rc;
}

static void
drop_made(struct par2_backend *pb)
{
	if (pb->made_dir != NULL)
		rm_rf(pb->made_dir);
	free(pb->made_dir);
	free(pb->made_name);
	pb->made_dir = pb->made_name = NULL;
}

/* Make ${name}'s recovery files from ${src} in pb->made_dir. */
static int
make_recovery(struct par2_backend *pb, const char *name, struct source *src,
    uint64_t size, struct dupc_err *err)
{
	const char *args[] = { name, NULL };
	char line[256], *path = NULL;
	int st;

	if (pb->made_name != NULL && strcmp(pb->made_name, name) == 0 &&
	    pb->made_size == size)
		return 0; /* a retry: the files are there */
	drop_made(pb);
	if ((pb->made_dir = make_dir(err)) == NULL)
		return -1;
	if ((path = join(pb->made_dir, name)) == NULL)
		return nomem(err);
	if (copy_in(src, path, err) < 0)
		goto fail;
	st = run_par2(pb, pb->made_dir, "c", args, line, sizeof(line), err);
	if (st > 0 && strcmp(pb->volumes, "-n1") != 0) {
		/* duplicity's fallback when par2 refuses the volume count */
		log_warn(
		    "Warning: par2 could not make %s recovery volumes for %s; trying one",
		    pb->volumes + 2, name);
		snprintf(pb->volumes, sizeof(pb->volumes), "-n1");
		st = run_par2(pb, pb->made_dir, "c", args, line, sizeof(line),
		    err);
	}
	if (st != 0) {
		if (st > 0)
			err_class_set(err, ERR_PERMANENT,
			    E_BACKEND_COMMAND_ERROR,
			    "par2 could not make recovery files for %s (exit %d): %s",
			    name, st, line);
		goto fail;
	}
	/* the object itself goes up from the source, not from here */
	unlink(path);
	free(path);
	pb->made_name = strdup(name);
	pb->made_size = size;
	return pb->made_name != NULL ? 0 : nomem(err);
fail:
	free(path);
	drop_made(pb);
	return -1;
}

static int
put_file(struct backend *inner, const char *dir, const char *name,
    struct dupc_err *err)
{
	struct source *src;
	struct stat st;
	char *path = join(dir, name);
	int fd, rc = -1;

	if (path == NULL)
		return nomem(err);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		err_errno(err, E_GENERIC, "reading %s", path);
		goto out;
	}
	src = fd_source_new(fd, path);
	if (src == NULL) {
		nomem(err);
		goto out;
	}
	rc = backend_put(inner, name, src, (uint64_t)st.st_size, err);
	source_free(src);
out:
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Upload every recovery file of pb->made_dir, in name order. */
static int
put_recovery(struct par2_backend *pb, struct dupc_err *err)
{
	DIR *d = opendir(pb->made_dir);
	struct dirent *de;
	char *names[256];
	size_t n = 0, i;
	int rc = 0;

	if (d == NULL)
		return err_errno(err, E_GENERIC, "reading %s", pb->made_dir);
	while ((de = readdir(d)) != NULL && n < 256)
		if (de->d_name[0] != '.' && ends_with(de->d_name, ".par2") &&
		    (names[n] = strdup(de->d_name)) != NULL)
			n++;
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (i = 0; i < n; i++) {
		if (rc == 0)
			rc = put_file(pb->inner, pb->made_dir, names[i], err);
		free(names[i]);
	}
	return rc;
}

/*
 * Can par2 (par2cmdline 0.8) protect ${name}?  It refuses empty files,
 * names with its wildcards ('*', '?') or a leading '-', reads a backslash as a
 * folder separator, and aborts on one-character names; duplicity's names
 * are none of these.
 */
static bool
protectable(const char *name, uint64_t size)
{
	return size > 0 && strlen(name) >= 2 && name[0] != '-' &&
	       strpbrk(name, "*?\\") == NULL;
}

static int
par2_put(struct backend *be, const char *name, struct source *src,
    uint64_t size, struct dupc_err *err)
{
	struct par2_backend *pb = (struct par2_backend *)be;

	if (!protectable(name, size)) {
		if (size > 0)
			log_warn(
			    "Warning: par2 cannot make recovery files for a file named %s; it is stored without them",
			    name);
		pb->have_listing = false;
		return backend_put(pb->inner, name, src, size, err);
	}
	if (make_recovery(pb, name, src, size, err) < 0)
		return -1;
	if (source_rewind(src, err) < 0 ||
	    backend_put(pb->inner, name, src, size, err) < 0 ||
	    put_recovery(pb, err) < 0)
		return -1;
	drop_made(pb);
	pb->have_listing = false;
	return 0;
}

/* Fetch ${name} from the inner backend into ${dir}/${name}. */
static int
get_into(struct par2_backend *pb, const char *dir, const char *name,
    struct dupc_err *err)
{
	char *path = join(dir, name);
	int fd, rc;

	if (path == NULL)
		return nomem(err);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = err_errno(err, E_GENERIC, "creating %s", path);
	} else {
		rc = backend_get(pb->inner, name, fd, err);
		close(fd);
	}
	free(path);
	return rc;
}

/* Copy the finished ${dir}/${name} into the caller's ${fd}. */
static int
copy_out(const char *dir, const char *name, int fd, struct dupc_err *err)
{
	struct source *src = NULL;
	struct sink *sk = NULL;
	char *path = join(dir, name);
	uint64_t n = 0;
	int in = -1, rc = -1;

	if (path == NULL)
		return nomem(err);
	in = open(path, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		err_errno(err, E_GENERIC, "reading %s", path);
		goto out;
	}
	if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
		err_errno(err, E_GENERIC, "writing the download of %s", name);
		goto out;
	}
	src = fd_source_new(in, path);
	sk = fd_sink_new(fd, name);
	if (src == NULL || sk == NULL) {
		nomem(err);
		goto out;
	}
	rc = source_copy(src, sk, &n, err);
out:
	source_free(src);
	sink_free(sk);
	if (in >= 0)
		close(in);
	free(path);
	return rc;
}

/* Does ${dir}/${name} have the SHA-1 the engine expects?  1 yes, 0 no,
 * -1 nothing is known. */
static int
matches_expected(const struct par2_backend *pb, const char *dir,
    const char *name)
{
	char want[DIGEST_HEX_MAX], got[DIGEST_HEX_MAX], buf[65536];
	const struct backend_options *o = pb->opts;
	struct digest *dg;
	char *path;
	uint64_t size;
	ssize_t r;
	int fd;

	if (o == NULL || o->expect == NULL ||
	    o->expect(o->expect_arg, name, want, &size) != 0)
		return -1;
	path = join(dir, name);
	fd = path != NULL ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	free(path);
	dg = digest_new(DIGEST_SHA1);
	if (fd < 0 || dg == NULL) {
		if (fd >= 0)
			close(fd);
		digest_free(dg);
		return 0;
	}
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		digest_update(dg, buf, (size_t)r);
	close(fd);
	digest_final_hex(dg, got);
	digest_free(dg);
	return r == 0 && strcmp(got, want) == 0;
}

struct name_list {
	char **v;
	size_t n;
	const char *of; /* keep only recovery volumes of this name */
};

static int
collect_volumes(const char *name, uint64_t size, void *arg,
    struct dupc_err *err)
{
	struct name_list *l = arg;
	char **p;

	(void)size;
	if (!recovery_of(name, l->of) ||
	    strcmp(name + strlen(l->of), ".par2") == 0)
		return 0; /* not NAME.volA+B.par2 */
	if (l->n >= 4096)
		return err_set(err, E_BACKEND_ERROR,
		    "more than 4096 recovery volumes for %s", l->of);
	p = realloc(l->v, (l->n + 1) * sizeof(*p));
	if (p == NULL)
		return nomem(err);
	l->v = p;
	if ((p[l->n] = strdup(name)) == NULL)
		return nomem(err);
	l->n++;
	return 0;
}

static void
free_names(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Fetch every NAME.volA+B.par2 into ${dir}; how many in *${np}. */
static int
fetch_volumes(struct par2_backend *pb, const char *dir, const char *name,
    size_t *np, struct dupc_err *err)
{
	struct name_list l = { NULL, 0, name };
	size_t i;
	int rc;

	rc = pb->inner->ops->list(pb->inner, collect_volumes, &l, err);
	for (i = 0; rc == 0 && i < l.n; i++)
		rc = get_into(pb, dir, l.v[i], err);
	*np = l.n;
	free_names(l.v, l.n);
	return rc;
}

/*
 * par2 verify, then repair with the recovery volumes.  0: the object in
 * ${dir} is whole (repaired or not); -1: beyond repair, or no recovery
 * file to judge by when ${need} (the object is missing or its SHA-1 is
 * wrong).
 */
static int
check_and_repair(struct par2_backend *pb, const char *dir, const char *name,
    bool need, struct dupc_err *err)
{
	char index[BACKEND_NAME_MAX + 8], line[256];
	const char *args[] = { index, name, NULL };
	struct dupc_err e;
	size_t nvol = 0;
	int st;

	snprintf(index, sizeof(index), "%s.par2", name);
	err_clear(&e);
	if (get_into(pb, dir, index, &e) < 0) {
		if (e.cls != ERR_NOT_FOUND || need) {
			if (err != NULL)
				*err = e;
			if (e.cls == ERR_NOT_FOUND)
				err_class_set(err, ERR_PERMANENT,
				    E_MISMATCHED_HASH,
				    "%s is damaged or missing and has no PAR2 recovery files (%s)",
				    name, index);
			return -1;
		}
		return 0; /* stored without recovery files */
	}
	st = run_par2(pb, dir, "v", args, line, sizeof(line), err);
	if (st < 0)
		return -1;
	if (st == 0 && need)
		return err_class_set(err, ERR_PERMANENT, E_MISMATCHED_HASH,
		    "%s does not match its manifest, and its PAR2 files find no damage to repair",
		    name);
	if (st == 0)
		return 0;
	if (fetch_volumes(pb, dir, name, &nvol, err) < 0)
		return -1;
	st = run_par2(pb, dir, "r", args, line, sizeof(line), err);
	if (st < 0)
		return -1;
	if (st != 0)
		return err_class_set(err, ERR_PERMANENT, E_MISMATCHED_HASH,
		    "%s is damaged beyond what its %zu PAR2 recovery volumes can repair: %s",
		    name, nvol, line);
	log_warn(
	    "Warning: %s was damaged; repaired from its PAR2 recovery files",
	    name);
	return 0;
}

static int
par2_get(struct backend *be, const char *name, int fd, struct dupc_err *err)
{
	struct par2_backend *pb = (struct par2_backend *)be;
	struct dupc_err e;
	char *dir = make_dir(err);
	bool missing = false;
	int known, rc = -1;

	if (dir == NULL)
		return -1;
	err_clear(&e);
	if (get_into(pb, dir, name, &e) < 0) {
		if (e.cls != ERR_NOT_FOUND) {
			if (err != NULL)
				*err = e;
			goto out;
		}
		missing = true;
	}
	known = missing ? 0 : matches_expected(pb, dir, name);
	if (known != 1 &&
	    check_and_repair(pb, dir, name, missing || known == 0, err) < 0) {
		if (missing && err != NULL)
			*err = e; /* nothing to rebuild it from: not found */
		goto out;
	}
	if (known == 0 && matches_expected(pb, dir, name) == 0) {
		err_class_set(err, ERR_PERMANENT, E_MISMATCHED_HASH,
		    "%s does not match its manifest even after a PAR2 repair",
		    name);
		goto out;
	}
	if (missing)
		log_warn(
		    "Warning: %s was missing; rebuilt from its PAR2 recovery files",
		    name);
	rc = copy_out(dir, name, fd, err);
out:
	rm_rf(dir);
	free(dir);
	return rc;
}

struct list_arg {
	struct par2_backend *pb;
	backend_list_fn *fn;
	void *arg;
};

/* Hide the recovery files, remember them for remove. */
static int
list_one(const char *name, uint64_t size, void *arg, struct dupc_err *err)
{
	struct list_arg *la = arg;
	struct par2_backend *pb = la->pb;
	char **p;

	if (!ends_with(name, ".par2"))
		return la->fn(name, size, la->arg, err);
	p = realloc(pb->listed, (pb->nlisted + 1) * sizeof(*p));
	if (p == NULL)
		return nomem(err);
	pb->listed = p;
	if ((p[pb->nlisted] = strdup(name)) == NULL)
		return nomem(err);
	pb->nlisted++;
	return 0;
}

static int
par2_list(struct backend *be, backend_list_fn *fn, void *arg,
    struct dupc_err *err)
{
	struct par2_backend *pb = (struct par2_backend *)be;
	struct list_arg la = { pb, fn, arg };

	free_names(pb->listed, pb->nlisted);
	pb->listed = NULL;
	pb->nlisted = 0;
	pb->have_listing = false;
	if (pb->inner->ops->list(pb->inner, list_one, &la, err) < 0)
		return -1;
	pb->have_listing = true;
	return 0;
}

static int
ignore_one(const char *name, uint64_t size, void *arg, struct dupc_err *err)
{
	(void)name;
	(void)size;
	(void)arg;
	(void)err;
	return 0;
}

/* Remove ${name}, then its recovery files (as duplicity does). */
static int
par2_remove(struct backend *be, const char *name, struct dupc_err *err)
{
	struct par2_backend *pb = (struct par2_backend *)be;
	struct dupc_err e;
	size_t i;
	int rc;

	rc = backend_remove(pb->inner, name, err);
	if (rc < 0 && err != NULL && err->cls != ERR_NOT_FOUND)
		return -1;
	if (!pb->have_listing && par2_list(be, ignore_one, NULL, err) < 0)
		return -1;
	for (i = 0; i < pb->nlisted; i++) {
		if (!recovery_of(pb->listed[i], name))
			continue;
		err_clear(&e);
		if (backend_remove(pb->inner, pb->listed[i], &e) < 0 &&
		    e.cls != ERR_NOT_FOUND) {
			if (err != NULL)
				*err = e;
			return -1;
		}
	}
	return rc;
}

static int
par2_size(struct backend *be, const char *name, uint64_t *size,
    struct dupc_err *err)
{
	return backend_size(((struct par2_backend *)be)->inner, name, size,
	    err);
}

static int
par2_sha256(struct backend *be, const char *name, char *hex,
    struct dupc_err *err)
{
	return backend_sha256(((struct par2_backend *)be)->inner, name, hex,
	    err);
}

/* A lock needs no recovery files: it is rewritten while the run lasts
 * and worth nothing after it. */
static int
par2_put_new(struct backend *be, const char *name, struct source *src,
    uint64_t size, struct dupc_err *err)
{
	struct par2_backend *pb = (struct par2_backend *)be;

	pb->have_listing = false;
	return backend_put_new(pb->inner, name, src, size, err);
}

static void
par2_close(struct backend *be)
{
	struct par2_backend *pb = (struct par2_backend *)be;

	if (pb == NULL)
		return;
	drop_made(pb);
	backend_close(pb->inner);
	free_names(pb->listed, pb->nlisted);
	free(pb->optwords);
	free(pb);
}

/* --par2-redundancy and --par2-volumes: whole numbers in a range. */
static int
number_opt(const struct backend_options *o, const char *name, uint64_t def,
    uint64_t lo, uint64_t hi, const char *flag, char *out, size_t outsz,
    struct dupc_err *err)
{
	const char *v = backend_opt_get(o, name);
	uint64_t n = def;

	if (v != NULL && (parse_u64(v, &n) < 0 || n < lo || n > hi))
		return err_set(err, E_COMMAND_LINE,
		    "bad value '%s' for --%s: expected a whole number from %llu to %llu",
		    v, name, (unsigned long long)lo, (unsigned long long)hi);
	snprintf(out, outsz, "%s%llu", flag, (unsigned long long)n);
	return 0;
}

/* --par2-options: words for par2, split on blanks, as duplicity does. */
static int
split_options(struct par2_backend *pb, struct dupc_err *err)
{
	const char *v = backend_opt_get(pb->opts, "par2-options");
	char *p, *save = NULL;

	if (v == NULL)
		return 0;
	if ((pb->optwords = strdup(v)) == NULL)
		return nomem(err);
	for (p = strtok_r(pb->optwords, " \t\n", &save); p != NULL;
	     p = strtok_r(NULL, " \t\n", &save)) {
		if (pb->nextra == PAR2_ARGS_MAX)
			return err_set(err, E_COMMAND_LINE,
			    "--par2-options has more than %d words",
			    PAR2_ARGS_MAX);
		pb->extra[pb->nextra++] = p;
	}
	return 0;
}

static int
par2_open(struct backend **bep, const struct url *u,
    const struct backend_options *opts, struct dupc_err *err)
{
	struct par2_backend *pb = calloc(1, sizeof(*pb));
	const char *inner = strchr(u->raw, '+');

	if (pb == NULL)
		return nomem(err);
	pb->base.ops = &par2_backend_ops;
	pb->opts = opts;
	if (inner == NULL || inner[1] == '\0') {
		err_set(err, E_BAD_URL,
		    "par2+ needs a URL after it, as in par2+file:///path");
		goto fail;
	}
	if (number_opt(opts, "par2-redundancy", 10, 1, 100, "-r",
		pb->redundancy, sizeof(pb->redundancy), err) < 0 ||
	    number_opt(opts, "par2-volumes", 1, 1, 1000, "-n", pb->volumes,
		sizeof(pb->volumes), err) < 0 ||
	    split_options(pb, err) < 0 ||
	    backend_open_raw(inner + 1, opts, &pb->inner, err) < 0)
		goto fail;
	/* what the inner backend promises holds for the objects; its
	 * objects can no longer be read in place (they are checked) */
	pb->base.flags =
	    pb->inner->flags & (BACKEND_ATOMIC_PUT | BACKEND_FLAKY |
				   BACKEND_HASHES | BACKEND_PUT_NEW);
	*bep = &pb->base;
	return 0;
fail:
	par2_close(&pb->base);
	return -1;
}

static const char *const par2_schemes[] = { "par2+", NULL };

static const struct backend_option_spec par2_specs[] = {
	{ "par2-redundancy", true,
	    "PAR2 recovery data in percent of each file (default 10)" },
	{ "par2-volumes", true,
	    "number of PAR2 recovery volumes per file (default 1)" },
	{ "par2-options", true, "more options for par2 create (quoted)" },
	{ NULL, false, NULL },
};

static const struct backend_option_group par2_options = { "PAR2", par2_specs };

static const char par2_help[] =
    "par2+URL (par2+file:///path, par2+sftp://host/path, ...)\n"
    "  PAR2 recovery files beside every file stored at URL, with any\n"
    "  backend, laid out as duplicity's par2 backend lays them out (NAME,\n"
    "  NAME.par2, NAME.vol000+NN.par2), so either tool reads the other's.\n"
    "  A volume whose checksum does not match, that is cut short or has\n"
    "  flipped bytes is repaired before use, up to the redundancy, and the\n"
    "  run says so.  Needs Debian's par2 program.  Without the par2+ prefix\n"
    "  dupc passes the .par2 files over with a warning.\n";

static const char *
par2_hint(const struct dupc_err *err)
{
	if (err->code == E_BACKEND_COMMAND_ERROR)
		return "install Debian's par2 package (apt-get install par2)";
	return NULL;
}

const struct backend_ops par2_backend_ops = {
	.schemes = par2_schemes,
	.flags = 0,
	.example = "par2+file:///path",
	.help = par2_help,
	.options = &par2_options,
	.hint = par2_hint,
	.open = par2_open,
	.list = par2_list,
	.put = par2_put,
	.get = par2_get,
	.remove = par2_remove,
	.size = par2_size,
	.sha256 = par2_sha256,
	.put_new = par2_put_new,
	.close = par2_close,
};
