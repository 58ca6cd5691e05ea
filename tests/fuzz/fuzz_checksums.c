/*
 * Fuzz target: the lines of the archive dir's record of stored files
 * (format/checksums.c), a file other programs and killed runs may have
 * left in any state.
 *
 * Input: the record's bytes; each line is parsed.
 *
 * Properties: each line is parsed or refused cleanly; an accepted line
 * has a name of 1 to 255 bytes without '/' or control bytes, and is
 * written back to exactly the line it came from.
 */
#include "fuzz.h"

#include <string.h>

#include "format/checksums.h"
#include "util/buf.h"
#include "util/log.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_verbosity(-1);
	return 0;
}

static void
one_line(const char *p, size_t n)
{
	struct checksum_line l;
	char name[256];
	struct buf b;
	size_t i;

	if (checksums_parse_line(p, n, &l) < 0)
		return;
	FUZZ_ASSERT(l.name_len >= 1 && l.name_len <= 255);
	FUZZ_ASSERT(l.name >= p && l.name + l.name_len == p + n);
	for (i = 0; i < l.name_len; i++)
		FUZZ_ASSERT((unsigned char)l.name[i] >= 0x20 &&
			    l.name[i] != '/' && l.name[i] != 0x7f);
	memcpy(name, l.name, l.name_len);
	name[l.name_len] = '\0';
	buf_init(&b, CHECKSUMS_LINE_MAX);
	FUZZ_ASSERT(checksums_format_line(&b, name, l.size, l.sha256) == 0);
	/* a size with leading zeros is read, but written without them */
	if (p[0] != '0' || p[1] == ' ')
		FUZZ_ASSERT(b.len == n + 1 && memcmp(b.data, p, n) == 0);
	buf_release(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		one_line(p, n);
		p += n + 1;
	}
	return 0;
}
