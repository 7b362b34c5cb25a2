"""Metrics on hand-made cases with known answers, and the harness on a small fixed gold file."""

from pathlib import Path
from typing import Any, ClassVar

import pytest

from evals import metrics as m
from evals.harness import load_gold, run_eval
from rag.errors import InvalidInputError
from rag.types import Answer, Citation

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("a $500 million initiative", "500 million"),
        ("a $500m deal", "500 million"),
        ("500 million dollars", "$500 million"),
        ("the US$500 million MoU", "500 million"),
        ("valued at 1,000 dollars", "1000"),
        ("tariffs fell to 19 percent", "19%"),
        ("“iron brother”", '"iron brother"'),
        ("STACY HASTIE said", "Stacy Hastie"),
    ],
)
def test_contains_normalises(answer: str, expected: str) -> None:
    assert m.contains(answer, expected)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("$5,000 million", "500 million"),
        ("15 years", "5 years"),
        ("the 19% tariff", "9%"),
    ],
)
def test_contains_respects_word_boundaries(answer: str, expected: str) -> None:
    assert not m.contains(answer, expected)


def row(answer: str, abstained: bool = False, cites: tuple = (), retrieved: tuple = ()) -> dict:
    return {
        "answer": answer,
        "abstained": abstained,
        "citations": [{"doc_id": d, "verified": v} for d, v in cites],
        "retrieved": [{"doc_id": d} for d in retrieved],
    }


def test_answer_correct_by_kind() -> None:
    factoid = {"kind": "factoid", "answers": ["500 million"], "sources": ["001"]}
    multi = {"kind": "multi", "answers": ["Sharif"], "also": ["Munir"], "sources": ["001"]}
    unans = {"kind": "unanswerable", "answers": [], "sources": []}
    assert m.answer_correct(factoid, row("It is $500 million [1]."))
    assert not m.answer_correct(factoid, row("It is $500 million [1].", abstained=True))
    assert m.answer_correct(multi, row("Sharif and Munir attended"))
    assert not m.answer_correct(multi, row("Sharif attended"))
    assert m.answer_correct(unans, row("The indexed sources don't say.", abstained=True))
    assert not m.answer_correct(unans, row("Argentina won"))


def test_retrieval_and_citation_metrics() -> None:
    item = {"kind": "factoid", "answers": ["x"], "sources": ["001", "004"]}
    r = row(
        "x",
        cites=(("004_abc", True), ("002_abc", True), ("001_abc", False)),
        retrieved=("002_a", "003_a", "004_a"),
    )
    assert m.retrieval_hit(item, r) and not m.retrieval_hit(item, r, k=2)
    assert m.reciprocal_rank(item, r) == pytest.approx(1 / 3)
    assert m.citation_correct(item, r)
    assert m.citation_precision(item, r) == (1, 3)
    assert not m.citation_correct(item, row("x", cites=(("001_a", False),)))


def test_conflict_needs_every_value() -> None:
    item = {"kind": "conflict", "conflict": ["6 trillion", "8 trillion"]}
    assert m.conflict_surfaced(item, row("$6 trillion [1] vs 8 trillion dollars [2]"))
    assert not m.conflict_surfaced(item, row("$6 trillion [1]"))


class FakePipeline:
    """Answers from a fixed table through the real Answer type."""

    TABLE: ClassVar[dict[str, Any]] = {
        "What was the value of the MoU?": ("It was $500 million [1].", False, "001_x"),
        "Who attended?": ("Sharif attended [1].", False, "004_x"),
        "How much are reserves worth?": ("$6 trillion [1] or $8 trillion [2].", False, "001_x"),
        "Who won the World Cup?": ("The indexed sources don't say.", True, None),
    }

    def answer(self, question: str) -> Answer:
        text, abstained, doc = self.TABLE[question]
        cites = [Citation(1, doc, "t", f"{doc}#0", "q", 0, 1)] if doc else []
        retrieved = [{"doc_id": doc or "002_x", "chunk_id": "c", "score": 0.5, "n": 1}]
        return Answer(
            question,
            text,
            abstained,
            cites,
            backend="fake",
            timings_ms={"total": 10.0 * len(question)},
            retrieved=retrieved,
        )


def test_harness_on_small_gold_file() -> None:
    report = run_eval(FakePipeline(), load_gold(DATA / "small_gold.jsonl"))
    assert report["n"] == 4
    assert report["per_kind"]["factoid"] == {"n": 1, "accuracy": 1.0, "citation_precision": 1.0}
    assert report["per_kind"]["multi"]["accuracy"] == 0.0
    assert report["per_kind"]["conflict"]["accuracy"] == 1.0
    assert report["abstention_accuracy"] == 1.0
    assert report["false_abstention_rate"] == 0.0
    assert report["retrieval_hit_at_k"] == 1.0
    assert report["citation_correct"] == 1.0
    assert report["conflicts_surfaced"] == 1.0
    assert report["accuracy"] == 0.75
    assert report["latency_ms"]["p50"] == pytest.approx(
        250.0
    )  # lengths 13, 22, 28, 30 -> 10x median


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "not JSON"),
        ('{"id": "x"}', "missing field"),
        (
            '{"id": "x", "kind": "weird", "question": "q", "answers": [], "sources": []}',
            "kind must",
        ),
        (
            '{"id": "x", "kind": "factoid", "question": "q", "answers": "a", "sources": []}',
            "list of",
        ),
        (
            '{"id": "x", "kind": "factoid", "question": "q", "answers": [], "sources": []}',
            "at least one",
        ),
    ],
)
def test_bad_gold_lines_are_named(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "gold.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(InvalidInputError, match=message):
        load_gold(path)
