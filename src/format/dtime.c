/*
 * Time strings as duplicity writes and reads them (dup_time.py).  Parsing
 * follows genstrtotime's order exactly, so a string means the same instant
 * to dupc and to duplicity.
 */
#define _DEFAULT_SOURCE
#include "format/dtime.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/err.h"
#include "util/parse.h"

char *
dtime_to_string(int64_t t, char *out)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, DTIME_STR_MAX, "%Y%m%dT%H%M%SZ", &tm);
	return out;
}

char *
dtime_to_w3_local(int64_t t, char *out)
{
	time_t tt = (time_t)t;
	struct tm tm;
	long east;
	size_t n;

	localtime_r(&tt, &tm);
	n = strftime(out, DTIME_STR_MAX, "%Y-%m-%dT%H:%M:%S", &tm);
	/* gettzd: the offset in force at that time, DST included */
	east = tm.tm_gmtoff / 60;
	if (east == 0)
		snprintf(out + n, DTIME_STR_MAX - n, "Z");
	else
		snprintf(out + n, DTIME_STR_MAX - n, "%c%02ld:%02ld",
		    east > 0 ? '+' : '-', labs(east) / 60, labs(east) % 60);
	return out;
}

char *
dtime_to_iso(int64_t t, char *out)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, DTIME_STR_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return out;
}

char *
dtime_pretty(int64_t t, char *out)
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	strftime(out, DTIME_STR_MAX, "%a %b %e %H:%M:%S %Y", &tm);
	return out;
}

/* Append to ${out} (${n} bytes) at *${o}; once full, *${o} stays at n. */
static void append(char *out, size_t n, size_t *o, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
append(char *out, size_t n, size_t *o, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (*o >= n)
		return;
	va_start(ap, fmt);
	w = vsnprintf(out + *o, n - *o, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= n - *o)
		*o = n;
	else
		*o += (size_t)w;
}

char *
dtime_elapsed_pretty(double secs, char *out, size_t n)
{
	long hours = (long)(secs / 3600);
	long minutes;
	size_t o = 0;

	out[0] = '\0';
	secs -= (double)hours * 3600;
	minutes = (long)(secs / 60);
	secs -= (double)minutes * 60;
	if (hours > 1)
		append(out, n, &o, "%ld hours", hours);
	else if (hours == 1)
		append(out, n, &o, "1 hour");
	if (minutes > 1)
		append(out, n, &o, "%s%ld minutes", o ? " " : "", minutes);
	else if (minutes == 1)
		append(out, n, &o, "%s1 minute", o ? " " : "");
	/* duplicity: "1 second" only for an exact integer 1; a float always
	 * prints with two decimals when it is shown */
	if (secs == 1.0)
		append(out, n, &o, "%s1 second", o ? " " : "");
	else if (o == 0 || secs > 1)
		append(out, n, &o, "%s%.2f seconds", o ? " " : "", secs);
	return out;
}

/* Standard-time offset of the local zone, seconds east of UTC (what
 * duplicity's gettzd(0) yields). */
static long
local_std_offset(void)
{
	tzset();
	return -timezone;
}

/* Parse exactly ${n} digits at ${s}. */
static int
digits(const char *s, size_t n, int *out)
{
	uint64_t v;

	if (parse_u64_n(s, n, &v) < 0)
		return -1;
	*out = (int)v;
	return 0;
}

static int
valid_fields(int y, int mo, int d, int h, int mi, int se)
{
	return y > 1900 && y < 2100 && mo >= 1 && mo <= 12 && d >= 1 &&
	       d <= 31 && h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && se >= 0 &&
	       se <= 61;
}

static int64_t
utc_of(int y, int mo, int d, int h, int mi, int se)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	return (int64_t)timegm(&tm);
}

/* "+HH:MM" / "-HH:MM" / "Z" -> seconds east of UTC. */
static int
parse_tzd(const char *s, long *east)
{
	int hh, mm;

	if (strcmp(s, "Z") == 0) {
		*east = 0;
		return 0;
	}
	if (strlen(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':')
		return -1;
	if (digits(s + 1, 2, &hh) < 0 || digits(s + 4, 2, &mm) < 0)
		return -1;
	*east = (hh * 60L + mm) * 60L;
	if (s[0] == '-')
		*east = -*east;
	return 0;
}

int
dtime_from_string(const char *s, int64_t *out)
{
	int y, mo, d, h, mi, se;
	long east;

	if (strlen(s) == 16) {
		if (s[8] != 'T' || s[15] != 'Z' || digits(s, 4, &y) < 0 ||
		    digits(s + 4, 2, &mo) < 0 || digits(s + 6, 2, &d) < 0 ||
		    digits(s + 9, 2, &h) < 0 || digits(s + 11, 2, &mi) < 0 ||
		    digits(s + 13, 2, &se) < 0)
			return -1;
		if (!valid_fields(y, mo, d, h, mi, se))
			return -1;
		*out = utc_of(y, mo, d, h, mi, se);
		return 0;
	}
	/* W3C: YYYY-MM-DDTHH:MM:SS<tzd> */
	if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':')
		return -1;
	if (digits(s, 4, &y) < 0 || digits(s + 5, 2, &mo) < 0 ||
	    digits(s + 8, 2, &d) < 0 || digits(s + 11, 2, &h) < 0 ||
	    digits(s + 14, 2, &mi) < 0 || digits(s + 17, 2, &se) < 0)
		return -1;
	if (!valid_fields(y, mo, d, h, mi, se) || parse_tzd(s + 19, &east) < 0)
		return -1;
	*out = utc_of(y, mo, d, h, mi, se) - east;
	return 0;
}

