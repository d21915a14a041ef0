"""hostile.py: clients that misbehave on purpose, for the tests and measurements of
benchgated's connection limits and request deadlines (server/conn_guard.h).

    hostile.py refused  HOST PORT --from A --hold N [--other B]
        holds N idle connections from source address A, then opens one more from A and
        expects it closed by the server within 2 s; with --other, a GET /healthz from B must
        answer 200 meanwhile.
    hostile.py slowloris HOST PORT --within S [--count N] [--from A]
        N connections (default 1) send a request head one byte every 0.5 s; each must be
        closed by the server within S seconds.
    hostile.py slowbody HOST PORT --path P --token T --within S [--length N]
        a POST whose head is complete (Content-Length N, default 60000) and whose body
        trickles one byte every 0.5 s; closed within S seconds.
    hostile.py endless HOST PORT --path P --token T --max BYTES
        an endless chunked body; the server must close the connection (or answer) before
        BYTES were sent.
    hostile.py raw HOST PORT FILE [--headers]
        sends FILE's bytes as they are and prints the answer's status line (and, with
        --headers, its header lines).
    hostile.py idle HOST PORT --count N --seconds S [--from A]
        opens N connections that send nothing, keeps them S seconds, prints how many the
        server closed (refused) and how many it kept.

Each prints one line of what it saw and exits 0 when the server behaved, 1 when not.
"""
import argparse
import socket
import sys
import time


def connect(host, port, src=None, timeout=5.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if src:
        s.bind((src, 0))
    s.connect((host, port))
    return s


def closed_within(s, seconds):
    """Seconds until the peer ended the connection, or None if it did not in time."""
    t0 = time.monotonic()
    s.settimeout(0.05)
    while time.monotonic() - t0 < seconds:
        try:
            data = s.recv(65536)
            if not data:
                return time.monotonic() - t0
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - t0
    return None


def healthz(host, port, src):
    t0 = time.monotonic()
    s = connect(host, port, src, timeout=3)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        data += chunk
    s.close()
    status = data.split(b"\r\n", 1)[0].decode("latin-1")
    return status, time.monotonic() - t0


def cmd_refused(a):
    held = [connect(a.host, a.port, a.src) for _ in range(a.hold)]
    time.sleep(0.3)
    early = sum(1 for s in held if closed_within(s, 0.01) is not None)
    extra = connect(a.host, a.port, a.src)
    t = closed_within(extra, 2.0)
    ok = t is not None and early == 0
    msg = f"held {a.hold - early}/{a.hold}; the next one from {a.src} "
    msg += f"closed after {t:.3f} s" if t is not None else "was kept (not refused)"
    if a.other:
        status, took = healthz(a.host, a.port, a.other)
        msg += f"; /healthz from {a.other}: {status!r} in {took:.3f} s"
        ok = ok and " 200 " in status + " " and took < 1.0
    print(msg)
    return 0 if ok else 1


def trickle(socks, payload, within):
    """Sends payload byte by byte every 0.5 s on every socket; returns when each was closed
    (seconds since start) or None for those still open after `within`."""
    t0 = time.monotonic()
    done = [None] * len(socks)
    i = 0
    while time.monotonic() - t0 < within + 1 and None in done:
        for k, s in enumerate(socks):
            if done[k] is not None:
                continue
            try:
                s.send(payload[i % len(payload):i % len(payload) + 1])
            except (BrokenPipeError, ConnectionResetError):
                done[k] = time.monotonic() - t0
                continue
            s.settimeout(0.001)
            try:
                if not s.recv(65536):
                    done[k] = time.monotonic() - t0
            except socket.timeout:
                pass
            except ConnectionResetError:
                done[k] = time.monotonic() - t0
        i += 1
        time.sleep(0.5)
    return done


def report_trickle(what, done, within):
    cut = [t for t in done if t is not None]
    ok = len(cut) == len(done) and max(cut) <= within
    worst = f"{max(cut):.1f} s" if cut else "-"
    print(f"{what}: {len(cut)}/{len(done)} closed by the server, the last after {worst} "
          f"(bound {within} s)")
    return 0 if ok else 1


def cmd_slowloris(a):
    socks = [connect(a.host, a.port, a.src) for _ in range(a.count)]
    head = b"GET /healthz HTTP/1.1\r\nHost: t\r\n" + b"X-Slow: " + b"a" * 10000
    return report_trickle("slow request heads", trickle(socks, head, a.within), a.within)


def cmd_slowbody(a):
    s = connect(a.host, a.port, a.src)
    s.sendall((f"POST {a.path} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {a.token}\r\n"
               f"Content-Type: application/json\r\nContent-Length: {a.length}\r\n\r\n").encode())
    return report_trickle("slow body", trickle([s], b" " * a.length, a.within), a.within)


def cmd_endless(a):
    s = connect(a.host, a.port)
    s.sendall((f"POST {a.path} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {a.token}\r\n"
               "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").encode())
    chunk = b"%x\r\n%s\r\n" % (65536, b" " * 65536)
    sent, t0 = 0, time.monotonic()
    s.settimeout(5)
    try:
        while sent < a.max and time.monotonic() - t0 < 30:
            s.sendall(chunk)
            sent += 65536
    except (BrokenPipeError, ConnectionResetError, socket.timeout):
        pass
    ok = sent < a.max
    print(f"endless chunked body: {sent} bytes sent before the server "
          + ("ended it" if ok else f"still read on (bound {a.max})"))
    return 0 if ok else 1


def cmd_raw(a):
    s = connect(a.host, a.port)
    with open(a.file, "rb") as f:
        s.sendall(f.read())
    data = b""
    s.settimeout(3)
    try:
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    print("\n".join(head if a.headers else head[:1]) if data else "(no answer)")
    return 0


def cmd_idle(a):
    socks = []
    for _ in range(a.count):
        try:
            socks.append(connect(a.host, a.port, a.src, timeout=2))
        except OSError:
            break
    time.sleep(a.seconds)
    closed = sum(1 for s in socks if closed_within(s, 0.001) is not None)
    print(f"idle: {len(socks)} connected, {closed} closed by the server, "
          f"{len(socks) - closed} kept")
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("refused", "slowloris", "slowbody", "endless", "raw", "idle"):
        q = sub.add_parser(name)
        q.add_argument("host")
        q.add_argument("port", type=int)
        if name == "raw":
            q.add_argument("file")
        q.add_argument("--from", dest="src")
        q.add_argument("--other")
        q.add_argument("--hold", type=int, default=1)
        q.add_argument("--count", type=int, default=1)
        q.add_argument("--within", type=float, default=5)
        q.add_argument("--seconds", type=float, default=1)
        q.add_argument("--path", default="/api/v1/projects/p/runs")
        q.add_argument("--token", default="")
        q.add_argument("--max", type=int, default=1 << 24)
        q.add_argument("--length", type=int, default=60000)
        q.add_argument("--headers", action="store_true")
    a = p.parse_args()
    return globals()["cmd_" + a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
