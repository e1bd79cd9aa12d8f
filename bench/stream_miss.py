#!/usr/bin/env python3
"""Serving a miss while it fills: many users ask for one file that is not
cached yet, behind a slow origin. Side by side, in one run, loopback only:

  origin  Debian's nginx serving a generated file with `limit_rate` (default
          5m: 5 MiB/s per connection), with its own access log
          ($body_bytes_sent, $request_time), from which origin GETs, origin
          bytes, the origin's first byte and its transfer time are read.
  A       cache-tier (fresh cache directory, default settings): N clients start
          within --spread seconds; each GETs /download/<name>, follows the 302
          (cache-tier's local path, or the origin if it sends them there),
          reads the whole body and hashes it (sha256).
  B       the same with `--stream-misses false` (clients follow the 302 to the origin).
  C       Debian's nginx as a caching reverse proxy (proxy_cache, proxy_cache_lock
          on, proxy_cache_lock_timeout left at its 5 s default) in front of the
          same origin; the clients GET through it.
  memory  --mem-clients (1000) clients on one filling file of --mem-size-mb (50);
          cache-tier's VmRSS sampled every 100 ms by a separate process, and VmHWM.
  ranges  a player: while a file fills, Range requests near the start, the
          middle and the end of cache-tier's local path, compared with the
          origin's bytes; /verify is asked meanwhile ("filling": true).

Times are wall-clock (time.time(), the clock nginx's $msec uses). The origin's
first byte of a case is the earliest origin request start in its access log
($msec - $request_time, millisecond resolution): nginx answers a local file at
once, so that is when its first byte leaves. Each client's first byte is
shown after its own start, after the origin's first byte (which includes the
--spread of the starts), and after the later of the two (the wait it alone
adds). Servers are pinned to core 0 and
the clients (this script's threads) to core 1 unless --no-pin.

    bench/stream_miss.py [BINARY] [--size-mb 200] [--clients 100] [--cases A,B,C,memory,ranges]
                         [--markdown FILE] [--quick]
"""

import contextlib
import datetime
import hashlib
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.dont_write_bytecode = True  # keep bench/lib free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import cli, files, procstat, report, servers  # noqa: E402

NAME = "Stream-Miss.bin"      # mixed case on purpose: cache-tier's local path is lower-case
MEM_NAME = "Stream-Miss-Memory.bin"
MEDIA = "/media/"             # the origin's (and the proxy's) path
CHUNK = 128 * 1024
USER_AGENT = "stream-miss-bench"
ALL_CASES = ("A", "B", "C", "memory", "ranges")


def parse_args():
    p = cli.parser(__doc__)
    p.add_argument("--size-mb", type=int, default=200, help="size of the file in MiB (default 200)")
    p.add_argument("--clients", type=int, default=100, help="clients in cases A, B, C (default 100)")
    p.add_argument("--spread", type=float, default=1.0, help="the clients start evenly within this many seconds (default 1)")
    p.add_argument("--rate", default="5m", help="the origin's nginx limit_rate per connection (default 5m = 5 MiB/s)")
    p.add_argument("--mem-clients", type=int, default=1000, help="clients in the memory case (default 1000)")
    p.add_argument("--mem-size-mb", type=int, default=50, help="file of the memory and ranges cases, MiB (default 50)")
    p.add_argument("--cases", default=",".join(ALL_CASES), help="which cases, e.g. A,ranges (default all)")
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                   help="cache-tier --threads (default: the core count, its own default)")
    cli.add_pinning(p)
    args = p.parse_args()
    if args.quick:
        args.size_mb, args.clients, args.mem_clients, args.mem_size_mb = 10, 20, 100, 10
    args.cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    for c in args.cases:
        if c not in ALL_CASES:
            p.error(f"unknown case {c!r}; known: {', '.join(ALL_CASES)}")
    return args


def rate_bytes(rate):
    units = {"k": 2**10, "m": 2**20, "g": 2**30}
    r = rate.strip().lower()
    return int(float(r[:-1]) * units[r[-1]]) if r[-1] in units else int(r)


# --- servers -----------------------------------------------------------------

def _nginx_common(w):
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""{user}worker_processes 1;
worker_rlimit_nofile 20000;
daemon off;
error_log {w}/server.log warn;
events {{ worker_connections 8192; }}
""", f"""    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 65;
    client_body_temp_path {w}/body;
    proxy_temp_path {w}/proxy;
    fastcgi_temp_path {w}/fastcgi;
    uwsgi_temp_path {w}/uwsgi;
    scgi_temp_path {w}/scgi;
