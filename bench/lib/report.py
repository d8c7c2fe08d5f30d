"""Results of bench.py: summary statistics, same-run ratios, Markdown, JSON and an SVG chart."""
import json
import math
import os
import shutil
import statistics

from common import BULK, CONFIGS, LABELS

# (name, numerator, denominator)
PAIRS = [
    ("netnsfs ÷ socat", "netnsfs", "socat"),
    ("netnsfs ÷ C libfuse", "netnsfs", "cproxy"),
    ("handoff ÷ native", "handoff", "native"),
    ("netnsfs ÷ native", "netnsfs", "native"),
]
COLORS = {"netnsfs ÷ socat": "#3b6fb6", "netnsfs ÷ C libfuse": "#e08a2c", "handoff ÷ native": "#3c9a5f"}


def bulk_name(direction, block):
    arrow = "client→server" if direction == "up" else "server→client"
    return "%s, %s" % (arrow, "128 KiB" if block == 131072 else "1 MiB")


def stats(values):
    v = [x for x in values if x is not None]
    if not v:
        return None
    return {"median": statistics.median(v), "min": min(v), "max": max(v), "n": len(v)}


def summarize(runs):
    keys = sorted({k for r in runs for k in r if k != "seconds"})
    return {k: stats([r.get(k) for r in runs]) for k in keys}


def ratio_metrics():
    """(row key, row label, metric template with {c}, higher_is_better)."""
    rows = []
    for d, b in BULK:
        rows.append(("bulk.%s.%d" % (d, b), "throughput " + bulk_name(d, b), "bulk.%s.%d.{c}" % (d, b), True))
    rows.append(("ping.p50", "64 B round trip p50", "ping.{c}.p50_us", False))
    rows.append(("ping.p99", "64 B round trip p99", "ping.{c}.p99_us", False))
    rows.append(("connrate", "connections per second", "connrate.{c}", True))
    return rows


def ratios(runs):
    out = {}
    for key, _label, tmpl, _hib in ratio_metrics():
        for name, a, b in PAIRS:
            vals = []
            for r in runs:
                x, y = r.get(tmpl.format(c=a)), r.get(tmpl.format(c=b))
                if x is not None and y:
                    vals.append(x / y)
            out["%s|%s" % (key, name)] = stats(vals)
    return out


def fmt(v, digits=0):
    if v is None:
        return "–"
    if digits == 0:
        return "{:,}".format(int(round(v))).replace(",", " ")
    return "%.*f" % (digits, v)


def cell(st, digits=0, scale=1.0):
    if not st:
        return "–"
    if st["n"] == 1:
        return fmt(st["median"] * scale, digits)
    return "%s [%s–%s]" % (fmt(st["median"] * scale, digits), fmt(st["min"] * scale, digits), fmt(st["max"] * scale, digits))


