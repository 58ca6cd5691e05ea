#ifndef DUPC_FORMAT_NAMES_H
#define DUPC_FORMAT_NAMES_H

/*
 * Remote file names (duplicity/file_naming.py): what a name in a backend
 * listing means, and the names dupc writes.  Long names (UTC or W3C
 * times) and short (base-36) names are read; long names are written
 * unless another style is asked for.  Names that do not parse are not
 * duplicity files and are ignored by callers.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

enum name_type {
	NAME_FULL,     /* full set: volume or manifest */
	NAME_INC,      /* incremental set: volume or manifest */
	NAME_FULL_SIG, /* duplicity-full-signatures */
	NAME_NEW_SIG,  /* duplicity-new-signatures */
};

/*
 * The form of the names names_build writes: duplicity's default, the
 * base-36 short names of --short-filenames, or the local W3C times of
 * --old-filenames (both deprecated in duplicity 0.8, read in every case).
 */
enum name_style {
	NAME_STYLE_LONG,
	NAME_STYLE_SHORT,
	NAME_STYLE_OLD,
};

/*
 * Optional prefixes (--file-prefix and its per-kind variants), and the
 * form of the names written (style; NAME_STYLE_LONG when zeroed).
 */
struct name_prefixes {
	const char *all;
	const char *manifest;
	const char *archive;
	const char *signature;
	enum name_style style;
};

struct name_info {
	enum name_type type;
	bool manifest;   /* full/inc: the manifest, not a volume */
	unsigned volume; /* full/inc volume number (>= 1), else 0 */
	int64_t time;    /* full, full-sig: the set time */
	int64_t start;   /* inc, new-sig: previous set's time */
	int64_t end;     /* inc, new-sig: this set's time */
	bool encrypted;  /* ends with .gpg (or .g) */
	bool compressed; /* ends with gz (or .z) */
	bool partial;    /* .part / .p infix (local archive dir only) */
};

/*
 * names_parse(name, pfx, out):
 * Returns 1 and fills ${out} when ${name} is a duplicity file name, 0 when
 * it is not (${pfx} may be NULL for no prefixes).
 */
int names_parse(const char *, const struct name_prefixes *, struct name_info *);

/* Suffix kinds for names_build. */
enum name_suffix { SUFFIX_NONE, SUFFIX_GZ, SUFFIX_GPG };

/*
 * names_build(out, pfx, info, suffix):
 * Append the name described by ${info} to ${out}, in pfx->style (.part,
 * or .p for short names, when info->partial).  Returns 0 or -1 (buffer
 * full).
 */
int names_build(struct buf *, const struct name_prefixes *,
    const struct name_info *, enum name_suffix);

/* names_set_end(info): the time that orders sets (time or end). */
static inline int64_t
names_set_end(const struct name_info *ni)
{
	return (ni->type == NAME_FULL || ni->type == NAME_FULL_SIG) ? ni->time
								    : ni->end;
}

/*
 * names_base_len(name):
 * Length of ${name} without one trailing .gpg/.gz/.g/.z/.part suffix (the
 * "base name" metadata sync compares).
 */
size_t names_base_len(const char *);

#endif
