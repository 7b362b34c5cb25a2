"""Reading the value a question asks for off a sentence."""

from __future__ import annotations

import pytest

from rag.question import analyse
from rag.values import Value, dates, money


def _keys(question: str, sentence: str) -> list[str]:
    extract = analyse(question).extract
    assert extract is not None
    return [v.key for v in extract(sentence)]


def test_amounts_compare_by_value_not_by_spelling() -> None:
    question = "How much are the reserves worth?"
    six = ["money|USD|6e+12"]
    assert _keys(question, "They are worth $6 trillion.") == six
    assert _keys(question, "They are worth 6,000 billion dollars.") == six
    assert _keys(question, "They are worth US$6,000 billion.") == six
    assert _keys(question, "They are worth $8 trillion.") != six


@pytest.mark.parametrize(
    ("sentence", "key"),
    [
        ("The club paid €80 million.", "money|EUR|8e+07"),
        ("It cost 80 million euros.", "money|EUR|8e+07"),
        ("The fee was £70m.", "money|GBP|7e+07"),
        ("The budget is Rs. 500 billion.", "money|RS|5e+11"),
        ("Tickets cost 2,000 yen.", "money|JPY|2000"),
    ],
)
def test_amounts_in_any_currency(sentence: str, key: str) -> None:
    assert [v.key for v in money(sentence)] == [key]


def test_the_same_number_in_two_currencies_differs() -> None:
    [dollars], [euros] = money("It cost $5 million."), money("It cost €5 million.")
    assert not dollars.agrees(euros)


@pytest.mark.parametrize(
    ("sentence", "key"),
    [
        ("Signed on September 8, 2025.", "date|2025|9|8"),
        ("Signed on 8 September 2025.", "date|2025|9|8"),
        ("Signed in March 2024.", "date|2024|3|?"),
        ("Rome fell in 476 AD.", "date|476|?|?"),
        ("Troy fell in 1180 BC.", "date|-1180|?|?"),
        ("The school opened in 1636.", "date|1636|?|?"),
        ("It spread in the 14th century.", "century|14|?|?"),
    ],
)
def test_dates_keep_every_part_given(sentence: str, key: str) -> None:
    assert [v.key for v in dates(sentence)] == [key]


def test_dates_agree_only_when_no_given_part_differs() -> None:
    [full] = dates("on June 28, 1919")
    [other_year] = dates("on June 28, 1920")
    [no_year] = dates("on June 28")
    assert not full.agrees(other_year)
    assert full.agrees(no_year) and no_year.agrees(other_year)
    assert not Value("x", "century|14|?|?").agrees(Value("y", "date|1350|?|?"))


def test_which_noun_reads_names_of_that_noun() -> None:
    question = "Which US administration started the talks?"
    assert _keys(question, "The Biden administration began; the Trump administration went on.") == [
        "name|biden",
        "name|trump",
    ]


def test_origins_are_not_names() -> None:
    assert _keys("Which scientist built it?", "The Scottish scientist built it.") == []
    assert _keys("Which scientist built it?", "The physicist Marie Curie, a scientist.") == []


@pytest.mark.parametrize(
    "question",
    ["Which date was the MoU signed?", "How much is the deal worth?", "Which tariff rate applies?"],
)
def test_measures_take_precedence_over_which(question: str) -> None:
    assert analyse(question).named is None
    assert analyse(question).extract is not None


def test_no_extractor_for_open_questions() -> None:
    assert analyse("Why does the US want Pakistan's minerals?").extract is None
    assert analyse("Who signed the MoU?").extract is None


def test_a_title_before_a_name_answers_which_title() -> None:
    question = "Which senator called it a salesman-like gesture?"
    sentence = "Critics, including Senator Aimal Wali Khan, called it a gesture."
    assert _keys(question, sentence) == ["name|aimal wali khan"]
    assert _keys(question, "The senator spoke.") == []
