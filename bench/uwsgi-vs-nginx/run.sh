#!/usr/bin/env bash
# The same spike through nginx `uwsgi_pass` and through Sluice `--protocol uwsgi`, in front of one uWSGI:
#
#   bench/uwsgi-vs-nginx/run.sh [ROUNDS] [CONNECTIONS]      (defaults: 3 rounds, 5000 connections)
#
# uWSGI speaks its binary protocol on a Unix socket (`--socket`) with 2 processes and `--listen 100`, serving a Flask
# app that sleeps 5 ms per request. Each round fires CONNECTIONS concurrent one-shot requests (`sluice spike`) at
# nginx, then at Sluice; the rounds alternate so both see the same machine. Writes RESULTS.md beside this script.
#
# Needs Debian's nginx, uwsgi-core, uwsgi-plugin-python3 and python3-flask (installed with apt-get when missing, as
# root), Java 17 and Maven (bin/sluice builds the jar), and python3 for the summary.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
rounds="${1:-3}"
connections="${2:-5000}"
settle=5

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# ---- packages
missing=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
[ -x /usr/bin/uwsgi ] || missing+=(uwsgi-core)
[ -f /usr/lib/uwsgi/plugins/python3_plugin.so ] || missing+=(uwsgi-plugin-python3)
/usr/bin/python3 -c 'import flask' >/dev/null 2>&1 || missing+=(python3-flask)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
    exit 2
  fi
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
# Debian's uWSGI plugin embeds Debian's Python, whose flask is python3-flask: use that interpreter's modules.
PYTHON=/usr/bin/python3

# ---- file descriptors
# Every one-shot request is a connection: the spike client holds CONNECTIONS sockets, Sluice holds one per client plus
# one per backend request, nginx's workers one per client plus one per upstream. The spike needs CONNECTIONS + ~100 in
# the client and about as many in Sluice; raise the soft limit to the hard one and refuse to run below that.
need=$((connections + 1000))
hard="$(ulimit -Hn)"
if [ "$hard" != unlimited ] && [ "$hard" -lt "$need" ]; then
  echo "the open-files hard limit is $hard; $connections connections need at least $need" \
    "(raise it: ulimit -Hn, /etc/security/limits.conf, or LimitNOFILE= for a service)" >&2
  exit 2
fi
ulimit -Sn "$hard"
log "open files: soft $(ulimit -Sn), hard $(ulimit -Hn)"

# ---- the jar
jar="$root/proxy/target/sluice.jar"
if [ ! -f "$jar" ] || [ -n "$(find "$root/proxy/src/main" "$root/pom.xml" "$root/proxy/pom.xml" -newer "$jar" -print -quit)" ]; then
  log "building $jar"
  (cd "$root" && mvn -B -q -DskipTests package) >&2
fi

# ---- a private directory; everything started here is stopped by its pid on exit
work="$(mktemp -d /tmp/sluice-uwsgi-vs-nginx-XXXXXX)"
chmod 755 "$work"   # nginx's workers run as another user and must reach the socket
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

await_http() { # URL NAME LOG
  for _ in $(seq 1 300); do
    if "$PYTHON" - "$1" <<'EOF' 2>/dev/null; then return 0; fi
import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=2).read()
EOF
    sleep 0.1
  done
  echo "$2 did not answer at $1:" >&2
  tail -20 "$3" >&2
  exit 1
}

# ---- uWSGI with a Flask app that takes 5 ms
cat >"$work/app.py" <<'EOF'
import time

from flask import Flask

app = Flask(__name__)


@app.route("/")
def index():
    time.sleep(0.005)
    return "ok\n"
EOF
sock="$work/uwsgi.sock"
uwsgi_cmd=(/usr/bin/uwsgi --plugin python3 --socket "$sock" --chmod-socket=666 --master --processes 2 --listen 100
  --chdir "$work" --wsgi-file "$work/app.py" --callable app --need-app --die-on-term --disable-logging)
"${uwsgi_cmd[@]}" >"$work/uwsgi.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || { echo "uWSGI did not start:" >&2; tail -20 "$work/uwsgi.log" >&2; exit 1; }

