"""Compare servers under the same load: alternate them round by round, then
summarise the medians with ratios against a baseline."""

import sys

from . import report
from .measure import measure

HEADERS = ["case", "server", "req/s", "throughput", "CPU us/req", "CPU us/MiB", "peak RSS", "runs", "errors"]


class Target:
    """A server and the URL it is loaded on, under a display name."""

    def __init__(self, name, server, url):
        self.name, self.server, self.url = name, server, url


def alternate(targets, rounds, duration, connections, wrk_cpu=None, label="", warmup=1, run=None):
    """`rounds` wrk runs per target, the order reversed every other round so
    neither server always runs first. Returns {target name: [Sample, ...]}.
    `run(target, seconds)` -> Sample measures another load generator instead."""
    if run is None:
        run = lambda t, seconds: measure(t.server, t.url, connections, seconds, wrk_cpu)  # noqa: E731
    for t in targets:  # warm-up, not recorded: page cache, fd caches, TCP
        if warmup:
            run(t, warmup)
    samples = {t.name: [] for t in targets}
    for r in range(rounds):
        for t in (targets if r % 2 == 0 else list(reversed(targets))):
            s = run(t, duration)
            samples[t.name].append(s)
            print(f"  {label:>8} round {r + 1}/{rounds} {t.name:<12} "
                  f"{s.requests_per_second:>10.0f} req/s  {report.human_bytes(s.bytes_per_second):>11}/s  "
                  f"{s.cpu_us_per_request:>8.1f} us CPU/req" + (f"  {s.errors} ERRORS" if s.errors else ""),
                  file=sys.stderr, flush=True)
    return samples


def medians(samples):
    return {
        "rps": report.median([s.requests_per_second for s in samples]),
        "bps": report.median([s.bytes_per_second for s in samples]),
        "cpu": report.median([s.cpu_us_per_request for s in samples]),
        "cpu_mib": report.median([s.cpu_us_per_mib for s in samples]),
    }


def rows_for(label, targets, samples, baseline):
    """One row of medians per target, then one ratio row per non-baseline target."""
    rows, meds = [], {}
    for t in targets:
        m = medians(samples[t.name])
        m["rss"] = t.server.peak_rss_kb() * 1024
        meds[t.name] = m
        runs = samples[t.name]
        rows.append([label, t.name, f"{m['rps']:.0f}", report.human_bytes(m["bps"]) + "/s", f"{m['cpu']:.1f}",
                     f"{m['cpu_mib']:.0f}", report.human_bytes(m["rss"]), len(runs), sum(s.errors for s in runs)])
    b = meds[baseline]
    for t in targets:
        if t.name == baseline:
            continue
        a = meds[t.name]
        rows.append([label, f"{t.name}/{baseline}"] +
                    [f"{report.ratio(a[k], b[k]):.2f}x" for k in ("rps", "bps", "cpu", "cpu_mib", "rss")] + ["", ""])
    return rows
