/*
 * Where an s3:// location is: the bucket, the key prefix, the endpoint,
 * the region and how requests address the bucket.
 *
 * URL spellings.  duplicity 0.8.22 read s3://X/B/P with X always the
 * endpoint host (s3_boto_backend.py, boto's storage_uri), s3+http://B/P
 * and s3:///B/P with the bucket first; duplicity 2.x and 3.x (boto3) read
 * s3://B/P with B always the bucket, as boto3+s3://B/P always was.
 * dupc reads both generations' URLs as their users meant them: the first
 * part of s3://X/... is a host when a bucket name could not be it (a
 * ":port", an IP address, "localhost"), when it is the host of the
 * endpoint given otherwise, or when it is the host name of a known S3
 * service (*.amazonaws.com, storage.googleapis.com, ...); otherwise it is
 * the bucket.  A bucket name holds no ':', is never an IP address, and
 * nobody names a bucket after a service's host, so no URL either
 * generation wrote is misread, with one exception this cannot see: a
 * duplicity 0.8 URL naming a private host without a port
 * (s3://minio.lan/bucket).  For it, --s3-endpoint-url with that host
 * makes the URL mean what it meant (and the error for a missing bucket
 * with dots in its name says so).
 *
 * The endpoint comes from --s3-endpoint-url, AWS_ENDPOINT_URL_S3,
 * AWS_ENDPOINT_URL, the profile (endpoint_url, or endpoint_url in its
 * "s3 =" block), the URL's host, else the service's default; the region
 * from --s3-region-name, AWS_REGION, AWS_DEFAULT_REGION, the profile, an
 * AWS endpoint's name, else us-east-1.
 */
#define _DEFAULT_SOURCE
#include "backend/s3/s3_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"
#include "util/log.h"
#include "util/url.h"

/* Host names of S3 services: the name itself or any name below it. */
static const char *const known_domains[] = {
	"amazonaws.com",
	"amazonaws.com.cn",
	"storage.googleapis.com",
	"wasabisys.com",
	"backblazeb2.com",
	"digitaloceanspaces.com",
	"scw.cloud",
	"linodeobjects.com",
	"r2.cloudflarestorage.com",
	"storage.yandexcloud.net",
	"cloud.ovh.net",
	"aliyuncs.com",
	"filebase.com",
	"storjshare.io",
	"contabostorage.com",
	"exo.io",
	"dream.io",
	"idrivee2.com",
	NULL,
};

/* ${s} ends with ${tail}, ignoring case. */
static bool
ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && strcasecmp(s + n - t, tail) == 0;
}

/* A variable as this backend sees it (backend_env); NULL when empty. */
static const char *
env(const struct backend_options *opts, const char *name)
{
	const char *v = backend_env(opts, name);

	return v != NULL && *v != '\0' ? v : NULL;
}

bool
s3_known_host(const char *host)
{
	size_t n = strlen(host), i;

	for (i = 0; known_domains[i] != NULL; i++) {
		size_t d = strlen(known_domains[i]);

		if (n == d && strcasecmp(host, known_domains[i]) == 0)
			return true;
		if (n > d && host[n - d - 1] == '.' &&
		    strcasecmp(host + n - d, known_domains[i]) == 0)
			return true;
	}
	return false;
}

/* Four dotted numbers 0-255. */
static bool
is_ipv4(const char *s)
{
	unsigned parts = 0;

	while (parts < 4) {
		unsigned v = 0, digits = 0;

		while (isdigit((unsigned char)*s) && digits < 4) {
			v = v * 10 + (unsigned)(*s++ - '0');
			digits++;
		}
		if (digits == 0 || digits > 3 || v > 255)
			return false;
		parts++;
		if (parts < 4 && *s++ != '.')
			return false;
	}
	return *s == '\0';
}

bool
s3_bucket_name_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n < 3 || n > 63 || is_ipv4(s))
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) &&
		    strchr(".-_", s[i]) == NULL)
			return false;
	return isalnum((unsigned char)s[0]) && isalnum((unsigned char)s[n - 1]);
}

/* A bucket that can be the first label of a host name. */
static bool
dns_bucket(const char *s, bool https)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!(islower((unsigned char)s[i]) ||
			isdigit((unsigned char)s[i]) || s[i] == '-' ||
			(s[i] == '.' && !https)))
			return false;
	/* a dot makes a name the TLS certificate's wildcard does not cover */
	return strstr(s, "..") == NULL && strstr(s, "-.") == NULL &&
	       strstr(s, ".-") == NULL;
}

