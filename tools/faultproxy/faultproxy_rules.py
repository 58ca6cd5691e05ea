"""Fault rules of faultproxy: match -> action.

A rule is a JSON object with a match part, an action and its parameters:

    {"match": {"conn": [2, 4], "direction": "down", "probability": 0.5},
     "action": "reset", "bytes": 1000, "mode": "rst", "times": 3}

Connection rules (reset, stall, delay, bandwidth) are tried when a
connection is accepted, against its number and the draws of the seeded
RNG; each one that matches is bound to that connection (one rule of each
action per direction: the first in the list wins).  A refuse rule is tried
first, and a connection it takes goes no further.  HTTP rules (respond,
cut_request, cut_response, hold) are tried on every request of an
HTTP-framed connection, and the first that fires is applied.

"matched" counts the connections (or requests) a rule matched, "hits" the
times it fired.  A bound reset or stall fires when its byte count is
reached, and only while the rule has firings left ("times"), so several
connections armed by a rule of times 1 see one reset in all."""

import fnmatch
import json
import random
import threading
import time

FOREVER = -1
TCP = "tcp"
ACCEPT = "accept"
HTTP = "http"

# action -> (kind, default parameters, default times)
ACTIONS = {
    "reset": (TCP, {"bytes": 0, "mode": "rst"}, 1),
    "stall": (TCP, {"bytes": 0, "seconds": None}, 1),
    "delay": (TCP, {"ms": 20, "window": 16 << 20}, FOREVER),
    "bandwidth": (TCP, {"rate": None, "scope": "connection"}, FOREVER),
    "refuse": (ACCEPT, {"mode": "rst", "seconds": None}, 1),
    "respond": (HTTP, {"status": 503, "reason": None, "headers": {}, "body": "",
                       "expect": "continue", "preset": None}, 1),
    "cut_request": (HTTP, {"bytes": None, "mode": "rst"}, 1),
    "cut_response": (HTTP, {"bytes": None, "mode": "rst"}, 1),
    "hold": (HTTP, {"seconds": None}, 1),
}

MATCH_FIELDS = ("conn", "every", "direction", "probability", "nth", "method", "path", "query")
HTTP_ONLY_FIELDS = ("method", "path", "query")
DIRECTIONS = ("up", "down", "both")

S3_XML = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message>'
          '<RequestId>faultproxy</RequestId><HostId>faultproxy</HostId></Error>\n')
PRESETS = {
    "s3_slowdown": {"status": 503, "reason": "Slow Down",
                    "headers": {"Content-Type": "application/xml"},
                    "body": S3_XML % ("SlowDown", "Please reduce your request rate.")},
    "s3_internal_error": {"status": 500, "reason": "Internal Server Error",
                          "headers": {"Content-Type": "application/xml"},
                          "body": S3_XML % ("InternalError",
                                            "We encountered an internal error. Please try again.")},
}


class RuleError(ValueError):
    pass


def _times(v, default):
    if v is None:
        return default
    if isinstance(v, str):
        if v.lower() in ("forever", "unlimited", "inf"):
            return FOREVER
        try:
            v = int(v)
        except ValueError:
            raise RuleError("times must be a number or \"forever\"")
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise RuleError("times must be a number or \"forever\"")
    v = int(v)
    return FOREVER if v < 0 else v


def _int(v, what, low=0):
    if isinstance(v, bool):
        raise RuleError("%s must be a number" % what)
    try:
        n = int(v)
    except (TypeError, ValueError):
        raise RuleError("%s must be a number" % what)
    if n < low:
        raise RuleError("%s must be at least %d" % (what, low))
    return n


def _seconds(v, what):
    if v is None or (isinstance(v, str) and v.lower() in ("forever", "inf")):
        return None
    if isinstance(v, bool):
        raise RuleError("%s must be a number of seconds or \"forever\"" % what)
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise RuleError("%s must be a number of seconds or \"forever\"" % what)
    if f < 0:
        raise RuleError("%s must not be negative" % what)
    return f


