"""The pipeline: `build_index` (sources -> index), `Pipeline.stream` / `Pipeline.answer`
(question -> Answer) as named steps: retrieve, rank and read, draft, check, write, choose,
conflicts. The rules that decide what is answered live in `rag.policy`."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from rag import steps
from rag.answerability import Scorer, make_scorer
from rag.config import Settings
from rag.embed import Embedder, make_embedder
from rag.errors import DocumentNotFoundError, GeneratorError
from rag.generate import Backends
from rag.generators.extractive import ExtractiveGenerator
from rag.rank import Ranker
from rag.retrieve import Retriever
from rag.store import Store, load_store
from rag.types import Answer, Document, Passage
from rag.validate import MAX_K, MAX_QUESTION_CHARS, validate_history, validate_question

__all__ = ["MAX_K", "MAX_QUESTION_CHARS", "Pipeline", "build_index", "index_documents"]
__all__ += ["validate_history", "validate_question"]


def build_index(
    settings: Settings,
    paths: Sequence[Path] | None = None,
    embedder: Embedder | None = None,
    rebuild: bool = False,
) -> Path:
    """Make the index hold the documents under `paths` (default: settings.sources, plus
    uploads): only new or changed files are embedded. Returns the build now current."""
    from rag.indexer import sync

    sync(settings, paths, embedder, rebuild, progress=True)
    return settings.current_index.resolve()


def index_documents(
    settings: Settings,
    docs: list[Document],
    embedder: Embedder | None = None,
    sources: list[str] | None = None,
) -> Path:
    """Make the index under settings.index_dir hold exactly `docs` (changed ones re-embedded)."""
    from rag.indexer import commit

    commit(settings, lambda _old: docs, embedder, sources=sources or [], progress=True)
    return settings.current_index.resolve()


class Pipeline:
    """A loaded index plus the embedder, retriever, reader and answer backends that serve it."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        embedder: Embedder,
        scorer: Scorer | None = None,
        backends: Backends | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.retriever = Retriever(store, embedder, settings)
        self.ranker = Ranker(
            store.documents,
            embedder,
            scorer if scorer is not None else make_scorer(settings),
            settings.rerank_depth,
            settings.min_answer_score,
            settings.first_stage_weight,
            settings.span_weight,
        )
        self.extractive = ExtractiveGenerator(
            self.ranker,
            settings.min_answer_score,
            settings.second_quote_ratio,
            settings.min_span_score,
        )
        self.backends = backends or Backends(settings, self.extractive)

    @classmethod
    def load(cls, settings: Settings, embedder: Embedder | None = None) -> Pipeline:
        """Load the current index; refuses a missing or mismatched one."""
        embedder = embedder or make_embedder(settings)
        store = load_store(settings.current_index, embedder.name, embedder.dim)
        return cls(settings, store, embedder)

    def with_store(self, store: Store) -> Pipeline:
        """A pipeline over another build sharing this one's models (embedder, scorer, LLMs):
        a request that holds this pipeline finishes on its build, the next gets the new one."""
        new = Pipeline(self.settings, store, self.embedder, self.ranker.scorer, self.backends)
        new.ranker.adopt(self.ranker)  # sentence vectors of unchanged documents
        self.backends.replace_extractive(new.extractive)
        return new

    @property
    def build(self) -> str:
        """The folder name of the build this pipeline serves."""
        return str(self.store.manifest.get("build", ""))

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
        return self.passages_wide(question, k, 0)[0]

    def passages_wide(
        self, question: str, k: int, others: int
    ) -> tuple[list[Passage], list[Passage]]:
        """Top-k passages, then the best passage of up to `others` further documents
        (numbered on from k + 1) where a disagreeing source may show up."""
        top, extra = self.retriever.search_wide(question, k, others)
        passages = [
            Passage(i + 1, h.chunk, self.documents[h.chunk.doc_id].title, h.score, h.cosine)
            for i, h in enumerate(top + extra)
        ]
        return passages[: len(top)], passages[len(top) :]

    def answer(
        self,
        question: str,
        k: int | None = None,
        backend: str | None = None,
        history: Sequence[dict[str, str]] | None = None,
        cancelled: threading.Event | None = None,
    ) -> Answer:
        """Retrieve, generate, verify citations; abstain when the evidence is weak."""
        for kind, value in self.stream(question, k, backend, history, cancelled):
            if kind == "answer":
                return value
        # Only a cancelled answer (its client left) ends without one.
        raise GeneratorError("the answer was cancelled: its client disconnected")

    def stream(
        self,
        question: str,
        k: int | None = None,
        backend: str | None = None,
        history: Sequence[dict[str, str]] | None = None,
        cancelled: threading.Event | None = None,
    ) -> Iterator[steps.Event]:
        """Events: with an LLM backend, ("draft", Answer) first (the verified extractive answer,
        within ~100 ms), then ("token", text) as the LLM writes, then one ("answer", Answer)
        saying which of the two stands and why. `cancelled` set (the client left) stops the LLM."""
        turn = steps.retrieve(self, question, k, backend, history, cancelled)
        if turn.draft is not None:  # no passage close enough: nothing to rank
            yield ("answer", turn.done(turn.draft))
            return
        draft, problem = steps.draft(self, turn)
        # Checked: an answer, or a refusal by the threshold. A refusal for another reason (no
        # value of the asked kind, a source says it was withheld) stands whatever the model says.
        checkable = not draft.abstained or problem == "declined"
        judge = steps.judge(self, turn.name) if checkable else None
        if judge is not None:  # the draft is out first: a provisional answer or abstention
            yield ("draft", turn.done(replace(draft, timings_ms={})))
            draft = steps.check(self, judge, turn, draft)
            turn.mark("judge")
        reason = steps.quote_stands(self, turn, draft)
        if reason is not None:
            draft.decision += reason
            steps.add_conflicts(self, draft, turn)
            yield ("answer", turn.done(draft))
            return
        if judge is None:  # a checked draft is already out
            yield ("draft", turn.done(replace(draft, timings_ms={})))
        yield from steps.write(self, turn, draft)
