#!/usr/bin/env python3
"""make-set.py DIR SPEC.json -- write duplicity-format sets by hand.

Used by the tests to build archives that neither dupc nor duplicity would
write (hostile names, broken deltas, odd tar dialects), so the readers can
be held to refusing them.  SPEC is a JSON object, one full set:

  {"time": 1700000000,                  set time (default 1700000000)
   "volumes": [[entry, ...], ...],       tar entries per volume
   "format": "pax" | "gnu" | "ustar",   tar dialect (default pax)
   "corrupt_hash": false}                write a wrong SHA-1 in the manifest

or a chain: {"sets": [SET, ...]}, each SET an object as above (its "time"
is required), the first one full and the others incrementals, each from
the time of the set before it.

An entry is {"name": "snapshot/x", "type": "file"|"dir"|"symlink"|"fifo"|
"hardlink"|"chr"|"blk", "data": "text", "hexdata": "...", "size": N (for
zero-filled data), "mode": 420, "linkname": "...", "mtime": 1690000000,
"uid": 0, "gid": 0, "devmajor": 1, "devminor": 3, "pax": {"path": "..."}
(extra pax records, which take priority over the header fields)}, or
{"raw_hex": "...", "index": "x"}: bytes copied into the tar stream as
they are (whole 512-byte blocks), "index" naming them in the manifest.
A sigtar is written for every set too (holding only the root), so the
sets form a chain; with "sigtar": "mirror" (in a set, or at the top of a
chain for every set) it names what the set's volumes hold instead, as a
backup would: a "signature/" entry (a librsync signature header with
zeroed sums, one per 512 bytes of the entry's data) for each file or
delta, the entry itself for anything else.
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile
import time as _time

TYPES = {
    "file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE,
    "symlink": tarfile.SYMTYPE, "fifo": tarfile.FIFOTYPE,
    "hardlink": tarfile.LNKTYPE, "chr": tarfile.CHRTYPE,
    "blk": tarfile.BLKTYPE,
}
FORMATS = {"pax": tarfile.PAX_FORMAT, "gnu": tarfile.GNU_FORMAT,
           "ustar": tarfile.USTAR_FORMAT}


def tstr(t):
    return _time.strftime("%Y%m%dT%H%M%SZ", _time.gmtime(t))


def entry_data(e):
    if "hexdata" in e:
        return bytes.fromhex(e["hexdata"])
    if "size" in e:
        return b"\0" * e["size"]
    return e.get("data", "").encode("utf-8", "surrogateescape")


def tar_bytes(entries, fmt):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=FORMATS[fmt],
                      encoding="utf-8", errors="surrogateescape") as t:
        for e in entries:
            if "raw_hex" in e:
                raw = bytes.fromhex(e["raw_hex"])
                t.fileobj.write(raw)
                t.offset += len(raw)
                continue
            ti = tarfile.TarInfo(e["name"])
            ti.type = TYPES[e.get("type", "file")]
            ti.mode = e.get("mode", 0o644)
            ti.mtime = e.get("mtime", 1690000000)
            ti.uid = e.get("uid", 0)
            ti.gid = e.get("gid", 0)
            ti.linkname = e.get("linkname", "")
            ti.devmajor = e.get("devmajor", 0)
            ti.devminor = e.get("devminor", 0)
            if "pax" in e:
                ti.pax_headers = dict(e["pax"])
            data = entry_data(e) if ti.type == tarfile.REGTYPE else b""
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data) if data else None)
    return buf.getvalue()


def quote(s):
    special = b" \t\n\r\f\v\\\"'"
    if not any(c in special for c in s):
        return s
    out = b'"'
    for c in s:
        out += b"\\x%02x" % c if c in special else bytes([c])
    return out + b'"'


def index_of(name):
    for p in ("multivol_snapshot/", "multivol_diff/", "snapshot/", "diff/",
              "deleted/"):
        if name.startswith(p):
            rest = name[len(p):]
            if p.startswith("multivol"):
                rest = rest.rsplit("/", 1)[0]
            rest = rest.rstrip("/")
            return "." if rest in ("", ".") else rest
    return name


def entry_index(e):
    if "raw_hex" in e:
        return e.get("index", ".")
    return index_of(e["name"])


def signature(data_len):
    blocks = (data_len + 511) // 512
    return (b"rs\x016" + (512).to_bytes(4, "big") + (8).to_bytes(4, "big") +
            b"\0" * (12 * blocks))


def mirror_entries(volumes):
    """The sigtar entries naming what ${volumes} hold."""
    out = []
    for entries in volumes:
        for e in entries:
            if "raw_hex" in e:
                continue
            name = e["name"]
            kind = e.get("type", "file")
            if name.startswith("multivol_"):
                if not name.endswith("/1"):
                    continue
                name = name[len("multivol_"):].rsplit("/", 1)[0]
            s = dict(e)
            s.pop("pax", None)
            if name.startswith("diff/") or (name.startswith("snapshot/")
                                            and kind == "file"):
                s["name"] = "signature/" + name.split("/", 1)[1]
                s.pop("data", None)
                s.pop("size", None)
                s["hexdata"] = signature(len(entry_data(e))).hex()
            else:
                s["name"] = name
            out.append(s)
    return out


def write_set(out, spec, kind, prev):
    """One set; ${kind} "full" or "inc" (from ${prev})."""
    t = spec.get("time", 1700000000)
    fmt = spec.get("format", "pax")
    if kind == "full":
        base = "duplicity-full.%s" % tstr(t)
        sig = "duplicity-full-signatures.%s.sigtar.gz" % tstr(t)
    else:
        base = "duplicity-inc.%s.to.%s" % (tstr(prev), tstr(t))
        sig = "duplicity-new-signatures.%s.to.%s.sigtar.gz" % (
            tstr(prev), tstr(t))
    man = b"Hostname dupc-tests\nLocaldir src\n"
    for n, entries in enumerate(spec["volumes"], 1):
        raw = gzip.compress(tar_bytes(entries, fmt))
        name = "%s.vol%d.difftar.gz" % (base, n)
        open(os.path.join(out, name), "wb").write(raw)
        h = hashlib.sha1(raw).hexdigest()
        if spec.get("corrupt_hash"):
            h = "0" * 40
        first = entry_index(entries[0]) if entries else "."
        last = entry_index(entries[-1]) if entries else "."
        man += b"Volume %d:\n" % n
        man += b"    StartingPath   %s  \n" % quote(
            first.encode("utf-8", "surrogateescape"))
        man += b"    EndingPath     %s  \n" % quote(
            last.encode("utf-8", "surrogateescape"))
        man += b"    Hash SHA1 %s\n" % h.encode()
    man += b"Filelist 0\n"
    open(os.path.join(out, base + ".manifest"), "wb").write(man)
    if spec.get("sigtar") == "mirror":
        sigents = mirror_entries(spec["volumes"])
    else:
        sigents = [{"name": "snapshot/", "type": "dir", "mode": 0o755}]
    sigtar = gzip.compress(tar_bytes(sigents, "pax"))
    open(os.path.join(out, sig), "wb").write(sigtar)


def main():
    out, spec = sys.argv[1], json.load(open(sys.argv[2]))
    os.makedirs(out, exist_ok=True)
    sets = spec["sets"] if "sets" in spec else [spec]
    prev = None
    for i, s in enumerate(sets):
        if "sigtar" in spec and "sigtar" not in s:
            s["sigtar"] = spec["sigtar"]
        write_set(out, s, "full" if i == 0 else "inc", prev)
        prev = s.get("time", 1700000000)


if __name__ == "__main__":
    main()
