"""Run wrk and read its report."""

import re
import shutil
import subprocess
from dataclasses import dataclass

_UNITS = {"B": 1, "KB": 2**10, "MB": 2**20, "GB": 2**30, "TB": 2**40}


@dataclass
class WrkResult:
    requests: int          # completed requests
    seconds: float         # the run's duration as wrk measured it
    bytes_read: float      # headers and bodies
    requests_per_second: float
    bytes_per_second: float
    errors: int            # socket errors (connect, read, write, timeout) and non-2xx/3xx answers
    text: str              # wrk's own output, for the record


def _size(number, unit):
    return float(number) * _UNITS[unit]


def parse_wrk(text):
    """wrk 4 prints e.g. "  123 requests in 5.00s, 1.23GB read" and "Requests/sec: ..."."""
    m = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m), ([\d.]+)([KMGT]?B) read", text)
    if not m:
        raise ValueError("wrk output not understood:\n" + text)
    scale = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[m.group(3)]
    requests, seconds = int(m.group(1)), float(m.group(2)) * scale
    bytes_read = _size(m.group(4), m.group(5))
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    tps = re.search(r"Transfer/sec:\s+([\d.]+)([KMGT]?B)", text)
    errors = 0
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if sock:
        errors += sum(int(g) for g in sock.groups())
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if bad:
        errors += int(bad.group(1))
    return WrkResult(
        requests=requests,
        seconds=seconds,
        bytes_read=bytes_read,
        requests_per_second=float(rps.group(1)) if rps else requests / seconds,
        bytes_per_second=_size(*tps.groups()) if tps else bytes_read / seconds,
        errors=errors,
        text=text,
    )


def run_wrk(url, connections=50, duration=5, threads=1, cpu=None, timeout_s=10):
    """One wrk run against `url`; `cpu` pins wrk to that core with taskset."""
    wrk = shutil.which("wrk")
    if not wrk:
        raise RuntimeError("wrk not found (Debian package wrk)")
    cmd = [wrk, f"-t{threads}", f"-c{connections}", f"-d{duration}s", f"--timeout={timeout_s}s", url]
    if cpu is not None and shutil.which("taskset"):
        cmd = ["taskset", "-c", str(cpu)] + cmd
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + timeout_s + 30)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return parse_wrk(done.stdout)
