/*
 * Remote file naming.  The grammar mirrors file_naming.py's regular
 * expressions: a fixed head ("duplicity-full."), a time that runs to the
 * first following literal (non-greedy), the kind-specific tail, then end
 * of name or '.'.  Short names are tried first, as 0.8.22 does.  Names
 * are written in the style asked for (--short-filenames, --old-filenames);
 * every style is read whatever was asked, so archives written either way
 * stay readable.
 */
#include "format/names.h"

#include <stdio.h>
#include <string.h>

#include "format/dtime.h"
#include "util/buf.h"
#include "util/parse.h"

/* Does ${s} start with ${p}?  Returns the rest or NULL. */
static const char *
skip(const char *s, const char *p)
{
	size_t n = strlen(p);

	return strncmp(s, p, n) == 0 ? s + n : NULL;
}

/* The name must end or continue with '.' after a match. */
static bool
at_boundary(const char *s)
{
	return *s == '\0' || *s == '.';
}

/* Parse a long-name time token of ${n} bytes. */
static int
parse_time_tok(const char *s, size_t n, int64_t *out)
{
	char tok[DTIME_STR_MAX + 8];
	size_t i;

	if (n == 0 || n >= sizeof(tok))
		return -1;
	for (i = 0; i < n; i++) {
		char c = s[i];

		tok[i] = (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
	}
	tok[n] = '\0';
	return dtime_from_string(tok, out);
}

/*
 * Find the shortest time token at ${s} followed by ${lit} such that the
 * remainder after ${lit} satisfies ${tail}.  Sets *t and returns the text
 * after ${lit}, or NULL.  This is the non-greedy ".*?" of the regexps.
 */
static const char *
time_then(const char *s, const char *lit, int64_t *t)
{
	const char *p = s;

	while ((p = strstr(p, lit)) != NULL) {
		if (parse_time_tok(s, (size_t)(p - s), t) == 0)
			return p + strlen(lit);
		/* the regexp takes the first occurrence; a time that does
		 * not parse makes the whole name unrecognised */
		return NULL;
	}
	return NULL;
}

static const char *
opt_part(const char *s, const char *infix, bool *partial)
{
	const char *r = skip(s, infix);

	*partial = r != NULL;
	return r ? r : s;
}

static int
base36(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned d;

		if (s[i] >= '0' && s[i] <= '9')
			d = (unsigned)(s[i] - '0');
		else if (s[i] >= 'a' && s[i] <= 'z')
			d = (unsigned)(s[i] - 'a' + 10);
		else
			return -1;
		if (mul_u64(v, 36, &v) < 0 || add_u64(v, d, &v) < 0)
			return -1;
	}
	*out = v;
	return 0;
}

/* Read a base-36 token ending at the next '.'; returns the text at the
 * '.', or NULL. */
static const char *
b36_tok(const char *s, uint64_t *out)
{
	const char *dot = strchr(s, '.');

	if (dot == NULL || base36(s, (size_t)(dot - s), out) < 0)
		return NULL;
	return dot;
}

static void
set_suffix_flags(const char *name, bool shortname, struct name_info *ni)
{
	size_t n = strlen(name);

	ni->compressed =
	    (n >= 2 && strcmp(name + n - 2, ".z") == 0) ||
	    (!shortname && n >= 2 && strcmp(name + n - 2, "gz") == 0);
	ni->encrypted =
	    (n >= 2 && strcmp(name + n - 2, ".g") == 0) ||
	    (!shortname && n >= 4 && strcmp(name + n - 4, ".gpg") == 0);
}

/* Short names: df.T.N.dt, df.T.m, di.A.B.N.dt, di.A.B.m, dfs.T.st,
 * dns.A.B.st (base 36). */
