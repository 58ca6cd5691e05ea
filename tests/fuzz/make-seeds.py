#!/usr/bin/env python3
"""make-seeds.py [VECTORS] -- write the seed corpora of tests/fuzz/corpus/.

Seeds are small: pieces of the duplicity 0.8.22 vectors (names, manifests,
the first entries of volumes and sigtars, real deltas and signatures) and
hand-made inputs for the cases the vectors lack (hostile tar headers,
MediaFire answers, filelists).  Each file starts with the target's option
byte (see the target's header comment), except manifest seeds, which have
none.  Files named "crash-*" or "regress-*" are regression cases added
when a bug was fixed; this script never touches them.

VECTORS defaults to ../shared/vectors/duplicity-0.8.22 or
/work/shared/vectors/duplicity-0.8.22.
"""
import gzip
import io
import json
import os
import struct
import sys
import tarfile

TOP = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(TOP, "corpus")


def vectors_dir():
    if len(sys.argv) > 1:
        return sys.argv[1]
    for d in (os.path.join(TOP, "../../../shared/vectors/duplicity-0.8.22"),
              "/work/shared/vectors/duplicity-0.8.22"):
        if os.path.isdir(d):
            return d
    sys.exit("make-seeds: vectors not found (pass the directory)")


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def read(v, rel):
    with open(os.path.join(v, rel), "rb") as f:
        return f.read()


def gunzip(v, rel):
    return gzip.decompress(read(v, rel))


def tar_small(raw, limit):
    """The entries of a tar whose data is under ${limit} bytes, each with
    its headers exactly as written, then the end-of-archive blocks."""
    t = tarfile.open(fileobj=io.BytesIO(raw))
    members = t.getmembers()
    out = b""
    for i, m in enumerate(members):
        end = members[i + 1].offset if i + 1 < len(members) else \
            m.offset_data + m.size + (-m.size % 512)
        if m.size < limit:
            out += raw[m.offset:end]
    return out + b"\0" * 1024


def tar_member(raw, name):
    t = tarfile.open(fileobj=io.BytesIO(raw))
    return t.extractfile(t.getmember(name)).read()


# --- volname -------------------------------------------------------------

def seeds_volname(v):
    for s in ("a-plain", "b-gpg", "c-multivol"):
        names = sorted(os.listdir(os.path.join(v, s, "remote")))
        put("volname", s, b"\0" + "\n".join(names).encode())
    put("volname", "short", b"\0" + b"\n".join([
        b"df.lfb3kw.1.dt.g", b"df.lfb3kw.m.g", b"dfs.lfb3kw.st.g",
        b"di.lfb3kw.lfb3nc.1.dt.z", b"di.lfb3kw.lfb3nc.m",
        b"dns.lfb3kw.lfb3nc.st.p", b"df.lfb3kw.2.dt.p"]))
    put("volname", "prefixes", b"\3" + b"\n".join([
        b"p-a-duplicity-full.20231114T221320Z.vol1.difftar.gz",
        b"p-m-duplicity-full.20231114T221320Z.manifest",
        b"p-s-duplicity-full-signatures.20231114T221320Z.sigtar.gz",
        b"L:p-m-duplicity-full.20231114T221320Z.manifest.part",
        b"p-duplicity-full.20231114T221320Z.manifest"]))
    put("volname", "partial", b"\0" + b"\n".join([
        b"L:duplicity-full.20231114T221320Z.manifest.part",
        b"L:duplicity-full-signatures.20231114T221320Z.sigtar.part",
        b"duplicity-full.20231114T221320Z.vol1.difftar.gz",
        b"duplicity-full.20231114T221320Z.vol2.difftar.gz",
        b"duplicity-inc.20231114T221320Z.to.20231114T221500Z.vol1.difftar.gz",
        b"duplicity-full.20231114T221320Z.jsonstat.gz"]))
    put("volname", "hostile", b"\0" + b"\n".join([
        b"duplicity-full.20231114T221320Z.manifest/../../evil",
        b"duplicity-full.20231114T221320Z.vol0.difftar.gz",
        b"duplicity-full.20231114T221320Z.vol99999999999.difftar.gz",
        b"duplicity-full.99991231T235959Z.manifest",
        b"duplicity-full.19700101T000000Z.manifest",
        b"duplicity-inc.20231114T221500Z.to.20231114T221320Z.manifest",
        b"df.zzzzzzzzzzzzzz.1.dt", b"di.0.0.0.dt"]))


