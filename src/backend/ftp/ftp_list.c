/*
 * LIST answers of FTP servers.  There is no standard: servers print what
 * `ls -l` prints (vsftpd, ProFTPD, Pure-FTPd, most NAS boxes) or, for
 * IIS, a DOS listing; MLSD would be exact, but vsftpd does not speak it.
 * A line is read field by field with a cursor, each step checked: in the
 * Unix form the date (a month name, a day, a time or a year) anchors the
 * fields, the size is the number before it and the name everything after
 * it, so owners and groups with odd widths do not matter.  Only regular
 * files are reported; links, folders and devices are passed over.  The
 * answer is read line by line as it streams in, with a cap on a line.
 */
#include "backend/ftp/ftp_internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/parse.h"

static const char *const months[] = { "jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec" };

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
lower_eq(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = a[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != b[i])
			return false;
	}
	return true;
}

/* The fields of a line: start and length of each, split at runs of
 * blanks; ${pos} the offset where each starts. */
struct fields {
	size_t start[16];
	size_t len[16];
	size_t n;
};

static void
split(const char *s, size_t len, struct fields *f)
{
	size_t i = 0;

	f->n = 0;
	while (i < len && f->n < 16) {
		while (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i == len)
			break;
		f->start[f->n] = i;
		while (i < len && s[i] != ' ' && s[i] != '\t')
			i++;
		f->len[f->n] = i - f->start[f->n];
		f->n++;
	}
}

static bool
all_digits(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return false;
	return true;
}

static bool
is_month(const char *s, size_t n)
{
	size_t i;

	if (n != 3)
		return false;
	for (i = 0; i < 12; i++)
		if (lower_eq(s, months[i], 3))
			return true;
	return false;
}

/* "HH:MM" or a year "YYYY". */
static bool
is_time_or_year(const char *s, size_t n)
{
	if (n == 4 && all_digits(s, 4))
		return true;
	return (n == 5 || n == 4) && s[n - 3] == ':' && all_digits(s, n - 3) &&
	       all_digits(s + n - 2, 2);
}

/* The name: from ${at} (one blank after the date) to the end. */
static int
take_name(char *line, size_t len, size_t at, const char **name)
{
	if (at >= len)
		return -1;
	line[len] = '\0';
	*name = line + at;
	return 0;
}

static int
unix_line(char *line, size_t len, const struct fields *f, const char **name,
    uint64_t *size, enum ftp_kind *kind)
{
	size_t i;

	/* the date: MONTH DAY TIME|YEAR, the size just before it */
	for (i = 1; i + 2 < f->n; i++) {
		if (!is_month(line + f->start[i], f->len[i]) ||
		    !all_digits(line + f->start[i + 1], f->len[i + 1]) ||
		    f->len[i + 1] > 2 ||
		    !is_time_or_year(line + f->start[i + 2], f->len[i + 2]))
			continue;
		if (i < 2 || !all_digits(line + f->start[i - 1], f->len[i - 1]))
			return -1;
		if (line[0] != '-') {
			*kind = FTP_OTHER;
			return 0;
		}
		if (parse_u64_n(line + f->start[i - 1], f->len[i - 1], size) <
		    0)
			return -1;
		*kind = FTP_FILE;
		return take_name(line, len, f->start[i + 2] + f->len[i + 2] + 1,
		    name);
	}
	return -1;
}

/* "MM-DD-YY  HH:MMAM  <DIR>|SIZE  NAME" */
static int
dos_line(char *line, size_t len, const struct fields *f, const char **name,
    uint64_t *size, enum ftp_kind *kind)
{
	const char *d, *t, *s;
	size_t at;

	if (f->n < 4)
		return -1;
	d = line + f->start[0];
	t = line + f->start[1];
	s = line + f->start[2];
	if ((f->len[0] != 8 && f->len[0] != 10) || d[2] != '-' || d[5] != '-' ||
	    f->len[1] < 6 || t[2] != ':')
		return -1;
	/* the name starts after the blanks that follow the size */
	at = f->start[2] + f->len[2];
	while (at < len && (line[at] == ' ' || line[at] == '\t'))
		at++;
	if (f->len[2] == 5 && memcmp(s, "<DIR>", 5) == 0) {
		*kind = FTP_OTHER;
		return 0;
	}
	if (parse_u64_n(s, f->len[2], size) < 0)
		return -1;
	*kind = FTP_FILE;
	return take_name(line, len, at, name);
}

int
ftp_list_line(char *line, size_t len, const char **name, uint64_t *size,
    enum ftp_kind *kind)
{
	struct fields f;

	*kind = FTP_SKIP;
	if (memchr(line, '\0', len) != NULL)
		return -1;
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	split(line, len, &f);
	if (f.n == 0 || (f.n == 2 && f.len[0] == 5 &&
			    lower_eq(line + f.start[0], "total", 5)))
		return 0;
	if (is_digit(line[0]))
		return dos_line(line, len, &f, name, size, kind);
	if (strchr("-dlcbps", line[0]) == NULL || f.n < 4)
		return -1;
	return unix_line(line, len, &f, name, size, kind);
}

struct ftp_list {
	ftp_file_fn *fn;
	void *arg;
	char *line;
	size_t len;
	bool too_long;
};

struct ftp_list *
ftp_list_new(ftp_file_fn *fn, void *arg)
{
	struct ftp_list *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	if ((l->line = malloc(FTP_LINE_MAX + 1)) == NULL) {
		free(l);
		return NULL;
	}
	l->fn = fn;
	l->arg = arg;
	return l;
}

void
ftp_list_free(struct ftp_list *l)
{
	if (l == NULL)
		return;
	free(l->line);
	free(l);
}

static int
bad(struct dupc_err *err, const char *why)
{
	return err_class_set(err, ERR_PERMANENT, E_BACKEND_ERROR,
	    "bad folder listing from the FTP server: %s", why);
}

/* One whole line. */
static int
line_done(struct ftp_list *l, struct dupc_err *err)
{
	const char *name = NULL;
	uint64_t size = 0;
	enum ftp_kind kind;

	if (ftp_list_line(l->line, l->len, &name, &size, &kind) < 0)
		return bad(err, "a line in no known form");
	l->len = 0;
	if (kind != FTP_FILE)
		return 0;
	return l->fn(name, size, l->arg, err) != 0 ? -1 : 0;
}

int
ftp_list_feed(struct ftp_list *l, const char *data, size_t n,
    struct dupc_err *err)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (data[i] == '\n') {
			if (line_done(l, err) < 0)
				return -1;
			continue;
		}
		if (l->len == FTP_LINE_MAX)
			return bad(err, "a line longer than 8 KiB");
		l->line[l->len++] = data[i];
	}
	return 0;
}

int
ftp_list_finish(struct ftp_list *l, struct dupc_err *err)
{
	return l->len > 0 ? line_done(l, err) : 0;
}