def markdown(data, svg_name):
    m, s, summ, rat = data["machine"], data["settings"], data["summary"], data["ratios"]
    n = len(data["runs"])
    L = []
    L.append("# netnsfs benchmark — %s" % m["date"])
    L.append("")
    if data.get("note"):
        L.append("> **Note:** %s" % data["note"])
        L.append("")
    load = float(m["loadavg_start"][0])
    if load > 0.5 * (m["nproc"] or 1):
        L.append("> **The machine was busy:** load average %s at the start, %s at the end (%s CPUs). "
                 "Absolute figures are noisy; the same-run ratios are the figures to read."
                 % (" ".join(m["loadavg_start"]), " ".join(m["loadavg_end"]), m["nproc"]))
        L.append("")
    L.append("Machine: %s CPUs (%s), %s, Linux %s (TCP congestion control %s), .NET %s, libfuse %s, %s. Under test: %s (commit %s). "
             "%d run%s%s; whole benchmark %s s. Figures are medians over the runs, [min–max] in brackets; "
             "ratios are computed within each run, then summarized."
             % (m["nproc"], m["cpu"], m["memory"], m["kernel"], m.get("tcp_congestion_control") or "unknown", m["dotnet"], m["libfuse"],
                (m["socat"][0] if m["socat"] else "socat"), m["netnsfs"], m["commit"], n, "" if n == 1 else "s",
                " (BENCH_QUICK smoke)" if s["quick"] else "", m["elapsed_s"]))
    L.append("")
    L.append("![ratios and latency](%s)" % svg_name)
    L.append("")
    L.append("## Ratios (same run)")
    L.append("")
    L.append("| figure | " + " | ".join(p[0] for p in PAIRS) + " |")
    L.append("|---|" + "---:|" * len(PAIRS))
    for key, label, _tmpl, hib in ratio_metrics():
        L.append("| %s (%s) | %s |" % (label, "higher = faster" if hib else "lower = faster",
                                       " | ".join(cell(rat.get("%s|%s" % (key, p[0])), 2) for p in PAIRS)))
    L.append("")
    L.append("## Throughput (MiB/s)")
    L.append("")
    L.append("One connection, page-aligned buffers; each transfer sized to last about %s s after a calibration "
             "transfer on the same connection." % s["bulk_seconds"])
    L.append("")
    L.append("| direction, write/read size | " + " | ".join(LABELS[c] for c in CONFIGS) + " |")
    L.append("|---|" + "---:|" * len(CONFIGS))
    for d, b in BULK:
        L.append("| %s | %s |" % (bulk_name(d, b), " | ".join(cell(summ.get("bulk.%s.%d.%s" % (d, b, c))) for c in CONFIGS)))
    L.append("")
    L.append("## Round trip and connections")
    L.append("")
    L.append("| | " + " | ".join(LABELS[c] for c in CONFIGS) + " |")
    L.append("|---|" + "---:|" * len(CONFIGS))
    L.append("| 64 B round trip p50 (µs) | %s |" % " | ".join(cell(summ.get("ping.%s.p50_us" % c), 1) for c in CONFIGS))
    L.append("| 64 B round trip p99 (µs) | %s |" % " | ".join(cell(summ.get("ping.%s.p99_us" % c), 1) for c in CONFIGS))
    L.append("| open → connected → closed per second | %s |" % " | ".join(cell(summ.get("connrate.%s" % c)) for c in CONFIGS))
    L.append("")
    L.append("Round trips: %d per run after a 10%% warm-up. Connections: open, one 1-byte round trip "
             "(the proof that the path is connected end to end, which a relay's listener alone is not), close; "
             "for %s s per run. The handoff column asks the handoff socket for every connection "
             "(`samples/c/netnsfs.h`); its bulk and round-trip sockets come from `samples/python/netnsfs.py`."
             % (s["ping_count"], s["conn_seconds"]))
    L.append("")
    L.append("## Namespaces")
    L.append("")
    L.append("| how | per namespace |")
    L.append("|---|---:|")
    L.append("| bare `unshare(CLONE_NEWNET)` loop in C (%d per run) | %s µs |" % (s["unshare_count"], cell(summ.get("ns.unshare_us"))))
    if summ.get("ns.unshare_lo_us"):
        L.append("| the same loop, bringing each loopback up as `mkdir` does (%d per run) | %s µs |" % (s["unshare_count"], cell(summ.get("ns.unshare_lo_us"))))
    L.append("| `ip netns add` + `ip netns del` (%d per run) | %s µs |" % (s["ipnetns_count"], cell(summ.get("ns.ipnetns_us"))))
    if data["multi_available"]:
        L.append("| netnsfs multi: `mkdir DIR/NAME` (%d per run) | %s µs |" % (s["multi_count"], cell(summ.get("ns.multi_mkdir_us"))))
        L.append("| netnsfs multi: `rmdir DIR/NAME` | %s µs |" % cell(summ.get("ns.multi_rmdir_us")))
    else:
        L.append("| netnsfs multi: `mkdir DIR/NAME` | not available (this netnsfs has no `-o multi`) |")
    L.append("")
    L.append("## Daemon")
    L.append("")
    L.append("| | |")
    L.append("|---|---:|")
    L.append("| start: exec of `netnsfs SRC DIR -o create` until it exits 0, mount live | %s ms |" % cell(summ.get("daemon.start_ms")))
    L.append("| RSS idle (fresh daemon, 1 s after mount) | %s MiB |" % cell(summ.get("daemon.rss_idle_kib"), 1, 1 / 1024))
    L.append("| RSS idle after the traffic above | %s MiB |" % cell(summ.get("daemon.rss_after_traffic_kib"), 1, 1 / 1024))
    L.append("| RSS with %s open socket files (a fresh daemon) | %s MiB |" % (fmt(s["sockets"]), cell(summ.get("daemon.rss_sockets_kib"), 1, 1 / 1024)))
    L.append("| … per socket, above its idle RSS | %s KiB |" % cell(summ.get("daemon.rss_per_socket_kib"), 2))
    L.append("| … opening them (open → connected, one client) | %s per s |" % cell(summ.get("daemon.open_per_sec")))
    L.append("| … closing them | %s per s |" % cell(summ.get("daemon.close_per_sec")))
    L.append("| RSS after closing them | %s MiB |" % cell(summ.get("daemon.rss_after_close_kib"), 1, 1 / 1024))
    if data["multi_available"]:
        L.append("| RSS with %s namespaces (multi) | %s MiB |" % (fmt(s["namespaces"]), cell(summ.get("daemon.rss_multi_kib"), 1, 1 / 1024)))
        L.append("| … per namespace | %s KiB |" % cell(summ.get("daemon.rss_per_ns_kib"), 1))
        L.append("| … creating them (`mkdir`, one after another) | %s per s |" % cell(summ.get("daemon.multi_create_per_sec")))
    else:
        L.append("| RSS with %s namespaces (multi) | not available |" % fmt(s["namespaces"]))
    L.append("")
    if data["notes"] or data["errors"]:
        L.append("## Notes and errors")
        L.append("")
        for x in data["notes"]:
            L.append("- " + x)
        for x in data["errors"]:
            L.append("- error: `%s`" % x.replace("`", "'"))
        L.append("")
    L.append("How these are measured: see `bench/README.md`. Raw per-run values: the `.json` next to this file.")
    L.append("")
    return "\n".join(L)


