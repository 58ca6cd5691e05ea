/*
 * The target folder: resolving mf://.../backups/host1 to a folder key,
 * creating missing levels, and the paged listing of its files
 * (mediafire-api.md sections 5 and 6).  A listing is read chunk by chunk
 * until more_chunks is "no" or a chunk comes back empty (the server has
 * been seen to say "yes" before an empty chunk), and collected whole
 * before anyone sees it, so a listing that fails half-way can be retried
 * without reporting a name twice.  The collected listing is kept as a
 * cache that put and remove keep current; a quickkey the server no longer
 * knows (110) makes the cache be read again.
 */
#include "backend/mediafire/mf_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util/err.h"
#include "util/log.h"

typedef int page_fn(const json_t *, void *, struct dupc_err *);

static int
nomem(struct dupc_err *err)
{
	return err_set(err, E_GENERIC, "out of memory");
}

/* Walk every item of folder/get_content for ${type} ("files" or
 * "folders") in folder ${key} ("" for the root). */
static int
pages(struct mf_backend *be, const char *key, const char *type, page_fn *fn,
    void *arg, struct dupc_err *err)
{
	struct mf_params p;
	struct mf_reply r;
	uint64_t chunk, total = 0;
	const json_t *fc, *arr;
	size_t i, n;
	int more, rc = -1;

	mf_reply_init(&r);
	for (chunk = 1;; chunk++) {
		mf_params_init(&p);
		if ((*key && mf_params_add(&p, "folder_key", key) < 0) ||
		    mf_params_add(&p, "content_type", type) < 0 ||
		    mf_params_add_u64(&p, "chunk", chunk) < 0 ||
		    mf_params_add_u64(&p, "chunk_size", be->cfg.chunk_size) <
			0) {
			nomem(err);
			goto out;
		}
		if (mf_call(&be->s, "folder/get_content", &p, &r, err) < 0)
			goto out;
		mf_params_release(&p);
		fc = mf_json_obj(r.resp, "folder_content");
		if (fc == NULL) {
			err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
			    "folder/get_content: no folder_content in the answer");
			goto out;
		}
		arr = mf_json_arr(fc, type);
		n = mf_json_size(arr);
		for (i = 0; i < n; i++)
			if (fn(mf_json_at(arr, i), arg, err) < 0)
				goto out;
		more = mf_json_yes(fc, "more_chunks");
		mf_reply_release(&r);
		if (n == 0 || more != 1)
			break;
		total += n;
		if (total > MF_LIST_MAX) {
			err_set(err, E_BACKEND_ERROR,
			    "folder %s lists more than %u entries", be->where,
			    MF_LIST_MAX);
			goto out;
		}
	}
	rc = 0;
out:
	mf_params_release(&p);
	mf_reply_release(&r);
	return rc;
}

/* --- folders --- */

struct find_arg {
	const char *name;
	char key[MF_FOLDERKEY_MAX + 1];
};

static int
find_cb(const json_t *item, void *arg, struct dupc_err *err)
{
	struct find_arg *fa = arg;
	const char *name = mf_json_str(item, "name");
	const char *key = mf_json_str(item, "folderkey");

	(void)err;
	if (fa->key[0] == '\0' && name != NULL && strcmp(name, fa->name) == 0 &&
	    mf_valid_key(key, 8, MF_FOLDERKEY_MAX))
		mf_copy(fa->key, sizeof(fa->key), key);
	return 0;
}

/* The subfolder ${name} of ${parent}: 0 and ${out}, 1 when absent. */
static int
find_sub(struct mf_backend *be, const char *parent, const char *name, char *out,
    struct dupc_err *err)
{
	struct find_arg fa;

	fa.name = name;
	fa.key[0] = '\0';
	if (pages(be, parent, "folders", find_cb, &fa, err) < 0) {
		/* a parent that vanished while we walked: try again later */
		if (err != NULL && err->cls == ERR_NOT_FOUND)
			err->cls = ERR_TRANSIENT;
		return -1;
	}
	if (fa.key[0] == '\0')
		return 1;
	memcpy(out, fa.key, sizeof(fa.key));
	return 0;
}

static int
make_private(struct mf_backend *be, const char *key, struct dupc_err *err)
{
	struct mf_params p;
	struct mf_reply r;
	int rc = -1;

	/* duplicity sets new target folders private (mediafirebackend.py) */
	mf_params_init(&p);
	if (mf_params_add(&p, "folder_key", key) < 0 ||
	    mf_params_add(&p, "privacy", "private") < 0)
		nomem(err);
	else if (mf_call(&be->s, "folder/update", &p, &r, err) == 0)
		rc = 0;
	mf_reply_release(&r);
	mf_params_release(&p);
	return rc;
}

