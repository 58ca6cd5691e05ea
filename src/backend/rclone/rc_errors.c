/*
 * rclone's failures, classed.  rclone says little in its exit status
 * (docs: 1 usage, 2 uncategorised, 3 directory not found, 4 file not
 * found, 5 temporary, 6 less serious, 7 fatal, 8 transfer limit, 9 no
 * files transferred), so its last line of standard error decides what the
 * status cannot: a missing object, refused credentials or certificates,
 * an unknown remote.  Whatever is not recognised follows the status.
 */
#include "backend/rclone/rc_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "util/err.h"

/* Does ${line} contain ${word}, ignoring case? */
static bool
has(const char *line, const char *word)
{
	size_t n = strlen(word), i, j;

	for (i = 0; line[i] != '\0'; i++) {
		for (j = 0; j < n && line[i + j] != '\0'; j++)
			if (tolower((unsigned char)line[i + j]) !=
			    tolower((unsigned char)word[j]))
				break;
		if (j == n)
			return true;
	}
	return false;
}

static bool
has_any(const char *line, const char *const *words)
{
	for (; *words != NULL; words++)
		if (has(line, *words))
			return true;
	return false;
}

static const char *const not_found[] = { "directory not found",
	"object not found", "file not found", "doesn't exist", "not found",
	NULL };

static const char *const no_remote[] = { "didn't find section in config",
	"config file not found", "unknown backend", "couldn't find backend",
	NULL };

static const char *const cert[] = { "x509:", "certificate", NULL };

static const char *const denied[] = { "unable to authenticate",
	"permission denied", "access denied", "unauthorized", "forbidden",
	"invalid_grant", "invalid credentials", "authentication failed",
	"status code 401", "status code 403", "401 ", "403 ", "login failed",
	NULL };

static const char *const network[] = { "connection refused", "no such host",
	"i/o timeout", "connection reset", "broken pipe",
	"network is unreachable", "timeout", "unexpected eof",
	"connection lost", "closed network connection", "connection closed",
	NULL };

static const char *const no_space[] = { "no space left", "quota exceeded",
	"storagequotaexceeded", "insufficient storage", NULL };

int
rc_fail(struct dupc_err *err, const char *what, int status, const char *line)
{
	const char *l = line != NULL && line[0] != '\0' ? line : "(no message)";

	if (has_any(l, no_remote))
		return err_class_set(err, ERR_PERMANENT, E_BAD_URL,
		    "%s: rclone does not know the remote (rclone: %s)", what,
		    l);
	if (status == 3 || status == 4 || has_any(l, not_found))
		return err_class_set(err, ERR_NOT_FOUND, E_BACKEND_NOT_FOUND,
		    "%s: not found (rclone: %s)", what, l);
	if (has_any(l, cert))
		return err_class_set(err, ERR_PERMANENT, E_CONNECTION_FAILED,
		    "%s: rclone refused the server's certificate (rclone: %s); if it comes from a private CA, give it with --ssl-cacert-file",
		    what, l);
	if (has_any(l, no_space))
		return err_class_set(err, ERR_PERMANENT, E_BACKEND_NO_SPACE,
		    "%s: no space on the remote (rclone: %s)", what, l);
	if (has_any(l, denied))
		return err_class_set(err, ERR_PERMANENT,
		    E_BACKEND_PERMISSION_DENIED,
		    "%s: access denied (rclone: %s)", what, l);
	if (has_any(l, network))
		return err_class_set(err, ERR_TRANSIENT, E_CONNECTION_FAILED,
		    "%s: rclone: %s", what, l);
	if (status == 1 || status == 7)
		return err_class_set(err, ERR_PERMANENT, E_BACKEND_ERROR,
		    "%s: rclone exited with status %d: %s", what, status, l);
	return err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
	    "%s: rclone exited with status %d: %s", what, status, l);
}
