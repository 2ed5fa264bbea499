"""Sluice beside direct, nginx and HAProxy on one machine in one run; writes RESULTS.md, raw JSON and PNG charts.

Run it through bench/run.sh, which installs what is missing and raises the open-files limit first.
"""
import argparse
import atexit
import datetime
import json
import os
import re
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import lib  # noqa: E402
import servers  # noqa: E402
from lib import log, median  # noqa: E402

WORK_MS = 5
# Sluice collects by itself once its queue has stayed empty for 10 s after a spike; RSS is read this long after a drain.
MEMORY_RETURN_WAIT_S = 20


class Plan:
    """How big and how long: the full run, or --quick for a smoke test of the scripts."""

    def __init__(self, quick, reps):
        self.quick = quick
        self.reps = reps or (1 if quick else 3)
        self.spike_sizes = [200, 1000] if quick else [1000, 5000, 15000]
        self.acceptance_size = 1000 if quick else 5000
        self.spike_timeout_s = 60 if quick else 180
        self.spike_warmup = [300] if quick else [1000, 2000]
        self.wrk_seconds = 3 if quick else 10
        self.wrk_warmup_seconds = 5
        self.wrk_warmup_min_runs = 2 if quick else 6
        self.wrk_warmup_max_runs = 3 if quick else 16
        self.profile_warmup_runs = 3 if quick else 12
        self.wrk_connections = 64
        self.wrk_threads = 1
        self.hey_seconds = 4 if quick else 15
        self.hey_rate = 100  # requests per second in all
        self.hey_workers = 2
        # A 5 ms backend passes about 400 requests/s; this many seconds of it lets the JVM compile Sluice's request
        # path before latency is measured (fewer, and the first minutes of p99 are the JIT's, not the proxy's).
        self.app_warmup_seconds = 5 if quick else 45
        self.memory_held = 1000 if quick else 10000
        self.chart_size = 1000 if quick else 5000
        self.profile_seconds = 5 if quick else 20


# --------------------------------------------------------------------------------------------------------------
# Spike absorption


SPIKE_CONFIGS = [
    # key, label, backend kind, proxy
    ("direct", "direct (uWSGI --http-socket, TCP)", "http-tcp", None),
    ("nginx", "nginx uwsgi_pass", "uwsgi-unix", "nginx"),
    ("haproxy", "HAProxy, no maxconn", "http-unix", "haproxy"),
    ("haproxy-mc3", "HAProxy, server maxconn 3", "http-unix", "haproxy-mc3"),
    ("sluice-uwsgi-auto", "Sluice uwsgi, limit auto", "uwsgi-unix", ("uwsgi", "auto")),
    ("sluice-uwsgi-3", "Sluice uwsgi, limit 3", "uwsgi-unix", ("uwsgi", "3")),
    ("sluice-http-auto", "Sluice http, limit auto", "http-unix", ("http", "auto")),
    ("sluice-http-3", "Sluice http, limit 3", "http-unix", ("http", "3")),
]


def spike(url, n, timeout_s, path=None):
    argv = ["java", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", servers.JAR, "spike", "-c", str(n),
            "--json", "--timeout", f"{timeout_s}s"]
    if path:
        argv += ["--path", path]
    argv.append(url)
    rc, out, err = lib.run(argv, timeout=timeout_s + 120)
    if rc not in (0, 1):
        raise RuntimeError(f"spike exited {rc}: {err[-1000:]}")
    return lib.parse_spike(out)


def spike_command(n, timeout_s, url="URL"):
    return (f"java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -jar proxy/target/sluice.jar spike -c {n} --json "
            f"--timeout {timeout_s}s {url}")


def summarize_spike(r):
    ok = r["statuses"].get("200", 0)
    elapsed = r["elapsedMs"] / 1000.0
    other = {f"{k} x {v}" for k, v in r["statuses"].items() if k != "200"}
    other |= {f"{k} x {v}" for k, v in r["failures"].items() if v}
    return {
        "requests": r["requests"], "ok": ok, "okPct": 100.0 * ok / r["requests"],
        "drain": ok / elapsed if elapsed > 0 else None, "elapsedS": elapsed,
        "p50": r["latencyMs"]["p50"], "p99": r["latencyMs"]["p99"], "max": r["latencyMs"]["max"],
        "other": sorted(other),
    }


def section_spike(plan, tmp, data, commands):
    log("spike: starting backends and proxies")
    backends = {
        "http-tcp": servers.uwsgi(tmp, "uwsgi-http-tcp", "http-tcp"),
        "http-unix": servers.uwsgi(tmp, "uwsgi-http-unix", "http-unix"),
        "uwsgi-unix": servers.uwsgi(tmp, "uwsgi-uwsgi-unix", "uwsgi-unix"),
    }
    timeout = plan.spike_timeout_s
    nofile = servers.nofile_limit()[1]
    targets = {}
    started = []
    try:
        for key, label, kind, proxy in SPIKE_CONFIGS:
            b = backends[kind]
            if proxy is None:
                targets[key] = b.url
                continue
            if proxy == "nginx":
                s = servers.nginx(tmp, "nginx-uwsgi", "nginx-uwsgi.conf", {
                    "BACKEND": b.address, "TIMEOUT_S": timeout, "NOFILE": nofile - 100,
                    "WORKER_CONNECTIONS": nofile - 200})
            elif proxy.__class__ is str and proxy.startswith("haproxy"):
                s = servers.haproxy(tmp, key, "haproxy-spike.cfg", {
                    "BACKEND": b.address, "TIMEOUT_S": timeout, "MAXCONN": max(plan.spike_sizes) + 1000,
                    "SERVER_MAXCONN": "maxconn 3" if proxy == "haproxy-mc3" else ""})
            else:
                protocol, limit = proxy
                s = servers.sluice(tmp, key, b.address, protocol=protocol, limit=limit,
                                   queue_timeout=f"{timeout}s")
            started.append(s)
            targets[key] = s.url
            commands[f"spike: {label}"] = s.proc.command() + (f"   # config: {os.path.basename(s.config)}"
                                                             if isinstance(s.config, str) else "")
        for kind, b in backends.items():
            commands[f"spike backend: uWSGI {kind}"] = b.proc.command()
        commands["spike client"] = spike_command("N", timeout)
        quiet = [b.address for b in backends.values()]

        log("spike: warm-up (not measured)")
        for key, *_ in SPIKE_CONFIGS:
            for n in plan.spike_warmup:
                r = spike(targets[key], n, timeout)
                lib.wait_quiet(quiet)
                log(f"  warm-up {key} {n}: {r['statuses']} failed {r['failed']}")

        runs = data.setdefault("spike", {})
        keys = [c[0] for c in SPIKE_CONFIGS]
        for n in plan.spike_sizes:
            for rep in range(plan.reps):
                order = keys[rep % len(keys):] + keys[:rep % len(keys)]
                if rep % 2 == 1:
                    order.reverse()
                for key in order:
                    load = lib.loadavg()
                    r = spike(targets[key], n, timeout)
                    s = summarize_spike(r)
                    s.update(rep=rep, loadavg=load, raw=r)
                    runs.setdefault(key, {}).setdefault(str(n), []).append(s)
                    log(f"spike {n} rep {rep + 1} {key}: {s['okPct']:.1f}% 200, {s['drain']:.0f}/s, "
                        f"p50 {s['p50']} p99 {s['p99']} {' '.join(s['other'])}")
                    lib.wait_quiet(quiet)
    finally:
        for s in started + list(backends.values()):
            s.stop()


# --------------------------------------------------------------------------------------------------------------
# Queue depth and in-flight over time


