/*
 * libarchive glue for duplicity's tar dialect.  libarchive buffers nothing
 * beyond a block here (bytes_per_block 0 on write, a 64 KiB read window),
 * so a tar stream costs constant memory however large its entries are.
 */
#define _DEFAULT_SOURCE
#include "format/tar.h"

#include <errno.h>
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "util/err.h"
#include "util/meta.h"
#include "util/stream.h"

void
tar_init_locale(void)
{
	/* In a UTF-8 locale libarchive's pax writer stores UTF-8 names as
	 * they are and marks others hdrcharset=BINARY, exactly as Python's
	 * tarfile does with surrogate escapes; its reader returns raw bytes
	 * for both.  Only LC_CTYPE changes: messages and dates stay C. */
	if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
		setlocale(LC_CTYPE, "en_US.UTF-8");
}

struct tar_writer {
	struct archive *a;
	struct sink *out;
	struct dupc_err *err; /* the caller's, during a call */
	int failed;
	uint64_t bytes;
	struct archive_entry *entry;
};

static la_ssize_t
tw_write_cb(struct archive *a, void *ud, const void *p, size_t n)
{
	struct tar_writer *tw = ud;

	(void)a;
	if (tw->failed)
		return -1;
	if (sink_write(tw->out, p, n, tw->err) < 0) {
		tw->failed = 1;
		return -1;
	}
	tw->bytes += n;
	return (la_ssize_t)n;
}

