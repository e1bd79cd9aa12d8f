"""The Python module cache_tier against real `cache-tier serve` processes.

Run by CTest as python.client with PYTHONPATH = the module's folder and
CACHE_TIER_BINARY = the cache-tier binary. Server requests are counted in
each server's access log.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

import cache_tier

BINARY = os.environ.get("CACHE_TIER_BINARY", "cache-tier")

# The issue's example, as users wrote it for the original module.
ISSUE_EXAMPLE = textwrap.dedent(
    """\
    import cache_tier
    cache = cache_tier.CacheTierClient("http://downloads.yourserver.com/", local_cache_time=20)
    if cache.verify_file("some_big_file.mp3"):
        url = cache.build_download_url("some_big_file.mp3")   # send the user here
    else:
        ...                                                   # serve directly from the origin
    """
)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def eventually(condition, timeout=10.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def wait_for_port(port, timeout=10.0):
    def accepts():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            return False

    return eventually(accepts, timeout)


class Server:
    """`cache-tier serve` on a free port, with a file:// origin and an access log."""

    def __init__(self, origin, extra_args=()):
        self._dir = tempfile.TemporaryDirectory(prefix="cache-tier-py-")
        cache_dir = os.path.join(self._dir.name, "cache")
        os.mkdir(cache_dir)
        self.access_log = os.path.join(self._dir.name, "access.log")
        self._stderr = open(os.path.join(self._dir.name, "stderr"), "wb")
        self._settles = 0
        for _ in range(5):
            self.port = free_port()
            self.proc = subprocess.Popen(
                [BINARY, "serve", "--listen", f"127.0.0.1:{self.port}", "--cache-dir", cache_dir,
                 "--origin", "file://" + origin, "--access-log", self.access_log, *extra_args],
                stdout=subprocess.DEVNULL, stderr=self._stderr)
            if self._says_listening() and wait_for_port(self.port) and self.proc.poll() is None:
                break
            self.kill()
        else:
            raise RuntimeError("cache-tier serve did not start")
        self.base_url = f"http://127.0.0.1:{self.port}/"

    def _says_listening(self, timeout=10.0):
        """Its own "listening on 127.0.0.1:PORT," line: a bare open port could
        belong to another test's server that took the same free port."""
        ready = f"listening on 127.0.0.1:{self.port},"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            with open(self._stderr.name, encoding="utf-8", errors="replace") as err:
                if ready in err.read():
                    return True
            time.sleep(0.01)
        return False

    def verify_requests(self, encoded_name):
        needle = f'"GET /verify/{encoded_name} HTTP/1.1"'
        try:
            with open(self.access_log, encoding="utf-8", errors="replace") as log:
                return sum(1 for line in log if needle in line)
        except FileNotFoundError:
            return 0

    def settle_log(self):
        """Make the access log complete up to now: a request sent after every
        earlier answer arrived, waited for in the log."""
        self._settles += 1
        sentinel = f"settle-{self._settles}"
        with urllib.request.urlopen(self.base_url + "verify/" + sentinel, timeout=5) as answer:
            answer.read()
        assert eventually(lambda: self.verify_requests(sentinel) == 1, 5)
        time.sleep(0.05)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)

    def close(self):
        self.kill()
        self._stderr.close()
        self._dir.cleanup()


