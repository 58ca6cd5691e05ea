/*
 * Signal flags.  Handlers set volatile sig_atomic_t flags and nothing
 * else, as Tarsnap's do; everything else happens at the engine's safe
 * points.
 */
#include "interrupt.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t got_signal;
static volatile sig_atomic_t signals; /* how many arrived */

static pthread_mutex_t reason_mu = PTHREAD_MUTEX_INITIALIZER;
static char reason[256];

static _Thread_local bool held;

static void
on_signal(int sig)
{
	got_signal = sig;
	if (signals < 1000)
		signals++;
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
	if (held && signals < 2)
		return 0;
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

void
interrupt_request(const char *why)
{
	pthread_mutex_lock(&reason_mu);
	if (reason[0] == '\0')
		snprintf(reason, sizeof(reason), "%s", why);
	pthread_mutex_unlock(&reason_mu);
	if (got_signal == 0)
		got_signal = SIGTERM;
}

const char *
interrupt_reason(void)
{
	const char *r;

	pthread_mutex_lock(&reason_mu);
	r = reason[0] != '\0' ? reason : NULL;
	pthread_mutex_unlock(&reason_mu);
	return r;
}

void
interrupt_hold(bool on)
{
	held = on;
}
