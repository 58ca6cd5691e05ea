"""One proxied connection: two directions, the faults bound to them, and
the HTTP/1.1 framer.

Direction "up" carries bytes from the client to the target, "down" from
the target to the client.  Each direction is a reader (a pump) that feeds
an Output.  An Output sends inline, in the reader's thread, or, when a
delay rule is bound to it, through a queue drained by its own writer
thread, so that every chunk leaves D ms after it arrived while later
chunks keep arriving (latency, not a slower link).  Byte-count faults
(reset, stall, HTTP cuts) become markers placed in the stream at the exact
byte, so they act after the bytes before them were sent, delayed or not.

Sockets are non-blocking; every wait is a poll() that also watches the
connection's wake pipe, so an abort (a fault, a reset from either side)
stops all its threads at once.  The last step, finish(), runs when they
have all returned: it writes the "close" log line, then closes the
sockets with RST (SO_LINGER 0) or FIN as the abort asked."""

import collections
import fcntl
import os
import select
import socket
import struct
import sys
import termios
import threading
import time
import traceback

CHUNK = 256 << 10
HEAD_LIMIT = 64 << 10
LINE_LIMIT = 8 << 10
DRAIN_TIMEOUT = 2.0
LINGER_TIMEOUT = 1.0
POLL_GONE = select.POLLHUP | select.POLLERR | select.POLLNVAL
POLL_RDHUP = getattr(select, "POLLRDHUP", 0x2000)
EOF = object()


class Aborted(Exception):
    """The connection is being torn down: the thread that sees it returns."""


class BadHttp(Exception):
    """Bytes that do not frame as HTTP/1.1: the direction goes raw."""


def _outq(sock):
    try:
        return struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0"))[0]
    except OSError:
        return 0


class Trigger:
    """A reset or stall bound to a connection: fires once, when ${bytes}
    bytes have gone in its direction (both directions add up for "both")."""

    def __init__(self, binding):
        self.binding = binding
        self.left = binding.params["bytes"]
        self.sent = {"up": 0, "down": 0}
        self.armed = True


