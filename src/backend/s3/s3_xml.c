/*
 * The S3 service's XML replies, read through libxml2's SAX2 parser (the
 * one WebDAV's PROPFIND answers go through): listings (ListObjectsV2,
 * ListParts, ListMultipartUploads), the answers of a multipart upload,
 * and error documents.  One small engine walks any reply: it checks the
 * root element, follows the path of elements below it, and hands the
 * text of the elements a reply type asks for to that type's callback; a
 * repeated element (Contents, Part, Upload) closes a record.  No tree is
 * built.  Nothing here trusts the server: the depth, the path, the text
 * of each element and the number of records are capped, a DOCTYPE (and
 * so any entity of the server's own) is refused, no entity is ever
 * looked up, the parser never uses the network, and a reply that is not
 * the expected document is an error the caller classes as transient (a
 * proxy's page, a cut answer).  The encoding a document declares is
 * not followed: the bytes are UTF-8 (UTF-16 only after its byte order
 * mark).  Elements are matched by name as written, a prefix being part
 * of the name: S3's replies use the default namespace.
 */
#define _DEFAULT_SOURCE
#include "backend/s3/s3_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "util/err.h"
#include "util/parse.h"

#define XML_DEPTH_MAX 12
#define XML_PATH_MAX 256
#define XML_RECORDS_MAX 20000 /* a page holds at most 1000 on AWS */
#define XML_PIECE 65536       /* bytes handed to the parser at once */

/* An element whose text a reply type wants, by its path below the root. */
struct xml_field {
	const char *path; /* "Contents/Key" */
	int id;
};

/* How to read one type of reply. */
struct xml_spec {
	const char *root;   /* the root element expected */
	const char *record; /* path of the repeated element, or NULL */
	const struct xml_field *fields; /* ends with a NULL path */
	/* each wanted element's text, NUL-terminated */
	int (*field)(void *arg, int id, const char *text, size_t len);
	/* the end of a record; may be NULL */
	int (*end_record)(void *arg);
};

/* The walk in progress. */
struct xml_walk {
	const struct xml_spec *spec;
	void *arg;
	xmlParserCtxtPtr ctx;
	unsigned depth;
	char path[XML_PATH_MAX]; /* below the root: "Contents/Key" */
	size_t plen[XML_DEPTH_MAX + 1];
	int field; /* the wanted element open, or -1 */
	char text[S3_TEXT_MAX];
	size_t tlen;
	size_t records;
	bool root_seen;
	bool wrong_root;
	bool stopped; /* by stop(): the reason is in why (may be empty) */
	char why[160];
	char bad[160]; /* the parser's first fatal error */
};

static void
stop(struct xml_walk *w, const char *why)
{
	if (w->stopped)
		return;
	w->stopped = true;
	snprintf(w->why, sizeof(w->why), "%s", why);
	xmlStopParser(w->ctx);
}

static int
field_of(const struct xml_walk *w)
{
	const struct xml_field *f;

	for (f = w->spec->fields; f->path != NULL; f++)
		if (strcmp(f->path, w->path) == 0)
			return f->id;
	return -1;
}

/* Is the element ${prefix}:${local} (or ${local}) named ${name}? */
static bool
name_is(const xmlChar *prefix, const xmlChar *local, const char *name)
{
	size_t n;

	if (prefix != NULL) {
		n = strlen((const char *)prefix);
		if (strncmp(name, (const char *)prefix, n) != 0 ||
		    name[n] != ':')
			return false;
		name += n + 1;
	}
	return strcmp(name, (const char *)local) == 0;
}

/* Add the element ${prefix}:${local} to the path; false when too long. */
static bool
path_push(struct xml_walk *w, const xmlChar *prefix, const xmlChar *local)
{
	size_t at = w->plen[w->depth];
	size_t np = prefix != NULL ? strlen((const char *)prefix) + 1 : 0;
	size_t nl = strlen((const char *)local);

	if (at + (at > 0) + np + nl + 1 > sizeof(w->path))
		return false;
	if (at > 0)
		w->path[at++] = '/';
	if (prefix != NULL) {
		memcpy(w->path + at, prefix, np - 1);
		w->path[at + np - 1] = ':';
	}
	memcpy(w->path + at + np, local, nl + 1);
	w->depth++;
	w->plen[w->depth] = at + np + nl;
	return true;
}

