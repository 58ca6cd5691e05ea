"""Upload flows: check, simple, resumable, instant, poll, duplicates, quota."""

import socket
import unittest

from mfclient import Client, ServerTest, sha256


def blob(n, seed=0):
    out = bytearray()
    i = seed
    while len(out) < n:
        out += sha256(b"%d" % i).encode()
        i += 1
    return bytes(out[:n])


def bitmap_units(ru):
    words = [int(w) for w in ru["bitmap"]["words"]]
    self_count = int(ru["bitmap"]["count"])
    assert self_count == len(words)
    units = set()
    for i, w in enumerate(words):
        for b in range(16):
            if w & (1 << b):
                units.add(16 * i + b)
    return units


class Simple(ServerTest):
    def test_simple_raw_and_poll_progression(self):
        s = self.server()
        c = self.client(s)
        tok = c.action_token()
        data = b"hello, world\n"
        r = c.simple_upload("hello.txt", data, token=tok)
        self.assertTrue(r.ok, r)
        key = r.r["doupload"]["key"]
        self.assertEqual(r.r["doupload"]["result"], "0")
        self.assertRegex(key, r"^[a-z0-9]{11}$")
        d, seen = c.poll(key)
        self.assertEqual([x["status"] for x in seen], ["5", "6", "99"])
        self.assertEqual([x["description"] for x in seen],
                         ["Waiting for verification", "Verifying File", "No more requests for this key"])
        for x in seen:
            for k in ("result", "status", "description", "filename", "fileerror"):
                self.assertIn(k, x)
            self.assertEqual(x["fileerror"], "")
        for k in ("quickkey", "hash", "size", "created", "revision"):
            self.assertIn(k, d)
        self.assertEqual(d["hash"], sha256(data))
        self.assertEqual(d["size"], str(len(data)))
        self.assertEqual(d["filename"], "hello.txt")
        self.assertRegex(d["quickkey"], r"^[a-z0-9]{15}$")
        # polling again repeats the final answer
        d2, _ = c.poll(key)
        self.assertEqual(d2["quickkey"], d["quickkey"])
        # and the content is there
        got = c.fetch(c.get_links(d["quickkey"]))
        self.assertEqual(got.body, data)

    def test_simple_multipart_and_chunked(self):
        s = self.server(args=["--poll-immediate"])
        c = self.client(s)
        tok = c.action_token()
        data = blob(3000, 1)
        r = c.upload("upload/simple", data, {}, {"X-Filename": "mp.bin", "X-Filesize": str(len(data)),
                                                 "X-Filehash": sha256(data)}, token=tok, multipart=True)
        self.assertTrue(r.ok, r)
        d, seen = c.poll(r.r["doupload"]["key"])
        self.assertEqual(len(seen), 1)
        self.assertEqual(d["hash"], sha256(data))
        data2 = blob(2500, 2)
        r = c.upload("upload/simple", data2, {}, {"x-filename": "ch.bin", "x-filesize": str(len(data2)),
                                                  "x-filehash": sha256(data2).upper()},
                     token=tok, chunked=True)
        self.assertTrue(r.ok, r)
        d, _ = c.poll(r.r["doupload"]["key"])
        self.assertEqual(d["fileerror"], "")
        self.assertEqual(d["size"], "2500")

    def test_size_and_hash_mismatch_fileerror_7(self):
        s = self.server(args=["--poll-immediate"])
        c = self.client(s)
        r = c.simple_upload("a.txt", b"abc", extra_headers={"X-Filesize": "4"})
        d, _ = c.poll(r.r["doupload"]["key"])
        self.assertEqual(d["fileerror"], "7")
        self.assertEqual(d["quickkey"], "")
        r = c.simple_upload("a.txt", b"abc", extra_headers={"X-Filehash": sha256(b"abd")})
        d, _ = c.poll(r.r["doupload"]["key"])
        self.assertEqual(d["fileerror"], "7")
        files = c.call("folder/get_content", {"content_type": "files"}).r["folder_content"]["files"]
        self.assertEqual(files, [])

    def test_zero_byte(self):
        s = self.server(args=["--poll-immediate"])
        c = self.client(s)
        d = c.put_file("empty", b"")
        self.assertEqual(d["fileerror"], "2")
        s2 = self.server(args=["--poll-immediate", "--zero-byte", "accept"])
        c2 = self.client(s2)
        d = c2.put_file("empty", b"")
        self.assertEqual(d["fileerror"], "")
        self.assertEqual(d["hash"], sha256(b""))

    def test_413_html_over_limit(self):
        s = self.server(args=["--max-simple-bytes", "1000"])
        c = self.client(s)
        tok = c.action_token()
        r = c.simple_upload("big", blob(1001), token=tok)
        self.assertEqual(r.status, 413)
        self.assertEqual(r.headers["content-type"], "text/html")
        self.assertIsNone(r.r)
        try:
            r = c.upload("upload/simple", blob(1500), {}, {"X-Filename": "big2"}, token=tok,
                         chunked=True)
            self.assertEqual(r.status, 413)
        except (BrokenPipeError, ConnectionResetError):
            # the 413 came and the connection closed before the client had
            # sent the whole body; the server's record below still counts it
            pass
        self.assertTrue(c.simple_upload("ok", blob(1000), token=tok).ok)
        # Expect: 100-continue gets the 413 before the body is sent
        sock = socket.create_connection(("127.0.0.1", s.port), timeout=10)
        q = c.query({}, token=tok, sign=False)
        sock.sendall(("POST /api/1.3/upload/simple.php?%s HTTP/1.1\r\nHost: x\r\n"
                      "Content-Length: 5000000\r\nExpect: 100-continue\r\nX-Filename: e\r\n\r\n" % q).encode())
        head = sock.recv(4096)
        sock.close()
        self.assertTrue(head.startswith(b"HTTP/1.1 413"), head)
        recs = [x for x in s.records() if x["path"] == "upload/simple" and x["status"] == 413]
        self.assertEqual(len(recs), 3)

    def test_utf8_names(self):
        s = self.server(args=["--poll-immediate"])
        c = self.client(s)
        data = b"utf-8 name"
        name = "r\u00e9sum\u00e9 \u65e5\u672c.txt"
        r = c.upload("upload/simple", data, {}, {"X-Filename": name.encode("utf-8"),
                                                 "X-Filesize": str(len(data))},
                     token=c.action_token())
        self.assertTrue(r.ok, r)
        d, _ = c.poll(r.r["doupload"]["key"])
        self.assertEqual(d["filename"], name)
        r = c.check(name, data, resumable=False)
        self.assertEqual((r.r["file_exists"], r.r["different_hash"]), ("yes", "no"))
        url = c.get_links(d["quickkey"])
        self.assertTrue(url.endswith("/r%C3%A9sum%C3%A9%20%E6%97%A5%E6%9C%AC.txt"), url)
        self.assertEqual(c.fetch(url).body, data)

    def test_upload_by_path(self):
        s = self.server(args=["--poll-immediate"])
        c = self.client(s)
        r = c.call("upload/check", {"filename": "p.txt", "path": "a/b"})
        self.assertTrue(r.ok, r)
        fk = r.r["folder_key"]
        d = c.put_file("p.txt", b"by path", folder_key=fk)
        self.assertEqual(d["fileerror"], "")
        fi = c.call("file/get_info", {"quick_key": d["quickkey"]}).r["file_info"]
        self.assertEqual(fi["parent_folderkey"], fk)


