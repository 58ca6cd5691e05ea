/*
 * File selection with duplicity's rules (selection.py).  The options are
 * recorded in command-line order by selection_add(); selection_set_root()
 * turns them into a list of rules exactly as Select.ParseArgs() does
 * (filelists read then, so --null-separator applies wherever it was given;
 * --exclude-if-present and --exclude-device-files go to the front of the
 * list), and selection_check() runs the list for every object:
 *
 *   each rule says nothing, include, exclude, or "scan" (a directory an
 *   include rule may still match below); the first include or exclude
 *   wins; a scan seen before it turns an exclude (or silence) into
 *   SEL_SCAN; when no rule speaks the object is included.
 *
 * Name rules (globs, literals, regular expressions) see the full path as
 * duplicity builds it: the source directory as given, with "." and empty
 * components dropped, joined with the index.  That is why an absolute
 * pattern needs an absolute source directory.  Matching is on pystr text
 * (see pystr.c), so non-UTF-8 names behave as under Python.
 *
 * Not thread-safe: selection_check() uses scratch space in the selection.
 */
#include "select/select.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "select/select_internal.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/meta.h"
#include "util/parse.h"

#define NAME_MAX_BYTES (1u << 23)
#define QUOTE_MAX 512

enum opt_kind {
	OPT_INCLUDE,
	OPT_EXCLUDE,
	OPT_INCLUDE_REGEXP,
	OPT_EXCLUDE_REGEXP,
	OPT_INCLUDE_FILELIST,
	OPT_EXCLUDE_FILELIST,
	OPT_EXCLUDE_IF_PRESENT,
	OPT_EXCLUDE_DEVICE_FILES,
	OPT_EXCLUDE_OTHER_FS,
	OPT_EXCLUDE_OLDER_THAN,
	OPT_FILES_FROM,
	OPT_FILTER_GLOBBING,
	OPT_FILTER_LITERAL,
	OPT_FILTER_REGEXP,
	OPT_FILTER_IGNORECASE,
	OPT_FILTER_STRICTCASE,
	OPT_NULL_SEPARATOR,
};

enum arg_kind {
	ARG_NONE, /* a switch */
	ARG_STRING,
	ARG_FILE,  /* a file opened now, read by selection_set_root() */
	ARG_STDIN, /* a filelist on standard input */
	ARG_TIME,  /* seconds since the epoch, in decimal */
};

static const struct opt_def {
	const char *name;
	enum opt_kind kind;
	enum arg_kind arg;
} opt_defs[] = {
	{ "include", OPT_INCLUDE, ARG_STRING },
	{ "exclude", OPT_EXCLUDE, ARG_STRING },
	{ "include-regexp", OPT_INCLUDE_REGEXP, ARG_STRING },
	{ "exclude-regexp", OPT_EXCLUDE_REGEXP, ARG_STRING },
	{ "include-filelist", OPT_INCLUDE_FILELIST, ARG_FILE },
	{ "exclude-filelist", OPT_EXCLUDE_FILELIST, ARG_FILE },
	/* 0.8.22's deprecated spellings: all filelists glob now */
	{ "include-globbing-filelist", OPT_INCLUDE_FILELIST, ARG_FILE },
	{ "exclude-globbing-filelist", OPT_EXCLUDE_FILELIST, ARG_FILE },
	{ "include-filelist-stdin", OPT_INCLUDE_FILELIST, ARG_STDIN },
	{ "exclude-filelist-stdin", OPT_EXCLUDE_FILELIST, ARG_STDIN },
	{ "exclude-if-present", OPT_EXCLUDE_IF_PRESENT, ARG_STRING },
	{ "exclude-device-files", OPT_EXCLUDE_DEVICE_FILES, ARG_NONE },
	{ "exclude-other-filesystems", OPT_EXCLUDE_OTHER_FS, ARG_NONE },
	{ "exclude-older-than", OPT_EXCLUDE_OLDER_THAN, ARG_TIME },
	{ "files-from", OPT_FILES_FROM, ARG_FILE },
	{ "filter-globbing", OPT_FILTER_GLOBBING, ARG_NONE },
	{ "filter-literal", OPT_FILTER_LITERAL, ARG_NONE },
	{ "filter-regexp", OPT_FILTER_REGEXP, ARG_NONE },
	{ "filter-ignorecase", OPT_FILTER_IGNORECASE, ARG_NONE },
	{ "filter-strictcase", OPT_FILTER_STRICTCASE, ARG_NONE },
	{ "null-separator", OPT_NULL_SEPARATOR, ARG_NONE },
};

