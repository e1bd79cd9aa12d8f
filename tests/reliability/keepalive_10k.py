#!/usr/bin/env python3
"""10,000 keep-alive connections held open against the real `cache-tier
serve` (each has made a request and idles), while a normal client is served:
its p99 latency, the server's peak RSS (VmHWM) and descriptors; at the end
every held connection is asked again and must answer.

Usage: keepalive_10k.py [--connections N] [--requests N]
Results: tests/reliability/ct_results.py (category "load").
"""

import argparse
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ct_results  # noqa: E402
import ct_serve  # noqa: E402

RESULTS = ct_results.Recorder("load", "keepalive_10k.py")
record = RESULTS.record
failures = RESULTS.failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=10000)
    parser.add_argument("--requests", type=int, default=3000, help="the normal client's requests")
    args = parser.parse_args()
    n = args.connections
    # Ours: n sockets; the server's: n sockets and its own files (it raises its
    # soft limit to the hard one, which it inherits from here).
    limit = ct_serve.raise_fd_limit(n * 2 + 1000)
    if limit < n + 200:
        print("open file limit %d is too low for %d connections" % (limit, n))
        return 1
    work = ct_serve.Workdir()
    ct_serve.write_random(work.origin, "small.bin", 4096)
    server = ct_serve.Server(work.cache, ["--origin", "file://" + work.origin,
                                          "--max-connections", str(n + 100)], work.logs,
                             config={"keepalive_timeout": 600})
    target = "/static/files_cache/small.bin"
    ok = False
    try:
        server.wait_cached("small.bin")
        quiet, quiet_errors = ct_serve.probe_latency(server.port, target, count=1000)
        base_fds = server.open_fds()

        t0 = time.monotonic()
        held = ct_serve.open_connections(server.port, n)
        answered = ct_serve.ask_all(held, target)
        opened_in = time.monotonic() - t0
        fds_held = server.open_fds()

        latencies, errors = ct_serve.probe_latency(server.port, target, count=args.requests)
        p99 = ct_serve.percentile(latencies, 99)
        still = ct_serve.ask_all(held, target)
        peak = server.peak_rss_mib()
        for s in held:
            s.close()

        record("keepalive-10k-latency", "p99 latency of a normal client", round(p99, 2), "ms", "< 100 ms",
               p99 < 100 and errors == 0,
               "%d requests for a 4 KB file while %d keep-alive connections are held (p50 %.2f ms, max %.1f ms, "
               "%d errors); without them: p99 %.2f ms" % (
                   args.requests, n, ct_serve.percentile(latencies, 50), max(latencies), errors,
                   ct_serve.percentile(quiet, 99)))
        record("keepalive-10k-rss", "server peak RSS (VmHWM)", round(peak, 1), "MiB", "< 100 MiB", peak < 100,
               "%d connections, 2 server threads, after every one asked twice" % n)
        record("keepalive-10k-held", "held connections answering, first and last", min(answered, still),
               "of %d" % n, "all %d" % n, answered == n and still == n,
               "opened and asked in %.1f s; server descriptors %d (%d before)" % (opened_in, fds_held, base_fds))
        ok = not failures and quiet_errors == 0
    finally:
        server.proc.popen.kill()
        server.proc.popen.wait()
    work.finish(ok)
    if not ok:
        print("failed: " + ", ".join(failures) + "\n" + server.proc.stderr_text()[-3000:])
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
