"""HTTP-aware faults: canned answers, cuts, holds, and the framing of
keep-alive connections around them (Content-Length, chunked, 100-continue)."""

import http.client
import socket
import time

from fphelp import ProxyTest, echo, read_all

SLOWDOWN = {"match": {"method": "PUT", "nth": 2}, "action": "respond", "preset": "s3_slowdown"}


def http_conn(p):
    return http.client.HTTPConnection("127.0.0.1", p.port, timeout=10)


def call(c, method, path, body=None, headers=None):
    c.request(method, path, body=body, headers=headers or {},
              encode_chunked=bool(headers and "Transfer-Encoding" in headers))
    r = c.getresponse()
    return r.status, r.read(), r


def read_response(sock, buf=b""):
    """One response from a raw socket: (status, headers dict, body, rest)."""
    while b"\r\n\r\n" not in buf:
        b = sock.recv(65536)
        if not b:
            raise EOFError("closed before a response head: %r" % buf)
        buf += b
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    while len(rest) < n:
        b = sock.recv(65536)
        if not b:
            break
        rest += b
    return status, headers, rest[:n], rest[n:]


class Framing(ProxyTest):
    def test_keep_alive_through_the_framer(self):
        srv = self.httpd()
        p = self.proxy(srv, http=True)
        c = http_conn(p)
        self.addCleanup(c.close)
        big = bytes(range(256)) * 20000
        self.assertEqual(call(c, "PUT", "/b/big", big)[0], 200)
        self.assertEqual(call(c, "GET", "/b/big")[1], big)
        st, body, r = call(c, "HEAD", "/b/big")
        self.assertEqual((st, body, r.getheader("Content-Length")), (200, b"", str(len(big))))
        self.assertEqual(call(c, "DELETE", "/b/big")[0], 204)
        self.assertEqual(call(c, "GET", "/b/big")[0], 404)
        self.assertEqual(len(p.records("open")), 1)
        reqs = [(r["method"], r["path"]) for r in p.wait_records("request", 5)]
        self.assertEqual(reqs, [("PUT", "/b/big"), ("GET", "/b/big"), ("HEAD", "/b/big"),
                                ("DELETE", "/b/big"), ("GET", "/b/big")])
        self.assertEqual([r["status"] for r in p.wait_records("response", 5)],
                         [200, 200, 200, 204, 404])

    def test_chunked_request_body(self):
        srv = self.httpd()
        p = self.proxy(srv, http=True)
        c = http_conn(p)
        self.addCleanup(c.close)
        pieces = [b"a" * 1000, b"b" * 7, b"c" * 70000]
        st, _, _ = call(c, "PUT", "/k", body=iter(pieces),
                        headers={"Transfer-Encoding": "chunked"})
        self.assertEqual(st, 200)
        self.assertEqual(call(c, "GET", "/k")[1], b"".join(pieces))
        self.assertEqual(len(p.records("open")), 1)

    def test_not_http_goes_through_raw(self):
        # a banner sent first by the server, then an exchange without blank lines
        def ssh_like(_srv, s, rec):
            s.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")
            echo(_srv, s, rec)
        srv = self.tcp(ssh_like)
        p = self.proxy(srv, http=True)
        s = self.connect(p)
        self.assertEqual(read_all(s, 21), (b"SSH-2.0-OpenSSH_9.2\r\n", None))
        for msg in (b"SSH-2.0-client\r\n", b"\0\0\1\x14binary", b"GET / HTTP/1.1\r\n\r\n"):
            s.sendall(msg)
            self.assertEqual(read_all(s, len(msg)), (msg, None))
        self.assertEqual([r["direction"] for r in p.wait_records("unframed", 2)], ["down", "up"])


