"""The scorer's training pairs: contrast negatives differ from their positive in one detail."""

from __future__ import annotations

from pathlib import Path

from tests.scripts.load import load_script

train = load_script("train_answerability")

TITLE = "Tour de France"
POSITIVE = (
    "Who won the race in 1903?",
    TITLE,
    "In 1903 Maurice Garin won the first race ahead of Lucien Pothier.",
    1.0,
)
OTHERS = [
    ("Who came second?", TITLE, "In 1904 Henri Cornet won after Garin was disqualified.", 0.0),
    ("Who was the first winner?", TITLE, "The first winner was Maurice Garin of Italy.", 1.0),
]


def test_a_shared_year_is_swapped_for_another_year_of_the_document() -> None:
    out = train.contrast_pairs([POSITIVE, *OTHERS])
    assert ("Who won the race in 1904?", TITLE, POSITIVE[2], 0.0) in out
    assert (POSITIVE[0], TITLE, POSITIVE[2].replace("1903", "1904"), 0.0) in out


def test_an_opposite_word_and_a_negation_make_negatives() -> None:
    out = train.contrast_pairs(OTHERS)
    questions = {q for q, _, s, label in out if s == OTHERS[1][2] and label == 0.0}
    assert "Who was the last winner?" in questions
    assert "Who was not the first winner?" in questions


def test_only_positives_yield_contrast_pairs_and_all_are_negative() -> None:
    out = train.contrast_pairs([POSITIVE, *OTHERS])
    assert out and all(label == 0.0 for *_, label in out)
    assert not any(q == OTHERS[0][0] for q, *_ in out)
    assert train.contrast_pairs([OTHERS[0]]) == []


def test_the_pairs_are_the_same_for_the_same_seed() -> None:
    pairs = [POSITIVE, *OTHERS]
    assert train.contrast_pairs(pairs) == train.contrast_pairs(pairs)


def _distilled(tmp_path: Path, pairs: list[dict]) -> Path:
    import json

    path = tmp_path / "extra.jsonl"
    row = {"doc_id": "1", "title": "Glaciers", "pairs": pairs}
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    return path


def _pair(question: str, sentence: str, label: float, check: float) -> dict:
    return {"question": question, "sentence": sentence, "label": label, "check": check}


def test_distilled_pairs_are_kept_only_where_the_check_agrees(tmp_path: Path) -> None:
    q1, q2 = "How fast does the glacier move?", "How deep is the glacier?"
    own, other = "The glacier moves 30 metres a year.", "It was first mapped in 1850."
    path = _distilled(
        tmp_path,
        [
            _pair(q1, own, 1.0, 2.1),  # the check says yes: kept positive
            _pair(q1, other, 0.0, -0.8),  # the check says no: kept negative
            _pair(q2, own, 0.0, 1.4),  # written as a lookalike, but the check says yes: dropped
            _pair(q2, other, 0.0, 0.6),  # between the two margins: dropped
        ],
    )
    pairs, counts = train.load_extra(path)
    assert pairs == [(q1, "Glaciers", own, 1.0), (q1, "Glaciers", other, 0.0)]
    assert counts == {"abstracts": 1, "kept": 2, "dropped": 2}


def test_a_question_whose_own_sentence_the_check_rejects_goes_whole(tmp_path: Path) -> None:
    q = "What is discussed in the sentence?"
    path = _distilled(
        tmp_path,
        [
            _pair("What does the glacier do?", "The glacier retreats.", 1.0, 0.2),
            _pair("What does the glacier do?", "It was mapped.", 0.0, -1.0),
            _pair(q, "The glacier retreats.", 1.0, 3.0),  # about "the sentence" itself
        ],
    )
    pairs, counts = train.load_extra(path)
    assert pairs == [] and counts["dropped"] == 3
