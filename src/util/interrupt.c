/*
 * Signal flags.  Handlers set one volatile sig_atomic_t and nothing else, as
 * Tarsnap's do; everything else happens at the engine's safe points.
 */
#include "interrupt.h"

#include <signal.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t got_signal;

static void
on_signal(int sig)
{
	got_signal = sig;
}

void
interrupt_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

int
interrupted(void)
{
	return (int)got_signal;
}

int
interrupt_sleep(double seconds)
{
	struct timespec ts;

	while (seconds > 0 && !interrupted()) {
		double step = seconds > 0.2 ? 0.2 : seconds;

		ts.tv_sec = (time_t)step;
		ts.tv_nsec = (long)((step - (double)ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);
		seconds -= step;
	}
	return interrupted();
}
