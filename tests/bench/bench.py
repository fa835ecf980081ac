#!/usr/bin/env python3
"""bench.py - the registrator benchmark (issue 7). Run by `make bench` and
`make bench-smoke`; see tests/bench/README.md for the method.

    python3 tests/bench/bench.py [--bin build/registrator] [--metrics]

--metrics runs only the metrics scenario: the binary with -metrics off and on
side by side (latency, RssAnon, idle CPU; BENCH_METRICS_PORT, default 26381).

Environment (all optional):
  BENCH_QUICK=1            smoke run: few containers, short windows (~2 min)
  BENCH_OTHER="cmd args"   a second registrator command line, measured side by side
                           (it gets the same flags and registry URI appended)
  BENCH_LAT_CONTAINERS     containers per latency round (50; quick 10)
  BENCH_LAT_ROUNDS         latency rounds (3; quick 1)
  BENCH_SIZES              container counts for sync/memory/steady ("100,1000"; quick "20")
  BENCH_SYNC_REPS          start-up sync repetitions per size (5 for <=100, else 3; quick 2)
  BENCH_STEADY_SECONDS     steady-state window per size (60; quick 9), in 3 sub-windows
  BENCH_IDLE_SECONDS       idle CPU window (60; quick 6), in 3 sub-windows
  BENCH_FLAGS              daemon flags for latency/sync/memory/idle ("-ip 127.0.0.1 -ttl 30 -ttl-refresh 10")
  BENCH_STEADY_FLAGS       steady-state flags ("-ip 127.0.0.1 -ttl 10 -ttl-refresh 2 -resync 3")
  BENCH_ETCD_PORT          client port of the bench's own etcd (26379; peer port +1)
  BENCH_PARALLEL           concurrent Docker API calls when creating/removing (8)
  BENCH_TRACE=0            skip the traced latency round (breakdown through the proxy)
  BENCH_ISOLATION=0        skip the isolation rounds (latency alone vs with a second, SIGSTOPped etcd)
  BENCH_PHASES             which phases run ("latency,sizes,isolation")
  BENCH_OUT                directory for logs and results.json (build/bench)

Exit status: 0 when the harness ran (missed targets are reported, not failed),
1 when the harness itself broke (no etcd, no Docker, ...).
"""
import atexit
import base64
import http.client
import json
import os
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import dockerproxy  # noqa: E402

DOCKER_SOCK = "/var/run/docker.sock"
IMAGE = "local/busybox"
PID = os.getpid()
PREFIX_NAME = "rgb-%d-" % PID          # every container we create is named so
KEY_PREFIX = "/rgb"                    # registry path given to the daemons


def env_int(name, default):
    v = os.environ.get(name, "")
    return int(v) if v.strip() else default


QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
LAT_N = env_int("BENCH_LAT_CONTAINERS", 10 if QUICK else 50)
LAT_ROUNDS = env_int("BENCH_LAT_ROUNDS", 1 if QUICK else 3)
SIZES = [int(x) for x in os.environ.get("BENCH_SIZES", "20" if QUICK else "100,1000").split(",") if x.strip()]
SYNC_REPS = os.environ.get("BENCH_SYNC_REPS", "")
STEADY_S = env_int("BENCH_STEADY_SECONDS", 9 if QUICK else 60)
IDLE_S = env_int("BENCH_IDLE_SECONDS", 6 if QUICK else 60)
FLAGS = shlex.split(os.environ.get("BENCH_FLAGS", "-ip 127.0.0.1 -ttl 30 -ttl-refresh 10"))
STEADY_FLAGS = shlex.split(os.environ.get("BENCH_STEADY_FLAGS", "-ip 127.0.0.1 -ttl 10 -ttl-refresh 2 -resync 3"))
ETCD_PORT = env_int("BENCH_ETCD_PORT", 26379)
PARALLEL = env_int("BENCH_PARALLEL", 8)
TRACE = os.environ.get("BENCH_TRACE", "1") not in ("", "0")
ISOLATION = os.environ.get("BENCH_ISOLATION", "1") not in ("", "0")
PHASES = os.environ.get("BENCH_PHASES", "latency,sizes,isolation").split(",")
OUT = os.environ.get("BENCH_OUT", "build/bench")
OTHER = os.environ.get("BENCH_OTHER", "").strip()
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(msg):
    sys.stderr.write("bench: %s\n" % msg)
    sys.stderr.flush()


class HarnessError(Exception):
    pass


# ---------------------------------------------------------------- Docker API

class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=60):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


_tl = threading.local()


def docker(method, path, body=None, ok=(200, 201, 204)):
    for attempt in range(2):
        conn = getattr(_tl, "conn", None)
        if conn is None:
            conn = _tl.conn = UnixHTTPConnection(DOCKER_SOCK)
        try:
            data = json.dumps(body).encode() if body is not None else None
            conn.request(method, "/v1.41" + path, body=data,
                         headers={"Content-Type": "application/json"} if data else {})
            r = conn.getresponse()
            payload = r.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            _tl.conn = None
            if attempt:
                raise
            continue
        if r.status not in ok:
            raise HarnessError("docker %s %s: HTTP %d: %s" % (method, path, r.status, payload[:300]))
        return json.loads(payload) if payload.strip() else None


def run_container(name, cmd, labels, port_binding=None):
    """create + start, as `docker run -d` does. Returns the id."""
    body = {"Image": IMAGE, "Cmd": cmd, "Labels": labels, "ExposedPorts": {"80/tcp": {}}}
    if port_binding:
        body["HostConfig"] = {"PortBindings": {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(port_binding)}]}}
    else:
        body["HostConfig"] = {"NetworkMode": "host"}
    cid = docker("POST", "/containers/create?name=" + urllib.parse.quote(name), body)["Id"]
    try:
        docker("POST", "/containers/%s/start" % cid)
    except Exception:
        remove_containers([cid])
        raise
    return cid


def remove_containers(ids):
    def rm(cid):
        try:
            docker("DELETE", "/containers/%s?force=1&v=1" % cid, ok=(204, 404, 409))
        except Exception as e:  # keep going: the final sweep retries by name
            log("cannot remove %s: %s" % (cid[:12], e))
    with ThreadPoolExecutor(PARALLEL) as ex:
        list(ex.map(rm, ids))


