/*
 * Signature chain reader.  Memory is one tar block and one entry per
 * sigtar in the chain, whatever the tree size.
 */
#define _DEFAULT_SOURCE
#include "engine/sigread.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/pipe.h"
#include "engine/session.h"
#include "format/collection.h"
#include "format/names.h"
#include "format/tar.h"
#include "util/err.h"
#include "util/owner.h"
#include "util/path.h"

struct sigstream {
	int fd;
	struct rpipe rp;
	struct tar_reader *tr;
	char *name;
	int64_t time;
	bool have;
	struct entry_name en;
	struct buf index;
	struct obj_meta meta;
	int64_t uid, gid;
};

struct sigmerge {
	struct session *s;
	struct sigstream *st; /* oldest first */
	size_t n;
	int winner; /* index into st of the current entry, -1 */
	bool numeric;
};

static void
stream_close(struct sigstream *ss)
{
	tarr_free(ss->tr);
	rpipe_release(&ss->rp);
	if (ss->fd >= 0)
		close(ss->fd);
	free(ss->name);
	buf_release(&ss->index);
	meta_release(&ss->meta);
	ss->fd = -1;
	ss->tr = NULL;
	ss->name = NULL;
}

/* Read the next entry of one sigtar (skipping the rest of the current). */
static int
stream_advance(struct sigstream *ss, bool numeric, struct dupc_err *err)
{
	struct tar_entry te;
	int r;

	r = tarr_next(ss->tr, &te, &ss->meta, err);
	if (r < 0)
		return -1;
	if (r == 0) {
		ss->have = false;
		return 0;
	}
	if (entry_name_parse(te.name, &ss->en, &ss->index, err) < 0) {
		err_prefix(err, "%s", ss->name);
		return -1;
	}
	if (ss->en.multivol || ss->en.kind == EK_DIFF)
		return err_set(err, E_GENERIC,
		    "%s: unexpected entry '%.200s' in a signature file",
		    ss->name, te.name);
	if (ss->en.kind == EK_DELETED)
		ss->meta.type = OBJ_NONE;
	else if (ss->meta.type == OBJ_NONE)
		return err_set(err, E_GENERIC,
		    "%s: entry '%.200s' of an unknown type", ss->name, te.name);
	owner_resolve(ss->meta.uname, ss->meta.uid, ss->meta.gname,
	    ss->meta.gid, numeric, &ss->uid, &ss->gid);
	ss->have = true;
	return 0;
}

static int
stream_open(struct sigmerge *m, struct sigstream *ss, const char *name,
    bool local, int64_t time, struct dupc_err *err)
{
	const struct dupc_opts *o = m->s->o;

	memset(ss, 0, sizeof(*ss));
	ss->fd = -1;
	buf_init(&ss->index, TAR_NAME_MAX);
	meta_init(&ss->meta);
	ss->time = time;
	ss->name = strdup(name);
	if (ss->name == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	if (local) {
		char *path = cache_path(&m->s->cache, name);

		ss->fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
		if (ss->fd < 0) {
			err_errno(err, E_GENERIC, "cannot open %s",
			    path ? path : name);
			free(path);
			return -1;
		}
		free(path);
	} else {
		ss->fd = session_download(m->s, name, err);
		if (ss->fd < 0)
			return -1;
	}
	if (rpipe_open(&ss->rp, o, name, ss->fd, err) < 0)
		return -1;
	ss->tr = tarr_new(ss->rp.head, name, err);
	if (ss->tr == NULL)
		return -1;
	return stream_advance(ss, m->numeric, err);
}

struct sigmerge *
sigmerge_open(struct session *s, const struct sigchain *sc, int64_t upto,
    struct dupc_err *err)
{
	struct sigmerge *m = calloc(1, sizeof(*m));
	size_t i, want = 1;

	if (m == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		return NULL;
	}
	m->s = s;
	m->winner = -1;
	m->numeric = s->o->numeric_owner;
	for (i = 0; i < sc->ninc; i++)
		if (sc->inc_end[i] <= upto)
			want = i + 2;
	m->st = calloc(want, sizeof(*m->st));
	if (m->st == NULL) {
		free(m);
		err_set(err, E_GENERIC, "out of memory");
		return NULL;
	}
	for (i = 0; i < want; i++) {
		const char *name = i == 0 ? sc->fullsig : sc->incs[i - 1];
		int64_t t = i == 0 ? sc->start : sc->inc_end[i - 1];

		m->n = i + 1;
		if (stream_open(m, &m->st[i], name, sc->local, t, err) < 0) {
			sigmerge_free(m);
			return NULL;
		}
	}
	return m;
}

int
sigmerge_peek(struct sigmerge *m, struct sig_entry *e, struct dupc_err *err)
{
	int best = -1;
	size_t i;

	(void)err;
	for (i = 0; i < m->n; i++) {
		struct sigstream *ss = &m->st[i];
		int c;

		if (!ss->have)
			continue;
		if (best < 0) {
			best = (int)i;
			continue;
		}
		c = index_cmp(buf_str(&ss->index), buf_str(&m->st[best].index));
		/* on equal indexes the later (newer) sigtar wins */
		if (c <= 0)
			best = (int)i;
	}
	m->winner = best;
	if (best < 0)
		return 0;
	e->index = buf_str(&m->st[best].index);
	e->kind = m->st[best].en.kind;
	e->meta = &m->st[best].meta;
	e->uid = m->st[best].uid;
	e->gid = m->st[best].gid;
	e->time = m->st[best].time;
	return 1;
}

int
sigmerge_read(struct sigmerge *m, void *p, size_t cap, size_t *got,
    struct dupc_err *err)
{
	if (m->winner < 0) {
		*got = 0;
		return 0;
	}
	return tarr_read(m->st[m->winner].tr, p, cap, got, err);
}

int
sigmerge_next(struct sigmerge *m, struct dupc_err *err)
{
	struct buf cur;
	size_t i;
	int rc = 0;

	if (m->winner < 0)
		return 0;
	buf_init(&cur, TAR_NAME_MAX);
	if (buf_addstr(&cur, buf_str(&m->st[m->winner].index)) < 0) {
		buf_release(&cur);
		return err_set(err, E_GENERIC, "out of memory");
	}
	for (i = 0; i < m->n && rc == 0; i++) {
		struct sigstream *ss = &m->st[i];

		if (ss->have && strcmp(buf_str(&ss->index), buf_str(&cur)) == 0)
			rc = stream_advance(ss, m->numeric, err);
	}
	buf_release(&cur);
	m->winner = -1;
	return rc;
}

void
sigmerge_free(struct sigmerge *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n; i++)
		stream_close(&m->st[i]);
	free(m->st);
	free(m);
}
