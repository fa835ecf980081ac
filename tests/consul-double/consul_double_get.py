#!/usr/bin/env python3
"""consul_double_get.py - reads one value out of the Consul PROTOCOL DOUBLE
(tests/consul-double/consul_double.py) for the integration tests.

  consul_double_get.py [--token T] [--put BODY] [--cacert F] PORT PATH [KEY ...]

GETs (or with --put, PUTs BODY to) http://127.0.0.1:PORT/PATH (https,
verified against F, with --cacert), walks the JSON answer by KEYs (object
keys, or list indexes), and prints the value: strings raw, anything else as
JSON. Prints nothing and exits 1 when a key is missing or the request fails.
"""
import json
import ssl
import sys
import urllib.request


def main():
    argv = sys.argv[1:]
    token = body = cacert = None
    while len(argv) >= 2 and argv[0] in ("--token", "--put", "--cacert"):
        if argv[0] == "--token":
            token = argv[1]
        elif argv[0] == "--cacert":
            cacert = argv[1]
        else:
            body = argv[1].encode()
        argv = argv[2:]
    if len(argv) < 2:
        sys.exit("usage: consul_double_get.py [--token T] [--put BODY] [--cacert F] PORT PATH [KEY ...]")
    scheme = "https" if cacert else "http"
    ctx = ssl.create_default_context(cafile=cacert) if cacert else None
    req = urllib.request.Request("%s://127.0.0.1:%s%s" % (scheme, argv[0], argv[1]), data=body,
                                 method="PUT" if body is not None else "GET")
    if token:
        req.add_header("X-Consul-Token", token)
    try:
        with urllib.request.urlopen(req, timeout=5, context=ctx) as r:
            v = json.loads(r.read() or b"null")
    except Exception:
        sys.exit(1)
    for k in argv[2:]:
        if isinstance(v, dict) and k in v:
            v = v[k]
        elif isinstance(v, list) and k.isdigit() and int(k) < len(v):
            v = v[int(k)]
        else:
            sys.exit(1)
    print(v if isinstance(v, str) else json.dumps(v, sort_keys=True))


if __name__ == "__main__":
    main()