def our_containers(prefix=PREFIX_NAME):
    flt = urllib.parse.quote(json.dumps({"name": [prefix]}))
    found = docker("GET", "/containers/json?all=1&filters=" + flt) or []
    return [c["Id"] for c in found if any(n.lstrip("/").startswith(prefix) for n in c.get("Names", []))]


def running_count():
    return len(docker("GET", "/containers/json") or [])


def sweep_stale():
    """Removes rgb-<pid>-* containers of bench runs whose process is gone."""
    stale = []
    for c in docker("GET", "/containers/json?all=1") or []:
        for n in c.get("Names", []):
            m = re.match(r"^/rgb-(\d+)-", n)
            if m and int(m.group(1)) != PID and not os.path.exists("/proc/%s" % m.group(1)):
                stale.append(c["Id"])
    if stale:
        log("removing %d containers left by dead bench runs" % len(stale))
        remove_containers(stale)


# ---------------------------------------------------------- chunked streams

def stream_lines(sock, on_line, on_headers=None):
    """Reads an HTTP/1.1 response from sock; calls on_line(bytes, t_ns) for
    every newline-terminated line of the (chunked or plain) body, with the
    time at which the recv() that completed the line returned."""
    raw = b""
    while b"\r\n\r\n" not in raw:
        d = sock.recv(65536)
        if not d:
            return
        raw += d
    head, raw = raw.split(b"\r\n\r\n", 1)
    status = int(head.split(b" ", 2)[1])
    if on_headers:
        on_headers(status, head)
    chunked = b"chunked" in head.lower()
    text = b""
    t = time.time_ns()
    while True:
        if chunked:
            while True:
                end = raw.find(b"\r\n")
                if end < 0:
                    break
                size = int(raw[:end].split(b";")[0], 16)
                if size == 0:
                    return
                if len(raw) < end + 2 + size + 2:
                    break
                text += raw[end + 2:end + 2 + size]
                raw = raw[end + 2 + size + 2:]
        else:
            text += raw
            raw = b""
        while b"\n" in text:
            line, text = text.split(b"\n", 1)
            if line.strip():
                on_line(line, t)
        d = sock.recv(65536)
        t = time.time_ns()
        if not d:
            return
        raw += d


def container_of_key(key):
    """'/rgb/name/host:rgb-1-x-3:80' -> 'rgb-1-x-3' (the ID is host:container:port[:udp])."""
    last = key.rsplit("/", 1)[-1]
    parts = last.split(":")
    return parts[1] if len(parts) >= 3 else last