class ServerTestCase(unittest.TestCase):
    def setUp(self):
        self._origin = tempfile.TemporaryDirectory(prefix="cache-tier-py-origin-")
        self.origin = self._origin.name
        self.addCleanup(self._origin.cleanup)

    def add_origin_file(self, name):
        path = os.path.join(self.origin, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(b"bytes of " + name.encode())

    def start_server(self, extra_args=()):
        server = Server(self.origin, extra_args)
        self.addCleanup(server.close)
        return server


class ApiTest(unittest.TestCase):
    """What needs no server: arguments, errors, URLs."""

    def test_blank_names_raise_cache_exception(self):
        cache = cache_tier.CacheTierClient("http://127.0.0.1:9/")
        self.assertTrue(issubclass(cache_tier.CacheException, Exception))
        for blank in ("", "   ", "\t\n"):
            for call in (cache.verify_file, cache.is_stale, cache.build_download_url,
                         cache.refresh_status_from_server):
                with self.assertRaises(cache_tier.CacheException):
                    call(blank)

    def test_bad_configuration_raises_cache_exception(self):
        for bad in ("downloads.yourserver.com", "ftp://x/", ""):
            with self.assertRaises(cache_tier.CacheException):
                cache_tier.CacheTierClient(bad)
        with self.assertRaises(cache_tier.CacheException):
            cache_tier.CacheTierClient([])
        with self.assertRaises(cache_tier.CacheException):
            cache_tier.CacheTierClient("http://h/", request_timeout=0)
        with self.assertRaises(cache_tier.CacheException):
            cache_tier.CacheTierClient("http://h/", local_cache_time=float("nan"))
        with self.assertRaises(TypeError):
            cache_tier.CacheTierClient(42)

    def test_defaults_and_attributes(self):
        cache = cache_tier.CacheTierClient("http://downloads.yourserver.com")
        self.assertEqual(cache.base_url, "http://downloads.yourserver.com/")
        self.assertEqual(cache.request_timeout, 1.0)
        self.assertTrue(cache.enable_local_cache)
        self.assertEqual(cache.local_cache_time, 120.0)
        self.assertFalse(cache.log_enabled)
        self.assertIn("downloads.yourserver.com", repr(cache))

    def test_download_url_has_one_slash_and_encoded_segments(self):
        for base in ("http://downloads.yourserver.com/", "http://downloads.yourserver.com", " http://downloads.yourserver.com// "):
            cache = cache_tier.CacheTierClient(base)
            self.assertEqual(cache.build_download_url("some_big_file.mp3"),
                             "http://downloads.yourserver.com/download/some_big_file.mp3")
        cache = cache_tier.CacheTierClient("http://h/cacheapp/")
        self.assertEqual(cache.build_download_url("Shows/Ep 1 é.mp3"),
                         "http://h/cacheapp/download/Shows/Ep%201%20%C3%A9.mp3")

    def test_dead_server_is_false_within_the_timeout(self):
        cache = cache_tier.CacheTierClient(f"http://127.0.0.1:{free_port()}/", request_timeout=0.5)
        start = time.monotonic()
        self.assertFalse(cache.verify_file("dead.mp3"))
        self.assertFalse(cache.refresh_status_from_server("dead.mp3"))
        self.assertLess(time.monotonic() - start, 1.5)

    def test_slow_server_is_false_within_the_timeout(self):
        # A socket that accepts connections and never answers.
        with socket.socket() as silent:
            silent.bind(("127.0.0.1", 0))
            silent.listen(16)
            cache = cache_tier.CacheTierClient(f"http://127.0.0.1:{silent.getsockname()[1]}/",
                                               request_timeout=0.3)
            start = time.monotonic()
            self.assertFalse(cache.verify_file("slow.mp3"))
            elapsed = time.monotonic() - start
        self.assertGreaterEqual(elapsed, 0.25)
        self.assertLess(elapsed, 3.0)


class ClientAgainstServerTest(ServerTestCase):
    def test_issue_example_runs_unchanged(self):
        self.add_origin_file("some_big_file.mp3")
        server = self.start_server()
        code = ISSUE_EXAMPLE.replace("http://downloads.yourserver.com/", server.base_url)
        # Each run is a new process (a new web server worker): the first sends
        # the user to the origin, a later one to the cache tier.
        report = code + "print(globals().get('url'))\n"

        def run():
            done = subprocess.run([sys.executable, "-c", report], capture_output=True, text=True,
                                  timeout=30, env=os.environ)
            self.assertEqual(done.returncode, 0, done.stderr)
            return done.stdout.strip()

        self.assertEqual(run(), "None")
        expected = server.base_url + "download/some_big_file.mp3"
        self.assertTrue(eventually(lambda: run() == expected, 15, 0.2))
        with self.assertRaises(urllib.error.HTTPError) as redirect:
            opener = urllib.request.build_opener(NoRedirect)
            opener.open(expected, timeout=5)
        self.assertEqual(redirect.exception.code, 302)

    def test_one_request_per_file_per_window_across_clients(self):
        self.add_origin_file("window-a.mp3")
        self.add_origin_file("window-b.mp3")
        server = self.start_server()

        def client():  # one per page request, as the original's users do
            return cache_tier.CacheTierClient(server.base_url, local_cache_time=1.5)

        for name in ("window-a.mp3", "window-a.mp3", "WINDOW-A.mp3", "window-b.mp3", "window-b.mp3"):
            client().verify_file(name)
        server.settle_log()
        self.assertEqual(server.verify_requests("window-a.mp3"), 1)
        self.assertEqual(server.verify_requests("WINDOW-A.mp3"), 0)
        self.assertEqual(server.verify_requests("window-b.mp3"), 1)
        self.assertFalse(client().is_stale("window-a.mp3"))

        time.sleep(1.6)
        self.assertTrue(client().is_stale("window-a.mp3"))
        client().verify_file("window-a.mp3")
        client().verify_file("window-a.mp3")
        server.settle_log()
        self.assertEqual(server.verify_requests("window-a.mp3"), 2)

        client().refresh_status_from_server("window-a.mp3")
        server.settle_log()
        self.assertEqual(server.verify_requests("window-a.mp3"), 3)

    def test_disabled_cache_asks_every_time(self):
        self.add_origin_file("every-time.mp3")
        server = self.start_server()
        cache = cache_tier.CacheTierClient(server.base_url, enable_local_cache=False)
        for _ in range(5):
            cache.verify_file("every-time.mp3")
        self.assertTrue(cache.is_stale("every-time.mp3"))
        server.settle_log()
        self.assertEqual(server.verify_requests("every-time.mp3"), 5)

    def test_file_becomes_available(self):
        self.add_origin_file("Show/Episode 1.mp3")
        server = self.start_server()
        cache = cache_tier.CacheTierClient(server.base_url, enable_local_cache=False)
        self.assertFalse(cache.verify_file("Show/Episode 1.mp3"))
        self.assertTrue(eventually(lambda: cache.verify_file("Show/Episode 1.mp3")))
        self.assertGreaterEqual(server.verify_requests("Show/Episode%201.mp3"), 2)

    def test_dead_server_is_false_within_the_timeout(self):
        self.add_origin_file("dead.mp3")
        server = self.start_server()
        cache = cache_tier.CacheTierClient(server.base_url, request_timeout=0.5, enable_local_cache=False)
        self.assertTrue(eventually(lambda: cache.verify_file("dead.mp3")))
        server.kill()
        start = time.monotonic()
        self.assertFalse(cache.verify_file("dead.mp3"))
        self.assertFalse(cache_tier.CacheTierClient(server.base_url, request_timeout=0.5).verify_file("dead.mp3"))
        self.assertLess(time.monotonic() - start, 1.5)

    def test_three_nodes_one_killed(self):
        names = [f"cluster-{i}.mp3" for i in range(30)]
        for name in names:
            self.add_origin_file(name)
        servers = [self.start_server() for _ in range(3)]
        urls = [s.base_url for s in servers]

        def ask_all():
            cache = cache_tier.CacheTierClient(urls, enable_local_cache=False)
            for name in names:
                cache.verify_file(name)

        def asked(name):
            """{server index: requests} for the servers asked about `name`."""
            counts = {i: s.verify_requests(name) for i, s in enumerate(servers)}
            return {i: n for i, n in counts.items() if n}

        def download_node(name):
            url = cache_tier.CacheTierClient(urls).build_download_url(name)
            return urls.index(url[: url.index("download/")])

        ask_all()
        ask_all()
        for s in servers:
            s.settle_log()
        home = {}
        for name in names:
            per_node = asked(name)
            self.assertEqual(len(per_node), 1, f"{name} asked of {per_node}")
            (node, count), = per_node.items()
            self.assertEqual(count, 2, name)
            self.assertEqual(download_node(name), node, name)
            home[name] = node
        self.assertEqual(set(home.values()), {0, 1, 2}, "every node holds some files")

        killed = 1
        servers[killed].kill()
        ask_all()
        ask_all()
        for i, s in enumerate(servers):
            if i != killed:
                s.settle_log()
        for name in names:
            per_node = asked(name)
            if home[name] != killed:
                self.assertEqual(per_node, {home[name]: 4}, f"{name} moved though its node is alive")
            else:
                # Asked of one live node, the same one both times.
                self.assertEqual(len(per_node), 2, f"{name}: {per_node}")
                new_home = next(i for i in per_node if i != killed)
                self.assertEqual(per_node[new_home], 2, name)
                self.assertEqual(download_node(name), new_home, name)

    def test_many_python_threads(self):
        self.add_origin_file("threads.mp3")
        server = self.start_server()
        results = []

        def work():
            cache = cache_tier.CacheTierClient(server.base_url, local_cache_time=60)
            results.extend(cache.verify_file("threads.mp3") for _ in range(50))

        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(len(results), 400)
        server.settle_log()
        # Only threads that missed at the same moment asked; the rest used the shared answer.
        self.assertLessEqual(server.verify_requests("threads.mp3"), 8)


class CommandLineTest(ServerTestCase):
    def cli(self, *args):
        return subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=30)

    def test_verify_exit_codes(self):
        self.add_origin_file("cli.mp3")
        server = self.start_server()
        first = self.cli("verify", "cli.mp3", "--server", server.base_url)
        self.assertEqual(first.returncode, 1, first.stderr)
        self.assertTrue(eventually(lambda: self.cli("verify", "cli.mp3", "--server", server.base_url).returncode == 0))
        as_json = self.cli("verify", "cli.mp3", "--server", server.base_url, "--json")
        self.assertEqual(as_json.returncode, 0)
        answer = json.loads(as_json.stdout)
        self.assertIs(answer["available"], True)
        self.assertEqual(answer["file"], "cli.mp3")

        server.kill()
        dead = self.cli("verify", "cli.mp3", "--server", server.base_url, "--timeout", "0.5")
        self.assertEqual(dead.returncode, 2)
        self.assertEqual(dead.stdout, "")
        self.assertIn("no server answered", dead.stderr)

    def test_url(self):
        done = self.cli("url", "Show/Ep 1.mp3", "--server", "http://downloads.yourserver.com/")
        self.assertEqual(done.returncode, 0)
        self.assertEqual(done.stdout, "http://downloads.yourserver.com/download/Show/Ep%201.mp3\n")
        urls = ["http://a.example.com/", "http://b.example.com/", "http://c.example.com/"]
        for name in ("one.mp3", "two.mp3"):
            done = self.cli("url", name, "--server", ",".join(urls))
            self.assertEqual(done.stdout.strip(), cache_tier.CacheTierClient(urls).build_download_url(name))


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


if __name__ == "__main__":
    unittest.main()
