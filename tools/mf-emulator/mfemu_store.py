"""mfemu state: accounts, folders, files, blobs, sessions, tokens, uploads.

Everything lives in memory and is written through to --data DIR, one small
JSON file per object, each written crash-safe (temporary file, fsync,
rename).  File contents are stored once per SHA-256 under DIR/blobs.  Units
of unfinished resumable uploads are kept under DIR/units/<id>/<unit>, and
bodies of simple uploads waiting for their poll under DIR/incoming.

Every method that touches state takes self.lock (re-entrant)."""

import hashlib
import os
import shutil
import sys
import threading
import time

from mfemu_util import (FOLDERKEY_LEN, QUICKKEY_LEN, UPLOADKEY_LEN, fmt_time,
                        read_json, write_json_atomic, fsync_dir)

MiB = 1 << 20
GiB = 1 << 30

DEFAULT_UNIT_SIZES = [
    {"below": 4 * MiB, "unit_size": 4 * MiB},
    {"below": 16 * MiB, "unit_size": 1 * MiB},
    {"below": 64 * MiB, "unit_size": 2 * MiB},
    {"below": 256 * MiB, "unit_size": 4 * MiB},
    {"below": 1 * GiB, "unit_size": 8 * MiB},
    {"below": 4 * GiB, "unit_size": 16 * MiB},
    {"below": 16 * GiB, "unit_size": 32 * MiB},
    {"below": None, "unit_size": 64 * MiB},
]

DEFAULT_LIMITS = {
    "max_chunk_size": 1000,
    "default_chunk_size": 100,
    "max_simple_bytes": 500 * MiB,
    "failed_login_limit": 10,
    "link_ttl": 3600,
    "action_token_max_lifespan": 1440,
    "default_storage_limit": 50 * GiB,
    "v1_token_ttl": 600,
}

DEFAULT_BEHAVIOUR = {
    "current_api_version": "1.3",
    "sig_mode": "strict",
    "poll_statuses": [5, 6, 99],
    "poll_filename": "always",
    "duplicate_default": "skip",
    "replace_mode": "keep_quickkey",
    "zero_byte": "reject",
    "error_http_status": 200,
    "content_type": "application/json",
    "expired_link": "html",
    "instant_missing_error": 110,
    "unit_error": 169,
    "folder_delete_error": False,
}

SETTING_CHOICES = {
    "sig_mode": ("strict", "either"),
    "poll_filename": ("always", "renamed"),
    "duplicate_default": ("skip", "keep", "replace"),
    "replace_mode": ("keep_quickkey", "new_quickkey"),
    "zero_byte": ("reject", "accept"),
    "expired_link": ("html", "404"),
}

KINDS = {
    "account": ("accounts", "email"),
    "folder": ("folders", "folderkey"),
    "file": ("files", "quickkey"),
    "session": ("sessions", "token"),
    "atoken": ("action_tokens", "token"),
    "upload": ("uploads", "key"),
    "resumable": ("resumable", "rid"),
    "link": ("links", "token"),
}

SEEDED_EPOCH = 1700000000


def default_config():
    return {
        "accounts": [],
        "apps": {"45593": {"api_key": None}},
        "limits": dict(DEFAULT_LIMITS),
        "behaviour": dict(DEFAULT_BEHAVIOUR),
        "unit_sizes": [dict(r) for r in DEFAULT_UNIT_SIZES],
    }


def validate_setting(name, value):
    """Check and normalise one setting; raise ValueError when it is bad."""
    if name not in DEFAULT_LIMITS and name not in DEFAULT_BEHAVIOUR:
        raise ValueError("unknown setting %r" % name)
    if name in SETTING_CHOICES:
        value = str(value)
        if value not in SETTING_CHOICES[name]:
            raise ValueError("%s must be one of %s" % (name, ", ".join(SETTING_CHOICES[name])))
        return value
    if name == "poll_statuses":
        if isinstance(value, str):
            value = [v for v in value.split(",") if v.strip()]
        value = [int(v) for v in value]
        if not value:
            raise ValueError("poll_statuses must not be empty")
        return value
    if name == "current_api_version":
        return str(value)
    if name == "content_type":
        return str(value)
    if name == "folder_delete_error":
        if isinstance(value, str):
            return value.lower() in ("1", "yes", "true", "on")
        return bool(value)
    return int(value)


