"""Conflict detection on hand-made ranked sentences (pure, no index)."""

from __future__ import annotations

from dataclasses import replace

from rag.conflicts import find_conflicts
from rag.question import analyse
from rag.rank import Scored
from rag.types import Chunk, Passage


def _setup(sentences: list[tuple[str, str]]) -> tuple[list[Scored], list[Passage]]:
    passages = [
        Passage(n, Chunk(f"{doc}:0", doc, text, 0, len(text)), f"Title {doc}", 0.5)
        for n, (doc, text) in enumerate(sentences, start=1)
    ]
    ranked = [
        Scored(0.8 - 0.01 * i, p.n, p.chunk.doc_id, 0, len(p.chunk.text), p.chunk.text)
        for i, p in enumerate(passages)
    ]
    return ranked, passages


def test_two_documents_naming_different_groups_conflict() -> None:
    ranked, passages = _setup(
        [
            ("a", "The designation of the Balochistan National Army and its Majeed Brigade."),
            ("b", "The designation of the Baloch Liberation Army (BLA) as a terrorist group."),
        ]
    )
    question = "Which Baloch militant group did the US designate as a terrorist organization?"
    [conflict] = find_conflicts(analyse(question), ranked, 0.3, passages)
    values = {v["doc_id"]: v["value"] for v in conflict["values"]}
    assert values == {"a": "Balochistan National Army", "b": "Baloch Liberation Army"}


def test_the_same_group_twice_is_no_conflict() -> None:
    ranked, passages = _setup(
        [
            ("a", "The Baloch Liberation Army was designated in 2025."),
            ("b", "Washington designated the Baloch Liberation Army (BLA)."),
        ]
    )
    question = "Which militant group did the US designate?"
    assert find_conflicts(analyse(question), ranked, 0.3, passages) == []


def test_administrations_differ_whatever_the_article_case() -> None:
    ranked, passages = _setup(
        [
            ("a", "The Trump administration seeks minerals."),
            ("b", "the Trump administration has initiated talks."),
            ("c", "The Biden administration has initiated talks."),
        ]
    )
    question = "Which US administration started the talks?"
    [conflict] = find_conflicts(analyse(question), ranked, 0.3, passages)
    assert [v["doc_id"] for v in conflict["values"]] == ["a", "b", "c"]
    assert {v["value"].split()[-2] for v in conflict["values"]} == {"Trump", "Biden"}


def test_the_same_administration_is_no_conflict() -> None:
    ranked, passages = _setup(
        [("a", "The Trump administration seeks minerals."), ("b", "the Trump administration met.")]
    )
    assert (
        find_conflicts(analyse("Which US administration started talks?"), ranked, 0.3, passages)
        == []
    )


def test_full_dates_are_compared_year_included() -> None:
    ranked, passages = _setup(
        [
            ("a", "The treaty was signed on June 28, 1919, at Versailles."),
            ("b", "The treaty was signed on June 28, 1920, at Versailles."),
        ]
    )
    [conflict] = find_conflicts(analyse("When was the treaty signed?"), ranked, 0.3, passages)
    assert {v["value"] for v in conflict["values"]} == {"June 28, 1919", "June 28, 1920"}


def test_a_date_without_its_year_agrees_with_the_full_date() -> None:
    ranked, passages = _setup(
        [("a", "The race was run on May 4, 2003."), ("b", "The race was run on May 4.")]
    )
    assert find_conflicts(analyse("When was the race run?"), ranked, 0.3, passages) == []


def test_origins_are_not_rival_names() -> None:
    ranked, passages = _setup(
        [
            ("a", "Watt was a Scottish scientist and engineer."),
            ("b", "Watt, a British scientist, improved the engine."),
        ]
    )
    question = analyse("Which scientist improved the Newcomen engine?")
    assert find_conflicts(question, ranked, 0.3, passages) == []


def test_amounts_in_other_currencies_and_scales() -> None:
    ranked, passages = _setup(
        [
            ("a", "The club paid €80 million for the striker."),
            ("b", "The striker cost 80 million euros."),
            ("c", "The striker's fee was £70m."),
        ]
    )
    [conflict] = find_conflicts(analyse("How much did the striker cost?"), ranked, 0.3, passages)
    assert [v["doc_id"] for v in conflict["values"]] == ["a", "b", "c"]
    same = find_conflicts(analyse("How much did the striker cost?"), ranked[:2], 0.3, passages)
    assert same == []


def test_sentences_below_the_answer_threshold_are_not_compared() -> None:
    ranked, passages = _setup(
        [("a", "The bridge opened in 1932."), ("b", "A second bridge opened in 1958.")]
    )
    ranked[1] = Scored(0.1, 2, "b", 0, len(passages[1].chunk.text), passages[1].chunk.text)
    assert find_conflicts(analyse("When did the bridge open?"), ranked, 0.3, passages) == []


def test_the_readers_answer_words_pick_the_value_a_sentence_gives() -> None:
    ranked, passages = _setup(
        [
            ("a", "Signed on June 2, 2024, the deal was announced on June 28, 1919."),
            ("b", "The deal was announced on June 28, 1920."),
        ]
    )
    question = "When was the deal announced?"
    # without spans the first date of each sentence is compared
    [first] = find_conflicts(analyse(question), ranked, 0.3, passages)
    assert {v["value"] for v in first["values"]} == {"June 2, 2024", "June 28, 1920"}
    at = passages[0].chunk.text.index("June 28")
    ranked[0] = replace(ranked[0], span=(at, at + len("June 28, 1919")), span_prob=0.9)
    [conflict] = find_conflicts(analyse(question), ranked, 0.3, passages)
    assert {v["value"] for v in conflict["values"]} == {"June 28, 1919", "June 28, 1920"}
