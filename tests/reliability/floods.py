#!/usr/bin/env python3
"""Floods against the real `cache-tier serve`: oversized request lines and
headers are answered 414/431 and closed, the server keeps serving and its
descriptors come back; a flood of misses for distinct names far beyond the
fill queue's cap is answered queue_full and does not grow memory without bound.

Usage: floods.py [--connections N] [--misses N]   (CTest: the defaults)
Results: tests/reliability/ct_results.py (category "load").
"""

import argparse
import json
import os
import socket
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ct_results  # noqa: E402
import ct_serve  # noqa: E402

RESULTS = ct_results.Recorder("load", "floods.py")
record = RESULTS.record
failures = RESULTS.failures


def oversized_floods(server, connections):
    before = server.open_fds()
    cases = [
        ("flood-request-line-414", 414, b"GET /" + b"a" * 10000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
         "10 KB request line (limit 8 KB)"),
        ("flood-header-431", 431, b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 12000 + b"\r\n\r\n",
         "12 KB header field (limit 8 KB)"),
        ("flood-many-fields-431", 431,
         b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-F%d: %s\r\n" % (i, b"v" * 60) for i in range(200))
         + b"\r\n", "200 fields, 14 KB in all"),
    ]
    for case, status, payload, what in cases:
        outcomes = ct_serve.flood(server.port, payload, connections)
        good = sum(1 for got, closed in outcomes if got == status and closed)
        wrong = sorted({str(got) for got, closed in outcomes if got != status})
        record(case, "connections answered %d and closed" % status, good, "of %d" % connections,
               "all %d" % connections, good == connections,
               "%s, %d connections, 200 at once%s" % (what, connections,
                                                     "; other answers: " + ", ".join(wrong) if wrong else ""))
    answers = ct_serve.Client(server.port).request("/")
    # Lingering closes end within 2 s; then the descriptors are those of before.
    back = ct_serve.wait_for(lambda: server.open_fds() <= before + 2, 15, 0.2)
    record("flood-aftermath", "server descriptors after the floods", server.open_fds(), "fds",
           "<= %d (before) + 2, still serving" % before, back and answers is not None and answers.status == 200,
           "GET / answered %s after %d oversized requests" % (answers.status if answers else "nothing",
                                                              3 * connections))


def miss_flood(server, misses, queue_cap):
    """/verify for distinct names while every fill hangs on an origin that never
    answers: past the queue's cap each answer is queue_full; memory after 10x
    the misses must stay near memory after 1x."""
    client = ct_serve.Client(server.port)
    states, bad = {}, []

    def ask(start, count):
        for i in range(start, start + count):
            r = client.request("/verify/miss-%07d.mp3" % i)
            try:
                body = json.loads(r.body) if r and r.status == 200 else None
            except ValueError:
                body = None
            if body is None or body.get("available") is not False:
                bad.append("%s: %s" % (i, r.status if r else "no answer"))
                continue
            state = body.get("state")
            states[state] = states.get(state, 0) + 1
            if state == "queue_full" and not body.get("error_msg"):
                bad.append("%s: queue_full without error_msg" % i)

    ask(0, misses)
    rss_1x = server.rss_mib()
    ask(misses, 9 * misses)
    rss_10x = server.rss_mib()
    growth = rss_10x - rss_1x
    # Bounded: 9x more misses after the first batch add nothing but allocator
    # slack; kept per name, even 100 bytes each would add 34 MiB.
    limit = 4.0
    full = states.get("queue_full", 0)
    record("flood-distinct-misses", "RSS growth from %d to %d distinct misses" % (misses, 10 * misses),
           round(growth, 1), "MiB", "< %.0f MiB" % limit,
           growth < limit and not bad and full >= 10 * misses - queue_cap - 100,
           "RSS %.1f MiB after %d, %.1f after %d; fill queue cap %d: %d answered queue_full, %d filling%s"
           % (rss_1x, misses, rss_10x, 10 * misses, queue_cap, full, states.get("filling", 0),
              "; bad answers: " + "; ".join(bad[:5]) if bad else ""))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=1000)
    # 40000: past the point where the fill engine's per-name table starts
    # forgetting idle names (32 shards x 1024), so 10x more can only add memory
    # if something keeps every name.
    parser.add_argument("--misses", type=int, default=40000)
    args = parser.parse_args()
    ct_serve.raise_fd_limit(4096)
    work = ct_serve.Workdir()
    # An origin that takes connections into its backlog and never answers:
    # every fill hangs, so the queue fills and stays full.
    blackhole = socket.socket()
    blackhole.bind(("127.0.0.1", 0))
    blackhole.listen(4096)
    queue_cap = 1000
    server = ct_serve.Server(work.cache, ["--origin", "http://127.0.0.1:%d" % blackhole.getsockname()[1],
                                          "--fill-workers", "4", "--max-queued-fills", str(queue_cap)], work.logs)
    try:
        oversized_floods(server, args.connections)
        miss_flood(server, args.misses, queue_cap)
        if not server.proc.running():
            failures.append("server exited")
    finally:
        server.proc.popen.kill()
        server.proc.popen.wait()
        blackhole.close()
    work.finish(not failures)
    if failures:
        print("failed: " + ", ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