class Watcher(threading.Thread):
    """An etcd v3 watch on KEY_PREFIX through the JSON gateway (POST
    /v3/watch, a chunked stream of JSON lines). Records, per container name,
    the arrival time of the first PUT since the last reset()."""

    def __init__(self, port, prefix):
        super().__init__(daemon=True)
        self.cond = threading.Condition()
        self.seen = {}            # container name -> t_ns of first put
        self.keys = {}            # key -> t_ns (any put)
        self.created = False
        self.error = None
        self.writes = {"bench": 0, "other": 0}  # every PUT/DELETE event, never reset
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(None)
        end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        body = json.dumps({"create_request": {"key": b64(prefix), "range_end": b64(end)}}).encode()
        self.sock.sendall(b"POST /v3/watch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                          b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def run(self):
        try:
            stream_lines(self.sock, self._line)
        except Exception as e:  # reported by wait_*()
            self.error = e
        with self.cond:
            self.error = self.error or HarnessError("etcd watch stream ended")
            self.cond.notify_all()

    def _line(self, line, t):
        msg = json.loads(line).get("result", {})
        with self.cond:
            if msg.get("created"):
                self.created = True
            for ev in msg.get("events", []):
                key = base64.b64decode(ev["kv"]["key"]).decode()
                self.writes["bench" if container_of_key(key).startswith(PREFIX_NAME) else "other"] += 1
                if ev.get("type", "PUT") != "PUT":
                    continue
                self.keys.setdefault(key, t)
                self.seen.setdefault(container_of_key(key), t)
            self.cond.notify_all()

    def reset(self):
        with self.cond:
            self.seen.clear()
            self.keys.clear()

    def wait(self, pred, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not pred():
                if self.error:
                    raise HarnessError("watcher: %s" % self.error)
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
            return True


class DockerEvents(threading.Thread):
    """Docker's own container events: start events by container name ->
    timeNano, and a count of all container events (to tell whether an
    "idle" window was idle on a shared host)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.cond = threading.Condition()
        self.start_ns = {}
        self.count = 0
        self.ready = threading.Event()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(DOCKER_SOCK)
        flt = urllib.parse.quote(json.dumps({"type": ["container"]}))
        self.sock.sendall(b"GET /v1.41/events?filters=%s HTTP/1.1\r\nHost: localhost\r\n\r\n" % flt.encode())

    def run(self):
        try:
            stream_lines(self.sock, self._line, lambda s, h: self.ready.set())
        except Exception:
            pass

    def _line(self, line, t):
        ev = json.loads(line)
        name = ev.get("Actor", {}).get("Attributes", {}).get("name")
        self.count += 1
        if ev.get("Action") == "start" and name:
            with self.cond:
                self.start_ns[name] = int(ev["timeNano"])
                self.cond.notify_all()

    def get(self, name, timeout=5):
        deadline = time.monotonic() + timeout
        with self.cond:
            while name not in self.start_ns:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)
            return self.start_ns[name]


# ------------------------------------------------------------------ etcd

def b64(s):
    return base64.b64encode(s.encode() if isinstance(s, str) else s).decode()


class Etcd:
    def __init__(self, port):
        self.port = port
        self.dir = "/dev/shm/rgb-etcd-%d" % PID if port == ETCD_PORT else "/dev/shm/rgb-etcd-%d-%d" % (PID, port)
        self.proc = None
        self.conn = None

    def start(self):
        for p in (self.port, self.port + 1):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as etcd does: TIME_WAIT is no conflict
            try:
                s.bind(("127.0.0.1", p))
            except OSError:
                raise HarnessError("port 127.0.0.1:%d is in use (another bench? set BENCH_ETCD_PORT)" % p)
            finally:
                s.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        cu, pu = "http://127.0.0.1:%d" % self.port, "http://127.0.0.1:%d" % (self.port + 1)
        self.logf = open(os.path.join(OUT, "etcd.log" if self.port == ETCD_PORT else "etcd-%d.log" % self.port), "w")
        self.proc = subprocess.Popen(
            ["etcd", "--name", "rgb", "--data-dir", self.dir, "--listen-client-urls", cu,
             "--advertise-client-urls", cu, "--listen-peer-urls", pu, "--initial-advertise-peer-urls", pu,
             "--initial-cluster", "rgb=" + pu, "--enable-v2"],
            stdout=self.logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if b'"true"' in self.get("/health"):
                    return
            except OSError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise HarnessError("etcd on 127.0.0.1:%d did not become healthy (see %s/etcd.log)" % (self.port, OUT))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _conn(self):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        return self.conn

    def request(self, method, path, body=None):
        for attempt in range(2):
            c = self._conn()
            try:
                c.request(method, path, body=json.dumps(body) if body is not None else None)
                r = c.getresponse()
                data = r.read()
                return r.status, data
            except (OSError, http.client.HTTPException):
                c.close()
                self.conn = None
                if attempt:
                    raise

    def get(self, path):
        return self.request("GET", path)[1]

    def post(self, path, body):
        st, data = self.request("POST", path, body)
        if st != 200:
            raise HarnessError("etcd %s: HTTP %d %s" % (path, st, data[:200]))
        return json.loads(data)

    def delete_prefix(self, prefix):
        end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        self.post("/v3/kv/deleterange", {"key": b64(prefix), "range_end": b64(end)})

    def count_prefix(self, prefix):
        end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        r = self.post("/v3/kv/range", {"key": b64(prefix), "range_end": b64(end), "count_only": True})
        return int(r.get("count", 0))

    def metrics(self):
        """Counters that tell writes and requests apart."""
        out = {}
        for line in self.get("/metrics").decode().splitlines():
            if line.startswith("#"):
                continue
            m = re.match(r'^(etcd_mvcc_(?:put|delete|txn|range)_total) ([0-9.e+]+)$', line)
            if m:
                out[m.group(1)] = float(m.group(2))
                continue
            m = re.match(r'^grpc_server_started_total\{.*grpc_method="([A-Za-z]+)".*\} ([0-9.e+]+)$', line)
            if m:
                out["grpc_" + m.group(1)] = out.get("grpc_" + m.group(1), 0) + float(m.group(2))
        return out


# ------------------------------------------------------------------ daemons

class Impl:
    def __init__(self, label, argv):
        self.label = label
        self.argv = argv


class Daemon:
    def __init__(self, impl, flags, tag, docker_host=None, extra_uris=()):
        self.impl = impl
        env = dict(os.environ)
        env.pop("RG_DEBUG", None)
        if docker_host:
            env["DOCKER_HOST"] = docker_host
        else:
            env.pop("DOCKER_HOST", None)
        self.logpath = os.path.join(OUT, "%s-%s.log" % (impl.label, tag))
        self.logf = open(self.logpath, "w")
        argv = impl.argv + flags + list(extra_uris) + ["etcd://127.0.0.1:%d%s" % (ETCD_PORT, KEY_PREFIX)]
        self.t0 = time.time_ns()
        self.proc = subprocess.Popen(argv, stdout=self.logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env)
        self.pid = self.proc.pid
        LIVE.add(self)

    def alive(self):
        return self.proc.poll() is None

    def rss_anon_kib(self):
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
        return None

    def cpu_ticks(self):
        with open("/proc/%d/stat" % self.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)

    def cpu_ns(self):
        total = 0
        for t in os.listdir("/proc/%d/task" % self.pid):
            try:
                with open("/proc/%d/task/%s/schedstat" % (self.pid, t)) as f:
                    total += int(f.read().split()[0])
            except OSError:
                pass
        return total

    def stop(self):
        LIVE.discard(self)
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.logf.close()


LIVE = set()


# ------------------------------------------------------------------ results

class Results:
    def __init__(self, impls):
        self.impls = impls
        self.samples = {i.label: {} for i in impls}
        self.notes = []

    def add(self, impl, fig, value):
        self.samples[impl.label].setdefault(fig, []).append(value)

    def get(self, impl, fig):
        return self.samples[impl.label].get(fig, [])


def percentile(xs, p):
    xs = sorted(xs)
    if not xs:
        return None
    k = (len(xs) - 1) * p / 100.0
    f = int(k)
    c = min(f + 1, len(xs) - 1)
    return xs[f] + (xs[c] - xs[f]) * (k - f)


def cpu_busy():
    """(busy, total) jiffies of the whole host, from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    return sum(v) - idle, sum(v)


def free_port(used):
    p = 31000
    while True:
        p += 1
        if p in used:
            continue
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", p))
            s.close()
            used.add(p)
            return p
        except OSError:
            s.close()


# ------------------------------------------------------------------ phases

class Bench:
    def __init__(self, impls):
        self.impls = impls
        self.res = Results(impls)
        self.etcd = Etcd(ETCD_PORT)
        self.proxy = None
        self.proxy_sock = os.path.join(OUT, "docker-proxy.sock")
        self.trace_path = os.path.join(OUT, "proxy-trace.log")
        self.sync_ids = []
        self.bench_ids12 = set()
        self.used_ports = set()
        self.watch = None
        self.events = None
        self.trace_rows = {}

    # -- setup / teardown
    def setup(self):
        try:
            docker("GET", "/_ping".replace("/_ping", "/version"))
        except Exception as e:
            raise HarnessError("no Docker on %s (%s): run tests/servers.sh start" % (DOCKER_SOCK, e))
        try:
            docker("GET", "/images/%s/json" % IMAGE)
        except Exception:
            raise HarnessError("image %s missing: run tests/servers.sh start" % IMAGE)
        sweep_stale()
        self.etcd.start()
        self.watch = Watcher(ETCD_PORT, KEY_PREFIX + "/")
        self.watch.start()
        if not self.watch.wait(lambda: self.watch.created, 10):
            raise HarnessError("etcd watch was not created")
        self.events = DockerEvents()
        self.events.start()
        if not self.events.ready.wait(10):
            raise HarnessError("Docker event stream did not answer")
        # plain proxy (counting) for the steady state; a tracing one for the breakdown
        self.proxy = subprocess.Popen([sys.executable, os.path.join(HERE, "dockerproxy.py"), self.proxy_sock,
                                       DOCKER_SOCK], stdin=subprocess.DEVNULL,
                                      stderr=open(os.path.join(OUT, "proxy.log"), "w"))
        self.tproxy_sock = self.proxy_sock + "-trace"
        if os.path.exists(self.trace_path):
            os.unlink(self.trace_path)
        self.tproxy = subprocess.Popen([sys.executable, os.path.join(HERE, "dockerproxy.py"), self.tproxy_sock,
                                        DOCKER_SOCK, "--trace", self.trace_path], stdin=subprocess.DEVNULL,
                                       stderr=open(os.path.join(OUT, "proxy-trace.err"), "w"))
        for s in (self.proxy_sock, self.tproxy_sock):
            deadline = time.monotonic() + 10
            while not os.path.exists(s + ".stats"):
                if time.monotonic() > deadline:
                    raise HarnessError("the counting proxy did not start")
                time.sleep(0.05)

    def teardown(self):
        for d in list(LIVE):
            try:
                d.stop()
            except Exception:
                pass
        try:
            ids = set(our_containers())
            ids.update(self.sync_ids)
            if ids:
                log("removing %d bench containers" % len(ids))
                remove_containers(sorted(ids))
        except Exception as e:
            log("cleanup of containers failed: %s" % e)
        for p in (self.proxy, getattr(self, "tproxy", None)):
            if p and p.poll() is None:
                p.terminate()
                p.wait()
        for s in (self.proxy_sock, getattr(self, "tproxy_sock", "")):
            for f in (s, s + ".stats"):
                if f and os.path.exists(f):
                    os.unlink(f)
        self.etcd.stop()

    def clear_registry(self):
        self.etcd.delete_prefix(KEY_PREFIX + "/")
        time.sleep(0.2)  # let the delete events pass the watcher
        self.watch.reset()

    # -- calibration: the watcher's own overhead
    def calibrate(self):
        c = http.client.HTTPConnection("127.0.0.1", ETCD_PORT, timeout=10)
        offsets, rtts = [], []
        for i in range(30):
            name = "calib-%d" % i
            body = json.dumps({"key": b64("%s/_calib/h:%s:0" % (KEY_PREFIX, name)), "value": b64("x")})
            t_send = time.time_ns()
            c.request("POST", "/v3/kv/put", body=body)
            r = c.getresponse()
            r.read()
            t_resp = time.time_ns()
            if not self.watch.wait(lambda: name in self.watch.seen, 5):
                raise HarnessError("the watcher did not see a calibration put")
            offsets.append((self.watch.seen[name] - t_resp) / 1e6)
            rtts.append((t_resp - t_send) / 1e6)
            time.sleep(0.01)
        c.close()
        self.calib = (statistics.median(offsets), statistics.median(rtts), max(offsets))
        self.etcd.delete_prefix(KEY_PREFIX + "/_calib/")

    # -- 1. latency (+ memory with 0 services)
    def latency_round(self, impl, rnd, n, docker_host=None, tag="lat", extra_uris=(), after_start=None):
        self.clear_registry()
        d = Daemon(impl, FLAGS, "%s%d" % (tag, rnd), docker_host, extra_uris)
        time.sleep(1.5)
        if not d.alive():
            log("%s exited at start (see %s)" % (impl.label, d.logpath))
            return None
        if after_start:
            after_start()
        if docker_host is None:
            self.res.add(impl, "rss_0", d.rss_anon_kib() / 1024.0)
        lats, ids, names, missed = [], [], [], 0
        for i in range(n):
            name = "%s%s%d%s-%d" % (PREFIX_NAME, tag, rnd, impl.label, i)
            names.append(name)
            for attempt in range(5):
                try:
                    ids.append(run_container(name, ["httpd", "-f", "-p", "80"], {"SERVICE_NAME": "rgblat"},
                                             free_port(self.used_ports)))
                    break
                except HarnessError as e:
                    if "allocated" not in str(e) and "in use" not in str(e) or attempt == 4:
                        raise
            ok = self.watch.wait(lambda: name in self.watch.seen, 10)
            t_ev = self.events.get(name)
            if ok and t_ev:
                lats.append((self.watch.seen[name] - t_ev) / 1e6)
                if docker_host:
                    self.trace_rows[name] = (t_ev, self.watch.seen[name])
            else:
                missed += 1
            time.sleep(0.05)
        d.stop()
        self.last_ids = dict(zip(ids, names))
        remove_containers(ids)
        if missed:
            self.res.notes.append("%s: %d of %d containers never registered in latency round %d"
                                  % (impl.label, missed, n, rnd))
        return lats

    def phase_latency(self):
        for rnd in range(LAT_ROUNDS):
            for impl in self.impls:
                log("latency round %d/%d: %s, %d containers" % (rnd + 1, LAT_ROUNDS, impl.label, LAT_N))
                lats = self.latency_round(impl, rnd, LAT_N)
                if lats:
                    self.res.add(impl, "lat_p50", percentile(lats, 50))
                    self.res.add(impl, "lat_p99", percentile(lats, 99))
                    self.res.add(impl, "lat_max", max(lats))
                    self.res.samples[impl.label].setdefault("lat_all", []).extend(lats)
        if TRACE:
            self.phase_trace()

    # -- isolation: event-to-key latency on the bench etcd alone, and with a
    #    second registry (another etcd) fed by the same daemon and SIGSTOPped
    #    after the start, alternating, our binary only
    def phase_isolation(self):
        ours = self.impls[0]
        other = Etcd(ETCD_PORT + 10)
        other.start()
        uri = "etcd://127.0.0.1:%d%s" % (other.port, KEY_PREFIX)
        try:
            for rnd in range(LAT_ROUNDS):
                for mode in ("alone", "hung"):
                    log("isolation round %d/%d: %s, %d containers" % (rnd + 1, LAT_ROUNDS, mode, LAT_N))
                    if mode == "alone":
                        lats = self.latency_round(ours, rnd, LAT_N, tag="isoa")
                    else:
                        lats = self.latency_round(ours, rnd, LAT_N, tag="isoh", extra_uris=[uri],
                                                  after_start=lambda: os.kill(other.proc.pid, signal.SIGSTOP))
                        os.kill(other.proc.pid, signal.SIGCONT)
                    if lats:
                        self.res.add(ours, "iso_%s_p50" % mode, percentile(lats, 50))
                        self.res.add(ours, "iso_%s_p99" % mode, percentile(lats, 99))
                        self.res.samples[ours.label].setdefault("iso_%s_all" % mode, []).extend(lats)
            for q in ("p50", "p99"):
                a, h = self.res.get(ours, "iso_alone_" + q), self.res.get(ours, "iso_hung_" + q)
                if a and h:
                    self.res.add(ours, "iso_ratio_" + q, statistics.median(h) / statistics.median(a))
        finally:
            os.kill(other.proc.pid, signal.SIGCONT)
            other.stop()

    # -- latency breakdown through the tracing proxy (our binary first)
    def phase_trace(self):
        n = min(LAT_N, 20)
        self.breakdown = {}
        for impl in self.impls:
            log("traced latency round: %s, %d containers through the proxy" % (impl.label, n))
            self.trace_rows = {}
            open(self.trace_path, "w").close()
            lats = self.latency_round(impl, 0, n, "unix://" + self.tproxy_sock, tag="tr")
            if lats:
                self.res.add(impl, "lat_proxy_p50", percentile(lats, 50))
            self.breakdown[impl.label] = self.analyse_trace()

    def analyse_trace(self):
        """Per container: event stamped -> event forwarded to the daemon by the
        proxy -> daemon's first request naming the container -> its response
        -> (any further requests) -> key seen by the watcher."""
        names = {}
        for name, (t_ev, t_key) in self.trace_rows.items():
            names[name] = [t_ev, t_key]
        ids = getattr(self, "last_ids", {})  # container id -> name
        lines = []
        with open(self.trace_path) as f:
            for ln in f:
                p = ln.split()
                if len(p) >= 3:
                    lines.append(p)
        seg = {"event delivery (stamp->forwarded)": [],
               "daemon + put + watch (event forwarded->key seen)": [],
               "first Docker request after the event": [],
               "Docker requests (first request->last response)": [],
               "last Docker response->key seen": [],
               "Docker requests per start (before the key)": []}
        ev_fwd = {}
        for p in lines:
            if p[1] == "ev" and p[4] == "start":
                ev_fwd.setdefault(p[3], int(p[0]))
        for cid, name in ids.items():
            if name not in names or cid not in ev_fwd:
                continue
            t_ev, t_key = names[name]
            t_fwd = ev_fwd[cid]
            reqs = [(int(p[0]), p[2]) for p in lines if p[1] == "req" and int(p[0]) >= t_fwd and int(p[0]) <= t_key]
            if not reqs:  # registered without a Docker request after the event (e.g. predicted at create)
                seg["event delivery (stamp->forwarded)"].append((t_fwd - t_ev) / 1e6)
                seg["daemon + put + watch (event forwarded->key seen)"].append((t_key - t_fwd) / 1e6)
                seg["Docker requests per start (before the key)"].append(0)
                continue
            first_req = reqs[0][0]
            conns = {c for _, c in reqs}
            last_rsp = max([int(p[0]) for p in lines if p[1] == "rsp" and p[2] in conns
                            and first_req <= int(p[0]) <= t_key] or [first_req])
            seg["event delivery (stamp->forwarded)"].append((t_fwd - t_ev) / 1e6)
            seg["daemon + put + watch (event forwarded->key seen)"].append((t_key - t_fwd) / 1e6)
            seg["first Docker request after the event"].append((first_req - t_fwd) / 1e6)
            seg["Docker requests (first request->last response)"].append((last_rsp - first_req) / 1e6)
            seg["last Docker response->key seen"].append((t_key - last_rsp) / 1e6)
            seg["Docker requests per start (before the key)"].append(len(reqs))
        return {k: statistics.median(v) for k, v in seg.items() if v}

    # -- 2/3/5. sync, memory, idle CPU
    def ensure_sync_containers(self, n):
        have = len(self.sync_ids)
        if have >= n:
            return
        log("starting %d more sleep containers (host network, one exposed port each): %d in all" % (n - have, n))
        t = time.monotonic()

        def mk(i):
            return run_container("%ss-%d" % (PREFIX_NAME, i), ["sleep", "3600"], {"SERVICE_NAME": "rgbsync"})
        with ThreadPoolExecutor(PARALLEL) as ex:
            for cid in ex.map(mk, range(have, n)):
                self.sync_ids.append(cid)
                self.bench_ids12.add(cid[:12])
        log("  took %.1f s" % (time.monotonic() - t))

    def sync_names(self, n):
        return ["%ss-%d" % (PREFIX_NAME, i) for i in range(n)]

    def sync_run(self, impl, n, flags, tag, docker_host=None, keep=False):
        """Launches the daemon on an empty registry; returns (daemon, ms to all n visible or None)."""
        self.clear_registry()
        names = self.sync_names(n)
        d = Daemon(impl, flags, tag, docker_host)
        seen = self.watch.seen
        ok = self.watch.wait(lambda: all(nm in seen for nm in names), 30 + n * 0.2)
        ms = (max(seen[nm] for nm in names) - d.t0) / 1e6 if ok else None
        if not ok:
            got = sum(1 for nm in names if nm in seen)
            self.res.notes.append("%s: only %d of %d services visible after the sync timeout (%s)"
                                  % (impl.label, got, n, tag))
        if not keep:
            d.stop()
        return d, ms

    def phase_sizes(self):
        for n in SIZES:
            self.ensure_sync_containers(n)
            running = running_count()
            self.res.notes.append("N=%d: %d containers were running on the host (other users' included)"
                                  % (n, running))
            reps = int(SYNC_REPS) if SYNC_REPS else (2 if QUICK else (5 if n <= 100 else 3))
            for rep in range(reps):
                for impl in self.impls:
                    log("sync %d/%d: %s with %d containers" % (rep + 1, reps, impl.label, n))
                    d, ms = self.sync_run(impl, n, FLAGS, "sync%d-%d" % (n, rep), keep=True)
                    if ms is not None:
                        self.res.add(impl, "sync_%d" % n, ms)
                    time.sleep(1.0)
                    if d.alive():
                        self.res.add(impl, "rss_%d" % n, d.rss_anon_kib() / 1024.0)
                    if rep == reps - 1 and n == SIZES[0] and d.alive():
                        self.idle(impl, d, n)
                    d.stop()
            for impl in self.impls:
                self.steady(impl, n)

    def idle(self, impl, d, n):
        log("idle CPU: %s with %d services, %d s" % (impl.label, n, IDLE_S))
        time.sleep(1.0)
        sub = IDLE_S / 3.0
        t_start, tick_start, ev_start = time.monotonic(), d.cpu_ticks(), self.events.count
        for _ in range(3):
            t0, c0 = time.monotonic(), d.cpu_ns()
            time.sleep(sub)
            t1, c1 = time.monotonic(), d.cpu_ns()
            self.res.add(impl, "idle_cpu", 100.0 * (c1 - c0) / 1e9 / (t1 - t0))
        ticks = d.cpu_ticks() - tick_start
        self.res.add(impl, "idle_ticks", 100.0 * ticks / CLK_TCK / (time.monotonic() - t_start))
        self.idle_n = n
        self.res.notes.append("idle window of %s: %d Docker container events happened meanwhile (other users)"
                              % (impl.label, self.events.count - ev_start))

    # -- 4. steady state
    def steady(self, impl, n):
        log("steady state: %s with %d containers, %d s through the counting proxy" % (impl.label, n, STEADY_S))
        s0 = dockerproxy.read_stats(self.proxy_sock)
        d, ms = self.sync_run(impl, n, STEADY_FLAGS, "steady%d" % n, "unix://" + self.proxy_sock, keep=True)
        s1 = dockerproxy.read_stats(self.proxy_sock)
        self.res.add(impl, "startup_reqs_%d" % n, s1["total"] - s0["total"])
        time.sleep(4.0)  # past the first periodic resync
        sub = STEADY_S / 3.0
        for _ in range(3):
            if not d.alive():
                self.res.notes.append("%s exited during the steady state (see %s)" % (impl.label, d.logpath))
                break
            w0 = dict(self.watch.writes)
            m0, p0, t0 = self.etcd.metrics(), dockerproxy.read_stats(self.proxy_sock), time.monotonic()
            time.sleep(sub)
            m1, p1, t1 = self.etcd.metrics(), dockerproxy.read_stats(self.proxy_sock), time.monotonic()
            w1 = dict(self.watch.writes)
            per_min = 60.0 / (t1 - t0)

            def dm(k):
                return m1.get(k, 0) - m0.get(k, 0)

            def dp(k):
                return p1["by_kind"].get(k, 0) - p0["by_kind"].get(k, 0)
            writes = dm("etcd_mvcc_put_total") + dm("etcd_mvcc_delete_total") + dm("grpc_Txn")
            self.res.add(impl, "steady_allwrites_%d" % n, writes * per_min)
            # writes to the keys of the bench's own (unchanged) containers, from the watch
            self.res.add(impl, "steady_writes_%d" % n, (w1["bench"] - w0["bench"]) * per_min)
            self.res.add(impl, "steady_puts_%d" % n, dm("etcd_mvcc_put_total") * per_min)
            self.res.add(impl, "steady_keepalive_%d" % n, dm("grpc_LeaseKeepAlive") * per_min)
            reqs = p1["total"] - p0["total"]
            self.res.add(impl, "steady_docker_%d" % n, reqs * per_min)
            # inspects of other users' containers (new ones, churn) are not the daemon's steady cost
            foreign = sum(v - p0["inspects"].get(k, 0) for k, v in p1["inspects"].items()
                          if k[:12] not in self.bench_ids12)
            self.res.add(impl, "steady_foreign_inspects_%d" % n, foreign * per_min)
            lists = dp("GET /containers/json")
            if lists:
                self.res.add(impl, "per_resync_%d" % n, (reqs - foreign) / lists)
            kinds = {k: p1["by_kind"].get(k, 0) - p0["by_kind"].get(k, 0) for k in p1["by_kind"]}
            self.res.samples[impl.label].setdefault("kinds_%d" % n, []).append(
                {k: v * per_min for k, v in kinds.items() if v})
        d.stop()


# ------------------------------------------------------------------ report

ROWS = [
    # key, label, unit, target (op, value) or None, fmt
    ("lat_p50", "1. latency p50", "ms", ("<=", 2.0), "%.2f"),
    ("lat_p99", "1. latency p99", "ms", ("<=", 4.0), "%.2f"),
    ("lat_max", "1. latency max", "ms", None, "%.2f"),
    ("sync_{0}", "2. start-up sync, {0} containers", "ms", None, "%.0f"),
    ("sync_{1}", "2. start-up sync, {1} containers", "ms", None, "%.0f"),
    ("rss_0", "3. RssAnon, 0 services", "MiB", None, "%.2f"),
    ("rss_{0}", "3. RssAnon, {0} services", "MiB", None, "%.2f"),
    ("rss_{1}", "3. RssAnon, {1} services", "MiB", None, "%.2f"),
    ("steady_writes_{0}", "4. registry writes/min, {0}", "/min", ("<=", 0), "%.0f"),
    ("steady_writes_{1}", "4. registry writes/min, {1}", "/min", ("<=", 0), "%.0f"),
    ("steady_allwrites_{0}", "   all etcd writes/min, {0}", "/min", None, "%.0f"),
    ("steady_allwrites_{1}", "   all etcd writes/min, {1}", "/min", None, "%.0f"),
    ("steady_keepalive_{0}", "4. lease keep-alives/min, {0}", "/min", None, "%.0f"),
    ("steady_keepalive_{1}", "4. lease keep-alives/min, {1}", "/min", None, "%.0f"),
    ("steady_docker_{0}", "4. Docker requests/min, {0}", "/min", None, "%.0f"),
    ("steady_docker_{1}", "4. Docker requests/min, {1}", "/min", None, "%.0f"),
    ("steady_foreign_inspects_{0}", "   of which other users' inspects, {0}", "/min", None, "%.0f"),
    ("steady_foreign_inspects_{1}", "   of which other users' inspects, {1}", "/min", None, "%.0f"),
    ("per_resync_{0}", "4. Docker requests/resync, {0}", "", ("<=", 2), "%.1f"),
    ("per_resync_{1}", "4. Docker requests/resync, {1}", "", ("<=", 2), "%.1f"),
    ("startup_reqs_{0}", "   Docker requests at start, {0}", "", None, "%.0f"),
    ("startup_reqs_{1}", "   Docker requests at start, {1}", "", None, "%.0f"),
    ("idle_cpu", "5. idle CPU ({idle} services)", "%", ("<", 0.1), "%.3f"),
    ("idle_ticks", "5. idle CPU, utime+stime", "%", ("<", 0.1), "%.3f"),
    ("lat_proxy_p50", "   latency p50 via tracing proxy", "ms", None, "%.2f"),
    ("iso_alone_p50", "6. latency p50, one registry", "ms", None, "%.2f"),
    ("iso_hung_p50", "6. latency p50, 2nd registry SIGSTOPped", "ms", None, "%.2f"),
    ("iso_ratio_p50", "6. p50 ratio hung/alone", "x", ("<=", 1.2), "%.2f"),
    ("iso_alone_p99", "6. latency p99, one registry", "ms", None, "%.2f"),
    ("iso_hung_p99", "6. latency p99, 2nd registry SIGSTOPped", "ms", None, "%.2f"),
    ("iso_ratio_p99", "6. p99 ratio hung/alone", "x", ("<=", 1.2), "%.2f"),
]

SIZE_TARGETS = {("sync", 100): 40, ("sync", 1000): 300, ("rss", 100): 2.0, ("rss", 1000): 4.0}


def target_for(key, default):
    m = re.match(r"^(sync|rss)_(\d+)$", key)
    if m and (m.group(1), int(m.group(2))) in SIZE_TARGETS:
        return ("<=", SIZE_TARGETS[(m.group(1), int(m.group(2)))])
    return default


def mark(target, v):
    if target is None or v is None:
        return ""
    op, t = target
    return "pass" if (v <= t if op == "<=" else v < t) else "MISS"


def agg(xs, fmt):
    if not xs:
        return None, "n/a"
    med = statistics.median(xs)
    if len(xs) == 1:
        return med, fmt % med
    return med, "%s [%s-%s]" % (fmt % med, fmt % min(xs), fmt % max(xs))


def report(b, started):
    res = b.res
    sizes = SIZES + [None] * (2 - len(SIZES))
    lines = []
    w = [38, 10]
    hdr = "%-38s %-10s" % ("figure (median [min-max])", "target")
    for impl in b.impls:
        hdr += " | %-26s %-4s" % (impl.label, "")
    if len(b.impls) > 1:
        hdr += " | %s" % ("%s/%s" % (b.impls[1].label, b.impls[0].label))
    lines.append(hdr)
    lines.append("-" * len(hdr))
    for key, label, unit, target, fmt in ROWS:
        if ("{1}" in key and sizes[1] is None) or ("{0}" in key and sizes[0] is None):
            continue
        k = key.format(*sizes)
        lab = label.format(*sizes, idle=getattr(b, "idle_n", "?"))
        if not any(res.get(i, k) for i in b.impls):
            continue
        tgt = target_for(k, target)
        ttxt = ("%s %g %s" % (tgt[0], tgt[1], unit)).strip() if tgt else ""
        if unit and not tgt:
            lab += " (%s)" % unit
        row = "%-38s %-10s" % (lab[:38], ttxt)
        meds = []
        for impl in b.impls:
            med, txt = agg(res.get(impl, k), fmt)
            meds.append(med)
            row += " | %-26s %-4s" % (txt, mark(tgt, med))
        if len(b.impls) > 1:
            a, o = meds[0], meds[1]
            row += " | %s" % ("%.2fx" % (o / a) if a and o is not None else ("n/a" if a is None or o is None else "inf" if o else "1.00x" if o == a else "0"))
        lines.append(row)
    out = ["", "registrator benchmark, %s, %s (%d CPUs), %s mode, %.0f s" % (
        time.strftime("%Y-%m-%d %H:%M:%S"), os.uname().nodename, os.cpu_count(),
        "QUICK" if QUICK else "full", time.monotonic() - started)]
    for impl in b.impls:
        out.append("  %s = %s" % (impl.label, getattr(impl, "shown", " ".join(impl.argv))))
    out.append("  flags: %s | steady: %s | etcd data on tmpfs (%s)" % (" ".join(FLAGS), " ".join(STEADY_FLAGS), b.etcd.dir))
    out.append("")
    out.extend(lines)
    out.append("")
    for impl in b.impls:
        alls = res.get(impl, "lat_all")
        if alls:
            out.append("latency pooled, %s: %d samples, p50 %.2f ms, p99 %.2f ms, max %.2f ms"
                       % (impl.label, len(alls), percentile(alls, 50), percentile(alls, 99), max(alls)))
    if hasattr(b, "calib"):
        out.append("watcher overhead (JSON gateway /v3/watch): key seen %.3f ms (median; max %.3f) after the put's "
                   "answer; put round trip %.3f ms" % (b.calib[0], b.calib[2], b.calib[1]))
    for label, bd in getattr(b, "breakdown", {}).items():
        if bd:
            out.append("latency breakdown via tracing proxy, %s (medians, ms; the proxy adds its own hops):" % label)
            for k, v in bd.items():
                out.append("    %-50s %.2f" % (k, v))
    for impl in b.impls:
        for n in SIZES:
            ks = res.get(impl, "kinds_%d" % n)
            if ks:
                merged = {}
                for kk in ks:
                    for k, v in kk.items():
                        merged.setdefault(k, []).append(v)
                out.append("Docker requests/min by kind, %s, %d containers: %s" % (
                    impl.label, n, ", ".join("%s %.0f" % (k, statistics.median(v)) for k, v in sorted(merged.items()))))
    for n in res.notes:
        out.append("note: " + n)
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ metrics on vs off (issue 15)

METRICS_PORT = env_int("BENCH_METRICS_PORT", 26381)
METRICS_SCRAPE_S = 5.0  # a scraper asks /metrics this often while "on" idles (Prometheus: 15-60 s)


def scrape(stop, port, counter):
    while not stop.is_set():
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/metrics")
            c.getresponse().read()
            c.close()
            counter[0] += 1
        except OSError:
            pass
        stop.wait(METRICS_SCRAPE_S)


def thread_cpu_ns(pid):
    """CPU of a process's threads other than the main one (libmicrohttpd's)."""
    total = 0
    for t in os.listdir("/proc/%d/task" % pid):
        if int(t) == pid:
            continue
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, t)) as f:
                total += int(f.read().split()[0])
        except OSError:
            pass
    return total


