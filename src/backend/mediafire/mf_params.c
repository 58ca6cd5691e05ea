/*
 * Request parameters.  The signature covers the parameter string exactly as
 * it goes on the wire, so one function both orders and encodes it, and the
 * session layer hashes and sends the same bytes (mediafire-api.md 3.3).
 * Keys are sorted as the Python SDK sorts them; values are encoded as its
 * quote_plus encodes them.  Secret values are wiped on release, and encoded
 * strings are allocated once at their final size so no reallocation leaves
 * a copy of a token behind.
 */
#include "backend/mediafire/mf_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/secret.h"

void
mf_params_init(struct mf_params *p)
{
	p->v = NULL;
	p->n = 0;
	p->cap = 0;
}

void
mf_params_release(struct mf_params *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->v[i].key);
		if (p->v[i].secret)
			secret_free(p->v[i].value);
		else
			free(p->v[i].value);
	}
	free(p->v);
	mf_params_init(p);
}

static int
add(struct mf_params *p, const char *key, const char *value, bool secret)
{
	struct mf_param *e;

	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;
		struct mf_param *v = realloc(p->v, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		p->v = v;
		p->cap = cap;
	}
	e = &p->v[p->n];
	e->key = strdup(key);
	e->value = strdup(value);
	e->secret = secret;
	if (e->key == NULL || e->value == NULL) {
		free(e->key);
		if (e->value != NULL)
			secret_free(e->value);
		return -1;
	}
	p->n++;
	return 0;
}

int
mf_params_add(struct mf_params *p, const char *key, const char *value)
{
	return add(p, key, value, false);
}

int
mf_params_add_secret(struct mf_params *p, const char *key, const char *value)
{
	return add(p, key, value, true);
}

int
mf_params_add_u64(struct mf_params *p, const char *key, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRIu64, v);
	return add(p, key, num, false);
}

void
mf_params_sort(struct mf_params *p)
{
	size_t i, j;

	/* insertion sort: short lists, and it is stable */
	for (i = 1; i < p->n; i++) {
		struct mf_param e = p->v[i];

		for (j = i; j > 0 && strcmp(p->v[j - 1].key, e.key) > 0; j--)
			p->v[j] = p->v[j - 1];
		p->v[j] = e;
	}
}

static bool
unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-' ||
	       c == '~';
}

static size_t
enc_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += unreserved((unsigned char)*s) || *s == ' ' ? 1 : 3;
	return n;
}

static char *
enc(char *o, const char *s)
{
	static const char hexd[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (unreserved(c)) {
			*o++ = (char)c;
		} else if (c == ' ') {
			*o++ = '+';
		} else {
			*o++ = '%';
			*o++ = hexd[c >> 4];
			*o++ = hexd[c & 15];
		}
	}
	return o;
}

char *
mf_params_encode(const struct mf_params *p, size_t *lenp)
{
	size_t i, len = 0;
	char *s, *o;

	for (i = 0; i < p->n; i++)
		len += (i ? 1 : 0) + enc_len(p->v[i].key) + 1 +
		       enc_len(p->v[i].value);
	s = malloc(len + 1);
	if (s == NULL)
		return NULL;
	o = s;
	for (i = 0; i < p->n; i++) {
		if (i)
			*o++ = '&';
		o = enc(o, p->v[i].key);
		*o++ = '=';
		o = enc(o, p->v[i].value);
	}
	*o = '\0';
	if (lenp != NULL)
		*lenp = len;
	return s;
}

void
mf_wipe_free(char *s)
{
	secret_free(s);
}