class Output:
    """Bytes on their way to ${sock}, in direction ${dirn}."""

    def __init__(self, conn, dirn, sock, delay=None, bucket=None):
        self.conn = conn
        self.dirn = dirn
        self.sock = sock
        self.lock = threading.Lock()
        self.triggers = []
        self.delay = delay.params["ms"] / 1000.0 if delay is not None else None
        self.window = delay.params["window"] if delay is not None else 0
        self.q = collections.deque() if delay is not None else None
        self.qbytes = 0
        self.bucket = bucket
        self.slice = None
        if bucket is not None:
            self.slice = int(min(256 << 10, max(512, bucket.rate / 50)))

    @property
    def copies(self):
        return self.q is not None

    def start(self):
        if self.q is None:
            return None
        t = threading.Thread(target=self._writer, name="fp-%d-%s-writer" % (self.conn.no, self.dirn),
                             daemon=True)
        t.start()
        return t

    # ------------------------------------------------------------ input side
    def put(self, data):
        """Send ${data} (a bytes-like object; borrowed until the call
        returns when the output is inline).  Raises Aborted."""
        if not data:
            return
        items = self._split(data) if self.triggers else (data,)
        for item in items:
            self._item(item)

    def room(self):
        """How many bytes the reader may take now: CHUNK for an inline
        output; for a delayed one, what is left of the window, waiting
        until some is.  Raises Aborted."""
        if self.q is None:
            return CHUNK
        c = self.conn
        with c.cond:
            while self.qbytes >= self.window and not c.aborted:
                c.cond.wait()
            if c.aborted:
                raise Aborted()
            return min(CHUNK, self.window - self.qbytes)

    def mark(self, fn):
        """Run ${fn}() after every byte put so far has been sent."""
        self._item(fn)

    def eof(self):
        """End of this direction: shut down the write side once the data before is sent."""
        self._item(EOF)

    def _item(self, item):
        if self.q is None:
            with self.lock:
                self._do(item)
            return
        if not (item is EOF or callable(item)) and not isinstance(item, bytes):
            item = bytes(item)
        n = len(item) if isinstance(item, bytes) else 0
        c = self.conn
        with c.cond:
            if c.aborted:
                raise Aborted()
            self.q.append((time.monotonic() + self.delay, item))
            self.qbytes += n
            c.cond.notify_all()

    def _split(self, data):
        """Cut ${data} at the trigger points; return data pieces and markers."""
        items = []
        mv = memoryview(data)
        with self.conn.trig_lock:
            while True:
                first = None
                for t in self.triggers:
                    if t.armed and t.left <= len(mv) and (first is None or t.left < first.left):
                        first = t
                if first is None:
                    self._consume(len(mv))
                    if len(mv):
                        items.append(mv)
                    return items
                k = first.left
                if k:
                    items.append(mv[:k])
                self._consume(k)
                first.armed = False
                items.append(self._marker(first))
                mv = mv[k:]

    def _consume(self, n):
        for t in self.triggers:
            t.sent[self.dirn] += n
            if t.armed:
                t.left -= n

    def _marker(self, trig):
        at = trig.sent[self.dirn]
        b = trig.binding

        def fire():
            c = self.conn
            if not c.proxy.rules.fire(b):
                return
            if b.action == "reset":
                c.proxy.fault(c, b, direction=self.dirn, at=at, mode=b.params["mode"])
                c.abort(b.params["mode"], "fault: reset after %d bytes %s" % (at, self.dirn),
                        drain=[self.sock])
                raise Aborted()
            c.proxy.fault(c, b, direction=self.dirn, at=at, seconds=b.params["seconds"])
            c.stall(b.params["seconds"])
        return fire

    # ----------------------------------------------------------- output side
    def _do(self, item):
        if item is EOF:
            try:
                self.sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        elif callable(item):
            item()
        else:
            self._send(item)

    def _send(self, data):
        c = self.conn
        mv = memoryview(data)
        while len(mv):
            n = len(mv)
            if self.bucket is not None:
                n = min(n, self.slice)
                w = self.bucket.reserve(n)
                if w > 0:
                    c.sleep(w)
            part = mv[:n]
            while len(part):
                c.gate()
                try:
                    k = self.sock.send(part)
                except BlockingIOError:
                    c.wait_fd(self.sock, select.POLLOUT)
                    continue
                except OSError as e:
                    c.abort("rst", "%s: %s" % ("target" if self.dirn == "up" else "client",
                                               e.strerror or e))
                    raise Aborted()
                part = part[k:]
                c.count(self.dirn, k)
            mv = mv[n:]

    def _writer(self):
        c = self.conn
        try:
            while True:
                with c.cond:
                    while not self.q and not c.aborted:
                        c.cond.wait()
                    if c.aborted:
                        return
                    due, item = self.q[0]
                w = due - time.monotonic()
                if w > 0:
                    c.sleep(w)
                with c.cond:
                    self.q.popleft()
                    if isinstance(item, bytes):
                        self.qbytes -= len(item)
                    c.cond.notify_all()
                self._do(item)
                if item is EOF:
                    return
        except Aborted:
            return
        except Exception:
            c.crash()


