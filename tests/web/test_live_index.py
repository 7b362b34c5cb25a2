"""A real `rag serve` follows the index: `rag index` in another process and an upload over HTTP
are answered without a restart, and questions asked meanwhile never fail."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.conftest import (
    ROOT,
    hash_server_env,
    own_index,
)
from tests.documents import pdf_bytes
from tests.servers import rag_server


def test_server_picks_up_new_builds_without_restart(tmp_path: Path) -> None:
    settings = own_index(tmp_path)
    corpus = settings.sources[0]
    env = hash_server_env(settings)
    with rag_server(env) as url:
        codes: list[int] = []
        stop = threading.Event()

        def ask_all_along() -> None:
            with httpx.Client(timeout=30) as client:
                while not stop.is_set():
                    r = client.post(f"{url}/api/ask", json={"question": "USSM MoU value?"})
                    codes.append(r.status_code)

        asker = threading.Thread(target=ask_all_along)
        asker.start()
        try:
            (corpus / "late.txt").write_text("Late news\n\nThe Dorvan mine shipped 77 cargoes.")
            out = subprocess.run(
                [sys.executable, "-m", "rag.cli", "index"],
                env={**env, "PATH": "/usr/bin:/bin"},
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert out.returncode == 0, out.stderr
            assert "1 added" in out.stdout and "0 changed" in out.stdout
            deadline = time.monotonic() + 10
            while "late" not in {d["doc_id"] for d in httpx.get(f"{url}/api/documents").json()}:
                assert time.monotonic() < deadline, "the server never served the new build"
                time.sleep(0.2)
            answer = httpx.post(
                f"{url}/api/ask", json={"question": "How many cargoes did the Dorvan mine ship?"}
            ).json()
            assert "77" in answer["answer"] and answer["citations"][0]["doc_id"] == "late"

            pdf = pdf_bytes(["Cover page.", "The Ostrel refinery opened in 1987."])
            r = httpx.post(f"{url}/api/documents", files=[("files", ("ostrel.pdf", pdf))])
            assert r.status_code == 201, r.text
            answer = httpx.post(
                f"{url}/api/ask", json={"question": "When did the Ostrel refinery open?"}
            ).json()
            cite = answer["citations"][0]
            assert cite["doc_id"] == "ostrel" and cite["page"] == 2 and "1987" in answer["answer"]
            page = httpx.get(f"{url}/?q=When+did+the+Ostrel+refinery+open%3F").text
            assert "p. 2" in page
            assert httpx.delete(f"{url}/api/documents/ostrel").status_code == 200
            answer = httpx.post(
                f"{url}/api/ask", json={"question": "When did the Ostrel refinery open?"}
            ).json()
            assert all(c["doc_id"] != "ostrel" for c in answer["citations"])
            assert all(p["doc_id"] != "ostrel" for p in answer["retrieved"])
        finally:
            stop.set()
            asker.join()
    assert codes and set(codes) == {200}, f"questions failed during the update: {set(codes)}"


def test_the_rate_limit_keys_on_the_peer_not_on_x_forwarded_for(tmp_path: Path) -> None:
    settings = own_index(tmp_path)
    env = {**hash_server_env(settings), "RAG_RATE_LIMIT_PER_MINUTE": "10"}
    with rag_server(env) as url, httpx.Client(timeout=30) as client:
        codes = [
            client.post(
                f"{url}/api/ask",
                json={"question": "USSM MoU value?"},
                headers={"X-Forwarded-For": f"198.51.100.{i}"},
            ).status_code
            for i in range(20)
        ]
    assert codes.count(200) <= 10 and 429 in codes
