"""Start the servers a benchmark compares, on free loopback ports.

Each server is a context manager: it is stopped (and its temporary folder
removed) however the benchmark ends.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

from . import procstat

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STATIC_PREFIX = "/static/files_cache/"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout=10.0, process=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def default_binary():
    return os.path.join(REPO, "build", "cache-tier")


def taskset_prefix(cpu):
    """Pin a command to one core when asked and possible."""
    if cpu is None or not shutil.which("taskset"):
        return []
    return ["taskset", "-c", str(cpu)]


class Server:
    """A server process; `measured_pid` is the process that does the work."""

    name = "server"

    def __init__(self):
        self.process = None
        self.port = None
        self.workdir = tempfile.mkdtemp(prefix=f"bench-{self.name}-")

    @property
    def measured_pid(self):
        return self.process.pid

    def url(self, file_name):
        return f"http://127.0.0.1:{self.port}{STATIC_PREFIX}{file_name}"

    def cpu_seconds(self):
        return procstat.cpu_seconds(self.measured_pid)

    def peak_rss_kb(self):
        return procstat.peak_rss_kb(self.measured_pid)

    def _start(self, argv):
        log = open(os.path.join(self.workdir, "server.log"), "wb")
        for _ in range(5):
            self.port = free_port()
            self.process = subprocess.Popen(
                [a.replace("{port}", str(self.port)) for a in argv],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            if wait_for_port(self.port, process=self.process):
                return self
            self.stop()
        self._give_up()

    def _give_up(self):
        # __exit__ never runs for a server that failed to start: clean up here.
        log = self.log()
        shutil.rmtree(self.workdir, ignore_errors=True)
        raise RuntimeError(f"{self.name} did not start; its log:\n{log}")

    def log(self):
        try:
            with open(os.path.join(self.workdir, "server.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM):
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


class CacheTier(Server):
    name = "cache-tier"

    def __init__(self, binary, root, threads=1, cpu=None, extra_args=()):
        super().__init__()
        if not os.access(binary, os.X_OK):
            raise RuntimeError(f"{binary} is not an executable (build it first, or pass its path)")
        self._start(taskset_prefix(cpu) + [
            binary, "serve", "--listen", "127.0.0.1:{port}", "--cache-dir", root,
            "--threads", str(threads), *extra_args])


class Nginx(Server):
    """Debian's nginx, tuned the way a static file server is run in production."""

    name = "nginx"

    def __init__(self, root, workers=1, cpu=None, extra_http_conf="", worker_connections=4096):
        super().__init__()
        self.root = os.path.abspath(root)
        self.workers = workers
        # nginx sets up this many connection slots when it starts (part of its RSS).
        self.worker_connections = worker_connections
        self.extra_http_conf = extra_http_conf
        self.conf = os.path.join(self.workdir, "nginx.conf")
        self._start(taskset_prefix(cpu) + [
            "/usr/sbin/nginx", "-p", self.workdir, "-c", self.conf, "-g", f"pid {self.workdir}/nginx.pid;"])

    def _start(self, argv):
        # The port is only known per attempt, so the config is written per attempt.
        for _ in range(5):
            self.port = free_port()
            with open(self.conf, "w") as f:
                f.write(self.config())
            self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if wait_for_port(self.port, process=self.process):
                return self
            self.stop()
        self._give_up()

    def config(self):
        w = self.workdir
        user = "user root;\n" if os.geteuid() == 0 else ""
        mime = "include /etc/nginx/mime.types;" if os.path.exists("/etc/nginx/mime.types") else ""
        return f"""{user}worker_processes {self.workers};
worker_rlimit_nofile {self.worker_connections * 2};
daemon off;
error_log {w}/server.log warn;
events {{ worker_connections {self.worker_connections}; }}
http {{
    {mime}
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    open_file_cache max=1000 inactive=60s;
    open_file_cache_valid 60s;
    keepalive_requests 100000000;
    keepalive_timeout 65;
    client_body_temp_path {w}/body;
    proxy_temp_path {w}/proxy;
    fastcgi_temp_path {w}/fastcgi;
    uwsgi_temp_path {w}/uwsgi;
    scgi_temp_path {w}/scgi;
    {self.extra_http_conf}
    server {{
        listen 127.0.0.1:{self.port} backlog=4096;
        location {STATIC_PREFIX} {{ alias {self.root}/; }}
    }}
}}
"""

    @property
    def measured_pid(self):
        # The master only supervises; the worker serves. With one worker, measure it.
        workers = procstat.children(self.process.pid)
        if len(workers) != 1:
            raise RuntimeError(f"expected one nginx worker, found {workers}")
        return workers[0]

    def stop(self, sig=signal.SIGQUIT):
        super().stop(sig)


def fetch(url, timeout=30):
    """GET a URL, return the body (to check both servers serve the same bytes)."""
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read()


def version_of(argv):
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        first = (done.stdout + done.stderr).strip().splitlines()[0]
        return first.split(" Copyright")[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "unknown"