class Source:
    """A buffered reader of ${sock} for the HTTP framer."""

    def __init__(self, conn, sock, who, out):
        self.conn = conn
        self.sock = sock
        self.who = who
        self.out = out
        self.buf = bytearray()

    def _recv(self, n):
        c = self.conn
        while True:
            try:
                return self.sock.recv(min(n, self.out.room()))
            except BlockingIOError:
                c.wait_fd(self.sock, select.POLLIN)
            except OSError as e:
                c.abort("rst", "%s: %s" % (self.who, e.strerror or e))
                raise Aborted()

    def _fill(self):
        b = self._recv(CHUNK)
        self.conn.gate()
        if not b:
            return False
        self.buf += b
        return True

    def head(self, request):
        """The next request (or response) head, None at EOF before it.
        Raises BadHttp, the bytes left in the buffer, as soon as they
        cannot start an HTTP/1.x head, so that another protocol (one that
        waits for the other side, as SSH does) goes through raw."""
        if request and not self._skip_empty_lines():
            return None
        return self.until(b"\r\n\r\n", HEAD_LIMIT, _request_start if request else _response_start)

    def _skip_empty_lines(self):
        """Drop the empty lines a client may send before a request line
        (RFC 9112, 2.2: servers ignore them, and some close on them).
        False at EOF."""
        while True:
            n = 0
            while n < len(self.buf) and self.buf[n] in b"\r\n":
                n += 1
            del self.buf[:n]
            if self.buf:
                return True
            if not self._fill():
                return False

    def unread(self, data):
        self.buf[0:0] = data

    def until(self, sep, limit, check=None):
        """Bytes up to and including ${sep}; None at EOF before any byte.
        Raises BadHttp past ${limit}, at EOF inside the item, or when
        ${check}(buffer) says the bytes are not what is expected."""
        start = 0
        while True:
            if check is not None and self.buf and not check(self.buf):
                raise BadHttp("not HTTP/1.x")
            i = self.buf.find(sep, start)
            if i >= 0:
                out = bytes(self.buf[:i + len(sep)])
                del self.buf[:i + len(sep)]
                return out
            if len(self.buf) > limit:
                raise BadHttp("header too long")
            start = max(0, len(self.buf) - len(sep) + 1)
            if not self._fill():
                if self.buf:
                    raise BadHttp("connection closed inside a header")
                return None

    def some(self, n):
        """Up to ${n} bytes (n > 0); b"" at EOF."""
        if self.buf:
            out = bytes(self.buf[:n])
            del self.buf[:n]
            return out
        b = self._recv(min(n, CHUNK))
        self.conn.gate()
        return b

    def rest(self):
        """Take what is buffered."""
        out = bytes(self.buf)
        self.buf = bytearray()
        return out


def _request_start(buf):
    """Could ${buf} start a request line ("METHOD SP ...")?"""
    head = bytes(buf[:24])
    sp = head.find(b" ")
    method = head if sp < 0 else head[:sp]
    if sp == 0 or (sp < 0 and len(head) >= 24):
        return False
    return all(65 <= c <= 90 or c in b"-_" for c in method)


def _response_start(buf):
    n = min(len(buf), 5)
    return bytes(buf[:n]) == b"HTTP/"[:n]


class Cut:
    """An HTTP cut: the bytes pass to ${out} until ${left} of them have
    gone, then the connection ends (RST or FIN) after them."""

    def __init__(self, conn, out, binding, left, req):
        self.conn = conn
        self.out = out
        self.binding = binding
        self.left = left
        self.req = req
        self.sent = 0
        self.fired = False

    def put(self, data):
        if self.fired:
            raise Aborted()
        if len(data) < self.left:
            self.out.put(data)
            self.left -= len(data)
            self.sent += len(data)
            return
        if self.left:
            self.out.put(data[:self.left])
            self.sent += self.left
        self.fire()

    def fire(self):
        self.fired = True
        b = self.binding
        c = self.conn
        sent = self.sent
        req = self.req

        def cut():
            c.proxy.fault(c, b, direction=self.out.dirn, at=sent, mode=b.params["mode"],
                          request=req["n"], method=req["method"], path=req["path"])
            c.abort(b.params["mode"], "fault: %s after %d body bytes" % (b.action, sent),
                    drain=[self.out.sock])
            raise Aborted()
        self.out.mark(cut)
        raise Aborted()


class Sink:
    """Where a body goes that is answered by the proxy itself."""

    @staticmethod
    def put(data):
        pass


