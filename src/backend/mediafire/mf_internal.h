#ifndef DUPC_BACKEND_MEDIAFIRE_MF_INTERNAL_H
#define DUPC_BACKEND_MEDIAFIRE_MF_INTERNAL_H

/*
 * The mf:// backend's own declarations, shared by the files of this folder
 * (and by their unit tests) only.  The rest of dupc sees mf_backend_ops and
 * nothing else.
 *
 * Layers, bottom up:
 *   mf_sign.c      login and v2 call signatures, the secret-key chain (pure)
 *   mf_params.c    request parameters: sorted, form-encoded (pure)
 *   mf_reply.c     response envelopes and JSON field readers (pure)
 *   mf_errors.c    API error codes -> retry class and duplicity code (pure)
 *   mf_units.c     resumable-upload unit layout and bitmaps (pure)
 *   mf_session.c   login, the signed-call state machine, action tokens
 *   mf_folder.c    path resolution and creation, paged listings, the cache
 *   mf_upload.c    upload/check -> instant | simple | resumable -> poll
 *   mf_download.c  file/get_links, verified and resumed downloads
 *   mf_backend.c   the ops table, URL and credentials, configuration
 *
 * Third-party headers (libcurl, jansson) are included by the .c files only;
 * this header forward-declares what it needs, so tests can include it.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"
#include "backend/http.h"

struct buf;
struct digest;
struct dupc_err;
struct json_t;
struct source;

/* Bounds on what the network may make us hold or do. */
#define MF_BODY_MAX (16u << 20) /* an API answer */
#define MF_JSON_DEPTH_MAX 32    /* nesting of an API answer */
#define MF_NAME_MAX 1024        /* a remote file or folder name */
#define MF_TOKEN_MAX 512        /* session and action tokens */
#define MF_TIME_MAX 40          /* the login "time" string */
#define MF_MSG_MAX 200          /* API message text kept for errors */
#define MF_UNITS_MAX 65536u     /* units of one resumable upload */
#define MF_LIST_MAX 1000000u    /* entries of one folder listing */

#define MF_KEY_MODULUS 2147483647u /* 2^31 - 1 */
#define MF_SHA256_HEX 64
#define MF_QUICKKEY_MAX 15
#define MF_FOLDERKEY_MAX 15
#define MF_UPLOADKEY_MAX 15

/* ------------------------------------------------------------------ */
/* mf_sign.c */

/*
 * mf_key_next(key):
 * The next secret key of the v2 chain: ${key} * 16807 mod (2^31 - 1),
 * computed in 64 bits.
 */
uint32_t mf_key_next(uint32_t);

/*
 * mf_sign_login(email, password, app_id, api_key, hex):
 * The user/get_session_token signature: lower-case hex SHA-1 of
 * ${email}${password}${app_id}${api_key} (${api_key} may be NULL).  Writes
 * 41 bytes to ${hex}.  The concatenation is wiped.  Returns 0, or -1 on
 * ENOMEM.
 */
int mf_sign_login(const char *, const char *, const char *, const char *,
    char *);

/*
 * mf_sign_call(key, time, path, query, hex):
 * The v2 call signature: lower-case hex MD5 of
 * decimal(${key} % 256) ${time} ${path} "?" ${query}, where ${path} starts
 * at "/api/" and ${query} is exactly the encoded parameter string sent,
 * without the signature.  Writes 33 bytes to ${hex}.  Returns 0 or -1.
 */
int mf_sign_call(uint32_t, const char *, const char *, const char *, char *);

/* ------------------------------------------------------------------ */
/* mf_params.c */

/*
 * An ordered list of request parameters.  Values flagged secret (password,
 * session token) are wiped when the list is released.
 * Invariant: every key and value is a NUL-terminated heap string.
 */
struct mf_param {
	char *key;
	char *value;
	bool secret;
};

struct mf_params {
	struct mf_param *v;
	size_t n;
	size_t cap;
};

/* mf_params_init(p): an empty list (no allocation). */
void mf_params_init(struct mf_params *);

/* mf_params_release(p): free every entry, wiping secret values. */
void mf_params_release(struct mf_params *);

/* mf_params_add(p, key, value): append a copy; 0, or -1 on ENOMEM. */
int mf_params_add(struct mf_params *, const char *, const char *);

