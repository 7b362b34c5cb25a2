"""The reader: does a sentence answer the question, and which words answer it? A Protocol, the
learned reader, a factory.

The reader is the packaged MiniLM-L6 trained by `scripts/train_reader.py` on SQuAD 1.1 train
(87,599 questions), SQuAD 2.0 train's unanswerable questions, made lookalike negatives and the dev
splits, and shipped in `rag/models/reader/` as its difference from the packaged base weights
(`rag.weight_delta`), rebuilt into int8 ONNX on first use. It reads the question and the sentence
together, so it sees what a bag of words cannot: a swapped entity, a negation, a sentence about
the right topic that does not give the asked fact. Its answerability head gives a probability (one
threshold, `Settings.min_answer_score`, decides abstention); its span head gives the answer words
inside the sentence (the short answer, `Settings.min_span_score`). A scorer with only the first
head (v1-v6, `scripts/train_answerability.py`) still loads: it gives no spans.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from rag.config import Settings
from rag.errors import ModelNotFoundError
from rag.onnx_threads import session_options
from rag.weight_delta import DELTA_NAME, unpack

MODEL_DIR = Path(__file__).resolve().parent / "models" / "reader"
# The second opinion: scorer v6 (`scripts/train_answerability.py`), a cross-encoder of the same
# base trained on another recipe (five SQuAD dev articles' sentence pairs, made contrasts, SciFact
# pairs the local model labelled). It has no span head; see `SecondOpinion`.
SECOND_DIR = Path(__file__).resolve().parent / "models" / "second"
FILES = ("tokenizer.json", "meta.json")
MAX_TOKENS = 128  # question + title + sentence; longer pairs lose the sentence's tail
LONGEST_SPAN = 30  # tokens: an answer span is a phrase, not a sentence


@dataclass(frozen=True)
class Reading:
    """What the reader makes of one sentence: the probability that it answers the question and,
    from a reader with a span head, the answer words (offsets into the sentence) with the
    probability of that start and end."""

    prob: float
    span: tuple[int, int] | None = None
    span_prob: float = 0.0


class Scorer(Protocol):
    """Reads each (title, sentence) with the question."""

    name: str

    def read(self, question: str, sentences: Sequence[tuple[str, str]]) -> list[Reading]:
        """One Reading per sentence, in order."""
        ...


def pair_text(title: str, sentence: str) -> str:
    """The second segment the model reads: the document title, then the sentence."""
    return f"{title[:80]}: {sentence}" if title else sentence


class CrossEncoderScorer:
    """The fine-tuned MiniLM cross-encoder on ONNX Runtime (int8), with its own tokenizer."""

    def __init__(self, model_dir: Path = MODEL_DIR, threads: int = 0) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        meta = json.loads((model_dir / "meta.json").read_text(encoding="utf-8"))
        self.name = f"cross-encoder:{meta['version']}"
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(MAX_TOKENS, strategy="only_second")
        self.session = ort.InferenceSession(
            str(model_dir / "model-int8.onnx"),
            session_options(threads),
            providers=["CPUExecutionProvider"],
        )

    def score(self, question: str, sentences: Sequence[tuple[str, str]]) -> np.ndarray:
        """The probabilities alone, shape (len(sentences),)."""
        return np.array([r.prob for r in self.read(question, sentences)], dtype=np.float32)

    def read(self, question: str, sentences: Sequence[tuple[str, str]]) -> list[Reading]:
        """Each pair on its own, unpadded. The int8 model quantises activations over the whole
        batch, so in one padded batch a sentence's probability moved with its neighbours' (by up
        to 0.17) and the padding cost ~40% more time than ten single runs (docs/bench.md)."""
        encodings = self.tokenizer.encode_batch([(question, pair_text(t, s)) for t, s in sentences])
        readings = []
        for (title, sentence), enc in zip(sentences, encodings, strict=True):
            ids = np.array([enc.ids], dtype=np.int64)
            feed = {
                "input_ids": ids,
                "attention_mask": np.ones_like(ids),
                "token_type_ids": np.array([enc.type_ids], dtype=np.int64),
            }
            outputs = self.session.run(None, feed)
            prob = float(1.0 / (1.0 + np.exp(-float(outputs[0].reshape(-1)[0]))))
            if len(outputs) < 3:  # a scorer without a span head
                readings.append(Reading(prob))
                continue
            shift = len(pair_text(title, sentence)) - len(sentence)
            found = answer_span(outputs[1][0], outputs[2][0], enc, shift)
            span, span_prob = (None, 0.0) if found is None else found
            readings.append(Reading(prob, span, span_prob))
        return readings


def answer_span(
    start: np.ndarray, end: np.ndarray, enc: Any, shift: int
) -> tuple[tuple[int, int], float] | None:
    """The most probable answer words in the sentence (character offsets into it) and their
    probability: start and end softmaxed over the sentence's own tokens (not the question's,
    the title's or the separators), end no earlier than start and within LONGEST_SPAN tokens."""
    offsets = enc.offsets  # a tokenizers.Encoding: offsets into each segment's own text
    marks = zip(enc.sequence_ids, enc.special_tokens_mask, offsets, strict=True)
    allowed = np.array([s == 1 and not x and a >= shift and b > a for s, x, (a, b) in marks])
    if not allowed.any():
        return None
    n = len(allowed)

    def softmax(x: np.ndarray) -> np.ndarray:
        x = np.where(allowed, x[:n], -np.inf)
        e = np.exp(x - x.max())
        return e / e.sum()

    joint = np.outer(softmax(start), softmax(end))
    joint = np.triu(joint) * ~np.triu(np.ones_like(joint, dtype=bool), LONGEST_SPAN)
    at = int(joint.argmax())
    a, b = divmod(at, n)
    return (offsets[a][0] - shift, offsets[b][1] - shift), float(joint.flat[at])


