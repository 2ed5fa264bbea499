"""The Flask app every benchmark runs behind uWSGI or gunicorn.

  /        sleeps BENCH_WORK_MS (default 5 ms) and answers a short text: a typical small view. Under gunicorn's
           gevent worker `time.sleep` is monkey-patched, so the wait is I/O that yields to other requests.
  /health  sleeps 1 ms: a cheap health-check endpoint.
  /slow    sleeps BENCH_SLOW_MS (default 3000 ms): longer than the backend timeout Sluice is given.
  /big     streams BENCH_BIG_MB megabytes (default 300) in 256 KiB chunks: a large download.
  /upload  POST: reads the whole body and answers its length.
  /hold    waits while the file named by BENCH_GATE exists, then answers: the memory benchmark closes the
           gate to hold requests inside the backend (and so in the proxy's queue), then opens it to drain.
"""
import os
import time

from flask import Flask, Response, request

application = Flask(__name__)

WORK_SECONDS = float(os.environ.get("BENCH_WORK_MS", "5")) / 1000.0
SLOW_SECONDS = float(os.environ.get("BENCH_SLOW_MS", "3000")) / 1000.0
BIG_BYTES = int(float(os.environ.get("BENCH_BIG_MB", "300")) * 1000 * 1000)
GATE = os.environ.get("BENCH_GATE", "")
CHUNK = b"x" * (256 * 1024)


@application.route("/")
def index():
    time.sleep(WORK_SECONDS)
    return "hello from the benchmark app\n"


@application.route("/health")
def health():
    time.sleep(0.001)
    return "ok\n"


@application.route("/slow")
def slow():
    time.sleep(SLOW_SECONDS)
    return "slow\n"


@application.route("/big")
def big():
    def chunks():
        left = BIG_BYTES
        while left > 0:
            n = min(left, len(CHUNK))
            yield CHUNK if n == len(CHUNK) else CHUNK[:n]
            left -= n

    return Response(chunks(), mimetype="application/octet-stream", headers={"Content-Length": str(BIG_BYTES)})


@application.route("/upload", methods=["POST"])
def upload():
    n = len(request.get_data())
    return f"{n} bytes\n"


@application.route("/hold")
def hold():
    while GATE and os.path.exists(GATE):
        time.sleep(0.01)
    return "released\n"
