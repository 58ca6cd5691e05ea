#!/usr/bin/env python3
"""Read duplicity's machine-readable log (--log-fd / --log-file).

Written from the format description (duplicity-format.md 10.5), not from
dupc's code, so the end-to-end tests can hold dupc's output to it:

    LEVEL CODE[ EXTRA]          the header of a record
    <more EXTRA lines>          (collection status puts a block there)
    . <message line>            every message line, prefixed with ". "
    <empty line>                the end of the record

LEVEL is ERROR, WARNING, NOTICE, INFO or DEBUG; CODE a decimal number.
The file is UTF-8.  Any deviation is an error (exit 1, with the line).

Usage: logfd-read.py FILE
Prints one line per record, tab-separated:
    LEVEL  CODE  EXTRA  TEXT
where EXTRA's continuation lines and the message's lines are joined with
a literal "\\n", and a missing EXTRA is written as "-".
"""
import re
import sys

HEADER = re.compile(r"^(ERROR|WARNING|NOTICE|INFO|DEBUG) ([0-9]+)(?: (.*))?$")


def fail(n, line, why):
    sys.stderr.write("logfd-read: line %d: %s: %r\n" % (n, why, line))
    sys.exit(1)


def records(data):
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        sys.stderr.write("logfd-read: not UTF-8: %s\n" % e)
        sys.exit(1)
    if text and not text.endswith("\n"):
        fail(text.count("\n") + 1, text.rsplit("\n", 1)[-1], "no final newline")
    lines = text.split("\n")[:-1]
    i = 0
    while i < len(lines):
        m = HEADER.match(lines[i])
        if not m:
            fail(i + 1, lines[i], "not a record header")
        level, code, extra = m.group(1), int(m.group(2)), m.group(3)
        data_lines, msg = [], []
        i += 1
        while True:
            if i >= len(lines):
                fail(i, "", "record not ended by an empty line")
            line = lines[i]
            i += 1
            if line == "":
                break
            if line.startswith(". "):
                msg.append(line[2:])
            elif msg:
                fail(i, line, "extra data after the message")
            else:
                data_lines.append(line)
        yield level, code, extra, data_lines, msg


def main():
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    for level, code, extra, data_lines, msg in records(data):
        ex = extra if extra is not None else "-"
        if data_lines:
            ex = "\\n".join([ex] + data_lines)
        sys.stdout.write("%s\t%d\t%s\t%s\n" % (level, code, ex, "\\n".join(msg)))


if __name__ == "__main__":
    main()