static int
create_sub(struct mf_backend *be, const char *parent, const char *name,
    char *out, struct dupc_err *err)
{
	struct mf_params p;
	struct mf_reply r;
	const char *key;
	int rc = -1;

	mf_params_init(&p);
	mf_reply_init(&r);
	/* "skip" hands back the existing folder, so a repeat is harmless */
	if (mf_params_add(&p, "foldername", name) < 0 ||
	    (*parent && mf_params_add(&p, "parent_key", parent) < 0) ||
	    mf_params_add(&p, "action_on_duplicate", "skip") < 0) {
		nomem(err);
		goto out;
	}
	if (mf_call(&be->s, "folder/create", &p, &r, err) < 0) {
		if (r.error == 144 || r.error == 159) {
			rc = find_sub(be, parent, name, out, err);
			if (rc == 1)
				rc = err_class_set(err, ERR_TRANSIENT,
				    E_BACKEND_ERROR,
				    "folder/create: folder %s exists but is not listed",
				    name);
		}
		goto out;
	}
	key = mf_json_str(r.resp, "folder_key");
	if (!mf_valid_key(key, 8, MF_FOLDERKEY_MAX)) {
		/* some answers leave it out: look the folder up */
		rc = find_sub(be, parent, name, out, err);
		if (rc == 1)
			rc = err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
			    "folder/create: no key for new folder %s", name);
		if (rc < 0)
			goto out;
	} else {
		mf_copy(out, MF_FOLDERKEY_MAX + 1, key);
	}
	rc = make_private(be, out, err);
out:
	mf_reply_release(&r);
	mf_params_release(&p);
	return rc;
}

int
mf_folder_find(struct mf_backend *be, bool create, struct dupc_err *err)
{
	char cur[MF_FOLDERKEY_MAX + 1] = "";
	char next[MF_FOLDERKEY_MAX + 1];
	size_t i;
	int rc;

	if (be->folder == MF_FOLDER_FOUND)
		return 0;
	for (i = 0; i < be->nparts; i++) {
		rc = find_sub(be, cur, be->parts[i], next, err);
		if (rc < 0)
			return -1;
		if (rc == 1) {
			if (!create) {
				be->folder = MF_FOLDER_MISSING;
				return 1;
			}
			if (create_sub(be, cur, be->parts[i], next, err) < 0)
				return -1;
			log_info("Created MediaFire folder %s", be->where);
		}
		memcpy(cur, next, sizeof(cur));
	}
	memcpy(be->folder_key, cur, sizeof(cur));
	be->folder = MF_FOLDER_FOUND;
	return 0;
}

void
mf_folder_lost(struct mf_backend *be)
{
	be->folder = MF_FOLDER_UNKNOWN;
	be->folder_key[0] = '\0';
	be->cache.valid = false;
}

/* --- the file cache --- */

static void
entry_free(struct mf_entry *e)
{
	free(e->name);
	e->name = NULL;
}

void
mf_cache_release(struct mf_cache *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		entry_free(&c->v[i]);
	free(c->v);
	memset(c, 0, sizeof(*c));
}

