#!/usr/bin/env python3
"""receiver.py - a webhook receiver for the hook tests (Python 3 stdlib only).

Listens on 127.0.0.1, records every request as one JSON line, verifies
Standard Webhooks signatures, and misbehaves on demand.

    receiver.py --log FILE --port-file FILE [--port N] [--secret S]
                [--mode ok|status|hang|drop] [--status N] [--count N]
                [--retry-after V] [--hang SECONDS]

Each log line: {"seq", "method", "path", "query", "headers" (lower-cased
names), "body", "sig_ok" (true/false, null when unsigned or no --secret),
"answer" (the status sent, "hang" or "drop"), "time"}.

Control endpoint (not logged): POST /_control with a JSON object
    {"mode": "ok"|"status"|"hang"|"drop", "status": 500, "count": 2,
     "retry_after": "1", "hang": 30}
count is how many requests get the mode before it falls back to "ok" (0:
until told otherwise).  GET /_control returns the current settings.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

LOCK = threading.Lock()
STATE = {"mode": "ok", "status": 200, "count": 0, "retry_after": None, "hang": 30.0}
SEQ = [0]
ARGS = None


def signing_key(secret):
    if secret.startswith("whsec_"):
        return base64.b64decode(secret[len("whsec_"):])
    return secret.encode()


def verify(headers, body):
    """True/False when a signature can be checked, None otherwise."""
    sig = headers.get("webhook-signature")
    if not ARGS.secret or sig is None:
        return None
    msg_id = headers.get("webhook-id", "")
    ts = headers.get("webhook-timestamp", "")
    try:
        if abs(time.time() - int(ts)) > 300:
            return False
    except ValueError:
        return False
    mac = hmac.new(signing_key(ARGS.secret), f"{msg_id}.{ts}.".encode() + body,
                   hashlib.sha256).digest()
    want = "v1," + base64.b64encode(mac).decode()
    return any(hmac.compare_digest(want, s) for s in sig.split(" "))


def take_mode():
    """The behaviour for this request; counts down a limited mode."""
    with LOCK:
        st = dict(STATE)
        if STATE["mode"] != "ok" and STATE["count"] > 0:
            STATE["count"] -= 1
            if STATE["count"] == 0:
                STATE["mode"] = "ok"
        return st


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"     # keep-alive

    def log_message(self, fmt, *args):   # quiet
        pass

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def send(self, status, body=b"", extra=None):
        self.send_response(status)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def control(self, body):
        if self.command == "POST":
            try:
                new = json.loads(body or b"{}")
            except ValueError:
                self.send(400, b'{"error":"bad json"}')
                return
            with LOCK:
                for k in ("mode", "status", "count", "retry_after", "hang"):
                    if k in new:
                        STATE[k] = new[k]
        with LOCK:
            out = json.dumps(STATE).encode()
        self.send(200, out)

    def record(self, body, answer):
        headers = {k.lower(): v for k, v in self.headers.items()}
        u = urlsplit(self.path)
        with LOCK:
            SEQ[0] += 1
            entry = {"seq": SEQ[0], "method": self.command, "path": u.path, "query": u.query,
                     "headers": headers, "body": body.decode("utf-8", "replace"),
                     "sig_ok": verify(headers, body), "answer": answer, "time": time.time()}
            with open(ARGS.log, "a", encoding="utf-8") as f:
                f.write(json.dumps(entry) + "\n")
                f.flush()

    def handle_any(self):
        body = self.read_body()
        if urlsplit(self.path).path == "/_control":
            self.control(body)
            return
        st = take_mode()
        mode = st["mode"]
        if mode == "drop":
            self.record(body, "drop")
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if mode == "hang":
            self.record(body, "hang")
            time.sleep(float(st["hang"]))
            self.close_connection = True
            return
        status = int(st["status"]) if mode == "status" else 200
        extra = {}
        if mode == "status" and st["retry_after"] is not None:
            extra["Retry-After"] = str(st["retry_after"])
        self.record(body, status)
        reply = b'{"ok":true}' if status < 300 else b'{"error":"told to fail"}'
        self.send(status, reply, extra)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any


def main():
    global ARGS
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--log", required=True)
    p.add_argument("--secret")
    p.add_argument("--mode", default="ok", choices=["ok", "status", "hang", "drop"])
    p.add_argument("--status", type=int, default=200)
    p.add_argument("--count", type=int, default=0)
    p.add_argument("--retry-after")
    p.add_argument("--hang", type=float, default=30.0)
    ARGS = p.parse_args()
    STATE.update(mode=ARGS.mode, status=ARGS.status, count=ARGS.count,
                 retry_after=ARGS.retry_after, hang=ARGS.hang)
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.allow_reuse_address = True
    srv = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    if ARGS.port_file:
        tmp = ARGS.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{srv.server_address[1]}\n")
        os.replace(tmp, ARGS.port_file)
    try:
        srv.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
