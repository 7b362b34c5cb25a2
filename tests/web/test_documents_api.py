"""Upload, ask, replace, delete through the API (hash embedder, real parsers, real commits),
and the guards around it: keys, Host, body size, rate, headers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rag.embed import HashEmbedder
from rag.indexer import sync
from rag.pipeline import Pipeline
from tests.conftest import SEEDS, hash_settings, local_client, own_index
from tests.documents import docx_bytes, html_bytes, pdf_bytes
from web.app import create_app

PDF = pdf_bytes(
    [
        "Annual report of the Zarkan mining company.",
        "The Zarkan smelter processed 48,000 tonnes of bauxite in 2025.",
    ],
    title="Zarkan annual report",
)
HTML = html_bytes(
    "Velmora port news", "Velmora port", ["The Velmora port handled 912 ore ships last year."]
)
DOCX = docx_bytes(["Quill Ridge memo", "The Quill Ridge quarry employs 731 workers."])


def make_client(tmp_path: Path, **overrides: Any) -> TestClient:
    settings = own_index(tmp_path, **overrides)
    return local_client(create_app(settings, Pipeline.load(settings, HashEmbedder())))


@pytest.fixture()
def client(tmp_path: Path) -> Iterator[TestClient]:
    with make_client(tmp_path) as c:
        yield c


def upload(client: TestClient, *files: tuple[str, bytes], **kw: Any) -> Any:
    return client.post("/api/documents", files=[("files", f) for f in files], **kw)


def test_upload_pdf_html_docx_then_ask_each_with_exact_citations(client: TestClient) -> None:
    r = upload(client, ("zarkan.pdf", PDF), ("velmora.html", HTML), ("quill.docx", DOCX))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["errors"] == [] and body["build"]
    by_id = {d["doc_id"]: d for d in body["documents"]}
    assert set(by_id) == {"zarkan", "velmora", "quill"}
    assert by_id["zarkan"]["n_pages"] == 2 and by_id["zarkan"]["title"] == "Zarkan annual report"
    assert by_id["velmora"]["title"] == "Velmora port news" and by_id["quill"]["source"] == "upload"

    cases = [
        ("How many tonnes of bauxite did the Zarkan smelter process?", "zarkan", "48,000"),
        ("How many ore ships did the Velmora port handle?", "velmora", "912"),
        ("How many workers does the Quill Ridge quarry employ?", "quill", "731"),
    ]
    for question, doc_id, value in cases:
        answer = client.post("/api/ask", json={"question": question}).json()
        assert not answer["abstained"] and value in answer["answer"], answer
        cite = next(c for c in answer["citations"] if c["doc_id"] == doc_id)
        text = client.get(f"/api/documents/{doc_id}").json()["text"]
        assert text[cite["start"] : cite["end"]] == cite["quote"] and cite["verified"]
        assert cite["page"] == (2 if doc_id == "zarkan" else None)


def test_delete_then_no_answer_cites_it(client: TestClient) -> None:
    assert upload(client, ("zarkan.pdf", PDF)).status_code == 201
    question = "How many tonnes of bauxite did the Zarkan smelter process?"
    before = client.post("/api/ask", json={"question": question}).json()
    assert any(c["doc_id"] == "zarkan" for c in before["citations"])
    r = client.delete("/api/documents/zarkan")
    assert r.status_code == 200 and r.json()["deleted"] == "zarkan"
    after = client.post("/api/ask", json={"question": question}).json()
    assert all(c["doc_id"] != "zarkan" for c in after["citations"])
    assert all(p["doc_id"] != "zarkan" for p in after["retrieved"])
    assert client.get("/api/documents/zarkan").status_code == 404
    assert client.delete("/api/documents/zarkan").status_code == 404
    assert "zarkan" not in {d["doc_id"] for d in client.get("/api/documents").json()}


def test_replace_and_conflicts(client: TestClient, tmp_path: Path) -> None:
    assert upload(client, ("quill.docx", DOCX)).status_code == 201
    again = upload(client, ("quill.docx", DOCX))
    assert again.status_code == 409 and "PUT /api/documents/quill" in again.json()["detail"]
    new = docx_bytes(["Quill Ridge memo", "The Quill Ridge quarry employs 802 workers."])
    r = client.put("/api/documents/quill", files={"file": ("quill-v2.docx", new)})
    assert r.status_code == 200, r.text
    answer = client.post(
        "/api/ask", json={"question": "How many workers does the Quill Ridge quarry employ?"}
    ).json()
    assert "802" in answer["answer"] and "731" not in answer["answer"]
    uploads = tmp_path / "index" / "uploads"
    assert [p.name for p in uploads.iterdir()] == ["quill.docx"]


def test_bad_files_are_reported_and_the_rest_added(client: TestClient) -> None:
    r = upload(
        client,
        ("good.txt", b"Good news\n\nThe Olbrin mine reopened in 2026."),
        ("bad.pdf", b"%PDF-1.4 broken"),
        ("virus.exe", b"MZ\x00\x00"),
    )
    assert r.status_code == 201
    assert [d["doc_id"] for d in r.json()["documents"]] == ["good"]
    errors = {e["file"]: e["detail"] for e in r.json()["errors"]}
    assert "cannot read this .pdf" in errors["bad.pdf"]
    assert "unsupported file type" in errors["virus.exe"]
    only_bad = upload(client, ("bad.pdf", b"%PDF-1.4 broken"))
    assert only_bad.status_code == 422 and only_bad.json()["errors"]


def test_keys_guard_changes_and_optionally_reads(tmp_path: Path) -> None:
    with make_client(tmp_path, api_keys="k1,k2", keys_for_reads=False) as c:
        r = upload(c, ("quill.docx", DOCX))
        assert r.status_code == 401 and "Bearer" in r.json()["detail"]
        assert r.headers["www-authenticate"] == "Bearer"
        bad = {"Authorization": "Bearer nope"}
        assert upload(c, ("quill.docx", DOCX), headers=bad).status_code == 401
        assert c.delete("/api/documents/x").status_code == 401
        assert c.get("/api/feedback").status_code == 401
        good = {"Authorization": "Bearer k2"}
        assert upload(c, ("quill.docx", DOCX), headers=good).status_code == 201
        assert c.post("/api/ask", json={"question": "USSM MoU value?"}).status_code == 200
    with make_client(tmp_path / "b", api_keys="k1", keys_for_reads=True) as c:
        assert c.post("/api/ask", json={"question": "USSM MoU value?"}).status_code == 401
        assert c.get("/v1/models").status_code == 401
        assert c.get("/healthz").status_code == 200
        ok = c.get("/api/documents", headers={"Authorization": "Bearer k1"})
        assert ok.status_code == 200


def test_without_keys_changes_come_only_from_this_machine_and_its_pages(tmp_path: Path) -> None:
    settings = own_index(tmp_path)
    app = create_app(settings, Pipeline.load(settings, HashEmbedder()))
    remote = TestClient(app, base_url="http://127.0.0.1", client=("192.0.2.7", 4000))
    with remote:
        assert upload(remote, ("quill.docx", DOCX)).status_code == 401
        assert remote.post("/api/ask", json={"question": "USSM MoU value?"}).status_code == 200
    with local_client(app) as local:
        cross = upload(local, ("quill.docx", DOCX), headers={"Origin": "https://evil.example"})
        assert cross.status_code == 403
        other_app = {"Origin": "http://localhost:3000"}  # another local web app
        assert upload(local, ("quill.docx", DOCX), headers=other_app).status_code == 403
        same = upload(local, ("quill.docx", DOCX), headers={"Origin": "http://127.0.0.1"})
        assert same.status_code == 201


def test_host_header_body_size_rate_and_headers(tmp_path: Path) -> None:
    with make_client(tmp_path, max_upload_mb=1, max_body_kb=4, rate_limit_per_minute=6) as c:
        page = c.get("/")
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp and page.headers["x-content-type-options"] == "nosniff"
        assert "access-control-allow-origin" not in page.headers
        docs = c.get("/docs").headers["content-security-policy"]
        assert "unsafe-inline" in docs and "frame-ancestors 'none'" in docs
        rebind = c.get("/api/documents", headers={"Host": "attacker.example"})
        assert rebind.status_code == 400 and "RAG_ALLOWED_HOSTS" in rebind.json()["detail"]
        big = upload(c, ("big.txt", b"word " * 300_000))
        assert big.status_code == 413 and "1 MB" in big.json()["detail"]
        long = c.post("/api/ask", json={"question": "x" * 10, "history": [], "pad": "y" * 9000})
        assert long.status_code == 413
        codes = [c.get("/api/documents").status_code for _ in range(8)]
        assert 429 in codes and codes[0] == 200
        limited = c.get("/api/documents")
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        assert c.get("/healthz").status_code == 200, "health checks are never rate limited"


def test_serving_beyond_loopback_without_keys_is_refused(tmp_path: Path) -> None:
    import subprocess
    import sys

    env = {"RAG_INDEX_DIR": str(tmp_path), "RAG_API_KEYS": "", "PATH": "/usr/bin:/bin"}
    cmd = [sys.executable, "-m", "rag.cli", "serve", "--host", "0.0.0.0", "--port", "1"]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert (
        out.returncode == 2 and "without API keys" in out.stderr and "Traceback" not in out.stderr
    )


def test_links_to_ids_with_hash_or_question_mark_are_url_encoded(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "odd #1?.txt").write_text(
        "Odd name\n\nThe Pellham mine shipped 12 cargoes of {{ 7*7 }} ore in 2024."
    )
    settings = hash_settings(tmp_path / "index", sources=[corpus])
    sync(settings, embedder=HashEmbedder())
    with local_client(create_app(settings, Pipeline.load(settings, HashEmbedder()))) as c:
        listing = c.get("/documents").text
        assert 'href="/documents/odd%20%231%3F"' in listing
        page = c.get("/documents/odd%20%231%3F")
        assert page.status_code == 200 and "{{ 7*7 }}" in page.text and ">49<" not in page.text
        answer = c.get("/", params={"q": "How many cargoes did the Pellham mine ship?"}).text
        assert "/documents/odd%20%231%3F?start=" in answer and "{{ 7*7 }}" in answer


def test_a_server_started_before_the_index_serves_it_once_built(tmp_path: Path) -> None:
    import time

    settings = hash_settings(tmp_path / "index")
    with local_client(create_app(settings)) as c:
        r = c.post("/api/ask", json={"question": "What was the value of the USSM MoU?"})
        assert r.status_code == 200 and r.json()["abstained"]  # started empty
        sync(settings, embedder=HashEmbedder())
        time.sleep(1.1)
        # /healthz reads the `current` link itself: no /api request is needed first
        assert c.get("/healthz").json()["documents"] == len(list(SEEDS.glob("*.txt")))
        r = c.post("/api/ask", json={"question": "What was the value of the USSM MoU?"})
        assert r.status_code == 200 and r.json()["citations"]
        assert c.get("/healthz").json()["status"] == "ok"


def test_a_server_without_an_index_accepts_the_first_upload(tmp_path: Path) -> None:
    settings = hash_settings(tmp_path / "index")
    with local_client(create_app(settings)) as c:
        data = html_bytes("Pellham", "Pellham mine", ["The Pellham mine shipped 12 cargoes."])
        r = c.post("/api/documents", files={"files": ("pellham.html", data, "text/html")})
        assert r.status_code == 201, r.text
        answer = c.post(
            "/api/ask", json={"question": "How many cargoes did the Pellham mine ship?"}
        )
        assert "12" in answer.json()["answer"] and answer.json()["citations"]


def test_unicode_and_very_long_file_names_get_their_own_ids(client: TestClient) -> None:
    page = html_bytes("Velmora", "Velmora port", ["The Velmora port handled 912 ore ships."])
    r = upload(client, ("документ.html", page), ("文件.html", page), ("x" * 300 + ".html", page))
    assert r.status_code == 201, r.text
    ids = [d["doc_id"] for d in r.json()["documents"]]
    assert ids[:2] == ["документ", "文件"] and len(ids[2].encode()) <= 120
    assert client.get("/api/documents/документ").status_code == 200


def test_keys_for_reads_cover_the_pages_which_ask_for_the_key(tmp_path: Path) -> None:
    with make_client(tmp_path, api_keys="s3cret", keys_for_reads=True) as c:
        for path in ("/", "/documents", "/documents/000_35ef4d447a165ede", "/?q=USSM+MoU+value"):
            r = c.get(path)
            assert r.status_code == 401 and 'id="key-form"' in r.text, path
            assert "500 million" not in r.text
        assert c.get("/static/key.js").status_code == 200
        assert c.get("/", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        c.cookies.set("rag_key", "s3cret")  # what /static/key.js sets from the typed key
        assert c.get("/documents").status_code == 200
        assert "500 million" in c.get("/", params={"q": "What was the value of the USSM MoU?"}).text
        # the page's upload form works with the cookie, from the page's own origin only
        assert (
            upload(c, ("quill.docx", DOCX), headers={"Origin": "http://127.0.0.1"}).status_code
            == 201
        )
        foreign = {"Origin": "http://localhost:3000"}
        assert upload(c, ("velmora.html", HTML), headers=foreign).status_code == 403
        c.cookies.set("rag_key", "wrong")
        assert c.get("/documents").status_code == 401
