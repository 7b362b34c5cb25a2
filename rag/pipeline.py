"""The pipeline: `build_index` (sources -> index), `Pipeline.answer` (question -> Answer)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from rag.answerability import Scorer, make_scorer
from rag.chunk import in_code
from rag.cite import parse_claims, passage_sentences, verify, with_markers
from rag.config import Settings
from rag.conflicts import find_conflicts, say_sources_disagree, short_title
from rag.embed import Embedder, make_embedder
from rag.errors import BusyError, DocumentNotFoundError, GeneratorError, InvalidInputError
from rag.generate import ABSTAIN, DONT_KNOW, ORDER, RESET, Attempt, Backends
from rag.generators.extractive import ExtractiveGenerator
from rag.generators.worker import Budget
from rag.injection import addresses_assistant
from rag.judge import JUDGE_SENTENCES, Judge, fuse
from rag.policy import choose, draft_decision, lead_copied, value_lead
from rag.prompt import fit
from rag.question import Question, analyse
from rag.rank import Ranker, Scored, confidence
from rag.retrieve import Retriever
from rag.rewrite import standalone
from rag.store import Store, load_store
from rag.text import numbers, terms
from rag.types import Answer, Document, Passage

MAX_QUESTION_CHARS = 2000
MAX_K = 50


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
    ) -> Iterator[Event]:
        """Events: with an LLM backend, ("draft", Answer) first (the verified extractive answer,
        within ~100 ms), then ("token", text) as the LLM writes, then one ("answer", Answer)
        saying which of the two stands and why. `cancelled` set (the client left) stops the LLM."""
        asked = validate_question(question, k, backend)
        name = self.backends.resolve(backend)
        question = standalone(asked, validate_history(history))
        t0 = time.perf_counter()
        budget = Budget.within(self.settings.llm_deadline_s, cancelled)
        # A question asking for a value (amount, date, named thing) also reads the best passage
        # of a few more documents: a source that disagrees is often ranked just below the top k.
        q = analyse(question)
        others = self.settings.conflict_probe_docs if q.extract else 0
        passages, probes = self.passages_wide(question, k or self.settings.top_k, others)
        t1 = time.perf_counter()
        timings = {"retrieve": round((t1 - t0) * 1000, 2)}
        base = Answer(question=asked, answer=ABSTAIN, abstained=True, backend="extractive")
        if question != asked:
            base.rewritten_question = question
        base.retrieved = [
            {
                "n": p.n,
                "chunk_id": p.chunk.chunk_id,
                "doc_id": p.chunk.doc_id,
                "score": round(p.score, 4),
            }
            for p in passages
        ]
        if not passages or max(p.cosine for p in passages) < self.settings.min_retrieval_score:
            base.backend, base.decision = "retrieval", "no passage is close enough to the question"
            base.warnings.append(base.decision)
            yield ("answer", _timed(base, timings, t0))
            return
        ranked = self.ranker.rank(q, passages)
        t2 = time.perf_counter()
        timings["rank"] = round((t2 - t1) * 1000, 2)
        draft = replace(base, warnings=_instructions_in(passages, self.documents))
        best = confidence(ranked)
        draft.confidence = round(best, 4) if best is not None else None
        problem = self._finish(draft, q, passages, self.extractive.answer(q.text, passages))
        draft.decision = draft_decision(draft, problem, self.settings.min_answer_score)
        timings["draft"] = round((time.perf_counter() - t0) * 1000, 2)
        # Checked: an answer, or a refusal by the threshold. A refusal for another reason (the
        # quote lacks the asked kind of value, a source says it was withheld) stands whatever
        # the model says, so it is not worth the model's second.
        checkable = not draft.abstained or problem == "declined"
        judge = self._judge(name) if checkable else None
        if judge is not None:
            # The local model checks the scorer's best sentence before anything is final; the
            # draft is out first (a provisional answer, or a provisional abstention).
            yield ("draft", _timed(replace(draft, timings_ms={}), timings, t0))
            draft = self._judged(judge, draft, base, q, passages, ranked, budget)
            timings["judge"] = round((time.perf_counter() - t0) * 1000, 2)
        if name == "extractive" or draft.abstained:
            # No LLM can do better than "the scorer found no answering sentence" (one threshold
            # decides abstention) or than a cited "the detail was withheld".
            self._add_conflicts(draft, q, passages, ranked, probes)
            yield ("answer", _timed(draft, timings, t0))
            return
        writes = self.backends.llm_questions
        if writes == "none" or (writes == "values" and not q.asks_value):
            # Reworded, a quote verifies less well and loses the source's words: on the SQuAD dev
            # sample the local model's rewording lost 4 answers the quote had and fixed 1.
            draft.decision += (
                "; the LLM writes no answers here, so the exact quote stands"
                if writes == "none"
                else "; the question asks for no value, so the exact quote stands"
            )
            self._add_conflicts(draft, q, passages, ranked, probes)
            yield ("answer", _timed(draft, timings, t0))
            return
        if judge is None:  # a checked draft is already out
            yield ("draft", _timed(replace(draft, timings_ms={}), timings, t0))
        attempt, pieces, first_token = Attempt(), list[str](), None
        shown = fit(passages, ranked, q.text, self.settings.llm_prompt_tokens)
        # The value must come from the draft's quote (see _choose): offer only its values,
        # the reader's answer words first.
        leads = _leads(q, draft, ranked)
        for piece in self.backends.chain(name).stream(question, shown, attempt, budget, leads):
            if piece == RESET:
                pieces.clear()
                yield ("reset", "")
                continue
            first_token = first_token or time.perf_counter()
            pieces.append(piece)
            yield ("token", piece)
        if budget.cancelled.is_set():
            return  # the client left: nobody to answer
        timings["queue"] = round(budget.waited_ms, 2)
        if first_token:
            timings["first_token"] = round((first_token - t0) * 1000, 2)
        llm = replace(
            draft, answer=ABSTAIN, abstained=True, citations=[], conflicts=[], warnings=[]
        )
        llm.backend = attempt.backend
        text = "".join(pieces)
        problem = "" if attempt.backend == "none" else self._finish(llm, q, passages, text)
        final = choose(draft, llm, problem, attempt, self.settings.quote_when_declined_score)
        self._add_conflicts(final, q, passages, ranked, probes)
        yield ("answer", _timed(final, timings, t0))

    def _judge(self, name: str) -> Judge | None:
        """The backend when it can check answerability (the local model) and checking is on."""
        if name == "extractive" or self.settings.judge_weight <= 0:
            return None
        backend = self.backends.get(name)
        return backend if isinstance(backend, Judge) else None

    def _judged(
        self,
        judge: Judge,
        draft: Answer,
        base: Answer,
        q: Question,
        passages: list[Passage],
        ranked: list[Scored],
        budget: Budget,
    ) -> Answer:
        """The draft as the scorer and the local model's yes/no check decide together: one
        threshold on the fused probability (`rag.judge`). A sentence the scorer alone would
        have refused is quoted when the check is confident enough."""
        pairs = [(self.documents[r.doc_id].title, r.text) for r in ranked[:JUDGE_SENTENCES]]
        try:
            margin = judge.judge(q.text, pairs, budget)
        except (GeneratorError, BusyError) as exc:  # a full queue ends the stream well too
            draft.warnings.append(
                f"the local model could not check the answer ({exc}): the scorer decided alone"
            )
            return draft
        fused = fuse(draft.confidence or 0.0, margin, self.settings.judge_weight)
        floor = self.settings.min_judged_score
        seen = f"scorer {draft.confidence}, local model log-odds {margin:+.2f}"
        draft = replace(draft, judge_margin=round(margin, 3), judged=round(fused, 4))
        if fused < floor:
            why = f"no sentence answers (fused {fused:.3f} < {floor}; {seen})"
            return replace(draft, answer=ABSTAIN, abstained=True, citations=[], decision=why)
        if draft.abstained:
            found = replace(base, warnings=list(draft.warnings), confidence=draft.confidence)
            quote = self.extractive.answer(q.text, passages, threshold=0.0)
            if self._finish(found, q, passages, quote):
                return draft  # the best quote still cannot answer: the refusal stands
            draft = replace(found, judge_margin=draft.judge_margin, judged=draft.judged)
        draft.decision = f"the best sentence answers (fused {fused:.3f} >= {floor}; {seen})"
        return draft

    def _finish(
        self,
        result: Answer,
        q: Question,
        passages: list[Passage],
        draft: str,
    ) -> str:
        """Verify the text's citations and decide abstention (conflicts come after). Returns
        why the text cannot stand as an answer ("" when it stands, "declined" for "I don't
        know")."""
        if not draft.strip() or draft.strip() == ABSTAIN or DONT_KNOW.search(draft):
            return "declined"
        claims = parse_claims(draft)
        # "[1] [2]" alone states nothing; a one-word value ("Normandy [1].") does.
        if not any(len(terms(c.text)) >= 2 or numbers(c.text) for c in claims) and (
            value_lead(draft) is None or not terms(draft)
        ):
            return "it gave no usable text"
        checked = verify(draft, passages, self.documents, self.settings.min_sentence_support)
        result.warnings.extend(checked.warnings)
        if checked.supported == 0:
            result.warnings.append("no sentence of the draft answer is supported by the sources")
            return "no sentence of it is supported by the sources"
        if checked.unsupported:
            return "a sentence of it is not supported by its sources"
        withheld = [c for c in checked.citations if c.verified and q.withheld(c.quote)]
        if withheld:
            # A source says the asked detail was never made public: quote just that source.
            cite = replace(withheld[0], n=1)
            result.abstained, result.citations = True, [cite]
            result.answer = f"{ABSTAIN[:-1]}: {with_markers(cite.quote, [1])}"
            return ""
        result.answer, result.citations = checked.text, checked.citations
        if q.withheld(checked.text):
            result.abstained = True
            result.answer = f"{ABSTAIN[:-1]}: {checked.text}"
            return ""
        missing = q.lacking(checked.text)
        if missing:
            # "How many jobs?" answered with the deal's dollar value: the sources lack the fact.
            result.warnings.append(f"the question asks for {missing} and the answer gives none")
            result.answer, result.citations = ABSTAIN, []
            return f"it does not give {missing}"
        lead = value_lead(checked.text)
        if lead is not None and not any(lead_copied(lead, c.quote) for c in checked.citations):
            result.answer, result.citations = ABSTAIN, []
            return f"its value {lead!r} is not written in the cited sentence"
        result.abstained = False
        return ""

    def _add_conflicts(
        self,
        result: Answer,
        q: Question,
        passages: list[Passage],
        ranked: list[Scored],
        probes: Sequence[Passage],
    ) -> None:
        """Sources that answer yet disagree, also among the probe passages of a few more
        documents; done after the draft is out (scoring the probes is a second scorer call)."""
        if result.abstained:
            return
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
            say_sources_disagree(result, conflict, chunk_ids, self.documents)


def _leads(q: Question, draft: Answer, ranked: Sequence[Scored]) -> list[str]:
    """What the local model may name as the value: the reader's answer words in the draft's
    quoted sentences, then every value of the asked kind those sentences write."""
    cited = {(c.doc_id, c.start) for c in draft.citations}
    spans = [r.answer_words for r in ranked if (r.doc_id, r.start) in cited and r.answer_words]
    found = [*spans, *q.candidates(" ".join(c.quote for c in draft.citations))]
    return [w for w in dict.fromkeys(found) if w]


def _timed(answer: Answer, timings: dict[str, float], t0: float) -> Answer:
    total = round((time.perf_counter() - t0) * 1000, 2)
    generate = round(total - timings["retrieve"] - timings.get("rank", 0.0), 2)
    answer.timings_ms = {**timings, "generate": generate, "total": total}
    return answer


def _instructions_in(passages: Sequence[Passage], documents: Mapping[str, Document]) -> list[str]:
    """A warning for each passage holding text addressed to an AI assistant (not used)."""
    out = []
    for p in passages:
        doc = documents[p.chunk.doc_id]
        for s, e in passage_sentences(p, doc):
            if not in_code(doc, s) and addresses_assistant(doc.text[s:e]):
                quote = " ".join(doc.text[s:e].split()[:8])
                out.append(
                    f"passage [{p.n}] ({short_title(p.title)}) holds text addressed to an AI "
                    f"assistant (“{quote}…”): treated as data, never as an instruction or answer"
                )
                break
    return out
