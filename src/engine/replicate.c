/*
 * replicate (dup_main.py replicate): copy the backup sets and signature
 * chains of one target to another.  Every file is decoded with the names'
 * suffixes (gzip or gpg, decrypted with the usual passphrase or secret
 * key) and encoded again as the options ask for the target (--encrypt-key,
 * PASSPHRASE, --no-encryption, --short-filenames...), so a plain backup
 * can be replicated encrypted and back.  A set's volumes are checked
 * against its manifest on the way, and the set's manifest is written last
 * with the new volumes' hashes, so a set is complete on the target exactly
 * when its manifest is there.  Sets and signatures the target already has
 * (same kind and times) are left alone; -t limits the copy to what is
 * older than the time given, as duplicity does.
 */
#define _DEFAULT_SOURCE
#include "engine/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "backend/backend.h"
#include "engine/pipe.h"
#include "engine/session.h"
#include "format/collection.h"
#include "format/manifest.h"
#include "util/buf.h"
#include "util/digest.h"
#include "util/err.h"
#include "util/log.h"
#include "util/stream.h"
#include "util/tempfile.h"

struct repl {
	const struct dupc_opts *o;
	struct session src, dst;
	int64_t before; /* only what is older is copied */
};

/* Does the target hold a file of the same kind and times as ${ni}? */
static bool
target_has(const struct repl *r, const struct name_info *ni)
{
	size_t i;

	for (i = 0; i < r->dst.nremote; i++) {
		struct name_info t;

		if (!names_parse(r->dst.remote[i], &r->o->pfx, &t) ||
		    t.partial || t.type != ni->type ||
		    t.manifest != ni->manifest || t.volume != ni->volume)
			continue;
		if (names_set_end(&t) == names_set_end(ni) &&
		    (t.type == NAME_FULL || t.type == NAME_FULL_SIG ||
			t.start == ni->start))
			return true;
	}
	return false;
}

/* The target's name for ${ni}, written as the options ask. */
static int
target_name(const struct repl *r, const struct name_info *ni,
    enum remote_kind kind, struct buf *out, struct dupc_err *err)
{
	struct name_info t = *ni;

	t.partial = false;
	buf_reset(out);
	if (names_build(out, &r->o->pfx, &t, pipe_suffix(r->o, kind)) < 0)
		return err_set(err, E_GENERIC, "file name too long");
	return 0;
}

