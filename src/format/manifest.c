/*
 * Manifest reading and writing.  The reader is a line scanner that mirrors
 * the regular expressions of duplicity's Manifest.from_string and
 * VolumeInfo.from_string; every length and count it accepts is bounded.
 */
#define _DEFAULT_SOURCE
#include "format/manifest.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "format/quote.h"
#include "format/tar.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/parse.h"
#include "util/path.h"

#define MAX_TOKEN (1u << 20)
/* a path no tar entry can hold is no use, and each volume keeps two */
#define MAX_INDEX (TAR_NAME_MAX - 1)

void
manifest_init(struct manifest *m)
{
	memset(m, 0, sizeof(*m));
	m->filelist_count = -1;
}

static void
volume_release(struct manifest_volume *v)
{
	free(v->start_index);
	free(v->end_index);
	v->start_index = v->end_index = NULL;
}

void
manifest_release(struct manifest *m)
{
	size_t i;

	for (i = 0; i < m->nvols; i++)
		volume_release(&m->vols[i]);
	free(m->vols);
	free(m->hostname);
	free(m->localdir);
	manifest_init(m);
}

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	       c == '\v';
}

/* Does the line start with ${word} (case-insensitive) then whitespace? */
static bool
line_starts(const char *line, size_t n, const char *word)
{
	size_t k = strlen(word);

	return n > k && strncasecmp(line, word, k) == 0 && is_ws(line[k]);
}

/* Split the next whitespace-separated token; returns false at the end. */
static bool
next_token(const char **p, const char *end, const char **tok, size_t *len)
{
	const char *s = *p;

	while (s < end && is_ws(*s))
		s++;
	if (s == end)
		return false;
	*tok = s;
	while (s < end && !is_ws(*s))
		s++;
	*len = (size_t)(s - *tok);
	*p = s;
	return true;
}

/* Unquote a path token into an index string ("." -> ""). */
static int
token_index(const char *tok, size_t len, char **out)
{
	struct buf b;

	buf_init(&b, MAX_INDEX);
	if (unquote(tok, len, &b) < 0 ||
	    memchr(b.data ? b.data : "", '\0', b.len) != NULL) {
		buf_release(&b);
		return -1;
	}
	if (strcmp(buf_str(&b), ".") == 0)
		buf_reset(&b);
	*out = buf_detach(&b);
	return 0;
}

static int
token_block(const char *tok, size_t len, long *out)
{
	uint64_t v;

	if (parse_u64_n(tok, len, &v) < 0 || v > 2147483647u)
		return -1;
	*out = (long)v;
	return 0;
}

/* One line inside a Volume block. */
static int
volume_line(struct manifest_volume *v, const char *line, size_t n)
{
	const char *p = line, *end = line + n, *tok, *tok2;
	size_t len, len2;
	char **idx;
	long *blk;

	if (!next_token(&p, end, &tok, &len))
		return 0;
	if (len == 12 && strncasecmp(tok, "startingpath", 12) == 0) {
		idx = &v->start_index;
		blk = &v->start_block;
	} else if (len == 10 && strncasecmp(tok, "endingpath", 10) == 0) {
		idx = &v->end_index;
		blk = &v->end_block;
	} else if (len == 4 && strncasecmp(tok, "hash", 4) == 0) {
		if (!next_token(&p, end, &tok, &len) ||
		    !next_token(&p, end, &tok2, &len2) ||
		    len >= sizeof(v->hash_type) || len2 >= sizeof(v->hash) ||
		    memchr(tok, '\0', len) != NULL ||
		    memchr(tok2, '\0', len2) != NULL)
			return -1;
		/* keep the best: SHA1, then MD5, then the first seen */
		if (v->hash_type[0] == '\0' ||
		    (len == 4 && strncmp(tok, "SHA1", 4) == 0) ||
		    (len == 3 && strncmp(tok, "MD5", 3) == 0 &&
			strcmp(v->hash_type, "SHA1") != 0)) {
			memcpy(v->hash_type, tok, len);
			v->hash_type[len] = '\0';
			memcpy(v->hash, tok2, len2);
			v->hash[len2] = '\0';
		}
		return 0;
	} else {
		return 0; /* duplicity ignores other lines */
	}
	if (!next_token(&p, end, &tok, &len))
		return -1;
	free(*idx);
	*idx = NULL;
	if (token_index(tok, len, idx) < 0)
		return -1;
	*blk = -1;
	if (next_token(&p, end, &tok, &len) && token_block(tok, len, blk) < 0)
		return -1;
	return 0;
}

/* "Volume N:" */
static int
volume_header(const char *line, size_t n, unsigned *num)
{
	const char *p = line + 7, *q;
	uint64_t v;

	if (n < 9 || strncasecmp(line, "volume ", 7) != 0)
		return -1;
	for (q = p; q < line + n && isdigit((unsigned char)*q); q++)
		;
	if (q == p || q >= line + n || *q != ':' ||
	    parse_u64_n(p, (size_t)(q - p), &v) < 0 || v > 2147483647u)
		return -1;
	*num = (unsigned)v;
	return 0;
}

