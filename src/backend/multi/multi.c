/*
 * multi:///path/config.json?mode=mirror|stripe&onfail=continue|abort:
 * one target made of several stores, as duplicity's multibackend.py
 * reads its configuration, so either tool reads the other's sets.
 *
 * mirror: every file goes to every store (or to the stores whose
 * "prefixes" match its name), in configuration order; a read takes the
 * first store that lists the file and whose copy is intact (its size as
 * listed, and the SHA-1 the engine expects when it knows one), trying the
 * next when it is not.  A store that fails while writing is, with
 * onfail=continue, left for the rest of the run (the others carry on);
 * the next run that writes fills in what it lacks before anything else:
 * its first listing copies every file a store is missing from a store
 * that has it.  With onfail=abort the first failure ends the run.
 *
 * stripe: files go round robin over the stores (from the first, in every
 * run, as duplicity does), a failed store passing the file to the next
 * with onfail=continue; a listing is the union of the stores'.
 *
 * Each store is a backend of its own, opened with the lock and retry
 * layers and with the "env" entries of its configuration as its own
 * environment (backend_env): nothing is set in the process's environment,
 * so no store sees another's variables.  Retrying is the stores' business:
 * this backend is opened without a retry layer of its own.
 */
#define _GNU_SOURCE
#include "backend/multi/multi_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/backend_internal.h"
#include "util/digest.h"
#include "util/err.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/stream.h"
#include "util/tempfile.h"
#include "util/url.h"

extern const struct backend_ops multi_backend_ops;

/* One name of a store's listing. */
struct entry {
	char *name;
	uint64_t size;
};

struct store {
	struct backend *be;
	char label[300]; /* #N (description or redacted URL) */
	struct backend_options opts;
	struct backend_opt *env;
	char *password; /* FTP_PASSWORD of its env, secret */
	const struct multi_store_config *cfg;
	bool failed; /* gave up on it in this run */
	struct entry *list;
	size_t nlist;
	bool listed;
};

struct multi_backend {
	struct backend base;
	struct multi_url url;
	struct multi_config cfg;
	struct store *stores;
	size_t n;
	size_t cursor; /* stripe: the next store to write */
	bool writes;
	bool filled; /* the mirror's stores were filled in */
};

static int
nomem(struct dupc_err *err)
{
	return err_set(err, E_GENERIC, "out of memory");
}

static void
forget_listing(struct store *st)
{
	size_t i;

	for (i = 0; i < st->nlist; i++)
		free(st->list[i].name);
	free(st->list);
	st->list = NULL;
	st->nlist = 0;
	st->listed = false;
}

static int
add_entry(const char *name, uint64_t size, void *arg, struct dupc_err *err)
{
	struct store *st = arg;
	struct entry *p;

	if (st->nlist >= 10000000)
		return err_set(err, E_BACKEND_ERROR,
		    "store %s lists too many files", st->label);
	p = realloc(st->list, (st->nlist + 1) * sizeof(*p));
	if (p == NULL)
		return nomem(err);
	st->list = p;
	if ((p[st->nlist].name = strdup(name)) == NULL)
		return nomem(err);
	p[st->nlist].size = size;
	st->nlist++;
	return 0;
}

/* List one store into its cache (once per run unless forgotten). */
static int
list_store(struct store *st, struct dupc_err *err)
{
	if (st->listed)
		return 0;
	forget_listing(st);
	if (backend_list(st->be, add_entry, st, err) < 0) {
		forget_listing(st);
		return -1;
	}
	st->listed = true;
	return 0;
}

/* The listed entry of ${name} in ${st}, or NULL. */
static const struct entry *
find(const struct store *st, const char *name)
{
	size_t i;

	for (i = 0; i < st->nlist; i++)
		if (strcmp(st->list[i].name, name) == 0)
			return &st->list[i];
	return NULL;
}

static void
note_put(struct store *st, const char *name, uint64_t size)
{
	struct dupc_err e;
	size_t i;

	if (!st->listed)
		return;
	for (i = 0; i < st->nlist; i++)
		if (strcmp(st->list[i].name, name) == 0) {
			st->list[i].size = size;
			return;
		}
	err_clear(&e);
	if (add_entry(name, size, st, &e) < 0)
		forget_listing(st);
}

