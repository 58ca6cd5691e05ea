#!/usr/bin/env python3
"""targets.py RESULTS.json -- the performance targets of dupc, filled in.

Reads run-bench's results.json (medians over repetitions) and prints, for
each phase, dupc's wall-time ratio to duplicity measured in the same run,
next to the goal; also the incremental bytes and the peak memory.
"""
import json
import statistics
import sys

GOALS = {  # phase: (goal vs duplicity-noenc, goal vs duplicity-gpg)
    "full": (0.25, 0.30),
    "inc": (0.25, 0.30),
    "restore": (0.40, 0.45),
}


def medians(records):
    by = {}
    for r in records:
        if not r.get("ok"):
            continue
        by.setdefault((r["tool"], r["phase"]), []).append(r)
    out = {}
    for key, rs in by.items():
        out[key] = {
            "wall": statistics.median(r["wall_s"] for r in rs),
            "wall_min": min(r["wall_s"] for r in rs),
            "wall_max": max(r["wall_s"] for r in rs),
            "rss": max(r["maxrss_mib"] for r in rs),
            "cpu": statistics.median(r.get("cpu_s", 0) for r in rs),
            "added": statistics.median(r.get("dst_added_bytes", 0) for r in rs),
            "stored": statistics.median(r.get("dst_bytes") or 0 for r in rs),
        }
    return out


def ratio(m, a, b, phase):
    x, y = m.get((a, phase)), m.get((b, phase))
    if not x or not y or not y["wall"]:
        return None
    return x["wall"] / y["wall"]


def fmt(v, goal=None):
    if v is None:
        return "n/a"
    s = "%.2f" % v
    if goal is not None:
        s += " (goal ≤ %.2f: %s)" % (goal, "met" if v <= goal else "not met")
    return s


def main():
    d = json.load(open(sys.argv[1]))
    m = medians(d["records"])
    meta = d.get("meta", {})
    print("# dupc performance targets")
    print()
    print("Dataset: %s; repeat %s; ratios are medians of wall time against"
          " duplicity in the same run; ranges are min–max." % (
              meta.get("dataset", {}).get("name", "?"),
              meta.get("repeat", "?")))
    print()
    print("| phase | dupc-noenc / duplicity-noenc | dupc-gpg / duplicity-gpg |"
          " dupc-noenc wall s (range) | duplicity-noenc wall s (range) |")
    print("|---|---|---|---|---|")
    for phase, (g1, g2) in GOALS.items():
        r1 = ratio(m, "dupc-noenc", "duplicity-noenc", phase)
        r2 = ratio(m, "dupc-gpg", "duplicity-gpg", phase)
        a = m.get(("dupc-noenc", phase))
        b = m.get(("duplicity-noenc", phase))
        print("| %s | %s | %s | %s | %s |" % (
            phase, fmt(r1, g1), fmt(r2, g2),
            "%.2f (%.2f–%.2f)" % (a["wall"], a["wall_min"], a["wall_max"]) if a else "n/a",
            "%.2f (%.2f–%.2f)" % (b["wall"], b["wall_min"], b["wall_max"]) if b else "n/a"))
    print()
    pig = ratio(m, "dupc-noenc", "tar-pigz", "full")
    print("- full backup vs `tar | pigz -6`: %s (goal ≤ 1.00)" % fmt(pig))
    for ref in ("restic", "borg", "tar-gzip", "tar-gpg", "tar-raw"):
        r = ratio(m, ref, "duplicity-noenc", "full")
        if r is not None:
            print("- %s full / duplicity-noenc full: %.2f" % (ref, r))
    inc_d = m.get(("dupc-noenc", "inc"))
    inc_p = m.get(("duplicity-noenc", "inc"))
    if inc_d and inc_p and inc_p["added"]:
        print("- incremental bytes, dupc / duplicity: %.3f (goal ≤ 1.05)"
              % (inc_d["added"] / inc_p["added"]))
    rest = ratio(m, "dupc-noenc", "tar-raw", "restore")
    print("- restore vs `tar-raw` extraction: %s (goal ≤ 1.30)" % fmt(rest))
    encrypted(m)
    peak = max((v["rss"] for (t, _), v in m.items() if t.startswith("dupc")),
               default=None)
    dpeak = max((v["rss"] for (t, _), v in m.items()
                 if t.startswith("duplicity")), default=None)
    print("- peak RSS: dupc %s MiB, duplicity %s MiB (goal ≤ 32 MiB)" % (
        "%.1f" % peak if peak else "n/a", "%.1f" % dpeak if dpeak else "n/a"))


def wall(m, tool, phase):
    v = m.get((tool, phase))
    return "%.2f" % v["wall"] if v else "n/a"


def encrypted(m):
    """dupc encrypted beside the tools that also encrypt."""
    tools = ["dupc-gpg", "dupc-pk", "dupc-gpg-fast", "duplicity-gpg",
             "restic", "borg"]
    tools = [t for t in tools if any(k[0] == t for k in m)]
    print()
    print("Encrypted, median wall s (user+sys s):")
    print()
    print("| phase | " + " | ".join(tools) + " |")
    print("|---|" + "---|" * len(tools))
    for phase in GOALS:
        cells = []
        for t in tools:
            v = m.get((t, phase))
            cells.append("%.2f (%.2f)" % (v["wall"], v["cpu"]) if v else "n/a")
        print("| %s | %s |" % (phase, " | ".join(cells)))
    cells = []
    for t in tools:
        v = m.get((t, "full"))
        cells.append("%.1f" % (v["stored"] / 2**20) if v else "n/a")
    print("| stored by the full, MiB | %s |" % " | ".join(cells))
    print()
    for phase, goal in (("full", 0.30), ("inc", 0.30), ("restore", 0.45)):
        print("- %s, dupc-gpg / duplicity-gpg: %s" % (
            phase, fmt(ratio(m, "dupc-gpg", "duplicity-gpg", phase), goal)))
    for phase, ref in (("full", "restic"), ("full", "borg"),
                       ("restore", "restic")):
        print("- %s, dupc-gpg / %s: %s" % (
            phase, ref, fmt(ratio(m, "dupc-gpg", ref, phase), 1.00)))


if __name__ == "__main__":
    main()
