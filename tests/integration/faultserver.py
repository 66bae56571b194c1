#!/usr/bin/env python3
"""faultserver.py - a small fault-injecting HTTP/1.1 server for the fetch and
cache tests (tests/unit/test_fetch.c, test_cache.c).

Standard library only.  Binds 127.0.0.1 on an ephemeral port, prints the
port on stdout (one line) and serves until killed, or until 120 seconds
have passed, whichever comes first, so a crashed test never leaves it behind.

With FAULTSERVER_TLS_DIR set to a directory holding cert.pem and key.pem it
also serves the same endpoints over TLS on a second ephemeral port of
127.0.0.1, and writes that port to FAULTSERVER_TLS_DIR/tls_port (atomically)
before printing the plain port, so a client that has read the plain port
can read the TLS one.  FAULTSERVER_LIFETIME shortens the 120 s bound.

A request in absolute form ("GET http://any.host/ok", what a client sends
to a proxy) is answered like its path and counted in "proxied", so the
server doubles as an HTTP proxy for the proxy tests.

Endpoints (all GET; `key` makes per-test state independent):
  /ok                   200 "hello world" with ETag, Last-Modified, Cache-Control
  /status/N             answer with status N
  /flaky/KEY?fail=N&code=C   first N requests answer C, then 200 "recovered"
  /retry-after/KEY?secs=S    first request 429 with Retry-After: S, then 200
  /retry-date/KEY?secs=S     like retry-after but with an HTTP date
  /slow?delay=S         headers at once, body after S seconds
  /truncate             Content-Length 100, 50 bytes sent, connection closed
  /big?size=N           N bytes of 'x'
  /bytes                256 bytes 0..255; honours Range: bytes=a-b with 206
  /redirect/N           302 to /redirect/N-1 ... /redirect/0 -> /ok
  /to?url=U             302 to U (any scheme or host)
  /loop                 302 to itself
  /gzip                 gzip-encoded "compressed hello" when the client accepts it
  /sleep?ms=M           200 after M ms; counted for /stats in-flight maximum
  /auth                 200 "user=U" when Basic auth is present, else 401
  /etag/KEY?max_age=A&body=B  ETag "v1"; If-None-Match "v1" -> 304
  /nostore              Cache-Control: no-store
  /stats                JSON {"max_inflight", "inflight", "connections", "proxied",
                        "counts": {path: n}}; connections counts accepted
                        connections (both listeners), the /stats one included
  /reset                forget counts, connections and the in-flight maximum
  /index/MODE/PROJECT/  a hostile project page for the index client tests; MODE:
                        badjson (truncated PEP 691 JSON), major2 (api-version 2.0),
                        badtype (Content-Type image/png), 500 (always 500),
                        badhash (a valid page whose sdist's sha256 is wrong),
                        badmeta (a wheel whose .metadata hash is wrong),
                        flaky500 (500 twice, then a valid empty page),
                        truncate (Content-Length larger than the body)
  /index-files/NAME     the bytes the /index pages link to
"""
import base64
import email.utils
import gzip
import hashlib
import json
import os
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

# What /index-files/ serves: not a real archive, so a client that gets past
# the hash check fails reading it, which is also worth a clear message.
INDEX_FILE_BODY = b"not really an archive\n" * 4
LOCK = threading.Lock()
STATE = {"inflight": 0, "max_inflight": 0, "connections": 0, "proxied": 0, "counts": {}, "keys": {}}


