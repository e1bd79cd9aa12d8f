"""Memory of idle keep-alive connections: a server's resident set after one
warm-up request, then with N connections open that have each had one request
answered and now wait for the next. The client is the one the reliability
tests hold 10,000 connections with (tests/reliability/ct_serve.py)."""

import os
import sys
from dataclasses import dataclass

from . import procstat
from .servers import REPO, fetch

sys.path.insert(0, os.path.join(REPO, "tests", "reliability"))
import ct_serve  # noqa: E402


@dataclass
class IdleMemory:
    connections: int   # connections held and answered
    start_kb: int      # VmRSS after the warm-up request
    idle_kb: int       # VmRSS with the connections held

    @property
    def per_connection_bytes(self):
        return (self.idle_kb - self.start_kb) * 1024 / self.connections if self.connections else float("nan")


def raise_fd_limit(connections):
    """Room for our sockets and the server's (children inherit the limit); False if not granted."""
    return ct_serve.raise_fd_limit(2 * connections + 1000) >= connections + 200


def measure_idle(server, file_name, connections, batch_size=500):
    fetch(server.url(file_name))  # warm-up: the file cache and the first connection
    start = procstat.status_kb(server.measured_pid, "VmRSS")
    target = server.url(file_name).split(f":{server.port}", 1)[1]
    held, answered = [], 0
    try:
        # In batches, each answered before the next is opened: a burst of
        # 10,000 connects can overflow a busy server's accept queue, and a
        # connection dropped there is the client's doing, not the server's.
        while len(held) < connections:
            batch = ct_serve.open_connections(server.port, min(batch_size, connections - len(held)))
            held += batch
            answered += ct_serve.ask_all(batch, target)
        idle = procstat.status_kb(server.measured_pid, "VmRSS")
    finally:
        for s in held:
            s.close()
    if answered != connections:
        raise RuntimeError(f"{server.name}: {answered} of {connections} idle connections answered their request")
    return IdleMemory(connections=answered, start_kb=start, idle_kb=idle)
