/*
 * Fuzz target: sigtar and difftar entries, read through libarchive
 * (format/tar.c) and turned into indexes by dupc's entry-name checks
 * (format/entry.c) — the boundary where archive bytes become paths.
 *
 * Input: one option byte (bit 0: the rest is gzip-compressed, as volumes
 * are), then the tar stream.
 *
 * Properties: an accepted entry name yields a valid index (no "..", ".",
 * empty component, NUL or leading '/'); building the name back from the
 * index and parsing it gives the same entry; no entry claims more data
 * than the stream can hold (a sparse entry would).
 */
#include "fuzz.h"

#include <string.h>

#include "codec/gzip.h"
#include "format/entry.h"
#include "format/tar.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/meta.h"
#include "util/path.h"
#include "util/stream.h"

#define MAX_ENTRIES 4096

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_verbosity(-1);
	tar_init_locale();
	return 0;
}

static void
check_name(const char *name, const struct obj_meta *m)
{
	struct entry_name en, back;
	struct buf index, rebuilt, index2;
	struct dupc_err err;

	buf_init(&index, TAR_NAME_MAX);
	buf_init(&rebuilt, TAR_NAME_MAX + 64);
	buf_init(&index2, TAR_NAME_MAX);
	err_clear(&err);
	if (entry_name_parse(name, &en, &index, &err) == 0) {
		const char *idx = buf_str(&index);

		FUZZ_ASSERT(strlen(idx) == index.len);
		FUZZ_ASSERT(index_valid(idx));
		FUZZ_ASSERT(idx[0] != '/');
		FUZZ_ASSERT(!en.multivol || en.chunk >= 1);
		FUZZ_ASSERT(
		    entry_name_build(&rebuilt, en.kind, idx, m->type == OBJ_DIR,
			false, en.multivol ? en.chunk : 0) == 0);
		FUZZ_ASSERT(entry_name_parse(buf_str(&rebuilt), &back, &index2,
				&err) == 0);
		FUZZ_ASSERT(back.kind == en.kind);
		FUZZ_ASSERT(back.multivol == en.multivol);
		FUZZ_ASSERT(back.chunk == en.chunk);
		FUZZ_ASSERT(strcmp(buf_str(&index2), idx) == 0);
	}
	buf_release(&index);
	buf_release(&rebuilt);
	buf_release(&index2);
}

static void
read_entries(struct source *in, size_t limit)
{
	static unsigned char block[65536];
	struct tar_reader *tr;
	struct tar_entry te;
	struct obj_meta m;
	struct dupc_err err;
	unsigned n = 0;

	err_clear(&err);
	meta_init(&m);
	tr = tarr_new(in, "fuzz", &err);
	if (tr == NULL)
		return;
	while (n++ < MAX_ENTRIES && tarr_next(tr, &te, &m, &err) == 1) {
		uint64_t total = 0;
		size_t got;

		FUZZ_ASSERT(te.name != NULL && strlen(te.name) < TAR_NAME_MAX);
		FUZZ_ASSERT(m.type != OBJ_SYMLINK || m.linkname != NULL);
		check_name(te.name, &m);
		while (tarr_read(tr, block, sizeof(block), &got, &err) == 0 &&
		       got > 0) {
			total += got;
			/* data comes from the stream, never from thin air */
			FUZZ_ASSERT(total <= limit);
		}
	}
	meta_release(&m);
	tarr_free(tr);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned opt = fuzz_take(&data, &size);
	struct source *raw = mem_source_new(data, size), *in = raw;
	struct dupc_err err;

	err_clear(&err);
	if (raw == NULL)
		return 0;
	if (opt & 1) {
		in = gunzip_source_new(raw, "fuzz", &err);
		if (in == NULL) {
			source_free(raw);
			return 0;
		}
	}
	/* gzip can expand about 1032 times */
	read_entries(in, (opt & 1) ? size * 1100 + 65536 : size);
	if (in != raw)
		source_free(in);
	source_free(raw);
	return 0;
}