def bump(key):
    with LOCK:
        n = STATE["keys"].get(key, 0) + 1
        STATE["keys"][key] = n
        return n


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "faultserver/1"

    def log_message(self, fmt, *args):
        pass

    def setup(self):
        with LOCK:
            STATE["connections"] += 1
        super().setup()

    def send_body(self, status, body, ctype="text/plain", headers=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        parts = urlsplit(self.path)
        path = parts.path
        q = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        with LOCK:
            STATE["counts"][path] = STATE["counts"].get(path, 0) + 1
            if parts.scheme:
                STATE["proxied"] += 1
        try:
            self.route(path, q)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def hostile_index(self, mode, project):
        jtype = "application/vnd.pypi.simple.v1+json"
        good = hashlib.sha256(INDEX_FILE_BODY).hexdigest()
        page = {"meta": {"api-version": "1.1"}, "name": project, "files": []}
        if mode == "badjson":
            self.send_body(200, b'{"meta": {"api-version": "1.1"}, "files": [', ctype=jtype)
        elif mode == "major2":
            self.send_body(200, json.dumps({"meta": {"api-version": "2.0"}, "name": project,
                                            "files": []}).encode(), ctype=jtype)
        elif mode == "badtype":
            self.send_body(200, b"\x89PNG", ctype="image/png")
        elif mode == "500":
            self.send_body(500, b"index down\n")
        elif mode == "flaky500":
            if bump("/index/flaky500/" + project) <= 2:
                self.send_body(500, b"index down\n")
            else:
                self.send_body(200, json.dumps(page).encode(), ctype=jtype)
        elif mode == "badhash":
            page["files"] = [{"filename": f"{project}-1.0.tar.gz", "url": "/index-files/x.tar.gz",
                              "hashes": {"sha256": "0" * 64}}]
            self.send_body(200, json.dumps(page).encode(), ctype=jtype)
        elif mode == "badmeta":
            page["files"] = [{"filename": f"{project}-1.0-py3-none-any.whl", "url": "/index-files/x.whl",
                              "hashes": {"sha256": good}, "core-metadata": {"sha256": "1" * 64}}]
            self.send_body(200, json.dumps(page).encode(), ctype=jtype)
        elif mode == "truncate":
            self.send_response(200)
            self.send_header("Content-Type", jtype)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b'{"meta": {"api-version": "1.1"}, ')
            self.wfile.flush()
            self.close_connection = True
        else:
            self.send_body(404, b"no such mode\n")

    def route(self, path, q):
        seg = path.strip("/").split("/")
        head = seg[0]
        if head == "ok":
            self.send_body(200, b"hello world", headers={
                "ETag": '"abc"', "Last-Modified": "Sun, 06 Nov 1994 08:49:37 GMT",
                "Cache-Control": "max-age=60", "Accept-Ranges": "bytes"})
        elif head == "index" and len(seg) >= 3:
            self.hostile_index(seg[1], seg[2])
        elif head == "index-files":
            self.send_body(200, INDEX_FILE_BODY, ctype="application/octet-stream")
        elif head == "status":
            self.send_body(int(seg[1]), b"status body\n")
        elif head == "flaky":
            n = bump(path)
            if n <= int(q.get("fail", "1")):
                self.send_body(int(q.get("code", "500")), b"try again\n")
            else:
                self.send_body(200, b"recovered")
        elif head in ("retry-after", "retry-date"):
            n = bump(path)
            secs = int(q.get("secs", "1"))
            if n == 1:
                value = str(secs) if head == "retry-after" else email.utils.formatdate(
                    time.time() + secs + 1, usegmt=True)
                self.send_body(429, b"slow down\n", headers={"Retry-After": value})
            else:
                self.send_body(200, b"after wait")
        elif head == "slow":
            body = b"finally"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.flush()
            time.sleep(float(q.get("delay", "5")))
            self.wfile.write(body)
        elif head == "truncate":
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b"y" * 50)
            self.wfile.flush()
            self.close_connection = True
        elif head == "big":
            self.send_body(200, b"x" * int(q.get("size", "1000")))
        elif head == "bytes":
            data = bytes(range(256))
            rng = self.headers.get("Range")
            if rng and rng.startswith("bytes="):
                a, _, b = rng[6:].partition("-")
                a = int(a)
                b = int(b) if b else len(data) - 1
                self.send_body(206, data[a:b + 1], "application/octet-stream", {
                    "Content-Range": "bytes %d-%d/%d" % (a, b, len(data))})
            else:
                self.send_body(200, data, "application/octet-stream", {"Accept-Ranges": "bytes"})
        elif head == "redirect":
            n = int(seg[1])
            target = "/ok" if n <= 0 else "/redirect/%d" % (n - 1)
            self.send_body(302, b"", headers={"Location": target})
        elif head == "to":
            self.send_body(302, b"", headers={"Location": q.get("url", "/ok")})
        elif head == "loop":
            self.send_body(302, b"", headers={"Location": "/loop"})
        elif head == "gzip":
            if "gzip" in (self.headers.get("Accept-Encoding") or ""):
                self.send_body(200, gzip.compress(b"compressed hello"), headers={"Content-Encoding": "gzip"})
            else:
                self.send_body(200, b"compressed hello")
        elif head == "sleep":
            with LOCK:
                STATE["inflight"] += 1
                STATE["max_inflight"] = max(STATE["max_inflight"], STATE["inflight"])
            time.sleep(int(q.get("ms", "200")) / 1000.0)
            with LOCK:
                STATE["inflight"] -= 1
            self.send_body(200, b"slept")
        elif head == "auth":
            auth = self.headers.get("Authorization")
            if auth and auth.startswith("Basic "):
                user = base64.b64decode(auth[6:]).decode().split(":", 1)[0]
                self.send_body(200, ("user=" + user).encode())
            else:
                self.send_body(401, b"who are you\n", headers={"WWW-Authenticate": 'Basic realm="x"'})
        elif head == "etag":
            cc = "max-age=%s" % q.get("max_age", "0")
            if self.headers.get("If-None-Match") == '"v1"':
                self.send_response(304)
                self.send_header("ETag", '"v1"')
                self.send_header("Cache-Control", cc)
                self.end_headers()
            else:
                self.send_body(200, q.get("body", "etag body").encode(), headers={
                    "ETag": '"v1"', "Cache-Control": cc})
        elif head == "nostore":
            self.send_body(200, b"secret", headers={"Cache-Control": "no-store"})
        elif head == "stats":
            with LOCK:
                body = json.dumps({"max_inflight": STATE["max_inflight"], "inflight": STATE["inflight"],
                                   "connections": STATE["connections"], "proxied": STATE["proxied"],
                                   "counts": STATE["counts"]}, sort_keys=True).encode()
            self.send_body(200, body, "application/json")
        elif head == "reset":
            with LOCK:
                STATE["max_inflight"] = 0
                STATE["connections"] = 0
                STATE["proxied"] = 0
                STATE["counts"] = {}
            self.send_body(200, b"reset")
        else:
            self.send_body(404, b"no such endpoint\n")