static int
parse_short(const char *s, struct name_info *ni, const struct name_prefixes *pf)
{
	const char *r;
	uint64_t a, b, c;

	if ((r = skip(s, pf->archive)) != NULL && (r = skip(r, "df.")) &&
	    (r = b36_tok(r, &a)) && (r = skip(r, ".")) &&
	    (r = b36_tok(r, &b)) && (r = skip(r, ".dt"))) {
		r = opt_part(r, ".p", &ni->partial);
		if (at_boundary(r) && b > 0 && b < 1000000000) {
			ni->type = NAME_FULL;
			ni->time = (int64_t)a;
			ni->volume = (unsigned)b;
			/* file_naming.py drops the flag of volumes, short
			 * names as long ones */
			ni->partial = false;
			return 1;
		}
	}
	if ((r = skip(s, pf->manifest)) != NULL && (r = skip(r, "df.")) &&
	    (r = b36_tok(r, &a)) && (r = skip(r, ".m"))) {
		r = opt_part(r, ".p", &ni->partial);
		if (at_boundary(r)) {
			ni->type = NAME_FULL;
			ni->time = (int64_t)a;
			ni->manifest = true;
			return 1;
		}
	}
	if ((r = skip(s, pf->archive)) != NULL && (r = skip(r, "di.")) &&
	    (r = b36_tok(r, &a)) && (r = skip(r, ".")) &&
	    (r = b36_tok(r, &b)) && (r = skip(r, ".")) &&
	    (r = b36_tok(r, &c)) && (r = skip(r, ".dt")) && at_boundary(r) &&
	    c > 0 && c < 1000000000) {
		ni->type = NAME_INC;
		ni->start = (int64_t)a;
		ni->end = (int64_t)b;
		ni->volume = (unsigned)c;
		return 1;
	}
	if ((r = skip(s, pf->manifest)) != NULL && (r = skip(r, "di.")) &&
	    (r = b36_tok(r, &a)) && (r = skip(r, ".")) &&
	    (r = b36_tok(r, &b)) && (r = skip(r, ".m"))) {
		r = opt_part(r, ".p", &ni->partial);
		if (at_boundary(r)) {
			ni->type = NAME_INC;
			ni->start = (int64_t)a;
			ni->end = (int64_t)b;
			ni->manifest = true;
			return 1;
		}
	}
	if ((r = skip(s, pf->signature)) != NULL && (r = skip(r, "dfs.")) &&
	    (r = b36_tok(r, &a)) && (r = skip(r, ".st"))) {
		r = opt_part(r, ".p", &ni->partial);
		if (at_boundary(r)) {
			ni->type = NAME_FULL_SIG;
			ni->time = (int64_t)a;
			return 1;
		}
	}
	if ((r = skip(s, pf->signature)) != NULL && (r = skip(r, "dns.")) &&
	    (r = b36_tok(r, &a)) && (r = skip(r, ".")) &&
	    (r = b36_tok(r, &b)) && (r = skip(r, ".st"))) {
		r = opt_part(r, ".p", &ni->partial);
		if (at_boundary(r)) {
			ni->type = NAME_NEW_SIG;
			ni->start = (int64_t)a;
			ni->end = (int64_t)b;
			return 1;
		}
	}
	return 0;
}

/* "vol<digits>.difftar" at ${r}; returns the rest or NULL. */
static const char *
vol_tail(const char *r, unsigned *vol)
{
	const char *p = r;
	uint64_t v;

	while (*p >= '0' && *p <= '9')
		p++;
	if (p == r || parse_u64_n(r, (size_t)(p - r), &v) < 0 || v == 0 ||
	    v > 1000000000)
		return NULL;
	*vol = (unsigned)v;
	return skip(p, ".difftar");
}

static int
parse_long_full(const char *s, const struct name_prefixes *pf,
    struct name_info *ni)
{
	const char *r, *t;
	int64_t tm;

	/* volume: duplicity-full.T.volN.difftar[.part] */
	if ((r = skip(s, pf->archive)) && (r = skip(r, "duplicity-full.")) &&
	    (t = time_then(r, ".vol", &tm)) && (t = vol_tail(t, &ni->volume))) {
		t = opt_part(t, ".part", &ni->partial);
		if (at_boundary(t)) {
			ni->type = NAME_FULL;
			ni->time = tm;
			ni->partial = false; /* flag ignored for volumes */
			return 1;
		}
	}
	ni->volume = 0;
	if ((r = skip(s, pf->manifest)) && (r = skip(r, "duplicity-full.")) &&
	    (t = time_then(r, ".manifest", &tm))) {
		t = opt_part(t, ".part", &ni->partial);
		if (at_boundary(t)) {
			ni->type = NAME_FULL;
			ni->time = tm;
			ni->manifest = true;
			return 1;
		}
	}
	return 0;
}

static int
parse_long_inc(const char *s, const struct name_prefixes *pf,
    struct name_info *ni)
{
	const char *r, *t;
	int64_t a, b;