static void
on_start(void *arg, const xmlChar *local, const xmlChar *prefix,
    const xmlChar *uri, int nns, const xmlChar **ns, int nattr, int ndef,
    const xmlChar **attrs)
{
	struct xml_walk *w = arg;

	(void)uri, (void)nns, (void)ns, (void)nattr, (void)ndef, (void)attrs;
	if (w->stopped)
		return;
	if (w->depth == 0) {
		w->root_seen = true;
		if (!name_is(prefix, local, w->spec->root)) {
			w->wrong_root = true;
			stop(w, "not the expected document");
			return;
		}
		w->depth = 1;
		w->plen[1] = 0;
		return;
	}
	if (w->depth >= XML_DEPTH_MAX) {
		stop(w, "elements nested too deep");
		return;
	}
	if (!path_push(w, prefix, local)) {
		stop(w, "element path too long");
		return;
	}
	w->field = field_of(w);
	w->tlen = 0;
}

static void
on_end(void *arg, const xmlChar *local, const xmlChar *prefix,
    const xmlChar *uri)
{
	struct xml_walk *w = arg;
	const struct xml_spec *s = w->spec;

	(void)local, (void)prefix, (void)uri;
	if (w->stopped)
		return;
	if (w->field >= 0) {
		w->text[w->tlen] = '\0';
		if (s->field(w->arg, w->field, w->text, w->tlen) < 0) {
			stop(w, "");
			return;
		}
		w->field = -1;
	}
	if (s->record != NULL && strcmp(w->path, s->record) == 0) {
		if (++w->records > XML_RECORDS_MAX) {
			stop(w, "too many entries");
			return;
		}
		if (s->end_record != NULL && s->end_record(w->arg) < 0) {
			stop(w, "");
			return;
		}
	}
	if (w->depth > 0)
		w->depth--;
	w->path[w->plen[w->depth]] = '\0';
}

/* Text, CDATA and whitespace alike. */
static void
on_text(void *arg, const xmlChar *s, int len)
{
	struct xml_walk *w = arg;

	if (w->stopped || w->field < 0 || len <= 0)
		return;
	if ((size_t)len >= sizeof(w->text) - w->tlen) {
		stop(w, "element text too long");
		return;
	}
	memcpy(w->text + w->tlen, s, (size_t)len);
	w->tlen += (size_t)len;
}

/* <!DOCTYPE ...>: refused before its internal subset is read. */
static void
on_doctype(void *arg, const xmlChar *name, const xmlChar *ext,
    const xmlChar *sys)
{
	(void)name, (void)ext, (void)sys;
	stop(arg, "a DOCTYPE declaration");
}

/*
 * An entity other than the five predefined ones: there is no DTD to
 * declare it, so none is ever resolved; the parser then fails on the
 * undeclared entity.
 */
static xmlEntityPtr
on_entity(void *arg, const xmlChar *name)
{
	(void)arg, (void)name;
	return NULL;
}

/* Keep the parser's first fatal error; namespace errors are not fatal
 * (a prefix is read as part of the name).  Nothing is printed. */
