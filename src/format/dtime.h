#ifndef DUPC_FORMAT_DTIME_H
#define DUPC_FORMAT_DTIME_H

/*
 * duplicity's time strings (duplicity/dup_time.py): the UTC form used in
 * file names, the user-facing forms accepted by -t, --full-if-older-than
 * and remove-older-than, and the C-locale asctime used in every message.
 */

#include <stddef.h>
#include <stdint.h>

struct dupc_err;

#define DTIME_STR_MAX 32

/* dtime_to_string(t, out): "YYYYMMDDTHHMMSSZ" (UTC) into ${out}. */
char *dtime_to_string(int64_t, char *);

/* dtime_to_iso(t, out): "YYYY-MM-DDTHH:MM:SSZ" (UTC, RFC 3339). */
char *dtime_to_iso(int64_t, char *);

/*
 * dtime_to_w3_local(t, out): "YYYY-MM-DDTHH:MM:SS+hh:mm" (local time with
 * its offset, "Z" for UTC) into ${out}: the time in file names written
 * with --old-filenames (dup_time.py timetostring).
 */
char *dtime_to_w3_local(int64_t, char *);

/*
 * dtime_from_string(s, out):
 * Parse a file-name time: the 16-character UTC form or the W3C form with a
 * zone ("2002-01-25T07:00:00+02:00", separator ':').  Returns 0 or -1.
 */
int dtime_from_string(const char *, int64_t *);

/*
 * dtime_parse(s, now, out, err):
 * Parse a user time string in every form duplicity's genstrtotime takes:
 * "now", epoch seconds, W3C datetimes (zone optional: local standard
 * time), intervals like "3D2h" (relative to ${now}) and dates
 * (YYYY-MM-DD, YYYY/MM/DD, MM/DD/YYYY, MM-DD-YYYY, YYYYMMDDZ) at local
 * midnight.  E_COMMAND_LINE with duplicity's wording on failure.
 */
int dtime_parse(const char *, int64_t, int64_t *, struct dupc_err *);

/*
 * dtime_interval(s, out): parse an interval ("1h30m") in seconds; 0 / -1.
 */
int dtime_interval(const char *, int64_t *);

/* dtime_pretty(t, out): asctime in local time, "Tue Nov 14 22:13:20 2023". */
char *dtime_pretty(int64_t, char *);

/* dtime_elapsed_pretty(secs, out, n): "1 hour 2 minutes 3.40 seconds". */
char *dtime_elapsed_pretty(double, char *, size_t);

#endif
