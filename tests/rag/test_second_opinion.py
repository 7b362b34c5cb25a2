"""The second opinion on the reader's best sentences (`rag.answerability.SecondOpinion`), with
fake scorers: which sentences the second one reads, how the two are fused, the cap on the rest."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest

from rag.answerability import Reading, SecondOpinion


class _Fixed:
    """A fake scorer: each sentence's probability from a table; records what it read."""

    def __init__(self, name: str, probs: dict[str, float], span: bool = False) -> None:
        self.name, self.probs, self.span, self.seen = name, probs, span, list[str]()

    def read(self, question: str, sentences: Sequence[tuple[str, str]]) -> list[Reading]:
        self.seen += [s for _, s in sentences]
        return [
            Reading(self.probs[s], (0, 1) if self.span else None, 0.5 if self.span else 0.0)
            for _, s in sentences
        ]


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def test_the_second_scorer_reads_only_the_readers_best_and_moves_them() -> None:
    reader = _Fixed("reader", {"a": 0.9, "b": 0.7, "c": 0.5, "d": 0.2}, span=True)
    second = _Fixed("v6", {"a": 0.1, "b": 0.95, "c": 0.5, "d": 0.5})
    out = SecondOpinion(reader, second, weight=0.5, depth=2).read("q", [("t", s) for s in "dcab"])
    assert second.seen == ["a", "b"]  # the two the reader rates highest, best first
    probs = dict(zip("dcab", (r.prob for r in out), strict=True))
    assert probs["a"] == pytest.approx(_sigmoid(_logit(0.9) + 0.5 * _logit(0.1)))
    assert probs["b"] == pytest.approx(_sigmoid(_logit(0.7) + 0.5 * _logit(0.95)))
    assert probs["b"] > probs["a"]  # the second opinion can reorder the two it read
    # Unread sentences keep their own probability under the best fused one ...
    assert probs["c"] == 0.5 and probs["d"] == 0.2
    # ... and the reader's answer words stay.
    assert all(r.span == (0, 1) and r.span_prob == 0.5 for r in out)


def test_what_the_second_scorer_did_not_read_cannot_be_surer_than_what_it_did() -> None:
    reader = _Fixed("reader", {"a": 0.9, "b": 0.85, "c": 0.8})
    second = _Fixed("v6", {"a": 0.01, "b": 0.01, "c": 0.99})
    out = SecondOpinion(reader, second, weight=1.0, depth=2).read("q", [("t", s) for s in "abc"])
    best_read = max(out[0].prob, out[1].prob)
    assert best_read < 0.1
    assert out[2].prob == best_read  # capped: "c" was not read


def test_weight_zero_changes_nothing_and_no_sentences_is_no_readings() -> None:
    reader = _Fixed("reader", {"a": 0.9, "b": 0.3})
    second = _Fixed("v6", {"a": 0.01, "b": 0.99})
    both = SecondOpinion(reader, second, weight=0.0, depth=5)
    assert [r.prob for r in both.read("q", [("t", "a"), ("t", "b")])] == pytest.approx([0.9, 0.3])
    assert both.read("q", []) == [] and "v6" in both.name
