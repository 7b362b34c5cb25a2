"""Start `rag serve` as a real process on 127.0.0.1 and stop it when done."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running(
    cmd: list[str],
    ready_url: str,
    timeout_s: float,
    env: dict[str, str] | None = None,
    quiet: bool = False,
) -> Iterator[subprocess.Popen[bytes]]:
    """Start `cmd`, wait until `ready_url` answers 200 (a JSON `status` must then be "ok"), and
    always terminate it afterwards. Its output goes to a temporary file (an unread pipe fills
    after ~64 KB of access log and stalls the server), shown if it exits early; `quiet`:
    discard it."""
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below
    out = subprocess.DEVNULL if quiet else log
    proc = subprocess.Popen(
        cmd, env={**os.environ, **(env or {})}, stdout=out, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"{cmd[2]} exited early:\n{log.read().decode()[-5000:]}")
            try:
                r = httpx.get(ready_url, timeout=1)
                if r.status_code == 200 and r.json().get("status", "ok") == "ok":
                    break
            except (httpx.HTTPError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{cmd[2]} did not become ready in {timeout_s} s")
            time.sleep(0.3)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@contextmanager
def rag_server(env: dict[str, str], timeout_s: float = 90) -> Iterator[str]:
    """Yield the base URL of a healthy `rag serve`; always terminate it afterwards."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "rag.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with running(cmd, f"{url}/healthz", timeout_s, env):
        yield url