# --- manifest ------------------------------------------------------------

def seeds_manifest(v):
    for rel, name in (
            ("a-plain/remote/duplicity-full.20231114T221320Z.manifest",
             "a-full"),
            ("a-plain/remote/duplicity-inc.20231114T221320Z.to."
             "20231114T221500Z.manifest", "a-inc1"),
            ("c-multivol/remote/duplicity-full.20231114T221320Z.manifest",
             "c-full")):
        put("manifest", name, read(v, rel))
    put("manifest", "resumed", b"Hostname h\nLocaldir \"a\\x20b\"\n"
        b"Volume 1:\n    StartingPath   .  \n    EndingPath     a 3\n"
        b"    Hash SHA1 0123456789abcdef0123456789abcdef01234567\n"
        b"Volume 2:\n    StartingPath   a 4\n    EndingPath     b  \n"
        b"    Hash MD5 0123456789abcdef0123456789abcdef\n"
        b"Volume 1:\n    StartingPath   .  \n    EndingPath     z  \n"
        b"Filelist 2\n    new      a\n    deleted  b\n")
    put("manifest", "weird", b"VOLUME 7:\r\n startingpath \"\\x2e\"\n"
        b" endingpath \"x\\\\y\" 2147483647\n hash sha256 ff\n"
        b"Volume 8:\n StartingPath \"unterminated\n")


# --- tarentry ------------------------------------------------------------

def ustar(name, typ=b"0", size=0, linkname=b"", prefix=b"", magic=b"ustar\x0000",
          extra=b""):
    h = bytearray(512)
    h[0:len(name)] = name
    h[100:108] = b"0000644\0"
    h[108:116] = b"0000000\0"
    h[116:124] = b"0000000\0"
    h[124:136] = (b"%011o\0" % size) if size < 8 ** 11 else \
        b"\x80" + size.to_bytes(11, "big")
    h[136:148] = b"14456074120\0"
    h[156:157] = typ
    h[157:157 + len(linkname)] = linkname
    h[257:265] = magic
    h[345:345 + len(prefix)] = prefix
    h[345 + 41:345 + 41 + len(extra)] = extra
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)


def pad(data):
    return data + b"\0" * (-len(data) % 512)


def pax(records, typ=b"x"):
    body = b""
    for k, val in records:
        rec = b" %s=%s\n" % (k, val)
        n = len(rec) + 1
        while len(str(n).encode()) + len(rec) != n:
            n += 1
        body += str(n).encode() + rec
    return ustar(b"PaxHeader", typ, len(body)) + pad(body)


