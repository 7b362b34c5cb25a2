"""Query -> ranked Hits from the vector store."""

from __future__ import annotations

from rag.embed import Embedder
from rag.store import Store
from rag.types import Hit


class Retriever:
    """Dense top-k search over the store's normalised vectors (inner product = cosine)."""

    def __init__(self, store: Store, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder

    def search(self, query: str, k: int) -> list[Hit]:
        """The `k` chunks most similar to `query`, best first."""
        vector = self.embedder.embed([query])[0]
        found = self.store.search(vector, k)
        return [Hit(self.store.chunks[row], score, rank) for rank, (row, score) in enumerate(found)]