/* One recorded option, waiting for selection_set_root(). */
struct pending {
	enum opt_kind kind;
	char *arg; /* the argument, or the filelist's name */
	FILE *fp;  /* an open filelist (not closed when stdin) */
	int64_t time;
};

enum rule_kind {
	RULE_GLOB,     /* --include/--exclude and filelist lines */
	RULE_ALL,      /* the glob "**", which matches everything */
	RULE_LITERAL,  /* the same under --filter-literal */
	RULE_REGEX,    /* --include-regexp and --filter-regexp patterns */
	RULE_PRESENT,  /* --exclude-if-present */
	RULE_DEVICES,  /* --exclude-device-files */
	RULE_OTHER_FS, /* --exclude-other-filesystems */
	RULE_OLDER,    /* --exclude-older-than */
};

struct rule {
	enum rule_kind kind;
	bool include;
	bool caseless;     /* RULE_LITERAL: compare folded names */
	struct glob *glob; /* RULE_GLOB */
	pcre2_code *re;    /* RULE_REGEX */
	char *text;        /* RULE_LITERAL string, RULE_PRESENT name */
	size_t len;
	int64_t time; /* RULE_OLDER */
};

/* Mutable scratch space used by selection_check(). */
struct scratch {
	struct buf name;
	struct buf fold;
	pcre2_match_data *md;
};

/* ParseArgs state: how --include/--exclude patterns are read. */
enum pattern_mode {
	MODE_GLOB,
	MODE_LITERAL,
	MODE_REGEX,
};

struct selection {
	struct pending *opts;
	size_t nopts, optcap;
	bool null_sep;
	bool ready; /* selection_set_root() has succeeded */
	struct rule *rules;
	size_t nrules, rulecap;
	struct files_from *ff;
	char *root;  /* canonical source path, raw bytes */
	char *uroot; /* the same as pystr text */
	size_t urootlen;
	bool root_isdir;
	uint64_t root_dev;
	bool need_name, need_fold;
	struct scratch *scr;
	/* only while parsing */
	enum pattern_mode mode;
	bool nocase;
	char last[QUOTE_MAX + 32]; /* the last pattern rule, for messages */
};

struct selection *
selection_new(struct dupc_err *err)
{
	struct selection *sel = calloc(1, sizeof(*sel));

	if (sel == NULL)
		goto err0;
	if ((sel->scr = calloc(1, sizeof(*sel->scr))) == NULL)
		goto err1;
	if ((sel->scr->md = pcre2_match_data_create(1, NULL)) == NULL)
		goto err2;
	buf_init(&sel->scr->name, NAME_MAX_BYTES);
	buf_init(&sel->scr->fold, NAME_MAX_BYTES);
	return sel;
err2:
	free(sel->scr);
err1:
	free(sel);
err0:
	err_set(err, E_GENERIC, "out of memory");
	return NULL;
}

static const struct opt_def *
find_opt(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(opt_defs) / sizeof(opt_defs[0]); i++)
		if (strcmp(opt_defs[i].name, name) == 0)
			return &opt_defs[i];
	return NULL;
}

/* Fill ${p} from ${arg} as ${d} wants it. */
static int
take_arg(const struct opt_def *d, const char *arg, struct pending *p,
    struct dupc_err *err)
{
	if ((d->arg == ARG_NONE || d->arg == ARG_STDIN) != (arg == NULL))
		return err_set(err, E_COMMAND_LINE, "--%s %s", d->name,
		    arg == NULL ? "needs an argument" : "takes no argument");
	switch (d->arg) {
	case ARG_NONE:
		return 0;
	case ARG_TIME:
		if (parse_i64(arg, &p->time) < 0)
			return err_set(err, E_COMMAND_LINE,
			    "--%s: '%s' is not a time in seconds since the "
			    "epoch",
			    d->name, arg);
		return 0;
	case ARG_STDIN:
		p->fp = stdin;
		arg = "standard input";
		break;
	case ARG_FILE:
		/* duplicity opens filelists while parsing options */
		if ((p->fp = fopen(arg, "rb")) == NULL)
			return err_errno(err, E_CANT_OPEN_FILELIST,
			    "error opening file %s", arg);
		break;
	case ARG_STRING:
		break;
	}
	if ((p->arg = strdup(arg)) == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	return 0;
}

static void
pending_release(struct pending *p)
{
	if (p->fp != NULL && p->fp != stdin)
		fclose(p->fp);
	p->fp = NULL;
	free(p->arg);
	p->arg = NULL;
}

int
selection_add(struct selection *sel, const char *option, const char *arg,
    struct dupc_err *err)
{
	const struct opt_def *d = find_opt(option);
	struct pending p;