def seeds_tarentry(v):
    a = "a-plain/remote/"
    inc1 = gunzip(v, a + "duplicity-inc.20231114T221320Z.to."
                  "20231114T221500Z.vol1.difftar.gz")
    put("tarentry", "a-inc1", b"\0" + inc1)
    put("tarentry", "a-inc1-gz", b"\1" + read(
        v, a + "duplicity-inc.20231114T221320Z.to.20231114T221500Z."
        "vol1.difftar.gz"))
    full = gunzip(v, a + "duplicity-full.20231114T221320Z.vol1.difftar.gz")
    put("tarentry", "a-full-small", b"\0" + tar_small(full, 1024))
    sig = gunzip(v, a + "duplicity-full-signatures.20231114T221320Z."
                 "sigtar.gz")
    put("tarentry", "a-sig-small", b"\0" + tar_small(sig, 4096))
    eoa = b"\0" * 1024
    hostile = {
        "dotdot": ustar(b"snapshot/../evil", size=1) + pad(b"x") + eoa,
        "abs": ustar(b"snapshot//etc/passwd") + eoa,
        "hardlink": ustar(b"snapshot/h", b"1", linkname=b"/etc/passwd") + eoa,
        "symlink": ustar(b"snapshot/l", b"2", linkname=b"/tmp") +
        ustar(b"snapshot/l/x", size=1) + pad(b"x") + eoa,
        "pax-path": pax([(b"path", b"snapshot/../../x")]) +
        ustar(b"snapshot/ok", size=1) + pad(b"x") + eoa,
        "pax-nul": pax([(b"path", b"snapshot/a\0/../../x")]) +
        ustar(b"snapshot/ok") + eoa,
        "pax-linkpath": pax([(b"linkpath", b"/" * 300)]) +
        ustar(b"snapshot/l", b"2") + eoa,
        "pax-global": pax([(b"path", b"deleted/x")], b"g") +
        ustar(b"snapshot/g") + eoa,
        "gnu-longname": ustar(b"././@LongLink", b"L", 20,
                              magic=b"ustar  \0") +
        pad(b"snapshot/../../evil\0") + ustar(b"snapshot/short",
                                               magic=b"ustar  \0") + eoa,
        "gnu-longlink": ustar(b"././@LongLink", b"K", 9,
                              magic=b"ustar  \0") +
        pad(b"/etc/pwd\0") + ustar(b"snapshot/l", b"2",
                                   magic=b"ustar  \0") + eoa,
        "gnu-sparse": ustar(b"snapshot/sparse", b"S", 1,
                            magic=b"ustar  \0",
                            extra=b"%011o\0" % 0 + b"%011o\0" % 1 +
                            b"\0" * 72 + b"\0" + b"77777777777\0") + pad(b"x") + eoa,
        "base256-size": ustar(b"snapshot/huge", size=1 << 62) + b"x" * 512,
        "multivol": ustar(b"multivol_snapshot/f/1", size=3) + pad(b"abc") +
        ustar(b"multivol_snapshot/f/2", size=0) +
        ustar(b"multivol_diff//1") + ustar(b"deleted/.") + eoa,
        "prefix-field": ustar(b"x", prefix=b"snapshot/..") + eoa,
        "dev": ustar(b"snapshot/null", b"3") + ustar(b"snapshot/sda", b"4") +
        ustar(b"snapshot/fifo", b"6") + eoa,
    }
    for name, data in hostile.items():
        put("tarentry", name, b"\0" + data)


# --- patch ---------------------------------------------------------------

def seeds_patch(v):
    a = "a-plain/remote/"
    full = gunzip(v, a + "duplicity-full.20231114T221320Z.vol1.difftar.gz")
    inc1 = gunzip(v, a + "duplicity-inc.20231114T221320Z.to."
                  "20231114T221500Z.vol1.difftar.gz")
    for f in ("small.txt", "run-0755.sh", "dir with spaces/plain.txt"):
        basis = tar_member(full, "snapshot/" + f)
        delta = tar_member(inc1, "diff/" + f)
        name = f.replace(" ", "_").replace("/", "_")
        for opt, suffix in ((0, ""), (6, "-bytewise")):
            put("patch", name + suffix, bytes([opt]) +
                struct.pack("<H", len(basis)) + basis + delta)
    sig = gunzip(v, a + "duplicity-full-signatures.20231114T221320Z."
                 "sigtar.gz")
    for f in ("small.txt", "medium-100k.bin", "empty"):
        put("patch", "sig-" + f, b"\1" + tar_member(sig, "signature/" + f))
    # hand-made deltas: magic "rs\x026", then commands
    magic = b"rs\x026"
    put("patch", "copy-past-end", b"\0" + struct.pack("<H", 4) + b"abcd" +
        magic + b"\x45" + b"\x00" + b"\xff" + b"\x00")  # COPY_N1_N1(0,255)
    put("patch", "copy-huge", b"\0" + struct.pack("<H", 4) + b"abcd" +
        magic + b"\x54\x00\x00\x00\x00\x7f\xff\xff\xff\x00")
    put("patch", "literal-short", b"\0\0\0" + magic + b"\x41" + b"\xff" +
        b"abc")
    put("patch", "bad-magic", b"\0\0\0" + b"rs\x027" + b"\x00")
    put("patch", "sig-bogus-block", b"\1" + b"rs\x016" +
        struct.pack(">II", 0, 8))
    put("patch", "sig-huge-strong", b"\1" + b"rs\x016" +
        struct.pack(">II", 512, 4096))