static void
note_removed(struct store *st, const char *name)
{
	size_t i;

	for (i = 0; i < st->nlist; i++)
		if (strcmp(st->list[i].name, name) == 0) {
			free(st->list[i].name);
			st->list[i] = st->list[--st->nlist];
			return;
		}
}

/* Is ${st} one of the stores for ${name} (its "prefixes")?  With no
 * store claiming the name by prefix, every store is. */
static bool
eligible(const struct multi_backend *mb, const struct store *st,
    const char *name)
{
	bool any = false, mine = false;
	size_t i, k;

	for (i = 0; i < mb->n; i++)
		for (k = 0; k < mb->stores[i].cfg->nprefixes; k++) {
			const char *p = mb->stores[i].cfg->prefixes[k];

			if (strncmp(name, p, strlen(p)) == 0) {
				any = true;
				if (&mb->stores[i] == st)
					mine = true;
			}
		}
	return !any || mine;
}

static void
store_failed(struct store *st, const char *what, const struct dupc_err *e)
{
	st->failed = true;
	log_warn(
	    "Warning: MultiBackend: %s failed on store %s: %s; it is left out for the rest of this run",
	    what, st->label, e->msg);
}

/* mirror: put on every eligible store that has not failed. */
static int
put_mirror(struct multi_backend *mb, const char *name, struct source *src,
    uint64_t size, struct dupc_err *err)
{
	struct dupc_err e, last;
	size_t i, done = 0;

	err_clear(&last);
	for (i = 0; i < mb->n; i++) {
		struct store *st = &mb->stores[i];

		if (st->failed || !eligible(mb, st, name))
			continue;
		err_clear(&e);
		if (source_rewind(src, &e) == 0 &&
		    backend_put(st->be, name, src, size, &e) == 0) {
			note_put(st, name, size);
			done++;
			continue;
		}
		if (mb->url.onfail == MULTI_ABORT) {
			if (err != NULL)
				*err = e;
			err_prefix(err,
			    "MultiBackend: writing %s to store %s (onfail=abort)",
			    name, st->label);
			return -1;
		}
		store_failed(st, "writing", &e);
		last = e;
	}
	if (done > 0)
		return 0;
	if (err != NULL)
		*err = last;
	err_prefix(err, "MultiBackend: no store took %s", name);
	return -1;
}

/* The first store that lists ${name} (listing the stores as needed). */
static struct store *
holder(struct multi_backend *mb, const char *name)
{
	struct dupc_err e;
	size_t i;

	for (i = 0; i < mb->n; i++) {
		err_clear(&e);
		if (!mb->stores[i].failed &&
		    list_store(&mb->stores[i], &e) == 0 &&
		    find(&mb->stores[i], name) != NULL)
			return &mb->stores[i];
	}
	return NULL;
}

/*
 * stripe: the next store takes it, a failure passing it on; a name
 * already stored is replaced where it is, so no store keeps an old copy.
 */
static int
put_stripe(struct multi_backend *mb, const char *name, struct source *src,
    uint64_t size, struct dupc_err *err)
{
	struct store *st = holder(mb, name);
	struct dupc_err e, last;
	size_t tried;

	if (st != NULL) {
		if (backend_put(st->be, name, src, size, err) < 0)
			return -1;
		note_put(st, name, size);
		return 0;
	}
	err_clear(&last);
	for (tried = 0; tried < mb->n; tried++) {
		st = &mb->stores[mb->cursor];
		mb->cursor = (mb->cursor + 1) % mb->n;
		if (st->failed)
			continue;
		err_clear(&e);
		if (source_rewind(src, &e) == 0 &&
		    backend_put(st->be, name, src, size, &e) == 0) {
			note_put(st, name, size);
			return 0;
		}
		if (mb->url.onfail == MULTI_ABORT) {
			if (err != NULL)
				*err = e;
			err_prefix(err,
			    "MultiBackend: writing %s to store %s (onfail=abort)",
			    name, st->label);
			return -1;
		}
		store_failed(st, "writing", &e);
		last = e;
	}
	if (err != NULL)
		*err = last;
	err_prefix(err, "MultiBackend: no store took %s", name);
	return -1;
}

