/*
 * select-list: print what the selection rules pick from a tree, one index
 * per line ("." for the root) in walk order, as duplicity's
 * list-current-files would list a backup of it.  The interop tests
 * compare this with duplicity itself.
 *
 *   select-list [--OPTION [ARG] | --OPTION=ARG]... ROOT
 *
 * OPTION is any file selection option of selection_add(); the time of
 * --exclude-older-than is given in seconds since the epoch.  On an error
 * the message goes to stderr and the exit status is duplicity's code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "select/select.h"
#include "select/walk.h"
#include "util/err.h"
#include "util/log.h"

static const char *const switches[] = {
	"exclude-device-files",
	"exclude-other-filesystems",
	"include-filelist-stdin",
	"exclude-filelist-stdin",
	"null-separator",
	"filter-globbing",
	"filter-literal",
	"filter-regexp",
	"filter-ignorecase",
	"filter-strictcase",
};

static int
is_switch(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(switches) / sizeof(switches[0]); i++)
		if (strcmp(switches[i], name) == 0)
			return 1;
	return 0;
}

/* Hand argv[1..argc-2] to selection_add(); returns the index of ROOT. */
static int
add_options(struct selection *sel, int argc, char **argv, struct dupc_err *err)
{
	int i;

	for (i = 1; i < argc - 1; i++) {
		char name[128];
		const char *arg = NULL, *eq;

		if (strncmp(argv[i], "--", 2) != 0)
			return err_set(err, E_COMMAND_LINE, "bad argument %s",
			    argv[i]);
		eq = strchr(argv[i], '=');
		snprintf(name, sizeof(name), "%.*s",
		    (int)(eq ? eq - argv[i] - 2 : (long)strlen(argv[i] + 2)),
		    argv[i] + 2);
		if (eq != NULL)
			arg = eq + 1;
		else if (!is_switch(name) && i + 1 < argc - 1)
			arg = argv[++i];
		if (selection_add(sel, name, arg, err) < 0)
			return -1;
	}
	return argc - 1;
}

static int
list(const char *root, const struct selection *sel, struct dupc_err *err)
{
	struct walker *w = walk_new(root, sel, err);
	const struct walk_entry *e;
	int rc;

	if (w == NULL)
		return -1;
	while ((rc = walk_next(w, &e, err)) > 0)
		printf("%s\n", *e->index ? e->index : ".");
	walk_free(w);
	return rc;
}

int
main(int argc, char **argv)
{
	struct dupc_err err;
	struct selection *sel;
	struct stat st;
	int r, rc = 1;

	err_clear(&err);
	log_set_verbosity(LOG_ERROR);
	if (argc < 2) {
		fprintf(stderr,
		    "usage: select-list [--OPTION [ARG]]... ROOT\n");
		return 2;
	}
	if ((sel = selection_new(&err)) == NULL)
		goto out;
	if ((r = add_options(sel, argc, argv, &err)) < 0)
		goto out;
	if (lstat(argv[r], &st) < 0) {
		err_errno(&err, E_BACKUP_DIR_DOESNT_EXIST, "%s", argv[r]);
		goto out;
	}
	if (selection_set_root(sel, argv[r], &st, &err) < 0 ||
	    list(argv[r], sel, &err) < 0)
		goto out;
	rc = 0;
out:
	if (rc != 0) {
		fprintf(stderr, "select-list: %s\n", err.msg);
		rc = err.code ? err.code : 1;
	}
	selection_free(sel);
	return rc;
}
