"""Test helpers: a real faultproxy process, and the servers it fronts.

Proxy      -- one faultproxy process with a --log and (by default) --control.
TcpServer  -- a threaded loopback server running one handler per connection:
              echo, sink (keeps what it received) or source (sends N bytes).
HttpServer -- a tiny HTTP/1.1 object store (PUT, GET, HEAD, DELETE) on
              http.server, with chunked request bodies and 100-continue.
ProxyTest  -- unittest.TestCase that cleans all of these up."""

import errno
import http.client
import http.server
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
FAULTPROXY = os.path.normpath(os.path.join(HERE, "..", "faultproxy.py"))
sys.path.insert(0, os.path.dirname(FAULTPROXY))


class Proxy:
    def __init__(self, target, faults=None, seed=None, control=True, http=False, args=(),
                 env=None, python=None, listen="127.0.0.1:0"):
        self.tmp = tempfile.mkdtemp(prefix="faultproxy-test-")
        self.log = os.path.join(self.tmp, "events.log")
        cmd = [python or sys.executable, FAULTPROXY, "--listen", listen,
               "--target", "127.0.0.1:%d" % target, "--log", self.log]
        if faults is not None:
            cmd += ["--faults", faults if isinstance(faults, str) else json.dumps(faults)]
        if seed is not None:
            cmd += ["--seed", str(seed)]
        if control:
            cmd += ["--control", "127.0.0.1:0"]
        if http:
            cmd.append("--http")
        cmd += list(args)
        e = dict(os.environ)
        e.pop("FAULTPROXY_FAULTS", None)
        if env:
            e.update(env)
        self.stderr = open(os.path.join(self.tmp, "stderr.txt"), "wb")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.stderr, env=e)
        self.first_line = self._readline(15)
        if not self.first_line.startswith("faultproxy listening on "):
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("faultproxy did not start: %r\n%s" % (self.first_line, self.stderr_text()))
        self.port = int(self.first_line.rsplit(":", 1)[1])
        self.control_port = None
        if control:
            self.control_line = self._readline(15)
            self.control_port = int(self.control_line.rsplit(":", 1)[1])

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
        with open(os.path.join(self.tmp, "stderr.txt"), "rb") as f:
            return f.read().decode("utf-8", "replace")

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

    def connect(self, timeout=10):
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)

    def records(self, event=None):
        out = []
        try:
            with open(self.log, "r", encoding="utf-8") as f:
                for line in f:
                    if line.strip():
                        out.append(json.loads(line))
        except FileNotFoundError:
            pass
        return [r for r in out if event is None or r["event"] == event]

    def wait_records(self, event, n, timeout=10, **fields):
        """The log lines of ${event} (with ${fields}) once there are ${n} of them."""
        end = time.time() + timeout
        while True:
            recs = [r for r in self.records(event)
                    if all(r.get(k) == v for k, v in fields.items())]
            if len(recs) >= n or time.time() > end:
                return recs
            time.sleep(0.02)

    def control(self, method, what, body=None):
        c = http.client.HTTPConnection("127.0.0.1", self.control_port, timeout=30)
        data = body if isinstance(body, bytes) else (json.dumps(body).encode()
                                                     if body is not None else None)
        c.request(method, "/_faultproxy/" + what, body=data,
                  headers={"Content-Type": "application/json"} if data else {})
        r = c.getresponse()
        b = r.read()
        c.close()
        return r.status, json.loads(b.decode() or "null")

    def add(self, rule):
        st, body = self.control("POST", "faults", rule)
        if st != 200:
            raise RuntimeError("adding a rule failed: %s %s" % (st, body))
        return body["ids"]

    def rules(self):
        return self.control("GET", "faults")[1]["rules"]

    def counters(self):
        return self.control("GET", "counters")[1]


class TcpServer:
    """Loopback server; ${handler}(server, sock, index) runs per connection.
    What handlers record goes into self.conns[index] (a dict)."""

    def __init__(self, handler):
        self.handler = handler
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(64)
        self.port = self.lsock.getsockname()[1]
        self.conns = []
        self.lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self):
        while True:
            try:
                s, _ = self.lsock.accept()
            except OSError:
                return
            with self.lock:
                rec = {"bytes": 0, "data": bytearray(), "error": None, "eof": False,
                       "times": [], "done": threading.Event()}
                self.conns.append(rec)
            threading.Thread(target=self._run, args=(s, rec), daemon=True).start()

    def _run(self, s, rec):
        try:
            self.handler(self, s, rec)
        except OSError as e:
            rec["error"] = errno.errorcode.get(e.errno, str(e))
        finally:
            rec["done"].set()
            s.close()

    def conn(self, i, timeout=10):
        """Record of connection ${i} (0-based) once its handler has ended."""
        end = time.time() + timeout
        while time.time() < end:
            with self.lock:
                if len(self.conns) > i:
                    break
            time.sleep(0.01)
        self.conns[i]["done"].wait(max(0.0, end - time.time()))
        return self.conns[i]

    def close(self):
        self.lsock.close()


