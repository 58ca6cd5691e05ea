/*
 * What each MediaFire error code means to a backup (mediafire-api.md
 * section 10).  The session layer acts on the action (log in again, retry,
 * back off); everything else goes up with a retry class the retry wrapper
 * reads.  Unknown codes are permanent for the operation, as the API notes
 * advise, and keep their code and text in the message.
 */
#include "backend/mediafire/mf_internal.h"

#include <stddef.h>

#include "util/err.h"

struct mf_code {
	long code;
	enum mf_err_action action;
	enum err_class cls;
	int dupc;
	const char *name;
};

static const struct mf_code codes[] = {
	{ 100, MF_EA_RETRY, ERR_TRANSIENT, E_BACKEND_ERROR,
	    "internal server error" },
	{ 104, MF_EA_RELOGIN, ERR_TRANSIENT, E_BACKEND_ERROR,
	    "session token missing" },
	{ 105, MF_EA_RELOGIN, ERR_TRANSIENT, E_BACKEND_ERROR,
	    "session token invalid or expired" },
	{ 107, MF_EA_FAIL, ERR_PERMANENT, E_BACKEND_PERMISSION_DENIED,
	    "credentials invalid" },
	{ 108, MF_EA_FAIL, ERR_PERMANENT, E_BACKEND_PERMISSION_DENIED,
	    "user invalid" },
	{ 109, MF_EA_FAIL, ERR_PERMANENT, E_BACKEND_PERMISSION_DENIED,
	    "application id invalid" },
	{ 110, MF_EA_FAIL, ERR_NOT_FOUND, E_BACKEND_NOT_FOUND,
	    "quickkey invalid" },
	{ 112, MF_EA_FAIL, ERR_NOT_FOUND, E_BACKEND_NOT_FOUND,
	    "folderkey invalid" },
	{ 114, MF_EA_FAIL, ERR_PERMANENT, E_BACKEND_PERMISSION_DENIED,
	    "access denied" },
	{ 118, MF_EA_FAIL, ERR_PERMANENT, E_BACKEND_ERROR,
	    "file name invalid" },
	{ 125, MF_EA_FAIL, ERR_PERMANENT, E_BACKEND_CODE_ERROR,
	    "API version removed; set DUPC_MF_API_VERSION" },
	{ 126, MF_EA_FAIL, ERR_PERMANENT, E_BACKEND_CODE_ERROR,
	    "API call deprecated for this version; set DUPC_MF_API_VERSION" },
	{ 127, MF_EA_RELOGIN, ERR_TRANSIENT, E_BACKEND_ERROR,
	    "signature invalid" },
	{ 129, MF_EA_FAIL, ERR_PERMANENT, E_BACKEND_CODE_ERROR,
	    "parameters invalid" },
	{ 130, MF_EA_FAIL, ERR_PERMANENT, E_BACKEND_NO_SPACE,
	    "non-premium limit reached" },
	{ 145, MF_EA_FAIL, ERR_PERMANENT, E_BACKEND_PERMISSION_DENIED,
	    "application id disabled" },
	{ 146, MF_EA_FAIL, ERR_PERMANENT, E_BACKEND_PERMISSION_DENIED,
	    "application id suspended" },
	{ 160, MF_EA_FAIL, ERR_PERMANENT, E_BACKEND_PERMISSION_DENIED,
	    "terms of service token invalid" },
	{ 161, MF_EA_FAIL, ERR_PERMANENT, E_BACKEND_PERMISSION_DENIED,
	    "terms of service must be accepted on mediafire.com" },
	{ 162, MF_EA_FAIL, ERR_PERMANENT, E_BACKEND_NO_SPACE,
	    "storage limit exceeded" },
	{ 163, MF_EA_BACKOFF, ERR_TRANSIENT, E_BACKEND_ERROR,
	    "API request limit exceeded" },
	{ 164, MF_EA_FAIL, ERR_PERMANENT, E_BACKEND_ERROR,
	    "file already reported" },
	{ 165, MF_EA_FAIL, ERR_PERMANENT, E_BACKEND_ERROR, "file removed" },
	{ 167, MF_EA_FAIL, ERR_PERMANENT, E_BACKEND_ERROR,
	    "folder depth limit exceeded" },
	{ 169, MF_EA_RETRY, ERR_TRANSIENT, E_BACKEND_ERROR, "upload failed" },
	{ 173, MF_EA_FAIL, ERR_PERMANENT, E_BACKEND_PERMISSION_DENIED,
	    "premium account required" },
	{ 175, MF_EA_FAIL, ERR_TRANSIENT, E_BACKEND_ERROR,
	    "upload key invalid" },
	{ 188, MF_EA_RELOGIN, ERR_TRANSIENT, E_BACKEND_ERROR,
	    "login required" },
	{ 206, MF_EA_RETRY, ERR_TRANSIENT, E_BACKEND_ERROR,
	    "internal server error" },
	{ 208, MF_EA_RETRY, ERR_TRANSIENT, E_BACKEND_ERROR,
	    "asynchronous operation in progress" },
	{ 225, MF_EA_RETRY, ERR_TRANSIENT, E_BACKEND_ERROR,
	    "internal server error" },
	{ 232, MF_EA_FAIL, ERR_PERMANENT, E_BACKEND_PERMISSION_DENIED,
	    "e-mail address requires validation" },
	{ 243, MF_EA_FAIL, ERR_PERMANENT, E_BACKEND_PERMISSION_DENIED,
	    "account temporarily locked" },
	{ 282, MF_EA_FAIL, ERR_PERMANENT, E_BACKEND_ERROR, "file too big" },
};