	if (sel->ready)
		return err_set(err, E_GENERIC,
		    "selection rule --%s added after the walk started", option);
	if (d == NULL)
		return err_set(err, E_COMMAND_LINE,
		    "--%s is not a file selection option", option);
	memset(&p, 0, sizeof(p));
	p.kind = d->kind;
	if (take_arg(d, arg, &p, err) < 0) {
		pending_release(&p);
		return -1;
	}
	/* a global switch in duplicity (config.null_separator) */
	if (d->kind == OPT_NULL_SEPARATOR) {
		sel->null_sep = true;
		return 0;
	}
	if (sel->nopts == sel->optcap) {
		size_t cap = sel->optcap ? sel->optcap * 2 : 16;
		struct pending *n = realloc(sel->opts, cap * sizeof(*n));

		if (n == NULL) {
			pending_release(&p);
			return err_set(err, E_GENERIC, "out of memory");
		}
		sel->opts = n;
		sel->optcap = cap;
	}
	sel->opts[sel->nopts++] = p;
	return 0;
}

char *
select_canonical_root(const char *root)
{
	struct buf b;
	const char *p = root;

	buf_init(&b, NAME_MAX_BYTES);
	while (*p != '\0') {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (n > 0 && !(n == 1 && p[0] == '.')) {
			if ((b.len > 0 || root[0] == '/') &&
			    buf_addch(&b, '/') < 0)
				goto fail;
			if (buf_add(&b, p, n) < 0)
				goto fail;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	if (b.len == 0 && buf_addstr(&b, root[0] == '/' ? "/" : ".") < 0)
		goto fail;
	return buf_detach(&b);
fail:
	buf_release(&b);
	return NULL;
}

/* Append a rule (or put it first, as duplicity's add_to_start does). */
static int
push_rule(struct selection *sel, const struct rule *r, bool front,
    struct dupc_err *err)
{
	if (sel->nrules == sel->rulecap) {
		size_t cap = sel->rulecap ? sel->rulecap * 2 : 16;
		struct rule *n = realloc(sel->rules, cap * sizeof(*n));

		if (n == NULL)
			return err_set(err, E_GENERIC, "out of memory");
		sel->rules = n;
		sel->rulecap = cap;
	}
	if (front) {
		memmove(sel->rules + 1, sel->rules,
		    sel->nrules * sizeof(*sel->rules));
		sel->rules[0] = *r;
	} else {
		sel->rules[sel->nrules] = *r;
	}
	sel->nrules++;
	if (r->kind == RULE_GLOB || r->kind == RULE_LITERAL ||
	    r->kind == RULE_REGEX)
		sel->need_name = true;
	if (r->kind == RULE_LITERAL && r->caseless)
		sel->need_fold = true;
	return 0;
}

static void
rule_release(struct rule *r)
{
	glob_free(r->glob);
	pcre2_code_free(r->re);
	free(r->text);
}

/* Quote untrusted text for a message; returns ${out}. */
static const char *
quote(const char *s, size_t n, char *out)
{
	char tmp[QUOTE_MAX];

	if (n >= sizeof(tmp))
		n = sizeof(tmp) - 1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return log_quote_path(tmp, out, QUOTE_MAX);
}

/* Remember the rule just appended, as duplicity's sel_func.name. */
static void
note_last(struct selection *sel, const char *what, bool include,
    const char *pat, size_t len)
{
	char q[QUOTE_MAX];

	snprintf(sel->last, sizeof(sel->last), "%s %s %s",
	    include ? "include" : "exclude", what, quote(pat, len, q));
}

static int
prefix_error(const struct selection *sel, const char *pat, size_t len,
    struct dupc_err *err)
{
	char q[QUOTE_MAX], r[QUOTE_MAX];

	/* Selection.parse_catch_error(): FilePrefixError */
	return err_set(err, E_FILE_PREFIX,
	    "the file specification %s cannot match any files in the base "
	    "directory %s; useful file specifications begin with the base "
	    "directory or some pattern (such as '**') which matches it",
	    quote(pat, len, q), quote(sel->root, strlen(sel->root), r));
}

/*
 * Selection.glob_get_sf() of 0.8.22, and of 3.x under --filter-ignorecase.
 * The "ignorecase:" prefix lowercases the glob, which is then checked
 * against the source path case-sensitively (0.8.22 does so), and matched
 * ignoring case.
 */
static int
add_glob(struct selection *sel, const char *pat, size_t len, bool include,
    struct dupc_err *err)
{
	struct rule r = { .kind = RULE_GLOB, .include = include };
	struct glob *check = NULL;
	struct buf low;
	bool legacy = len >= 11 && strncasecmp(pat, "ignorecase:", 11) == 0;
	bool caseless = legacy || sel->nocase;
	int rc = -1;

	buf_init(&low, SELECT_LINE_MAX * 4);
	if (legacy) {
		if (pystr_lower(&low, pat + 11, len - 11) < 0) {
			err_set(err, E_COMMAND_LINE, "glob too long");
			goto out;
		}
		pat = buf_str(&low);
		len = low.len;
	}
	note_last(sel, "glob", include, pat, len);
	if (len == 2 && memcmp(pat, "**", 2) == 0) {
		r.kind = RULE_ALL;
		rc = push_rule(sel, &r, false, err);
		goto out;
	}
	if ((legacy && glob_compile(pat, len, false, &check, err) < 0) ||
	    glob_compile(pat, len, caseless, &r.glob, err) < 0) {
		char q[QUOTE_MAX];

		err_prefix(err, "glob %s", quote(pat, len, q));
		goto out;
	}
	if (glob_test(check ? check : r.glob, sel->uroot, sel->urootlen,
		sel->root_isdir, true, sel->scr->md) == RES_NONE) {
		prefix_error(sel, pat, len, err);
		goto out;
	}
	if ((rc = push_rule(sel, &r, false, err)) == 0)
		r.glob = NULL;
out:
	glob_free(check);
	glob_free(r.glob);
	buf_release(&low);
	return rc;
}

/* Fold ${s} for a caseless comparison into ${out} (replacing it). */
static int
fold(struct buf *out, const char *s, size_t n)
{
	buf_reset(out);
	return pystr_lower(out, s, n);
}

/* select_fn_from_literal() of 3.x on ${name} (folded when caseless). */
static enum rule_result
literal_test(const char *lit, size_t ll, const char *name, size_t n,
    bool include)
{
	if (n == ll && memcmp(name, lit, n) == 0)
		return include ? RES_INCLUDE : RES_EXCLUDE;
	if (n > ll && memcmp(name, lit, ll) == 0 && name[ll] == '/')
		return include ? RES_INCLUDE : RES_EXCLUDE;
	if (!include)
		return RES_NONE;
	if (ll > n && memcmp(lit, name, n) == 0 && lit[n] == '/')
		return RES_SCAN;
	/* 3.x misses that the root "/" is a parent of every absolute
	 * path (it tests lit[1] == '/'); a backup of / needs it */
	if (n == 1 && name[0] == '/' && ll > 1 && lit[0] == '/')
		return RES_SCAN;
	return RES_NONE;
}

/* Selection.literal_get_sf() of 3.x (--filter-literal). */
static int
add_literal(struct selection *sel, const char *pat, size_t len, bool include,
    struct dupc_err *err)
{
	struct rule r = { .kind = RULE_LITERAL, .include = include };
	struct buf b;
	int rc = -1;

	if (len == 0)
		return err_set(err, E_EXCEPTION, "empty literal pattern");
	note_last(sel, "literal", include, pat, len);
	if (len > 1 && pat[len - 1] == '/')
		len--;
	buf_init(&b, SELECT_LINE_MAX * 4);
	r.caseless = sel->nocase;
	if ((r.caseless ? pystr_lower(&b, pat, len) : buf_add(&b, pat, len)) <
	    0) {
		err_set(err, E_COMMAND_LINE, "literal pattern too long");
		goto out;
	}
	r.len = b.len;
	r.text = buf_detach(&b);
	if (fold(&sel->scr->fold, sel->uroot, sel->urootlen) < 0 ||
	    literal_test(r.text, r.len,
		r.caseless ? buf_str(&sel->scr->fold) : sel->uroot,
		r.caseless ? sel->scr->fold.len : sel->urootlen,
		true) == RES_NONE) {
		prefix_error(sel, pat, len, err);
		goto out;
	}
	if ((rc = push_rule(sel, &r, false, err)) == 0)
		r.text = NULL;
out:
	free(r.text);
	buf_release(&b);
	return rc;
}

/* Selection.regexp_get_sf(): Python re.search() on the full path. */
static int
add_regex(struct selection *sel, const char *pat, size_t len, bool include,
    struct dupc_err *err)
{
	struct rule r = { .kind = RULE_REGEX, .include = include };
	struct buf b;
	int rc = -1;

	note_last(sel, "regular expression", include, pat, len);
	buf_init(&b, SELECT_LINE_MAX * 4);
	if (rx_from_python(&b, pat, len, err) < 0)
		goto out;
	if (rx_compile(buf_str(&b), b.len, sel->nocase, false, &r.re, err) <
	    0) {
		char q[QUOTE_MAX];

		err_prefix(err, "error compiling regular expression %s",
		    quote(pat, len, q));
		goto out;
	}
	if ((rc = push_rule(sel, &r, false, err)) == 0)
		r.re = NULL;
out:
	pcre2_code_free(r.re);
	buf_release(&b);
	return rc;
}

/* Selection.general_get_sf(): a pattern read in the current mode. */
static int
add_pattern(struct selection *sel, const char *pat, size_t len, bool include,
    struct dupc_err *err)
{
	switch (sel->mode) {
	case MODE_LITERAL:
		return add_literal(sel, pat, len, include, err);
	case MODE_REGEX:
		return add_regex(sel, pat, len, include, err);
	case MODE_GLOB:
		break;
	}
	return add_glob(sel, pat, len, include, err);
}

/* A pattern from the command line: bytes, decoded as os.fsdecode(). */
static int
add_arg_pattern(struct selection *sel, const struct pending *p, bool regexp,
    struct dupc_err *err)
{
	bool include = p->kind == OPT_INCLUDE || p->kind == OPT_INCLUDE_REGEXP;
	struct buf b;
	int rc;

	buf_init(&b, SELECT_LINE_MAX * 4);
	if (pystr_decode(&b, p->arg, strlen(p->arg)) < 0) {
		buf_release(&b);
		return err_set(err, E_COMMAND_LINE, "pattern too long");
	}
	if (regexp)
		rc = add_regex(sel, buf_str(&b), b.len, include, err);
	else
		rc = add_pattern(sel, buf_str(&b), b.len, include, err);
	buf_release(&b);
	return rc;
}

/* Selection.filelist_globbing_get_sfs(): one rule per line. */
static int
add_filelist(struct selection *sel, const struct pending *p,
    struct dupc_err *err)
{
	static const char *const mode_word[] = { "globbing", "literal",
		"regex" };
	struct line_reader *lr;
	const char *line;
	size_t len;
	int rc;

	log_msg(LOG_NOTICE, INFO_GENERIC, NULL, "Reading %s filelist %s",
	    mode_word[sel->mode], p->arg);
	if ((lr = line_reader_new(p->fp, p->arg, sel->null_sep, err)) == NULL)
		return -1;
	while ((rc = line_reader_next(lr, &line, &len, err)) > 0) {
		bool include = p->kind == OPT_INCLUDE_FILELIST;

		if (!filelist_sanitise(&line, &len, &include))
			continue;
		if (add_pattern(sel, line, len, include, err) < 0) {
			rc = -1;
			break;
		}
	}
	line_reader_free(lr);
	return rc;
}

static int
add_files_from(struct selection *sel, const struct pending *p,
    struct dupc_err *err)
{
	struct line_reader *lr;
	struct files_from *ff = NULL;
	int rc;

	log_msg(LOG_NOTICE, INFO_GENERIC, NULL,
	    "Reading files to backup from list %s", p->arg);
	if ((lr = line_reader_new(p->fp, p->arg, sel->null_sep, err)) == NULL)
		return -1;
	rc = files_from_read(lr, &ff, err);
	line_reader_free(lr);
	if (rc == 0) {
		files_from_free(sel->ff);
		sel->ff = ff;
	}
	return rc;
}

static int
add_simple(struct selection *sel, const struct pending *p, struct dupc_err *err)
{
	struct rule r = { .include = false };
	bool front = false;

	switch (p->kind) {
	case OPT_EXCLUDE_IF_PRESENT:
		r.kind = RULE_PRESENT;
		front = true;
		if ((r.text = strdup(p->arg)) == NULL)
			return err_set(err, E_GENERIC, "out of memory");
		r.len = strlen(r.text);
		break;
	case OPT_EXCLUDE_DEVICE_FILES:
		r.kind = RULE_DEVICES;
		front = true;
		break;
	case OPT_EXCLUDE_OTHER_FS:
		r.kind = RULE_OTHER_FS;
		break;
	default:
		r.kind = RULE_OLDER;
		r.time = p->time;
		break;
	}
	if (push_rule(sel, &r, front, err) < 0) {
		free(r.text);
		return -1;
	}
	return 0;
}

/* One recorded option, as the body of Select.ParseArgs() treats it. */
static int
parse_one(struct selection *sel, const struct pending *p, struct dupc_err *err)
{
	switch (p->kind) {
	case OPT_INCLUDE:
	case OPT_EXCLUDE:
		return add_arg_pattern(sel, p, false, err);
	case OPT_INCLUDE_REGEXP:
	case OPT_EXCLUDE_REGEXP:
		return add_arg_pattern(sel, p, true, err);
	case OPT_INCLUDE_FILELIST:
	case OPT_EXCLUDE_FILELIST:
		return add_filelist(sel, p, err);
	case OPT_FILES_FROM:
		return add_files_from(sel, p, err);
	case OPT_FILTER_GLOBBING:
		sel->mode = MODE_GLOB;
		return 0;
	case OPT_FILTER_LITERAL:
		sel->mode = MODE_LITERAL;
		return 0;
	case OPT_FILTER_REGEXP:
		sel->mode = MODE_REGEX;
		return 0;
	case OPT_FILTER_IGNORECASE:
		sel->nocase = true;
		return 0;
	case OPT_FILTER_STRICTCASE:
		sel->nocase = false;
		return 0;
	default:
		return add_simple(sel, p, err);
	}
}

static bool
is_filter(enum opt_kind k)
{
	return k >= OPT_FILTER_GLOBBING && k <= OPT_FILTER_STRICTCASE;
}

/* The sanity checks 3.x makes on --filter-* before anything else. */
static int
check_filters(const struct selection *sel, struct dupc_err *err)
{
	size_t i;
	bool any = false, useful = false;

	if (sel->nopts > 0 && is_filter(sel->opts[sel->nopts - 1].kind))
		return err_set(err, E_TRAILING_FILTER,
		    "the last file selection option is a --filter-* option, "
		    "which has no effect as no selection option follows it");
	for (i = 0; i < sel->nopts; i++) {
		enum opt_kind k = sel->opts[i].kind;

		if (!is_filter(k))
			continue;
		any = true;
		if (k != OPT_FILTER_GLOBBING && k != OPT_FILTER_STRICTCASE)
			useful = true;
	}
	if (any && !useful)
		return err_set(err, E_REDUNDANT_FILTER,
		    "only --filter-globbing and --filter-strictcase were "
		    "given; case-sensitive globbing is the default, so they "
		    "have no effect");
	return 0;
}

/* Selection.parse_last_excludes(). */
static int
check_last_rule(const struct selection *sel, struct dupc_err *err)
{
	const struct rule *r;

	if (sel->nrules == 0)
		return 0;
	r = &sel->rules[sel->nrules - 1];
	if (!r->include)
		return 0;
	return err_set(err, E_REDUNDANT_INCLUSION,
	    "the last selection expression (%s) only specifies that files be "
	    "included; because the default is to include all files, it is "
	    "redundant (end with an exclude such as --exclude '**')",
	    sel->last);
}

static int
set_root_info(struct selection *sel, const char *root, const struct stat *st,
    struct dupc_err *err)
{
	struct stat own;
	struct buf b;

	if (st == NULL) {
		if (lstat(root, &own) < 0)
			return err_errno(err, E_BACKUP_DIR_DOESNT_EXIST,
			    "cannot examine source directory %s", root);
		st = &own;
	}
	sel->root_isdir = S_ISDIR(st->st_mode);
	sel->root_dev = (uint64_t)st->st_dev;
	if ((sel->root = select_canonical_root(root)) == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	buf_init(&b, NAME_MAX_BYTES);
	if (pystr_decode(&b, sel->root, strlen(sel->root)) < 0) {
		buf_release(&b);
		return err_set(err, E_GENERIC, "out of memory");
	}
	sel->urootlen = b.len;
	sel->uroot = buf_detach(&b);
	return 0;
}

int
selection_set_root(struct selection *sel, const char *root,
    const struct stat *st, struct dupc_err *err)
{
	size_t i;
	int rc = -1;

	if (sel->ready || sel->root != NULL)
		return err_set(err, E_GENERIC, "selection root set twice");
	if (set_root_info(sel, root, st, err) < 0)
		goto out;
	if (check_filters(sel, err) < 0)
		goto out;
	sel->mode = MODE_GLOB;
	sel->nocase = false;
	for (i = 0; i < sel->nopts; i++)
		if (parse_one(sel, &sel->opts[i], err) < 0)
			goto out;
	if (check_last_rule(sel, err) < 0)
		goto out;
	sel->ready = true;
	rc = 0;
out:
	for (i = 0; i < sel->nopts; i++)
		pending_release(&sel->opts[i]);
	sel->nopts = 0;
	if (rc < 0) {
		/* no half-built list: a walk would include everything */
		for (i = 0; i < sel->nrules; i++)
			rule_release(&sel->rules[i]);
		sel->nrules = 0;
		files_from_free(sel->ff);
		sel->ff = NULL;
	}
	return rc;
}

/* The full path of ${index} as pystr text, in the scratch buffer. */
static int
full_name(const struct selection *sel, const char *index)
{
	struct buf *b = &sel->scr->name;

	buf_reset(b);
	if (buf_add(b, sel->uroot, sel->urootlen) < 0)
		return -1;
	if (*index == '\0')
		return 0;
	if (!(sel->urootlen == 1 && sel->uroot[0] == '/') &&
	    buf_addch(b, '/') < 0)
		return -1;
	return pystr_decode(b, index, strlen(index));
}

/* The raw full path of ${index}, for messages and for opening. */
static int
raw_path(const struct selection *sel, const char *index, struct buf *out)
{
	if (buf_addstr(out, sel->root) < 0)
		return -1;
	if (strcmp(sel->root, "/") != 0 && buf_addch(out, '/') < 0)
		return -1;
	return buf_addstr(out, index);
}

/* Open the directory ${index} (${name} in ${dirfd} when that is open). */
static int
open_dir(const struct selection *sel, const char *index, int dirfd,
    const char *name)
{
	struct buf path;
	int fd = -1;

	if (dirfd >= 0)
		return openat(dirfd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	buf_init(&path, NAME_MAX_BYTES);
	if (raw_path(sel, index, &path) == 0)
		fd = open(buf_str(&path),
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	buf_release(&path);
	return fd;
}

static void
warn_unreadable(const struct selection *sel, const char *index)
{
	struct buf path;
	char q[QUOTE_MAX];

	buf_init(&path, NAME_MAX_BYTES);
	if (raw_path(sel, index, &path) == 0)
		log_msg(LOG_WARNING, WARN_CANNOT_READ,
		    log_quote_path(buf_str(&path), q, sizeof(q)),
		    "Error accessing possibly locked file %s", buf_str(&path));
	buf_release(&path);
}

/*
 * path.contains(want): listdir() of the directory has ${want}.  A failure
 * to read the directory is a warning and counts as "not there", as in
 * present_get_sf().
 */
static bool
dir_has(const struct selection *sel, const char *index, int dirfd,
    const char *name, const char *want)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	bool found = false;
	int fd;

	/* listdir() never returns these, and a '/' is in no name */
	if (*want == '\0' || strcmp(want, ".") == 0 ||
	    strcmp(want, "..") == 0 || strchr(want, '/') != NULL)
		return false;
	if ((fd = open_dir(sel, index, dirfd, name)) < 0) {
		warn_unreadable(sel, index);
		return false;
	}
	/* Looking the name up is cheap; only a directory that may be read
	 * but not searched (r without x) is read entry by entry, as
	 * listdir() would read it. */
	if (fstatat(fd, want, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		close(fd);
		return true;
	}
	if (errno != EACCES || (d = fdopendir(fd)) == NULL) {
		close(fd);
		return false;
	}
	while (!found && (de = readdir(d)) != NULL)
		found = strcmp(de->d_name, want) == 0;
	closedir(d);
	return found;
}

static enum rule_result
run_rule(const struct selection *sel, const struct rule *r, const char *index,
    const struct obj_meta *meta, uint64_t dev, int dirfd, const char *name)
{
	const struct buf *nm = r->caseless ? &sel->scr->fold : &sel->scr->name;
	bool isdir = meta->type == OBJ_DIR;
	enum rule_result no = RES_NONE;
	enum rule_result yes = r->include ? RES_INCLUDE : RES_EXCLUDE;

	switch (r->kind) {
	case RULE_GLOB:
		return glob_test(r->glob, nm->data, nm->len, isdir, r->include,
		    sel->scr->md);
	case RULE_ALL:
		return yes;
	case RULE_LITERAL:
		return literal_test(r->text, r->len, nm->data, nm->len,
		    r->include);
	case RULE_REGEX:
		return rx_match(r->re, nm->data, nm->len, sel->scr->md) ? yes
									: no;
	case RULE_PRESENT:
		return isdir && dir_has(sel, index, dirfd, name, r->text) ? yes
									  : no;
	case RULE_DEVICES:
		return meta->type == OBJ_CHR || meta->type == OBJ_BLK ? yes
								      : no;
	case RULE_OTHER_FS:
		return dev != sel->root_dev ? yes : no;
	case RULE_OLDER:
		/* getmtime() is a float; for a whole-second limit t,
		 * mtime < t exactly when floor(mtime) < t */
		return meta->type == OBJ_REG && meta->mtime < r->time ? yes
								      : no;
	}
	return no;
}

enum select_result
selection_check(const struct selection *sel, const char *index,
    const struct obj_meta *meta, uint64_t dev, int dirfd, const char *name)
{
	enum rule_result res = RES_NONE;
	bool scan = false;
	size_t i;

	/* without selection_set_root() there can be no rules */
	assert(sel->ready || sel->nopts == 0);
	if (!sel->ready || *index == '\0')
		return SEL_INCLUDE;
	if (sel->ff != NULL && !files_from_has(sel->ff, index))
		return SEL_EXCLUDE;
	if (sel->nrules == 0)
		return SEL_INCLUDE;
	if ((sel->need_name && full_name(sel, index) < 0) ||
	    (sel->need_fold && fold(&sel->scr->fold, sel->scr->name.data,
				   sel->scr->name.len) < 0)) {
		log_msg(LOG_WARNING, WARN_CANNOT_PROCESS, NULL,
		    "Skipping %s: path too long to match", index);
		return SEL_EXCLUDE;
	}
	/* Select.Select(): the first include or exclude wins; a scan on
	 * the way turns an exclude (or nothing) into a scan */
	for (i = 0; i < sel->nrules; i++) {
		res = run_rule(sel, &sel->rules[i], index, meta, dev, dirfd,
		    name);
		if (res == RES_SCAN)
			scan = true;
		else if (res != RES_NONE)
			break;
	}
	if (res == RES_INCLUDE)
		return SEL_INCLUDE;
	/* only a directory can be scanned; duplicity drops the rest */
	if (scan)
		return meta->type == OBJ_DIR ? SEL_SCAN : SEL_EXCLUDE;
	return res == RES_EXCLUDE ? SEL_EXCLUDE : SEL_INCLUDE;
}

void
selection_free(struct selection *sel)
{
	size_t i;

	if (sel == NULL)
		return;
	for (i = 0; i < sel->nopts; i++)
		pending_release(&sel->opts[i]);
	free(sel->opts);
	for (i = 0; i < sel->nrules; i++)
		rule_release(&sel->rules[i]);
	free(sel->rules);
	files_from_free(sel->ff);
	free(sel->root);
	free(sel->uroot);
	pcre2_match_data_free(sel->scr->md);
	buf_release(&sel->scr->name);
	buf_release(&sel->scr->fold);
	free(sel->scr);
	free(sel);
}
