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
static enum { ACT_KILL, ACT_STALL, ACT_STOP } action;

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
			action = ACT_STALL;
		else if (c2 != NULL && strcmp(c2 + 1, "stop") == 0)
			action = ACT_STOP;
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
	if (action == ACT_KILL) {
		kill(getpid(), SIGKILL);
		return;
	}
	if (action == ACT_STOP) {
		/* the test changes the tree, then sends SIGCONT */
		kill(getpid(), SIGSTOP);
		return;
	}
	/* wait here until a signal arrives (the test sends SIGTERM); polled,
	 * since the signal may be delivered to another thread */
	while (!interrupted())
		usleep(10000);
}
