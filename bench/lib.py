"""Process, port and measurement helpers for the benchmark runner (standard library only)."""
import json
import os
import re
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import time

_PROCS = []


def log(msg):
    print(time.strftime("%H:%M:%S ") + msg, file=sys.stderr, flush=True)


class StartError(RuntimeError):
    pass


class Proc:
    """A server process in its own session, so stopping it stops its children (uWSGI workers, nginx workers)."""

    def __init__(self, name, argv, logfile, env=None, cwd=None):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.logfile = logfile
        self.env = env
        self.cwd = cwd
        self.popen = None

    @property
    def pid(self):
        return self.popen.pid

    def start(self):
        env = dict(os.environ)
        if self.env:
            env.update(self.env)
        out = open(self.logfile, "ab")
        self.popen = subprocess.Popen(self.argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                      env=env, cwd=self.cwd, start_new_session=True)
        out.close()
        _PROCS.append(self)
        return self

    def alive(self):
        return self.popen is not None and self.popen.poll() is None

    def log_tail(self, lines=15):
        try:
            with open(self.logfile, "rb") as f:
                data = f.read().decode("utf-8", "replace").splitlines()
            return "\n".join(data[-lines:])
        except OSError:
            return ""

    def stop(self, timeout=15):
        if self.popen is None:
            return
        if self.popen.poll() is None:
            for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5)):
                try:
                    os.killpg(self.popen.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.popen.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        # Workers left behind by a master that died first share its process group.
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self in _PROCS:
            _PROCS.remove(self)

    def command(self):
        """The command as typed in a shell: the environment it was given (JVM options, the app's parameters), then
        its arguments."""
        return " ".join([f"{k}={shlex.quote(str(v))}" for k, v in (self.env or {}).items()]
                        + [shlex.quote(a) for a in self.argv])


def stop_all():
    for p in list(reversed(_PROCS)):
        try:
            p.stop(timeout=5)
        except Exception as e:  # keep stopping the others
            log(f"stopping {p.name}: {e}")


def free_port():
    """A TCP port that is free now on 127.0.0.1 (the caller retries if another program takes it first)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def can_connect(address):
    family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(1)
        try:
            s.connect(address)
            return True
        except OSError:
            return False


def wait_ready(proc, address, timeout=60):
    """Waits until `address` ((host, port) or a Unix socket path) accepts a connection while `proc` runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            raise StartError(f"{proc.name} exited with status {proc.popen.returncode}:\n{proc.log_tail()}")
        if (not isinstance(address, str) or os.path.exists(address)) and can_connect(address):
            return
        time.sleep(0.1)
    raise StartError(f"{proc.name} did not listen on {address} within {timeout}s:\n{proc.log_tail()}")


def run(argv, timeout, env=None):
    """Runs a client tool to completion; returns (exit status, standard output, standard error)."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    p = subprocess.run([str(a) for a in argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                       env=full_env, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def listen_queue(address):
    """(Recv-Q, Send-Q) of the listening socket at `address` from ss: the queue and its maximum."""
    if isinstance(address, str):
        out = subprocess.run(["ss", "-Hxln"], stdout=subprocess.PIPE, text=True).stdout
        for line in out.splitlines():
            f = line.split()
            if len(f) >= 5 and f[4] == address:
                return int(f[2]), int(f[3])
    else:
        out = subprocess.run(["ss", "-Htln"], stdout=subprocess.PIPE, text=True).stdout
        want = f"{address[0]}:{address[1]}"
        for line in out.splitlines():
            f = line.split()
            if len(f) >= 4 and f[3] == want:
                return int(f[1]), int(f[2])
    return None


def wait_quiet(addresses, timeout=240):
    """Waits until every backend's kernel listen queue is empty: nothing left over from the previous run."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = [a for a in addresses if (listen_queue(a) or (0, 0))[0] > 0]
        if not busy:
            time.sleep(1)
            return
        time.sleep(0.5)
    log(f"warning: backend queues still busy after {timeout}s: {addresses}")


def fd_count(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def tree_rss_kib(pid):
    """RSS of a process and its children (nginx and uWSGI masters with their workers)."""
    total = 0
    for p in [pid] + children(pid):
        try:
            total += rss_kib(p)
        except OSError:
            pass
    return total


def stat_cpu(path):
    """The name and the user + system CPU seconds of a process or thread, from its /proc stat file `path`; raises
    OSError when it has ended."""
    with open(path) as f:
        text = f.read()
    fields = text.rsplit(")", 1)[1].split()
    return text[text.index("(") + 1:text.rindex(")")], (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """User + system CPU seconds of a process and its children (nginx and uWSGI workers), from /proc."""
    total = 0
    for p in [pid] + children(pid):
        try:
            total += stat_cpu(f"/proc/{p}/stat")[1]
        except (OSError, IndexError, ValueError):
            pass
    return total


# The JVM's threads by what they do, from the start of their names (/proc/PID/task/TID/comm keeps 15 characters).
JVM_THREAD_GROUPS = (("C2 CompilerThre", "c2"), ("C1 CompilerThre", "c1"), ("vert.x-eventloo", "eventLoops"))


def jvm_thread_cpu(pid):
    """User + system CPU seconds of a JVM's threads, summed by JVM_THREAD_GROUPS ("other": the rest), from
    /proc/PID/task: the JIT's compilers apart from the event loops that serve requests. Threads that ended are not
    counted."""
    out = {group: 0.0 for _, group in JVM_THREAD_GROUPS}
    out["other"] = 0.0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            name, seconds = stat_cpu(f"/proc/{pid}/task/{tid}/stat")
        except OSError:
            continue
        out[next((g for prefix, g in JVM_THREAD_GROUPS if name.startswith(prefix)), "other")] += seconds
    return out


def children(pid):
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], stdout=subprocess.PIPE, text=True).stdout
    return [int(x) for x in out.split()]


def jcmd(pid, *args, timeout=60):
    p = subprocess.run(["jcmd", str(pid), *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=timeout)
    return p.stdout


def heap_used_kib(pid, gc=True):
    """(used, committed) KiB of the Java heap, after a full collection when `gc`."""
    if gc:
        jcmd(pid, "GC.run")
    out = jcmd(pid, "GC.heap_info")
    m = re.search(r"heap\s+total\s+(\d+)K,\s+used\s+(\d+)K", out)
    if not m:
        raise RuntimeError("cannot read GC.heap_info: " + out[:500])
    return int(m.group(2)), int(m.group(1))


def class_histogram(pid):
    """{class: (instances, bytes)} of live objects (jcmd GC.class_histogram collects first)."""
    out = jcmd(pid, "GC.class_histogram", timeout=120)
    hist = {}
    for line in out.splitlines():
        m = re.match(r"\s*\d+:\s+(\d+)\s+(\d+)\s+(\S+)", line)
        if m:
            hist[m.group(3)] = (int(m.group(1)), int(m.group(2)))
    return hist


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def parse_duration_ms(text):
    """wrk's `1.23ms`, `456.78us`, `1.02s`, `2.00m` in milliseconds."""
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not m:
        return None
    v = float(m.group(1))
    return v * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}[m.group(2)]


def parse_wrk(out):
    res = {"rps": None, "p50": None, "p90": None, "p99": None, "errors": 0, "non2xx": 0, "requests": None}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if m:
        res["rps"] = float(m.group(1))
    for pct, key in (("50", "p50"), ("90", "p90"), ("99", "p99")):
        m = re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", out, re.M)
        if m:
            res[key] = parse_duration_ms(m.group(1))
    m = re.search(r"(\d+) requests in", out)
    if m:
        res["requests"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        res["errors"] = sum(int(x) for x in m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        res["non2xx"] = int(m.group(1))
    return res


def parse_hey(out):
    res = {"rps": None, "p50": None, "p90": None, "p99": None, "statuses": {}, "errors": 0}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if m:
        res["rps"] = float(m.group(1))
    for pct, key in (("50", "p50"), ("90", "p90"), ("99", "p99")):
        m = re.search(rf"^\s+{pct}%+ in ([\d.]+) secs", out, re.M)
        if m:
            res[key] = float(m.group(1)) * 1e3
    for m in re.finditer(r"\[(\d{3})\]\s+(\d+) responses", out):
        res["statuses"][m.group(1)] = int(m.group(2))
    m = re.search(r"Error distribution:(.*)", out, re.S)
    if m:
        res["errors"] = sum(int(x) for x in re.findall(r"\[(\d+)\]", m.group(1)))
    return res


def parse_spike(out):
    for line in reversed(out.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError("no JSON summary in spike output: " + out[-1000:])


# ---------------------------------------------------------------------------------------------------------------
# Sluice's admin API, temporary files and heap, sampled while a measurement runs


def admin_status(port, timeout=2):
    """GET /api/v1/status of the Sluice whose admin API listens on 127.0.0.1:port, or None when it does not answer."""
    import urllib.request
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/status", timeout=timeout) as r:
            return json.load(r)
    except (OSError, ValueError):
        return None


def admin_patch(port, path, doc, timeout=5):
    """PATCH `doc` (as JSON) to Sluice's admin API on 127.0.0.1:port; returns the answer's JSON, raises on an error."""
    import urllib.request
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(doc).encode(), method="PATCH",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.load(r)


def wait_sluice_idle(port, timeout=180):
    """Waits until Sluice's queue is empty and nothing is in flight in any backend (or it stops answering)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st = admin_status(port)
        if st is None:
            return False
        if st["queue"]["depth"] == 0 and all(b.get("inflight", 0) == 0 for b in st.get("backends", [])):
            return True
        time.sleep(0.25)
    log(f"warning: Sluice (admin port {port}) still busy after {timeout}s")
    return False


class Ticker:
    """Calls self.tick() every `interval` seconds in a daemon thread, on schedule, from start() until stop()."""

    def __init__(self, interval):
        import threading
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join()

    def tick(self):
        raise NotImplementedError

    def _run(self):
        nxt = time.monotonic()
        while not self._stop.is_set():
            self.tick()
            nxt += self.interval
            self._stop.wait(max(0.0, nxt - time.monotonic()))


class StatusPoller(Ticker):
    """Polls GET /api/v1/status every `interval` seconds in a thread; keeps (monotonic time, extract(status))."""

    def __init__(self, port, interval, extract):
        super().__init__(interval)
        self.port = port
        self.extract = extract
        self.samples = []

    def stop(self):
        super().stop()
        return self.samples

    def tick(self):
        st = admin_status(self.port, timeout=1)
        if st is not None:
            try:
                self.samples.append((time.monotonic(), self.extract(st)))
            except (KeyError, TypeError, IndexError):
                pass


def rate_between(samples, a, b):
    """Requests per second between monotonic times a and b from (t, count) samples, interpolated linearly."""
    def at(t):
        if not samples or t < samples[0][0] or t > samples[-1][0]:
            return None
        for (t0, c0), (t1, c1) in zip(samples, samples[1:]):
            if t0 <= t <= t1:
                return c0 + (c1 - c0) * ((t - t0) / (t1 - t0) if t1 > t0 else 0)
        return samples[-1][1]

    ca, cb = at(a), at(b)
    return None if ca is None or cb is None or b <= a else (cb - ca) / (b - a)


def spool_bytes(pid, directory):
    """Bytes on disk of the files under `directory` that process `pid` holds open or that are still there (open
    and unlinked files count: Sluice deletes its spill files right after creating them)."""
    directory = os.path.realpath(directory)
    seen = {}
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        fds = []
    for fd in fds:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            if not target.startswith(directory + "/"):
                continue
            st = os.stat(f"/proc/{pid}/fd/{fd}")
            seen[(st.st_dev, st.st_ino)] = st.st_blocks * 512
        except OSError:
            continue
    for dirpath, _dirs, files in os.walk(directory):
        for name in files:
            try:
                st = os.stat(os.path.join(dirpath, name))
                seen[(st.st_dev, st.st_ino)] = st.st_blocks * 512
            except OSError:
                continue
    return sum(seen.values()), len(seen)


class Jstat:
    """`jstat -gc PID MS` in the background: heap used (survivors + eden + old) and committed in KiB per sample."""

    def __init__(self, pid, interval_ms=1000):
        import threading
        self.samples = []
        self.p = subprocess.Popen(["jstat", "-gc", str(pid), str(interval_ms)], stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        header = None
        for line in self.p.stdout:
            f = line.split()
            if not f:
                continue
            if f[0] == "S0C":
                header = f
                continue
            if header is None:
                continue
            try:
                v = dict(zip(header, (float(x) for x in f)))
            except ValueError:
                continue
            used = sum(v.get(k, 0.0) for k in ("S0U", "S1U", "EU", "OU"))
            committed = sum(v.get(k, 0.0) for k in ("S0C", "S1C", "EC", "OC"))
            self.samples.append((time.monotonic(), used, committed))

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(5)
            except subprocess.TimeoutExpired:
                self.p.kill()
        self._thread.join(5)
        return self.samples


def percentiles(values, points=range(101)):
    """The given percentiles (nearest rank) of `values`, or None when there are none."""
    v = sorted(values)
    if not v:
        return None
    return [v[min(len(v) - 1, max(0, int(round(p / 100.0 * (len(v) - 1)))))] for p in points]


def compact_json(obj):
    """JSON with one-level indentation whose innermost lists stay on one line (samples, series)."""
    text = json.dumps(obj, indent=1, default=str)

    def collapse(m):
        if "\n" not in m.group(0):
            return m.group(0)
        return "[" + re.sub(r",\n\s*", ", ", m.group(1)) + "]"

    return re.sub(r"\[\s*([^\[\]{}]*?)\s*\]", collapse, text)
