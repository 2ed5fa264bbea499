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

    def __init__(self, quick, reps, shapes=None, spike_sizes=None, baseline_jar=None, hostile_mb=None,
                 cold_java=None):
        self.quick = quick
        self.reps = reps or (1 if quick else 3)
        self.spike_sizes = list(spike_sizes or ([200, 1000] if quick else [1000, 5000, 15000]))
        self.acceptance_size = closest(self.spike_sizes, 1000 if quick else 5000)
        # An earlier Sluice jar measured beside this build in the spike, overhead and latency sections (--baseline-jar).
        self.baseline_jar = baseline_jar
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
        # limit auto against hand-tuned limits
        self.auto_shapes = list(shapes or AUTO_SHAPE_KEYS)
        self.auto_spike = 1000 if quick else 3000
        self.auto_warm_spike = 300 if quick else 1000
        self.auto_warm_seconds = 2 if quick else 5
        self.auto_warm_starts = 1 if quick else 3
        self.auto_steady_seconds = 3 if quick else 15
        self.auto_scenarios = True
        self.timeouts_seconds = 15  # 5 s of load, 2 s to the timeouts, 5 s after them, the 1 s window, margin
        self.cold_seconds = 6
        # Another Java runtime (a JAVA_HOME) that the fresh-JVM cold start also runs on, alternating (--cold-java).
        self.cold_java = cold_java
        # sustained overload
        self.overload_rate = 500
        self.overload_seconds = 20  # the queue passes the clients' 5 s deadline after about 16 s
        self.overload_drain_concurrency = 32
        self.overload_drain_seconds = 5
        # hostile clients
        self.hostile_heads = 1000
        self.hostile_bodies = 1000
        self.hostile_never_read = 10 if quick else 100
        # 2 MB each: 200 MB in all, past the memory budget and up to the disk budget (HOSTILE_SETTINGS), so the
        # responses spool; --hostile-mb 300 makes every response outgrow its spool and hold a worker instead.
        self.hostile_big_mb = hostile_mb or 2
        self.hostile_interval = 3
        self.hostile_ramp = 3 if quick else 5
        self.hostile_seconds = 5 if quick else 20
        self.hostile_warm_seconds = 3 if quick else 20
        self.hostile_spool_cap = (1 if quick else 4) * 2**30

    def auto_limits(self, shape):
        """The fixed limits measured beside auto: the shape's sweep, or its smallest and largest in a quick run."""
        limits = shape["limits"]
        return [limits[0], limits[-1]] if self.quick else list(limits)


def closest(values, target):
    """The value of `values` nearest to `target` (the smaller one on a tie)."""
    return min(values, key=lambda v: (abs(v - target), v))


# --------------------------------------------------------------------------------------------------------------
# This build against an earlier jar (--baseline-jar)

BASELINE_SUFFIX = "-baseline"


def baseline_key(key):
    return key + BASELINE_SUFFIX


def baseline_label(label):
    return label + " (baseline)"


def paired_groups(keys):
    """The keys in groups measured back to back: each baseline key with the key of this build before it."""
    groups = []
    for k in keys:
        if k.endswith(BASELINE_SUFFIX) and groups and groups[-1][0] == k[:-len(BASELINE_SUFFIX)]:
            groups[-1].append(k)
        else:
            groups.append([k])
    return groups


def alternating_order(keys, rep):
    """The order of repetition `rep`: the set-ups rotated by `rep`, reversed in every other repetition. A set-up and
    its baseline stay next to each other, this build first in even repetitions and the baseline first in odd ones.
    Without baselines this is the plain rotation of the keys."""
    groups = paired_groups(keys)
    order = groups[rep % len(groups):] + groups[:rep % len(groups)]
    flat = [k for g in order for k in g]
    if rep % 2 == 1:
        flat.reverse()
    return flat


def jar_info(path):
    """What identifies a jar in the raw results: its path, size, modification time and SHA-256."""
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    st = os.stat(path)
    return {"jar": os.path.abspath(path), "bytes": st.st_size, "sha256": h.hexdigest(),
            "modified": datetime.datetime.fromtimestamp(st.st_mtime).astimezone().strftime("%Y-%m-%d %H:%M %Z")}


def jar_version(path):
    """`java -jar PATH --version`, or raises when the jar does not run."""
    rc, out, err = lib.run(["java", "-jar", path, "--version"], timeout=120)
    if rc != 0:
        raise RuntimeError(f"java -jar {path} --version exited {rc}: {(err or out).strip()[-500:]}")
    return out.strip().splitlines()[-1] if out.strip() else ""


def record_baseline(plan, data, section):
    """Notes in the raw results which jars a section compared: this build's and the baseline."""
    data.setdefault("baselines", {})[section] = {
        "baseline": dict(jar_info(plan.baseline_jar), version=jar_version(plan.baseline_jar),
                         jvmOptions=servers.sluice_jvm_options()),
        "current": dict(jar_info(servers.JAR), version=jar_version(servers.JAR)),
    }
    b, c = data["baselines"][section]["baseline"], data["baselines"][section]["current"]
    if b["sha256"] == c["sha256"]:
        log(f"{section}: note: the baseline jar is the same file as this build's ({c['sha256'][:12]})")


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


def spike_configs(with_baseline):
    """SPIKE_CONFIGS, with each Sluice set-up followed by the same set-up on the baseline jar when asked."""
    out = []
    for key, label, kind, proxy in SPIKE_CONFIGS:
        out.append((key, label, kind, proxy))
        if with_baseline and isinstance(proxy, tuple):
            out.append((baseline_key(key), baseline_label(label), kind, proxy + ("baseline",)))
    return out


def spike(url, n, timeout_s, path=None):
    argv = ["java", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", servers.SPIKE_JAR, "spike", "-c", str(n),
            "--json", "--timeout", f"{timeout_s}s"]
    if path:
        argv += ["--path", path]
    argv.append(url)
    rc, out, err = lib.run(argv, timeout=timeout_s + 120)
    if rc not in (0, 1):
        raise RuntimeError(f"spike exited {rc}: {err[-1000:]}")
    return lib.parse_spike(out)


