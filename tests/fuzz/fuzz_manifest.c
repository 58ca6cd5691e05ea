/*
 * Fuzz target: set manifests (format/manifest.c), which come from the
 * target (or a hostile copy of it) before any volume is trusted.
 *
 * Input: the manifest bytes.
 *
 * Properties: every parsed volume has both paths; volumes are sorted and
 * unique; writing the parsed volumes back and parsing the result gives the
 * same volumes (what dupc writes, dupc reads).
 */
#include "fuzz.h"

#include <string.h>

#include "format/manifest.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

static void
check_volumes(const struct manifest *m)
{
	size_t i;

	for (i = 0; i < m->nvols; i++) {
		const struct manifest_volume *v = &m->vols[i];

		FUZZ_ASSERT(v->start_index != NULL && v->end_index != NULL);
		FUZZ_ASSERT(i == 0 || m->vols[i - 1].number < v->number);
		FUZZ_ASSERT(manifest_find(m, v->number) == v);
		(void)manifest_volume_may_contain(v, "");
		(void)manifest_volume_may_contain(v, "a");
		(void)manifest_volume_may_contain(v, v->end_index);
	}
}

static void
check_round_trip(const struct manifest *m)
{
	struct manifest back;
	struct dupc_err err;
	struct buf out;
	size_t i;

	buf_init(&out, 4 * MANIFEST_MAX_BYTES);
	FUZZ_ASSERT(manifest_write_header(&out, NULL, NULL) == 0);
	for (i = 0; i < m->nvols; i++)
		FUZZ_ASSERT(manifest_write_volume(&out, &m->vols[i]) == 0);
	manifest_init(&back);
	err_clear(&err);
	if (out.len <= MANIFEST_MAX_BYTES) {
		FUZZ_ASSERT(
		    manifest_parse(&back, buf_str(&out), out.len, &err) == 0);
		FUZZ_ASSERT(back.nvols == m->nvols);
		for (i = 0; i < m->nvols; i++) {
			const struct manifest_volume *a = &m->vols[i];
			const struct manifest_volume *b = &back.vols[i];

			FUZZ_ASSERT(a->number == b->number);
			FUZZ_ASSERT(
			    strcmp(a->start_index, b->start_index) == 0);
			FUZZ_ASSERT(strcmp(a->end_index, b->end_index) == 0);
			FUZZ_ASSERT(a->start_block == b->start_block);
			FUZZ_ASSERT(a->end_block == b->end_block);
			FUZZ_ASSERT(strcmp(a->hash_type, b->hash_type) == 0);
			FUZZ_ASSERT(strcmp(a->hash, b->hash) == 0);
		}
	}
	manifest_release(&back);
	buf_release(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest m;
	struct dupc_err err;
	const char *type, *hex;

	log_set_verbosity(-1);

	manifest_init(&m);
	err_clear(&err);
	if (manifest_parse(&m, (const char *)data, size, &err) == 0) {
		check_volumes(&m);
		check_round_trip(&m);
		if (m.nvols > 0)
			(void)manifest_best_hash(&m.vols[0], &type, &hex);
	} else {
		FUZZ_ASSERT(m.nvols == 0 && m.vols == NULL);
	}
	manifest_release(&m);
	return 0;
}
