"""The one sentence ranker: every backend, the pipeline and the conflict check read its order.

Two stages. The first scores every sentence of the retrieved passages cheaply: idf-weighted term
overlap with the question, the embedder's cosine, a little credit for neighbouring sentences, and
a hint from the kind of value asked for. The learned scorer (`rag.answerability`) then reads the
`rerank_depth` best of them together with the question; its probability is the final score,
and the sentences it did not read rank below them. The highest final score decides abstention
(one threshold); the quoted sentence is the best by scorer logit plus the first-stage evidence;
the LLM's excerpts and the conflict check read the same ranking.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from rag.answerability import Scorer, logit
from rag.chunk import document_sentences, in_code
from rag.cite import CLOSING, passage_sentences
from rag.embed import Embedder, embed_query
from rag.injection import addresses_assistant
from rag.question import Question
from rag.text import numbers, plain, terms
from rag.types import Document, Passage
from rag.unseen import Lexicon, acronyms

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
    first: float = 0.0  # the first-stage score that chose it for the scorer
    # The reader's answer words in the document (start, end) and their probability; None when
    # the scorer has no span head or did not read this sentence.
    span: tuple[int, int] | None = None
    span_prob: float = 0.0

    @property
    def answer_words(self) -> str | None:
        """The reader's answer words, exactly as the document writes them."""
        if self.span is None:
            return None
        return self.text[self.span[0] - self.start : self.span[1] - self.start]


