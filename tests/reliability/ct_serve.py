"""Shared pieces of the reliability tests: the real `cache-tier serve` started
on a free port, a plain keep-alive HTTP client that times each request, and the
server's memory and descriptors read from /proc.

The binary and source tree come from the environment CTest sets
(CACHE_TIER_BINARY, CACHE_TIER_SOURCE_DIR).
"""

import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time

BINARY = os.environ.get("CACHE_TIER_BINARY", "cache-tier")
SOURCE_DIR = os.environ.get("CACHE_TIER_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
FAKES_DIR = os.path.join(SOURCE_DIR, "tests", "fakes")


def raise_fd_limit(wanted):
    """Raise this process's RLIMIT_NOFILE (children inherit it) to `wanted`
    (the hard limit too, when allowed); returns the soft limit obtained."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, wanted))
            return wanted
        except (ValueError, OSError):
            pass  # not allowed: take what the hard limit gives
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(condition, timeout, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


class Proc:
    """A child process whose output goes to files in a temporary folder."""

    def __init__(self, argv, log_dir, name, preexec_fn=None):
        self.out_path = os.path.join(log_dir, name + ".out")
        self.err_path = os.path.join(log_dir, name + ".err")
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.popen = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                          preexec_fn=preexec_fn)
        self.pid = self.popen.pid

    def stderr_text(self):
        with open(self.err_path, errors="replace") as f:
            return f.read()

    def stdout_text(self):
        with open(self.out_path, errors="replace") as f:
            return f.read()

    def running(self):
        return self.popen.poll() is None

    def stop(self, timeout=30):
        if self.running():
            self.popen.terminate()
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        return self.popen.returncode


class Origin:
    """A fake origin from tests/fakes (misbehaving_origin.py) serving `root`."""

    def __init__(self, root, log_dir, script="misbehaving_origin.py"):
        for _ in range(5):
            self.port = free_port()
            self.proc = Proc([sys.executable, os.path.join(FAKES_DIR, script), "--port", str(self.port),
                              "--root", root], log_dir, "origin")
            if wait_for(lambda: connectable(self.port) or not self.proc.running(), 10) and self.proc.running():
                return
        raise RuntimeError("origin did not start: " + self.proc.stderr_text())

    def base_url(self):
        return "http://127.0.0.1:%d" % self.port


def connectable(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


class Server:
    """`cache-tier serve` on a free port with `cache_dir` and extra flags."""

    def __init__(self, cache_dir, extra, log_dir, config=None, preexec_fn=None):
        argv_tail = list(extra)
        if config:
            path = os.path.join(log_dir, "config.json")
            with open(path, "w") as f:
                json.dump(config, f)
            argv_tail = ["--config", path] + argv_tail
        for _ in range(5):
            self.port = free_port()
            self.proc = Proc([BINARY, "serve", "--listen", "127.0.0.1:%d" % self.port, "--cache-dir", cache_dir]
                             + argv_tail, log_dir, "serve", preexec_fn=preexec_fn)
            ready = "listening on 127.0.0.1:%d," % self.port
            if wait_for(lambda: ready in self.proc.stderr_text() or not self.proc.running(), 10) \
                    and self.proc.running():
                return
            self.proc.stop(5)
        raise RuntimeError("cache-tier serve did not start: " + self.proc.stderr_text())

    def wait_cached(self, name, timeout=60):
        """Ask /verify/<name> (which starts its fill) until it is cached."""
        client = Client(self.port)

        def cached():
            r = client.request("/verify/" + name)
            return r is not None and b'"available":true' in r.body
        try:
            return wait_for(cached, timeout, 0.1)
        finally:
            client.close()

    def status(self, field):
        """A /proc/PID/status field in KiB (VmRSS, VmHWM)."""
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return None

    def rss_mib(self):
        return self.status("VmRSS") / 1024.0

    def peak_rss_mib(self):
        return self.status("VmHWM") / 1024.0

    def open_fds(self):
        return len(os.listdir("/proc/%d/fd" % self.proc.pid))

    def fd_kinds(self):
        """Open descriptors by kind: socket, pipe, anon_inode:[eventfd], a
        file's folder (" (deleted)" kept), for telling what grows."""
        kinds = {}
        fd_dir = "/proc/%d/fd" % self.proc.pid
        for fd in os.listdir(fd_dir):
            try:
                link = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue
            if link.startswith("/"):
                kind = os.path.dirname(link) + ("/ (deleted)" if link.endswith(" (deleted)") else "/")
            else:
                kind = link.split(":")[0] if not link.startswith("anon_inode") else link
            kinds[kind] = kinds.get(kind, 0) + 1
        return kinds

    def cpu_seconds(self):
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def write_random(folder, name, size):
    """A file of `size` random bytes, which appears whole (renamed into place)."""
    path = os.path.join(folder, name)
    with open(path + ".part", "wb") as f:
        f.write(os.urandom(size))
    os.replace(path + ".part", path)


class Workdir:
    """A temporary folder with cache/, origin/ and logs/; removed at exit
    unless the test failed (then its logs are kept and named)."""

    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="ct-reliability-")
        for sub in ("cache", "origin", "logs"):
            os.makedirs(os.path.join(self.path, sub))
        self.cache = os.path.join(self.path, "cache")
        self.origin = os.path.join(self.path, "origin")
        self.logs = os.path.join(self.path, "logs")

    def finish(self, ok):
        if ok:
            shutil.rmtree(self.path, ignore_errors=True)
        else:
            print("logs kept in %s" % self.logs)


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body