static int
multi_put(struct backend *be, const char *name, struct source *src,
    uint64_t size, struct dupc_err *err)
{
	struct multi_backend *mb = (struct multi_backend *)be;

	if (mb->url.mode == MULTI_MIRROR)
		return put_mirror(mb, name, src, size, err);
	return put_stripe(mb, name, src, size, err);
}

/*
 * put_new: the first store that takes ${name} (in configuration order)
 * decides, so every host with the same configuration races on one store;
 * a mirror then copies the object to the other stores.
 */
static int
multi_put_new(struct backend *be, const char *name, struct source *src,
    uint64_t size, struct dupc_err *err)
{
	struct multi_backend *mb = (struct multi_backend *)be;
	struct store *first = NULL;
	struct dupc_err e;
	size_t i;
	int rc;

	for (i = 0; i < mb->n && first == NULL; i++)
		if (!mb->stores[i].failed &&
		    (mb->url.mode == MULTI_STRIPE ||
			eligible(mb, &mb->stores[i], name)))
			first = &mb->stores[i];
	if (first == NULL)
		return err_set(err, E_NOT_IMPLEMENTED,
		    "MultiBackend: no store is left to hold %s", name);
	rc = backend_put_new(first->be, name, src, size, err);
	if (rc != 0)
		return rc;
	note_put(first, name, size);
	for (i = 0; mb->url.mode == MULTI_MIRROR && i < mb->n; i++) {
		struct store *st = &mb->stores[i];

		if (st == first || st->failed || !eligible(mb, st, name))
			continue;
		err_clear(&e);
		if (source_rewind(src, &e) == 0 &&
		    backend_put(st->be, name, src, size, &e) == 0)
			note_put(st, name, size);
		else
			store_failed(st, "writing", &e);
	}
	return 0;
}

/* The SHA-1 of what ${fd} holds equals ${want}? */
static bool
sha1_is(int fd, const char *want)
{
	char got[DIGEST_HEX_MAX], buf[65536];
	struct digest *dg = digest_new(DIGEST_SHA1);
	off_t off = 0;
	ssize_t r;

	if (dg == NULL)
		return false;
	while ((r = pread(fd, buf, sizeof(buf), off)) > 0) {
		digest_update(dg, buf, (size_t)r);
		off += r;
	}
	digest_final_hex(dg, got);
	digest_free(dg);
	return r == 0 && strcmp(got, want) == 0;
}

/* Is the copy just fetched into ${fd} intact?  0 yes, -1 no (${e}). */
static int
intact(const struct multi_backend *mb, const struct store *st,
    const struct entry *en, const char *name, int fd, struct dupc_err *e)
{
	const struct backend_options *o = &st->opts;
	char want[DIGEST_HEX_MAX];
	uint64_t size;
	struct stat sb;

	(void)mb;
	if (fstat(fd, &sb) < 0)
		return err_errno(e, E_GENERIC, "reading the download of %s",
		    name);
	if (en != NULL && (uint64_t)sb.st_size != en->size)
		return err_class_set(e, ERR_TRANSIENT, E_VOLUME_WRONG_SIZE,
		    "%s on store %s has %lld bytes, %llu listed", name,
		    st->label, (long long)sb.st_size,
		    (unsigned long long)en->size);
	if (o->expect != NULL &&
	    o->expect(o->expect_arg, name, want, &size) == 0 &&
	    !sha1_is(fd, want))
		return err_class_set(e, ERR_TRANSIENT, E_MISMATCHED_HASH,
		    "%s on store %s does not match its manifest", name,
		    st->label);
	return 0;
}

