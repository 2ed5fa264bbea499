#!/usr/bin/env bash
# Benchmarks Sluice beside direct, nginx and HAProxy on this machine and writes bench/RESULTS.md with PNG charts.
#
#   bench/run.sh                    the full run (about two hours on 2 cores); writes bench/RESULTS.md
#   bench/run.sh --quick            a short smoke run of every section; writes bench/quick/RESULTS.md
#   bench/run.sh --only spike,memory --reps 5 --note "text for the top of RESULTS.md"
#   bench/run.sh --only memory --update   measures one section again, keeping the others of the last run
#   bench/run.sh --only auto --shapes uwsgi-2x5,gevent-2x100x50   some backend shapes of the auto section
#   bench/run.sh --only spike,overhead --spike-sizes 5000 --baseline-jar /tmp/sluice-before.jar --out /tmp/compare
#                                   this build against an earlier jar, alternated in the same repetitions
#   Sections: spike overhead memory latency queue profile auto overload hostile
#
# Installs what is missing from Debian's packages (apt-get; root or sudo), builds Sluice's jar when it is
# missing or stale, raises the open-files limit to the hard limit, and stops every server it started on exit.
set -euo pipefail
bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$bench")"
py=/usr/bin/python3   # Debian's Python: Flask and matplotlib come from Debian packages

missing=()
need() { # need PACKAGE TEST...
  local pkg=$1; shift
  "$@" >/dev/null 2>&1 || missing+=("$pkg")
}
need nginx command -v nginx
need haproxy command -v haproxy
need wrk command -v wrk
need hey command -v hey
need uwsgi-core command -v uwsgi
need uwsgi-plugin-python3 test -e /usr/lib/uwsgi/plugins/python3_plugin.so
need gunicorn command -v gunicorn
need python3-gevent "$py" -c 'import gevent'
need python3-flask "$py" -c 'import flask'
need python3-matplotlib "$py" -c 'import matplotlib'
need iproute2 command -v ss
need procps command -v ps
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
  # Debian starts nginx and HAProxy as services on install where it can; the benchmark starts its own.
  for svc in nginx haproxy; do
    if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
      echo "bench: note: the system $svc service is running (ports 80 and others); it is left alone" >&2
    fi
  done
fi
for tool in java jcmd jfr; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is needed (a JDK 17)" >&2; exit 1; }
done

# Builds proxy/target/sluice.jar and demo/target/sluice-demo.jar (the spike tool) when missing or older than the
# sources (bin/sluice decides).
"$root/bin/sluice" --version >/dev/null
"$root/bin/sluice" spike --help >/dev/null

# Every spike connection needs a descriptor in the client and one in the server.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 32768 ]; then
  echo "bench: note: open files limited to $(ulimit -n); the 15,000-request spike needs about 15,100 per process" >&2
fi

pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

"$py" "$bench/bench.py" "$@" &
pid=$!
wait "$pid"