class Store:
    def __init__(self, data_dir, ids, do_fsync=True):
        self.dir = os.path.abspath(data_dir)
        self.ids = ids
        self.do_fsync = do_fsync
        self.lock = threading.RLock()
        for sub in ["state", "blobs", "units", "incoming", "tmp"] + \
                ["state/" + v[0] for v in KINDS.values()]:
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        self._clean_tmp()
        self.config_path = os.path.join(self.dir, "config.json")
        if os.path.exists(self.config_path):
            self.config = read_json(self.config_path)
        else:
            self.config = default_config()
            self._write_config()
        self._fill_config_defaults()
        self._check_unit_sizes()
        self.settings = {}
        for k, v in DEFAULT_LIMITS.items():
            self.settings[k] = validate_setting(k, self.config["limits"].get(k, v))
        for k, v in DEFAULT_BEHAVIOUR.items():
            self.settings[k] = validate_setting(k, self.config["behaviour"].get(k, v))
        self.meta_path = os.path.join(self.dir, "state", "meta.json")
        self.meta = {"clock_offset": 0, "tick": 0}
        if os.path.exists(self.meta_path):
            self.meta.update(read_json(self.meta_path))
        self._load()

    # ---------------------------------------------------------------- files
    def _clean_tmp(self):
        for root, _dirs, files in os.walk(self.dir):
            for name in files:
                if name.startswith(".tmp-"):
                    try:
                        os.unlink(os.path.join(root, name))
                    except OSError:
                        pass
        tmpdir = os.path.join(self.dir, "tmp")
        for name in os.listdir(tmpdir):
            try:
                os.unlink(os.path.join(tmpdir, name))
            except OSError:
                pass

    def _fill_config_defaults(self):
        c = self.config
        c.setdefault("accounts", [])
        c.setdefault("apps", {"45593": {"api_key": None}})
        c.setdefault("limits", {})
        c.setdefault("behaviour", {})
        c.setdefault("unit_sizes", [dict(r) for r in DEFAULT_UNIT_SIZES])
        for k, v in DEFAULT_LIMITS.items():
            c["limits"].setdefault(k, v)
        for k, v in DEFAULT_BEHAVIOUR.items():
            c["behaviour"].setdefault(k, v)

    def _check_unit_sizes(self):
        rows = self.config["unit_sizes"]
        if not isinstance(rows, list) or not rows:
            raise ValueError("unit_sizes must be a non-empty list")
        for row in rows:
            if not isinstance(row, dict) or int(row.get("unit_size", 0)) <= 0:
                raise ValueError("every unit_sizes row needs a positive unit_size")
            if row.get("below") is not None:
                int(row["below"])

    def _write_config(self):
        write_json_atomic(self.config_path, self.config, self.do_fsync)

    def add_config_account(self, email, password, storage_limit=None):
        with self.lock:
            for a in self.config["accounts"]:
                if a.get("email") == email:
                    a["password"] = password
                    if storage_limit is not None:
                        a["storage_limit"] = storage_limit
                    break
            else:
                a = {"email": email, "password": password,
                     "storage_limit": storage_limit if storage_limit is not None
                     else self.settings["default_storage_limit"],
                     "display_name": email.split("@")[0]}
                self.config["accounts"].append(a)
            self._write_config()
            self._ensure_account(a)

    def tmp_path(self, tag="body"):
        return os.path.join(self.dir, "tmp", "%s-%s" % (tag, hashlib.sha1(
            ("%f-%d-%s" % (time.time(), threading.get_ident(), os.urandom(8).hex())).encode()).hexdigest()[:16]))

    def _path(self, kind, ident):
        sub, _ = KINDS[kind]
        if kind == "account":
            ident = hashlib.sha1(ident.encode("utf-8")).hexdigest()[:20]
        return os.path.join(self.dir, "state", sub, ident + ".json")

    def save(self, kind, rec):
        _, idfield = KINDS[kind]
        write_json_atomic(self._path(kind, rec[idfield]), rec, self.do_fsync)

    def remove(self, kind, ident):
        try:
            os.unlink(self._path(kind, ident))
        except FileNotFoundError:
            pass

    def save_meta(self):
        write_json_atomic(self.meta_path, self.meta, self.do_fsync)

    # ----------------------------------------------------------------- load
    def _load(self):
        self.accounts = {}
        self.folders = {}
        self.files = {}
        self.sessions = {}
        self.atokens = {}
        self.uploads = {}
        self.resumables = {}
        self.links = {}
        tables = {"account": self.accounts, "folder": self.folders, "file": self.files,
                  "session": self.sessions, "atoken": self.atokens, "upload": self.uploads,
                  "resumable": self.resumables, "link": self.links}
        for kind, (sub, idfield) in KINDS.items():
            d = os.path.join(self.dir, "state", sub)
            for name in sorted(os.listdir(d)):
                if not name.endswith(".json"):
                    continue
                try:
                    rec = read_json(os.path.join(d, name))
                except (OSError, ValueError) as e:
                    sys.stderr.write("mfemu: skipping unreadable %s/%s: %s\n" % (sub, name, e))
                    continue
                tables[kind][rec[idfield]] = rec
        self._reindex()
        for a in self.config["accounts"]:
            self._ensure_account(a)

    def _reindex(self):
        self.used_keys = set()
        self.child_folders = {}
        self.child_files = {}
        self.hash_index = {}
        self.resumable_index = {}
        self.usage = {}
        self.name_index = {}
        for f in self.folders.values():
            self.used_keys.add(f["folderkey"])
            if f.get("upload_key"):
                self.used_keys.add(f["upload_key"])
            if f["state"] != "purged" and f.get("parent"):
                self.child_folders.setdefault(f["parent"], set()).add(f["folderkey"])
        for q in self.files.values():
            self.used_keys.add(q["quickkey"])
            if q["state"] != "purged":
                self.child_files.setdefault(q["parent"], set()).add(q["quickkey"])
                self.hash_index.setdefault(q["hash"], set()).add(q["quickkey"])
                self.usage[q["email"]] = self.usage.get(q["email"], 0) + int(q["size"])
                if q["state"] == "live":
                    self._index_name(q)
        for u in self.uploads.values():
            self.used_keys.add(u["key"])
        for r in self.resumables.values():
            self.used_keys.add(r["upload_key"])
            if r.get("indexed", True):
                self.resumable_index[self._rkey(r["email"], r["folder"], r["size"], r["hash"])] = r["rid"]

    def _ensure_account(self, conf):
        email = conf["email"]
        acc = self.accounts.get(email)
        if acc is None:
            acc = {"email": email, "failed_logins": 0, "extra_used": 0,
                   "limit_override": None, "device_revision": 0, "root": None,
                   "created": self.stamp(), "pkey": self.ids.hex(10)}
            self.accounts[email] = acc
        if not acc.get("root") or acc["root"] not in self.folders:
            key = self.new_key(FOLDERKEY_LEN)
            root = {"folderkey": key, "email": email, "name": "myfiles", "parent": None,
                    "created": self.stamp(), "revision": 1, "privacy": "private",
                    "description": "", "state": "live", "upload_key": None, "mtime": None}
            self.folders[key] = root
            self.save("folder", root)
            acc["root"] = key
        self.save("account", acc)

    # ---------------------------------------------------------------- clock
    def now(self):
        """Wall time plus the control clock offset (expiry decisions)."""
        return time.time() + float(self.meta.get("clock_offset", 0))

    def stamp(self):
        """A timestamp for display fields (created, login time).  In seeded
        mode it is a counter from a fixed epoch, so runs repeat exactly."""
        if self.ids.seeded:
            with self.lock:
                self.meta["tick"] = int(self.meta.get("tick", 0)) + 1
                self.save_meta()
                return SEEDED_EPOCH + int(float(self.meta.get("clock_offset", 0))) + self.meta["tick"]
        return int(self.now())

    def epoch(self):
        """Current time for display fields that do not consume a tick."""
        if self.ids.seeded:
            return SEEDED_EPOCH + int(float(self.meta.get("clock_offset", 0))) + int(self.meta.get("tick", 0))
        return int(self.now())

    def advance_clock(self, seconds):
        with self.lock:
            self.meta["clock_offset"] = float(self.meta.get("clock_offset", 0)) + float(seconds)
            self.save_meta()
            return self.meta["clock_offset"]

    # ----------------------------------------------------------------- keys
    def new_key(self, n):
        with self.lock:
            while True:
                k = self.ids.key(n)
                if k not in self.used_keys:
                    self.used_keys.add(k)
                    return k

    def new_token(self, n=144):
        with self.lock:
            while True:
                t = self.ids.hex(n)
                if t not in self.sessions and t not in self.atokens and t not in self.links:
                    return t

    # ------------------------------------------------------------- accounts
    def account_conf(self, email):
        for a in self.config["accounts"]:
            if a.get("email") == email:
                return a
        return None

    def storage_limit(self, email):
        acc = self.accounts[email]
        if acc.get("limit_override") is not None:
            return int(acc["limit_override"])
        conf = self.account_conf(email) or {}
        return int(conf.get("storage_limit", self.settings["default_storage_limit"]))

    def used(self, email):
        return max(0, self.usage.get(email, 0) + int(self.accounts[email].get("extra_used", 0)))

    def bump_device_revision(self, email):
        acc = self.accounts[email]
        acc["device_revision"] = int(acc.get("device_revision", 0)) + 1
        self.save("account", acc)
        return acc["device_revision"]

    # -------------------------------------------------------------- folders
    def root(self, email):
        return self.folders[self.accounts[email]["root"]]

    def folder_alive(self, f):
        """A folder is usable when it and every ancestor are live."""
        seen = 0
        while f is not None:
            if f["state"] != "live":
                return False
            p = f.get("parent")
            f = self.folders.get(p) if p else None
            seen += 1
            if seen > 10000:
                return False
        return True

    def get_folder(self, email, key, allow_trash=False):
        """Resolve a folder_key parameter: missing, empty or 'myfiles' is root."""
        if key is None or key == "" or key == "myfiles":
            return self.root(email)
        f = self.folders.get(key)
        if f is None or f["email"] != email or f["state"] == "purged":
            return None
        if not allow_trash and not self.folder_alive(f):
            return None
        return f

    def folder_by_name(self, parent_key, name):
        for k in sorted(self.child_folders.get(parent_key, ())):
            f = self.folders[k]
            if f["state"] == "live" and f["name"] == name:
                return f
        return None

    def resolve_path(self, email, path, create=False):
        f = self.root(email)
        for part in [p for p in path.strip("/").split("/") if p]:
            sub = self.folder_by_name(f["folderkey"], part)
            if sub is None:
                if not create:
                    return None
                sub = self.create_folder(email, f, part)
            f = sub
        return f

    def create_folder(self, email, parent, name):
        key = self.new_key(FOLDERKEY_LEN)
        f = {"folderkey": key, "email": email, "name": name, "parent": parent["folderkey"],
             "created": self.stamp(), "revision": 1, "privacy": "private",
             "description": "", "state": "live", "upload_key": self.new_key(UPLOADKEY_LEN),
             "mtime": None}
        self.folders[key] = f
        self.child_folders.setdefault(parent["folderkey"], set()).add(key)
        self.save("folder", f)
        self.touch_folder(parent)
        return f

    def touch_folder(self, f):
        f["revision"] = int(f["revision"]) + 1
        self.save("folder", f)
        self.bump_device_revision(f["email"])

    def live_child_folders(self, key):
        return [self.folders[k] for k in self.child_folders.get(key, ())
                if self.folders[k]["state"] == "live"]

    def live_child_files(self, key):
        return [self.files[k] for k in self.child_files.get(key, ())
                if self.files[k]["state"] == "live"]

    def trash_folder(self, f):
        f["state"] = "trash"
        f["delete_date"] = self.stamp()
        self.save("folder", f)
        parent = self.folders.get(f["parent"])
        if parent:
            self.touch_folder(parent)

    def purge_folder(self, f):
        for k in list(self.child_files.get(f["folderkey"], ())):
            self.purge_file(self.files[k], touch=False)
        for k in list(self.child_folders.get(f["folderkey"], ())):
            self.purge_folder(self.folders[k])
        f["state"] = "purged"
        self.save("folder", f)
        parent = self.folders.get(f["parent"])
        if parent:
            self.child_folders.get(parent["folderkey"], set()).discard(f["folderkey"])
            self.touch_folder(parent)

    # ---------------------------------------------------------------- files
    def get_file(self, email, qk, allow_trash=True):
        q = self.files.get(qk)
        if q is None or q["email"] != email or q["state"] == "purged":
            return None
        if not allow_trash and q["state"] != "live":
            return None
        return q

    def _index_name(self, q):
        self.name_index.setdefault((q["parent"], q["filename"]), set()).add(q["quickkey"])

    def _unindex_name(self, q):
        k = (q["parent"], q["filename"])
        s = self.name_index.get(k)
        if s is not None:
            s.discard(q["quickkey"])
            if not s:
                del self.name_index[k]

    def rename_file(self, q, name):
        if q["state"] == "live":
            self._unindex_name(q)
        q["filename"] = name
        if q["state"] == "live":
            self._index_name(q)
        self.save("file", q)

    def live_file_by_name(self, folderkey, name):
        best = None
        for k in self.name_index.get((folderkey, name), ()):
            q = self.files[k]
            if q["state"] == "live" and q["filename"] == name:
                if best is None or q["created"] < best["created"] or \
                        (q["created"] == best["created"] and q["quickkey"] < best["quickkey"]):
                    best = q
        return best

    def unique_name(self, folderkey, name):
        """name.ext -> name(1).ext, name(2).ext, ... (first one free)."""
        dot = name.rfind(".")
        if dot > 0:
            stem, ext = name[:dot], name[dot:]
        else:
            stem, ext = name, ""
        n = 1
        while True:
            cand = "%s(%d)%s" % (stem, n, ext)
            if self.live_file_by_name(folderkey, cand) is None:
                return cand
            n += 1

    def hash_known(self, h):
        return bool(self.hash_index.get(h)) and os.path.exists(self.blob_path(h))

    def blob_path(self, h):
        return os.path.join(self.dir, "blobs", h[:2], h)

    def put_blob(self, h, src):
        """Move ${src} into the blob store as ${h} (or drop it when present)."""
        dst = self.blob_path(h)
        if os.path.exists(dst):
            os.unlink(src)
            return
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if self.do_fsync:
            fd = os.open(src, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.replace(src, dst)
        if self.do_fsync:
            fsync_dir(os.path.dirname(dst))

    def _unref_hash(self, h, qk):
        s = self.hash_index.get(h)
        if s is not None:
            s.discard(qk)
            if not s:
                del self.hash_index[h]
                try:
                    os.unlink(self.blob_path(h))
                except FileNotFoundError:
                    pass

    def new_file(self, email, folder, name, h, size, mtime=None):
        qk = self.new_key(QUICKKEY_LEN)
        q = {"quickkey": qk, "email": email, "parent": folder["folderkey"], "filename": name,
             "hash": h, "size": int(size), "created": self.stamp(), "revision": 1,
             "privacy": "private", "description": "", "state": "live", "downloads": 0,
             "views": 0, "mtime": mtime, "revisions": []}
        self.files[qk] = q
        self.child_files.setdefault(folder["folderkey"], set()).add(qk)
        self.hash_index.setdefault(h, set()).add(qk)
        self.usage[email] = self.usage.get(email, 0) + int(size)
        self._index_name(q)
        self.save("file", q)
        self.touch_folder(folder)
        return q

    def replace_content(self, q, h, size, mtime=None):
        old_hash, old_size = q["hash"], int(q["size"])
        q.setdefault("revisions", []).append(
            {"revision": q["revision"], "hash": old_hash, "size": old_size, "created": q["created"]})
        q["revisions"] = q["revisions"][-20:]
        q["hash"] = h
        q["size"] = int(size)
        q["revision"] = int(q["revision"]) + 1
        q["mtime"] = mtime
        self.hash_index.setdefault(h, set()).add(q["quickkey"])
        self.usage[q["email"]] = self.usage.get(q["email"], 0) + int(size) - old_size
        self.save("file", q)
        if old_hash != h:
            self._unref_hash(old_hash, q["quickkey"])
        self.touch_folder(self.folders[q["parent"]])
        return q

    def trash_file(self, q):
        if q["state"] == "live":
            self._unindex_name(q)
            q["state"] = "trash"
            q["delete_date"] = self.stamp()
            self.save("file", q)
            self.touch_folder(self.folders[q["parent"]])

    def restore_file(self, q):
        if q["state"] == "trash":
            q["state"] = "live"
            self._index_name(q)
            q.pop("delete_date", None)
            self.save("file", q)
            self.touch_folder(self.folders[q["parent"]])

    def purge_file(self, q, touch=True):
        if q["state"] == "purged":
            return
        if q["state"] == "live":
            self._unindex_name(q)
        q["state"] = "purged"
        self.save("file", q)
        self.usage[q["email"]] = self.usage.get(q["email"], 0) - int(q["size"])
        self.child_files.get(q["parent"], set()).discard(q["quickkey"])
        self._unref_hash(q["hash"], q["quickkey"])
        if touch:
            self.touch_folder(self.folders[q["parent"]])

    # ---------------------------------------------------------- resumables
    @staticmethod
    def _rkey(email, folder, size, h):
        return "%s|%s|%d|%s" % (email, folder, int(size), h.lower())

    def unit_size_for(self, size):
        for row in self.config["unit_sizes"]:
            below = row.get("below")
            if below is None or int(size) < int(below):
                return int(row["unit_size"])
        return int(self.config["unit_sizes"][-1]["unit_size"])

    def units_dir(self, rid):
        return os.path.join(self.dir, "units", rid)

    def find_resumable(self, email, folder, size, h):
        rid = self.resumable_index.get(self._rkey(email, folder, size, h))
        return self.resumables.get(rid) if rid else None

    def resumable_for(self, email, folder, size, h, create=True):
        """The resumable upload for (account, folder, size, hash).  A finished
        one is kept while its file is still live in that folder with that
        content; otherwise a fresh one (new upload key) replaces it."""
        r = self.find_resumable(email, folder, size, h)
        if r is not None and r["state"] == "done":
            q = self.files.get(r.get("quickkey") or "")
            if q is None or q["state"] != "live" or q["hash"] != r["hash"] or q["parent"] != folder:
                self.drop_resumable(r)
                r = None
        if r is None and create:
            unit = self.unit_size_for(size)
            n = (int(size) + unit - 1) // unit
            key = self.new_key(UPLOADKEY_LEN)
            r = {"rid": self.ids.hex(16), "email": email, "folder": folder, "size": int(size),
                 "hash": h.lower(), "unit_size": unit, "n_units": n, "units": {},
                 "upload_key": key, "filename": None, "state": "open", "quickkey": None,
                 "created": self.stamp(), "indexed": True}
            self.resumables[r["rid"]] = r
            self.resumable_index[self._rkey(email, folder, size, h)] = r["rid"]
            self.save("resumable", r)
            up = {"key": key, "email": email, "kind": "resumable", "rid": r["rid"],
                  "folder": folder, "filename": None, "size": int(size), "hash": h.lower(),
                  "aod": None, "mtime": None, "step": 0, "state": "pending", "result": None,
                  "stuck_status": None, "stuck_left": 0, "force_fileerror": None,
                  "created": self.stamp()}
            self.uploads[key] = up
            self.save("upload", up)
        return r

    def drop_resumable(self, r):
        """Take a resumable out of the (account, folder, size, hash) index and
        delete its units; its upload key stays known for polling."""
        k = self._rkey(r["email"], r["folder"], r["size"], r["hash"])
        if self.resumable_index.get(k) == r["rid"]:
            del self.resumable_index[k]
        r["indexed"] = False
        self.save("resumable", r)
        shutil.rmtree(self.units_dir(r["rid"]), ignore_errors=True)

    def lose_units(self, r):
        r["units"] = {}
        self.save("resumable", r)
        shutil.rmtree(self.units_dir(r["rid"]), ignore_errors=True)

    def store_unit(self, r, unit, unit_hash, src):
        d = self.units_dir(r["rid"])
        os.makedirs(d, exist_ok=True)
        dst = os.path.join(d, str(unit))
        if self.do_fsync:
            fd = os.open(src, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.replace(src, dst)
        if self.do_fsync:
            fsync_dir(d)
        r["units"][str(unit)] = unit_hash
        self.save("resumable", r)

    def units_ready(self, r):
        return r["state"] == "done" or len(r["units"]) >= r["n_units"]

    def bitmap(self, r):
        n = r["n_units"]
        count = (n + 15) // 16
        words = [0] * count
        if r["state"] == "done":
            for u in range(n):
                words[u // 16] |= 1 << (u % 16)
        else:
            for u in r["units"]:
                u = int(u)
                if 0 <= u < n:
                    words[u // 16] |= 1 << (u % 16)
        return count, words

    # -------------------------------------------------------------- uploads
    def new_simple_upload(self, email, folder, filename, size, h, aod, mtime, body_path,
                          body_size, body_hash):
        key = self.new_key(UPLOADKEY_LEN)
        incoming = os.path.join(self.dir, "incoming", key)
        if body_path is not None:
            if self.do_fsync:
                fd = os.open(body_path, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
            os.replace(body_path, incoming)
        up = {"key": key, "email": email, "kind": "simple", "rid": None, "folder": folder,
              "filename": filename, "size": size, "hash": h, "aod": aod, "mtime": mtime,
              "body_size": body_size, "body_hash": body_hash, "step": 0, "state": "pending",
              "result": None, "stuck_status": None, "stuck_left": 0, "force_fileerror": None,
              "created": self.stamp()}
        self.uploads[key] = up
        self.save("upload", up)
        return up

    def incoming_path(self, key):
        return os.path.join(self.dir, "incoming", key)

    # ------------------------------------------------------------- sessions
    def new_session(self, email, version, key=None, time_str=None, token=None):
        with self.lock:
            if token is None:
                token = self.new_token(144)
            if key is None:
                key = self.ids.randint(1, 2147483646)
            if time_str is None:
                t = self.stamp()
                time_str = "%d.%04d" % (t, self.ids.randint(0, 9999))
            s = {"token": token, "email": email, "version": int(version), "key": int(key),
                 "time": time_str, "created": self.now(), "valid": True,
                 "expires": (self.now() + self.settings["v1_token_ttl"]) if int(version) != 2 else None}
            self.sessions[token] = s
            self.save("session", s)
            return s

    def new_action_token(self, email, typ, lifespan_min):
        with self.lock:
            token = self.new_token(144)
            a = {"token": token, "email": email, "type": typ,
                 "expires": self.now() + 60 * int(lifespan_min), "created": self.now()}
            self.atokens[token] = a
            self.save("atoken", a)
            return a

    def new_link(self, qk, ttl):
        with self.lock:
            token = self.new_token(32)
            lk = {"token": token, "quickkey": qk, "expires": self.now() + int(ttl)}
            self.links[token] = lk
            self.save("link", lk)
            return lk

    # ------------------------------------------------------------ wipe, dump
    def wipe(self):
        with self.lock:
            for sub in ["state", "blobs", "units", "incoming", "tmp"]:
                shutil.rmtree(os.path.join(self.dir, sub), ignore_errors=True)
            for sub in ["state", "blobs", "units", "incoming", "tmp"] + \
                    ["state/" + v[0] for v in KINDS.values()]:
                os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
            self.meta = {"clock_offset": 0, "tick": 0}
            self.save_meta()
            self._load()

    def dump(self):
        with self.lock:
            out = {"accounts": [], "sessions": [], "action_tokens": [], "folders": [],
                   "files": [], "uploads": [], "resumable": [], "clock_offset": self.meta.get("clock_offset", 0)}
            for email, acc in sorted(self.accounts.items()):
                out["accounts"].append({
                    "email": email, "root": acc["root"], "failed_logins": acc.get("failed_logins", 0),
                    "used_storage_size": self.used(email), "storage_limit": self.storage_limit(email),
                    "device_revision": acc.get("device_revision", 0)})
            for s in self.sessions.values():
                out["sessions"].append(dict(s))
            for a in self.atokens.values():
                out["action_tokens"].append(dict(a))
            for f in self.folders.values():
                out["folders"].append(dict(f))
            for q in self.files.values():
                out["files"].append(dict(q, created_text=fmt_time(q["created"])))
            for u in self.uploads.values():
                out["uploads"].append(dict(u))
            for r in self.resumables.values():
                rr = dict(r)
                rr["bitmap"] = self.bitmap(r)[1]
                out["resumable"].append(rr)
            return out
