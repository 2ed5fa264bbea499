"""Load generators the other tools do not provide (standard library only, asyncio on raw non-blocking sockets).

  clients.py openloop URL --rate 500 --duration 20 --deadline 5 --out FILE
      Open-loop arrivals: a new connection every 1/rate seconds whatever happened to the earlier ones, each
      sending one `GET` with `Connection: close` and giving up `deadline` seconds after its scheduled start.
      Writes one JSON document to FILE: the schedule and, per request, [scheduled start, actual start,
      end, status] (seconds from the first scheduled start; status 200, 503, ... or "timeout" or "error").

  clients.py closed unix:/path/to.sock --concurrency 8 --duration 5
      Closed loop: `concurrency` clients, each sending one `GET` per connection (`Connection: close`) and the next
      as soon as the answer is complete, straight to a backend; prints the rate of 200 responses.

  clients.py hostile URL --heads 1000 --bodies 1000 --never-read 100 [...]
      Hostile clients held open until SIGTERM (or --duration): `heads` connections that send a request head one
      byte at a time, `bodies` connections that declare a large Content-Length, send most of it and then trickle
      the rest one byte at a time, and `never-read` connections that ask for a large response and read nothing
      (a small receive buffer, no recv). Heads and bodies that the server closes connect again after a second,
      as an attacker would; never-readers are one-shot. Prints `ready` once every connection is open (and every
      body prefix sent), and a JSON summary on exit.
"""
import argparse
import asyncio
import json
import random
import signal
import socket
import sys
import time
import urllib.parse


def parse_target(url):
    u = urllib.parse.urlsplit(url)
    if u.scheme != "http" or not u.hostname:
        raise SystemExit(f"clients: expected http://HOST:PORT/path, got {url!r}")
    return (u.hostname, u.port or 80), (u.path or "/") + (f"?{u.query}" if u.query else "")


