/*
 * Selection rules.  With no rules everything is included, which is what a
 * backup without --include/--exclude options does.
 */
#include "select/select.h"

#include <stdlib.h>
#include <sys/stat.h>

#include "util/err.h"
#include "util/meta.h"

struct selection {
	int nrules;
};

struct selection *
selection_new(struct dupc_err *err)
{
	struct selection *sel = calloc(1, sizeof(*sel));

	if (sel == NULL)
		err_set(err, E_GENERIC, "out of memory");
	return sel;
}

int
selection_add(struct selection *sel, const char *option, const char *arg,
    struct dupc_err *err)
{
	(void)sel;
	(void)arg;
	return err_set(err, E_COMMAND_LINE, "--%s is not available yet",
	    option);
}

int
selection_set_root(struct selection *sel, const char *root,
    const struct stat *st, struct dupc_err *err)
{
	(void)sel;
	(void)root;
	(void)st;
	(void)err;
	return 0;
}

enum select_result
selection_check(const struct selection *sel, const char *index,
    const struct obj_meta *meta, uint64_t dev, int dirfd, const char *name)
{
	(void)sel;
	(void)index;
	(void)meta;
	(void)dev;
	(void)dirfd;
	(void)name;
	return SEL_INCLUDE;
}

void
selection_free(struct selection *sel)
{
	free(sel);
}
