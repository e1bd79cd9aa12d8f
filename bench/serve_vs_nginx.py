#!/usr/bin/env python3
"""`cache-tier serve --threads 1` against Debian's nginx (one worker) serving
the same directory at the same URL path, loaded with wrk on loopback.

For a 4 KB, a 64 KB and a 100 MB file (1 MB on request) it alternates the
servers for several rounds and prints the medians of requests/s, throughput,
the server's CPU time per request (utime + stime from /proc/PID/stat, before and
after each run) and peak RSS (VmHWM), with the ratios against nginx. Then, in
runs of their own that are not timed: the system calls each server makes per
request (strace -c -f over a fixed number of keep-alive requests made with
h2load), and each server's RSS at start and with 10,000 idle keep-alive
connections. Builds nothing.

    bench/serve_vs_nginx.py [BINARY] [--markdown FILE] [--quick]
                            [--also NAME=BINARY ...]   # another build side by side
"""

import contextlib
import datetime
import os
import shutil
import sys
import tempfile

sys.dont_write_bytecode = True  # keep bench/lib free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import cli, compare, files, idle, procstat, report, servers, syscalls  # noqa: E402

# (label, file name, size in bytes, whether it is the large file)
FILES = [
    ("4 KB", "file-4k.bin", 4 * 1024, False),
    ("64 KB", "file-64k.bin", 64 * 1024, False),
    ("1 MB", "file-1m.bin", 2**20, False),
    ("100 MB", "file-100m.bin", 100 * 2**20, True),
]
IDLE_FILE = FILES[0]

SYSCALL_HEADERS = ["case", "server", "requests", "syscalls/req", "most frequent (per request)"]
IDLE_HEADERS = ["server", "RSS at start", "RSS with idle connections", "per idle connection", "connections"]


def parse_args():
    p = cli.parser(__doc__)
    p.add_argument("--rounds", type=int, default=5, help="runs per server for the small files (default 5)")
    p.add_argument("--duration", type=int, default=5, help="seconds per wrk run, small files (default 5)")
    p.add_argument("--connections", type=int, default=50, help="wrk connections, small files (default 50)")
    p.add_argument("--big-rounds", type=int, default=3, help="runs per server for 100 MB (default 3)")
    p.add_argument("--big-duration", type=int, default=10, help="seconds per wrk run for 100 MB (default 10)")
    p.add_argument("--big-connections", type=int, default=8, help="wrk connections for 100 MB (default 8)")
    p.add_argument("--sizes", default="4k,64k,100m", help="which files of 4k,64k,1m,100m (default 4k,64k,100m)")
    p.add_argument("--syscall-requests", type=int, default=20000,
                   help="requests counted under strace per server and size (default 20000; 100 MB: 1/500 of it)")
    p.add_argument("--idle-connections", type=int, default=10000,
                   help="idle keep-alive connections held in the memory case (default 10000; 0: skip it)")
    p.add_argument("--also", action="append", default=[], metavar="NAME=BINARY",
                   help="another cache-tier build loaded side by side under NAME (repeatable)")
    cli.add_pinning(p)
    args = p.parse_args()
    if args.quick:
        args.rounds = args.big_rounds = 1
        args.duration = args.big_duration = 1
        args.syscall_requests = 2000
        args.idle_connections = min(args.idle_connections, 1000)
    args.builds = [("cache-tier", args.binary)]
    for spec in args.also:
        name, sep, binary = spec.partition("=")
        if not sep or not name or not binary:
            p.error(f"--also {spec!r}: expected NAME=BINARY")
        args.builds.append((name, binary))
    return args


def make_files(root, wanted):
    for _, name, size, _ in wanted:
        files.make_random_file(os.path.join(root, name), size)
    os.chmod(root, 0o755)  # nginx's worker may run as another user


def check_same_bytes(servers_, root, wanted):
    """Every server must serve the file's exact bytes, or the comparison means nothing."""
    for _, name, _, _ in wanted:
        with open(os.path.join(root, name), "rb") as f:
            expected = f.read()
        for s in servers_:
            if servers.fetch(s.url(name)) != expected:
                raise RuntimeError(f"{s.name} does not serve the bytes of {name}")


def start_all(stack, args, root, cpu, max_connections=None, worker_connections=4096):
    """Every cache-tier build and nginx, as (display name, server) pairs, nginx last."""
    extra = ("--max-connections", str(max_connections)) if max_connections else ()
    started = []
    for name, binary in args.builds:
        started.append((name, stack.enter_context(servers.CacheTier(binary, root, threads=1, cpu=cpu,
                                                                      extra_args=extra))))
    started.append(("nginx", stack.enter_context(servers.Nginx(root, workers=1, cpu=cpu,
                                                               worker_connections=worker_connections))))
    return started


def syscall_rows(label, started, url_name, requests, connections, client_cpu):
    counts = {}
    for name, server in started:
        c = syscalls.count_syscalls(server.measured_pid, server.url(url_name), requests, connections, client_cpu)
        counts[name] = c
        print(f"  {label:>8} {name:<12} {c.per_request:6.2f} syscalls/req  ({c.top()})", file=sys.stderr, flush=True)
    rows = [[label, name, c.requests, f"{c.per_request:.2f}", c.top()] for name, c in counts.items()]
    for name, c in counts.items():
        if name != "nginx":
            rows.append([label, f"{name}/nginx", "", f"{report.ratio(c.per_request, counts['nginx'].per_request):.2f}x",
                         ""])
    return rows


