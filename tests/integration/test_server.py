"""A real uvicorn server on 127.0.0.1 started through `rag serve`, stopped by the test."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from rag.config import Settings

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(real_settings: Settings) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "RAG_INDEX_DIR": str(real_settings.index_dir), "RAG_EMBEDDER": "minilm"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "rag.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                out = proc.stdout.read().decode() if proc.stdout else ""
                pytest.fail(f"server exited early:\n{out}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).json()["status"] == "ok":
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            pytest.fail("server did not become healthy in 90 s")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_ask_over_http(server: str) -> None:
    r = httpx.post(
        f"{server}/api/ask", json={"question": "What was the value of the USSM MoU?"}, timeout=60
    )
    assert r.status_code == 200
    body = r.json()
    assert "$500 million" in body["answer"]
    c = body["citations"][0]
    doc = httpx.get(f"{server}/api/documents/{c['doc_id']}", timeout=10).json()
    assert doc["text"][c["start"] : c["end"]] == c["quote"]


def test_bad_input_over_http(server: str) -> None:
    r = httpx.post(f"{server}/api/ask", json={"question": ""}, timeout=10)
    assert r.status_code == 422 and "question" in r.json()["detail"]
    assert httpx.get(f"{server}/api/documents/missing", timeout=10).status_code == 404


def test_page_over_http(server: str) -> None:
    html = httpx.get(server, params={"q": "What was the value of the USSM MoU?"}, timeout=60).text
    assert '<a class="cite" href="#cite-1">[1]</a>' in html and "500 million" in html
