"""Test helpers: start a real mfemu process and talk to it over HTTP.

Server  -- one mfemu process with a temporary --data dir, --log and --control.
Client  -- a small MediaFire API client: login, v2 signatures, key chain."""

import hashlib
import http.client
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
MFEMU = os.path.normpath(os.path.join(HERE, "..", "mfemu.py"))
sys.path.insert(0, os.path.dirname(MFEMU))

EMAIL = "test@example.com"
PASSWORD = "secret"
APP_ID = "45593"

KEY_MOD = 2147483647

# Small units so that multi-unit uploads stay a few KB:
#   size < 200 -> one unit;  200..1023 -> 128-byte units;  >= 1024 -> 64-byte units
TEST_UNIT_SIZES = [
    {"below": 200, "unit_size": 256},
    {"below": 1024, "unit_size": 128},
    {"below": None, "unit_size": 64},
]


def sha256(b):
    return hashlib.sha256(b).hexdigest()


def next_key(k):
    return (k * 16807) % KEY_MOD


def signature(key, time_str, path, query):
    return hashlib.md5((str(key % 256) + time_str + path + "?" + query).encode("utf-8")).hexdigest()


class Server:
    """An mfemu process.  The data dir survives stop()/start() until
    cleanup(), and a restart listens on the same port again."""

    def __init__(self, args=(), config=None, env=None, data=None, accounts=((EMAIL, PASSWORD),),
                 python=None, control=True, faults=None):
        self.tmp = tempfile.mkdtemp(prefix="mfemu-test-")
        self.data = data or os.path.join(self.tmp, "data")
        self.log = os.path.join(self.tmp, "requests.log")
        self.args = list(args)
        self.env = env
        self.accounts = accounts
        self.python = python or sys.executable
        self.control_on = control
        self.proc = None
        self.port = None
        self.url = None
        self.extra_lines = []
        os.makedirs(self.data, exist_ok=True)
        cfg = {"unit_sizes": TEST_UNIT_SIZES}
        if config:
            for k, v in config.items():
                if isinstance(v, dict) and isinstance(cfg.get(k), dict):
                    cfg[k].update(v)
                else:
                    cfg[k] = v
        if not os.path.exists(os.path.join(self.data, "config.json")):
            with open(os.path.join(self.data, "config.json"), "w") as f:
                json.dump(cfg, f)
        if faults is not None:
            self.faults_file = os.path.join(self.tmp, "faults.json")
            with open(self.faults_file, "w") as f:
                json.dump(faults, f)
            self.args += ["--faults", self.faults_file]

    def start(self, extra=()):
        listen = "127.0.0.1:%d" % self.port if self.port else "127.0.0.1:0"
        cmd = [self.python, MFEMU, "--listen", listen, "--data", self.data,
               "--log", self.log] + self.args + list(extra)
        for e, p in self.accounts:
            cmd += ["--account", "%s:%s" % (e, p)]
        if self.control_on:
            cmd.append("--control")
        env = dict(os.environ)
        env.pop("MFEMU_FAULTS", None)
        if self.env:
            env.update(self.env)
        self.stderr = open(os.path.join(self.tmp, "stderr.txt"), "ab")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.stderr, env=env)
        line = self._readline(15)
        if not line.startswith("mfemu listening on "):
            self.proc.kill()
            raise RuntimeError("mfemu did not start: %r\n%s" % (line, self.stderr_text()))
        self.first_line = line
        self.url = line[len("mfemu listening on "):]
        self.port = int(self.url.rsplit(":", 1)[1])
        return self

    def read_extra_line(self, timeout=5):
        line = self._readline(timeout)
        self.extra_lines.append(line)
        return line

    def _readline(self, timeout):
        buf = b""
        end = time.time() + timeout
        fd = self.proc.stdout.fileno()
        while time.time() < end:
            r, _, _ = select.select([fd], [], [], 0.1)
            if r:
                c = os.read(fd, 1)
                if not c:
                    break
                if c == b"\n":
                    return buf.decode("utf-8", "replace")
                buf += c
            elif self.proc.poll() is not None:
                break
        return buf.decode("utf-8", "replace")

    def stderr_text(self):
        try:
            with open(os.path.join(self.tmp, "stderr.txt"), "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode
        self.proc.stdout.close()
        self.stderr.close()
        self.proc = None
        return rc

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def records(self):
        out = []
        try:
            with open(self.log, "r", encoding="utf-8") as f:
                for line in f:
                    line = line.strip()
                    if line:
                        out.append(json.loads(line))
        except FileNotFoundError:
            pass
        return out

    def control(self, method, what, body=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        data = json.dumps(body).encode() if body is not None else None
        c.request(method, "/_mfemu/" + what, body=data,
                  headers={"Content-Type": "application/json"} if data else {})
        r = c.getresponse()
        b = r.read()
        c.close()
        return r.status, json.loads(b.decode() or "null")

    def add_fault(self, rule):
        st, body = self.control("POST", "faults", rule)
        if st != 200:
            raise RuntimeError("adding fault failed: %s %s" % (st, body))
        return body["ids"][0]

    def fault_hits(self, rule_id):
        _, body = self.control("GET", "faults")
        for r in body["rules"]:
            if r["id"] == rule_id:
                return r["hits"]
        return None


class R:
    """An HTTP answer: status, headers (lower-case names), body, and the
    parsed envelope's "response" object (or None)."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        self.r = None
        try:
            obj = json.loads(body.decode("utf-8"))
            if isinstance(obj, dict):
                self.r = obj.get("response")
        except (ValueError, UnicodeDecodeError):
            pass

    @property
    def ok(self):
        return self.r is not None and self.r.get("result") == "Success"

    @property
    def error(self):
        return None if self.r is None else self.r.get("error")

    def __repr__(self):
        return "R(%s, %r)" % (self.status, self.body[:600])


class Client:
    def __init__(self, url, email=EMAIL, password=PASSWORD, app_id=APP_ID, api_key=None,
                 version="1.3", timeout=30):
        u = urllib.parse.urlsplit(url)
        self.scheme = u.scheme
        self.host = u.hostname
        self.port = u.port
        self.email = email
        self.password = password
        self.app_id = app_id
        self.api_key = api_key
        self.version = version
        self.timeout = timeout
        self.conn = None
        self.token = None
        self.key = None
        self.time = None
        self.ssl_context = None

    # ------------------------------------------------------------ transport
    def _conn(self):
        if self.conn is None:
            if self.scheme == "https":
                self.conn = http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout,
                                                        context=self.ssl_context)
            else:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self.conn

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def raw(self, method, path, body=None, headers=None):
        """One request; a failure to get an answer raises (and drops the
        connection)."""
        c = self._conn()
        try:
            c.request(method, path, body=body, headers=headers or {})
            resp = c.getresponse()
            data = resp.read()
        except Exception:
            self.close()
            raise
        hdrs = {k.lower(): v for k, v in resp.getheaders()}
        if hdrs.get("connection", "").lower() == "close":
            self.close()
        return R(resp.status, hdrs, data)

    # ---------------------------------------------------------------- login
    def api_path(self, name, version="default"):
        v = self.version if version == "default" else version
        return "/api/%s%s.php" % ((v + "/") if v else "", name)

    def login(self, token_version=2, version="default", password=None, app_id=None):
        pw = self.password if password is None else password
        app = self.app_id if app_id is None else app_id
        sig = hashlib.sha1((self.email + pw + app + (self.api_key or "")).encode()).hexdigest()
        fields = [("application_id", app), ("token_version", str(token_version)),
                  ("response_format", "json"), ("email", self.email), ("password", pw),
                  ("signature", sig)]
        body = urllib.parse.urlencode(fields)
        r = self.raw("POST", self.api_path("user/get_session_token", version), body,
                     {"Content-Type": "application/x-www-form-urlencoded"})
        if r.ok:
            self.token = r.r["session_token"]
            if token_version == 2:
                self.key = int(r.r["secret_key"])
                self.time = r.r["time"]
        return r

    # ----------------------------------------------------------------- calls
    def query(self, params, sign=True, path=None, token=None):
        """Encode ${params} (sorted) with session_token and response_format;
        append the signature when signing."""
        p = dict(params or {})
        p.setdefault("response_format", "json")
        tok = token if token is not None else self.token
        if tok:
            p["session_token"] = tok
        q = urllib.parse.urlencode(sorted(p.items()))
        if sign and tok and self.key is not None:
            q += "&signature=" + signature(self.key, self.time, path, q)
        return q

    def absorb(self, r, signed=True):
        """Advance the key iff the answer is an envelope with new_key=yes."""
        if signed and r.r is not None and r.r.get("new_key") == "yes":
            self.key = next_key(self.key)

    def call(self, name, params=None, method="POST", sign=True, version="default", token=None):
        path = self.api_path(name, version)
        q = self.query(params, sign=sign, path=path, token=token)
        if method == "GET":
            r = self.raw("GET", path + "?" + q)
        else:
            r = self.raw("POST", path, q, {"Content-Type": "application/x-www-form-urlencoded"})
        self.absorb(r, signed=sign and token is None)
        return r

    def upload(self, name, data, params=None, headers=None, sign=None, token=None,
               multipart=False, chunked=False):
        """POST ${data} to upload/simple or upload/resumable.  With an action
        ${token} the call is unsigned."""
        path = self.api_path(name)
        if sign is None:
            sign = token is None
        q = self.query(params, sign=sign, path=path, token=token)
        hdrs = dict(headers or {})
        body = data
        if multipart:
            boundary = "mfemuBoundary%s" % hashlib.md5(data).hexdigest()[:12]
            body = (b"--" + boundary.encode() + b"\r\n"
                    b"Content-Disposition: form-data; name=\"file\"; filename=\"chunk\"\r\n"
                    b"Content-Type: application/octet-stream\r\n\r\n" + data +
                    b"\r\n--" + boundary.encode() + b"--\r\n")
            hdrs["Content-Type"] = "multipart/form-data; boundary=" + boundary
        else:
            hdrs.setdefault("Content-Type", "application/octet-stream")
        if chunked:
            def gen():
                for i in range(0, len(body), 100):
                    yield body[i:i + 100]
            c = self._conn()
            try:
                c.request("POST", path + "?" + q, body=gen(), headers=hdrs, encode_chunked=True)
                resp = c.getresponse()
                out = resp.read()
            except Exception:
                self.close()
                raise
            r = R(resp.status, {k.lower(): v for k, v in resp.getheaders()}, out)
        else:
            r = self.raw("POST", path + "?" + q, body, hdrs)
        self.absorb(r, signed=sign and token is None)
        return r

    # --------------------------------------------------------- conveniences
    def action_token(self):
        r = self.call("user/get_action_token", {"type": "upload", "lifespan": "1440"})
        assert r.ok, r
        return r.r["action_token"]

    def poll(self, key, max_polls=20, params=None, sign=True):
        seen = []
        for _ in range(max_polls):
            p = {"key": key}
            p.update(params or {})
            r = self.call("upload/poll_upload", p, sign=sign) if sign else \
                self.call("upload/poll_upload", p, sign=False, token="")
            assert r.ok, r
            d = r.r["doupload"]
            seen.append(d)
            if d.get("fileerror") not in ("", None, "0"):
                return d, seen
            if d.get("status") == "99" and d.get("quickkey"):
                return d, seen
            if d.get("result") not in ("0", None):
                return d, seen
        return seen[-1], seen

    def simple_upload(self, name, data, folder_key=None, aod=None, token=None, extra_headers=None,
                      multipart=False):
        params = {}
        if folder_key:
            params["folder_key"] = folder_key
        if aod:
            params["action_on_duplicate"] = aod
        h = {"X-Filename": name, "X-Filesize": str(len(data)), "X-Filehash": sha256(data)}
        h.update(extra_headers or {})
        return self.upload("upload/simple", data, params, h, token=token, multipart=multipart)

    def put_file(self, name, data, folder_key=None, aod=None):
        """simple upload + poll; returns the final doupload."""
        tok = self.action_token()
        r = self.simple_upload(name, data, folder_key, aod, token=tok)
        assert r.ok, r
        d, _ = self.poll(r.r["doupload"]["key"])
        return d

    def check(self, name, data, folder_key=None, resumable=True):
        p = {"filename": name, "size": str(len(data)), "hash": sha256(data),
             "resumable": "yes" if resumable else "no"}
        if folder_key:
            p["folder_key"] = folder_key
        return self.call("upload/check", p)

    def send_unit(self, name, data, unit, unit_size, folder_key=None, token=None, aod=None,
                  multipart=False, unit_bytes=None, send_filename=False):
        chunk = data[unit * unit_size:(unit + 1) * unit_size] if unit_bytes is None else unit_bytes
        h = {"x-filesize": str(len(data)), "x-filehash": sha256(data), "x-unit-id": str(unit),
             "x-unit-hash": sha256(chunk), "x-unit-size": str(len(chunk))}
        if send_filename:
            h["x-filename"] = name
        params = {}
        if folder_key:
            params["folder_key"] = folder_key
        if aod:
            params["action_on_duplicate"] = aod
        return self.upload("upload/resumable", chunk, params, h, token=token, multipart=multipart)

    def get_links(self, qk):
        r = self.call("file/get_links", {"quick_key": qk, "link_type": "direct_download"})
        assert r.ok, r
        return r.r["links"][0]["direct_download"]

    def fetch(self, url, headers=None, method="GET"):
        u = urllib.parse.urlsplit(url)
        cls = http.client.HTTPSConnection if u.scheme == "https" else http.client.HTTPConnection
        kw = {"context": self.ssl_context} if u.scheme == "https" else {}
        c = cls(u.hostname, u.port, timeout=self.timeout, **kw)
        try:
            c.request(method, u.path + (("?" + u.query) if u.query else ""), headers=headers or {})
            resp = c.getresponse()
            data = b""
            err = None
            try:
                data = resp.read()
            except http.client.IncompleteRead as e:
                data = e.partial
                err = e
            r = R(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
            r.read_error = err
            return r
        finally:
            c.close()


class ServerTest(unittest.TestCase):
    """Base class: self.server() starts an mfemu that is stopped at cleanup."""

    def server(self, **kw):
        s = Server(**kw)
        s.start()
        self.addCleanup(s.cleanup)
        return s

    def client(self, server, login=True, **kw):
        c = Client(server.url, **kw)
        self.addCleanup(c.close)
        if login:
            r = c.login()
            self.assertTrue(r.ok, r)
        return c

    def last_record(self, server, path=None):
        recs = server.records()
        if path is not None:
            recs = [x for x in recs if x.get("path") == path]
        self.assertTrue(recs, "no log record for %s" % path)
        return recs[-1]