def metrics_idle(b, impls):
    """Both daemons at once (own -hostname, so own keys), measured in the same
    windows: the same Docker events of other users reach both."""
    b.clear_registry()
    ds = [Daemon(impl, FLAGS + ["-hostname", "rgb-%s" % impl.label], "midle") for impl in impls]
    time.sleep(2.0)
    for d in ds:
        if not d.alive():
            raise HarnessError("%s exited at start (see %s)" % (d.impl.label, d.logpath))
    stop, scrapes = threading.Event(), [0]
    t = threading.Thread(target=scrape, args=(stop, METRICS_PORT, scrapes), daemon=True)
    t.start()
    log("idle CPU: off and on side by side, %d s, /metrics scraped every %.0f s" % (IDLE_S, METRICS_SCRAPE_S))
    ev0, sub, on = b.events.count, IDLE_S / 3.0, ds[1]
    for _ in range(3):
        t0, c0, h0 = time.monotonic(), [d.cpu_ns() for d in ds], thread_cpu_ns(on.pid)
        time.sleep(sub)
        t1, c1, h1 = time.monotonic(), [d.cpu_ns() for d in ds], thread_cpu_ns(on.pid)
        for d, a0, a1 in zip(ds, c0, c1):
            b.res.add(d.impl, "idle_cpu", 100.0 * (a1 - a0) / 1e9 / (t1 - t0))
        b.res.add(on.impl, "metrics_thread_cpu", 100.0 * (h1 - h0) / 1e9 / (t1 - t0))
    stop.set()
    t.join()
    b.idle_n = running_count()
    for d in ds:
        b.res.add(d.impl, "rss_idle", d.rss_anon_kib() / 1024.0)
        d.stop()
    mt = b.res.samples["on"].get("metrics_thread_cpu", [])
    b.res.notes.append("idle window: %d Docker container events of other users reached both daemons; %d scrapes "
                       "of /metrics; the HTTP thread of 'on' used %.4f %% CPU (median of 3 windows)"
                       % (b.events.count - ev0, scrapes[0], statistics.median(mt) if mt else -1))


