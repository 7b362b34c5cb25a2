"""The pipeline: `build_index` (sources -> index), `Pipeline.answer` (question -> Answer)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from rag.answerability import make_scorer
from rag.chunk import chunk_documents
from rag.cite import parse_claims, verify, with_markers
from rag.config import Settings
from rag.conflicts import find_conflicts
from rag.embed import Embedder, make_embedder
from rag.errors import DocumentNotFoundError, InvalidInputError
from rag.generate import ABSTAIN, DONT_KNOW, ORDER, RESET, Attempt, Backends
from rag.generators.extractive import ExtractiveGenerator
from rag.ingest import load_documents
from rag.lexical import BM25Index
from rag.question import Question, analyse
from rag.rank import Ranker, Scored, confidence
from rag.retrieve import Retriever
from rag.rewrite import standalone
from rag.store import Store, load_store, write_store
from rag.text import terms
from rag.types import Answer, Citation, Document, Passage

MAX_QUESTION_CHARS = 2000
MAX_K = 50


def chunk_text_for_index(title: str, text: str, with_title: bool) -> str:
    """What gets embedded and BM25-indexed for a chunk: optionally its title, then its text."""
    return f"{title[:200]}\n{text}" if with_title else text


def build_index(
    settings: Settings, paths: Sequence[Path] | None = None, embedder: Embedder | None = None
) -> Path:
    """Ingest, chunk, embed and store `paths` (default: settings.sources); returns the build."""
    docs = load_documents(paths or settings.sources)
    return index_documents(settings, docs, embedder, [str(p) for p in (paths or settings.sources)])


def index_documents(
    settings: Settings,
    docs: list[Document],
    embedder: Embedder | None = None,
    sources: list[str] | None = None,
) -> Path:
    """Chunk, embed and BM25-index `docs` into a new build under settings.index_dir."""
    chunks = chunk_documents(docs, settings.chunk_size, settings.chunk_overlap)
    titles = {d.doc_id: d.title for d in docs}
    texts = [
        chunk_text_for_index(titles[c.doc_id], c.text, settings.title_in_chunks) for c in chunks
    ]
    embedder = embedder or make_embedder(settings)
    vectors = embedder.embed(texts, progress=True)
    manifest = {
        "embedding_model": embedder.name,
        "chunking": {
            "size": settings.chunk_size,
            "overlap": settings.chunk_overlap,
            "title_in_chunks": settings.title_in_chunks,
        },
        "sources": sources or [],
    }
    lexical = BM25Index.build(texts)
    return write_store(
        settings.index_dir, docs, chunks, vectors, manifest, lexical, settings.hnsw_min_vectors
    )


MAX_TURNS = 20


def validate_history(history: Sequence[dict[str, str]] | None) -> list[dict[str, str]]:
    """Prior turns as [{"role": "user"|"assistant", "content": str}], checked."""
    turns = list(history or [])
    if len(turns) > MAX_TURNS:
        raise InvalidInputError(f"history has {len(turns)} turns; the limit is {MAX_TURNS}")
    for i, turn in enumerate(turns):
        if not isinstance(turn, dict) or turn.get("role") not in {"user", "assistant"}:
            raise InvalidInputError(f"history[{i}] needs a role of 'user' or 'assistant'")
        if (
            not isinstance(turn.get("content"), str)
            or len(turn["content"]) > 4 * MAX_QUESTION_CHARS
        ):
            raise InvalidInputError(f"history[{i}].content must be text of at most 8000 chars")
    return turns


def validate_question(question: str, k: int | None, backend: str | None = None) -> str:
    """The stripped question, or an InvalidInputError saying what is wrong."""
    if not isinstance(question, str) or not question.strip():
        raise InvalidInputError("question is empty: ask something about the indexed documents")
    if len(question) > MAX_QUESTION_CHARS:
        raise InvalidInputError(
            f"question is {len(question)} characters; the limit is {MAX_QUESTION_CHARS}"
        )
    if k is not None and not 1 <= k <= MAX_K:
        raise InvalidInputError(f"k must be between 1 and {MAX_K}, got {k}")
    if backend is not None and backend not in ORDER:
        raise InvalidInputError(f"backend must be one of {', '.join(ORDER)}, got {backend!r}")
    return question.strip()


Event = tuple[str, Any]  # ("token", str) | ("reset", "") | ("answer", Answer)


class Pipeline:
    """A loaded index plus the embedder, retriever and answer backends that serve it."""

    def __init__(self, settings: Settings, store: Store, embedder: Embedder) -> None:
        self.settings = settings
        self.store = store
        self.retriever = Retriever(store, embedder, settings)
        self.ranker = Ranker(
            store.documents,
            embedder,
            make_scorer(settings),
            settings.rerank_depth,
            settings.min_answer_score,
            settings.first_stage_weight,
        )
        self.extractive = ExtractiveGenerator(
            self.ranker, settings.min_answer_score, settings.second_quote_ratio
        )
        self.backends = Backends(settings, self.extractive)

    @classmethod
    def load(cls, settings: Settings, embedder: Embedder | None = None) -> Pipeline:
        """Load the current index; refuses a missing or mismatched one."""
        embedder = embedder or make_embedder(settings)
        store = load_store(settings.current_index, embedder.name, embedder.dim)
        return cls(settings, store, embedder)

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
    ) -> Answer:
        """Retrieve, generate, verify citations; abstain when the evidence is weak."""
        for kind, value in self.stream(question, k, backend, history):
            if kind == "answer":
                return value
        raise AssertionError("stream ended without an answer")  # pragma: no cover

    def stream(
        self,
        question: str,
        k: int | None = None,
        backend: str | None = None,
        history: Sequence[dict[str, str]] | None = None,
    ) -> Iterator[Event]:
        """("token", text) events as the backend writes, then one ("answer", Answer)."""
        asked = validate_question(question, k, backend)
        question = standalone(asked, validate_history(history))
        t0 = time.perf_counter()
        # A question asking for a value (amount, date, named thing) also reads the best passage
        # of a few more documents: a source that disagrees is often ranked just below the top k.
        q = analyse(question)
        others = self.settings.conflict_probe_docs if q.extract else 0
        passages, probes = self.passages_wide(question, k or self.settings.top_k, others)
        t1 = time.perf_counter()
        result = Answer(question=asked, answer=ABSTAIN, abstained=True)
        if question != asked:
            result.rewritten_question = question
        result.retrieved = [
            {
                "n": p.n,
                "chunk_id": p.chunk.chunk_id,
                "doc_id": p.chunk.doc_id,
                "score": round(p.score, 4),
            }
            for p in passages
        ]
        first_token: float | None = None
        rank_ms = 0.0
        if not passages or max(p.cosine for p in passages) < self.settings.min_retrieval_score:
            result.backend = "retrieval"
            result.warnings.append("no passage is close enough to the question")
        else:
            t_rank = time.perf_counter()
            ranked = self.ranker.rank(q, passages)
            rank_ms = (time.perf_counter() - t_rank) * 1000
            best = confidence(ranked)
            result.confidence = round(best, 4) if best is not None else None
            focused = focus(passages, ranked, self.settings.llm_sentences_per_passage)
            attempt = Attempt()
            pieces: list[str] = []
            for piece in self.backends.chain(backend).stream(question, focused, attempt):
                if piece == RESET:
                    pieces.clear()
                    yield ("reset", "")
                    continue
                first_token = first_token or time.perf_counter()
                pieces.append(piece)
                yield ("token", piece)
            result.backend = attempt.backend
            result.warnings.extend(attempt.warnings)
            self._finish(result, q, passages, ranked, "".join(pieces), probes)
        t2 = time.perf_counter()
        result.timings_ms = {
            "retrieve": round((t1 - t0) * 1000, 2),
            "rank": round(rank_ms, 2),
            "generate": round((t2 - t1) * 1000, 2),
            "total": round((t2 - t0) * 1000, 2),
        }
        if first_token:
            result.timings_ms["first_token"] = round((first_token - t0) * 1000, 2)
        yield ("answer", result)

    def _finish(
        self,
        result: Answer,
        q: Question,
        passages: list[Passage],
        ranked: list[Scored],
        draft: str,
        probes: Sequence[Passage] = (),
    ) -> None:
        """Verify the draft's citations, decide abstention, surface conflicting sources."""
        declined = not draft.strip() or draft.strip() == ABSTAIN or bool(DONT_KNOW.search(draft))
        best = confidence(ranked)
        strong = best is not None and best >= self.settings.quote_when_declined_score
        if declined and strong and result.backend != "extractive":
            # Small local models often decline when the question is paraphrased. A source
            # sentence that matches strongly is quoted instead (verbatim, so still verified).
            result.warnings.append(
                f"the {result.backend} model said it did not know; quoting the best match"
            )
            draft, declined = self.extractive.answer(q.text, passages), False
        if declined:
            return
        claims = parse_claims(draft)
        if not any(len(terms(c.text)) >= 2 for c in claims):
            # A small model sometimes answers with markers alone ("[1] [2]"): it chose the
            # passages, so quote the best sentence of those passages instead.
            cited = {n for c in claims for n in c.markers}
            chosen = [p for p in passages if p.n in cited]
            if not chosen:
                result.warnings.append(f"the {result.backend} answer had no usable text")
                return
            result.warnings.append(f"the {result.backend} answer gave only citations: quoted them")
            draft = self.extractive.answer(q.text, chosen)
            if draft == ABSTAIN:
                return
        checked = verify(draft, passages, self.documents, self.settings.min_sentence_support)
        result.warnings.extend(checked.warnings)
        if checked.supported == 0:
            result.warnings.append("no sentence of the draft answer is supported by the sources")
            return
        result.answer, result.citations = checked.text, checked.citations
        withheld = [c for c in checked.citations if c.verified and q.withheld(c.quote)]
        if withheld:
            # A source says the asked detail was never made public: quote just that source.
            cite = replace(withheld[0], n=1)
            result.abstained, result.citations = True, [cite]
            result.answer = f"{ABSTAIN[:-1]}: {with_markers(cite.quote, [1])}"
            return
        if q.withheld(checked.text):
            result.abstained = True
            result.answer = f"{ABSTAIN[:-1]}: {checked.text}"
            return
        missing = q.lacking(checked.text)
        if missing:
            # "How many jobs?" answered with the deal's dollar value: the sources lack the fact.
            result.warnings.append(f"the question asks for {missing} and the answer gives none")
            result.answer, result.citations = ABSTAIN, []
            return
        result.abstained = False
        if probes:
            ranked = sorted([*ranked, *self.ranker.rank(q, probes)], key=lambda r: -r.score)
        everything = [*passages, *probes]
        # Titles come from the passages: no per-question walk over every document.
        result.conflicts = find_conflicts(
            q,
            ranked,
            self.settings.min_answer_score,
            everything,
            self.settings.conflict_score_ratio,
        )
        chunk_ids = {p.n: p.chunk.chunk_id for p in everything}
        for conflict in result.conflicts:
            _say_sources_disagree(result, conflict, chunk_ids)