# --- sigsize ------------------------------------------------------------

def seeds_sigsize(v):
    a = "a-plain/remote/"
    sig = gunzip(v, a + "duplicity-full-signatures.20231114T221320Z."
                 "sigtar.gz")
    for f in ("small.txt", "big-text.txt", "empty"):
        put("sigsize", "sig-" + f, b"\0" + tar_member(sig, "signature/" + f))
    put("sigsize", "real-100000", b"\1" + struct.pack("<I", 100000) + b"ab")
    put("sigsize", "real-0", b"\7" + struct.pack("<I", 0))
    put("sigsize", "blake2", b"\0" + b"rs\x017" + struct.pack(">II", 512, 32) +
        b"\0" * 36)
    put("sigsize", "bad-strong", b"\0" + b"rs\x016" +
        struct.pack(">II", 512, 17) + b"\0" * 21)
    put("sigsize", "huge-block", b"\0" + b"rs\x016" +
        struct.pack(">II", 0xffffffff, 1) + b"\0" * 5)


# --- mf_json -------------------------------------------------------------

def env(resp, action, ok=True):
    r = {"action": action, "result": "Success" if ok else "Error",
         "current_api_version": "1.3"}
    r.update(resp)
    return json.dumps({"response": r}).replace("/", "\\/").encode()


def seeds_mf_json(v):
    files = [{"quickkey": "abcdefghijk%04d" % i,
              "filename": "duplicity-full.20231114T221320Z.vol%d.difftar.gz"
              % i, "size": str(1000 + i), "hash": "ab" * 32,
              "created": "2023-11-14 22:13:20"} for i in range(1, 4)]
    put("mf_json", "content", b"\1" + env(
        {"folder_content": {"chunk_size": "100", "content_type": "files",
                            "chunk_number": "1", "more_chunks": "no",
                            "files": files}}, "folder/get_content"))
    put("mf_json", "check", b"\2" + env(
        {"hash_exists": "no", "file_exists": "no", "size": "2000",
         "resumable_upload": {"all_units_ready": "no",
                              "number_of_units": "2", "unit_size": "1024",
                              "bitmap": {"count": "1", "words": ["1"]},
                              "upload_key": "abcdefghijk"}},
        "upload/check"))
    put("mf_json", "poll", b"\3" + env(
        {"doupload": {"result": "0", "status": "99", "description": "done",
                      "fileerror": "", "quickkey": "abcdefghijklmno",
                      "filename": "x"}}, "upload/poll_upload"))
    put("mf_json", "poll-fileerror", b"\3" + env(
        {"doupload": {"result": "-80", "status": "99", "fileerror": 15}},
        "upload/poll_upload"))
    put("mf_json", "login", b"\4" + env(
        {"session_token": "a" * 144, "secret_key": "123456789",
         "time": "1700000001.4821", "pkey": "x", "ekey": "y"},
        "user/get_session_token"))
    put("mf_json", "error", b"\0" + env(
        {"error": 127, "message": "Invalid signature\x01\xff"},
        "folder/get_info", ok=False))
    put("mf_json", "error-string", b"\6" + env(
        {"error": "105", "message": "Session token expired"},
        "folder/get_info", ok=False))
    put("mf_json", "html", b"\0<html><body>Just a moment...</body></html>")
    put("mf_json", "deep", b"\0" + b"[" * 40 + b"]" * 40)
    put("mf_json", "dup-keys", b"\0{\"response\":{},\"response\":{}}")
    put("mf_json", "other-action", b"\1" + env({}, "upload/check"))


