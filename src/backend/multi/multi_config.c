/*
 * multi://'s URL query and configuration file, parsed without I/O (see
 * multi_internal.h).  The file is the user's, but it may have been copied
 * from anywhere: every member is type-checked, lists are capped, and the
 * JSON goes through jansson with duplicates refused.
 */
#include "backend/multi/multi_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util/err.h"
#include "util/secret.h"
#include "util/url.h"

static int
nomem(struct dupc_err *err)
{
	return err_set(err, E_GENERIC, "out of memory");
}

/* The ${n} bytes at ${p}, percent-decoded. */
static char *
decode_range(const char *p, size_t n)
{
	char *raw = malloc(n + 1), *out;

	if (raw == NULL)
		return NULL;
	memcpy(raw, p, n);
	raw[n] = '\0';
	out = url_percent_decode(raw);
	free(raw);
	return out;
}

/* One "key=value" of the query. */
static int
query_pair(struct multi_url *mu, const char *p, size_t n, unsigned *seen,
    struct dupc_err *err)
{
	const char *eq = memchr(p, '=', n);
	char *key, *val;
	int rc = 0;

	if (eq == NULL)
		return err_set(err, E_BAD_URL,
		    "bad multi:// query: '%.*s' has no value (use mode=, onfail= or subpath=)",
		    (int)n, p);
	key = decode_range(p, (size_t)(eq - p));
	val = decode_range(eq + 1, n - (size_t)(eq - p) - 1);
	if (key == NULL || val == NULL) {
		rc = nomem(err);
	} else if (strcmp(key, "mode") == 0 && !(*seen & 1)) {
		*seen |= 1;
		if (strcmp(val, "mirror") == 0)
			mu->mode = MULTI_MIRROR;
		else if (strcmp(val, "stripe") == 0)
			mu->mode = MULTI_STRIPE;
		else
			rc = err_set(err, E_BAD_URL,
			    "bad multi:// mode '%s': use mode=mirror or mode=stripe",
			    val);
	} else if (strcmp(key, "onfail") == 0 && !(*seen & 2)) {
		*seen |= 2;
		if (strcmp(val, "continue") == 0)
			mu->onfail = MULTI_CONTINUE;
		else if (strcmp(val, "abort") == 0)
			mu->onfail = MULTI_ABORT;
		else
			rc = err_set(err, E_BAD_URL,
			    "bad multi:// onfail '%s': use onfail=continue or onfail=abort",
			    val);
	} else if (strcmp(key, "subpath") == 0 && !(*seen & 4)) {
		*seen |= 4;
		free(mu->subpath);
		mu->subpath = val;
		val = NULL;
	} else {
		rc = err_set(err, E_BAD_URL,
		    "bad multi:// query: '%s' is unknown or given twice (mode, onfail and subpath are known)",
		    key);
	}
	free(key);
	free(val);
	return rc;
}

int
multi_url_parse(struct multi_url *mu, const char *raw, struct dupc_err *err)
{
	const char *p = strstr(raw, "://"), *q, *amp;
	unsigned seen = 0;

	memset(mu, 0, sizeof(*mu));
	if (p == NULL)
		return err_set(err, E_BAD_URL, "bad multi:// URL");
	p += 3;
	q = strchr(p, '?');
	mu->path = decode_range(p, q ? (size_t)(q - p) : strlen(p));
	mu->subpath = strdup("");
	if (mu->path == NULL || mu->subpath == NULL)
		goto nomem;
	if (mu->path[0] == '\0') {
		multi_url_release(mu);
		return err_set(err, E_BAD_URL,
		    "multi:// needs the path of its configuration file, as in multi:///etc/dupc/multi.json?mode=mirror");
	}
	for (p = q ? q + 1 : NULL; p != NULL && *p != '\0';
	     p = amp ? amp + 1 : NULL) {
		amp = strchr(p, '&');
		if (query_pair(mu, p, amp ? (size_t)(amp - p) : strlen(p),
			&seen, err) < 0) {
			multi_url_release(mu);
			return -1;
		}
	}
	return 0;
nomem:
	multi_url_release(mu);
	return nomem(err);
}

void
multi_url_release(struct multi_url *mu)
{
	free(mu->path);
	free(mu->subpath);
	memset(mu, 0, sizeof(*mu));
}

static int
bad(struct dupc_err *err, size_t i, const char *what)
{
	return err_set(err, E_BAD_URL,
	    "bad multi:// configuration: store %zu %s", i + 1, what);
}

/* A list of strings: "prefixes". */
static int
string_list(const json_t *a, char ***vp, size_t *np, size_t i, const char *name,
    struct dupc_err *err)
{
	size_t k, n;
	char msg[96];

