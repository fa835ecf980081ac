#!/usr/bin/env python3
"""dockerproxy.py - a counting unix-socket proxy in front of the Docker socket.

    python3 tests/bench/dockerproxy.py LISTEN_SOCK [UPSTREAM_SOCK] [--trace FILE]

Forwards bytes unchanged in both directions (keep-alive connections, the
chunked endless /events stream, half-closes), and on the side parses the
client->server bytes into HTTP requests to count them by kind:

    GET /v1.41/containers/<64 hex>/json  -> "GET /containers/{id}/json"

Counters: connect to LISTEN_SOCK + ".stats"; the proxy writes one JSON object
({"total": n, "connections": n, "by_kind": {...}, "inspects": {id: n}}) and
closes.

--trace FILE appends one line per observation, for latency breakdowns:
    <time_ns> req <conn> <method> <path>     a request fully received from the client
    <time_ns> rsp <conn> <nbytes>            bytes from dockerd forwarded to the client
    <time_ns> ev  <conn> <id> <action>       an event line (on an /events stream) forwarded
Times are CLOCK_REALTIME (comparable to Docker's timeNano).

One thread per direction per connection; a request parser error never stops
the forwarding (the bytes are passed on as they came).
"""
import json
import os
import re
import socket
import sys
import threading
import time

ID_RE = re.compile(r"/[0-9a-f]{12,64}(?=/|$)")
VER_RE = re.compile(r"^/v[0-9]+\.[0-9]+(?=/)")
EV_RE = re.compile(rb'"(?:status|Action)":"([^"]*)","id":"([0-9a-f]{64})"|"id":"([0-9a-f]{64})"')


def kind_of(method, target):
    path = target.split("?", 1)[0]
    path = VER_RE.sub("", path)
    path = ID_RE.sub("/{id}", path)
    return method + " " + path


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.total = 0
        self.connections = 0
        self.by_kind = {}
        self.inspects = {}  # container id (as the client wrote it) -> inspect count

    def count(self, kind, target):
        with self.lock:
            self.total += 1
            self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
            if kind == "GET /containers/{id}/json":
                ident = target.split("?", 1)[0].rstrip("/").split("/")[-2]
                self.inspects[ident] = self.inspects.get(ident, 0) + 1

    def snapshot(self):
        with self.lock:
            return {"total": self.total, "connections": self.connections,
                    "by_kind": dict(self.by_kind), "inspects": dict(self.inspects)}


class RequestParser:
    """Incremental HTTP/1.x request splitter (headers, Content-Length, chunked)."""

    def __init__(self, on_request):
        self.buf = b""
        self.state = "head"
        self.remaining = 0
        self.on_request = on_request
        self.broken = False

    def feed(self, data):
        if self.broken:
            return
        self.buf += data
        try:
            while self._step():
                pass
        except Exception:
            self.broken = True  # keep forwarding; stop counting this connection
            self.buf = b""

    def _step(self):
        if self.state == "head":
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buf) > 1 << 20:
                    raise ValueError("header too large")
                return False
            head = self.buf[:end].decode("latin-1")
            self.buf = self.buf[end + 4:]
            lines = head.split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {}
            for ln in lines[1:]:
                k, _, v = ln.partition(":")
                headers[k.strip().lower()] = v.strip()
            self.on_request(method, target)
            if "chunked" in headers.get("transfer-encoding", "").lower():
                self.state = "chunk-size"
            else:
                self.remaining = int(headers.get("content-length", "0"))
                self.state = "body" if self.remaining else "head"
            return True
        if self.state == "body":
            n = min(self.remaining, len(self.buf))
            self.buf = self.buf[n:]
            self.remaining -= n
            if self.remaining == 0:
                self.state = "head"
                return True
            return False
        if self.state == "chunk-size":
            end = self.buf.find(b"\r\n")
            if end < 0:
                return False
            size = int(self.buf[:end].split(b";")[0], 16)
            self.buf = self.buf[end + 2:]
            if size == 0:
                self.state = "trailer"
            else:
                self.remaining = size + 2
                self.state = "chunk-data"
            return True
        if self.state == "chunk-data":
            n = min(self.remaining, len(self.buf))
            self.buf = self.buf[n:]
            self.remaining -= n
            if self.remaining == 0:
                self.state = "chunk-size"
                return True
            return False
        if self.state == "trailer":
            end = self.buf.find(b"\r\n")
            if end < 0:
                return False
            line = self.buf[:end]
            self.buf = self.buf[end + 2:]
            if line == b"":
                self.state = "head"
            return True
        return False


class Proxy:
    def __init__(self, listen, upstream, trace=None):
        self.listen = listen
        self.upstream = upstream
        self.stats = Stats()
        self.trace_file = open(trace, "a", buffering=1) if trace else None
        self.trace_lock = threading.Lock()
        self.next_conn = 0

    def trace(self, line):
        if self.trace_file is None:
            return
        with self.trace_lock:
            self.trace_file.write(line + "\n")

    def serve(self):
        for p in (self.listen, self.listen + ".stats"):
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(self.listen)
        srv.listen(128)
        st = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        st.bind(self.listen + ".stats")
        st.listen(16)
        threading.Thread(target=self._stats_loop, args=(st,), daemon=True).start()
        while True:
            c, _ = srv.accept()
            threading.Thread(target=self._connection, args=(c,), daemon=True).start()

    def _stats_loop(self, st):
        while True:
            c, _ = st.accept()
            try:
                c.sendall(json.dumps(self.stats.snapshot()).encode() + b"\n")
            except OSError:
                pass
            c.close()

    def _connection(self, client):
        with self.stats.lock:
            self.stats.connections += 1
            self.next_conn += 1
            cid = self.next_conn
        up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            up.connect(self.upstream)
        except OSError:
            client.close()
            up.close()
            return
        state = {"events": False}

        def on_request(method, target):
            self.stats.count(kind_of(method, target), target)
            if target.split("?", 1)[0].endswith("/events"):
                state["events"] = True
            if self.trace_file:
                self.trace("%d req %d %s %s" % (time.time_ns(), cid, method, target))

        parser = RequestParser(on_request)

        def c2s():
            try:
                while True:
                    data = client.recv(65536)
                    if not data:
                        break
                    parser.feed(data)
                    up.sendall(data)
            except OSError:
                pass
            try:
                up.shutdown(socket.SHUT_WR)
            except OSError:
                pass

        t = threading.Thread(target=c2s, daemon=True)
        t.start()
        try:
            while True:
                data = up.recv(65536)
                if not data:
                    break
                client.sendall(data)
                if self.trace_file:
                    now = time.time_ns()
                    if state["events"]:
                        for m in EV_RE.finditer(data):
                            action = (m.group(1) or b"?").decode()
                            ident = (m.group(2) or m.group(3)).decode()
                            self.trace("%d ev %d %s %s" % (now, cid, ident, action))
                    else:
                        self.trace("%d rsp %d %d" % (now, cid, len(data)))
        except OSError:
            pass
        try:
            client.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        t.join()
        client.close()
        up.close()


def read_stats(listen):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(listen + ".stats")
    buf = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        buf += d
    s.close()
    return json.loads(buf)


def main(argv):
    args = argv[1:]
    trace = None
    if "--trace" in args:
        i = args.index("--trace")
        trace = args[i + 1]
        del args[i:i + 2]
    if not args or len(args) > 2:
        sys.stderr.write(__doc__)
        return 2
    upstream = args[1] if len(args) > 1 else "/var/run/docker.sock"
    Proxy(args[0], upstream, trace).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
