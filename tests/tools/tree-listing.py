#!/usr/bin/env python3
"""tree-listing.py [--no-owner] [--no-sockets] DIR

One line per object under DIR (DIR itself is "."), in duplicity's order,
with everything a restore must bring back:

    <path> <type> <mode> <uid>:<gid> <mtime> [<size> <digest> | <major>,<minor>]
    <path> sym <uid>:<gid> -> <target>

Paths and link targets are printed as Python escapes of their bytes, so
any name (newlines, non-UTF-8) takes one line.  Symlinks have no mode or
time (they are not restored).  A regular file's digest covers its size
and every 64 KiB block that is not all zero, with its offset: a sparse
copy and a fully written one list the same, and holes are skipped without
being read.  Everything is opened relative to its directory, so paths
longer than PATH_MAX are listed too.

--no-owner leaves out uid:gid; --no-sockets leaves out sockets (which no
backup stores).
"""
import errno
import hashlib
import os
import stat
import sys

BLOCK = 65536
ZERO = bytes(BLOCK)


def esc(b):
    return repr(b)[2:-1]


def digest(dirfd, name, size):
    h = hashlib.sha256(b"%d\n" % size)
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=dirfd)
    try:
        pos = 0
        while pos < size:
            try:
                data = os.lseek(fd, pos, os.SEEK_DATA)
                hole = os.lseek(fd, data, os.SEEK_HOLE)
            except OSError as e:
                if e.errno == errno.ENXIO:
                    break  # nothing but a hole from here
                data, hole = pos, size  # no hole information: read all
            start = max(pos, data // BLOCK * BLOCK)
            os.lseek(fd, start, os.SEEK_SET)
            while start < hole:
                block = os.read(fd, BLOCK)
                if not block:
                    break
                if block != ZERO[:len(block)]:
                    h.update(b"%d:" % start)
                    h.update(block)
                start += len(block)
            pos = max(start, hole)
    finally:
        os.close(fd)
    return h.hexdigest()[:32]


def line(dirfd, name, path, st, opts):
    mode = stat.S_IMODE(st.st_mode)
    owner = "" if opts["no_owner"] else " %d:%d" % (st.st_uid, st.st_gid)
    fmt = stat.S_IFMT(st.st_mode)
    if fmt == stat.S_IFLNK:
        target = os.readlink(name, dir_fd=dirfd) if name else b""
        return "%s sym%s -> %s" % (path, owner, esc(os.fsencode(target)))
    head = "%s %%s %04o%s %d" % (path, mode, owner, int(st.st_mtime))
    if fmt == stat.S_IFREG:
        return head % "reg" + " %d %s" % (st.st_size,
                                          digest(dirfd, name, st.st_size))
    if fmt == stat.S_IFDIR:
        return head % "dir"
    if fmt == stat.S_IFIFO:
        return head % "fifo"
    if fmt in (stat.S_IFCHR, stat.S_IFBLK):
        kind = "chr" if fmt == stat.S_IFCHR else "blk"
        return head % kind + " %d,%d" % (os.major(st.st_rdev),
                                         os.minor(st.st_rdev))
    if fmt == stat.S_IFSOCK:
        return None if opts["no_sockets"] else head % "sock"
    return head % "unknown"


def walk(dirfd, prefix, opts, out):
    names = sorted(os.listdir(dirfd), key=os.fsencode)
    for name in names:
        path = prefix + esc(os.fsencode(name))
        st = os.lstat(name, dir_fd=dirfd)
        text = line(dirfd, name, path, st, opts)
        if text is not None:
            out.write(text + "\n")
        if stat.S_ISDIR(st.st_mode):
            fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW,
                         dir_fd=dirfd)
            try:
                walk(fd, path + "/", opts, out)
            finally:
                os.close(fd)


def main(argv):
    opts = {"no_owner": False, "no_sockets": False}
    args = []
    for a in argv[1:]:
        if a == "--no-owner":
            opts["no_owner"] = True
        elif a == "--no-sockets":
            opts["no_sockets"] = True
        else:
            args.append(a)
    if len(args) != 1:
        sys.stderr.write(__doc__)
        return 2
    fd = os.open(args[0], os.O_RDONLY | os.O_DIRECTORY)
    try:
        out = sys.stdout
        out.write(line(fd, "", ".", os.fstat(fd), opts) + "\n")
        walk(fd, "", opts, out)
    finally:
        os.close(fd)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
