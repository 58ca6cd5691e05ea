"""Every fault action, triggered once at least and seen in the request log."""

import http.client
import json
import socket
import time
import unittest

from mfclient import Client, Server, next_key, sha256

import mfemu_faults


class FaultCase(unittest.TestCase):
    """One shared server; every test starts with no rules and a fresh login."""

    @classmethod
    def setUpClass(cls):
        cls.s = Server(args=["--failed-login-limit", "1000"])
        cls.s.start()

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()

    def setUp(self):
        self.s.control("DELETE", "faults")
        self.c = self.new_client()

    def new_client(self, timeout=30):
        c = Client(self.s.url, timeout=timeout)
        self.addCleanup(c.close)
        r = c.login()
        self.assertTrue(r.ok, r)
        return c

    def fault(self, rule):
        return self.s.add_fault(rule)

    def rec(self, action):
        """The last log record with ${action} applied."""
        recs = [x for x in self.s.records() if x.get("fault") == action]
        self.assertTrue(recs, "fault %s not in the request log" % action)
        return recs[-1]

    def assert_desync(self, c):
        """The server advanced, the client did not: the next call is 127."""
        self.assertEqual(c.call("user/get_info").error, 127)

    def assert_in_sync(self, c):
        self.assertTrue(c.call("user/get_info").ok)


