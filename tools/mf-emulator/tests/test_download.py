"""Direct download links: Range, HEAD, expiry, second listener, TLS."""

import os
import shutil
import ssl
import subprocess
import unittest
import urllib.parse

from mfclient import Client, ServerTest, sha256


def blob(n):
    return bytes((i * 7 + 3) % 251 for i in range(n))


class Download(ServerTest):
    def setUp(self):
        self.s = self.server(args=["--poll-immediate"])
        self.c = self.client(self.s)
        self.data = blob(5000)
        self.d = self.c.put_file("my volume.gpg", self.data)
        self.qk = self.d["quickkey"]

    def test_link_shape_and_full_get(self):
        r = self.c.call("file/get_links", {"quick_key": self.qk, "link_type": "direct_download"})
        links = r.r["links"]
        self.assertEqual(links[0]["quickkey"], self.qk)
        url = links[0]["direct_download"]
        u = urllib.parse.urlsplit(url)
        self.assertEqual((u.scheme, u.hostname, u.port), ("http", "127.0.0.1", self.s.port))
        parts = u.path.split("/")
        self.assertEqual(parts[1], "dl")
        self.assertEqual(parts[3], self.qk)
        self.assertEqual(parts[4], "my%20volume.gpg")
        self.assertIn(b"\\/dl\\/", r.body)
        g = self.c.fetch(url)
        self.assertEqual(g.status, 200)
        self.assertEqual(g.body, self.data)
        self.assertEqual(g.headers["content-length"], "5000")
        self.assertEqual(g.headers["content-type"], "application/octet-stream")
        self.assertIn("my volume.gpg", g.headers["content-disposition"])
        self.assertEqual(g.headers["accept-ranges"], "bytes")
        rec = self.last_record(self.s)
        self.assertEqual(rec["path"], "dl/%s/my volume.gpg" % self.qk)
        self.assertEqual(rec["status"], 200)
        # all link types at once, several files
        d2 = self.c.put_file("b.gpg", b"bbb")
        r = self.c.call("file/get_links", {"quick_key": self.qk + "," + d2["quickkey"]})
        self.assertEqual(len(r.r["links"]), 2)
        for e in r.r["links"]:
            self.assertIn("direct_download", e)
            self.assertIn("normal_download", e)
        self.assertEqual(self.c.call("file/get_links", {"quick_key": "nope00000000000"}).error, 110)

    def test_range_and_head(self):
        url = self.c.get_links(self.qk)
        g = self.c.fetch(url, {"Range": "bytes=10-19"})
        self.assertEqual(g.status, 206)
        self.assertEqual(g.body, self.data[10:20])
        self.assertEqual(g.headers["content-range"], "bytes 10-19/5000")
        g = self.c.fetch(url, {"Range": "bytes=4990-"})
        self.assertEqual((g.status, g.body), (206, self.data[4990:]))
        g = self.c.fetch(url, {"Range": "bytes=-25"})
        self.assertEqual((g.status, g.body), (206, self.data[-25:]))
        g = self.c.fetch(url, {"Range": "bytes=4000-9999"})
        self.assertEqual((g.status, g.body), (206, self.data[4000:]))
        g = self.c.fetch(url, {"Range": "bytes=5000-"})
        self.assertEqual(g.status, 416)
        self.assertEqual(g.headers["content-range"], "bytes */5000")
        g = self.c.fetch(url, method="HEAD")
        self.assertEqual((g.status, g.body), (200, b""))
        self.assertEqual(g.headers["content-length"], "5000")
        # resume a cut download with Range
        first = self.data[:1234]
        g = self.c.fetch(url, {"Range": "bytes=1234-"})
        self.assertEqual(sha256(first + g.body), sha256(self.data))

    def test_truncated_and_corrupt_are_detectable(self):
        url = self.c.get_links(self.qk)
        self.s.add_fault({"match": {"path": "dl/*"}, "action": "truncate", "bytes": 1000})
        g = self.c.fetch(url)
        self.assertEqual(g.headers["content-length"], "5000")
        self.assertEqual(len(g.body), 1000)
        self.assertIsNotNone(g.read_error)
        self.s.add_fault({"match": {"path": "dl/*"}, "action": "corrupt", "offset": 4321})
        g = self.c.fetch(url)
        self.assertEqual(len(g.body), 5000)
        self.assertNotEqual(sha256(g.body), self.d["hash"])
        self.assertEqual(g.body[4321], self.data[4321] ^ 0xFF)
        g = self.c.fetch(url)
        self.assertEqual(sha256(g.body), self.d["hash"])
        faults = [x["fault"] for x in self.s.records() if x["path"].startswith("dl/")]
        self.assertEqual(faults, ["truncate", "corrupt", None])

    def test_expired_and_unknown_links(self):
        url = self.c.get_links(self.qk)
        self.assertEqual(self.c.fetch(url).status, 200)
        self.s.control("POST", "clock", {"advance": 3601})
        g = self.c.fetch(url)
        self.assertEqual(g.status, 200)
        self.assertTrue(g.headers["content-type"].startswith("text/html"))
        self.assertIn(b"<html", g.body)
        url2 = self.c.get_links(self.qk)
        self.assertEqual(self.c.fetch(url2).body, self.data)
        bad = url2.replace("/dl/", "/dl/x")
        self.assertTrue(self.c.fetch(bad).headers["content-type"].startswith("text/html"))
        self.c.call("file/purge", {"quick_key": self.qk})
        self.assertIn(b"<html", self.c.fetch(url2).body)

    def test_expired_link_404_switch(self):
        s = self.server(args=["--expired-link", "404", "--link-ttl", "10"])
        c = self.client(s)
        d = c.put_file("x", b"xx")
        url = c.get_links(d["quickkey"])
        s.control("POST", "clock", {"advance": 11})
        self.assertEqual(c.fetch(url).status, 404)


