# ruff: noqa: E501  (the written documents below keep one paragraph per line)
"""The learned answerability scorer on its real weights, and its calibrated threshold end to end
on written documents from outside the seeds (history, science, sport)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.answerability import (
    MODEL_DIR,
    SECOND_DIR,
    CrossEncoderScorer,
    SecondOpinion,
    _cross_encoder,
    ensure_model,
    make_scorer,
)
from rag.config import Settings
from rag.errors import ModelNotFoundError
from rag.pipeline import Pipeline, build_index
from rag.weight_delta import DELTA_NAME, unpack, weights_sha256

pytestmark = [pytest.mark.slow]

HISTORY = """The Fall of Rome

The Western Roman Empire fell in 476 AD, when the Germanic chieftain Odoacer deposed the emperor Romulus Augustulus. The Eastern Roman Empire, ruled from Constantinople, survived for nearly a thousand more years.

Constantinople was captured by the Ottoman Turks in 1453 after a siege of 53 days. Sultan Mehmed II then made the city his capital.
"""
SCIENCE = """Penicillin

Alexander Fleming, a Scottish physician, discovered penicillin in 1928 at St Mary's Hospital in London. He noticed that a mould had killed the bacteria growing on a culture plate.

Mass production of penicillin began during the Second World War, when American companies grew the mould in deep fermentation tanks.
"""
SPORT = """The 1966 World Cup

England won the 1966 FIFA World Cup, beating West Germany 4–2 after extra time in the final at Wembley Stadium. Geoff Hurst scored a hat-trick in the final, the only one in a World Cup final until 2022.