# --- s3_xml --------------------------------------------------------------

def seeds_s3_xml(v):
    ns = b' xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'
    contents = b"".join(
        b"<Contents><Key>h1%2Fduplicity-full.20231114T221320Z.vol" +
        str(i).encode() + b".difftar.gz</Key><LastModified>"
        b"2023-11-14T22:13:20.000Z</LastModified><ETag>&quot;0123-2&quot;"
        b"</ETag><Size>" + str(1000 + i).encode() + b"</Size>"
        b"<StorageClass>STANDARD</StorageClass></Contents>"
        for i in range(1, 4))
    put("s3_xml", "list", b"\0<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
        b"<ListBucketResult" + ns + b"><EncodingType>url</EncodingType>"
        b"<Name>b</Name><Prefix>h1%2F</Prefix><MaxKeys>1000</MaxKeys>"
        b"<Delimiter>%2F</Delimiter><IsTruncated>true</IsTruncated>" +
        contents + b"<CommonPrefixes><Prefix>h1%2Fsub%2F</Prefix>"
        b"</CommonPrefixes><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYL"
        b"gveDs2J/wm36Hy4vbOwM=</NextContinuationToken><KeyCount>4"
        b"</KeyCount></ListBucketResult>")
    put("s3_xml", "list-plain", b"\0<ListBucketResult><IsTruncated>false"
        b"</IsTruncated><Contents><Key>a b</Key><Size>0</Size></Contents>"
        b"</ListBucketResult>")
    put("s3_xml", "parts", b"\1<ListPartsResult" + ns + b"><Bucket>b"
        b"</Bucket><Key>k</Key><UploadId>2~x</UploadId>"
        b"<PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>2"
        b"</NextPartNumberMarker><MaxParts>1000</MaxParts><IsTruncated>"
        b"true</IsTruncated><Part><PartNumber>1</PartNumber><ETag>"
        b"&quot;5ac6a6a7496881b81199acb4e5f18c80&quot;</ETag><Size>5242880"
        b"</Size></Part><Part><PartNumber>2</PartNumber><ETag>\"x\"</ETag>"
        b"<Size>7</Size></Part></ListPartsResult>")
    put("s3_xml", "uploads", b"\2<ListMultipartUploadsResult" + ns +
        b"><Bucket>b</Bucket><KeyMarker></KeyMarker><UploadIdMarker>"
        b"</UploadIdMarker><NextKeyMarker>h1%2Fz</NextKeyMarker>"
        b"<NextUploadIdMarker>2~y</NextUploadIdMarker><EncodingType>url"
        b"</EncodingType><IsTruncated>true</IsTruncated><Upload><Key>"
        b"h1%2Fvol1</Key><UploadId>2~x</UploadId><Initiated>"
        b"2023-11-14T22:13:20.000Z</Initiated></Upload><CommonPrefixes>"
        b"<Prefix>h1%2Fd%2F</Prefix></CommonPrefixes>"
        b"</ListMultipartUploadsResult>")
    put("s3_xml", "initiate", b"\3<InitiateMultipartUploadResult" + ns +
        b"><Bucket>b</Bucket><Key>k</Key><UploadId>2~abc</UploadId>"
        b"</InitiateMultipartUploadResult>")
    put("s3_xml", "complete", b"\4<CompleteMultipartUploadResult" + ns +
        b"><Location>http://x/b/k</Location><Bucket>b</Bucket><Key>k</Key>"
        b"<ETag></ETag></CompleteMultipartUploadResult>")
    put("s3_xml", "complete-error", b"\4<?xml version=\"1.0\"?>\n\n"
        b"<Error><Code>InternalError</Code><Message>x</Message></Error>")
    put("s3_xml", "error", b"\5<Error><Code>PermanentRedirect</Code>"
        b"<Message>m</Message><Endpoint>b.s3.eu-west-1.amazonaws.com"
        b"</Endpoint><Region>eu-west-1</Region><RequestId>r</RequestId>"
        b"</Error>")
    put("s3_xml", "entities", b"\0<?xml version=\"1.0\"?><!DOCTYPE l ["
        b"<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]>"
        b"<ListBucketResult><Contents><Key>&b;</Key></Contents>"
        b"</ListBucketResult>")
    put("s3_xml", "html", b"\5<html><body>502 Bad Gateway</body></html>")
    put("s3_xml", "deep", b"\0<ListBucketResult>" + b"<a>" * 20 +
        b"</a>" * 20 + b"</ListBucketResult>")
    put("s3_xml", "external-dtd", b"\0<!DOCTYPE ListBucketResult SYSTEM "
        b"\"http://127.0.0.1:9/x.dtd\"><ListBucketResult><Contents><Key>k"
        b"</Key></Contents></ListBucketResult>")
    put("s3_xml", "undeclared-entity", b"\0<ListBucketResult><Contents>"
        b"<Key>&x;</Key></Contents></ListBucketResult>")
    put("s3_xml", "text-forms", b"\0\xef\xbb\xbf<?xml version=\"1.0\" "
        b"encoding=\"ISO-8859-1\"?><ListBucketResult><Contents><Key>"
        b"<![CDATA[a<b]]>&amp;&#x41;\xc3\xa9</Key><Size>1</Size></Contents>"
        b"</ListBucketResult>")
    put("s3_xml", "utf16", b"\0\xff\xfe" + (
        "<ListBucketResult><Contents><Key>a</Key><Size>1</Size>"
        "</Contents></ListBucketResult>").encode("utf-16-le"))
    put("s3_xml", "prefixed", b"\5<s3:Error xmlns:s3=\"u\"><s3:Code>X"
        b"</s3:Code></s3:Error>")


