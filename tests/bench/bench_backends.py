#!/usr/bin/env python3
"""bench_backends.py - every backend's start-up sync beside etcd v3's (issue 17).
Run by `make bench-backends`; see tests/bench/README.md ("Backends").

    python3 tests/bench/bench_backends.py [--bin build/registrator]

Uses bench.py's etcd (127.0.0.1:26379, v2 enabled), containers and daemons, plus
the Consul protocol double (tests/consul-double) on 127.0.0.1:26385 (started
fresh, so empty, for every run). For each backend and size N (BENCH_SIZES) and
each registrator (ours, and BENCH_OTHER when set, alternating):
  sync   from just before the daemon's exec to its log line "registered ..."
         of the last of the N bench services (the registry has answered that
         write by then; the same clock for every backend, etcd v3 included);
  writes from the first such log line to the last: the part of the sync the
         registry decides (the first batch of up to 128 services is
         written before the first line, so it is not in it);
  rss    RssAnon 1 s after that;
  exit   SIGTERM to process exit with -deregister-on-exit (every service
         removed; checked afterwards).
Environment, besides bench.py's: BENCH_BACKENDS (default
"etcd,etcd2,skydns2,consul,consul@1,consul-catalog,consul-catalog@1"; "@D" is
the double's --delay-ms), BENCH_BACKEND_REPS (3; quick 1), BENCH_CONSUL_PORT.
"""
import calendar
import http.client
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench as B  # noqa: E402

BACKENDS = [x.strip() for x in os.environ.get(
    "BENCH_BACKENDS", "etcd,etcd2,skydns2,consul,consul@1,consul-catalog,consul-catalog@1").split(",") if x.strip()]
REPS = B.env_int("BENCH_BACKEND_REPS", 1 if B.QUICK else 3)
CONSUL_PORT = B.env_int("BENCH_CONSUL_PORT", 26385)
DOUBLE = os.path.join(B.HERE, "..", "consul-double", "consul_double.py")
HOSTNAME = "rgbhost"  # -hostname: the catalog node, and the first part of every ID
STAMP_RE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{3})Z")