	if ((r = skip(s, pf->archive)) && (r = skip(r, "duplicity-inc.")) &&
	    (t = time_then(r, ".to.", &a)) && (t = time_then(t, ".vol", &b)) &&
	    (t = vol_tail(t, &ni->volume)) && at_boundary(t)) {
		ni->type = NAME_INC;
		ni->start = a;
		ni->end = b;
		return 1;
	}
	ni->volume = 0;
	if ((r = skip(s, pf->manifest)) && (r = skip(r, "duplicity-inc.")) &&
	    (t = time_then(r, ".to.", &a)) &&
	    (t = time_then(t, ".manifest", &b))) {
		t = opt_part(t, ".part", &ni->partial);
		if (at_boundary(t)) {
			ni->type = NAME_INC;
			ni->start = a;
			ni->end = b;
			ni->manifest = true;
			return 1;
		}
	}
	return 0;
}

static int
parse_long_sig(const char *s, const struct name_prefixes *pf,
    struct name_info *ni)
{
	const char *r, *t;
	int64_t a, b;

	if ((r = skip(s, pf->signature)) &&
	    (r = skip(r, "duplicity-full-signatures.")) &&
	    (t = time_then(r, ".sigtar", &a))) {
		t = opt_part(t, ".part", &ni->partial);
		if (at_boundary(t)) {
			ni->type = NAME_FULL_SIG;
			ni->time = a;
			return 1;
		}
	}
	if ((r = skip(s, pf->signature)) &&
	    (r = skip(r, "duplicity-new-signatures.")) &&
	    (t = time_then(r, ".to.", &a)) &&
	    (t = time_then(t, ".sigtar", &b))) {
		t = opt_part(t, ".part", &ni->partial);
		if (at_boundary(t)) {
			ni->type = NAME_NEW_SIG;
			ni->start = a;
			ni->end = b;
			return 1;
		}
	}
	return 0;
}

int
names_parse(const char *name, const struct name_prefixes *pfx,
    struct name_info *out)
{
	static const struct name_prefixes none = { .all = "",
		.manifest = "",
		.archive = "",
		.signature = "" };
	struct name_prefixes pf;
	struct name_info ni;
	const char *s;
	bool shortname = true;
	int ok;

	/* names become paths in the archive dir: one component only,
	 * whatever a listing holds ("...manifest/../../x" would otherwise
	 * match, as anything may follow a '.') */
	if (strchr(name, '/') != NULL)
		return 0;
	if (pfx == NULL)
		pfx = &none;
	pf.all = pfx->all ? pfx->all : "";
	pf.manifest = pfx->manifest ? pfx->manifest : "";
	pf.archive = pfx->archive ? pfx->archive : "";
	pf.signature = pfx->signature ? pfx->signature : "";
	s = skip(name, pf.all);
	if (s == NULL)
		return 0;
	memset(&ni, 0, sizeof(ni));
	ok = parse_short(s, &ni, &pf);
	if (!ok) {
		shortname = false;
		memset(&ni, 0, sizeof(ni));
		ok = parse_long_full(s, &pf, &ni);
		if (!ok) {
			memset(&ni, 0, sizeof(ni));
			ok = parse_long_inc(s, &pf, &ni);
		}
		if (!ok) {
			memset(&ni, 0, sizeof(ni));
			ok = parse_long_sig(s, &pf, &ni);
		}
	}
	if (!ok)
		return 0;
	set_suffix_flags(name, shortname, &ni);
	*out = ni;
	return 1;
}

