#ifndef DUPC_BACKEND_WEBDAV_DAV_INTERNAL_H
#define DUPC_BACKEND_WEBDAV_DAV_INTERNAL_H

/*
 * Shared between the files of the webdav:// backend: the PROPFIND answer
 * parser (dav_propfind.c, over libxml2's push parser) and the
 * --webdav-headers reader (dav_headers.c).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dupc_err;

#define DAV_HREF_MAX 4096 /* longest <href> kept */

/* One <response> of a multistatus answer. */
struct dav_entry {
	const char *href; /* as sent (percent-encoded), NUL-terminated */
	bool collection;  /* <resourcetype><collection/> */
	bool has_size;    /* <getcontentlength> was given */
	uint64_t size;
};

/* Called once per <response>; returns non-zero to stop with ${err} set. */
typedef int dav_entry_fn(const struct dav_entry *, void *, struct dupc_err *);

struct dav_propfind;

/*
 * dav_propfind_new(fn, arg):
 * A parser of one PROPFIND answer (a DAV: multistatus document) fed in
 * pieces of any size; ${fn} sees each response as soon as its end is
 * read, so memory does not grow with the listing.  NULL when out of
 * memory.
 */
struct dav_propfind *dav_propfind_new(dav_entry_fn *, void *);

/*
 * dav_propfind_feed(p, data, n, err):
 * Parse the next ${n} bytes.  -1 (permanent, E_BACKEND_ERROR) on bad XML,
 * a document that is not a DAV: multistatus, a DTD, an href or a size
 * too long or not a number; or with ${fn}'s error when it stopped.
 */
int dav_propfind_feed(struct dav_propfind *, const char *, size_t,
    struct dupc_err *);

/* dav_propfind_finish(p, err): the end of the document; fails as feed
 * does, and when the document is cut short. */
int dav_propfind_finish(struct dav_propfind *, struct dupc_err *);

/* dav_propfind_free(p): NULL is fine. */
void dav_propfind_free(struct dav_propfind *);

/*
 * dav_headers_parse(spec, out, err):
 * --webdav-headers as duplicity 0.8.23 reads it: comma-separated fields
 * (a field may be double-quoted, "" inside for a quote), taken in pairs
 * name,value.  *${out} becomes a NULL-terminated array of "Name: value"
 * strings the caller frees with dav_headers_free().  E_COMMAND_LINE for
 * an odd number of fields, an empty or bad name, a control byte.
 */
int dav_headers_parse(const char *, char ***, struct dupc_err *);

/* dav_headers_free(h): NULL is fine. */
void dav_headers_free(char **);

#endif
