"""Every route, including bad input, through TestClient on a hash-embedder pipeline."""

import json
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rag.config import Settings
from rag.pipeline import Pipeline
from rag.types import Answer
from tests.conftest import local_client
from web.app import create_app


@pytest.fixture(scope="module")
def client(pipeline: Pipeline, hash_index: Settings) -> Iterator[TestClient]:
    with local_client(create_app(hash_index, pipeline)) as c:
        yield c


def test_healthz(client: TestClient) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["detail"] is None and body["documents"] == 5
    assert body["backend"] == "extractive"


def test_ask_returns_the_contract(client: TestClient) -> None:
    r = client.post("/api/ask", json={"question": "What was the value of the USSM MoU?", "k": 3})
    assert r.status_code == 200
    body = r.json()
    assert body["question"] == "What was the value of the USSM MoU?"
    assert body["backend"] == "extractive" and body["conflicts"] == []
    assert len(body["retrieved"]) == 3
    # The same contract as the CLI and the eval harness: every field of `Answer`, no more.
    assert set(body) == {f.name for f in fields(Answer)}
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
    assert all(d["n_chars"] > 0 and d["status"] == "indexed" for d in docs)
    assert all(d["n_pages"] is None and d["source"].endswith(".txt") for d in docs)
    one = client.get(f"/api/documents/{docs[1]['doc_id']}").json()
    assert one["title"] == docs[1]["title"] and len(one["text"]) == docs[1]["n_chars"]


def test_unknown_document_is_404(client: TestClient) -> None:
    r = client.get("/api/documents/nope")
    assert r.status_code == 404 and "nope" in r.json()["detail"]


def test_openapi_is_served(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/ask" in spec["paths"]
    assert client.get("/docs").status_code == 200


def test_missing_index_starts_empty_and_abstains_not_a_crash(tmp_path: Path) -> None:
    settings = Settings(embedder="hash", index_dir=tmp_path, llm_backend="extractive")
    with local_client(create_app(settings)) as c:
        health = c.get("/healthz").json()
        assert health["status"] == "ok" and health["documents"] == 0
        r = c.post("/api/ask", json={"question": "anything?"})
        assert r.status_code == 200 and r.json()["abstained"] and not r.json()["citations"]


def parse_sse(text: str) -> list[tuple[str, dict]]:
    events = []
    for frame in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in frame.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_stream_sends_the_answer(client: TestClient) -> None:
    r = client.post("/api/ask/stream", json={"question": "What was the value of the USSM MoU?"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(r.text)
    # Extractive: nothing to wait for, so the verified answer is the one event.
    assert [k for k, _ in events] == ["answer"]
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


def test_follow_up_is_rewritten_and_returned(client: TestClient) -> None:
    history = [
        {"role": "user", "content": "What was the value of the USSM MoU?"},
        {"role": "assistant", "content": "$500 million [1]."},
    ]
    r = client.post("/api/ask", json={"question": "And who attended?", "history": history})
    assert r.status_code == 200
    body = r.json()
    assert body["question"] == "And who attended?"
    assert body["rewritten_question"] == "Who attended (about: value USSM MoU)?"
    r = client.post("/api/ask", json={"question": "Who is the CEO of USSM?", "history": history})
    assert r.json()["rewritten_question"] is None


@pytest.mark.parametrize(
    "history",
    [
        [{"role": "robot", "content": "x"}],
        [{"role": "user"}],
        [{"role": "user", "content": "x"}] * 21,
        "not a list",
    ],
)
def test_bad_history_is_422(client: TestClient, history: object) -> None:
    r = client.post("/api/ask", json={"question": "And who attended?", "history": history})
    assert r.status_code == 422 and "history" in r.json()["detail"]


def test_feedback_round_trip(client: TestClient, hash_index: Settings) -> None:
    entry = {
        "rating": "down",
        "question": "q?",
        "answer": "a [1].",
        "citations": [{"n": 1, "doc_id": "001"}],
        "comment": "wrong figure",
    }
    r = client.post("/api/feedback", json=entry)
    assert r.status_code == 201 and r.json()["at"]
    page = client.get("/api/feedback", params={"limit": 100}).json()
    listed = page["entries"]
    assert listed[-1]["rating"] == "down" and listed[-1]["comment"] == "wrong figure"
    assert page["total"] == len(listed) and page["offset"] == 0
    assert (hash_index.data_dir / "feedback.sqlite3").exists()
    assert client.get("/api/feedback", params={"limit": 101}).status_code == 422


@pytest.mark.parametrize(
    "entry",
    [
        {"rating": "meh", "question": "q?", "answer": "a"},
        {"rating": "up", "question": "", "answer": "a"},
        {"rating": "up", "answer": "a"},
    ],
)
def test_bad_feedback_is_422(client: TestClient, entry: dict) -> None:
    assert client.post("/api/feedback", json=entry).status_code == 422


def test_documents_page_and_viewer_highlight(client: TestClient) -> None:
    html = client.get("/documents").text
    assert "/documents/001_4b721e759557e2e7" in html
    doc = client.get("/api/documents/004_b9c658504fe4f554").json()
    start = doc["text"].index("Stacy Hastie")
    page = client.get(f"/documents/004_b9c658504fe4f554?start={start}&end={start + 12}").text
    assert '<mark id="highlight">Stacy Hastie</mark>' in page
    assert client.get("/documents/nope").status_code == 404
    # Out-of-range offsets show the document without a highlight rather than failing.
    assert "<mark" not in client.get("/documents/004_b9c658504fe4f554?start=5&end=999999").text


def test_openai_models_and_completion(client: TestClient) -> None:
    assert client.get("/v1/models").json()["data"][0]["id"] == "minerals-rag"
    body = {
        "model": "minerals-rag",
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "What was the value of the USSM MoU?"},
        ],
    }
    r = client.post("/v1/chat/completions", json=body)
    assert r.status_code == 200
    data = r.json()
    assert data["object"] == "chat.completion"
    content = data["choices"][0]["message"]["content"]
    assert "[1]" in content and data["citations"][0]["n"] == 1


def test_openai_streaming_completion(client: TestClient) -> None:
    body = {
        "messages": [{"role": "user", "content": "What was the value of the USSM MoU?"}],
        "stream": True,
    }
    r = client.post("/v1/chat/completions", json=body)
    frames = [f[6:] for f in r.text.strip().split("\n\n")]
    assert frames[-1] == "[DONE]"
    chunks = [json.loads(f) for f in frames[:-1]]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop" and chunks[-1]["citations"]


@pytest.mark.parametrize(
    "body",
    [
        {"messages": []},
        {"messages": [{"role": "assistant", "content": "hi"}]},
        {"messages": [{"role": "user", "content": ""}]},
        {"messages": [{"role": "wizard", "content": "hi"}]},
        {"messages": [{"role": "user", "content": "   "}], "stream": True},
    ],
)
def test_openai_bad_input_is_422(client: TestClient, body: dict) -> None:
    r = client.post("/v1/chat/completions", json=body)
    assert r.status_code == 422 and r.json()["detail"]
