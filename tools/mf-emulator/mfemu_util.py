"""Shared helpers for mfemu: identifiers, clocks, crash-safe files, encoders,
HTML pages and multipart parsing."""

import hashlib
import json
import os
import random
import re
import secrets
import string
import threading
import time

ALNUM = string.ascii_lowercase + string.digits
HEXDIGITS = "0123456789abcdef"

KEY_MOD = 2147483647
KEY_MUL = 16807

FOLDERKEY_LEN = 13
QUICKKEY_LEN = 15
UPLOADKEY_LEN = 11


def next_key(key):
    """Advance a v2 secret key one step (Park-Miller minimal standard)."""
    return (int(key) * KEY_MUL) % KEY_MOD


def call_signature(key, time_str, path, query):
    """md5_hex(str(key % 256) + time + path + "?" + query)."""
    text = str(int(key) % 256) + time_str + path + "?" + query
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def login_signature(email, password, app_id, api_key=None):
    text = email + password + str(app_id) + (api_key or "")
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class Ids:
    """Random identifiers and numbers.

    Without a seed every value comes from the operating system's CSPRNG.
    With a seed, a private PRNG gives the same sequence on every run, so a
    test that sends the same requests sees the same tokens and keys."""

    def __init__(self, seed=None):
        self.seeded = seed is not None
        if seed is None:
            self._rng = secrets.SystemRandom()
        else:
            self._rng = random.Random("mfemu-ids-%s" % seed)
        self._lock = threading.Lock()

    def chars(self, alphabet, n):
        with self._lock:
            return "".join(self._rng.choice(alphabet) for _ in range(n))

    def key(self, n):
        return self.chars(ALNUM, n)

    def hex(self, n):
        return self.chars(HEXDIGITS, n)

    def randint(self, a, b):
        with self._lock:
            return self._rng.randint(a, b)


def fault_rng(seed):
    if seed is None:
        return random.Random()
    return random.Random("mfemu-faults-%s" % seed)


def write_atomic(path, data, do_fsync=True):
    """Write ${data} to ${path}: temporary file, fsync, rename, fsync dir."""
    d = os.path.dirname(path) or "."
    tmp = os.path.join(d, ".tmp-%s-%d-%d" % (os.path.basename(path), os.getpid(),
                                             threading.get_ident()))
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        if do_fsync:
            os.fsync(f.fileno())
    os.replace(tmp, path)
    if do_fsync:
        fsync_dir(d)


