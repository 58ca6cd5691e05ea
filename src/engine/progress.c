/*
 * Progress reporting (see progress.h).  The engine's calls update a few
 * counters under a mutex; a reporter thread, started only with
 * --progress, wakes every half second (terminal) or every --progress-rate
 * seconds and draws from a snapshot of them.  Speeds are exponential
 * moving averages over the reporter's ticks, as duplicity's progress.py
 * smooths its speed; the ETA divides what is left of the estimated total
 * by the source speed.  The reporter blocks SIGINT and SIGTERM, so the
 * signals reach the engine's thread and its safe points.
 */
#define _DEFAULT_SOURCE
#include "engine/progress.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "engine/engine.h"
#include "engine/stats.h"
#include "select/walk.h"
#include "util/err.h"
#include "util/interrupt.h"
#include "util/log.h"
#include "util/stream.h"

#define LINE_MAX_LEN 256
#define TTY_TICK 0.5
#define ETA_UNKNOWN UINT64_MAX

enum phase { PH_IDLE, PH_SCAN, PH_BACKUP, PH_RESTORE };
enum vstate { VS_NONE, VS_WRITING, VS_UPLOADING, VS_DOWNLOADING };

/* What the engine reports; every field is read and written under mu. */
struct counters {
	enum phase phase;
	bool dry_run;
	double start;       /* monotonic seconds */
	double last_change; /* last time any count moved */
	uint64_t total;     /* estimated bytes to examine */
	bool total_known;
	uint64_t scanned_files; /* during the estimate */
	uint64_t done;          /* bytes examined (SourceFileSize) */
	uint64_t uploaded;      /* bytes of finished uploads */
	unsigned vol;           /* current volume; 0 for metadata */
	unsigned upvol;         /* the volume being uploaded */
	enum vstate vstate;
	uint64_t vsize, vsent;     /* the upload in progress */
	unsigned nvols, vols_read; /* restore */
};

/* The reporter's smoothed view, private to its thread. */
struct meter {
	double t;
	uint64_t done, sent;
	double src_speed, up_speed;
};

/* A source that counts what the backend reads from it. */
struct counting_source {
	struct source base;
	struct source *inner;
	uint64_t pos;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool enabled;
	unsigned rate;
	bool running;
	bool stop;
	pthread_t thread;
	struct counters c;
	struct counting_source cs;
} P = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, 3, false,
	false, 0, { 0 }, { { NULL }, NULL, 0 } };

static double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
progress_configure(bool enabled, unsigned rate)
{
	pthread_mutex_lock(&P.mu);
	P.enabled = enabled;
	P.rate = rate > 0 ? rate : 3;
	pthread_mutex_unlock(&P.mu);
}

/* --- text --- */

/* Remaining time as duplicity words it (log.py _RemainingSecs2Str). */
static void
eta_words(uint64_t secs, char *out, size_t n)
{
	unsigned long long d = secs / 86400, h = secs % 86400 / 3600,
			   m = secs % 3600 / 60, s = secs % 60;
	char hs[24] = "", ms[24] = "";

	if (secs == ETA_UNKNOWN) {
		snprintf(out, n, "-");
		return;
	}
	if (h > 0)
		snprintf(hs, sizeof(hs), " %lluh", h);
	if (m > 0)
		snprintf(ms, sizeof(ms), " %llumin", m);
	if (d > 0)
		snprintf(out, n, "%llud%s%s", d, hs, ms);
	else if (h > 0)
		snprintf(out, n, "%lluh%s", h, ms);
	else if (m > 5)
		snprintf(out, n, "%llumin", m);
	else if (m > 0)
		snprintf(out, n, "%llumin%s", m, s >= 30 ? " 30sec" : "");
	else if (s > 45)
		snprintf(out, n, "< 1min");
	else if (s > 30)
		snprintf(out, n, "< 45sec");
	else if (s > 15)
		snprintf(out, n, "< 30sec");
	else
		snprintf(out, n, "%llusec", s);
}

static bool
stalled(const struct counters *c, double now, unsigned rate)
{
	double limit = 2.0 * rate > 5 ? 2.0 * rate : 5;

	return now - c->last_change > limit;
}