"""


class _Nginx(servers.Nginx):
    """Stops fast (SIGTERM closes the connections), and never leaves a worker behind."""

    def stop(self, sig=signal.SIGTERM):
        if not self.process or self.process.poll() is not None:
            return
        kids = procstat.children(self.process.pid)
        self.process.send_signal(sig)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for pid in kids:  # only if still an nginx process (not a reused pid)
            with contextlib.suppress(OSError), open(f"/proc/{pid}/cmdline", "rb") as f:
                if b"nginx" in f.read():
                    os.kill(pid, signal.SIGKILL)

    @property
    def measured_pid(self):
        # With proxy_cache_path, the master also has a cache manager and loader: take the worker.
        for pid in procstat.children(self.process.pid):
            with contextlib.suppress(OSError), open(f"/proc/{pid}/cmdline", "rb") as f:
                if b"worker process" in f.read():
                    return pid
        raise RuntimeError("no nginx worker found")


class OriginNginx(_Nginx):
    """The slow origin: `limit_rate` per connection, an access log of every GET."""

    name = "nginx-origin"

    def __init__(self, root, rate, cpu=None):
        self.rate = rate
        super().__init__(root, workers=1, cpu=cpu)

    @property
    def access_log(self):
        return os.path.join(self.workdir, "access.log")

    def config(self):
        head, http = _nginx_common(self.workdir)
        return f"""{head}http {{
{http}    log_format bench '$msec $request_time $status $body_bytes_sent "$request" "$http_range" "$http_user_agent"';
    access_log {self.access_log} bench;
    server {{
        listen 127.0.0.1:{self.port} backlog=4096;
        location {MEDIA} {{ alias {self.root}/; limit_rate {self.rate}; }}
    }}
}}
"""

    def base_url(self):
        return f"http://127.0.0.1:{self.port}{MEDIA}".rstrip("/")


class ProxyNginx(_Nginx):
    """Debian's nginx as a caching reverse proxy with proxy_cache_lock on."""

    name = "nginx-proxy"

    def __init__(self, upstream_port, cpu=None):
        self.upstream_port = upstream_port
        super().__init__(tempfile.gettempdir(), workers=1, cpu=cpu)

    @property
    def access_log(self):
        return os.path.join(self.workdir, "access.log")

    def config(self):
        w = self.workdir
        head, http = _nginx_common(w)
        return f"""{head}http {{
{http}    log_format bench '$msec $request_time $status $body_bytes_sent "$request" cache=$upstream_cache_status upstream_time=$upstream_response_time';
    access_log {self.access_log} bench;
    proxy_cache_path {w}/cache levels=1:2 keys_zone=bench:10m max_size=20g inactive=1h use_temp_path=off;
    server {{
        listen 127.0.0.1:{self.port} backlog=4096;
        location {MEDIA} {{
            proxy_pass http://127.0.0.1:{self.upstream_port};
            proxy_cache bench;
            proxy_cache_valid 200 1h;
            proxy_cache_lock on;
            # proxy_cache_lock_timeout and proxy_cache_lock_age: their 5 s defaults
        }}
    }}
}}
"""


def read_log_from(path, offset):
    """Access log lines written after byte `offset`, split into fields."""
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            text = f.read().decode(errors="replace")
    except OSError:
        return []
    rows = []
    for line in text.splitlines():
        parts = line.split(" ", 4)
        if len(parts) < 5:
            continue
        msec, rtime, status, sent, rest = parts
        rows.append({"end": float(msec), "time": float(rtime), "start": float(msec) - float(rtime),
                     "status": int(status), "bytes": int(sent), "rest": rest})
    return rows


def log_size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