# ---- nginx: uwsgi_pass with Debian's uwsgi_params, the listen backlog Sluice gets (somaxconn)
somaxconn="$(cat /proc/sys/net/core/somaxconn)"
nginx_port="$(free_port)"
# Each client costs an nginx worker two descriptors (client and upstream); the master, running as root, may give its
# workers more than our own soft limit.
nginx_nofile=$((4 * connections))
if [ "$hard" != unlimited ] && [ "$hard" -gt "$nginx_nofile" ]; then
  nginx_nofile="$hard"
fi
mkdir -p "$work/nginx"
cat >"$work/nginx.conf" <<EOF
worker_processes auto;
worker_rlimit_nofile $nginx_nofile;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events {
    worker_connections 20000;
}
http {
    access_log off;
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    uwsgi_temp_path $work/nginx/uwsgi;
    scgi_temp_path $work/nginx/scgi;
    server {
        listen 127.0.0.1:$nginx_port backlog=$somaxconn;
        location / {
            include /etc/nginx/uwsgi_params;
            uwsgi_pass unix:$sock;
        }
    }
}
EOF
nginx_cmd=("$NGINX" -p "$work/nginx" -c "$work/nginx.conf" -g 'daemon off;')
"${nginx_cmd[@]}" >"$work/nginx/stdout.log" 2>&1 &
pids+=($!)
await_http "http://127.0.0.1:$nginx_port/" nginx "$work/nginx/error.log"

# ---- Sluice
sluice_cmd=("$root/bin/sluice" --listen 127.0.0.1:0 --backend "unix:$sock" --protocol uwsgi --admin off)
"${sluice_cmd[@]}" >"$work/sluice.log" 2>&1 &
pids+=($!)
sluice_port=""
for _ in $(seq 1 300); do
  sluice_port="$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/sluice.log" | head -1)"
  [ -n "$sluice_port" ] && break
  sleep 0.1
done
[ -n "$sluice_port" ] || { echo "Sluice did not start:" >&2; tail -20 "$work/sluice.log" >&2; exit 1; }
await_http "http://127.0.0.1:$sluice_port/" Sluice "$work/sluice.log"

# ---- the rounds
results="$work/rounds.jsonl"
: >"$results"
spike() { # NAME URL ROUND
  local name="$1" url="$2" round="$3"
  local err_before uwsgi_full_before out
  err_before="$(grep -c 'Resource temporarily unavailable' "$work/nginx/error.log" || true)"
  uwsgi_full_before="$(grep -c 'listen queue of socket' "$work/uwsgi.log" || true)"
  log "round $round: $name, $connections connections at $url"
  out="$("$root/bin/sluice" spike -c "$connections" --timeout 120s --json "$url" || true)"
  [ -n "$out" ] || { echo "the spike printed nothing" >&2; exit 1; }
  local err_after uwsgi_full_after
  err_after="$(grep -c 'Resource temporarily unavailable' "$work/nginx/error.log" || true)"
  uwsgi_full_after="$(grep -c 'listen queue of socket' "$work/uwsgi.log" || true)"
  "$PYTHON" - "$name" "$round" "$((err_after - err_before))" "$((uwsgi_full_after - uwsgi_full_before))" \
    "$out" >>"$results" <<'EOF'
import json, sys
name, rnd, eagain, full, raw = sys.argv[1:6]
doc = json.loads(raw)
doc.update(proxy=name, round=int(rnd), nginxEagainLogLines=int(eagain), uwsgiQueueFullLogLines=int(full),
           load=open("/proc/loadavg").read().split()[0])
print(json.dumps(doc))
EOF
  "$PYTHON" - "$out" <<'EOF' >&2
import json, sys
d = json.loads(sys.argv[1])
s = d["statuses"]
print("    %d x 200, %d x 502, %d failed, %.0f ms elapsed, p50 %s ms, p99 %s ms" % (
    s.get("200", 0), s.get("502", 0), d["failed"], d["elapsedMs"], d["latencyMs"]["p50"], d["latencyMs"]["p99"]))
EOF
  sleep "$settle"
}

# A warm-up spike through each, not recorded: the JVMs' JIT and both proxies' first connections.
warmup=200
log "warm-up: $warmup connections through each proxy"
"$root/bin/sluice" spike -c "$warmup" "http://127.0.0.1:$nginx_port/" >/dev/null 2>&1 || true
"$root/bin/sluice" spike -c "$warmup" "http://127.0.0.1:$sluice_port/" >/dev/null 2>&1 || true
sleep "$settle"

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
started="$(date -u '+%Y-%m-%d %H:%M UTC')"
for round in $(seq 1 "$rounds"); do
  spike nginx "http://127.0.0.1:$nginx_port/" "$round"
  spike sluice "http://127.0.0.1:$sluice_port/" "$round"
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