static unsigned
percent(const struct counters *c)
{
	uint64_t p;

	if (c->phase == PH_RESTORE)
		return c->nvols ? (unsigned)(100ull * c->vols_read / c->nvols)
				: 0;
	if (!c->total_known || c->total == 0)
		return 0;
	p = c->done >= c->total ? 99 : c->done * 100 / c->total;
	return p > 99 ? 99 : (unsigned)p;
}

static uint64_t
eta_seconds(const struct counters *c, const struct meter *m, double now)
{
	double left;

	if (c->phase == PH_RESTORE) {
		double per;

		if (c->nvols <= c->vols_read)
			return 0;
		if (c->vols_read == 0)
			return ETA_UNKNOWN;
		per = (now - c->start) / c->vols_read;
		return (uint64_t)(per * (c->nvols - c->vols_read));
	}
	if (c->done >= c->total)
		return 0;
	if (!c->total_known || m->src_speed <= 0)
		return ETA_UNKNOWN;
	left = (double)(c->total - c->done) / m->src_speed;
	return left > 1e9 ? 1000000000ull : (uint64_t)left;
}

/* "volume 7 uploading 45%" and the like. */
static void
volume_words(const struct counters *c, char *out, size_t n)
{
	char what[32];

	if (c->vol > 0)
		snprintf(what, sizeof(what), "volume %u", c->vol);
	else
		snprintf(what, sizeof(what), "metadata");
	switch (c->vstate) {
	case VS_WRITING:
		snprintf(out, n, "%s writing", what);
		break;
	case VS_UPLOADING:
		snprintf(out, n, "%s uploading %llu%%", what,
		    (unsigned long long)(c->vsize ? c->vsent * 100 / c->vsize
						  : 0));
		break;
	case VS_DOWNLOADING:
		snprintf(out, n, "reading volume %u of %u", c->vols_read + 1,
		    c->nvols);
		break;
	case VS_NONE:
		out[0] = '\0';
		break;
	}
}

static void
backup_line(const struct counters *c, const struct meter *m, double now,
    unsigned rate, char *out, size_t n)
{
	char done[32], total[32], speed[32], eta[32], vol[64];

	stats_bytes((int64_t)c->done, done, sizeof(done));
	if (c->phase == PH_SCAN) {
		snprintf(out, n, "estimating the size: %llu files, %s",
		    (unsigned long long)c->scanned_files, done);
		return;
	}
	stats_bytes((int64_t)c->total, total, sizeof(total));
	stats_bytes((int64_t)m->src_speed, speed, sizeof(speed));
	eta_words(eta_seconds(c, m, now), eta, sizeof(eta));
	volume_words(c, vol, sizeof(vol));
	snprintf(out, n, "%3u%% %s of %s, %s/s, ETA %s%s%s%s", percent(c), done,
	    total, speed, eta, vol[0] ? ", " : "", vol,
	    stalled(c, now, rate) ? " (stalled)" : "");
}

static void
restore_line(const struct counters *c, const struct meter *m, double now,
    unsigned rate, char *out, size_t n)
{
	char eta[32], vol[64];

	eta_words(eta_seconds(c, m, now), eta, sizeof(eta));
	volume_words(c, vol, sizeof(vol));
	snprintf(out, n, "%3u%% volume %u of %u read, ETA %s%s%s%s", percent(c),
	    c->vols_read, c->nvols, c->vols_read ? eta : "-",
	    vol[0] ? ", " : "", vol, stalled(c, now, rate) ? " (stalled)" : "");
}

/* duplicity's upload-progress text (log.py TransferProgress). */
static void
transfer_text(double pct, uint64_t eta, uint64_t bytes, uint64_t elapsed,
    double speed, bool stall, char *out, size_t n)
{
	static const char *const units[] = { "KB", "MB", "GB" };
	double amount = (double)bytes / 1024.0, sp = speed / 1024.0;
	char bar[41], etas[32];
	int dots = (int)(0.4 * pct), i, au = 0, su = 0;

	for (i = 0; i < 40; i++)
		bar[i] = i < dots ? '=' : ' ';
	bar[40] = '\0';
	while (amount > 1000.0 && au < 2) {
		amount /= 1024.0;
		au++;
	}
	while (sp > 1000.0 && su < 2) {
		sp /= 1024.0;
		su++;
	}
	if (stall)
		snprintf(etas, sizeof(etas), "Stalled!");
	else
		eta_words(eta, etas, sizeof(etas));
	snprintf(out, n,
	    "%.1f%s %02llu:%02llu:%02llu [%.1f%s/s] [%.*s>%s] %d%% ETA %s",
	    amount, units[au], (unsigned long long)(elapsed / 3600),
	    (unsigned long long)(elapsed / 60 % 60),
	    (unsigned long long)(elapsed % 60), stall ? 0.0 : sp,
	    stall ? "B" : units[su], dots, bar, bar + dots, (int)pct, etas);
}

