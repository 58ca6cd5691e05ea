#!/usr/bin/env python3
"""soak.py -- random backups, kills, faults and restores against mfemu.

    tests/soak/soak.py [--build build] [--time 120] [--seed N]
                       [--workdir DIR] [--keep] [--smoke]

For --time seconds (SOAK_TIME in `make soak`), repeat random steps against
the bundled MediaFire emulator (tools/mf-emulator/mfemu.py) on loopback:

  backup   mutate the source tree at random (files added, changed,
           truncated, deleted, renamed, modes, symlinks, directories
           turned into files and back), then run a full or incremental
           backup to mf:// with random emulator faults, and, at random,
           kill it: SIGKILL at a DUPC_FAULT_POINT crash point, or SIGTERM
           after a random delay.  A killed or failed run is run again (the
           tree unchanged, so the next run resumes or redoes the set)
           until it succeeds; faults are dropped after a few failures.
  restore  restore a random backup time with random faults (cut,
           corrupted or refused downloads, lost answers...), sometimes
           with an empty archive dir, sometimes killed.
  prune    remove-all-but-n-full 2 (old chains leave the expectations).

The listing of the tree (tests/soak/soak.py's own, in the format of
shared/vectors/listing.py) is saved for every backup time as the backup
is made.  After every step, every backup time is restored (without
faults, with the archive dir that killed restores share) and compared
with its listing; a restore that
succeeds with a different tree, or a step that cannot succeed even
without faults, stops the run with exit status 1 and keeps the work
directory.  At the end the step counts are printed: backups, kills,
restores, verifications, faults hit (from the emulator's request log).

--smoke runs a short, fixed sequence (one kill, one faulty restore) for
`make check`-sized runs.  Python 3 standard library only.
"""
import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import urllib.request

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
MFEMU = os.path.join(TOP, "tools", "mf-emulator", "mfemu.py")
URL = "mf://soak%40example.com@mediafire.com/soak/host1"
PASSWORD = "soak pass&1"
T0 = 1700000000
CRASH_POINTS = ["volume-entry", "volume-upload", "volume-uploaded",
                "sigtar-upload", "manifest-upload", "archive-dir-update",
                "archive-dir-sigtar"]
# (weight, rule) pairs: the faults a step may draw from
FAULTS = [
    {"action": "http500_after_advance"},
    {"action": "http500_before_advance"},
    {"action": "drop_after"},
    {"action": "drop_before"},
    {"action": "error", "code": 127},
    {"action": "error", "code": 105},
    {"action": "json_error_after_advance", "code": 100},
    {"action": "truncate"},
    {"action": "corrupt"},
    {"action": "http500", "match": {"path": "dl/*"}},
    {"action": "http429", "match": {"path": "dl/*"}},
    {"action": "html_instead", "match": {"path": "dl/*"}},
    {"action": "reset_mid_response"},
    {"action": "poll_stuck", "status": 5, "polls": 3},
    {"action": "poll_fileerror", "code": 6},
    {"action": "lose_units", "match": {"path": "upload/resumable"}},
    {"action": "unit_reject", "match": {"path": "upload/resumable"}},
    {"action": "more_chunks_lies"},
    {"action": "force_chunk_size", "size": 2},
    {"action": "expire_session", "stage": "after"},
    {"action": "cloudflare_html", "status": 503},
]


class Failure(Exception):
    pass


def esc(b):
    return "".join("\\x%02x" % c if c < 0x20 or c > 0x7E or c == 0x5C
                   else chr(c) for c in b)


def listing(base):
    """The tree as listing.py prints it (PATH TYPE MODE SIZE MTIME
    CONTENT), in duplicity's path order."""
    base = os.fsencode(base)
    out = []

    def walk(index):
        p = os.path.join(base, *index) if index else base
        st = os.lstat(p)
        m = st.st_mode
        rel = esc(b"/".join(index)) if index else "."
        mode, mtime, size, content = ("%04o" % stat.S_IMODE(m),
                                      str(int(st.st_mtime)), "-", "-")
        if stat.S_ISREG(m):
            t, size = "reg", str(st.st_size)
            with open(p, "rb") as f:
                content = hashlib.sha256(f.read()).hexdigest()
        elif stat.S_ISDIR(m):
            t = "dir"
        elif stat.S_ISLNK(m):
            t, mode, mtime = "sym", "-", "-"
            content = "-> " + esc(os.readlink(p))
        elif stat.S_ISFIFO(m):
            t = "fifo"
        else:
            t = "other"
        out.append("\t".join([rel, t, mode, size, mtime, content]))
        if stat.S_ISDIR(m):
            for name in sorted(os.listdir(p)):
                walk(index + (name,))

    walk(())
    return "\n".join(out) + "\n"