def new_socket(rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    return s


def status_of(buf):
    """The status code of a response head in `buf`, or None while the status line is incomplete."""
    end = buf.find(b"\r\n")
    if end < 0:
        return None
    parts = buf[:end].split(b" ", 2)
    try:
        return int(parts[1])
    except (IndexError, ValueError):
        return -1


def response_complete(buf):
    """True once `buf` holds a whole response with a Content-Length (else the end is the connection's close)."""
    head_end = buf.find(b"\r\n\r\n")
    if head_end < 0:
        return False
    for line in buf[:head_end].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            try:
                return len(buf) - head_end - 4 >= int(value.strip())
            except ValueError:
                return False
    return False


# ---------------------------------------------------------------------------------------------------------------
# Open loop


async def openloop(args):
    addr, path = parse_target(args.url)
    request = (f"GET {path} HTTP/1.1\r\nHost: {addr[0]}:{addr[1]}\r\nConnection: close\r\n"
               f"User-Agent: sluice-bench-openloop\r\n\r\n").encode()
    loop = asyncio.get_running_loop()
    n = int(round(args.rate * args.duration))
    records = [None] * n
    tasks = set()

    async def fetch(sock):
        await loop.sock_connect(sock, addr)
        await loop.sock_sendall(sock, request)
        buf = b""
        while True:
            data = await loop.sock_recv(sock, 65536)
            if not data:
                break
            buf += data
            if response_complete(buf):
                break
        code = status_of(buf)
        return "error" if code is None else code

    async def one(i, sched):
        start = loop.time()
        sock = new_socket()
        try:
            status = await asyncio.wait_for(fetch(sock), max(0.0, sched + args.deadline - start))
        except asyncio.TimeoutError:
            status = "timeout"
        except OSError:
            status = "error"
        finally:
            sock.close()
        records[i] = (round(sched - t0, 4), round(start - t0, 4), round(loop.time() - t0, 4), status)

    t0 = loop.time() + 0.2
    wall0 = time.time() + 0.2
    for i in range(n):
        sched = t0 + i / args.rate
        delay = sched - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        t = asyncio.create_task(one(i, sched))
        tasks.add(t)
        t.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.wait(list(tasks))
    doc = {"rate": args.rate, "duration": args.duration, "deadline": args.deadline, "url": args.url,
           "startedAt": wall0, "records": records}
    with open(args.out, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
    starts = sorted(r[1] for r in records)
    lags = sorted(r[1] - r[0] for r in records)
    span = starts[-1] - starts[0] if len(starts) > 1 else 0
    print(json.dumps({"requests": n, "achievedRate": (n - 1) / span if span > 0 else None,
                      "lagP50Ms": lags[len(lags) // 2] * 1e3, "lagP99Ms": lags[int(len(lags) * 0.99)] * 1e3,
                      "lagMaxMs": lags[-1] * 1e3}), flush=True)


# ---------------------------------------------------------------------------------------------------------------
# Closed loop: a backend's own saturated rate


async def closedloop(args):
    if args.target.startswith("unix:"):
        family, addr, path = socket.AF_UNIX, args.target[5:], args.path
        host = "localhost"
    else:
        family = socket.AF_INET
        addr, path = parse_target(args.target)
        host = f"{addr[0]}:{addr[1]}"
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
    loop = asyncio.get_running_loop()
    statuses = {}
    done = []
    end = loop.time() + args.duration

    async def worker():
        while loop.time() < end:
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setblocking(False)
            try:
                await loop.sock_connect(sock, addr)
                await loop.sock_sendall(sock, request)
                buf = b""
                while not response_complete(buf):
                    data = await loop.sock_recv(sock, 65536)
                    if not data:
                        break
                    buf += data
                code = str(status_of(buf))
            except OSError as e:
                code = type(e).__name__
            finally:
                sock.close()
            statuses[code] = statuses.get(code, 0) + 1
            if code == "200":
                done.append(loop.time())

    t0 = loop.time()
    await asyncio.gather(*(worker() for _ in range(args.concurrency)))
    ok = [t for t in done if t <= end]
    print(json.dumps({"requests": sum(statuses.values()), "statuses": statuses, "seconds": end - t0,
                      "rate": len(ok) / (end - t0)}), flush=True)


# ---------------------------------------------------------------------------------------------------------------
# Hostile clients


class Stats:
    def __init__(self):
        self.d = {}

    def add(self, kind, key, n=1):
        k = self.d.setdefault(kind, {})
        k[key] = k.get(key, 0) + n


async def hostile(args):
    addr, _ = parse_target(args.url)
    loop = asyncio.get_running_loop()
    stats = Stats()
    stop = asyncio.Event()
    socks = set()
    host = f"{addr[0]}:{addr[1]}"
    head_bytes = (f"GET {args.path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: sluice-bench-trickle\r\n"
                  f"X-Trickle: " + "a" * 4000).encode()
    body_head = (f"POST {args.upload_path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/octet-stream\r\n"
                 f"Content-Length: {args.body_length}\r\n\r\n").encode()
    body_prefix = memoryview(b"b" * args.body_prefix)
    big_request = f"GET {args.big_path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()

    async def reader(kind, sock):
        """Reads what the server answers a trickling client (an error status, usually) until it closes."""
        buf = b""
        try:
            while True:
                data = await loop.sock_recv(sock, 4096)
                if not data:
                    break
                if len(buf) < 64:
                    buf += data
        except OSError:
            pass
        code = status_of(buf)
        stats.add(kind, "closedByServer")
        if code is not None:
            stats.add(kind, f"status{code}")

    async def trickler(kind, first_delay):
        await asyncio.sleep(first_delay)
        first = True
        while not stop.is_set():
            sock = new_socket()
            socks.add(sock)
            rd = None
            try:
                await loop.sock_connect(sock, addr)
                stats.add(kind, "connects")
                rd = asyncio.create_task(reader(kind, sock))
                if kind == "bodies":
                    await loop.sock_sendall(sock, body_head)
                    await loop.sock_sendall(sock, body_prefix)
                    left = args.body_length - args.body_prefix
                    data = iter(lambda: b"b", None)
                else:
                    left = len(head_bytes)
                    data = iter(head_bytes[i:i + 1] for i in range(len(head_bytes)))
                if first:
                    first = False
                    ready_count[0] += 1
                    if ready_count[0] == expected:
                        print("ready", flush=True)
                # One byte every interval (jittered), never the last one.
                while left > 1 and not stop.is_set() and not rd.done():
                    try:
                        await asyncio.wait_for(stop.wait(), args.interval * random.uniform(0.75, 1.25))
                    except asyncio.TimeoutError:
                        pass
                    if stop.is_set() or rd.done():
                        break
                    await loop.sock_sendall(sock, next(data))
                    stats.add(kind, "bytesTrickled")
                    left -= 1
                if not stop.is_set() and rd is not None:
                    await rd
            except OSError as e:
                stats.add(kind, f"error:{type(e).__name__}")
                if first:
                    first = False
                    ready_count[0] += 1
                    if ready_count[0] == expected:
                        print("ready", flush=True)
            finally:
                if rd is not None and not rd.done():
                    rd.cancel()
                socks.discard(sock)
                sock.close()
            if not stop.is_set():
                stats.add(kind, "reconnects")
                try:
                    await asyncio.wait_for(stop.wait(), 1.0)
                except asyncio.TimeoutError:
                    pass

    async def never_reader(first_delay):
        await asyncio.sleep(first_delay)
        sock = new_socket(rcvbuf=4096)
        socks.add(sock)
        try:
            await loop.sock_connect(sock, addr)
            await loop.sock_sendall(sock, big_request)
            stats.add("neverRead", "connects")
        except OSError as e:
            stats.add("neverRead", f"error:{type(e).__name__}")
        ready_count[0] += 1
        if ready_count[0] == expected:
            print("ready", flush=True)
        await stop.wait()
        socks.discard(sock)
        sock.close()

    expected = args.heads + args.bodies + args.never_read
    ready_count = [0]
    if expected == 0:
        print("ready", flush=True)
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    tasks = []
    ramp = args.ramp
    # Never-readers first, so their responses start spooling while the others connect.
    for i in range(args.never_read):
        tasks.append(asyncio.create_task(never_reader(ramp * i / max(1, expected))))
    for i in range(args.heads):
        tasks.append(asyncio.create_task(trickler("heads", ramp * random.random())))
    for i in range(args.bodies):
        tasks.append(asyncio.create_task(trickler("bodies", ramp * random.random())))
    if args.duration:
        try:
            await asyncio.wait_for(stop.wait(), args.duration)
        except asyncio.TimeoutError:
            stop.set()
    else:
        await stop.wait()
    for s in list(socks):
        try:
            s.close()
        except OSError:
            pass
    await asyncio.wait(tasks, timeout=5)
    print(json.dumps({"opened": ready_count[0], "stats": stats.d}), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    o = sub.add_parser("openloop")
    o.add_argument("url")
    o.add_argument("--rate", type=float, required=True, help="new connections per second")
    o.add_argument("--duration", type=float, required=True, help="seconds of arrivals")
    o.add_argument("--deadline", type=float, required=True, help="a client gives up this long after its start")
    o.add_argument("--out", required=True)
    c = sub.add_parser("closed")
    c.add_argument("target", help="http://HOST:PORT/path or unix:/path/to.sock")
    c.add_argument("--path", default="/", help="request path for a unix: target")
    c.add_argument("--concurrency", type=int, default=8)
    c.add_argument("--duration", type=float, default=5)
    h = sub.add_parser("hostile")
    h.add_argument("url")
    h.add_argument("--heads", type=int, default=1000)
    h.add_argument("--bodies", type=int, default=1000)
    h.add_argument("--never-read", type=int, default=100)
    h.add_argument("--path", default="/", help="path in the trickled heads")
    h.add_argument("--upload-path", default="/upload")
    h.add_argument("--big-path", default="/big")
    h.add_argument("--body-length", type=int, default=262144, help="declared Content-Length of trickled bodies")
    h.add_argument("--body-prefix", type=int, default=262000, help="bytes of the body sent at once")
    h.add_argument("--interval", type=float, default=3.0, help="seconds between trickled bytes (jittered 25%%)")
    h.add_argument("--ramp", type=float, default=5.0, help="seconds over which the connections are opened")
    h.add_argument("--duration", type=float, default=0, help="stop after this long (default: at SIGTERM)")
    args = ap.parse_args()
    asyncio.run({"openloop": openloop, "closed": closedloop, "hostile": hostile}[args.cmd](args))


if __name__ == "__main__":
    sys.exit(main())
