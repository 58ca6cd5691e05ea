#ifndef DUPC_UTIL_FAULTPOINT_H
#define DUPC_UTIL_FAULTPOINT_H

/*
 * Crash points for the lifecycle tests.  When the environment variable
 * DUPC_FAULT_POINT is "NAME" or "NAME:N", the N-th time (default 1) the
 * code passes faultpoint("NAME"), the process kills itself with SIGKILL,
 * exactly as a power cut or the OOM killer would stop it: no cleanup, no
 * flush.  "NAME:N:stall" instead waits there until a signal arrives, so a
 * test can deliver SIGINT/SIGTERM at an exact point.  "NAME:N:stop" stops
 * the process there (SIGSTOP) and carries on when it is continued
 * (SIGCONT), so a test can change the source tree at an exact point of a
 * backup.  Unset, faultpoint() costs one comparison.
 */

/* faultpoint(name): die here when the test asks for it. */
void faultpoint(const char *);

#endif
