#ifndef DUPC_BACKEND_MULTI_MULTI_INTERNAL_H
#define DUPC_BACKEND_MULTI_MULTI_INTERNAL_H

/*
 * multi://'s own declarations, shared by the files of this folder and
 * their unit tests only: the URL's query and the JSON configuration file,
 * parsed without I/O (multi_config.c), and the backend (multi.c).
 */

#include <stdbool.h>
#include <stddef.h>

struct dupc_err;

#define MULTI_CONFIG_MAX (1u << 20) /* bytes of a configuration file */
#define MULTI_STORES_MAX 64
#define MULTI_LIST_MAX 256 /* env entries or prefixes of one store */

enum multi_mode { MULTI_STRIPE = 0, MULTI_MIRROR };
enum multi_onfail { MULTI_CONTINUE = 0, MULTI_ABORT };

/* The URL: multi://PATH?mode=...&onfail=...&subpath=... */
struct multi_url {
	char *path; /* the configuration file, percent-decoded */
	enum multi_mode mode;
	enum multi_onfail onfail;
	char *subpath; /* appended to every store's URL ("" for none) */
};

/* One store of the configuration file. */
struct multi_store_config {
	char *url;
	char *description; /* or NULL */
	char **env_names;  /* parallel to env_values */
	char **env_values; /* secret: wiped on release */
	size_t nenv;
	char **prefixes;
	size_t nprefixes;
};

struct multi_config {
	struct multi_store_config *stores;
	size_t n;
};

/*
 * multi_url_parse(mu, raw, err):
 * Split "multi://PATH?QUERY" as duplicity's multibackend.py reads it:
 * query keys mode (stripe, mirror; default stripe), onfail (continue,
 * abort; default continue) and subpath, each at most once; any other key,
 * a repeated key or a bad value is E_BAD_URL naming it.
 */
int multi_url_parse(struct multi_url *, const char *, struct dupc_err *);

/* multi_url_release(mu) */
void multi_url_release(struct multi_url *);

/*
 * multi_config_parse(c, text, len, mode, err):
 * The configuration file: a JSON list of objects with "url" (a string,
 * required), "description" (a string), "env" (a list of {"name",
 * "value"} strings) and "prefixes" (a list of strings; refused in stripe
 * mode, as duplicity refuses it).  Unknown members are ignored, as
 * duplicity ignores them.  E_BAD_URL with one line naming the store and
 * the member on anything else.
 */
int multi_config_parse(struct multi_config *, const char *, size_t,
    enum multi_mode, struct dupc_err *);

/* multi_config_release(c): free it, wiping the env values. */
void multi_config_release(struct multi_config *);

#endif