def http_json(port, method, path, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request(method, path, body=body)
        r = c.getresponse()
        data = r.read()
        return r.status, (json.loads(data) if data.strip() else None)
    finally:
        c.close()


class Double:
    """The Consul double, fresh for each run."""

    def __init__(self):
        self.proc = None

    def start(self, delay_ms):
        self.stop()
        self.logf = open(os.path.join(B.OUT, "consul-double.log"), "a")
        self.proc = subprocess.Popen([sys.executable, DOUBLE, "--port", str(CONSUL_PORT), "--quiet",
                                      "--delay-ms", str(delay_ms)], stdout=self.logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if http_json(CONSUL_PORT, "GET", "/v1/status/leader")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise B.HarnessError("the Consul double did not answer on 127.0.0.1:%d" % CONSUL_PORT)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None

    def ids(self, catalog):
        st, doc = http_json(CONSUL_PORT, "GET", "/v1/catalog/node/" + HOSTNAME if catalog else "/v1/agent/services")
        if catalog:
            return list(((doc or {}).get("Services") or {}).keys())
        return list((doc or {}).keys())


class Backend:
    def __init__(self, spec, etcd, double):
        self.spec = spec
        self.etcd = etcd
        self.double = double
        name, _, delay = spec.partition("@")
        self.kind = name
        self.delay = float(delay) if delay else 0.0
        p = B.ETCD_PORT
        self.uri = {"etcd": "etcd://127.0.0.1:%d/rgb3" % p, "etcd2": "etcd2://127.0.0.1:%d/rgb2" % p,
                    "skydns2": "skydns2://127.0.0.1:%d/rgb.local" % p,
                    "consul": "consul://127.0.0.1:%d" % CONSUL_PORT,
                    "consul-catalog": "consul-catalog://127.0.0.1:%d" % CONSUL_PORT}.get(name)
        if self.uri is None:
            raise B.HarnessError("unknown backend %r in BENCH_BACKENDS" % spec)
        self.label = name + (" (double +%gms)" % self.delay if name.startswith("consul") else "")

    def v2_dir(self):
        return "/v2/keys/rgb2" if self.kind == "etcd2" else "/v2/keys/skydns/local/rgb"

    def clear(self):
        if self.kind == "etcd":
            self.etcd.delete_prefix("/rgb3/")
        elif self.kind in ("etcd2", "skydns2"):
            self.etcd.request("DELETE", self.v2_dir() + "?recursive=true")
        else:
            self.double.start(self.delay)

    def count(self, names):
        """How many of the bench services the registry holds."""
        if self.kind == "etcd":
            return self.etcd.count_prefix("/rgb3/")
        if self.kind in ("etcd2", "skydns2"):
            st, data = self.etcd.request("GET", self.v2_dir() + "?recursive=true")
            if st == 404:
                return 0
            return json.dumps(json.loads(data)).count('"value"')
        ids = self.double.ids(self.kind == "consul-catalog")
        want = set(names)
        return sum(1 for i in ids if i.split(":")[1:2] and i.split(":")[1] in want)


class BDaemon(B.Daemon):
    """bench.py's Daemon on another registry URI."""

    def __init__(self, impl, flags, tag, uri):
        self.impl = impl
        env = dict(os.environ)
        env.pop("RG_DEBUG", None)
        env.pop("DOCKER_HOST", None)
        self.logpath = os.path.join(B.OUT, "%s-%s.log" % (impl.label, tag))
        self.logf = open(self.logpath, "w")
        self.t0 = time.time_ns()
        self.proc = subprocess.Popen(impl.argv + flags + [uri], stdout=self.logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env)
        self.pid = self.proc.pid
        B.LIVE.add(self)


def stamp_ns(line):
    m = STAMP_RE.match(line)
    if not m:
        return None
    return (calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")) * 1000 + int(m.group(2))) * 1000000


def wait_registered(d, names, timeout):
    """(ns from launch to the log line of the last of names registered, ns
    from the first such line to the last), or (None, None)."""
    pat = re.compile(r" registered %s:(%s-s-\d+):" % (re.escape(HOSTNAME), re.escape(B.PREFIX_NAME.rstrip("-"))))
    want, first, last, seen = set(names), None, None, set()
    deadline = time.monotonic() + timeout
    with open(d.logpath) as f:
        buf = ""
        while time.monotonic() < deadline:
            chunk = f.read()
            if not chunk:
                if not d.alive():
                    return None, None
                time.sleep(0.005)
                continue
            buf += chunk
            lines = buf.split("\n")
            buf = lines.pop()
            for line in lines:
                m = pat.search(line)
                if m and m.group(1) in want and m.group(1) not in seen:
                    seen.add(m.group(1))
                    last = stamp_ns(line)
                    first = first or last
            if len(seen) == len(want):
                return last - d.t0, last - first
    return None, None


def run_one(b, be, impl, n, rep, res):
    names = b.sync_names(n)
    be.clear()
    flags = B.FLAGS + ["-hostname", HOSTNAME, "-deregister-on-exit"]
    tag = "be-%s-%d-%d" % (be.spec.replace("@", "d"), n, rep)
    d = BDaemon(impl, flags, tag, be.uri)
    ns, span = wait_registered(d, names, 30 + n * 0.2)
    key = (be.spec, n)
    if ns is None:
        res["notes"].append("%s, %s, N=%d: not every service registered before the deadline (%s)"
                            % (impl.label, be.label, n, d.logpath))
        d.stop()
        return
    res["sync"].setdefault(key, {}).setdefault(impl.label, []).append(ns / 1e6)
    res["writes"].setdefault(key, {}).setdefault(impl.label, []).append(span / 1e6)
    time.sleep(1.0)
    if d.alive():
        res["rss"].setdefault(key, {}).setdefault(impl.label, []).append(d.rss_anon_kib() / 1024.0)
    have = be.count(names)
    if have < n:
        res["notes"].append("%s, %s, N=%d: the registry held %d of %d before the stop" % (impl.label, be.label, n, have, n))
    t = time.monotonic()
    d.proc.terminate()
    try:
        d.proc.wait(60)
    except subprocess.TimeoutExpired:
        res["notes"].append("%s, %s, N=%d: no exit within 60 s of SIGTERM" % (impl.label, be.label, n))
    ms = (time.monotonic() - t) * 1000
    d.stop()
    left = be.count(names)
    res["exit"].setdefault(key, {}).setdefault(impl.label, []).append(ms)
    if left:
        res["notes"].append("%s, %s, N=%d: %d services left after -deregister-on-exit" % (impl.label, be.label, n, left))


def med(xs):
    return statistics.median(xs) if xs else None


def cell(xs, fmt):
    if not xs:
        return "n/a"
    m = med(xs)
    return fmt % m if len(xs) == 1 else "%s [%s-%s]" % (fmt % m, fmt % min(xs), fmt % max(xs))


def report(impls, backends, res, started):
    out = ["", "registrator backends benchmark (issue 17), %s, %s (%d CPUs), %s, %.0f s" % (
        time.strftime("%Y-%m-%d %H:%M:%S"), os.uname().nodename, os.cpu_count(), "QUICK" if B.QUICK else "full",
        time.monotonic() - started)]
    for impl in impls:
        out.append("  %s = %s" % (impl.label, getattr(impl, "shown", " ".join(impl.argv))))
    out.append("  flags: %s -hostname %s -deregister-on-exit | %d runs each" % (" ".join(B.FLAGS), HOSTNAME, REPS))
    hdr = "%-40s %-9s" % ("figure (median [min-max])", "target")
    for impl in impls:
        hdr += " | %-22s %-11s" % (impl.label, "x etcd v3")
    if len(impls) > 1:
        hdr += " | %s/%s" % (impls[1].label, impls[0].label)
    out += ["", hdr, "-" * len(hdr)]
    for fig, unit, fmt in (("sync", "ms", "%.0f"), ("writes", "ms", "%.0f"), ("exit", "ms", "%.0f"),
                           ("rss", "MiB", "%.2f")):
        for n in B.SIZES:
            for be in backends:
                key = (be.spec, n)
                if fig == "sync":
                    tgt = "<= 2x v3" if be.kind != "etcd" else ""
                elif fig == "exit":
                    tgt = ("<= %d ms" % (1000 if be.kind == "etcd" else 2000)) if n >= 1000 else ""
                elif fig == "rss":
                    tgt = "<= 4 MiB" if n >= 1000 else ""
                else:
                    tgt = ""
                row = "%-40s %-9s" % (("%s %s, %d (%s)" % (fig, be.label, n, unit))[:40], tgt)
                meds = []
                for impl in impls:
                    xs = res[fig].get(key, {}).get(impl.label, [])
                    m = med(xs)
                    meds.append(m)
                    base = med(res[fig].get(("etcd", n), {}).get(impl.label, [])) if fig in ("sync", "writes") else None
                    ratio = ""
                    if fig == "writes" and m is not None and base:
                        ratio = "%.2fx" % (m / base)
                    elif fig == "sync" and m is not None and base:
                        r = m / base
                        ratio = "%.2fx" % r + ("" if be.kind == "etcd" else (" pass" if r <= 2 else " MISS"))
                    elif fig == "exit" and m is not None and n >= 1000:
                        ratio = "pass" if m <= (1000 if be.kind == "etcd" else 2000) else "MISS"
                    elif fig == "rss" and m is not None and n >= 1000:
                        ratio = "pass" if m <= 4.0 else "MISS"
                    row += " | %-22s %-11s" % (cell(xs, fmt), ratio)
                if len(impls) > 1:
                    a, o = meds[0], meds[1]
                    row += " | %s" % ("%.2fx" % (o / a) if a and o is not None else "n/a")
                out.append(row)
    out.append("")
    for n in res["notes"]:
        out.append("note: " + n)
    return "\n".join(out) + "\n"


def main(argv):
    binary = argv[argv.index("--bin") + 1] if "--bin" in argv else "build/registrator"
    os.makedirs(B.OUT, exist_ok=True)
    snap = os.path.join(B.OUT, "registrator-under-test")
    shutil.copy2(binary, snap)
    impls = [B.Impl("ours", [snap])]
    impls[0].shown = "%s (copied from %s)" % (snap, binary)
    if B.OTHER:
        impls.append(B.Impl("other", shlex.split(B.OTHER)))
    started = time.monotonic()
    b = B.Bench(impls)
    double = Double()
    res = {"sync": {}, "writes": {}, "exit": {}, "rss": {}, "notes": []}
    try:
        B.docker("GET", "/version")
        B.sweep_stale()
        b.etcd.start()
        backends = [Backend(s, b.etcd, double) for s in BACKENDS]
        for n in B.SIZES:
            b.ensure_sync_containers(n)
            res["notes"].append("N=%d: %d containers were running on the host" % (n, B.running_count()))
            for rep in range(REPS):
                for be in backends:
                    for impl in impls:
                        B.log("backends %d/%d: %s, %s, %d containers" % (rep + 1, REPS, impl.label, be.label, n))
                        run_one(b, be, impl, n, rep, res)
    finally:
        double.stop()
        b.teardown()
    text = report(impls, backends, res, started)
    sys.stdout.write(text)
    with open(os.path.join(B.OUT, "backends.txt"), "w") as f:
        f.write(text)
    with open(os.path.join(B.OUT, "backends.json"), "w") as f:
        json.dump({"sync": {"%s/%d" % k: v for k, v in res["sync"].items()},
                   "writes": {"%s/%d" % k: v for k, v in res["writes"].items()},
                   "exit": {"%s/%d" % k: v for k, v in res["exit"].items()},
                   "rss": {"%s/%d" % k: v for k, v in res["rss"].items()}, "notes": res["notes"]}, f, indent=1)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except B.HarnessError as e:
        B.log("harness error: %s" % e)
        sys.exit(1)
    except KeyboardInterrupt as e:
        B.log("interrupted (%s); cleaned up" % e)
        sys.exit(1)
