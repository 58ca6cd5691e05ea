"""Per-call signatures (token v2) and the secret-key chain."""

import threading
import unittest
import urllib.parse

from mfclient import EMAIL, Client, ServerTest, next_key, signature

import mfemu_api
import mfemu_util

TOKEN_A = "a" * 144
VECTOR_QUERY = "response_format=json&session_token=" + TOKEN_A
VECTOR_PATH = "/api/1.3/user/get_info.php"


class SignatureVectors(unittest.TestCase):
    def test_vectors_in_verifier_function(self):
        self.assertEqual(mfemu_util.call_signature(1000000000, "0.0", VECTOR_PATH, VECTOR_QUERY),
                         "e4136f4a1c006c3c561092737c9ccbb0")
        self.assertEqual(mfemu_util.next_key(1000000000), 792978578)
        self.assertEqual(mfemu_util.call_signature(792978578, "0.0", VECTOR_PATH, VECTOR_QUERY),
                         "d074bbf8ae3d1337b13289901fc6c2e6")

    def test_login_signature_example(self):
        self.assertEqual(mfemu_util.login_signature("user@example.com", "secret", "45593"),
                         "c7aed28f7fa8b527debdb0066d2333b91eb07ee9")

    def test_query_without_signature(self):
        q = "a=1&signature=xyz&b=c%20d"
        self.assertEqual(mfemu_api.query_without_signature(q), "a=1&b=c%20d")
        self.assertEqual(mfemu_api.query_without_signature("signature=1&x=2"), "x=2")
        self.assertEqual(mfemu_api.decoded_query_without_signature("n=a+b%2Fc&signature=1"),
                         "n=a b/c")

    def test_key_advance_needs_64_bits(self):
        k = 2147483646
        self.assertEqual(mfemu_util.next_key(k), (k * 16807) % 2147483647)
        self.assertLess(mfemu_util.next_key(k), 2147483647)