class ApiFaults(FaultCase):
    def test_action_http500_before_advance(self):
        fid = self.fault({"match": {"path": "user/get_info"}, "action": "http500_before_advance"})
        r = self.c.call("user/get_info")
        self.assertEqual(r.status, 500)
        self.assertEqual(r.headers["content-type"], "text/html")
        self.assertIsNone(r.r)
        rec = self.rec("http500_before_advance")
        self.assertEqual((rec["status"], rec["fault_id"]), (500, fid))
        self.assertIsNone(rec["key_before"])
        self.assert_in_sync(self.c)
        self.assertEqual(self.s.fault_hits(fid), 1)

    def test_action_http500_after_advance(self):
        self.fault({"match": {"path": "folder/create"}, "action": "http500_after_advance"})
        r = self.c.call("folder/create", {"foldername": "not-made"})
        self.assertEqual((r.status, r.r), (500, None))
        rec = self.rec("http500_after_advance")
        self.assertEqual(rec["key_after"], next_key(rec["key_before"]))
        self.assert_desync(self.c)
        c = self.new_client()
        names = [f["name"] for f in c.call("folder/get_content", {"content_type": "folders"})
                 .r["folder_content"]["folders"]]
        self.assertNotIn("not-made", names)
        # execute:true runs the method before the 500
        self.fault({"match": {"path": "folder/create"}, "action": "http500_after_advance",
                    "execute": True})
        r = c.call("folder/create", {"foldername": "made"})
        self.assertEqual(r.status, 500)
        c = self.new_client()
        names = [f["name"] for f in c.call("folder/get_content", {"content_type": "folders"})
                 .r["folder_content"]["folders"]]
        self.assertIn("made", names)

    def test_action_json_error_after_advance(self):
        self.fault({"match": {"path": "user/get_info"}, "action": "json_error_after_advance",
                    "code": 100})
        r = self.c.call("user/get_info")
        self.assertEqual(r.error, 100)
        self.assertNotIn("new_key", r.r)
        self.assertEqual(r.headers["content-type"], "application/json")
        rec = self.rec("json_error_after_advance")
        self.assertEqual(rec["key_after"], next_key(rec["key_before"]))
        self.assertEqual(rec["error"], 100)
        self.assert_desync(self.c)
        c = self.new_client()
        self.fault({"match": {"path": "user/get_info"}, "action": "json_error_after_advance",
                    "code": 208, "new_key": True, "http_status": 503})
        r = c.call("user/get_info")
        self.assertEqual((r.status, r.error, r.r.get("new_key")), (503, 208, "yes"))
        self.assert_in_sync(c)

    def test_action_drop_before(self):
        self.fault({"match": {"path": "user/get_info"}, "action": "drop_before"})
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.c.call("user/get_info")
        rec = self.rec("drop_before")
        self.assertIsNone(rec["status"])
        self.assertTrue(rec["dropped"])
        self.assert_in_sync(self.c)

    def test_action_drop_after(self):
        self.fault({"match": {"path": "folder/create"}, "action": "drop_after"})
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.c.call("folder/create", {"foldername": "dropped-but-made"})
        rec = self.rec("drop_after")
        self.assertIsNone(rec["status"])
        self.assertEqual(rec["key_after"], next_key(rec["key_before"]))
        self.assert_desync(self.c)
        c = self.new_client()
        names = [f["name"] for f in c.call("folder/get_content", {"content_type": "folders"})
                 .r["folder_content"]["folders"]]
        self.assertIn("dropped-but-made", names)

    def test_action_reset_mid_response(self):
        self.fault({"match": {"path": "user/get_info"}, "action": "reset_mid_response", "bytes": 40})
        with self.assertRaises((http.client.HTTPException, ConnectionError)):
            self.c.call("user/get_info")
        rec = self.rec("reset_mid_response")
        self.assertEqual(rec["status"], 200)
        self.assertEqual(rec["bytes_out"], 40)
        self.assert_desync(self.c)

    def test_action_delay(self):
        self.fault({"match": {"path": "user/get_info"}, "action": "delay", "ms": 400})
        t = time.time()
        self.assertTrue(self.c.call("user/get_info").ok)
        self.assertGreaterEqual(time.time() - t, 0.39)
        self.rec("delay")
        # a client with a short timeout gives up; the server still runs the call
        c = self.new_client(timeout=0.15)
        self.fault({"match": {"path": "user/get_info"}, "action": "delay", "ms": 500})
        with self.assertRaises(socket.timeout):
            c.call("user/get_info")
        time.sleep(0.5)
        c.timeout = 30
        self.assert_desync(c)

    def test_action_slow_body(self):
        self.fault({"match": {"path": "user/get_info"}, "action": "slow_body", "bytes_per_sec": 2000})
        t = time.time()
        r = self.c.call("user/get_info")
        self.assertTrue(r.ok)
        self.assertGreaterEqual(time.time() - t, len(r.body) / 2000.0 * 0.8)
        self.rec("slow_body")

    def test_action_error(self):
        self.fault({"match": {"path": "user/get_info"}, "action": "error", "code": 127})
        r = self.c.call("user/get_info")
        self.assertEqual(r.error, 127)
        self.assertNotIn("new_key", r.r)
        rec = self.rec("error")
        self.assertIsNone(rec["key_before"])
        self.assert_in_sync(self.c)
        for code in (105, 162, 163, 169, 100, 208):
            self.fault({"match": {"path": "user/get_info"}, "action": "error", "code": code,
                        "http_status": 503 if code == 163 else None})
            r = self.c.call("user/get_info")
            self.assertEqual(r.error, code)
            if code == 105:
                self.assertNotIn("new_key", r.r)
            else:
                self.assertEqual(r.r["new_key"], "yes")
            if code == 163:
                self.assertEqual(r.status, 503)
            self.assert_in_sync(self.c)
        # advance:false on a code that normally advances
        self.fault({"match": {"path": "user/get_info"}, "action": "error", "code": 100,
                    "advance": False, "message": "custom"})
        r = self.c.call("user/get_info")
        self.assertEqual((r.error, r.r["message"]), (100, "custom"))
        self.assertNotIn("new_key", r.r)
        self.assert_in_sync(self.c)

    def test_action_cloudflare_html(self):
        self.fault({"match": {"path": "user/*"}, "action": "cloudflare_html", "status": 403})
        r = self.c.call("user/get_info")
        self.assertEqual(r.status, 403)
        self.assertIn(b"Just a moment...", r.body)
        self.assertEqual(self.rec("cloudflare_html")["status"], 403)
        self.assert_in_sync(self.c)
        self.fault({"match": {"path": "user/*"}, "action": "cloudflare_html"})
        self.assertEqual(self.c.call("user/get_info").status, 503)

    def test_action_http413(self):
        tok = self.c.action_token()
        self.fault({"match": {"path": "upload/simple", "method": "POST"}, "action": "http413"})
        r = self.c.simple_upload("x.bin", b"small", token=tok)
        self.assertEqual(r.status, 413)
        self.assertEqual(r.headers["content-type"], "text/html")
        self.assertEqual(self.rec("http413")["status"], 413)
        self.assertTrue(self.c.simple_upload("x.bin", b"small", token=tok).ok)

    def test_action_wrong_content_type(self):
        self.fault({"match": {"path": "user/get_info"}, "action": "wrong_content_type"})
        r = self.c.call("user/get_info")
        self.assertEqual(r.headers["content-type"], "text/xml")
        self.assertTrue(r.ok)
        self.fault({"match": {"path": "user/get_info"}, "action": "wrong_content_type",
                    "content_type": "application/json; charset=utf-8"})
        r = self.c.call("user/get_info")
        self.assertEqual(r.headers["content-type"], "application/json; charset=utf-8")
        self.rec("wrong_content_type")
        self.assert_in_sync(self.c)

    def test_action_rate_limit(self):
        fid = self.fault({"match": {"path": "user/get_info"}, "action": "rate_limit",
                          "calls": 3, "window": 60})
        for _ in range(3):
            self.assertTrue(self.c.call("user/get_info").ok)
        for _ in range(2):
            r = self.c.call("user/get_info")
            self.assertEqual(r.error, 163)
            self.assertEqual(r.r["new_key"], "yes")
        self.assertTrue(self.c.call("folder/get_info").ok)
        self.assertEqual(self.s.fault_hits(fid), 2)
        self.rec("rate_limit")
        self.s.control("POST", "clock", {"advance": 61})
        self.assertTrue(self.c.call("user/get_info").ok)

    def test_action_expire_session(self):
        self.fault({"match": {"path": "folder/get_info"}, "action": "expire_session"})
        self.assertEqual(self.c.call("folder/get_info").error, 105)
        self.assertEqual(self.c.call("user/get_info").error, 105)
        self.rec("expire_session")
        c = self.new_client()
        self.fault({"match": {"path": "folder/get_info"}, "action": "expire_session", "stage": "after"})
        self.assertTrue(c.call("folder/get_info").ok)
        self.assertEqual(c.call("user/get_info").error, 105)

    def test_action_invalidate_all_sessions(self):
        c2 = self.new_client()
        self.fault({"match": {"path": "user/get_info"}, "action": "invalidate_all_sessions"})
        self.assertEqual(self.c.call("user/get_info").error, 105)
        self.assertEqual(c2.call("user/get_info").error, 105)
        self.rec("invalidate_all_sessions")
        self.assertTrue(self.new_client().call("user/get_info").ok)

    def test_action_login_fail(self):
        c = Client(self.s.url)
        self.addCleanup(c.close)
        self.fault({"match": {"path": "user/get_session_token"}, "action": "login_fail", "code": 243})
        self.assertEqual(c.login().error, 243)
        self.fault({"match": {"path": "user/get_session_token"}, "action": "login_fail"})
        self.assertEqual(c.login().error, 107)
        self.assertEqual(self.rec("login_fail")["error"], 107)
        self.assertTrue(c.login().ok)


