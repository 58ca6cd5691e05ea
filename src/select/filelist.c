/*
 * Filelists (--include-filelist, --exclude-filelist, --files-from), read
 * one line at a time so that memory follows the longest line, not the
 * file.  duplicity opens them as UTF-8 text with Python's universal
 * newlines, so "\r\n" and a lone "\r" end lines too, and splits the text
 * on "\n" or, with --null-separator, on NUL (where a "\r" or "\n" inside
 * an entry is then only whitespace to strip).
 */
#include "select/select_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"

struct line_reader {
	FILE *fp; /* borrowed */
	char *name;
	int sep;         /* '\n' or '\0' */
	bool pending_cr; /* the last byte was a '\r' read as '\n' */
	bool eof;
	unsigned long lineno;
	struct buf line;
};

struct line_reader *
line_reader_new(FILE *fp, const char *name, bool nul, struct dupc_err *err)
{
	struct line_reader *lr = calloc(1, sizeof(*lr));

	if (lr == NULL || (lr->name = strdup(name)) == NULL) {
		free(lr);
		err_set(err, E_GENERIC, "out of memory");
		return NULL;
	}
	lr->fp = fp;
	lr->sep = nul ? '\0' : '\n';
	buf_init(&lr->line, SELECT_LINE_MAX + 1);
	return lr;
}

/* The line in lr->line is complete: check it and hand it out. */
static int
finish_line(struct line_reader *lr, const char **linep, size_t *lenp,
    struct dupc_err *err)
{
	lr->lineno++;
	if (!pystr_utf8_valid(lr->line.data, lr->line.len))
		return err_set(err, E_EXCEPTION,
		    "filelist %s: line %lu is not valid UTF-8", lr->name,
		    lr->lineno);
	*linep = buf_str(&lr->line);
	*lenp = lr->line.len;
	return 1;
}

int
line_reader_next(struct line_reader *lr, const char **linep, size_t *lenp,
    struct dupc_err *err)
{
	int c;

	if (lr->eof)
		return 0;
	buf_reset(&lr->line);
	for (;;) {
		if ((c = getc(lr->fp)) == EOF)
			break;
		if (lr->pending_cr) {
			lr->pending_cr = false;
			if (c == '\n')
				continue;
		}
		if (c == '\r') {
			lr->pending_cr = true;
			c = '\n';
		}
		if (c == lr->sep)
			return finish_line(lr, linep, lenp, err);
		if (c == '\0')
			return err_set(err, E_CANT_OPEN_FILELIST,
			    "filelist %s: line %lu contains a NUL byte (use "
			    "--null-separator for NUL-separated lists)",
			    lr->name, lr->lineno + 1);
		if (lr->line.len >= SELECT_LINE_MAX ||
		    buf_addch(&lr->line, c) < 0)
			return err_set(err, E_CANT_OPEN_FILELIST,
			    "filelist %s: line %lu is longer than %u bytes",
			    lr->name, lr->lineno + 1, SELECT_LINE_MAX);
	}
	if (ferror(lr->fp))
		return err_errno(err, E_CANT_OPEN_FILELIST,
		    "error reading filelist %s", lr->name);
	lr->eof = true;
	/* "a\n".split("\n") ends in an empty string: blank, so skipped */
	if (lr->line.len == 0)
		return 0;
	return finish_line(lr, linep, lenp, err);
}

unsigned long
line_reader_lineno(const struct line_reader *lr)
{
	return lr->lineno;
}

void
line_reader_free(struct line_reader *lr)
{
	if (lr == NULL)
		return;
	buf_release(&lr->line);
	free(lr->name);
	free(lr);
}

bool
filelist_sanitise(const char **linep, size_t *lenp, bool *include)
{
	const char *s = *linep;
	size_t n = *lenp;

	pystr_strip(&s, &n);
	if (n == 0 || s[0] == '#')
		return false;
	if (n >= 2 && s[1] == ' ' && (s[0] == '+' || s[0] == '-')) {
		*include = s[0] == '+';
		s += 2;
		n -= 2;
	}
	/* one pair of quotes; a lone quote is a pair of itself */
	if (n >= 1 && (s[0] == '\'' || s[0] == '"') && s[n - 1] == s[0]) {
		s++;
		n = n >= 2 ? n - 2 : 0;
	}
	*linep = s;
	*lenp = n;
	return n > 0;
}
