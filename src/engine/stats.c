/*
 * The statistics block.  Field order, number formats and byte summaries
 * are duplicity's (statistics.py get_stats_logstring), so wrappers that
 * parse duplicity's output read dupc's.
 */
#include "engine/stats.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "format/dtime.h"
#include "util/buf.h"
#include "util/log.h"

double
stats_now(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

char *
stats_bytes(int64_t n, char *out, size_t outsz)
{
	static const struct {
		double bytes;
		const char *abbrev;
	} units[] = {
		{ 1024.0 * 1024 * 1024 * 1024, "TB" },
		{ 1024.0 * 1024 * 1024, "GB" },
		{ 1024.0 * 1024, "MB" },
		{ 1024.0, "KB" },
	};
	const char *sign = n < 0 ? "-" : "";
	double v = n < 0 ? -(double)n : (double)n;
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (v >= units[i].bytes) {
			double c = v / units[i].bytes;
			int prec = c >= 100 ? 0 : c >= 10 ? 1 : 2;

			snprintf(out, outsz, "%s%.*f %s", sign, prec, c,
			    units[i].abbrev);
			return out;
		}
	}
	if (v == 1)
		snprintf(out, outsz, "%s1 byte", sign);
	else
		snprintf(out, outsz, "%s%.0f bytes", sign, v);
	return out;
}

static void
add_bytes_line(struct buf *b, const char *name, int64_t v)
{
	char s[64];

	buf_addf(b, "%s %lld (%s)\n", name, (long long)v,
	    stats_bytes(v, s, sizeof(s)));
}

void
stats_print(const struct stats *st)
{
	static const char header[] =
	    "--------------[ Backup Statistics ]--------------";
	char t1[DTIME_STR_MAX], t2[DTIME_STR_MAX], el[128];
	double elapsed = st->end_time - st->start_time;
	struct buf b;
	size_t i;

	buf_init(&b, 1 << 16);
	buf_addf(&b, "%s\n", header);
	buf_addf(&b, "StartTime %.2f (%s)\n", st->start_time,
	    dtime_pretty((int64_t)st->start_time, t1));
	buf_addf(&b, "EndTime %.2f (%s)\n", st->end_time,
	    dtime_pretty((int64_t)st->end_time, t2));
	buf_addf(&b, "ElapsedTime %.2f (%s)\n", elapsed,
	    dtime_elapsed_pretty(elapsed, el, sizeof(el)));
	buf_addf(&b, "SourceFiles %llu\n",
	    (unsigned long long)st->source_files);
	add_bytes_line(&b, "SourceFileSize", (int64_t)st->source_file_size);
	buf_addf(&b, "NewFiles %llu\n", (unsigned long long)st->new_files);
	add_bytes_line(&b, "NewFileSize", (int64_t)st->new_file_size);
	buf_addf(&b, "DeletedFiles %llu\n",
	    (unsigned long long)st->deleted_files);
	buf_addf(&b, "ChangedFiles %llu\n",
	    (unsigned long long)st->changed_files);
	add_bytes_line(&b, "ChangedFileSize", (int64_t)st->changed_file_size);
	add_bytes_line(&b, "ChangedDeltaSize", (int64_t)st->changed_delta_size);
	buf_addf(&b, "DeltaEntries %llu\n",
	    (unsigned long long)st->delta_entries);
	add_bytes_line(&b, "RawDeltaSize", (int64_t)st->raw_delta_size);
	add_bytes_line(&b, "TotalDestinationSizeChange",
	    st->total_dest_size_change);
	buf_addf(&b, "Errors %llu\n", (unsigned long long)st->errors);
	for (i = 0; i < sizeof(header) - 1; i++)
		buf_addch(&b, '-');
	buf_addch(&b, '\n');
	/* shown whatever the verbosity, as duplicity's force_print */
	log_msgf(LOG_NOTICE, 1, NULL, LOG_F_FORCE, "%s", buf_str(&b));
	buf_release(&b);
}
