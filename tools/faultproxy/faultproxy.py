#!/usr/bin/env python3
"""faultproxy: a TCP proxy that injects network faults, for tests.

    faultproxy.py --listen 127.0.0.1:0 --target HOST:PORT [--faults FILE|JSON]
                  [--seed N] [--log FILE] [--control 127.0.0.1:0] [--http]

The first line on stdout is "faultproxy listening on HOST:PORT", then, with
--control, "faultproxy control on HOST:PORT".  See README.md in this folder
for the rule format, the log and the control endpoint."""

import argparse
import ipaddress
import json
import os
import select
import signal
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from faultproxy_conn import Conn  # noqa: E402
from faultproxy_rules import RuleError, Rules, parse_rules, rules_from_json  # noqa: E402

CONTROL_BODY_LIMIT = 1 << 20


class EventLog:
    """JSON lines, one per event, flushed after each line."""

    def __init__(self, path):
        self.lock = threading.Lock()
        self.seq = 0
        self.f = open(path, "a", encoding="utf-8") if path else None

    def write(self, rec):
        with self.lock:
            self.seq += 1
            if self.f is None:
                return
            out = {"seq": self.seq, "ts": round(time.time(), 6)}
            out.update(rec)
            self.f.write(json.dumps(out) + "\n")
            self.f.flush()

    def close(self):
        with self.lock:
            if self.f is not None:
                self.f.close()
                self.f = None


def _addr_text(addr):
    host, port = addr[:2]
    return ("[%s]:%d" % (host, port)) if ":" in host else ("%s:%d" % (host, port))


class Proxy:
    def __init__(self, listen, target, rules, log, http):
        self.listen_addr = listen
        self.target = target
        self.rules = rules
        self.log = log
        self.http = http
        self.lock = threading.Lock()
        self.counters = {"connections": 0, "open": 0, "refused": 0, "bytes_up": 0,
                         "bytes_down": 0, "faults": 0, "requests": 0}
        self.lsock = None
        self.stop = threading.Event()
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        self.gen_cond = threading.Condition()
        self.gen_asked = 0
        self.gen_done = 0
        self._open_listener()

    # ------------------------------------------------------------- listener
    def _open_listener(self):
        host, port = self.listen_addr
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, port))
            s.listen(128)
        except OSError:
            s.close()
            raise
        s.setblocking(False)
        self.lsock = s
        self.listen_addr = s.getsockname()[:2]

    def address(self):
        return _addr_text(self.listen_addr)

    def _update_listener(self):
        """Close the listener while a refuse rule of mode listen is in force,
        open it again on the same port after.  Accept thread only."""
        refused = self.rules.listen_refused()
        if refused and self.lsock is not None:
            self.lsock.close()
            self.lsock = None
            self.log.write({"event": "listener", "state": "closed"})
        elif not refused and self.lsock is None:
            try:
                self._open_listener()
                self.log.write({"event": "listener", "state": "open"})
            except OSError as e:
                sys.stderr.write("faultproxy: cannot listen again on %s: %s\n" % (self.address(), e))

    def rules_changed(self):
        """Have the accept thread apply the rules to the listener; return
        when it has (or after 5 s)."""
        with self.gen_cond:
            self.gen_asked += 1
            want = self.gen_asked
        os.write(self.wake_w, b"!")
        with self.gen_cond:
            self.gen_cond.wait_for(lambda: self.gen_done >= want or self.stop.is_set(), 5)

    def serve(self):
        while not self.stop.is_set():
            with self.gen_cond:
                asked = self.gen_asked
            self._update_listener()
            with self.gen_cond:
                self.gen_done = asked
                self.gen_cond.notify_all()
            p = select.poll()
            p.register(self.wake_r, select.POLLIN)
            if self.lsock is not None:
                p.register(self.lsock.fileno(), select.POLLIN)
            # a closed listener waits for its refuse window to end: look often
            ready = {fd for fd, _ev in p.poll(50 if self.lsock is None else 500)}
            if self.wake_r in ready:
                try:
                    os.read(self.wake_r, 4096)
                except BlockingIOError:
                    pass
            if self.lsock is not None and self.lsock.fileno() in ready:
                self._accept()

    def _accept(self):
        try:
            sock, addr = self.lsock.accept()
        except (BlockingIOError, InterruptedError, ConnectionAbortedError):
            return
        except OSError as e:
            sys.stderr.write("faultproxy: accept: %s\n" % e)
            time.sleep(0.05)
            return
        with self.lock:
            self.counters["connections"] += 1
            self.counters["open"] += 1
            no = self.counters["connections"]
        refuse, bindings = self.rules.on_accept(no)
        http = self.http or self.rules.has_http()
        conn = Conn(self, no, sock, _addr_text(addr), bindings, http)
        self.log.write({"event": "open", "conn": no, "remote": conn.remote})
        if refuse is not None:
            self._refuse(conn, refuse)
            return
        threading.Thread(target=conn.run, name="fp-%d" % no, daemon=True).start()

    def _refuse(self, conn, rule):
        with self.lock:
            self.counters["refused"] += 1
        mode = rule["params"]["mode"]
        self.fault(conn, rule, mode=mode)
        conn.abort(mode, "fault: refused")
        if mode == "rst":
            conn.finish()
        else:
            threading.Thread(target=conn.finish, name="fp-%d" % conn.no, daemon=True).start()

    # -------------------------------------------------------- called by Conn
    def count(self, dirn, n):
        with self.lock:
            self.counters["bytes_" + dirn] += n

    def fault(self, conn, rule, **details):
        """Log a fault that fires on ${conn}; ${rule} is a rule or a Binding."""
        if isinstance(rule, dict):
            rid, name, action = rule["id"], rule.get("name"), rule["action"]
        else:
            rid, name, action = rule.id, rule.rule.get("name"), rule.action
        with self.lock:
            self.counters["faults"] += 1
        rec = {"event": "fault", "conn": conn.no, "rule": rid, "name": name, "action": action}
        rec.update(details)
        self.log.write(rec)

    def request(self, conn, req, query):
        with self.lock:
            self.counters["requests"] += 1
        self.log.write({"event": "request", "conn": conn.no, "request": req["n"],
                        "method": req["method"], "path": req["path"], "query": query})

    def response(self, conn, req, status):
        self.log.write({"event": "response", "conn": conn.no, "request": req["n"],
                        "status": status})

    def log_event(self, conn, event, **details):
        rec = {"event": event, "conn": conn.no}
        rec.update(details)
        self.log.write(rec)

    def closed(self, conn, reason):
        with self.lock:
            self.counters["open"] -= 1
        self.log.write({"event": "close", "conn": conn.no, "reason": reason,
                        "bytes_up": conn.bytes["up"], "bytes_down": conn.bytes["down"],
                        "seconds": round(time.monotonic() - conn.t0, 6)})

    def snapshot(self):
        with self.lock:
            return dict(self.counters)