def metrics_scenario(snap, binary):
    """--metrics: the same binary with -metrics off and on: event-to-key
    latency (rounds interleaved, one daemon at a time), then both daemons at
    once for idle CPU (< 0.1 %) and RssAnon (on - off <= 512 KiB), /metrics
    scraped meanwhile."""
    impls = [Impl("off", [snap]), Impl("on", [snap, "-metrics", "127.0.0.1:%d" % METRICS_PORT])]
    for i in impls:
        i.shown = " ".join(i.argv) + " (copied from %s)" % binary
    b = Bench(impls)
    atexit.register(b.teardown)
    try:
        b.setup()
        b.calibrate()
        for rnd in range(LAT_ROUNDS):
            for impl in impls:
                log("metrics %s: latency round %d/%d, %d containers" % (impl.label, rnd + 1, LAT_ROUNDS, LAT_N))
                lats = b.latency_round(impl, rnd, LAT_N, tag="mlat")
                if lats:
                    b.res.add(impl, "lat_p50", percentile(lats, 50))
                    b.res.add(impl, "lat_p99", percentile(lats, 99))
                    b.res.add(impl, "lat_max", max(lats))
                    b.res.samples[impl.label].setdefault("lat_all", []).extend(lats)
        metrics_idle(b, impls)
    finally:
        b.teardown()
        atexit.unregister(b.teardown)

    def med(label, key):
        xs = b.res.samples[label].get(key, [])
        return statistics.median(xs) if xs else None
    for key, when in (("rss_0", "1.5 s after start"), ("rss_idle", "after the idle window and its scrapes")):
        rss = (med("off", key), med("on", key))
        if None not in rss:
            d_kib = (rss[1] - rss[0]) * 1024
            b.res.notes.append("metrics on - off: RssAnon %+.0f KiB %s (off %.0f KiB, on %.0f KiB; target <= +512): %s"
                               % (d_kib, when, rss[0] * 1024, rss[1] * 1024, "pass" if d_kib <= 512 else "MISS"))
    for key in ("lat_p50", "lat_p99"):
        v = (med("off", key), med("on", key))
        if None not in v:
            b.res.notes.append("metrics on - off: %s %+.2f ms (off %.2f, on %.2f)" % (key, v[1] - v[0], v[0], v[1]))
    return b