static void
on_error(void *arg, xmlErrorPtr e)
{
	struct xml_walk *w = arg;
	char *p;
	size_t n;

	if (e == NULL || e->level != XML_ERR_FATAL || w->bad[0] != '\0')
		return;
	snprintf(w->bad, sizeof(w->bad), "bad XML at line %d: %s", e->line,
	    e->message != NULL ? e->message : "not well-formed");
	n = strlen(w->bad);
	while (n > 0 && (w->bad[n - 1] == '\n' || w->bad[n - 1] == ' '))
		w->bad[--n] = '\0';
	/* the message may quote the server's bytes (an element's name) */
	for (p = w->bad; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';
}

/* A message libxml2 would print as it stands ("encoder error"): the
 * failure is also in the parser's result. */
static void
on_generic(void *arg, const char *fmt, ...)
{
	(void)arg, (void)fmt;
}

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

/* libxml2 is set up once before any thread parses (parts run in
 * parallel). */
static void
xml_init(void)
{
	xmlInitParser();
}

static xmlParserCtxtPtr
xml_ctx_new(struct xml_walk *w)
{
	xmlSAXHandler sax;
	xmlParserCtxtPtr ctx;

	pthread_once(&xml_once, xml_init);
	memset(&sax, 0, sizeof(sax));
	sax.initialized = XML_SAX2_MAGIC;
	sax.startElementNs = on_start;
	sax.endElementNs = on_end;
	sax.characters = on_text;
	sax.ignorableWhitespace = on_text;
	sax.cdataBlock = on_text;
	sax.internalSubset = on_doctype;
	sax.getEntity = on_entity;
	sax.serror = on_error;
	ctx = xmlCreatePushParserCtxt(&sax, w, NULL, 0, NULL);
	if (ctx == NULL)
		return NULL;
	/* no entity substitution, no DTD loading, no network; the
	 * document's encoding declaration is not followed */
	xmlCtxtUseOptions(ctx,
	    XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_IGNORE_ENC);
	return ctx;
}

/*
 * Hand ${len} bytes at ${body} to the parser in pieces, then the end:
 * libxml2 refuses to look more than 10 MB ahead in one piece, and a page
 * of many records may be longer.  Returns libxml2's error code, 0 if none.
 */
static int
xml_feed(struct xml_walk *w, const char *body, size_t len)
{
	xmlStructuredErrorFunc old_fn = xmlStructuredError;
	xmlGenericErrorFunc old_gfn = xmlGenericError;
	void *old_arg = xmlStructuredErrorContext;
	void *old_garg = xmlGenericErrorContext;
	int rc = 0;

	/* errors raised outside the parser's context (a UTF-16 document's
	 * conversion) go to this thread's handlers: keep them from stderr */
	xmlSetStructuredErrorFunc(w, on_error);
	xmlSetGenericErrorFunc(w, on_generic);
	while (len > 0 && rc == 0 && !w->stopped) {
		int k = len > XML_PIECE ? XML_PIECE : (int)len;

		rc = xmlParseChunk(w->ctx, body, k, 0);
		body += k;
		len -= (size_t)k;
	}
	if (rc == 0 && !w->stopped)
		rc = xmlParseChunk(w->ctx, NULL, 0, 1);
	xmlSetGenericErrorFunc(old_garg, old_gfn);
	xmlSetStructuredErrorFunc(old_arg, old_fn);
	return rc;
}

/*
 * Walk ${len} bytes at ${body} with ${spec}.  0 when the whole document
 * was read; 1 when its root is another element (an error document);
 * -1 with ${why} otherwise (empty when a callback stopped it).
 */
static int
xml_walk(const struct xml_spec *spec, const char *body, size_t len, void *arg,
    char *why, size_t whysz)
{
	struct xml_walk *w;
	int rc = -1, prc;

	if (len > (size_t)INT32_MAX) {
		snprintf(why, whysz, "reply too large");
		return -1;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		snprintf(why, whysz, "out of memory");
		return -1;
	}
	w->spec = spec;
	w->arg = arg;
	w->field = -1;
	w->ctx = xml_ctx_new(w);
	if (w->ctx == NULL) {
		snprintf(why, whysz, "out of memory");
		free(w);
		return -1;
	}
	prc = xml_feed(w, body, len);
	if (prc == 0 && w->ctx->wellFormed && !w->stopped && w->root_seen &&
	    w->depth == 0) {
		rc = 0;
	} else if (w->wrong_root) {
		rc = 1;
	} else if (w->stopped) {
		snprintf(why, whysz, "%s", w->why);
	} else if (w->bad[0] != '\0') {
		snprintf(why, whysz, "%s", w->bad);
	} else {
		snprintf(why, whysz, "bad XML (error %d)", prc);
	}
	xmlFreeParserCtxt(w->ctx);
	free(w);
	return rc;
}

/* The common ending: a reply of the wrong kind is a transient failure. */
static int
walk_or_fail(const struct xml_spec *spec, const char *body, size_t len,
    void *arg, const char *what, struct dupc_err *err)
{
	char why[160] = "";
	int rc = xml_walk(spec, body, len, arg, why, sizeof(why));

	if (rc == 0)
		return 0;
	/* a callback stopped the walk: a bad number, a value too long */
	if (rc < 0 && why[0] == '\0')
		snprintf(why, sizeof(why), "a value out of range");
	return err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
	    "the answer to %s is not a %s document: %s", what, spec->root,
	    rc == 1 ? "another document" : why);
}