def echo(_srv, s, rec):
    while True:
        b = s.recv(1 << 16)
        if not b:
            rec["eof"] = True
            return
        rec["bytes"] += len(b)
        s.sendall(b)


def sink(_srv, s, rec):
    while True:
        b = s.recv(1 << 16)
        if not b:
            rec["eof"] = True
            return
        rec["bytes"] += len(b)
        rec["times"].append((time.monotonic(), len(b)))
        if len(rec["data"]) < (4 << 20):
            rec["data"] += b


def source(n, step=1 << 16):
    def run(_srv, s, rec):
        block = bytes(range(256)) * (step // 256 + 1)
        left = n
        while left > 0:
            k = min(left, step)
            s.sendall(block[:k])
            rec["bytes"] += k
            left -= k
        s.shutdown(socket.SHUT_WR)
        while s.recv(1 << 16):
            pass
    return run


def read_all(sock, limit=None):
    """(bytes read, error name or None): read until EOF, error or ${limit} bytes."""
    got = bytearray()
    try:
        while limit is None or len(got) < limit:
            b = sock.recv(1 << 16)
            if not b:
                return bytes(got), None
            got += b
    except OSError as e:
        return bytes(got), errno.errorcode.get(e.errno, str(e))
    return bytes(got), None


def exchange(proxy, data, timeout=10):
    """Connect, send ${data}, read len(data) bytes: (bytes, error name or
    None).  A reset may come as early as connect() itself."""
    try:
        s = proxy.connect(timeout)
    except OSError as e:
        return b"", errno.errorcode.get(e.errno, str(e))
    try:
        try:
            s.sendall(data)
        except OSError:
            pass
        return read_all(s, len(data))
    finally:
        s.close()


class Store(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def _body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            out = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b""):
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        got = bytearray()
        try:
            while len(got) < n:
                b = self.rfile.read1(n - len(got))
                if not b:
                    break
                got += b
        except ConnectionResetError:
            self.server.seen.append((self.command, self.path, "reset", len(got)))
            self.close_connection = True
            return None
        if len(got) < n:
            self.server.seen.append((self.command, self.path, "short", len(got)))
            self.close_connection = True
            return None
        return bytes(got)

    def _reply(self, status, body=b"", head=False):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def do_PUT(self):
        try:
            body = self._body()
        except (OSError, ValueError) as e:
            self.server.seen.append((self.command, self.path, "error", str(e)))
            self.close_connection = True
            return
        if body is None:
            return
        self.server.seen.append((self.command, self.path, "ok", len(body)))
        self.server.objects[self.path] = body
        self._reply(200)

    def do_GET(self, head=False):
        self.server.seen.append((self.command, self.path, "ok", 0))
        body = self.server.objects.get(self.path)
        if body is None:
            self._reply(404, b"no such object\n", head)
        else:
            self._reply(200, body, head)

    def do_HEAD(self):
        self.do_GET(head=True)

    def do_DELETE(self):
        self.server.seen.append((self.command, self.path, "ok", 0))
        self._reply(204 if self.server.objects.pop(self.path, None) is not None else 404)


class HttpServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        self.objects = {}
        self.seen = []
        http.server.ThreadingHTTPServer.__init__(self, ("127.0.0.1", 0), Store)
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1},
                         daemon=True).start()

    def close(self):
        self.shutdown()
        self.server_close()


class ProxyTest(unittest.TestCase):
    def tcp(self, handler):
        s = TcpServer(handler)
        self.addCleanup(s.close)
        return s

    def httpd(self):
        s = HttpServer()
        self.addCleanup(s.close)
        return s

    def proxy(self, target, **kw):
        p = Proxy(target.port if hasattr(target, "port") else target, **kw)
        self.addCleanup(p.cleanup)
        return p

    def connect(self, p, timeout=10):
        s = p.connect(timeout)
        self.addCleanup(s.close)
        return s
