"""Folders, file info, delete and purge."""

import unittest

from mfclient import ServerTest, sha256


class Folders(ServerTest):
    def test_root_three_ways(self):
        s = self.server()
        c = self.client(s)
        keys = set()
        for params in ({}, {"folder_key": ""}, {"folder_key": "myfiles"}):
            r = c.call("folder/get_info", params)
            self.assertTrue(r.ok, r)
            fi = r.r["folder_info"]
            keys.add(fi["folderkey"])
            self.assertNotIn("parent_folderkey", fi)
        self.assertEqual(len(keys), 1)
        root = keys.pop()
        self.assertRegex(root, r"^[a-z0-9]{13}$")
        r = c.call("folder/get_info", {"folder_key": root})
        self.assertTrue(r.ok, r)

    def test_create_skip_keep_and_errors(self):
        s = self.server()
        c = self.client(s)
        root = c.call("folder/get_info").r["folder_info"]["folderkey"]
        r = c.call("folder/create", {"foldername": "backups", "parent_key": root})
        self.assertTrue(r.ok, r)
        for k in ("folder_key", "name", "created", "revision", "privacy", "upload_key"):
            self.assertIn(k, r.r)
        fk = r.r["folder_key"]
        self.assertRegex(fk, r"^[a-z0-9]{13}$")
        # skip (default) returns the existing folder
        r2 = c.call("folder/create", {"foldername": "backups"})
        self.assertEqual(r2.r["folder_key"], fk)
        r3 = c.call("folder/create", {"foldername": "backups", "action_on_duplicate": "skip"})
        self.assertEqual(r3.r["folder_key"], fk)
        r4 = c.call("folder/create", {"foldername": "backups", "action_on_duplicate": "keep"})
        self.assertNotEqual(r4.r["folder_key"], fk)
        self.assertEqual(c.call("folder/create", {"foldername": "x", "parent_key": "nosuchkey0000"}).error, 112)
        self.assertEqual(c.call("folder/create", {"foldername": ""}).error, 117)
        self.assertEqual(c.call("folder/create", {"parent_key": fk}).error, 117)
        # nested, and listing tells folders by "name"
        r5 = c.call("folder/create", {"foldername": "host1", "parent_key": fk})
        lst = c.call("folder/get_content", {"folder_key": fk, "content_type": "folders"})
        entries = lst.r["folder_content"]["folders"]
        self.assertEqual([e["name"] for e in entries], ["host1"])
        self.assertNotIn("filename", entries[0])
        self.assertEqual(entries[0]["folderkey"], r5.r["folder_key"])
        info = c.call("folder/get_info", {"folder_key": r5.r["folder_key"]}).r["folder_info"]
        self.assertEqual(info["parent_folderkey"], fk)
        for k in ("folderkey", "name", "parent_folderkey", "privacy", "created", "revision",
                  "file_count", "folder_count", "description"):
            self.assertIn(k, info)
        self.assertEqual(c.call("folder/get_info", {"folder_key": "aaaaaaaaaaaaa"}).error, 112)

    def test_update(self):
        s = self.server()
        c = self.client(s)
        fk = c.call("folder/create", {"foldername": "b"}).r["folder_key"]
        r = c.call("folder/update", {"folder_key": fk, "privacy": "public", "description": "d",
                                     "foldername": "b2", "mtime": "2024-01-01 00:00:00"})
        self.assertTrue(r.ok, r)
        self.assertIn("revision", r.r)
        info = c.call("folder/get_info", {"folder_key": fk}).r["folder_info"]
        self.assertEqual(info["privacy"], "public")
        self.assertEqual(info["name"], "b2")
        self.assertEqual(info["description"], "d")
        self.assertEqual(c.call("folder/update", {"folder_key": fk, "privacy": "x"}).error, 129)

    def test_delete_and_purge(self):
        s = self.server()
        c = self.client(s)
        fk = c.call("folder/create", {"foldername": "gone"}).r["folder_key"]
        d = c.put_file("f.bin", b"data-in-folder", folder_key=fk)
        self.assertEqual(d["fileerror"], "")
        self.assertTrue(c.call("folder/delete", {"folder_key": fk}).ok)
        lst = c.call("folder/get_content", {"content_type": "folders"}).r["folder_content"]["folders"]
        self.assertEqual(lst, [])
        self.assertTrue(c.call("folder/purge", {"folder_key": fk}).ok)
        self.assertEqual(c.call("folder/get_info", {"folder_key": fk}).error, 112)
        self.assertEqual(c.call("file/get_info", {"quick_key": d["quickkey"]}).error, 110)
        used = c.call("user/get_info").r["user_info"]["used_storage_size"]
        self.assertEqual(used, "0")

    def test_folder_delete_quirk(self):
        s = self.server(args=["--folder-delete-error"])
        c = self.client(s)
        fk = c.call("folder/create", {"foldername": "q"}).r["folder_key"]
        r = c.call("folder/delete", {"folder_key": fk})
        self.assertEqual(r.error, 100)
        lst = c.call("folder/get_content", {"content_type": "folders"}).r["folder_content"]["folders"]
        self.assertEqual(lst, [])