class Tree:
    """The source tree and its random changes; mtimes come from a fake
    clock so that every change is visible to the next backup."""

    NAMES = ["a", "b", "c", "dir", "sub", "x y", "caf\u00e9", "long-" + "n" * 60,
             "data.bin", "notes.txt", "z"]

    def __init__(self, path, rnd):
        self.path, self.rnd, self.clock = path, rnd, T0 - 10 ** 6
        os.makedirs(path)
        for _ in range(12):
            self.add_file()
        self.big("data.bin", 1300000)

    def tick(self):
        self.clock += 7
        return self.clock

    def entries(self):
        out = []
        for d, dirs, files in os.walk(self.path):
            for n in dirs + files:
                out.append(os.path.join(d, n))
        return out

    def dirs(self):
        return [self.path] + [p for p in self.entries()
                              if os.path.isdir(p) and not os.path.islink(p)]

    def new_path(self):
        d = self.rnd.choice(self.dirs())
        return os.path.join(d, self.rnd.choice(self.NAMES) +
                            str(self.rnd.randrange(100)))

    def write(self, p, data):
        with open(p, "wb") as f:
            f.write(data)
        os.utime(p, (self.tick(), self.clock))

    def data(self, n):
        if self.rnd.random() < 0.5:
            return bytes(self.rnd.getrandbits(8) for _ in range(min(n, 4096))) \
                * (n // 4096 + 1)
        return os.urandom(n)

    def add_file(self):
        p = self.new_path()
        if not os.path.lexists(p):
            self.write(p, self.data(self.rnd.choice([0, 1, 100, 5000,
                                                     70000, 200000])))

    def big(self, name, n):
        self.write(os.path.join(self.path, name), os.urandom(n))

    def files(self):
        return [p for p in self.entries()
                if os.path.isfile(p) and not os.path.islink(p)]

    def mutate(self):
        for _ in range(self.rnd.randint(1, 6)):
            self.rnd.choice([self.add_file, self.add_file, self.change,
                             self.append, self.truncate, self.delete,
                             self.rename, self.chmod, self.symlink,
                             self.mkdir, self.swap_type])()
        # directory mtimes changed with their entries; pin them too
        for d in self.dirs():
            os.utime(d, (self.tick(), self.clock))

    def pick_file(self):
        f = self.files()
        return self.rnd.choice(f) if f else None

    def change(self):
        p = self.pick_file()
        if p:
            with open(p, "r+b") as f:
                size = os.fstat(f.fileno()).st_size
                f.seek(self.rnd.randrange(size + 1))
                f.write(os.urandom(self.rnd.randint(1, 3000)))
            os.utime(p, (self.tick(), self.clock))

    def append(self):
        p = self.pick_file()
        if p:
            with open(p, "ab") as f:
                f.write(self.data(self.rnd.choice([10, 70000, 300000])))
            os.utime(p, (self.tick(), self.clock))

    def truncate(self):
        p = self.pick_file()
        if p:
            os.truncate(p, self.rnd.randrange(os.path.getsize(p) + 1))
            os.utime(p, (self.tick(), self.clock))

    def delete(self):
        e = [p for p in self.entries() if not p.endswith("data.bin")]
        if e:
            p = self.rnd.choice(e)
            if os.path.isdir(p) and not os.path.islink(p):
                shutil.rmtree(p)
            else:
                os.unlink(p)

    def rename(self):
        p = self.pick_file()
        q = self.new_path()
        if p and not os.path.lexists(q) and not q.startswith(p + "/"):
            os.rename(p, q)

    def chmod(self):
        p = self.pick_file()
        if p:
            os.chmod(p, self.rnd.choice([0o600, 0o644, 0o755, 0o700, 0o444]))

    def symlink(self):
        p = self.new_path()
        if not os.path.lexists(p):
            os.symlink(self.rnd.choice(["a1", "../x", "/nonexistent",
                                        "dir3/b4"]), p)

    def mkdir(self):
        p = self.new_path()
        if not os.path.lexists(p):
            os.mkdir(p)
            self.write(os.path.join(p, "inside"), self.data(300))

    def swap_type(self):
        """A file becomes a directory, or a directory a file."""
        e = [p for p in self.entries() if not p.endswith("data.bin")]
        if not e:
            return
        p = self.rnd.choice(e)
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p)
            self.write(p, b"was a directory\n")
        else:
            os.unlink(p)
            os.mkdir(p)
            self.write(os.path.join(p, "was-a-file"), b"x")