	if (!json_is_array(a) || (n = json_array_size(a)) > MULTI_LIST_MAX) {
		snprintf(msg, sizeof(msg),
		    "has \"%s\" that is not a list of at most %d strings", name,
		    MULTI_LIST_MAX);
		return bad(err, i, msg);
	}
	*vp = calloc(n + 1, sizeof(**vp));
	if (*vp == NULL)
		return nomem(err);
	for (k = 0; k < n; k++) {
		const char *s = json_string_value(json_array_get(a, k));

		if (s == NULL) {
			snprintf(msg, sizeof(msg),
			    "has a \"%s\" entry that is not a string", name);
			return bad(err, i, msg);
		}
		if (((*vp)[k] = strdup(s)) == NULL)
			return nomem(err);
		(*np)++;
	}
	return 0;
}

/* "env": [{"name": "...", "value": "..."}, ...] */
static int
env_list(const json_t *a, struct multi_store_config *sc, size_t i,
    struct dupc_err *err)
{
	size_t k, n;

	if (!json_is_array(a) || (n = json_array_size(a)) > MULTI_LIST_MAX)
		return bad(err, i,
		    "has \"env\" that is not a list of {\"name\", \"value\"} objects");
	sc->env_names = calloc(n + 1, sizeof(char *));
	sc->env_values = calloc(n + 1, sizeof(char *));
	if (sc->env_names == NULL || sc->env_values == NULL)
		return nomem(err);
	for (k = 0; k < n; k++) {
		const json_t *e = json_array_get(a, k);
		const char *name =
		    json_string_value(json_object_get(e, "name"));
		const char *value =
		    json_string_value(json_object_get(e, "value"));

		if (name == NULL || value == NULL || *name == '\0' ||
		    strchr(name, '=') != NULL)
			return bad(err, i,
			    "has an \"env\" entry without a string \"name\" and \"value\"");
		sc->env_names[k] = strdup(name);
		sc->env_values[k] = secret_dup(value);
		if (sc->env_names[k] == NULL || sc->env_values[k] == NULL)
			return nomem(err);
		sc->nenv++;
	}
	return 0;
}

static int
one_store(const json_t *o, struct multi_store_config *sc, size_t i,
    enum multi_mode mode, struct dupc_err *err)
{
	const char *url = json_string_value(json_object_get(o, "url"));
	const json_t *desc = json_object_get(o, "description");
	const json_t *env = json_object_get(o, "env");
	const json_t *pre = json_object_get(o, "prefixes");

	if (!json_is_object(o))
		return bad(err, i, "is not an object");
	if (url == NULL || *url == '\0')
		return bad(err, i, "has no \"url\" string");
	if ((sc->url = strdup(url)) == NULL)
		return nomem(err);
	if (desc != NULL && !json_is_string(desc))
		return bad(err, i,
		    "has a \"description\" that is not a string");
	if (desc != NULL &&
	    (sc->description = strdup(json_string_value(desc))) == NULL)
		return nomem(err);
	if (env != NULL && env_list(env, sc, i, err) < 0)
		return -1;
	if (pre != NULL && mode == MULTI_STRIPE)
		return bad(err, i,
		    "has \"prefixes\", which only mode=mirror can use (as duplicity says)");
	if (pre != NULL && string_list(pre, &sc->prefixes, &sc->nprefixes, i,
			       "prefixes", err) < 0)
		return -1;
	return 0;
}

int
multi_config_parse(struct multi_config *c, const char *text, size_t len,
    enum multi_mode mode, struct dupc_err *err)
{
	json_error_t jerr;
	json_t *root;
	size_t i, n;

	memset(c, 0, sizeof(*c));
	if (len > MULTI_CONFIG_MAX)
		return err_set(err, E_BAD_URL,
		    "bad multi:// configuration: larger than %u bytes",
		    MULTI_CONFIG_MAX);
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return err_set(err, E_BAD_URL,
		    "bad multi:// configuration: not JSON (line %d: %.100s)",
		    jerr.line, jerr.text);
	if (!json_is_array(root) || (n = json_array_size(root)) == 0 ||
	    n > MULTI_STORES_MAX) {
		json_decref(root);
		return err_set(err, E_BAD_URL,
		    "bad multi:// configuration: expected a list of 1 to %d stores",
		    MULTI_STORES_MAX);
	}
	c->stores = calloc(n, sizeof(*c->stores));
	if (c->stores == NULL) {
		json_decref(root);
		return nomem(err);
	}
	c->n = n;
	for (i = 0; i < n; i++)
		if (one_store(json_array_get(root, i), &c->stores[i], i, mode,
			err) < 0) {
			json_decref(root);
			multi_config_release(c);
			return -1;
		}
	json_decref(root);
	return 0;
}

void
multi_config_release(struct multi_config *c)
{
	size_t i, k;

	for (i = 0; i < c->n; i++) {
		struct multi_store_config *sc = &c->stores[i];

		free(sc->url);
		free(sc->description);
		for (k = 0; sc->env_names && sc->env_names[k]; k++)
			free(sc->env_names[k]);
		for (k = 0; sc->env_values && sc->env_values[k]; k++)
			secret_free(sc->env_values[k]);
		free(sc->env_names);
		free(sc->env_values);
		for (k = 0; sc->prefixes && sc->prefixes[k]; k++)
			free(sc->prefixes[k]);
		free(sc->prefixes);
	}
	free(c->stores);
	memset(c, 0, sizeof(*c));
}