def focus(passages: list[Passage], ranked: list[Scored], per_passage: int) -> list[Passage]:
    """Each passage with an excerpt of its `per_passage` best sentences, in document order."""
    if per_passage <= 0:
        return passages
    best: dict[int, list[Scored]] = {}
    for r in ranked:
        chosen = best.setdefault(r.n, [])
        if len(chosen) < per_passage:
            chosen.append(r)
    return [
        replace(
            p, excerpt=" ".join(r.text for r in sorted(best.get(p.n, []), key=lambda r: r.start))
        )
        for p in passages
    ]


def _short(title: str, words: int = 8) -> str:
    parts = title.split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")


def _say_sources_disagree(
    result: Answer, conflict: dict[str, Any], chunk_ids: dict[int, str]
) -> None:
    """Append 'The sources disagree: A gives x [i]; B gives y [j].' with exact citations."""
    by_span = {(c.doc_id, c.start, c.end): c.n for c in result.citations}
    parts = []
    for v in conflict["values"]:
        key = (v["doc_id"], v["start"], v["end"])
        passage = v.pop("passage")
        if key not in by_span:
            n = len(result.citations) + 1
            result.citations.append(
                Citation(
                    n=n,
                    doc_id=v["doc_id"],
                    title=v["title"],
                    chunk_id=chunk_ids[passage],
                    quote=v["quote"],
                    start=v["start"],
                    end=v["end"],
                    verified=True,
                    support=1.0,
                )
            )
            by_span[key] = n
        v["n"] = by_span[key]
        parts.append(f"“{_short(v['title'])}” gives {v['value']} [{v['n']}]")
    result.answer += " The sources disagree: " + "; ".join(parts) + "."