def _is_loopback(host):
    try:
        a = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(a, ipaddress.IPv6Address) and a.ipv4_mapped is not None:
        a = a.ipv4_mapped
    return a.is_loopback


class ControlHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "faultproxy/1.0"
    sys_version = ""

    def log_message(self, fmt, *args):
        pass

    def _answer(self, status, obj):
        body = (json.dumps(obj) + "\n").encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _route(self):
        u = urllib.parse.urlsplit(self.path)
        if not _is_loopback(self.client_address[0]):
            self._answer(403, {"error": "the control endpoint is for loopback clients only"})
            return None, None
        if u.path not in ("/_faultproxy/faults", "/_faultproxy/counters"):
            self._answer(404, {"error": "unknown path %s" % u.path})
            return None, None
        return u.path, urllib.parse.parse_qs(u.query)

    def _body(self):
        try:
            n = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            n = -1
        if n < 0 or n > CONTROL_BODY_LIMIT:
            raise RuleError("the body needs a Content-Length up to %d" % CONTROL_BODY_LIMIT)
        return self.rfile.read(n)

    def do_GET(self):
        path, _q = self._route()
        if path == "/_faultproxy/faults":
            self._answer(200, {"rules": self.server.proxy.rules.listing()})
        elif path == "/_faultproxy/counters":
            self._answer(200, self.server.proxy.snapshot())

    def do_POST(self):
        path, _q = self._route()
        if path is None:
            return
        if path != "/_faultproxy/faults":
            self._answer(405, {"error": "POST goes to /_faultproxy/faults"})
            return
        proxy = self.server.proxy
        try:
            raw = self._body()
            try:
                data = json.loads(raw.decode("utf-8"))
            except ValueError as e:
                raise RuleError("fault rules are not valid JSON: %s" % e)
            ids = proxy.rules.add(rules_from_json(data))
        except RuleError as e:
            self._answer(400, {"error": str(e)})
            return
        proxy.rules_changed()
        self._answer(200, {"ids": ids})

    def do_DELETE(self):
        path, q = self._route()
        if path is None:
            return
        if path != "/_faultproxy/faults":
            self._answer(405, {"error": "DELETE goes to /_faultproxy/faults"})
            return
        proxy = self.server.proxy
        rule_id = None
        if "id" in q:
            try:
                rule_id = int(q["id"][0])
            except ValueError:
                self._answer(400, {"error": "id must be a number"})
                return
        n = proxy.rules.clear(rule_id)
        proxy.rules_changed()
        self._answer(200, {"deleted": n})


class ControlServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, proxy):
        self.address_family = socket.AF_INET6 if ":" in addr[0] else socket.AF_INET
        self.proxy = proxy
        ThreadingHTTPServer.__init__(self, addr, ControlHandler)

    def handle_error(self, request, client_address):
        pass


def parse_addr(text, what, default_host="127.0.0.1"):
    text = text.strip()
    if text.startswith("["):
        host, sep, port = text[1:].partition("]:")
    else:
        host, sep, port = text.rpartition(":")
    if not sep:
        raise ValueError("%s wants HOST:PORT, got %r" % (what, text))
    try:
        p = int(port)
    except ValueError:
        raise ValueError("%s wants HOST:PORT, got %r" % (what, text))
    if not 0 <= p <= 65535:
        raise ValueError("%s: port %d is out of range" % (what, p))
    return host or default_host, p


def build_parser():
    p = argparse.ArgumentParser(prog="faultproxy", allow_abbrev=False,
                                description="TCP proxy that injects network faults. "
                                            "See README.md next to this program.")
    p.add_argument("--listen", default="127.0.0.1:0", metavar="HOST:PORT",
                   help="where clients connect (default 127.0.0.1:0: loopback, any free port)")
    p.add_argument("--target", required=True, metavar="HOST:PORT", help="the server to forward to")
    p.add_argument("--faults", metavar="FILE|JSON", help="fault rules: a JSON file, or inline JSON")
    p.add_argument("--seed", metavar="N", help="seed of the probability draws (reproducible runs)")
    p.add_argument("--log", metavar="FILE", help="event log, JSON lines (appended)")
    p.add_argument("--control", metavar="HOST:PORT",
                   help="serve the control endpoint /_faultproxy/... there (e.g. 127.0.0.1:0)")
    p.add_argument("--http", action="store_true",
                   help="frame every connection as HTTP/1.1 (without it, only connections "
                        "accepted while an HTTP rule exists are)")
    return p


def load_rules(args, rules):
    if args.faults:
        if args.faults.lstrip().startswith(("{", "[")):
            rules.add(parse_rules(args.faults))
        else:
            with open(args.faults, "r", encoding="utf-8") as f:
                rules.add(parse_rules(f.read()))
    env = os.environ.get("FAULTPROXY_FAULTS")
    if env and env.strip():
        rules.add(parse_rules(env))


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        listen = parse_addr(args.listen, "--listen")
        target = parse_addr(args.target, "--target")
        control = parse_addr(args.control, "--control") if args.control else None
    except ValueError as e:
        sys.stderr.write("faultproxy: %s\n" % e)
        return 2
    rules = Rules(args.seed)
    try:
        load_rules(args, rules)
    except (OSError, RuleError) as e:
        sys.stderr.write("faultproxy: fault rules: %s\n" % e)
        return 2
    try:
        log = EventLog(args.log)
    except OSError as e:
        sys.stderr.write("faultproxy: cannot open the log: %s\n" % e)
        return 2
    try:
        proxy = Proxy(listen, target, rules, log, args.http)
        ctl = ControlServer(control, proxy) if control else None
    except OSError as e:
        sys.stderr.write("faultproxy: cannot listen: %s\n" % e)
        return 1

    lines = ["faultproxy listening on %s" % proxy.address()]
    if ctl is not None:
        lines.append("faultproxy control on %s" % _addr_text(ctl.server_address))
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()

    def on_signal(_sig, _frame):
        proxy.stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    threads = [threading.Thread(target=proxy.serve, name="fp-accept", daemon=True)]
    if ctl is not None:
        threads.append(threading.Thread(target=ctl.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="fp-control", daemon=True))
    for t in threads:
        t.start()
    while not proxy.stop.wait(0.5):
        pass
    if ctl is not None:
        ctl.shutdown()
        ctl.server_close()
    threads[0].join(2)
    log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
