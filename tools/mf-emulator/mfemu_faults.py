"""Fault rules: match -> action.

A rule is a JSON object:
    {"match": {"path": "upload/*", "method": "POST", "nth": 3, "probability": 0.5,
               "session": "...", "account": "...", "filename": "*.gpg", "unit": 2},
     "action": "http500_after_advance", "times": 1, ...action parameters...}

Rules are tried in order for every request.  A rule matches when every
given match field matches and its action can apply to the request (a
download action never matches an API call, a poll action only matches
upload/poll_upload, and so on).  Each matching request increments the rule's
"matched" counter; the rule fires when matched >= nth, it has firings left
("times") and the probability draw succeeds.  The first rule that fires is
applied and no later rule sees the request."""

import collections
import fnmatch
import json
import threading

from mfemu_util import fault_rng

API = "api"
DL = "dl"
ANY = "any"

POLL = ("upload/poll_upload",)
UNITS = ("upload/resumable",)

# action -> (where it applies, default parameters)
ACTIONS = {
    "http500_before_advance": (API, {}),
    "http500_after_advance": (API, {"execute": False}),
    "json_error_after_advance": (API, {"code": 100, "message": None, "new_key": False,
                                       "execute": False, "http_status": None}),
    "drop_before": (ANY, {}),
    "drop_after": (ANY, {}),
    "reset_mid_response": (ANY, {"bytes": None}),
    "delay": (ANY, {"ms": 1000, "stage": "before"}),
    "slow_body": (ANY, {"bytes_per_sec": 1024}),
    "error": (API, {"code": 100, "message": None, "http_status": None, "advance": None}),
    "cloudflare_html": (ANY, {"status": 503}),
    "http413": (API, {}),
    "wrong_content_type": (API, {"content_type": "text/xml"}),
    "rate_limit": (API, {"calls": 10, "window": 60, "code": 163, "advance": True}),
    "truncate": (DL, {"bytes": None}),
    "corrupt": (DL, {"offset": None}),
    "html_instead": (DL, {}),
    "http429": (DL, {"retry_after": 1}),
    "http500": (DL, {}),
    "slow": (DL, {"bytes_per_sec": 1024}),
    "expired_link": (DL, {}),
    "poll_stuck": (POLL, {"status": 17, "polls": 1}),
    "poll_fileerror": (POLL, {"code": 6}),
    "poll_result": (POLL, {"result": -80}),
    "poll_omit": (POLL, {"fields": ["filename"]}),
    "unit_reject": (UNITS, {"unit": None}),
    "unit_hash_mismatch": (UNITS, {"unit": None}),
    "lose_units": (("upload/check", "upload/resumable"), {}),
    "assembly_hash_mismatch": (("upload/poll_upload", "upload/simple", "upload/resumable"), {}),
    "quota_exceeded": (("upload/check", "upload/simple", "upload/resumable", "upload/instant",
                        "upload/poll_upload"), {"as": None}),
    "force_chunk_size": (("folder/get_content",), {"size": 2}),
    "more_chunks_lies": (("folder/get_content",), {}),
    "expire_session": (API, {"stage": "before"}),
    "invalidate_all_sessions": (API, {"stage": "before", "scope": "all"}),
    "login_fail": (("user/get_session_token",), {"code": 107}),
}

MATCH_FIELDS = ("path", "method", "nth", "probability", "session", "account", "filename", "unit")
FOREVER = -1


class FaultError(ValueError):
    pass


def _times(v, action):
    if v is None:
        return FOREVER if action == "rate_limit" else 1
    if isinstance(v, str):
        if v.lower() in ("forever", "unlimited", "inf", "-1"):
            return FOREVER
        v = int(v)
    v = int(v)
    if v < 0:
        return FOREVER
    return v


def normalize_rule(raw):
    if not isinstance(raw, dict):
        raise FaultError("a fault rule must be a JSON object")
    action = raw.get("action")
    if action not in ACTIONS:
        raise FaultError("unknown fault action %r" % (action,))
    match = raw.get("match") or {}
    if not isinstance(match, dict):
        raise FaultError("match must be an object")
    for k in match:
        if k not in MATCH_FIELDS:
            raise FaultError("unknown match field %r" % (k,))
    match = dict(match)
    if "nth" in match:
        match["nth"] = int(match["nth"])
        if match["nth"] < 1:
            raise FaultError("nth is 1-based")
    if "probability" in match:
        match["probability"] = float(match["probability"])
    if "unit" in match:
        match["unit"] = int(match["unit"])
    if "method" in match:
        match["method"] = str(match["method"]).upper()
    params = dict(ACTIONS[action][1])
    if isinstance(raw.get("params"), dict):
        params.update(raw["params"])
    for k, v in raw.items():
        if k not in ("match", "action", "times", "params", "id", "name"):
            params[k] = v
    if action in ("unit_reject", "unit_hash_mismatch") and params.get("unit") is not None \
            and "unit" not in match:
        match["unit"] = int(params["unit"])
    if action == "poll_result":
        if "code" in params and "result" not in (raw.get("params") or {}) and "result" not in raw:
            params["result"] = params["code"]
        params["result"] = int(params["result"])
    if action == "poll_stuck":
        p = params.get("polls")
        if isinstance(p, str) and p.lower() in ("forever", "unlimited", "-1"):
            params["polls"] = FOREVER
        else:
            params["polls"] = int(p) if int(p) >= 0 else FOREVER
        params["status"] = int(params["status"])
    if action in ("error", "json_error_after_advance", "login_fail", "poll_fileerror", "rate_limit"):
        params["code"] = int(params["code"])
    if action == "poll_omit" and isinstance(params.get("fields"), str):
        params["fields"] = [params["fields"]]
    return {"match": match, "action": action, "params": params,
            "times": _times(raw.get("times"), action), "name": raw.get("name")}