static int
multi_get(struct backend *be, const char *name, int fd, struct dupc_err *err)
{
	struct multi_backend *mb = (struct multi_backend *)be;
	struct dupc_err e, last;
	size_t i, tried = 0;

	err_clear(&last);
	for (i = 0; i < mb->n; i++) {
		struct store *st = &mb->stores[i];
		const struct entry *en;

		if (!eligible(mb, st, name))
			continue;
		err_clear(&e);
		if (list_store(st, &e) < 0) {
			last = e;
			continue;
		}
		if ((en = find(st, name)) == NULL)
			continue;
		tried++;
		if (backend_get(st->be, name, fd, &e) == 0 &&
		    intact(mb, st, en, name, fd, &e) == 0) {
			if (tried > 1)
				log_warn(
				    "Warning: MultiBackend: %s read from store %s",
				    name, st->label);
			return 0;
		}
		log_warn("Warning: MultiBackend: %s", e.msg);
		last = e;
	}
	if (tried == 0)
		return err_class_set(err, ERR_NOT_FOUND, E_BACKEND_NOT_FOUND,
		    "%s is on none of the %zu stores", name, mb->n);
	if (err != NULL)
		*err = last;
	err_prefix(err, "MultiBackend: no intact copy of %s", name);
	return -1;
}

/* Copy ${name} from ${from} to ${to} through a private temporary file. */
static int
copy_between(struct store *from, struct store *to, const struct entry *en,
    struct dupc_err *err)
{
	struct source *src;
	int fd, rc = -1;

	fd = tempfile_open("multi", NULL, err);
	if (fd < 0)
		return -1;
	if (backend_get(from->be, en->name, fd, err) < 0 ||
	    lseek(fd, 0, SEEK_SET) < 0)
		goto out;
	src = fd_source_new(fd, en->name);
	if (src == NULL) {
		nomem(err);
		goto out;
	}
	rc = backend_put(to->be, en->name, src, en->size, err);
	source_free(src);
	if (rc == 0)
		note_put(to, en->name, en->size);
out:
	close(fd);
	return rc;
}

/*
 * A mirror that a run left behind (onfail=continue) is filled in by the
 * next run that writes, before it writes anything: every file a store
 * should hold and lacks is copied from the first store that has it.
 */
static int
fill_in(struct multi_backend *mb, struct dupc_err *err)
{
	size_t i, j, k, copied;

	for (j = 0; j < mb->n; j++) {
		struct store *to = &mb->stores[j];

		if (to->failed || !to->listed)
			continue;
		copied = 0;
		for (i = 0; i < mb->n && !to->failed; i++) {
			struct store *from = &mb->stores[i];

			if (i == j || from->failed || !from->listed)
				continue;
			for (k = 0; k < from->nlist && !to->failed; k++) {
				const struct entry *en = &from->list[k];
				struct dupc_err e;

				if (find(to, en->name) != NULL ||
				    !eligible(mb, to, en->name))
					continue;
				err_clear(&e);
				if (copy_between(from, to, en, &e) == 0) {
					copied++;
					continue;
				}
				if (mb->url.onfail == MULTI_ABORT) {
					if (err != NULL)
						*err = e;
					return -1;
				}
				store_failed(to, "filling in", &e);
			}
		}
		if (copied > 0)
			log_notice(
			    "MultiBackend: copied %zu files that store %s lacked",
			    copied, to->label);
	}
	return 0;
}

static int
multi_list(struct backend *be, backend_list_fn *fn, void *arg,
    struct dupc_err *err)
{
	struct multi_backend *mb = (struct multi_backend *)be;
	struct dupc_err e, last;
	size_t i, k, j, ok = 0;

	err_clear(&last);
	for (i = 0; i < mb->n; i++) {
		struct store *st = &mb->stores[i];

		st->listed = false;
		err_clear(&e);
		if (list_store(st, &e) == 0) {
			ok++;
			continue;
		}
		last = e;
		if (mb->url.onfail == MULTI_ABORT) {
			if (err != NULL)
				*err = e;
			err_prefix(err,
			    "MultiBackend: listing store %s (onfail=abort)",
			    st->label);
			return -1;
		}
		log_warn("Warning: MultiBackend: listing store %s failed: %s",
		    st->label, e.msg);
	}
	if (ok == 0) {
		if (err != NULL)
			*err = last;
		return -1;
	}
	if (mb->url.mode == MULTI_MIRROR && mb->writes && !mb->filled) {
		mb->filled = true;
		if (fill_in(mb, err) < 0)
			return -1;
	}
	/* the union, each name once, with the first store's size */
	for (i = 0; i < mb->n; i++) {
		const struct store *st = &mb->stores[i];

		for (k = 0; st->listed && k < st->nlist; k++) {
			bool seen = false;

			for (j = 0; j < i && !seen; j++)
				seen = mb->stores[j].listed &&
				       find(&mb->stores[j], st->list[k].name);
			if (!seen && fn(st->list[k].name, st->list[k].size, arg,
					 err) != 0)
				return -1;
		}
	}
	return 0;
}

