/*
 * The PROPFIND answer of a WebDAV server (RFC 4918 section 9.1), read with
 * libxml2's SAX2 push parser: the document arrives in the pieces the
 * network hands over, no tree is built, and each <response> is handed to
 * the caller as soon as it ends, so a folder of any size is listed in
 * bounded memory.  Only what a listing needs is kept: the href, whether
 * the resource is a collection, and its getcontentlength, taken from a
 * <propstat> whose status is 2xx (servers list unknown properties under
 * a 404 propstat).  Elements are matched by namespace ("DAV:"), not by
 * prefix.  A DTD is refused outright (no entity of the server's own is
 * ever expanded) and the network is never used by the parser.
 */
#include "backend/webdav/dav_internal.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <pthread.h>

#include "util/err.h"
#include "util/parse.h"

#define TEXT_MAX DAV_HREF_MAX
#define NUM_MAX 32

/* Where the parser is, for the elements that matter. */
enum where {
	W_OUT,      /* not inside a <response> */
	W_RESPONSE, /* inside <response> */
	W_PROPSTAT, /* inside <response><propstat> */
	W_PROP,     /* inside <propstat><prop> */
	W_RTYPE,    /* inside <prop><resourcetype> */
};

/* What the text being read is for. */
enum text {
	T_NONE,
	T_HREF,
	T_LENGTH,
	T_STATUS,
};

struct dav_propfind {
	xmlParserCtxtPtr ctx;
	dav_entry_fn *fn;
	void *arg;
	enum where where;
	enum text text;
	unsigned depth;      /* of the current element */
	unsigned text_depth; /* of the element whose text is read */
	bool root_seen;
	/* the current <response> */
	char href[TEXT_MAX + 1];
	size_t href_len;
	bool href_seen;
	bool collection;
	bool has_size;
	uint64_t size;
	/* the current <propstat> */
	bool ps_collection;
	bool ps_has_size;
	char ps_length[NUM_MAX + 1];
	size_t ps_length_len;
	char status[NUM_MAX + 1];
	size_t status_len;
	/* the first failure */
	bool failed;
	struct dupc_err err;
};

static const char dav_ns[] = "DAV:";

/* Record the first failure and stop the parser. */
/* A message of libxml2's on one printable line: its newline dropped, any
 * byte of the server's it quotes that is not printable ASCII shown as '?'. */
