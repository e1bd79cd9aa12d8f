#!/usr/bin/env python3
"""Slowloris against the real `cache-tier serve`: 1,000 connections trickle
header bytes (one every 300 ms each, so an idle timeout that each byte reset
would never fire) while normal clients are served. Their p95 latency during
the attack must stay under 100 ms, and every trickling connection must be
closed once header_timeout has passed since its first byte (nginx's
client_header_timeout).

Usage: slowloris.py [--connections N] [--interval S] [--header-timeout S]
Results: tests/reliability/ct_results.py (category "load").
"""

import argparse
import multiprocessing
import os
import selectors
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ct_results  # noqa: E402
import ct_serve  # noqa: E402

RESULTS = ct_results.Recorder("load", "slowloris.py")
record = RESULTS.record
failures = RESULTS.failures


def trickle(port, count, interval, give_up_after, pipe):
    """In its own process, so its sending does not delay the measured client.
    Sends the lifetimes (first byte to close, s) of the connections that were
    closed, and how many were still open when it gave up."""
    header = b"GET /static/files_cache/small.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
    socks = ct_serve.open_connections(port, count)
    sel = selectors.DefaultSelector()
    first_byte, sent = {}, {}
    for s in socks:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        sent[s] = 0
    lifetimes = []
    started = time.monotonic()
    pipe.send("started")
    next_round = started
    while sent and time.monotonic() < started + give_up_after:
        now = time.monotonic()
        if now >= next_round:
            for s in list(sent):
                i = sent[s]
                byte = header[i:i + 1] if i < len(header) else b"a"
                try:
                    s.send(byte)
                except OSError:
                    continue  # closed: the read side below records it
                first_byte.setdefault(s, time.monotonic())
                sent[s] = i + 1
            next_round += interval
        for key, _ in sel.select(max(0.0, min(0.05, next_round - time.monotonic()))):
            s = key.fileobj
            data = ct_serve.recv_some(s, 4096)
            if data is None:
                continue
            if data:
                continue  # an answer (none is expected); the close follows
            lifetimes.append(time.monotonic() - first_byte.get(s, started))
            sel.unregister(s)
            del sent[s]
            s.close()
    pipe.send((lifetimes, len(sent)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--interval", type=float, default=0.3)
    parser.add_argument("--header-timeout", type=int, default=10)
    args = parser.parse_args()
    ct_serve.raise_fd_limit(args.connections * 2 + 1000)
    work = ct_serve.Workdir()
    ct_serve.write_random(work.origin, "small.bin", 4096)
    server = ct_serve.Server(work.cache, ["--origin", "file://" + work.origin], work.logs,
                             config={"header_timeout": args.header_timeout})
    ok = False
    try:
        server.wait_cached("small.bin")
        target = "/static/files_cache/small.bin"
        quiet, _ = ct_serve.probe_latency(server.port, target, count=500)

        parent, child = multiprocessing.Pipe()
        attacker = multiprocessing.Process(target=trickle, args=(
            server.port, args.connections, args.interval, args.header_timeout + 20, child))
        attacker.start()
        if not parent.poll(60):
            raise RuntimeError("the trickling connections did not open")
        parent.recv()
        # Normal clients during the attack, until just before the header timeout.
        during = args.header_timeout - 2
        keepalive, ka_errors = ct_serve.probe_latency(server.port, target, duration=during / 2)
        fresh, fresh_errors = [], 0
        end = time.monotonic() + during / 2
        while time.monotonic() < end:
            # A new connection each time: accepting must not be starved either.
            lat, err = ct_serve.probe_latency(server.port, target, count=1)
            fresh += lat
            fresh_errors += err
            time.sleep(0.005)
        open_during = server.open_fds()
        if not parent.poll(args.header_timeout + 60):
            raise RuntimeError("the attacker did not report")
        lifetimes, still_open = parent.recv()
        attacker.join(10)

        latencies = keepalive + fresh
        p95 = ct_serve.percentile(latencies, 95)
        errors = ka_errors + fresh_errors
        record("slowloris-latency", "p95 latency of normal clients during the attack", round(p95, 2), "ms",
               "< 100 ms", p95 < 100 and errors == 0,
               "%d connections each sending a header byte every %d ms; %d keep-alive requests and %d on new "
               "connections (p99 %.2f ms, %d errors); without the attack p95 %.2f ms; server descriptors "
               "during it %d" % (args.connections, args.interval * 1000, len(keepalive), len(fresh),
                                 ct_serve.percentile(latencies, 99), errors, ct_serve.percentile(quiet, 95),
                                 open_during))
        slowest = max(lifetimes) if lifetimes else None
        # The server's timeouts are checked by a once-a-second tick.
        limit = args.header_timeout + 2
        record("slowloris-closed", "longest trickling connection, first byte to close", 
               round(slowest, 1) if slowest is not None else None, "s", "<= header_timeout (%d s) + 2 s, all closed"
               % args.header_timeout,
               still_open == 0 and slowest is not None and slowest <= limit and min(lifetimes) >= args.header_timeout - 1,
               "%d of %d closed by the server (shortest %.1f s), %d still open %d s after their first byte" % (
                   len(lifetimes), args.connections, min(lifetimes) if lifetimes else 0, still_open,
                   args.header_timeout + 20))
        after = ct_serve.Client(server.port).request(target)
        ok = not failures and after is not None and after.status == 200
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
