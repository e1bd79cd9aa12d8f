#!/usr/bin/env python3
"""How fast cache-tier fills a large file from a local origin, against
`curl -o` of the same file from the same origin. Issue 3's target: at least
0.9x curl's throughput. Median of several runs each, alternated.

The origin is a file:// directory, Debian's nginx serving it, or both. A fill
is timed from the first `GET /verify/<name>` (which starts it) until /verify
says the file is available, polled every 10 ms. cache-tier fsyncs the file
before it becomes visible; plain `curl -o` does not, so "curl -o + fsync" is
shown too.

    bench/fill_throughput.py [BINARY] [--origin file|nginx|both] [--size-mb 1024] [--markdown FILE]
"""

import datetime
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # keep bench/lib free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import cli, files, procstat, report, servers  # noqa: E402

NAME = "big-file.bin"
HEADERS = ["origin", "client", "seconds", "throughput", "CPU s", "runs"]


def parse_args():
    p = cli.parser(__doc__)
    p.add_argument("--origin", choices=["file", "nginx", "both"], default="both")
    p.add_argument("--size-mb", type=int, default=1024, help="size of the file (default 1024 MiB)")
    p.add_argument("--runs", type=int, default=3, help="runs per client (default 3)")
    args = p.parse_args()
    if args.quick:
        args.size_mb, args.runs = 64, 1
    return args


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def time_curl(url, out_dir, size, fsync):
    """Seconds and CPU seconds of `curl -o`, optionally followed by an fsync of the file."""
    out = os.path.join(out_dir, NAME)
    cpu0, t0 = children_cpu(), time.monotonic()
    subprocess.run(["curl", "-sS", "--fail", "-o", out, url], check=True)
    if fsync:
        fd = os.open(out, os.O_RDONLY)
        os.fsync(fd)
        os.close(fd)
    elapsed, cpu = time.monotonic() - t0, children_cpu() - cpu0
    if os.path.getsize(out) != size:
        raise RuntimeError(f"curl wrote {os.path.getsize(out)} bytes, expected {size}")
    os.remove(out)
    return elapsed, cpu


def time_fill(binary, origin_url, cache_dir, size):
    """Seconds and CPU seconds of one cache-tier fill into an empty cache directory."""
    with servers.CacheTier(binary, cache_dir, threads=1, extra_args=["--origin", origin_url]) as ct:
        verify = f"http://127.0.0.1:{ct.port}/verify/{NAME}"
        cpu0, t0 = ct.cpu_seconds(), time.monotonic()
        answer = json.loads(servers.fetch(verify))
        while not answer.get("available"):
            if answer.get("error") and time.monotonic() - t0 > 1:
                raise RuntimeError(f"fill failed: {answer}")
            if time.monotonic() - t0 > 600:
                raise RuntimeError(f"fill did not finish in 600 s: {answer}")
            time.sleep(0.01)
            answer = json.loads(servers.fetch(verify))
        elapsed, cpu = time.monotonic() - t0, ct.cpu_seconds() - cpu0
    local = os.path.join(cache_dir, NAME)
    if os.path.getsize(local) != size:
        raise RuntimeError(f"the fill left {os.path.getsize(local)} bytes, expected {size}")
    return elapsed, cpu


def measure_origin(kind, url_of_file, origin_base, args, size, work):
    """Alternate the clients `args.runs` times; return table rows."""
    timings = {"curl -o": [], "curl -o + fsync": [], "cache-tier fill": []}
    for r in range(args.runs):
        order = list(timings) if r % 2 == 0 else list(reversed(timings))
        for client in order:
            target = tempfile.mkdtemp(dir=work, prefix="dest-")
            if client == "cache-tier fill":
                t = time_fill(args.binary, origin_base, target, size)
            else:
                t = time_curl(url_of_file, target, size, fsync=client.endswith("fsync"))
            shutil.rmtree(target, ignore_errors=True)
            timings[client].append(t)
            print(f"  {kind:>5} run {r + 1}/{args.runs} {client:<16} {t[0]:7.2f} s "
                  f"{report.human_bytes(size / t[0]):>11}/s  CPU {t[1]:.2f} s", file=sys.stderr, flush=True)
    rows = []
    med = {c: report.median([t[0] for t in ts]) for c, ts in timings.items()}
    for client, ts in timings.items():
        rows.append([kind, client, f"{med[client]:.2f}", report.human_bytes(size / med[client]) + "/s",
                     f"{report.median([t[1] for t in ts]):.2f}", len(ts)])
    for base in ("curl -o", "curl -o + fsync"):
        rows.append([kind, f"cache-tier/{base}", "", f"{med[base] / med['cache-tier fill']:.2f}x", "", ""])
    return rows


def main():
    args = parse_args()
    size = args.size_mb * 2**20
    # Same filesystem for the origin and every destination, so all write to the same disk.
    work = tempfile.mkdtemp(prefix="bench-fill-")
    rows = []
    try:
        origin = os.path.join(work, "origin")
        os.makedirs(origin)
        files.make_random_file(os.path.join(origin, NAME), size)
        os.chmod(work, 0o755)
        os.chmod(origin, 0o755)
        if args.origin in ("file", "both"):
            rows += measure_origin("file", f"file://{origin}/{NAME}", f"file://{origin}", args, size, work)
        if args.origin in ("nginx", "both"):
            with servers.Nginx(origin, workers=1) as ngx:
                base = f"http://127.0.0.1:{ngx.port}{servers.STATIC_PREFIX}".rstrip("/")
                rows += measure_origin("nginx", f"{base}/{NAME}", base, args, size, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(report.text_table(HEADERS, rows))
    if args.markdown:
        when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        facts = [
            f"when: {when}; machine: {procstat.machine_description()}",
            f"{servers.version_of([args.binary, '--version'])}; {servers.version_of(['curl', '--version'])}; "
            f"{servers.version_of(['/usr/sbin/nginx', '-v'])} (origin)",
            f"a {args.size_mb} MiB file, origin in the page cache, {args.runs} runs per client alternated, medians",
        ]
        report.write_markdown(args.markdown, "Fill throughput vs curl", facts, HEADERS, rows,
                              "Target (issue 3): cache-tier at least 0.9x `curl -o`.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