def parse_head(head, request):
    """(first line parts, headers dict of lowercased name -> value) of an
    HTTP/1.x head; raises BadHttp."""
    try:
        text = head.decode("latin-1")
    except UnicodeDecodeError:
        raise BadHttp("undecodable head")
    lines = text.split("\r\n")
    first = lines[0].split(" ", 2)
    if len(first) < 2:
        raise BadHttp("bad first line")
    if request and (len(first) != 3 or not first[2].startswith("HTTP/1.")):
        raise BadHttp("not an HTTP/1.x request")
    if not request and not first[0].startswith("HTTP/1."):
        raise BadHttp("not an HTTP/1.x response")
    headers = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise BadHttp("bad header line")
        name = name.lower()
        value = value.strip()
        headers[name] = headers[name] + ", " + value if name in headers else value
    return first, headers


def body_framing(headers):
    """("chunked", None), ("length", N) or (None, None) from the headers."""
    te = headers.get("transfer-encoding")
    if te is not None:
        if te.lower().split(",")[-1].strip() != "chunked":
            raise BadHttp("unsupported transfer-encoding")
        return "chunked", None
    cl = headers.get("content-length")
    if cl is not None:
        vals = {v.strip() for v in cl.split(",")}
        if len(vals) != 1 or not next(iter(vals)).isdigit():
            raise BadHttp("bad content-length")
        return "length", int(next(iter(vals)))
    return None, None


def forward_length(src, out, n):
    while n > 0:
        b = src.some(min(n, CHUNK))
        if not b:
            raise BadHttp("connection closed inside a body")
        out.put(b)
        n -= len(b)


def forward_chunked(src, out):
    while True:
        line = src.until(b"\r\n", LINE_LIMIT)
        if line is None:
            raise BadHttp("connection closed inside a chunked body")
        out.put(line)
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise BadHttp("bad chunk size")
        if size < 0:
            raise BadHttp("bad chunk size")
        if size == 0:
            while True:
                t = src.until(b"\r\n", LINE_LIMIT)
                if t is None:
                    raise BadHttp("connection closed inside trailers")
                out.put(t)
                if t == b"\r\n":
                    return
        forward_length(src, out, size + 2)


def forward_body(src, out, kind, n):
    if kind == "chunked":
        forward_chunked(src, out)
    elif kind == "length":
        forward_length(src, out, n)