def _conn_range(v):
    if isinstance(v, list):
        if len(v) != 2:
            raise RuleError("conn range is [FIRST, LAST] (LAST may be null)")
        lo = _int(v[0], "conn", 1)
        hi = None if v[1] is None else _int(v[1], "conn", 1)
        if hi is not None and hi < lo:
            raise RuleError("conn range [%d, %d] is empty" % (lo, hi))
        return [lo, hi]
    n = _int(v, "conn", 1)
    return [n, n]


def _normalize_match(match, kind):
    if not isinstance(match, dict):
        raise RuleError("match must be an object")
    out = {}
    for k, v in match.items():
        if k not in MATCH_FIELDS:
            raise RuleError("unknown match field %r" % (k,))
        if k in HTTP_ONLY_FIELDS and kind != HTTP:
            raise RuleError("match field %r is for HTTP actions only" % (k,))
        if k == "conn":
            out[k] = _conn_range(v)
        elif k in ("every", "nth"):
            out[k] = _int(v, k, 1)
        elif k == "direction":
            if v not in DIRECTIONS:
                raise RuleError("direction is up, down or both")
            out[k] = v
        elif k == "probability":
            try:
                p = float(v)
            except (TypeError, ValueError):
                raise RuleError("probability must be a number from 0 to 1")
            if not 0.0 <= p <= 1.0:
                raise RuleError("probability must be a number from 0 to 1")
            out[k] = p
        elif k == "method":
            out[k] = str(v).upper()
        else:
            out[k] = str(v)
    return out


def _normalize_params(action, params):
    if action in ("reset", "cut_request", "cut_response") and params["mode"] not in ("rst", "close"):
        raise RuleError("%s mode is rst or close" % action)
    if action in ("reset", "stall"):
        params["bytes"] = _int(params["bytes"], "bytes")
    if action in ("cut_request", "cut_response") and params["bytes"] is not None:
        params["bytes"] = _int(params["bytes"], "bytes")
    if action in ("stall", "refuse", "hold"):
        params["seconds"] = _seconds(params["seconds"], "seconds")
    if action == "delay":
        params["ms"] = _int(params["ms"], "ms")
        params["window"] = _int(params["window"], "window", 1)
    if action == "bandwidth":
        if params["rate"] is None:
            raise RuleError("bandwidth needs rate (bytes per second)")
        params["rate"] = _int(params["rate"], "rate", 1)
        if params["scope"] not in ("connection", "shared"):
            raise RuleError("bandwidth scope is connection or shared")
    if action == "refuse" and params["mode"] not in ("rst", "close", "listen"):
        raise RuleError("refuse mode is rst, close or listen")
    if action == "respond":
        _normalize_respond(params)
    return params


def _normalize_respond(params):
    preset = params.pop("preset", None)
    if preset is not None:
        if preset not in PRESETS:
            raise RuleError("unknown respond preset %r (known: %s)" % (preset, ", ".join(sorted(PRESETS))))
        base = PRESETS[preset]
        for k in ("status", "reason", "body"):
            if params.get(k) in (None, "", ACTIONS["respond"][1][k]):
                params[k] = base[k]
        params["headers"] = dict(base["headers"], **(params.get("headers") or {}))
    params["status"] = _int(params["status"], "status", 100)
    if params["status"] > 999 or params["status"] < 200:
        raise RuleError("respond status must be a final status, 200 to 999")
    h = params.get("headers") or {}
    if isinstance(h, dict):
        h = [[str(k), str(v)] for k, v in h.items()]
    elif isinstance(h, list) and all(isinstance(x, list) and len(x) == 2 for x in h):
        h = [[str(k), str(v)] for k, v in h]
    else:
        raise RuleError("respond headers are an object or a list of [name, value]")
    for k, v in h:
        if any(c in k + v for c in "\r\n") or ":" in k:
            raise RuleError("respond header %r is not a valid header" % (k,))
    params["headers"] = h
    if not isinstance(params.get("body"), str):
        raise RuleError("respond body must be a string")
    if params["expect"] not in ("continue", "reject"):
        raise RuleError("respond expect is continue or reject")


