#!/usr/bin/python3
"""An HTTP origin that misbehaves on purpose, for the failure paths no real
origin takes on demand. The first path segment picks the behaviour; the rest
names a file under --root:

  /slow/<name>?chunk=65536&interval=0.5   the body in `chunk`-byte pieces, `interval` s apart
  /error500/<name>                        500 Internal Server Error
  /status/<code>/<name>                   that status with a short body (e.g. 403, 503)
  /reset/<name>                           half the body, then a TCP reset (SO_LINGER 0)
  /short/<name>?missing=1000              Content-Length `missing` bytes over the body, then close
  /longer/<name>?extra=1000               Content-Length `extra` bytes under the body, the whole body sent
                                          in one write, then close
  /notfound/<name>                        404
  /nolength/<name>                        the file without Content-Length, ended by closing
  /redirect/<name>                        302 to /<name> (so /redirect/partial/<name> ends in a 206)
  /stall/<name>                           the first KB of the body, then silence for a minute
  /<name>                                 the file, with ETag/Last-Modified and conditional GET

Answers that are not the whole, unencoded file, though they look like success:

  /partial/<name>                         206 Partial Content: the first half, with Content-Range
  /ranged200/<name>                       200 with the first half and a Content-Range (a mislabelled part)
  /file-status/<code>/<name>              the file under 2xx status <code> (202, 203); none for 204, 205
  /encoded/<name>                         the file gzipped, with Content-Encoding: gzip (as S3 sends
                                          objects stored that way, asked or not)
  /twolengths/<name>                      two Content-Length lines: one 10 over, then the right one
  /lengthlist/<name>                      one Content-Length line "N, N+10"
  /samelengths/<name>                     one Content-Length line "N, N" (RFC 9110 §8.6 allows it)
  /badlength/<name>                       Content-Length: -N (libcurl 7.88 refuses this one itself)
  /excess/<name>                          the file, then (after 50 ms) a whole second response on the
                                          same keep-alive connection that no request asked for
  /slowhead/<name>?delay=2                the file, its head sent only after `delay` seconds
  /slowreset/<name>?chunk=65536&interval=0.05  half the file slowly, then a TCP reset
  /cl-and-te/<name>                       Content-Length and Transfer-Encoding: chunked, body chunked
  /nostore/<name>                         the file with Cache-Control: no-store (no cache may keep it)
  /private/<name>                         the file with Cache-Control: private, max-age=60 (no shared cache may)
  /privatefield/<name>                    the file with Cache-Control: private="Set-Cookie" (storable)
  /htmlerror/<name>                       200 text/html: an error page of a misconfigured proxy or CDN,
                                          with its own right Content-Length, in place of the file

Usage: misbehaving_origin.py --port N --root DIR
Every request is logged to stdout as "METHOD TARGET STATUS".
"""

import gzip
import os
import socket
import struct
import sys
import time

sys.dont_write_bytecode = True  # keep tests/fakes free of __pycache__
import fake_common  # noqa: E402

BEHAVIOURS = ("slow", "error500", "status", "reset", "short", "notfound", "nolength", "redirect", "stall",
              "partial", "ranged200", "file-status", "encoded", "twolengths", "lengthlist", "samelengths",
              "badlength", "cl-and-te", "nostore", "private", "privatefield", "slowhead", "slowreset", "excess",
              "htmlerror", "longer")