void
mf_error_info(long code, struct mf_errinfo *info)
{
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		if (codes[i].code == code) {
			info->action = codes[i].action;
			info->cls = codes[i].cls;
			info->code = codes[i].dupc;
			info->name = codes[i].name;
			return;
		}
	}
	info->action = MF_EA_FAIL;
	info->cls = ERR_PERMANENT;
	info->code = E_BACKEND_ERROR;
	info->name = "unexpected error";
}

int
mf_error_set(struct dupc_err *err, const char *what, long code,
    const char *message)
{
	struct mf_errinfo info;
	char esc[MF_MSG_MAX];

	mf_error_info(code, &info);
	mf_escape(message, esc, sizeof(esc));
	return err_class_set(err, (enum err_class)info.cls, info.code,
	    "%s: MediaFire error %ld (%s)%s%s", what, code, info.name,
	    *esc ? ": " : "", esc);
}

/* upload/poll_upload fileerror values (mediafire-api.md 7.5). */
struct mf_fileerror {
	long code;
	bool retry;
	enum err_class cls;
	const char *text;
};

static const struct mf_fileerror fileerrors[] = {
	{ 1, false, ERR_PERMANENT, "file larger than the maximum allowed" },
	{ 2, false, ERR_PERMANENT, "file size cannot be 0" },
	{ 3, false, ERR_PERMANENT, "bad RAR file" },
	{ 4, false, ERR_PERMANENT, "bad RAR file" },
	{ 5, false, ERR_PERMANENT, "virus found" },
	{ 6, true, ERR_TRANSIENT, "file lost" },
	{ 7, true, ERR_TRANSIENT, "file hash or size mismatch" },
	{ 8, true, ERR_TRANSIENT, "internal error" },
	{ 9, false, ERR_PERMANENT, "bad RAR file" },
	{ 10, true, ERR_TRANSIENT, "internal error" },
	{ 12, true, ERR_TRANSIENT, "failed to insert data into database" },
	{ 13, false, ERR_PERMANENT, "file name already exists, skipped" },
	{ 14, true, ERR_TRANSIENT, "destination folder does not exist" },
	{ 15, false, ERR_PERMANENT, "account storage limit reached" },
	{ 16, true, ERR_TRANSIENT, "update revision conflict" },
	{ 17, true, ERR_TRANSIENT, "error patching delta file" },
	{ 18, false, ERR_PERMANENT, "account is blocked" },
	{ 19, true, ERR_TRANSIENT, "failed to create path" },
};

int
mf_fileerror_class(long code, bool *retry)
{
	size_t i;

	for (i = 0; i < sizeof(fileerrors) / sizeof(fileerrors[0]); i++) {
		if (fileerrors[i].code == code) {
			*retry = fileerrors[i].retry;
			return fileerrors[i].cls;
		}
	}
	*retry = false;
	return ERR_PERMANENT;
}

const char *
mf_fileerror_text(long code)
{
	size_t i;

	for (i = 0; i < sizeof(fileerrors) / sizeof(fileerrors[0]); i++)
		if (fileerrors[i].code == code)
			return fileerrors[i].text;
	return "unknown upload error";
}