# ---- RESULTS.md
quote() { printf '%q ' "$@" | sed 's/ $//'; }
export B_RESULTS="$results" B_OUT="$here/RESULTS.md" B_STARTED="$started" B_ROUNDS="$rounds" \
  B_CONNECTIONS="$connections" B_SETTLE="$settle" B_WARMUP="$warmup" B_LOAD_BEFORE="$load_before" B_LOAD_AFTER="$load_after" \
  B_NPROC="$(nproc)" B_KERNEL="$(uname -r)" B_SOMAXCONN="$somaxconn" B_NOFILE="$(ulimit -Sn) / $(ulimit -Hn)" \
  B_CPU="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" \
  B_MEM="$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)" \
  B_NGINX="$("$NGINX" -v 2>&1 | sed 's/^nginx version: //')" B_UWSGI="$(/usr/bin/uwsgi --version)" \
  B_FLASK="$(dpkg-query -W -f='${Version}' python3-flask 2>/dev/null || echo unknown)" \
  B_JAVA="$(java -version 2>&1 | head -1)" \
  B_COMMIT="$(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  B_DIRTY="$(cd "$root" && git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo yes || true)" \
  B_UWSGI_CMD="$(quote "${uwsgi_cmd[@]}" | sed "s#$work#\$WORK#g")" \
  B_NGINX_CMD="$(quote "${nginx_cmd[@]}" | sed "s#$work#\$WORK#g")" \
  B_SLUICE_CMD="$(quote "${sluice_cmd[@]}" | sed "s#$work#\$WORK#g; s#$root/##g")" \
  B_NGINX_CONF="$(sed "s#$work#\$WORK#g" "$work/nginx.conf")"
"$PYTHON" - <<'EOF'
import json
import os
import statistics

e = os.environ
rounds = [json.loads(line) for line in open(e["B_RESULTS"])]
connections = int(e["B_CONNECTIONS"])
out = open(e["B_OUT"], "w")
w = out.write


def row(d):
    s = d["statuses"]
    ok = s.get("200", 0)
    elapsed = d["elapsedMs"] / 1000
    return {
        "ok": ok,
        "bad": s.get("502", 0),
        "other": sum(v for k, v in s.items() if k not in ("200", "502")) + d["failed"],
        "drain": ok / elapsed if elapsed else 0.0,
        "elapsed": elapsed,
        "p50": d["latencyMs"]["p50"],
        "p99": d["latencyMs"]["p99"],
    }


def ms(v):
    return "n/a" if v is None else "%.0f" % v


def median(rows, key):
    values = [r[key] for r in rows if r[key] is not None]
    return statistics.median(values) if values else None


commit = e["B_COMMIT"] + (" (with uncommitted changes)" if e["B_DIRTY"] else "")
w("# Spike through nginx `uwsgi_pass` and through Sluice `--protocol uwsgi`\n\n")
w("Written by `bench/uwsgi-vs-nginx/run.sh` on %s, Sluice at commit %s.\n\n" % (e["B_STARTED"], commit))
w("**The machine is shared and noisy**: other engineers' builds and test runs use the same 2 cores while this runs "
  "(load average %s before, %s after; the 1-minute load at the end of each round is in the table). Read the figures "
  "as samples from a busy 2-core machine, not as a clean benchmark: compare the medians of the alternated rounds.\n\n"
  % (e["B_LOAD_BEFORE"], e["B_LOAD_AFTER"]))

w("## Machine\n\n| what | value |\n| --- | --- |\n")
for k, v in [("CPU", "%s cores, %s" % (e["B_NPROC"], e["B_CPU"])), ("memory", e["B_MEM"]),
             ("kernel", e["B_KERNEL"]), ("net.core.somaxconn", e["B_SOMAXCONN"]),
             ("open files in the run (soft / hard)", e["B_NOFILE"]), ("nginx", e["B_NGINX"] + " (Debian)"),
             ("uWSGI", e["B_UWSGI"] + " (Debian uwsgi-core, uwsgi-plugin-python3)"),
             ("Flask", e["B_FLASK"] + " (Debian python3-flask)"), ("Java", e["B_JAVA"])]:
    w("| %s | %s |\n" % (k, v.replace("|", "\\|")))

