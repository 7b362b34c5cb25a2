"""Extractive backend: quotes the best retrieved sentences; needs no LLM weights."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from rag.asks import attribute, owner, wants
from rag.chunk import sentence_spans
from rag.cite import CLOSING, passage_sentences, with_markers
from rag.embed import Embedder
from rag.generate import ABSTAIN, UNDISCLOSED
from rag.text import numbers, terms
from rag.types import Document, Passage
from rag.values import named_extractor

_HEADING_MAX_WORDS = 10


@dataclass(frozen=True)
class Scored:
    """A candidate answer sentence: its score, passage number and exact document span."""

    score: float
    n: int
    doc_id: str
    start: int
    end: int
    text: str


class ExtractiveGenerator:
    """Quotes the one or two retrieved sentences that best match the question; no LLM weights.

    A sentence's score mixes idf-weighted term overlap with the question, the embedder's cosine
    similarity (so paraphrased questions still find their sentence), a little credit for the
    neighbouring sentences, and a boost or penalty for the kind of answer the question asks for.
    """

    name = "extractive"

    def __init__(
        self, documents: Mapping[str, Document], embedder: Embedder, min_support: float
    ) -> None:
        self.documents = documents
        self.embedder = embedder
        self.min_support = min_support
        self.idf = _idf(documents.values())
        self.idf_max = max(self.idf.values(), default=1.0)
        self._vectors: dict[tuple[str, int, int], np.ndarray] = {}
        self._last: tuple[tuple[str, tuple[str, ...]], list[Scored]] | None = None

    def overlap(self, question: str, sentence: str) -> float:
        """idf-weighted share of the question's terms found in the sentence."""
        q = set(terms(question))
        if not q:
            return 0.0
        weight = lambda t: self.idf.get(t, self.idf_max)  # noqa: E731
        return sum(weight(t) for t in q & set(terms(sentence))) / sum(weight(t) for t in q)

    def score(self, question: str, sentence: str, context: str = "", cosine: float = 0.0) -> float:
        """Overlap and similarity, some credit for neighbouring sentences, scaled by answer type."""
        own = self.overlap(question, sentence)
        # "USSM signed ... . It sets in motion a $500 million initiative": the answer sentence
        # often leans on its neighbour for the entity the question names.
        near = self.overlap(question, f"{sentence} {context}") if context else own
        value = 0.4 * (own + 0.3 * (near - own)) + 0.6 * max(cosine, 0.0)
        if _says_undisclosed(question, sentence):
            # "The quantity ... has not been disclosed" is the honest answer to "What was the
            # quantity ...?": it is not penalised for lacking the value it says is unknown.
            return value * 1.1
        for want in wants(question):
            value *= 1.15 if want.has.search(sentence) else 0.6
        # "Which administration ...?": a sentence naming one ("the Biden administration").
        named = named_extractor(question)
        if named is not None and named(sentence):
            value *= 1.3
        # A sentence saying some detail was not disclosed is a likely honest answer too.
        if UNDISCLOSED.search(sentence):
            value *= 1.1
        # A sentence whose only numbers are the question's own adds nothing new.
        if numbers(sentence) and numbers(sentence) <= numbers(question):
            value *= 0.8
        return value

    def candidates(self, passages: Sequence[Passage]) -> list[tuple[int, str, int, int, str]]:
        """(passage n, doc id, start, end, neighbours' text) of each distinct passage sentence."""
        out: list[tuple[int, str, int, int, str]] = []
        seen: set[tuple[str, int]] = set()
        for p in passages:
            doc = self.documents[p.chunk.doc_id]
            spans = passage_sentences(p, doc)
            for i, (s, e) in enumerate(spans):
                text = doc.text[s:e]
                if (doc.doc_id, s) in seen or _is_heading(text):
                    continue
                seen.add((doc.doc_id, s))
                context = " ".join(doc.text[a:b] for a, b in spans[max(0, i - 1) : i + 2 : 2])
                out.append((p.n, doc.doc_id, s, e, context))
        return out

    def similarities(self, question: str, keys: list[tuple[str, int, int]]) -> np.ndarray:
        """Cosine of the question with each sentence; sentence vectors are cached across calls."""
        missing = [k for k in keys if k not in self._vectors]
        if missing:
            texts = [self.documents[d].text[s:e] for d, s, e in missing]
            for key, vec in zip(missing, self.embedder.embed(texts), strict=True):
                self._vectors[key] = vec
        if not keys:
            return np.zeros(0, dtype=np.float32)
        matrix = np.stack([self._vectors[k] for k in keys])
        return matrix @ self.embedder.embed([question])[0]

    def rank(self, question: str, passages: Sequence[Passage]) -> list[Scored]:
        """Every distinct sentence of the passages, best answer candidate first."""
        # The pipeline ranks once for conflicts and excerpts, then this backend answers from
        # the same ranking: remember the last one rather than embed and score twice.
        key = (question, tuple(p.chunk.chunk_id for p in passages))
        last = self._last
        if last is not None and last[0] == key:
            return last[1]
        ranked = self._rank(question, passages)
        self._last = (key, ranked)
        return ranked

    def _rank(self, question: str, passages: Sequence[Passage]) -> list[Scored]:
        cands = self.candidates(passages)
        sims = self.similarities(question, [(d, s, e) for _, d, s, e, _ in cands])
        ranked = []
        for (n, doc_id, s, e, context), cos in zip(cands, sims, strict=True):
            text = self.documents[doc_id].text[s:e]
            # Earlier passages win ties: retrieval rank is evidence too.
            score = self.score(question, text, context, float(cos)) - 0.005 * n
            ranked.append(Scored(score, n, doc_id, s, e, text))
        ranked.sort(key=lambda r: -r.score)
        return ranked

    def answer(self, question: str, passages: Sequence[Passage]) -> str:
        """Best sentence [n], plus a second from another document when it is nearly as good."""
        ranked = self.rank(question, passages)
        if not ranked or ranked[0].score < self.min_support:
            return ABSTAIN
        best = ranked[0]
        picked = [best]
        for cand in ranked[1:]:
            if cand.doc_id != best.doc_id and cand.score >= max(
                0.85 * best.score, self.min_support
            ):
                picked.append(cand)
                break
        return " ".join(with_markers(c.text.strip(), [c.n]) for c in picked)

    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str]:
        """The whole extractive answer as one chunk (there is nothing to wait for)."""
        yield self.answer(question, passages)


def _says_undisclosed(question: str, sentence: str) -> bool:
    """The sentence says the attribute the question asks about was not made public."""
    asked = attribute(question)
    if not asked or not UNDISCLOSED.search(sentence):
        return False
    # "the commercial value of the shipment" is not "the value of the MoU".
    whose = owner(question)
    return set(terms(f"{asked} {whose or ''}")) <= set(terms(sentence))


def _is_heading(text: str) -> bool:
    return not CLOSING.search(text) and len(text.split()) <= _HEADING_MAX_WORDS


def _idf(documents: Iterable[Document]) -> dict[str, float]:
    df: Counter[str] = Counter()
    n = 0
    for doc in documents:
        for s, e in sentence_spans(doc.text):
            n += 1
            df.update(set(terms(doc.text[s:e])))
    return {t: math.log(1 + n / c) for t, c in df.items()}