# ------------------------------------------------------------------ main

def main(argv):
    binary = "build/registrator"
    if "--bin" in argv:
        binary = argv[argv.index("--bin") + 1]
    os.makedirs(OUT, exist_ok=True)
    # measure a snapshot: a rebuild of build/ during the run must not change the binary mid-way
    snap = os.path.join(OUT, "registrator-under-test")
    shutil.copy2(binary, snap)
    impls = [Impl("ours", [snap])]
    impls[0].shown = "%s (copied from %s)" % (snap, binary)
    if OTHER:
        impls.append(Impl("other", shlex.split(OTHER)))
    for impl in impls:
        exe = shutil.which(impl.argv[0]) or (impl.argv[0] if os.access(impl.argv[0], os.X_OK) else None)
        if exe is None:
            raise HarnessError("%s: %s is not an executable" % (impl.label, impl.argv[0]))
    started = time.monotonic()
    if "--metrics" in argv:
        b = metrics_scenario(snap, binary)
        text = report(b, started)
        sys.stdout.write(text)
        with open(os.path.join(OUT, "results-metrics.txt"), "w") as f:
            f.write(text)
        return 0
    b = Bench(impls)

    def on_signal(sig, frame):
        raise KeyboardInterrupt("signal %d" % sig)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    atexit.register(b.teardown)
    def phase(name, fn):
        b0 = cpu_busy()
        fn()
        b1 = cpu_busy()
        b.res.notes.append("host CPU busy during %s: %.0f%% of %d CPUs (everything: dockerd, etcd, the "
                           "daemons, the harness, other users); loadavg %s" % (
                               name, 100.0 * (b1[0] - b0[0]) / max(1, b1[1] - b0[1]), os.cpu_count(),
                               open("/proc/loadavg").read().split()[0]))
    try:
        b.setup()
        log("calibrating the watcher")
        b.calibrate()
        if "latency" in PHASES:
            phase("latency", b.phase_latency)
        if "sizes" in PHASES:
            phase("sync/memory/idle/steady", b.phase_sizes)
        if ISOLATION and "isolation" in PHASES:
            phase("isolation", b.phase_isolation)
    finally:
        b.teardown()
        atexit.unregister(b.teardown)
    text = report(b, started)
    sys.stdout.write(text)
    with open(os.path.join(OUT, "results.txt"), "w") as f:
        f.write(text)
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump({"samples": b.res.samples, "notes": b.res.notes,
                   "breakdown": getattr(b, "breakdown", {}), "calib": getattr(b, "calib", None),
                   "impls": {i.label: i.argv for i in impls}, "quick": QUICK}, f, indent=1)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except HarnessError as e:
        log("harness error: %s" % e)
        sys.exit(1)
    except KeyboardInterrupt as e:
        log("interrupted (%s); cleaned up" % e)
        sys.exit(1)
