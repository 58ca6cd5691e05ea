/*
 * Object metadata records.
 */
#define _DEFAULT_SOURCE
#include "util/meta.h"

#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

void
meta_init(struct obj_meta *m)
{
	memset(m, 0, sizeof(*m));
}

void
meta_release(struct obj_meta *m)
{
	free(m->linkname);
	meta_init(m);
}

int
meta_copy(struct obj_meta *dst, const struct obj_meta *src)
{
	char *link = NULL;

	if (src->linkname != NULL && (link = strdup(src->linkname)) == NULL)
		return -1;
	free(dst->linkname);
	*dst = *src;
	dst->linkname = link;
	return 0;
}

enum obj_type
meta_type_of_mode(mode_t mode)
{
	if (S_ISREG(mode))
		return OBJ_REG;
	if (S_ISDIR(mode))
		return OBJ_DIR;
	if (S_ISLNK(mode))
		return OBJ_SYMLINK;
	if (S_ISFIFO(mode))
		return OBJ_FIFO;
	if (S_ISCHR(mode))
		return OBJ_CHR;
	if (S_ISBLK(mode))
		return OBJ_BLK;
	if (S_ISSOCK(mode))
		return OBJ_SOCK;
	return OBJ_NONE;
}

const char *
meta_type_name(enum obj_type t)
{
	switch (t) {
	case OBJ_REG:
		return "reg";
	case OBJ_DIR:
		return "dir";
	case OBJ_SYMLINK:
		return "sym";
	case OBJ_FIFO:
		return "fifo";
	case OBJ_CHR:
		return "chr";
	case OBJ_BLK:
		return "blk";
	case OBJ_SOCK:
		return "sock";
	case OBJ_NONE:
		break;
	}
	return "None";
}

int
meta_from_stat(struct obj_meta *m, const struct stat *st, const char *link,
    const char *uname, const char *gname)
{
	free(m->linkname);
	meta_init(m);
	m->type = meta_type_of_mode(st->st_mode);
	m->mode = (uint32_t)(st->st_mode & 07777);
	m->uid = st->st_uid;
	m->gid = st->st_gid;
	if (uname != NULL)
		strncpy(m->uname, uname, sizeof(m->uname) - 1);
	if (gname != NULL)
		strncpy(m->gname, gname, sizeof(m->gname) - 1);
	m->mtime = st->st_mtim.tv_sec;
	m->size = (uint64_t)st->st_size;
	if (m->type == OBJ_CHR || m->type == OBJ_BLK) {
		m->devmajor = major(st->st_rdev);
		m->devminor = minor(st->st_rdev);
	}
	if (link != NULL && (m->linkname = strdup(link)) == NULL)
		return -1;
	return 0;
}
