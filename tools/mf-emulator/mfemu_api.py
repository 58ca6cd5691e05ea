"""The MediaFire API as mfemu serves it: request pipeline (faults, tokens,
signatures, key advance), the API methods, downloads and the control
endpoint.  The HTTP layer (mfemu.py) turns a Req into a Resp through
App.handle()."""

import hashlib
import json
import os
import re
import shutil
import threading
import time
import urllib.parse

from mfemu_faults import FaultError, parse_rules
from mfemu_util import (HTML_403, HTML_404, HTML_413, HTML_429, HTML_500, HTML_CLOUDFLARE,
                        HTML_INSTEAD, HTML_REPAIR, UPLOADKEY_LEN, api_json, api_xml,
                        call_signature, copy_range, fmt_time, login_signature,
                        multipart_boundary, multipart_file_range, next_key)
from mfemu_store import validate_setting

API_PATH_RE = re.compile(r"^/api/(?:(\d+\.\d+)/)?([a-z_]+)/([a-z_]+)\.php$")
UPLOAD_BODY_RE = re.compile(r"^/api/(?:\d+\.\d+/)?upload/(?:simple|resumable)\.php$")
VERSIONS = ("1.0", "1.1", "1.2", "1.3", "1.4", "1.5")

ERROR_TEXT = {
    100: "Internal server error",
    102: "The supplied key is missing",
    103: "The supplied key is invalid",
    104: "The Session Token is missing",
    105: "The supplied Session Token is expired or invalid",
    107: "The Credentials you entered are invalid",
    109: "The supplied Application ID is invalid",
    110: "The supplied Quickkey is invalid",
    111: "The Quickkey is missing",
    112: "The supplied Folderkey is invalid",
    113: "The Folderkey is missing",
    114: "Access denied",
    117: "The folder name is missing",
    118: "The supplied filename is invalid",
    124: "The API version is missing",
    125: "The API version specified has been removed",
    126: "This API call has been deprecated for the API version specified or the API Library...",
    127: "The signature you specified is invalid",
    128: "One or more parameters for this request are missing",
    129: "One or more parameters for this request are invalid",
    143: "The file already exists in this folder",
    162: "The account storage limit has been exceeded",
    163: "The API request limit has been exceeded",
    169: "Upload Failed",
    175: "The supplied upload key is invalid",
    208: "An asynchronous operation is in progress",
    243: "The account is temporarily locked",
}

STATUS_TEXT = {
    0: "Unknown or no status available for this key",
    2: "Key is ready for use",
    3: "Upload is in progress",
    4: "Upload is completed",
    5: "Waiting for verification",
    6: "Verifying File",
    11: "Finished verification",
    17: "Upload is in progress",
    18: "Waiting for assembly",
    19: "Assembling File",
    98: "Upload finished",
    99: "No more requests for this key",
}

FILEERROR_TEXT = {
    1: "File is larger than the maximum file size allowed",
    2: "File size cannot be 0",
    6: "Unknown internal error",
    7: "File hash or size mismatch",
    13: "File name already exists in the same parent folder, skipping",
    14: "Destination folder does not exist",
    15: "Account storage limit reached",
}

# calls an action token may authenticate (unsigned)
ACTION_TOKEN_CALLS = ("upload/simple", "upload/resumable", "upload/poll_upload")
# calls that work with no token at all
NO_TOKEN_CALLS = ("user/get_session_token", "upload/poll_upload")
RETIRED_CALLS = ("upload/upload",)

SECRET_PARAMS = ("password", "signature", "action_token", "ekey", "fb_access_token",
                 "tw_oauth_token", "tw_oauth_token_secret")


class ApiError(Exception):
    def __init__(self, code, message=None, extra=None):
        Exception.__init__(self, code)
        self.code = int(code)
        self.message = message or ERROR_TEXT.get(self.code, "Error %d" % self.code)
        self.extra = extra or {}


class Req:
    """One HTTP request, as the HTTP layer hands it over."""

    def __init__(self, method, target, headers, remote, scheme, host, listener):
        self.method = method
        self.target = target
        if "://" in target.split("?", 1)[0]:
            target = "/" + target.split("://", 1)[1].split("/", 1)[-1]
        self.path, _, self.query = target.partition("?")
        self.headers = headers
        self.remote = remote
        self.scheme = scheme
        self.host = host
        self.listener = listener
        self.body = b""
        self.body_path = None
        self.body_size = 0
        self.body_hash = None

    def header(self, name, default=None):
        v = self.headers.get(name)
        if v is None:
            return default
        try:
            return v.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return v


class Resp:
    def __init__(self, status=200, body=b"", ctype="application/json"):
        self.status = status
        self.body = body
        self.headers = [("Content-Type", ctype)] if ctype else []
        self.stream = None          # (path, start, end) for downloads
        self.head_only = False
        self.drop = False           # close without answering
        self.close = False          # Connection: close after the answer
        self.reset_after = None     # send this many body bytes, then RST
        self.truncate_after = None  # send this many body bytes, then close
        self.corrupt_offset = None  # flip this body byte
        self.slow_rate = None       # bytes per second
        self.delay_after_ms = None
        self.log = None


def _qs_pieces(raw):
    return [p for p in raw.split("&") if p != ""] if raw else []


def _piece_name(piece):
    return urllib.parse.unquote_plus(piece.split("=", 1)[0])


def query_without_signature(raw):
    return "&".join(p for p in _qs_pieces(raw) if _piece_name(p) != "signature")


def decoded_query_without_signature(raw):
    out = []
    for p in _qs_pieces(raw):
        k, _, v = p.partition("=")
        k = urllib.parse.unquote_plus(k)
        if k == "signature":
            continue
        out.append("%s=%s" % (k, urllib.parse.unquote_plus(v)))
    return "&".join(out)


def parse_params(raw):
    params = {}
    for k, v in urllib.parse.parse_qsl(raw, keep_blank_values=True, errors="replace"):
        params.setdefault(k, v)
    return params


def mask_params(params):
    out = {}
    for k, v in params.items():
        if k in SECRET_PARAMS:
            out[k] = "***"
        elif k == "session_token":
            out[k] = (v[:8] + "...") if v else v
        else:
            out[k] = v
    return out


def yn(b):
    return "yes" if b else "no"


def _filetype(name):
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext in ("gpg", "gz", "zip", "tar", "difftar", "bz2", "xz", "7z", "rar", "zst"):
        return "archive", "application/octet-stream"
    if ext in ("jpg", "jpeg", "png", "gif", "bmp", "webp"):
        return "image", "image/" + ("jpeg" if ext == "jpg" else ext)
    if ext in ("txt", "pdf", "doc", "docx", "odt", "md", "csv"):
        return "document", "text/plain" if ext in ("txt", "md", "csv") else "application/" + ext
    if ext in ("mp3", "ogg", "flac", "wav"):
        return "audio", "audio/" + ext
    if ext in ("mp4", "mkv", "avi", "webm"):
        return "video", "video/" + ext
    return "other", "application/octet-stream"


class Call:
    """State of one API call while it runs."""

    def __init__(self, req, name, params, raw):
        self.req = req
        self.name = name
        self.params = params
        self.raw = raw
        self.fault = None
        self.session = None
        self.atoken = None
        self.email = None
        self.new_key = False
        self.log = {}

    def p(self, k, default=None):
        return self.params.get(k, default)


