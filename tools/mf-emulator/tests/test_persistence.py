"""State under --data survives a stop (SIGTERM) and a crash (SIGKILL)."""

import signal
import unittest

from mfclient import ServerTest, sha256


def blob(n, seed):
    return (sha256(b"%d" % seed).encode() * (n // 64 + 1))[:n]


class Restart(ServerTest):
    def restart(self, s, sig):
        rc = s.stop(sig)
        if sig == signal.SIGTERM:
            self.assertEqual(rc, 0)
        s.start()

    def mid_resumable(self, sig):
        s = self.server()
        c = self.client(s)
        data = blob(2100, sig)
        ru = c.check("vol1.difftar.gpg", data).r["resumable_upload"]
        us = int(ru["unit_size"])
        tok = c.action_token()
        for u in range(16):
            self.assertTrue(c.send_unit("vol1.difftar.gpg", data, u, us, token=tok).ok)
        key_before = c.key
        c.close()
        self.restart(s, sig)
        # same session, same key, no new login
        r = c.check("vol1.difftar.gpg", data)
        self.assertTrue(r.ok, r)
        self.assertEqual(c.key, (key_before * 16807) % 2147483647)
        ru2 = r.r["resumable_upload"]
        self.assertEqual(ru2["upload_key"], ru["upload_key"])
        self.assertEqual(ru2["bitmap"]["words"], ["65535", "0", "0"])
        self.assertEqual(ru2["all_units_ready"], "no")
        # the action token survived too
        for u in range(16, 33):
            self.assertTrue(c.send_unit("vol1.difftar.gpg", data, u, us, token=tok).ok)
        d, _ = c.poll(ru["upload_key"])
        self.assertEqual(d["fileerror"], "")
        self.assertEqual(d["hash"], sha256(data))
        self.assertEqual(c.fetch(c.get_links(d["quickkey"])).body, data)

    def test_stop_mid_resumable_then_resume(self):
        self.mid_resumable(signal.SIGTERM)

    def test_crash_mid_resumable_then_resume(self):
        self.mid_resumable(signal.SIGKILL)

    def test_everything_else_survives(self):
        s = self.server()
        c = self.client(s)
        fk = c.call("folder/create", {"foldername": "keep"}).r["folder_key"]
        d = c.put_file("a.bin", b"first", folder_key=fk)
        d2 = c.put_file("t.bin", b"trashed", folder_key=fk)
        c.call("file/delete", {"quick_key": d2["quickkey"]})
        url = c.get_links(d["quickkey"])
        r = c.simple_upload("pending.bin", b"waiting for poll", folder_key=fk)
        pending = r.r["doupload"]["key"]
        r = c.call("upload/poll_upload", {"key": pending})
        self.assertEqual(r.r["doupload"]["status"], "5")
        c.close()
        self.restart(s, signal.SIGKILL)
        for _ in range(20):
            self.assertTrue(c.call("user/get_info").ok)
        files = c.call("folder/get_content", {"folder_key": fk}).r["folder_content"]["files"]
        self.assertEqual([f["filename"] for f in files], ["a.bin"])
        self.assertEqual(c.fetch(url).body, b"first")
        dd, seen = c.poll(pending)
        self.assertEqual([x["status"] for x in seen], ["6", "99"])
        self.assertEqual(c.fetch(c.get_links(dd["quickkey"])).body, b"waiting for poll")
        r = c.check("t.bin", b"trashed", fk, resumable=False).r
        self.assertEqual((r["hash_exists"], r["file_exists"]), ("yes", "no"))
        used = c.call("user/get_info").r["user_info"]["used_storage_size"]
        self.assertEqual(int(used), len(b"first") + len(b"trashed") + len(b"waiting for poll"))

    def test_seeded_restart_keeps_keys_unique(self):
        s = self.server(args=["--seed", "5"])
        c = self.client(s)
        first = c.token
        q1 = c.put_file("x", b"x")["quickkey"]
        c.close()
        self.restart(s, signal.SIGTERM)
        c2 = self.client(s)
        self.assertNotEqual(c2.token, first)
        self.assertTrue(c.call("user/get_info").ok)
        q2 = c2.put_file("y", b"y")["quickkey"]
        self.assertNotEqual(q1, q2)

    def test_crash_safe_files(self):
        s = self.server()
        c = self.client(s)
        for i in range(5):
            c.call("folder/create", {"foldername": "f%d" % i})
        c.close()
        s.stop(signal.SIGKILL)
        import os
        leftovers = []
        for root, _dirs, files in os.walk(s.data):
            leftovers += [f for f in files if f.startswith(".tmp-")]
        s.start()
        for root, _dirs, files in os.walk(s.data):
            self.assertEqual([f for f in files if f.startswith(".tmp-")], [])
        self.assertTrue(c.call("user/get_info").ok)


if __name__ == "__main__":
    unittest.main()
