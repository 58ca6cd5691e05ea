#ifndef DUPC_TESTS_UNIT_MFEMU_HARNESS_H
#define DUPC_TESTS_UNIT_MFEMU_HARNESS_H

/*
 * Running the MediaFire emulator (tools/mf-emulator/mfemu.py) for tests:
 * one private instance per call of mfemu_start(), on a free loopback port,
 * with its own data directory, request log and optional fault rules.  The
 * emulator is found through $MFEMU, else $TOP/tools/mf-emulator/mfemu.py
 * ($TOP defaults to the current directory, which tests/run sets to the top
 * of the tree).
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define MFEMU_EMAIL "user@example.com"
#define MFEMU_PASSWORD "s3cret pass&word"

struct mfemu {
	pid_t pid;
	int port;
	char dir[256]; /* scratch directory (data, log, faults) */
	char root[64]; /* http://127.0.0.1:PORT */
	char log[300]; /* the request log (JSON lines) */
};

/* mfemu_path(): the emulator script, or NULL when it is not there. */
const char *mfemu_path(void);

/*
 * mfemu_start(emu, faults, args):
 * Start an emulator with account MFEMU_EMAIL/MFEMU_PASSWORD, a fixed seed,
 * the control endpoint, the fault rules ${faults} (JSON text, may be NULL)
 * and the extra arguments ${args} (NULL-terminated, may be NULL).  Sets
 * DUPC_MF_API_ROOT and FTP_PASSWORD for backends opened afterwards.
 * Returns 0, or -1 with a message on stderr.
 */
int mfemu_start(struct mfemu *, const char *, const char *const *);

/* mfemu_stop(emu): stop it and remove its directory (kept when
 * MFEMU_KEEP is set). */
void mfemu_stop(struct mfemu *);

/*
 * mfemu_control(emu, method, path, body):
 * One request to the control endpoint ("/_mfemu/faults"); returns the
 * HTTP status, or -1.
 */
int mfemu_control(const struct mfemu *, const char *, const char *,
    const char *);

/* mfemu_add_faults(emu, json) / mfemu_clear_faults(emu): 0 or -1. */
int mfemu_add_faults(const struct mfemu *, const char *);
int mfemu_clear_faults(const struct mfemu *);

/*
 * mfemu_count(emu, path, fault):
 * Requests in the log whose "path" is ${path} (a prefix when it ends in
 * '*'; NULL for any) and whose "fault" is ${fault} (NULL: any, "" : none,
 * "*": some fault).
 */
unsigned mfemu_count(const struct mfemu *, const char *, const char *);

/*
 * mfemu_skip_all(why):
 * Print a TAP plan with one skipped test (cmocka's own skip prints
 * "not ok ... # SKIP", which runners count as a failure) and return 0,
 * for main() to return when the emulator cannot be found.
 */
int mfemu_skip_all(const char *);

/* mfemu_url(emu, folder, buf, n): "mf://user%40example.com@mediafire.com/
 * ${folder}" into ${buf}. */
const char *mfemu_url(const struct mfemu *, const char *, char *, size_t);

#endif