class SignatureServer(ServerTest):
    def vector_session(self, s):
        st, body = s.control("POST", "session", {"email": EMAIL, "token": TOKEN_A,
                                                  "secret_key": 1000000000, "time": "0.0"})
        self.assertEqual(st, 200, body)

    def test_vectors_accepted_by_server(self):
        s = self.server()
        self.vector_session(s)
        c = Client(s.url)
        self.addCleanup(c.close)
        r = c.raw("GET", VECTOR_PATH + "?" + VECTOR_QUERY + "&signature=e4136f4a1c006c3c561092737c9ccbb0")
        self.assertTrue(r.ok, r)
        self.assertEqual(r.r["new_key"], "yes")
        r = c.raw("GET", VECTOR_PATH + "?" + VECTOR_QUERY + "&signature=d074bbf8ae3d1337b13289901fc6c2e6")
        self.assertTrue(r.ok, r)
        recs = [x for x in s.records() if x["path"] == "user/get_info"]
        self.assertEqual(recs[0]["sig_expected"], "e4136f4a1c006c3c561092737c9ccbb0")
        self.assertEqual(recs[0]["key_before"], 1000000000)
        self.assertEqual(recs[0]["key_after"], 792978578)
        self.assertEqual(recs[1]["sig_expected"], "d074bbf8ae3d1337b13289901fc6c2e6")
        # the old signature is now wrong: 127 and the key stays
        r = c.raw("GET", VECTOR_PATH + "?" + VECTOR_QUERY + "&signature=d074bbf8ae3d1337b13289901fc6c2e6")
        self.assertEqual(r.error, 127)
        self.assertNotIn("new_key", r.r)
        self.assertEqual(r.r["message"], "The signature you specified is invalid")
        rec = self.last_record(s, "user/get_info")
        self.assertEqual(rec["key_before"], rec["key_after"])
        self.assertEqual(rec["error"], 127)

    def test_key_chain_1000_calls(self):
        s = self.server()
        c = self.client(s)
        k0 = c.key
        expected = k0
        for i in range(1000):
            r = c.call("user/get_info", method="GET" if i % 2 else "POST")
            self.assertTrue(r.ok, (i, r))
            self.assertEqual(r.r["new_key"], "yes")
            expected = (expected * 16807) % (2 ** 31 - 1)
            self.assertEqual(c.key, expected)
        recs = [x for x in s.records() if x["path"] == "user/get_info"]
        self.assertEqual(len(recs), 1000)
        k = k0
        for rec in recs:
            self.assertEqual(rec["key_before"], k)
            k = (k * 16807) % 2147483647
            self.assertEqual(rec["key_after"], k)
            self.assertEqual(rec["sig_expected"], rec["sig_received"])
        _, state = s.control("GET", "state")
        sess = [x for x in state["sessions"] if x["token"] == c.token][0]
        self.assertEqual(sess["key"], expected)

    def test_missing_signature_is_127_without_advance(self):
        s = self.server()
        c = self.client(s)
        k = c.key
        r = c.call("user/get_info", sign=False)
        self.assertEqual(r.error, 127)
        self.assertNotIn("new_key", r.r)
        r = c.call("user/get_info")
        self.assertTrue(r.ok, r)
        self.assertEqual(c.key, next_key(k))

    def test_bad_signature_is_127_and_key_unchanged(self):
        s = self.server()
        c = self.client(s)
        path = c.api_path("user/get_info")
        q = c.query({}, sign=False)
        r = c.raw("GET", path + "?" + q + "&signature=" + "0" * 32)
        self.assertEqual(r.error, 127)
        rec = self.last_record(s, "user/get_info")
        self.assertEqual(rec["sig_received"], "0" * 32)
        self.assertEqual(rec["key_before"], rec["key_after"])
        self.assertFalse(rec["new_key"])
        self.assertTrue(c.call("user/get_info").ok)

    def test_error_answers_advance_and_say_new_key(self):
        s = self.server()
        c = self.client(s)
        k = c.key
        r = c.call("folder/get_info", {"folder_key": "nosuchfolder1"})
        self.assertEqual(r.error, 112)
        self.assertEqual(r.r["new_key"], "yes")
        self.assertEqual(c.key, next_key(k))
        self.assertTrue(c.call("user/get_info").ok)

    def test_unknown_token_105_and_missing_token_104(self):
        s = self.server()
        c = self.client(s)
        r = c.call("user/get_info", token="f" * 144, sign=False)
        self.assertEqual(r.error, 105)
        self.assertEqual(r.r["message"], "The supplied Session Token is expired or invalid")
        self.assertNotIn("new_key", r.r)
        r = c.raw("POST", "/api/1.3/user/get_info.php", "response_format=json",
                  {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(r.error, 104)

    def test_parameter_order_as_received(self):
        s = self.server()
        c = self.client(s)
        path = c.api_path("folder/get_content")
        # reverse order on purpose; the server hashes in the order received
        items = [("session_token", c.token), ("response_format", "json"), ("content_type", "folders")]
        q = urllib.parse.urlencode(items)
        q += "&signature=" + signature(c.key, c.time, path, q)
        r = c.raw("POST", path, q, {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertTrue(r.ok, r)
        c.absorb(r)
        # signature first, then the rest
        q2 = urllib.parse.urlencode([("content_type", "files"), ("response_format", "json"),
                                     ("session_token", c.token)])
        sig = signature(c.key, c.time, path, q2)
        r = c.raw("GET", path + "?signature=" + sig + "&" + q2)
        self.assertTrue(r.ok, r)
        c.absorb(r)

    def encoded_call(self, c, mode):
        """folder/create with a name that changes under encoding; sign the
        raw (encoded) or the decoded form."""
        path = c.api_path("folder/create")
        items = sorted({"foldername": "my folder/x", "response_format": "json",
                        "session_token": c.token}.items())
        items = [(k, v.replace("/", "_")) for k, v in items]
        q = urllib.parse.urlencode(items)
        if mode == "raw":
            hashed = q
        else:
            hashed = "&".join("%s=%s" % (k, v) for k, v in items)
        q += "&signature=" + signature(c.key, c.time, path, hashed)
        r = c.raw("POST", path, q, {"Content-Type": "application/x-www-form-urlencoded"})
        c.absorb(r)
        return r

    def test_strict_mode_hashes_raw_bytes(self):
        s = self.server()
        c = self.client(s)
        self.assertTrue(self.encoded_call(c, "raw").ok)
        r = self.encoded_call(c, "decoded")
        self.assertEqual(r.error, 127)

    def test_either_mode_accepts_decoded(self):
        s = self.server(args=["--sig-mode", "either"])
        c = self.client(s)
        self.assertTrue(self.encoded_call(c, "raw").ok)
        self.assertTrue(self.encoded_call(c, "decoded").ok)

    def test_versions_and_unversioned_paths(self):
        s = self.server()
        c = self.client(s)
        for v in ("1.0", "1.1", "1.2", "1.3", "1.4", "1.5", None):
            r = c.call("user/get_info", version=v)
            self.assertTrue(r.ok, (v, r))
        r = c.call("user/get_info", version="9.9")
        self.assertEqual(r.error, 125)

    def test_concurrent_misuse_gives_127(self):
        s = self.server()
        c = self.client(s)
        path = c.api_path("user/get_info")
        q = c.query({}, path=path)
        results = []

        def one():
            cc = Client(s.url)
            try:
                results.append(cc.raw("GET", path + "?" + q))
            finally:
                cc.close()

        ts = [threading.Thread(target=one) for _ in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        oks = [r for r in results if r.ok]
        bad = [r for r in results if r.error == 127]
        self.assertEqual(len(oks), 1, results)
        self.assertEqual(len(bad), 3, results)


if __name__ == "__main__":
    unittest.main()