/* "host[:port]" without the port (into ${out}). */
static void
host_only(const char *hp, char *out, size_t size)
{
	const char *colon;

	if (hp[0] == '[') {
		const char *rb = strchr(hp, ']');
		size_t n = rb != NULL ? (size_t)(rb - hp + 1) : strlen(hp);

		snprintf(out, size, "%.*s", (int)n, hp);
		return;
	}
	colon = strchr(hp, ':');
	snprintf(out, size, "%.*s",
	    (int)(colon != NULL ? (size_t)(colon - hp) : strlen(hp)), hp);
}

/* Is ${first} the endpoint host, by the rule above? */
static bool
first_is_host(const char *first, const char *endpoint_host)
{
	char h[256], eh[256];

	if (strchr(first, ':') != NULL || first[0] == '[')
		return true;
	host_only(first, h, sizeof(h));
	if (is_ipv4(h) || strcasecmp(h, "localhost") == 0)
		return true;
	if (endpoint_host != NULL) {
		host_only(endpoint_host, eh, sizeof(eh));
		if (strcasecmp(first, endpoint_host) == 0 ||
		    strcasecmp(h, eh) == 0)
			return true;
	}
	return s3_known_host(h);
}

/*
 * The components of ${path} (empty ones folded, as duplicity does): the
 * first into *${first} unless ${first} is NULL, the others as a prefix
 * "a/b/" into *${prefix}.
 */
