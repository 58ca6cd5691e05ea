#!/usr/bin/env python3
"""mfemu: a local MediaFire-compatible API server for tests and demos.

    mfemu.py --listen 127.0.0.1:0 --data DIR --account EMAIL:PASSWORD [options]

The first line on stdout is "mfemu listening on http://HOST:PORT".  See
README.md in this folder for every switch, the fault rule format, the
request log and the control endpoint."""

import argparse
import fcntl
import hashlib
import json
import os
import signal
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mfemu_api import UPLOAD_BODY_RE, App, Req, Resp, mask_params, parse_params  # noqa: E402
from mfemu_faults import FaultError, parse_rules, Faults  # noqa: E402
from mfemu_store import Store, validate_setting  # noqa: E402
from mfemu_util import HTML_404, HTML_413, HTML_500, Ids  # noqa: E402

MEM_BODY_LIMIT = 64 << 20
DRAIN_LIMIT = 64 << 20


class BodyTooLarge(Exception):
    pass


class RequestLog:
    """JSON lines, one per request, flushed after each line."""

    def __init__(self, path):
        self.lock = threading.Lock()
        self.seq = 0
        self.f = open(path, "a", encoding="utf-8") if path else None

    def write(self, rec):
        with self.lock:
            self.seq += 1
            if self.f is None:
                return
            rec = dict(rec, seq=self.seq)
            self.f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            self.f.flush()

    def close(self):
        with self.lock:
            if self.f is not None:
                self.f.close()
                self.f = None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mfemu/1.0"
    sys_version = ""
    timeout = 300
    disable_nagle_algorithm = True

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):
        if self.server.app.opts.get("verbose"):
            sys.stderr.write("mfemu: %s %s\n" % (self.address_string(), fmt % args))

    # -------------------------------------------------------------- helpers
    def _remote(self):
        h, p = self.client_address[:2]
        return ("[%s]:%d" % (h, p)) if ":" in h else ("%s:%d" % (h, p))

    def _simple_limit(self):
        path = self.path.split("?", 1)[0]
        if "://" in path:
            path = "/" + path.split("://", 1)[1].split("/", 1)[-1]
        if self.command == "POST" and UPLOAD_BODY_RE.match(path) and path.endswith("/simple.php"):
            return int(self.server.app.settings["max_simple_bytes"])
        return None

    def _content_length(self):
        v = self.headers.get("Content-Length")
        if v is None:
            return None
        try:
            n = int(v)
        except ValueError:
            raise ValueError("bad Content-Length")
        if n < 0:
            raise ValueError("bad Content-Length")
        return n

    def _chunked(self):
        return "chunked" in (self.headers.get("Transfer-Encoding") or "").lower()

    def _read_pieces(self):
        """Yield the request body in pieces (Content-Length or chunked)."""
        if self._chunked():
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    raise ConnectionError("client closed during chunked body")
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while True:
                        t = self.rfile.readline(65537)
                        if t in (b"\r\n", b"\n", b""):
                            break
                    return
                left = size
                while left > 0:
                    b = self.rfile.read(min(left, 1 << 16))
                    if not b:
                        raise ConnectionError("client closed during chunked body")
                    left -= len(b)
                    yield b
                self.rfile.readline(3)
        else:
            left = self._content_length() or 0
            while left > 0:
                b = self.rfile.read(min(left, 1 << 16))
                if not b:
                    raise ConnectionError("client closed during body")
                left -= len(b)
                yield b

    def _read_body_file(self, path, limit):
        h = hashlib.sha256()
        n = 0
        with open(path, "wb") as f:
            for b in self._read_pieces():
                n += len(b)
                if limit is not None and n > limit:
                    raise BodyTooLarge()
                h.update(b)
                f.write(b)
        return n, h.hexdigest()

    def _read_body_mem(self, limit):
        out = bytearray()
        for b in self._read_pieces():
            out += b
            if len(out) > limit:
                raise BodyTooLarge()
        return bytes(out)

    def _drain(self):
        for _ in self._read_pieces():
            pass

    # ------------------------------------------------------------- requests
    def handle_expect_100(self):
        limit = self._simple_limit()
        try:
            n = self._content_length()
        except ValueError:
            n = None
        if limit is not None and n is not None and n > limit:
            self._too_large(drain=False)
            return False
        return BaseHTTPRequestHandler.handle_expect_100(self)

    def _too_large(self, drain):
        t0 = time.time()
        if drain:
            try:
                self._drain()
            except (ConnectionError, ValueError, OSError):
                drain = False
        q = self.path.split("?", 1)[1] if "?" in self.path else ""
        self._log_line({"path": "upload/simple", "params": mask_params(parse_params(q)),
                        "fault": None, "fault_id": None, "error": None},
                       413, t0, len(HTML_413))
        self.send_response(413)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(HTML_413)))
        if not drain:
            self.send_header("Connection", "close")
        self.end_headers()
        try:
            self.wfile.write(HTML_413)
        except OSError:
            pass
        if not drain:
            self.close_connection = True

    def do_GET(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_HEAD(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    def do_PUT(self):
        self._dispatch()

    def _dispatch(self):
        t0 = time.time()
        app = self.server.app
        host = self.headers.get("Host") or self.server.default_host
        req = Req(self.command, self.path, self.headers, self._remote(), self.server.scheme,
                  host, self.server.name)
        if self.server.dl_only and not req.path.startswith("/dl/"):
            self._drain_quiet()
            self._send_plain(404, HTML_404, "text/html")
            return
        try:
            if UPLOAD_BODY_RE.match(req.path) and self.command == "POST":
                limit = self._simple_limit()
                n = self._content_length()
                if limit is not None and n is not None and n > limit:
                    self._too_large(drain=(n <= DRAIN_LIMIT))
                    return
                path = app.store.tmp_path("body")
                try:
                    req.body_size, req.body_hash = self._read_body_file(path, limit)
                except BodyTooLarge:
                    os.unlink(path)
                    self._too_large(drain=False)
                    return
                req.body_path = path
            else:
                req.body = self._read_body_mem(MEM_BODY_LIMIT)
        except BodyTooLarge:
            self._send_plain(413, HTML_413, "text/html", close=True)
            return
        except (ConnectionError, ValueError, OSError):
            self.close_connection = True
            return
        try:
            try:
                resp = app.handle(req)
            except Exception:
                sys.stderr.write("mfemu: internal error on %s %s\n%s" % (
                    self.command, req.path, traceback.format_exc()))
                resp = Resp(500, HTML_500, "text/html")
                resp.close = True
                resp.log = {"path": req.path.lstrip("/"), "error": None, "internal_error": True}
            self._send(resp, t0)
        finally:
            if req.body_path is not None and os.path.exists(req.body_path):
                try:
                    os.unlink(req.body_path)
                except OSError:
                    pass

    def _drain_quiet(self):
        try:
            self._drain()
        except (ConnectionError, ValueError, OSError):
            self.close_connection = True

    def _send_plain(self, status, body, ctype, close=False):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            self.close_connection = True

    def _log_line(self, log, status, t0, nbytes, req=None):
        rec = {"ts": round(time.time(), 6), "remote": self._remote(), "listener": self.server.name,
               "method": self.command}
        rec.update(log)
        rec["url"] = self.path.split("?", 1)[0]
        rec["status"] = status
        rec["dropped"] = status is None
        rec["bytes_out"] = nbytes
        rec["duration_ms"] = round((time.time() - t0) * 1000.0, 3)
        for k in ("fault", "fault_id", "sig_expected", "sig_received", "key_before",
                  "key_after", "error", "params"):
            rec.setdefault(k, None if k != "params" else {})
        self.server.app.reqlog.write(rec)

    # -------------------------------------------------------------- replies
    def _body_pieces(self, resp):
        if resp.stream is None:
            body = resp.body
            for i in range(0, len(body), 1 << 16):
                yield body[i:i + (1 << 16)]
            return
        path, start, end = resp.stream
        with open(path, "rb") as f:
            f.seek(start)
            left = end - start
            while left > 0:
                b = f.read(min(left, 1 << 16))
                if not b:
                    return
                left -= len(b)
                yield b

    def _rst(self):
        try:
            time.sleep(0.05)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
        except OSError:
            pass
        try:
            self.rfile.close()
        except OSError:
            pass
        try:
            self.connection.close()
        except OSError:
            pass
        self.close_connection = True

    def _send(self, resp, t0):
        """Log, then send ${resp}.  The log line is written before the first
        byte goes out, so a client that has its answer always finds the line."""
        if resp.drop:
            self.close_connection = True
            if resp.log is not None:
                self._log_line(resp.log, None, t0, 0)
            return
        if resp.delay_after_ms:
            time.sleep(resp.delay_after_ms / 1000.0)
        length = len(resp.body) if resp.stream is None else resp.stream[2] - resp.stream[1]
        head = self.command == "HEAD" or resp.head_only
        cut = None
        mode = None
        if resp.reset_after is not None:
            cut = length // 2 if resp.reset_after < 0 else min(int(resp.reset_after), length)
            mode = "rst"
        elif resp.truncate_after is not None:
            cut = max(0, min(int(resp.truncate_after), length))
            mode = "fin"
        if resp.log is not None:
            self._log_line(resp.log, resp.status, t0, 0 if head else (length if cut is None else cut))
        try:
            self.send_response(resp.status)
            for k, v in resp.headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(length))
            if resp.close:
                self.send_header("Connection", "close")
            self.end_headers()
            if head:
                return
            sent = 0
            for piece in self._body_pieces(resp):
                if resp.corrupt_offset is not None and sent <= resp.corrupt_offset < sent + len(piece):
                    i = resp.corrupt_offset - sent
                    piece = piece[:i] + bytes([piece[i] ^ 0xFF]) + piece[i + 1:]
                if cut is not None:
                    piece = piece[:max(0, cut - sent)]
                if piece:
                    self._write(piece, resp.slow_rate)
                sent += len(piece)
                if cut is not None and sent >= cut:
                    break
            if mode == "rst":
                self._rst()
            elif mode == "fin":
                self.close_connection = True
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self.close_connection = True

    def _write(self, data, rate):
        if not rate:
            self.wfile.write(data)
            return
        step = max(1, int(rate / 20))
        for i in range(0, len(data), step):
            part = data[i:i + step]
            self.wfile.write(part)
            time.sleep(len(part) / rate)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, app, name, tls_ctx=None, dl_only=False):
        self.address_family = socket.AF_INET6 if ":" in addr[0] else socket.AF_INET
        self.app = app
        self.name = name
        self.tls_ctx = tls_ctx
        self.dl_only = dl_only
        self.scheme = "https" if tls_ctx is not None else "http"
        ThreadingHTTPServer.__init__(self, addr, Handler)
        host, port = self.socket.getsockname()[:2]
        self.default_host = ("[%s]:%d" % (host, port)) if ":" in host else ("%s:%d" % (host, port))

    def server_bind(self):
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = host
        self.server_port = port

    def url(self):
        return "%s://%s" % (self.scheme, self.default_host)

    def finish_request(self, request, client_address):
        if self.tls_ctx is None:
            self.RequestHandlerClass(request, client_address, self)
            return
        try:
            request.settimeout(30)
            conn = self.tls_ctx.wrap_socket(request, server_side=True)
            conn.settimeout(None)
        except (ssl.SSLError, OSError):
            return
        try:
            self.RequestHandlerClass(conn, client_address, self)
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        if self.app.opts.get("verbose"):
            ThreadingHTTPServer.handle_error(self, request, client_address)


