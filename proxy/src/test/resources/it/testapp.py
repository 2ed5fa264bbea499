"""A small WSGI app for Sluice's integration tests, served by real gunicorn and uWSGI processes: what the backend
received, and responses of every shape.

Routes:
  /?ms=D                  "ok" after D milliseconds (default 0)
  /echo                   the request body's length and SHA-256 with the request's method, path, query,
                          CONTENT_LENGTH, CONTENT_TYPE and Host, as JSON
  /environ...             the WSGI environ's strings as JSON (any path starting with /environ, so PATH_INFO
                          decoding can be seen); PATH_INFO and REQUEST_URI also as hex of their bytes, and
                          APP_RECEIVED_AT: the wall-clock time the app was called, Unix seconds as a decimal
  /big?n=N                N bytes (byte i is i % 251), with Content-Length, also for HEAD
  /stream?chunks=C&size=S&ms=D   C chunks of S bytes, D ms apart, without Content-Length
  /status?code=C&reason=R C R, with X-Test: yes, two Set-Cookie headers and a short body; no body for
                          204 and 304 (304 keeps an ETag and the representation's Content-Length)
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


def _json(start_response, doc):
    body = json.dumps(doc).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _bytes_hex(value):
    # PEP 3333: environ strings are the bytes received, decoded as ISO-8859-1.
    return value.encode("latin-1").hex()


def application(environ, start_response):
    received = time.time()
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
        return _json(start_response, {
            "length": total,
            "sha256": digest.hexdigest(),
            "method": environ["REQUEST_METHOD"],
            "path": path,
            "query": environ.get("QUERY_STRING", ""),
            "contentLength": environ.get("CONTENT_LENGTH", ""),
            "contentType": environ.get("CONTENT_TYPE", ""),
            "host": environ.get("HTTP_HOST", ""),
        })
    if path.startswith("/environ"):
        doc = {k: v for k, v in environ.items() if isinstance(v, str)}
        doc["PATH_INFO_HEX"] = _bytes_hex(path)
        doc["REQUEST_URI_HEX"] = _bytes_hex(environ.get("REQUEST_URI", ""))
        doc["APP_RECEIVED_AT"] = repr(received)
        return _json(start_response, doc)
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
        reason = _q(environ, "reason", "Custom Reason")
        status = "%d %s" % (code, reason)
        headers = [("X-Test", "yes"), ("Set-Cookie", "a=1; Path=/"), ("Set-Cookie", "b=2; Path=/")]
        if code == 204:
            start_response(status, headers)
            return []
        if code == 304:
            start_response(status, headers + [("ETag", '"v1"'), ("Content-Length", "1234")])
            return []
        body = ("status %d\n" % code).encode()
        start_response(status, headers + [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]
    start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "10")])
    return [b"not found\n"]