/* The machine record front-ends read (info code 16, a NOTICE). */
static void
upload_record(double pct, uint64_t eta, uint64_t bytes, uint64_t elapsed,
    double speed, bool stall)
{
	char extra[128], text[LINE_MAX_LEN];

	if (eta == ETA_UNKNOWN)
		eta = 0;
	transfer_text(pct, eta, bytes, elapsed, speed, stall, text,
	    sizeof(text));
	snprintf(extra, sizeof(extra), "%llu %llu %d %llu %llu %d",
	    (unsigned long long)bytes, (unsigned long long)elapsed, (int)pct,
	    (unsigned long long)eta, (unsigned long long)speed, stall ? 1 : 0);
	log_msgf(LOG_NOTICE, INFO_UPLOAD_PROGRESS, extra, LOG_F_MACHINE_ONLY,
	    "%s", text);
}

/* --- the reporter thread --- */

static void
meter_update(struct meter *m, const struct counters *c, double now)
{
	uint64_t sent = c->uploaded + c->vsent;
	double dt = now - m->t;

	if (m->t > 0 && dt > 0) {
		double src =
		    c->done > m->done ? (double)(c->done - m->done) / dt : 0;
		double up = sent > m->sent ? (double)(sent - m->sent) / dt : 0;

		m->src_speed = 0.3 * src + 0.7 * m->src_speed;
		m->up_speed = 0.3 * up + 0.7 * m->up_speed;
	}
	m->t = now;
	m->done = c->done;
	m->sent = sent;
}

static void
report(const struct counters *c, const struct meter *m, double now, bool plain,
    bool machine, unsigned rate)
{
	char line[LINE_MAX_LEN];

	if (c->phase == PH_RESTORE)
		restore_line(c, m, now, rate, line, sizeof(line));
	else
		backup_line(c, m, now, rate, line, sizeof(line));
	if (log_status_available())
		log_status(line);
	else if (plain)
		log_stderr_line(line);
	if (machine && c->phase == PH_BACKUP && !c->dry_run)
		upload_record(percent(c), eta_seconds(c, m, now),
		    c->uploaded + c->vsent, (uint64_t)(now - c->start),
		    m->up_speed, stalled(c, now, rate));
}

static void *
reporter(void *arg)
{
	struct meter m;
	struct counters snap;
	double tick, next_plain, next_machine, now;
	unsigned rate;

	(void)arg;
	memset(&m, 0, sizeof(m));
	pthread_mutex_lock(&P.mu);
	rate = P.rate;
	tick = log_status_available() ? TTY_TICK : 1.0;
	next_plain = next_machine = mono_now() + rate;
	while (!P.stop) {
		struct timespec until;
		double wake;

		clock_gettime(CLOCK_REALTIME, &until);
		wake = (double)until.tv_nsec / 1e9 + tick;
		until.tv_sec += (time_t)wake;
		until.tv_nsec = (long)((wake - (double)(time_t)wake) * 1e9);
		pthread_cond_timedwait(&P.cv, &P.mu, &until);
		if (P.stop)
			break;
		snap = P.c;
		pthread_mutex_unlock(&P.mu);
		now = mono_now();
		meter_update(&m, &snap, now);
		report(&snap, &m, now, now >= next_plain, now >= next_machine,
		    rate);
		if (now >= next_plain)
			next_plain += rate;
		if (now >= next_machine)
			next_machine += rate;
		pthread_mutex_lock(&P.mu);
	}
	pthread_mutex_unlock(&P.mu);
	return NULL;
}

