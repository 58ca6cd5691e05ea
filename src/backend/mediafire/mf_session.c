/*
 * The MediaFire session: login, signed calls and the secret-key chain
 * (mediafire-api.md 3.2 to 3.6).  Client and server each advance a copy of
 * the key; any call in which only one side advances breaks every later
 * signed call with error 127.  So this layer keeps one signed request in
 * flight, advances only on new_key "yes" in a well-formed envelope, and
 * whenever the server's key may differ from ours (no answer, a cut or
 * non-JSON answer, 127, 105) it throws the session away and logs in again
 * before the next call, instead of guessing.  The calls the backend makes
 * are all safe to repeat, so a failed attempt is retried here a few times;
 * only a fault that persists reaches the retry wrapper above.
 *
 * Secrets (password, session token, action token, secret key) are kept in
 * heap strings wiped on release, are sent in POST bodies or upload URLs
 * only, and never appear in a message or a log line.
 */
#include "backend/mediafire/mf_internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "util/err.h"
#include "util/interrupt.h"
#include "util/log.h"
#include "util/parse.h"
#include "util/secret.h"

static const char *const form_headers[] = {
	"Content-Type: application/x-www-form-urlencoded",
	NULL,
};

void
mf_session_init(struct mf_session *s)
{
	memset(s, 0, sizeof(*s));
	s->tries = 6;
	s->pause = 0.1;
}

void
mf_session_forget(struct mf_session *s)
{
	secret_free(s->token);
	s->token = NULL;
	secret_wipe(s->time, sizeof(s->time));
	secret_wipe(&s->key, sizeof(s->key));
	s->state = MF_KEY_NONE;
}

void
mf_session_release(struct mf_session *s)
{
	mf_session_forget(s);
	mf_action_token_drop(s);
	http_release(&s->http);
	free(s->api_root);
	free(s->version);
	free(s->email);
	secret_free(s->password);
	free(s->app_id);
	secret_free(s->api_key);
	memset(s, 0, sizeof(*s));
}

double
mf_backoff(const struct mf_session *s, unsigned attempt)
{
	double d = s->pause;
	unsigned i;

	for (i = 2; i < attempt && d < 2.0; i++)
		d *= 2;
	return d > 2.0 ? 2.0 : d;
}

/* "/api/1.3/folder/get_content.php" (or without the version); caller
 * frees. */
static char *
api_path(const struct mf_session *s, const char *api)
{
	size_t n = strlen(s->version) + strlen(api) + 16;
	char *p = malloc(n);

	if (p == NULL)
		return NULL;
	if (*s->version)
		snprintf(p, n, "/api/%s/%s.php", s->version, api);
	else
		snprintf(p, n, "/api/%s.php", api);
	return p;
}

static char *
join3(const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *p = malloc(la + lb + lc + 1);

	if (p != NULL) {
		memcpy(p, a, la);
		memcpy(p + la, b, lb);
		memcpy(p + la + lb, c, lc + 1);
	}
	return p;
}

/* Wipe a string member of a JSON object in place (a token, a key). */
static void
wipe_member(struct json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	if (json_is_string(v))
		secret_wipe((char *)(uintptr_t)json_string_value(v),
		    json_string_length(v));
}

/* A token from the server: printable, no separators, bounded. */
static bool
token_ok(const char *t)
{
	size_t n;

	if (t == NULL)
		return false;
	for (n = 0; t[n] != '\0'; n++)
		if (n >= MF_TOKEN_MAX || !((t[n] >= '0' && t[n] <= '9') ||
					     (t[n] >= 'a' && t[n] <= 'z') ||
					     (t[n] >= 'A' && t[n] <= 'Z')))
			return false;
	return n > 0;
}

static bool
time_ok(const char *t)
{
	size_t n;

	if (t == NULL)
		return false;
	for (n = 0; t[n] != '\0'; n++)
		if (n >= MF_TIME_MAX ||
		    !((t[n] >= '0' && t[n] <= '9') || t[n] == '.'))
			return false;
	return n > 0;
}

/* POST ${body} to ${api} and decode the envelope (wiping the raw answer
 * when it may hold secrets).  -1: transport failure or malformed. */
static int
post_form(struct mf_session *s, const char *api, const char *body, size_t len,
    bool secret_answer, struct mf_reply *r, struct dupc_err *err)
{
	struct http_resp resp;
	struct http_body b;
	struct http_req req;
	char *path = api_path(s, api), *url = NULL;
	int rc = -1;

	http_resp_init(&resp);
	memset(&b, 0, sizeof(b));
	b.mem = body;
	b.len = len;
	if (path == NULL || (url = join3(s->api_root, path, "")) == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		goto out;
	}
	s->n_calls++;
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = url;
	req.what = api;
	req.headers = form_headers;
	req.body = &b;
	req.answer_max = MF_BODY_MAX;
	req.secret_answer = secret_answer;
	if (http_perform(&s->http, &req, &resp, err) < 0)
		goto out;
	if (mf_reply_parse(r, resp.body ? resp.body : "", resp.len, api, err) <
	    0) {
		err_prefix(err, "%s: HTTP %ld", api, resp.status);
		goto out;
	}
	rc = 0;
out:
	http_resp_release(&resp, secret_answer);
	free(path);
	free(url);
	return rc;
}

