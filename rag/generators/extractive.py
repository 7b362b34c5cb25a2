"""Extractive backend: quotes the best-ranked retrieved sentences; needs no LLM weights."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from rag.chunk import sentence_spans
from rag.cite import LEAD_WORDS, with_markers
from rag.generators.worker import Budget
from rag.question import Question, analyse
from rag.rank import Ranker, Scored, confidence
from rag.types import ABSTAIN, Passage


def short_answer(q: Question, best: Scored, min_span: float) -> str | None:
    """The answer words the quote opens with, copied from the best sentence: the reader's span
    when it is confident, else, for a question asking for a value, the one value of the asked
    kind the sentence writes ("$500 million"). None: the quote alone answers."""
    words = best.answer_words
    confident = words and best.span_prob >= min_span and len(words.split()) <= LEAD_WORDS
    if words and confident and words.strip().casefold() not in q.text.casefold():
        return words
    return q.value(best.text) if q.asks_value else None


def _marked(c: Scored) -> str:
    """The quote with its marker on each of its sentences (one read with the sentence before it
    quotes both: each sentence is a claim the check verifies); a code block read with the
    sentence introducing it keeps its lines, with a marker on each paragraph."""
    text = c.text.strip()
    if "\n" in text:
        return "\n\n".join(with_markers(part, [c.n]) for part in text.split("\n\n"))
    return " ".join(with_markers(text[a:b], [c.n]) for a, b in sentence_spans(text))


class ExtractiveGenerator:
    """Quotes the sentence the shared ranker puts first, and the runner-up when it scores nearly
    as well; abstains when the best is below the answer threshold."""

    name = "extractive"

    def __init__(
        self,
        ranker: Ranker,
        min_support: float,
        second_ratio: float = 0.85,
        min_span: float = 0.3,
    ) -> None:
        self.ranker = ranker
        self.min_support = min_support
        self.second_ratio = second_ratio
        self.min_span = min_span

    def answer(
        self, question: str, passages: Sequence[Passage], threshold: float | None = None
    ) -> str:
        """Best sentence [n], plus the runner-up [m] when it is nearly as good; ABSTAIN below
        `threshold` (default: the answer threshold)."""
        q = analyse(question)
        ranked = self.ranker.rank(q, passages)
        best_score = confidence(ranked)
        floor = self.min_support if threshold is None else threshold
        if best_score is None or best_score < floor:
            return ABSTAIN
        best = ranked[0]
        picked = [best]
        # A runner-up nearly as good often completes the answer (the fact spans two sentences)
        # or confirms it from a second source: quote it too, in document order.
        if len(ranked) > 1 and ranked[1].score >= max(self.second_ratio * best.score, floor):
            picked.append(ranked[1])
            picked.sort(key=lambda c: (c.doc_id != best.doc_id, c.doc_id, c.start))
        quoted = " ".join(_marked(c) for c in picked)
        value = short_answer(q, best, self.min_span)
        return f"{value} [{best.n}]. {quoted}" if value else quoted

    def stream(
        self,
        question: str,
        passages: Sequence[Passage],
        budget: Budget,
        leads: Sequence[str] = (),
    ) -> Iterator[str]:
        """The whole extractive answer as one chunk (there is nothing to wait for)."""
        yield self.answer(question, passages)
