"""A fake Twilio-compatible SMS provider on 127.0.0.1: a tiny http.server in a thread
that records each request and answers as told (201 with a message SID, or an error)."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


@dataclass
class FakeProvider:
    url: str
    status: int = 201
    received: list[dict[str, str]] = field(default_factory=list)
    auth: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)


@contextmanager
def fake_provider() -> Iterator[FakeProvider]:
    provider = FakeProvider(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            provider.paths.append(self.path)
            provider.auth.append(
                base64.b64decode(self.headers["Authorization"].removeprefix("Basic ")).decode()
            )
            provider.received.append(form)
            status = provider.status
            body: dict[str, object] = {
                "sid": f"SM{len(provider.received):032d}",
                "status": "queued",
            }
            if status >= 400:
                body = {"code": 20500, "message": "Internal error"}
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:  # quiet
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    provider.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