class Ranker:
    """Ranks the sentences of retrieved passages as answers to an analysed question."""

    def __init__(
        self,
        documents: Mapping[str, Document],
        embedder: Embedder,
        scorer: Scorer | None = None,
        depth: int = 10,
        threshold: float = 0.5,
        first_weight: float = 10.0,
        span_weight: float = 0.5,
    ) -> None:
        self.documents = documents
        self.embedder = embedder
        self.scorer = scorer  # None: the first-stage score is the final score (tests)
        self.depth = depth
        self.threshold = threshold
        self.first_weight = first_weight
        self.span_weight = span_weight
        self.idf = _idf(documents.values())
        self.idf_max = max(self.idf.values(), default=1.0)
        self._vectors: dict[tuple[str, int, int], np.ndarray] = {}
        self._last: tuple[tuple[str, tuple[str, ...]], list[Scored]] | None = None

    @cached_property
    def vocabulary(self) -> Lexicon:
        """Every word the corpus writes, its titles' too, without accents ("Kucukdeveci"), and
        what it abbreviates ("U.S.", "American Automobile Association"): what a question may
        name (`rag.unseen`). Built at the first question, or by `warm()` ahead of it."""
        words = set(self.idf) | {t for d in self.documents.values() for t in terms(d.title)}
        for doc in self.documents.values():
            text = f"{doc.title}\n{doc.text}"
            words |= acronyms(text) | (set() if text.isascii() else set(terms(plain(text))))
        return Lexicon(words)

    def adopt(self, old: Ranker) -> None:
        """Reuse `old`'s sentence vectors for the documents whose text did not change."""
        same = {
            d
            for d, doc in self.documents.items()
            if d in old.documents and old.documents[d].text == doc.text
        }
        self._vectors.update({k: v for k, v in old._vectors.items() if k[0] in same})

    def context_title(self, doc_id: str, start: int) -> str:
        """What the scorer reads before a sentence: its document's title and, in a document
        with sections (a manual page, a paper), the title of the section holding it."""
        doc = self.documents[doc_id]
        section = doc.section_at(start)
        if not section or section == doc.title:
            return doc.title
        return f"{doc.title} / {section}"

    def overlap(self, question: str, sentence: str) -> float:
        """idf-weighted share of the question's terms found in the sentence."""
        q = set(terms(question))
        if not q:
            return 0.0
        weight = lambda t: self.idf.get(t, self.idf_max)  # noqa: E731
        return sum(weight(t) for t in q & set(terms(sentence))) / sum(weight(t) for t in q)

    def first_score(self, q: Question, sentence: str, context: str = "", cos: float = 0.0) -> float:
        """Overlap and similarity, some credit for neighbouring sentences, the kind hint."""
        own = self.overlap(q.text, sentence)
        # The answer sentence often leans on its neighbour for the entity the question names.
        near = self.overlap(q.text, f"{sentence} {context}") if context else own
        value = 0.4 * (own + 0.3 * (near - own)) + 0.6 * max(cos, 0.0)
        if q.withheld(sentence):
            # "The quantity ... has not been disclosed" honestly answers "What was the quantity?"
            return value * 1.1
        value *= q.hint(sentence)
        # A sentence whose only numbers are the question's own adds nothing new.
        if numbers(sentence) and numbers(sentence) <= numbers(q.text):
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
                code = in_code(doc, s)
                injected = not code and addresses_assistant(text)
                if (doc.doc_id, s) in seen or (not code and _is_heading(text)) or injected:
                    continue  # an instruction to an AI in a document is data, never an answer
                seen.add((doc.doc_id, s))
                context = " ".join(doc.text[a:b] for a, b in spans[max(0, i - 1) : i + 2 : 2])
                out.append((p.n, doc.doc_id, _reading_start(doc, spans, i), e, context))
        return out

    def warm(self, limit: int = 20_000, batch: int = 256) -> int:
        """Embed the corpus's sentences ahead of the questions (up to `limit`), so a question's
        ranking only embeds the question; a server does it in the background after loading.
        Returns how many sentences were embedded."""
        _ = self.vocabulary  # built here rather than at the first question
        keys = [
            key
            for doc in self.documents.values()
            for spans in [document_sentences(doc)]
            for i, (_, e) in enumerate(spans)
            for key in [(doc.doc_id, _reading_start(doc, spans, i), e)]
            if key not in self._vectors
        ][:limit]
        for at in range(0, len(keys), batch):
            chunk = keys[at : at + batch]
            texts = [self.documents[d].text[s:e] for d, s, e in chunk]
            for key, vec in zip(chunk, self.embedder.embed(texts), strict=True):
                self._vectors.setdefault(key, vec)
        return len(keys)

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
        return matrix @ embed_query(self.embedder, question)

    def first_stage(self, q: Question, passages: Sequence[Passage]) -> list[Scored]:
        """Every distinct sentence of the passages by first-stage score, best first."""
        cands = self.candidates(passages)
        sims = self.similarities(q.text, [(d, s, e) for _, d, s, e, _ in cands])
        ranked = []
        for (n, doc_id, s, e, context), cos in zip(cands, sims, strict=True):
            text = self.documents[doc_id].text[s:e]
            # Earlier passages win ties: retrieval rank is evidence too.
            score = self.first_score(q, text, context, float(cos)) - 0.005 * n
            ranked.append(Scored(score, n, doc_id, s, e, text, score))
        ranked.sort(key=lambda r: -r.score)
        return ranked

    def rank(self, q: Question, passages: Sequence[Passage]) -> list[Scored]:
        """Every distinct sentence of the passages, best answer first (remembers the last call:
        the pipeline, the conflict check and the extractive backend share one ranking)."""
        key = (q.text, tuple(p.chunk.chunk_id for p in passages))
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        ranked = self.first_stage(q, passages)
        if self.scorer is not None and ranked:
            head, tail = ranked[: self.depth], ranked[self.depth :]
            pairs = [(self.context_title(r.doc_id, r.start), r.text) for r in head]
            readings = self.scorer.read(q.text, pairs)
            head = [
                replace(
                    r,
                    score=self._withheld_floor(q, r.text, x.prob),
                    span=_in_document(r, x.span),
                    span_prob=x.span_prob,
                )
                for r, x in zip(head, readings, strict=True)
            ]
            # Which sentence to quote: the scorer's logit plus the first-stage evidence (on text
            # the scorer never saw, its own order alone picks the answering sentence less
            # often) and the reader's confidence in its answer words. Whether to answer at all
            # stays the scorer's: see `confidence`.
            head.sort(key=self._quote_order)
            # The unread tail ranks below: a score under any head score keeps its own order.
            low = min((r.score for r in head), default=0.0)
            tail = [replace(r, score=low * r.first / (1.0 + r.first) * 0.5) for r in tail]
            ranked = head + tail
        self._last = (key, ranked)
        return ranked

    def _quote_order(self, r: Scored) -> float:
        spanned = self.span_weight * logit(r.span_prob)
        return -(logit(r.score) + self.first_weight * r.first + spanned)

    def _withheld_floor(self, q: Question, sentence: str, prob: float) -> float:
        """A sentence saying the asked detail was withheld answers the question (an honest,
        cited abstention), though the scorer, trained on sentences giving facts, rates it low."""
        return max(prob, self.threshold) if q.withheld(sentence) else prob