class UploadFaults(FaultCase):
    def put(self, name, data, aod=None):
        tok = self.c.action_token()
        r = self.c.simple_upload(name, data, aod=aod, token=tok)
        self.assertTrue(r.ok, r)
        return r.r["doupload"]["key"]

    def test_action_poll_stuck(self):
        key = self.put("stuck.txt", b"stuck")
        self.fault({"match": {"path": "upload/poll_upload"}, "action": "poll_stuck",
                    "status": 17, "polls": 2})
        _, seen = self.c.poll(key)
        self.assertEqual([x["status"] for x in seen], ["17", "17", "5", "6", "99"])
        self.rec("poll_stuck")
        key = self.put("stuck2.txt", b"stuck2")
        self.fault({"match": {"path": "upload/poll_upload"}, "action": "poll_stuck",
                    "status": 18, "polls": "forever"})
        _, seen = self.c.poll(key, max_polls=8)
        self.assertEqual([x["status"] for x in seen], ["18"] * 8)

    def test_action_poll_fileerror(self):
        key = self.put("fe.txt", b"fileerror")
        self.fault({"match": {"path": "upload/poll_upload"}, "action": "poll_fileerror", "code": 6})
        d, _ = self.c.poll(key)
        self.assertEqual((d["status"], d["fileerror"]), ("99", "6"))
        self.rec("poll_fileerror")
        d, _ = self.c.poll(key)
        self.assertEqual(d["fileerror"], "")

    def test_action_poll_result(self):
        key = self.put("pr.txt", b"poll result")
        self.fault({"match": {"path": "upload/poll_upload"}, "action": "poll_result", "result": -20})
        d, _ = self.c.poll(key)
        self.assertEqual(d["result"], "-20")
        self.fault({"match": {"path": "upload/poll_upload"}, "action": "poll_result", "result": -80})
        d, _ = self.c.poll(key)
        self.assertEqual(d["result"], "-80")
        self.rec("poll_result")
        d, _ = self.c.poll(key)
        self.assertEqual(d["status"], "99")

    def test_action_poll_omit(self):
        key = self.put("omit.txt", b"omit")
        self.fault({"match": {"path": "upload/poll_upload"}, "action": "poll_omit",
                    "fields": ["filename", "hash"], "times": "forever"})
        d, seen = self.c.poll(key)
        for x in seen:
            self.assertNotIn("filename", x)
        self.assertNotIn("hash", d)
        self.assertTrue(d["quickkey"])
        self.rec("poll_omit")

    def resumable_setup(self, name, size=1080):
        data = (sha256(name.encode()).encode() * (size // 64 + 1))[:size]
        ru = self.c.check(name, data).r["resumable_upload"]
        return data, int(ru["unit_size"]), self.c.action_token(), ru

    def test_action_unit_reject(self):
        data, us, tok, ru = self.resumable_setup("rej.bin")
        self.fault({"match": {"path": "upload/resumable"}, "action": "unit_reject", "unit": 1})
        for u in range(17):
            r = self.c.send_unit("rej.bin", data, u, us, token=tok)
            self.assertTrue(r.ok, r)
        words = r.r["resumable_upload"]["bitmap"]["words"]
        self.assertEqual(words, [str(0xFFFF & ~2), "1"])
        self.assertEqual(self.rec("unit_reject")["upload"]["unit"], 1)
        r = self.c.call("upload/poll_upload", {"key": ru["upload_key"]})
        self.assertEqual(r.r["doupload"]["status"], "17")
        self.assertTrue(self.c.send_unit("rej.bin", data, 1, us, token=tok).ok)
        d, _ = self.c.poll(ru["upload_key"])
        self.assertEqual(d["fileerror"], "")

    def test_action_unit_hash_mismatch(self):
        data, us, tok, ru = self.resumable_setup("uhm.bin")
        self.fault({"match": {"path": "upload/resumable", "unit": 0}, "action": "unit_hash_mismatch"})
        r = self.c.send_unit("uhm.bin", data, 0, us, token=tok)
        self.assertEqual(r.error, 169)
        self.rec("unit_hash_mismatch")
        ru = self.c.check("uhm.bin", data).r["resumable_upload"]
        self.assertEqual(ru["bitmap"]["words"], ["0", "0"])

    def test_action_lose_units(self):
        data, us, tok, ru = self.resumable_setup("lu.bin")
        for u in range(5):
            self.c.send_unit("lu.bin", data, u, us, token=tok)
        self.fault({"match": {"path": "upload/resumable"}, "action": "lose_units"})
        r = self.c.send_unit("lu.bin", data, 5, us, token=tok)
        self.assertEqual(r.r["resumable_upload"]["bitmap"]["words"], [str(1 << 5), "0"])
        self.rec("lose_units")

    def test_action_assembly_hash_mismatch(self):
        key = self.put("ahm.txt", b"assembly")
        self.fault({"match": {"path": "upload/poll_upload"}, "action": "assembly_hash_mismatch"})
        d, _ = self.c.poll(key)
        self.assertEqual((d["status"], d["fileerror"]), ("99", "7"))
        self.rec("assembly_hash_mismatch")
        data, us, tok, ru = self.resumable_setup("ahm.bin", 250)
        self.fault({"match": {"path": "upload/resumable", "filename": "ahm.*"},
                    "action": "assembly_hash_mismatch"})
        for u in range(2):
            self.c.send_unit("ahm.bin", data, u, us, token=tok)
        d, _ = self.c.poll(ru["upload_key"])
        self.assertEqual(d["fileerror"], "7")

    def test_action_quota_exceeded(self):
        key = self.put("q.txt", b"quota")
        self.assertEqual(self.c.poll(key)[0]["fileerror"], "")
        self.fault({"match": {"path": "upload/simple"}, "action": "quota_exceeded"})
        key = self.put("q2.txt", b"quota2")
        d, _ = self.c.poll(key)
        self.assertEqual(d["fileerror"], "15")
        self.fault({"match": {"path": "upload/check"}, "action": "quota_exceeded"})
        self.assertEqual(self.c.check("q3", b"q3", resumable=False).r["storage_limit_exceeded"], "yes")
        self.fault({"match": {"path": "upload/instant"}, "action": "quota_exceeded"})
        r = self.c.call("upload/instant", {"filename": "q4", "size": "5", "hash": sha256(b"quota")})
        self.assertEqual(r.error, 162)
        self.fault({"match": {"path": "upload/simple"}, "action": "quota_exceeded", "as": "error"})
        r = self.c.simple_upload("q5", b"q5", token=self.c.action_token())
        self.assertEqual(r.error, 162)
        self.rec("quota_exceeded")

    def test_action_force_chunk_size(self):
        for i in range(5):
            self.c.call("folder/create", {"foldername": "fc%d" % i})
        self.fault({"match": {"path": "folder/get_content"}, "action": "force_chunk_size", "size": 2})
        r = self.c.call("folder/get_content", {"content_type": "folders", "chunk_size": "100"})
        fc = r.r["folder_content"]
        self.assertEqual((fc["chunk_size"], len(fc["folders"]), fc["more_chunks"]), ("2", 2, "yes"))
        self.rec("force_chunk_size")

    def test_action_more_chunks_lies(self):
        self.c.call("folder/create", {"foldername": "lie"})
        self.fault({"match": {"path": "folder/get_content"}, "action": "more_chunks_lies"})
        r = self.c.call("folder/get_content", {"content_type": "folders", "chunk_size": "1000"})
        self.assertEqual(r.r["folder_content"]["more_chunks"], "yes")
        r = self.c.call("folder/get_content", {"content_type": "folders", "chunk_size": "1000",
                                               "chunk": "2"})
        self.assertEqual((r.r["folder_content"]["folders"], r.r["folder_content"]["more_chunks"]),
                         ([], "no"))
        self.rec("more_chunks_lies")


class DownloadFaults(FaultCase):
    def setUp(self):
        FaultCase.setUp(self)
        self.data = bytes(range(256)) * 16
        tok = self.c.action_token()
        r = self.c.simple_upload("dl-%f.bin" % time.time(), self.data, token=tok)
        d, _ = self.c.poll(r.r["doupload"]["key"])
        self.url = self.c.get_links(d["quickkey"])

    def test_action_truncate(self):
        self.fault({"match": {"path": "dl/*"}, "action": "truncate"})
        g = self.c.fetch(self.url)
        self.assertEqual(len(g.body), len(self.data) // 2)
        self.assertEqual(self.rec("truncate")["bytes_out"], len(self.data) // 2)

    def test_action_corrupt(self):
        self.fault({"match": {"path": "dl/*"}, "action": "corrupt"})
        g = self.c.fetch(self.url)
        self.assertEqual(len(g.body), len(self.data))
        self.assertNotEqual(g.body, self.data)
        self.rec("corrupt")

    def test_action_html_instead(self):
        self.fault({"match": {"path": "dl/*"}, "action": "html_instead"})
        g = self.c.fetch(self.url)
        self.assertEqual(g.status, 200)
        self.assertEqual(g.headers["content-type"], "text/html")
        self.rec("html_instead")

    def test_action_http429(self):
        self.fault({"match": {"path": "dl/*", "method": "GET"}, "action": "http429"})
        g = self.c.fetch(self.url)
        self.assertEqual(g.status, 429)
        self.assertIn("retry-after", g.headers)
        self.rec("http429")
        self.assertEqual(self.c.fetch(self.url).body, self.data)

    def test_action_http500(self):
        self.fault({"match": {"path": "dl/*"}, "action": "http500"})
        self.assertEqual(self.c.fetch(self.url).status, 500)
        self.rec("http500")

    def test_action_slow(self):
        self.fault({"match": {"path": "dl/*"}, "action": "slow", "bytes_per_sec": 20000})
        t = time.time()
        g = self.c.fetch(self.url)
        self.assertEqual(g.body, self.data)
        self.assertGreaterEqual(time.time() - t, len(self.data) / 20000.0 * 0.8)
        self.rec("slow")

    def test_action_expired_link(self):
        self.fault({"match": {"path": "dl/*"}, "action": "expired_link"})
        g = self.c.fetch(self.url)
        self.assertIn(b"<html", g.body)
        self.rec("expired_link")
        self.assertEqual(self.c.fetch(self.url).body, self.data)

    def test_generic_actions_on_downloads(self):
        self.fault({"match": {"path": "dl/*"}, "action": "reset_mid_response", "bytes": 100})
        u = self.url.split("/", 3)
        c = http.client.HTTPConnection(u[2].split(":")[0], int(u[2].split(":")[1]), timeout=10)
        self.addCleanup(c.close)
        with self.assertRaises((http.client.HTTPException, ConnectionError)):
            c.request("GET", "/" + u[3])
            resp = c.getresponse()
            resp.read()
        self.fault({"match": {"path": "dl/*"}, "action": "drop_before"})
        with self.assertRaises((http.client.HTTPException, ConnectionError)):
            self.c.fetch(self.url)
        self.fault({"match": {"path": "dl/*"}, "action": "cloudflare_html"})
        self.assertEqual(self.c.fetch(self.url).status, 503)


class RuleMatching(FaultCase):
    def test_every_action_has_a_test(self):
        names = set()
        for cls in (ApiFaults, UploadFaults, DownloadFaults):
            names |= {n[len("test_action_"):] for n in dir(cls) if n.startswith("test_action_")}
        self.assertEqual(set(mfemu_faults.ACTIONS) - names, set())

    def test_nth_times_and_listing(self):
        fid = self.fault({"match": {"path": "user/get_info", "nth": 3}, "action": "error",
                          "code": 208, "times": 2})
        errs = [self.c.call("user/get_info").error for _ in range(6)]
        self.assertEqual(errs, [None, None, 208, 208, None, None])
        st, body = self.s.control("GET", "faults")
        rule = [r for r in body["rules"] if r["id"] == fid][0]
        self.assertEqual((rule["hits"], rule["matched"], rule["remaining"], rule["times"]), (2, 6, 0, 2))
        st, body = self.s.control("DELETE", "faults?id=%d" % fid)
        self.assertEqual(body["deleted"], 1)

    def test_unlimited_and_other_match_fields(self):
        fid = self.fault({"match": {"path": "folder/*", "method": "GET"}, "action": "error",
                          "code": 100, "times": -1})
        for _ in range(3):
            self.assertEqual(self.c.call("folder/get_info", method="GET").error, 100)
        self.assertTrue(self.c.call("folder/get_info", method="POST").ok)
        self.assertEqual(self.s.fault_hits(fid), 3)
        self.s.control("DELETE", "faults")
        c2 = self.new_client()
        self.fault({"match": {"session": c2.token}, "action": "error", "code": 100, "times": "forever"})
        self.assertTrue(self.c.call("user/get_info").ok)
        self.assertEqual(c2.call("user/get_info").error, 100)
        self.s.control("DELETE", "faults")
        self.fault({"match": {"path": "upload/check", "filename": "*.gpg"}, "action": "error",
                    "code": 100, "times": "forever"})
        self.assertTrue(self.c.check("a.txt", b"a", resumable=False).ok)
        self.assertEqual(self.c.check("a.gpg", b"a", resumable=False).error, 100)

    def test_probability_is_seeded(self):
        runs = []
        for _ in range(2):
            s = Server(args=["--seed", "99"])
            s.start()
            self.addCleanup(s.cleanup)
            c = Client(s.url)
            self.addCleanup(c.close)
            c.login()
            s.add_fault({"match": {"path": "user/get_info", "probability": 0.5}, "action": "error",
                         "code": 100, "times": "forever"})
            runs.append([c.call("user/get_info").error for _ in range(30)])
        self.assertEqual(runs[0], runs[1])
        self.assertIn(100, runs[0])
        self.assertIn(None, runs[0])

    def test_faults_file_and_env(self):
        s = Server(faults=[{"match": {"path": "user/get_info"}, "action": "error", "code": 208}],
                   env={"MFEMU_FAULTS": json.dumps({"match": {"path": "folder/get_info"},
                                                    "action": "error", "code": 169})})
        s.start()
        self.addCleanup(s.cleanup)
        c = Client(s.url)
        self.addCleanup(c.close)
        c.login()
        self.assertEqual(c.call("user/get_info").error, 208)
        self.assertEqual(c.call("folder/get_info").error, 169)
        self.assertTrue(c.call("user/get_info").ok)
        st, body = s.control("GET", "faults")
        self.assertEqual([r["hits"] for r in body["rules"]], [1, 1])

    def test_faults_inline_json_argument(self):
        s = Server(args=["--faults", json.dumps([{"match": {"path": "user/get_info", "nth": 2},
                                                   "action": "error", "code": 163}])])
        s.start()
        self.addCleanup(s.cleanup)
        c = Client(s.url)
        self.addCleanup(c.close)
        c.login()
        self.assertEqual([c.call("user/get_info").error for _ in range(3)], [None, 163, None])

    def test_bad_rules_rejected(self):
        st, body = self.s.control("POST", "faults", {"action": "no_such_action"})
        self.assertEqual(st, 400)
        st, body = self.s.control("POST", "faults", {"match": {"paht": "x"}, "action": "delay"})
        self.assertEqual(st, 400)
        s = Server(faults={"action": "bogus"})
        with self.assertRaises(RuntimeError):
            s.start()
        s.cleanup()

    def test_control_state_and_reset(self):
        self.c.call("folder/create", {"foldername": "to-wipe"})
        st, state = self.s.control("GET", "state")
        self.assertEqual(st, 200)
        self.assertTrue(any(f["name"] == "to-wipe" for f in state["folders"]))
        sess = [x for x in state["sessions"] if x["token"] == self.c.token][0]
        self.assertEqual(sess["key"], self.c.key)
        st, _ = self.s.control("POST", "reset")
        self.assertEqual(st, 200)
        self.assertEqual(self.c.call("user/get_info").error, 105)
        c = self.new_client()
        names = [f["name"] for f in c.call("folder/get_content", {"content_type": "folders"})
                 .r["folder_content"]["folders"]]
        self.assertEqual(names, [])

    def test_control_off_by_default(self):
        s = Server(control=False)
        s.start()
        self.addCleanup(s.cleanup)
        c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
        c.request("GET", "/_mfemu/faults")
        self.assertEqual(c.getresponse().status, 404)
        c.close()


if __name__ == "__main__":
    unittest.main()
