"""Incremental, locked, atomic index commits: only changed documents are embedded, deletes
leave no searchable trace, concurrent writers never leave `current` invalid."""

from __future__ import annotations

import multiprocessing
import shutil
from pathlib import Path

import numpy as np

from rag.embed import HashEmbedder
from rag.indexer import commit, sync
from rag.pipeline import Pipeline
from rag.store import load_store, write_store
from rag.types import Chunk, Document
from tests.conftest import SEEDS, hash_settings


class CountingEmbedder(HashEmbedder):
    """The hash embedder, counting the texts it is asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.embedded = 0

    def embed(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        self.embedded += len(texts)
        return super().embed(texts, progress=progress)


def test_sync_embeds_only_new_or_changed_files_and_drops_removed_ones(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    settings = hash_settings(tmp_path / "index", sources=[corpus])
    embedder = CountingEmbedder()
    first = sync(settings, embedder=embedder)
    total = embedder.embedded
    assert first.embedded_chunks == total > 0 and len(first.added) == 5

    again = sync(settings, embedder=embedder)
    assert embedder.embedded == total and again.build is None and again.unchanged == 5

    changed = sorted(corpus.glob("*.*"))[0]
    changed.write_text(changed.read_text() + "\n\nA new closing paragraph about cobalt.")
    removed = sorted(corpus.glob("*.*"))[1]
    removed.unlink()
    (corpus / "new.txt").write_text("New note\n\nThe tungsten mine reopened in 2026.")
    result = sync(settings, embedder=embedder)
    assert result.replaced == [changed.stem] and result.removed == [removed.stem]
    assert result.added == ["new"] and result.unchanged == 3
    store = load_store(settings.current_index, "hash-v1", 256)
    own = [c for c in store.chunks if c.doc_id in (changed.stem, "new")]
    assert embedder.embedded - total == result.embedded_chunks == len(own)
    assert result.reused_chunks == len(store.chunks) - len(own)
    assert removed.stem not in store.documents
    assert all(c.doc_id != removed.stem for c in store.chunks)
    # Reused vectors are the vectors of those chunks: each still finds itself first.
    for row in (0, len(store.chunks) - 1):
        found = store.search(store.vectors()[row], 1)[0][0]
        assert store.chunks[found].text == store.chunks[row].text


def test_a_deleted_document_is_never_cited_again(tmp_path: Path) -> None:
    settings = hash_settings(tmp_path)
    sync(settings, embedder=HashEmbedder())
    before = Pipeline.load(settings, HashEmbedder())
    answer = before.answer("What was the value of the USSM MoU?")
    cited = {c.doc_id for c in answer.citations}
    assert cited
    commit(settings, lambda old: [d for d in old.values() if d.doc_id not in cited], HashEmbedder())
    after = before.with_store(load_store(settings.current_index, "hash-v1", 256))
    answer = after.answer("What was the value of the USSM MoU?")
    assert not cited & {c.doc_id for c in answer.citations}
    assert not cited & {p.chunk.doc_id for p in after.passages("USSM MoU value", 20)}
    assert cited <= set(before.documents), "a request holding the old pipeline finishes on it"


def _commit_many(index_dir: str, worker: int, n: int) -> list[str]:
    problems = []
    for i in range(n):
        text = f"worker {worker} commit {i}"
        doc = Document(f"d{worker}", "t", text)
        chunk = Chunk(f"d{worker}#0", doc.doc_id, text, 0, len(text))
        vectors = np.ones((1, 4), dtype=np.float32)
        write_store(Path(index_dir), [doc], [chunk], vectors, {"embedding_model": "x"})
        try:
            load_store(Path(index_dir) / "current", "x", 4)
        except Exception as exc:
            problems.append(f"{type(exc).__name__}: {exc}")
    return problems


def test_300_concurrent_commits_leave_current_valid_every_time(tmp_path: Path) -> None:
    with multiprocessing.get_context("fork").Pool(6) as pool:
        results = pool.starmap(_commit_many, [(str(tmp_path), w, 50) for w in range(6)])
    assert [p for r in results for p in r] == []
    load_store(tmp_path / "current", "x", 4)
    assert len(list(tmp_path.glob("build-*"))) <= 2, "old builds are cleaned up"
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".current-*"))


def test_deleting_every_document_leaves_an_index_that_loads_and_abstains(tmp_path: Path) -> None:
    settings = hash_settings(tmp_path)
    sync(settings, embedder=HashEmbedder())
    commit(settings, lambda old: [], HashEmbedder())
    pipeline = Pipeline.load(settings, HashEmbedder())
    assert pipeline.documents == {}
    answer = pipeline.answer("What was the value of the USSM MoU?")
    assert answer.abstained and answer.citations == []


def test_a_change_after_new_chunking_keeps_every_document(tmp_path: Path) -> None:
    settings = hash_settings(tmp_path)
    sync(settings, embedder=HashEmbedder())
    before = set(load_store(settings.current_index, "hash-v1", 256).documents)
    rechunked = settings.model_copy(update={"chunk_size": 400, "chunk_overlap": 50})
    new = Document("new", "New", "The tungsten mine reopened in 2026.")
    result = commit(rechunked, lambda old: [*old.values(), new], HashEmbedder())
    store = load_store(settings.current_index, "hash-v1", 256)
    assert set(store.documents) == before | {"new"}, "the vectors are redone, not the documents"
    assert result.reused_chunks == 0 and store.manifest["chunking"]["size"] == 400


def test_a_damaged_index_is_not_mistaken_for_an_empty_one(tmp_path: Path) -> None:
    import pytest

    from rag.errors import IndexMismatchError

    settings = hash_settings(tmp_path)
    sync(settings, embedder=HashEmbedder())
    (settings.current_index / "documents.json").write_text("{broken")
    new = Document("new", "New", "The tungsten mine reopened in 2026.")
    with pytest.raises(IndexMismatchError, match="rag index --rebuild"):
        commit(settings, lambda old: [*old.values(), new], HashEmbedder())
    result = sync(settings, embedder=HashEmbedder())  # from the sources: repaired
    assert len(result.added) == 5 and load_store(settings.current_index, "hash-v1", 256).chunks


def test_rag_index_over_no_documents_starts_an_empty_index(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    settings = hash_settings(tmp_path / "index", sources=[empty])
    result = sync(settings, embedder=HashEmbedder())
    assert any("the index is empty" in n for n in result.notes)
    pipeline = Pipeline.load(settings, HashEmbedder())
    assert pipeline.documents == {}
    assert pipeline.answer("What was the value of the USSM MoU?").abstained
