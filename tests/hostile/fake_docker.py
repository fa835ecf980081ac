#!/usr/bin/env python3
"""A misbehaving Docker Engine API on a unix socket, for tests/integration/test_hostile.c.

    fake_docker.py SOCKET LOG EVENTS_MODE [INSPECT_JSON_FILE]

/_ping, /version and /containers/json answer like dockerd (API 1.41). The
containers listed, and what inspecting each answers, come from
INSPECT_JSON_FILE: {"<id>": {"status": 200, "body": "<text>"} |
{"status": 200, "huge": <bytes>}, ...} (none when absent). GET /events
misbehaves as EVENTS_MODE says:

    garbage     one line that is not JSON, then silence
    wrongtypes  one event whose Action is a number, then silence
    hugeline    after 2.5 s, one line of 50 MB without a newline (sent until
                the peer hangs up)
    bigevents   after 2.5 s, 50 MB of valid, useless ~200 KB events, then silence
    stall       the headers and nothing else, forever
    close       the headers and the terminating chunk: a clean end
    cut         half an event, then the connection is closed mid-chunk
    quiet       a normal, idle stream

Every request is appended to LOG as "<monotonic seconds> <METHOD> <path>";
every events connection that ends adds "<t> EVENTS-END sent=<bytes>".
"""
import json
import os
import socket
import socketserver
import sys
import threading
import time

SOCK, LOG, MODE = sys.argv[1], sys.argv[2], sys.argv[3]
INSPECT = {}
if len(sys.argv) > 4:
    with open(sys.argv[4]) as f:
        INSPECT = json.load(f)
MB = 1 << 20
log_lock = threading.Lock()


def log(line):
    with log_lock, open(LOG, "a") as f:
        f.write("%.3f %s\n" % (time.monotonic(), line))


class Handler(socketserver.StreamRequestHandler):
    def send(self, status, body, ctype="application/json", extra=""):
        if isinstance(body, str):
            body = body.encode("utf-8", "surrogatepass")
        head = ("HTTP/1.1 %d X\r\nContent-Type: %s\r\nApi-Version: 1.41\r\n%s"
                "Content-Length: %d\r\n\r\n" % (status, ctype, extra, len(body)))
        self.wfile.write(head.encode() + body)

    def chunk(self, data):
        self.wfile.write(b"%x\r\n" % len(data) + data + b"\r\n")
        self.wfile.flush()
        self.sent += len(data)

    def events(self):
        self.sent = 0
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Api-Version: 1.41\r\nTransfer-Encoding: chunked\r\n\r\n")
        self.wfile.flush()
        try:
            if MODE == "garbage":
                self.chunk(b"this is not JSON at all {{{\n")
            elif MODE == "wrongtypes":
                self.chunk(b'{"Type":"container","Action":5,"Actor":{"ID":"x"}}\n')
            elif MODE == "hugeline":
                time.sleep(2.5)  # lets the test read the daemon's memory first
                piece = b"A" * (64 * 1024)
                while self.sent < 50 * MB:
                    self.chunk(piece)
            elif MODE == "bigevents":
                time.sleep(2.5)
                pad = "p" * (200 * 1024)
                for i in range(256):  # 256 x 200 KiB = 50 MiB
                    ev = {"Type": "container", "Action": "exec_start: true", "status": "exec_start",
                          "id": "%064x" % i, "Actor": {"ID": "%064x" % i, "Attributes": {"pad": pad}},
                          "time": 1, "timeNano": 1000000000}
                    self.chunk(json.dumps(ev).encode() + b"\n")
                log("EVENTS-BIG-DONE sent=%d" % self.sent)
            elif MODE == "close":
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
                return
            elif MODE == "cut":
                self.wfile.write(b'40\r\n{"Type":"container","Action":"st')
                self.wfile.flush()
                return
            while True:  # garbage, wrongtypes, bigevents, stall, quiet: hold the line
                time.sleep(0.2)
                self.wfile.write(b"")
                if self.peer_gone():
                    return
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            log("EVENTS-END sent=%d" % self.sent)

    def peer_gone(self):
        try:
            self.connection.setblocking(False)
            try:
                return self.connection.recv(1, socket.MSG_PEEK) == b""
            except BlockingIOError:
                return False
        finally:
            self.connection.setblocking(True)

    def handle(self):
        while True:
            line = self.rfile.readline(65537)
            if not line:
                return
            parts = line.decode("latin-1").split()
            if len(parts) < 2:
                return
            while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                pass
            method, path = parts[0], parts[1]
            log("%s %s" % (method, path))
            p = path.split("?")[0]
            if p.startswith("/v1.41"):
                p = p[len("/v1.41"):]
            if p == "/_ping":
                self.send(200, "OK", "text/plain")
            elif p == "/version":
                self.send(200, '{"ApiVersion":"1.41","Version":"20.10.24"}')
            elif p == "/containers/json":
                self.send(200, json.dumps([{"Id": k} for k in INSPECT]))
            elif p.startswith("/containers/") and p.endswith("/json"):
                cid = p[len("/containers/"):-len("/json")]
                ans = INSPECT.get(cid)
                if ans is None:
                    self.send(404, '{"message":"No such container: %s"}' % cid)
                elif "huge" in ans:
                    body = b'{"Id":"' + b"h" * ans["huge"] + b'"}'
                    try:
                        self.send(200, body)
                    except (BrokenPipeError, ConnectionResetError):
                        return
                else:
                    self.send(ans.get("status", 200), ans["body"])
            elif p == "/events":
                self.events()
                return
            else:
                self.send(404, '{"message":"page not found"}')


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


if os.path.exists(SOCK):
    os.unlink(SOCK)
srv = Server(SOCK, Handler)
log("READY")
srv.serve_forever()
