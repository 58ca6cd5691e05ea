"""The control endpoint, the event log and the rule format."""

import http.client
import ipaddress
import json
import socket
import unittest

from faultproxy_rules import RuleError, normalize_rule, parse_rules
from fphelp import ProxyTest, echo, exchange, read_all


class Control(ProxyTest):
    def test_add_list_clear(self):
        srv = self.tcp(echo)
        p = self.proxy(srv)
        self.assertEqual(p.rules(), [])
        ids = p.add([{"name": "r1", "match": {"conn": 1, "direction": "down"}, "action": "reset",
                      "bytes": 2},
                     {"match": {"method": "PUT"}, "action": "respond", "status": 500}])
        self.assertEqual(ids, [1, 2])
        self.assertEqual(p.add({"rules": [{"action": "delay", "ms": 1}]}), [3])
        rules = p.rules()
        self.assertEqual([(r["id"], r["action"], r["times"], r["remaining"], r["hits"])
                          for r in rules],
                         [(1, "reset", 1, 1, 0), (2, "respond", 1, 1, 0), (3, "delay", -1, None, 0)])
        self.assertEqual(rules[0]["name"], "r1")
        self.assertEqual(rules[0]["match"], {"conn": [1, 1], "direction": "down"})
        self.assertEqual(rules[0]["params"], {"bytes": 2, "mode": "rst"})
        self.assertEqual(p.control("DELETE", "faults?id=2"), (200, {"deleted": 1}))
        self.assertEqual([r["id"] for r in p.rules()], [1, 3])
        self.assertEqual(exchange(p, b"abcd"), (b"ab", "ECONNRESET"))
        rules = p.rules()
        self.assertEqual((rules[0]["hits"], rules[0]["matched"], rules[0]["remaining"]), (1, 1, 0))
        self.assertEqual((rules[0]["active"], rules[1]["active"]), (False, True))
        self.assertEqual((rules[1]["hits"], rules[1]["matched"]), (1, 1))
        self.assertEqual(p.control("DELETE", "faults"), (200, {"deleted": 2}))
        self.assertEqual(p.rules(), [])
        self.assertEqual(exchange(p, b"abcd"), (b"abcd", None))

    def test_rules_added_apply_to_the_next_connection(self):
        srv = self.tcp(echo)
        p = self.proxy(srv)
        c1 = self.connect(p)
        # the proxy binds rules when it accepts; the kernel completes the
        # connect before that, so wait until the proxy has logged it
        self.assertEqual(len(p.wait_records("open", 1)), 1)
        p.add({"match": {"direction": "down"}, "action": "reset", "bytes": 1, "times": "forever"})
        c1.sendall(b"xyz")
        self.assertEqual(read_all(c1, 3), (b"xyz", None))
        self.assertEqual(exchange(p, b"xyz"), (b"x", "ECONNRESET"))

    def test_counters(self):
        srv = self.tcp(echo)
        p = self.proxy(srv, faults=[{"match": {"conn": 2}, "action": "refuse"}])
        self.assertEqual(exchange(p, b"a" * 1000), (b"a" * 1000, None))
        exchange(p, b"b")
        p.wait_records("close", 2)
        c = p.counters()
        self.assertEqual(c, {"connections": 2, "open": 0, "refused": 1, "bytes_up": 1000,
                             "bytes_down": 1000, "faults": 1, "requests": 0})

    def test_bad_requests(self):
        srv = self.tcp(echo)
        p = self.proxy(srv)
        st, body = p.control("POST", "faults", {"action": "explode"})
        self.assertEqual(st, 400)
        self.assertIn("unknown fault action", body["error"])
        st, body = p.control("POST", "faults", b"{not json")
        self.assertEqual(st, 400)
        self.assertIn("not valid JSON", body["error"])
        self.assertEqual(p.control("GET", "nothing")[0], 404)
        self.assertEqual(p.control("DELETE", "faults?id=x")[0], 400)
        self.assertEqual(p.control("POST", "counters", {})[0], 405)
        self.assertEqual(p.rules(), [])


class Log(ProxyTest):
    def test_lines(self):
        srv = self.tcp(echo)
        p = self.proxy(srv, faults=[{"name": "cut", "match": {"conn": 2, "direction": "down"},
                                     "action": "reset", "bytes": 3}])
        self.assertEqual(exchange(p, b"hello"), (b"hello", None))
        p.wait_records("close", 1)
        self.assertEqual(exchange(p, b"hello"), (b"hel", "ECONNRESET"))
        recs = p.wait_records(None, 5)
        self.assertEqual([(r["event"], r["conn"]) for r in recs],
                         [("open", 1), ("close", 1), ("open", 2), ("fault", 2), ("close", 2)])
        self.assertEqual([r["seq"] for r in recs], [1, 2, 3, 4, 5])
        for r in recs:
            self.assertIsInstance(r["ts"], float)
        self.assertRegex(recs[0]["remote"], r"^127\.0\.0\.1:\d+$")
        self.assertEqual({k: recs[1][k] for k in ("bytes_up", "bytes_down", "reason")},
                         {"bytes_up": 5, "bytes_down": 5, "reason": "closed"})
        f = recs[3]
        self.assertEqual({k: f[k] for k in ("rule", "name", "action", "direction", "at", "mode")},
                         {"rule": 1, "name": "cut", "action": "reset", "direction": "down",
                          "at": 3, "mode": "rst"})
        self.assertEqual((recs[4]["bytes_down"], recs[4]["reason"]),
                         (3, "fault: reset after 3 bytes down"))


