"""A small WSGI app for Sluice's integration tests, served by real gunicorn and uWSGI processes.

Routes:
  /              "ok", after ?ms= milliseconds (default 0)
  /echo          the request body's length and SHA-256, with method, path, query and selected headers, as JSON
  /environ       the WSGI environ's strings, as JSON
  /big?n=N       N deterministic bytes (byte i is i % 251), with Content-Length
  /stream?chunks=C&size=S&ms=D   C chunks of S bytes, D ms apart, without Content-Length
  /status?code=C custom status C with an X-Test header
"""
import hashlib
import json
import time
from urllib.parse import parse_qs


def _q(environ, name, default):
    values = parse_qs(environ.get("QUERY_STRING", "")).get(name)
    return values[0] if values else default


def _pattern(n, start=0):
    block = bytes(i % 251 for i in range(251))
    out = bytearray()
    offset = start % 251
    while len(out) < n:
        out += block[offset:]
        offset = 0
    return bytes(out[:n])


def application(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    if path == "/":
        ms = int(_q(environ, "ms", "0"))
        if ms:
            time.sleep(ms / 1000.0)
        body = b"ok\n"
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]
    if path == "/echo":
        stream = environ["wsgi.input"]
        digest = hashlib.sha256()
        total = 0
        while True:
            chunk = stream.read(65536)
            if not chunk:
                break
            digest.update(chunk)
            total += len(chunk)
        doc = {
            "length": total,
            "sha256": digest.hexdigest(),
            "method": environ["REQUEST_METHOD"],
            "path": path,
            "query": environ.get("QUERY_STRING", ""),
            "contentLength": environ.get("CONTENT_LENGTH", ""),
            "contentType": environ.get("CONTENT_TYPE", ""),
            "host": environ.get("HTTP_HOST", ""),
        }
        body = json.dumps(doc).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]
    if path == "/environ":
        doc = {k: v for k, v in environ.items() if isinstance(v, str)}
        body = json.dumps(doc).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]
    if path == "/big":
        n = int(_q(environ, "n", "1048576"))
        start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(n))])

        def big():
            sent = 0
            while sent < n:
                size = min(65536, n - sent)
                yield _pattern(size, sent)
                sent += size
        return big()
    if path == "/stream":
        chunks = int(_q(environ, "chunks", "5"))
        size = int(_q(environ, "size", "1000"))
        ms = int(_q(environ, "ms", "0"))
        start_response("200 OK", [("Content-Type", "application/octet-stream")])

        def stream():
            for i in range(chunks):
                if ms and i:
                    time.sleep(ms / 1000.0)
                yield _pattern(size, i * size)
        return stream()
    if path == "/status":
        code = int(_q(environ, "code", "418"))
        body = ("status %d\n" % code).encode()
        start_response("%d Custom Reason" % code,
                       [("Content-Type", "text/plain"), ("X-Test", "yes"), ("Content-Length", str(len(body)))])
        return [body]
    start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "10")])
    return [b"not found\n"]