static int
by_name(const void *a, const void *b)
{
	const struct mf_entry *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* Same name twice (a "keep" by another client): newest first. */
static int
by_name_newest(const void *a, const void *b)
{
	const struct mf_entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : strcmp(y->created, x->created);
}

struct mf_entry *
mf_cache_find(const struct mf_cache *c, const char *name)
{
	struct mf_entry key;

	if (c->n == 0)
		return NULL;
	key.name = (char *)(uintptr_t)name;
	return bsearch(&key, c->v, c->n, sizeof(*c->v), by_name);
}

static int
grow(struct mf_cache *c)
{
	size_t cap;
	struct mf_entry *v;

	if (c->n < c->cap)
		return 0;
	cap = c->cap ? c->cap * 2 : 64;
	v = realloc(c->v, cap * sizeof(*v));
	if (v == NULL)
		return -1;
	c->v = v;
	c->cap = cap;
	return 0;
}

int
mf_cache_set(struct mf_cache *c, const struct mf_entry *e)
{
	struct mf_entry *old = mf_cache_find(c, e->name);
	size_t i;
	char *name;

	if (old != NULL) {
		name = old->name;
		*old = *e;
		old->name = name;
		return 0;
	}
	if (grow(c) < 0 || (name = strdup(e->name)) == NULL)
		return -1;
	for (i = c->n; i > 0 && strcmp(c->v[i - 1].name, name) > 0; i--)
		c->v[i] = c->v[i - 1];
	c->v[i] = *e;
	c->v[i].name = name;
	c->n++;
	return 0;
}

void
mf_cache_del(struct mf_cache *c, const char *name)
{
	struct mf_entry *e = mf_cache_find(c, name);
	size_t i;

	if (e == NULL)
		return;
	i = (size_t)(e - c->v);
	entry_free(e);
	memmove(&c->v[i], &c->v[i + 1], (c->n - i - 1) * sizeof(*c->v));
	c->n--;
}

static bool
name_ok(const char *s)
{
	size_t n;

	if (s == NULL || *s == '\0')
		return false;
	for (n = 0; s[n] != '\0'; n++)
		if (n >= MF_NAME_MAX || s[n] == '/')
			return false;
	return true;
}

static int
file_cb(const json_t *item, void *arg, struct dupc_err *err)
{
	struct mf_cache *c = arg;
	const char *name = mf_json_str(item, "filename");
	const char *qk = mf_json_str(item, "quickkey");
	const char *hash = mf_json_str(item, "hash");
	const char *created = mf_json_str(item, "created");
	struct mf_entry e;
	size_t i;

	memset(&e, 0, sizeof(e));
	if (!name_ok(name) || !mf_valid_key(qk, 11, MF_QUICKKEY_MAX) ||
	    mf_json_u64(item, "size", &e.size) < 0) {
		log_debug("mediafire: skipping a malformed listing entry");
		return 0;
	}
	mf_copy(e.quickkey, sizeof(e.quickkey), qk);
	if (mf_valid_sha256(hash))
		for (i = 0; i <= MF_SHA256_HEX; i++)
			e.hash[i] = (char)(hash[i] >= 'A' && hash[i] <= 'F'
					       ? hash[i] - 'A' + 'a'
					       : hash[i]);
	mf_copy(e.created, sizeof(e.created), created != NULL ? created : "");
	if (grow(c) < 0 || (e.name = strdup(name)) == NULL)
		return nomem(err);
	c->v[c->n++] = e;
	return 0;
}

int
mf_cache_load(struct mf_backend *be, struct dupc_err *err)
{
	struct mf_cache c;
	size_t i, o;
	int rc;

	memset(&c, 0, sizeof(c));
	rc = mf_folder_find(be, false, err);
	if (rc < 0)
		return -1;
	if (rc == 0 &&
	    pages(be, be->folder_key, "files", file_cb, &c, err) < 0) {
		mf_cache_release(&c);
		if (err != NULL && err->cls == ERR_NOT_FOUND) {
			/* 112: the folder went away under us */
			mf_folder_lost(be);
			err->cls = ERR_TRANSIENT;
		}
		return -1;
	}
	/* one entry per name, the newest */
	if (c.n > 1) {
		qsort(c.v, c.n, sizeof(*c.v), by_name_newest);
		for (i = 1, o = 1; i < c.n; i++) {
			if (strcmp(c.v[i].name, c.v[o - 1].name) == 0)
				entry_free(&c.v[i]);
			else
				c.v[o++] = c.v[i];
		}
		c.n = o;
	}
	mf_cache_release(&be->cache);
	be->cache = c;
	be->cache.valid = true;
	return 0;
}

int
mf_lookup(struct mf_backend *be, const char *name, struct mf_entry *out,
    struct dupc_err *err)
{
	const struct mf_entry *e;
	bool fresh = false;

	if (!be->cache.valid) {
		if (mf_cache_load(be, err) < 0)
			return -1;
		fresh = true;
	}
	e = mf_cache_find(&be->cache, name);
	if (e == NULL && !fresh) {
		/* another client may have added it since we listed */
		if (mf_cache_load(be, err) < 0)
			return -1;
		e = mf_cache_find(&be->cache, name);
	}
	if (e == NULL)
		return 1;
	*out = *e;
	return 0;
}

int
mf_file_info(struct mf_backend *be, const char *qk, uint64_t *size, char *hash,
    struct dupc_err *err)
{
	struct mf_params p;
	struct mf_reply r;
	const json_t *fi;
	const char *h;
	size_t i;
	int rc = -1;

	mf_params_init(&p);
	if (mf_params_add(&p, "quick_key", qk) < 0) {
		mf_params_release(&p);
		return nomem(err);
	}
	if (mf_call(&be->s, "file/get_info", &p, &r, err) < 0) {
		if (r.error == 110)
			rc = 1;
		goto out;
	}
	fi = mf_json_obj(r.resp, "file_info");
	h = mf_json_str(fi, "hash");
	if (mf_json_u64(fi, "size", size) < 0 || !mf_valid_sha256(h)) {
		err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
		    "file/get_info: no size or hash in the answer");
		goto out;
	}
	for (i = 0; i <= MF_SHA256_HEX; i++)
		hash[i] = (char)(h[i] >= 'A' && h[i] <= 'F' ? h[i] - 'A' + 'a'
							    : h[i]);
	rc = 0;
out:
	mf_reply_release(&r);
	mf_params_release(&p);
	return rc;
}

int
mf_stat(struct mf_backend *be, const char *name, struct mf_entry *e,
    struct dupc_err *err)
{
	int pass, rc;

	for (pass = 0; pass < 2; pass++) {
		rc = mf_lookup(be, name, e, err);
		if (rc != 0)
			return rc;
		rc = mf_file_info(be, e->quickkey, &e->size, e->hash, err);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			struct mf_entry *c = mf_cache_find(&be->cache, name);

			if (c != NULL) {
				c->size = e->size;
				memcpy(c->hash, e->hash, sizeof(c->hash));
			}
			return 0;
		}
		/* the quickkey is gone: the cache is stale */
		be->cache.valid = false;
	}
	return 1;
}