class Format(unittest.TestCase):
    BAD = [
        ([], "fault rules must be"),
        ({"action": "reset", "match": {"conn": 0}}, "conn must be at least 1"),
        ({"action": "reset", "match": {"conn": [5, 2]}}, "is empty"),
        ({"action": "reset", "match": {"every": "x"}}, "every must be a number"),
        ({"action": "reset", "match": {"direction": "sideways"}}, "direction is"),
        ({"action": "reset", "match": {"probability": 2}}, "probability"),
        ({"action": "reset", "match": {"method": "GET"}}, "for HTTP actions only"),
        ({"action": "reset", "match": {"colour": 1}}, "unknown match field"),
        ({"action": "reset", "bytes": -1}, "bytes must be at least 0"),
        ({"action": "reset", "mode": "gently"}, "mode is rst or close"),
        ({"action": "reset", "speed": 1}, "has no parameter 'speed'"),
        ({"action": "stall", "seconds": "soon"}, "seconds must be"),
        ({"action": "bandwidth"}, "needs rate"),
        ({"action": "bandwidth", "rate": 10, "scope": "world"}, "scope is"),
        ({"action": "refuse", "mode": "listen", "match": {"conn": 2}}, "takes no match fields"),
        ({"action": "refuse", "mode": "maybe"}, "refuse mode is"),
        ({"action": "respond", "status": 100}, "final status"),
        ({"action": "respond", "preset": "s3_nope"}, "unknown respond preset"),
        ({"action": "respond", "headers": {"X-A": "b\r\nInjected: 1"}}, "not a valid header"),
        ({"action": "respond", "body": 5}, "body must be a string"),
        ({"action": "respond", "expect": "maybe"}, "expect is continue or reject"),
        ({"action": "reset", "times": "often"}, "times must be"),
    ]

    def test_bad_rules(self):
        for raw, msg in self.BAD:
            with self.subTest(raw=raw):
                with self.assertRaises(RuleError) as cm:
                    parse_rules(json.dumps(raw))
                self.assertIn(msg, str(cm.exception))

    def test_defaults(self):
        r = normalize_rule({"action": "reset"})
        self.assertEqual((r["times"], r["params"], r["match"]),
                         (1, {"bytes": 0, "mode": "rst"}, {"direction": "both"}))
        self.assertEqual(normalize_rule({"action": "delay"})["times"], -1)
        self.assertEqual(normalize_rule({"action": "bandwidth", "rate": 5})["times"], -1)
        self.assertEqual(normalize_rule({"action": "refuse"})["times"], 1)
        self.assertEqual(normalize_rule({"action": "refuse", "seconds": 2})["times"], -1)
        self.assertEqual(normalize_rule({"action": "refuse", "seconds": 2, "times": 3})["times"], 3)
        r = normalize_rule({"action": "respond", "preset": "s3_slowdown", "headers": {"X-A": "1"}})
        self.assertEqual(r["params"]["status"], 503)
        self.assertEqual(r["params"]["headers"], [["Content-Type", "application/xml"], ["X-A", "1"]])
        self.assertEqual(normalize_rule({"action": "reset", "params": {"bytes": 9}})["params"]["bytes"], 9)


def non_loopback_address():
    """An address of this host that is not loopback, or None."""
    for family, probe in ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8::1")):
        s = socket.socket(family, socket.SOCK_DGRAM)
        try:
            s.connect((probe, 9))
            addr = s.getsockname()[0]
        except OSError:
            continue
        finally:
            s.close()
        if not ipaddress.ip_address(addr).is_loopback:
            return addr
    return None


class ControlMethods(ProxyTest):
    def test_loopback_clients_only(self):
        addr = non_loopback_address()
        if addr is None:
            self.skipTest("this host has no address but loopback")
        srv = self.tcp(echo)
        any_addr = "[::]:0" if ":" in addr else "0.0.0.0:0"
        p = self.proxy(srv, control=False, args=["--control", any_addr])
        p.control_port = int(p._readline(15).rsplit(":", 1)[1])
        c = http.client.HTTPConnection(addr, p.control_port, timeout=10)
        c.request("GET", "/_faultproxy/faults")
        r = c.getresponse()
        self.assertEqual(r.status, 403)
        self.assertIn(b"loopback", r.read())
        c.close()
        self.assertEqual(p.rules(), [])

    def test_unknown_method(self):
        srv = self.tcp(echo)
        p = self.proxy(srv)
        c = http.client.HTTPConnection("127.0.0.1", p.control_port, timeout=10)
        c.request("PATCH", "/_faultproxy/faults")
        self.assertEqual(c.getresponse().status, 501)
        c.close()
