"""Read documents (.txt, .md, .pdf, .html, .docx) from folders or single files.

A file that cannot be read is skipped with a reason (`Scan.errors`); it never stops the rest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rag.errors import SourceNotFoundError
from rag.parse import SUFFIXES, ParseError, parse, title_of
from rag.types import Document

__all__ = ["SUFFIXES", "Scan", "doc_id_for", "load_documents", "read_document", "scan", "title_of"]


@dataclass
class Scan:
    """What reading the sources found: documents by id, and per-file errors and notes."""

    docs: list[Document] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


MAX_ID_BYTES = 120


def doc_id_for(filename: str) -> str:
    """A document id from a file name: its stem with letters and digits of any script kept
    ("документ", "文件"), other characters as '-', cut to 120 bytes of UTF-8 (a file named
    after it stays under the usual 255-byte limit)."""
    name = Path(filename.replace("\\", "/")).name
    stem = name.rsplit(".", 1)[0] if "." in name else name
    doc_id = re.sub(r"[^\w.-]+", "-", stem).strip("-.")
    while len(doc_id.encode()) > MAX_ID_BYTES:
        doc_id = doc_id[:-1]
    return doc_id.strip("-.") or "document"


Limits = tuple[int, float]  # (memory MB, seconds) for a file parsed in a child process


def read_document(
    path: Path, doc_id: str | None = None, limits: Limits | None = None
) -> tuple[Document, tuple[str, ...]]:
    """One file to a Document (id: the file stem) and any notes; ParseError if unreadable."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ParseError(f"{path}: cannot read ({exc.strerror})") from exc
    if limits is None:
        parsed = parse(path.name, data)
    else:
        from rag.isolate import parse_isolated

        parsed = parse_isolated(path.name, data, *limits)
    return parsed.document(doc_id or path.stem, str(path)), parsed.notes


def _files(path: Path) -> list[Path]:
    if not path.exists():
        raise SourceNotFoundError(f"source path not found: {path}")
    if path.is_file():
        return [path]
    # Hidden files (".pending-…" uploads, editors' swap files) are never documents.
    return sorted(
        p
        for p in path.rglob("*")
        if p.is_file() and p.suffix.lower() in SUFFIXES and not p.name.startswith(".")
    )


def scan(paths: Iterable[Path], limits: Limits | None = None) -> Scan:
    """Every readable document under `paths`, sorted by id; unreadable files and repeated ids
    are reported in `errors` and skipped."""
    found = Scan()
    docs: dict[str, Document] = {}
    for root in paths:
        for file in _files(Path(root)):
            try:
                doc, notes = read_document(file, limits=limits)
            except ParseError as exc:
                found.errors.append(str(exc))
                continue
            if doc.doc_id in docs:
                found.errors.append(
                    f"{file}: skipped, its id {doc.doc_id!r} is taken by {docs[doc.doc_id].path}"
                )
                continue
            docs[doc.doc_id] = doc
            found.notes += [f"{file}: {n}" for n in notes]
    found.docs = [docs[k] for k in sorted(docs)]
    return found


def load_documents(paths: Iterable[Path]) -> list[Document]:
    """The documents under `paths`; SourceNotFoundError when none can be read."""
    paths = list(paths)
    found = scan(paths)
    if not found.docs:
        shown = ", ".join(str(p) for p in paths)
        why = "; ".join(found.errors[:5])
        raise SourceNotFoundError(
            f"no readable documents ({', '.join(SUFFIXES)}) in {shown}"
            + (f": {why}" if why else "")
        )
    return found.docs
