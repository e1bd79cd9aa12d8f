"""Run h2load (nghttp2's load generator) over HTTP/1.1, and `openssl s_time`,
and read their reports: the loads of the TLS benchmark."""

import re
import shutil
import subprocess
import time
from dataclasses import dataclass

from . import servers


@dataclass
class LoadResult:
    requests: int          # completed requests (h2load: succeeded; s_time: connections)
    seconds: float
    bytes_read: float      # headers and bodies
    requests_per_second: float
    bytes_per_second: float
    errors: int            # failed, errored or timed out requests, non-2xx answers
    tls: str               # protocol and cipher the client negotiated, e.g. "TLSv1.3 TLS_AES_128_GCM_SHA256"
    text: str              # the tool's own output, for the record


def _pinned(cmd, cpu):
    return servers.taskset_prefix(cpu) + cmd


def parse_h2load(text):
    """h2load 1.x prints "finished in 5.00s, 1234.56 req/s, 12.34MB/s",
    "requests: N total, N started, N done, N succeeded, N failed, N errored, N timeout",
    "status codes: N 2xx, N 3xx, N 4xx, N 5xx" and "traffic: 1.23MB (1289748) total, ..."."""
    done = re.search(r"finished in ([\d.]+)(us|ms|s), ([\d.]+) req/s", text)
    reqs = re.search(r"requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, "
                     r"(\d+) errored, (\d+) timeout", text)
    traffic = re.search(r"traffic: [\d.]+[KMGT]?B \((\d+)\) total, [\d.]+[KMGT]?B \((\d+)\) headers.*?, "
                        r"[\d.]+[KMGT]?B \((\d+)\) data", text)
    codes = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text)
    if not (done and reqs and traffic and codes):
        raise ValueError("h2load output not understood:\n" + text)
    seconds = float(done.group(1)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0}[done.group(2)]
    succeeded = int(reqs.group(1))
    errors = sum(int(g) for g in reqs.groups()[1:]) + int(codes.group(3)) + int(codes.group(4))
    # After a reconnection (Connection: close) h2load 1.52 reports a total of 0: add the parts up.
    bytes_read = float(max(int(traffic.group(1)), int(traffic.group(2)) + int(traffic.group(3))))
    return LoadResult(succeeded, seconds, bytes_read, float(done.group(3)), bytes_read / seconds if seconds else 0.0,
                      errors, _negotiated(text, r"TLS Protocol: (\S+)", r"Cipher: (\S+)"), text)


def _negotiated(text, *patterns):
    found = [re.search(p, text) for p in patterns]
    return " ".join(m.group(1) for m in found if m) or "no TLS"


def run_h2load(url, clients, duration=None, requests=None, cpu=None, headers=(), timeout_s=60):
    """h2load --h1 with `clients` connections for `duration` seconds or for
    `requests` requests in all; one thread, pinned to `cpu`. (h2load 1.52's
    timed mode never ends when the server closes connections: give `requests`
    with "Connection: close".)"""
    h2load = shutil.which("h2load")
    if not h2load:
        raise RuntimeError("h2load not found (Debian package nghttp2-client)")
    cmd = [h2load, "--h1", "-t1", f"-c{clients}"]
    if duration is not None:
        cmd += [f"-D{duration}"]
    else:
        cmd += [f"-n{requests}"]
    for h in headers:
        cmd += ["-H", h]
    done = subprocess.run(_pinned(cmd + [url], cpu), capture_output=True, text=True,
                          timeout=(duration or 0) + timeout_s + 30)
    if done.returncode != 0:
        raise RuntimeError(f"h2load failed ({done.returncode}): {done.stderr or done.stdout}")
    return parse_h2load(done.stdout)


def run_s_time(host_port, path, duration, cpu=None):
    """`openssl s_time -new`: one connection at a time, each a full handshake
    (no session reused) and one GET of `path`, for `duration` seconds."""
    cmd = ["openssl", "s_time", "-connect", host_port, "-new", "-time", str(duration), "-www", path]
    start = time.monotonic()
    done = subprocess.run(_pinned(cmd, cpu), capture_output=True, text=True, timeout=duration + 60)
    seconds = time.monotonic() - start
    text = done.stdout + done.stderr
    # "N connections in Us; ... connections/user sec, bytes read B": U is the
    # client's own CPU time, so the rate here is taken by the wall clock.
    m = re.search(r"(\d+) connections in [\d.]+s; [\d.]+ connections/user sec, bytes read (\d+)", text)
    if done.returncode != 0 or not m:
        raise RuntimeError(f"openssl s_time failed ({done.returncode}): {text}")
    connections, bytes_read = int(m.group(1)), float(m.group(2))
    return LoadResult(connections, seconds, bytes_read, connections / seconds, bytes_read / seconds,
                      0, "s_time: full handshakes, no session reused", text)