# --- s3_ini --------------------------------------------------------------

def seeds_s3_ini(v):
    put("s3_ini", "credentials", b"\0# comment\n[default]\n"
        b"aws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = "
        b"wJalrXUtnFEMI/K7MDENG\naws_session_token=tok\n")
    put("s3_ini", "config", b"\1[default]\nregion = us-east-1\n"
        b"[profile x]\r\nregion = eu-west-1\r\ns3 =\r\n"
        b"    endpoint_url = http://127.0.0.1:7480\r\n"
        b"    addressing_style = virtual\r\n; comment\r\n"
        b"credential_process = /bin/true\n")
    put("s3_ini", "bad", b"\0[default\nkey\n = v\n")


# --- filelist ------------------------------------------------------------

def seeds_filelist(v):
    put("filelist", "globs", b"\0" + b"# comment\n+ /src/a\n- /src/a/b\n"
        b"/src/dir/**.txt\n  \"/src/x y\"  \n'\n/src/[a-c]?\n**\n")
    put("filelist", "exclude", b"\1/src/dir\r\n/src/a/**/b\r/src/ignorecase:"
        b"X\n")
    put("filelist", "files-from", b"\2a\na/b\ndir/file.txt\n./x\n")
    put("filelist", "files-from-nul", b"\6a\0dir/file.txt\0x y\0")
    put("filelist", "nocase-literal", b"\x18/SRC/A\n/src/Dir/FILE.TXT\n")
    put("filelist", "regexp", b"\x23^/src/(a|dir)$\n.*\\.txt\\Z\n[\n")
    put("filelist", "utf8", b"\0/src/\xc3\xa9t\xc3\xa9\n/src/\xff\n")
    put("filelist", "errors", b"\0/src//a\n/other/x\n[z-a]\n")


# --- lock records ----------------------------------------------------------