static int
split_path(const char *path, char **first, char **prefix, struct dupc_err *err)
{
	size_t n = strlen(path), o = 0;
	const char *p = path;
	char *pre;

	pre = malloc(n + 2);
	if (pre == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	while (*p != '\0') {
		size_t len = strcspn(p, "/");

		if ((len == 1 && p[0] == '.') ||
		    (len == 2 && p[0] == '.' && p[1] == '.')) {
			free(pre);
			return err_set(err, E_BAD_URL,
			    "an S3 key prefix may not hold a '.' or '..' component");
		}
		if (len > 0 && first != NULL && *first == NULL) {
			*first = strndup(p, len);
			if (*first == NULL) {
				free(pre);
				return err_set(err, E_GENERIC, "out of memory");
			}
		} else if (len > 0) {
			memcpy(pre + o, p, len);
			o += len;
			pre[o++] = '/';
		}
		p += len;
		if (*p == '/')
			p++;
	}
	pre[o] = '\0';
	*prefix = pre;
	return 0;
}

int
s3_split_url(const char *scheme, const char *first, const char *path,
    const char *endpoint_host, struct s3_url_parts *out, struct dupc_err *err)
{
	bool host_form =
	    strcmp(scheme, "s3") == 0 || strcmp(scheme, "boto+s3") == 0;
	char *bucket = NULL, *prefix = NULL;

	memset(out, 0, sizeof(*out));
	if (first[0] != '\0' && host_form &&
	    first_is_host(first, endpoint_host)) {
		out->host = strdup(first);
		if (out->host == NULL)
			return err_set(err, E_GENERIC, "out of memory");
		if (split_path(path, &bucket, &prefix, err) < 0)
			goto fail;
	} else if (first[0] != '\0') {
		bucket = strdup(first);
		if (bucket == NULL) {
			err_set(err, E_GENERIC, "out of memory");
			goto fail;
		}
		if (split_path(path, NULL, &prefix, err) < 0)
			goto fail;
	} else if (split_path(path, &bucket, &prefix, err) < 0) {
		goto fail;
	}
	if (bucket == NULL) {
		err_set(err, E_BAD_URL,
		    "no bucket in the URL: write %s://BUCKET/PREFIX%s", scheme,
		    out->host != NULL ? " (or s3://HOST:PORT/BUCKET/PREFIX)"
				      : "");
		goto fail;
	}
	if (!s3_bucket_name_ok(bucket)) {
		err_set(err, E_BAD_URL,
		    "'%s' is not an S3 bucket name (3 to 63 letters, digits, '.', '-' or '_')",
		    bucket);
		goto fail;
	}
	out->bucket = bucket;
	out->prefix = prefix;
	return 0;
fail:
	free(bucket);
	free(prefix);
	s3_url_parts_release(out);
	return -1;
}

void
s3_url_parts_release(struct s3_url_parts *p)
{
	free(p->host);
	free(p->bucket);
	free(p->prefix);
	memset(p, 0, sizeof(*p));
}

/*
 * An endpoint as given ("https://host:port", "host:port", with or without
 * a path) normalised to "scheme://host[:port][/path]" without a trailing
 * slash; a missing scheme is https, or http with ${plain}.
 */
static int
norm_endpoint(const char *given, bool plain, const char *from, char **out,
    struct dupc_err *err)
{
	const char *rest = given, *scheme = plain ? "http" : "https";
	size_t n;
	char *e;

	if (strncasecmp(given, "https://", 8) == 0) {
		scheme = "https";
		rest = given + 8;
	} else if (strncasecmp(given, "http://", 7) == 0) {
		scheme = "http";
		rest = given + 7;
	} else if (strstr(given, "://") != NULL) {
		return err_set(err, E_BAD_URL,
		    "the S3 endpoint '%s' (from %s) is neither http:// nor https://",
		    given, from);
	}
	n = strlen(rest);
	while (n > 0 && rest[n - 1] == '/')
		n--;
	if (n == 0 || rest[0] == '/' || strcspn(rest, "?#@ ") < n)
		return err_set(err, E_BAD_URL,
		    "the S3 endpoint '%s' (from %s) is not scheme://host[:port]",
		    given, from);
	e = malloc(strlen(scheme) + 3 + n + 1);
	if (e == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	snprintf(e, strlen(scheme) + 3 + n + 1, "%s://%.*s", scheme, (int)n,
	    rest);
	*out = e;
	return 0;
}

/* The host[:port] of an endpoint URL, into ${out}. */
static void
endpoint_authority(const char *endpoint, char *out, size_t size)
{
	const char *p = strstr(endpoint, "://");

	p = p != NULL ? p + 3 : endpoint;
	snprintf(out, size, "%.*s", (int)strcspn(p, "/"), p);
}

/* The endpoint given other than by the URL, and where it came from. */
static const char *
given_endpoint(const struct backend_options *opts, const struct s3_profile *pr,
    const char **from)
{
	const char *v;

	if ((v = backend_opt_get(opts, "s3-endpoint-url")) != NULL && *v) {
		*from = "--s3-endpoint-url";
		return v;
	}
	if ((v = env(opts, "AWS_ENDPOINT_URL_S3")) != NULL) {
		*from = "AWS_ENDPOINT_URL_S3";
		return v;
	}
	if ((v = env(opts, "AWS_ENDPOINT_URL")) != NULL) {
		*from = "AWS_ENDPOINT_URL";
		return v;
	}
	if (pr != NULL && pr->endpoint_url != NULL && *pr->endpoint_url) {
		*from = "the profile";
		return pr->endpoint_url;
	}
	return NULL;
}

/* The region an AWS endpoint's name says (s3.eu-west-1.amazonaws.com,
 * s3-eu-west-1.amazonaws.com), into ${out}; false when it says none. */
static bool
region_of_host(const char *authority, char *out, size_t size)
{
	char h[256];
	const char *p;
	size_t n;

	host_only(authority, h, sizeof(h));
	if (strncasecmp(h, "s3.", 3) != 0 && strncasecmp(h, "s3-", 3) != 0)
		return false;
	if (!ends_with(h, ".amazonaws.com") &&
	    !ends_with(h, ".amazonaws.com.cn"))
		return false;
	p = h + 3;
	if (strncasecmp(p, "dualstack.", 10) == 0)
		p += 10;
	n = strcspn(p, ".");
	if (n == 0 || strncasecmp(p, "amazonaws", n) == 0 ||
	    strncasecmp(p, "external-1", n) == 0)
		snprintf(out, size, "us-east-1");
	else
		snprintf(out, size, "%.*s", (int)n, p);
	return true;
}

static const char *
choose_region(const struct backend_options *opts, const struct s3_profile *pr,
    const char *authority, bool gcs, char *buf, size_t size)
{
	const char *v;

	if ((v = backend_opt_get(opts, "s3-region-name")) != NULL && *v)
		return v;
	if ((v = env(opts, "AWS_REGION")) != NULL ||
	    (v = env(opts, "AWS_DEFAULT_REGION")) != NULL)
		return v;
	if (pr != NULL && pr->region != NULL && *pr->region)
		return pr->region;
	if (authority != NULL && region_of_host(authority, buf, size))
		return buf;
	if (backend_opt_flag(opts, "s3-european-buckets"))
		return "eu-west-1";
	return gcs ? "auto" : "us-east-1";
}

/* Virtual-host addressing (bucket.host) or path style (host/bucket)? */
static bool
choose_vhost(const struct backend_options *opts, const struct s3_profile *pr,
    const char *endpoint, const char *bucket)
{
	bool https = strncmp(endpoint, "https:", 6) == 0;
	char auth[256], h[256];

	if (!dns_bucket(bucket, https))
		return false;
	if (backend_opt_flag(opts, "s3-use-new-style"))
		return true;
	if (pr != NULL && pr->addressing != NULL) {
		if (strcasecmp(pr->addressing, "virtual") == 0)
			return true;
		if (strcasecmp(pr->addressing, "path") == 0)
			return false;
	}
	/* AWS deprecates path style; elsewhere path style always works */
	endpoint_authority(endpoint, auth, sizeof(auth));
	host_only(auth, h, sizeof(h));
	return ends_with(h, ".amazonaws.com") ||
	       ends_with(h, ".amazonaws.com.cn");
}

static int
default_endpoint(bool gcs, bool plain, const char *region, char **out,
    struct dupc_err *err)
{
	char buf[160];

	if (gcs)
		snprintf(buf, sizeof(buf), "storage.googleapis.com");
	else if (strcmp(region, "us-east-1") == 0)
		snprintf(buf, sizeof(buf), "s3.amazonaws.com");
	else if (strncmp(region, "cn-", 3) == 0)
		snprintf(buf, sizeof(buf), "s3.%s.amazonaws.com.cn", region);
	else
		snprintf(buf, sizeof(buf), "s3.%s.amazonaws.com", region);
	return norm_endpoint(buf, plain, "the default", out, err);
}

int
s3_location_resolve(struct s3_location *loc, const struct url *u,
    const struct backend_options *opts, const struct s3_profile *pr,
    struct dupc_err *err)
{
	bool plain = backend_opt_flag(opts, "s3-unencrypted-connection");
	const char *from = NULL, *given = given_endpoint(opts, pr, &from);
	char given_auth[256] = "", auth[256], rbuf[64];
	struct s3_url_parts parts;
	const char *region;

	memset(loc, 0, sizeof(*loc));
	memset(&parts, 0, sizeof(parts));
	loc->gcs = strcmp(u->scheme, "gs") == 0;
	if (given != NULL) {
		if (norm_endpoint(given, plain, from, &loc->endpoint, err) < 0)
			return -1;
		endpoint_authority(loc->endpoint, given_auth,
		    sizeof(given_auth));
	}
	if (s3_split_url(u->scheme, u->host, u->path,
		given_auth[0] ? given_auth : NULL, &parts, err) < 0)
		goto fail;
	loc->bucket = parts.bucket;
	loc->prefix = parts.prefix;
	parts.bucket = parts.prefix = NULL;
	if (loc->endpoint == NULL && parts.host != NULL) {
		from = "the URL";
		if (norm_endpoint(parts.host, plain, from, &loc->endpoint,
			err) < 0)
			goto fail;
	} else if (parts.host != NULL &&
		   strcasecmp(parts.host, given_auth) != 0) {
		log_warn(
		    "the URL names S3 host %s, but %s names %s: %s is used",
		    parts.host, from, given_auth, given_auth);
	}
	s3_url_parts_release(&parts);
	if (loc->endpoint != NULL)
		endpoint_authority(loc->endpoint, auth, sizeof(auth));
	region = choose_region(opts, pr, loc->endpoint ? auth : NULL, loc->gcs,
	    rbuf, sizeof(rbuf));
	if (strlen(region) > 40 ||
	    strspn(region,
		"abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != strlen(region)) {
		err_set(err, E_BAD_URL, "'%s' is not an S3 region name",
		    region);
		goto fail;
	}
	loc->region = strdup(region);
	if (loc->region == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		goto fail;
	}
	if (loc->endpoint == NULL) {
		from = "the default";
		if (default_endpoint(loc->gcs, plain, loc->region,
			&loc->endpoint, err) < 0)
			goto fail;
	}
	loc->endpoint_from = from;
	loc->vhost = choose_vhost(opts, pr, loc->endpoint, loc->bucket);
	return 0;
fail:
	s3_url_parts_release(&parts);
	s3_location_release(loc);
	return -1;
}

void
s3_location_release(struct s3_location *loc)
{
	free(loc->endpoint);
	free(loc->bucket);
	free(loc->prefix);
	free(loc->region);
	memset(loc, 0, sizeof(*loc));
}
