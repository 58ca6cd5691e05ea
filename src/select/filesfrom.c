/*
 * --files-from (duplicity 3.x): the walk visits only the listed paths and
 * the directories leading to them; the selection rules then apply to those
 * as usual.  A listed directory does not bring its contents: only what is
 * listed is visited.  Lines are paths relative to the source directory,
 * taken as they are (no stripping, no comments); blank lines are skipped.
 *
 * The lines are kept sorted in duplicity's index order, where everything
 * below "a" sorts right after "a" and before "a-b"; so "is X listed or a
 * parent of something listed" is one binary search.
 */
#include "select/select_internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/path.h"

struct files_from {
	char **idx;
	size_t n, cap;
};

/*
 * Normalise a relative line into an index: repeated and trailing '/' are
 * dropped.  "." and ".." cannot name anything below the source directory
 * as duplicity matches names, so they are refused.
 */
static int
line_to_index(const char *line, size_t len, struct buf *out,
    unsigned long lineno, struct dupc_err *err)
{
	size_t i = 0, start, n;

	buf_reset(out);
	while (i < len) {
		while (i < len && line[i] == '/')
			i++;
		start = i;
		while (i < len && line[i] != '/')
			i++;
		n = i - start;
		if (n == 0)
			break;
		if ((n == 1 && line[start] == '.') ||
		    (n == 2 && line[start] == '.' && line[start + 1] == '.'))
			return err_set(err, E_COMMAND_LINE,
			    "files-from line %lu: '.' and '..' are not allowed; "
			    "give paths relative to the source directory",
			    lineno);
		if ((out->len > 0 && buf_addch(out, '/') < 0) ||
		    buf_add(out, line + start, n) < 0)
			return err_set(err, E_GENERIC, "out of memory");
	}
	return 0;
}

static int
add_index(struct files_from *ff, struct buf *idx)
{
	if (ff->n == ff->cap) {
		size_t cap = ff->cap ? ff->cap * 2 : 64;
		char **p = realloc(ff->idx, cap * sizeof(*p));

		if (p == NULL)
			return -1;
		ff->idx = p;
		ff->cap = cap;
	}
	ff->idx[ff->n] = buf_detach(idx);
	ff->n++;
	return 0;
}

static int
cmp_index(const void *a, const void *b)
{
	return index_cmp(*(char *const *)a, *(char *const *)b);
}

static void
sort_unique(struct files_from *ff)
{
	size_t i, k = 0;

	qsort(ff->idx, ff->n, sizeof(*ff->idx), cmp_index);
	for (i = 0; i < ff->n; i++) {
		if (k > 0 && strcmp(ff->idx[k - 1], ff->idx[i]) == 0) {
			free(ff->idx[i]);
			continue;
		}
		ff->idx[k++] = ff->idx[i];
	}
	ff->n = k;
}

/* Read every line; the first absolute one is reported in ${abs}. */
static int
read_lines(struct line_reader *lr, struct files_from *ff, struct buf *abs,
    struct dupc_err *err)
{
	struct buf idx;
	const char *line;
	size_t len;
	int rc;

	buf_init(&idx, SELECT_LINE_MAX + 1);
	while ((rc = line_reader_next(lr, &line, &len, err)) > 0) {
		if (len == 0)
			continue;
		if (line[0] == '/') {
			/* duplicity stops reading at the first one */
			if (buf_add(abs, line, len) < 0)
				rc = err_set(err, E_GENERIC, "out of memory");
			break;
		}
		if (line_to_index(line, len, &idx, line_reader_lineno(lr),
			err) < 0) {
			rc = -1;
			break;
		}
		if (add_index(ff, &idx) < 0) {
			rc = err_set(err, E_GENERIC, "out of memory");
			break;
		}
	}
	buf_release(&idx);
	return rc < 0 ? -1 : 0;
}

int
files_from_read(struct line_reader *lr, struct files_from **ffp,
    struct dupc_err *err)
{
	struct files_from *ff = calloc(1, sizeof(*ff));
	struct buf abs;
	int rc = -1;

	buf_init(&abs, SELECT_LINE_MAX + 1);
	if (ff == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		goto out;
	}
	if (read_lines(lr, ff, &abs, err) < 0)
		goto out;
	if (abs.len > 0) {
		err_set(err, E_ABSOLUTE_FILES_FROM,
		    "files-from list contains the absolute path %s; all paths "
		    "in a files-from list must be relative to the backup "
		    "source path",
		    buf_str(&abs));
		goto out;
	}
	if (ff->n == 0) {
		err_set(err, E_EMPTY_FILES_FROM,
		    "files-from list contains no files, so the backup would be "
		    "empty");
		goto out;
	}
	sort_unique(ff);
	*ffp = ff;
	ff = NULL;
	rc = 0;
out:
	files_from_free(ff);
	buf_release(&abs);
	return rc;
}

bool
files_from_has(const struct files_from *ff, const char *index)
{
	size_t lo = 0, hi = ff->n;

	if (*index == '\0')
		return true;
	/* the first entry not below ${index} in index order */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (index_cmp(ff->idx[mid], index) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ff->n && index_is_within(ff->idx[lo], index);
}

void
files_from_free(struct files_from *ff)
{
	size_t i;

	if (ff == NULL)
		return;
	for (i = 0; i < ff->n; i++)
		free(ff->idx[i]);
	free(ff->idx);
	free(ff);
}
