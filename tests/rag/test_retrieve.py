"""Fusion arithmetic and the three retrieval modes on the seeds."""

import pytest

from rag.config import Settings
from rag.embed import HashEmbedder
from rag.errors import IndexMismatchError
from rag.retrieve import Retriever, rrf
from rag.store import load_store

BOTH_STORES = True  # every test here that uses the index runs on FAISS and on Milvus Lite


def test_rrf_adds_weighted_reciprocal_ranks() -> None:
    fused = rrf([([1, 2, 3], 1.0), ([3, 1], 1.0)], k=60)
    assert [row for row, _ in fused] == [1, 3, 2]
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 62)
    assert fused[2][1] == pytest.approx(1 / 62)


def test_rrf_weights_shift_the_order() -> None:
    assert rrf([([1], 1.0), ([2], 3.0)], k=10)[0][0] == 2
    assert rrf([([1], 1.0), ([2], 0.0)], k=10)[0][0] == 1


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_each_mode_finds_the_named_person(hash_index: Settings, mode: str) -> None:
    store = load_store(hash_index.current_index, "hash-v1", 256)
    settings = hash_index.model_copy(update={"retrieval_mode": mode})
    hits = Retriever(store, HashEmbedder(), settings).search(
        "Stacy Hastie called the shipment the first step in an exciting journey", 3
    )
    assert len(hits) == 3 and [h.rank for h in hits] == [0, 1, 2]
    assert any("Stacy Hastie" in h.chunk.text for h in hits)
    assert all(-1.0 <= h.cosine <= 1.0 for h in hits)
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)


def test_modes_needing_bm25_refuse_an_index_without_it(hash_index: Settings) -> None:
    store = load_store(hash_index.current_index, "hash-v1", 256)
    store.lexical = None
    with pytest.raises(IndexMismatchError, match="BM25"):
        Retriever(store, HashEmbedder(), hash_index)


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_search_wide_adds_the_best_chunk_of_documents_left_out(
    hash_index: Settings, mode: str
) -> None:
    store = load_store(hash_index.current_index, "hash-v1", 256)
    settings = hash_index.model_copy(update={"retrieval_mode": mode})
    retriever = Retriever(store, HashEmbedder(), settings)
    query = "first shipment of rare earth elements to the United States"
    top, extra = retriever.search_wide(query, 2, 10)
    assert [h.chunk.chunk_id for h in top] == [h.chunk.chunk_id for h in retriever.search(query, 2)]
    top_docs = {h.chunk.doc_id for h in top}
    extra_docs = [h.chunk.doc_id for h in extra]
    # One chunk per further document, none of them already in the top k, ranked after it.
    assert extra_docs and len(extra_docs) == len(set(extra_docs))
    assert not top_docs & set(extra_docs)
    assert len(top_docs | set(extra_docs)) == len(store.documents)
    assert [h.rank for h in top + extra] == list(range(len(top) + len(extra)))
    assert retriever.search_wide(query, 2, 1)[1] == extra[:1]
    assert retriever.search_wide(query, 2, 0)[1] == []
