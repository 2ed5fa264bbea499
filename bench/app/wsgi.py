"""The Flask app every spike benchmark runs behind uWSGI.

  /      sleeps 5 ms (BENCH_WORK_MS) and answers a short text: a typical small view.
  /hold  waits while the file named by BENCH_GATE exists, then answers: the memory benchmark closes the
         gate to hold requests inside the backend (and so in the proxy's queue), then opens it to drain.
"""
import os
import time

from flask import Flask

application = Flask(__name__)

WORK_SECONDS = float(os.environ.get("BENCH_WORK_MS", "5")) / 1000.0
GATE = os.environ.get("BENCH_GATE", "")


@application.route("/")
def index():
    time.sleep(WORK_SECONDS)
    return "hello from the benchmark app\n"


@application.route("/hold")
def hold():
    while GATE and os.path.exists(GATE):
        time.sleep(0.01)
    return "released\n"