def normalize_rule(raw):
    """Check one rule and fill in its defaults; raise RuleError when it is bad."""
    if not isinstance(raw, dict):
        raise RuleError("a fault rule must be a JSON object")
    action = raw.get("action")
    if action not in ACTIONS:
        raise RuleError("unknown fault action %r (known: %s)" % (action, ", ".join(sorted(ACTIONS))))
    kind, defaults, default_times = ACTIONS[action]
    match = _normalize_match(raw.get("match") or {}, kind)
    params = dict(defaults)
    extra = dict(raw.get("params") or {}) if isinstance(raw.get("params"), dict) else {}
    for k, v in raw.items():
        if k not in ("match", "action", "times", "params", "id", "name"):
            extra[k] = v
    for k in extra:
        if k not in defaults:
            raise RuleError("%s has no parameter %r" % (action, k))
    params.update(extra)
    params = _normalize_params(action, params)
    if action == "refuse" and params["seconds"] is not None and raw.get("times") is None:
        default_times = FOREVER
    if action in ("reset", "stall", "delay", "bandwidth"):
        match.setdefault("direction", "both")
    if action == "refuse" and params["mode"] == "listen" and match:
        raise RuleError("refuse mode listen sees no connection: it takes no match fields")
    return {"match": match, "action": action, "kind": kind, "params": params,
            "times": _times(raw.get("times"), default_times), "name": raw.get("name")}


def parse_rules(text):
    """Rules from JSON text: one rule, a list of rules, or {"rules": [...]}."""
    try:
        data = json.loads(text)
    except ValueError as e:
        raise RuleError("fault rules are not valid JSON: %s" % e)
    return rules_from_json(data)


def rules_from_json(data):
    if isinstance(data, dict) and "rules" in data and "action" not in data:
        data = data["rules"]
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise RuleError("fault rules must be an object or a list")
    return [normalize_rule(r) for r in data]


class Bucket:
    """A token bucket: a slice of n bytes may start when the previous one
    would have finished at ${rate} bytes per second.  Up to SLACK seconds
    of sending time may be made up, so that a sender that slept too long
    (a loaded machine) catches up and the average holds; that is also the
    largest burst after an idle time."""

    SLACK = 0.05

    def __init__(self, rate):
        self.rate = float(rate)
        self.lock = threading.Lock()
        self.t = 0.0

    def reserve(self, n):
        """Book ${n} bytes; return the seconds to wait before sending them."""
        with self.lock:
            now = time.monotonic()
            start = max(self.t, now - self.SLACK)
            self.t = start + n / self.rate
            return start - now


class Binding:
    """A connection rule bound to one connection."""

    def __init__(self, rule, bucket=None):
        self.rule = rule
        self.id = rule["id"]
        self.action = rule["action"]
        self.params = rule["params"]
        self.direction = rule["match"].get("direction", "both")
        self.bucket = bucket

    def get(self, k, default=None):
        v = self.params.get(k)
        return default if v is None else v


