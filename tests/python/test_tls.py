"""The Python module over https: a real `cache-tier serve` serving TLS itself
(--tls-listen), and behind Debian's nginx terminating TLS, with certificates
from a CA made here by openssl.
The certificate is accepted only with ca_file naming its CA and only for the
host it names; a failure is logged with the server and the reason."""
import ctypes
import os
import pathlib
import subprocess
import tempfile
import unittest

import cache_tier
from test_client import ServerTestCase, eventually, free_port, wait_for_port

LIBC = ctypes.CDLL(None)


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def issue(folder, ca, label, subject_alt_name):
    """A certificate (full chain) and key for subject_alt_name, signed by `ca`."""
    leaf, key = os.path.join(folder, label + ".leaf.pem"), os.path.join(folder, label + ".key")
    openssl("req", "-x509", "-CA", ca + ".pem", "-CAkey", ca + ".key", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=" + label, "-addext",
            "subjectAltName=" + subject_alt_name, "-keyout", key, "-out", leaf)
    chain = os.path.join(folder, label + ".pem")
    with open(chain, "w") as out, open(leaf) as a, open(ca + ".pem") as b:
        out.write(a.read() + b.read())
    return chain, key


class Stderr:
    """What the C++ side writes to file descriptor 2 inside the block."""

    def __enter__(self):
        self._file = tempfile.TemporaryFile()
        LIBC.fflush(None)
        self._saved = os.dup(2)
        os.dup2(self._file.fileno(), 2)
        return self

    def __exit__(self, *exc):
        LIBC.fflush(None)
        os.dup2(self._saved, 2)
        os.close(self._saved)
        self._file.seek(0)
        self.text = self._file.read().decode("utf-8", "replace")
        self._file.close()


class TlsTests:
    """The cases, for each way of serving TLS (a subclass's start_tls)."""

    def setUp(self):
        super().setUp()
        self.add_origin_file("ep1.mp3")
        self._dir = tempfile.TemporaryDirectory(prefix="cache-tier-py-tls-")
        self.addCleanup(self._dir.cleanup)
        folder = self._dir.name
        ca = os.path.join(folder, "ca")
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                "-subj", "/CN=cache-tier test CA", "-keyout", ca + ".key", "-out", ca + ".pem")
        self.ca_file = ca + ".pem"
        self.right_port, self.wrong_port = free_port(), free_port()
        # One listener whose certificate names 127.0.0.1, one whose certificate names another host.
        self.start_tls(folder, {self.right_port: issue(folder, ca, "right", "IP:127.0.0.1"),
                                self.wrong_port: issue(folder, ca, "wrong", "DNS:downloads.example.com")})
        self.assertTrue(wait_for_port(self.right_port) and wait_for_port(self.wrong_port), "no TLS listener")
        self.right_url = f"https://127.0.0.1:{self.right_port}/"
        self.wrong_url = f"https://127.0.0.1:{self.wrong_port}/"

    def test_verifies_with_the_ca_file(self):
        for ca_file in (self.ca_file, pathlib.Path(self.ca_file)):
            cache = cache_tier.CacheTierClient(self.right_url, ca_file=ca_file, request_timeout=10,
                                               enable_local_cache=False)
            self.assertEqual(cache.ca_file, self.ca_file)
            self.assertTrue(eventually(lambda: cache.verify_file("ep1.mp3"), 20, 0.1))
            self.assertEqual(cache.build_download_url("ep1.mp3"), self.right_url + "download/ep1.mp3")

    def test_refuses_an_untrusted_ca_and_another_host_name(self):
        # Cached first, so that a wrongly accepted connection would answer True.
        self.assertTrue(eventually(lambda: cache_tier.CacheTierClient(
            self.right_url, ca_file=self.ca_file, request_timeout=10).refresh_status_from_server("ep1.mp3"), 20, 0.1))
        cases = ((self.right_url, None, "SSL certificate problem"), (self.wrong_url, self.ca_file, "'127.0.0.1'"))
        for url, ca_file, reason in cases:
            cache = cache_tier.CacheTierClient(url, ca_file=ca_file, request_timeout=10, log_enabled=True,
                                               down_node_time=0)
            with Stderr() as err:
                self.assertFalse(cache.refresh_status_from_server("ep1.mp3"), url)
            self.assertIn(url.rstrip("/") + ": TLS certificate not verified", err.text)
            self.assertIn(reason, err.text)

    def test_a_ca_file_that_is_not_there_raises(self):
        with self.assertRaisesRegex(cache_tier.CacheException, "nope.pem': No such file"):
            cache_tier.CacheTierClient(self.right_url, ca_file=os.path.join(self._dir.name, "nope.pem"))
        with self.assertRaises(cache_tier.CacheException):
            cache_tier.CacheTierClient(self.right_url, ca_file="")


class CacheTierTlsTest(TlsTests, ServerTestCase):
    def start_tls(self, folder, certificates):
        for port, (cert, key) in certificates.items():
            self.start_server(["--tls-listen", f"127.0.0.1:{port}", "--tls-certificate", cert,
                               "--tls-certificate-key", key])


class NginxTlsTest(TlsTests, ServerTestCase):
    def start_tls(self, folder, certificates):
        server = self.start_server()
        servers = ""
        for port, (cert, key) in certificates.items():
            servers += (f"server {{ listen 127.0.0.1:{port} ssl; ssl_certificate {cert}; ssl_certificate_key {key};"
                        f" location / {{ proxy_pass http://127.0.0.1:{server.port}; proxy_buffering off; }} }}\n")
        conf = os.path.join(folder, "nginx.conf")
        with open(conf, "w") as f:
            f.write(("user root;\n" if os.geteuid() == 0 else "") +
                    f"worker_processes 1; daemon off; pid {folder}/nginx.pid; error_log {folder}/error.log;\n"
                    f"events {{}}\nhttp {{ access_log off; {servers} }}\n")
        nginx = subprocess.Popen(["/usr/sbin/nginx", "-p", folder, "-c", conf],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(nginx.wait, 10)
        self.addCleanup(nginx.terminate)


if __name__ == "__main__":
    unittest.main()