class Conn:
    def __init__(self, proxy, no, client, remote, bindings, http):
        self.proxy = proxy
        self.no = no
        self.client = client
        self.remote = remote
        self.bindings = bindings
        self.http = http
        self.server = None
        self.cond = threading.Condition()
        self.trig_lock = threading.Lock()
        self.aborted = False
        self.mode = None
        self.reason = None
        self.drain = []
        self.stall_until = None
        self.wake_r, self.wake_w = os.pipe()
        self.bytes = {"up": 0, "down": 0}
        self.pending = collections.deque()
        self.tunnel = False
        self.requests = 0
        self.t0 = time.monotonic()

    # ------------------------------------------------------------ primitives
    def abort(self, mode, reason, drain=()):
        """Tear the connection down: ${mode} "rst" or "close"; the first call wins."""
        with self.cond:
            if self.aborted:
                return
            self.aborted = True
            self.mode = mode
            self.reason = reason
            self.drain = list(drain)
            self.cond.notify_all()
        os.write(self.wake_w, b"!")

    def crash(self):
        sys.stderr.write("faultproxy: connection %d: internal error\n%s" % (self.no, traceback.format_exc()))
        self.abort("rst", "internal error")

    def wait_fd(self, sock, events, timeout=None):
        """Wait until ${sock} is ready for ${events}; raises Aborted."""
        p = select.poll()
        p.register(sock.fileno(), events)
        p.register(self.wake_r, select.POLLIN)
        for fd, _ev in p.poll(None if timeout is None else int(timeout * 1000)):
            if fd == self.wake_r:
                raise Aborted()

    def sleep(self, seconds):
        """Sleep ${seconds}; raises Aborted as soon as the connection is torn down."""
        p = select.poll()
        p.register(self.wake_r, select.POLLIN)
        if p.poll(max(0, int(seconds * 1000 + 0.999))):
            raise Aborted()

    def count(self, dirn, n):
        self.bytes[dirn] += n
        self.proxy.count(dirn, n)

    def stall(self, seconds):
        with self.cond:
            self.stall_until = float("inf") if seconds is None else time.monotonic() + seconds
            self.cond.notify_all()

    def _client_gone(self, forever):
        p = select.poll()
        p.register(self.client.fileno(), POLL_RDHUP if forever else 0)
        for _fd, ev in p.poll(0):
            if ev & (POLL_GONE | (POLL_RDHUP if forever else 0)):
                return True
        return False

    def gate(self):
        """Return when the connection may forward; raises Aborted.  During a
        stall every thread waits here; a stall for ever ends when the
        client closes or resets its end."""
        if self.stall_until is None and not self.aborted:
            return
        with self.cond:
            while True:
                if self.aborted:
                    raise Aborted()
                if self.stall_until is None:
                    return
                left = self.stall_until - time.monotonic()
                if left <= 0:
                    self.stall_until = None
                    self.cond.notify_all()
                    return
                forever = left == float("inf")
                if self._client_gone(forever):
                    self.abort("close", "client gave up during a stall")
                    raise Aborted()
                self.cond.wait(min(left, 0.05))

    def hold(self, seconds):
        """Wait ${seconds} (None: until the client gives up); raises Aborted."""
        end = float("inf") if seconds is None else time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            if self._client_gone(seconds is None):
                self.abort("close", "client gave up during a hold")
                raise Aborted()
            self.sleep(min(left, 0.05))

    def wait_idle(self):
        """Wait until every forwarded request has its response."""
        with self.cond:
            while self.pending and not self.aborted:
                self.cond.wait()
            if self.aborted:
                raise Aborted()

    def pop_pending(self):
        with self.cond:
            if self.pending:
                self.pending.popleft()
            self.cond.notify_all()

    # ----------------------------------------------------------------- life
    def run(self):
        threads = []
        try:
            if not self._connect():
                return
            self._setup()
            threads = [t for t in (self.up.start(), self.down.start()) if t is not None]
            down = threading.Thread(target=self._pump, args=("down",), daemon=True,
                                    name="fp-%d-down" % self.no)
            down.start()
            threads.append(down)
            self._pump("up")
            for t in threads:
                t.join()
        finally:
            self.finish()

    def _connect(self):
        host, port = self.proxy.target
        try:
            self.server = socket.create_connection((host, port), timeout=10)
        except OSError as e:
            self.abort("rst", "target: %s" % (e.strerror or e))
            return False
        return True

    def _setup(self):
        for s in (self.client, self.server):
            s.setblocking(False)
            try:
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        by = {}
        for b in self.bindings:
            dirs = ("up", "down") if b.direction == "both" else (b.direction,)
            for d in dirs:
                by.setdefault((b.action, d), b)
        outs = {}
        for d, sock in (("up", self.server), ("down", self.client)):
            bw = by.get(("bandwidth", d))
            outs[d] = Output(self, d, sock, delay=by.get(("delay", d)),
                             bucket=bw.bucket[d] if bw is not None else None)
        self.up, self.down = outs["up"], outs["down"]
        for b in self.bindings:
            if b.action in ("reset", "stall"):
                t = Trigger(b)
                for d in (("up", "down") if b.direction == "both" else (b.direction,)):
                    outs[d].triggers.append(t)
            else:
                self.proxy.fault(self, b, direction=b.direction,
                                 **({"ms": b.params["ms"]} if b.action == "delay"
                                    else {"rate": b.params["rate"], "scope": b.params["scope"]}))

    def _pump(self, dirn):
        try:
            if dirn == "up":
                if self.http:
                    self._http_up()
                else:
                    self._raw(self.client, self.up, "client")
            else:
                if self.http:
                    self._http_down()
                else:
                    self._raw(self.server, self.down, "target")
        except Aborted:
            pass
        except Exception:
            self.crash()

    def _raw(self, sock, out, who, prefix=b""):
        if prefix:
            out.put(prefix)
        buf = bytearray(CHUNK)
        mv = memoryview(buf)
        copies = out.copies
        while True:
            try:
                n = sock.recv_into(buf, out.room())
            except BlockingIOError:
                self.wait_fd(sock, select.POLLIN)
                continue
            except OSError as e:
                self.abort("rst", "%s: %s" % (who, e.strerror or e))
                raise Aborted()
            self.gate()
            if n == 0:
                out.eof()
                return
            out.put(bytes(mv[:n]) if copies else mv[:n])

    # ----------------------------------------------------------------- HTTP
    def _http_up(self):
        src = Source(self, self.client, "client", self.up)
        while True:
            head = None
            try:
                head = src.head(True)
                if head is None:
                    self.up.eof()
                    return
                first, headers = parse_head(head, True)
                kind, length = body_framing(headers)
            except BadHttp as e:
                if head is not None:
                    src.unread(head)
                self._unframed("up", src, e)
                return
            if not self._http_request(src, head, first, headers, kind, length):
                return

    def _http_request(self, src, head, first, headers, kind, length):
        """Handle one request; False when the connection goes on raw or ends."""
        method, target = first[0], first[1]
        if "://" in target:
            target = "/" + target.split("://", 1)[1].partition("/")[2]
        path, _, query = target.partition("?")
        self.requests += 1
        req = {"n": self.requests, "method": method, "path": path}
        self.proxy.request(self, req, query)
        rule = self.proxy.rules.on_request(self.no, method, path, query)
        action = rule.action if rule is not None else None
        try:
            if action == "respond":
                return self._respond(src, req, first, headers, kind, length, rule)
            if action == "hold":
                self.proxy.fault(self, rule, seconds=rule.params["seconds"], request=req["n"],
                                 method=method, path=path)
                self.hold(rule.params["seconds"])
            entry = {"method": method, "cut": None, "req": req}
            if action == "cut_response":
                entry["cut"] = rule
            with self.cond:
                self.pending.append(entry)
            self.up.put(head)
            out = self.up
            cut = None
            if action == "cut_request":
                n = rule.params["bytes"]
                if n is None:
                    n = length // 2 if kind == "length" else 0
                out = cut = Cut(self, self.up, rule, n, req)
            forward_body(src, out, kind, length)
            if cut is not None:
                cut.fire()
        except BadHttp as e:
            self._unframed("up", src, e)
            return False
        if method == "CONNECT" or "upgrade" in headers:
            self.wait_idle()
            if self.tunnel:
                self._raw(self.client, self.up, "client", src.rest())
                return False
        return True

    def _respond(self, src, req, first, headers, kind, length, rule):
        p = rule.params
        expect = "100-continue" in headers.get("expect", "").lower()
        conn_hdr = headers.get("connection", "").lower()
        closing = "close" in conn_hdr or (first[2] == "HTTP/1.0" and "keep-alive" not in conn_hdr)
        if expect and p["expect"] == "reject":
            kind, closing = None, True
        else:
            if expect:
                self.wait_idle()
                self.down.put(b"HTTP/1.1 100 Continue\r\n\r\n")
            forward_body(src, Sink, kind, length)
        self.wait_idle()
        self.proxy.fault(self, rule, status=p["status"], request=req["n"], method=req["method"],
                         path=req["path"])
        self.down.put(canned(p, req["method"] == "HEAD", closing))
        if closing:
            self.down.mark(lambda: self.abort("close", "canned answer with Connection: close"))
            return False
        return True

    def _http_down(self):
        src = Source(self, self.server, "target", self.down)
        while True:
            head = None
            try:
                head = src.head(False)
                if head is None:
                    self.down.eof()
                    return
                first, headers = parse_head(head, False)
                if not (len(first[1]) == 3 and first[1].isdigit()):
                    raise BadHttp("bad status")
                status = int(first[1])
            except BadHttp as e:
                if head is not None:
                    src.unread(head)
                self._unframed("down", src, e)
                return
            if not self._http_response(src, head, status, headers):
                return

    def _http_response(self, src, head, status, headers):
        with self.cond:
            entry = self.pending[0] if self.pending else None
        method = entry["method"] if entry else None
        if 100 <= status < 200 and status != 101:
            self.down.put(head)
            return True
        if entry is not None:
            self.proxy.response(self, entry["req"], status)
        if status == 101 or (method == "CONNECT" and 200 <= status < 300):
            self.down.put(head)
            with self.cond:
                self.tunnel = True
            self.pop_pending()
            self._raw(self.server, self.down, "target", src.rest())
            return False
        try:
            if method == "HEAD" or status in (204, 304):
                kind, length = "length", 0
            else:
                kind, length = body_framing(headers)
                if kind is None:
                    kind = "close"
            self.down.put(head)
            out = self.down
            cut = None
            if entry is not None and entry["cut"] is not None:
                n = entry["cut"].params["bytes"]
                if n is None:
                    n = length // 2 if kind == "length" else 0
                out = cut = Cut(self, self.down, entry["cut"], n, entry["req"])
            if kind == "close":
                self._until_close(src, out, cut)
                return False
            forward_body(src, out, kind, length)
            if cut is not None:
                cut.fire()
        except BadHttp as e:
            self._unframed("down", src, e)
            return False
        self.pop_pending()
        return True

    def _until_close(self, src, out, cut):
        while True:
            b = src.some(CHUNK)
            if not b:
                break
            out.put(b)
        if cut is not None:
            cut.fire()
        self.pop_pending()
        self.down.eof()

    def _unframed(self, dirn, src, err):
        """Bytes that are not HTTP/1.1: forward the rest of this direction as is."""
        self.proxy.log_event(self, "unframed", direction=dirn, error=str(err))
        if dirn == "up":
            self._raw(self.client, self.up, "client", src.rest())
        else:
            self._raw(self.server, self.down, "target", src.rest())

    # ---------------------------------------------------------------- close
    def finish(self):
        if self.mode == "rst":
            end = time.monotonic() + DRAIN_TIMEOUT
            for s in self.drain:
                while time.monotonic() < end and _outq(s) > 0:
                    time.sleep(0.002)
        reason = self.reason or "closed"
        self.proxy.closed(self, reason)
        socks = [s for s in (self.client, self.server) if s is not None]
        if self.mode == "rst":
            for s in socks:
                try:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                except OSError:
                    pass
        elif self.mode == "close":
            _linger_close(socks)
        for s in socks:
            try:
                s.close()
            except OSError:
                pass
        os.close(self.wake_r)
        os.close(self.wake_w)


