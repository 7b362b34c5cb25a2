"""A real uvicorn server on 127.0.0.1 started through `rag serve`, stopped by the test."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from rag.config import Settings
from tests.servers import rag_server

pytestmark = [pytest.mark.slow, pytest.mark.integration]


@pytest.fixture(scope="module")
def server(real_settings: Settings) -> Iterator[str]:
    env = {
        "RAG_INDEX_DIR": str(real_settings.index_dir),
        "RAG_EMBEDDER": "minilm",
        "RAG_LLM_BACKEND": "extractive",
        "RAG_DATA_DIR": str(real_settings.index_dir / "data"),
    }
    with rag_server(env) as url:
        yield url


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


def test_openai_client_gets_a_cited_answer(server: str) -> None:
    from openai import OpenAI

    client = OpenAI(base_url=f"{server}/v1", api_key="unused", max_retries=0)
    assert [m.id for m in client.models.list()] == ["minerals-rag"]
    done = client.chat.completions.create(
        model="minerals-rag",
        messages=[{"role": "user", "content": "What was the value of the USSM MoU?"}],
    )
    text = done.choices[0].message.content or ""
    assert "$500 million" in text and "[1]" in text
    assert done.model_extra and done.model_extra["citations"][0]["verified"]
    stream = client.chat.completions.create(
        model="minerals-rag",
        messages=[{"role": "user", "content": "What was the value of the USSM MoU?"}],
        stream=True,
    )
    streamed = "".join(chunk.choices[0].delta.content or "" for chunk in stream)
    assert "$500 million" in streamed and "[1]" in streamed