struct tar_writer *
tarw_new(struct sink *out, struct dupc_err *err)
{
	struct tar_writer *tw = calloc(1, sizeof(*tw));

	if (tw == NULL)
		goto err0;
	tw->out = out;
	tw->err = err;
	tw->a = archive_write_new();
	tw->entry = archive_entry_new();
	if (tw->a == NULL || tw->entry == NULL)
		goto err1;
	if (archive_write_set_format_pax_restricted(tw->a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(tw->a, 0) != ARCHIVE_OK ||
	    archive_write_open(tw->a, tw, NULL, tw_write_cb, NULL) !=
		ARCHIVE_OK)
		goto err1;
	return tw;
err1:
	if (tw->entry != NULL)
		archive_entry_free(tw->entry);
	if (tw->a != NULL)
		archive_write_free(tw->a);
	free(tw);
err0:
	err_set(err, E_GENERIC, "cannot start a tar stream");
	return NULL;
}

static int
tw_fail(struct tar_writer *tw, const char *what, const char *name)
{
	/* a sink failure has already described itself */
	if (tw->failed)
		return -1;
	tw->failed = 1;
	return err_set(tw->err, E_GENERIC, "tar: %s %s: %s", what, name,
	    archive_error_string(tw->a) ? archive_error_string(tw->a)
					: "failed");
}

static unsigned
ae_type(enum obj_type t)
{
	switch (t) {
	case OBJ_DIR:
		return AE_IFDIR;
	case OBJ_SYMLINK:
		return AE_IFLNK;
	case OBJ_FIFO:
		return AE_IFIFO;
	case OBJ_CHR:
		return AE_IFCHR;
	case OBJ_BLK:
		return AE_IFBLK;
	default:
		return AE_IFREG;
	}
}

int
tarw_header(struct tar_writer *tw, const char *name, const struct obj_meta *m,
    uint64_t size, struct dupc_err *err)
{
	struct archive_entry *e = tw->entry;
	int r;

	tw->err = err;
	if (tw->failed)
		return err_set(err, E_GENERIC, "tar stream already failed");
	archive_entry_clear(e);
	archive_entry_copy_pathname(e, name);
	archive_entry_set_filetype(e, ae_type(m->type));
	if (m->type == OBJ_NONE) {
		/* duplicity's deleted marker: regular, mode 0, owner 0 */
		archive_entry_set_perm(e, 0);
		archive_entry_set_size(e, 0);
		archive_entry_set_mtime(e, 0, 0);
	} else {
		archive_entry_set_perm(e,
		    m->type == OBJ_SYMLINK ? 0777 : m->mode);
		archive_entry_set_uid(e, m->uid);
		archive_entry_set_gid(e, m->gid);
		if (m->uname[0])
			archive_entry_copy_uname(e, m->uname);
		if (m->gname[0])
			archive_entry_copy_gname(e, m->gname);
		/* Python's tarfile writes negative mtimes as 0 */
		archive_entry_set_mtime(e, m->mtime < 0 ? 0 : m->mtime, 0);
		archive_entry_set_size(e,
		    m->type == OBJ_REG ? (la_int64_t)size : 0);
		if (m->type == OBJ_SYMLINK && m->linkname != NULL)
			archive_entry_copy_symlink(e, m->linkname);
		if (m->type == OBJ_CHR || m->type == OBJ_BLK) {
			archive_entry_set_rdevmajor(e, m->devmajor);
			archive_entry_set_rdevminor(e, m->devminor);
		}
	}
	r = archive_write_header(tw->a, e);
	/* ARCHIVE_WARN: a name not valid UTF-8 was stored as binary */
	if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
		return tw_fail(tw, "cannot write header for", name);
	return 0;
}

int
tarw_data(struct tar_writer *tw, const void *p, size_t n, struct dupc_err *err)
{
	const char *c = p;

	tw->err = err;
	while (n > 0) {
		la_ssize_t w = archive_write_data(tw->a, c, n);

		if (w <= 0)
			return tw_fail(tw, "cannot write data", "");
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int
tarw_end_entry(struct tar_writer *tw, struct dupc_err *err)
{
	tw->err = err;
	if (tw->failed)
		return -1;
	if (archive_write_finish_entry(tw->a) != ARCHIVE_OK)
		return tw_fail(tw, "cannot finish entry", "");
	return 0;
}

int
tarw_finish(struct tar_writer *tw, struct dupc_err *err)
{
	tw->err = err;
	if (tw->failed)
		return -1;
	if (archive_write_close(tw->a) != ARCHIVE_OK)
		return tw_fail(tw, "cannot finish", "stream");
	return 0;
}

uint64_t
tarw_bytes(const struct tar_writer *tw)
{
	return tw->bytes;
}

void
tarw_free(struct tar_writer *tw)
{
	if (tw == NULL)
		return;
	/* archive_write_free closes (writes trailers) when still open;
	 * stop the callback from writing into a sink that may be gone */
	tw->failed = 1;
	archive_write_free(tw->a);
	archive_entry_free(tw->entry);
	free(tw);
}

struct tar_reader {
	struct archive *a;
	struct source *in;
	struct dupc_err *err;
	int failed;
	int done;
	bool started;
	char what[256];
	unsigned char block[65536];
};

/*
 * The root of a backup whose source is a file is a regular-file entry
 * named "snapshot/", "diff/" or "signature/" (diffdir.py names the root
 * "." and drops it behind the prefix).  libarchive takes any regular entry
 * whose name ends in '/' for an old-style directory and skips none of its
 * data, which it then reads as the next header.  Such a root is always the
 * first header of a stream, so that one header is renamed to
 * "snapshot/." (the same index to entry_name_parse) and its checksum
 * recomputed; nothing else is touched.
 */
static void
fix_root_file_header(unsigned char *h, size_t n)
{
	static const char *const roots[] = { "snapshot/", "diff/",
		"signature/" };
	unsigned sum = 0;
	size_t i, len;

	if (n < 512 || memcmp(h + 257, "ustar", 5) != 0 ||
	    (h[156] != '0' && h[156] != '\0') || h[345] != '\0')
		return;
	len = strnlen((const char *)h, 100);
	for (i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
		if (len == strlen(roots[i]) && memcmp(h, roots[i], len) == 0)
			break;
	if (i == sizeof(roots) / sizeof(roots[0]) || len + 1 >= 100)
		return;
	h[len] = '.';
	memset(h + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum & 0777777);
	h[155] = ' ';
}

static la_ssize_t
tr_read_cb(struct archive *a, void *ud, const void **buf)
{
	struct tar_reader *tr = ud;
	size_t got;
	int rc;

	(void)a;
	*buf = tr->block;
	if (tr->failed)
		return -1;
	/* the first block whole, so its header can be looked at */
	rc = tr->started
		 ? source_read(tr->in, tr->block, sizeof(tr->block), &got,
		       tr->err)
		 : source_read_full(tr->in, tr->block, 512, &got, tr->err);
	if (rc < 0) {
		tr->failed = 1;
		return -1;
	}
	if (!tr->started)
		fix_root_file_header(tr->block, got);
	tr->started = true;
	return (la_ssize_t)got;
}

struct tar_reader *
tarr_new(struct source *in, const char *what, struct dupc_err *err)
{
	struct tar_reader *tr = calloc(1, sizeof(*tr));

	if (tr == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		return NULL;
	}
	tr->in = in;
	tr->err = err;
	strncpy(tr->what, what, sizeof(tr->what) - 1);
	tr->a = archive_read_new();
	/* "empty": a zero-byte stream is an archive with no entries.  An
	 * incremental with no changes has such a volume (a 20-byte gzip
	 * file holding nothing); duplicity's util.make_tarfile turns
	 * tarfile's "empty file" error into an empty archive. */
	if (tr->a == NULL ||
	    archive_read_support_format_tar(tr->a) != ARCHIVE_OK ||
	    archive_read_support_format_empty(tr->a) != ARCHIVE_OK ||
	    archive_read_open(tr->a, tr, NULL, tr_read_cb, NULL) !=
		ARCHIVE_OK) {
		/* a failing source (a wrong passphrase...) said why already */
		if (!tr->failed)
			err_set(err, E_GENERIC,
			    "%s: cannot read tar stream: %s", what,
			    tr->a && archive_error_string(tr->a)
				? archive_error_string(tr->a)
				: "no data");
		tarr_free(tr);
		return NULL;
	}
	return tr;
}

static enum obj_type
type_of_ae(unsigned ft)
{
	switch (ft) {
	case AE_IFREG:
		return OBJ_REG;
	case AE_IFDIR:
		return OBJ_DIR;
	case AE_IFLNK:
		return OBJ_SYMLINK;
	case AE_IFIFO:
		return OBJ_FIFO;
	case AE_IFCHR:
		return OBJ_CHR;
	case AE_IFBLK:
		return OBJ_BLK;
	default:
		return OBJ_NONE;
	}
}

static void
copy_name(char *dst, size_t n, const char *src)
{
	if (src == NULL) {
		dst[0] = '\0';
		return;
	}
	strncpy(dst, src, n - 1);
	dst[n - 1] = '\0';
}

static int
fill_meta(struct tar_reader *tr, struct archive_entry *e, struct obj_meta *m)
{
	const char *link;

	meta_release(m);
	m->type = type_of_ae(archive_entry_filetype(e));
	m->mode = (uint32_t)(archive_entry_perm(e) & 07777);
	m->uid = archive_entry_uid(e);
	m->gid = archive_entry_gid(e);
	copy_name(m->uname, sizeof(m->uname), archive_entry_uname(e));
	copy_name(m->gname, sizeof(m->gname), archive_entry_gname(e));
	m->mtime = archive_entry_mtime(e);
	m->size =
	    archive_entry_size(e) < 0 ? 0 : (uint64_t)archive_entry_size(e);
	m->devmajor = (uint32_t)archive_entry_rdevmajor(e);
	m->devminor = (uint32_t)archive_entry_rdevminor(e);
	if (m->type == OBJ_SYMLINK) {
		link = archive_entry_symlink(e);
		if (link == NULL || strlen(link) >= META_LINK_MAX)
			return err_set(tr->err, E_GENERIC,
			    "%s: symlink entry with a missing or oversized target",
			    tr->what);
		m->linkname = strdup(link);
		if (m->linkname == NULL)
			return err_set(tr->err, E_GENERIC, "out of memory");
	}
	return 0;
}

int
tarr_next(struct tar_reader *tr, struct tar_entry *te, struct obj_meta *m,
    struct dupc_err *err)
{
	struct archive_entry *e;
	const char *name;
	int r;

	tr->err = err;
	if (tr->done)
		return 0;
	r = archive_read_next_header(tr->a, &e);
	if (r == ARCHIVE_EOF) {
		tr->done = 1;
		return 0;
	}
	if (tr->failed)
		return -1;
	if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
		return err_set(err, E_GENERIC, "%s: bad tar data: %s", tr->what,
		    archive_error_string(tr->a) ? archive_error_string(tr->a)
						: "unreadable header");
	name = archive_entry_pathname(e);
	if (name == NULL || *name == '\0' || strlen(name) >= TAR_NAME_MAX)
		return err_set(err, E_GENERIC,
		    "%s: tar entry with an empty or oversized name", tr->what);
	/* libarchive fills the holes of a sparse entry with zeros, so a
	 * few header bytes could stand for terabytes of data; Python's
	 * tarfile never writes one */
	if (archive_entry_sparse_count(e) > 0)
		return err_set(err, E_GENERIC,
		    "%s: sparse tar entry '%.200s' (duplicity archives never hold these)",
		    tr->what, name);
	if (fill_meta(tr, e, m) < 0)
		return -1;
	te->name = name;
	te->size = m->type == OBJ_REG ? m->size : 0;
	te->hardlink = archive_entry_hardlink(e) != NULL;
	if (te->hardlink)
		te->size = 0;
	return 1;
}

int
tarr_read(struct tar_reader *tr, void *p, size_t cap, size_t *got,
    struct dupc_err *err)
{
	la_ssize_t r;

	tr->err = err;
	r = archive_read_data(tr->a, p, cap);
	if (r < 0) {
		if (tr->failed)
			return -1;
		return err_set(err, E_GENERIC, "%s: bad tar data: %s", tr->what,
		    archive_error_string(tr->a) ? archive_error_string(tr->a)
						: "read failed");
	}
	*got = (size_t)r;
	return 0;
}

void
tarr_free(struct tar_reader *tr)
{
	if (tr == NULL)
		return;
	if (tr->a != NULL)
		archive_read_free(tr->a);
	free(tr);
}
