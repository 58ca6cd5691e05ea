/*
 * Error recording.  A failure is described once, where it is detected, in a
 * struct dupc_err owned by the caller; only the command layer prints it.
 * Messages start lowercase, name the object and the fix, and never carry
 * secrets (callers redact URLs before formatting them).
 */
#include "err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void
err_clear(struct dupc_err *err)
{
	if (err == NULL)
		return;
	err->code = 0;
	err->errnum = 0;
	err->cls = ERR_PERMANENT;
	err->msg[0] = '\0';
	err->extra[0] = '\0';
}

int
err_vset(struct dupc_err *err, int code, const char *fmt, va_list ap)
{
	if (err == NULL)
		return -1;
	err->code = code ? code : E_GENERIC;
	err->errnum = 0;
	err->cls = ERR_PERMANENT;
	err->extra[0] = '\0';
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	return -1;
}

void
err_set_extra(struct dupc_err *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err->extra, sizeof(err->extra), fmt, ap);
	va_end(ap);
}

int
err_set(struct dupc_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, code, fmt, ap);
	va_end(ap);
	return -1;
}

int
err_errno(struct dupc_err *err, int code, const char *fmt, ...)
{
	int saved = errno;
	size_t len;
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	err_vset(err, code, fmt, ap);
	va_end(ap);
	len = strlen(err->msg);
	snprintf(err->msg + len, sizeof(err->msg) - len, ": %s",
	    strerror(saved));
	/* a full local disk gets duplicity's code for it (the command line
	 * adds the fix); backends replace it with their own */
	if (saved == ENOSPC || saved == EDQUOT)
		err->code = E_NOT_ENOUGH_FREESPACE;
	err->errnum = saved;
	errno = saved;
	return -1;
}

int
err_class_set(struct dupc_err *err, enum err_class cls, int code,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, code, fmt, ap);
	va_end(ap);
	if (err != NULL)
		err->cls = cls;
	return -1;
}

void
err_prefix(struct dupc_err *err, const char *fmt, ...)
{
	char prefix[ERR_MSG_MAX];
	char old[ERR_MSG_MAX];
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	/* truncation keeps the start of the message, which names the object */
	if (snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old) < 0)
		err->msg[0] = '\0';
}