def _linger_close(socks):
    """FIN both ways, then read and drop what still comes for a moment, so
    that close() does not turn into a RST over unread data."""
    for s in socks:
        try:
            s.setblocking(False)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
    open_ = list(socks)
    end = time.monotonic() + LINGER_TIMEOUT
    while open_ and time.monotonic() < end:
        p = select.poll()
        for s in open_:
            p.register(s.fileno(), select.POLLIN)
        ready = {fd for fd, _ev in p.poll(50)}
        for s in list(open_):
            if s.fileno() not in ready:
                continue
            try:
                if not s.recv(CHUNK):
                    open_.remove(s)
            except BlockingIOError:
                pass
            except OSError:
                open_.remove(s)


def canned(p, head_only, closing):
    """The bytes of a canned answer from the respond parameters ${p}."""
    body = p["body"].encode("utf-8")
    reason = p["reason"] or _REASONS.get(p["status"], "Unknown")
    lines = ["HTTP/1.1 %d %s" % (p["status"], reason)]
    for k, v in p["headers"]:
        if k.lower() not in ("content-length", "transfer-encoding", "connection"):
            lines.append("%s: %s" % (k, v))
    lines.append("Content-Length: %d" % len(body))
    if closing:
        lines.append("Connection: close")
    out = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return out if head_only else out + body


_REASONS = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 401: "Unauthorized",
            403: "Forbidden", 404: "Not Found", 408: "Request Timeout", 409: "Conflict",
            412: "Precondition Failed", 413: "Payload Too Large", 416: "Range Not Satisfiable",
            429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
            503: "Service Unavailable", 504: "Gateway Timeout", 507: "Insufficient Storage"}