class RssSampler:
    """A separate process (no GIL shared with 1000 client threads) reading VmRSS
    of `pid` every `interval` s until stopped; returns the samples in kB."""

    CODE = r"""
import select, sys, time
pid, interval = int(sys.argv[1]), float(sys.argv[2])
out = []
while True:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    out.append(f"{time.time():.3f} {line.split()[1]}")
                    break
    except OSError:
        pass
    r, _, _ = select.select([sys.stdin], [], [], interval)
    if r and not sys.stdin.read(1):
        break
print("\n".join(out))
"""

    def __init__(self, pid, interval=0.1, cpu=None):
        self.process = subprocess.Popen(servers.taskset_prefix(cpu) + [sys.executable, "-c", self.CODE, str(pid), str(interval)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def stop(self):
        if self.process.poll() is None:
            out, _ = self.process.communicate(timeout=10)
        else:
            out = self.process.stdout.read()
        samples = []
        for line in out.splitlines():
            t, kb = line.split()
            samples.append((float(t), int(kb)))
        return samples


# --- clients -----------------------------------------------------------------

class Sockets:
    """Every client socket, so a case past its deadline can cut them all."""

    def __init__(self):
        self.lock = threading.Lock()
        self.open = set()
        self.aborted = False

    def add(self, s):
        with self.lock:
            if self.aborted:
                s.close()
                raise RuntimeError("aborted")
            self.open.add(s)

    def discard(self, s):
        with self.lock:
            self.open.discard(s)
        s.close()

    def abort(self):
        with self.lock:
            self.aborted = True
            for s in self.open:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


class Result:
    def __init__(self):
        self.start = self.first_byte = self.done = None
        self.hops = []          # (status, Location) of each redirect followed
        self.heads = []         # when each response head arrived (redirects, then the body's)
        self.sent = []          # when each request was sent
        self.final_url = None
        self.status = None
        self.headers = {}
        self.length = 0
        self.sha256 = None
        self.body = None
        self.error = None


def _request(url, extra_headers, timeout, sockets, result):
    parts = urllib.parse.urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port or 80), timeout=timeout)
    try:
        sockets.add(sock)
    except RuntimeError:
        raise
    path = parts.path + ("?" + parts.query if parts.query else "")
    lines = [f"GET {path} HTTP/1.1", f"Host: {parts.netloc}", f"User-Agent: {USER_AGENT}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in extra_headers.items()]
    result.sent.append(time.time())
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            sockets.discard(sock)
            raise RuntimeError(f"connection closed before the response head ({url})")
        buf += chunk
        if len(buf) > 65536:
            sockets.discard(sock)
            raise RuntimeError("response head too large")
    t_head = time.time()
    result.heads.append(t_head)
    head, rest = buf.split(b"\r\n\r\n", 1)
    head_lines = head.decode("latin-1").split("\r\n")
    status = int(head_lines[0].split()[1])
    headers = {}
    for line in head_lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return sock, status, headers, rest, t_head


def http_get(url, result, sockets, range_=None, keep=False, timeout=60.0, follow=5):
    """GET `url`, following redirects; fills `result` (never raises)."""
    extra = {"Range": range_} if range_ else {}
    result.start = time.time() if result.start is None else result.start
    try:
        for _ in range(follow + 1):
            sock, status, headers, rest, t_head = _request(url, extra, timeout, sockets, result)
            if status in (301, 302, 303, 307, 308) and "location" in headers:
                sockets.discard(sock)
                result.hops.append((status, headers["location"]))
                url = urllib.parse.urljoin(url, headers["location"])
                continue
            break
        else:
            raise RuntimeError("too many redirects")
        result.final_url, result.status, result.headers = url, status, headers
        try:
            if status not in (200, 206):
                raise RuntimeError(f"HTTP {status} from {url}")
            if "chunked" in headers.get("transfer-encoding", "").lower():
                raise RuntimeError("chunked body (not expected here)")
            length = int(headers["content-length"]) if "content-length" in headers else None
            h = hashlib.sha256()
            kept = bytearray() if keep else None
            received = 0
            if rest:
                result.first_byte = t_head
                h.update(rest)
                received = len(rest)
                if keep:
                    kept += rest
            buf = bytearray(CHUNK)
            mv = memoryview(buf)
            while length is None or received < length:
                want = CHUNK if length is None else min(CHUNK, length - received)
                n = sock.recv_into(mv, want)
                if n == 0:
                    break
                if result.first_byte is None:
                    result.first_byte = time.time()
                h.update(mv[:n])
                if keep:
                    kept += mv[:n]
                received += n
            result.done = time.time()
            result.length = received
            result.sha256 = h.hexdigest()
            result.body = bytes(kept) if keep else None
            if length is not None and received < length:
                raise RuntimeError(f"body ended after {received} of {length} bytes")
        finally:
            sockets.discard(sock)
    except Exception as e:  # noqa: BLE001 -- every failure is a figure of the benchmark
        result.error = f"{type(e).__name__}: {e}"
        if result.done is None:
            result.done = time.time()
    return result


def run_clients(n, spread, url, deadline_s, keep=False):
    """n clients, client i starting at t0 + spread * i / n; returns (t0, results, aborted)."""
    sockets = Sockets()
    results = [Result() for _ in range(n)]
    t0 = time.time() + 0.3  # leave the threads time to be created

    def client(i):
        delay = t0 + spread * i / n - time.time()
        if delay > 0:
            time.sleep(delay)
        http_get(url, results[i], sockets, keep=keep)

    threading.stack_size(256 * 1024)
    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    end = t0 + spread + deadline_s
    for t in threads:
        t.join(max(0.0, end - time.time()))
    aborted = any(t.is_alive() for t in threads)
    if aborted:
        sockets.abort()
        for t in threads:
            t.join(30)
    return t0, results, aborted


# --- figures -----------------------------------------------------------------

def pct(values, p):
    v = sorted(values)
    if not v:
        return float("nan")
    return v[min(len(v) - 1, max(0, round(p / 100 * (len(v) - 1))))]


def ms(x):
    return f"{x * 1000:.0f} ms"


def spread_ms(values):
    """min / median / p95 / max in milliseconds."""
    if not values:
        return "n/a"
    return " / ".join(f"{pct(values, p) * 1000:.0f}" for p in (0, 50, 95, 100)) + " ms"


def client_figures(results, expected_sha, origin_rows, size, server_ports):
    """The figures common to cases A, B and C."""
    ok = [r for r in results if r.error is None and r.sha256 == expected_sha and r.length == size]
    errors = [r.error for r in results if r.error]
    gets = [r for r in origin_rows if r["rest"].startswith('"GET ')]
    origin_bytes = sum(r["bytes"] for r in gets)
    origin_first = min((r["start"] for r in gets), default=float("nan"))
    where = {}
    for r in results:
        if r.final_url is None:
            k = "none"
        else:
            port = urllib.parse.urlsplit(r.final_url).port
            k = server_ports.get(port, f"port {port}")
        where[k] = where.get(k, 0) + 1
    with_first = [r for r in results if r.first_byte is not None]
    ttfb = [r.first_byte - r.start for r in with_first]
    after_origin = [r.first_byte - origin_first for r in with_first]
    beyond = [r.first_byte - max(r.start, origin_first) for r in with_first]
    done = [r.done for r in results if r.error is None and r.done is not None]
    last_done = max(done) if done else float("nan")
    return {
        "clients": len(results), "ok": len(ok), "errors": errors, "where": where,
        "origin_gets": len(gets), "origin_bytes": origin_bytes, "origin_ratio": origin_bytes / size,
        "origin_first": origin_first, "origin_times": sorted(r["time"] for r in gets),
        "ttfb": ttfb, "after_origin": after_origin, "beyond": beyond,
        "redirect": [r.heads[0] - r.start for r in results if r.hops and r.heads],
        "final_wait": [r.first_byte - r.sent[-1] for r in with_first if r.sent],
        "first_client_start": min(r.start for r in results),
        "last_done": last_done,
    }


def common_rows(f, transfer, transfer_label):
    last = f["last_done"] - f["origin_first"]
    return [
        ["clients whose body had the right sha256", f"{f['ok']} / {f['clients']}"],
        ["where the clients were served from", ", ".join(f"{k}: {v}" for k, v in sorted(f["where"].items()))],
        ["origin GETs", f"{f['origin_gets']}"],
        ["origin bytes ($body_bytes_sent)", f"{f['origin_bytes']} ({f['origin_ratio']:.2f}x the file)"],
        ["first byte after the client's own start (min / median / p95 / max)", spread_ms(f["ttfb"])],
        ["of which: the 302 after the client's start (min / median / p95 / max)", spread_ms(f["redirect"])],
        ["of which: first byte after the GET that got the body was sent", spread_ms(f["final_wait"])],
        ["first byte after the origin's first byte (min / median / p95 / max)", spread_ms(f["after_origin"])],
        ["first byte after max(client start, origin's first byte) (min / median / p95 / max)", spread_ms(f["beyond"])],
        ["origin's first byte after the first client's start", ms(f["origin_first"] - f["first_client_start"])],
        [transfer_label, f"{transfer:.2f} s"],
        ["last client done after the origin's first byte", f"{last:.2f} s ({last / transfer:.3f}x the transfer)"],
        ["client errors", f"{len(f['errors'])}" + (f" (first: {f['errors'][0]})" if f["errors"] else "")],
    ]


def print_table(title, rows):
    print(f"\n{title}", flush=True)
    print(report.text_table(["figure", "value"], rows), flush=True)


# --- cases -------------------------------------------------------------------

class Bench:
    def __init__(self, args, stack, work):
        self.args, self.stack, self.work = args, stack, work
        self.pin = not args.no_pin and (os.cpu_count() or 1) >= 2
        self.server_cpu = 0 if self.pin else None
        self.client_cpu = 1 if self.pin else None
        self.size = args.size_mb * 2**20
        self.mem_size = args.mem_size_mb * 2**20
        self.rate = rate_bytes(args.rate)
        self.sections = []   # (title, rows, notes) for the markdown file
        self.targets = []    # (target, figure, met)
        origin_dir = os.path.join(work, "origin")
        os.makedirs(origin_dir)
        os.chmod(work, 0o755)
        os.chmod(origin_dir, 0o755)
        self.shas = {}
        for name, size in ((NAME, self.size), (MEM_NAME, self.mem_size)):
            path = os.path.join(origin_dir, name)
            files.make_random_file(path, size)
            h = hashlib.sha256()
            with open(path, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
            self.shas[name] = h.hexdigest()
        self.origin_dir = origin_dir
        self.origin = stack.enter_context(OriginNginx(origin_dir, args.rate, cpu=self.server_cpu))
        print(f"origin nginx on port {self.origin.port}, limit_rate {args.rate}; "
              f"{args.size_mb} MiB and {args.mem_size_mb} MiB files", file=sys.stderr, flush=True)

    def deadline(self, size):
        return 2 * size / self.rate + 60

    def cache_tier(self, extra=()):
        cache_dir = tempfile.mkdtemp(dir=self.work, prefix="cache-")
        return servers.CacheTier(self.args.binary, cache_dir, threads=self.args.threads, cpu=self.server_cpu,
                                 extra_args=["--origin", self.origin.base_url(), *extra]), cache_dir

    def record(self, title, rows, notes=""):
        self.sections.append((title, rows, notes))
        print_table(title, rows)

    def case_cache_tier(self, label, stream):
        a = self.args
        extra = [] if stream else ["--stream-misses", "false"]
        ct, cache_dir = self.cache_tier(extra)
        with ct:
            ports = {ct.port: "cache-tier", self.origin.port: "origin"}
            offset = log_size(self.origin.access_log)
            sampler = RssSampler(ct.measured_pid, cpu=self.client_cpu)
            verify_seen = {}
            stop = threading.Event()

            def poll_verify():  # what /verify says while the fill runs
                while not stop.wait(0.5):
                    with contextlib.suppress(Exception):
                        v = json.loads(servers.fetch(f"http://127.0.0.1:{ct.port}/verify/{NAME}", timeout=5))
                        key = f"available={v.get('available')}, filling={v.get('filling', False)}"
                        verify_seen[key] = verify_seen.get(key, 0) + 1

            print(f"case {label}: {a.clients} clients -> cache-tier /download"
                  f"{'' if stream else ' (--stream-misses false)'}", file=sys.stderr, flush=True)
            poller = threading.Thread(target=poll_verify, daemon=True)
            poller.start()
            _, results, aborted = run_clients(a.clients, a.spread, f"http://127.0.0.1:{ct.port}/download/{NAME}",
                                              self.deadline(self.size))
            stop.set()
            poller.join(10)
            rss = sampler.stop()
            hwm = ct.peak_rss_kb()
            time.sleep(0.5)  # let nginx write its last log lines
            origin_rows = read_log_from(self.origin.access_log, offset)
            cached = os.path.join(cache_dir, NAME.lower())
            cached_ok = os.path.exists(cached) and sha256_file(cached) == self.shas[NAME]
        f = client_figures(results, self.shas[NAME], origin_rows, self.size, ports)
        # Origin transfer time: the fill's GET (A: the only one; B: the median of all).
        times = f["origin_times"]
        transfer = pct(times, 50) if times else float("nan")
        rows = common_rows(f, transfer, "origin transfer time ($request_time" + (")" if len(times) == 1 else ", median)"))
        rows += [
            ["/verify during the fill (polls)", "; ".join(f"{k}: {v}" for k, v in sorted(verify_seen.items())) or "none"],
            ["cache-tier peak VmRSS sampled every 100 ms / VmHWM",
             f"{max((kb for _, kb in rss), default=0) / 1024:.1f} MiB / {hwm / 1024:.1f} MiB ({len(rss)} samples)"],
            ["cached copy afterwards has the right sha256", "yes" if cached_ok else "no"],
        ]
        if aborted:
            rows.append(["ABORTED", f"clients still running after the deadline were cut"])
        self.record(f"Case {label}: cache-tier{'' if stream else ' --stream-misses false'}, "
                    f"{a.clients} clients, {a.size_mb} MiB", rows)
        return f, transfer

    def case_proxy(self):
        a = self.args
        with ProxyNginx(self.origin.port, cpu=self.server_cpu) as proxy:
            ports = {proxy.port: "nginx proxy", self.origin.port: "origin"}
            offset = log_size(self.origin.access_log)
            worker = proxy.measured_pid
            sampler = RssSampler(worker, cpu=self.client_cpu)
            print(f"case C: {a.clients} clients -> nginx proxy_cache", file=sys.stderr, flush=True)
            _, results, aborted = run_clients(a.clients, a.spread, f"http://127.0.0.1:{proxy.port}{MEDIA}{NAME}",
                                              self.deadline(self.size) + 10)
            rss = sampler.stop()
            time.sleep(0.5)
            origin_rows = read_log_from(self.origin.access_log, offset)
            proxy_rows = read_log_from(proxy.access_log, 0)
        f = client_figures(results, self.shas[NAME], origin_rows, self.size, ports)
        times = f["origin_times"]
        transfer = times[0] if times else float("nan")
        # The cache-filling GET is the first; its time is the transfer time of one fetch.
        first = min((r for r in origin_rows if r["rest"].startswith('"GET ')), key=lambda r: r["start"], default=None)
        if first:
            transfer = first["time"]
        statuses = {}
        for r in proxy_rows:
            k = r["rest"].split("cache=")[1].split()[0] if "cache=" in r["rest"] else "?"
            statuses[k] = statuses.get(k, 0) + 1
        rows = common_rows(f, transfer, "origin transfer time (the first origin GET's $request_time)")
        ttfb = sorted(f["ttfb"])
        rows += [
            ["clients with a first byte later than 1 s after their start", f"{sum(1 for t in ttfb if t > 1)}"],
            ["proxy's $upstream_cache_status", ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()))],
            ["nginx proxy worker's peak VmRSS sampled every 100 ms", f"{max((kb for _, kb in rss), default=0) / 1024:.1f} MiB"],
        ]
        if aborted:
            rows.append(["ABORTED", "clients still running after the deadline were cut"])
        self.record(f"Case C: nginx proxy_cache + proxy_cache_lock, {a.clients} clients, {a.size_mb} MiB", rows)
        return f, transfer

    def case_memory(self):
        a = self.args
        ct, _ = self.cache_tier()
        with ct:
            offset = log_size(self.origin.access_log)
            time.sleep(0.3)
            idle_kb = procstat.status_kb(ct.measured_pid, "VmRSS")
            sampler = RssSampler(ct.measured_pid, cpu=self.client_cpu)
            print(f"memory: {a.mem_clients} clients -> cache-tier /download, {a.mem_size_mb} MiB",
                  file=sys.stderr, flush=True)
            _, results, aborted = run_clients(a.mem_clients, a.spread, f"http://127.0.0.1:{ct.port}/download/{MEM_NAME}",
                                              self.deadline(self.mem_size) + 60)
            rss = sampler.stop()
            hwm = ct.peak_rss_kb()
            time.sleep(0.5)
            origin_rows = read_log_from(self.origin.access_log, offset)
            ports = {ct.port: "cache-tier", self.origin.port: "origin"}
        f = client_figures(results, self.shas[MEM_NAME], origin_rows, self.mem_size, ports)
        peak = max((kb for _, kb in rss), default=0)
        gaps = [b[0] - a_[0] for a_, b in zip(rss, rss[1:])]
        transfer = pct(f["origin_times"], 50) if f["origin_times"] else float("nan")
        during = [kb for t, kb in rss if f["origin_first"] <= t <= f["origin_first"] + transfer]
        rows = [
            ["clients whose body had the right sha256", f"{f['ok']} / {f['clients']}"],
            ["where the clients were served from", ", ".join(f"{k}: {v}" for k, v in sorted(f["where"].items()))],
            ["origin GETs / origin bytes", f"{f['origin_gets']} / {f['origin_bytes']} ({f['origin_ratio']:.2f}x the file)"],
            ["cache-tier VmRSS before the clients", f"{idle_kb / 1024:.1f} MiB"],
            ["peak VmRSS sampled every 100 ms (whole case / while the origin sent)",
             f"{peak / 1024:.1f} MiB / {max(during, default=0) / 1024:.1f} MiB"],
            ["samples, largest gap between two", f"{len(rss)}, {max(gaps, default=0) * 1000:.0f} ms"],
            ["VmHWM at the end (kernel's peak since start)", f"{hwm / 1024:.1f} MiB"],
            ["origin transfer time", f"{transfer:.2f} s"],
            ["last client done after the origin's first byte", f"{f['last_done'] - f['origin_first']:.2f} s"],
            ["client errors", f"{len(f['errors'])}" + (f" (first: {f['errors'][0]})" if f["errors"] else "")],
        ]
        if aborted:
            rows.append(["ABORTED", "clients still running after the deadline were cut"])
        self.record(f"Memory: {a.mem_clients} clients on one filling {a.mem_size_mb} MiB file", rows)
        return f, peak, hwm

    def case_ranges(self):
        """A player: ask for the local path, then seek (start, middle, end) while the file fills."""
        size = self.mem_size
        with open(os.path.join(self.origin_dir, MEM_NAME), "rb") as fh:
            origin_bytes = fh.read()
        ct, _ = self.cache_tier()
        with ct:
            offset = log_size(self.origin.access_log)
            sockets = Sockets()
            first = http_get(f"http://127.0.0.1:{ct.port}/download/{MEM_NAME}", Result(), sockets, follow=0)
            location = first.hops[0][1] if first.hops else f"(HTTP {first.status}, {first.error})"
            local = urllib.parse.urljoin(f"http://127.0.0.1:{ct.port}/", location)
            verify = json.loads(servers.fetch(f"http://127.0.0.1:{ct.port}/verify/{MEM_NAME}", timeout=5))
            mid = size // 2
            ranges = [("start", "bytes=0-1023", 0, 1024),
                      ("1 MiB in", f"bytes={2**20}-{2**20 + 65535}", 2**20, 65536),
                      ("middle", f"bytes={mid}-{mid + 65535}", mid, 65536),
                      ("end (suffix)", "bytes=-65536", size - 65536, 65536),
                      ("end (open-ended)", f"bytes={size - 1000}-", size - 1000, 1000)]
            results = [Result() for _ in ranges]
            threads = [threading.Thread(target=http_get, args=(local, results[i], sockets),
                                        kwargs={"range_": r[1], "keep": True, "timeout": self.deadline(size)},
                                        daemon=True) for i, r in enumerate(ranges)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(self.deadline(size))
            if any(t.is_alive() for t in threads):
                sockets.abort()
            time.sleep(0.5)
            origin_rows = read_log_from(self.origin.access_log, offset)
        gets = [r for r in origin_rows if r["rest"].startswith('"GET ')]
        o_first = min((r["start"] for r in gets), default=float("nan"))
        o_time = gets[0]["time"] if gets else float("nan")
        rows = [["/download/<name> answered", f"{first.status if not first.hops else first.hops[0][0]} -> {location}"],
                ["/verify just after", json.dumps(verify)],
                ["origin GETs / bytes", f"{len(gets)} / {sum(r['bytes'] for r in gets)}; transfer {o_time:.2f} s"]]
        all_ok = True
        for (label, rng, start, length), r in zip(ranges, results):
            good = (r.error is None and r.status == 206 and r.body == origin_bytes[start:start + length]
                    and r.headers.get("content-range") == f"bytes {start}-{start + length - 1}/{size}")
            all_ok &= good
            done = f"{r.done - o_first:.2f} s after the origin's first byte" if r.done else "-"
            rows.append([f"{label}: {rng}",
                         f"{r.status} {r.headers.get('content-range', '')}, bytes {'match' if good else 'DIFFER'}"
                         f", done {done}" + (f", error {r.error}" if r.error else "")])
        self.record(f"Ranges while a {self.args.mem_size_mb} MiB file fills (player-like seeks)", rows)
        return all_ok


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def met(ok):
    return "met" if ok else "NOT met"


def main():
    args = parse_args()
    if not os.access(args.binary, os.X_OK):  # before any server's temporary folder is made
        sys.exit(f"{args.binary} is not an executable (build it first, or pass its path)")
    # Stop the servers (the with-blocks below) on SIGTERM/SIGHUP too, not only on Ctrl-C.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda s, _f: sys.exit(128 + s))
    nofile = raise_nofile()
    need = max(args.clients, args.mem_clients) * 2 + 100
    if nofile < need:
        print(f"warning: RLIMIT_NOFILE is {nofile}, {need} wanted", file=sys.stderr)
    work = tempfile.mkdtemp(prefix="bench-stream-miss-")
    t_begin = time.time()
    load_start = os.getloadavg()[0]
    with contextlib.ExitStack() as stack:
        stack.callback(lambda: subprocess.run(["rm", "-rf", work]))
        bench = Bench(args, stack, work)
        if bench.pin:
            os.sched_setaffinity(0, {1})  # the clients; the servers were started on core 0
        results = {}
        if "A" in args.cases:
            results["A"] = bench.case_cache_tier("A", stream=True)
        if "B" in args.cases:
            results["B"] = bench.case_cache_tier("B", stream=False)
        if "C" in args.cases:
            results["C"] = bench.case_proxy()
        if "memory" in args.cases:
            results["memory"] = bench.case_memory()
        if "ranges" in args.cases:
            results["ranges"] = bench.case_ranges()
    elapsed = time.time() - t_begin

    targets = []
    if "A" in results:
        f, transfer = results["A"]
        targets += [
            ["origin GETs exactly 1 (A)", f"{f['origin_gets']}", met(f["origin_gets"] == 1)],
            ["origin bytes 1.00x the file (A)", f"{f['origin_ratio']:.3f}x", met(round(f["origin_ratio"], 2) == 1.00)],
            ["every client's sha256 matches (A)", f"{f['ok']} / {f['clients']}", met(f["ok"] == f["clients"])],
            ["each client's first byte <= origin's first byte + 50 ms (A)",
             f"max {max(f['after_origin'], default=float('nan')) * 1000:.0f} ms after; "
             f"{sum(1 for x in f['after_origin'] if x <= 0.05)} / {f['clients']} within",
             met(f["after_origin"] and max(f["after_origin"]) <= 0.05 and len(f["after_origin"]) == f["clients"])],
            ["each client's first byte <= max(its start, origin's first byte) + 50 ms (A)",
             f"max {max(f['beyond'], default=float('nan')) * 1000:.0f} ms",
             met(f["beyond"] and max(f["beyond"]) <= 0.05 and len(f["beyond"]) == f["clients"])],
            ["last client done <= 1.1x the origin transfer time (A)",
             f"{(f['last_done'] - f['origin_first']) / transfer:.3f}x",
             met((f["last_done"] - f["origin_first"]) / transfer <= 1.1)],
        ]
    if "memory" in results:
        f, peak, hwm = results["memory"]
        targets.append([f"RSS < 100 MB with {args.mem_clients} clients", f"sampled peak {peak / 1024:.1f} MiB, VmHWM {hwm / 1024:.1f} MiB",
                        met(max(peak, hwm) * 1024 < 100e6)])
        targets.append([f"every client's sha256 matches (memory, {args.mem_clients} clients)",
                        f"{f['ok']} / {f['clients']}", met(f["ok"] == f["clients"])])
    if "ranges" in results:
        targets.append(["ranges while filling equal the origin's bytes", "all" if results["ranges"] else "not all",
                        met(results["ranges"])])
    print("\nTargets")
    print(report.text_table(["target", "measured", "result"], targets))
    print(f"\nwhole run: {elapsed:.0f} s; load average before it {load_start:.1f}", flush=True)

    if args.markdown:
        when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        with open(args.markdown, "w") as out:
            day = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
            out.write(f"## Serving a miss while it fills ({day})\n\n")
            out.write(f"- when: {when}; machine: {procstat.machine_description()}\n")
            out.write(f"- {servers.version_of([args.binary, '--version'])} (`--threads {args.threads}`, fresh cache "
                      f"directory per case); {servers.version_of(['/usr/sbin/nginx', '-v'])}\n")
            out.write(f"- origin: nginx, `limit_rate {args.rate}` per connection; {args.size_mb} MiB file, "
                      f"{args.clients} clients started evenly within {args.spread:g} s; memory case: "
                      f"{args.mem_clients} clients, {args.mem_size_mb} MiB; "
                      + ("servers pinned to core 0, clients to core 1" if bench.pin else "no CPU pinning") + "\n")
            out.write(f"- whole run: {elapsed:.0f} s; load average (1 min) before it {load_start:.1f} "
                      "(later readings count this script's own client threads)\n")
            for title, rows, notes in bench.sections:
                out.write(f"\n### {title}\n\n" + report.markdown_table(["figure", "value"], rows) + "\n")
                if notes:
                    out.write("\n" + notes + "\n")
            out.write("\n### Targets\n\n" + report.markdown_table(["target", "measured", "result"], targets) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
