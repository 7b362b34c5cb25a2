"""LLM work cannot take the server down: a real uvicorn server on 127.0.0.1 whose local backend is
a slow fake on the real worker (one job at a time, bounded queue, cancel on disconnect)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence

import httpx
import pytest
import uvicorn

from rag.config import Settings
from rag.embed import HashEmbedder
from rag.generators.worker import Budget, SerialWorker
from rag.pipeline import Pipeline
from rag.types import Passage
from tests.conftest import local_client
from tests.servers import free_port
from web.app import create_app

QUESTION = "What was the value of the USSM MoU?"


class SlowLocal:
    """Stands in for llama.cpp: copies the best passage's first words, `delay` s a token."""

    name = "local"

    def __init__(self, delay: float, queue: int) -> None:
        self.delay = delay
        self.worker = SerialWorker("local", queue)
        self.tokens = 0

    def full(self) -> bool:
        return self.worker.full()

    def stream(
        self,
        question: str,
        passages: Sequence[Passage],
        budget: Budget,
        leads: Sequence[str] = (),
    ) -> Iterator[str]:
        words = passages[0].prompt_text.split()[:12]

        def produce(b: Budget) -> Iterator[str]:
            for w in words:
                time.sleep(self.delay)
                self.tokens += 1
                yield w + " "
            yield f"[{passages[0].n}]."

        return self.worker.stream(produce, budget)


@pytest.fixture()
def server(hash_index: Settings) -> Iterator[tuple[str, SlowLocal]]:
    settings = hash_index.model_copy(
        update={"llm_backend": "local", "top_k": 10, "llm_queue": 2, "llm_deadline_s": 6.0}
    )
    pipeline = Pipeline.load(settings, HashEmbedder())
    fake = SlowLocal(delay=0.1, queue=2)
    pipeline.backends._built["local"] = fake
    port = free_port()
    config = uvicorn.Config(create_app(settings, pipeline), host="127.0.0.1", port=port)
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    try:
        yield url, fake
    finally:
        srv.should_exit = True
        thread.join(10)


def test_saturated_llm_leaves_health_and_extractive_fast(server: tuple[str, SlowLocal]) -> None:
    url, _ = server
    results: list[int] = []
    retry_after: list[str] = []

    def local_stream() -> None:
        with httpx.stream(
            "POST", f"{url}/api/ask/stream", json={"question": QUESTION}, timeout=30
        ) as r:
            results.append(r.status_code)
            if r.status_code == 503:
                retry_after.append(r.headers.get("retry-after", ""))
            r.read()

    def aborted_stream() -> None:
        with httpx.stream(
            "POST", f"{url}/api/ask/stream", json={"question": QUESTION}, timeout=30
        ) as r:
            for _ in r.iter_bytes():
                break  # the tab is closed after the first bytes

    threads = [threading.Thread(target=aborted_stream)]
    threads += [threading.Thread(target=local_stream) for _ in range(12)]
    for t in threads:
        t.start()
    health, extractive = [], []
    for _ in range(20):
        t0 = time.perf_counter()
        assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200
        health.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        r = httpx.post(
            f"{url}/api/ask", json={"question": QUESTION, "backend": "extractive"}, timeout=10
        )
        assert r.status_code == 200 and r.json()["backend"] == "extractive"
        extractive.append(time.perf_counter() - t0)
    for t in threads:
        t.join(30)
    # Loose bounds for a busy CI machine; bench/throughput.py measures the real numbers.
    assert max(health) < 1.0, health
    assert sorted(extractive)[len(extractive) // 2] < 1.0, extractive
    assert results.count(200) >= 2 and set(results) <= {200, 503}, results
    assert all(int(v) > 0 for v in retry_after)
    # The model is free again: a normal local answer comes through.
    r = httpx.post(f"{url}/api/ask", json={"question": QUESTION}, timeout=30)
    assert r.status_code == 200 and r.json()["backend"] == "local", r.json()["decision"]


def test_a_closed_stream_stops_its_generation(server: tuple[str, SlowLocal]) -> None:
    url, fake = server
    with httpx.stream(
        "POST", f"{url}/api/ask/stream", json={"question": QUESTION}, timeout=30
    ) as r:
        for _ in r.iter_lines():
            break
    time.sleep(0.6)
    done = fake.tokens
    time.sleep(0.6)
    assert fake.tokens - done <= 1, "the abandoned answer kept generating"
    t0 = time.perf_counter()
    r = httpx.post(f"{url}/api/ask", json={"question": QUESTION}, timeout=30)
    assert r.status_code == 200 and r.json()["backend"] == "local"
    assert time.perf_counter() - t0 < 5


def test_requests_may_only_pick_allowed_backends(hash_index: Settings) -> None:

    pipeline = Pipeline.load(hash_index, HashEmbedder())  # configured: extractive
    with local_client(create_app(hash_index, pipeline)) as client:
        r = client.post("/api/ask", json={"question": QUESTION, "backend": "local"})
        assert r.status_code == 422 and "not enabled on this server" in r.json()["detail"]
        r = client.post("/api/ask/stream", json={"question": QUESTION, "backend": "local"})
        assert r.status_code == 422
    assert "local" not in pipeline.backends._built  # no model was loaded for it
