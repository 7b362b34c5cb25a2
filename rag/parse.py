"""Files to a document's cleaned text: .txt/.md, .pdf, .html, .docx, each through blocks
(`rag.blocks`), so that paragraphs are whole, tables are rows and code is one unit.

`parse(name, data)` returns what a document is indexed and cited by; a file that cannot be read
raises ParseError with a reason a user can act on, and never stops other files. Pages that could
not be read (a PDF without a Unicode map and no OCR) are listed in `Parsed.unread_pages`.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field, replace

from rag.blocks import Block, assemble, clean_line, text_blocks
from rag.errors import RagError
from rag.types import Document

SUFFIXES = (".txt", ".md", ".pdf", ".html", ".htm", ".docx")
# A DOCX is a zip: its members are checked before anything is inflated.
DOCX_MAX_UNZIPPED = 50_000_000
DOCX_MAX_RATIO = 100


class ParseError(RagError):
    """One file could not be turned into text (unsupported, binary, broken, empty, too big)."""

    status_code = 422


@dataclass(frozen=True)
class Parsed:
    title: str
    text: str
    pages: tuple[int, ...] = ()  # PDF: where each page starts in `text` (page 1 at 0)
    notes: tuple[str, ...] = field(default=())  # e.g. a stated decoding fallback, OCR'd pages
    blocks: tuple[tuple[int, int, str], ...] = ()  # headings, items, rows, code: (start, end, kind)
    unread_pages: tuple[int, ...] = ()  # PDF pages no text could be read from

    def document(self, doc_id: str, path: str = "") -> Document:
        return Document(
            doc_id, self.title, self.text, path, self.pages, self.blocks, self.unread_pages
        )


def parse(name: str, data: bytes) -> Parsed:
    """The text of file `name` (its suffix picks the parser) with content `data`."""
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    parser = _PARSERS.get(suffix)
    if parser is None:
        raise ParseError(f"{name}: unsupported file type; supported: {', '.join(SUFFIXES)}")
    try:
        _sniff(suffix, data)
        parsed = parser(data)
    except ParseError as exc:
        raise ParseError(f"{name}: {exc}") from exc
    except MemoryError:
        raise  # over the memory cap of the child process that parses it (rag.isolate)
    except ValueError as exc:  # the parsers' own limits and broken files, with their reason
        raise ParseError(f"{name}: {exc}") from exc
    except Exception as exc:  # a broken file of a supported type: say so, never crash
        raise ParseError(f"{name}: cannot read this {suffix} file ({type(exc).__name__})") from exc
    if not parsed.text.strip():
        if suffix != ".pdf":
            raise ParseError(f"{name}: no text in this file")
        unread = len(parsed.unread_pages)
        why = f"; pages that could not be read: {unread}" if unread else " (blank pages)"
        raise ParseError(f"{name}: no extractable text{why}" + _ocr_hint(parsed))
    stem = name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    title = parsed.title.strip() or title_of(parsed.text, stem)
    return replace(parsed, title=title[:300])


def _ocr_hint(parsed: Parsed) -> str:
    return "".join(f" ({n})" for n in parsed.notes if "could not be read" in n)


def title_of(text: str, fallback: str) -> str:
    """First non-empty line, stripped of Markdown heading marks."""
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line
    return fallback


_MAGIC = {b"%PDF": ".pdf", b"PK\x03\x04": ".docx"}


def _sniff(suffix: str, data: bytes) -> None:
    """The bytes must be the suffix's format: a PDF renamed .md is refused, not indexed as
    binary garbage."""
    head = data[:1024].lstrip()
    found = next((kind for magic, kind in _MAGIC.items() if head.startswith(magic)), None)
    if suffix == ".pdf" and found != ".pdf":
        raise ParseError("cannot read this .pdf file: it does not start with %PDF")
    if suffix == ".docx" and found != ".docx":
        raise ParseError("cannot read this .docx file: it is not a zip container")
    if suffix not in {".pdf", ".docx"} and found is not None:
        kind = "PDF" if found == ".pdf" else "zip (DOCX)"
        raise ParseError(f"this is a {kind} file, not {suffix}: rename it to its real type")


def _decode(data: bytes) -> tuple[str, tuple[str, ...]]:
    """UTF-8 text, else Windows-1252 with a note; binary data is refused."""
    if b"\x00" in data[:8192]:
        raise ParseError("binary data, not text")
    try:
        return data.decode("utf-8-sig"), ()
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
        controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f")
        if controls > len(text) / 100:
            raise ParseError("binary data, not text") from None
        return text, ("not UTF-8: decoded as Windows-1252 (Latin-1)",)


def _text(data: bytes) -> Parsed:
    text, notes = _decode(data)
    blocks = [
        Block(b.kind, b.text if b.kind == "code" else clean_line(b.text), tight=b.tight)
        for b in text_blocks(text)
    ]
    done = assemble(blocks)
    return Parsed("", done.text, notes=notes, blocks=done.blocks)


def _markdown(data: bytes) -> Parsed:
    """Markdown rendered by markdown-it (CommonMark and tables), then read as HTML: headings
    without their "#", links and emphasis as plain words, HTML comments gone, tables as rows,
    fenced and indented code as code blocks. A page past the HTML reader's limits is read as
    plain text instead."""
    from markdown_it import MarkdownIt

    from rag.parse_html import HtmlParseError, read_html

    text, notes = _decode(data)
    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(text)
    try:
        page = read_html(f"<html><body><main>{html}</main></body></html>".encode())
    except HtmlParseError:
        return _text(data)
    done = assemble(page.blocks)
    if not done.text.strip():
        return _text(data)  # only markup: what it writes is the text
    return Parsed(page.title, done.text, notes=notes + tuple(page.notes), blocks=done.blocks)


def _pdf(data: bytes) -> Parsed:
    from rag.parse_pdf import read_pdf

    pdf = read_pdf(data)
    done = assemble(pdf.blocks, pdf.n_pages)
    return Parsed(pdf.title, done.text, done.pages, tuple(pdf.notes), done.blocks,
                  tuple(pdf.unread))  # fmt: skip


def _html(data: bytes) -> Parsed:
    from rag.parse_html import read_html

    page = read_html(data)
    done = assemble(page.blocks)
    return Parsed(page.title, done.text, notes=tuple(page.notes), blocks=done.blocks)


def _docx(data: bytes) -> Parsed:
    import docx

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        total = sum(i.file_size for i in archive.infolist())
        packed = sum(max(1, i.compress_size) for i in archive.infolist())
    if total > DOCX_MAX_UNZIPPED or total > DOCX_MAX_RATIO * max(packed, 1) + 1_000_000:
        raise ParseError(
            f"this DOCX inflates to {total:,} bytes (limit {DOCX_MAX_UNZIPPED:,}, "
            f"or {DOCX_MAX_RATIO}x its packed size): refused as a possible zip bomb"
        )
    document = docx.Document(io.BytesIO(data))
    blocks = []
    for p in document.paragraphs:
        style = (p.style.name or "").lower() if p.style is not None else ""
        kind = "heading" if style.startswith(("heading", "title")) else "paragraph"
        kind = "item" if "list" in style else kind
        blocks.append(Block(kind, clean_line(p.text)))
    for table in document.tables:
        for row in table.rows:
            blocks.append(Block("row", " | ".join(clean_line(c.text) for c in row.cells)))
    title = document.core_properties.title or ""
    done = assemble(blocks)
    return Parsed(title, done.text, blocks=done.blocks)


_PARSERS = {
    ".txt": _text,
    ".md": _markdown,
    ".pdf": _pdf,
    ".html": _html,
    ".htm": _html,
    ".docx": _docx,
}