/* Remove from every store that lists it (mirror), or the one (stripe). */
static int
multi_remove(struct backend *be, const char *name, struct dupc_err *err)
{
	struct multi_backend *mb = (struct multi_backend *)be;
	struct dupc_err e;
	size_t i, done = 0;

	for (i = 0; i < mb->n; i++) {
		struct store *st = &mb->stores[i];

		err_clear(&e);
		if (list_store(st, &e) < 0 || find(st, name) == NULL)
			continue;
		if (backend_remove(st->be, name, &e) < 0 &&
		    e.cls != ERR_NOT_FOUND) {
			if (err != NULL)
				*err = e;
			err_prefix(err, "MultiBackend: store %s", st->label);
			return -1;
		}
		note_removed(st, name);
		done++;
	}
	if (done == 0)
		return err_class_set(err, ERR_NOT_FOUND, E_BACKEND_NOT_FOUND,
		    "%s is on none of the %zu stores", name, mb->n);
	return 0;
}

static int
multi_size(struct backend *be, const char *name, uint64_t *size,
    struct dupc_err *err)
{
	struct multi_backend *mb = (struct multi_backend *)be;
	struct dupc_err e;
	size_t i;

	for (i = 0; i < mb->n; i++) {
		struct store *st = &mb->stores[i];
		const struct entry *en;

		err_clear(&e);
		if (st->listed && (en = find(st, name)) != NULL) {
			*size = en->size;
			return 0;
		}
		if (!st->listed && backend_size(st->be, name, size, &e) == 0)
			return 0;
	}
	return err_class_set(err, ERR_NOT_FOUND, E_BACKEND_NOT_FOUND,
	    "%s is on none of the %zu stores", name, mb->n);
}

static void
multi_close(struct backend *be)
{
	struct multi_backend *mb = (struct multi_backend *)be;
	size_t i;

	if (mb == NULL)
		return;
	for (i = 0; i < mb->n; i++) {
		backend_close(mb->stores[i].be);
		forget_listing(&mb->stores[i]);
		free(mb->stores[i].env);
		secret_free(mb->stores[i].password);
	}
	free(mb->stores);
	multi_config_release(&mb->cfg);
	multi_url_release(&mb->url);
	free(mb);
}

