#!/usr/bin/env python3
"""Abuses a registrator -metrics endpoint (tests/integration/test_metrics.c).

    httpd_abuse.py HOST PORT

Phase 1 (about 6 s, all at once): garbage requests, 1 MB request heads,
8 slowloris clients (a header line every 0.5 s), and a prober that asks
/healthz every 200 ms: every probe must get 200 within 1 s.
Phase 2: a flood of 200 connections opened at once and held for 2 s
(more than the server's limit: the extra ones are refused).
Phase 3: /healthz and /metrics must answer 200 within 1 s again.
Prints one line per finding; exit 0 when every check held.
"""
import os
import socket
import sys
import threading
import time

HOST, PORT = sys.argv[1], int(sys.argv[2])
failures = []
stats = {"garbage": 0, "big": 0, "big_431": 0, "slow": 0, "probes": 0, "flood_open": 0}
lock = threading.Lock()


def bump(key, n=1):
    with lock:
        stats[key] += n


def exchange(data, timeout=3.0):
    """Sends data, reads until close; returns the status code (0: none)."""
    s = socket.create_connection((HOST, PORT), timeout=timeout)
    try:
        try:
            s.sendall(data)
        except OSError:
            pass  # refused mid-send: the answer may still be there
        out = b""
        while len(out) < 65536:
            try:
                d = s.recv(65536)
            except (socket.timeout, OSError):
                break
            if not d:
                break
            out += d
    finally:
        s.close()
    try:
        return int(out.split(b" ", 2)[1]) if out.startswith(b"HTTP/1.") else 0
    except (IndexError, ValueError):
        return 0


def probe(path="/healthz"):
    t0 = time.monotonic()
    try:
        code = exchange(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 1.0)
    except OSError as e:
        code = "error %s" % e
    return code, time.monotonic() - t0


def garbage(stop):
    rnd = [os.urandom(n) for n in (1, 17, 300, 4000)] + [
        b"\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"GET /metrics HTTP/1.1\r\nHost: x\r\n"
        b"Content-Length: -1\r\n\r\n", b"BREW /metrics HTCPCP/1.0\r\n\r\n", b"\x00" * 100 + b"\r\n\r\n"]
    i = 0
    while not stop.is_set():
        try:
            exchange(rnd[i % len(rnd)], 0.5)
        except OSError:
            pass
        bump("garbage")
        i += 1


def big(stop):
    head = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n"
    while not stop.is_set():
        try:
            if exchange(head, 3.0) == 431:
                bump("big_431")
        except OSError:
            pass
        bump("big")


def slowloris(stop):
    try:
        s = socket.create_connection((HOST, PORT), timeout=2)
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
        while not stop.is_set():
            s.sendall(b"X-Slow: 1\r\n")
            bump("slow")
            stop.wait(0.5)
        s.close()
    except OSError:
        pass  # the server closed it: allowed


def prober(stop):
    while not stop.is_set():
        code, took = probe()
        bump("probes")
        if code != 200 or took > 1.0:
            failures.append("phase 1: /healthz answered %s in %.2f s" % (code, took))
        stop.wait(0.2)


def phase1():
    stop = threading.Event()
    ts = [threading.Thread(target=f, args=(stop,)) for f in [garbage, garbage, big, prober] + [slowloris] * 8]
    for t in ts:
        t.start()
    time.sleep(6)
    stop.set()
    for t in ts:
        t.join()


def phase2():
    socks = []
    for _ in range(200):
        try:
            socks.append(socket.create_connection((HOST, PORT), timeout=1))
        except OSError:
            pass
    stats["flood_open"] = len(socks)
    time.sleep(2)
    for s in socks:
        s.close()


def phase3():
    deadline = time.monotonic() + 5
    for path in ("/healthz", "/metrics"):
        while True:  # the flood's sockets are being closed: a short grace period
            code, took = probe(path)
            if code == 200 and took <= 1.0:
                break
            if time.monotonic() > deadline:
                failures.append("phase 3: %s answered %s in %.2f s" % (path, code, took))
                break
            time.sleep(0.1)


phase1()
phase2()
phase3()
print("abuse: " + " ".join("%s=%d" % kv for kv in sorted(stats.items())))
if stats["big_431"] == 0:
    failures.append("no 1 MB request head got 431")
for f in failures:
    print("FAIL " + f)
sys.exit(1 if failures else 0)
