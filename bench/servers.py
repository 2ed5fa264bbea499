"""The servers the benchmarks start: uWSGI, nginx, HAProxy and Sluice, each on fresh ports and temporary paths."""
import os
import re
import shutil
import subprocess

from lib import Proc, StartError, free_port, log, wait_ready

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
APP = os.path.join(BENCH, "app", "wsgi.py")
CONF = os.path.join(BENCH, "conf")
SLUICE = os.path.join(ROOT, "bin", "sluice")
JAR = os.path.join(ROOT, "proxy", "target", "sluice.jar")
SPIKE_JAR = os.path.join(ROOT, "demo", "target", "sluice-demo.jar")  # the spike tool

BACKLOG = 4096  # every proxy's client-facing listen backlog; = net.core.somaxconn on the reference machine


def somaxconn():
    with open("/proc/sys/net/core/somaxconn") as f:
        return int(f.read())


def nofile_limit():
    import resource
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def render(template, path, values):
    with open(os.path.join(CONF, template)) as f:
        text = f.read()

    def sub(m):
        key = m.group(1)
        if key not in values:
            raise KeyError(f"{template}: no value for @{key}@")
        return str(values[key])

    text = re.sub(r"@([A-Z_]+)@", sub, text)
    with open(path, "w") as f:
        f.write(text)
    return path


class Server:
    """A started server: its process, where clients reach it, and the commands that started it."""

    def __init__(self, name, proc, address, url=None, config=None):
        self.name = name
        self.proc = proc
        self.address = address  # (host, port) or a Unix socket path
        self.url = url
        self.config = config

    def stop(self):
        self.proc.stop()


def _start(name, argv, address, workdir, env=None, url=None, config=None, attempts=3, port_fn=None):
    """Starts a server and waits until it listens; retries on fresh ports when the port was taken meanwhile."""
    last = None
    for attempt in range(attempts):
        if port_fn is not None and attempt > 0:
            argv, address, url, config = port_fn()
        logfile = os.path.join(workdir, f"{name}.log")
        proc = Proc(name, argv, logfile, env=env, cwd=workdir).start()
        try:
            wait_ready(proc, address)
            return Server(name, proc, address, url, config)
        except StartError as e:
            proc.stop()
            last = e
            if "in use" not in str(e).lower() or port_fn is None:
                break
            log(f"{name}: port taken, retrying")
    raise last


def uwsgi(workdir, name, kind, env=None, processes=2, listen=100):
    """uWSGI with the benchmark app: kind is http-tcp (--http-socket on TCP), http-unix or uwsgi-unix (--socket)."""
    uwsgi_bin = shutil.which("uwsgi")
    envs = []
    for k, v in sorted((env or {}).items()):
        envs += ["--env", f"{k}={v}"]

    def build():
        if kind == "http-tcp":
            port = free_port()
            address = ("127.0.0.1", port)
            sock = ["--http-socket", f"127.0.0.1:{port}"]
            url = f"http://127.0.0.1:{port}/"
        else:
            path = os.path.join(workdir, f"{name}.sock")
            address = path
            sock = ["--http-socket" if kind == "http-unix" else "--socket", path, "--chmod-socket=666"]
            url = f"unix:{path}" if kind == "http-unix" else None
        argv = [uwsgi_bin, "--plugin", "python3", "--master", "--processes", str(processes),
                "--listen", str(listen), *sock, "--wsgi-file", APP, "--need-app", "--die-on-term",
                "--disable-logging", *envs]
        return argv, address, url, None

    argv, address, url, _ = build()
    return _start(name, argv, address, workdir, url=url, port_fn=build)


def _nginx_user():
    # Workers of a root master run as nobody unless told otherwise; they must reach the sockets and temp paths.
    return "user root;" if os.geteuid() == 0 else ""