class Files(ServerTest):
    def test_file_info_root_has_no_parent(self):
        s = self.server()
        c = self.client(s)
        d = c.put_file("root.txt", b"in root")
        self.assertRegex(d["quickkey"], r"^[a-z0-9]{15}$")
        fi = c.call("file/get_info", {"quick_key": d["quickkey"]}).r["file_info"]
        self.assertNotIn("parent_folderkey", fi)
        self.assertEqual(fi["hash"], sha256(b"in root"))
        self.assertEqual(fi["size"], "7")
        self.assertRegex(fi["created"], r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
        fk = c.call("folder/create", {"foldername": "sub"}).r["folder_key"]
        d2 = c.put_file("sub.txt", b"in sub", folder_key=fk)
        fi2 = c.call("file/get_info", {"quick_key": d2["quickkey"]}).r["file_info"]
        self.assertEqual(fi2["parent_folderkey"], fk)
        for k in ("quickkey", "filename", "hash", "size", "created", "revision", "privacy",
                  "password_protected", "mimetype", "filetype", "flag", "description", "links"):
            self.assertIn(k, fi2)
        self.assertEqual(c.call("file/get_info", {"quick_key": "nonexistent0000"}).error, 110)
        self.assertEqual(c.call("file/get_info", {}).error, 111)

    def test_delete_trash_purge(self):
        s = self.server()
        c = self.client(s)
        data = b"trash me"
        d = c.put_file("t.txt", data)
        qk = d["quickkey"]
        d2 = c.put_file("t2.txt", b"other")
        self.assertTrue(c.call("file/delete", {"quick_key": qk}).ok)
        files = c.call("folder/get_content", {"content_type": "files"}).r["folder_content"]["files"]
        self.assertEqual([f["filename"] for f in files], ["t2.txt"])
        chk = c.check("t.txt", data, resumable=False).r
        self.assertEqual(chk["file_exists"], "no")
        self.assertEqual(chk["hash_exists"], "yes")
        used = int(c.call("user/get_info").r["user_info"]["used_storage_size"])
        self.assertEqual(used, len(data) + 5)
        self.assertTrue(c.call("file/purge", {"quick_key": qk}).ok)
        used = int(c.call("user/get_info").r["user_info"]["used_storage_size"])
        self.assertEqual(used, 5)
        self.assertEqual(c.call("file/purge", {"quick_key": qk}).error, 110)
        self.assertEqual(c.call("file/delete", {"quick_key": qk}).error, 110)
        self.assertEqual(c.check("t.txt", data, resumable=False).r["hash_exists"], "no")
        # comma lists
        d3 = c.put_file("t3.txt", b"third")
        self.assertTrue(c.call("file/delete", {"quick_key": d2["quickkey"] + "," + d3["quickkey"]}).ok)
        self.assertTrue(c.call("file/restore", {"quick_key": d3["quickkey"]}).ok)
        files = c.call("folder/get_content", {"content_type": "files"}).r["folder_content"]["files"]
        self.assertEqual([f["filename"] for f in files], ["t3.txt"])

    def test_keys_unique_never_reused(self):
        s = self.server(args=["--seed", "7"])
        c = self.client(s)
        seen = set()
        for i in range(20):
            d = c.put_file("f%d" % i, b"x%d" % i)
            self.assertNotIn(d["quickkey"], seen)
            seen.add(d["quickkey"])
            c.call("file/purge", {"quick_key": d["quickkey"]})
        s.stop()
        s.start()
        c = self.client(s)
        for i in range(20):
            d = c.put_file("g%d" % i, b"y%d" % i)
            self.assertNotIn(d["quickkey"], seen)
            seen.add(d["quickkey"])


if __name__ == "__main__":
    unittest.main()