/* The value after "Hostname " or "Localdir " (${skip} bytes); the
 * keyword alone on its line (its blank the newline) gives "". */
static int
field_value(const char *line, size_t n, size_t skip, char **out)
{
	struct buf b;

	buf_init(&b, MAX_TOKEN);
	if (unquote(line + (n < skip ? n : skip), n < skip ? 0 : n - skip, &b) <
	    0) {
		buf_release(&b);
		return -1;
	}
	free(*out);
	*out = buf_detach(&b);
	return 0;
}

/*
 * Append in the order read; sort_volumes() orders them afterwards.  The
 * array doubles when full, so a manifest of n volumes costs O(n) here
 * (inserting in order cost O(n^2): minutes for 200000 volumes).
 */
static int
store_volume(struct manifest *m, struct manifest_volume *v)
{
	struct manifest_volume *nv;
	size_t n = m->nvols;

	if (n >= MANIFEST_MAX_VOLUMES)
		return -1;
	/* capacity is the next power of two (at least 8) */
	if (n >= 8 && (n & (n - 1)) == 0) {
		nv = realloc(m->vols, 2 * n * sizeof(*nv));
		if (nv == NULL)
			return -1;
		m->vols = nv;
	} else if (n == 0) {
		m->vols = malloc(8 * sizeof(*m->vols));
		if (m->vols == NULL)
			return -1;
	}
	m->vols[n] = *v;
	m->nvols = n + 1;
	return 0;
}

struct vol_ref {
	unsigned number;
	size_t pos; /* order read */
};

static int
vol_ref_cmp(const void *a, const void *b)
{
	const struct vol_ref *x = a, *y = b;

	if (x->number != y->number)
		return x->number < y->number ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/*
 * Sort by number; of volumes listed more than once (a resumed set) the
 * last read wins, and numbers above ${last} are dropped, as duplicity's
 * Manifest.from_string does.
 */
static int
sort_volumes(struct manifest *m, unsigned last)
{
	struct vol_ref *ref;
	struct manifest_volume *out;
	size_t i, n = 0;

	if (m->nvols == 0)
		return 0;
	ref = malloc(m->nvols * sizeof(*ref));
	out = malloc(m->nvols * sizeof(*out));
	if (ref == NULL || out == NULL) {
		free(ref);
		free(out);
		return -1;
	}
	for (i = 0; i < m->nvols; i++) {
		ref[i].number = m->vols[i].number;
		ref[i].pos = i;
	}
	qsort(ref, m->nvols, sizeof(*ref), vol_ref_cmp);
	for (i = 0; i < m->nvols; i++) {
		struct manifest_volume *v = &m->vols[ref[i].pos];
		bool superseded =
		    i + 1 < m->nvols && ref[i + 1].number == ref[i].number;

		if (superseded || v->number > last)
			volume_release(v);
		else
			out[n++] = *v;
	}
	free(ref);
	free(m->vols);
	m->vols = out;
	m->nvols = n;
	return 0;
}

static int
finish_volume(struct manifest *m, struct manifest_volume *cur, bool *open)
{
	if (!*open)
		return 0;
	*open = false;
	if (cur->start_index == NULL || cur->end_index == NULL)
		return -1;
	if (store_volume(m, cur) < 0)
		return -1;
	memset(cur, 0, sizeof(*cur));
	return 0;
}

int
manifest_parse(struct manifest *m, const char *text, size_t len,
    struct dupc_err *err)
{
	const char *p = text, *end = text + len;
	struct manifest_volume cur;
	bool open = false;
	unsigned last = 0;

	memset(&cur, 0, sizeof(cur));
	if (len > MANIFEST_MAX_BYTES)
		return err_set(err, E_UNREADABLE_MANIFESTS,
		    "manifest too large (%zu bytes)", len);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (line_starts(p, n + (nl != NULL), "volume")) {
			if (finish_volume(m, &cur, &open) < 0)
				goto bad;
			if (volume_header(p, n, &cur.number) < 0)
				goto bad;
			cur.start_block = cur.end_block = -1;
			open = true;
			last = cur.number;
		} else if (line_starts(p, n + (nl != NULL), "filelist")) {
			/* duplicity writes Filelist after the last volume,
			 * inside what its reader takes as that volume's
			 * block; like its separate filelist regexp, take
			 * the first "Filelist N" wherever it is */
			uint64_t c;
			const char *q = p + 9;

			/* "Filelist" alone (its blank the newline) has
			 * no count */
			if (m->filelist_count < 0 && n > 9 &&
			    parse_u64_n(q, n - 9, &c) == 0 && c < 1u << 30)
				m->filelist_count = (long)c;
		} else if (open) {
			if (volume_line(&cur, p, n) < 0)
				goto bad;
		} else if (nl != NULL && m->hostname == NULL &&
			   line_starts(p, n + 1, "hostname")) {
			if (field_value(p, n, 9, &m->hostname) < 0)
				goto bad;
		} else if (nl != NULL && m->localdir == NULL &&
			   line_starts(p, n + 1, "localdir")) {
			if (field_value(p, n, 9, &m->localdir) < 0)
				goto bad;
		}
		p = nl ? nl + 1 : end;
	}
	if (finish_volume(m, &cur, &open) < 0)
		goto bad;
	/* a resumed set may list volumes past the one it restarted at */
	if (sort_volumes(m, last) < 0)
		goto bad;
	return 0;
bad:
	volume_release(&cur);
	manifest_release(m);
	return err_set(err, E_UNREADABLE_MANIFESTS,
	    "manifest is corrupt (bad volume entry)");
}