def nginx(workdir, name, template, values):
    d = os.path.join(workdir, name)
    os.makedirs(d, exist_ok=True)

    def build():
        port = free_port()
        v = dict(values, DIR=d, PORT=port, USER=_nginx_user(), BACKLOG=BACKLOG)
        conf = render(template, os.path.join(d, "nginx.conf"), v)
        argv = [shutil.which("nginx") or "/usr/sbin/nginx", "-p", d, "-c", conf, "-e", os.path.join(d, "error.log")]
        return argv, ("127.0.0.1", port), f"http://127.0.0.1:{port}/", conf

    argv, address, url, conf = build()
    return _start(name, argv, address, workdir, url=url, config=conf, port_fn=build)


def nginx_unix_backend(workdir, name, workers=1):
    """The fast backend: nginx `return 200` on a Unix socket and on TCP. Its address is the Unix socket."""
    d = os.path.join(workdir, name)
    os.makedirs(d, exist_ok=True)
    sock = os.path.join(d, "fast.sock")

    def build():
        port = free_port()
        v = dict(DIR=d, PORT=port, SOCKET=sock, USER=_nginx_user(), BACKLOG=BACKLOG, WORKERS=workers)
        conf = render("nginx-backend.conf", os.path.join(d, "nginx.conf"), v)
        argv = [shutil.which("nginx") or "/usr/sbin/nginx", "-p", d, "-c", conf, "-e", os.path.join(d, "error.log")]
        return argv, ("127.0.0.1", port), f"http://127.0.0.1:{port}/", conf

    argv, address, url, conf = build()
    server = _start(name, argv, address, workdir, url=url, config=conf, port_fn=build)
    wait_ready(server.proc, sock)
    server.socket = sock
    return server


def haproxy(workdir, name, template, values):
    d = os.path.join(workdir, name)
    os.makedirs(d, exist_ok=True)

    def build():
        port = free_port()
        v = dict(values, PORT=port, BACKLOG=BACKLOG)
        conf = render(template, os.path.join(d, "haproxy.cfg"), v)
        argv = [shutil.which("haproxy") or "/usr/sbin/haproxy", "-f", conf, "-db"]
        return argv, ("127.0.0.1", port), f"http://127.0.0.1:{port}/", conf

    argv, address, url, conf = build()
    return _start(name, argv, address, workdir, url=url, config=conf, port_fn=build)


# The flags every version of Sluice knows: the only ones given to an earlier jar (--baseline-jar).
BASELINE_FLAGS = ("--listen", "--backend", "--protocol", "--limit", "--admin", "--queue-timeout")


def java_command(java_home=None):
    """The java that bin/sluice runs: that of `java_home`, else of JAVA_HOME, else `java` on PATH."""
    home = java_home or os.environ.get("JAVA_HOME")
    return os.path.join(home, "bin", "java") if home else (shutil.which("java") or "java")


def java_feature(java_home=None):
    """The feature version (17, 25) of the Java runtime bin/sluice runs, as its java-options.sh reads it."""
    script = '. "$1/dist/src/lib/java-options.sh"; java_feature "$2"'
    out = subprocess.run(["bash", "-c", script, "java-feature", ROOT, java_command(java_home)], check=True,
                         capture_output=True, text=True)
    return int(out.stdout.strip() or 0)