static void
copy_text(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* ------------------------------------------------------------------ */
/* error documents */

enum { EF_CODE, EF_MESSAGE, EF_REGION, EF_ENDPOINT };

static const struct xml_field error_fields[] = {
	{ "Code", EF_CODE },
	{ "Message", EF_MESSAGE },
	{ "Region", EF_REGION },
	{ "Endpoint", EF_ENDPOINT },
	{ NULL, 0 },
};

static int
error_field(void *arg, int id, const char *text, size_t len)
{
	struct s3_error *e = arg;

	switch (id) {
	case EF_CODE:
		copy_text(e->code, sizeof(e->code), text, len);
		break;
	case EF_MESSAGE:
		copy_text(e->message, sizeof(e->message), text, len);
		break;
	case EF_REGION:
		copy_text(e->region, sizeof(e->region), text, len);
		break;
	default:
		copy_text(e->endpoint, sizeof(e->endpoint), text, len);
		break;
	}
	return 0;
}

static const struct xml_spec error_spec = { "Error", NULL, error_fields,
	error_field, NULL };

int
s3_xml_error(const char *body, size_t len, struct s3_error *e)
{
	char why[160];

	memset(e, 0, sizeof(*e));
	if (body == NULL || len == 0)
		return -1;
	if (xml_walk(&error_spec, body, len, e, why, sizeof(why)) != 0 ||
	    e->code[0] == '\0') {
		memset(e, 0, sizeof(*e));
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* keys of url-encoded listings */

int
s3_key_decode(const char *s, char *out, size_t size)
{
	size_t o = 0;

	for (; *s != '\0'; s++) {
		int c = (unsigned char)*s;

		if (c == '%') {
			int hi = parse_hex_digit(s[1]),
			    lo = hi >= 0 ? parse_hex_digit(s[2]) : -1;

			if (lo < 0)
				return -1;
			c = hi * 16 + lo;
			s += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (c == 0 || o + 1 >= size)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

/* ------------------------------------------------------------------ */
/* pages: shared by the three listings */

/*
 * The records of a page are kept until its end: whether keys are
 * url-encoded is said by EncodingType, which may come after them.
 */
struct rec {
	char *key; /* Key, or PartNumber's ETag */
	char *id;  /* UploadId */
	uint64_t size;
	unsigned number;
};

struct page_walk {
	struct s3_page *page;
	struct rec *recs;
	size_t n, cap;
	struct rec cur;
	bool encoded;
};

enum {
	PF_TRUNCATED,
	PF_NEXT,
	PF_NEXT2,
	PF_ENCODING,
	PF_KEY,
	PF_SIZE,
	PF_ID,
	PF_NUMBER,
	PF_ETAG,
};

static int
page_text(char **dst, const char *text, size_t len)
{
	free(*dst);
	*dst = strndup(text, len);
	return *dst != NULL ? 0 : -1;
}

static int
page_field(void *arg, int id, const char *text, size_t len)
{
	struct page_walk *pw = arg;
	uint64_t v;

	switch (id) {
	case PF_TRUNCATED:
		pw->page->truncated = strcmp(text, "true") == 0;
		return 0;
	case PF_NEXT:
	case PF_NEXT2:
		if (len >= S3_TOKEN_MAX)
			return -1;
		copy_text(id == PF_NEXT ? pw->page->next : pw->page->next2,
		    S3_TOKEN_MAX, text, len);
		return 0;
	case PF_ENCODING:
		pw->encoded = strcmp(text, "url") == 0;
		return 0;
	case PF_KEY:
	case PF_ETAG:
		return page_text(&pw->cur.key, text, len);
	case PF_ID:
		return page_text(&pw->cur.id, text, len);
	case PF_SIZE:
	case PF_NUMBER:
		if (parse_u64(text, &v) < 0 ||
		    (id == PF_NUMBER && (v == 0 || v > S3_MAX_PARTS)))
			return -1;
		if (id == PF_SIZE)
			pw->cur.size = v;
		else
			pw->cur.number = (unsigned)v;
		return 0;
	default:
		return 0;
	}
}

static int
page_record(void *arg)
{
	struct page_walk *pw = arg;

	if (pw->n == pw->cap) {
		size_t cap = pw->cap ? pw->cap * 2 : 64;
		struct rec *r = realloc(pw->recs, cap * sizeof(*r));

		if (r == NULL)
			return -1;
		pw->recs = r;
		pw->cap = cap;
	}
	pw->recs[pw->n++] = pw->cur;
	memset(&pw->cur, 0, sizeof(pw->cur));
	return 0;
}

static void
page_release(struct page_walk *pw)
{
	size_t i;

	for (i = 0; i < pw->n; i++) {
		free(pw->recs[i].key);
		free(pw->recs[i].id);
	}
	free(pw->recs);
	free(pw->cur.key);
	free(pw->cur.id);
}

/* Walk one page; the records are in ${pw}. */
static int
page_walk(const struct xml_spec *spec, const char *body, size_t len,
    struct page_walk *pw, struct s3_page *page, const char *what,
    struct dupc_err *err)
{
	memset(pw, 0, sizeof(*pw));
	memset(page, 0, sizeof(*page));
	pw->page = page;
	if (walk_or_fail(spec, body, len, pw, what, err) < 0)
		return -1;
	page->count = pw->n;
	return 0;
}

/* The key of ${r} as stored (decoded when the page is url-encoded). */
static int
rec_key(const struct page_walk *pw, const struct rec *r, char *out, size_t size,
    const char *what, struct dupc_err *err)
{
	if (r->key == NULL)
		return err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
		    "the answer to %s has an entry without a key", what);
	if (!pw->encoded) {
		if (strlen(r->key) >= size)
			return err_class_set(err, ERR_TRANSIENT,
			    E_BACKEND_ERROR,
			    "the answer to %s has a key too long", what);
		memcpy(out, r->key, strlen(r->key) + 1);
		return 0;
	}
	if (s3_key_decode(r->key, out, size) < 0)
		return err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
		    "the answer to %s has a badly encoded key", what);
	return 0;
}

/* ------------------------------------------------------------------ */
/* ListObjectsV2 */

static const struct xml_field list_fields[] = {
	{ "IsTruncated", PF_TRUNCATED },
	{ "NextContinuationToken", PF_NEXT },
	{ "EncodingType", PF_ENCODING },
	{ "Contents/Key", PF_KEY },
	{ "Contents/Size", PF_SIZE },
	{ NULL, 0 },
};

static const struct xml_spec list_spec = { "ListBucketResult", "Contents",
	list_fields, page_field, page_record };

int
s3_xml_list(const char *body, size_t len, s3_key_fn *fn, void *arg,
    struct s3_page *page, struct dupc_err *err)
{
	struct page_walk pw;
	char key[S3_TEXT_MAX];
	size_t i;
	int rc = -1;

	if (page_walk(&list_spec, body, len, &pw, page, "a listing", err) < 0)
		goto out;
	for (i = 0; i < pw.n; i++) {
		if (rec_key(&pw, &pw.recs[i], key, sizeof(key), "a listing",
			err) < 0 ||
		    fn(arg, key, pw.recs[i].size, err) != 0)
			goto out;
	}
	rc = 0;
out:
	page_release(&pw);
	return rc;
}

/* ------------------------------------------------------------------ */
/* ListParts */

static const struct xml_field parts_fields[] = {
	{ "IsTruncated", PF_TRUNCATED },
	{ "NextPartNumberMarker", PF_NEXT },
	{ "Part/PartNumber", PF_NUMBER },
	{ "Part/ETag", PF_ETAG },
	{ "Part/Size", PF_SIZE },
	{ NULL, 0 },
};

static const struct xml_spec parts_spec = { "ListPartsResult", "Part",
	parts_fields, page_field, page_record };

int
s3_xml_parts(const char *body, size_t len, s3_part_fn *fn, void *arg,
    struct s3_page *page, struct dupc_err *err)
{
	struct page_walk pw;
	size_t i;
	int rc = -1;

	if (page_walk(&parts_spec, body, len, &pw, page, "a list of parts",
		err) < 0)
		goto out;
	for (i = 0; i < pw.n; i++) {
		const struct rec *r = &pw.recs[i];

		if (r->number == 0 || r->key == NULL) {
			err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
			    "the answer to a list of parts has a part without a number or an ETag");
			goto out;
		}
		if (fn(arg, r->number, r->key, r->size, err) != 0)
			goto out;
	}
	rc = 0;
out:
	page_release(&pw);
	return rc;
}

/* ------------------------------------------------------------------ */
/* ListMultipartUploads */

static const struct xml_field uploads_fields[] = {
	{ "IsTruncated", PF_TRUNCATED },
	{ "NextKeyMarker", PF_NEXT },
	{ "NextUploadIdMarker", PF_NEXT2 },
	{ "EncodingType", PF_ENCODING },
	{ "Upload/Key", PF_KEY },
	{ "Upload/UploadId", PF_ID },
	{ NULL, 0 },
};

static const struct xml_spec uploads_spec = { "ListMultipartUploadsResult",
	"Upload", uploads_fields, page_field, page_record };

int
s3_xml_uploads(const char *body, size_t len, s3_upload_fn *fn, void *arg,
    struct s3_page *page, struct dupc_err *err)
{
	struct page_walk pw;
	char key[S3_TEXT_MAX];
	size_t i;
	int rc = -1;

	if (page_walk(&uploads_spec, body, len, &pw, page, "a list of uploads",
		err) < 0)
		goto out;
	/* a url-encoded listing encodes the marker too */
	if (pw.encoded && page->next[0] != '\0' &&
	    s3_key_decode(page->next, key, sizeof(page->next)) == 0)
		memcpy(page->next, key, strlen(key) + 1);
	for (i = 0; i < pw.n; i++) {
		if (rec_key(&pw, &pw.recs[i], key, sizeof(key),
			"a list of uploads", err) < 0)
			goto out;
		if (pw.recs[i].id == NULL || pw.recs[i].id[0] == '\0') {
			err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
			    "the answer to a list of uploads has an upload without an id");
			goto out;
		}
		if (fn(arg, key, pw.recs[i].id, err) != 0)
			goto out;
	}
	rc = 0;
out:
	page_release(&pw);
	return rc;
}

/* ------------------------------------------------------------------ */
/* multipart initiate and complete */

static int
one_field(void *arg, int id, const char *text, size_t len)
{
	char **dst = arg;

	(void)id;
	return page_text(dst, text, len);
}

static const struct xml_field initiate_fields[] = {
	{ "UploadId", 0 },
	{ NULL, 0 },
};

static const struct xml_spec initiate_spec = { "InitiateMultipartUploadResult",
	NULL, initiate_fields, one_field, NULL };

int
s3_xml_initiate(const char *body, size_t len, char *id, size_t idsz,
    struct dupc_err *err)
{
	char *got = NULL;
	int rc = -1;

	if (walk_or_fail(&initiate_spec, body, len, &got,
		"a multipart upload's start", err) < 0)
		goto out;
	if (got == NULL || got[0] == '\0' || strlen(got) >= idsz) {
		err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
		    "the answer to a multipart upload's start has %s upload id",
		    got == NULL || got[0] == '\0' ? "no" : "too long an");
		goto out;
	}
	memcpy(id, got, strlen(got) + 1);
	rc = 0;
out:
	free(got);
	return rc;
}

static const struct xml_field complete_fields[] = {
	{ "ETag", 0 },
	{ NULL, 0 },
};

static const struct xml_spec complete_spec = { "CompleteMultipartUploadResult",
	NULL, complete_fields, one_field, NULL };

int
s3_xml_complete(const char *body, size_t len, struct s3_error *e,
    struct dupc_err *err)
{
	char why[160] = "";
	char *etag = NULL;
	int rc;

	memset(e, 0, sizeof(*e));
	rc = xml_walk(&complete_spec, body, len, &etag, why, sizeof(why));
	free(etag);
	if (rc == 0)
		return 0;
	if (rc == 1 && s3_xml_error(body, len, e) == 0)
		return 1;
	return err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
	    "the answer to a multipart upload's completion is not a CompleteMultipartUploadResult document: %s",
	    rc == 1 ? "another document" : why);
}