class StatusSampler(threading.Thread):
    """Polls GET /api/v1/status every 50 ms; keeps (t, queue.depth, sum of backends[].inflight)."""

    def __init__(self, port, interval=0.05):
        super().__init__(daemon=True)
        self.url = f"http://127.0.0.1:{port}/api/v1/status"
        self.interval = interval
        self.samples = []
        self.stop_flag = threading.Event()
        self.t0 = None

    def probe(self):
        try:
            with urllib.request.urlopen(self.url, timeout=2) as r:
                doc = json.load(r)
            doc["queue"]["depth"]
            return None
        except urllib.error.HTTPError as e:
            return f"GET /api/v1/status answered {e.code}"
        except (OSError, ValueError, KeyError, TypeError) as e:
            return f"GET /api/v1/status failed: {e}"

    def run(self):
        self.t0 = time.monotonic()
        nxt = self.t0
        while not self.stop_flag.is_set():
            try:
                with urllib.request.urlopen(self.url, timeout=1) as r:
                    doc = json.load(r)
                depth = doc["queue"]["depth"]
                inflight = sum(b.get("inflight", 0) for b in doc.get("backends", []))
                self.samples.append((time.monotonic() - self.t0, depth, inflight))
            except (OSError, ValueError, KeyError, TypeError):
                pass
            nxt += self.interval
            time.sleep(max(0.0, nxt - time.monotonic()))


def section_queue_chart(plan, tmp, data, commands):
    b = servers.uwsgi(tmp, "uwsgi-chart", "http-unix")
    s = servers.sluice(tmp, "sluice-chart", b.address, protocol="http", limit="auto",
                       queue_timeout=f"{plan.spike_timeout_s}s")
    try:
        commands["queue chart: Sluice"] = s.proc.command()
        for _ in plan.spike_warmup:
            spike(s.url, 1000 if not plan.quick else 300, plan.spike_timeout_s)
        lib.wait_quiet([b.address])
        sampler = StatusSampler(s.admin_port)
        problem = sampler.probe()
        if problem is not None:
            raise RuntimeError(problem)
        sampler.start()
        time.sleep(0.5)
        r = spike(s.url, plan.chart_size, plan.spike_timeout_s)
        time.sleep(1.0)
        sampler.stop_flag.set()
        sampler.join()
        data["queueChart"] = {"samples": sampler.samples, "spike": summarize_spike(r), "size": plan.chart_size}
        log(f"queue chart: {len(sampler.samples)} samples")
    finally:
        s.stop()
        b.stop()


# --------------------------------------------------------------------------------------------------------------
# Overhead: keep-alive throughput to a fast backend


def wrk(plan, url, seconds):
    argv = ["wrk", "-t", str(plan.wrk_threads), "-c", str(plan.wrk_connections), "-d", f"{seconds}s", "--latency",
            url]
    rc, out, err = lib.run(argv, timeout=seconds + 60)
    if rc != 0:
        raise RuntimeError(f"wrk exited {rc}: {err}")
    return lib.parse_wrk(out), out


def warm(plan, key, url, min_runs=None):
    """wrk runs of a few seconds, at least `min_runs` of them, until two in a row agree within 5% (the JVM's
    compilers are done), at most wrk_warmup_max_runs."""
    min_runs = min_runs or plan.wrk_warmup_min_runs
    last = None
    for i in range(max(min_runs, plan.wrk_warmup_max_runs)):
        r, _ = wrk(plan, url, plan.wrk_warmup_seconds)
        log(f"  warm-up {key}: {r['rps']:.0f} req/s")
        if i + 1 >= min_runs and last and r["rps"] and abs(r["rps"] - last) <= 0.05 * max(last, r["rps"]):
            return
        last = r["rps"]


def start_fast_proxies(plan, tmp, fast, commands, prefix, with_fixed_limit=True):
    """The proxies in front of the fast backend; returns [(key, label, url, server or None)]."""
    out = [("direct", "direct (nginx on TCP)", fast.url, None)]
    h = servers.haproxy(tmp, f"{prefix}-haproxy", "haproxy-proxy.cfg", {"BACKEND": fast.socket})
    out.append(("haproxy", "HAProxy 2 threads", h.url, h))
    n = servers.nginx(tmp, f"{prefix}-nginx", "nginx-proxy.conf", {"BACKEND": fast.socket})
    out.append(("nginx", "nginx proxy_pass, 2 workers", n.url, n))
    sa = servers.sluice(tmp, f"{prefix}-sluice-auto", fast.socket, protocol="http", limit="auto")
    out.append(("sluice", "Sluice, limit auto", sa.url, sa))
    if with_fixed_limit:
        s64 = servers.sluice(tmp, f"{prefix}-sluice-64", fast.socket, protocol="http", limit="64")
        out.append(("sluice-64", "Sluice, limit 64", s64.url, s64))
    for key, label, url, s in out:
        if s is not None:
            commands[f"{prefix}: {label}"] = s.proc.command() + (
                f"   # config: {os.path.basename(s.config)}" if isinstance(s.config, str) else "")
    commands[f"{prefix}: fast backend"] = fast.proc.command() + "   # config: nginx-backend.conf"
    return out


def section_overhead(plan, tmp, data, commands):
    fast = servers.nginx_unix_backend(tmp, "fast-backend", workers=1)
    proxies = []
    try:
        proxies = start_fast_proxies(plan, tmp, fast, commands, "overhead")
        commands["overhead client"] = (f"wrk -t {plan.wrk_threads} -c {plan.wrk_connections} "
                                       f"-d {plan.wrk_seconds}s --latency URL")
        log("overhead: warm-up (not measured)")
        for key, label, url, s in proxies:
            warm(plan, key, url)
        runs = data.setdefault("overhead", {})
        keys = [p[0] for p in proxies]
        by_key = {p[0]: p for p in proxies}
        for rep in range(plan.reps):
            order = keys[rep % len(keys):] + keys[:rep % len(keys)]
            if rep % 2 == 1:
                order.reverse()
            for key in order:
                load = lib.loadavg()
                server = by_key[key][3]
                pids = [fast.proc.pid] + ([server.proc.pid] if server else [])
                cpu0 = [lib.cpu_seconds(p) for p in pids]
                r, raw = wrk(plan, by_key[key][2], plan.wrk_seconds)
                cpu1 = [lib.cpu_seconds(p) for p in pids]
                n = r["requests"] or 1
                r["backendUsPerReq"] = (cpu1[0] - cpu0[0]) * 1e6 / n
                r["proxyUsPerReq"] = (cpu1[1] - cpu0[1]) * 1e6 / n if server else None
                r.update(rep=rep, loadavg=load, raw=raw)
                runs.setdefault(key, []).append(r)
                log(f"overhead rep {rep + 1} {key}: {r['rps']:.0f} req/s p50 {r['p50']} ms p99 {r['p99']} ms "
                    f"errors {r['errors']} non2xx {r['non2xx']}; CPU per request: proxy "
                    f"{fmt(r['proxyUsPerReq'], 1)} us, backend {r['backendUsPerReq']:.1f} us")
        data["overheadLabels"] = {p[0]: p[1] for p in proxies}
    finally:
        for *_, s in proxies:
            if s is not None:
                s.stop()
        fast.stop()


# --------------------------------------------------------------------------------------------------------------
# Latency added at low load


def hey(plan, url):
    per_worker = plan.hey_rate / plan.hey_workers
    argv = ["hey", "-z", f"{plan.hey_seconds}s", "-c", str(plan.hey_workers), "-q", f"{per_worker:g}", url]
    rc, out, err = lib.run(argv, timeout=plan.hey_seconds + 60)
    if rc != 0:
        raise RuntimeError(f"hey exited {rc}: {err}")
    return lib.parse_hey(out), out


