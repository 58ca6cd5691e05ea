/*
 * Wiping memory that held secrets.  explicit_bzero is not optimised away
 * the way a memset before free can be.
 */
#define _DEFAULT_SOURCE
#include "secret.h"

#include <stdlib.h>
#include <string.h>

void
secret_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		explicit_bzero(p, n);
}

void
secret_free(char *s)
{
	if (s == NULL)
		return;
	secret_wipe(s, strlen(s));
	free(s);
}

char *
secret_dup(const char *s)
{
	return s ? strdup(s) : NULL;
}
