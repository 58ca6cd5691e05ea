/*
 * mem:// against the backend conformance suite (backend_suite.h).
 */
#include <stdio.h>

#include "backend_suite.h"
#include "unit.h"

static void
mem_url(char *buf, size_t size, unsigned serial, void *arg)
{
	(void)arg;
	snprintf(buf, size, "mem://suite/%u", serial);
}

int
main(void)
{
	/* mem:// is flat: it has no subfolders to ignore */
	static const struct suite_target t[] = {
		{ "mem", mem_url, NULL, NULL, true, false, 0, NULL },
	};

	unit_init();
	return backend_suite_run("mem backend", t, 1, NULL, 0, NULL, NULL);
}
