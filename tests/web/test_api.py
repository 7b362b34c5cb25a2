"""Every route, including bad input, through TestClient on a hash-embedder pipeline."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rag.config import Settings
from rag.pipeline import Pipeline
from web.app import create_app


@pytest.fixture(scope="module")
def client(pipeline: Pipeline, hash_index: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(hash_index, pipeline)) as c:
        yield c


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "detail": None, "documents": 5}


def test_ask_returns_the_contract(client: TestClient) -> None:
    r = client.post("/api/ask", json={"question": "What was the value of the USSM MoU?", "k": 3})
    assert r.status_code == 200
    body = r.json()
    assert body["question"] == "What was the value of the USSM MoU?"
    assert body["backend"] == "extractive" and body["conflicts"] == []
    assert len(body["retrieved"]) == 3
    for c in body["citations"]:
        doc = client.get(f"/api/documents/{c['doc_id']}").json()
        assert doc["text"][c["start"] : c["end"]] == c["quote"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"question": ""}, "question"),
        ({"question": "x" * 2001}, "question"),
        ({"question": "ok?", "k": 0}, "k"),
        ({"question": "ok?", "k": 51}, "k"),
        ({"question": "ok?", "k": "many"}, "k"),
        ({}, "question"),
        ({"question": 42}, "question"),
    ],
)
def test_ask_bad_input_is_422_with_detail(client: TestClient, body: dict, field: str) -> None:
    r = client.post("/api/ask", json=body)
    assert r.status_code == 422
    assert field in r.json()["detail"]


def test_ask_blank_question_is_422(client: TestClient) -> None:
    r = client.post("/api/ask", json={"question": "   "})
    assert r.status_code == 422 and "empty" in r.json()["detail"]


def test_ask_not_json_is_422(client: TestClient) -> None:
    r = client.post("/api/ask", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"]


def test_documents_list_and_one(client: TestClient) -> None:
    docs = client.get("/api/documents").json()
    assert [d["doc_id"][:3] for d in docs] == ["000", "001", "002", "003", "004"]
    assert all(set(d) == {"doc_id", "title", "n_chars"} and d["n_chars"] > 0 for d in docs)
    one = client.get(f"/api/documents/{docs[1]['doc_id']}").json()
    assert one["title"] == docs[1]["title"] and len(one["text"]) == docs[1]["n_chars"]


def test_unknown_document_is_404(client: TestClient) -> None:
    r = client.get("/api/documents/nope")
    assert r.status_code == 404 and "nope" in r.json()["detail"]


def test_openapi_is_served(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/ask" in spec["paths"]
    assert client.get("/docs").status_code == 200


def test_missing_index_gives_503_not_a_crash(tmp_path: Path) -> None:
    settings = Settings(embedder="hash", index_dir=tmp_path, llm_backend="extractive")
    with TestClient(create_app(settings)) as c:
        assert c.get("/healthz").json()["status"] == "degraded"
        r = c.post("/api/ask", json={"question": "anything?"})
        assert r.status_code == 503 and "rag index" in r.json()["detail"]


def parse_sse(text: str) -> list[tuple[str, dict]]:
    events = []
    for frame in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in frame.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_stream_sends_tokens_then_the_answer(client: TestClient) -> None:
    r = client.post("/api/ask/stream", json={"question": "What was the value of the USSM MoU?"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(r.text)
    assert [k for k, _ in events[:-1]] == ["token"] * (len(events) - 1) and len(events) >= 2
    kind, answer = events[-1]
    assert kind == "answer" and answer["question"] == "What was the value of the USSM MoU?"
    assert {"citations", "conflicts", "warnings", "backend"} <= set(answer)


def test_stream_bad_input_is_422_before_streaming(client: TestClient) -> None:
    r = client.post("/api/ask/stream", json={"question": "  "})
    assert r.status_code == 422 and "empty" in r.json()["detail"]


def test_backend_field_is_validated_and_used(client: TestClient) -> None:
    r = client.post("/api/ask", json={"question": "USSM MoU value?", "backend": "extractive"})
    assert r.status_code == 200 and r.json()["backend"] in {"extractive", "retrieval"}
    r = client.post("/api/ask", json={"question": "USSM MoU value?", "backend": "gpt-9"})
    assert r.status_code == 422 and "backend" in r.json()["detail"]
