#ifndef DUPC_ENGINE_VOLUME_H
#define DUPC_ENGINE_VOLUME_H

/*
 * The volume writer: one logical stream of difftar entries cut into
 * volumes of about --volsize bytes (duplicity-format.md 4.4).  Each volume
 * goes tar -> gzip/gpg -> SHA-1 tee -> private temporary file, is uploaded
 * whole, and only then is recorded in the set's partial manifest in the
 * archive dir — so the partial manifest always says exactly what the
 * target holds, and an interrupted run can resume after the last volume it
 * lists.
 */

#include <stdbool.h>
#include <stdint.h>

#include "format/names.h"

struct dupc_err;
struct session;
struct tar_writer;
struct volwriter;

/*
 * volwriter_new(s, set, first_volume, err):
 * Write the volumes of the set named by ${set} (type and times), starting
 * at volume ${first_volume}; each finished volume's manifest block is
 * passed to ${on_volume}.
 */
typedef int volwriter_done_fn(void *arg, const char *block,
    struct dupc_err *err);

struct volwriter *volwriter_new(struct session *, const struct name_info *,
    unsigned, volwriter_done_fn *, void *, struct dupc_err *);

/*
 * volwriter_set_gate(vw, gate, arg):
 * ${gate}(arg, err) is called once, on the caller's thread, before the
 * first volume is handed to the uploader; when it fails, so does the
 * volume, and nothing is uploaded.  The backup waits there for checks
 * that run beside the pass.
 */
typedef int volwriter_gate_fn(void *arg, struct dupc_err *err);

void volwriter_set_gate(struct volwriter *, volwriter_gate_fn *, void *);

/*
 * volwriter_begin(vw, index, block, err):
 * Start an entry for ${index} (${block}: the chunk number when the entry
 * is a non-final chunk of a multivol file, else -1).  Cuts the volume
 * first when it is full.  The entry is then written with the tar writer
 * from volwriter_tar().
 */
int volwriter_begin(struct volwriter *, const char *, long, struct dupc_err *);

/* volwriter_tar(vw): the current volume's tar writer. */
struct tar_writer *volwriter_tar(struct volwriter *);

/* volwriter_end(vw, index, block): the entry is complete. */
int volwriter_end(struct volwriter *, const char *, long, struct dupc_err *);

/*
 * volwriter_finish(vw, err):
 * Close and upload the last volume (an empty volume 1 when nothing was
 * written, as duplicity does).
 */
int volwriter_finish(struct volwriter *, struct dupc_err *);

/* volwriter_stored(vw): bytes of every volume uploaded so far. */
uint64_t volwriter_stored(const struct volwriter *);

/* volwriter_count(vw): volumes uploaded. */
unsigned volwriter_count(const struct volwriter *);

/* volwriter_free(vw): drop an unfinished volume; NULL is fine. */
void volwriter_free(struct volwriter *);

#endif