def parse_addr(text):
    text = text.strip()
    if text.startswith("["):
        host, _, port = text[1:].partition("]:")
    else:
        host, _, port = text.rpartition(":")
    if not host:
        host = "127.0.0.1"
    return host, int(port or 0)


SETTING_FLAGS = [
    ("sig_mode", "--sig-mode", {"choices": ["strict", "either"],
                                "help": "strict: hash the raw query as received (default); "
                                        "either: also accept the decoded, reassembled form"}),
    ("poll_statuses", "--poll-statuses", {"metavar": "LIST",
                                          "help": "poll status progression, default 5,6,99"}),
    ("poll_filename", "--poll-filename", {"choices": ["always", "renamed"],
                                          "help": "send doupload.filename always (default) or "
                                                  "only when the file was renamed"}),
    ("duplicate_default", "--duplicate-default", {"choices": ["skip", "keep", "replace"],
                                                  "help": "action_on_duplicate when the parameter "
                                                          "is left out (default skip)"}),
    ("replace_mode", "--replace-mode", {"choices": ["keep_quickkey", "new_quickkey"],
                                        "help": "replace keeps the quickkey (default) or makes "
                                                "a new file"}),
    ("zero_byte", "--zero-byte", {"choices": ["reject", "accept"],
                                  "help": "zero-byte uploads: fileerror 2 (default) or accept"}),
    ("error_http_status", "--error-http-status", {"type": int, "metavar": "N",
                                                  "help": "HTTP status of error envelopes (default 200)"}),
    ("content_type", "--content-type", {"metavar": "TYPE",
                                        "help": "Content-Type of JSON answers "
                                                "(default application/json; quirk: text/xml)"}),
    ("expired_link", "--expired-link", {"choices": ["html", "404"],
                                        "help": "expired or unknown download link: HTML 200 "
                                                "page (default) or 404"}),
    ("instant_missing_error", "--instant-missing-error", {"type": int, "metavar": "CODE",
                                                          "help": "error code of upload/instant for an "
                                                                  "unknown hash (default 110)"}),
    ("unit_error", "--unit-error", {"type": int, "metavar": "CODE",
                                    "help": "error code for a resumable unit whose size or hash "
                                            "does not match (default 169)"}),
    ("current_api_version", "--api-version", {"metavar": "V",
                                              "help": "current_api_version in answers (default 1.3)"}),
    ("link_ttl", "--link-ttl", {"type": int, "metavar": "SECONDS",
                                "help": "lifetime of direct download links (default 3600)"}),
    ("failed_login_limit", "--failed-login-limit", {"type": int, "metavar": "N",
                                                    "help": "failed logins before error 243 (default 10; "
                                                            "0 = never lock)"}),
    ("max_chunk_size", "--max-chunk-size", {"type": int, "metavar": "N",
                                            "help": "largest folder/get_content chunk_size (default 1000)"}),
    ("default_chunk_size", "--default-chunk-size", {"type": int, "metavar": "N",
                                                    "help": "chunk_size when none is sent (default 100)"}),
    ("max_simple_bytes", "--max-simple-bytes", {"type": int, "metavar": "BYTES",
                                                "help": "upload/simple bodies above this get HTTP 413 "
                                                        "(default 500 MiB)"}),
    ("action_token_max_lifespan", "--action-token-max-lifespan",
     {"type": int, "metavar": "MINUTES", "help": "cap on action token lifespan (default 1440)"}),
]


