"""HTTPS servers for the TLS benchmark: one certificate and key made with
openssl, given to nginx and to cache-tier alike, with the same protocols and
ciphers (Mozilla's "intermediate" configuration)."""

import json
import os
import subprocess

from . import servers

# Mozilla's "intermediate" configuration (TLS 1.2 and 1.3, these TLS 1.2
# suites; OpenSSL's default TLS 1.3 suites), as deploy/nginx-front.conf uses it.
PROTOCOLS = "TLSv1.2 TLSv1.3"
CIPHERS = ("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
           "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
           "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384")

KEY_TYPES = {
    "ecdsa": (["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"], "ECDSA P-256"),
    "rsa": (["-newkey", "rsa:2048"], "RSA 2048"),
}


def make_certificate(folder, key_type):
    """A self-signed certificate for 127.0.0.1 (the load generators do not
    verify it) and its key; returns (certificate path, key path)."""
    cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
    subprocess.run(["openssl", "req", "-x509", *KEY_TYPES[key_type][0], "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    os.chmod(folder, 0o755)
    return cert, key


class TlsNginx(servers.Nginx):
    """Debian's nginx as servers.Nginx runs it, its listener switched to TLS."""

    def __init__(self, root, cert, key, workers=1, cpu=None):
        self.cert, self.key = cert, key
        super().__init__(root, workers=workers, cpu=cpu, extra_http_conf=f"""
    ssl_certificate {cert};
    ssl_certificate_key {key};
    ssl_protocols {PROTOCOLS};
    ssl_ciphers {CIPHERS};
    ssl_prefer_server_ciphers off;
    ssl_session_cache shared:SSL:10m;
    ssl_session_timeout 1d;""")

    def config(self):
        plain = f"listen 127.0.0.1:{self.port} backlog=4096;"
        text = super().config()
        if plain not in text:
            raise RuntimeError("bench/lib/servers.py's nginx listener changed; update TlsNginx")
        return text.replace(plain, f"listen 127.0.0.1:{self.port} ssl backlog=4096;")

    def url(self, file_name):
        return super().url(file_name).replace("http://", "https://", 1)


def has_tls_listen(binary):
    done = subprocess.run([binary, "serve", "--help"], capture_output=True, text=True, timeout=30)
    return "--tls-listen" in done.stdout + done.stderr


class TlsCacheTier(servers.Server):
    """`cache-tier serve` with its plain listener on a spare port and the
    measured one on TLS (--tls-listen), with the certificate in its config file."""

    name = "cache-tier"

    def __init__(self, binary, root, cert, key, threads=1, cpu=None):
        super().__init__()
        if not os.access(binary, os.X_OK):
            raise RuntimeError(f"{binary} is not an executable (build it first, or pass its path)")
        if not has_tls_listen(binary):
            raise RuntimeError(f"{binary} has no --tls-listen: it cannot serve HTTPS itself (build a version "
                               "with TLS, or run with --nginx-only to measure nginx alone)")
        config = os.path.join(self.workdir, "config.json")
        with open(config, "w") as f:
            json.dump({"tls_certificate": cert, "tls_certificate_key": key}, f)
        self._start(servers.taskset_prefix(cpu) + [
            binary, "serve", "--config", config, "--listen", f"127.0.0.1:{servers.free_port()}",
            "--tls-listen", "127.0.0.1:{port}", "--cache-dir", root, "--threads", str(threads)])

    def url(self, file_name):
        return super().url(file_name).replace("http://", "https://", 1)
