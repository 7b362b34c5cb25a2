"""A small OpenAI-compatible chat-completions server on 127.0.0.1 for the hosted tests."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeOpenAI:
    """Replies with `reply` (streamed word by word), or fails as `mode` says."""

    def __init__(self, reply: str = "", mode: str = "ok") -> None:
        self.reply = reply
        self.mode = mode  # ok | error | hang | garbage | trickle (keep-alives, no answer)
        self.requests: list[dict[str, Any]] = []
        self.url = ""

    def handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                body["_auth"] = self.headers.get("authorization")
                fake.requests.append(body)
                if fake.mode == "error":
                    self._send(500, "application/json", b'{"error": "boom"}')
                    return
                if fake.mode == "hang":
                    time.sleep(3)
                if not body.get("stream"):
                    msg = {"choices": [{"message": {"role": "assistant", "content": fake.reply}}]}
                    self._send(200, "application/json", json.dumps(msg).encode())
                    return
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.end_headers()
                if fake.mode == "garbage":
                    self.wfile.write(b"data: {not json}\n\n")
                    return
                if fake.mode == "trickle":
                    for _ in range(100):  # an SSE comment every 0.1 s for 10 s, never an answer
                        try:
                            self.wfile.write(b": keep-alive\n\n")
                            self.wfile.flush()
                        except OSError:
                            return
                        time.sleep(0.1)
                    return
                for word in fake.reply.split(" "):
                    chunk = {"choices": [{"delta": {"content": word + " "}}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")

            def _send(self, status: int, ctype: str, data: bytes) -> None:
                self.send_response(status)
                self.send_header("content-type", ctype)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    @contextmanager
    def running(self) -> Iterator[FakeOpenAI]:
        server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        server.daemon_threads = True
        self.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
