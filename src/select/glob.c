/*
 * duplicity's shell globs (globmatch.py).  A glob is turned into three
 * regular expressions over the full path of a file:
 *
 *   comp   "^G($|/)"  the glob matches the path or one of its parents, so
 *                     including a directory includes all below it;
 *   exact  "^G$"      for a glob ending in '/', which must name a directory
 *                     itself (its contents match through comp as usual);
 *   scan   "^(P0|P1|..)$" over the prefixes of the glob cut at each '/'
 *                     (and after the first "**"): the directories an
 *                     include glob may still match below, which the walk
 *                     must enter.
 *
 * G is glob_to_regex(): "**" is ".*", '*' is "[^/]*", '?' is "[^/]", a
 * "[...]" set is a character class ('!' or '^' negates; an unclosed '['
 * is literal), everything else is literal.  '$' keeps Python's meaning
 * (end of string or before a final newline), so "/t/x" also matches a file
 * named "x\n".  A glob without wildcards is matched by string comparison
 * with the same rules, which keeps large filelists cheap.
 */
#include "select/select_internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"

#define REGEX_MAX (SELECT_LINE_MAX * 16)

struct glob {
	bool ends_slash; /* the glob ended in '/' (not "/" alone) */
	bool literal;    /* no wildcard: match by comparison */
	char *lit;       /* literal: the glob without its final '/' */
	size_t litlen;
	pcre2_code *comp, *exact, *scan;
};