def parse_rules(text):
    """Rules from JSON text: one rule, a list of rules, or {"rules": [...]}."""
    try:
        data = json.loads(text)
    except ValueError as e:
        raise FaultError("fault rules are not valid JSON: %s" % e)
    if isinstance(data, dict) and "rules" in data and "action" not in data:
        data = data["rules"]
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise FaultError("fault rules must be an object or a list")
    return [normalize_rule(r) for r in data]


class Fault:
    """A rule that fired for one request."""

    def __init__(self, rule):
        self.id = rule["id"]
        self.action = rule["action"]
        self.params = rule["params"]

    def get(self, k, default=None):
        v = self.params.get(k)
        return default if v is None else v


class Faults:
    def __init__(self, seed, clock):
        self.rng = fault_rng(seed)
        self.clock = clock
        self.lock = threading.Lock()
        self.rules = []
        self.next_id = 1

    def add(self, rules):
        ids = []
        with self.lock:
            for r in rules:
                r = dict(r)
                r["id"] = self.next_id
                self.next_id += 1
                r["hits"] = 0
                r["matched"] = 0
                r["_window"] = {}
                self.rules.append(r)
                ids.append(r["id"])
        return ids

    def clear(self, rule_id=None):
        with self.lock:
            if rule_id is None:
                n = len(self.rules)
                self.rules = []
                return n
            before = len(self.rules)
            self.rules = [r for r in self.rules if r["id"] != int(rule_id)]
            return before - len(self.rules)

    def listing(self):
        with self.lock:
            out = []
            for r in self.rules:
                out.append({"id": r["id"], "name": r.get("name"), "match": r["match"],
                            "action": r["action"], "params": r["params"],
                            "times": r["times"], "hits": r["hits"], "matched": r["matched"],
                            "remaining": (None if r["times"] == FOREVER
                                          else max(0, r["times"] - r["hits"]))})
            return out

    @staticmethod
    def _applies(action, ctx):
        where = ACTIONS[action][0]
        if where == ANY:
            return True
        if where == API:
            return ctx["kind"] == "api"
        if where == DL:
            return ctx["kind"] == "dl"
        return ctx["kind"] == "api" and ctx["path"] in where

    @staticmethod
    def _match_fields(m, ctx):
        if "path" in m and not fnmatch.fnmatchcase(ctx["path"], str(m["path"])):
            return False
        if "method" in m and m["method"] != ctx["method"]:
            return False
        if "session" in m:
            s = ctx.get("session")
            pat = str(m["session"])
            if not s and not ctx.get("email"):
                return False
            if not ((s and (s == pat or fnmatch.fnmatchcase(s, pat))) or ctx.get("email") == pat):
                return False
        if "account" in m and ctx.get("email") != m["account"]:
            return False
        if "filename" in m:
            fn = ctx.get("filename")
            if fn is None or not fnmatch.fnmatchcase(fn, str(m["filename"])):
                return False
        if "unit" in m and ctx.get("unit") != m["unit"]:
            return False
        return True

    def pick(self, ctx):
        """Return the Fault to apply to the request described by ${ctx}
        (kind, path, method, session, email, filename, unit) or None."""
        with self.lock:
            skip = ctx.get("skip_actions") or ()
            for r in self.rules:
                if r["action"] in skip or not self._applies(r["action"], ctx):
                    continue
                if r["action"] in ("expire_session",) and not ctx.get("session"):
                    continue
                if not self._match_fields(r["match"], ctx):
                    continue
                r["matched"] += 1
                if r["matched"] < r["match"].get("nth", 1):
                    continue
                if r["times"] != FOREVER and r["hits"] >= r["times"]:
                    continue
                if "probability" in r["match"] and self.rng.random() >= r["match"]["probability"]:
                    continue
                if r["action"] == "rate_limit":
                    if not self._rate_limited(r, ctx):
                        continue
                r["hits"] += 1
                return Fault(r)
        return None

    def _rate_limited(self, r, ctx):
        who = ctx.get("email") or ctx.get("remote") or "-"
        now = self.clock()
        window = float(r["params"].get("window", 60))
        calls = int(r["params"].get("calls", 10))
        q = r["_window"].setdefault(who, collections.deque())
        while q and q[0] <= now - window:
            q.popleft()
        if len(q) >= calls:
            return True
        q.append(now)
        return False