class Soak:
    def __init__(self, args):
        self.args = args
        self.rnd = random.Random(args.seed)
        self.dupc = os.path.join(TOP, args.build, "dupc")
        self.work = args.workdir or tempfile.mkdtemp(prefix="dupc-soak.")
        os.makedirs(self.work, exist_ok=True)
        self.cache = os.path.join(self.work, "cache")
        self.expected = {}  # backup time -> listing
        self.next_time = T0
        self.n = {"steps": 0, "backups": 0, "backup runs": 0,
                  "backup runs failed": 0, "kills SIGKILL": 0,
                  "kills SIGTERM": 0, "restores": 0,
                  "restores failed under faults": 0, "restores killed": 0,
                  "verifications": 0, "prunes": 0}
        self.mf = None
        self.api = None

    # --- emulator ---------------------------------------------------------

    def start_emulator(self):
        out = open(os.path.join(self.work, "mfemu.out"), "w")
        self.mflog = os.path.join(self.work, "mfemu.log")
        self.mf = subprocess.Popen(
            [sys.executable, MFEMU, "--listen", "127.0.0.1:0",
             "--data", os.path.join(self.work, "mfdata"),
             "--account", "soak@example.com:" + PASSWORD,
             "--seed", str(self.args.seed), "--no-fsync", "--control",
             "--log", self.mflog],
            stdout=subprocess.PIPE, stderr=out, text=True)
        line = self.mf.stdout.readline()
        if not line.startswith("mfemu listening on "):
            raise Failure("mfemu did not start: %r" % line)
        self.api = line.split()[-1]

    def control(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.api + path, data=data,
                                     method=method)
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read() or b"null")

    def set_faults(self, heavy):
        self.control("DELETE", "/_mfemu/faults")
        if not heavy:
            return []
        rules = []
        for f in self.rnd.sample(FAULTS, self.rnd.randint(1, 5)):
            rule = {k: v for k, v in f.items() if k != "match"}
            rule["match"] = dict(f.get("match", {}))
            rule["match"]["probability"] = round(self.rnd.uniform(0.03, 0.2), 3)
            rule["times"] = -1
            rules.append(rule)
        self.control("POST", "/_mfemu/faults", rules)
        return [r["action"] for r in rules]

    def remote_times(self):
        """Backup times whose manifest is on the target."""
        st = self.control("GET", "/_mfemu/state")
        times = set()
        for f in st["files"]:
            n = f.get("filename") or ""
            if f.get("state") not in (None, "live") or ".manifest" not in n:
                continue
            head = n.split(".manifest")[0]
            stamp = head.split(".")[-1]
            times.add(time.strftime("%Y%m%dT%H%M%SZ", time.strptime(
                stamp, "%Y%m%dT%H%M%SZ")))
        return times

    # --- dupc -------------------------------------------------------------

    def env(self):
        e = dict(os.environ)
        e.update({"FTP_PASSWORD": PASSWORD, "DUPC_MF_API_ROOT": self.api,
                  "DUPC_MF_POLL_INTERVAL": "0.01",
                  "DUPC_MF_SIMPLE_MAX": "262144", "TZ": "UTC",
                  "HOME": os.path.join(self.work, "home"),
                  "TMPDIR": os.path.join(self.work, "tmp")})
        e.pop("DUPC_FAULT_POINT", None)
        os.makedirs(e["HOME"], exist_ok=True)
        os.makedirs(e["TMPDIR"], exist_ok=True)
        return e

    def run(self, args, fault_point=None, term_after=None, timeout=300):
        env = self.env()
        if fault_point:
            env["DUPC_FAULT_POINT"] = fault_point
        cmd = [self.dupc] + args + ["--no-encryption", "--num-retries", "5",
                                    "--backend-retry-delay", "0.05",
                                    "--timeout", "10"]
        log = open(os.path.join(self.work, "last.log"), "w")
        p = subprocess.Popen(cmd, env=env, stdout=log, stderr=log)
        self.termed = False
        try:
            if term_after is not None:
                try:
                    p.wait(timeout=term_after)
                except subprocess.TimeoutExpired:
                    p.send_signal(signal.SIGTERM)
                    self.termed = True
            rc = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise Failure("dupc %s hung for %d s" % (args[0], timeout))
        log.close()
        return rc

    def last_log(self):
        with open(os.path.join(self.work, "last.log")) as f:
            return f.read()[-3000:]

    # --- steps --------------------------------------------------------------

    def backup(self):
        """One backup, made to succeed through kills and faults."""
        self.tree.mutate()
        want = listing(self.tree.path)
        kind = "full" if not self.expected or self.rnd.random() < 0.15 \
            else "incremental"
        attempts = 0
        while True:
            attempts += 1
            heavy = attempts <= 4
            self.set_faults(heavy and self.rnd.random() < 0.8)
            point = term = None
            r = self.rnd.random()
            if heavy and r < 0.25:
                point = "%s:%d" % (self.rnd.choice(CRASH_POINTS),
                                   self.rnd.randint(1, 3))
            elif heavy and r < 0.4:
                term = self.rnd.uniform(0.05, 2.5)
            t = self.next_time
            self.next_time += 1000
            rc = self.run([kind, "--archive-dir", self.cache, "--volsize", "1",
                           "--current-time", str(t), self.tree.path, URL],
                          fault_point=point, term_after=term)
            self.n["backup runs"] += 1
            if rc == 137 or rc == -9:
                self.n["kills SIGKILL"] += 1
            elif self.termed:
                self.n["kills SIGTERM"] += 1
            elif rc != 0:
                self.n["backup runs failed"] += 1
                if not heavy and attempts > 6:
                    raise Failure("backup fails without faults:\n" +
                                  self.last_log())
            self.record(want)
            if rc == 0:
                self.n["backups"] += 1
                return

    def record(self, want):
        """Every new time on the target is a backup of the tree as it is."""
        self.set_faults(False)
        for t in self.remote_times() - set(self.expected):
            self.expected[t] = want

    def restore_into(self, t, dest, faults, cache=None, term=None):
        shutil.rmtree(dest, ignore_errors=True)
        cache = cache or os.path.join(self.work, "rcache")
        self.set_faults(faults)
        return self.run(["restore", "-t", str(to_epoch(t)), "--archive-dir",
                         cache, URL, dest], term_after=term)

    def restore(self):
        """A random time, under random faults; a successful restore must
        give exactly the saved listing."""
        if not self.expected:
            return
        t = self.rnd.choice(sorted(self.expected))
        dest = os.path.join(self.work, "restore")
        fresh = self.rnd.random() < 0.3
        cache = os.path.join(self.work, "rcache-fresh") if fresh else None
        if fresh:
            shutil.rmtree(cache, ignore_errors=True)
        term = self.rnd.uniform(0.05, 1.5) if self.rnd.random() < 0.15 \
            else None
        rc = self.restore_into(t, dest, True, cache, term)
        self.n["restores"] += 1
        if rc == 0:
            self.compare(t, dest)
            return
        if self.termed:
            self.n["restores killed"] += 1
        else:
            self.n["restores failed under faults"] += 1
        if self.restore_into(t, dest, False, cache) != 0:
            raise Failure("restore of %s fails without faults:\n%s" %
                          (t, self.last_log()))
        self.compare(t, dest)

    def compare(self, t, dest):
        got = listing(dest)
        if got != self.expected[t]:
            bad = os.path.join(self.work, "mismatch-%s" % t)
            with open(bad + ".want", "w") as f:
                f.write(self.expected[t])
            with open(bad + ".got", "w") as f:
                f.write(got)
            raise Failure("restore of %s differs from its listing (%s.*)" %
                          (t, bad))

    def verify_all(self):
        dest = os.path.join(self.work, "verify")
        for t in sorted(self.expected):
            if self.restore_into(t, dest, False) != 0:
                raise Failure("backup %s no longer restores:\n%s" %
                              (t, self.last_log()))
            self.compare(t, dest)
            self.n["verifications"] += 1

    def prune(self):
        self.set_faults(False)
        rc = self.run(["remove-all-but-n-full", "2", "--force",
                       "--archive-dir", self.cache, URL])
        if rc != 0:
            raise Failure("remove-all-but-n-full failed:\n" + self.last_log())
        left = self.remote_times()
        for t in list(self.expected):
            if t not in left:
                del self.expected[t]
        self.n["prunes"] += 1

    def faults_hit(self):
        hits = {}
        try:
            with open(self.mflog) as f:
                for line in f:
                    a = json.loads(line).get("fault")
                    if a:
                        hits[a] = hits.get(a, 0) + 1
        except OSError:
            pass
        return hits

    def main(self):
        start = time.time()
        self.start_emulator()
        self.tree = Tree(os.path.join(self.work, "src"), self.rnd)
        try:
            if self.args.smoke:
                self.smoke()
            else:
                while time.time() - start < self.args.time:
                    self.n["steps"] += 1
                    r = self.rnd.random()
                    if r < 0.55 or not self.expected:
                        self.backup()
                    elif r < 0.93:
                        self.restore()
                    else:
                        self.prune()
                    self.verify_all()
            ok = True
        except Failure as e:
            print("soak: FAILED: %s" % e, file=sys.stderr)
            ok = False
        finally:
            self.stop()
        self.report(time.time() - start)
        if ok and not self.args.keep:
            shutil.rmtree(self.work, ignore_errors=True)
        elif not ok or self.args.keep:
            print("soak: work directory kept in %s" % self.work)
        return 0 if ok else 1

    def smoke(self):
        """A short fixed run: a full, an incremental killed once, a
        restore under faults, and the check of every time."""
        self.n["steps"] = 3
        self.backup()
        self.tree.mutate()
        want = listing(self.tree.path)
        self.set_faults(False)
        rc = self.run(["incremental", "--archive-dir", self.cache,
                       "--volsize", "1", "--current-time",
                       str(self.next_time), self.tree.path, URL],
                      fault_point="volume-upload:1")
        self.n["backup runs"] += 1
        self.n["kills SIGKILL"] += rc in (137, -9)
        self.next_time += 1000
        rc = self.run(["incremental", "--archive-dir", self.cache,
                       "--volsize", "1", "--current-time",
                       str(self.next_time), self.tree.path, URL])
        self.n["backup runs"] += 1
        if rc != 0:
            raise Failure("resumed incremental failed:\n" + self.last_log())
        self.n["backups"] += 1
        self.record(want)
        self.restore()
        self.verify_all()

    def stop(self):
        if self.mf is not None:
            self.mf.terminate()
            try:
                self.mf.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.mf.kill()
            self.mf = None

    def report(self, elapsed):
        print("soak: %.0f s, seed %d" % (elapsed, self.args.seed))
        for k, v in self.n.items():
            print("soak: %-28s %d" % (k, v))
        hits = self.faults_hit()
        print("soak: %-28s %d (%s)" % ("faults hit", sum(hits.values()),
                                       ", ".join("%s %d" % kv for kv in
                                                 sorted(hits.items()))))
        print("soak: %-28s %d" % ("backup times checked", len(self.expected)))


def to_epoch(t):
    import calendar
    return calendar.timegm(time.strptime(t, "%Y%m%dT%H%M%SZ"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--time", type=float,
                    default=float(os.environ.get("SOAK_TIME", 120)))
    ap.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    ap.add_argument("--workdir")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args()
    sys.exit(Soak(args).main())


if __name__ == "__main__":
    main()