class Server(ThreadingHTTPServer):
    # The concurrency test opens dozens of connections at once.
    request_queue_size = 128
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # clients that time out or give up on purpose reset connections


class TLSServer(Server):
    """The TLS handshake runs in each connection's own thread (not in
    accept), so a client that rejects the certificate stalls nobody."""

    def __init__(self, addr, handler, context):
        super().__init__(addr, handler)
        self.context = context

    def finish_request(self, request, client_address):
        try:
            request = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return  # e.g. the client did not trust our certificate
        try:
            super().finish_request(request, client_address)
        finally:
            # shutdown_request closes the plain socket only; close the TLS one too.
            request.close()


def start_tls(tls_dir):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(tls_dir, "cert.pem"), os.path.join(tls_dir, "key.pem"))
    tls = TLSServer(("127.0.0.1", 0), Handler, ctx)
    tmp = os.path.join(tls_dir, ".tls_port.tmp")
    with open(tmp, "w") as f:
        f.write("%d\n" % tls.server_address[1])
    os.replace(tmp, os.path.join(tls_dir, "tls_port"))
    threading.Thread(target=tls.serve_forever, daemon=True).start()


def main():
    server = Server(("127.0.0.1", 0), Handler)
    tls_dir = os.environ.get("FAULTSERVER_TLS_DIR")
    if tls_dir:
        start_tls(tls_dir)
    print(server.server_address[1], flush=True)
    limit = float(os.environ.get("FAULTSERVER_LIFETIME", "120"))
    timer = threading.Timer(min(limit, 120.0), lambda: os._exit(0))
    timer.daemon = True
    timer.start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