def sluice_jvm_options(java_opts=None, jar=None, java_home=None):
    """The JVM options bin/sluice gives java, read from its `exec "$java" ... -jar "$jar" "$@"` line, with
    SLUICE_JAVA_OPTS expanded as the shell does (`java_opts`, or the environment's when None), so that an earlier
    jar started with `java OPTIONS -jar JAR` runs exactly as bin/sluice runs this build: with `jar`, the runtime's
    options and class archive are those of that jar (no archive for a jar that cannot rehearse), without it they are
    left out."""
    with open(SLUICE) as f:
        lines = [line.strip() for line in f if re.match(r'\s*exec\s+"\$java"\s', line)]
    if len(lines) != 1:
        raise RuntimeError(f'{SLUICE}: expected one `exec "$java" ... -jar` line, found {len(lines)}')
    m = re.fullmatch(r'exec\s+"\$java"\s+(.*?)\s*-jar\s+"\$jar"\s+"\$@"', lines[0])
    if not m:
        raise RuntimeError(f"{SLUICE}: cannot read the JVM options of: {lines[0]}")
    env_opts = os.environ.get("SLUICE_JAVA_OPTS", "") if java_opts is None else java_opts
    options = []
    for word in m.group(1).split():
        if word in ("${SLUICE_JAVA_OPTS:-}", "${SLUICE_JAVA_OPTS}", "$SLUICE_JAVA_OPTS"):
            options += env_opts.split()  # unquoted in bin/sluice: split on white space
        elif word == '${java_opts[@]+"${java_opts[@]}"}':
            options += java_options(jar, java_home) if jar else []
        elif "$" in word or "`" in word:
            raise RuntimeError(f"{SLUICE}: cannot interpret {word!r} in: {lines[0]}")
        else:
            options.append(word.strip("'\""))
    return options


def java_options(jar, java_home=None):
    """What bin/sluice's java_options gives java for `jar`, building its class archive first if need be."""
    script = ('. "$1/dist/src/lib/java-options.sh"; java_options "$3" "$2"; '
              'printf "%s\\n" ${java_opts[@]+"${java_opts[@]}"}')
    out = subprocess.run(["bash", "-c", script, "java-options", ROOT, jar, java_command(java_home)], check=True,
                         capture_output=True, text=True)
    return out.stdout.split()


def sluice(workdir, name, backend, protocol="http", limit="auto", queue_timeout="180s", java_opts="",
           extra=(), jar=None, java_home=None):
    """Sluice through bin/sluice (the same JVM options as production), with its admin API on a free port.
    `queue_timeout=None` leaves Sluice's default; `java_home` runs it on that Java runtime instead of JAVA_HOME's or
    PATH's. With `jar` (an earlier build), `java OPTIONS -jar JAR` with the JVM options of bin/sluice instead, given
    only the flags every version knows (BASELINE_FLAGS)."""
    if jar is not None:
        unknown = [a for a in extra if a.startswith("--") and a.split("=", 1)[0] not in BASELINE_FLAGS]
        if unknown:
            raise ValueError(f"{name}: an earlier jar may not know {', '.join(unknown)}")
        command = [java_command(java_home), *sluice_jvm_options(java_opts or None, jar, java_home), "-jar", jar]
    else:
        command = [SLUICE]

    def build():
        port = free_port()
        admin = free_port()
        argv = [*command, "--listen", f"127.0.0.1:{port}", "--backend", f"unix:{backend}", "--protocol", protocol,
                "--limit", str(limit), "--admin", f"127.0.0.1:{admin}", *extra]
        if queue_timeout is not None:
            argv += ["--queue-timeout", queue_timeout]
        return argv, ("127.0.0.1", port), f"http://127.0.0.1:{port}/", admin

    argv, address, url, admin = build()
    env = {"SLUICE_LOG": "warn"}
    if java_opts:
        env["SLUICE_JAVA_OPTS"] = java_opts
    if java_home:
        env["JAVA_HOME"] = java_home
    server = _start(name, argv, address, workdir, env=env, url=url, config=admin, port_fn=build)
    server.admin_port = server.config
    return server


def to_yaml(value, indent=0):
    """A small YAML writer for the nested dicts, lists and scalars of a Sluice configuration file."""
    pad = "  " * indent
    lines = []
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, (dict, list)):
                lines.append(f"{pad}{k}:")
                lines.append(to_yaml(v, indent + 1))
            else:
                lines.append(f"{pad}{k}: {_scalar(v)}")
    elif isinstance(value, list):
        for item in value:
            body = to_yaml(item, indent + 1).lstrip()
            lines.append(f"{pad}- {body}")
    else:
        lines.append(pad + _scalar(value))
    return "\n".join(lines)