static void
tidy(char *msg)
{
	size_t n = strlen(msg);
	char *c;

	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	for (c = msg; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
			*c = '?';
}

static void
fail(struct dav_propfind *p, const char *fmt, ...)
{
	va_list ap;
	char msg[256];

	if (p->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	tidy(msg);
	p->failed = true;
	err_class_set(&p->err, ERR_PERMANENT, E_BACKEND_ERROR,
	    "bad PROPFIND answer: %s", msg);
	xmlStopParser(p->ctx);
}

static bool
is_dav(const xmlChar *uri, const xmlChar *local, const char *name)
{
	return uri != NULL && strcmp((const char *)uri, dav_ns) == 0 &&
	       strcmp((const char *)local, name) == 0;
}

static void
start_text(struct dav_propfind *p, enum text t)
{
	p->text = t;
	p->text_depth = p->depth;
}

static void
on_start(void *ctx, const xmlChar *local, const xmlChar *prefix,
    const xmlChar *uri, int nns, const xmlChar **ns, int nattr, int ndef,
    const xmlChar **attrs)
{
	struct dav_propfind *p = ctx;

	(void)prefix, (void)nns, (void)ns, (void)nattr, (void)ndef;
	(void)attrs;
	if (p->failed)
		return;
	p->depth++;
	if (!p->root_seen) {
		p->root_seen = true;
		if (!is_dav(uri, local, "multistatus"))
			fail(p, "<%s> instead of a DAV: multistatus",
			    (const char *)local);
		return;
	}
	switch (p->where) {
	case W_OUT:
		if (p->depth == 2 && is_dav(uri, local, "response")) {
			p->where = W_RESPONSE;
			p->href_len = 0;
			p->href[0] = '\0';
			p->href_seen = p->collection = p->has_size = false;
			p->size = 0;
		}
		break;
	case W_RESPONSE:
		if (p->depth != 3)
			break;
		if (is_dav(uri, local, "href")) {
			if (p->href_seen)
				fail(p, "a response with two hrefs");
			p->href_seen = true;
			start_text(p, T_HREF);
		} else if (is_dav(uri, local, "propstat")) {
			p->where = W_PROPSTAT;
			p->ps_collection = p->ps_has_size = false;
			p->ps_length_len = p->status_len = 0;
			p->ps_length[0] = p->status[0] = '\0';
		}
		break;
	case W_PROPSTAT:
		if (p->depth != 4)
			break;
		if (is_dav(uri, local, "prop"))
			p->where = W_PROP;
		else if (is_dav(uri, local, "status"))
			start_text(p, T_STATUS);
		break;
	case W_PROP:
		if (p->depth != 5)
			break;
		if (is_dav(uri, local, "resourcetype")) {
			p->where = W_RTYPE;
		} else if (is_dav(uri, local, "getcontentlength")) {
			p->ps_has_size = true;
			start_text(p, T_LENGTH);
		}
		break;
	case W_RTYPE:
		if (p->depth == 6 && is_dav(uri, local, "collection"))
			p->ps_collection = true;
		break;
	}
}

/* The status of a propstat ("HTTP/1.1 200 OK"): is it 2xx?  A propstat
 * without one is taken as it stands. */
static bool
status_ok(const struct dav_propfind *p)
{
	const char *s = p->status, *sp;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	if (*s == '\0')
		return true;
	sp = strchr(s, ' ');
	return sp != NULL && sp[1] == '2';
}

/* </propstat>: keep what a 2xx propstat says. */
static void
end_propstat(struct dav_propfind *p)
{
	uint64_t v;
	size_t a = 0, n = p->ps_length_len;

	if (!status_ok(p))
		return;
	if (p->ps_collection)
		p->collection = true;
	if (!p->ps_has_size)
		return;
	while (a < n && strchr(" \t\r\n", p->ps_length[a]) != NULL)
		a++;
	while (n > a && strchr(" \t\r\n", p->ps_length[n - 1]) != NULL)
		n--;
	if (n == a && p->ps_collection)
		return; /* an empty length on a collection means nothing */
	if (parse_u64_n(p->ps_length + a, n - a, &v) < 0) {
		fail(p, "getcontentlength '%.*s' is not a size", (int)(n - a),
		    p->ps_length + a);
		return;
	}
	p->has_size = true;
	p->size = v;
}

/* </response>: hand it over. */
static void
end_response(struct dav_propfind *p)
{
	struct dav_entry e;
	size_t a = 0, n = p->href_len;

	if (!p->href_seen || p->href_len == 0) {
		fail(p, "a response without an href");
		return;
	}
	while (a < n && strchr(" \t\r\n", p->href[a]) != NULL)
		a++;
	while (n > a && strchr(" \t\r\n", p->href[n - 1]) != NULL)
		n--;
	p->href[n] = '\0';
	if (memchr(p->href + a, '\0', n - a) != NULL) {
		fail(p, "an href with a NUL byte");
		return;
	}
	e.href = p->href + a;
	e.collection = p->collection;
	e.has_size = p->has_size;
	e.size = p->size;
	if (p->fn(&e, p->arg, &p->err) != 0) {
		p->failed = true;
		xmlStopParser(p->ctx);
	}
}

static void
on_end(void *ctx, const xmlChar *local, const xmlChar *prefix,
    const xmlChar *uri)
{
	struct dav_propfind *p = ctx;

	(void)prefix;
	if (p->failed)
		return;
	if (p->text != T_NONE && p->depth == p->text_depth)
		p->text = T_NONE;
	switch (p->where) {
	case W_RESPONSE:
		if (p->depth == 2 && is_dav(uri, local, "response")) {
			p->where = W_OUT;
			end_response(p);
		}
		break;
	case W_PROPSTAT:
		if (p->depth == 3) {
			p->where = W_RESPONSE;
			end_propstat(p);
		}
		break;
	case W_PROP:
		if (p->depth == 4)
			p->where = W_PROPSTAT;
		break;
	case W_RTYPE:
		if (p->depth == 5)
			p->where = W_PROP;
		break;
	case W_OUT:
		break;
	}
	p->depth--;
}

/* Append ${n} bytes to a capped text field. */
static bool
add_text(char *buf, size_t *len, size_t cap, const xmlChar *s, int n)
{
	if ((size_t)n > cap - *len)
		return false;
	memcpy(buf + *len, s, (size_t)n);
	*len += (size_t)n;
	buf[*len] = '\0';
	return true;
}

static void
on_text(void *ctx, const xmlChar *s, int n)
{
	struct dav_propfind *p = ctx;

	if (p->failed || n <= 0 || p->depth != p->text_depth)
		return;
	switch (p->text) {
	case T_HREF:
		if (!add_text(p->href, &p->href_len, TEXT_MAX, s, n))
			fail(p, "an href longer than %d bytes", TEXT_MAX);
		break;
	case T_LENGTH:
		if (!add_text(p->ps_length, &p->ps_length_len, NUM_MAX, s, n))
			fail(p, "a getcontentlength longer than %d bytes",
			    NUM_MAX);
		break;
	case T_STATUS:
		if (!add_text(p->status, &p->status_len, NUM_MAX, s, n))
			fail(p, "a status longer than %d bytes", NUM_MAX);
		break;
	case T_NONE:
		break;
	}
}

static void
on_dtd(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
	(void)name, (void)ext, (void)sys;
	fail(ctx, "a DTD in the answer");
}

/* An entity the document did not declare in a DTD (there is none). */
static xmlEntityPtr
on_entity(void *ctx, const xmlChar *name)
{
	fail(ctx, "an unknown entity '&%.40s;'", (const char *)name);
	return NULL;
}

static void
on_error(void *ctx, xmlErrorPtr e)
{
	struct dav_propfind *p = ctx;

	if (e == NULL || e->level < XML_ERR_ERROR)
		return;
	fail(p, "line %d: %.120s", e->line,
	    e->message != NULL ? e->message : "bad XML");
}

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void
xml_init(void)
{
	xmlInitParser();
}

struct dav_propfind *
dav_propfind_new(dav_entry_fn *fn, void *arg)
{
	struct dav_propfind *p;
	xmlSAXHandler sax;

	pthread_once(&xml_once, xml_init);
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->fn = fn;
	p->arg = arg;
	memset(&sax, 0, sizeof(sax));
	sax.initialized = XML_SAX2_MAGIC;
	sax.startElementNs = on_start;
	sax.endElementNs = on_end;
	sax.characters = on_text;
	sax.cdataBlock = on_text;
	sax.internalSubset = on_dtd;
	sax.getEntity = on_entity;
	sax.serror = on_error;
	p->ctx = xmlCreatePushParserCtxt(&sax, p, NULL, 0, NULL);
	if (p->ctx == NULL) {
		free(p);
		return NULL;
	}
	xmlCtxtUseOptions(p->ctx, XML_PARSE_NONET | XML_PARSE_NOCDATA);
	return p;
}

static void
on_generic(void *arg, const char *fmt, ...)
{
	(void)arg, (void)fmt;
}

/* An error raised outside the parser's context (while converting the
 * input): recorded only, since stopping the parser there is unsafe; the
 * parse fails on its own. */
static void
on_outside_error(void *ctx, xmlErrorPtr e)
{
	struct dav_propfind *p = ctx;
	char msg[160];

	if (e == NULL || e->level < XML_ERR_ERROR || p->failed)
		return;
	snprintf(msg, sizeof(msg), "%s",
	    e->message != NULL ? e->message : "bad XML");
	tidy(msg);
	p->failed = true;
	err_class_set(&p->err, ERR_PERMANENT, E_BACKEND_ERROR,
	    "bad PROPFIND answer: %s", msg);
}

/*
 * One xmlParseChunk.  Errors libxml2 raises outside the parser's context
 * (converting a UTF-16 answer) go to this thread's handlers: they are
 * pointed at ours for the call, so that nothing reaches stderr.
 */
static int
parse_chunk(struct dav_propfind *p, const char *data, int n, int end)
{
	xmlStructuredErrorFunc old_fn = xmlStructuredError;
	xmlGenericErrorFunc old_gfn = xmlGenericError;
	void *old_arg = xmlStructuredErrorContext;
	void *old_garg = xmlGenericErrorContext;
	int rc;

	xmlSetStructuredErrorFunc(p, on_outside_error);
	xmlSetGenericErrorFunc(p, on_generic);
	rc = xmlParseChunk(p->ctx, data, n, end);
	xmlSetGenericErrorFunc(old_garg, old_gfn);
	xmlSetStructuredErrorFunc(old_arg, old_fn);
	return rc;
}

static int
result(struct dav_propfind *p, int rc, struct dupc_err *err)
{
	if (p->failed) {
		if (err != NULL)
			*err = p->err;
		return -1;
	}
	if (rc != 0)
		return err_class_set(err, ERR_PERMANENT, E_BACKEND_ERROR,
		    "bad PROPFIND answer: not well-formed XML (error %d)", rc);
	return 0;
}

int
dav_propfind_feed(struct dav_propfind *p, const char *data, size_t n,
    struct dupc_err *err)
{
	int rc = 0;

	while (n > 0 && !p->failed && rc == 0) {
		int k = n > INT_MAX / 2 ? INT_MAX / 2 : (int)n;

		rc = parse_chunk(p, data, k, 0);
		data += k;
		n -= (size_t)k;
	}
	return result(p, rc, err);
}

int
dav_propfind_finish(struct dav_propfind *p, struct dupc_err *err)
{
	int rc = 0;

	if (!p->failed)
		rc = parse_chunk(p, NULL, 0, 1);
	if (result(p, rc, err) < 0)
		return -1;
	if (!p->root_seen || p->where != W_OUT || p->depth != 0)
		return err_class_set(err, ERR_PERMANENT, E_BACKEND_ERROR,
		    "bad PROPFIND answer: the document is cut short");
	return 0;
}

void
dav_propfind_free(struct dav_propfind *p)
{
	if (p == NULL)
		return;
	xmlFreeParserCtxt(p->ctx);
	free(p);
}
