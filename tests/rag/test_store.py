import json
from pathlib import Path

import faiss
import numpy as np
import pytest

from rag.chunk import chunk_text_for_index
from rag.embed import HashEmbedder
from rag.errors import IndexMismatchError, IndexNotFoundError
from rag.pipeline import Pipeline, build_index
from rag.store import load_store
from tests.conftest import hash_settings


def test_round_trip_keeps_chunks_documents_and_vectors(tmp_path: Path) -> None:
    settings = hash_settings(tmp_path)
    build = build_index(settings)
    store = load_store(settings.current_index, "hash-v1", 256)
    manifest = store.manifest
    assert manifest["embedding_model"] == "hash-v1"
    assert manifest["dimension"] == 256
    assert manifest["chunking"] == {"size": 800, "overlap": 100, "title_in_chunks": True}
    assert manifest["index_type"] == "IndexFlatIP" and manifest["bm25"] is True
    assert set(manifest["corpus"]) == set(store.documents)
    assert all(len(h) == 64 for h in manifest["corpus"].values())
    assert manifest["n_chunks"] == len(store.chunks) == store.index.ntotal
    assert settings.current_index.resolve() == build.resolve()
    # The stored vector of a chunk finds that chunk first.
    chunk = store.chunks[7]
    title = store.documents[chunk.doc_id].title
    vector = HashEmbedder().embed([chunk_text_for_index(title, chunk.text, True)])[0]
    assert store.search(vector, 1)[0][0] == 7
    for c in store.chunks:
        assert store.documents[c.doc_id].text[c.start : c.end] == c.text
    assert not list(tmp_path.glob("*.pkl")) and not list(build.glob("*.pkl"))


def test_missing_index_says_how_to_build(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError, match="rag index"):
        Pipeline.load(hash_settings(tmp_path), HashEmbedder())


def test_other_embedder_or_dimension_is_refused(hash_index) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(IndexMismatchError, match="rebuild"):
        load_store(hash_index.current_index, "sentence-transformers/all-MiniLM-L6-v2", 384)
    with pytest.raises(IndexMismatchError, match="rebuild"):
        load_store(hash_index.current_index, "hash-v1", 128)


def test_damaged_index_is_refused(tmp_path: Path) -> None:
    settings = hash_settings(tmp_path)
    build_index(settings)
    (settings.current_index / "chunks.json").write_text("[]")
    with pytest.raises(IndexMismatchError, match="rebuild"):
        load_store(settings.current_index, "hash-v1", 256)


def test_interrupted_build_leaves_previous_index_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = hash_settings(tmp_path)
    first = build_index(settings)
    before = json.loads((settings.current_index / "manifest.json").read_text())

    def crash(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(faiss, "write_index", crash)
    with pytest.raises(KeyboardInterrupt):
        build_index(settings, rebuild=True)
    assert settings.current_index.resolve() == first.resolve()
    assert json.loads((settings.current_index / "manifest.json").read_text()) == before
    assert not list(tmp_path.glob("*.tmp")), "temporary build folder left behind"
    load_store(settings.current_index, "hash-v1", 256)


def test_rebuild_replaces_old_builds_keeping_the_previous_one(tmp_path: Path) -> None:
    settings = hash_settings(tmp_path)
    first = build_index(settings)
    assert build_index(settings) == first, "nothing changed: nothing is written"
    second = build_index(settings, rebuild=True)
    third = build_index(settings, rebuild=True)
    assert settings.current_index.resolve() == third.resolve()
    assert second.exists(), "the previous build stays for servers still loading it"
    assert not first.exists()


def test_vector_count_must_match_chunks(tmp_path: Path) -> None:
    from rag.store import write_store

    with pytest.raises(ValueError, match="vectors"):
        write_store(tmp_path, [], [], np.zeros((2, 4), dtype=np.float32), {})


def test_large_corpora_get_an_hnsw_index(tmp_path: Path) -> None:
    settings = hash_settings(tmp_path, hnsw_min_vectors=10)
    build_index(settings)
    store = load_store(settings.current_index, "hash-v1", 256)
    assert store.manifest["index_type"] == "IndexHNSWFlat"
    assert store.index.hnsw.efSearch == 256
    chunk = store.chunks[3]
    title = store.documents[chunk.doc_id].title
    vector = HashEmbedder().embed([chunk_text_for_index(title, chunk.text, True)])[0]
    assert store.search(vector, 1)[0][0] == 3


def test_bm25_round_trip(hash_index) -> None:  # type: ignore[no-untyped-def]
    store = load_store(hash_index.current_index, "hash-v1", 256)
    assert store.lexical is not None
    [(row, score)] = store.lexical.search("Stacy Hastie", 1)
    assert "Stacy Hastie" in store.chunks[row].text and score > 0
    assert store.lexical.search("qwxyzzy", 5) == []