int
mf_login(struct mf_session *s, struct dupc_err *err)
{
	struct mf_params p;
	struct mf_reply r;
	char sig[48], esc[MF_NAME_MAX / 4];
	const char *tok, *t;
	uint64_t key;
	char *body = NULL;
	size_t len;
	int rc = -1;

	mf_session_forget(s);
	mf_params_init(&p);
	mf_reply_init(&r);
	/* the order the Python SDK sends; login carries no v2 signature */
	if (mf_sign_login(s->email, s->password, s->app_id, s->api_key, sig) <
		0 ||
	    mf_params_add(&p, "application_id", s->app_id) < 0 ||
	    mf_params_add(&p, "token_version", "2") < 0 ||
	    mf_params_add(&p, "response_format", "json") < 0 ||
	    mf_params_add(&p, "email", s->email) < 0 ||
	    mf_params_add_secret(&p, "password", s->password) < 0 ||
	    mf_params_add(&p, "signature", sig) < 0 ||
	    (body = mf_params_encode(&p, &len)) == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		goto out;
	}
	s->n_logins++;
	if (post_form(s, "user/get_session_token", body, len, true, &r, err) <
	    0)
		goto out;
	mf_escape(s->email, esc, sizeof(esc));
	if (!r.ok) {
		mf_error_set(err, "logging in to MediaFire", r.error,
		    r.message);
		err_prefix(err, "account %s", esc);
		goto out;
	}
	tok = mf_json_str(r.resp, "session_token");
	t = mf_json_str(r.resp, "time");
	if (!token_ok(tok) || !time_ok(t) ||
	    mf_json_u64(r.resp, "secret_key", &key) < 0 ||
	    key >= MF_KEY_MODULUS) {
		err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
		    "logging in to MediaFire: incomplete session in the answer");
		goto out;
	}
	s->token = secret_dup(tok);
	if (s->token == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		goto out;
	}
	mf_copy(s->time, sizeof(s->time), t);
	s->key = (uint32_t)key;
	s->state = MF_KEY_SYNCED;
	log_debug("mediafire: logged in as %s", esc);
	rc = 0;
out:
	wipe_member(r.resp, "session_token");
	wipe_member(r.resp, "secret_key");
	mf_reply_release(&r);
	if (body != NULL)
		mf_wipe_free(body);
	secret_wipe(sig, sizeof(sig));
	mf_params_release(&p);
	return rc;
}

/* One signed attempt.  0: an envelope (key advanced as it says); -1: no
 * envelope, and the server's key is now unknown. */
static int
signed_once(struct mf_session *s, const char *api, const struct mf_params *in,
    struct mf_reply *r, struct dupc_err *err)
{
	struct mf_params p;
	char sig[40];
	char *path = NULL, *query = NULL, *body = NULL;
	size_t i, qlen;
	int rc = -1;

	assert(s->state == MF_KEY_SYNCED && !s->busy);
	mf_params_init(&p);
	for (i = 0; i < in->n; i++)
		if ((in->v[i].secret ? mf_params_add_secret : mf_params_add)(&p,
			in->v[i].key, in->v[i].value) < 0)
			goto nomem;
	if (mf_params_add_secret(&p, "session_token", s->token) < 0 ||
	    mf_params_add(&p, "response_format", "json") < 0)
		goto nomem;
	mf_params_sort(&p);
	if ((path = api_path(s, api)) == NULL ||
	    (query = mf_params_encode(&p, &qlen)) == NULL ||
	    mf_sign_call(s->key, s->time, path, query, sig) < 0)
		goto nomem;
	/* the signature goes last and never enters its own hash */
	if ((body = join3(query, "&signature=", sig)) == NULL)
		goto nomem;
	s->busy = true;
	/* the answer to get_action_token is a secret too */
	rc = post_form(s, api, body, strlen(body),
	    strcmp(api, "user/get_action_token") == 0, r, err);
	s->busy = false;
	if (rc < 0)
		s->state = MF_KEY_UNKNOWN;
	else if (r->new_key)
		s->key = mf_key_next(s->key);
	goto out;
nomem:
	err_set(err, E_GENERIC, "out of memory");
out:
	if (query != NULL)
		mf_wipe_free(query);
	if (body != NULL)
		mf_wipe_free(body);
	free(path);
	mf_params_release(&p);
	return rc;
}

int
mf_call(struct mf_session *s, const char *api, const struct mf_params *in,
    struct mf_reply *r, struct dupc_err *err)
{
	struct mf_errinfo info;
	struct dupc_err e;
	bool ambiguous = false;
	unsigned n = 0, calls = 0, logins = 0;

