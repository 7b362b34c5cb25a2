"""Read `.txt` and `.md` files from folders (or single files) into Documents."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rag.errors import SourceNotFoundError
from rag.types import Document

SUFFIXES = (".txt", ".md")


def title_of(text: str, fallback: str) -> str:
    """First non-empty line, stripped of Markdown heading marks."""
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line
    return fallback


def read_document(path: Path) -> Document:
    """One file to a Document; its id is the file stem."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SourceNotFoundError(f"{path} is not UTF-8 text: {exc.reason}") from exc
    return Document(doc_id=path.stem, title=title_of(text, path.stem), text=text, path=str(path))


def _files(path: Path) -> list[Path]:
    if not path.exists():
        raise SourceNotFoundError(f"source path not found: {path}")
    if path.is_file():
        if path.suffix.lower() not in SUFFIXES:
            raise SourceNotFoundError(f"{path} is not a .txt or .md file")
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)


def load_documents(paths: Iterable[Path]) -> list[Document]:
    """Every .txt/.md document under `paths`, sorted by id; ids must be unique."""
    docs: dict[str, Document] = {}
    for root in paths:
        for file in _files(Path(root)):
            doc = read_document(file)
            if not doc.text.strip():
                continue
            if doc.doc_id in docs:
                raise SourceNotFoundError(
                    f"two documents share the id {doc.doc_id!r}: {docs[doc.doc_id].path} and {file}"
                )
            docs[doc.doc_id] = doc
    if not docs:
        shown = ", ".join(str(p) for p in paths)
        raise SourceNotFoundError(f"no .txt or .md documents found in {shown}")
    return [docs[k] for k in sorted(docs)]
