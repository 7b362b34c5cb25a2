"""The Milvus store (Milvus Lite) through the same commits as FAISS: add, update, delete, reuse of
vectors, cleanup of old collections, and answers identical to the FAISS store's."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from rag import milvus
from rag.embed import HashEmbedder
from rag.indexer import commit, sync
from rag.pipeline import Pipeline
from rag.store import load_store
from rag.types import Document
from tests.conftest import SEEDS, hash_settings

QUESTIONS = [
    "What was the value of the USSM MoU?",
    "Who is the CEO of U.S. Strategic Metals?",
    "When was the first shipment of critical minerals sent to the US?",
    "What is the population of Balochistan?",
]


def test_add_update_delete_and_cleanup_on_milvus(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    settings = hash_settings(tmp_path / "index", sources=[corpus], store="milvus")
    first = sync(settings, embedder=HashEmbedder())
    store = load_store(settings.current_index, "hash-v1", 256)
    assert store.manifest["vectors"]["kind"] == "milvus" and not list(
        settings.current_index.glob("vectors.faiss")
    )
    assert store.index.ntotal == len(store.chunks) == first.embedded_chunks
    np.testing.assert_allclose(store.vectors()[3], store.index.reconstruct(3), rtol=1e-6)

    new = Document("new", "New", "New note\n\nThe tungsten mine reopened in 2026.")
    added = commit(settings, lambda old: [*old.values(), new], HashEmbedder())
    assert added.embedded_chunks == 1 and added.reused_chunks == first.embedded_chunks
    changed = Document("new", "New", "New note\n\nThe tungsten mine reopened in 2027.")
    commit(settings, lambda old: [*[d for d in old.values() if d.doc_id != "new"], changed])
    pipeline = Pipeline.load(settings, HashEmbedder())
    assert "2027" in pipeline.answer("When did the tungsten mine reopen?").answer
    commit(settings, lambda old: [d for d in old.values() if d.doc_id != "new"], HashEmbedder())
    pipeline = Pipeline.load(settings, HashEmbedder())
    answer = pipeline.answer("When did the tungsten mine reopen?")
    assert all(c.doc_id != "new" for c in answer.citations)

    live = {
        load_store(b, "hash-v1", 256).manifest["vectors"]["collection"]
        for b in settings.index_dir.glob("build-*")
    }
    client = milvus.client(settings.milvus_target)
    assert set(c for c in client.list_collections() if c.startswith("rag_")) == live


def test_milvus_answers_equal_faiss_answers(tmp_path: Path) -> None:
    answers = {}
    for store in ("faiss", "milvus"):
        settings = hash_settings(tmp_path / store, store=store)
        sync(settings, embedder=HashEmbedder())
        pipeline = Pipeline.load(settings, HashEmbedder())
        answers[store] = [pipeline.answer(q) for q in QUESTIONS]
    for a, b in zip(answers["faiss"], answers["milvus"], strict=True):
        assert a.answer == b.answer and a.retrieved == b.retrieved