	err_clear(&e);
	mf_reply_init(r);
	/* the call and the logins it needs each get s->tries attempts */
	while (calls < s->tries && logins < s->tries) {
		if (n++ > 0) {
			log_debug("mediafire: %s: %s", api, e.msg);
			interrupt_sleep(mf_backoff(s, n));
		}
		if (interrupted())
			return err_class_set(err, ERR_PERMANENT, E_GENERIC,
			    "%s: interrupted", api);
		mf_reply_release(r);
		if (s->state != MF_KEY_SYNCED && mf_login(s, &e) < 0) {
			if (e.cls != ERR_TRANSIENT)
				break;
			logins++;
			continue;
		}
		calls++;
		if (signed_once(s, api, in, r, &e) < 0) {
			if (e.cls != ERR_TRANSIENT)
				break; /* interrupted, TLS refused, no memory */
			ambiguous = true;
			continue;
		}
		r->ambiguous = ambiguous;
		if (r->ok)
			return 0;
		mf_error_info(r->error, &info);
		mf_error_set(&e, api, r->error, r->message);
		if (info.action == MF_EA_RELOGIN) {
			/* the server did not run the call; its key is not
			 * ours: a fresh session is the only way back */
			mf_session_forget(s);
			continue;
		}
		if (info.action == MF_EA_RETRY) {
			ambiguous = true;
			continue;
		}
		/* a failure for the caller to judge (110, 162, 163...) */
		if (err != NULL)
			*err = e;
		return -1;
	}
	r->ambiguous = ambiguous;
	if (err != NULL)
		*err = e;
	return -1;
}

int
mf_action_token(struct mf_session *s, const char **tokp, struct dupc_err *err)
{
	struct mf_params p;
	struct mf_reply r;
	const char *t;
	int rc = -1;

	if (s->action_token != NULL) {
		*tokp = s->action_token;
		return 0;
	}
	mf_params_init(&p);
	if (mf_params_add(&p, "type", "upload") < 0 ||
	    mf_params_add(&p, "lifespan", "1440") < 0) {
		mf_params_release(&p);
		return err_set(err, E_GENERIC, "out of memory");
	}
	if (mf_call(s, "user/get_action_token", &p, &r, err) < 0)
		goto out;
	t = mf_json_str(r.resp, "action_token");
	if (!token_ok(t)) {
		err_class_set(err, ERR_TRANSIENT, E_BACKEND_ERROR,
		    "user/get_action_token: no token in the answer");
		goto out;
	}
	s->action_token = secret_dup(t);
	if (s->action_token == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		goto out;
	}
	*tokp = s->action_token;
	rc = 0;
out:
	wipe_member(r.resp, "action_token");
	mf_reply_release(&r);
	mf_params_release(&p);
	return rc;
}

void
mf_action_token_drop(struct mf_session *s)
{
	secret_free(s->action_token);
	s->action_token = NULL;
}

int
mf_upload_post(struct mf_session *s, const char *api,
    const struct mf_params *query, const char *const *headers,
    struct http_body *body, struct mf_reply *r, struct dupc_err *err)
{
	struct http_resp resp;
	struct http_req req;
	struct mf_params p;
	const char *tok;
	char *path = NULL, *q = NULL, *url = NULL;
	size_t i;
	int rc = -1;

	mf_reply_init(r);
	http_resp_init(&resp);
	mf_params_init(&p);
	if (mf_action_token(s, &tok, err) < 0)
		return -1;
	for (i = 0; i < query->n; i++)
		if (mf_params_add(&p, query->v[i].key, query->v[i].value) < 0)
			goto nomem;
	if (mf_params_add_secret(&p, "session_token", tok) < 0 ||
	    mf_params_add(&p, "response_format", "json") < 0)
		goto nomem;
	mf_params_sort(&p);
	if ((path = api_path(s, api)) == NULL ||
	    (q = mf_params_encode(&p, NULL)) == NULL ||
	    (url = malloc(
		 strlen(s->api_root) + strlen(path) + strlen(q) + 2)) == NULL)
		goto nomem;
	memcpy(url, s->api_root, strlen(s->api_root));
	memcpy(url + strlen(s->api_root), path, strlen(path));
	url[strlen(s->api_root) + strlen(path)] = '?';
	memcpy(url + strlen(s->api_root) + strlen(path) + 1, q, strlen(q) + 1);
	s->n_calls++;
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = url;
	req.what = api;
	req.headers = headers;
	req.body = body;
	req.answer_max = MF_BODY_MAX;
	if (http_perform(&s->http, &req, &resp, err) < 0)
		goto out;
	if (mf_reply_parse(r, resp.body ? resp.body : "", resp.len, api, err) <
	    0) {
		err_prefix(err, "%s: HTTP %ld", api, resp.status);
		goto out;
	}
	/* new_key here would not concern the session's chain: ignored */
	if (!r->ok) {
		if (r->error == 105 || r->error == 104)
			mf_action_token_drop(s);
		mf_error_set(err, api, r->error, r->message);
		goto out;
	}
	rc = 0;
	goto out;
nomem:
	err_set(err, E_GENERIC, "out of memory");
out:
	http_resp_release(&resp, false);
	if (q != NULL)
		mf_wipe_free(q);
	if (url != NULL)
		mf_wipe_free(url);
	free(path);
	mf_params_release(&p);
	return rc;
}
