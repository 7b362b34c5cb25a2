"""The answer path's steps, each one job: retrieve, draft (rank, read, quote), check (the local
model), write (an LLM), choose and conflicts. `Pipeline.stream` runs them in order; the rules
that decide what is answered live in `rag.policy`."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from rag import policy
from rag.answerability import fuse
from rag.conflicts import find_conflicts, say_sources_disagree
from rag.errors import BusyError, GeneratorError
from rag.generate import ABSTAIN, RESET, Attempt
from rag.generators.worker import Budget
from rag.judge import JUDGE_SENTENCES, Judge
from rag.prompt import fit
from rag.question import Question, analyse
from rag.rank import Scored, confidence
from rag.rewrite import standalone
from rag.types import Answer, Passage
from rag.unseen import unknown
from rag.validate import validate_history, validate_question

if TYPE_CHECKING:
    from rag.pipeline import Pipeline


Event = tuple[str, Any]  # ("draft"|"answer", Answer) | ("token", str) | ("reset", "")


@dataclass
class Turn:
    """One question on its way through the steps."""

    asked: str  # as the user wrote it
    question: str  # standalone (a follow-up rewritten)
    q: Question
    name: str  # the backend that answers
    budget: Budget
    t0: float = field(default_factory=time.perf_counter)
    timings: dict[str, float] = field(default_factory=dict)
    passages: list[Passage] = field(default_factory=list)
    probes: list[Passage] = field(default_factory=list)
    ranked: list[Scored] = field(default_factory=list)
    base: Answer | None = None  # the empty answer every step starts from
    draft: Answer | None = None

    def mark(self, step: str) -> None:
        self.timings[step] = round((time.perf_counter() - self.t0) * 1000, 2)

    def done(self, answer: Answer) -> Answer:
        """The answer with its short answer and timings filled in."""
        answer.short_answer = None if answer.abstained else policy.value_lead(answer.answer)
        total = round((time.perf_counter() - self.t0) * 1000, 2)
        generate = round(total - self.timings["retrieve"] - self.timings.get("rank", 0.0), 2)
        answer.timings_ms = {**self.timings, "generate": generate, "total": total}
        return answer


def retrieve(
    p: Pipeline,
    question: str,
    k: int | None,
    backend: str | None,
    history: Sequence[dict[str, str]] | None,
    cancelled: threading.Event | None,
) -> Turn:
    """Step 1: the standalone question, its passages, and the probes of a few more
    documents for a value question (a disagreeing source is often just below the top k).
    `turn.draft` is set only when no passage is close enough (then it abstains)."""
    asked = validate_question(question, k, backend)
    name = p.backends.resolve(backend)
    question = standalone(asked, validate_history(history))
    budget = Budget.within(p.settings.llm_deadline_s, cancelled)
    turn = Turn(asked, question, analyse(question), name, budget)
    others = p.settings.conflict_probe_docs if turn.q.extract else 0
    turn.passages, turn.probes = p.passages_wide(question, k or p.settings.top_k, others)
    turn.mark("retrieve")
    base = Answer(question=asked, answer=ABSTAIN, abstained=True, backend="extractive")
    base.rewritten_question = question if question != asked else None
    base.retrieved = [
        {"n": x.n, "chunk_id": x.chunk.chunk_id, "doc_id": x.chunk.doc_id}
        | {"score": round(x.score, 4)}
        for x in turn.passages
    ]
    turn.base = base
    closest = max((x.cosine for x in turn.passages), default=0.0)
    names = p.settings.abstain_on_unknown_names
    unseen = unknown(question, p.ranker.vocabulary) if names else []
    why = ""
    if turn.passages and unseen:
        said = ", ".join(f"“{n}”" for n in unseen)
        why = f"the question names {said}, which no indexed document mentions"
    elif not turn.passages or closest < p.settings.min_retrieval_score:
        why = "no passage is close enough to the question"
    if why:
        turn.draft = replace(base, backend="retrieval", decision=why, warnings=[why])
    return turn


def draft(p: Pipeline, turn: Turn) -> tuple[Answer, str]:
    """Steps 2-3: rank and read the passages' sentences, then the verified extractive draft
    (the short answer and the best sentence quoted) and why it abstains, if it does."""
    assert turn.base is not None
    turn.ranked = p.ranker.rank(turn.q, turn.passages)
    turn.mark("rank")
    turn.timings["rank"] = round(turn.timings["rank"] - turn.timings["retrieve"], 2)
    draft = replace(turn.base, warnings=policy.instruction_warnings(turn.passages, p.documents))
    best = confidence(turn.ranked)
    draft.confidence = round(best, 4) if best is not None else None
    text = p.extractive.answer(turn.q.text, turn.passages)
    problem = finish(p, draft, turn, text, written=False)
    draft.decision = policy.draft_decision(draft, problem, p.settings.min_answer_score)
    turn.mark("draft")
    return draft, problem


def finish(p: Pipeline, result: Answer, turn: Turn, text: str, written: bool = True) -> str:
    """`policy.finish` with this pipeline's documents and support threshold."""
    support = p.settings.min_sentence_support
    return policy.finish(result, turn.q, turn.passages, p.documents, text, support, written)


