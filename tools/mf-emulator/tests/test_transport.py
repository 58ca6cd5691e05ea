"""Process and HTTP behaviour: first line, signals, interpreters, keep-alive,
chunked bodies, Expect: 100-continue."""

import os
import py_compile
import re
import signal
import socket
import subprocess
import sys
import unittest

from mfclient import MFEMU, ServerTest, sha256

HERE = os.path.dirname(MFEMU)


class Process(ServerTest):
    def test_first_line_exact(self):
        s = self.server()
        self.assertRegex(s.first_line, r"^mfemu listening on http://127\.0\.0\.1:\d+$")
        self.assertNotEqual(s.port, 0)

    def test_sigterm_and_sigint_exit_cleanly(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            s = self.server()
            c = self.client(s)
            self.assertTrue(c.call("user/get_info").ok)
            self.assertEqual(s.stop(sig), 0)

    @unittest.skipUnless(os.path.exists("/usr/bin/python3"), "no /usr/bin/python3")
    def test_system_python(self):
        s = self.server(python="/usr/bin/python3")
        c = self.client(s)
        self.assertTrue(c.call("user/get_info").ok)

    def test_py_compile(self):
        for name in os.listdir(HERE):
            if name.endswith(".py"):
                py_compile.compile(os.path.join(HERE, name), doraise=True,
                                   cfile=os.path.join(self.server(control=False).tmp, name + "c"))

    def test_data_dir_in_use(self):
        s = self.server()
        p = subprocess.run([sys.executable, MFEMU, "--data", s.data, "--listen", "127.0.0.1:0"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(b"in use", p.stderr)

    def test_bad_arguments(self):
        p = subprocess.run([sys.executable, MFEMU, "--data", "/tmp/x-unused", "--account", "noseparator"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
        self.assertEqual(p.returncode, 2)
        p = subprocess.run([sys.executable, MFEMU, "--help"], stdout=subprocess.PIPE, timeout=20)
        self.assertEqual(p.returncode, 0)
        for flag in (b"--listen", b"--data", b"--account", b"--faults", b"--seed", b"--log",
                     b"--control", b"--sig-mode", b"--poll-immediate", b"--tls-cert", b"--tls-key",
                     b"--dl-listen"):
            self.assertIn(flag, p.stdout)


class Http(ServerTest):
    def test_keep_alive(self):
        s = self.server()
        c = self.client(s)
        for _ in range(10):
            self.assertTrue(c.call("user/get_info").ok)
        remotes = {x["remote"] for x in s.records()}
        self.assertEqual(len(remotes), 1)

    def test_chunked_form_body(self):
        s = self.server()
        c = self.client(s)
        path = c.api_path("folder/create")
        q = c.query({"foldername": "chunky"}, path=path)

        def gen():
            for i in range(0, len(q), 7):
                yield q[i:i + 7].encode()
        conn = c._conn()
        conn.request("POST", path, body=gen(), encode_chunked=True,
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        resp = conn.getresponse()
        body = resp.read()
        self.assertIn(b'"result":"Success"', body)
        c.key = (c.key * 16807) % 2147483647
        self.assertTrue(c.call("user/get_info").ok)

    def test_expect_100_continue(self):
        s = self.server(args=["--poll-immediate"])
        c = self.client(s)
        tok = c.action_token()
        data = b"sent after 100 Continue"
        q = c.query({}, token=tok, sign=False)
        sock = socket.create_connection(("127.0.0.1", s.port), timeout=10)
        self.addCleanup(sock.close)
        sock.sendall(("POST /api/1.3/upload/simple.php?%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      "Content-Length: %d\r\nExpect: 100-continue\r\nX-Filename: e.txt\r\n"
                      "X-Filesize: %d\r\nContent-Type: application/octet-stream\r\n\r\n"
                      % (q, len(data), len(data))).encode())
        head = sock.recv(100)
        self.assertTrue(head.startswith(b"HTTP/1.1 100"), head)
        sock.sendall(data)
        buf = b""
        while b'"result":"Success"' not in buf:
            chunk = sock.recv(4096)
            if not chunk:
                break
            buf += chunk
        self.assertIn(b"HTTP/1.1 200", buf)
        key = re.search(rb'"key":"([a-z0-9]{11})"', buf).group(1).decode()
        d, _ = c.poll(key)
        self.assertEqual(d["hash"], sha256(data))

    def test_unknown_paths(self):
        s = self.server()
        c = self.client(s)
        self.assertEqual(c.raw("GET", "/nothing").status, 404)
        r = c.call("folder/no_such_call")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.r["result"], "Error")

    def test_absolute_form_target(self):
        s = self.server()
        c = self.client(s)
        path = c.api_path("user/get_info")
        q = c.query({}, path=path)
        r = c.raw("GET", "http://127.0.0.1:%d%s?%s" % (s.port, path, q))
        self.assertTrue(r.ok, r)


if __name__ == "__main__":
    unittest.main()