w("\n## Set-up\n\n`$WORK` is a fresh temporary directory.\n\n")
w("- **Backend**: uWSGI, binary protocol on a Unix socket, 2 processes, listen queue 100; a Flask app whose one "
  "route sleeps 5 ms (`time.sleep(0.005)`, then `ok`):\n\n  ```\n  %s\n  ```\n" % e["B_UWSGI_CMD"])
w("- **nginx**: `worker_processes auto`, `worker_connections 20000`, Debian's `/etc/nginx/uwsgi_params` unchanged, "
  "`uwsgi_pass unix:...`, access log off, listen backlog %s (the kernel's maximum, what Sluice's `--backlog max` "
  "gets):\n\n  ```nginx\n" % e["B_SOMAXCONN"])
for line in e["B_NGINX_CONF"].splitlines():
    w("  " + line + "\n")
w("  ```\n\n  started as `%s`\n" % e["B_NGINX_CMD"])
w("- **Sluice**, every setting at its default (`--limit auto`, `--queue-max max`, `--queue-timeout 60s`, "
  "`--backlog max`):\n\n  ```\n  %s\n  ```\n" % e["B_SLUICE_CMD"])
w("- **Warm-up**, not recorded: %s connections through nginx, then through Sluice (the JVMs' JIT).\n" % e["B_WARMUP"])
w("- **The spike**, once per proxy per round, nginx first then Sluice, %s s apart, %s rounds:\n\n"
  "  ```\n  bin/sluice spike -c %d --timeout 120s --json http://127.0.0.1:PORT/\n  ```\n\n"
  "  %d one-shot requests, one connection each, opened at once. *Drain rate*: 200 responses per second, from the "
  "first connect to the end of the last request. Latency: from the start of a request's connect to the end of its "
  "response, over responses of any status (a 502 counts with its own, short, latency).\n\n"
  % (e["B_SETTLE"], e["B_ROUNDS"], connections, connections))

w("## Per round\n\n")
w("| round | proxy | 200 | 502 | other failures | drain rate (200/s) | elapsed | p50 ms | p99 ms "
  "| nginx \"11: Resource temporarily unavailable\" log lines | load (1 min) |\n")
w("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
for d in rounds:
    r = row(d)
    w("| %d | %s | %d | %d | %d | %.0f | %.1f s | %s | %s | %s | %s |\n" % (
        d["round"], d["proxy"], r["ok"], r["bad"], r["other"], r["drain"], r["elapsed"], ms(r["p50"]), ms(r["p99"]),
        d["nginxEagainLogLines"] if d["proxy"] == "nginx" else "-", d["load"]))
odd = [d for d in rounds if d["failed"] or any(k not in ("200", "502") for k in d["statuses"])]
if odd:
    w("\nOther failures, by class:\n\n")
    for d in odd:
        parts = ["%d x %s" % (v, k) for k, v in d["statuses"].items() if k not in ("200", "502")]
        parts += ["%d %s" % (v, k) for k, v in d["failures"].items() if v]
        w("- round %d, %s: %s\n" % (d["round"], d["proxy"], ", ".join(parts)))

w("\n## Medians of the %s rounds\n\n" % e["B_ROUNDS"])
w("| proxy | answered 200 | 502 | other failures | drain rate (200/s) | p50 ms | p99 ms |\n")
w("| --- | --- | --- | --- | --- | --- | --- |\n")
for proxy, label in (("nginx", "nginx `uwsgi_pass`"), ("sluice", "Sluice `--protocol uwsgi`")):
    rows = [row(d) for d in rounds if d["proxy"] == proxy]
    ok = median(rows, "ok")
    w("| %s | %.0f of %d (%.1f%%) | %.0f | %.0f | %.0f | %s | %s |\n" % (
        label, ok, connections, 100.0 * ok / connections, median(rows, "bad"), median(rows, "other"),
        median(rows, "drain"), ms(median(rows, "p50")), ms(median(rows, "p99"))))
w("\nnginx's 502s are its `connect() to unix:... failed (11: Resource temporarily unavailable)` (counted from its "
  "error log above): uWSGI's listen queue of 100 is full and nginx gives up on the request at once. Sluice keeps the "
  "surplus in its own queue and retries the connect, so the same backend answers every request, at its own rate.\n")
out.close()
EOF
log "wrote $here/RESULTS.md"
cat "$here/RESULTS.md"
