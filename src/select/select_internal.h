#ifndef DUPC_SELECT_SELECT_INTERNAL_H
#define DUPC_SELECT_SELECT_INTERNAL_H

/*
 * Private to src/select/: text conversion (pystr.c), regular expressions
 * (rx.c), duplicity's glob matcher (glob.c), filelist reading (filelist.c)
 * and the --files-from set (filesfrom.c).
 *
 * "pystr" text is valid UTF-8 standing for a Python str: see pystr.c.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

struct buf;
struct dupc_err;

/*
 * select_canonical_root(root):
 * duplicity's Path.get_canonical(): ${root} with empty and "." components
 * dropped, a leading '/' kept, "." when nothing is left.  The full path of
 * an object, as duplicity matches and names it, is this joined with the
 * object's index.  Returns a string the caller frees, or NULL (ENOMEM).
 */
char *select_canonical_root(const char *);

/* Undecodable byte b stands for code point PYSTR_ESCAPE_BASE + b. */
#define PYSTR_ESCAPE_BASE 0x10ff00u

/* The longest filelist line, --files-from line or pattern accepted. */
#define SELECT_LINE_MAX (1u << 16)

/* pystr_utf8_valid(s, n): ${s} is strict UTF-8 (Python's decoder). */
bool pystr_utf8_valid(const char *, size_t);

/*
 * pystr_decode(out, s, n):
 * Append the bytes ${s}[0..${n}) to ${out} as pystr text (os.fsdecode()).
 * -1 when ${out} is full.
 */
int pystr_decode(struct buf *, const char *, size_t);

/* pystr_put(out, cp): append code point ${cp} in UTF-8. */
int pystr_put(struct buf *, uint32_t);

/*
 * pystr_next(s, n, pos):
 * The code point at *${pos} in pystr text ${s} of ${n} bytes; advances
 * *${pos} past it.
 */
uint32_t pystr_next(const char *, size_t, size_t *);

/*
 * pystr_lower(out, s, n):
 * Append ${s} lowercased (str.lower(), with simple one-to-one mappings).
 */
int pystr_lower(struct buf *, const char *, size_t);

/* pystr_strip(s, n): narrow *${s} and *${n} as str.strip() does. */
void pystr_strip(const char **, size_t *);

/*
 * rx_compile(pat, len, caseless, codep, err):
 * Compile a pattern for PCRE2 in UTF mode with Unicode classes (as Python
 * str patterns behave) and DOTALL when ${dotall}.  ${pat} is pystr text in
 * PCRE2 syntax.  E_EXCEPTION with PCRE2's message on failure (duplicity
 * dies of re.error there, exit status 30).
 */
int rx_compile(const char *, size_t, bool, bool, pcre2_code **,
    struct dupc_err *);

/*
 * rx_from_python(out, re, len, err):
 * Append to ${out} the PCRE2 form of the Python regular expression ${re}
 * (pystr text): Python's \Z (end of string) becomes \z.
 */
int rx_from_python(struct buf *, const char *, size_t, struct dupc_err *);

/*
 * rx_match(code, s, n, md):
 * True when ${code} matches pystr ${s} of ${n} bytes (a search, not
 * anchored unless the pattern is).  ${md} is scratch match data.
 */
bool rx_match(const pcre2_code *, const char *, size_t, pcre2_match_data *);

/* One compiled glob of duplicity's globmatch.py. */
struct glob;

/* Results of glob_test() and of every rule: duplicity's None, 0, 1, 2. */
enum rule_result {
	RES_NONE = -1,
	RES_EXCLUDE = 0,
	RES_INCLUDE = 1,
	RES_SCAN = 2,
};

/*
 * glob_compile(pat, len, caseless, gp, err):
 * Compile the glob ${pat} (pystr text, without any "ignorecase:" prefix)
 * as globmatch.select_fn_from_glob() does.  E_GLOBBING for consecutive
 * slashes; E_EXCEPTION for an empty glob or a reversed range (duplicity
 * dies of an exception there).
 */
int glob_compile(const char *, size_t, bool, struct glob **, struct dupc_err *);

/*
 * glob_test(g, name, len, isdir, include, md):
 * What the glob says about the object named ${name} (pystr text of the
 * full path): RES_NONE, ${include} for a match, or RES_SCAN (only when
 * ${include}) for a directory on the way to a possible match.
 */
enum rule_result glob_test(const struct glob *, const char *, size_t, bool,
    bool, pcre2_match_data *);

/* glob_free(g): NULL is fine. */
void glob_free(struct glob *);

/*
 * A filelist reader: lines split on '\n' (or NUL), with Python's universal
 * newlines ("\r\n" and "\r" read as "\n"), each at most SELECT_LINE_MAX
 * bytes, checked to be UTF-8 (duplicity opens filelists as strict UTF-8).
 */
struct line_reader;

/*
 * line_reader_new(fp, name, nul, err): read ${fp} (borrowed); ${name} is
 * used in messages.
 */
struct line_reader *line_reader_new(FILE *, const char *, bool,
    struct dupc_err *);

/*
 * line_reader_next(lr, linep, lenp, err):
 * 1 and the next line (borrowed until the next call; NUL-terminated), 0 at
 * the end, -1 on a read error, an over-long line, a NUL in a
 * newline-separated list (E_CANT_OPEN_FILELIST) or bad UTF-8 (E_EXCEPTION).
 */
int line_reader_next(struct line_reader *, const char **, size_t *,
    struct dupc_err *);

/* line_reader_lineno(lr): the number of the line last returned. */
unsigned long line_reader_lineno(const struct line_reader *);

/* line_reader_free(lr): NULL is fine. */
void line_reader_free(struct line_reader *);

/*
 * filelist_sanitise(linep, lenp, include):
 * Selection.filelist_sanitise_line(): strip, skip blank lines and "#"
 * comments (returns false), take a "+ " or "- " prefix into *${include},
 * drop one pair of surrounding quotes.  Returns false when nothing is left.
 */
bool filelist_sanitise(const char **, size_t *, bool *);

/* The set of indexes named by --files-from lines and their parents. */
struct files_from;

/*
 * files_from_read(lr, ffp, err):
 * Read a --files-from list.  E_ABSOLUTE_FILES_FROM for an absolute line,
 * E_EMPTY_FILES_FROM when it names nothing, E_COMMAND_LINE for "." or
 * ".." components.
 */
int files_from_read(struct line_reader *, struct files_from **,
    struct dupc_err *);

/* files_from_has(ff, index): ${index} is listed or a parent of one. */
bool files_from_has(const struct files_from *, const char *);

/* files_from_free(ff): NULL is fine. */
void files_from_free(struct files_from *);

#endif