def ensure_model(model_dir: Path) -> Path:
    """The int8 model in `model_dir`, rebuilt from its shipped delta when it is missing or was
    built from another delta (a checkout that moved to a retrained scorer keeps the old,
    untracked model file: its stamp tells)."""
    onnx_path = model_dir / "model-int8.onnx"
    delta = model_dir / DELTA_NAME
    if not delta.is_file():
        return onnx_path  # a folder straight from training: its model is its own
    wanted = str(
        json.loads((model_dir / "meta.json").read_text(encoding="utf-8"))["weights_sha256"]
    )
    stamp = model_dir / "model-int8.onnx.sha256"
    if onnx_path.is_file() and stamp.is_file() and stamp.read_text().strip() == wanted:
        return onnx_path
    unpack(delta, onnx_path, wanted)
    stamp.write_text(wanted + "\n")
    return onnx_path


class SecondOpinion:
    """The reader with a second scorer's opinion on its best sentences: for the `depth` sentences
    the reader rates highest, the probability becomes sigmoid(reader logit + weight x second
    logit); every other sentence is capped at the best such fused probability (what the second
    scorer did not read cannot be surer than what it did). Spans stay the reader's.

    Two models trained on different data err on different sentences: on European Union law
    (held out of both) question-level AUC rises from 0.850 (reader) to ~0.89 at weight 0.25, and
    the cost is `depth` more pairs, not the whole head (docs/evaluation.md, fifth session)."""

    def __init__(self, reader: Scorer, second: Scorer, weight: float, depth: int) -> None:
        self.reader, self.second, self.weight, self.depth = reader, second, weight, depth
        self.name = f"{reader.name}+{weight:g}x{second.name}"

    def read(self, question: str, sentences: Sequence[tuple[str, str]]) -> list[Reading]:
        readings = self.reader.read(question, sentences)
        if not readings:
            return readings
        best = sorted(range(len(readings)), key=lambda i: -readings[i].prob)[: self.depth]
        opinions = self.second.read(question, [sentences[i] for i in best])
        fused = {
            i: fuse(readings[i].prob, logit(o.prob), self.weight)
            for i, o in zip(best, opinions, strict=True)
        }
        cap = max(fused.values())
        return [
            replace(r, prob=fused[i] if i in fused else min(r.prob, cap))
            for i, r in enumerate(readings)
        ]


def logit(p: float) -> float:
    """log(p / (1 - p)), with p kept inside (1e-6, 1 - 1e-6)."""
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def fuse(prob: float, margin: float, weight: float) -> float:
    """A probability moved by another model's log-odds: sigmoid(logit(prob) + weight x margin)
    (the second scorer's here, the local model's check in `rag.judge`)."""
    z = logit(prob) + weight * margin
    return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


@lru_cache(maxsize=4)
def _cross_encoder(model_dir: Path) -> CrossEncoderScorer:
    missing = [f for f in FILES if not (model_dir / f).is_file()]
    if not missing and not ensure_model(model_dir).is_file():
        missing = [f"model-int8.onnx (or {DELTA_NAME})"]
    if missing:
        raise ModelNotFoundError(
            f"the answerability model in {model_dir} lacks {', '.join(missing)}: reinstall, or "
            "retrain it (`make reader`), or set RAG_SCORER=none (RAG_SECOND_WEIGHT=0 for the "
            "second opinion alone)"
        )
    return CrossEncoderScorer(model_dir)


def make_scorer(settings: Settings) -> Scorer | None:
    """The scorer the settings name (loaded once per process), with the second opinion when its
    weight is above 0; None: first-stage scores stand."""
    if settings.scorer != "cross-encoder":
        return None
    reader = _cross_encoder(settings.scorer_model_dir or MODEL_DIR)
    if settings.second_weight <= 0:
        return reader
    second = _cross_encoder(settings.second_model_dir or SECOND_DIR)
    return SecondOpinion(reader, second, settings.second_weight, settings.second_depth)