def _in_document(r: Scored, span: tuple[int, int] | None) -> tuple[int, int] | None:
    """A span in the sentence as document offsets, trimmed of spaces and stray punctuation."""
    if span is None:
        return None
    a, b = span
    text = r.text
    while a < b and (text[a].isspace() or text[a] in ",;:(\"'“‘"):
        a += 1
    while b > a and (text[b - 1].isspace() or text[b - 1] in ",;:)\"'”’."):
        if text[b - 1] == "." and b - 2 >= a and text[b - 2].isupper():
            break  # "U.S." keeps its dot
        if text[b - 1] == ")" and "(" in text[a:b]:
            break
        b -= 1
    for open_, close in ("()", "[]"):
        if text.count(open_, a, b) > text.count(close, a, b):
            # "6 (3 on X86" closes where the sentence does, "[%f/%t" too; else it ends before
            # the bracket it cannot close.
            if text.startswith(close, b):
                b += 1
            else:
                b = a + text[a:b].rstrip().rfind(open_)
                while b > a and text[b - 1].isspace():
                    b -= 1
        elif text.count(close, a, b) > text.count(open_, a, b):
            # "XSS) attack" opened before the words: they start after the bracket they close.
            a = text.find(close, a, b) + 1
            while a < b and text[a].isspace():
                a += 1
    return (r.start + a, r.start + b) if b > a else None


def confidence(ranked: Sequence[Scored]) -> float | None:
    """How likely the best candidate answers the question: the highest final score, or None."""
    return max((r.score for r in ranked), default=None)


# A sentence opening with one of these leans on the one before it for what it talks about
# ("To test the binary, type make bench. This runs a quick series of tests"): read alone, neither
# the reader nor the user can tell what "This" is.
_LEANS_BACK = re.compile(r"(?:It|This|These|They|That|Those|Its|Their|He|She|His|Her|Such)\b")


def _reading_start(doc: Document, spans: Sequence[tuple[int, int]], i: int) -> int:
    """Where sentence `i` is read and quoted from: its own start, or its predecessor's when it
    leans back on it and both are prose of one paragraph, or when it is a short code block that
    the sentence before it introduces ("A very strict policy would be:") (measured in
    docs/evaluation.md)."""
    s, e = spans[i]
    if i == 0:
        return s
    ps, pe = spans[i - 1]
    if in_code(doc, s):
        introduced = doc.text[ps:pe].rstrip().endswith(":") and not in_code(doc, ps)
        return ps if introduced and e - s <= _SHORT_CODE else s
    if not _LEANS_BACK.match(doc.text, s):
        return s
    if "\n" in doc.text[pe:s] or in_code(doc, ps):
        return s
    return s if _is_heading(doc.text[ps:pe]) else ps


# A code block up to this long is read with the sentence introducing it: a value set in code
# ("response.headers['Content-Security-Policy'] = ...") says what it is for only there.
_SHORT_CODE = 200


def _is_heading(text: str) -> bool:
    return not CLOSING.search(text) and len(text.split()) <= _HEADING_MAX_WORDS


def _idf(documents: Iterable[Document]) -> dict[str, float]:
    df: Counter[str] = Counter()
    n = 0
    for doc in documents:
        for s, e in document_sentences(doc):
            n += 1
            df.update(set(terms(doc.text[s:e])))
    return {t: math.log(1 + n / c) for t, c in df.items()}