def esc(t):
    return t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def svg(data):
    rat, summ, m = data["ratios"], data["summary"], data["machine"]
    W, H = 900, 600
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
           'font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">' % (W, H, W, H),
           '<rect width="100%" height="100%" fill="#ffffff"/>']

    def text(x, y, t, size=12, anchor="start", color="#222", weight="normal"):
        out.append('<text x="%.1f" y="%.1f" font-size="%s" text-anchor="%s" fill="%s" font-weight="%s">%s</text>'
                   % (x, y, size, anchor, color, weight, esc(t)))

    # Panel 1: throughput ratios
    text(20, 28, "Throughput ratios, same run (median, whiskers min–max; above 1 = faster)", 15, weight="bold")
    x0, y0, pw, ph = 60, 50, 820, 230
    pairs = [p for p in PAIRS if p[0] in COLORS]
    vals = [rat.get("bulk.%s.%d|%s" % (d, b, p[0])) for d, b in BULK for p in pairs]
    top = max([1.2] + [v["max"] for v in vals if v])
    top = math.ceil(top * 5) / 5
    def ys(v):
        return y0 + ph - v / top * ph
    step = 0.2 if top <= 2 else (0.5 if top <= 5 else 1.0)
    t = 0.0
    while t <= top + 1e-9:
        out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#e4e4e4"/>' % (x0, x0 + pw, ys(t), ys(t)))
        text(x0 - 6, ys(t) + 4, "%.1f" % t, 11, "end", "#666")
        t += step
    out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#c0392b" stroke-dasharray="5,4"/>'
               % (x0, x0 + pw, ys(1), ys(1)))
    gw = pw / len(BULK)
    bw = gw * 0.8 / len(pairs)
    for gi, (d, b) in enumerate(BULK):
        gx = x0 + gi * gw + gw * 0.1
        for pi, p in enumerate(pairs):
            v = rat.get("bulk.%s.%d|%s" % (d, b, p[0]))
            bx = gx + pi * bw
            if not v:
                text(bx + bw / 2, ys(0) - 4, "n/a", 10, "middle", "#999")
                continue
            out.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>'
                       % (bx + 2, ys(v["median"]), bw - 4, ys(0) - ys(v["median"]), COLORS[p[0]]))
            if v["n"] > 1:
                cx = bx + bw / 2
                out.append('<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#333"/>' % (cx, cx, ys(v["min"]), ys(v["max"])))
                for yy in (v["min"], v["max"]):
                    out.append('<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#333"/>' % (cx - 4, cx + 4, ys(yy), ys(yy)))
            text(bx + bw / 2, ys(v["max"] if v["n"] > 1 else v["median"]) - 5, "%.2f" % v["median"], 10, "middle")
        text(gx + gw * 0.4, y0 + ph + 18, bulk_name(d, b), 12, "middle")
    lx = x0
    for p in pairs:
        out.append('<rect x="%d" y="%d" width="12" height="12" fill="%s"/>' % (lx, y0 + ph + 30, COLORS[p[0]]))
        text(lx + 17, y0 + ph + 40, p[0], 12)
        lx += 200

    # Panel 2: round-trip latency, log scale
    y1 = 360
    text(20, y1 - 12, "64-byte round trip, µs (log scale; bar = p50, light bar = p99; lower = faster)", 15, weight="bold")
    lx0, lw = 200, 640
    lo, hi = 1.0, 5.0  # 10 µs .. 100 ms
    vals = [summ.get("ping.%s.p99_us" % c) for c in CONFIGS] + [summ.get("ping.%s.p50_us" % c) for c in CONFIGS]
    vals = [v["median"] for v in vals if v]
    if vals:
        lo = math.floor(math.log10(max(min(vals), 1)))
        hi = max(lo + 1, math.ceil(math.log10(max(vals))))
    def xs(v):
        return lx0 + (math.log10(max(v, 10 ** lo)) - lo) / (hi - lo) * lw
    rh = 36
    for e in range(int(lo), int(hi) + 1):
        x = xs(10 ** e)
        out.append('<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#e4e4e4"/>' % (x, x, y1, y1 + rh * len(CONFIGS)))
        text(x, y1 + rh * len(CONFIGS) + 14, "{:,}".format(10 ** e).replace(",", " "), 11, "middle", "#666")
    for i, c in enumerate(CONFIGS):
        y = y1 + i * rh
        text(lx0 - 8, y + rh / 2 + 4, LABELS[c], 12, "end")
        p50, p99 = summ.get("ping.%s.p50_us" % c), summ.get("ping.%s.p99_us" % c)
        if p99:
            out.append('<rect x="%d" y="%.1f" width="%.1f" height="%.1f" fill="#b9cbe6"/>' % (lx0, y + 6, xs(p99["median"]) - lx0, rh - 12))
        if p50:
            out.append('<rect x="%d" y="%.1f" width="%.1f" height="%.1f" fill="#3b6fb6"/>' % (lx0, y + 11, xs(p50["median"]) - lx0, rh - 22))
            label = "p50 %.1f" % p50["median"] + ("  p99 %.0f" % p99["median"] if p99 else "")
            text(max(xs(p99["median"]) if p99 else 0, xs(p50["median"])) + 6, y + rh / 2 + 4, label, 11)
        if not p50 and not p99:
            text(lx0 + 4, y + rh / 2 + 4, "n/a", 11, color="#999")
    foot = "%s · %s CPUs %s · Linux %s · %d run(s)%s" % (m["date"], m["nproc"], m["cpu"], m["kernel"], len(data["runs"]),
                                                      " · QUICK" if data["settings"]["quick"] else "")
    if float(m["loadavg_start"][0]) > 0.5 * (m["nproc"] or 1):
        foot += " · machine busy (load %s)" % m["loadavg_start"][0]
    text(20, H - 12, foot, 10, color="#777")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def write(data, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    data["summary"] = summarize(data["runs"])
    data["ratios"] = ratios(data["runs"])
    day = data["machine"]["day"]
    paths = []
    for base in ("latest", day):
        with open(os.path.join(out_dir, base + ".json"), "w") as f:
            json.dump(data, f, indent=1, sort_keys=True)
        with open(os.path.join(out_dir, base + ".md"), "w") as f:
            f.write(markdown(data, base + ".svg"))
        with open(os.path.join(out_dir, base + ".svg"), "w") as f:
            f.write(svg(data))
        paths += [os.path.join(out_dir, base + e) for e in (".md", ".json", ".svg")]
    return paths


if __name__ == "__main__":  # re-render from a JSON: python3 report.py results/latest.json OUTDIR
    import sys
    with open(sys.argv[1]) as f:
        d = json.load(f)
    for p in write(d, sys.argv[2]):
        print(p)
