"""Writers in separate real processes: a `rag serve` taking uploads and deletes, and `rag index`
runs beside it. No write acknowledged to a client is lost or undone by the other process, and a
server killed with SIGKILL in the middle of an upload leaves nothing half-done behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from rag.store import read_documents, writer_lock
from tests.conftest import ROOT, hash_server_env, own_index
from tests.servers import free_port, rag_server, running

FACT = "The Velmora port handled 912 ore ships in 2025, its busiest year.\n"


def _rag(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "rag.cli", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _in_background(fn: object) -> tuple[threading.Thread, list[object]]:
    out: list[object] = []
    worker = threading.Thread(target=lambda: out.append(fn()))  # type: ignore[operator]
    worker.start()
    return worker, out


def test_an_upload_during_a_rag_index_run_in_another_process_is_kept(tmp_path: Path) -> None:
    """Both writers queue on the lock (held here), so they certainly overlap: whichever commits
    second must keep what the first committed."""
    settings = own_index(tmp_path)
    env = hash_server_env(settings)
    with rag_server(env) as url, httpx.Client(base_url=url, timeout=60) as client:
        with writer_lock(settings.index_dir):
            index = _rag("index", "--rebuild", env=env)
            upload, got = _in_background(
                lambda: client.post(
                    "/api/documents", files=[("files", ("velmora.txt", FACT, "text/plain"))]
                )
            )
            time.sleep(1.0)  # both are waiting for the lock now
        upload.join(60)
        output, _ = index.communicate(timeout=120)
        assert index.returncode == 0, output
        assert got and got[0].status_code == 201, got  # type: ignore[attr-defined]
        assert client.get("/api/documents/velmora").status_code == 200
    assert "velmora" in read_documents(settings.current_index)
    assert (settings.upload_dir / "velmora.txt").is_file()


def test_a_delete_during_a_rag_index_run_in_another_process_stays_deleted(tmp_path: Path) -> None:
    settings = own_index(tmp_path)
    env = hash_server_env(settings)
    with rag_server(env) as url, httpx.Client(base_url=url, timeout=60) as client:
        files = [("files", ("velmora.txt", FACT, "text/plain"))]
        assert client.post("/api/documents", files=files).status_code == 201
        with writer_lock(settings.index_dir):
            index = _rag("index", env=env)
            delete, got = _in_background(lambda: client.delete("/api/documents/velmora"))
            time.sleep(1.0)
        delete.join(60)
        output, _ = index.communicate(timeout=120)
        assert index.returncode == 0, output
        assert got and got[0].status_code == 200, got  # type: ignore[attr-defined]
        assert client.get("/api/documents/velmora").status_code == 404
    assert "velmora" not in read_documents(settings.current_index)
    assert not (settings.upload_dir / "velmora.txt").exists()


def test_a_server_killed_mid_upload_leaves_no_document_half_done(tmp_path: Path) -> None:
    """SIGKILL as soon as the upload's pending file appears (it is written under the writer
    lock, before the embedding and the commit). Whenever the kill lands, the next `rag index`
    (a new process) leaves every upload file with its document and every document with its
    file, and says what it completed or removed; a second upload of the file then succeeds."""
    settings = own_index(tmp_path)
    env = hash_server_env(settings)
    before = set(read_documents(settings.current_index))
    # Big enough that embedding it keeps the upload inside its commit for a while.
    text = "".join(
        f"Shipment {i} of ore left the Velmora port on day {i % 365}.\n" for i in range(60_000)
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "rag.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with running(cmd, f"{url}/healthz", 90, env) as server:
        upload, _ = _in_background(lambda: _post_quietly(url, "velmora.txt", text))
        deadline = time.monotonic() + 60
        while not any(settings.upload_dir.glob(".pending-*")):
            assert time.monotonic() < deadline, "the upload never reached its commit"
            time.sleep(0.01)
        os.kill(server.pid, signal.SIGKILL)
        server.wait(10)
        upload.join(30)
    committed = "velmora" in read_documents(settings.current_index)
    index = _rag("index", env=env)
    output, _ = index.communicate(timeout=300)
    assert index.returncode == 0, output
    docs = read_documents(settings.current_index)
    assert not list(settings.upload_dir.glob(".pending-*"))
    final = settings.upload_dir / "velmora.txt"
    if committed:
        assert "velmora" in docs and final.is_file()
    else:  # killed before its commit: nothing of it stays, and `rag index` says so
        assert "interrupted before it was indexed: velmora.txt" in output
        assert set(docs) == before and not final.exists()
        with rag_server(env) as url2, httpx.Client(base_url=url2, timeout=120) as client:
            files = [("files", ("velmora.txt", FACT, "text/plain"))]
            assert client.post("/api/documents", files=files).status_code == 201


def _post_quietly(url: str, name: str, text: str) -> int | None:
    try:
        files = [("files", (name, text, "text/plain"))]
        return httpx.post(f"{url}/api/documents", files=files, timeout=120).status_code
    except httpx.HTTPError:
        return None  # the server died under it: that is the point
