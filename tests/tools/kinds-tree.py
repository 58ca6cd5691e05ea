#!/usr/bin/env python3
"""kinds-tree.py [--root] [--deep] [--big SIZE] [--stamp T] DIR

Build a source tree with every kind of object a backup meets:

  always    regular files (empty, setuid, setgid, sticky), the
            directory modes that matter (sticky, setgid, read-only),
            symlinks with odd targets (dangling, absolute, ".", "..",
            newline, non-UTF-8, 300 bytes), a fifo, a socket, hard links,
            names with a newline, non-UTF-8 bytes, 255 bytes
  --root    files only root can read (mode 0000, 0200), character and
            block devices, files, a directory, a fifo and
            a symlink owned by other users and groups: some with names
            (daemon), some without (4242:4343), one beyond the 7 octal
            digits of a ustar header (3000000:3000001)
  --deep    a directory chain whose full path is longer than PATH_MAX,
            with a file and a symlink at the bottom
  --big N   a sparse file of N bytes: data at the start, across the
            4 GiB mark when it is that long, and at the end

Every object except symlinks gets mtime T (default 1690000000); directory
times are set last.  Everything below DIR is made relative to an open
directory, so the deep chain works.
"""
import os
import socket
import stat
import sys

T = 1690000000


def write(dirfd, name, data, mode=0o644):
    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode,
                 dir_fd=dirfd)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.chmod(name, mode, dir_fd=dirfd)


def mkdir(dirfd, name, mode=0o755):
    os.mkdir(name, dir_fd=dirfd)
    return os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=dirfd)


def common(d):
    write(d, "empty", b"")
    write(d, "plain", b"plain data\n")
    write(d, "setuid", b"suid\n", 0o4755)
    write(d, "setgid", b"sgid\n", 0o2711)
    write(d, "sticky", b"sticky\n", 0o1644)
    for name, mode in (("stickydir", 0o1777), ("sgiddir", 0o2775),
                       ("rodir", 0o555), ("emptydir", 0o700)):
        fd = mkdir(d, name)
        if name != "emptydir":
            write(fd, "inside", name.encode() + b"\n")
        os.chmod(fd, mode)
        os.close(fd)
    for name, target in (("link", b"plain"), ("link-abs", b"/etc/passwd"),
                         ("link-dangling", b"../../../nowhere"),
                         ("link-dot", b"."), ("link-up", b".."),
                         ("link-newline", b"new\nline"),
                         ("link-binary", b"bin-\xff\xfe"),
                         ("link-long", b"x" * 300)):
        os.symlink(target, name, dir_fd=d)
    os.mkfifo("fifo", 0o640, dir_fd=d)
    write(d, "hard1", b"one inode, three names\n")
    hl = mkdir(d, "hl")
    os.link("hard1", "hard2", src_dir_fd=d, dst_dir_fd=d)
    os.link("hard1", "hard3", src_dir_fd=d, dst_dir_fd=hl)
    os.close(hl)
    write(d, b"name\nwith newline", b"n\n")
    write(d, b"latin1-\xe9", b"l\n")
    write(d, b"L" * 255, b"long name\n")
    write(d, b"q\"uote'\\back", b"q\n")
    write(d, b"ctrl-\x01\x7f\t", b"c\n")


def bind_socket(d):
    here = os.open(".", os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fchdir(d)
        s = socket.socket(socket.AF_UNIX)
        s.bind("sock")
        s.close()
    finally:
        os.fchdir(here)
        os.close(here)


def root_only(d):
    write(d, "mode000", b"only root may read this\n", 0)
    write(d, "writeonly", b"w\n", 0o200)
    os.mknod("chr", stat.S_IFCHR | 0o620, os.makedev(1, 3), dir_fd=d)
    os.mknod("blk", stat.S_IFBLK | 0o660, os.makedev(7, 200), dir_fd=d)
    os.mknod("chr-big", stat.S_IFCHR | 0o600, os.makedev(259, 1048575),
             dir_fd=d)
    for name, mode in (("chr", 0o620), ("blk", 0o660), ("chr-big", 0o600)):
        os.chmod(name, mode, dir_fd=d)  # not the umask's
    for name, uid, gid, mode in (("owned-named", 1, 1, 0o640),
                                 ("owned-numeric", 4242, 4343, 0o644),
                                 ("owned-big", 3000000, 3000001, 0o644),
                                 ("owned-setuid", 4242, 4343, 0o6755)):
        write(d, name, name.encode() + b"\n")
        os.chown(name, uid, gid, dir_fd=d)
        os.chmod(name, mode, dir_fd=d)  # after chown, which clears s-bits
    fd = mkdir(d, "owned-dir")
    write(fd, "f", b"f\n")
    os.chown("f", 1, 4343, dir_fd=fd)
    os.fchown(fd, 4242, 1)
    os.chmod(fd, 0o2750)
    os.close(fd)
    os.symlink("plain", "owned-link", dir_fd=d)
    os.chown("owned-link", 4242, 4343, dir_fd=d, follow_symlinks=False)
    os.mkfifo("owned-fifo", 0o600, dir_fd=d)
    os.chown("owned-fifo", 3000000, 1, dir_fd=d)


def deep(d):
    fd = mkdir(d, "deep")
    fds = [fd]
    for i in range(20):
        fd = mkdir(fd, ("%02d" % i) + "d" * 248)
        fds.append(fd)
    write(fd, "bottom", b"deeper than PATH_MAX\n")
    os.symlink("bottom", "bottom-link", dir_fd=fd)
    for fd in fds:
        os.close(fd)


def big(d, size):
    fd = os.open("big", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644,
                 dir_fd=d)
    try:
        os.ftruncate(fd, size)
        marks = [0, size // 3, size - 32]
        if size > 2 ** 32 + 4096:
            marks.append(2 ** 32 - 3)  # a piece across the 4 GiB mark
        for off in marks:
            os.pwrite(fd, (b"data@%d\n" % off)[:size - off], off)
    finally:
        os.close(fd)


def stamp(d, t):
    """Every time to t, directories after their contents."""
    for name in os.listdir(d):
        st = os.lstat(name, dir_fd=d)
        if stat.S_ISLNK(st.st_mode):
            continue
        if stat.S_ISDIR(st.st_mode):
            fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=d)
            try:
                stamp(fd, t)
            finally:
                os.close(fd)
        os.utime(name, (t, t), dir_fd=d, follow_symlinks=False)


def main(argv):
    args, want = [], {"root": False, "deep": False, "big": 0, "stamp": T}
    it = iter(argv[1:])
    for a in it:
        if a in ("--root", "--deep"):
            want[a[2:]] = True
        elif a in ("--big", "--stamp"):
            want[a[2:]] = int(next(it))
        else:
            args.append(a)
    if len(args) != 1:
        sys.stderr.write(__doc__)
        return 2
    os.mkdir(args[0])
    d = os.open(args[0], os.O_RDONLY | os.O_DIRECTORY)
    try:
        if want["big"]:
            big(d, want["big"])
        else:
            common(d)
            bind_socket(d)
            if want["root"]:
                root_only(d)
            if want["deep"]:
                deep(d)
        stamp(d, want["stamp"])
        os.utime(d, (want["stamp"], want["stamp"]))
    finally:
        os.close(d)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