def build_parser():
    p = argparse.ArgumentParser(prog="mfemu.py", allow_abbrev=False,
                                description="Local MediaFire-compatible API server. "
                                            "See README.md next to this program.")
    p.add_argument("--listen", default="127.0.0.1:0", metavar="HOST:PORT",
                   help="API listener (default 127.0.0.1:0: loopback, any free port)")
    p.add_argument("--data", required=True, metavar="DIR", help="state directory (created if missing)")
    p.add_argument("--account", action="append", default=[], metavar="EMAIL:PASSWORD",
                   help="add or update an account in DIR/config.json (repeatable)")
    p.add_argument("--storage-limit", type=int, metavar="BYTES",
                   help="storage limit of the --account accounts")
    p.add_argument("--faults", metavar="FILE|JSON", help="fault rules: a JSON file, or inline JSON")
    p.add_argument("--seed", metavar="N", help="deterministic tokens, keys, times and fault draws")
    p.add_argument("--log", metavar="FILE", help="request log, JSON lines (appended)")
    p.add_argument("--control", action="store_true", help="serve /_mfemu/... (loopback clients only)")
    p.add_argument("--poll-immediate", action="store_true",
                   help="upload/poll_upload answers status 99 on the first poll")
    p.add_argument("--tls-cert", metavar="FILE", help="PEM certificate (with --tls-key)")
    p.add_argument("--tls-key", metavar="FILE", help="PEM private key (with --tls-cert)")
    p.add_argument("--tls-listen", metavar="HOST:PORT",
                   help="serve TLS on this second listener; without it, --listen itself is TLS")
    p.add_argument("--dl-listen", metavar="HOST:PORT",
                   help="a second listener for /dl/ download links only")
    p.add_argument("--dl-base", metavar="URL",
                   help="base URL put in download links (default: from the Host header)")
    p.add_argument("--folder-delete-error", action="store_true",
                   help="quirk: folder/delete and folder/purge work but answer error 100")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="set any limit or behaviour setting by its config.json name (repeatable)")
    p.add_argument("--no-fsync", action="store_true",
                   help="skip fsync on state writes (faster, not crash-safe)")
    p.add_argument("--verbose", action="store_true", help="HTTP access lines on stderr")
    for _name, flag, kw in SETTING_FLAGS:
        p.add_argument(flag, **kw)
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        sys.stderr.write("mfemu: --tls-cert and --tls-key go together\n")
        return 2
    if args.tls_listen and not args.tls_cert:
        sys.stderr.write("mfemu: --tls-listen needs --tls-cert and --tls-key\n")
        return 2
    os.makedirs(args.data, exist_ok=True)
    lockf = open(os.path.join(args.data, ".lock"), "w")
    try:
        fcntl.flock(lockf, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        sys.stderr.write("mfemu: %s is in use by another mfemu\n" % args.data)
        return 1

    seed = args.seed
    ids = Ids(seed)
    try:
        store = Store(args.data, ids, do_fsync=not args.no_fsync)
    except (ValueError, KeyError, TypeError) as e:
        sys.stderr.write("mfemu: bad %s: %s\n" % (os.path.join(args.data, "config.json"), e))
        return 2
    for acc in args.account:
        email, sep, password = acc.partition(":")
        if not sep or not email:
            sys.stderr.write("mfemu: --account wants EMAIL:PASSWORD\n")
            return 2
        store.add_config_account(email, password, args.storage_limit)
    try:
        for name, flag, _kw in SETTING_FLAGS:
            v = getattr(args, name if name != "current_api_version" else "api_version", None)
            if v is not None:
                store.settings[name] = validate_setting(name, v)
        if args.folder_delete_error:
            store.settings["folder_delete_error"] = True
        for item in args.set:
            k, sep, v = item.partition("=")
            if not sep:
                raise ValueError("--set wants NAME=VALUE")
            try:
                v = json.loads(v)
            except ValueError:
                pass
            store.settings[k] = validate_setting(k, v)
    except ValueError as e:
        sys.stderr.write("mfemu: %s\n" % e)
        return 2

    faults = Faults(seed, store.now)
    try:
        if args.faults:
            if args.faults.lstrip().startswith(("{", "[")):
                faults.add(parse_rules(args.faults))
            else:
                with open(args.faults, "r", encoding="utf-8") as f:
                    faults.add(parse_rules(f.read()))
        env = os.environ.get("MFEMU_FAULTS")
        if env and env.strip():
            faults.add(parse_rules(env))
    except (OSError, FaultError) as e:
        sys.stderr.write("mfemu: fault rules: %s\n" % e)
        return 2

    reqlog = RequestLog(args.log)
    opts = {"control": args.control, "poll_immediate": args.poll_immediate,
            "verbose": args.verbose, "dl_base": args.dl_base.rstrip("/") if args.dl_base else None}
    app = App(store, faults, reqlog, opts)

    tls_ctx = None
    if args.tls_cert:
        tls_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls_ctx.load_cert_chain(args.tls_cert, args.tls_key)

    servers = []
    try:
        main_srv = Server(parse_addr(args.listen), app, "api",
                          tls_ctx if (tls_ctx and not args.tls_listen) else None)
        servers.append(main_srv)
        if args.tls_listen:
            servers.append(Server(parse_addr(args.tls_listen), app, "tls", tls_ctx))
        if args.dl_listen:
            dl = Server(parse_addr(args.dl_listen), app, "dl", None, dl_only=True)
            servers.append(dl)
            if not app.dl_base:
                app.dl_base = dl.url()
    except OSError as e:
        sys.stderr.write("mfemu: cannot listen: %s\n" % e)
        return 1

    lines = ["mfemu listening on %s" % main_srv.url()]
    for s in servers[1:]:
        lines.append("mfemu %s listening on %s" % (s.name, s.url()))
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()

    stop = threading.Event()

    def on_signal(_sig, _frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    threads = []
    for s in servers:
        t = threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        t.start()
        threads.append(t)
    while not stop.wait(0.5):
        pass
    for s in servers:
        s.shutdown()
        s.server_close()
    reqlog.close()
    lockf.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