class Respond(ProxyTest):
    def test_503_on_the_second_put_and_the_connection_keeps_serving(self):
        srv = self.httpd()
        p = self.proxy(srv, faults=[SLOWDOWN])
        c = http_conn(p)
        self.addCleanup(c.close)
        self.assertEqual(call(c, "PUT", "/b/1", b"one")[0], 200)
        st, body, r = call(c, "PUT", "/b/2", b"two" * 1000)
        self.assertEqual(st, 503)
        self.assertIn(b"<Code>SlowDown</Code>", body)
        self.assertEqual(r.getheader("Content-Type"), "application/xml")
        self.assertEqual(call(c, "PUT", "/b/3", b"three")[0], 200)
        self.assertEqual(call(c, "GET", "/b/2")[0], 404)
        self.assertEqual(call(c, "GET", "/b/3")[1], b"three")
        self.assertEqual([(m, path) for m, path, _, _ in srv.seen],
                         [("PUT", "/b/1"), ("PUT", "/b/3"), ("GET", "/b/2"), ("GET", "/b/3")])
        self.assertEqual(len(p.records("open")), 1)
        f = p.wait_records("fault", 1)
        self.assertEqual([(r["action"], r["status"], r["request"], r["method"]) for r in f],
                         [("respond", 503, 2, "PUT")])
        rule = p.rules()[0]
        self.assertEqual((rule["matched"], rule["hits"]), (3, 1))

    def test_custom_answer_and_path_glob(self):
        srv = self.httpd()
        p = self.proxy(srv, faults=[{"match": {"method": "GET", "path": "/b/*.vol2*",
                                               "query": "*part=3*"},
                                     "action": "respond", "status": 404, "reason": "Gone Fishing",
                                     "headers": {"X-Fault": "yes"}, "body": "nope",
                                     "times": "forever"}])
        srv.objects["/b/x.vol2.gpg"] = b"data"
        c = http_conn(p)
        self.addCleanup(c.close)
        self.assertEqual(call(c, "GET", "/b/x.vol2.gpg")[1], b"data")
        st, body, r = call(c, "GET", "/b/x.vol2.gpg?part=3")
        self.assertEqual((st, r.reason, body, r.getheader("X-Fault")), (404, "Gone Fishing", b"nope", "yes"))
        st, body, r = call(c, "HEAD", "/b/x.vol2.gpg?part=3")
        self.assertEqual((st, r.getheader("X-Fault")), (404, None))
        self.assertEqual(call(c, "GET", "/b/y.vol2.gpg?a&part=3")[0], 404)
        self.assertEqual(len(p.records("open")), 1)

    def test_chunked_body_is_skipped(self):
        srv = self.httpd()
        p = self.proxy(srv, faults=[{"match": {"method": "PUT"}, "action": "respond",
                                     "preset": "s3_internal_error"}])
        c = http_conn(p)
        self.addCleanup(c.close)
        st, body, _ = call(c, "PUT", "/k", body=iter([b"x" * 5000, b"y" * 3]),
                           headers={"Transfer-Encoding": "chunked"})
        self.assertEqual(st, 500)
        self.assertIn(b"<Code>InternalError</Code>", body)
        self.assertEqual(call(c, "PUT", "/k", b"fine")[0], 200)
        self.assertEqual(srv.seen, [("PUT", "/k", "ok", 4)])

    def test_expect_continue_answered_by_the_proxy(self):
        srv = self.httpd()
        p = self.proxy(srv, faults=[{"match": {"method": "PUT"}, "action": "respond",
                                     "status": 503}])
        s = self.connect(p)
        s.sendall(b"PUT /e HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        st, _, _, rest = read_response(s)
        self.assertEqual(st, 100)
        s.sendall(b"hello")
        st, h, body, rest = read_response(s, rest)
        self.assertEqual((st, h.get("connection")), (503, None))
        s.sendall(b"PUT /e HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        st, _, _, rest = read_response(s, rest)
        self.assertEqual(st, 100)
        s.sendall(b"again")
        st, _, _, rest = read_response(s, rest)
        self.assertEqual(st, 200)
        self.assertEqual(srv.objects["/e"], b"again")

    def test_expect_reject_answers_at_once_and_closes(self):
        srv = self.httpd()
        p = self.proxy(srv, faults=[{"match": {"method": "PUT"}, "action": "respond",
                                     "status": 503, "expect": "reject"}])
        s = self.connect(p)
        s.sendall(b"PUT /e HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        st, h, _, rest = read_response(s)
        self.assertEqual((st, h.get("connection")), (503, "close"))
        self.assertEqual(read_all(s), (b"", None))
        self.assertEqual(srv.seen, [])

    def test_request_asking_to_close(self):
        srv = self.httpd()
        p = self.proxy(srv, faults=[{"action": "respond", "status": 500, "times": "forever"}])
        for req in (b"GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                    b"GET /x HTTP/1.0\r\n\r\n"):
            s = self.connect(p)
            s.sendall(req)
            st, h, _, rest = read_response(s)
            self.assertEqual((st, h.get("connection"), rest), (500, "close", b""))
            self.assertEqual(read_all(s), (b"", None))
        s = self.connect(p)
        s.sendall(b"GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /y HTTP/1.1\r\nHost: x\r\n\r\n")
        st, h, _, rest = read_response(s)
        self.assertEqual((st, h.get("connection")), (500, None))
        self.assertEqual(read_response(s, rest)[0], 500)

    def test_empty_lines_before_a_request(self):
        srv = self.httpd()
        p = self.proxy(srv, faults=[{"match": {"path": "/b"}, "action": "respond", "status": 503}])
        s = self.connect(p)
        s.sendall(b"PUT /a HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nA\r\n")
        self.assertEqual(read_response(s)[0], 200)
        s.sendall(b"\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(read_response(s)[0], 503)
        s.sendall(b"\r\n\r\nGET /a HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(read_response(s)[:3:2], (200, b"A"))
        self.assertEqual([r["path"] for r in p.wait_records("request", 3)], ["/a", "/b", "/a"])
        self.assertEqual(p.records("unframed"), [])

    def test_pipelined_requests_keep_their_order(self):
        srv = self.httpd()
        srv.objects["/a"] = b"A" * 100000
        p = self.proxy(srv, faults=[{"match": {"path": "/b"}, "action": "respond", "status": 503}])
        s = self.connect(p)
        s.sendall(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n"
                  b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
        out = []
        rest = b""
        for _ in range(3):
            st, _, body, rest = read_response(s, rest)
            out.append((st, len(body)))
        self.assertEqual(out, [(200, 100000), (503, 0), (200, 100000)])


class Cut(ProxyTest):
    def test_cut_mid_request_body(self):
        srv = self.httpd()
        p = self.proxy(srv, faults=[{"match": {"method": "PUT", "path": "/big"},
                                     "action": "cut_request", "bytes": 30000}])
        s = self.connect(p)
        s.sendall(b"PUT /big HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
        try:
            s.sendall(b"z" * 100000)
        except OSError:
            pass
        self.assertEqual(read_all(s), (b"", "ECONNRESET"))
        f = p.wait_records("fault", 1)[0]
        self.assertEqual((f["action"], f["at"], f["direction"]), ("cut_request", 30000, "up"))
        end = time.time() + 5
        while not srv.seen and time.time() < end:
            time.sleep(0.02)
        self.assertEqual(srv.seen[0][:2], ("PUT", "/big"))
        self.assertEqual(srv.seen[0][2:], ("reset", 30000))

    def test_cut_past_the_body_comes_before_the_answer(self):
        srv = self.httpd()
        p = self.proxy(srv, faults=[{"action": "cut_request", "bytes": 1000000}])
        s = self.connect(p)
        s.sendall(b"PUT /small HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789")
        self.assertEqual(read_all(s), (b"", "ECONNRESET"))
        self.assertEqual(p.wait_records("fault", 1)[0]["at"], 10)

    def test_cut_mid_response_body(self):
        srv = self.httpd()
        srv.objects["/obj"] = bytes(range(256)) * 400
        p = self.proxy(srv, faults=[{"match": {"method": "GET"}, "action": "cut_response",
                                     "bytes": 40000, "mode": "rst"}])
        s = self.connect(p)
        s.sendall(b"GET /obj HTTP/1.1\r\nHost: x\r\n\r\n")
        got, err = read_all(s)
        self.assertEqual(err, "ECONNRESET")
        head, _, body = got.partition(b"\r\n\r\n")
        self.assertIn(b"Content-Length: 102400", head)
        self.assertEqual(body, srv.objects["/obj"][:40000])

    def test_cut_response_default_is_half_and_close_mode(self):
        srv = self.httpd()
        srv.objects["/obj"] = b"q" * 1000
        p = self.proxy(srv, faults=[{"action": "cut_response", "mode": "close"}])
        c = http_conn(p)
        self.addCleanup(c.close)
        c.request("GET", "/obj")
        r = c.getresponse()
        with self.assertRaises(http.client.IncompleteRead) as cm:
            r.read()
        self.assertEqual(len(cm.exception.partial), 500)

    def test_cut_on_the_third_request_only(self):
        srv = self.httpd()
        srv.objects["/o"] = b"o" * 10000
        p = self.proxy(srv, faults=[{"match": {"nth": 3}, "action": "cut_response", "bytes": 10}])
        c = http_conn(p)
        self.addCleanup(c.close)
        self.assertEqual(call(c, "GET", "/o")[0], 200)
        self.assertEqual(call(c, "GET", "/o")[0], 200)
        self.assertRaises((http.client.IncompleteRead, ConnectionError), call, c, "GET", "/o")
        c.close()
        self.assertEqual(call(c, "GET", "/o")[1], b"o" * 10000)
        self.assertEqual(len(p.records("open")), 2)


class Tunnel(ProxyTest):
    def test_upgrade_turns_the_connection_into_a_tunnel(self):
        def upgrading(_srv, s, rec):
            buf = b""
            while b"\r\n\r\n" not in buf:
                buf += s.recv(4096)
            s.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: raw\r\nConnection: Upgrade\r\n\r\n")
            rest = buf.partition(b"\r\n\r\n")[2]
            if rest:
                s.sendall(rest)
            echo(_srv, s, rec)
        srv = self.tcp(upgrading)
        p = self.proxy(srv, http=True, faults=[{"action": "respond", "status": 500,
                                                "times": "forever", "match": {"method": "GET"}}])
        s = self.connect(p)
        s.sendall(b"POST /chat HTTP/1.1\r\nHost: x\r\nUpgrade: raw\r\nConnection: Upgrade\r\n\r\n")
        st, _, _, rest = read_response(s)
        self.assertEqual((st, rest), (101, b""))
        for msg in (b"\0\1\2 not http", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"):
            s.sendall(msg)
            self.assertEqual(read_all(s, len(msg)), (msg, None))
        self.assertEqual(p.records("fault"), [])


class Hold(ProxyTest):
    def test_hold_a_request(self):
        srv = self.httpd()
        p = self.proxy(srv, faults=[{"match": {"method": "GET"}, "action": "hold", "seconds": 1}])
        c = http_conn(p)
        self.addCleanup(c.close)
        t0 = time.monotonic()
        self.assertEqual(call(c, "GET", "/x")[0], 404)
        self.assertGreater(time.monotonic() - t0, 0.95)
        t0 = time.monotonic()
        self.assertEqual(call(c, "GET", "/x")[0], 404)
        self.assertLess(time.monotonic() - t0, 0.9)

    def test_hold_for_ever_until_the_client_gives_up(self):
        srv = self.httpd()
        p = self.proxy(srv, faults=[{"action": "hold"}])
        s = self.connect(p, timeout=0.5)
        s.sendall(b"GET /x HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertRaises(socket.timeout, s.recv, 10)
        s.close()
        close = p.wait_records("close", 1)[0]
        self.assertIn("gave up", close["reason"])
        self.assertEqual(srv.seen, [])
