#!/usr/bin/env python3
"""HTTPS: `cache-tier serve --tls-listen --threads 1` against Debian's nginx
(one worker) serving the same directory over TLS with the same certificate,
key, protocols and ciphers (Mozilla "intermediate"), on loopback.

Cases: 4 KB and 1 MB files over keep-alive connections (h2load --h1), new
connections each making one request with the TLS session resumed as returning
clients do (h2load --h1 -H 'Connection: close'), full handshakes (openssl
s_time -new: no session reused), and a 100 MB file (CPU per MiB). The servers
alternate round by round; medians and ratios cache-tier / nginx are printed.
Servers are pinned to core 0, the load generator to core 1. Builds nothing.

    bench/tls_vs_nginx.py [BINARY] [--markdown FILE] [--quick] [--nginx-only] [--key rsa]
"""

import datetime
import os
import shutil
import ssl
import sys
import tempfile
import urllib.request

sys.dont_write_bytecode = True  # keep bench/lib free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import cli, compare, files, h2load, procstat, report, servers, tls  # noqa: E402
from lib.measure import measure_with  # noqa: E402

# New connections per second of run length in the resumed case, about what
# one core serves: h2load is given a request count there, not a duration.
RESUMED_PER_SECOND = 4000
FILES = {"4k": ("file-4k.bin", 4 * 1024), "1m": ("file-1m.bin", 2**20), "100m": ("file-100m.bin", 100 * 2**20)}


class Case:
    """One row group: a file, a load and its settings."""

    def __init__(self, key, label, file_key, load, clients, rounds, duration):
        self.key, self.label, self.file_key, self.load = key, label, file_key, load
        self.clients, self.rounds, self.duration = clients, rounds, duration


def parse_args():
    p = cli.parser(__doc__)
    p.add_argument("--key", choices=sorted(tls.KEY_TYPES), default="ecdsa",
                   help="certificate key: ecdsa (P-256, default) or rsa (2048)")
    p.add_argument("--nginx-only", action="store_true", help="measure nginx alone (a cache-tier without TLS)")
    p.add_argument("--rounds", type=int, default=5, help="runs per server and case (default 5; 100 MB: 3)")
    p.add_argument("--duration", type=int, default=5, help="seconds per run (default 5; 100 MB: 10)")
    p.add_argument("--cases", default="4k,1m,resumed,full,100m", help="which cases (default all five)")
    cli.add_pinning(p)
    args = p.parse_args()
    if args.quick:
        args.rounds, args.duration = 1, 1
    return args


def cases(args):
    big_rounds = min(args.rounds, 3)
    every = [
        Case("4k", "4 KB keep-alive", "4k", "h2load", 50, args.rounds, args.duration),
        Case("1m", "1 MB keep-alive", "1m", "h2load", 8, args.rounds, args.duration),
        Case("resumed", "new conn, resumed", "4k", "h2load-close", 50, args.rounds, args.duration),
        Case("full", "full handshake", "4k", "s_time", 1, args.rounds, args.duration),
        Case("100m", "100 MB", "100m", "h2load", 4, big_rounds, args.duration * 2),
    ]
    wanted = args.cases.split(",")
    unknown = set(wanted) - {c.key for c in every}
    if unknown:
        sys.exit(f"tls_vs_nginx: unknown case(s) {', '.join(sorted(unknown))}; "
                 f"known: {', '.join(c.key for c in every)}")
    return [c for c in every if c.key in wanted]


def check_same_bytes(targets, root, cert, names):
    """Both servers must serve each file's exact bytes over TLS (verified with
    the certificate), or the comparison means nothing."""
    context = ssl.create_default_context(cafile=cert)
    for name in names:
        with open(os.path.join(root, name), "rb") as f:
            expected = f.read()
        for server in targets:
            with urllib.request.urlopen(server.url(name), timeout=60, context=context) as answer:
                if answer.read() != expected:
                    raise RuntimeError(f"{server.name} does not serve the bytes of {name} over TLS")


def runner(case, negotiated, load_cpu):
    """run(target, seconds) -> Sample for compare.alternate; notes what TLS each target negotiated."""
    def run(target, seconds):
        def load():
            if case.load == "s_time":
                path = target.url.split(str(target.server.port), 1)[1]
                return h2load.run_s_time(f"127.0.0.1:{target.server.port}", path, seconds, cpu=load_cpu)
            if case.load == "h2load-close":  # a request count: see run_h2load
                return h2load.run_h2load(target.url, case.clients, requests=RESUMED_PER_SECOND * seconds,
                                         cpu=load_cpu, headers=["Connection: close"])
            return h2load.run_h2load(target.url, case.clients, duration=seconds, cpu=load_cpu)

        def load_and_note():
            result = load()
            negotiated.setdefault(target.name, set()).add(result.tls)
            return result
        return measure_with(target.server, load_and_note)
    return run