/* Base 36, as file_naming.py to_base36 writes it (no leading zeros). */
static void
to_base36(uint64_t v, char *out)
{
	char tmp[16];
	size_t n = 0, i;

	do {
		unsigned d = (unsigned)(v % 36);

		tmp[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
		v /= 36;
	} while (v > 0);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
}

/* file_naming.py get() with short_filenames: df/di/dfs/dns, base 36. */
static int
build_short(struct buf *out, const char *all, const char *kind,
    const struct name_info *ni, const char *suf)
{
	char t1[16], t2[16], v[16];
	const char *part = ni->partial ? ".p" : "";
	bool full = ni->type == NAME_FULL || ni->type == NAME_FULL_SIG;

	if (ni->time < 0 || ni->start < 0 || ni->end < 0)
		return -1;
	to_base36((uint64_t)(full ? ni->time : ni->start), t1);
	to_base36((uint64_t)ni->end, t2);
	to_base36(ni->volume, v);
	switch (ni->type) {
	case NAME_FULL:
		if (ni->manifest)
			return buf_addf(out, "%s%sdf.%s.m%s%s", all, kind, t1,
			    part, suf);
		return buf_addf(out, "%s%sdf.%s.%s.dt%s%s", all, kind, t1, v,
		    part, suf);
	case NAME_INC:
		if (ni->manifest)
			return buf_addf(out, "%s%sdi.%s.%s.m%s%s", all, kind,
			    t1, t2, part, suf);
		return buf_addf(out, "%s%sdi.%s.%s.%s.dt%s%s", all, kind, t1,
		    t2, v, part, suf);
	case NAME_FULL_SIG:
		return buf_addf(out, "%s%sdfs.%s.st%s%s", all, kind, t1, part,
		    suf);
	case NAME_NEW_SIG:
		return buf_addf(out, "%s%sdns.%s.%s.st%s%s", all, kind, t1, t2,
		    part, suf);
	}
	return -1;
}

static void
time_str(enum name_style style, int64_t t, char *out)
{
	if (style == NAME_STYLE_OLD)
		dtime_to_w3_local(t, out);
	else
		dtime_to_string(t, out);
}

int
names_build(struct buf *out, const struct name_prefixes *pfx,
    const struct name_info *ni, enum name_suffix suffix)
{
	char t1[DTIME_STR_MAX], t2[DTIME_STR_MAX];
	const char *all = pfx && pfx->all ? pfx->all : "";
	enum name_style style = pfx ? pfx->style : NAME_STYLE_LONG;
	bool sh = style == NAME_STYLE_SHORT;
	const char *kind;
	const char *part = ni->partial ? ".part" : "";
	const char *suf = suffix == SUFFIX_GPG  ? (sh ? ".g" : ".gpg")
			  : suffix == SUFFIX_GZ ? (sh ? ".z" : ".gz")
						: "";

	if (ni->type == NAME_FULL_SIG || ni->type == NAME_NEW_SIG)
		kind = pfx && pfx->signature ? pfx->signature : "";
	else if (ni->manifest)
		kind = pfx && pfx->manifest ? pfx->manifest : "";
	else
		kind = pfx && pfx->archive ? pfx->archive : "";
	if (sh)
		return build_short(out, all, kind, ni, suf);
	switch (ni->type) {
	case NAME_FULL:
		time_str(style, ni->time, t1);
		if (ni->manifest)
			return buf_addf(out,
			    "%s%sduplicity-full.%s.manifest%s%s", all, kind, t1,
			    part, suf);
		return buf_addf(out, "%s%sduplicity-full.%s.vol%u.difftar%s%s",
		    all, kind, t1, ni->volume, part, suf);
	case NAME_INC:
		time_str(style, ni->start, t1);
		time_str(style, ni->end, t2);
		if (ni->manifest)
			return buf_addf(out,
			    "%s%sduplicity-inc.%s.to.%s.manifest%s%s", all,
			    kind, t1, t2, part, suf);
		return buf_addf(out,
		    "%s%sduplicity-inc.%s.to.%s.vol%u.difftar%s%s", all, kind,
		    t1, t2, ni->volume, part, suf);
	case NAME_FULL_SIG:
		time_str(style, ni->time, t1);
		return buf_addf(out,
		    "%s%sduplicity-full-signatures.%s.sigtar%s%s", all, kind,
		    t1, part, suf);
	case NAME_NEW_SIG:
		time_str(style, ni->start, t1);
		time_str(style, ni->end, t2);
		return buf_addf(out,
		    "%s%sduplicity-new-signatures.%s.to.%s.sigtar%s%s", all,
		    kind, t1, t2, part, suf);
	}
	return -1;
}

size_t
names_base_len(const char *name)
{
	static const char *const sufs[] = { ".gpg", ".gz", ".g", ".z",
		".part" };
	size_t n = strlen(name), i;

	for (i = 0; i < sizeof(sufs) / sizeof(sufs[0]); i++) {
		size_t k = strlen(sufs[i]);

		if (n > k && strcmp(name + n - k, sufs[i]) == 0)
			return n - k;
	}
	return n;
}
