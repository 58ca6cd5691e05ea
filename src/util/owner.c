/*
 * Owner name lookups with small caches.
 */
#define _DEFAULT_SOURCE
#include "util/owner.h"

#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "util/meta.h"

#define CACHE_SLOTS 64

struct id_name {
	bool used;
	int64_t id; /* -1 when the name is unknown here */
	char name[META_NAME_MAX];
};

static struct id_name by_uid[CACHE_SLOTS], by_gid[CACHE_SLOTS];
static struct id_name by_uname[CACHE_SLOTS], by_gname[CACHE_SLOTS];

static struct id_name *
slot_for_id(struct id_name *tab, int64_t id)
{
	return &tab[(uint64_t)id % CACHE_SLOTS];
}

static struct id_name *
slot_for_name(struct id_name *tab, const char *name)
{
	unsigned h = 5381;

	while (*name)
		h = h * 33 + (unsigned char)*name++;
	return &tab[h % CACHE_SLOTS];
}

static void
lookup_id(int64_t id, bool user, char *out)
{
	struct id_name *e = slot_for_id(user ? by_uid : by_gid, id);
	char buf[4096];

	if (e->used && e->id == id) {
		memcpy(out, e->name, META_NAME_MAX);
		return;
	}
	out[0] = '\0';
	if (user) {
		struct passwd pw, *res = NULL;

		if (getpwuid_r((uid_t)id, &pw, buf, sizeof(buf), &res) == 0 &&
		    res != NULL)
			strncpy(out, pw.pw_name, META_NAME_MAX - 1);
	} else {
		struct group gr, *res = NULL;

		if (getgrgid_r((gid_t)id, &gr, buf, sizeof(buf), &res) == 0 &&
		    res != NULL)
			strncpy(out, gr.gr_name, META_NAME_MAX - 1);
	}
	out[META_NAME_MAX - 1] = '\0';
	e->used = true;
	e->id = id;
	memcpy(e->name, out, META_NAME_MAX);
}

void
owner_names(int64_t uid, int64_t gid, char *uname, char *gname)
{
	lookup_id(uid, true, uname);
	lookup_id(gid, false, gname);
}

static int64_t
lookup_name(const char *name, bool user)
{
	struct id_name *e = slot_for_name(user ? by_uname : by_gname, name);
	char buf[4096];
	int64_t id = -1;

	if (e->used && strcmp(e->name, name) == 0)
		return e->id;
	if (user) {
		struct passwd pw, *res = NULL;

		if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) == 0 &&
		    res != NULL)
			id = res->pw_uid;
	} else {
		struct group gr, *res = NULL;

		if (getgrnam_r(name, &gr, buf, sizeof(buf), &res) == 0 &&
		    res != NULL)
			id = res->gr_gid;
	}
	e->used = true;
	e->id = id;
	strncpy(e->name, name, META_NAME_MAX - 1);
	e->name[META_NAME_MAX - 1] = '\0';
	return id;
}

void
owner_resolve(const char *uname, int64_t uid, const char *gname, int64_t gid,
    bool numeric, int64_t *uidp, int64_t *gidp)
{
	int64_t u = -1, g = -1;

	if (!numeric && uname != NULL && *uname)
		u = lookup_name(uname, true);
	if (!numeric && gname != NULL && *gname)
		g = lookup_name(gname, false);
	*uidp = u >= 0 ? u : uid;
	*gidp = g >= 0 ? g : gid;
}