/* Start the reporter (with --progress); the caller holds P.mu. */
static void
start_locked(enum phase ph)
{
	sigset_t block, old;

	P.c.phase = ph;
	P.c.start = P.c.last_change = mono_now();
	if (!P.enabled || P.running)
		return;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	P.stop = false;
	if (pthread_create(&P.thread, NULL, reporter, NULL) == 0)
		P.running = true;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void
progress_stop(void)
{
	bool join;

	pthread_mutex_lock(&P.mu);
	join = P.running;
	P.stop = true;
	P.running = false;
	pthread_cond_broadcast(&P.cv);
	pthread_mutex_unlock(&P.mu);
	if (join) {
		pthread_join(P.thread, NULL);
		log_status(NULL);
	}
}

/* --- backup --- */

/* Sum what the backup pass will examine, without reading any file. */
static void
estimate(const struct dupc_opts *o)
{
	const struct walk_entry *e;
	struct dupc_err err;
	struct walker *w;
	uint64_t bytes = 0, files = 0;
	int r = 0;

	log_mute(1);
	w = walk_new(o->local, o->sel, &err);
	while (
	    w != NULL && !interrupted() && (r = walk_next(w, &e, &err)) > 0) {
		bytes += e->meta.size;
		if (++files % 256 == 0) {
			pthread_mutex_lock(&P.mu);
			P.c.scanned_files = files;
			P.c.done = bytes;
			pthread_mutex_unlock(&P.mu);
		}
	}
	walk_free(w);
	log_mute(0);
	pthread_mutex_lock(&P.mu);
	P.c.done = 0;
	P.c.total = bytes;
	P.c.total_known = w != NULL && r == 0 && !interrupted();
	P.c.phase = PH_BACKUP;
	P.c.last_change = mono_now();
	pthread_mutex_unlock(&P.mu);
}

void
progress_backup_begin(const struct dupc_opts *o)
{
	bool enabled;

	pthread_mutex_lock(&P.mu);
	memset(&P.c, 0, sizeof(P.c));
	P.c.dry_run = o->dry_run;
	enabled = P.enabled;
	start_locked(enabled ? PH_SCAN : PH_BACKUP);
	pthread_mutex_unlock(&P.mu);
	if (enabled)
		estimate(o);
}

void
progress_source_bytes(uint64_t n)
{
	pthread_mutex_lock(&P.mu);
	if (n != P.c.done) {
		P.c.done = n;
		P.c.last_change = mono_now();
	}
	pthread_mutex_unlock(&P.mu);
}

void
progress_backup_end(uint64_t source_bytes)
{
	struct counters c;
	bool enabled;
	double now = mono_now();

	progress_stop();
	pthread_mutex_lock(&P.mu);
	c = P.c;
	enabled = P.enabled;
	P.c.phase = PH_IDLE;
	pthread_mutex_unlock(&P.mu);
	if (c.dry_run) {
		char extra[32];

		/* dup_main.py dummy_backup: the total for the real run */
		snprintf(extra, sizeof(extra), "%llu",
		    (unsigned long long)source_bytes);
		log_msg(LOG_INFO, INFO_PROGRESS, extra, "%s", "");
		return;
	}
	if (enabled)
		upload_record(100.0, 0, c.uploaded, (uint64_t)(now - c.start),
		    now > c.start ? (double)c.uploaded / (now - c.start) : 0,
		    false);
}

/* --- volumes --- */

void
progress_volume_begin(unsigned n)
{
	pthread_mutex_lock(&P.mu);
	P.c.vol = n;
	P.c.vstate = VS_WRITING;
	P.c.vsent = P.c.vsize = 0;
	pthread_mutex_unlock(&P.mu);
}

static int
cs_read(struct source *s, void *p, size_t cap, size_t *got,
    struct dupc_err *err)
{
	struct counting_source *cs = (struct counting_source *)s;

	if (source_read(cs->inner, p, cap, got, err) < 0)
		return -1;
	pthread_mutex_lock(&P.mu);
	cs->pos += *got;
	P.c.vsent = cs->pos;
	if (*got > 0)
		P.c.last_change = mono_now();
	pthread_mutex_unlock(&P.mu);
	return 0;
}

static int
cs_rewind(struct source *s, struct dupc_err *err)
{
	struct counting_source *cs = (struct counting_source *)s;

	if (source_rewind(cs->inner, err) < 0)
		return -1;
	pthread_mutex_lock(&P.mu);
	cs->pos = 0;
	P.c.vsent = 0;
	pthread_mutex_unlock(&P.mu);
	return 0;
}

/* Parts of a multipart upload read at offsets, from several threads. */
static int
cs_pread(struct source *s, void *p, size_t cap, uint64_t off, size_t *got,
    struct dupc_err *err)
{
	struct counting_source *cs = (struct counting_source *)s;

	if (source_pread(cs->inner, p, cap, off, got, err) < 0)
		return -1;
	pthread_mutex_lock(&P.mu);
	cs->pos += *got;
	P.c.vsent = cs->pos < P.c.vsize ? cs->pos : P.c.vsize;
	if (*got > 0)
		P.c.last_change = mono_now();
	pthread_mutex_unlock(&P.mu);
	return 0;
}

static const struct source_ops cs_ops = { cs_read, cs_rewind, NULL, NULL };
static const struct source_ops cs_pread_ops = { cs_read, cs_rewind, NULL,
	cs_pread };

struct source *
progress_upload_begin(const char *name, unsigned vol, uint64_t size,
    struct source *src)
{
	/* dup_main.py schedules each volume's put (asyncscheduler.py) */
	if (vol > 0)
		log_msg(LOG_INFO, INFO_SYNC_UPLOAD_BEGIN, NULL, "Writing %s",
		    name);
	else
		log_info("Writing %s", name);
	pthread_mutex_lock(&P.mu);
	P.c.vol = vol;
	P.c.upvol = vol;
	P.c.vstate = VS_UPLOADING;
	P.c.vsize = size;
	P.c.vsent = 0;
	P.cs.base.ops = source_can_pread(src) ? &cs_pread_ops : &cs_ops;
	P.cs.inner = src;
	P.cs.pos = 0;
	pthread_mutex_unlock(&P.mu);
	return &P.cs.base;
}

void
progress_upload_end(bool ok)
{
	unsigned vol;

	pthread_mutex_lock(&P.mu);
	/* the pass has moved on to the next volume meanwhile */
	vol = P.c.upvol;
	if (ok)
		P.c.uploaded += P.c.vsize;
	P.c.vstate = VS_NONE;
	P.c.vsent = 0;
	P.cs.inner = NULL;
	pthread_mutex_unlock(&P.mu);
	if (ok && vol > 0)
		log_msg(LOG_INFO, INFO_SYNC_UPLOAD_DONE, NULL,
		    "Uploaded volume %u", vol);
}

void
progress_volume_done(unsigned n)
{
	char extra[32];
	uint64_t done;

	pthread_mutex_lock(&P.mu);
	done = P.c.done;
	pthread_mutex_unlock(&P.mu);
	snprintf(extra, sizeof(extra), "%llu", (unsigned long long)done);
	log_msg(LOG_INFO, INFO_PROGRESS, extra, "Processed volume %u", n);
}

/* --- restore --- */

void
progress_restore_begin(unsigned nvols)
{
	pthread_mutex_lock(&P.mu);
	memset(&P.c, 0, sizeof(P.c));
	P.c.nvols = nvols;
	start_locked(PH_RESTORE);
	pthread_mutex_unlock(&P.mu);
}

void
progress_download_begin(const char *name)
{
	(void)name;
	pthread_mutex_lock(&P.mu);
	P.c.vstate = VS_DOWNLOADING;
	P.c.last_change = mono_now();
	pthread_mutex_unlock(&P.mu);
}

void
progress_volume_read(void)
{
	char extra[32];
	unsigned cur, total;

	pthread_mutex_lock(&P.mu);
	cur = ++P.c.vols_read;
	total = P.c.nvols > cur ? P.c.nvols : cur;
	P.c.vstate = VS_NONE;
	P.c.last_change = mono_now();
	pthread_mutex_unlock(&P.mu);
	/* dup_main.py restore_get_patched_rop_iter */
	snprintf(extra, sizeof(extra), "%u %u", cur, total);
	log_msg(LOG_INFO, INFO_PROGRESS, extra, "Processed volume %u of %u",
	    cur, total);
}
