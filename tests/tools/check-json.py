#!/usr/bin/env python3
"""check-json.py [--def NAME] DOC [DOC...] -- validate --json documents.

The schema is the JSON block between "<!-- schema:begin -->" and
"<!-- schema:end -->" in docs/json.md (found next to this script, or
given with --schema FILE).  Each DOC (a file, "-" for stdin) must hold one
JSON document that matches the whole schema, or with --def NAME the
definition #/$defs/NAME (jsonstat documents have no "command").  Prints
one line per problem and exits 1 when there is one.

--jsonstat-from FILE: DOC is found in FILE's console text instead: the
lines from one that is exactly "{" to the next that is exactly "}".
"""
import argparse
import json
import os
import sys

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))


def load_schema(path):
    text = open(path, encoding="utf-8").read()
    begin = text.index("<!-- schema:begin -->")
    end = text.index("<!-- schema:end -->")
    block = text[begin:end]
    block = block[block.index("```json") + len("```json"):block.rindex("```")]
    return json.loads(block)


def jsonstat_block(text):
    lines = text.splitlines()
    start = lines.index("{")
    stop = lines.index("}", start)
    return "\n".join(lines[start:stop + 1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--schema",
                    default=os.path.join(HERE, "..", "..", "docs", "json.md"))
    ap.add_argument("--def", dest="defname")
    ap.add_argument("--jsonstat-from", action="store_true")
    ap.add_argument("docs", nargs="+")
    a = ap.parse_args()
    schema = load_schema(a.schema)
    jsonschema.Draft202012Validator.check_schema(schema)
    if a.defname:
        schema = dict(schema)
        schema.pop("oneOf", None)
        schema["$ref"] = "#/$defs/" + a.defname
    validator = jsonschema.Draft202012Validator(schema)
    bad = 0
    for d in a.docs:
        text = sys.stdin.read() if d == "-" else open(d, encoding="utf-8").read()
        if a.jsonstat_from:
            text = jsonstat_block(text)
        try:
            doc = json.loads(text)
        except ValueError as e:
            print(f"{d}: not one JSON document: {e}")
            bad += 1
            continue
        for e in validator.iter_errors(doc):
            where = "/".join(str(p) for p in e.absolute_path) or "(top)"
            print(f"{d}: {where}: {e.message}")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
