#!/usr/bin/env python3
"""`cache-tier serve --threads 1` against Debian's nginx (one worker) serving
the same directory at the same URL path, loaded with wrk on loopback.

For a 4 KB, a 64 KB and a 100 MB file it alternates the two servers for several
rounds and prints the medians of requests/s, throughput, the server's CPU time
per request (utime + stime from /proc/PID/stat, before and after each run) and
peak RSS (VmHWM), with the ratios cache-tier / nginx. Builds nothing.

    bench/serve_vs_nginx.py [BINARY] [--markdown FILE] [--quick]
"""

import datetime
import os
import shutil
import sys
import tempfile

sys.dont_write_bytecode = True  # keep bench/lib free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import cli, compare, files, procstat, report, servers  # noqa: E402

# (label, file name, size in bytes, whether it is the large file)
FILES = [
    ("4 KB", "file-4k.bin", 4 * 1024, False),
    ("64 KB", "file-64k.bin", 64 * 1024, False),
    ("100 MB", "file-100m.bin", 100 * 2**20, True),
]


def parse_args():
    p = cli.parser(__doc__)
    p.add_argument("--rounds", type=int, default=5, help="runs per server for the small files (default 5)")
    p.add_argument("--duration", type=int, default=5, help="seconds per wrk run, small files (default 5)")
    p.add_argument("--connections", type=int, default=50, help="wrk connections, small files (default 50)")
    p.add_argument("--big-rounds", type=int, default=3, help="runs per server for 100 MB (default 3)")
    p.add_argument("--big-duration", type=int, default=10, help="seconds per wrk run for 100 MB (default 10)")
    p.add_argument("--big-connections", type=int, default=8, help="wrk connections for 100 MB (default 8)")
    p.add_argument("--sizes", default="4k,64k,100m", help="which files, e.g. 4k,64k (default all three)")
    cli.add_pinning(p)
    args = p.parse_args()
    if args.quick:
        args.rounds = args.big_rounds = 1
        args.duration = args.big_duration = 1
    return args


def make_files(root, wanted):
    for _, name, size, _ in wanted:
        files.make_random_file(os.path.join(root, name), size)
    os.chmod(root, 0o755)  # nginx's worker may run as another user


def check_same_bytes(servers_, root, wanted):
    """Both servers must serve the file's exact bytes, or the comparison means nothing."""
    for _, name, _, _ in wanted:
        with open(os.path.join(root, name), "rb") as f:
            expected = f.read()
        for s in servers_:
            if servers.fetch(s.url(name)) != expected:
                raise RuntimeError(f"{s.name} does not serve the bytes of {name}")


def run(args):
    wanted = [f for f in FILES if f[1].split("-")[1].split(".")[0] in args.sizes.split(",")]
    pin = not args.no_pin and (os.cpu_count() or 1) >= 2
    server_cpu, wrk_cpu = (0, 1) if pin else (None, None)
    root = tempfile.mkdtemp(prefix="bench-files-")
    rows = []
    try:
        make_files(root, wanted)
        with servers.CacheTier(args.binary, root, threads=1, cpu=server_cpu) as ct, \
                servers.Nginx(root, workers=1, cpu=server_cpu) as ngx:
            check_same_bytes([ct, ngx], root, wanted)
            for label, name, _, big in wanted:
                targets = [compare.Target("cache-tier", ct, ct.url(name)), compare.Target("nginx", ngx, ngx.url(name))]
                samples = compare.alternate(
                    targets,
                    rounds=args.big_rounds if big else args.rounds,
                    duration=args.big_duration if big else args.duration,
                    connections=args.big_connections if big else args.connections,
                    wrk_cpu=wrk_cpu, label=label)
                rows += compare.rows_for(label, targets, samples, baseline="nginx")
            ct_version = servers.version_of([args.binary, "--version"])
            versions = {"cache-tier": ct_version if ct_version.startswith("cache-tier") else f"cache-tier {ct_version}",
                        "nginx": servers.version_of(["/usr/sbin/nginx", "-v"]),
                        "wrk": servers.version_of(["wrk", "--version"])}
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return rows, versions, pin


def main():
    args = parse_args()
    rows, versions, pin = run(args)
    print(report.text_table(compare.HEADERS, rows))
    if args.markdown:
        when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        facts = [
            f"when: {when}; machine: {procstat.machine_description()}",
            f"{versions['cache-tier']} (`serve --threads 1`); {versions['nginx']} (1 worker, sendfile, tcp_nopush, "
            f"open_file_cache, access_log off); {versions['wrk']}",
            f"load: wrk -t1, {args.connections} connections x {args.duration} s x {args.rounds} rounds "
            f"(100 MB: {args.big_connections} connections x {args.big_duration} s x {args.big_rounds} rounds), "
            f"servers alternated each round, medians shown; "
            + ("servers pinned to core 0, wrk to core 1" if pin else "no CPU pinning"),
            "CPU us/req: the server's utime+stime per completed request (nginx: its worker); CPU us/MiB: the same "
            "per MiB wrk read, which also counts unfinished 100 MB responses; peak RSS: VmHWM since start",
        ]
        report.write_markdown(args.markdown, "cache-tier serve vs nginx", facts, compare.HEADERS, rows,
                              "Ratios are cache-tier / nginx; the target is req/s >= 1.0x and CPU/req <= 1.0x.")
        print(f"markdown written to {args.markdown}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
