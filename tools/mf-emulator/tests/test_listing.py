"""folder/get_content paging over 2500 files."""

import unittest

from mfclient import Client, Server, sha256

N_FILES = 2500


class Listing(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server(args=["--poll-immediate", "--no-fsync"])
        cls.s.start()
        cls.c = Client(cls.s.url)
        assert cls.c.login().ok
        c = cls.c
        cls.folder = c.call("folder/create", {"foldername": "many"}).r["folder_key"]
        data = b"same content for every volume"
        d = c.put_file("duplicity-full.20240101T000000Z.vol0000.difftar.gpg", data, cls.folder)
        assert d["fileerror"] == "", d
        cls.names = {d["filename"]}
        for i in range(1, N_FILES):
            name = "duplicity-full.20240101T000000Z.vol%04d.difftar.gpg" % i
            r = c.call("upload/instant", {"filename": name, "size": str(len(data)),
                                          "hash": sha256(data), "folder_key": cls.folder})
            assert r.ok, r
            cls.names.add(name)
        for i in range(3):
            c.call("folder/create", {"foldername": "sub%d" % i, "parent_key": cls.folder})

    @classmethod
    def tearDownClass(cls):
        cls.c.close()
        cls.s.cleanup()

    def tearDown(self):
        self.s.control("DELETE", "faults")

    def page(self, chunk, **kw):
        p = {"folder_key": self.folder, "content_type": "files", "chunk": str(chunk)}
        p.update(kw)
        r = self.c.call("folder/get_content", p)
        self.assertTrue(r.ok, r)
        return r.r["folder_content"]

    def read_all(self, **kw):
        got = []
        chunk = 1
        sizes = []
        while True:
            fc = self.page(chunk, **kw)
            self.assertEqual(fc["chunk_number"], str(chunk))
            files = fc["files"]
            sizes.append(len(files))
            got += files
            if fc["more_chunks"] == "no" or not files:
                break
            chunk += 1
        return got, sizes, fc

    def test_chunk_size_1000(self):
        got, sizes, last = self.read_all(chunk_size="1000")
        self.assertEqual(sizes, [1000, 1000, 500])
        self.assertEqual(last["more_chunks"], "no")
        names = [f["filename"] for f in got]
        self.assertEqual(len(names), N_FILES)
        self.assertEqual(set(names), self.names)
        self.assertEqual(names, sorted(names))
        for f in got[:5]:
            self.assertNotIn("name", f)
            for k in ("quickkey", "filename", "hash", "size", "created", "revision", "privacy",
                      "password_protected", "mimetype", "filetype", "flag", "downloads", "views",
                      "description", "links"):
                self.assertIn(k, f)
            self.assertIn("normal_download", f["links"])
        fc = self.page(4, chunk_size="1000")
        self.assertEqual((fc["files"], fc["more_chunks"]), ([], "no"))

    def test_forced_chunk_size_2(self):
        fid = self.s.add_fault({"match": {"path": "folder/get_content"}, "action": "force_chunk_size",
                                "size": 2, "times": "forever"})
        got, sizes, last = self.read_all(chunk_size="1000")
        self.assertEqual(len(sizes), N_FILES // 2)
        self.assertTrue(all(n == 2 for n in sizes))
        self.assertEqual(last["chunk_size"], "2")
        self.assertEqual(set(f["filename"] for f in got), self.names)
        self.assertEqual(len(got), N_FILES)
        self.assertEqual(self.s.fault_hits(fid), N_FILES // 2)
        recs = [x for x in self.s.records() if x.get("fault") == "force_chunk_size"]
        self.assertEqual(len(recs), N_FILES // 2)

    def test_default_chunk_size_and_limits(self):
        fc = self.page(1)
        self.assertEqual(fc["chunk_size"], "100")
        self.assertEqual(len(fc["files"]), 100)
        self.assertEqual(fc["more_chunks"], "yes")
        r = self.c.call("folder/get_content", {"folder_key": self.folder, "chunk_size": "1001"})
        self.assertEqual(r.error, 129)
        r = self.c.call("folder/get_content", {"folder_key": self.folder, "chunk": "0"})
        self.assertEqual(r.error, 129)
        fc = self.page(1, chunk_size="3", order_direction="desc")
        self.assertEqual([f["filename"] for f in fc["files"]], sorted(self.names, reverse=True)[:3])

    def test_folders_listing(self):
        r = self.c.call("folder/get_content", {"folder_key": self.folder, "content_type": "folders"})
        fc = r.r["folder_content"]
        self.assertEqual([f["name"] for f in fc["folders"]], ["sub0", "sub1", "sub2"])
        self.assertEqual(fc["content_type"], "folders")
        for f in fc["folders"]:
            self.assertNotIn("filename", f)

    def test_more_chunks_lies(self):
        fid = self.s.add_fault({"match": {"path": "folder/get_content"}, "action": "more_chunks_lies"})
        got, sizes, last = self.read_all(chunk_size="1000")
        self.assertEqual(sizes, [1000, 1000, 500, 0])
        self.assertEqual(self.s.fault_hits(fid), 1)
        rec = [x for x in self.s.records() if x.get("fault") == "more_chunks_lies"]
        self.assertEqual(len(rec), 1)
        self.assertEqual(rec[0]["params"]["chunk"], "3")

    def test_paging_stable(self):
        a, _, _ = self.read_all(chunk_size="700", order_by="created")
        b, _, _ = self.read_all(chunk_size="700", order_by="created")
        self.assertEqual([f["quickkey"] for f in a], [f["quickkey"] for f in b])
        self.assertEqual(len(set(f["quickkey"] for f in a)), N_FILES)


if __name__ == "__main__":
    unittest.main()
