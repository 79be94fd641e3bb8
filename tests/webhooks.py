"""A real HTTP server in a thread that receives arrears' webhooks and checks their signature
the way a receiving system would."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Receiver:
    secret: bytes
    calls: list[dict] = field(default_factory=list)  # verified bodies, in arrival order
    refused: list[str] = field(default_factory=list)  # why a request was refused
    answers: list[int] = field(default_factory=list)  # statuses to answer first (then 200)
    url: str = ""

    def verify(self, headers, body: bytes) -> str | None:
        stamp = headers.get("X-Arrears-Timestamp", "")
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > 300:
            return "stale or missing timestamp"
        mac = hmac.new(self.secret, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(headers.get("X-Arrears-Signature", ""), f"sha256={mac}"):
            return "bad signature"
        return None


@contextmanager
def webhook_receiver(secret: bytes):
    receiver = Receiver(secret)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            problem = receiver.verify(self.headers, body)
            if problem:
                receiver.refused.append(problem)
                status = 401
            elif receiver.answers:
                status = receiver.answers.pop(0)
            else:
                data = json.loads(body)
                data["_key"] = self.headers.get("X-Arrears-Key")
                receiver.calls.append(data)
                status = 200
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"ok" if status == 200 else b"no")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_port}/hooks"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
