#!/usr/bin/env python3
"""listing-diff.py A B -- what "dupc diff" must print for two restores.

A and B are listings of two restored trees (shared/vectors/listing.py:
PATH TYPE MODE SIZE MTIME CONTENT, tab-separated, in duplicity's path
order).  Prints, in that order, "X PATH" for each path that differs ('+'
only in B, '-' only in A, 'T' another type, 'M' other content: data,
symlink target or device numbers, 'U' only the mode or the mtime), the
path with its \\xHH escapes turned back into bytes, then the summary line
dupc prints.  Owners are not in listings; the trees compared must not
differ in them.
"""
import re
import sys


def unescape(p):
    return re.sub(rb"\\x([0-9a-f]{2})", lambda m: bytes([int(m.group(1), 16)]),
                  p)


def load(path):
    out = []
    for line in open(path, "rb"):
        if line.startswith(b"#"):
            continue
        f = line.rstrip(b"\n").split(b"\t")
        out.append((unescape(f[0]), f[1:]))
    return out


def key(p):
    return () if p == b"." else tuple(p.split(b"/"))


def change(a, b):
    ta, mode_a, size_a, mtime_a, content_a = a
    tb, mode_b, size_b, mtime_b, content_b = b
    if ta != tb:
        return "T"
    if content_a != content_b or size_a != size_b:
        return "M"
    if mode_a != mode_b or mtime_a != mtime_b:
        return "U"
    return None


def main():
    a, b = load(sys.argv[1]), load(sys.argv[2])
    i = j = 0
    counts = {c: 0 for c in "+-MTU"}
    out = sys.stdout.buffer
    while i < len(a) or j < len(b):
        if j == len(b) or (i < len(a) and key(a[i][0]) < key(b[j][0])):
            c, p = "-", a[i][0]
            i += 1
        elif i == len(a) or key(b[j][0]) < key(a[i][0]):
            c, p = "+", b[j][0]
            j += 1
        else:
            c, p = change(a[i][1], b[j][1]), a[i][0]
            i += 1
            j += 1
        if c is not None:
            counts[c] += 1
            out.write(c.encode() + b" " + p + b"\n")
    out.write(("%d new, %d deleted, %d modified, %d type changed, "
               "%d metadata only\n" % (counts["+"], counts["-"], counts["M"],
                                       counts["T"], counts["U"])).encode())


if __name__ == "__main__":
    main()
