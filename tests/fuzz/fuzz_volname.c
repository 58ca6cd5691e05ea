/*
 * Fuzz target: remote file names (format/names.c) and the collection
 * grouped from a listing of them (format/collection.c).  A hostile target
 * controls every name a listing returns.
 *
 * Input: one option byte (bit 0: --file-prefix "p-", bit 1: per-kind
 * prefixes "m-", "a-", "s-"), then a listing, one name per line; a line
 * starting with "L:" is a name in the local archive dir instead.
 *
 * Properties: an accepted name holds no '/' (names become archive-dir
 * paths); the long name built from what was parsed parses back to the
 * same fields.
 */
#include "fuzz.h"

#include <stdbool.h>
#include <string.h>

#include "format/collection.h"
#include "format/names.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

#define MAX_NAMES 512
/* long names carry years 1901 to 2099 (dtime_from_string) */
#define TIME_MAX 4102444799 /* 2099-12-31T23:59:59Z */

static bool
sane_time(int64_t t)
{
	return t >= 0 && t <= TIME_MAX;
}

static void
check_round_trip(const struct name_prefixes *pfx, const struct name_info *ni)
{
	struct name_info back;
	struct buf b;
	enum name_suffix suf = ni->encrypted    ? SUFFIX_GPG
			       : ni->compressed ? SUFFIX_GZ
						: SUFFIX_NONE;

	if (!sane_time(ni->time) || !sane_time(ni->start) ||
	    !sane_time(ni->end))
		return;
	buf_init(&b, 4096);
	FUZZ_ASSERT(names_build(&b, pfx, ni, suf) == 0);
	FUZZ_ASSERT(names_parse(buf_str(&b), pfx, &back) == 1);
	FUZZ_ASSERT(back.type == ni->type);
	FUZZ_ASSERT(back.manifest == ni->manifest);
	FUZZ_ASSERT(back.volume == ni->volume);
	FUZZ_ASSERT(back.time == ni->time);
	FUZZ_ASSERT(back.start == ni->start && back.end == ni->end);
	FUZZ_ASSERT(back.partial == ni->partial);
	FUZZ_ASSERT(back.encrypted == ni->encrypted);
	FUZZ_ASSERT(back.compressed == (ni->compressed && !ni->encrypted));
	buf_release(&b);
}

static void
walk_collection(const char *const *remote, size_t nr, const char *const *local,
    size_t nl, const struct name_prefixes *pfx)
{
	struct collection c;
	struct dupc_err err;
	size_t i;

	err_clear(&err);
	memset(&c, 0, sizeof(c));
	if (collection_build(&c, remote, nr, local, nl, pfx, &err) == 0) {
		bool amb;
		const struct chain *ch;

		for (i = 0; i < c.nchains; i++) {
			ch = &c.chains[i];
			FUZZ_ASSERT(ch->full != NULL);
			(void)chain_nvolumes(ch);
			(void)chain_last(ch);
			(void)cset_find_volume(ch->full, 1);
		}
		ch = collection_chain_at(&c, 1700000000, &amb);
		(void)ch;
		(void)collection_primary(&c);
		(void)collection_sigchain_at(&c, 1700000000);
		(void)collection_nth_full_time(&c, 1);
	}
	collection_release(&c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned opt = fuzz_take(&data, &size);
	struct name_prefixes pfx = { .all = opt & 1 ? "p-" : NULL,
		.manifest = opt & 2 ? "m-" : NULL,
		.archive = opt & 2 ? "a-" : NULL,
		.signature = opt & 2 ? "s-" : NULL };
	char *text = malloc(size + 1), *line, *next;
	const char *remote[MAX_NAMES], *local[MAX_NAMES];
	size_t nr = 0, nl = 0;

	log_set_verbosity(-1);

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (line = text; line != NULL; line = next) {
		struct name_info ni;
		bool is_local = strncmp(line, "L:", 2) == 0;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (is_local)
			line += 2;
		if (names_parse(line, &pfx, &ni) == 1) {
			FUZZ_ASSERT(strchr(line, '/') == NULL);
			check_round_trip(&pfx, &ni);
		}
		(void)names_base_len(line);
		if (is_local && nl < MAX_NAMES)
			local[nl++] = line;
		else if (!is_local && nr < MAX_NAMES)
			remote[nr++] = line;
	}
	walk_collection(remote, nr, local, nl, &pfx);
	free(text);
	return 0;
}
