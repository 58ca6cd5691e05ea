#ifndef DUPC_ENGINE_PROGRESS_H
#define DUPC_ENGINE_PROGRESS_H

/*
 * Progress of a backup or a restore, for people and for front-ends.
 *
 * The engine reports events here (bytes of the source examined, a volume
 * written, uploaded, downloaded); this module turns them into duplicity's
 * machine-log records (info codes 2, 11, 13 and, with --progress, upload
 * progress 16) and, with --progress, into a live status line on a terminal
 * (stderr) or a plain line every --progress-rate seconds when stderr is
 * not a terminal.  The display runs in its own thread so that it keeps
 * moving during a long upload; the engine's calls only update counters.
 *
 * The total of a backup is estimated, not measured: before the backup
 * pass, a walk of the source (same selection, no file read) sums the sizes
 * of everything the pass will examine, which is what duplicity's
 * SourceFileSize counts.  Unchanged files count as done as soon as they
 * are examined.
 *
 * Every function is safe to call when progress is off, and all but
 * progress_configure() are no-ops for the display then; the records
 * duplicity always writes are still written.
 */

#include <stdbool.h>
#include <stdint.h>

struct dupc_opts;
struct source;

/* progress_configure(enabled, rate): --progress and --progress-rate N. */
void progress_configure(bool, unsigned);

/*
 * progress_backup_begin(o):
 * A backup (or --dry-run) of o->local starts; with --progress, estimate
 * the total and start the display.
 */
void progress_backup_begin(const struct dupc_opts *);

/* progress_source_bytes(n): ${n} bytes of the source examined so far. */
void progress_source_bytes(uint64_t);

/*
 * progress_backup_end(source_bytes):
 * The backup pass and its uploads are complete: the final records (for a
 * dry run, duplicity's "INFO 2 <bytes>" that front-ends use as the total
 * of the real run), and the display stops.
 */
void progress_backup_end(uint64_t);

/* progress_volume_begin(n): volume ${n} is being written. */
void progress_volume_begin(unsigned);

/*
 * progress_upload_begin(name, vol, size, src):
 * ${name} (volume ${vol}, 0 for metadata) of ${size} bytes is about to be
 * uploaded from ${src}.  Returns the source to give the backend: a
 * counting view of ${src}, borrowed until progress_upload_end().
 */
struct source *progress_upload_begin(const char *, unsigned, uint64_t,
    struct source *);

/* progress_upload_end(ok): the upload finished (or failed). */
void progress_upload_end(bool);

/*
 * progress_volume_done(n):
 * Volume ${n} is on the target: duplicity's "Processed volume N" record
 * with the source bytes examined so far.
 */
void progress_volume_done(unsigned);

/* progress_restore_begin(nvols): a restore will read ${nvols} volumes. */
void progress_restore_begin(unsigned);

/* progress_download_begin(name): ${name} is being downloaded. */
void progress_download_begin(const char *);

/* progress_volume_read(): one more volume has been read to its end. */
void progress_volume_read(void);

/* progress_stop(): stop the display and clear its line; idempotent. */
void progress_stop(void);

#endif
