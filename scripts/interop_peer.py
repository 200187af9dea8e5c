#!/usr/bin/env python3
"""The kernel's side of the interop tests: small clients and servers on
Linux's own TCP stack, standard library only.  Each mode prints one line
saying what it saw and exits 0 when it saw what the test expects.

Every socket has a timeout (--timeout, default 60 s), so nothing here can
hang a test; the test wraps each run in timeout(1) as well.
"""
import argparse
import hashlib
import random
import socket
import sys
import threading


def payload(size, seed):
    """size pseudo-random bytes, the same for the same seed."""
    return random.Random(seed).randbytes(size)


def recv_all(sock):
    """Everything until the peer's FIN."""
    chunks = []
    while True:
        b = sock.recv(1 << 16)
        if not b:
            return b"".join(chunks)
        chunks.append(b)


def listen(host, port, timeout):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((host, port))
    srv.listen(1)
    srv.settimeout(timeout)
    print(f"listening on {host}:{port}", flush=True)
    return srv


def echo_client(a):
    """Sends --size bytes to an echo server while reading its answer, then
    half-closes; the answer must be the same bytes (sha256)."""
    data = payload(a.size, a.seed)
    s = socket.create_connection((a.host, a.port), timeout=a.timeout)
    err = []

    def sender():
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except OSError as e:  # reported by the main thread
            err.append(e)

    t = threading.Thread(target=sender)
    t.start()
    got = recv_all(s)
    t.join(a.timeout)
    s.close()
    if err:
        print(f"echo: sending failed: {err[0]!r}")
        return 1
    want, have = hashlib.sha256(data).hexdigest(), hashlib.sha256(got).hexdigest()
    print(f"echo: sent {len(data)} bytes, received {len(got)} bytes, sha256 sent {want} received {have}")
    return 0 if want == have and len(got) == len(data) else 1


def echo_many(a):
    """--conns clients at once, each echoing its own --size bytes."""
    results = [None] * a.conns

    def one(i):
        data = payload(a.size, a.seed + i)
        try:
            s = socket.create_connection((a.host, a.port), timeout=a.timeout)
            t = threading.Thread(target=lambda: (s.sendall(data), s.shutdown(socket.SHUT_WR)))
            t.start()
            got = recv_all(s)
            t.join(a.timeout)
            s.close()
            results[i] = got == data
        except OSError as e:
            results[i] = e

    threads = [threading.Thread(target=one, args=(i,)) for i in range(a.conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(a.timeout)
    ok = sum(1 for r in results if r is True)
    bad = [r for r in results if r is not True]
    print(f"echo-many: {ok}/{a.conns} connections echoed {a.size} bytes each intact"
          + (f"; first failure: {bad[0]!r}" if bad else ""))
    return 0 if ok == a.conns else 1


def send_file(a):
    """Accepts one connection, sends the file, closes (the server closes first)."""
    data = open(a.file, "rb").read()
    srv = listen(a.host, a.port, a.timeout)
    c, peer = srv.accept()
    c.settimeout(a.timeout)
    c.sendall(data)
    c.close()
    srv.close()
    print(f"send-file: sent {len(data)} bytes to {peer[0]}:{peer[1]}")
    return 0


def sink(a):
    """Accepts one connection, reads to the client's FIN, answers with the
    sha256 of what it read, closes (the client closed first)."""
    srv = listen(a.host, a.port, a.timeout)
    c, peer = srv.accept()
    c.settimeout(a.timeout)
    got = recv_all(c)
    digest = hashlib.sha256(got).hexdigest()
    c.sendall((digest + "\n").encode())
    c.close()
    srv.close()
    if a.file:
        open(a.file, "wb").write(got)
    print(f"sink: received {len(got)} bytes from {peer[0]}:{peer[1]}, sha256 {digest}")
    return 0


def refused(a):
    """Connects where nobody listens: must fail with ECONNREFUSED."""
    try:
        s = socket.create_connection((a.host, a.port), timeout=a.timeout)
    except ConnectionRefusedError as e:
        print(f"refused: {e.strerror} (errno {e.errno}) as expected")
        return 0
    except OSError as e:
        print(f"refused: expected ECONNREFUSED, got {e!r}")
        return 1
    s.close()
    print("refused: expected ECONNREFUSED, but the connection was accepted")
    return 1


def close_first(a):
    """The kernel closes first: send, half-close, read the echo to its FIN."""
    msg = b"hello from the kernel side\n"
    s = socket.create_connection((a.host, a.port), timeout=a.timeout)
    s.sendall(msg)
    s.shutdown(socket.SHUT_WR)
    got = recv_all(s)
    s.close()
    print(f"close-first: sent {len(msg)} bytes, echo {'matches' if got == msg else 'differs'}")
    return 0 if got == msg else 1


def http_close(a):
    """Asks for Connection: close and reads to the server's FIN before
    closing: the server (our stack) closes first."""
    s = socket.create_connection((a.host, a.port), timeout=a.timeout)
    s.sendall(b"GET / HTTP/1.1\r\nHost: synack\r\nConnection: close\r\n\r\n")
    got = recv_all(s)
    s.close()
    ok = got.startswith(b"HTTP/1.1 200 OK\r\n") and b"Connection: close\r\n" in got
    status = got.split(b"\r\n", 1)[0]
    print(f"http-close: {len(got)} bytes, status line {status!r}")
    return 0 if ok else 1


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("mode", choices=["echo-client", "echo-many", "send-file", "sink", "refused", "close-first", "http-close"])
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--size", type=int, default=0)
    p.add_argument("--conns", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--file")
    p.add_argument("--timeout", type=float, default=60.0)
    a = p.parse_args()
    run = {"echo-client": echo_client, "echo-many": echo_many, "send-file": send_file, "sink": sink, "refused": refused,
           "close-first": close_first, "http-close": http_close}[a.mode]
    try:
        return run(a)
    except OSError as e:
        print(f"{a.mode}: failed: {e!r}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