/* mf_params_add_secret(p, key, value): the same, wiped on release. */
int mf_params_add_secret(struct mf_params *, const char *, const char *);

/* mf_params_add_u64(p, key, v): append a decimal number. */
int mf_params_add_u64(struct mf_params *, const char *, uint64_t);

/* mf_params_sort(p): order by key, bytewise (stable), as the Python SDK
 * does before signing. */
void mf_params_sort(struct mf_params *);

/*
 * mf_params_encode(p, lenp):
 * The list as "k=v&k=v", each part encoded as Python's quote_plus does
 * (unreserved bytes A-Z a-z 0-9 _ . - ~ kept, space as '+', others %XX).
 * Returns a string sized exactly (never reallocated, so a secret inside
 * leaves no stray copy) that the caller releases with mf_wipe_free(), or
 * NULL on ENOMEM.  *${lenp} (may be NULL) receives its length.
 */
char *mf_params_encode(const struct mf_params *, size_t *);

/* mf_wipe_free(s): wipe a NUL-terminated string and free it. */
void mf_wipe_free(char *);

/* ------------------------------------------------------------------ */
/* mf_reply.c */

/*
 * A decoded API answer.  ${root} owns the JSON tree; ${resp} is the
 * "response" object inside it (borrowed).  ${ok} is result == "Success";
 * otherwise ${error} is the API code and ${message} its text, escaped.
 * ${new_key} is true exactly when the envelope said new_key "yes".
 */
struct mf_reply {
	struct json_t *root;
	struct json_t *resp;
	bool ok;
	bool new_key;
	long error;
	char message[MF_MSG_MAX];
	bool ambiguous; /* set by mf_call: an earlier attempt of the same
			 * call may have taken effect on the server */
};

/* mf_reply_init(r): an empty reply; mf_reply_release works on it. */
void mf_reply_init(struct mf_reply *);

/* mf_reply_release(r): drop the JSON tree and reset ${r}. */
void mf_reply_release(struct mf_reply *);

/*
 * mf_reply_parse(r, body, len, action, err):
 * Decode ${len} bytes of ${body} as an API envelope.  A well-formed one is
 * a JSON object (depth at most MF_JSON_DEPTH_MAX) holding an object
 * "response" with "result" "Success" or "Error", an error code (number or
 * numeric string) when "Error", and, when present, an "action" equal to
 * ${action} (may be NULL: not checked).  Returns 0 for a well-formed
 * envelope, success or error alike; otherwise -1 with a transient error
 * (the answer tells nothing, so the call's outcome is unknown).
 */
int mf_reply_parse(struct mf_reply *, const char *, size_t, const char *,
    struct dupc_err *);

/*
 * mf_json_depth_ok(p, len, max):
 * True when the JSON text nests objects and arrays at most ${max} deep
 * (strings are skipped; the text is not otherwise validated).
 */
bool mf_json_depth_ok(const char *, size_t, unsigned);

/* mf_json_obj(obj, key): member ${key} when it is an object, else NULL. */
struct json_t *mf_json_obj(const struct json_t *, const char *);

/* mf_json_arr(obj, key): member ${key} when it is an array, else NULL. */
struct json_t *mf_json_arr(const struct json_t *, const char *);

/* mf_json_str(obj, key): member ${key} when it is a string (borrowed). */
const char *mf_json_str(const struct json_t *, const char *);

/*
 * mf_json_u64(obj, key, out):
 * Member ${key} as an unsigned integer, from a JSON integer or a string of
 * decimal digits.  0, or -1 when missing or malformed.
 */
int mf_json_u64(const struct json_t *, const char *, uint64_t *);

/*
 * mf_json_i64(obj, key, out): the same allowing a leading '-' (poll
 * results such as "-80").
 */
int mf_json_i64(const struct json_t *, const char *, int64_t *);

/* mf_json_yes(obj, key): 1 for "yes", 0 for "no", -1 otherwise. */
int mf_json_yes(const struct json_t *, const char *);

/* mf_json_size(arr): element count of an array (0 for NULL). */
size_t mf_json_size(const struct json_t *);

/* mf_json_at(arr, i): element ${i} (borrowed), or NULL. */
struct json_t *mf_json_at(const struct json_t *, size_t);

