#ifndef DUPC_TESTS_FUZZ_FUZZ_H
#define DUPC_TESTS_FUZZ_FUZZ_H

/*
 * Shared by the libFuzzer targets (tests/fuzz/fuzz_*.c), which are also
 * linked with replay.c for gcc builds.  A target defines
 * LLVMFuzzerTestOneInput; the first input bytes may select options, as in
 * git's oss-fuzz targets.  FUZZ_ASSERT states a property the code under
 * test promises (a round trip, a path check): breaking it aborts, which
 * both libFuzzer and the replay report as a crash.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int LLVMFuzzerInitialize(int *, char ***);

#define FUZZ_ASSERT(cond)                                               \
	do {                                                            \
		if (!(cond)) {                                          \
			fprintf(stderr, "%s:%d: property broken: %s\n", \
			    __FILE__, __LINE__, #cond);                 \
			abort();                                        \
		}                                                       \
	} while (0)

/* fuzz_take(data, size): consume one option byte (0 when empty). */
static inline unsigned
fuzz_take(const uint8_t **data, size_t *size)
{
	unsigned b;

	if (*size == 0)
		return 0;
	b = **data;
	(*data)++;
	(*size)--;
	return b;
}

#endif