def judge(p: Pipeline, name: str) -> Judge | None:
    """The backend when it can check answerability (the local model) and checking is on."""
    if name == "extractive" or p.settings.judge_weight <= 0:
        return None
    backend = p.backends.get(name)
    return backend if isinstance(backend, Judge) else None


def check(p: Pipeline, judge: Judge, turn: Turn, draft: Answer) -> Answer:
    """Step 4 (local model): its yes/no on the best sentence, fused with the reader's
    probability (`rag.judge`, `policy.after_check`)."""
    titles = p.documents
    pairs = [(titles[r.doc_id].title, r.text) for r in turn.ranked[:JUDGE_SENTENCES]]
    try:
        margin = judge.judge(turn.q.text, pairs, turn.budget)
    except (GeneratorError, BusyError) as exc:  # a full queue ends the stream well too
        draft.warnings.append(
            f"the local model could not check the answer ({exc}): the scorer decided alone"
        )
        return draft
    fused = fuse(draft.confidence or 0.0, margin, p.settings.judge_weight)

    def redraft() -> Answer | None:
        assert turn.base is not None
        found = replace(turn.base, warnings=list(draft.warnings), confidence=draft.confidence)
        quote = p.extractive.answer(turn.q.text, turn.passages, threshold=0.0)
        return None if finish(p, found, turn, quote, written=False) else found

    return policy.after_check(draft, margin, fused, p.settings.min_judged_score, redraft)


def quote_stands(p: Pipeline, turn: Turn, draft: Answer) -> str | None:
    """Why the draft is final without an LLM writing ("" or a note for `decision`); None
    when an LLM writes. No LLM beats "no sentence answers" or a cited "withheld"."""
    if turn.name == "extractive" or draft.abstained:
        return ""
    writes = p.backends.llm_questions
    if writes == "none":
        return "; the LLM writes no answers here, so the exact quote stands"
    if writes == "values" and not turn.q.asks_value:
        # Reworded, a quote verifies less well and loses the source's words: on the SQuAD
        # dev sample the local model's rewording lost 4 answers the quote had and fixed 1.
        return "; the question asks for no value, so the exact quote stands"
    return None


def write(p: Pipeline, turn: Turn, draft: Answer) -> Iterator[Event]:
    """Steps 5-7: the LLM writes (tokens streamed), its answer is verified, `policy.choose`
    keeps it or the draft, then conflicts."""
    attempt, pieces, first_token = Attempt(), list[str](), None
    shown = fit(turn.passages, turn.ranked, turn.q.text, p.settings.llm_prompt_tokens)
    leads = policy.leads(turn.q, draft, turn.ranked)
    chain = p.backends.chain(turn.name)
    for piece in chain.stream(turn.question, shown, attempt, turn.budget, leads):
        if piece == RESET:
            pieces.clear()
            yield ("reset", "")
            continue
        first_token = first_token or time.perf_counter()
        pieces.append(piece)
        yield ("token", piece)
    if turn.budget.cancelled.is_set():
        return  # the client left: nobody to answer
    turn.timings["queue"] = round(turn.budget.waited_ms, 2)
    if first_token:
        turn.timings["first_token"] = round((first_token - turn.t0) * 1000, 2)
    llm = replace(draft, answer=ABSTAIN, abstained=True, citations=[], conflicts=[])
    llm.warnings, llm.backend = [], attempt.backend
    text = "".join(pieces)
    problem = "" if attempt.backend == "none" else finish(p, llm, turn, text)
    final = policy.choose(draft, llm, problem, attempt, p.settings.quote_when_declined_score)
    add_conflicts(p, final, turn)
    yield ("answer", turn.done(final))


def add_conflicts(p: Pipeline, result: Answer, turn: Turn) -> None:
    """Sources that answer yet disagree, also among the probe passages of a few more
    documents; done after the draft is out (scoring the probes is a second reader call)."""
    if result.abstained:
        return
    ranked = turn.ranked
    if turn.probes:
        probed = p.ranker.rank(turn.q, turn.probes)
        ranked = sorted([*ranked, *probed], key=lambda r: -r.score)
    everything = [*turn.passages, *turn.probes]
    result.conflicts = find_conflicts(
        turn.q,
        ranked,
        p.settings.min_answer_score,
        everything,
        p.settings.conflict_score_ratio,
    )
    chunk_ids = {x.n: x.chunk.chunk_id for x in everything}
    for conflict in result.conflicts:
        say_sources_disagree(result, conflict, chunk_ids, p.documents)