def _scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def sluice_config(workdir, name, doc, java_opts=""):
    """Sluice started with `--config FILE` only: `doc` is the configuration without `listen` and `admin`, which
    are added on free ports. The file is kept as server.config_file."""
    path = os.path.join(workdir, f"{name}.yaml")

    def build():
        port = free_port()
        admin = free_port()
        full = {"listen": [{"address": f"127.0.0.1:{port}"}]}
        full.update(doc)
        full["admin"] = {"address": f"127.0.0.1:{admin}"}
        with open(path, "w") as f:
            f.write(to_yaml(full) + "\n")
        return [SLUICE, "--config", path], ("127.0.0.1", port), f"http://127.0.0.1:{port}/", admin

    argv, address, url, admin = build()
    env = {"SLUICE_LOG": "warn"}
    if java_opts:
        env["SLUICE_JAVA_OPTS"] = java_opts
    server = _start(name, argv, address, workdir, env=env, url=url, config=admin, port_fn=build)
    server.admin_port = server.config
    server.config_file = path
    return server


_ACCEPTS = {}


def sluice_accepts(workdir, settings):
    """Whether this build of Sluice accepts the configuration `settings` ({dotted key: value}, e.g.
    {"queue.discipline": "adaptive"}): a configuration file with them is started; a build that does not know a key
    exits with status 2 naming it. Any other failure to start is an error. The answer is remembered for the run."""
    memo = tuple(sorted(settings.items()))
    if memo in _ACCEPTS:
        return _ACCEPTS[memo][0]
    doc = {"backends": [{"address": f"unix:{os.path.join(workdir, 'probe-none.sock')}"}]}
    for key, value in settings.items():
        parts = key.split(".")
        node = doc
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = value
    port = free_port()
    full = {"listen": [{"address": f"127.0.0.1:{port}"}]}
    full.update(doc)
    full["admin"] = {"address": "off"}
    name = "probe-" + "-".join(settings)
    path = os.path.join(workdir, f"{name}.yaml")
    with open(path, "w") as f:
        f.write(to_yaml(full) + "\n")
    proc = Proc(name, [SLUICE, "--config", path], os.path.join(workdir, f"{name}.log"),
                env={"SLUICE_LOG": "warn"}).start()
    try:
        try:
            wait_ready(proc, ("127.0.0.1", port), timeout=60)
            accepted, why = True, None
        except StartError as e:
            text = proc.log_tail(40)
            if proc.popen.returncode == 2 and any(k in text or k.split(".")[-1] in text for k in settings):
                accepted, why = False, text.strip().splitlines()[-1]
                log(f"this Sluice does not accept {', '.join(settings)}: {why}")
            else:
                raise StartError(f"probing {', '.join(settings)}: {e}")
    finally:
        proc.stop()
    _ACCEPTS[memo] = (accepted, why)
    return accepted


def sluice_refusal(settings):
    """The line with which Sluice refused `settings` in sluice_accepts, or None."""
    return _ACCEPTS.get(tuple(sorted(settings.items())), (None, None))[1]


def gunicorn(workdir, name, worker_class, workers, threads=None, worker_connections=None, env=None):
    """gunicorn with the benchmark app on a Unix socket (HTTP); gevent workers come from Debian's python3-gevent."""
    path = os.path.join(workdir, f"{name}.sock")
    argv = [shutil.which("gunicorn") or "/usr/bin/gunicorn", "--chdir", os.path.dirname(APP),
            "--bind", f"unix:{path}", "--workers", str(workers), "--worker-class", worker_class,
            "--log-level", "warning"]
    if threads:
        argv += ["--threads", str(threads)]
    if worker_connections:
        argv += ["--worker-connections", str(worker_connections)]
    argv.append("wsgi:application")
    e = dict(env or {})
    server = _start(name, argv, path, workdir, env=e)
    server.url = f"unix:{path}"
    return server