class Listeners(ServerTest):
    def test_dl_listen_second_port(self):
        s = self.server(args=["--poll-immediate", "--dl-listen", "127.0.0.1:0"])
        line = s.read_extra_line()
        self.assertTrue(line.startswith("mfemu dl listening on http://127.0.0.1:"), line)
        dl_port = int(line.rsplit(":", 1)[1])
        self.assertNotEqual(dl_port, s.port)
        c = self.client(s)
        d = c.put_file("x.bin", b"second host")
        url = c.get_links(d["quickkey"])
        self.assertEqual(urllib.parse.urlsplit(url).port, dl_port)
        self.assertEqual(c.fetch(url).body, b"second host")
        # the download host serves no API
        other = Client("http://127.0.0.1:%d" % dl_port)
        self.addCleanup(other.close)
        self.assertEqual(other.login().status, 404)

    @unittest.skipUnless(shutil.which("openssl"), "openssl not installed")
    def test_tls(self):
        tmp = self.server(control=False).tmp
        cert = os.path.join(tmp, "cert.pem")
        key = os.path.join(tmp, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                        "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        s = self.server(args=["--poll-immediate", "--tls-cert", cert, "--tls-key", key])
        self.assertTrue(s.first_line.startswith("mfemu listening on https://127.0.0.1:"), s.first_line)
        c = Client(s.url)
        c.ssl_context = ssl._create_unverified_context()
        self.addCleanup(c.close)
        self.assertTrue(c.login().ok)
        d = c.put_file("tls.bin", b"over tls")
        url = c.get_links(d["quickkey"])
        self.assertTrue(url.startswith("https://"), url)
        self.assertEqual(c.fetch(url).body, b"over tls")
        # TLS on a second port, plain HTTP on the first
        s2 = self.server(args=["--tls-cert", cert, "--tls-key", key, "--tls-listen", "127.0.0.1:0"])
        self.assertTrue(s2.first_line.startswith("mfemu listening on http://"))
        line = s2.read_extra_line()
        self.assertTrue(line.startswith("mfemu tls listening on https://127.0.0.1:"), line)
        c2 = Client(line.split(" on ", 1)[1])
        c2.ssl_context = ssl._create_unverified_context()
        self.addCleanup(c2.close)
        self.assertTrue(c2.login().ok)


if __name__ == "__main__":
    unittest.main()