class Handler(fake_common.LoggingHandler):
    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        path, query = fake_common.split_path(self.path)
        behaviour, _, rest = path.partition("/")
        if behaviour not in BEHAVIOURS:
            behaviour, rest = "plain", path
        if behaviour == "status":
            code, _, rest = rest.partition("/")
            self.send_simple(int(code) if code.isdigit() else 400,
                             b"status %s on purpose\n" % code.encode())
            return
        if behaviour == "error500":
            self.send_simple(500, b"error on purpose\n")
            return
        if behaviour == "notfound":
            self.send_simple(404, b"not found\n")
            return
        if behaviour == "htmlerror":
            # The file need not exist: a proxy answering for a dead backend never asked.
            self.send_simple(200, b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
                             b"<body><h1>Bad Gateway</h1><p>The upstream server is unavailable.</p></body></html>\n",
                             content_type="text/html; charset=utf-8")
            return
        if behaviour == "redirect":
            self.send_simple(302, b"", extra_headers={"Location": "/" + rest})
            return
        status = 200
        if behaviour == "file-status":
            code, _, rest = rest.partition("/")
            status = int(code) if code.isdigit() else 400
        file_path = fake_common.resolve_under(self.server.args.root, rest)
        if behaviour == "plain":
            self.serve_file(file_path, lambda: self.send_simple(404, b"not found\n"))
            return
        if file_path is None or not os.path.isfile(file_path):
            self.send_simple(404, b"not found\n")
            return
        with open(file_path, "rb") as f:
            body = f.read()
        if behaviour == "slow":
            self.send_slowly(body, int(query.get("chunk", 65536)), float(query.get("interval", 0.5)))
        elif behaviour == "reset":
            self.send_then_reset(body)
        elif behaviour == "short":
            self.send_short(body, int(query.get("missing", max(1, len(body)))))
        elif behaviour == "longer":
            self.send_longer(body, int(query.get("extra", min(1000, len(body)))))
        elif behaviour == "nolength":
            self.send_until_close(body)
        elif behaviour == "stall":
            self.send_then_stall(body)
        elif behaviour == "excess":
            self.send_with_excess(body)
        elif behaviour == "slowhead":
            time.sleep(float(query.get("delay", 2)))
            self.serve_file(file_path, lambda: self.send_simple(404, b"not found\n"))
        elif behaviour == "slowreset":
            self.send_slowly_then_reset(body, int(query.get("chunk", 65536)), float(query.get("interval", 0.05)))
        else:
            self.send_not_the_file(behaviour, status, body)

    def start_body(self, announced_length):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(announced_length))
        self.end_headers()
        self.wfile.flush()

    def send_slowly(self, body, chunk, interval):
        self.start_body(len(body))
        try:
            for offset in range(0, len(body), max(1, chunk)):
                self.wfile.write(body[offset:offset + chunk])
                self.wfile.flush()
                time.sleep(interval)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as a test of timeouts expects
        self.close_connection = True

    def send_with_excess(self, body):
        # A sloppy origin's bytes past its Content-Length: were the connection
        # reused, the next request would read them as its answer.
        self.start_body(len(body))
        self.wfile.write(body)
        self.wfile.flush()
        time.sleep(0.05)
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nPOISONED!!\n")
        self.wfile.flush()

    def send_slowly_then_reset(self, body, chunk, interval):
        self.start_body(len(body))
        try:
            for offset in range(0, len(body) // 2, max(1, chunk)):
                self.wfile.write(body[offset:min(offset + chunk, len(body) // 2)])
                self.wfile.flush()
                time.sleep(interval)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def send_then_reset(self, body):
        self.start_body(len(body))
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        # SO_LINGER with a zero timeout turns close() into a RST.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def send_until_close(self, body):
        # HTTP/1.1 §6.3 (RFC 9112): without Content-Length or chunking, the body ends at close.
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading, as a size limit does
        self.close_connection = True

    def send_then_stall(self, body):
        self.start_body(len(body))
        self.wfile.write(body[:1024])
        self.wfile.flush()
        time.sleep(60)
        self.close_connection = True

    def send_not_the_file(self, behaviour, status, body):
        """The success-looking answers listed in the docstring."""
        size = len(body)
        half = body[: size // 2]
        headers = [("Content-Type", "application/octet-stream")]
        if behaviour in ("partial", "ranged200"):
            status = 206 if behaviour == "partial" else 200
            headers += [("Content-Range", "bytes 0-%d/%d" % (len(half) - 1, size)),
                        ("Content-Length", str(len(half)))]
            body = half
        elif behaviour == "file-status" and status in (204, 205):
            # RFC 9110 §15.3.5, §15.3.6: no content; 205 may say so with Content-Length: 0.
            headers += [("Content-Length", "0")] if status == 205 else []
            body = b""
        elif behaviour == "encoded":
            body = gzip.compress(body)
            headers += [("Content-Encoding", "gzip"), ("Content-Length", str(len(body)))]
        elif behaviour == "twolengths":
            headers += [("Content-Length", str(size + 10)), ("Content-Length", str(size))]
        elif behaviour == "lengthlist":
            headers += [("Content-Length", "%d, %d" % (size, size + 10))]
        elif behaviour == "samelengths":
            headers += [("Content-Length", "%d, %d" % (size, size))]
        elif behaviour == "badlength":
            headers += [("Content-Length", "-%d" % size)]
        elif behaviour in ("nostore", "private", "privatefield"):
            value = {"nostore": "no-store", "private": "private, max-age=60",
                     "privatefield": 'private="Set-Cookie", max-age=60'}[behaviour]
            headers += [("Cache-Control", value), ("Content-Length", str(size))]
        elif behaviour == "cl-and-te":
            headers += [("Content-Length", str(size)), ("Transfer-Encoding", "chunked")]
            body = b"%x\r\n%s\r\n0\r\n\r\n" % (size, body) if size else b"0\r\n\r\n"
        else:
            headers += [("Content-Length", str(size))]
        self.send_head(status, headers)
        self.wfile.write(body)
        # Whatever the client made of the framing, this connection has said all it can.
        self.close_connection = True

    def send_longer(self, body, extra):
        self.start_body(len(body) - extra)
        self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True

    def send_short(self, body, missing):
        self.start_body(len(body) + missing)
        self.wfile.write(body)
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_WR)
        self.close_connection = True


def main():
    args = fake_common.base_arguments(__doc__.splitlines()[0]).parse_args()
    fake_common.run(Handler, args)


if __name__ == "__main__":
    main()