class Rules:
    def __init__(self, seed):
        self.rng = random.Random("faultproxy-%s" % seed) if seed is not None else random.Random()
        self.lock = threading.Lock()
        self.rules = []
        self.next_id = 1
        self.version = 0

    def add(self, rules):
        ids = []
        with self.lock:
            for r in rules:
                r = dict(r)
                r["id"] = self.next_id
                self.next_id += 1
                r["hits"] = 0
                r["matched"] = 0
                r["added"] = time.monotonic()
                r["since"] = None
                r["buckets"] = {}
                self.rules.append(r)
                ids.append(r["id"])
            self.version += 1
        return ids

    def clear(self, rule_id=None):
        with self.lock:
            before = len(self.rules)
            if rule_id is None:
                self.rules = []
            else:
                self.rules = [r for r in self.rules if r["id"] != rule_id]
            self.version += 1
            return before - len(self.rules)

    def _remaining(self, r):
        return None if r["times"] == FOREVER else max(0, r["times"] - r["hits"])

    def _window_open(self, r, now):
        s = r["params"].get("seconds") if r["action"] == "refuse" else None
        if s is None:
            return True
        start = r["since"] if r["since"] is not None else (
            r["added"] if r["params"]["mode"] == "listen" else None)
        return start is None or now < start + s

    def _active(self, r, now):
        if r["times"] != FOREVER and r["hits"] >= r["times"]:
            return False
        return self._window_open(r, now)

    def listing(self):
        with self.lock:
            now = time.monotonic()
            return [{"id": r["id"], "name": r.get("name"), "match": r["match"],
                     "action": r["action"], "params": r["params"], "times": r["times"],
                     "hits": r["hits"], "matched": r["matched"], "remaining": self._remaining(r),
                     "active": self._active(r, now)}
                    for r in self.rules]

    def has_http(self):
        with self.lock:
            return any(r["kind"] == HTTP for r in self.rules)

    def listen_refused(self):
        """True while a refuse rule of mode listen is in force."""
        with self.lock:
            now = time.monotonic()
            return any(r["action"] == "refuse" and r["params"]["mode"] == "listen"
                       and self._active(r, now) for r in self.rules)

    @staticmethod
    def _conn_matches(m, conn):
        if "conn" in m:
            lo, hi = m["conn"]
            if conn < lo or (hi is not None and conn > hi):
                return False
        if "every" in m and conn % m["every"] != 0:
            return False
        return True

    def _try(self, r, now):
        """Count a match of ${r}; True when it fires (nth reached, firings
        left, refuse window open, probability drawn).  Lock held."""
        r["matched"] += 1
        if r["matched"] < r["match"].get("nth", 1):
            return False
        if not self._active(r, now):
            return False
        if "probability" in r["match"] and self.rng.random() >= r["match"]["probability"]:
            return False
        return True

    def on_accept(self, conn):
        """Rules for new connection number ${conn}: (refuse rule or None,
        list of Binding).  A refuse rule that fires counts a hit here."""
        with self.lock:
            now = time.monotonic()
            for r in self.rules:
                if r["action"] != "refuse" or r["params"]["mode"] == "listen":
                    continue
                if not self._conn_matches(r["match"], conn) or not self._try(r, now):
                    continue
                r["hits"] += 1
                if r["since"] is None:
                    r["since"] = now
                return dict(r), []
            bound = []
            taken = set()
            for r in self.rules:
                if r["kind"] != TCP or not self._conn_matches(r["match"], conn):
                    continue
                if not self._try(r, now):
                    continue
                b = self._bind(r, taken)
                if b is not None:
                    bound.append(b)
            return None, bound

    def _bind(self, r, taken):
        dirs = ("up", "down") if r["match"]["direction"] == "both" else (r["match"]["direction"],)
        if any((r["action"], d) in taken for d in dirs):
            return None
        for d in dirs:
            taken.add((r["action"], d))
        bucket = None
        if r["action"] == "bandwidth":
            bucket = {}
            for d in dirs:
                if r["params"]["scope"] == "shared":
                    bucket[d] = r["buckets"].setdefault(d, Bucket(r["params"]["rate"]))
                else:
                    bucket[d] = Bucket(r["params"]["rate"])
        if r["action"] in ("delay", "bandwidth"):
            r["hits"] += 1
        return Binding(r, bucket)

    def fire(self, binding):
        """A bound reset or stall reached its byte count: True (and a hit
        counted) if its rule still exists and has firings left."""
        with self.lock:
            for r in self.rules:
                if r["id"] == binding.id:
                    if r["times"] != FOREVER and r["hits"] >= r["times"]:
                        return False
                    r["hits"] += 1
                    return True
            return False

    def on_request(self, conn, method, path, query):
        """The first HTTP rule that fires for this request, as a Binding, or None."""
        with self.lock:
            now = time.monotonic()
            for r in self.rules:
                if r["kind"] != HTTP or not self._conn_matches(r["match"], conn):
                    continue
                m = r["match"]
                if "method" in m and m["method"] != method:
                    continue
                if "path" in m and not fnmatch.fnmatchcase(path, m["path"]):
                    continue
                if "query" in m and not fnmatch.fnmatchcase(query, m["query"]):
                    continue
                if not self._try(r, now):
                    continue
                r["hits"] += 1
                return Binding(r)
        return None