Sixteen teams took part in the tournament, which was held in England from 11 to 30 July 1966.
"""


@pytest.fixture(scope="module")
def outside(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    root = tmp_path_factory.mktemp("outside")
    docs = root / "docs"
    docs.mkdir()
    for name, text in {"rome": HISTORY, "penicillin": SCIENCE, "worldcup": SPORT}.items():
        (docs / f"{name}.txt").write_text(text, encoding="utf-8")
    settings = Settings(index_dir=root / "index", sources=[docs], llm_backend="extractive")
    build_index(settings)
    return Pipeline.load(settings)


def test_packaged_model_is_small_and_says_how_it_was_trained() -> None:
    # The repository carries the difference from the base weights, not the 23 MB model (the
    # reader, trained on 72,000 pairs, moved more weights than the v6 scorer: 4.9 MB, was 3.2).
    size = (MODEL_DIR / DELTA_NAME).stat().st_size
    assert size <= 6 * 1024 * 1024
    meta = json.loads((MODEL_DIR / "meta.json").read_text())
    assert meta["delta_bytes"] == size
    assert {"seed", "steps", "train_seconds", "pairs", "int8_vs_fp32_mean_abs"} <= set(meta)
    assert [p["questions"] for p in meta["learning_curve"]][-1] >= 20_000
    assert meta["int8_vs_fp32_mean_abs"] < 0.05
    # The threshold is calibrated on one dev article: the shipped model must never have read it.
    assert meta["held_out"] == ["european_union_law"]


def test_a_fresh_checkout_rebuilds_the_exact_model_from_its_delta(tmp_path: Path) -> None:
    """Only the delta, the tokenizer and meta.json are tracked: the first load rebuilds the
    model, tensor for tensor the one that was trained, and it scores like the shipped one."""
    import onnx

    for name in (DELTA_NAME, "tokenizer.json", "meta.json"):
        shutil.copy(MODEL_DIR / name, tmp_path / name)
    rebuilt = _cross_encoder(tmp_path)
    meta = json.loads((MODEL_DIR / "meta.json").read_text())
    assert weights_sha256(onnx.load(str(tmp_path / "model-int8.onnx"))) == meta["weights_sha256"]
    pairs = [("The Fall of Rome", "The Western Roman Empire fell in 476 AD.")]
    shipped = make_scorer(Settings(llm_backend="extractive", second_weight=0))
    assert isinstance(shipped, CrossEncoderScorer)
    question = "When did the Western Roman Empire fall?"
    assert rebuilt.score(question, pairs).tolist() == shipped.score(question, pairs).tolist()
    # A model left from another delta (its stamp differs) is rebuilt, not silently used.
    (tmp_path / "model-int8.onnx").write_bytes(b"an older model")
    (tmp_path / "model-int8.onnx.sha256").write_text("0" * 64)
    ensure_model(tmp_path)
    assert weights_sha256(onnx.load(str(tmp_path / "model-int8.onnx"))) == meta["weights_sha256"]


def test_a_damaged_or_mismatched_delta_is_a_clear_error(tmp_path: Path) -> None:
    meta = json.loads((MODEL_DIR / "meta.json").read_text())
    broken = tmp_path / DELTA_NAME
    broken.write_bytes((MODEL_DIR / DELTA_NAME).read_bytes()[:1000])
    with pytest.raises(ModelNotFoundError, match="cannot rebuild"):
        unpack(broken, tmp_path / "model.onnx", meta["weights_sha256"])
    with pytest.raises(ModelNotFoundError, match="does not match"):
        unpack(MODEL_DIR / DELTA_NAME, tmp_path / "model.onnx", "0" * 64)
    assert not (tmp_path / "model.onnx").exists()


def test_the_second_opinion_is_the_packaged_v6_scorer_rebuilt_and_never_read_eu_law(
    tmp_path: Path,
) -> None:
    """The shipped scorer is the reader with v6's opinion on its best sentences; v6 is rebuilt
    from its own delta, and it too never trained on the article the threshold is chosen on."""
    meta = json.loads((SECOND_DIR / "meta.json").read_text())
    assert meta["held_out"] == ["european_union_law"]
    assert (SECOND_DIR / DELTA_NAME).stat().st_size == meta["delta_bytes"]
    for name in (DELTA_NAME, "tokenizer.json", "meta.json"):
        shutil.copy(SECOND_DIR / name, tmp_path / name)
    import onnx

    _cross_encoder(tmp_path)
    assert weights_sha256(onnx.load(str(tmp_path / "model-int8.onnx"))) == meta["weights_sha256"]
    shipped = make_scorer(Settings())
    assert isinstance(shipped, SecondOpinion) and shipped.depth == Settings().second_depth
    alone = make_scorer(Settings(second_weight=0))
    assert alone is shipped.reader
    pairs = [
        ("The Fall of Rome", "The Western Roman Empire fell in 476 AD."),
        ("Penicillin", "Alexander Fleming discovered penicillin in 1928."),
    ]
    question = "When did the Western Roman Empire fall?"
    fused, own = shipped.read(question, pairs), alone.read(question, pairs)
    assert fused[0].prob > 0.5 > fused[1].prob
    assert fused[0].prob != own[0].prob and fused[0].span == own[0].span


def test_scorer_prefers_the_sentence_that_gives_the_asked_fact() -> None:
    scorer = make_scorer(Settings())
    assert scorer is not None
    probs = np.array(
        [
            r.prob
            for r in scorer.read(
                "When did the Western Roman Empire fall?",
                [
                    (
                        "The Fall of Rome",
                        "The Western Roman Empire fell in 476 AD, when Odoacer deposed"
                        " the emperor Romulus Augustulus.",
                    ),
                    ("The Fall of Rome", "Sultan Mehmed II then made the city his capital."),
                    ("Penicillin", "Alexander Fleming discovered penicillin in 1928."),
                ],
            )
        ]
    )
    assert probs.shape == (3,) and ((probs >= 0) & (probs <= 1)).all()
    assert probs[0] > probs[1] and probs[0] > probs[2]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("When did the Western Roman Empire fall?", "476"),
        ("Who discovered penicillin?", "Fleming"),
        ("How many teams took part in the 1966 World Cup?", "Sixteen"),
        ("Who scored a hat-trick in the 1966 final?", "Hurst"),
    ],
)
def test_clearly_answerable_questions_are_answered(
    outside: Pipeline, question: str, expected: str
) -> None:
    answer = outside.answer(question)
    assert not answer.abstained, answer.warnings
    assert expected in answer.answer
    assert answer.confidence is not None
    assert answer.confidence >= outside.settings.min_answer_score


@pytest.mark.parametrize(
    "question",
    [
        "Who won the 1998 Tour de France?",
        "What is the boiling point of mercury?",
        "How many children did Alexander Fleming have?",
        "Who was the first emperor of the Ottoman dynasty?",
    ],
)
def test_clearly_unanswerable_questions_abstain(outside: Pipeline, question: str) -> None:
    answer = outside.answer(question)
    assert answer.abstained, answer.answer
    assert answer.citations == []


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Who discovered penicillin?", "Alexander Fleming"),
        ("Who scored a hat-trick in the 1966 final?", "Geoff Hurst"),
        ("When was Constantinople captured by the Ottoman Turks?", "1453"),
        ("Where was the 1966 World Cup final played?", "Wembley Stadium"),
    ],
)
def test_the_reader_opens_the_answer_with_the_answer_words(
    outside: Pipeline, question: str, expected: str
) -> None:
    """Any kind of question, not only the value kinds the rules know: the short answer is the
    reader's span, copied from the cited sentence, before the quote."""
    answer = outside.answer(question)
    assert answer.short_answer is not None, answer.answer
    assert expected in answer.short_answer and len(answer.short_answer.split()) <= 8
    assert answer.answer.startswith(f"{answer.short_answer} [1]. ")
    assert answer.short_answer in answer.citations[0].quote


def test_model_dir_setting_and_missing_model_error(tmp_path: Path) -> None:
    from rag.errors import ModelNotFoundError

    with pytest.raises(ModelNotFoundError, match="RAG_SCORER=none"):
        make_scorer(Settings(scorer_model_dir=tmp_path))