LOCK = (b"dupc lock 1\nhost: backup1.example.org\nuser: root\npid: 4242\n"
        b"command: backup\ninstance: 0f1e-2d3c pid:[4026531836]\n"
        b"started: 20240101T020000Z\n"
        b"refreshed: 20240101T021500Z\ninterval: 60\n"
        b"token: 0123456789abcdef0123456789abcdef\n")


def seeds_lockrec(v):
    put("lockrec", "good", LOCK)
    put("lockrec", "extra-key", LOCK + b"comment: written by a later version\n")
    put("lockrec", "twice", LOCK + b"pid: 1\n")
    put("lockrec", "no-newline", LOCK[:-1])
    put("lockrec", "other-version", b"dupc lock 2\n" + LOCK[12:])
    put("lockrec", "control", LOCK.replace(b"root", b"ro\x1bot"))
    put("lockrec", "utf8-host", LOCK.replace(b"backup1.example.org",
                                             "h\u00f6st".encode()))
    put("lockrec", "bad-time", LOCK.replace(b"20240101T021500Z",
                                            b"20241301T021500Z"))
    put("lockrec", "empty", b"")


# --- record of stored files ------------------------------------------------

def seeds_checksums(v):
    h = b"0123456789abcdef" * 4
    put("checksums", "good", b"992575 - duplicity-full.20240101T000000Z.vol1"
        b".difftar.gpg\n367 " + h + b" duplicity-full.20240101T000000Z"
        b".manifest.gpg\n")
    put("checksums", "torn", b"12 - a\n34 " + h[:20])
    put("checksums", "bad", b"x - a\n12 - a/b\n12 " + h.upper() +
        b" c\n007 - zeros\n12 -  two-spaces\n")
    put("checksums", "long", b"1 - " + b"n" * 300 + b"\n")


# --- dupc's own encrypted messages (codec/pgp_open.c) ------------------------

def seeds_pgp_open(v):
    import zlib

    def newlen(n):
        if n < 192:
            return bytes([n])
        if n < 8384:
            n -= 192
            return bytes([(n >> 8) + 192, n & 0xFF])
        return b"\xff" + n.to_bytes(4, "big")

    def literal(data, chunk=None):
        body = b"b\x00\x00\x00\x00\x00" + data
        out = b"\xcb"
        if chunk:
            while len(body) > chunk:
                out += bytes([0xE0 + chunk.bit_length() - 1]) + body[:chunk]
                body = body[chunk:]
        return out + newlen(len(body)) + body

    def packets(lit):
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        return b"\xa3\x01" + c.compress(lit) + c.flush()

    text = b"".join(b"line %d of a volume\n" % i for i in range(400))
    put("pgp_open", "sealed-empty", b"\x00" + packets(literal(b"")))
    put("pgp_open", "sealed-text", b"\x00" + packets(literal(text)))
    put("pgp_open", "sealed-chunks", b"\x00" + packets(literal(text, 512)))
    put("pgp_open", "sealed-after", b"\x00" + packets(literal(b"x")) + b"?")
    put("pgp_open", "sealed-no-header", b"\x00" + literal(b"x"))
    put("pgp_open", "sealed-nothing", b"\x00")
    skesk = (b"\xc3\x2e\x04\x09\x03\x08" + b"S" * 8 + b"\xff" +
             b"K" * 33)
    put("pgp_open", "raw-header", b"\x01" + skesk + b"\xd2\xe0" + b"\x01" +
        b"C" * 40)
    put("pgp_open", "raw-cut", b"\x01" + skesk + b"\xd2")


def main():
    v = vectors_dir()
    for fn in (seeds_volname, seeds_manifest, seeds_tarentry, seeds_patch,
               seeds_sigsize, seeds_mf_json, seeds_s3_xml, seeds_s3_ini,
               seeds_filelist, seeds_lockrec, seeds_checksums,
               seeds_pgp_open):
        fn(v)


if __name__ == "__main__":
    main()