def idle_rows(started, connections):
    measured = {}
    for name, server in started:
        m = idle.measure_idle(server, IDLE_FILE[1], connections)
        measured[name] = m
        print(f"  idle {name:<12} RSS {m.start_kb / 1024:.1f} MiB at start, {m.idle_kb / 1024:.1f} MiB with "
              f"{m.connections} idle connections ({m.per_connection_bytes:.0f} B each)", file=sys.stderr, flush=True)
    rows = [[name, report.human_bytes(m.start_kb * 1024), report.human_bytes(m.idle_kb * 1024),
             f"{m.per_connection_bytes:.0f} B", m.connections] for name, m in measured.items()]
    b = measured["nginx"]
    for name, m in measured.items():
        if name != "nginx":
            rows.append([f"{name}/nginx", f"{report.ratio(m.start_kb, b.start_kb):.2f}x",
                         f"{report.ratio(m.idle_kb, b.idle_kb):.2f}x",
                         f"{report.ratio(m.per_connection_bytes, b.per_connection_bytes):.2f}x", ""])
    return rows


def run(args):
    wanted = [f for f in FILES if f[1].split("-")[1].split(".")[0] in args.sizes.split(",")]
    pin = not args.no_pin and (os.cpu_count() or 1) >= 2
    server_cpu, client_cpu = (0, 1) if pin else (None, None)
    root = tempfile.mkdtemp(prefix="bench-files-")
    rows, sys_rows, mem_rows = [], [], []
    try:
        make_files(root, wanted + [IDLE_FILE])
        with contextlib.ExitStack() as stack:
            started = start_all(stack, args, root, server_cpu)
            check_same_bytes([s for _, s in started], root, wanted)
            for label, name, _, big in wanted:
                targets = [compare.Target(n, s, s.url(name)) for n, s in started]
                samples = compare.alternate(
                    targets,
                    rounds=args.big_rounds if big else args.rounds,
                    duration=args.big_duration if big else args.duration,
                    connections=args.big_connections if big else args.connections,
                    wrk_cpu=client_cpu, label=label)
                rows += compare.rows_for(label, targets, samples, baseline="nginx")
            # Counted after the timed runs, on the same warm servers.
            for label, name, _, big in wanted:
                sys_rows += syscall_rows(label, started, name,
                                         max(args.syscall_requests // 500, 10) if big else args.syscall_requests,
                                         args.big_connections if big else args.connections, client_cpu)
        if args.idle_connections:
            # Fresh servers, so the memory at start is that of a server that has served one request.
            n = args.idle_connections
            if not idle.raise_fd_limit(n):
                raise RuntimeError(f"the open file limit is too low for {n} connections (raise ulimit -n)")
            with contextlib.ExitStack() as stack:
                # nginx needs a connection slot per connection (it sets them up when it starts).
                started = start_all(stack, args, root, server_cpu, max_connections=n + 100,
                                    worker_connections=n + 240)
                mem_rows = idle_rows(started, n)
        versions = {"cache-tier": {name: servers.version_of([b, "--version"]) for name, b in args.builds},
                    "nginx": servers.version_of(["/usr/sbin/nginx", "-v"]),
                    "wrk": servers.version_of(["wrk", "--version"]),
                    "h2load": servers.version_of(["h2load", "--version"]),
                    "strace": servers.version_of(["strace", "-V"])}
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return rows, sys_rows, mem_rows, versions, pin


def facts(args, versions, pin):
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    builds = "; ".join(f"{name}: {os.path.relpath(binary)} ({version})" for (name, binary), version in
                       zip(args.builds, versions["cache-tier"].values()))
    return [
        f"when: {when}; machine: {procstat.machine_description()}; load average at the end (1, 5, 15 min): "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        f"{builds} (`serve --threads 1`); {versions['nginx']} (1 worker, sendfile, tcp_nopush, "
        f"open_file_cache, access_log off); {versions['wrk']}; {versions['h2load']}; {versions['strace']}",
        f"load: wrk -t1, {args.connections} connections x {args.duration} s x {args.rounds} rounds "
        f"(100 MB: {args.big_connections} connections x {args.big_duration} s x {args.big_rounds} rounds), "
        f"servers alternated each round, medians shown; "
        + ("servers pinned to core 0, wrk to core 1" if pin else "no CPU pinning"),
        "CPU us/req: the server's utime+stime per completed request (nginx: its worker); CPU us/MiB: the same "
        "per MiB wrk read, which also counts unfinished 100 MB responses; peak RSS: VmHWM since start",
        f"syscalls/req: in a separate, untimed run, `strace -c -f -p PID` attached to the server (every thread; "
        f"nginx: its worker) while `h2load --h1 -c {args.connections} -m 1` makes {args.syscall_requests} "
        f"keep-alive requests (100 MB: {max(args.syscall_requests // 500, 10)} on {args.big_connections}), "
        "every system call of the process during the run divided by the requests",
        f"idle: fresh servers (cache-tier `--max-connections {args.idle_connections + 100}`, nginx "
        f"`worker_connections {args.idle_connections + 240}`), VmRSS after one request, then with "
        f"{args.idle_connections} keep-alive connections that have each had one 4 KB response and wait",
    ]


def main():
    args = parse_args()
    rows, sys_rows, mem_rows, versions, pin = run(args)
    print(report.text_table(compare.HEADERS, rows))
    print()
    print(report.text_table(SYSCALL_HEADERS, sys_rows))
    if mem_rows:
        print()
        print(report.text_table(IDLE_HEADERS, mem_rows))
    if args.markdown:
        more = [("System calls per request (strace -c, untimed):", SYSCALL_HEADERS, sys_rows)]
        if mem_rows:
            more.append((f"Memory with {args.idle_connections} idle keep-alive connections (VmRSS):",
                         IDLE_HEADERS, mem_rows))
        report.write_markdown(args.markdown, "cache-tier serve vs nginx", facts(args, versions, pin),
                              compare.HEADERS, rows, "Ratios are against nginx.", more)
        print(f"markdown written to {args.markdown}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