def load_command(case):
    """The load of a case as a command line, for the report."""
    if case.load == "s_time":
        return f"openssl s_time -new -time {case.duration}, one connection at a time"
    if case.load == "h2load-close":
        return f"h2load --h1 -t1 -c{case.clients} -H 'Connection: close' -n{RESUMED_PER_SECOND * case.duration}"
    return f"h2load --h1 -t1 -c{case.clients} -D{case.duration}"


def run(args):
    chosen = cases(args)
    pin = not args.no_pin and (os.cpu_count() or 1) >= 2
    server_cpu, load_cpu = (0, 1) if pin else (None, None)
    root = tempfile.mkdtemp(prefix="bench-files-")
    certs = tempfile.mkdtemp(prefix="bench-cert-")
    rows, negotiated = [], {}
    try:
        names = sorted({FILES[c.file_key][0] for c in chosen})
        for key in {c.file_key for c in chosen}:
            files.make_random_file(os.path.join(root, FILES[key][0]), FILES[key][1])
        os.chmod(root, 0o755)  # nginx's worker may run as another user
        cert, key = tls.make_certificate(certs, args.key)
        with tls.TlsNginx(root, cert, key, workers=1, cpu=server_cpu) as ngx:
            running = [ngx]
            ct = None
            if not args.nginx_only:
                ct = tls.TlsCacheTier(args.binary, root, cert, key, threads=1, cpu=server_cpu)
                running.insert(0, ct)
            try:
                check_same_bytes(running, root, cert, names)
                for case in chosen:
                    name = FILES[case.file_key][0]
                    targets = [compare.Target(s.name, s, s.url(name)) for s in running]
                    samples = compare.alternate(targets, rounds=case.rounds, duration=case.duration,
                                                connections=case.clients, label=case.label,
                                                run=runner(case, negotiated.setdefault(case.label, {}), load_cpu))
                    rows += compare.rows_for(case.label, targets, samples, baseline="nginx")
            finally:
                if ct:
                    ct.__exit__(None, None, None)
            ct_version = "" if args.nginx_only else servers.version_of([args.binary, "--version"])
            versions = {
                "cache-tier": "" if args.nginx_only else
                (ct_version if ct_version.startswith("cache-tier") else f"cache-tier {ct_version}"),
                "nginx": servers.version_of(["/usr/sbin/nginx", "-v"]),
                "h2load": servers.version_of(["h2load", "--version"]),
                "openssl": servers.version_of(["openssl", "version"]),
            }
    finally:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(certs, ignore_errors=True)
    return rows, versions, pin, chosen, negotiated


def main():
    args = parse_args()
    try:
        rows, versions, pin, chosen, negotiated = run(args)
    except RuntimeError as e:
        print(f"tls_vs_nginx: {e}", file=sys.stderr)
        return 2
    print(report.text_table(compare.HEADERS, rows))
    tls_seen = "; ".join(f"{label}: " + ", ".join(f"{n} {'/'.join(sorted(v))}" for n, v in per.items())
                         for label, per in negotiated.items())
    print("negotiated: " + tls_seen, file=sys.stderr)
    if args.markdown:
        when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        loads = "; ".join(f"{c.label}: {load_command(c)}, {c.rounds} rounds" for c in chosen)
        servers_line = (f"{versions['cache-tier']} (`serve --tls-listen --threads 1`); " if versions["cache-tier"] else
                        "nginx alone (cache-tier without --tls-listen); ")
        facts = [
            f"when: {when}; machine: {procstat.machine_description()}",
            servers_line + f"{versions['nginx']} (1 worker, sendfile, open_file_cache, access_log off, "
            "ssl_session_cache shared:SSL:10m, session tickets on by default); "
            f"{versions['h2load']}; {versions['openssl']}",
            f"certificate: {tls.KEY_TYPES[args.key][1]}, self-signed, the same file for both; "
            f"protocols {tls.PROTOCOLS}, Mozilla intermediate ciphers; negotiated: " + tls_seen,
            f"load: {loads}; servers alternated each round, medians shown; "
            + ("servers pinned to core 0, the load generator to core 1" if pin else "no CPU pinning"),
            "CPU us/req: the server's utime+stime (/proc/PID/stat; nginx: its worker) per completed request "
            "(new conn and full handshake rows: per connection); CPU us/MiB: the same per MiB read",
        ]
        report.write_markdown(args.markdown, "HTTPS: cache-tier vs nginx", facts, compare.HEADERS, rows,
                              "Ratios are cache-tier / nginx; the targets are req/s >= 1.0x and CPU/req <= 1.0x "
                              "(100 MB: CPU/MiB <= 1.0x).")
        print(f"markdown written to {args.markdown}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