class App:
    def __init__(self, store, faults, reqlog, opts):
        self.store = store
        self.faults = faults
        self.reqlog = reqlog
        self.opts = opts
        self.control = opts.get("control", False)
        self.dl_base = opts.get("dl_base")
        self._slocks = {}
        self._slocks_lock = threading.Lock()
        self.methods = {
            "user/get_session_token": self.m_get_session_token,
            "user/get_info": self.m_user_get_info,
            "user/get_action_token": self.m_get_action_token,
            "user/destroy_action_token": self.m_destroy_action_token,
            "user/renew_session_token": self.m_renew_session_token,
            "folder/get_info": self.m_folder_get_info,
            "folder/get_content": self.m_folder_get_content,
            "folder/create": self.m_folder_create,
            "folder/update": self.m_folder_update,
            "folder/delete": self.m_folder_delete,
            "folder/purge": self.m_folder_purge,
            "file/get_info": self.m_file_get_info,
            "file/get_links": self.m_file_get_links,
            "file/delete": self.m_file_delete,
            "file/purge": self.m_file_purge,
            "file/restore": self.m_file_restore,
            "file/update": self.m_file_update,
            "upload/check": self.m_upload_check,
            "upload/instant": self.m_upload_instant,
            "upload/simple": self.m_upload_simple,
            "upload/resumable": self.m_upload_resumable,
            "upload/poll_upload": self.m_poll_upload,
        }

    @property
    def settings(self):
        return self.store.settings

    # ============================================================ routing
    def handle(self, req):
        if req.path.startswith("/_mfemu/") or req.path == "/_mfemu":
            return self.handle_control(req)
        if req.path.startswith("/dl/"):
            return self.handle_dl(req)
        if req.path.startswith("/api/"):
            return self.handle_api(req)
        r = Resp(404, HTML_404, "text/html")
        r.log = {"path": req.path.lstrip("/"), "error": None}
        return r

    def session_lock(self, token):
        with self._slocks_lock:
            lk = self._slocks.get(token)
            if lk is None:
                lk = self._slocks[token] = threading.Lock()
            return lk

    # ========================================================= envelopes
    def envelope(self, call, payload=None, err=None, new_key=False, http_status=None):
        r = {"action": call.name}
        if err is not None:
            r.update(err.extra)
            r["message"] = err.message
            r["error"] = err.code
            r["result"] = "Error"
        else:
            r.update(payload or {})
            r["result"] = "Success"
        if new_key:
            r["new_key"] = "yes"
        r["current_api_version"] = self.settings["current_api_version"]
        obj = {"response": r}
        if call.p("response_format") == "json":
            resp = Resp(200, api_json(obj), self.settings["content_type"])
        else:
            resp = Resp(200, api_xml(obj), "text/xml")
        if err is not None:
            resp.status = int(http_status or self.settings["error_http_status"])
            call.log["error"] = err.code
            call.log["result"] = "Error"
        else:
            if http_status:
                resp.status = int(http_status)
            call.log["result"] = "Success"
            du = r.get("doupload")
            if isinstance(du, dict):
                call.log["doupload"] = {k: du.get(k) for k in ("result", "status", "fileerror", "key", "quickkey")
                                        if k in du}
        call.log["new_key"] = bool(new_key)
        return resp

    def html(self, status, body, call=None):
        r = Resp(status, body, "text/html")
        if call is not None:
            call.log["new_key"] = False
        return r

    # ======================================================== API pipeline
    def handle_api(self, req):
        m = API_PATH_RE.match(req.path)
        name = "%s/%s" % (m.group(2), m.group(3)) if m else req.path[len("/api/"):]
        if name.endswith(".php"):
            name = name[:-4]
        upload_call = bool(UPLOAD_BODY_RE.match(req.path))
        if req.method == "POST" and not upload_call:
            body = req.body.decode("utf-8", "replace") if req.body else ""
            ctype = (req.headers.get("Content-Type") or "").lower()
            if body and ctype.startswith("multipart/"):
                body = ""
            raw = "&".join(x for x in (req.query, body) if x)
        else:
            raw = req.query
        params = parse_params(raw)
        call = Call(req, name, params, raw)
        call.log = {"path": name, "params": mask_params(params), "fault": None, "fault_id": None,
                    "sig_expected": None, "sig_received": None, "key_before": None,
                    "key_after": None, "new_key": False, "error": None, "result": None,
                    "session": None, "token_type": None, "email": None}
        resp = self._api(call, m)
        f = call.fault
        if f is not None and not resp.drop:
            if f.action == "wrong_content_type":
                resp.headers = [(k, v) for k, v in resp.headers if k.lower() != "content-type"]
                resp.headers.append(("Content-Type", str(f.get("content_type", "text/xml"))))
            self._post_faults(resp, f)
        resp.log = call.log
        return resp

    def _fault_ctx(self, call):
        p = call.params
        st = self.store
        ctx = {"kind": "api", "path": call.name, "method": call.req.method,
               "session": p.get("session_token") or None, "remote": call.req.remote,
               "email": None, "filename": None, "unit": None}
        with st.lock:
            tok = ctx["session"]
            if tok:
                s = st.sessions.get(tok) or st.atokens.get(tok)
                if s:
                    ctx["email"] = s["email"]
            elif p.get("email"):
                ctx["email"] = p["email"]
            fn = p.get("filename")
            if call.name in ("upload/simple", "upload/resumable"):
                fn = call.req.header("X-Filename") or fn
            if call.name == "upload/resumable":
                u = call.req.header("X-Unit-Id")
                try:
                    ctx["unit"] = int(u)
                except (TypeError, ValueError):
                    pass
                if fn is None and ctx["email"]:
                    r = self._resumable_lookup(call, ctx["email"])
                    if r is not None:
                        fn = r.get("filename")
            if call.name == "upload/poll_upload":
                up = st.uploads.get(p.get("key") or "")
                if up is not None:
                    fn = self._upload_filename(up)
                    ctx["email"] = ctx["email"] or up.get("email")
            if fn is None and p.get("quick_key"):
                q = st.files.get(p["quick_key"].split(",")[0])
                if q is not None:
                    fn = q["filename"]
            ctx["filename"] = fn
            if call.name == "folder/get_content" and ctx["email"]:
                ctx["last_chunk"] = self._is_last_chunk(call, ctx["email"])
        return ctx

    def _api(self, call, m):
        st = self.store
        req = call.req
        if not m:
            return self.envelope(call, err=ApiError(129, "Unknown API path"), http_status=404)
        ver = m.group(1)
        if ver is not None and ver not in VERSIONS:
            return self.envelope(call, err=ApiError(125))
        if call.name in RETIRED_CALLS:
            return self.envelope(call, err=ApiError(126))
        if call.name not in self.methods:
            return self.envelope(call, err=ApiError(129, "Unknown API call %s" % call.name),
                                 http_status=404)

        ctx = self._fault_ctx(call)
        call.ctx = ctx
        if call.name == "folder/get_content" and not ctx.get("last_chunk"):
            ctx["skip_actions"] = ("more_chunks_lies",)
        f = self.faults.pick(ctx)
        call.fault = f
        if f is not None:
            call.log["fault"] = f.action
            call.log["fault_id"] = f.id
        act = f.action if f else None

        # ---- faults that act before anything is processed
        if act == "drop_before":
            r = Resp()
            r.drop = True
            return r
        if act == "delay" and f.get("stage", "before") == "before":
            time.sleep(float(f.get("ms", 1000)) / 1000.0)
        if act == "http500_before_advance":
            return self.html(500, HTML_500, call)
        if act == "cloudflare_html":
            return self.html(int(f.get("status", 503)), HTML_CLOUDFLARE, call)
        if act == "http413":
            return self.html(413, HTML_413, call)
        if act in ("error", "rate_limit"):
            code = int(f.get("code", 100 if act == "error" else 163))
            adv = f.params.get("advance")
            if adv is None:
                adv = code not in (105, 127)
            if not adv:
                return self.envelope(call, err=ApiError(code, f.params.get("message")),
                                     http_status=f.params.get("http_status"))
        if act == "expire_session" and f.get("stage", "before") == "before":
            self._expire_session(ctx["session"])
        if act == "invalidate_all_sessions" and f.get("stage", "before") == "before":
            self._invalidate_all(ctx.get("email") if f.get("scope") == "account" else None)

        # ---- authentication
        if call.name == "user/get_session_token":
            return self._run(call, None)
        token = call.p("session_token")
        if not token:
            if call.name in NO_TOKEN_CALLS:
                return self._run(call, None)
            return self.envelope(call, err=ApiError(104))
        with st.lock:
            sess = st.sessions.get(token)
            atok = st.atokens.get(token)
            now = st.now()
        if sess is not None:
            call.log["session"] = token[:8] + "..."
            call.log["token_type"] = "session" if sess["version"] == 2 else "session_v1"
            call.log["email"] = sess["email"]
            with self.session_lock(token):
                with st.lock:
                    sess = st.sessions.get(token)
                    if sess is None or not sess.get("valid", True) or \
                            (sess.get("expires") is not None and sess["expires"] < st.now()):
                        return self.envelope(call, err=ApiError(105))
                    call.session = sess
                    call.email = sess["email"]
                    if sess["version"] == 2:
                        sig = call.p("signature")
                        expected = call_signature(sess["key"], sess["time"], req.path,
                                                  query_without_signature(call.raw))
                        call.log["sig_expected"] = expected
                        call.log["sig_received"] = sig
                        call.log["key_before"] = sess["key"]
                        call.log["key_after"] = sess["key"]
                        if not sig:
                            return self.envelope(call, err=ApiError(127))
                        ok = sig.lower() == expected
                        if not ok and self.settings["sig_mode"] == "either":
                            alt = call_signature(sess["key"], sess["time"], req.path,
                                                 decoded_query_without_signature(call.raw))
                            ok = sig.lower() == alt
                            if ok:
                                call.log["sig_expected"] = alt
                        if not ok:
                            return self.envelope(call, err=ApiError(127))
                        sess["key"] = next_key(sess["key"])
                        st.save("session", sess)
                        call.log["key_after"] = sess["key"]
                        call.new_key = True
                    elif sess.get("expires") is not None:
                        sess["expires"] = st.now() + self.settings["v1_token_ttl"]
                return self._run(call, sess)
        if atok is not None and atok["expires"] >= now:
            call.log["session"] = token[:8] + "..."
            call.log["token_type"] = "action"
            call.log["email"] = atok["email"]
            if call.name not in ACTION_TOKEN_CALLS:
                return self.envelope(call, err=ApiError(105))
            call.atoken = atok
            call.email = atok["email"]
            return self._run(call, None)
        return self.envelope(call, err=ApiError(105))

    def _run(self, call, sess):
        """Run the method with the key already advanced (if signed)."""
        f = call.fault
        act = f.action if f else None
        if act in ("error", "rate_limit"):
            code = int(f.get("code", 100 if act == "error" else 163))
            return self.envelope(call, err=ApiError(code, f.params.get("message")),
                                 new_key=call.new_key, http_status=f.params.get("http_status"))
        if act == "http500_after_advance":
            if f.get("execute"):
                self._execute(call)
            return self.html(500, HTML_500, call)
        if act == "json_error_after_advance":
            if f.get("execute"):
                self._execute(call)
            return self.envelope(call, err=ApiError(int(f.get("code", 100)), f.params.get("message")),
                                 new_key=call.new_key and bool(f.get("new_key")),
                                 http_status=f.params.get("http_status"))
        payload, err = self._execute(call)
        resp = self.envelope(call, payload, err, new_key=call.new_key)
        if act == "expire_session" and f.get("stage") == "after":
            self._expire_session(call.ctx.get("session"))
        if act == "invalidate_all_sessions" and f.get("stage") == "after":
            self._invalidate_all(call.email if f.get("scope") == "account" else None)
        return resp

    def _post_faults(self, resp, f):
        if f is None:
            return
        act = f.action
        if act == "drop_after":
            resp.drop = True
        elif act == "reset_mid_response":
            resp.reset_after = f.params.get("bytes")
            if resp.reset_after is None:
                resp.reset_after = -1
        elif act == "slow_body":
            resp.slow_rate = float(f.get("bytes_per_sec", 1024))
        elif act == "delay" and f.get("stage") == "after":
            resp.delay_after_ms = float(f.get("ms", 1000))

    def _execute(self, call):
        try:
            with self.store.lock:
                return self.methods[call.name](call), None
        except ApiError as e:
            return None, e

    def _expire_session(self, token):
        st = self.store
        with st.lock:
            s = st.sessions.get(token or "")
            if s is not None:
                s["valid"] = False
                st.save("session", s)

    def _invalidate_all(self, email=None):
        st = self.store
        with st.lock:
            for s in st.sessions.values():
                if email is None or s["email"] == email:
                    if s.get("valid", True):
                        s["valid"] = False
                        st.save("session", s)

    # =============================================================== user
    def m_get_session_token(self, call):
        st = self.store
        f = call.fault
        app = call.p("application_id")
        apps = st.config.get("apps", {})
        if not app or app not in apps:
            raise ApiError(109)
        email = call.p("email")
        password = call.p("password")
        sig = call.p("signature")
        call.log["email"] = email
        if not email or not password or not sig:
            raise ApiError(128)
        acc = st.accounts.get(email)
        extra = {"pkey": acc["pkey"]} if acc else {}
        if f is not None and f.action == "login_fail":
            raise ApiError(int(f.get("code", 107)), f.params.get("message"), extra)
        limit = int(self.settings["failed_login_limit"])
        if acc is not None and limit > 0 and int(acc.get("failed_logins", 0)) >= limit:
            raise ApiError(243, extra=extra)
        conf = st.account_conf(email)
        if conf is None or conf.get("password") != password:
            if acc is not None:
                acc["failed_logins"] = int(acc.get("failed_logins", 0)) + 1
                st.save("account", acc)
            raise ApiError(107, extra=extra)
        app_conf = apps[app] or {}
        api_key = app_conf.get("api_key") if isinstance(app_conf, dict) else app_conf
        expected = login_signature(email, password, app, api_key)
        call.log["sig_expected"] = expected
        call.log["sig_received"] = sig
        if sig.lower() != expected:
            acc["failed_logins"] = int(acc.get("failed_logins", 0)) + 1
            st.save("account", acc)
            raise ApiError(127, extra=extra)
        if acc.get("failed_logins"):
            acc["failed_logins"] = 0
            st.save("account", acc)
        version = 2 if call.p("token_version") == "2" else 1
        s = st.new_session(email, version)
        out = {"session_token": s["token"]}
        if version == 2:
            out["secret_key"] = str(s["key"])
            out["time"] = s["time"]
            call.log["key_after"] = s["key"]
        out["pkey"] = acc["pkey"]
        out["ekey"] = hashlib.md5(("ekey" + email).encode("utf-8")).hexdigest()
        call.log["session"] = s["token"][:8] + "..."
        return out

    def _storage(self, email):
        st = self.store
        used = st.used(email)
        limit = st.storage_limit(email)
        return used, limit

    def m_user_get_info(self, call):
        st = self.store
        email = call.email
        used, limit = self._storage(email)
        conf = st.account_conf(email) or {}
        acc = st.accounts[email]
        name = conf.get("display_name") or email.split("@")[0]
        return {"user_info": {
            "email": email, "first_name": name, "last_name": "", "display_name": name,
            "gender": "none", "birth_date": "", "location": "", "website": "",
            "premium": "no", "bandwidth": "0", "created": fmt_time(acc.get("created", 0)),
            "validated": "yes", "tos_accepted": "yes",
            "used_storage_size": str(used), "base_storage": str(limit), "bonus_storage": "0",
            "storage_limit": str(limit), "storage_limit_exceeded": yn(used >= limit),
        }}

    def m_get_action_token(self, call):
        if not call.session:
            raise ApiError(105)
        typ = call.p("type", "upload")
        if typ not in ("upload", "image"):
            raise ApiError(129)
        try:
            lifespan = int(call.p("lifespan", "15"))
        except ValueError:
            raise ApiError(129)
        lifespan = max(1, min(lifespan, int(self.settings["action_token_max_lifespan"])))
        a = self.store.new_action_token(call.email, typ, lifespan)
        return {"action_token": a["token"]}

    def m_destroy_action_token(self, call):
        st = self.store
        tok = call.p("action_token")
        if not tok:
            raise ApiError(128)
        a = st.atokens.get(tok)
        if a is not None and a["email"] == call.email:
            del st.atokens[tok]
            st.remove("atoken", tok)
        return {}

    def m_renew_session_token(self, call):
        return {"session_token": call.session["token"]}

    # ============================================================ folders
    def _folder(self, call, param="folder_key", allow_trash=False):
        f = self.store.get_folder(call.email, call.p(param), allow_trash=allow_trash)
        if f is None:
            raise ApiError(112)
        return f

    def _folder_info(self, f, full=True):
        st = self.store
        out = {"folderkey": f["folderkey"], "name": f["name"], "description": f["description"],
               "tags": "", "privacy": f["privacy"], "created": fmt_time(f["created"]),
               "revision": str(f["revision"]), "flag": "2",
               "file_count": str(len(st.live_child_files(f["folderkey"]))),
               "folder_count": str(len(st.live_child_folders(f["folderkey"]))),
               "dropbox_enabled": "no"}
        if full:
            out["owner_name"] = (st.account_conf(f["email"]) or {}).get("display_name", "")
            if f.get("parent"):
                out["parent_folderkey"] = f["parent"]
            if f["state"] == "trash":
                out["delete_date"] = fmt_time(f.get("delete_date", 0))
        return out

    def m_folder_get_info(self, call):
        f = self._folder(call, allow_trash=True)
        return {"folder_info": self._folder_info(f)}

    def _link_base(self, req):
        if self.dl_base:
            return self.dl_base
        return "%s://%s" % (req.scheme, req.host)

    def _file_entry(self, q, req):
        ft, mt = _filetype(q["filename"])
        return {"quickkey": q["quickkey"], "hash": q["hash"], "filename": q["filename"],
                "description": q["description"], "size": str(q["size"]),
                "privacy": q["privacy"], "created": fmt_time(q["created"]),
                "password_protected": "no", "mimetype": mt, "filetype": ft,
                "view": "0", "edit": "0", "revision": str(q["revision"]), "flag": "6",
                "downloads": str(q.get("downloads", 0)), "views": str(q.get("views", 0)),
                "links": {"normal_download": "%s/file/%s/%s/file" % (
                    self._link_base(req), q["quickkey"], urllib.parse.quote(q["filename"]))}}

    def _content_params(self, call, force=None):
        ct = call.p("content_type", "files")
        if ct not in ("files", "folders"):
            raise ApiError(129)
        try:
            chunk = int(call.p("chunk", "1") or "1")
            cs = call.p("chunk_size")
            cs = int(cs) if cs not in (None, "") else int(self.settings["default_chunk_size"])
        except ValueError:
            raise ApiError(129)
        if chunk < 1 or cs < 1 or cs > int(self.settings["max_chunk_size"]):
            raise ApiError(129)
        if force:
            cs = int(force)
        order_by = call.p("order_by", "name") or "name"
        if order_by not in ("name", "created", "size", "downloads"):
            raise ApiError(129)
        direction = call.p("order_direction", "asc") or "asc"
        if direction not in ("asc", "desc"):
            raise ApiError(129)
        return ct, chunk, cs, order_by, direction

    def _content_items(self, f, ct, order_by, direction):
        st = self.store
        if ct == "folders":
            items = st.live_child_folders(f["folderkey"])
            keyf = {"name": lambda x: (x["name"], x["folderkey"]),
                    "created": lambda x: (x["created"], x["folderkey"]),
                    "size": lambda x: (x["name"], x["folderkey"]),
                    "downloads": lambda x: (x["name"], x["folderkey"])}[order_by]
        else:
            items = st.live_child_files(f["folderkey"])
            keyf = {"name": lambda x: (x["filename"], x["quickkey"]),
                    "created": lambda x: (x["created"], x["quickkey"]),
                    "size": lambda x: (int(x["size"]), x["quickkey"]),
                    "downloads": lambda x: (int(x.get("downloads", 0)), x["quickkey"])}[order_by]
        items.sort(key=keyf, reverse=(direction == "desc"))
        return items

    def _is_last_chunk(self, call, email):
        try:
            f = self.store.get_folder(email, call.p("folder_key"), allow_trash=True)
            if f is None:
                return False
            ct, chunk, cs, _ob, _od = self._content_params(call)
            n = len(self.store.live_child_files(f["folderkey"]) if ct == "files"
                    else self.store.live_child_folders(f["folderkey"]))
            return (chunk - 1) * cs < n <= chunk * cs
        except ApiError:
            return False

    def m_folder_get_content(self, call):
        f = self._folder(call, allow_trash=True)
        fault = call.fault
        force = fault.get("size", 2) if fault and fault.action == "force_chunk_size" else None
        ct, chunk, cs, order_by, direction = self._content_params(call, force)
        items = self._content_items(f, ct, order_by, direction)
        start = (chunk - 1) * cs
        page = items[start:start + cs]
        more = start + cs < len(items)
        if fault and fault.action == "more_chunks_lies" and page:
            more = True
        if ct == "files":
            entries = [self._file_entry(q, call.req) for q in page]
        else:
            entries = [self._folder_info(x, full=False) for x in page]
        return {"folder_content": {"chunk_size": str(cs), "content_type": ct,
                                   "chunk_number": str(chunk), "folderkey": f["folderkey"],
                                   "revision": str(f["revision"]), "more_chunks": yn(more),
                                   ct: entries}}

    def m_folder_create(self, call):
        st = self.store
        name = call.p("foldername", "")
        if not name:
            raise ApiError(117)
        if "/" in name:
            raise ApiError(118, "The supplied folder name is invalid")
        parent = self._folder(call, "parent_key")
        aod = call.p("action_on_duplicate", "skip") or "skip"
        if aod not in ("skip", "keep", "replace"):
            raise ApiError(129)
        existing = st.folder_by_name(parent["folderkey"], name)
        if existing is not None and aod != "keep":
            f = existing
        else:
            f = st.create_folder(call.email, parent, name)
            if call.p("mtime"):
                f["mtime"] = call.p("mtime")
                st.save("folder", f)
        if not f.get("upload_key"):
            f["upload_key"] = st.new_key(UPLOADKEY_LEN)
            st.save("folder", f)
        return {"folder_key": f["folderkey"], "upload_key": f["upload_key"],
                "parent_folderkey": parent["folderkey"], "name": f["name"],
                "description": f["description"], "created": fmt_time(f["created"]),
                "privacy": f["privacy"], "file_count": str(len(st.live_child_files(f["folderkey"]))),
                "folder_count": str(len(st.live_child_folders(f["folderkey"]))),
                "revision": str(f["revision"]), "dropbox_enabled": "no", "flag": "2",
                "new_device_revision": str(st.accounts[call.email]["device_revision"])}

    def m_folder_update(self, call):
        st = self.store
        f = self._folder(call)
        priv = call.p("privacy")
        if priv is not None and priv not in ("public", "private"):
            raise ApiError(129)
        name = call.p("foldername")
        if name is not None and name == "":
            raise ApiError(117)
        if priv is not None:
            f["privacy"] = priv
            if call.p("privacy_recursive") == "yes":
                self._privacy_recursive(f, priv)
        if name is not None:
            if f.get("parent") is None:
                raise ApiError(114)
            f["name"] = name
        if call.p("description") is not None:
            f["description"] = call.p("description")
        if call.p("mtime"):
            f["mtime"] = call.p("mtime")
        st.touch_folder(f)
        return {"revision": str(f["revision"]),
                "device_revision": str(st.accounts[call.email]["device_revision"])}

    def _privacy_recursive(self, f, priv):
        st = self.store
        for q in st.live_child_files(f["folderkey"]):
            q["privacy"] = priv
            st.save("file", q)
        for sub in st.live_child_folders(f["folderkey"]):
            sub["privacy"] = priv
            st.save("folder", sub)
            self._privacy_recursive(sub, priv)

    def m_folder_delete(self, call):
        st = self.store
        f = self._folder(call)
        if f.get("parent") is None:
            raise ApiError(114)
        st.trash_folder(f)
        if self.settings["folder_delete_error"]:
            raise ApiError(100)
        return {"device_revision": str(st.accounts[call.email]["device_revision"])}

    def m_folder_purge(self, call):
        st = self.store
        f = self._folder(call, allow_trash=True)
        if f.get("parent") is None:
            raise ApiError(114)
        st.purge_folder(f)
        if self.settings["folder_delete_error"]:
            raise ApiError(100)
        return {"device_revision": str(st.accounts[call.email]["device_revision"])}

    # ============================================================== files
    def _quickkeys(self, call, allow_trash=True):
        raw = call.p("quick_key")
        if not raw:
            raise ApiError(111)
        out = []
        for qk in [x for x in raw.split(",") if x]:
            q = self.store.get_file(call.email, qk, allow_trash=allow_trash)
            if q is None:
                raise ApiError(110)
            out.append(q)
        if not out:
            raise ApiError(111)
        return out

    def _file_info(self, q, req):
        e = self._file_entry(q, req)
        e["ready"] = "yes"
        e["owner_name"] = (self.store.account_conf(q["email"]) or {}).get("display_name", "")
        parent = self.store.folders.get(q["parent"])
        if parent is not None and parent.get("parent") is not None:
            e["parent_folderkey"] = q["parent"]
        if q["state"] == "trash":
            e["delete_date"] = fmt_time(q.get("delete_date", 0))
        return e

    def m_file_get_info(self, call):
        qs = self._quickkeys(call)
        if len(qs) == 1:
            return {"file_info": self._file_info(qs[0], call.req)}
        return {"file_infos": [self._file_info(q, call.req) for q in qs]}

    def m_file_get_links(self, call):
        st = self.store
        qs = self._quickkeys(call)
        lt = call.p("link_type")
        types = [lt] if lt else ["view", "normal_download", "direct_download"]
        base = self._link_base(call.req)
        links = []
        for q in qs:
            e = {"quickkey": q["quickkey"]}
            name = urllib.parse.quote(q["filename"])
            for t in types:
                if t == "direct_download":
                    lk = st.new_link(q["quickkey"], int(self.settings["link_ttl"]))
                    e["direct_download"] = "%s/dl/%s/%s/%s" % (base, lk["token"], q["quickkey"], name)
                elif t == "normal_download":
                    e["normal_download"] = "%s/file/%s/%s/file" % (base, q["quickkey"], name)
                elif t in ("view", "edit", "watch", "listen", "streaming", "one_time_download"):
                    e[t] = "%s/%s/%s/%s" % (base, t, q["quickkey"], name)
                else:
                    raise ApiError(129)
            links.append(e)
        return {"links": links, "direct_download_free_bandwidth": "0"}

    def m_file_delete(self, call):
        st = self.store
        qs = self._quickkeys(call)
        for q in qs:
            st.trash_file(q)
        return {"myfiles_revision": {"revision": str(st.root(call.email)["revision"]),
                                     "epoch": str(st.epoch())},
                "device_revision": str(st.accounts[call.email]["device_revision"])}

    def m_file_purge(self, call):
        st = self.store
        qs = self._quickkeys(call)
        for q in qs:
            st.purge_file(q)
        return {"device_revision": str(st.accounts[call.email]["device_revision"])}

    def m_file_restore(self, call):
        st = self.store
        qs = self._quickkeys(call)
        for q in qs:
            st.restore_file(q)
        return {"device_revision": str(st.accounts[call.email]["device_revision"])}

    def m_file_update(self, call):
        st = self.store
        qs = self._quickkeys(call, allow_trash=False)
        q = qs[0]
        if call.p("filename") is not None:
            if call.p("filename") == "" or "/" in call.p("filename"):
                raise ApiError(118)
            st.rename_file(q, call.p("filename"))
        if call.p("description") is not None:
            q["description"] = call.p("description")
        priv = call.p("privacy")
        if priv is not None:
            if priv not in ("public", "private"):
                raise ApiError(129)
            q["privacy"] = priv
        st.save("file", q)
        st.touch_folder(st.folders[q["parent"]])
        return {"device_revision": str(st.accounts[call.email]["device_revision"])}

    # ============================================================= upload
    def _target_folder(self, call, create):
        st = self.store
        path = call.p("path")
        if path and not call.p("folder_key"):
            f = st.resolve_path(call.email, path, create=create)
            if f is None:
                raise ApiError(112)
            return f
        return self._folder(call)

    def _resumable_lookup(self, call, email):
        st = self.store
        try:
            size = int(call.req.header("X-Filesize", ""))
        except ValueError:
            return None
        h = (call.req.header("X-Filehash") or "").lower()
        f = st.get_folder(email, call.p("folder_key"))
        if f is None:
            return None
        return st.find_resumable(email, f["folderkey"], size, h)

    def _resumable_obj(self, r):
        count, words = self.store.bitmap(r)
        return {"all_units_ready": yn(self.store.units_ready(r)),
                "number_of_units": str(r["n_units"]),
                "unit_size": str(r["unit_size"]),
                "bitmap": {"count": str(count), "words": [str(w) for w in words]},
                "upload_key": r["upload_key"]}

    def _quota_fault(self, call, default_as):
        f = call.fault
        if f is None or f.action != "quota_exceeded":
            return None
        return f.get("as", default_as)

    def m_upload_check(self, call):
        st = self.store
        folder = self._target_folder(call, create=True)
        filename = call.p("filename")
        if not filename:
            raise ApiError(128)
        size = call.p("size")
        h = (call.p("hash") or "").lower()
        if size not in (None, ""):
            try:
                size = int(size)
                if size < 0:
                    raise ValueError
            except ValueError:
                raise ApiError(129)
        else:
            size = None
        if h and not re.fullmatch(r"[0-9a-f]{64}", h):
            raise ApiError(129)
        resumable = call.p("resumable") == "yes"
        if resumable and (size is None or not h):
            raise ApiError(128)
        if self._quota_fault(call, "fileerror") == "error":
            raise ApiError(162)
        email = call.email
        in_account = in_folder = False
        if h:
            for qk in st.hash_index.get(h, ()):
                q = st.files[qk]
                if q["email"] == email:
                    in_account = True
                    if q["state"] == "live" and q["parent"] == folder["folderkey"]:
                        in_folder = True
        existing = st.live_file_by_name(folder["folderkey"], filename)
        used, limit = self._storage(email)
        exceeded = used >= limit or self._quota_fault(call, "fileerror") is not None
        out = {"hash_exists": yn(bool(h) and st.hash_known(h)),
               "in_account": yn(in_account), "in_folder": yn(in_folder),
               "file_exists": yn(existing is not None),
               "different_hash": yn(existing is not None and existing["hash"] != h)}
        if existing is not None:
            out["duplicate_quickkey"] = existing["quickkey"]
        out["available_space"] = "0" if exceeded else str(max(0, limit - used))
        out["used_storage_size"] = str(used)
        out["storage_limit"] = str(limit)
        out["storage_limit_exceeded"] = yn(exceeded)
        if call.p("path") and not call.p("folder_key"):
            out["folder_key"] = folder["folderkey"]
        if resumable:
            r = st.resumable_for(email, folder["folderkey"], size, h)
            if call.fault is not None and call.fault.action == "lose_units" and r["state"] != "done":
                st.lose_units(r)
            if r["filename"] != filename:
                r["filename"] = filename
                st.save("resumable", r)
            out["resumable_upload"] = self._resumable_obj(r)
        return out

    def m_upload_instant(self, call):
        st = self.store
        folder = self._target_folder(call, create=True)
        filename = call.p("filename")
        if not filename:
            raise ApiError(128)
        h = (call.p("hash") or "").lower()
        try:
            size = int(call.p("size", ""))
        except ValueError:
            raise ApiError(128)
        if not h:
            raise ApiError(128)
        known = False
        if st.hash_known(h):
            any_q = st.files[next(iter(st.hash_index[h]))]
            known = int(any_q["size"]) == size
        if not known:
            raise ApiError(int(self.settings["instant_missing_error"]), "The file hash is unknown")
        if self._quota_fault(call, "error") is not None:
            raise ApiError(162)
        aod = call.p("action_on_duplicate") or self.settings["duplicate_default"]
        if aod not in ("skip", "keep", "replace"):
            raise ApiError(129)
        target_qk = call.p("quick_key")
        if target_qk:
            q = st.get_file(call.email, target_qk, allow_trash=False)
            if q is None:
                raise ApiError(110)
            used, limit = self._storage(call.email)
            if used - int(q["size"]) + size > limit:
                raise ApiError(162)
            st.replace_content(q, h, size, call.p("mtime"))
            if q["filename"] != filename:
                st.rename_file(q, filename)
            ok = (q, False)
        else:
            res = self._commit(call.email, folder["folderkey"], filename, h, size, None, aod,
                               call.p("mtime"))
            if res[0] == "fileerror":
                code = res[1]
                if code == 13:
                    raise ApiError(143)
                if code == 15:
                    raise ApiError(162)
                if code == 14:
                    raise ApiError(112)
                raise ApiError(100)
            ok = (res[1], res[2])
        q = ok[0]
        rev = str(st.accounts[call.email]["device_revision"])
        parent = st.folders[q["parent"]]
        return {"quickkey": q["quickkey"], "filename": q["filename"],
                "new_device_revision": rev, "device_revision": rev,
                "newrevision": {"revision": str(q["revision"]), "epoch": str(st.epoch())},
                "newfolderrevision": {"revision": str(parent["revision"]), "epoch": str(st.epoch())}}

    def _commit(self, email, folder_key, filename, h, size, src_path, aod, mtime):
        """Store content as ${filename} in the folder, applying
        action_on_duplicate.  Returns ("ok", file, renamed) or
        ("fileerror", code).  ${src_path} (or None when the blob already
        exists) is consumed on success."""
        st = self.store
        folder = st.folders.get(folder_key)
        if folder is None or folder["state"] == "purged" or not st.folder_alive(folder):
            return ("fileerror", 14)
        aod = aod or self.settings["duplicate_default"]
        if aod not in ("skip", "keep", "replace"):
            aod = self.settings["duplicate_default"]
        existing = st.live_file_by_name(folder_key, filename)
        if existing is not None and aod == "skip":
            return ("fileerror", 13)
        used, limit = self._storage(email)
        delta = int(size)
        if existing is not None and aod == "replace":
            delta -= int(existing["size"])
        if used + delta > limit:
            return ("fileerror", 15)
        if src_path is not None:
            st.put_blob(h, src_path)
        if existing is not None and aod == "replace":
            if self.settings["replace_mode"] == "keep_quickkey":
                return ("ok", st.replace_content(existing, h, size, mtime), False)
            st.purge_file(existing)
            return ("ok", st.new_file(email, folder, filename, h, size, mtime), False)
        if existing is not None and aod == "keep":
            name = st.unique_name(folder_key, filename)
            return ("ok", st.new_file(email, folder, name, h, size, mtime), True)
        return ("ok", st.new_file(email, folder, filename, h, size, mtime), False)

    def _upload_body(self, call):
        """The uploaded bytes as (path, size, sha256): the raw body, or the
        file part of a multipart body copied out to its own file."""
        req = call.req
        b = multipart_boundary(req.headers.get("Content-Type"))
        if b is None or req.body_path is None:
            return req.body_path, req.body_size, req.body_hash, None
        found = multipart_file_range(req.body_path, req.body_size, b)
        if found is None:
            raise ApiError(129, "Malformed multipart body")
        start, end, fname, _field = found
        dst = self.store.tmp_path("part")
        h, n = copy_range(req.body_path, dst, start, end)
        try:
            os.unlink(req.body_path)
        except OSError:
            pass
        req.body_path = dst
        return dst, n, h, fname

    def m_upload_simple(self, call):
        st = self.store
        req = call.req
        folder = self._target_folder(call, create=True)
        path, size, h, part_name = self._upload_body(call)
        filename = req.header("X-Filename") or part_name or call.p("filename")
        if not filename:
            raise ApiError(128)
        call.log["upload"] = {"filename": filename, "bytes": size}
        dsize = req.header("X-Filesize")
        try:
            dsize = int(dsize) if dsize not in (None, "") else None
        except ValueError:
            raise ApiError(129)
        dhash = (req.header("X-Filehash") or "").strip().lower() or None
        qa = self._quota_fault(call, "fileerror")
        if qa == "error":
            raise ApiError(162)
        aod = call.p("action_on_duplicate") or None
        if aod is not None and aod not in ("skip", "keep", "replace"):
            raise ApiError(129)
        up = st.new_simple_upload(call.email, folder["folderkey"], filename, dsize, dhash, aod,
                                  call.p("mtime"), path, size, h)
        req.body_path = None
        if qa is not None:
            up["force_fileerror"] = 15
        if call.fault is not None and call.fault.action == "assembly_hash_mismatch":
            up["force_fileerror"] = 7
        if up["force_fileerror"]:
            st.save("upload", up)
        return {"doupload": {"result": "0", "key": up["key"]}}

    def m_upload_resumable(self, call):
        st = self.store
        req = call.req
        folder = self._target_folder(call, create=True)
        try:
            fsize = int(req.header("X-Filesize", ""))
            unit = int(req.header("X-Unit-Id", ""))
            usize = int(req.header("X-Unit-Size", ""))
        except ValueError:
            raise ApiError(128)
        fhash = (req.header("X-Filehash") or "").strip().lower()
        uhash = (req.header("X-Unit-Hash") or "").strip().lower()
        if not fhash or not uhash:
            raise ApiError(128)
        if fsize < 0 or not re.fullmatch(r"[0-9a-f]{64}", fhash):
            raise ApiError(129)
        r = st.resumable_for(call.email, folder["folderkey"], fsize, fhash)
        up = st.uploads[r["upload_key"]]
        fault = call.fault
        act = fault.action if fault else None
        xname = req.header("X-Filename")
        if xname and r["filename"] != xname:
            r["filename"] = xname
            st.save("resumable", r)
        call.log["upload"] = {"filename": r["filename"], "unit": unit, "bytes": None}
        aod = call.p("action_on_duplicate")
        if aod is not None and aod not in ("skip", "keep", "replace"):
            raise ApiError(129)
        changed = False
        if aod and up.get("aod") != aod:
            up["aod"] = aod
            changed = True
        if call.p("mtime") and up.get("mtime") != call.p("mtime"):
            up["mtime"] = call.p("mtime")
            changed = True
        qa = self._quota_fault(call, "fileerror")
        if qa == "error":
            raise ApiError(162)
        if qa is not None:
            up["force_fileerror"] = 15
            changed = True
        if act == "assembly_hash_mismatch":
            up["force_fileerror"] = 7
            changed = True
        if changed:
            st.save("upload", up)
        if r["state"] == "done":
            return {"doupload": {"result": "0", "key": r["upload_key"]},
                    "resumable_upload": self._resumable_obj(r)}
        if act == "lose_units":
            st.lose_units(r)
        if unit < 0 or unit >= r["n_units"]:
            raise ApiError(129, "The unit id is out of range")
        path, n, h, _pn = self._upload_body(call)
        call.log["upload"]["bytes"] = n
        expect = r["unit_size"] if unit < r["n_units"] - 1 else r["size"] - r["unit_size"] * (r["n_units"] - 1)
        if n != usize or n != expect or h != uhash or act == "unit_hash_mismatch":
            raise ApiError(int(self.settings["unit_error"]),
                           "Upload failed: unit %d does not match its size or hash" % unit)
        if act != "unit_reject":
            st.store_unit(r, unit, h, path)
            req.body_path = None
        return {"doupload": {"result": "0", "key": r["upload_key"]},
                "resumable_upload": self._resumable_obj(r)}

    def _upload_filename(self, up):
        if up["kind"] == "resumable":
            r = self.store.resumables.get(up["rid"])
            if r is not None and r.get("filename"):
                return r["filename"]
        return up.get("filename")

    def _poll_fields(self, up, status, fileerror="", final=False):
        out = {"result": "0", "status": str(status),
               "description": STATUS_TEXT.get(status, ""),
               "fileerror": "" if not fileerror else str(fileerror)}
        out["filename"] = self._upload_filename(up) or ""
        if final or fileerror:
            out["quickkey"] = ""
            h = up.get("hash") or up.get("body_hash") or ""
            out["hash"] = h
            out["size"] = str(up.get("size") if up.get("size") is not None else up.get("body_size", ""))
            out["created"] = ""
            out["revision"] = ""
        return out

    def m_poll_upload(self, call):
        st = self.store
        key = call.p("key", "")
        fault = call.fault
        act = fault.action if fault else None
        empty = {"result": "", "status": "0", "description": STATUS_TEXT[0], "fileerror": "",
                 "filename": "", "quickkey": "", "hash": "", "size": "", "created": "",
                 "revision": ""}
        if act == "poll_result":
            d = dict(empty, result=str(int(fault.get("result", -80))))
            return {"doupload": d}
        if not re.fullmatch(r"[a-z0-9]{%d}" % UPLOADKEY_LEN, key or ""):
            return {"doupload": dict(empty, result="-20")}
        up = st.uploads.get(key)
        if up is None or (call.email is not None and up["email"] != call.email):
            return {"doupload": dict(empty, result="-80")}
        if act == "poll_stuck":
            up["stuck_status"] = int(fault.get("status", 17))
            up["stuck_left"] = int(fault.get("polls", 1))
            st.save("upload", up)
        if act == "assembly_hash_mismatch":
            up["force_fileerror"] = 7
            st.save("upload", up)
        qa = self._quota_fault(call, "fileerror")
        if qa == "error":
            raise ApiError(162)
        if qa is not None:
            up["force_fileerror"] = 15
            st.save("upload", up)
        d = self._poll_step(up, act, fault)
        if act == "poll_omit":
            for k in fault.get("fields", ["filename"]):
                d.pop(k, None)
        if self.settings["poll_filename"] == "renamed" and not d.get("_renamed") and "filename" in d:
            del d["filename"]
        d.pop("_renamed", None)
        out = {"doupload": d}
        if call.p("resumable") == "yes" and up["kind"] == "resumable":
            r = st.resumables.get(up["rid"])
            if r is not None:
                out["resumable_upload"] = self._resumable_obj(r)
        return out

    def _poll_step(self, up, act, fault):
        st = self.store
        if act == "poll_fileerror":
            return self._poll_fields(up, 99, int(fault.get("code", 6)), final=True)
        if up.get("stuck_left"):
            if up["stuck_left"] > 0:
                up["stuck_left"] -= 1
                st.save("upload", up)
            return self._poll_fields(up, int(up.get("stuck_status") or 17))
        if up["state"] == "done":
            return dict(up["result"])
        if up["kind"] == "resumable":
            r = st.resumables.get(up["rid"])
            if r is None or not st.units_ready(r):
                return self._poll_fields(up, 17)
        statuses = [99] if self.opts.get("poll_immediate") else list(self.settings["poll_statuses"])
        step = int(up.get("step", 0))
        if step < len(statuses) - 1:
            up["step"] = step + 1
            st.save("upload", up)
            return self._poll_fields(up, statuses[step])
        final = statuses[-1]
        result = self._finish_upload(up, final)
        up["state"] = "done"
        up["result"] = result
        st.save("upload", up)
        return dict(result)

    def _finish_upload(self, up, final_status):
        """Assemble / verify / store the upload; return its final doupload."""
        st = self.store
        fileerror = None
        src = None
        size = None
        h = None
        r = None
        if up["kind"] == "simple":
            src = st.incoming_path(up["key"])
            size = int(up["body_size"])
            h = up["body_hash"]
            if up.get("force_fileerror"):
                fileerror = int(up["force_fileerror"])
            elif size == 0 and self.settings["zero_byte"] == "reject":
                fileerror = 2
            elif up.get("size") is not None and int(up["size"]) != size:
                fileerror = 7
            elif up.get("hash") and up["hash"].lower() != h:
                fileerror = 7
            filename = up["filename"]
        else:
            r = st.resumables[up["rid"]]
            filename = r.get("filename") or ("upload-" + up["key"])
            size = r["size"]
            if up.get("force_fileerror"):
                fileerror = int(up["force_fileerror"])
            elif size == 0 and self.settings["zero_byte"] == "reject":
                fileerror = 2
            else:
                src = st.tmp_path("assembly")
                hh = hashlib.sha256()
                n = 0
                with open(src, "wb") as o:
                    for u in range(r["n_units"]):
                        try:
                            with open(os.path.join(st.units_dir(r["rid"]), str(u)), "rb") as i:
                                while True:
                                    b = i.read(1 << 20)
                                    if not b:
                                        break
                                    hh.update(b)
                                    o.write(b)
                                    n += len(b)
                        except FileNotFoundError:
                            fileerror = 6
                            break
                h = hh.hexdigest()
                if fileerror is None and (n != r["size"] or h != r["hash"]):
                    fileerror = 7
        res = None
        if fileerror is None:
            res = self._commit(up["email"], up["folder"], filename, h, size, src,
                               up.get("aod"), up.get("mtime"))
            if res[0] == "fileerror":
                fileerror = res[1]
        if src is not None and os.path.exists(src):
            try:
                os.unlink(src)
            except OSError:
                pass
        if r is not None:
            if fileerror is None:
                r["state"] = "done"
                r["quickkey"] = res[1]["quickkey"]
                st.save("resumable", r)
                shutil_rm(st.units_dir(r["rid"]))
            else:
                st.drop_resumable(r)
        if fileerror is not None:
            out = self._poll_fields(up, final_status, fileerror, final=True)
            out["filename"] = filename
            return out
        q, renamed = res[1], res[2]
        return {"result": "0", "status": str(final_status),
                "description": STATUS_TEXT.get(final_status, ""), "fileerror": "",
                "quickkey": q["quickkey"], "hash": q["hash"], "filename": q["filename"],
                "size": str(q["size"]), "created": fmt_time(q["created"]),
                "revision": str(q["revision"]), "_renamed": renamed}

    # ============================================================ download
    def handle_dl(self, req):
        st = self.store
        log = {"path": "dl" + req.path[len("/dl"):], "params": {}, "fault": None, "fault_id": None,
               "error": None, "range": req.headers.get("Range")}
        parts = req.path.split("/", 4)
        token = parts[2] if len(parts) > 2 else ""
        qk = parts[3] if len(parts) > 3 else ""
        name = urllib.parse.unquote(parts[4]) if len(parts) > 4 else ""
        log["path"] = "dl/%s/%s" % (qk, name)
        with st.lock:
            q = st.files.get(qk)
            email = q["email"] if q else None
        ctx = {"kind": "dl", "path": log["path"], "method": req.method, "session": None,
               "email": email, "filename": q["filename"] if q else name, "unit": None,
               "remote": req.remote}
        f = self.faults.pick(ctx)
        act = f.action if f else None
        if f is not None:
            log["fault"] = f.action
            log["fault_id"] = f.id
        resp = self._dl(req, f, act, token, qk)
        resp.log = log
        return resp

    def _expired(self):
        if self.settings["expired_link"] == "404":
            return Resp(404, HTML_404, "text/html")
        return Resp(200, HTML_REPAIR, "text/html")

    def _dl(self, req, f, act, token, qk):
        st = self.store
        if act == "drop_before":
            r = Resp()
            r.drop = True
            return r
        if act == "delay" and f.get("stage", "before") == "before":
            time.sleep(float(f.get("ms", 1000)) / 1000.0)
        if act == "cloudflare_html":
            return Resp(int(f.get("status", 503)), HTML_CLOUDFLARE, "text/html")
        if act == "http429":
            r = Resp(429, HTML_429, "text/html")
            r.headers.append(("Retry-After", str(f.get("retry_after", 1))))
            return r
        if act == "http500":
            return Resp(500, HTML_500, "text/html")
        if act == "html_instead":
            return Resp(200, HTML_INSTEAD, "text/html")
        if act == "expired_link":
            return self._expired()
        with st.lock:
            lk = st.links.get(token)
            q = st.files.get(qk)
            if lk is None or lk["quickkey"] != qk or lk["expires"] < st.now() or \
                    q is None or q["state"] == "purged":
                return self._expired()
            path = st.blob_path(q["hash"])
            size = int(q["size"])
            fname = q["filename"]
            if req.method == "GET":
                q["downloads"] = int(q.get("downloads", 0)) + 1
                st.save("file", q)
        if not os.path.exists(path):
            return Resp(500, HTML_500, "text/html")
        start, end, status = 0, size, 200
        rng = req.headers.get("Range")
        resp = Resp(200, b"", "application/octet-stream")
        if rng:
            parsed = parse_range(rng, size)
            if parsed == "unsatisfiable":
                r = Resp(416, b"", "text/html")
                r.headers.append(("Content-Range", "bytes */%d" % size))
                return r
            if parsed is not None:
                start, end = parsed
                status = 206
                resp.headers.append(("Content-Range", "bytes %d-%d/%d" % (start, end - 1, size)))
        resp.status = status
        resp.stream = (path, start, end)
        resp.headers.append(("Accept-Ranges", "bytes"))
        quoted = urllib.parse.quote(fname)
        ascii_name = fname.encode("ascii", "replace").decode("ascii").replace('"', "_")
        resp.headers.append(("Content-Disposition",
                             "attachment; filename=\"%s\"; filename*=UTF-8''%s" % (ascii_name, quoted)))
        resp.head_only = req.method == "HEAD"
        if act == "truncate":
            k = f.params.get("bytes")
            resp.truncate_after = int(k) if k is not None else (end - start) // 2
        elif act == "corrupt":
            off = f.params.get("offset")
            resp.corrupt_offset = int(off) if off is not None else (end - start) // 2
        elif act == "slow":
            resp.slow_rate = float(f.get("bytes_per_sec", 1024))
        else:
            self._post_faults(resp, f)
        return resp

    # ============================================================= control
    def handle_control(self, req):
        r = self._control(req)
        r.log = None
        return r

    def _json(self, obj, status=200):
        return Resp(status, json.dumps(obj, indent=1, sort_keys=True).encode("utf-8") + b"\n",
                    "application/json")

    def _control(self, req):
        st = self.store
        if not self.control:
            return Resp(404, HTML_404, "text/html")
        host = req.remote.rsplit(":", 1)[0].strip("[]") if req.remote else ""
        if not (host.startswith("127.") or host == "::1" or host.startswith("::ffff:127.")):
            return Resp(403, HTML_403, "text/html")
        what = req.path[len("/_mfemu/"):].strip("/")
        try:
            body = json.loads(req.body.decode("utf-8")) if req.body.strip() else {}
        except ValueError as e:
            return self._json({"error": "bad JSON: %s" % e}, 400)
        q = parse_params(req.query)
        m = req.method
        try:
            if what == "faults":
                if m == "GET":
                    return self._json({"rules": self.faults.listing()})
                if m == "POST":
                    rules = parse_rules(json.dumps(body))
                    return self._json({"ids": self.faults.add(rules)})
                if m == "DELETE":
                    rid = q.get("id") or (body.get("id") if isinstance(body, dict) else None)
                    return self._json({"deleted": self.faults.clear(rid)})
            elif what == "reset" and m == "POST":
                st.wipe()
                if isinstance(body, dict) and body.get("faults"):
                    self.faults.clear()
                return self._json({"ok": True})
            elif what == "state" and m == "GET":
                return self._json(st.dump())
            elif what == "clock" and m == "POST":
                secs = float(body.get("advance", body.get("seconds", 0)))
                return self._json({"offset": st.advance_clock(secs), "now": st.now()})
            elif what == "quota" and m == "POST":
                return self._json(self._set_quota(body))
            elif what == "unlock" and m == "POST":
                with st.lock:
                    for email, acc in st.accounts.items():
                        if not body.get("email") or body["email"] == email:
                            acc["failed_logins"] = 0
                            st.save("account", acc)
                return self._json({"ok": True})
            elif what == "session" and m == "POST":
                email = body.get("email")
                with st.lock:
                    if email not in st.accounts:
                        return self._json({"error": "unknown account"}, 400)
                    s = st.new_session(email, int(body.get("version", 2)), key=body.get("secret_key"),
                                       time_str=body.get("time"), token=body.get("token"))
                return self._json({"session_token": s["token"], "secret_key": str(s["key"]),
                                   "time": s["time"]})
            elif what == "settings":
                if m == "GET":
                    return self._json(dict(st.settings, poll_immediate=bool(self.opts.get("poll_immediate"))))
                if m == "POST":
                    with st.lock:
                        for k, v in body.items():
                            if k == "poll_immediate":
                                self.opts["poll_immediate"] = bool(v)
                                continue
                            st.settings[k] = validate_setting(k, v)
                    return self._json(dict(st.settings, poll_immediate=bool(self.opts.get("poll_immediate"))))
        except (FaultError, ValueError, TypeError, KeyError) as e:
            return self._json({"error": str(e)}, 400)
        return self._json({"error": "unknown control call %s %s" % (m, req.path)}, 404)

    def _set_quota(self, body):
        st = self.store
        with st.lock:
            emails = [body["email"]] if body.get("email") else list(st.accounts)
            for email in emails:
                if email not in st.accounts:
                    raise ValueError("unknown account %s" % email)
                acc = st.accounts[email]
                if "limit" in body:
                    acc["limit_override"] = None if body["limit"] is None else int(body["limit"])
                if "used" in body:
                    acc["extra_used"] = int(body["used"]) - st.usage.get(email, 0)
                if "extra_used" in body:
                    acc["extra_used"] = int(body["extra_used"])
                st.save("account", acc)
            return {"accounts": [{"email": e, "used_storage_size": st.used(e),
                                  "storage_limit": st.storage_limit(e)} for e in emails]}


def shutil_rm(path):
    shutil.rmtree(path, ignore_errors=True)


def parse_range(value, size):
    """Parse a single-range "bytes=a-b" header.  Returns (start, end) with
    end exclusive, None to ignore the header, or "unsatisfiable"."""
    v = value.strip()
    if not v.lower().startswith("bytes="):
        return None
    spec = v[6:].strip()
    if "," in spec:
        return None
    a, sep, b = spec.partition("-")
    if not sep:
        return None
    a, b = a.strip(), b.strip()
    try:
        if a == "":
            n = int(b)
            if n <= 0:
                return "unsatisfiable"
            if size == 0:
                return "unsatisfiable"
            return max(0, size - n), size
        start = int(a)
        end = int(b) + 1 if b else size
    except ValueError:
        return None
    if start >= size or start < 0:
        return "unsatisfiable"
    if end <= start:
        return None
    return start, min(end, size)
