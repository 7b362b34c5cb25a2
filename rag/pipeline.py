"""The pipeline: `build_index` (sources -> index), `Pipeline.answer` (question -> Answer)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from rag.chunk import chunk_documents
from rag.cite import verify
from rag.config import Settings
from rag.embed import Embedder, make_embedder
from rag.errors import DocumentNotFoundError, InvalidInputError
from rag.generate import ABSTAIN, UNDISCLOSED, Generator, make_generator
from rag.ingest import load_documents
from rag.retrieve import Retriever
from rag.store import Store, load_store, write_store
from rag.types import Answer, Document, Passage

MAX_QUESTION_CHARS = 2000
MAX_K = 50


def build_index(
    settings: Settings, paths: Sequence[Path] | None = None, embedder: Embedder | None = None
) -> Path:
    """Ingest, chunk, embed and store `paths` (default: settings.sources); returns the build."""
    docs = load_documents(paths or settings.sources)
    chunks = chunk_documents(docs, settings.chunk_size, settings.chunk_overlap)
    embedder = embedder or make_embedder(settings)
    vectors = embedder.embed([c.text for c in chunks], progress=True)
    manifest = {
        "embedding_model": embedder.name,
        "chunking": {"size": settings.chunk_size, "overlap": settings.chunk_overlap},
        "sources": [str(p) for p in (paths or settings.sources)],
    }
    return write_store(settings.index_dir, docs, chunks, vectors, manifest)


def validate_question(question: str, k: int | None) -> str:
    """The stripped question, or an InvalidInputError saying what is wrong."""
    if not isinstance(question, str) or not question.strip():
        raise InvalidInputError("question is empty: ask something about the indexed documents")
    if len(question) > MAX_QUESTION_CHARS:
        raise InvalidInputError(
            f"question is {len(question)} characters; the limit is {MAX_QUESTION_CHARS}"
        )
    if k is not None and not 1 <= k <= MAX_K:
        raise InvalidInputError(f"k must be between 1 and {MAX_K}, got {k}")
    return question.strip()


class Pipeline:
    """A loaded index plus the embedder, retriever and answer backend that serve it."""

    def __init__(
        self, settings: Settings, store: Store, embedder: Embedder, generator: Generator
    ) -> None:
        self.settings = settings
        self.store = store
        self.retriever = Retriever(store, embedder)
        self.generator = generator

    @classmethod
    def load(cls, settings: Settings, embedder: Embedder | None = None) -> Pipeline:
        """Load the current index; refuses a missing or mismatched one."""
        embedder = embedder or make_embedder(settings)
        store = load_store(settings.current_index, embedder.name, embedder.dim)
        return cls(settings, store, embedder, make_generator(settings, store.documents, embedder))

    @property
    def documents(self) -> dict[str, Document]:
        """Indexed documents by id."""
        return self.store.documents

    def document(self, doc_id: str) -> Document:
        """One indexed document, or DocumentNotFoundError."""
        try:
            return self.store.documents[doc_id]
        except KeyError:
            raise DocumentNotFoundError(f"no indexed document has id {doc_id!r}") from None

    def passages(self, question: str, k: int) -> list[Passage]:
        """Top-k hits as numbered passages with titles."""
        hits = self.retriever.search(question, k)
        return [
            Passage(i + 1, h.chunk, self.documents[h.chunk.doc_id].title, h.score)
            for i, h in enumerate(hits)
        ]

    def answer(self, question: str, k: int | None = None) -> Answer:
        """Retrieve, generate, verify citations; abstain when the evidence is weak."""
        question = validate_question(question, k)
        k = k or self.settings.top_k
        t0 = time.perf_counter()
        passages = self.passages(question, k)
        t1 = time.perf_counter()
        result = Answer(question=question, answer=ABSTAIN, abstained=True)
        result.retrieved = [
            {
                "n": p.n,
                "chunk_id": p.chunk.chunk_id,
                "doc_id": p.chunk.doc_id,
                "score": round(p.score, 4),
            }
            for p in passages
        ]
        result.backend = self.generator.name
        if passages and passages[0].score >= self.settings.min_retrieval_score:
            self._fill(result, question, passages)
        t2 = time.perf_counter()
        result.timings_ms = {
            "retrieve": round((t1 - t0) * 1000, 2),
            "generate": round((t2 - t1) * 1000, 2),
            "total": round((t2 - t0) * 1000, 2),
        }
        return result

    def _fill(self, result: Answer, question: str, passages: list[Passage]) -> None:
        draft = self.generator.generate(question, passages)
        if draft.strip() == ABSTAIN:
            return
        checked = verify(draft, passages, self.documents, self.settings.min_sentence_support)
        result.warnings.extend(checked.warnings)
        if checked.supported == 0:
            result.warnings.append("no sentence of the draft answer is supported by the sources")
            return
        result.answer, result.citations = checked.text, checked.citations
        result.abstained = bool(UNDISCLOSED.search(checked.text))
        if result.abstained:
            result.answer = f"{ABSTAIN[:-1]}: {checked.text}"