int
dtime_interval(const char *s, int64_t *out)
{
	static const char units[] = "smhDWMY";
	static const int64_t secs[] = { 1, 60, 3600, 86400, 7 * 86400,
		30 * 86400, 365 * 86400 };
	int64_t total = 0;

	if (strlen(s) < 2)
		return -1;
	while (*s) {
		const char *p = s, *u;
		uint64_t num;
		int64_t part;

		while (isdigit((unsigned char)*p))
			p++;
		if (p == s || *p == '\0' || (u = strchr(units, *p)) == NULL)
			return -1;
		if (parse_u64_n(s, (size_t)(p - s), &num) < 0 ||
		    num > (uint64_t)INT64_MAX ||
		    __builtin_mul_overflow((int64_t)num, secs[u - units],
			&part) ||
		    __builtin_add_overflow(total, part, &total))
			return -1;
		s = p + 1;
	}
	*out = total;
	return 0;
}

/* YYYY[-/]M[M][-/]D[D], M[M][-/]D[D][-/]YYYY or YYYYMMDDZ. */
static int
parse_date(const char *s, int *y, int *mo, int *d)
{
	size_t n = strlen(s);
	const char *p;
	int a, b, c;
	char *end;

	if (n == 9 && s[8] == 'Z')
		return digits(s, 4, y) < 0 || digits(s + 4, 2, mo) < 0 ||
			       digits(s + 6, 2, d) < 0
			   ? -1
			   : 0;
	for (p = s; *p; p++)
		if (!isdigit((unsigned char)*p) && *p != '-' && *p != '/')
			return -1;
	if (!isdigit((unsigned char)s[0]))
		return -1;
	a = (int)strtol(s, &end, 10);
	p = end;
	if ((*p != '-' && *p != '/') || !isdigit((unsigned char)p[1]))
		return -1;
	{
		size_t la = (size_t)(p - s);
		const char *q = p + 1;

		b = (int)strtol(q, &end, 10);
		if (end - q < 1 || end - q > 2 ||
		    (*end != '-' && *end != '/') ||
		    !isdigit((unsigned char)end[1]))
			return -1;
		q = end + 1;
		c = (int)strtol(q, &end, 10);
		if (*end != '\0')
			return -1;
		if (la == 4 && end - q >= 1 && end - q <= 2) {
			*y = a, *mo = b, *d = c;
			return 0;
		}
		if (la >= 1 && la <= 2 && end - q == 4) {
			*mo = a, *d = b, *y = c;
			return 0;
		}
	}
	return -1;
}

int
dtime_parse(const char *s, int64_t now, int64_t *out, struct dupc_err *err)
{
	uint64_t v;
	int64_t t;
	int y, mo, d;

	if (strcmp(s, "now") == 0) {
		*out = now;
		return 0;
	}
	if (parse_u64(s, &v) == 0 && v <= (uint64_t)INT64_MAX) {
		*out = (int64_t)v;
		return 0;
	}
	{
		char up[64];
		size_t i, n = strlen(s);

		if (n < sizeof(up) - 8) {
			for (i = 0; i <= n; i++)
				up[i] = s[i];
			if (dtime_from_string(up, &t) == 0) {
				*out = t;
				return 0;
			}
			/* no zone given: local standard time */
			if (n == 19) {
				long east = local_std_offset();

				snprintf(up + 19, sizeof(up) - 19, "Z");
				if (dtime_from_string(up, &t) == 0) {
					*out = t - east;
					return 0;
				}
			}
		}
	}
	if (dtime_interval(s, &t) == 0) {
		*out = now - t;
		return 0;
	}
	if (parse_date(s, &y, &mo, &d) == 0 &&
	    valid_fields(y, mo, d, 0, 0, 0)) {
		*out = utc_of(y, mo, d, 0, 0, 0) - local_std_offset();
		return 0;
	}
	return err_set(err, E_COMMAND_LINE,
	    "bad time string \"%s\": use an interval like 3D64s, a w3 datetime like 2002-04-26T04:22:01-07:00, epoch seconds, or a date like 2001-04-23 or 2/4/1997",
	    s);
}
