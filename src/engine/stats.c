/*
 * The statistics block.  Field order, number formats and byte summaries
 * are duplicity's (statistics.py get_stats_logstring), so wrappers that
 * parse duplicity's output read dupc's.
 */
#include "engine/stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "engine/engine.h"
#include "format/dtime.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"
#include "util/url.h"

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

static void
stats_text(const struct stats *st, unsigned flags)
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
	log_msgf(LOG_NOTICE, 1, NULL, LOG_F_FORCE | flags, "%s", buf_str(&b));
	buf_release(&b);
}

void
stats_print(const struct stats *st)
{
	stats_text(st, 0);
}

/* The counters under the names of the text block (statistics.py). */
static void
counters_json(struct json_out *jo, const struct stats *st)
{
	jout_int(jo, "Errors", (int64_t)st->errors);
	jout_int(jo, "TotalDestinationSizeChange", st->total_dest_size_change);
	jout_int(jo, "SourceFiles", (int64_t)st->source_files);
	jout_int(jo, "SourceFileSize", (int64_t)st->source_file_size);
	jout_int(jo, "NewFiles", (int64_t)st->new_files);
	jout_int(jo, "NewFileSize", (int64_t)st->new_file_size);
	jout_int(jo, "DeletedFiles", (int64_t)st->deleted_files);
	jout_int(jo, "ChangedFiles", (int64_t)st->changed_files);
	jout_int(jo, "ChangedFileSize", (int64_t)st->changed_file_size);
	jout_int(jo, "ChangedDeltaSize", (int64_t)st->changed_delta_size);
	jout_int(jo, "DeltaEntries", (int64_t)st->delta_entries);
	jout_int(jo, "RawDeltaSize", (int64_t)st->raw_delta_size);
}

/* dupc's --json document (docs/json.md). */
static int
stats_json(const struct dupc_opts *o, const struct stats *st,
    const struct stats_chain *ch, struct dupc_err *err)
{
	struct json_out *jo = jout_new(stdout, 2);
	char iso[DTIME_STR_MAX], safe[4096];
	int rc;

	if (jo == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	jout_object_begin(jo, NULL);
	jout_string(jo, "command", "backup");
	jout_int(jo, "version", 1);
	jout_string(jo, "action", ch->full ? "full" : "inc");
	jout_bool(jo, "dry_run", ch->dry_run);
	jout_int(jo, "chain_start", ch->full_time);
	jout_string(jo, "chain_start_str", dtime_to_iso(ch->full_time, iso));
	jout_int(jo, "incrementals", (int64_t)ch->ninc);
	jout_string(jo, "target", url_redact(o->url, safe, sizeof(safe)));
	jout_path(jo, "source", o->local ? o->local : "");
	jout_object_begin(jo, "statistics");
	jout_real(jo, "StartTime", st->start_time);
	jout_real(jo, "EndTime", st->end_time);
	jout_real(jo, "ElapsedTime", st->end_time - st->start_time);
	counters_json(jo, st);
	jout_object_end(jo);
	jout_object_end(jo);
	rc = jout_finish(jo, err);
	jout_free(jo);
	return rc;
}

/*
 * duplicity 3's --jsonstat text (statistics.py get_stats_json): the
 * statistics under their names, the two times as time strings, and
 * "backup_meta" about the chain; json.dumps(indent=4) lays it out.
 * dupc writes no statistics files, so each set's "local_json_stat" is
 * "N/A", as duplicity says when a set has none.
 */
static int
jsonstat_text(const struct dupc_opts *o, const struct stats *st,
    const struct stats_chain *ch, char **out, struct dupc_err *err)
{
	char t[DTIME_STR_MAX], safe[4096];
	size_t len = 0, i;
	struct json_out *jo;
	FILE *f = open_memstream(out, &len);
	int rc = -1;

	if (f == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	jo = jout_new(f, 4);
	if (jo == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		goto out;
	}
	jout_object_begin(jo, NULL);
	jout_null(jo, "Filename");
	jout_real(jo, "StartTime", st->start_time);
	jout_real(jo, "EndTime", st->end_time);
	jout_real(jo, "ElapsedTime", st->end_time - st->start_time);
	counters_json(jo, st);
	jout_string(jo, "StartTime_str",
	    dtime_to_string((int64_t)st->start_time, t));
	jout_string(jo, "EndTime_str",
	    dtime_to_string((int64_t)st->end_time, t));
	jout_object_begin(jo, "backup_meta");
	jout_string(jo, "action", ch->full ? "full" : "inc");
	jout_bool(jo, "skipped_inc", false);
	jout_int(jo, "time_full_bkp", ch->full_time);
	jout_string(jo, "time_full_bkp_str", dtime_to_string(ch->full_time, t));
	jout_int(jo, "no_of_inc", (int64_t)ch->ninc);
	jout_int(jo, "concurrency", 0);
	jout_string(jo, "target", url_redact(o->url, safe, sizeof(safe)));
	jout_path(jo, "source", o->local ? o->local : "");
	jout_array_begin(jo, "local_json_stat");
	for (i = 0; i <= ch->ninc; i++)
		jout_string(jo, NULL, "N/A");
	jout_array_end(jo);
	jout_object_end(jo);
	jout_object_end(jo);
	rc = jout_finish(jo, err);
out:
	jout_free(jo);
	if (fclose(f) != 0 && rc == 0)
		rc = err_errno(err, E_GENERIC, "writing the statistics");
	if (rc < 0) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

int
stats_report(const struct dupc_opts *o, const struct stats *st,
    const struct stats_chain *ch, struct dupc_err *err)
{
	if (o->jsonstat) {
		char *text = NULL;
		size_t n;

		if (jsonstat_text(o, st, ch, &text, err) < 0)
			return -1;
		n = strlen(text);
		if (n > 0 && text[n - 1] == '\n')
			text[n - 1] = '\0';
		/* dup_main.py write_json_stat: a forced NOTICE */
		log_msgf(LOG_NOTICE, 1, NULL, LOG_F_FORCE, "%s", text);
		free(text);
	}
	/* dup_main.py: write_json_stat, then print_statistics */
	if (o->print_statistics || o->json)
		stats_text(st, o->json ? LOG_F_MACHINE_ONLY : 0);
	if (o->json)
		return stats_json(o, st, ch, err);
	return 0;
}