/*
 * mf_escape(in, out, outsz):
 * Copy untrusted text for a message: printable ASCII kept, other bytes as
 * \xNN, truncated to fit.  Returns ${out}.
 */
char *mf_escape(const char *, char *, size_t);

/* mf_copy(dst, dstsz, src): copy a string, truncating to fit. */
void mf_copy(char *, size_t, const char *);

/* mf_valid_key(s, min, max): [a-z0-9]{min,max}. */
bool mf_valid_key(const char *, size_t, size_t);

/* mf_valid_sha256(s): 64 hex digits (either case). */
bool mf_valid_sha256(const char *);

/* ------------------------------------------------------------------ */
/* mf_errors.c */

/* What the session layer does with an API error code. */
enum mf_err_action {
	MF_EA_FAIL = 0, /* return it to the caller (class below) */
	MF_EA_RELOGIN,  /* key or token lost: log in again and retry */
	MF_EA_RETRY,    /* server fault: retry the call after a pause */
	MF_EA_BACKOFF,  /* rate limit: return transient, long backoff */
};

struct mf_errinfo {
	enum mf_err_action action;
	int cls;  /* enum err_class for MF_EA_FAIL and when retries end */
	int code; /* duplicity error code */
	const char *name;
};

/* mf_error_info(code, info): the handling of API error ${code}. */
void mf_error_info(long, struct mf_errinfo *);

/*
 * mf_error_set(err, what, code, message):
 * Record API error ${code} for operation ${what} with its class and
 * duplicity code; ${message} is the server's text (escaped here, may be
 * NULL).  Returns -1.
 */
int mf_error_set(struct dupc_err *, const char *, long, const char *);

/*
 * mf_fileerror_class(code, retry):
 * The err_class of upload/poll_upload fileerror ${code}; *${retry} is true
 * when the upload should start again from upload/check.
 */
int mf_fileerror_class(long, bool *);

/* mf_fileerror_text(code): a short description. */
const char *mf_fileerror_text(long);

/* ------------------------------------------------------------------ */
/* mf_units.c */

/* The unit layout of a resumable upload, as the server chose it. */
struct mf_units {
	uint64_t size; /* whole file */
	uint64_t unit_size;
	uint32_t count;
};

/*
 * mf_units_layout(u, size, unit_size, count, err):
 * Check the server's ${unit_size} and ${count} against ${size}: every unit
 * but the last is full, the last is not empty, and ${count} is at most
 * MF_UNITS_MAX.  Returns 0, or -1 with a transient error.
 */
int mf_units_layout(struct mf_units *, uint64_t, uint64_t, uint64_t,
    struct dupc_err *);

/* mf_unit_offset(u, i): byte offset of unit ${i}. */
uint64_t mf_unit_offset(const struct mf_units *, uint32_t);

/* mf_unit_len(u, i): byte count of unit ${i}. */
uint64_t mf_unit_len(const struct mf_units *, uint32_t);

/*
 * mf_bitmap_decode(words, nwords, count, have):
 * Mark ${have}[i] (${count} entries) from a bitmap: unit i is present when
 * bit (i % 16) of word i / 16 is set, bit 0 least significant.  Words past
 * ${nwords} count as zero; bits past ${count} are ignored.  Returns the
 * number of units present.
 */
uint32_t mf_bitmap_decode(const uint16_t *, size_t, uint32_t, bool *);

/*
 * mf_bitmap_from_json(bitmap, count, have, err):
 * Decode a resumable_upload "bitmap" object {count, words[]} whose words
 * are numbers or numeric strings in 0..65535.  A missing bitmap means no
 * unit is present.  Returns the number of units present, or -1 with a
 * transient error for a malformed one.
 */
long mf_bitmap_from_json(const struct json_t *, uint32_t, bool *,
    struct dupc_err *);

/* ------------------------------------------------------------------ */
/* mf_session.c */

/*
 * The session state machine.  A signed call may go out only in state
 * SYNCED, when the token, time and secret key are the server's.  Login
 * enters SYNCED.  A signed call that ends without a well-formed envelope
 * (no answer, a cut answer, HTML, junk) leaves the server's key unknown,
 * so the state becomes UNKNOWN and the next call logs in first; errors
 * 104, 105, 127 and 188 throw the session away (NONE) for the same
 * reason.  The key advances exactly when an envelope says new_key "yes".
 */
