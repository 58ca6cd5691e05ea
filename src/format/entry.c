/*
 * Entry names: the boundary where archive bytes become paths.
 */
#include "format/entry.h"

#include <string.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/parse.h"
#include "util/path.h"

static const struct {
	const char *prefix;
	enum entry_kind kind;
	bool multivol;
} prefixes[] = {
	{ "snapshot/", EK_SNAPSHOT, false },
	{ "diff/", EK_DIFF, false },
	{ "deleted/", EK_DELETED, false },
	{ "signature/", EK_SIGNATURE, false },
	{ "multivol_snapshot/", EK_SNAPSHOT, true },
	{ "multivol_diff/", EK_DIFF, true },
};

int
entry_name_parse(const char *name, struct entry_name *out, struct buf *index,
    struct dupc_err *err)
{
	const char *rest = NULL;
	size_t i, n;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t k = strlen(prefixes[i].prefix);

		if (strncmp(name, prefixes[i].prefix, k) == 0) {
			rest = name + k;
			out->kind = prefixes[i].kind;
			out->multivol = prefixes[i].multivol;
			out->chunk = 0;
			break;
		}
	}
	if (rest == NULL)
		return err_set(err, E_GENERIC,
		    "unexpected archive entry '%.200s' (not a duplicity entry)",
		    name);
	n = strlen(rest);
	if (out->multivol) {
		const char *slash = strrchr(rest, '/');
		uint64_t k;

		if (slash == NULL || parse_u64(slash + 1, &k) < 0 || k == 0 ||
		    k > 1u << 30)
			return err_set(err, E_GENERIC,
			    "bad multivol entry '%.200s'", name);
		out->chunk = (long)k;
		n = (size_t)(slash - rest);
	}
	/* one trailing '/' (directories), then the root spellings; a
	 * multivol chunk is file data, so "a//1" keeps its empty component
	 * (duplicity's multivol regexp strips nothing either) */
	if (!out->multivol && n > 0 && rest[n - 1] == '/')
		n--;
	if (n == 1 && rest[0] == '.')
		n = 0;
	/* a root that is a file is cut into "multivol_snapshot/./1"...;
	 * "multivol_diff//1" (an empty name, which duplicity's regexp also
	 * reads as the root) is written by nothing and refused */
	if (out->multivol && rest[0] != '.' && n == 0)
		return err_set(err, E_GENERIC,
		    "bad multivol entry '%.200s' (an empty path)", name);
	buf_reset(index);
	if (buf_add(index, rest, n) < 0)
		return err_set(err, E_GENERIC, "archive entry name too long");
	if (!index_valid(buf_str(index)))
		return err_set(err, E_GENERIC,
		    "unsafe archive entry '%.200s': '..', '.' or empty path component; refusing it",
		    name);
	return 0;
}

int
entry_name_build(struct buf *out, enum entry_kind kind, const char *index,
    bool dir, bool in_sigtar, long chunk)
{
	const char *p;

	switch (kind) {
	case EK_SNAPSHOT:
		p = chunk > 0 ? "multivol_snapshot/" : "snapshot/";
		break;
	case EK_DIFF:
		p = chunk > 0 ? "multivol_diff/" : "diff/";
		break;
	case EK_DELETED:
		p = "deleted/";
		break;
	default:
		p = "signature/";
		break;
	}
	if (buf_addstr(out, p) < 0)
		return -1;
	if (*index == '\0') {
		/* diffdir.py names the root ".", "./" when a directory:
		 * "snapshot/./" for a directory in difftars, "snapshot/" in
		 * sigtars and for a file, "multivol_snapshot/./1" */
		if (chunk > 0)
			return buf_addf(out, "./%ld", chunk);
		if (kind == EK_SNAPSHOT && !in_sigtar && dir)
			return buf_addstr(out, "./");
		return 0;
	}
	if (buf_addstr(out, index) < 0)
		return -1;
	if (chunk > 0)
		return buf_addf(out, "/%ld", chunk);
	if (dir && kind == EK_SNAPSHOT)
		return buf_addch(out, '/');
	return 0;
}
