"""One measured load run against one server: throughput and the server's CPU."""

from dataclasses import dataclass

from .wrk import run_wrk


@dataclass
class Sample:
    requests_per_second: float
    bytes_per_second: float
    cpu_us_per_request: float  # server CPU time (user + system) per completed request
    cpu_us_per_mib: float      # the same per MiB wrk read: also counts unfinished large responses
    requests: int
    errors: int


def measure(server, url, connections, duration, wrk_cpu=None):
    """Load `url` with wrk; the server's CPU time is read before and after."""
    return measure_with(server, lambda: run_wrk(url, connections=connections, duration=duration, cpu=wrk_cpu))


def measure_with(server, load):
    """Run `load()` (any load generator's run, returning requests, bytes_read,
    requests_per_second, bytes_per_second and errors); the server's CPU time
    is read before and after."""
    before = server.cpu_seconds()
    result = load()
    after = server.cpu_seconds()
    cpu = after - before
    cpu_per_request = cpu / result.requests * 1e6 if result.requests else float("nan")
    cpu_per_mib = cpu / (result.bytes_read / 2**20) * 1e6 if result.bytes_read else float("nan")
    return Sample(
        requests_per_second=result.requests_per_second,
        bytes_per_second=result.bytes_per_second,
        cpu_us_per_request=cpu_per_request,
        cpu_us_per_mib=cpu_per_mib,
        requests=result.requests,
        errors=result.errors,
    )