enum mf_key_state {
	MF_KEY_NONE = 0,
	MF_KEY_SYNCED,
	MF_KEY_UNKNOWN,
};

struct mf_session {
	struct http http;
	char *api_root; /* "https://www.mediafire.com", no final '/' */
	char *version;  /* "1.3"; "" for unversioned paths */
	char *email;
	char *password; /* secret */
	char *app_id;
	char *api_key; /* secret; NULL when the app has none */
	char *token;   /* secret; NULL outside SYNCED */
	char time[MF_TIME_MAX + 1];
	uint32_t key;
	enum mf_key_state state;
	char *action_token; /* secret; upload token, NULL until needed */
	bool busy;          /* a signed request is in flight */
	unsigned tries;     /* attempts per call (login included) */
	double pause;       /* first pause between attempts, seconds */
	unsigned long n_logins;
	unsigned long n_calls;
};

/* mf_session_init(s): an empty, logged-out session (no allocation). */
void mf_session_init(struct mf_session *);

/* mf_session_release(s): free everything, wiping the secrets. */
void mf_session_release(struct mf_session *);

/* mf_session_forget(s): drop the token and key (state NONE). */
void mf_session_forget(struct mf_session *);

/*
 * mf_login(s, err):
 * user/get_session_token with token_version 2.  One attempt; 107, 243 and
 * the other credential and application errors are permanent (a retry
 * risks locking the account).
 */
int mf_login(struct mf_session *, struct dupc_err *);

/*
 * mf_call(s, api, params, reply, err):
 * The signed call ${api} ("folder/get_content") with ${params} (not
 * modified), logging in first when the state is not SYNCED.  Up to
 * s->tries attempts: after a transport failure, a malformed answer, a
 * session error (log in again) or a transient server error.  Every call
 * of the backend is safe to repeat this way (mediafire-api.md 3.6); a
 * caller for which a repeat matters reads reply->ambiguous.  Returns 0
 * with a Success reply in ${reply} (the caller releases it), or -1 with
 * ${err} set; an API error then also leaves its code in reply->error.
 */
int mf_call(struct mf_session *, const char *, const struct mf_params *,
    struct mf_reply *, struct dupc_err *);

/*
 * mf_action_token(s, tokp, err):
 * An upload action token (user/get_action_token, type upload), fetched on
 * first use and kept; *${tokp} is borrowed until mf_action_token_drop.
 */
int mf_action_token(struct mf_session *, const char **, struct dupc_err *);

/* mf_action_token_drop(s): forget a rejected action token. */
void mf_action_token_drop(struct mf_session *);

/*
 * mf_upload_post(s, api, query, headers, body, reply, err):
 * One unsigned upload request ${api} authenticated by the action token:
 * ${query} plus session_token and response_format go in the URL, ${body}
 * is POSTed.  The key chain is not involved.  Returns 0 with a Success
 * reply, or -1: reply->error is the API code, or 0 for a transport
 * failure or malformed answer.  A 105 drops the action token.
 */
int mf_upload_post(struct mf_session *, const char *, const struct mf_params *,
    const char *const *, struct http_body *, struct mf_reply *,
    struct dupc_err *);

/* mf_backoff(s, attempt): the pause before attempt ${attempt} (2, 3...). */
double mf_backoff(const struct mf_session *, unsigned);

/* ------------------------------------------------------------------ */
/* the backend instance (mf_backend.c, mf_folder.c, mf_upload.c,
 * mf_download.c) */

/* One file of the target folder, as listed. */
struct mf_entry {
	char *name;
	char quickkey[MF_QUICKKEY_MAX + 1];
	char hash[MF_SHA256_HEX + 1]; /* lower-case; "" when not reported */
	uint64_t size;
	char created[32];
};

/*
 * The listing of the target folder, sorted by name, one entry per name.
 * Loaded by mf_cache_load() and kept up to date by put and remove, so an
 * operation on a name costs no listing.
 */
struct mf_cache {
	struct mf_entry *v;
	size_t n;
	size_t cap;
	bool valid;
};

