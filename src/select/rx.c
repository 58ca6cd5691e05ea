/*
 * Regular expressions for selection, on PCRE2.  duplicity compiles both its
 * translated globs and the --include-regexp/--exclude-regexp arguments with
 * Python's re module on str objects; PCRE2 in UTF mode with Unicode
 * properties (PCRE2_UCP) gives the same answers for the syntax the two
 * share.  '$' keeps its Python meaning (end, or before a final newline) and
 * the newline convention is fixed to LF, as in Python.
 */
#include "select/select_internal.h"

#include <string.h>

#include "util/buf.h"
#include "util/err.h"

int
rx_compile(const char *pat, size_t len, bool caseless, bool dotall,
    pcre2_code **codep, struct dupc_err *err)
{
	pcre2_compile_context *cc;
	pcre2_code *code;
	uint32_t opts = PCRE2_UTF | PCRE2_UCP;
	PCRE2_SIZE off;
	int ec;

	if (caseless)
		opts |= PCRE2_CASELESS;
	if (dotall)
		opts |= PCRE2_DOTALL;
	cc = pcre2_compile_context_create(NULL);
	if (cc == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
	code = pcre2_compile((PCRE2_SPTR)pat, len, opts, &ec, &off, cc);
	pcre2_compile_context_free(cc);
	if (code == NULL) {
		PCRE2_UCHAR msg[256];

		if (pcre2_get_error_message(ec, msg, sizeof(msg)) < 0)
			strncpy((char *)msg, "unknown error", sizeof(msg));
		return err_set(err, E_EXCEPTION, "%s at position %zu", msg,
		    (size_t)off);
	}
	*codep = code;
	return 0;
}

int
rx_from_python(struct buf *out, const char *re, size_t len,
    struct dupc_err *err)
{
	size_t i = 0;
	bool in_class = false, class_start = false;

	/* Walk the pattern as sre does: escapes are two characters, a class
	 * runs to the first ']' that is not its first member. */
	while (i < len) {
		char c = re[i];

		if (c == '\\' && i + 1 < len) {
			char d = re[i + 1];

			if (!in_class && d == 'Z')
				d = 'z';
			if (buf_addch(out, c) < 0 || buf_addch(out, d) < 0)
				goto full;
			i += 2;
			class_start = false;
			continue;
		}
		if (in_class) {
			if (c == ']' && !class_start)
				in_class = false;
			else if (!(c == '^' && class_start))
				class_start = false;
		} else if (c == '[') {
			in_class = true;
			class_start = true;
		}
		if (buf_addch(out, c) < 0)
			goto full;
		i++;
	}
	return 0;
full:
	return err_set(err, E_COMMAND_LINE, "regular expression too long");
}

bool
rx_match(const pcre2_code *code, const char *s, size_t n, pcre2_match_data *md)
{
	int rc;

	rc = pcre2_match(code, (PCRE2_SPTR)s, n, 0, PCRE2_NO_UTF_CHECK, md,
	    NULL);
	/* 0 means a match whose groups did not fit in ${md}; a resource
	 * limit (catastrophic backtracking) counts as no match. */
	return rc >= 0;
}
