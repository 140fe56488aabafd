"""table.py -- turns run.sh's RESULT lines into the benchmark table (markdown), printed and written to
the report. Ratios are computed within each round (same machine load), then averaged over the rounds.

    python3 table.py RESULTS HEADER_LINE... REPORT_PATH_OR_EMPTY
"""
import statistics
import sys

CLIENTS = ["raw", "c", "zkrs", "kazoo"]


def parse(path):
    rows = []
    for line in open(path):
        fields = dict(tok.split("=", 1) for tok in line.split() if "=" in tok)
        for k, v in list(fields.items()):
            try:
                fields[k] = float(v)
            except ValueError:
                pass
        rows.append(fields)
    return rows


def median_per_round(rows):
    """One row per (client, workload, round): the median of each figure over that round's passes."""
    groups = {}
    for r in rows:
        groups.setdefault((r["client"], r["work"], r["round"]), []).append(r)
    merged = []
    for group in groups.values():
        m = dict(group[0])
        for k, v in m.items():
            if isinstance(v, float):
                m[k] = statistics.median(g[k] for g in group if k in g)
        merged.append(m)
    return merged


def main():
    rows = median_per_round(parse(sys.argv[1]))
    headers, report = sys.argv[2:-1], sys.argv[-1]
    baseline = {r["client"]: r.get("syscalls") for r in rows if r["round"] == 0}
    runs = {}  # (client, work) -> [row per round]
    for r in rows:
        if r["round"] == 0:
            continue
        if "syscalls" in r and baseline.get(r["client"]) is not None and r["n"] > 0:
            r["syscalls_per_op"] = (r["syscalls"] - baseline[r["client"]]) / r["n"]
        runs.setdefault((r["client"], r["work"]), []).append(r)
    rounds = sorted({r["round"] for r in rows if r["round"] > 0})

    def value(client, work, field):
        vals = [r[field] for r in runs.get((client, work), []) if field in r]
        return statistics.mean(vals) if vals else None

    def ratio(work, field, base):
        per_round = []
        for rnd in rounds:
            z = [r for r in runs.get(("zkrs", work), []) if r["round"] == rnd and field in r]
            b = [r for r in runs.get((base, work), []) if r["round"] == rnd and field in r]
            if z and b and b[0][field]:
                per_round.append(z[0][field] / b[0][field])
        return statistics.mean(per_round) if per_round else None

    # (label, work, field, target kind, target value)
    spec = [
        ("pipelined get, ops/s", "get", "ops", "ops", None),
        ("pipelined set, ops/s", "set", "ops", "ops", None),
        ("pipelined create+delete, ops/s", "create", "ops", "ops", None),
        ("client CPU per get, us", "get", "cpu_us", "le_c", 0.5),
        ("client CPU per set, us", "set", "cpu_us", "le_c", 0.5),
        ("client CPU per create/delete, us", "create", "cpu_us", "le_c", 0.5),
        ("syscalls per pipelined get", "get", "syscalls_per_op", "abs", 4),
        ("syscalls per pipelined set", "set", "syscalls_per_op", None, None),
        ("context switches per pipelined get", "get", "csw", None, None),
        ("sync get p50, us", "sync", "p50_us", "le_c", 0.9),
        ("sync get p99, us", "sync", "p99_us", "le_c", 0.9),
        ("RSS after connect, kB", "watch", "rss_connect_kb", "le_c", 2.0),
        ("private (anonymous) RSS after connect, kB", "watch", "anon_connect_kb", None, None),
        ("bytes per one-shot watch", "watch", "bytes_per_watch", "abs", 150),
        ("threads per session", "watch", "threads", "abs", 2),
        ("RSS of the sessions in one process, kB", "sessions", "rss_kb", None, None),
        ("RSS per extra session, kB", "sessions", "rss_kb_per_session", None, None),
        ("threads of the sessions in one process", "sessions", "threads", None, None),
    ]

    def fmt(v):
        if v is None:
            return "n/a"
        if abs(v) >= 1000:
            return "%.0f" % v
        if abs(v) >= 10:
            return "%.1f" % v
        return "%.2f" % v

    def fmt_ratio(v):
        return "n/a" if v is None else "%.2fx" % v

    out = []
    out.append("| metric | raw socket | C client | zkrs | kazoo | zkrs / C | zkrs / raw | target | met |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---|---|")
    for label, work, field, kind, target in spec:
        vals = [value(c, work, field) for c in CLIENTS]
        rc, rr = ratio(work, field, "c"), ratio(work, field, "raw")
        z = vals[2]
        if kind == "ops":
            tgt = ">= 1.2x C, >= 0.9x raw"
            met = rc is not None and rr is not None and rc >= 1.2 and rr >= 0.9
        elif kind == "le_c":
            tgt = "<= %gx C" % target
            met = rc is not None and rc <= target
        elif kind == "abs":
            tgt = "<= %g" % target
            met = z is not None and z <= target
        else:
            tgt, met = "", None
        out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            label, *[fmt(v) for v in vals], fmt_ratio(rc), fmt_ratio(rr), tgt,
            "" if met is None else ("yes" if met else "**no**")))
    out.append("| lock acquire/release cycles/s, 4 contenders (no C API for Lock yet) | | n/a | n/a | n/a | | | vs kazoo | n/a |")
    for label, field in (("TreeCache: time to INITIALIZED, ms", "init_ms"), ("TreeCache: RSS growth, kB", "rss_kb")):
        vals = [value(c, "treecache", field) for c in CLIENTS]
        rk = ratio("treecache", field, "kazoo")
        out.append("| %s | %s | %s | %s | %s | | | zkrs / kazoo: %s | %s |" % (
            label, *[fmt(v) for v in vals], fmt_ratio(rk), "" if rk is None else ("yes" if rk < 1 else "**no**")))
    table = "\n".join(out)
    print()
    for h in headers:
        print(h)
    print()
    print(table)
    if report:
        with open(report, "w") as f:
            f.write("# Benchmark report\n\nWritten by `bench/run.sh` (see README, Benchmarks). ")
            f.write("Ratios are zkrs's figure over the other client's, measured in the same round, averaged over "
                    "the rounds; figures are means over the rounds. raw socket: a client that only frames "
                    "pre-encoded requests (the server's limit for one session). Syscalls per op: the whole "
                    "process's count minus that of a run that only connects and closes, over the requests.\n\n")
            for h in headers:
                f.write("- %s\n" % h)
            f.write("\n" + table + "\n")
        print("\nwritten to %s" % report)


if __name__ == "__main__":
    main()