class Resumable(ServerTest):
    def resumable(self, c, name, data, folder_key=None, multipart=False, token=None):
        r = c.check(name, data, folder_key)
        self.assertTrue(r.ok, r)
        ru = r.r["resumable_upload"]
        n = int(ru["number_of_units"])
        us = int(ru["unit_size"])
        self.assertEqual(ru["all_units_ready"], "no")
        self.assertEqual(int(ru["bitmap"]["count"]), (n + 15) // 16)
        tok = token or c.action_token()
        key = None
        for u in range(n):
            r = c.send_unit(name, data, u, us, folder_key, token=tok, multipart=multipart)
            self.assertTrue(r.ok, r)
            self.assertEqual(r.r["doupload"]["result"], "0")
            if key is None:
                key = r.r["doupload"]["key"]
            self.assertEqual(r.r["doupload"]["key"], key)
            self.assertEqual(bitmap_units(r.r["resumable_upload"]), set(range(u + 1)))
        self.assertEqual(key, ru["upload_key"])
        r = c.check(name, data, folder_key)
        ru2 = r.r["resumable_upload"]
        self.assertEqual(ru2["all_units_ready"], "yes")
        self.assertEqual(bitmap_units(ru2), set(range(n)))
        d, seen = c.poll(key, params={"resumable": "yes"})
        self.assertEqual(d["fileerror"], "", d)
        self.assertEqual(d["hash"], sha256(data))
        return d, n, us, ru

    def check_content(self, c, qk, data):
        got = c.fetch(c.get_links(qk))
        self.assertEqual(got.status, 200)
        self.assertEqual(sha256(got.body), sha256(data))

    def test_units_1_2_17_33(self):
        s = self.server()
        c = self.client(s)
        for size, units, words in ((150, 1, 1), (250, 2, 1), (1080, 17, 2), (2100, 33, 3)):
            data = blob(size, size)
            d, n, us, ru = self.resumable(c, "r%d.bin" % units, data, multipart=(units == 17))
            self.assertEqual(n, units)
            self.assertEqual(int(ru["bitmap"]["count"]), words)
            self.check_content(c, d["quickkey"], data)
        # 33 units: the last word has bit 0 only
        r = c.check("r33.bin", blob(2100, 2100))
        self.assertEqual(r.r["resumable_upload"]["bitmap"]["words"], ["65535", "65535", "1"])

    def test_poll_17_while_units_missing_and_bitmap_gaps(self):
        s = self.server()
        c = self.client(s)
        data = blob(2100, 5)
        ru = c.check("gap.bin", data).r["resumable_upload"]
        us = int(ru["unit_size"])
        tok = c.action_token()
        for u in (0, 2, 15, 16, 32):
            self.assertTrue(c.send_unit("gap.bin", data, u, us, token=tok).ok)
        ru = c.check("gap.bin", data).r["resumable_upload"]
        self.assertEqual(ru["bitmap"]["words"], [str((1 << 0) | (1 << 2) | (1 << 15)), "1", "1"])
        r = c.call("upload/poll_upload", {"key": ru["upload_key"]})
        self.assertEqual(r.r["doupload"]["status"], "17")
        self.assertEqual(r.r["doupload"]["fileerror"], "")
        # sending a unit twice is harmless
        self.assertTrue(c.send_unit("gap.bin", data, 2, us, token=tok).ok)
        for u in range(33):
            if u not in (0, 2, 15, 16, 32):
                self.assertTrue(c.send_unit("gap.bin", data, u, us, token=tok).ok)
        d, _ = c.poll(ru["upload_key"])
        self.assertEqual(d["fileerror"], "")
        self.check_content(c, d["quickkey"], data)

    def test_bad_units(self):
        s = self.server()
        c = self.client(s)
        data = blob(1080, 9)
        ru = c.check("bad.bin", data).r["resumable_upload"]
        us = int(ru["unit_size"])
        tok = c.action_token()
        r = c.send_unit("bad.bin", data, 3, us, token=tok, unit_bytes=b"x" * us)
        # the header hash matches these bytes, but the length is right and the
        # unit is still accepted: the server checks the unit's own hash
        self.assertTrue(r.ok, r)
        # unit hash header that does not match the body
        h = {"x-filesize": str(len(data)), "x-filehash": sha256(data), "x-unit-id": "4",
             "x-unit-hash": sha256(b"nope"), "x-unit-size": str(us)}
        r = c.upload("upload/resumable", data[4 * us:5 * us], {}, h, token=tok)
        self.assertEqual(r.error, 169)
        # wrong length for the unit
        r = c.send_unit("bad.bin", data, 5, us, token=tok, unit_bytes=data[5 * us:5 * us + 10])
        self.assertEqual(r.error, 169)
        # out of range
        r = c.send_unit("bad.bin", data, 17, us, token=tok, unit_bytes=b"z")
        self.assertEqual(r.error, 129)
        ru = c.check("bad.bin", data).r["resumable_upload"]
        self.assertEqual(bitmap_units(ru), {3})
        # finishing with the wrong unit 3 gives fileerror 7 at assembly
        for u in range(17):
            if u != 3:
                self.assertTrue(c.send_unit("bad.bin", data, u, us, token=tok).ok)
        d, _ = c.poll(ru["upload_key"])
        self.assertEqual(d["fileerror"], "7")
        # a new check starts over with a fresh upload key
        ru2 = c.check("bad.bin", data).r["resumable_upload"]
        self.assertNotEqual(ru2["upload_key"], ru["upload_key"])
        self.assertEqual(bitmap_units(ru2), set())

    def test_resume_after_lose_units(self):
        s = self.server()
        c = self.client(s)
        data = blob(2100, 11)
        ru = c.check("lose.bin", data).r["resumable_upload"]
        us = int(ru["unit_size"])
        tok = c.action_token()
        for u in range(10):
            self.assertTrue(c.send_unit("lose.bin", data, u, us, token=tok).ok)
        self.assertEqual(bitmap_units(c.check("lose.bin", data).r["resumable_upload"]), set(range(10)))
        fid = s.add_fault({"match": {"path": "upload/check"}, "action": "lose_units"})
        ru = c.check("lose.bin", data).r["resumable_upload"]
        self.assertEqual(bitmap_units(ru), set())
        self.assertEqual(s.fault_hits(fid), 1)
        self.assertEqual(self.last_record(s, "upload/check")["fault"], "lose_units")
        # resume: the client sends what the bitmap says is missing
        for u in range(33):
            if u not in bitmap_units(ru):
                self.assertTrue(c.send_unit("lose.bin", data, u, us, token=tok).ok)
        d, _ = c.poll(ru["upload_key"])
        self.assertEqual(d["fileerror"], "")
        self.check_content(c, d["quickkey"], data)

    def test_check_after_assembly_keeps_resumable_object(self):
        s = self.server()
        c = self.client(s)
        data = blob(1080, 12)
        d, n, us, ru = self.resumable(c, "done.bin", data)
        r = c.check("done.bin", data)
        ru2 = r.r["resumable_upload"]
        self.assertEqual(ru2["all_units_ready"], "yes")
        self.assertEqual(ru2["upload_key"], ru["upload_key"])
        self.assertEqual(bitmap_units(ru2), set(range(n)))
        self.assertEqual(r.r["in_folder"], "yes")
        # units arriving again for a finished file are harmless
        tok = c.action_token()
        r = c.send_unit("done.bin", data, 0, us, token=tok)
        self.assertTrue(r.ok, r)
        self.assertEqual(r.r["doupload"]["key"], ru["upload_key"])

    def test_resumable_with_signed_session(self):
        s = self.server()
        c = self.client(s)
        data = blob(250, 13)
        ru = c.check("signed.bin", data).r["resumable_upload"]
        for u in range(2):
            r = c.send_unit("signed.bin", data, u, int(ru["unit_size"]))
            self.assertTrue(r.ok, r)
            self.assertEqual(r.r["new_key"], "yes")
        d, _ = c.poll(ru["upload_key"])
        self.assertEqual(d["fileerror"], "")


class Dedup(ServerTest):
    def test_instant_and_nothing_to_do(self):
        s = self.server(args=["--poll-immediate"])
        c = self.client(s)
        data = blob(500, 20)
        d = c.put_file("orig.bin", data)
        # same content, same name, same folder: nothing to upload
        r = c.check("orig.bin", data).r
        self.assertEqual((r["hash_exists"], r["in_account"], r["in_folder"], r["file_exists"],
                          r["different_hash"]), ("yes", "yes", "yes", "yes", "no"))
        self.assertEqual(r["duplicate_quickkey"], d["quickkey"])
        self.assertIn("resumable_upload", r)
        # same content elsewhere: instant
        fk = c.call("folder/create", {"foldername": "other"}).r["folder_key"]
        r = c.check("copy.bin", data, folder_key=fk).r
        self.assertEqual((r["hash_exists"], r["in_folder"], r["file_exists"]), ("yes", "no", "no"))
        ri = c.call("upload/instant", {"filename": "copy.bin", "size": str(len(data)),
                                       "hash": sha256(data), "folder_key": fk})
        self.assertTrue(ri.ok, ri)
        for k in ("quickkey", "filename", "new_device_revision", "device_revision",
                  "newrevision", "newfolderrevision"):
            self.assertIn(k, ri.r)
        self.assertIn("revision", ri.r["newrevision"])
        self.assertIn("epoch", ri.r["newfolderrevision"])
        self.assertNotEqual(ri.r["quickkey"], d["quickkey"])
        got = c.fetch(c.get_links(ri.r["quickkey"]))
        self.assertEqual(got.body, data)
        # unknown hash / wrong size
        r = c.call("upload/instant", {"filename": "x", "size": "3", "hash": sha256(b"xyz")})
        self.assertEqual(r.error, 110)
        r = c.call("upload/instant", {"filename": "x", "size": "3", "hash": sha256(data)})
        self.assertEqual(r.error, 110)
        # a file in the Trash still counts for instant
        c.call("file/delete", {"quick_key": ri.r["quickkey"]})
        c.call("file/purge", {"quick_key": d["quickkey"]})
        r = c.call("upload/instant", {"filename": "again.bin", "size": str(len(data)),
                                      "hash": sha256(data)})
        self.assertTrue(r.ok, r)

    def test_instant_across_accounts(self):
        s = self.server(args=["--poll-immediate"], accounts=(("a@x.org", "1"), ("b@x.org", "2")))
        a = self.client(s, email="a@x.org", password="1")
        b = self.client(s, email="b@x.org", password="2")
        data = blob(300, 21)
        a.put_file("a.bin", data)
        r = b.check("b.bin", data).r
        self.assertEqual((r["hash_exists"], r["in_account"]), ("yes", "no"))
        self.assertTrue(b.call("upload/instant", {"filename": "b.bin", "size": str(len(data)),
                                                  "hash": sha256(data)}).ok)
        self.assertEqual(b.call("user/get_info").r["user_info"]["used_storage_size"], "300")

    def test_different_hash(self):
        s = self.server(args=["--poll-immediate"])
        c = self.client(s)
        c.put_file("v.bin", b"version one")
        r = c.check("v.bin", b"version two", resumable=False).r
        self.assertEqual((r["file_exists"], r["different_hash"], r["hash_exists"]), ("yes", "yes", "no"))
        self.assertNotIn("resumable_upload", r)

    def test_action_on_duplicate(self):
        s = self.server(args=["--poll-immediate"])
        c = self.client(s)
        d1 = c.put_file("dup.tar.gpg", b"one")
        qk = d1["quickkey"]
        # default: skip -> fileerror 13, nothing stored
        d = c.put_file("dup.tar.gpg", b"two")
        self.assertEqual(d["fileerror"], "13")
        d = c.put_file("dup.tar.gpg", b"two", aod="skip")
        self.assertEqual(d["fileerror"], "13")
        # keep -> renamed
        d = c.put_file("dup.tar.gpg", b"three", aod="keep")
        self.assertEqual(d["fileerror"], "")
        self.assertEqual(d["filename"], "dup.tar(1).gpg")
        d = c.put_file("dup.tar.gpg", b"four", aod="keep")
        self.assertEqual(d["filename"], "dup.tar(2).gpg")
        # replace -> same quickkey, new revision, new content
        d = c.put_file("dup.tar.gpg", b"five", aod="replace")
        self.assertEqual(d["fileerror"], "")
        self.assertEqual(d["quickkey"], qk)
        self.assertEqual(d["revision"], "2")
        self.assertEqual(c.fetch(c.get_links(qk)).body, b"five")
        fi = c.call("file/get_info", {"quick_key": qk}).r["file_info"]
        self.assertEqual((fi["revision"], fi["hash"]), ("2", sha256(b"five")))
        names = sorted(f["filename"] for f in c.call("folder/get_content").r["folder_content"]["files"])
        self.assertEqual(names, ["dup.tar(1).gpg", "dup.tar(2).gpg", "dup.tar.gpg"])
        # instant with replace and keep
        r = c.call("upload/instant", {"filename": "dup.tar.gpg", "size": "5", "hash": sha256(b"three"),
                                      "action_on_duplicate": "replace"})
        self.assertTrue(r.ok, r)
        self.assertEqual(r.r["quickkey"], qk)
        r = c.call("upload/instant", {"filename": "dup.tar.gpg", "size": "5", "hash": sha256(b"three"),
                                      "action_on_duplicate": "skip"})
        self.assertEqual(r.error, 143)

    def test_duplicate_switches(self):
        s = self.server(args=["--poll-immediate", "--duplicate-default", "replace",
                              "--replace-mode", "new_quickkey", "--poll-filename", "renamed"])
        c = self.client(s)
        d1 = c.put_file("z.bin", b"one")
        self.assertNotIn("filename", d1)
        d2 = c.put_file("z.bin", b"two")
        self.assertEqual(d2["fileerror"], "")
        self.assertNotEqual(d2["quickkey"], d1["quickkey"])
        self.assertEqual(c.call("file/get_info", {"quick_key": d1["quickkey"]}).error, 110)
        d3 = c.put_file("z.bin", b"three", aod="keep")
        self.assertEqual(d3["filename"], "z(1).bin")


class Quota(ServerTest):
    def test_quota(self):
        s = self.server(args=["--poll-immediate", "--storage-limit", "1000"])
        c = self.client(s)
        d = c.put_file("a.bin", blob(600))
        self.assertEqual(d["fileerror"], "")
        r = c.check("b.bin", blob(500, 1), resumable=False).r
        self.assertEqual((r["used_storage_size"], r["storage_limit"], r["available_space"],
                          r["storage_limit_exceeded"]), ("600", "1000", "400", "no"))
        d = c.put_file("b.bin", blob(500, 1))
        self.assertEqual(d["fileerror"], "15")
        d = c.put_file("c.bin", blob(400, 2))
        self.assertEqual(d["fileerror"], "")
        r = c.check("d.bin", b"d", resumable=False).r
        self.assertEqual(r["storage_limit_exceeded"], "yes")
        ui = c.call("user/get_info").r["user_info"]
        self.assertEqual(ui["storage_limit_exceeded"], "yes")
        r = c.call("upload/instant", {"filename": "copy", "size": "600", "hash": sha256(blob(600))})
        self.assertEqual(r.error, 162)
        # the control endpoint moves the limit
        s.control("POST", "quota", {"limit": 5000})
        d = c.put_file("b.bin", blob(500, 1))
        self.assertEqual(d["fileerror"], "")
        s.control("POST", "quota", {"used": 5000})
        self.assertEqual(c.check("e", b"e", resumable=False).r["storage_limit_exceeded"], "yes")

    def test_quota_resumable(self):
        s = self.server(args=["--storage-limit", "2000"])
        c = self.client(s)
        data = blob(2100, 3)
        ru = c.check("big.bin", data).r["resumable_upload"]
        tok = c.action_token()
        for u in range(33):
            self.assertTrue(c.send_unit("big.bin", data, u, int(ru["unit_size"]), token=tok).ok)
        d, _ = c.poll(ru["upload_key"])
        self.assertEqual(d["fileerror"], "15")


class Poll(ServerTest):
    def test_poll_keys(self):
        s = self.server()
        c = self.client(s)
        r = c.call("upload/poll_upload", {"key": "abc"})
        self.assertEqual(r.r["doupload"]["result"], "-20")
        r = c.call("upload/poll_upload", {"key": "zzzzzzzzzzz"})
        d = r.r["doupload"]
        self.assertEqual(d["result"], "-80")
        for k in ("status", "description", "filename", "fileerror", "quickkey", "hash", "size",
                  "created", "revision"):
            self.assertIn(k, d)

    def test_poll_without_token(self):
        s = self.server()
        c = self.client(s)
        r = c.simple_upload("n.txt", b"no token poll")
        key = r.r["doupload"]["key"]
        anon = Client(s.url)
        self.addCleanup(anon.close)
        for want in ("5", "6", "99"):
            r = anon.call("upload/poll_upload", {"key": key}, sign=False)
            self.assertTrue(r.ok, r)
            self.assertEqual(r.r["doupload"]["status"], want)
            self.assertNotIn("new_key", r.r)
        self.assertTrue(r.r["doupload"]["quickkey"])

    def test_custom_statuses(self):
        s = self.server(args=["--poll-statuses", "18,19,5,99"])
        c = self.client(s)
        r = c.simple_upload("n.txt", b"statuses")
        d, seen = c.poll(r.r["doupload"]["key"])
        self.assertEqual([x["status"] for x in seen], ["18", "19", "5", "99"])
        self.assertEqual(seen[1]["description"], "Assembling File")


if __name__ == "__main__":
    unittest.main()
