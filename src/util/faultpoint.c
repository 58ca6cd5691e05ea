/*
 * Test crash points (see faultpoint.h).
 */
#define _DEFAULT_SOURCE
#include "util/faultpoint.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/interrupt.h"
#include "util/parse.h"

static int loaded;
static char want[64];
static uint64_t countdown;
static int stall;

static void
load(void)
{
	const char *e = getenv("DUPC_FAULT_POINT");
	const char *colon;

	loaded = 1;
	if (e == NULL || *e == '\0')
		return;
	colon = strchr(e, ':');
	if (colon == NULL) {
		countdown = 1;
		colon = e + strlen(e);
	} else {
		char num[32];
		const char *c2 = strchr(colon + 1, ':');
		size_t n = c2 ? (size_t)(c2 - colon - 1) : strlen(colon + 1);

		if (n == 0 || n >= sizeof(num))
			return;
		memcpy(num, colon + 1, n);
		num[n] = '\0';
		if (parse_u64(num, &countdown) < 0 || countdown == 0)
			return;
		if (c2 != NULL && strcmp(c2 + 1, "stall") == 0)
			stall = 1;
	}
	if ((size_t)(colon - e) >= sizeof(want))
		return;
	memcpy(want, e, (size_t)(colon - e));
	want[colon - e] = '\0';
}

void
faultpoint(const char *name)
{
	if (!loaded)
		load();
	if (want[0] == '\0' || strcmp(want, name) != 0)
		return;
	if (--countdown != 0)
		return;
	if (!stall) {
		kill(getpid(), SIGKILL);
		return;
	}
	/* wait here until a signal arrives (the test sends SIGTERM); polled,
	 * since the signal may be delivered to another thread */
	while (!interrupted())
		usleep(10000);
}
