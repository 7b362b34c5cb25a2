"""Plain dataclasses shared by every stage of the pipeline."""

from __future__ import annotations

import bisect
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

ABSTAIN = "The indexed sources don't say."  # the answer text of every abstention


@dataclass(frozen=True)
class Document:
    """One source file: id is the file stem, title its first non-empty line (or the file's own
    title); `text` is what was extracted from it, the text every offset refers to."""

    doc_id: str
    title: str
    text: str
    path: str = ""
    pages: tuple[int, ...] = ()  # PDF: where each page starts in `text`
    # Where each heading, list item, table row and code block sits, (start, end, kind), in
    # order; the rest is paragraphs. Items, rows and code are one sentence unit each.
    blocks: tuple[tuple[int, int, str], ...] = ()
    unread_pages: tuple[int, ...] = ()  # PDF pages whose text could not be read

    @cached_property
    def code(self) -> tuple[tuple[int, int], ...]:
        return tuple((s, e) for s, e, kind in self.blocks if kind == "code")

    @cached_property
    def headings(self) -> tuple[tuple[int, int], ...]:
        return tuple((s, e) for s, e, kind in self.blocks if kind == "heading")

    def section_at(self, offset: int) -> str:
        """The title of the section holding `offset` ("" before the first heading or none),
        without Markdown's "#" marks."""
        i = bisect.bisect_right(self.headings, (offset, offset)) - 1
        while i >= 0 and self.headings[i][0] > offset:
            i -= 1
        if i < 0:
            return ""
        return self.text[self.headings[i][0] : self.headings[i][1]].lstrip("#").strip()

    def page_at(self, offset: int) -> int | None:
        """The 1-based page holding character `offset` (None for files without pages)."""
        if not self.pages:
            return None
        return bisect.bisect_right(self.pages, offset)


@dataclass(frozen=True)
class Chunk:
    """A span of a document; `document.text[start:end] == text` always holds."""

    chunk_id: str
    doc_id: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its similarity score (higher is better)."""

    chunk: Chunk
    score: float
    rank: int
    cosine: float = 0.0  # the embedder's similarity, whatever the ranking mode


@dataclass
class Citation:
    """An exact quote from a source document backing part of an answer."""

    n: int
    doc_id: str
    title: str
    chunk_id: str
    quote: str
    start: int
    end: int
    verified: bool = True
    support: float = 1.0
    page: int | None = None  # the PDF page the quote starts on


@dataclass
class Answer:
    """The answer contract shared by the CLI, the API and the eval harness."""

    question: str
    answer: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    backend: str = ""
    timings_ms: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    retrieved: list[dict[str, Any]] = field(default_factory=list)
    rewritten_question: str | None = None  # what was searched, when a follow-up was rewritten
    # The best sentence's final ranker score (the answerability scorer's probability): the
    # number compared with RAG_MIN_ANSWER_SCORE. None when nothing was ranked.
    confidence: float | None = None
    # The local model's check (LLM backends): its log-odds that the best sentences answer, and
    # the scorer's probability moved by it, compared with RAG_MIN_JUDGED_SCORE. None: not run.
    judge_margin: float | None = None
    judged: float | None = None
    # Why this answer stands: the verified extractive draft, or an LLM's answer that replaced it.
    decision: str = ""
    # The answer words `answer` opens with, copied from its first citation's sentence ("Stacy
    # Hastie" in "Stacy Hastie [1]. U.S. Strategic Metals CEO Stacy Hastie called …"); None when
    # the quote alone answers or nothing is answered.
    short_answer: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict in the documented contract order."""
        return asdict(self)


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk as shown to a generator: numbered from 1, with its document title."""

    n: int
    chunk: Chunk
    title: str
    score: float
    cosine: float = 0.0
    excerpt: str = ""  # what an LLM is shown: the passage's most relevant sentences

    @property
    def prompt_text(self) -> str:
        """The excerpt when there is one, else the whole chunk."""
        return self.excerpt or self.chunk.text
