"""Login, sessions, action tokens, envelopes and encodings."""

import hashlib
import json
import os
import unittest
import urllib.parse

from mfclient import EMAIL, PASSWORD, ServerTest, next_key, sha256


class Login(ServerTest):
    def test_login_fields(self):
        s = self.server()
        c = self.client(s, login=False)
        r = c.login()
        self.assertTrue(r.ok, r)
        self.assertEqual(r.headers["content-type"], "application/json")
        self.assertIn(b'"action":"user\\/get_session_token"', r.body)
        self.assertEqual(len(r.r["session_token"]), 144)
        self.assertTrue(all(ch in "0123456789abcdef" for ch in r.r["session_token"]))
        self.assertIsInstance(r.r["secret_key"], str)
        self.assertTrue(1 <= int(r.r["secret_key"]) <= 2 ** 31 - 2)
        self.assertIsInstance(r.r["time"], str)
        self.assertRegex(r.r["time"], r"^\d+\.\d+$")
        self.assertIn("pkey", r.r)
        self.assertIn("ekey", r.r)
        self.assertEqual(r.r["current_api_version"], "1.3")
        self.assertNotIn("new_key", r.r)
        # the login body is not sorted; the log masks the password
        rec = self.last_record(s, "user/get_session_token")
        self.assertEqual(rec["params"]["password"], "***")
        self.assertEqual(rec["params"]["signature"], "***")
        self.assertEqual(rec["status"], 200)

    def test_unversioned_login_path(self):
        s = self.server()
        c = self.client(s, login=False)
        r = c.login(version=None)
        self.assertTrue(r.ok, r)
        self.assertTrue(c.call("user/get_info").ok)

    def test_wrong_app_is_109(self):
        s = self.server()
        c = self.client(s, login=False)
        r = c.login(app_id="1")
        self.assertEqual(r.error, 109)
        self.assertIsInstance(r.r["error"], int)
        self.assertIn("message", r.r)

    def test_wrong_password_107_then_243_lockout(self):
        s = self.server(args=["--failed-login-limit", "3"])
        c = self.client(s, login=False)
        for _ in range(3):
            r = c.login(password="wrong")
            self.assertEqual(r.error, 107)
            self.assertEqual(r.r["message"], "The Credentials you entered are invalid")
        r = c.login()
        self.assertEqual(r.error, 243)
        st, _ = s.control("POST", "unlock", {"email": EMAIL})
        self.assertEqual(st, 200)
        self.assertTrue(c.login().ok)

    def test_default_lockout_after_10(self):
        s = self.server()
        c = self.client(s, login=False)
        for _ in range(10):
            self.assertEqual(c.login(password="nope").error, 107)
        self.assertEqual(c.login().error, 243)

    def test_bad_login_signature_127(self):
        s = self.server()
        c = self.client(s, login=False)
        body = urllib.parse.urlencode([("application_id", "45593"), ("token_version", "2"),
                                       ("response_format", "json"), ("email", EMAIL),
                                       ("password", PASSWORD), ("signature", "0" * 40)])
        r = c.raw("POST", "/api/1.3/user/get_session_token.php", body,
                  {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(r.error, 127)

    def test_app_with_api_key(self):
        s = self.server(config={"apps": {"45593": {"api_key": None}, "42511": {"api_key": "k3y"}}})
        c = self.client(s, login=False, app_id="42511", api_key="k3y")
        self.assertTrue(c.login().ok)
        c2 = self.client(s, login=False, app_id="42511")
        self.assertEqual(c2.login().error, 127)

    def test_login_via_get(self):
        s = self.server()
        c = self.client(s, login=False)
        sig = hashlib.sha1((EMAIL + PASSWORD + "45593").encode()).hexdigest()
        q = urllib.parse.urlencode([("application_id", "45593"), ("token_version", "2"),
                                    ("response_format", "json"), ("email", EMAIL),
                                    ("password", PASSWORD), ("signature", sig)])
        r = c.raw("GET", "/api/1.3/user/get_session_token.php?" + q)
        self.assertTrue(r.ok, r)

    def test_token_v1_needs_no_signature(self):
        s = self.server()
        c = self.client(s, login=False)
        r = c.login(token_version=1)
        self.assertTrue(r.ok, r)
        self.assertNotIn("secret_key", r.r)
        r = c.call("user/get_info", sign=False)
        self.assertTrue(r.ok, r)
        self.assertNotIn("new_key", r.r)

    def scripted_session(self, seed):
        """A fixed sequence of calls; returns every answer body."""
        s = self.server(args=["--seed", str(seed)])
        c = self.client(s, login=False)
        bodies = [c.login().body]
        fk = c.call("folder/create", {"foldername": "x"})
        bodies.append(fk.body)
        fk = fk.r["folder_key"]
        tok = c.call("user/get_action_token", {"type": "upload", "lifespan": "60"})
        bodies.append(tok.body)
        tok = tok.r["action_token"]
        r = c.simple_upload("a.bin", b"seeded content", folder_key=fk, token=tok)
        bodies.append(r.body)
        for _ in range(3):
            bodies.append(c.call("upload/poll_upload", {"key": r.r["doupload"]["key"]}).body)
        data = bytes(range(250))
        ck = c.check("r.bin", data, fk)
        bodies.append(ck.body)
        for u in range(2):
            bodies.append(c.send_unit("r.bin", data, u, 128, fk, token=tok).body)
        for _ in range(3):
            bodies.append(c.call("upload/poll_upload", {"key": ck.r["resumable_upload"]["upload_key"]}).body)
        bodies.append(c.call("upload/instant", {"filename": "i.bin", "size": str(len(data)),
                                                "hash": sha256(data)}).body)
        bodies.append(c.call("folder/get_content", {"folder_key": fk}).body)
        links = c.call("file/get_links", {"quick_key": c.call("folder/get_content", {"folder_key": fk})
                                          .r["folder_content"]["files"][0]["quickkey"]})
        bodies.append(links.body)
        bodies.append(c.call("user/get_info").body)
        s.stop()
        return [x.replace(b":%d\\/" % s.port, b":PORT\\/") for x in bodies]

    def test_seeded_runs_repeat(self):
        a = self.scripted_session(42)
        b = self.scripted_session(42)
        self.assertEqual(len(a), len(b))
        for x, y in zip(a, b):
            self.assertEqual(x, y)
        c = self.scripted_session(43)
        self.assertNotEqual(a[0], c[0])

    def test_get_info_and_renew(self):
        s = self.server()
        c = self.client(s)
        r = c.call("user/get_info")
        ui = r.r["user_info"]
        for k in ("email", "display_name", "used_storage_size", "storage_limit",
                  "storage_limit_exceeded"):
            self.assertIn(k, ui)
            self.assertIsInstance(ui[k], str)
        self.assertEqual(ui["email"], EMAIL)
        k = c.key
        r = c.call("user/renew_session_token")
        self.assertTrue(r.ok, r)
        self.assertEqual(r.r["session_token"], c.token)
        self.assertEqual(r.r["new_key"], "yes")
        self.assertEqual(c.key, next_key(k))
        self.assertTrue(c.call("user/get_info").ok)

    def test_account_added_to_config(self):
        s = self.server(accounts=(("a@x.org", "pw1"), ("b@x.org", "pw:2")))
        with open(os.path.join(s.data, "config.json")) as f:
            conf = json.load(f)
        emails = {a["email"]: a["password"] for a in conf["accounts"]}
        self.assertEqual(emails, {"a@x.org": "pw1", "b@x.org": "pw:2"})
        self.assertIn("45593", conf["apps"])
        self.assertIsNone(conf["apps"]["45593"]["api_key"])
        self.assertIn("unit_sizes", conf)
        self.assertEqual(conf["limits"]["max_chunk_size"], 1000)
        self.assertTrue(self.client(s, email="b@x.org", password="pw:2").token)


class ActionTokens(ServerTest):
    def test_action_token_upload_unsigned(self):
        s = self.server()
        c = self.client(s)
        tok = c.action_token()
        k = c.key
        r = c.simple_upload("a.txt", b"abc", token=tok)
        self.assertTrue(r.ok, r)
        self.assertNotIn("new_key", r.r)
        self.assertEqual(c.key, k)
        rec = self.last_record(s, "upload/simple")
        self.assertEqual(rec["token_type"], "action")
        self.assertIsNone(rec["key_before"])
        # action token on another call: 105
        r = c.call("folder/get_info", token=tok, sign=False)
        self.assertEqual(r.error, 105)
        # still fine on polls
        key = self.last_record(s, "upload/simple")["doupload"]["key"]
        r = c.call("upload/poll_upload", {"key": key}, token=tok, sign=False)
        self.assertTrue(r.ok, r)
        # destroy
        r = c.call("user/destroy_action_token", {"action_token": tok})
        self.assertTrue(r.ok, r)
        r = c.simple_upload("b.txt", b"abcd", token=tok)
        self.assertEqual(r.error, 105)

    def test_action_token_expires(self):
        s = self.server()
        c = self.client(s)
        r = c.call("user/get_action_token", {"type": "upload", "lifespan": "2"})
        tok = r.r["action_token"]
        self.assertTrue(c.simple_upload("a.txt", b"abc", token=tok).ok)
        s.control("POST", "clock", {"advance": 121})
        self.assertEqual(c.simple_upload("a2.txt", b"abc2", token=tok).error, 105)

    def test_upload_with_signed_session(self):
        s = self.server()
        c = self.client(s)
        k = c.key
        r = c.simple_upload("a.txt", b"abc")
        self.assertTrue(r.ok, r)
        self.assertEqual(r.r["new_key"], "yes")
        self.assertEqual(c.key, next_key(k))


class Envelope(ServerTest):
    def test_error_envelope_shape(self):
        s = self.server()
        c = self.client(s)
        r = c.call("file/get_info", {"quick_key": "zzzzzzzzzzzzzzz"})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers["content-type"], "application/json")
        self.assertEqual(r.r["result"], "Error")
        self.assertEqual(r.r["error"], 110)
        self.assertIsInstance(r.r["message"], str)
        self.assertIn(b'"error":110', r.body)

    def test_error_http_status_switch(self):
        s = self.server(args=["--error-http-status", "500"])
        c = self.client(s)
        r = c.call("file/get_info", {"quick_key": "zzzzzzzzzzzzzzz"})
        self.assertEqual(r.status, 500)
        self.assertEqual(r.error, 110)
        self.assertEqual(r.r["new_key"], "yes")

    def test_text_xml_quirk_switch(self):
        s = self.server(args=["--content-type", "text/xml"])
        c = self.client(s)
        r = c.call("user/get_info")
        self.assertEqual(r.headers["content-type"], "text/xml")
        self.assertTrue(r.body.startswith(b"{"))

    def test_xml_when_response_format_missing(self):
        s = self.server()
        c = self.client(s)
        path = c.api_path("user/get_info")
        q = urllib.parse.urlencode([("session_token", c.token)])
        q += "&signature=" + __import__("mfclient").signature(c.key, c.time, path, q)
        r = c.raw("GET", path + "?" + q)
        self.assertTrue(r.body.startswith(b"<?xml"), r)
        self.assertIn(b"<result>Success</result>", r.body)
        self.assertIn(b"<new_key>yes</new_key>", r.body)

    def test_scalars_are_strings(self):
        s = self.server()
        c = self.client(s)
        d = c.put_file("n.txt", b"12345")
        for k in ("result", "status", "size", "revision"):
            self.assertIsInstance(d[k], str, k)
        r = c.call("file/get_info", {"quick_key": d["quickkey"]})

        def walk(o):
            if isinstance(o, dict):
                for v in o.values():
                    walk(v)
            elif isinstance(o, list):
                for v in o:
                    walk(v)
            else:
                self.assertIsInstance(o, str)
        walk(r.r["file_info"])

    def test_settings_at_run_time_and_set_flag(self):
        s = self.server(args=["--set", "error_http_status=418", "--set", "current_api_version=1.5"])
        c = self.client(s)
        r = c.call("file/get_info", {"quick_key": "zzzzzzzzzzzzzzz"})
        self.assertEqual((r.status, r.r["current_api_version"]), (418, "1.5"))
        st, body = s.control("POST", "settings", {"error_http_status": 200, "poll_immediate": True})
        self.assertEqual(st, 200)
        self.assertEqual(body["error_http_status"], 200)
        self.assertEqual(c.call("file/get_info", {"quick_key": "zzzzzzzzzzzzzzz"}).status, 200)
        r = c.simple_upload("a", b"a")
        self.assertEqual(c.poll(r.r["doupload"]["key"])[1][0]["status"], "99")
        st, body = s.control("POST", "settings", {"sig_mode": "sloppy"})
        self.assertEqual(st, 400)
        st, body = s.control("POST", "settings", {"no_such_setting": 1})
        self.assertEqual(st, 400)

    def test_retired_call_126(self):
        s = self.server()
        c = self.client(s)
        r = c.call("upload/upload")
        self.assertEqual(r.error, 126)
        self.assertTrue(r.r["message"].startswith("This API call has been deprecated"))


if __name__ == "__main__":
    unittest.main()