def section_latency(plan, tmp, data, commands):
    fast = servers.nginx_unix_backend(tmp, "lat-fast-backend", workers=1)
    app_tcp = servers.uwsgi(tmp, "lat-uwsgi-http-tcp", "http-tcp")
    app_http = servers.uwsgi(tmp, "lat-uwsgi-http-unix", "http-unix")
    app_uwsgi = servers.uwsgi(tmp, "lat-uwsgi-uwsgi-unix", "uwsgi-unix")
    started = [fast, app_tcp, app_http, app_uwsgi]
    try:
        targets = []
        for key, label, url, s in start_fast_proxies(plan, tmp, fast, commands, "latency", with_fixed_limit=False):
            targets.append(("fast", key, label, url))
            if s:
                started.append(s)
        targets.append(("app", "direct", "direct (uWSGI --http-socket, TCP)", app_tcp.url))
        s = servers.sluice(tmp, "lat-sluice-http", app_http.address, protocol="http", limit="auto")
        started.append(s)
        targets.append(("app", "sluice", "Sluice http, limit auto", s.url))
        s = servers.sluice(tmp, "lat-sluice-uwsgi", app_uwsgi.address, protocol="uwsgi", limit="auto")
        started.append(s)
        targets.append(("app", "sluice-uwsgi", "Sluice uwsgi, limit auto", s.url))
        n = servers.nginx(tmp, "lat-nginx-uwsgi", "nginx-uwsgi.conf", {
            "BACKEND": app_uwsgi.address, "TIMEOUT_S": 60, "NOFILE": 16384, "WORKER_CONNECTIONS": 8192})
        started.append(n)
        targets.append(("app", "nginx", "nginx uwsgi_pass", n.url))
        h = servers.haproxy(tmp, "lat-haproxy-app", "haproxy-proxy.cfg", {"BACKEND": app_http.address})
        started.append(h)
        targets.append(("app", "haproxy", "HAProxy 2 threads", h.url))
        for s in started[4:]:
            if not any(v.startswith(s.proc.command()) for v in commands.values()):
                commands[f"latency: {s.name}"] = s.proc.command()
        per_worker = plan.hey_rate / plan.hey_workers
        commands["latency client"] = f"hey -z {plan.hey_seconds}s -c {plan.hey_workers} -q {per_worker:g} URL"

        log("latency: warm-up (not measured)")
        for backend, key, label, url in targets:
            if backend == "fast":
                warm(plan, f"{backend}/{key}", url)
            else:
                wrk(plan, url, plan.app_warmup_seconds)
        runs = data.setdefault("latency", {})
        labels = data.setdefault("latencyLabels", {})
        for rep in range(plan.reps):
            order = targets[rep % len(targets):] + targets[:rep % len(targets)]
            if rep % 2 == 1:
                order.reverse()
            for backend, key, label, url in order:
                labels[f"{backend}/{key}"] = label
                r, raw = hey(plan, url)
                r.update(rep=rep, loadavg=lib.loadavg(), raw=raw)
                runs.setdefault(f"{backend}/{key}", []).append(r)
                log(f"latency rep {rep + 1} {backend}/{key}: {r['rps']:.0f} req/s p50 {r['p50']:.2f} ms "
                    f"p99 {r['p99']:.2f} ms {r['statuses']}")
    finally:
        for s in reversed(started):
            s.stop()


# --------------------------------------------------------------------------------------------------------------
# Memory: 10,000 requests held in the queue


def section_memory(plan, tmp, data, commands):
    gate = os.path.join(tmp, "gate")
    b = servers.uwsgi(tmp, "mem-uwsgi", "http-unix", env={"BENCH_GATE": gate})
    s = servers.sluice(tmp, "mem-sluice", b.address, protocol="http", limit="1", queue_timeout="600s")
    commands["memory: backend"] = b.proc.command()
    commands["memory: Sluice"] = s.proc.command()
    commands["memory: held requests"] = spike_command(plan.memory_held, 600, "--path /hold URL")
    pid = s.proc.pid
    m = {"held": plan.memory_held}
    holder = None
    try:
        log("memory: warm-up")
        for _ in plan.spike_warmup:
            spike(s.url, 1000 if not plan.quick else 300, plan.spike_timeout_s)
        lib.wait_quiet([b.address])
        time.sleep(2)
        m["rssBeforeKiB"] = lib.rss_kib(pid)
        m["heapBeforeKiB"], m["heapCommittedBeforeKiB"] = lib.heap_used_kib(pid)
        m["rssBeforeAfterGcKiB"] = lib.rss_kib(pid)
        hist_before = lib.class_histogram(pid)
        fds_before = lib.fd_count(pid)
        with open(gate, "w"):
            pass
        argv = ["java", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", servers.JAR, "spike", "-c",
                str(plan.memory_held), "--json", "--timeout", "600s", "--path", "/hold", s.url]
        holder = lib.Proc("mem-holder", argv, os.path.join(tmp, "mem-holder.out")).start()
        deadline = time.monotonic() + 180
        while lib.fd_count(pid) < fds_before + plan.memory_held and time.monotonic() < deadline:
            if not holder.alive():
                raise RuntimeError("the holding spike ended early: " + holder.log_tail())
            time.sleep(0.5)
        m["fdsHeld"] = lib.fd_count(pid) - fds_before
        time.sleep(2)
        m["rssHeldKiB"] = lib.rss_kib(pid)
        m["heapHeldKiB"], m["heapCommittedHeldKiB"] = lib.heap_used_kib(pid)
        m["rssHeldAfterGcKiB"] = lib.rss_kib(pid)
        m["bytesPerHeld"] = (m["heapHeldKiB"] - m["heapBeforeKiB"]) * 1024 / plan.memory_held
        hist_held = lib.class_histogram(pid)
        growth = []
        for cls, (count, size) in hist_held.items():
            c0, s0 = hist_before.get(cls, (0, 0))
            if size - s0 > 0:
                growth.append((cls, count - c0, size - s0))
        growth.sort(key=lambda g: -g[2])
        m["histogramGrowth"] = growth[:20]
        m["histogramGrowthTotal"] = sum(g[2] for g in growth)
        log(f"memory: {m['fdsHeld']} descriptors held; heap {m['heapBeforeKiB']} -> {m['heapHeldKiB']} KiB; "
            f"{m['bytesPerHeld']:.0f} B per held request; RSS {m['rssBeforeKiB']} -> {m['rssHeldKiB']} KiB")
        t_open = time.monotonic()
        os.unlink(gate)
        holder.popen.wait(timeout=900)
        m["drainS"] = time.monotonic() - t_open
        with open(holder.logfile) as f:
            r = lib.parse_spike(f.read())
        m["spike"] = summarize_spike(r)
        time.sleep(2)
        m["rssAfterDrainKiB"] = lib.rss_kib(pid)
        # Sluice gives the heap back by itself once its queue has stayed empty for 10 s after a spike; nothing is
        # forced here until that has had its chance.
        time.sleep(MEMORY_RETURN_WAIT_S - 2)
        m["rssIdleKiB"] = lib.rss_kib(pid)
        m["heapAfterKiB"], m["heapCommittedAfterKiB"] = lib.heap_used_kib(pid)
        time.sleep(1)
        m["rssAfterGcKiB"] = lib.rss_kib(pid)
        m["nmt"] = None
        log(f"memory: drained in {m['drainS']:.1f}s ({m['spike']['okPct']:.1f}% 200); RSS 2 s after the drain "
            f"{m['rssAfterDrainKiB']} KiB, {MEMORY_RETURN_WAIT_S} s after {m['rssIdleKiB']} KiB, after a forced GC "
            f"{m['rssAfterGcKiB']} KiB")
        data["memory"] = m
    finally:
        if holder is not None:
            holder.stop()
        if os.path.exists(gate):
            os.unlink(gate)
        s.stop()
        b.stop()


# --------------------------------------------------------------------------------------------------------------
# Profile (JFR) of Sluice in the overhead test; not part of the measured figures


