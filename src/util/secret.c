/*
 * Wiping memory that held secrets.  explicit_bzero is not optimised away
 * the way a memset before free can be.
 *
 * secret_dup() gives each secret pages of its own, locked into memory
 * (mlock: never written to swap) and left out of core dumps
 * (MADV_DONTDUMP).  Locking is best effort: under a small RLIMIT_MEMLOCK
 * the copy is still private and wiped, only swappable.  A registry of
 * those mappings lets secret_free() tell them from strings of malloc
 * (callers may hand it either).
 */
#define _DEFAULT_SOURCE
#include "secret.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct locked {
	void *p;
	size_t len;
	struct locked *next;
};

static pthread_mutex_t secret_mu = PTHREAD_MUTEX_INITIALIZER;
static struct locked *secret_maps;

void
secret_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		explicit_bzero(p, n);
}

/* Take ${p} out of the registry; its mapping length, or 0 if not ours. */
static size_t
unregister(void *p)
{
	struct locked **l, *m;
	size_t len = 0;

	pthread_mutex_lock(&secret_mu);
	for (l = &secret_maps; *l != NULL; l = &(*l)->next) {
		if ((*l)->p == p) {
			m = *l;
			*l = m->next;
			len = m->len;
			free(m);
			break;
		}
	}
	pthread_mutex_unlock(&secret_mu);
	return len;
}

void
secret_free(char *s)
{
	size_t len;

	if (s == NULL)
		return;
	secret_wipe(s, strlen(s));
	if ((len = unregister(s)) == 0) {
		free(s);
		return;
	}
	secret_wipe(s, len);
	munlock(s, len);
	munmap(s, len);
}

char *
secret_dup(const char *s)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t n, len;
	struct locked *m;
	void *p;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	if (page <= 0)
		page = 4096;
	len = (n + (size_t)page - 1) / (size_t)page * (size_t)page;
	if ((m = malloc(sizeof(*m))) == NULL)
		return NULL;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED) {
		free(m);
		return NULL;
	}
	(void)mlock(p, len);
	(void)madvise(p, len, MADV_DONTDUMP);
	memcpy(p, s, n);
	m->p = p;
	m->len = len;
	pthread_mutex_lock(&secret_mu);
	m->next = secret_maps;
	secret_maps = m;
	pthread_mutex_unlock(&secret_mu);
	return p;
}
