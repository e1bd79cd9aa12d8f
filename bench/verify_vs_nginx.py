#!/usr/bin/env python3
"""`GET /verify/<cached file>` on `cache-tier serve --threads 1` against Debian's
nginx serving a 4 KB file (one worker), loaded with wrk on loopback, the two
alternated round by round. Issue 3's target: /verify at least 0.8x nginx's
requests/s. cache-tier's own 4 KB static file is measured too, for context.

    bench/verify_vs_nginx.py [BINARY] [--markdown FILE] [--quick]
"""

import datetime
import json
import os
import shutil
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # keep bench/lib free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import cli, compare, files, procstat, report, servers  # noqa: E402

NAME = "file-4k.bin"


def parse_args():
    p = cli.parser(__doc__)
    p.add_argument("--rounds", type=int, default=5, help="runs per target (default 5)")
    p.add_argument("--duration", type=int, default=5, help="seconds per wrk run (default 5)")
    p.add_argument("--connections", type=int, default=50, help="wrk connections (default 50)")
    cli.add_pinning(p)
    args = p.parse_args()
    if args.quick:
        args.rounds, args.duration = 1, 1
    return args


def wait_until_cached(ct, timeout=30):
    """Ask /verify until it says available: the first ask starts the fill."""
    url = f"http://127.0.0.1:{ct.port}/verify/{NAME}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = json.loads(servers.fetch(url))
        if answer.get("available"):
            return
        time.sleep(0.05)
    raise RuntimeError(f"/verify/{NAME} never said available: {answer}")


def main():
    args = parse_args()
    pin = not args.no_pin and (os.cpu_count() or 1) >= 2
    server_cpu, wrk_cpu = (0, 1) if pin else (None, None)
    work = tempfile.mkdtemp(prefix="bench-verify-")
    try:
        origin, cache = os.path.join(work, "origin"), os.path.join(work, "cache")
        os.makedirs(origin)
        os.makedirs(cache)
        files.make_random_file(os.path.join(origin, NAME), 4096)
        os.chmod(work, 0o755)
        with servers.CacheTier(args.binary, cache, threads=1, cpu=server_cpu,
                               extra_args=["--origin", f"file://{origin}"]) as ct:
            wait_until_cached(ct)
            with servers.Nginx(cache, workers=1, cpu=server_cpu) as ngx:
                targets = [
                    compare.Target("ct /verify", ct, f"http://127.0.0.1:{ct.port}/verify/{NAME}"),
                    compare.Target("ct static", ct, ct.url(NAME)),
                    compare.Target("nginx", ngx, ngx.url(NAME)),
                ]
                samples = compare.alternate(targets, args.rounds, args.duration, args.connections, wrk_cpu,
                                            label="4 KB")
                rows = compare.rows_for("4 KB", targets, samples, baseline="nginx")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(report.text_table(compare.HEADERS, rows))
    print("ct = cache-tier; its CPU and RSS figures cover both of its rows (one process).")
    if args.markdown:
        when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        facts = [
            f"when: {when}; machine: {procstat.machine_description()}",
            f"{servers.version_of([args.binary, '--version'])} (`serve --threads 1`, file:// origin); "
            f"{servers.version_of(['/usr/sbin/nginx', '-v'])} (1 worker, sendfile, open_file_cache, access_log off)",
            f"load: wrk -t1, {args.connections} connections x {args.duration} s x {args.rounds} rounds, "
            f"targets alternated, medians shown; " + ("servers on core 0, wrk on core 1" if pin else "no pinning"),
        ]
        report.write_markdown(args.markdown, "/verify vs nginx serving 4 KB", facts, compare.HEADERS, rows,
                              "Target (issue 3): `ct /verify` at least 0.8x nginx's req/s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
