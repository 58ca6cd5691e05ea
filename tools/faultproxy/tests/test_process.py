"""The process: first lines, signals, arguments, where rules come from."""

import json
import os
import py_compile
import signal
import socket
import subprocess
import sys
import tempfile
import unittest

from fphelp import FAULTPROXY, ProxyTest, echo, exchange

HERE = os.path.dirname(FAULTPROXY)


def run(args, env=None):
    e = dict(os.environ)
    e.pop("FAULTPROXY_FAULTS", None)
    e.update(env or {})
    return subprocess.run([sys.executable, FAULTPROXY] + args, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=20, env=e)


class Process(ProxyTest):
    def test_first_lines_exact(self):
        srv = self.tcp(echo)
        p = self.proxy(srv)
        self.assertRegex(p.first_line, r"^faultproxy listening on 127\.0\.0\.1:\d+$")
        self.assertRegex(p.control_line, r"^faultproxy control on 127\.0\.0\.1:\d+$")
        self.assertNotEqual(p.port, 0)
        q = self.proxy(srv, control=False)
        self.assertRegex(q.first_line, r"^faultproxy listening on 127\.0\.0\.1:\d+$")

    def test_sigterm_and_sigint_exit_cleanly(self):
        srv = self.tcp(echo)
        for sig in (signal.SIGTERM, signal.SIGINT):
            p = self.proxy(srv)
            c = self.connect(p)
            c.sendall(b"hi")
            self.assertEqual(c.recv(2), b"hi")
            self.assertEqual(p.stop(sig), 0)

    @unittest.skipUnless(os.path.exists("/usr/bin/python3"), "no /usr/bin/python3")
    def test_system_python(self):
        srv = self.tcp(echo)
        p = self.proxy(srv, python="/usr/bin/python3")
        self.assertEqual(exchange(p, b"sys"), (b"sys", None))

    def test_py_compile(self):
        with tempfile.TemporaryDirectory() as d:
            for name in os.listdir(HERE):
                if name.endswith(".py"):
                    py_compile.compile(os.path.join(HERE, name), doraise=True,
                                       cfile=os.path.join(d, name + "c"))

    def test_bad_arguments(self):
        for args, msg in ((["--target", "nowhere"], b"--target wants HOST:PORT"),
                          (["--target", "127.0.0.1:99999"], b"out of range"),
                          (["--target", "127.0.0.1:1", "--faults", "[{\"action\": 3}]"],
                           b"unknown fault action"),
                          (["--target", "127.0.0.1:1", "--faults", "/nonexistent/rules.json"],
                           b"No such file")):
            p = run(args)
            self.assertEqual(p.returncode, 2, args)
            self.assertIn(msg, p.stderr)
        self.assertEqual(run([]).returncode, 2)
        p = run(["--help"])
        self.assertEqual(p.returncode, 0)
        for flag in (b"--listen", b"--target", b"--faults", b"--seed", b"--log", b"--control",
                     b"--http"):
            self.assertIn(flag, p.stdout)

    def test_ipv6(self):
        try:
            with socket.socket(socket.AF_INET6) as probe:
                probe.bind(("::1", 0))
        except OSError:
            self.skipTest("no IPv6 loopback")
        srv = self.tcp(echo)
        p = self.proxy(srv, listen="[::1]:0")
        self.assertRegex(p.first_line, r"^faultproxy listening on \[::1\]:\d+$")
        c = socket.create_connection(("::1", p.port), timeout=10)
        self.addCleanup(c.close)
        c.sendall(b"six")
        self.assertEqual(c.recv(3), b"six")

    def test_cannot_listen(self):
        srv = self.tcp(echo)
        p = run(["--listen", "127.0.0.1:%d" % srv.port, "--target", "127.0.0.1:1"])
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"cannot listen", p.stderr)

    def test_rules_from_file_and_environment(self):
        srv = self.tcp(echo)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump({"rules": [{"match": {"conn": 1, "direction": "down"}, "action": "reset",
                                  "bytes": 1}]}, f)
        self.addCleanup(os.unlink, f.name)
        env = {"FAULTPROXY_FAULTS": json.dumps({"match": {"conn": 2, "direction": "down"},
                                                "action": "reset", "bytes": 2})}
        p = self.proxy(srv, faults=f.name, env=env)
        self.assertEqual(exchange(p, b"abc"), (b"a", "ECONNRESET"))
        self.assertEqual(exchange(p, b"abc"), (b"ab", "ECONNRESET"))
        self.assertEqual(exchange(p, b"abc"), (b"abc", None))
        self.assertEqual([r["id"] for r in p.rules()], [1, 2])
