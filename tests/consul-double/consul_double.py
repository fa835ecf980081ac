#!/usr/bin/env python3
"""consul_double.py - a Consul PROTOCOL DOUBLE for registrator's tests.

This is NOT Consul. It is a small stand-in written from Consul's documented
agent and catalog HTTP API (the 1.4-era behaviour; README "Registry URIs"
and "Consul checks" say what registrator relies on), so that the Consul
adapter can be tested end to end on a machine where Consul is not packaged.

What it does:
  * stores services and checks (agent API) and nodes/services (catalog API);
    agent registrations also appear in the catalog under the node
    "consul-double";
  * validates as Consul does and answers Consul's status codes with
    plain-text error bodies: 400 "Missing service name", "Invalid service
    address", "Invalid Service Meta: ...", "Invalid check: ...",
    "Request decode failed: ..."; 403 "Permission denied" (with
    --acl-token); 404 "Unknown service ID ..." / "Unknown check ID ...";
    405 "method X not allowed";
  * expires TTL checks to critical when not passed within their TTL, and
    removes a service whose TTL check stayed critical longer than its
    DeregisterCriticalServiceAfter (clamped to --min-deregister-after,
    60 s like Consul by default);
  * never runs HTTP/TCP/gRPC/script checks and never connects anywhere:
    those checks keep the status they were registered with.

Usage (all output lines start with "consul-double:"):
  consul_double.py --port 8500 [--host 127.0.0.1] [--unix /path/agent.sock]
                   [--port-file F] [--acl-token T] [--fail-first N]
                   [--fail-status 500] [--min-deregister-after SECONDS]
                   [--no-leader] [--tls-cert C --tls-key K]
                   [--delay-ms MS] [--quiet]
--tls-cert/--tls-key serve HTTPS on the TCP port (as consul-tls:// expects).
--port 0 binds a free port and writes it to --port-file (and stdout).
--deep-answers N answers GET /v1/agent/services and /v1/catalog/node/ with
JSON nested N levels deep (a hostile agent, for the hostile-input tests).
--fail-first N answers the first N PUT requests with --fail-status
(500 "rpc error: consul-double injected failure" or 429 "Too Many
Requests"), for retry tests.
Requests are served concurrently (one thread per connection, state behind
one lock). --delay-ms MS holds every answer MS milliseconds (outside the
lock, so requests in flight overlap), standing in for a real agent's own
latency in benchmarks; --quiet drops the per-request log lines.
Test-only endpoints (not Consul's): GET /_double/stats answers
{"requests": N, "in_flight_max": M} (M: most requests seen at once;
?reset=1 zeroes both after answering), and GET /_double/bodies answers
{ID: the exact body of the last registration of that service ID}.
"""
import argparse
import json
import os
import re
import signal
import socket
import ssl
import socketserver
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DOUBLE_NODE = "consul-double"
META_KEY_RE = re.compile(r"^[A-Za-z0-9_-]+$")
DURATION_RE = re.compile(r"^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|\u00b5s|ms|s|m|h))+$")
UNIT_S = {"ns": 1e-9, "us": 1e-6, "\u00b5s": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
VALID_STATUS = ("passing", "warning", "critical")
NO_BODY = object()  # Consul's agent writes answer 200 with an empty body


class ApiError(Exception):
    def __init__(self, status, text):
        super().__init__(text)
        self.status = status
        self.text = text


class RAW(str):
    """A reply body sent as it is (application/json)."""


def log(msg):
    sys.stderr.write("consul-double: %s\n" % msg)
    sys.stderr.flush()


QUIET = []  # [True] with --quiet


def note(msg):
    """A per-request line: dropped with --quiet."""
    if not QUIET:
        log(msg)


def parse_duration(v):
    """Go's time.ParseDuration (strings) or nanoseconds (numbers) -> seconds."""
    if v is None or v == "":
        return 0.0
    if isinstance(v, bool):
        raise ApiError(400, "Request decode failed: invalid duration %r" % (v,))
    if isinstance(v, (int, float)):
        return float(v) / 1e9
    if not isinstance(v, str):
        raise ApiError(400, "Request decode failed: invalid duration")
    if v == "0":
        return 0.0
    if re.fullmatch(r"[-+]?\d+(\.\d*)?", v):
        raise ApiError(400, 'Request decode failed: time: missing unit in duration "%s"' % v)
    if not DURATION_RE.match(v):
        raise ApiError(400, 'Request decode failed: time: invalid duration "%s"' % v)
    sign = -1.0 if v.startswith("-") else 1.0
    total = 0.0
    for num, _, _, unit in re.findall(r"((\d+(\.\d*)?|\.\d+))(ns|us|\u00b5s|ms|s|m|h)", v):
        total += float(num) * UNIT_S[unit]
    return sign * total


def validate_meta(meta):
    if meta is None:
        return
    if not isinstance(meta, dict):
        raise ApiError(400, "Request decode failed: Meta must be an object")
    if len(meta) > 64:
        raise ApiError(400, "Invalid Service Meta: Node metadata cannot contain more than 64 key/value pairs")
    for k, v in meta.items():
        if k == "":
            reason = "Key cannot be blank"
        elif not META_KEY_RE.match(k):
            reason = "Key contains invalid characters"
        elif len(k) > 128:
            reason = "Key is too long (limit: 128 characters)"
        elif k.startswith("consul-"):
            reason = "Key prefix 'consul-' is reserved for internal use"
        elif not isinstance(v, str):
            raise ApiError(400, "Request decode failed: Meta values must be strings")
        elif len(v) > 512:
            reason = "Value is too long (limit: 512 characters)"
        else:
            continue
        raise ApiError(400, "Invalid Service Meta: %s" % reason)


def check_type(c):
    if c.get("Args") or c.get("ScriptArgs") or c.get("Script"):
        return "script"
    for field, kind in (("HTTP", "http"), ("TCP", "tcp"), ("GRPC", "grpc")):
        if c.get(field):
            return kind
    if c.get("TTL"):
        return "ttl"
    return ""


def validate_check(c):
    """Consul's CheckType.Validate; returns the parsed durations."""
    if not isinstance(c, dict):
        raise ApiError(400, "Request decode failed: a check must be an object")
    status = c.get("Status", "")
    if status and status not in VALID_STATUS:
        raise ApiError(400, "Status for checks must 'passing', 'warning', 'critical'")
    interval = parse_duration(c.get("Interval"))
    ttl = parse_duration(c.get("TTL"))
    parse_duration(c.get("Timeout"))
    dereg = parse_duration(c.get("DeregisterCriticalServiceAfter"))
    args = c.get("Args", c.get("ScriptArgs"))
    if args is not None and (not isinstance(args, list) or not all(isinstance(a, str) for a in args)):
        raise ApiError(400, "Request decode failed: Args must be a list of strings")
    header = c.get("Header")
    if header is not None and (not isinstance(header, dict) or not all(
            isinstance(v, list) and all(isinstance(x, str) for x in v) for v in header.values())):
        raise ApiError(400, "Request decode failed: Header must map names to lists of strings")
    kind = check_type(c)
    interval_check = kind in ("script", "http", "tcp", "grpc")
    if interval > 0 and ttl > 0:
        raise ApiError(400, "Invalid check: Interval and TTL cannot both be specified")
    if interval_check and interval <= 0:
        raise ApiError(400, "Invalid check: Interval must be > 0 for Script, HTTP, or TCP checks")
    if not interval_check and ttl <= 0:
        raise ApiError(400, "Invalid check: TTL must be > 0 for TTL checks")
    return kind, ttl, dereg


class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.args = args
        self.services = {}  # agent: ID -> service
        self.checks = {}    # agent: CheckID -> check (with private "_" fields)
        self.nodes = {}     # catalog: node -> {"Address", "Services": {ID: service}}
        self.fail_left = args.fail_first
        self.requests = 0
        self.in_flight = 0
        self.in_flight_max = 0
        self.bodies = {}    # service ID -> raw body of its last registration (agent or catalog)

    def enter(self):
        with self.lock:
            self.requests += 1
            self.in_flight += 1
            self.in_flight_max = max(self.in_flight_max, self.in_flight)

    def leave(self):
        with self.lock:
            self.in_flight -= 1

    def stats(self, reset):
        with self.lock:
            out = {"requests": self.requests, "in_flight_max": self.in_flight_max}
            if reset:
                self.requests = self.in_flight_max = 0
            return out

    def keep_body(self, sid, raw):
        with self.lock:
            self.bodies[sid] = raw.decode("utf-8", "replace")

    def raw_bodies(self):
        with self.lock:
            return dict(self.bodies)

    # ---- agent ----
    def agent_register(self, body):
        if not isinstance(body, dict):
            raise ApiError(400, "Request decode failed: body must be a JSON object")
        name = body.get("Name", "")
        if not name:
            raise ApiError(400, "Missing service name")
        sid = body.get("ID") or name
        addr = body.get("Address", "")
        if addr in ("0.0.0.0", "::", "[::]"):
            raise ApiError(400, "Invalid service address")
        validate_meta(body.get("Meta"))
        tags = body.get("Tags") or []
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise ApiError(400, "Request decode failed: Tags must be a list of strings")
        port = body.get("Port", 0)
        if not isinstance(port, int) or isinstance(port, bool):
            raise ApiError(400, "Request decode failed: Port must be an integer")
        defs = []
        if body.get("Check"):
            defs.append(body["Check"])
        defs.extend(body.get("Checks") or [])
        parsed = [validate_check(c) for c in defs]
        now = time.monotonic()
        svc = {"ID": sid, "Service": name, "Tags": tags, "Meta": body.get("Meta") or {},
               "Port": port, "Address": addr,
               "EnableTagOverride": bool(body.get("EnableTagOverride", False)),
               "Weights": {"Passing": 1, "Warning": 1}}
        with self.lock:
            for cid in [k for k, c in self.checks.items() if c["ServiceID"] == sid]:
                del self.checks[cid]
            self.services[sid] = svc
            self.bodies[sid] = body.get("_raw", "")
            for i, (c, (kind, ttl, dereg)) in enumerate(zip(defs, parsed)):
                cid = c.get("CheckID") or c.get("ID") or (
                    "service:%s" % sid if len(defs) == 1 else "service:%s:%d" % (sid, i + 1))
                status = c.get("Status") or "critical"
                if dereg > 0:
                    dereg = max(dereg, self.args.min_deregister_after)
                definition = {k: v for k, v in c.items() if k not in ("Status", "CheckID", "ID", "Name")}
                self.checks[cid] = {
                    "Node": DOUBLE_NODE, "CheckID": cid,
                    "Name": c.get("Name") or "Service '%s' check" % name,
                    "Status": status, "Notes": c.get("Notes", ""), "Output": "",
                    "ServiceID": sid, "ServiceName": name, "ServiceTags": tags,
                    "Type": kind, "Definition": definition,
                    "_ttl": ttl, "_dereg": dereg,
                    "_expires": now + ttl if status == "passing" and ttl > 0 else None,
                    "_critical_since": now if status == "critical" else None,
                }
        note("registered service %s (%s) with %d check(s)" % (sid, name, len(defs)))
        return NO_BODY

    def agent_deregister(self, sid):
        with self.lock:
            if sid not in self.services:
                raise ApiError(404, 'Unknown service ID "%s". Ensure that the service ID is passed, '
                                    'not the service name.' % sid)
            self._drop_service(sid)
        note("deregistered service %s" % sid)
        return NO_BODY

    def _drop_service(self, sid):
        self.services.pop(sid, None)
        for cid in [k for k, c in self.checks.items() if c["ServiceID"] == sid]:
            del self.checks[cid]

    def update_check(self, cid, status, note):
        with self.lock:
            c = self.checks.get(cid)
            if c is None:
                raise ApiError(404, 'Unknown check ID "%s". Ensure that the check ID is passed, '
                                    'not the check name.' % cid)
            if c["_ttl"] <= 0:
                raise ApiError(500, 'CheckID "%s" does not have associated TTL' % cid)
            now = time.monotonic()
            c["Status"] = status
            c["Output"] = note
            c["_expires"] = now + c["_ttl"]
            c["_critical_since"] = now if status == "critical" else None
        return NO_BODY

    def public_services(self):
        with self.lock:
            return {k: dict(v) for k, v in self.services.items()}

    def public_checks(self):
        with self.lock:
            return {k: {f: v for f, v in c.items() if not f.startswith("_")} for k, c in self.checks.items()}

    def tick(self):
        """Expires TTL checks and reaps services critical for too long."""
        now = time.monotonic()
        with self.lock:
            for c in self.checks.values():
                if c["_ttl"] > 0 and c["_expires"] is not None and now > c["_expires"] and c["Status"] != "critical":
                    c["Status"] = "critical"
                    c["Output"] = "TTL expired"
                    c["_critical_since"] = c["_expires"]
                    c["_expires"] = None
                    log("TTL check %s expired: critical" % c["CheckID"])
            reap = {c["ServiceID"] for c in self.checks.values()
                    if c["_ttl"] > 0 and c["_dereg"] > 0 and c["Status"] == "critical"
                    and c["_critical_since"] is not None and now - c["_critical_since"] >= c["_dereg"]}
            for sid in reap:
                self._drop_service(sid)
                log("reaped service %s: critical longer than DeregisterCriticalServiceAfter" % sid)

    # ---- catalog ----
    def catalog_register(self, body):
        if not isinstance(body, dict):
            raise ApiError(400, "Request decode failed: body must be a JSON object")
        node = body.get("Node", "")
        if not node:
            raise ApiError(500, "Must provide node")
        skip = bool(body.get("SkipNodeUpdate", False))
        addr = body.get("Address", "")
        with self.lock:
            known = node in self.nodes
        if not addr and not (skip and known):
            raise ApiError(500, "Must provide address if SkipNodeUpdate is not set")
        svc = body.get("Service")
        if svc is not None:
            if not isinstance(svc, dict):
                raise ApiError(400, "Request decode failed: Service must be an object")
            if not svc.get("Service"):
                raise ApiError(500, "Must provide service name with ID")
            validate_meta(svc.get("Meta"))
        if body.get("Check") is not None and not isinstance(body.get("Check"), dict):
            raise ApiError(400, "Request decode failed: Check must be an object")
        with self.lock:
            n = self.nodes.setdefault(node, {"Address": addr, "Services": {}})
            if not skip or not n["Address"]:
                n["Address"] = addr or n["Address"]
            if svc is not None:
                sid = svc.get("ID") or svc["Service"]
                self.bodies[sid] = body.get("_raw", "")
                n["Services"][sid] = {"ID": sid, "Service": svc["Service"], "Tags": svc.get("Tags") or [],
                                      "Address": svc.get("Address", ""), "Meta": svc.get("Meta") or {},
                                      "Port": svc.get("Port", 0),
                                      "EnableTagOverride": bool(svc.get("EnableTagOverride", False))}
        note("catalog: registered %s on node %s" % (svc.get("ID") if svc else "(node only)", node))
        return True

    def catalog_deregister(self, body):
        if not isinstance(body, dict) or not body.get("Node"):
            raise ApiError(500, "Must provide node")
        with self.lock:
            n = self.nodes.get(body["Node"])
            sid = body.get("ServiceID")
            if n is not None and sid:
                n["Services"].pop(sid, None)
            elif n is not None and not body.get("CheckID"):
                del self.nodes[body["Node"]]
        note("catalog: deregistered %s on node %s" % (body.get("ServiceID"), body["Node"]))
        return True

    def catalog_node(self, node):
        with self.lock:
            if node == DOUBLE_NODE:
                return {"Node": self._node_obj(DOUBLE_NODE, "127.0.0.1"),
                        "Services": {k: dict(v) for k, v in self.services.items()}}
            n = self.nodes.get(node)
            if n is None:
                return None
            return {"Node": self._node_obj(node, n["Address"]),
                    "Services": {k: dict(v) for k, v in n["Services"].items()}}

    @staticmethod
    def _node_obj(name, addr):
        return {"ID": "", "Node": name, "Address": addr, "Datacenter": "dc1",
                "TaggedAddresses": {"lan": addr, "wan": addr}, "Meta": {}}

    def catalog_service(self, name):
        out = []
        with self.lock:
            nodes = [(DOUBLE_NODE, "127.0.0.1", self.services)] + [
                (k, v["Address"], v["Services"]) for k, v in sorted(self.nodes.items())]
            for node, addr, services in nodes:
                for s in services.values():
                    if s["Service"] == name:
                        out.append({"Node": node, "Address": addr, "Datacenter": "dc1",
                                    "ServiceID": s["ID"], "ServiceName": s["Service"],
                                    "ServiceTags": s["Tags"], "ServiceAddress": s["Address"],
                                    "ServicePort": s["Port"], "ServiceMeta": s["Meta"],
                                    "ServiceEnableTagOverride": s["EnableTagOverride"]})
        return out


def make_handler(state):
    args = state.args

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "consul-double"

        def setup(self):
            super().setup()
            try:  # headers and body go out in two writes: no Nagle wait for the client's delayed ACK
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except (OSError, AttributeError):
                pass  # a unix socket

        def address_string(self):
            return self.client_address[0] if isinstance(self.client_address, tuple) else "unix"

        def log_message(self, fmt, *a):
            if not args.quiet:
                log("%s %s" % (self.address_string(), fmt % a))

        def reply(self, status, payload=None, text=None):
            if payload is NO_BODY:
                data, ctype = b"", "text/plain; charset=utf-8"
            elif isinstance(payload, RAW):
                data, ctype = payload.encode(), "application/json"
            elif text is not None:
                data, ctype = text.encode(), "text/plain; charset=utf-8"
            else:
                data, ctype = json.dumps(payload).encode(), "application/json"
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-Consul-Index", "1")
            self.end_headers()
            self.wfile.write(data)

        def body(self):
            raw = self.raw
            if not raw.strip():
                return None
            try:
                doc = json.loads(raw)
            except ValueError as e:
                raise ApiError(400, "Request decode failed: %s" % e)
            if isinstance(doc, dict):
                doc["_raw"] = raw.decode("utf-8", "replace")
            return doc

        def authorize(self, path):
            if args.acl_token is None or path.startswith(("/v1/status/", "/_double/")):
                return
            if self.headers.get("X-Consul-Token") != args.acl_token:
                raise ApiError(403, "Permission denied")

        def route(self, method):
            url = urllib.parse.urlsplit(self.path)
            path = url.path
            query = urllib.parse.parse_qs(url.query)
            routes = [
                ("GET", "/v1/status/leader", lambda _: "" if args.no_leader else "127.0.0.1:8300"),
                ("GET", "/v1/status/peers", lambda _: [] if args.no_leader else ["127.0.0.1:8300"]),
                ("PUT", "/v1/agent/service/register", lambda _: state.agent_register(self.body())),
                ("PUT", "/v1/agent/service/deregister/", state.agent_deregister),
                ("GET", "/v1/agent/services", lambda _: state.public_services()),
                ("GET", "/v1/agent/checks", lambda _: state.public_checks()),
                ("PUT", "/v1/agent/check/pass/",
                 lambda cid: state.update_check(cid, "passing", query.get("note", [""])[0])),
                ("PUT", "/v1/agent/check/warn/",
                 lambda cid: state.update_check(cid, "warning", query.get("note", [""])[0])),
                ("PUT", "/v1/agent/check/fail/",
                 lambda cid: state.update_check(cid, "critical", query.get("note", [""])[0])),
                ("PUT", "/v1/catalog/register", lambda _: state.catalog_register(self.body())),
                ("PUT", "/v1/catalog/deregister", lambda _: state.catalog_deregister(self.body())),
                ("GET", "/v1/catalog/node/", state.catalog_node),
                ("GET", "/v1/catalog/service/", state.catalog_service),
                ("GET", "/_double/stats", lambda _: state.stats(query.get("reset", ["0"])[0] == "1")),
                ("GET", "/_double/bodies", lambda _: state.raw_bodies()),
            ]
            for want, prefix, fn in routes:
                exact = not prefix.endswith("/")
                if (exact and path != prefix) or (not exact and (not path.startswith(prefix) or path == prefix)):
                    continue
                if method != want:
                    raise ApiError(405, "method %s not allowed" % method)
                self.authorize(path)
                with state.lock:
                    fail = method == "PUT" and state.fail_left > 0
                    state.fail_left -= 1 if fail else 0
                if fail:
                    if args.fail_status == 429:
                        raise ApiError(429, "Too Many Requests")
                    raise ApiError(args.fail_status, "rpc error: consul-double injected failure")
                return fn(urllib.parse.unquote(path[len(prefix):]) if not exact else None)
            raise ApiError(404, "consul-double: no such endpoint %s" % path)

        def handle_method(self, method):
            # read the whole body first, so that an early error leaves the
            # kept-alive connection clean for the next request
            n = int(self.headers.get("Content-Length") or 0)
            self.raw = self.rfile.read(n) if n > 0 else b""
            counted = not self.path.startswith("/_double/")
            if counted:
                state.enter()
            try:
                if args.delay_ms > 0 and counted:
                    time.sleep(args.delay_ms / 1000.0)
                result = self.route(method)
                if args.deep_answers and method == "GET" and (
                        self.path.startswith("/v1/agent/services") or self.path.startswith("/v1/catalog/node/")):
                    # a hostile agent: the list nested N levels deep (raw
                    # text: json.dumps would recurse as deep)
                    deep = "[" * args.deep_answers + "]" * args.deep_answers
                    self.reply(200, text=None, payload=RAW(deep))
                    return
                self.reply(200, result)
            except ApiError as e:
                log("%s %s -> %d %s" % (method, self.path, e.status, e.text))
                self.reply(e.status, text=e.text)
            finally:
                if counted:
                    state.leave()

        def do_GET(self):
            self.handle_method("GET")

        def do_PUT(self):
            self.handle_method("PUT")

        def do_POST(self):
            self.handle_method("POST")

        def do_DELETE(self):
            self.handle_method("DELETE")

    return Handler


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    request_queue_size = 128


def main():
    p = argparse.ArgumentParser(description="Consul protocol double (not Consul) for tests")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--port-file")
    p.add_argument("--unix")
    p.add_argument("--acl-token")
    p.add_argument("--fail-first", type=int, default=0)
    p.add_argument("--fail-status", type=int, default=500)
    p.add_argument("--min-deregister-after", type=float, default=60.0)
    p.add_argument("--no-leader", action="store_true")
    p.add_argument("--deep-answers", type=int, default=0)
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--delay-ms", type=float, default=0.0)
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args()
    if args.quiet:
        QUIET.append(True)
    if args.host not in ("127.0.0.1", "::1", "localhost"):
        p.error("the double listens on loopback only")
    state = State(args)
    handler = make_handler(state)
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.allow_reuse_address = True
    ThreadingHTTPServer.request_queue_size = 128  # listen backlog: clients connect several at once
    tcp = ThreadingHTTPServer((args.host, args.port), handler)
    port = tcp.server_address[1]
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        tcp.socket = ctx.wrap_socket(tcp.socket, server_side=True)
    servers = [tcp]
    if args.unix:
        if os.path.exists(args.unix):
            os.unlink(args.unix)
        servers.append(UnixServer(args.unix, handler))
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.rename(args.port_file + ".tmp", args.port_file)
    print(port, flush=True)
    log("listening on %s%s:%d%s (acl %s)" % (
        "https://" if args.tls_cert else "", args.host, port,
        " and unix:" + args.unix if args.unix else "", "on" if args.acl_token else "off"))

    def stop(*_):
        log("stopping")
        if args.unix and os.path.exists(args.unix):
            os.unlink(args.unix)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    while True:
        time.sleep(0.1)
        state.tick()


if __name__ == "__main__":
    main()
