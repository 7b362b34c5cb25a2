"""Eval suites: SQuAD 2.0 articles become documents with exact answer offsets; splits hold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.suites import SQUAD2_TEST_ARTICLES, load_suite, squad2_documents, squad2_items
from rag.errors import InvalidInputError


def _article(title: str, contexts: list[str], qas: list[list[dict]]) -> dict:
    return {
        "title": title,
        "paragraphs": [{"context": c, "qas": q} for c, q in zip(contexts, qas, strict=True)],
    }


DATA = {
    "data": [
        _article(
            "Old_Bridge",
            ["The bridge opened in 1932.", "It was painted red in 1960 by the city."],
            [
                [
                    {
                        "id": "a1",
                        "question": "When did the bridge open?",
                        "answers": [{"text": "1932", "answer_start": 21}],
                        "is_impossible": False,
                    }
                ],
                [
                    {
                        "id": "a2",
                        "question": "When was the bridge painted blue?",
                        "answers": [],
                        "plausible_answers": [{"text": "1960", "answer_start": 22}],
                        "is_impossible": True,
                    }
                ],
            ],
        ),
        _article(SQUAD2_TEST_ARTICLES[0], ["Steam drove the mills."], [[]]),
    ]
}


def test_answer_offsets_point_into_the_article_document() -> None:
    docs, _ = squad2_documents(DATA)
    assert docs[0].title == "Old Bridge" and docs[0].doc_id == "old_bridge"
    items = {i["id"]: i for i in squad2_items(DATA)}
    text = docs[0].text
    answerable, impossible = items["squad2-a1"], items["squad2-a2"]
    assert text[answerable["start"] : answerable["start"] + 4] == "1932"
    assert text[impossible["start"] : impossible["start"] + 4] == "1960"
    assert answerable["kind"] == "factoid" and impossible["kind"] == "unanswerable"
    assert impossible["answers"] == [] and answerable["sources"] == ["old_bridge"]


def test_held_out_articles_are_the_test_split() -> None:
    assert {i["split"] for i in squad2_items(DATA)} == {"dev"}
    assert squad2_documents(DATA)[0][1].doc_id == SQUAD2_TEST_ARTICLES[0].lower()


def test_select_samples_evenly_and_keeps_splits(tmp_path: Path) -> None:
    path = tmp_path / "squad.json"
    path.write_text(json.dumps(DATA))
    suite = load_suite("squad2", path)
    assert len(suite.select("dev")) == 2 and suite.select("test") == []
    seeds = load_suite("seeds")
    test = seeds.select("test")
    assert len(test) >= 25 and all(i["split"] == "test" for i in test)
    sample = seeds.select("test", 10)
    assert len(sample) == 10 and sample[0] == test[0] and len({i["kind"] for i in sample}) >= 3


def test_seeds_gold_is_split_by_kind() -> None:
    items = load_suite("seeds").items
    for kind in ("factoid", "paraphrase", "multi", "unanswerable"):
        splits = {i["split"] for i in items if i["kind"] == kind}
        assert splits == {"dev", "test"}, kind


def test_unknown_suite_is_a_clear_error() -> None:
    with pytest.raises(InvalidInputError, match="suite must be one of"):
        load_suite("nope")


def test_sweep_shows_what_each_threshold_would_give() -> None:
    from evals.harness import sweep

    rows = [
        {"kind": "factoid", "abstained": False, "confidence": 0.9, "answer_has_gold": True},
        {"kind": "factoid", "abstained": False, "confidence": 0.3, "answer_has_gold": True},
        {"kind": "factoid", "abstained": False, "confidence": 0.6, "answer_has_gold": False},
        {"kind": "unanswerable", "abstained": False, "confidence": 0.4, "answer_has_gold": False},
        {"kind": "unanswerable", "abstained": True, "confidence": 0.8, "answer_has_gold": False},
    ]
    low, mid, high = sweep(rows, [0.1, 0.5, 0.95])
    assert (low["answerable_accuracy"], low["abstention_accuracy"]) == (0.6667, 0.5)
    assert (mid["answerable_accuracy"], mid["abstention_accuracy"]) == (0.3333, 1.0)
    assert mid["precision"] == 0.5 and mid["overall"] == 0.6
    assert (high["answerable_accuracy"], high["overall"]) == (0.0, 0.4)
