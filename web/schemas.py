"""Response models: they document the answer contract in OpenAPI at /docs."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class CitationOut(BaseModel):
    n: int
    doc_id: str
    title: str
    chunk_id: str
    quote: str
    start: int
    end: int
    verified: bool
    support: float


class AnswerOut(BaseModel):
    question: str
    answer: str
    abstained: bool
    citations: list[CitationOut]
    conflicts: list[dict[str, Any]]
    backend: str
    timings_ms: dict[str, float]
    warnings: list[str]
    retrieved: list[dict[str, Any]]
    rewritten_question: str | None = None
    confidence: float | None = None
    decision: str = ""


class DocumentSummary(BaseModel):
    doc_id: str
    title: str
    n_chars: int


class DocumentOut(BaseModel):
    doc_id: str
    title: str
    text: str
