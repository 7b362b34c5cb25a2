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
    page: int | None = None


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
    judge_margin: float | None = None  # the local model's check (log-odds); null: not run
    judged: float | None = None  # the scorer's probability moved by it
    decision: str = ""
    # The answer words the answer opens with, copied from the first cited sentence; null: none
    short_answer: str | None = None


class DocumentSummary(BaseModel):
    doc_id: str
    title: str
    n_chars: int
    n_pages: int | None = None  # PDFs
    source: str = ""  # "upload", or the file it was indexed from
    status: str = "indexed"  # "partial" when some PDF pages could not be read
    unread_pages: list[int] = []  # PDF pages whose text could not be read (no OCR)


class DocumentOut(BaseModel):
    doc_id: str
    title: str
    text: str
    pages: list[int] = []  # PDFs: where each page starts in `text`


class FileError(BaseModel):
    file: str
    detail: str


class IngestOut(BaseModel):
    documents: list[DocumentSummary]
    errors: list[FileError]
    build: str | None = None  # the index build that now serves them


class DeletedOut(BaseModel):
    deleted: str
    build: str | None = None
    note: str = ""


class Problem(BaseModel):
    """Every error body: a readable `detail` (and, for a 422, the fields at fault)."""

    detail: str
    errors: list[dict[str, Any]] | None = None
