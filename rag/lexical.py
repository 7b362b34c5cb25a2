"""BM25 (bm25s, Lucene-style, English stopwords + Snowball stemming), saved beside the vectors."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import Stemmer

# bm25s prints progress bars per call; they are noise in a server and a benchmark.
logging.getLogger("bm25s").setLevel(logging.WARNING)
_STEMMER = Stemmer.Stemmer("english")
FOLDER = "bm25"


def _tokenize(texts: list[str]) -> Any:
    import bm25s

    return bm25s.tokenize(texts, stopwords="en", stemmer=_STEMMER, show_progress=False)


class BM25Index:
    """Okapi BM25 over chunk texts (k1=1.2, b=0.75, as Lucene and Anserini use)."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.vocab: dict[str, int] = dict(model.vocab_dict)

    @classmethod
    def build(cls, texts: list[str], k1: float = 1.2, b: float = 0.75) -> BM25Index:
        """Index `texts`; row i of the index is texts[i]."""
        import bm25s

        model = bm25s.BM25(k1=k1, b=b)
        model.index(_tokenize(texts), show_progress=False)
        return cls(model)

    def save(self, folder: Path) -> None:
        """numpy + JSON files only (no pickle)."""
        self.model.save(str(folder / FOLDER))

    @classmethod
    def load(cls, folder: Path) -> BM25Index:
        """Load what `save` wrote."""
        import bm25s

        return cls(bm25s.BM25.load(str(folder / FOLDER)))

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """(row, score) of up to `k` rows with a positive score, best first."""
        import bm25s

        tokens = bm25s.tokenize(
            [query], stopwords="en", stemmer=_STEMMER, return_ids=False, show_progress=False
        )[0]
        tokens = [t for t in tokens if t in self.vocab]
        n_docs = int(self.model.scores["num_docs"])
        if not tokens or n_docs == 0:
            return []
        rows, scores = self.model.retrieve([tokens], k=min(k, n_docs), show_progress=False)
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if s > 0]