def fsync_dir(d):
    try:
        fd = os.open(d, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_json_atomic(path, obj, do_fsync=True):
    data = json.dumps(obj, sort_keys=True, indent=1).encode("utf-8") + b"\n"
    write_atomic(path, data, do_fsync)


def read_json(path):
    with open(path, "rb") as f:
        return json.loads(f.read().decode("utf-8"))


def api_json(obj):
    """Encode an API answer the way the real server does: compact JSON,
    ASCII only, and '/' escaped as '\\/'."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=True)
    return text.replace("/", "\\/").encode("ascii")


def _xml_escape(s):
    return (str(s).replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;").replace('"', "&quot;"))


def _xml_item_name(name):
    if name.endswith("ies"):
        return name[:-3] + "y"
    if name.endswith("s") and len(name) > 1:
        return name[:-1]
    return "item"


def _xml_value(name, value, out):
    if isinstance(value, dict):
        out.append("<%s>" % name)
        for k, v in value.items():
            _xml_value(k, v, out)
        out.append("</%s>" % name)
    elif isinstance(value, list):
        out.append("<%s>" % name)
        for v in value:
            _xml_value(_xml_item_name(name), v, out)
        out.append("</%s>" % name)
    elif value is None:
        out.append("<%s/>" % name)
    else:
        out.append("<%s>%s</%s>" % (name, _xml_escape(value), name))


def api_xml(obj):
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n']
    for k, v in obj.items():
        _xml_value(k, v, out)
    out.append("\n")
    return "".join(out).encode("utf-8")


def html_page(title, text):
    return ("<!DOCTYPE html>\n<html><head><title>%s</title></head>\n"
            "<body><center><h1>%s</h1></center><hr><center>%s</center></body></html>\n"
            % (title, title, text)).encode("utf-8")


HTML_500 = html_page("500 Internal Server Error", "nginx")
HTML_413 = html_page("413 Request Entity Too Large", "cloudflare")
HTML_429 = html_page("429 Too Many Requests", "nginx")
HTML_404 = html_page("404 Not Found", "nginx")
HTML_403 = html_page("403 Forbidden", "mfemu")

HTML_CLOUDFLARE = (
    "<!DOCTYPE html><html lang=\"en-US\"><head><title>Just a moment...</title>"
    "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=UTF-8\">"
    "<meta name=\"robots\" content=\"noindex,nofollow\"></head><body>"
    "<div class=\"main-wrapper\" role=\"main\"><div class=\"main-content\">"
    "<h1 class=\"zone-name-title h1\">www.mediafire.com</h1>"
    "<h2 class=\"h2\" id=\"challenge-running\">Checking if the site connection is secure</h2>"
    "<noscript><div class=\"h2\">Enable JavaScript and cookies to continue</div></noscript>"
    "</div></div></body></html>\n").encode("utf-8")

HTML_REPAIR = (
    "<!DOCTYPE html><html><head><title>MediaFire</title></head><body>"
    "<div class=\"DownloadRepair\"><h2>The download link has expired</h2>"
    "<p>This download link is invalid or has expired. Please go back to the file page "
    "and request a new link.</p></div></body></html>\n").encode("utf-8")

HTML_INSTEAD = (
    "<!DOCTYPE html><html><head><title>MediaFire - File sharing and storage made simple"
    "</title></head><body><div class=\"download_link\"><a class=\"input popsok\" "
    "href=\"#\">Download</a></div></body></html>\n").encode("utf-8")


def fmt_time(ts):
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(int(ts)))


def sha256_file(path, start=0, end=None):
    h = hashlib.sha256()
    n = 0
    with open(path, "rb") as f:
        f.seek(start)
        remaining = None if end is None else end - start
        while True:
            want = 1 << 20 if remaining is None else min(1 << 20, remaining)
            if want <= 0:
                break
            b = f.read(want)
            if not b:
                break
            h.update(b)
            n += len(b)
            if remaining is not None:
                remaining -= len(b)
    return h.hexdigest(), n


def copy_range(src, dst, start, end):
    """Copy bytes [start, end) of ${src} to a new file ${dst}; return
    (sha256 hex, length)."""
    h = hashlib.sha256()
    n = 0
    with open(src, "rb") as f, open(dst, "wb") as o:
        f.seek(start)
        remaining = end - start
        while remaining > 0:
            b = f.read(min(1 << 20, remaining))
            if not b:
                break
            h.update(b)
            o.write(b)
            n += len(b)
            remaining -= len(b)
        o.flush()
    return h.hexdigest(), n


_BOUNDARY_RE = re.compile(r'boundary=(?:"([^"]+)"|([^;\s]+))', re.I)


def multipart_boundary(content_type):
    if not content_type or not content_type.lower().startswith("multipart/"):
        return None
    m = _BOUNDARY_RE.search(content_type)
    if not m:
        return None
    return (m.group(1) or m.group(2)).encode("latin-1")


def _part_headers(blob):
    headers = {}
    for line in blob.split(b"\r\n"):
        if b":" in line:
            k, v = line.split(b":", 1)
            headers[k.strip().lower().decode("latin-1")] = v.strip().decode("utf-8", "replace")
    return headers


def _disposition_param(disp, name):
    m = re.search(r'(?:^|;)\s*%s="([^"]*)"' % name, disp, re.I)
    if m:
        return m.group(1)
    m = re.search(r'(?:^|;)\s*%s=([^;\s]+)' % name, disp, re.I)
    return m.group(1) if m else None


MULTIPART_INMEM = 64 << 20


def multipart_file_range(path, size, boundary):
    """Find the file part of a multipart body stored in ${path}.

    Returns (start, end, filename, fieldname) of the part content, or None when
    the body is not well formed.  Bodies up to 64 MiB are parsed part by
    part (the first part with a filename wins, else the first part); larger
    bodies are taken to hold a single part."""
    delim = b"--" + boundary
    if size <= MULTIPART_INMEM:
        with open(path, "rb") as f:
            data = f.read()
        pos = data.find(delim)
        if pos < 0:
            return None
        parts = []
        while True:
            pos += len(delim)
            if data[pos:pos + 2] == b"--":
                break
            if data[pos:pos + 2] == b"\r\n":
                pos += 2
            hend = data.find(b"\r\n\r\n", pos)
            if hend < 0:
                break
            headers = _part_headers(data[pos:hend])
            cstart = hend + 4
            nxt = data.find(b"\r\n" + delim, cstart)
            if nxt < 0:
                break
            parts.append((cstart, nxt, headers))
            pos = nxt + 2
        if not parts:
            return None
        chosen = None
        for p in parts:
            if _disposition_param(p[2].get("content-disposition", ""), "filename") is not None:
                chosen = p
                break
        if chosen is None:
            chosen = parts[0]
        disp = chosen[2].get("content-disposition", "")
        return (chosen[0], chosen[1], _disposition_param(disp, "filename"),
                _disposition_param(disp, "name"))
    with open(path, "rb") as f:
        head = f.read(65536)
        pos = head.find(delim)
        if pos < 0:
            return None
        hend = head.find(b"\r\n\r\n", pos)
        if hend < 0:
            return None
        headers = _part_headers(head[pos + len(delim):hend].lstrip(b"\r\n"))
        cstart = hend + 4
        tail_len = min(size, 65536)
        f.seek(size - tail_len)
        tail = f.read(tail_len)
        t = tail.rfind(b"\r\n" + delim)
        if t < 0:
            return None
        cend = size - tail_len + t
        if cend < cstart:
            return None
        disp = headers.get("content-disposition", "")
        return (cstart, cend, _disposition_param(disp, "filename"),
                _disposition_param(disp, "name"))
