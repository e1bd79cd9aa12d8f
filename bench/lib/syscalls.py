"""System calls per request: a fixed number of keep-alive requests made with
h2load while `strace -c -f` is attached to the server (all its threads), in a
run of its own, never a timed one (strace slows every call down)."""

import os
import re
import signal
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

from .h2load import run_h2load


@dataclass
class SyscallCount:
    requests: int                 # requests h2load saw answered
    total: int                    # system calls of the server during the run
    calls: dict = field(default_factory=dict)  # name -> count

    @property
    def per_request(self):
        return self.total / self.requests if self.requests else float("nan")

    def top(self, n=4):
        """The n most frequent calls per request, e.g. "recvfrom 1.00, sendmsg 1.00"."""
        ranked = sorted(self.calls.items(), key=lambda kv: -kv[1])[:n]
        return ", ".join(f"{name} {count / self.requests:.2f}" for name, count in ranked)


def parse_strace_summary(text):
    """strace -c's table: '% time seconds usecs/call calls [errors] syscall',
    closed by a 'total' line. Returns (total, {name: calls})."""
    calls, total = {}, None
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 5 or not re.fullmatch(r"[\d.]+", parts[0]):
            continue
        if parts[-1] == "total":
            total = int(parts[3])
        else:
            calls[parts[-1]] = int(parts[3])
    if total is None:
        raise ValueError("strace -c summary not understood:\n" + text)
    return total, calls


def count_syscalls(pid, url, requests, connections, client_cpu=None):
    """strace -c -f attached to `pid` while h2load makes `requests` requests."""
    if not shutil.which("strace"):
        raise RuntimeError("strace not found (Debian package strace)")
    out = tempfile.NamedTemporaryFile(prefix="bench-strace-", suffix=".txt", delete=False)
    out.close()
    strace = subprocess.Popen(["strace", "-c", "-f", "-o", out.name, "-p", str(pid)],
                              stderr=subprocess.PIPE, text=True)
    try:
        # strace says "Process N attached" once it traces; requests before that would not count.
        line = strace.stderr.readline()
        if "attached" not in line:
            raise RuntimeError(f"strace did not attach to {pid}: {line}{strace.stderr.read()}")
        time.sleep(0.2)  # the other threads' attach lines follow at once
        load = run_h2load(url, clients=connections, requests=requests, cpu=client_cpu)
    finally:
        strace.send_signal(signal.SIGINT)
        strace.wait(30)
    with open(out.name) as f:
        text = f.read()
    os.unlink(out.name)
    if load.errors or load.requests != requests:
        raise RuntimeError(f"h2load: {load.requests} of {requests} requests succeeded, {load.errors} errors")
    total, calls = parse_strace_summary(text)
    return SyscallCount(requests=load.requests, total=total, calls=calls)
