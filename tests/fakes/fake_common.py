"""Shared pieces of the fake origins: argument parsing, request logging,
serving a file from --root with validators and conditional GET.

Each fake prints one line per request to stdout (flushed) so a test can count
how many requests reached it, e.g. "GET /slow/a.bin".
"""

import argparse
import email.utils
import hashlib
import os
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def base_arguments(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--root", required=True, help="directory whose files are served")
    parser.add_argument("--host", default="127.0.0.1")
    return parser


def log_line(text):
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def resolve_under(root, decoded_key):
    """The file for `decoded_key` under `root`, or None if the key tries to leave it."""
    parts = decoded_key.split("/")
    if not decoded_key or any(p in ("", ".", "..") for p in parts) or "\0" in decoded_key:
        return None
    path = os.path.realpath(os.path.join(root, *parts))
    root_real = os.path.realpath(root)
    if not path.startswith(root_real + os.sep):
        return None
    return path


def file_validators(path):
    """(etag, last_modified, size) of a file; the ETag is the MD5 of the content, as S3 does."""
    st = os.stat(path)
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return '"%s"' % digest.hexdigest(), email.utils.formatdate(st.st_mtime, usegmt=True), st.st_size


def not_modified(headers, etag, last_modified):
    """RFC 9110 §13.2.2: If-None-Match decides when present, else If-Modified-Since."""
    inm = headers.get("If-None-Match")
    if inm is not None:
        tags = [t.strip() for t in inm.split(",")]
        return "*" in tags or etag in tags or ("W/" + etag) in tags
    ims = headers.get("If-Modified-Since")
    if ims is not None:
        try:
            since = email.utils.parsedate_to_datetime(ims)
            current = email.utils.parsedate_to_datetime(last_modified)
        except (TypeError, ValueError):
            return False
        return current <= since
    return False


class LoggingHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive handler that logs one line per request to stdout."""

    protocol_version = "HTTP/1.1"
    server_version = "fake-origin"

    def log_request(self, code="-", size="-"):
        log_line("%s %s %s" % (self.command, self.path, code))

    def log_message(self, fmt, *args):
        pass  # keep stdout to one line per request

    def send_head(self, status, headers):
        """Status line and `headers`, a list of (name, value) pairs: a name may repeat."""
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()

    def send_simple(self, status, body=b"", content_type="text/plain", extra_headers=None):
        headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
        self.send_head(status, headers + list((extra_headers or {}).items()))
        if self.command != "HEAD":
            self.wfile.write(body)

    def serve_file(self, path, not_found):
        """200 with validators, 304 on a matching conditional, `not_found()` if missing."""
        if path is None or not os.path.isfile(path):
            not_found()
            return
        etag, last_modified, size = file_validators(path)
        headers = {"ETag": etag, "Last-Modified": last_modified}
        if not_modified(self.headers, etag, last_modified):
            self.send_response(304)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command == "HEAD":
            return
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 16), b""):
                self.wfile.write(chunk)


def split_path(raw_path):
    """(decoded path without the leading '/', query dict) of a request target."""
    parts = urllib.parse.urlsplit(raw_path)
    query = {k: v[-1] for k, v in urllib.parse.parse_qs(parts.query).items()}
    return urllib.parse.unquote(parts.path.lstrip("/")), query


def run(handler_class, args):
    server = ThreadingHTTPServer((args.host, args.port), handler_class)
    server.daemon_threads = True
    server.args = args
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
