"""Conflict detection on hand-made ranked sentences (pure, no index)."""

from __future__ import annotations

from rag.conflicts import find_conflicts
from rag.generators.extractive import Scored
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
    [conflict] = find_conflicts(question, ranked, 0.3, passages)
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
    assert find_conflicts(question, ranked, 0.3, passages) == []


def test_administrations_differ_whatever_the_article_case() -> None:
    ranked, passages = _setup(
        [
            ("a", "The Trump administration seeks minerals."),
            ("b", "the Trump administration has initiated talks."),
            ("c", "The Biden administration has initiated talks."),
        ]
    )
    question = "Which US administration started the talks?"
    [conflict] = find_conflicts(question, ranked, 0.3, passages)
    assert [v["doc_id"] for v in conflict["values"]] == ["a", "b", "c"]
    assert {v["value"].split()[-2] for v in conflict["values"]} == {"Trump", "Biden"}


def test_the_same_administration_is_no_conflict() -> None:
    ranked, passages = _setup(
        [("a", "The Trump administration seeks minerals."), ("b", "the Trump administration met.")]
    )
    assert find_conflicts("Which US administration started talks?", ranked, 0.3, passages) == []