/* SHA-1 of the file open on ${fd}, which is left at offset 0. */
static int
file_sha1(int fd, char *hex, struct dupc_err *err)
{
	struct digest *d = digest_new(DIGEST_SHA1);
	unsigned char blk[65536];
	ssize_t n;

	if (d == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	while ((n = read(fd, blk, sizeof(blk))) > 0)
		digest_update(d, blk, (size_t)n);
	digest_final_hex(d, hex);
	digest_free(d);
	if (n < 0 || lseek(fd, 0, SEEK_SET) < 0)
		return err_errno(err, E_GENERIC,
		    "cannot read a downloaded file");
	return 0;
}

/* Upload the encoded file open on ${fd} as ${name}. */
static int
put_file(struct repl *r, const char *name, int fd, uint64_t size,
    struct dupc_err *err)
{
	struct source *src;
	int rc;

	if (lseek(fd, 0, SEEK_SET) < 0 ||
	    (src = fd_source_new(fd, name)) == NULL)
		return err_errno(err, E_GENERIC, "preparing %s", name);
	rc = backend_put(r->dst.be, name, src, size, err);
	source_free(src);
	if (rc < 0)
		err_prefix(err, "uploading %s", name);
	return rc;
}

/*
 * Copy the source's ${from} to the target's ${to}: decode, encode as a
 * file of ${kind}, upload.  ${want_sha1}, when not NULL, is the hash the
 * source file must have (its manifest's); *${sha1} receives the new one.
 */
static int
copy_file(struct repl *r, const char *from, const char *to,
    enum remote_kind kind, const char *want_sha1, char *sha1,
    struct dupc_err *err)
{
	struct rpipe rp;
	struct wpipe wp;
	char have[DIGEST_HEX_MAX];
	uint64_t size = 0;
	int in, out = -1, rc = -1;
	bool rp_open = false, wp_open = false;

	log_notice("Replicating %s.", from);
	in = session_download(&r->src, from, err);
	if (in < 0)
		return -1;
	if (want_sha1 != NULL) {
		if (file_sha1(in, have, err) < 0)
			goto out;
		if (strcasecmp(have, want_sha1) != 0) {
			err_set(err, E_MISMATCHED_HASH,
			    "Invalid data - SHA1 hash mismatch for file:\n %s\n Calculated hash: %s\n Manifest hash: %s",
			    from, have, want_sha1);
			goto out;
		}
	}
	if (rpipe_open(&rp, r->o, from, in, err) < 0)
		goto out;
	rp_open = true;
	out = tempfile_open("replicate", NULL, err);
	if (out < 0 || wpipe_open(&wp, r->o, kind, out, err) < 0)
		goto out;
	wp_open = true;
	if (source_copy(rp.head, wp.head, NULL, err) < 0 ||
	    wpipe_finish(&wp, &size, sha1, err) < 0 ||
	    put_file(r, to, out, size, err) < 0)
		goto out;
	rc = 0;
out:
	if (wp_open)
		wpipe_release(&wp);
	if (rp_open)
		rpipe_release(&rp);
	if (out >= 0)
		close(out);
	close(in);
	return rc;
}

/* One signature file of a chain. */
static int
copy_sig(struct repl *r, const char *name, struct buf *to, struct dupc_err *err)
{
	struct name_info ni;

	if (!names_parse(name, &r->o->pfx, &ni) ||
	    names_set_end(&ni) >= r->before)
		return 0;
	if (target_has(r, &ni)) {
		log_info("Signature %s already replicated", name);
		return 0;
	}
	if (target_name(r, &ni, RK_SIGTAR, to, err) < 0)
		return -1;
	return copy_file(r, name, buf_str(to), RK_SIGTAR, NULL, NULL, err);
}

static int
copy_sigchains(struct repl *r, struct dupc_err *err)
{
	const struct collection *c = &r->src.col;
	struct buf to;
	size_t i, k;
	int rc = -1;

	buf_init(&to, 4096);
	for (i = 0; i < c->nsigchains; i++) {
		const struct sigchain *sc = &c->sigchains[i];

		if (sc->local)
			continue;
		if (copy_sig(r, sc->fullsig, &to, err) < 0)
			goto out;
		for (k = 0; k < sc->ninc; k++)
			if (copy_sig(r, sc->incs[k], &to, err) < 0)
				goto out;
	}
	rc = 0;
out:
	buf_release(&to);
	return rc;
}

/* The set's volumes, then its manifest listing their new hashes. */
static int
copy_set(struct repl *r, const struct cset *set, struct dupc_err *err)
{
	struct manifest m;
	struct name_info ni;
	struct buf to, text;
	struct wpipe wp;
	const char *type, *hash;
	uint64_t size = 0;
	size_t i;
	int fd = -1, rc = -1;
	bool wp_open = false;

	manifest_init(&m);
	buf_init(&to, 4096);
	buf_init(&text, MANIFEST_MAX_BYTES);
	if (session_manifest_from(&r->src, set, MANIFEST_REMOTE, &m, err) < 0 ||
	    !names_parse(set->manifest, &r->o->pfx, &ni) ||
	    manifest_write_header(&text, m.hostname, m.localdir) < 0)
		goto fail;
	for (i = 0; i < set->nvols; i++) {
		const struct manifest_volume *mv =
		    manifest_find(&m, set->vols[i].number);
		struct manifest_volume nv;
		struct name_info vi;
		char sha1[DIGEST_HEX_MAX];

		if (mv == NULL ||
		    !names_parse(set->vols[i].name, &r->o->pfx, &vi)) {
			err_set(err, E_UNREADABLE_MANIFESTS,
			    "the manifest %s does not list volume %u",
			    set->manifest, set->vols[i].number);
			goto fail;
		}
		if (manifest_best_hash(mv, &type, &hash) < 0 ||
		    strcmp(type, "SHA1") != 0)
			hash = NULL;
		if (target_name(r, &vi, RK_VOLUME, &to, err) < 0 ||
		    copy_file(r, set->vols[i].name, buf_str(&to), RK_VOLUME,
			hash, sha1, err) < 0)
			goto fail;
		nv = *mv;
		memcpy(nv.hash_type, "SHA1", 5);
		snprintf(nv.hash, sizeof(nv.hash), "%s", sha1);
		if (manifest_write_volume(&text, &nv) < 0)
			goto nomem;
	}
	if (target_name(r, &ni, RK_MANIFEST, &to, err) < 0)
		goto fail;
	fd = tempfile_open("replicate", NULL, err);
	if (fd < 0 || wpipe_open(&wp, r->o, RK_MANIFEST, fd, err) < 0)
		goto fail;
	wp_open = true;
	if (sink_write(wp.head, text.data, text.len, err) < 0 ||
	    wpipe_finish(&wp, &size, NULL, err) < 0 ||
	    put_file(r, buf_str(&to), fd, size, err) < 0)
		goto fail;
	rc = 0;
	goto out;
nomem:
	err_set(err, E_GENERIC, "out of memory");
fail:
	rc = -1;
out:
	if (wp_open)
		wpipe_release(&wp);
	if (fd >= 0)
		close(fd);
	manifest_release(&m);
	buf_release(&to);
	buf_release(&text);
	return rc;
}

static int
copy_one_set(struct repl *r, const struct cset *set, struct dupc_err *err)
{
	struct name_info ni;

	if (cset_time(set) >= r->before)
		return 0;
	memset(&ni, 0, sizeof(ni));
	ni.type = set->type;
	ni.manifest = true;
	ni.time = set->time;
	ni.start = set->start;
	ni.end = set->end;
	if (target_has(r, &ni)) {
		log_info("Backupset %s already replicated", set->manifest);
		return 0;
	}
	return copy_set(r, set, err);
}

static int
copy_chains(struct repl *r, struct dupc_err *err)
{
	const struct collection *c = &r->src.col;
	size_t i, k;

	for (i = 0; i < c->nchains; i++) {
		if (copy_one_set(r, c->chains[i].full, err) < 0)
			return -1;
		for (k = 0; k < c->chains[i].ninc; k++)
			if (copy_one_set(r, c->chains[i].incs[k], err) < 0)
				return -1;
	}
	return 0;
}

int
engine_replicate(const struct dupc_opts *o, struct dupc_err *err)
{
	struct dupc_opts so = *o;
	struct repl r;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	r.o = o;
	r.before = o->have_time ? o->time : o->now;
	/* the source is read as a target of its own, with its own archive
	 * dir name; only the target's archive dir is locked */
	so.url = o->src_url;
	so.name = NULL;
	so.be.writes = false;
	so.remote_lock = false;
	if (session_open(&r.src, &so, false, err) < 0)
		return -1;
	if (session_open(&r.dst, o, true, err) < 0) {
		session_close(&r.src);
		return -1;
	}
	if (r.src.col.nsigchains == 0) {
		log_notice("No old backup sets found.");
		rc = 0;
		goto out;
	}
	if (copy_sigchains(&r, err) < 0 || copy_chains(&r, err) < 0)
		goto out;
	rc = 0;
out:
	session_close(&r.dst);
	session_close(&r.src);
	return rc;
}
