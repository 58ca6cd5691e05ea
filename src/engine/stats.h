#ifndef DUPC_ENGINE_STATS_H
#define DUPC_ENGINE_STATS_H

/*
 * Backup statistics, counted as duplicity's StatsDeltaProcess counts them
 * (duplicity/statistics.py, diffdir.py) and printed in its exact text.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dupc_err;

struct stats {
	double start_time, end_time;
	uint64_t source_files;
	uint64_t source_file_size;
	uint64_t new_files;
	uint64_t new_file_size;
	uint64_t deleted_files;
	uint64_t changed_files;
	uint64_t changed_file_size;
	uint64_t changed_delta_size; /* always 0, as in duplicity 0.8 */
	uint64_t delta_entries;
	uint64_t raw_delta_size;
	int64_t total_dest_size_change;
	uint64_t errors;
};

/* What a statistics report says of the chain the backup went into. */
struct stats_chain {
	bool full;         /* this run made a full backup */
	bool dry_run;      /* --dry-run: nothing was written */
	int64_t full_time; /* the chain's full backup */
	size_t ninc;       /* its incrementals, this run's included */
};

struct dupc_opts;

/* stats_now(): wall-clock seconds with a fraction. */
double stats_now(void);

/* stats_bytes(n, out, outsz): "2.67 MB", "12.0 KB", "1 byte"... */
char *stats_bytes(int64_t, char *, size_t);

/* stats_print(st): log the "Backup Statistics" block (forced NOTICE). */
void stats_print(const struct stats *);

/*
 * stats_report(o, st, ch, err):
 * The statistics as the options ask: the text block (unless
 * --no-print-statistics), the JSON document on stdout (--json, the text
 * block then reaching only the machine log) and duplicity 3's JSON
 * statistics as a forced NOTICE (--jsonstat).  -1 only when the JSON
 * document cannot be written.
 */
int stats_report(const struct dupc_opts *, const struct stats *,
    const struct stats_chain *, struct dupc_err *);

#endif
