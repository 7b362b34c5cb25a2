"""Reading the value a question asks for off a sentence."""

from __future__ import annotations

import pytest

from rag.values import extractor_for, named_extractor


def _keys(question: str, sentence: str) -> list[str]:
    extract = extractor_for(question)
    assert extract is not None
    return [v.key for v in extract(sentence)]


def test_amounts_compare_by_value_not_by_spelling() -> None:
    question = "How much are the reserves worth?"
    six = ["$6e+12"]
    assert _keys(question, "They are worth $6 trillion.") == six
    assert _keys(question, "They are worth 6,000 billion dollars.") == six
    assert _keys(question, "They are worth US$6,000 billion.") == six
    assert _keys(question, "They are worth $8 trillion.") != six


def test_dates_ignore_the_year() -> None:
    assert _keys("When was it signed?", "Signed on September 8, 2025.") == ["September 8"]


def test_which_noun_reads_names_of_that_noun() -> None:
    question = "Which US administration started the talks?"
    assert _keys(question, "The Biden administration began; the Trump administration went on.") == [
        "biden",
        "trump",
    ]
    assert named_extractor(question) is not None


@pytest.mark.parametrize(
    "question",
    [
        "Which date was the MoU signed?",
        "How much is the deal worth?",
        "Who signed the MoU?",
        "Which tariff rate applies now?",
    ],
)
def test_named_extractor_only_for_which_questions_without_a_measure(question: str) -> None:
    assert named_extractor(question) is None


def test_no_extractor_for_open_questions() -> None:
    assert extractor_for("Why does the US want Pakistan's minerals?") is None


def test_a_title_before_a_name_answers_which_title() -> None:
    question = "Which senator called it a salesman-like gesture?"
    sentence = "Critics, including Senator Aimal Wali Khan, called it a gesture."
    assert _keys(question, sentence) == ["aimal wali khan"]
    assert _keys(question, "The senator spoke.") == []
