"""Query -> ranked Hits: dense (FAISS), BM25, or both fused by weighted reciprocal rank."""

from __future__ import annotations

from collections.abc import Sequence

from rag.config import Settings
from rag.embed import Embedder, embed_query
from rag.errors import IndexMismatchError
from rag.store import Store
from rag.types import Hit


def rrf(rankings: Sequence[tuple[Sequence[int], float]], k: int = 60) -> list[tuple[int, float]]:
    """Weighted reciprocal-rank fusion: score(row) = sum of weight / (k + rank), rank from 1."""
    fused: dict[int, float] = {}
    for rows, weight in rankings:
        for rank, row in enumerate(rows, start=1):
            fused[row] = fused.get(row, 0.0) + weight / (k + rank)
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))


class Retriever:
    """Top-k chunks for a query in the mode the settings name."""

    def __init__(self, store: Store, embedder: Embedder, settings: Settings) -> None:
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self.mode = self.settings.retrieval_mode
        if self.mode != "dense" and store.lexical is None and store.chunks:
            raise IndexMismatchError(
                f"retrieval mode {self.mode!r} needs a BM25 index, and this index has none: "
                "rebuild it with `rag index`"
            )

    def search(self, query: str, k: int) -> list[Hit]:
        """The `k` best chunks, best first, each with its fused score and its cosine."""
        return self.search_wide(query, k, 0)[0]

    def search_wide(self, query: str, k: int, others: int) -> tuple[list[Hit], list[Hit]]:
        """The `k` best chunks, and the best chunk of up to `others` documents absent from them.

        The second list is where a source that disagrees with the top documents shows up: a
        conflict check reads it, a generator does not.
        """
        if not self.store.chunks:  # every document was deleted: nothing to find
            return [], []
        vector = embed_query(self.embedder, query)
        depth = max(k, self.settings.candidates) if others else k
        if self.mode == "dense":
            ranked = self.store.search(vector, depth)
        else:
            assert self.store.lexical is not None
            pool = max(depth, self.settings.candidates)
            lexical = self.store.lexical.search(query, pool)
            if self.mode == "bm25":
                ranked = lexical[:depth]
            else:
                dense = self.store.search(vector, pool)
                ranked = rrf(
                    [
                        ([r for r, _ in dense], self.settings.dense_weight),
                        ([r for r, _ in lexical], self.settings.bm25_weight),
                    ],
                    self.settings.rrf_k,
                )[:depth]
        top = ranked[:k]
        seen = {self.store.chunks[row].doc_id for row, _ in top}
        extra: list[tuple[int, float]] = []
        for row, score in ranked[k:]:
            if len(extra) >= others:
                break
            doc_id = self.store.chunks[row].doc_id
            if doc_id not in seen:
                seen.add(doc_id)
                extra.append((row, score))
        cosines = self.store.cosine(vector, [r for r, _ in top + extra])
        hits = [
            Hit(self.store.chunks[row], score, rank, cosine)
            for rank, ((row, score), cosine) in enumerate(zip(top + extra, cosines, strict=True))
        ]
        return hits[: len(top)], hits[len(top) :]