static int
emit_cp(struct buf *out, uint32_t cp)
{
	if ((cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') ||
	    (cp >= 'A' && cp <= 'Z') || cp == '_')
		return buf_addch(out, (int)cp);
	return buf_addf(out, "\\x{%x}", (unsigned)cp);
}

/*
 * Emit the class for the code points ${cps}[0..${n}), the inside of a
 * "[...]" with its first '!' or '^' already taken as ${negate}.  Members
 * are parsed as sre parses them: "a-z" is a range unless the '-' is last.
 */
static int
emit_class(struct buf *out, const uint32_t *cps, size_t n, bool negate,
    struct dupc_err *err)
{
	size_t i = 0;

	if (buf_addstr(out, negate ? "[^" : "[") < 0)
		return -1;
	while (i < n) {
		uint32_t lo = cps[i++];

		if (i + 1 < n && cps[i] == '-') {
			uint32_t hi = cps[i + 1];

			if (hi < lo)
				return err_set(err, E_EXCEPTION,
				    "bad character range in glob character set");
			i += 2;
			if (buf_addf(out, "\\x{%x}-\\x{%x}", (unsigned)lo,
				(unsigned)hi) < 0)
				return -1;
			continue;
		}
		if (buf_addf(out, "\\x{%x}", (unsigned)lo) < 0)
			return -1;
	}
	return buf_addch(out, ']');
}

/* Decode pystr text into code points (the caller frees *${cpsp}). */
static int
to_cps(const char *s, size_t n, uint32_t **cpsp, size_t *np)
{
	/* room for the glob "/" to grow into three code points */
	uint32_t *cps = malloc((n + 3) * sizeof(*cps));
	size_t pos = 0, k = 0;

	if (cps == NULL)
		return -1;
	while (pos < n)
		cps[k++] = pystr_next(s, n, &pos);
	*cpsp = cps;
	*np = k;
	return 0;
}

/* glob_to_regex() of globmatch.py, over code points. */
static int
glob_to_regex(struct buf *out, const uint32_t *p, size_t n,
    struct dupc_err *err)
{
	size_t i = 0, j;
	int rc = 0;

	while (i < n && rc == 0) {
		uint32_t c = p[i++];

		if (c == '*' && i < n && p[i] == '*') {
			rc = buf_addstr(out, ".*");
			i++;
		} else if (c == '*') {
			rc = buf_addstr(out, "[^/]*");
		} else if (c == '?') {
			rc = buf_addstr(out, "[^/]");
		} else if (c == '[') {
			j = i;
			if (j < n && (p[j] == '!' || p[j] == '^'))
				j++;
			if (j < n && p[j] == ']')
				j++;
			while (j < n && p[j] != ']')
				j++;
			if (j >= n) {
				rc = emit_cp(out, '[');
				continue;
			}
			if (p[i] == '!' || p[i] == '^')
				rc = emit_class(out, p + i + 1, j - i - 1, true,
				    err);
			else
				rc = emit_class(out, p + i, j - i, false, err);
			i = j + 1;
		} else {
			rc = emit_cp(out, c);
		}
	}
	return rc;
}

/*
 * Build "^(" P0 "|" P1 ... ")$" over the prefixes of ${p}: it cut before
 * each '/' and the whole of it, with the empty first prefix of an absolute
 * glob standing for the root "/".
 */
static int
scan_regex(struct buf *out, const uint32_t *p, size_t n, struct dupc_err *err)
{
	size_t i;
	bool first = true;

	if (buf_addstr(out, "^(") < 0)
		return -1;
	for (i = 0; i <= n; i++) {
		if (i < n && p[i] != '/')
			continue;
		if (!first && buf_addch(out, '|') < 0)
			return -1;
		first = false;
		if (i == 0) {
			if (emit_cp(out, '/') < 0)
				return -1;
		} else if (glob_to_regex(out, p, i, err) < 0) {
			return -1;
		}
	}
	return buf_addstr(out, ")$");
}

/*
 * The "Consecutive '/'s" check of _glob_get_prefix_regexs(): an empty
 * part other than the first or the last, which is any "//".
 */
static bool
has_double_slash(const uint32_t *p, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (p[i] == '/' && p[i - 1] == '/')
			return true;
	return false;
}

static int
compile_one(struct buf *re, bool caseless, pcre2_code **codep,
    struct dupc_err *err)
{
	if (re->len >= re->max)
		return err_set(err, E_COMMAND_LINE, "glob too long");
	return rx_compile(buf_str(re), re->len, caseless, true, codep, err);
}

/* Compile comp, exact and scan for the glob ${p} (code points). */
static int
compile_regexes(struct glob *g, const uint32_t *p, size_t n, size_t ntrunc,
    bool caseless, struct dupc_err *err)
{
	struct buf re;
	int rc = -1;

	/* buffer overflows leave ${err} empty; see the label */
	err_clear(err);
	buf_init(&re, REGEX_MAX);
	if (buf_addch(&re, '^') < 0 || glob_to_regex(&re, p, n, err) < 0)
		goto out;
	if (buf_addstr(&re, "($|/)") < 0 ||
	    compile_one(&re, caseless, &g->comp, err) < 0)
		goto out;
	if (g->ends_slash) {
		buf_truncate(&re, re.len - 5);
		if (buf_addstr(&re, "($)") < 0 ||
		    compile_one(&re, caseless, &g->exact, err) < 0)
			goto out;
	}
	buf_reset(&re);
	if (scan_regex(&re, p, ntrunc, err) < 0 ||
	    compile_one(&re, caseless, &g->scan, err) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0 && err != NULL && err->code == 0)
		err_set(err, E_COMMAND_LINE, "glob too long");
	buf_release(&re);
	return rc;
}

static int
glob_setup(struct glob *g, const char *pat, size_t len, bool caseless,
    struct dupc_err *err)
{
	uint32_t *p = NULL;
	size_t n, i, ntrunc;
	bool wild = caseless;
	int rc = -1;

	if (to_cps(pat, len, &p, &n) < 0)
		return err_set(err, E_GENERIC, "out of memory");
	if (n == 1 && p[0] == '/') {
		/* the glob "/" includes everything: it is "/" then "**" */
		p[1] = '*';
		p[2] = '*';
		n = 3;
	} else if (p[n - 1] == '/') {
		g->ends_slash = true;
		n--;
	}
	ntrunc = n;
	for (i = 0; i < n; i++) {
		if (p[i] == '*' || p[i] == '?' || p[i] == '[')
			wild = true;
		if (ntrunc == n && i + 1 < n && p[i] == '*' && p[i + 1] == '*')
			ntrunc = i + 2;
	}
	if (wild && compile_regexes(g, p, n, ntrunc, caseless, err) < 0)
		goto out;
	if (has_double_slash(p, ntrunc)) {
		rc = err_set(err, E_GLOBBING,
		    "consecutive '/'s found in globbing string");
		goto out;
	}
	if (!wild) {
		g->literal = true;
		g->litlen = len - (g->ends_slash ? 1 : 0);
		if ((g->lit = malloc(g->litlen + 1)) == NULL) {
			rc = err_set(err, E_GENERIC, "out of memory");
			goto out;
		}
		memcpy(g->lit, pat, g->litlen);
		g->lit[g->litlen] = '\0';
	}
	rc = 0;
out:
	free(p);
	return rc;
}

int
glob_compile(const char *pat, size_t len, bool caseless, struct glob **gp,
    struct dupc_err *err)
{
	struct glob *g;

	/* duplicity takes glob_str[-1] and dies of an IndexError */
	if (len == 0)
		return err_set(err, E_EXCEPTION, "empty glob");
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	if (glob_setup(g, pat, len, caseless, err) < 0) {
		glob_free(g);
		return -1;
	}
	*gp = g;
	return 0;
}

/* ${rest} (what follows a match) satisfies "$": empty or a final "\n". */
static bool
at_dollar(const char *rest, size_t n)
{
	return n == 0 || (n == 1 && rest[0] == '\n');
}

static bool
lit_comp(const struct glob *g, const char *name, size_t n)
{
	if (n < g->litlen || memcmp(name, g->lit, g->litlen) != 0)
		return false;
	return at_dollar(name + g->litlen, n - g->litlen) ||
	       name[g->litlen] == '/';
}

static bool
lit_exact(const struct glob *g, const char *name, size_t n)
{
	return n >= g->litlen && memcmp(name, g->lit, g->litlen) == 0 &&
	       at_dollar(name + g->litlen, n - g->litlen);
}

/* ${name} (of length ${m}) is one of the scan prefixes of the literal. */
static bool
lit_prefix(const struct glob *g, const char *name, size_t m)
{
	if (m == 1 && name[0] == '/' && g->litlen > 0 && g->lit[0] == '/')
		return true;
	return m > 0 && m <= g->litlen && memcmp(name, g->lit, m) == 0 &&
	       (m == g->litlen || g->lit[m] == '/');
}

static bool
lit_scan(const struct glob *g, const char *name, size_t n)
{
	if (lit_prefix(g, name, n))
		return true;
	return n > 0 && name[n - 1] == '\n' && lit_prefix(g, name, n - 1);
}

enum rule_result
glob_test(const struct glob *g, const char *name, size_t n, bool isdir,
    bool include, pcre2_match_data *md)
{
	bool comp, exact, scan;

	comp =
	    g->literal ? lit_comp(g, name, n) : rx_match(g->comp, name, n, md);
	if (comp) {
		if (!g->ends_slash)
			return include ? RES_INCLUDE : RES_EXCLUDE;
		exact = g->literal ? lit_exact(g, name, n)
				   : rx_match(g->exact, name, n, md);
		if (exact && !isdir)
			return RES_NONE;
		return include ? RES_INCLUDE : RES_EXCLUDE;
	}
	if (!include)
		return RES_NONE;
	scan =
	    g->literal ? lit_scan(g, name, n) : rx_match(g->scan, name, n, md);
	return scan ? RES_SCAN : RES_NONE;
}

void
glob_free(struct glob *g)
{
	if (g == NULL)
		return;
	free(g->lit);
	pcre2_code_free(g->comp);
	pcre2_code_free(g->exact);
	pcre2_code_free(g->scan);
	free(g);
}