def section_profile(plan, tmp, data, commands):
    fast = servers.nginx_unix_backend(tmp, "prof-backend", workers=1)
    jfr = os.path.join(tmp, "overhead.jfr")
    perf_data = os.path.join(tmp, "perf.data")
    # Frame pointers let perf walk Java stacks; a separate run, so the measured figures do not pay for it.
    s = servers.sluice(tmp, "prof-sluice", fast.socket, protocol="http", limit="auto",
                       java_opts="-XX:+PreserveFramePointer")
    pid = s.proc.pid
    perf = shutil.which("perf")
    try:
        commands["profile: Sluice"] = "SLUICE_JAVA_OPTS=-XX:+PreserveFramePointer " + s.proc.command()
        commands["profile: recording"] = (f"jcmd PID JFR.start name=bench settings=profile; wrk ... "
                                          f"{plan.profile_seconds}s; jcmd PID JFR.stop name=bench filename=F"
                                          + ("; perf record -F 499 -g -p PID; jcmd PID Compiler.perfmap"
                                             if perf else ""))
        warm(plan, "profiled Sluice", s.url, min_runs=plan.profile_warmup_runs)
        lib.jcmd(pid, "JFR.start", "name=bench", "settings=profile")
        perf_proc = None
        if perf:
            perf_proc = subprocess.Popen([perf, "record", "-F", "499", "-g", "-p", str(pid), "-o", perf_data, "--",
                                          "sleep", str(max(1, plan.profile_seconds - 2))],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        r, _ = wrk(plan, s.url, plan.profile_seconds)
        lib.jcmd(pid, "JFR.stop", "name=bench", f"filename={jfr}")
        data["profile"] = profile_summary(jfr)
        data["profile"]["rps"] = r["rps"]
        shutil.copy(jfr, os.path.join(OUT, "raw", "overhead.jfr"))
        if perf_proc is not None:
            perf_proc.wait(timeout=120)
            lib.jcmd(pid, "Compiler.perfmap")
            data["profile"]["perf"] = perf_summary(perf, perf_data)
    finally:
        s.stop()
        fast.stop()
        if os.path.exists(f"/tmp/perf-{pid}.map"):
            os.unlink(f"/tmp/perf-{pid}.map")


def perf_summary(perf, perf_data, top=25):
    """Where Sluice's CPU goes by perf samples: kernel, JIT-compiled code by package, other native code."""
    p = subprocess.run([perf, "report", "-i", perf_data, "--no-children", "--sort", "dso,sym", "-g", "none",
                        "--stdio"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, timeout=600)
    groups, symbols = {}, []
    for line in p.stdout.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = re.match(r"\s*([\d.]+)%\s+(.*?)\s+\[(.)\]\s+(.*)$", line)
        if not m:
            continue
        pct, dso, kind, sym = float(m.group(1)), m.group(2).strip(), m.group(3), m.group(4).strip()
        if "kernel" in dso:
            g = "kernel (system calls, TCP/Unix socket work, scheduling)"
        elif dso.startswith("[JIT]"):
            name = re.sub(r"^\S+\s+", "", sym) if " " in sym else sym
            g = "other JIT-compiled code"
            for prefix, label in (("io.sluice.", "Sluice (JIT, with what it inlines)"),
                                  ("io.vertx.", "Vert.x (JIT)"), ("io.netty.", "Netty (JIT)"),
                                  ("java.", "JDK (JIT)"), ("jdk.", "JDK (JIT)")):
                if name.startswith(prefix) or f" {prefix}" in sym:
                    g = label
                    break
        elif "libjvm" in dso:
            g = "JVM (GC, compiler, runtime)"
        else:
            g = "other native code (libc, vdso, Netty's JNI)"
        groups[g] = groups.get(g, 0.0) + pct
        symbols.append((pct, sym if len(sym) < 160 else sym[:157] + "..."))
    return {"groups": sorted(groups.items(), key=lambda kv: -kv[1]), "top": symbols[:top]}


def frame_name(f):
    return f"{f['method']['type']['name'].replace('/', '.')}.{f['method']['name']}"


def profile_summary(jfr, top=15):
    """Top frames of the execution samples (self and total) and the top allocation sites, from `jfr print --json`."""
    out = subprocess.run(["jfr", "print", "--json", "--stack-depth", "64", "--events", "jdk.ExecutionSample", jfr],
                         stdout=subprocess.PIPE, text=True, timeout=600).stdout
    samples = json.loads(out)["recording"]["events"]
    self_count, total_count, thread_count = {}, {}, {}
    for e in samples:
        frames = e["values"]["stackTrace"]["frames"] if e["values"].get("stackTrace") else []
        names = [frame_name(f) for f in frames]
        if not names:
            continue
        self_count[names[0]] = self_count.get(names[0], 0) + 1
        for n in set(names):
            total_count[n] = total_count.get(n, 0) + 1
        t = e["values"].get("sampledThread", {}).get("javaName", "?")
        t = t.rstrip("0123456789-")
        thread_count[t] = thread_count.get(t, 0) + 1
    n = len(samples)
    out = subprocess.run(["jfr", "print", "--json", "--stack-depth", "64", "--events", "jdk.ObjectAllocationSample",
                          jfr],
                         stdout=subprocess.PIPE, text=True, timeout=600).stdout
    allocs = sorted(json.loads(out)["recording"]["events"], key=lambda e: e["values"].get("startTime", ""))
    alloc_site, alloc_class = {}, {}
    seen_threads = set()
    for e in allocs:
        # A thread's first sample is weighted with everything it allocated before the recording started.
        thread = (e["values"].get("eventThread") or {}).get("javaThreadId")
        if thread not in seen_threads:
            seen_threads.add(thread)
            continue
        w = e["values"].get("weight", 0)
        cls = e["values"]["objectClass"]["name"].replace("/", ".")
        alloc_class[cls] = alloc_class.get(cls, 0) + w
        frames = e["values"]["stackTrace"]["frames"] if e["values"].get("stackTrace") else []
        names = [frame_name(f) for f in frames]
        site = next((n for n in names if n.startswith("io.sluice.")), None)
        if site is None:
            outside = next((n for n in names if not n.startswith(("java.", "jdk.", "sun."))), "?")
            site = f"{outside} (no Sluice frame)"
        alloc_site[site] = alloc_site.get(site, 0) + w

    def ranked(d, k=top):
        return sorted(d.items(), key=lambda kv: -kv[1])[:k]

    total_alloc = sum(alloc_class.values()) or 1
    sluice_total = sum(v for k, v in self_count.items() if k.startswith("io.sluice."))
    return {"samples": n, "self": ranked(self_count), "total": ranked(
        {k: v for k, v in total_count.items() if k.startswith(("io.sluice.", "io.vertx.", "io.netty."))}),
            "threads": ranked(thread_count, 6), "sluiceSelf": sluice_total,
            "allocBytes": total_alloc, "allocSites": ranked(alloc_site), "allocClasses": ranked(alloc_class)}


# --------------------------------------------------------------------------------------------------------------
# Report

OUT = None


def machine_info():
    def sh(cmd):
        try:
            p = subprocess.run(cmd, shell=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               timeout=30)
            return p.stdout.strip()
        except Exception as e:
            return f"({e})"

    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    soft, hard = servers.nofile_limit()
    mem = sh("awk '/MemTotal/ {printf \"%.1f GiB\", $2/1048576}' /proc/meminfo")
    return {
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "nproc": os.cpu_count(), "cpu": cpu, "kernel": platform.release(), "memory": mem,
        "somaxconn": servers.somaxconn(), "nofile": f"{soft} (hard {hard})",
        "tcp_max_syn_backlog": sh("cat /proc/sys/net/ipv4/tcp_max_syn_backlog"),
        "java": sh("java -version 2>&1 | head -2 | tr '\\n' ' '"),
        "nginx": sh("nginx -v 2>&1"), "haproxy": sh("haproxy -v | head -1"),
        "uwsgi": sh("uwsgi --version"), "wrk": sh("wrk -v 2>&1 | head -1"),
        "hey": sh("dpkg-query -W -f '${Version}' hey 2>/dev/null || echo unknown"),
        "flask": sh("/usr/bin/python3 -c 'import flask, sys; print(flask.__version__, sys.version.split()[0])'"),
        "sluice": sh(f"git -C {servers.ROOT} describe --always --dirty --abbrev=12"),
    }


def fmt(v, digits=0, unit=""):
    if v is None:
        return "–"
    if isinstance(v, float):
        v = round(v, digits)
        v = f"{v:,.{digits}f}"
    return f"{v}{unit}"


def fmt_ms(v):
    if v is None:
        return "–"
    if v >= 1000:
        return f"{v / 1000:.2f} s"
    if v >= 10:
        return f"{v:.0f} ms"
    return f"{v:.2f} ms"


def signed_ms(v):
    return "–" if v is None else ("+" if v >= 0 else "") + fmt_ms(v)


def spike_rows(data, n):
    rows = []
    for key, label, *_ in SPIKE_CONFIGS:
        runs = data.get("spike", {}).get(key, {}).get(str(n), [])
        if not runs:
            continue
        med = {k: median([r[k] for r in runs]) for k in ("okPct", "drain", "p50", "p99")}
        med_run = sorted(runs, key=lambda r: r["drain"] or 0)[len(runs) // 2]
        rows.append((key, label, med, runs, med_run))
    return rows


def write_report(plan, data, commands, note, path):
    m = data["machine"]
    L = []
    L.append(f"# Sluice benchmarks — {m['date']}")
    L.append("")
    if note:
        L.append(f"> **{note}**")
        L.append("")
    L.append(f"Produced by `bench/run.sh{' --quick' if plan.quick else ''}` (Sluice `{m['sluice']}`). "
             f"Every figure is the median of {plan.reps} run{'s' if plan.reps > 1 else ''} taken in alternating "
             "order (each repetition rotates, and every other one reverses, the order of the set-ups), after "
             "unmeasured warm-up runs of every set-up. Raw runs: `raw/results.json`.")
    for u in data.get("updates", []):
        L.append(f"Re-run later with `--update`: {', '.join(u['sections'])} ({u['date']}, Sluice `{u['sluice']}`).")
    L.append("")
    L.append("## Machine")
    L.append("")
    L.append("| | |")
    L.append("| --- | --- |")
    for k, label in (("nproc", "CPUs (nproc)"), ("cpu", "CPU model"), ("kernel", "kernel"), ("memory", "memory"),
                     ("somaxconn", "net.core.somaxconn"), ("tcp_max_syn_backlog", "net.ipv4.tcp_max_syn_backlog"),
                     ("nofile", "open files (ulimit -n)"), ("java", "Java"), ("nginx", "nginx"),
                     ("haproxy", "HAProxy"), ("uwsgi", "uWSGI"), ("flask", "Flask, Python"), ("wrk", "wrk"),
                     ("hey", "hey")):
        L.append(f"| {label} | {m.get(k, '?')} |")
    L.append(f"| load average at start / end | {data.get('loadStart', '?')} / {data.get('loadEnd', '?')} |")
    L.append("")
    L.append("Everything — clients, proxies and backends — runs on this one machine, so every set-up competes "
             "with its load generator for the same CPUs; compare set-ups within a table, not with other machines.")
    L.append("")

    # Spike
    if "spike" in data:
        L.append("## 1. Spike absorption")
        L.append("")
        L.append(f"N concurrent one-shot requests (one connection each, `Connection: close`, all connects issued "
                 f"at once) against a Flask app on uWSGI with 2 processes, `--listen 100`, {WORK_MS} ms per "
                 f"request. *Drain rate* = 200 responses / time from the first connect to the last response. "
                 f"Timeouts: client {plan.spike_timeout_s} s; queue timeouts of HAProxy and Sluice "
                 f"{plan.spike_timeout_s} s (so nothing is cut short by a default). Failure classes are those of "
                 f"the run with the median drain rate.")
        L.append("")
        for n in plan.spike_sizes:
            L.append(f"### {n:,} concurrent requests")
            L.append("")
            L.append("| set-up | 200 (%) | drain rate (200/s) | p50 | p99 | other outcomes (median run) |")
            L.append("| --- | ---: | ---: | ---: | ---: | --- |")
            for key, label, med, runs, med_run in spike_rows(data, n):
                pcts = " / ".join(f"{r['okPct']:.1f}" for r in runs)
                L.append(f"| {label} | {fmt(med['okPct'], 1)} <sub>({pcts})</sub> | {fmt(med['drain'])} | "
                         f"{fmt_ms(med['p50'])} | {fmt_ms(med['p99'])} | {', '.join(med_run['other']) or '—'} |")
            L.append("")
        if os.path.exists(os.path.join(OUT, "spike-success.png")):
            L.append("![share answered 200](spike-success.png) ![drain rate](spike-drain.png)")
            L.append("")
        # The drain-rate target against HAProxy with a hand-tuned maxconn
        n = plan.acceptance_size
        runs = data["spike"]
        L.append(f"### Drain rate against HAProxy `maxconn 3`: {n:,}-connection spike, Sluice http")
        L.append("")
        L.append("Same backend (uWSGI `--http-socket` on a Unix socket, 2 processes, listen 100, 5 ms), same run, "
                 "alternated. Ratio = Sluice drain rate / HAProxy drain rate of the same repetition; target ≥ 0.95 "
                 "with 100% answered 200.")
        L.append("")
        L.append("| Sluice set-up | rep | Sluice 200 (%) | Sluice 200/s | HAProxy mc3 200 (%) | HAProxy mc3 200/s | "
                 "ratio |")
        L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        acc = {}
        for key in ("sluice-http-auto", "sluice-http-3"):
            ratios = []
            s_runs = runs.get(key, {}).get(str(n), [])
            h_runs = runs.get("haproxy-mc3", {}).get(str(n), [])
            for a, h in zip(s_runs, h_runs):
                ratio = a["drain"] / h["drain"] if a["drain"] and h["drain"] else None
                ratios.append(ratio)
                L.append(f"| {key} | {a['rep'] + 1} | {a['okPct']:.1f} | {fmt(a['drain'])} | {h['okPct']:.1f} | "
                         f"{fmt(h['drain'])} | {fmt(ratio, 3)} |")
            if ratios:
                acc[key] = {"ratio": median(ratios), "allOk": all(r["okPct"] == 100.0 for r in s_runs),
                            "sluice": median([r["drain"] for r in s_runs]),
                            "haproxy": median([r["drain"] for r in h_runs])}
        L.append("")
        for key, a in acc.items():
            verdict = "meets" if a["ratio"] is not None and a["ratio"] >= 0.95 and a["allOk"] else "misses"
            L.append(f"- **{key}**: median ratio **{fmt(a['ratio'], 3)}** (median drain {fmt(a['sluice'])} vs "
                     f"{fmt(a['haproxy'])} 200/s), all runs 100% 200: {'yes' if a['allOk'] else 'no'} — "
                     f"{verdict} the target.")
        data["acceptance"] = acc
        L.append("")

    # Overhead
    if "overhead" in data:
        L.append("## 2. Overhead: keep-alive throughput to a fast backend")
        L.append("")
        L.append(f"wrk, {plan.wrk_connections} keep-alive connections, {plan.wrk_threads} thread (more wrk threads "
                 f"would take CPU from the proxies on a 2-core machine), {plan.wrk_seconds} s per run, against "
                 "nginx `return 200` (1 worker) on a Unix socket — on TCP for *direct*. HAProxy `nbthread 2`, nginx "
                 "`worker_processes 2` with upstream `keepalive 64`, Sluice with its default 2 event loops; all keep "
                 "connections to the backend alive. Before measuring, each set-up gets at least "
                 f"{plan.wrk_warmup_min_runs} wrk runs of {plan.wrk_warmup_seconds} s, more until two in a row "
                 f"agree within 5% (at most {plan.wrk_warmup_max_runs}), so the JVM's compilers are done. "
                 "*Proxy CPU per request* = user + system CPU time of the proxy's "
                 "processes (from `/proc/PID/stat`) during the run / requests completed: what each proxy spends, "
                 "independent of how the 2 CPUs were shared.")
        L.append("")
        L.append("| set-up | req/s | p50 | p99 | proxy CPU per request | errors / non-2xx | runs (req/s) |")
        L.append("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
        labels = data.get("overheadLabels", {})
        for key, runs in data["overhead"].items():
            cpu = median([r.get("proxyUsPerReq") for r in runs])
            L.append(f"| {labels.get(key, key)} | {fmt(median([r['rps'] for r in runs]))} | "
                     f"{fmt_ms(median([r['p50'] for r in runs]))} | {fmt_ms(median([r['p99'] for r in runs]))} | "
                     f"{fmt(cpu, 1, ' µs') if cpu is not None else '—'} | "
                     f"{sum(r['errors'] for r in runs)} / {sum(r['non2xx'] for r in runs)} | "
                     f"{', '.join(fmt(r['rps']) for r in runs)} |")
        L.append("")
        h = data["overhead"].get("haproxy", [])
        for key in ("sluice", "sluice-64"):
            s = data["overhead"].get(key, [])
            ratios = [a["rps"] / b["rps"] for a, b in zip(s, h) if a["rps"] and b["rps"]]
            if ratios:
                r = median(ratios)
                data.setdefault("overheadRatio", {})[key] = r
                L.append(f"- **{labels.get(key, key)} / HAProxy: {r:.3f}** (median of the per-repetition ratios "
                         f"{', '.join(f'{x:.3f}' for x in ratios)}; target ≥ 0.9) — "
                         f"{'meets' if r >= 0.9 else 'misses'} the target.")
        L.append("")
        if os.path.exists(os.path.join(OUT, "overhead.png")):
            L.append("![keep-alive throughput](overhead.png)")
            L.append("")

    # Memory
    if "memory" in data:
        mm = data["memory"]
        L.append(f"## 3. Memory: {mm['held']:,} requests held in the queue")
        L.append("")
        L.append("Sluice `--limit 1` in front of uWSGI (`--http-socket`, Unix) whose `/hold` endpoint waits while a "
                 f"gate file exists. With the gate closed, {mm['held']:,} one-shot requests are opened; one waits "
                 "inside the backend, the rest in Sluice's queue. Heap used is read with `jcmd PID GC.heap_info` "
                 "right after `jcmd PID GC.run`; RSS is `VmRSS` of `/proc/PID/status`. Then the gate opens and "
                 "the queue drains. One run, not a median: live-object counts vary little between runs "
                 "(5,168 to 5,180 bytes per held request in the runs made while building this section).")
        L.append("")
        kib = lambda v: f"{v / 1024:,.1f} MiB" if v is not None else "–"  # noqa: E731
        L.append("| | heap used (after GC) | heap committed | RSS |")
        L.append("| --- | ---: | ---: | ---: |")
        L.append(f"| before the spike (after warm-up) | {kib(mm['heapBeforeKiB'])} | "
                 f"{kib(mm['heapCommittedBeforeKiB'])} | {kib(mm['rssBeforeKiB'])} |")
        L.append(f"| {mm['held']:,} held ({mm['fdsHeld']:,} more descriptors open) | {kib(mm['heapHeldKiB'])} | "
                 f"{kib(mm['heapCommittedHeldKiB'])} | {kib(mm['rssHeldKiB'])} (after GC: "
                 f"{kib(mm['rssHeldAfterGcKiB'])}) |")
        L.append(f"| 2 s after the queue drained | | | {kib(mm['rssAfterDrainKiB'])} |")
        L.append(f"| {MEMORY_RETURN_WAIT_S} s after the queue drained, nothing forced | | | {kib(mm['rssIdleKiB'])} |")
        L.append(f"| then after a forced GC (`jcmd PID GC.run`) | {kib(mm['heapAfterKiB'])} | "
                 f"{kib(mm['heapCommittedAfterKiB'])} | {kib(mm['rssAfterGcKiB'])} |")
        L.append("")
        ratio = mm["rssIdleKiB"] / mm["rssBeforeKiB"]
        ratio_now = mm["rssAfterDrainKiB"] / mm["rssBeforeKiB"]
        ratio_gc = mm["rssAfterGcKiB"] / mm["rssBeforeKiB"]
        L.append(f"- **Heap per held request: {mm['bytesPerHeld']:,.0f} bytes** ((held − before) / {mm['held']:,}; "
                 f"target ≤ 8 KB) — {'meets' if mm['bytesPerHeld'] <= 8192 else 'misses'} the target.")
        L.append(f"- **RSS {MEMORY_RETURN_WAIT_S} s after the drain: {ratio:.2f}× before** (2 s after: "
                 f"{ratio_now:.2f}×, before Sluice's own collection, which waits for 10 s of empty queue; after a "
                 f"forced GC: {ratio_gc:.2f}×; target within 20%) — {'meets' if ratio <= 1.2 else 'misses'} the "
                 f"target.")
        L.append(f"- The {mm['held']:,} held requests: {mm['spike']['okPct']:.1f}% answered 200, drained in "
                 f"{mm['drainS']:.1f} s once the gate opened.")
        L.append("")
        if mm.get("histogramGrowth"):
            L.append(f"What the held requests keep alive: live objects that grew between `jcmd PID GC.class_histogram` "
                     f"before the spike and with the requests held ({mm['histogramGrowthTotal'] / 1048576:,.1f} MiB "
                     f"in all), per held request:")
            L.append("")
            L.append("| class | instances per request | bytes per request |")
            L.append("| --- | ---: | ---: |")
            for cls, count, size in mm["histogramGrowth"]:
                L.append(f"| `{cls}` | {count / mm['held']:.2f} | {size / mm['held']:,.0f} |")
            L.append("")

    # Latency
    if "latency" in data:
        L.append("## 4. Latency added at low load")
        L.append("")
        L.append(f"hey, {plan.hey_rate} requests/s in all ({plan.hey_workers} keep-alive workers at "
                 f"{plan.hey_rate / plan.hey_workers:g}/s each), {plan.hey_seconds} s per run. *fast*: nginx "
                 f"`return 200` as above; *app*: the Flask app on uWSGI ({WORK_MS} ms per request). Before measuring, every "
                 f"set-up gets the overhead section's wrk warm-up (fast) or {plan.app_warmup_seconds} s of wrk at "
                 f"full speed (app), so that the JVM has compiled Sluice's request path.")
        L.append("")
        L.append("| backend | set-up | req/s | p50 | p99 | p50 added vs direct | p99 added vs direct | p99 by repetition |")
        L.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |")
        labels = data.get("latencyLabels", {})
        meds = {}
        for key, runs in data["latency"].items():
            meds[key] = {k: median([r[k] for r in runs]) for k in ("rps", "p50", "p99")}
        for key, v in meds.items():
            backend = key.split("/")[0]
            d = meds.get(f"{backend}/direct")
            add50 = v["p50"] - d["p50"] if d and key != f"{backend}/direct" else None
            add99 = v["p99"] - d["p99"] if d and key != f"{backend}/direct" else None
            by_rep = ", ".join(fmt_ms(r["p99"]) for r in sorted(data["latency"][key], key=lambda r: r["rep"]))
            L.append(f"| {backend} | {labels.get(key, key)} | {fmt(v['rps'])} | {fmt_ms(v['p50'])} | "
                     f"{fmt_ms(v['p99'])} | {signed_ms(add50)} | {signed_ms(add99)} | {by_rep} |")
        L.append("")

    # Queue chart
    if "queueChart" in data:
        q = data["queueChart"]
        L.append("## 5. Queue depth and in-flight during a spike")
        L.append("")
        sp = q["spike"]
        L.append(f"A {q['size']:,}-request spike through Sluice http (limit auto) in front of uWSGI "
                 f"(`--http-socket`, Unix): {sp['okPct']:.1f}% 200, {fmt(sp['drain'])} 200/s.")
        L.append("")
        L.append("Sampled from `GET /api/v1/status` every 50 ms (`queue.depth`, sum of `backends[].inflight`).")
        L.append("")
        if os.path.exists(os.path.join(OUT, "queue-depth.png")):
            L.append("![queue depth over time](queue-depth.png)")
            L.append("")

    # Profile
    if "profile" in data:
        p = data["profile"]
        L.append("## Profile of Sluice in the overhead test (JFR, not part of the figures above)")
        L.append("")
        L.append(f"Sluice (limit auto) under the same wrk load for {plan.profile_seconds} s with "
                 f"`jcmd PID JFR.start settings=profile` after at least {plan.profile_warmup_runs * plan.wrk_warmup_seconds} s "
                 f"of warm-up ({fmt(p.get('rps'))} req/s while recording); "
                 f"{p['samples']:,} execution samples. The recording is `raw/overhead.jfr`.")
        L.append("")
        L.append("Top methods by own samples (top of stack):")
        L.append("")
        L.append("| samples | % | method |")
        L.append("| ---: | ---: | --- |")
        for name, c in p["self"]:
            L.append(f"| {c} | {100.0 * c / max(1, p['samples']):.1f} | `{name}` |")
        L.append("")
        L.append("Top Sluice / Vert.x / Netty methods by inclusive samples (anywhere on the stack):")
        L.append("")
        L.append("| samples | % | method |")
        L.append("| ---: | ---: | --- |")
        for name, c in p["total"]:
            L.append(f"| {c} | {100.0 * c / max(1, p['samples']):.1f} | `{name}` |")
        L.append("")
        if p.get("perf"):
            L.append("CPU of the Sluice process by `perf record -g` over the same load (JIT frames named with "
                     "`jcmd PID Compiler.perfmap`; a JIT method's share includes what the compiler inlined into it):")
            L.append("")
            L.append("| % of Sluice's CPU | where |")
            L.append("| ---: | --- |")
            for g, pct in p["perf"]["groups"]:
                L.append(f"| {pct:.1f} | {g} |")
            L.append("")
            L.append("<details><summary>Top symbols (perf, self)</summary>")
            L.append("")
            L.append("| % | symbol |")
            L.append("| ---: | --- |")
            for pct, sym in p["perf"]["top"]:
                L.append(f"| {pct:.2f} | `{sym}` |")
            L.append("")
            L.append("</details>")
            L.append("")
        L.append("Allocation (jdk.ObjectAllocationSample, weighted; each thread's first sample left out, since its "
                 "weight covers what the thread allocated before the recording), by the innermost Sluice frame and by "
                 "class:")
        L.append("")
        L.append("| MB | % | site |")
        L.append("| ---: | ---: | --- |")
        for name, w in p["allocSites"][:12]:
            L.append(f"| {w / 1e6:,.0f} | {100.0 * w / p['allocBytes']:.1f} | `{name}` |")
        L.append("")
        L.append("| MB | % | class |")
        L.append("| ---: | ---: | --- |")
        for name, w in p["allocClasses"][:10]:
            L.append(f"| {w / 1e6:,.0f} | {100.0 * w / p['allocBytes']:.1f} | `{name}` |")
        L.append("")

    # Targets
    L.append("## Targets")
    L.append("")
    L.append("| target | measured | |")
    L.append("| --- | --- | --- |")
    r = data.get("overheadRatio", {}).get("sluice")
    if r is not None:
        L.append(f"| throughput Sluice / HAProxy ≥ 0.9 | {r:.3f} (limit 64: "
                 f"{fmt(data['overheadRatio'].get('sluice-64'), 3)}) | {'✅' if r >= 0.9 else '❌'} |")
    if "memory" in data:
        mm = data["memory"]
        L.append(f"| ≤ 8 KB heap per queued request | {mm['bytesPerHeld']:,.0f} B | "
                 f"{'✅' if mm['bytesPerHeld'] <= 8192 else '❌'} |")
        ratio = mm["rssIdleKiB"] / mm["rssBeforeKiB"]
        L.append(f"| RSS after drain within 20% of before | {ratio:.2f}× ({MEMORY_RETURN_WAIT_S} s after; 2 s after: "
                 f"{mm['rssAfterDrainKiB'] / mm['rssBeforeKiB']:.2f}×) | {'✅' if ratio <= 1.2 else '❌'} |")
    big = max(plan.spike_sizes)
    for key in ("sluice-http-auto", "sluice-uwsgi-auto", "sluice-http-3", "sluice-uwsgi-3"):
        runs = data.get("spike", {}).get(key, {}).get(str(big), [])
        if runs:
            ok = all(x["okPct"] == 100.0 for x in runs)
            pcts = " / ".join(f"{x['okPct']:.2f}%" for x in runs)
            L.append(f"| {big:,} spike through Sluice 100% 200 ({key}) | {pcts} | {'✅' if ok else '❌'} |")
    for key, a in data.get("acceptance", {}).items():
        L.append(f"| {plan.acceptance_size:,} spike drain rate, {key} / HAProxy maxconn 3 ≥ 0.95, 100% 200 | "
                 f"{fmt(a['ratio'], 3)} | {'✅' if a['ratio'] and a['ratio'] >= 0.95 and a['allOk'] else '❌'} |")
    L.append("")

    # Commands
    L.append("## Commands")
    L.append("")
    L.append("Ports and temporary paths are chosen afresh on every run; the configuration templates are in "
             "`conf/` (`@NAME@` placeholders filled in by `bench.py`), the app in `app/wsgi.py`.")
    L.append("")
    L.append("```")
    for k, v in commands.items():
        L.append(f"# {k}")
        L.append(v.replace(servers.ROOT + "/", ""))
    L.append("```")
    L.append("")
    with open(path, "w") as f:
        f.write("\n".join(L))


def charts(data, plan):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("charts: matplotlib is missing (apt-get install python3-matplotlib); skipped")
        return
    if "spike" in data:
        labels = [c[1] for c in SPIKE_CONFIGS if c[0] in data["spike"]]
        keys = [c[0] for c in SPIKE_CONFIGS if c[0] in data["spike"]]
        for metric, fname, ylabel in (("okPct", "spike-success.png", "answered 200 (%)"),
                                      ("drain", "spike-drain.png", "drain rate (200 responses/s)")):
            fig, ax = plt.subplots(figsize=(10, 4.5))
            width = 0.8 / len(plan.spike_sizes)
            for i, n in enumerate(plan.spike_sizes):
                vals = [median([r[metric] for r in data["spike"][k].get(str(n), [])]) or 0 for k in keys]
                xs = [j + i * width for j in range(len(keys))]
                ax.bar(xs, vals, width, label=f"{n:,} requests")
            ax.set_xticks([j + width * (len(plan.spike_sizes) - 1) / 2 for j in range(len(keys))])
            ax.set_xticklabels(labels, rotation=25, ha="right", fontsize=8)
            ax.set_ylabel(ylabel)
            ax.legend(fontsize=8)
            ax.set_title(f"Spike absorption: uWSGI, 2 processes, listen 100, {WORK_MS} ms per request")
            fig.tight_layout()
            fig.savefig(os.path.join(OUT, fname), dpi=110)
            plt.close(fig)
    if "overhead" in data:
        labels = data.get("overheadLabels", {})
        keys = list(data["overhead"].keys())
        vals = [median([r["rps"] for r in data["overhead"][k]]) for k in keys]
        p99 = [median([r["p99"] for r in data["overhead"][k]]) for k in keys]
        fig, ax = plt.subplots(figsize=(8, 4))
        bars = ax.bar(range(len(keys)), vals, color="#4a7fb5")
        for b, p in zip(bars, p99):
            ax.annotate(f"p99 {fmt_ms(p)}", (b.get_x() + b.get_width() / 2, b.get_height()), ha="center",
                        va="bottom", fontsize=8)
        ax.set_xticks(range(len(keys)))
        ax.set_xticklabels([labels.get(k, k) for k in keys], rotation=15, ha="right", fontsize=8)
        ax.set_ylabel("requests/s (median)")
        ax.set_title(f"Keep-alive throughput, wrk {plan.wrk_connections} connections, nginx return 200 behind")
        fig.tight_layout()
        fig.savefig(os.path.join(OUT, "overhead.png"), dpi=110)
        plt.close(fig)
    if "queueChart" in data and data["queueChart"]["samples"]:
        q = data["queueChart"]
        # Start half a second before the spike arrives (the client's JVM takes a moment to start).
        busy = [s[0] for s in q["samples"] if s[1] > 0]
        t0 = max(0.0, busy[0] - 0.5) if busy else 0.0
        q = dict(q, samples=[(s[0] - t0, s[1], s[2]) for s in q["samples"] if s[0] >= t0])
        t = [s[0] for s in q["samples"]]
        fig, ax = plt.subplots(figsize=(9, 4))
        ax.plot(t, [s[1] for s in q["samples"]], label="queue.depth", color="#4a7fb5")
        ax.set_ylabel("requests waiting in Sluice's queue")
        ax2 = ax.twinx()
        ax2.plot(t, [s[2] for s in q["samples"]], label="in flight", color="#d0743c")
        ax2.set_ylabel("requests in flight inside uWSGI")
        ax2.set_ylim(bottom=0)
        lines = ax.get_legend_handles_labels()
        lines2 = ax2.get_legend_handles_labels()
        ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], loc="upper right", fontsize=8)
        ax.set_xlabel("seconds")
        ax.set_ylim(bottom=0)
        ax.set_title(f"{q['size']:,}-request spike through Sluice (http, limit auto), sampled every 50 ms")
        fig.tight_layout()
        fig.savefig(os.path.join(OUT, "queue-depth.png"), dpi=110)
        plt.close(fig)


SECTIONS = ["spike", "overhead", "memory", "latency", "queue", "profile"]
# The keys of `data` each section writes, so that --update can drop what a section is about to measure again.
SECTION_KEYS = {"spike": ("spike", "acceptance"), "overhead": ("overhead", "overheadRatio", "overheadLabels"),
                "memory": ("memory",), "latency": ("latency", "latencyLabels"), "queue": ("queueChart",),
                "profile": ("profile",)}
# The names of the commands each section records begin with these.
SECTION_COMMANDS = {"spike": "spike", "overhead": "overhead", "memory": "memory", "latency": "latency",
                    "queue": "queue chart", "profile": "profile"}


def previous_run(path, sections, machine):
    """The data and commands of the run in `path`, without the sections about to run again, which are noted."""
    if not os.path.exists(path):
        raise SystemExit(f"bench: --update: no earlier run in {path}")
    with open(path) as f:
        old = json.load(f)
    data, commands = old["data"], old["commands"]
    for section in sections:
        for key in SECTION_KEYS[section]:
            data.pop(key, None)
        for name in list(commands):
            if name.startswith(SECTION_COMMANDS[section]):
                del commands[name]
    # An earlier update of only these sections is superseded.
    updates = [u for u in data.get("updates", []) if not set(u["sections"]) <= set(sections)]
    data["updates"] = updates + [{"sections": sections, "date": machine["date"], "sluice": machine["sluice"]}]
    return data, commands


def main():
    global OUT
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a short smoke run; writes bench/quick/ instead")
    ap.add_argument("--reps", type=int, default=0, help="repetitions of every measurement (default 3; quick 1)")
    ap.add_argument("--only", default="", help="comma-separated sections: " + ",".join(SECTIONS))
    ap.add_argument("--note", default="", help="a line printed at the top of RESULTS.md")
    ap.add_argument("--out", default="", help="output directory (default bench/, or bench/quick/ with --quick)")
    ap.add_argument("--report", action="store_true",
                    help="measure nothing: write RESULTS.md and the charts again from OUT/raw/results.json")
    ap.add_argument("--update", action="store_true",
                    help="keep the other sections of the last run (OUT/raw/results.json) and replace those run now")
    args = ap.parse_args()
    plan = Plan(args.quick, args.reps)
    OUT = args.out or (os.path.join(servers.BENCH, "quick") if args.quick else servers.BENCH)
    os.makedirs(os.path.join(OUT, "raw"), exist_ok=True)
    sections = [s for s in args.only.split(",") if s] or SECTIONS
    for s in sections:
        if s not in SECTIONS:
            ap.error(f"--only: unknown section {s!r} (expected: {', '.join(SECTIONS)})")

    if args.report:
        with open(os.path.join(OUT, "raw", "results.json")) as f:
            old = json.load(f)
        charts(old["data"], plan)
        write_report(plan, old["data"], old["commands"], args.note or old["data"].get("note", ""),
                     os.path.join(OUT, "RESULTS.md"))
        log(f"wrote {os.path.join(OUT, 'RESULTS.md')} from {os.path.join(OUT, 'raw', 'results.json')}")
        return 0

    tmp = tempfile.mkdtemp(prefix="sluice-bench-")
    atexit.register(lambda: shutil.rmtree(tmp, ignore_errors=True))
    atexit.register(lib.stop_all)

    def on_signal(signum, _frame):
        log(f"signal {signum}: stopping servers")
        lib.stop_all()
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    data = {"machine": machine_info(), "loadStart": lib.loadavg(), "plan": vars(plan)}
    commands = {}
    if args.update:
        data, commands = previous_run(os.path.join(OUT, "raw", "results.json"), sections, data["machine"])
    log(f"writing to {OUT}; temporary files in {tmp}")
    funcs = {"spike": section_spike, "overhead": section_overhead, "memory": section_memory,
             "latency": section_latency, "queue": section_queue_chart, "profile": section_profile}
    failures = []
    for name in SECTIONS:
        if name not in sections:
            continue
        t0 = time.monotonic()
        log(f"== {name}")
        try:
            funcs[name](plan, tmp, data, commands)
        except Exception as e:  # report what ran; the section's failure is printed and recorded
            import traceback
            traceback.print_exc()
            failures.append(f"{name}: {e}")
            lib.stop_all()
        log(f"== {name} done in {time.monotonic() - t0:.0f} s")
        data["loadEnd"] = lib.loadavg()
        with open(os.path.join(OUT, "raw", "results.json"), "w") as f:
            json.dump({"data": data, "commands": commands, "failures": failures}, f, indent=1, default=str)
    data["loadEnd"] = lib.loadavg()
    charts(data, plan)
    note = args.note or data.get("note", "")
    data["note"] = note
    if failures:
        note = (note + " " if note else "") + "Sections that failed: " + "; ".join(failures)
    write_report(plan, data, commands, note, os.path.join(OUT, "RESULTS.md"))
    with open(os.path.join(OUT, "raw", "results.json"), "w") as f:
        json.dump({"data": data, "commands": commands, "failures": failures}, f, indent=1, default=str)
    log(f"wrote {os.path.join(OUT, 'RESULTS.md')}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