/* Read the configuration file (the user's, bounded). */
static int
load_config(struct multi_backend *mb, struct dupc_err *err)
{
	char *text;
	ssize_t n;
	int fd, rc;

	fd = open(mb->url.path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_errno(err, E_BAD_URL,
		    "cannot read the multi:// configuration %s", mb->url.path);
	text = malloc(MULTI_CONFIG_MAX + 1);
	if (text == NULL) {
		close(fd);
		return nomem(err);
	}
	n = read(fd, text, MULTI_CONFIG_MAX + 1);
	close(fd);
	if (n < 0)
		rc = err_errno(err, E_BAD_URL,
		    "cannot read the multi:// configuration %s", mb->url.path);
	else
		rc = multi_config_parse(&mb->cfg, text, (size_t)n, mb->url.mode,
		    err);
	free(text);
	return rc;
}

/* Open store ${i} with its own environment. */
static int
open_store(struct multi_backend *mb, size_t i,
    const struct backend_options *opts, struct dupc_err *err)
{
	struct store *st = &mb->stores[i];
	const struct multi_store_config *sc = &mb->cfg.stores[i];
	char *url, red[256];
	size_t k, n;
	int rc;

	st->cfg = sc;
	st->opts = *opts;
	st->env = calloc(sc->nenv + 1, sizeof(*st->env));
	if (st->env == NULL)
		return nomem(err);
	for (k = 0; k < sc->nenv; k++) {
		st->env[k].name = sc->env_names[k];
		st->env[k].value = sc->env_values[k];
		/* FTP_PASSWORD is read once, at start-up, for every backend */
		if (strcmp(sc->env_names[k], "FTP_PASSWORD") == 0)
			st->opts.password = sc->env_values[k];
	}
	st->opts.env = st->env;
	st->opts.nenv = sc->nenv;
	n = strlen(sc->url) + strlen(mb->url.subpath) + 1;
	if ((url = malloc(n)) == NULL)
		return nomem(err);
	snprintf(url, n, "%s%s", sc->url, mb->url.subpath);
	snprintf(st->label, sizeof(st->label), "#%zu (%s)", i + 1,
	    sc->description ? sc->description
			    : url_redact(url, red, sizeof(red)));
	rc = backend_open(url, &st->opts, &st->be, err);
	secret_free(url);
	if (rc < 0)
		err_prefix(err, "MultiBackend: store %s", st->label);
	return rc;
}

static int
multi_open(struct backend **bep, const struct url *u,
    const struct backend_options *opts, struct dupc_err *err)
{
	static const struct backend_options none;
	struct multi_backend *mb = calloc(1, sizeof(*mb));
	unsigned flags = BACKEND_ATOMIC_PUT;
	size_t i;

	if (mb == NULL)
		return nomem(err);
	mb->base.ops = &multi_backend_ops;
	if (opts == NULL)
		opts = &none;
	mb->writes = opts->writes;
	if (multi_url_parse(&mb->url, u->raw, err) < 0 ||
	    load_config(mb, err) < 0)
		goto fail;
	mb->stores = calloc(mb->cfg.n, sizeof(*mb->stores));
	if (mb->stores == NULL) {
		nomem(err);
		goto fail;
	}
	for (i = 0; i < mb->cfg.n; i++) {
		mb->n = i + 1;
		if (open_store(mb, i, opts, err) < 0)
			goto fail;
		flags &= mb->stores[i].be->flags | ~BACKEND_ATOMIC_PUT;
		flags |= mb->stores[i].be->flags & BACKEND_FLAKY;
	}
	/* put_new is the first store's */
	flags |= mb->stores[0].be->flags & BACKEND_PUT_NEW;
	mb->base.flags =
	    (flags & (BACKEND_ATOMIC_PUT | BACKEND_FLAKY | BACKEND_PUT_NEW)) |
	    BACKEND_NO_RETRY;
	*bep = &mb->base;
	return 0;
fail:
	multi_close(&mb->base);
	return -1;
}

static const char *const multi_schemes[] = { "multi", NULL };

static const char multi_help[] =
    "multi:///path/config.json?mode=mirror|stripe&onfail=continue|abort&subpath=P\n"
    "  One target made of several stores, configured as duplicity's\n"
    "  multi backend reads it: a JSON list of {\"url\": ..., \"description\":\n"
    "  ..., \"env\": [{\"name\": ..., \"value\": ...}], \"prefixes\": [...]}.\n"
    "  mirror writes every file to every store (or to those whose prefixes\n"
    "  match its name) and reads the first intact copy; stripe spreads the\n"
    "  files round robin and lists their union (the default).  onfail=\n"
    "  continue (the default) leaves a failing store out for the rest of\n"
    "  the run, and the next run that writes copies to it what it lacks;\n"
    "  onfail=abort stops at the first failure.  Each store's env entries\n"
    "  are that store's alone.  subpath is appended to every store's URL.\n";

const struct backend_ops multi_backend_ops = {
	.schemes = multi_schemes,
	.flags = 0,
	.example = "multi:///path/config.json?mode=mirror",
	.help = multi_help,
	.open = multi_open,
	.list = multi_list,
	.put = multi_put,
	.get = multi_get,
	.remove = multi_remove,
	.size = multi_size,
	.put_new = multi_put_new,
	.close = multi_close,
};
