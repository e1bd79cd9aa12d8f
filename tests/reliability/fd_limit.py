#!/usr/bin/env python3
"""The real `cache-tier serve` at its own open-file limit: connections past
what its descriptors allow wait in the listen backlog while accept fails with
EMFILE. The server must not spin on the failing accept (CPU measured over a
few seconds), must keep answering the connections it has, must not flood its
log, and must serve the waiting ones once descriptors are free again.

Usage: fd_limit.py [--limit N] [--connections N]
Results: tests/reliability/ct_results.py (category "load").
"""

import argparse
import os
import resource
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ct_results  # noqa: E402
import ct_serve  # noqa: E402

RESULTS = ct_results.Recorder("load", "fd_limit.py")
record = RESULTS.record
failures = RESULTS.failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=128, help="the server's RLIMIT_NOFILE, soft and hard")
    parser.add_argument("--connections", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=5.0, help="how long it is held at the limit")
    args = parser.parse_args()
    ct_serve.raise_fd_limit(4096)
    work = ct_serve.Workdir()
    ct_serve.write_random(work.origin, "small.bin", 4096)

    def low_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (args.limit, args.limit))

    server = ct_serve.Server(work.cache, ["--origin", "file://" + work.origin, "--max-connections", "100000",
                                          "--threads", "2"],
                             work.logs, preexec_fn=low_limit)
    target = "/static/files_cache/small.bin"
    ok = False
    try:
        normal = ct_serve.Client(server.port)
        server.wait_cached("small.bin")
        first = normal.request(target)  # connected before the limit is reached
        if first is None or first.status != 200:
            raise RuntimeError("small.bin not served")
        held = ct_serve.open_connections(server.port, args.connections)
        accepted = ct_serve.ask_all(held, target, timeout=3)
        cpu0, t0 = server.cpu_seconds(), time.monotonic()
        served = []
        while time.monotonic() < t0 + args.seconds:
            r = normal.request(target)  # an accepted connection keeps being served
            served.append(r is not None and r.status == 200)
            time.sleep(0.1)
        cpu = (server.cpu_seconds() - cpu0) / (time.monotonic() - t0) * 100
        fds_at_limit = server.open_fds()
        record("fd-limit-no-spin", "server CPU while accept fails with EMFILE", round(cpu, 1), "%", "< 10 %",
               cpu < 10 and 0 < accepted < args.connections,
               "open file limit %d: %d of %d connections accepted and answered, %d descriptors open, the rest in "
               "the backlog for %.0f s" % (args.limit, accepted, args.connections, fds_at_limit, args.seconds))
        record("fd-limit-keeps-serving", "requests on an accepted connection answered at the limit", sum(served),
               "of %d" % len(served), "all", all(served), "a keep-alive client asking every 100 ms")
        warnings = server.proc.stderr_text().count("accept failed")
        record("fd-limit-log", "warnings about failing accepts", warnings, "lines",
               "1 per thread a minute", 1 <= warnings <= 2,
               "over %.0f s at the limit, 2 threads retrying every 100 ms" % (time.monotonic() - t0))
        for s in held[:accepted + 10]:
            s.close()
        # Descriptors free again: the waiting connections are accepted and answered.
        t1 = time.monotonic()
        rest = held[accepted + 10:]
        answered_late = 0
        while rest and time.monotonic() < t1 + 30:
            batch, rest = rest[:20], rest[20:]
            answered_late += ct_serve.ask_all(batch, target, timeout=10)
            for s in batch:
                s.close()
        recovered_in = time.monotonic() - t1
        waiting = args.connections - accepted - 10
        record("fd-limit-recovers", "connections that waited in the backlog, answered once fds were free",
               answered_late, "of %d" % waiting, "all", answered_late == waiting,
               "in %.1f s, 20 at a time" % recovered_in)
        ok = not failures and server.proc.running()
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
