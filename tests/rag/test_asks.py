"""What a question asks for, and whether a text gives it."""

from __future__ import annotations

import pytest

from rag.asks import attribute, lacking, owner, wants


@pytest.mark.parametrize(
    ("question", "text", "missing"),
    [
        ("How many jobs will the refinery create?", "It is worth 500 million dollars.", "jobs"),
        ("How many jobs will the refinery create?", "It will create 2,000 new jobs.", None),
        ("How many jobs will the refinery create?", "Some three hundred local jobs.", None),
        ("What was the quantity in tonnes of the shipment?", "It held antimony.", "a weight"),
        ("What was the quantity in tonnes of the shipment?", "It held 1,200 tonnes.", None),
        ("When was the law passed?", "The law was passed by the assembly.", "a date"),
        ("When was the law passed?", "The law was passed in March.", None),
        ("How much is the deal worth?", "The deal is large.", "an amount"),
        ("How much is the deal worth?", "The deal is worth $500 million.", None),
        ("How fast is the sector growing?", "It grows at two to three percent.", None),
        # Too loose to refuse on: a surname alone answers "who?".
        ("Who is the CEO of USSM?", "The CEO is Hastie.", None),
        ("How many minerals are known?", "The number of known minerals is 92.", None),
        ("How much copper was shipped?", "About 2,000 tonnes of copper.", None),
        ("Why does the US want minerals?", "To counter China.", None),
    ],
)
def test_lacking_names_the_missing_kind(question: str, text: str, missing: str | None) -> None:
    found = lacking(question, text)
    assert found == missing or (missing is not None and found is not None and missing in found)


def test_the_day_before_is_not_a_date_question() -> None:
    question = "What agreement did the US sign with India the day before the meeting?"
    assert [w.label for w in wants(question)] == []
    assert "a date" in [w.label for w in wants("On what date was the MoU signed?")]
    assert "a date" in [w.label for w in wants("In which year was the law passed?")]


def test_how_many_of_counts_no_noun() -> None:
    labels = [w.label for w in wants("How many of the 92 minerals are mined?")]
    assert labels == ["a number"]


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("What was the commercial value of the first shipment?", "commercial value"),
        ("What was the quantity in tonnes of the first shipment?", "quantity"),
        ("What is the population of Karachi?", "population"),
        ("Who signed the MoU?", None),
    ],
)
def test_attribute(question: str, asked: str | None) -> None:
    assert attribute(question) == asked


@pytest.mark.parametrize(
    "question",
    [
        "Which American diplomat was present when the deal was inked?",
        "What nickname do analysts use when describing the balancing act?",
        "Which senator is the one who called it a gesture?",
        "What is the province where Reko Diq lies called?",
    ],
)
def test_a_wh_word_inside_the_question_asks_for_nothing(question: str) -> None:
    assert [w.label for w in wants(question)] == []
    assert lacking(question, "no value at all") is None


@pytest.mark.parametrize(
    ("question", "whose"),
    [
        ("What was the commercial value of the first rare earth shipment?", "shipment"),
        ("What was the value of the USSM MoU?", "mou"),
        ("What is the population of Karachi?", "karachi"),
        ("Who signed the MoU?", None),
    ],
)
def test_owner(question: str, whose: str | None) -> None:
    assert owner(question) == whose