def spike_command(n, timeout_s, url="URL"):
    return (f"java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -jar demo/target/sluice-demo.jar spike -c {n} --json "
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
    configs = spike_configs(plan.baseline_jar is not None)
    try:
        for key, label, kind, proxy in configs:
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
                protocol, limit, *baseline = proxy
                s = servers.sluice(tmp, key, b.address, protocol=protocol, limit=limit,
                                   queue_timeout=f"{timeout}s", jar=plan.baseline_jar if baseline else None)
            started.append(s)
            targets[key] = s.url
            commands[f"spike: {label}"] = s.proc.command() + (f"   # config: {os.path.basename(s.config)}"
                                                             if isinstance(s.config, str) else "")
        if plan.baseline_jar is not None:
            record_baseline(plan, data, "spike")
        for kind, b in backends.items():
            commands[f"spike backend: uWSGI {kind}"] = b.proc.command()
        commands["spike client"] = spike_command("N", timeout)
        quiet = [b.address for b in backends.values()]

        log("spike: warm-up (not measured)")
        for key, *_ in configs:
            for n in plan.spike_warmup:
                r = spike(targets[key], n, timeout)
                lib.wait_quiet(quiet)
                log(f"  warm-up {key} {n}: {r['statuses']} failed {r['failed']}")

        runs = data.setdefault("spike", {})
        keys = [c[0] for c in configs]
        for n in plan.spike_sizes:
            for rep in range(plan.reps):
                for key in alternating_order(keys, rep):
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


def start_fast_proxies(plan, tmp, fast, commands, prefix, with_fixed_limit=True, baseline_jar=None,
                       with_quick_jit=False):
    """The proxies in front of the fast backend; returns [(key, label, url, server or None)]. With `baseline_jar`,
    each Sluice is followed by the same Sluice on that jar; with `with_quick_jit`, the fixed limit's Sluice is also run
    with the JIT's quick mode (QUICK_JIT)."""
    out = [("direct", "direct (nginx on TCP)", fast.url, None)]
    h = servers.haproxy(tmp, f"{prefix}-haproxy", "haproxy-proxy.cfg", {"BACKEND": fast.socket})
    out.append(("haproxy", "HAProxy 2 threads", h.url, h))
    n = servers.nginx(tmp, f"{prefix}-nginx", "nginx-proxy.conf", {"BACKEND": fast.socket})
    out.append(("nginx", "nginx proxy_pass, 2 workers", n.url, n))
    sluices = [("sluice", "Sluice, limit auto", "auto")] + ([("sluice-64", "Sluice, limit 64", "64")]
                                                             if with_fixed_limit else [])
    for key, label, limit in sluices:
        name = f"{prefix}-sluice-{limit}"
        s = servers.sluice(tmp, name, fast.socket, protocol="http", limit=limit)
        out.append((key, label, s.url, s))
        if baseline_jar is not None:
            s = servers.sluice(tmp, name + BASELINE_SUFFIX, fast.socket, protocol="http", limit=limit,
                               jar=baseline_jar)
            out.append((baseline_key(key), baseline_label(label), s.url, s))
    if with_quick_jit and with_fixed_limit:
        s = servers.sluice(tmp, f"{prefix}-sluice-64-quick-jit", fast.socket, protocol="http", limit="64",
                           java_opts=QUICK_JIT)
        out.append((QUICK_JIT_KEY, f"Sluice, limit 64, C1 only (`{QUICK_JIT}`)", s.url, s))
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
        proxies = start_fast_proxies(plan, tmp, fast, commands, "overhead", baseline_jar=plan.baseline_jar,
                                     with_quick_jit=True)
        if plan.baseline_jar is not None:
            record_baseline(plan, data, "overhead")
        commands["overhead client"] = (f"wrk -t {plan.wrk_threads} -c {plan.wrk_connections} "
                                       f"-d {plan.wrk_seconds}s --latency URL")
        log("overhead: warm-up (not measured)")
        for key, label, url, s in proxies:
            warm(plan, key, url)
        runs = data.setdefault("overhead", {})
        keys = [p[0] for p in proxies]
        by_key = {p[0]: p for p in proxies}
        for rep in range(plan.reps):
            for key in alternating_order(keys, rep):
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
        for key, label, url, s in start_fast_proxies(plan, tmp, fast, commands, "latency", with_fixed_limit=False,
                                                     baseline_jar=plan.baseline_jar):
            targets.append(("fast", key, label, url))
            if s:
                started.append(s)
        targets.append(("app", "direct", "direct (uWSGI --http-socket, TCP)", app_tcp.url))
        for key, label, name, backend, protocol in (
                ("sluice", "Sluice http, limit auto", "lat-sluice-http", app_http, "http"),
                ("sluice-uwsgi", "Sluice uwsgi, limit auto", "lat-sluice-uwsgi", app_uwsgi, "uwsgi")):
            for jar in [None] + ([plan.baseline_jar] if plan.baseline_jar is not None else []):
                s = servers.sluice(tmp, name + (BASELINE_SUFFIX if jar else ""), backend.address, protocol=protocol,
                                   limit="auto", jar=jar)
                started.append(s)
                targets.append(("app", baseline_key(key) if jar else key, baseline_label(label) if jar else label,
                                s.url))
        if plan.baseline_jar is not None:
            record_baseline(plan, data, "latency")
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
        by_key = {f"{backend}/{key}": (backend, key, label, url) for backend, key, label, url in targets}
        for rep in range(plan.reps):
            for backend, key, label, url in (by_key[k] for k in alternating_order(list(by_key), rep)):
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
        argv = ["java", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", servers.SPIKE_JAR, "spike", "-c",
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
        commands["profile: Sluice"] = s.proc.command()
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
# limit auto against hand-tuned limits


def sweep(w):
    return sorted({w, w + 1, w + 2, 2 * w})


AUTO_SHAPES = [
    # key, label, server, server parameters, work ms, fixed limits, wrk connections, health checks
    {"key": "uwsgi-2x5", "label": "uWSGI prefork, 2 processes x 5 ms", "server": "uwsgi", "processes": 2,
     "workMs": 5, "limits": sweep(2), "connections": 64, "health": False},
    {"key": "uwsgi-8x20", "label": "uWSGI prefork, 8 processes x 20 ms", "server": "uwsgi", "processes": 8,
     "workMs": 20, "limits": sweep(8), "connections": 64, "health": False},
    {"key": "gthread-2x4x10", "label": "gunicorn gthread, 2 workers x 4 threads x 10 ms", "server": "gthread",
     "workers": 2, "threads": 4, "workMs": 10, "limits": sweep(8), "connections": 64, "health": False},
    {"key": "gevent-2x100x50", "label": "gunicorn gevent, 2 workers x 100 connections x 50 ms of I/O",
     "server": "gevent", "workers": 2, "workerConnections": 100, "workMs": 50, "limits": [25, 50, 100, 200],
     "connections": 256, "health": False},
    {"key": "uwsgi-16x50-health", "label": "uWSGI prefork, 16 processes x 50 ms, one 1 ms health check per second",
     "server": "uwsgi", "processes": 16, "workMs": 50, "limits": sweep(16), "connections": 64, "health": True},
]
AUTO_SHAPE_KEYS = [s["key"] for s in AUTO_SHAPES]
TIMEOUTS_SHAPE = "uwsgi-16x50-health"
COLD_SHAPE = "gevent-2x100x50"


def auto_shape_backend(tmp, shape):
    """The shape's backend and the protocol Sluice speaks to it: uWSGI on `--socket` (uwsgi), gunicorn on http."""
    env = {"BENCH_WORK_MS": str(shape["workMs"])}
    name = f"auto-{shape['key']}"
    if shape["server"] == "uwsgi":
        return servers.uwsgi(tmp, name, "uwsgi-unix", env=env, processes=shape["processes"]), "uwsgi"
    if shape["server"] == "gthread":
        return servers.gunicorn(tmp, name, "gthread", shape["workers"], threads=shape["threads"], env=env), "http"
    return servers.gunicorn(tmp, name, "gevent", shape["workers"],
                            worker_connections=shape["workerConnections"], env=env), "http"


def auto_sample(st):
    """What the limit chart keeps of one status: the backend's limit, in flight, its kernel queue; the queue depth;
    requests served so far."""
    b = st["backends"][0]
    return (b["limit"]["current"], b.get("inflight", 0), (b.get("kernelQueue") or {}).get("depth"),
            st["queue"]["depth"], st["totals"]["served"])


class HealthChecker(lib.Ticker):
    """One `GET /health` a second to whatever `url` is (a Sluice under test), each on a fresh connection in its own
    thread, as a load balancer's probe; keeps (monotonic time, status, milliseconds)."""

    def __init__(self):
        super().__init__(1.0)
        self.url = None
        self.results = []

    def _probe(self, url):
        t = time.monotonic()
        try:
            with urllib.request.urlopen(url + "health", timeout=60) as r:
                r.read()
                status = r.status
        except urllib.error.HTTPError as e:
            status = e.code
        except OSError:
            status = "error"
        self.results.append((t, status, (time.monotonic() - t) * 1e3))

    def tick(self):
        if self.url:
            threading.Thread(target=self._probe, args=(self.url,), daemon=True).start()

    def between(self, a, b):
        rs = [r for r in self.results if a <= r[0] <= b]
        return {"checks": len(rs), "ok": sum(1 for r in rs if r[1] == 200),
                "p50": median([r[2] for r in rs if r[1] == 200])}


def auto_wrk(plan, url, connections, seconds):
    """wrk with a 30 s request timeout: its default (2 s) would leave the slowest requests out of the percentiles."""
    argv = ["wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "30s", "--latency", url]
    rc, out, err = lib.run(argv, timeout=seconds + 60)
    if rc != 0:
        raise RuntimeError(f"wrk exited {rc}: {err}")
    return lib.parse_wrk(out), out


def section_auto(plan, tmp, data, commands):
    shapes = [s for s in AUTO_SHAPES if s["key"] in plan.auto_shapes]
    out = data.setdefault("auto", {})
    for shape in shapes:
        log(f"auto: {shape['label']}")
        backend, protocol = auto_shape_backend(tmp, shape)
        instances = {}
        health = HealthChecker().start() if shape["health"] else None
        try:
            limits = plan.auto_limits(shape)
            variants = ["auto"] + [str(n) for n in limits]
            commands[f"auto: {shape['key']} backend"] = backend.proc.command()
            conns = shape["connections"]
            commands["auto client"] = (spike_command(plan.auto_spike, plan.spike_timeout_s) + "; wrk -t 1 -c 64|256 "
                                       f"-d {plan.auto_steady_seconds}s --timeout 30s --latency URL")
            rec = out[shape["key"]] = {"label": shape["label"], "protocol": protocol, "limits": limits,
                                       "connections": conns, "workMs": shape["workMs"], "health": shape["health"],
                                       "runs": {}, "samples": {}, "freshJvms": True,
                                       "warmStarts": plan.auto_warm_starts}
            for rep in range(plan.reps):
                # Fresh JVMs each repetition: one JVM's JIT can run the same code several percent faster or slower
                # than another's for its whole life (measured: the same build at the same limit 5-20% apart in two
                # JVMs, in either direction from run to run), which a median over one instance per set-up would keep.
                for v in variants:
                    instances[v] = servers.sluice(tmp, f"auto-{shape['key']}-{v}-{rep}", backend.address,
                                                  protocol=protocol, limit=v, queue_timeout=f"{plan.spike_timeout_s}s")
                if rep == 0:
                    commands[f"auto: {shape['key']} Sluice"] = instances["auto"].proc.command() + (
                        "   # and --limit " + ", ".join(str(n) for n in limits))
                log(f"auto {shape['key']} rep {rep + 1}: new JVMs, warm-up (not measured)")
                for v in variants:
                    s = instances[v]
                    if health:
                        health.url = s.url
                    spike(s.url, plan.auto_warm_spike, plan.spike_timeout_s)
                    # Several load starts, not one: one start left a fresh JVM slower in the measured spike and
                    # steady run than a JVM measured later.
                    r = load_starts(plan, s, conns, plan.auto_warm_starts, AUTO_WARM_IDLE_S)
                    log(f"  warm-up {v}: {fmt(r['rps'])} req/s")
                order = variants[rep % len(variants):] + variants[:rep % len(variants)]
                if rep % 2 == 1:
                    order.reverse()
                for v in order:
                    s = instances[v]
                    if health:
                        health.url = s.url
                    lib.wait_sluice_idle(s.admin_port)
                    time.sleep(0.5)
                    poller = lib.StatusPoller(s.admin_port, 0.05, auto_sample).start()
                    t_spike = time.monotonic()
                    r = spike(s.url, plan.auto_spike, plan.spike_timeout_s)
                    t_spike_end = time.monotonic()
                    time.sleep(0.5)
                    samples = poller.stop()
                    sp = summarize_spike(r)
                    lib.wait_sluice_idle(s.admin_port)
                    time.sleep(0.5)
                    t_wrk = time.monotonic()
                    w, raw = auto_wrk(plan, s.url, conns, plan.auto_steady_seconds)
                    t_wrk_end = time.monotonic()
                    st = lib.admin_status(s.admin_port) or {}
                    limit_now = ((st.get("backends") or [{}])[0].get("limit") or {}).get("current")
                    run = {"rep": rep, "loadavg": lib.loadavg(), "spike": sp, "rps": w["rps"], "p50": w["p50"],
                           "p99": w["p99"], "errors": w["errors"], "non2xx": w["non2xx"], "wrkRaw": raw,
                           "limitAfterSteady": limit_now,
                           "limitPeakSpike": max((x[1][0] for x in samples), default=None)}
                    if health:
                        run["healthSpike"] = health.between(t_spike, t_spike_end)
                        run["healthSteady"] = health.between(t_wrk, t_wrk_end)
                    rec["runs"].setdefault(v, []).append(run)
                    if v == "auto":
                        t0 = samples[0][0] if samples else t_spike
                        rec["samples"].setdefault("auto", []).append(
                            [[round(t - t0, 3), *x] for t, x in samples])
                    log(f"auto {shape['key']} rep {rep + 1} limit {v}: spike {sp['okPct']:.1f}% 200 "
                        f"{fmt(sp['drain'])}/s; steady {fmt(w['rps'])} req/s p99 {fmt_ms(w['p99'])} "
                        f"errors {w['errors']} non2xx {w['non2xx']}; limit after {limit_now}"
                        + (f"; health {run['healthSteady']}" if health else ""))
                for s in instances.values():
                    s.stop()
                instances.clear()
            if shape["key"] == TIMEOUTS_SHAPE and plan.auto_scenarios:
                if health:
                    health.url = None
                auto_timeouts(plan, tmp, data, commands, backend, protocol, shape, health)
            if shape["key"] == COLD_SHAPE and plan.auto_scenarios:
                auto_cold_start(plan, tmp, data, commands, backend, protocol, shape)
        finally:
            if health:
                health.stop()
            for s in instances.values():
                s.stop()
            backend.stop()


def auto_timeouts(plan, tmp, data, commands, backend, protocol, shape, health):
    """Steady load; at t=5 s three requests that outlast the backend timeout (2 s; the app sleeps 3 s); the
    throughput before them and 5 s after them, from `totals.served` polled every 100 ms. Twice per repetition, in
    alternating order: alone, and with the shape's health check (one `GET /health` a second) running throughout."""
    runs = data.setdefault("autoTimeouts", [])
    variants = [False, True] if health else [False]
    for rep in range(plan.reps):
        for with_health in (variants if rep % 2 == 0 else variants[::-1]):
            run = auto_timeouts_run(plan, tmp, commands, backend, protocol, shape, health if with_health else None,
                                    rep)
            run["health"] = with_health
            runs.append(run)


def auto_timeouts_run(plan, tmp, commands, backend, protocol, shape, health, rep):
    """One timeouts run on a fresh Sluice; `health` (a HealthChecker) pointed at it while it runs, or None."""
    s = servers.sluice_config(tmp, f"auto-timeouts-{rep}{'-health' if health else ''}", {
        "queue": {"timeout": f"{plan.spike_timeout_s}s"},
        "backends": [{"name": "app", "address": f"unix:{backend.address}", "protocol": protocol,
                      "limit": "auto", "timeout": "2s"}]})
    if health:
        health.url = s.url
    try:
        if rep == 0:
            commands["auto: timeouts Sluice"] = s.proc.command() + "   # " + open(s.config_file).read().replace(
                "\n", " ").replace("  ", " ")
            commands["auto: timeouts client"] = (f"wrk -t 1 -c {shape['connections']} -d "
                                                 f"{plan.timeouts_seconds}s URL; at 5 s: 3 x GET /slow at once")
        auto_wrk(plan, s.url, shape["connections"], plan.auto_warm_seconds * 2)
        lib.wait_sluice_idle(s.admin_port)
        poller = lib.StatusPoller(s.admin_port, 0.1, auto_sample).start()
        time.sleep(0.3)
        wrk_out = {}
        t_start = time.monotonic()
        th = threading.Thread(target=lambda: wrk_out.update(
            zip(("r", "raw"), auto_wrk(plan, s.url, shape["connections"], plan.timeouts_seconds))))
        th.start()
        time.sleep(max(0.0, t_start + 5.0 - time.monotonic()))
        slow = []

        def fire():
            t = time.monotonic()
            try:
                with urllib.request.urlopen(s.url + "slow", timeout=30) as r:
                    r.read()
                    code = r.status
            except urllib.error.HTTPError as e:
                code = e.code
            except OSError as e:
                code = f"error: {e}"
            slow.append((t - t_start, time.monotonic() - t_start, code))

        fired = [threading.Thread(target=fire) for _ in range(3)]
        for f in fired:
            f.start()
        for f in fired:
            f.join()
        th.join()
        time.sleep(0.3)
        samples = poller.stop()
        served = [(t - t_start, x[4]) for t, x in samples]
        t_to = max(x[1] for x in slow)
        before = lib.rate_between(served, 4.0, 5.0)
        after = lib.rate_between(served, t_to + 5.0, t_to + 6.0)
        series = [lib.rate_between(served, float(i), float(i + 1)) for i in range(int(plan.timeouts_seconds))]
        r = wrk_out.get("r") or {}
        run = {"rep": rep, "slow": slow, "timeoutsAt": t_to, "before": before, "after": after,
               "ratio": after / before if before and after is not None else None,
               "series": series, "rps": r.get("rps"), "non2xx": r.get("non2xx"),
               "samples": [[round(t - t_start, 3), *x] for t, x in samples]}
        if health:
            run["healthChecks"] = health.between(t_start, t_start + plan.timeouts_seconds)
        log(f"auto timeouts rep {rep + 1}{' with health checks' if health else ''}: slow requests "
            f"{[x[2] for x in slow]} (last at {t_to:.2f} s); {fmt(before)} req/s before, {fmt(after)} req/s "
            f"5 s after: {fmt(run['ratio'], 3)}x")
        return run
    finally:
        if health:
            health.url = None
        s.stop()


def load_at_once(plan, s, shape):
    """wrk on Sluice `s` at once, its status polled every 50 ms: throughput per 250 ms over the first 5 s, and the CPU
    its JVM's threads used meanwhile, by what they do (lib.jvm_thread_cpu)."""
    poller = lib.StatusPoller(s.admin_port, 0.05, auto_sample).start()
    # The first sample (0 served) must come before the load, so that every window can be interpolated.
    wait_until = time.monotonic() + 5
    while not poller.samples and time.monotonic() < wait_until:
        time.sleep(0.01)
    cpu_before = lib.jvm_thread_cpu(s.proc.pid)
    t_start = time.monotonic()
    r, _ = auto_wrk(plan, s.url, shape["connections"], plan.cold_seconds)
    samples = poller.stop()
    cpu_after = lib.jvm_thread_cpu(s.proc.pid)
    served = [(t - t_start, x[4]) for t, x in samples]
    return {"windows": [lib.rate_between(served, i * 0.25, (i + 1) * 0.25) for i in range(20)], "rps": r["rps"],
            "p99": r["p99"], "samples": [[round(t - t_start, 3), *x] for t, x in samples],
            "cpu": {k: round(cpu_after[k] - cpu_before[k], 2) for k in cpu_after}}


# The JIT's quick mode: C1 alone, no profiling tier and no C2. Its code is ready in a fraction of the time and runs
# slower: what it buys in a fresh JVM's first seconds (the cold start) and what it costs per request (the overhead
# section) are measured beside the default.
QUICK_JIT = "-XX:TieredStopAtLevel=1"
QUICK_JIT_KEY = "sluice-64-quick-jit"


def auto_cold_start(plan, tmp, data, commands, backend, protocol, shape):
    """A fresh Sluice loaded at once: throughput per 250 ms over the first 5 s (totals.served every 50 ms), with
    limit auto and, in alternating order, with the shape's largest fixed limit: what a cold JVM allows at all. On each
    runtime (JAVA_HOME's, --cold-java's) and, on the first, with the JIT's quick mode."""
    runs = data.setdefault("autoColdStart", [])
    fixed = str(max(shape["limits"]))
    homes = [None] + ([plan.cold_java] if plan.cold_java else [])
    features = {home: servers.java_feature(home) for home in homes}
    runtimes = [(home, "") for home in homes] + [(None, QUICK_JIT)]
    for rep in range(plan.reps):
        order = [(rt, limit) for rt in runtimes for limit in (["auto", fixed] if rep % 2 == 0 else [fixed, "auto"])]
        for (home, opts), limit in (order if rep % 2 == 0 else order[::-1]):
            auto_cold_run(plan, tmp, runs, commands, backend, protocol, shape, rep, limit, home, features[home], opts)
            lib.wait_quiet([backend.address])
    auto_limit_reset(plan, tmp, data, commands, backend, protocol, shape, fixed)


def auto_cold_run(plan, tmp, runs, commands, backend, protocol, shape, rep, limit, java_home, java, java_opts=""):
    """One fresh Sluice at `limit` on the Java runtime `java_home` (None: JAVA_HOME's or PATH's), feature `java`,
    with the JVM options `java_opts` added."""
    suffix = "-quick-jit" if java_opts else ""
    s = servers.sluice(tmp, f"auto-cold-{rep}-{limit}-java{java}{suffix}", backend.address, protocol=protocol,
                       limit=limit, queue_timeout=f"{plan.spike_timeout_s}s", java_home=java_home, java_opts=java_opts)
    try:
        run = load_at_once(plan, s, shape)
        windows = run["windows"]
        runs.append({"rep": rep, "limit": limit, "java": java, **({"jvmOptions": java_opts} if java_opts else {}),
                     **run})
        if rep == 0 and limit == "auto":
            key = "auto: cold start" + ("" if java_home is None else f", Java {java}") + (
                f", {java_opts}" if java_opts else "")
            commands[key] = (s.proc.command()
                             + f"; at once: wrk -t 1 -c {shape['connections']} -d {plan.cold_seconds}s URL")
        log(f"auto cold start rep {rep + 1} limit {limit} Java {java}{' ' + java_opts if java_opts else ''}: "
            "per 250 ms " + " ".join(fmt(x) for x in windows[:12]) + " ...")
    finally:
        s.stop()


RESET_WARM_STARTS = 4
RESET_IDLE_S = 3
AUTO_WARM_IDLE_S = 1


def load_starts(plan, s, connections, starts, idle_s):
    """Warms the Sluice `s` with `starts` load starts (wrk for plan.auto_warm_seconds), each once it is idle and
    `idle_s` more, not with one long run: each of the first few starts makes the JIT compile paths that were not hot
    yet (measured: C2 took a quarter of the machine in the first second of the first start after 10 s of load, next
    to nothing by the third). Returns the last start's wrk result."""
    r = None
    for _ in range(starts):
        lib.wait_sluice_idle(s.admin_port)
        time.sleep(idle_s)
        r, _ = auto_wrk(plan, s.url, connections, plan.auto_warm_seconds)
    return r


def auto_limit_reset(plan, tmp, data, commands, backend, protocol, shape, fixed):
    """The limit's own cold start, apart from the JVM's: a Sluice warmed at the fixed limit, then idle, is switched to
    auto over the admin API (a new auto limit starts from 4) and loaded at once, as in the cold start; in alternating
    order, the same warm Sluice left at the fixed limit, loaded the same way: what the limit's ramp costs, if anything."""
    runs = data.setdefault("autoColdReset", [])
    for rep, limit in ((r, v) for r in range(plan.reps) for v in (["auto", fixed] if r % 2 == 0 else [fixed, "auto"])):
        s = servers.sluice(tmp, f"auto-reset-{rep}-{limit}", backend.address, protocol=protocol, limit=fixed,
                           queue_timeout=f"{plan.spike_timeout_s}s")
        try:
            load_starts(plan, s, shape["connections"], RESET_WARM_STARTS, RESET_IDLE_S)
            lib.wait_sluice_idle(s.admin_port)
            if limit == "auto":
                name = lib.admin_status(s.admin_port)["backends"][0]["name"]
                lib.admin_patch(s.admin_port, "/api/v1/limits", {"backends": {name: {"limit": "auto"}}})
            time.sleep(0.5)
            run = load_at_once(plan, s, shape)
            windows = run["windows"]
            runs.append({"rep": rep, "limit": limit, "warmStarts": RESET_WARM_STARTS, **run})
            if rep == 0 and limit == "auto":
                commands["auto: limit reset"] = (s.proc.command() + f"; {RESET_WARM_STARTS} x ({RESET_IDLE_S} s idle, "
                                                 f"{plan.auto_warm_seconds} s of wrk); idle; "
                                                 f"PATCH /api/v1/limits {{\"backends\":{{NAME:{{\"limit\":\"auto\"}}}}}}; "
                                                 f"at once: wrk -t 1 -c {shape['connections']} -d {plan.cold_seconds}s URL")
            what = "limit reset" if limit == "auto" else f"warm, limit {limit}"
            log(f"auto {what} rep {rep + 1}: per 250 ms " + " ".join(fmt(x) for x in windows[:12]) + " ...")
        finally:
            s.stop()
        lib.wait_quiet([backend.address])


# --------------------------------------------------------------------------------------------------------------
# Sustained overload: an open-loop client against a backend that cannot keep up


OVERLOAD_CASES = [
    # key, label, client deadline (s)
    ("sluice-default", "Sluice, defaults (adaptive, target 500ms, queue timeout 60 s)", 5.0),
    ("sluice-fifo", "Sluice, queue.discipline fifo, queue timeout 60 s", 5.0),
    ("sluice-qt5", "Sluice, queue.discipline fifo, --queue-timeout 5s", 6.0),
    ("haproxy-mc3", "HAProxy, server maxconn 3, timeout queue 5s", 6.0),
    ("sluice-adaptive", "Sluice, defaults with --queue-timeout 5s (adaptive, target 500ms)", 6.0),
]
OVERLOAD_TARGET = "500ms"
# The queue settings of each Sluice case (None: not given, the default applies).
OVERLOAD_QUEUES = {
    "sluice-default": {},
    "sluice-fifo": {"discipline": "fifo"},
    "sluice-qt5": {"discipline": "fifo", "timeout": "5s"},
    "sluice-adaptive": {"timeout": "5s"},
}


def openloop(plan, tmp, url, rate, duration, deadline, name):
    out = os.path.join(tmp, f"{name}.json")
    argv = [sys.executable, os.path.join(servers.BENCH, "clients.py"), "openloop", url, "--rate", str(rate),
            "--duration", str(duration), "--deadline", str(deadline), "--out", out]
    rc, stdout, err = lib.run(argv, timeout=duration + deadline + 120)
    if rc != 0:
        raise RuntimeError(f"openloop exited {rc}: {err[-2000:]}")
    with open(out) as f:
        doc = json.load(f)
    os.unlink(out)
    return doc, json.loads(stdout.strip().splitlines()[-1])


def backend_rate(socket_path, concurrency, seconds):
    """200 responses per second of a backend loaded straight on its Unix socket by `concurrency` closed-loop clients
    (fewer than its listen backlog, so none is refused): its own saturated rate, no proxy in between."""
    argv = [sys.executable, os.path.join(servers.BENCH, "clients.py"), "closed", f"unix:{socket_path}",
            "--concurrency", str(concurrency), "--duration", str(seconds)]
    rc, stdout, err = lib.run(argv, timeout=seconds + 60)
    if rc != 0:
        raise RuntimeError(f"clients.py closed exited {rc}: {err[-2000:]}")
    r = json.loads(stdout.strip().splitlines()[-1])
    return {"drain": r["rate"], "statuses": r["statuses"], "requests": r["requests"]}


def summarize_openloop(doc, gen):
    """Per-run figures from the open-loop records [scheduled, started, ended, status] (seconds)."""
    recs = doc["records"]
    n = len(recs)
    waits = {}
    for sched, start, end, status in recs:
        waits.setdefault(str(status), []).append(end - start)
    served = waits.get("200", [])
    refused = waits.get("503", [])
    # Goodput: 200 responses completed while arrivals go on, after the first second (so that neither the start nor a
    # straggler after the end weighs on it).
    window = (1.0, doc["duration"])
    good = sum(1 for r in recs if r[3] == 200 and window[0] <= r[2] < window[1])
    cdf = {k: [round(x, 4) for x in lib.percentiles(v)] for k, v in waits.items() if k in ("200", "503")}
    return {
        "requests": n, "statuses": {k: len(v) for k, v in sorted(waits.items())},
        "servedPct": 100.0 * len(served) / n if n else None,
        "servedP50": median(served), "servedP90": lib.percentiles(served, [90])[0] if served else None,
        "refused": len(refused), "refusedP50": median(refused),
        "refusedP90": lib.percentiles(refused, [90])[0] if refused else None,
        "timeouts": len(waits.get("timeout", [])), "errors": len(waits.get("error", [])),
        "goodput": good / (window[1] - window[0]), "goodputWindowS": list(window),
        "achievedRate": gen.get("achievedRate"), "lagP99Ms": gen.get("lagP99Ms"), "lagMaxMs": gen.get("lagMaxMs"),
        "cdf": cdf,
    }


def section_overload(plan, tmp, data, commands):
    b = servers.uwsgi(tmp, "overload-uwsgi", "http-unix")
    started = []
    out = data.setdefault("overload", {"runs": {}, "drain": [], "cases": {}})
    try:
        probe = {"queue.discipline": "adaptive", "queue.target": OVERLOAD_TARGET}
        adaptive = servers.sluice_accepts(tmp, probe)
        out["adaptiveAvailable"] = adaptive
        targets = {}
        for key, label, deadline in OVERLOAD_CASES:
            out["cases"][key] = {"label": label, "deadline": deadline}
            if key == "haproxy-mc3":
                s = servers.haproxy(tmp, "overload-haproxy", "haproxy-overload.cfg", {
                    "BACKEND": b.address, "QUEUE_S": 5, "TIMEOUT_S": 60,
                    "MAXCONN": int(plan.overload_rate * 10) + 1000, "SERVER_MAXCONN": "maxconn 3"})
            else:
                if not adaptive:
                    why = (servers.sluice_refusal(probe) or "").replace(tmp + "/", "")
                    out["cases"][key]["unavailable"] = ("this build of Sluice does not accept queue.discipline / "
                                                        f"queue.target (`{why}`)")
                    log(f"overload: {label}: not available in this build")
                    continue
                config = {"backends": [{"name": "app", "address": f"unix:{b.address}", "protocol": "http",
                                        "limit": "auto"}]}
                if OVERLOAD_QUEUES[key]:
                    config["queue"] = OVERLOAD_QUEUES[key]
                s = servers.sluice_config(tmp, f"overload-{key}", config)
            started.append(s)
            targets[key] = s
            cmd = s.proc.command()
            if getattr(s, "config_file", None):
                cmd += "   # " + open(s.config_file).read().replace("\n", " ").replace("  ", " ")
            elif isinstance(s.config, str):
                cmd += f"   # config: {os.path.basename(s.config)}"
            commands[f"overload: {label}"] = cmd
        commands["overload: backend"] = b.proc.command()
        commands["overload: backend drain rate"] = (f"python3 bench/clients.py closed unix:{b.address} --concurrency "
                                                    f"{plan.overload_drain_concurrency} --duration "
                                                    f"{plan.overload_drain_seconds:g}")
        commands["overload client"] = (f"python3 bench/clients.py openloop URL --rate {plan.overload_rate:g} "
                                       f"--duration {plan.overload_seconds:g} --deadline 5|6 --out FILE")

        def idle(key):
            s = targets[key]
            if hasattr(s, "admin_port"):
                lib.wait_sluice_idle(s.admin_port, timeout=300)
            lib.wait_quiet([b.address])

        log("overload: warm-up (not measured)")
        for key, s in targets.items():
            spike(s.url, plan.auto_warm_spike, plan.spike_timeout_s)
            idle(key)
        keys = list(targets)
        for rep in range(plan.reps):
            d = backend_rate(b.address, plan.overload_drain_concurrency, plan.overload_drain_seconds)
            d["rep"] = rep
            out["drain"].append(d)
            log(f"overload rep {rep + 1}: the backend's own saturated rate ({plan.overload_drain_concurrency} "
                f"clients on its socket): {fmt(d['drain'])}/s {d['statuses']}")
            lib.wait_quiet([b.address])
            order = keys[rep % len(keys):] + keys[:rep % len(keys)]
            if rep % 2 == 1:
                order.reverse()
            for key in order:
                s = targets[key]
                deadline = out["cases"][key]["deadline"]
                before = lib.admin_status(s.admin_port) if hasattr(s, "admin_port") else None
                doc, gen = openloop(plan, tmp, s.url, plan.overload_rate, plan.overload_seconds, deadline,
                                    f"overload-{key}-{rep}")
                res = summarize_openloop(doc, gen)
                res.update(rep=rep, loadavg=lib.loadavg())
                idle(key)
                after = lib.admin_status(s.admin_port) if hasattr(s, "admin_port") else None
                if before and after:
                    res["sluiceTotals"] = {k: after["totals"][k] - before["totals"].get(k, 0)
                                           for k in after["totals"]}
                out["runs"].setdefault(key, []).append(res)
                log(f"overload rep {rep + 1} {key}: {fmt(res['servedPct'], 1)}% served, wait p50 "
                    f"{fmt_ms(ms(res['servedP50']))} p90 {fmt_ms(ms(res['servedP90']))}; 503 x {res['refused']} "
                    f"p50 {fmt_ms(ms(res['refusedP50']))}; timeouts {res['timeouts']}, errors {res['errors']}; "
                    f"goodput {fmt(res['goodput'])}/s; arrivals {fmt(res['achievedRate'])}/s "
                    f"(lag p99 {fmt(res['lagP99Ms'], 1)} ms) {res['statuses']}")
    finally:
        for s in reversed(started):
            s.stop()
        b.stop()


def ms(seconds):
    return None if seconds is None else seconds * 1e3


# --------------------------------------------------------------------------------------------------------------
# Hostile clients beside normal traffic


# Settings being added to Sluice; each is passed only when this build accepts it.
HOSTILE_SETTINGS = [("clients.sendTimeout", "10s"), ("buffers.memoryTotal", "64MiB"), ("buffers.disk", "200MiB")]
HOSTILE_HEAP = "-Xmx256m"


def hey_for(plan, url, seconds):
    per_worker = plan.hey_rate / plan.hey_workers
    argv = ["hey", "-z", f"{seconds}s", "-c", str(plan.hey_workers), "-q", f"{per_worker:g}", url]
    rc, out, err = lib.run(argv, timeout=seconds + 120)
    if rc != 0:
        raise RuntimeError(f"hey exited {rc}: {err}")
    r = lib.parse_hey(out)
    r["raw"] = out
    return r


class HostileMonitor:
    """Once a second: Sluice alive, its RSS, the bytes of its temporary files, descriptors and totals; stops the
    hostile clients (SIGTERM) when the temporary files pass `cap` bytes, so that a build without a disk budget
    cannot fill the disk."""

    def __init__(self, server, tempdir, cap, clients):
        self.server = server
        self.tempdir = tempdir
        self.cap = cap
        self.clients = clients
        self.samples = []
        self.safety_stop = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.t0 = time.monotonic()

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join()
        return self.samples

    def sample(self):
        pid = self.server.proc.pid
        alive = self.server.proc.alive()
        spool, files = lib.spool_bytes(pid, self.tempdir) if alive else (0, 0)
        rss = None
        if alive:
            try:
                rss = lib.rss_kib(pid)
            except OSError:
                pass
        st = lib.admin_status(self.server.admin_port, timeout=1) if alive else None
        s = {"t": round(time.monotonic() - self.t0, 2), "alive": alive, "rssKiB": rss, "spoolBytes": spool,
             "spoolFiles": files, "fds": lib.fd_count(pid) if alive else None,
             "statusAnswered": st is not None,
             "queueDepth": st["queue"]["depth"] if st else None,
             "buffered": {k: v for k, v in (st or {}).items() if k.lower().startswith("buffer")} or None}
        return s

    def _run(self):
        while not self._stop.is_set():
            s = self.sample()
            self.samples.append(s)
            if self.safety_stop is None and s["spoolBytes"] > self.cap:
                self.safety_stop = {"t": s["t"], "spoolBytes": s["spoolBytes"]}
                log(f"hostile: temporary files {s['spoolBytes'] / 2**20:,.0f} MiB passed the safety cap of "
                    f"{self.cap / 2**20:,.0f} MiB: stopping the hostile clients")
                if self.clients.poll() is None:
                    self.clients.send_signal(signal.SIGTERM)
            self._stop.wait(1.0)


def hostile_phase(plan, tmp, s, tempdir, rep):
    clients_log = os.path.join(tmp, f"hostile-clients-{rep}.err")
    argv = [sys.executable, os.path.join(servers.BENCH, "clients.py"), "hostile", s.url,
            "--heads", str(plan.hostile_heads), "--bodies", str(plan.hostile_bodies),
            "--never-read", str(plan.hostile_never_read), "--interval", str(plan.hostile_interval),
            "--ramp", str(plan.hostile_ramp)]
    with open(clients_log, "wb") as err:
        clients = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL, text=True)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(clients.stdout), daemon=True)
    reader.start()
    pid = s.proc.pid
    mon = HostileMonitor(s, tempdir, plan.hostile_spool_cap, clients).start()
    jstat = lib.Jstat(pid, 1000)
    res = {}
    try:
        t_ready = time.monotonic()
        deadline = t_ready + plan.hostile_ramp + 90
        while not any(l.strip() == "ready" for l in lines) and time.monotonic() < deadline:
            if clients.poll() is not None:
                break
            time.sleep(0.2)
        res["readyAfterS"] = round(time.monotonic() - t_ready, 2)
        res["clientsReady"] = any(l.strip() == "ready" for l in lines)
        # A little longer, so that the never-readers' responses are spooling and the bodies are buffered.
        time.sleep(2)
        res["aliveAtStart"] = s.proc.alive()
        hey_r = None
        if s.proc.alive():
            try:
                hey_r = hey_for(plan, s.url, plan.hostile_seconds)
            except RuntimeError as e:
                res["heyError"] = str(e)[-500:]
        res["normal"] = hey_r
        res["aliveAtEnd"] = s.proc.alive()
        if s.proc.alive():
            try:
                res["heapInfo"] = lib.jcmd(pid, "GC.heap_info", timeout=30)[-2000:]
            except Exception as e:  # noqa: BLE001 - recorded, not fatal
                res["heapInfo"] = f"jcmd failed: {e}"
    finally:
        if clients.poll() is None:
            clients.send_signal(signal.SIGTERM)
        try:
            clients.wait(60)
        except subprocess.TimeoutExpired:
            clients.kill()
        reader.join(5)
        heap = jstat.stop()
    # What is left 5 s after the hostile clients have gone.
    time.sleep(5)
    left = mon.sample()
    samples = mon.stop()
    summary = next((json.loads(l) for l in reversed(lines) if l.strip().startswith("{")), None)
    res.update({
        "clients": summary, "safetyStop": mon.safety_stop, "monitor": samples,
        "heapUsedPeakKiB": max((h[1] for h in heap), default=None),
        "heapCommittedPeakKiB": max((h[2] for h in heap), default=None),
        "rssPeakKiB": max((x["rssKiB"] or 0 for x in samples), default=None),
        "spoolPeakBytes": max((x["spoolBytes"] for x in samples), default=0),
        "fdsPeak": max((x["fds"] or 0 for x in samples), default=None),
        "spoolAfterBytes": left["spoolBytes"], "aliveAfter": left["alive"],
        "statusAnsweredAlways": all(x["statusAnswered"] for x in samples if x["alive"]),
        "diedAt": next((x["t"] for x in samples if not x["alive"]), None),
    })
    return res


def section_hostile(plan, tmp, data, commands):
    b = servers.uwsgi(tmp, "hostile-uwsgi", "uwsgi-unix", env={"BENCH_BIG_MB": str(plan.hostile_big_mb)})
    out = data["hostile"] = {"runs": [], "heap": HOSTILE_HEAP, "bigMB": plan.hostile_big_mb,
                             "heads": plan.hostile_heads, "bodies": plan.hostile_bodies,
                             "neverRead": plan.hostile_never_read, "interval": plan.hostile_interval,
                             "seconds": plan.hostile_seconds, "spoolCap": plan.hostile_spool_cap}
    try:
        settings, refusals = {}, {}
        for key, value in HOSTILE_SETTINGS:
            settings[key] = value if servers.sluice_accepts(tmp, {key: value}) else None
            if settings[key] is None:
                refusals[key] = (servers.sluice_refusal({key: value}) or "").replace(tmp + "/", "")
        out["settings"] = settings
        out["refusals"] = refusals
        free = shutil.disk_usage(tmp).free
        if free < 3 * plan.hostile_spool_cap:
            raise RuntimeError(f"hostile: {free / 2**30:.1f} GiB free in {tmp}; the section needs "
                               f"{3 * plan.hostile_spool_cap / 2**30:.1f} GiB")
        commands["hostile: backend"] = b.proc.command()
        for rep in range(plan.reps):
            tempdir = os.path.join(tmp, f"hostile-spill-{rep}")
            os.makedirs(tempdir, exist_ok=True)
            doc = {"backends": [{"name": "app", "address": f"unix:{b.address}", "protocol": "uwsgi",
                                 "limit": "auto"}],
                   "buffers": {"tempDir": tempdir}}
            for key, value in settings.items():
                if value is not None:
                    section, name = key.split(".")
                    doc.setdefault(section, {})[name] = value
            s = servers.sluice_config(tmp, f"hostile-sluice-{rep}", doc, java_opts=HOSTILE_HEAP)
            try:
                if rep == 0:
                    commands["hostile: Sluice"] = (s.proc.command() + "   # "
                                                   + open(s.config_file).read().replace("\n", " ").replace("  ", " "))
                    commands["hostile: normal traffic"] = (
                        f"hey -z {plan.hostile_seconds}s -c {plan.hey_workers} "
                        f"-q {plan.hey_rate / plan.hey_workers:g} URL")
                    commands["hostile: clients"] = (
                        f"python3 bench/clients.py hostile URL --heads {plan.hostile_heads} --bodies "
                        f"{plan.hostile_bodies} --never-read {plan.hostile_never_read} --interval "
                        f"{plan.hostile_interval} --ramp {plan.hostile_ramp}")
                auto_wrk(plan, s.url, 64, plan.hostile_warm_seconds)
                hey_for(plan, s.url, 3)
                run = {"rep": rep, "loadavg": lib.loadavg()}
                phases = ["quiet", "hostile"] if rep % 2 == 0 else ["hostile", "quiet"]
                run["order"] = phases
                for phase in phases:
                    if phase == "quiet":
                        if not s.proc.alive():
                            run["quiet"] = None
                            continue
                        lib.wait_sluice_idle(s.admin_port, timeout=60)
                        run["quiet"] = hey_for(plan, s.url, plan.hostile_seconds)
                    else:
                        run["hostile"] = hostile_phase(plan, tmp, s, tempdir, rep)
                run["aliveEnd"] = s.proc.alive()
                if not run["aliveEnd"]:
                    run["exit"] = s.proc.popen.returncode
                    run["logTail"] = s.proc.log_tail(8)
                    run["exitLine"] = next((l for l in reversed(run["logTail"].splitlines())
                                            if "OutOfMemoryError" in l or "Terminating" in l),
                                           run["logTail"].splitlines()[-1] if run["logTail"] else "")
                q, h = run.get("quiet"), (run.get("hostile") or {}).get("normal")
                run["ratio"] = h["p50"] / q["p50"] if q and h and q.get("p50") and h.get("p50") else None
                out["runs"].append(run)
                hr = run["hostile"]
                log(f"hostile rep {rep + 1}: normal p50 quiet {fmt_ms(q and q['p50'])}, hostile "
                    f"{fmt_ms(h and h['p50'])} ({fmt(run['ratio'], 2)}x) {h and h['statuses']}; heap peak "
                    f"{fmt((hr['heapUsedPeakKiB'] or 0) / 1024)} MiB, temp files peak "
                    f"{hr['spoolPeakBytes'] / 2**20:,.0f} MiB (after {hr['spoolAfterBytes'] / 2**20:,.0f}), RSS "
                    f"peak {fmt((hr['rssPeakKiB'] or 0) / 1024)} MiB; alive {run['aliveEnd']}; clients "
                    f"{(hr.get('clients') or {}).get('stats')}")
            finally:
                s.stop()
                shutil.rmtree(tempdir, ignore_errors=True)
            lib.wait_quiet([b.address])
    finally:
        b.stop()


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


def spike_sizes(plan, data):
    """The spike sizes of the raw runs (a report written again with --report need not know the run's plan)."""
    sizes = {int(n) for runs in data.get("spike", {}).values() for n in runs}
    return sorted(sizes) or plan.spike_sizes


def spike_rows(data, n):
    rows = []
    for key, label, *_ in spike_configs(True):
        runs = data.get("spike", {}).get(key, {}).get(str(n), [])
        if not runs:
            continue
        med = {k: median([r[k] for r in runs]) for k in ("okPct", "drain", "p50", "p99")}
        med_run = sorted(runs, key=lambda r: r["drain"] or 0)[len(runs) // 2]
        rows.append((key, label, med, runs, med_run))
    return rows


# --------------------------------------------------------------------------------------------------------------
# Report: this build / baseline

BASELINE_TOLERANCE = 0.03


def by_rep(runs, value):
    """{repetition: value(run)} of the runs whose value is known."""
    out = {}
    for r in runs:
        v = value(r)
        if v is not None:
            out[r["rep"]] = v
    return out


def compare(cur_runs, base_runs, value):
    """(median of this build, median of the baseline, their ratio, [ratio of each repetition both ran])."""
    cur, base = by_rep(cur_runs, value), by_rep(base_runs, value)
    mc, mb = median(list(cur.values())), median(list(base.values()))
    ratio = mc / mb if mc is not None and mb else None
    per_rep = [cur[k] / base[k] for k in sorted(cur) if k in base and base[k]]
    return mc, mb, ratio, per_rep


def baseline_verdict(ratio, higher_is_better=True):
    if ratio is None:
        return "–"
    if abs(ratio - 1) <= BASELINE_TOLERANCE:
        return f"within {BASELINE_TOLERANCE:.0%}"
    better = (ratio > 1) == higher_is_better
    return f"this build {abs(ratio - 1):.1%} {'better' if better else 'worse'}"


def baseline_jars_text(data, section):
    """Which two jars a section compared, from the raw results."""
    b = data.get("baselines", {}).get(section)
    if not b:
        return "this build against the baseline jar"
    base, cur = b["baseline"], b["current"]
    opts = " ".join(base.get("jvmOptions", []))
    return (f"this build (`bin/sluice`, `{os.path.relpath(cur['jar'], servers.ROOT)}`, {cur.get('version') or '?'}, "
            f"SHA-256 `{cur['sha256'][:12]}`) against the baseline `java {opts} -jar {base['jar']}` "
            f"({base.get('version') or '?'}, modified {base['modified']}, SHA-256 `{base['sha256'][:12]}`)")


def baseline_intro(data, section, reps):
    return (f"The same run measured {baseline_jars_text(data, section)}: the same JVM options, the same flags "
            f"(only `{' '.join(servers.BASELINE_FLAGS)}`), in front of the same backend, warmed up alike, and in "
            f"every repetition each set-up and its baseline back to back, this build first in repetitions 1, 3, ... "
            f"and the baseline first in 2, 4, ... Ratio = median of this build / median of the baseline ({reps} "
            f"repetitions); then the ratio of each repetition. Verdict: within {BASELINE_TOLERANCE:.0%} either way, "
            f"or better or worse.")


def report_spike_baseline(plan, data, L):
    rows = []
    for n in spike_sizes(plan, data):
        for key, label, _kind, proxy in SPIKE_CONFIGS:
            cur = data["spike"].get(key, {}).get(str(n), [])
            base = data["spike"].get(baseline_key(key), {}).get(str(n), [])
            if isinstance(proxy, tuple) and cur and base:
                rows.append((n, label, cur, base))
    if not rows:
        return
    reps = max(len(cur) for *_, cur, _base in rows)
    L.append("### This build / baseline: drain rate")
    L.append("")
    L.append(baseline_intro(data, "spike", reps))
    L.append("")
    L.append("| spike | set-up | this build (200/s) | baseline (200/s) | ratio | per repetition | "
             "200 (%) this build / baseline | |")
    L.append("| ---: | --- | ---: | ---: | ---: | --- | ---: | --- |")
    out = data.setdefault("baselineRatios", {}).setdefault("spike", {})
    for n, label, cur, base in rows:
        mc, mb, ratio, per_rep = compare(cur, base, lambda r: r["drain"])
        ok_c, ok_b = median([r["okPct"] for r in cur]), median([r["okPct"] for r in base])
        L.append(f"| {n:,} | {label} | {fmt(mc)} | {fmt(mb)} | **{fmt(ratio, 3)}** | "
                 f"{', '.join(f'{x:.3f}' for x in per_rep) or '–'} | {fmt(ok_c, 1)} / {fmt(ok_b, 1)} | "
                 f"{baseline_verdict(ratio)} |")
        out.setdefault(str(n), {})[label] = {"current": mc, "baseline": mb, "ratio": ratio, "perRep": per_rep}
    L.append("")


def baseline_rows(runs):
    """[(key, this build's runs, the baseline's)] of the set-ups of `runs` measured with a baseline, and the most
    repetitions any of them has."""
    rows = [(k, runs[k], runs[baseline_key(k)]) for k in runs if not k.endswith(BASELINE_SUFFIX)
            and baseline_key(k) in runs]
    return rows, max((len(cur) for _k, cur, _base in rows), default=0)


def report_overhead_baseline(plan, data, L):
    runs = data["overhead"]
    labels = data.get("overheadLabels", {})
    h = runs.get("haproxy", [])
    rows, reps = baseline_rows(runs)
    if not rows:
        return
    L.append("### This build / baseline: keep-alive throughput and CPU per request")
    L.append("")
    L.append(baseline_intro(data, "overhead", reps) + " Proxy / HAProxy is the median of the per-repetition "
             "ratios above, for each build.")
    L.append("")
    L.append("| set-up | figure | this build | baseline | ratio | per repetition | |")
    L.append("| --- | --- | ---: | ---: | ---: | --- | --- |")
    h_rps = by_rep(h, lambda r: r["rps"])
    out = data.setdefault("baselineRatios", {}).setdefault("overhead", {})
    for key, cur, base in rows:
        label = labels.get(key, key)
        figures = [("req/s", lambda r: r["rps"], True, 0, ""),
                   ("proxy CPU per request", lambda r: r.get("proxyUsPerReq"), False, 1, " µs")]
        if h_rps:
            figures.append(("req/s / HAProxy", lambda r: r["rps"] / h_rps[r["rep"]]
                            if r["rps"] and h_rps.get(r["rep"]) else None, True, 3, ""))
        for name, value, higher_is_better, digits, unit in figures:
            mc, mb, ratio, per_rep = compare(cur, base, value)
            L.append(f"| {label} | {name} | {fmt(mc, digits, unit)} | {fmt(mb, digits, unit)} | "
                     f"**{fmt(ratio, 3)}** | {', '.join(f'{x:.3f}' for x in per_rep) or '–'} | "
                     f"{baseline_verdict(ratio, higher_is_better)} |")
            out.setdefault(label, {})[name] = {"current": mc, "baseline": mb, "ratio": ratio, "perRep": per_rep}
    L.append("")
    L.append("Above 1 means more for this build: faster for req/s, more CPU spent for CPU per request.")
    L.append("")


def report_latency_baseline(plan, data, L):
    runs = data["latency"]
    labels = data.get("latencyLabels", {})
    rows, reps = baseline_rows(runs)
    if not rows:
        return
    L.append("### This build / baseline: latency at low load")
    L.append("")
    L.append(baseline_intro(data, "latency", reps) + " Difference = this build's median − the baseline's.")
    L.append("")
    L.append("| backend | set-up | figure | this build | baseline | difference | ratio | per repetition | |")
    L.append("| --- | --- | --- | ---: | ---: | ---: | ---: | --- | --- |")
    out = data.setdefault("baselineRatios", {}).setdefault("latency", {})
    for key, cur, base in rows:
        backend, label = key.split("/")[0], labels.get(key, key)
        for name in ("p50", "p99"):
            mc, mb, ratio, per_rep = compare(cur, base, lambda r: r[name])
            L.append(f"| {backend} | {label} | {name} | {fmt_ms(mc)} | {fmt_ms(mb)} | "
                     f"{signed_ms(mc - mb if mc is not None and mb is not None else None)} | **{fmt(ratio, 3)}** | "
                     f"{', '.join(f'{x:.3f}' for x in per_rep) or '–'} | {baseline_verdict(ratio, False)} |")
            out.setdefault(f"{backend}: {label}", {})[name] = {"current": mc, "baseline": mb, "ratio": ratio,
                                                                "perRep": per_rep}
    L.append("")
    L.append("Above 1 means slower for this build.")
    L.append("")


# --------------------------------------------------------------------------------------------------------------
# Report of the auto, overload and hostile sections


def auto_figures(rec):
    """Median figures per variant of one shape, the best fixed limits and auto's ratios to them."""
    med = {}
    for v, runs in rec["runs"].items():
        med[v] = {"drain": median([r["spike"]["drain"] for r in runs]),
                  "okPct": median([r["spike"]["okPct"] for r in runs]),
                  "spikeP99": median([r["spike"]["p99"] for r in runs]),
                  "rps": median([r["rps"] for r in runs]), "p50": median([r["p50"] for r in runs]),
                  "p99": median([r["p99"] for r in runs]),
                  "errors": sum((r["errors"] or 0) + (r["non2xx"] or 0) for r in runs),
                  "limitAfter": median([r.get("limitAfterSteady") for r in runs]),
                  "limitPeak": median([r.get("limitPeakSpike") for r in runs])}
    fixed = [v for v in med if v != "auto"]
    f = {"med": med}
    if fixed and "auto" in med:
        bt = max(fixed, key=lambda v: med[v]["rps"] or 0)
        bd = max(fixed, key=lambda v: med[v]["drain"] or 0)
        a = med["auto"]
        f.update(bestRps=bt, bestDrain=bd,
                 rpsRatio=a["rps"] / med[bt]["rps"] if a["rps"] and med[bt]["rps"] else None,
                 drainRatio=a["drain"] / med[bd]["drain"] if a["drain"] and med[bd]["drain"] else None,
                 p99Ratio=a["p99"] / med[bt]["p99"] if a["p99"] and med[bt]["p99"] else None)
        f["meets"] = (f["rpsRatio"] is not None and f["rpsRatio"] >= 0.98 and f["drainRatio"] is not None
                      and f["drainRatio"] >= 0.98 and f["p99Ratio"] is not None and f["p99Ratio"] <= 1.2)
    return f


def auto_and_fixed(runs):
    """The cold-start runs at limit auto, and those at a fixed limit (runs recorded without a limit were auto)."""
    return ([r for r in runs if r.get("limit", "auto") == "auto"],
            [r for r in runs if r.get("limit", "auto") != "auto"])


def run_runtime(run):
    """The Java feature version a cold-start run ran on and the JVM options it added: runs recorded without a version
    ran on Java 17, the only one before --cold-java, and those without options with none."""
    return run.get("java", 17), run.get("jvmOptions", "")


def runtime_label(runtime):
    java, opts = runtime
    return f"Java {java}" + (", C1 only" if opts == QUICK_JIT else f", {opts}" if opts else "")


def cold_figures(data):
    """Throughput per 250 ms from a cold start (median over repetitions) and the time to 90% of the gevent shape's
    best fixed limit's steady throughput."""
    rec = data.get("auto", {}).get(COLD_SHAPE)
    best = None
    if rec:
        f = auto_figures(rec)
        if f.get("bestRps"):
            best = f["med"][f["bestRps"]]["rps"]
    def t90(r):
        for i, w in enumerate(r["windows"]):
            if best and w is not None and w >= 0.9 * best:
                return (i + 1) * 0.25
        return None

    def windows(rs):
        return [median([r["windows"][i] for r in rs]) for i in range(20)] if rs else []

    def reached_median(times):
        """The median time, when every repetition reached 90%."""
        return median(times) if times and None not in times else None

    def cpu(rs):
        """The median CPU seconds of each thread group of the JVM during the load (runs recorded before it was
        measured have none)."""
        measured = [r["cpu"] for r in rs if r.get("cpu")]
        return {k: median([c[k] for c in measured]) for k in measured[0]} if measured else None

    def figures(rs):
        """The windows, times to 90% and JVM CPU of the runs `rs` at limit auto, and of those at the fixed limit."""
        auto_runs, fixed_runs = auto_and_fixed(rs)
        auto_times = [t90(r) for r in auto_runs]
        fixed_times = [t90(r) for r in fixed_runs]
        return {"windows": windows(auto_runs), "t90": auto_times, "t90Median": reached_median(auto_times),
                "cpu": cpu(auto_runs), "fixedWindows": windows(fixed_runs), "fixedT90": fixed_times,
                "fixedT90Median": reached_median(fixed_times), "fixedCpu": cpu(fixed_runs),
                "fixedLimit": fixed_runs[0]["limit"] if fixed_runs else None}

    by_runtime = {}
    for r in data.get("autoColdStart") or []:
        by_runtime.setdefault(run_runtime(r), []).append(r)
    runtimes = sorted(by_runtime) or [(17, "")]
    every_reset = data.get("autoColdReset") or []
    reset = figures(every_reset)
    return {"best": best, "java": runtimes[0][0], **figures(by_runtime.get(runtimes[0], [])),
            "others": {runtime_label(rt): {"runtime": rt, **figures(by_runtime[rt])} for rt in runtimes[1:]},
            "resetWindows": reset["windows"], "resetT90": reset["t90"], "resetT90Median": reset["t90Median"],
            "resetCpu": reset["cpu"], "warmFixedCpu": reset["fixedCpu"],
            "warmFixedWindows": reset["fixedWindows"], "warmFixedT90": reset["fixedT90"],
            "warmFixedT90Median": reset["fixedT90Median"],
            "resetWarmStarts": (every_reset[0].get("warmStarts") if every_reset else None)}


def report_auto(plan, data, L):
    auto = data["auto"]
    # A run that updated only some sections keeps the first run's plan, which may predate the auto section's keys.
    p = {**vars(plan), **data.get("plan", {})}
    L.append("## 6. limit auto against hand-tuned limits")
    L.append("")
    L.append(f"For each backend shape, Sluice with `--limit auto` and with fixed limits, each its own instance in front "
             f"of the same backend (uWSGI on `--socket`, spoken to over the uwsgi protocol; gunicorn over HTTP on a "
             f"Unix socket), measured one at a time in alternating order after an unmeasured warm-up of each JVM "
             f"(a {p.get('auto_warm_spike', '?'):,}-connection spike and {p.get('auto_warm_seconds', '?')} s of wrk, "
             "as many times as each shape says). "
             f"Each repetition: a {p.get('auto_spike', 3000):,}-connection spike (`sluice spike`, one connection per "
             f"request, all at once; *drain* = 200 responses / time from the first connect to the last response), "
             f"then steady load: `wrk -t1 -cN -d{p.get('auto_steady_seconds', '?')}s --timeout 30s --latency` with N = 64, and "
             "256 for gevent so that its 200 connections can be busy. The 16-process shape has a separate client "
             "sending `GET /health` (1 ms) through the Sluice under test once a second, on a new connection, during "
             "warm-ups, spikes and steady runs. *Best fixed* = the fixed limit with the highest median steady "
             "throughput (for the drain ratio: the highest median drain rate); ratios are ratios of medians; p99 "
             "ratio = auto's steady p99 / the best-throughput fixed limit's. Target: drain and throughput ≥ 0.98, "
             "p99 ratio ≤ 1.2.")
    L.append("")
    L.append("| shape | auto drain (200/s) | best fixed drain | drain ratio | auto req/s | best fixed req/s | "
             "throughput ratio | auto p99 | best fixed p99 | p99 ratio | target |")
    L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for key in AUTO_SHAPE_KEYS:
        rec = auto.get(key)
        if not rec:
            continue
        f = auto_figures(rec)
        m = f["med"]
        if "bestRps" not in f:
            continue
        a, bt, bd = m["auto"], m[f["bestRps"]], m[f["bestDrain"]]
        L.append(f"| {rec['label']} | {fmt(a['drain'])} | {fmt(bd['drain'])} (limit {f['bestDrain']}) | "
                 f"**{fmt(f['drainRatio'], 3)}** | {fmt(a['rps'])} | {fmt(bt['rps'])} (limit {f['bestRps']}) | "
                 f"**{fmt(f['rpsRatio'], 3)}** | {fmt_ms(a['p99'])} | {fmt_ms(bt['p99'])} | "
                 f"**{fmt(f['p99Ratio'], 2)}** | {'✅' if f['meets'] else '❌'} |")
    L.append("")
    for key in AUTO_SHAPE_KEYS:
        rec = auto.get(key)
        if not rec:
            continue
        f = auto_figures(rec)
        L.append(f"### {rec['label']}")
        L.append("")
        L.append(f"Sluice speaks {rec['protocol']} to it; wrk with {rec['connections']} connections; medians of "
                 f"{len(rec['runs']['auto'])} repetitions. "
                 + ((f"New JVMs for every repetition, each warmed up again: the spike, then {rec['warmStarts']} × wrk "
                     f"after {AUTO_WARM_IDLE_S} s idle." if rec.get("warmStarts") else
                     "New JVMs for every repetition, each warmed up again by the spike and one wrk.")
                    if rec.get("freshJvms") else
                    "One JVM per limit for all repetitions, warmed up once by the spike and one wrk (a run before the "
                    "bench started new ones per repetition)."))
        L.append("")
        L.append("| limit | spike 200 (%) | drain (200/s) | spike p99 | steady req/s | p50 | p99 | errors + non-2xx | "
                 "limit at the end of the steady runs | drain by repetition | req/s by repetition |")
        L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")
        order = ["auto"] + [str(n) for n in rec["limits"]]
        for v in order:
            if v not in f["med"]:
                continue
            m = f["med"][v]
            runs = sorted(rec["runs"][v], key=lambda r: r["rep"])
            mark = ""
            if v == f.get("bestRps"):
                mark += " (best req/s)"
            if v == f.get("bestDrain"):
                mark += " (best drain)"
            L.append(f"| {v}{mark} | {fmt(m['okPct'], 1)} | {fmt(m['drain'])} | {fmt_ms(m['spikeP99'])} | "
                     f"{fmt(m['rps'])} | {fmt_ms(m['p50'])} | {fmt_ms(m['p99'])} | {m['errors']} | "
                     f"{fmt(m['limitAfter']) if v == 'auto' else '—'} | "
                     f"{', '.join(fmt(r['spike']['drain']) for r in runs)} | {', '.join(fmt(r['rps']) for r in runs)} |")
        L.append("")
        if rec.get("health"):
            hs = [r.get("healthSteady") for r in rec["runs"].get("auto", []) if r.get("healthSteady")]
            hk = [r.get("healthSpike") for r in rec["runs"].get("auto", []) if r.get("healthSpike")]
            if hs:
                L.append(f"Health checks through the auto instance: {sum(h['checks'] for h in hk)} during its spikes "
                         f"({sum(h['ok'] for h in hk)} answered 200), {sum(h['checks'] for h in hs)} during its steady "
                         f"runs ({sum(h['ok'] for h in hs)} answered 200, median "
                         f"{fmt_ms(median([h['p50'] for h in hs]))}).")
                L.append("")
        png = f"auto-limit-{key}.png"
        if os.path.exists(os.path.join(OUT, png)):
            L.append(f"![limit over time during the spike, {rec['label']}]({png})")
            L.append("")

    runs = data.get("autoTimeouts")
    if runs:
        L.append("### Three backend timeouts in a row (uWSGI, 16 processes x 50 ms)")
        L.append("")
        L.append(f"A fresh Sluice (`limit: auto`) started from a configuration file whose backend has `timeout: 2s`; "
                 f"after {p.get('auto_warm_seconds', 5) * 2} s of unmeasured wrk, `wrk -t1 -c64 "
                 f"-d{p.get('timeouts_seconds', 15)}s --timeout 30s` and, 5 s into it, three `GET /slow` at once (the app sleeps "
                 "3 s): Sluice answers them 504 after 2 s. Throughput from `totals.served` in `GET /api/v1/status`, "
                 "polled every 100 ms: *before* = the 1 s window before the three requests are sent (4–5 s), "
                 "*after* = the 1 s window starting 5 s after the last 504. Each repetition runs it twice, in "
                 "alternating order: alone, and with the shape's health check (one `GET /health` a second through "
                 "Sluice, from before the warm-up to the end). Target: after / before ≥ 0.95.")
        L.append("")
        L.append("| health check | rep | /slow answers | last answer at | before (req/s) | 5 s after (req/s) | ratio | "
                 "limit before → lowest → at the end |")
        L.append("| --- | ---: | --- | ---: | ---: | ---: | ---: | --- |")
        for r in sorted(runs, key=lambda x: (bool(x.get("health")), x["rep"])):
            lim = [x[1] for x in r["samples"]]
            before_lim = [x[1] for x in r["samples"] if x[0] <= 5.0]
            L.append(f"| {'yes' if r.get('health') else 'no'} | {r['rep'] + 1} | "
                     f"{', '.join(str(x[2]) for x in r['slow'])} | {r['timeoutsAt']:.2f} s | "
                     f"{fmt(r['before'])} | {fmt(r['after'])} | {fmt(r['ratio'], 3)} | "
                     f"{before_lim[-1] if before_lim else '–'} → {min(lim) if lim else '–'} → "
                     f"{lim[-1] if lim else '–'} |")
        L.append("")
        for flag, what in ((False, "alone"), (True, "with the health check")):
            sel = [r for r in runs if bool(r.get("health")) == flag]
            if not sel:
                continue
            ratio = median([r["ratio"] for r in sel])
            L.append(f"- **{what}: median ratio after / before {fmt(ratio, 3)}** (median throughput before "
                     f"{fmt(median([r['before'] for r in sel]))} req/s) — "
                     f"{'meets' if ratio is not None and ratio >= 0.95 else 'misses'} the target.")
        L.append("")
        if os.path.exists(os.path.join(OUT, "auto-timeouts.png")):
            L.append("![throughput and limit around three backend timeouts](auto-timeouts.png)")
            L.append("")

    runs = data.get("autoColdStart")
    if runs:
        c = cold_figures(data)
        L.append("### Cold start on gevent (gunicorn, 2 workers x 100 connections x 50 ms)")
        L.append("")
        L.append(f"A fresh Sluice (`--limit auto`, new JVM, Java {c['java']}) and, as soon as it listens, `wrk -t1 -c256 "
                 f"-d{p.get('cold_seconds', 6)}s`. Throughput per 250 ms from `totals.served` polled every 50 ms, "
                 f"against the gevent shape's best fixed limit's median steady throughput in this run "
                 f"({fmt(c['best'])} req/s). *Time to 90%* = the end of the first 250 ms window at ≥ 90% of it. "
                 "Target: ≤ 2 s."
                 + (" Also, in alternating order with the same runs: " + "; ".join(c["others"]) + "."
                    if c["others"] else "")
                 + (" Java 25 and later (`--cold-java`) runs with its own class archive, an AOT cache, which holds the "
                    "rehearsal's method profiles too." if any(o["runtime"][0] >= 25 for o in c["others"].values())
                    else "")
                 + (f" *C1 only* = `SLUICE_JAVA_OPTS={QUICK_JIT}`: the JIT's quick mode, no profiling tier and no "
                    "C2, so compiled code in a fraction of the time, but slower code (section 2 measures its CPU per "
                    "request)." if any(o["runtime"][1] == QUICK_JIT for o in c["others"].values()) else ""))
        L.append("")
        L.append("| | " + " | ".join(f"{(i + 1) * 0.25:.2f}" for i in range(20)) + " |")
        L.append("| --- | " + " | ".join("---:" for _ in range(20)) + " |")
        for label, ws in cold_rows(c, "windows"):
            if not ws:
                continue
            L.append(f"| {label}: req/s (median) | " + " | ".join(fmt(w) for w in ws) + " |")
            if c["best"]:
                L.append(f"| {label}: % of best fixed | " + " | ".join(
                    fmt(100.0 * w / c["best"]) if w is not None else "–" for w in ws) + " |")
        L.append("")
        t = c["t90Median"]
        L.append(f"- **Time to 90% of the best fixed limit's throughput: "
                 f"{fmt(t, 2, ' s') if t is not None else 'not reached in every repetition'}** (by repetition: "
                 f"{', '.join(fmt(x, 2, ' s') if x is not None else 'not reached' for x in c['t90'])}) — "
                 f"{'meets' if t is not None and t <= 2.0 else 'misses'} the target.")
        if c["fixedWindows"]:
            L.append(f"- The same from a fresh Sluice with the fixed limit {c['fixedLimit']} (no ramp at all): "
                     + ", ".join(fmt(x, 2, ' s') if x is not None else 'not reached' for x in c['fixedT90'])
                     + " — what a cold JVM sharing 2 cores with the backend allows whatever the limit.")
        for label, o in c["others"].items():
            t = o["t90Median"]
            L.append(f"- **{label}**, auto: **{fmt(t, 2, ' s') if t is not None else 'not reached in every repetition'}** "
                     f"(by repetition: {', '.join(fmt(x, 2, ' s') if x is not None else 'not reached' for x in o['t90'])}) — "
                     f"{'meets' if t is not None and t <= 2.0 else 'misses'} the target; the fixed limit "
                     f"{c['fixedLimit']}: " + ", ".join(fmt(x, 2, ' s') if x is not None else 'not reached'
                                                       for x in o['fixedT90']) + ".")
        if c["resetWindows"]:
            t = c["resetT90Median"]
            L.append(f"- **The limit's own cold start**, on a warm JVM: a Sluice warmed at the fixed limit "
                     f"{c['fixedLimit']} ("
                     + (f"{c['resetWarmStarts']} × ({RESET_IDLE_S} s idle, {p.get('auto_warm_seconds', '?')} s of "
                        "wrk): several load starts, so that the JIT has compiled what a start runs"
                        if c["resetWarmStarts"] else f"2 × {p.get('auto_warm_seconds', '?')} s of wrk")
                     + "), idle, switched to auto "
                     f"over the admin API (a new auto limit starts from 4), then the same load at once: 90% after "
                     f"**{fmt(t, 2, ' s') if t is not None else 'not reached in every repetition'}** (by repetition: "
                     + ", ".join(fmt(x, 2, ' s') if x is not None else 'not reached' for x in c['resetT90']) + ").")
        if c["warmFixedWindows"]:
            t = c["warmFixedT90Median"]
            L.append(f"- The same warm Sluice left at the fixed limit {c['fixedLimit']} (no PATCH), loaded the same way "
                     f"in alternating order: 90% after {fmt(t, 2, ' s') if t is not None else 'not reached in every repetition'} "
                     "(by repetition: " + ", ".join(fmt(x, 2, ' s') if x is not None else 'not reached'
                                                    for x in c['warmFixedT90'])
                     + ") — the same start of the load without a ramp: the difference is what the ramp from 4 costs.")
        L.append("")
        report_cold_cpu(c, p, L)
        if os.path.exists(os.path.join(OUT, "auto-cold-start.png")):
            L.append("![throughput from a cold start](auto-cold-start.png)")
            L.append("")


COLD_CPU_COLUMNS = (("c2", "C2 compiler"), ("c1", "C1 compiler"), ("eventLoops", "event loops"), ("other", "other"))


def cold_rows(c, figure):
    """[(label, value)] of one figure of cold_figures (`windows`, `cpu`) for every set-up of the cold start: fresh
    JVMs at auto and at the fixed limit, on each other runtime too, then the warm Sluice's limit reset and fixed
    limit. The figure's keys follow one pattern: `windows`, `fixedWindows`, `resetWindows`, `warmFixedWindows`."""
    name = figure[0].upper() + figure[1:]
    fixed = f"limit {c['fixedLimit']}"
    rows = [("auto", c[figure]), (fixed, c["fixed" + name])]
    for label, o in c["others"].items():
        rows += [(f"auto, {label}", o[figure]), (f"{fixed}, {label}", o["fixed" + name])]
    return rows + [("auto, limit reset on a warm Sluice", c["reset" + name]),
                   (f"{fixed}, the same warm Sluice", c["warmFixed" + name])]


def report_cold_cpu(c, p, L):
    """Where a cold JVM's CPU goes during the cold start's load, beside a warm one's."""
    rows = [(label, cpu) for label, cpu in cold_rows(c, "cpu") if cpu]
    if not rows:
        return
    seconds = p.get("cold_seconds", 6)
    L.append(f"CPU seconds of Sluice's JVM during the {seconds} s of load, by thread (`/proc/PID/task/*/stat`; "
             f"medians). The machine has {2 * seconds} CPU-seconds in that time, shared by the backend's two gevent "
             "workers, wrk and Sluice: what the JIT's compilers take, the backend does not get.")
    L.append("")
    L.append("| | " + " | ".join(name for _, name in COLD_CPU_COLUMNS) + " | all |")
    L.append("| --- | " + " | ".join("---:" for _ in COLD_CPU_COLUMNS) + " | ---: |")
    for label, cpu in rows:
        L.append(f"| {label} | " + " | ".join(fmt(cpu[k], 2) for k, _ in COLD_CPU_COLUMNS)
                 + f" | {fmt(sum(cpu[k] for k, _ in COLD_CPU_COLUMNS), 2)} |")
    L.append("")


def overload_figures(o):
    drain = median([d["drain"] for d in o.get("drain", [])])
    rows = {}
    for key, runs in o.get("runs", {}).items():
        m = {k: median([r[k] for r in runs]) for k in ("servedPct", "servedP50", "servedP90", "refusedP50",
                                                        "refusedP90", "timeouts", "errors", "goodput",
                                                        "achievedRate", "lagP99Ms", "refused", "requests")}
        m["goodputRatio"] = m["goodput"] / drain if m["goodput"] and drain else None
        m["refusedPct"] = 100.0 * m["refused"] / m["requests"] if m["requests"] else None
        m["timeoutsAll"] = [r["timeouts"] for r in runs]
        rows[key] = m
    return drain, rows


def overload_target_met(m):
    """The sustained-overload target: served p50 <= 0.5 s, 503 p50 <= 0.5 s, no client timeout, goodput >= 0.9x."""
    return (m["servedP50"] is not None and m["servedP50"] <= 0.5
            and (m["refusedP50"] is None or m["refusedP50"] <= 0.5)
            and all(t == 0 for t in m["timeoutsAll"]) and m["goodputRatio"] is not None
            and m["goodputRatio"] >= 0.9)


def report_overload(plan, data, L):
    o = data["overload"]
    p = data.get("plan", {})
    drain, rows = overload_figures(o)
    L.append("## 7. Sustained overload")
    L.append("")
    L.append(f"An open-loop client (`bench/clients.py openloop`: Python asyncio on raw sockets) opens "
             f"{p.get('overload_rate', 500):g} new connections per second for {p.get('overload_seconds', 20):g} s, "
             "whatever happened to the earlier ones, each sending one `GET /` with `Connection: close` and giving up "
             "at its deadline (5 s with Sluice's defaults, as a user's browser or client library might; 6 s where "
             "the proxy's queue timeout is 5 s, so that its 503s are seen). Backend: uWSGI `--http-socket` on a Unix "
             "socket, 2 processes, `--listen 100`, 5 ms per request. *Wait* = response complete − connection "
             "started; *goodput* = 200 responses completed per second while the arrivals go on, from 1 s after the "
             "first to the last (a request served after its client gave up is not good); the backend's "
             f"*drain rate* is its own saturated rate in the same run: {p.get('overload_drain_concurrency', 32)} "
             f"closed-loop clients straight on its socket for {p.get('overload_drain_seconds', 5):g} s, no proxy "
             f"(`bench/clients.py closed`; median {fmt(drain)} 200/s). Medians of the repetitions.")
    L.append("")
    L.append("| case | client deadline | served | served wait p50 | p90 | refused 503 | 503 answered after (p50) | "
             "client timeouts | errors | goodput (200/s) | goodput / drain | arrivals achieved (/s) |")
    L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for key, label, _deadline in OVERLOAD_CASES:
        case = o.get("cases", {}).get(key, {})
        if case.get("unavailable"):
            L.append(f"| {label} | {case['deadline']:g} s | not available: {case['unavailable']} | | | | | | | | | |")
            continue
        m = rows.get(key)
        if not m:
            continue
        L.append(f"| {label} | {case.get('deadline', 0):g} s | {fmt(m['servedPct'], 1)}% | "
                 f"{fmt_ms(ms(m['servedP50']))} | {fmt_ms(ms(m['servedP90']))} | {fmt(m['refusedPct'], 1)}% | "
                 f"{fmt_ms(ms(m['refusedP50']))} | {fmt(m['timeouts'])} | {fmt(m['errors'])} | "
                 f"{fmt(m['goodput'])} | {fmt(m['goodputRatio'], 2)} | {fmt(m['achievedRate'])} |")
    L.append("")
    lag = max((m["lagP99Ms"] or 0 for m in rows.values()), default=None)
    L.append(f"The generator's arrivals: achieved rate above; its start lag behind schedule stayed at a p99 of at most "
             f"{fmt(lag, 1)} ms (median over repetitions, worst case).")
    L.append("")
    m = rows.get("sluice-adaptive")
    if m:
        ok = overload_target_met(m)
        L.append(f"- **adaptive** (target: served p50 ≤ 0.5 s, 503 p50 ≤ 0.5 s, no client timeout, goodput ≥ 0.9× the "
                 f"drain rate): served p50 {fmt_ms(ms(m['servedP50']))}, 503 p50 {fmt_ms(ms(m['refusedP50']))}, "
                 f"timeouts {', '.join(str(t) for t in m['timeoutsAll'])}, goodput {fmt(m['goodputRatio'], 2)}× — "
                 f"{'meets' if ok else 'misses'} the target.")
        L.append("")
    if os.path.exists(os.path.join(OUT, "overload-waits.png")):
        L.append("![wait distribution of served and refused requests](overload-waits.png)")
        L.append("")


def report_hostile(plan, data, L):
    h = data["hostile"]
    L.append("## 8. Hostile clients beside normal traffic")
    L.append("")
    L.append(f"Sluice (`limit: auto`, `SLUICE_JAVA_OPTS={h['heap']}`, a fresh `buffers.tempDir` per repetition) in front "
             f"of uWSGI (`--socket`, 2 processes, 5 ms). Normal traffic: hey at {plan.hey_rate} requests/s "
             f"({plan.hey_workers} keep-alive workers) on `GET /` for {h['seconds']} s, once on a quiet Sluice and once "
             f"while `bench/clients.py hostile` holds {h['heads']:,} connections trickling a request head (one byte "
             f"every ~{h['interval']} s), {h['bodies']:,} that declared a 262,144-byte body, sent 262,000 bytes of it "
             f"and trickle the rest a byte every ~{h['interval']} s (both connect again when closed), and "
             f"{h['neverRead']:,} that send `GET /big` ({h['bigMB']:,} MB streamed by the app) with a 4 KiB receive "
             "buffer and never read; the order of the quiet and the hostile run alternates. Measured once a second: "
             "RSS, the bytes of Sluice's temporary files (open, unlinked files under its temp directory, from "
             "`/proc/PID/fd`), heap used by `jstat -gc` (survivors + eden + old). The hostile clients are stopped "
             f"if the temporary files pass {h['spoolCap'] / 2**30:g} GiB (a guard for the machine's disk, not a "
             "Sluice setting).")
    L.append("")
    L.append("Settings given to Sluice (each only when this build accepts it):")
    L.append("")
    for k, v in h.get("settings", {}).items():
        why = h.get("refusals", {}).get(k)
        L.append(f"- `{k}`: " + (f"`{v}`" if v else "not available in this build"
                                 + (f" (`{why}`)" if why else "") + "; its absence is what was measured"))
    L.append("")
    L.append("| rep | order | normal p50 quiet | p50 hostile | ratio | p99 quiet / hostile | normal traffic, hostile run | "
             "heap used peak (committed) | temp files peak | temp files 5 s after the clients left | RSS peak | "
             "Sluice alive | hostile clients |")
    L.append("| ---: | --- | ---: | ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | --- | --- |")
    mib = lambda b: "–" if b is None else f"{b / 2**20:,.0f} MiB"  # noqa: E731
    kib = lambda k: "–" if k is None else f"{k / 1024:,.0f} MiB"  # noqa: E731
    for r in h["runs"]:
        q = r.get("quiet") or {}
        hr = r.get("hostile") or {}
        n = hr.get("normal") or {}
        st = (hr.get("clients") or {}).get("stats", {})
        cl = "; ".join(f"{k}: " + ", ".join(f"{a} {b}" for a, b in sorted(v.items()) if a != "bytesTrickled")
                       for k, v in sorted(st.items()))
        statuses = ", ".join(f"{k} x {v}" for k, v in sorted((n.get("statuses") or {}).items()))
        if n.get("errors"):
            statuses += f", {n['errors']} errors"
        if hr.get("heyError"):
            statuses += " (hey failed)"
        safety = (f" (hostile clients stopped at {hr['safetyStop']['t']:.0f} s: safety cap)"
                  if hr.get("safetyStop") else "")
        alive = "yes" if r.get("aliveEnd") else f"**no** (exit {r.get('exit')})"
        if not r.get("aliveEnd") and hr.get("diedAt") is not None:
            alive += f", gone {hr['diedAt']:.0f} s after the hostile clients started"
        if not hr.get("aliveAtStart", True) or (hr and not n):
            statuses = statuses or "not measured: Sluice had exited"
        L.append(f"| {r['rep'] + 1} | {' then '.join(r['order'])} | {fmt_ms(q.get('p50'))} | {fmt_ms(n.get('p50'))} | "
                 f"**{fmt(r.get('ratio'), 2)}** | {fmt_ms(q.get('p99'))} / {fmt_ms(n.get('p99'))} | "
                 f"{statuses or '–'} | {kib(hr.get('heapUsedPeakKiB'))} ({kib(hr.get('heapCommittedPeakKiB'))}) | "
                 f"{mib(hr.get('spoolPeakBytes'))}{safety} | {mib(hr.get('spoolAfterBytes'))} | "
                 f"{kib(hr.get('rssPeakKiB'))} | {alive} | {cl or '–'} |")
    L.append("")
    ratio = median([r.get("ratio") for r in h["runs"]])
    alive = all(r.get("aliveEnd") for r in h["runs"])
    disk = h.get("settings", {}).get("buffers.disk")
    peak = max((r.get("hostile") or {}).get("spoolPeakBytes", 0) for r in h["runs"]) if h["runs"] else None
    L.append(f"- **Normal traffic's median latency, hostile / quiet: {fmt(ratio, 2)}** (target ≤ 1.2) — "
             f"{'meets' if ratio is not None and ratio <= 1.2 else 'misses'} the target.")
    L.append(f"- **Sluice alive through every repetition: {'yes' if alive else 'no'}.**"
             + "".join(f" Repetition {r['rep'] + 1}: `{r.get('exitLine', '').strip()}`" for r in h["runs"]
                       if not r.get("aliveEnd") and r.get("exitLine")))
    if disk:
        L.append(f"- Temporary files peaked at {mib(peak)} against `buffers.disk: {disk}`.")
    else:
        L.append(f"- Temporary files peaked at {mib(peak)}; no disk budget in this build.")
    L.append("")
    if os.path.exists(os.path.join(OUT, "hostile.png")):
        L.append("![temporary files and RSS during the hostile runs](hostile.png)")
        L.append("")


def charts_new(data, plt):
    """Charts of the auto, overload and hostile sections."""
    for key, rec in data.get("auto", {}).items():
        samples = rec.get("samples", {}).get("auto") or []
        runs = rec["runs"].get("auto") or []
        if not samples or not runs:
            continue
        # The repetition with the median drain rate.
        idx = sorted(range(len(runs)), key=lambda i: runs[i]["spike"]["drain"] or 0)[len(runs) // 2]
        s = samples[min(idx, len(samples) - 1)]
        busy = [x[0] for x in s if x[2] > 0 or x[4] > 0]
        t0 = max(0.0, busy[0] - 0.5) if busy else 0.0
        s = [x for x in s if x[0] >= t0]
        t = [x[0] - t0 for x in s]
        f = auto_figures(rec)
        fig, ax = plt.subplots(figsize=(9, 4))
        ax.plot(t, [x[2] for x in s], label="in flight", color="#d0743c", linewidth=3, alpha=0.6)
        if any(x[3] is not None for x in s):
            ax.plot(t, [x[3] if x[3] is not None else float("nan") for x in s], label="backend kernel queue",
                    color="#8a5ab5")
        ax.plot(t, [x[1] for x in s], label="limit.current (auto)", color="#1d5a2c", linewidth=1.5, zorder=5)
        if f.get("bestRps"):
            ax.axhline(float(f["bestRps"]), color="#555555", linestyle="--", linewidth=1,
                       label=f"best fixed limit by throughput ({f['bestRps']})")
        ax.set_ylabel("requests")
        ax.set_ylim(bottom=0)
        ax2 = ax.twinx()
        ax2.plot(t, [x[4] for x in s], label="Sluice queue depth", color="#4a7fb5", alpha=0.5)
        ax2.set_ylabel("requests waiting in Sluice's queue")
        ax2.set_ylim(bottom=0)
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, loc="upper right", fontsize=7)
        ax.set_xlabel("seconds")
        ax.set_title(f"{rec['label']}: {runs[idx]['spike']['requests']:,}-connection spike, limit auto "
                     f"(status every 50 ms)", fontsize=9)
        fig.tight_layout()
        fig.savefig(os.path.join(OUT, f"auto-limit-{key}.png"), dpi=110)
        plt.close(fig)
    runs = data.get("autoTimeouts")
    if runs:
        groups = [(flag, [r for r in runs if bool(r.get("health")) == flag]) for flag in (False, True)]
        groups = [(flag, sel) for flag, sel in groups if sel]
        fig, axes = plt.subplots(1, len(groups), figsize=(7 * len(groups), 4), squeeze=False)
        for ax, (flag, sel) in zip(axes[0], groups):
            r = sorted(sel, key=lambda x: x["ratio"] or 0)[len(sel) // 2]
            ax.bar([i + 0.5 for i in range(len(r["series"]))], [x or 0 for x in r["series"]], width=0.9,
                   color="#4a7fb5", label="served per 1 s")
            ax.axvline(5.0, color="grey", linestyle=":", label="three GET /slow sent")
            ax.axvline(r["timeoutsAt"], color="red", linestyle=":", label="last 504")
            ax.set_ylabel("requests/s")
            ax.set_xlabel("seconds since the load started")
            ax2 = ax.twinx()
            ax2.plot([x[0] for x in r["samples"]], [x[1] for x in r["samples"]], color="#1d5a2c", label="limit")
            ax2.set_ylabel("limit.current")
            ax2.set_ylim(bottom=0)
            h1, l1 = ax.get_legend_handles_labels()
            h2, l2 = ax2.get_legend_handles_labels()
            ax.legend(h1 + h2, l1 + l2, loc="lower left", fontsize=7)
            ax.set_title(f"{'with one health check a second' if flag else 'alone'} (median repetition)", fontsize=9)
        fig.suptitle("uWSGI 16 x 50 ms, limit auto, backend timeout 2 s: three timeouts in a row", fontsize=10)
        fig.tight_layout()
        fig.savefig(os.path.join(OUT, "auto-timeouts.png"), dpi=110)
        plt.close(fig)
    if data.get("autoColdStart"):
        c = cold_figures(data)
        fig, ax = plt.subplots(figsize=(9, 4))
        # The median of the repetitions, one line per runtime and limit: every repetition of every runtime would be
        # two dozen lines; the table gives the repetitions' times.
        lines = [(f"Java {c['java']}", c)] + list(c["others"].items())
        for i, (label, o) in enumerate(lines):
            for key, what, style in (("windows", "auto", "-"), ("fixedWindows", f"limit {c['fixedLimit']}", ":")):
                ws = [w or 0 for w in o[key]]
                if ws:
                    ax.step([j * 0.25 for j in range(len(ws) + 1)], ws + ws[-1:], where="post", alpha=0.8,
                            color=f"C{i}", linestyle=style, label=f"fresh JVM, {label}, {what}")
        for key, what, style in (("resetWindows", "limit reset to auto on a warm Sluice", "-."),
                                 ("warmFixedWindows", f"limit {c['fixedLimit']} on a warm Sluice", (0, (1, 3)))):
            ws = [w or 0 for w in c[key]]
            if ws:
                ax.step([j * 0.25 for j in range(len(ws) + 1)], ws + ws[-1:], where="post", alpha=0.8,
                        color="C7" if key == "resetWindows" else "C8", linestyle=style, label=what)
        if c["best"]:
            ax.axhline(0.9 * c["best"], color="red", linestyle="--", linewidth=1,
                       label=f"90% of the best fixed limit ({fmt(0.9 * c['best'])} req/s)")
        ax.set_xlabel("seconds since the load started (250 ms windows)")
        ax.set_ylabel("requests/s")
        ax.set_ylim(bottom=0)
        ax.legend(fontsize=7)
        ax.set_title("gunicorn gevent 2 x 100 x 50 ms: a fresh Sluice, and a limit reset, under wrk -c256 "
                     "(median of the repetitions)", fontsize=9)
        fig.tight_layout()
        fig.savefig(os.path.join(OUT, "auto-cold-start.png"), dpi=110)
        plt.close(fig)
    o = data.get("overload")
    if o and o.get("runs"):
        fig, axes = plt.subplots(1, 3, figsize=(14, 4.2), gridspec_kw={"width_ratios": [2, 2, 1.3]})
        labels = {k: lab for k, lab, _ in OVERLOAD_CASES}
        colors = {"sluice-default": "#4a7fb5", "sluice-fifo": "#7f7f7f", "sluice-qt5": "#8a5ab5", "haproxy-mc3": "#d0743c",
                  "sluice-adaptive": "#2a6f3a"}
        shares = []
        for key, runs in o["runs"].items():
            r = sorted(runs, key=lambda x: x["servedPct"] or 0)[len(runs) // 2]
            for ax, status, what in ((axes[0], "200", "served"), (axes[1], "503", "refused (503)")):
                q = r["cdf"].get(status)
                if q:
                    share = r["statuses"].get(status, 0) / r["requests"]
                    ax.plot([max(x, 1e-3) for x in q], [share * i / 100.0 for i in range(101)],
                            color=colors.get(key), label=labels.get(key, key))
            n = r["requests"]
            shares.append((key, [100.0 * r["statuses"].get("200", 0) / n, 100.0 * r["statuses"].get("503", 0) / n,
                                 100.0 * r["timeouts"] / n,
                                 100.0 * (n - r["statuses"].get("200", 0) - r["statuses"].get("503", 0)
                                          - r["timeouts"]) / n]))
        for ax, what in ((axes[0], "served (200): wait"), (axes[1], "refused (503): time to the answer")):
            ax.set_xscale("log")
            ax.set_xlim(1e-3, 10)
            ax.set_ylim(0, 1.0)
            ax.set_xlabel("seconds (log)")
            ax.set_ylabel("share of all requests, cumulative")
            ax.set_title(what, fontsize=9)
            ax.grid(alpha=0.3)
        axes[0].legend(fontsize=7, loc="upper left")
        bottoms = [0.0] * len(shares)
        for i, (name, color) in enumerate((("200", "#2a6f3a"), ("503", "#d0a03c"), ("client timeout", "#c03c3c"),
                                           ("other", "#888888"))):
            vals = [s[1][i] for s in shares]
            axes[2].bar(range(len(shares)), vals, bottom=bottoms, color=color, label=name)
            bottoms = [b + v for b, v in zip(bottoms, vals)]
        axes[2].set_xticks(range(len(shares)))
        axes[2].set_xticklabels([s[0] for s in shares], rotation=30, ha="right", fontsize=7)
        axes[2].set_ylabel("% of requests")
        axes[2].legend(fontsize=7)
        axes[2].set_title("outcomes", fontsize=9)
        drain, _rows = overload_figures(o)
        p = data.get("plan", {})
        fig.suptitle(f"Sustained overload: {p.get('overload_rate', 0):g} new connections/s for "
                     f"{p.get('overload_seconds', 0):g} s against a backend whose own saturated rate is "
                     f"{fmt(drain)}/s (median repetition)", fontsize=10)
        fig.tight_layout()
        fig.savefig(os.path.join(OUT, "overload-waits.png"), dpi=110)
        plt.close(fig)
    h = data.get("hostile")
    if h and h.get("runs"):
        fig, ax = plt.subplots(figsize=(9, 4))
        ax2 = ax.twinx()
        for r in h["runs"]:
            mon = (r.get("hostile") or {}).get("monitor") or []
            if not mon:
                continue
            t = [x["t"] for x in mon]
            ax.plot(t, [x["spoolBytes"] / 2**20 for x in mon], label=f"temp files, rep {r['rep'] + 1}")
            ax2.plot(t, [(x["rssKiB"] or 0) / 1024 for x in mon], linestyle="--", alpha=0.6,
                     label=f"RSS, rep {r['rep'] + 1}")
        ax.set_xlabel("seconds since the hostile clients started")
        ax.set_ylabel("MiB of temporary files")
        ax2.set_ylabel("MiB RSS (dashed)")
        ax.set_ylim(bottom=0)
        ax2.set_ylim(bottom=0)
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, fontsize=7, loc="upper left")
        ax.set_title("Hostile clients: Sluice's temporary files and RSS", fontsize=9)
        fig.tight_layout()
        fig.savefig(os.path.join(OUT, "hostile.png"), dpi=110)
        plt.close(fig)


def write_report(plan, data, commands, note, path):
    m = data["machine"]
    L = []
    L.append(f"# Sluice benchmarks — {m['date']}")
    L.append("")
    if note:
        L.append(f"> **{note}**")
        L.append("")
    # The first run's repetitions: an --update may have run more or fewer, which its line says.
    reps = data.get("plan", {}).get("reps", plan.reps)
    L.append(f"Produced by `bench/run.sh{' --quick' if plan.quick else ''}` (Sluice `{m['sluice']}`). "
             f"Every figure is the median of {reps} run{'s' if reps > 1 else ''} taken in alternating "
             "order (each repetition rotates, and every other one reverses, the order of the set-ups), after "
             "unmeasured warm-up runs of every set-up. Raw runs: `raw/results.json`.")
    for u in data.get("updates", []):
        shapes = f" (shapes {', '.join(u['shapes'])})" if u.get("shapes") else ""
        L.append(f"Re-run later with `--update`: {', '.join(u['sections'])}{shapes} ({u['date']}, Sluice "
                 f"`{u['sluice']}`" + (f", {u['reps']} repetitions" if u.get("reps", reps) != reps else "") + ").")
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
        for n in spike_sizes(plan, data):
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
        report_spike_baseline(plan, data, L)
        # The drain-rate target against HAProxy with a hand-tuned maxconn
        n = closest(spike_sizes(plan, data), plan.acceptance_size)
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
        data["acceptanceSize"] = n
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
        for key in ("sluice", baseline_key("sluice"), "sluice-64", baseline_key("sluice-64")):
            s = data["overhead"].get(key, [])
            ratios = [a["rps"] / b["rps"] for a, b in zip(s, h) if a["rps"] and b["rps"]]
            if ratios:
                r = median(ratios)
                data.setdefault("overheadRatio", {})[key] = r
                L.append(f"- **{labels.get(key, key)} / HAProxy: {r:.3f}** (median of the per-repetition ratios "
                         f"{', '.join(f'{x:.3f}' for x in ratios)}; target ≥ 0.9) — "
                         f"{'meets' if r >= 0.9 else 'misses'} the target.")
        quick, full = data["overhead"].get(QUICK_JIT_KEY, []), data["overhead"].get("sluice-64", [])
        if quick and full:
            q, f = median([r.get("proxyUsPerReq") for r in quick]), median([r.get("proxyUsPerReq") for r in full])
            qr, fr = median([r["rps"] for r in quick]), median([r["rps"] for r in full])
            if q and f and qr and fr:
                L.append(f"- **The JIT's quick mode** (`SLUICE_JAVA_OPTS={QUICK_JIT}`: C1 alone, which gets a fresh "
                         f"Sluice to full speed sooner, section 6's cold start): {q:.1f} µs of CPU per request against "
                         f"{f:.1f} µs with the JIT's every tier (**{q / f:.2f}×**), {fmt(qr)} req/s against "
                         f"{fmt(fr)} ({qr / fr:.2f}×).")
        L.append("")
        report_overhead_baseline(plan, data, L)
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
        report_latency_baseline(plan, data, L)

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

    if "auto" in data:
        report_auto(plan, data, L)
    if "overload" in data:
        report_overload(plan, data, L)
    if "hostile" in data:
        report_hostile(plan, data, L)

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
    big = max(spike_sizes(plan, data))
    for key in ("sluice-http-auto", "sluice-uwsgi-auto", "sluice-http-3", "sluice-uwsgi-3"):
        runs = data.get("spike", {}).get(key, {}).get(str(big), [])
        if runs:
            ok = all(x["okPct"] == 100.0 for x in runs)
            pcts = " / ".join(f"{x['okPct']:.2f}%" for x in runs)
            L.append(f"| {big:,} spike through Sluice 100% 200 ({key}) | {pcts} | {'✅' if ok else '❌'} |")
    for key, a in data.get("acceptance", {}).items():
        L.append(f"| {data.get('acceptanceSize', plan.acceptance_size):,} spike drain rate, {key} / HAProxy maxconn 3 "
                 f"≥ 0.95, 100% 200 | "
                 f"{fmt(a['ratio'], 3)} | {'✅' if a['ratio'] and a['ratio'] >= 0.95 and a['allOk'] else '❌'} |")
    for key in AUTO_SHAPE_KEYS:
        rec = data.get("auto", {}).get(key)
        f = auto_figures(rec) if rec else {}
        if "meets" in f:
            L.append(f"| limit auto, {rec['label']}: drain and throughput ≥ 0.98× the best fixed limit, p99 ≤ 1.2× | "
                     f"{fmt(f['drainRatio'], 3)} / {fmt(f['rpsRatio'], 3)} / {fmt(f['p99Ratio'], 2)} | "
                     f"{'✅' if f['meets'] else '❌'} |")
    for flag, what in ((False, "alone"), (True, "with the health check")):
        sel = [r for r in data.get("autoTimeouts", []) if bool(r.get("health")) == flag]
        if sel:
            ratio = median([r["ratio"] for r in sel])
            L.append(f"| three backend timeouts ({what}): throughput 5 s later ≥ 0.95× before | {fmt(ratio, 3)} | "
                     f"{'✅' if ratio is not None and ratio >= 0.95 else '❌'} |")
    if data.get("autoColdStart"):
        c = cold_figures(data)
        t = c["t90Median"]
        L.append(f"| cold start on gevent: 90% of the best fixed limit's throughput within 2 s (fresh JVM, Java "
                 f"{c['java']}) | {fmt(t, 2, ' s') if t is not None else 'not reached'} | "
                 f"{'✅' if t is not None and t <= 2 else '❌'} |")
        for label, o in c["others"].items():
            t = o["t90Median"]
            L.append(f"| the same on {label} | {fmt(t, 2, ' s') if t is not None else 'not reached'} | "
                     f"{'✅' if t is not None and t <= 2 else '❌'} |")
        if c["resetWindows"]:
            t = c["resetT90Median"]
            L.append(f"| the same, the limit reset to auto on a warm Sluice | "
                     f"{fmt(t, 2, ' s') if t is not None else 'not reached'} | "
                     f"{'✅' if t is not None and t <= 2 else '❌'} |")
    if data.get("overload"):
        o = data["overload"]
        drain, rows = overload_figures(o)
        m = rows.get("sluice-adaptive")
        if o.get("cases", {}).get("sluice-adaptive", {}).get("unavailable"):
            L.append("| sustained overload, adaptive: served p50 ≤ 0.5 s, 503 p50 ≤ 0.5 s, no timeout, goodput ≥ 0.9× | "
                     "not available in this build | ❌ |")
        elif m:
            ok = overload_target_met(m)
            L.append(f"| sustained overload, adaptive: served p50 ≤ 0.5 s, 503 p50 ≤ 0.5 s, no timeout, goodput ≥ 0.9× | "
                     f"{fmt_ms(ms(m['servedP50']))}, {fmt_ms(ms(m['refusedP50']))}, "
                     f"{'/'.join(str(t) for t in m['timeoutsAll'])}, {fmt(m['goodputRatio'], 2)}× | "
                     f"{'✅' if ok else '❌'} |")
    if data.get("hostile", {}).get("runs"):
        h = data["hostile"]
        ratio = median([r.get("ratio") for r in h["runs"]])
        alive = all(r.get("aliveEnd") for r in h["runs"])
        L.append(f"| hostile clients: normal median latency ≤ 1.2× quiet, Sluice alive | {fmt(ratio, 2)}, "
                 f"{'alive' if alive else 'exited'} | {'✅' if alive and ratio is not None and ratio <= 1.2 else '❌'} |")
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
        configs = [c for c in spike_configs(True) if c[0] in data["spike"]]
        labels = [c[1] for c in configs]
        keys = [c[0] for c in configs]
        sizes = spike_sizes(plan, data)
        for metric, fname, ylabel in (("okPct", "spike-success.png", "answered 200 (%)"),
                                      ("drain", "spike-drain.png", "drain rate (200 responses/s)")):
            fig, ax = plt.subplots(figsize=(10, 4.5))
            width = 0.8 / len(sizes)
            for i, n in enumerate(sizes):
                vals = [median([r[metric] for r in data["spike"][k].get(str(n), [])]) or 0 for k in keys]
                xs = [j + i * width for j in range(len(keys))]
                ax.bar(xs, vals, width, label=f"{n:,} requests")
            ax.set_xticks([j + width * (len(sizes) - 1) / 2 for j in range(len(keys))])
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
    charts_new(data, plt)


SECTIONS = ["spike", "overhead", "memory", "latency", "queue", "profile", "auto", "overload", "hostile"]
# The keys of `data` each section writes, so that --update can drop what a section is about to measure again.
SECTION_KEYS = {"spike": ("spike", "acceptance", "acceptanceSize"), "overhead": ("overhead", "overheadRatio", "overheadLabels"),
                "memory": ("memory",), "latency": ("latency", "latencyLabels"), "queue": ("queueChart",),
                "profile": ("profile",), "auto": ("auto", "autoTimeouts", "autoColdStart", "autoColdReset"),
                "overload": ("overload",), "hostile": ("hostile",)}
# The names of the commands each section records begin with these.
SECTION_COMMANDS = {"spike": "spike", "overhead": "overhead", "memory": "memory", "latency": "latency",
                    "queue": "queue chart", "profile": "profile", "auto": "auto", "overload": "overload",
                    "hostile": "hostile"}


def previous_run(path, sections, machine, reps, shapes=None):
    """The data and commands of the run in `path`, without the sections about to run again, which are noted with the
    repetitions they run. With `shapes` (some of the auto section's backend shapes), only those shapes of the auto
    section are dropped."""
    if not os.path.exists(path):
        raise SystemExit(f"bench: --update: no earlier run in {path}")
    with open(path) as f:
        old = json.load(f)
    data, commands = old["data"], old["commands"]
    for section in sections:
        if section == "auto" and shapes and set(shapes) != set(AUTO_SHAPE_KEYS):
            for key in shapes:
                data.get("auto", {}).pop(key, None)
                for name in list(commands):
                    if name.startswith(f"auto: {key} "):
                        del commands[name]
            if TIMEOUTS_SHAPE in shapes:
                data.pop("autoTimeouts", None)
            if COLD_SHAPE in shapes:
                data.pop("autoColdStart", None)
                data.pop("autoColdReset", None)
            continue
        for key in SECTION_KEYS[section]:
            data.pop(key, None)
        for key in ("baselines", "baselineRatios"):
            data.get(key, {}).pop(section, None)
        for name in list(commands):
            if name.startswith(SECTION_COMMANDS[section]):
                del commands[name]
    updates = [left for u in data.get("updates", []) if (left := still_standing(u, sections, shapes))]
    data["updates"] = updates + [{"sections": sections, "date": machine["date"], "sluice": machine["sluice"],
                                  "reps": reps, **({"shapes": shapes} if shapes else {})}]
    return data, commands


def still_standing(update, sections, shapes=None):
    """What of an earlier --update still stands once `sections` run again (the auto section for `shapes` only, when
    given): its other sections, and the auto shapes this run leaves alone; None when nothing does."""
    auto_left = None
    if "auto" in update["sections"]:
        earlier = update.get("shapes") or AUTO_SHAPE_KEYS
        if "auto" not in sections:
            auto_left = update.get("shapes") or []
        elif shapes and set(shapes) != set(AUTO_SHAPE_KEYS):
            auto_left = [k for k in earlier if k not in shapes] or None
    left = [s for s in update["sections"] if s not in sections or (s == "auto" and auto_left is not None)]
    if not left:
        return None
    standing = {k: v for k, v in update.items() if k != "shapes"}
    standing["sections"] = left
    if auto_left:
        standing["shapes"] = auto_left
    return standing


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
    ap.add_argument("--shapes", default="",
                    help="auto section: comma-separated backend shapes (default all: " + ",".join(AUTO_SHAPE_KEYS) + ")")
    ap.add_argument("--spike-sizes", default="",
                    help="spike section: comma-separated spike sizes (default 1000,5000,15000; quick 200,1000)")
    ap.add_argument("--hostile-mb", type=int, default=0, metavar="MB",
                    help="hostile section: the size of the response each never-reader asks for (default 2)")
    ap.add_argument("--baseline-jar", default="", metavar="PATH",
                    help="spike, overhead and latency sections: measure every Sluice set-up also with this earlier jar "
                         "(java with bin/sluice's JVM options -jar PATH), alternating with this build")
    ap.add_argument("--cold-java", default="", metavar="JAVA_HOME",
                    help="auto section: run the gevent shape's fresh-JVM cold start also on this Java runtime, "
                         "alternating with the default one")
    args = ap.parse_args()
    shapes = [x for x in args.shapes.split(",") if x]
    for x in shapes:
        if x not in AUTO_SHAPE_KEYS:
            ap.error(f"--shapes: unknown shape {x!r} (expected: {', '.join(AUTO_SHAPE_KEYS)})")
    sizes = []
    for x in (x.strip().replace("_", "") for x in args.spike_sizes.split(",")):
        if x:
            if not x.isdigit() or int(x) < 1:
                ap.error(f"--spike-sizes: {x!r} is not a positive number of requests")
            sizes.append(int(x))
    baseline_jar = None
    if args.baseline_jar:
        baseline_jar = os.path.abspath(args.baseline_jar)
        if not os.path.isfile(baseline_jar):
            ap.error(f"--baseline-jar: no such file: {args.baseline_jar}")
    cold_java = None
    if args.cold_java:
        cold_java = os.path.abspath(args.cold_java)
        if not os.access(os.path.join(cold_java, "bin", "java"), os.X_OK):
            ap.error(f"--cold-java: no bin/java in {args.cold_java}")
    plan = Plan(args.quick, args.reps, shapes, spike_sizes=sorted(set(sizes)), baseline_jar=baseline_jar,
                hostile_mb=args.hostile_mb if args.hostile_mb > 0 else None, cold_java=cold_java)
    OUT = args.out or (os.path.join(servers.BENCH, "quick") if args.quick else servers.BENCH)
    os.makedirs(os.path.join(OUT, "raw"), exist_ok=True)
    sections = [s for s in args.only.split(",") if s] or SECTIONS
    for s in sections:
        if s not in SECTIONS:
            ap.error(f"--only: unknown section {s!r} (expected: {', '.join(SECTIONS)})")

    if baseline_jar and not args.report:
        if not {"spike", "overhead", "latency"} & set(sections):
            ap.error("--baseline-jar: only the spike, overhead and latency sections measure the baseline")
        try:
            log(f"baseline: {baseline_jar}: {jar_version(baseline_jar)}")
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            ap.error(f"--baseline-jar: {e}")

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
        data, commands = previous_run(os.path.join(OUT, "raw", "results.json"), sections, data["machine"],
                                       plan.reps, plan.auto_shapes if shapes else None)
    log(f"writing to {OUT}; temporary files in {tmp}")
    funcs = {"spike": section_spike, "overhead": section_overhead, "memory": section_memory,
             "latency": section_latency, "queue": section_queue_chart, "profile": section_profile,
             "auto": section_auto, "overload": section_overload, "hostile": section_hostile}
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
            f.write(lib.compact_json({"data": data, "commands": commands, "failures": failures}))
    data["loadEnd"] = lib.loadavg()
    charts(data, plan)
    note = args.note or data.get("note", "")
    data["note"] = note
    if failures:
        note = (note + " " if note else "") + "Sections that failed: " + "; ".join(failures)
    write_report(plan, data, commands, note, os.path.join(OUT, "RESULTS.md"))
    with open(os.path.join(OUT, "raw", "results.json"), "w") as f:
        f.write(lib.compact_json({"data": data, "commands": commands, "failures": failures}))
    log(f"wrote {os.path.join(OUT, 'RESULTS.md')}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