const struct manifest_volume *
manifest_find(const struct manifest *m, unsigned number)
{
	size_t lo = 0, hi = m->nvols;

	/* vols is sorted by number, numbers unique */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->vols[mid].number == number)
			return &m->vols[mid];
		if (m->vols[mid].number < number)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The first ${depth} components of ${idx}, as a prefix length. */
static size_t
first_components(const char *idx, size_t depth)
{
	size_t i, seen = 0;

	if (depth == 0)
		return 0;
	for (i = 0; idx[i]; i++) {
		if (idx[i] == '/' && ++seen == depth)
			return i;
	}
	return i;
}

bool
manifest_volume_may_contain(const struct manifest_volume *v, const char *prefix)
{
	size_t depth = index_depth(prefix);
	size_t n = first_components(v->start_index, depth);
	char *start = strndup(v->start_index, n);
	bool ok;

	if (start == NULL)
		return true; /* fetch rather than miss data */
	ok = index_cmp(start, prefix) <= 0 &&
	     index_cmp(prefix, v->end_index) <= 0;
	free(start);
	return ok;
}

int
manifest_write_header(struct buf *out, const char *hostname,
    const char *localdir)
{
	if (hostname != NULL && *hostname != '\0' &&
	    buf_addf(out, "Hostname %s\n", hostname) < 0)
		return -1;
	if (localdir != NULL && *localdir != '\0') {
		if (buf_addstr(out, "Localdir ") < 0 ||
		    quote_append(out, localdir) < 0 || buf_addch(out, '\n') < 0)
			return -1;
	}
	return 0;
}

static int
write_path(struct buf *out, const char *idx, long block)
{
	if (*idx == '\0') {
		if (buf_addch(out, '.') < 0)
			return -1;
	} else if (quote_append(out, idx) < 0) {
		return -1;
	}
	if (block >= 0)
		return buf_addf(out, " %ld\n", block);
	return buf_addstr(out, "  \n");
}

int
manifest_write_volume(struct buf *out, const struct manifest_volume *v)
{
	if (buf_addf(out, "Volume %u:\n    StartingPath   ", v->number) < 0 ||
	    write_path(out, v->start_index, v->start_block) < 0 ||
	    buf_addstr(out, "    EndingPath     ") < 0 ||
	    write_path(out, v->end_index, v->end_block) < 0)
		return -1;
	if (v->hash_type[0] != '\0' &&
	    buf_addf(out, "    Hash %s %s\n", v->hash_type, v->hash) < 0)
		return -1;
	return 0;
}

int
manifest_write_filelist_header(struct buf *out, uint64_t count)
{
	return buf_addf(out, "Filelist %llu\n", (unsigned long long)count);
}

int
manifest_write_filelist_entry(struct buf *out, const char *kind,
    const char *idx)
{
	if (buf_addf(out, "    %-7s  ", kind) < 0)
		return -1;
	if (*idx == '\0')
		return buf_addstr(out, ".\n");
	if (quote_append(out, idx) < 0)
		return -1;
	return buf_addch(out, '\n');
}

static bool
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

bool
manifest_equal(const struct manifest *a, const struct manifest *b)
{
	size_t i;

	if (a->nvols != b->nvols)
		return false;
	for (i = 0; i < a->nvols; i++) {
		const struct manifest_volume *x = &a->vols[i], *y = &b->vols[i];

		if (x->number != y->number ||
		    strcmp(x->start_index, y->start_index) != 0 ||
		    strcmp(x->end_index, y->end_index) != 0 ||
		    strcmp(x->hash_type, y->hash_type) != 0 ||
		    strcmp(x->hash, y->hash) != 0)
			return false;
	}
	return str_eq(a->hostname, b->hostname) &&
	       str_eq(a->localdir, b->localdir);
}

int
manifest_best_hash(const struct manifest_volume *v, const char **type,
    const char **hex)
{
	if (v->hash_type[0] == '\0')
		return -1;
	*type = v->hash_type;
	*hex = v->hash;
	return 0;
}