class Client:
    """One keep-alive HTTP/1.1 connection; request() returns a Response, or
    None when the connection ended or timed out (then it reconnects next time)."""

    def __init__(self, port, timeout=10.0):
        self.port, self.timeout, self.sock, self.buf = port, timeout, None, b""
        # Why the last request() returned None: "connect", "timeout", "closed
        # before the head" or "closed mid-body" (a response cut short).
        self.last_error = None

    def close(self):
        if self.sock:
            self.sock.close()
        self.sock, self.buf = None, b""

    def request(self, target, headers=None, method="GET"):
        try:
            if self.sock is None:
                self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout)
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            lines = ["%s %s HTTP/1.1" % (method, target), "Host: 127.0.0.1"]
            lines += ["%s: %s" % kv for kv in (headers or {}).items()]
            self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            self.last_error = "closed before the head"
            return self._read_response(method == "HEAD")
        except socket.timeout:
            self.last_error = "timeout"
        except OSError as e:
            if self.sock is None:
                self.last_error = "connect: %s" % e
        self.close()
        return None

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise OSError("closed")
        self.buf += data

    def _read_response(self, head_only):
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        length = 0 if head_only or status in (204, 304) else int(headers.get("content-length", "0"))
        self.last_error = "closed mid-body"
        while len(self.buf) < length:
            self._fill()
        body, self.buf = self.buf[:length], self.buf[length:]
        self.last_error = None
        if headers.get("connection", "").lower() == "close":
            self.close()
        return Response(status, headers, body)


def percentile(values, p):
    """The p-th percentile (nearest rank) of a list of numbers."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, int(round(p / 100.0 * len(ordered) + 0.4999)))
    return ordered[min(rank, len(ordered)) - 1]


def flood(port, payload, count, batch=200, timeout=20.0):
    """Send `payload` on `count` connections, `batch` open at once; for each,
    the status line's code (None if none came) and whether the server closed
    the connection after its answer. Uses one thread and selectors."""
    import selectors
    outcomes = []
    for start in range(0, count, batch):
        sel = selectors.DefaultSelector()
        pending = {}
        for _ in range(min(batch, count - start)):
            s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
            try:
                s.sendall(payload)
            except OSError:
                pass  # the server may answer and close before taking it all
            s.setblocking(False)
            pending[s] = b""
            sel.register(s, selectors.EVENT_READ)
        for s, received, _ in read_until(sel, pending, timeout):
            outcomes.append((status_of(received), True))
            s.close()
        for s, received in pending.items():  # not closed in time
            outcomes.append((status_of(received), False))
            s.close()
        sel.close()
    return outcomes


def recv_some(sock, size=65536):
    """One non-blocking read: the bytes that came, b"" once the peer closed
    (a reset counts), or None when nothing is there yet."""
    try:
        return sock.recv(size)
    except (BlockingIOError, InterruptedError):
        return None
    except OSError:
        return b""


def read_until(sel, pending, timeout, complete=lambda received: False):
    """Read the non-blocking sockets registered in `sel` (the keys of
    `pending`, whose values are the bytes received so far) until each is closed
    by the peer (a reset counts) or `complete(received)` is true, for at most
    `timeout` seconds. A finished socket is unregistered and leaves `pending`;
    returns (socket, received, closed) for each, in the order they finished."""
    finished = []
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for key, _ in sel.select(0.5):
            s = key.fileobj
            data = recv_some(s)
            if data is None:
                continue
            if data:
                pending[s] += data
                if not complete(pending[s]):
                    continue
            sel.unregister(s)
            finished.append((s, pending.pop(s), not data))
    return finished


def whole_response(received):
    """Whether `received` holds a whole response head and its Content-Length body."""
    head_end = received.find(b"\r\n\r\n")
    if head_end < 0:
        return False
    length = 0
    for line in received[:head_end].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return len(received) >= head_end + 4 + length


def status_of(received):
    if not received.startswith(b"HTTP/1."):
        return None
    try:
        return int(received.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None


def open_connections(port, count):
    """`count` connected sockets (blocking connects on loopback are quick)."""
    socks = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        socks.append(s)
    return socks


def ask_all(socks, target, timeout=60.0):
    """One keep-alive GET of `target` on every socket at once; how many got a
    whole 200 answer within `timeout`. The sockets stay open."""
    import selectors
    request = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % target).encode()
    sel = selectors.DefaultSelector()
    pending = {}
    for s in socks:
        try:
            s.sendall(request)
        except OSError:
            continue
        s.setblocking(False)
        pending[s] = b""
        sel.register(s, selectors.EVENT_READ)
    finished = read_until(sel, pending, timeout, complete=whole_response)
    ok = sum(1 for _, got, closed in finished if not closed and status_of(got) == 200)
    sel.close()
    for s in socks:
        s.setblocking(True)
    return ok


def probe_latency(port, target, duration=None, count=None, pause=0.0, expect=200):
    """A normal client: sequential keep-alive GETs of `target` for `duration`
    seconds or `count` requests; (latencies in ms, errors). A request that
    fails or answers other than `expect` is an error (and not a latency)."""
    client = Client(port, timeout=10)
    latencies, errors = [], 0
    end = time.monotonic() + duration if duration else None
    while (end is None or time.monotonic() < end) and (count is None or len(latencies) + errors < count):
        t0 = time.perf_counter()
        r = client.request(target)
        elapsed = (time.perf_counter() - t0) * 1000.0
        if r is None or r.status != expect:
            errors += 1
        else:
            latencies.append(elapsed)
        if pause:
            time.sleep(pause)
    client.close()
    return latencies, errors