/* Tunables, from the environment (mf_backend.c documents them). */
struct mf_config {
	uint64_t simple_max;  /* largest upload/simple body */
	unsigned chunk_size;  /* folder/get_content page size */
	double poll_interval; /* seconds between upload/poll_upload */
	unsigned poll_max;    /* polls before an upload counts as stuck */
	unsigned put_tries;   /* upload/check restarts within one put */
	unsigned unit_tries;  /* attempts per resumable unit */
	unsigned get_tries;   /* fruitless download requests per get */
	bool purge;           /* file/purge instead of file/delete */
};

enum mf_folder_state {
	MF_FOLDER_UNKNOWN = 0,
	MF_FOLDER_FOUND,
	MF_FOLDER_MISSING,
};

struct mf_backend {
	struct backend base;
	struct mf_session s;
	struct mf_config cfg;
	char **parts; /* the folder path, one name per level */
	size_t nparts;
	char *where; /* "/backups/host1", for messages */
	char folder_key[MF_FOLDERKEY_MAX + 1]; /* "" for the root */
	enum mf_folder_state folder;
	struct mf_cache cache;
	char *unsure_delete; /* a name whose delete may have taken effect */
};

/* mf_folder.c */

/*
 * mf_folder_find(be, create, err):
 * Resolve the target path to a folder key, level by level through the
 * folders listing, creating missing levels (private) when ${create}.
 * Returns 0 with be->folder_key set, 1 when a level is missing and
 * ${create} is false, -1 on error.  The result is kept for the run.
 */
int mf_folder_find(struct mf_backend *, bool, struct dupc_err *);

/* mf_folder_lost(be): the folder key stopped working (112): forget it
 * and the listing. */
void mf_folder_lost(struct mf_backend *);

/*
 * mf_cache_load(be, err):
 * Read the whole file listing of the target folder, every chunk, into
 * be->cache (a missing folder lists as empty).
 */
int mf_cache_load(struct mf_backend *, struct dupc_err *);

/* mf_cache_find(c, name): the entry for ${name} (borrowed) or NULL. */
struct mf_entry *mf_cache_find(const struct mf_cache *, const char *);

/* mf_cache_set(c, e): insert or replace by name (copies ${e}). */
int mf_cache_set(struct mf_cache *, const struct mf_entry *);

/* mf_cache_del(c, name): drop ${name} if present. */
void mf_cache_del(struct mf_cache *, const char *);

/* mf_cache_release(c): free everything; the cache is invalid after. */
void mf_cache_release(struct mf_cache *);

/*
 * mf_lookup(be, name, out, err):
 * Find ${name}: from the cache, or else from a fresh listing.  Returns 0
 * with a copy of the entry in *${out} (name borrowed from the cache), 1
 * when there is no such file, -1 on error.
 */
int mf_lookup(struct mf_backend *, const char *, struct mf_entry *,
    struct dupc_err *);

/*
 * mf_file_info(be, quickkey, size, hash, err):
 * file/get_info: the stored size and SHA-256 (lower-case) of ${quickkey}.
 * Returns 0, 1 when the quickkey is unknown (110), -1 on error.
 */
int mf_file_info(struct mf_backend *, const char *, uint64_t *, char *,
    struct dupc_err *);

/*
 * mf_stat(be, name, e, err):
 * The fresh state of ${name}: lookup, then file/get_info; a stale cache
 * entry (110) is dropped and the listing read again once.  Returns 0
 * with *${e} filled (size and hash fresh), 1 when absent, -1 on error.
 */
int mf_stat(struct mf_backend *, const char *, struct mf_entry *,
    struct dupc_err *);

/* mf_upload.c */

/*
 * mf_upload(be, name, src, size, err):
 * Store ${size} bytes of ${src} as ${name}, replacing any file of that
 * name, and confirm the stored size and SHA-256.
 */
int mf_upload(struct mf_backend *, const char *, struct source *, uint64_t,
    struct dupc_err *);

/* mf_download.c */

/*
 * mf_download(be, name, fd, err):
 * Write ${name} to ${fd} from offset 0, truncate ${fd} to its size, and
 * check its size and SHA-256.  ERR_NOT_FOUND when absent.
 */
int mf_download(struct mf_backend *, const char *, int, struct dupc_err *);

#endif
